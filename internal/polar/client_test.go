package polar

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const testToken = "polar_oat_S3CRETt0kenValue"

// fastRetry keeps retry tests quick.
var fastRetry = RetryPolicy{MaxElapsed: 5 * time.Second, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}

// seenRequest is what the fake server received.
type seenRequest struct {
	Method           string
	RequestURI       string
	Path             string
	Header           http.Header
	Body             string
	ContentLength    int64
	TransferEncoding []string
}

// fakePolar is an httptest server that records every request and lets answer respond;
// n is the 1-based number of the request.
type fakePolar struct {
	*httptest.Server
	mu   sync.Mutex
	seen []seenRequest
}

func startFake(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, n int)) *fakePolar {
	t.Helper()
	fake := &fakePolar{}
	fake.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fake.mu.Lock()
		fake.seen = append(fake.seen, seenRequest{
			Method: r.Method, RequestURI: r.RequestURI, Path: r.URL.Path, Header: r.Header.Clone(),
			Body: string(body), ContentLength: r.ContentLength, TransferEncoding: r.TransferEncoding,
		})
		n := len(fake.seen)
		fake.mu.Unlock()
		answer(w, r, n)
	}))
	t.Cleanup(fake.Close)
	return fake
}

func (f *fakePolar) requests() []seenRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seenRequest(nil), f.seen...)
}

// client returns a Client on the fake with fast retries, after applying each option.
func (f *fakePolar) client(t *testing.T, options ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{BaseURL: f.URL, Token: testToken, Retry: fastRetry}
	for _, option := range options {
		option(&cfg)
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.clock = newFakeClock()
	return c
}

func respond(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// dashboardMeterID is the id of dashboardMeterJSON.
const dashboardMeterID = "0b0f5e8a-8a34-4c6b-9f57-3d0c2f9e6a11"

// meterJSON is the meter r asks for, as Polar answers a call on one meter: dashboardMeterJSON with its id, or as it
// is for a create.
func meterJSON(r *http.Request) string {
	id, _ := strings.CutPrefix(r.URL.Path, metersPath)
	if id == "" {
		return dashboardMeterJSON
	}
	quoted, _ := json.Marshal(id)
	return strings.Replace(dashboardMeterJSON, `"`+dashboardMeterID+`"`, string(quoted), 1)
}

// answerMeter answers every request with status and the meter it asks for.
func answerMeter(status int) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, r *http.Request, _ int) { respond(w, status, meterJSON(r)) }
}

// answerWith answers every request with the same status and body.
func answerWith(status int, body string) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, _ *http.Request, _ int) { respond(w, status, body) }
}

func TestNewClientChecksItsConfig(t *testing.T) {
	for _, cfg := range []Config{
		{BaseURL: "https://api.polar.sh"},
		{BaseURL: "", Token: testToken},
		{BaseURL: "api.polar.sh", Token: testToken},
		{BaseURL: "ftp://api.polar.sh", Token: testToken},
		{BaseURL: "https://api.polar.sh/?x=1", Token: testToken},
		{BaseURL: "http://[::1", Token: testToken},
	} {
		if _, err := NewClient(cfg); err == nil {
			t.Errorf("%+v: no error", cfg)
		} else if strings.Contains(err.Error(), testToken) {
			t.Errorf("error shows the token: %v", err)
		}
	}
}

