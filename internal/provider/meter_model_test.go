package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/polar-terraform/terraform-provider-polar/internal/polar"
)

// condition is a filter item holding one condition.
func condition(property string, op polar.Operator, v polar.FilterValue) polar.FilterItem {
	return polar.FilterItem{Condition: &polar.FilterCondition{Property: property, Operator: op, Value: v}}
}

// group is a filter item holding a nested group.
func group(conjunction polar.Conjunction, items ...polar.FilterItem) polar.FilterItem {
	return polar.FilterItem{Group: &polar.Filter{Conjunction: conjunction, Clauses: items}}
}

func TestFilterConvertsBothWaysKeepingValueTypes(t *testing.T) {
	ctx := context.Background()
	filter := polar.Filter{Conjunction: polar.ConjunctionAnd, Clauses: []polar.FilterItem{
		condition("plan", polar.OperatorEq, polar.StringValue("100")),
		condition("tokens", polar.OperatorGt, polar.IntValue(100)),
		condition("beta", polar.OperatorEq, polar.BoolValue(true)),
		group(polar.ConjunctionOr,
			condition("a", polar.OperatorLike, polar.StringValue("x")),
			group(polar.ConjunctionAnd, group(polar.ConjunctionOr, condition("deep", polar.OperatorNe, polar.IntValue(-5))))),
	}}
	object, diags := filterToObject(context.Background(), filter, 0)
	requireNoErrors(t, diags)
	clauses := object.Attributes()["clauses"].(types.List).Elements()
	// Each value is in the attribute of its JSON type. String() quotes a string and leaves a number bare, whichever
	// number type int_value has.
	if got := clauses[0].(types.Object).Attributes()["value"]; got.String() != `"100"` {
		t.Errorf(`"100" read back as %v`, got)
	}
	if got := clauses[1].(types.Object).Attributes()["int_value"]; got.String() != "100" {
		t.Errorf("100 read back as %v", got)
	}
	if got := clauses[2].(types.Object).Attributes()["bool_value"]; !got.Equal(types.BoolValue(true)) {
		t.Errorf("true read back as %v", got)
	}
	back, diags := filterFromObject(ctx, object)
	requireNoErrors(t, diags)
	if !reflect.DeepEqual(back, filter) {
		t.Errorf("round trip changed the filter:\n got %+v\nwant %+v", back, filter)
	}
}

func TestFilterSplitOfMixedListIsStable(t *testing.T) {
	ctx := context.Background()
	mixed := polar.Filter{Conjunction: polar.ConjunctionOr, Clauses: []polar.FilterItem{
		group(polar.ConjunctionAnd, condition("a", polar.OperatorEq, polar.IntValue(1))),
		condition("b", polar.OperatorEq, polar.StringValue("x")),
		group(polar.ConjunctionAnd, condition("c", polar.OperatorEq, polar.IntValue(3))),
		condition("d", polar.OperatorEq, polar.BoolValue(false)),
	}}
	object, diags := filterToObject(context.Background(), mixed, 0)
	requireNoErrors(t, diags)
	back, diags := filterFromObject(ctx, object)
	requireNoErrors(t, diags)
	if !sameFilter(back, mixed) {
		t.Fatalf("split lost something: %+v", back)
	}
	// Conditions keep their order, then groups keep theirs.
	order := []string{}
	for _, item := range back.Clauses {
		if item.Condition != nil {
			order = append(order, item.Condition.Property)
		} else {
			order = append(order, item.Group.Clauses[0].Condition.Property)
		}
	}
	if strings.Join(order, "") != "bdac" {
		t.Errorf("order after split = %v, want b d a c", order)
	}
	again, _ := filterToObject(context.Background(), back, 0)
	if !again.Equal(object) {
		t.Errorf("splitting the split form changed it")
	}
}

