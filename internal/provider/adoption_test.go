package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/polar-terraform/terraform-provider-polar/internal/localpolar"
)

// The CLI the acceptance tests drive is Terraform or OpenTofu: terraform-plugin-testing runs TF_ACC_TERRAFORM_PATH,
// else `terraform` on PATH (make testacc-tofu sets TF_ACC_TERRAFORM_PATH to tofu, TF_ACC_PROVIDER_HOST to
// registry.opentofu.org, and TF_CLI_CONFIG_FILE to an empty file, without which OpenTofu's warnings about a missing
// CLI configuration land on stdout and break the version terraform-plugin-testing parses).

// cliUnderTest is the CLI binary terraform-plugin-testing runs.
type cliUnderTest struct {
	path     string
	openTofu bool
	version  [3]int // major, minor, patch
	text     string // as it reports itself, e.g. "OpenTofu v1.12.6"
}

var (
	cliOnce  sync.Once
	cliFound cliUnderTest
	cliError error
)

var cliVersionRE = regexp.MustCompile(`(?m)^(Terraform|OpenTofu) v(\d+)\.(\d+)\.(\d+)\S*`)

// testCLI finds the CLI as terraform-plugin-testing does (TF_ACC_TERRAFORM_PATH, else terraform on PATH) and asks
// it what it is; it skips the test when there is none.
func testCLI(t *testing.T) cliUnderTest {
	t.Helper()
	cliOnce.Do(func() { cliFound, cliError = findCLI() })
	if cliError != nil {
		t.Skipf("no Terraform or OpenTofu CLI to run: %v", cliError)
	}
	return cliFound
}

func findCLI() (cliUnderTest, error) {
	path := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if path == "" {
		var err error
		if path, err = exec.LookPath("terraform"); err != nil {
			return cliUnderTest{}, fmt.Errorf("set TF_ACC_TERRAFORM_PATH: %w", err)
		}
	}
	rc, err := os.CreateTemp("", "cli-config-*.tfrc") // an empty CLI configuration: nothing else on stdout
	if err != nil {
		return cliUnderTest{}, err
	}
	_ = rc.Close()
	defer os.Remove(rc.Name())
	cmd := exec.Command(path, "version")
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+rc.Name(), "CHECKPOINT_DISABLE=1")
	out, err := cmd.Output()
	if err != nil {
		return cliUnderTest{}, fmt.Errorf("%s version: %w", path, err)
	}
	m := cliVersionRE.FindStringSubmatch(string(out))
	if m == nil {
		return cliUnderTest{}, fmt.Errorf("%s version printed no Terraform or OpenTofu version:\n%s", path, out)
	}
	cli := cliUnderTest{path: path, openTofu: m[1] == "OpenTofu", text: m[0]}
	for i := range cli.version {
		cli.version[i], _ = strconv.Atoi(m[2+i])
	}
	return cli, nil
}

// atLeast reports whether the CLI's version (its core: 1.12.6-dev counts as 1.12.6) is major.minor or later.
func (c cliUnderTest) atLeast(major, minor int) bool {
	return c.version[0] > major || (c.version[0] == major && c.version[1] >= minor)
}

// registryHost is the host a registry source without one (`source = "polar-terraform/polar"`) means to this CLI:
// OpenTofu looks such sources up in its own registry.
func (c cliUnderTest) registryHost(terraformHost string) string {
	if c.openTofu && terraformHost == "registry.terraform.io" {
		return "registry.opentofu.org"
	}
	return terraformHost
}

// cliAtLeast is a TestCase version check that skips, saying why, on a CLI older than major.minor. It reads the version
// terraform-plugin-testing itself found, so it agrees with the CLI the test runs.
type cliAtLeast struct {
	major, minor int
	why          string
}

func (c cliAtLeast) CheckTerraformVersion(_ context.Context, req tfversion.CheckTerraformVersionRequest, resp *tfversion.CheckTerraformVersionResponse) {
	segments := req.TerraformVersion.Segments()
	for len(segments) < 2 {
		segments = append(segments, 0)
	}
	if segments[0] < c.major || (segments[0] == c.major && segments[1] < c.minor) {
		resp.Skip = fmt.Sprintf("%s needs Terraform or OpenTofu %d.%d or newer; the CLI under test is %s",
			c.why, c.major, c.minor, req.TerraformVersion)
	}
}

// bulkAdoptionExample is the example TestAccBulkAdoption applies, verbatim.
const bulkAdoptionExample = examplesRoot + "/bulk-adoption"

// bulkAdoptionMeters is how many meters Polar holds before the first apply: more than one list page (100).
const bulkAdoptionMeters = 125

