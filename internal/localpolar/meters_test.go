package localpolar

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestCreateKeepsEveryValueType(t *testing.T) {
	a, _ := newAPI(t)
	r := a.do(http.MethodPost, "/v1/meters/", `{
		"name": "LLM tokens",
		"unit": "custom",
		"custom_label": "token",
		"custom_multiplier": 1000,
		"metadata": {"tier": 3, "ratio": 0.5, "scale": 3.0, "beta": true, "owner": "ops", "big": 1e20},
		"filter": {"conjunction": "and", "clauses": [
			{"property": "name", "operator": "eq", "value": "llm.call"},
			{"property": "code", "operator": "ne", "value": "100"},
			{"property": "size", "operator": "gt", "value": 100},
			{"property": "cached", "operator": "eq", "value": false},
			{"property": "weight", "operator": "lte", "value": 1.0},
			{"property": "low", "operator": "gte", "value": -2147483648},
			{"property": "high", "operator": "lt", "value": 2147483647},
			{"conjunction": "or", "clauses": [
				{"property": "model", "operator": "like", "value": "gpt"},
				{"property": "model", "operator": "not_like", "value": "mini"}
			]}
		]},
		"aggregation": {"func": "sum", "property": "tokens"}
	}`)
	expectStatus(t, r, http.StatusCreated)
	id := decode(t, r.Body)["id"].(string)
	parsed, err := uuid.Parse(id)
	if err != nil || parsed.Version() != 4 || parsed.String() != id {
		t.Errorf("id %q is not a canonical UUIDv4", id)
	}
	want := compact(t, `{
		"metadata": {"big": 1e+20, "beta": true, "tier": 3, "owner": "ops", "ratio": 0.5, "scale": 3.0},
		"created_at": "2026-04-01T12:00:00.123456Z",
		"modified_at": null,
		"id": "`+id+`",
		"name": "LLM tokens",
		"unit": "custom",
		"custom_label": "token",
		"custom_multiplier": 1000,
		"filter": {"conjunction": "and", "clauses": [
			{"property": "name", "operator": "eq", "value": "llm.call"},
			{"property": "code", "operator": "ne", "value": "100"},
			{"property": "size", "operator": "gt", "value": 100},
			{"property": "cached", "operator": "eq", "value": false},
			{"property": "weight", "operator": "lte", "value": 1},
			{"property": "low", "operator": "gte", "value": -2147483648},
			{"property": "high", "operator": "lt", "value": 2147483647},
			{"conjunction": "or", "clauses": [
				{"property": "model", "operator": "like", "value": "gpt"},
				{"property": "model", "operator": "not_like", "value": "mini"}
			]}
		]},
		"aggregation": {"func": "sum", "property": "tokens"},
		"organization_id": "`+DefaultOrganizationID+`",
		"archived_at": null
	}`)
	if r.Body != want {
		t.Errorf("created\n%s\nwant\n%s", r.Body, want)
	}
	expectBody(t, a.do(http.MethodGet, "/v1/meters/"+id, ""), http.StatusOK, want)
	if stored, _ := a.srv.MeterJSON(id); string(stored) != want {
		t.Errorf("MeterJSON\n%s\nwant\n%s", stored, want)
	}
}

func TestCreateDefaults(t *testing.T) {
	a, c := newAPI(t)
	c.Advance(-123456 * time.Microsecond)
	m := a.create(`{"name":"abc","filter":{"conjunction":"or","clauses":[]},"aggregation":{"func":"unique","property":"user"}}`)
	want := map[string]any{
		"unit": "scalar", "custom_label": nil, "custom_multiplier": nil, "modified_at": nil, "archived_at": nil,
		// pydantic writes no fraction when there is none.
		"created_at": "2026-04-01T12:00:00Z",
	}
	for key, value := range want {
		if m[key] != value {
			t.Errorf("%s = %v, want %v", key, m[key], value)
		}
	}
	if got := string(marshal(m["metadata"])); got != "{}" {
		t.Errorf("metadata %s, want {}", got)
	}
	if got := string(marshal(m["aggregation"])); got != `{"func":"unique","property":"user"}` {
		t.Errorf("aggregation %s", got)
	}
}

