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
	"sync/atomic"
	"testing"
	"time"

	"github.com/rostercheck/rostercheck/fixtures/district"
	"github.com/rostercheck/rostercheck/fixtures/provider"
	"github.com/rostercheck/rostercheck/reports"
	"github.com/rostercheck/rostercheck/suites/catalogue"
)

// plainEnv makes the test binary the plain concurrent reader (see TestMain).
const plainEnv = "ROSTERCHECK_BENCH_PLAIN_READER"

// sdsEndpoints are the collections the sds profile reads (seed 001).
var sdsEndpoints = []string{"/academicSessions", "/orgs", "/users", "/classes", "/enrollments", "/courses", "/demographics"}

type benchRow struct {
	size     string
	delay    time.Duration
	profile  string
	pageSize int
}

// BenchmarkTable prints issue 11's table: the harness against the least
// work any consumer must do, a plain concurrent reader that fetches every
// top-level page of the profile's collections and decodes its JSON, at
// the same page size and concurrency, one after the other in one run.
// The reference provider runs in this process behind a proxy that adds a
// fixed delay to every API request; the harness and the plain reader run
// in their own processes, so each peak RSS is its own. Figures are
// printed, never asserted.
//
//	make bench    (or: go test -run '^$' -bench Table -benchtime 1x -timeout 60m ./runner/)
//
// ROSTERCHECK_BENCH_SIZES=medium limits the districts.
func BenchmarkTable(b *testing.B) {
	rows := []benchRow{
		{"medium", 0, "oneroster-1.1", 100},
		{"medium", 50 * time.Millisecond, "oneroster-1.1", 100},
		{"medium", 50 * time.Millisecond, "sds", 5000},
		{"large", 0, "oneroster-1.1", 100},
		{"large", 0, "sds", 5000},
		{"large", 50 * time.Millisecond, "sds", 5000},
	}
	sizes := []string{"medium", "large"}
	if v := os.Getenv("ROSTERCHECK_BENCH_SIZES"); v != "" {
		sizes = strings.Split(v, ",")
	}
	const format = "%-8s  %-5s  %-18s  %8s  %8s  %6s  %-13s  %10s  %8s  %8s  %s\n"
	fmt.Printf(format, "district", "delay", "profile@limit", "harness", "plain", "ratio", "requests h/p", "records/s", "RSS h", "RSS p", "verdict")
	for i := 0; i < b.N; i++ {
		for _, size := range sizes {
			d, err := district.Generate(district.Spec{Seed: 1, Size: size})
			if err != nil {
				b.Fatal(err)
			}
			const id, secret = "bench", "bench-secret-0123456789"
			p, err := provider.New(provider.Options{District: d, ClientID: id, ClientSecret: secret})
			if err != nil {
				b.Fatal(err)
			}
			var delay atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if dl := time.Duration(delay.Load()); dl > 0 && strings.HasPrefix(r.URL.Path, provider.BasePath) {
					time.Sleep(dl)
				}
				p.ServeHTTP(w, r)
			}))
			for _, row := range rows {
				if row.size != size {
					continue
				}
				delay.Store(int64(row.delay))
				plain := runPlain(b, srv.URL, id, secret, row)
				h := runHarness(b, srv.URL, id, secret, row)
				fmt.Printf(format, row.size, row.delay, fmt.Sprintf("%s@%d", row.profile, row.pageSize),
					fmt.Sprintf("%.1f s", h.wall.Seconds()), fmt.Sprintf("%.1f s", plain.wall.Seconds()),
					fmt.Sprintf("%.1fx", h.wall.Seconds()/plain.wall.Seconds()), fmt.Sprintf("%d/%d", h.requests, plain.requests),
					fmt.Sprintf("%.0f", float64(h.records)/h.wall.Seconds()), fmt.Sprintf("%d MB", h.rss>>20), fmt.Sprintf("%d MB", plain.rss>>20), h.verdict)
			}
			srv.Close()
		}
	}
	fmt.Println("(ratio: harness wall time / plain reader wall time; --concurrency 8 for both; RSS: VmHWM of each child process)")
}

// peakRSS polls the child's VmHWM (its own peak resident set; getrusage
// of a child reports the parent's RSS at fork once the parent is larger)
// until done is closed, and returns the last value in bytes.
func peakRSS(pid int, done <-chan struct{}) int64 {
	var last int64
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
					if kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64); err == nil {
						last = max(last, kb<<10)
					}
				}
			}
		}
		select {
		case <-done:
			return last
		case <-t.C:
		}
	}
}

// runChild runs cmd, returning its combined output, wall time and peak RSS.
func runChild(cmd *exec.Cmd, combined bool) ([]byte, time.Duration, int64, error) {
	var out strings.Builder
	cmd.Stdout = &out
	if combined {
		cmd.Stderr = &out
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, 0, err
	}
	done := make(chan struct{})
	rss := make(chan int64, 1)
	go func() { rss <- peakRSS(cmd.Process.Pid, done) }()
	err := cmd.Wait()
	wall := time.Since(start)
	close(done)
	return []byte(out.String()), wall, <-rss, err
}

