package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/polar-terraform/terraform-provider-polar/internal/localpolar"
)

const dashboardExample = "../../examples/local-server/dashboard-meters.json"

// start serves what cfg describes until the test ends, or until the
// returned stop is called.
func start(t *testing.T, cfg config) (url string, stop func()) {
	t.Helper()
	handler, _, err := newHandler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	server := httptest.NewServer(handler)
	t.Cleanup(server.Close)
	return server.URL, server.Close
}

// call sends a request with the server's token and returns the status and body.
func call(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+localpolar.DefaultToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(data)
}

func TestSeedServesTheDashboardExampleExactly(t *testing.T) {
	data, err := os.ReadFile(dashboardExample)
	if err != nil {
		t.Fatal(err)
	}
	var meters []json.RawMessage
	if err := json.Unmarshal(data, &meters); err != nil || len(meters) != 2 {
		t.Fatalf("%s: %d meters, %v", dashboardExample, len(meters), err)
	}
	url, _ := start(t, config{seed: dashboardExample})
	for _, m := range meters {
		var want bytes.Buffer
		_ = json.Compact(&want, m)
		var fields struct{ ID string }
		_ = json.Unmarshal(m, &fields)
		if status, got := call(t, http.MethodGet, url+"/v1/meters/"+fields.ID, ""); status != http.StatusOK || got != want.String() {
			t.Errorf("GET %s: %d\n%s\nwant\n%s", fields.ID, status, got, want.String())
		}
	}
}

func TestStatePersistsAcrossRestarts(t *testing.T) {
	cfg := config{state: filepath.Join(t.TempDir(), "meters.json"), seed: dashboardExample}
	url, stop := start(t, cfg)
	status, created := call(t, http.MethodPost, url+"/v1/meters/", `{"name":"Practice","filter":{"conjunction":"and","clauses":[]},"aggregation":{"func":"count"}}`)
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, created)
	}
	// A change to a seeded meter is kept: the state's copy wins over the seed's.
	if status, body := call(t, http.MethodPatch, url+"/v1/meters/c3a9e1f4-6b2d-4f8e-9a17-5d0b8c2e7f31", `{"is_archived":true}`); status != http.StatusOK {
		t.Fatalf("archive: %d %s", status, body)
	}
	_, before := call(t, http.MethodGet, url+"/v1/meters/?limit=100&sorting=created_at", "")
	stop()

	url, _ = start(t, cfg)
	if _, after := call(t, http.MethodGet, url+"/v1/meters/?limit=100&sorting=created_at", ""); after != before {
		t.Errorf("after a restart\n%s\nwant\n%s", after, before)
	}
	if !strings.Contains(before, `"archived_at":"20`) || !strings.Contains(before, `"name":"Practice"`) {
		t.Errorf("meters %s lack the changes", before)
	}
}

func TestStateFileIsCreatedAtStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meters.json")
	start(t, config{state: path})
	if data, err := os.ReadFile(path); err != nil || string(data) != "[]\n" {
		t.Errorf("state file %q, %v", data, err)
	}
}

func TestUnreadableFilesStopTheStart(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.json")
	if err := os.WriteFile(broken, []byte(`[{"name":"no filter"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []config{
		{seed: filepath.Join(dir, "missing.json")},
		{seed: broken},
		{state: broken},
	} {
		if _, _, err := newHandler(cfg); err == nil {
			t.Errorf("%+v: started", cfg)
		}
	}
}

func TestBanner(t *testing.T) {
	exports := "export POLAR_SERVER_URL=http://127.0.0.1:8787\nexport POLAR_ACCESS_TOKEN=" + localpolar.DefaultToken + "\n"
	memory := banner(config{}, "http://127.0.0.1:8787", 0)
	if !strings.Contains(memory, "memory only") || !strings.HasSuffix(memory, exports) {
		t.Errorf("banner:\n%s", memory)
	}
	if persisted := banner(config{state: "meters.json"}, "http://127.0.0.1:8787", 2); !strings.Contains(persisted, "persisted in meters.json") {
		t.Errorf("banner:\n%s", persisted)
	}
}
