package gathertest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gatherdev/gather/gathertest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// loopbackDial refuses to dial anything but a loopback IP.
func loopbackDial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("test dials loopback only, not %q", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// newClient returns a client that does not follow redirects and only dials
// loopback; mod may adjust its transport.
func newClient(t testing.TB, mod func(*http.Transport)) *http.Client {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         loopbackDial,
		MaxIdleConnsPerHost: 16,
	}
	if mod != nil {
		mod(tr)
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Transport: tr,
		Timeout:   10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func do(t testing.TB, c *http.Client, method, url string, body io.Reader) (response, error) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	return response{resp.StatusCode, resp.Header, b}, nil
}

func get(t testing.TB, c *http.Client, url string) response {
	t.Helper()
	r, err := do(t, c, http.MethodGet, url, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return r
}

func decode(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", b, err)
	}
	return m
}

// eventually polls cond for up to 3 s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestURLAndAddr(t *testing.T) {
	s := gathertest.NewServer(t)
	if !strings.HasPrefix(s.Addr, "127.0.0.1:") || s.URL != "http://"+s.Addr {
		t.Fatalf("URL %q, Addr %q", s.URL, s.Addr)
	}
}

func TestEndpoints(t *testing.T) {
	s := gathertest.NewServer(t)
	c := newClient(t, nil)

	isText := func(want string) func(*testing.T, response) {
		return func(t *testing.T, r response) {
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("Content-Type %q, want text/plain", ct)
			}
			if string(r.body) != want {
				t.Errorf("body %q, want %q", r.body, want)
			}
		}
	}
	isJSON := func(want string) func(*testing.T, response) {
		return func(t *testing.T, r response) {
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			if got := strings.TrimSpace(string(r.body)); got != want {
				t.Errorf("body %s, want %s", got, want)
			}
		}
	}
	isEmpty := func(t *testing.T, r response) {
		if len(r.body) != 0 {
			t.Errorf("body %q, want empty", r.body)
		}
	}
	is400 := func(t *testing.T, r response) {
		if !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") || !strings.HasPrefix(string(r.body), "bad ") {
			t.Errorf("400 body %q (%s), want a text message", r.body, r.header.Get("Content-Type"))
		}
	}

	tests := []struct {
		path   string
		status int
		check  func(*testing.T, response)
	}{
		{"/delay/0", 200, isJSON(`{"delay_ms":0}`)},
		{"/delay/20?x=1", 200, isJSON(`{"delay_ms":20}`)},
		{"/delay/abc", 400, is400},
		{"/delay/-1", 400, is400},
		{"/delay/99999999999999999999", 400, is400},
		{"/status/200", 200, isText("200 OK\n")},
		{"/status/201?q", 201, isText("201 Created\n")},
		{"/status/204", 204, isEmpty},
		{"/status/304", 304, isEmpty},
		{"/status/404", 404, isText("404 Not Found\n")},
		{"/status/418", 418, isText("418 I'm a teapot\n")},
		{"/status/503", 503, isText("503 Service Unavailable\n")},
		{"/status/599", 599, isText("599 Unknown Status\n")},
		{"/status/100", 400, is400},
		{"/status/600", 400, is400},
		{"/status/99", 400, is400},
		{"/status/abc", 400, is400},
		{"/json?size=x", 400, is400},
		{"/bytes/-1", 400, is400},
		{"/bytes/abc", 400, is400},
		{"/bytes/1073741825", 400, is400},
		{"/flaky/x", 400, is400},
		{"/reset/-3", 400, is400},
		{"/redirect/0", 200, isJSON(`{"redirected":true}`)},
		{"/redirect/0?a=b", 200, isJSON(`{"redirected":true}`)},
		{"/redirect/-1", 400, is400},
		{"/redirect/two", 400, is400},
		{"/drip?bytes=3&interval_ms=10", 200, isText("abc")},
		{"/drip?bytes=0", 200, isText("")},
		{"/drip?bytes=x", 400, is400},
		{"/drip?bytes=1&interval_ms=-5", 400, is400},
		{"/nope", 404, nil},
		{"/delay", 404, nil},
		{"/delay/1/2", 404, nil},
		{"/", 404, nil},
	}
	for i, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			r := get(t, c, s.URL+tc.path)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d (body %q)", r.status, tc.status, r.body)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
			if n := s.Hits(tc.path); n != 1 {
				t.Errorf("Hits(%q) = %d, want 1", tc.path, n)
			}
			if n := s.Requests(); n != int64(i+1) {
				t.Errorf("Requests() = %d, want %d", n, i+1)
			}
		})
	}
	if n := s.PathHits("/redirect/0"); n != 2 {
		t.Errorf("PathHits(/redirect/0) = %d, want 2", n)
	}
	if n := s.InFlight(); n != 0 {
		t.Errorf("InFlight() = %d after all requests", n)
	}
}

