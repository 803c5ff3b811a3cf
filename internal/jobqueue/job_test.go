package jobqueue

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/goleak"

	"github.com/gatherdev/gather"
	"github.com/gatherdev/gather/gathertest"
	"github.com/gatherdev/gather/internal/journal"
	"github.com/gatherdev/gather/internal/natstest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// connect returns a connection to url and its JetStream, closed when the
// test ends.
func connect(t *testing.T, url string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, js, err := Connect(context.Background(), ConnectOptions{URL: url, Name: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc, js
}

func openJob(t *testing.T, js jetstream.JetStream, name string, ackWait time.Duration) *Job {
	t.Helper()
	j, err := Open(context.Background(), js, name, Config{AckWait: ackWait})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func seqOf(reqs []gather.Request) iter.Seq[gather.Request] { return slices.Values(reqs) }

// collectAll collects the job's records into a map by fingerprint, failing
// on a record seen twice.
func collectAll(t *testing.T, j *Job) map[gather.Fingerprint][]byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got := map[gather.Fingerprint][]byte{}
	_, err := j.Collect(ctx, CollectOptions{
		Write: func(fp gather.Fingerprint, rec []byte) error {
			if bytes.HasSuffix(rec, []byte("\n")) {
				t.Errorf("record %q ends in a newline", rec)
			}
			if _, dup := got[fp]; dup {
				t.Errorf("record of %s collected twice", fp)
			}
			got[fp] = slices.Clone(rec)
			return nil
		},
		OnRecord: func(rec []byte, e journal.Entry, fresh bool) {
			var r struct {
				OK       bool `json:"ok"`
				Attempts int  `json:"attempts"`
			}
			json.Unmarshal(rec, &r)
			if _, written := got[e.Key]; !fresh || !written || e.OK != r.OK || e.Attempts != r.Attempts {
				t.Errorf("OnRecord(%s) heard %+v, fresh %v", rec, e, fresh)
			}
		},
		Poll: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	return got
}

func TestOpenWithoutJetStream(t *testing.T) {
	s := natstest.Start(t, natstest.Options{NoJetStream: true})
	_, js := connect(t, s.ClientURL())
	_, err := Open(context.Background(), js, "job", Config{})
	if !errors.Is(err, ErrNoJetStream) {
		t.Fatalf("Open on a server without JetStream: %v, want ErrNoJetStream", err)
	}
}

func TestValidName(t *testing.T) {
	for _, name := range []string{"a", "crawl-2026_11", "A1"} {
		if err := ValidName(name); err != nil {
			t.Errorf("ValidName(%q) = %v", name, err)
		}
	}
	for _, name := range []string{"", "a.b", "a b", "a*", "a>", string(make([]byte, 65))} {
		if err := ValidName(name); err == nil {
			t.Errorf("ValidName(%q) = nil, want an error", name)
		}
	}
}

func TestSubmitTwiceAddsNothing(t *testing.T) {
	s := natstest.Start(t, natstest.Options{})
	_, js := connect(t, s.ClientURL())
	j := openJob(t, js, "twice", 0)
	ctx := context.Background()
	var reqs []gather.Request
	for i := range 50 {
		reqs = append(reqs, gather.Request{URL: fmt.Sprintf("http://127.0.0.1:1/x?i=%d", i)})
	}
	reqs = append(reqs,
		gather.Request{URL: "http://127.0.0.1:1/x?i=7"}, // a repeat within the list
		gather.Request{URL: "http://127.0.0.1:1/post", Method: "POST", Body: []byte("a=1")},
		gather.Request{Line: 9, Err: gather.NewInputError(9, "ftp://nope", errors.New("not http"))},
	)
	st, err := j.Submit(ctx, seqOf(reqs))
	if err != nil {
		t.Fatal(err)
	}
	if st.Read != 53 || st.Added != 52 || st.Queued != 1 || st.Invalid != 1 || st.Total != 52 {
		t.Fatalf("first submit: %+v, want read 53, added 52, queued 1, invalid 1, total 52", st)
	}
	st, err = j.Submit(ctx, seqOf(reqs))
	if err != nil {
		t.Fatal(err)
	}
	if st.Added != 0 || st.Queued != 53 || st.Total != 52 {
		t.Fatalf("second submit: %+v, want added 0, queued 53, total 52", st)
	}
	// Past the server's duplicate window, the subjects still refuse them.
	reopened := openJob(t, js, "twice", 0)
	st, err = reopened.Submit(ctx, seqOf(reqs[:5]))
	if err != nil || st.Added != 0 {
		t.Fatalf("third submit: %+v, %v", st, err)
	}
	state, err := j.State(ctx)
	if err != nil || state.Total != 52 || state.Requests != 52 || state.Records != 0 || state.Complete() {
		t.Fatalf("state %+v, %v", state, err)
	}
}

func TestWireRoundTrip(t *testing.T) {
	for _, req := range []gather.Request{
		{URL: "http://a/"},
		{URL: "http://a/", Method: "PUT", Header: map[string][]string{"X-K": {"v"}}, Body: []byte{0, 0xff, 'x'}, ID: "id-1", Line: 4},
		{URL: "http://a/", Method: "POST", Body: []byte{}},
		{URL: "http://a/?q=caf\xe9", ID: "\xff", Header: map[string][]string{"X-Legacy": {"ok", "caf\xe9"}, "X-Text": {"t"}}},
		{Line: 3, Err: gather.NewInputError(3, "{bad json", errors.New("malformed JSON"))},
		{Line: 5, Err: gather.NewInputError(5, "\xfe\xff", errors.New("not UTF-8"))},
	} {
		checkRoundTrip(t, req)
	}
}

// checkRoundTrip checks that req arrives byte for byte.
func checkRoundTrip(t *testing.T, req gather.Request) {
	t.Helper()
	data, err := encodeRequest(&req)
	if err != nil {
		t.Fatalf("%+v: %v", req, err)
	}
	got, err := decodeRequest(data)
	if err != nil {
		t.Fatal(err)
	}
	if got.Fingerprint() != req.Fingerprint() {
		t.Errorf("%s: fingerprint changed in transit", data)
	}
	if got.URL != req.URL || got.Method != req.Method || got.ID != req.ID || string(got.Body) != string(req.Body) ||
		(got.Body == nil) != (req.Body == nil) || got.Line != req.Line || fmt.Sprint(got.Header) != fmt.Sprint(req.Header) {
		t.Errorf("%s: decoded %+v, want %+v", data, got, req)
	}
}

func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(`{"url":"http://a/","method":"POST","body":"AAE=","header":{"K":["v"]}}`))
	f.Add([]byte(`{"line":3,"invalid":"x","fault":"bad"}`))
	f.Add([]byte(`{"url64":"aHR0cDovL2Ev6Q==","header64":{"K":["6Q=="]}}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := decodeRequest(data)
		if err != nil {
			return
		}
		// What decodes encodes again to the same request.
		again, err := encodeRequest(&req)
		if err != nil {
			return // a header name that is not text: submit never makes one
		}
		back, err := decodeRequest(again)
		if err != nil || back.Fingerprint() != req.Fingerprint() {
			t.Fatalf("%q: round trip changed the request: %v", data, err)
		}
	})
}

// FuzzWireRoundTrip sends requests of arbitrary bytes through the wire
// format: each must arrive byte for byte.
func FuzzWireRoundTrip(f *testing.F) {
	f.Add("http://a/?q=caf\xe9", "GET", "", "v", []byte(nil))
	f.Add("http://a/", "POST", "id", "caf\xe9", []byte{0, 1})
	f.Fuzz(func(t *testing.T, url, method, id, value string, body []byte) {
		if !utf8.ValidString(method) {
			method = "GET" // submit's input only holds valid methods
		}
		checkRoundTrip(t, gather.Request{URL: url, Method: method, ID: id, Body: body, Header: map[string][]string{"X-V": {value}}})
		checkRoundTrip(t, gather.Request{Line: 1, Err: gather.NewInputError(1, url, errors.New(value))})
	})
}

// TestWorkersOneKilled is the scale-out contract: three workers share a
// job, one dies mid-run without acking what it holds, and the survivors
// finish it with exactly one record per request and no finished request
// fetched again beyond what the dead worker held.
func TestWorkersOneKilled(t *testing.T) {
	srv := gathertest.NewServer(t)
	ns := natstest.Start(t, natstest.Options{})
	_, js := connect(t, ns.ClientURL())
	const ackWait = time.Second
	j := openJob(t, js, "fleet", ackWait)
	const n = 300
	var reqs []gather.Request
	for i := range n {
		reqs = append(reqs, gather.Request{URL: fmt.Sprintf("%s/delay/20?i=%d", srv.URL, i)})
	}
	reqs = append(reqs,
		gather.Request{URL: srv.URL + "/status/404?i=x"},
		gather.Request{URL: srv.URL + "/flaky/1?i=y"},
		gather.Request{URL: srv.URL + "/status/200?q=caf\xe9"}, // not UTF-8: still fetched, not invalid
		gather.Request{Line: 7, Err: gather.NewInputError(7, "nope", errors.New("no scheme"))},
	)
	if _, err := j.Submit(context.Background(), seqOf(reqs)); err != nil {
		t.Fatal(err)
	}

	const conc = 4
	var fetched atomic.Int64
	start := func(ctx context.Context, nc *nats.Conn, js jetstream.JetStream) <-chan error {
		done := make(chan error, 1)
		w, err := Open(ctx, js, "fleet", Config{})
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			done <- w.Work(ctx, WorkOptions{
				Fetch:    gather.Options{Concurrency: conc, Backoff: time.Millisecond, Timeout: 5 * time.Second},
				Poll:     100 * time.Millisecond,
				OnResult: func(*gather.Result) { fetched.Add(1) },
			})
		}()
		return done
	}
	var dones []<-chan error
	for range 2 {
		_, js := connect(t, ns.ClientURL())
		dones = append(dones, start(context.Background(), nil, js))
	}
	// The victim: its own connection, closed under it as by a crash.
	victimConn, victimJS := connect(t, ns.ClientURL())
	victimCtx, kill := context.WithCancel(context.Background())
	var victimResults atomic.Int64
	victim, err := Open(victimCtx, victimJS, "fleet", Config{})
	if err != nil {
		t.Fatal(err)
	}
	victimDone := make(chan error, 1)
	go func() {
		victimDone <- victim.Work(victimCtx, WorkOptions{
			Fetch:    gather.Options{Concurrency: conc, Timeout: 5 * time.Second},
			Poll:     100 * time.Millisecond,
			OnResult: func(*gather.Result) { victimResults.Add(1) },
		})
	}()
	deadline := time.Now().Add(20 * time.Second)
	for victimResults.Load() < 10 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	victimConn.Close() // no ack, no nak: what it holds waits out the ack wait
	kill()
	if err := <-victimDone; err == nil {
		t.Fatal("the killed worker reported success")
	}

	var wg sync.WaitGroup
	for i, done := range dones {
		wg.Go(func() {
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("worker %d: %v", i, err)
				}
			case <-time.After(60 * time.Second):
				t.Errorf("worker %d did not finish", i)
			}
		})
	}
	wg.Wait()

	got := collectAll(t, j)
	if len(got) != len(reqs) {
		t.Fatalf("collected %d records, want %d", len(got), len(reqs))
	}
	kinds := map[string]int{}
	for _, req := range reqs {
		rec, ok := got[req.Fingerprint()]
		if !ok {
			t.Fatalf("no record for %s", req.URL)
		}
		var r struct {
			URL   string `json:"url"`
			OK    bool   `json:"ok"`
			Error *struct {
				Kind string `json:"kind"`
			} `json:"error"`
		}
		if err := json.Unmarshal(rec, &r); err != nil {
			t.Fatalf("record %s: %v", rec, err)
		}
		if key, _, err := journal.Key(rec); err != nil || key != req.Fingerprint() {
			t.Errorf("record %s: its key is not its request's (%v)", rec, err)
		}
		if r.Error != nil {
			kinds[r.Error.Kind]++
		}
	}
	if kinds["http"] != 1 || kinds["invalid"] != 1 || len(kinds) != 2 {
		t.Errorf("error kinds %v, want one http and one invalid", kinds)
	}
	// Each request was fetched once, but for what the victim held when it
	// died (at most twice its concurrency) and the one flaky retry.
	var hits int64
	for _, req := range reqs[:n] {
		h := srv.Hits(req.URL[len(srv.URL):])
		if h == 0 {
			t.Fatalf("%s never fetched", req.URL)
		}
		hits += h
	}
	if extra := hits - n; extra > 2*conc {
		t.Errorf("%d refetches, want at most %d (what the killed worker held)", extra, 2*conc)
	}
	st, err := j.State(context.Background())
	if err != nil || !st.Complete() || st.Records != int64(len(reqs)) {
		t.Errorf("state %+v, %v", st, err)
	}
	t.Logf("fetched %d by survivors, %d by the victim, %d server hits for %d requests", fetched.Load(), victimResults.Load(), hits, n)
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestWorkerRidesOutServerRestart stops the NATS server while a worker is
// mid-run and starts it again on the same port and store: the worker
// reconnects by itself and finishes the job, one record per request.
func TestWorkerRidesOutServerRestart(t *testing.T) {
	srv := gathertest.NewServer(t)
	store, port := t.TempDir(), freePort(t)
	ns := natstest.Start(t, natstest.Options{StoreDir: store, Port: port})
	url := ns.ClientURL()
	_, js := connect(t, url)
	j := openJob(t, js, "restart", time.Second)
	var reqs []gather.Request
	for i := range 200 {
		reqs = append(reqs, gather.Request{URL: fmt.Sprintf("%s/delay/10?i=%d", srv.URL, i)})
	}
	if _, err := j.Submit(context.Background(), seqOf(reqs)); err != nil {
		t.Fatal(err)
	}
	var events atomic.Int64
	nc, wjs, err := Connect(context.Background(), ConnectOptions{URL: url, OnEvent: func(string) { events.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	w := openJob(t, wjs, "restart", 0)
	var results atomic.Int64
	done := make(chan error, 1)
	go func() {
		done <- w.Work(context.Background(), WorkOptions{
			Fetch:    gather.Options{Concurrency: 4},
			Poll:     100 * time.Millisecond,
			OnResult: func(*gather.Result) { results.Add(1) },
		})
	}()
	collected := make(chan int, 1)
	go func() {
		cnc, cjs, err := Connect(context.Background(), ConnectOptions{URL: url})
		if err != nil {
			t.Error(err)
			collected <- -1
			return
		}
		defer cnc.Close()
		c, err := Open(context.Background(), cjs, "restart", Config{})
		if err != nil {
			t.Error(err)
			collected <- -1
			return
		}
		n := 0
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if _, err := c.Collect(ctx, CollectOptions{Write: func(gather.Fingerprint, []byte) error { n++; return nil }, Poll: 50 * time.Millisecond}); err != nil {
			t.Errorf("Collect across the restart: %v", err)
		}
		collected <- n
	}()
	for results.Load() < 20 {
		time.Sleep(time.Millisecond)
	}
	ns.Shutdown()
	ns.WaitForShutdown()
	time.Sleep(300 * time.Millisecond)
	natstest.Start(t, natstest.Options{StoreDir: store, Port: port})
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Work after the restart: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the worker did not finish after the server came back")
	}
	if events.Load() < 2 {
		t.Errorf("%d connection events, want the loss and the reconnection", events.Load())
	}
	if n := <-collected; n != len(reqs) {
		t.Errorf("a collect running across the restart got %d records, want %d", n, len(reqs))
	}
	_, js2 := connect(t, url)
	if got := collectAll(t, openJob(t, js2, "restart", 0)); len(got) != len(reqs) {
		t.Fatalf("%d records, want %d", len(got), len(reqs))
	}
}

// TestFollowWaitsForMore checks that a following worker outlives a
// complete job and takes what is submitted later, until ctx ends.
func TestFollowWaitsForMore(t *testing.T) {
	srv := gathertest.NewServer(t)
	ns := natstest.Start(t, natstest.Options{})
	_, js := connect(t, ns.ClientURL())
	j := openJob(t, js, "follow", 0)
	ctx, cancel := context.WithCancel(context.Background())
	var results atomic.Int64
	done := make(chan error, 1)
	go func() {
		done <- j.Work(ctx, WorkOptions{Follow: true, Poll: 50 * time.Millisecond, OnResult: func(*gather.Result) { results.Add(1) }})
	}()
	for batch := range 2 {
		if _, err := j.Submit(context.Background(), seqOf([]gather.Request{{URL: fmt.Sprintf("%s/status/200?b=%d", srv.URL, batch)}})); err != nil {
			t.Fatal(err)
		}
		for results.Load() < int64(batch+1) {
			select {
			case err := <-done:
				t.Fatalf("a following worker returned (%v) with the job complete", err)
			case <-time.After(time.Millisecond):
			}
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Work after cancel: %v, want context.Canceled", err)
	}
}

// TestWorkersWaitForARunningSubmit checks that workers which catch up with
// a submit still running do not take the job for complete.
func TestWorkersWaitForARunningSubmit(t *testing.T) {
	srv := gathertest.NewServer(t)
	ns := natstest.Start(t, natstest.Options{})
	_, js := connect(t, ns.ClientURL())
	j := openJob(t, js, "slowsubmit", 0)
	var results atomic.Int64
	done := make(chan error, 1)
	submitted := make(chan error, 1)
	go func() {
		_, err := j.Submit(context.Background(), func(yield func(gather.Request) bool) {
			for i := range 20 {
				if i == 10 {
					// The workers catch up and find nothing more queued.
					for results.Load() < 10 {
						time.Sleep(time.Millisecond)
					}
					time.Sleep(300 * time.Millisecond)
				}
				if !yield(gather.Request{URL: fmt.Sprintf("%s/status/200?i=%d", srv.URL, i)}) {
					return
				}
			}
		})
		submitted <- err
	}()
	for i := 0; ; i++ { // the worker starts once something is queued
		if st, err := j.State(context.Background()); err == nil && st.Requests > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	go func() {
		done <- j.Work(context.Background(), WorkOptions{Poll: 20 * time.Millisecond, OnResult: func(*gather.Result) { results.Add(1) }})
	}()
	if err := <-submitted; err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if results.Load() != 20 {
		t.Fatalf("the worker returned after %d of 20 requests", results.Load())
	}
}

// TestSubmitTooBigForAMessage checks that a request larger than the
// server's max_payload becomes an invalid record rather than a hang.
func TestSubmitTooBigForAMessage(t *testing.T) {
	ns := natstest.Start(t, natstest.Options{})
	nc, js := connect(t, ns.ClientURL())
	j := openJob(t, js, "big", 0)
	big := make([]byte, nc.MaxPayload())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := j.Submit(ctx, seqOf([]gather.Request{{URL: "http://127.0.0.1:1/", Method: "POST", Body: big, Line: 1}}))
	if err != nil || st.Added != 1 || st.Invalid != 1 {
		t.Fatalf("submit of a request too big for a message: %+v, %v; want it queued as invalid", st, err)
	}
}

// TestWorkerWhoseConnectionCloses checks that a worker stops, with an
// error, when its connection to NATS is closed for good.
func TestWorkerWhoseConnectionCloses(t *testing.T) {
	srv := gathertest.NewServer(t)
	ns := natstest.Start(t, natstest.Options{})
	_, js := connect(t, ns.ClientURL())
	j := openJob(t, js, "closed", 0)
	var reqs []gather.Request
	for i := range 100 {
		reqs = append(reqs, gather.Request{URL: fmt.Sprintf("%s/delay/50?i=%d", srv.URL, i)})
	}
	if _, err := j.Submit(context.Background(), seqOf(reqs)); err != nil {
		t.Fatal(err)
	}
	wnc, wjs := connect(t, ns.ClientURL())
	w := openJob(t, wjs, "closed", 0)
	var results atomic.Int64
	done := make(chan error, 1)
	go func() {
		done <- w.Work(context.Background(), WorkOptions{Fetch: gather.Options{Concurrency: 4}, OnResult: func(*gather.Result) { results.Add(1) }})
	}()
	for results.Load() < 5 {
		time.Sleep(time.Millisecond)
	}
	wnc.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Work on a closed connection returned nil")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Work on a closed connection did not return")
	}
}
