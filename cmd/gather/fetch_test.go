package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gatherdev/gather"
	"github.com/gatherdev/gather/gathertest"
)

// Member sets of records.
var (
	respKeys    = []string{"url", "method", "ok", "status", "attempts", "started", "elapsed_ms", "bytes", "content_type", "body", "error"}
	noRespKeys  = []string{"url", "method", "ok", "attempts", "started", "elapsed_ms", "error"}
	invalidKeys = []string{"ok", "attempts", "error", "input", "line"}
)

func without(keys []string, drop ...string) []string {
	return slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return slices.Contains(drop, k) })
}

// TestFetchRecord fetches one URL per case and checks its record and what
// the server saw.
func TestFetchRecord(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		flags    []string
		path     string // appended to the server's URL
		refused  bool   // fetch a refused loopback port instead
		code     int
		keys     []string
		optional []string
		ok       bool
		status   int // 0: no status member
		attempts int
		kind     string // "" for error null
		hits     map[string]int64
		check    func(t *testing.T, r jrec)
	}{
		{
			name: "json body", path: "/json?size=100", code: 0, keys: respKeys,
			ok: true, status: 200, attempts: 1, hits: map[string]int64{"/json?size=100": 1},
			check: func(t *testing.T, r jrec) {
				body, ok := r["body"].(map[string]any)
				if !ok {
					t.Fatalf("body is %T, want a JSON object: %s", r["body"], r)
				}
				if _, ok := body["items"].([]any); !ok {
					t.Errorf("body has no items array: %s", r)
				}
				if n := r.num(t, "bytes"); n != 100 {
					t.Errorf("bytes = %v, want 100", n)
				}
				if ct := r.str(t, "content_type"); ct != "application/json" {
					t.Errorf("content_type = %q", ct)
				}
			},
		},
		{
			name: "text body", path: "/drip?bytes=5&interval_ms=0", code: 0, keys: respKeys,
			ok: true, status: 200, attempts: 1, hits: map[string]int64{"/drip?bytes=5&interval_ms=0": 1},
			check: func(t *testing.T, r jrec) {
				if b, ok := r["body"].(string); !ok || b != "abcde" {
					t.Errorf("body = %#v, want the string \"abcde\"", r["body"])
				}
				if n := r.num(t, "bytes"); n != 5 {
					t.Errorf("bytes = %v, want 5", n)
				}
				if ct := r.str(t, "content_type"); !strings.HasPrefix(ct, "text/plain") {
					t.Errorf("content_type = %q", ct)
				}
			},
		},
		{
			name: "binary body", path: "/bytes/50", code: 0, keys: append(slices.Clone(respKeys), "body_encoding"),
			ok: true, status: 200, attempts: 1, hits: map[string]int64{"/bytes/50": 1},
			check: func(t *testing.T, r jrec) {
				if enc := r.str(t, "body_encoding"); enc != "base64" {
					t.Errorf("body_encoding = %q, want base64", enc)
				}
				b, err := base64.StdEncoding.DecodeString(r.str(t, "body"))
				if err != nil {
					t.Fatalf("body is not base64: %v", err)
				}
				if len(b) != 50 || b[0] != 0xff {
					t.Errorf("decoded body is %d bytes starting %x, want 50 starting ff", len(b), b[:min(len(b), 1)])
				}
				if n := r.num(t, "bytes"); n != 50 {
					t.Errorf("bytes = %v, want 50", n)
				}
			},
		},
		{
			name: "404 is final at once", path: "/status/404", code: 1, keys: respKeys,
			status: 404, attempts: 1, kind: "http", hits: map[string]int64{"/status/404": 1},
			check: func(t *testing.T, r jrec) {
				if b, _ := r["body"].(string); b != "404 Not Found\n" {
					t.Errorf("body = %#v", r["body"])
				}
			},
		},
		{
			name: "flaky succeeds on the third attempt", path: "/flaky/2", code: 0, keys: respKeys,
			ok: true, status: 200, attempts: 3, hits: map[string]int64{"/flaky/2": 3},
			check: func(t *testing.T, r jrec) {
				body, _ := r["body"].(map[string]any)
				if body["hit"] != 3.0 {
					t.Errorf("body = %#v, want hit 3", r["body"])
				}
			},
		},
		{
			name: "503 retried once", path: "/status/503", flags: []string{"--retries", "1", "--backoff", "1ms", "--max-backoff", "2ms"},
			code: 1, keys: respKeys, status: 503, attempts: 2, kind: "http", hits: map[string]int64{"/status/503": 2},
		},
		{
			name: "retries 0 means one attempt", path: "/status/503", flags: []string{"--retries", "0"},
			code: 1, keys: respKeys, status: 503, attempts: 1, kind: "http", hits: map[string]int64{"/status/503": 1},
		},
		{
			name: "retry-on none", path: "/flaky/1", flags: []string{"--retry-on", "none"},
			code: 1, keys: respKeys, status: 503, attempts: 1, kind: "http", hits: map[string]int64{"/flaky/1": 1},
		},
		{
			name: "429 with Retry-After 0 is retried", path: "/ratelimit/0", code: 0, keys: respKeys,
			ok: true, status: 200, attempts: 2, hits: map[string]int64{"/ratelimit/0": 2},
		},
		{
			name: "timeout", path: "/hang", flags: []string{"--timeout", "200ms", "--retries", "0"},
			code: 1, keys: noRespKeys, attempts: 1, kind: "timeout", hits: map[string]int64{"/hang": 1},
			check: func(t *testing.T, r jrec) {
				if ms := r.num(t, "elapsed_ms"); ms < 180 || ms > 5000 {
					t.Errorf("elapsed_ms = %v, want about 200", ms)
				}
			},
		},
		{
			name: "connection refused", refused: true, flags: []string{"--retries", "1"},
			code: 1, keys: noRespKeys, attempts: 2, kind: "connection",
		},
		{
			name: "body over max-body", path: "/bytes/5000", flags: []string{"--max-body", "1KiB"},
			code: 1, keys: without(respKeys, "body"), status: 200, attempts: 1, kind: "too_large",
			hits: map[string]int64{"/bytes/5000": 1},
		},
		{
			name: "body at max-body", path: "/bytes/1024", flags: []string{"--max-body", "1KiB"},
			code: 0, keys: append(slices.Clone(respKeys), "body_encoding"), ok: true, status: 200, attempts: 1,
			hits: map[string]int64{"/bytes/1024": 1},
		},
		{
			name: "too many redirects", path: "/redirect/5", flags: []string{"--max-redirects", "2"},
			code: 1, keys: noRespKeys, optional: []string{"status", "bytes", "content_type", "body"},
			attempts: 1, kind: "protocol",
			hits: map[string]int64{"/redirect/5": 1, "/redirect/4": 1, "/redirect/3": 1, "/redirect/2": 0},
		},
		{
			name: "redirects within the limit", path: "/redirect/2", flags: []string{"--max-redirects", "2"},
			code: 0, keys: respKeys, ok: true, status: 200, attempts: 1,
			hits: map[string]int64{"/redirect/2": 1, "/redirect/1": 1, "/redirect/0": 1},
		},
		{
			name: "max-redirects 0", path: "/redirect/1", flags: []string{"--max-redirects", "0"},
			code: 1, keys: noRespKeys, optional: []string{"status", "bytes", "content_type", "body"},
			attempts: 1, kind: "protocol", hits: map[string]int64{"/redirect/1": 1, "/redirect/0": 0},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := gathertest.NewServer(t)
			url := srv.URL + tc.path
			if tc.refused {
				url = refusedURL(t)
			}
			args := append(slices.Clone(tc.flags), url)
			r := gatherFetch(t, nil, args...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", r.code, tc.code, r.stderr)
			}
			recs := parseRecords(t, r.stdout)
			if len(recs) != 1 {
				t.Fatalf("got %d records, want 1:\n%s", len(recs), r.stdout)
			}
			rec := recs[0]
			checkKeys(t, rec, tc.keys, tc.optional)
			if got := rec.str(t, "url"); got != url {
				t.Errorf("url = %q, want %q", got, url)
			}
			if got := rec.str(t, "method"); got != "GET" {
				t.Errorf("method = %q, want GET", got)
			}
			if rec["ok"] != tc.ok {
				t.Errorf("ok = %v, want %v: %s", rec["ok"], tc.ok, rec)
			}
			if tc.status != 0 {
				if got := rec.num(t, "status"); got != float64(tc.status) {
					t.Errorf("status = %v, want %d", got, tc.status)
				}
			}
			if got := rec.num(t, "attempts"); got != float64(tc.attempts) {
				t.Errorf("attempts = %v, want %d: %s", got, tc.attempts, rec)
			}
			if got := rec.kind(t); got != tc.kind {
				t.Errorf("error kind = %q, want %q: %s", got, tc.kind, rec)
			}
			if s := rec.str(t, "started"); !startedRE.MatchString(s) {
				t.Errorf("started = %q, want RFC 3339 UTC with milliseconds", s)
			} else if st, err := time.Parse(time.RFC3339, s); err != nil || time.Since(st) > time.Minute || time.Since(st) < -time.Second {
				t.Errorf("started = %q is not about now (%v)", s, err)
			}
			if ms := rec.num(t, "elapsed_ms"); ms < 0 {
				t.Errorf("elapsed_ms = %v", ms)
			}
			for uri, want := range tc.hits {
				if got := srv.Hits(uri); got != want {
					t.Errorf("server hits of %s = %d, want %d", uri, got, want)
				}
			}
			if tc.check != nil {
				tc.check(t, rec)
			}
		})
	}
}

