package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/polar-terraform/terraform-provider-polar/internal/localpolar"
)

const testAddress = "polar_meter.test"

// meterHCL renders resource polar_meter.test; body holds everything but the name.
func meterHCL(name, body string) string {
	return fmt.Sprintf("resource \"polar_meter\" \"test\" {\n  name = %q\n%s\n}\n", name, body)
}

// countAll is the smallest meter body: every event, counted.
const countAll = `
  filter = {
    conjunction = "and"
  }
  aggregation = {
    func = "count"
  }`

// apiCallFilter is a filter matching one event name.
const apiCallFilter = `
  filter = {
    conjunction = "or"
    clauses = [{
      property = "name"
      operator = "eq"
      value    = "api.call"
    }]
  }`

// typedMeterBody uses every value type, two levels of nested groups, a custom unit and typed metadata.
const typedMeterBody = `
  unit              = "custom"
  custom_label      = "token"
  custom_multiplier = 1000
  filter = {
    conjunction = "and"
    clauses = [
      { property = "plan", operator = "eq", value = "100" },
      { property = "tokens", operator = "gt", int_value = 100 },
    ]
    groups = [{
      conjunction = "or"
      clauses     = [{ property = "beta", operator = "eq", bool_value = true }]
      groups = [{
        conjunction = "and"
        clauses     = [{ property = "region", operator = "like", value = "eu-" }]
      }]
    }]
  }
  aggregation = {
    func     = "sum"
    property = "tokens"
  }
  metadata = { team = "ai", tier = 3, ratio = 0.5, small = 0.1, beta = true }`

// at is a path into the test resource's state or plan.
func at(steps ...any) tfjsonpath.Path {
	p := tfjsonpath.New(steps[0].(string))
	for _, s := range steps[1:] {
		switch s := s.(type) {
		case string:
			p = p.AtMapKey(s)
		case int:
			p = p.AtSliceIndex(s)
		}
	}
	return p
}

// expect is a state check on the test resource.
func expect(path tfjsonpath.Path, check knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(testAddress, path, check)
}

// decodeJSON decodes a body keeping JSON number literals, so integers and floats stay distinguishable.
func decodeJSON(body []byte) (any, error) {
	var v any
	decoder := json.NewDecoder(bytes.NewReader(body))
	decoder.UseNumber()
	err := decoder.Decode(&v)
	return v, err
}

// bodiesOf lists the decoded bodies of the server's requests with this method.
func bodiesOf(server *localpolar.Server, method string) []map[string]any {
	var out []map[string]any
	for _, r := range server.Requests() {
		if r.Method != method {
			continue
		}
		v, err := decodeJSON(r.Body)
		if m, ok := v.(map[string]any); err == nil && ok {
			out = append(out, m)
		}
	}
	return out
}

// expectLastBody checks that the last request with this method carried exactly the JSON want.
func expectLastBody(server *localpolar.Server, method, want string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		bodies := bodiesOf(server, method)
		if len(bodies) == 0 {
			return fmt.Errorf("no %s request was sent", method)
		}
		wantValue, err := decodeJSON([]byte(want))
		if err != nil {
			return err
		}
		if got := bodies[len(bodies)-1]; !reflect.DeepEqual(any(got), wantValue) {
			gotJSON, _ := json.Marshal(got)
			return fmt.Errorf("last %s body = %s, want %s", method, gotJSON, want)
		}
		return nil
	}
}

// expectLastCreate checks that the last POST carried exactly want, plus the provider's one-time create marker: a fresh
// UUID under metadata.terraform_create_id, which the provider adds to every create and hides from state.
func expectLastCreate(server *localpolar.Server, want string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		bodies := bodiesOf(server, "POST")
		if len(bodies) == 0 {
			return fmt.Errorf("no POST request was sent")
		}
		got := bodies[len(bodies)-1]
		metadata, _ := got["metadata"].(map[string]any)
		marker, _ := metadata[createMarkerKey].(string)
		if _, err := uuid.Parse(marker); err != nil {
			return fmt.Errorf("the POST carried no one-time create marker (metadata %s = UUID): metadata %v", createMarkerKey, metadata)
		}
		delete(metadata, createMarkerKey)
		if len(metadata) == 0 {
			delete(got, "metadata")
		}
		wantValue, err := decodeJSON([]byte(want))
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(any(got), wantValue) {
			gotJSON, _ := json.Marshal(got)
			return fmt.Errorf("last POST body without its marker = %s, want %s", gotJSON, want)
		}
		return nil
	}
}

// writes counts the POST and PATCH requests the server has seen since the last reset.
func writes(server *localpolar.Server) int {
	return server.CountRequests("POST", "") + server.CountRequests("PATCH", "")
}

// expectNoWrite fails when the server has seen a POST or PATCH since the last reset.
func expectNoWrite(server *localpolar.Server) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if n := writes(server); n != 0 {
			return fmt.Errorf("%d writes (POST or PATCH) reached the server, want none: %v", n, requestLines(server))
		}
		return nil
	}
}

// requestLines renders the server's request log for a failure message.
func requestLines(server *localpolar.Server) []string {
	var lines []string
	for _, r := range server.Requests() {
		line := r.Method + " " + r.Path
		if len(r.Query) > 0 {
			line += "?" + r.Query.Encode()
		}
		lines = append(lines, fmt.Sprintf("%s → %d", line, r.Status))
	}
	return lines
}

// errorCase is one plan-only step of errorCaseSteps: the plan must fail with an error matching want (an errorLike
// pattern) that holds none of forbid, or, with ok, succeed and plan a change.
type errorCase struct {
	config string
	want   string
	forbid []string
	ok     bool
}

// internalsInErrors are texts a validation error must never show a user: the framework's conversion failure and the
// Go names of Terraform values.
var internalsInErrors = []string{"Value Conversion Error", "always an error in the provider", "basetypes", "tftypes",
	"ObjectValue", "MapValue", "big.Float", "attr.Value"}

