package provider

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/polar-terraform/terraform-provider-polar/internal/localpolar"
)

// The tests of this file cover "never lose, duplicate or misattribute a meter": lost create answers found by the
// create's one-time marker, two workspaces with the same configuration, Polar's clock behind the machine's, Ctrl-C
// in a large apply, a read answered with another meter, the wrong token, organization or server, and archived
// meters. Most drive the real Terraform CLI themselves (tfWorkspace), because what they assert is in Terraform's
// warnings, exit codes and state file, which terraform-plugin-testing does not show; all assert on what the server
// holds and on its request log.

// otherOrganizationID is an organization that the default token does not belong to.
const otherOrganizationID = "1dbfc517-0bbf-4301-9ba8-555ca42b9737"

// otherOrganizationToken is an Organization Access Token of otherOrganizationID.
const otherOrganizationToken = "polar_oat_other_organization"

// cliCommandTimeout bounds every Terraform command of these tests.
const cliCommandTimeout = 5 * time.Minute

// terraformCLI is the Terraform CLI that tests driving it directly run; it skips outside acceptance runs and against
// the sandbox (these tests need the local server's hooks).
func terraformCLI(t *testing.T) string {
	t.Helper()
	if os.Getenv(resource.EnvTfAcc) == "" {
		t.Skip("acceptance test: set TF_ACC=1 (make test does)")
	}
	if sandboxRun() {
		t.Skip("needs the local Polar-compatible server's hooks")
	}
	return testCLI(t).path
}

// tfWorkspace is one Terraform working directory, driven with the real CLI against its own provider instance, served
// in this process for as long as the test runs.
type tfWorkspace struct {
	t         *testing.T
	terraform string
	dir       string
	env       []string
}

// newWorkspace serves p for the test and returns an empty working directory whose commands use it.
func newWorkspace(t *testing.T, terraformPath string, p func() provider.Provider) *tfWorkspace {
	t.Helper()
	dir := t.TempDir()
	writeReliabilityFile(t, filepath.Join(dir, "terraformrc"), "")
	reattach := serveForReattach(t, p)
	return &tfWorkspace{
		t:         t,
		terraform: terraformPath,
		dir:       dir,
		env: append(os.Environ(), "TF_REATTACH_PROVIDERS="+reattach, "TF_CLI_CONFIG_FILE="+filepath.Join(dir, "terraformrc"),
			"CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1"),
	}
}

// write replaces the workspace's configuration.
func (w *tfWorkspace) write(config string) {
	w.t.Helper()
	writeReliabilityFile(w.t, filepath.Join(w.dir, "main.tf"), config)
}

// command prepares a Terraform command in the workspace; ctx bounds it.
func (w *tfWorkspace) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, w.terraform, args...)
	cmd.Dir = w.dir
	cmd.Env = w.env
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

// startApply starts `terraform apply -auto-approve -input=false -no-color` in the background, bounded by
// cliCommandTimeout (and killed when the test ends): its output collects in output, and exited receives its end.
func (w *tfWorkspace) startApply() (apply *exec.Cmd, output *lockedBuffer, exited <-chan error) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cliCommandTimeout)
	w.t.Cleanup(cancel)
	output = &lockedBuffer{}
	apply = w.command(ctx, "apply", "-auto-approve", "-input=false", "-no-color")
	apply.Stdout, apply.Stderr = output, output
	if err := apply.Start(); err != nil {
		w.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- apply.Wait() }()
	return apply, output, done
}

// exitAfterInterrupt waits for a command started in the background to end after SIGINT, and returns how it ended; the
// test fails when it is still running 3 minutes later.
func exitAfterInterrupt(t *testing.T, exited <-chan error, output *lockedBuffer) error {
	t.Helper()
	select {
	case err := <-exited:
		return err
	case <-time.After(3 * time.Minute):
		t.Fatalf("terraform apply still running 3 minutes after SIGINT:\n%s", output.String())
		return nil
	}
}

// run runs one Terraform command within cliCommandTimeout.
func (w *tfWorkspace) run(args ...string) cliRun {
	w.t.Helper()
	return w.runWithin(cliCommandTimeout, args...)
}

// runWithin runs one Terraform command, failing the test when it is still running after timeout.
func (w *tfWorkspace) runWithin(timeout time.Duration, args ...string) cliRun {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var output lockedBuffer
	cmd := w.command(ctx, args...)
	cmd.Stdout, cmd.Stderr = &output, &output
	err := cmd.Run()
	if ctx.Err() != nil {
		w.t.Fatalf("terraform %s still running after %s:\n%s", strings.Join(args, " "), timeout, output.String())
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		w.t.Fatalf("terraform %s: %v", strings.Join(args, " "), err)
	}
	return newCLIRun(args, output.String(), cmd.ProcessState.ExitCode())
}

// apply runs `terraform apply` with machine-readable output.
func (w *tfWorkspace) apply(extra ...string) cliRun {
	w.t.Helper()
	return w.run(append([]string{"apply", "-auto-approve", "-input=false", "-json"}, extra...)...)
}

// plan runs `terraform plan -detailed-exitcode` with machine-readable output: exit 0 is no change, 2 changes, 1 an error.
func (w *tfWorkspace) plan(extra ...string) cliRun {
	w.t.Helper()
	return w.run(append([]string{"plan", "-input=false", "-detailed-exitcode", "-json"}, extra...)...)
}

// stateIDs are the meter ids of every polar_meter instance in the workspace's state file.
func (w *tfWorkspace) stateIDs() []string {
	w.t.Helper()
	return stateFileMeterIDs(w.t, filepath.Join(w.dir, "terraform.tfstate"))
}

// stateFile is the workspace's state file as written.
func (w *tfWorkspace) stateFile() string {
	w.t.Helper()
	raw, err := os.ReadFile(filepath.Join(w.dir, "terraform.tfstate"))
	if err != nil {
		w.t.Fatal(err)
	}
	return string(raw)
}

// stateInstance is one polar_meter instance of the state file.
type stateInstance struct {
	Address    string
	Status     string // "tainted", or "" for a healthy instance
	Attributes map[string]any
}

