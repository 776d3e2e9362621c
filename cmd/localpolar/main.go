// Command localpolar serves a local Polar meters API, for demos and manual
// testing of the provider without a Polar account.
//
//	localpolar -addr 127.0.0.1:8787 [-rate-limit N -rate-window D] [-latency D]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/polar-terraform/terraform-provider-polar/internal/localpolar"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8787", "address to listen on")
	rateLimit := flag.Int("rate-limit", 0, "requests admitted per token and window (0: unlimited)")
	rateWindow := flag.Duration("rate-window", time.Minute, "length of a rate-limit window")
	latency := flag.Duration("latency", 0, "delay added before every response")
	printToken := flag.Bool("print-token", false, "print the token the server accepts, and exit")
	flag.Parse()

	if *printToken {
		fmt.Println(localpolar.DefaultToken)
		return
	}

	if err := run(*addr, *rateLimit, *rateWindow, *latency); err != nil {
		log.Fatal(err)
	}
}

func run(addr string, rateLimit int, rateWindow, latency time.Duration) error {
	polar := localpolar.New(localpolar.Options{})
	polar.SetRateLimit(rateLimit, rateWindow)
	polar.SetLatency(latency)

	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	server := &http.Server{Handler: polar, ReadHeaderTimeout: 10 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	shutdownErr := make(chan error, 1)
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shutdownErr <- server.Shutdown(shutdownCtx)
	}()

	fmt.Printf("localpolar: serving the Polar meters API on http://%s (authenticate with \"Authorization: Bearer %s\")\n",
		listener.Addr(), localpolar.DefaultToken)
	if err := server.Serve(listener); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return <-shutdownErr
}
