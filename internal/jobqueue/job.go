// Package jobqueue runs a gather job on NATS JetStream, so that any number
// of machines can share one list of requests.
//
// A job NAME lives in three JetStream assets, all created on first use:
//
//   - the stream gather-NAME-requests, one message per request on the subject
//     gather.NAME.req.FINGERPRINT;
//   - the stream gather-NAME-results, one record per request on the subject
//     gather.NAME.res.FINGERPRINT;
//   - the key-value bucket gather-NAME, whose key "total" holds how many
//     requests were submitted;
//   - the key-value bucket gather-NAME-submits, where each submit running
//     keeps a key alive (it expires SubmitTTL after its submitter dies), so
//     that workers do not take a job for complete while its list is still
//     coming.
//
// Both streams keep at most one message per subject and refuse a second
// one (DiscardNewPerSubject), and every publish also expects its subject to
// be empty: so a request submitted twice is queued once, and a request
// fetched twice (by a worker that died before it acked) is recorded once.
// Workers share the durable pull consumer "workers" on the requests stream
// and ack a request only after its record is stored; a request held by a
// worker that dies is delivered again after the consumer's ack wait.
package jobqueue

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gatherdev/gather"
)

// DefaultAckWait is how long a request delivered to a worker stays its own
// without news: a little over one attempt at gather's default timeout.
// Workers send in-progress acks well within it for every request they
// hold, so a request that runs long (retries, backoff) is not taken away.
const DefaultAckWait = 15 * time.Second

// DefaultPoll is how long an idle worker or collector waits for news
// before it looks at the job's state again: what a finished job costs a
// worker that had nothing left to do.
const DefaultPoll = 250 * time.Millisecond

// consumerName is the workers' shared durable consumer.
const consumerName = "workers"

// totalKey is the key of the submitted total in the job's bucket.
const totalKey = "total"

var validName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidName returns an error when name cannot name a job: letters, digits,
// '-' and '_', at most 64 of them (NATS stream and subject rules).
func ValidName(name string) error {
	if !validName.MatchString(name) {
		return fmt.Errorf("job name %q: use 1 to 64 letters, digits, '-' or '_'", name)
	}
	return nil
}

// Job is a job's streams, bucket and consumer on one JetStream connection.
type Job struct {
	name     string
	js       jetstream.JetStream
	requests jetstream.Stream
	results  jetstream.Stream
	kv       jetstream.KeyValue
	submits  jetstream.KeyValue
	ackWait  time.Duration
	onEvent  func(string)
}

// Config tunes what Open creates.
type Config struct {
	// AckWait is the workers' consumer's ack wait when Open creates it;
	// zero means DefaultAckWait. An existing consumer keeps its own.
	AckWait time.Duration
	// OnEvent, when not nil, hears about trouble the job's commands ride
	// out: a lost connection, a publish tried again, a message dropped.
	OnEvent func(msg string)
}

// SubmitTTL is how long a submit's key outlives its last sign of life.
const SubmitTTL = 30 * time.Second

// ErrNoJetStream is returned when the NATS server does not run JetStream.
var ErrNoJetStream = errors.New("JetStream is not enabled on this NATS server (start nats-server with -js)")

// Open returns the job name on js, creating its streams, bucket and
// consumer when they do not exist yet. Opening is idempotent: submitters,
// workers and collectors may all start first.
func Open(ctx context.Context, js jetstream.JetStream, name string, cfg Config) (*Job, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	if _, err := js.AccountInfo(ctx); err != nil {
		if errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) {
			return nil, ErrNoJetStream
		}
		return nil, fmt.Errorf("reaching JetStream: %w", err)
	}
	j := &Job{name: name, js: js, onEvent: cfg.OnEvent}
	var err error
	if j.requests, err = ensureStream(ctx, js, j.streamConfig("requests", "req")); err != nil {
		return nil, err
	}
	if j.results, err = ensureStream(ctx, js, j.streamConfig("results", "res")); err != nil {
		return nil, err
	}
	if j.kv, err = ensureBucket(ctx, js, jetstream.KeyValueConfig{Bucket: "gather-" + name, Description: "gather job " + name}); err != nil {
		return nil, err
	}
	if j.submits, err = ensureBucket(ctx, js, jetstream.KeyValueConfig{Bucket: "gather-" + name + "-submits",
		Description: "gather job " + name + ": submits running", TTL: SubmitTTL}); err != nil {
		return nil, err
	}
	ackWait := cfg.AckWait
	if ackWait <= 0 {
		ackWait = DefaultAckWait
	}
	cons, err := j.requests.Consumer(ctx, consumerName)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		cons, err = j.requests.CreateConsumer(ctx, jetstream.ConsumerConfig{
			Durable:       consumerName,
			Description:   "gather workers of job " + name,
			AckPolicy:     jetstream.AckExplicitPolicy,
			AckWait:       ackWait,
			MaxDeliver:    -1,
			MaxAckPending: -1,
			MaxWaiting:    4096, // pulls waiting at once: one per idle worker
			DeliverPolicy: jetstream.DeliverAllPolicy,
		})
		if errors.Is(err, jetstream.ErrConsumerExists) {
			cons, err = j.requests.Consumer(ctx, consumerName)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("consumer %s of stream %s: %w", consumerName, j.requests.CachedInfo().Config.Name, err)
	}
	j.ackWait = cons.CachedInfo().Config.AckWait
	return j, nil
}

