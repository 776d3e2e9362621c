package provider

import (
	"cmp"
	"context"
	"fmt"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/polar-terraform/terraform-provider-polar/internal/polar"
)

// clauseModel is one filter condition.
type clauseModel struct {
	Property  types.String `tfsdk:"property"`
	Operator  types.String `tfsdk:"operator"`
	Value     types.String `tfsdk:"value"`
	IntValue  types.Int64  `tfsdk:"int_value"`
	BoolValue types.Bool   `tfsdk:"bool_value"`
}

// filterObjectTypes[depth] is the Terraform type of a filter group, derived once from the schema so the two never drift.
var filterObjectTypes = func() []types.ObjectType {
	out := make([]types.ObjectType, maxFilterDepth+1)
	for depth := range out {
		out[depth] = filterBlockObject(depth).Type().(types.ObjectType)
	}
	return out
}()

// clauseAttrTypes is the Terraform type of one filter condition.
var clauseAttrTypes = clauseBlockObject().Type().(types.ObjectType).AttrTypes

// aggregationAttrTypes is the Terraform type of the aggregation block.
var aggregationAttrTypes = map[string]attr.Type{"func": types.StringType, "property": types.StringType}

// toCreate converts a planned meter to Polar's create body; an organization token implies the organization, so its ID is not sent.
func (m meterResourceModel) toCreate(ctx context.Context, organizationToken bool) (polar.MeterCreate, diag.Diagnostics) {
	filter, diags := filterFromObject(ctx, m.Filter)
	create := polar.MeterCreate{
		Name:             m.Name.ValueString(),
		Unit:             polar.Unit(m.Unit.ValueString()),
		CustomLabel:      m.CustomLabel.ValueStringPointer(),
		CustomMultiplier: m.CustomMultiplier.ValueInt64Pointer(),
		Filter:           filter,
		Aggregation:      aggregationFromObject(m.Aggregation),
		Metadata:         metadataFromDynamic(m.Metadata),
	}
	if !organizationToken && !m.OrganizationID.IsUnknown() {
		create.OrganizationID = m.OrganizationID.ValueStringPointer()
	}
	return create, diags
}

// toUpdate builds a PATCH with only the fields that differ from state in Polar's terms; floatKeys name the metadata
// keys Polar holds as floats, which stay floats when the map is sent again.
func (m meterResourceModel) toUpdate(ctx context.Context, state meterResourceModel, floatKeys []string) (polar.MeterUpdate, diag.Diagnostics) {
	var update polar.MeterUpdate
	var diags diag.Diagnostics
	if !m.Name.Equal(state.Name) {
		update.Name = m.Name.ValueStringPointer()
	}
	if !m.Unit.Equal(state.Unit) {
		unit := polar.Unit(m.Unit.ValueString())
		update.Unit = &unit
	}
	// PATCH neither clears nor re-checks custom fields, so send them (null included) whenever they or the unit change.
	if !m.Unit.Equal(state.Unit) || !m.CustomLabel.Equal(state.CustomLabel) {
		update.CustomLabel = nullableFrom(m.CustomLabel.ValueStringPointer())
	}
	if !m.Unit.Equal(state.Unit) || !m.CustomMultiplier.Equal(state.CustomMultiplier) {
		update.CustomMultiplier = nullableFrom(m.CustomMultiplier.ValueInt64Pointer())
	}
	planFilter, d := filterFromObject(ctx, m.Filter)
	diags.Append(d...)
	stateFilter, d := filterFromObject(ctx, state.Filter)
	diags.Append(d...)
	if !sameFilter(planFilter, stateFilter) {
		update.Filter = &planFilter
	}
	if planAgg := aggregationFromObject(m.Aggregation); !sameAggregation(planAgg, aggregationFromObject(state.Aggregation)) {
		update.Aggregation = &planAgg
	}
	if planMeta := metadataFromDynamic(m.Metadata); !sameMetadata(planMeta, metadataFromDynamic(state.Metadata)) {
		if planMeta == nil {
			planMeta = polar.Metadata{} // {} clears; null would be refused
		}
		for _, key := range floatKeys {
			if v, ok := planMeta[key]; ok && v.Kind() == polar.MetadataKindInt {
				planMeta[key] = polar.MetadataFloat(float64(v.IntValue()))
			}
		}
		update.Metadata = &planMeta
	}
	if !m.IsArchived.Equal(state.IsArchived) {
		update.IsArchived = m.IsArchived.ValueBoolPointer()
	}
	return update, diags
}

