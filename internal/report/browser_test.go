package report

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestPageDrawsOffline opens the page in headless Chromium with no network
// at all (a network namespace of its own) and checks that the scripts drew
// the three charts without a script error. CI installs Chromium; elsewhere
// the test is skipped without it.
func TestPageDrawsOffline(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed: .ci/run installs it")
		}
		t.Skip("no chromium here")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("no unshare here")
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	var b bytes.Buffer
	if err := readRun(t).WriteHTML(&b, "gather report: testdata/run.jsonl", 10); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b.Bytes(), []byte("http://")) && bytes.Contains(b.Bytes(), []byte("<script src")) {
		t.Error("the page loads a script from elsewhere")
	}
	run := func(extra ...string) (stdout, stderr string) {
		args := append([]string{"-n", chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--user-data-dir=" + filepath.Join(dir, "profile"), "--virtual-time-budget=5000",
			"--enable-logging=stderr", "--v=0"}, extra...)
		args = append(args, "file://"+page)
		var out, errb bytes.Buffer
		cmd := exec.Command("unshare", args...)
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium: %v\n%s", err, errb.String())
		}
		return out.String(), errb.String()
	}
	dom, logs := run("--dump-dom")
	if m := regexp.MustCompile(`data-drawn="(\d+)"`).FindStringSubmatch(dom); m == nil || m[1] != "3" {
		t.Errorf("the charts were not drawn (data-drawn %v)", m)
	}
	if n := strings.Count(dom, "<canvas"); n < 3 {
		t.Errorf("%d canvases in the page, want 3", n)
	}
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "CONSOLE") && (strings.Contains(line, "Uncaught") || strings.Contains(line, "Error")) {
			t.Errorf("script error: %s", line)
		}
	}
	shot := filepath.Join(os.TempDir(), "gather-report-test.png")
	run("--window-size=1200,1700", "--screenshot="+shot)
	if fi, err := os.Stat(shot); err != nil || fi.Size() < 10000 {
		t.Errorf("no screenshot at %s: %v", shot, err)
	}
	t.Logf("screenshot: %s", shot)
}