func TestDelayWaits(t *testing.T) {
	s := gathertest.NewServer(t)
	c := newClient(t, nil)
	start := time.Now()
	r := get(t, c, s.URL+"/delay/60")
	if d := time.Since(start); r.status != 200 || d < 60*time.Millisecond {
		t.Fatalf("status %d after %v, want 200 after at least 60ms", r.status, d)
	}
}

func TestDripTiming(t *testing.T) {
	s := gathertest.NewServer(t)
	c := newClient(t, nil)
	start := time.Now()
	resp, err := c.Get(s.URL + "/drip?bytes=4&interval_ms=30")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("headers took %v, want them at once", d)
	}
	if resp.ContentLength != 4 || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("Content-Length %d, Content-Type %q", resp.ContentLength, resp.Header.Get("Content-Type"))
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil || string(b) != "abcd" {
		t.Fatalf("body %q, %v", b, err)
	}
	if d := time.Since(start); d < 120*time.Millisecond {
		t.Errorf("4 bytes at 30ms took %v", d)
	}
}

func TestJSON(t *testing.T) {
	s := gathertest.NewServer(t)
	c := newClient(t, nil)
	for _, size := range []int{-5, 0, 1, 2, 3, 20, 21, 22, 60, 100, 1000, 1023, 4096, 100000} {
		url := fmt.Sprintf("%s/json?size=%d", s.URL, size)
		r := get(t, c, url)
		want := max(size, 2)
		if r.status != 200 || len(r.body) != want || r.header.Get("Content-Length") != strconv.Itoa(want) {
			t.Fatalf("size=%d: status %d, %d bytes, Content-Length %s; want 200, %d bytes",
				size, r.status, len(r.body), r.header.Get("Content-Length"), want)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("size=%d: Content-Type %q", size, ct)
		}
		m := decode(t, r.body)
		if size >= 100 {
			items, ok := m["items"].([]any)
			if !ok || len(items) == 0 {
				t.Errorf("size=%d: no items in %.80s", size, r.body)
			}
		}
		if again := get(t, c, url); !bytes.Equal(again.body, r.body) {
			t.Errorf("size=%d: not deterministic", size)
		}
	}
	if r := get(t, c, s.URL+"/json"); len(r.body) != 1024 || !json.Valid(r.body) {
		t.Errorf("default: %d bytes, valid %v", len(r.body), json.Valid(r.body))
	}
	// The cap: a HEAD request gets the headers without the body.
	r, err := do(t, c, http.MethodHead, s.URL+"/json?size=999999999999", nil)
	if err != nil || r.header.Get("Content-Length") != strconv.Itoa(64<<20) {
		t.Errorf("capped size: Content-Length %q, %v", r.header.Get("Content-Length"), err)
	}
}

