package polar

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// failFirst answers the first `failures` requests with status, the next ones with success.
func failFirst(failures, status, success int) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, r *http.Request, n int) {
		if n <= failures {
			respond(w, status, `{"detail":"try again"}`)
			return
		}
		respond(w, success, meterJSON(r))
	}
}

var anyMeter = MeterCreate{Name: "abc", Filter: Filter{Conjunction: ConjunctionAnd}, Aggregation: Aggregation{Func: AggregationCount}}

func TestRateLimitWaitsForRetryAfter(t *testing.T) {
	fake := startFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			w.Header().Set("Retry-After", "60")
			w.WriteHeader(http.StatusTooManyRequests) // Polar's 429 has an empty body
			return
		}
		respond(w, http.StatusOK, meterJSON(r))
	})
	clk := newFakeClock()
	if _, err := withClock(fake.client(t, func(cfg *Config) { cfg.Retry.MaxElapsed = time.Hour }), clk).GetMeter(context.Background(), "m1"); err != nil {
		t.Fatal(err)
	}
	if waits := clk.waits(); len(waits) != 1 || waits[0] != time.Minute {
		t.Errorf("waited %v, want the 60s of Retry-After", waits)
	}
	if n := len(fake.requests()); n != 2 {
		t.Errorf("%d requests", n)
	}
}

func TestRetriesByMethodAndStatus(t *testing.T) {
	ctx := context.Background()
	get := func(c *Client) error { _, err := c.GetMeter(ctx, "m1"); return err }
	patch := func(c *Client) error {
		_, err := c.UpdateMeter(ctx, "m1", MeterUpdate{Name: ptr("Renamed")})
		return err
	}
	post := func(c *Client) error { _, err := c.CreateMeter(ctx, anyMeter); return err }
	list := func(c *Client) error { _, err := c.ListMeters(ctx, ListMetersParams{}); return err }

	tests := []struct {
		name         string
		call         func(*Client) error
		answer       func(http.ResponseWriter, *http.Request, int)
		requests     int
		kind         ErrorKind // 0: success
		maybeApplied bool
	}{
		{"GET retried after two 502s", get, failFirst(2, 502, 200), 3, 0, false},
		{"list retried after a 500", list, func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 1 {
				respond(w, 500, "")
				return
			}
			pagedMeters(t, 3)(w, r, n)
		}, 2, 0, false},
		{"PATCH retried after a 503", patch, failFirst(1, 503, 200), 2, 0, false},
		{"POST not retried after a 502", post, failFirst(1, 502, 201), 1, KindServer, true},
		{"POST retried after a 429", post, failFirst(1, 429, 201), 2, 0, false},
		{"PATCH retried after a 429", patch, failFirst(2, 429, 200), 3, 0, false},
		{"GET not retried after a 404", get, failFirst(1, 404, 200), 1, KindNotFound, false},
		{"PATCH not retried after a 422", patch, failFirst(1, 422, 200), 1, KindValidation, false},
		{"POST not retried after a 401", post, failFirst(1, 401, 201), 1, KindUnauthorized, false},
		{"GET not retried after a 403", get, failFirst(1, 403, 200), 1, KindForbidden, false},
		{"PATCH not retried after a 400", patch, failFirst(1, 400, 200), 1, KindUnexpected, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := startFake(t, tt.answer)
			err := tt.call(fake.client(t))
			if n := len(fake.requests()); n != tt.requests {
				t.Errorf("%d requests, want %d", n, tt.requests)
			}
			if tt.kind == 0 {
				if err != nil {
					t.Errorf("got %v", err)
				}
				return
			}
			apiErr, ok := AsAPIError(err)
			if !ok || apiErr.Kind != tt.kind || apiErr.MaybeApplied != tt.maybeApplied || apiErr.Attempts != tt.requests {
				t.Errorf("got %#v, want kind %v maybe applied %v", err, tt.kind, tt.maybeApplied)
			}
		})
	}
}

func TestRetriedRequestsResendTheSameBody(t *testing.T) {
	fake := startFake(t, failFirst(2, 503, 200))
	if _, err := fake.client(t).UpdateMeter(context.Background(), "m1", MeterUpdate{Name: ptr("Renamed")}); err != nil {
		t.Fatal(err)
	}
	for _, r := range fake.requests() {
		if r.Body != `{"name":"Renamed"}` || r.ContentLength != int64(len(r.Body)) {
			t.Errorf("attempt sent %q with Content-Length %d", r.Body, r.ContentLength)
		}
	}
}

