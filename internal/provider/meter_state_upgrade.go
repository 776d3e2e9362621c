package provider

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/polar-terraform/terraform-provider-polar/internal/polar"
)

// UpgradeState reads state written at schema version 0, the layout of the sjkchang/polar provider, so that after
// `terraform state replace-provider` its meters are managed here unchanged. It reads nothing from the network:
// the refresh that follows fills in what that provider did not keep.
func (r *MeterResource) UpgradeState(context.Context) map[int64]resource.StateUpgrader {
	return map[int64]resource.StateUpgrader{
		0: {StateUpgrader: upgradeFromSjkchang},
	}
}

// sjkchangMeter is a meter in the sjkchang/polar state: string clause values, no groups, metadata of strings.
type sjkchangMeter struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Filter *struct {
		Conjunction string `json:"conjunction"`
		Clauses     []struct {
			Property string `json:"property"`
			Operator string `json:"operator"`
			Value    string `json:"value"`
		} `json:"clauses"`
	} `json:"filter"`
	Aggregation *struct {
		Func     string  `json:"func"`
		Property *string `json:"property"`
	} `json:"aggregation"`
	Metadata map[string]string `json:"metadata"`
}

func upgradeFromSjkchang(ctx context.Context, req resource.UpgradeStateRequest, resp *resource.UpgradeStateResponse) {
	if req.RawState == nil {
		resp.Diagnostics.AddError("Cannot upgrade polar_meter state", "The state at schema version 0 is empty.")
		return
	}
	var old sjkchangMeter
	if err := json.Unmarshal(req.RawState.JSON, &old); err != nil || old.ID == "" || old.Filter == nil || old.Aggregation == nil {
		resp.Diagnostics.AddError("Cannot upgrade polar_meter state", fmt.Sprintf("State at schema version 0 is expected in the "+
			"layout of the sjkchang/polar provider (id, name, filter with clauses, aggregation, metadata); it is not (%v). "+
			"Remove the resource from state and import the meter by its ID instead.", err))
		return
	}
	// The old state is what sjkchang/polar sent; Polar's answer to that request is what the converter reads back.
	meter := polar.Meter{
		ID:          old.ID,
		Name:        old.Name,
		Unit:        polar.UnitScalar,
		Filter:      polar.Filter{Conjunction: polar.Conjunction(old.Filter.Conjunction)},
		Aggregation: polar.Aggregation{Func: polar.AggregationFunc(old.Aggregation.Func)},
		Metadata:    polar.Metadata{},
	}
	for _, c := range old.Filter.Clauses {
		meter.Filter.Clauses = append(meter.Filter.Clauses, polar.FilterItem{Condition: &polar.FilterCondition{
			Property: c.Property, Operator: polar.Operator(c.Operator), Value: polar.StringValue(c.Value),
		}})
	}
	if old.Aggregation.Property != nil {
		meter.Aggregation.Property = *old.Aggregation.Property
	}
	for key, value := range old.Metadata {
		meter.Metadata[key] = polar.MetadataString(value)
	}
	model, diags := upgradedModel(ctx, &meter)
	resp.Diagnostics.Append(diags...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
}

// upgradedModel is the state of a meter known only from what was sent for it: what Polar sets is left for refresh.
func upgradedModel(ctx context.Context, meter *polar.Meter) (meterResourceModel, diag.Diagnostics) {
	var model meterResourceModel
	diags := model.refresh(ctx, meter)
	model.OrganizationID = types.StringNull()
	model.CreatedAt = types.StringNull()
	return model, diags
}