// TestInvalidLines checks that each invalid line gets one invalid record
// with its input and line number, counting blank and comment lines, and
// that the run goes on.
func TestInvalidLines(t *testing.T) {
	t.Parallel()
	srv := gathertest.NewServer(t)
	lines := []string{
		"# a comment",                     // 1: skipped
		"",                                // 2: skipped
		"not a url",                       // 3
		"ftp://x/",                        // 4
		"   # an indented comment",        // 5: skipped
		"http://",                         // 6
		"http://exa mple.com/",            // 7
		"{bad json",                       // 8
		"  \t",                            // 9: skipped
		`{"url":"http://x/","header":{}}`, // 10
		srv.URL + "/status/200?valid",     // 11
		"http://127.0.0.1:1/\x01",         // 12: a control character
		`{"url":"http://x/","headers":{"A":["b",1]}}`,    // 13: a header value that is not a string
		"example.com/no-scheme",                          // 14
		`{"method":"GET"}`,                               // 15: no url
		`{"url":"http://x/","method":"BAD METHOD"}`,      // 16
		`{"url":"http://x/"} trailing`,                   // 17
		`{"url":"http://x/","headers":{"Bad Name":"v"}}`, // 18
	}
	wantInvalid := map[int]string{
		3: "not a url", 4: "ftp://x/", 6: "http://", 7: "http://exa mple.com/", 8: "{bad json",
		10: `{"url":"http://x/","header":{}}`, 12: "http://127.0.0.1:1/\x01",
		13: `{"url":"http://x/","headers":{"A":["b",1]}}`, 14: "example.com/no-scheme", 15: `{"method":"GET"}`,
		16: `{"url":"http://x/","method":"BAD METHOD"}`, 17: `{"url":"http://x/"} trailing`,
		18: `{"url":"http://x/","headers":{"Bad Name":"v"}}`,
	}
	input := strings.Join(lines, "\n") + "\n"
	r := gatherFetch(t, strings.NewReader(input))
	if r.code != 1 {
		t.Errorf("exit %d, want 1; stderr:\n%s", r.code, r.stderr)
	}
	recs := parseRecords(t, r.stdout)
	if len(recs) != len(wantInvalid)+1 {
		t.Errorf("got %d records, want %d (one per non-skipped line):\n%s", len(recs), len(wantInvalid)+1, r.stdout)
	}
	seen := map[int]bool{}
	valid := 0
	for _, rec := range recs {
		if rec.kind(t) == "" {
			valid++
			if rec["url"] != srv.URL+"/status/200?valid" || rec["ok"] != true {
				t.Errorf("unexpected valid record %s", rec)
			}
			continue
		}
		checkKeys(t, rec, invalidKeys, []string{"url", "method"})
		line := int(rec.num(t, "line"))
		want, ok := wantInvalid[line]
		if !ok {
			t.Errorf("invalid record for line %d, which is valid or skipped: %s", line, rec)
			continue
		}
		if seen[line] {
			t.Errorf("two records for line %d", line)
		}
		seen[line] = true
		if got := rec.str(t, "input"); got != want {
			t.Errorf("line %d: input = %q, want %q", line, got, want)
		}
		if k := rec.kind(t); k != "invalid" {
			t.Errorf("line %d: kind = %q, want invalid", line, k)
		}
		if rec["ok"] != false || rec.num(t, "attempts") != 0 {
			t.Errorf("line %d: want ok false and attempts 0: %s", line, rec)
		}
	}
	if valid != 1 {
		t.Errorf("got %d valid records, want 1", valid)
	}
	for line := range wantInvalid {
		if !seen[line] {
			t.Errorf("no invalid record for line %d (%q)", line, wantInvalid[line])
		}
	}
	if n := srv.Requests(); n != 1 {
		t.Errorf("server saw %d requests, want 1 (invalid lines must not be fetched)", n)
	}
}

