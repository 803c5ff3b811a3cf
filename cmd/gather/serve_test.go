package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var serveURLRE = regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+`)

func TestServe(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, strings.NewReader(""), &stdout, &stderr)
	}()

	var base string
	deadline := time.Now().Add(5 * time.Second)
	for base == "" {
		select {
		case code := <-done:
			t.Fatalf("serve exited %d before printing its URL; stderr:\n%s", code, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("serve printed no URL in 5 s; stdout %q", stdout.String())
		}
		base = serveURLRE.FindString(stdout.String())
		time.Sleep(5 * time.Millisecond)
	}
	if strings.HasSuffix(base, ":0") {
		t.Errorf("serve printed port 0 instead of the port it got: %q", stdout.String())
	}

	tr := &http.Transport{}
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := client.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/status/200"); code != 200 {
		t.Errorf("GET /status/200: %d %q", code, body)
	}
	if code, _ := get("/status/418"); code != 418 {
		t.Errorf("GET /status/418: %d", code)
	}
	if code, body := get("/flaky/1"); code != 503 {
		t.Errorf("GET /flaky/1 first: %d %q", code, body)
	}
	if code, body := get("/flaky/1"); code != 200 {
		t.Errorf("GET /flaky/1 second: %d %q", code, body)
	}
	if code, _ := get("/no-such-endpoint"); code != 404 {
		t.Errorf("GET /no-such-endpoint: %d", code)
	}
	// Every endpoint of the SPEC answers on the real port (/hang below).
	for _, tt := range []struct {
		path, contains string
		code           int
	}{
		{"/delay/10", "delay_ms", 200},
		{"/json?size=300", "{", 200},
		{"/bytes/16", "", 200},
		{"/reset/0", "", 200},
		{"/ratelimit/1?x=1", "", 429},
		{"/ratelimit/1?x=1", "", 200},
		{"/drip?bytes=3&interval_ms=1", "", 200},
		{"/redirect/2", "redirected", 200},
		{"/echo", `"method":"GET"`, 200},
	} {
		if code, body := get(tt.path); code != tt.code || !strings.Contains(body, tt.contains) {
			t.Errorf("GET %s: %d %q, want %d with %q", tt.path, code, body, tt.code, tt.contains)
		}
	}
	tr.CloseIdleConnections()

	// A request in /hang must not hold up the stop.
	hangDone := make(chan error, 1)
	go func() {
		resp, err := client.Get(base + "/hang")
		if err == nil {
			resp.Body.Close()
			err = errors.New("/hang answered")
		}
		hangDone <- err
	}()
	time.Sleep(50 * time.Millisecond)

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exited %d after cancel, want 0; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(3 * time.Second):
		t.Fatal("serve did not return within 3 s of cancel")
	}
	if err := <-hangDone; err == nil {
		t.Error("/hang got an answer")
	}
	tr.CloseIdleConnections()
	if strings.Contains(stderr.String(), "goroutine ") {
		t.Errorf("stack trace on stderr:\n%s", stderr.String())
	}
	// The server is gone.
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), time.Second)
	if err == nil {
		conn.Close()
		t.Errorf("%s still accepts connections after serve returned", base)
	}
}

func TestServeAddrInUse(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"serve", "--addr", ln.Addr().String()}, strings.NewReader(""), &stdout, &stderr)
	if code != exitUsage {
		t.Errorf("serve on a port in use exited %d, want 2", code)
	}
	if !strings.Contains(stderr.String(), "--addr") {
		t.Errorf("stderr does not name --addr:\n%s", stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout: %q", stdout.String())
	}
	if strings.Contains(stderr.String(), "goroutine ") {
		t.Errorf("stack trace on stderr:\n%s", stderr.String())
	}
}

func TestServeBadArgs(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"serve", "--addr", "not-an-address"},
		{"serve", "extra-argument"},
		{"serve", "--bogus"},
	} {
		var stdout, stderr bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		code := run(ctx, args, strings.NewReader(""), &stdout, &stderr)
		cancel()
		if code != exitUsage {
			t.Errorf("gather %q exited %d, want 2; stderr:\n%s", args, code, stderr.String())
		}
		if stdout.Len() != 0 {
			t.Errorf("gather %q wrote on stdout: %q", args, stdout.String())
		}
	}
}
