package localpolar

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const validCreate = `{"name":"Requests","filter":{"conjunction":"and","clauses":[]},"aggregation":{"func":"count"}}`

func TestListAndCreateWithoutTrailingSlashRedirect(t *testing.T) {
	a, _ := newAPI(t)
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		r := a.do(method, "/v1/meters", validCreate)
		expectStatus(t, r, http.StatusTemporaryRedirect)
		if loc := r.Header.Get("Location"); loc != "/v1/meters/" {
			t.Errorf("%s: Location %q, want /v1/meters/", method, loc)
		}
		if r.Body != "" {
			t.Errorf("%s: body %q, want none", method, r.Body)
		}
	}
	if ids := a.srv.MeterIDs(); len(ids) != 0 {
		t.Errorf("a redirected POST created %v", ids)
	}
	r := a.do(http.MethodGet, "/v1/meters?limit=5", "")
	if loc := r.Header.Get("Location"); loc != "/v1/meters/?limit=5" {
		t.Errorf("Location %q keeps no query", loc)
	}
	id := a.createNamed("abc")
	r = a.do(http.MethodGet, "/v1/meters/"+id+"/", "")
	expectStatus(t, r, http.StatusTemporaryRedirect)
	if loc := r.Header.Get("Location"); loc != "/v1/meters/"+id {
		t.Errorf("Location %q, want the meter path without slash", loc)
	}
}

func TestUnknownPathsAndMethods(t *testing.T) {
	a, _ := newAPI(t)
	id := a.createNamed("abc")
	expectBody(t, a.do(http.MethodGet, "/v1/products/", ""), http.StatusNotFound, `{"detail":"Not Found"}`)
	expectBody(t, a.do(http.MethodGet, "/v1/meters/"+id+"/events", ""), http.StatusNotFound, `{"detail":"Not Found"}`)
	r := a.do(http.MethodDelete, "/v1/meters/"+id, "")
	expectBody(t, r, http.StatusMethodNotAllowed, `{"detail":"Method Not Allowed"}`)
	if allow := r.Header.Get("Allow"); allow != "GET" {
		t.Errorf("Allow %q", allow)
	}
	expectStatus(t, a.do(http.MethodPut, "/v1/meters/", validCreate), http.StatusMethodNotAllowed)
	a.get(id) // DELETE removed nothing
}

func TestPolarVersion(t *testing.T) {
	a, _ := newAPI(t)
	cases := []struct {
		header, echo string
	}{
		{"", "2026-04"},
		{"2026-04", "2026-04"},
		{"2026-10", "2026-10"},
	}
	for _, c := range cases {
		r := a.do(http.MethodGet, "/v1/meters/", "", withHeader("Polar-Version", c.header))
		expectStatus(t, r, http.StatusOK)
		if got := r.Header.Get("Polar-Version"); got != c.echo {
			t.Errorf("Polar-Version %q answered %q, want %q", c.header, got, c.echo)
		}
	}
	// An unknown version is refused before authentication and routing.
	for _, client := range []*api{a, a.withToken(""), a.withToken("polar_oat_unknown")} {
		for _, version := range []string{"2025-01", "2026-4", "latest"} {
			r := client.do(http.MethodGet, "/v1/meters/", "", withHeader("Polar-Version", version))
			expectBody(t, r, http.StatusNotFound, `{"detail":"Not Found"}`)
		}
	}
	r := a.withToken("").do(http.MethodGet, "/v1/meters/", "", withHeader("Polar-Version", "2026-10"))
	if got := r.Header.Get("Polar-Version"); r.Status != http.StatusUnauthorized || got != "2026-10" {
		t.Errorf("401 answered %d with Polar-Version %q", r.Status, got)
	}
}

func TestMissingTokenIsUnauthorized(t *testing.T) {
	a, _ := newAPI(t)
	// A token that is not ASCII is no token to Polar's authentication.
	for _, header := range []string{"", "Basic dXNlcjpwYXNz", "Bearer ", "Bearer", "Bearer polar_oat_\xe9t\xe9"} {
		r := a.withToken("").do(http.MethodGet, "/v1/meters/", "", withHeader("Authorization", header))
		expectBody(t, r, http.StatusUnauthorized, `{"error":"Unauthorized","detail":"Unauthorized"}`)
		expectHeader(t, r, "WWW-Authenticate", `Bearer realm="polar"`)
	}
}

func expectHeader(t *testing.T, r reply, key, want string) {
	t.Helper()
	if got := r.Header.Get(key); got != want {
		t.Errorf("%s %q, want %q", key, got, want)
	}
}

