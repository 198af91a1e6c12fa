package runner_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/websocket"
)

// A minimal Chrome DevTools Protocol client: enough to open a file in
// Debian's headless Chromium at 1280 px, collect console errors and
// evaluate expressions. No browser is downloaded: without one on the PATH
// the browser tests skip and say so.

// findBrowser returns the Chromium binary, or "".
func findBrowser() string {
	if p := os.Getenv("ROSTERCHECK_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

type cdpPage struct {
	ws     *websocket.Conn
	mu     sync.Mutex
	nextID int
	wait   map[int]chan cdpMsg
	events chan cdpMsg
	errs   []string
	errMu  sync.Mutex
}

type cdpMsg struct {
	ID     int             `json:"id,omitempty"`
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

var devtoolsRE = regexp.MustCompile(`DevTools listening on (ws://\S+)`)

// startBrowser starts headless Chromium and opens one page target.
func startBrowser(t *testing.T) *cdpPage {
	t.Helper()
	bin := findBrowser()
	if bin == "" {
		t.Skip("no Chromium on the PATH (Debian: apt-get install chromium; .ci/run installs it): the report.html browser test cannot run here")
	}
	// Chromium's own profile directory: its helper processes may still be
	// writing to it when the browser exits, so it is removed after the
	// whole process group is gone, not by t.TempDir's strict cleanup.
	profile, err := os.MkdirTemp("", "rostercheck-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
		"--remote-debugging-address=127.0.0.1", "--remote-allow-origins=*", "--remote-debugging-port=0", "--user-data-dir="+profile,
		"--window-size=1280,900", "about:blank")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) } // the helpers too
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		_ = os.RemoveAll(profile)
		t.Skipf("Chromium at %s does not start (%v): the report.html browser test cannot run here", bin, err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		for i := 0; i < 20 && os.RemoveAll(profile) != nil; i++ {
			time.Sleep(50 * time.Millisecond)
		}
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := devtoolsRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	var browserWS string
	select {
	case browserWS = <-found:
	case <-time.After(60 * time.Second): // a hang guard on a loaded machine, not a timing assertion
		t.Fatal("Chromium did not print its DevTools address")
	}
	host := strings.TrimPrefix(browserWS, "ws://")
	host = host[:strings.Index(host, "/")]
	req, _ := http.NewRequest(http.MethodPut, "http://"+host+"/json/new?about:blank", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var target struct {
		WS string `json:"webSocketDebuggerUrl"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&target); err != nil || target.WS == "" {
		t.Fatalf("new target: %v %+v", err, target)
	}
	ws, err := websocket.Dial(target.WS, "", "http://127.0.0.1/")
	if err != nil {
		t.Fatal(err)
	}
	ws.MaxPayloadBytes = 64 << 20
	t.Cleanup(func() { ws.Close() })
	p := &cdpPage{ws: ws, wait: map[int]chan cdpMsg{}, events: make(chan cdpMsg, 1024)}
	go p.read()
	for _, m := range []string{"Runtime.enable", "Log.enable", "Page.enable"} {
		p.call(t, m, nil)
	}
	p.call(t, "Emulation.setDeviceMetricsOverride", map[string]any{"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false})
	return p
}

func (p *cdpPage) read() {
	for {
		var m cdpMsg
		if err := websocket.JSON.Receive(p.ws, &m); err != nil {
			close(p.events)
			return
		}
		if m.ID != 0 {
			p.mu.Lock()
			ch := p.wait[m.ID]
			delete(p.wait, m.ID)
			p.mu.Unlock()
			if ch != nil {
				ch <- m
			}
			continue
		}
		switch m.Method {
		case "Runtime.consoleAPICalled":
			var ev struct {
				Type string `json:"type"`
				Args []struct {
					Value any `json:"value"`
				} `json:"args"`
			}
			if json.Unmarshal(m.Params, &ev) == nil && (ev.Type == "error" || ev.Type == "assert") {
				p.addErr(fmt.Sprintf("console.%s %v", ev.Type, ev.Args))
			}
		case "Runtime.exceptionThrown":
			p.addErr("exception: " + string(m.Params))
		case "Log.entryAdded":
			var ev struct {
				Entry struct {
					Level, Text, URL string
				} `json:"entry"`
			}
			if json.Unmarshal(m.Params, &ev) == nil && ev.Entry.Level == "error" {
				p.addErr(fmt.Sprintf("log error: %s %s", ev.Entry.Text, ev.Entry.URL))
			}
		}
		select {
		case p.events <- m:
		default:
		}
	}
}

func (p *cdpPage) addErr(s string) {
	p.errMu.Lock()
	p.errs = append(p.errs, s)
	p.errMu.Unlock()
}

func (p *cdpPage) consoleErrors() []string {
	p.errMu.Lock()
	defer p.errMu.Unlock()
	return append([]string(nil), p.errs...)
}

func (p *cdpPage) call(t *testing.T, method string, params any) json.RawMessage {
	t.Helper()
	p.mu.Lock()
	p.nextID++
	id := p.nextID
	ch := make(chan cdpMsg, 1)
	p.wait[id] = ch
	p.mu.Unlock()
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if err := websocket.JSON.Send(p.ws, msg); err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	select {
	case m := <-ch:
		if m.Error != nil {
			t.Fatalf("%s: %s", method, m.Error.Message)
		}
		return m.Result
	case <-time.After(60 * time.Second):
		t.Fatalf("%s: no answer from Chromium", method)
	}
	return nil
}

// open navigates to a file (or a URL) and waits for its load event.
func (p *cdpPage) open(t *testing.T, path string) {
	t.Helper()
	p.errMu.Lock()
	p.errs = nil
	p.errMu.Unlock()
	u := path
	if strings.HasPrefix(path, "/") {
		u = "file://" + path
	}
	p.call(t, "Page.navigate", map[string]any{"url": u})
	deadline := time.After(60 * time.Second)
	for {
		select {
		case m, ok := <-p.events:
			if !ok {
				t.Fatal("Chromium closed the connection")
			}
			if m.Method == "Page.loadEventFired" {
				return
			}
		case <-deadline:
			t.Fatalf("%s did not load", path)
		}
	}
}

// eval evaluates a JavaScript expression and decodes its JSON value into out.
func (p *cdpPage) eval(t *testing.T, expr string, out any) {
	t.Helper()
	res := p.call(t, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true})
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails json.RawMessage `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(res, &r); err != nil || len(r.ExceptionDetails) > 0 {
		t.Fatalf("evaluate %q: %v %s", expr, err, r.ExceptionDetails)
	}
	if err := json.Unmarshal(r.Result.Value, out); err != nil {
		t.Fatalf("evaluate %q: %v (%s)", expr, err, r.Result.Value)
	}
}

// pageFacts is what the browser test reads off a rendered report.
type pageFacts struct {
	Verdict        string `json:"verdict"`
	VerdictVisible bool   `json:"verdictVisible"`
	Cards          int    `json:"cards"`
	MatrixVisible  bool   `json:"matrixVisible"`
	MatrixRows     int    `json:"matrixRows"`
	FailCells      int    `json:"failCells"`
	Groups         int    `json:"groups"`
	GroupVisible   bool   `json:"groupVisible"`
	GroupCollapsed bool   `json:"groupCollapsed"`
	ScrollWidth    int    `json:"scrollWidth"`
	ClientWidth    int    `json:"clientWidth"`
	Width          int    `json:"width"`
}

const factsJS = `(() => {
  const vis = el => { if (!el) return false; const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
  const v = document.querySelector('#verdict h1 .big');
  const m = document.querySelector('#matrix table.matrix');
  const g = document.querySelector('#failures details.group');
  return {
    verdict: v ? v.textContent.trim() : '', verdictVisible: vis(v),
    cards: document.querySelectorAll('#verdict .card').length,
    matrixVisible: vis(m), matrixRows: m ? m.tBodies[0].rows.length : 0,
    failCells: document.querySelectorAll('#matrix td.c-fail').length,
    groups: document.querySelectorAll('#failures details.group').length,
    groupVisible: vis(g && g.querySelector('summary')), groupCollapsed: g ? !g.open : false,
    scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth,
    width: window.innerWidth,
  };
})()`
