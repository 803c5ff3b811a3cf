package jobqueue

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gatherdev/gather"
)

// SubmitStats counts what Submit did.
type SubmitStats struct {
	// Read is how many requests were read, invalid ones included.
	Read int64
	// Added is how many were new to the job.
	Added int64
	// Queued is how many were in the job already, from this list or an
	// earlier submission.
	Queued int64
	// Invalid is how many of Read were not valid requests; each is queued
	// all the same, so that its line gets an invalid record.
	Invalid int64
	// Total is the job's submitted total afterwards.
	Total int64
}

// submitWindow is how many publishes may await the server's ack at once.
const submitWindow = 4096

// Submit queues every request of reqs, each under its fingerprint, and
// raises the job's recorded total. A request the job already holds is
// refused by the server and counted in Queued, so submitting the same list
// again adds nothing. Submit returns when every publish is acknowledged.
func (j *Job) Submit(ctx context.Context, reqs iter.Seq[gather.Request]) (st SubmitStats, err error) {
	// While this runs, its key in the submits bucket says so.
	id := rand.Text()
	if _, err := j.submits.Put(ctx, id, []byte(time.Now().UTC().Format(time.RFC3339))); err != nil {
		return st, fmt.Errorf("registering the submit: %w", err)
	}
	beatDone := make(chan struct{})
	beatStopped := make(chan struct{})
	go func() {
		defer close(beatStopped)
		t := time.NewTicker(SubmitTTL / 6)
		defer t.Stop()
		for {
			select {
			case <-beatDone:
				return
			case <-t.C:
				// Keep the key alive, and let workers' and collectors'
				// progress see the total grow.
				if _, err := j.submits.Put(ctx, id, []byte(time.Now().UTC().Format(time.RFC3339))); err != nil && ctx.Err() == nil {
					j.event("keeping the submit's key alive: %v", err)
				}
				_, _ = j.raiseTotal(ctx)
			}
		}
	}()
	defer func() {
		close(beatDone)
		<-beatStopped
		// Whatever happened, the total counts what was queued, and the
		// key goes: workers need not wait for its TTL.
		end, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if total, err := j.raiseTotal(end); err == nil {
			st.Total = total
		}
		if err := j.submits.Delete(end, id); err != nil {
			j.event("removing the submit's key (it expires in %s): %v", SubmitTTL, err)
		}
	}()

	type pending struct {
		fut jetstream.PubAckFuture
		msg *nats.Msg
		err error
	}
	acks := make(chan pending, submitWindow)
	done := make(chan error, 1)
	var added, queued int64
	go func() {
		var first error
		for p := range acks {
			if first != nil {
				continue // drain
			}
			isNew, err := j.settle(ctx, p.fut, p.msg, p.err)
			switch {
			case err != nil:
				first = err
			case isNew:
				added++
			default:
				queued++
			}
		}
		done <- first
	}()
	maxData := int(j.js.Conn().MaxPayload()) - 1024 // headers: the message id, the expected sequence
	for req := range reqs {
		if ctx.Err() != nil {
			break
		}
		st.Read++
		data, encErr := encodeRequest(&req)
		if encErr == nil && len(data) > maxData {
			encErr = fmt.Errorf("the request is %d bytes, more than the NATS server's max_payload lets a message hold", len(data))
		}
		if encErr != nil {
			// It cannot travel: it gets an invalid record instead.
			input := req.URL
			if ie := (*gather.InputError)(nil); errors.As(req.Err, &ie) {
				input = ie.Input
			}
			req = gather.Request{Line: req.Line, Err: gather.NewInputError(req.Line, input, encErr)}
			data, _ = encodeRequest(&req)
		}
		if req.Err != nil {
			st.Invalid++
		}
		fp := req.Fingerprint()
		msg := &nats.Msg{Subject: j.requestSubject(fp), Data: data}
		fut, perr := j.js.PublishMsgAsync(msg, jetstream.WithMsgID(fp.String()), jetstream.WithExpectLastSequencePerSubject(0))
		acks <- pending{fut: fut, msg: msg, err: perr}
	}
	close(acks)
	err = <-done
	st.Added, st.Queued = added, queued
	if err == nil {
		err = context.Cause(ctx)
	}
	return st, err
}

// settle waits for a publish's ack, publishing again while the server
// cannot be reached, and reports whether the message was new.
func (j *Job) settle(ctx context.Context, fut jetstream.PubAckFuture, msg *nats.Msg, err error) (added bool, _ error) {
	if fut != nil && err == nil {
		select {
		case ack := <-fut.Ok():
			return !ack.Duplicate, nil
		case err = <-fut.Err():
		case <-ctx.Done():
			return false, context.Cause(ctx)
		}
	}
	return j.publishRetrying(ctx, msg, err)
}

// publishRetrying publishes msg (whose earlier try failed with err) until
// the server takes or refuses it, backing off while it is unreachable. It
// reports whether the message was new.
func (j *Job) publishRetrying(ctx context.Context, msg *nats.Msg, err error) (added bool, _ error) {
	fp := msg.Subject[len(msg.Subject)-32:]
	for attempt := 0; ; attempt++ {
		switch {
		case err == nil:
			return true, nil
		case isWrongLastSequence(err):
			return false, nil
		case permanent(err) || ctx.Err() != nil:
			return false, fmt.Errorf("publishing to %s: %w", msg.Subject, errors.Join(err, context.Cause(ctx)))
		}
		if attempt > 0 {
			if attempt == 1 {
				j.event("publishing to %s: %v; trying again", msg.Subject, err)
			}
			// The first retry goes at once: after a reconnection, a whole
			// window of timed-out publishes is sent again without waiting.
			t := time.NewTimer(gather.FullJitter(attempt, 100*time.Millisecond, 5*time.Second))
			select {
			case <-ctx.Done():
				t.Stop()
				return false, fmt.Errorf("publishing to %s: %w", msg.Subject, context.Cause(ctx))
			case <-t.C:
			}
		}
		var ack *jetstream.PubAck
		ack, err = j.js.PublishMsg(ctx, msg, jetstream.WithMsgID(fp), jetstream.WithExpectLastSequencePerSubject(0))
		if err == nil && ack.Duplicate {
			return false, nil
		}
	}
}
