package localpolar

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a settable clock for Options.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock {
	return &clock{now: time.Date(2026, 4, 1, 12, 0, 0, 123456000, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// api sends requests to a test server the way a plain net/http client does.
type api struct {
	t      testing.TB
	srv    *Server
	base   string
	token  string
	client *http.Client
}

// newAPI starts a server with the default token and a fake clock.
func newAPI(t testing.TB) (*api, *clock) {
	c := newClock()
	return startAPI(t, Options{Now: c.Now}), c
}

func startAPI(t testing.TB, opts Options) *api {
	srv, base := NewTestServer(t, opts)
	return &api{
		t:     t,
		srv:   srv,
		base:  base,
		token: DefaultToken,
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}},
	}
}

// withToken returns a client of the same server using another token.
func (a *api) withToken(token string) *api {
	other := *a
	other.token = token
	return &other
}

type reply struct {
	Status int
	Header http.Header
	Body   string
}

// do sends a request with the token, and a JSON body when body is not "";
// edits change the request before it is sent.
func (a *api) do(method, path, body string, edits ...func(*http.Request)) reply {
	a.t.Helper()
	var reader io.Reader
	if body != "" {
		reader = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, a.base+path, reader)
	if err != nil {
		a.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	for _, edit := range edits {
		edit(req)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: string(data)}
}

func withHeader(key, value string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set(key, value) }
}

// create creates a meter and returns it.
func (a *api) create(body string) map[string]any {
	a.t.Helper()
	r := a.do(http.MethodPost, "/v1/meters/", body)
	if r.Status != http.StatusCreated {
		a.t.Fatalf("create: status %d, body %s", r.Status, r.Body)
	}
	return decode(a.t, r.Body)
}

// createNamed creates a count meter with an empty filter.
func (a *api) createNamed(name string) string {
	a.t.Helper()
	return a.create(`{"name":"` + name + `","filter":{"conjunction":"and","clauses":[]},"aggregation":{"func":"count"}}`)["id"].(string)
}

func (a *api) patch(id, body string) reply {
	a.t.Helper()
	return a.do(http.MethodPatch, "/v1/meters/"+id, body)
}

func (a *api) get(id string) map[string]any {
	a.t.Helper()
	r := a.do(http.MethodGet, "/v1/meters/"+id, "")
	if r.Status != http.StatusOK {
		a.t.Fatalf("get %s: status %d, body %s", id, r.Status, r.Body)
	}
	return decode(a.t, r.Body)
}

// decode parses JSON keeping numbers as written.
func decode(t testing.TB, data string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(data))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", data, err)
	}
	return v
}

// compact removes the insignificant spaces of a JSON document.
func compact(t testing.TB, doc string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(doc)); err != nil {
		t.Fatalf("compact %q: %v", doc, err)
	}
	return buf.String()
}

func expectStatus(t testing.TB, r reply, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
}

func expectBody(t testing.TB, r reply, status int, body string) {
	t.Helper()
	expectStatus(t, r, status)
	if r.Body != compact(t, body) {
		t.Fatalf("body\n%s\nwant\n%s", r.Body, compact(t, body))
	}
}

// expectRawBody checks a body byte for byte, spaces included.
func expectRawBody(t testing.TB, r reply, status int, body string) {
	t.Helper()
	expectStatus(t, r, status)
	if r.Body != body {
		t.Fatalf("body\n%s\nwant\n%s", r.Body, body)
	}
}

// wantError is an expected 422 detail entry: its loc, as JSON, and its type.
type wantError struct {
	loc string
	typ string
}

// expect422 checks a 422 of the given kind (RequestValidationError or
// PolarRequestValidationError) and its detail entries, in order.
func expect422(t testing.TB, r reply, kind string, want ...wantError) []map[string]any {
	t.Helper()
	expectStatus(t, r, http.StatusUnprocessableEntity)
	body := decode(t, r.Body)
	if body["error"] != kind {
		t.Errorf("error %v, want %s", body["error"], kind)
	}
	var details []map[string]any
	for _, d := range body["detail"].([]any) {
		details = append(details, d.(map[string]any))
	}
	var got []wantError
	for _, d := range details {
		got = append(got, wantError{loc: string(marshal(d["loc"])), typ: d["type"].(string)})
	}
	if len(got) != len(want) {
		t.Fatalf("errors %v, want %v; body %s", got, want, r.Body)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("error %d: %v, want %v; body %s", i, got[i], want[i], r.Body)
		}
	}
	return details
}

const (
	requestValidation      = "RequestValidationError"
	polarRequestValidation = "PolarRequestValidationError"
)

// rawFields returns the given top-level fields of a JSON object as sent,
// keys in the server's order, concatenated.
func rawFields(t testing.TB, body string, keys ...string) string {
	t.Helper()
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &fields); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	var out strings.Builder
	for _, key := range keys {
		out.Write(fields[key])
	}
	return out.String()
}
