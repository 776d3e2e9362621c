package localpolar

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"
)

// list lists meters with the query and returns the ids and pagination.
func (a *api) list(query string) (ids []string, totalCount, maxPage int) {
	a.t.Helper()
	r := a.do(http.MethodGet, "/v1/meters/?"+query, "")
	expectStatus(a.t, r, http.StatusOK)
	body := decode(a.t, r.Body)
	for _, item := range body["items"].([]any) {
		ids = append(ids, item.(map[string]any)["id"].(string))
	}
	p := body["pagination"].(map[string]any)
	return ids, atoi(a.t, p["total_count"]), atoi(a.t, p["max_page"])
}

func atoi(t testing.TB, v any) int {
	var n int
	if _, err := fmt.Sscan(string(marshal(v)), &n); err != nil {
		t.Fatalf("%v is not an integer", v)
	}
	return n
}

func TestListPagination(t *testing.T) {
	cases := []struct {
		meters, maxPage int
	}{
		{0, 0}, {1, 1}, {100, 1}, {101, 2}, {250, 3},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.meters, " meters"), func(t *testing.T) {
			a, _ := newAPI(t)
			for i := range c.meters {
				a.srv.PutMeter(fmt.Sprintf(`{"name":"meter %03d","filter":{"conjunction":"and","clauses":[]},"aggregation":{"func":"count"}}`, i))
			}
			var seen []string
			for page := 1; page <= c.maxPage+1; page++ {
				ids, total, maxPage := a.list(fmt.Sprintf("limit=100&page=%d", page))
				if total != c.meters || maxPage != c.maxPage {
					t.Fatalf("page %d: total_count %d, max_page %d; want %d, %d", page, total, maxPage, c.meters, c.maxPage)
				}
				if want := min(100, max(0, c.meters-(page-1)*100)); len(ids) != want {
					t.Fatalf("page %d has %d items, want %d", page, len(ids), want)
				}
				seen = append(seen, ids...)
			}
			// Sorted by name, pages neither overlap nor skip a meter.
			if !slices.Equal(seen, a.srv.MeterIDs()) {
				t.Errorf("pages list %d meters, not the %d stored in name order", len(seen), c.meters)
			}
		})
	}
}

func TestListPageSize(t *testing.T) {
	a, _ := newAPI(t)
	for i := range 120 {
		a.srv.PutMeter(fmt.Sprintf(`{"name":"meter %03d","filter":{"conjunction":"and","clauses":[]},"aggregation":{"func":"count"}}`, i))
	}
	if ids, total, maxPage := a.list(""); len(ids) != 10 || total != 120 || maxPage != 12 {
		t.Errorf("default page: %d items, total %d, max_page %d", len(ids), total, maxPage)
	}
	if ids, _, maxPage := a.list("limit=500"); len(ids) != 100 || maxPage != 2 {
		t.Errorf("limit 500: %d items, max_page %d; want capped at 100", len(ids), maxPage)
	}
	if ids, _, _ := a.list("limit=7&page=3"); !slices.Equal(ids, a.srv.MeterIDs()[14:21]) {
		t.Errorf("page 3 of 7: %v", ids)
	}
}

func TestListQueryValidation(t *testing.T) {
	a, _ := newAPI(t)
	cases := []struct {
		query string
		wants []wantError
	}{
		{"page=0", []wantError{{`["query","page"]`, "greater_than"}}},
		{"page=-1", []wantError{{`["query","page"]`, "greater_than"}}},
		{"page=two", []wantError{{`["query","page"]`, "int_parsing"}}},
		{"page=1.5", []wantError{{`["query","page"]`, "int_parsing"}}},
		{"limit=0", []wantError{{`["query","limit"]`, "greater_than"}}},
		{"sorting=size", []wantError{{`["query","sorting",0]`, "enum"}}},
		{"sorting=name&sorting=-id", []wantError{{`["query","sorting",1]`, "enum"}}},
		{"is_archived=maybe", []wantError{{`["query","is_archived"]`, "bool_parsing"}}},
		{"organization_id=acme", []wantError{{`["query","organization_id",0]`, "uuid_parsing"}}},
		{"page=0&limit=x&is_archived=2", []wantError{
			{`["query","page"]`, "greater_than"}, {`["query","limit"]`, "int_parsing"}, {`["query","is_archived"]`, "bool_parsing"},
		}},
	}
	for _, c := range cases {
		expect422(t, a.do(http.MethodGet, "/v1/meters/?"+c.query, ""), requestValidation, c.wants...)
	}
}

