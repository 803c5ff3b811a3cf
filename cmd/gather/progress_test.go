package main

import (
	"strings"
	"testing"

	"github.com/gatherdev/gather"
)

func TestProgressStyle(t *testing.T) {
	tests := []struct {
		quiet               bool
		mode                string
		tty                 bool
		noColor             string
		show, color, forced bool
	}{
		{mode: "auto", tty: true, show: true, color: true},
		{mode: "auto", tty: true, noColor: "1", show: true},
		{mode: "auto", tty: false},
		{mode: "never", tty: true},
		{mode: "always", tty: true, show: true, color: true},
		{mode: "always", tty: false, show: true, forced: true},
		{mode: "always", tty: false, noColor: "1", show: true, forced: true},
		{quiet: true, mode: "always", tty: true},
		{quiet: true, mode: "auto", tty: true},
	}
	for _, tt := range tests {
		show, color, forced := progressStyle(tt.quiet, tt.mode, tt.tty, tt.noColor)
		if show != tt.show || color != tt.color || forced != tt.forced {
			t.Errorf("progressStyle(quiet=%v, %q, tty=%v, NO_COLOR=%q) = %v, %v, %v; want %v, %v, %v",
				tt.quiet, tt.mode, tt.tty, tt.noColor, show, color, forced, tt.show, tt.color, tt.forced)
		}
	}
}

func TestProgressRendersCounts(t *testing.T) {
	for _, color := range []bool{false, true} {
		var out lockedBuffer
		pr := newProgress(&out, color, true)
		pr.setTotal(4)
		ok := gather.Result{Status: 200, Attempts: 2}
		bad := gather.Result{Status: 404, Attempts: 1, Err: &gather.Error{Kind: gather.KindHTTP}}
		pr.add(&ok)
		pr.add(&ok)
		pr.add(&bad)
		pr.finish(true)
		got := out.String()
		for _, want := range []string{"3/3", "100.0%", "ok 2", "failed 1", "retries 2", "/s"} {
			if !strings.Contains(got, want) {
				t.Errorf("color=%v: progress output lacks %q:\n%q", color, want, got)
			}
		}
		if hasColor := strings.Contains(got, "\x1b[32m"); hasColor != color {
			t.Errorf("color=%v: output has colour codes: %v\n%q", color, hasColor, got)
		}
	}
}

func TestProgressETAAndUnknownTotal(t *testing.T) {
	var out lockedBuffer
	pr := newProgress(&out, false, true)
	if got := pr.counts(); !strings.Contains(got, "0 done") {
		t.Errorf("unknown total: counts() = %q, want \"0 done\"", got)
	}
	if got := pr.eta(); got != "" {
		t.Errorf("unknown total: eta() = %q, want none", got)
	}
	pr.setTotal(1000)
	r := gather.Result{Status: 200, Attempts: 1}
	pr.add(&r)
	if got := pr.counts(); !strings.Contains(got, "1/1000") || !strings.Contains(got, "0.1%") {
		t.Errorf("counts() = %q, want 1/1000 and 0.1%%", got)
	}
	if got := pr.eta(); !strings.HasPrefix(got, "  ETA ") {
		t.Errorf("eta() = %q, want an ETA", got)
	}
	pr.finish(true)
}

// A collected record's retries count, as a fetched one's do; a record an
// earlier run wrote (attempts unknown, 0) counts none.
func TestProgressCountsCollectedRetries(t *testing.T) {
	var out lockedBuffer
	pr := newProgress(&out, false, true)
	pr.add(&gather.Result{Status: 200, Attempts: 2})
	pr.addRecord(true, 3)
	pr.addRecord(false, 1)
	pr.addRecord(true, 0)
	pr.finish(true)
	if got := pr.retries.Load(); got != 3 {
		t.Errorf("retries = %d, want 1 fetched + 2 collected", got)
	}
	if done, ok := pr.done.Load(), pr.ok.Load(); done != 4 || ok != 3 {
		t.Errorf("done %d ok %d, want 4 and 3", done, ok)
	}
}