// TestAccBulkAdoption applies examples/bulk-adoption, verbatim, against a Polar holding more meters than one list
// page, among them meters shaped as Polar's dashboard makes them and archived ones: the first plan imports every
// meter and changes none, the apply writes nothing, the next plan is clean, and meters that appear in Polar later are
// imported by the next plan, exactly those. It drives the CLI itself (exampleRun): the example calls a module, and
// terraform-plugin-testing refuses state with child modules.
func TestAccBulkAdoption(t *testing.T) {
	newTestTarget(t).needsLocal(t) // skips without TF_ACC, and against the sandbox
	server, url := localpolar.NewTestServer(t, localpolar.Options{})
	cli := testCLI(t)
	if !cli.atLeast(1, 7) {
		t.Skipf("examples/bulk-adoption uses import blocks with for_each, which need Terraform or OpenTofu 1.7 or newer; "+
			"the CLI under test is %s (%s)", cli.text, cli.path)
	}
	seeded := seedAdoptableMeters(t, server, bulkAdoptionMeters)
	run := newExampleRun(t, cli, bulkAdoptionExample, New("acctest", WithDefaultServerURL(url)))
	run.ok("init", "-input=false")

	// The first plan imports every meter and changes none; the apply writes nothing to Polar.
	if err := checkImportsOnly(run.plan(), seeded); err != nil {
		t.Fatalf("first plan: %v", err)
	}
	run.ok("apply", "-input=false", examplePlanFile)
	assertNoWrites(t, server)
	assertManaged(t, run, server, seeded)

	// The next plan, with the import blocks still there, is clean.
	if out, code := run.exec("plan", "-input=false", "-detailed-exitcode"); code != 0 {
		t.Fatalf("the plan after adoption should be clean (exit 0), got exit %d:\n%s", code, out)
	}

	// Three meters made in Polar's dashboard since: the next plan imports exactly those three, changing nothing.
	var later []string
	for i := range 3 {
		later = append(later, server.PutMeter(dashboardMeterJSON(bulkAdoptionMeters+i)))
	}
	if err := checkImportsOnly(run.plan(), later); err != nil {
		t.Fatalf("plan after 3 meters appeared: %v", err)
	}
	run.ok("apply", "-input=false", examplePlanFile)
	if out, code := run.exec("plan", "-input=false", "-detailed-exitcode"); code != 0 {
		t.Fatalf("the plan after the second adoption should be clean (exit 0), got exit %d:\n%s", code, out)
	}
	assertNoWrites(t, server)
	assertManaged(t, run, server, append(seeded, later...))
	t.Logf("%s adopted %d meters, then %d more; Polar received %d requests, all GET", cli.text, len(seeded), len(later), len(server.Requests()))
}

// assertNoWrites fails the test when Polar received anything but reads.
func assertNoWrites(t *testing.T, server *localpolar.Server) {
	t.Helper()
	if err := noWritesTo(server)(nil); err != nil {
		t.Fatal(err)
	}
}

// assertManaged checks that the state manages exactly these meters, and that Polar holds no other.
func assertManaged(t *testing.T, run *exampleRun, server *localpolar.Server, want []string) {
	t.Helper()
	managed := run.stateMeterIDs()
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(managed, want) {
		t.Fatalf("state manages %d meters, want the %d Polar holds", len(managed), len(want))
	}
	if held := server.MeterIDs(); len(held) != len(want) {
		t.Fatalf("Polar holds %d meters, want %d: a meter was created", len(held), len(want))
	}
}

// examplePlanFile is the saved plan exampleRun.plan writes and `apply` applies.
const examplePlanFile = "tfplan"

// exampleRun drives the Terraform or OpenTofu CLI directly in a copy of an example, with the provider served in this
// process under the address the example's source means to that CLI, and an empty CLI configuration.
type exampleRun struct {
	t   *testing.T
	cli cliUnderTest
	dir string
	env []string
}

// newExampleRun copies example (with its local modules) into a fresh directory and serves the provider for it.
func newExampleRun(t *testing.T, cli cliUnderTest, example string, p func() provider.Provider) *exampleRun {
	t.Helper()
	dir := t.TempDir()
	copyTree(t, example, dir)
	host, namespace := providerAddress(t)
	reattach := reattachProviderAt(t, cli.registryHost(host)+"/"+namespace+"/polar", p)
	rc := filepath.Join(t.TempDir(), "cli.tfrc")
	writeExampleFile(t, rc, "") // an empty CLI configuration: no warning about a missing one
	env := append(os.Environ(), "TF_REATTACH_PROVIDERS="+reattach, "TF_CLI_CONFIG_FILE="+rc,
		"CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
	return &exampleRun{t: t, cli: cli, dir: dir, env: env}
}

// exec runs the CLI and returns its output and exit code.
func (r *exampleRun) exec(args ...string) (string, int) {
	r.t.Helper()
	cmd := exec.Command(r.cli.path, append(args, "-no-color")...)
	cmd.Dir, cmd.Env = r.dir, r.env
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		r.t.Fatalf("%s %s: %v", r.cli.path, strings.Join(args, " "), err)
	}
	return string(out), cmd.ProcessState.ExitCode()
}