func TestInvalidArgument(t *testing.T) {
	t.Parallel()
	srv := gathertest.NewServer(t)
	r := gatherFetch(t, nil, "not a url", srv.URL+"/status/200")
	if r.code != 1 {
		t.Errorf("exit %d, want 1; stderr:\n%s", r.code, r.stderr)
	}
	recs := parseRecords(t, r.stdout)
	if len(recs) != 2 {
		t.Fatalf("got %d records, want 2:\n%s", len(recs), r.stdout)
	}
	var inv []jrec
	for _, rec := range recs {
		if rec.kind(t) == "invalid" {
			inv = append(inv, rec)
		}
	}
	if len(inv) != 1 || inv[0]["input"] != "not a url" || inv[0].num(t, "attempts") != 0 {
		t.Errorf("want one invalid record with input \"not a url\", got %v", inv)
	}
}

// TestHugeLine checks that a 5 MB line gives an invalid record whose input
// is cut to 1 KiB, and that the lines around it are fetched.
func TestHugeLine(t *testing.T) {
	t.Parallel()
	srv := gathertest.NewServer(t)
	huge := "http://127.0.0.1:1/" + strings.Repeat("a", 5<<20)
	input := srv.URL + "/status/200?before\n" + huge + "\n" + srv.URL + "/status/200?after\n"
	r := gatherFetch(t, strings.NewReader(input))
	if r.code != 1 {
		t.Errorf("exit %d, want 1; stderr:\n%s", r.code, r.stderr)
	}
	recs := parseRecords(t, r.stdout)
	if len(recs) != 3 {
		t.Fatalf("got %d records, want 3", len(recs))
	}
	invalid := 0
	for _, rec := range recs {
		switch rec.kind(t) {
		case "":
		case "invalid":
			invalid++
			in := rec.str(t, "input")
			if len(in) > 1024 || len(in) < 100 || !strings.HasPrefix(huge, in) {
				t.Errorf("input is %d bytes starting %.40q, want a prefix of the line of at most 1024 bytes", len(in), in)
			}
			if rec.num(t, "line") != 2 {
				t.Errorf("line = %v, want 2", rec["line"])
			}
		default:
			t.Errorf("unexpected record %s", rec)
		}
	}
	if invalid != 1 {
		t.Errorf("got %d invalid records, want 1", invalid)
	}
	for _, uri := range []string{"/status/200?before", "/status/200?after"} {
		if srv.Hits(uri) != 1 {
			t.Errorf("hits of %s = %d, want 1", uri, srv.Hits(uri))
		}
	}
}

