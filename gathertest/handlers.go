package gathertest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

const (
	maxBytes     = 1 << 30  // /bytes/{n} and /drip?bytes=N
	maxJSONSize  = 64 << 20 // /json?size=N is capped to this
	defaultJSON  = 1024     // /json size when none is given
	maxEchoBody  = 10 << 20 // /echo reads this much of the body
	maxMillis    = 86400000 // 24h, for /delay and /drip intervals
	streamChunk  = 32 << 10 // write size of /bytes and /json
	dripBytes    = 10       // /drip default bytes
	dripInterval = 500      // /drip default interval_ms
	jsonHead     = `{"items":[`
	jsonPadStart = `],"pad":"`
	jsonTail     = `"}`
)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/delay/{ms}", s.handleDelay)
	mux.HandleFunc("/status/{code}", handleStatus)
	mux.HandleFunc("/json", s.handleJSON)
	mux.HandleFunc("/bytes/{n}", s.handleBytes)
	mux.HandleFunc("/flaky/{n}", s.handleFlaky)
	mux.HandleFunc("/reset/{n}", s.handleReset)
	mux.HandleFunc("/ratelimit/{secs}", s.handleRateLimit)
	mux.HandleFunc("/hang", s.handleHang)
	mux.HandleFunc("/drip", s.handleDrip)
	mux.HandleFunc("/redirect/{n}", handleRedirect)
	mux.HandleFunc("/echo", s.handleEcho)
	return mux
}

// abort ends the handler without a (complete) response: net/http closes
// the connection (HTTP/1) or resets the stream (HTTP/2), and logs nothing.
func abort() { panic(http.ErrAbortHandler) }

// wait sleeps for d, aborting the handler if the client goes away or the
// server closes first.
func (s *Server) wait(ctx context.Context, d time.Duration) {
	if d <= 0 {
		select {
		case <-ctx.Done():
			abort()
		case <-s.closing:
			abort()
		default:
			return
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		abort()
	case <-s.closing:
		abort()
	}
}

// pathInt parses the path value name as an integer in [0, max], or writes a
// 400 and returns false.
func pathInt(w http.ResponseWriter, r *http.Request, name string, max int64) (int64, bool) {
	return parseInt(w, name, r.PathValue(name), max)
}

func parseInt(w http.ResponseWriter, name, v string, max int64) (int64, bool) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > max {
		http.Error(w, fmt.Sprintf("bad %s %q: want an integer from 0 to %d", name, v, max), http.StatusBadRequest)
		return 0, false
	}
	return n, true
}

// queryInt parses query parameter name, def when absent or empty.
func queryInt(w http.ResponseWriter, r *http.Request, name string, def, max int64) (int64, bool) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, true
	}
	return parseInt(w, name, v, max)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	b := buf.Bytes()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeStatusText writes "404 Not Found\n" style bodies.
func writeStatusText(w http.ResponseWriter, code int) {
	text := http.StatusText(code)
	if text == "" {
		text = "Unknown Status"
	}
	http.Error(w, strconv.Itoa(code)+" "+text, code)
}

func (s *Server) handleDelay(w http.ResponseWriter, r *http.Request) {
	ms, ok := pathInt(w, r, "ms", maxMillis)
	if !ok {
		return
	}
	s.wait(r.Context(), time.Duration(ms)*time.Millisecond)
	writeJSON(w, http.StatusOK, map[string]int64{"delay_ms": ms})
}

// handleStatus answers /status/{code}. Codes 1xx are refused (400): net/http
// sends them as informational responses followed by a 200, never as the
// final status.
func handleStatus(w http.ResponseWriter, r *http.Request) {
	v := r.PathValue("code")
	code, err := strconv.Atoi(v)
	if err != nil || code < 200 || code > 599 {
		http.Error(w, fmt.Sprintf("bad status code %q: want 200 to 599", v), http.StatusBadRequest)
		return
	}
	if code == http.StatusNoContent || code == http.StatusNotModified {
		w.WriteHeader(code)
		return
	}
	writeStatusText(w, code)
}

