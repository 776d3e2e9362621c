package provider

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"

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
			expectLastBody(server, "POST", `{
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
				// The diagnostic names the attribute in its text as well as by its path.
				ExpectError: errorLike(`Polar refused PATCH /v1/meters/[0-9a-f-]+: filter: This field can't be updated because the meter is already aggregating events.*-replace`),
			},
			{
				Config:      meterHCL(name, strings.Replace(countAll, `func = "count"`, "func = \"sum\"\n    property = \"n\"", 1)),
				ExpectError: errorLike(`Polar refused PATCH /v1/meters/[0-9a-f-]+: aggregation: This field can't be updated.*create a new meter`),
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
		checkNoWrite = expectRequests(server, map[string]int{"PATCH ": 0, "POST ": 0, "GET /v1/meters/{id}": 1})
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
	var checkDestroy resource.TestCheckFunc
	if server := target.local; server != nil {
		archivedAtCreation.Check = resource.ComposeAggregateTestCheckFunc(
			expectLastBody(server, "PATCH", `{"is_archived": true}`),
			expectRequests(server, map[string]int{"POST ": 1, "PATCH ": 1}),
		)
		checkDestroy = func(*terraform.State) error { return allArchived(server, 1) }
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

func TestAccMeter_disappearedMeterIsRecreated(t *testing.T) {
	target := newTestTarget(t)
	server := target.needsLocal(t)
	name := testMeterName(t)
	var firstID string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{
			{
				Config: meterHCL(name, countAll),
				Check: func(s *terraform.State) (err error) {
					firstID, err = stateMeterID(s, testAddress)
					return err
				},
			},
			{
				PreConfig:        func() { server.DeleteOutOfBand(firstID) },
				Config:           meterHCL(name, countAll),
				ConfigPlanChecks: plannedAction(plancheck.ResourceActionCreate),
				ConfigStateChecks: []statecheck.StateCheck{
					expect(at("id"), knownvalue.StringFunc(func(id string) error {
						if id == firstID {
							return fmt.Errorf("still the vanished meter %s", id)
						}
						return nil
					})),
				},
			},
		},
	})
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

func TestAccMeter_organizationID(t *testing.T) {
	target := newTestTarget(t)
	server := target.needsLocal(t)
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
				ConfigPlanChecks: noPlannedChange,
			},
			{
				Config:             meterHCL(name, countAll+"\n  organization_id = \"1dbfc517-0bbf-4301-9ba8-555ca42b9737\""),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAddress, plancheck.ResourceActionReplace),
				}},
			},
		},
	})
}

func TestAccMeter_organizationTokenOfAnotherOrganization(t *testing.T) {
	target := newTestTarget(t)
	server := target.needsLocal(t)
	other := "1dbfc517-0bbf-4301-9ba8-555ca42b9737"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{{
			Config:      meterHCL(testMeterName(t), countAll+fmt.Sprintf("\n  organization_id = %q", other)),
			ExpectError: errorLike(`Meter created in another organization.*` + other + `.*belongs to organization ` + localpolar.DefaultOrganizationID + `.*archived`),
		}},
		// Nothing is tracked, so the next apply cannot loop; the one meter made is archived.
		CheckDestroy: func(*terraform.State) error { return allArchived(server, 1) },
	})
}

