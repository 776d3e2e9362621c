package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/polar-terraform/terraform-provider-polar/internal/localpolar"
)

// examplesRoot holds the examples tfplugindocs renders into docs/, and examples/demo.
const examplesRoot = "../../examples"

// examplesProbeFile makes Terraform validate, configure and use the provider block of an example that declares no
// resource or data source (examples/provider): with nothing using it, Terraform would not even start the provider.
// It is a file added to the module, not an override: override files hide unsupported arguments in the block.
const (
	examplesProbeFile = "examples_test_probe.tf"
	examplesProbe     = `# Written by TestAccExamples: uses the example's provider block, which Terraform skips when nothing uses it.
data "polar_meters" "examples_test_probe" {}
`
)

var (
	providerBlockRE   = regexp.MustCompile(`(?m)^\s*provider\s+"polar"\s*\{`)
	apiBlockRE        = regexp.MustCompile(`(?m)^\s*(resource|data)\s+"polar_`)
	importCommandRE   = regexp.MustCompile(`(?m)^\s*terraform\s+import\s+(\S+)\s+(\S+)\s*$`)
	importToRE        = regexp.MustCompile(`(?m)^\s*to\s*=\s*(\S+)\s*$`)
	importIDRE        = regexp.MustCompile(`(?m)^(\s*id\s*=\s*)"([^"]*)"\s*$`)
	identityIDRE      = regexp.MustCompile(`(\bid\s*=\s*)"([^"]*)"`)
	identityBlockRE   = regexp.MustCompile(`(?m)^\s*identity\s*=\s*\{`)
	providerAddressRE = regexp.MustCompile(`Address:\s*"([^"]+)"`)
	serverSettingRE   = regexp.MustCompile(`(?m)^\s*server\s*=\s*"([^"]*)"`)
	serverURLRE       = regexp.MustCompile(`(?m)^\s*server_url\s*=\s*"([^"]*)"`)
	localModuleRE     = regexp.MustCompile(`(?m)^\s*source\s*=\s*"(\.\.?/[^"]*)"`)
	requiredVersionRE = regexp.MustCompile(`(?m)^\s*required_version\s*=\s*">=\s*(\d+)\.(\d+)[^"]*"`)
)

// exampleSeeds are the meters Polar holds before an example applies, for examples that adopt existing meters
// (paths under examples/, JSON arrays of meters as GET returns them).
var exampleSeeds = map[string]string{
	"bulk-adoption": "local-server/dashboard-meters.json",
}

// exampleModule is one configuration under examples/ that must apply on its own against an empty server.
type exampleModule struct {
	name          string   // subtest name: the example's path under examples/
	files         []string // the .tf files applied together
	importCommand string   // import.sh checked against this example's state, if any
	importBlock   string   // import-by-string-id.tf checked against this example's state, if any
	importByIdent string   // import-by-identity.tf checked against this example's state, if any (Terraform/OpenTofu 1.12+)
	dir           string   // the example's directory, whose subdirectories hold its local modules, if any
}

