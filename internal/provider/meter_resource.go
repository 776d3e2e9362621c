package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/polar-terraform/terraform-provider-polar/internal/polar"
)

var (
	_ resource.Resource                   = &MeterResource{}
	_ resource.ResourceWithConfigure      = &MeterResource{}
	_ resource.ResourceWithImportState    = &MeterResource{}
	_ resource.ResourceWithModifyPlan     = &MeterResource{}
	_ resource.ResourceWithValidateConfig = &MeterResource{}
)

// archiveNotice is said wherever Terraform would otherwise suggest a meter is deleted.
const archiveNotice = "Polar cannot delete meters: destroying this resource archives the meter in Polar " +
	"(PATCH is_archived = true). It stops being used for billing, keeps its history, and can be restored with is_archived = false after import."

// requiredBlock marks the two blocks every meter needs: block schemas cannot say so, and the docs list them as optional.
const requiredBlock = "**Required** block. "

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
	rootFilter := filterBlockObject(0)
	resp.Schema = schema.Schema{
		MarkdownDescription: "A Polar billing meter: it filters a customer's events and aggregates them into a usage quantity. " +
			"Destroying the resource archives the meter, since Polar has no way to delete one.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: meterDescriptions["id"],
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: meterDescriptions["name"],
				Required:            true,
				Validators:          []validator.String{stringvalidator.UTF8LengthAtLeast(minNameLength)},
			},
			"unit": schema.StringAttribute{
				MarkdownDescription: meterDescriptions["unit"],
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(string(polar.UnitScalar)),
				Validators:          []validator.String{stringvalidator.OneOf(enumStrings(polar.Units())...)},
			},
			"custom_label": schema.StringAttribute{
				MarkdownDescription: meterDescriptions["custom_label"],
				Optional:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"custom_multiplier": schema.Int64Attribute{
				MarkdownDescription: meterDescriptions["custom_multiplier"],
				Optional:            true,
				Validators:          []validator.Int64{int64validator.AtLeast(1)},
			},
			"organization_id": schema.StringAttribute{
				MarkdownDescription: meterDescriptions["organization_id"],
				Optional:            true,
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
				Validators:          []validator.String{uuidValidator{}},
			},
			"metadata": schema.DynamicAttribute{
				MarkdownDescription: meterDescriptions["metadata"],
				Optional:            true,
				Validators:          []validator.Dynamic{metadataValidator{}},
			},
			"is_archived": schema.BoolAttribute{
				MarkdownDescription: meterDescriptions["is_archived"],
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(false),
			},
			"created_at": schema.StringAttribute{
				MarkdownDescription: meterDescriptions["created_at"],
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"modified_at": schema.StringAttribute{
				MarkdownDescription: meterDescriptions["modified_at"],
				Computed:            true,
			},
			"archived_at": schema.StringAttribute{
				MarkdownDescription: meterDescriptions["archived_at"],
				Computed:            true,
			},
		},
		Blocks: map[string]schema.Block{
			// Single blocks, not lists: a meter has exactly one of each, and their Required attributes make them mandatory.
			"filter": schema.SingleNestedBlock{
				MarkdownDescription: requiredBlock + meterDescriptions["filter"],
				Attributes:          rootFilter.Attributes,
				Blocks:              rootFilter.Blocks,
			},
			"aggregation": schema.SingleNestedBlock{
				MarkdownDescription: requiredBlock + meterDescriptions["aggregation"],
				Attributes: map[string]schema.Attribute{
					"func": schema.StringAttribute{
						MarkdownDescription: meterDescriptions["aggregation.func"],
						Required:            true,
						Validators:          []validator.String{stringvalidator.OneOf(enumStrings(polar.AggregationFuncs())...)},
					},
					"property": schema.StringAttribute{
						MarkdownDescription: meterDescriptions["aggregation.property"],
						Optional:            true,
						Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
					},
				},
			},
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
	if req.State.Raw.IsNull() {
		return
	}
	var plan, state meterResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !plan.OrganizationID.IsUnknown() && !plan.OrganizationID.Equal(state.OrganizationID) {
		resp.RequiresReplace = append(resp.RequiresReplace, path.Root("organization_id"))
		resp.Diagnostics.AddWarning("polar_meter will be replaced: the current meter is archived, not deleted",
			"organization_id changes, so a new meter is created. "+archiveNotice)
	}
	if plan.IsArchived.Equal(state.IsArchived) {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("archived_at"), state.ArchivedAt)...)
	}
}

