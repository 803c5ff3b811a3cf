package gather_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatherdev/gather"
	"github.com/gatherdev/gather/gathertest"
)

func urls(base, path string, n int) []gather.Request {
	reqs := make([]gather.Request, n)
	for i := range reqs {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		reqs[i] = gather.Request{URL: fmt.Sprintf("%s%s%si=%d", base, path, sep, i)}
	}
	return reqs
}

func collect(t *testing.T, o gather.Options, reqs []gather.Request) []gather.Result {
	t.Helper()
	c := gather.New(o)
	defer c.Close()
	var out []gather.Result
	for r := range c.Stream(context.Background(), slices.Values(reqs)) {
		out = append(out, r)
	}
	return out
}

func TestPerHostCap(t *testing.T) {
	a, b := gathertest.NewServer(t), gathertest.NewServer(t)
	reqs := append(urls(a.URL, "/delay/30", 40), urls(b.URL, "/delay/30", 40)...)
	results := collect(t, gather.Options{Concurrency: 20, PerHost: 3}, reqs)
	if len(results) != 80 {
		t.Fatalf("%d results", len(results))
	}
	for _, srv := range []*gathertest.Server{a, b} {
		if peak := srv.PeakInFlight(); peak > 3 || peak < 2 {
			t.Errorf("peak in flight on one host = %d, want 2 or 3 with PerHost 3", peak)
		}
	}
}

func TestPerHostCapHoldsThroughRetries(t *testing.T) {
	srv := gathertest.NewServer(t)
	reqs := urls(srv.URL, "/flaky/2", 12)
	results := collect(t, gather.Options{Concurrency: 10, PerHost: 2, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}, reqs)
	for _, r := range results {
		if !r.OK() || r.Attempts != 3 {
			t.Fatalf("%s: ok %v attempts %d", r.Request.URL, r.OK(), r.Attempts)
		}
	}
	if peak := srv.PeakInFlight(); peak > 2 {
		t.Errorf("peak in flight %d with PerHost 2", peak)
	}
}

// A capped slow host must not hold up the fast hosts queued behind it.
func TestSlowHostDoesNotBlockOthers(t *testing.T) {
	slow, fast := gathertest.NewServer(t), gathertest.NewServer(t)
	reqs := append(urls(slow.URL, "/delay/150", 30), urls(fast.URL, "/status/200", 300)...)
	results := collect(t, gather.Options{Concurrency: 20, PerHost: 2}, reqs)
	lastFast, slowBefore := -1, 0
	for i, r := range results {
		if strings.HasPrefix(r.Request.URL, fast.URL) {
			lastFast = i
		}
	}
	for _, r := range results[:lastFast] {
		if strings.HasPrefix(r.Request.URL, slow.URL) {
			slowBefore++
		}
	}
	// The slow host needs 15 rounds of 150 ms at 2 in flight; the fast one
	// finishes long before, while only a few slow results are in.
	if slowBefore > 20 {
		t.Errorf("%d of 30 slow results came before the last fast one: the slow host held up the rest", slowBefore)
	}
}

func TestRate(t *testing.T) {
	srv := gathertest.NewServer(t)
	const n, perSecond = 30, 20.0
	start := time.Now()
	results := collect(t, gather.Options{Concurrency: 10, Rate: perSecond}, urls(srv.URL, "/status/200", n))
	wall := time.Since(start)
	ideal := time.Duration(float64(n-1) / perSecond * float64(time.Second)) // a burst of 1: the first goes at once
	if len(results) != n {
		t.Fatalf("%d results", len(results))
	}
	if wall < ideal-50*time.Millisecond || wall > 2*ideal+time.Second {
		t.Errorf("%d requests at %v/s took %v, want about %v (no faster, at most twice as slow)", n, perSecond, wall, ideal)
	}
}