// TestAccExamples applies every example, verbatim, with the real Terraform CLI against a fresh local server, then
// expects an empty plan, checks the resource's import examples against what it created, and destroys (archives) it.
//
// Examples are found by walking examples/: in the tfplugindocs folders, each provider*.tf, resource*.tf and
// data-source*.tf file applies alone (as the docs show it), and import.sh / import-by-string-id.tf /
// import-by-identity.tf (Terraform and OpenTofu 1.12+) are checked against the resource*.tf example that declares the
// address they import to; any other folder (examples/demo) is
// one module, applied with its local modules (a directory another example calls with `source = "./..."` is applied
// through that example, not alone). Files tfplugindocs would not render there fail the test, so nothing in examples/
// goes untested. An example that adopts existing meters applies against a server seeded with exampleSeeds, and must
// import them all and change none; an example whose required_version asks for a newer CLI skips on older ones.
//
// The provider under test sends its requests through an HTTP client that delivers them all to the local server, so
// an example's provider block stays as written: examples/provider's `server = "sandbox"` is validated, resolved to
// the sandbox URL (the test checks every request was addressed to the server the example selects), and never
// leaves the machine. An example that only configures the provider gets examplesProbeFile so that it is used.
func TestAccExamples(t *testing.T) {
	examples := discoverExamples(t)
	// The examples declare the provider's real source address (required for them to apply on their own), so the
	// in-process provider is served under that address instead of terraform-plugin-testing's hashicorp/ default.
	// t.Setenv keeps this test out of parallel runs with the others; its subtests run in parallel with each other.
	// OpenTofu looks the same source up in its own registry, so under OpenTofu the host is registry.opentofu.org.
	host, namespace := providerAddress(t)
	if os.Getenv(resource.EnvTfAcc) != "" {
		host = testCLI(t).registryHost(host)
	}
	t.Setenv(resource.EnvTfAccProviderHost, host)
	t.Setenv(resource.EnvTfAccProviderNamespace, namespace)
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			// Skips without TF_ACC, and against the sandbox: examples make realistically named meters, which the
			// sandbox sweeper (tf-acc-test-*) would never find.
			newTestTarget(t).needsLocal(t)
			// testTarget's provider talks to its server through the URL it is given; the examples' provider must
			// keep the URL the example selects, so it gets a server of its own and a client that delivers there.
			server, serverURL := localpolar.NewTestServer(t, localpolar.Options{})
			if hasLocalModules(t, ex.dir) {
				t.Parallel()
				applyExampleWithCLI(t, server, newDeliverTo(t, serverURL), ex)
				return
			}
			resource.ParallelTest(t, exampleTestCase(t, server, newDeliverTo(t, serverURL), ex))
		})
	}
}

// exampleTestCase applies the example, then checks its import examples.
func exampleTestCase(t *testing.T, server *localpolar.Server, transport *deliverTo, ex exampleModule) resource.TestCase {
	dir := t.TempDir()
	module := ""
	for _, file := range ex.files {
		module += copyExampleFile(t, file, dir)
	}
	hasProviderBlock := providerBlockRE.MatchString(module)
	if !apiBlockRE.MatchString(module) {
		writeExampleFile(t, filepath.Join(dir, examplesProbeFile), examplesProbe)
	}

	ids := map[string]string{} // polar_meter address -> meter ID, once applied
	steps := []resource.TestStep{{
		ConfigDirectory:  config.StaticDirectory(dir),
		ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
		Check: resource.ComposeAggregateTestCheckFunc(
			exampleMetersOnServer(server, ids),
			transport.onlyTo(selectedServer(module)),
		),
	}}
	if seeded := seedExample(t, server, ex); seeded != nil {
		// The example adopts what Polar holds: every seeded meter imported, none changed, nothing written.
		steps[0].ConfigPlanChecks.PreApply = []plancheck.PlanCheck{expectImportsOnly(seeded)}
		steps[0].Check = resource.ComposeAggregateTestCheckFunc(steps[0].Check, noWritesTo(server))
	}

	if ex.importCommand != "" {
		address, _ := parseImportCommand(t, ex.importCommand)
		steps = append(steps, resource.TestStep{
			// `terraform import` in a fresh working directory, then every attribute compared with the applied state.
			ResourceName:      address,
			ImportState:       true,
			ImportStateVerify: true,
		})
	}

	if ex.importBlock != "" {
		// The example's import block, verbatim but for the ID of the meter created above, next to the example's
		// resources; the meter is removed from the copied state first, so it must import with no change planned.
		address, block := parseImportBlock(t, ex.importBlock)
		steps = append(steps,
			importBlockStep(t, dir, ids, ex.importBlock, address, block, importIDRE, resource.ImportBlockWithID))
	}

	if ex.importByIdent != "" {
		// The example's import block naming the meter by identity, verbatim but for the ID of the meter created
		// above, next to the example's resources; the meter is removed from the copied state first, so it must
		// import with no change planned, with the identity the state held.
		address, block := parseImportIdentityBlock(t, ex.importByIdent)
		step := importBlockStep(t, dir, ids, ex.importByIdent, address, block, identityIDRE,
			resource.ImportBlockWithResourceIdentity)
		// Import by identity needs Terraform or OpenTofu 1.12; on older ones only this step is skipped.
		step.SkipFunc = func() (bool, error) { return !testCLI(t).atLeast(1, 12), nil }
		steps = append(steps, step)
	}

	factories := providerFactories(New("acctest", WithHTTPClient(&http.Client{Transport: transport})))
	testCase := resource.TestCase{Steps: steps, CheckDestroy: exampleMetersArchived(server)}
	if m := requiredVersionRE.FindStringSubmatch(module); m != nil {
		major, _ := strconv.Atoi(m[1])
		minor, _ := strconv.Atoi(m[2])
		testCase.TerraformVersionChecks = []tfversion.TerraformVersionCheck{
			cliAtLeast{major, minor, fmt.Sprintf("examples/%s (required_version %q)", ex.name, strings.TrimSpace(m[0]))},
		}
	}
	if hasProviderBlock {
		// terraform-plugin-testing wants the providers of a configuration with a provider block on every step.
		for i := range testCase.Steps {
			testCase.Steps[i].ProtoV6ProviderFactories = factories
		}
	} else {
		testCase.ProtoV6ProviderFactories = factories
	}
	return testCase
}

