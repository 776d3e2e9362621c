package localpolar

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Limits of Polar's schemas.
const (
	minNameLength          = 3
	maxMetadataKeys        = 50
	maxMetadataKeyLength   = 40
	maxMetadataValueLength = 500
	maxConditionString     = 1000
	minConditionInteger    = -2147483648
	maxConditionInteger    = 2147483647
)

var (
	units         = []string{"scalar", "token", "custom"}
	conjunctions  = []string{"and", "or"}
	operators     = []string{"eq", "ne", "gt", "gte", "lt", "lte", "like", "not_like"}
	propertyFuncs = []string{"sum", "max", "min", "avg", "unique"}
	// aggregationTags is in the order pydantic lists the discriminator's tags.
	aggregationTags = []string{"count", "sum", "max", "min", "avg", "unique"}
)

// fieldError is one entry of a 422 detail list, in pydantic's shape and key order.
type fieldError struct {
	Type  string         `json:"type"`
	Loc   path           `json:"loc"`
	Msg   string         `json:"msg"`
	Input any            `json:"input"`
	Ctx   map[string]any `json:"ctx,omitempty"`
}

// path is the loc of a value: "body", "path" or "query" then keys and indexes.
type path []any

func (p path) with(elems ...any) path {
	return append(slices.Clip(p), elems...)
}

// validator collects every error found in a request, as pydantic does,
// rather than stopping at the first.
type validator struct {
	errs []fieldError
}

func (v *validator) fail(p path, typ, msg string, input any, ctx map[string]any) {
	v.errs = append(v.errs, fieldError{Type: typ, Loc: p, Msg: msg, Input: input, Ctx: ctx})
}

// valueError reports a ValueError raised by one of Polar's validators;
// FastAPI writes the exception in ctx as an empty object.
func (v *validator) valueError(p path, msg string, input any) {
	v.fail(p, "value_error", "Value error, "+msg, input, map[string]any{"error": map[string]any{}})
}

// missing reports a required key absent from parent; pydantic reports the
// parent object as the input.
func (v *validator) missing(p path, parent any) {
	v.fail(p, "missing", "Field required", parent, nil)
}

// checkpoint returns a function telling whether no error was found since.
func (v *validator) checkpoint() func() bool {
	mark := len(v.errs)
	return func() bool { return len(v.errs) == mark }
}

// decoder validates the value at a path and converts it.
type decoder[T any] func(p path, x any) (T, bool)

// field is a validated field of a body: whether the body carried it, and its
// value unless it was null (or invalid).
type field[T any] struct {
	carried bool
	value   *T
}

// or returns the field's value, or def when there is none.
func (f field[T]) or(def T) T {
	if f.value == nil {
		return def
	}
	return *f.value
}

// presence says whether a schema requires a field and whether it may be null.
type presence struct {
	required bool
	nullable bool
}

var (
	requiredField = presence{required: true}
	optionalField = presence{}
	nullableField = presence{nullable: true}
)

// decodeField decodes the key of obj with decode, following the schema's
// presence rule. A null the schema does not allow is handed to decode, which
// reports it as the wrong type, as pydantic does.
func decodeField[T any](v *validator, obj *jsonObject, p path, key string, rule presence, decode decoder[T]) field[T] {
	x, carried := obj.get(key)
	if !carried {
		if rule.required {
			v.missing(p.with(key), obj)
		}
		return field[T]{}
	}
	if x == nil && rule.nullable {
		return field[T]{carried: true}
	}
	value, ok := decode(p.with(key), x)
	if !ok {
		return field[T]{carried: true}
	}
	return field[T]{carried: true, value: &value}
}

// member decodes a required key of a nested object.
func member[T any](v *validator, obj *jsonObject, p path, key string, decode decoder[T]) (T, bool) {
	f := decodeField(v, obj, p, key, requiredField, decode)
	var zero T
	return f.or(zero), f.value != nil
}

