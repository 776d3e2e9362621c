package provider

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/polar-terraform/terraform-provider-polar/internal/polar"
)

// Polar's meter limits (shared/polar-api/README.md), checked before any API call.
const (
	minNameLength          = 3
	maxFilterStringLength  = 1000
	minFilterInt           = math.MinInt32
	maxFilterInt           = math.MaxInt32
	maxMetadataKeys        = 50
	maxMetadataKeyLength   = 40
	maxMetadataValueLength = 500
	maxCustomMultiplier    = math.MaxInt64
	// maxFilterDepth is how many levels of nested groups the schema holds below the root filter.
	maxFilterDepth = 3
)

// validateMeterConfig checks the rules that tie attributes together; unknown values are left for plan time.
func validateMeterConfig(ctx context.Context, config meterResourceModel, diags *diag.Diagnostics) {
	validateUnit(config, diags)
	validateAggregation(ctx, config.Aggregation, diags)
	warnNumericText(ctx, config.Filter, path.Root("filter"), diags)
}

// validateUnit enforces that custom_label goes with unit = "custom" exactly, and custom_multiplier only with it.
// Each error points at an attribute the configuration sets, so Terraform can show the line.
func validateUnit(config meterResourceModel, diags *diag.Diagnostics) {
	if config.Unit.IsUnknown() {
		return
	}
	custom := config.Unit.ValueString() == string(polar.UnitCustom)
	switch {
	case custom && config.CustomLabel.IsNull():
		diags.AddAttributeError(path.Root("unit"), "unit = \"custom\" needs custom_label",
			`custom_label is required when unit = "custom": it names the unit shown to customers, e.g. custom_label = "request".`)
	case !custom && isSet(config.CustomLabel):
		diags.AddAttributeError(path.Root("custom_label"), "custom_label needs unit = \"custom\"",
			fmt.Sprintf("custom_label is only allowed when unit = \"custom\"; unit is %q.", unitOrDefault(config.Unit)))
	}
	if !custom && isSet(config.CustomMultiplier) {
		diags.AddAttributeError(path.Root("custom_multiplier"), "custom_multiplier needs unit = \"custom\"",
			fmt.Sprintf("custom_multiplier is only allowed when unit = \"custom\"; unit is %q.", unitOrDefault(config.Unit)))
	}
}

// isSet reports whether a configuration value is known and not null; an unknown one may still turn out null.
func isSet(v attr.Value) bool {
	return !v.IsNull() && !v.IsUnknown()
}

// unitOrDefault names the unit in messages, with Polar's default when unset.
func unitOrDefault(unit types.String) string {
	if unit.IsNull() {
		return string(polar.UnitScalar)
	}
	return unit.ValueString()
}

// validateAggregation enforces that property goes with every function but count (Polar silently drops it for count).
func validateAggregation(ctx context.Context, aggregation types.Object, diags *diag.Diagnostics) {
	var model aggregationModel
	if !isSet(aggregation) || aggregation.As(ctx, &model, basetypes.ObjectAsOptions{}).HasError() || !isSet(model.Func) {
		return
	}
	propertyPath := path.Root("aggregation").AtName("property")
	switch {
	case model.Func.ValueString() == string(polar.AggregationCount) && isSet(model.Property):
		diags.AddAttributeError(propertyPath, "property is refused for count",
			`aggregation.property must not be set when func = "count": count has no property, and Polar would silently drop it.`)
	case model.Func.ValueString() != string(polar.AggregationCount) && model.Property.IsNull():
		diags.AddAttributeError(path.Root("aggregation").AtName("func"), "Missing aggregation property",
			fmt.Sprintf("aggregation.property is required when func = %q: name the event property to aggregate, e.g. property = \"tokens\".",
				model.Func.ValueString()))
	}
}

// warnNumericText warns where a numeric-looking string is ordered with gt/gte/lt/lte: Polar compares it as text.
func warnNumericText(ctx context.Context, filter types.Object, at path.Path, diags *diag.Diagnostics) {
	var group filterModel
	if !isSet(filter) || filter.As(ctx, &group, basetypes.ObjectAsOptions{}).HasError() {
		return
	}
	var clauses []clauseModel
	if isSet(group.Clauses) && !group.Clauses.ElementsAs(ctx, &clauses, true).HasError() {
		for i, c := range clauses {
			if isOrdering(c.Operator.ValueString()) && looksNumeric(c.Value) {
				diags.AddAttributeWarning(at.AtName("clauses").AtListIndex(i).AtName("value"), "Number compared as text",
					fmt.Sprintf("value = %q is sent as a JSON string, so Polar compares it as text (\"9\" > \"10\") and it never matches a numeric "+
						"event property. %s", c.Value.ValueString(), numericAdvice(c.Value.ValueString())))
			}
		}
	}
	var groups []types.Object
	if isSet(group.Groups) && !group.Groups.ElementsAs(ctx, &groups, true).HasError() {
		for i, g := range groups {
			warnNumericText(ctx, g, at.AtName("groups").AtListIndex(i), diags)
		}
	}
}

