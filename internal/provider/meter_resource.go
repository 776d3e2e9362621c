package provider

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/polar-terraform/terraform-provider-polar/internal/polar"
)

var (
	_ resource.Resource                   = &MeterResource{}
	_ resource.ResourceWithConfigure      = &MeterResource{}
	_ resource.ResourceWithImportState    = &MeterResource{}
	_ resource.ResourceWithModifyPlan     = &MeterResource{}
	_ resource.ResourceWithValidateConfig = &MeterResource{}
	_ resource.ResourceWithUpgradeState   = &MeterResource{}
	_ resource.ResourceWithIdentity       = &MeterResource{}
)

// archiveNotice is said wherever Terraform would otherwise suggest a meter is deleted.
const archiveNotice = "Polar cannot delete meters: destroying this resource archives the meter in Polar " +
	"(PATCH is_archived = true). It stops being used for billing, keeps its history, and can be restored with is_archived = false after import."

// meterSchemaVersion is 1 since filter and aggregation became nested attributes; version 0 is sjkchang/polar's layout.
const meterSchemaVersion = 1

// NewMeterResource returns the polar_meter resource.
func NewMeterResource() resource.Resource {
	return &MeterResource{}
}

// MeterResource manages a Polar meter; destroy archives it.
type MeterResource struct {
	data *providerData
}

func (r *MeterResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_meter"
}

func (r *MeterResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = meterResourceSchema
}