// urlsOf returns the url members of recs, in order.
func urlsOf(recs []jrec) []string {
	var urls []string
	for _, r := range recs {
		u, _ := r["url"].(string)
		urls = append(urls, u)
	}
	return urls
}

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestInputSources checks where requests come from. With -c 1 records come
// in input order.
func TestInputSources(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		setup func(t *testing.T, dir, base string) (args []string, stdin io.Reader)
		want  []string // paths, in order
	}{
		{
			name: "arguments",
			setup: func(t *testing.T, dir, base string) ([]string, io.Reader) {
				return []string{base + "/status/200?a=1", base + "/status/200?a=2"}, nil
			},
			want: []string{"/status/200?a=1", "/status/200?a=2"},
		},
		{
			name: "arguments leave stdin alone",
			setup: func(t *testing.T, dir, base string) ([]string, io.Reader) {
				return []string{base + "/status/200?arg"}, strings.NewReader(base + "/status/200?stdin\n")
			},
			want: []string{"/status/200?arg"},
		},
		{
			name: "-i file",
			setup: func(t *testing.T, dir, base string) ([]string, io.Reader) {
				f := writeFile(t, filepath.Join(dir, "urls.txt"), base+"/status/200?f=1\n\n# c\n"+base+"/status/200?f=2")
				return []string{"-i", f}, strings.NewReader(base + "/status/200?stdin\n")
			},
			want: []string{"/status/200?f=1", "/status/200?f=2"},
		},
		{
			name: "-i twice",
			setup: func(t *testing.T, dir, base string) ([]string, io.Reader) {
				a := writeFile(t, filepath.Join(dir, "a.txt"), base+"/status/200?a=1\n"+base+"/status/200?a=2\n")
				b := writeFile(t, filepath.Join(dir, "b.txt"), base+"/status/200?b=1\r\n")
				return []string{"-i", a, "--input=" + b}, nil
			},
			want: []string{"/status/200?a=1", "/status/200?a=2", "/status/200?b=1"},
		},
		{
			name: "-i - is stdin",
			setup: func(t *testing.T, dir, base string) ([]string, io.Reader) {
				return []string{"-i", "-"}, strings.NewReader(base + "/status/200?s=1\n" + base + "/status/200?s=2\n")
			},
			want: []string{"/status/200?s=1", "/status/200?s=2"},
		},
		{
			name: "arguments then -i -",
			setup: func(t *testing.T, dir, base string) ([]string, io.Reader) {
				return []string{base + "/status/200?arg", "-i", "-"}, strings.NewReader(base + "/status/200?s=1\n")
			},
			want: []string{"/status/200?arg", "/status/200?s=1"},
		},
		{
			name: "stdin without arguments or -i",
			setup: func(t *testing.T, dir, base string) ([]string, io.Reader) {
				return nil, strings.NewReader(base + "/status/200?s=1\n" + base + "/status/200?s=2")
			},
			want: []string{"/status/200?s=1", "/status/200?s=2"},
		},
		{
			name: "gzip file detected by magic bytes",
			setup: func(t *testing.T, dir, base string) ([]string, io.Reader) {
				f := filepath.Join(dir, "urls.txt") // no .gz: the content decides
				if err := os.WriteFile(f, gzipped(t, base+"/status/200?z=1\n"+base+"/status/200?z=2\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				return []string{"-i", f}, nil
			},
			want: []string{"/status/200?z=1", "/status/200?z=2"},
		},
		{
			name: "gzip on stdin",
			setup: func(t *testing.T, dir, base string) ([]string, io.Reader) {
				return nil, bytes.NewReader(gzipped(t, base+"/status/200?zs=1\n"))
			},
			want: []string{"/status/200?zs=1"},
		},
		{
			name: "byte order mark",
			setup: func(t *testing.T, dir, base string) ([]string, io.Reader) {
				return nil, strings.NewReader("\ufeff" + base + "/status/200?bom\n")
			},
			want: []string{"/status/200?bom"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := gathertest.NewServer(t)
			args, stdin := tc.setup(t, t.TempDir(), srv.URL)
			r := gatherFetch(t, stdin, append([]string{"-c", "1"}, args...)...)
			if r.code != 0 {
				t.Errorf("exit %d, want 0; stderr:\n%s", r.code, r.stderr)
			}
			var want []string
			for _, p := range tc.want {
				want = append(want, srv.URL+p)
			}
			if got := urlsOf(parseRecords(t, r.stdout)); !slices.Equal(got, want) {
				t.Errorf("records for %q, want %q", got, want)
			}
			if n := srv.Requests(); n != int64(len(want)) {
				t.Errorf("server saw %d requests, want %d", n, len(want))
			}
		})
	}
}

// TestCorruptGzip checks that an input that cannot be read is exit 2
// naming the path.
func TestCorruptGzip(t *testing.T) {
	t.Parallel()
	srv := gathertest.NewServer(t)
	var lines strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&lines, "%s/status/200?n=%d\n", srv.URL, i)
	}
	z := gzipped(t, lines.String())
	f := filepath.Join(t.TempDir(), "cut.gz")
	if err := os.WriteFile(f, z[:len(z)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	r := gatherFetch(t, nil, "-q", "-i", f)
	if r.code != exitUsage {
		t.Errorf("exit %d, want 2", r.code)
	}
	if !strings.Contains(r.stderr, f) {
		t.Errorf("stderr does not name %s:\n%s", f, r.stderr)
	}
	for _, rec := range parseRecords(t, r.stdout) {
		if rec["ok"] != true {
			t.Errorf("record of a line read before the error is not ok: %s", rec)
		}
	}
}

// echo is /echo's answer, as found in a record's body.
type echo struct {
	Method  string      `json:"method"`
	URI     string      `json:"uri"`
	Headers http.Header `json:"headers"`
	Body    string      `json:"body"`
}

func echoOf(t *testing.T, r jrec) echo {
	t.Helper()
	if _, ok := r["body"].(map[string]any); !ok {
		t.Fatalf("record body is %T, not the echo object: %s", r["body"], r)
	}
	b, err := json.Marshal(r["body"])
	if err != nil {
		t.Fatal(err)
	}
	var e echo
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

// TestRequestShaping checks methods, headers and bodies from flags and JSON
// lines through /echo.
func TestRequestShaping(t *testing.T) {
	t.Parallel()
	type want struct {
		path    string // the record's URL, after the server's URL
		method  string
		id      string
		headers map[string][]string // nil value: the header must be absent
		body    string
	}
	form := []string{"application/x-www-form-urlencoded"}
	ua := []string{"gather/" + gather.Version}
	cases := []struct {
		name  string
		args  func(t *testing.T, base string) []string
		stdin func(base string) string
		want  []want
	}{
		{
			name: "defaults",
			args: func(t *testing.T, base string) []string { return []string{base + "/echo"} },
			want: []want{{path: "/echo", method: "GET", headers: map[string][]string{"User-Agent": ua, "Content-Type": nil}}},
		},
		{
			name: "-X PUT",
			args: func(t *testing.T, base string) []string { return []string{"-X", "PUT", base + "/echo"} },
			want: []want{{path: "/echo", method: "PUT"}},
		},
		{
			name: "-H repeatable",
			args: func(t *testing.T, base string) []string {
				return []string{"-H", "X-A: 1", "-H", "X-B:2", "--header", "X-A: 3", "-H", "User-Agent: mine", base + "/echo"}
			},
			want: []want{{path: "/echo", method: "GET", headers: map[string][]string{
				"X-A": {"1", "3"}, "X-B": {"2"}, "User-Agent": {"mine"}}}},
		},
		{
			name: "-d posts a form",
			args: func(t *testing.T, base string) []string { return []string{"-d", "x=1", base + "/echo"} },
			want: []want{{path: "/echo", method: "POST", body: "x=1", headers: map[string][]string{"Content-Type": form}}},
		},
		{
			name: "-d with -H Content-Type",
			args: func(t *testing.T, base string) []string {
				return []string{"-d", "x=1", "-H", "content-type: text/plain", base + "/echo"}
			},
			want: []want{{path: "/echo", method: "POST", body: "x=1", headers: map[string][]string{"Content-Type": {"text/plain"}}}},
		},
		{
			name: "-d with -X PUT",
			args: func(t *testing.T, base string) []string { return []string{"-X", "PUT", "-d", "a=b", base + "/echo"} },
			want: []want{{path: "/echo", method: "PUT", body: "a=b", headers: map[string][]string{"Content-Type": form}}},
		},
		{
			name: "-d @file",
			args: func(t *testing.T, base string) []string {
				f := writeFile(t, filepath.Join(t.TempDir(), "body.txt"), "from a file\nsecond line\n")
				return []string{"-d", "@" + f, base + "/echo"}
			},
			want: []want{{path: "/echo", method: "POST", body: "from a file\nsecond line\n", headers: map[string][]string{"Content-Type": form}}},
		},
		{
			name: "JSON line",
			args: func(t *testing.T, base string) []string { return nil },
			stdin: func(base string) string {
				return `{"url":"` + base + `/echo?j=1","method":"PUT","headers":{"X-Test":"v1","X-Multi":["a","b"]},"body":"hello","id":"req-1"}` + "\n"
			},
			want: []want{{path: "/echo?j=1", method: "PUT", id: "req-1", body: "hello",
				headers: map[string][]string{"X-Test": {"v1"}, "X-Multi": {"a", "b"}}}},
		},
		{
			name: "JSON line wins over -X, -H and -d",
			args: func(t *testing.T, base string) []string {
				return []string{"-c", "1", "-X", "PUT", "-H", "X-A: flag", "-H", "X-B: flag", "-d", "x=1"}
			},
			stdin: func(base string) string {
				return `{"url":"` + base + `/echo?j=2","method":"PATCH","headers":{"x-a":"line","content-type":"application/json"},"body":"{\"k\":1}"}` + "\n" +
					base + "/echo?plain\n"
			},
			want: []want{
				{path: "/echo?j=2", method: "PATCH", body: `{"k":1}`,
					headers: map[string][]string{"X-A": {"line"}, "X-B": {"flag"}, "Content-Type": {"application/json"}}},
				{path: "/echo?plain", method: "PUT", body: "x=1",
					headers: map[string][]string{"X-A": {"flag"}, "X-B": {"flag"}, "Content-Type": form}},
			},
		},
		{
			name: "JSON line without method takes -X",
			args: func(t *testing.T, base string) []string { return []string{"-X", "DELETE"} },
			stdin: func(base string) string {
				return `{"url":"` + base + `/echo?j=3","id":"7"}` + "\n"
			},
			want: []want{{path: "/echo?j=3", method: "DELETE", id: "7"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := gathertest.NewServer(t)
			var stdin io.Reader
			if tc.stdin != nil {
				stdin = strings.NewReader(tc.stdin(srv.URL))
			}
			r := gatherFetch(t, stdin, append([]string{"-c", "1"}, tc.args(t, srv.URL)...)...)
			if r.code != 0 {
				t.Errorf("exit %d, want 0; stderr:\n%s", r.code, r.stderr)
			}
			recs := parseRecords(t, r.stdout)
			if len(recs) != len(tc.want) {
				t.Fatalf("got %d records, want %d:\n%s", len(recs), len(tc.want), r.stdout)
			}
			for i, w := range tc.want {
				rec := recs[i]
				keys := slices.Clone(respKeys)
				if w.id != "" {
					keys = append(keys, "id")
				} else if w.body != "" {
					keys = append(keys, "fp") // a request with a body and no id carries its fingerprint
				}
				checkKeys(t, rec, keys, nil)
				if got := rec.str(t, "url"); got != srv.URL+w.path {
					t.Errorf("url = %q, want %q", got, srv.URL+w.path)
				}
				if got := rec.str(t, "method"); got != w.method {
					t.Errorf("record method = %q, want %q", got, w.method)
				}
				if w.id != "" && rec["id"] != w.id {
					t.Errorf("record id = %#v, want %q", rec["id"], w.id)
				}
				e := echoOf(t, rec)
				if e.Method != w.method {
					t.Errorf("server saw method %q, want %q", e.Method, w.method)
				}
				if e.Body != w.body {
					t.Errorf("server saw body %q, want %q", e.Body, w.body)
				}
				if e.URI != w.path {
					t.Errorf("server saw URI %q, want %q", e.URI, w.path)
				}
				for k, v := range w.headers {
					if got := e.Headers[k]; !slices.Equal(got, v) {
						t.Errorf("server saw header %s = %q, want %q", k, got, v)
					}
				}
			}
		})
	}
}

// TestDedup checks that repeats of a request are fetched and recorded once.
func TestDedup(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		args     func(base string) []string
		stdin    func(base string) string
		records  int
		requests int64
	}{
		{
			name:    "same URL three times",
			args:    func(b string) []string { return []string{b + "/status/200", b + "/status/200", b + "/status/200"} },
			records: 1, requests: 1,
		},
		{
			name: "--no-dedup",
			args: func(b string) []string {
				return []string{"--no-dedup", b + "/status/200", b + "/status/200", b + "/status/200"}
			},
			records: 3, requests: 3,
		},
		{
			name: "same id, different URLs",
			args: func(b string) []string { return nil },
			stdin: func(b string) string {
				return `{"url":"` + b + `/status/200?a","id":"x"}` + "\n" + `{"url":"` + b + `/status/200?b","id":"x"}` + "\n"
			},
			records: 1, requests: 1,
		},
		{
			name: "same URL, different ids",
			args: func(b string) []string { return []string{"--no-dedup=false"} },
			stdin: func(b string) string {
				return `{"url":"` + b + `/status/200","id":"1"}` + "\n" + `{"url":"` + b + `/status/200","id":"2"}` + "\n"
			},
			records: 2, requests: 2,
		},
		{
			name: "same URL, different methods",
			args: func(b string) []string { return nil },
			stdin: func(b string) string {
				return b + "/status/200\n" + `{"url":"` + b + `/status/200","method":"POST"}` + "\n"
			},
			records: 2, requests: 2,
		},
		{
			name: "same URL across arguments and a file",
			args: func(b string) []string { return []string{b + "/status/200", "-i", "-"} },
			stdin: func(b string) string {
				return b + "/status/200\n" + b + "/status/200\n"
			},
			records: 1, requests: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := gathertest.NewServer(t)
			var stdin io.Reader
			if tc.stdin != nil {
				stdin = strings.NewReader(tc.stdin(srv.URL))
			}
			r := gatherFetch(t, stdin, tc.args(srv.URL)...)
			if r.code != 0 {
				t.Errorf("exit %d, want 0; stderr:\n%s", r.code, r.stderr)
			}
			if recs := parseRecords(t, r.stdout); len(recs) != tc.records {
				t.Errorf("got %d records, want %d:\n%s", len(recs), tc.records, r.stdout)
			}
			if n := srv.Requests(); n != tc.requests {
				t.Errorf("server saw %d requests, want %d", n, tc.requests)
			}
		})
	}
}

func TestNoBody(t *testing.T) {
	t.Parallel()
	srv := gathertest.NewServer(t)
	r := gatherFetch(t, nil, "--no-body", srv.URL+"/json?size=100", srv.URL+"/bytes/50")
	if r.code != 0 {
		t.Errorf("exit %d, want 0; stderr:\n%s", r.code, r.stderr)
	}
	recs := parseRecords(t, r.stdout)
	if len(recs) != 2 {
		t.Fatalf("got %d records, want 2", len(recs))
	}
	for _, rec := range recs {
		checkKeys(t, rec, without(respKeys, "body"), nil)
		want := 100.0
		if strings.HasSuffix(rec.str(t, "url"), "/bytes/50") {
			want = 50
		}
		if got := rec.num(t, "bytes"); got != want {
			t.Errorf("bytes = %v, want %v: %s", got, want, rec)
		}
	}
}

// TestOutputFile checks -o, and that an existing non-empty file is only
// overwritten with --force.
func TestOutputFile(t *testing.T) {
	t.Parallel()
	srv := gathertest.NewServer(t)
	dir := t.TempDir()
	url := srv.URL + "/status/200"

	check := func(t *testing.T, r runResult, path string) {
		t.Helper()
		if r.code != 0 {
			t.Errorf("exit %d, want 0; stderr:\n%s", r.code, r.stderr)
		}
		if r.stdout != "" {
			t.Errorf("stdout is not empty with -o: %q", r.stdout)
		}
		recs := parseRecords(t, readFile(t, path))
		if len(recs) != 1 || recs[0]["url"] != url || recs[0]["ok"] != true {
			t.Errorf("file %s holds %v, want one ok record of %s", path, recs, url)
		}
	}

	t.Run("new file", func(t *testing.T) {
		out := filepath.Join(dir, "new.jsonl")
		check(t, gatherFetch(t, nil, "-o", out, url), out)
	})
	t.Run("existing empty file", func(t *testing.T) {
		out := writeFile(t, filepath.Join(dir, "empty.jsonl"), "")
		check(t, gatherFetch(t, nil, "--output", out, url), out)
	})
	t.Run("existing file with --force", func(t *testing.T) {
		out := writeFile(t, filepath.Join(dir, "old.jsonl"), strings.Repeat("old content that is longer than a record\n", 100))
		check(t, gatherFetch(t, nil, "-o", out, "--force", url), out)
	})
	t.Run("existing file without --force", func(t *testing.T) {
		const old = "old content\n"
		out := writeFile(t, filepath.Join(dir, "keep.jsonl"), old)
		r := gatherFetch(t, nil, "-o", out, url)
		if r.code != exitUsage || r.stdout != "" || !strings.Contains(r.stderr, out) {
			t.Errorf("exit %d, stdout %q, stderr %q; want 2, nothing, a message naming %s", r.code, r.stdout, r.stderr, out)
		}
		if got := readFile(t, out); got != old {
			t.Errorf("file changed to %q", got)
		}
	})
}

// countRE matches a count next to word in a summary: "3 ok" or "ok: 3".
func mentionsCount(s, word string, n int) bool {
	re := regexp.MustCompile(fmt.Sprintf(`(?i)\b%d\s+%s\b|\b%s\W{0,3}%d\b`, n, word, word, n))
	return re.MatchString(s)
}

// TestSummaryAndQuiet checks the summary on stderr, and that -q silences it.
func TestSummaryAndQuiet(t *testing.T) {
	t.Parallel()
	srv := gathertest.NewServer(t)
	urls := []string{srv.URL + "/status/200", srv.URL + "/status/404", srv.URL + "/status/200?x"}

	r := gatherFetch(t, nil, urls...)
	if r.code != 1 {
		t.Errorf("exit %d, want 1", r.code)
	}
	if !mentionsCount(r.stderr, "ok", 2) || !mentionsCount(r.stderr, "failed", 1) {
		t.Errorf("summary does not give 2 ok and 1 failed:\n%s", r.stderr)
	}
	if len(parseRecords(t, r.stdout)) != 3 {
		t.Errorf("want 3 records:\n%s", r.stdout)
	}

	for _, q := range []string{"-q", "--quiet"} {
		r = gatherFetch(t, nil, append([]string{q, "--no-dedup"}, urls...)...)
		if r.code != 1 {
			t.Errorf("%s: exit %d, want 1", q, r.code)
		}
		if r.stderr != "" {
			t.Errorf("%s: stderr is not empty: %q", q, r.stderr)
		}
		if len(parseRecords(t, r.stdout)) != 3 {
			t.Errorf("%s: want 3 records:\n%s", q, r.stdout)
		}
	}
}

// TestExitCodes checks 0 when every record is ok and 1 otherwise.
func TestExitCodes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		paths []string
		stdin string
		code  int
	}{
		{"all ok", []string{"/status/200", "/status/204", "/json?size=10"}, "", 0},
		{"one 404", []string{"/status/200", "/status/404"}, "", 1},
		{"one invalid line", nil, "{srv}/status/200\nnot a url\n", 1},
		{"a 3xx without Location is not ok", []string{"/status/304"}, "", 1},
		{"empty input", nil, "\n# nothing\n", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := gathertest.NewServer(t)
			var args []string
			for _, p := range tc.paths {
				args = append(args, srv.URL+p)
			}
			r := gatherFetch(t, strings.NewReader(strings.ReplaceAll(tc.stdin, "{srv}", srv.URL)), append([]string{"-q"}, args...)...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d:\n%s", r.code, tc.code, r.stdout)
			}
		})
	}
}

