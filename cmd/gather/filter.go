package main

import (
	"iter"

	"github.com/gatherdev/gather"
	"github.com/gatherdev/gather/internal/journal"
)

// filter stands between the input and the engine: it drops repeats of a
// request, and with --resume the requests that already have a record
// (but for the not-ok ones with --retry-failed), and counts what it did.
type filter struct {
	dedup       bool
	journal     *journal.Journal // nil without --resume
	retryFailed bool
	progress    *progress // nil without progress
	mem         *memTuner // told the size of the set; may be nil
	shard       shard     // --shard; the zero value keeps everything

	seen gather.FingerprintSet
	// Counts; read them once the engine is done with the requests.
	passed     int64 // handed to the engine
	duplicates int64
	doneOK     int64 // skipped: an ok record is in the output already
	doneFailed int64 // skipped: a not-ok record is, and stays
	retried    int64 // passed again: their not-ok record is superseded
}

func (f *filter) requests(in iter.Seq[gather.Request]) iter.Seq[gather.Request] {
	return func(yield func(gather.Request) bool) {
		for req := range in {
			if !f.shard.keeps(&req) {
				continue
			}
			if f.dedup || f.journal != nil {
				fp := req.Fingerprint()
				if f.dedup && req.Err == nil {
					if !f.seen.Add(fp) {
						f.duplicates++
						continue
					}
					if f.mem != nil {
						f.mem.setBytes.Store(int64(f.seen.Bytes()))
					}
				}
				if f.journal != nil {
					found, ok := f.journal.Lookup(fp)
					switch {
					case found && ok:
						f.doneOK++
						f.progress.addRecord(true, 0)
						continue
					case found && !f.retryFailed:
						f.doneFailed++
						f.progress.addRecord(false, 0)
						continue
					case found:
						f.retried++
					}
				}
			}
			f.passed++
			if !yield(req) {
				return
			}
		}
	}
}