// meterResourceSchema is the one definition of a meter's attributes; the data sources derive theirs from it.
var meterResourceSchema = schema.Schema{
	Version: meterSchemaVersion,
	MarkdownDescription: "A Polar billing meter: it filters a customer's events and aggregates them into a usage quantity. " +
		"Destroying the resource archives the meter, since Polar has no way to delete one.",
	Attributes: map[string]schema.Attribute{
		"id": schema.StringAttribute{
			MarkdownDescription: resourceDescription("id"),
			Computed:            true,
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"name": schema.StringAttribute{
			MarkdownDescription: resourceDescription("name"),
			Required:            true,
			Validators:          []validator.String{stringvalidator.UTF8LengthAtLeast(minNameLength), noNULValidator{}},
		},
		"unit": schema.StringAttribute{
			MarkdownDescription: resourceDescription("unit"),
			Optional:            true,
			Computed:            true,
			Default:             stringdefault.StaticString(string(polar.UnitScalar)),
			Validators:          []validator.String{stringvalidator.OneOf(enumStrings(polar.Units())...)},
		},
		"custom_label": schema.StringAttribute{
			MarkdownDescription: resourceDescription("custom_label"),
			Optional:            true,
			Validators:          []validator.String{stringvalidator.LengthAtLeast(1), noNULValidator{}},
		},
		"custom_multiplier": schema.NumberAttribute{
			MarkdownDescription: resourceDescription("custom_multiplier"),
			Optional:            true,
			Validators:          []validator.Number{wholeNumberValidator{min: 1, max: maxCustomMultiplier}},
		},
		"organization_id": schema.StringAttribute{
			MarkdownDescription: resourceDescription("organization_id"),
			Optional:            true,
			Computed:            true,
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			Validators:          []validator.String{uuidValidator{}},
		},
		"metadata": schema.DynamicAttribute{
			MarkdownDescription: resourceDescription("metadata"),
			Optional:            true,
			Validators:          []validator.Dynamic{metadataValidator{}},
		},
		"is_archived": schema.BoolAttribute{
			MarkdownDescription: resourceDescription("is_archived"),
			Optional:            true,
			Computed:            true,
			Default:             booldefault.StaticBool(false),
		},
		"created_at": schema.StringAttribute{
			MarkdownDescription: resourceDescription("created_at"),
			Computed:            true,
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"modified_at": schema.StringAttribute{
			MarkdownDescription: resourceDescription("modified_at"),
			Computed:            true,
		},
		"archived_at": schema.StringAttribute{
			MarkdownDescription: resourceDescription("archived_at"),
			Computed:            true,
		},
		"filter": withStaticType(schema.SingleNestedAttribute{
			MarkdownDescription: resourceDescription("filter"),
			Required:            true,
			Attributes:          filterGroupObject(0).Attributes,
		}),
		"aggregation": withStaticType(schema.SingleNestedAttribute{
			MarkdownDescription: resourceDescription("aggregation"),
			Required:            true,
			Attributes: map[string]schema.Attribute{
				"func": schema.StringAttribute{
					MarkdownDescription: resourceDescription("aggregation.func"),
					Required:            true,
					Validators:          []validator.String{stringvalidator.OneOf(enumStrings(polar.AggregationFuncs())...)},
				},
				"property": schema.StringAttribute{
					MarkdownDescription: resourceDescription("aggregation.property"),
					Optional:            true,
					Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
				},
			},
		}),
	},
}

// withStaticType gives a nested attribute, and every nested attribute and object below it, the type the framework
// would otherwise derive from their attributes as CustomType: the same Terraform type, built once. Without it the
// framework rebuilds the nested object types (maps, for every level of filter groups) on each of the many type
// lookups it makes per resource per RPC, about a seventh of a 500-meter plan's provider CPU.
func withStaticType(a schema.SingleNestedAttribute) schema.SingleNestedAttribute {
	a.Attributes = withStaticTypes(a.Attributes)
	if t, ok := a.GetType().(basetypes.ObjectTypable); ok {
		a.CustomType = t
	}
	return a
}

// withStaticTypes is attributes with withStaticType applied to the nested ones.
func withStaticTypes(attributes map[string]schema.Attribute) map[string]schema.Attribute {
	out := make(map[string]schema.Attribute, len(attributes))
	for name, attribute := range attributes {
		switch a := attribute.(type) {
		case schema.SingleNestedAttribute:
			attribute = withStaticType(a)
		case schema.ListNestedAttribute:
			a.NestedObject.Attributes = withStaticTypes(a.NestedObject.Attributes)
			a.NestedObject.CustomType = a.NestedObject.Type()
			if t, ok := a.GetType().(basetypes.ListTypable); ok {
				a.CustomType = t
			}
			attribute = a
		}
		out[name] = attribute
	}
	return out
}

// filterGroupObject is the schema of a filter group at depth (0 = root). Groups nest maxFilterDepth levels below the
// root; the deepest level's groups must stay empty, so going one level too deep is refused with the limit named.
func filterGroupObject(depth int) schema.NestedAttributeObject {
	groups := schema.ListNestedAttribute{
		MarkdownDescription: resourceDescription("filter.groups"),
		Optional:            true,
		Computed:            true,
	}
	if depth < maxFilterDepth {
		groups.NestedObject = filterGroupObject(depth + 1)
	} else {
		groups.MarkdownDescription = resourceDescription("filter.too_deep")
		groups.NestedObject = schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
			"conjunction": schema.StringAttribute{Optional: true},
			"clauses":     schema.ListNestedAttribute{Optional: true, NestedObject: clauseObject()},
		}}
		groups.Validators = []validator.List{tooDeepValidator{}}
	}
	groups.Default = listdefault.StaticValue(types.ListValueMust(groups.NestedObject.Type(), []attr.Value{}))
	clause := clauseObject()
	return schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
		"conjunction": schema.StringAttribute{
			MarkdownDescription: resourceDescription("filter.conjunction"),
			Required:            true,
			Validators:          []validator.String{stringvalidator.OneOf(enumStrings(polar.Conjunctions())...)},
		},
		"clauses": schema.ListNestedAttribute{
			MarkdownDescription: resourceDescription("filter.clauses"),
			Optional:            true,
			Computed:            true,
			Default:             listdefault.StaticValue(types.ListValueMust(clause.Type(), []attr.Value{})),
			NestedObject:        clause,
		},
		"groups": groups,
	}}
}

