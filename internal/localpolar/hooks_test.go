package localpolar

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// dashboardMeter is a meter as Polar's dashboard makes it and returns it:
// the root filter holds only groups, values are typed from their text, and
// metadata keys come in JSONB's order (shorter first).
const dashboardMeter = `{
	"metadata": {"v": 2, "source": "dashboard"},
	"created_at": "2025-11-02T09:15:42.518233Z",
	"modified_at": "2025-11-03T10:00:00Z",
	"id": "3f1d2c4b-5a6e-4f70-8a9b-0c1d2e3f4a5b",
	"name": "AI usage",
	"unit": "token",
	"custom_label": null,
	"custom_multiplier": null,
	"filter": {"conjunction": "and", "clauses": [
		{"conjunction": "or", "clauses": [
			{"property": "name", "operator": "eq", "value": "ai_usage"},
			{"property": "timestamp", "operator": "gte", "value": 1735689600}
		]},
		{"conjunction": "and", "clauses": [
			{"property": "streamed", "operator": "eq", "value": true},
			{"property": "model", "operator": "like", "value": "gpt-4"},
			{"property": "code", "operator": "eq", "value": "200"}
		]}
	]},
	"aggregation": {"func": "sum", "property": "total_tokens"},
	"organization_id": "7a1c4e2d-5b3f-4c8a-9d6e-1f2a3b4c5d6e",
	"archived_at": null
}`

func TestPutMeterKeepsADashboardMeterExactly(t *testing.T) {
	a, _ := newAPI(t)
	id := a.srv.PutMeter(dashboardMeter)
	if id != "3f1d2c4b-5a6e-4f70-8a9b-0c1d2e3f4a5b" {
		t.Errorf("id %s", id)
	}
	want := compact(t, dashboardMeter)
	if got, ok := a.srv.MeterJSON(id); !ok || string(got) != want {
		t.Errorf("MeterJSON\n%s\nwant\n%s", got, want)
	}
	expectBody(t, a.do(http.MethodGet, "/v1/meters/"+id, ""), http.StatusOK, want)
	if ids, _, _ := a.list(""); !slices.Equal(ids, []string{id}) {
		t.Errorf("list %v", ids)
	}

	archived := strings.NewReplacer(
		`"id": "3f1d2c4b-5a6e-4f70-8a9b-0c1d2e3f4a5b"`, `"id": "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"`,
		`"archived_at": null`, `"archived_at": "2025-12-01T08:30:00Z"`,
	).Replace(dashboardMeter)
	archivedID := a.srv.PutMeter(archived)
	expectBody(t, a.do(http.MethodGet, "/v1/meters/"+archivedID, ""), http.StatusOK, archived)
	if ids, _, _ := a.list("is_archived=true"); !slices.Equal(ids, []string{archivedID}) {
		t.Errorf("archived list %v", ids)
	}
}

func TestPutMeterFillsDefaults(t *testing.T) {
	a, _ := newAPI(t)
	// What the API would refuse on create, Polar can still hold.
	id := a.srv.PutMeter(`{"name":"ab","custom_label":"x","metadata":{"note":""},"filter":{"conjunction":"or","clauses":[]},"aggregation":{"func":"count"}}`)
	want := compact(t, `{"metadata":{"note":""},"created_at":"2026-04-01T12:00:00.123456Z","modified_at":null,"id":"`+id+`","name":"ab",
		"unit":"scalar","custom_label":"x","custom_multiplier":null,"filter":{"conjunction":"or","clauses":[]},"aggregation":{"func":"count"},
		"organization_id":"`+DefaultOrganizationID+`","archived_at":null}`)
	if got, _ := a.srv.MeterJSON(id); string(got) != want {
		t.Errorf("MeterJSON\n%s\nwant\n%s", got, want)
	}
}

func TestPutMeterReplacesInPlace(t *testing.T) {
	a, _ := newAPI(t)
	first := a.createNamed("first")
	second := a.createNamed("second")
	a.srv.PutMeter(`{"id":"` + strings.ToUpper(first) + `","name":"replaced","filter":{"conjunction":"and","clauses":[]},"aggregation":{"func":"count"}}`)
	if ids := a.srv.MeterIDs(); !slices.Equal(ids, []string{first, second}) {
		t.Errorf("ids %v, want creation order kept", ids)
	}
	if name := a.get(first)["name"]; name != "replaced" {
		t.Errorf("name %v", name)
	}
}