// refusedAddress returns an address nothing listens on.
func refusedAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// refusingFirstDials returns an HTTP client whose first `refusals` dials go to an address that
// refuses connections, and later ones to the real address.
func refusingFirstDials(t *testing.T, refusals int32) *http.Client {
	refused := refusedAddress(t)
	var dials atomic.Int32
	var dialer net.Dialer
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if dials.Add(1) <= refusals {
				addr = refused
			}
			return dialer.DialContext(ctx, network, addr)
		},
	}}
}

func TestPostIsRetriedWhenTheConnectionWasRefused(t *testing.T) {
	fake := startFake(t, answerMeter(http.StatusCreated))
	c := fake.client(t, func(cfg *Config) { cfg.HTTPClient = refusingFirstDials(t, 2) })
	if _, err := c.CreateMeter(context.Background(), anyMeter); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.requests()); n != 1 {
		t.Errorf("%d requests reached the server", n)
	}
}

func TestPostGivesUpOnARefusedConnectionWithoutMaybeApplied(t *testing.T) {
	c, err := NewClient(Config{
		BaseURL: "http://" + refusedAddress(t), Token: testToken,
		Retry: RetryPolicy{MaxElapsed: 50 * time.Millisecond, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = withClock(c, newFakeClock()).CreateMeter(context.Background(), anyMeter)
	apiErr, ok := AsAPIError(err)
	if !ok || apiErr.Kind != KindNetwork || apiErr.MaybeApplied || apiErr.Attempts < 2 || apiErr.StatusCode != 0 {
		t.Fatalf("got %#v", err)
	}
	if !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "gave up after") {
		t.Errorf("Error() = %s", err)
	}
}

// dropAfterReading reads the request, then closes the connection without answering.
func dropAfterReading(w http.ResponseWriter, _ *http.Request, _ int) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

// resetAfterReading reads the request, then resets the connection (a *net.OpError "read" on the client).
func resetAfterReading(w http.ResponseWriter, _ *http.Request, _ int) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		_ = conn.(*net.TCPConn).SetLinger(0)
		conn.Close()
	}
}

func TestPostIsNotRetriedWhenTheConnectionDropsAfterSending(t *testing.T) {
	for name, drop := range map[string]func(http.ResponseWriter, *http.Request, int){"closed": dropAfterReading, "reset": resetAfterReading} {
		t.Run(name, func(t *testing.T) {
			fake := startFake(t, drop)
			_, err := fake.client(t).CreateMeter(context.Background(), anyMeter)
			apiErr, ok := AsAPIError(err)
			if !ok || apiErr.Kind != KindNetwork || !apiErr.MaybeApplied {
				t.Fatalf("got %#v", err)
			}
			if n := len(fake.requests()); n != 1 {
				t.Errorf("%d requests", n)
			}
			if !strings.Contains(err.Error(), "may have been applied") {
				t.Errorf("Error() = %s", err)
			}
		})
	}
}

func TestGetIsRetriedWhenTheConnectionDrops(t *testing.T) {
	fake := startFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			dropAfterReading(w, r, n)
			return
		}
		respond(w, http.StatusOK, meterJSON(r))
	})
	if _, err := fake.client(t).GetMeter(context.Background(), "m1"); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.requests()); n != 2 {
		t.Errorf("%d requests", n)
	}
}

func TestPostIsNotRetriedAfterATimeout(t *testing.T) {
	fake := startFake(t, func(_ http.ResponseWriter, r *http.Request, _ int) { <-r.Context().Done() }) // answers never
	c := fake.client(t, func(cfg *Config) { cfg.HTTPClient = &http.Client{Timeout: 50 * time.Millisecond} })
	_, err := c.CreateMeter(context.Background(), anyMeter)
	apiErr, ok := AsAPIError(err)
	if !ok || apiErr.Kind != KindNetwork || !apiErr.MaybeApplied {
		t.Fatalf("got %#v", err)
	}
	if n := len(fake.requests()); n != 1 {
		t.Errorf("%d requests", n)
	}
}