// meterBody is a validated meter body: a MeterCreate, a MeterUpdate, or a
// stored meter given to PutMeter. Fields outside the schema stay unset.
type meterBody struct {
	Metadata         field[metadata]
	Name             field[string]
	Unit             field[string]
	CustomLabel      field[string]
	CustomMultiplier field[json.Number]
	Filter           field[filter]
	Aggregation      field[aggregation]
	OrganizationID   field[string]
	IsArchived       field[bool]
	ID               field[string]
	CreatedAt        field[time.Time]
	ModifiedAt       field[time.Time]
	ArchivedAt       field[time.Time]
}

// decodeMeterCreate validates a MeterCreate, fields in the schema's order.
func decodeMeterCreate(v *validator, obj *jsonObject) meterBody {
	p := path{"body"}
	return meterBody{
		Metadata:         decodeField(v, obj, p, "metadata", optionalField, v.metadataInput),
		Name:             decodeField(v, obj, p, "name", requiredField, v.meterName),
		Unit:             decodeField(v, obj, p, "unit", optionalField, v.unit),
		CustomLabel:      decodeField(v, obj, p, "custom_label", nullableField, v.label),
		CustomMultiplier: decodeField(v, obj, p, "custom_multiplier", nullableField, v.positiveInteger),
		Filter:           decodeField(v, obj, p, "filter", requiredField, v.filter),
		Aggregation:      decodeField(v, obj, p, "aggregation", requiredField, v.aggregation),
		OrganizationID:   decodeField(v, obj, p, "organization_id", nullableField, v.uuid4),
	}
}

// decodeMeterUpdate validates a MeterUpdate: every field is optional, and
// all but metadata may be null.
func decodeMeterUpdate(v *validator, obj *jsonObject) meterBody {
	p := path{"body"}
	return meterBody{
		Metadata:         decodeField(v, obj, p, "metadata", optionalField, v.metadataInput),
		Name:             decodeField(v, obj, p, "name", nullableField, v.meterName),
		Unit:             decodeField(v, obj, p, "unit", nullableField, v.unit),
		CustomLabel:      decodeField(v, obj, p, "custom_label", nullableField, v.label),
		CustomMultiplier: decodeField(v, obj, p, "custom_multiplier", nullableField, v.positiveInteger),
		Filter:           decodeField(v, obj, p, "filter", nullableField, v.filter),
		Aggregation:      decodeField(v, obj, p, "aggregation", nullableField, v.aggregation),
		IsArchived:       decodeField(v, obj, p, "is_archived", nullableField, v.laxBool),
	}
}

// decodeStoredMeter validates a meter as Polar's Meter schema describes what
// it stores and returns: none of the limits MeterCreate puts on names,
// metadata and multipliers, and server fields may be given. Errors are
// located from the meter's root.
func decodeStoredMeter(v *validator, obj *jsonObject) meterBody {
	var p path
	return meterBody{
		Metadata:         decodeField(v, obj, p, "metadata", optionalField, v.metadataOutput),
		CreatedAt:        decodeField(v, obj, p, "created_at", optionalField, v.datetime),
		ModifiedAt:       decodeField(v, obj, p, "modified_at", nullableField, v.datetime),
		ID:               decodeField(v, obj, p, "id", optionalField, v.uuid4),
		Name:             decodeField(v, obj, p, "name", requiredField, v.str),
		Unit:             decodeField(v, obj, p, "unit", optionalField, v.unit),
		CustomLabel:      decodeField(v, obj, p, "custom_label", nullableField, v.str),
		CustomMultiplier: decodeField(v, obj, p, "custom_multiplier", nullableField, v.integer),
		Filter:           decodeField(v, obj, p, "filter", requiredField, v.filter),
		Aggregation:      decodeField(v, obj, p, "aggregation", requiredField, v.aggregation),
		OrganizationID:   decodeField(v, obj, p, "organization_id", optionalField, v.uuid4),
		ArchivedAt:       decodeField(v, obj, p, "archived_at", nullableField, v.datetime),
	}
}

