package polar

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Unit is the unit a meter's quantities are shown in.
type Unit string

// The units Polar accepts.
const (
	UnitScalar Unit = "scalar"
	UnitToken  Unit = "token"
	UnitCustom Unit = "custom"
)

// Units returns every valid Unit.
func Units() []Unit { return []Unit{UnitScalar, UnitToken, UnitCustom} }

// Conjunction joins the clauses of a Filter.
type Conjunction string

// The conjunctions Polar accepts.
const (
	ConjunctionAnd Conjunction = "and"
	ConjunctionOr  Conjunction = "or"
)

// Conjunctions returns every valid Conjunction.
func Conjunctions() []Conjunction { return []Conjunction{ConjunctionAnd, ConjunctionOr} }

// Operator compares an event property with a FilterCondition's value.
type Operator string

// The operators Polar accepts.
const (
	OperatorEq      Operator = "eq"
	OperatorNe      Operator = "ne"
	OperatorGt      Operator = "gt"
	OperatorGte     Operator = "gte"
	OperatorLt      Operator = "lt"
	OperatorLte     Operator = "lte"
	OperatorLike    Operator = "like"
	OperatorNotLike Operator = "not_like"
)

// Operators returns every valid Operator.
func Operators() []Operator {
	return []Operator{OperatorEq, OperatorNe, OperatorGt, OperatorGte, OperatorLt, OperatorLte, OperatorLike, OperatorNotLike}
}

// AggregationFunc is how a meter turns its filtered events into a quantity.
type AggregationFunc string

// The aggregation functions Polar accepts.
const (
	AggregationCount  AggregationFunc = "count"
	AggregationSum    AggregationFunc = "sum"
	AggregationMax    AggregationFunc = "max"
	AggregationMin    AggregationFunc = "min"
	AggregationAvg    AggregationFunc = "avg"
	AggregationUnique AggregationFunc = "unique"
)

// AggregationFuncs returns every valid AggregationFunc.
func AggregationFuncs() []AggregationFunc {
	return []AggregationFunc{AggregationCount, AggregationSum, AggregationMax, AggregationMin, AggregationAvg, AggregationUnique}
}

// Meter is a meter as Polar returns it.
type Meter struct {
	ID               string      `json:"id"`                // a UUID set by Polar
	Name             string      `json:"name"`              // shown on invoices; not unique
	Unit             Unit        `json:"unit"`              // how quantities are shown
	CustomLabel      *string     `json:"custom_label"`      // the unit's label when Unit is custom
	CustomMultiplier *int64      `json:"custom_multiplier"` // base units per displayed unit; nil means 1
	Filter           Filter      `json:"filter"`            // the events that count
	Aggregation      Aggregation `json:"aggregation"`       // how they are counted
	Metadata         Metadata    `json:"metadata"`          // free key-value data
	OrganizationID   string      `json:"organization_id"`   // the owner, set by Polar
	CreatedAt        time.Time   `json:"created_at"`        // set by Polar
	ModifiedAt       *time.Time  `json:"modified_at"`       // null right after creation
	ArchivedAt       *time.Time  `json:"archived_at"`       // null unless archived
}

// UnmarshalJSON decodes a meter, refusing one that lacks a field Polar always sends.
func (m *Meter) UnmarshalJSON(data []byte) error {
	if _, err := objectFields("meter", data,
		"id", "name", "unit", "filter", "aggregation", "metadata", "organization_id", "created_at"); err != nil {
		return err
	}
	type plain Meter // plain has Meter's fields but not this method, so decoding it does not recurse
	return json.Unmarshal(data, (*plain)(m))
}

// Filter selects the events a meter aggregates: its clauses joined by its conjunction.
// An empty "and" filter matches every event.
type Filter struct {
	Conjunction Conjunction  `json:"conjunction"` // how the clauses combine
	Clauses     []FilterItem `json:"clauses"`     // conditions and nested groups, in one list as Polar keeps them
}

// MarshalJSON writes the filter, with "clauses" as [] rather than null when there are none.
func (f Filter) MarshalJSON() ([]byte, error) {
	type plain Filter
	if f.Clauses == nil {
		f.Clauses = []FilterItem{}
	}
	return json.Marshal(plain(f))
}

