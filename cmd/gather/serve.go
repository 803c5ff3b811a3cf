package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatherdev/gather/gathertest"
)

func newServeCommand(stdout, stderr io.Writer) *cobra.Command {
	var addr string
	var verbose bool
	cmd := &cobra.Command{
		Use:   "serve [--addr 127.0.0.1:8080]",
		Short: "Run the built-in test server on a real port",
		Long: `Run the built-in test server (package gathertest) on a real port, until
Ctrl-C or SIGTERM. Its endpoints:

  /delay/{ms}        200 after ms milliseconds
  /status/{code}     that status
  /json?size=N       a JSON document of about N bytes
  /bytes/{n}         exactly n bytes of binary
  /flaky/{n}         503 for the first n hits of each distinct URL, then 200
  /reset/{n}         drops the connection the first n hits, then 200
  /ratelimit/{secs}  429 + Retry-After: secs on the first hit, then 200
  /hang              never answers
  /drip              headers, then a slow body (?bytes=N&interval_ms=M)
  /redirect/{n}      n redirects, then 200
  /echo              the request's method, headers and body as JSON

Add any query to make URLs distinct, e.g. /flaky/2?id=7.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var opts []gathertest.Option
			if verbose {
				opts = append(opts, gathertest.WithLog(stderr))
			}
			srv, err := gathertest.Start(addr, opts...)
			if err != nil {
				return &exitError{code: exitUsage, err: fmt.Errorf("--addr: %w", err)}
			}
			fmt.Fprintf(stdout, "gather test server on %s (Ctrl-C stops it)\n", srv.URL)
			<-cmd.Context().Done()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil {
				srv.Close()
			}
			fmt.Fprintln(stderr, "gather serve: stopped")
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "`HOST:PORT` to listen on (port 0 picks a free one)")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "log one line per request on stderr")
	return cmd
}
