package gather

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/gatherdev/gather/internal/savedir"
)

// errRunDeadline is the cause of a run's fetch context ending at
// Options.Deadline, which turns what is unfinished into KindDeadline.
var errRunDeadline = errors.New("the run's deadline passed")

// hooks connect one request's attempts to the run's scheduler. The zero
// value does nothing.
type hooks struct {
	// beforeRetry waits for the rate limits before a retry.
	beforeRetry func(ctx context.Context) error
	// pause stops new requests to the request's host until the time given.
	pause func(until time.Time)
	// stopped is closed when nothing new may be sent: backoff waits end.
	stopped <-chan struct{}
}

// fetch runs a request's attempts. done is false when ctx was cancelled
// before an outcome; when ctx ended at the run's deadline, the result is of
// KindDeadline instead.
// u is req.URL as prepare parsed it. at, when not nil, times the attempts;
// its parent must be ctx.
func (c *Client) fetch(ctx context.Context, req Request, u *url.URL, at *attemptTimer, h hooks) (res Result, done bool) {
	res.Request = req
	if req.Err != nil { // set by the input, or by prepare
		res.Err = &Error{Kind: KindInvalid, Err: req.Err}
		return res, true
	}
	if at == nil {
		at = newAttemptTimer(ctx, c.opts.Timeout)
		defer at.close()
	}
	for attempt := 1; ; attempt++ {
		if attempt > 1 && h.beforeRetry != nil {
			if err := h.beforeRetry(ctx); err != nil {
				return c.unfinished(ctx, res)
			}
		}
		if ctx.Err() != nil {
			return c.unfinished(ctx, res)
		}
		if attempt == 1 {
			res.Started = c.now()
		}
		out := c.attempt(ctx, at, &req, u)
		res.Attempts = attempt
		if ctx.Err() != nil {
			return c.unfinished(ctx, res)
		}
		res.Status, res.Header, res.ContentType = out.status, out.header, out.contentType
		res.Body, res.File, res.Bytes, res.Err = out.body, out.file, out.bytes, out.err
		retryAfter, hasRetryAfter := time.Duration(0), false
		if out.status == http.StatusTooManyRequests || out.status == http.StatusServiceUnavailable {
			retryAfter, hasRetryAfter = ParseRetryAfter(out.header.Get("Retry-After"), c.now())
			retryAfter = min(retryAfter, c.opts.MaxBackoff)
			if hasRetryAfter && h.pause != nil {
				// The whole host waits, whether or not this request tries again.
				h.pause(c.now().Add(retryAfter))
			}
		}
		if attempt > c.opts.Retries || !c.retryable(ctx, out) {
			break
		}
		wait := c.opts.BackoffFunc(attempt, c.opts.Backoff, c.opts.MaxBackoff)
		if hasRetryAfter {
			wait = retryAfter
		}
		if !sleep(ctx, min(wait, c.opts.MaxBackoff), h.stopped) {
			return c.unfinished(ctx, res)
		}
	}
	res.Elapsed = c.now().Sub(res.Started)
	return res, true
}

// unfinished ends a request whose ctx is done: a KindDeadline result when
// the run's deadline passed, else no result at all.
func (c *Client) unfinished(ctx context.Context, res Result) (Result, bool) {
	if !errors.Is(context.Cause(ctx), errRunDeadline) {
		return res, false
	}
	res.Status, res.Header, res.ContentType, res.Body, res.File, res.Bytes = 0, nil, "", nil, "", 0
	if !res.Started.IsZero() {
		res.Elapsed = c.now().Sub(res.Started)
	}
	res.Err = &Error{Kind: KindDeadline, Err: fmt.Errorf("unfinished when the run's deadline (%v) passed", c.opts.Deadline)}
	return res, true
}

func (c *Client) retryable(ctx context.Context, out outcome) bool {
	if out.err != nil && (errors.As(out.err, new(*SaveError)) || errors.As(out.err, new(*DeniedAddressError))) {
		return false // not the server's doing: another attempt ends the same
	}
	switch KindOf(out.err) {
	case KindInvalid, KindTooLarge:
		return false
	}
	return c.opts.CheckRetry(ctx, out.resp, out.err)
}

// sleep waits for d, or until ctx is done or stop is closed, and reports
// whether it waited d.
func sleep(ctx context.Context, d time.Duration, stop <-chan struct{}) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-stop:
		return false
	}
}

// outcome is what one attempt produced.
type outcome struct {
	resp        *http.Response // body consumed; nil when no response came
	status      int
	header      http.Header
	contentType string
	body        []byte
	file        string // the saved body's path, with Options.SaveDir
	bytes       int64
	err         error // nil, *Error or *SaveError
}

