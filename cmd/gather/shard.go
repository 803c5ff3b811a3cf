package main

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/gatherdev/gather"
)

// shard is --shard K/N: this run keeps the requests whose host falls in
// shard K of N, so that one host's requests, and its politeness, stay with
// one worker. Lines that are not valid requests go to shard 0, so that
// every line of the input has its record in exactly one shard.
type shard struct{ k, n uint64 }

// parseShard reads "K/N" with 0 <= K < N, as Kubernetes' JOB_COMPLETION_INDEX
// counts.
func parseShard(s string) (shard, error) {
	ks, ns, ok := strings.Cut(s, "/")
	k, err1 := strconv.ParseUint(strings.TrimSpace(ks), 10, 32)
	n, err2 := strconv.ParseUint(strings.TrimSpace(ns), 10, 32)
	if !ok || err1 != nil || err2 != nil || n == 0 || k >= n {
		return shard{}, fmt.Errorf("--shard %q: want K/N with 0 <= K < N, like 0/4", s)
	}
	return shard{k, n}, nil
}

// keeps reports whether req belongs to this shard.
func (s shard) keeps(req *gather.Request) bool {
	if s.n <= 1 {
		return true
	}
	host := req.HostKey()
	if host == "" {
		return s.k == 0
	}
	h := fnv.New64a() // stable across machines and versions
	h.Write([]byte(host))
	return h.Sum64()%s.n == s.k
}
