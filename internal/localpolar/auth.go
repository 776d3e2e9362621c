package localpolar

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Scopes of Polar's access tokens that the meters API checks.
const (
	ScopeMetersRead  = "meters:read"
	ScopeMetersWrite = "meters:write"
)

// DefaultUserID is the user of the personal tokens whose Token.UserID is empty.
const DefaultUserID = "5f0c9a3e-2b1d-4e6f-8a7b-9c0d1e2f3a4b"

// TokenKind is the kind of a Polar access token.
type TokenKind int

const (
	// OrganizationToken is an Organization Access Token (polar_oat_...): it
	// acts for one organization, and creating a meter may not name one.
	OrganizationToken TokenKind = iota
	// PersonalToken is a Personal Access Token (polar_pat_...): it acts for
	// a user, who names the organization of every meter it creates.
	PersonalToken
)

// Role is a user's role in an organization; it limits what the user's
// personal tokens may do there.
type Role string

// Polar's organization roles.
const (
	RoleOwner  Role = "owner"
	RoleAdmin  Role = "admin"
	RoleMember Role = "member"
	// RoleFinance reads meters but may not manage products: creating or
	// updating a meter answers 403 NotPermitted.
	RoleFinance Role = "finance"
)

// Token describes an access token the server accepts.
type Token struct {
	Kind TokenKind
	// OrganizationID is the organization of an organization token. For a
	// personal token it is the only organization its user is a member of,
	// or "" when the user reaches every organization; it never spares a
	// create from naming organization_id.
	OrganizationID string
	// Scopes granted to the token, e.g. ScopeMetersRead.
	Scopes []string
	// UserID is the user of a personal token: all of one user's tokens share
	// a rate-limit bucket. "" is DefaultUserID.
	UserID string
	// Role is the user's role for a personal token; "" is RoleOwner.
	// Organization tokens act as the organization itself and ignore it.
	Role Role
}

// canRead reports whether the token sees the meters of an organization.
func (t Token) canRead(organizationID string) bool {
	return organizationID == t.OrganizationID || t.Kind == PersonalToken && t.OrganizationID == ""
}

// canManageProducts reports whether the token may create and update meters
// in the organizations it reaches.
func (t Token) canManageProducts() bool {
	return t.Kind == OrganizationToken || t.Role != RoleFinance
}

// rateLimitKey is whom Polar counts the token's requests against: its
// organization, or the user of a personal token.
func (t Token) rateLimitKey() string {
	if t.Kind == OrganizationToken {
		return "organization:" + t.OrganizationID
	}
	return "user:" + cmp.Or(t.UserID, DefaultUserID)
}

// wwwAuthenticateRealm is the realm Polar names in WWW-Authenticate.
const wwwAuthenticateRealm = "polar"

// oauthError is one of the errors of Polar's OAuth2 token checks, which
// authlib writes with Python's json.dumps: spaces after separators.
type oauthError struct {
	status      int
	code        string
	description string
	scope       string // the scopes an insufficient_scope error asks for
}

var invalidToken = oauthError{
	status:      http.StatusUnauthorized,
	code:        "invalid_token",
	description: "The access token provided is expired, revoked, malformed, or invalid for other reasons.",
}

func insufficientScope(scopes []string) oauthError {
	return oauthError{
		status:      http.StatusForbidden,
		code:        "insufficient_scope",
		description: "The request requires higher privileges than provided by the access token.",
		scope:       strings.Join(scopes, " "),
	}
}

func (e oauthError) response() response {
	body := fmt.Sprintf(`{"error": %s, "error_description": %s}`, marshal(e.code), marshal(e.description))
	challenge := `Bearer realm="` + wwwAuthenticateRealm + `", `
	if e.scope != "" {
		challenge += `scope="` + e.scope + `", `
	}
	challenge += `error="` + e.code + `", error_description="` + e.description + `"`
	resp := response{status: e.status, header: http.Header{}, body: []byte(body)}
	resp.header.Set("Content-Type", "application/json")
	resp.header.Set("Cache-Control", "no-store")
	resp.header.Set("Pragma", "no-cache")
	resp.header.Set("WWW-Authenticate", challenge)
	return resp
}

// authenticate resolves the request's bearer token before routing, as
// Polar's middleware does: no usable token is anonymous (nil), an unknown
// one is refused at once. The rate limiter learns whom a known token
// belongs to, and forgets an unknown one.
func (s *Server) authenticate(r *http.Request) (*Token, *response) {
	bearer, found := bearerToken(r)
	if !found || !isASCII(bearer) {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	token, known := s.tokens[bearer]
	if !known {
		s.limiter.forget(bearer)
		resp := invalidToken.response()
		return nil, &resp
	}
	s.limiter.remember(bearer, token.rateLimitKey(), s.now())
	return &token, nil
}

// authorize checks, once the endpoint is known, that the request has a
// token granting one of scopes; otherwise it returns the refusal.
func authorize(token *Token, scopes []string) *response {
	if token == nil {
		resp := jsonResponse(http.StatusUnauthorized, polarError{Error: "Unauthorized", Detail: "Unauthorized"})
		resp.header.Set("WWW-Authenticate", `Bearer realm="`+wwwAuthenticateRealm+`"`)
		return &resp
	}
	if !slices.ContainsFunc(scopes, func(scope string) bool { return slices.Contains(token.Scopes, scope) }) {
		resp := insufficientScope(scopes).response()
		return &resp
	}
	return nil
}

// notPermitted is Polar's answer to a member whose role lacks the products
// permission.
func notPermitted() response {
	return jsonResponse(http.StatusForbidden, polarError{Error: "NotPermitted", Detail: "You don't have permission to manage products"})
}

// bearerToken returns the token of an "Authorization: Bearer" header, split
// as Starlette does: at the first space, nothing trimmed.
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	return token, strings.EqualFold(scheme, "Bearer") && token != ""
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