func (v *validator) str(p path, x any) (string, bool) {
	s, ok := x.(string)
	if !ok {
		v.fail(p, "string_type", "Input should be a valid string", x, nil)
	}
	return s, ok
}

// length checks the length of s, in characters as Python counts them;
// maxLen 0 means no maximum.
func (v *validator) length(p path, s string, minLen, maxLen int) bool {
	n := utf8.RuneCountInString(s)
	switch {
	case n < minLen:
		v.fail(p, "string_too_short", "String should have at least "+characters(minLen), s, map[string]any{"min_length": minLen})
	case maxLen > 0 && n > maxLen:
		v.fail(p, "string_too_long", "String should have at most "+characters(maxLen), s, map[string]any{"max_length": maxLen})
	default:
		return true
	}
	return false
}

func characters(n int) string {
	if n == 1 {
		return "1 character"
	}
	return strconv.Itoa(n) + " characters"
}

func (v *validator) meterName(p path, x any) (string, bool) {
	s, ok := v.str(p, x)
	return s, ok && v.length(p, s, minNameLength, 0) && v.noNUL(p, s, s)
}

func (v *validator) label(p path, x any) (string, bool) {
	s, ok := v.str(p, x)
	return s, ok && v.noNUL(p, s, s)
}

// noNUL applies the check Polar's Schema runs after each valid field of a
// request body, models such as filters excepted: no NUL in any of its
// strings. The error is the field's, with the field's value as input.
func (v *validator) noNUL(p path, input any, texts ...string) bool {
	for _, s := range texts {
		if strings.ContainsRune(s, 0) {
			v.valueError(p, "This value contains invalid characters", input)
			return false
		}
	}
	return true
}

// customUnit applies MeterCreate's model validator, which runs once every
// field is valid: a custom unit has a label, and only a custom unit has one.
func (v *validator) customUnit(body *jsonObject, create meterBody) {
	isCustom := create.Unit.or("scalar") == "custom"
	switch {
	case isCustom && create.CustomLabel.value == nil:
		v.valueError(path{"body"}, "custom_label is required when unit is 'custom'.", body)
	case !isCustom && create.CustomLabel.value != nil:
		v.valueError(path{"body"}, "custom_label and custom_multiplier are only allowed when unit is 'custom'.", body)
	}
}

func (v *validator) unit(p path, x any) (string, bool) {
	return v.enum(p, x, units)
}

// enum accepts exactly one of the allowed strings.
func (v *validator) enum(p path, x any, allowed []string) (string, bool) {
	s, _ := x.(string)
	if slices.Contains(allowed, s) {
		return s, true
	}
	expected := quotedList(allowed)
	v.fail(p, "enum", "Input should be "+expected, x, map[string]any{"expected": expected})
	return "", false
}

// quotedList writes values as pydantic lists choices: 'a', 'b' or 'c'.
func quotedList(values []string) string {
	quoted := make([]string, len(values))
	for i, s := range values {
		quoted[i] = "'" + s + "'"
	}
	last := len(quoted) - 1
	if last == 0 {
		return quoted[0]
	}
	return strings.Join(quoted[:last], ", ") + " or " + quoted[last]
}

// integer converts x as pydantic's lax int does from JSON: integers, floats
// without a fractional part (1.0 is 1), numeric strings and booleans.
func (v *validator) integer(p path, x any) (json.Number, bool) {
	switch t := x.(type) {
	case json.Number:
		return v.numberInteger(p, t)
	case string:
		if i, ok := new(big.Int).SetString(strings.TrimSpace(t), 10); ok {
			return json.Number(i.String()), true
		}
		v.fail(p, "int_parsing", "Input should be a valid integer, unable to parse string as an integer", x, nil)
	case bool:
		if t {
			return "1", true
		}
		return "0", true
	default:
		v.fail(p, "int_type", "Input should be a valid integer", x, nil)
	}
	return "", false
}

