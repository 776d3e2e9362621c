package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	resourceschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"

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
		MarkdownDescription: "Exact name of the meter to look up (case-sensitive, any characters). Exactly one of `id` and `name`. " +
			"Names are not unique in Polar: when several meters have the name, the one live meter is chosen (a replaced meter " +
			"leaves an archived namesake); otherwise more than one match is an error that lists their IDs.",
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

// Read costs at most one GET by ID (none when the provider has read the meter already); by name, one list.
func (d *MeterDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var config meterResourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var meter *polar.Meter
	if !config.ID.IsNull() {
		var err error
		meter, err = d.data.reads.get(ctx, config.ID.ValueString())
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

// findByName returns the one meter with exactly this name, preferring the one live meter when is_archived is unset
// (a replaced meter leaves an archived namesake); none or several is an error.
func (d *MeterDataSource) findByName(ctx context.Context, config meterResourceModel, diags *diag.Diagnostics) *polar.Meter {
	name := config.Name.ValueString()
	matches, err := d.data.client.FindMetersByName(ctx, name, config.IsArchived.ValueBoolPointer())
	if err != nil {
		diags.AddError("Cannot list meters", err.Error())
		return nil
	}
	d.data.reads.rememberAll(matches)
	if live := liveMeters(matches); config.IsArchived.IsNull() && len(live) == 1 {
		matches = live
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

// liveMeters are the meters that are not archived.
func liveMeters(meters []polar.Meter) []polar.Meter {
	var live []polar.Meter
	for _, m := range meters {
		if m.ArchivedAt == nil {
			live = append(live, m)
		}
	}
	return live
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
	model.CustomMultiplier = numberPointerValue(meter.CustomMultiplier) // what Polar stores, even an explicit 1
	return model, diags
}

// meterDataAttributes are the resource's meter attributes, read-only and described by what they hold; one
// definition serves the resource and both data sources, and their types match, so one converter serves all three.
func meterDataAttributes() map[string]schema.Attribute {
	return readOnlyAttributes("", meterResourceSchema.Attributes)
}

// readOnlyAttributes turns resource attributes into computed data source attributes; prefix names the object they
// belong to in meterDescriptions ("" for the meter, "filter", "clause" or "aggregation").
func readOnlyAttributes(prefix string, attributes map[string]resourceschema.Attribute) map[string]schema.Attribute {
	out := make(map[string]schema.Attribute, len(attributes))
	for name, attribute := range attributes {
		key := name
		if prefix != "" {
			key = prefix + "." + name
		}
		out[name] = readOnlyAttribute(key, name, attribute)
	}
	return out
}

// readOnlyAttribute is one attribute's read-only twin.
func readOnlyAttribute(key, name string, attribute resourceschema.Attribute) schema.Attribute {
	description := readOnlyDescription(key)
	switch a := attribute.(type) {
	case resourceschema.StringAttribute:
		return schema.StringAttribute{MarkdownDescription: description, Computed: true}
	case resourceschema.NumberAttribute:
		return schema.NumberAttribute{MarkdownDescription: description, Computed: true}
	case resourceschema.BoolAttribute:
		return schema.BoolAttribute{MarkdownDescription: description, Computed: true}
	case resourceschema.DynamicAttribute:
		return schema.DynamicAttribute{MarkdownDescription: description, Computed: true}
	case resourceschema.SingleNestedAttribute:
		return schema.SingleNestedAttribute{MarkdownDescription: description, Computed: true,
			Attributes: readOnlyAttributes(name, a.Attributes)}
	case resourceschema.ListNestedAttribute:
		objectPrefix := "filter"
		if name == "clauses" {
			objectPrefix = "clause"
		}
		return schema.ListNestedAttribute{MarkdownDescription: description, Computed: true,
			NestedObject: schema.NestedAttributeObject{Attributes: readOnlyAttributes(objectPrefix, a.NestedObject.Attributes)}}
	}
	panic(fmt.Sprintf("provider: no read-only twin for %s (%T)", key, attribute))
}