// UnmarshalJSON decodes a filter, requiring both "conjunction" and "clauses".
func (f *Filter) UnmarshalJSON(data []byte) error {
	if _, err := objectFields("filter", data, "conjunction", "clauses"); err != nil {
		return err
	}
	type plain Filter
	return json.Unmarshal(data, (*plain)(f))
}

// FilterItem is one entry of Filter.Clauses: exactly one of Condition or Group is non-nil.
type FilterItem struct {
	Condition *FilterCondition // a comparison
	Group     *Filter          // a nested filter
}

// MarshalJSON writes the condition or the group, and fails unless exactly one is set.
func (it FilterItem) MarshalJSON() ([]byte, error) {
	switch {
	case it.Condition != nil && it.Group == nil:
		return json.Marshal(it.Condition)
	case it.Group != nil && it.Condition == nil:
		return json.Marshal(it.Group)
	default:
		return nil, fmt.Errorf("polar: a filter item needs exactly one of a condition or a group")
	}
}

// UnmarshalJSON decodes a group when the object has a "conjunction" or "clauses" key, else a condition.
func (it *FilterItem) UnmarshalJSON(data []byte) error {
	obj, err := objectFields("filter clause", data)
	if err != nil {
		return err
	}
	_, hasConjunction := obj["conjunction"]
	_, hasClauses := obj["clauses"]
	if hasConjunction || hasClauses {
		var group Filter
		if err := json.Unmarshal(data, &group); err != nil {
			return err
		}
		*it = FilterItem{Group: &group}
		return nil
	}
	var cond FilterCondition
	if err := json.Unmarshal(data, &cond); err != nil {
		return err
	}
	*it = FilterItem{Condition: &cond}
	return nil
}

// FilterCondition compares one event property with a value.
type FilterCondition struct {
	Property string      `json:"property"` // the event property, e.g. "name" or "tokens" (Polar strips a "metadata." prefix)
	Operator Operator    `json:"operator"` // how the property compares with Value
	Value    FilterValue `json:"value"`    // what the property is compared with
}

// UnmarshalJSON decodes a condition, requiring "property", "operator" and a non-null "value".
func (c *FilterCondition) UnmarshalJSON(data []byte) error {
	if _, err := objectFields("filter condition", data, "property", "operator", "value"); err != nil {
		return err
	}
	type plain FilterCondition
	return json.Unmarshal(data, (*plain)(c))
}

// ValueKind is the JSON type of a FilterValue.
type ValueKind int

// The kinds of FilterValue.
const (
	ValueString ValueKind = iota
	ValueInt
	ValueBool
)

// FilterValue keeps the JSON type of a condition's value: string, integer (int32 range on the wire) or boolean.
// Polar compares "100" and 100 differently, so the type is part of the value.
// The zero FilterValue is the empty string; values are comparable with ==.
type FilterValue struct {
	kind    ValueKind
	str     string
	integer int64
	boolean bool
}

// StringValue returns a string FilterValue.
func StringValue(s string) FilterValue { return FilterValue{kind: ValueString, str: s} }

// IntValue returns an integer FilterValue. Polar refuses integers outside the int32 range.
func IntValue(i int64) FilterValue { return FilterValue{kind: ValueInt, integer: i} }

// BoolValue returns a boolean FilterValue.
func BoolValue(b bool) FilterValue { return FilterValue{kind: ValueBool, boolean: b} }

// Kind returns the JSON type of the value.
func (v FilterValue) Kind() ValueKind { return v.kind }

// String returns the string of a string value, and a readable rendering ("100", "true") of the others.
func (v FilterValue) String() string {
	switch v.kind {
	case ValueInt:
		return strconv.FormatInt(v.integer, 10)
	case ValueBool:
		return strconv.FormatBool(v.boolean)
	default:
		return v.str
	}
}

// Int returns the integer of an integer value, else 0.
func (v FilterValue) Int() int64 { return v.integer }

