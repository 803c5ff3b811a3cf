package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gatherdev/gather/internal/journal"
)

// output is where the records go: stdout, or the -o file, which with
// --resume is the journal of an earlier run and is appended to.
type output struct {
	w       io.Writer
	file    *os.File         // nil for stdout
	journal *journal.Journal // with --resume
}

// openOutput opens the -o file: a new or empty one, a non-empty one only
// with --force (truncated) or --resume (checked, repaired, appended to).
func (f *fetchFlags) openOutput(ctx context.Context, stdout io.Writer, src *sources) (*output, error) {
	if f.output == "" {
		return &output{w: stdout}, nil
	}
	fi, statErr := os.Stat(f.output)
	exists := statErr == nil
	if exists && fi.IsDir() {
		return nil, newPathError("-o", f.output, errors.New("is a directory"))
	}
	if !f.resume {
		if exists && fi.Mode().IsRegular() && fi.Size() > 0 && !f.force {
			return nil, &exitError{code: exitUsage, err: &pathError{flag: "-o", path: f.output,
				err: errors.New("exists and is not empty (--resume continues its run, --force overwrites it)")}}
		}
		file, err := os.OpenFile(f.output, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return nil, newPathError("-o", f.output, err)
		}
		return &output{w: file, file: file}, nil
	}

	out := &output{}
	if exists {
		j, err := journal.Open(f.output)
		if err != nil {
			return nil, &exitError{code: exitUsage, err: fmt.Errorf("--resume: %w", err)}
		}
		if err := checkJournalMatches(ctx, j, src); err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			return nil, &exitError{code: exitUsage, err: &pathError{flag: "-o", path: f.output, err: err}}
		}
		out.journal = j
	}
	file, err := os.OpenFile(f.output, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, newPathError("-o", f.output, err)
	}
	out.w, out.file = file, file
	return out, nil
}

// checkJournalMatches refuses to resume into a file none of whose records
// is for a request of this input: the output of another run. Input read
// from stdin cannot be read twice, and is not checked; nor is a collect's
// output, which has no input.
func checkJournalMatches(ctx context.Context, j *journal.Journal, src *sources) error {
	if j.Records() == 0 || src == nil {
		return nil
	}
	reqs, ok := src.replay(ctx)
	if !ok {
		return nil
	}
	for req := range reqs {
		if found, _ := j.Lookup(req.Fingerprint()); found {
			return nil
		}
	}
	if ctx.Err() != nil {
		return context.Cause(ctx) // interrupted while checking: not a verdict on the file
	}
	return fmt.Errorf("none of its %d records is for a request of this input (the output of another run?); not resuming", j.Records())
}

// close closes the -o file, reporting what the writes left unreported.
func (o *output) close() error {
	if o.file == nil {
		return nil
	}
	f := o.file
	o.file = nil
	return f.Close()
}