func TestPutMeterPanicsOnAnInvalidMeter(t *testing.T) {
	a, _ := newAPI(t)
	for _, raw := range []string{
		`{"name":`,
		`[]`,
		`{"filter":{"conjunction":"and","clauses":[]},"aggregation":{"func":"count"}}`,
		`{"name":"abc","filter":{"conjunction":"and","clauses":[{"property":"p","operator":"eq","value":1.5}]},"aggregation":{"func":"count"}}`,
		`{"name":"abc","id":"42","filter":{"conjunction":"and","clauses":[]},"aggregation":{"func":"count"}}`,
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("PutMeter(%s) did not panic", raw)
				}
			}()
			a.srv.PutMeter(raw)
		}()
	}
	if ids := a.srv.MeterIDs(); len(ids) != 0 {
		t.Errorf("meters %v", ids)
	}
}

func TestMeterIDsInCreationOrder(t *testing.T) {
	a, _ := newAPI(t)
	want := []string{a.createNamed("zeta"), a.srv.PutMeter(dashboardMeter), a.createNamed("alpha")}
	ids := a.srv.MeterIDs()
	if !slices.Equal(ids, want) {
		t.Errorf("ids %v, want %v", ids, want)
	}
	ids[0] = "changed"
	if a.srv.MeterIDs()[0] == "changed" {
		t.Error("MeterIDs returns the store's own slice")
	}
}

func TestArchiveOutOfBand(t *testing.T) {
	a, c := newAPI(t)
	id := a.createNamed("abc")
	c.Advance(5_000_000_000)
	a.srv.ArchiveOutOfBand(id)
	m := a.get(id)
	if m["archived_at"] != "2026-04-01T12:00:05.123456Z" || m["modified_at"] != m["archived_at"] {
		t.Errorf("archived_at %v, modified_at %v", m["archived_at"], m["modified_at"])
	}
	if ids, _, _ := a.list("is_archived=true"); !slices.Equal(ids, []string{id}) {
		t.Errorf("archived list %v", ids)
	}
}

func TestSetClockOffset(t *testing.T) {
	a, c := newAPI(t)
	a.srv.SetClockOffset(-90 * time.Second)
	r := a.do(http.MethodPost, "/v1/meters/", validCreate)
	expectStatus(t, r, http.StatusCreated)
	if got := decode(t, r.Body)["created_at"]; got != "2026-04-01T11:58:30.123456Z" {
		t.Errorf("created_at %v, want 90 s behind the machine", got)
	}
	expectHeader(t, r, "Date", "Wed, 01 Apr 2026 11:58:30 GMT")
	// Rate limits keep the machine's time.
	a.srv.SetRateLimit(1, time.Minute)
	expectStatus(t, a.do(http.MethodGet, "/v1/meters/", ""), http.StatusOK)
	expectBody429(t, a.do(http.MethodGet, "/v1/meters/", ""), "60")
	a.srv.SetClockOffset(time.Hour)
	expectBody429(t, a.do(http.MethodGet, "/v1/meters/", ""), "60")
	c.Advance(time.Minute)
	a.srv.SetRateLimit(0, 0)
	m := a.create(validCreate)
	if m["created_at"] != "2026-04-01T13:01:00.123456Z" {
		t.Errorf("created_at %v, want an hour ahead", m["created_at"])
	}
}

func TestPutMetersAndMetersJSON(t *testing.T) {
	a, _ := newAPI(t)
	if got := string(a.srv.MetersJSON()); got != "[]" {
		t.Errorf("no meters: %s", got)
	}
	a.createNamed("made by the API")
	a.srv.PutMeter(dashboardMeter)
	saved := a.srv.MetersJSON()

	b, _ := newAPI(t)
	ids, err := b.srv.PutMeters(saved)
	if err != nil || !slices.Equal(ids, a.srv.MeterIDs()) {
		t.Fatalf("PutMeters: %v, %v", ids, err)
	}
	if got := string(b.srv.MetersJSON()); got != string(saved) {
		t.Errorf("round trip\n%s\nwant\n%s", got, saved)
	}
	// All or nothing.
	for _, raw := range []string{`{}`, `[` + dashboardMeter + `,{"name":"x"}]`} {
		if _, err := b.srv.PutMeters([]byte(raw)); err == nil {
			t.Errorf("PutMeters(%s) accepted", raw)
		}
	}
	if len(b.srv.MeterIDs()) != 2 {
		t.Errorf("a refused PutMeters stored meters: %v", b.srv.MeterIDs())
	}
}
