package polar

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
)

// APIVersion is the Polar API version the client speaks, sent as the Polar-Version header.
const APIVersion = "2026-04"

const (
	defaultUserAgent = "terraform-provider-polar"
	defaultTimeout   = 60 * time.Second
	// metersPath is where list and create live; without the trailing slash Polar answers 307.
	metersPath = "/v1/meters/"
	// pageSize is the most meters Polar returns in one page.
	pageSize = 100
	// maxLoggedBody bounds each body written to the log.
	maxLoggedBody = 4 << 10
	// writeTimeout bounds a write's exchange, which goes on after the caller cancels so that its answer is read.
	writeTimeout = 60 * time.Second
	// limiterNotice is how long the client-side limiter may hold a request before the wait is logged at INFO.
	limiterNotice = 2 * time.Second
)

// Config configures a Client.
type Config struct {
	BaseURL    string       // e.g. "https://api.polar.sh", with or without a trailing slash
	Token      string       // an Organization Access Token or a personal token
	UserAgent  string       // "" means "terraform-provider-polar"
	HTTPClient *http.Client // nil means a client with a 60s timeout; redirects are never followed either way
	Retry      RetryPolicy  // zero fields take their value from DefaultRetryPolicy
	Logger     Logger       // nil means no logging
	Limiter    Limiter      // nil means no client-side rate limiting
}

// Logger receives one debug entry per attempt, and one info entry per long wait (a retry, or the limiter holding a
// request), so that a person watching sees why a call takes time. Entries never hold headers or the token.
type Logger interface {
	Debug(ctx context.Context, msg string, fields map[string]any)
	Info(ctx context.Context, msg string, fields map[string]any)
}

// Limiter paces requests on the client side; Wait is called before every attempt, retries included. A Wait that
// lasts longer than 2 seconds is logged at INFO.
type Limiter interface {
	Wait(ctx context.Context) error
}

// Client calls Polar's meters API. It is safe for concurrent use.
type Client struct {
	baseURL    string // without a trailing slash
	shownURL   string // baseURL as errors show it, without any password
	token      string
	userAgent  string
	httpClient *http.Client
	retry      RetryPolicy
	logger     Logger
	limiter    Limiter
	clock      clock
}

// NewClient returns a Client, or an error when the base URL is not an absolute http(s) URL or the token is not one
// NormalizeToken accepts. The client sends the token as NormalizeToken returns it.
func NewClient(cfg Config) (*Client, error) {
	token, err := NormalizeToken(cfg.Token)
	if err != nil {
		return nil, err
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("polar: invalid base URL: %w", err)
	}
	if (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" || base.RawQuery != "" || base.Fragment != "" {
		return nil, fmt.Errorf("polar: invalid base URL %q: want an absolute http(s) URL without query or fragment", cfg.BaseURL)
	}
	return &Client{
		baseURL:    strings.TrimRight(cfg.BaseURL, "/"),
		shownURL:   strings.TrimRight(base.Redacted(), "/"),
		token:      token,
		userAgent:  cmp.Or(cfg.UserAgent, defaultUserAgent),
		httpClient: withoutRedirects(cfg.HTTPClient),
		retry:      cfg.Retry.withDefaults(),
		logger:     cfg.Logger,
		limiter:    cfg.Limiter,
		clock:      realClock{},
	}, nil
}

// NormalizeToken returns the token without surrounding whitespace (a token read with file() ends in a newline), or
// an error, which never shows the token, when it is empty or still holds whitespace or an invisible character.
func NormalizeToken(token string) (string, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return "", errors.New("polar: the API token is empty")
	}
	if i := strings.IndexFunc(token, invisible); i >= 0 {
		return "", fmt.Errorf("polar: the API token holds whitespace or an invisible character at byte %d of %d: "+
			"a Polar token is one word (polar_oat_… or polar_pat_…), so check that exactly one token was copied", i+1, len(token))
	}
	return token, nil
}

// invisible reports whether r is whitespace, a control character or a format character such as a zero-width space.
func invisible(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}

