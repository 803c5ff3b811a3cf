package gather_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatherdev/gather"
	"github.com/gatherdev/gather/gathertest"
)

// With Grace, cancelling ctx stops sending; what is in flight and finishes
// within the grace is yielded, the rest is not.
func TestGrace(t *testing.T) {
	srv := gathertest.NewServer(t)
	reqs := []gather.Request{{URL: srv.URL + "/delay/400"}, {URL: srv.URL + "/hang"}}
	reqs = append(reqs, urls(srv.URL, "/delay/400", 50)...) // queued behind: never sent
	c := gather.New(gather.Options{Concurrency: 2, Grace: time.Second})
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	var got []string
	for r := range c.Stream(ctx, slices.Values(reqs)) {
		got = append(got, r.Request.URL)
	}
	wall := time.Since(start)
	if len(got) != 1 || got[0] != reqs[0].URL {
		t.Errorf("results %v, want only the request that finished within the grace", got)
	}
	if wall < time.Second || wall > 5*time.Second {
		t.Errorf("took %v: the hanging request should be abandoned after the 1 s grace", wall)
	}
	if sent := srv.Requests(); sent != 2 {
		t.Errorf("%d requests sent, want 2: nothing new after the cancel", sent)
	}
}

// A request waiting to retry when ctx is cancelled is not retried.
func TestGraceStopsRetries(t *testing.T) {
	srv := gathertest.NewServer(t)
	// A fixed wait: with full jitter, one run in fifty waited under the
	// 200 ms before the cancel and retried.
	tenSeconds := func(int, time.Duration, time.Duration) time.Duration { return 10 * time.Second }
	c := gather.New(gather.Options{Grace: 5 * time.Second, BackoffFunc: tenSeconds, MaxBackoff: 10 * time.Second})
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	n := 0
	for range c.Stream(ctx, slices.Values([]gather.Request{{URL: srv.URL + "/status/503"}})) {
		n++
	}
	if n != 0 || srv.Requests() != 1 || time.Since(start) > 4*time.Second {
		t.Errorf("%d results, %d sent, %v: want none, 1, and no wait for the grace", n, srv.Requests(), time.Since(start))
	}
}

func TestSaveDirLibrary(t *testing.T) {
	srv := gathertest.NewServer(t)
	dir := filepath.Join(t.TempDir(), "bodies")
	c := gather.New(gather.Options{SaveDir: dir})
	defer c.Close()
	results := c.FetchAll(context.Background(), []gather.Request{
		{URL: srv.URL + "/bytes/100000"}, {URL: srv.URL + "/bytes/100000?again"}, {URL: srv.URL + "/status/500"},
	})
	resp, err := http.Get(srv.URL + "/bytes/100000")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, r := range results[:2] {
		got, err := os.ReadFile(r.File)
		if err != nil || string(got) != string(want) || r.Body != nil || !strings.HasPrefix(r.File, dir) {
			t.Errorf("%s: file %q (%v), %d bytes, body kept %v", r.Request.URL, r.File, err, len(got), r.Body != nil)
		}
	}
	if results[0].File == results[1].File {
		t.Errorf("two requests share the file %s", results[0].File)
	}
	if results[2].File != "" || results[2].Body != nil || results[2].Bytes == 0 {
		t.Errorf("a 500's body is neither saved nor kept, only counted: file %q, body %d bytes, bytes %d", results[2].File, len(results[2].Body), results[2].Bytes)
	}

	notDir := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notDir, []byte("x"), 0o644)
	bad := gather.New(gather.Options{SaveDir: notDir})
	defer bad.Close()
	res := bad.Fetch(context.Background(), gather.Request{URL: srv.URL + "/status/200"})
	var se *gather.SaveError
	if !errors.As(res.Err, &se) || res.OK() || res.Attempts != 1 {
		t.Errorf("save into a file: err %v ok %v attempts %d, want a *SaveError, not retried", res.Err, res.OK(), res.Attempts)
	}
}

// With DenyPrivate, even loopback is refused: no packet reaches the server.
func TestDenyPrivateRefusesLoopback(t *testing.T) {
	srv := gathertest.NewServer(t)
	c := gather.New(gather.Options{DenyPrivate: true})
	defer c.Close()
	res := c.Fetch(context.Background(), gather.Request{URL: srv.URL + "/status/200"})
	var denied *gather.DeniedAddressError
	if res.Kind() != gather.KindConnection || !errors.As(res.Err, &denied) || res.Attempts != 1 {
		t.Errorf("kind %q attempts %d err %v; want connection, 1 attempt, a *DeniedAddressError", res.Kind(), res.Attempts, res.Err)
	}
	if !strings.Contains(res.Err.Error(), "loopback") {
		t.Errorf("message %q does not say why", res.Err)
	}
	if srv.Connections() != 0 {
		t.Errorf("the server saw %d connections", srv.Connections())
	}
}

func openFDs(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd here")
	}
	return len(entries)
}

// File descriptors return to their baseline after runs that end every way:
// done, at a deadline, cancelled with a grace, and broken off.
func TestNoDescriptorLeak(t *testing.T) {
	srv := gathertest.NewServer(t)
	reqs := append(urls(srv.URL, "/status/200", 30), urls(srv.URL, "/hang", 5)...)
	reqs = append(reqs, urls(srv.URL, "/reset/1", 5)...)
	base := openFDs(t)
	for _, o := range []gather.Options{
		{Concurrency: 10, Timeout: 200 * time.Millisecond, Retries: -1},
		{Concurrency: 10, Deadline: 300 * time.Millisecond},
		{Concurrency: 10, Grace: 100 * time.Millisecond},
	} {
		c := gather.New(o)
		ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
		n := 0
		for range c.Stream(ctx, slices.Values(reqs)) {
			if n++; n == 20 && o.Grace == 0 && o.Deadline == 0 {
				break
			}
		}
		cancel()
		c.Close()
	}
	srv.Close() // the server's side of the connections too
	time.Sleep(100 * time.Millisecond)
	if now := openFDs(t); now > base {
		t.Errorf("%d descriptors open after the runs, %d before", now, base)
	}
}
