package suites

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/rostercheck/rostercheck/internal/client"
)

// cleanupTimeout bounds the cleanup of one check (and the run's sweep): it
// runs on a context of its own, so an interrupt does not stop it.
const cleanupTimeout = 30 * time.Second

// Leftover is an object the harness wrote and could not delete.
type Leftover struct {
	Collection string // categories | lineItems | results, or a 1.2 path such as gradebook/v1p2/lineItems
	ID         string
	CheckID    string
	Reason     string
}

// Path is the leftover's single-object path under the OneRoster root.
func (l Leftover) Path() string { return "/" + l.Collection + "/" + url.PathEscape(l.ID) }

// Tracker remembers every object a write check may have created, from the
// moment before its PUT is sent until it is verified gone, and deletes
// what is left: at the end of each check, at the end of the run (Sweep), on
// failure and after an interrupt. It is safe for concurrent use.
type Tracker struct {
	mu       sync.Mutex
	live     []tracked // creation order
	inflight sync.WaitGroup
	// unsure are objects whose PUT got no answer (an interrupt, a
	// timeout): the server may still store them after a first cleanup, so
	// the run's sweep deletes them once more.
	unsure map[tracked]bool
}

type tracked struct {
	coll, id, check string
}

// track registers an object before the PUT that may create it.
func (t *Tracker) track(check, coll, id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, o := range t.live {
		if o.coll == coll && o.id == id {
			return
		}
	}
	t.live = append(t.live, tracked{coll, id, check})
}

// unanswered marks an object whose PUT got no answer.
func (t *Tracker) unanswered(check, coll, id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.unsure == nil {
		t.unsure = map[tracked]bool{}
	}
	t.unsure[tracked{coll, id, check}] = true
}

func (t *Tracker) isUnsure(o tracked) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.unsure[o]
}

// gone forgets an object the check itself verified deleted (GET 404).
func (t *Tracker) gone(coll, id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, o := range t.live {
		if o.coll == coll && o.id == id {
			t.live = append(t.live[:i], t.live[i+1:]...)
			return
		}
	}
}

// claim takes the objects of one check (all when check is ""), newest
// first, out of the tracker.
func (t *Tracker) claim(check string) []tracked {
	t.mu.Lock()
	defer t.mu.Unlock()
	var mine, keep []tracked
	for _, o := range t.live {
		if check == "" || o.check == check {
			mine = append(mine, o)
		} else {
			keep = append(keep, o)
		}
	}
	t.live = keep
	for i, j := 0, len(mine)-1; i < j; i, j = i+1, j-1 {
		mine[i], mine[j] = mine[j], mine[i]
	}
	if len(mine) > 0 {
		t.inflight.Add(1)
	}
	return mine
}

// Pending returns how many objects are tracked and not yet deleted.
func (t *Tracker) Pending() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.live)
}

// cleanup deletes the objects of a check; those it cannot delete go back to
// the tracker, for the run's sweep to try again.
func (e *Env) cleanup(ctx context.Context, check string) {
	t := e.Tracker
	if t == nil {
		return
	}
	objs := t.claim(check)
	if len(objs) == 0 {
		return
	}
	defer t.inflight.Done()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	for _, o := range objs {
		p := "/" + o.coll + "/" + url.PathEscape(o.id)
		if ok, _ := DeleteAndVerifyAt(ctx, e.Store, e.url(p, nil), "cleanup:"+o.check, p); !ok || t.isUnsure(o) {
			t.track(o.check, o.coll, o.id)
		}
	}
}

// Sweep deletes every object still tracked (after the checks, or after an
// interrupt: it waits up to the cleanup timeout for the checks' own
// cleanups first) and returns what could not be deleted.
func (e *Env) Sweep(ctx context.Context) []Leftover {
	t := e.Tracker
	if t == nil {
		return nil
	}
	done := make(chan struct{})
	go func() { t.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(cleanupTimeout):
	}
	objs := t.claim("")
	if len(objs) == 0 {
		return nil
	}
	defer t.inflight.Done()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	var left []Leftover
	for _, o := range objs {
		p := "/" + o.coll + "/" + url.PathEscape(o.id)
		if ok, why := DeleteAndVerifyAt(ctx, e.Store, e.url(p, nil), "cleanup:"+o.check, p); !ok {
			left = append(left, Leftover{Collection: o.coll, ID: o.id, CheckID: o.check, Reason: why})
		}
	}
	return left
}

// DeleteAndVerify deletes the object at path (under base) and reads it back:
// true once a GET answers 404 (or 410). A DELETE that answers success but
// leaves the object is sent once more. why says what went wrong.
func DeleteAndVerify(ctx context.Context, store *client.Store, base, checkID, path string) (ok bool, why string) {
	return DeleteAndVerifyAt(ctx, store, strings.TrimRight(base, "/")+path, checkID, path)
}

// DeleteAndVerifyAt is DeleteAndVerify of the object at the absolute URL
// u, whose path (for messages, its last segment the id) is path.
func DeleteAndVerifyAt(ctx context.Context, store *client.Store, u, checkID, path string) (ok bool, why string) {
	id, _ := url.PathUnescape(path[strings.LastIndexByte(path, '/')+1:])
	for attempt := 0; attempt < 2; attempt++ {
		del := store.Do(ctx, client.Request{Method: http.MethodDelete, URL: u, CheckID: checkID})
		switch {
		case del.Err != nil:
			return false, fmt.Sprintf("DELETE %s: %v", path, del.Err)
		case del.Status/100 != 2 && del.Status != http.StatusNotFound && del.Status != http.StatusGone:
			return false, fmt.Sprintf("DELETE %s answered %d", path, del.Status)
		}
		get := store.Do(ctx, client.Request{Method: http.MethodGet, URL: u, CheckID: checkID})
		switch {
		case get.Err != nil:
			return false, fmt.Sprintf("GET %s after DELETE: %v", path, get.Err)
		case get.Status == http.StatusNotFound || get.Status == http.StatusGone || (get.Status/100 == 2 && !Serves(get.Body, id)):
			return true, ""
		case get.Status/100 != 2:
			return false, fmt.Sprintf("GET %s after DELETE answered %d", path, get.Status)
		}
		why = fmt.Sprintf("DELETE %s answered %d, but GET still finds the object", path, del.Status)
	}
	return false, why
}

// Serves reports whether a single-object response body holds the object
// with that sourcedId (under any wrapper key): a GET that answers 2xx
// without it does not serve the object.
func Serves(body []byte, id string) bool {
	doc, err := decodeObject(body)
	if err != nil {
		return true // unreadable: assume the worst
	}
	for _, v := range doc {
		if m, ok := v.(map[string]any); ok && m["sourcedId"] == id {
			return true
		}
	}
	return false
}