func TestBaseURLWithOrWithoutTrailingSlash(t *testing.T) {
	fake := startFake(t, answerMeter(http.StatusOK))
	for _, base := range []string{fake.URL, fake.URL + "/"} {
		c := fake.client(t, func(cfg *Config) { cfg.BaseURL = base })
		if _, err := c.GetMeter(context.Background(), "m1"); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range fake.requests() {
		if r.RequestURI != "/v1/meters/m1" {
			t.Errorf("requested %s", r.RequestURI)
		}
	}
}

func TestEveryRequestCarriesTheHeaders(t *testing.T) {
	fake := startFake(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		if r.Method == http.MethodPost {
			respond(w, http.StatusCreated, meterJSON(r))
			return
		}
		respond(w, http.StatusOK, meterJSON(r))
	})
	ctx := context.Background()
	c := fake.client(t)
	if _, err := c.GetMeter(ctx, "m1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateMeter(ctx, "m1", MeterUpdate{Name: ptr("Renamed")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateMeter(ctx, MeterCreate{Name: "New", Filter: Filter{Conjunction: ConjunctionAnd}, Aggregation: Aggregation{Func: AggregationCount}}); err != nil {
		t.Fatal(err)
	}
	custom := fake.client(t, func(cfg *Config) { cfg.UserAgent = "custom-agent/1.0" })
	if _, err := custom.GetMeter(ctx, "m1"); err != nil {
		t.Fatal(err)
	}

	seen := fake.requests()
	for i, r := range seen {
		wantAgent := "terraform-provider-polar"
		if i == 3 {
			wantAgent = "custom-agent/1.0"
		}
		for name, want := range map[string]string{
			"Authorization": "Bearer " + testToken,
			"Polar-Version": "2026-04",
			"User-Agent":    wantAgent,
			"Accept":        "application/json",
		} {
			if got := r.Header.Get(name); got != want {
				t.Errorf("%s %s: %s = %q, want %q", r.Method, r.Path, name, got, want)
			}
		}
		hasBody := r.Method != http.MethodGet
		if got := r.Header.Get("Content-Type"); (got == "application/json") != hasBody {
			t.Errorf("%s: Content-Type %q", r.Method, got)
		}
		if hasBody && (r.ContentLength != int64(len(r.Body)) || r.ContentLength == 0 || len(r.TransferEncoding) != 0) {
			t.Errorf("%s: Content-Length %d for %d bytes, Transfer-Encoding %v", r.Method, r.ContentLength, len(r.Body), r.TransferEncoding)
		}
	}
}

