package polar

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestEnumListsHoldEveryValueInOrder(t *testing.T) {
	assertStrings(t, Units(), "scalar", "token", "custom")
	assertStrings(t, Conjunctions(), "and", "or")
	assertStrings(t, Operators(), "eq", "ne", "gt", "gte", "lt", "lte", "like", "not_like")
	assertStrings(t, AggregationFuncs(), "count", "sum", "max", "min", "avg", "unique")
}

func assertStrings[S ~string](t *testing.T, got []S, want ...string) {
	t.Helper()
	gotStrings := make([]string, len(got))
	for i, s := range got {
		gotStrings[i] = string(s)
	}
	if !reflect.DeepEqual(gotStrings, want) {
		t.Errorf("got %q, want %q", gotStrings, want)
	}
}

func TestFilterValueDecoding(t *testing.T) {
	tests := []struct {
		json string
		want FilterValue
	}{
		{`"100"`, StringValue("100")},
		{`""`, StringValue("")},
		{`"caf\u00e9"`, StringValue("café")},
		{`100`, IntValue(100)},
		{`-5`, IntValue(-5)},
		{`1.0`, IntValue(1)}, // Polar stores 1.0 as 1
		{`1e3`, IntValue(1000)},
		{`-0.0`, IntValue(0)},
		{`2147483647`, IntValue(2147483647)},
		{`-2147483648`, IntValue(-2147483648)},
		{`true`, BoolValue(true)},
		{`false`, BoolValue(false)},
	}
	for _, tt := range tests {
		var got FilterValue
		if err := json.Unmarshal([]byte(tt.json), &got); err != nil {
			t.Errorf("%s: %v", tt.json, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s: got %#v, want %#v", tt.json, got, tt.want)
		}
	}
}

func TestFilterValueDecodingRefusesOtherShapes(t *testing.T) {
	for _, input := range []string{`1.5`, `2147483648`, `-2147483649`, `1e400`, `null`, `{}`, `[]`, `["a"]`} {
		var v FilterValue
		if err := json.Unmarshal([]byte(input), &v); err == nil {
			t.Errorf("%s: decoded as %#v, want an error", input, v)
		}
	}
}

func TestFilterConditionRefusesNullOrMissingValue(t *testing.T) {
	for _, input := range []string{
		`{"property":"p","operator":"eq","value":null}`,
		`{"property":"p","operator":"eq"}`,
		`{"operator":"eq","value":1}`,
	} {
		var c FilterCondition
		if err := json.Unmarshal([]byte(input), &c); err == nil {
			t.Errorf("%s: decoded as %#v, want an error", input, c)
		}
	}
}

func TestFilterValueEncodingKeepsTheJSONType(t *testing.T) {
	tests := []struct {
		value FilterValue
		json  string
		text  string
		kind  ValueKind
	}{
		{StringValue("100"), `"100"`, "100", ValueString},
		{IntValue(100), `100`, "100", ValueInt},
		{IntValue(-7), `-7`, "-7", ValueInt},
		{BoolValue(true), `true`, "true", ValueBool},
		{FilterValue{}, `""`, "", ValueString},
	}
	for _, tt := range tests {
		assertJSON(t, tt.value, tt.json)
		if tt.value.String() != tt.text || tt.value.Kind() != tt.kind {
			t.Errorf("%#v: String() %q Kind() %v, want %q %v", tt.value, tt.value.String(), tt.value.Kind(), tt.text, tt.kind)
		}
	}
	if IntValue(42).Int() != 42 || !BoolValue(true).Bool() || StringValue("x").Int() != 0 {
		t.Error("accessors return the wrong values")
	}
}

func TestMetadataValueDecoding(t *testing.T) {
	tests := []struct {
		json string
		want MetadataValue
	}{
		{`"growth"`, MetadataString("growth")},
		{`3`, MetadataInt(3)},
		{`-12`, MetadataInt(-12)},
		{`9223372036854775807`, MetadataInt(9223372036854775807)},
		{`3.0`, MetadataFloat(3)},
		{`0.25`, MetadataFloat(0.25)},
		{`1e2`, MetadataFloat(100)},
		{`1E-2`, MetadataFloat(0.01)},
		{`true`, MetadataBool(true)},
		{`false`, MetadataBool(false)},
	}
	for _, tt := range tests {
		var got MetadataValue
		if err := json.Unmarshal([]byte(tt.json), &got); err != nil {
			t.Errorf("%s: %v", tt.json, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s: got %#v, want %#v", tt.json, got, tt.want)
		}
	}
}

func TestMetadataDecodingRefusesNullAndNestedValues(t *testing.T) {
	for _, input := range []string{
		`{"k":null}`, `{"k":{}}`, `{"k":[1]}`, `{"k":99999999999999999999}`, `{"k":1e999}`, `null`, `[]`,
	} {
		var m Metadata
		if err := json.Unmarshal([]byte(input), &m); err == nil {
			t.Errorf("%s: decoded as %#v, want an error", input, m)
		}
	}
}

func TestMetadataEncodingKeepsFloatsFloats(t *testing.T) {
	tests := []struct {
		value MetadataValue
		json  string
	}{
		{MetadataFloat(3), `3.0`},
		{MetadataFloat(-0.5), `-0.5`},
		{MetadataFloat(1e21), `1e+21`},
		{MetadataFloat(0.000001), `0.000001`},
		{MetadataInt(3), `3`},
		{MetadataString("3"), `"3"`},
		{MetadataBool(false), `false`},
	}
	for _, tt := range tests {
		assertJSON(t, tt.value, tt.json)
	}
	assertJSON(t, Metadata(nil), `{}`)
	assertJSON(t, Metadata{"b": MetadataInt(1), "a": MetadataFloat(2)}, `{"a":2.0,"b":1}`)

	v := MetadataFloat(2.5)
	if v.Kind() != MetadataKindFloat || v.FloatValue() != 2.5 || v.IntValue() != 0 {
		t.Errorf("float accessors: %#v", v)
	}
	if MetadataString("s").StringValue() != "s" || MetadataInt(4).IntValue() != 4 || !MetadataBool(true).BoolValue() {
		t.Error("accessors return the wrong values")
	}
}

func TestAggregationJSON(t *testing.T) {
	assertJSON(t, Aggregation{Func: AggregationCount}, `{"func":"count"}`)
	assertJSON(t, Aggregation{Func: AggregationCount, Property: "dropped"}, `{"func":"count"}`)
	assertJSON(t, Aggregation{Func: AggregationSum, Property: "tokens"}, `{"func":"sum","property":"tokens"}`)
	assertJSON(t, Aggregation{Func: AggregationUnique, Property: "user"}, `{"func":"unique","property":"user"}`)

	decoded := map[string]Aggregation{
		`{"func":"count"}`:                    {Func: AggregationCount},
		`{"func":"count","property":"x"}`:     {Func: AggregationCount},
		`{"func":"avg","property":"latency"}`: {Func: AggregationAvg, Property: "latency"},
		`{"func":"unique","property":"user"}`: {Func: AggregationUnique, Property: "user"},
	}
	for input, want := range decoded {
		var got Aggregation
		if err := json.Unmarshal([]byte(input), &got); err != nil || got != want {
			t.Errorf("%s: got %#v, %v; want %#v", input, got, err, want)
		}
	}
	for _, input := range []string{`{"func":"median","property":"x"}`, `{"func":"sum"}`, `{"property":"x"}`, `{"func":"max","property":null}`, `null`} {
		var got Aggregation
		if err := json.Unmarshal([]byte(input), &got); err == nil {
			t.Errorf("%s: decoded as %#v, want an error", input, got)
		}
	}
}

func TestFilterJSON(t *testing.T) {
	assertJSON(t, Filter{Conjunction: ConjunctionAnd}, `{"conjunction":"and","clauses":[]}`)

	filter := Filter{Conjunction: ConjunctionOr, Clauses: []FilterItem{
		{Condition: &FilterCondition{Property: "name", Operator: OperatorEq, Value: StringValue("api.call")}},
		{Group: &Filter{Conjunction: ConjunctionAnd, Clauses: []FilterItem{
			{Condition: &FilterCondition{Property: "tokens", Operator: OperatorGte, Value: IntValue(100)}},
		}}},
		{Group: &Filter{Conjunction: ConjunctionAnd}},
	}}
	const wire = `{"conjunction":"or","clauses":[` +
		`{"property":"name","operator":"eq","value":"api.call"},` +
		`{"conjunction":"and","clauses":[{"property":"tokens","operator":"gte","value":100}]},` +
		`{"conjunction":"and","clauses":[]}]}`
	assertJSON(t, filter, wire)

	var decoded Filter
	if err := json.Unmarshal([]byte(wire), &decoded); err != nil {
		t.Fatal(err)
	}
	want := filter
	want.Clauses[2].Group.Clauses = []FilterItem{}
	if !reflect.DeepEqual(decoded, want) {
		t.Errorf("decoded %#v, want %#v", decoded, want)
	}
}

func TestFilterItemNeedsExactlyOneOfConditionOrGroup(t *testing.T) {
	both := FilterItem{Condition: &FilterCondition{}, Group: &Filter{}}
	for _, item := range []FilterItem{{}, both} {
		if _, err := json.Marshal(item); err == nil {
			t.Errorf("%#v: marshalled, want an error", item)
		}
	}
}

func TestFilterItemDecodesAGroupByItsKeys(t *testing.T) {
	for _, input := range []string{
		`{"clauses":[],"property":"p","operator":"eq","value":1}`, // a group, lacking its conjunction
		`{"conjunction":"and"}`,
		`{"conjunction":"and","clauses":null}`,
	} {
		var item FilterItem
		if err := json.Unmarshal([]byte(input), &item); err == nil {
			t.Errorf("%s: decoded as %#v, want an error", input, item)
		}
	}
}

func TestMeterTimestamps(t *testing.T) {
	tests := []struct {
		text string
		want time.Time
	}{
		{"2026-11-21T10:00:00.123456Z", time.Date(2026, 11, 21, 10, 0, 0, 123456000, time.UTC)},
		{"2026-11-21T10:00:00Z", time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)},
		{"2026-11-21T10:00:00+00:00", time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)},
		{"2026-11-21T12:00:00.5+02:00", time.Date(2026, 11, 21, 10, 0, 0, 500000000, time.UTC)},
	}
	for _, tt := range tests {
		data := strings.NewReplacer(
			`"2026-11-21T10:00:00.123456Z"`, `"`+tt.text+`"`,
			`"modified_at": null`, `"modified_at": "`+tt.text+`"`,
		).Replace(dashboardMeterJSON)
		var m Meter
		if err := json.Unmarshal([]byte(data), &m); err != nil {
			t.Errorf("%s: %v", tt.text, err)
			continue
		}
		if !m.CreatedAt.Equal(tt.want) || m.ModifiedAt == nil || !m.ModifiedAt.Equal(tt.want) {
			t.Errorf("%s: created %v modified %v, want %v", tt.text, m.CreatedAt, m.ModifiedAt, tt.want)
		}
	}
}