// errorCaseSteps turns cases into plan-only steps and the TestCase.ErrorCheck that judges their errors: unlike
// ExpectError, it can also require that an error does not say something.
func errorCaseSteps(cases []errorCase) ([]resource.TestStep, resource.ErrorCheckFunc) {
	var current *errorCase
	steps := make([]resource.TestStep, len(cases))
	for i := range cases {
		c := &cases[i]
		steps[i] = resource.TestStep{PreConfig: func() { current = c }, Config: c.config, PlanOnly: true, ExpectNonEmptyPlan: c.ok}
	}
	check := func(err error) error {
		c := current
		if c == nil || c.ok {
			return err
		}
		text := err.Error()
		if !errorLike(c.want).MatchString(text) {
			return fmt.Errorf("want an error matching %q, got: %w", c.want, err)
		}
		for _, f := range append(slices.Clone(internalsInErrors), c.forbid...) {
			if strings.Contains(text, f) {
				return fmt.Errorf("the error must not say %q: %w", f, err)
			}
		}
		return nil
	}
	return steps, check
}

// expectRequests checks how many requests of each "METHOD path" the server has seen since the last reset, then resets.
func expectRequests(server *localpolar.Server, want map[string]int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		defer server.ResetRequests()
		for key, n := range want {
			method, path, _ := strings.Cut(key, " ")
			if got := server.CountRequests(method, path); got != n {
				return fmt.Errorf("%s: %d requests, want %d", key, got, n)
			}
		}
		return nil
	}
}

// storedMeter decodes the meter as the server holds it.
func storedMeter(server *localpolar.Server, s *terraform.State) (map[string]any, error) {
	id, err := stateMeterID(s, testAddress)
	if err != nil {
		return nil, err
	}
	meter, ok := serverMeter(server, id)
	if !ok {
		return nil, fmt.Errorf("meter %s is not on the server", id)
	}
	return meter, nil
}

// noPlannedChange asserts an empty plan after apply and refresh.
var noPlannedChange = resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}}

// plannedAction asserts the action planned for the test resource, and nothing after apply.
func plannedAction(action plancheck.ResourceActionType) resource.ConfigPlanChecks {
	return resource.ConfigPlanChecks{
		PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(testAddress, action)},
		PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
	}
}

func TestAccMeter_typedRoundTrip(t *testing.T) {
	target := newTestTarget(t)
	name := testMeterName(t)
	checks := []resource.TestCheckFunc{}
	if server := target.local; server != nil {
		checks = append(checks,
			// Value types are the point: "100" stays a string, 100 an integer, true a boolean, 0.5 a float.
			expectLastCreate(server, `{
				"name": "`+name+`", "unit": "custom", "custom_label": "token", "custom_multiplier": 1000,
				"filter": {"conjunction": "and", "clauses": [
					{"property": "plan", "operator": "eq", "value": "100"},
					{"property": "tokens", "operator": "gt", "value": 100},
					{"conjunction": "or", "clauses": [
						{"property": "beta", "operator": "eq", "value": true},
						{"conjunction": "and", "clauses": [{"property": "region", "operator": "like", "value": "eu-"}]}
					]}
				]},
				"aggregation": {"func": "sum", "property": "tokens"},
				"metadata": {"team": "ai", "tier": 3, "ratio": 0.5, "small": 0.1, "beta": true}
			}`),
			expectRequests(server, map[string]int{"POST /v1/meters/": 1, "PATCH ": 0}),
		)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{
			{
				Config:           meterHCL(name, typedMeterBody),
				Check:            resource.ComposeAggregateTestCheckFunc(checks...),
				ConfigPlanChecks: noPlannedChange,
				ConfigStateChecks: []statecheck.StateCheck{
					expect(at("id"), knownvalue.StringRegexp(regexp.MustCompile(`^[0-9a-f-]{36}$`))),
					expect(at("filter", "clauses", 0, "value"), knownvalue.StringExact("100")),
					expect(at("filter", "clauses", 0, "int_value"), knownvalue.Null()),
					expect(at("filter", "clauses", 1, "int_value"), knownvalue.Int64Exact(100)),
					expect(at("filter", "clauses", 1, "value"), knownvalue.Null()),
					expect(at("filter", "groups", 0, "clauses", 0, "bool_value"), knownvalue.Bool(true)),
					expect(at("filter", "groups", 0, "groups", 0, "clauses", 0, "value"), knownvalue.StringExact("eu-")),
					expect(at("metadata"), knownvalue.ObjectExact(map[string]knownvalue.Check{
						"team": knownvalue.StringExact("ai"), "tier": knownvalue.Int64Exact(3),
						"ratio": knownvalue.Float64Exact(0.5), "small": knownvalue.Float64Exact(0.1), "beta": knownvalue.Bool(true),
					})),
					expect(at("unit"), knownvalue.StringExact("custom")),
					expect(at("custom_multiplier"), knownvalue.Int64Exact(1000)),
					expect(at("is_archived"), knownvalue.Bool(false)),
					expect(at("archived_at"), knownvalue.Null()),
					expect(at("created_at"), knownvalue.NotNull()),
					expect(at("organization_id"), knownvalue.NotNull()),
				},
			},
			{ResourceName: testAddress, ImportState: true, ImportStateVerify: true},
			{ResourceName: testAddress, ImportState: true, ImportStateKind: resource.ImportBlockWithID},
		},
	})
}

func TestAccMeter_updatesSendOnlyWhatChanged(t *testing.T) {
	target := newTestTarget(t)
	name := testMeterName(t)
	step := func(body string, patch string, checks ...statecheck.StateCheck) resource.TestStep {
		s := resource.TestStep{Config: meterHCL(name, body), ConfigPlanChecks: plannedAction(plancheck.ResourceActionUpdate), ConfigStateChecks: checks}
		if server := target.local; server != nil {
			s.Check = resource.ComposeAggregateTestCheckFunc(expectLastBody(server, "PATCH", patch),
				expectRequests(server, map[string]int{"PATCH ": 1, "POST ": 0}))
		}
		return s
	}
	first := resource.TestStep{Config: meterHCL(name, countAll), ConfigPlanChecks: noPlannedChange}
	if server := target.local; server != nil {
		first.Check = expectRequests(server, map[string]int{"POST ": 1})
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{
			first,
			step(countAll+"\n  unit = \"token\"", `{"unit": "token", "custom_label": null, "custom_multiplier": null}`),
			step(countAll+"\n  unit = \"custom\"\n  custom_label = \"call\"\n  custom_multiplier = 10",
				`{"unit": "custom", "custom_label": "call", "custom_multiplier": 10}`),
			step(countAll+"\n  unit = \"custom\"\n  custom_label = \"request\"\n  custom_multiplier = 10", `{"custom_label": "request"}`),
			// Moving away from custom must clear label and multiplier explicitly: Polar's PATCH keeps them otherwise.
			step(countAll, `{"unit": "scalar", "custom_label": null, "custom_multiplier": null}`,
				expect(at("custom_label"), knownvalue.Null()), expect(at("custom_multiplier"), knownvalue.Null())),
			step(apiCallFilter+"\n  aggregation = {\n    func = \"count\"\n  }",
				`{"filter": {"conjunction": "or", "clauses": [{"property": "name", "operator": "eq", "value": "api.call"}]}}`),
			step(apiCallFilter+"\n  aggregation = {\n    func     = \"max\"\n    property = \"latency_ms\"\n  }",
				`{"aggregation": {"func": "max", "property": "latency_ms"}}`),
			step(countAll+"\n  metadata = { owner = \"billing\", seats = 5 }", `{"filter": {"conjunction": "and", "clauses": []}, "aggregation": {"func": "count"}, "metadata": {"owner": "billing", "seats": 5}}`),
			step(countAll, `{"metadata": {}}`, expect(at("metadata"), knownvalue.Null())),
			step(countAll+"\n  is_archived = true", `{"is_archived": true}`,
				expect(at("is_archived"), knownvalue.Bool(true)), expect(at("archived_at"), knownvalue.NotNull())),
			step(countAll+"\n  is_archived = false", `{"is_archived": false}`, expect(at("archived_at"), knownvalue.Null())),
			step(strings.Replace(countAll, "and", "or", 1), `{"filter": {"conjunction": "or", "clauses": []}}`),
		},
	})
}

