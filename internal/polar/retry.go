package polar

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy bounds the retries of one call.
type RetryPolicy struct {
	MaxElapsed time.Duration // total time budget for one call, waits included (default 10m)
	MinBackoff time.Duration // shortest wait between attempts (default 500ms)
	MaxBackoff time.Duration // longest wait between attempts, unless Polar's Retry-After asks for more (default 30s)
}

// DefaultRetryPolicy returns the policy used for the fields of Config.Retry left zero.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxElapsed: 10 * time.Minute, MinBackoff: 500 * time.Millisecond, MaxBackoff: 30 * time.Second}
}

// withDefaults replaces each non-positive field with its default, and keeps MaxBackoff ≥ MinBackoff.
func (p RetryPolicy) withDefaults() RetryPolicy {
	def := DefaultRetryPolicy()
	if p.MaxElapsed <= 0 {
		p.MaxElapsed = def.MaxElapsed
	}
	if p.MinBackoff <= 0 {
		p.MinBackoff = def.MinBackoff
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = def.MaxBackoff
	}
	p.MaxBackoff = max(p.MaxBackoff, p.MinBackoff)
	return p
}

// waitBefore returns how long to wait after failed attempt number attempt: the server's Retry-After
// when it sent one, else an exponential backoff with full jitter, between MinBackoff and
// min(MaxBackoff, MinBackoff·2^(attempt-1)).
func (p RetryPolicy) waitBefore(attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return max(retryAfter, p.MinBackoff)
	}
	ceiling := time.Duration(math.Min(float64(p.MaxBackoff), float64(p.MinBackoff)*math.Exp2(float64(attempt-1))))
	return p.MinBackoff + rand.N(ceiling-p.MinBackoff+1)
}

// do performs r, retrying as shouldRetry and the policy allow, and decodes the answer into out.
// Every call goes through here.
func (c *Client) do(ctx context.Context, r request, out any) error {
	start := time.Now()
	var last *APIError
	for attempt := 1; ; attempt++ {
		if err := c.ready(ctx); err != nil {
			if last == nil {
				return r.failure(KindNetwork, err)
			}
			return last.givingUp(err)
		}
		failure := c.attempt(ctx, r, attempt, out)
		if failure == nil {
			return nil
		}
		failure.Attempts = attempt
		failure.MaybeApplied = r.isWrite() && mayHaveApplied(failure)
		if ctx.Err() != nil || !shouldRetry(r.method, failure) {
			return failure
		}
		wait := c.retry.waitBefore(attempt, failure.retryAfter)
		if time.Since(start)+wait > c.retry.MaxElapsed {
			return failure.givingUp(fmt.Errorf("the retry budget of %s is spent", c.retry.MaxElapsed))
		}
		c.logWait(ctx, r, failure, wait)
		if err := sleep(ctx, wait); err != nil {
			return failure.givingUp(err)
		}
		last = failure
	}
}

// ready checks ctx and waits for the limiter before an attempt.
func (c *Client) ready(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.limiter == nil {
		return nil
	}
	return c.limiter.Wait(ctx)
}

// shouldRetry reports whether a failed attempt may be sent again.
func shouldRetry(method string, failure *APIError) bool {
	switch failure.Kind {
	case KindRateLimited:
		return true // Polar rate-limits before handling the request, so even a POST was not applied
	case KindServer:
		return repeatable(method)
	case KindNetwork:
		return repeatable(method) || neverSent(failure.Err)
	default:
		return false
	}
}

// repeatable reports whether sending a request twice does the same as sending it once: GET reads,
// and Polar's PATCH sets absolute values, but a second POST creates a second meter.
func repeatable(method string) bool {
	return method == http.MethodGet || method == http.MethodPatch
}

// neverSent reports whether a transport error certainly happened before the request left: the
// connection could not even be opened (connection refused, DNS failure).
func neverSent(err error) bool {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr)
}

// mayHaveApplied reports whether Polar may have carried out a failed attempt: it answered with a 5xx
// or with a 2xx the client could not use, or the connection failed after it was opened.
func mayHaveApplied(failure *APIError) bool {
	switch {
	case failure.StatusCode >= 500 || (failure.StatusCode >= 200 && failure.StatusCode < 300):
		return true
	case failure.Kind == KindNetwork:
		return !neverSent(failure.Err)
	default:
		return false
	}
}

// givingUp returns a copy of the last failure saying that retrying stopped because of why.
func (e *APIError) givingUp(why error) *APIError {
	stopped := *e
	stopped.gaveUp = why.Error()
	stopped.Err = errors.Join(why, e.Err)
	return &stopped
}

// parseRetryAfter reads a Retry-After header, in seconds or as an HTTP date; 0 when absent or unusable.
func parseRetryAfter(value string) time.Duration {
	value = strings.TrimSpace(value)
	if seconds, err := strconv.Atoi(value); err == nil {
		const maxSeconds = math.MaxInt32 // keeps the Duration from overflowing, and fits int on 32-bit targets
		return time.Duration(min(max(seconds, 0), maxSeconds)) * time.Second
	}
	if when, err := http.ParseTime(value); err == nil {
		return max(time.Until(when), 0)
	}
	return 0
}

// sleep waits for d, or returns ctx's error as soon as ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