// numericAdvice says how to compare as a number: int_value holds whole numbers in the 32-bit range, nothing holds others.
func numericAdvice(text string) string {
	if n, err := strconv.ParseInt(text, 10, 32); err == nil {
		return fmt.Sprintf("Use int_value = %d to compare numbers.", n)
	}
	return "Polar compares numbers only as whole 32-bit integers (int_value); this value is not one."
}

// isOrdering reports whether an operator orders values.
func isOrdering(operator string) bool {
	switch polar.Operator(operator) {
	case polar.OperatorGt, polar.OperatorGte, polar.OperatorLt, polar.OperatorLte:
		return true
	}
	return false
}

// looksNumeric reports whether a known string value parses as a number.
func looksNumeric(v types.String) bool {
	if v.IsNull() || v.IsUnknown() {
		return false
	}
	f, err := strconv.ParseFloat(v.ValueString(), 64)
	return err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
}

// metadataValidator checks metadata against Polar's limits: ≤50 keys of 1–40 characters, values string (1–500), number or bool.
type metadataValidator struct{}

func (metadataValidator) Description(context.Context) string {
	return fmt.Sprintf("map of at most %d keys (1 to %d characters) to strings (1 to %d characters), numbers or bools",
		maxMetadataKeys, maxMetadataKeyLength, maxMetadataValueLength)
}

func (v metadataValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (metadataValidator) ValidateDynamic(_ context.Context, req validator.DynamicRequest, resp *validator.DynamicResponse) {
	value := req.ConfigValue
	if value.IsNull() || value.IsUnknown() || value.IsUnderlyingValueNull() || value.IsUnderlyingValueUnknown() {
		return
	}
	elements := metadataElements(value.UnderlyingValue())
	if elements == nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid metadata",
			fmt.Sprintf("metadata must be a map of keys to strings, numbers and bools, e.g. { team = \"ai\", tier = 3 }; this is %s.",
				kindInWords(value.UnderlyingValue())))
		return
	}
	if len(elements) > maxMetadataKeys {
		resp.Diagnostics.AddAttributeError(req.Path, "Too many metadata keys",
			fmt.Sprintf("metadata has %d keys; Polar allows at most %d.", len(elements), maxMetadataKeys))
	}
	for key, element := range elements {
		if problem := metadataEntryProblem(key, element); problem != "" {
			resp.Diagnostics.AddAttributeError(req.Path, "Invalid metadata entry", fmt.Sprintf("metadata[%q]: %s.", key, problem))
		}
	}
}

// metadataEntryProblem describes what is wrong with one metadata entry, or "" when it is valid or not yet known.
func metadataEntryProblem(key string, value attr.Value) string {
	if n := utf8.RuneCountInString(key); n < 1 || n > maxMetadataKeyLength {
		return fmt.Sprintf("keys must be 1 to %d characters, this one has %d", maxMetadataKeyLength, n)
	}
	if strings.ContainsRune(key, 0) {
		return "the key contains a NUL character (\\u0000), which Polar refuses"
	}
	if key == createMarkerKey {
		return "this key is reserved for the provider's one-time create marker"
	}
	if value.IsUnknown() {
		return ""
	}
	if value.IsNull() {
		return "values must not be null; remove the key instead"
	}
	switch v := value.(type) {
	case basetypes.StringValue:
		if n := utf8.RuneCountInString(v.ValueString()); n < 1 || n > maxMetadataValueLength {
			return fmt.Sprintf("string values must be 1 to %d characters, this one has %d", maxMetadataValueLength, n)
		}
		if strings.ContainsRune(v.ValueString(), 0) {
			return "the value contains a NUL character (\\u0000), which Polar refuses"
		}
	case basetypes.NumberValue:
		n := v.ValueBigFloat()
		if _, accuracy := n.Int64(); n.IsInt() && accuracy != big.Exact {
			return "integers must fit in 64 bits"
		}
	case basetypes.BoolValue:
	default:
		return fmt.Sprintf("values must be a string, number or bool; this one is %s", kindInWords(value))
	}
	return ""
}