// TestProgressFlag checks that every --progress value is accepted and does
// not change the records.
func TestProgressFlag(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"never", "always", "auto"} {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			srv := gathertest.NewServer(t)
			r := gatherFetch(t, nil, "--progress", p, srv.URL+"/status/200")
			if r.code != 0 {
				t.Errorf("--progress %s: exit %d; stderr:\n%s", p, r.code, r.stderr)
			}
			if recs := parseRecords(t, r.stdout); len(recs) != 1 || recs[0]["ok"] != true {
				t.Errorf("--progress %s: records %v", p, recs)
			}
			// stderr here is a buffer, not a terminal: auto draws nothing.
			if drawn := strings.Contains(r.stderr, "  ok "); drawn != (p == "always") {
				t.Errorf("--progress %s on a pipe: progress drawn = %v; stderr:\n%s", p, drawn, r.stderr)
			}
			if strings.Contains(r.stderr, "\x1b[3") {
				t.Errorf("--progress %s on a pipe: colour codes in stderr", p)
			}
			r = gatherFetch(t, nil, "-q", "--progress="+p, srv.URL+"/status/200")
			if r.code != 0 || r.stderr != "" {
				t.Errorf("-q --progress=%s: exit %d, stderr %q; want 0 and nothing", p, r.code, r.stderr)
			}
		})
	}
}

