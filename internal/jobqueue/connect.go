package jobqueue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gatherdev/gather"
)

// ConnectOptions say how to reach a NATS server.
type ConnectOptions struct {
	// URL is the server's URL, or a comma-separated list of a cluster's
	// (nats://host:4222, tls://..., user:password@ and token@ included).
	URL string
	// Name is the connection's name, shown by the server's monitoring.
	Name string
	// Creds is a credentials file (JWT and NKey seed), or "".
	Creds string
	// CA is a PEM file of the certificate authorities to trust, or "".
	CA string
	// Cert and Key are a client certificate and its key (PEM), or "".
	Cert, Key string
	// Wait is how long Connect keeps trying to reach a server that does
	// not answer; zero tries once.
	Wait time.Duration
	// OnEvent, when not nil, hears about lost and regained connections.
	OnEvent func(msg string)
}

// Connect connects to NATS and returns the connection and its JetStream
// context. A lost connection is retried for ever, with exponential backoff
// and jitter, and what was published meanwhile is buffered; the first
// connection is tried for up to o.Wait.
func Connect(ctx context.Context, o ConnectOptions) (*nats.Conn, jetstream.JetStream, error) {
	event := func(format string, args ...any) {
		if o.OnEvent != nil {
			o.OnEvent(fmt.Sprintf(format, args...))
		}
	}
	opts := []nats.Option{
		nats.Name(o.Name),
		nats.MaxReconnects(-1),
		nats.CustomReconnectDelay(func(attempts int) time.Duration {
			return max(50*time.Millisecond, gather.FullJitter(attempts, 250*time.Millisecond, 10*time.Second))
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				event("lost the connection to NATS (%v); reconnecting", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { event("reconnected to NATS at %s", nc.ConnectedUrlRedacted()) }),
	}
	if o.Creds != "" {
		opts = append(opts, nats.UserCredentials(o.Creds))
	}
	if o.CA != "" {
		opts = append(opts, nats.RootCAs(o.CA))
	}
	if o.Cert != "" || o.Key != "" {
		opts = append(opts, nats.ClientCert(o.Cert, o.Key))
	}
	var nc *nats.Conn
	var err error
	start := time.Now()
	for attempt := 1; ; attempt++ {
		nc, err = nats.Connect(o.URL, opts...)
		// Only a server that does not answer is waited for; a refusal
		// (credentials, TLS) is final.
		if err == nil || !errors.Is(err, nats.ErrNoServers) || time.Since(start) >= o.Wait {
			break
		}
		if attempt == 1 {
			event("cannot reach NATS yet (%v); trying again for up to %s", err, o.Wait)
		}
		t := time.NewTimer(gather.FullJitter(attempt, 250*time.Millisecond, 5*time.Second))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, nil, context.Cause(ctx)
		case <-t.C:
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("connecting to NATS: %w", err)
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(submitWindow), jetstream.WithPublishAsyncTimeout(10*time.Second))
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("JetStream: %w", err)
	}
	return nc, js, nil
}
