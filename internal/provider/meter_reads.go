package provider

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/polar-terraform/terraform-provider-polar/internal/polar"
)

// pageSlack is how many list pages a refresh fetches at once even for few meters: it keeps a refresh within
// min(N, pages) + archived + 3 requests for every organization of up to that many pages beyond the first.
const pageSlack = 3

// meterReads is what this provider instance has read of Polar, so a refresh spends as few of the organization's
// rate budget as it can: meters come from live list pages when that is cheaper, by ID otherwise. It lives only as
// long as the provider process, and every write of the provider updates it, so what it answers is what a GET would.
type meterReads struct {
	client *polar.Client

	mu     sync.Mutex
	meters map[string]polar.Meter // by lower-case ID
	orgs   map[string]bool        // organizations of the meters read, lower-case
	pages  int                    // live list pages read, in created_at order
	total  int                    // pages of the live list, once the first is read
	byID   int                    // GETs made because the lists had not been read
	pageMu sync.Mutex             // one page fetch at a time: a page read by one refresh serves the others
}

func newMeterReads(client *polar.Client) *meterReads {
	return &meterReads{client: client, meters: map[string]polar.Meter{}, orgs: map[string]bool{}}
}

// get answers a meter by ID as GET would, from pages already read, more pages, or a GET.
func (m *meterReads) get(ctx context.Context, id string) (*polar.Meter, error) {
	for {
		if meter, ok := m.cached(id); ok {
			return meter, nil
		}
		pages := m.pagesToRead() // decided again after each reading: the first page tells how many follow
		if pages == readNoPage {
			break
		}
		if err := m.readPages(ctx, pages); err != nil {
			return nil, err
		}
	}
	meter, err := m.client.GetMeter(ctx, id)
	if err != nil {
		return nil, err
	}
	m.remember(meter)
	return meter, nil
}

// pageReading is which live list pages a read for an unread meter fetches first.
type pageReading int

const (
	readNoPage pageReading = iota
	readFirstPage
	readRemainingPages
)

// pagesToRead decides between list pages and a GET for a meter not read yet: the first page always (it tells the
// list's length), the rest once the GETs they would replace reach their number less the slack.
func (m *meterReads) pagesToRead() pageReading {
	m.mu.Lock()
	defer m.mu.Unlock()
	remaining := m.total - m.pages
	switch {
	case m.pages == 0:
		return readFirstPage
	case remaining <= 0:
		return readNoPage
	case remaining <= m.byID+pageSlack:
		return readRemainingPages
	}
	m.byID++
	return readNoPage
}

// readPages reads the first live list page, or every remaining one; concurrent callers share one reading.
func (m *meterReads) readPages(ctx context.Context, pages pageReading) error {
	m.pageMu.Lock()
	defer m.pageMu.Unlock()
	for {
		m.mu.Lock()
		next, done := m.pages+1, m.pages >= m.total && m.pages > 0 || pages == readFirstPage && m.pages > 0
		m.mu.Unlock()
		if done {
			return nil
		}
		live := false
		page, err := m.client.ListMetersPage(ctx, polar.ListMetersParams{IsArchived: &live, Sorting: []string{"created_at"}}, next)
		if err != nil {
			return err
		}
		m.mu.Lock()
		m.pages, m.total = next, max(page.MaxPage, 1)
		for i := range page.Items {
			m.rememberLocked(page.Items[i])
		}
		m.mu.Unlock()
	}
}

// cached is a copy of a meter already read.
func (m *meterReads) cached(id string) (*polar.Meter, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	meter, ok := m.meters[strings.ToLower(id)]
	return &meter, ok
}

// remember records a meter Polar answered with, so later reads see the provider's own writes.
func (m *meterReads) remember(meter *polar.Meter) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rememberLocked(*meter)
}

func (m *meterReads) rememberLocked(meter polar.Meter) {
	m.meters[strings.ToLower(meter.ID)] = meter
	m.orgs[strings.ToLower(meter.OrganizationID)] = true
}

// rememberAll records the meters of a list answer.
func (m *meterReads) rememberAll(meters []polar.Meter) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, meter := range meters {
		m.rememberLocked(meter)
	}
}

// sawOrganization reports whether the token has been shown a meter of this organization.
func (m *meterReads) sawOrganization(organizationID string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.orgs[strings.ToLower(organizationID)]
}

// tokenOrganization is the organization of the meters this token sees, "" when it sees none; an Organization Access
// Token sees only its own. It costs at most one request per provider instance.
func (m *meterReads) tokenOrganization(ctx context.Context) (string, error) {
	m.mu.Lock()
	for org := range m.orgs {
		m.mu.Unlock()
		return org, nil
	}
	m.mu.Unlock()
	page, err := m.client.ListMetersPage(ctx, polar.ListMetersParams{}, 1)
	if err != nil {
		return "", err
	}
	m.rememberAll(page.Items)
	if len(page.Items) == 0 {
		return "", nil
	}
	return page.Items[0].OrganizationID, nil
}

// confirmsOrganization reports whether the token can see meters of organizationID, at most one request.
func (m *meterReads) confirmsOrganization(ctx context.Context, organizationID string) (bool, error) {
	if m.sawOrganization(organizationID) {
		return true, nil
	}
	page, err := m.client.ListMetersPage(ctx, polar.ListMetersParams{OrganizationIDs: []string{organizationID}}, 1)
	if err != nil {
		return false, err
	}
	m.rememberAll(page.Items)
	return m.sawOrganization(organizationID), nil
}

// handleMissingMeter decides what a 404 for a meter in state means. Polar cannot delete meters, so it almost always
// means the wrong token, organization or server: the meter leaves state only once the token is shown to see the
// meter's organization; otherwise planning stops, with zero writes.
func (d *providerData) handleMissingMeter(ctx context.Context, state meterResourceModel, diags *diag.Diagnostics) {
	org := state.OrganizationID.ValueString()
	confirmed, err := false, error(nil)
	if org != "" {
		confirmed, err = d.reads.confirmsOrganization(ctx, org)
	}
	if confirmed {
		diags.AddWarning("Meter no longer exists in Polar", fmt.Sprintf("Meter %s (%q) answered 404 Not Found, while this "+
			"access token sees other meters of its organization %s: it is gone from Polar and is removed from state.",
			state.ID.ValueString(), state.Name.ValueString(), org))
		return
	}
	why := "the access token sees no meter of that organization"
	if err != nil {
		why = fmt.Sprintf("checking the organization failed: %s", err)
	}
	diags.AddAttributeError(path.Root("id"), "Meter not found: wrong token, organization or server?",
		fmt.Sprintf("Meter %s (%q) of organization %s answered 404 Not Found at %s, and %s. Polar cannot delete meters, so this "+
			"almost always means the access token belongs to another organization, or the provider points at another server "+
			"(sandbox instead of production, or the reverse). Nothing was changed.\n\nFix the token, server or server_url. "+
			"If the meter is really gone, remove it from state: terraform state rm <resource address>.",
			state.ID.ValueString(), state.Name.ValueString(), orUnknown(org), d.serverURL, why))
}

// orUnknown names a value that state may not hold yet.
func orUnknown(s string) string {
	if s == "" {
		return "(not in state)"
	}
	return s
}
