package polar

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrorKind classifies a failed call.
type ErrorKind int

// The kinds of failure. The zero ErrorKind is none of them.
const (
	KindNotFound          ErrorKind = iota + 1 // 404
	KindValidation                             // 422: Polar refused the request body or parameters
	KindUnauthorized                           // 401: token missing or unknown
	KindForbidden                              // 403 of a shape other than KindInsufficientScope and KindNotPermitted
	KindRateLimited                            // 429
	KindServer                                 // 5xx
	KindNetwork                                // no HTTP response: transport failure, timeout or cancellation in flight
	KindUnexpected                             // any other status, or a response that cannot be decoded
	KindInsufficientScope                      // 403: the token lacks the meters:read or meters:write scope
	KindNotPermitted                           // 403: the token's user has a role in the organization that cannot manage products
	KindWrongMeter                             // a 2xx that answers with another meter than the one asked for
	KindNotSent                                // abandoned before its request was sent: cancelled, or refused by the Limiter
)

// String names the kind in words.
func (k ErrorKind) String() string {
	switch k {
	case KindNotFound:
		return "not found"
	case KindValidation:
		return "validation error"
	case KindUnauthorized:
		return "unauthorized"
	case KindForbidden:
		return "forbidden"
	case KindRateLimited:
		return "rate limited"
	case KindServer:
		return "server error"
	case KindNetwork:
		return "network error"
	case KindUnexpected:
		return "unexpected response"
	case KindInsufficientScope:
		return "insufficient scope"
	case KindNotPermitted:
		return "not permitted"
	case KindWrongMeter:
		return "answer for another meter"
	case KindNotSent:
		return "not sent"
	default:
		return "ErrorKind(" + strconv.Itoa(int(k)) + ")"
	}
}

// kindOfAnswer classifies a non-success answer: a 403 by Polar's error code, or the WWW-Authenticate header of
// an OAuth2 scope check.
func kindOfAnswer(status int, errorCode string, header http.Header) ErrorKind {
	switch {
	case status != http.StatusForbidden:
		return kindOfStatus(status)
	case errorCode == "NotPermitted":
		return KindNotPermitted
	case errorCode == "insufficient_scope" || strings.Contains(header.Get("WWW-Authenticate"), `error="insufficient_scope"`):
		return KindInsufficientScope
	default:
		return KindForbidden
	}
}

// kindOfStatus classifies a non-success HTTP status.
func kindOfStatus(code int) ErrorKind {
	switch {
	case code == http.StatusNotFound:
		return KindNotFound
	case code == http.StatusUnprocessableEntity:
		return KindValidation
	case code == http.StatusUnauthorized:
		return KindUnauthorized
	case code == http.StatusForbidden:
		return KindForbidden
	case code == http.StatusTooManyRequests:
		return KindRateLimited
	case code >= 500:
		return KindServer
	default:
		return KindUnexpected
	}
}

// ValidationIssue is one entry of a 422 answer.
type ValidationIssue struct {
	Loc  []any  // the JSON path of the offending field, e.g. ["body", "filter", "clauses", 0, "value"]; elements are string or int
	Msg  string // Polar's explanation
	Type string // Polar's error type, e.g. "string_too_short"
}

// location renders Loc like body.filter.clauses[0].value.
func (v ValidationIssue) location() string {
	var b strings.Builder
	for _, elem := range v.Loc {
		switch elem := elem.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", elem)
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			fmt.Fprint(&b, elem)
		}
	}
	return b.String()
}

// String renders the issue like body.filter.clauses[0].value: msg.
func (v ValidationIssue) String() string {
	if loc := v.location(); loc != "" {
		return loc + ": " + v.Msg
	}
	return v.Msg
}

// APIError is every failure the client returns.
type APIError struct {
	Kind         ErrorKind         // what went wrong
	Method       string            // HTTP method of the call
	Path         string            // URL path, e.g. /v1/meters/3f..; never the token
	StatusCode   int               // 0 when no HTTP response was received
	Message      string            // Polar's message, or the network error text
	Validation   []ValidationIssue // every issue of a 422
	MaybeApplied bool              // a write whose outcome is unknown: it reached the server (5xx, an unusable 2xx, timeout, connection dropped after sending) and was not retried
	Attempts     int               // how many times the request was sent
	Err          error             // underlying cause, returned by Unwrap

	retryAfter time.Duration // the server's Retry-After, when it sent one
	gaveUp     string        // why retrying stopped while the failure was retryable
}

// Error renders the failure on one line: method, path, status, Polar's message and the retry history.
func (e *APIError) Error() string {
	parts := []string{"polar: " + e.Method + " " + e.Path}
	switch {
	case e.StatusCode != 0:
		parts = append(parts, statusLine(e.StatusCode))
	case e.Kind == KindNetwork || e.Kind == KindNotSent:
		parts = append(parts, e.Kind.String())
	}
	if detail := e.detail(); detail != "" {
		parts = append(parts, oneLine(detail))
	}
	if advice := e.advice(); advice != "" {
		parts[len(parts)-1] = strings.TrimSuffix(parts[len(parts)-1], ".") + "; " + advice
	}
	var b strings.Builder
	b.WriteString(strings.Join(parts, ": "))
	switch {
	case e.gaveUp != "":
		fmt.Fprintf(&b, "; gave up after %s: %s", countAttempts(e.Attempts), e.gaveUp)
	case e.Attempts > 1:
		fmt.Fprintf(&b, " (after %s)", countAttempts(e.Attempts))
	}
	if e.MaybeApplied {
		b.WriteString("; the request reached Polar and may have been applied")
	}
	return b.String()
}

