package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatherdev/gather"
	"github.com/gatherdev/gather/internal/jobqueue"
	"github.com/gatherdev/gather/internal/record"
	"github.com/gatherdev/gather/internal/summary"
)

func newWorkCommand(stderr io.Writer) *cobra.Command {
	f := &fetchFlags{}
	var n natsFlags
	var follow bool
	cmd := &cobra.Command{
		Use:   "work --job NAME [--nats URL] [flags]",
		Short: "Fetch a job's queued requests, alongside any number of other workers",
		Long: `Take requests from the job's queue on NATS JetStream, fetch them with the
usual options, and store one record per request in the job's results,
acknowledging a request only once its record is stored. Run as many
workers as you like, on as many machines; they share the queue.

A worker that dies leaves what it held unacknowledged, and other workers
take it after the job's ack wait. A worker exits 0 when every submitted
request has a record (--follow keeps it waiting for more). On Ctrl-C it
stops taking requests, lets those in flight finish for a moment, stores
their records and hands the rest back at once.

Exit status: 0 when the job is complete, 2 when NATS cannot be used,
130/143 when interrupted.`,
		Example: `  gather work --nats nats://queue:4222 --job crawl -c 100 --per-host 4
  gather work --job crawl --follow -H 'Authorization: Bearer ...'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runWork(cmd.Context(), cmd, f, &n, follow, stderr)
		},
		Args: cobra.NoArgs,
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	n.add(fl)
	fl.BoolVar(&follow, "follow", false, "keep waiting for new submissions once every request has a record")
	f.addEngineFlags(fl)
	fl.BoolVar(&f.noBody, "no-body", false, "leave bodies out of the records")
	f.addOutputFlags(fl)
	fl.StringVar(&f.summaryJSON, "summary-json", "", "also write this worker's summary to `FILE` as one JSON object")
	return cmd
}

func runWork(ctx context.Context, cmd *cobra.Command, f *fetchFlags, n *natsFlags, follow bool, stderr io.Writer) error {
	opts, _, err := f.options(cmd)
	if err != nil {
		return err
	}
	nc, job, err := n.open(ctx, cmd, f.quiet, stderr)
	if err != nil {
		return err
	}
	defer nc.Close()

	pr := f.newProgress(stderr)
	var stats summary.Stats
	start := time.Now()
	err = job.Work(ctx, jobqueue.WorkOptions{
		Fetch:  opts,
		Record: record.Options{NoBody: f.noBody},
		Follow: follow,
		OnResult: func(r *gather.Result) {
			stats.Add(r)
			if pr != nil {
				pr.add(r)
			}
		},
	})
	wall := time.Since(start)
	interrupted := ctx.Err() != nil
	if pr != nil {
		pr.finish(err == nil)
	}
	if !f.quiet {
		stats.Print(stderr, wall)
		if err == nil {
			if st, serr := job.State(context.WithoutCancel(ctx)); serr == nil {
				fmt.Fprintf(stderr, "gather: job %s is complete: %d records for %d requests\n", job.Name(), st.Records, st.Requests)
			}
		}
	}
	var serr error
	if f.summaryJSON != "" {
		serr = writeSummaryJSON(f.summaryJSON, stats.Report(wall))
	}
	switch {
	case interrupted:
		return context.Cause(ctx)
	case err != nil:
		return jobError(job.Name(), err)
	}
	return serr
}