func TestUnknownTokenIsInvalid(t *testing.T) {
	a, _ := newAPI(t)
	const description = "The access token provided is expired, revoked, malformed, or invalid for other reasons."
	// The token is checked before routing: unknown paths answer 401 too.
	for _, p := range []string{"/v1/meters/", "/v1/meters", "/v1/unknown"} {
		r := a.withToken("polar_oat_revoked").do(http.MethodGet, p, "")
		// authlib writes it with json.dumps: spaces after separators.
		expectRawBody(t, r, http.StatusUnauthorized, `{"error": "invalid_token", "error_description": "`+description+`"}`)
		expectHeader(t, r, "WWW-Authenticate", `Bearer realm="polar", error="invalid_token", error_description="`+description+`"`)
		expectHeader(t, r, "Content-Type", "application/json")
		expectHeader(t, r, "Cache-Control", "no-store")
		expectHeader(t, r, "Pragma", "no-cache")
	}
}

func TestScopes(t *testing.T) {
	a := startAPI(t, Options{Tokens: map[string]Token{
		"read":  {OrganizationID: DefaultOrganizationID, Scopes: []string{ScopeMetersRead}},
		"write": {OrganizationID: DefaultOrganizationID, Scopes: []string{ScopeMetersWrite}},
		"none":  {OrganizationID: DefaultOrganizationID, Scopes: []string{"products:read"}},
	}})
	const insufficient = `{"error": "insufficient_scope", "error_description": "The request requires higher privileges than provided by the access token."}`
	id := a.withToken("write").create(validCreate)["id"].(string)

	reader := a.withToken("read")
	expectStatus(t, reader.do(http.MethodGet, "/v1/meters/", ""), http.StatusOK)
	expectStatus(t, reader.do(http.MethodGet, "/v1/meters/"+id, ""), http.StatusOK)
	r := reader.do(http.MethodPost, "/v1/meters/", validCreate)
	expectRawBody(t, r, http.StatusForbidden, insufficient)
	expectHeader(t, r, "WWW-Authenticate",
		`Bearer realm="polar", scope="meters:write", error="insufficient_scope", error_description="The request requires higher privileges than provided by the access token."`)
	expectRawBody(t, reader.patch(id, `{"name":"renamed"}`), http.StatusForbidden, insufficient)

	// Polar's read endpoints accept either meters scope.
	expectStatus(t, a.withToken("write").do(http.MethodGet, "/v1/meters/"+id, ""), http.StatusOK)

	none := a.withToken("none")
	r = none.do(http.MethodGet, "/v1/meters/", "")
	expectRawBody(t, r, http.StatusForbidden, insufficient)
	// Polar joins a set of scopes, in no fixed order; sorted here.
	if got := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, `Bearer realm="polar", scope="meters:read meters:write", error="insufficient_scope"`) {
		t.Errorf("WWW-Authenticate %q", got)
	}
	// The scope is checked before the path's id is validated.
	expectRawBody(t, none.do(http.MethodGet, "/v1/meters/not-a-uuid", ""), http.StatusForbidden, insufficient)
}

func TestAuthenticationComesBeforeValidation(t *testing.T) {
	a, _ := newAPI(t)
	anonymous := a.withToken("")
	expectStatus(t, anonymous.do(http.MethodGet, "/v1/meters/not-a-uuid", ""), http.StatusUnauthorized)
	expectStatus(t, anonymous.do(http.MethodPost, "/v1/meters/", `{"name":1}`), http.StatusUnauthorized)
	expectStatus(t, anonymous.do(http.MethodGet, "/v1/meters/?page=0", ""), http.StatusUnauthorized)
	// Routing comes before the check that a token was given; an unknown
	// token is refused before routing (TestUnknownTokenIsInvalid).
	expectStatus(t, anonymous.do(http.MethodGet, "/v1/unknown", ""), http.StatusNotFound)
	expectStatus(t, anonymous.do(http.MethodDelete, "/v1/meters/x", ""), http.StatusMethodNotAllowed)
	expectStatus(t, anonymous.do(http.MethodGet, "/v1/meters", ""), http.StatusTemporaryRedirect)
	expectStatus(t, a.do(http.MethodGet, "/v1/unknown", ""), http.StatusNotFound)
}

// chunked sends the body with chunked transfer encoding: a reader of
// unknown length.
func chunked(body string) func(*http.Request) {
	return func(r *http.Request) {
		r.Body = io.NopCloser(io.MultiReader(strings.NewReader(body)))
		r.ContentLength = -1
	}
}

