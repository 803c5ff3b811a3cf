package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/gatherdev/gather"
	"github.com/gatherdev/gather/internal/input"
	"github.com/gatherdev/gather/internal/journal"
	"github.com/gatherdev/gather/internal/record"
	"github.com/gatherdev/gather/internal/report"
	"github.com/gatherdev/gather/internal/savedir"
	"github.com/gatherdev/gather/internal/summary"
)

// fetchFlags are gather fetch's flags.
type fetchFlags struct {
	inputs       []string
	output       string
	force        bool
	concurrency  int
	retries      int
	retryOn      string
	backoff      time.Duration
	maxBackoff   time.Duration
	timeout      time.Duration
	maxBody      int64
	maxRedirects int
	insecure     bool
	method       string
	headers      []string
	data         string
	noBody       bool
	noDedup      bool
	progress     string
	quiet        bool
	summaryJSON  string
	perHost      int
	rate         float64
	ratePerHost  float64
	deadline     time.Duration
	ordered      bool
	resume       bool
	retryFailed  bool
	saveDir      string
	denyPrivate  bool
	shard        string
	shardOf      shard
	reportHTML   string
	argv         []string // the command line, for the resume hint
}

func newFetchCommand(argv []string, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	f := &fetchFlags{argv: argv}
	cmd := &cobra.Command{
		Use:   "fetch [flags] [URL...]",
		Short: "Fetch every request and write one JSON record per request",
		Long: `Fetch every request and write one JSON record per request (JSON Lines).

Requests come from URL arguments, from -i files (- for stdin; gzip is
detected), or from stdin when it is piped. A line is a URL or a JSON object
{"url": ..., "method": ..., "headers": {...}, "body": ..., "id": ...};
blank lines and lines starting with # are skipped.

Exit status: 0 when every record is ok, 1 when some is not, 2 for a usage
error or an unreadable input or unwritable output, 130/143 when interrupted.`,
		Example: `  gather fetch https://example.com/a https://example.com/b
  gather fetch -i urls.txt -o records.jsonl -c 100 --retries 5
  zcat urls.gz | gather fetch --no-body > records.jsonl`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runFetch(cmd.Context(), cmd, f, args, stdin, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringArrayVarP(&f.inputs, "input", "i", nil, "read requests from `FILE` (repeatable; - is stdin; gzip detected)")
	fl.StringVarP(&f.output, "output", "o", "", "write records to `FILE` instead of stdout")
	fl.BoolVar(&f.force, "force", false, "overwrite a non-empty -o FILE")
	fl.BoolVar(&f.resume, "resume", false, "continue the run whose records are in -o FILE: skip the requests it has, append the rest")
	fl.BoolVar(&f.retryFailed, "retry-failed", false, "with --resume, fetch the not-ok ones again and keep only their new records")
	fl.StringVar(&f.saveDir, "save-dir", "", "save each ok body to its own file in `DIR`; records name the file instead of holding the body")
	f.addEngineFlags(fl)
	fl.Var(durationValue{&f.deadline}, "deadline", "time for the whole run; what is unfinished then is recorded as kind deadline (0 = none)")
	fl.BoolVar(&f.ordered, "ordered", false, "write records in input order (a bounded reorder window of 4×-c)")
	fl.StringVar(&f.shard, "shard", "", "keep the requests whose host falls in shard `K/N` (K from 0 to N-1)")
	fl.StringVarP(&f.method, "request", "X", "", "`METHOD` for requests that name none (default GET, POST with -d)")
	fl.StringVarP(&f.data, "data", "d", "", "send `DATA` as the body of every request (@FILE reads a file)")
	fl.BoolVar(&f.noBody, "no-body", false, "leave bodies out of the records")
	fl.BoolVar(&f.noDedup, "no-dedup", false, "fetch repeats of a request again")
	f.addOutputFlags(fl)
	fl.StringVar(&f.reportHTML, "report", "", "write a page of charts of the run to `OUT.html` at the end")
	fl.StringVar(&f.summaryJSON, "summary-json", "", "also write the summary to `FILE` as one JSON object")
	return cmd
}

// addEngineFlags registers the flags that say how requests are fetched,
// shared by fetch and work.
func (f *fetchFlags) addEngineFlags(fl *pflag.FlagSet) {
	fl.IntVarP(&f.concurrency, "concurrency", "c", gather.DefaultConcurrency, "requests in flight at once")
	fl.IntVar(&f.perHost, "per-host", 0, "requests in flight to one host (scheme, host, port) at most (0 = no cap)")
	fl.Float64Var(&f.rate, "rate", 0, "requests per second at most, retries included (0 = no cap)")
	fl.Float64Var(&f.ratePerHost, "rate-per-host", 0, "requests per second to one host at most (0 = no cap)")
	fl.IntVar(&f.retries, "retries", gather.DefaultRetries, "retries after the first attempt")
	fl.StringVar(&f.retryOn, "retry-on", gather.DefaultRetryOn, "what is retried: error kinds, statuses, ranges (500-599) or classes (5xx)")
	f.backoff, f.maxBackoff, f.timeout = gather.DefaultBackoff, gather.DefaultMaxBackoff, gather.DefaultTimeout
	fl.Var(durationValue{&f.backoff}, "backoff", "first backoff wait's upper bound (exponential, full jitter)")
	fl.Var(durationValue{&f.maxBackoff}, "max-backoff", "longest wait between attempts, Retry-After included")
	fl.Var(durationValue{&f.timeout}, "timeout", "time for one attempt, connect to last body byte (0 = none)")
	f.maxBody = gather.DefaultMaxBody
	fl.Var(sizeValue{&f.maxBody}, "max-body", "largest body read (512KB, 10MiB, ...); a larger one is too_large")
	fl.IntVar(&f.maxRedirects, "max-redirects", gather.DefaultMaxRedirects, "redirects followed (0: a redirect is a protocol error)")
	fl.BoolVar(&f.insecure, "insecure", false, "skip TLS certificate verification")
	fl.BoolVar(&f.denyPrivate, "deny-private", false, "refuse loopback, private, link-local and cloud metadata addresses, checked after DNS (for lists from untrusted hands)")
	fl.StringArrayVarP(&f.headers, "header", "H", nil, "add `'Name: value'` to every request (repeatable)")
}

// addOutputFlags registers --progress and -q.
func (f *fetchFlags) addOutputFlags(fl *pflag.FlagSet) {
	fl.StringVar(&f.progress, "progress", "auto", "progress on stderr: auto (when a terminal), always, never")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress and no summary")
}

// options turns the flags into library options, or returns a usage error
// naming the flag.
func (f *fetchFlags) options(cmd *cobra.Command) (gather.Options, input.Defaults, error) {
	var o gather.Options
	var d input.Defaults
	fl := cmd.Flags()
	if f.concurrency < 1 {
		return o, d, usageErrorf("-c/--concurrency must be at least 1, not %d", f.concurrency)
	}
	if f.retries < 0 {
		return o, d, usageErrorf("--retries must be at least 0, not %d", f.retries)
	}
	if f.maxRedirects < 0 {
		return o, d, usageErrorf("--max-redirects must be at least 0, not %d", f.maxRedirects)
	}
	if f.maxBody < 1 {
		return o, d, usageErrorf("--max-body must be at least 1 byte")
	}
	if fl.Changed("backoff") && f.backoff <= 0 {
		return o, d, usageErrorf("--backoff must be more than 0")
	}
	if fl.Changed("max-backoff") && f.maxBackoff <= 0 {
		return o, d, usageErrorf("--max-backoff must be more than 0")
	}
	if f.perHost < 0 {
		return o, d, usageErrorf("--per-host must be at least 0, not %d", f.perHost)
	}
	if f.rate < 0 || math.IsNaN(f.rate) || math.IsInf(f.rate, 0) {
		return o, d, usageErrorf("--rate must be a number of requests per second, at least 0")
	}
	if f.ratePerHost < 0 || math.IsNaN(f.ratePerHost) || math.IsInf(f.ratePerHost, 0) {
		return o, d, usageErrorf("--rate-per-host must be a number of requests per second, at least 0")
	}
	if f.shard != "" {
		sh, err := parseShard(f.shard)
		if err != nil {
			return o, d, usageErrorf("%v", err)
		}
		f.shardOf = sh
	}
	if f.resume && f.output == "" {
		return o, d, usageErrorf("--resume needs -o FILE: the records of the run to continue")
	}
	if f.resume && f.force {
		return o, d, usageErrorf("--resume and --force exclude each other: one continues -o FILE, the other overwrites it")
	}
	if f.retryFailed && !f.resume {
		return o, d, usageErrorf("--retry-failed goes with --resume")
	}
	switch f.progress {
	case "auto", "always", "never":
	default:
		return o, d, usageErrorf("--progress must be auto, always or never, not %q", f.progress)
	}
	check, err := gather.ParseRetryOn(f.retryOn)
	if err != nil {
		return o, d, usageErrorf("--retry-on: %v", err)
	}
	d, header, err := f.requestDefaults(cmd)
	if err != nil {
		return o, d, err
	}
	o = gather.Options{
		Concurrency:  f.concurrency,
		Retries:      f.retries,
		CheckRetry:   check,
		Backoff:      f.backoff,
		MaxBackoff:   f.maxBackoff,
		Timeout:      f.timeout,
		MaxBody:      f.maxBody,
		MaxRedirects: f.maxRedirects,
		Insecure:     f.insecure,
		Header:       header,
		DiscardBody:  f.noBody,
		PerHost:      f.perHost,
		Rate:         f.rate,
		RatePerHost:  f.ratePerHost,
		Deadline:     f.deadline,
		Ordered:      f.ordered,
		SaveDir:      f.saveDir,
		DenyPrivate:  f.denyPrivate,
		// The filter in front of the engine drops repeats, and counts them.
		KeepDuplicates: true,
		// On Ctrl-C, what is in flight has a moment to finish and be recorded.
		Grace: interruptGrace,
	}
	// The library reads zero as "the default" and negative as "none".
	if f.retries == 0 {
		o.Retries = -1
	}
	if f.maxRedirects == 0 {
		o.MaxRedirects = -1
	}
	if f.timeout == 0 {
		o.Timeout = -1
	}
	return o, d, nil
}

// requestDefaults reads -X, -H and -d: what every request gets unless it
// says otherwise.
func (f *fetchFlags) requestDefaults(cmd *cobra.Command) (d input.Defaults, header http.Header, err error) {
	fl := cmd.Flags()
	header, err = parseHeaders(f.headers)
	if err != nil {
		return d, nil, usageErrorf("%v", err)
	}
	if fl.Changed("data") {
		d.Body = []byte(f.data)
		if name, ok := strings.CutPrefix(f.data, "@"); ok {
			if d.Body, err = os.ReadFile(name); err != nil {
				return d, nil, newPathError("-d", "@"+name, err)
			}
		}
		d.Method = "POST"
		if header.Get("Content-Type") == "" {
			header.Set("Content-Type", "application/x-www-form-urlencoded") // as curl -d does
		}
	}
	if f.method != "" {
		probe := gather.Request{URL: "http://method.check/", Method: f.method}
		if err := probe.Validate(); err != nil {
			return d, nil, usageErrorf("-X %q is not a valid method", f.method)
		}
		d.Method = f.method
	}
	return d, header, nil
}

// interruptGrace is how long requests in flight may finish after Ctrl-C.
const interruptGrace = 2 * time.Second

func runFetch(ctx context.Context, cmd *cobra.Command, f *fetchFlags, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	opts, defaults, err := f.options(cmd)
	if err != nil {
		return err
	}
	// runCtx also ends when the run must stop for an error of its own, so
	// that a read blocked on a pipe does not hold the exit.
	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	src, err := openSources(runCtx, args, f.inputs, stdin, defaults)
	if err != nil {
		return err
	}
	defer src.close()
	if f.saveDir != "" {
		if _, err := savedir.Open(f.saveDir); err != nil {
			return newPathError("--save-dir", f.saveDir, err)
		}
	}
	out, err := f.openOutput(ctx, stdout, src)
	if err != nil {
		return err
	}
	defer out.close()

	client := gather.New(opts)
	defer client.Close()
	w := record.NewWriter(out.w, record.Options{NoBody: f.noBody}, 20*time.Millisecond)
	defer w.Close() // on a panic too: what is buffered is whole records
	halt := w.Halt
	haltOutput.Store(&halt)
	defer haltOutput.Store(nil)
	var pr *progress
	if stopProgress := f.startProgress(ctx, stderr, src, &pr); stopProgress != nil {
		defer stopProgress()
	}
	mem := startMemTuner()
	defer mem.close()
	filter := &filter{dedup: !f.noDedup, journal: out.journal, retryFailed: f.retryFailed, progress: pr, mem: mem, shard: f.shardOf}
	var stats summary.Stats
	var rep *report.Collector
	if f.reportHTML != "" {
		rep = report.New()
	}
	var saveErr *gather.SaveError
	start := time.Now()
	for res := range client.Stream(runCtx, filter.requests(src.requests())) {
		if errors.As(res.Err, &saveErr) {
			cancelRun() // the disk, not the request: stop, and leave it to --resume
			break
		}
		stats.Add(&res)
		if pr != nil {
			pr.add(&res)
		}
		if rep != nil {
			rep.AddResult(&res)
		}
		if err := w.Write(&res); err != nil {
			cancelRun()
			break
		}
	}
	werr := w.Close()
	wall := time.Since(start)
	if cerr := out.close(); werr == nil {
		werr = cerr
	}
	interrupted := ctx.Err() != nil
	if pr != nil {
		pr.finish(!interrupted)
	}
	if werr == nil && saveErr == nil && !interrupted && out.journal != nil && (out.journal.Duplicates() > 0 || filter.retried > 0) {
		// Superseded records go: one record per request again.
		if _, _, err := journal.Compact(f.output); err != nil {
			werr = err
		}
	}
	if !f.quiet {
		if out.journal != nil {
			fmt.Fprintf(stderr, "gather: resumed %s: %d requests had a record already (%d not ok), %d fetched again\n",
				f.output, filter.doneOK+filter.doneFailed, filter.doneFailed, filter.retried)
		}
		stats.Print(stderr, wall)
		if interrupted {
			f.printResumeHint(stderr, filter.passed-stats.Total)
		}
	}
	var serr error
	if f.summaryJSON != "" {
		serr = writeSummaryJSON(f.summaryJSON, stats.Report(wall))
	}
	if rep != nil {
		name := f.output
		if name == "" {
			name = "this run"
		}
		if err := writeHTMLReport(rep, f.reportHTML, []string{name}, 10); err != nil && serr == nil {
			serr = err
		}
	}
	switch {
	case werr != nil:
		if f.output == "" {
			return newPathError("", "writing records to stdout", werr)
		}
		return newPathError("-o", f.output, werr)
	case saveErr != nil:
		return newPathError("--save-dir", f.saveDir, saveErr.Err)
	case interrupted:
		return context.Cause(ctx) // before the input's error, which may be the interrupt itself
	case src.err() != nil:
		return src.err()
	case serr != nil:
		return serr
	case stats.Failed()+filter.doneFailed > 0:
		return &exitError{code: exitFailed}
	}
	return nil
}

// printResumeHint says, after an interrupt, what was left and how to finish.
func (f *fetchFlags) printResumeHint(stderr io.Writer, unfinished int64) {
	fmt.Fprintf(stderr, "gather: interrupted: %d requests read were left unfinished, with no record", unfinished)
	if f.output == "" {
		fmt.Fprintf(stderr, ".\n  To be able to resume a run, write its records to a file with -o.\n")
		return
	}
	// --force would overwrite what the run wrote, and --resume refuses it.
	argv := slices.DeleteFunc(append([]string{"gather"}, redactArgs(f.argv)...), func(a string) bool {
		return a == "--force" || strings.HasPrefix(a, "--force=")
	})
	if !f.resume {
		argv = append(argv, "--resume")
	}
	fmt.Fprintf(stderr, "; to finish the run:\n  %s\n", shellQuote(argv))
	if slices.ContainsFunc(argv, func(a string) bool { return strings.Contains(a, redacted) }) {
		fmt.Fprintf(stderr, "  (with the header values and passwords shown as %s given again)\n", redacted)
	}
}

// redacted stands for a secret in what gather prints.
const redacted = "REDACTED"

// redactArgs hides what a command line may hold of secrets: every -H value
// (Authorization, Cookie, API keys) and the password of a URL.
func redactArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		switch {
		case i > 0 && (args[i-1] == "-H" || args[i-1] == "--header"):
			a = redactHeader(a)
		case strings.HasPrefix(a, "--header="):
			a = "--header=" + redactHeader(strings.TrimPrefix(a, "--header="))
		case strings.HasPrefix(a, "-H") && len(a) > 2:
			a = "-H" + redactHeader(a[2:])
		default:
			a = redactURL(a)
		}
		out[i] = a
	}
	return out
}

