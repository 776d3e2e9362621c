package provider

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"

	"github.com/polar-terraform/terraform-provider-polar/internal/polar"
)

// The tests in this file fail when a meter field is added in one place and forgotten in another (DESIGN.md lists them).

// tfsdkNames lists the tfsdk tags of a model struct.
func tfsdkNames(model any) []string {
	var names []string
	t := reflect.TypeOf(model)
	for i := range t.NumField() {
		names = append(names, t.Field(i).Tag.Get("tfsdk"))
	}
	return names
}

// jsonNames lists the JSON names of an API struct.
func jsonNames(v any) []string {
	var names []string
	t := reflect.TypeOf(v)
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		names = append(names, name)
	}
	return names
}

func TestEveryMeterFieldIsInModelSchemaDescriptionsAndDataSource(t *testing.T) {
	model := tfsdkNames(meterResourceModel{})
	for _, name := range jsonNames(polar.Meter{}) {
		if !slices.Contains(model, name) {
			t.Errorf("polar.Meter.%s has no attribute in meterResourceModel", name)
		}
	}
	for _, name := range model {
		if _, ok := meterResourceSchema.Attributes[name]; !ok {
			t.Errorf("meterResourceModel.%s is not in the resource schema", name)
		}
		if _, ok := meterDescriptions[name]; !ok {
			t.Errorf("%s has no entry in meterDescriptions", name)
		}
	}
	var ds datasource.SchemaResponse
	NewMeterDataSource().Schema(context.Background(), datasource.SchemaRequest{}, &ds)
	for name := range meterResourceSchema.Attributes {
		if _, ok := ds.Schema.Attributes[name]; !ok {
			t.Errorf("data source polar_meter lacks %s", name)
		}
	}
}

func TestEveryCreateFieldIsSentAndRecovered(t *testing.T) {
	ctx := context.Background()
	label, multiplier, org := "call", int64(1000), "7a1c4e2d-5b3f-4c8a-9d6e-1f2a3b4c5d6e"
	meter := polar.Meter{
		ID: "3f2504e0-4f89-41d3-9a0c-0305e82c3301", Name: "Calls", Unit: polar.UnitCustom, CustomLabel: &label,
		CustomMultiplier: &multiplier, OrganizationID: org, CreatedAt: time.Unix(0, 0),
		Filter: polar.Filter{Conjunction: polar.ConjunctionAnd, Clauses: []polar.FilterItem{
			condition("name", polar.OperatorEq, polar.StringValue("call")),
		}},
		Aggregation: polar.Aggregation{Func: polar.AggregationSum, Property: "n"},
		Metadata:    polar.Metadata{"team": polar.MetadataString("ai")},
	}
	model, diags := meterFromAPI(ctx, &meter)
	requireNoErrors(t, diags)
	create, diags := model.toCreate(ctx)
	requireNoErrors(t, diags)
	// Every field of the create body is filled from the model: a new field left out of toCreate stays zero here.
	value := reflect.ValueOf(create)
	for i := range value.NumField() {
		if value.Field(i).IsZero() {
			t.Errorf("toCreate leaves MeterCreate.%s empty", value.Type().Field(i).Name)
		}
	}
	if !madeBy(create, meter) {
		t.Fatal("madeBy does not recognise the meter its own create describes")
	}
	// madeBy must compare every field: change each one and it must stop matching.
	for i := range value.NumField() {
		changed := create
		field := reflect.ValueOf(&changed).Elem().Field(i)
		switch name := value.Type().Field(i).Name; name {
		case "Name":
			changed.Name = "Other"
		case "Unit":
			changed.Unit = polar.UnitToken
		case "CustomLabel":
			other := "other"
			changed.CustomLabel = &other
		case "CustomMultiplier":
			other := int64(7)
			changed.CustomMultiplier = &other
		case "Filter":
			changed.Filter = polar.Filter{Conjunction: polar.ConjunctionOr}
		case "Aggregation":
			changed.Aggregation = polar.Aggregation{Func: polar.AggregationCount}
		case "Metadata":
			changed.Metadata = polar.Metadata{"team": polar.MetadataString("other")}
		case "OrganizationID":
			other := "0b6d8f1e-4a55-4c2f-9d3e-6f1a2b3c4d5e"
			changed.OrganizationID = &other
		default:
			t.Errorf("MeterCreate.%s (%s) is not covered here: add it to madeBy and to this test", name, field.Type())
			continue
		}
		if madeBy(changed, meter) {
			t.Errorf("madeBy ignores MeterCreate.%s", value.Type().Field(i).Name)
		}
	}
}
