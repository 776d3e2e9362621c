package provider

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/polar-terraform/terraform-provider-polar/internal/localpolar"
)

// sjkchangFixture is a state written by the sjkchang/polar provider, its configuration, and what Polar held
// afterwards (a copy of shared/fixtures/migrate-from-sjkchang).
const sjkchangFixture = "testdata/migrate-from-sjkchang"

// TestAccMeterMigrationFromSjkchang follows the migration guide with the real CLI: the sjkchang/polar configuration
// unchanged but for the provider source, `terraform state replace-provider`, then a plan that must show no changes
// and make no write.
func TestAccMeterMigrationFromSjkchang(t *testing.T) {
	terraformPath := terraformCLI(t)
	held, err := os.ReadFile(filepath.Join(sjkchangFixture, "meters.json"))
	if err != nil {
		t.Fatal(err)
	}
	var meters []struct {
		OrganizationID string `json:"organization_id"`
	}
	if err := json.Unmarshal(held, &meters); err != nil || len(meters) == 0 {
		t.Fatalf("meters.json: %v", err)
	}
	server, url := localpolar.NewTestServer(t, localpolar.Options{Tokens: map[string]localpolar.Token{
		localpolar.DefaultToken: {Kind: localpolar.OrganizationToken, OrganizationID: meters[0].OrganizationID,
			Scopes: []string{localpolar.ScopeMetersRead, localpolar.ScopeMetersWrite}},
	}})
	if _, err := server.PutMeters(held); err != nil {
		t.Fatal(err)
	}
	t.Setenv(envServerURL, url) // wins over the fixture's server = "sandbox", as it would for a user testing locally

	dir := t.TempDir()
	config := readFixture(t, "sjkchang.tf")
	const oldSource, newSource = `source  = "sjkchang/polar"`, `source  = "hashicorp/polar"`
	if !strings.Contains(config, oldSource) {
		t.Fatalf("sjkchang.tf has no %s", oldSource)
	}
	writeReliabilityFile(t, filepath.Join(dir, "main.tf"), strings.Replace(config, oldSource, newSource, 1))
	writeReliabilityFile(t, filepath.Join(dir, "terraform.tfstate"), readFixture(t, "terraform.tfstate"))
	writeReliabilityFile(t, filepath.Join(dir, "terraformrc"), "")
	reattach := serveForReattach(t, New("acctest", WithDefaultServerURL(url)))
	run := func(args ...string) (string, int) {
		cmd := exec.Command(terraformPath, append(args, "-no-color")...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "TF_REATTACH_PROVIDERS="+reattach, "TF_CLI_CONFIG_FILE="+filepath.Join(dir, "terraformrc"),
			"CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatalf("terraform %s: %v", strings.Join(args, " "), err)
		}
		return string(out), cmd.ProcessState.ExitCode()
	}

	if out, code := run("state", "replace-provider", "-auto-approve",
		"registry.terraform.io/sjkchang/polar", implicitProviderAddress(t)); code != 0 {
		t.Fatalf("state replace-provider exited %d:\n%s", code, out)
	}
	out, code := run("plan", "-detailed-exitcode", "-input=false")
	if code != 0 || !strings.Contains(out, "No changes.") {
		t.Fatalf("the first plan after the switch must show no changes (exit 0), got exit %d:\n%s", code, out)
	}
	// The plan did refresh from Polar (the upgrade alone knows no organization or timestamps), and wrote nothing.
	if server.CountRequests("GET", "") == 0 {
		t.Errorf("the plan read nothing from Polar: it did not refresh the upgraded state")
	}
	assertOnlyReads(t, server, "the plan")
	server.ResetRequests()
	if out, code := run("apply", "-auto-approve", "-input=false", "-refresh-only"); code != 0 {
		t.Fatalf("refresh-only apply exited %d:\n%s", code, out)
	}
	assertOnlyReads(t, server, "the refresh-only apply")
	assertUpgradedState(t, filepath.Join(dir, "terraform.tfstate"), meters[0].OrganizationID)
	// Saved at the current schema version, the state plans clean once more.
	server.ResetRequests()
	if out, code := run("plan", "-detailed-exitcode", "-input=false"); code != 0 {
		t.Fatalf("the plan after saving the upgraded state must show no changes (exit 0), got exit %d:\n%s", code, out)
	}
	assertOnlyReads(t, server, "the second plan")
}

// assertOnlyReads fails the test for every request other than a GET since the last reset.
func assertOnlyReads(t *testing.T, server *localpolar.Server, what string) {
	t.Helper()
	for _, r := range server.Requests() {
		if r.Method != "GET" {
			t.Errorf("%s wrote to Polar: %s %s", what, r.Method, r.Path)
		}
	}
}

// assertUpgradedState checks that the saved state is at the current schema version and holds what Polar set.
func assertUpgradedState(t *testing.T, file, organizationID string) {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var state struct {
		Resources []struct {
			Instances []struct {
				SchemaVersion int            `json:"schema_version"`
				Attributes    map[string]any `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(raw, &state); err != nil {
		t.Fatal(err)
	}
	for _, r := range state.Resources {
		for _, instance := range r.Instances {
			if instance.SchemaVersion != meterSchemaVersion || instance.Attributes["organization_id"] != organizationID ||
				instance.Attributes["created_at"] == nil || instance.Attributes["unit"] != "scalar" {
				t.Errorf("after a refresh the state should be upgraded and complete: %+v", instance)
			}
		}
	}
}

// readFixture reads one file of the sjkchang/polar fixture.
func readFixture(t *testing.T, name string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(sjkchangFixture, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
