package provider

import (
	"cmp"
	"context"
	"maps"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/polar-terraform/terraform-provider-polar/internal/polar"
)

var (
	_ datasource.DataSource              = &MetersDataSource{}
	_ datasource.DataSourceWithConfigure = &MetersDataSource{}
)

// NewMetersDataSource returns the polar_meters data source.
func NewMetersDataSource() datasource.DataSource {
	return &MetersDataSource{}
}

// MetersDataSource lists meters, optionally filtered.
type MetersDataSource struct {
	data *providerData
}

func (d *MetersDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_meters"
}

func (d *MetersDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists Polar meters, optionally filtered by name, archival and metadata, in a stable order (name, then id).",
		Attributes: map[string]schema.Attribute{
			"query": schema.StringAttribute{
				MarkdownDescription: "Only meters whose name contains this text, case-insensitively; every character is taken literally (`50%` does not match `500`).",
				Optional:            true,
			},
			"is_archived": schema.BoolAttribute{
				MarkdownDescription: "Only archived (`true`) or only active (`false`) meters; both when unset.",
				Optional:            true,
			},
			"metadata": schema.MapAttribute{
				MarkdownDescription: "Only meters whose metadata has each of these keys with exactly this value " +
					"(written as text: `tier = \"3\"` matches the integer 3, `beta = \"true\"` the boolean).",
				ElementType: types.StringType,
				Optional:    true,
			},
			"ids": schema.ListAttribute{
				MarkdownDescription: "IDs of the matching meters, in the order of `meters`.",
				ElementType:         types.StringType,
				Computed:            true,
			},
			"meters": schema.DynamicAttribute{
				MarkdownDescription: "The matching meters, ordered by name then id. Each element has the attributes of " +
					"`data.polar_meter` (`id`, `name`, `unit`, `custom_label`, `custom_multiplier`, `organization_id`, " +
					"`filter`, `aggregation`, `metadata`, `is_archived`, `created_at`, `modified_at`, `archived_at`). " +
					"It is a dynamic value (a tuple) rather than a list because metadata keeps its value types, " +
					"which differ from meter to meter; index and iterate it like a list.",
				Computed: true,
			},
		},
	}
}

func (d *MetersDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

// Read reads every page of the list endpoint: N meters cost ceil(N/100) requests.
func (d *MetersDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var config metersDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	params := polar.ListMetersParams{Query: config.Query.ValueString(), IsArchived: config.IsArchived.ValueBoolPointer()}
	resp.Diagnostics.Append(config.Metadata.ElementsAs(ctx, &params.Metadata, false)...)
	if resp.Diagnostics.HasError() {
		return
	}
	meters, err := d.data.client.ListMeters(ctx, params)
	if err != nil {
		resp.Diagnostics.AddError("Cannot list meters", err.Error())
		return
	}
	d.data.reads.rememberAll(meters)
	slices.SortStableFunc(meters, func(a, b polar.Meter) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	ids := make([]attr.Value, len(meters))
	elements := make([]attr.Value, len(meters))
	for i := range meters {
		ids[i] = types.StringValue(meters[i].ID)
		element, diags := meterElement(ctx, &meters[i])
		resp.Diagnostics.Append(diags...)
		elements[i] = element
	}
	if resp.Diagnostics.HasError() {
		return
	}
	config.IDs = types.ListValueMust(types.StringType, ids)
	config.Meters = types.DynamicValue(tupleOf(ctx, elements))
	resp.Diagnostics.Append(resp.State.Set(ctx, &config)...)
}

// meterElement is one meter as an object whose metadata has its own concrete type.
func meterElement(ctx context.Context, meter *polar.Meter) (attr.Value, diag.Diagnostics) {
	model, diags := meterFromAPI(ctx, meter)
	attrTypes := maps.Clone(meterAttrTypes)
	object, d := types.ObjectValueFrom(ctx, attrTypes, model)
	diags.Append(d...)
	if diags.HasError() {
		return nil, diags
	}
	attrs := object.Attributes()
	// No metadata is a dynamic null, as the resource holds it, so the value can be passed to polar_meter unchanged.
	attrs["metadata"], attrTypes["metadata"] = types.DynamicNull(), types.DynamicType
	if metadata := model.Metadata.UnderlyingValue(); metadata != nil {
		attrs["metadata"], attrTypes["metadata"] = metadata, metadata.Type(ctx)
	}
	element, d := types.ObjectValue(attrTypes, attrs)
	diags.Append(d...)
	return element, diags
}

// meterAttrTypes is the type of one meter as the data sources expose it.
var meterAttrTypes = objectAttrTypes(schema.SingleNestedAttribute{Attributes: meterDataAttributes()}.GetType())

// tupleOf builds a tuple of values with their own types.
func tupleOf(ctx context.Context, elements []attr.Value) types.Tuple {
	elementTypes := make([]attr.Type, len(elements))
	for i, e := range elements {
		elementTypes[i] = e.Type(ctx)
	}
	return types.TupleValueMust(elementTypes, elements)
}

// metersDataSourceModel is the polar_meters data source.
type metersDataSourceModel struct {
	Query      types.String  `tfsdk:"query"`
	IsArchived types.Bool    `tfsdk:"is_archived"`
	Metadata   types.Map     `tfsdk:"metadata"`
	IDs        types.List    `tfsdk:"ids"`
	Meters     types.Dynamic `tfsdk:"meters"`
}
