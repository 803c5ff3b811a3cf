package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/gatherdev/gather"
	"github.com/gatherdev/gather/gathertest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// runResult is what one in-process run of gather produced.
type runResult struct {
	code           int
	stdout, stderr string
}

// runGather runs gather in-process with args. stdin nil means an empty
// stdin. Every run is checked for Go stack traces and panics.
func runGather(t *testing.T, stdin io.Reader, args ...string) runResult {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, stdin, &stdout, &stderr)
	r := runResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
	for _, s := range []string{r.stdout, r.stderr} {
		if strings.Contains(s, "goroutine ") || strings.Contains(s, "panic:") {
			t.Errorf("gather %q printed a Go stack trace or panic:\n%s", args, s)
		}
	}
	return r
}

// fastFlags keep retries' backoff tiny so that tests run quickly.
var fastFlags = []string{"--backoff", "1ms", "--max-backoff", "5ms"}

// gatherFetch runs "gather fetch" with fastFlags and args.
func gatherFetch(t *testing.T, stdin io.Reader, args ...string) runResult {
	t.Helper()
	return runGather(t, stdin, append(append([]string{"fetch"}, fastFlags...), args...)...)
}

// jrec is one decoded JSON Lines record.
type jrec map[string]any

// parseRecords parses out as JSON Lines: every line a whole JSON object
// with no duplicate member, and the output ending with a newline.
func parseRecords(t *testing.T, out string) []jrec {
	t.Helper()
	if out == "" {
		return nil
	}
	if !strings.HasSuffix(out, "\n") {
		t.Errorf("output does not end with a newline: ...%q", out[max(0, len(out)-80):])
	}
	var recs []jrec
	for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if !json.Valid([]byte(line)) {
			t.Fatalf("output line %d is not valid JSON: %.300q", i+1, line)
		}
		var rec jrec
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("output line %d is not a JSON object: %v: %.300q", i+1, err, line)
		}
		if keys := memberNames(t, line); len(keys) != len(rec) {
			t.Errorf("output line %d has duplicate members %q: %.300q", i+1, keys, line)
		}
		recs = append(recs, rec)
	}
	return recs
}

// memberNames returns the names of the top-level members of a JSON object,
// repeats included, in order.
func memberNames(t *testing.T, obj string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(obj))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var names []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, tok.(string))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatal(err)
		}
	}
	return names
}

func (r jrec) String() string {
	b, _ := json.Marshal(r)
	if len(b) > 600 {
		b = append(b[:600], "..."...)
	}
	return string(b)
}

// str returns member k as a string, or "" (and an error) when it is not one.
func (r jrec) str(t *testing.T, k string) string {
	t.Helper()
	s, ok := r[k].(string)
	if !ok {
		t.Errorf("record %s: %q is %T, not a string", r, k, r[k])
	}
	return s
}

// num returns member k as a number, failing when it is not one.
func (r jrec) num(t *testing.T, k string) float64 {
	t.Helper()
	n, ok := r[k].(float64)
	if !ok {
		t.Errorf("record %s: %q is %T, not a number", r, k, r[k])
	}
	return n
}

// kind returns error.kind, or "" when error is null. It fails when the
// record has no error member or a malformed one.
func (r jrec) kind(t *testing.T) string {
	t.Helper()
	v, ok := r["error"]
	if !ok {
		t.Errorf("record %s has no error member", r)
		return "<missing>"
	}
	if v == nil {
		return ""
	}
	e, ok := v.(map[string]any)
	if !ok {
		t.Errorf("record %s: error is %T, want null or an object", r, v)
		return "<malformed>"
	}
	var names []string
	for k := range e {
		names = append(names, k)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"kind", "message"}) {
		t.Errorf("record %s: error has members %q, want kind and message", r, names)
	}
	if m, _ := e["message"].(string); m == "" {
		t.Errorf("record %s: error has no message", r)
	}
	k, _ := e["kind"].(string)
	return k
}

// checkKeys checks that r has every member of want, and no other member
// than those and optional.
func checkKeys(t *testing.T, r jrec, want, optional []string) {
	t.Helper()
	for _, k := range want {
		if _, ok := r[k]; !ok {
			t.Errorf("record %s has no %q member", r, k)
		}
	}
	for k := range r {
		if !slices.Contains(want, k) && !slices.Contains(optional, k) {
			t.Errorf("record %s has an unexpected %q member", r, k)
		}
	}
}

var startedRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// refusedURL returns a loopback URL on which nothing listens.
func refusedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/"
}

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestUsageErrors checks that bad flags, arguments, inputs and outputs exit
// 2 with a message naming the flag or path, write nothing on stdout, and
// send no request.
func TestUsageErrors(t *testing.T) {
	srv := gathertest.NewServer(t)
	dir := t.TempDir()
	url := srv.URL + "/status/200"
	const oldContent = "{\"previous\":\"run\"}\n"
	existing := writeFile(t, filepath.Join(dir, "existing.jsonl"), oldContent)

	cases := []struct {
		name string
		args []string
		want []string // each must appear in stderr
	}{
		{"concurrency 0", []string{"fetch", "-c", "0", url}, []string{"concurrency"}},
		{"concurrency -1", []string{"fetch", "-c", "-1", url}, []string{"concurrency"}},
		{"concurrency long form", []string{"fetch", "--concurrency=0", url}, []string{"concurrency"}},
		{"retries -1", []string{"fetch", "--retries", "-1", url}, []string{"--retries"}},
		{"timeout abc", []string{"fetch", "--timeout", "abc", url}, []string{"--timeout", "abc"}},
		{"max-body 12XB", []string{"fetch", "--max-body", "12XB", url}, []string{"--max-body", "12XB"}},
		{"max-redirects -1", []string{"fetch", "--max-redirects", "-1", url}, []string{"--max-redirects"}},
		{"progress sometimes", []string{"fetch", "--progress", "sometimes", url}, []string{"--progress", "sometimes"}},
		{"retry-on bogus", []string{"fetch", "--retry-on", "bogus", url}, []string{"--retry-on", "bogus"}},
		{"header without colon", []string{"fetch", "-H", "no colon", url}, []string{"-H", "no colon"}},
		{"header with bad name", []string{"fetch", "-H", "Bad Name: v", url}, []string{"-H", "Bad Name"}},
		{"method with space", []string{"fetch", "-X", "BAD METHOD", url}, []string{"-X", "BAD METHOD"}},
		{"unknown flag", []string{"fetch", "--bogus-flag", url}, []string{"--bogus-flag"}},
		{"unknown command", []string{"bogus-command"}, []string{"bogus-command"}},
		{"missing input file", []string{"fetch", "-i", "/nonexistent/file"}, []string{"/nonexistent/file"}},
		{"input is a directory", []string{"fetch", "-i", dir}, []string{dir}},
		{"stdin twice", []string{"fetch", "-i", "-", "-i", "-"}, []string{"-i"}},
		{"output in missing directory", []string{"fetch", "-o", filepath.Join(dir, "nodir", "out.jsonl"), url}, []string{filepath.Join(dir, "nodir", "out.jsonl")}},
		{"output is a directory", []string{"fetch", "-o", dir, url}, []string{dir}},
		{"output exists", []string{"fetch", "-o", existing, url}, []string{existing}},
		{"data from missing file", []string{"fetch", "-d", "@/nonexistent", url}, []string{"/nonexistent"}},
		{"per-host -1", []string{"fetch", "--per-host", "-1", url}, []string{"--per-host"}},
		{"rate -1", []string{"fetch", "--rate", "-1", url}, []string{"--rate"}},
		{"rate abc", []string{"fetch", "--rate", "abc", url}, []string{"--rate", "abc"}},
		{"rate NaN", []string{"fetch", "--rate", "NaN", url}, []string{"--rate"}},
		{"rate-per-host -2", []string{"fetch", "--rate-per-host", "-2", url}, []string{"--rate-per-host"}},
		{"deadline abc", []string{"fetch", "--deadline", "abc", url}, []string{"--deadline", "abc"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := srv.Requests()
			r := runGather(t, nil, tc.args...)
			if r.code != exitUsage {
				t.Errorf("gather %q exited %d, want 2; stderr:\n%s", tc.args, r.code, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("gather %q wrote on stdout: %q", tc.args, r.stdout)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("gather %q: stderr does not name %q:\n%s", tc.args, w, r.stderr)
				}
			}
			if n := srv.Requests() - before; n != 0 {
				t.Errorf("gather %q sent %d requests despite the usage error", tc.args, n)
			}
		})
	}
	if got := readFile(t, existing); got != oldContent {
		t.Errorf("-o without --force changed the existing file to %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "nodir")); err == nil {
		t.Errorf("-o into a missing directory created the directory")
	}
}

func TestVersion(t *testing.T) {
	r := runGather(t, nil, "version")
	if r.code != 0 {
		t.Fatalf("gather version exited %d; stderr:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, gather.Version) || !strings.HasPrefix(r.stdout, "gather ") {
		t.Errorf("gather version printed %q, want it to start with \"gather \" and hold %q", r.stdout, gather.Version)
	}
	if r.stderr != "" {
		t.Errorf("gather version wrote on stderr: %q", r.stderr)
	}
	if r := runGather(t, nil, "version", "extra"); r.code != exitUsage {
		t.Errorf("gather version extra exited %d, want 2", r.code)
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help", "fetch"}, {"fetch", "--help"}, {"help", "serve"}, {"help"}} {
		r := runGather(t, nil, args...)
		if r.code != 0 {
			t.Errorf("gather %q exited %d; stderr:\n%s", args, r.code, r.stderr)
		}
		if !strings.Contains(r.stdout+r.stderr, "Usage") {
			t.Errorf("gather %q printed no usage:\n%s%s", args, r.stdout, r.stderr)
		}
	}
	r := runGather(t, nil, "help", "fetch")
	for _, flag := range []string{"--concurrency", "--retries", "--input", "--output", "--max-body", "--no-dedup"} {
		if !strings.Contains(r.stdout, flag) {
			t.Errorf("gather help fetch does not list %s", flag)
		}
	}
}
