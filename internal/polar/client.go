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
	"strconv"
	"strings"
	"time"
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

// Logger receives one debug entry per attempt and per retry wait. Entries never hold headers or the token.
type Logger interface {
	Debug(ctx context.Context, msg string, fields map[string]any)
}

// Limiter paces requests on the client side; Wait is called before every attempt, retries included.
type Limiter interface {
	Wait(ctx context.Context) error
}

// Client calls Polar's meters API. It is safe for concurrent use.
type Client struct {
	baseURL    string // without a trailing slash
	token      string
	userAgent  string
	httpClient *http.Client
	retry      RetryPolicy
	logger     Logger
	limiter    Limiter
}

// NewClient returns a Client, or an error when the base URL is not an absolute http(s) URL or the token is empty.
func NewClient(cfg Config) (*Client, error) {
	if cfg.Token == "" {
		return nil, errors.New("polar: the API token is empty")
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
		token:      cfg.Token,
		userAgent:  cmp.Or(cfg.UserAgent, defaultUserAgent),
		httpClient: withoutRedirects(cfg.HTTPClient),
		retry:      cfg.Retry.withDefaults(),
		logger:     cfg.Logger,
		limiter:    cfg.Limiter,
	}, nil
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

// ListMeters returns every meter matching p, reading all pages.
func (c *Client) ListMeters(ctx context.Context, p ListMetersParams) ([]Meter, error) {
	query := p.values()
	query.Set("limit", strconv.Itoa(pageSize))
	var meters []Meter
	for page := 1; ; page++ {
		query.Set("page", strconv.Itoa(page))
		r := request{method: http.MethodGet, path: metersPath, rawQuery: query.Encode(), want: http.StatusOK}
		var list meterList
		if err := c.do(ctx, r, &list); err != nil {
			return nil, err
		}
		meters = append(meters, list.Items...)
		if len(list.Items) == 0 || page >= list.Pagination.MaxPage {
			return meters, nil
		}
	}
}

// meterList is one page of a list call.
type meterList struct {
	Items      []Meter `json:"items"`
	Pagination struct {
		MaxPage int `json:"max_page"` // the number of pages; 0 when there are no meters
	} `json:"pagination"`
}

// values encodes the parameters as Polar reads them; url.Values.Encode sorts the keys.
func (p ListMetersParams) values() url.Values {
	query := url.Values{}
	if p.Query != "" {
		query.Set("query", p.Query)
	}
	if p.IsArchived != nil {
		query.Set("is_archived", strconv.FormatBool(*p.IsArchived))
	}
	for key, value := range p.Metadata {
		query.Set("metadata["+key+"]", value)
	}
	for _, sorting := range p.Sorting {
		query.Add("sorting", sorting)
	}
	return query
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
	return newRequest(method, metersPath+url.PathEscape(id), body, http.StatusOK)
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

// attempt sends r once and decodes a successful answer into out.
func (c *Client) attempt(ctx context.Context, r request, attempt int, out any) *APIError {
	req, err := c.httpRequest(ctx, r)
	if err != nil {
		return r.failure(KindUnexpected, err)
	}
	start := time.Now()
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
	if err := json.Unmarshal(body, out); err != nil {
		failure := r.failure(KindUnexpected, err)
		failure.StatusCode = resp.StatusCode
		failure.Message = c.redact("decoding the response: " + err.Error())
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
	failure.Message = c.redact(err.Error())
	return failure
}

// statusFailure is the error of an attempt answered with a status other than the one of success.
func (c *Client) statusFailure(r request, resp *http.Response, body []byte) *APIError {
	failure := r.failure(kindOfStatus(resp.StatusCode), nil)
	failure.StatusCode = resp.StatusCode
	failure.Message, failure.Validation = parseErrorBody([]byte(c.redact(string(body))))
	failure.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"))
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
		"duration_ms": time.Since(start).Milliseconds(),
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

// logWait logs the wait before a retry.
func (c *Client) logWait(ctx context.Context, r request, failure *APIError, wait time.Duration) {
	if c.logger == nil {
		return
	}
	c.logger.Debug(ctx, "polar API retry", map[string]any{
		"method":  r.method,
		"path":    r.path,
		"status":  failure.StatusCode,
		"attempt": failure.Attempts,
		"reason":  failure.Kind.String(),
		"wait_ms": wait.Milliseconds(),
	})
}

// loggable redacts the token from s and bounds its length; redacting first so that a cut never leaves part of the token.
func (c *Client) loggable(s string) string { return truncate(c.redact(s), maxLoggedBody) }

// redact removes the token from text that came from the server or the network, in case it was echoed.
func (c *Client) redact(s string) string { return strings.ReplaceAll(s, c.token, "[REDACTED]") }
