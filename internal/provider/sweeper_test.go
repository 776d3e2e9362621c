package provider

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/polar-terraform/terraform-provider-polar/internal/localpolar"
	"github.com/polar-terraform/terraform-provider-polar/internal/polar"
)

// The polar_meter sweeper archives meters the acceptance tests left behind in Polar's sandbox (a run that was
// interrupted, or a destroy that failed). Run it with `make sweep`; it never touches production.
func init() {
	resource.AddTestSweepers("polar_meter", &resource.Sweeper{Name: "polar_meter", F: sweepPolarMeters})
}

// sweepRegion is the only -sweep value the sweeper accepts: Polar has no regions, only the sandbox to sweep.
const sweepRegion = "sandbox"

// sweepPolarMeters is the polar_meter sweeper.
func sweepPolarMeters(region string) error {
	baseURL, token, err := sweeperTarget(region, os.Getenv)
	if err != nil {
		return err
	}
	client, err := polar.NewClient(polar.Config{BaseURL: baseURL, Token: token, UserAgent: "terraform-provider-polar-sweeper"})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	archived, err := sweepTestMeters(ctx, client)
	log.Printf("[INFO] polar_meter sweeper: archived %d %s* meter(s) at %s: %v", len(archived), testMeterPrefix, baseURL, archived)
	return err
}

// sweeperTarget returns where the sweeper may run and with which token: Polar's sandbox, or a loopback server named
// by POLAR_SERVER_URL. Anything else, production above all, is refused.
func sweeperTarget(region string, getenv func(string) string) (baseURL, token string, err error) {
	if region != sweepRegion {
		return "", "", fmt.Errorf("polar_meter sweeper: -sweep=%s: the only region is %q (Polar's sandbox)", region, sweepRegion)
	}
	token = getenv(envAccessToken)
	if token == "" {
		return "", "", fmt.Errorf("polar_meter sweeper: set %s to a sandbox Organization Access Token", envAccessToken)
	}
	if server := getenv(envServer); server != "" && server != "sandbox" {
		return "", "", fmt.Errorf("polar_meter sweeper: %s=%s: refusing; the sweeper only runs against the sandbox", envServer, server)
	}
	baseURL = serverURLs["sandbox"]
	if raw := getenv(envServerURL); raw != "" {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !isLoopbackHost(u.Hostname()) {
			return "", "", fmt.Errorf("polar_meter sweeper: %s=%s: refusing; the sweeper runs against the sandbox (%s unset) or a loopback server only",
				envServerURL, raw, envServerURL)
		}
		baseURL = raw
	}
	if baseURL == serverURLs["sandbox"] && token == localpolar.DefaultToken {
		return "", "", fmt.Errorf("polar_meter sweeper: %s is the local server's token, which TestMain sets unless %s=sandbox (make sweep sets it)",
			envAccessToken, envServer)
	}
	return baseURL, token, nil
}

// sweepTestMeters archives every unarchived meter whose name starts with testMeterPrefix and returns their IDs. It
// goes on past a meter Polar refuses to archive (one used by an active product, say) and returns those errors joined.
func sweepTestMeters(ctx context.Context, client *polar.Client) (archived []string, err error) {
	active := false
	meters, err := client.ListMeters(ctx, polar.ListMetersParams{Query: testMeterPrefix, IsArchived: &active})
	if err != nil {
		return nil, fmt.Errorf("listing meters named %s*: %w", testMeterPrefix, err)
	}
	var errs []error
	for _, m := range meters {
		// The query matches anywhere in the name and ignores case; sweep only what the tests name.
		if !strings.HasPrefix(m.Name, testMeterPrefix) || m.ArchivedAt != nil {
			continue
		}
		if _, err := client.ArchiveMeter(ctx, m.ID); err != nil {
			errs = append(errs, fmt.Errorf("archiving meter %s (%q): %w", m.ID, m.Name, err))
			continue
		}
		archived = append(archived, m.ID)
	}
	return archived, errors.Join(errs...)
}

// TestSweepFlagReachesSweepers is what `make sweep` runs (with -run) when TestMain does not hand -sweep to
// resource.TestMain: the tests run instead of the sweepers, and this one says why. With resource.TestMain, -sweep
// runs the sweepers and no test.
func TestSweepFlagReachesSweepers(t *testing.T) {
	if f := flag.Lookup("sweep"); f != nil && f.Value.String() != "" {
		t.Fatal("-sweep was given but the tests ran instead of the sweepers: TestMain must end with resource.TestMain(m)")
	}
}

