package gather_test

// Fault injection: hostile and broken servers, all on 127.0.0.1. Each case
// checks the result's kind (and status and attempts where they are defined),
// that the run goes on (a good request in the same FetchAll succeeds), that
// it ends well within a loose bound, and that the request's Authorization
// value never shows up in an error message.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatherdev/gather"
)

const (
	hostileSecret = "SECRET-TOKEN"
	// hostileBound is the loose bound on one hostile run: never a hang.
	hostileBound = 10 * time.Second
	// hostileSafety stops a run that hangs, so the test fails instead.
	hostileSafety = 20 * time.Second
)

// secretReq is a GET of url carrying the secret Authorization header.
func secretReq(url string) gather.Request {
	return gather.Request{URL: url, Header: http.Header{"Authorization": {"Bearer " + hostileSecret}}}
}

func assertNoSecret(t *testing.T, res gather.Result) {
	t.Helper()
	if res.Err == nil {
		return
	}
	if msg := res.Err.Error(); strings.Contains(msg, hostileSecret) {
		t.Errorf("the Authorization value leaks into the error message: %q", msg)
	}
	if msg := fmt.Sprintf("%+v", res.Err); strings.Contains(msg, hostileSecret) {
		t.Errorf("the Authorization value leaks into the formatted error: %q", msg)
	}
}

// checkResult checks res's kind (none: res must be OK; several: any of
// them), status (-1: not checked) and attempts (0: not checked).
func checkResult(t *testing.T, res gather.Result, status, attempts int, kinds ...gather.Kind) {
	t.Helper()
	t.Logf("kind %q status %d attempts %d elapsed %v err: %v", res.Kind(), res.Status, res.Attempts, res.Elapsed, res.Err)
	if len(kinds) == 0 {
		if !res.OK() {
			t.Errorf("kind %q status %d, want ok (err %v)", res.Kind(), res.Status, res.Err)
		}
	} else {
		if !slices.Contains(kinds, res.Kind()) {
			t.Errorf("kind %q, want one of %q (err %v)", res.Kind(), kinds, res.Err)
		}
		var ge *gather.Error
		if !errors.As(res.Err, &ge) {
			t.Errorf("no *gather.Error in %v", res.Err)
		}
		if res.OK() {
			t.Errorf("OK() is true for a failed request")
		}
	}
	if status >= 0 && res.Status != status {
		t.Errorf("status %d, want %d", res.Status, status)
	}
	if attempts > 0 && res.Attempts != attempts {
		t.Errorf("attempts %d, want %d", res.Attempts, attempts)
	}
	assertNoSecret(t, res)
}

// goodURL starts a well-behaved server and returns a URL on it.
func goodURL(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "good")
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/good"
}

// hostileFetch fetches hostile and then a good request in one FetchAll at
// concurrency 1 (so the good one must wait for the hostile one to end),
// checks that the run ended within hostileBound and that the good request
// succeeded, and returns the hostile request's result. Zero Options fields
// get short test values.
func hostileFetch(t *testing.T, o gather.Options, hostile gather.Request) gather.Result {
	t.Helper()
	good := goodURL(t)
	if o.Concurrency == 0 {
		o.Concurrency = 1
	}
	if o.Backoff == 0 {
		o.Backoff = time.Millisecond
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = 5 * time.Millisecond
	}
	if o.Timeout == 0 {
		o.Timeout = 500 * time.Millisecond
	}
	c := gather.New(o)
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), hostileSafety)
	defer cancel()
	start := time.Now()
	results := c.FetchAll(ctx, []gather.Request{hostile, secretReq(good)})
	elapsed := time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("the run hung: cancelled after %v", elapsed)
	}
	if elapsed > hostileBound {
		t.Errorf("the run took %v, want under %v", elapsed, hostileBound)
	}
	if len(results) != 2 {
		t.Fatalf("%d results for 2 requests", len(results))
	}
	res, g := results[0], results[1]
	if !g.OK() || string(g.Body) != "good" {
		t.Errorf("the run did not go on: the good request got kind %q status %d body %q (err %v)", g.Kind(), g.Status, g.Body, g.Err)
	}
	assertNoSecret(t, g)
	if res.Request.URL != hostile.URL {
		t.Fatalf("result 0 is for %q, want %q", res.Request.URL, hostile.URL)
	}
	return res
}