func TestMeterDecodesEveryField(t *testing.T) {
	var m Meter
	if err := json.Unmarshal([]byte(customMeterJSON), &m); err != nil {
		t.Fatal(err)
	}
	label, multiplier := "request", int64(1000)
	modified := time.Date(2026, 3, 2, 8, 30, 0, 0, time.UTC)
	archived := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	want := Meter{
		ID:               "5c2d7e0a-1b7f-4e55-9d4c-6a1f0e2b3c4d",
		Name:             "Requests per thousand",
		Unit:             UnitCustom,
		CustomLabel:      &label,
		CustomMultiplier: &multiplier,
		Filter:           Filter{Conjunction: ConjunctionAnd, Clauses: []FilterItem{}},
		Aggregation:      Aggregation{Func: AggregationCount},
		Metadata:         Metadata{},
		OrganizationID:   "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d",
		CreatedAt:        time.Date(2026, 3, 1, 8, 30, 0, 0, time.UTC),
		ModifiedAt:       &modified,
		ArchivedAt:       &archived,
	}
	if !m.CreatedAt.Equal(want.CreatedAt) || !m.ModifiedAt.Equal(*want.ModifiedAt) || !m.ArchivedAt.Equal(*want.ArchivedAt) {
		t.Errorf("times: got %v %v %v", m.CreatedAt, m.ModifiedAt, m.ArchivedAt)
	}
	m.CreatedAt, m.ModifiedAt, m.ArchivedAt = want.CreatedAt, want.ModifiedAt, want.ArchivedAt
	if !reflect.DeepEqual(m, want) {
		t.Errorf("got %#v\nwant %#v", m, want)
	}
}