func TestBytes(t *testing.T) {
	s := gathertest.NewServer(t)
	c := newClient(t, nil)
	var prev []byte
	for _, n := range []int{0, 1, 7, 8, 9, 1000, 32 << 10, 100001} {
		r := get(t, c, fmt.Sprintf("%s/bytes/%d", s.URL, n))
		if r.status != 200 || len(r.body) != n {
			t.Fatalf("n=%d: status %d, %d bytes", n, r.status, len(r.body))
		}
		if r.header.Get("Content-Type") != "application/octet-stream" || r.header.Get("Content-Length") != strconv.Itoa(n) {
			t.Errorf("n=%d: headers %v", n, r.header)
		}
		if n > 0 && utf8.Valid(r.body) {
			t.Errorf("n=%d: body is valid UTF-8", n)
		}
		if !bytes.HasPrefix(r.body, prev) {
			t.Errorf("n=%d: not deterministic", n)
		}
		prev = r.body
	}
	if bytes.Count(prev, prev[1:2]) > len(prev)/64 {
		t.Errorf("bytes do not look random")
	}
	r, err := do(t, c, http.MethodHead, s.URL+"/bytes/1073741824", nil)
	if err != nil || r.status != 200 || r.header.Get("Content-Length") != "1073741824" {
		t.Errorf("HEAD 1 GiB: %d %v %v", r.status, r.header, err)
	}
}

func TestFlaky(t *testing.T) {
	s := gathertest.NewServer(t)
	c := newClient(t, nil)
	for i, want := range []int{503, 503, 200, 200} {
		r := get(t, c, s.URL+"/flaky/2")
		if r.status != want {
			t.Fatalf("hit %d: status %d, want %d", i+1, r.status, want)
		}
		if want == 503 && string(r.body) != "503 Service Unavailable\n" {
			t.Errorf("503 body %q", r.body)
		}
		if want == 200 && decode(t, r.body)["ok"] != true {
			t.Errorf("200 body %q", r.body)
		}
	}
	// A distinct query has its own count.
	if r := get(t, c, s.URL+"/flaky/2?x=1"); r.status != 503 {
		t.Errorf("/flaky/2?x=1: status %d, want 503", r.status)
	}
	if r := get(t, c, s.URL+"/flaky/0"); r.status != 200 {
		t.Errorf("/flaky/0: status %d, want 200", r.status)
	}
	if h, p := s.Hits("/flaky/2"), s.PathHits("/flaky/2"); h != 4 || p != 5 {
		t.Errorf("Hits %d, PathHits %d; want 4, 5", h, p)
	}
}

func TestReset(t *testing.T) {
	s := gathertest.NewServer(t)
	// No keep-alive: the transport would retry a GET on a reused connection.
	c := newClient(t, func(tr *http.Transport) { tr.DisableKeepAlives = true })
	for i := range 2 {
		if r, err := do(t, c, http.MethodGet, s.URL+"/reset/2", nil); err == nil {
			t.Fatalf("hit %d: status %d, want a connection error", i+1, r.status)
		}
	}
	r := get(t, c, s.URL+"/reset/2")
	if r.status != 200 || decode(t, r.body)["ok"] != true {
		t.Fatalf("hit 3: %d %q", r.status, r.body)
	}
	if _, err := do(t, c, http.MethodGet, s.URL+"/reset/2?other", nil); err == nil {
		t.Errorf("/reset/2?other: want a connection error on its first hit")
	}
	if h, p := s.Hits("/reset/2"), s.PathHits("/reset/2"); h != 3 || p != 4 {
		t.Errorf("Hits %d, PathHits %d; want 3, 4", h, p)
	}
	if n := s.Connections(); n != 4 {
		t.Errorf("Connections %d, want 4", n)
	}
}

func TestRateLimit(t *testing.T) {
	s := gathertest.NewServer(t)
	c := newClient(t, nil)
	tests := []struct{ path, retryAfter string }{
		{"/ratelimit/3", "3"},
		{"/ratelimit/3?b=1", "3"},
		{"/ratelimit/soon", "soon"},
		{"/ratelimit/Wed,%2021%20Oct%202015%2007:28:00%20GMT", "Wed, 21 Oct 2015 07:28:00 GMT"},
	}
	for _, tc := range tests {
		r := get(t, c, s.URL+tc.path)
		if r.status != 429 || r.header.Get("Retry-After") != tc.retryAfter {
			t.Errorf("%s: status %d, Retry-After %q; want 429, %q", tc.path, r.status, r.header.Get("Retry-After"), tc.retryAfter)
		}
		for range 2 {
			r = get(t, c, s.URL+tc.path)
			if r.status != 200 || r.header.Get("Retry-After") != "" || decode(t, r.body)["ok"] != true {
				t.Errorf("%s again: status %d, Retry-After %q, body %q", tc.path, r.status, r.header.Get("Retry-After"), r.body)
			}
		}
	}
}