// rawServer is a TCP server on 127.0.0.1 that speaks whatever its handler
// writes. Cleanup closes the listener and every connection and waits for
// every goroutine.
type rawServer struct {
	addr     string
	accepts  atomic.Int64 // connections accepted
	requests atomic.Int64 // request heads read
	done     chan struct{}
	mu       sync.Mutex
	closed   bool
	conns    map[net.Conn]struct{}
	wg       sync.WaitGroup
}

// rawHandler answers one connection whose request head has been read from
// br. It returns when done is closed (the connection is closed then too).
type rawHandler func(c net.Conn, br *bufio.Reader, done <-chan struct{})

func newRawServer(t *testing.T, handle rawHandler) *rawServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{addr: l.Addr().String(), done: make(chan struct{}), conns: make(map[net.Conn]struct{})}
	s.wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s.accepts.Add(1)
			if !s.track(c) {
				c.Close()
				continue
			}
			s.wg.Go(func() {
				defer s.untrack(c)
				defer c.Close()
				br := bufio.NewReader(c)
				if readHead(br) != nil {
					return
				}
				s.requests.Add(1)
				if handle != nil {
					handle(c, br, s.done)
				}
			})
		}
	})
	t.Cleanup(func() {
		l.Close()
		s.mu.Lock()
		s.closed = true
		close(s.done)
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *rawServer) url(path string) string { return "http://" + s.addr + path }

func (s *rawServer) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *rawServer) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// readHead reads a request's line and headers, up to the blank line.
func readHead(br *bufio.Reader) error {
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return err
		}
		if line == "\r\n" || line == "\n" {
			return nil
		}
	}
}

// wait sleeps d and reports whether done stayed open.
func wait(d time.Duration, done <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-done:
		return false
	}
}

// loopbackDial dials 127.0.0.1 only; names maps a host name to 127.0.0.1
// (no resolver involved), and any other address is refused.
func loopbackDial(names ...string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if slices.Contains(names, host) {
			host = "127.0.0.1"
		}
		if host != "127.0.0.1" {
			return nil, fmt.Errorf("test dialer: refusing non-loopback address %s", addr)
		}
		var d net.Dialer
		return d.DialContext(ctx, network, net.JoinHostPort(host, port))
	}
}

// pathCounter counts a handler's requests by path.
type pathCounter struct {
	mu   sync.Mutex
	hits map[string]int
}

func (p *pathCounter) add(path string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.hits == nil {
		p.hits = make(map[string]int)
	}
	p.hits[path]++
}

func (p *pathCounter) get(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits[path]
}

func (p *pathCounter) total() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, v := range p.hits {
		n += v
	}
	return n
}

// 1. Headers and part of the body, then an RST.
func TestHostileResetMidBody(t *testing.T) {
	srv := newRawServer(t, func(c net.Conn, br *bufio.Reader, done <-chan struct{}) {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n"+strings.Repeat("x", 100))
		if !wait(250*time.Millisecond, done) { // the client is now inside the body
			return
		}
		c.(*net.TCPConn).SetLinger(0)
		c.Close() // RST, not FIN
	})
	res := hostileFetch(t, gather.Options{Retries: 1}, secretReq(srv.url("/reset")))
	checkResult(t, res, 200, 2, gather.KindConnection)
	if got := srv.requests.Load(); got != 2 {
		t.Errorf("server saw %d requests, want 2", got)
	}
}

// 2. Content-Length 1000, 10 bytes, then a clean close.
func TestHostileShortBody(t *testing.T) {
	srv := newRawServer(t, func(c net.Conn, br *bufio.Reader, done <-chan struct{}) {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n0123456789")
	})
	res := hostileFetch(t, gather.Options{Retries: 1}, secretReq(srv.url("/short")))
	checkResult(t, res, 200, 2, gather.KindConnection)
	if !errors.Is(res.Err, io.ErrUnexpectedEOF) {
		t.Errorf("err %v does not wrap io.ErrUnexpectedEOF", res.Err)
	}
	if res.Body != nil {
		t.Errorf("a cut body is kept: %q", res.Body)
	}
}

