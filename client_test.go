package gather_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatherdev/gather"
	"github.com/gatherdev/gather/gathertest"
)

// fast are options with short waits, so retry tests run quickly.
func fast(o gather.Options) gather.Options {
	if o.Backoff == 0 {
		o.Backoff = time.Millisecond
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = 5 * time.Millisecond
	}
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Second
	}
	return o
}

func fetchOne(t *testing.T, o gather.Options, req gather.Request) gather.Result {
	t.Helper()
	c := gather.New(fast(o))
	t.Cleanup(func() { c.Close() })
	return c.Fetch(context.Background(), req)
}

// refusedURL returns a loopback URL on which nothing listens.
func refusedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/"
}

func TestOutcomes(t *testing.T) {
	srv := gathertest.NewServer(t)
	tests := []struct {
		name     string
		opts     gather.Options
		url      string
		kind     gather.Kind
		status   int
		attempts int
		hits     int64 // server hits for the URL's path and query; -1 to skip
	}{
		{name: "ok json", url: "/json?size=100", status: 200, attempts: 1, hits: 1},
		{name: "404 not retried", url: "/status/404", kind: gather.KindHTTP, status: 404, attempts: 1, hits: 1},
		{name: "400 not retried", url: "/status/400", kind: gather.KindHTTP, status: 400, attempts: 1, hits: 1},
		{name: "500 retried", url: "/status/500", kind: gather.KindHTTP, status: 500, attempts: 4, hits: 4},
		{name: "502 retried", url: "/status/502", kind: gather.KindHTTP, status: 502, attempts: 4, hits: 4},
		{name: "504 retried", url: "/status/504", kind: gather.KindHTTP, status: 504, attempts: 4, hits: 4},
		{name: "501 not retried", url: "/status/501", kind: gather.KindHTTP, status: 501, attempts: 1, hits: 1},
		{name: "flaky recovers", url: "/flaky/2", status: 200, attempts: 3, hits: 3},
		{name: "flaky exhausts retries", url: "/flaky/9", kind: gather.KindHTTP, status: 503, attempts: 4, hits: 4},
		{name: "retries 1", opts: gather.Options{Retries: 1}, url: "/flaky/9?r=1", kind: gather.KindHTTP, status: 503, attempts: 2, hits: 2},
		{name: "no retries", opts: gather.Options{Retries: -1}, url: "/flaky/9?r=0", kind: gather.KindHTTP, status: 503, attempts: 1, hits: 1},
		{name: "reset then ok", url: "/reset/2", status: 200, attempts: 3, hits: 3},
		{name: "reset exhausts", opts: gather.Options{Retries: 1}, url: "/reset/5", kind: gather.KindConnection, attempts: 2, hits: 2},
		{name: "429 retried", opts: gather.Options{MaxBackoff: time.Millisecond}, url: "/ratelimit/1", status: 200, attempts: 2, hits: 2},
		{name: "too large by length", opts: gather.Options{MaxBody: 1000}, url: "/bytes/1001", kind: gather.KindTooLarge, status: 200, attempts: 1, hits: 1},
		{name: "exactly max body", opts: gather.Options{MaxBody: 1000}, url: "/bytes/1000", status: 200, attempts: 1, hits: 1},
		{name: "redirects followed", url: "/redirect/3", status: 200, attempts: 1, hits: 1},
		{name: "too many redirects", opts: gather.Options{MaxRedirects: 2}, url: "/redirect/3", kind: gather.KindProtocol, status: 0, attempts: 1, hits: 1},
		{name: "no redirects", opts: gather.Options{MaxRedirects: -1}, url: "/redirect/1", kind: gather.KindProtocol, attempts: 1, hits: 1},
		{name: "timeout in headers", opts: gather.Options{Timeout: 100 * time.Millisecond, Retries: 1}, url: "/hang", kind: gather.KindTimeout, attempts: 2, hits: 2},
		{name: "timeout in body", opts: gather.Options{Timeout: 300 * time.Millisecond, Retries: -1}, url: "/drip?bytes=20&interval_ms=100", kind: gather.KindTimeout, status: 200, attempts: 1, hits: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.ResetCounters()
			res := fetchOne(t, tt.opts, gather.Request{URL: srv.URL + tt.url})
			if got := res.Kind(); got != tt.kind {
				t.Errorf("kind = %q, want %q (err %v)", got, tt.kind, res.Err)
			}
			if res.Status != tt.status {
				t.Errorf("status = %d, want %d", res.Status, tt.status)
			}
			if res.Attempts != tt.attempts {
				t.Errorf("attempts = %d, want %d", res.Attempts, tt.attempts)
			}
			if tt.hits >= 0 {
				if got := srv.Hits(tt.url); got != tt.hits {
					t.Errorf("server hits = %d, want %d", got, tt.hits)
				}
			}
			if want := tt.kind == "" && tt.status/100 == 2; res.OK() != want {
				t.Errorf("OK() = %v, want %v", res.OK(), want)
			}
			var ge *gather.Error
			if tt.kind != "" && (!errors.As(res.Err, &ge) || ge.Kind != tt.kind) {
				t.Errorf("errors.As(*gather.Error) failed for %v", res.Err)
			}
			if res.Started.IsZero() || res.Elapsed <= 0 {
				t.Errorf("started %v elapsed %v, want both set", res.Started, res.Elapsed)
			}
		})
	}
}