func TestCreateStripsMetadataPrefix(t *testing.T) {
	a, _ := newAPI(t)
	r := a.do(http.MethodPost, "/v1/meters/", `{"name":"abc",
		"filter":{"conjunction":"and","clauses":[
			{"property":"metadata.tokens","operator":"gt","value":0},
			{"conjunction":"or","clauses":[{"conjunction":"and","clauses":[
				{"property":"metadata.metadata.model","operator":"eq","value":"x"},
				{"property":"name","operator":"eq","value":"metadata.kept"}
			]}]}
		]},
		"aggregation":{"func":"max","property":"metadata.tokens"}}`)
	expectStatus(t, r, http.StatusCreated)
	got := rawFields(t, r.Body, "filter", "aggregation")
	want := `{"conjunction":"and","clauses":[` +
		`{"property":"tokens","operator":"gt","value":0},` +
		`{"conjunction":"or","clauses":[{"conjunction":"and","clauses":[` +
		`{"property":"metadata.model","operator":"eq","value":"x"},` +
		`{"property":"name","operator":"eq","value":"metadata.kept"}]}]}]}` +
		`{"func":"max","property":"tokens"}`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestCreateDropsPropertyOfCount(t *testing.T) {
	a, _ := newAPI(t)
	m := a.create(`{"name":"abc","filter":{"conjunction":"and","clauses":[]},"aggregation":{"func":"count","property":"tokens"}}`)
	if got := string(marshal(m["aggregation"])); got != `{"func":"count"}` {
		t.Errorf("aggregation %s", got)
	}
}

func TestCreateReadsIntegralFloatsAsIntegers(t *testing.T) {
	a, _ := newAPI(t)
	for value, want := range map[string]string{"1.0": "1", "1e2": "100", "-0.0": "0", "2.147483647e9": "2147483647", "7": "7"} {
		m := a.create(`{"name":"abc","filter":{"conjunction":"and","clauses":[{"property":"p","operator":"eq","value":` + value + `}]},"aggregation":{"func":"count"}}`)
		clause := m["filter"].(map[string]any)["clauses"].([]any)[0].(map[string]any)
		if got := string(marshal(clause["value"])); got != want {
			t.Errorf("value %s stored as %s, want %s", value, got, want)
		}
	}
}

// createBody writes a valid MeterCreate with one field replaced by raw JSON
// (or removed when raw is "").
func createBody(key, raw string) string {
	fields := []struct{ key, value string }{
		{"name", `"Requests"`},
		{"filter", `{"conjunction":"and","clauses":[{"property":"p","operator":"eq","value":"v"}]}`},
		{"aggregation", `{"func":"count"}`},
	}
	var parts []string
	replaced := false
	for _, f := range fields {
		if f.key == key {
			replaced = true
			if raw == "" {
				continue
			}
			f.value = raw
		}
		parts = append(parts, fmt.Sprintf("%q:%s", f.key, f.value))
	}
	if !replaced {
		parts = append(parts, fmt.Sprintf("%q:%s", key, raw))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// condition writes a filter of one condition with the given value.
func conditionFilter(value string) string {
	return `{"conjunction":"and","clauses":[{"property":"p","operator":"eq","value":` + value + `}]}`
}

func TestCreateValidation(t *testing.T) {
	manyKeys := make([]string, 51)
	for i := range manyKeys {
		manyKeys[i] = fmt.Sprintf(`"k%d":%d`, i, i)
	}
	long := func(n int) string { return `"` + strings.Repeat("x", n) + `"` }
	const value0 = `["body","filter","clauses",0,"value"]`
	cases := []struct {
		name  string
		body  string
		kind  string
		wants []wantError
	}{
		{"name missing", createBody("name", ""), requestValidation, []wantError{{`["body","name"]`, "missing"}}},
		{"name too short", createBody("name", `"ab"`), requestValidation, []wantError{{`["body","name"]`, "string_too_short"}}},
		{"name not a string", createBody("name", `123`), requestValidation, []wantError{{`["body","name"]`, "string_type"}}},
		{"name null", createBody("name", `null`), requestValidation, []wantError{{`["body","name"]`, "string_type"}}},
		{"unit unknown", createBody("unit", `"bytes"`), requestValidation, []wantError{{`["body","unit"]`, "enum"}}},
		{"custom unit without label", createBody("unit", `"custom"`), requestValidation, []wantError{{`["body"]`, "value_error"}}},
		{"custom unit with null label", createBody("unit", `"custom","custom_label":null`), requestValidation, []wantError{{`["body"]`, "value_error"}}},
		{"label without custom unit", createBody("custom_label", `"req"`), requestValidation, []wantError{{`["body"]`, "value_error"}}},
		{"custom unit checked after the fields", createBody("unit", `"custom","name":"ab"`), requestValidation, []wantError{{`["body","name"]`, "string_too_short"}}},
		{"label not a string", createBody("custom_label", `5`), requestValidation, []wantError{{`["body","custom_label"]`, "string_type"}}},
		{"multiplier zero", createBody("custom_multiplier", `0`), requestValidation, []wantError{{`["body","custom_multiplier"]`, "greater_than"}}},
		{"multiplier fraction", createBody("custom_multiplier", `1.5`), requestValidation, []wantError{{`["body","custom_multiplier"]`, "int_from_float"}}},
		{"multiplier object", createBody("custom_multiplier", `{}`), requestValidation, []wantError{{`["body","custom_multiplier"]`, "int_type"}}},
		{"filter missing", createBody("filter", ""), requestValidation, []wantError{{`["body","filter"]`, "missing"}}},
		{"filter not an object", createBody("filter", `[]`), requestValidation, []wantError{{`["body","filter"]`, "model_type"}}},
		{"filter empty", createBody("filter", `{}`), requestValidation, []wantError{
			{`["body","filter","conjunction"]`, "missing"}, {`["body","filter","clauses"]`, "missing"},
		}},
		{"conjunction unknown", createBody("filter", `{"conjunction":"xor","clauses":[]}`), requestValidation, []wantError{{`["body","filter","conjunction"]`, "enum"}}},
		{"clauses not a list", createBody("filter", `{"conjunction":"and","clauses":{}}`), requestValidation, []wantError{{`["body","filter","clauses"]`, "list_type"}}},
		{"clause not an object", createBody("filter", `{"conjunction":"and","clauses":["p = 1"]}`), requestValidation, []wantError{{`["body","filter","clauses",0]`, "model_type"}}},
		{"clause empty", createBody("filter", `{"conjunction":"and","clauses":[{}]}`), requestValidation, []wantError{
			{`["body","filter","clauses",0,"property"]`, "missing"},
			{`["body","filter","clauses",0,"operator"]`, "missing"},
			{`["body","filter","clauses",0,"value"]`, "missing"},
		}},
		{"operator unknown", createBody("filter", `{"conjunction":"and","clauses":[{"property":"p","operator":"contains","value":1}]}`), requestValidation, []wantError{
			{`["body","filter","clauses",0,"operator"]`, "enum"},
		}},
		{"property not a string", createBody("filter", `{"conjunction":"and","clauses":[{"property":1,"operator":"eq","value":1}]}`), requestValidation, []wantError{
			{`["body","filter","clauses",0,"property"]`, "string_type"},
		}},
		{"value fraction", createBody("filter", conditionFilter(`1.5`)), requestValidation, []wantError{{value0, "int_from_float"}}},
		{"value above int32", createBody("filter", conditionFilter(`2147483648`)), requestValidation, []wantError{{value0, "less_than_equal"}}},
		{"value below int32", createBody("filter", conditionFilter(`-2147483649`)), requestValidation, []wantError{{value0, "greater_than_equal"}}},
		{"value float above int32", createBody("filter", conditionFilter(`3e9`)), requestValidation, []wantError{{value0, "less_than_equal"}}},
		{"value null", createBody("filter", conditionFilter(`null`)), requestValidation, []wantError{{value0, "string_type"}}},
		{"value object", createBody("filter", conditionFilter(`{}`)), requestValidation, []wantError{{value0, "string_type"}}},
		{"value array", createBody("filter", conditionFilter(`[1]`)), requestValidation, []wantError{{value0, "string_type"}}},
		{"value too long", createBody("filter", conditionFilter(long(1001))), requestValidation, []wantError{{value0, "string_too_long"}}},
		{"nested clause", createBody("filter", `{"conjunction":"and","clauses":[{"property":"p","operator":"eq","value":1},{"conjunction":"or","clauses":[{"operator":"eq","value":1}]}]}`), requestValidation, []wantError{
			{`["body","filter","clauses",1,"clauses",0,"property"]`, "missing"},
		}},
		{"nested conjunction", createBody("filter", `{"conjunction":"and","clauses":[{"conjunction":"nor","clauses":[]}]}`), requestValidation, []wantError{
			{`["body","filter","clauses",0,"conjunction"]`, "enum"},
		}},
		{"aggregation missing", createBody("aggregation", ""), requestValidation, []wantError{{`["body","aggregation"]`, "missing"}}},
		{"aggregation not an object", createBody("aggregation", `"count"`), requestValidation, []wantError{{`["body","aggregation"]`, "model_attributes_type"}}},
		{"aggregation without func", createBody("aggregation", `{"property":"x"}`), requestValidation, []wantError{{`["body","aggregation"]`, "union_tag_not_found"}}},
		{"aggregation func unknown", createBody("aggregation", `{"func":"median","property":"x"}`), requestValidation, []wantError{{`["body","aggregation"]`, "union_tag_invalid"}}},
		{"sum without property", createBody("aggregation", `{"func":"sum"}`), requestValidation, []wantError{{`["body","aggregation","property"]`, "missing"}}},
		{"unique without property", createBody("aggregation", `{"func":"unique"}`), requestValidation, []wantError{{`["body","aggregation","property"]`, "missing"}}},
		{"avg property not a string", createBody("aggregation", `{"func":"avg","property":3}`), requestValidation, []wantError{{`["body","aggregation","property"]`, "string_type"}}},
		{"metadata not an object", createBody("metadata", `[]`), requestValidation, []wantError{{`["body","metadata"]`, "dict_type"}}},
		{"metadata null", createBody("metadata", `null`), requestValidation, []wantError{{`["body","metadata"]`, "dict_type"}}},
		{"metadata too many keys", createBody("metadata", "{"+strings.Join(manyKeys, ",")+"}"), requestValidation, []wantError{{`["body","metadata"]`, "too_long"}}},
		{"metadata key too long", createBody("metadata", `{"`+strings.Repeat("k", 41)+`":1}`), requestValidation, []wantError{
			{`["body","metadata","` + strings.Repeat("k", 41) + `","[key]"]`, "string_too_long"},
		}},
		{"metadata key empty", createBody("metadata", `{"":1}`), requestValidation, []wantError{{`["body","metadata","","[key]"]`, "string_too_short"}}},
		{"metadata value too long", createBody("metadata", `{"tier":`+long(501)+`}`), requestValidation, []wantError{{`["body","metadata","tier"]`, "string_too_long"}}},
		{"metadata value empty", createBody("metadata", `{"tier":""}`), requestValidation, []wantError{{`["body","metadata","tier"]`, "string_too_short"}}},
		{"metadata value null", createBody("metadata", `{"tier":null}`), requestValidation, []wantError{{`["body","metadata","tier"]`, "string_type"}}},
		{"metadata value object", createBody("metadata", `{"tier":{"a":1}}`), requestValidation, []wantError{{`["body","metadata","tier"]`, "string_type"}}},
		{"metadata value NUL", createBody("metadata", `{"tier":"a\u0000b"}`), requestValidation, []wantError{{`["body","metadata"]`, "value_error"}}},
		{"metadata key NUL", createBody("metadata", `{"ok":1,"ti\u0000er":true}`), requestValidation, []wantError{{`["body","metadata"]`, "value_error"}}},
		{"metadata NUL checked after the map", createBody("metadata", `{"a\u0000":""}`), requestValidation, []wantError{{`["body","metadata","a\u0000"]`, "string_too_short"}}},
		{"name NUL", createBody("name", `"API\u0000calls"`), requestValidation, []wantError{{`["body","name"]`, "value_error"}}},
		{"name NUL checked after its length", createBody("name", `"a\u0000"`), requestValidation, []wantError{{`["body","name"]`, "string_too_short"}}},
		{"custom_label NUL", createBody("unit", `"custom","custom_label":"re\u0000q"`), requestValidation, []wantError{{`["body","custom_label"]`, "value_error"}}},
		{"organization_id with an organization token", createBody("organization_id", `"`+DefaultOrganizationID+`"`), polarRequestValidation, []wantError{
			{`["body","organization_id"]`, "organization_token"},
		}},
		{"every error at once", `{"name":"x","metadata":{"tier":null},"filter":{"conjunction":"and","clauses":[{"property":"p","operator":"eq","value":1.5}]},"aggregation":{"func":"sum"}}`, requestValidation, []wantError{
			{`["body","metadata","tier"]`, "string_type"},
			{`["body","name"]`, "string_too_short"},
			{value0, "int_from_float"},
			{`["body","aggregation","property"]`, "missing"},
		}},
	}
	a, _ := newAPI(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			expect422(t, a.do(http.MethodPost, "/v1/meters/", c.body), c.kind, c.wants...)
		})
	}
	if ids := a.srv.MeterIDs(); len(ids) != 0 {
		t.Errorf("invalid bodies created %v", ids)
	}
}

func TestValidationErrorShape(t *testing.T) {
	a, _ := newAPI(t)
	expectBody(t, a.do(http.MethodPost, "/v1/meters/", createBody("name", `"ab"`)), http.StatusUnprocessableEntity,
		`{"error":"RequestValidationError","detail":[{"type":"string_too_short","loc":["body","name"],"msg":"String should have at least 3 characters","input":"ab","ctx":{"min_length":3}}]}`)
	expectBody(t, a.do(http.MethodPost, "/v1/meters/", createBody("unit", `"bytes"`)), http.StatusUnprocessableEntity,
		`{"error":"RequestValidationError","detail":[{"type":"enum","loc":["body","unit"],"msg":"Input should be 'scalar', 'token' or 'custom'","input":"bytes","ctx":{"expected":"'scalar', 'token' or 'custom'"}}]}`)
	expectBody(t, a.do(http.MethodPost, "/v1/meters/", createBody("filter", `{"conjunction":"xor","clauses":[]}`)), http.StatusUnprocessableEntity,
		`{"error":"RequestValidationError","detail":[{"type":"enum","loc":["body","filter","conjunction"],"msg":"Input should be 'and' or 'or'","input":"xor","ctx":{"expected":"'and' or 'or'"}}]}`)
	expectBody(t, a.do(http.MethodPost, "/v1/meters/", `{"filter":{"conjunction":"and","clauses":[]},"aggregation":{"func":"count"}}`), http.StatusUnprocessableEntity,
		`{"error":"RequestValidationError","detail":[{"type":"missing","loc":["body","name"],"msg":"Field required","input":{"filter":{"conjunction":"and","clauses":[]},"aggregation":{"func":"count"}}}]}`)
	expectBody(t, a.do(http.MethodPost, "/v1/meters/", createBody("custom_multiplier", `0`)), http.StatusUnprocessableEntity,
		`{"error":"RequestValidationError","detail":[{"type":"greater_than","loc":["body","custom_multiplier"],"msg":"Input should be greater than 0","input":0,"ctx":{"gt":0}}]}`)
	expectBody(t, a.do(http.MethodPost, "/v1/meters/", createBody("organization_id", `"`+DefaultOrganizationID+`"`)), http.StatusUnprocessableEntity,
		`{"error":"PolarRequestValidationError","detail":[{"type":"organization_token","loc":["body","organization_id"],"msg":"Setting organization_id is disallowed when using an organization token.","input":"`+DefaultOrganizationID+`"}]}`)
	expectBody(t, a.do(http.MethodPost, "/v1/meters/", createBody("unit", `"custom"`)), http.StatusUnprocessableEntity,
		`{"error":"RequestValidationError","detail":[{"type":"value_error","loc":["body"],"msg":"Value error, custom_label is required when unit is 'custom'.","input":`+createBody("unit", `"custom"`)+`,"ctx":{"error":{}}}]}`)
	expectBody(t, a.do(http.MethodPost, "/v1/meters/", createBody("custom_label", `"req"`)), http.StatusUnprocessableEntity,
		`{"error":"RequestValidationError","detail":[{"type":"value_error","loc":["body"],"msg":"Value error, custom_label and custom_multiplier are only allowed when unit is 'custom'.","input":`+createBody("custom_label", `"req"`)+`,"ctx":{"error":{}}}]}`)
}

func TestNULCharactersRefused(t *testing.T) {
	a, _ := newAPI(t)
	const invalid = `"msg":"Value error, This value contains invalid characters"`
	// The error is the field's: for metadata, the whole map as validated.
	expectBody(t, a.do(http.MethodPost, "/v1/meters/", createBody("metadata", `{"tier":"gold\u0000","ratio":1.50,"n":1}`)), http.StatusUnprocessableEntity,
		`{"error":"RequestValidationError","detail":[{"type":"value_error","loc":["body","metadata"],`+invalid+`,"input":{"tier":"gold\u0000","ratio":1.5,"n":1},"ctx":{"error":{}}}]}`)
	expectBody(t, a.do(http.MethodPost, "/v1/meters/", createBody("name", `"API\u0000"`)), http.StatusUnprocessableEntity,
		`{"error":"RequestValidationError","detail":[{"type":"value_error","loc":["body","name"],`+invalid+`,"input":"API\u0000","ctx":{"error":{}}}]}`)
	// Every field with one, in the schema's order.
	expect422(t, a.do(http.MethodPost, "/v1/meters/", `{"name":"a\u0000bc","unit":"custom","custom_label":"\u0000","metadata":{"\u0000":1},"filter":{"conjunction":"and","clauses":[]},"aggregation":{"func":"count"}}`),
		requestValidation, wantError{`["body","metadata"]`, "value_error"}, wantError{`["body","name"]`, "value_error"}, wantError{`["body","custom_label"]`, "value_error"})

	id := a.createNamed("abc")
	expect422(t, a.patch(id, `{"name":"\u0000bc","custom_label":"x\u0000","metadata":{"k":"\u0000"}}`), requestValidation,
		wantError{`["body","metadata"]`, "value_error"}, wantError{`["body","name"]`, "value_error"}, wantError{`["body","custom_label"]`, "value_error"})

	// Filters and aggregations are models, which the check skips.
	withNUL := `{"name":"abc","filter":{"conjunction":"and","clauses":[{"property":"p\u0000","operator":"eq","value":"v\u0000"}]},"aggregation":{"func":"sum","property":"t\u0000"}}`
	r := a.do(http.MethodPost, "/v1/meters/", withNUL)
	expectStatus(t, r, http.StatusCreated)
	if got, want := rawFields(t, r.Body, "filter", "aggregation"), rawFields(t, withNUL, "filter", "aggregation"); got != want {
		t.Errorf("stored %s, want %s", got, want)
	}
	expectStatus(t, a.patch(id, `{"filter":{"conjunction":"or","clauses":[{"property":"\u0000","operator":"like","value":"\u0000"}]}}`), http.StatusOK)
}

func TestCreateCustomUnit(t *testing.T) {
	a, _ := newAPI(t)
	m := a.create(createBody("unit", `"custom","custom_label":"request","custom_multiplier":2.0`))
	if m["unit"] != "custom" || m["custom_label"] != "request" || string(marshal(m["custom_multiplier"])) != "2" {
		t.Errorf("meter %v", m)
	}
	m = a.create(createBody("unit", `"token","custom_label":null,"custom_multiplier":null`))
	if m["unit"] != "token" || m["custom_label"] != nil || m["custom_multiplier"] != nil {
		t.Errorf("meter %v", m)
	}
}

func TestCreateWithPersonalToken(t *testing.T) {
	const (
		user   = "polar_pat_user"
		member = "polar_pat_member_of_one"
		other  = "0b6c3c5e-8f5e-4d3a-9a57-1c2d3e4f5a6b"
	)
	a := startAPI(t, Options{Tokens: map[string]Token{
		user:   {Kind: PersonalToken, Scopes: []string{ScopeMetersRead, ScopeMetersWrite}},
		member: {Kind: PersonalToken, OrganizationID: DefaultOrganizationID, Scopes: []string{ScopeMetersWrite}},
	}})
	// A personal token is never scoped to one organization: it always names one.
	for _, token := range []string{user, member} {
		expectBody(t, a.withToken(token).do(http.MethodPost, "/v1/meters/", validCreate), http.StatusUnprocessableEntity,
			`{"error":"PolarRequestValidationError","detail":[{"type":"missing","loc":["body","organization_id"],"msg":"organization_id is required.","input":null}]}`)
		expectStatus(t, a.withToken(token).do(http.MethodPost, "/v1/meters/", createBody("organization_id", "null")), http.StatusUnprocessableEntity)
	}
	u := a.withToken(user)
	expect422(t, u.do(http.MethodPost, "/v1/meters/", createBody("organization_id", `"acme"`)), requestValidation, wantError{`["body","organization_id"]`, "uuid_parsing"})
	expect422(t, u.do(http.MethodPost, "/v1/meters/", createBody("organization_id", `"`+strings.ToUpper(uuid.NewMD5(uuid.NameSpaceURL, nil).String())+`"`)), requestValidation,
		wantError{`["body","organization_id"]`, "uuid_version"})
	if m := u.create(createBody("organization_id", `"`+strings.ToUpper(other)+`"`)); m["organization_id"] != other {
		t.Errorf("organization_id %v, want %s", m["organization_id"], other)
	}

	// A user who is a member of one organization reaches only that one.
	s := a.withToken(member)
	if m := s.create(createBody("organization_id", `"`+DefaultOrganizationID+`"`)); m["organization_id"] != DefaultOrganizationID {
		t.Errorf("organization_id %v", m["organization_id"])
	}
	expectBody(t, s.do(http.MethodPost, "/v1/meters/", createBody("organization_id", `"`+other+`"`)), http.StatusUnprocessableEntity,
		`{"error":"PolarRequestValidationError","detail":[{"type":"value_error","loc":["body","organization_id"],"msg":"Organization not found.","input":"`+other+`"}]}`)
	if n := len(decode(t, u.do(http.MethodGet, "/v1/meters/", "").Body)["items"].([]any)); n != 2 {
		t.Errorf("user lists %d meters, want 2", n)
	}
	if n := len(decode(t, s.do(http.MethodGet, "/v1/meters/", "").Body)["items"].([]any)); n != 1 {
		t.Errorf("member of one lists %d meters, want 1", n)
	}
}

func TestRoleWithoutProductsPermission(t *testing.T) {
	const (
		finance = "polar_pat_finance"
		other   = "0b6c3c5e-8f5e-4d3a-9a57-1c2d3e4f5a6b"
	)
	a := startAPI(t, Options{Tokens: map[string]Token{
		DefaultToken: {OrganizationID: DefaultOrganizationID, Scopes: []string{ScopeMetersWrite}, Role: RoleFinance},
		finance:      {Kind: PersonalToken, OrganizationID: DefaultOrganizationID, Scopes: []string{ScopeMetersRead, ScopeMetersWrite}, Role: RoleFinance},
	}})
	// An organization token acts as the organization: roles do not apply.
	id := a.createNamed("abc")
	f := a.withToken(finance)
	const refused = `{"error":"NotPermitted","detail":"You don't have permission to manage products"}`
	inOrganization := createBody("organization_id", `"`+DefaultOrganizationID+`"`)
	expectBody(t, f.do(http.MethodPost, "/v1/meters/", inOrganization), http.StatusForbidden, refused)
	expectBody(t, f.patch(id, `{"name":"renamed"}`), http.StatusForbidden, refused)
	expectBody(t, f.patch(id, `{"is_archived":true}`), http.StatusForbidden, refused)
	// Reading needs only products:read, which the role has.
	f.get(id)
	expectStatus(t, f.do(http.MethodGet, "/v1/meters/", ""), http.StatusOK)
	// The body, the organization and the meter's existence are checked first.
	expect422(t, f.do(http.MethodPost, "/v1/meters/", createBody("name", `"ab"`)), requestValidation, wantError{`["body","name"]`, "string_too_short"})
	expect422(t, f.do(http.MethodPost, "/v1/meters/", validCreate), polarRequestValidation, wantError{`["body","organization_id"]`, "missing"})
	expect422(t, f.do(http.MethodPost, "/v1/meters/", createBody("organization_id", `"`+other+`"`)), polarRequestValidation, wantError{`["body","organization_id"]`, "value_error"})
	expectStatus(t, f.patch(uuid.NewString(), `{"name":"renamed"}`), http.StatusNotFound)
	if ids := a.srv.MeterIDs(); len(ids) != 1 || a.get(id)["name"] != "abc" || a.get(id)["archived_at"] != nil {
		t.Errorf("a refused write changed the meters: %v %v", ids, a.get(id))
	}
}

func TestGetMeter(t *testing.T) {
	a, _ := newAPI(t)
	id := a.createNamed("abc")
	if m := a.get(strings.ToUpper(id)); m["id"] != id {
		t.Errorf("id %v, want %s", m["id"], id)
	}
	notFound := `{"error":"ResourceNotFound","detail":"Not found"}`
	expectBody(t, a.do(http.MethodGet, "/v1/meters/"+uuid.NewString(), ""), http.StatusNotFound, notFound)

	expectBody(t, a.do(http.MethodGet, "/v1/meters/not-a-uuid", ""), http.StatusUnprocessableEntity,
		`{"error":"RequestValidationError","detail":[{"type":"uuid_parsing","loc":["path","id"],"msg":"Input should be a valid UUID, invalid character: expected an optional prefix of `+"`urn:uuid:`"+` followed by [0-9a-fA-F-], found `+"`n`"+` at 1","input":"not-a-uuid","ctx":{"error":"invalid character: expected an optional prefix of `+"`urn:uuid:`"+` followed by [0-9a-fA-F-], found `+"`n`"+` at 1"}}]}`)
	expect422(t, a.do(http.MethodGet, "/v1/meters/1234", ""), requestValidation, wantError{`["path","id"]`, "uuid_parsing"})
	expect422(t, a.do(http.MethodGet, "/v1/meters/"+uuid.NewMD5(uuid.NameSpaceURL, nil).String(), ""), requestValidation, wantError{`["path","id"]`, "uuid_version"})

	// Meters of another organization do not exist for this token.
	foreign := a.srv.PutMeter(`{"name":"theirs","organization_id":"0b6c3c5e-8f5e-4d3a-9a57-1c2d3e4f5a6b","filter":{"conjunction":"and","clauses":[]},"aggregation":{"func":"count"}}`)
	expectBody(t, a.do(http.MethodGet, "/v1/meters/"+foreign, ""), http.StatusNotFound, notFound)
	expectBody(t, a.patch(foreign, `{"name":"mine"}`), http.StatusNotFound, notFound)
}

func TestUpdateAppliesOnlyCarriedFields(t *testing.T) {
	a, c := newAPI(t)
	created := a.create(`{"name":"abc","unit":"token","metadata":{"tier":1},"filter":{"conjunction":"or","clauses":[{"property":"p","operator":"eq","value":true}]},"aggregation":{"func":"count"}}`)
	id := created["id"].(string)
	c.Advance(time.Hour)
	r := a.patch(id, `{"name":"renamed"}`)
	expectStatus(t, r, http.StatusOK)
	updated := decode(t, r.Body)
	for key, value := range created {
		switch key {
		case "name":
			if updated[key] != "renamed" {
				t.Errorf("name %v", updated[key])
			}
		case "modified_at":
			if updated[key] != "2026-04-01T13:00:00.123456Z" {
				t.Errorf("modified_at %v", updated[key])
			}
		default:
			if got, want := string(marshal(updated[key])), string(marshal(value)); got != want {
				t.Errorf("%s changed from %s to %s", key, want, got)
			}
		}
	}
	if got := string(marshal(a.get(id))); got != string(marshal(updated)) {
		t.Errorf("GET %s, want the PATCH's answer", got)
	}
	// An empty PATCH still counts as a modification.
	c.Advance(time.Minute)
	if m := decode(t, a.patch(id, `{}`).Body); m["modified_at"] != "2026-04-01T13:01:00.123456Z" {
		t.Errorf("modified_at %v", m["modified_at"])
	}
}

func TestUpdateNullNameOrUnitFails(t *testing.T) {
	a, _ := newAPI(t)
	id := a.createNamed("abc")
	before, _ := a.srv.MeterJSON(id)
	for _, body := range []string{`{"name":null}`, `{"unit":null}`, `{"name":null,"metadata":{"a":"b"},"is_archived":true}`} {
		r := a.patch(id, body)
		expectBody500(t, r)
	}
	if after, _ := a.srv.MeterJSON(id); string(after) != string(before) {
		t.Errorf("meter changed:\n%s\n%s", before, after)
	}
}

func expectBody500(t *testing.T, r reply) {
	t.Helper()
	expectStatus(t, r, http.StatusInternalServerError)
	if r.Body != "Internal Server Error" || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("500 answered %q as %s", r.Body, r.Header.Get("Content-Type"))
	}
}