// clauseObject is the schema of one filter condition.
func clauseObject() schema.NestedAttributeObject {
	return schema.NestedAttributeObject{
		Attributes: map[string]schema.Attribute{
			"property": schema.StringAttribute{
				MarkdownDescription: resourceDescription("clause.property"),
				Required:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"operator": schema.StringAttribute{
				MarkdownDescription: resourceDescription("clause.operator"),
				Required:            true,
				Validators:          []validator.String{stringvalidator.OneOf(enumStrings(polar.Operators())...)},
			},
			"value": schema.StringAttribute{
				MarkdownDescription: resourceDescription("clause.value"),
				Optional:            true,
				Validators:          []validator.String{stringvalidator.UTF8LengthAtMost(maxFilterStringLength)},
			},
			"int_value": schema.NumberAttribute{
				MarkdownDescription: resourceDescription("clause.int_value"),
				Optional:            true,
				Validators:          []validator.Number{wholeNumberValidator{min: minFilterInt, max: maxFilterInt}},
			},
			"bool_value": schema.BoolAttribute{
				MarkdownDescription: resourceDescription("clause.bool_value"),
				Optional:            true,
			},
		},
		Validators: []validator.Object{oneClauseValueValidator{}},
	}
}

// IdentitySchema lets Terraform and OpenTofu 1.12+ track and import a meter by its ID.
func (r *MeterResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"id": identityschema.StringAttribute{Description: "Meter ID (UUID).", RequiredForImport: true},
		},
	}
}

func (r *MeterResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

// ValidateConfig checks the rules that span attributes, before any API call.
func (r *MeterResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var config meterResourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	validateMeterConfig(ctx, config, &resp.Diagnostics)
}

// ModifyPlan warns before anything is archived, replaces on an organization change, and keeps archived_at stable.
func (r *MeterResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		resp.Diagnostics.AddWarning("polar_meter will be archived, not deleted", archiveNotice)
		return
	}
	plan, diags := planAttributesOf(ctx, req.Plan.Raw)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if req.State.Raw.IsNull() {
		r.planCreate(ctx, req, resp)
		return
	}
	state, diags := planAttributesOf(ctx, req.State.Raw)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !plan.OrganizationID.IsUnknown() && !plan.OrganizationID.Equal(state.OrganizationID) {
		resp.RequiresReplace = append(resp.RequiresReplace, path.Root("organization_id"))
		resp.Diagnostics.AddWarning("polar_meter will be replaced: the current meter is archived, not deleted",
			"organization_id changes, so a new meter is created. "+archiveNotice)
	}
	// Setting an attribute re-encodes the whole plan: only when it changes anything.
	if plan.IsArchived.Equal(state.IsArchived) && !plan.ArchivedAt.Equal(state.ArchivedAt) {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("archived_at"), state.ArchivedAt)...)
	}
}

// planAttributes are the attributes ModifyPlan compares between plan and state.
type planAttributes struct {
	OrganizationID types.String
	IsArchived     types.Bool
	ArchivedAt     types.String
}

// planAttributesOf reads the planAttributes of a plan or state straight from its top-level attributes: a plan calls
// ModifyPlan for every meter, and reading whole models (the nested filter included) cost most of its CPU.
func planAttributesOf(ctx context.Context, raw tftypes.Value) (planAttributes, diag.Diagnostics) {
	var diags diag.Diagnostics
	var attributes map[string]tftypes.Value
	if err := raw.As(&attributes); err != nil {
		diags.AddError("Unreadable plan or state", fmt.Sprintf("%s; this is a bug in the provider", err))
		return planAttributes{}, diags
	}
	value := func(name string, typ attr.Type) attr.Value {
		v, err := typ.ValueFromTerraform(ctx, attributes[name])
		if err != nil {
			diags.AddAttributeError(path.Root(name), "Unreadable plan or state", fmt.Sprintf("%s; this is a bug in the provider", err))
			return nil
		}
		return v
	}
	organizationID, _ := value("organization_id", types.StringType).(types.String)
	isArchived, _ := value("is_archived", types.BoolType).(types.Bool)
	archivedAt, _ := value("archived_at", types.StringType).(types.String)
	return planAttributes{OrganizationID: organizationID, IsArchived: isArchived, ArchivedAt: archivedAt}, diags
}

