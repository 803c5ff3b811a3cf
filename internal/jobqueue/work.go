package jobqueue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gatherdev/gather"
	"github.com/gatherdev/gather/internal/record"
)

// WorkOptions tune Work.
type WorkOptions struct {
	// Fetch are the options of the worker's gather.Client. Work keeps
	// duplicates (the queue holds none) and lets records come in any order.
	Fetch gather.Options
	// Record says what a record holds.
	Record record.Options
	// Follow keeps the worker waiting for new submissions once every
	// request has a record, until ctx ends.
	Follow bool
	// Poll is how long a pull waits for requests before an idle worker
	// checks whether the job is complete; zero means DefaultPoll.
	Poll time.Duration
	// OnResult, when not nil, is called with each result before its record
	// is published, on the goroutine that called Work.
	OnResult func(*gather.Result)
}

// Work fetches the job's requests until every submitted request has a
// record (or, with Follow, until ctx ends). It holds at most twice the
// concurrency of requests at once (16 times with per-host controls), keeps each one it holds alive with
// in-progress acks, and acks a request only after its record is stored in
// the results stream. When ctx ends, requests in flight have
// Fetch.Grace to finish; their records are stored, and the requests left
// are handed back (nak) for other workers to take at once.
//
// Work returns nil when the job is complete, ctx's cause when ctx ended
// first, or the error that stopped it.
func (j *Job) Work(ctx context.Context, o WorkOptions) error {
	opts := o.Fetch
	opts.KeepDuplicates = true
	opts.Ordered = false
	client := gather.New(opts)
	defer client.Close()
	// Hold twice the concurrency; with per-host controls, enough more that
	// requests for other hosts can go while one host's wait, as fetch's
	// read-ahead does.
	co := client.Options()
	limit := 2 * co.Concurrency
	if co.PerHost > 0 || co.RatePerHost > 0 {
		limit = max(limit, min(16*co.Concurrency, 10000))
	}
	cons, err := j.requests.Consumer(ctx, consumerName)
	if err != nil {
		return fmt.Errorf("the workers' consumer: %w", err)
	}
	runCtx, stopRun := context.WithCancelCause(ctx)
	defer stopRun(nil)
	h := newHeld()
	in := make(chan gather.Request)
	pubs := make(chan publication, limit)
	// Publishing outlives ctx a little: what finished in the grace period
	// is still recorded.
	pubCtx, stopPub := context.WithCancel(context.WithoutCancel(ctx))
	defer stopPub()
	var pullErr, pubErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		pullErr = j.pull(runCtx, cons, h, in, limit, o)
		if pullErr != nil {
			stopRun(pullErr)
		}
	})
	beatDone := make(chan struct{})
	wg.Go(func() { j.heartbeat(beatDone, h) })
	pubDone := make(chan struct{})
	go func() {
		defer close(pubDone)
		// When records cannot be stored, the worker stops taking requests.
		pubErr = j.acker(pubCtx, pubs, h, stopRun)
	}()

	maxRecord := j.js.Conn().MaxPayload() - 4096
	var buf []byte
	for res := range client.Stream(runCtx, chanSeq(in)) {
		if o.OnResult != nil {
			o.OnResult(&res)
		}
		fp := res.Request.Fingerprint() // the subject's: take made sure
		buf = record.Append(buf[:0], &res, o.Record)
		if int64(len(buf)) > maxRecord {
			res = recordTooLarge(res, len(buf), maxRecord)
			buf = record.Append(buf[:0], &res, o.Record)
		}
		// A message holds the record without its newline.
		msg := &nats.Msg{Subject: j.resultSubject(fp), Data: bytes.Clone(bytes.TrimSuffix(buf, []byte{'\n'}))}
		fut, err := j.js.PublishMsgAsync(msg, jetstream.WithMsgID(fp.String()), jetstream.WithExpectLastSequencePerSubject(0))
		pubs <- publication{fp: fp, msg: msg, fut: fut, err: err}
	}
	close(pubs)
	if ctx.Err() != nil {
		// Interrupted: a few seconds for the last records to be stored.
		t := time.AfterFunc(5*time.Second, stopPub)
		defer t.Stop()
	}
	<-pubDone
	close(beatDone)
	wg.Wait()
	// Whatever is still held has no record: hand it back.
	h.nakAll()
	switch {
	case ctx.Err() != nil:
		return context.Cause(ctx)
	case pullErr != nil:
		return pullErr
	case pubErr != nil:
		return pubErr
	}
	return nil
}

