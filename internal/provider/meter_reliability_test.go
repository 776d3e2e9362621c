package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/polar-terraform/terraform-provider-polar/internal/localpolar"
)

// The tests of this file break the API on purpose (5xx, lost answers, 429 storms, refused writes, Ctrl-C) and then
// assert on the server's own state that no meter was lost or made twice, and that state tells the truth.

// countedMeters renders `count = n` minimal meters named prefix-0 … prefix-(n-1) at polar_meter.<resourceName>.
func countedMeters(resourceName string, n int, prefix string) string {
	return fmt.Sprintf(`
resource "polar_meter" %q {
  count = %d
  name  = "%s-${count.index}"
%s
}
`, resourceName, n, prefix, countAll)
}

// requestsTo lists the server's recorded requests with method ("" is any) on path (exact, MeterPathPattern, or "" for any).
func requestsTo(server *localpolar.Server, method, path string) []localpolar.RecordedRequest {
	var out []localpolar.RecordedRequest
	for _, r := range server.Requests() {
		onMeter := strings.HasPrefix(r.Path, "/v1/meters/") && r.Path != "/v1/meters/"
		switch {
		case method != "" && r.Method != method:
		case path == localpolar.MeterPathPattern && !onMeter:
		case path != "" && path != localpolar.MeterPathPattern && r.Path != path:
		default:
			out = append(out, r)
		}
	}
	return out
}

// statusesOf are the statuses the server answered, in order.
func statusesOf(requests []localpolar.RecordedRequest) []int {
	out := make([]int, len(requests))
	for i, r := range requests {
		out[i] = r.Status
	}
	return out
}

// countStatus counts the requests answered with status.
func countStatus(requests []localpolar.RecordedRequest, status int) int {
	n := 0
	for _, r := range requests {
		if r.Status == status {
			n++
		}
	}
	return n
}

// expectAttempts checks the exact sequence of statuses the server answered to method on path since the last reset.
func expectAttempts(server *localpolar.Server, method, path string, want ...int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if got := statusesOf(requestsTo(server, method, path)); !slices.Equal(got, want) {
			return fmt.Errorf("%s %s: the server answered %v, want exactly %v", method, path, got, want)
		}
		return nil
	}
}

// serverMeter decodes the meter the server holds under id.
func serverMeter(server *localpolar.Server, id string) (map[string]any, bool) {
	raw, ok := server.MeterJSON(id)
	if !ok {
		return nil, false
	}
	v, err := decodeJSON(raw)
	if err != nil {
		return nil, false
	}
	m, ok := v.(map[string]any)
	return m, ok
}

// stateMatchesServer checks that the polar_meter instances in state and the meters on the server are the same want
// meters, one resource per meter, with the same name and archived flag: nothing lost, nothing made twice.
func stateMatchesServer(server *localpolar.Server, want int) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		tracked := map[string]string{} // meter id → resource address
		for address, rs := range s.RootModule().Resources {
			if rs.Type != "polar_meter" {
				continue
			}
			id := rs.Primary.ID
			if other, dup := tracked[id]; dup {
				return fmt.Errorf("%s and %s both track meter %s", other, address, id)
			}
			tracked[id] = address
			meter, ok := serverMeter(server, id)
			if !ok {
				return fmt.Errorf("%s tracks meter %s, which the server does not hold", address, id)
			}
			if got := rs.Primary.Attributes["name"]; meter["name"] != got {
				return fmt.Errorf("%s: state name %q, server name %v", address, got, meter["name"])
			}
			if got, archived := rs.Primary.Attributes["is_archived"], meter["archived_at"] != nil; got != fmt.Sprint(archived) {
				return fmt.Errorf("%s: state is_archived %s, server archived %t", address, got, archived)
			}
		}
		held := server.MeterIDs()
		for _, id := range held {
			if _, ok := tracked[id]; !ok {
				return fmt.Errorf("the server holds meter %s, which no resource tracks", id)
			}
		}
		if len(held) != want || len(tracked) != want {
			return fmt.Errorf("the server holds %d meters and state tracks %d, want %d", len(held), len(tracked), want)
		}
		return nil
	}
}