// planCreate refuses a create Polar would refuse for the token.
func (r *MeterResource) planCreate(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var organizationID types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("organization_id"), &organizationID)...)
	if r.data != nil && r.data.personalToken && organizationID.IsNull() {
		resp.Diagnostics.AddAttributeError(path.Root("organization_id"), "Missing organization_id",
			"The access token is a personal access token (polar_pat_...), with which Polar needs to be told the organization "+
				"of a new meter: set organization_id, or use an Organization Access Token (polar_oat_...), which implies it.")
	}
}

// Create makes the meter with one POST, then archives it only when asked to.
func (r *MeterResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan meterResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	create, diags := plan.toCreate(ctx)
	resp.Diagnostics.Append(diags...)
	resp.Diagnostics.Append(r.data.checkOrganization(ctx, &create)...)
	if resp.Diagnostics.HasError() {
		return
	}
	meter := r.createMeter(ctx, create, &resp.Diagnostics)
	if meter == nil {
		return
	}
	// Save what exists now, so nothing below can lose the meter.
	wantArchived := plan.IsArchived.ValueBool()
	resp.Diagnostics.Append(plan.refresh(ctx, meter)...)
	if wantArchived {
		plan.IsArchived = types.BoolValue(true)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, meter.ID)...)
	resp.Diagnostics.Append(saveFloatKeys(ctx, resp.Private, meter)...)
	if !wantArchived || resp.Diagnostics.HasError() {
		return
	}
	archived, err := r.data.client.ArchiveMeter(context.WithoutCancel(ctx), meter.ID)
	if err != nil {
		// Terraform taints a create that ends in an error, and would make a second meter: the state keeps the archive
		// as planned, and the next refresh reads the meter live and plans the archive in place.
		resp.Diagnostics.AddAttributeWarning(path.Root("is_archived"), "Meter created but not archived",
			fmt.Sprintf("Meter %s was created and is in state, but archiving it failed: %s\n\nIt is live in Polar. "+
				"The next plan reads is_archived = false and proposes to archive it in place; no second meter is created.",
				meter.ID, err))
		return
	}
	r.data.reads.remember(archived)
	resp.Diagnostics.Append(plan.refresh(ctx, archived)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(saveFloatKeys(ctx, resp.Private, archived)...)
}

// Read refreshes the meter from what this provider instance read of Polar; a meter gone from Polar leaves the state
// only once the provider has confirmed that it is looking at the meter's organization.
func (r *MeterResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state meterResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// The framework wants an identity after every read, even one that removes the resource.
	resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, state.ID.ValueString())...)
	meter, err := r.data.reads.get(ctx, state.ID.ValueString())
	if polar.IsNotFound(err) {
		r.data.handleMissingMeter(ctx, state, &resp.Diagnostics)
		if !resp.Diagnostics.HasError() {
			resp.State.RemoveResource(ctx)
		}
		return
	}
	if err != nil {
		addAPIError(&resp.Diagnostics, "Cannot read meter", err, nil)
		return
	}
	prior := state
	resp.Diagnostics.Append(state.refresh(ctx, meter)...)
	if !state.equal(prior) { // resp.State starts as the state read; Set re-encodes it whole
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	}
	resp.Diagnostics.Append(saveFloatKeys(ctx, resp.Private, meter)...)
}

// Update sends one PATCH with only what changed, so a locked filter never blocks a rename.
func (r *MeterResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state meterResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, state.ID.ValueString())...)
	floatKeys, diags := loadFloatKeys(ctx, req.Private)
	resp.Diagnostics.Append(diags...)
	update, diags := plan.toUpdate(ctx, state, floatKeys)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		resp.State = req.State
		return
	}
	if update.IsEmpty() {
		// Only the spelling changed (e.g. a metadata. prefix): Polar already holds this meter, untouched.
		plan.ModifiedAt = state.ModifiedAt
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}
	meter, err := r.data.client.UpdateMeter(ctx, state.ID.ValueString(), update)
	if err != nil {
		addAPIError(&resp.Diagnostics, "Cannot update meter", err, update.Filter)
		resp.State = req.State // Polar applies a PATCH whole or not at all.
		return
	}
	r.data.reads.remember(meter)
	resp.Diagnostics.Append(plan.refresh(ctx, meter)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(saveFloatKeys(ctx, resp.Private, meter)...)
}

