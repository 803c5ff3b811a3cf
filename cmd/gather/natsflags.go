package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gatherdev/gather/internal/jobqueue"
)

// natsFlags are the flags of submit, work and collect that say where the
// job is.
type natsFlags struct {
	url     string
	job     string
	creds   string
	ca      string
	cert    string
	key     string
	wait    time.Duration
	ackWait time.Duration
}

func (n *natsFlags) add(fl *pflag.FlagSet) {
	// The default is read in open, not shown: $NATS_URL may hold a password.
	fl.StringVar(&n.url, "nats", "", "`URL` of the NATS server, or a comma-separated list of a cluster's (default $NATS_URL, else "+nats.DefaultURL+")")
	fl.StringVar(&n.job, "job", "", "`NAME` of the job (letters, digits, - and _)")
	fl.StringVar(&n.creds, "nats-creds", "", "NATS credentials `FILE` (JWT and NKey seed)")
	fl.StringVar(&n.ca, "nats-ca", "", "trust the certificate authorities in PEM `FILE` for NATS over TLS")
	fl.StringVar(&n.cert, "nats-cert", "", "client certificate PEM `FILE` for NATS over TLS (with --nats-key)")
	fl.StringVar(&n.key, "nats-key", "", "client key PEM `FILE` for NATS over TLS (with --nats-cert)")
	n.wait = 30 * time.Second
	fl.Var(durationValue{&n.wait}, "nats-wait", "how long to keep trying to reach NATS at the start; a lost connection is retried for ever")
	n.ackWait = jobqueue.DefaultAckWait
	fl.Var(durationValue{&n.ackWait}, "ack-wait", "how long a request held by a worker that went silent waits before another takes it (set when the job is created)")
}

// open connects to NATS and opens the job, creating it when new. The
// caller closes the connection.
func (n *natsFlags) open(ctx context.Context, cmd *cobra.Command, quiet bool, stderr io.Writer) (*nats.Conn, *jobqueue.Job, error) {
	if n.url == "" {
		if n.url = os.Getenv("NATS_URL"); n.url == "" {
			n.url = nats.DefaultURL
		}
	}
	if n.job == "" {
		return nil, nil, usageErrorf("--job NAME is required: the name of the job")
	}
	if err := jobqueue.ValidName(n.job); err != nil {
		return nil, nil, usageErrorf("--job: %v", err)
	}
	if n.ackWait <= 0 {
		return nil, nil, usageErrorf("--ack-wait must be more than 0")
	}
	if (n.cert == "") != (n.key == "") {
		return nil, nil, usageErrorf("--nats-cert and --nats-key go together")
	}
	for flag, path := range map[string]string{"--nats-creds": n.creds, "--nats-ca": n.ca, "--nats-cert": n.cert, "--nats-key": n.key} {
		if path == "" {
			continue
		}
		if _, err := os.Stat(path); err != nil {
			return nil, nil, newPathError(flag, path, err)
		}
	}
	event := func(msg string) {
		if !quiet {
			fmt.Fprintf(stderr, "gather: %s\n", msg)
		}
	}
	nc, js, err := jobqueue.Connect(ctx, jobqueue.ConnectOptions{
		URL: n.url, Name: "gather " + cmd.Name() + " " + n.job, Creds: n.creds, CA: n.ca, Cert: n.cert, Key: n.key, Wait: n.wait,
		OnEvent: event,
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, context.Cause(ctx)
		}
		return nil, nil, natsError(n.url, err)
	}
	job, err := jobqueue.Open(ctx, js, n.job, jobqueue.Config{AckWait: n.ackWait, OnEvent: event})
	if err != nil {
		nc.Close()
		if ctx.Err() != nil {
			return nil, nil, context.Cause(ctx)
		}
		if errors.Is(err, jobqueue.ErrNoJetStream) {
			return nil, nil, natsError(n.url, err)
		}
		return nil, nil, jobError(n.job, err)
	}
	if cmd.Flags().Changed("ack-wait") && job.AckWait() != n.ackWait {
		event(fmt.Sprintf("job %s has an ack wait of %s already; --ack-wait %s is not used (nats consumer edit changes it)", n.job, job.AckWait(), n.ackWait))
	}
	if cmd.Name() != "submit" {
		if st, err := job.State(ctx); err == nil && st.Requests == 0 {
			event(fmt.Sprintf("job %s has no requests yet; waiting for gather submit --job %s", n.job, n.job))
		}
	}
	return nc, job, nil
}

// natsError is a NATS server that cannot be used: exit 2, naming --nats.
func natsError(url string, err error) error {
	return &exitError{code: exitUsage, err: &pathError{flag: "--nats", path: redactURL(url), err: err}}
}

// jobError is a job that cannot be used or went wrong: exit 2, naming --job.
func jobError(job string, err error) error {
	return &exitError{code: exitUsage, err: &pathError{flag: "--job", path: job, err: err}}
}