func TestListFilters(t *testing.T) {
	a, _ := newAPI(t)
	put := func(name, metadata string) string {
		return a.srv.PutMeter(`{"name":"` + name + `","metadata":` + metadata + `,"filter":{"conjunction":"and","clauses":[]},"aggregation":{"func":"count"}}`)
	}
	apiCalls := put("API calls", `{"tier":3,"beta":true,"team":"core"}`)
	apiTokens := put("api tokens", `{"tier":"3","beta":false,"ratio":0.5}`)
	storage := put("Storage", `{"tier":4,"scale":3.0}`)
	foreign := a.srv.PutMeter(`{"name":"API foreign","organization_id":"0b6c3c5e-8f5e-4d3a-9a57-1c2d3e4f5a6b","filter":{"conjunction":"and","clauses":[]},"aggregation":{"func":"count"}}`)
	expectStatus(t, a.patch(storage, `{"is_archived":true}`), http.StatusOK)

	cases := []struct {
		query string
		want  []string
	}{
		{"", []string{apiCalls, storage, apiTokens}},
		{"query=API", []string{apiCalls, apiTokens}},
		{"query=ORAG", []string{storage}},
		{"query=", []string{apiCalls, storage, apiTokens}},
		{"is_archived=true", []string{storage}},
		{"is_archived=false", []string{apiCalls, apiTokens}},
		{"metadata[tier]=3", []string{apiCalls, apiTokens}},
		{"metadata[tier]=3&metadata[tier]=4", []string{apiCalls, storage, apiTokens}},
		{"metadata[tier]=3&metadata[beta]=true", []string{apiCalls}},
		{"metadata[beta]=false", []string{apiTokens}},
		{"metadata[ratio]=0.5", []string{apiTokens}},
		{"metadata[scale]=3.0", []string{storage}},
		{"metadata[scale]=3", nil},
		{"metadata[missing]=x", nil},
		{"organization_id=" + DefaultOrganizationID, []string{apiCalls, storage, apiTokens}},
		{"organization_id=0b6c3c5e-8f5e-4d3a-9a57-1c2d3e4f5a6b", nil},
	}
	for _, c := range cases {
		ids, total, _ := a.list(c.query)
		if !slices.Equal(ids, c.want) || total != len(c.want) {
			t.Errorf("%q: %v (total %d), want %v", c.query, ids, total, c.want)
		}
		if slices.Contains(ids, foreign) {
			t.Errorf("%q lists another organization's meter", c.query)
		}
	}
}

func TestListSorting(t *testing.T) {
	a, c := newAPI(t)
	var ids []string
	for _, name := range []string{"beta", "alpha", "gamma", "alpha"} {
		ids = append(ids, a.createNamed(name))
		c.Advance(time.Second)
	}
	beta, alpha1, gamma, alpha2 := ids[0], ids[1], ids[2], ids[3]
	alphas := []string{alpha1, alpha2}
	slices.Sort(alphas) // equal names are ordered by id
	cases := map[string][]string{
		"":                                  {alphas[0], alphas[1], beta, gamma},
		"sorting=name":                      {alphas[0], alphas[1], beta, gamma},
		"sorting=-name":                     {gamma, beta, alphas[0], alphas[1]},
		"sorting=created_at":                {beta, alpha1, gamma, alpha2},
		"sorting=-created_at":               {alpha2, gamma, alpha1, beta},
		"sorting=name&sorting=-created_at":  {alpha2, alpha1, beta, gamma},
		"sorting=-name&sorting=-created_at": {gamma, beta, alpha2, alpha1},
	}
	for query, want := range cases {
		if got, _, _ := a.list(query); !slices.Equal(got, want) {
			t.Errorf("%q: %v, want %v", query, got, want)
		}
	}
}