func TestCancellingDuringAWaitReturnsAtOnce(t *testing.T) {
	fake := startFake(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	clk := newFakeClock()
	clk.sleeping = make(chan time.Duration)
	c := withClock(fake.client(t, func(cfg *Config) { cfg.Retry.MaxElapsed = time.Hour }), clk)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-clk.sleeping
		cancel()
	}()
	_, err := c.GetMeter(ctx, "m1")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want it to wrap context.Canceled", err)
	}
	const want = "polar: GET /v1/meters/m1: 429 Too Many Requests; gave up after 1 attempt: attempt 2 was not sent: context canceled"
	if err == nil || err.Error() != want {
		t.Errorf("Error():\n got %v\nwant %s", err, want)
	}
	if n := len(fake.requests()); n != 1 {
		t.Errorf("%d requests", n)
	}
}

func TestCancellingDuringARequestStopsWithoutRetrying(t *testing.T) {
	arrived := make(chan struct{})
	fake := startFake(t, func(_ http.ResponseWriter, r *http.Request, _ int) {
		close(arrived)
		<-r.Context().Done()
	})
	logger := &recordingLogger{}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	_, err := fake.client(t, func(cfg *Config) { cfg.Logger = logger }).GetMeter(ctx, "m1")
	if !errors.Is(err, context.Canceled) || len(fake.requests()) != 1 {
		t.Fatalf("got %v after %d requests", err, len(fake.requests()))
	}
	if want := "polar: GET /v1/meters/m1: network error: context canceled"; err.Error() != want {
		t.Errorf("Error():\n got %s\nwant %s", err, want)
	}
	if len(logger.entries) != 1 {
		t.Errorf("logged %v, want the attempt and no retry", logger.entries)
	}
}

func TestCancelledContextSendsNothing(t *testing.T) {
	fake := startFake(t, answerMeter(http.StatusOK))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := fake.client(t).CreateMeter(ctx, anyMeter)
	if apiErr, ok := AsAPIError(err); !ok || !errors.Is(err, context.Canceled) || apiErr.MaybeApplied {
		t.Errorf("got %#v", err)
	}
	if n := len(fake.requests()); n != 0 {
		t.Errorf("%d requests", n)
	}
}

func TestRetriesStopAtMaxElapsed(t *testing.T) {
	fake := startFake(t, answerWith(http.StatusServiceUnavailable, `{"detail":"down for maintenance"}`))
	policy := RetryPolicy{MaxElapsed: 100 * time.Millisecond, MinBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}
	clk := newFakeClock()
	_, err := withClock(fake.client(t, func(cfg *Config) { cfg.Retry = policy }), clk).GetMeter(context.Background(), "m1")
	if waited := clk.total(); waited > policy.MaxElapsed || waited < policy.MaxElapsed-policy.MaxBackoff {
		t.Errorf("waited %v in all, want the last 20ms of the 100ms budget", waited)
	}
	apiErr, ok := AsAPIError(err)
	if !ok || apiErr.Kind != KindServer || apiErr.StatusCode != 503 || apiErr.Attempts != len(fake.requests()) || apiErr.Attempts < 5 {
		t.Fatalf("got %#v after %d requests", err, len(fake.requests()))
	}
	if !strings.HasPrefix(err.Error(), "polar: GET /v1/meters/m1: 503 Service Unavailable: down for maintenance; gave up after ") ||
		!strings.HasSuffix(err.Error(), " attempts: the retry budget of 100ms is spent") {
		t.Errorf("Error() = %s", err)
	}
}

// countingLimiter counts its calls and fails once it has allowed `allow` of them.
type countingLimiter struct {
	calls atomic.Int32
	allow int32
}

var errLimiterClosed = errors.New("limiter closed")

func (l *countingLimiter) Wait(context.Context) error {
	if l.calls.Add(1) > l.allow {
		return errLimiterClosed
	}
	return nil
}