func TestFilterDeeperThanSchemaIsAnError(t *testing.T) {
	deep := condition("x", polar.OperatorEq, polar.IntValue(1))
	for range maxFilterDepth + 1 {
		deep = group(polar.ConjunctionAnd, deep)
	}
	_, diags := filterToObject(context.Background(), polar.Filter{Conjunction: polar.ConjunctionAnd, Clauses: []polar.FilterItem{deep}}, 0)
	if !diags.HasError() || !strings.Contains(diags.Errors()[0].Summary(), "nested too deeply") {
		t.Fatalf("want a nested-too-deeply error, got %v", diags)
	}
	fits := deep.Group.Clauses[0]
	if _, diags := filterToObject(context.Background(), polar.Filter{Conjunction: polar.ConjunctionAnd, Clauses: []polar.FilterItem{fits}}, 0); diags.HasError() {
		t.Fatalf("a filter %d levels deep must fit: %v", maxFilterDepth, diags)
	}
}

func TestSameFilterStripsMetadataPrefix(t *testing.T) {
	written := polar.Filter{Conjunction: polar.ConjunctionAnd, Clauses: []polar.FilterItem{condition("metadata.tokens", polar.OperatorGt, polar.IntValue(1))}}
	stored := polar.Filter{Conjunction: polar.ConjunctionAnd, Clauses: []polar.FilterItem{condition("tokens", polar.OperatorGt, polar.IntValue(1))}}
	if !sameFilter(written, stored) {
		t.Error("metadata.tokens and tokens must compare equal")
	}
	stored.Clauses[0].Condition.Value = polar.StringValue("1")
	if sameFilter(written, stored) {
		t.Error(`1 and "1" must differ: Polar compares them differently`)
	}
	if !sameAggregation(polar.Aggregation{Func: polar.AggregationSum, Property: "metadata.tokens"}, polar.Aggregation{Func: polar.AggregationSum, Property: "tokens"}) {
		t.Error("aggregation property prefix must be optional")
	}
}

func TestMetadataConvertsBothWaysKeepingTypes(t *testing.T) {
	meta := polar.Metadata{
		"team": polar.MetadataString("ai"), "tier": polar.MetadataInt(3),
		"ratio": polar.MetadataFloat(0.5), "small": polar.MetadataFloat(0.1), "beta": polar.MetadataBool(true),
	}
	dynamic := metadataToDynamic(meta)
	if back := metadataFromDynamic(dynamic); !reflect.DeepEqual(back, meta) {
		t.Errorf("round trip: got %v, want %v", back, meta)
	}
	// 0.1 read back must equal 0.1 as HCL parses it, or a plan would show a diff.
	hcl, _, _ := big.ParseFloat("0.1", 10, 512, big.ToNearestEven)
	small := dynamic.UnderlyingValue().(types.Object).Attributes()["small"]
	if !small.Equal(types.NumberValue(hcl)) {
		t.Errorf("0.1 read back as %v, which differs from the configuration literal", small)
	}
	if !metadataToDynamic(nil).IsNull() || !sameMetadata(nil, polar.Metadata{}) {
		t.Error("empty metadata must be null and equal to unset")
	}
	asMap := types.DynamicValue(types.MapValueMust(types.StringType, map[string]attr.Value{"a": types.StringValue("b")}))
	if got := metadataFromDynamic(asMap); !reflect.DeepEqual(got, polar.Metadata{"a": polar.MetadataString("b")}) {
		t.Errorf("a map literal converts to %v", got)
	}
}

func TestToUpdateSendsOnlyWhatChanged(t *testing.T) {
	ctx := context.Background()
	base := testModel(t, "Meter one")
	renamed := base
	renamed.Name = types.StringValue("Meter two")
	update, diags := renamed.toUpdate(ctx, base, nil)
	requireNoErrors(t, diags)
	if got := marshal(t, update); got != `{"name":"Meter two"}` {
		t.Errorf("rename sends %s", got)
	}

	custom := base
	custom.Unit, custom.CustomLabel, custom.CustomMultiplier = types.StringValue("custom"), types.StringValue("call"), types.NumberValue(big.NewFloat(10))
	update, _ = base.toUpdate(ctx, custom, nil)
	if got := marshal(t, update); got != `{"unit":"scalar","custom_label":null,"custom_multiplier":null}` {
		t.Errorf("leaving custom sends %s", got)
	}

	rated := base
	rated.Metadata = metadataToDynamic(polar.Metadata{"rate": polar.MetadataInt(2), "team": polar.MetadataString("b")})
	stateRated := base
	stateRated.Metadata = metadataToDynamic(polar.Metadata{"rate": polar.MetadataInt(2), "team": polar.MetadataString("a")})
	update, _ = rated.toUpdate(ctx, stateRated, []string{"rate"})
	if got := marshal(t, update); got != `{"metadata":{"rate":2.0,"team":"b"}}` {
		t.Errorf("a float key sends %s", got)
	}

	withMeta := base
	withMeta.Metadata = metadataToDynamic(polar.Metadata{"a": polar.MetadataInt(1)})
	update, _ = base.toUpdate(ctx, withMeta, nil)
	if got := marshal(t, update); got != `{"metadata":{}}` {
		t.Errorf("removing metadata sends %s", got)
	}

	prefixed := base
	prefixed.Aggregation = aggregationToObject(context.Background(), polar.Aggregation{Func: polar.AggregationSum, Property: "metadata.n"})
	stored := base
	stored.Aggregation = aggregationToObject(context.Background(), polar.Aggregation{Func: polar.AggregationSum, Property: "n"})
	if update, _ := prefixed.toUpdate(ctx, stored, nil); !update.IsEmpty() {
		t.Errorf("a spelling change sends %s", marshal(t, update))
	}
}

