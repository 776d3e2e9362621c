package provider

import (
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

// filterModel is one filter group, the root or a nested one; the deepest level's groups are always empty.
type filterModel struct {
	Conjunction types.String `tfsdk:"conjunction"`
	Clauses     types.List   `tfsdk:"clauses"`
	Groups      types.List   `tfsdk:"groups"`
}

// clauseModel is one filter condition.
type clauseModel struct {
	Property  types.String `tfsdk:"property"`
	Operator  types.String `tfsdk:"operator"`
	Value     types.String `tfsdk:"value"`
	IntValue  types.Number `tfsdk:"int_value"`
	BoolValue types.Bool   `tfsdk:"bool_value"`
}

// aggregationModel is the aggregation attribute.
type aggregationModel struct {
	Func     types.String `tfsdk:"func"`
	Property types.String `tfsdk:"property"`
}

// filterAttrTypes[depth] is the Terraform type of a filter group, derived once from the schema so the two never drift;
// the last is the type of the always-empty groups below the deepest level.
var filterAttrTypes = func() []map[string]attr.Type {
	out := make([]map[string]attr.Type, maxFilterDepth+2)
	for depth := range maxFilterDepth + 1 {
		out[depth] = objectAttrTypes(filterGroupObject(depth).Type())
	}
	out[maxFilterDepth+1] = objectAttrTypes(listElementType(filterGroupObject(maxFilterDepth).Attributes["groups"].GetType()))
	return out
}()

// listElementType is the element type of a list type.
func listElementType(t attr.Type) attr.Type {
	if list, ok := t.(types.ListType); ok {
		return list.ElemType
	}
	panic(fmt.Sprintf("provider: %s is not a list type", t))
}

// objectAttrTypes is the attribute types of an object type.
func objectAttrTypes(t attr.Type) map[string]attr.Type {
	if object, ok := t.(types.ObjectType); ok {
		return object.AttrTypes
	}
	panic(fmt.Sprintf("provider: %s is not an object type", t))
}

// clauseAttrTypes is the Terraform type of one filter condition.
var clauseAttrTypes = objectAttrTypes(clauseObject().Type())

// aggregationAttrTypes is the Terraform type of the aggregation attribute.
var aggregationAttrTypes = objectAttrTypes(meterResourceSchema.Attributes["aggregation"].GetType())

// toCreate converts a planned meter to Polar's create body. Whether organization_id is sent is decided with the token
// (providerData.checkOrganization).
func (m meterResourceModel) toCreate(ctx context.Context) (polar.MeterCreate, diag.Diagnostics) {
	filter, diags := filterFromObject(ctx, m.Filter)
	create := polar.MeterCreate{
		Name:             m.Name.ValueString(),
		Unit:             polar.Unit(m.Unit.ValueString()),
		CustomLabel:      m.CustomLabel.ValueStringPointer(),
		CustomMultiplier: int64Pointer(m.CustomMultiplier),
		Filter:           filter,
		Aggregation:      aggregationFromObject(ctx, m.Aggregation),
		Metadata:         metadataFromDynamic(m.Metadata),
	}
	if isSet(m.OrganizationID) {
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
	if !m.Unit.Equal(state.Unit) || effectiveMultiplier(int64Pointer(m.CustomMultiplier)) != effectiveMultiplier(int64Pointer(state.CustomMultiplier)) {
		update.CustomMultiplier = nullableFrom(int64Pointer(m.CustomMultiplier))
	}
	planFilter, d := filterFromObject(ctx, m.Filter)
	diags.Append(d...)
	stateFilter, d := filterFromObject(ctx, state.Filter)
	diags.Append(d...)
	if !sameFilter(planFilter, stateFilter) {
		update.Filter = &planFilter
	}
	if planAgg := aggregationFromObject(ctx, m.Aggregation); !sameAggregation(planAgg, aggregationFromObject(ctx, state.Aggregation)) {
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
	if effectiveMultiplier(int64Pointer(m.CustomMultiplier)) != effectiveMultiplier(meter.CustomMultiplier) {
		m.CustomMultiplier = numberPointerValue(meter.CustomMultiplier)
	}
	filter, aggregation := spelledFilter(meter.Filter), spelledAggregation(meter.Aggregation)
	if prior, d := filterFromObject(ctx, m.Filter); m.Filter.IsNull() || m.Filter.IsUnknown() || d.HasError() || !sameFilter(prior, filter) {
		m.Filter, diags = filterToObject(ctx, filter, 0)
	}
	if prior := aggregationFromObject(ctx, m.Aggregation); m.Aggregation.IsNull() || !sameAggregation(prior, aggregation) {
		m.Aggregation = aggregationToObject(ctx, aggregation)
	}
	metadata := withoutCreateMarker(meter.Metadata)
	if !sameMetadata(metadataFromDynamic(m.Metadata), metadata) {
		m.Metadata = metadataToDynamic(metadata)
	}
	m.OrganizationID = types.StringValue(meter.OrganizationID)
	m.IsArchived = types.BoolValue(meter.ArchivedAt != nil)
	m.CreatedAt = timeValue(&meter.CreatedAt)
	m.ModifiedAt = timeValue(meter.ModifiedAt)
	m.ArchivedAt = timeValue(meter.ArchivedAt)
	return diags
}

// equal reports whether m and o hold the same value in every attribute.
func (m meterResourceModel) equal(o meterResourceModel) bool {
	a, b := reflect.ValueOf(m), reflect.ValueOf(o)
	for i := range a.NumField() {
		x, xok := a.Field(i).Interface().(attr.Value)
		y, yok := b.Field(i).Interface().(attr.Value)
		if !xok || !yok || !x.Equal(y) {
			return false
		}
	}
	return true
}

// filterFromObject converts a filter group (root or nested) to Polar's form: conditions first, then groups; null is empty.
func filterFromObject(ctx context.Context, object types.Object) (polar.Filter, diag.Diagnostics) {
	var group filterModel
	if object.IsNull() || object.IsUnknown() {
		return polar.Filter{}, nil
	}
	diags := object.As(ctx, &group, basetypes.ObjectAsOptions{})
	var clauses []clauseModel
	var groups []types.Object
	if diags.HasError() || group.Clauses.IsUnknown() || group.Groups.IsUnknown() {
		return polar.Filter{}, diags
	}
	diags.Append(group.Clauses.ElementsAs(ctx, &clauses, false)...)
	diags.Append(group.Groups.ElementsAs(ctx, &groups, false)...)
	filter := polar.Filter{Conjunction: polar.Conjunction(group.Conjunction.ValueString())}
	for _, c := range clauses {
		filter.Clauses = append(filter.Clauses, polar.FilterItem{Condition: &polar.FilterCondition{
			Property: c.Property.ValueString(),
			Operator: polar.Operator(c.Operator.ValueString()),
			Value:    c.value(),
		}})
	}
	for _, g := range groups {
		nested, d := filterFromObject(ctx, g)
		diags.Append(d...)
		filter.Clauses = append(filter.Clauses, polar.FilterItem{Group: &nested})
	}
	return filter, diags
}

// value is the condition's value with its JSON type.
func (c clauseModel) value() polar.FilterValue {
	switch {
	case !c.IntValue.IsNull():
		return polar.IntValue(*int64Pointer(c.IntValue))
	case !c.BoolValue.IsNull():
		return polar.BoolValue(c.BoolValue.ValueBool())
	default:
		return polar.StringValue(c.Value.ValueString())
	}
}

// filterToObject converts Polar's filter to a group at depth, splitting its mixed list into clauses and groups.
func filterToObject(ctx context.Context, filter polar.Filter, depth int) (types.Object, diag.Diagnostics) {
	var diags diag.Diagnostics
	clauses := []clauseModel{}
	groups := []types.Object{}
	for _, item := range filter.Clauses {
		if item.Condition != nil {
			clauses = append(clauses, conditionModel(*item.Condition))
			continue
		}
		if depth >= maxFilterDepth {
			diags.AddError("Filter nested too deeply",
				fmt.Sprintf("This meter's filter nests groups more than %d levels below the root filter, the most the provider's "+
					"schema holds. It cannot be managed without losing part of its filter; simplify it in Polar first.", maxFilterDepth))
			return types.ObjectNull(filterAttrTypes[depth]), diags
		}
		group, d := filterToObject(ctx, *item.Group, depth+1)
		diags.Append(d...)
		groups = append(groups, group)
	}
	model := filterModel{Conjunction: types.StringValue(string(filter.Conjunction))}
	var d diag.Diagnostics
	model.Clauses, d = types.ListValueFrom(ctx, types.ObjectType{AttrTypes: clauseAttrTypes}, clauses)
	diags.Append(d...)
	model.Groups, d = types.ListValueFrom(ctx, types.ObjectType{AttrTypes: filterAttrTypes[depth+1]}, groups)
	diags.Append(d...)
	object, d := types.ObjectValueFrom(ctx, filterAttrTypes[depth], model)
	diags.Append(d...)
	return object, diags
}

// conditionModel converts one condition, putting its value in the attribute of its JSON type.
func conditionModel(c polar.FilterCondition) clauseModel {
	model := clauseModel{
		Property:  types.StringValue(c.Property),
		Operator:  types.StringValue(string(c.Operator)),
		Value:     types.StringNull(),
		IntValue:  types.NumberNull(),
		BoolValue: types.BoolNull(),
	}
	switch c.Value.Kind() {
	case polar.ValueInt:
		model.IntValue = types.NumberValue(new(big.Float).SetInt64(c.Value.Int()))
	case polar.ValueBool:
		model.BoolValue = types.BoolValue(c.Value.Bool())
	default:
		model.Value = types.StringValue(c.Value.String())
	}
	return model
}

// aggregationFromObject converts the aggregation attribute; null and unknown are empty.
func aggregationFromObject(ctx context.Context, object types.Object) polar.Aggregation {
	var model aggregationModel
	if object.IsNull() || object.IsUnknown() || object.As(ctx, &model, basetypes.ObjectAsOptions{}).HasError() {
		return polar.Aggregation{}
	}
	return polar.Aggregation{Func: polar.AggregationFunc(model.Func.ValueString()), Property: model.Property.ValueString()}
}

// aggregationToObject converts an aggregation; count has no property.
func aggregationToObject(ctx context.Context, a polar.Aggregation) types.Object {
	model := aggregationModel{Func: types.StringValue(string(a.Func)), Property: types.StringNull()}
	if a.Func != polar.AggregationCount {
		model.Property = types.StringValue(a.Property)
	}
	object, _ := types.ObjectValueFrom(ctx, aggregationAttrTypes, model) // the model matches the type by construction
	return object
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

// metadataPrefix is stripped once by Polar from filter and aggregation properties.
const metadataPrefix = "metadata."

// storedProperty is a property as Polar stores it: one leading "metadata." is stripped.
func storedProperty(p string) string {
	return strings.TrimPrefix(p, metadataPrefix)
}

// propertySpelling is how to write a property Polar holds so that Polar stores it unchanged: a property that itself
// starts with the prefix needs it twice.
func propertySpelling(stored string) string {
	if strings.HasPrefix(stored, metadataPrefix) {
		return metadataPrefix + stored
	}
	return stored
}

// spelledFilter is a filter read from Polar as configuration would write it: sending it again stores the same.
func spelledFilter(f polar.Filter) polar.Filter {
	out := polar.Filter{Conjunction: f.Conjunction, Clauses: make([]polar.FilterItem, len(f.Clauses))}
	for i, item := range f.Clauses {
		if item.Condition != nil {
			c := *item.Condition
			c.Property = propertySpelling(c.Property)
			out.Clauses[i].Condition = &c
			continue
		}
		g := spelledFilter(*item.Group)
		out.Clauses[i].Group = &g
	}
	return out
}

// spelledAggregation is an aggregation read from Polar as configuration would write it.
func spelledAggregation(a polar.Aggregation) polar.Aggregation {
	a.Property = propertySpelling(a.Property)
	return a
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

// int64Pointer is a whole number attribute's value; validation keeps it whole and in range, nil when null or unknown.
func int64Pointer(n types.Number) *int64 {
	if n.IsNull() || n.IsUnknown() {
		return nil
	}
	i, _ := n.ValueBigFloat().Int64()
	return &i
}

// numberPointerValue is the whole number attribute for an API integer, null for nil.
func numberPointerValue(i *int64) types.Number {
	if i == nil {
		return types.NumberNull()
	}
	return types.NumberValue(new(big.Float).SetInt64(*i))
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
