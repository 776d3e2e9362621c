package polar

import (
	"context"
	"crypto/tls"
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
	MaxElapsed     time.Duration // total time budget for one call, waits included (default 10m)
	MinBackoff     time.Duration // shortest wait between attempts (default 500ms)
	MaxBackoff     time.Duration // longest wait between attempts, unless Polar's Retry-After asks for more (default 30s)
	MaxUnreachable time.Duration // how long a run of failed connections (refused, DNS failure) is retried (default 10s)
}

// DefaultRetryPolicy returns the policy used for the fields of Config.Retry left zero.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		MaxElapsed: 10 * time.Minute, MinBackoff: 500 * time.Millisecond, MaxBackoff: 30 * time.Second,
		MaxUnreachable: 10 * time.Second,
	}
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
	if p.MaxUnreachable <= 0 {
		p.MaxUnreachable = def.MaxUnreachable
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
	b := budget{policy: c.retry, start: c.clock.Now()}
	var last *APIError
	var wait time.Duration
	for attempt := 1; ; attempt++ {
		if err := c.beforeAttempt(ctx, r, attempt, wait); err != nil {
			return r.notSent(last, attempt, err)
		}
		sentAt := c.clock.Now()
		failure := c.attempt(ctx, r, attempt, out)
		if failure == nil {
			return nil
		}
		failure.Attempts = attempt
		failure.MaybeApplied = r.isWrite() && mayHaveApplied(failure)
		if !shouldRetry(r.method, failure) {
			return failure
		}
		if err := ctx.Err(); err != nil {
			return failure.cancelled(err)
		}
		var stop error
		if wait, stop = b.next(failure, sentAt, c.clock.Now()); stop != nil {
			return failure.givingUp(stop)
		}
		c.logRetry(ctx, r, failure, wait)
		last = failure
	}
}

// beforeAttempt waits out the wait before a retry, then the limiter; an error means the attempt was not sent.
func (c *Client) beforeAttempt(ctx context.Context, r request, attempt int, wait time.Duration) error {
	if err := c.clock.Sleep(ctx, wait); err != nil {
		return err
	}
	if c.limiter != nil {
		stop := c.clock.AfterFunc(limiterNotice, func() { c.logLimiterWait(ctx, r, attempt) })
		err := c.limiter.Wait(ctx)
		stop()
		if err != nil {
			return err
		}
	}
	return ctx.Err() // a limiter that missed the cancellation must not let the request out
}

// notSent is the error of a call abandoned before attempt was sent; last is the failure of the attempt before.
func (r request) notSent(last *APIError, attempt int, err error) *APIError {
	if last == nil {
		return r.failure(KindNotSent, err)
	}
	return last.givingUp(fmt.Errorf("attempt %d was not sent: %w", attempt, err))
}

// cancelled is a retryable failure once the caller has cancelled: it is returned, and no retry is started.
func (e *APIError) cancelled(cause error) *APIError {
	if errors.Is(e.Err, cause) {
		return e // the cancellation itself ended the attempt
	}
	return e.givingUp(cause)
}

// budget holds the time limits of one call's retries.
type budget struct {
	policy           RetryPolicy
	start            time.Time // when the call began
	unreachableSince time.Time // when the current run of failed connections began; zero outside one
}

// next returns how long to wait before retrying after failure, or why retrying stops.
func (b *budget) next(failure *APIError, sentAt, now time.Time) (time.Duration, error) {
	wait := b.policy.waitBefore(failure.Attempts, failure.retryAfter)
	if err := b.checkReachable(failure, sentAt, now.Add(wait)); err != nil {
		return 0, err
	}
	left := max(b.policy.MaxElapsed-now.Sub(b.start), 0)
	switch {
	case wait <= left:
		return wait, nil
	case failure.retryAfter > 0:
		return 0, fmt.Errorf("waiting the %s Polar asked for (Retry-After) would exceed the %s left of the %s retry budget",
			roundWait(failure.retryAfter), roundWait(left), roundWait(b.policy.MaxElapsed))
	default:
		return 0, fmt.Errorf("the retry budget of %s is spent", roundWait(b.policy.MaxElapsed))
	}
}

// checkReachable stops a run of failed connections that would outlast MaxUnreachable at retryAt: waiting seldom
// brings back a server that refuses connections or a name that does not resolve.
func (b *budget) checkReachable(failure *APIError, sentAt, retryAt time.Time) error {
	if !failure.unreachable() {
		b.unreachableSince = time.Time{}
		return nil
	}
	if b.unreachableSince.IsZero() {
		b.unreachableSince = sentAt
	}
	if retryAt.Sub(b.unreachableSince) > b.policy.MaxUnreachable {
		return fmt.Errorf("the server stayed unreachable, and an unreachable server is retried for %s at most",
			roundWait(b.policy.MaxUnreachable))
	}
	return nil
}

// roundWait renders a duration for people: whole seconds from one second up, milliseconds below.
func roundWait(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return strconv.FormatInt(int64(d.Round(time.Second)/time.Second), 10) + "s"
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
// connection could not be opened (connection refused, DNS failure, an untrusted TLS certificate).
func neverSent(err error) bool {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	return errors.As(err, &dnsErr) || errors.As(err, &certErr)
}

// unreachable reports whether the attempt failed because no connection could be opened.
func (e *APIError) unreachable() bool { return e.Kind == KindNetwork && neverSent(e.Err) }

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

// parseRetryAfter reads a Retry-After header, in seconds or as an HTTP date after now; 0 when absent or unusable.
func parseRetryAfter(value string, now time.Time) time.Duration {
	value = strings.TrimSpace(value)
	if seconds, err := strconv.Atoi(value); err == nil {
		const maxSeconds = math.MaxInt32 // keeps the Duration from overflowing, and fits int on 32-bit targets
		return time.Duration(min(max(seconds, 0), maxSeconds)) * time.Second
	}
	if when, err := http.ParseTime(value); err == nil {
		return max(when.Sub(now), 0)
	}
	return 0
}