// allArchived checks that the server holds exactly want meters, every one archived.
func allArchived(server *localpolar.Server, want int) error {
	ids := server.MeterIDs()
	if len(ids) != want {
		return fmt.Errorf("the server holds %d meters, want %d", len(ids), want)
	}
	for _, id := range ids {
		if meter, _ := serverMeter(server, id); meter["archived_at"] == nil {
			return fmt.Errorf("meter %s is not archived", id)
		}
	}
	return nil
}

// planCheckFunc adapts a function to plancheck.PlanCheck.
type planCheckFunc func(plancheck.CheckPlanRequest) error

func (f planCheckFunc) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	resp.Error = f(req)
}

// plannedChange returns the test resource's planned before and after values.
func plannedChange(req plancheck.CheckPlanRequest) (before, after map[string]any, err error) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address == testAddress && rc.Change != nil {
			before, _ = rc.Change.Before.(map[string]any)
			after, _ = rc.Change.After.(map[string]any)
			return before, after, nil
		}
	}
	return nil, nil, fmt.Errorf("%s is not in the plan", testAddress)
}

// 1. A 5xx is retried for GET and PATCH: two of them, then success, and the operation goes through with exactly three attempts.
func TestAccMeterReliability_serverErrorsAreRetried(t *testing.T) {
	target := newTestTarget(t)
	server := target.needsLocal(t)
	name := testMeterName(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{
			{Config: meterHCL(name, countAll), Check: stateMatchesServer(server, 1)},
			// The refresh reads the live list's first page (which holds the meter), and that GET meets 503 twice, then
			// Polar answers: plan and apply go through, writing nothing, and never fall back to a GET by id.
			{
				PreConfig: func() {
					server.ResetRequests()
					server.InjectFault(localpolar.Fault{Method: "GET", Path: "/v1/meters/", Status: 503, Times: 2})
				},
				Config:           meterHCL(name, countAll),
				ConfigPlanChecks: plannedAction(plancheck.ResourceActionNoop),
				Check: resource.ComposeAggregateTestCheckFunc(
					expectAttempts(server, "GET", "/v1/meters/", 503, 503, 200),
					stateMatchesServer(server, 1),
					expectRequests(server, map[string]int{"POST ": 0, "PATCH ": 0, "GET " + localpolar.MeterPathPattern: 0}),
				),
			},
			// The rename's PATCH meets a 502 Polar never handled, then a 500 after Polar applied it (a PATCH sets
			// absolute values, so sending it again is harmless), then success.
			{
				PreConfig: func() {
					server.ResetRequests()
					server.InjectFault(localpolar.Fault{Method: "PATCH", Path: localpolar.MeterPathPattern, Status: 502})
					server.InjectFault(localpolar.Fault{Method: "PATCH", Path: localpolar.MeterPathPattern, Status: 500, ApplyFirst: true})
				},
				Config:           meterHCL(name+"-renamed", countAll),
				ConfigPlanChecks: plannedAction(plancheck.ResourceActionUpdate),
				Check: resource.ComposeAggregateTestCheckFunc(
					expectAttempts(server, "PATCH", localpolar.MeterPathPattern, 502, 500, 200),
					expectLastBody(server, "PATCH", fmt.Sprintf(`{"name": %q}`, name+"-renamed")),
					stateMatchesServer(server, 1),
					// The refresh before the rename read one list page, no meter by id.
					expectRequests(server, map[string]int{"POST ": 0, "GET /v1/meters/": 1, "GET " + localpolar.MeterPathPattern: 0}),
				),
			},
		},
	})
}

// 2. One lost POST answer among five concurrent creates: the lost meter is adopted, and exactly five meters exist, all tracked.
// (TestAccMeter_lostCreateAnswerAdoptsTheMeter covers the single meter.)
func TestAccMeterReliability_lostCreateAnswerAmongFive(t *testing.T) {
	for name, fault := range map[string]localpolar.Fault{
		"502_after_commit":     {Method: "POST", Status: 502, ApplyFirst: true},
		"dropped_after_commit": {Method: "POST", ApplyFirst: true, DropConnection: true},
	} {
		t.Run(name, func(t *testing.T) {
			target := newTestTarget(t)
			server := target.needsLocal(t)
			server.InjectFault(fault)
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: target.factories,
				Steps: []resource.TestStep{{
					Config:           countedMeters("five", 5, testMeterName(t)),
					ConfigPlanChecks: noPlannedChange,
					Check: resource.ComposeAggregateTestCheckFunc(
						stateMatchesServer(server, 5),
						func(*terraform.State) error {
							posts := requestsTo(server, "POST", "/v1/meters/")
							if len(posts) != 5 || countStatus(posts, 201) != 4 {
								return fmt.Errorf("POST answered %v: want 5 POSTs, one of them lost, never sent again", statusesOf(posts))
							}
							return nil
						},
					),
				}},
				CheckDestroy: func(*terraform.State) error { return allArchived(server, 5) },
			})
		})
	}
}