func TestCreateMeter(t *testing.T) {
	fake := startFake(t, answerMeter(http.StatusCreated))
	in := MeterCreate{
		Name:        "LLM tokens",
		Unit:        UnitToken,
		Filter:      Filter{Conjunction: ConjunctionAnd, Clauses: []FilterItem{{Condition: &FilterCondition{Property: "timestamp", Operator: OperatorGte, Value: IntValue(1767225600)}}}},
		Aggregation: Aggregation{Func: AggregationSum, Property: "tokens"},
		Metadata:    Metadata{"weight": MetadataFloat(3)},
	}
	m, err := fake.client(t).CreateMeter(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != dashboardMeterID || m.Name != "LLM tokens" {
		t.Errorf("got %+v", m)
	}
	seen := fake.requests()
	if len(seen) != 1 || seen[0].Method != http.MethodPost || seen[0].RequestURI != "/v1/meters/" {
		t.Fatalf("requests: %+v", seen)
	}
	const wantBody = `{"name":"LLM tokens","unit":"token","filter":{"conjunction":"and","clauses":[{"property":"timestamp","operator":"gte","value":1767225600}]},"aggregation":{"func":"sum","property":"tokens"},"metadata":{"weight":3.0}}`
	if seen[0].Body != wantBody {
		t.Errorf("body:\n got %s\nwant %s", seen[0].Body, wantBody)
	}
}

func TestCreateMeterAnsweredWithoutA201(t *testing.T) {
	for _, status := range []int{http.StatusOK, http.StatusCreated} {
		body := `{"not":"a meter"}`
		if status == http.StatusOK {
			body = dashboardMeterJSON
		}
		fake := startFake(t, answerWith(status, body))
		_, err := fake.client(t).CreateMeter(context.Background(), MeterCreate{Name: "abc"})
		apiErr, ok := AsAPIError(err)
		if !ok || apiErr.Kind != KindUnexpected || !apiErr.MaybeApplied || apiErr.StatusCode != status {
			t.Errorf("status %d: got %#v", status, err)
		}
		if n := len(fake.requests()); n != 1 {
			t.Errorf("status %d: %d requests", status, n)
		}
	}
}

func TestUpdateMeterSendsOnlyWhatIsSet(t *testing.T) {
	fake := startFake(t, answerMeter(http.StatusOK))
	c := fake.client(t)
	ctx := context.Background()
	if _, err := c.UpdateMeter(ctx, "m1", MeterUpdate{Name: ptr("Renamed")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ArchiveMeter(ctx, "m1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UnarchiveMeter(ctx, "m1"); err != nil {
		t.Fatal(err)
	}
	want := []string{`{"name":"Renamed"}`, `{"is_archived":true}`, `{"is_archived":false}`}
	for i, r := range fake.requests() {
		if r.Method != http.MethodPatch || r.RequestURI != "/v1/meters/m1" || r.Body != want[i] {
			t.Errorf("request %d: %s %s %s, want PATCH /v1/meters/m1 %s", i, r.Method, r.RequestURI, r.Body, want[i])
		}
	}
}

func TestMeterIDIsPathEscaped(t *testing.T) {
	fake := startFake(t, answerMeter(http.StatusOK))
	if _, err := fake.client(t).GetMeter(context.Background(), "a/b c?d"); err != nil {
		t.Fatal(err)
	}
	if got := fake.requests()[0].RequestURI; got != "/v1/meters/a%2Fb%20c%3Fd" {
		t.Errorf("requested %s", got)
	}
}

func TestEmptyMeterIDIsRefusedBeforeSending(t *testing.T) {
	fake := startFake(t, answerMeter(http.StatusOK))
	c := fake.client(t)
	_, err := c.GetMeter(context.Background(), "")
	if apiErr, ok := AsAPIError(err); !ok || apiErr.Kind != KindUnexpected || err.Error() != "polar: GET /v1/meters/{id}: the meter id is empty" {
		t.Errorf("GetMeter: got %v", err)
	}
	if _, err := c.ArchiveMeter(context.Background(), ""); err == nil {
		t.Error("ArchiveMeter: no error")
	}
	if n := len(fake.requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestUnencodableBodyIsRefusedBeforeSending(t *testing.T) {
	fake := startFake(t, answerMeter(http.StatusCreated))
	in := anyMeter
	in.Metadata = Metadata{"ratio": MetadataFloat(math.Inf(1))}
	_, err := fake.client(t).CreateMeter(context.Background(), in)
	if apiErr, ok := AsAPIError(err); !ok || apiErr.Kind != KindUnexpected || apiErr.MaybeApplied ||
		!strings.HasPrefix(err.Error(), "polar: POST /v1/meters/: encoding the request body: ") {
		t.Errorf("got %v", err)
	}
	if n := len(fake.requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	fake := startFake(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		http.Redirect(w, r, "/v1/meters/", http.StatusTemporaryRedirect)
	})
	for _, hc := range []*http.Client{nil, {}} {
		_, err := fake.client(t, func(cfg *Config) { cfg.HTTPClient = hc }).CreateMeter(context.Background(), MeterCreate{Name: "abc"})
		apiErr, ok := AsAPIError(err)
		if !ok || apiErr.Kind != KindUnexpected || apiErr.StatusCode != http.StatusTemporaryRedirect {
			t.Fatalf("got %#v", err)
		}
		if !strings.Contains(err.Error(), "307 Temporary Redirect: redirected to /v1/meters/") {
			t.Errorf("Error() = %s", err)
		}
	}
	if n := len(fake.requests()); n != 2 {
		t.Errorf("%d requests, want one per call", n)
	}
}

func TestErrorKindsAndMessages(t *testing.T) {
	getMeter := func(c *Client) error { _, err := c.GetMeter(context.Background(), "m1"); return err }
	updateMeter := func(c *Client) error {
		_, err := c.UpdateMeter(context.Background(), "m1", MeterUpdate{Name: ptr("x")})
		return err
	}
	createMeter := func(c *Client) error {
		_, err := c.CreateMeter(context.Background(), MeterCreate{Name: "abc"})
		return err
	}

	tests := []struct {
		name      string
		status    int
		header    http.Header
		body      string
		call      func(*Client) error
		kind      ErrorKind
		message   string
		errorText string
	}{
		{
			name: "not found", status: 404, body: `{"error":"ResourceNotFound","detail":"Not found"}`, call: getMeter,
			kind: KindNotFound, message: "Not found",
			errorText: "polar: GET /v1/meters/m1: 404 Not Found: Not found",
		},
		{
			name: "validation", status: 422, call: updateMeter, kind: KindValidation,
			body: `{"error":"PolarRequestValidationError","detail":[` +
				`{"loc":["body","filter","clauses",0,"value"],"msg":"Input should be a valid string","type":"string_type","input":{"a":1}},` +
				`{"loc":["body","is_archived"],"msg":"Cannot archive meter that is still attached to active products","type":"value_error","input":true}]}`,
			message: "Input should be a valid string; Cannot archive meter that is still attached to active products",
			errorText: "polar: PATCH /v1/meters/m1: 422 Unprocessable Entity: body.filter.clauses[0].value: Input should be a valid string; " +
				"body.is_archived: Cannot archive meter that is still attached to active products",
		},
		{
			name: "no token", status: 401, body: `{"error":"Unauthorized","detail":"Unauthorized"}`, call: getMeter,
			kind: KindUnauthorized, message: "Unauthorized",
			errorText: "polar: GET /v1/meters/m1: 401 Unauthorized: Unauthorized",
		},
		{
			name: "unknown token", status: 401, call: getMeter, kind: KindUnauthorized,
			header:    http.Header{"Www-Authenticate": {`Bearer error="invalid_token"`}},
			body:      `{"error":"invalid_token","error_description":"The access token provided is expired, revoked, malformed, or invalid for other reasons."}`,
			message:   "The access token provided is expired, revoked, malformed, or invalid for other reasons.",
			errorText: "polar: GET /v1/meters/m1: 401 Unauthorized: The access token provided is expired, revoked, malformed, or invalid for other reasons.",
		},
		{
			name: "forbidden", status: 403, body: `{"error":"InsufficientScopeError","detail":"The access token does not have enough privileges."}`,
			call: createMeter, kind: KindForbidden, message: "The access token does not have enough privileges.",
			errorText: "polar: POST /v1/meters/: 403 Forbidden: The access token does not have enough privileges.",
		},
		{
			name: "token without the write scope", status: 403, call: createMeter, kind: KindInsufficientScope,
			header:  http.Header{"Www-Authenticate": {`Bearer error="insufficient_scope"`}},
			body:    `{"error":"insufficient_scope","error_description":"The request requires higher privileges than provided by the access token."}`,
			message: "The request requires higher privileges than provided by the access token.",
			errorText: "polar: POST /v1/meters/: 403 Forbidden: The request requires higher privileges than provided by the access token; " +
				"the access token lacks the meters:write scope: give the token the meters:read and meters:write scopes, " +
				"or use one that has them (Polar dashboard: Settings → Developers)",
		},
		{
			name: "token without the read scope, told by the header alone", status: 403, call: getMeter, kind: KindInsufficientScope,
			header: http.Header{"Www-Authenticate": {`Bearer realm="polar", error="insufficient_scope"`}},
			errorText: "polar: GET /v1/meters/m1: 403 Forbidden; the access token lacks the meters:read scope: give the token the " +
				"meters:read and meters:write scopes, or use one that has them (Polar dashboard: Settings → Developers)",
		},
		{
			name: "member whose role cannot manage products", status: 403, call: updateMeter, kind: KindNotPermitted,
			body:    `{"error":"NotPermitted","detail":"You don't have permission to manage products"}`,
			message: "You don't have permission to manage products",
			errorText: "polar: PATCH /v1/meters/m1: 403 Forbidden: You don't have permission to manage products; the token's user is " +
				"a member of the organization whose role cannot manage products (the finance role, for instance): ask an " +
				"organization admin for a role that can, or use an Organization Access Token with the meters:write scope",
		},
		{
			name: "rate limited beyond the budget", status: 429, header: http.Header{"Retry-After": {"60"}}, call: getMeter,
			kind: KindRateLimited,
			errorText: "polar: GET /v1/meters/m1: 429 Too Many Requests; gave up after 1 attempt: " +
				"waiting the 60s Polar asked for (Retry-After) would exceed the 5s left of the 5s retry budget",
		},
		{
			name: "server error on create", status: 502, body: "<html>\n<b>Bad gateway</b>\n</html>", call: createMeter,
			kind: KindServer, message: "<html>\n<b>Bad gateway</b>\n</html>",
			errorText: "polar: POST /v1/meters/: 502 Bad Gateway: <html> <b>Bad gateway</b> </html>; the request reached Polar and may have been applied",
		},
		{
			name: "length required", status: 411, body: "", call: updateMeter, kind: KindUnexpected,
			errorText: "polar: PATCH /v1/meters/m1: 411 Length Required",
		},
		{
			name: "unparsable success", status: 200, body: `{"id":`, call: getMeter, kind: KindUnexpected,
			message:   "decoding the response: unexpected end of JSON input",
			errorText: "polar: GET /v1/meters/m1: 200 OK: decoding the response: unexpected end of JSON input",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := startFake(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
				for name, values := range tt.header {
					w.Header()[name] = values
				}
				respond(w, tt.status, tt.body)
			})
			err := tt.call(fake.client(t))
			apiErr, ok := AsAPIError(err)
			if !ok {
				t.Fatalf("got %v, want an *APIError", err)
			}
			if apiErr.Kind != tt.kind || apiErr.StatusCode != tt.status || apiErr.Message != tt.message {
				t.Errorf("got kind %v status %d message %q, want %v %d %q", apiErr.Kind, apiErr.StatusCode, apiErr.Message, tt.kind, tt.status, tt.message)
			}
			if err.Error() != tt.errorText {
				t.Errorf("Error():\n got %s\nwant %s", err, tt.errorText)
			}
			if IsNotFound(err) != (tt.kind == KindNotFound) {
				t.Errorf("IsNotFound %v for kind %v", IsNotFound(err), tt.kind)
			}
			if n := len(fake.requests()); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}
}

func TestValidationIssuesKeepEveryLocation(t *testing.T) {
	fake := startFake(t, answerWith(422, `{"error":"RequestValidationError","detail":[`+
		`{"loc":["body","filter","clauses",0,"clauses",12,"value"],"msg":"m1","type":"t1","input":null},`+
		`{"loc":["body","name"],"msg":"String should have at least 3 characters","type":"string_too_short","input":"ab","ctx":{"min_length":3}}]}`))
	_, err := fake.client(t).CreateMeter(context.Background(), MeterCreate{Name: "ab"})
	apiErr, _ := AsAPIError(err)
	want := []ValidationIssue{
		{Loc: []any{"body", "filter", "clauses", 0, "clauses", 12, "value"}, Msg: "m1", Type: "t1"},
		{Loc: []any{"body", "name"}, Msg: "String should have at least 3 characters", Type: "string_too_short"},
	}
	if apiErr == nil || !reflect.DeepEqual(apiErr.Validation, want) {
		t.Fatalf("got %#v", err)
	}
	if got := apiErr.Validation[0].String(); got != "body.filter.clauses[0].clauses[12].value: m1" {
		t.Errorf("String() = %s", got)
	}
	if apiErr.MaybeApplied {
		t.Error("a 422 is reported as maybe applied")
	}
}

// recordingLogger keeps every entry.
type recordingLogger struct {
	mu      sync.Mutex
	entries []logEntry
}

type logEntry struct {
	level  string
	msg    string
	fields map[string]any
}

func (l *recordingLogger) Debug(_ context.Context, msg string, fields map[string]any) {
	l.add(logEntry{"debug", msg, fields})
}

func (l *recordingLogger) Info(_ context.Context, msg string, fields map[string]any) {
	l.add(logEntry{"info", msg, fields})
}

func (l *recordingLogger) add(e logEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, e)
}

// infos returns the messages logged at INFO.
func (l *recordingLogger) infos() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var msgs []string
	for _, e := range l.entries {
		if e.level == "info" {
			msgs = append(msgs, e.msg)
		}
	}
	return msgs
}

func (l *recordingLogger) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprint(l.entries)
}

func TestLogging(t *testing.T) {
	long := strings.Repeat("x", 10000)
	fake := startFake(t, answerMeter(http.StatusOK))
	logger := &recordingLogger{}
	_, err := fake.client(t, func(cfg *Config) { cfg.Logger = logger }).UpdateMeter(context.Background(), "m1", MeterUpdate{Name: &long})
	if err != nil {
		t.Fatal(err)
	}
	if len(logger.entries) != 1 {
		t.Fatalf("entries: %v", logger.entries)
	}
	fields := logger.entries[0].fields
	for name, want := range map[string]any{"method": "PATCH", "path": "/v1/meters/m1", "status": 200, "attempt": 1} {
		if fields[name] != want {
			t.Errorf("%s = %#v, want %#v", name, fields[name], want)
		}
	}
	if _, ok := fields["duration_ms"].(int64); !ok {
		t.Errorf("duration_ms = %#v", fields["duration_ms"])
	}
	if body := fields["request_body"].(string); !strings.HasPrefix(body, `{"name":"xxx`) || len(body) > 5000 {
		t.Errorf("request_body has %d bytes", len(body))
	}
	if body := fields["response_body"].(string); !strings.Contains(body, "LLM tokens") {
		t.Errorf("response_body = %s", body)
	}
	if text := logger.text(); strings.Contains(text, "Bearer") || strings.Contains(text, APIVersion) {
		t.Errorf("headers were logged: %s", text)
	}
}

func TestTheTokenNeverAppearsInErrorsOrLogs(t *testing.T) {
	// The fake echoes the Authorization header in its answers, the worst case.
	echo := func(w http.ResponseWriter, r *http.Request, _ int) {
		auth := r.Header.Get("Authorization")
		respond(w, http.StatusUnauthorized, `{"error":"invalid_token","error_description":"unknown token `+auth+`"}`)
	}
	echoValidation := func(w http.ResponseWriter, r *http.Request, _ int) {
		respond(w, 422, `{"detail":[{"loc":["header","authorization"],"msg":"bad `+r.Header.Get("Authorization")+`","type":"x"}]}`)
	}
	echoRedirect := func(w http.ResponseWriter, r *http.Request, _ int) {
		http.Redirect(w, r, "/login?token="+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), http.StatusFound)
	}
	for _, answer := range []func(http.ResponseWriter, *http.Request, int){echo, echoValidation, echoRedirect} {
		fake := startFake(t, answer)
		logger := &recordingLogger{}
		_, err := fake.client(t, func(cfg *Config) { cfg.Logger = logger }).GetMeter(context.Background(), "m1")
		if err == nil {
			t.Fatal("no error")
		}
		if strings.Contains(err.Error(), testToken) || strings.Contains(fmt.Sprintf("%#v", err), testToken) {
			t.Errorf("error shows the token: %s", err)
		}
		if strings.Contains(logger.text(), testToken) {
			t.Errorf("log shows the token: %s", logger.text())
		}
	}

	// A network failure: nothing listens.
	fake := startFake(t, answerWith(http.StatusOK, "{}"))
	fake.Close()
	logger := &recordingLogger{}
	_, err := fake.client(t, func(cfg *Config) {
		cfg.Logger = logger
		cfg.Retry.MaxElapsed = 20 * time.Millisecond
	}).GetMeter(context.Background(), "m1")
	if err == nil || strings.Contains(err.Error(), testToken) || strings.Contains(logger.text(), testToken) {
		t.Errorf("network error %v / log %s", err, logger.text())
	}
}

func TestListMetersReadsEveryPage(t *testing.T) {
	for _, tt := range []struct{ meters, requests int }{{0, 1}, {1, 1}, {100, 1}, {101, 2}, {250, 3}} {
		t.Run(fmt.Sprint(tt.meters), func(t *testing.T) {
			fake := startFake(t, pagedMeters(t, tt.meters))
			meters, err := fake.client(t).ListMeters(context.Background(), ListMetersParams{})
			if err != nil {
				t.Fatal(err)
			}
			if len(meters) != tt.meters {
				t.Errorf("got %d meters", len(meters))
			}
			for i, m := range meters {
				if m.ID != fmt.Sprintf("meter-%d", i) {
					t.Fatalf("meter %d is %s", i, m.ID)
				}
			}
			seen := fake.requests()
			if len(seen) != tt.requests {
				t.Fatalf("%d requests, want %d", len(seen), tt.requests)
			}
			for i, r := range seen {
				if want := fmt.Sprintf("/v1/meters/?limit=100&page=%d", i+1); r.RequestURI != want {
					t.Errorf("requested %s, want %s", r.RequestURI, want)
				}
			}
		})
	}
}

// pagedMeters answers list calls from total meters, as Polar pages them.
func pagedMeters(t *testing.T, total int) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, r *http.Request, _ int) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		items := []json.RawMessage{}
		for i := (page - 1) * limit; i < min(page*limit, total); i++ {
			items = append(items, meterWithID(t, fmt.Sprintf("meter-%d", i)))
		}
		body, _ := json.Marshal(map[string]any{
			"items":      items,
			"pagination": map[string]int{"total_count": total, "max_page": (total + limit - 1) / limit},
		})
		respond(w, http.StatusOK, string(body))
	}
}