func TestListQueryIsAnUnescapedILIKE(t *testing.T) {
	a, _ := newAPI(t)
	names := []string{"500 requests", "50% off", "abc", "aXc", "a_c", `back\slash`, "Ünïcode Meter", "100%"}
	ids := map[string]string{}
	for _, name := range names {
		ids[name] = a.srv.PutMeter(`{"name":` + string(marshal(name)) + `,"filter":{"conjunction":"and","clauses":[]},"aggregation":{"func":"count"}}`)
	}
	cases := []struct {
		query string
		want  []string
	}{
		{"50%", []string{"500 requests", "50% off"}},        // % is any text
		{"a_c", []string{"abc", "aXc", "a_c"}},              // _ is any one character
		{`a\_c`, []string{"a_c"}},                           // \ escapes the next character
		{`50\%`, []string{"50% off"}},                       // so a literal % needs one
		{`\\`, []string{`back\slash`}},                      // an escaped backslash
		{`0\`, []string{"100%"}},                            // a trailing \ escapes Polar's closing %
		{`\a`, []string{"abc", "aXc", "a_c", `back\slash`}}, // an escaped letter is itself
		{"ABC", []string{"abc"}},                            // case-insensitive
		{"5%s", []string{"500 requests"}},                   // % backtracks
		{"10__", []string{"100%"}},                          // one _, one character
		{"10___", nil},
		{"requests ", nil}, // spaces are text
		{"%", names},
	}
	for _, c := range cases {
		got, _, _ := a.list("limit=100&query=" + url.QueryEscape(c.query))
		var want []string
		for _, name := range c.want {
			want = append(want, ids[name])
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("query %q: %v, want %v", c.query, got, c.want)
		}
	}
}

func TestListMetadataComparesPostgresText(t *testing.T) {
	a, _ := newAPI(t)
	id := a.create(createBody("metadata", `{"big":1e16,"small":1.5e-7,"neg":-2.5e+20,"scale":3.0,"n":7,"flag":false,"s":"007"}`))["id"].(string)
	for _, query := range []string{
		"metadata[big]=10000000000000000",
		"metadata[small]=0.00000015",
		"metadata[neg]=-250000000000000000000",
		"metadata[scale]=3.0",
		"metadata[n]=7",
		"metadata[flag]=false",
		"metadata[s]=007",
	} {
		if got, _, _ := a.list(query); !slices.Equal(got, []string{id}) {
			t.Errorf("%s: %v, want the meter", query, got)
		}
	}
	for _, query := range []string{
		"metadata[big]=1e%2B16", "metadata[small]=1.5e-07", "metadata[scale]=3", "metadata[n]=7.0",
		"metadata[flag]=False", "metadata[s]=7", "metadata[S]=007",
	} {
		if got, _, _ := a.list(query); len(got) != 0 {
			t.Errorf("%s: %v, want no meter: the text must be equal", query, got)
		}
	}
}

func TestNumericText(t *testing.T) {
	for in, want := range map[string]string{
		"1e+16": "10000000000000000", "1.5e-07": "0.00000015", "-2.5e+20": "-250000000000000000000",
		"1.25e+16": "12500000000000000", "1e-05": "0.00001", "3.0": "3.0", "42": "42", "-0.5": "-0.5",
	} {
		if got := numericText(in); got != want {
			t.Errorf("numericText(%s) = %s, want %s", in, got, want)
		}
	}
}
