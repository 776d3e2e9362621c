package polar

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"
)

// The round-trip property: for every JSON shape the OpenAPI document allows, marshalling what was
// unmarshalled means the same as the input. "Means the same" is judged by normalizers written
// from the OpenAPI schemas, independently of the code under test: they refuse any other shape,
// drop nulls of optional fields, compare timestamps as instants, whole numbers in filter values as
// integers, and metadata numbers as integer or float by how they are written.

func TestMeterRoundTrip(t *testing.T) {
	for name, data := range map[string]string{
		"dashboard":            dashboardMeterJSON,
		"custom unit":          customMeterJSON,
		"whole float in value": `{"metadata":{"f":1.5e3},"created_at":"2026-01-01T00:00:00Z","modified_at":null,"id":"i","name":"n","unit":"scalar","filter":{"conjunction":"or","clauses":[{"property":"n","operator":"lte","value":1.0}]},"aggregation":{"func":"unique","property":"u"},"organization_id":"o"}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := canonical([]byte(data), normalizeMeter); err != nil {
				t.Fatalf("fixture is not a valid shape: %v", err)
			}
			checkRoundTrip[Meter](t, []byte(data), normalizeMeter)
		})
	}
}

func TestFilterRoundTrip(t *testing.T) {
	for _, data := range filterSeeds {
		if _, err := canonical([]byte(data), normalizeFilter); err != nil {
			t.Fatalf("fixture %s is not a valid shape: %v", data, err)
		}
		checkRoundTrip[Filter](t, []byte(data), normalizeFilter)
	}
}

func FuzzMeterRoundTrip(f *testing.F) {
	for _, seed := range []string{dashboardMeterJSON, customMeterJSON} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkRoundTrip[Meter](t, data, normalizeMeter) })
}

func FuzzFilterRoundTrip(f *testing.F) {
	for _, seed := range filterSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkRoundTrip[Filter](t, data, normalizeFilter) })
}

var filterSeeds = []string{
	`{"conjunction":"and","clauses":[]}`,
	`{"conjunction":"or","clauses":[{"property":"name","operator":"eq","value":"api.call"}]}`,
	`{"conjunction":"and","clauses":[{"conjunction":"or","clauses":[{"property":"timestamp","operator":"gte","value":1767225600},{"property":"beta","operator":"ne","value":false}]},{"conjunction":"and","clauses":[]}]}`,
	`{"conjunction":"and","clauses":[{"property":"n","operator":"lt","value":1.0},{"property":"n","operator":"gt","value":-2147483648},{"property":"s","operator":"like","value":"100"}]}`,
	`{"conjunction":"or","clauses":[{"conjunction":"and","clauses":[{"conjunction":"or","clauses":[{"property":"deep","operator":"not_like","value":"%x%"}]}]}]}`,
}

// checkRoundTrip decodes data into a T and checks that:
//   - a valid shape is never refused;
//   - whatever decodes marshals, and the output decodes back to itself (a fixed point);
//   - for a valid shape, the output is valid and means the same as the input.
func checkRoundTrip[T any](t *testing.T, data []byte, normalize normalizer) {
	t.Helper()
	want, shapeErr := canonical(data, normalize)
	var decoded T
	if err := json.Unmarshal(data, &decoded); err != nil {
		if shapeErr == nil {
			t.Fatalf("a valid shape was refused: %v\n%s", err, data)
		}
		return
	}
	out, err := json.Marshal(decoded)
	if err != nil {
		t.Fatalf("marshal what was decoded: %v\n%s", err, data)
	}
	var again T
	if err := json.Unmarshal(out, &again); err != nil {
		t.Fatalf("own output refused: %v\n%s", err, out)
	}
	if out2, _ := json.Marshal(again); !bytes.Equal(out, out2) {
		t.Fatalf("output is not a fixed point:\n%s\n%s", out, out2)
	}
	if shapeErr != nil {
		return
	}
	got, err := canonical(out, normalize)
	if err != nil {
		t.Fatalf("output of a valid shape is not valid: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("meaning changed:\n in  %s\n out %s", data, out)
	}
}

// normalizer checks one value of a schema and returns its meaning, or an error for any other shape.
type normalizer func(v any) (any, error)

// canonical decodes data with json.Number semantics and normalizes it. JSON with a key twice in one
// object is outside the domain: decoders disagree on which occurrence counts, and Polar never sends it.
func canonical(data []byte, normalize normalizer) (any, error) {
	if !json.Valid(data) {
		return nil, errors.New("invalid JSON")
	}
	if err := uniqueKeys(json.NewDecoder(bytes.NewReader(data))); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return normalize(v)
}

// uniqueKeys reads one JSON value from dec and refuses it if an object in it repeats a key.
func uniqueKeys(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return err
			}
			if seen[key.(string)] {
				return fmt.Errorf("key %q appears twice", key)
			}
			seen[key.(string)] = true
			if err := uniqueKeys(dec); err != nil {
				return err
			}
		}
	case json.Delim('['):
		for dec.More() {
			if err := uniqueKeys(dec); err != nil {
				return err
			}
		}
	default:
		return nil
	}
	_, err = dec.Token() // the closing delimiter
	return err
}

type intNumber int64     // an integer, however written
type floatNumber float64 // a number written as a float

// object checks v is an object with exactly the keys of fields (those in required must be present)
// and normalizes each field; fields normalized to nil (optional nulls) are dropped.
func object(v any, fields map[string]normalizer, required ...string) (any, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%v is not an object", v)
	}
	out := map[string]any{}
	for key, value := range obj {
		normalize, known := fields[key]
		if !known {
			return nil, fmt.Errorf("unknown key %q", key)
		}
		normalized, err := normalize(value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		if normalized != nil {
			out[key] = normalized
		}
	}
	for _, key := range required {
		if _, ok := obj[key]; !ok {
			return nil, fmt.Errorf("missing %q", key)
		}
	}
	return out, nil
}

func normalizeMeter(v any) (any, error) {
	return object(v, map[string]normalizer{
		"id":                str,
		"name":              str,
		"unit":              enum(Units()...),
		"custom_label":      nullable(str),
		"custom_multiplier": nullable(int64Literal),
		"filter":            normalizeFilter,
		"aggregation":       normalizeAggregation,
		"metadata":          normalizeMetadata,
		"organization_id":   str,
		"created_at":        timestamp,
		"modified_at":       nullable(timestamp),
		"archived_at":       nullable(timestamp),
	}, "metadata", "created_at", "modified_at", "id", "name", "unit", "filter", "aggregation", "organization_id")
}

func normalizeFilter(v any) (any, error) {
	return object(v, map[string]normalizer{
		"conjunction": enum(Conjunctions()...),
		"clauses":     normalizeClauses,
	}, "conjunction", "clauses")
}

func normalizeClauses(v any) (any, error) {
	items, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%v is not an array", v)
	}
	out := make([]any, len(items))
	for i, item := range items {
		var err error
		if out[i], err = normalizeClause(item); err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
	}
	return out, nil
}

// normalizeClause accepts a condition or a nested filter, like the schema's anyOf.
func normalizeClause(v any) (any, error) {
	condition, conditionErr := object(v, map[string]normalizer{
		"property": str,
		"operator": enum(Operators()...),
		"value":    filterValue,
	}, "property", "operator", "value")
	if conditionErr == nil {
		return condition, nil
	}
	if group, err := normalizeFilter(v); err == nil {
		return group, nil
	}
	return nil, conditionErr
}

// filterValue accepts a string, a boolean, or an integer in the int32 range (1.0 is an integer).
func filterValue(v any) (any, error) {
	switch v := v.(type) {
	case string, bool:
		return v, nil
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil || f != math.Trunc(f) || f < math.MinInt32 || f > math.MaxInt32 {
			return nil, fmt.Errorf("%s is not an int32", v)
		}
		return intNumber(f), nil
	default:
		return nil, fmt.Errorf("%v is not a filter value", v)
	}
}

func normalizeAggregation(v any) (any, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%v is not an object", v)
	}
	if obj["func"] == string(AggregationCount) {
		return object(v, map[string]normalizer{"func": str}, "func")
	}
	return object(v, map[string]normalizer{
		"func":     enum(AggregationSum, AggregationMax, AggregationMin, AggregationAvg, AggregationUnique),
		"property": str,
	}, "func", "property")
}

func normalizeMetadata(v any) (any, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%v is not an object", v)
	}
	out := map[string]any{}
	for key, value := range obj {
		normalized, err := metadataValue(value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		out[key] = normalized
	}
	return out, nil
}

// metadataValue tells integers from floats by how they are written.
func metadataValue(v any) (any, error) {
	switch v := v.(type) {
	case string, bool:
		return v, nil
	case json.Number:
		if i, err := int64Literal(v); err == nil {
			return i, nil
		}
		if f, err := strconv.ParseFloat(string(v), 64); err == nil && bytes.ContainsAny([]byte(v), ".eE") {
			return floatNumber(f), nil
		}
		return nil, fmt.Errorf("%s is out of range", v)
	default:
		return nil, fmt.Errorf("%v is not a metadata value", v)
	}
}

// int64Literal accepts a number written as an integer that fits an int64.
func int64Literal(v any) (any, error) {
	n, ok := v.(json.Number)
	if !ok {
		return nil, fmt.Errorf("%v is not a number", v)
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		return nil, err
	}
	return intNumber(i), nil
}

func str(v any) (any, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	return nil, fmt.Errorf("%v is not a string", v)
}

func enum[S ~string](values ...S) normalizer {
	return func(v any) (any, error) {
		s, ok := v.(string)
		if !ok || !slices.Contains(values, S(s)) {
			return nil, fmt.Errorf("%v is not one of %q", v, values)
		}
		return s, nil
	}
}

// timestamp compares date-times as instants, parsed as strictly as time.Time's JSON decoding does.
func timestamp(v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("%v is not a string", v)
	}
	var t time.Time
	if err := t.UnmarshalText([]byte(s)); err != nil {
		return nil, err
	}
	return t.UTC().Format(time.RFC3339Nano), nil
}

// nullable accepts null (normalized to nil, so dropped from the object) or what normalize accepts.
func nullable(normalize normalizer) normalizer {
	return func(v any) (any, error) {
		if v == nil {
			return nil, nil
		}
		return normalize(v)
	}
}