func TestUpdateValidation(t *testing.T) {
	a, _ := newAPI(t)
	id := a.createNamed("abc")
	cases := []struct {
		body  string
		wants []wantError
	}{
		{`{"metadata":null}`, []wantError{{`["body","metadata"]`, "dict_type"}}},
		{`{"name":"ab"}`, []wantError{{`["body","name"]`, "string_too_short"}}},
		{`{"unit":"bytes"}`, []wantError{{`["body","unit"]`, "enum"}}},
		{`{"custom_multiplier":-1}`, []wantError{{`["body","custom_multiplier"]`, "greater_than"}}},
		{`{"is_archived":"maybe"}`, []wantError{{`["body","is_archived"]`, "bool_parsing"}}},
		{`{"is_archived":[]}`, []wantError{{`["body","is_archived"]`, "bool_type"}}},
		{`{"filter":{"conjunction":"and","clauses":[{"property":"p","operator":"eq","value":0.5}]}}`, []wantError{{`["body","filter","clauses",0,"value"]`, "int_from_float"}}},
		{`{"aggregation":{"func":"min"}}`, []wantError{{`["body","aggregation","property"]`, "missing"}}},
	}
	for _, c := range cases {
		expect422(t, a.patch(id, c.body), requestValidation, c.wants...)
	}
	// The path's errors come with the body's.
	expect422(t, a.patch("nope", `{"name":"ab"}`), requestValidation,
		wantError{`["path","id"]`, "uuid_parsing"}, wantError{`["body","name"]`, "string_too_short"})
	expectBody(t, a.patch(uuid.NewString(), `{"name":"abc"}`), http.StatusNotFound, `{"error":"ResourceNotFound","detail":"Not found"}`)
	// Lax booleans, as pydantic reads them.
	for body, archived := range map[string]bool{`{"is_archived":"true"}`: true, `{"is_archived":0}`: false, `{"is_archived":"yes"}`: true} {
		if m := decode(t, a.patch(id, body).Body); (m["archived_at"] != nil) != archived {
			t.Errorf("%s: archived_at %v", body, m["archived_at"])
		}
	}
}

