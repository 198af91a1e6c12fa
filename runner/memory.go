package runner

import (
	"fmt"
	"os"
	"runtime/debug"
	"runtime/pprof"
)

// harnessMemoryLimit is the soft heap limit of a run against an external
// provider: the garbage collector works harder as the heap nears it, so
// that the process stays within its 256 MB budget under any provider.
// (The built-in provider shares the process and needs more; GOMEMLIMIT,
// when set, wins.)
const harnessMemoryLimit = 192 << 20

// cpuProfileEnv names a file to write a CPU profile of the run to (go tool
// pprof): how the speed figures of `make bench` are explained.
const cpuProfileEnv = "ROSTERCHECK_CPUPROFILE"

// limitMemory sets the heap limit and, with ROSTERCHECK_CPUPROFILE, starts
// a CPU profile; the returned function stops the profile.
func limitMemory(builtin bool) (stop func()) {
	stop = func() {}
	if path := os.Getenv(cpuProfileEnv); path != "" {
		if f, err := os.Create(path); err != nil {
			fmt.Fprintf(os.Stderr, "rostercheck: %s: %v\n", cpuProfileEnv, err)
		} else if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			fmt.Fprintf(os.Stderr, "rostercheck: %s: %v\n", cpuProfileEnv, err)
		} else {
			stop = func() { pprof.StopCPUProfile(); f.Close() }
		}
	}
	if builtin || os.Getenv("GOMEMLIMIT") != "" {
		return stop
	}
	debug.SetMemoryLimit(harnessMemoryLimit)
	return stop
}