// refresh sets m from Polar's meter, keeping m's own spelling of any value Polar normalised to the same thing.
func (m *meterResourceModel) refresh(ctx context.Context, meter *polar.Meter) diag.Diagnostics {
	var diags diag.Diagnostics
	m.ID = types.StringValue(meter.ID)
	m.Name = types.StringValue(meter.Name)
	m.Unit = types.StringValue(string(meter.Unit))
	m.CustomLabel = types.StringPointerValue(meter.CustomLabel)
	if effectiveMultiplier(m.CustomMultiplier.ValueInt64Pointer()) != effectiveMultiplier(meter.CustomMultiplier) {
		m.CustomMultiplier = types.Int64PointerValue(meter.CustomMultiplier)
	}
	if prior, d := filterFromObject(ctx, m.Filter); m.Filter.IsNull() || d.HasError() || !sameFilter(prior, meter.Filter) {
		m.Filter, diags = filterToObject(meter.Filter, 0)
	}
	if !sameAggregation(aggregationFromObject(m.Aggregation), meter.Aggregation) {
		m.Aggregation = aggregationToObject(meter.Aggregation)
	}
	if !sameMetadata(metadataFromDynamic(m.Metadata), meter.Metadata) {
		m.Metadata = metadataToDynamic(meter.Metadata)
	}
	m.OrganizationID = types.StringValue(meter.OrganizationID)
	m.IsArchived = types.BoolValue(meter.ArchivedAt != nil)
	m.CreatedAt = timeValue(&meter.CreatedAt)
	m.ModifiedAt = timeValue(meter.ModifiedAt)
	m.ArchivedAt = timeValue(meter.ArchivedAt)
	return diags
}

// filterFromObject converts a filter group (root or nested) to Polar's form: conditions first, then groups; null is empty.
func filterFromObject(ctx context.Context, object types.Object) (polar.Filter, diag.Diagnostics) {
	var diags diag.Diagnostics
	if object.IsNull() || object.IsUnknown() {
		return polar.Filter{}, diags
	}
	attrs := object.Attributes()
	filter := polar.Filter{Conjunction: polar.Conjunction(attrs["conjunction"].(types.String).ValueString())}
	var clauses []clauseModel
	diags.Append(attrs["clause"].(types.List).ElementsAs(ctx, &clauses, false)...)
	for _, c := range clauses {
		filter.Clauses = append(filter.Clauses, polar.FilterItem{Condition: &polar.FilterCondition{
			Property: c.Property.ValueString(),
			Operator: polar.Operator(c.Operator.ValueString()),
			Value:    c.value(),
		}})
	}
	if groups, ok := attrs["filter"].(types.List); ok {
		for _, g := range groups.Elements() {
			group, d := filterFromObject(ctx, g.(types.Object))
			diags.Append(d...)
			filter.Clauses = append(filter.Clauses, polar.FilterItem{Group: &group})
		}
	}
	return filter, diags
}

// value is the condition's value with its JSON type.
func (c clauseModel) value() polar.FilterValue {
	switch {
	case !c.IntValue.IsNull():
		return polar.IntValue(c.IntValue.ValueInt64())
	case !c.BoolValue.IsNull():
		return polar.BoolValue(c.BoolValue.ValueBool())
	default:
		return polar.StringValue(c.Value.ValueString())
	}
}

// filterToObject converts Polar's filter to a group at depth, splitting its mixed list into clause and filter blocks.
func filterToObject(filter polar.Filter, depth int) (types.Object, diag.Diagnostics) {
	var diags diag.Diagnostics
	objectType := filterObjectTypes[depth]
	clauseType := types.ObjectType{AttrTypes: clauseAttrTypes}
	clauses := []attr.Value{}
	groups := []attr.Value{}
	for _, item := range filter.Clauses {
		if item.Condition != nil {
			clauses = append(clauses, conditionToObject(*item.Condition))
			continue
		}
		if depth >= maxFilterDepth {
			diags.AddError("Filter nested too deeply",
				fmt.Sprintf("This meter's filter nests groups more than %d levels below the root, deeper than the provider's schema "+
					"can represent. It cannot be managed without losing part of its filter; simplify it in Polar first.", maxFilterDepth))
			return types.ObjectNull(objectType.AttrTypes), diags
		}
		group, d := filterToObject(*item.Group, depth+1)
		diags.Append(d...)
		groups = append(groups, group)
	}
	attrs := map[string]attr.Value{
		"conjunction": types.StringValue(string(filter.Conjunction)),
		"clause":      types.ListValueMust(clauseType, clauses),
	}
	if depth < maxFilterDepth {
		attrs["filter"] = types.ListValueMust(filterObjectTypes[depth+1], groups)
	}
	object, d := types.ObjectValue(objectType.AttrTypes, attrs)
	diags.Append(d...)
	return object, diags
}