// attempt sends req, whose URL is u, once, reads the body within the limits
// and classifies the outcome. at gives it a context that ends at the
// timeout; ctx is at's parent.
func (c *Client) attempt(ctx context.Context, at *attemptTimer, req *Request, u *url.URL) (out outcome) {
	actx := at.start()
	defer at.stop()
	timedOut := func() bool { return ctx.Err() == nil && attemptTimedOut(actx) }

	resp, err := c.do(c.newHTTPRequest(actx, req, u))
	if err != nil {
		if timedOut() {
			out.err = &Error{Kind: KindTimeout, Err: fmt.Errorf("no response within %v", c.opts.Timeout)}
		} else {
			err = cause(err)
			out.err = &Error{Kind: classify(err), Err: err}
		}
		return out
	}
	defer resp.Body.Close()
	out.resp, out.status, out.header = resp, resp.StatusCode, resp.Header
	out.contentType = resp.Header.Get("Content-Type")

	if limit := c.opts.MaxBody; limit >= 0 && resp.ContentLength > limit {
		out.err = &Error{Kind: KindTooLarge, Err: fmt.Errorf("%w: Content-Length %d is over the %d-byte limit", ErrBodyTooLarge, resp.ContentLength, limit)}
		return out
	}
	var file *savedir.File
	var dst io.Writer = io.Discard
	var body []byte // the body read into memory, when kept
	switch {
	case c.opts.SaveDir != "" && resp.StatusCode >= 200 && resp.StatusCode <= 299:
		if file, err = c.createFile(req); err != nil {
			out.err = err
			return out
		}
		defer file.Abort() // a no-op once committed
		dst = file
	case !c.opts.DiscardBody && c.opts.SaveDir == "": // with SaveDir, no body is kept
		size := 512
		if cl := resp.ContentLength; cl >= 0 {
			// +1 so that a body of exactly cl bytes needs no regrowth to see
			// EOF; capped, as a server may claim any length.
			size = int(min(cl+1, 4<<20))
		}
		body = make([]byte, 0, size)
		dst = nil
		defer func() {
			if out.err == nil || KindOf(out.err) == KindHTTP {
				out.body = body
			}
		}()
	}
	out.bytes, err = c.readBody(resp, dst, &body)
	switch {
	case err == nil:
	case errors.Is(err, ErrBodyTooLarge):
		out.err = &Error{Kind: KindTooLarge, Err: err}
		return out
	case timedOut():
		out.err = &Error{Kind: KindTimeout, Err: fmt.Errorf("body not complete within %v (%d bytes read)", c.opts.Timeout, out.bytes)}
		return out
	case errors.As(err, new(*SaveError)):
		out.err = err
		return out
	default:
		out.err = &Error{Kind: classify(err), Err: fmt.Errorf("reading body: %w", err)}
		return out
	}
	if file != nil {
		if out.file, err = file.Commit(); err != nil {
			out.err = &SaveError{Dir: c.opts.SaveDir, Err: err}
			return out
		}
	}
	if resp.StatusCode >= 400 {
		out.err = httpError(resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return out
}

func (c *Client) setHeaders(hreq *http.Request, req *Request) {
	if len(req.Header) == 0 {
		// Shared by every such request: net/http only reads a request's
		// header, and copies it before any change of its own.
		hreq.Header = c.header
	} else {
		h := c.header.Clone()
		for k, vs := range req.Header {
			h[http.CanonicalHeaderKey(k)] = vs
		}
		hreq.Header = h
	}
	if host := hreq.Header.Get("Host"); host != "" {
		hreq.Host = host
	}
}

// readBody copies resp's body to dst, or appends it to *body when dst is
// nil, up to MaxBody.
func (c *Client) readBody(resp *http.Response, dst io.Writer, body *[]byte) (int64, error) {
	limit := c.opts.MaxBody
	r := io.Reader(resp.Body)
	if limit >= 0 && (resp.ContentLength < 0 || c.transport == nil) {
		// With a Content-Length (not over the limit: attempt checked),
		// net/http's body reads no further; a caller's RoundTripper might.
		r = io.LimitReader(resp.Body, limit+1)
	}
	var n int64
	var err error
	switch dst.(type) {
	case nil:
		*body, err = appendAll(*body, r)
		n = int64(len(*body))
	case *savedir.File:
		// io.Copy would allocate 32 KiB a body: a File has no ReadFrom.
		buf := copyBuffers.Get().(*[]byte)
		n, err = io.CopyBuffer(saveWriter{dst, c.opts.SaveDir}, r, *buf)
		copyBuffers.Put(buf)
	default:
		n, err = io.Copy(dst, r) // io.Discard: its ReadFrom pools its buffer
	}
	if err == nil && limit >= 0 && n > limit {
		err = fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, limit)
	}
	return n, err
}

// copyBuffers are the buffers that bodies are saved through; none escapes.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// appendAll appends what r has to b, as io.ReadAll does, growing b only
// when it is full.
func appendAll(b []byte, r io.Reader) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
	}
}

// createFile starts the file that req's body is saved to.
func (c *Client) createFile(req *Request) (*savedir.File, error) {
	if c.saveDirErr != nil {
		return nil, &SaveError{Dir: c.opts.SaveDir, Err: c.saveDirErr}
	}
	f, err := c.saveDir.Create(req.URL, req.Fingerprint().String())
	if err != nil {
		return nil, &SaveError{Dir: c.opts.SaveDir, Err: err}
	}
	return f, nil
}

// saveWriter marks write errors as the save directory's, not the response's.
type saveWriter struct {
	w   io.Writer
	dir string
}

func (s saveWriter) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if err != nil {
		err = &SaveError{Dir: s.dir, Err: err}
	}
	return n, err
}
