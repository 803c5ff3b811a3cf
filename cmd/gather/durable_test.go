package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gatherdev/gather/gathertest"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// gatherBinary builds the real command once per test run.
func gatherBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gather-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "gather")
		out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// readRecords parses a records file, failing on any line that is not a
// whole JSON object.
func readRecords(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []map[string]any
	r := bufio.NewReader(f)
	for n := 1; ; n++ {
		line, err := r.ReadString('\n')
		if line == "" && err != nil {
			break
		}
		if !strings.HasSuffix(line, "\n") {
			t.Fatalf("%s: line %d is torn: %q", path, n, line)
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("%s: line %d is not JSON: %v", path, n, err)
		}
		recs = append(recs, rec)
	}
	return recs
}

// oneRecordEach checks that recs hold exactly one record per URL of want.
func oneRecordEach(t *testing.T, recs []map[string]any, want []string) {
	t.Helper()
	seen := map[string]int{}
	for _, r := range recs {
		u, _ := r["url"].(string)
		seen[u]++
	}
	for _, u := range want {
		if seen[u] != 1 {
			t.Errorf("%s has %d records, want 1", u, seen[u])
		}
	}
	if len(recs) != len(want) {
		t.Errorf("%d records for %d requests", len(recs), len(want))
	}
}

// readRecordsAllowTorn counts the whole lines of a records file that a
// crash may have left with a torn last line.
func readRecordsAllowTorn(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	lines := strings.SplitAfter(string(data), "\n")
	if last := lines[len(lines)-1]; !strings.HasSuffix(last, "\n") {
		lines = lines[:len(lines)-1]
	}
	return lines
}

func writeList(t *testing.T, base string, n int) (path string, urls []string) {
	t.Helper()
	var b strings.Builder
	for i := range n {
		u := fmt.Sprintf("%s/delay/%d?i=%d", base, i%31, i)
		urls = append(urls, u)
		b.WriteString(u + "\n")
	}
	path = filepath.Join(t.TempDir(), "urls.txt")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, urls
}

// TestKillAndResume kills the real binary with SIGKILL at random moments
// and resumes: exactly one whole record per request, and nothing fetched
// again beyond what was in flight or not yet flushed.
func TestKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := gatherBinary(t)
	rnd := rand.New(rand.NewPCG(7, 11))
	for trial := range 4 {
		t.Run(fmt.Sprint(trial), func(t *testing.T) {
			srv := gathertest.NewServer(t)
			list, urls := writeList(t, srv.URL, 3000)
			out := filepath.Join(t.TempDir(), "out.jsonl")
			cmd := exec.Command(bin, "fetch", "-i", list, "-o", out, "-c", "50", "-q")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Duration(100+rnd.IntN(700)) * time.Millisecond)
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			before := srv.Requests()
			kept := len(readRecordsAllowTorn(t, out))
			if kept == 0 || kept == len(urls) {
				t.Logf("the kill came with %d of %d records written: not mid-run", kept, len(urls))
			}

			resume := exec.Command(bin, "fetch", "-i", list, "-o", out, "-c", "50", "-q", "--resume")
			if msg, err := resume.CombinedOutput(); err != nil {
				t.Fatalf("--resume: %v\n%s", err, msg)
			}
			oneRecordEach(t, readRecords(t, out), urls)
			// Fetched twice: at most what was in flight (50) and the records
			// finished in the last flush interval before the kill.
			again := srv.Requests() - int64(len(urls))
			if again > 300 {
				t.Errorf("%d requests fetched twice (%d before the kill)", again, before)
			}
			t.Logf("killed with %d records written, %d requests sent; %d fetched twice", kept, before, again)
		})
	}
}

func TestInterruptAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := gatherBinary(t)
	srv := gathertest.NewServer(t)
	list, urls := writeList(t, srv.URL, 2000)
	// Some requests that hang: the grace period ends them without a record.
	f, _ := os.OpenFile(list, os.O_APPEND|os.O_WRONLY, 0)
	for i := range 5 {
		u := fmt.Sprintf("%s/delay/300000?hang=%d", srv.URL, i)
		fmt.Fprintln(f, u)
		urls = append(urls, u)
	}
	f.Close()
	out := filepath.Join(t.TempDir(), "out.jsonl")
	var stderr strings.Builder
	cmd := exec.Command(bin, "fetch", "-i", list, "-o", out, "-c", "20", "--timeout", "10m")
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	start := time.Now()
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Errorf("exit %d after SIGINT, want 130; stderr:\n%s", code, stderr.String())
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %v to stop after SIGINT", took)
	}
	if !strings.Contains(stderr.String(), "--resume") || !strings.Contains(stderr.String(), "unfinished") {
		t.Errorf("no resume hint on stderr:\n%s", stderr.String())
	}
	partial := readRecords(t, out)
	for _, r := range partial {
		if u, _ := r["url"].(string); strings.Contains(u, "hang=") {
			t.Errorf("an unfinished request got a record: %v", r)
		}
	}
	resume := exec.Command(bin, "fetch", "-i", list, "-o", out, "-c", "20", "-q", "--resume", "--timeout", "200ms", "--retries", "0")
	msg, err := resume.CombinedOutput()
	if code := resume.ProcessState.ExitCode(); code != 1 { // the hanging ones time out
		t.Fatalf("--resume exit %d (%v), want 1:\n%s", code, err, msg)
	}
	oneRecordEach(t, readRecords(t, out), urls)
}