// 2b. Two identical meters (same name and configuration) in one apply, and one POST lost before Polar handled it: the
// lost create must not adopt its sibling's meter, which would leave two resources tracking one meter, and the sibling
// stays in state, so the next apply makes only the missing meter.
func TestAccMeterReliability_lostCreateAmongIdenticalMeters(t *testing.T) {
	target := newTestTarget(t)
	server := target.needsLocal(t)
	server.SetLatency(50 * time.Millisecond) // the sibling's POST lands before the lost one's lookup, as over a real network
	server.InjectFault(localpolar.Fault{Method: "POST", DropConnection: true})
	config := fmt.Sprintf("resource \"polar_meter\" \"twin\" {\n  count = 2\n  name  = %q\n%s\n}\n", testMeterName(t), countAll)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{
			// The lost create looks for its own one-time marker, which its identical sibling's meter does not carry:
			// nothing is adopted, and the error says how to find the meter should Polar still make it.
			{Config: config, ExpectError: errorLike(`Meter not created.*No meter in Polar carries this create's one-time marker`)},
			{
				PreConfig: func() {
					posts := requestsTo(server, "POST", "/v1/meters/")
					markers := createMarkers(t, server)
					held := server.MeterIDs()
					if len(posts) != 2 || len(held) != 1 {
						t.Fatalf("POST answered %v and the server holds %v: want one meter made, one POST lost", statusesOf(posts), held)
					}
					lost := markers[slices.IndexFunc(posts, func(r localpolar.RecordedRequest) bool { return r.Status != 201 })]
					if n := markerLookups(server, lost); n != 1 {
						t.Errorf("the lost create looked up its marker %d times, want once", n)
					}
					if marked := metersMarked(server, lost); len(marked) != 0 {
						t.Errorf("meters %v carry the lost create's marker, which Polar never handled", marked)
					}
				},
				Config: config,
				Check:  stateMatchesServer(server, 2),
			},
		},
	})
}

