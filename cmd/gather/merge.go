package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/gatherdev/gather"
	"github.com/gatherdev/gather/internal/input"
	"github.com/gatherdev/gather/internal/journal"
)

func newMergeCommand(stdout, stderr io.Writer) *cobra.Command {
	var inputPath string
	var force bool
	cmd := &cobra.Command{
		Use:   "merge OUT IN... [--input FILE]",
		Short: "Join the outputs of shards into one file, one record per request",
		Long: `Join record files (the outputs of gather fetch --shard K/N, of several
machines, or of runs resumed elsewhere) into OUT, keeping one record per
request: the first met. With --input, check that every request of the input
has a record: exit 1, naming how many have none, when some do not.`,
		Example: `  for k in 0 1 2 3; do gather fetch -i urls.txt --shard $k/4 -o part-$k.jsonl & done; wait
  gather merge all.jsonl part-*.jsonl --input urls.txt`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runMerge(args[0], args[1:], inputPath, force, stderr)
		},
	}
	cmd.Flags().StringVar(&inputPath, "input", "", "check the result against the requests of `FILE`")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite a non-empty OUT")
	return cmd
}

func runMerge(outPath string, ins []string, inputPath string, force bool, stderr io.Writer) error {
	for _, in := range ins {
		if sameFile(in, outPath) {
			return usageErrorf("OUT %s is also one of the files to merge", outPath)
		}
	}
	if fi, err := os.Stat(outPath); err == nil && fi.Size() > 0 && !force {
		return &exitError{code: exitUsage, err: &pathError{path: outPath, err: errors.New("exists and is not empty (--force overwrites it)")}}
	}
	tmp, err := os.CreateTemp(filepath.Dir(outPath), ".gather-merge-*")
	if err != nil {
		return newPathError("", outPath, err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	w := bufio.NewWriterSize(tmp, 256<<10)

	var seen gather.FingerprintSet
	var records, duplicates, torn int64
	for _, in := range ins {
		n, d, t, err := mergeFile(in, w, &seen)
		if err != nil {
			tmp.Close()
			return err
		}
		records, duplicates, torn = records+n, duplicates+d, torn+t
	}
	err = w.Flush()
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return newPathError("", outPath, err)
	}
	if err := os.Rename(tmp.Name(), outPath); err != nil {
		return newPathError("", outPath, err)
	}
	fmt.Fprintf(stderr, "gather merge: %d records from %d files into %s; %d repeated records dropped", records, len(ins), outPath, duplicates)
	if torn > 0 {
		fmt.Fprintf(stderr, "; %d torn last lines left out (their requests have no record)", torn)
	}
	fmt.Fprintln(stderr)
	if inputPath == "" {
		return nil
	}
	total, missing, err := checkGaps(inputPath, &seen)
	if err != nil {
		return err
	}
	if missing > 0 {
		fmt.Fprintf(stderr, "gather merge: %d of the %d requests of %s have no record: a shard is missing or unfinished (gather fetch --resume finishes it)\n", missing, total, inputPath)
		return &exitError{code: exitFailed}
	}
	fmt.Fprintf(stderr, "gather merge: every one of the %d requests of %s has its record\n", total, inputPath)
	return nil
}

// mergeFile copies the records of path whose request is not in seen yet.
func mergeFile(path string, w io.Writer, seen *gather.FingerprintSet) (records, duplicates, torn int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, 0, newPathError("", path, err)
	}
	defer f.Close()
	var werr error
	wasTorn, err := journal.Each(f, func(_ int64, line []byte, key gather.Fingerprint) error {
		if !seen.Add(key) {
			duplicates++
			return nil
		}
		records++
		_, werr = w.Write(line)
		return werr
	})
	switch {
	case werr != nil:
		return 0, 0, 0, werr
	case err != nil:
		return 0, 0, 0, &exitError{code: exitUsage, err: fmt.Errorf("%s: %w", path, err)}
	case wasTorn:
		torn = 1 // a crash's last line: its request has no record
	}
	return records, duplicates, torn, nil
}

// checkGaps counts the requests of the input file that have no record.
func checkGaps(path string, seen *gather.FingerprintSet) (total, missing int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, newPathError("--input", path, err)
	}
	defer f.Close()
	var counted gather.FingerprintSet
	r := input.NewReader(f, input.Defaults{})
	for req := range r.All() {
		fp := req.Fingerprint()
		if !counted.Add(fp) {
			continue // a repeat has the record of its first
		}
		total++
		if !seen.Has(fp) {
			missing++
		}
	}
	if err := r.Err(); err != nil {
		return 0, 0, newPathError("--input", path, err)
	}
	return total, missing, nil
}

func sameFile(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}
