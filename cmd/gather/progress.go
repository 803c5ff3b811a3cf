package main

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/gatherdev/gather"
)

// progress draws one live line on stderr: done/total and percentage when
// the total is known, requests per second, ok and failed counts, retries
// and ETA. mpb redraws it at most every refresh interval.
type progress struct {
	p     *mpb.Progress
	bar   *mpb.Bar
	start time.Time

	done, ok, failed, retries atomic.Int64
	total                     atomic.Int64 // 0 while unknown
}

const progressRefresh = 100 * time.Millisecond

// newProgress starts drawing on w. forceTTY draws even when w is not a
// terminal (--progress always).
func newProgress(w io.Writer, color, forceTTY bool) *progress {
	pr := &progress{start: time.Now()}
	opts := []mpb.ContainerOption{mpb.WithOutput(w), mpb.WithRefreshRate(progressRefresh), mpb.WithWidth(100)}
	if forceTTY {
		opts = append(opts, mpb.WithAutoRefresh())
	}
	pr.p = mpb.New(opts...)
	paint := func(code string) func(string) string {
		if !color {
			return func(s string) string { return s }
		}
		return func(s string) string { return "\x1b[" + code + "m" + s + "\x1b[0m" }
	}
	pr.bar = pr.p.New(0, mpb.BarStyle().Lbound("[").Rbound("]"),
		mpb.BarWidth(24),
		mpb.PrependDecorators(decor.Any(func(decor.Statistics) string { return pr.counts() })),
		mpb.AppendDecorators(
			decor.Any(func(decor.Statistics) string { return pr.rate() }),
			decor.Meta(decor.Any(func(decor.Statistics) string { return fmt.Sprintf("  ok %d", pr.ok.Load()) }), paint("32")),
			decor.Meta(decor.Any(func(decor.Statistics) string { return fmt.Sprintf("  failed %d", pr.failed.Load()) }), paint("31")),
			decor.Any(func(decor.Statistics) string { return fmt.Sprintf("  retries %d", pr.retries.Load()) }),
			decor.Any(func(decor.Statistics) string { return pr.eta() }),
		),
	)
	return pr
}

// add counts one finished result.
func (pr *progress) add(r *gather.Result) {
	pr.done.Add(1)
	if r.OK() {
		pr.ok.Add(1)
	} else {
		pr.failed.Add(1)
	}
	pr.retries.Add(int64(r.Retries()))
	pr.bar.Increment()
}

// addRecord counts a record that was read rather than fetched: one an
// earlier run wrote (--resume: its attempts are not known, and were not
// this run's), or one collected from a job (its attempts are the workers').
// It does nothing on a nil progress.
func (pr *progress) addRecord(ok bool, attempts int) {
	if pr == nil {
		return
	}
	pr.done.Add(1)
	if ok {
		pr.ok.Add(1)
	} else {
		pr.failed.Add(1)
	}
	pr.retries.Add(int64(max(attempts-1, 0)))
	pr.bar.Increment()
}

// setTotal sets the number of records expected, once known.
func (pr *progress) setTotal(n int64) {
	pr.total.Store(n)
	pr.bar.SetTotal(n, false)
}

// finish draws the last state and stops drawing. A complete run shows
// 100%, as repeats are not counted in done; an interrupted one shows how
// far it got.
func (pr *progress) finish(complete bool) {
	if complete {
		n := pr.done.Load()
		pr.total.Store(n)
		pr.bar.SetTotal(n, true)
	} else {
		pr.bar.Abort(false)
	}
	pr.p.Wait()
}

func (pr *progress) counts() string {
	done, total := pr.done.Load(), pr.total.Load()
	if total <= 0 {
		return fmt.Sprintf("%d done ", done)
	}
	pct := 100 * float64(done) / float64(total)
	return fmt.Sprintf("%d/%d %5.1f%% ", done, total, min(pct, 100))
}

func (pr *progress) perSecond() float64 {
	secs := time.Since(pr.start).Seconds()
	if secs <= 0 {
		return 0
	}
	return float64(pr.done.Load()) / secs
}

func (pr *progress) rate() string { return fmt.Sprintf(" %.0f/s", pr.perSecond()) }

func (pr *progress) eta() string {
	done, total := pr.done.Load(), pr.total.Load()
	rate := pr.perSecond()
	if total <= 0 || done >= total || rate <= 0 {
		return ""
	}
	left := time.Duration(float64(total-done) / rate * float64(time.Second))
	return "  ETA " + left.Round(time.Second).String()
}