// 3. A 429 storm: Polar admits 10 requests in 2 seconds, 15 meters are applied, refreshed and destroyed. Without a
// client-side limit the provider waits out the 429s and fails nothing; with max_requests_per_minute under the limit it
// meets none.
//
// The first subtest shows the storm is real: Terraform sends 10 requests at once, and
// the 11th follows within a request's time. The second claims no 429 with room to spare, so that a loaded machine
// cannot fail it: at 150 a minute the limiter spaces requests 408 ms apart (2% slower than asked), so 11 requests span
// at least 4.08 s, and the request that opens a 2-second window would have to reach the server over 2 s late for the
// window to see 11. Even two limiters back to back (each Terraform command configures its own) put at most 6 requests
// in a window. TestRequestLimiterScheduleKeepsEveryWindowUnderTheLimit checks the 2% margin itself, without a clock.
func TestAccMeterReliability_rateLimitStorm(t *testing.T) {
	for name, c := range map[string]struct {
		providerBlock string
		want429       bool
	}{
		"waits_out_429s":             {want429: true},
		"client_limiter_avoids_429s": {providerBlock: "provider \"polar\" {\n  max_requests_per_minute = 150\n}\n"},
	} {
		t.Run(name, func(t *testing.T) {
			target := newTestTarget(t)
			server := target.needsLocal(t)
			server.SetRateLimit(10, 2*time.Second)
			const n = 15
			// A refresh of N managed meters among T live ones (A archived) costs at most min(N, ceil(T/100)) + A + 3
			// requests; here 1 + 0 + 3 for 15 live meters, and at most two commands refresh (the post-apply plan, and
			// the destroy when it refreshes): never one GET per meter.
			const maxStormPages = 2 * (1 + pageSlack)
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: target.factories,
				Steps: []resource.TestStep{{
					// Apply (15 POST), then the harness's refresh plan (one list page) must be empty; the destroy archives (15 PATCH).
					Config:           c.providerBlock + countedMeters("storm", n, testMeterName(t)),
					Check:            stateMatchesServer(server, n),
					ConfigPlanChecks: noPlannedChange,
				}},
				CheckDestroy: func(*terraform.State) error {
					if err := allArchived(server, n); err != nil {
						return err
					}
					all := requestsTo(server, "", "")
					limited := countStatus(all, 429)
					// Creates and archives: each meter's one write succeeded exactly once; a write that met a 429 was
					// sent again (Polar rate-limits before handling a request), and nothing else failed.
					for _, op := range []struct {
						method, path string
						ok           int
					}{{"POST", "/v1/meters/", 201}, {"PATCH", localpolar.MeterPathPattern, 200}} {
						requests := requestsTo(server, op.method, op.path)
						if got, retried := countStatus(requests, op.ok), countStatus(requests, 429); got != n || got+retried != len(requests) {
							return fmt.Errorf("%s %s answered %v: want %d × %d, and 429s only otherwise", op.method, op.path, statusesOf(requests), n, op.ok)
						}
					}
					// Refreshes read the live list, whose first page holds all 15 meters.
					if byID := requestsTo(server, "GET", localpolar.MeterPathPattern); len(byID) != 0 {
						return fmt.Errorf("%d GETs by id (%v): the refreshes should read the 15 meters from the list", len(byID), statusesOf(byID))
					}
					lists := requestsTo(server, "GET", "/v1/meters/")
					pages := countStatus(lists, 200)
					for _, r := range lists {
						if r.Status == 200 && (r.Query.Get("page") != "1" || r.Query.Get("limit") != "100" || r.Query.Get("is_archived") != "false") {
							return fmt.Errorf("a refresh read %v: want only the first page of 100 live meters", r.Query)
						}
					}
					if pages+countStatus(lists, 429) != len(lists) || pages == 0 || pages > maxStormPages {
						return fmt.Errorf("list GETs answered %v: want between 1 and %d pages read, 429s only otherwise",
							statusesOf(lists), maxStormPages)
					}
					if failed := len(all) - limited - pages - 2*n; failed != 0 {
						return fmt.Errorf("%d requests were neither a success nor a 429: %v", failed, statusesOf(all))
					}
					switch {
					case c.want429 && limited == 0:
						return errors.New("the server answered no 429: the storm did not happen")
					case !c.want429 && limited != 0:
						return fmt.Errorf("the client-side limiter let %d requests meet a 429", limited)
					}
					t.Logf("%d requests: %d POST, %d PATCH, %d list pages read; %d answered 429", len(all), n, n, pages, limited)
					return nil
				},
			})
		})
	}
}