func TestBodyWithoutContentLengthIsRefused(t *testing.T) {
	a, _ := newAPI(t)
	r := a.do(http.MethodPost, "/v1/meters/", validCreate, chunked(validCreate))
	expectStatus(t, r, http.StatusLengthRequired)
	if ids := a.srv.MeterIDs(); len(ids) != 0 {
		t.Fatalf("chunked POST created %v", ids)
	}
	if got := a.srv.Requests()[0].Header.Get("Transfer-Encoding"); got != "chunked" {
		t.Errorf("recorded Transfer-Encoding %q", got)
	}
	id := a.createNamed("abc")
	expectStatus(t, a.patch(id, "{}"), http.StatusOK)
	expectStatus(t, a.do(http.MethodPatch, "/v1/meters/"+id, `{"name":"renamed"}`, chunked(`{"name":"renamed"}`)), http.StatusLengthRequired)
	if name := a.get(id)["name"]; name != "abc" {
		t.Errorf("chunked PATCH renamed the meter to %v", name)
	}
}

func TestBodyMustBeDeclaredJSON(t *testing.T) {
	a, _ := newAPI(t)
	for _, contentType := range []string{"text/plain", "application/x-www-form-urlencoded", ""} {
		r := a.do(http.MethodPost, "/v1/meters/", validCreate, func(r *http.Request) {
			r.Header.Set("Content-Type", contentType)
		})
		details := expect422(t, r, requestValidation, wantError{`["body"]`, "model_attributes_type"})
		if details[0]["input"] != validCreate {
			t.Errorf("input %v, want the body as text", details[0]["input"])
		}
	}
	for _, contentType := range []string{"application/json; charset=utf-8", "application/merge-patch+json"} {
		expectStatus(t, a.do(http.MethodPost, "/v1/meters/", validCreate, withHeader("Content-Type", contentType)), http.StatusCreated)
	}
}

func TestMalformedJSON(t *testing.T) {
	a, _ := newAPI(t)
	cases := []struct {
		body string
		loc  string
	}{
		{`{"name":}`, `["body",8]`},
		{`{"name":"abc"`, `["body",13]`},
		{`{"name":"é",}`, `["body",12]`},
		{`{} {}`, `["body",3]`},
		{` `, `["body",1]`},
	}
	for _, c := range cases {
		r := a.do(http.MethodPost, "/v1/meters/", c.body)
		details := expect422(t, r, requestValidation, wantError{c.loc, "json_invalid"})
		if details[0]["msg"] != "JSON decode error" {
			t.Errorf("%s: msg %v", c.body, details[0]["msg"])
		}
	}
}

func TestMissingOrNonObjectBody(t *testing.T) {
	a, _ := newAPI(t)
	id := a.createNamed("abc")
	for _, body := range []string{"", "null"} {
		r := a.do(http.MethodPatch, "/v1/meters/"+id, body, withHeader("Content-Type", "application/json"))
		expect422(t, r, requestValidation, wantError{`["body"]`, "missing"})
	}
	for _, body := range []string{"[]", `"name"`, "3"} {
		expect422(t, a.do(http.MethodPost, "/v1/meters/", body), requestValidation, wantError{`["body"]`, "model_attributes_type"})
	}
}

func expectBody429(t *testing.T, r reply, retryAfter string) {
	t.Helper()
	expectStatus(t, r, http.StatusTooManyRequests)
	if r.Body != "" {
		t.Errorf("429 body %q, want none", r.Body)
	}
	if got := r.Header.Get("Retry-After"); got != retryAfter {
		t.Errorf("Retry-After %q, want %q", got, retryAfter)
	}
}

func TestFaultTimesMethodAndPath(t *testing.T) {
	a, _ := newAPI(t)
	id := a.createNamed("abc")
	a.srv.InjectFault(Fault{Method: http.MethodGet, Path: MeterPathPattern, Status: http.StatusServiceUnavailable, Times: 2})
	expectStatus(t, a.do(http.MethodGet, "/v1/meters/", ""), http.StatusOK)
	expectStatus(t, a.patch(id, "{}"), http.StatusOK)
	expectBody(t, a.do(http.MethodGet, "/v1/meters/"+id, ""), http.StatusServiceUnavailable, `{"detail":"Service Unavailable"}`)
	expectStatus(t, a.do(http.MethodGet, "/v1/meters/"+id, ""), http.StatusServiceUnavailable)
	expectStatus(t, a.do(http.MethodGet, "/v1/meters/"+id, ""), http.StatusOK)
}