// 3. One body byte a second: the attempt times out, it does not hang.
func TestHostileDrip(t *testing.T) {
	srv := newRawServer(t, func(c net.Conn, br *bufio.Reader, done <-chan struct{}) {
		if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n"); err != nil {
			return
		}
		for {
			if _, err := c.Write([]byte("x")); err != nil {
				return
			}
			if !wait(time.Second, done) {
				return
			}
		}
	})
	res := hostileFetch(t, gather.Options{Retries: 1, Timeout: 400 * time.Millisecond}, secretReq(srv.url("/drip")))
	checkResult(t, res, 200, 2, gather.KindTimeout)
	if res.Elapsed > 3*time.Second {
		t.Errorf("elapsed %v for 2 attempts of 400ms", res.Elapsed)
	}
}

// 4. Header lines without end: the 1 MiB header cap (fast) or the attempt
// timeout (slow) ends it.
func TestHostileEndlessHeaders(t *testing.T) {
	line := "X-Junk: " + strings.Repeat("a", 100) + "\r\n"
	tests := []struct {
		name     string
		perWrite int           // header lines per write
		every    time.Duration // pause between writes
	}{
		{name: "fast", perWrite: 100},
		{name: "slow", perWrite: 1, every: 20 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chunk := strings.Repeat(line, tt.perWrite)
			srv := newRawServer(t, func(c net.Conn, br *bufio.Reader, done <-chan struct{}) {
				if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\n"); err != nil {
					return
				}
				for {
					if _, err := io.WriteString(c, chunk); err != nil {
						return // the client gave up
					}
					if tt.every > 0 && !wait(tt.every, done) {
						return
					}
					select {
					case <-done:
						return
					default:
					}
				}
			})
			res := hostileFetch(t, gather.Options{Retries: 1}, secretReq(srv.url("/headers")))
			checkResult(t, res, 0, 0, gather.KindProtocol, gather.KindTimeout)
			// protocol is final; a timeout is retried.
			if want := map[gather.Kind]int{gather.KindProtocol: 1, gather.KindTimeout: 2}[res.Kind()]; res.Attempts != want {
				t.Errorf("attempts %d, want %d for kind %q", res.Attempts, want, res.Kind())
			}
		})
	}
}

// 5. 2 MiB of headers, then a valid end and body: over the 1 MiB cap.
func TestHostileHugeHeaderBlock(t *testing.T) {
	var head strings.Builder
	head.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n")
	for i := 0; head.Len() < 2<<20; i++ {
		fmt.Fprintf(&head, "X-Big-%d: %s\r\n", i, strings.Repeat("b", 1000))
	}
	head.WriteString("\r\nok")
	resp := head.String()
	srv := newRawServer(t, func(c net.Conn, br *bufio.Reader, done <-chan struct{}) {
		io.WriteString(c, resp) // fails once the client gives up
	})
	res := hostileFetch(t, gather.Options{Retries: 1}, secretReq(srv.url("/bigheaders")))
	checkResult(t, res, 0, 1, gather.KindProtocol)
}

// 6. 429 with absurd Retry-After values: capped or ignored, never a hang.
func TestHostileRetryAfterStorm(t *testing.T) {
	for _, value := range []string{"99999999", "-5", "garbage", "Thu, 01 Jan 2099 00:00:00 GMT", "99999999999999999999999"} {
		t.Run(value, func(t *testing.T) {
			var hits atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				w.Header().Set("Retry-After", value)
				w.WriteHeader(http.StatusTooManyRequests)
			}))
			t.Cleanup(srv.Close)
			res := hostileFetch(t, gather.Options{Retries: 2, Backoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond},
				secretReq(srv.URL+"/storm"))
			checkResult(t, res, http.StatusTooManyRequests, 3, gather.KindHTTP)
			var ge *gather.Error
			if errors.As(res.Err, &ge) && ge.Status != http.StatusTooManyRequests {
				t.Errorf("Error.Status %d, want 429", ge.Status)
			}
			if got := hits.Load(); got != 3 {
				t.Errorf("server saw %d requests, want 3", got)
			}
			if res.Elapsed > 3*time.Second {
				t.Errorf("elapsed %v: waits of at most 100ms were not capped", res.Elapsed)
			}
		})
	}
}