// importBlockStep imports address with the import block of file (block, its text), written, once the first step has
// applied, with the ID of the meter created there in place of the one idRE matches, next to a copy of the example's
// files in dir.
func importBlockStep(t *testing.T, dir string, ids map[string]string, file, address, block string, idRE *regexp.Regexp,
	kind resource.ImportStateKind) resource.TestStep {
	importDir := t.TempDir()
	for _, entry := range readExampleDir(t, dir) {
		copyExampleFile(t, filepath.Join(dir, entry), importDir)
	}
	return resource.TestStep{
		PreConfig: func() {
			id, ok := ids[address]
			if !ok {
				t.Fatalf("%s imports to %s, which the example did not create", file, address)
			}
			rendered := idRE.ReplaceAllString(block, fmt.Sprintf("${1}%q", id))
			writeExampleFile(t, filepath.Join(importDir, filepath.Base(file)), rendered)
		},
		ConfigDirectory:        config.StaticDirectory(importDir),
		ResourceName:           address,
		ImportState:            true,
		ImportStateKind:        kind,
		ImportStateConfigExact: true,
	}
}

// seedExample stores the meters an adopting example finds in Polar (exampleSeeds) and returns their ids; nil for
// the other examples.
func seedExample(t *testing.T, server *localpolar.Server, ex exampleModule) []string {
	t.Helper()
	seed, ok := exampleSeeds[ex.name]
	if !ok {
		return nil
	}
	seeded, err := server.PutMeters([]byte(readExampleFile(t, filepath.Join(examplesRoot, seed))))
	if err != nil {
		t.Fatalf("%s: %v", seed, err)
	}
	return seeded
}

// applyExampleWithCLI applies an example that calls local modules, with its modules, by driving the CLI itself
// (terraform-plugin-testing refuses state with child modules), and checks what exampleTestCase checks: the meters in
// state are the ones on the server (an adopting example imports every seeded meter and writes nothing), requests go
// to the server the example selects, the next plan is clean, and destroy archives every meter.
func applyExampleWithCLI(t *testing.T, server *localpolar.Server, transport *deliverTo, ex exampleModule) {
	cli := testCLI(t)
	module := ""
	for _, file := range ex.files {
		module += readExampleFile(t, file)
	}
	if m := requiredVersionRE.FindStringSubmatch(module); m != nil {
		major, _ := strconv.Atoi(m[1])
		minor, _ := strconv.Atoi(m[2])
		if !cli.atLeast(major, minor) {
			t.Skipf("examples/%s asks for %s; the CLI under test is %s", ex.name, strings.TrimSpace(m[0]), cli.text)
		}
	}
	seeded := seedExample(t, server, ex)
	run := newExampleRun(t, cli, ex.dir, New("acctest", WithHTTPClient(&http.Client{Transport: transport})))
	run.ok("init", "-input=false")
	changes := run.plan()
	if seeded != nil {
		if err := checkImportsOnly(changes, seeded); err != nil {
			t.Fatalf("examples/%s: %v", ex.name, err)
		}
	}
	run.ok("apply", "-input=false", examplePlanFile)
	if seeded != nil {
		assertNoWrites(t, server)
	}
	if managed, held := run.stateMeterIDs(), slices.Sorted(slices.Values(server.MeterIDs())); !slices.Equal(managed, held) {
		t.Fatalf("state manages meters %v, the local server holds %v", managed, held)
	}
	if err := transport.onlyTo(selectedServer(module))(nil); err != nil {
		t.Fatal(err)
	}
	if out, code := run.exec("plan", "-input=false", "-detailed-exitcode"); code != 0 {
		t.Fatalf("the plan after apply should be clean (exit 0), got exit %d:\n%s", code, out)
	}
	run.ok("destroy", "-auto-approve", "-input=false")
	if err := exampleMetersArchived(server)(nil); err != nil {
		t.Fatal(err)
	}
	if left := run.stateMeterIDs(); len(left) != 0 {
		t.Fatalf("destroy left %d meters in state", len(left))
	}
}