func TestRedirect(t *testing.T) {
	s := gathertest.NewServer(t)
	c := newClient(t, nil)
	r := get(t, c, s.URL+"/redirect/2?q=a%20b")
	if r.status != 302 || r.header.Get("Location") != "/redirect/1?q=a%20b" {
		t.Fatalf("status %d, Location %q", r.status, r.header.Get("Location"))
	}
	c.CheckRedirect = nil // follow
	r = get(t, c, s.URL+"/redirect/3?q=1")
	if r.status != 200 || decode(t, r.body)["redirected"] != true {
		t.Fatalf("followed: %d %q", r.status, r.body)
	}
	for n := range 4 {
		if h := s.Hits(fmt.Sprintf("/redirect/%d?q=1", n)); h != 1 {
			t.Errorf("Hits(/redirect/%d?q=1) = %d, want 1", n, h)
		}
	}
}

func TestEcho(t *testing.T) {
	s := gathertest.NewServer(t)
	c := newClient(t, nil)
	req, _ := http.NewRequest(http.MethodPut, s.URL+"/echo?a=1&b=<x>", strings.NewReader("hello <world>"))
	req.Header.Add("X-Test", "one")
	req.Header.Add("X-Test", "two")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Method  string              `json:"method"`
		URI     string              `json:"uri"`
		Headers map[string][]string `json:"headers"`
		Body    string              `json:"body"`
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.Method != "PUT" || got.URI != "/echo?a=1&b=<x>" || got.Body != "hello <world>" ||
		strings.Join(got.Headers["X-Test"], ",") != "one,two" || got.Headers["Content-Length"][0] != "13" {
		t.Errorf("echo: %+v", got)
	}
	if s.Hits("/echo?a=1&b=<x>") != 1 || s.PathHits("/echo") != 1 {
		t.Errorf("Hits %d, PathHits %d", s.Hits("/echo?a=1&b=<x>"), s.PathHits("/echo"))
	}
}

func TestHangUntilClientGivesUp(t *testing.T) {
	s := gathertest.NewServer(t)
	c := newClient(t, nil)
	c.Timeout = 100 * time.Millisecond
	start := time.Now()
	_, err := do(t, c, http.MethodGet, s.URL+"/hang?x", nil)
	if err == nil {
		t.Fatal("/hang answered")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("client timeout took %v", d)
	}
	eventually(t, "the /hang handler to return", func() bool { return s.InFlight() == 0 })
	if s.Hits("/hang?x") != 1 || s.PeakInFlight() != 1 {
		t.Errorf("Hits %d, PeakInFlight %d", s.Hits("/hang?x"), s.PeakInFlight())
	}
}

// startBlocked starts requests to /hang, /drip and /delay on s and waits
// until all three are being handled; the returned channel yields their
// errors.
func startBlocked(t *testing.T, s *gathertest.Server) (*sync.WaitGroup, chan error) {
	c := newClient(t, nil)
	errs := make(chan error, 3)
	var wg sync.WaitGroup
	for _, path := range []string{"/hang", "/drip?bytes=100&interval_ms=1000", "/delay/60000"} {
		wg.Go(func() {
			_, err := do(t, c, http.MethodGet, s.URL+path, nil)
			errs <- err
		})
	}
	eventually(t, "3 requests in flight", func() bool { return s.InFlight() == 3 })
	return &wg, errs
}