func TestSweepTestMetersArchivesOnlyLeftovers(t *testing.T) {
	server, baseURL := localpolar.NewTestServer(t, localpolar.Options{})
	put := func(name, archivedAt string) string {
		archived := "null"
		if archivedAt != "" {
			archived = fmt.Sprintf("%q", archivedAt)
		}
		return server.PutMeter(fmt.Sprintf(`{"name": %q, "filter": {"conjunction": "and", "clauses": []}, "aggregation": {"func": "count"}, "archived_at": %s}`,
			name, archived))
	}
	leftovers := map[string]bool{}
	// More than one page of leftovers (Polar lists 100 a page).
	for i := range 103 {
		leftovers[put(fmt.Sprintf("%smeter_leftover-%03d", testMeterPrefix, i), "")] = true
	}
	untouched := []string{
		put(testMeterPrefix+"meter_archived-1234abcd", "2026-01-02T03:04:05Z"), // already archived
		put("Production API calls", ""),
		put("my-"+testMeterPrefix+"copy", ""),             // contains the prefix, does not start with it
		put(strings.ToUpper(testMeterPrefix)+"meter", ""), // the list query ignores case; the sweep does not
		put("Archived other", "2025-12-31T23:59:59Z"),
	}
	before := map[string]string{}
	for _, id := range untouched {
		before[id] = meterJSON(t, server, id)
	}

	client, err := polar.NewClient(polar.Config{BaseURL: baseURL, Token: localpolar.DefaultToken})
	if err != nil {
		t.Fatal(err)
	}
	archived, err := sweepTestMeters(t.Context(), client)
	if err != nil {
		t.Fatalf("sweep: %v", err)
	}
	if len(archived) != len(leftovers) {
		t.Errorf("archived %d meters, want the %d leftovers", len(archived), len(leftovers))
	}
	for _, id := range archived {
		if !leftovers[id] {
			t.Errorf("archived %s, which is not a leftover: %s", id, meterJSON(t, server, id))
		}
	}
	for id := range leftovers {
		if !strings.Contains(meterJSON(t, server, id), `"archived_at":"`) {
			t.Errorf("leftover %s not archived: %s", id, meterJSON(t, server, id))
		}
	}
	for _, id := range untouched {
		if after := meterJSON(t, server, id); after != before[id] {
			t.Errorf("meter %s changed:\nbefore %s\nafter  %s", id, before[id], after)
		}
	}

	again, err := sweepTestMeters(t.Context(), client)
	if err != nil || len(again) != 0 {
		t.Errorf("second sweep: archived %v, err %v; want nothing left to do", again, err)
	}
}

func TestSweepTestMetersGoesOnPastRefusals(t *testing.T) {
	server, baseURL := localpolar.NewTestServer(t, localpolar.Options{})
	meter := func(name string) string {
		return server.PutMeter(fmt.Sprintf(`{"name": %q, "filter": {"conjunction": "and", "clauses": []}, "aggregation": {"func": "count"}}`, name))
	}
	inUse := meter(testMeterPrefix + "in-use")
	server.AttachToActiveProduct(inUse)
	free := meter(testMeterPrefix + "free")

	client, err := polar.NewClient(polar.Config{BaseURL: baseURL, Token: localpolar.DefaultToken})
	if err != nil {
		t.Fatal(err)
	}
	archived, err := sweepTestMeters(t.Context(), client)
	if len(archived) != 1 || archived[0] != free {
		t.Errorf("archived %v, want [%s]", archived, free)
	}
	if err == nil || !strings.Contains(err.Error(), inUse) {
		t.Errorf("want an error naming the refused meter %s, got %v", inUse, err)
	}
}

func TestSweeperTarget(t *testing.T) {
	const token = "polar_oat_sandbox_token"
	sandbox := serverURLs["sandbox"]
	for _, tc := range []struct {
		name    string
		region  string
		env     map[string]string
		wantURL string
		wantErr string
	}{
		{"sandbox", "sandbox", map[string]string{envAccessToken: token}, sandbox, ""},
		{"sandbox named", "sandbox", map[string]string{envAccessToken: token, envServer: "sandbox"}, sandbox, ""},
		{"loopback server", "sandbox", map[string]string{envAccessToken: token, envServerURL: "http://127.0.0.1:8787"}, "http://127.0.0.1:8787", ""},
		{"localhost server", "sandbox", map[string]string{envAccessToken: token, envServerURL: "http://localhost:1234/"}, "http://localhost:1234/", ""},
		{"no token", "sandbox", map[string]string{}, "", envAccessToken},
		{"another region", "production", map[string]string{envAccessToken: token}, "", "only region"},
		{"production server", "sandbox", map[string]string{envAccessToken: token, envServer: "production"}, "", "refusing"},
		{"production URL", "sandbox", map[string]string{envAccessToken: token, envServerURL: "https://api.polar.sh"}, "", "refusing"},
		{"sandbox URL spelled out", "sandbox", map[string]string{envAccessToken: token, envServerURL: sandbox}, "", "refusing"},
		{"LAN server", "sandbox", map[string]string{envAccessToken: token, envServerURL: "http://10.0.0.1:8787"}, "", "refusing"},
		{"loopback-looking host name", "sandbox", map[string]string{envAccessToken: token, envServerURL: "http://127.0.0.1.example.com"}, "", "refusing"},
		{"local token against the sandbox", "sandbox", map[string]string{envAccessToken: localpolar.DefaultToken}, "", "local server's token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			baseURL, gotToken, err := sweeperTarget(tc.region, func(k string) string { return tc.env[k] })
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("want an error containing %q, got %v (URL %q)", tc.wantErr, err, baseURL)
				}
			case err != nil:
				t.Errorf("unexpected error: %v", err)
			case baseURL != tc.wantURL || gotToken != tc.env[envAccessToken]:
				t.Errorf("got %q with token %q, want %q with the environment's token", baseURL, gotToken, tc.wantURL)
			}
		})
	}
}

// meterJSON is the stored meter as GET returns it.
func meterJSON(t *testing.T, server *localpolar.Server, id string) string {
	t.Helper()
	raw, ok := server.MeterJSON(id)
	if !ok {
		t.Fatalf("meter %s not stored", id)
	}
	return string(raw)
}