// publication is a record on its way to the results stream.
type publication struct {
	fp  gather.Fingerprint
	msg *nats.Msg
	fut jetstream.PubAckFuture
	err error
}

// acker acks each request once its record is stored (or was stored
// already, by a worker that died before acking).
// On its first error it calls stop, and drains pubs without acking.
func (j *Job) acker(ctx context.Context, pubs <-chan publication, h *held, stop func(error)) error {
	var first error
	for p := range pubs {
		if first != nil {
			continue // drain; the requests stay held and are handed back
		}
		if _, err := j.settle(ctx, p.fut, p.msg, p.err); err != nil {
			first = err
			stop(err)
			continue
		}
		h.ack(p.fp)
	}
	return first
}

// pull fetches requests from the consumer while fewer than limit are held,
// and feeds them to in, which it closes when it returns: when ctx ends,
// when the job is complete (unless following), or on an error that will
// not pass.
func (j *Job) pull(ctx context.Context, cons jetstream.Consumer, h *held, in chan<- gather.Request, limit int, o WorkOptions) error {
	defer close(in)
	poll := o.Poll
	if poll <= 0 {
		poll = DefaultPoll
	}
	failures := 0
	busy := true     // so that a worker started on a complete job returns at once
	flowing := false // the last pull brought requests
	for ctx.Err() == nil {
		// Pull in batches of at least half the limit: a pull per finished
		// request would cost a round trip each.
		held := h.len()
		if held > limit/2 {
			select {
			case <-h.freed:
			case <-ctx.Done():
			}
			continue
		}
		if held == 0 && busy && !o.Follow {
			// Just ran out of work: perhaps because the job is complete.
			busy = false
			if st, err := j.State(ctx); err == nil && st.Complete() {
				return nil
			}
		}
		wait := poll
		if held > 0 && flowing {
			wait = min(poll, 50*time.Millisecond) // busy: come back soon for more
		}
		batch, err := cons.Fetch(limit-held, jetstream.FetchMaxWait(wait))
		n := 0
		if err == nil {
			for msg := range batch.Messages() {
				n++
				j.take(ctx, msg, h, in)
			}
			err = batch.Error()
		}
		switch {
		case err == nil, errors.Is(err, nats.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
			failures = 0
		case errors.Is(err, jetstream.ErrConsumerDeleted), errors.Is(err, jetstream.ErrConsumerNotFound):
			return errors.New("its queue was deleted")
		case permanent(err) || j.js.Conn().IsClosed():
			return fmt.Errorf("pulling requests: %w", err)
		default:
			// NATS is away or busy: the client reconnects on its own.
			failures++
			if failures == 1 {
				j.event("pulling requests: %v; trying again", err)
			}
			sleep(ctx, gather.FullJitter(failures, 100*time.Millisecond, 5*time.Second))
			continue
		}
		flowing = n > 0
		if n > 0 || held == 0 {
			busy = true // look at the job when next idle
		}
	}
	return nil
}

// take holds msg and hands its request to the engine.
func (j *Job) take(ctx context.Context, msg jetstream.Msg, h *held, in chan<- gather.Request) {
	fp, err := subjectKey(msg.Subject())
	if err != nil {
		// Not something submit made, and it cannot have a record: out of
		// the job with it, or the job could never be complete.
		j.event("removing a message that is not a request on %s", msg.Subject())
		if md, err := msg.Metadata(); err == nil {
			_ = j.requests.DeleteMsg(ctx, md.Sequence.Stream)
		}
		_ = msg.Ack()
		return
	}
	if !h.add(fp, msg) {
		_ = msg.InProgress() // delivered again while this worker has it
		return
	}
	if md, err := msg.Metadata(); err == nil && md.NumDelivered > 1 {
		// Its worker may have died between storing the record and acking.
		if _, err := j.results.GetLastMsgForSubject(ctx, j.resultSubject(fp)); err == nil {
			h.ack(fp)
			return
		}
	}
	req, err := decodeRequest(msg.Data())
	if err == nil && req.Fingerprint() != fp {
		err = errors.New("its fingerprint does not match its subject")
	}
	if err == nil && req.Err == nil {
		// The engine would record a request it refuses under another
		// fingerprint; it is recorded here, under the one it was queued by.
		if verr := req.Validate(); verr != nil {
			err = verr
		}
	}
	if err != nil {
		// It gets an invalid record under its subject all the same, so
		// that the job can complete.
		res := gather.Result{Request: gather.Request{Err: gather.NewInputError(req.Line, string(msg.Data()), err)}}
		res.Err = &gather.Error{Kind: gather.KindInvalid, Err: res.Request.Err}
		rec := record.Append(nil, &res, record.Options{})
		m := &nats.Msg{Subject: j.resultSubject(fp), Data: bytes.TrimSuffix(rec, []byte{'\n'})}
		if _, err := j.publishRetrying(ctx, m, errRetry); err == nil {
			h.ack(fp)
		}
		return
	}
	select {
	case in <- req:
	case <-ctx.Done():
	}
}

// errRetry starts publishRetrying off with a first publish.
var errRetry = errors.New("not yet published")

// heartbeat tells the server, well within the ack wait, that every held
// request is still being worked on, until done is closed.
func (j *Job) heartbeat(done <-chan struct{}, h *held) {
	t := time.NewTicker(max(j.ackWait/4, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			for _, m := range h.snapshot() {
				_ = m.InProgress()
			}
		}
	}
}

// recordTooLarge replaces a result whose record would not fit in one NATS
// message with a too_large one that keeps everything but the body.
func recordTooLarge(res gather.Result, size int, max int64) gather.Result {
	res.Body = nil
	res.Err = &gather.Error{Kind: gather.KindTooLarge,
		Err: fmt.Errorf("the record is %d bytes, more than the NATS server's max_payload lets a worker publish (%d); raise max_payload or lower --max-body", size, max)}
	return res
}

// chanSeq yields what arrives on c until it is closed.
func chanSeq[T any](c <-chan T) iter.Seq[T] {
	return func(yield func(T) bool) {
		for v := range c {
			if !yield(v) {
				return
			}
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// held is the set of requests a worker has taken and not yet acked.
type held struct {
	mu    sync.Mutex
	msgs  map[gather.Fingerprint]jetstream.Msg
	freed chan struct{} // signalled when one is let go
}

func newHeld() *held {
	return &held{msgs: make(map[gather.Fingerprint]jetstream.Msg), freed: make(chan struct{}, 1)}
}

// add holds msg under fp and reports whether fp was not held already.
func (h *held) add(fp gather.Fingerprint, msg jetstream.Msg) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.msgs[fp]; ok {
		return false
	}
	h.msgs[fp] = msg
	return true
}

// ack acks the request held under fp and lets it go.
func (h *held) ack(fp gather.Fingerprint) {
	h.mu.Lock()
	m, ok := h.msgs[fp]
	delete(h.msgs, fp)
	h.mu.Unlock()
	if ok {
		_ = m.Ack()
		select {
		case h.freed <- struct{}{}:
		default:
		}
	}
}

func (h *held) len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.msgs)
}

func (h *held) snapshot() []jetstream.Msg {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]jetstream.Msg, 0, len(h.msgs))
	for _, m := range h.msgs {
		out = append(out, m)
	}
	return out
}

// nakAll hands every held request back for redelivery at once.
func (h *held) nakAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for fp, m := range h.msgs {
		_ = m.Nak()
		delete(h.msgs, fp)
	}
}
