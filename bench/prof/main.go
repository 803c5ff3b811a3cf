// Command prof runs gather fetch's pipeline (input reader, Stream, record
// writer) under the Go profilers, to find where a bench run's time goes:
//
//	go build -o prof ./bench/prof
//	./prof -i urls.txt -c 100 -n 3 -cpuprofile cpu.out
//	go tool pprof -top -cum prof cpu.out
//
// It prints each run's phases and, at the end, the CPU time a request.
// It is not the command: no progress, summary, journal or memory tuner.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"syscall"
	"time"

	"github.com/gatherdev/gather"
	"github.com/gatherdev/gather/internal/input"
	"github.com/gatherdev/gather/internal/record"
)

func main() {
	in := flag.String("i", "", "input `FILE`, one URL a line")
	out := flag.String("o", os.DevNull, "records to `FILE`")
	conc := flag.Int("c", 100, "concurrency")
	rounds := flag.Int("n", 1, "runs of the input, one client each")
	cpu := flag.String("cpuprofile", "", "write a CPU profile to `FILE`")
	allocs := flag.String("memprofile", "", "write an allocation profile to `FILE`")
	heap := flag.String("heapprofile", "", "write a profile of the heap in use at -heapat to `FILE`")
	heapAt := flag.Duration("heapat", 300*time.Millisecond, "when to write -heapprofile, from the start")
	tr := flag.String("trace", "", "write an execution trace to `FILE`")
	noClose := flag.Bool("noclose", false, "leave the client's connections open at the end")
	flag.Parse()
	if *in == "" {
		log.Fatal("prof: -i FILE is required")
	}

	if *allocs != "" || *heap != "" {
		runtime.MemProfileRate = 512
	}
	if *cpu != "" {
		stop := start(*cpu, func(f *os.File) error { return pprof.StartCPUProfile(f) }, pprof.StopCPUProfile)
		defer stop()
	}
	if *tr != "" {
		stop := start(*tr, func(f *os.File) error { return trace.Start(f) }, trace.Stop)
		defer stop()
	}
	if *heap != "" {
		time.AfterFunc(*heapAt, func() { writeProfile("heap", *heap) })
	}
	var total int
	for range *rounds {
		n, err := run(*in, *out, *conc, !*noClose)
		if err != nil {
			log.Fatal(err)
		}
		total += n
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	user, sys := time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
	fmt.Fprintf(os.Stderr, "cpu %v: %.2f µs a request (user %v, sys %v)\n",
		user+sys, float64((user+sys).Microseconds())/float64(max(total, 1)), user, sys)
	if *allocs != "" {
		writeProfile("allocs", *allocs)
	}
}

// start opens name and starts a profile or trace into it; the function it
// returns stops it.
func start(name string, begin func(*os.File) error, end func()) func() {
	f, err := os.Create(name)
	if err != nil {
		log.Fatal(err)
	}
	if err := begin(f); err != nil {
		log.Fatal(err)
	}
	return func() {
		end()
		f.Close()
	}
}

// writeProfile writes a profile after a collection, so that it is current.
func writeProfile(profile, name string) {
	runtime.GC()
	f, err := os.Create(name)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup(profile).WriteTo(f, 0); err != nil {
		log.Fatal(err)
	}
}

func run(in, out string, conc int, closeClient bool) (int, error) {
	src, err := os.Open(in)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	dst, err := os.Create(out)
	if err != nil {
		return 0, err
	}
	defer dst.Close()
	r := input.NewReader(src, input.Defaults{})
	c := gather.New(gather.Options{Concurrency: conc, Retries: -1, KeepDuplicates: true})
	w := record.NewWriter(dst, record.Options{}, 20*time.Millisecond)
	begin := time.Now()
	n, ok := 0, 0
	for res := range c.Stream(context.Background(), r.All()) {
		n++
		if res.OK() {
			ok++
		}
		if err := w.Write(&res); err != nil {
			return 0, err
		}
	}
	streamed := time.Since(begin)
	if err := w.Close(); err != nil {
		return 0, err
	}
	written := time.Since(begin)
	if closeClient {
		c.Close()
	}
	fmt.Fprintf(os.Stderr, "%d results, %d ok: stream %v, records closed %v, client closed %v\n",
		n, ok, streamed, written, time.Since(begin))
	return n, nil
}
