package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gatherdev/gather/internal/report"
)

func newReportCommand(stdin io.Reader, stdout io.Writer) *cobra.Command {
	var asJSON bool
	var top int
	var htmlPath string
	cmd := &cobra.Command{
		Use:   "report [FILE...]",
		Short: "Sum up a run from its records: outcomes, latency, hosts",
		Long: `Sum up a run from its records files (gzip accepted; stdin when none;
several files are one run, e.g. resumed or merged shards): outcomes, error
kinds, statuses, retries, latency quantiles, bytes, requests per second over
the run's span, and the hosts with the most requests.`,
		Example: `  gather report records.jsonl
  gather report --json --top 20 part-*.jsonl`,
		RunE: func(cmd *cobra.Command, files []string) error {
			if top < 0 {
				return usageErrorf("--top must be at least 0, not %d", top)
			}
			c := report.New()
			if len(files) == 0 {
				if isTerminal(stdin) {
					return usageErrorf("no records: give FILE arguments, or pipe records on stdin")
				}
				if err := c.Read(stdin, "stdin"); err != nil {
					return &exitError{code: exitUsage, err: err}
				}
			}
			for _, name := range files {
				f, err := os.Open(name)
				if err != nil {
					return newPathError("", name, err)
				}
				err = c.Read(f, name)
				f.Close()
				if err != nil {
					return &exitError{code: exitUsage, err: err}
				}
			}
			if htmlPath != "" {
				if err := writeHTMLReport(c, htmlPath, files, top); err != nil {
					return err
				}
			}
			r := c.Report(top)
			if asJSON {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(r)
			}
			r.Text(stdout)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as one JSON object")
	cmd.Flags().IntVar(&top, "top", 10, "hosts in the table (0: all)")
	cmd.Flags().StringVar(&htmlPath, "html", "", "also write a self-contained page of charts to `OUT.html`")
	return cmd
}

// writeHTMLReport writes the page of charts to path, atomically enough for
// a report: a failed write leaves no half page behind.
func writeHTMLReport(c *report.Collector, path string, sources []string, top int) error {
	if path == "" {
		return nil
	}
	title := "gather report"
	if len(sources) > 0 {
		title += ": " + strings.Join(sources, ", ")
	}
	var b bytes.Buffer
	if err := c.WriteHTML(&b, title, top); err != nil {
		return err
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		os.Remove(path)
		return newPathError("", path, err)
	}
	return nil
}