// 7. A redirect loop, and redirects to schemes other than http(s).
func TestHostileRedirects(t *testing.T) {
	// A listener that must never see a connection: the ftp target.
	sentinel := newRawServer(t, nil)
	targets := map[string]string{
		"/loop":    "/loop",
		"/to-file": "file:///etc/passwd",
		"/to-ftp":  "ftp://" + sentinel.addr + "/",
		"/to-js":   "javascript:alert(1)",
	}
	var seen pathCounter
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.add(r.URL.Path)
		w.Header().Set("Location", targets[r.URL.Path])
		w.WriteHeader(http.StatusFound)
	}))
	t.Cleanup(srv.Close)

	t.Run("loop", func(t *testing.T) {
		res := hostileFetch(t, gather.Options{Retries: 2}, secretReq(srv.URL+"/loop"))
		checkResult(t, res, 0, 1, gather.KindProtocol)
		if !errors.Is(res.Err, gather.ErrTooManyRedirects) {
			t.Errorf("err %v is not ErrTooManyRedirects", res.Err)
		}
		if got := seen.get("/loop"); got != gather.DefaultMaxRedirects+1 {
			t.Errorf("server saw %d requests, want %d", got, gather.DefaultMaxRedirects+1)
		}
	})
	for _, path := range []string{"/to-file", "/to-ftp", "/to-js"} {
		t.Run(path, func(t *testing.T) {
			before := seen.total()
			res := hostileFetch(t, gather.Options{Retries: 2}, secretReq(srv.URL+path))
			checkResult(t, res, 0, 1, gather.KindProtocol)
			if !errors.Is(res.Err, gather.ErrRedirectScheme) {
				t.Errorf("err %v is not ErrRedirectScheme", res.Err)
			}
			if got := seen.total() - before; got != 1 {
				t.Errorf("server saw %d requests, want only the first one", got)
			}
		})
	}
	if n := sentinel.accepts.Load(); n != 0 {
		t.Errorf("the ftp:// redirect target was connected to %d times", n)
	}
}

// gzipBomb returns a gzip stream of under 100 KB that inflates to 50 MiB of
// zeros: 50 gzip members of 1 MiB each (a multi-member stream is valid
// gzip, and cheap to build).
func gzipBomb(t *testing.T) []byte {
	t.Helper()
	var member bytes.Buffer
	zw, err := gzip.NewWriterLevel(&member, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(make([]byte, 1<<20))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	bomb := bytes.Repeat(member.Bytes(), 50)
	if len(bomb) >= 100<<10 {
		t.Fatalf("bomb is %d bytes, want < 100 KB", len(bomb))
	}
	return bomb
}

// 8. Content-Encoding: gzip that inflates to 50 MiB, MaxBody 1 MiB.
func TestHostileGzipBomb(t *testing.T) {
	bomb := gzipBomb(t)
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", fmt.Sprint(len(bomb))) // small: passes the length check
		w.Write(bomb)
	}))
	t.Cleanup(srv.Close)

	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	res := hostileFetch(t, gather.Options{Retries: 2, MaxBody: 1 << 20}, secretReq(srv.URL+"/bomb"))
	runtime.ReadMemStats(&m1) // no GC: garbage made by the fetch still counts
	checkResult(t, res, 200, 1, gather.KindTooLarge)
	if res.Body != nil {
		t.Errorf("a too-large body is kept: %d bytes", len(res.Body))
	}
	if res.Bytes > 1<<20+1 {
		t.Errorf("%d bytes read past the 1 MiB limit", res.Bytes)
	}
	if got := hits.Load(); got != 1 {
		t.Errorf("server saw %d requests, want 1 (too_large is not retried)", got)
	}
	growth := int64(m1.HeapAlloc) - int64(m0.HeapAlloc)
	allocated := m1.TotalAlloc - m0.TotalAlloc
	t.Logf("heap growth %d KiB, allocated %d KiB during the fetch", growth>>10, allocated>>10)
	if growth > 10<<20 {
		t.Errorf("heap grew by %d MiB across the fetch, want < 10 MiB", growth>>20)
	}
	if allocated > 32<<20 {
		t.Errorf("%d MiB allocated during the fetch: the bomb was inflated into memory", allocated>>20)
	}
}