type benchResult struct {
	wall              time.Duration
	requests, records int64
	rss               int64 // bytes
	verdict           string
}

func runHarness(b *testing.B, root, id, secret string, row benchRow) benchResult {
	dir := b.TempDir()
	exe, _ := os.Executable()
	cmd := exec.Command(exe, "run", "--base-url", root+provider.BasePath, "--token-url", root+provider.TokenPath,
		"--client-id", id, "--profile", row.profile, "--page-size", strconv.Itoa(row.pageSize), "--out", dir)
	cmd.Env = append(filteredEnv(), mainEnv+"=1", "ROSTERCHECK_CLIENT_SECRET="+secret)
	out, wall, rss, err := runChild(cmd, true)
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		b.Fatalf("run: %v\n%s", err, out)
	}
	f, err := os.Open(filepath.Join(dir, "results.json"))
	if err != nil {
		b.Fatalf("%v\n%s", err, out)
	}
	run, err := reports.ReadJSON(f)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	return benchResult{wall: wall, requests: run.Stats.Requests, records: run.Stats.Records, rss: rss, verdict: run.Verdict}
}

func runPlain(b *testing.B, root, id, secret string, row benchRow) benchResult {
	eps := sdsEndpoints
	if row.profile != "sds" {
		eps = nil
		for _, ep := range catalogue.Endpoints {
			if ep.TopLevel() {
				eps = append(eps, ep.Path)
			}
		}
	}
	exe, _ := os.Executable()
	cmd := exec.Command(exe)
	cmd.Env = append(filteredEnv(), plainEnv+"=1", "PLAIN_ROOT="+root, "PLAIN_ID="+id, "PLAIN_SECRET="+secret,
		"PLAIN_LIMIT="+strconv.Itoa(row.pageSize), "PLAIN_CONCURRENCY=8", "PLAIN_ENDPOINTS="+strings.Join(eps, ","))
	out, wall, rss, err := runChild(cmd, false)
	if err != nil {
		b.Fatalf("plain reader: %v\n%s", err, out)
	}
	var res struct{ Requests, Records int64 }
	if err := json.Unmarshal(out, &res); err != nil {
		b.Fatalf("plain reader output %q: %v", out, err)
	}
	return benchResult{wall: wall, requests: res.Requests, records: res.Records, rss: rss, verdict: "-"}
}

// plainReaderMain is the plain concurrent reader: a token, then every page
// of every endpoint (first pages first, then the remaining offsets from
// X-Total-Count), CONCURRENCY at a time, each body read and decoded.
func plainReaderMain() int {
	root, limit := os.Getenv("PLAIN_ROOT"), os.Getenv("PLAIN_LIMIT")
	lim, _ := strconv.Atoi(limit)
	conc, _ := strconv.Atoi(os.Getenv("PLAIN_CONCURRENCY"))
	req, _ := http.NewRequest("POST", root+provider.TokenPath, strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(os.Getenv("PLAIN_ID"), os.Getenv("PLAIN_SECRET"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	http.DefaultTransport.(*http.Transport).MaxIdleConnsPerHost = conc
	var requests, records atomic.Int64
	get := func(path string, off int) (total int, ok bool) {
		r, _ := http.NewRequest("GET", fmt.Sprintf("%s%s%s?limit=%d&offset=%d", root, provider.BasePath, path, lim, off), nil)
		r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			return 0, false
		}
		defer resp.Body.Close()
		requests.Add(1)
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return 0, false
		}
		var doc map[string]any
		if json.Unmarshal(body, &doc) != nil {
			return 0, false
		}
		for _, v := range doc {
			if a, ok := v.([]any); ok {
				records.Add(int64(len(a)))
			}
		}
		total, _ = strconv.Atoi(resp.Header.Get("X-Total-Count"))
		return total, true
	}
	type job struct {
		path string
		off  int
	}
	jobs := make(chan job, 1<<16)
	var pending sync.WaitGroup
	var workers sync.WaitGroup
	for i := 0; i < conc; i++ {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for j := range jobs {
				total, ok := get(j.path, j.off)
				if ok && j.off == 0 {
					for off := lim; off < total; off += lim {
						pending.Add(1)
						jobs <- job{j.path, off}
					}
				}
				pending.Done()
			}
		}()
	}
	for _, p := range strings.Split(os.Getenv("PLAIN_ENDPOINTS"), ",") {
		pending.Add(1)
		jobs <- job{p, 0}
	}
	pending.Wait()
	close(jobs)
	workers.Wait()
	out, _ := json.Marshal(map[string]int64{"requests": requests.Load(), "records": records.Load()})
	fmt.Println(string(out))
	return 0
}
