package localpolar

import (
	"net/http"
	"slices"
	"strconv"
	"time"
)

// MeterPathPattern, given as a path to Fault or CountRequests, matches the
// path of any meter.
const MeterPathPattern = "/v1/meters/{id}"

// Fault makes the server fail requests the way the network or Polar's
// infrastructure can: an error status, or a connection closed unanswered.
type Fault struct {
	// Method the fault applies to; "" is any.
	Method string
	// Path the fault applies to: an exact URL path, MeterPathPattern, or ""
	// for any.
	Path string
	// Status to answer, e.g. 502, 503, 500 or 429; 0 is 502. The body is
	// {"detail": "<status text>"}, except for 429 which has none.
	Status int
	// Times is how many matching requests get the fault; below 1 counts as 1.
	Times int
	// ApplyFirst has Polar handle the request first, e.g. create the meter,
	// and then answers the fault: Polar committed, the response was lost.
	ApplyFirst bool
	// DropConnection closes the connection without answering, instead of
	// answering Status.
	DropConnection bool
	// RetryAfter is the Retry-After, in seconds, of a 429; 0 is the length
	// of the rate-limit window.
	RetryAfter int
}

func (f *Fault) matches(r *http.Request) bool {
	return (f.Method == "" || f.Method == r.Method) && matchPath(f.Path, r.URL.Path)
}

// matchPath reports whether p is pattern: an exact path, MeterPathPattern,
// or "" for any path.
func matchPath(pattern, p string) bool {
	switch pattern {
	case "":
		return true
	case MeterPathPattern:
		_, id, ok := matchRoute(p)
		return ok && id != ""
	}
	return pattern == p
}

// InjectFault adds a fault. Faults apply in the order they were injected:
// a request gets the first one that matches it and still has Times left.
func (s *Server) InjectFault(f Fault) {
	f.Times = max(f.Times, 1)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// takeFault returns the fault the request gets, using one of its Times.
func (s *Server) takeFault(r *http.Request) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.faults, func(f *Fault) bool { return f.matches(r) })
	if i < 0 {
		return Fault{}, false
	}
	f := s.faults[i]
	f.Times--
	if f.Times == 0 {
		s.faults = slices.Delete(s.faults, i, i+1)
	}
	return *f, true
}

func (s *Server) faultResponse(f Fault) response {
	switch f.Status {
	case 0:
		return detailResponse(http.StatusBadGateway)
	case http.StatusTooManyRequests:
		if f.RetryAfter > 0 {
			return tooManyRequests(strconv.Itoa(f.RetryAfter))
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		return tooManyRequests(s.limiter.retryAfter())
	}
	return detailResponse(f.Status)
}

// SetLatency delays every response by d, until the client gives up.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}
