package report

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func readRun(t *testing.T) *Collector {
	t.Helper()
	f, err := os.Open("testdata/run.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := New()
	if err := c.Read(f, "run.jsonl"); err != nil {
		t.Fatal(err)
	}
	return c
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := "testdata/" + name
	if *update {
		os.WriteFile(path, got, 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestGoldenText(t *testing.T) {
	var b bytes.Buffer
	readRun(t).Report(0).Text(&b)
	golden(t, "run.txt", b.Bytes())
}

func TestGoldenJSON(t *testing.T) {
	b, err := json.MarshalIndent(readRun(t).Report(2), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "run.json", append(b, '\n'))
}

// The figures equal those recomputed from the file in a few plain lines.
func TestFiguresMatchTheRecords(t *testing.T) {
	data, _ := os.ReadFile("testdata/run.jsonl")
	var total, ok, retries, bytesSum int64
	kinds := map[string]int64{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var r map[string]any
		if json.Unmarshal(sc.Bytes(), &r) != nil {
			continue // the torn last line
		}
		total++
		if r["ok"] == true {
			ok++
		}
		if e, _ := r["error"].(map[string]any); e != nil {
			kinds[e["kind"].(string)]++
		}
		retries += max(int64(r["attempts"].(float64))-1, 0)
		if b, has := r["bytes"].(float64); has {
			bytesSum += int64(b)
		}
	}
	got := readRun(t).Report(0)
	if got.Total != total || got.OK != ok || got.Failed != total-ok || got.Retries != retries || got.Bytes != bytesSum {
		t.Errorf("report %+v, recomputed total %d ok %d retries %d bytes %d", got, total, ok, retries, bytesSum)
	}
	for k, n := range kinds {
		if got.ByKind[k] != n {
			t.Errorf("by_kind[%s] = %d, recomputed %d", k, got.ByKind[k], n)
		}
	}
	// Hosts are host:port, with the port from the scheme, in lower case.
	want := map[string]int64{"a.test:80": 6, "a.test:8080": 1, "b.test:443": 3, "c.test:80": 1}
	for _, h := range got.Hosts {
		if want[h.Host] != h.Requests {
			t.Errorf("host %s: %d requests, want %d", h.Host, h.Requests, want[h.Host])
		}
	}
	if len(got.Hosts) != len(want) {
		t.Errorf("%d hosts, want %d", len(got.Hosts), len(want))
	}
	if got.LatencyMS.Max != 3000 || got.SpanSecs != 4 { // a.test/5 ends last, at 4 s
		t.Errorf("max latency %v span %v, want 3000 and 4", got.LatencyMS.Max, got.SpanSecs)
	}
}

func TestGzipAndBadInput(t *testing.T) {
	data, _ := os.ReadFile("testdata/run.jsonl")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	zw.Close()
	c := New()
	if err := c.Read(&gz, "run.jsonl.gz"); err != nil || c.Report(0).Total != 12 {
		t.Errorf("gzip: %v, %d records", err, c.Report(0).Total)
	}
	err := New().Read(strings.NewReader("{\"ok\":true}\nnot json\n"), "bad.jsonl")
	if err == nil || !strings.Contains(err.Error(), "bad.jsonl: line 2") {
		t.Errorf("bad line: %v, want an error naming the file and line 2", err)
	}
}

// A report over many hosts holds a small entry for each: a list of a
// million hosts, as a probe of domains is, must not take gigabytes.
func TestManyHostsStaySmall(t *testing.T) {
	const hosts = 20000
	var in bytes.Buffer
	for i := range hosts {
		fmt.Fprintf(&in, `{"url":"http://h%d.example.com/","method":"GET","ok":true,"status":200,"attempts":1,"started":"2026-11-27T08:40:36.515Z","elapsed_ms":%d,"bytes":10,"error":null}`+"\n", i, 10+i%50)
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	c := New()
	if err := c.Read(bytes.NewReader(in.Bytes()), "hosts.jsonl"); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perHost := float64(after.HeapAlloc-before.HeapAlloc) / hosts
	if perHost > 400 {
		t.Errorf("%.0f bytes a host, want at most 400", perHost)
	}
	if r := c.Report(1); len(r.Hosts) != 1 || r.Hosts[0].P95MS != 10 || r.Total != hosts {
		t.Errorf("report of %d hosts: %+v", hosts, r.Hosts)
	}
	t.Logf("%.0f bytes a host", perHost)
	runtime.KeepAlive(c)
	runtime.KeepAlive(&in) // in the heap before and after
}