func TestConnectionRefusedIsRetried(t *testing.T) {
	res := fetchOne(t, gather.Options{Retries: 2}, gather.Request{URL: refusedURL(t)})
	if res.Kind() != gather.KindConnection || res.Attempts != 3 || res.Status != 0 {
		t.Fatalf("got kind %q attempts %d status %d, want connection, 3, 0 (err %v)", res.Kind(), res.Attempts, res.Status, res.Err)
	}
}

func TestDNSFailureThroughInjectedDialer(t *testing.T) {
	var dials atomic.Int64
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: "nowhere.test", IsNotFound: true}}
	}
	res := fetchOne(t, gather.Options{DialContext: dial, Retries: 1}, gather.Request{URL: "http://nowhere.test/"})
	if res.Kind() != gather.KindConnection || res.Attempts != 2 || dials.Load() != 2 {
		t.Fatalf("got kind %q attempts %d dials %d, want connection, 2, 2", res.Kind(), res.Attempts, dials.Load())
	}
	var dnsErr *net.DNSError
	if !errors.As(res.Err, &dnsErr) {
		t.Errorf("the *net.DNSError is not reachable with errors.As: %v", res.Err)
	}
}

func TestInvalidRequests(t *testing.T) {
	tests := []gather.Request{
		{URL: "ftp://example.test/x"},
		{URL: "example.test/x"},
		{URL: "http:///nohost"},
		{URL: "http://exa mple.test/"},
		{URL: "http://example.test/\x01"},
		{URL: "http://example.test/", Method: "BAD METHOD"},
		{URL: "http://example.test/", Header: http.Header{"Bad Name": {"v"}}},
		{URL: ""},
		{Line: 7, Err: gather.NewInputError(7, "{bad json", errors.New("malformed JSON"))},
	}
	var dials atomic.Int64
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return nil, errors.New("must not dial")
	}
	c := gather.New(gather.Options{DialContext: dial})
	defer c.Close()
	results := c.FetchAll(context.Background(), tests)
	for i, res := range results {
		if res.Kind() != gather.KindInvalid || res.Attempts != 0 || res.OK() {
			t.Errorf("%q: kind %q attempts %d, want invalid, 0", tests[i].URL, res.Kind(), res.Attempts)
		}
		var ie *gather.InputError
		if !errors.As(res.Err, &ie) {
			t.Errorf("%q: no *InputError in %v", tests[i].URL, res.Err)
		}
	}
	if dials.Load() != 0 {
		t.Errorf("dialled %d times for invalid requests", dials.Load())
	}
}

