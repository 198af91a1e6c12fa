package runner

import (
	"os"
	"runtime/debug"
)

// defaultMemoryLimit is the soft heap limit of a run against an external
// provider: the Go collector works harder near it instead of letting the
// heap grow to twice the live data. A full oneroster-1.1 run over the
// large district (100k users, 1M enrollments) with integrity keeps about
// 140 MB live; GOMEMLIMIT overrides the default.
const defaultMemoryLimit = 200 << 20

// softMemoryLimit sets the default limit unless GOMEMLIMIT is set or the
// built-in provider shares the process (its district is live data too).
func softMemoryLimit(builtin bool) {
	if builtin || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(defaultMemoryLimit)
}

// serveMemoryLimit is the soft heap limit of `rostercheck serve`: the
// large district with the provider's indexes keeps about 320 MB live
// (its fields packed, see fixtures/district), a full sds walk at 5000 a
// page adds up to 60 MB, and the collector's default pacing would let the
// heap grow to twice the live size; near the limit it collects sooner
// instead, so peak RSS stays near 420 MB. GOMEMLIMIT wins.
const serveMemoryLimitBytes = 400 << 20

func serveMemoryLimit() {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(serveMemoryLimitBytes)
}