func TestUpdateMetadataReplacesTheMap(t *testing.T) {
	a, _ := newAPI(t)
	id := a.create(createBody("metadata", `{"a":"1","b":2}`))["id"].(string)
	m := decode(t, a.patch(id, `{"metadata":{"c":0.25,"a":"x"}}`).Body)
	if got := string(marshal(m["metadata"])); got != `{"a":"x","c":0.25}` {
		t.Errorf("metadata %s", got)
	}
	m = decode(t, a.patch(id, `{"name":"other"}`).Body)
	if got := string(marshal(m["metadata"])); got != `{"a":"x","c":0.25}` {
		t.Errorf("metadata %s after a PATCH without it", got)
	}
	m = decode(t, a.patch(id, `{"metadata":{}}`).Body)
	if got := string(marshal(m["metadata"])); got != `{}` {
		t.Errorf("metadata %s, want cleared", got)
	}
}

func TestUpdateUnitAndLabel(t *testing.T) {
	a, _ := newAPI(t)
	id := a.create(createBody("unit", `"custom","custom_label":"request","custom_multiplier":1000`))["id"].(string)
	// PATCH does not clear the label when the unit changes, nor check them.
	m := decode(t, a.patch(id, `{"unit":"scalar"}`).Body)
	if m["unit"] != "scalar" || m["custom_label"] != "request" || string(marshal(m["custom_multiplier"])) != "1000" {
		t.Errorf("meter %v", m)
	}
	m = decode(t, a.patch(id, `{"custom_label":null,"custom_multiplier":null}`).Body)
	if m["custom_label"] != nil || m["custom_multiplier"] != nil {
		t.Errorf("meter %v, want label and multiplier cleared", m)
	}
	m = decode(t, a.patch(id, `{"unit":"custom"}`).Body)
	if m["unit"] != "custom" || m["custom_label"] != nil {
		t.Errorf("meter %v", m)
	}
}

