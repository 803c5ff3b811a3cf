// Package gathertest provides an in-process HTTP test server with
// fault-injecting endpoints and counters of what it saw. It is to gather
// what net/http/httptest is to net/http.
//
// Unit tests use NewServer; `gather serve` and `gather demo` use Start. The
// endpoints are:
//
//	/delay/{ms}            200 {"delay_ms":ms} after ms milliseconds
//	/status/{code}         that status (200..599), text body "404 Not Found\n"
//	/json?size=N           a deterministic JSON document of exactly max(N,2) bytes
//	/bytes/{n}             n deterministic pseudo-random bytes (never valid UTF-8)
//	/flaky/{n}             503 for the first n hits of each RequestURI, then 200
//	/reset/{n}             connection reset for the first n hits of each RequestURI, then 200
//	/ratelimit/{secs}      429 with Retry-After: secs on the first hit of each RequestURI, then 200
//	/hang                  never answers
//	/drip?bytes=N&interval_ms=M  headers at once, then one byte every M ms
//	/redirect/{n}          302 to /redirect/{n-1} (same query), 200 at 0
//	/echo                  the request as JSON
//
// Every endpoint accepts any method and any query string; a different query
// makes a different URL for the per-URL state of /flaky, /reset and
// /ratelimit. Anything else is 404, and bad path parameters are 400.
// /status refuses 1xx codes (400): net/http can only send them as
// informational responses followed by a 200.
//
// /hang, /drip and /delay give up when the client goes away or the server
// closes, and then close the connection rather than send a partial answer.
// Beware that Go's http.Transport silently retries an idempotent request
// whose reused keep-alive connection is reset, so one client call of
// /reset may count as two hits; use a fresh connection to avoid that.
package gathertest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// closeWaitMax bounds how long Close waits for running handlers. Handlers of
// the server's own connections end at once when it closes; the bound only
// matters for a Handler mounted on some other server.
const closeWaitMax = 5 * time.Second

// Server is a running test server. Its counters are safe for concurrent use.
type Server struct {
	// URL is the base URL of the server, "http://127.0.0.1:PORT", with no
	// trailing slash. When listening on an unspecified address (":8080"),
	// it uses the loopback address instead.
	URL string
	// Addr is the address the server listens on, "127.0.0.1:PORT".
	Addr string

	cfg     config
	srv     *http.Server
	handler http.Handler

	closing     chan struct{} // closed first when closing: releases /hang, /drip, /delay
	releaseOnce sync.Once
	closeOnce   sync.Once
	serveDone   chan struct{}

	requests    atomic.Int64
	connections atomic.Int64
	inFlight    atomic.Int64
	peak        atomic.Int64

	mu       sync.Mutex
	hits     map[string]int64 // by RequestURI
	pathHits map[string]int64 // by URL.Path
	attempts map[string]int64 // per-RequestURI state of /flaky, /reset, /ratelimit
	active   int              // handlers running, for Close
	idle     chan struct{}    // closed when active drops to 0, if set

	logMu sync.Mutex
}

// Option configures a Server started with Start.
type Option func(*config)

type config struct {
	log io.Writer
}

// WithLog makes the server write one line per request to w: time, remote
// address, method, RequestURI, status, response bytes and duration, for
// example
//
//	2026-01-02T15:04:05.000+01:00 127.0.0.1:51234 GET /delay/10 200 16 10.3ms
//
// The status is "-" when no response was sent (connection reset, or the
// handler gave up because the client went away or the server closed).
// Lines from concurrent requests are never interleaved. Write errors are
// ignored.
func WithLog(w io.Writer) Option {
	return func(c *config) { c.log = w }
}

