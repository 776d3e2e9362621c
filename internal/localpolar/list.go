package localpolar

import (
	"cmp"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

const (
	defaultPageLimit = 10
	maxPageLimit     = 100
)

// sortProperties are the values of MeterSortProperty, in its order.
var sortProperties = []string{"created_at", "-created_at", "name", "-name"}

// metadataQueryKey matches the metadata[key] query parameters, as Polar's
// pattern does: at the start of the parameter name.
var metadataQueryKey = regexp.MustCompile(`^metadata\[([^\]]+)\]`)

// listQuery is a validated list request.
type listQuery struct {
	page, limit     int
	sorting         []string // MeterSortProperty values
	organizationIDs []string
	name            *string
	archived        *bool
	metadata        map[string][]string // any of the values of each key
}

// listResource is Polar's ListResource[Meter].
type listResource struct {
	Items      []*meter   `json:"items"`
	Pagination pagination `json:"pagination"`
}

type pagination struct {
	TotalCount int `json:"total_count"`
	MaxPage    int `json:"max_page"`
}

func (s *Server) listMeters(c *call) response {
	v := &validator{}
	q := parseListQuery(v, c.r.URL.Query())
	if len(v.errs) > 0 {
		return requestValidationError(v.errs)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	matched := slices.DeleteFunc(s.meters.all(), func(m *meter) bool {
		return !c.token.canRead(m.organizationID) || !q.matches(m)
	})
	slices.SortFunc(matched, q.compare)
	start := min((q.page-1)*q.limit, len(matched))
	end := min(start+q.limit, len(matched))
	return jsonResponse(http.StatusOK, listResource{
		Items: matched[start:end],
		Pagination: pagination{
			TotalCount: len(matched),
			MaxPage:    (len(matched) + q.limit - 1) / q.limit,
		},
	})
}

// parseListQuery validates the query parameters of the list endpoint. A
// parameter given more than once takes its last value, as Starlette does,
// except organization_id and sorting which are lists.
func parseListQuery(v *validator, values url.Values) listQuery {
	q := listQuery{page: 1, limit: defaultPageLimit, sorting: []string{"name"}, metadata: map[string][]string{}}
	p := path{"query"}
	if s, ok := lastValue(values, "page"); ok {
		q.page = v.queryPositiveInt(p.with("page"), s)
	}
	if s, ok := lastValue(values, "limit"); ok {
		q.limit = min(v.queryPositiveInt(p.with("limit"), s), maxPageLimit)
	}
	if sorting, ok := values["sorting"]; ok {
		q.sorting = sorting
		for i, criterion := range sorting {
			v.enum(p.with("sorting", i), criterion, sortProperties)
		}
	}
	for i, s := range values["organization_id"] {
		id, _ := v.uuid4(p.with("organization_id", i), s)
		q.organizationIDs = append(q.organizationIDs, id)
	}
	if s, ok := lastValue(values, "query"); ok {
		q.name = &s
	}
	if s, ok := lastValue(values, "is_archived"); ok {
		archived, valid := parseBool(s)
		if !valid {
			v.fail(p.with("is_archived"), "bool_parsing", "Input should be a valid boolean, unable to interpret input", s, nil)
		}
		q.archived = &archived
	}
	for name, vals := range values {
		if match := metadataQueryKey.FindStringSubmatch(name); match != nil {
			q.metadata[match[1]] = append(q.metadata[match[1]], vals...)
		}
	}
	return q
}

func lastValue(values url.Values, key string) (string, bool) {
	vals := values[key]
	if len(vals) == 0 {
		return "", false
	}
	return vals[len(vals)-1], true
}

// queryPositiveInt validates a page number or size.
func (v *validator) queryPositiveInt(p path, s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	switch {
	case err != nil:
		v.fail(p, "int_parsing", "Input should be a valid integer, unable to parse string as an integer", s, nil)
	case n <= 0:
		v.fail(p, "greater_than", "Input should be greater than 0", s, map[string]any{"gt": 0})
	}
	return max(n, 1)
}

func (q *listQuery) matches(m *meter) bool {
	if len(q.organizationIDs) > 0 && !slices.Contains(q.organizationIDs, m.organizationID) {
		return false
	}
	// Polar filters with ILIKE '%query%', the query unescaped.
	if q.name != nil && !ilike(m.name, "%"+*q.name+"%") {
		return false
	}
	if q.archived != nil && *q.archived != (m.archivedAt != nil) {
		return false
	}
	for key, wanted := range q.metadata {
		value, ok := m.metadata[key]
		if !ok || !slices.Contains(wanted, metadataText(value)) {
			return false
		}
	}
	return true
}

// metadataText is a metadata value as PostgreSQL's ->> writes it from JSONB,
// which is the text Polar compares metadata[key] query values with.
func metadataText(value any) string {
	switch value := value.(type) {
	case string:
		return value
	case bool:
		return strconv.FormatBool(value)
	case json.Number:
		return numericText(value.String())
	}
	return ""
}

// numericText writes a number as PostgreSQL's numeric does: JSONB keeps the
// digits of "3.0" but writes "1e+16" as 10000000000000000 and "1.5e-07" as
// 0.00000015.
func numericText(n string) string {
	mantissa, exponent, found := strings.Cut(strings.ToLower(n), "e")
	if !found {
		return n
	}
	sign, mantissa := "", strings.TrimPrefix(mantissa, "-")
	if strings.HasPrefix(n, "-") {
		sign = "-"
	}
	whole, fraction, _ := strings.Cut(mantissa, ".")
	exp, _ := strconv.Atoi(exponent)
	return sign + shiftPoint(whole+fraction, len(whole)+exp)
}

// shiftPoint writes digits with the decimal point after the first point
// digits, padding with zeros and keeping one zero before the point.
func shiftPoint(digits string, point int) string {
	var s string
	switch {
	case point <= 0:
		s = "0." + strings.Repeat("0", -point) + digits
	case point >= len(digits):
		s = digits + strings.Repeat("0", point-len(digits))
	default:
		s = digits[:point] + "." + digits[point:]
	}
	whole, fraction, hasFraction := strings.Cut(s, ".")
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		whole = "0"
	}
	if hasFraction {
		return whole + "." + fraction
	}
	return whole
}

// likeToken is one element of a LIKE pattern: a wildcard ('%' or '_') or a
// literal character (kind 0).
type likeToken struct {
	kind    rune
	literal rune
}

// ilike reports whether s matches pattern as PostgreSQL's ILIKE does: case
// insensitive, '%' any text, '_' any one character, '\' escaping the next.
func ilike(s, pattern string) bool {
	return likeMatch([]rune(strings.ToLower(s)), likeTokens(strings.ToLower(pattern)))
}

func likeTokens(pattern string) []likeToken {
	runes := []rune(pattern)
	var tokens []likeToken
	for i := 0; i < len(runes); i++ {
		switch r := runes[i]; {
		case r == '\\' && i+1 < len(runes):
			i++
			tokens = append(tokens, likeToken{literal: runes[i]})
		case r == '%' || r == '_':
			tokens = append(tokens, likeToken{kind: r})
		default:
			tokens = append(tokens, likeToken{literal: r})
		}
	}
	return tokens
}

// likeMatch matches s against tokens, going back to the last '%' on a
// mismatch.
func likeMatch(s []rune, tokens []likeToken) bool {
	si, ti := 0, 0
	star, resume := -1, 0
	for si < len(s) {
		switch {
		case ti < len(tokens) && tokens[ti].kind == '%':
			star, resume = ti, si
			ti++
		case ti < len(tokens) && (tokens[ti].kind == '_' || tokens[ti].kind == 0 && tokens[ti].literal == s[si]):
			si++
			ti++
		case star >= 0:
			resume++
			si, ti = resume, star+1
		default:
			return false
		}
	}
	for ti < len(tokens) && tokens[ti].kind == '%' {
		ti++
	}
	return ti == len(tokens)
}

// compare orders meters by the sorting criteria, then by id so that pages
// are stable. Names compare bytewise.
func (q *listQuery) compare(a, b *meter) int {
	for _, criterion := range q.sorting {
		property, descending := strings.CutPrefix(criterion, "-")
		var c int
		switch property {
		case "name":
			c = strings.Compare(a.name, b.name)
		case "created_at":
			c = a.createdAt.Compare(b.createdAt)
		}
		if descending {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return cmp.Compare(a.id, b.id)
}