// Create makes the meter with one POST, then archives it only when asked to.
func (r *MeterResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan meterResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	create, diags := plan.toCreate(ctx, r.data.organizationToken)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	meter := r.createMeter(ctx, create, &resp.Diagnostics)
	if meter == nil {
		return
	}
	if want := plan.OrganizationID; isSet(want) && !strings.EqualFold(want.ValueString(), meter.OrganizationID) {
		r.undoCreateInOtherOrganization(ctx, meter, want.ValueString(), &resp.Diagnostics)
		return
	}
	wantArchived := plan.IsArchived.ValueBool()
	// Save what exists now, so a failing archive below still leaves the meter tracked.
	resp.Diagnostics.Append(plan.refresh(ctx, meter)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(saveFloatKeys(ctx, resp.Private, meter)...)
	if !wantArchived || resp.Diagnostics.HasError() {
		return
	}
	archived, err := r.data.client.ArchiveMeter(ctx, meter.ID)
	if err != nil {
		addAPIError(&resp.Diagnostics, "Meter created but not archived", err, nil)
		return
	}
	resp.Diagnostics.Append(plan.refresh(ctx, archived)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(saveFloatKeys(ctx, resp.Private, archived)...)
}

// undoCreateInOtherOrganization archives a meter an organization token made in its own organization, not the configured one.
func (r *MeterResource) undoCreateInOtherOrganization(ctx context.Context, meter *polar.Meter, want string, diags *diag.Diagnostics) {
	outcome := fmt.Sprintf("The provider archived that meter (%s).", meter.ID)
	if _, err := r.data.client.ArchiveMeter(ctx, meter.ID); err != nil {
		outcome = fmt.Sprintf("Archiving that meter (%s) failed too: %s. Archive it in Polar.", meter.ID, err)
	}
	diags.AddAttributeError(path.Root("organization_id"), "Meter created in another organization",
		fmt.Sprintf("organization_id is %s, but the access token belongs to organization %s, where Polar created the meter: "+
			"an Organization Access Token implies its organization. %s Remove organization_id, set it to %s, or use a token of "+
			"organization %s.", want, meter.OrganizationID, outcome, meter.OrganizationID, want))
}

// Read refreshes the meter with one GET; a meter gone from Polar leaves the state.
func (r *MeterResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state meterResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	meter, err := r.data.client.GetMeter(ctx, state.ID.ValueString())
	if polar.IsNotFound(err) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addAPIError(&resp.Diagnostics, "Cannot read meter", err, nil)
		return
	}
	resp.Diagnostics.Append(state.refresh(ctx, meter)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
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
	resp.Diagnostics.Append(plan.refresh(ctx, meter)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(saveFloatKeys(ctx, resp.Private, meter)...)
}

// Delete archives the meter: Polar has no delete.
func (r *MeterResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state meterResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	_, err := r.data.client.ArchiveMeter(ctx, state.ID.ValueString())
	switch {
	case polar.IsNotFound(err):
	case err != nil:
		addAPIError(&resp.Diagnostics, "Cannot archive meter", err, nil)
	default:
		// Said at apply too: Terraform plans -replace and taint replacements without asking the provider.
		resp.Diagnostics.AddWarning("Meter archived in Polar, not deleted",
			fmt.Sprintf("Meter %s (%q) is archived. %s", state.ID.ValueString(), state.Name.ValueString(), archiveNotice))
	}
}

// ImportState adopts a meter by ID; Read fills in the rest.
func (r *MeterResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if _, err := uuid.Parse(req.ID); err != nil {
		resp.Diagnostics.AddError("Invalid meter ID",
			fmt.Sprintf("Import expects a Polar meter ID, a UUID such as 3f2504e0-4f89-41d3-9a0c-0305e82c3301; got %q.", req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
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

// filterBlockObject is the schema of a filter group at depth (0 = root); groups nest maxFilterDepth levels below the root.
func filterBlockObject(depth int) schema.NestedBlockObject {
	object := schema.NestedBlockObject{
		Attributes: map[string]schema.Attribute{
			"conjunction": schema.StringAttribute{
				MarkdownDescription: meterDescriptions["filter.conjunction"],
				Required:            true,
				Validators:          []validator.String{stringvalidator.OneOf(enumStrings(polar.Conjunctions())...)},
			},
		},
		Blocks: map[string]schema.Block{
			"clause": schema.ListNestedBlock{
				MarkdownDescription: meterDescriptions["filter.clause"],
				NestedObject:        clauseBlockObject(),
			},
		},
	}
	if depth < maxFilterDepth {
		object.Blocks["filter"] = schema.ListNestedBlock{
			MarkdownDescription: meterDescriptions["filter.filter"],
			NestedObject:        filterBlockObject(depth + 1),
		}
	}
	return object
}

// clauseBlockObject is the schema of one filter condition.
func clauseBlockObject() schema.NestedBlockObject {
	oneValue := []path.Expression{
		path.MatchRelative().AtParent().AtName("int_value"),
		path.MatchRelative().AtParent().AtName("bool_value"),
	}
	return schema.NestedBlockObject{
		Attributes: map[string]schema.Attribute{
			"property": schema.StringAttribute{
				MarkdownDescription: meterDescriptions["clause.property"],
				Required:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"operator": schema.StringAttribute{
				MarkdownDescription: meterDescriptions["clause.operator"],
				Required:            true,
				Validators:          []validator.String{stringvalidator.OneOf(enumStrings(polar.Operators())...)},
			},
			"value": schema.StringAttribute{
				MarkdownDescription: meterDescriptions["clause.value"],
				Optional:            true,
				Validators: []validator.String{
					stringvalidator.UTF8LengthAtMost(maxFilterStringLength),
					stringvalidator.ExactlyOneOf(oneValue...),
				},
			},
			"int_value": schema.Int64Attribute{
				MarkdownDescription: meterDescriptions["clause.int_value"],
				Optional:            true,
				Validators:          []validator.Int64{int64validator.Between(minFilterInt, maxFilterInt)},
			},
			"bool_value": schema.BoolAttribute{
				MarkdownDescription: meterDescriptions["clause.bool_value"],
				Optional:            true,
			},
		},
	}
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
	CustomMultiplier types.Int64   `tfsdk:"custom_multiplier"`
	OrganizationID   types.String  `tfsdk:"organization_id"`
	Filter           types.Object  `tfsdk:"filter"`
	Aggregation      types.Object  `tfsdk:"aggregation"`
	Metadata         types.Dynamic `tfsdk:"metadata"`
	IsArchived       types.Bool    `tfsdk:"is_archived"`
	CreatedAt        types.String  `tfsdk:"created_at"`
	ModifiedAt       types.String  `tfsdk:"modified_at"`
	ArchivedAt       types.String  `tfsdk:"archived_at"`
}