// testModel is a planned count meter with an empty filter.
func testModel(t *testing.T, name string) meterResourceModel {
	t.Helper()
	filter, diags := filterToObject(context.Background(), polar.Filter{Conjunction: polar.ConjunctionAnd}, 0)
	requireNoErrors(t, diags)
	return meterResourceModel{
		ID: types.StringValue("3f2504e0-4f89-41d3-9a0c-0305e82c3301"), Name: types.StringValue(name),
		Unit: types.StringValue("scalar"), CustomLabel: types.StringNull(), CustomMultiplier: types.NumberNull(),
		OrganizationID: types.StringValue("1dbfc517-0bbf-4301-9ba8-555ca42b9737"),
		Filter:         filter, Aggregation: aggregationToObject(context.Background(), polar.Aggregation{Func: polar.AggregationCount}),
		Metadata: types.DynamicNull(), IsArchived: types.BoolValue(false),
	}
}

func marshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func requireNoErrors(t *testing.T, diags diag.Diagnostics) {
	t.Helper()
	if diags.HasError() {
		t.Fatalf("unexpected errors: %v", diags)
	}
}

func TestAttributePathFromLoc(t *testing.T) {
	sent := &polar.Filter{Conjunction: polar.ConjunctionAnd, Clauses: []polar.FilterItem{
		condition("a", polar.OperatorEq, polar.StringValue("x")),
		group(polar.ConjunctionOr,
			group(polar.ConjunctionAnd, condition("b", polar.OperatorEq, polar.BoolValue(true))),
			condition("c", polar.OperatorEq, polar.IntValue(1))),
		condition("d", polar.OperatorEq, polar.IntValue(2)),
	}}
	for _, c := range []struct {
		loc  []any
		want path.Path
	}{
		{[]any{"body", "name"}, path.Root("name")},
		{[]any{"body", "metadata", "tier"}, path.Root("metadata")},
		{[]any{"body", "is_archived"}, path.Root("is_archived")},
		{[]any{"body", "filter"}, path.Root("filter")},
		{[]any{"body", "filter", "conjunction"}, path.Root("filter").AtName("conjunction")},
		{[]any{"body", "filter", "clauses", 0, "value"}, path.Root("filter").AtName("clauses").AtListIndex(0).AtName("value")},
		{[]any{"body", "filter", "clauses", 2, "value"}, path.Root("filter").AtName("clauses").AtListIndex(1).AtName("int_value")},
		{[]any{"body", "filter", "clauses", 1, "clauses", 1, "operator"},
			path.Root("filter").AtName("groups").AtListIndex(0).AtName("clauses").AtListIndex(0).AtName("operator")},
		{[]any{"body", "filter", "clauses", 1, "Filter", "clauses", 0, "clauses", 0, "FilterClause", "value"},
			path.Root("filter").AtName("groups").AtListIndex(0).AtName("groups").AtListIndex(0).AtName("clauses").AtListIndex(0).AtName("bool_value")},
		{[]any{"body", "aggregation", "sum", "property"}, path.Root("aggregation").AtName("property")},
	} {
		got, ok := attributePathFromLoc(c.loc, sent)
		if !ok || !got.Equal(c.want) {
			t.Errorf("%v: got %s (%v), want %s", c.loc, got, ok, c.want)
		}
	}
	if _, ok := attributePathFromLoc([]any{"query", "limit"}, sent); ok {
		t.Error("a loc outside the body has no attribute")
	}
}

