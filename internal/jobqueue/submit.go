package jobqueue

import (
	"context"
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
func (j *Job) Submit(ctx context.Context, reqs iter.Seq[gather.Request]) (SubmitStats, error) {
	var st SubmitStats
	type pending struct {
		fut jetstream.PubAckFuture
		msg *nats.Msg
		err error
	}
	acks := make(chan pending, submitWindow)
	done := make(chan error, 1)
	go func() {
		var first error
		for p := range acks {
			if first != nil {
				continue // drain
			}
			added, err := j.settle(ctx, p.fut, p.msg, p.err)
			switch {
			case err != nil:
				first = err
			case added:
				st.Added++
			default:
				st.Queued++
			}
		}
		done <- first
	}()
	var err error
	for req := range reqs {
		if ctx.Err() != nil {
			break
		}
		st.Read++
		if req.Err != nil {
			st.Invalid++
		}
		var data []byte
		if data, err = encodeRequest(&req); err != nil {
			break
		}
		fp := req.Fingerprint()
		msg := &nats.Msg{Subject: j.requestSubject(fp), Data: data}
		fut, perr := j.js.PublishMsgAsync(msg, jetstream.WithMsgID(fp.String()), jetstream.WithExpectLastSequencePerSubject(0))
		acks <- pending{fut: fut, msg: msg, err: perr}
	}
	close(acks)
	if aerr := <-done; err == nil {
		err = aerr
	}
	if err == nil {
		err = context.Cause(ctx)
	}
	if err != nil {
		return st, err
	}
	st.Total, err = j.raiseTotal(ctx)
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
	for attempt := 1; ; attempt++ {
		switch {
		case err == nil:
			return true, nil
		case isWrongLastSequence(err):
			return false, nil
		case permanent(err) || ctx.Err() != nil:
			return false, fmt.Errorf("publishing to %s: %w", msg.Subject, errors.Join(err, context.Cause(ctx)))
		}
		t := time.NewTimer(gather.FullJitter(attempt, 100*time.Millisecond, 5*time.Second))
		select {
		case <-ctx.Done():
			t.Stop()
			return false, fmt.Errorf("publishing to %s: %w", msg.Subject, context.Cause(ctx))
		case <-t.C:
		}
		var ack *jetstream.PubAck
		ack, err = j.js.PublishMsg(ctx, msg, jetstream.WithMsgID(fp), jetstream.WithExpectLastSequencePerSubject(0))
		if err == nil && ack.Duplicate {
			return false, nil
		}
	}
}
