package runner_test

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// BenchmarkFullRunLargeIntegrity measures what the integrity issue asks
// for: a full oneroster-1.1 run (integrity on) over the large district
// (100k users, 1M enrollments), the provider in a process of its own
// (rostercheck serve --size large). It reports the harness's peak RSS and
// wall time. Minutes long: run it alone, not in make bench.
//
//	ROSTERCHECK_BENCH_LARGE=1 go test -run '^$' -bench FullRunLargeIntegrity -benchtime 1x -timeout 30m ./runner/
func BenchmarkFullRunLargeIntegrity(b *testing.B) {
	if os.Getenv("ROSTERCHECK_BENCH_LARGE") == "" {
		b.Skip("set ROSTERCHECK_BENCH_LARGE=1 (takes minutes)")
	}
	exe, _ := os.Executable()
	const secret = "bench-large-secret-0123456789"
	srv := exec.Command(exe, "serve", "--size", "large", "--addr", "127.0.0.1:0", "--client-id", "bench", "--client-secret", secret)
	srv.Env = append(filteredEnv(), mainEnv+"=1")
	out, err := srv.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = srv.Process.Signal(os.Interrupt); _ = srv.Wait() }()
	var base, token string
	sc := bufio.NewScanner(out)
	for sc.Scan() && (base == "" || token == "") {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "base URL:"); ok {
			base = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "token URL:"); ok {
			token = strings.TrimSpace(v)
		}
	}
	if base == "" || token == "" {
		b.Fatal("serve did not print its URLs")
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		cmd := exec.Command(exe, "run", "--base-url", base, "--token-url", token, "--client-id", "bench",
			"--profile", "oneroster-1.1", "--allow-writes", "--out", dir, "--timeout", "25m")
		cmd.Env = append(filteredEnv(), mainEnv+"=1", "ROSTERCHECK_CLIENT_SECRET="+secret)
		run, wall, rssMiB := harnessRun(b, cmd, dir)
		b.ReportMetric(rssMiB, "peak-RSS-MiB")
		b.ReportMetric(wall.Seconds(), "run-s")
		b.ReportMetric(float64(run.Stats.Records), "records")
		b.ReportMetric(float64(run.Summary.Total), "checks")
	}
}