func TestLimiterIsCalledBeforeEveryAttempt(t *testing.T) {
	fake := startFake(t, failFirst(2, 502, 200))
	limiter := &countingLimiter{allow: 100}
	if _, err := fake.client(t, func(cfg *Config) { cfg.Limiter = limiter }).GetMeter(context.Background(), "m1"); err != nil {
		t.Fatal(err)
	}
	if got := limiter.calls.Load(); got != 3 {
		t.Errorf("limiter called %d times for 3 attempts", got)
	}

	fake = startFake(t, failFirst(5, 502, 200))
	limiter = &countingLimiter{allow: 1}
	_, err := fake.client(t, func(cfg *Config) { cfg.Limiter = limiter }).GetMeter(context.Background(), "m1")
	if !errors.Is(err, errLimiterClosed) || len(fake.requests()) != 1 {
		t.Errorf("got %v after %d requests", err, len(fake.requests()))
	}
}

func TestBackoffStaysWithinItsBounds(t *testing.T) {
	p := RetryPolicy{MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	for attempt := 1; attempt <= 70; attempt++ {
		ceiling := min(p.MaxBackoff, p.MinBackoff<<min(attempt-1, 20))
		shortest, longest := ceiling, time.Duration(0)
		for range 200 {
			wait := p.waitBefore(attempt, 0)
			if wait < p.MinBackoff || wait > ceiling {
				t.Fatalf("attempt %d: wait %v outside [%v, %v]", attempt, wait, p.MinBackoff, ceiling)
			}
			shortest, longest = min(shortest, wait), max(longest, wait)
		}
		quarter := (ceiling - p.MinBackoff) / 4
		if attempt > 1 && (shortest > p.MinBackoff+quarter || longest < ceiling-quarter) {
			t.Errorf("attempt %d: 200 waits within [%v, %v], not spread over [%v, %v]", attempt, shortest, longest, p.MinBackoff, ceiling)
		}
	}
	if got := p.waitBefore(1, 5*time.Second); got != 5*time.Second {
		t.Errorf("Retry-After 5s gave %v", got)
	}
	if got := p.waitBefore(1, time.Millisecond); got != p.MinBackoff {
		t.Errorf("Retry-After 1ms gave %v, want MinBackoff", got)
	}
}

func TestRetryPolicyDefaults(t *testing.T) {
	want := RetryPolicy{MaxElapsed: 10 * time.Minute, MinBackoff: 500 * time.Millisecond, MaxBackoff: 30 * time.Second, MaxUnreachable: 10 * time.Second}
	if DefaultRetryPolicy() != want || (RetryPolicy{}).withDefaults() != want {
		t.Errorf("defaults: %+v", DefaultRetryPolicy())
	}
	got := RetryPolicy{MinBackoff: time.Minute}.withDefaults()
	if got.MaxElapsed != want.MaxElapsed || got.MaxBackoff != time.Minute {
		t.Errorf("partial policy: %+v", got)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := newFakeClock().Now()
	for value, want := range map[string]time.Duration{
		"60": time.Minute, " 1 ": time.Second, "": 0, "soon": 0, "-5": 0, "0": 0,
		now.Add(-time.Hour).Format(http.TimeFormat):  0,
		now.Add(time.Minute).Format(http.TimeFormat): time.Minute,
		"99999999999999999999":                       0,
	} {
		if got := parseRetryAfter(value, now); got != want {
			t.Errorf("%q: got %v, want %v", value, got, want)
		}
	}
}

// unresolvable returns an HTTP client whose every dial fails as a lookup of an unknown host does.
func unresolvable() *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(_ context.Context, network, _ string) (net.Conn, error) {
			return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: "api.polar.invalid", IsNotFound: true}}
		},
	}}
}

func TestAnUnreachableServerFailsFastNamingItsURL(t *testing.T) {
	refused := "http://" + refusedAddress(t)
	for name, cfg := range map[string]Config{
		"connection refused": {BaseURL: refused + "/"},
		"DNS failure":        {BaseURL: "https://api.polar.invalid", HTTPClient: unresolvable()},
	} {
		t.Run(name, func(t *testing.T) {
			cfg.Token = testToken // and the default retry policy
			c, err := NewClient(cfg)
			if err != nil {
				t.Fatal(err)
			}
			clk := newFakeClock()
			_, err = withClock(c, clk).CreateMeter(context.Background(), anyMeter)
			apiErr, ok := AsAPIError(err)
			if !ok || apiErr.Kind != KindNetwork || apiErr.MaybeApplied || apiErr.Attempts < 2 {
				t.Fatalf("got %#v", err)
			}
			if waited := clk.total(); waited > 10*time.Second {
				t.Errorf("waited %v in all, more than the 10s an unreachable server gets", waited)
			}
			url := strings.TrimSuffix(cfg.BaseURL, "/")
			if !strings.Contains(err.Error(), "network error: cannot connect to "+url+": ") ||
				!strings.HasSuffix(err.Error(), "the server stayed unreachable, and an unreachable server is retried for 10s at most") {
				t.Errorf("Error() = %s", err)
			}
		})
	}
}