func TestNumericTextComparedInOrderWarns(t *testing.T) {
	filter, _ := filterToObject(context.Background(), polar.Filter{Conjunction: polar.ConjunctionAnd, Clauses: []polar.FilterItem{
		condition("n", polar.OperatorGt, polar.StringValue("100")),
		condition("n", polar.OperatorEq, polar.StringValue("100")),
		condition("n", polar.OperatorLt, polar.IntValue(100)),
		group(polar.ConjunctionOr, condition("v", polar.OperatorLte, polar.StringValue("2.5"))),
	}}, 0)
	var diags diag.Diagnostics
	warnNumericText(context.Background(), filter, path.Root("filter"), &diags)
	if diags.ErrorsCount() != 0 || diags.WarningsCount() != 2 {
		t.Fatalf("want 2 warnings, got %v", diags)
	}
	want := path.Root("filter").AtName("groups").AtListIndex(0).AtName("clauses").AtListIndex(0).AtName("value")
	if got := diags[1].(diag.DiagnosticWithPath).Path(); !got.Equal(want) {
		t.Errorf("warning at %s, want %s", got, want)
	}
	if !strings.Contains(diags[0].Detail(), "int_value = 100") || strings.Contains(diags[1].Detail(), "int_value =") {
		t.Errorf("advice: %q / %q; int_value is suggested only for whole 32-bit numbers", diags[0].Detail(), diags[1].Detail())
	}
}

func TestDestroyPlanWarnsOfArchive(t *testing.T) {
	ctx := context.Background()
	r := NewMeterResource().(*MeterResource)
	var schemaResp resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &schemaResp)
	objectType := schemaResp.Schema.Type().TerraformType(ctx)
	req := resource.ModifyPlanRequest{
		Plan:  tfsdk.Plan{Schema: schemaResp.Schema, Raw: tftypes.NewValue(objectType, nil)},
		State: tfsdk.State{Schema: schemaResp.Schema, Raw: tftypes.NewValue(objectType, nil)},
	}
	resp := resource.ModifyPlanResponse{Plan: req.Plan}
	r.ModifyPlan(ctx, req, &resp)
	if resp.Diagnostics.WarningsCount() != 1 || !strings.Contains(resp.Diagnostics[0].Detail(), "archives the meter") {
		t.Fatalf("destroy plan diagnostics = %v", resp.Diagnostics)
	}
}

func TestOrganizationChangePlansReplacementWithWarning(t *testing.T) {
	ctx := context.Background()
	r := NewMeterResource().(*MeterResource)
	var schemaResp resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &schemaResp)
	state := testModel(t, "Meter one")
	state.CreatedAt, state.ModifiedAt, state.ArchivedAt = types.StringValue("2026-01-01T00:00:00Z"), types.StringNull(), types.StringNull()
	plan := state
	plan.OrganizationID = types.StringValue("0b6d8f1e-4a55-4c2f-9d3e-6f1a2b3c4d5e")
	req := resource.ModifyPlanRequest{
		Plan:  tfsdk.Plan{Schema: schemaResp.Schema},
		State: tfsdk.State{Schema: schemaResp.Schema},
	}
	requireNoErrors(t, req.Plan.Set(ctx, &plan))
	requireNoErrors(t, req.State.Set(ctx, &state))
	resp := resource.ModifyPlanResponse{Plan: req.Plan}
	r.ModifyPlan(ctx, req, &resp)
	if len(resp.RequiresReplace) != 1 || !resp.RequiresReplace[0].Equal(path.Root("organization_id")) {
		t.Errorf("RequiresReplace = %v, want organization_id", resp.RequiresReplace)
	}
	if resp.Diagnostics.WarningsCount() != 1 || !strings.Contains(resp.Diagnostics[0].Detail(), "archives the meter") {
		t.Errorf("replacement diagnostics = %v, want the archive warning", resp.Diagnostics)
	}
}

