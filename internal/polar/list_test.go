package polar

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func TestLikeSafe(t *testing.T) {
	for text, want := range map[string]string{
		"":                 "",
		"api calls":        "api calls",
		"50%":              "50",
		`C:\meters\api`:    "meters",
		"a_b":              "a", // the first of the longest runs
		`%_\`:              "",
		"100%_of_requests": "requests",
	} {
		if got := likeSafe(text); got != want {
			t.Errorf("likeSafe(%q) = %q, want %q", text, got, want)
		}
	}
}

// ilike matches name as PostgreSQL's name ILIKE pattern: % any run, _ any character, \ escapes the next one.
func ilike(name, pattern string) bool {
	var expr strings.Builder
	expr.WriteString(`(?is)^`)
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; {
		case c == '%':
			expr.WriteString(".*")
		case c == '_':
			expr.WriteString(".")
		case c == '\\' && i+1 < len(pattern):
			i++
			expr.WriteString(regexp.QuoteMeta(pattern[i : i+1]))
		default:
			expr.WriteString(regexp.QuoteMeta(pattern[i : i+1]))
		}
	}
	return regexp.MustCompile(expr.String() + `$`).MatchString(name)
}

// namedMeter is dashboardMeterJSON with this id and name.
func namedMeter(id, name string) json.RawMessage {
	var m map[string]any
	_ = json.Unmarshal([]byte(dashboardMeterJSON), &m)
	m["id"], m["name"] = id, name
	data, _ := json.Marshal(m)
	return data
}

// polarWithNames answers list calls on one page from meters with these names, matching query as Polar does:
// ILIKE '%query%' without escaping it.
func polarWithNames(names ...string) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, r *http.Request, _ int) {
		items := []json.RawMessage{}
		for i, name := range names {
			if ilike(name, "%"+r.URL.Query().Get("query")+"%") {
				items = append(items, namedMeter(string(rune('a'+i)), name))
			}
		}
		body, _ := json.Marshal(map[string]any{"items": items, "pagination": map[string]int{"total_count": len(items), "max_page": 1}})
		respond(w, http.StatusOK, string(body))
	}
}

func names(meters []Meter) []string {
	out := []string{}
	for _, m := range meters {
		out = append(out, m.Name)
	}
	return out
}

func TestListQueryIsTakenLiterally(t *testing.T) {
	all := []string{"500 requests", "50% off", `C:\meters\api`, "a_b", "AXB", "A_B tokens"}
	for query, want := range map[string][]string{
		"50%":           {"50% off"},
		`C:\meters\api`: {`C:\meters\api`},
		`c:\METERS\api`: {`C:\meters\api`},
		"a_b":           {"a_b", "A_B tokens"},
		"%":             {"50% off"},
		"requests":      {"500 requests"},
	} {
		fake := startFake(t, polarWithNames(all...))
		meters, err := fake.client(t).ListMeters(context.Background(), ListMetersParams{Query: query})
		if err != nil {
			t.Fatal(err)
		}
		if got := names(meters); !reflect.DeepEqual(got, want) {
			t.Errorf("query %q found %q, want %q", query, got, want)
		}
	}
}

func TestListSendsOnlyTheLikeSafeRunOfTheQuery(t *testing.T) {
	fake := startFake(t, pagedMeters(t, 0))
	if _, err := fake.client(t).ListMeters(context.Background(), ListMetersParams{Query: `100%_of\requests`}); err != nil {
		t.Fatal(err)
	}
	if _, err := fake.client(t).ListMeters(context.Background(), ListMetersParams{Query: "%_"}); err != nil {
		t.Fatal(err)
	}
	seen := fake.requests()
	for i, want := range []string{"/v1/meters/?limit=100&page=1&query=requests", "/v1/meters/?limit=100&page=1"} {
		if seen[i].RequestURI != want {
			t.Errorf("requested %s, want %s", seen[i].RequestURI, want)
		}
	}
}

func TestListMetersReadsOnWhenTheQueryEmptiesAPage(t *testing.T) {
	fake := startFake(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		items := []json.RawMessage{namedMeter("a", "500 a"), namedMeter("b", "500 b")}
		if r.URL.Query().Get("page") == "2" {
			items = []json.RawMessage{namedMeter("c", "50% c")}
		}
		body, _ := json.Marshal(map[string]any{"items": items, "pagination": map[string]int{"total_count": 3, "max_page": 2}})
		respond(w, http.StatusOK, string(body))
	})
	c := fake.client(t)
	meters, err := c.ListMeters(context.Background(), ListMetersParams{Query: "50%"})
	if got := names(meters); err != nil || !reflect.DeepEqual(got, []string{"50% c"}) || len(fake.requests()) != 2 {
		t.Errorf("got %q, %v after %d requests", got, err, len(fake.requests()))
	}
	page, err := c.ListMetersPage(context.Background(), ListMetersParams{Query: "50%"}, 1)
	if err != nil || len(page.Items) != 0 || page.TotalCount != 3 || page.MaxPage != 2 {
		t.Errorf("page 1: %+v, %v", page, err)
	}
}

func TestListMetersPage(t *testing.T) {
	fake := startFake(t, pagedMeters(t, 250))
	c := fake.client(t)
	page, err := c.ListMetersPage(context.Background(), ListMetersParams{
		IsArchived:      ptr(false),
		Metadata:        map[string]string{"team": "growth"},
		Sorting:         []string{"-created_at"},
		OrganizationIDs: []string{"org-1", "org-2"},
	}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 100 || page.Items[0].ID != "meter-100" || page.Items[99].ID != "meter-199" || page.TotalCount != 250 || page.MaxPage != 3 {
		t.Errorf("got %d items from %s, total %d, max page %d", len(page.Items), page.Items[0].ID, page.TotalCount, page.MaxPage)
	}
	const want = "/v1/meters/?is_archived=false&limit=100&metadata%5Bteam%5D=growth&organization_id=org-1&organization_id=org-2&page=2&sorting=-created_at"
	if got := fake.requests()[0].RequestURI; got != want {
		t.Errorf("requested\n %s\nwant\n %s", got, want)
	}

	_, err = c.ListMetersPage(context.Background(), ListMetersParams{}, 0)
	if apiErr, ok := AsAPIError(err); !ok || apiErr.Kind != KindUnexpected ||
		err.Error() != "polar: GET /v1/meters/: page 0 asked for: pages are numbered from 1" {
		t.Errorf("page 0: %v", err)
	}
	if n := len(fake.requests()); n != 1 {
		t.Errorf("%d requests", n)
	}
}

func TestFindMetersByName(t *testing.T) {
	fake := startFake(t, polarWithNames("API calls", "api calls", "API calls (old)", "Old API calls", "API calls"))
	meters, err := fake.client(t).FindMetersByName(context.Background(), "API calls", ptr(false))
	if err != nil {
		t.Fatal(err)
	}
	if got := names(meters); !reflect.DeepEqual(got, []string{"API calls", "API calls"}) || meters[0].ID == meters[1].ID {
		t.Errorf("found %q", got)
	}
	if got := fake.requests()[0].RequestURI; got != "/v1/meters/?is_archived=false&limit=100&page=1&query=API+calls" {
		t.Errorf("requested %s", got)
	}
}
