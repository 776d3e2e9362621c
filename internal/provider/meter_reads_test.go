package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/polar-terraform/terraform-provider-polar/internal/localpolar"
)

// TestAccMeterRefresh_staysWithinRateBudget: a plan refreshing N managed meters among T live ones, with A managed
// meters archived, costs at most min(N, ceil(T/100)) + A + 3 requests, however many archived meters it does not manage.
func TestAccMeterRefresh_staysWithinRateBudget(t *testing.T) {
	for name, c := range map[string]struct {
		managed, managedArchived, otherLive, otherArchived int
	}{
		"150_live_managed_among_230":      {managed: 150, otherLive: 80, otherArchived: 150},
		"3_managed_among_20000":           {managed: 3, otherLive: 19997},
		"2_archived_among_10_managed":     {managed: 10, managedArchived: 2, otherLive: 300},
		"all_managed_on_exactly_one_page": {managed: 100},
	} {
		t.Run(name, func(t *testing.T) {
			tt := newTestTarget(t)
			server := tt.needsLocal(t)
			prefix := testMeterName(t)
			config := countedMeters("managed", c.managed, prefix)
			live := c.managed - c.managedArchived + c.otherLive
			bound := min(c.managed-c.managedArchived, (live+99)/100) + c.managedArchived + 3
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: tt.factories,
				Steps: []resource.TestStep{
					{Config: config},
					{
						PreConfig: func() {
							archiveManaged(t, server, c.managedArchived)
							putUnmanaged(server, c.otherLive, false)
							putUnmanaged(server, c.otherArchived, true)
							server.ResetRequests()
						},
						RefreshState:       true,
						ExpectNonEmptyPlan: c.managedArchived > 0, // archived behind Terraform's back: drift
						Check: func(*terraform.State) error {
							return requestsWithin(server, bound)
						},
					},
				},
			})
		})
	}
}

// requestsWithin fails when the server received more requests than bound since the last reset.
func requestsWithin(server *localpolar.Server, bound int) error {
	requests := server.Requests()
	if len(requests) > bound {
		log := make([]string, len(requests))
		for i, r := range requests {
			log[i] = r.Method + " " + r.Path + "?" + r.Query.Encode()
		}
		return fmt.Errorf("the refresh sent %d requests, bound %d: %v", len(requests), bound, log)
	}
	return nil
}

// archiveManaged archives n of the managed meters behind Terraform's back, so the refresh reads them by ID.
func archiveManaged(t *testing.T, server *localpolar.Server, n int) {
	t.Helper()
	for _, id := range server.MeterIDs()[:n] {
		server.ArchiveOutOfBand(id)
	}
}

// putUnmanaged stores n meters Terraform does not manage, as made in the dashboard.
func putUnmanaged(server *localpolar.Server, n int, archived bool) {
	for i := range n {
		id := server.PutMeter(fmt.Sprintf(`{"name": "unmanaged-%d", "filter": {"conjunction": "and", "clauses": []},
			"aggregation": {"func": "count"}}`, i))
		if archived {
			server.ArchiveOutOfBand(id)
		}
	}
}
