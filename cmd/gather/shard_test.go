package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gatherdev/gather"
	"github.com/gatherdev/gather/gathertest"
)

func TestParseShard(t *testing.T) {
	for _, ok := range []string{"0/1", "0/4", "3/4", " 2 / 3 "} {
		if _, err := parseShard(ok); err != nil {
			t.Errorf("parseShard(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "4/4", "1", "-1/4", "a/b", "1/0", "1/4/5"} {
		if _, err := parseShard(bad); err == nil {
			t.Errorf("parseShard(%q): no error", bad)
		}
	}
}

// Shards split the requests by host, every line lands in exactly one, and
// merging them gives what one unsharded run gives.
func TestShardsMergeToTheWhole(t *testing.T) {
	var servers []*gathertest.Server
	for range 5 {
		servers = append(servers, gathertest.NewServer(t))
	}
	dir := t.TempDir()
	var in strings.Builder
	for i := range 100 {
		if i%17 == 3 {
			fmt.Fprintf(&in, "bad line %d\n", i)
			continue
		}
		fmt.Fprintf(&in, "%s/json?size=20&i=%d\n", servers[i%len(servers)].URL, i)
	}
	list := writeFile(t, filepath.Join(dir, "in.txt"), in.String())

	whole := filepath.Join(dir, "whole.jsonl")
	gatherFetch(t, nil, "-i", list, "-o", whole, "-q")
	var parts []string
	for k := range 3 {
		part := filepath.Join(dir, fmt.Sprintf("part-%d.jsonl", k))
		r := gatherFetch(t, nil, "-i", list, "-o", part, "-q", "--shard", fmt.Sprintf("%d/3", k))
		if r.code != 1 && r.code != 0 {
			t.Fatalf("shard %d: exit %d: %s", k, r.code, r.stderr)
		}
		parts = append(parts, part)
	}
	// One host's requests are all in one shard.
	hostShard := map[string]string{}
	for _, part := range parts {
		for _, rec := range readRecords(t, part) {
			if u, ok := rec["url"].(string); ok {
				req := gather.Request{URL: u}
				if prev, seen := hostShard[req.HostKey()]; seen && prev != part {
					t.Errorf("host %s in %s and %s", req.HostKey(), prev, part)
				}
				hostShard[req.HostKey()] = part
			}
		}
	}
	merged := filepath.Join(dir, "merged.jsonl")
	r := runGather(t, nil, append([]string{"merge", merged}, append(parts, "--input", list)...)...)
	if r.code != 0 {
		t.Fatalf("merge exit %d: %s", r.code, r.stderr)
	}
	if keys(t, merged) != keys(t, whole) {
		t.Errorf("the merged shards do not hold the requests of the whole run")
	}
	// A missing shard is a gap: exit 1, and the count says how many. Shard
	// 0 is left out: it holds the invalid lines, so it is never empty (the
	// servers' random ports may leave another shard without a host).
	r = runGather(t, nil, "merge", filepath.Join(dir, "gappy.jsonl"), parts[1], parts[2], "--input", list)
	if r.code != exitFailed || !strings.Contains(r.stderr, "have no record") {
		t.Errorf("merge without a shard: exit %d, stderr %q; want 1 naming the gap", r.code, r.stderr)
	}
	// The same shard twice: its records once.
	r = runGather(t, nil, "merge", filepath.Join(dir, "twice.jsonl"), parts[0], parts[0], parts[1], parts[2])
	if r.code != 0 || keys(t, filepath.Join(dir, "twice.jsonl")) != keys(t, whole) || !strings.Contains(r.stderr, "repeated records dropped") {
		t.Errorf("merge with a shard twice: exit %d, %s", r.code, r.stderr)
	}
	if r := runGather(t, nil, "merge", merged, parts[0]); r.code != exitUsage {
		t.Errorf("merge into a non-empty OUT without --force: exit %d", r.code)
	}
	if r := runGather(t, nil, "merge", filepath.Join(dir, "x.jsonl"), list); r.code != exitUsage || !strings.Contains(r.stderr, "not a gather record") {
		t.Errorf("merge of a file that is not records: exit %d, %s", r.code, r.stderr)
	}
}

// keys lists the requests a records file has records for, sorted.
func keys(t *testing.T, path string) string {
	t.Helper()
	var ks []string
	for _, rec := range readRecords(t, path) {
		if u, ok := rec["url"].(string); ok {
			ks = append(ks, u)
		} else {
			ks = append(ks, fmt.Sprint("line ", rec["line"]))
		}
	}
	slices.Sort(ks)
	return strings.Join(ks, "\n")
}