// 9. Malformed chunked bodies.
func TestHostileBadChunked(t *testing.T) {
	tests := []struct{ name, body string }{
		{name: "non-hex size", body: "zz\r\nhello\r\n0\r\n\r\n"},
		{name: "size overflows", body: "fffffffffffffffffffffff\r\nhello\r\n0\r\n\r\n"},
		{name: "no CRLF after data", body: "5\r\nhelloXX0\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRawServer(t, func(c net.Conn, br *bufio.Reader, done <-chan struct{}) {
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"+tt.body)
			})
			res := hostileFetch(t, gather.Options{Retries: 1}, secretReq(srv.url("/chunked")))
			// SPEC: a malformed response is protocol (and is not retried).
			checkResult(t, res, 200, 1, gather.KindProtocol)
		})
	}
}

// 10. A self-signed certificate: connection unless Insecure.
func TestHostileSelfSignedTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "tls ok")
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	srv.StartTLS()
	t.Cleanup(srv.Close)

	t.Run("verified", func(t *testing.T) {
		res := hostileFetch(t, gather.Options{Retries: 1}, secretReq(srv.URL+"/"))
		checkResult(t, res, 0, 2, gather.KindConnection)
		var verr *tls.CertificateVerificationError
		if !errors.As(res.Err, &verr) {
			t.Errorf("no *tls.CertificateVerificationError in %v", res.Err)
		}
	})
	t.Run("insecure", func(t *testing.T) {
		res := hostileFetch(t, gather.Options{Retries: 1, Insecure: true}, secretReq(srv.URL+"/"))
		checkResult(t, res, 200, 1)
		if string(res.Body) != "tls ok" {
			t.Errorf("body %q", res.Body)
		}
	})
}

// 11. A name that does not resolve, through an injected dialer.
func TestHostileDNSFailure(t *testing.T) {
	var dials atomic.Int64
	loop := loopbackDial()
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == "nowhere.test:80" {
			dials.Add(1)
			return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: "nowhere.test", IsNotFound: true}}
		}
		return loop(ctx, network, addr)
	}
	res := hostileFetch(t, gather.Options{Retries: 2, DialContext: dial}, secretReq("http://nowhere.test/x"))
	checkResult(t, res, 0, 3, gather.KindConnection)
	if got := dials.Load(); got != 3 {
		t.Errorf("dialer called %d times for 3 attempts", got)
	}
	var dnsErr *net.DNSError
	if !errors.As(res.Err, &dnsErr) || !dnsErr.IsNotFound {
		t.Errorf("no not-found *net.DNSError in %v", res.Err)
	}
}

// 12. Accepts, reads the request, never answers.
func TestHostileNeverAnswers(t *testing.T) {
	srv := newRawServer(t, func(c net.Conn, br *bufio.Reader, done <-chan struct{}) {
		io.Copy(io.Discard, br) // until the client (or cleanup) closes
	})
	const retries = 2
	res := hostileFetch(t, gather.Options{Retries: retries, Timeout: 300 * time.Millisecond}, secretReq(srv.url("/silent")))
	checkResult(t, res, 0, retries+1, gather.KindTimeout)
	// One request an attempt at most; on a loaded machine an attempt's 300 ms
	// may run out before its request is read, so fewer is no failure.
	if got := srv.requests.Load(); got < 1 || got > retries+1 {
		t.Errorf("server saw %d requests, want 1 to %d", got, retries+1)
	}
}

// 13. Headers with Content-Length 100, then close: no body at all.
func TestHostileCloseAfterHeaders(t *testing.T) {
	srv := newRawServer(t, func(c net.Conn, br *bufio.Reader, done <-chan struct{}) {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n")
	})
	res := hostileFetch(t, gather.Options{Retries: 1}, secretReq(srv.url("/nobody")))
	checkResult(t, res, 200, 2, gather.KindConnection)
}

// 14. A body delimited by the connection's close is a whole body.
func TestHostileCloseDelimitedBody(t *testing.T) {
	tests := []struct{ name, head string }{
		{name: "HTTP/1.0", head: "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n"},
		{name: "HTTP/1.1 Connection close", head: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"},
	}
	const body = "the whole body, delimited by close"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRawServer(t, func(c net.Conn, br *bufio.Reader, done <-chan struct{}) {
				io.WriteString(c, tt.head+body)
			})
			res := hostileFetch(t, gather.Options{Retries: 1}, secretReq(srv.url("/close")))
			checkResult(t, res, 200, 1)
			if string(res.Body) != body || res.Bytes != int64(len(body)) {
				t.Errorf("body %q (%d bytes), want %q", res.Body, res.Bytes, body)
			}
		})
	}
}

