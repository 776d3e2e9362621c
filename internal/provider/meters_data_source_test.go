package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/polar-terraform/terraform-provider-polar/internal/localpolar"
)

// putCountMeter stores a count meter with this name and metadata JSON, returning its id.
func putCountMeter(server *localpolar.Server, name, metadata string) string {
	return server.PutMeter(fmt.Sprintf(`{"name": %q, "filter": {"conjunction": "and", "clauses": []}, "aggregation": {"func": "count"}, "metadata": %s}`, name, metadata))
}

func TestAccMetersDataSource_filtersAndOrder(t *testing.T) {
	target := newTestTarget(t)
	server := target.needsLocal(t)
	beta := putCountMeter(server, "Beta calls", `{"tier": 3, "beta": true}`)
	alphaB := putCountMeter(server, "Alpha calls", `{"tier": "3"}`)
	alphaA := putCountMeter(server, "Alpha calls", `{"tier": 3, "ratio": 0.5}`)
	archived := putCountMeter(server, "Archived calls", `{}`)
	server.ArchiveOutOfBand(archived)
	putCountMeter(server, "Storage", `{}`)
	list := func(arguments string) string {
		return "data \"polar_meters\" \"x\" {\n" + arguments + "\n}\n"
	}
	ids := func(want ...string) []statecheck.StateCheck {
		checks := make([]knownvalue.Check, len(want))
		for i, id := range want {
			checks[i] = knownvalue.StringExact(id)
		}
		return []statecheck.StateCheck{statecheck.ExpectKnownValue("data.polar_meters.x", at("ids"), knownvalue.ListExact(checks))}
	}
	// Ties on name are broken by id, whatever order Polar returns them in.
	alphas := []string{alphaA, alphaB}
	if alphaB < alphaA {
		alphas = []string{alphaB, alphaA}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{
			{Config: list(`query = "calls"`), ConfigStateChecks: ids(alphas[0], alphas[1], archived, beta)},
			{Config: list(`query = "CALLS"` + "\n  is_archived = false"), ConfigStateChecks: ids(alphas[0], alphas[1], beta)},
			{Config: list(`is_archived = true`), ConfigStateChecks: ids(archived)},
			// metadata matches by value written as text: "3" finds integer 3 and string "3".
			{Config: list(`metadata = { tier = "3" }`), ConfigStateChecks: ids(alphas[0], alphas[1], beta)},
			{Config: list(`metadata = { tier = "3", beta = "true" }`), ConfigStateChecks: ids(beta)},
			{Config: list(`query = "nothing like this"`), ConfigStateChecks: ids()},
			{
				Config: list(`query = "Beta"`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.polar_meters.x", at("meters", 0, "name"), knownvalue.StringExact("Beta calls")),
					statecheck.ExpectKnownValue("data.polar_meters.x", at("meters", 0, "metadata", "tier"), knownvalue.Int64Exact(3)),
					statecheck.ExpectKnownValue("data.polar_meters.x", at("meters", 0, "metadata", "beta"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue("data.polar_meters.x", at("meters", 0, "aggregation", "func"), knownvalue.StringExact("count")),
				},
			},
		},
	})
}

func TestAccMetersDataSource_readsEveryPageOnce(t *testing.T) {
	for _, n := range []int{0, 1, 100, 101, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			target := newTestTarget(t)
			server := target.needsLocal(t)
			for i := range n {
				putCountMeter(server, fmt.Sprintf("Meter %04d", i), `{}`)
			}
			wantPages := max(1, (n+99)/100)
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: target.factories,
				Steps: []resource.TestStep{{
					PreConfig: server.ResetRequests,
					Config:    "data \"polar_meters\" \"all\" {}\n",
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue("data.polar_meters.all", at("ids"), knownvalue.ListSizeExact(n)),
					},
					// One apply reads the data source twice (plan and apply) and the post-apply plan once more.
					Check: func(*terraform.State) error {
						reads := 0
						for _, r := range server.Requests() {
							if r.Query.Get("page") == "1" {
								reads++
							}
							if got := r.Query.Get("limit"); got != "100" {
								return fmt.Errorf("page requested with limit %q, want 100", got)
							}
						}
						if reads == 0 {
							return fmt.Errorf("the data source never read the list")
						}
						if got := server.CountRequests("GET", "/v1/meters/"); got != reads*wantPages {
							return fmt.Errorf("%d meters: %d list requests for %d reads, want %d per read", n, got, reads, wantPages)
						}
						return nil
					},
				}},
			})
		})
	}
}

// query is taken literally: Polar's list query is an unescaped ILIKE, where % and _ are wildcards and \ an escape,
// so "50%" would find "500 requests" if it were sent as it is.
func TestAccMetersDataSource_queryIsLiteral(t *testing.T) {
	target := newTestTarget(t)
	server := target.needsLocal(t)
	fifty := putCountMeter(server, "50% off", `{}`)
	fiftyEU := putCountMeter(server, `50% off_peak \ EU`, `{}`)
	putCountMeter(server, "500 requests", `{}`)
	putCountMeter(server, "50 off-peak", `{}`)
	putCountMeter(server, "Rate 5 off", `{}`)
	list := func(query string) string {
		return fmt.Sprintf("data \"polar_meters\" \"x\" {\n  query = %q\n}\n", query)
	}
	ids := func(want ...string) []statecheck.StateCheck {
		checks := make([]knownvalue.Check, len(want))
		for i, id := range want {
			checks[i] = knownvalue.StringExact(id)
		}
		return []statecheck.StateCheck{statecheck.ExpectKnownValue("data.polar_meters.x", at("ids"), knownvalue.ListExact(checks))}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{
			{Config: list("50%"), ConfigStateChecks: ids(fifty, fiftyEU)},
			{Config: list("off_peak"), ConfigStateChecks: ids(fiftyEU)},
			{Config: list(`\`), ConfigStateChecks: ids(fiftyEU)},
			{Config: list("%"), ConfigStateChecks: ids(fifty, fiftyEU)},
			{Config: list("5_ off"), ConfigStateChecks: ids()},
		},
	})
}
