package gather_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatherdev/gather"
	"github.com/gatherdev/gather/gathertest"
)

// Fetch a slice of requests and get one result per request, in input
// order, errors as values: asyncio's gather(..., return_exceptions=True).
func ExampleClient_FetchAll() {
	srv, _ := gathertest.Start("127.0.0.1:0")
	defer srv.Close()

	client := gather.New(gather.Options{Backoff: time.Millisecond})
	defer client.Close()
	results := client.FetchAll(context.Background(), []gather.Request{
		{URL: srv.URL + "/json?size=64"},
		{URL: srv.URL + "/flaky/2"},    // 503 twice, then 200: retried
		{URL: srv.URL + "/status/404"}, // final at once
		{URL: "ftp://example.com/"},    // not sent
	})
	for _, r := range results {
		fmt.Printf("ok=%v status=%d attempts=%d kind=%q\n", r.OK(), r.Status, r.Attempts, r.Kind())
	}
	// Output:
	// ok=true status=200 attempts=1 kind=""
	// ok=true status=200 attempts=3 kind=""
	// ok=false status=404 attempts=1 kind="http"
	// ok=false status=0 attempts=0 kind="invalid"
}

// Stream requests in and results out as they finish, from any iter.Seq:
// asyncio's as_completed over an async generator, in bounded memory.
func ExampleClient_Stream() {
	srv, _ := gathertest.Start("127.0.0.1:0")
	defer srv.Close()

	requests := func(yield func(gather.Request) bool) {
		for i := range 100 {
			url := fmt.Sprintf("%s/delay/%d?i=%d", srv.URL, i%10, i)
			if i%10 == 0 {
				url = fmt.Sprintf("%s/status/404?i=%d", srv.URL, i)
			}
			if !yield(gather.Request{URL: url}) {
				return
			}
		}
	}
	client := gather.New(gather.Options{Concurrency: 20})
	defer client.Close()
	ok, failed := 0, map[gather.Kind]int{}
	for r := range client.Stream(context.Background(), requests) {
		if r.OK() {
			ok++
		} else {
			failed[r.Kind()]++
		}
	}
	fmt.Println("ok:", ok, "failed:", failed)
	// Output:
	// ok: 90 failed: map[http:10]
}

// Every failed result's error is a *gather.Error with a Kind.
func ExampleError() {
	srv, _ := gathertest.Start("127.0.0.1:0")
	defer srv.Close()

	client := gather.New(gather.Options{Timeout: 100 * time.Millisecond, Retries: -1})
	defer client.Close()
	res := client.Fetch(context.Background(), gather.Request{URL: srv.URL + "/hang"})
	var gerr *gather.Error
	if errors.As(res.Err, &gerr) {
		fmt.Println(gerr.Kind, res.Attempts)
	}
	// Output:
	// timeout 1
}
