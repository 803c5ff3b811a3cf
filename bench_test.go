package gather_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/gatherdev/gather"
)

// memoryTransport answers every request at once from memory, so that
// benchmarks measure gather's own cost per request.
type memoryTransport struct{ body []byte }

func (m memoryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	return &http.Response{
		StatusCode: 200, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(m.body)),
		ContentLength: int64(len(m.body)),
		Request:       req,
	}, nil
}

func benchRequests(n int) func(func(gather.Request) bool) {
	return func(yield func(gather.Request) bool) {
		for i := range n {
			if !yield(gather.Request{URL: fmt.Sprintf("http://host%d.test/item/%d", i%10, i)}) {
				return
			}
		}
	}
}

var benchBody = []byte(`{"id":1,"name":"item","tags":["a","b"],"ok":true}`)

// BenchmarkStream is the whole pipeline over an in-memory transport: read,
// dedup, schedule, fetch, result. The "controls off" case against the plain
// worker pool below is the scheduler's cost.
func BenchmarkStream(b *testing.B) {
	client := &http.Client{Transport: memoryTransport{benchBody}}
	for _, bc := range []struct {
		name string
		opts gather.Options
	}{
		{"controls-off", gather.Options{}},
		{"per-host", gather.Options{PerHost: 50}},
		{"rate", gather.Options{Rate: 1e9, RatePerHost: 1e9}},
		{"ordered", gather.Options{Ordered: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			o := bc.opts
			o.HTTPClient, o.Concurrency = client, 50
			c := gather.New(o)
			b.ReportAllocs()
			b.ResetTimer()
			n := 0
			for r := range c.Stream(context.Background(), benchRequests(b.N)) {
				if r.OK() {
					n++
				}
			}
			if n != b.N {
				b.Fatalf("%d ok of %d", n, b.N)
			}
		})
	}
}

// BenchmarkWorkerPool is the baseline: the same requests through Fetch from
// 50 plain goroutines, with no reader, dedup or scheduler.
func BenchmarkWorkerPool(b *testing.B) {
	c := gather.New(gather.Options{HTTPClient: &http.Client{Transport: memoryTransport{benchBody}}})
	reqs := make(chan gather.Request, 50)
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			for r := range reqs {
				if res := c.Fetch(context.Background(), r); !res.OK() {
					b.Error(res.Err)
				}
			}
		})
	}
	for r := range benchRequests(b.N) {
		reqs <- r
	}
	close(reqs)
	wg.Wait()
}

// BenchmarkFetchLoopback is the whole pipeline against a real loopback
// server returning 1 KiB of JSON: the client's own transport and redirect
// loop, then a caller's *http.Client (net/http's Client.Do) for comparison.
// The server shares the process, so ns/op counts both sides; allocs/op
// counts both too, the server's being the same in each case.
func BenchmarkFetchLoopback(b *testing.B) {
	doc := bytes.Repeat([]byte(`{"k":"v"},`), 102)
	doc = append(append([]byte("["), doc[:len(doc)-1]...), ']')
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(doc)
	}))
	defer srv.Close()
	for _, bc := range []struct {
		name string
		opts gather.Options
	}{
		{"own-transport", gather.Options{}},
		{"caller-client", gather.Options{HTTPClient: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 50}}}},
		{"save-dir", gather.Options{SaveDir: "-"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			o := bc.opts
			o.Concurrency = 50
			if o.SaveDir != "" {
				o.SaveDir = b.TempDir()
			}
			c := gather.New(o)
			defer c.Close()
			reqs := func(yield func(gather.Request) bool) {
				for i := range b.N {
					if !yield(gather.Request{URL: srv.URL + "/item?i=" + strconv.Itoa(i)}) {
						return
					}
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			n := 0
			for r := range c.Stream(context.Background(), reqs) {
				if r.OK() {
					n++
				}
			}
			if n != b.N {
				b.Fatalf("%d ok of %d", n, b.N)
			}
		})
	}
}
