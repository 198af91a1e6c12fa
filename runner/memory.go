package runner

import (
	"os"
	"runtime/debug"
)

// harnessMemoryLimit is the soft heap limit of a run against an external
// provider: the garbage collector works harder as the heap nears it, so
// that the process stays within its 256 MB budget under any provider.
// (The built-in provider shares the process and needs more; GOMEMLIMIT,
// when set, wins.)
const harnessMemoryLimit = 192 << 20

func limitMemory(builtin bool) {
	if builtin || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(harnessMemoryLimit)
}