// Bool returns the boolean of a boolean value, else false.
func (v FilterValue) Bool() bool { return v.boolean }

// MarshalJSON writes the value with its JSON type.
func (v FilterValue) MarshalJSON() ([]byte, error) {
	switch v.kind {
	case ValueInt:
		return strconv.AppendInt(nil, v.integer, 10), nil
	case ValueBool:
		return strconv.AppendBool(nil, v.boolean), nil
	default:
		return json.Marshal(v.str)
	}
}

// UnmarshalJSON decodes a string, a boolean, or a whole number in the int32 range.
// A number written with a zero fraction such as 1.0 is the integer 1, as Polar stores it.
func (v *FilterValue) UnmarshalJSON(data []byte) error {
	switch {
	case isJSONString(data):
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*v = StringValue(s)
	case isJSONBool(data):
		*v = BoolValue(data[0] == 't')
	case isJSONNumber(data):
		f, err := strconv.ParseFloat(string(data), 64)
		if err != nil || f != math.Trunc(f) || f < math.MinInt32 || f > math.MaxInt32 {
			return fmt.Errorf("polar: filter value %s is not an integer in the int32 range", data)
		}
		*v = IntValue(int64(f))
	default:
		return fmt.Errorf("polar: filter value %s is not a string, integer or boolean", data)
	}
	return nil
}

// Aggregation is how a meter turns its filtered events into a quantity.
type Aggregation struct {
	Func     AggregationFunc // the function applied
	Property string          // the event property aggregated; empty for count
}

// MarshalJSON writes {"func":"count"} for count (dropping any property, as Polar does) and
// {"func":...,"property":...} for the others.
func (a Aggregation) MarshalJSON() ([]byte, error) {
	if a.Func == AggregationCount {
		return json.Marshal(struct {
			Func AggregationFunc `json:"func"`
		}{a.Func})
	}
	return json.Marshal(struct {
		Func     AggregationFunc `json:"func"`
		Property string          `json:"property"`
	}{a.Func, a.Property})
}

// UnmarshalJSON decodes an aggregation, refusing an unknown func and a missing property for the funcs that need one.
func (a *Aggregation) UnmarshalJSON(data []byte) error {
	obj, err := objectFields("aggregation", data, "func")
	if err != nil {
		return err
	}
	var fn AggregationFunc
	if err := json.Unmarshal(obj["func"], &fn); err != nil {
		return fmt.Errorf("polar: decoding aggregation func: %w", err)
	}
	switch fn {
	case AggregationCount:
		*a = Aggregation{Func: fn}
		return nil
	case AggregationSum, AggregationMax, AggregationMin, AggregationAvg, AggregationUnique:
		if err := requireKeys("aggregation", obj, "property"); err != nil {
			return err
		}
		var property string
		if err := json.Unmarshal(obj["property"], &property); err != nil {
			return fmt.Errorf("polar: decoding aggregation property: %w", err)
		}
		*a = Aggregation{Func: fn, Property: property}
		return nil
	default:
		return fmt.Errorf("polar: unknown aggregation func %q", fn)
	}
}

// Metadata is a meter's key-value metadata.
type Metadata map[string]MetadataValue

// MarshalJSON writes the map, and {} for a nil map (Polar refuses null metadata).
func (m Metadata) MarshalJSON() ([]byte, error) {
	if m == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(map[string]MetadataValue(m))
}

// UnmarshalJSON decodes an object of strings, numbers and booleans; null, nested values and a null map are errors.
func (m *Metadata) UnmarshalJSON(data []byte) error {
	obj, err := objectFields("metadata", data)
	if err != nil {
		return err
	}
	out := make(Metadata, len(obj))
	for key, raw := range obj {
		var v MetadataValue
		if err := v.UnmarshalJSON(raw); err != nil {
			return fmt.Errorf("polar: metadata %q: %w", key, err)
		}
		out[key] = v
	}
	*m = out
	return nil
}

// MetadataKind is the JSON type of a MetadataValue.
type MetadataKind int

// The kinds of MetadataValue.
const (
	MetadataKindString MetadataKind = iota
	MetadataKindInt
	MetadataKindFloat
	MetadataKindBool
)

