package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gatherdev/gather/gathertest"
)

func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo's lesson takes 5 s")
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // the demo's temporary directory goes here, apart from other runs
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"demo", "--requests", "300", "--progress", "never"}, strings.NewReader(""), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("demo exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"one after another", "concurrently", "10/10", "faster", "records.jsonl", "gather fetch -i urls.txt"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr.String(), "300 requests") || !strings.Contains(stderr.String(), "latency p50") {
		t.Errorf("demo's summary missing from stderr:\n%s", stderr.String())
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("demo left %v behind in its temporary directory", left)
	}
}

func TestSummaryMatchesRecords(t *testing.T) {
	srv := gathertest.NewServer(t)
	dir := t.TempDir()
	var list strings.Builder
	for i := range 40 {
		switch i % 5 {
		case 0:
			list.WriteString(srv.URL + "/flaky/1?i=" + strconv.Itoa(i) + "\n")
		case 1:
			list.WriteString(srv.URL + "/status/404?i=" + strconv.Itoa(i) + "\n")
		case 2:
			list.WriteString("bad line " + strconv.Itoa(i) + "\n")
		default:
			list.WriteString(srv.URL + "/json?size=300&i=" + strconv.Itoa(i) + "\n")
		}
	}
	in, out, sum := filepath.Join(dir, "in.txt"), filepath.Join(dir, "out.jsonl"), filepath.Join(dir, "summary.json")
	os.WriteFile(in, []byte(list.String()), 0o644)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"fetch", "-i", in, "-o", out, "--summary-json", sum, "--backoff", "1ms", "--max-backoff", "2ms"}, strings.NewReader(""), &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr %s", code, stderr.String())
	}
	var report struct {
		Total   int64              `json:"total"`
		OK      int64              `json:"ok"`
		Failed  int64              `json:"failed"`
		ByKind  map[string]int64   `json:"by_kind"`
		Retries int64              `json:"retries"`
		Bytes   int64              `json:"bytes"`
		Latency map[string]float64 `json:"latency_ms"`
	}
	data, err := os.ReadFile(sum)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &report); err != nil {
		t.Fatalf("summary JSON: %v\n%s", err, data)
	}
	f, _ := os.Open(out)
	defer f.Close()
	var total, ok, retries, bytesSum int64
	kinds := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var rec struct {
			OK       bool  `json:"ok"`
			Attempts int64 `json:"attempts"`
			Bytes    int64 `json:"bytes"`
			Error    *struct {
				Kind string `json:"kind"`
			} `json:"error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		total++
		if rec.OK {
			ok++
		}
		if rec.Error != nil {
			kinds[rec.Error.Kind]++
		}
		retries += max(rec.Attempts-1, 0)
		bytesSum += rec.Bytes
	}
	if total != 40 || report.Total != total || report.OK != ok || report.Failed != total-ok || report.Retries != retries || report.Bytes != bytesSum {
		t.Errorf("summary %+v does not match the records: total %d ok %d retries %d bytes %d", report, total, ok, retries, bytesSum)
	}
	if len(kinds) != len(report.ByKind) {
		t.Errorf("by_kind %v, records %v", report.ByKind, kinds)
	}
	for k, n := range kinds {
		if report.ByKind[k] != n {
			t.Errorf("by_kind[%s] = %d, records have %d", k, report.ByKind[k], n)
		}
	}
	if ok != 24 || kinds["http"] != 8 || kinds["invalid"] != 8 || retries != 8 {
		t.Errorf("records: ok %d, kinds %v, retries %d; want 24 ok, 8 http, 8 invalid, 8 retries", ok, kinds, retries)
	}
	if report.Latency["p50"] <= 0 || report.Latency["p99"] < report.Latency["p50"] || report.Latency["max"] < report.Latency["p99"] {
		t.Errorf("latency quantiles out of order: %v", report.Latency)
	}
	if !strings.Contains(stderr.String(), "40 requests") {
		t.Errorf("text summary: %s", stderr.String())
	}
}
