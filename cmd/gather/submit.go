package main

import (
	"context"
	"fmt"
	"io"
	"iter"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/gatherdev/gather"
)

func newSubmitCommand(stdin io.Reader, stderr io.Writer) *cobra.Command {
	f := &fetchFlags{}
	var n natsFlags
	cmd := &cobra.Command{
		Use:   "submit --job NAME [--nats URL] [flags] [URL...]",
		Short: "Queue requests for gather work on NATS JetStream",
		Long: `Queue every request of the input in the job's stream on NATS JetStream,
for any number of 'gather work' processes to fetch, and record the job's
total. Input is read as by gather fetch. A request is queued under its
fingerprint, so submitting a list again, or a list that overlaps it, adds
only what is new. Lines that are not valid requests are queued too: each
gets an invalid record.

Headers given with -H here are stored with each request on the NATS
server; give secrets to 'gather work -H' instead, which adds them when
fetching.`,
		Example: `  gather submit --nats nats://queue:4222 --job crawl -i urls.txt
  zcat urls.gz | gather submit --job crawl`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSubmit(cmd.Context(), cmd, f, &n, args, stdin, stderr)
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	n.add(fl)
	fl.StringArrayVarP(&f.inputs, "input", "i", nil, "read requests from `FILE` (repeatable; - is stdin; gzip detected)")
	fl.StringVarP(&f.method, "request", "X", "", "`METHOD` for requests that name none (default GET, POST with -d)")
	fl.StringArrayVarP(&f.headers, "header", "H", nil, "add `'Name: value'` to every request (repeatable; stored in the queue)")
	fl.StringVarP(&f.data, "data", "d", "", "send `DATA` as the body of every request (@FILE reads a file)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no summary")
	return cmd
}

func runSubmit(ctx context.Context, cmd *cobra.Command, f *fetchFlags, n *natsFlags, args []string, stdin io.Reader, stderr io.Writer) error {
	defaults, header, err := f.requestDefaults(cmd)
	if err != nil {
		return err
	}
	src, err := openSources(ctx, args, f.inputs, stdin, defaults)
	if err != nil {
		return err
	}
	defer src.close()
	nc, job, err := n.open(ctx, cmd, f.quiet, stderr)
	if err != nil {
		return err
	}
	defer nc.Close()
	st, err := job.Submit(ctx, withHeader(src.requests(), header))
	if !f.quiet {
		fmt.Fprintf(stderr, "gather: job %s: read %d requests (%d invalid lines): %d new, %d queued already; the job has %d\n",
			job.Name(), st.Read, st.Invalid, st.Added, st.Queued, st.Total)
		if err != nil || ctx.Err() != nil {
			fmt.Fprintf(stderr, "gather: the submit did not finish; submitting the same input again adds only what is missing\n")
		}
	}
	switch {
	case ctx.Err() != nil:
		return context.Cause(ctx)
	case err != nil:
		return jobError(job.Name(), err)
	case src.err() != nil:
		return src.err()
	}
	return nil
}

// withHeader adds h to each request's own headers, which win.
func withHeader(reqs iter.Seq[gather.Request], h http.Header) iter.Seq[gather.Request] {
	if len(h) == 0 {
		return reqs
	}
	return func(yield func(gather.Request) bool) {
		for req := range reqs {
			if req.Err == nil {
				merged := h.Clone()
				for k, v := range req.Header {
					merged[k] = v
				}
				req.Header = merged
			}
			if !yield(req) {
				return
			}
		}
	}
}