func TestMeterRefusesMissingRequiredFields(t *testing.T) {
	for _, field := range []string{"id", "name", "unit", "filter", "aggregation", "metadata", "organization_id", "created_at"} {
		var full map[string]json.RawMessage
		if err := json.Unmarshal([]byte(dashboardMeterJSON), &full); err != nil {
			t.Fatal(err)
		}
		delete(full, field)
		data, _ := json.Marshal(full)
		var m Meter
		if err := json.Unmarshal(data, &m); err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("without %s: error %v, want one naming the field", field, err)
		}
	}
}

func TestMeterCreateJSON(t *testing.T) {
	minimal := MeterCreate{
		Name:        "API calls",
		Filter:      Filter{Conjunction: ConjunctionAnd},
		Aggregation: Aggregation{Func: AggregationCount},
	}
	assertJSON(t, minimal, `{"name":"API calls","filter":{"conjunction":"and","clauses":[]},"aggregation":{"func":"count"}}`)

	label, multiplier, org := "request", int64(1000), "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"
	full := MeterCreate{
		Name:             "Requests",
		Unit:             UnitCustom,
		CustomLabel:      &label,
		CustomMultiplier: &multiplier,
		Filter:           Filter{Conjunction: ConjunctionOr},
		Aggregation:      Aggregation{Func: AggregationMax, Property: "size"},
		Metadata:         Metadata{"team": MetadataString("growth")},
		OrganizationID:   &org,
	}
	assertJSON(t, full, `{"name":"Requests","unit":"custom","custom_label":"request","custom_multiplier":1000,`+
		`"filter":{"conjunction":"or","clauses":[]},"aggregation":{"func":"max","property":"size"},`+
		`"metadata":{"team":"growth"},"organization_id":"9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"}`)

	emptyMetadata := minimal
	emptyMetadata.Metadata = Metadata{}
	assertJSON(t, emptyMetadata, `{"name":"API calls","filter":{"conjunction":"and","clauses":[]},"aggregation":{"func":"count"},"metadata":{}}`)
}