// 15. Authorization and Cookie are not carried to another host by a
// redirect, but are on the same host. other.test is mapped to 127.0.0.1
// by the injected dialer: no resolver.
func TestHostileRedirectDropsCredentials(t *testing.T) {
	type seenHeaders struct {
		mu sync.Mutex
		h  map[string]http.Header // by path
	}
	record := func(s *seenHeaders, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.h == nil {
			s.h = make(map[string]http.Header)
		}
		s.h[r.URL.Path] = r.Header.Clone()
	}
	get := func(s *seenHeaders, path string) (http.Header, bool) {
		s.mu.Lock()
		defer s.mu.Unlock()
		h, ok := s.h[path]
		return h, ok
	}

	var seenA, seenB seenHeaders
	var aURL string // http://127.0.0.1:PA
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record(&seenB, r)
		if r.URL.Path == "/bounce" { // back to the first host
			http.Redirect(w, r, aURL+"/landing-back", http.StatusFound)
			return
		}
		io.WriteString(w, "b")
	}))
	t.Cleanup(b.Close)
	_, bPort, _ := net.SplitHostPort(b.Listener.Addr().String())
	otherB := "http://other.test:" + bPort
	a := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record(&seenA, r)
		switch r.URL.Path {
		case "/cross":
			http.Redirect(w, r, otherB+"/landing", http.StatusFound)
		case "/same":
			http.Redirect(w, r, "/landing", http.StatusFound)
		case "/cross-back":
			http.Redirect(w, r, otherB+"/bounce", http.StatusFound)
		default:
			io.WriteString(w, "a")
		}
	}))
	t.Cleanup(a.Close)
	aURL = a.URL
	if !strings.HasPrefix(aURL, "http://127.0.0.1:") {
		t.Fatalf("server A at %s, want 127.0.0.1", aURL)
	}

	const cookie = "session=SECRET-COOKIE"
	req := func(path string) gather.Request {
		r := secretReq(aURL + path)
		r.Header.Set("Cookie", cookie)
		r.Header.Set("X-Plain", "kept")
		return r
	}
	opts := gather.Options{Retries: 1, DialContext: loopbackDial("other.test")}
	hasCreds := func(h http.Header) (auth, ck bool) {
		return h.Get("Authorization") != "", h.Get("Cookie") != ""
	}

	t.Run("cross host", func(t *testing.T) {
		res := hostileFetch(t, opts, req("/cross"))
		checkResult(t, res, 200, 1)
		h, ok := get(&seenB, "/landing")
		if !ok {
			t.Fatal("the redirect to other.test was not followed")
		}
		if auth, ck := hasCreds(h); auth || ck {
			t.Errorf("other host got Authorization %q, Cookie %q; want neither", h.Get("Authorization"), h.Get("Cookie"))
		}
		if h.Get("X-Plain") != "kept" {
			t.Errorf("a plain header was dropped too: %v", h)
		}
	})
	t.Run("same host", func(t *testing.T) {
		res := hostileFetch(t, opts, req("/same"))
		checkResult(t, res, 200, 1)
		h, ok := get(&seenA, "/landing")
		if !ok {
			t.Fatal("the same-host redirect was not followed")
		}
		if h.Get("Authorization") != "Bearer "+hostileSecret || h.Get("Cookie") != cookie {
			t.Errorf("same host got Authorization %q, Cookie %q; want both kept", h.Get("Authorization"), h.Get("Cookie"))
		}
	})
	t.Run("cross host and back", func(t *testing.T) {
		res := hostileFetch(t, opts, req("/cross-back"))
		checkResult(t, res, 200, 1)
		if h, ok := get(&seenB, "/bounce"); !ok {
			t.Fatal("the redirect to other.test was not followed")
		} else if auth, ck := hasCreds(h); auth || ck {
			t.Errorf("other host got Authorization %q, Cookie %q; want neither", h.Get("Authorization"), h.Get("Cookie"))
		}
		h, ok := get(&seenA, "/landing-back")
		if !ok {
			t.Fatal("the redirect back was not followed")
		}
		// Once dropped, credentials stay dropped for the rest of the chain.
		if auth, ck := hasCreds(h); auth || ck {
			t.Errorf("back on the first host after another: Authorization %q, Cookie %q; want neither", h.Get("Authorization"), h.Get("Cookie"))
		}
	})
}
