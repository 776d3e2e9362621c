// Package localpolar is an in-process HTTP server that answers Polar's meters
// API (https://api.polar.sh/v1/meters/) as Polar does: same status codes,
// bodies, validation rules and quirks. The provider's acceptance tests and
// demo run against it; hooks let tests inject what only the real service
// would otherwise produce (faults, rate limits, meters locked by aggregation,
// changes made in the dashboard).
//
// It answers, in Polar's order: rate limiting, API version, routing,
// authentication, scopes, then the endpoint's own validation and rules.
package localpolar

import (
	"context"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
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

// Scopes of Polar's access tokens that the meters API checks.
const (
	ScopeMetersRead  = "meters:read"
	ScopeMetersWrite = "meters:write"
)

// TokenKind is the kind of a Polar access token.
type TokenKind int

const (
	// OrganizationToken is an Organization Access Token (polar_oat_...): it
	// acts for one organization, and creating a meter may not name one.
	OrganizationToken TokenKind = iota
	// PersonalToken is a Personal Access Token (polar_pat_...): it acts for
	// a user, who names the organization of a new meter.
	PersonalToken
)

// Token describes an access token the server accepts.
type Token struct {
	Kind TokenKind
	// OrganizationID is the organization of an organization token. For a
	// personal token it is empty when the user reaches every organization
	// (organization_id is then required on create) or the one organization
	// the token is scoped to (organization_id may then be left out).
	OrganizationID string
	// Scopes granted to the token, e.g. ScopeMetersRead.
	Scopes []string
}

// canRead reports whether the token sees the meters of an organization.
func (t Token) canRead(organizationID string) bool {
	return organizationID == t.OrganizationID || t.Kind == PersonalToken && t.OrganizationID == ""
}

// Options configures a Server.
type Options struct {
	// Tokens maps the accepted bearer tokens to what they grant; nil accepts
	// DefaultToken only.
	Tokens map[string]Token
	// Now is the clock of timestamps and rate-limit windows; nil is time.Now.
	Now func() time.Time
}

// Server is a Polar meters API. It implements http.Handler; all its methods
// are safe for concurrent use.
type Server struct {
	tokens map[string]Token
	now    func() time.Time

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
		limiter:          newRateLimiter(0, 0),
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

// polar answers as Polar's stack does, layer by layer: the rate limiter and
// the API version middleware come before routing.
func (s *Server) polar(r *http.Request, body []byte) response {
	if resp, limited := s.rateLimit(r); limited {
		return resp
	}
	version, ok := apiVersion(r.Header.Get("Polar-Version"))
	if !ok {
		return detailResponse(http.StatusNotFound)
	}
	resp := s.route(r, body)
	resp.header.Set("Polar-Version", version)
	return resp
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

func (s *Server) route(r *http.Request, body []byte) response {
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
	token, denied := s.authorize(r, ep.scopes)
	if denied != nil {
		return *denied
	}
	return ep.handle(s, &call{r: r, body: body, token: token, id: id})
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

// oauthError is the shape of the errors of Polar's OAuth2 token checks.
type oauthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

const invalidTokenDescription = "The access token provided is expired, revoked, malformed, or invalid for other reasons."

// authorize finds the request's token and checks it grants one of scopes;
// otherwise it returns the answer refusing the request.
func (s *Server) authorize(r *http.Request, scopes []string) (Token, *response) {
	bearer, found := bearerToken(r)
	if !found {
		resp := jsonResponse(http.StatusUnauthorized, polarError{Error: "Unauthorized", Detail: "Unauthorized"})
		return Token{}, &resp
	}
	token, known := s.tokens[bearer]
	if !known {
		resp := jsonResponse(http.StatusUnauthorized, oauthError{Error: "invalid_token", ErrorDescription: invalidTokenDescription})
		resp.header.Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+invalidTokenDescription+`"`)
		return Token{}, &resp
	}
	if !slices.ContainsFunc(scopes, func(scope string) bool { return slices.Contains(token.Scopes, scope) }) {
		resp := jsonResponse(http.StatusForbidden, oauthError{
			Error:            "insufficient_scope",
			ErrorDescription: "The request requires higher privileges than provided by the access token.",
		})
		return Token{}, &resp
	}
	return token, nil
}

// bearerToken returns the token of an "Authorization: Bearer" header.
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	return token, strings.EqualFold(scheme, "Bearer") && token != ""
}

// clientKey identifies who a request counts against for rate limiting: its
// token, or its address when it has none.
func clientKey(r *http.Request) string {
	if token, ok := bearerToken(r); ok {
		return "token:" + token
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	return "address:" + host
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
