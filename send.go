package gather

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/net/idna"
)

// newHTTPRequest builds the request of one attempt from req and its URL as
// prepare parsed it, so that the URL is not parsed a second time. It is what
// http.NewRequestWithContext would build from req.URL.
func (c *Client) newHTTPRequest(ctx context.Context, req *Request, u *url.URL) *http.Request {
	hreq := &http.Request{
		Method:     req.method(),
		URL:        u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Host:       u.Host,
	}
	if req.Body != nil {
		setBody(hreq, req.Body)
	}
	c.setHeaders(hreq, req)
	return hreq.WithContext(ctx)
}

// setBody sets b as hreq's body, with GetBody to send it again after a 307
// or 308, as http.NewRequest does for a *bytes.Reader.
func setBody(hreq *http.Request, b []byte) {
	hreq.ContentLength = int64(len(b))
	if len(b) == 0 {
		hreq.Body = http.NoBody
		hreq.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
		return
	}
	hreq.Body = io.NopCloser(bytes.NewReader(b))
	hreq.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

// do sends hreq and follows redirects. With the caller's *http.Client, that
// client's Do does it all. With our own transport, do sends each hop with
// Transport.RoundTrip and follows redirects as http.Client.Do does (the
// rules of net/http's client.go), which saves the client's per-request
// header copy and bookkeeping: what changes a redirect's request is the
// redirect, not every request.
func (c *Client) do(hreq *http.Request) (*http.Response, error) {
	if c.transport == nil {
		return c.http.Do(hreq)
	}
	first := hreq
	var via []*http.Request
	includeBody, stripSensitive := true, false
	for {
		resp, err := c.transport.RoundTrip(withURLAuth(hreq))
		if err != nil {
			return nil, err
		}
		method, follow, hopBody := redirectBehavior(hreq.Method, resp, first)
		if !follow {
			return resp, nil
		}
		if !hopBody {
			// Once a hop drops the body, it is never sent again.
			includeBody = false
		}
		loc := resp.Header.Get("Location")
		if loc == "" {
			// A 3xx without a Location is the final response.
			return resp, nil
		}
		next, err := hreq.URL.Parse(loc)
		if err != nil {
			resp.Body.Close()
			return nil, fmt.Errorf("redirect Location %q does not parse: %w", loc, err)
		}
		via = append(via, hreq)
		nreq := &http.Request{
			Method:     method,
			URL:        next,
			Proto:      "HTTP/1.1",
			ProtoMajor: 1,
			ProtoMinor: 1,
			Header:     make(http.Header, len(first.Header)+1),
			Host:       next.Host,
			Response:   resp,
		}
		if hreq.Host != "" && hreq.Host != hreq.URL.Host {
			// A Host header of the caller's stays for a relative Location.
			if lu, _ := url.Parse(loc); lu != nil && !lu.IsAbs() {
				nreq.Host = hreq.Host
			}
		}
		if includeBody && first.GetBody != nil {
			if nreq.Body, err = first.GetBody(); err != nil {
				resp.Body.Close()
				return nil, err
			}
			nreq.GetBody, nreq.ContentLength = first.GetBody, first.ContentLength
		}
		if !stripSensitive && first.URL.Host != next.Host && !shouldCopyHeaderOnRedirect(first.URL, next) {
			// Credentials given for one host are not sent to another.
			stripSensitive = true
		}
		copyRedirectHeaders(nreq.Header, first.Header, stripSensitive, !includeBody)
		if ref := refererForURL(hreq.URL, next, nreq.Header.Get("Referer")); ref != "" {
			nreq.Header.Set("Referer", ref)
		}
		checkErr := c.checkRedirect(nreq, via)

		// Read a little of the body so that the connection can be reused.
		const maxBodySlurpSize = 2 << 10
		if resp.ContentLength == -1 || resp.ContentLength <= maxBodySlurpSize {
			io.CopyN(io.Discard, resp.Body, maxBodySlurpSize)
		}
		resp.Body.Close()
		if checkErr != nil {
			return nil, checkErr
		}
		hreq = nreq.WithContext(first.Context())
	}
}

// checkRedirect refuses a redirect to a scheme other than http and https,
// and one redirect too many.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if s := req.URL.Scheme; s != "http" && s != "https" {
		return fmt.Errorf("%w: %q", ErrRedirectScheme, s+":")
	}
	if len(via) > c.opts.MaxRedirects {
		return fmt.Errorf("%w: more than %d", ErrTooManyRedirects, c.opts.MaxRedirects)
	}
	return nil
}