// ok runs the CLI and fails the test unless it succeeds.
func (r *exampleRun) ok(args ...string) string {
	r.t.Helper()
	out, code := r.exec(args...)
	if code != 0 {
		r.t.Fatalf("%s %s exited %d:\n%s", filepath.Base(r.cli.path), strings.Join(args, " "), code, out)
	}
	return out
}

// plan saves a plan in examplePlanFile and returns its changes, as `show -json` reports them.
func (r *exampleRun) plan() []planChange {
	r.t.Helper()
	r.ok("plan", "-input=false", "-out="+examplePlanFile)
	cmd := exec.Command(r.cli.path, "show", "-json", examplePlanFile)
	cmd.Dir, cmd.Env = r.dir, r.env
	out, err := cmd.Output()
	if err != nil {
		r.t.Fatalf("show -json %s: %v", examplePlanFile, err)
	}
	var plan struct {
		ResourceChanges []struct {
			Address string `json:"address"`
			Mode    string `json:"mode"`
			Change  struct {
				Actions   []string `json:"actions"`
				Importing *struct {
					ID       string         `json:"id"`
					Identity map[string]any `json:"identity"`
				} `json:"importing"`
			} `json:"change"`
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal(out, &plan); err != nil {
		r.t.Fatalf("show -json %s: %v", examplePlanFile, err)
	}
	changes := make([]planChange, 0, len(plan.ResourceChanges))
	for _, rc := range plan.ResourceChanges {
		c := planChange{address: rc.Address, mode: rc.Mode, actions: rc.Change.Actions}
		if i := rc.Change.Importing; i != nil {
			c.importing, c.importID = true, i.ID
			if id, ok := i.Identity["id"].(string); ok && c.importID == "" {
				c.importID = id
			}
		}
		changes = append(changes, c)
	}
	return changes
}

// stateMeterIDs lists, sorted, the ids of every polar_meter in the local state file, in any module.
func (r *exampleRun) stateMeterIDs() []string {
	r.t.Helper()
	ids := stateFileMeterIDs(r.t, filepath.Join(r.dir, "terraform.tfstate"))
	slices.Sort(ids)
	return ids
}

// copyTree copies the files under src into dst, keeping their relative paths.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		content, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), content, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// reattachProviderAt serves the provider in this process under address (host/namespace/type), as `go run . -debug`
// would, until the test ends, and returns the TF_REATTACH_PROVIDERS value that points the CLI at it.
func reattachProviderAt(t *testing.T, address string, p func() provider.Provider) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	reattachCh := make(chan *plugin.ReattachConfig)
	closeCh := make(chan struct{})
	served := make(chan error, 1)
	go func() {
		served <- tf6server.Serve(address, providerserver.NewProtocol6(p()),
			tf6server.WithDebug(ctx, reattachCh, closeCh),
			tf6server.WithLoggingSink(t),
			tf6server.WithGoPluginLogger(hclog.NewNullLogger()))
	}()
	var config *plugin.ReattachConfig
	select {
	case config = <-reattachCh:
	case err := <-served:
		cancel()
		t.Fatalf("serving the provider: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("the provider server gave no reattach configuration")
	}
	t.Cleanup(func() {
		cancel()
		<-closeCh
	})
	type addr struct{ Network, String string }
	reattach, err := json.Marshal(map[string]any{address: map[string]any{
		"Protocol":        string(config.Protocol),
		"ProtocolVersion": config.ProtocolVersion,
		"Pid":             config.Pid,
		"Test":            config.Test,
		"Addr":            addr{config.Addr.Network(), config.Addr.String()},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return string(reattach)
}

// seedAdoptableMeters stores n meters as Polar's dashboard makes them, every seventh archived, and returns their ids.
func seedAdoptableMeters(t *testing.T, server *localpolar.Server, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range n {
		ids[i] = server.PutMeter(dashboardMeterJSON(i))
		if i%7 == 3 {
			server.ArchiveOutOfBand(ids[i])
		}
	}
	return ids
}

// dashboardMeterJSON is meter i as Polar's GET returns a meter made in its dashboard. The shapes cycle through what
// the dashboard makes and the API accepts: a root filter holding only nested groups, integer and boolean values,
// typed metadata with floats (a whole float 2.0 among them), no metadata at all, an explicit multiplier of 1, a
// property that itself starts with "metadata.", groups nested to the schema's depth, every aggregation, names shared
// by two meters, and meters archived in the dashboard.
func dashboardMeterJSON(i int) string {
	name := fmt.Sprintf("Dashboard meter %03d", i)
	if i%11 == 5 {
		name = "Shared name" // names are not unique in Polar
	}
	meter := map[string]any{
		"name":              name,
		"unit":              "scalar",
		"custom_label":      nil,
		"custom_multiplier": nil,
		"metadata":          map[string]any{},
		"created_at":        fmt.Sprintf("2026-01-%02dT09:%02d:27.381204Z", 1+i%28, i%60),
		"modified_at":       nil,
		"archived_at":       nil,
	}
	condition := func(property, operator string, value any) map[string]any {
		return map[string]any{"property": property, "operator": operator, "value": value}
	}
	group := func(conjunction string, clauses ...any) map[string]any {
		return map[string]any{"conjunction": conjunction, "clauses": append([]any{}, clauses...)}
	}
	switch i % 8 {
	case 0: // the dashboard's shape: only nested groups under the root, numbers and booleans typed
		meter["unit"], meter["custom_label"], meter["custom_multiplier"] = "custom", "token", 1000
		meter["filter"] = group("and",
			group("or", condition("name", "eq", "ai.completion"), condition("name", "eq", "ai.embedding")),
			group("and", condition("timestamp", "gte", 1767225600), condition("streamed", "eq", false), condition("model", "like", "gpt-4")))
		meter["aggregation"] = map[string]any{"func": "sum", "property": "total_tokens"}
		meter["metadata"] = map[string]any{"team": "ai", "tier": 3, "ratio": 0.25, "billable": true, "weight": 2.0}
	case 1: // no metadata ({}, as Polar returns it), count
		meter["filter"] = group("and", condition("name", "eq", fmt.Sprintf("event.%d", i)))
		meter["aggregation"] = map[string]any{"func": "count"}
	case 2: // a property named metadata.region, and a float metadata value
		meter["filter"] = group("or", condition("metadata.region", "eq", "eu"), condition("status_code", "lt", 500))
		meter["aggregation"] = map[string]any{"func": "max", "property": "latency_ms"}
		meter["metadata"] = map[string]any{"ratio": 2.0, "limit": -3, "label": "100"}
	case 3: // an explicit multiplier of 1, which Polar applies when unset too
		meter["unit"], meter["custom_label"], meter["custom_multiplier"] = "custom", "request", 1
		meter["filter"] = group("and", condition("retried", "eq", true))
		meter["aggregation"] = map[string]any{"func": "avg", "property": "duration"}
	case 4: // groups nested as deep as the schema holds, under a root with its own condition
		meter["filter"] = group("and", condition("name", "eq", "deep"),
			group("or", condition("a", "eq", 1), group("and", condition("b", "ne", "x"), group("or", condition("c", "eq", true)))))
		meter["aggregation"] = map[string]any{"func": "unique", "property": "user_id"}
		meter["metadata"] = map[string]any{"beta": false}
	case 5: // an empty filter
		meter["filter"] = group("or")
		meter["aggregation"] = map[string]any{"func": "min", "property": "gb_hours"}
	case 6: // archived in the dashboard before the meter is ever read
		meter["filter"] = group("and", condition("name", "eq", "legacy"))
		meter["aggregation"] = map[string]any{"func": "count"}
		meter["archived_at"] = "2026-02-01T00:00:00Z"
		meter["modified_at"] = "2026-02-01T00:00:00Z"
		meter["metadata"] = map[string]any{"retired": true, "factor": 1.5}
	default: // a plain sum with integer metadata
		meter["filter"] = group("and", condition("name", "eq", "storage.snapshot"), condition("gb_hours", "gte", 1))
		meter["aggregation"] = map[string]any{"func": "sum", "property": "gb_hours"}
		meter["metadata"] = map[string]any{"team": "storage", "tier": 1}
	}
	raw, err := json.Marshal(meter)
	if err != nil {
		panic(err)
	}
	return string(raw)
}

// noWritesTo fails when the server received anything but reads: adopting must not write to Polar.
func noWritesTo(server *localpolar.Server) resource.TestCheckFunc {
	return func(*terraform.State) error {
		var writes []string
		for _, r := range server.Requests() {
			if r.Method != "GET" {
				writes = append(writes, r.Method+" "+r.Path)
			}
		}
		if len(writes) > 0 {
			return fmt.Errorf("adoption wrote to Polar (%d requests): %v", len(writes), writes)
		}
		return nil
	}
}

// planChange is one resource change of a plan, as `show -json` reports it.
type planChange struct {
	address, mode string
	actions       []string
	importing     bool
	importID      string // the id imported, given as id = "..." or identity = { id = "..." }
}

// checkImportsOnly checks that a plan imports exactly the meters with these ids and changes nothing, neither them
// nor any other resource.
func checkImportsOnly(changes []planChange, ids []string) error {
	var imported, changed []string
	for _, c := range changes {
		if c.mode != "managed" {
			continue
		}
		if !slices.Equal(c.actions, []string{"no-op"}) {
			changed = append(changed, fmt.Sprintf("%s %v", c.address, c.actions))
		}
		if c.importing {
			imported = append(imported, c.importID)
		}
	}
	want := slices.Sorted(slices.Values(ids))
	slices.Sort(imported)
	var problems []string
	if len(changed) > 0 {
		problems = append(problems, fmt.Sprintf("%d resources have changes planned: %v", len(changed), changed))
	}
	if !slices.Equal(imported, want) {
		problems = append(problems, fmt.Sprintf("the plan imports %d meters, want %d: imports %v, want %v",
			len(imported), len(want), imported, want))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// expectImportsOnly is checkImportsOnly as a terraform-plugin-testing plan check.
func expectImportsOnly(ids []string) plancheck.PlanCheck {
	return importsCheck{ids: ids}
}

type importsCheck struct{ ids []string }

func (c importsCheck) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	changes := make([]planChange, 0, len(req.Plan.ResourceChanges))
	for _, rc := range req.Plan.ResourceChanges {
		change := planChange{address: rc.Address, mode: string(rc.Mode)}
		for _, a := range rc.Change.Actions {
			change.actions = append(change.actions, string(a))
		}
		if importing := rc.Change.Importing; importing != nil {
			change.importing, change.importID = true, importing.ID
			if identity, ok := importing.Identity.(map[string]any); ok && change.importID == "" {
				change.importID, _ = identity["id"].(string)
			}
		}
		changes = append(changes, change)
	}
	resp.Error = checkImportsOnly(changes, c.ids)
}

// Resource identity (Terraform 1.12+, OpenTofu 1.12+): polar_meter is identified by { id }, which an import block can
// name instead of a string ID.

// meterIdentityType is polar_meter's identity as Terraform holds it.
var meterIdentityType = tftypes.Object{AttributeTypes: map[string]tftypes.Type{"id": tftypes.String}}

// requireMeterIdentity checks that polar_meter declares the identity { id }, required to import.
func requireMeterIdentity(t *testing.T, server tfprotov6.ProviderServer) {
	t.Helper()
	resp, err := server.GetResourceIdentitySchemas(context.Background(), &tfprotov6.GetResourceIdentitySchemasRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range resp.Diagnostics {
		t.Errorf("identity schema diagnostic: %s: %s", d.Summary, d.Detail)
	}
	schema := resp.IdentitySchemas["polar_meter"]
	if schema == nil {
		t.Fatal("polar_meter declares no resource identity (resource.ResourceWithIdentity, IdentitySchema { id, RequiredForImport })")
	}
	if len(schema.IdentityAttributes) != 1 {
		t.Fatalf("polar_meter's identity has %d attributes, want only id", len(schema.IdentityAttributes))
	}
	id := schema.IdentityAttributes[0]
	if id.Name != "id" || !id.Type.Is(tftypes.String) || !id.RequiredForImport || id.OptionalForImport {
		t.Fatalf("polar_meter's identity attribute is %+v, want id, a string, required for import", id)
	}
	if schema.Version != 0 {
		t.Errorf("polar_meter's identity schema version is %d, want 0 (the first)", schema.Version)
	}
}

// meterIdentity encodes the identity { id }.
func meterIdentity(t *testing.T, id string) *tfprotov6.ResourceIdentityData {
	t.Helper()
	dv, err := tfprotov6.NewDynamicValue(meterIdentityType, tftypes.NewValue(meterIdentityType, map[string]tftypes.Value{
		"id": tftypes.NewValue(tftypes.String, id),
	}))
	if err != nil {
		t.Fatal(err)
	}
	return &tfprotov6.ResourceIdentityData{IdentityData: &dv}
}

// identityID decodes the id of an identity the provider returned; "" with a test error when there is none.
func identityID(t *testing.T, what string, identity *tfprotov6.ResourceIdentityData) string {
	t.Helper()
	if identity == nil || identity.IdentityData == nil {
		t.Errorf("%s: the provider returned no identity", what)
		return ""
	}
	v, err := identity.IdentityData.Unmarshal(meterIdentityType)
	if err != nil {
		t.Errorf("%s: identity: %v", what, err)
		return ""
	}
	return stringAttribute(t, what+": identity", v, "id")
}

// stringAttribute reads one string attribute of an object value.
func stringAttribute(t *testing.T, what string, object tftypes.Value, name string) string {
	t.Helper()
	var attrs map[string]tftypes.Value
	if err := object.As(&attrs); err != nil {
		t.Errorf("%s: %v", what, err)
		return ""
	}
	var s string
	if v, ok := attrs[name]; !ok || v.As(&s) != nil {
		t.Errorf("%s: no string %s in %v", what, name, object)
	}
	return s
}

// objectWith is a value of an object type with the given attributes set and every other one null.
func objectWith(typ tftypes.Type, set map[string]tftypes.Value) tftypes.Value {
	object := typ.(tftypes.Object)
	values := map[string]tftypes.Value{}
	for name, attrType := range object.AttributeTypes {
		values[name] = tftypes.NewValue(attrType, nil)
		if v, ok := set[name]; ok {
			values[name] = v
		}
	}
	return tftypes.NewValue(typ, values)
}

// meterConfigValue is the configuration of a polar_meter that counts every event, named name.
func meterConfigValue(t *testing.T, schema *tfprotov6.Schema, name string) (tftypes.Value, *tfprotov6.DynamicValue) {
	t.Helper()
	typ := schema.ValueType().(tftypes.Object)
	value := objectWith(typ, map[string]tftypes.Value{
		"name": tftypes.NewValue(tftypes.String, name),
		"filter": objectWith(typ.AttributeTypes["filter"], map[string]tftypes.Value{
			"conjunction": tftypes.NewValue(tftypes.String, "and"),
		}),
		"aggregation": objectWith(typ.AttributeTypes["aggregation"], map[string]tftypes.Value{
			"func": tftypes.NewValue(tftypes.String, "count"),
		}),
	})
	return value, dynamicValue(t, typ, value)
}

func dynamicValue(t *testing.T, typ tftypes.Type, value tftypes.Value) *tfprotov6.DynamicValue {
	t.Helper()
	dv, err := tfprotov6.NewDynamicValue(typ, value)
	if err != nil {
		t.Fatal(err)
	}
	return &dv
}

// errorDiagnostics fails the test on any error diagnostic of a protocol call.
func errorDiagnostics(t *testing.T, what string, err error, diags []*tfprotov6.Diagnostic) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	for _, d := range diags {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			t.Fatalf("%s: %s: %s", what, d.Summary, d.Detail)
		}
	}
}

// TestMeterIdentityThroughTheProtocol drives the provider as Terraform and OpenTofu do: create, update and read return
// the identity { id }, a read of state saved before identities existed adds it, and an import by identity adopts the
// meter (a malformed id is refused before any request, as an import by ID is).
func TestMeterIdentityThroughTheProtocol(t *testing.T) {
	polarServer, url := localpolar.NewTestServer(t, localpolar.Options{})
	server, err := providerserver.NewProtocol6WithError(New("test", WithDefaultServerURL(url))())()
	if err != nil {
		t.Fatal(err)
	}
	requireMeterIdentity(t, server)
	ctx := context.Background()
	t.Setenv(envAccessToken, localpolar.DefaultToken)
	configure, err := server.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{Config: providerConfigValue(t, nil)})
	errorDiagnostics(t, "configure", err, configure.Diagnostics)
	schemas, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	errorDiagnostics(t, "schema", err, schemas.Diagnostics)
	schema := schemas.ResourceSchemas["polar_meter"]
	typ := schema.ValueType()
	null := dynamicValue(t, typ, tftypes.NewValue(typ, nil))

	// Create: the identity is the new meter's id.
	_, config := meterConfigValue(t, schema, "identity-create")
	plan, err := server.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{
		TypeName: "polar_meter", PriorState: null, ProposedNewState: config, Config: config,
	})
	errorDiagnostics(t, "plan create", err, plan.Diagnostics)
	created, err := server.ApplyResourceChange(ctx, &tfprotov6.ApplyResourceChangeRequest{
		TypeName: "polar_meter", PriorState: null, PlannedState: plan.PlannedState, Config: config,
		PlannedPrivate: plan.PlannedPrivate, PlannedIdentity: plan.PlannedIdentity,
	})
	errorDiagnostics(t, "create", err, created.Diagnostics)
	state, err := created.NewState.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	id := stringAttribute(t, "created state", state, "id")
	if got := identityID(t, "create", created.NewIdentity); got != id || id == "" {
		t.Fatalf("create: identity id %q, state id %q: want the same meter id", got, id)
	}
	if _, ok := polarServer.MeterJSON(id); !ok {
		t.Fatalf("create: meter %s is not in Polar", id)
	}

	// Update (a rename): the identity stays.
	renamed, config := meterConfigValue(t, schema, "identity-renamed")
	proposed, err := tftypes.Transform(state, func(p *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
		if p.Equal(tftypes.NewAttributePath().WithAttributeName("name")) {
			var attrs map[string]tftypes.Value
			_ = renamed.As(&attrs)
			return attrs["name"], nil
		}
		return v, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	plan, err = server.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{
		TypeName: "polar_meter", PriorState: created.NewState, ProposedNewState: dynamicValue(t, typ, proposed),
		Config: config, PriorPrivate: created.Private, PriorIdentity: created.NewIdentity,
	})
	errorDiagnostics(t, "plan update", err, plan.Diagnostics)
	updated, err := server.ApplyResourceChange(ctx, &tfprotov6.ApplyResourceChangeRequest{
		TypeName: "polar_meter", PriorState: created.NewState, PlannedState: plan.PlannedState, Config: config,
		PlannedPrivate: plan.PlannedPrivate, PlannedIdentity: plan.PlannedIdentity,
	})
	errorDiagnostics(t, "update", err, updated.Diagnostics)
	if got := identityID(t, "update", updated.NewIdentity); got != id {
		t.Errorf("update: identity id %q, want %q", got, id)
	}
	if n := polarServer.CountRequests("PATCH", "/v1/meters/"+id); n != 1 {
		t.Errorf("update: %d PATCH requests, want 1", n)
	}

	// Read, with the identity Terraform holds, and without one (state saved before identities existed).
	for name, current := range map[string]*tfprotov6.ResourceIdentityData{"with identity": updated.NewIdentity, "state without identity": nil} {
		read, err := server.ReadResource(ctx, &tfprotov6.ReadResourceRequest{
			TypeName: "polar_meter", CurrentState: updated.NewState, Private: updated.Private, CurrentIdentity: current,
		})
		errorDiagnostics(t, "read "+name, err, read.Diagnostics)
		if got := identityID(t, "read "+name, read.NewIdentity); got != id {
			t.Errorf("read %s: identity id %q, want %q", name, got, id)
		}
	}

	// Import by identity: a meter made in Polar's dashboard, then read.
	dashboard := polarServer.PutMeter(dashboardMeterJSON(0))
	imported, err := server.ImportResourceState(ctx, &tfprotov6.ImportResourceStateRequest{
		TypeName: "polar_meter", Identity: meterIdentity(t, dashboard),
	})
	errorDiagnostics(t, "import by identity", err, imported.Diagnostics)
	if len(imported.ImportedResources) != 1 {
		t.Fatalf("import by identity: %d resources imported, want 1", len(imported.ImportedResources))
	}
	adopted := imported.ImportedResources[0]
	importedState, err := adopted.State.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	if got := stringAttribute(t, "imported state", importedState, "id"); got != dashboard {
		t.Errorf("import by identity: state id %q, want %q", got, dashboard)
	}
	if got := identityID(t, "import by identity", adopted.Identity); got != dashboard {
		t.Errorf("import by identity: identity id %q, want %q", got, dashboard)
	}
	read, err := server.ReadResource(ctx, &tfprotov6.ReadResourceRequest{
		TypeName: "polar_meter", CurrentState: adopted.State, Private: adopted.Private, CurrentIdentity: adopted.Identity,
	})
	errorDiagnostics(t, "read after import", err, read.Diagnostics)
	readState, err := read.NewState.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	if got := stringAttribute(t, "read after import", readState, "name"); got != "Dashboard meter 000" {
		t.Errorf("read after import: name %q, want the dashboard meter's", got)
	}
	if got := identityID(t, "read after import", read.NewIdentity); got != dashboard {
		t.Errorf("read after import: identity id %q, want %q", got, dashboard)
	}

	// Import by ID still works, and the read that follows it adds the identity.
	byID, err := server.ImportResourceState(ctx, &tfprotov6.ImportResourceStateRequest{TypeName: "polar_meter", ID: dashboard})
	errorDiagnostics(t, "import by ID", err, byID.Diagnostics)
	if len(byID.ImportedResources) != 1 {
		t.Fatalf("import by ID: %d resources imported, want 1", len(byID.ImportedResources))
	}
	read, err = server.ReadResource(ctx, &tfprotov6.ReadResourceRequest{
		TypeName: "polar_meter", CurrentState: byID.ImportedResources[0].State, CurrentIdentity: byID.ImportedResources[0].Identity,
	})
	errorDiagnostics(t, "read after import by ID", err, read.Diagnostics)
	if got := identityID(t, "read after import by ID", read.NewIdentity); got != dashboard {
		t.Errorf("read after import by ID: identity id %q, want %q", got, dashboard)
	}

	// A malformed id in an identity is refused as a malformed import ID is, before any request.
	before := len(polarServer.Requests())
	bad, err := server.ImportResourceState(ctx, &tfprotov6.ImportResourceStateRequest{
		TypeName: "polar_meter", Identity: meterIdentity(t, "not-a-uuid"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(bad.Diagnostics) == 0 || !strings.Contains(bad.Diagnostics[0].Summary+bad.Diagnostics[0].Detail, "UUID") {
		t.Errorf("import by identity { id = \"not-a-uuid\" }: want an error saying a meter id is a UUID, got %v", bad.Diagnostics)
	}
	if after := len(polarServer.Requests()); after != before {
		t.Errorf("a malformed identity reached Polar: %d requests", after-before)
	}
}

// identityImportMeter is a meter as Polar's dashboard makes it, and the configuration that matches it exactly.
const (
	identityImportMeter = `{
  "name": "Dashboard API requests",
  "unit": "scalar",
  "filter": {"conjunction": "and", "clauses": [
    {"conjunction": "or", "clauses": [
      {"property": "name", "operator": "eq", "value": "api.request"},
      {"property": "status_code", "operator": "lt", "value": 500},
      {"property": "retried", "operator": "eq", "value": true}
    ]}
  ]},
  "aggregation": {"func": "count"},
  "metadata": {"plan": "pro", "ratio": 2.0}
}`
	identityImportConfig = `
resource "polar_meter" "adopted" {
  name = "Dashboard API requests"
  filter = {
    conjunction = "and"
    groups = [{
      conjunction = "or"
      clauses = [
        { property = "name", operator = "eq", value = "api.request" },
        { property = "status_code", operator = "lt", int_value = 500 },
        { property = "retried", operator = "eq", bool_value = true },
      ]
    }]
  }
  aggregation = { func = "count" }
  metadata    = { plan = "pro", ratio = 2.0 }
}

import {
  to       = polar_meter.adopted
  identity = { id = %q }
}
`
)

// TestAccMeterIdentity_importBlock adopts a dashboard-made meter with `import { identity = { id = ... } }` through the
// real CLI (Terraform 1.12+ or OpenTofu 1.12+): one import, no change, nothing written, a clean plan after, the
// identity in state; then terraform-plugin-testing imports it again by the identity it finds in state.
func TestAccMeterIdentity_importBlock(t *testing.T) {
	target := newTestTarget(t)
	polarServer := target.needsLocal(t)
	provider, err := target.factories["polar"]()
	if err != nil {
		t.Fatal(err)
	}
	requireMeterIdentity(t, provider)
	id := polarServer.PutMeter(identityImportMeter)
	const address = "polar_meter.adopted"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{cliAtLeast{1, 12, "import by resource identity"}},
		Steps: []resource.TestStep{
			{
				Config: fmt.Sprintf(identityImportConfig, id),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{expectImportsOnly([]string{id})},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity(address, map[string]knownvalue.Check{"id": knownvalue.StringExact(id)}),
					statecheck.ExpectIdentityValueMatchesState(address, tfjsonpath.New("id")),
				},
				Check: noWritesTo(polarServer),
			},
			{
				// The same configuration without the import block: nothing to import, nothing to change.
				Config:           strings.SplitN(fmt.Sprintf(identityImportConfig, id), "\nimport {", 2)[0],
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				// In a fresh working directory, with the meter removed from a copy of the state: an import block naming
				// the identity found in state imports it with no change planned.
				ResourceName:    address,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
			},
		},
	})
}

// TestAccMeterIdentity_createdMeterHasIdentity: a meter Terraform creates has its identity in state at once, and
// terraform-plugin-testing's import by identity (an import block it writes from the state) plans no change.
func TestAccMeterIdentity_createdMeterHasIdentity(t *testing.T) {
	target := newTestTarget(t)
	provider, err := target.factories["polar"]()
	if err != nil {
		t.Fatal(err)
	}
	requireMeterIdentity(t, provider)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{cliAtLeast{1, 12, "resource identity"}},
		Steps: []resource.TestStep{
			{
				Config: meterHCL(testMeterName(t), typedMeterBody),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentityValueMatchesState(testAddress, tfjsonpath.New("id")),
				},
			},
			{
				ResourceName:    testAddress,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
			},
		},
	})
}