func TestAccMeter_personalTokenNeedsOrganization(t *testing.T) {
	target := newTestTarget(t)
	target.needsLocal(t)
	const personal = "polar_pat_acctest"
	_, url := localpolar.NewTestServer(t, localpolar.Options{Tokens: map[string]localpolar.Token{
		personal: {Kind: localpolar.PersonalToken, Scopes: []string{"meters:read", "meters:write"}},
	}})
	provider := fmt.Sprintf("provider \"polar\" {\n  server_url = %q\n  access_token = %q\n}\n", url, personal)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{
			// Polar's 422 lands on the attribute its loc names.
			{Config: provider + meterHCL(testMeterName(t), countAll), ExpectError: errorLike(`Polar refused POST /v1/meters/: organization_id: Field required`)},
			{
				Config:            provider + meterHCL(testMeterName(t), countAll+fmt.Sprintf("\n  organization_id = %q", localpolar.DefaultOrganizationID)),
				ConfigStateChecks: []statecheck.StateCheck{expect(at("organization_id"), knownvalue.StringExact(localpolar.DefaultOrganizationID))},
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
			{Config: meterHCL(name, countAll), ExpectError: errorLike(`Meter not created.*applying again is safe`)},
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
	cases := []struct{ config, want string }{
		{meterHCL("ab", countAll), `name.*at least 3`},
		{meterHCL(name, countAll+"\n  unit = \"bytes\""), `unit.*value must be one of`},
		{meterHCL(name, countAll+"\n  unit = \"custom\""), `Missing custom_label`},
		{meterHCL(name, countAll+"\n  custom_label = \"x\""), `custom_label needs unit = "custom"`},
		{meterHCL(name, countAll+"\n  unit = \"custom\"\n  custom_label = \"\""), `custom_label.*at least 1`},
		{meterHCL(name, countAll+"\n  custom_multiplier = 5"), `custom_multiplier needs unit = "custom"`},
		// SCHEMA-CHECK: "at least 1" was int64validator.AtLeast's wording; the rewrite gives custom_multiplier another validator.
		{meterHCL(name, countAll+"\n  unit = \"custom\"\n  custom_label = \"x\"\n  custom_multiplier = 0"), `custom_multiplier.*at least 1`},
		{meterHCL(name, strings.Replace(countAll, `"and"`, `"xor"`, 1)), `conjunction.*value must be one of`},
		{meterHCL(name, strings.Replace(clause(`      value = "a"`), `"eq"`, `"contains"`, 1)), `operator.*value must be one of`},
		// SCHEMA-CHECK: the next three patterns are the old validators' wording (ExactlyOneOf's "Invalid Attribute
		// Combination", int64validator.Between's "between"); the rewrite validates clauses and int_value with its own.
		{meterHCL(name, clause(`      value = "a"`+"\n      int_value = 1")), `Invalid Attribute Combination.*value`},
		{meterHCL(name, clause(``)), `Invalid Attribute Combination.*value`},
		{meterHCL(name, clause(`      int_value = 2147483648`)), `int_value.*between -2147483648 and 2147483647`},
		{meterHCL(name, clause(`      value = "`+longValue+`"`)), `value.*at most 1000`},
		{meterHCL(name, strings.Replace(clause(`      value = "a"`), `property = "p"`, `property = ""`, 1)), `property.*at least 1`},
		{meterHCL(name, strings.Replace(countAll, `func = "count"`, "func = \"count\"\n    property = \"x\"", 1)), `property is refused for count`},
		{meterHCL(name, strings.Replace(countAll, `"count"`, `"sum"`, 1)), `Missing aggregation property.*"sum"`},
		{meterHCL(name, strings.Replace(countAll, `"count"`, `"median"`, 1)), `func.*value must be one of`},
		{meterHCL(name, countAll+"\n  metadata = { "+strings.Join(manyKeys, ", ")+" }"), `Too many metadata keys.*51`},
		{meterHCL(name, countAll+"\n  metadata = { "+strings.Repeat("k", 41)+" = 1 }"), `keys must be 1 to 40`},
		{meterHCL(name, countAll+"\n  metadata = { team = \"\" }"), `string values must be 1 to 500`},
		{meterHCL(name, countAll+"\n  metadata = { team = [\"a\"] }"), `values must be a string, number or bool`},
		{meterHCL(name, countAll+"\n  metadata = \"flat\""), `metadata must be a map`},
		{meterHCL(name, countAll+"\n  organization_id = \"org-1\""), `organization_id.*must be a UUID`},
		// SCHEMA-CHECK: filter and aggregation are required attributes now, so Terraform itself refuses their absence
		// ("Missing required argument"); the old patterns named filter.conjunction and aggregation.func.
		{meterHCL(name, "\n  aggregation = {\n    func = \"count\"\n  }"), `The argument "filter" is required`},
		{meterHCL(name, "\n  filter = {\n    conjunction = \"and\"\n  }"), `The argument "aggregation" is required`},
	}
	var steps []resource.TestStep
	for _, c := range cases {
		steps = append(steps, resource.TestStep{Config: c.config, PlanOnly: true, ExpectError: errorLike(c.want)})
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps:                    steps,
		CheckDestroy: func(*terraform.State) error {
			if target.local != nil && len(target.local.Requests()) != 0 {
				return fmt.Errorf("invalid configuration reached the API: %d requests", len(target.local.Requests()))
			}
			return nil
		},
	})
}