// selectedServer is the base URL an example's provider block selects: server_url, else server, else production.
func selectedServer(module string) string {
	if m := serverURLRE.FindStringSubmatch(module); m != nil {
		return m[1]
	}
	if m := serverSettingRE.FindStringSubmatch(module); m != nil {
		return serverURLs[m[1]] // "" for a server the provider does not know: its validator fails the plan first
	}
	return serverURLs["production"]
}

// deliverTo is an HTTP transport that delivers every request to one server, whatever its URL, and remembers the
// origins the provider addressed.
type deliverTo struct {
	target  *url.URL
	mu      sync.Mutex
	origins map[string]int
}

func newDeliverTo(t *testing.T, target string) *deliverTo {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	return &deliverTo{target: u, origins: map[string]int{}}
}

func (d *deliverTo) RoundTrip(r *http.Request) (*http.Response, error) {
	d.mu.Lock()
	d.origins[r.URL.Scheme+"://"+r.URL.Host]++
	d.mu.Unlock()
	out := r.Clone(r.Context())
	out.URL.Scheme, out.URL.Host, out.Host = d.target.Scheme, d.target.Host, ""
	return http.DefaultTransport.RoundTrip(out)
}

// onlyTo checks that the provider addressed every request to the origin of base.
func (d *deliverTo) onlyTo(base string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		u, err := url.Parse(base)
		if err != nil {
			return err
		}
		want := u.Scheme + "://" + u.Host
		d.mu.Lock()
		defer d.mu.Unlock()
		for origin, n := range d.origins {
			if origin != want {
				return fmt.Errorf("%d requests addressed to %s; the example selects %s", n, origin, want)
			}
		}
		return nil
	}
}

// exampleMetersOnServer records the IDs of the example's meters and checks that each was made on the local server,
// and nothing else was.
func exampleMetersOnServer(server *localpolar.Server, ids map[string]string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		for _, m := range s.Modules {
			for address, rs := range m.Resources {
				if rs.Type != "polar_meter" || strings.HasPrefix(address, "data.") {
					continue
				}
				for i := len(m.Path) - 1; i > 0; i-- { // Path starts with "root"
					address = "module." + m.Path[i] + "." + address
				}
				ids[address] = rs.Primary.ID
				if _, ok := server.MeterJSON(rs.Primary.ID); !ok {
					return fmt.Errorf("%s: meter %s is not on the local server", address, rs.Primary.ID)
				}
			}
		}
		if got := len(server.MeterIDs()); got != len(ids) {
			return fmt.Errorf("the local server holds %d meters, the example's state %d", got, len(ids))
		}
		return nil
	}
}

// exampleMetersArchived checks that the example reached the local server at all, and that destroying it archived
// every meter it made (Polar cannot delete).
func exampleMetersArchived(server *localpolar.Server) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if len(server.Requests()) == 0 {
			return fmt.Errorf("the local server saw no request: the example did not use it")
		}
		for _, id := range server.MeterIDs() {
			raw, _ := server.MeterJSON(id)
			var meter struct {
				ArchivedAt *string `json:"archived_at"`
			}
			if err := json.Unmarshal(raw, &meter); err != nil {
				return err
			}
			if meter.ArchivedAt == nil {
				return fmt.Errorf("meter %s is not archived after destroy", id)
			}
		}
		return nil
	}
}

