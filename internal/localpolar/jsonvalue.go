package localpolar

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// jsonObject is a decoded JSON object that keeps its keys in input order, as a
// Python dict does, so that errors are reported in the order Polar reports
// them. A repeated key keeps its first position and its last value.
type jsonObject struct {
	keys   []string
	values map[string]any
}

func (o *jsonObject) get(key string) (any, bool) {
	v, ok := o.values[key]
	return v, ok
}

func (o *jsonObject) hasAny(keys ...string) bool {
	for _, k := range keys {
		if _, ok := o.values[k]; ok {
			return true
		}
	}
	return false
}

func (o *jsonObject) set(key string, value any) {
	if _, ok := o.values[key]; !ok {
		o.keys = append(o.keys, key)
	}
	o.values[key] = value
}

// MarshalJSON writes the object back in its input order: 422 errors echo what
// was sent as their input.
func (o *jsonObject) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(marshal(k))
		buf.WriteByte(':')
		buf.Write(marshal(o.values[k]))
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// parseJSON decodes a JSON document into *jsonObject, []any, string,
// json.Number, bool and nil values. Its error, a *json.SyntaxError, is the
// one encoding/json reports with its offset.
func parseJSON(data []byte) (any, error) {
	// A first pass finds syntax errors with their exact offsets; the token
	// walk below then only ever sees valid JSON.
	if err := json.Unmarshal(data, new(json.RawMessage)); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return readValue(dec)
}

func readValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		obj := &jsonObject{values: map[string]any{}}
		for dec.More() {
			token, err := dec.Token()
			if err != nil {
				return nil, err
			}
			key, _ := token.(string) // the decoder only gives string keys inside an object
			value, err := readValue(dec)
			if err != nil {
				return nil, err
			}
			obj.set(key, value)
		}
		_, err := dec.Token() // '}'
		return obj, err
	case json.Delim('['):
		items := []any{}
		for dec.More() {
			item, err := readValue(dec)
			if err != nil {
				return nil, err
			}
			items = append(items, item)
		}
		_, err := dec.Token() // ']'
		return items, err
	}
	return tok, nil
}

// syntaxErrorPosition converts a syntax error of encoding/json to the position
// Python's json module reports: the index, in characters, of the offending
// character, or the length of the document when it ends too early.
func syntaxErrorPosition(data []byte, err error) int {
	var syntaxErr *json.SyntaxError
	if !errors.As(err, &syntaxErr) {
		return utf8.RuneCount(data)
	}
	// encoding/json counts the offending byte as read.
	offset := int(syntaxErr.Offset)
	if offset > 0 && offset <= len(data) && syntaxErr.Error() != "unexpected end of JSON input" {
		offset--
	}
	return utf8.RuneCount(data[:min(offset, len(data))])
}

// marshal encodes v as compact JSON without escaping <, > and &, as Python's
// json module writes it.
func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Every value marshalled here is built by this package.
		panic("localpolar: cannot marshal JSON: " + err.Error())
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// isIntegerLiteral tells a JSON integer from a JSON float, as Python's json
// module does: 1 is an int, 1.0 and 1e3 are floats.
func isIntegerLiteral(n json.Number) bool {
	return !strings.ContainsAny(string(n), ".eE")
}

// bigInteger returns the value of a JSON integer literal.
func bigInteger(n json.Number) *big.Int {
	i, _ := new(big.Int).SetString(string(n), 10)
	return i
}

// pythonFloat formats f as Python's repr does (0.5, 3.0, 1e+16, 1.5e-07): Polar
// writes float values back that way.
func pythonFloat(f float64) string {
	mantissa, exponent, _ := strings.Cut(strconv.FormatFloat(f, 'e', -1, 64), "e")
	exp, _ := strconv.Atoi(exponent)
	if exp < -4 || exp >= 16 {
		return mantissa + "e" + fmtExponent(exp)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// fmtExponent writes a signed exponent with at least two digits, like C's %e.
func fmtExponent(exp int) string {
	sign := "+"
	if exp < 0 {
		sign, exp = "-", -exp
	}
	digits := strconv.Itoa(exp)
	if len(digits) < 2 {
		digits = "0" + digits
	}
	return sign + digits
}

// isFinite reports whether f is neither infinite nor NaN.
func isFinite(f float64) bool {
	return !math.IsInf(f, 0) && !math.IsNaN(f)
}