// withoutRedirects returns a copy of hc, or of a default client, that hands back a 3xx instead of
// following it: following a redirect would drop the request body.
func withoutRedirects(hc *http.Client) *http.Client {
	client := http.Client{Timeout: defaultTimeout}
	if hc != nil {
		client = *hc
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &client
}

// CreateMeter creates a meter. When the error's MaybeApplied is true the meter may exist nonetheless.
func (c *Client) CreateMeter(ctx context.Context, in MeterCreate) (*Meter, error) {
	r, err := newRequest(http.MethodPost, metersPath, in, http.StatusCreated)
	if err != nil {
		return nil, err
	}
	return c.meter(ctx, r)
}

// GetMeter returns a meter, archived or not.
func (c *Client) GetMeter(ctx context.Context, id string) (*Meter, error) {
	r, err := meterRequest(http.MethodGet, id, nil)
	if err != nil {
		return nil, err
	}
	return c.meter(ctx, r)
}

// UpdateMeter sends the fields set in `in` and returns the updated meter.
func (c *Client) UpdateMeter(ctx context.Context, id string, in MeterUpdate) (*Meter, error) {
	r, err := meterRequest(http.MethodPatch, id, in)
	if err != nil {
		return nil, err
	}
	return c.meter(ctx, r)
}

// ArchiveMeter archives a meter, Polar's stand-in for deleting it. Polar refuses it for a meter
// still used by active products or benefits.
func (c *Client) ArchiveMeter(ctx context.Context, id string) (*Meter, error) {
	return c.setArchived(ctx, id, true)
}

// UnarchiveMeter brings an archived meter back.
func (c *Client) UnarchiveMeter(ctx context.Context, id string) (*Meter, error) {
	return c.setArchived(ctx, id, false)
}

// setArchived sends the one-field PATCH that archives or restores a meter.
func (c *Client) setArchived(ctx context.Context, id string, archived bool) (*Meter, error) {
	return c.UpdateMeter(ctx, id, MeterUpdate{IsArchived: &archived})
}

// meter performs r and decodes the meter it answers with.
func (c *Client) meter(ctx context.Context, r request) (*Meter, error) {
	var m Meter
	if err := c.do(ctx, r, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// request is one API call, sent identically on every attempt.
type request struct {
	method   string
	path     string // escaped URL path below the base URL
	rawQuery string
	body     []byte // nil when the request has no body
	want     int    // the status of success
	meterID  string // the meter the answer must be, for a call on one meter
}

// newRequest builds a request, encoding body as JSON unless it is nil.
func newRequest(method, path string, body any, want int) (request, error) {
	r := request{method: method, path: path, want: want}
	if body == nil {
		return r, nil
	}
	encoded, err := json.Marshal(body)
	if err != nil {
		return request{}, r.failure(KindUnexpected, fmt.Errorf("encoding the request body: %w", err))
	}
	r.body = encoded
	return r, nil
}

// meterRequest builds a request on one meter; an empty id would address the meter list instead.
func meterRequest(method, id string, body any) (request, error) {
	if id == "" {
		r := request{method: method, path: metersPath + "{id}"}
		return request{}, r.failure(KindUnexpected, errors.New("the meter id is empty"))
	}
	r, err := newRequest(method, metersPath+url.PathEscape(id), body, http.StatusOK)
	r.meterID = id
	return r, err
}

// isWrite reports whether the request changes something on the server.
func (r request) isWrite() bool { return r.method != http.MethodGet }

// failure returns the error of r failing because of err.
func (r request) failure(kind ErrorKind, err error) *APIError {
	e := &APIError{Kind: kind, Method: r.method, Path: r.path, Err: err}
	if err != nil {
		e.Message = err.Error()
	}
	return e
}

// exchangeContext is the context of one exchange. A write, once handed to the transport, is seen through to its
// answer even when the caller cancels (Terraform's Ctrl-C), so that the caller learns what Polar did.
func (r request) exchangeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if !r.isWrite() {
		return ctx, func() {}
	}
	return context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
}

// attempt sends r once and decodes a successful answer into out.
func (c *Client) attempt(ctx context.Context, r request, attempt int, out any) *APIError {
	ctx, cancel := r.exchangeContext(ctx)
	defer cancel()
	req, err := c.httpRequest(ctx, r)
	if err != nil {
		return r.failure(KindUnexpected, err)
	}
	start := c.clock.Now()
	resp, err := c.httpClient.Do(req)
	if err != nil {
		c.logAttempt(ctx, r, attempt, 0, start, nil, err)
		return c.networkFailure(r, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	c.logAttempt(ctx, r, attempt, resp.StatusCode, start, body, err)
	if err != nil {
		return c.networkFailure(r, err)
	}
	if resp.StatusCode != r.want {
		return c.statusFailure(r, resp, body)
	}
	return c.decode(r, resp.StatusCode, body, out)
}

// decode reads a successful answer into out, and refuses one that does not answer r.
func (c *Client) decode(r request, status int, body []byte, out any) *APIError {
	if err := json.Unmarshal(body, out); err != nil {
		failure := r.failure(KindUnexpected, err)
		failure.StatusCode = status
		failure.Message = c.redact("decoding the response: " + err.Error())
		return failure
	}
	if m, ok := out.(*Meter); ok && r.meterID != "" && !strings.EqualFold(m.ID, r.meterID) { // UUIDs ignore case
		failure := r.failure(KindWrongMeter, nil)
		failure.StatusCode = status
		failure.Message = c.redact(fmt.Sprintf("asked for meter %s, Polar answered with meter %s; the answer was not used", r.meterID, m.ID))
		return failure
	}
	return nil
}

// httpRequest builds the HTTP request of one attempt, with a fresh reader over the same body.
func (c *Client) httpRequest(ctx context.Context, r request) (*http.Request, error) {
	target := c.baseURL + r.path
	if r.rawQuery != "" {
		target += "?" + r.rawQuery
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body) // a bytes.Reader gives the request its Content-Length
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Polar-Version", APIVersion)
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// networkFailure is the error of an attempt that got no complete HTTP response.
func (c *Client) networkFailure(r request, err error) *APIError {
	failure := r.failure(KindNetwork, err)
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err // the *url.Error repeats the method and URL, which Error() already names
	}
	failure.Message = err.Error()
	if failure.unreachable() {
		failure.Message = "cannot connect to " + c.shownURL + ": " + failure.Message
	}
	failure.Message = c.redact(failure.Message)
	return failure
}

// statusFailure is the error of an attempt answered with a status other than the one of success.
func (c *Client) statusFailure(r request, resp *http.Response, body []byte) *APIError {
	code, message, issues := parseErrorBody([]byte(c.redact(string(body))))
	failure := r.failure(kindOfAnswer(resp.StatusCode, code, resp.Header), nil)
	failure.StatusCode = resp.StatusCode
	failure.Message, failure.Validation = message, issues
	failure.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), c.clock.Now())
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		failure.Message = "redirected to " + c.redact(resp.Header.Get("Location"))
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		failure.Message = fmt.Sprintf("expected status %d", r.want)
	}
	return failure
}

// logAttempt logs one attempt; respBody is nil when no response arrived.
func (c *Client) logAttempt(ctx context.Context, r request, attempt, status int, start time.Time, respBody []byte, err error) {
	if c.logger == nil {
		return
	}
	fields := map[string]any{
		"method":      r.method,
		"path":        r.path,
		"status":      status,
		"attempt":     attempt,
		"duration_ms": c.clock.Now().Sub(start).Milliseconds(),
	}
	if r.rawQuery != "" {
		fields["query"] = r.rawQuery
	}
	if r.body != nil {
		fields["request_body"] = c.loggable(string(r.body))
	}
	if respBody != nil {
		fields["response_body"] = c.loggable(string(respBody))
	}
	if err != nil {
		fields["error"] = c.loggable(err.Error())
	}
	c.logger.Debug(ctx, "polar API request", fields)
}

// logRetry tells, at INFO, why the call waits and how long before its next attempt.
func (c *Client) logRetry(ctx context.Context, r request, failure *APIError, wait time.Duration) {
	next := failure.Attempts + 1
	fields := r.progressFields(next)
	fields["status"] = failure.StatusCode
	fields["reason"] = failure.Kind.String()
	fields["wait_ms"] = wait.Milliseconds()
	c.logProgress(ctx, fmt.Sprintf("%s: waiting %s before retrying %s %s (attempt %d)",
		failure.waitReason(), roundWait(wait), r.method, r.path, next), fields)
}

// logLimiterWait tells, at INFO, that the client-side limiter holds attempt back.
func (c *Client) logLimiterWait(ctx context.Context, r request, attempt int) {
	c.logProgress(ctx, fmt.Sprintf("Polar client-side request limit: waiting before sending %s %s (attempt %d)",
		r.method, r.path, attempt), r.progressFields(attempt))
}

// progressFields are the fields of every progress entry about attempt.
func (r request) progressFields(attempt int) map[string]any {
	return map[string]any{"method": r.method, "path": r.path, "attempt": attempt}
}

// logProgress logs msg at INFO, where TF_LOG=info shows it.
func (c *Client) logProgress(ctx context.Context, msg string, fields map[string]any) {
	if c.logger != nil {
		c.logger.Info(ctx, c.redact(msg), fields)
	}
}

// loggable redacts the token from s and bounds its length; redacting first so that a cut never leaves part of the token.
func (c *Client) loggable(s string) string { return truncate(c.redact(s), maxLoggedBody) }

// redact removes the token from text that came from the server or the network, in case it was echoed.
func (c *Client) redact(s string) string { return strings.ReplaceAll(s, c.token, "[REDACTED]") }
