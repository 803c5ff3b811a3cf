package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
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