// streamWriter writes to a response, failing once the client goes away or
// the server closes.
type streamWriter struct {
	s   *Server
	ctx context.Context
	w   io.Writer
}

func (sw *streamWriter) Write(p []byte) (int, error) {
	select {
	case <-sw.s.closing:
		return 0, errClosing
	case <-sw.ctx.Done():
		return 0, sw.ctx.Err()
	default:
	}
	return sw.w.Write(p)
}

func (s *Server) handleJSON(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query().Get("size")
	size := int64(defaultJSON)
	if v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			http.Error(w, fmt.Sprintf("bad size %q: want an integer", v), http.StatusBadRequest)
			return
		}
		size = min(n, maxJSONSize)
	}
	size = max(size, 2)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	bw := bufio.NewWriterSize(&streamWriter{s: s, ctx: r.Context(), w: w}, streamChunk)
	writeJSONDoc(bw, size)
	if bw.Flush() != nil {
		abort()
	}
}

// writeJSONDoc writes a JSON document of exactly size (>= 2) bytes to bw:
// {"items":[{...},...],"pad":"xxx"}, or {} padded with spaces when size is
// too small for that. Errors stick in bw.
func writeJSONDoc(bw *bufio.Writer, size int64) {
	overhead := int64(len(jsonHead) + len(jsonPadStart) + len(jsonTail))
	if size < overhead {
		bw.WriteString("{}")
		writeRepeat(bw, ' ', size-2)
		return
	}
	left := size - overhead
	bw.WriteString(jsonHead)
	item := make([]byte, 0, 64)
	for i := int64(0); ; i++ {
		item = appendJSONItem(item[:0], i)
		need := int64(len(item))
		if i > 0 {
			need++
		}
		if need > left {
			break
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		if _, err := bw.Write(item); err != nil {
			abort() // the client went away or the server is closing
		}
		left -= need
	}
	bw.WriteString(jsonPadStart)
	writeRepeat(bw, 'x', left)
	bw.WriteString(jsonTail)
}

func appendJSONItem(b []byte, i int64) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, i, 10)
	b = append(b, `,"name":"item-`...)
	b = strconv.AppendInt(b, i, 10)
	b = append(b, `","value":`...)
	state := uint64(i)
	b = strconv.AppendUint(b, splitmix64(&state)%1000000, 10)
	b = append(b, `,"ok":`...)
	b = strconv.AppendBool(b, i%3 != 0)
	return append(b, '}')
}

func writeRepeat(bw *bufio.Writer, c byte, n int64) {
	for ; n > 0; n-- {
		bw.WriteByte(c)
	}
}

