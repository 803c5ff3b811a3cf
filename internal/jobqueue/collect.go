package jobqueue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gatherdev/gather"
	"github.com/gatherdev/gather/internal/journal"
)

// CollectOptions tune Collect.
type CollectOptions struct {
	// Have reports whether the output holds the record whose key (as
	// journal.Key reads it) is fp already, from an earlier collect; such
	// records are counted, not written again.
	Have func(fp gather.Fingerprint) bool
	// Write writes one record (a JSON object, without newline).
	Write func(fp gather.Fingerprint, record []byte) error
	// Flush makes what Write wrote durable; Collect calls it at least
	// every FlushEvery while records arrive, when they pause, and at the end.
	Flush func() error
	// FlushEvery is how often Flush is called while records arrive; zero
	// means 200ms.
	FlushEvery time.Duration
	// Follow keeps collecting new records once every submitted request has
	// one, until ctx ends.
	Follow bool
	// Poll is how long Collect waits for a record before it checks whether
	// the job is complete; zero means DefaultPoll.
	Poll time.Duration
	// OnRecord, when not nil, is called for each of the job's records with
	// what the journal reads of it (a zero Entry for a record that does not
	// read as one) and whether it was written (not held already).
	OnRecord func(record []byte, e journal.Entry, fresh bool)
	// OnState, when not nil, hears the job's state each time Collect reads it.
	OnState func(State)
}

// CollectStats count what Collect saw.
type CollectStats struct {
	// Records is how many of the job's records Collect read.
	Records int64
	// Written is how many of them it wrote (the others were held already).
	Written int64
	// State is the job's state when Collect last read it.
	State State
}

// Collect reads the job's records, oldest first, and writes each one the
// output does not hold yet. It returns when it has read a record for every
// submitted request (with Follow, when ctx ends), or on an error.
func (j *Job) Collect(ctx context.Context, o CollectOptions) (CollectStats, error) {
	var cs CollectStats
	poll := o.Poll
	if poll <= 0 {
		poll = DefaultPoll
	}
	flushEvery := o.FlushEvery
	if flushEvery <= 0 {
		flushEvery = 200 * time.Millisecond
	}
	cons, err := j.results.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return cs, fmt.Errorf("reading records: %w", err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(512))
	if err != nil {
		return cs, fmt.Errorf("reading records: %w", err)
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()

	lastFlush := time.Now()
	flush := func() error {
		lastFlush = time.Now()
		if o.Flush == nil {
			return nil
		}
		return o.Flush()
	}
	var lastSeq uint64
	idle := true // look at the job first
	failures := 0
	for {
		if idle {
			if err := flush(); err != nil {
				return cs, err
			}
			st, err := j.State(ctx)
			switch {
			case err == nil:
				cs.State, failures = st, 0
				if o.OnState != nil {
					o.OnState(st)
				}
			case ctx.Err() == nil:
				// NATS is away: the connection comes back by itself.
				if failures++; failures == 1 {
					j.event("%v; trying again", err)
				}
				sleep(ctx, gather.FullJitter(failures, 100*time.Millisecond, 5*time.Second))
				continue
			}
			if !o.Follow && cs.State.Complete() && cs.Records >= cs.State.Requests {
				return cs, nil
			}
		}
		if ctx.Err() != nil {
			return cs, errors.Join(flush(), context.Cause(ctx))
		}
		msg, err := it.Next(jetstream.NextMaxWait(poll))
		idle = err != nil
		switch {
		case err == nil:
		case errors.Is(err, nats.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
			continue
		case errors.Is(err, jetstream.ErrMsgIteratorClosed):
			if ctx.Err() != nil {
				continue // reported at the top of the loop
			}
			return cs, fmt.Errorf("reading records: %w", err)
		default:
			sleep(ctx, poll/4) // the consumer resets itself after a lost connection
			continue
		}
		md, err := msg.Metadata()
		if err != nil || md.Sequence.Stream <= lastSeq {
			continue
		}
		lastSeq = md.Sequence.Stream
		fp, err := subjectKey(msg.Subject())
		if err != nil {
			continue // not one of ours
		}
		e, err := journal.ReadEntry(msg.Data())
		if err == nil {
			fp = e.Key // what the output's journal knows it by
		}
		cs.Records++
		fresh := o.Have == nil || !o.Have(fp)
		if fresh {
			if err := o.Write(fp, msg.Data()); err != nil {
				return cs, err
			}
			cs.Written++
		}
		if o.OnRecord != nil {
			o.OnRecord(msg.Data(), e, fresh)
		}
		if cs.Records >= cs.State.Requests {
			idle = true // perhaps the last one: look at the job again
		}
		if time.Since(lastFlush) >= flushEvery {
			if err := flush(); err != nil {
				return cs, err
			}
		}
	}
}