func TestFaultsApplyInOrder(t *testing.T) {
	a, _ := newAPI(t)
	a.srv.InjectFault(Fault{Status: http.StatusInternalServerError})
	a.srv.InjectFault(Fault{Path: "/v1/meters/", Status: http.StatusBadGateway})
	expectStatus(t, a.do(http.MethodGet, "/v1/meters/", ""), http.StatusInternalServerError)
	expectStatus(t, a.do(http.MethodGet, "/v1/meters/", ""), http.StatusBadGateway)
	expectStatus(t, a.do(http.MethodGet, "/v1/meters/", ""), http.StatusOK)
}

func TestFaultApplyFirstCommitsThenFails(t *testing.T) {
	a, _ := newAPI(t)
	a.srv.InjectFault(Fault{Method: http.MethodPost, Path: "/v1/meters/", Status: http.StatusBadGateway, ApplyFirst: true})
	expectBody(t, a.do(http.MethodPost, "/v1/meters/", validCreate), http.StatusBadGateway, `{"detail":"Bad Gateway"}`)
	ids := a.srv.MeterIDs()
	if len(ids) != 1 {
		t.Fatalf("meters %v, want exactly one", ids)
	}
	list := decode(t, a.do(http.MethodGet, "/v1/meters/", "").Body)
	if items := list["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != ids[0] {
		t.Errorf("list %v", list)
	}

	a.srv.InjectFault(Fault{Method: http.MethodPatch, Status: http.StatusGatewayTimeout, ApplyFirst: true})
	expectStatus(t, a.patch(ids[0], `{"name":"renamed"}`), http.StatusGatewayTimeout)
	if name := a.get(ids[0])["name"]; name != "renamed" {
		t.Errorf("name %v, want the update applied", name)
	}
}

func TestFaultWithoutApplyFirstChangesNothing(t *testing.T) {
	a, _ := newAPI(t)
	a.srv.InjectFault(Fault{Method: http.MethodPost, Status: http.StatusBadGateway})
	expectStatus(t, a.do(http.MethodPost, "/v1/meters/", validCreate), http.StatusBadGateway)
	if ids := a.srv.MeterIDs(); len(ids) != 0 {
		t.Errorf("meters %v, want none", ids)
	}
}

func TestFaultDropConnection(t *testing.T) {
	a, _ := newAPI(t)
	a.srv.InjectFault(Fault{Method: http.MethodPost, DropConnection: true, ApplyFirst: true})
	req, _ := http.NewRequest(http.MethodPost, a.base+"/v1/meters/", strings.NewReader(validCreate))
	req.Header.Set("Authorization", "Bearer "+DefaultToken)
	req.Header.Set("Content-Type", "application/json")
	// A fresh transport: a dropped POST is not retried on another connection.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("got status %d, want the connection dropped", resp.StatusCode)
	}
	if ids := a.srv.MeterIDs(); len(ids) != 1 {
		t.Errorf("meters %v, want the one applied before the drop", ids)
	}
	requests := a.srv.Requests()
	if len(requests) != 1 || requests[0].Status != 0 {
		t.Errorf("requests %+v, want one with status 0", requests)
	}

	a.srv.InjectFault(Fault{DropConnection: true})
	if _, err := client.Get(a.base + "/v1/meters/"); err == nil {
		t.Fatal("GET answered, want the connection dropped")
	}
	expectStatus(t, a.do(http.MethodGet, "/v1/meters/", ""), http.StatusOK)
}

func TestFault429(t *testing.T) {
	a, _ := newAPI(t)
	a.srv.InjectFault(Fault{Status: http.StatusTooManyRequests, RetryAfter: 7})
	expectBody429(t, a.do(http.MethodGet, "/v1/meters/", ""), "7")
	a.srv.InjectFault(Fault{Status: http.StatusTooManyRequests})
	expectBody429(t, a.do(http.MethodGet, "/v1/meters/", ""), "60")
	a.srv.SetRateLimit(100, 10*time.Second)
	a.srv.InjectFault(Fault{Status: http.StatusTooManyRequests})
	expectBody429(t, a.do(http.MethodGet, "/v1/meters/", ""), "10")
}

func TestLatency(t *testing.T) {
	a, _ := newAPI(t)
	a.srv.SetLatency(50 * time.Millisecond)
	start := time.Now()
	expectStatus(t, a.do(http.MethodGet, "/v1/meters/", ""), http.StatusOK)
	if elapsed := time.Since(start); elapsed < 50*time.Millisecond {
		t.Errorf("answered after %v, want at least the latency", elapsed)
	}

	a.srv.SetLatency(time.Hour)
	impatient := &http.Client{Timeout: 20 * time.Millisecond}
	if _, err := impatient.Get(a.base + "/v1/meters/"); err == nil {
		t.Fatal("answered before the latency")
	}
	a.srv.SetLatency(0)
	expectStatus(t, a.do(http.MethodGet, "/v1/meters/", ""), http.StatusOK)
}

