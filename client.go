package gather

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"iter"
	"net"
	"net/http"
	"sync"
	"time"
)

// Client fetches requests with its Options. It is safe for concurrent use;
// Close releases its idle connections.
type Client struct {
	opts      Options
	http      *http.Client
	transport *http.Transport // nil when the caller gave the Client
	now       func() time.Time
}

// New returns a Client for opts.
func New(opts Options) *Client {
	o := opts.withDefaults()
	c := &Client{opts: o, now: time.Now}
	if o.Client != nil {
		c.http = o.Client
		return c
	}
	c.transport = newTransport(o)
	c.http = &http.Client{Transport: c.transport, CheckRedirect: checkRedirect(o.MaxRedirects)}
	return c
}

// Options returns the client's options with every default filled in.
func (c *Client) Options() Options { return c.opts }

// Close closes the idle connections of the client's own transport. A
// caller's *http.Client is left alone.
func (c *Client) Close() error {
	if c.transport != nil {
		c.transport.CloseIdleConnections()
	}
	return nil
}

func newTransport(o Options) *http.Transport {
	dial := o.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	return &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         dial,
		ForceAttemptHTTP2:   true,
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: o.Insecure},
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConns:        0, // no overall cap: the per-host cap bounds it
		MaxIdleConnsPerHost: o.Concurrency,
		// A worker's next request can start before its last connection is
		// back in the idle pool; capping the host's connections at the
		// concurrency makes it wait a moment for that connection instead of
		// dialling one more.
		MaxConnsPerHost:        o.Concurrency,
		IdleConnTimeout:        90 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 1 << 20,
	}
}

func checkRedirect(limit int) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if s := req.URL.Scheme; s != "http" && s != "https" {
			return fmt.Errorf("%w: %q", ErrRedirectScheme, s+":")
		}
		if len(via) > limit {
			return fmt.Errorf("%w: more than %d", ErrTooManyRedirects, limit)
		}
		return nil
	}
}

// Stream fetches every request of reqs with Options.Concurrency workers and
// yields each result as it finishes, so results come in completion order.
// Repeats of a request are skipped unless Options.KeepDuplicates. Requests
// are read from reqs as workers free up, so memory does not grow with the
// input. Breaking out of the loop, or cancelling ctx, stops the run: requests
// cancelled mid-flight yield no result. No goroutine outlives the loop.
func (c *Client) Stream(ctx context.Context, reqs iter.Seq[Request]) iter.Seq[Result] {
	return func(yield func(Result) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		n := c.opts.Concurrency
		jobs := make(chan job, n)
		results := make(chan Result, n)
		var wg sync.WaitGroup
		// A panic in the caller's iterator or in a worker is raised again
		// in the caller once every goroutine is done.
		var panicOnce sync.Once
		var panicked any
		catch := func() {
			if p := recover(); p != nil {
				panicOnce.Do(func() { panicked = p })
				cancel()
			}
		}

		wg.Go(func() {
			defer close(jobs)
			defer catch()
			var seen FingerprintSet
			var index int64
			for req := range reqs {
				if req.Err == nil && !c.opts.KeepDuplicates && !seen.Add(req.Fingerprint()) {
					continue
				}
				select {
				case jobs <- job{index: index, req: req}:
					index++
				case <-ctx.Done():
					return
				}
			}
		})
		var workers sync.WaitGroup
		for range n {
			workers.Go(func() {
				defer catch()
				for j := range jobs {
					res, done := c.fetch(ctx, j.req)
					if !done {
						continue // cancelled: no result
					}
					res.index = j.index
					select {
					case results <- res:
					case <-ctx.Done():
					}
				}
			})
		}
		wg.Go(func() {
			workers.Wait()
			close(results)
		})

		for res := range results {
			if !yield(res) {
				break
			}
		}
		cancel()
		for range results {
		}
		wg.Wait()
		if panicked != nil {
			panic(panicked)
		}
	}
}

type job struct {
	index int64
	req   Request
}

// FetchAll fetches reqs and returns one result per request, in input order.
// A repeat of an earlier request gets a copy of the earlier one's result
// (with its own Request) unless Options.KeepDuplicates. When ctx is
// cancelled, requests that did not finish have a zero Result but for Request.
func (c *Client) FetchAll(ctx context.Context, reqs []Request) []Result {
	// Stream numbers the requests it sends, repeats left out.
	bySent := make([]Result, len(reqs))
	for res := range c.Stream(ctx, func(yield func(Request) bool) {
		for _, r := range reqs {
			if !yield(r) {
				return
			}
		}
	}) {
		bySent[res.index] = res
	}
	return c.alignResults(reqs, bySent)
}

// alignResults maps results numbered in sending order back onto reqs.
func (c *Client) alignResults(reqs []Request, bySent []Result) []Result {
	out := make([]Result, len(reqs))
	first := make(map[Fingerprint]int)
	sentIndex := 0
	for i, req := range reqs {
		if req.Err == nil && !c.opts.KeepDuplicates {
			fp := req.Fingerprint()
			if j, ok := first[fp]; ok {
				out[i] = out[j]
				out[i].Request = req
				continue
			}
			first[fp] = i
		}
		out[i] = bySent[sentIndex]
		out[i].Request = req
		sentIndex++
	}
	return out
}

// Fetch fetches one request, with retries, and returns its result. When ctx
// is cancelled before it finishes, the result's Err wraps ctx's error.
func (c *Client) Fetch(ctx context.Context, req Request) Result {
	res, done := c.fetch(ctx, req)
	if !done {
		res.Err = fmt.Errorf("request cancelled: %w", context.Cause(ctx))
	}
	return res
}

// fetch runs a request's attempts. done is false when ctx was cancelled
// before an outcome.
func (c *Client) fetch(ctx context.Context, req Request) (res Result, done bool) {
	res.Request = req
	if req.Err != nil {
		res.Err = &Error{Kind: KindInvalid, Err: req.Err}
		return res, true
	}
	if err := req.Validate(); err != nil {
		res.Err = &Error{Kind: KindInvalid, Err: NewInputError(req.Line, req.URL, err)}
		return res, true
	}
	res.Started = c.now()
	for attempt := 1; ; attempt++ {
		out := c.attempt(ctx, &req)
		if ctx.Err() != nil {
			res.Attempts = attempt
			res.Elapsed = c.now().Sub(res.Started)
			return res, false
		}
		res.Attempts = attempt
		res.Status, res.Header, res.ContentType = out.status, out.header, out.contentType
		res.Body, res.Bytes, res.Err = out.body, out.bytes, out.err
		if attempt > c.opts.Retries || !c.retryable(ctx, out) {
			break
		}
		wait := c.opts.BackoffFunc(attempt, c.opts.Backoff, c.opts.MaxBackoff)
		if out.resp != nil {
			if d, ok := ParseRetryAfter(out.resp.Header.Get("Retry-After"), c.now()); ok {
				wait = d
			}
		}
		if !sleep(ctx, min(wait, c.opts.MaxBackoff)) {
			res.Elapsed = c.now().Sub(res.Started)
			return res, false
		}
	}
	res.Elapsed = c.now().Sub(res.Started)
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
