package runner_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rostercheck/rostercheck/fixtures/district"
	"github.com/rostercheck/rostercheck/fixtures/provider"
	"github.com/rostercheck/rostercheck/reports"
	"github.com/rostercheck/rostercheck/suites/catalogue"
)

// BenchmarkFullRunMedium measures a full oneroster-1.1 run against the
// reference provider serving the medium district: records validated per
// second, the child process's peak RSS, and the ratio of the run's wall
// time to a plain concurrent fetch (no decoding, no validation) of the
// top-level pages the run walks.
//
//	go test -run '^$' -bench FullRunMedium -benchtime 1x ./runner/
func BenchmarkFullRunMedium(b *testing.B) {
	d, err := district.Generate(district.Spec{Seed: 1, Size: "medium"})
	if err != nil {
		b.Fatal(err)
	}
	const id, secret = "bench", "bench-secret-0123456789"
	p, err := provider.New(provider.Options{District: d, ClientID: id, ClientSecret: secret})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(p)
	defer srv.Close()
	base := srv.URL + provider.BasePath
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		plain, pages := plainFetch(b, srv.URL, id, secret)

		dir := b.TempDir()
		exe, _ := os.Executable()
		cmd := exec.Command(exe, "run", "--base-url", base, "--token-url", srv.URL+provider.TokenPath,
			"--client-id", id, "--profile", "oneroster-1.1", "--allow-writes", "--out", dir)
		cmd.Env = append(filteredEnv(), mainEnv+"=1", "ROSTERCHECK_CLIENT_SECRET="+secret)
		run, wall, rssMiB := harnessRun(b, cmd, dir)
		b.ReportMetric(float64(run.Stats.Records)/wall.Seconds(), "records/s")
		b.ReportMetric(float64(run.Stats.Records), "records")
		b.ReportMetric(float64(run.Stats.Requests), "requests")
		b.ReportMetric(rssMiB, "peak-RSS-MiB")
		b.ReportMetric(wall.Seconds(), "run-s")
		b.ReportMetric(plain.Seconds(), "plain-fetch-s")
		b.ReportMetric(wall.Seconds()/plain.Seconds(), "run/fetch")
		b.ReportMetric(float64(pages), "plain-pages")
	}
}

// harnessRun runs a harness child process that writes its reports to dir
// and returns its results, wall time and peak RSS in MiB (the child's own
// VmHWM, see runChild).
func harnessRun(b *testing.B, cmd *exec.Cmd, dir string) (*reports.Run, time.Duration, float64) {
	b.Helper()
	out, wall, rss, err := runChild(cmd, true)
	if err != nil {
		b.Fatalf("run: %v\n%s", err, out)
	}
	f, err := os.Open(filepath.Join(dir, "results.json"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	run, err := reports.ReadJSON(f)
	if err != nil {
		b.Fatal(err)
	}
	return run, wall, float64(rss) / (1 << 20)
}

// plainFetch walks every top-level collection with limit=100 and 8
// concurrent walkers, reading the bodies and doing nothing with them.
func plainFetch(b *testing.B, root, id, secret string) (time.Duration, int) {
	req, _ := http.NewRequest("POST", root+provider.TokenPath, strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	pages := 0
	sem := make(chan struct{}, 8)
	for _, ep := range catalogue.Endpoints {
		if !ep.TopLevel() {
			continue
		}
		wg.Add(1)
		go func(path string) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			for off := 0; ; off += 100 {
				r, _ := http.NewRequest("GET", fmt.Sprintf("%s%s%s?limit=100&offset=%d", root, provider.BasePath, path, off), nil)
				r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
				resp, err := http.DefaultClient.Do(r)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				total, _ := strconv.Atoi(resp.Header.Get("X-Total-Count"))
				mu.Lock()
				pages++
				mu.Unlock()
				if off+100 >= total {
					return
				}
			}
		}(ep.Path)
	}
	wg.Wait()
	return time.Since(start), pages
}
