package localpolar

import (
	"net/http"
	"testing"
	"time"
)

func TestRateLimitPerOrganizationAndUser(t *testing.T) {
	c := newClock()
	const orgB = "0b6c3c5e-8f5e-4d3a-9a57-1c2d3e4f5a6b"
	scopes := []string{ScopeMetersRead}
	a := startAPI(t, Options{Now: c.Now, Tokens: map[string]Token{
		"polar_oat_a1": {OrganizationID: DefaultOrganizationID, Scopes: scopes},
		"polar_oat_a2": {OrganizationID: DefaultOrganizationID, Scopes: scopes},
		"polar_oat_b":  {OrganizationID: orgB, Scopes: scopes},
		"polar_pat_u1": {Kind: PersonalToken, Scopes: scopes},
		"polar_pat_u2": {Kind: PersonalToken, UserID: DefaultUserID, Scopes: scopes},
		"polar_pat_v":  {Kind: PersonalToken, UserID: "8d7c6b5a-4e3f-4a1b-9c8d-7e6f5a4b3c2d", Scopes: scopes},
	}})
	a.srv.SetRateLimit(3, time.Minute)
	list := func(token string) reply {
		return a.withToken(token).do(http.MethodGet, "/v1/meters/", "")
	}
	// Every token of one organization, or of one user, shares a bucket.
	for _, sharing := range [][]string{{"polar_oat_a1", "polar_oat_a2"}, {"polar_pat_u1", "polar_pat_u2"}} {
		expectStatus(t, list(sharing[0]), http.StatusOK)
		expectStatus(t, list(sharing[1]), http.StatusOK)
		expectStatus(t, list(sharing[0]), http.StatusOK)
		expectBody429(t, list(sharing[1]), "60")
		expectBody429(t, list(sharing[0]), "60")
	}
	for _, own := range []string{"polar_oat_b", "polar_pat_v"} {
		for range 3 {
			expectStatus(t, list(own), http.StatusOK)
		}
		expectBody429(t, list(own), "60")
	}
	// Refused requests do not count: the next window has the full quota.
	c.Advance(time.Minute)
	for _, token := range []string{"polar_oat_a2", "polar_oat_a1", "polar_oat_a2"} {
		expectStatus(t, list(token), http.StatusOK)
	}
	expectBody429(t, list("polar_oat_a1"), "60")
}

func TestRateLimitPendingBucket(t *testing.T) {
	a, c := newAPI(t)
	a.srv.SetRateLimit(1, time.Minute)
	a.srv.SetPendingRateLimit(PolarPendingRateLimit)
	// A token's first request counts in its own bucket, until Polar has
	// seen whom the token belongs to: then its organization's count starts.
	expectStatus(t, a.do(http.MethodGet, "/v1/meters/", ""), http.StatusOK)
	expectStatus(t, a.do(http.MethodGet, "/v1/meters/", ""), http.StatusOK)
	expectBody429(t, a.do(http.MethodGet, "/v1/meters/", ""), "60")
	a.srv.SetRateLimit(0, 0)
	// 60 a minute for a token Polar does not know, checked before the
	// token is: the 61st request is not even authenticated.
	stranger := a.withToken("polar_oat_unknown")
	for range 60 {
		expectStatus(t, stranger.do(http.MethodGet, "/v1/meters/", ""), http.StatusUnauthorized)
	}
	expectBody429(t, stranger.do(http.MethodGet, "/v1/meters/", ""), "60")
	expectBody429(t, stranger.do(http.MethodGet, "/v1/unknown", ""), "60")
	expectStatus(t, a.withToken("polar_oat_other").do(http.MethodGet, "/v1/meters/", ""), http.StatusUnauthorized)
	expectStatus(t, a.do(http.MethodGet, "/v1/meters/", ""), http.StatusOK)
	c.Advance(time.Minute)
	expectStatus(t, stranger.do(http.MethodGet, "/v1/meters/", ""), http.StatusUnauthorized)

	// Off, the default, unknown tokens are not limited.
	a.srv.SetPendingRateLimit(0)
	for range 70 {
		expectStatus(t, stranger.do(http.MethodGet, "/v1/meters/", ""), http.StatusUnauthorized)
	}
}

func TestRateLimitForgetsATokenAfter300Seconds(t *testing.T) {
	a, c := newAPI(t)
	// Windows longer than 300 s keep the token's pending bucket full.
	a.srv.SetRateLimit(0, 10*time.Minute)
	a.srv.SetPendingRateLimit(1)
	expectStatus(t, a.do(http.MethodGet, "/v1/meters/", ""), http.StatusOK)
	c.Advance(299 * time.Second)
	// Known: counted against the (unlimited) organization, and known 300 s more.
	expectStatus(t, a.do(http.MethodGet, "/v1/meters/", ""), http.StatusOK)
	c.Advance(300 * time.Second)
	// Forgotten: back in its pending bucket, whose window is still full.
	expectBody429(t, a.do(http.MethodGet, "/v1/meters/", ""), "600")
}

func TestRateLimitWithoutToken(t *testing.T) {
	a, _ := newAPI(t)
	a.srv.SetRateLimit(2, time.Minute)
	anonymous := a.withToken("")
	expectStatus(t, anonymous.do(http.MethodGet, "/v1/meters/", ""), http.StatusUnauthorized)
	expectStatus(t, anonymous.do(http.MethodGet, "/v1/unknown", ""), http.StatusNotFound)
	expectBody429(t, anonymous.do(http.MethodGet, "/v1/meters/", ""), "60")
	// The token's requests have their own bucket.
	expectStatus(t, a.do(http.MethodGet, "/v1/meters/", ""), http.StatusOK)
}

func TestRateLimitOrder(t *testing.T) {
	a, _ := newAPI(t)
	a.srv.SetRateLimit(1, time.Minute)
	expectStatus(t, a.do(http.MethodGet, "/v1/meters/", ""), http.StatusOK)
	// The API version is checked first, and a 429 echoes it.
	r := a.do(http.MethodGet, "/v1/meters/", "", withHeader("Polar-Version", "1999-01"))
	expectBody(t, r, http.StatusNotFound, `{"detail":"Not Found"}`)
	r = a.do(http.MethodGet, "/v1/meters/", "", withHeader("Polar-Version", "2026-10"))
	expectBody429(t, r, "60")
	expectHeader(t, r, "Polar-Version", "2026-10")
	// Polar's rule covers /v1 only.
	expectBody(t, a.do(http.MethodGet, "/healthz", ""), http.StatusNotFound, `{"detail":"Not Found"}`)
}

func TestRateLimitWindows(t *testing.T) {
	a, _ := newAPI(t)
	a.srv.SetRateLimit(1, 1500*time.Millisecond)
	expectStatus(t, a.do(http.MethodGet, "/v1/meters/", ""), http.StatusOK)
	expectBody429(t, a.do(http.MethodGet, "/v1/meters/", ""), "2")
	a.srv.SetRateLimit(0, 0)
	for range 5 {
		expectStatus(t, a.do(http.MethodGet, "/v1/meters/", ""), http.StatusOK)
	}
}
