package provider

import (
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/polar-terraform/terraform-provider-polar/internal/polar"
)

// lockedMessage is how Polar refuses a filter or aggregation change once a meter has aggregated events.
const lockedMessage = "already aggregating events"

// lockedRemedy tells the user how to change a locked filter or aggregation.
const lockedRemedy = "Polar locks a meter's filter and aggregation once it has aggregated events; other attributes stay editable. " +
	"To count events differently, add a new polar_meter resource with the new filter or aggregation, point your prices at it, " +
	"then remove this resource (which archives the old meter). `-replace` usually fails: a locked meter is normally attached to an " +
	"active product, and Polar refuses to archive it."

// addAPIError turns a client error into diagnostics; each 422 issue lands on the attribute its loc names.
// sentFilter is the filter of the failed request, used to find which clause or group a loc points into.
func addAPIError(diags *diag.Diagnostics, summary string, err error, sentFilter *polar.Filter) {
	apiErr, ok := polar.AsAPIError(err)
	if !ok || apiErr.Kind != polar.KindValidation || len(apiErr.Validation) == 0 {
		diags.AddError(summary, err.Error())
		return
	}
	for _, issue := range apiErr.Validation {
		// Name the attribute in the text too: Terraform can only point at attributes the configuration sets.
		at, ok := attributePathFromLoc(issue.Loc, sentFilter)
		where := fmt.Sprint(issue.Loc)
		if ok {
			where = at.String()
		}
		detail := fmt.Sprintf("Polar refused %s %s: %s: %s", apiErr.Method, apiErr.Path, where, issue.Msg)
		if strings.Contains(issue.Msg, lockedMessage) {
			detail += "\n\n" + lockedRemedy
		}
		if ok {
			diags.AddAttributeError(at, summary, detail)
		} else {
			diags.AddError(summary, detail)
		}
	}
}

// attributePathFromLoc maps a 422 loc such as ["body","filter","clauses",2,"value"] to the Terraform attribute it names.
func attributePathFromLoc(loc []any, sentFilter *polar.Filter) (path.Path, bool) {
	if len(loc) < 2 || loc[0] != "body" {
		return path.Empty(), false
	}
	field, _ := loc[1].(string)
	switch field {
	case "name", "unit", "custom_label", "custom_multiplier", "organization_id", "is_archived", "metadata":
		return path.Root(field), true
	case "aggregation":
		return aggregationPath(loc[2:]), true
	case "filter":
		return filterPath(path.Root("filter"), loc[2:], sentFilter), true
	}
	return path.Empty(), false
}

// aggregationPath finds the aggregation attribute in a loc tail, skipping the union tags Polar inserts (e.g. "sum").
func aggregationPath(rest []any) path.Path {
	for _, step := range rest {
		if name, ok := step.(string); ok && (name == "func" || name == "property") {
			return path.Root("aggregation").AtName(name)
		}
	}
	return path.Root("aggregation")
}

// filterPath walks a loc tail through the sent filter, turning Polar's mixed clause index into a clauses or groups index.
func filterPath(at path.Path, rest []any, filter *polar.Filter) path.Path {
	for len(rest) > 0 {
		switch rest[0] {
		case "conjunction":
			return at.AtName("conjunction")
		case "clauses":
			index, ok := indexAt(rest, 1)
			if !ok || filter == nil || index >= len(filter.Clauses) {
				return at
			}
			item := filter.Clauses[index]
			position := positionAmongKind(filter.Clauses, index)
			if item.Group != nil {
				at, rest, filter = at.AtName("groups").AtListIndex(position), rest[2:], item.Group
				continue
			}
			return conditionPath(at.AtName("clauses").AtListIndex(position), rest[2:], *item.Condition)
		}
		rest = rest[1:] // a union tag such as "FilterClause"
	}
	return at
}

// conditionPath names the attribute of a condition a loc tail points to; "value" becomes the attribute of the value's type.
func conditionPath(at path.Path, rest []any, condition polar.FilterCondition) path.Path {
	for _, step := range rest {
		switch name, _ := step.(string); name {
		case "property", "operator":
			return at.AtName(name)
		case "value":
			return at.AtName(valueAttribute(condition.Value))
		}
	}
	return at
}

// valueAttribute is the clause attribute that holds a value of this JSON type.
func valueAttribute(v polar.FilterValue) string {
	switch v.Kind() {
	case polar.ValueInt:
		return "int_value"
	case polar.ValueBool:
		return "bool_value"
	}
	return "value"
}

// positionAmongKind is the index of items[i] among the items of its own kind (conditions or groups).
func positionAmongKind(items []polar.FilterItem, i int) int {
	isGroup := items[i].Group != nil
	position := 0
	for _, item := range items[:i] {
		if (item.Group != nil) == isGroup {
			position++
		}
	}
	return position
}

// indexAt reads an integer loc step.
func indexAt(loc []any, i int) (int, bool) {
	if i >= len(loc) {
		return 0, false
	}
	index, ok := loc[i].(int)
	return index, ok
}