// TestProgressAlwaysShows checks that --progress always shows progress on
// stderr while a run is going, though stderr is not a terminal, and that
// --progress never does not.
func TestProgressAlwaysShows(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"always", "never"} {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			srv := gathertest.NewServer(t)
			var stdout, stderr lockedBuffer
			done := make(chan int, 1)
			go func() {
				done <- run(context.Background(), []string{"fetch", "-c", "2", "--progress", p, srv.URL + "/status/200", srv.URL + "/delay/2000"},
					strings.NewReader(""), &stdout, &stderr)
			}()
			// Wait until the quick request is done and the slow one is in
			// flight, then give progress a good second to show.
			deadline := time.Now().Add(5 * time.Second)
			for srv.Hits("/status/200") == 0 || srv.InFlight() == 0 {
				if time.Now().After(deadline) {
					t.Fatal("the requests did not start")
				}
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(1200 * time.Millisecond)
			during := stderr.String()
			if code := <-done; code != 0 {
				t.Errorf("exit %d; stderr:\n%s", code, stderr.String())
			}
			switch p {
			case "always":
				if during == "" {
					t.Errorf("--progress always showed nothing on stderr in 1.2 s of a run with 1 of 2 requests done")
				}
			case "never":
				if during != "" {
					t.Errorf("--progress never wrote on stderr during the run: %q", during)
				}
			}
		})
	}
}