func redactHeader(h string) string {
	name, _, ok := strings.Cut(h, ":")
	if !ok {
		return redacted
	}
	return name + ": " + redacted
}

// redactURL hides the password of a URL's userinfo; anything else is kept.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, has := u.User.Password(); !has {
		return s
	}
	u.User = url.UserPassword(u.User.Username(), redacted)
	return u.String()
}

// shellQuote joins args for a POSIX shell, quoting what needs it.
func shellQuote(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@,+%") == "" {
			b.WriteString(a)
			continue
		}
		b.WriteString("'" + strings.ReplaceAll(a, "'", `'\''`) + "'")
	}
	return b.String()
}

// startProgress starts the live progress line when it is wanted, and with
// it the count of the input for its total. The returned func, when not nil,
// stops the count; *pr stays nil when there is no progress.
func (f *fetchFlags) startProgress(ctx context.Context, stderr io.Writer, src *sources, pr **progress) (stop func()) {
	if *pr = f.newProgress(stderr); *pr == nil {
		return nil
	}
	p := *pr
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if n, ok := src.count(ctx); ok && f.shardOf.n <= 1 { // a shard's share is not known
			p.setTotal(n)
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// newProgress starts the live progress line when the flags and stderr
// want one; else it returns nil.
func (f *fetchFlags) newProgress(stderr io.Writer) *progress {
	show, color, force := progressStyle(f.quiet, f.progress, isTerminal(stderr), os.Getenv("NO_COLOR"))
	if !show {
		return nil
	}
	return newProgress(stderr, color, force)
}

// progressStyle decides whether progress is drawn, in colour, and forced
// onto a writer that is not a terminal. Colour needs a terminal and no
// NO_COLOR (https://no-color.org).
func progressStyle(quiet bool, mode string, tty bool, noColor string) (show, color, force bool) {
	if quiet || mode == "never" || (mode == "auto" && !tty) {
		return false, false, false
	}
	return true, tty && noColor == "", !tty
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// writeSummaryJSON writes the summary to path as one JSON object.
func writeSummaryJSON(path string, r summary.Report) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err == nil {
		err = os.WriteFile(path, append(data, '\n'), 0o644)
	}
	if err != nil {
		return newPathError("--summary-json", path, err)
	}
	return nil
}