// advice tells a person what to do about a failure whose own message does not say it.
func (e *APIError) advice() string {
	switch e.Kind {
	case KindInsufficientScope:
		return "the access token lacks the " + scopeFor(e.Method) + " scope: give the token the meters:read and " +
			"meters:write scopes, or use one that has them (Polar dashboard: Settings → Developers)"
	case KindNotPermitted:
		return "the token's user is a member of the organization whose role cannot manage products (the finance " +
			"role, for instance): ask an organization admin for a role that can, or use an Organization Access Token " +
			"with the meters:write scope"
	default:
		return ""
	}
}

// scopeFor is the token scope a call with this method needs.
func scopeFor(method string) string {
	if method == http.MethodGet {
		return "meters:read"
	}
	return "meters:write"
}

// countAttempts renders a number of attempts in words.
func countAttempts(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return strconv.Itoa(n) + " attempts"
}

// detail is the validation issues when there are any, else the message.
func (e *APIError) detail() string {
	if len(e.Validation) == 0 {
		return e.Message
	}
	issues := make([]string, len(e.Validation))
	for i, issue := range e.Validation {
		issues[i] = issue.String()
	}
	return strings.Join(issues, "; ")
}

// Unwrap returns the underlying cause.
func (e *APIError) Unwrap() error { return e.Err }

// IsNotFound reports whether err is an APIError for a 404.
func IsNotFound(err error) bool { return hasKind(err, KindNotFound) }

// AsAPIError returns the APIError in err's chain.
func AsAPIError(err error) (*APIError, bool) {
	var apiErr *APIError
	ok := errors.As(err, &apiErr)
	return apiErr, ok
}

func hasKind(err error, kind ErrorKind) bool {
	apiErr, ok := AsAPIError(err)
	return ok && apiErr.Kind == kind
}

// errorBody holds every error shape Polar answers with.
type errorBody struct {
	Error            string          `json:"error"`             // e.g. "ResourceNotFound", "invalid_token"
	ErrorDescription string          `json:"error_description"` // with "invalid_token"
	Detail           json.RawMessage `json:"detail"`            // a string, or a list of validation issues
}

type wireIssue struct {
	Loc  []json.RawMessage `json:"loc"`
	Msg  string            `json:"msg"`
	Type string            `json:"type"`
}

// parseErrorBody extracts Polar's error code, message and validation issues from an error response body.
// A body that is not JSON becomes the message as it is (a proxy's text, for instance).
func parseErrorBody(body []byte) (code, message string, issues []ValidationIssue) {
	var parsed errorBody
	if err := json.Unmarshal(body, &parsed); err != nil {
		return "", truncate(strings.TrimSpace(string(body)), maxMessageBytes), nil
	}
	var detail string
	if json.Unmarshal(parsed.Detail, &detail) == nil && detail != "" {
		return parsed.Error, detail, nil
	}
	var wire []wireIssue
	if json.Unmarshal(parsed.Detail, &wire) == nil && len(wire) > 0 {
		return parsed.Error, joinIssueMessages(wire), convertIssues(wire)
	}
	if parsed.ErrorDescription != "" {
		return parsed.Error, parsed.ErrorDescription, nil
	}
	return parsed.Error, parsed.Error, nil
}

func joinIssueMessages(issues []wireIssue) string {
	msgs := make([]string, len(issues))
	for i, issue := range issues {
		msgs[i] = issue.Msg
	}
	return strings.Join(msgs, "; ")
}

func convertIssues(issues []wireIssue) []ValidationIssue {
	out := make([]ValidationIssue, len(issues))
	for i, issue := range issues {
		loc := make([]any, len(issue.Loc))
		for j, raw := range issue.Loc {
			loc[j] = locElement(raw)
		}
		out[i] = ValidationIssue{Loc: loc, Msg: issue.Msg, Type: issue.Type}
	}
	return out
}

// locElement decodes one element of a loc: an int for a list index, else a string.
func locElement(raw json.RawMessage) any {
	if index, err := strconv.Atoi(string(raw)); err == nil {
		return index
	}
	var name string
	if json.Unmarshal(raw, &name) == nil {
		return name
	}
	return string(raw)
}

// maxMessageBytes bounds a message taken from a non-JSON body, such as a proxy's HTML page.
const maxMessageBytes = 200

// truncate cuts s to at most n bytes, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…(truncated)"
}

// oneLine keeps a message on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// waitReason names, for a progress line, the failure a retry waits after.
func (e *APIError) waitReason() string {
	switch {
	case e.Kind == KindRateLimited:
		return "Polar rate limit"
	case e.StatusCode != 0:
		return "Polar answered " + statusLine(e.StatusCode)
	case e.unreachable():
		return "Polar unreachable"
	default:
		return "Polar network error"
	}
}

// statusLine renders a status like "503 Service Unavailable".
func statusLine(code int) string {
	return strings.TrimSpace(fmt.Sprintf("%d %s", code, http.StatusText(code)))
}