func TestUpdateNullFilterOrAggregationChangesNothing(t *testing.T) {
	a, _ := newAPI(t)
	created := a.create(createBody("aggregation", `{"func":"avg","property":"ms"}`))
	m := decode(t, a.patch(created["id"].(string), `{"filter":null,"aggregation":null}`).Body)
	for _, key := range []string{"filter", "aggregation"} {
		if got, want := string(marshal(m[key])), string(marshal(created[key])); got != want {
			t.Errorf("%s %s, want %s", key, got, want)
		}
	}
	r := a.patch(created["id"].(string), `{"filter":{"conjunction":"or","clauses":[{"property":"metadata.x","operator":"eq","value":"1"}]},"aggregation":{"func":"count","property":"x"}}`)
	if got := rawFields(t, r.Body, "filter", "aggregation"); got != `{"conjunction":"or","clauses":[{"property":"x","operator":"eq","value":"1"}]}{"func":"count"}` {
		t.Errorf("got %s", got)
	}
}

func TestLockedMeterRefusesFilterAndAggregation(t *testing.T) {
	a, _ := newAPI(t)
	created := a.create(validCreate)
	id := created["id"].(string)
	a.srv.LockAggregation(id)
	const msg = "This field can't be updated because the meter is already aggregating events."
	sameFilter := string(marshal(created["filter"]))
	cases := []struct {
		body  string
		wants []wantError
	}{
		{`{"filter":` + sameFilter + `}`, []wantError{{`["body","filter"]`, "forbidden"}}},
		{`{"filter":null}`, []wantError{{`["body","filter"]`, "forbidden"}}},
		{`{"aggregation":{"func":"count"}}`, []wantError{{`["body","aggregation"]`, "forbidden"}}},
		{`{"aggregation":null,"name":"other"}`, []wantError{{`["body","aggregation"]`, "forbidden"}}},
		{`{"filter":null,"aggregation":null}`, []wantError{{`["body","filter"]`, "forbidden"}, {`["body","aggregation"]`, "forbidden"}}},
	}
	for _, c := range cases {
		for _, d := range expect422(t, a.patch(id, c.body), polarRequestValidation, c.wants...) {
			if d["msg"] != msg {
				t.Errorf("%s: msg %v", c.body, d["msg"])
			}
		}
	}
	if m := decode(t, a.patch(id, `{"name":"renamed","metadata":{"a":true}}`).Body); m["name"] != "renamed" {
		t.Errorf("other fields stay editable: %v", m)
	}
	// The lock wins over every other rule.
	a.srv.AttachToActiveProduct(id)
	expect422(t, a.patch(id, `{"filter":null,"is_archived":true}`), polarRequestValidation, wantError{`["body","filter"]`, "forbidden"})
}