func TestAnUntrustedCertificateFailsFast(t *testing.T) {
	server := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("a request got through") }))
	server.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	server.StartTLS()
	t.Cleanup(server.Close)
	c, err := NewClient(Config{BaseURL: server.URL, Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	clk := newFakeClock()
	_, err = withClock(c, clk).CreateMeter(context.Background(), anyMeter)
	apiErr, ok := AsAPIError(err)
	if !ok || apiErr.Kind != KindNetwork || apiErr.MaybeApplied || clk.total() > 10*time.Second {
		t.Fatalf("got %#v after waiting %v", err, clk.total())
	}
	if !strings.Contains(err.Error(), "cannot connect to "+server.URL+": tls: failed to verify certificate") {
		t.Errorf("Error() = %s", err)
	}
}

func TestTheUnreachableBudgetCountsOneRunOfFailedConnections(t *testing.T) {
	refused := &APIError{Kind: KindNetwork, Attempts: 1, Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}
	busy := &APIError{Kind: KindServer, Attempts: 1, StatusCode: http.StatusServiceUnavailable}
	start := newFakeClock().Now()
	b := budget{
		policy: RetryPolicy{MaxElapsed: time.Hour, MinBackoff: time.Second, MaxBackoff: time.Second, MaxUnreachable: 10 * time.Second},
		start:  start,
	}
	for _, step := range []struct {
		failure *APIError
		second  int // when the attempt was sent and failed
		stops   bool
	}{
		{refused, 0, false},
		{refused, 9, false}, // the retry at 10s is the last of the run's 10s
		{busy, 10, false},   // the server answered: the run is over
		{refused, 20, false},
		{refused, 29, false},
		{refused, 30, true}, // a retry at 31s would be 11s into the run begun at 20s
	} {
		at := start.Add(time.Duration(step.second) * time.Second)
		wait, err := b.next(step.failure, at, at)
		if (err != nil) != step.stops || (err == nil && wait != time.Second) {
			t.Errorf("%v at %ds: wait %v, error %v", step.failure.Kind, step.second, wait, err)
		}
	}
}

func TestRetryAfterBeyondTheBudgetLeftFailsAtOnce(t *testing.T) {
	fake := startFake(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	clk := newFakeClock()
	c := withClock(fake.client(t, func(cfg *Config) { cfg.Retry.MaxElapsed = 100 * time.Second }), clk)
	_, err := c.ListMeters(context.Background(), ListMetersParams{})
	const want = "polar: GET /v1/meters/: 429 Too Many Requests; gave up after 2 attempts: " +
		"waiting the 60s Polar asked for (Retry-After) would exceed the 40s left of the 100s retry budget"
	if err == nil || err.Error() != want {
		t.Errorf("Error():\n got %v\nwant %s", err, want)
	}
	if waits := clk.waits(); len(waits) != 1 || waits[0] != time.Minute || len(fake.requests()) != 2 {
		t.Errorf("waited %v, %d requests", waits, len(fake.requests()))
	}
}

// answerOnceCancelled answers the first request with status and the meter once the test has cancelled the caller:
// cancel is called when the request has arrived, and the answer leaves after it returns.
func answerOnceCancelled(cancel context.CancelFunc, status int, body string) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			cancel()
		}
		if body == "" {
			body = meterJSON(r)
		}
		respond(w, status, body)
	}
}