func meterWithID(t *testing.T, id string) json.RawMessage {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(dashboardMeterJSON), &m); err != nil {
		t.Fatal(err)
	}
	m["id"], _ = json.Marshal(id)
	data, _ := json.Marshal(m)
	return data
}

func TestListMetersStopsOnAnEmptyPage(t *testing.T) {
	fake := startFake(t, answerWith(http.StatusOK, `{"items":[],"pagination":{"total_count":500,"max_page":5}}`))
	if _, err := fake.client(t).ListMeters(context.Background(), ListMetersParams{}); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.requests()); n != 1 {
		t.Errorf("%d requests", n)
	}
}

func TestListMetersEncodesItsParameters(t *testing.T) {
	fake := startFake(t, pagedMeters(t, 0))
	_, err := fake.client(t).ListMeters(context.Background(), ListMetersParams{
		Query:      "api calls",
		IsArchived: ptr(false),
		Metadata:   map[string]string{"zeta": "2", "alpha": "1"},
		Sorting:    []string{"-created_at", "name"},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := fake.requests()[0]
	const want = "/v1/meters/?is_archived=false&limit=100&metadata%5Balpha%5D=1&metadata%5Bzeta%5D=2&page=1&query=api+calls&sorting=-created_at&sorting=name"
	if r.RequestURI != want {
		t.Errorf("requested\n %s\nwant\n %s", r.RequestURI, want)
	}

	fake = startFake(t, pagedMeters(t, 0))
	if _, err := fake.client(t).ListMeters(context.Background(), ListMetersParams{IsArchived: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	if got := fake.requests()[0].RequestURI; got != "/v1/meters/?is_archived=true&limit=100&page=1" {
		t.Errorf("requested %s", got)
	}
}

func TestErrorsUnwrap(t *testing.T) {
	cause := errors.New("cause")
	err := fmt.Errorf("wrapped: %w", &APIError{Kind: KindNetwork, Err: cause})
	if !errors.Is(err, cause) {
		t.Error("errors.Is does not reach the cause")
	}
	if _, ok := AsAPIError(errors.New("plain")); ok {
		t.Error("AsAPIError found an APIError in a plain error")
	}
	if IsNotFound(nil) || IsNotFound(errors.New("x")) {
		t.Error("IsNotFound on non-API errors")
	}
}

func TestNewClientTrimsTheToken(t *testing.T) {
	fake := startFake(t, answerMeter(http.StatusOK))
	for _, token := range []string{testToken + "\n", "  " + testToken + "\r\n", "\t" + testToken + " "} {
		if _, err := fake.client(t, func(cfg *Config) { cfg.Token = token }).GetMeter(context.Background(), "m1"); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range fake.requests() {
		if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
			t.Errorf("sent Authorization %q", got)
		}
	}
}

func TestNewClientRefusesATokenThatIsNotOneWord(t *testing.T) {
	for name, token := range map[string]string{
		"empty":              "",
		"blank":              " \n",
		"inner space":        "polar_oat_abc def",
		"two lines":          "polar_oat_abc\npolar_oat_def\n",
		"tab":                "polar_oat_abc\tdef",
		"NUL":                "polar_oat_abc\x00def",
		"non-breaking space": "polar_oat_abc\u00a0def",
		"zero-width space":   "polar_oat_abc\u200bdef",
	} {
		_, err := NewClient(Config{BaseURL: "https://api.polar.sh", Token: token})
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if strings.Contains(err.Error(), "abc") || strings.Contains(err.Error(), "def") {
			t.Errorf("%s: the error shows the token: %v", name, err)
		}
	}
	_, err := NewClient(Config{BaseURL: "https://api.polar.sh", Token: "polar_oat_abc def\n"})
	const want = "polar: the API token holds whitespace or an invisible character at byte 14 of 17: " +
		"a Polar token is one word (polar_oat_… or polar_pat_…), so check that exactly one token was copied"
	if err == nil || err.Error() != want {
		t.Errorf("Error():\n got %v\nwant %s", err, want)
	}
}

func TestNormalizeToken(t *testing.T) {
	if got, err := NormalizeToken(" " + testToken + "\n"); got != testToken || err != nil {
		t.Errorf("got %q, %v", got, err)
	}
}

func TestAnswerForAnotherMeterIsRefused(t *testing.T) {
	const asked = "9d7c3b1a-5e2f-4a60-8b1d-2c4e6f8a0b13"
	ctx := context.Background()
	for _, tt := range []struct {
		method string
		call   func(*Client) (*Meter, error)
	}{
		{http.MethodGet, func(c *Client) (*Meter, error) { return c.GetMeter(ctx, asked) }},
		{http.MethodPatch, func(c *Client) (*Meter, error) { return c.UpdateMeter(ctx, asked, MeterUpdate{Name: ptr("x")}) }},
		{http.MethodPatch, func(c *Client) (*Meter, error) { return c.ArchiveMeter(ctx, asked) }},
		{http.MethodPatch, func(c *Client) (*Meter, error) { return c.UnarchiveMeter(ctx, asked) }},
	} {
		fake := startFake(t, answerWith(http.StatusOK, dashboardMeterJSON))
		m, err := tt.call(fake.client(t))
		apiErr, ok := AsAPIError(err)
		write := tt.method != http.MethodGet
		if m != nil || !ok || apiErr.Kind != KindWrongMeter || apiErr.MaybeApplied != write || apiErr.Attempts != 1 {
			t.Fatalf("%s: got %v, %#v", tt.method, m, err)
		}
		want := "polar: " + tt.method + " /v1/meters/" + asked + ": 200 OK: asked for meter " + asked +
			", Polar answered with meter " + dashboardMeterID + "; the answer was not used"
		if write {
			want += "; the request reached Polar and may have been applied"
		}
		if err.Error() != want {
			t.Errorf("Error():\n got %s\nwant %s", err, want)
		}
		if n := len(fake.requests()); n != 1 {
			t.Errorf("%s: %d requests", tt.method, n)
		}
	}
}

func TestMeterIDsCompareIgnoringCase(t *testing.T) {
	fake := startFake(t, answerWith(http.StatusOK, dashboardMeterJSON))
	m, err := fake.client(t).GetMeter(context.Background(), strings.ToUpper(dashboardMeterID))
	if err != nil || m.ID != dashboardMeterID {
		t.Errorf("got %v, %v", m, err)
	}
}

func TestRetryWaitsAreLoggedAtInfo(t *testing.T) {
	fake := startFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch n {
		case 1:
			w.Header().Set("Retry-After", "60")
			w.WriteHeader(http.StatusTooManyRequests)
		case 2:
			respond(w, http.StatusServiceUnavailable, "")
		default:
			pagedMeters(t, 0)(w, r, n)
		}
	})
	logger := &recordingLogger{}
	c := fake.client(t, func(cfg *Config) {
		cfg.Logger = logger
		cfg.Retry = RetryPolicy{MaxElapsed: time.Hour, MinBackoff: time.Second, MaxBackoff: time.Second}
	})
	if _, err := c.ListMeters(context.Background(), ListMetersParams{}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Polar rate limit: waiting 60s before retrying GET /v1/meters/ (attempt 2)",
		"Polar answered 503 Service Unavailable: waiting 1s before retrying GET /v1/meters/ (attempt 3)",
	}
	if got := logger.infos(); !reflect.DeepEqual(got, want) {
		t.Errorf("INFO entries:\n got %q\nwant %q", got, want)
	}
	for _, e := range logger.entries {
		if e.level == "info" && (e.fields["attempt"] == nil || e.fields["wait_ms"] == nil || e.fields["path"] != "/v1/meters/") {
			t.Errorf("INFO fields: %v", e.fields)
		}
	}
}

// clockLimiter holds every request for delay on a fake clock.
type clockLimiter struct {
	clock *fakeClock
	delay time.Duration
}

func (l clockLimiter) Wait(context.Context) error {
	l.clock.Advance(l.delay)
	return nil
}

func TestALimiterThatHoldsARequestLongIsLoggedAtInfo(t *testing.T) {
	for delay, want := range map[time.Duration][]string{
		time.Second:     nil,
		5 * time.Second: {"Polar client-side request limit: waiting before sending GET /v1/meters/m1 (attempt 1)"},
	} {
		fake := startFake(t, answerMeter(http.StatusOK))
		clk := newFakeClock()
		logger := &recordingLogger{}
		c := withClock(fake.client(t, func(cfg *Config) {
			cfg.Logger = logger
			cfg.Limiter = clockLimiter{clk, delay}
		}), clk)
		if _, err := c.GetMeter(context.Background(), "m1"); err != nil {
			t.Fatal(err)
		}
		if got := logger.infos(); !reflect.DeepEqual(got, want) {
			t.Errorf("limiter delay %v: INFO entries %q, want %q", delay, got, want)
		}
	}
}