func TestAccMeter_renameOnLockedMeter(t *testing.T) {
	target := newTestTarget(t)
	server := target.needsLocal(t)
	name := testMeterName(t)
	lock := func() {
		for _, id := range server.MeterIDs() {
			server.LockAggregation(id)
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{
			{Config: meterHCL(name, countAll)},
			{
				PreConfig: lock,
				Config:    meterHCL(name, strings.Replace(countAll, "and", "or", 1)),
				// The diagnostic names the attribute in its text as well as by its path, and says what works: a new meter
				// beside the locked one (which is normally attached to a product, so -replace could not archive it).
				ExpectError: errorLike(`Polar refused PATCH /v1/meters/[0-9a-f-]+: filter: This field can't be updated because the meter is already ` +
					`aggregating events.*add a new polar_meter resource with the new filter or aggregation, point your prices at it, then remove this resource`),
			},
			{
				Config: meterHCL(name, strings.Replace(countAll, `func = "count"`, "func = \"sum\"\n    property = \"n\"", 1)),
				ExpectError: errorLike(`Polar refused PATCH /v1/meters/[0-9a-f-]+: aggregation: This field can't be updated.*` +
					`point your prices at it`),
			},
			// The failed changes left state as it was, and a rename carries no filter, so it still works.
			{
				Config:           meterHCL(name+"-renamed", countAll),
				ConfigPlanChecks: plannedAction(plancheck.ResourceActionUpdate),
				Check:            expectLastBody(server, "PATCH", fmt.Sprintf(`{"name": %q}`, name+"-renamed")),
			},
		},
	})
}

func TestAccMeter_metadataPrefixIsOptional(t *testing.T) {
	target := newTestTarget(t)
	name := testMeterName(t)
	prefixed := `
  filter = {
    conjunction = "and"
    clauses = [{
      property  = "metadata.tokens"
      operator  = "gte"
      int_value = 1
    }]
  }
  aggregation = {
    func     = "sum"
    property = "metadata.tokens"
  }`
	var checkStored, checkNoWrite resource.TestCheckFunc
	if server := target.local; server != nil {
		checkStored = func(s *terraform.State) error {
			meter, err := storedMeter(server, s)
			if err != nil {
				return err
			}
			if got := meter["aggregation"].(map[string]any)["property"]; got != "tokens" {
				return fmt.Errorf("server stored aggregation property %v, want tokens", got)
			}
			return nil
		}
		// A refresh reads the live list, not the meter by ID: count what is sent, within the bound of one meter in one
		// page, min(N, ceil(T/100)) + A + 3 = 4, and that nothing is written.
		checkNoWrite = func(s *terraform.State) error {
			if n := len(server.Requests()); n > 4 {
				return fmt.Errorf("%d requests, want at most 4: %v", n, requestLines(server))
			}
			return expectNoWrite(server)(s)
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{
			{
				Config:            meterHCL(name, prefixed),
				ConfigPlanChecks:  noPlannedChange,
				Check:             checkOptional(checkStored),
				ConfigStateChecks: []statecheck.StateCheck{expect(at("aggregation", "property"), knownvalue.StringExact("metadata.tokens"))},
			},
			// Dropping the prefix changes only the spelling: Terraform shows an update, and the provider writes nothing.
			{
				PreConfig: func() {
					if target.local != nil {
						target.local.ResetRequests()
					}
				},
				Config:           meterHCL(name, strings.ReplaceAll(prefixed, "metadata.tokens", "tokens")),
				ConfigPlanChecks: plannedAction(plancheck.ResourceActionUpdate),
				Check:            checkOptional(checkNoWrite),
			},
		},
	})
}

// A property Polar holds as "metadata.x" must be written "metadata.metadata.x" (Polar strips one prefix): it applies
// once, Polar stores metadata.x, and it then plans clean instead of showing a diff forever.
func TestAccMeter_doubledMetadataPrefix(t *testing.T) {
	target := newTestTarget(t)
	body := `
  filter = {
    conjunction = "and"
    clauses = [{
      property = "metadata.metadata.x"
      operator = "eq"
      value    = "a"
    }]
  }
  aggregation = {
    func     = "sum"
    property = "metadata.metadata.x"
  }`
	var checkStored resource.TestCheckFunc
	if server := target.local; server != nil {
		checkStored = func(s *terraform.State) error {
			meter, err := storedMeter(server, s)
			if err != nil {
				return err
			}
			clause := meter["filter"].(map[string]any)["clauses"].([]any)[0].(map[string]any)
			if got := clause["property"]; got != "metadata.x" {
				return fmt.Errorf("server stored clause property %v, want metadata.x", got)
			}
			if got := meter["aggregation"].(map[string]any)["property"]; got != "metadata.x" {
				return fmt.Errorf("server stored aggregation property %v, want metadata.x", got)
			}
			return expectRequests(server, map[string]int{"POST ": 1, "PATCH ": 0})(s)
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{
			{
				Config:           meterHCL(testMeterName(t), body),
				ConfigPlanChecks: noPlannedChange,
				Check:            checkOptional(checkStored),
				ConfigStateChecks: []statecheck.StateCheck{
					expect(at("filter", "clauses", 0, "property"), knownvalue.StringExact("metadata.metadata.x")),
					expect(at("aggregation", "property"), knownvalue.StringExact("metadata.metadata.x")),
				},
			},
			// Import reads Polar's metadata.x back in the same spelling.
			{ResourceName: testAddress, ImportState: true, ImportStateVerify: true},
		},
	})
}

