package gather_test

// The examples in this file follow the patterns of Python's asyncio lesson,
// one example per pattern; docs/from-asyncio.md sets them side by side with
// the Python code and the gather command line.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gatherdev/gather"
	"github.com/gatherdev/gather/gathertest"
)

// Fetch many URLs concurrently and get every outcome back, failures
// included, in the order of the input. It replaces
//
//	results = await asyncio.gather(*(fetch(s, u) for u in urls), return_exceptions=True)
//
// A failure is a Result whose Err is a *gather.Error, never a panic or an
// exception to catch; a repeat of a URL is fetched once and its result copied.
func ExampleClient_FetchAll_gather() {
	srv, err := gathertest.Start("127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	paths := []string{
		"/delay/60",   // finishes last, listed first
		"/delay/0",    // finishes first
		"/status/404", // an error, as a value
		"/delay/0",    // a repeat: fetched once
		"/json?size=2",
	}
	reqs := make([]gather.Request, 0, len(paths)+1)
	for _, p := range paths {
		reqs = append(reqs, gather.Request{URL: srv.URL + p})
	}
	reqs = append(reqs, gather.Request{URL: "ftp://example.com/"}) // never sent

	client := gather.New(gather.Options{Backoff: time.Millisecond})
	defer client.Close()
	results := client.FetchAll(context.Background(), reqs)

	for _, r := range results { // results[i] is the result of reqs[i]
		url := strings.TrimPrefix(r.Request.URL, srv.URL)
		if r.OK() {
			fmt.Printf("%-14s %d %s\n", url, r.Status, strings.TrimSpace(string(r.Body)))
		} else {
			fmt.Printf("%-14s %d error (%s): %v\n", url, r.Status, r.Kind(), r.Err)
		}
	}
	fmt.Println("requests the server saw:", srv.Requests())
	// Output:
	// /delay/60      200 {"delay_ms":60}
	// /delay/0       200 {"delay_ms":0}
	// /status/404    404 error (http): 404 Not Found
	// /delay/0       200 {"delay_ms":0}
	// /json?size=2   200 {}
	// ftp://example.com/ 0 error (invalid): url scheme "ftp" is not http or https
	// requests the server saw: 4
}

// One request with retries and exponential backoff, where a 404 is final at
// once. It replaces a hand-written
//
//	async def safe_fetch(session, url, retries=3):
//	    for attempt in range(retries + 1):
//	        try: ...
//	        except (aiohttp.ClientError, asyncio.TimeoutError): ...
//	        await asyncio.sleep(random.uniform(0, 0.25 * 2 ** attempt))
//
// Connection errors, timeouts and 429/500/502/503/504 are retried
// (DefaultCheckRetry), each attempt under its own Timeout; a Retry-After
// header sets the wait, capped by MaxBackoff.
func ExampleClient_Fetch_retries() {
	srv, err := gathertest.Start("127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	client := gather.New(gather.Options{
		Retries:    3,                     // after the first attempt: 4 at most
		Backoff:    time.Millisecond,      // first wait's bound (default 250ms)
		MaxBackoff: 20 * time.Millisecond, // cap on every wait, Retry-After included
	})
	defer client.Close()

	ctx := context.Background()
	for _, path := range []string{
		"/flaky/2",        // 503 twice, then 200
		"/status/404",     // not retried
		"/status/503",     // retried until the retries run out
		"/ratelimit/3600", // 429 with Retry-After: 3600, waited 20ms (MaxBackoff)
	} {
		r := client.Fetch(ctx, gather.Request{URL: srv.URL + path})
		fmt.Printf("%-15s ok=%-5v status=%d attempts=%d retries=%d kind=%q\n",
			path, r.OK(), r.Status, r.Attempts, r.Retries(), r.Kind())
	}

	// Each attempt has its own Timeout (default 10s); a timeout is retried.
	impatient := gather.New(gather.Options{Timeout: 50 * time.Millisecond, Retries: 1, Backoff: time.Millisecond})
	defer impatient.Close()
	r := impatient.Fetch(ctx, gather.Request{URL: srv.URL + "/hang"})
	fmt.Printf("%-15s ok=%-5v status=%d attempts=%d retries=%d kind=%q\n",
		"/hang", r.OK(), r.Status, r.Attempts, r.Retries(), r.Kind())

	// What is retried is a policy: here 5xx and connection errors only.
	only5xx, err := gather.ParseRetryOn("connection,5xx")
	if err != nil {
		panic(err)
	}
	strict := gather.New(gather.Options{CheckRetry: only5xx, Backoff: time.Millisecond})
	defer strict.Close()
	r = strict.Fetch(ctx, gather.Request{URL: srv.URL + "/ratelimit/1?strict"})
	fmt.Printf("429 with retry-on %q: status=%d attempts=%d\n", "connection,5xx", r.Status, r.Attempts)
	// Output:
	// /flaky/2        ok=true  status=200 attempts=3 retries=2 kind=""
	// /status/404     ok=false status=404 attempts=1 retries=0 kind="http"
	// /status/503     ok=false status=503 attempts=4 retries=3 kind="http"
	// /ratelimit/3600 ok=true  status=200 attempts=2 retries=1 kind=""
	// /hang           ok=false status=0 attempts=2 retries=1 kind="timeout"
	// 429 with retry-on "connection,5xx": status=429 attempts=1
}

