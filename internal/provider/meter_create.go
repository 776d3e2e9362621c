package provider

import (
	"cmp"
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/polar-terraform/terraform-provider-polar/internal/polar"
)

// createMarkerKey is the metadata key of the one-time marker a create carries: Polar's list filters metadata values
// exactly, so a create whose answer was lost is found by its marker and no other meter. It is hidden from state.
const createMarkerKey = "terraform_create_id"

// withCreateMarker adds a fresh marker to a create's metadata; none when the user's keys leave no room for it.
func withCreateMarker(create polar.MeterCreate) (polar.MeterCreate, string) {
	if len(create.Metadata) >= maxMetadataKeys {
		return create, ""
	}
	marker := uuid.NewString()
	metadata := make(polar.Metadata, len(create.Metadata)+1)
	for key, value := range create.Metadata {
		metadata[key] = value
	}
	metadata[createMarkerKey] = polar.MetadataString(marker)
	create.Metadata = metadata
	return create, marker
}

// withoutCreateMarker is a meter's metadata as the user wrote it: the marker belongs to the provider.
func withoutCreateMarker(m polar.Metadata) polar.Metadata {
	if _, ok := m[createMarkerKey]; !ok {
		return m
	}
	out := make(polar.Metadata, len(m)-1)
	for key, value := range m {
		if key != createMarkerKey {
			out[key] = value
		}
	}
	return out
}

// createMeter sends the one POST; when its answer is lost, it finds the meter by the create's marker, so the meter is
// adopted, never made twice, and never mistaken for another.
func (r *MeterResource) createMeter(ctx context.Context, create polar.MeterCreate, diags *diag.Diagnostics) *polar.Meter {
	create, marker := withCreateMarker(create)
	meter, err := r.data.client.CreateMeter(ctx, create)
	if err == nil {
		r.data.reads.remember(meter)
		return meter
	}
	if apiErr, ok := polar.AsAPIError(err); !ok || !apiErr.MaybeApplied {
		addAPIError(diags, "Cannot create meter", err, &create.Filter)
		return nil
	}
	// The search runs even after Ctrl-C: the meter may exist, and only state can keep it from being made again.
	ctx = context.WithoutCancel(ctx)
	if marker == "" {
		r.refuseUnprovableCreate(ctx, create, err, diags)
		return nil
	}
	return r.findMarkedCreate(ctx, create, marker, err, diags)
}

// findMarkedCreate adopts the one meter carrying this create's marker.
func (r *MeterResource) findMarkedCreate(ctx context.Context, create polar.MeterCreate, marker string, createErr error,
	diags *diag.Diagnostics,
) *polar.Meter {
	found, err := r.data.client.ListMeters(ctx, polar.ListMetersParams{Metadata: map[string]string{createMarkerKey: marker}})
	switch {
	case err != nil:
		diags.AddError("Meter may have been created", fmt.Sprintf("%s\n\nThe request may have reached Polar but its answer was lost, "+
			"and looking for the meter failed too (%s). Before applying again, look for the meter this create made: "+
			"`data \"polar_meters\" \"lost\" { metadata = { %s = %q } }`. If it exists, import it "+
			"(an import block with its id) instead of applying, which would create a second one.", createErr, err, createMarkerKey, marker))
		return nil
	case len(found) == 0:
		diags.AddError("Meter not created", fmt.Sprintf("%s\n\nNo meter in Polar carries this create's one-time marker "+
			"(metadata %s = %q), so Polar did not create it. If Polar was still processing the request, the meter appears later "+
			"with that marker: find it with `data \"polar_meters\" \"lost\" { metadata = { %s = %q } }` and import it.",
			createErr, createMarkerKey, marker, createMarkerKey, marker))
		return nil
	case len(found) > 1:
		diags.AddError("Several meters carry one create's marker", fmt.Sprintf("%s\n\nMeters %s all carry the marker %s = %q of "+
			"one create request; none was adopted. %s", createErr, meterIDs(found), createMarkerKey, marker, importAdvice(found)))
		return nil
	}
	r.data.reads.remember(&found[0])
	diags.AddWarning("Meter adopted after a lost answer", fmt.Sprintf("%s\n\nPolar had created meter %s (%q) before its answer "+
		"was lost; it was found by this create's one-time marker, this resource now manages it, and no second meter was created.",
		createErr, found[0].ID, create.Name))
	return &found[0]
}