// checkOptional runs a check that only the local server can answer.
func checkOptional(check resource.TestCheckFunc) resource.TestCheckFunc {
	if check == nil {
		return func(*terraform.State) error { return nil }
	}
	return check
}

func TestAccMeter_archiveInPlace(t *testing.T) {
	target := newTestTarget(t)
	name := testMeterName(t)
	archivedAtCreation := resource.TestStep{
		Config:            meterHCL(name, countAll+"\n  is_archived = true"),
		ConfigPlanChecks:  noPlannedChange,
		ConfigStateChecks: []statecheck.StateCheck{expect(at("archived_at"), knownvalue.NotNull())},
	}
	archivedAgain := resource.TestStep{
		Config:            meterHCL(name, countAll+"\n  is_archived = true"),
		ConfigPlanChecks:  plannedAction(plancheck.ResourceActionUpdate),
		ConfigStateChecks: []statecheck.StateCheck{expect(at("archived_at"), knownvalue.NotNull())},
	}
	var checkDestroy resource.TestCheckFunc
	if server := target.local; server != nil {
		archivedAtCreation.Check = resource.ComposeAggregateTestCheckFunc(
			expectLastBody(server, "PATCH", `{"is_archived": true}`),
			expectRequests(server, map[string]int{"POST ": 1, "PATCH ": 1}),
		)
		// Destroying a meter that is already archived sends nothing: archiving it again would move archived_at.
		var archivedAt any
		archivedAgain.Check = func(s *terraform.State) error {
			meter, err := storedMeter(server, s)
			if err != nil {
				return err
			}
			archivedAt = meter["archived_at"]
			server.ResetRequests()
			return nil
		}
		checkDestroy = func(*terraform.State) error {
			if err := allArchived(server, 1); err != nil {
				return err
			}
			if err := expectNoWrite(server)(nil); err != nil {
				return fmt.Errorf("destroying an archived meter: %w", err)
			}
			if meter, _ := serverMeter(server, server.MeterIDs()[0]); meter["archived_at"] != archivedAt {
				return fmt.Errorf("destroy moved archived_at from %v to %v", archivedAt, meter["archived_at"])
			}
			return nil
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		CheckDestroy:             checkOptional(checkDestroy),
		Steps: []resource.TestStep{
			archivedAtCreation,
			// A rename keeps archived_at known in the plan: it moves only when is_archived does.
			{
				Config: meterHCL(name+"-renamed", countAll+"\n  is_archived = true"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAddress, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(testAddress, at("archived_at"), knownvalue.NotNull()),
				}},
			},
			{
				Config:            meterHCL(name, countAll),
				ConfigPlanChecks:  plannedAction(plancheck.ResourceActionUpdate),
				ConfigStateChecks: []statecheck.StateCheck{expect(at("is_archived"), knownvalue.Bool(false)), expect(at("archived_at"), knownvalue.Null())},
			},
			archivedAgain,
		},
	})
}

func TestAccMeter_archivedOutsideTerraformIsRestored(t *testing.T) {
	target := newTestTarget(t)
	server := target.needsLocal(t)
	name := testMeterName(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		CheckDestroy:             func(*terraform.State) error { return allArchived(server, 1) },
		Steps: []resource.TestStep{
			{Config: meterHCL(name, countAll)},
			// Archived in the dashboard: drift on is_archived, and the plan restores it.
			{
				PreConfig: func() {
					for _, id := range server.MeterIDs() {
						server.ArchiveOutOfBand(id)
					}
					server.ResetRequests()
				},
				Config:            meterHCL(name, countAll),
				ConfigPlanChecks:  plannedAction(plancheck.ResourceActionUpdate),
				Check:             expectLastBody(server, "PATCH", `{"is_archived": false}`),
				ConfigStateChecks: []statecheck.StateCheck{expect(at("archived_at"), knownvalue.Null())},
			},
		},
	})
}

// countMeterJSON is a meter as the dashboard stores it in DefaultOrganizationID, the organization of the test token.
func countMeterJSON(name string) string {
	return fmt.Sprintf(`{"name": %q, "filter": {"conjunction": "and", "clauses": []}, "aggregation": {"func": "count"}}`, name)
}

// A meter gone from Polar (only Polar's staff can delete one) leaves state, and is made again, only once the token is
// shown to see the meter's organization: another meter of it was read, live from the list or archived by
// organization_id.
func TestAccMeter_disappearedMeterIsRecreated(t *testing.T) {
	for name, archivedNeighbour := range map[string]bool{"another_live_meter": false, "another_archived_meter": true} {
		t.Run(name, func(t *testing.T) {
			target := newTestTarget(t)
			server := target.needsLocal(t)
			neighbour := server.PutMeter(countMeterJSON("Neighbour"))
			if archivedNeighbour {
				server.ArchiveOutOfBand(neighbour)
			}
			meterName := testMeterName(t)
			var firstID string
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: target.factories,
				Steps: []resource.TestStep{
					createMeterStep(meterName, &firstID),
					{
						PreConfig: deleteOutOfBand(server, &firstID),
						Config:    meterHCL(meterName, countAll),
						ConfigPlanChecks: resource.ConfigPlanChecks{
							PreApply: []plancheck.PlanCheck{
								plancheck.ExpectResourceAction(testAddress, plancheck.ResourceActionCreate),
								serverPlanCheck(func() error {
									// An archived neighbour is not in the live list: the organization is confirmed by asking for it.
									asked := 0
									for _, r := range server.Requests() {
										if r.Method == "GET" && r.Path == "/v1/meters/" && r.Query.Get("organization_id") == localpolar.DefaultOrganizationID {
											asked++
										}
									}
									if archivedNeighbour && asked != 1 {
										return fmt.Errorf("want one list by organization_id, got %d: %v", asked, requestLines(server))
									}
									return nil
								}),
							},
							PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
						},
						ConfigStateChecks: []statecheck.StateCheck{
							expect(at("id"), knownvalue.StringFunc(func(id string) error {
								if id == firstID || id == neighbour {
									return fmt.Errorf("state holds %s, not a new meter", id)
								}
								return nil
							})),
						},
					},
				},
			})
		})
	}
}

