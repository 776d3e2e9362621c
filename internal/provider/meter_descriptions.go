package provider

import "fmt"

// attributeDescription documents one meter attribute: what it holds (said everywhere) and the rules for setting it
// (said only where it can be set).
type attributeDescription struct {
	holds string
	rules string
}

// meterDescriptions documents each meter attribute once, for the resource and the data sources alike.
var meterDescriptions = map[string]attributeDescription{
	"id":   {holds: "Meter ID (UUID)."},
	"name": {holds: "Name shown on customers' invoices and usage.", rules: "At least 3 characters; names need not be unique."},
	"unit": {
		holds: "Unit of the quantity: `scalar`, `token`, or `custom` (named by `custom_label`).",
		rules: "Defaults to `scalar`.",
	},
	"custom_label": {
		holds: "Label of a custom unit, e.g. `request`; null unless `unit = \"custom\"`.",
		rules: "Required when `unit = \"custom\"`, refused otherwise.",
	},
	"custom_multiplier": {
		holds: "Multiplier from the base unit to the displayed scale, e.g. `1000` to display per 1000 units; Polar treats an unset multiplier as 1.",
		rules: "A whole number of at least 1, only with `unit = \"custom\"`.",
	},
	"organization_id": {
		holds: "Organization owning the meter.",
		rules: "Implied by an Organization Access Token (never sent with one, and refused when it names another organization); " +
			"required with a personal access token. Changing it replaces the meter (the old one is archived).",
	},
	"metadata": {
		holds: "Key-value metadata; values keep their type: string, number (integer or float) or bool.",
		rules: fmt.Sprintf("At most %d keys of 1 to %d characters; strings of 1 to %d characters; no NUL characters. "+
			"When a create's answer is lost the provider finds the meter by a one-time marker key it adds at creation "+
			"(hidden from state); with %d keys of your own there is no room for it.",
			maxMetadataKeys, maxMetadataKeyLength, maxMetadataValueLength, maxMetadataKeys),
	},
	"is_archived": {
		holds: "Whether the meter is archived (no longer used for billing).",
		rules: "Defaults to `false`; a meter archived outside Terraform shows as drift and is restored by the next apply.",
	},
	"created_at":  {holds: "Creation time (RFC 3339)."},
	"modified_at": {holds: "Last modification time (RFC 3339); null until the meter is first modified."},
	"archived_at": {holds: "Time the meter was archived (RFC 3339); null unless archived."},
	"filter": {
		holds: "Which events the meter counts: a root group of conditions (`clauses`) and nested groups (`groups`). " +
			"An empty `and` group matches every event.",
		rules: "Required.",
	},
	"aggregation":      {holds: "How the filtered events become a quantity.", rules: "Required."},
	"aggregation.func": {holds: "Aggregation function: `count`, `sum`, `max`, `min`, `avg` or `unique`."},
	"aggregation.property": {
		holds: "Event property aggregated; null for `count`.",
		rules: "Required for every function but `count`, refused for `count`. " +
			"The `metadata.` prefix is optional: Polar stores `metadata.tokens` as `tokens`.",
	},
	"filter.conjunction": {holds: "How the group's conditions and nested groups combine: `and` or `or`."},
	"filter.clauses": {
		holds: "Conditions on one event property each, with the value in the attribute of its JSON type.",
		rules: "Each sets exactly one of `value`, `int_value`, `bool_value`: Polar compares by JSON type, so `value = \"100\"` " +
			"(text) and `int_value = 100` (number) match different events. Defaults to none.",
	},
	"filter.groups": {
		holds: fmt.Sprintf("Nested groups with the same shape, up to %d levels below the root filter.", maxFilterDepth),
		rules: "Defaults to none.",
	},
	"filter.too_deep": {
		holds: fmt.Sprintf("Always empty: groups nest at most %d levels below the root filter.", maxFilterDepth),
	}, // the resource's deepest groups; its data source twin reads as filter.groups
	"clause.property": {
		holds: "Event property, e.g. `name`, `timestamp` or a metadata key such as `tokens`.",
		rules: "The `metadata.` prefix is optional: Polar strips it.",
	},
	"clause.operator": {
		holds: "Comparison: `eq`, `ne`, `gt`, `gte`, `lt`, `lte`, `like` (contains the value, compared as text; `%` and `_` are " +
			"literal characters) or `not_like` (does not contain it).",
	},
	"clause.value":      {holds: "Text value, sent as a JSON string.", rules: "At most 1000 characters."},
	"clause.int_value":  {holds: "Whole-number value, sent as a JSON integer.", rules: "A whole number in the 32-bit range."},
	"clause.bool_value": {holds: "Boolean value, sent as a JSON boolean."},
}

// resourceDescription is what the resource documents for an attribute: what it holds and how to set it.
func resourceDescription(key string) string {
	d := meterDescriptions[key]
	if d.rules == "" {
		return d.holds
	}
	return d.holds + " " + d.rules
}

// readOnlyDescription is what a data source documents for an attribute: what it holds.
func readOnlyDescription(key string) string {
	return meterDescriptions[key].holds
}
