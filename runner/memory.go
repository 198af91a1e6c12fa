package runner

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"time"
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

// memProfileEnv names a file to write a heap profile of the run to, taken
// when the live heap was at its highest (go tool pprof -sample_index
// inuse_space): how the memory figures of `make bench` are explained.
const memProfileEnv = "ROSTERCHECK_MEMPROFILE"

// limitMemory sets the heap limit and, with ROSTERCHECK_CPUPROFILE, starts
// a CPU profile, with ROSTERCHECK_MEMPROFILE a heap watcher; the returned
// function stops both.
func limitMemory(builtin bool) (stop func()) {
	var stops []func()
	stop = func() {
		for _, s := range stops {
			s()
		}
	}
	if path := os.Getenv(cpuProfileEnv); path != "" {
		if f, err := os.Create(path); err != nil {
			fmt.Fprintf(os.Stderr, "rostercheck: %s: %v\n", cpuProfileEnv, err)
		} else if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			fmt.Fprintf(os.Stderr, "rostercheck: %s: %v\n", cpuProfileEnv, err)
		} else {
			stops = append(stops, func() { pprof.StopCPUProfile(); f.Close() })
		}
	}
	if path := os.Getenv(memProfileEnv); path != "" {
		stops = append(stops, watchHeap(path))
	}
	if builtin || os.Getenv("GOMEMLIMIT") != "" {
		return stop
	}
	debug.SetMemoryLimit(harnessMemoryLimit)
	return stop
}

// watchHeap samples the heap every 500 ms and, each time the heap in use
// after the last collection reaches a new high, rewrites the heap profile
// at path, so the file left behind shows what was live at the peak.
func watchHeap(path string) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	write := func() {
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "rostercheck: %s: %v\n", memProfileEnv, err)
			return
		}
		defer f.Close()
		if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
			fmt.Fprintf(os.Stderr, "rostercheck: %s: %v\n", memProfileEnv, err)
		}
	}
	go func() {
		defer close(finished)
		var peak uint64
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak+peak/20 {
				peak = ms.HeapInuse
				write()
				fmt.Fprintf(os.Stderr, "rostercheck: heap in use %d MB (sys %d MB): %s\n", ms.HeapInuse>>20, ms.Sys>>20, path)
			}
		}
	}()
	return func() { close(done); <-finished }
}