func TestCloseWithRequestsInFlight(t *testing.T) {
	s := gathertest.NewServer(t)
	wg, errs := startBlocked(t, s)
	start := time.Now()
	s.Close()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %v", d)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err == nil {
			t.Error("a blocked request succeeded; want a connection error")
		}
	}
	if n := s.InFlight(); n != 0 {
		t.Errorf("InFlight %d after Close", n)
	}
	s.Close() // idempotent
	if _, err := do(t, newClient(t, nil), http.MethodGet, s.URL+"/status/200", nil); err == nil {
		t.Error("request after Close succeeded")
	}
}

func TestShutdown(t *testing.T) {
	s := gathertest.NewServer(t)
	wg, errs := startBlocked(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := s.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Shutdown took %v", d)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err == nil {
			t.Error("a blocked request succeeded; want a connection error")
		}
	}
	s.Close()
}

func TestConnectionsKeepAlive(t *testing.T) {
	s := gathertest.NewServer(t)
	c := newClient(t, nil)
	for range 10 {
		get(t, c, s.URL+"/status/200")
	}
	if n := s.Connections(); n != 1 {
		t.Errorf("10 sequential keep-alive requests: Connections %d, want 1", n)
	}
	c2 := newClient(t, func(tr *http.Transport) { tr.DisableKeepAlives = true })
	for range 3 {
		get(t, c2, s.URL+"/bytes/10")
	}
	if n, r := s.Connections(), s.Requests(); n != 4 || r != 13 {
		t.Errorf("Connections %d, Requests %d; want 4, 13", n, r)
	}
	if s.Hits("/status/200") != 10 || s.PathHits("/bytes/10") != 3 {
		t.Errorf("Hits %d, PathHits %d", s.Hits("/status/200"), s.PathHits("/bytes/10"))
	}
}

func TestPeakInFlight(t *testing.T) {
	s := gathertest.NewServer(t)
	c := newClient(t, nil)
	const n = 5
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r, err := do(t, c, http.MethodGet, fmt.Sprintf("%s/delay/300?i=%d", s.URL, i), nil)
			if err != nil || r.status != 200 {
				t.Errorf("request %d: %v %d", i, err, r.status)
			}
		})
	}
	wg.Wait()
	if p, f := s.PeakInFlight(), s.InFlight(); p != n || f != 0 {
		t.Errorf("PeakInFlight %d, InFlight %d; want %d, 0", p, f, n)
	}
	if got := s.PathHits("/delay/300"); got != n {
		t.Errorf("PathHits %d", got)
	}
}

func TestStartTakenPort(t *testing.T) {
	s := gathertest.NewServer(t)
	s2, err := gathertest.Start(s.Addr)
	if err == nil {
		s2.Close()
		t.Fatal("Start on a taken port succeeded")
	}
	if !strings.Contains(err.Error(), "listen "+s.Addr) {
		t.Errorf("error %q does not name the address", err)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestWithLog(t *testing.T) {
	var buf syncBuffer
	s, err := gathertest.Start("127.0.0.1:0", gathertest.WithLog(&buf))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := newClient(t, nil)
	get(t, c, s.URL+"/status/404?a=b")
	get(t, c, s.URL+"/bytes/123")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() { get(t, c, fmt.Sprintf("%s/json?size=%d", s.URL, 1000+i)) })
	}
	wg.Wait()
	nc := newClient(t, func(tr *http.Transport) { tr.DisableKeepAlives = true })
	if _, err := do(t, nc, http.MethodPost, s.URL+"/reset/1", nil); err == nil {
		t.Error("/reset/1 answered")
	}
	s.Close()

	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 11 {
		t.Fatalf("%d log lines, want 11:\n%s", len(lines), buf.String())
	}
	want := map[string][]string{
		"/status/404?a=b": {"GET", "404", "14"},
		"/bytes/123":      {"GET", "200", "123"},
		"/json?size=1005": {"GET", "200", "1005"},
		"/reset/1":        {"POST", "-", "0"},
	}
	seen := 0
	for _, line := range lines {
		f := strings.Fields(line)
		if len(f) != 7 {
			t.Errorf("line %q: %d fields, want 7", line, len(f))
			continue
		}
		if _, err := time.Parse(time.RFC3339, f[0]); err != nil {
			t.Errorf("line %q: bad time: %v", line, err)
		}
		if _, _, err := net.SplitHostPort(f[1]); err != nil {
			t.Errorf("line %q: bad remote: %v", line, err)
		}
		if _, err := time.ParseDuration(f[6]); err != nil {
			t.Errorf("line %q: bad duration: %v", line, err)
		}
		if w, ok := want[f[3]]; ok {
			seen++
			if got := []string{f[2], f[4], f[5]}; strings.Join(got, " ") != strings.Join(w, " ") {
				t.Errorf("line %q: method, status, bytes %v, want %v", line, got, w)
			}
		}
	}
	if seen != len(want) {
		t.Errorf("found %d of %d expected lines:\n%s", seen, len(want), buf.String())
	}
}