// streamConfig is the configuration of one of the job's two streams: one
// message per subject, a second one refused.
func (j *Job) streamConfig(kind, token string) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:                 "gather-" + j.name + "-" + kind,
		Description:          "gather job " + j.name + ": " + kind,
		Subjects:             []string{"gather." + j.name + "." + token + ".*"},
		Retention:            jetstream.LimitsPolicy,
		Storage:              jetstream.FileStorage,
		MaxMsgsPerSubject:    1,
		Discard:              jetstream.DiscardNew,
		DiscardNewPerSubject: true,
	}
}

func ensureBucket(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, cfg.Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, cfg)
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = js.KeyValue(ctx, cfg.Bucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", cfg.Bucket, err)
	}
	return kv, nil
}

// event tells Config.OnEvent.
func (j *Job) event(format string, args ...any) {
	if j.onEvent != nil {
		j.onEvent(fmt.Sprintf(format, args...))
	}
}

func ensureStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	s, err := js.Stream(ctx, cfg.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		s, err = js.CreateStream(ctx, cfg)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			s, err = js.Stream(ctx, cfg.Name)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", cfg.Name, err)
	}
	return s, nil
}

// Name returns the job's name.
func (j *Job) Name() string { return j.name }

// AckWait returns the workers' consumer's ack wait.
func (j *Job) AckWait() time.Duration { return j.ackWait }

func (j *Job) requestSubject(fp gather.Fingerprint) string {
	return "gather." + j.name + ".req." + fp.String()
}

func (j *Job) resultSubject(fp gather.Fingerprint) string {
	return "gather." + j.name + ".res." + fp.String()
}

// subjectKey returns the fingerprint that ends subject.
func subjectKey(subject string) (gather.Fingerprint, error) {
	if len(subject) < 32 {
		return gather.Fingerprint{}, fmt.Errorf("subject %q names no request", subject)
	}
	return gather.ParseFingerprint(subject[len(subject)-32:])
}

// State is how far a job has come.
type State struct {
	// Total is the submitted total recorded in the job's bucket.
	Total int64
	// Requests is how many requests are queued (each has its own subject).
	Requests int64
	// Records is how many of them have a record.
	Records int64
	// Submitting is how many submits are running, as far as State looked:
	// it counts them only when every queued request has a record.
	Submitting int
}

// Complete reports whether every submitted request has a record and no
// submit is still adding requests.
func (s State) Complete() bool {
	return s.Requests > 0 && s.Records >= s.Requests && s.Records >= s.Total && s.Submitting == 0
}

// State reads the job's state from the server.
func (j *Job) State(ctx context.Context) (State, error) {
	var st State
	ri, err := j.requests.Info(ctx)
	if err != nil {
		return st, fmt.Errorf("reading the job's state: %w", err)
	}
	si, err := j.results.Info(ctx)
	if err != nil {
		return st, fmt.Errorf("reading the job's state: %w", err)
	}
	st.Requests, st.Records = int64(ri.State.Msgs), int64(si.State.Msgs)
	if st.Total, _, err = j.total(ctx); err != nil {
		return st, err
	}
	if st.Requests > 0 && st.Records >= st.Requests {
		keys, err := j.submits.Keys(ctx)
		if err != nil && !errors.Is(err, jetstream.ErrNoKeysFound) {
			return st, fmt.Errorf("reading the submits running: %w", err)
		}
		st.Submitting = len(keys)
	}
	return st, nil
}

// total returns the recorded total and its revision (0 when none yet).
func (j *Job) total(ctx context.Context) (n int64, rev uint64, err error) {
	e, err := j.kv.Get(ctx, totalKey)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("reading the total: %w", err)
	}
	n, err = strconv.ParseInt(string(e.Value()), 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("the total %q is not a number", e.Value())
	}
	return n, e.Revision(), nil
}

// raiseTotal sets the recorded total to the number of queued requests
// unless it is already as high. Submitters racing each other only ever
// raise it (compare-and-set on the key's revision).
func (j *Job) raiseTotal(ctx context.Context) (int64, error) {
	for {
		info, err := j.requests.Info(ctx)
		if err != nil {
			return 0, fmt.Errorf("counting the requests: %w", err)
		}
		queued := int64(info.State.Msgs)
		cur, rev, err := j.total(ctx)
		if err != nil {
			return 0, err
		}
		if cur >= queued {
			return cur, nil
		}
		val := []byte(strconv.FormatInt(queued, 10))
		if rev == 0 {
			_, err = j.kv.Create(ctx, totalKey, val)
		} else {
			_, err = j.kv.Update(ctx, totalKey, val, rev)
		}
		if err == nil {
			return queued, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) && !isWrongLastSequence(err) {
			return 0, fmt.Errorf("recording the total: %w", err)
		}
		// Another submitter got there first: read again.
	}
}

// isWrongLastSequence reports whether err is JetStream's refusal of a
// publish whose subject already holds a message: the request is already
// queued, or the record already stored.
func isWrongLastSequence(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant) // clustered streams
}

// permanent reports whether an error will not go away by trying again on
// this connection: it is closed, the message is too big, or the server
// refused it for a reason of its own (limits, a deleted stream) rather than
// for being busy or between leaders (5xx, 408).
func permanent(err error) bool {
	var apiErr *jetstream.APIError
	return errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, nats.ErrMaxPayload) ||
		(errors.As(err, &apiErr) && !isWrongLastSequence(err) && apiErr.Code < 500 && apiErr.Code != 408)
}