func TestMalformedResponseIsProtocol(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer l.Close()
	wg.Go(func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			bufio.NewReader(conn).ReadString('\n')
			conn.Write([]byte("this is not HTTP\r\n\r\n"))
			conn.Close()
		}
	})
	res := fetchOne(t, gather.Options{}, gather.Request{URL: "http://" + l.Addr().String() + "/"})
	if res.Kind() != gather.KindProtocol || res.Attempts != 1 {
		t.Fatalf("kind %q attempts %d, want protocol, 1 (err %v)", res.Kind(), res.Attempts, res.Err)
	}
}

func TestRedirectToOtherSchemeIsProtocol(t *testing.T) {
	for _, target := range []string{"ftp://example.test/file", "file:///etc/passwd"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target, http.StatusFound)
		}))
		res := fetchOne(t, gather.Options{}, gather.Request{URL: srv.URL})
		srv.Close()
		if res.Kind() != gather.KindProtocol || !errors.Is(res.Err, gather.ErrRedirectScheme) {
			t.Errorf("redirect to %s: kind %q err %v, want protocol ErrRedirectScheme", target, res.Kind(), res.Err)
		}
	}
}

func TestTooLargeWithoutContentLength(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for range 100 {
			w.Write([]byte(strings.Repeat("x", 100)))
			w.(http.Flusher).Flush() // chunked: no Content-Length
		}
	}))
	defer srv.Close()
	res := fetchOne(t, gather.Options{MaxBody: 1000}, gather.Request{URL: srv.URL})
	if res.Kind() != gather.KindTooLarge || res.Attempts != 1 || res.Body != nil {
		t.Fatalf("kind %q attempts %d body %d bytes, want too_large, 1, nil", res.Kind(), res.Attempts, len(res.Body))
	}
}

func TestRetryAfter(t *testing.T) {
	t.Run("seconds", func(t *testing.T) {
		srv := gathertest.NewServer(t)
		res := fetchOne(t, gather.Options{MaxBackoff: 10 * time.Second}, gather.Request{URL: srv.URL + "/ratelimit/1"})
		if !res.OK() || res.Attempts != 2 {
			t.Fatalf("ok %v attempts %d, want ok after 2", res.OK(), res.Attempts)
		}
		if res.Elapsed < 900*time.Millisecond {
			t.Errorf("elapsed %v: the 1 s Retry-After was not honoured", res.Elapsed)
		}
	})
	t.Run("http date", func(t *testing.T) {
		var hits atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if hits.Add(1) == 1 {
				// HTTP dates have whole seconds: 2 s ahead waits between 1 and 2 s.
				w.Header().Set("Retry-After", time.Now().Add(2*time.Second).UTC().Format(http.TimeFormat))
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			w.Write([]byte("ok"))
		}))
		defer srv.Close()
		res := fetchOne(t, gather.Options{MaxBackoff: 10 * time.Second}, gather.Request{URL: srv.URL})
		if !res.OK() || res.Attempts != 2 {
			t.Fatalf("ok %v attempts %d, want ok after 2", res.OK(), res.Attempts)
		}
		if res.Elapsed < 900*time.Millisecond {
			t.Errorf("elapsed %v: the Retry-After date was not honoured", res.Elapsed)
		}
	})
	t.Run("capped by max backoff", func(t *testing.T) {
		srv := gathertest.NewServer(t)
		res := fetchOne(t, gather.Options{MaxBackoff: 50 * time.Millisecond}, gather.Request{URL: srv.URL + "/ratelimit/3600"})
		if !res.OK() || res.Elapsed > 30*time.Second {
			t.Fatalf("ok %v elapsed %v: an hour's Retry-After must be capped", res.OK(), res.Elapsed)
		}
	})
}

