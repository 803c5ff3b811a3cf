package gather

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
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
}

// fetch runs a request's attempts. done is false when ctx was cancelled
// before an outcome; when ctx ended at the run's deadline, the result is of
// KindDeadline instead.
func (c *Client) fetch(ctx context.Context, req Request, h hooks) (res Result, done bool) {
	res.Request = req
	if req.Err != nil { // set by the input, or by prepare
		res.Err = &Error{Kind: KindInvalid, Err: req.Err}
		return res, true
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
		out := c.attempt(ctx, &req)
		res.Attempts = attempt
		if ctx.Err() != nil {
			return c.unfinished(ctx, res)
		}
		res.Status, res.Header, res.ContentType = out.status, out.header, out.contentType
		res.Body, res.Bytes, res.Err = out.body, out.bytes, out.err
		if attempt > c.opts.Retries || !c.retryable(ctx, out) {
			break
		}
		wait := c.opts.BackoffFunc(attempt, c.opts.Backoff, c.opts.MaxBackoff)
		if out.resp != nil {
			if d, ok := ParseRetryAfter(out.resp.Header.Get("Retry-After"), c.now()); ok {
				wait = min(d, c.opts.MaxBackoff)
				if h.pause != nil {
					h.pause(c.now().Add(wait))
				}
			}
		}
		if !sleep(ctx, min(wait, c.opts.MaxBackoff)) {
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
	res.Status, res.Header, res.ContentType, res.Body, res.Bytes = 0, nil, "", nil, 0
	if !res.Started.IsZero() {
		res.Elapsed = c.now().Sub(res.Started)
	}
	res.Err = &Error{Kind: KindDeadline, Err: fmt.Errorf("unfinished when the run's deadline (%v) passed", c.opts.Deadline)}
	return res, true
}

func (c *Client) retryable(ctx context.Context, out outcome) bool {
	switch KindOf(out.err) {
	case KindInvalid, KindTooLarge:
		return false
	}
	return c.opts.CheckRetry(ctx, out.resp, out.err)
}

// sleep waits for d or until ctx is done, and reports whether it waited d.
func sleep(ctx context.Context, d time.Duration) bool {
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
	}
}

// outcome is what one attempt produced.
type outcome struct {
	resp        *http.Response // body consumed; nil when no response came
	status      int
	header      http.Header
	contentType string
	body        []byte
	bytes       int64
	err         error // nil or *Error
}

// attempt sends req once, reads the body within the limits and classifies
// the outcome.
func (c *Client) attempt(ctx context.Context, req *Request) (out outcome) {
	actx, cancel := ctx, context.CancelFunc(func() {})
	if c.opts.Timeout > 0 {
		actx, cancel = context.WithTimeout(ctx, c.opts.Timeout)
	}
	defer cancel()
	timedOut := func() bool { return ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) }

	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	hreq, err := http.NewRequestWithContext(actx, req.method(), req.URL, body)
	if err != nil {
		out.err = &Error{Kind: KindInvalid, Err: NewInputError(req.Line, req.URL, cause(err))}
		return out
	}
	c.setHeaders(hreq, req)

	resp, err := c.http.Do(hreq)
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
	out.body, out.bytes, err = c.readBody(resp)
	switch {
	case err == nil:
	case errors.Is(err, ErrBodyTooLarge):
		out.body = nil
		out.err = &Error{Kind: KindTooLarge, Err: err}
		return out
	case timedOut():
		out.body = nil
		out.err = &Error{Kind: KindTimeout, Err: fmt.Errorf("body not complete within %v (%d bytes read)", c.opts.Timeout, out.bytes)}
		return out
	default:
		out.body = nil
		out.err = &Error{Kind: classify(err), Err: fmt.Errorf("reading body: %w", err)}
		return out
	}
	if resp.StatusCode >= 400 {
		out.err = httpError(resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return out
}

func (c *Client) setHeaders(hreq *http.Request, req *Request) {
	for k, vs := range c.opts.Header {
		hreq.Header[k] = vs
	}
	for k, vs := range req.Header {
		hreq.Header[http.CanonicalHeaderKey(k)] = vs
	}
	if _, ok := hreq.Header["User-Agent"]; !ok {
		hreq.Header.Set("User-Agent", c.opts.UserAgent)
	}
	if host := hreq.Header.Get("Host"); host != "" {
		hreq.Host = host
	}
}

// readBody reads resp's body up to MaxBody, or counts it with DiscardBody.
func (c *Client) readBody(resp *http.Response) ([]byte, int64, error) {
	limit := c.opts.MaxBody
	r := io.Reader(resp.Body)
	if limit >= 0 {
		r = io.LimitReader(resp.Body, limit+1)
	}
	if c.opts.DiscardBody {
		n, err := io.Copy(io.Discard, r)
		if err == nil && limit >= 0 && n > limit {
			err = fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, limit)
		}
		return nil, n, err
	}
	size := 512
	if cl := resp.ContentLength; cl >= 0 && (limit < 0 || cl <= limit) {
		size = int(cl) + 1 // +1 so a body of exactly cl bytes needs no regrowth to see EOF
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	n, err := buf.ReadFrom(r)
	if err == nil && limit >= 0 && n > limit {
		err = fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, limit)
	}
	return buf.Bytes(), n, err
}