// createMeterStep applies a count meter named name and keeps its id in *id, for the steps after it.
func createMeterStep(name string, id *string) resource.TestStep {
	return resource.TestStep{
		Config: meterHCL(name, countAll),
		Check: func(s *terraform.State) (err error) {
			*id, err = stateMeterID(s, testAddress)
			return err
		},
	}
}

// deleteOutOfBand is a step's PreConfig that deletes meter *id from the server, as only Polar's staff can, then
// forgets the requests so far.
func deleteOutOfBand(server *localpolar.Server, id *string) func() {
	return func() {
		server.DeleteOutOfBand(*id)
		server.ResetRequests()
	}
}

// When the vanished meter was the only one the token could see, a 404 proves nothing (wrong token, organization or
// server look the same): the plan fails and nothing is written, until another meter of the organization shows it.
func TestAccMeter_disappearedOnlyMeterStopsThePlan(t *testing.T) {
	target := newTestTarget(t)
	server := target.needsLocal(t)
	name := testMeterName(t)
	var firstID string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{
			createMeterStep(name, &firstID),
			{
				PreConfig: deleteOutOfBand(server, &firstID),
				Config:    meterHCL(name, countAll),
				// The ID is not known when the steps are built: the message is matched by the meter's name.
				ExpectError: errorLike(`Meter not found: wrong token, organization or server\?.*` + regexp.QuoteMeta(name) + `.*` +
					localpolar.DefaultOrganizationID + `.*404 Not Found.*sees no meter of that organization.*Nothing was changed`),
			},
			// Nothing was written, and the meter is still in state: once the organization shows another meter, the same
			// configuration drops the vanished one and creates it again.
			{
				PreConfig: func() {
					if err := expectNoWrite(server)(nil); err != nil {
						t.Errorf("the failed plan wrote: %v", err)
					}
					server.PutMeter(countMeterJSON("Neighbour"))
				},
				Config:           meterHCL(name, countAll),
				ConfigPlanChecks: plannedAction(plancheck.ResourceActionCreate),
			},
		},
	})
}

// serverPlanCheck adapts a function to plancheck.PlanCheck, to check the server once a plan is made.
type serverPlanCheck func() error

func (f serverPlanCheck) CheckPlan(_ context.Context, _ plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	resp.Error = f()
}

func TestAccMeter_refusedArchiveKeepsState(t *testing.T) {
	target := newTestTarget(t)
	server := target.needsLocal(t)
	name := testMeterName(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{
			{Config: meterHCL(name, countAll)},
			{
				PreConfig: func() {
					for _, id := range server.MeterIDs() {
						server.AttachToActiveProduct(id)
					}
				},
				Config:      meterHCL(name, countAll),
				Destroy:     true,
				ExpectError: errorLike(`still attached to active products`),
			},
			// Still in state: the same configuration plans nothing.
			{
				PreConfig: func() {
					for _, id := range server.MeterIDs() {
						server.DetachFromActiveProducts(id)
					}
				},
				Config:           meterHCL(name, countAll),
				ConfigPlanChecks: plannedAction(plancheck.ResourceActionNoop),
			},
		},
	})
}

// dashboardMeter is a meter as Polar's dashboard makes it: only nested groups at the root, values typed by the dashboard.
const dashboardMeter = `{
  "name": "Dashboard meter",
  "unit": "scalar",
  "filter": {"conjunction": "and", "clauses": [
    {"conjunction": "or", "clauses": [
      {"property": "timestamp", "operator": "gte", "value": 1700000000},
      {"property": "paid", "operator": "eq", "value": true}
    ]},
    {"conjunction": "and", "clauses": [
      {"property": "model", "operator": "like", "value": "gpt-"},
      {"property": "tier", "operator": "eq", "value": "2"}
    ]}
  ]},
  "aggregation": {"func": "avg", "property": "latency"},
  "metadata": {"source": "dashboard", "weight": 1.5, "whole": 2.0, "count": 7, "live": false}
}`

// mixedOrderMeter interleaves groups and conditions, as Polar's API allows.
const mixedOrderMeter = `{
  "name": "Mixed order meter",
  "filter": {"conjunction": "or", "clauses": [
    {"conjunction": "and", "clauses": [{"property": "a", "operator": "eq", "value": 1}]},
    {"property": "b", "operator": "ne", "value": "x"},
    {"conjunction": "and", "clauses": [{"property": "c", "operator": "lt", "value": 3}]},
    {"property": "d", "operator": "eq", "value": false}
  ]},
  "aggregation": {"func": "count"}
}`

func TestAccMeter_adoptDashboardMeters(t *testing.T) {
	for name, meter := range map[string]string{"dashboard": dashboardMeter, "mixed_order": mixedOrderMeter} {
		t.Run(name, func(t *testing.T) {
			target := newTestTarget(t)
			server := target.needsLocal(t)
			id := server.PutMeter(meter)
			before, _ := server.MeterJSON(id)
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: target.factories,
				Steps: []resource.TestStep{{
					// plan -generate-config-out must yield configuration whose import plans no change at all.
					Config:          `terraform {}`,
					ResourceName:    "polar_meter.adopted",
					ImportState:     true,
					ImportStateKind: resource.ImportBlockWithID,
					ImportStateId:   id,
					GenerateConfig:  true,
				}},
				CheckDestroy: func(*terraform.State) error {
					after, _ := server.MeterJSON(id)
					if !bytes.Equal(before, after) {
						return fmt.Errorf("adopting changed the meter:\nbefore %s\nafter  %s", before, after)
					}
					return expectRequests(server, map[string]int{"POST ": 0, "PATCH ": 0})(nil)
				},
			})
		})
	}
}

