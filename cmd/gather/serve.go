package main

import (
	"io"

	"github.com/spf13/cobra"
)

func newServeCommand(stdout, stderr io.Writer) *cobra.Command {
	return &cobra.Command{Use: "serve", Short: "Run the built-in test server", RunE: func(*cobra.Command, []string) error { return nil }}
}