// NewServer starts a Server on a free loopback port for the test tb and
// closes it when the test ends. It calls tb.Fatal if the server cannot start.
func NewServer(tb testing.TB) *Server {
	tb.Helper()
	s, err := Start("127.0.0.1:0")
	if err != nil {
		tb.Fatalf("gathertest: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Start listens on addr ("127.0.0.1:8080", or "127.0.0.1:0" for a free port)
// and serves the endpoints in a background goroutine until Close or
// Shutdown. The error, if any, names addr.
func Start(addr string, opts ...Option) (*Server, error) {
	s := &Server{
		closing:   make(chan struct{}),
		serveDone: make(chan struct{}),
		hits:      make(map[string]int64),
		pathHits:  make(map[string]int64),
		attempts:  make(map[string]int64),
	}
	for _, o := range opts {
		if o != nil {
			o(&s.cfg)
		}
	}
	s.handler = s.countHandler(s.routes())

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	s.Addr = ln.Addr().String()
	s.URL = "http://" + urlHost(ln.Addr())
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				s.connections.Add(1)
			}
		},
	}
	go func() {
		defer close(s.serveDone)
		_ = s.srv.Serve(ln) // always ErrServerClosed or an accept error once closed
	}()
	return s, nil
}

// urlHost returns the host:port to put in URLs for a listener address,
// replacing an unspecified IP with loopback.
func urlHost(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok || !ta.IP.IsUnspecified() {
		return a.String()
	}
	ip := net.IPv4(127, 0, 0, 1)
	if ta.IP.To4() == nil {
		ip = net.IPv6loopback
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(ta.Port))
}

// release closes the closing channel, releasing /hang, /drip and /delay.
func (s *Server) release() {
	s.releaseOnce.Do(func() { close(s.closing) })
}

// Close releases handlers blocked in /hang, /drip and /delay, closes the
// listener and every connection, and waits for the handlers and the serving
// goroutine to finish. It may be called more than once and from several
// goroutines. It does not block forever: handlers of a Handler mounted on
// another server are waited for at most a few seconds.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.release()
		_ = s.srv.Close()
		<-s.serveDone
		s.waitHandlers(closeWaitMax)
	})
}

// Shutdown shuts the server down gracefully: it stops accepting connections,
// releases handlers blocked in /hang, /drip and /delay (their clients see
// the connection close), waits for other requests to finish as
// http.Server.Shutdown does, and then calls Close. It returns ctx's error
// if ctx ends first; the server is closed in any case.
func (s *Server) Shutdown(ctx context.Context) error {
	s.release()
	err := s.srv.Shutdown(ctx)
	s.Close()
	return err
}

// waitHandlers waits up to d for running handlers to return.
func (s *Server) waitHandlers(d time.Duration) {
	s.mu.Lock()
	if s.active == 0 {
		s.mu.Unlock()
		return
	}
	ch := make(chan struct{})
	s.idle = ch
	s.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	}
}

// Handler returns the server's endpoints as an http.Handler, for mounting on
// another server. Requests it handles are counted on s (except Connections).
func (s *Server) Handler() http.Handler { return s.handler }

// Hits returns how many requests had exactly this RequestURI (path and
// query as sent, e.g. "/flaky/2?x=1").
func (s *Server) Hits(requestURI string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[requestURI]
}

// PathHits returns how many requests had this path, whatever the query
// (e.g. "/flaky/2"). The path is compared after percent-decoding.
func (s *Server) PathHits(path string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pathHits[path]
}

// Requests returns how many requests the server has seen, on any path.
func (s *Server) Requests() int64 { return s.requests.Load() }

// Connections returns how many TCP connections the server has accepted.
func (s *Server) Connections() int64 { return s.connections.Load() }

// InFlight returns how many requests are being handled now.
func (s *Server) InFlight() int64 { return s.inFlight.Load() }

// PeakInFlight returns the highest InFlight seen since start or the last
// ResetCounters.
func (s *Server) PeakInFlight() int64 { return s.peak.Load() }