func TestResetCounters(t *testing.T) {
	s := gathertest.NewServer(t)
	c := newClient(t, nil)
	get(t, c, s.URL+"/flaky/1")
	get(t, c, s.URL+"/ratelimit/1")
	if r := get(t, c, s.URL+"/flaky/1"); r.status != 200 {
		t.Fatalf("second /flaky/1: %d", r.status)
	}
	s.ResetCounters()
	if s.Requests() != 0 || s.Connections() != 0 || s.Hits("/flaky/1") != 0 || s.PathHits("/flaky/1") != 0 ||
		s.PeakInFlight() != 0 || s.InFlight() != 0 {
		t.Errorf("after ResetCounters: Requests %d, Connections %d, Hits %d, PathHits %d, Peak %d, InFlight %d",
			s.Requests(), s.Connections(), s.Hits("/flaky/1"), s.PathHits("/flaky/1"), s.PeakInFlight(), s.InFlight())
	}
	// Per-URL state starts over.
	if r := get(t, c, s.URL+"/flaky/1"); r.status != 503 {
		t.Errorf("/flaky/1 after reset: %d, want 503", r.status)
	}
	if r := get(t, c, s.URL+"/ratelimit/1"); r.status != 429 {
		t.Errorf("/ratelimit/1 after reset: %d, want 429", r.status)
	}
	if s.Requests() != 2 || s.Hits("/flaky/1") != 1 || s.PeakInFlight() != 1 {
		t.Errorf("Requests %d, Hits %d, Peak %d", s.Requests(), s.Hits("/flaky/1"), s.PeakInFlight())
	}
}

func TestHandlerMounted(t *testing.T) {
	s := gathertest.NewServer(t)
	other := httptest.NewServer(s.Handler())
	defer other.Close()
	c := newClient(t, nil)
	if r := get(t, c, other.URL+"/flaky/1?m"); r.status != 503 {
		t.Errorf("status %d", r.status)
	}
	if r := get(t, c, other.URL+"/status/201"); r.status != 201 {
		t.Errorf("status %d", r.status)
	}
	if s.Requests() != 2 || s.Hits("/flaky/1?m") != 1 || s.Connections() != 0 {
		t.Errorf("Requests %d, Hits %d, Connections %d", s.Requests(), s.Hits("/flaky/1?m"), s.Connections())
	}
}

func TestMethods(t *testing.T) {
	s := gathertest.NewServer(t)
	c := newClient(t, nil)
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"} {
		r, err := do(t, c, m, s.URL+"/status/202", strings.NewReader(""))
		if err != nil || r.status != 202 {
			t.Errorf("%s: %d %v", m, r.status, err)
		}
	}
	if n := s.Hits("/status/202"); n != 6 {
		t.Errorf("Hits %d", n)
	}
}

func TestEchoBodyLimit(t *testing.T) {
	s := gathertest.NewServer(t)
	c := newClient(t, nil)
	big := bytes.Repeat([]byte("a"), 10<<20+5)
	r, err := do(t, c, http.MethodPost, s.URL+"/echo", bytes.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, r.body)
	if body, _ := m["body"].(string); len(body) != 10<<20 || m["truncated"] != true {
		t.Errorf("body %d bytes, truncated %v", len(body), m["truncated"])
	}
}
