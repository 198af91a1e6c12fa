package runner

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/rostercheck/rostercheck/internal/client"
)

// checkOutWritable makes sure the report directory can be written before
// any request is made (a run that finds out after 40 s has wasted them).
func checkOutWritable(dir string) error {
	if dir == "none" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return usageErr("--out %s is not writable: %v", dir, unwrapPath(err))
	}
	f, err := os.CreateTemp(dir, ".rostercheck-write-test-*")
	if err != nil {
		return usageErr("--out %s is not writable: %v", dir, unwrapPath(err))
	}
	name := f.Name()
	_ = f.Close()
	_ = os.Remove(name)
	return nil
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// notOneRosterRoot is asked when the first request answers 404: a base URL
// without /ims/oneroster/v1p1 makes every check fail the same way.
func notOneRosterRoot(ctx context.Context, store *client.Store, base string) error {
	base = strings.TrimRight(base, "/")
	for _, p := range []string{"/users?limit=1", "/academicSessions?limit=1"} {
		ex := store.Do(ctx, client.Request{Method: "GET", URL: base + p, CheckID: "preflight"})
		if ex.Status != http.StatusNotFound {
			return nil
		}
	}
	return &unreachable{msg: fmt.Sprintf("GET %s/orgs, /users and /academicSessions all answered 404: is the base URL the OneRoster root (…/ims/oneroster/v1p1)?", base)}
}

// suggestFlag returns the known flag closest to an unknown one, or "".
func suggestFlag(unknown string, names []string) string {
	unknown = strings.TrimLeft(unknown, "-")
	best, bestD := "", 4
	for _, n := range names {
		d := editDistance(strings.ToLower(unknown), n)
		if strings.ReplaceAll(n, "-", "") == strings.ReplaceAll(strings.ToLower(unknown), "_", "") {
			d = 0
		}
		if d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// secretKeys are config-file keys that hold secrets.
var secretKeys = []string{"client-secret", "password", "token"}

// secretWarnings warns about secrets written into a config file, which
// tends to be committed or shared.
func secretWarnings(path string, file map[string]string) []string {
	var out []string
	for _, k := range secretKeys {
		if v, ok := file[k]; ok && v != "" {
			out = append(out, fmt.Sprintf("warning: config file %s holds %s: keep secrets out of files that get committed or shared; set $%s instead", filepath.Base(path), k, envName(k)))
		}
	}
	return out
}