// TestURLVerbatim checks that a record's url is the input's, byte for byte.
func TestURLVerbatim(t *testing.T) {
	t.Parallel()
	srv := gathertest.NewServer(t)
	hostPort := strings.TrimPrefix(srv.URL, "http://")
	urls := []string{
		srv.URL + "/json?size=10&b=2&a=1",
		"HTTP://" + hostPort + "/json?size=11",
		"hTTp://" + hostPort + "/json?size=12#fragment",
		srv.URL + "/echo?q=%41%2f&empty=&x=a+b",
		srv.URL + "/json?size=13&",
		srv.URL + "/status/200?",
	}
	var in strings.Builder
	for _, u := range urls {
		in.WriteString("  " + u + "\t\r\n") // surrounding blanks are not part of the URL
	}
	r := gatherFetch(t, strings.NewReader(in.String()))
	if r.code != 0 {
		t.Errorf("exit %d, want 0; stderr:\n%s", r.code, r.stderr)
	}
	got := urlsOf(parseRecords(t, r.stdout))
	slices.Sort(got)
	want := slices.Sorted(slices.Values(urls))
	if !slices.Equal(got, want) {
		t.Errorf("record urls:\n got %q\nwant %q", got, want)
	}
	if n := srv.Hits("/echo?q=%41%2f&empty=&x=a+b"); n != 1 {
		t.Errorf("the query was not sent as given: %d hits", n)
	}
	if n := srv.Hits("/json?size=10&b=2&a=1"); n != 1 {
		t.Errorf("the query order was not kept: %d hits", n)
	}
}