func TestASentWriteIsSeenThroughAfterCancellation(t *testing.T) {
	for _, tt := range []struct {
		name   string
		status int
		call   func(context.Context, *Client) (*Meter, error)
	}{
		{"create", http.StatusCreated, func(ctx context.Context, c *Client) (*Meter, error) { return c.CreateMeter(ctx, anyMeter) }},
		{"update", http.StatusOK, func(ctx context.Context, c *Client) (*Meter, error) {
			return c.UpdateMeter(ctx, "m1", MeterUpdate{Name: ptr("Renamed")})
		}},
		{"archive", http.StatusOK, func(ctx context.Context, c *Client) (*Meter, error) { return c.ArchiveMeter(ctx, "m1") }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			fake := startFake(t, answerOnceCancelled(cancel, tt.status, ""))
			m, err := tt.call(ctx, fake.client(t))
			if err != nil || m == nil {
				t.Fatalf("got %v, %v; want the meter Polar answered with", m, err)
			}
			if ctx.Err() == nil || len(fake.requests()) != 1 {
				t.Errorf("context %v, %d requests", ctx.Err(), len(fake.requests()))
			}
		})
	}
}

func TestAWriteFailingAfterCancellationIsNotRetried(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	fake := startFake(t, answerOnceCancelled(cancel, http.StatusServiceUnavailable, `{"detail":"busy"}`))
	_, err := fake.client(t).UpdateMeter(ctx, "m1", MeterUpdate{Name: ptr("Renamed")})
	apiErr, ok := AsAPIError(err)
	if !ok || !apiErr.MaybeApplied || !errors.Is(err, context.Canceled) || len(fake.requests()) != 1 {
		t.Fatalf("got %#v after %d requests", err, len(fake.requests()))
	}
	const want = "polar: PATCH /v1/meters/m1: 503 Service Unavailable: busy; gave up after 1 attempt: context canceled; " +
		"the request reached Polar and may have been applied"
	if err.Error() != want {
		t.Errorf("Error():\n got %s\nwant %s", err, want)
	}
}

// blockingLimiter reports each call on entered and holds it until its context is done.
type blockingLimiter struct{ entered chan struct{} }

func (l blockingLimiter) Wait(ctx context.Context) error {
	l.entered <- struct{}{}
	<-ctx.Done()
	return ctx.Err()
}

// cancellingLimiter cancels the caller and lets the request go, as a limiter that misses the cancellation would.
type cancellingLimiter struct{ cancel context.CancelFunc }

func (l cancellingLimiter) Wait(context.Context) error {
	l.cancel()
	return nil
}

func TestAWriteNotYetSentIsAbandonedOnCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	limiter := blockingLimiter{make(chan struct{})}
	go func() {
		<-limiter.entered
		cancel()
	}()
	fake := startFake(t, answerMeter(http.StatusCreated))
	_, err := fake.client(t, func(cfg *Config) { cfg.Limiter = limiter }).CreateMeter(ctx, anyMeter)
	apiErr, ok := AsAPIError(err)
	if !ok || apiErr.Kind != KindNotSent || apiErr.MaybeApplied || !errors.Is(err, context.Canceled) {
		t.Fatalf("got %#v", err)
	}
	if want := "polar: POST /v1/meters/: not sent: context canceled"; err.Error() != want {
		t.Errorf("Error():\n got %s\nwant %s", err, want)
	}

	ctx, cancel = context.WithCancel(context.Background())
	_, err = fake.client(t, func(cfg *Config) { cfg.Limiter = cancellingLimiter{cancel} }).CreateMeter(ctx, anyMeter)
	if apiErr, ok := AsAPIError(err); !ok || apiErr.Kind != KindNotSent {
		t.Errorf("after a limiter that missed the cancellation: got %#v", err)
	}
	if n := len(fake.requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestARetryNotYetSentIsAbandonedOnCancellation(t *testing.T) {
	fake := startFake(t, failFirst(1, http.StatusServiceUnavailable, http.StatusOK))
	clk := newFakeClock()
	clk.sleeping = make(chan time.Duration)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-clk.sleeping
		cancel()
	}()
	_, err := withClock(fake.client(t), clk).UpdateMeter(ctx, "m1", MeterUpdate{Name: ptr("Renamed")})
	const want = "polar: PATCH /v1/meters/m1: 503 Service Unavailable: try again; gave up after 1 attempt: " +
		"attempt 2 was not sent: context canceled; the request reached Polar and may have been applied"
	if err == nil || err.Error() != want || !errors.Is(err, context.Canceled) {
		t.Errorf("Error():\n got %v\nwant %s", err, want)
	}
	if n := len(fake.requests()); n != 1 {
		t.Errorf("%d requests", n)
	}
}
