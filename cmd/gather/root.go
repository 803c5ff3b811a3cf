package main

import (
	"fmt"
	"io"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/gatherdev/gather"
)

func newRootCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "gather",
		Short: "Fetch large lists of HTTP requests concurrently and reliably",
		Long: `gather fetches large lists of HTTP requests concurrently and reliably,
and writes one JSON record per request.

  gather fetch -i urls.txt -o records.jsonl`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exitError{code: exitUsage, err: err}
	})
	root.AddCommand(
		newFetchCommand(args, stdin, stdout, stderr),
		newServeCommand(stdout, stderr),
		newDemoCommand(stdout, stderr),
		newMergeCommand(stdout, stderr),
		newSubmitCommand(stdin, stderr),
		newWorkCommand(stderr),
		newCollectCommand(stdout, stderr),
		newReportCommand(stdin, stdout),
		newVersionCommand(stdout),
	)
	return root
}

func newVersionCommand(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print gather's version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(stdout, "gather %s (%s %s/%s)\n", gather.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}
