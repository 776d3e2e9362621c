package provider

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/polar-terraform/terraform-provider-polar/internal/polar"
)

// lostCreateWindow allows for clock skew when matching a meter's created_at to the moment its create was sent.
const lostCreateWindow = time.Minute

// createLedger keeps lost-create recovery from adopting a meter that another resource of this provider made.
type createLedger struct {
	inFlight sync.RWMutex // creates hold it shared; a recovery holds it alone, so no create it could mistake is pending
	mu       sync.Mutex
	owned    map[string]bool // meters this provider instance created or adopted
}

// create runs one create and records the meter it made.
func (l *createLedger) create(send func() (*polar.Meter, error)) (*polar.Meter, error) {
	l.inFlight.RLock()
	defer l.inFlight.RUnlock()
	meter, err := send()
	if err == nil {
		l.own(meter.ID)
	}
	return meter, err
}

// recover runs a search for a lost create alone, with the meters already owned, and records the meter it adopts.
func (l *createLedger) recover(search func(owned func(id string) bool) *polar.Meter) *polar.Meter {
	l.inFlight.Lock()
	defer l.inFlight.Unlock()
	meter := search(l.isOwned)
	if meter != nil {
		l.own(meter.ID)
	}
	return meter
}

func (l *createLedger) own(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.owned == nil {
		l.owned = map[string]bool{}
	}
	l.owned[id] = true
}

func (l *createLedger) isOwned(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.owned[id]
}

// createMeter sends the one POST; when its answer is lost, it finds the meter Polar may have made, so it is adopted, never made twice.
func (r *MeterResource) createMeter(ctx context.Context, create polar.MeterCreate, diags *diag.Diagnostics) *polar.Meter {
	started := time.Now()
	meter, err := r.data.creates.create(func() (*polar.Meter, error) { return r.data.client.CreateMeter(ctx, create) })
	if err == nil {
		return meter
	}
	if apiErr, ok := polar.AsAPIError(err); !ok || !apiErr.MaybeApplied {
		addAPIError(diags, "Cannot create meter", err, &create.Filter)
		return nil
	}
	return r.data.creates.recover(func(owned func(string) bool) *polar.Meter {
		return r.findLostCreate(ctx, create, started, err, owned, diags)
	})
}

// findLostCreate adopts the meter a create with a lost answer made, if Polar has one that no other resource owns.
func (r *MeterResource) findLostCreate(ctx context.Context, create polar.MeterCreate, started time.Time, createErr error,
	owned func(string) bool, diags *diag.Diagnostics,
) *polar.Meter {
	listed, err := r.data.client.ListMeters(ctx, polar.ListMetersParams{Query: create.Name})
	if err != nil {
		diags.AddError("Meter may have been created", fmt.Sprintf("%s\n\nThe request reached Polar but its answer was lost, "+
			"and looking for the meter failed too (%s). Before applying again, look for a meter named %q in Polar: if it exists, "+
			"import it (`terraform import <resource address> <meter id>` or an import block) instead of applying, which would create a second one.",
			createErr, err, create.Name))
		return nil
	}
	found := lostCreates(create, listed, started, owned)
	if len(found) == 0 {
		diags.AddError("Meter not created", fmt.Sprintf("%s\n\nNo meter matching this configuration exists in Polar, so none was created: "+
			"applying again is safe.", createErr))
		return nil
	}
	// Unowned identical meters are interchangeable: another resource that lost its answer adopts the next one.
	detail := fmt.Sprintf("%s\n\nPolar had created meter %s before its answer was lost; this resource now manages it, "+
		"and no second meter was created.", createErr, found[0].ID)
	if len(found) > 1 {
		detail += fmt.Sprintf(" Other meters with this configuration were created just now and are not managed by this resource: %s.",
			meterIDs(found[1:]))
	}
	diags.AddWarning("Meter adopted after a lost answer", detail)
	return &found[0]
}

// lostCreates are the unowned listed meters that the create sent at started would have made, oldest first.
func lostCreates(create polar.MeterCreate, listed []polar.Meter, started time.Time, owned func(string) bool) []polar.Meter {
	var found []polar.Meter
	for _, m := range listed {
		if !owned(m.ID) && m.ArchivedAt == nil && !m.CreatedAt.Before(started.Add(-lostCreateWindow)) && madeBy(create, m) {
			found = append(found, m)
		}
	}
	slices.SortStableFunc(found, func(a, b polar.Meter) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return found
}
