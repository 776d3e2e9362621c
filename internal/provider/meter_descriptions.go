package provider

import "fmt"

// meterDescriptions documents each meter attribute once, for the resource and the data sources alike.
var meterDescriptions = map[string]string{
	"id":           "Meter ID (UUID).",
	"name":         "Name shown on customers' invoices and usage; at least 3 characters. Names need not be unique.",
	"unit":         "Unit of the quantity: `scalar` (default), `token`, or `custom` (with `custom_label`).",
	"custom_label": "Label of a custom unit, e.g. `request`. Required when `unit = \"custom\"`, refused otherwise.",
	"custom_multiplier": "Multiplier from the base unit to the displayed scale, e.g. `1000` to display per 1000 units. " +
		"Only with `unit = \"custom\"`; Polar treats an unset multiplier as 1.",
	"organization_id": "Organization owning the meter. Implied by an Organization Access Token (and never sent with one); " +
		"required with a personal token. Changing it replaces the meter (the old one is archived).",
	"metadata": "Key-value metadata; values keep their type: string, number (integer or float) or bool. " +
		"At most 50 keys of 1 to 40 characters; strings of 1 to 500 characters.",
	"is_archived": "Whether the meter is archived (no longer used for billing). Defaults to `false`; " +
		"a meter archived outside Terraform shows as drift and is restored by the next apply.",
	"created_at":  "Creation time (RFC 3339).",
	"modified_at": "Last modification time (RFC 3339); null until the meter is first modified.",
	"archived_at": "Time the meter was archived (RFC 3339); null unless archived.",
	"filter": "Which events the meter counts: exactly one root group of conditions (`clause`) and nested groups (`filter`). " +
		"An empty `and` group matches every event.",
	"aggregation":      "How the filtered events become a quantity; exactly one.",
	"aggregation.func": "Aggregation function: `count`, `sum`, `max`, `min`, `avg` or `unique`.",
	"aggregation.property": "Event property to aggregate; required for every function but `count`, refused for `count`. " +
		"The `metadata.` prefix is optional: Polar stores `metadata.tokens` as `tokens`.",
	"filter.conjunction": "How the group's conditions and nested groups combine: `and` or `or`.",
	"filter.clause": "A condition on one event property. Set exactly one of `value`, `int_value`, `bool_value`: " +
		"Polar compares by JSON type, so `value = \"100\"` (text) and `int_value = 100` (number) match different events.",
	"filter.filter": fmt.Sprintf("A nested group with the same shape; groups nest up to %d levels below the root filter.", maxFilterDepth),
	"clause.property": "Event property, e.g. `name`, `timestamp` or a metadata key such as `tokens` " +
		"(the `metadata.` prefix is optional: Polar strips it).",
	"clause.operator":   "Comparison: `eq`, `ne`, `gt`, `gte`, `lt`, `lte`, `like`, `not_like`.",
	"clause.value":      "Text value, sent as a JSON string (at most 1000 characters).",
	"clause.int_value":  "Whole-number value, sent as a JSON integer (32-bit range).",
	"clause.bool_value": "Boolean value, sent as a JSON boolean.",
}