func TestBackoffFuncIsCalledPerRetry(t *testing.T) {
	srv := gathertest.NewServer(t)
	type call struct {
		attempt   int
		base, max time.Duration
	}
	var mu sync.Mutex
	var calls []call
	backoff := func(attempt int, base, max time.Duration) time.Duration {
		mu.Lock()
		calls = append(calls, call{attempt, base, max})
		mu.Unlock()
		return time.Millisecond
	}
	res := fetchOne(t, gather.Options{BackoffFunc: backoff, Backoff: 7 * time.Millisecond, MaxBackoff: 70 * time.Millisecond, Retries: 3},
		gather.Request{URL: srv.URL + "/status/503"})
	want := []call{{1, 7 * time.Millisecond, 70 * time.Millisecond}, {2, 7 * time.Millisecond, 70 * time.Millisecond}, {3, 7 * time.Millisecond, 70 * time.Millisecond}}
	if res.Attempts != 4 || !slices.Equal(calls, want) {
		t.Fatalf("attempts %d, backoff calls %v; want 4 and %v", res.Attempts, calls, want)
	}
}

func TestCheckRetryFromRetryOn(t *testing.T) {
	srv := gathertest.NewServer(t)
	check, err := gather.ParseRetryOn("404")
	if err != nil {
		t.Fatal(err)
	}
	res := fetchOne(t, gather.Options{CheckRetry: check, Retries: 2}, gather.Request{URL: srv.URL + "/status/404"})
	if res.Attempts != 3 || srv.Hits("/status/404") != 3 {
		t.Errorf("404 with --retry-on 404: attempts %d hits %d, want 3, 3", res.Attempts, srv.Hits("/status/404"))
	}
	res = fetchOne(t, gather.Options{CheckRetry: check, Retries: 2}, gather.Request{URL: srv.URL + "/status/503"})
	if res.Attempts != 1 {
		t.Errorf("503 with --retry-on 404: attempts %d, want 1", res.Attempts)
	}
}

func TestHeadersMethodBody(t *testing.T) {
	srv := gathertest.NewServer(t)
	o := gather.Options{Header: http.Header{"X-Common": {"c"}, "X-Over": {"common"}}}
	res := fetchOne(t, o, gather.Request{
		URL: srv.URL + "/echo", Method: "PUT", Body: []byte("hello"),
		Header: http.Header{"X-Over": {"request"}},
	})
	var echo struct {
		Method  string              `json:"method"`
		Headers map[string][]string `json:"headers"`
		Body    string              `json:"body"`
	}
	if err := json.Unmarshal(res.Body, &echo); err != nil {
		t.Fatalf("echo body %q: %v", res.Body, err)
	}
	if echo.Method != "PUT" || echo.Body != "hello" {
		t.Errorf("method %q body %q, want PUT hello", echo.Method, echo.Body)
	}
	if got := echo.Headers["X-Common"]; !slices.Equal(got, []string{"c"}) {
		t.Errorf("X-Common = %v", got)
	}
	if got := echo.Headers["X-Over"]; !slices.Equal(got, []string{"request"}) {
		t.Errorf("X-Over = %v, want the request's own value", got)
	}
	if got := echo.Headers["User-Agent"]; !slices.Equal(got, []string{"gather/" + gather.Version}) {
		t.Errorf("User-Agent = %v", got)
	}
}

