// Command localpolar serves a local Polar meters API, for the demo, for
// practising with the provider, and for manual testing without a Polar
// account. Meters live in memory unless -state names a file to keep them in.
//
//	localpolar [-addr 127.0.0.1:8787] [-state FILE] [-seed FILE] [-rate-limit N] [-rate-window D]
//	           [-pending-rate-limit N] [-latency D] [-clock-offset D]
//	localpolar -print-token
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/polar-terraform/terraform-provider-polar/internal/localpolar"
)

// config is what the flags set.
type config struct {
	addr             string
	state            string
	seed             string
	rateLimit        int
	rateWindow       time.Duration
	pendingRateLimit int
	latency          time.Duration
	clockOffset      time.Duration
}

func main() {
	var cfg config
	flags := flag.NewFlagSet("localpolar", flag.ExitOnError)
	flags.StringVar(&cfg.addr, "addr", "127.0.0.1:8787", "address to listen on")
	flags.StringVar(&cfg.state, "state", "", "JSON file the meters persist in across restarts: loaded at start when it exists, saved after each change (default: memory only)")
	flags.StringVar(&cfg.seed, "seed", "", "JSON array of meters as GET /v1/meters/{id} returns them (e.g. made in Polar's dashboard), loaded at start; a meter also in -state keeps the state's copy")
	flags.IntVar(&cfg.rateLimit, "rate-limit", 0, "requests admitted per organization (or user, or address without a token) and window (0: unlimited)")
	flags.DurationVar(&cfg.rateWindow, "rate-window", time.Minute, "length of a rate-limit window")
	flags.IntVar(&cfg.pendingRateLimit, "pending-rate-limit", localpolar.PolarPendingRateLimit, "requests admitted per window from a token not authenticated in the last 300 s, as Polar counts them (0: off)")
	flags.DurationVar(&cfg.latency, "latency", 0, "delay added before every response")
	flags.DurationVar(&cfg.clockOffset, "clock-offset", 0, "how far Polar's clock runs from this machine's, e.g. -90s")
	printToken := flags.Bool("print-token", false, "print the token the server accepts, and exit")
	flags.Usage = func() {
		fmt.Fprint(flags.Output(), usage)
		flags.PrintDefaults()
	}
	_ = flags.Parse(os.Args[1:]) // ExitOnError

	if *printToken {
		fmt.Println(localpolar.DefaultToken)
		return
	}
	if err := run(cfg, os.Stdout); err != nil {
		log.Fatal("localpolar: ", err)
	}
}

const usage = `localpolar serves Polar's meters API (as https://api.polar.sh/v1/meters/) on this machine,
accepting the token that -print-token prints. Meters live in memory only and are lost when it
stops, unless -state names a file to keep them in.

Usage: localpolar [flags]

`

// run serves until interrupted, after printing what a user needs to point
// the provider at it.
func run(cfg config, stdout io.Writer) error {
	handler, loaded, err := newHandler(cfg)
	if err != nil {
		return err
	}
	listener, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	server := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	shutdownErr := make(chan error, 1)
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shutdownErr <- server.Shutdown(shutdownCtx)
	}()

	fmt.Fprint(stdout, banner(cfg, "http://"+listener.Addr().String(), loaded))
	if err := server.Serve(listener); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return <-shutdownErr
}

// banner says where meters live and prints the environment the provider reads.
func banner(cfg config, url string, loaded int) string {
	storage := "kept in memory only, lost when localpolar stops (-state FILE keeps them)"
	if cfg.state != "" {
		storage = "persisted in " + cfg.state
	}
	return fmt.Sprintf("localpolar: serving Polar's meters API at %s: %d meters, %s\n"+
		"localpolar: point the provider at it with:\n"+
		"export POLAR_SERVER_URL=%s\n"+
		"export POLAR_ACCESS_TOKEN=%s\n",
		url, loaded, storage, url, localpolar.DefaultToken)
}

// newHandler makes the server the flags describe, with the seed's and the
// state's meters loaded, and returns it with the number of meters it holds.
func newHandler(cfg config) (http.Handler, int, error) {
	polar := localpolar.New(localpolar.Options{})
	polar.SetRateLimit(cfg.rateLimit, cfg.rateWindow)
	polar.SetPendingRateLimit(cfg.pendingRateLimit)
	polar.SetLatency(cfg.latency)
	polar.SetClockOffset(cfg.clockOffset)
	if cfg.seed != "" {
		if err := loadMeters(polar, cfg.seed); err != nil {
			return nil, 0, err
		}
	}
	if cfg.state == "" {
		return polar, len(polar.MeterIDs()), nil
	}
	err := loadMeters(polar, cfg.state)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, 0, err
	}
	store := &persistence{polar: polar, path: cfg.state}
	if err := store.save(); err != nil {
		return nil, 0, err
	}
	return store, len(polar.MeterIDs()), nil
}

// loadMeters stores the meters of a JSON file.
func loadMeters(polar *localpolar.Server, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if _, err := polar.PutMeters(data); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