// A 422 lands on the attribute its loc names, through the sent filter's mix of conditions and groups, and says where
// in its text too; anything else is one error on no attribute.
func TestAddAPIErrorPutsEachIssueOnItsAttribute(t *testing.T) {
	sent := &polar.Filter{Conjunction: polar.ConjunctionAnd, Clauses: []polar.FilterItem{
		condition("a", polar.OperatorEq, polar.StringValue("x")),
		group(polar.ConjunctionOr, condition("b", polar.OperatorEq, polar.BoolValue(true))),
		condition("tokens", polar.OperatorGt, polar.IntValue(1<<31-1)),
	}}
	apiErr := &polar.APIError{
		Kind: polar.KindValidation, Method: "PATCH", Path: "/v1/meters/3f2504e0-4f89-41d3-9a0c-0305e82c3301", StatusCode: 422,
		Validation: []polar.ValidationIssue{
			{Loc: []any{"body", "filter", "clauses", 2, "value"}, Msg: "Input should be less than 2147483647", Type: "less_than"},
			{Loc: []any{"body", "filter", "clauses", 1, "clauses", 0, "operator"}, Msg: "Input should be 'eq'", Type: "enum"},
			{Loc: []any{"body", "custom_label"}, Msg: "Value error, This value contains invalid characters", Type: "value_error"},
			{Loc: []any{"body", "filter"}, Msg: "This field can't be updated because the meter is already aggregating events.", Type: "value_error"},
			{Loc: []any{"query", "page"}, Msg: "Input should be greater than 0", Type: "greater_than"},
		},
	}
	var diags diag.Diagnostics
	addAPIError(&diags, "Cannot update meter", fmt.Errorf("wrapped: %w", apiErr), sent)
	want := []struct {
		path   path.Path // empty: no attribute
		detail string
	}{
		{path.Root("filter").AtName("clauses").AtListIndex(1).AtName("int_value"), "filter.clauses[1].int_value: Input should be less than 2147483647"},
		{path.Root("filter").AtName("groups").AtListIndex(0).AtName("clauses").AtListIndex(0).AtName("operator"),
			"filter.groups[0].clauses[0].operator: Input should be 'eq'"},
		{path.Root("custom_label"), "custom_label: Value error, This value contains invalid characters"},
		{path.Root("filter"), "point your prices at it"},
		{path.Empty(), "[query page]: Input should be greater than 0"},
	}
	if len(diags) != len(want) || diags.ErrorsCount() != len(want) {
		t.Fatalf("want %d errors, got %v", len(want), diags)
	}
	for i, w := range want {
		d := diags[i]
		withPath, ok := d.(diag.DiagnosticWithPath)
		switch {
		case w.path.Equal(path.Empty()) && ok:
			t.Errorf("issue %d: on attribute %s, want none", i, withPath.Path())
		case !w.path.Equal(path.Empty()) && (!ok || !withPath.Path().Equal(w.path)):
			t.Errorf("issue %d: diagnostic %#v, want one at %s", i, d, w.path)
		}
		if d.Summary() != "Cannot update meter" || !strings.Contains(d.Detail(), w.detail) ||
			!strings.Contains(d.Detail(), "Polar refused PATCH /v1/meters/3f2504e0-4f89-41d3-9a0c-0305e82c3301") {
			t.Errorf("issue %d: %q / %q, want the summary and a detail saying %q", i, d.Summary(), d.Detail(), w.detail)
		}
	}
	if strings.Contains(diags[3].Detail(), "apply -replace") {
		t.Errorf("the lock remedy suggests -replace, which fails on a meter attached to a product: %s", diags[3].Detail())
	}

	// Not a 422: one error, on no attribute, that says what Polar said.
	diags = nil
	addAPIError(&diags, "Cannot create meter", &polar.APIError{Kind: polar.KindNotPermitted, Method: "POST", Path: "/v1/meters/",
		StatusCode: 403, Message: "You don't have permission to manage products"}, nil)
	if len(diags) != 1 || !strings.Contains(diags[0].Detail(), "You don't have permission to manage products") {
		t.Fatalf("a 403 gives %v", diags)
	}
	if _, ok := diags[0].(diag.DiagnosticWithPath); ok {
		t.Errorf("a 403 is put on an attribute: %v", diags[0])
	}
}