func TestAccMeter_importHandWrittenDashboardMeter(t *testing.T) {
	target := newTestTarget(t)
	server := target.needsLocal(t)
	id := server.PutMeter(dashboardMeter)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
import {
  to = polar_meter.test
  id = %q
}
resource "polar_meter" "test" {
  name = "Dashboard meter"
  filter = {
    conjunction = "and"
    groups = [
      {
        conjunction = "or"
        clauses = [
          { property = "timestamp", operator = "gte", int_value = 1700000000 },
          { property = "paid", operator = "eq", bool_value = true },
        ]
      },
      {
        conjunction = "and"
        clauses = [
          { property = "model", operator = "like", value = "gpt-" },
          { property = "tier", operator = "eq", value = "2" },
        ]
      },
    ]
  }
  aggregation = {
    func     = "avg"
    property = "latency"
  }
  metadata = { source = "dashboard", weight = 1.5, whole = 2, count = 7, live = false }
}`, id),
			ConfigPlanChecks: plannedAction(plancheck.ResourceActionNoop),
			Check:            expectRequests(server, map[string]int{"POST ": 0, "PATCH ": 0}),
		}},
	})
}

// A whole float in metadata (2.0, as the dashboard writes it) reads back as the number 2; editing another key must
// still send 2.0, not 2.
func TestAccMeter_metadataFloatsStayFloats(t *testing.T) {
	target := newTestTarget(t)
	server := target.needsLocal(t)
	id := server.PutMeter(`{"name": "Dashboard rates", "filter": {"conjunction": "and", "clauses": []}, "aggregation": {"func": "count"}, "metadata": {"rate": 2.0, "team": "a"}}`)
	config := func(team string) string {
		return fmt.Sprintf("import {\n  to = polar_meter.test\n  id = %q\n}\n", id) +
			meterHCL("Dashboard rates", countAll+fmt.Sprintf("\n  metadata = { rate = 2, team = %q }", team))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{
			{Config: config("a"), ConfigPlanChecks: plannedAction(plancheck.ResourceActionNoop)},
			{
				Config:           config("b"),
				ConfigPlanChecks: plannedAction(plancheck.ResourceActionUpdate),
				Check:            expectLastBody(server, "PATCH", `{"metadata": {"rate": 2.0, "team": "b"}}`),
			},
		},
	})
}

func TestAccMeter_filterDeeperThanSchemaIsAnError(t *testing.T) {
	target := newTestTarget(t)
	server := target.needsLocal(t)
	leaf := `{"property": "x", "operator": "eq", "value": 1}`
	filter := leaf
	for range maxFilterDepth + 1 {
		filter = `{"conjunction": "and", "clauses": [` + filter + `]}`
	}
	id := server.PutMeter(`{"name": "Deep meter", "filter": {"conjunction": "and", "clauses": [` + filter + `]}, "aggregation": {"func": "count"}}`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{{
			Config:          `terraform {}`,
			ResourceName:    "polar_meter.deep",
			ImportState:     true,
			ImportStateKind: resource.ImportBlockWithID,
			ImportStateId:   id,
			GenerateConfig:  true,
			ExpectError:     errorLike(`Filter nested too deeply.*more than 3 levels`),
		}},
	})
}

func TestAccMeter_importRejectsMalformedID(t *testing.T) {
	target := newTestTarget(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{{
			Config:        meterHCL(testMeterName(t), countAll),
			ResourceName:  testAddress,
			ImportState:   true,
			ImportStateId: "not-a-meter-id",
			ExpectError:   errorLike(`Invalid meter ID.*"not-a-meter-id"`),
		}},
		CheckDestroy: func(*terraform.State) error {
			if target.local != nil && len(target.local.Requests()) != 0 {
				return fmt.Errorf("a malformed ID reached the API")
			}
			return nil
		},
	})
}

// foreignOrganizationID is an organization the test token does not belong to.
const foreignOrganizationID = "1dbfc517-0bbf-4301-9ba8-555ca42b9737"

func TestAccMeter_organizationID(t *testing.T) {
	target := newTestTarget(t)
	server := target.needsLocal(t)
	// The token's organization has a meter, so the provider can tell which organization the token implies.
	server.PutMeter(countMeterJSON("Existing"))
	name := testMeterName(t)
	// Generated configuration carries organization_id: with an organization token it must not be sent.
	withOrg := countAll + fmt.Sprintf("\n  organization_id = %q", localpolar.DefaultOrganizationID)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{
			{
				Config: meterHCL(name, withOrg),
				Check: func(*terraform.State) error {
					if _, sent := bodiesOf(server, "POST")[0]["organization_id"]; sent {
						return fmt.Errorf("organization_id sent with an organization token")
					}
					return nil
				},
				ConfigPlanChecks:  noPlannedChange,
				ConfigStateChecks: []statecheck.StateCheck{expect(at("organization_id"), knownvalue.StringExact(localpolar.DefaultOrganizationID))},
			},
			{
				Config:             meterHCL(name, countAll+fmt.Sprintf("\n  organization_id = %q", foreignOrganizationID)),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAddress, plancheck.ResourceActionReplace),
				}},
			},
		},
	})
}

// An Organization Access Token creates meters only in its own organization: organization_id naming another one is
// refused before anything is written, where it once made a meter in the wrong place and archived it.
func TestAccMeter_organizationTokenOfAnotherOrganization(t *testing.T) {
	target := newTestTarget(t)
	server := target.needsLocal(t)
	existing := server.PutMeter(countMeterJSON("Existing"))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{{
			Config: meterHCL(testMeterName(t), countAll+fmt.Sprintf("\n  organization_id = %q", foreignOrganizationID)),
			ExpectError: errorLike(`organization_id names another organization.*organization_id is ` + foreignOrganizationID +
				`, but the access token belongs to organization ` + localpolar.DefaultOrganizationID + `.*Nothing was created`),
		}},
		CheckDestroy: func(*terraform.State) error {
			if err := expectNoWrite(server)(nil); err != nil {
				return err
			}
			if ids := server.MeterIDs(); len(ids) != 1 || ids[0] != existing {
				return fmt.Errorf("the server holds %v, want only the existing meter %s", ids, existing)
			}
			return nil
		},
	})
}

// When the token sees no meter, nothing tells which organization it implies: organization_id cannot be checked, and
// nothing is created rather than risk a meter in the wrong organization.
func TestAccMeter_organizationIDUncheckable(t *testing.T) {
	target := newTestTarget(t)
	server := target.needsLocal(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{{
			Config:      meterHCL(testMeterName(t), countAll+fmt.Sprintf("\n  organization_id = %q", localpolar.DefaultOrganizationID)),
			ExpectError: errorLike(`Cannot check organization_id.*sees no meter yet.*remove organization_id`),
		}},
		CheckDestroy: func(*terraform.State) error {
			if n := len(server.MeterIDs()); n != 0 {
				return fmt.Errorf("the server holds %d meters, want none", n)
			}
			return expectNoWrite(server)(nil)
		},
	})
}

// A personal access token needs organization_id on create: the plan says so, before any request.
func TestAccMeter_personalTokenNeedsOrganization(t *testing.T) {
	target := newTestTarget(t)
	target.needsLocal(t)
	const personal = "polar_pat_acctest"
	server, url := localpolar.NewTestServer(t, localpolar.Options{Tokens: map[string]localpolar.Token{
		personal: {Kind: localpolar.PersonalToken, Scopes: []string{localpolar.ScopeMetersRead, localpolar.ScopeMetersWrite}},
	}})
	provider := fmt.Sprintf("provider \"polar\" {\n  server_url = %q\n  access_token = %q\n}\n", url, personal)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{
			{
				Config:      provider + meterHCL(testMeterName(t), countAll),
				PlanOnly:    true,
				ExpectError: errorLike(`Missing organization_id.*personal access token \(polar_pat_...\).*set organization_id`),
			},
			{
				PreConfig: func() {
					if n := len(server.Requests()); n != 0 {
						t.Errorf("the refused plan sent %d requests, want none: %v", n, requestLines(server))
					}
				},
				Config:            provider + meterHCL(testMeterName(t), countAll+fmt.Sprintf("\n  organization_id = %q", localpolar.DefaultOrganizationID)),
				ConfigPlanChecks:  noPlannedChange,
				ConfigStateChecks: []statecheck.StateCheck{expect(at("organization_id"), knownvalue.StringExact(localpolar.DefaultOrganizationID))},
				Check: func(*terraform.State) error {
					if got := bodiesOf(server, "POST")[0]["organization_id"]; got != localpolar.DefaultOrganizationID {
						return fmt.Errorf("POST carried organization_id %v, want %s", got, localpolar.DefaultOrganizationID)
					}
					return nil
				},
			},
		},
	})
}

func TestAccMeter_lostCreateAnswerAdoptsTheMeter(t *testing.T) {
	for name, fault := range map[string]localpolar.Fault{
		"502_after_commit":     {Method: "POST", Status: 502, Times: 1, ApplyFirst: true},
		"dropped_after_commit": {Method: "POST", Times: 1, ApplyFirst: true, DropConnection: true},
	} {
		t.Run(name, func(t *testing.T) {
			target := newTestTarget(t)
			server := target.needsLocal(t)
			server.InjectFault(fault)
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: target.factories,
				Steps: []resource.TestStep{{
					Config:           meterHCL(testMeterName(t), countAll),
					ConfigPlanChecks: noPlannedChange,
					Check: func(s *terraform.State) error {
						id, err := stateMeterID(s, testAddress)
						if err != nil {
							return err
						}
						if ids := server.MeterIDs(); len(ids) != 1 || ids[0] != id {
							return fmt.Errorf("server holds %v, state %s: want exactly the adopted meter", ids, id)
						}
						return expectRequests(server, map[string]int{"POST ": 1})(s)
					},
				}},
			})
		})
	}
}

func TestAccMeter_failedCreateIsSafeToApplyAgain(t *testing.T) {
	target := newTestTarget(t)
	server := target.needsLocal(t)
	server.InjectFault(localpolar.Fault{Method: "POST", Status: 502, Times: 1})
	name := testMeterName(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{
			// The 502 may hide a create: the provider looked for its one-time marker, found none, and says so.
			{Config: meterHCL(name, countAll), ExpectError: errorLike(`Meter not created.*502 Bad Gateway.*No meter in Polar carries this create's one-time marker`)},
			{
				PreConfig: func() {
					if n := len(server.MeterIDs()); n != 0 {
						t.Errorf("%d meters after a create Polar refused, want 0", n)
					}
				},
				Config: meterHCL(name, countAll),
				Check: func(*terraform.State) error {
					if n := len(server.MeterIDs()); n != 1 {
						return fmt.Errorf("%d meters, want 1", n)
					}
					return nil
				},
			},
		},
	})
}