// numberInteger converts a JSON number to an integer; a float literal is read
// as Python reads it, a 64-bit float, before its fraction is checked.
func (v *validator) numberInteger(p path, n json.Number) (json.Number, bool) {
	if isIntegerLiteral(n) {
		return json.Number(bigInteger(n).String()), true
	}
	f, _ := strconv.ParseFloat(string(n), 64)
	switch {
	case !isFinite(f):
		v.fail(p, "finite_number", "Input should be a finite number", n, nil)
	case math.Trunc(f) != f:
		v.fail(p, "int_from_float", "Input should be a valid integer, got a number with a fractional part", n, nil)
	default:
		i, _ := big.NewFloat(f).Int(nil)
		return json.Number(i.String()), true
	}
	return "", false
}

func (v *validator) positiveInteger(p path, x any) (json.Number, bool) {
	n, ok := v.integer(p, x)
	if ok && bigInteger(n).Sign() <= 0 {
		v.fail(p, "greater_than", "Input should be greater than 0", x, map[string]any{"gt": 0})
		return "", false
	}
	return n, ok
}

// laxBool converts x as pydantic's lax bool does from JSON.
func (v *validator) laxBool(p path, x any) (bool, bool) {
	switch t := x.(type) {
	case bool:
		return t, true
	case string:
		if b, ok := parseBool(t); ok {
			return b, true
		}
		v.fail(p, "bool_parsing", "Input should be a valid boolean, unable to interpret input", x, nil)
		return false, false
	case json.Number:
		if f, err := t.Float64(); err == nil && (f == 0 || f == 1) {
			return f == 1, true
		}
		v.fail(p, "bool_parsing", "Input should be a valid boolean, unable to interpret input", x, nil)
		return false, false
	}
	v.fail(p, "bool_type", "Input should be a valid boolean", x, nil)
	return false, false
}

// parseBool reads the strings pydantic accepts as booleans.
func parseBool(s string) (value, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "on", "t", "true", "y", "yes":
		return true, true
	case "0", "off", "f", "false", "n", "no":
		return false, true
	}
	return false, false
}

// uuid4 accepts a UUID of version 4 and returns it in canonical form.
func (v *validator) uuid4(p path, x any) (string, bool) {
	s, ok := x.(string)
	if !ok {
		v.fail(p, "uuid_type", "UUID input should be a string, bytes or UUID object", x, nil)
		return "", false
	}
	id, err := uuid.Parse(s)
	if err != nil {
		reason := uuidParsingReason(s)
		v.fail(p, "uuid_parsing", "Input should be a valid UUID, "+reason, s, map[string]any{"error": reason})
		return "", false
	}
	if id.Version() != 4 {
		v.fail(p, "uuid_version", "UUID version 4 expected", s, map[string]any{"expected_version": 4})
		return "", false
	}
	return id.String(), true
}

// uuidParsingReason explains, as pydantic's UUID parser does, why s is not a UUID.
func uuidParsingReason(s string) string {
	for i, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF-", r) {
			return fmt.Sprintf("invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `%c` at %d", r, i+1)
		}
	}
	if !strings.Contains(s, "-") {
		return fmt.Sprintf("invalid length: expected length 32 for simple format, found %d", len(s))
	}
	if groups := strings.Count(s, "-") + 1; groups != 5 {
		return fmt.Sprintf("invalid group count: expected 5, found %d", groups)
	}
	return "invalid group length"
}

func (v *validator) datetime(p path, x any) (time.Time, bool) {
	if s, ok := x.(string); ok {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return polarTime(t), true
		}
	}
	v.fail(p, "datetime_parsing", "Input should be a valid datetime", x, nil)
	return time.Time{}, false
}

func (v *validator) metadataInput(p path, x any) (metadata, bool) {
	return v.metadata(p, x, true)
}

func (v *validator) metadataOutput(p path, x any) (metadata, bool) {
	return v.metadata(p, x, false)
}