func TestArchiveAndUnarchive(t *testing.T) {
	a, c := newAPI(t)
	id := a.createNamed("abc")
	c.Advance(time.Second)
	m := decode(t, a.patch(id, `{"is_archived":true}`).Body)
	if m["archived_at"] != "2026-04-01T12:00:01.123456Z" || m["modified_at"] != m["archived_at"] {
		t.Errorf("archived_at %v, modified_at %v", m["archived_at"], m["modified_at"])
	}
	if got := a.get(id)["archived_at"]; got != m["archived_at"] {
		t.Errorf("archived meter GET archived_at %v", got)
	}
	c.Advance(time.Second)
	if m := decode(t, a.patch(id, `{"is_archived":true}`).Body); m["archived_at"] != "2026-04-01T12:00:02.123456Z" {
		t.Errorf("archiving again: archived_at %v, want it moved", m["archived_at"])
	}
	if m := decode(t, a.patch(id, `{"is_archived":null}`).Body); m["archived_at"] != "2026-04-01T12:00:02.123456Z" {
		t.Errorf("is_archived null: archived_at %v, want unchanged", m["archived_at"])
	}
	if m := decode(t, a.patch(id, `{"is_archived":false}`).Body); m["archived_at"] != nil {
		t.Errorf("unarchived: archived_at %v", m["archived_at"])
	}
}

