package localpolar

import (
	"net/http"
	"strconv"
	"time"
)

// defaultRateWindow is the window of Polar's rate limits.
const defaultRateWindow = time.Minute

// rateLimiter admits at most limit requests per client in fixed windows. A
// client's window opens with its first request once the previous window has
// closed. Only admitted requests count: a refused request does not push the
// window further, so a client that waits Retry-After always gets through.
type rateLimiter struct {
	limit   int
	window  time.Duration
	windows map[string]*fixedWindow
}

type fixedWindow struct {
	start    time.Time
	admitted int
}

// newRateLimiter returns a limiter of limit requests per window; limit 0
// admits everything, window 0 is Polar's minute.
func newRateLimiter(limit int, window time.Duration) rateLimiter {
	if window <= 0 {
		window = defaultRateWindow
	}
	return rateLimiter{limit: limit, window: window, windows: map[string]*fixedWindow{}}
}

func (l *rateLimiter) admit(client string, now time.Time) bool {
	if l.limit <= 0 {
		return true
	}
	w, ok := l.windows[client]
	if !ok || now.Sub(w.start) >= l.window {
		w = &fixedWindow{start: now}
		l.windows[client] = w
	}
	if w.admitted >= l.limit {
		return false
	}
	w.admitted++
	return true
}

// retryAfter is the Retry-After Polar sends: the whole window in seconds, not
// the time left in it.
func (l *rateLimiter) retryAfter() string {
	seconds := (l.window + time.Second - 1) / time.Second
	return strconv.Itoa(int(max(seconds, 1)))
}

// SetRateLimit limits every client (token, or address without one) to
// requests per window, in fresh windows; requests 0 removes the limit and
// window 0 means a minute. A limited request is answered 429 with an empty
// body and Retry-After, before authentication, as Polar does.
func (s *Server) SetRateLimit(requests int, window time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limiter = newRateLimiter(requests, window)
}

// rateLimit answers 429 when the request's client is over its limit.
func (s *Server) rateLimit(r *http.Request) (response, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.limiter.admit(clientKey(r), s.now()) {
		return response{}, false
	}
	return tooManyRequests(s.limiter.retryAfter()), true
}

// tooManyRequests is Polar's 429: no body, only Retry-After.
func tooManyRequests(retryAfter string) response {
	resp := emptyResponse(http.StatusTooManyRequests)
	resp.header.Set("Retry-After", retryAfter)
	return resp
}
