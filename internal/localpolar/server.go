// Package localpolar is an in-process HTTP server that answers Polar's meters
// API (https://api.polar.sh/v1/meters/) as Polar does: same status codes,
// bodies, validation rules and quirks. The provider's acceptance tests and
// demo run against it; hooks let tests inject what only the real service
// would otherwise produce (faults, rate limits, meters locked by aggregation,
// changes made in the dashboard).
//
// It answers, in Polar's order: API version, rate limiting, token
// authentication, routing, token presence and scopes, then the endpoint's
// own validation and rules.
package localpolar

import (
	"context"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// DefaultToken is the Organization Access Token a server made with nil
	// Options.Tokens accepts, with the scopes meters:read and meters:write.
	DefaultToken = "polar_oat_localpolar_demo"
	// DefaultOrganizationID is the organization of DefaultToken, and of the
	// meters PutMeter stores without an organization_id.
	DefaultOrganizationID = "7a1c4e2d-5b3f-4c8a-9d6e-1f2a3b4c5d6e"
)

// Options configures a Server.
type Options struct {
	// Tokens maps the accepted bearer tokens to what they grant; nil accepts
	// DefaultToken only.
	Tokens map[string]Token
	// Now is the machine's clock, of rate-limit windows and, shifted by
	// SetClockOffset, of Polar's timestamps; nil is time.Now.
	Now func() time.Time
}

// Server is a Polar meters API. It implements http.Handler; all its methods
// are safe for concurrent use.
type Server struct {
	tokens      map[string]Token
	now         func() time.Time
	clockOffset atomic.Int64 // how far Polar's clock runs from now, a time.Duration

	mu       sync.Mutex
	meters   *store
	requests []*RecordedRequest
	faults   []*Fault
	latency  time.Duration
	limiter  rateLimiter
	// Meter ids the hooks mark: Polar decides these from billing data the
	// meters API does not show.
	aggregating      map[string]bool
	inActiveProducts map[string]bool
	inActiveBenefits map[string]bool
}

// New returns a server with no meters.
func New(opts Options) *Server {
	tokens := opts.Tokens
	if tokens == nil {
		tokens = map[string]Token{DefaultToken: {
			Kind:           OrganizationToken,
			OrganizationID: DefaultOrganizationID,
			Scopes:         []string{ScopeMetersRead, ScopeMetersWrite},
		}}
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Server{
		tokens:           maps.Clone(tokens),
		now:              now,
		meters:           newStore(),
		limiter:          newRateLimiter(tokens),
		aggregating:      map[string]bool{},
		inActiveProducts: map[string]bool{},
		inActiveBenefits: map[string]bool{},
	}
}

// ServeHTTP records the request, prepares Polar's answer (or the fault that
// replaces it), waits for the configured latency and sends it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// A body cut short is handled as far as it was received.
	body, _ := io.ReadAll(r.Body)
	entry := s.record(r, body)
	resp, drop := s.respond(r, body)
	if !s.wait(r.Context()) {
		return // the client gave up: nobody to answer
	}
	if drop {
		dropConnection(w)
		return
	}
	// Recorded before it is sent, so that a client reading the log right
	// after the response finds its status.
	s.setStatus(entry, resp.status)
	resp.header.Set("Date", s.polarNow().UTC().Format(http.TimeFormat))
	resp.write(w)
}

// respond returns Polar's answer, unless an injected fault replaces it; drop
// tells to close the connection instead of answering.
func (s *Server) respond(r *http.Request, body []byte) (resp response, drop bool) {
	fault, faulted := s.takeFault(r)
	if !faulted || fault.ApplyFirst {
		resp = s.polar(r, body)
	}
	if !faulted {
		return resp, false
	}
	return s.faultResponse(fault), fault.DropConnection
}