func TestDedup(t *testing.T) {
	srv := gathertest.NewServer(t)
	u := srv.URL + "/json?size=10"
	reqs := []gather.Request{
		{URL: u}, {URL: u}, {URL: u, Method: "GET"}, // one request
		{URL: u, Method: "POST"}, {URL: u, Method: "POST", Body: []byte("x")}, // two more
		{URL: u + "&a", ID: "same"}, {URL: u + "&b", ID: "same"}, // one, by id
	}
	c := gather.New(gather.Options{})
	defer c.Close()
	results := c.FetchAll(context.Background(), reqs)
	if len(results) != len(reqs) {
		t.Fatalf("%d results for %d requests", len(results), len(reqs))
	}
	for i, r := range results {
		if !r.OK() || r.Request.URL != reqs[i].URL {
			t.Errorf("result %d: ok %v url %q", i, r.OK(), r.Request.URL)
		}
	}
	if got := srv.Requests(); got != 4 {
		t.Errorf("server saw %d requests, want 4", got)
	}
	n := 0
	for range c.Stream(context.Background(), slices.Values(reqs)) {
		n++
	}
	if n != 4 {
		t.Errorf("Stream yielded %d results, want 4", n)
	}

	keep := gather.New(gather.Options{KeepDuplicates: true})
	defer keep.Close()
	srv.ResetCounters()
	keep.FetchAll(context.Background(), reqs)
	if got := srv.Requests(); got != int64(len(reqs)) {
		t.Errorf("KeepDuplicates: server saw %d requests, want %d", got, len(reqs))
	}
}

func TestFetchAllKeepsInputOrder(t *testing.T) {
	srv := gathertest.NewServer(t)
	var reqs []gather.Request
	for i := range 30 {
		reqs = append(reqs, gather.Request{URL: fmt.Sprintf("%s/delay/%d?i=%d", srv.URL, (30-i)*3, i)})
	}
	c := gather.New(gather.Options{Concurrency: 30})
	defer c.Close()
	results := c.FetchAll(context.Background(), reqs)
	for i, r := range results {
		if r.Request.URL != reqs[i].URL || !r.OK() {
			t.Fatalf("result %d is %q ok=%v, want %q", i, r.Request.URL, r.OK(), reqs[i].URL)
		}
	}
}

func TestStreamBreakStopsEverything(t *testing.T) {
	srv := gathertest.NewServer(t)
	c := gather.New(gather.Options{Concurrency: 4})
	defer c.Close()
	reqs := func(yield func(gather.Request) bool) {
		for i := 0; ; i++ { // endless: only the break ends it
			if !yield(gather.Request{URL: fmt.Sprintf("%s/delay/5?i=%d", srv.URL, i)}) {
				return
			}
		}
	}
	n := 0
	for range c.Stream(context.Background(), reqs) {
		if n++; n == 10 {
			break
		}
	}
	if n != 10 {
		t.Fatalf("got %d results", n)
	}
	// goleak in TestMain proves nothing outlived the loop.
}

func TestCancelDropsUnfinished(t *testing.T) {
	srv := gathertest.NewServer(t)
	c := gather.New(gather.Options{Concurrency: 4})
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	reqs := []gather.Request{{URL: srv.URL + "/status/200"}, {URL: srv.URL + "/hang?1"}, {URL: srv.URL + "/hang?2"}}
	var got []string
	start := time.Now()
	for r := range c.Stream(ctx, slices.Values(reqs)) {
		got = append(got, r.Request.URL)
		time.AfterFunc(50*time.Millisecond, cancel)
	}
	cancel()
	if len(got) != 1 || got[0] != reqs[0].URL {
		t.Fatalf("results %v, want only the finished request", got)
	}
	if time.Since(start) > 20*time.Second {
		t.Fatalf("cancel took %v", time.Since(start))
	}
}

func TestPanicInRequestsIsRaisedInCaller(t *testing.T) {
	c := gather.New(gather.Options{})
	defer c.Close()
	defer func() {
		if p := recover(); p != "boom" {
			t.Fatalf("recovered %v, want boom", p)
		}
	}()
	for range c.Stream(context.Background(), func(yield func(gather.Request) bool) { panic("boom") }) {
	}
	t.Fatal("no panic")
}