func TestMeterUpdateSendsOnlySetFields(t *testing.T) {
	empty := Metadata{}
	var nilMetadata Metadata
	tests := []struct {
		name   string
		update MeterUpdate
		json   string
	}{
		{"nothing", MeterUpdate{}, `{}`},
		{"rename", MeterUpdate{Name: ptr("Renamed meter")}, `{"name":"Renamed meter"}`},
		{"leave custom", MeterUpdate{Unit: ptr(UnitScalar), CustomLabel: Null[string](), CustomMultiplier: Null[int64]()},
			`{"unit":"scalar","custom_label":null,"custom_multiplier":null}`},
		{"go custom", MeterUpdate{Unit: ptr(UnitCustom), CustomLabel: Value("call"), CustomMultiplier: Value[int64](10)},
			`{"unit":"custom","custom_label":"call","custom_multiplier":10}`},
		{"clear metadata", MeterUpdate{Metadata: &empty}, `{"metadata":{}}`},
		{"clear metadata with a nil map", MeterUpdate{Metadata: &nilMetadata}, `{"metadata":{}}`},
		{"filter", MeterUpdate{Filter: &Filter{Conjunction: ConjunctionOr}}, `{"filter":{"conjunction":"or","clauses":[]}}`},
		{"aggregation", MeterUpdate{Aggregation: &Aggregation{Func: AggregationCount}}, `{"aggregation":{"func":"count"}}`},
		{"archive", MeterUpdate{IsArchived: ptr(true)}, `{"is_archived":true}`},
		{"unarchive", MeterUpdate{IsArchived: ptr(false)}, `{"is_archived":false}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertJSON(t, tt.update, tt.json)
			if tt.update.IsEmpty() != (tt.json == `{}`) {
				t.Errorf("IsEmpty() = %v", tt.update.IsEmpty())
			}
		})
	}
}

func TestNullable(t *testing.T) {
	var absent Nullable[string]
	if absent.IsSet() || absent.IsNull() || !absent.IsZero() {
		t.Errorf("zero Nullable: set %v null %v", absent.IsSet(), absent.IsNull())
	}
	null := Null[string]()
	if !null.IsSet() || !null.IsNull() {
		t.Errorf("Null: set %v null %v", null.IsSet(), null.IsNull())
	}
	if _, ok := null.Get(); ok {
		t.Error("Null().Get() reports a value")
	}
	value := Value("x")
	if got, ok := value.Get(); !ok || got != "x" || value.IsNull() || !value.IsSet() {
		t.Errorf("Value: got %q %v", got, ok)
	}

	var decoded struct {
		A Nullable[int64] `json:"a"`
		B Nullable[int64] `json:"b"`
		C Nullable[int64] `json:"c"`
	}
	if err := json.Unmarshal([]byte(`{"a":null,"b":5}`), &decoded); err != nil {
		t.Fatal(err)
	}
	if !decoded.A.IsNull() || decoded.B != Value[int64](5) || decoded.C.IsSet() {
		t.Errorf("decoded %+v", decoded)
	}
}

// assertJSON checks that v marshals to exactly want.
func assertJSON(t *testing.T, v any, want string) {
	t.Helper()
	got, err := json.Marshal(v)
	if err != nil {
		t.Errorf("marshal %#v: %v", v, err)
		return
	}
	if string(got) != want {
		t.Errorf("marshal %#v:\n got %s\nwant %s", v, got, want)
	}
}

// dashboardMeterJSON is a meter as the Polar dashboard makes it: a root filter holding only nested
// groups, an integer value for timestamp, boolean and integer values, and float metadata.
const dashboardMeterJSON = `{
  "metadata": {"team": "growth", "tier": 3, "ratio": 0.25, "weight": 3.0, "beta": true},
  "created_at": "2026-11-21T10:00:00.123456Z",
  "modified_at": null,
  "id": "0b0f5e8a-8a34-4c6b-9f57-3d0c2f9e6a11",
  "name": "LLM tokens",
  "unit": "token",
  "custom_label": null,
  "custom_multiplier": null,
  "filter": {
    "conjunction": "and",
    "clauses": [
      {"conjunction": "or", "clauses": [
        {"property": "name", "operator": "eq", "value": "llm.completion"},
        {"property": "name", "operator": "like", "value": "llm.%"}
      ]},
      {"conjunction": "and", "clauses": [
        {"property": "timestamp", "operator": "gte", "value": 1767225600},
        {"property": "billable", "operator": "eq", "value": true},
        {"property": "tokens", "operator": "gt", "value": 100},
        {"property": "model", "operator": "not_like", "value": "%preview%"}
      ]}
    ]
  },
  "aggregation": {"func": "sum", "property": "tokens"},
  "organization_id": "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d",
  "archived_at": null
}`

// customMeterJSON is an archived meter with a custom unit, an empty filter and no metadata.
const customMeterJSON = `{
  "metadata": {},
  "created_at": "2026-03-01T08:30:00Z",
  "modified_at": "2026-03-02T08:30:00+00:00",
  "id": "5c2d7e0a-1b7f-4e55-9d4c-6a1f0e2b3c4d",
  "name": "Requests per thousand",
  "unit": "custom",
  "custom_label": "request",
  "custom_multiplier": 1000,
  "filter": {"conjunction": "and", "clauses": []},
  "aggregation": {"func": "count"},
  "organization_id": "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d",
  "archived_at": "2026-04-01T00:00:00.000000Z"
}`

// ptr points at a copy of v.
func ptr[T any](v T) *T {
	return &v
}