// conditionToObject converts one condition, putting its value in the attribute of its JSON type.
func conditionToObject(c polar.FilterCondition) attr.Value {
	model := clauseModel{
		Property:  types.StringValue(c.Property),
		Operator:  types.StringValue(string(c.Operator)),
		Value:     types.StringNull(),
		IntValue:  types.Int64Null(),
		BoolValue: types.BoolNull(),
	}
	switch c.Value.Kind() {
	case polar.ValueInt:
		model.IntValue = types.Int64Value(c.Value.Int())
	case polar.ValueBool:
		model.BoolValue = types.BoolValue(c.Value.Bool())
	default:
		model.Value = types.StringValue(c.Value.String())
	}
	return types.ObjectValueMust(clauseAttrTypes, map[string]attr.Value{
		"property": model.Property, "operator": model.Operator,
		"value": model.Value, "int_value": model.IntValue, "bool_value": model.BoolValue,
	})
}

// aggregationFromObject converts the aggregation block.
func aggregationFromObject(object types.Object) polar.Aggregation {
	if object.IsNull() || object.IsUnknown() {
		return polar.Aggregation{}
	}
	attrs := object.Attributes()
	return polar.Aggregation{
		Func:     polar.AggregationFunc(attrs["func"].(types.String).ValueString()),
		Property: attrs["property"].(types.String).ValueString(),
	}
}

// aggregationToObject converts Polar's aggregation; count has no property.
func aggregationToObject(a polar.Aggregation) types.Object {
	property := types.StringNull()
	if a.Func != polar.AggregationCount {
		property = types.StringValue(a.Property)
	}
	return types.ObjectValueMust(aggregationAttrTypes, map[string]attr.Value{
		"func": types.StringValue(string(a.Func)), "property": property,
	})
}

// metadataFromDynamic converts metadata (an object or map of primitives) to Polar's typed values; nil when unset.
func metadataFromDynamic(d types.Dynamic) polar.Metadata {
	if d.IsNull() || d.IsUnknown() || d.IsUnderlyingValueNull() || d.IsUnderlyingValueUnknown() {
		return nil
	}
	out := polar.Metadata{}
	for key, v := range metadataElements(d.UnderlyingValue()) {
		if value, ok := metadataValue(v); ok {
			out[key] = value
		}
	}
	return out
}

// metadataElements lists the entries of an object or map value.
func metadataElements(v attr.Value) map[string]attr.Value {
	switch v := v.(type) {
	case basetypes.ObjectValue:
		return v.Attributes()
	case basetypes.MapValue:
		return v.Elements()
	}
	return nil
}

// metadataValue converts one metadata entry; whole numbers become integers, others floats.
func metadataValue(v attr.Value) (polar.MetadataValue, bool) {
	if v.IsNull() || v.IsUnknown() {
		return polar.MetadataValue{}, false
	}
	switch v := v.(type) {
	case basetypes.StringValue:
		return polar.MetadataString(v.ValueString()), true
	case basetypes.BoolValue:
		return polar.MetadataBool(v.ValueBool()), true
	case basetypes.NumberValue:
		n := v.ValueBigFloat()
		if i, accuracy := n.Int64(); n.IsInt() && accuracy == big.Exact {
			return polar.MetadataInt(i), true
		}
		f, _ := n.Float64()
		return polar.MetadataFloat(f), true
	}
	return polar.MetadataValue{}, false
}

