package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gatherdev/gather/gathertest"
)

func TestDeadlineFlag(t *testing.T) {
	srv := gathertest.NewServer(t)
	var in strings.Builder
	for i := range 20 {
		if i%5 == 0 {
			fmt.Fprintf(&in, "%s/hang?i=%d\n", srv.URL, i)
		} else {
			fmt.Fprintf(&in, "%s/status/200?i=%d\n", srv.URL, i)
		}
	}
	start := time.Now()
	r := gatherFetch(t, strings.NewReader(in.String()), "--deadline", "400ms", "--timeout", "1m", "-q")
	if wall := time.Since(start); wall > 5*time.Second {
		t.Errorf("run took %v with --deadline 400ms", wall)
	}
	if r.code != exitFailed {
		t.Errorf("exit %d, want 1", r.code)
	}
	recs := parseRecords(t, r.stdout)
	if len(recs) != 20 {
		t.Fatalf("%d records, want 20", len(recs))
	}
	for _, rec := range recs {
		url := rec.str(t, "url")
		switch {
		case strings.Contains(url, "/hang"):
			if rec.kind(t) != "deadline" || rec["status"] != nil || rec.num(t, "attempts") != 1 {
				t.Errorf("hanging request: %v, want kind deadline, no status, 1 attempt", rec)
			}
		case rec["ok"] != true:
			t.Errorf("fast request not ok: %v", rec)
		}
	}
}

func TestOrderedFlag(t *testing.T) {
	srv := gathertest.NewServer(t)
	var in strings.Builder
	var want []string
	for i := range 60 {
		u := fmt.Sprintf("%s/delay/%d?i=%d", srv.URL, (i*37)%40, i)
		fmt.Fprintln(&in, u)
		want = append(want, u)
	}
	r := gatherFetch(t, strings.NewReader(in.String()), "--ordered", "-c", "8", "-q")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	got := urlsOf(parseRecords(t, r.stdout))
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("--ordered records are not in input order:\n%s", strings.Join(got, "\n"))
	}
}

func TestPerHostAndRateFlags(t *testing.T) {
	srv := gathertest.NewServer(t)
	var in strings.Builder
	for i := range 20 {
		fmt.Fprintf(&in, "%s/delay/20?i=%d\n", srv.URL, i)
	}
	start := time.Now()
	r := gatherFetch(t, strings.NewReader(in.String()), "-c", "10", "--per-host", "2", "--rate", "50", "-q")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if peak := srv.PeakInFlight(); peak > 2 {
		t.Errorf("peak in flight %d with --per-host 2", peak)
	}
	// 20 requests at 50/s: at least 19/50 s.
	if wall := time.Since(start); wall < 350*time.Millisecond {
		t.Errorf("20 requests at --rate 50 took only %v", wall)
	}
}

func TestDenyPrivateFlag(t *testing.T) {
	srv := gathertest.NewServer(t)
	r := gatherFetch(t, nil, "--deny-private", "-q", srv.URL+"/status/200")
	recs := parseRecords(t, r.stdout)
	if r.code != exitFailed || len(recs) != 1 || recs[0].kind(t) != "connection" || !strings.Contains(r.stdout, "loopback") {
		t.Errorf("exit %d, records %v; want 1 and a connection record naming loopback", r.code, recs)
	}
	if srv.Connections() != 0 {
		t.Errorf("the server saw %d connections", srv.Connections())
	}
}

func TestReportCommand(t *testing.T) {
	srv := gathertest.NewServer(t)
	out := writeFile(t, t.TempDir()+"/r.jsonl", "")
	gatherFetch(t, nil, "-o", out, "--force", "-q", srv.URL+"/status/200", srv.URL+"/status/404", "nope")
	r := runGather(t, nil, "report", out)
	if r.code != 0 || !strings.Contains(r.stdout, "3 requests: 1 ok, 2 failed") || !strings.Contains(r.stdout, "127.0.0.1:") {
		t.Errorf("report: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runGather(t, strings.NewReader(readFile(t, out)), "report", "--json")
	var rep struct {
		Total  int64            `json:"total"`
		ByKind map[string]int64 `json:"by_kind"`
		Hosts  []struct {
			Host     string `json:"host"`
			Requests int64  `json:"requests"`
		} `json:"hosts"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || rep.Total != 3 || rep.ByKind["invalid"] != 1 || len(rep.Hosts) != 1 || rep.Hosts[0].Requests != 2 {
		t.Errorf("report --json from stdin: %v %+v", err, rep)
	}
	if r := runGather(t, nil, "report", "/nonexistent.jsonl"); r.code != exitUsage || !strings.Contains(r.stderr, "/nonexistent.jsonl") {
		t.Errorf("report of a missing file: exit %d %s", r.code, r.stderr)
	}
}
