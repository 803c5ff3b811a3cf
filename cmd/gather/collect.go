package main

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/gatherdev/gather"
	"github.com/gatherdev/gather/internal/jobqueue"
	"github.com/gatherdev/gather/internal/journal"
)

func newCollectCommand(stdout, stderr io.Writer) *cobra.Command {
	f := &fetchFlags{}
	var n natsFlags
	var follow bool
	cmd := &cobra.Command{
		Use:   "collect --job NAME [--nats URL] -o FILE",
		Short: "Write a job's records into one JSON Lines file as workers store them",
		Long: `Read the records that 'gather work' stored for the job, oldest first, and
write them to FILE (or stdout), one per request, with progress against the
submitted total. It returns when every submitted request has a record;
start it before, during or after the workers. --resume continues into a
FILE an earlier collect was stopped in, writing only what it lacks.

Exit status: 0 when every record is ok, 1 when some is not, 2 when NATS or
FILE cannot be used, 130/143 when interrupted.`,
		Example: `  gather collect --nats nats://queue:4222 --job crawl -o records.jsonl
  gather collect --job crawl -o records.jsonl --resume`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCollect(cmd.Context(), cmd, f, &n, follow, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	n.add(fl)
	fl.StringVarP(&f.output, "output", "o", "", "write records to `FILE` instead of stdout")
	fl.BoolVar(&f.force, "force", false, "overwrite a non-empty -o FILE")
	fl.BoolVar(&f.resume, "resume", false, "continue into -o FILE: write only the records it lacks")
	fl.BoolVar(&follow, "follow", false, "keep collecting new records once every request has one")
	f.addOutputFlags(fl)
	return cmd
}

func runCollect(ctx context.Context, cmd *cobra.Command, f *fetchFlags, n *natsFlags, follow bool, stdout, stderr io.Writer) error {
	switch {
	case f.resume && f.output == "":
		return usageErrorf("--resume needs -o FILE: the records collected so far")
	case f.resume && f.force:
		return usageErrorf("--resume and --force exclude each other: one continues -o FILE, the other overwrites it")
	case f.progress != "auto" && f.progress != "always" && f.progress != "never":
		return usageErrorf("--progress must be auto, always or never, not %q", f.progress)
	}
	nc, job, err := n.open(ctx, cmd, f.quiet, stderr)
	if err != nil {
		return err
	}
	defer nc.Close()
	out, err := f.openOutput(ctx, stdout, nil)
	if err != nil {
		return err
	}
	defer out.close()

	pr := f.newProgress(stderr)
	w := bufio.NewWriterSize(out.w, 256<<10)
	var failed int64
	var have func(gather.Fingerprint) bool
	if out.journal != nil {
		have = func(fp gather.Fingerprint) bool {
			found, _ := out.journal.Lookup(fp)
			return found
		}
	}
	cs, err := job.Collect(ctx, jobqueue.CollectOptions{
		Have: have,
		Write: func(_ gather.Fingerprint, rec []byte) error {
			w.Write(rec)
			return w.WriteByte('\n')
		},
		Flush:  w.Flush,
		Follow: follow,
		OnRecord: func(_ []byte, e journal.Entry, _ bool) {
			if !e.OK {
				failed++
			}
			pr.addRecord(e.OK, e.Attempts)
		},
		OnState: func(st jobqueue.State) {
			if pr != nil && st.Requests > 0 {
				pr.setTotal(max(st.Total, st.Requests))
			}
		},
	})
	if ferr := w.Flush(); err == nil && ctx.Err() == nil {
		err = ferr
	}
	if cerr := out.close(); err == nil && ctx.Err() == nil {
		err = cerr
	}
	interrupted := ctx.Err() != nil
	if pr != nil {
		pr.finish(err == nil && !interrupted)
	}
	name := f.output
	if name == "" {
		name = "stdout"
	}
	if !f.quiet {
		fmt.Fprintf(stderr, "gather: job %s: %d records of %d requests, %d not ok; %d new in %s\n",
			job.Name(), cs.Records, max(cs.State.Total, cs.State.Requests), failed, cs.Written, name)
		if interrupted && f.output != "" {
			fmt.Fprintf(stderr, "gather: interrupted; to go on:\n  %s\n", shellQuote(collectResumeArgs(n, f.output)))
		}
	}
	switch {
	case interrupted:
		return context.Cause(ctx)
	case err != nil:
		return jobError(job.Name(), err)
	case failed > 0:
		return &exitError{code: exitFailed}
	}
	return nil
}

// collectResumeArgs is the command that continues an interrupted collect.
func collectResumeArgs(n *natsFlags, output string) []string {
	return []string{"gather", "collect", "--nats", redactURL(n.url), "--job", n.job, "-o", output, "--resume"}
}