// metadata validates a metadata map; limited applies MeterCreate's limits on
// keys, values and their number.
func (v *validator) metadata(p path, x any, limited bool) (metadata, bool) {
	obj, ok := x.(*jsonObject)
	if !ok {
		v.fail(p, "dict_type", "Input should be a valid dictionary", x, nil)
		return nil, false
	}
	valid := v.checkpoint()
	m := metadata{}
	for _, key := range obj.keys {
		if limited {
			v.length(p.with(key, "[key]"), key, 1, maxMetadataKeyLength)
		}
		if value, ok := v.metadataValue(p.with(key), obj.values[key], limited); ok {
			m[key] = value
		}
	}
	// pydantic counts the items only once they are all valid.
	if limited && valid() && len(m) > maxMetadataKeys {
		v.fail(p, "too_long", fmt.Sprintf("Dictionary should have at most %d items after validation, not %d", maxMetadataKeys, len(m)),
			obj, map[string]any{"field_type": "Dictionary", "max_length": maxMetadataKeys, "actual_length": len(m)})
	}
	if limited && valid() {
		v.noNUL(p, &jsonObject{keys: obj.keys, values: m}, metadataTexts(m)...)
	}
	return m, valid()
}

// metadataTexts returns the keys and string values of a metadata map.
func metadataTexts(m metadata) []string {
	var texts []string
	for key, value := range m {
		texts = append(texts, key)
		if s, ok := value.(string); ok {
			texts = append(texts, s)
		}
	}
	return texts
}

// metadataValue validates a string, an integer, a float or a boolean, which
// keep their JSON type. A float is kept in the text Polar writes back.
func (v *validator) metadataValue(p path, x any, limited bool) (any, bool) {
	switch t := x.(type) {
	case string:
		return t, !limited || v.length(p, t, 1, maxMetadataValueLength)
	case bool:
		return t, true
	case json.Number:
		if isIntegerLiteral(t) {
			return json.Number(bigInteger(t).String()), true
		}
		f, _ := strconv.ParseFloat(string(t), 64)
		if !isFinite(f) {
			v.fail(p, "finite_number", "Input should be a finite number", t, nil)
			return nil, false
		}
		return json.Number(pythonFloat(f)), true
	}
	// The first member of the union, str, reports for all of them.
	v.fail(p, "string_type", "Input should be a valid string", x, nil)
	return nil, false
}

// notAnObject reports a value that should be an object, where pydantic reads
// objects from attributes too: the request bodies and the aggregations.
func (v *validator) notAnObject(p path, input any) {
	v.fail(p, "model_attributes_type", "Input should be a valid dictionary or object to extract fields from", input, nil)
}

// model accepts a JSON object where a pydantic model is expected.
func (v *validator) model(p path, x any, className string) (*jsonObject, bool) {
	obj, ok := x.(*jsonObject)
	if !ok {
		v.fail(p, "model_type", "Input should be a valid dictionary or instance of "+className, x, map[string]any{"class_name": className})
	}
	return obj, ok
}

func (v *validator) filter(p path, x any) (filter, bool) {
	obj, ok := v.model(p, x, "Filter")
	if !ok {
		return filter{}, false
	}
	return v.filterFields(p, obj)
}

func (v *validator) filterFields(p path, obj *jsonObject) (filter, bool) {
	valid := v.checkpoint()
	conjunction, _ := member(v, obj, p, "conjunction", func(p path, x any) (string, bool) {
		return v.enum(p, x, conjunctions)
	})
	clauses, _ := member(v, obj, p, "clauses", v.clauses)
	return filter{Conjunction: conjunction, Clauses: clauses}, valid()
}

func (v *validator) clauses(p path, x any) ([]clause, bool) {
	items, ok := x.([]any)
	if !ok {
		v.fail(p, "list_type", "Input should be a valid list", x, nil)
		return nil, false
	}
	valid := v.checkpoint()
	clauses := make([]clause, 0, len(items))
	for i, item := range items {
		c, _ := v.clause(p.with(i), item)
		clauses = append(clauses, c)
	}
	return clauses, valid()
}

