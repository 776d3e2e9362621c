package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/polar-terraform/terraform-provider-polar/internal/polar"
)

var (
	_ datasource.DataSource                     = &MeterDataSource{}
	_ datasource.DataSourceWithConfigure        = &MeterDataSource{}
	_ datasource.DataSourceWithConfigValidators = &MeterDataSource{}
)

// NewMeterDataSource returns the polar_meter data source.
func NewMeterDataSource() datasource.DataSource {
	return &MeterDataSource{}
}

// MeterDataSource looks up one meter by ID or by exact name.
type MeterDataSource struct {
	data *providerData
}

func (d *MeterDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_meter"
}

func (d *MeterDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attributes := meterDataAttributes()
	attributes["id"] = schema.StringAttribute{
		MarkdownDescription: "ID of the meter to look up. Exactly one of `id` and `name`.",
		Optional:            true,
		Computed:            true,
	}
	attributes["name"] = schema.StringAttribute{
		MarkdownDescription: "Exact name of the meter to look up (case-sensitive). Exactly one of `id` and `name`; " +
			"names are not unique in Polar, so more than one match is an error that lists their IDs.",
		Optional: true,
		Computed: true,
	}
	attributes["is_archived"] = schema.BoolAttribute{
		MarkdownDescription: "With `name`: only consider archived (`true`) or active (`false`) meters. Otherwise, whether the meter is archived.",
		Optional:            true,
		Computed:            true,
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Looks up one Polar meter by `id`, or by exact `name`, to wire it into other configuration.",
		Attributes:          attributes,
	}
}

func (d *MeterDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		datasourcevalidator.ExactlyOneOf(path.MatchRoot("id"), path.MatchRoot("name")),
		datasourcevalidator.Conflicting(path.MatchRoot("id"), path.MatchRoot("is_archived")),
	}
}

func (d *MeterDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

// Read costs one GET by ID; by name, the list endpoint filtered by query, matched exactly here.
func (d *MeterDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var config meterResourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var meter *polar.Meter
	if !config.ID.IsNull() {
		var err error
		meter, err = d.data.client.GetMeter(ctx, config.ID.ValueString())
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("id"), "Cannot read meter", err.Error())
			return
		}
	} else {
		meter = d.findByName(ctx, config, &resp.Diagnostics)
		if meter == nil {
			return
		}
	}
	model, diags := meterFromAPI(ctx, meter)
	resp.Diagnostics.Append(diags...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
}

// findByName returns the one meter with exactly this name; none or several is an error.
func (d *MeterDataSource) findByName(ctx context.Context, config meterResourceModel, diags *diag.Diagnostics) *polar.Meter {
	name := config.Name.ValueString()
	meters, err := d.data.client.ListMeters(ctx, polar.ListMetersParams{Query: name, IsArchived: config.IsArchived.ValueBoolPointer()})
	if err != nil {
		diags.AddError("Cannot list meters", err.Error())
		return nil
	}
	var matches []polar.Meter
	for _, m := range meters {
		if m.Name == name {
			matches = append(matches, m)
		}
	}
	switch len(matches) {
	case 1:
		return &matches[0]
	case 0:
		diags.AddAttributeError(path.Root("name"), "No meter with this name",
			fmt.Sprintf("No meter is named exactly %q%s.", name, archivedQualifier(config)))
	default:
		diags.AddAttributeError(path.Root("name"), "Several meters have this name",
			fmt.Sprintf("%d meters are named %q%s: %s. Names are not unique in Polar: look the meter up by id instead.",
				len(matches), name, archivedQualifier(config), meterIDs(matches)))
	}
	return nil
}

// meterIDs lists the meters' IDs for a message.
func meterIDs(meters []polar.Meter) string {
	ids := make([]string, len(meters))
	for i, m := range meters {
		ids[i] = m.ID
	}
	return strings.Join(ids, ", ")
}

// archivedQualifier says which meters a name lookup considered.
func archivedQualifier(config meterResourceModel) string {
	if config.IsArchived.IsNull() {
		return ""
	}
	if config.IsArchived.ValueBool() {
		return " among archived meters"
	}
	return " among active meters"
}

// meterFromAPI converts a meter read from Polar, with no configuration to keep spellings from.
func meterFromAPI(ctx context.Context, meter *polar.Meter) (meterResourceModel, diag.Diagnostics) {
	var model meterResourceModel
	diags := model.refresh(ctx, meter)
	model.CustomMultiplier = types.Int64PointerValue(meter.CustomMultiplier) // what Polar stores, even an explicit 1
	return model, diags
}

// meterDataAttributes are a meter's attributes, read-only; their types match the resource's, so one converter serves both.
func meterDataAttributes() map[string]schema.Attribute {
	computedString := func(key string) schema.Attribute {
		return schema.StringAttribute{MarkdownDescription: meterDescriptions[key], Computed: true}
	}
	return map[string]schema.Attribute{
		"id":                computedString("id"),
		"name":              computedString("name"),
		"unit":              computedString("unit"),
		"custom_label":      computedString("custom_label"),
		"custom_multiplier": schema.Int64Attribute{MarkdownDescription: meterDescriptions["custom_multiplier"], Computed: true},
		"organization_id":   computedString("organization_id"),
		"metadata":          schema.DynamicAttribute{MarkdownDescription: meterDescriptions["metadata"], Computed: true},
		"is_archived":       schema.BoolAttribute{MarkdownDescription: meterDescriptions["is_archived"], Computed: true},
		"created_at":        computedString("created_at"),
		"modified_at":       computedString("modified_at"),
		"archived_at":       computedString("archived_at"),
		"filter": schema.SingleNestedAttribute{
			MarkdownDescription: meterDescriptions["filter"],
			Computed:            true,
			Attributes:          filterDataObject(0).Attributes,
		},
		"aggregation": schema.SingleNestedAttribute{
			MarkdownDescription: meterDescriptions["aggregation"],
			Computed:            true,
			Attributes: map[string]schema.Attribute{
				"func":     computedString("aggregation.func"),
				"property": computedString("aggregation.property"),
			},
		},
	}
}

// filterDataObject is the read-only schema of a filter group at depth, the attribute twin of filterBlockObject.
func filterDataObject(depth int) schema.NestedAttributeObject {
	computed := func(key string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: meterDescriptions[key], Computed: true}
	}
	object := schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
		"conjunction": computed("filter.conjunction"),
		"clause": schema.ListNestedAttribute{
			MarkdownDescription: meterDescriptions["filter.clause"],
			Computed:            true,
			NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
				"property":   computed("clause.property"),
				"operator":   computed("clause.operator"),
				"value":      computed("clause.value"),
				"int_value":  schema.Int64Attribute{MarkdownDescription: meterDescriptions["clause.int_value"], Computed: true},
				"bool_value": schema.BoolAttribute{MarkdownDescription: meterDescriptions["clause.bool_value"], Computed: true},
			}},
		},
	}}
	if depth < maxFilterDepth {
		object.Attributes["filter"] = schema.ListNestedAttribute{
			MarkdownDescription: meterDescriptions["filter.filter"],
			Computed:            true,
			NestedObject:        filterDataObject(depth + 1),
		}
	}
	return object
}