// TestConnectionsAreReused is the keep-alive proof: 20,000 requests at
// concurrency 100 over at most ~110 TCP connections.
func TestConnectionsAreReused(t *testing.T) {
	if testing.Short() {
		t.Skip("20,000 requests")
	}
	srv := gathertest.NewServer(t)
	c := gather.New(gather.Options{Concurrency: 100})
	defer c.Close()
	const n = 20000
	reqs := func(yield func(gather.Request) bool) {
		for i := range n {
			if !yield(gather.Request{URL: fmt.Sprintf("%s/json?size=64&i=%d", srv.URL, i)}) {
				return
			}
		}
	}
	ok := 0
	for r := range c.Stream(context.Background(), reqs) {
		if r.OK() {
			ok++
		}
	}
	if ok != n {
		t.Errorf("%d ok of %d", ok, n)
	}
	if conns := srv.Connections(); conns > 110 {
		t.Errorf("%d TCP connections for %d requests at concurrency 100, want at most 110", conns, n)
	}
	t.Logf("%d requests over %d connections", n, srv.Connections())
}

func TestPanicInWorkerIsRaisedInCaller(t *testing.T) {
	srv := gathertest.NewServer(t)
	check := func(ctx context.Context, resp *http.Response, err error) bool { panic("worker boom") }
	c := gather.New(gather.Options{CheckRetry: check, Concurrency: 3})
	defer c.Close()
	defer func() {
		if p := recover(); p != "worker boom" {
			t.Fatalf("recovered %v, want worker boom", p)
		}
	}()
	reqs := []gather.Request{{URL: srv.URL + "/status/503?1"}, {URL: srv.URL + "/status/200"}, {URL: srv.URL + "/status/503?2"}}
	for range c.Stream(context.Background(), slices.Values(reqs)) {
	}
	t.Fatal("no panic")
}

func TestFetchAllAlignsInvalidRepeats(t *testing.T) {
	srv := gathertest.NewServer(t)
	reqs := []gather.Request{{URL: "nope"}, {URL: "nope"}, {URL: srv.URL + "/status/200"}, {URL: srv.URL + "/status/200"}, {URL: "nope"}}
	c := gather.New(gather.Options{})
	defer c.Close()
	results := c.FetchAll(context.Background(), reqs)
	for i, r := range results {
		wantOK := strings.HasPrefix(reqs[i].URL, "http")
		if r.OK() != wantOK || r.Request.URL != reqs[i].URL {
			t.Errorf("result %d for %q: ok %v kind %q, want ok %v", i, reqs[i].URL, r.OK(), r.Kind(), wantOK)
		}
	}
	if srv.Requests() != 1 {
		t.Errorf("%d requests sent, want 1", srv.Requests())
	}
}

// A list of many hosts, as a probe of domains is, keeps a bounded number of
// idle connections: one for each host it passed would hold a socket, two
// goroutines and their buffers for 90 s, and run out of file descriptors.
func TestIdleConnectionsBoundedOverManyHosts(t *testing.T) {
	var open atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			open.Add(1)
		case http.StateClosed, http.StateHijacked:
			open.Add(-1)
		}
	}
	srv.Start()
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr) // every host is this loopback server
	}
	const hosts, conc = 1200, 4
	reqs := make([]gather.Request, hosts)
	for i := range reqs {
		reqs[i].URL = fmt.Sprintf("http://h%d.test:%s/", i, port)
	}
	c := gather.New(gather.Options{Concurrency: conc, DialContext: dial})
	defer c.Close()
	for res := range c.Stream(context.Background(), slices.Values(reqs)) {
		if !res.OK() {
			t.Fatalf("%s: %v", res.Request.URL, res.Err)
		}
	}
	// The server sees a close a moment after the client makes it. The cap
	// (512 at this concurrency) is far under one a host.
	const most = hosts / 2
	deadline := time.Now().Add(10 * time.Second)
	for open.Load() > most && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := open.Load(); got > most {
		t.Errorf("%d connections open after %d hosts at concurrency %d, want at most %d", got, hosts, conc, most)
	}
}