// kindInWords names a value's kind as a person writing HCL would.
func kindInWords(v attr.Value) string {
	switch v.(type) {
	case basetypes.ObjectValue, basetypes.MapValue:
		return "a map or object"
	case basetypes.ListValue, basetypes.TupleValue, basetypes.SetValue:
		return "a list"
	case basetypes.StringValue:
		return "a string"
	case basetypes.NumberValue:
		return "a number"
	case basetypes.BoolValue:
		return "a bool"
	}
	return "not a string, number or bool"
}

// noNULValidator refuses NUL characters, which Polar refuses in names, labels and metadata.
type noNULValidator struct{}

func (noNULValidator) Description(context.Context) string { return "must not contain NUL characters" }

func (v noNULValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (noNULValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if isSet(req.ConfigValue) && strings.ContainsRune(req.ConfigValue.ValueString(), 0) {
		resp.Diagnostics.AddAttributeError(req.Path, "NUL character refused",
			fmt.Sprintf("%s contains a NUL character (\\u0000), which Polar refuses (\"This value contains invalid characters\").", req.Path))
	}
}

// wholeNumberValidator requires a whole number in [min, max], where the schema's number type would take any.
type wholeNumberValidator struct{ min, max int64 }

func (v wholeNumberValidator) Description(context.Context) string {
	return fmt.Sprintf("must be a whole number from %d to %d", v.min, v.max)
}

func (v wholeNumberValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v wholeNumberValidator) ValidateNumber(_ context.Context, req validator.NumberRequest, resp *validator.NumberResponse) {
	if !isSet(req.ConfigValue) {
		return
	}
	n := req.ConfigValue.ValueBigFloat()
	if !n.IsInt() {
		resp.Diagnostics.AddAttributeError(req.Path, "Whole number required",
			fmt.Sprintf("%s takes a whole number; got %s.", req.Path, n.Text('g', -1)))
		return
	}
	if n.Cmp(new(big.Float).SetInt64(v.min)) < 0 || n.Cmp(new(big.Float).SetInt64(v.max)) > 0 {
		resp.Diagnostics.AddAttributeError(req.Path, "Number out of range",
			fmt.Sprintf("%s must be from %d to %d; got %s.", req.Path, v.min, v.max, n.Text('f', 0)))
	}
}

// oneClauseValueValidator requires exactly one of a clause's three value attributes, named as the user writes them.
type oneClauseValueValidator struct{}

func (oneClauseValueValidator) Description(context.Context) string {
	return "set exactly one of value, int_value, bool_value"
}

func (v oneClauseValueValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (oneClauseValueValidator) ValidateObject(ctx context.Context, req validator.ObjectRequest, resp *validator.ObjectResponse) {
	var clause clauseModel
	if !isSet(req.ConfigValue) || req.ConfigValue.As(ctx, &clause, basetypes.ObjectAsOptions{}).HasError() {
		return
	}
	set := 0
	for _, value := range []attr.Value{clause.Value, clause.IntValue, clause.BoolValue} {
		if value.IsUnknown() {
			return
		}
		if !value.IsNull() {
			set++
		}
	}
	if set != 1 {
		resp.Diagnostics.AddAttributeError(req.Path, "Clause needs exactly one value",
			fmt.Sprintf("The clause at %s (property %q) sets %d of value, int_value and bool_value: set exactly one of value (text), "+
				"int_value (whole number) or bool_value (true/false).", req.Path, clause.Property.ValueString(), set))
	}
}

// tooDeepValidator refuses groups below the deepest level the schema holds, saying what the limit is.
type tooDeepValidator struct{}

func (tooDeepValidator) Description(context.Context) string {
	return fmt.Sprintf("groups nest at most %d levels below the root filter", maxFilterDepth)
}

func (v tooDeepValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v tooDeepValidator) ValidateList(ctx context.Context, req validator.ListRequest, resp *validator.ListResponse) {
	if isSet(req.ConfigValue) && len(req.ConfigValue.Elements()) > 0 {
		resp.Diagnostics.AddAttributeError(req.Path, "Filter nested too deeply",
			fmt.Sprintf("%s: filter groups nest at most %d levels below the root filter. Flatten this group into its parent "+
				"(an `and` inside an `and` is the same as one `and`).", req.Path, maxFilterDepth))
	}
}

// uuidValidator checks that a string is a UUID, as Polar's IDs are.
type uuidValidator struct{}

func (uuidValidator) Description(context.Context) string {
	return "must be a UUID"
}

func (v uuidValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (uuidValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := uuid.Parse(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid UUID",
			fmt.Sprintf("%s must be a UUID such as 1dbfc517-0bbf-4301-9ba8-555ca42b9737; got %q.", req.Path, req.ConfigValue.ValueString()))
	}
}