// Module inputs that default to null are unknown while Terraform validates: rules that refuse a set value must wait.
func TestAccMeter_nullDefaultVariablesAreNotSet(t *testing.T) {
	target := newTestTarget(t)
	config := fmt.Sprintf(`
variable "label" {
  type    = string
  default = null
}
variable "multiplier" {
  type    = number
  default = null
}
variable "property" {
  type    = string
  default = null
}
resource "polar_meter" "test" {
  name              = %q
  custom_label      = var.label
  custom_multiplier = var.multiplier
  filter = {
    conjunction = "and"
  }
  aggregation = {
    func     = "count"
    property = var.property
  }
}
`, testMeterName(t))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{{
			Config:            config,
			ConfigPlanChecks:  noPlannedChange,
			ConfigStateChecks: []statecheck.StateCheck{expect(at("custom_multiplier"), knownvalue.Null())},
		}},
	})
}

// nestedGroups is a filter whose groups nest depth levels below the root, one condition in the deepest.
func nestedGroups(depth int) string {
	group := `{ conjunction = "and", clauses = [{ property = "x", operator = "eq", int_value = 1 }] }`
	for range depth - 1 {
		group = `{ conjunction = "or", groups = [` + group + `] }`
	}
	return "\n  filter = {\n    conjunction = \"and\"\n    groups = [" + group + "]\n  }\n  aggregation = {\n    func = \"count\"\n  }"
}