// TestManyRequests checks one record per request with a small concurrency
// and all sorts of outcomes mixed.
func TestManyRequests(t *testing.T) {
	t.Parallel()
	srv := gathertest.NewServer(t)
	var in strings.Builder
	want := map[string]string{} // url -> kind
	for i := range 200 {
		var u, kind string
		switch i % 4 {
		case 0:
			u = fmt.Sprintf("%s/json?size=%d", srv.URL, 50+i)
		case 1:
			u, kind = fmt.Sprintf("%s/status/404?i=%d", srv.URL, i), "http"
		case 2:
			u = fmt.Sprintf("%s/flaky/1?i=%d", srv.URL, i)
		case 3:
			u = fmt.Sprintf("%s/bytes/%d", srv.URL, i)
		}
		want[u] = kind
		fmt.Fprintln(&in, u)
	}
	r := gatherFetch(t, strings.NewReader(in.String()), "-c", "8", "-q")
	if r.code != 1 {
		t.Errorf("exit %d, want 1", r.code)
	}
	recs := parseRecords(t, r.stdout)
	if len(recs) != len(want) {
		t.Errorf("got %d records, want %d", len(recs), len(want))
	}
	seen := map[string]bool{}
	for _, rec := range recs {
		u := rec.str(t, "url")
		kind, ok := want[u]
		if !ok || seen[u] {
			t.Errorf("unexpected or repeated record %s", rec)
			continue
		}
		seen[u] = true
		if got := rec.kind(t); got != kind {
			t.Errorf("%s: kind %q, want %q", u, got, kind)
		}
	}
	if p := srv.PeakInFlight(); p > 8 {
		t.Errorf("peak in flight %d is over -c 8", p)
	}
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk on fire") }

// TestStdoutWriteError checks that records that cannot be written are exit
// 2 with a message saying where.
func TestStdoutWriteError(t *testing.T) {
	t.Parallel()
	srv := gathertest.NewServer(t)
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"fetch", srv.URL + "/status/200"}, strings.NewReader(""), failWriter{}, &stderr)
	if code != exitUsage {
		t.Errorf("exit %d, want 2", code)
	}
	if !strings.Contains(stderr.String(), "stdout") || !strings.Contains(stderr.String(), "disk on fire") {
		t.Errorf("stderr does not say that stdout failed:\n%s", stderr.String())
	}
}

// TestInterrupt checks that an interrupted run keeps the records of what
// finished, writes none for what did not, and exits 130 or 143.
func TestInterrupt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, exitSIGINT}, {syscall.SIGTERM, exitSIGTERM}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			t.Parallel()
			srv := gathertest.NewServer(t)
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			var stdout, stderr lockedBuffer
			done := make(chan int, 1)
			go func() {
				done <- run(ctx, []string{"fetch", "-c", "2", srv.URL + "/status/200", srv.URL + "/hang"}, strings.NewReader(""), &stdout, &stderr)
			}()
			deadline := time.Now().Add(5 * time.Second)
			for srv.Hits("/status/200") == 0 || srv.Hits("/hang") == 0 {
				if time.Now().After(deadline) {
					cancel(nil)
					<-done
					t.Fatal("the requests did not start")
				}
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(50 * time.Millisecond)
			cancel(interrupted{tc.sig})
			select {
			case code := <-done:
				if code != tc.code {
					t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr.String())
				}
			case <-time.After(5 * time.Second):
				t.Fatal("run did not return within 5 s of the interrupt")
			}
			recs := parseRecords(t, stdout.String())
			if got := urlsOf(recs); !slices.Equal(got, []string{srv.URL + "/status/200"}) {
				t.Errorf("records for %q, want only the finished /status/200", got)
			}
		})
	}
}