// refuseUnprovableCreate lists the meters a marker-less create may have made: without a marker none can be proven ours.
func (r *MeterResource) refuseUnprovableCreate(ctx context.Context, create polar.MeterCreate, createErr error, diags *diag.Diagnostics) {
	live := false
	named, err := r.data.client.FindMetersByName(ctx, create.Name, &live)
	var candidates []polar.Meter
	for _, m := range named {
		if madeBy(create, m) {
			candidates = append(candidates, m)
		}
	}
	detail := fmt.Sprintf("%s\n\nThe request may have reached Polar but its answer was lost. Its metadata has %d keys, so it "+
		"carried no one-time marker (it takes one of Polar's %d keys), and the provider cannot prove which meter, if any, it made.",
		createErr, len(create.Metadata), maxMetadataKeys)
	switch {
	case err != nil:
		detail += fmt.Sprintf(" Looking for meters named %q failed too (%s): look for them in Polar before applying again.", create.Name, err)
	case len(candidates) == 0:
		detail += fmt.Sprintf(" No live meter named %q with this configuration exists now.", create.Name)
	default:
		detail += fmt.Sprintf(" Live meters with this name and configuration: %s. %s", meterIDs(candidates), importAdvice(candidates))
	}
	diags.AddError("Meter may have been created", detail)
}

// importAdvice says how to adopt the right one of several meters.
func importAdvice(candidates []polar.Meter) string {
	return fmt.Sprintf("If one of them is the meter this resource should manage, adopt it instead of applying again:\n\n"+
		"import {\n  to = <this resource's address>\n  id = %q\n}", candidates[0].ID)
}

// madeBy reports whether meter is what Polar stores for create, marker aside.
func madeBy(create polar.MeterCreate, meter polar.Meter) bool {
	return meter.Name == create.Name && meter.Unit == cmp.Or(create.Unit, polar.UnitScalar) &&
		reflect.DeepEqual(meter.CustomLabel, create.CustomLabel) &&
		effectiveMultiplier(meter.CustomMultiplier) == effectiveMultiplier(create.CustomMultiplier) &&
		(create.OrganizationID == nil || strings.EqualFold(*create.OrganizationID, meter.OrganizationID)) &&
		sameFilter(spelledFilter(meter.Filter), create.Filter) &&
		sameAggregation(spelledAggregation(meter.Aggregation), create.Aggregation) &&
		sameMetadata(withoutCreateMarker(meter.Metadata), withoutCreateMarker(create.Metadata))
}

// checkOrganization decides whether a create sends organization_id. An Organization Access Token implies its
// organization and Polar refuses the field with it, so it is dropped when it names the token's own organization
// (configuration written by -generate-config-out holds it) and refused, before anything is written, when it names another.
func (d *providerData) checkOrganization(ctx context.Context, create *polar.MeterCreate) diag.Diagnostics {
	var diags diag.Diagnostics
	if create.OrganizationID == nil || !d.organizationToken {
		return diags
	}
	own, err := d.reads.tokenOrganization(ctx)
	if err != nil {
		diags.AddAttributeError(path.Root("organization_id"), "Cannot check organization_id",
			fmt.Sprintf("organization_id is set and the access token is an Organization Access Token, which implies its organization; "+
				"finding that organization failed: %s", err))
		return diags
	}
	switch {
	case own == "":
		diags.AddAttributeError(path.Root("organization_id"), "Cannot check organization_id",
			"organization_id is set, and the access token is an Organization Access Token, which implies its organization. "+
				"The token sees no meter yet, so the provider cannot tell whether organization_id names that organization, and "+
				"creates nothing rather than risk a meter in the wrong place: remove organization_id.")
	case strings.EqualFold(own, *create.OrganizationID):
		create.OrganizationID = nil
	default:
		diags.AddAttributeError(path.Root("organization_id"), "organization_id names another organization",
			fmt.Sprintf("organization_id is %s, but the access token belongs to organization %s: an Organization Access Token "+
				"creates meters only in its own organization. Nothing was created. Remove organization_id, set it to %s, or use "+
				"a token of organization %s.", *create.OrganizationID, own, own, *create.OrganizationID))
	}
	return diags
}

// meterIDs lists the meters' IDs for a message.
func meterIDs(meters []polar.Meter) string {
	ids := make([]string, len(meters))
	for i, m := range meters {
		ids[i] = m.ID
	}
	return strings.Join(ids, ", ")
}