// Every rule Polar enforces is checked at plan, on the attribute that breaks it, in words a user can act on, and
// before any request.
func TestAccMeter_invalidConfigurationNeverReachesAPI(t *testing.T) {
	target := newTestTarget(t)
	name := testMeterName(t)
	longValue := strings.Repeat("x", 1001)
	manyKeys := []string{}
	for i := range 51 {
		manyKeys = append(manyKeys, fmt.Sprintf("k%d = 1", i))
	}
	clause := func(body string) string {
		return "\n  filter = {\n    conjunction = \"and\"\n    clauses = [{\n      property = \"p\"\n      operator = \"eq\"\n" + body + "\n    }]\n  }\n  aggregation = {\n    func = \"count\"\n  }"
	}
	custom := countAll + "\n  unit = \"custom\"\n  custom_label = \"x\""
	// Terraform quotes the configuration line of an attribute it can find: this is how a test sees which one is named.
	onLine := func(attribute string) string {
		return `on \S+ line \d+, in resource "polar_meter" "test": \d+: ` + attribute
	}
	cases := []errorCase{
		{config: meterHCL("ab", countAll), want: `name.*at least 3`},
		{config: meterHCL(name, countAll+"\n  unit = \"bytes\""), want: `unit.*value must be one of`},
		// The error is on unit, the attribute that is set, not on the missing custom_label.
		{config: meterHCL(name, countAll+"\n  unit = \"custom\""), want: `Error: unit = "custom" needs custom_label with polar_meter.test, ` + onLine(`unit = "custom"`)},
		{config: meterHCL(name, countAll+"\n  custom_label = \"x\""), want: `custom_label needs unit = "custom".*` + onLine(`custom_label = "x"`)},
		{config: meterHCL(name, countAll+"\n  unit = \"custom\"\n  custom_label = \"\""), want: `custom_label.*at least 1`},
		{config: meterHCL(name, countAll+"\n  custom_multiplier = 5"), want: `custom_multiplier needs unit = "custom"`},
		{config: meterHCL(name, custom+"\n  custom_multiplier = 0"), want: `Number out of range.*custom_multiplier must be from 1 to`},
		{config: meterHCL(name, custom+"\n  custom_multiplier = 1.5"),
			want: `Whole number required.*` + onLine(`custom_multiplier = 1.5`) + `.*custom_multiplier takes a whole number; got 1.5`},
		{config: meterHCL(name, strings.Replace(countAll, `"and"`, `"xor"`, 1)), want: `conjunction.*value must be one of`},
		{config: meterHCL(name, strings.Replace(clause(`      value = "a"`), `"eq"`, `"contains"`, 1)), want: `operator.*value must be one of`},
		{config: meterHCL(name, clause(`      value = "a"`+"\n      int_value = 1")),
			want: `Clause needs exactly one value.*filter.clauses\[0\] \(property "p"\) sets 2 of value, int_value and bool_value: ` +
				`set exactly one of value \(text\), int_value \(whole number\) or bool_value`},
		{config: meterHCL(name, clause(``)),
			want: `Clause needs exactly one value.*filter.clauses\[0\] \(property "p"\) sets 0 of value, int_value and bool_value: ` +
				`set exactly one of value \(text\), int_value \(whole number\) or bool_value`},
		{config: meterHCL(name, clause(`      int_value = 2147483648`)),
			want: `Number out of range.*filter.clauses\[0\].int_value must be from -2147483648 to 2147483647; got 2147483648`},
		{config: meterHCL(name, clause(`      int_value = 2.5`)),
			want: `Whole number required.*filter.clauses\[0\].int_value takes a whole number; got 2.5`},
		{config: meterHCL(name, clause(`      value = "`+longValue+`"`)), want: `value.*at most 1000`},
		{config: meterHCL(name, strings.Replace(clause(`      value = "a"`), `property = "p"`, `property = ""`, 1)), want: `property.*at least 1`},
		{config: meterHCL(name, strings.Replace(countAll, `func = "count"`, "func = \"count\"\n    property = \"x\"", 1)), want: `property is refused for count`},
		{config: meterHCL(name, strings.Replace(countAll, `"count"`, `"sum"`, 1)), want: `Missing aggregation property.*"sum"`},
		{config: meterHCL(name, strings.Replace(countAll, `"count"`, `"median"`, 1)), want: `func.*value must be one of`},
		// Groups nest at most 3 levels below the root: 3 plan, 4 are refused with the limit said.
		{config: meterHCL(name, nestedGroups(maxFilterDepth)), ok: true},
		{config: meterHCL(name, nestedGroups(maxFilterDepth+1)),
			want: `Filter nested too deeply.*filter.groups\[0\].groups\[0\].groups\[0\].groups: filter groups nest at most 3 levels below the root filter`},
		{config: meterHCL(name, countAll+"\n  metadata = { "+strings.Join(manyKeys, ", ")+" }"), want: `Too many metadata keys.*51`},
		{config: meterHCL(name, countAll+"\n  metadata = { "+strings.Repeat("k", 41)+" = 1 }"), want: `keys must be 1 to 40`},
		{config: meterHCL(name, countAll+"\n  metadata = { team = \"\" }"), want: `string values must be 1 to 500`},
		{config: meterHCL(name, countAll+"\n  metadata = { team = [\"a\"] }"), want: `metadata\["team"\]: values must be a string, number or bool; this one is a list`},
		{config: meterHCL(name, countAll+"\n  metadata = { team = { lead = \"ana\" } }"),
			want: `Invalid metadata entry.*metadata\["team"\]: values must be a string, number or bool; this one is a map or object`},
		{config: meterHCL(name, countAll+"\n  metadata = \"flat\""), want: `metadata must be a map`},
		{config: meterHCL(name, countAll+"\n  metadata = { terraform_create_id = \"x\" }"),
			want: `metadata\["terraform_create_id"\]: this key is reserved for the provider's one-time create marker`},
		// Polar refuses NUL characters in these four places ("This value contains invalid characters").
		{config: "resource \"polar_meter\" \"test\" {\n  name = \"a\\u0000bc\"\n" + countAll + "\n}\n", want: `NUL character refused.*name contains a NUL character`},
		{config: meterHCL(name, countAll+"\n  unit = \"custom\"\n  custom_label = \"x\\u0000\""), want: `NUL character refused.*custom_label contains a NUL character`},
		{config: meterHCL(name, countAll+"\n  metadata = { \"k\\u0000\" = 1 }"), want: `metadata\["k\\x00"\]: the key contains a NUL character`},
		{config: meterHCL(name, countAll+"\n  metadata = { k = \"v\\u0000\" }"), want: `metadata\["k"\]: the value contains a NUL character`},
		{config: meterHCL(name, countAll+"\n  organization_id = \"org-1\""), want: `organization_id.*must be a UUID`},
		// filter and aggregation are required attributes: Terraform itself refuses their absence.
		{config: meterHCL(name, "\n  aggregation = {\n    func = \"count\"\n  }"), want: `The argument "filter" is required`},
		{config: meterHCL(name, "\n  filter = {\n    conjunction = \"and\"\n  }"), want: `The argument "aggregation" is required`},
	}
	steps, errorCheck := errorCaseSteps(cases)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps:                    steps,
		ErrorCheck:               errorCheck,
		CheckDestroy: func(*terraform.State) error {
			if target.local != nil && len(target.local.Requests()) != 0 {
				return fmt.Errorf("invalid configuration reached the API: %v", requestLines(target.local))
			}
			return nil
		},
	})
}