// A time budget for the whole batch that keeps what finished. It replaces
//
//	done, pending = await asyncio.wait(tasks, timeout=1.0)
//	for t in pending: t.cancel()
//
// (asyncio.wait_for around gather would cancel everything and keep
// nothing). With Options.Deadline every request still unfinished at the
// deadline gets a Result of KindDeadline; what finished is kept.
func ExampleOptions_deadline() {
	srv, err := gathertest.Start("127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	client := gather.New(gather.Options{Deadline: time.Second})
	defer client.Close()
	results := client.FetchAll(context.Background(), []gather.Request{
		{URL: srv.URL + "/delay/0?a"},
		{URL: srv.URL + "/hang?a"}, // never answers
		{URL: srv.URL + "/delay/0?b"},
		{URL: srv.URL + "/hang?b"},
		{URL: srv.URL + "/json?size=16"},
	})

	fast, hanging := map[string]int{}, map[string]int{}
	for _, r := range results {
		outcome := "ok"
		if !r.OK() {
			outcome = string(r.Kind())
		}
		if strings.Contains(r.Request.URL, "/hang") {
			hanging[outcome]++
		} else {
			fast[outcome]++
		}
	}
	fmt.Println("results:", len(results))
	fmt.Println("fast requests:", fast)
	fmt.Println("hanging requests:", hanging)
	// Output:
	// results: 5
	// fast requests: map[ok:3]
	// hanging requests: map[deadline:2]
}

// Separate the successes from the failures and count the failures by kind.
// It replaces the isinstance checks after gather(..., return_exceptions=True):
//
//	ok = [r for r in results if not isinstance(r, Exception)]
//	kinds = Counter(type(r).__name__ for r in results if isinstance(r, Exception))
//
// Result.OK splits them, Result.Kind names the failure, and errors.As finds
// the *gather.Error with its Status.
func ExampleResult_Kind() {
	srv, err := gathertest.Start("127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	requests := func(yield func(gather.Request) bool) {
		for _, u := range []string{
			srv.URL + "/json?size=32&n=1",
			srv.URL + "/json?size=32&n=2",
			srv.URL + "/delay/5",
			srv.URL + "/status/404?n=1",
			srv.URL + "/status/404?n=2",
			srv.URL + "/status/503",
			srv.URL + "/reset/99",   // the connection is dropped
			srv.URL + "/hang",       // past Timeout
			srv.URL + "/bytes/4096", // over MaxBody
			srv.URL + "/redirect/5", // over MaxRedirects
			"not a url",             // never sent
		} {
			if !yield(gather.Request{URL: u}) {
				return
			}
		}
	}
	client := gather.New(gather.Options{
		Retries:      -1, // no retries: one attempt each
		Timeout:      500 * time.Millisecond,
		MaxBody:      1024,
		MaxRedirects: 2,
	})
	defer client.Close()

	ok, kinds := 0, map[gather.Kind]int{}
	var statuses []int
	for r := range client.Stream(context.Background(), requests) {
		if r.OK() {
			ok++
			continue
		}
		kinds[r.Kind()]++
		var gerr *gather.Error
		if errors.As(r.Err, &gerr) && gerr.Kind == gather.KindHTTP {
			statuses = append(statuses, gerr.Status)
		}
	}
	slices.Sort(statuses) // Stream yields in completion order
	fmt.Println("ok:", ok)
	fmt.Println("failed:", kinds)
	fmt.Println("http statuses:", statuses)
	// Output:
	// ok: 3
	// failed: map[connection:1 http:3 invalid:1 protocol:1 timeout:1 too_large:1]
	// http statuses: [404 404 503]
}

// Background work cancelled cleanly. It replaces
//
//	task = asyncio.create_task(crawl(urls))
//	...
//	task.cancel()
//	try: await task
//	except asyncio.CancelledError: ...
//
// Cancelling ctx stops the run: nothing new is sent, requests in flight get
// Options.Grace to finish and are yielded if they do, and the rest get no
// result at all (not an error result). Stream returns only once every
// goroutine it started has ended.
func ExampleOptions_grace() {
	srv, err := gathertest.Start("127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	var urls []string
	for i := range 5 {
		urls = append(urls, fmt.Sprintf("%s/delay/250?i=%d", srv.URL, i)) // finish within Grace
		urls = append(urls, fmt.Sprintf("%s/hang?i=%d", srv.URL, i))      // never finish
	}
	for i := range 10 {
		urls = append(urls, fmt.Sprintf("%s/delay/0?later=%d", srv.URL, i)) // after the cancel: not sent
	}
	requests := func(yield func(gather.Request) bool) {
		for _, u := range urls {
			if !yield(gather.Request{URL: u}) {
				return
			}
		}
	}

	client := gather.New(gather.Options{Concurrency: 10, Grace: time.Second})
	defer client.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	done := make(chan map[string]int)
	go func() { // the background task
		got := map[string]int{}
		for r := range client.Stream(ctx, requests) {
			path, _, _ := strings.Cut(strings.TrimPrefix(r.Request.URL, srv.URL), "?")
			got[fmt.Sprintf("%s %v", path, r.OK())]++
		}
		done <- got
	}()

	// Wait until the first 10 are in flight (giving up after 10s, which
	// would show in the output).
	for limit := time.Now().Add(10 * time.Second); srv.Requests() < 10 && time.Now().Before(limit); {
		time.Sleep(time.Millisecond)
	}
	cancel()      // task.cancel()
	got := <-done // await task: the loop has ended, no goroutine is left

	fmt.Println("results:", got)
	fmt.Println("requests sent:", srv.Requests(), "of", len(urls))
	// Output:
	// results: map[/delay/250 true:5]
	// requests sent: 10 of 20
}

// A resource opened once and always closed. It replaces
//
//	async with aiohttp.ClientSession() as session:
//	    ...
//
// New makes a Client with its own connection pool; defer Close releases it
// however the function returns. Options.HTTPClient plugs in a caller's
// *http.Client instead, which Close leaves alone.
func ExampleClient_Close() {
	srv, err := gathertest.Start("127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer srv.Close() // the test server is a resource too

	statuses := func(urls ...string) []int {
		client := gather.New(gather.Options{Concurrency: 4})
		defer client.Close() // like __aexit__: on return and on panic

		o := client.Options() // every default filled in
		fmt.Println("concurrency:", o.Concurrency, "retries:", o.Retries, "timeout:", o.Timeout)

		var reqs []gather.Request
		for _, u := range urls {
			reqs = append(reqs, gather.Request{URL: u})
		}
		var out []int
		for _, r := range client.FetchAll(context.Background(), reqs) {
			out = append(out, r.Status)
		}
		return out
	}
	fmt.Println(statuses(srv.URL+"/status/200", srv.URL+"/status/418"))

	// Your own *http.Client: gather uses it as it is, and you close it.
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	client := gather.New(gather.Options{HTTPClient: hc})
	defer client.Close() // leaves hc alone
	r := client.Fetch(context.Background(), gather.Request{URL: srv.URL + "/status/201"})
	fmt.Println(r.Status)
	// Output:
	// concurrency: 4 retries: 3 timeout: 10s
	// [200 418]
	// 201
}

// Results as they arrive, from a generator of requests. It replaces an async
// generator consumed with async for:
//
//	async def urls():
//	    i = 0
//	    while True:
//	        yield f"{base}/delay/{(4 - i % 5) * 10}?i={i}"
//	        i += 1
//
//	async for result in fetch_stream(session, urls()):
//	    ...
//	    if n == 5: break
//
// Any iter.Seq[Request] is the input, even an endless one: Stream reads it a
// bounded way ahead. Results come in completion order, or in input order
// with Options.Ordered (used here, so that the output is stable). Breaking
// out of the loop stops the run and the generator.
func ExampleClient_Stream_asyncFor() {
	srv, err := gathertest.Start("127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	urls := func(yield func(gather.Request) bool) {
		for i := 0; ; i++ { // endless
			url := fmt.Sprintf("%s/delay/%d?i=%d", srv.URL, (4-i%5)*10, i)
			if !yield(gather.Request{URL: url}) {
				fmt.Println("generator stopped")
				return
			}
		}
	}

	client := gather.New(gather.Options{Concurrency: 8, Ordered: true, ReadAhead: 16})
	defer client.Close()
	n := 0
	for r := range client.Stream(context.Background(), urls) {
		fmt.Println(strings.TrimPrefix(r.Request.URL, srv.URL), r.Status)
		if n++; n == 5 {
			break
		}
	}
	fmt.Println("loop done")
	// Output:
	// /delay/40?i=0 200
	// /delay/30?i=1 200
	// /delay/20?i=2 200
	// /delay/10?i=3 200
	// /delay/0?i=4 200
	// generator stopped
	// loop done
}

// A bounded producer/consumer with several consumers. It replaces
//
//	queue = asyncio.Queue(maxsize=5)
//	async def producer():
//	    async for url in slow_source():
//	        await queue.put(url)          # waits while the queue is full
//	    for _ in consumers: await queue.put(None)
//	async def consumer():
//	    while (url := await queue.get()) is not None:
//	        await fetch(session, url)
//	consumers = [asyncio.create_task(consumer()) for _ in range(3)]
//
// The iter.Seq is the producer, Options.Concurrency workers are the
// consumers, and Options.ReadAhead bounds the queue between them: a slow
// source leaves the workers waiting for it, and a source faster than the
// workers is held back (by at most ReadAhead plus a few requests per worker
// in hand-over buffers). No sentinels: the run ends when the source returns
// and the last request finishes.
func ExampleOptions_readAhead() {
	srv, err := gathertest.Start("127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	const total = 60
	var produced, consumed, maxAhead atomic.Int64
	var consumedWhenDone int64
	slowSource := func(yield func(gather.Request) bool) {
		for i := range total {
			time.Sleep(time.Millisecond) // a database cursor, a paginated API...
			if ahead := produced.Add(1) - consumed.Load(); ahead > maxAhead.Load() {
				maxAhead.Store(ahead) // only this goroutine writes it
			}
			if !yield(gather.Request{URL: fmt.Sprintf("%s/delay/10?i=%d", srv.URL, i)}) {
				return
			}
		}
		consumedWhenDone = consumed.Load() // read after the loop ends
	}

	client := gather.New(gather.Options{Concurrency: 3, ReadAhead: 5})
	defer client.Close()
	ok := 0
	for r := range client.Stream(context.Background(), slowSource) {
		consumed.Add(1)
		if r.OK() {
			ok++
		}
	}
	fmt.Println("fetched:", consumed.Load(), "ok:", ok)
	fmt.Println("at most 3 in flight:", srv.PeakInFlight() <= 3)
	fmt.Println("results came before the source was done:", consumedWhenDone > 0)
	fmt.Println("the source was held back:", maxAhead.Load() < total/2)
	// Output:
	// fetched: 60 ok: 60
	// at most 3 in flight: true
	// results came before the source was done: true
	// the source was held back: true
}

// Requests read from several files, bodies written to files, and one output
// file of results. It replaces aiofiles:
//
//	async with aiofiles.open("a.txt") as f:
//	    async for line in f: ...
//	async with aiofiles.open(path, "wb") as f:
//	    await f.write(body)
//
// The inputs are iter.Seqs chained one after the other; Options.SaveDir
// streams each 2xx body to its own file (written atomically, named from the
// URL, never outside the directory); the loop is the one writer of the
// output, so its lines never interleave. A request repeated across the files
// is fetched once.
func ExampleOptions_saveDir() {
	srv, err := gathertest.Start("127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	dir, err := os.MkdirTemp("", "gather-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	inputs := map[string]string{
		"a.txt": "# the first list\n" + srv.URL + "/json?size=64\n" + srv.URL + "/bytes/16\n" + srv.URL + "/status/404\n",
		"b.txt": srv.URL + "/bytes/16\n\n" + srv.URL + "/redirect/1\nnot a url\n",
	}
	for name, text := range inputs {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			panic(err)
		}
	}

	client := gather.New(gather.Options{SaveDir: filepath.Join(dir, "bodies")})
	defer client.Close()
	out, err := os.Create(filepath.Join(dir, "results.jsonl"))
	if err != nil {
		panic(err)
	}
	w := bufio.NewWriter(out)
	enc := json.NewEncoder(w)
	requests := concat(readLines(filepath.Join(dir, "a.txt")), readLines(filepath.Join(dir, "b.txt")))
	for r := range client.Stream(context.Background(), requests) {
		rec := struct {
			URL  string `json:"url"`
			OK   bool   `json:"ok"`
			Kind string `json:"kind,omitempty"`
			File string `json:"file,omitempty"`
		}{r.Request.URL, r.OK(), string(r.Kind()), r.File}
		if err := enc.Encode(rec); err != nil {
			panic(err)
		}
	}
	if err := w.Flush(); err != nil {
		panic(err)
	}
	if err := out.Close(); err != nil {
		panic(err)
	}

	// What is on disk now, with the server's address left out.
	addr := strings.ReplaceAll(srv.Addr, ":", "_") + "_"
	data, err := os.ReadFile(filepath.Join(dir, "results.jsonl"))
	if err != nil {
		panic(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	for i, line := range lines {
		line = strings.ReplaceAll(line, srv.URL, "")
		line = strings.ReplaceAll(line, filepath.Join(dir, "bodies")+string(filepath.Separator), "")
		lines[i] = strings.ReplaceAll(line, addr, "")
	}
	slices.Sort(lines) // results arrive in completion order
	fmt.Println(strings.Join(lines, "\n"))
	files, err := os.ReadDir(filepath.Join(dir, "bodies"))
	if err != nil {
		panic(err)
	}
	for _, f := range files {
		info, err := f.Info()
		if err != nil {
			panic(err)
		}
		fmt.Println(strings.TrimPrefix(f.Name(), addr), info.Size())
	}
	// Output:
	// {"url":"/bytes/16","ok":true,"file":"bytes_16"}
	// {"url":"/json?size=64","ok":true,"file":"json_46427f4e"}
	// {"url":"/redirect/1","ok":true,"file":"redirect_1"}
	// {"url":"/status/404","ok":false,"kind":"http"}
	// {"url":"not a url","ok":false,"kind":"invalid"}
	// bytes_16 16
	// json_46427f4e 64
	// redirect_1 20
}

// readLines returns the requests of a file of URLs, one a line, read as
// they are needed; blank lines and # comments are skipped. A file that
// cannot be read becomes one request with Err set: an invalid result.
func readLines(path string) iter.Seq[gather.Request] {
	return func(yield func(gather.Request) bool) {
		f, err := os.Open(path)
		if err != nil {
			yield(gather.Request{URL: path, Err: err})
			return
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for n := int64(1); sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			if !yield(gather.Request{URL: line, Line: n}) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			yield(gather.Request{URL: path, Err: err})
		}
	}
}

// concat chains sequences one after the other.
func concat[V any](seqs ...iter.Seq[V]) iter.Seq[V] {
	return func(yield func(V) bool) {
		for _, seq := range seqs {
			for v := range seq {
				if !yield(v) {
					return
				}
			}
		}
	}
}
