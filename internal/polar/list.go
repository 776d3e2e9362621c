package polar

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// ListMetersParams narrows a list call.
type ListMetersParams struct {
	Query      string            // case-insensitive substring of the name, taken literally; "" matches every name
	IsArchived *bool             // nil lists archived and active meters alike
	Metadata   map[string]string // exact metadata filters, sent as metadata[key]=value
	Sorting    []string          // "name", "-name", "created_at" or "-created_at"; Polar sorts by name when empty
	// OrganizationIDs keeps the meters of these organizations only; a token sees none of an organization it is not in.
	OrganizationIDs []string
}

// MetersPage is one page of a list call, at Polar's largest page size.
type MetersPage struct {
	Items      []Meter // the page's meters that match the params
	TotalCount int     // how many meters Polar matched on all pages; with a Query, possibly more than match it
	MaxPage    int     // the number of pages; 0 when Polar matched none
}

// ListMeters returns every meter matching p, reading all pages.
func (c *Client) ListMeters(ctx context.Context, p ListMetersParams) ([]Meter, error) {
	var meters []Meter
	for page := 1; ; page++ {
		list, last, err := c.listPage(ctx, p, page)
		if err != nil {
			return nil, err
		}
		meters = append(meters, list.Items...)
		if last {
			return meters, nil
		}
	}
}

// ListMetersPage returns page number page (from 1) of the meters matching p, so that the caller can decide page by
// page; pages go on while page < MaxPage, even when a Query leaves a page's Items empty.
func (c *Client) ListMetersPage(ctx context.Context, p ListMetersParams, page int) (MetersPage, error) {
	list, _, err := c.listPage(ctx, p, page)
	return list, err
}

// FindMetersByName returns the meters named exactly name: names are not unique. A nil isArchived finds archived and
// active meters alike.
func (c *Client) FindMetersByName(ctx context.Context, name string, isArchived *bool) ([]Meter, error) {
	meters, err := c.ListMeters(ctx, ListMetersParams{Query: name, IsArchived: isArchived})
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(meters, func(m Meter) bool { return m.Name != name }), nil
}

// listPage reads one page; last reports that no page follows it.
func (c *Client) listPage(ctx context.Context, p ListMetersParams, page int) (list MetersPage, last bool, err error) {
	r, err := listRequest(p, page)
	if err != nil {
		return MetersPage{}, false, err
	}
	var answer meterList
	if err := c.do(ctx, r, &answer); err != nil {
		return MetersPage{}, false, err
	}
	list = MetersPage{
		Items:      slices.DeleteFunc(answer.Items, func(m Meter) bool { return !nameMatches(m.Name, p.Query) }),
		TotalCount: answer.Pagination.TotalCount,
		MaxPage:    answer.Pagination.MaxPage,
	}
	return list, len(answer.Items) == 0 || page >= answer.Pagination.MaxPage, nil
}

// meterList is one page of a list call as Polar answers it.
type meterList struct {
	Items      []Meter `json:"items"`
	Pagination struct {
		TotalCount int `json:"total_count"`
		MaxPage    int `json:"max_page"` // the number of pages; 0 when there are no meters
	} `json:"pagination"`
}

// listRequest builds the request of one page of the list.
func listRequest(p ListMetersParams, page int) (request, error) {
	r := request{method: http.MethodGet, path: metersPath, want: http.StatusOK}
	if page < 1 {
		return request{}, r.failure(KindUnexpected, fmt.Errorf("page %d asked for: pages are numbered from 1", page))
	}
	query := p.values()
	query.Set("limit", strconv.Itoa(pageSize))
	query.Set("page", strconv.Itoa(page))
	r.rawQuery = query.Encode()
	return r, nil
}

// values encodes the parameters as Polar reads them; url.Values.Encode sorts the keys.
func (p ListMetersParams) values() url.Values {
	query := url.Values{}
	if safe := likeSafe(p.Query); safe != "" {
		query.Set("query", safe)
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
	for _, id := range p.OrganizationIDs {
		query.Add("organization_id", id)
	}
	return query
}

// Polar matches the list query as ILIKE '%query%' without escaping it, so %, _ and \ in it are patterns: the
// client sends the longest run of the text free of them (likeSafe) and keeps the names holding the whole text
// (nameMatches), so that "50%" never finds "500 requests".

// likeSafe returns the longest run of text that holds none of %, _ and \; "" when there is none.
func likeSafe(text string) string {
	var longest string
	for _, run := range strings.FieldsFunc(text, func(r rune) bool { return strings.ContainsRune(`%_\`, r) }) {
		if len(run) > len(longest) {
			longest = run
		}
	}
	return longest
}

// nameMatches reports whether name holds query, ignoring case as ILIKE does.
func nameMatches(name, query string) bool {
	return strings.Contains(strings.ToLower(name), strings.ToLower(query))
}