// splitmix64 is a small, fast, deterministic pseudo-random generator.
func splitmix64(state *uint64) uint64 {
	*state += 0x9e3779b97f4a7c15
	z := *state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// handleBytes answers /bytes/{n} with n pseudo-random bytes, the same for
// every request. The first byte is 0xff, so the body is never valid UTF-8.
func (s *Server) handleBytes(w http.ResponseWriter, r *http.Request) {
	n, ok := pathInt(w, r, "n", maxBytes)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead || n == 0 {
		return
	}
	sw := &streamWriter{s: s, ctx: r.Context(), w: w}
	buf := make([]byte, min(n, streamChunk))
	var state uint64 = 0x6761746865720000 // "gather"
	first := true
	for n > 0 {
		chunk := buf[:min(n, int64(len(buf)))]
		for i := 0; i < len(chunk); i += 8 {
			x := splitmix64(&state)
			for j := i; j < i+8 && j < len(chunk); j++ {
				chunk[j] = byte(x)
				x >>= 8
			}
		}
		if first {
			chunk[0] = 0xff
			first = false
		}
		if _, err := sw.Write(chunk); err != nil {
			abort()
		}
		n -= int64(len(chunk))
	}
}

func (s *Server) handleFlaky(w http.ResponseWriter, r *http.Request) {
	n, ok := pathInt(w, r, "n", 1<<62)
	if !ok {
		return
	}
	hit := s.attempt(r)
	if hit <= n {
		writeStatusText(w, http.StatusServiceUnavailable)
		return
	}
	writeJSON(w, http.StatusOK, okBody{OK: true, Hit: hit})
}

type okBody struct {
	OK  bool  `json:"ok"`
	Hit int64 `json:"hit"`
}

// handleReset answers /reset/{n}. Note that Go's http.Transport retries a
// GET transparently when a reused keep-alive connection fails this way, so
// one client request may count as two hits.
func (s *Server) handleReset(w http.ResponseWriter, r *http.Request) {
	n, ok := pathInt(w, r, "n", 1<<62)
	if !ok {
		return
	}
	hit := s.attempt(r)
	if hit > n {
		writeJSON(w, http.StatusOK, okBody{OK: true, Hit: hit})
		return
	}
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		abort() // HTTP/2: resets the stream
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

func (s *Server) handleRateLimit(w http.ResponseWriter, r *http.Request) {
	hit := s.attempt(r)
	if hit == 1 {
		w.Header().Set("Retry-After", r.PathValue("secs"))
		writeStatusText(w, http.StatusTooManyRequests)
		return
	}
	writeJSON(w, http.StatusOK, okBody{OK: true, Hit: hit})
}

func (s *Server) handleHang(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-s.closing:
	}
	abort()
}

func (s *Server) handleDrip(w http.ResponseWriter, r *http.Request) {
	n, ok := queryInt(w, r, "bytes", dripBytes, maxBytes)
	if !ok {
		return
	}
	ms, ok := queryInt(w, r, "interval_ms", dripInterval, maxMillis)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	if rc.Flush() != nil {
		abort()
	}
	if r.Method == http.MethodHead {
		return
	}
	interval := time.Duration(ms) * time.Millisecond
	b := []byte{0}
	for i := int64(0); i < n; i++ {
		s.wait(r.Context(), interval)
		b[0] = 'a' + byte(i%26)
		if _, err := w.Write(b); err != nil {
			abort()
		}
		if rc.Flush() != nil {
			abort()
		}
	}
}

func handleRedirect(w http.ResponseWriter, r *http.Request) {
	n, ok := pathInt(w, r, "n", 1<<62)
	if !ok {
		return
	}
	if n == 0 {
		writeJSON(w, http.StatusOK, map[string]bool{"redirected": true})
		return
	}
	loc := "/redirect/" + strconv.FormatInt(n-1, 10)
	if r.URL.RawQuery != "" {
		loc += "?" + r.URL.RawQuery
	}
	w.Header().Set("Location", loc)
	w.WriteHeader(http.StatusFound)
}

// echoBody is the JSON answer of /echo.
type echoBody struct {
	Method    string      `json:"method"`
	URI       string      `json:"uri"`
	Host      string      `json:"host"`
	Headers   http.Header `json:"headers"`
	Body      string      `json:"body"`
	Truncated bool        `json:"truncated,omitempty"`
}

func (s *Server) handleEcho(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(&streamReader{s: s, ctx: r.Context(), r: r.Body}, maxEchoBody+1))
	if err != nil {
		abort()
	}
	e := echoBody{
		Method:  r.Method,
		URI:     requestURI(r),
		Host:    r.Host,
		Headers: r.Header,
	}
	if len(body) > maxEchoBody {
		body = body[:maxEchoBody]
		e.Truncated = true
	}
	e.Body = string(body)
	if e.Headers == nil {
		e.Headers = http.Header{}
	}
	writeJSON(w, http.StatusOK, e)
}

// streamReader reads a request body, failing once the client goes away or
// the server closes.
type streamReader struct {
	s   *Server
	ctx context.Context
	r   io.Reader
}

func (sr *streamReader) Read(p []byte) (int, error) {
	select {
	case <-sr.s.closing:
		return 0, errClosing
	case <-sr.ctx.Done():
		return 0, sr.ctx.Err()
	default:
	}
	return sr.r.Read(p)
}