// wait sleeps for the configured latency; false means the request was
// cancelled meanwhile.
func (s *Server) wait(ctx context.Context) bool {
	s.mu.Lock()
	latency := s.latency
	s.mu.Unlock()
	if latency <= 0 {
		return true
	}
	timer := time.NewTimer(latency)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// polar answers as Polar's stack does: the API version middleware wraps
// everything, so even a 429 echoes the version.
func (s *Server) polar(r *http.Request, body []byte) response {
	version, ok := apiVersion(r.Header.Get("Polar-Version"))
	if !ok {
		return detailResponse(http.StatusNotFound)
	}
	resp := s.versioned(r, body)
	resp.header.Set("Polar-Version", version)
	return resp
}

// versioned answers a request of a known API version: the rate limiter and
// the token's authentication are middlewares, before routing.
func (s *Server) versioned(r *http.Request, body []byte) response {
	if resp, limited := s.rateLimit(r); limited {
		return resp
	}
	token, refused := s.authenticate(r)
	if refused != nil {
		return *refused
	}
	return s.route(r, body, token)
}

// API versions Polar serves; a request without Polar-Version gets the default.
var apiVersions = []string{"2026-04", "2026-10"}

const defaultAPIVersion = "2026-04"

func apiVersion(header string) (string, bool) {
	if header == "" {
		return defaultAPIVersion, true
	}
	return header, slices.Contains(apiVersions, header)
}

// call is a request routed to an endpoint and authorized.
type call struct {
	r     *http.Request
	body  []byte
	token Token
	id    string // the {id} path segment, as sent
}

// endpoint is one operation of the meters API.
type endpoint struct {
	scopes []string // any one of them grants access
	handle func(*Server, *call) response
}

var (
	readScopes  = []string{ScopeMetersRead, ScopeMetersWrite}
	writeScopes = []string{ScopeMetersWrite}

	collectionEndpoints = map[string]endpoint{
		http.MethodGet:  {readScopes, (*Server).listMeters},
		http.MethodPost: {writeScopes, (*Server).createMeter},
	}
	meterEndpoints = map[string]endpoint{
		http.MethodGet:   {readScopes, (*Server).getMeter},
		http.MethodPatch: {writeScopes, (*Server).updateMeter},
	}
)

const metersPath = "/v1/meters/"

// matchRoute finds the endpoints of a path: the collection, or a meter whose
// id is the last segment (any text: Polar validates it after routing).
func matchRoute(p string) (endpoints map[string]endpoint, id string, ok bool) {
	if p == metersPath {
		return collectionEndpoints, "", true
	}
	id, found := strings.CutPrefix(p, metersPath)
	if !found || id == "" || strings.Contains(id, "/") {
		return nil, "", false
	}
	return meterEndpoints, id, true
}

func (s *Server) route(r *http.Request, body []byte, token *Token) response {
	endpoints, id, ok := matchRoute(r.URL.Path)
	if !ok {
		return redirectSlash(r)
	}
	ep, ok := endpoints[r.Method]
	if !ok {
		resp := detailResponse(http.StatusMethodNotAllowed)
		// Starlette names the methods of the first route matching the
		// path, which is the GET one on both paths.
		resp.header.Set("Allow", http.MethodGet)
		return resp
	}
	if denied := authorize(token, ep.scopes); denied != nil {
		return *denied
	}
	return ep.handle(s, &call{r: r, body: body, token: *token, id: id})
}

// redirectSlash answers a path that a route matches once its trailing slash
// is added or removed with a 307 there, as Starlette does; any other path is
// unknown.
func redirectSlash(r *http.Request) response {
	other := r.URL.Path + "/"
	if strings.HasSuffix(r.URL.Path, "/") {
		other = strings.TrimSuffix(r.URL.Path, "/")
	}
	if _, _, ok := matchRoute(other); !ok {
		return detailResponse(http.StatusNotFound)
	}
	resp := emptyResponse(http.StatusTemporaryRedirect)
	resp.header.Set("Location", (&url.URL{Path: other, RawQuery: r.URL.RawQuery}).RequestURI())
	return resp
}

// dropConnection closes the connection without answering.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable (HTTP/2): aborting the handler resets the stream.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}