// stateInstances reads the polar_meter instances of the workspace's state file, in state order.
func (w *tfWorkspace) stateInstances() []stateInstance {
	w.t.Helper()
	var state struct {
		Resources []struct {
			Type      string `json:"type"`
			Name      string `json:"name"`
			Instances []struct {
				IndexKey   any            `json:"index_key"`
				Status     string         `json:"status"`
				Attributes map[string]any `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal([]byte(w.stateFile()), &state); err != nil {
		w.t.Fatal(err)
	}
	var out []stateInstance
	for _, r := range state.Resources {
		if r.Type != "polar_meter" {
			continue
		}
		for _, instance := range r.Instances {
			address := "polar_meter." + r.Name
			if instance.IndexKey != nil {
				address += fmt.Sprintf("[%v]", instance.IndexKey)
			}
			out = append(out, stateInstance{Address: address, Status: instance.Status, Attributes: instance.Attributes})
		}
	}
	return out
}

// cliRun is the outcome of one Terraform command.
type cliRun struct {
	args   []string
	output string
	code   int
	lines  []cliLine // the machine-readable lines of -json output
}

// cliLine is one line of Terraform's machine-readable UI (-json).
type cliLine struct {
	Type       string         `json:"type"`
	Message    string         `json:"@message"`
	Diagnostic *cliDiagnostic `json:"diagnostic"`
	Change     *struct {
		Resource struct {
			Addr string `json:"addr"`
		} `json:"resource"`
		Action string `json:"action"`
	} `json:"change"`
	Changes *struct {
		Add       int    `json:"add"`
		Change    int    `json:"change"`
		Remove    int    `json:"remove"`
		Operation string `json:"operation"`
	} `json:"changes"`
}

// cliDiagnostic is a warning or error as Terraform's machine-readable UI writes it.
type cliDiagnostic struct {
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Detail   string `json:"detail"`
	Address  string `json:"address"`
}

func newCLIRun(args []string, output string, code int) cliRun {
	run := cliRun{args: args, output: output, code: code}
	scanner := bufio.NewScanner(strings.NewReader(output))
	scanner.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for scanner.Scan() {
		var line cliLine
		if err := json.Unmarshal(scanner.Bytes(), &line); err == nil && line.Type != "" {
			run.lines = append(run.lines, line)
		}
	}
	return run
}

// String is the command and its output, for failure messages.
func (r cliRun) String() string {
	return fmt.Sprintf("terraform %s exited %d:\n%s", strings.Join(r.args, " "), r.code, r.output)
}

// diagnostics are the command's diagnostics of severity ("error" or "warning") whose summary is summary ("" is any).
func (r cliRun) diagnostics(severity, summary string) []cliDiagnostic {
	var out []cliDiagnostic
	for _, line := range r.lines {
		if d := line.Diagnostic; line.Type == "diagnostic" && d != nil && d.Severity == severity && (summary == "" || d.Summary == summary) {
			out = append(out, *d)
		}
	}
	return out
}

// actions maps each resource address the plan changes to its planned action ("create", "update", "replace", ...).
func (r cliRun) actions() map[string]string {
	out := map[string]string{}
	for _, line := range r.lines {
		if line.Type == "planned_change" && line.Change != nil {
			out[line.Change.Resource.Addr] = line.Change.Action
		}
	}
	return out
}

// mentions reports whether any diagnostic of the run contains text in its summary or detail.
func (r cliRun) mentions(text string) bool {
	for _, line := range r.lines {
		if d := line.Diagnostic; d != nil && (strings.Contains(d.Summary, text) || strings.Contains(d.Detail, text)) {
			return true
		}
	}
	return false
}

// sameIDs reports whether two lists hold the same meter ids, in any order.
func sameIDs(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	for i := range a {
		a[i] = strings.ToLower(a[i])
	}
	for i := range b {
		b[i] = strings.ToLower(b[i])
	}
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// writesTo lists the requests that can change something on the server: every method but GET.
func writesTo(server *localpolar.Server) []string {
	var out []string
	for _, r := range server.Requests() {
		if r.Method != http.MethodGet {
			out = append(out, fmt.Sprintf("%s %s → %d", r.Method, r.Path, r.Status))
		}
	}
	return out
}

// createMarkers are the one-time markers the POSTs since the last reset carried, in order.
func createMarkers(t *testing.T, server *localpolar.Server) []string {
	t.Helper()
	var markers []string
	for _, body := range bodiesOf(server, http.MethodPost) {
		metadata, _ := body["metadata"].(map[string]any)
		marker, ok := metadata[createMarkerKey].(string)
		if !ok {
			t.Fatalf("a POST carried no %s marker: %v", createMarkerKey, body)
		}
		markers = append(markers, marker)
	}
	return markers
}

// metersMarked are the ids of the server's meters whose metadata carries marker.
func metersMarked(server *localpolar.Server, marker string) []string {
	var out []string
	for _, id := range server.MeterIDs() {
		meter, _ := serverMeter(server, id)
		if metadata, _ := meter["metadata"].(map[string]any); metadata[createMarkerKey] == marker {
			out = append(out, id)
		}
	}
	return out
}

// markerLookups are the list requests that looked a create up by its marker.
func markerLookups(server *localpolar.Server, marker string) int {
	n := 0
	for _, r := range requestsTo(server, http.MethodGet, "/v1/meters/") {
		if r.Query.Get("metadata["+createMarkerKey+"]") == marker {
			n++
		}
	}
	return n
}

// nameSearches are the list requests that searched meters by name, which Polar matches as an unescaped ILIKE.
func nameSearches(server *localpolar.Server) []string {
	var out []string
	for _, r := range requestsTo(server, http.MethodGet, "/v1/meters/") {
		if r.Query.Has("query") {
			out = append(out, r.Query.Get("query"))
		}
	}
	return out
}

// expectAdoption checks an apply that lost its one POST's answer: it succeeded with the adoption warning and nothing
// saying a second apply is safe, the server holds exactly the meter the POST's marker names, the marker was looked up
// exactly (by metadata, not by name), and state tracks that meter. It returns the meter's id.
func expectAdoption(t *testing.T, w *tfWorkspace, server *localpolar.Server, apply cliRun) string {
	t.Helper()
	if apply.code != 0 {
		t.Fatalf("the apply must adopt the meter and succeed: %s", apply)
	}
	if errs := apply.diagnostics("error", ""); len(errs) > 0 {
		t.Fatalf("errors in a successful apply: %+v", errs)
	}
	warnings := apply.diagnostics("warning", "Meter adopted after a lost answer")
	if len(warnings) != 1 {
		t.Fatalf("want one warning \"Meter adopted after a lost answer\", got %+v\n%s", warnings, apply)
	}
	if apply.mentions("safe") {
		t.Errorf("a lost create must never be called safe to apply again:\n%s", apply)
	}
	posts := requestsTo(server, http.MethodPost, "/v1/meters/")
	if len(posts) != 1 || posts[0].Status == http.StatusCreated {
		t.Fatalf("POST answered %v: want one POST whose answer was lost, never sent again", statusesOf(posts))
	}
	marker := createMarkers(t, server)[0]
	marked := metersMarked(server, marker)
	if len(marked) != 1 {
		t.Fatalf("meters carrying the POST's marker %s: %v, want exactly one", marker, marked)
	}
	if n := markerLookups(server, marker); n != 1 {
		t.Errorf("%d list requests looked up metadata[%s]=%s, want 1", n, createMarkerKey, marker)
	}
	if searches := nameSearches(server); len(searches) > 0 {
		t.Errorf("the lost create was looked up by name (%q): Polar matches names as an unescaped ILIKE", searches)
	}
	if !strings.Contains(warnings[0].Detail, marked[0]) {
		t.Errorf("the warning does not name the adopted meter %s: %s", marked[0], warnings[0].Detail)
	}
	return marked[0]
}

// 1. A lost create answer is recovered by the create's one-time marker, even for a name full of LIKE pattern
// characters (a name search would find nothing, or another meter): one POST, one meter, adopted with a warning, and
// the marker stays out of state and plan. On 41d0b23 this failed: the lost create was searched by name with Polar's
// unescaped ILIKE `query`, which finds nothing for `C:\meters\50%_api` (backslash escapes the next character), so the
// apply failed "Meter not created ... applying again is safe" and the next apply made a second meter.
func TestAccMeterRecovery_lostCreateFoundByMarker(t *testing.T) {
	terraformPath := terraformCLI(t)
	const name = `C:\meters\50%_api`
	config := fmt.Sprintf("resource \"polar_meter\" \"test\" {\n  name = %q\n%s\n  metadata = { team = \"billing\", tier = 3 }\n}\n", name, countAll)
	for fault, f := range map[string]localpolar.Fault{
		"502_after_commit":     {Method: http.MethodPost, Status: http.StatusBadGateway, ApplyFirst: true},
		"dropped_after_commit": {Method: http.MethodPost, ApplyFirst: true, DropConnection: true},
	} {
		t.Run(fault, func(t *testing.T) {
			t.Parallel()
			server, url := localpolar.NewTestServer(t, localpolar.Options{})
			w := newWorkspace(t, terraformPath, New("acctest", WithDefaultServerURL(url)))
			w.write(config)
			server.InjectFault(f)

			id := expectAdoption(t, w, server, w.apply())
			if held, tracked := server.MeterIDs(), w.stateIDs(); len(held) != 1 || !sameIDs(tracked, held) {
				t.Fatalf("the server holds %v and state tracks %v: want the same one meter", held, tracked)
			}
			meter, _ := serverMeter(server, id)
			if meter["name"] != name {
				t.Errorf("the adopted meter is named %q, want %q", meter["name"], name)
			}

			// The marker is Polar's, not the configuration's: neither state nor a plan holds it.
			if strings.Contains(w.stateFile(), createMarkerKey) {
				t.Errorf("the state file holds the create marker:\n%s", w.stateFile())
			}
			instances := w.stateInstances()
			metadata, _ := instances[0].Attributes["metadata"].(map[string]any)
			if got, want := fmt.Sprint(metadata["value"]), fmt.Sprint(map[string]any{"team": "billing", "tier": 3}); got != want {
				t.Errorf("metadata in state = %s, want the configuration's %s", got, want)
			}
			server.ResetRequests()
			if plan := w.plan("-out=tfplan"); plan.code != 0 {
				t.Fatalf("the plan after adoption must be empty (exit 0): %s", plan)
			}
			show := w.run("show", "-json", "tfplan")
			if show.code != 0 || strings.Contains(show.output, createMarkerKey) {
				t.Errorf("the saved plan holds the create marker, or cannot be shown: %s", show)
			}

			// Applying again creates nothing.
			if again := w.apply(); again.code != 0 || len(again.actions()) != 0 {
				t.Fatalf("a second apply must change nothing: %s", again)
			}
			if writes := writesTo(server); len(writes) != 0 {
				t.Errorf("plan and a second apply wrote %v, want nothing", writes)
			}
			if held := server.MeterIDs(); len(held) != 1 {
				t.Errorf("the server holds %v, want the one adopted meter", held)
			}
		})
	}
}

// 2. Two working directories with the same configuration (same meter name) and their own provider instances, one
// Polar: B applies, then A applies and loses its POST's answer. A must adopt its own meter, never B's. On 41d0b23 A
// adopted B's meter: its name search found both identical meters, made within the last minute and not owned by A's
// provider instance, and took the oldest; both states then tracked B's meter and A's meter was orphaned.
func TestAccMeterRecovery_twoWorkspacesSameName(t *testing.T) {
	terraformPath := terraformCLI(t)
	t.Parallel()
	server, url := localpolar.NewTestServer(t, localpolar.Options{})
	config := meterHCL(testMeterName(t), countAll)
	a := newWorkspace(t, terraformPath, New("acctest", WithDefaultServerURL(url)))
	b := newWorkspace(t, terraformPath, New("acctest", WithDefaultServerURL(url)))
	a.write(config)
	b.write(config)

	if run := b.apply(); run.code != 0 {
		t.Fatalf("workspace B: %s", run)
	}
	bIDs := b.stateIDs()
	if len(bIDs) != 1 {
		t.Fatalf("workspace B tracks %v, want one meter", bIDs)
	}

	server.ResetRequests()
	server.InjectFault(localpolar.Fault{Method: http.MethodPost, Status: http.StatusBadGateway, ApplyFirst: true})
	applyA := a.apply()
	aIDs := a.stateIDs()
	if applyA.code != 0 || len(aIDs) != 1 {
		t.Fatalf("workspace A tracks %v, want one meter: %s", aIDs, applyA)
	}
	if strings.EqualFold(aIDs[0], bIDs[0]) {
		t.Fatalf("workspaces A and B both track meter %s; the server holds %v", aIDs[0], server.MeterIDs())
	}
	if held := server.MeterIDs(); len(held) != 2 || !sameIDs(held, append(slices.Clone(aIDs), bIDs...)) {
		t.Fatalf("the server holds %v; A tracks %v and B tracks %v: want exactly these two meters, none orphaned", held, aIDs, bIDs)
	}
	if adopted := expectAdoption(t, a, server, applyA); !strings.EqualFold(aIDs[0], adopted) {
		t.Fatalf("workspace A tracks %v, want the meter its own create made, %s", aIDs, adopted)
	}
	if run := b.plan(); run.code != 0 {
		t.Errorf("workspace B must still plan no change: %s", run)
	}

	// Destroying A archives A's meter and only it.
	server.ResetRequests()
	if run := a.run("destroy", "-auto-approve", "-input=false", "-json"); run.code != 0 {
		t.Fatalf("destroying workspace A: %s", run)
	}
	patches := requestsTo(server, http.MethodPatch, localpolar.MeterPathPattern)
	if len(patches) != 1 || !strings.EqualFold(patches[0].Path, "/v1/meters/"+aIDs[0]) {
		t.Errorf("destroying A sent %d PATCHes (%v), want one, to A's meter %s", len(patches), patches, aIDs[0])
	}
	aMeter, _ := serverMeter(server, aIDs[0])
	bMeter, _ := serverMeter(server, bIDs[0])
	if aMeter["archived_at"] == nil || bMeter["archived_at"] != nil {
		t.Errorf("after destroying A: A's meter archived_at %v (want set), B's %v (want null)", aMeter["archived_at"], bMeter["archived_at"])
	}
}

// 3. Polar's clock 90 s behind the machine's, and a lost create answer: the marker does not depend on clocks, so the
// meter is adopted exactly, and the apply never calls applying again safe. On 41d0b23 this failed: recovery took only
// meters created at most a minute before the POST by the machine's clock, so a meter stamped 90 s earlier by Polar was
// not found and the apply said "Meter not created ... applying again is safe", which would make a second meter.
func TestAccMeterRecovery_lostCreateWithPolarClockBehind(t *testing.T) {
	terraformPath := terraformCLI(t)
	t.Parallel()
	server, url := localpolar.NewTestServer(t, localpolar.Options{})
	server.SetClockOffset(-90 * time.Second)
	w := newWorkspace(t, terraformPath, New("acctest", WithDefaultServerURL(url)))
	w.write(meterHCL(testMeterName(t), countAll))
	server.InjectFault(localpolar.Fault{Method: http.MethodPost, Status: http.StatusBadGateway, ApplyFirst: true})

	started := time.Now()
	id := expectAdoption(t, w, server, w.apply())
	meter, _ := serverMeter(server, id)
	created, err := time.Parse(time.RFC3339Nano, fmt.Sprint(meter["created_at"]))
	if err != nil || !created.Before(started.Add(-time.Minute)) {
		t.Fatalf("created_at %v (%v): want Polar's clock 90 s behind the machine's, before %v", meter["created_at"], err, started.Add(-time.Minute))
	}
	if tracked, held := w.stateIDs(), server.MeterIDs(); len(held) != 1 || !sameIDs(tracked, held) {
		t.Fatalf("state tracks %v, the server holds %v: want the same one meter", tracked, held)
	}
	server.ResetRequests()
	if run := w.apply(); run.code != 0 || len(run.actions()) != 0 {
		t.Fatalf("a second apply must change nothing: %s", run)
	}
	if writes := writesTo(server); len(writes) != 0 || len(server.MeterIDs()) != 1 {
		t.Errorf("a second apply wrote %v; the server holds %v: want no write and one meter", writes, server.MeterIDs())
	}
}

// responseGate holds the answers to one method's requests until it is opened; the server handles each request (and
// records it) at once. It lets a test act while requests are certainly in flight, without relying on timing.
type responseGate struct {
	server http.Handler
	method string
	open   chan struct{}
	once   sync.Once
}

func newResponseGate(server http.Handler, method string) *responseGate {
	return &responseGate{server: server, method: method, open: make(chan struct{})}
}

// release lets every held and future answer through.
func (g *responseGate) release() { g.once.Do(func() { close(g.open) }) }

func (g *responseGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != g.method {
		g.server.ServeHTTP(w, r)
		return
	}
	recorded := httptest.NewRecorder()
	g.server.ServeHTTP(recorded, r)
	select {
	case <-g.open:
	case <-r.Context().Done():
		return
	}
	for key, values := range recorded.Header() {
		w.Header()[key] = values
	}
	w.WriteHeader(recorded.Code)
	_, _ = w.Write(recorded.Body.Bytes())
}

// 4. Ctrl-C in an apply of 25 meters, while 10 creates are in flight on a slow server: the creates already sent finish
// on a detached context, so every meter Polar made is in the state file and no meter in it is missing from Polar; the
// next apply creates exactly the missing meters. The server holds the first 10 answers until Terraform has taken the
// interrupt, so the test does not depend on timing.
func TestAccMeterRecovery_interruptedApplyOfManyMeters(t *testing.T) {
	terraformPath := terraformCLI(t)
	t.Parallel()
	const n = 25
	server := localpolar.New(localpolar.Options{})
	server.SetLatency(300 * time.Millisecond)
	gate := newResponseGate(server, http.MethodPost)
	front := httptest.NewServer(gate)
	t.Cleanup(front.Close)
	t.Cleanup(gate.release) // before front.Close: held handlers must return
	w := newWorkspace(t, terraformPath, New("acctest", WithDefaultServerURL(front.URL)))
	w.write(countedMeters("test", n, testMeterName(t)))

	apply, output, exited := w.startApply()

	// Terraform's default parallelism sends 10 creates at once; the gate holds their answers.
	waitFor(t, exited, output, 2*time.Minute, "10 POSTs in flight", func() bool {
		return server.CountRequests(http.MethodPost, "/v1/meters/") >= 10
	})
	if err := apply.Process.Signal(os.Interrupt); err != nil {
		t.Fatalf("cannot interrupt terraform apply: %v\n%s", err, output.String())
	}
	waitFor(t, exited, output, 2*time.Minute, "Terraform to take the interrupt", func() bool {
		return strings.Contains(output.String(), "Stopping operation")
	})
	gate.release()
	if err := exitAfterInterrupt(t, exited, output); err == nil {
		t.Errorf("terraform apply succeeded although interrupted:\n%s", output.String())
	}

	held, tracked := server.MeterIDs(), w.stateIDs()
	if !sameIDs(held, tracked) {
		t.Fatalf("after Ctrl-C the server holds %d meters %v and state tracks %d %v: want the same meters\n%s",
			len(held), held, len(tracked), tracked, output.String())
	}
	first := len(held)
	posts := requestsTo(server, http.MethodPost, "/v1/meters/")
	if first < 10 || first >= n || countStatus(posts, http.StatusCreated) != first || len(posts) != first {
		t.Fatalf("the interrupted apply sent %d POSTs (%v) and made %d meters: want at least the 10 in flight, fewer than %d, "+
			"every one answered 201", len(posts), statusesOf(posts), first, n)
	}
	t.Logf("the interrupted apply made %d of %d meters", first, n)

	// Applying again, on a fast server, creates exactly the missing meters.
	server.SetLatency(0)
	server.ResetRequests()
	if run := w.apply(); run.code != 0 {
		t.Fatalf("the second apply: %s", run)
	}
	if posts := server.CountRequests(http.MethodPost, "/v1/meters/"); posts != n-first {
		t.Errorf("the second apply sent %d POSTs, want the %d missing meters", posts, n-first)
	}
	if held, tracked := server.MeterIDs(), w.stateIDs(); len(held) != n || !sameIDs(held, tracked) {
		t.Errorf("after the second apply the server holds %d meters and state tracks %d (same: %t), want %d and the same",
			len(held), len(tracked), sameIDs(held, tracked), n)
	}
	if patches := server.CountRequests(http.MethodPatch, ""); patches != 0 {
		t.Errorf("the second apply sent %d PATCHes, want none", patches)
	}
}

// waitFor polls done every 20 ms until it holds, failing the test when the command exits first or timeout passes.
func waitFor(t *testing.T, exited <-chan error, output *lockedBuffer, timeout time.Duration, what string, done func() bool) {
	t.Helper()
	deadline := time.After(timeout)
	for !done() {
		select {
		case err := <-exited:
			t.Fatalf("terraform ended (%v) before %s:\n%s", err, what, output.String())
		case <-deadline:
			t.Fatalf("no %s within %s:\n%s", what, timeout, output.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// answerAnotherMeter serves the server, except that while it is set, GET of meter `from` is answered as GET of meter
// `to`, as a misrouting proxy or cache would.
type answerAnotherMeter struct {
	server   http.Handler
	mu       sync.Mutex
	from, to string
	answered atomic.Int32
}

func (a *answerAnotherMeter) set(from, to string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.from, a.to = from, to
}

func (a *answerAnotherMeter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	from, to := a.from, a.to
	a.mu.Unlock()
	if from != "" && r.Method == http.MethodGet && strings.EqualFold(r.URL.Path, "/v1/meters/"+from) {
		r = r.Clone(r.Context())
		r.URL.Path, r.URL.RawPath = "/v1/meters/"+to, ""
		a.answered.Add(1)
	}
	a.server.ServeHTTP(w, r)
}

// 5. A GET of a meter answered with another meter's body fails the refresh with both ids named; state keeps its id and
// nothing is written. The managed meter is archived, so the refresh reads it by id (archived meters are not in the
// live list pages). On 41d0b23 the refresh took the other meter's id into state without a word, and the next apply
// would have renamed and archived that other meter.
func TestAccMeterRecovery_wrongMeterAnswerFailsRefresh(t *testing.T) {
	terraformPath := terraformCLI(t)
	t.Parallel()
	server := localpolar.New(localpolar.Options{})
	other := server.PutMeter(`{"name": "Another meter", "filter": {"conjunction": "and", "clauses": []}, "aggregation": {"func": "count"}}`)
	otherBefore, _ := server.MeterJSON(other)
	misroute := &answerAnotherMeter{server: server}
	front := httptest.NewServer(misroute)
	t.Cleanup(front.Close)
	w := newWorkspace(t, terraformPath, New("acctest", WithDefaultServerURL(front.URL)))
	w.write(meterHCL(testMeterName(t), countAll+"\n  is_archived = true"))
	if run := w.apply(); run.code != 0 {
		t.Fatal(run)
	}
	ids := w.stateIDs()
	if len(ids) != 1 {
		t.Fatalf("state tracks %v, want one meter", ids)
	}
	id := ids[0]
	stateBefore := w.stateFile()

	server.ResetRequests()
	misroute.set(id, other)
	for _, run := range []cliRun{w.plan(), w.apply("-refresh-only")} {
		if run.code != 1 {
			t.Errorf("a refresh answered with another meter must fail: %s", run)
			continue
		}
		errs := run.diagnostics("error", "Cannot read meter")
		if len(errs) != 1 || !strings.Contains(errs[0].Detail, id) || !strings.Contains(errs[0].Detail, other) {
			t.Errorf("want one error \"Cannot read meter\" naming the meter asked for (%s) and the one answered (%s), got %+v\n%s",
				id, other, errs, run)
		}
	}
	if n := misroute.answered.Load(); n < 2 {
		t.Errorf("the GET of meter %s was answered with another meter %d times, want at least 2 (one per refresh)", id, n)
	}
	if writes := writesTo(server); len(writes) != 0 {
		t.Errorf("the failed refreshes wrote %v, want nothing", writes)
	}
	if after := w.stateFile(); after != stateBefore {
		t.Errorf("the failed refreshes changed the state file:\nbefore %s\nafter  %s", stateBefore, after)
	}

	misroute.set("", "")
	if run := w.plan(); run.code != 0 {
		t.Errorf("once Polar answers with the right meter the plan must be empty: %s", run)
	}
	if got := w.stateIDs(); !sameIDs(got, ids) {
		t.Errorf("state tracks %v, want the meter it always tracked, %s", got, id)
	}
	if after, _ := server.MeterJSON(other); string(after) != string(otherBefore) {
		t.Errorf("the other meter changed:\nbefore %s\nafter  %s", otherBefore, after)
	}
}

// 6. organization_id naming another organization, with an Organization Access Token, is refused before anything is
// written, on every apply: repeated applies never create, archive or retry anything. (TestAccMeter_* covers the message
// of one apply.) The server holds a meter of the token's organization, from which the provider learns it. On 41d0b23
// every apply created a meter in the token's organization and then archived it: two applies, two POSTs, two PATCHes
// and two stray meters.
func TestAccMeterRecovery_otherOrganizationRefusedOnEveryApply(t *testing.T) {
	target := newTestTarget(t)
	server := target.needsLocal(t)
	seed := server.PutMeter(`{"name": "Dashboard meter", "filter": {"conjunction": "and", "clauses": []}, "aggregation": {"func": "count"}}`)
	config := meterHCL(testMeterName(t), countAll+fmt.Sprintf("\n  organization_id = %q", otherOrganizationID))
	refused := errorLike(`organization_id names another organization.*` + otherOrganizationID + `.*` + localpolar.DefaultOrganizationID + `.*Nothing was created`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{
			{Config: config, ExpectError: refused},
			{Config: config, ExpectError: refused},
			{Config: config, ExpectError: refused},
		},
		CheckDestroy: func(*terraform.State) error {
			if writes := writesTo(server); len(writes) != 0 {
				return fmt.Errorf("three refused applies wrote %v, want nothing", writes)
			}
			if held := server.MeterIDs(); len(held) != 1 || held[0] != seed {
				return fmt.Errorf("the server holds %v, want only the meter it had, %s", held, seed)
			}
			return nil
		},
	})
}

// 7b. is_archived = true at creation and the archiving PATCH refused: the apply ends with a warning, not an error, so
// Terraform keeps the meter untainted (TestAccMeterReliability_failedArchiveAtCreateKeepsTheMeter follows the next
// plan and apply). On 41d0b23 the apply failed with an error, so Terraform tainted the meter and the next apply
// replaced it: a second meter.
func TestAccMeterRecovery_failedArchiveAtCreateWarns(t *testing.T) {
	terraformPath := terraformCLI(t)
	t.Parallel()
	server, url := localpolar.NewTestServer(t, localpolar.Options{})
	w := newWorkspace(t, terraformPath, New("acctest", WithDefaultServerURL(url)))
	w.write(meterHCL(testMeterName(t), countAll+"\n  is_archived = true"))
	server.InjectFault(localpolar.Fault{Method: http.MethodPatch, Path: localpolar.MeterPathPattern, Status: http.StatusForbidden})

	run := w.apply()
	if run.code != 0 || len(run.diagnostics("error", "")) != 0 {
		t.Fatalf("a create whose archive failed must not end in an error: %s", run)
	}
	warnings := run.diagnostics("warning", "Meter created but not archived")
	if len(warnings) != 1 || warnings[0].Address != testAddress || !strings.Contains(warnings[0].Detail, "403") {
		t.Fatalf("want one warning \"Meter created but not archived\" on %s naming the 403, got %+v\n%s", testAddress, warnings, run)
	}
	instances := w.stateInstances()
	held := server.MeterIDs()
	if len(instances) != 1 || len(held) != 1 || instances[0].Attributes["id"] != held[0] {
		t.Fatalf("state %+v, server %v: want the one meter made, in state", instances, held)
	}
	if instances[0].Status != "" {
		t.Errorf("the meter is %s in state, want it healthy: a tainted meter is replaced by a second one", instances[0].Status)
	}
	if meter, _ := serverMeter(server, held[0]); meter["archived_at"] != nil {
		t.Errorf("the server archived the meter although the PATCH was refused: %v", meter)
	}
	if plan := w.plan(); plan.code != 2 || !maps.Equal(plan.actions(), map[string]string{testAddress: "update"}) {
		t.Errorf("the next plan must archive the meter in place (update), nothing else: %v\n%s", plan.actions(), plan)
	}
}

// 8. Destroying a meter already archived (is_archived = true in state) sends nothing, so its archived_at stays: Polar
// moves archived_at when an archived meter is archived again. On 41d0b23 destroy always sent PATCH is_archived = true.
func TestAccMeterRecovery_destroyArchivedMeterSendsNothing(t *testing.T) {
	terraformPath := terraformCLI(t)
	for name, c := range map[string]struct {
		args     []string
		requests func(*localpolar.Server) error
	}{
		// Without a refresh the destroy sends no request at all.
		"without_refresh": {args: []string{"-refresh=false"}, requests: func(s *localpolar.Server) error {
			if n := len(s.Requests()); n != 0 {
				return fmt.Errorf("the destroy sent %d requests %v, want none", n, statusesOf(s.Requests()))
			}
			return nil
		}},
		// With a refresh it only reads.
		"with_refresh": {requests: func(s *localpolar.Server) error {
			if writes := writesTo(s); len(writes) != 0 {
				return fmt.Errorf("the destroy wrote %v, want nothing", writes)
			}
			return nil
		}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			server, url := localpolar.NewTestServer(t, localpolar.Options{})
			w := newWorkspace(t, terraformPath, New("acctest", WithDefaultServerURL(url)))
			w.write(meterHCL(testMeterName(t), countAll+"\n  is_archived = true"))
			if run := w.apply(); run.code != 0 {
				t.Fatal(run)
			}
			held := server.MeterIDs()
			before, _ := serverMeter(server, held[0])
			if len(held) != 1 || before["archived_at"] == nil {
				t.Fatalf("the server holds %v (%v), want one archived meter", held, before)
			}

			server.ResetRequests()
			run := w.run(append([]string{"destroy", "-auto-approve", "-input=false", "-json"}, c.args...)...)
			if run.code != 0 {
				t.Fatal(run)
			}
			if err := c.requests(server); err != nil {
				t.Error(err)
			}
			if len(run.diagnostics("warning", "Meter already archived: nothing sent")) != 1 {
				t.Errorf("want the warning \"Meter already archived: nothing sent\":\n%s", run)
			}
			if after, _ := serverMeter(server, held[0]); after["archived_at"] != before["archived_at"] {
				t.Errorf("archived_at moved from %v to %v", before["archived_at"], after["archived_at"])
			}
			if tracked := w.stateIDs(); len(tracked) != 0 {
				t.Errorf("state still tracks %v after destroy", tracked)
			}
		})
	}
}

// twoOrganizationTokens are the tokens of a server with two organizations: the default one and otherOrganizationID.
func twoOrganizationTokens() map[string]localpolar.Token {
	scopes := []string{localpolar.ScopeMetersRead, localpolar.ScopeMetersWrite}
	return map[string]localpolar.Token{
		localpolar.DefaultToken: {Kind: localpolar.OrganizationToken, OrganizationID: localpolar.DefaultOrganizationID, Scopes: scopes},
		otherOrganizationToken:  {Kind: localpolar.OrganizationToken, OrganizationID: otherOrganizationID, Scopes: scopes},
	}
}

// providerBlock is a provider block setting the given attributes.
func providerBlock(attributes ...string) string {
	return "provider \"polar\" {\n  " + strings.Join(attributes, "\n  ") + "\n}\n"
}

// 9. State made against one organization and server, then the provider pointed at another organization's token or at
// another server: every meter answers 404. Polar cannot delete meters, so the plan fails naming the meter, its
// organization and the server, writes nothing, and state keeps every meter. On 41d0b23 each 404 silently dropped the
// meter from state, and the plan proposed to create all three again, in the wrong organization or on the wrong server.
func TestAccMeterRecovery_wrongTokenOrServerFailsPlan(t *testing.T) {
	terraformPath := terraformCLI(t)
	for name, wrong := range map[string]func(t *testing.T, url string) (provider, server string, other *localpolar.Server){
		"token_of_another_organization": func(t *testing.T, url string) (string, string, *localpolar.Server) {
			return providerBlock(fmt.Sprintf("access_token = %q", otherOrganizationToken)), url, nil
		},
		"another_server": func(t *testing.T, _ string) (string, string, *localpolar.Server) {
			other, url := localpolar.NewTestServer(t, localpolar.Options{Tokens: twoOrganizationTokens()})
			return providerBlock(fmt.Sprintf("server_url = %q", url)), url, other
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			server, url := localpolar.NewTestServer(t, localpolar.Options{Tokens: twoOrganizationTokens()})
			// The other organization has meters of its own: the token sees meters, just none of this organization.
			server.PutMeter(fmt.Sprintf(`{"name": "Other organization's meter", "organization_id": %q, `+
				`"filter": {"conjunction": "and", "clauses": []}, "aggregation": {"func": "count"}}`, otherOrganizationID))
			w := newWorkspace(t, terraformPath, New("acctest", WithDefaultServerURL(url)))
			meters := countedMeters("test", 3, testMeterName(t))
			w.write(meters)
			if run := w.apply(); run.code != 0 {
				t.Fatal(run)
			}
			tracked := w.stateIDs()
			stateBefore := w.stateFile()

			wrongProvider, wrongURL, otherServer := wrong(t, url)
			w.write(wrongProvider + meters)
			server.ResetRequests()
			for _, run := range []cliRun{w.plan(), w.apply()} {
				if run.code != 1 {
					t.Errorf("with the wrong token or server, the command must fail: %s", run)
					continue
				}
				errs := run.diagnostics("error", "Meter not found: wrong token, organization or server?")
				var named []string
				for _, e := range errs {
					for _, id := range tracked {
						if strings.Contains(e.Detail, id) {
							named = append(named, id)
						}
					}
					if !strings.Contains(e.Detail, localpolar.DefaultOrganizationID) || !strings.Contains(e.Detail, wrongURL) {
						t.Errorf("the error does not name the organization %s and the server %s: %s", localpolar.DefaultOrganizationID, wrongURL, e.Detail)
					}
				}
				if !sameIDs(named, tracked) {
					t.Errorf("the errors name meters %v, want each of %v once:\n%s", named, tracked, run)
				}
			}
			for _, s := range []*localpolar.Server{server, otherServer} {
				if s == nil {
					continue
				}
				if writes := writesTo(s); len(writes) != 0 {
					t.Errorf("the failed plan and apply wrote %v, want nothing", writes)
				}
			}
			if len(server.MeterIDs()) != 4 || (otherServer != nil && len(otherServer.MeterIDs()) != 0) {
				t.Errorf("meters were created: %v", server.MeterIDs())
			}
			if after := w.stateFile(); after != stateBefore {
				t.Errorf("the state changed:\nbefore %s\nafter  %s", stateBefore, after)
			}

			// Back to the right token and server, nothing has changed.
			w.write(meters)
			if run := w.plan(); run.code != 0 {
				t.Errorf("with the right token and server the plan must be empty: %s", run)
			}
		})
	}
}

// 9b. When the token does see meters of the meter's organization, a 404 means the meter is really gone (only Polar's
// staff can delete one): the plan drops that meter from state with a warning, and only it.
func TestAccMeterRecovery_removedMeterLeavesStateWithWarning(t *testing.T) {
	terraformPath := terraformCLI(t)
	t.Parallel()
	server, url := localpolar.NewTestServer(t, localpolar.Options{})
	w := newWorkspace(t, terraformPath, New("acctest", WithDefaultServerURL(url)))
	w.write(countedMeters("test", 3, testMeterName(t)))
	if run := w.apply(); run.code != 0 {
		t.Fatal(run)
	}
	instances := w.stateInstances()
	if len(instances) != 3 {
		t.Fatalf("state holds %d meters, want 3", len(instances))
	}
	removed := instances[1]
	removedID := fmt.Sprint(removed.Attributes["id"])
	server.DeleteOutOfBand(removedID)

	server.ResetRequests()
	plan := w.plan("-out=tfplan")
	if plan.code != 2 {
		t.Fatalf("the plan must propose to create the removed meter again (exit 2): %s", plan)
	}
	warnings := plan.diagnostics("warning", "Meter no longer exists in Polar")
	if len(warnings) != 1 || !strings.Contains(warnings[0].Detail, removedID) {
		t.Errorf("want one warning \"Meter no longer exists in Polar\" naming %s, got %+v\n%s", removedID, warnings, plan)
	}
	if got := plan.actions(); !maps.Equal(got, map[string]string{removed.Address: "create"}) {
		t.Errorf("planned %v, want only %s created again", got, removed.Address)
	}
	show := w.run("show", "-json", "tfplan")
	var saved struct {
		PriorState struct {
			Values struct {
				RootModule struct {
					Resources []struct {
						Address string         `json:"address"`
						Values  map[string]any `json:"values"`
					} `json:"resources"`
				} `json:"root_module"`
			} `json:"values"`
		} `json:"prior_state"`
	}
	if err := json.Unmarshal([]byte(show.output), &saved); err != nil {
		t.Fatalf("%v: %s", err, show)
	}
	var refreshed []string
	for _, r := range saved.PriorState.Values.RootModule.Resources {
		refreshed = append(refreshed, fmt.Sprint(r.Values["id"]))
	}
	if want := []string{fmt.Sprint(instances[0].Attributes["id"]), fmt.Sprint(instances[2].Attributes["id"])}; !sameIDs(refreshed, want) {
		t.Errorf("the refreshed state holds %v, want %v: only the removed meter dropped", refreshed, want)
	}
	if writes := writesTo(server); len(writes) != 0 {
		t.Errorf("the plan wrote %v", writes)
	}

	if run := w.run("apply", "-input=false", "-json", "tfplan"); run.code != 0 {
		t.Fatal(run)
	}
	if posts, patches := server.CountRequests(http.MethodPost, ""), server.CountRequests(http.MethodPatch, ""); posts != 1 || patches != 0 {
		t.Errorf("the apply sent %d POSTs and %d PATCHes, want one POST", posts, patches)
	}
	if held, tracked := server.MeterIDs(), w.stateIDs(); len(held) != 3 || !sameIDs(held, tracked) {
		t.Errorf("the server holds %v and state tracks %v: want the same three meters", held, tracked)
	}
}

// closedPortURL is the URL of a loopback port that refuses connections: it was bound, then closed.
func closedPortURL(t *testing.T) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + listener.Addr().String()
	if err := listener.Close(); err != nil {
		t.Fatal(err)
	}
	return url
}

// A provider pointed at a port that refuses connections fails soon, naming the URL, for a create and for a refresh.
// The deadline is generous: it only bounds the test. On 41d0b23 a refused connection was retried for the whole
// 10-minute retry budget.
func TestAccMeterRecovery_unreachableServerFailsFast(t *testing.T) {
	terraformPath := terraformCLI(t)
	const deadline = 120 * time.Second
	t.Run("create", func(t *testing.T) {
		t.Parallel()
		closed := closedPortURL(t)
		w := newWorkspace(t, terraformPath, New("acctest", WithDefaultServerURL(closed)))
		w.write(meterHCL(testMeterName(t), countAll))
		run := w.runWithin(deadline, "apply", "-auto-approve", "-input=false", "-json")
		if errs := run.diagnostics("error", "Cannot create meter"); run.code != 1 || len(errs) != 1 || !strings.Contains(errs[0].Detail, "cannot connect to "+closed) {
			t.Errorf("want the create to fail with \"cannot connect to %s\": %s", closed, run)
		}
	})
	t.Run("refresh", func(t *testing.T) {
		t.Parallel()
		server, url := localpolar.NewTestServer(t, localpolar.Options{})
		w := newWorkspace(t, terraformPath, New("acctest", WithDefaultServerURL(url)))
		config := meterHCL(testMeterName(t), countAll)
		w.write(config)
		if run := w.apply(); run.code != 0 {
			t.Fatal(run)
		}
		closed := closedPortURL(t)
		w.write(providerBlock(fmt.Sprintf("server_url = %q", closed)) + config)
		run := w.runWithin(deadline, "plan", "-input=false", "-json")
		if errs := run.diagnostics("error", ""); run.code != 1 || len(errs) == 0 || !strings.Contains(errs[0].Detail, "cannot connect to "+closed) {
			t.Errorf("want the refresh to fail with \"cannot connect to %s\": %s", closed, run)
		}
		if tracked := w.stateIDs(); !sameIDs(tracked, server.MeterIDs()) {
			t.Errorf("state tracks %v, the server holds %v", tracked, server.MeterIDs())
		}
	})
}

// expectBearer checks that every request reached the server with exactly the token, authenticated.
func expectBearer(server *localpolar.Server, token string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		requests := server.Requests()
		if len(requests) == 0 {
			return errors.New("no request reached the server")
		}
		for _, r := range requests {
			if got := r.Header.Get("Authorization"); got != "Bearer "+token || r.Status == http.StatusUnauthorized {
				return fmt.Errorf("%s %s sent Authorization %q and was answered %d", r.Method, r.Path, got, r.Status)
			}
		}
		return nil
	}
}

// A token read with a trailing newline (file() of a token file, or an environment variable set from one) works: the
// provider trims it. On 41d0b23 it was sent as is, and Go refuses a header value with a newline, so every request failed.
func TestAccMeterRecovery_tokenWithTrailingNewline(t *testing.T) {
	t.Run("access_token", func(t *testing.T) {
		target := newTestTarget(t)
		server := target.needsLocal(t)
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: target.factories,
			Steps: []resource.TestStep{{
				Config: providerBlock(fmt.Sprintf("access_token = %q", localpolar.DefaultToken+"\n")) + meterHCL(testMeterName(t), countAll),
				Check:  resource.ComposeAggregateTestCheckFunc(expectBearer(server, localpolar.DefaultToken), stateMatchesServer(server, 1)),
			}},
		})
	})
	// Not parallel: the provider runs in this process and reads the environment variable here.
	t.Run("environment", func(t *testing.T) {
		target := newTestTarget(t)
		server := target.needsLocal(t)
		t.Setenv(envAccessToken, localpolar.DefaultToken+"\r\n")
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: target.factories,
			Steps: []resource.TestStep{{
				Config: meterHCL(testMeterName(t), countAll),
				Check:  resource.ComposeAggregateTestCheckFunc(expectBearer(server, localpolar.DefaultToken), stateMatchesServer(server, 1)),
			}},
		})
	})
}