// ResetCounters zeroes Requests, Connections, Hits and PathHits, and
// forgets the per-URL state of /flaky, /reset and /ratelimit. InFlight is a
// gauge of the requests running now and is left alone; PeakInFlight is
// reset to it.
func (s *Server) ResetCounters() {
	s.mu.Lock()
	s.requests.Store(0)
	s.connections.Store(0)
	s.peak.Store(s.inFlight.Load())
	clear(s.hits)
	clear(s.pathHits)
	clear(s.attempts)
	s.mu.Unlock()
}

// attempt counts a hit of r's RequestURI for a stateful endpoint and
// returns the count including this one.
func (s *Server) attempt(r *http.Request) int64 {
	uri := requestURI(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts[uri]++
	return s.attempts[uri]
}

func requestURI(r *http.Request) string {
	if r.RequestURI != "" {
		return r.RequestURI
	}
	return r.URL.RequestURI()
}

// countHandler wraps h with the counters and the optional log.
func (s *Server) countHandler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		uri := requestURI(r)
		s.mu.Lock()
		s.hits[uri]++
		s.pathHits[r.URL.Path]++
		s.active++
		s.mu.Unlock()
		s.requests.Add(1)
		n := s.inFlight.Add(1)
		for {
			p := s.peak.Load()
			if n <= p || s.peak.CompareAndSwap(p, n) {
				break
			}
		}

		rec := &recorder{ResponseWriter: w}
		completed := false
		defer func() {
			s.inFlight.Add(-1)
			s.mu.Lock()
			s.active--
			if s.active == 0 && s.idle != nil {
				close(s.idle)
				s.idle = nil
			}
			s.mu.Unlock()
			if s.cfg.log != nil {
				s.logLine(start, r, uri, rec, completed)
			}
		}()
		h.ServeHTTP(rec, r)
		completed = true
	})
}

func (s *Server) logLine(start time.Time, r *http.Request, uri string, rec *recorder, completed bool) {
	status := "-"
	switch {
	case rec.hijacked:
	case rec.status != 0:
		status = strconv.Itoa(rec.status)
	case completed:
		status = "200"
	}
	b := make([]byte, 0, 128)
	b = start.AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
	b = append(b, ' ')
	b = appendField(b, r.RemoteAddr)
	b = append(b, ' ')
	b = appendField(b, r.Method)
	b = append(b, ' ')
	b = appendField(b, uri)
	b = append(b, ' ')
	b = append(b, status...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, rec.bytes, 10)
	b = append(b, ' ')
	b = append(b, time.Since(start).Round(time.Microsecond).String()...)
	b = append(b, '\n')
	s.logMu.Lock()
	_, _ = s.cfg.log.Write(b)
	s.logMu.Unlock()
}

// appendField appends v, quoted if it is empty or holds spaces, control or
// non-ASCII characters, so that a log line stays one line of fields.
func appendField(b []byte, v string) []byte {
	if v == "" {
		return append(b, `""`...)
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= ' ' || c >= 0x7f || c == '"' {
			return strconv.AppendQuote(b, v)
		}
	}
	return append(b, v...)
}

// recorder notes the status and size of a response. It supports Flush,
// Hijack and Unwrap so that http.ResponseController works through it.
type recorder struct {
	http.ResponseWriter
	status   int
	bytes    int64
	hijacked bool
}

func (rw *recorder) WriteHeader(code int) {
	if rw.status == 0 && code >= 200 {
		rw.status = code
	}
	rw.ResponseWriter.WriteHeader(code)
}

func (rw *recorder) Write(p []byte) (int, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	n, err := rw.ResponseWriter.Write(p)
	rw.bytes += int64(n)
	return n, err
}

func (rw *recorder) FlushError() error {
	return http.NewResponseController(rw.ResponseWriter).Flush()
}

func (rw *recorder) Flush() { _ = rw.FlushError() }

func (rw *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(rw.ResponseWriter).Hijack()
	if err == nil {
		rw.hijacked = true
	}
	return c, brw, err
}

func (rw *recorder) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

// errClosing is returned by writes of a closing server.
var errClosing = errors.New("gathertest: server closing")
