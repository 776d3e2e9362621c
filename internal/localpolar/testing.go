package localpolar

import (
	"net/http/httptest"
	"testing"
)

// NewTestServer starts a server on a loopback port for the duration of the
// test and returns it with its base URL, e.g. http://127.0.0.1:40123.
func NewTestServer(t testing.TB, opts Options) (*Server, string) {
	t.Helper()
	s := New(opts)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts.URL
}