// 4a. is_archived = true at creation, and the archiving PATCH is refused: the apply ends with a warning, not an
// error, so Terraform does not taint the meter (a tainted meter would be replaced by a second one). State records the
// archive as planned; the next refresh reads the meter live, the plan archives it in place, and applying that archives
// the same meter: Polar holds one meter throughout. TestAccMeterRecovery_failedArchiveAtCreateWarns checks the
// warning's text, which terraform-plugin-testing does not show.
func TestAccMeterReliability_failedArchiveAtCreateKeepsTheMeter(t *testing.T) {
	target := newTestTarget(t)
	server := target.needsLocal(t)
	name := testMeterName(t)
	config := meterHCL(name, countAll+"\n  is_archived = true")
	server.InjectFault(localpolar.Fault{Method: "PATCH", Path: localpolar.MeterPathPattern, Status: 403})
	var firstID string
	archivesInPlace := []plancheck.PlanCheck{
		plancheck.ExpectResourceAction(testAddress, plancheck.ResourceActionUpdate),
		planCheckFunc(func(req plancheck.CheckPlanRequest) error {
			before, after, err := plannedChange(req)
			if err != nil {
				return err
			}
			if before["is_archived"] != false || after["is_archived"] != true || before["id"] != firstID || after["id"] != firstID {
				return fmt.Errorf("planned %v (is_archived %v) → %v (is_archived %v), want meter %s archived in place",
					before["id"], before["is_archived"], after["id"], after["is_archived"], firstID)
			}
			return nil
		}),
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{
			{
				Config:             config,
				ExpectNonEmptyPlan: true,
				Check: func(s *terraform.State) error {
					rs, ok := s.RootModule().Resources[testAddress]
					if !ok {
						return fmt.Errorf("the created meter is not in state: server holds %v", server.MeterIDs())
					}
					if rs.Primary.Tainted {
						return errors.New("the meter is tainted: the next apply would replace it with a second meter")
					}
					firstID = rs.Primary.ID
					if held := server.MeterIDs(); len(held) != 1 || held[0] != firstID {
						return fmt.Errorf("the server holds %v, want only meter %s", held, firstID)
					}
					if meter, _ := serverMeter(server, firstID); meter["archived_at"] != nil {
						return fmt.Errorf("the server archived the meter although the PATCH was refused: %v", meter)
					}
					return expectAttempts(server, "PATCH", localpolar.MeterPathPattern, 403)(s)
				},
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: archivesInPlace},
			},
			// Planning again plans the same archive in place, never a replacement or a second create.
			{
				Config:             config,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks:   resource.ConfigPlanChecks{PostApplyPostRefresh: archivesInPlace},
			},
			// Applying it archives the same meter with one PATCH.
			{
				PreConfig:        server.ResetRequests,
				Config:           config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: archivesInPlace, PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				Check: resource.ComposeAggregateTestCheckFunc(
					expectLastBody(server, "PATCH", `{"is_archived": true}`),
					func(s *terraform.State) error { // one PATCH, to the first meter
						return expectAttempts(server, "PATCH", "/v1/meters/"+firstID, 200)(s)
					},
					func(s *terraform.State) error {
						if id, err := stateMeterID(s, testAddress); err != nil || id != firstID {
							return fmt.Errorf("state tracks %q (%v), want the first meter %s", id, err, firstID)
						}
						return stateMatchesServer(server, 1)(s)
					},
					expectRequests(server, map[string]int{"POST ": 0, "PATCH ": 1}),
				),
			},
		},
		CheckDestroy: func(*terraform.State) error { return allArchived(server, 1) },
	})
}

// 4b. An update whose PATCH Polar refuses keeps the prior state: the next plan still shows the rename.
func TestAccMeterReliability_failedUpdateKeepsPriorState(t *testing.T) {
	target := newTestTarget(t)
	server := target.needsLocal(t)
	name := testMeterName(t)
	renamed := name + "-renamed"
	stillRenames := planCheckFunc(func(req plancheck.CheckPlanRequest) error {
		before, after, err := plannedChange(req)
		if err != nil {
			return err
		}
		if before["name"] != name || after["name"] != renamed {
			return fmt.Errorf("planned name %v → %v, want %s → %s", before["name"], after["name"], name, renamed)
		}
		if meter, ok := serverMeter(server, fmt.Sprint(before["id"])); !ok || meter["name"] != name {
			return fmt.Errorf("the server holds %v under %v, want the meter named %s", meter["name"], before["id"], name)
		}
		return nil
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{
			{Config: meterHCL(name, countAll)},
			{
				PreConfig: func() {
					server.InjectFault(localpolar.Fault{Method: "PATCH", Path: localpolar.MeterPathPattern, Status: 422})
				},
				Config:      meterHCL(renamed, countAll),
				ExpectError: errorLike(`Cannot update meter.*422`),
			},
			{
				Config:             meterHCL(renamed, countAll),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPreRefresh:  []plancheck.PlanCheck{plancheck.ExpectResourceAction(testAddress, plancheck.ResourceActionUpdate), stillRenames},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectResourceAction(testAddress, plancheck.ResourceActionUpdate), stillRenames},
				},
			},
			{Config: meterHCL(renamed, countAll), Check: stateMatchesServer(server, 1), ConfigPlanChecks: noPlannedChange},
		},
	})
}