func TestResumeRepairsTornLine(t *testing.T) {
	srv := gathertest.NewServer(t)
	dir := t.TempDir()
	list, urls := writeList(t, srv.URL, 6)
	out := filepath.Join(dir, "out.jsonl")
	r := gatherFetch(t, nil, "-i", list, "-o", out, "-q", "-c", "1", "--ordered")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	whole := readFile(t, out)
	lines := strings.SplitAfter(whole, "\n")
	// Keep 3 records and half of the 4th, as a crash mid-write would.
	torn := strings.Join(lines[:3], "") + lines[3][:len(lines[3])/2]
	writeFile(t, out, torn)
	srv.ResetCounters()
	r = gatherFetch(t, nil, "-i", list, "-o", out, "--resume")
	if r.code != 0 {
		t.Fatalf("--resume exit %d: %s", r.code, r.stderr)
	}
	oneRecordEach(t, readRecords(t, out), urls)
	if got := srv.Requests(); got != 3 {
		t.Errorf("--resume sent %d requests, want 3 (the torn one and the two after it)", got)
	}
	if !strings.HasPrefix(readFile(t, out), strings.Join(lines[:3], "")) {
		t.Errorf("the 3 whole records were not kept as they were")
	}
	if !strings.Contains(r.stderr, "3 requests had a record already") {
		t.Errorf("summary does not say what was resumed:\n%s", r.stderr)
	}
}

func TestResumeRefusesForeignFiles(t *testing.T) {
	srv := gathertest.NewServer(t)
	dir := t.TempDir()
	list, _ := writeList(t, srv.URL, 4)
	other, _ := writeList(t, srv.URL+"/other", 4)
	foreign := filepath.Join(dir, "foreign.jsonl")
	if r := gatherFetch(t, nil, "-i", other, "-o", foreign, "-q"); r.code != 1 { // /other/... is 404
		t.Fatalf("setup exit %d: %s", r.code, r.stderr)
	}
	cases := map[string]string{
		"not records":       "hello\nworld\n",
		"json, not records": "{\"a\":1}\n[1,2]\n",
		"another run":       readFile(t, foreign),
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			path := writeFile(t, filepath.Join(t.TempDir(), "out.jsonl"), content)
			before := srv.Requests()
			r := gatherFetch(t, nil, "-i", list, "-o", path, "--resume")
			if r.code != exitUsage {
				t.Errorf("exit %d, want 2; stderr:\n%s", r.code, r.stderr)
			}
			if !strings.Contains(r.stderr, path) {
				t.Errorf("stderr does not name %s:\n%s", path, r.stderr)
			}
			if got := readFile(t, path); got != content {
				t.Errorf("the refused file was changed to %q", got)
			}
			if srv.Requests() != before {
				t.Errorf("requests were sent")
			}
		})
	}
}

func TestResumeFlagsNeedEachOther(t *testing.T) {
	srv := gathertest.NewServer(t)
	out := filepath.Join(t.TempDir(), "out.jsonl")
	for _, args := range [][]string{
		{"--resume", srv.URL + "/status/200"},
		{"--retry-failed", "-o", out, srv.URL + "/status/200"},
		{"--resume", "--force", "-o", out, srv.URL + "/status/200"},
	} {
		if r := gatherFetch(t, nil, args...); r.code != exitUsage || !strings.Contains(r.stderr, "--") {
			t.Errorf("%q: exit %d, stderr %q; want 2 naming the flags", args, r.code, r.stderr)
		}
	}
}