// MetadataValue keeps the JSON type of a metadata value: string, integer, float or boolean.
// The zero MetadataValue is the empty string; values are comparable with ==.
type MetadataValue struct {
	kind    MetadataKind
	str     string
	integer int64
	float   float64
	boolean bool
}

// MetadataString returns a string MetadataValue.
func MetadataString(s string) MetadataValue { return MetadataValue{kind: MetadataKindString, str: s} }

// MetadataInt returns an integer MetadataValue.
func MetadataInt(i int64) MetadataValue { return MetadataValue{kind: MetadataKindInt, integer: i} }

// MetadataFloat returns a float MetadataValue; it stays a float on the wire even when whole.
func MetadataFloat(f float64) MetadataValue { return MetadataValue{kind: MetadataKindFloat, float: f} }

// MetadataBool returns a boolean MetadataValue.
func MetadataBool(b bool) MetadataValue { return MetadataValue{kind: MetadataKindBool, boolean: b} }

// Kind returns the JSON type of the value.
func (v MetadataValue) Kind() MetadataKind { return v.kind }

// StringValue returns the string of a string value, else "".
func (v MetadataValue) StringValue() string { return v.str }

// IntValue returns the integer of an integer value, else 0.
func (v MetadataValue) IntValue() int64 { return v.integer }

// FloatValue returns the number of a float value, else 0.
func (v MetadataValue) FloatValue() float64 { return v.float }

// BoolValue returns the boolean of a boolean value, else false.
func (v MetadataValue) BoolValue() bool { return v.boolean }

// MarshalJSON writes the value with its JSON type; a whole float is written 3.0 so that it stays a float.
func (v MetadataValue) MarshalJSON() ([]byte, error) {
	switch v.kind {
	case MetadataKindInt:
		return strconv.AppendInt(nil, v.integer, 10), nil
	case MetadataKindFloat:
		b, err := json.Marshal(v.float)
		if err != nil {
			return nil, err
		}
		if !isFloatLiteral(b) {
			b = append(b, ".0"...)
		}
		return b, nil
	case MetadataKindBool:
		return strconv.AppendBool(nil, v.boolean), nil
	default:
		return json.Marshal(v.str)
	}
}

// UnmarshalJSON decodes a string, a boolean, or a number: an integer literal (no '.', 'e' or 'E') is an
// integer, any other number a float.
func (v *MetadataValue) UnmarshalJSON(data []byte) error {
	switch {
	case isJSONString(data):
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*v = MetadataString(s)
	case isJSONBool(data):
		*v = MetadataBool(data[0] == 't')
	case isJSONNumber(data) && isFloatLiteral(data):
		f, err := strconv.ParseFloat(string(data), 64)
		if err != nil {
			return fmt.Errorf("polar: metadata value %s is out of range", data)
		}
		*v = MetadataFloat(f)
	case isJSONNumber(data):
		i, err := strconv.ParseInt(string(data), 10, 64)
		if err != nil {
			return fmt.Errorf("polar: metadata value %s is out of the int64 range", data)
		}
		*v = MetadataInt(i)
	default:
		return fmt.Errorf("polar: metadata value %s is not a string, number or boolean", data)
	}
	return nil
}

// MeterCreate is the body of a create call.
type MeterCreate struct {
	Name             string      `json:"name"`                        // at least 3 characters
	Unit             Unit        `json:"unit,omitempty"`              // "" lets Polar default to scalar
	CustomLabel      *string     `json:"custom_label,omitempty"`      // required with the custom unit, refused otherwise
	CustomMultiplier *int64      `json:"custom_multiplier,omitempty"` // nil lets Polar default to 1
	Filter           Filter      `json:"filter"`                      // the events that count
	Aggregation      Aggregation `json:"aggregation"`                 // how they are counted
	Metadata         Metadata    `json:"metadata,omitzero"`           // nil sends nothing
	OrganizationID   *string     `json:"organization_id,omitempty"`   // refused by Polar with an organization token
}