// clause decodes a condition or, when the object looks like one, a nested
// group. Errors are reported at the clause's own path, without pydantic's
// union member names, so that loc stays the JSON path of the field.
func (v *validator) clause(p path, x any) (clause, bool) {
	obj, ok := v.model(p, x, "FilterClause")
	if !ok {
		return clause{}, false
	}
	if obj.hasAny("conjunction", "clauses") && !obj.hasAny("property", "operator", "value") {
		group, ok := v.filterFields(p, obj)
		return clause{group: &group}, ok
	}
	valid := v.checkpoint()
	property, _ := member(v, obj, p, "property", v.str)
	operator, _ := member(v, obj, p, "operator", func(p path, x any) (string, bool) {
		return v.enum(p, x, operators)
	})
	value, _ := member(v, obj, p, "value", v.conditionValue)
	return clause{condition: &condition{
		Property: stripMetadataPrefix(property),
		Operator: operator,
		Value:    value,
	}}, valid()
}

// conditionValue accepts a string of at most 1000 characters, a 32-bit
// integer or a boolean. A float without fraction becomes an integer, as
// pydantic's int accepts it once the string member has refused it.
func (v *validator) conditionValue(p path, x any) (any, bool) {
	switch t := x.(type) {
	case string:
		return t, v.length(p, t, 0, maxConditionString)
	case bool:
		return t, true
	case json.Number:
		n, ok := v.numberInteger(p, t)
		if !ok {
			return nil, false
		}
		switch i := bigInteger(n); {
		case i.Cmp(big.NewInt(maxConditionInteger)) > 0:
			v.fail(p, "less_than_equal", "Input should be less than or equal to "+strconv.Itoa(maxConditionInteger), t, map[string]any{"le": maxConditionInteger})
		case i.Cmp(big.NewInt(minConditionInteger)) < 0:
			v.fail(p, "greater_than_equal", "Input should be greater than or equal to "+strconv.Itoa(minConditionInteger), t, map[string]any{"ge": minConditionInteger})
		default:
			return n, true
		}
		return nil, false
	}
	v.fail(p, "string_type", "Input should be a valid string", x, nil)
	return nil, false
}

// aggregation decodes the union of aggregations discriminated by func.
func (v *validator) aggregation(p path, x any) (aggregation, bool) {
	obj, ok := x.(*jsonObject)
	if !ok {
		v.notAnObject(p, x)
		return aggregation{}, false
	}
	tag, found := obj.get("func")
	if !found {
		v.fail(p, "union_tag_not_found", "Unable to extract tag using discriminator 'func'", obj, map[string]any{"discriminator": "'func'"})
		return aggregation{}, false
	}
	fn, _ := tag.(string)
	switch {
	case fn == "count":
		// CountAggregation has no property: pydantic drops one silently.
		return aggregation{Func: fn}, true
	case slices.Contains(propertyFuncs, fn):
		property, ok := member(v, obj, p, "property", v.str)
		property = stripMetadataPrefix(property)
		return aggregation{Func: fn, Property: &property}, ok
	}
	tagText := string(marshal(tag))
	if s, ok := tag.(string); ok {
		tagText = s
	}
	expected := "'" + strings.Join(aggregationTags, "', '") + "'"
	v.fail(p, "union_tag_invalid",
		fmt.Sprintf("Input tag '%s' found using 'func' does not match any of the expected tags: %s", tagText, expected),
		obj, map[string]any{"discriminator": "'func'", "tag": tagText, "expected_tags": expected})
	return aggregation{}, false
}

// stripMetadataPrefix removes one leading "metadata.", as Polar does for
// filter and aggregation properties.
func stripMetadataPrefix(property string) string {
	return strings.TrimPrefix(property, "metadata.")
}