// withURLAuth returns hreq with an Authorization header from the URL's user
// and password, as http.Client sends, unless it has one.
func withURLAuth(hreq *http.Request) *http.Request {
	u := hreq.URL.User
	if u == nil || hreq.Header.Get("Authorization") != "" {
		return hreq
	}
	password, _ := u.Password()
	r := *hreq
	r.Header = hreq.Header.Clone() // it may be the client's shared header
	r.SetBasicAuth(u.Username(), password)
	return &r
}

// redirectBehavior is net/http's: 301, 302 and 303 turn other methods than
// GET and HEAD into GET without a body; 307 and 308 keep the method and the
// body, and are not followed when the body cannot be sent again.
func redirectBehavior(method string, resp *http.Response, first *http.Request) (redirectMethod string, follow, includeBody bool) {
	switch resp.StatusCode {
	case 301, 302, 303:
		redirectMethod, follow = method, true
		if method != http.MethodGet && method != http.MethodHead {
			redirectMethod = http.MethodGet
		}
	case 307, 308:
		redirectMethod, follow, includeBody = method, true, true
		if first.GetBody == nil && first.Body != nil && first.Body != http.NoBody {
			follow = false
		}
	}
	return redirectMethod, follow, includeBody
}

// copyRedirectHeaders copies the first request's headers to a redirect's,
// without the credentials when stripSensitive, and without the headers
// about the body when stripBody, as net/http does.
func copyRedirectHeaders(dst, first http.Header, stripSensitive, stripBody bool) {
	for k, vs := range first {
		switch http.CanonicalHeaderKey(k) {
		case "Authorization", "Www-Authenticate", "Cookie", "Cookie2",
			"Proxy-Authorization", "Proxy-Authenticate":
			if stripSensitive {
				continue
			}
		case "Content-Encoding", "Content-Language", "Content-Location", "Content-Type":
			if stripBody {
				continue
			}
		}
		dst[k] = vs
	}
}

// shouldCopyHeaderOnRedirect reports whether credentials given for initial
// may go to dest: the same host or a subdomain of it (net/http's rule).
func shouldCopyHeaderOnRedirect(initial, dest *url.URL) bool {
	ihost, dhost := idnaASCIIHost(initial), idnaASCIIHost(dest)
	if dhost == ihost {
		return true
	}
	// An IPv6 address (or a zone) is never a subdomain.
	if strings.ContainsAny(dhost, ":%") {
		return false
	}
	return strings.HasSuffix(dhost, "."+ihost)
}

func idnaASCIIHost(u *url.URL) string {
	h := u.Hostname()
	for i := 0; i < len(h); i++ {
		if h[i] >= 0x80 {
			if a, err := idna.Lookup.ToASCII(h); err == nil {
				return a
			}
			return h
		}
	}
	return h
}

// refererForURL is the Referer of a redirect from last to next: last
// without its user info, or explicit when set, but none from https to http.
func refererForURL(last, next *url.URL, explicit string) string {
	if last.Scheme == "https" && next.Scheme == "http" {
		return ""
	}
	if explicit != "" {
		return explicit
	}
	if last.User != nil {
		u := *last
		u.User = nil
		return u.String()
	}
	return last.String()
}