func TestRatePerHost(t *testing.T) {
	a, b := gathertest.NewServer(t), gathertest.NewServer(t)
	reqs := append(urls(a.URL, "/status/200", 10), urls(b.URL, "/status/200", 10)...)
	start := time.Now()
	collect(t, gather.Options{Concurrency: 10, RatePerHost: 10}, reqs)
	wall := time.Since(start)
	// Each host: 10 requests at 10/s, 0.9 s; the two hosts go side by side.
	if wall < 850*time.Millisecond || wall > 3*time.Second {
		t.Errorf("2 hosts × 10 requests at 10/s per host took %v, want about 0.9 s", wall)
	}
}

func TestDeadline(t *testing.T) {
	srv := gathertest.NewServer(t)
	var reqs []gather.Request
	for i := range 40 {
		if i%8 == 3 {
			reqs = append(reqs, gather.Request{URL: fmt.Sprintf("%s/hang?i=%d", srv.URL, i)})
		} else {
			reqs = append(reqs, gather.Request{URL: fmt.Sprintf("%s/status/200?i=%d", srv.URL, i)})
		}
	}
	reqs = append(reqs, gather.Request{URL: "ftp://invalid/"})
	start := time.Now()
	// 5 requests hang; the 35 fast ones have 11 workers and a second and a half.
	results := collect(t, gather.Options{Concurrency: 16, Deadline: 1500 * time.Millisecond, Timeout: time.Minute}, reqs)
	wall := time.Since(start)
	if len(results) != len(reqs) {
		t.Fatalf("%d results for %d requests", len(results), len(reqs))
	}
	for _, r := range results {
		switch {
		case strings.Contains(r.Request.URL, "/hang"):
			if r.Kind() != gather.KindDeadline || r.Status != 0 || r.Attempts != 1 {
				t.Errorf("%s: kind %q status %d attempts %d, want deadline, 0, 1", r.Request.URL, r.Kind(), r.Status, r.Attempts)
			}
		case strings.HasPrefix(r.Request.URL, "ftp"):
			if r.Kind() != gather.KindInvalid {
				t.Errorf("invalid request: kind %q", r.Kind())
			}
		default:
			if !r.OK() {
				t.Errorf("%s: %v, want ok", r.Request.URL, r.Err)
			}
		}
	}
	if wall < 1400*time.Millisecond || wall > 5*time.Second {
		t.Errorf("run took %v with a 1.5 s deadline", wall)
	}
}

func TestDeadlineCutsBackoffAndQueue(t *testing.T) {
	srv := gathertest.NewServer(t)
	reqs := append([]gather.Request{{URL: srv.URL + "/status/503"}}, urls(srv.URL, "/delay/100", 50)...)
	start := time.Now()
	results := collect(t, gather.Options{Concurrency: 2, Deadline: 300 * time.Millisecond, Backoff: 10 * time.Second, MaxBackoff: 10 * time.Second}, reqs)
	if wall := time.Since(start); wall > 3*time.Second {
		t.Errorf("backoff slept past the deadline: %v", wall)
	}
	deadline, neverSent := 0, 0
	for _, r := range results {
		if r.Kind() == gather.KindDeadline {
			deadline++
			if r.Attempts == 0 {
				neverSent++
				if !r.Started.IsZero() {
					t.Errorf("a request never sent has a start time")
				}
			}
		}
	}
	if len(results) != 51 || deadline < 40 || neverSent < 30 {
		t.Errorf("%d results, %d deadline, %d never sent; want 51, most of them deadline", len(results), deadline, neverSent)
	}
}

