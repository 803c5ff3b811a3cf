package gather_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gatherdev/gather"
)

// seenRequest is what a test server saw of one request.
type seenRequest struct {
	Method, Path, Body, Host                              string
	ContentType, Auth, Referer, Cookie, UserAgent, XPlain string
	ContentLength                                         int64
}

// redirectServer redirects /from/{code} to Location /to (or to the
// ?to= target), and records what every request looked like.
func redirectServer(t *testing.T) (*httptest.Server, func() []seenRequest) {
	var mu sync.Mutex
	var seen []seenRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, seenRequest{
			Method: r.Method, Path: r.URL.Path, Body: string(body), Host: r.Host,
			ContentType: r.Header.Get("Content-Type"), Auth: r.Header.Get("Authorization"),
			Referer: r.Header.Get("Referer"), Cookie: r.Header.Get("Cookie"),
			UserAgent: r.Header.Get("User-Agent"), XPlain: r.Header.Get("X-Plain"),
			ContentLength: r.ContentLength,
		})
		mu.Unlock()
		var code int
		if _, err := fmt.Sscanf(r.URL.Path, "/from/%d", &code); err == nil {
			if code == 399 { // a 3xx without a Location
				w.WriteHeader(http.StatusFound)
				return
			}
			to := r.URL.Query().Get("to")
			if to == "" {
				to = "/to"
			}
			w.Header().Set("Location", to)
			w.WriteHeader(code)
			io.WriteString(w, "moved")
			return
		}
		io.WriteString(w, "landed")
	}))
	t.Cleanup(srv.Close)
	return srv, func() []seenRequest {
		mu.Lock()
		defer mu.Unlock()
		out := seen
		seen = nil
		return out
	}
}

// TestRedirectsAsNetHTTP follows redirects with gather's own transport and
// with a caller's *http.Client (net/http's redirect code), and checks that
// the server sees the same requests: 301/302/303 turn a POST into a GET
// without body or Content-Type, 307/308 keep both, headers, URL user
// info, the Host header and Referer carry over as net/http carries them.
func TestRedirectsAsNetHTTP(t *testing.T) {
	srv, seen := redirectServer(t)
	hostPort := strings.TrimPrefix(srv.URL, "http://")
	tests := []struct {
		name string
		req  gather.Request
		want []seenRequest // the second request, when followed; nil when not compared by hand
	}{
		{"get 302", gather.Request{URL: srv.URL + "/from/302"}, nil},
		{"head 301", gather.Request{URL: srv.URL + "/from/301", Method: "HEAD"}, nil},
		{"3xx without location", gather.Request{URL: srv.URL + "/from/399"}, nil},
		{"url user info", gather.Request{URL: "http://user:pw@" + hostPort + "/from/302"}, nil},
		{"host header, relative location", gather.Request{URL: srv.URL + "/from/302", Header: http.Header{"Host": {"example.test"}}}, nil},
		{"host header, absolute location", gather.Request{URL: srv.URL + "/from/302?to=" + srv.URL + "/to", Header: http.Header{"Host": {"example.test"}}}, nil},
		{"explicit referer", gather.Request{URL: srv.URL + "/from/307", Header: http.Header{"Referer": {"http://mine.test/"}}}, nil},
		{"cookie same host", gather.Request{URL: srv.URL + "/from/302", Header: http.Header{"Cookie": {"a=1"}, "X-Plain": {"p"}}}, nil},
	}
	for _, code := range []int{301, 302, 303, 307, 308} {
		tests = append(tests, struct {
			name string
			req  gather.Request
			want []seenRequest
		}{fmt.Sprintf("post %d", code), gather.Request{
			URL: fmt.Sprintf("%s/from/%d", srv.URL, code), Method: "POST", Body: []byte("payload"),
			Header: http.Header{"Content-Type": {"text/plain"}, "Authorization": {"Bearer t"}},
		}, nil})
		tests = append(tests, struct {
			name string
			req  gather.Request
			want []seenRequest
		}{fmt.Sprintf("put empty body %d", code), gather.Request{
			URL: fmt.Sprintf("%s/from/%d", srv.URL, code), Method: "PUT", Body: []byte{},
		}, nil})
	}
	ours := gather.New(gather.Options{Retries: -1})
	defer ours.Close()
	theirs := gather.New(gather.Options{Retries: -1, HTTPClient: &http.Client{}})
	defer theirs.Close()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := ours.Fetch(t.Context(), tc.req)
			gotOurs := seen()
			b := theirs.Fetch(t.Context(), tc.req)
			gotTheirs := seen()
			if a.Status != b.Status || string(a.Body) != string(b.Body) || a.Kind() != b.Kind() {
				t.Errorf("result: ours %d %q %q, net/http %d %q %q", a.Status, a.Body, a.Kind(), b.Status, b.Body, b.Kind())
			}
			if len(gotOurs) != len(gotTheirs) {
				t.Fatalf("server saw %d requests from us, %d from net/http:\n%+v\n%+v", len(gotOurs), len(gotTheirs), gotOurs, gotTheirs)
			}
			for i := range gotOurs {
				if gotOurs[i] != gotTheirs[i] {
					t.Errorf("request %d:\nours     %+v\nnet/http %+v", i, gotOurs[i], gotTheirs[i])
				}
			}
		})
	}
	// The hand-checked essentials, beyond agreeing with net/http.
	for _, code := range []int{302, 307} {
		ours.Fetch(t.Context(), gather.Request{URL: fmt.Sprintf("%s/from/%d", srv.URL, code), Method: "POST", Body: []byte("payload"),
			Header: http.Header{"Content-Type": {"text/plain"}}})
		got := seen()
		if len(got) != 2 {
			t.Fatalf("%d: %d requests, want 2", code, len(got))
		}
		want := seenRequest{Method: "GET", Path: "/to", Host: hostPort, Referer: srv.URL + fmt.Sprintf("/from/%d", code), UserAgent: "gather/" + gather.Version}
		if code == 307 {
			want.Method, want.Body, want.ContentType, want.ContentLength = "POST", "payload", "text/plain", 7
		}
		if got[1] != want {
			t.Errorf("%d: the redirect's request\n got %+v\nwant %+v", code, got[1], want)
		}
	}
}

// TestRedirectLimit: MaxRedirects redirects are followed, one more is
// KindProtocol with ErrTooManyRedirects, on both paths.
func TestRedirectLimit(t *testing.T) {
	srv, seen := redirectServer(t)
	chain := srv.URL + "/from/302?to=" + "/from/307?to=/to"
	for _, tc := range []struct {
		max  int
		ok   bool
		sent int
	}{{2, true, 3}, {1, false, 2}, {-1, false, 1}} {
		c := gather.New(gather.Options{Retries: -1, MaxRedirects: tc.max})
		res := c.Fetch(t.Context(), gather.Request{URL: chain})
		c.Close()
		if res.OK() != tc.ok {
			t.Errorf("max %d: ok %v, want %v (%v)", tc.max, res.OK(), tc.ok, res.Err)
		}
		if !tc.ok && (res.Kind() != gather.KindProtocol || !errors.Is(res.Err, gather.ErrTooManyRedirects) || res.Status != 0) {
			t.Errorf("max %d: kind %q status %d err %v, want protocol, 0, ErrTooManyRedirects", tc.max, res.Kind(), res.Status, res.Err)
		}
		if n := len(seen()); n != tc.sent {
			t.Errorf("max %d: server saw %d requests, want %d", tc.max, n, tc.sent)
		}
	}
}
