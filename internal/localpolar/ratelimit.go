package localpolar

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	// defaultRateWindow is the window of Polar's rate limits.
	defaultRateWindow = time.Minute
	// PolarPendingRateLimit is Polar's limit per minute of a token it has not
	// yet resolved to its owner: SetPendingRateLimit's realistic value.
	PolarPendingRateLimit = 60
	// identityTTL is how long Polar remembers whom a token belongs to after
	// the token last authenticated.
	identityTTL = 300 * time.Second
	// rateLimitedPrefix is the path prefix of Polar's rate-limit rule: other
	// paths are never limited.
	rateLimitedPrefix = "/v1"
)

// rateLimiter counts requests as Polar's does, in fixed windows per bucket.
// A token Polar has authenticated within identityTTL counts against its
// organization (or its user for a personal token); any other token counts in
// its own pending bucket; a request without a token counts against its
// client's address. A bucket's window opens with its first request; only
// admitted requests count, so a client that waits Retry-After gets through.
// With pending buckets off, every accepted token counts against its owner
// from its first request, and unknown tokens are not limited.
type rateLimiter struct {
	limit        int // per window for organizations, users and addresses; 0 is no limit
	pendingLimit int // per window for each unresolved token; 0 turns pending buckets off
	window       time.Duration
	windows      map[string]*fixedWindow
	identities   map[string]identity // by token
	owners       map[string]string   // the bucket of every accepted token
}

type fixedWindow struct {
	start    time.Time
	admitted int
}

// identity is the bucket a token was last authenticated as, until expires.
type identity struct {
	bucket  string
	expires time.Time
}

// newRateLimiter returns a limiter of the tokens, with no limit on
// organizations, users and addresses, and pending buckets off.
func newRateLimiter(tokens map[string]Token) rateLimiter {
	l := rateLimiter{identities: map[string]identity{}, owners: map[string]string{}}
	for bearer, token := range tokens {
		l.owners[bearer] = token.rateLimitKey()
	}
	l.reset(0, 0)
	return l
}

// reset sets the limit of organizations, users and addresses and the window
// of every bucket, and opens fresh windows; window 0 is Polar's minute.
func (l *rateLimiter) reset(limit int, window time.Duration) {
	if window <= 0 {
		window = defaultRateWindow
	}
	l.limit, l.window, l.windows = limit, window, map[string]*fixedWindow{}
}

// bucket returns the bucket a request counts against and its limit.
func (l *rateLimiter) bucket(r *http.Request, now time.Time) (string, int) {
	token, ok := bearerToken(r)
	if !ok {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		return "address:" + host, l.limit
	}
	if id, known := l.identities[token]; known && now.Before(id.expires) {
		return id.bucket, l.limit
	}
	if owner, accepted := l.owners[token]; accepted && l.pendingLimit == 0 {
		return owner, l.limit
	}
	return "token:" + token, l.pendingLimit
}

func (l *rateLimiter) admit(bucket string, limit int, now time.Time) bool {
	if limit <= 0 {
		return true
	}
	w, ok := l.windows[bucket]
	if !ok || now.Sub(w.start) >= l.window {
		w = &fixedWindow{start: now}
		l.windows[bucket] = w
	}
	if w.admitted >= limit {
		return false
	}
	w.admitted++
	return true
}

// remember records that token authenticated now as bucket.
func (l *rateLimiter) remember(token, bucket string, now time.Time) {
	l.identities[token] = identity{bucket: bucket, expires: now.Add(identityTTL)}
}

// forget drops what was known of a token Polar refused.
func (l *rateLimiter) forget(token string) {
	delete(l.identities, token)
}

// retryAfter is the Retry-After Polar sends: the whole window in seconds, not
// the time left in it.
func (l *rateLimiter) retryAfter() string {
	seconds := (l.window + time.Second - 1) / time.Second
	return strconv.Itoa(int(max(seconds, 1)))
}

// SetRateLimit limits every organization (all its organization tokens
// together), every user (all their personal tokens together) and every
// client address (requests without a token) to requests per window, in
// fresh windows; requests 0 removes that limit and window 0 means a minute.
// A limited request is answered 429 with an empty body and Retry-After,
// before authentication, as Polar does.
func (s *Server) SetRateLimit(requests int, window time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limiter.reset(requests, window)
}

// SetPendingRateLimit turns on Polar's pending buckets: a token the server
// has not seen authenticated in the last 300 s counts in its own bucket,
// limited to requests per rate-limit window (Polar's is 60 a minute), until
// it authenticates; only then do its requests count against its
// organization or user. 0, the default, turns them off: every accepted token
// counts against its owner from its first request, so that a test's
// SetRateLimit counts every request.
func (s *Server) SetPendingRateLimit(requests int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limiter.pendingLimit = requests
}

// rateLimit answers 429 when the request's bucket is over its limit.
func (s *Server) rateLimit(r *http.Request) (response, bool) {
	if !strings.HasPrefix(r.URL.Path, rateLimitedPrefix) {
		return response{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	bucket, limit := s.limiter.bucket(r, now)
	if s.limiter.admit(bucket, limit, now) {
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