// metadataToDynamic converts Polar's metadata to an object whose attribute types follow the values; empty is null.
func metadataToDynamic(m polar.Metadata) types.Dynamic {
	if len(m) == 0 {
		return types.DynamicNull()
	}
	attrTypes := make(map[string]attr.Type, len(m))
	values := make(map[string]attr.Value, len(m))
	for key, v := range m {
		switch v.Kind() {
		case polar.MetadataKindString:
			values[key] = types.StringValue(v.StringValue())
		case polar.MetadataKindBool:
			values[key] = types.BoolValue(v.BoolValue())
		case polar.MetadataKindInt:
			values[key] = types.NumberValue(new(big.Float).SetInt64(v.IntValue()))
		default:
			values[key] = types.NumberValue(decimalNumber(v.FloatValue()))
		}
		attrTypes[key] = values[key].Type(context.Background())
	}
	return types.DynamicValue(types.ObjectValueMust(attrTypes, values))
}

// floatKeysOf lists the metadata keys Polar holds as floats: Terraform's numbers cannot tell 2.0 from 2.
func floatKeysOf(m polar.Metadata) []string {
	keys := []string{}
	for key, v := range m {
		if v.Kind() == polar.MetadataKindFloat {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	return keys
}

// decimalNumber is f as HCL would parse its shortest decimal text, so a float read back equals the same literal in config.
func decimalNumber(f float64) *big.Float {
	n, _, _ := big.ParseFloat(strconv.FormatFloat(f, 'g', -1, 64), 10, 512, big.ToNearestEven)
	return n
}

// madeBy reports whether meter is what Polar stores for create.
func madeBy(create polar.MeterCreate, meter polar.Meter) bool {
	unit := cmp.Or(create.Unit, polar.UnitScalar)
	return meter.Name == create.Name && meter.Unit == unit &&
		reflect.DeepEqual(meter.CustomLabel, create.CustomLabel) &&
		effectiveMultiplier(meter.CustomMultiplier) == effectiveMultiplier(create.CustomMultiplier) &&
		(create.OrganizationID == nil || *create.OrganizationID == meter.OrganizationID) &&
		sameFilter(meter.Filter, create.Filter) && sameAggregation(meter.Aggregation, create.Aggregation) &&
		sameMetadata(meter.Metadata, create.Metadata)
}

// sameFilter compares two filters as Polar stores them: metadata. prefixes stripped, conditions before groups.
func sameFilter(a, b polar.Filter) bool {
	return reflect.DeepEqual(canonicalFilter(a), canonicalFilter(b))
}

// canonicalFilter is the filter in the order the provider writes it, with Polar's normalisation applied.
func canonicalFilter(f polar.Filter) polar.Filter {
	out := polar.Filter{Conjunction: f.Conjunction}
	var groups []polar.FilterItem
	for _, item := range f.Clauses {
		if item.Condition != nil {
			c := *item.Condition
			c.Property = storedProperty(c.Property)
			out.Clauses = append(out.Clauses, polar.FilterItem{Condition: &c})
			continue
		}
		g := canonicalFilter(*item.Group)
		groups = append(groups, polar.FilterItem{Group: &g})
	}
	out.Clauses = append(out.Clauses, groups...)
	return out
}

// sameAggregation compares two aggregations as Polar stores them.
func sameAggregation(a, b polar.Aggregation) bool {
	if a.Func == polar.AggregationCount || b.Func == polar.AggregationCount {
		return a.Func == b.Func
	}
	return a.Func == b.Func && storedProperty(a.Property) == storedProperty(b.Property)
}

// storedProperty is a property as Polar stores it: one leading "metadata." is stripped.
func storedProperty(p string) string {
	return strings.TrimPrefix(p, "metadata.")
}

// sameMetadata compares metadata by key, JSON type and value; unset and empty are the same.
func sameMetadata(a, b polar.Metadata) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

// effectiveMultiplier is the multiplier Polar applies: unset means 1.
func effectiveMultiplier(m *int64) int64 {
	if m == nil {
		return 1
	}
	return *m
}

// nullableFrom turns an optional value into a PATCH field sent as the value or as null.
func nullableFrom[T any](v *T) polar.Nullable[T] {
	if v == nil {
		return polar.Null[T]()
	}
	return polar.Value(*v)
}

// timeValue renders an API time as RFC 3339, null when absent.
func timeValue(t *time.Time) types.String {
	if t == nil {
		return types.StringNull()
	}
	return types.StringValue(t.UTC().Format(time.RFC3339Nano))
}