func TestRetryFailed(t *testing.T) {
	srv := gathertest.NewServer(t)
	dir := t.TempDir()
	var in strings.Builder
	var urls []string
	for i := range 10 {
		u := fmt.Sprintf("%s/status/200?i=%d", srv.URL, i)
		if i%3 == 0 {
			u = fmt.Sprintf("%s/flaky/1?i=%d", srv.URL, i) // 503 once, then 200
		}
		urls = append(urls, u)
		in.WriteString(u + "\n")
	}
	list := writeFile(t, filepath.Join(dir, "in.txt"), in.String())
	out := filepath.Join(dir, "out.jsonl")
	if r := gatherFetch(t, nil, "-i", list, "-o", out, "-q", "--retries", "0"); r.code != 1 {
		t.Fatalf("first run exit %d, want 1: %s", r.code, r.stderr)
	}
	// Plain --resume has nothing to do: every request has a record; 4 not ok.
	sent := srv.Requests()
	if r := gatherFetch(t, nil, "-i", list, "-o", out, "-q", "--resume"); r.code != 1 || srv.Requests() != sent {
		t.Fatalf("--resume: exit %d with %d requests, want 1 and none", r.code, srv.Requests()-sent)
	}
	// A crash in the middle of --retry-failed leaves a later record for some
	// failed requests: simulate it with one appended record.
	firstLines := strings.SplitAfter(readFile(t, out), "\n")
	if r := gatherFetch(t, nil, "-o", filepath.Join(dir, "one.jsonl"), "-q", urls[0]); r.code != 0 {
		t.Fatalf("refetch of %s: exit %d", urls[0], r.code)
	}
	writeFile(t, out, strings.Join(firstLines, "")+readFile(t, filepath.Join(dir, "one.jsonl")))
	before := srv.Requests() // not ResetCounters: that would make /flaky fail again
	r := gatherFetch(t, nil, "-i", list, "-o", out, "--resume", "--retry-failed")
	if r.code != 0 {
		t.Fatalf("--retry-failed exit %d: %s", r.code, r.stderr)
	}
	if got := srv.Requests() - before; got != 3 {
		t.Errorf("--retry-failed sent %d requests, want 3 (4 failed, 1 already superseded)", got)
	}
	recs := readRecords(t, out)
	oneRecordEach(t, recs, urls)
	for _, rec := range recs {
		if rec["ok"] != true {
			t.Errorf("not ok after --retry-failed: %v", rec)
		}
	}
}

func TestSaveDir(t *testing.T) {
	srv := gathertest.NewServer(t)
	dir := t.TempDir()
	save := filepath.Join(dir, "bodies")
	u1, u2, u3 := srv.URL+"/bytes/70000", srv.URL+"/json?size=300", srv.URL+"/status/404"
	r := gatherFetch(t, nil, "--save-dir", save, "-c", "1", "--ordered", u1, u2, u3)
	if r.code != 1 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	recs := parseRecords(t, r.stdout)
	if len(recs) != 3 {
		t.Fatalf("%d records", len(recs))
	}
	for i, u := range []string{u1, u2} {
		rec := recs[i]
		if _, has := rec["body"]; has {
			t.Errorf("%s: the record holds the body as well as the file", u)
		}
		path := rec.str(t, "file")
		if !strings.HasPrefix(path, save+string(os.PathSeparator)) {
			t.Errorf("file %q is not inside %s", path, save)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want := rawGet(t, u)
		if string(got) != want || int(rec.num(t, "bytes")) != len(want) {
			t.Errorf("%s: saved %d bytes, not the %d the server sends", u, len(got), len(want))
		}
	}
	if _, has := recs[2]["file"]; has || recs[2]["body"] != nil {
		t.Errorf("a 404 body is neither saved nor in the record with --save-dir: %v", recs[2])
	}
	notDir := writeFile(t, filepath.Join(dir, "file"), "x")
	if r := gatherFetch(t, nil, "--save-dir", notDir, u1); r.code != exitUsage || !strings.Contains(r.stderr, "--save-dir") {
		t.Errorf("--save-dir on a file: exit %d, stderr %q", r.code, r.stderr)
	}
}

// rawGet returns a body exactly as the server sends it.
func rawGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The command that the interrupt's hint gives finishes the run, even when
// the run began with --force, which --resume refuses.
func TestResumeHintRuns(t *testing.T) {
	srv := gathertest.NewServer(t)
	list, urls := writeList(t, srv.URL, 20)
	out := filepath.Join(t.TempDir(), "out.jsonl")
	f := &fetchFlags{output: out, argv: []string{"fetch", "-i", list, "-o", out, "--force", "-q", "--force=true"}}
	var hint strings.Builder
	f.printResumeHint(&hint, 20)
	_, line, ok := strings.Cut(hint.String(), "to finish the run:\n")
	if !ok {
		t.Fatalf("no command in the hint:\n%s", hint.String())
	}
	args := strings.Fields(line)
	if args[0] != "gather" || slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--force") }) || !slices.Contains(args, "--resume") {
		t.Fatalf("hint %q: want gather ... --resume, without --force", line)
	}
	os.WriteFile(out, nil, 0o644) // the interrupted run wrote nothing yet
	if r := gatherFetch(t, nil, args[2:]...); r.code != 0 {
		t.Fatalf("the hint's command %q: exit %d: %s", line, r.code, r.stderr)
	}
	oneRecordEach(t, readRecords(t, out), urls)
}