// MeterUpdate is a PATCH body: only fields that are set are sent. It never sends JSON null for
// name, unit, metadata, filter, aggregation or is_archived, which Polar answers with 500 or 422.
type MeterUpdate struct {
	Name             *string          `json:"name,omitempty"`             // a new name
	Unit             *Unit            `json:"unit,omitempty"`             // a new unit
	CustomLabel      Nullable[string] `json:"custom_label,omitzero"`      // send Null when the unit moves away from custom:
	CustomMultiplier Nullable[int64]  `json:"custom_multiplier,omitzero"` // Polar does not clear these by itself
	Filter           *Filter          `json:"filter,omitempty"`           // refused once the meter aggregates events,
	Aggregation      *Aggregation     `json:"aggregation,omitempty"`      // even unchanged: send only when changed
	Metadata         *Metadata        `json:"metadata,omitempty"`         // replaces the whole map; a pointer to an empty map clears it
	IsArchived       *bool            `json:"is_archived,omitempty"`      // archive or bring back
}

// IsEmpty reports whether no field is set.
func (u MeterUpdate) IsEmpty() bool { return u == MeterUpdate{} }

// Nullable is a PATCH field that is either absent, JSON null, or a value.
// The zero Nullable is absent.
type Nullable[T any] struct {
	set   bool
	null  bool
	value T
}

// Null returns a Nullable that is sent as JSON null.
func Null[T any]() Nullable[T] { return Nullable[T]{set: true, null: true} }

// Value returns a Nullable that is sent as v.
func Value[T any](v T) Nullable[T] { return Nullable[T]{set: true, value: v} }

// IsSet reports whether the field is sent at all, as null or as a value.
func (n Nullable[T]) IsSet() bool { return n.set }

// IsNull reports whether the field is sent as JSON null.
func (n Nullable[T]) IsNull() bool { return n.set && n.null }

// Get returns the value and true when the field is sent as a value.
func (n Nullable[T]) Get() (T, bool) { return n.value, n.set && !n.null }

// IsZero reports whether the field is absent; it lets the "omitzero" JSON option leave it out.
func (n Nullable[T]) IsZero() bool { return !n.set }

// MarshalJSON writes the value, or null when the field is null or absent.
func (n Nullable[T]) MarshalJSON() ([]byte, error) {
	if v, ok := n.Get(); ok {
		return json.Marshal(v)
	}
	return []byte("null"), nil
}

// UnmarshalJSON makes the field null or a value; a field missing from the JSON stays absent.
func (n *Nullable[T]) UnmarshalJSON(data []byte) error {
	if bytes.Equal(data, []byte("null")) {
		*n = Null[T]()
		return nil
	}
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*n = Value(v)
	return nil
}

// objectFields decodes data as a JSON object (what names it in errors) and checks that each
// required key is present with a non-null value.
func objectFields(what string, data []byte, required ...string) (map[string]json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, fmt.Errorf("polar: decoding %s: %w", what, err)
	}
	if obj == nil {
		return nil, fmt.Errorf("polar: decoding %s: null is not an object", what)
	}
	return obj, requireKeys(what, obj, required...)
}

// requireKeys checks that each key is present in obj with a non-null value.
func requireKeys(what string, obj map[string]json.RawMessage, keys ...string) error {
	for _, key := range keys {
		if raw, ok := obj[key]; !ok || bytes.Equal(raw, []byte("null")) {
			return fmt.Errorf("polar: decoding %s: %q is missing or null", what, key)
		}
	}
	return nil
}

// isJSONString, isJSONBool and isJSONNumber tell the type of a JSON literal from its first byte;
// the encoding/json package only hands valid JSON to an UnmarshalJSON method.
func isJSONString(data []byte) bool { return len(data) > 0 && data[0] == '"' }

func isJSONBool(data []byte) bool { return string(data) == "true" || string(data) == "false" }

func isJSONNumber(data []byte) bool {
	return len(data) > 0 && (data[0] == '-' || data[0] >= '0' && data[0] <= '9')
}

// isFloatLiteral reports whether a JSON number is written as a float rather than an integer.
func isFloatLiteral(number []byte) bool { return strings.ContainsAny(string(number), ".eE") }
