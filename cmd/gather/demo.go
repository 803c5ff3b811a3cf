package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatherdev/gather"
	"github.com/gatherdev/gather/gathertest"
)

// demoFetchFlags are the flags of the demo's larger run, shown to the user
// as the command that repeats it on their own list.
var demoFetchFlags = []string{"-c", "100", "--timeout", "2s", "--retries", "2", "--backoff", "100ms"}

func newDemoCommand(stdout, stderr io.Writer) *cobra.Command {
	var requests int
	var progressMode string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Show what gather does, on a built-in test server (no network needed)",
		Long: `Start the built-in test server on a free loopback port and show:
1. the asyncio lesson: 10 requests of 0.5 s each, one after another and
   then concurrently;
2. a larger run with faults mixed in (flaky 503s, resets, 404s, a 429 with
   Retry-After, hanging requests), with progress and the summary;
3. where the records went, and the command for your own list.
Everything it writes goes to a temporary directory that it removes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if requests < 100 {
				return usageErrorf("--requests must be at least 100, not %d", requests)
			}
			return runDemo(cmd.Context(), requests, progressMode, stdout, stderr)
		},
	}
	cmd.Flags().IntVar(&requests, "requests", 3000, "requests in the larger run")
	cmd.Flags().StringVar(&progressMode, "progress", "auto", "progress for the larger run: auto, always, never")
	return cmd
}

func runDemo(ctx context.Context, requests int, progressMode string, stdout, stderr io.Writer) error {
	srv, err := gathertest.Start("127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("starting the test server: %w", err)
	}
	defer srv.Close()
	dir, err := os.MkdirTemp("", "gather-demo-")
	if err != nil {
		return fmt.Errorf("making a temporary directory: %w", err)
	}
	defer os.RemoveAll(dir)

	fmt.Fprintf(stdout, "gather demo: a test server is running on %s\n\n", srv.URL)
	if err := demoLesson(ctx, srv.URL, stdout); err != nil {
		return err
	}

	list := filepath.Join(dir, "urls.txt")
	records := filepath.Join(dir, "records.jsonl")
	if err := os.WriteFile(list, []byte(demoList(srv.URL, requests)), 0o644); err != nil {
		return fmt.Errorf("writing the demo's URL list: %w", err)
	}
	fmt.Fprintf(stdout, "2. A larger run: %d requests with faults mixed in: flaky 503s that succeed on\n", requests)
	fmt.Fprintf(stdout, "   retry, connection resets, 404s (never retried), a 429 with Retry-After,\n")
	fmt.Fprintf(stdout, "   requests that hang until the timeout, and a few lines that are not URLs.\n\n")
	args := append([]string{"-i", list, "-o", records, "--progress", progressMode}, demoFetchFlags...)
	fetch := newFetchCommand(append([]string{"fetch"}, args...), strings.NewReader(""), stdout, stderr)
	fetch.SilenceUsage, fetch.SilenceErrors = true, true
	fetch.SetArgs(args)
	fetch.SetOut(stdout)
	fetch.SetErr(stderr)
	err = fetch.ExecuteContext(ctx)
	if code := exitCode(err); code != exitOK && code != exitFailed {
		return err // interrupted, or the run could not be made; some records not ok is the point
	}

	fmt.Fprintf(stdout, "\n3. The records, one JSON object per request, went to %s\n", records)
	if err := showSamples(stdout, records); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\n   (the demo removes that directory now.) To do the same with your own list:\n\n")
	fmt.Fprintf(stdout, "     gather fetch -i urls.txt -o records.jsonl %s\n\n", strings.Join(demoFetchFlags, " "))
	fmt.Fprintf(stdout, "   'gather serve' runs this test server on a port of its own; 'gather help fetch' has every flag.\n")
	return nil
}

// demoLesson fetches 10 requests of 0.5 s one after another and then all at
// once, and prints the comparison.
func demoLesson(ctx context.Context, base string, stdout io.Writer) error {
	fmt.Fprintf(stdout, "1. The asyncio lesson: 10 requests that each take 0.5 s on the server.\n\n")
	reqs := make([]gather.Request, 10)
	type row struct {
		name string
		c    int
		ok   int
		wall time.Duration
	}
	rows := []row{{name: "one after another", c: 1}, {name: "concurrently", c: 10}}
	for i := range rows {
		for j := range reqs {
			// A distinct query per run keeps the two runs' requests apart.
			reqs[j] = gather.Request{URL: fmt.Sprintf("%s/delay/500?run=%d&n=%d", base, i, j)}
		}
		client := gather.New(gather.Options{Concurrency: rows[i].c})
		start := time.Now()
		results := client.FetchAll(ctx, reqs)
		rows[i].wall = time.Since(start)
		client.Close()
		if err := context.Cause(ctx); err != nil {
			return err
		}
		for _, r := range results {
			if r.OK() {
				rows[i].ok++
			}
		}
	}
	fmt.Fprintf(stdout, "   %-19s %-6s %s\n", "", "ok", "wall time")
	for _, r := range rows {
		fmt.Fprintf(stdout, "   %-19s %2d/10  %5.2f s\n", r.name, r.ok, r.wall.Seconds())
	}
	speedup := rows[0].wall.Seconds() / rows[1].wall.Seconds()
	fmt.Fprintf(stdout, "   %-19s        %5.1f× faster (gather fetch -c 10)\n\n", "speed-up", speedup)
	return nil
}

// demoList is the larger run's input: mostly good requests, with each kind
// of fault mixed in at a steady rate.
func demoList(base string, n int) string {
	var b strings.Builder
	b.WriteString("# gather demo: one request per line; # starts a comment\n")
	for i := range n {
		switch {
		case i == n/2:
			fmt.Fprintf(&b, "%s/ratelimit/1?n=%d\n", base, i) // 429 + Retry-After: 1, then 200
		case i%500 == 250:
			fmt.Fprintf(&b, "%s/hang?n=%d\n", base, i) // times out on every attempt
		case i%500 == 499:
			fmt.Fprintf(&b, "not a url %d\n", i) // an invalid line: a record, and the run goes on
		case i%50 == 7:
			fmt.Fprintf(&b, "%s/flaky/1?n=%d\n", base, i) // 503 once, then 200
		case i%50 == 17:
			fmt.Fprintf(&b, "%s/reset/1?n=%d\n", base, i) // connection reset once, then 200
		case i%50 == 27:
			fmt.Fprintf(&b, "%s/status/404?n=%d\n", base, i) // final at once
		case i%50 == 37:
			fmt.Fprintf(&b, `{"url": "%s/echo?n=%d", "method": "POST", "body": "hello", "id": "post-%d"}`+"\n", base, i, i)
		case i%3 == 0:
			fmt.Fprintf(&b, "%s/delay/%d?n=%d\n", base, 10+i%90, i)
		default:
			fmt.Fprintf(&b, "%s/json?size=%d&n=%d\n", base, 200+i%800, i)
		}
	}
	return b.String()
}

// showSamples prints one record of each outcome, cut to fit a line.
func showSamples(stdout io.Writer, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading the demo's records: %w", err)
	}
	seen := map[string]bool{}
	for line := range strings.Lines(string(data)) {
		var rec struct {
			OK    bool `json:"ok"`
			Error *struct {
				Kind string `json:"kind"`
			} `json:"error"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			return fmt.Errorf("the demo wrote a record that is not JSON: %w", err)
		}
		kind := "ok"
		switch {
		case rec.Error != nil:
			kind = rec.Error.Kind
		case !rec.OK:
			kind = "not ok"
		}
		if seen[kind] {
			continue
		}
		seen[kind] = true
		line = strings.TrimSpace(line)
		if len(line) > 110 {
			line = gather.CutUTF8(line, 107) + "..."
		}
		fmt.Fprintf(stdout, "   %-10s %s\n", kind+":", line)
	}
	return nil
}
