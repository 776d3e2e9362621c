package localpolar

import (
	"math"
	"testing"
)

func TestPythonFloat(t *testing.T) {
	cases := []struct {
		f    float64
		want string
	}{
		{0.5, "0.5"},
		{3, "3.0"},
		{math.Copysign(0, -1), "-0.0"},
		{100, "100.0"},
		{1e15, "1000000000000000.0"},
		{1e16, "1e+16"},
		{1.5e-7, "1.5e-07"},
		{0.0001, "0.0001"},
		{0.00001, "1e-05"},
		{-2.25, "-2.25"},
		{1e100, "1e+100"},
		{123.456789, "123.456789"},
	}
	for _, c := range cases {
		if got := pythonFloat(c.f); got != c.want {
			t.Errorf("pythonFloat(%v) = %s, want %s", c.f, got, c.want)
		}
	}
}

func TestParseJSONKeepsKeyOrder(t *testing.T) {
	doc, err := parseJSON([]byte(`{"b":1,"a":{"y":[true,null,"s"],"x":2.50},"b":3}`))
	if err != nil {
		t.Fatal(err)
	}
	// A repeated key keeps its first place and its last value, as in Python.
	if got := string(marshal(doc)); got != `{"b":3,"a":{"y":[true,null,"s"],"x":2.50}}` {
		t.Errorf("got %s", got)
	}
}