// Delete archives the meter: Polar has no delete. An archived meter is left as it is, so its archived_at stays.
func (r *MeterResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state meterResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if state.IsArchived.ValueBool() {
		resp.Diagnostics.AddWarning("Meter already archived: nothing sent",
			fmt.Sprintf("Meter %s (%q) is already archived in Polar; it leaves Terraform's state unchanged in Polar.",
				state.ID.ValueString(), state.Name.ValueString()))
		return
	}
	archived, err := r.data.client.ArchiveMeter(ctx, state.ID.ValueString())
	switch {
	case polar.IsNotFound(err):
	case err != nil:
		addAPIError(&resp.Diagnostics, "Cannot archive meter", err, nil)
	default:
		r.data.reads.remember(archived)
		// Said at apply too: Terraform plans -replace and taint replacements without asking the provider.
		resp.Diagnostics.AddWarning("Meter archived in Polar, not deleted",
			fmt.Sprintf("Meter %s (%q) is archived. %s", state.ID.ValueString(), state.Name.ValueString(), archiveNotice))
	}
}

// ImportState adopts a meter by ID, given as an import ID or as identity; Read fills in the rest.
func (r *MeterResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id := req.ID
	if id == "" && req.Identity != nil {
		resp.Diagnostics.Append(req.Identity.GetAttribute(ctx, path.Root("id"), &id)...)
	}
	if _, err := uuid.Parse(id); err != nil {
		resp.Diagnostics.AddError("Invalid meter ID",
			fmt.Sprintf("Import expects a Polar meter ID, a UUID such as 3f2504e0-4f89-41d3-9a0c-0305e82c3301; got %q.", id))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
	resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, id)...)
}

// setIdentity records the meter's ID as its identity, for clients that track identities (nil for older ones).
func setIdentity(ctx context.Context, identity *tfsdk.ResourceIdentity, id string) diag.Diagnostics {
	if identity == nil {
		return nil
	}
	return identity.SetAttribute(ctx, path.Root("id"), id)
}

// privateFloatKeys is the private state entry naming the metadata keys Polar holds as floats.
const privateFloatKeys = "metadata_float_keys"

// saveFloatKeys records which metadata keys the meter holds as floats, so a later update keeps them floats.
func saveFloatKeys(ctx context.Context, private interface {
	SetKey(context.Context, string, []byte) diag.Diagnostics
}, meter *polar.Meter,
) diag.Diagnostics {
	raw, _ := json.Marshal(floatKeysOf(meter.Metadata)) // a []string always marshals
	return private.SetKey(ctx, privateFloatKeys, raw)
}

// loadFloatKeys reads what saveFloatKeys recorded; none for state written before it existed.
func loadFloatKeys(ctx context.Context, private interface {
	GetKey(context.Context, string) ([]byte, diag.Diagnostics)
}) ([]string, diag.Diagnostics) {
	raw, diags := private.GetKey(ctx, privateFloatKeys)
	var keys []string
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &keys); err != nil {
			diags.AddError("Unreadable private state", fmt.Sprintf("%s: %s; this is a bug in the provider", privateFloatKeys, err))
		}
	}
	return keys, diags
}

// enumStrings turns an API enum's values into validator options.
func enumStrings[T ~string](values []T) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}

// meterResourceModel is the polar_meter state.
type meterResourceModel struct {
	ID               types.String  `tfsdk:"id"`
	Name             types.String  `tfsdk:"name"`
	Unit             types.String  `tfsdk:"unit"`
	CustomLabel      types.String  `tfsdk:"custom_label"`
	CustomMultiplier types.Number  `tfsdk:"custom_multiplier"`
	OrganizationID   types.String  `tfsdk:"organization_id"`
	Filter           types.Object  `tfsdk:"filter"`
	Aggregation      types.Object  `tfsdk:"aggregation"`
	Metadata         types.Dynamic `tfsdk:"metadata"`
	IsArchived       types.Bool    `tfsdk:"is_archived"`
	CreatedAt        types.String  `tfsdk:"created_at"`
	ModifiedAt       types.String  `tfsdk:"modified_at"`
	ArchivedAt       types.String  `tfsdk:"archived_at"`
}