func TestArchiveRefused(t *testing.T) {
	a, _ := newAPI(t)
	product, benefit := a.createNamed("product"), a.createNamed("benefit")
	a.srv.AttachToActiveProduct(product)
	a.srv.AttachToActiveBenefit(strings.ToUpper(benefit))
	cases := map[string]string{
		product: "Cannot archive meter that is still attached to active products",
		benefit: "Cannot archive meter that is still referenced by active benefits",
	}
	for id, msg := range cases {
		details := expect422(t, a.patch(id, `{"is_archived":true,"name":"renamed"}`), polarRequestValidation, wantError{`["body","is_archived"]`, "value_error"})
		if details[0]["msg"] != msg {
			t.Errorf("msg %v, want %s", details[0]["msg"], msg)
		}
		if m := a.get(id); m["archived_at"] != nil || m["name"] == "renamed" {
			t.Errorf("refused update applied: %v", m)
		}
		expectStatus(t, a.patch(id, `{"is_archived":false}`), http.StatusOK)
		expectStatus(t, a.patch(id, `{"name":"renamed"}`), http.StatusOK)
	}
	// The dashboard is not the API.
	a.srv.ArchiveOutOfBand(product)
	if a.get(product)["archived_at"] == nil {
		t.Error("ArchiveOutOfBand did not archive")
	}
}

func TestDeleteOutOfBand(t *testing.T) {
	a, _ := newAPI(t)
	id := a.createNamed("abc")
	a.srv.DeleteOutOfBand(id)
	expectStatus(t, a.do(http.MethodGet, "/v1/meters/"+id, ""), http.StatusNotFound)
	expectStatus(t, a.patch(id, `{"name":"back"}`), http.StatusNotFound)
	if ids := a.srv.MeterIDs(); len(ids) != 0 {
		t.Errorf("meters %v", ids)
	}
	if _, ok := a.srv.MeterJSON(id); ok {
		t.Error("MeterJSON found a deleted meter")
	}
}
