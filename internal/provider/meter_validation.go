package provider

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"strconv"
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
	// maxFilterDepth is how many levels of nested groups the schema holds below the root filter.
	maxFilterDepth = 3
)

// validateMeterConfig checks the rules that tie attributes together; unknown values are left for plan time.
func validateMeterConfig(ctx context.Context, config meterResourceModel, diags *diag.Diagnostics) {
	validateUnit(config, diags)
	validateAggregation(config.Aggregation, diags)
	if !config.Filter.IsNull() && !config.Filter.IsUnknown() {
		warnNumericText(ctx, config.Filter, path.Root("filter"), diags)
	}
}

// validateUnit enforces that custom_label goes with unit = "custom" exactly, and custom_multiplier only with it.
func validateUnit(config meterResourceModel, diags *diag.Diagnostics) {
	if config.Unit.IsUnknown() {
		return
	}
	custom := config.Unit.ValueString() == string(polar.UnitCustom)
	switch {
	case custom && config.CustomLabel.IsNull():
		diags.AddAttributeError(path.Root("custom_label"), "Missing custom_label",
			`custom_label is required when unit = "custom": it names the unit shown to customers, e.g. "request".`)
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
func validateAggregation(aggregation types.Object, diags *diag.Diagnostics) {
	if aggregation.IsNull() || aggregation.IsUnknown() {
		return
	}
	attrs := aggregation.Attributes()
	fn, property := attrs["func"].(types.String), attrs["property"].(types.String)
	if fn.IsNull() || fn.IsUnknown() {
		return
	}
	propertyPath := path.Root("aggregation").AtName("property")
	switch {
	case fn.ValueString() == string(polar.AggregationCount) && isSet(property):
		diags.AddAttributeError(propertyPath, "property is refused for count",
			`aggregation.property must not be set when func = "count": count has no property, and Polar would silently drop it.`)
	case fn.ValueString() != string(polar.AggregationCount) && property.IsNull():
		diags.AddAttributeError(propertyPath, "Missing aggregation property",
			fmt.Sprintf("aggregation.property is required when func = %q: name the event property to aggregate, e.g. \"tokens\".", fn.ValueString()))
	}
}

// warnNumericText warns where a numeric-looking string is ordered with gt/gte/lt/lte: Polar compares it as text.
func warnNumericText(ctx context.Context, filter types.Object, at path.Path, diags *diag.Diagnostics) {
	attrs := filter.Attributes()
	if clauses, ok := attrs["clause"].(types.List); ok && !clauses.IsUnknown() {
		var models []clauseModel
		if d := clauses.ElementsAs(ctx, &models, true); d.HasError() {
			return
		}
		for i, c := range models {
			if isOrdering(c.Operator.ValueString()) && looksNumeric(c.Value) {
				diags.AddAttributeWarning(at.AtName("clause").AtListIndex(i).AtName("value"), "Number compared as text",
					fmt.Sprintf("value = %q is sent as a JSON string, so Polar compares it as text (\"9\" > \"10\") and it never matches a numeric "+
						"event property. %s", c.Value.ValueString(), numericAdvice(c.Value.ValueString())))
			}
		}
	}
	if groups, ok := attrs["filter"].(types.List); ok && !groups.IsUnknown() {
		for i, g := range groups.Elements() {
			if group, ok := g.(types.Object); ok && !group.IsNull() && !group.IsUnknown() {
				warnNumericText(ctx, group, at.AtName("filter").AtListIndex(i), diags)
			}
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
			"metadata must be a map or object of strings, numbers and bools, e.g. { team = \"ai\", tier = 3 }.")
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
	case basetypes.NumberValue:
		n := v.ValueBigFloat()
		if _, accuracy := n.Int64(); n.IsInt() && accuracy != big.Exact {
			return "integers must fit in 64 bits"
		}
	case basetypes.BoolValue:
	default:
		return fmt.Sprintf("values must be a string, number or bool, not %s", value.Type(context.Background()))
	}
	return ""
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