func TestRequestLog(t *testing.T) {
	a, _ := newAPI(t)
	a.srv.InjectFault(Fault{Method: http.MethodGet, Path: MeterPathPattern, Status: http.StatusBadGateway})
	id := a.createNamed("abc")
	a.do(http.MethodGet, "/v1/meters/"+id, "")
	a.withToken("polar_oat_unknown").do(http.MethodGet, "/v1/meters/?limit=5&organization_id=a&organization_id=b", "", withHeader("Polar-Version", "2026-10"))
	a.patch(id, `{"name":"renamed"}`)

	requests := a.srv.Requests()
	want := []struct {
		method, path string
		status       int
	}{
		{http.MethodPost, "/v1/meters/", http.StatusCreated},
		{http.MethodGet, "/v1/meters/" + id, http.StatusBadGateway},
		{http.MethodGet, "/v1/meters/", http.StatusUnauthorized},
		{http.MethodPatch, "/v1/meters/" + id, http.StatusOK},
	}
	if len(requests) != len(want) {
		t.Fatalf("%d requests, want %d", len(requests), len(want))
	}
	for i, w := range want {
		got := requests[i]
		if got.Method != w.method || got.Path != w.path || got.Status != w.status {
			t.Errorf("request %d: %s %s %d, want %s %s %d", i, got.Method, got.Path, got.Status, w.method, w.path, w.status)
		}
	}
	rejected := requests[2]
	if rejected.Header.Get("Authorization") != "Bearer polar_oat_unknown" || rejected.Header.Get("Polar-Version") != "2026-10" {
		t.Errorf("headers %v", rejected.Header)
	}
	if host := rejected.Header.Get("Host"); "http://"+host != a.base {
		t.Errorf("Host %q", host)
	}
	if rejected.Query.Get("limit") != "5" || len(rejected.Query["organization_id"]) != 2 {
		t.Errorf("query %v", rejected.Query)
	}
	if string(requests[3].Body) != `{"name":"renamed"}` || requests[3].Header.Get("Content-Length") != "18" {
		t.Errorf("body %q, headers %v", requests[3].Body, requests[3].Header)
	}

	counts := map[[2]string]int{
		{"", ""}:                                  4,
		{http.MethodGet, ""}:                      2,
		{http.MethodGet, MeterPathPattern}:        1,
		{"", MeterPathPattern}:                    2,
		{"", "/v1/meters/"}:                       2,
		{http.MethodPatch, "/v1/meters/" + id}:    1,
		{http.MethodDelete, ""}:                   0,
		{http.MethodPost, "/v1/meters/" + id[1:]}: 0,
	}
	for key, want := range counts {
		if got := a.srv.CountRequests(key[0], key[1]); got != want {
			t.Errorf("CountRequests(%q, %q) = %d, want %d", key[0], key[1], got, want)
		}
	}

	requests[0].Header.Set("Authorization", "tampered")
	if a.srv.Requests()[0].Header.Get("Authorization") == "tampered" {
		t.Error("Requests returns the log itself")
	}
	a.srv.ResetRequests()
	if n := len(a.srv.Requests()); n != 0 {
		t.Errorf("%d requests after reset", n)
	}
	a.do(http.MethodGet, "/v1/meters/", "")
	if n := a.srv.CountRequests("", ""); n != 1 {
		t.Errorf("%d requests after reset and one more", n)
	}
}

func TestConcurrentUse(t *testing.T) {
	a, _ := newAPI(t)
	id := a.createNamed("shared")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 10 {
				a.do(http.MethodPost, "/v1/meters/", validCreate)
				a.patch(id, `{"metadata":{"writer":`+strconv.Itoa(i)+`}}`)
				a.do(http.MethodGet, "/v1/meters/?limit=100", "")
				a.srv.InjectFault(Fault{Path: "/nowhere", Status: http.StatusBadGateway})
				a.srv.LockAggregation(id)
				a.srv.CountRequests("", MeterPathPattern)
				a.srv.Requests()
				a.srv.MeterIDs()
			}
		})
	}
	wg.Wait()
	if n := len(a.srv.MeterIDs()); n != 81 {
		t.Errorf("%d meters, want 81", n)
	}
	if n := a.srv.CountRequests(http.MethodPatch, MeterPathPattern); n != 80 {
		t.Errorf("%d PATCH requests logged, want 80", n)
	}
}