// discoverExamples walks examples/ into the examples to apply.
func discoverExamples(t *testing.T) []exampleModule {
	t.Helper()
	byDir := map[string][]string{} // directory -> its files
	err := filepath.WalkDir(examplesRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		byDir[filepath.Dir(path)] = append(byDir[filepath.Dir(path)], path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	modules := localModuleDirs(t, byDir)
	var examples []exampleModule
	for dir, files := range byDir {
		if modules[dir] {
			continue // applied through the example that calls it
		}
		rel, _ := filepath.Rel(examplesRoot, dir)
		slices.Sort(files)
		kind := strings.Split(filepath.ToSlash(rel), "/")[0]
		switch kind {
		case "provider", "resources", "data-sources":
			examples = append(examples, docsExamples(t, rel, kind, files)...)
		default:
			var tf []string
			for _, f := range files {
				if strings.HasSuffix(f, ".tf") {
					tf = append(tf, f)
				}
			}
			if len(tf) > 0 {
				examples = append(examples, exampleModule{name: filepath.ToSlash(rel), files: tf, dir: dir})
			}
		}
	}
	if len(examples) == 0 {
		t.Fatalf("no examples under %s", examplesRoot)
	}
	slices.SortFunc(examples, func(a, b exampleModule) int { return strings.Compare(a.name, b.name) })
	return examples
}

// localModuleDirs are the directories that an example calls as a local module (`source = "./modules/x"`).
func localModuleDirs(t *testing.T, byDir map[string][]string) map[string]bool {
	t.Helper()
	modules := map[string]bool{}
	for dir, files := range byDir {
		for _, f := range files {
			if !strings.HasSuffix(f, ".tf") {
				continue
			}
			for _, m := range localModuleRE.FindAllStringSubmatch(readExampleFile(t, f), -1) {
				called := filepath.Clean(filepath.Join(dir, m[1]))
				if _, ok := byDir[called]; !ok {
					t.Errorf("%s calls the local module %s, which holds no file", f, m[1])
				}
				modules[called] = true
			}
		}
	}
	return modules
}

// hasLocalModules reports whether an example's directory has subdirectories (its local modules).
func hasLocalModules(t *testing.T, dir string) bool {
	t.Helper()
	if dir == "" {
		return false
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return slices.ContainsFunc(entries, os.DirEntry.IsDir)
}

// docsExamples splits a tfplugindocs folder into one example per rendered file, with the import examples attached
// to the resource example that declares their address.
func docsExamples(t *testing.T, rel, kind string, files []string) []exampleModule {
	t.Helper()
	pattern := map[string]string{"provider": "provider*.tf", "resources": "resource*.tf", "data-sources": "data-source*.tf"}[kind]
	if kind != "provider" && strings.Count(filepath.ToSlash(rel), "/") != 1 {
		t.Fatalf("%s: tfplugindocs reads examples/%s/<type name>/ only", rel, kind)
	}
	var examples []exampleModule
	var importCommand, importBlock, importByIdentity string
	for _, f := range files {
		base := filepath.Base(f)
		switch matched, _ := filepath.Match(pattern, base); {
		case matched:
			examples = append(examples, exampleModule{name: filepath.ToSlash(filepath.Join(rel, base)), files: []string{f}})
		case kind == "resources" && base == "import.sh":
			importCommand = f
		case kind == "resources" && base == "import-by-string-id.tf":
			importBlock = f
		case kind == "resources" && base == "import-by-identity.tf":
			importByIdentity = f
		default:
			t.Errorf("%s: tfplugindocs does not render this file, so it would go untested; name it %s", f, pattern)
		}
	}
	attach := func(file, address string) {
		if file == "" {
			return
		}
		for i, ex := range examples {
			if resourceDeclared(t, ex.files[0], address) {
				switch file {
				case importCommand:
					examples[i].importCommand = file
				case importBlock:
					examples[i].importBlock = file
				default:
					examples[i].importByIdent = file
				}
				return
			}
		}
		t.Errorf("%s imports to %s, which no %s in its folder declares", file, address, pattern)
	}
	if importCommand != "" {
		address, _ := parseImportCommand(t, importCommand)
		attach(importCommand, address)
	}
	if importBlock != "" {
		address, _ := parseImportBlock(t, importBlock)
		attach(importBlock, address)
	}
	if importByIdentity != "" {
		address, _ := parseImportIdentityBlock(t, importByIdentity)
		attach(importByIdentity, address)
	}
	return examples
}

// resourceDeclared reports whether a file declares the resource at address (type.name).
func resourceDeclared(t *testing.T, file, address string) bool {
	resourceType, name, _ := strings.Cut(address, ".")
	re := regexp.MustCompile(`(?m)^\s*resource\s+"` + regexp.QuoteMeta(resourceType) + `"\s+"` + regexp.QuoteMeta(name) + `"`)
	return re.MatchString(readExampleFile(t, file))
}

// parseImportCommand reads the `terraform import <address> <id>` line of an import.sh; the ID must look like Polar's.
func parseImportCommand(t *testing.T, file string) (address, id string) {
	t.Helper()
	matches := importCommandRE.FindAllStringSubmatch(readExampleFile(t, file), -1)
	if len(matches) != 1 {
		t.Fatalf("%s: want exactly one `terraform import <address> <meter id>` line, found %d", file, len(matches))
	}
	address, id = matches[0][1], matches[0][2]
	if _, err := uuid.Parse(id); err != nil {
		t.Fatalf("%s: the example ID %q is not a UUID like Polar's meter IDs", file, id)
	}
	return address, id
}

// parseImportBlock reads the import block of an import-by-string-id.tf: its target address, and the file itself.
func parseImportBlock(t *testing.T, file string) (address, block string) {
	t.Helper()
	block = readExampleFile(t, file)
	to, ids := importToRE.FindAllStringSubmatch(block, -1), importIDRE.FindAllStringSubmatch(block, -1)
	if len(to) != 1 || len(ids) != 1 {
		t.Fatalf("%s: want one import block with one `to = <address>` and one `id = \"<meter id>\"`", file)
	}
	if _, err := uuid.Parse(ids[0][2]); err != nil {
		t.Fatalf("%s: the example ID %q is not a UUID like Polar's meter IDs", file, ids[0][2])
	}
	return to[0][1], block
}

// parseImportIdentityBlock reads the import block of an import-by-identity.tf: its target address, and the file
// itself, whose `identity = { id = "<meter id>" }` names the meter.
func parseImportIdentityBlock(t *testing.T, file string) (address, block string) {
	t.Helper()
	block = readExampleFile(t, file)
	to, ids := importToRE.FindAllStringSubmatch(block, -1), identityIDRE.FindAllStringSubmatch(block, -1)
	if len(to) != 1 || len(ids) != 1 || !identityBlockRE.MatchString(block) {
		t.Fatalf("%s: want one import block with one `to = <address>` and one `identity = { id = \"<meter id>\" }`", file)
	}
	if _, err := uuid.Parse(ids[0][2]); err != nil {
		t.Fatalf("%s: the example ID %q is not a UUID like Polar's meter IDs", file, ids[0][2])
	}
	return to[0][1], block
}

// providerAddress reads the provider's registry address from main.go, its one declaration, as host and namespace.
func providerAddress(t *testing.T) (host, namespace string) {
	t.Helper()
	m := providerAddressRE.FindStringSubmatch(readExampleFile(t, "../../main.go"))
	if m == nil {
		t.Fatal("main.go declares no provider Address")
	}
	parts := strings.Split(m[1], "/")
	if len(parts) != 3 || parts[2] != "polar" {
		t.Fatalf("main.go: provider address %q is not <host>/<namespace>/polar", m[1])
	}
	return parts[0], parts[1]
}

// copyExampleFile copies file into dir and returns its content.
func copyExampleFile(t *testing.T, file, dir string) string {
	t.Helper()
	content := readExampleFile(t, file)
	writeExampleFile(t, filepath.Join(dir, filepath.Base(file)), content)
	return content
}

func readExampleDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func readExampleFile(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeExampleFile(t *testing.T, file, content string) {
	t.Helper()
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestExamplesCoverEverySchema: every resource and data source has a rendered example, and every example folder
// names one, so docs/ shows an example for everything.
func TestExamplesCoverEverySchema(t *testing.T) {
	server, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	schemas, err := server.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for kind, names := range map[string]map[string]*tfprotov6.Schema{
		"resources":    schemas.ResourceSchemas,
		"data-sources": schemas.DataSourceSchemas,
	} {
		file := map[string]string{"resources": "resource.tf", "data-sources": "data-source.tf"}[kind]
		for name := range names {
			if _, err := os.Stat(filepath.Join(examplesRoot, kind, name, file)); err != nil {
				t.Errorf("%s %s has no example: add examples/%s/%s/%s", kind, name, kind, name, file)
			}
		}
		dirs, _ := os.ReadDir(filepath.Join(examplesRoot, kind))
		for _, d := range dirs {
			if names[d.Name()] == nil {
				t.Errorf("examples/%s/%s names no %s of the provider", kind, d.Name(), kind)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(examplesRoot, "provider", "provider.tf")); err != nil {
		t.Errorf("the provider has no example: add examples/provider/provider.tf")
	}
}