// 5. Ctrl-C: an apply waiting out a 60-second Retry-After, or the client-side limiter's next slot a minute away, stops
// when Terraform is interrupted, and the server holds only the meters state tracks. terraform-plugin-testing cannot
// send SIGINT, so this runs `terraform apply` itself against the provider served in-process (reattach mode).
//
// No clock decides the outcome: a provider that kept waiting would send the second create once the wait ended (the
// server's window or the limiter's slot then admits it), succeed and make a second meter, well within the test's
// deadline; so the test asserts on what the server received and holds, not on how fast the apply stopped.
func TestAccMeterReliability_interruptStopsWaiting(t *testing.T) {
	terraformPath := terraformCLI(t)
	for name, c := range map[string]struct {
		providerBlock string
		serverLimit   bool
		waiting       func(*localpolar.Server) bool // true once one create went through and the other must wait
		wantPOSTs     []int                         // every POST the server may ever receive
	}{
		"retry_after_429": {
			serverLimit: true, // 1 request a minute: the second POST gets 429 with Retry-After: 60
			waiting:     func(s *localpolar.Server) bool { return countStatus(requestsTo(s, "POST", ""), 429) > 0 },
			wantPOSTs:   []int{201, 429},
		},
		"client_limiter": {
			providerBlock: "provider \"polar\" {\n  max_requests_per_minute = 1\n}\n", // the second POST waits 61 s
			waiting:       func(s *localpolar.Server) bool { return countStatus(requestsTo(s, "POST", ""), 201) > 0 },
			wantPOSTs:     []int{201},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			server, url := localpolar.NewTestServer(t, localpolar.Options{})
			if c.serverLimit {
				server.SetRateLimit(1, time.Minute)
			}
			w := newWorkspace(t, terraformPath, New("acctest", WithDefaultServerURL(url)))
			w.write(c.providerBlock + countedMeters("test", 2, testMeterName(t)))

			apply, output, exited := w.startApply()

			// Both creates have started (Terraform says so before calling the provider), and one went through.
			waitFor(t, exited, output, 2*time.Minute, "both creates started and one waiting", func() bool {
				out := output.String()
				return strings.Contains(out, "polar_meter.test[0]: Creating...") && strings.Contains(out, "polar_meter.test[1]: Creating...") &&
					c.waiting(server)
			})
			interrupted := time.Now()
			if err := apply.Process.Signal(os.Interrupt); err != nil {
				t.Fatalf("cannot interrupt terraform apply (%v): it finished without waiting:\n%s", err, output.String())
			}
			err := exitAfterInterrupt(t, exited, output)
			t.Logf("terraform apply exited %v after SIGINT (%v)", time.Since(interrupted).Round(time.Millisecond), err)
			if err == nil {
				t.Errorf("terraform apply succeeded although interrupted: it waited instead of stopping\n%s", output.String())
			}

			if posts := requestsTo(server, "POST", ""); !slices.Equal(statusesOf(posts), c.wantPOSTs) {
				t.Errorf("POST answered %v, want %v: the interrupted create must not be sent once its wait ends", statusesOf(posts), c.wantPOSTs)
			}
			tracked, held := w.stateIDs(), server.MeterIDs()
			if len(held) != 1 || !sameIDs(tracked, held) {
				t.Errorf("state tracks %v, the server holds %v: want the same one meter\n%s", tracked, held, output.String())
			}
		})
	}
}

// serveForReattach serves the provider in this process under the address a configuration naming no source means to
// the CLI under test (registry.terraform.io or registry.opentofu.org), and returns its TF_REATTACH_PROVIDERS value.
func serveForReattach(t *testing.T, p func() provider.Provider) string {
	t.Helper()
	return reattachProviderAt(t, implicitProviderAddress(t), p)
}

// implicitProviderAddress is the address of this provider in a configuration that names no source.
func implicitProviderAddress(t *testing.T) string {
	return testCLI(t).registryHost("registry.terraform.io") + "/hashicorp/polar"
}

// stateFileMeterIDs reads the ids of every managed polar_meter instance in a local state file, in any module, in state
// order; no file means none.
func stateFileMeterIDs(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var state struct {
		Resources []struct {
			Mode      string `json:"mode"`
			Type      string `json:"type"`
			Instances []struct {
				Attributes struct {
					ID string `json:"id"`
				} `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(raw, &state); err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	var ids []string
	for _, r := range state.Resources {
		if r.Mode == "managed" && r.Type == "polar_meter" {
			for _, instance := range r.Instances {
				ids = append(ids, instance.Attributes.ID)
			}
		}
	}
	return ids
}

// lockedBuffer collects a subprocess's output while the test may read it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// writeReliabilityFile writes content to path or fails the test.
func writeReliabilityFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