func TestOrdered(t *testing.T) {
	srv := gathertest.NewServer(t)
	rnd := rand.New(rand.NewPCG(1, 2))
	var reqs []gather.Request
	for i := range 200 {
		reqs = append(reqs, gather.Request{URL: fmt.Sprintf("%s/delay/%d?i=%d", srv.URL, rnd.IntN(30), i)})
	}
	reqs = slices.Insert(reqs, 50, gather.Request{URL: "not a url"})
	reqs = slices.Insert(reqs, 10, reqs[5]) // a repeat: left out
	results := collect(t, gather.Options{Concurrency: 16, Ordered: true}, reqs)
	want := slices.Delete(slices.Clone(reqs), 10, 11)
	if len(results) != len(want) {
		t.Fatalf("%d results, want %d", len(results), len(want))
	}
	for i, r := range results {
		if r.Request.URL != want[i].URL {
			t.Fatalf("result %d is %q, want %q", i, r.Request.URL, want[i].URL)
		}
	}
	// The window bounds how far the work runs ahead of the output.
	if peak := srv.PeakInFlight(); peak > 16 {
		t.Errorf("peak in flight %d with concurrency 16", peak)
	}
}

func TestOrderedWindowIsBounded(t *testing.T) {
	srv := gathertest.NewServer(t)
	// One slow request first; with a window of 8, at most 8 requests can be
	// sent before its result is out, however many workers are idle.
	reqs := append([]gather.Request{{URL: srv.URL + "/delay/400"}}, urls(srv.URL, "/status/200", 50)...)
	c := gather.New(gather.Options{Concurrency: 20, Ordered: true, OrderWindow: 8})
	defer c.Close()
	first := true
	for r := range c.Stream(context.Background(), slices.Values(reqs)) {
		if first {
			first = false
			if got := srv.Requests(); got > 8 {
				t.Errorf("%d requests sent while the first was pending, window 8", got)
			}
			if !strings.Contains(r.Request.URL, "/delay/400") {
				t.Errorf("first result %q", r.Request.URL)
			}
		}
	}
}

// A 429 with Retry-After pauses new requests to its host, not to others.
func TestRetryAfterPausesHost(t *testing.T) {
	a, b := gathertest.NewServer(t), gathertest.NewServer(t)
	reqs := []gather.Request{{URL: a.URL + "/ratelimit/1"}, {URL: a.URL + "/delay/50"}}
	reqs = append(reqs, urls(a.URL, "/status/200", 5)...)
	reqs = append(reqs, urls(b.URL, "/delay/100", 3)...)
	start := time.Now()
	results := collect(t, gather.Options{Concurrency: 10, PerHost: 2, MaxBackoff: 5 * time.Second}, reqs)
	// The other host's requests are done before the paused host resumes: an
	// order, not a time, which a slow machine cannot upset (it only delays).
	// Held behind the pause, they would end 100 ms after it.
	resumed := time.Duration(math.MaxInt64)
	for _, r := range results {
		if !r.OK() {
			t.Errorf("%s: %v", r.Request.URL, r.Err)
		}
		if began := r.Started.Sub(start); strings.HasPrefix(r.Request.URL, a.URL+"/status/200") {
			if began < 800*time.Millisecond {
				t.Errorf("%s started %v after the start, inside the host's 1 s pause", r.Request.URL, began)
			}
			resumed = min(resumed, began)
		}
	}
	for _, r := range results {
		if ended := r.Started.Add(r.Elapsed).Sub(start); strings.HasPrefix(r.Request.URL, b.URL) && ended >= resumed {
			t.Errorf("%s on another host ended only after %v, when the paused host had resumed (%v)", r.Request.URL, ended, resumed)
		}
	}
}

func TestRetryAfterPauseIsCapped(t *testing.T) {
	srv := gathertest.NewServer(t)
	reqs := append([]gather.Request{{URL: srv.URL + "/ratelimit/86400"}}, urls(srv.URL, "/status/200", 3)...)
	start := time.Now()
	results := collect(t, gather.Options{PerHost: 1, MaxBackoff: 200 * time.Millisecond}, reqs)
	if wall := time.Since(start); wall > 5*time.Second {
		t.Errorf("a day's Retry-After stalled the host for %v; MaxBackoff is 200ms", wall)
	}
	for _, r := range results {
		if !r.OK() {
			t.Errorf("%s: %v", r.Request.URL, r.Err)
		}
	}
}
