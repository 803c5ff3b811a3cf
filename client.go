package gather

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/gatherdev/gather/internal/savedir"
)

// Client fetches requests with its Options. It is safe for concurrent use;
// Close releases its idle connections.
type Client struct {
	opts       Options
	saveDir    *savedir.Dir
	saveDirErr error           // why SaveDir cannot be used, reported by every save
	header     http.Header     // Options.Header and the User-Agent; read-only
	http       *http.Client    // the caller's, or nil
	transport  *http.Transport // nil when the caller gave the Client
	now        func() time.Time
}

// New returns a Client for opts.
func New(opts Options) *Client {
	o := opts.withDefaults()
	c := &Client{opts: o, now: time.Now, header: o.Header.Clone()}
	if c.header == nil {
		c.header = http.Header{}
	}
	if _, set := c.header["User-Agent"]; !set {
		c.header.Set("User-Agent", o.UserAgent)
	}
	if o.SaveDir != "" {
		c.saveDir, c.saveDirErr = savedir.Open(o.SaveDir)
	}
	if o.HTTPClient != nil {
		c.http = o.HTTPClient
		return c
	}
	c.transport = newTransport(o)
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
		// No timeouts of its own: the attempt's context bounds the dial.
		dial = (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext
	}
	if o.DenyPrivate {
		resolver := o.Resolver
		if resolver == nil {
			resolver = net.DefaultResolver
		}
		dial = denyPrivate(dial, resolver)
	}
	return &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         dial,
		ForceAttemptHTTP2:   true,
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: o.Insecure},
		TLSHandshakeTimeout: 10 * time.Second,
		// A connection left idle holds a socket, two goroutines and 8 KiB of
		// buffers for IdleConnTimeout. Over a list of many hosts one would be
		// left for each host passed: the pool keeps the most recently used,
		// four times the concurrency (as curl's connection cache does) and
		// at least 512, which a list that goes back and forth between a few
		// hundred hosts needs to reuse its connections (300 hosts at -c 50:
		// 0.95 s with 512, 1.65 s with 200, 0.9 s with no cap).
		MaxIdleConns:        max(4*o.Concurrency, 512),
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

// FetchAll fetches reqs and returns one result per request, in input order.
// A repeat of an earlier request gets a copy of the earlier one's result
// (with its own Request) unless Options.KeepDuplicates. When ctx is
// cancelled, requests that did not finish have a zero Result but for Request.
func (c *Client) FetchAll(ctx context.Context, reqs []Request) []Result {
	// FetchAll finds the repeats itself, so that it knows where each
	// result goes; the run sends the rest, numbered in order.
	sentFrom := make([]int, 0, len(reqs)) // the input position of each request sent
	firstOf := make(map[Fingerprint]int)  // the first position of each request
	repeatOf := make([]int, len(reqs))    // the earlier position a repeat copies, or -1
	for i, req := range reqs {
		repeatOf[i] = -1
		prepare(&req)
		if req.Err == nil && !c.opts.KeepDuplicates {
			fp := req.Fingerprint()
			if j, seen := firstOf[fp]; seen {
				repeatOf[i] = j
				continue
			}
			firstOf[fp] = i
		}
		sentFrom = append(sentFrom, i)
	}
	out := make([]Result, len(reqs))
	send := func(yield func(Request) bool) {
		for _, i := range sentFrom {
			if !yield(reqs[i]) {
				return
			}
		}
	}
	c.stream(ctx, send, false, func(res Result) bool {
		out[sentFrom[res.index]] = res
		return true
	})
	for i, req := range reqs {
		if j := repeatOf[i]; j >= 0 {
			out[i] = out[j]
		}
		out[i].Request = req
	}
	return out
}

// Fetch fetches one request, with retries, and returns its result. When ctx
// is cancelled before it finishes, the result's Err wraps ctx's error.
func (c *Client) Fetch(ctx context.Context, req Request) Result {
	_, u := prepare(&req)
	res, done := c.fetch(ctx, req, u, nil, hooks{})
	if !done {
		res.Err = fmt.Errorf("request cancelled: %w", context.Cause(ctx))
	}
	return res
}
