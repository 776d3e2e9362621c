package provider

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"golang.org/x/time/rate"

	"github.com/polar-terraform/terraform-provider-polar/internal/localpolar"
)

// testMeterPrefix names every meter the acceptance tests make, so sandbox leftovers can be found and swept.
const testMeterPrefix = "tf-acc-test-"

// TestMain points local runs at the local server's token, and leaves sandbox runs (POLAR_SERVER=sandbox) to the real environment.
func TestMain(m *testing.M) {
	if !sandboxRun() {
		_ = os.Unsetenv(envServer)
		_ = os.Unsetenv(envServerURL)
		_ = os.Setenv(envAccessToken, localpolar.DefaultToken)
	}
	resource.TestMain(m) // runs the sweepers with -sweep, the tests otherwise
}

// sandboxRun reports whether acceptance tests target Polar's sandbox instead of the local server.
func sandboxRun() bool {
	return os.Getenv(envServer) == "sandbox"
}

// testTarget is where one acceptance test runs: a fresh local Polar-compatible server, or Polar's sandbox.
type testTarget struct {
	local     *localpolar.Server // nil against the sandbox
	factories map[string]func() (tfprotov6.ProviderServer, error)
}

// newTestTarget starts a local server for the test, or uses the sandbox when asked to; without a sandbox token it skips.
func newTestTarget(t *testing.T) testTarget {
	t.Helper()
	if os.Getenv(resource.EnvTfAcc) == "" {
		t.Skip("acceptance test: set TF_ACC=1 (make test does)")
	}
	if sandboxRun() {
		if os.Getenv(envAccessToken) == "" {
			t.Skip("POLAR_SERVER=sandbox: set POLAR_ACCESS_TOKEN to a sandbox Organization Access Token to run against Polar's sandbox")
		}
		return testTarget{factories: providerFactories(New("acctest"))}
	}
	server, url := localpolar.NewTestServer(t, localpolar.Options{})
	return testTarget{local: server, factories: providerFactories(New("acctest", WithDefaultServerURL(url)))}
}

// needsLocal skips a test that relies on the local server's hooks when running against the sandbox.
func (tt testTarget) needsLocal(t *testing.T) *localpolar.Server {
	t.Helper()
	if tt.local == nil {
		t.Skip("needs the local Polar-compatible server's fault and state hooks")
	}
	return tt.local
}

// providerFactories serves a provider constructor to terraform-plugin-testing.
func providerFactories(p func() provider.Provider) map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"polar": providerserver.NewProtocol6WithError(p()),
	}
}

// testMeterName is a unique meter name with the sweepable prefix.
func testMeterName(t *testing.T) string {
	return testMeterPrefix + strings.ToLower(t.Name()[len("TestAcc"):]) + "-" + uuid.NewString()[:8]
}

// stateMeterID reads the meter ID of a resource from state.
func stateMeterID(s *terraform.State, address string) (string, error) {
	rs, ok := s.RootModule().Resources[address]
	if !ok {
		return "", fmt.Errorf("%s not in state", address)
	}
	return rs.Primary.ID, nil
}

func TestProviderSchemaIsValid(t *testing.T) {
	server, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := server.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range resp.Diagnostics {
		t.Errorf("schema diagnostic: %s: %s", d.Summary, d.Detail)
	}
	if resp.ResourceSchemas["polar_meter"] == nil {
		t.Errorf("polar_meter missing from the provider schema")
	}
}

// TestProviderValidateNeedsNoToken: `terraform validate` must pass without a token; only configuring for API work needs one.
func TestProviderValidateNeedsNoToken(t *testing.T) {
	t.Setenv(envAccessToken, "")
	server, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	config := providerConfigValue(t, map[string]tftypes.Value{})
	validate, err := server.ValidateProviderConfig(context.Background(), &tfprotov6.ValidateProviderConfigRequest{Config: config})
	if err != nil || len(validate.Diagnostics) != 0 {
		t.Fatalf("validate without a token: err %v, diagnostics %v", err, validate.Diagnostics)
	}
	configure, err := server.ConfigureProvider(context.Background(), &tfprotov6.ConfigureProviderRequest{Config: config})
	if err != nil {
		t.Fatal(err)
	}
	if len(configure.Diagnostics) != 1 || !strings.Contains(configure.Diagnostics[0].Detail, envAccessToken) {
		t.Fatalf("configure without a token: want one error naming %s, got %v", envAccessToken, configure.Diagnostics)
	}
}

// providerConfigValue encodes a provider block with the given attributes set, the others null.
func providerConfigValue(t *testing.T, set map[string]tftypes.Value) *tfprotov6.DynamicValue {
	t.Helper()
	attrs := map[string]tftypes.Type{}
	values := map[string]tftypes.Value{}
	for name, t := range map[string]tftypes.Type{"access_token": tftypes.String, "server": tftypes.String, "server_url": tftypes.String, "max_requests_per_minute": tftypes.Number} {
		attrs[name] = t
		values[name] = tftypes.NewValue(t, nil)
		if v, ok := set[name]; ok {
			values[name] = v
		}
	}
	objectType := tftypes.Object{AttributeTypes: attrs}
	dv, err := tfprotov6.NewDynamicValue(objectType, tftypes.NewValue(objectType, values))
	if err != nil {
		t.Fatal(err)
	}
	return &dv
}

func TestCheckServerURL(t *testing.T) {
	for raw, wantErr := range map[string]string{
		"https://api.polar.sh":          "",
		"https://sandbox-api.polar.sh/": "",
		"http://127.0.0.1:8787":         "",
		"http://127.9.9.9":              "",
		"http://localhost:1234":         "",
		"http://[::1]:80":               "",
		"http://api.polar.sh":           "only to a loopback",
		"http://10.0.0.1":               "only to a loopback",
		"ftp://api.polar.sh":            "scheme",
		"api.polar.sh":                  "absolute URL",
		"https://":                      "absolute URL",
		"://bad":                        "absolute URL",
	} {
		err := checkServerURL(raw)
		switch {
		case wantErr == "" && err != nil:
			t.Errorf("%q: unexpected error %v", raw, err)
		case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
			t.Errorf("%q: want error containing %q, got %v", raw, wantErr, err)
		}
	}
}

// errorLike matches a diagnostic however Terraform wraps it: spaces match any whitespace, and . spans lines.
func errorLike(pattern string) *regexp.Regexp {
	return regexp.MustCompile("(?s)" + strings.ReplaceAll(pattern, " ", `\s+`))
}

// minimalMeterConfig is a small valid meter under an optional provider block.
func minimalMeterConfig(providerBlock, name string) string {
	return providerBlock + fmt.Sprintf(`
resource "polar_meter" "test" {
  name = %q
  filter = {
    conjunction = "and"
  }
  aggregation = {
    func = "count"
  }
}
`, name)
}

func TestAccProvider_requestHeaders(t *testing.T) {
	target := newTestTarget(t)
	server := target.needsLocal(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{{
			Config: minimalMeterConfig("", testMeterName(t)),
			Check: func(*terraform.State) error {
				requests := server.Requests()
				if len(requests) == 0 {
					return fmt.Errorf("the server saw no request")
				}
				for _, r := range requests {
					for header, want := range map[string]string{
						"Authorization": "Bearer " + localpolar.DefaultToken,
						"Polar-Version": "2026-04",
						"Accept":        "application/json",
					} {
						if got := r.Header.Get(header); got != want {
							return fmt.Errorf("%s %s: header %s = %q, want %q", r.Method, r.Path, header, got, want)
						}
					}
					if ua := r.Header.Get("User-Agent"); !regexp.MustCompile(`^terraform-provider-polar/acctest Terraform/\d+\.\d+\.\d+`).MatchString(ua) {
						return fmt.Errorf("User-Agent %q does not name the provider, its version and Terraform's", ua)
					}
					if len(r.Body) > 0 && r.Header.Get("Content-Type") != "application/json" {
						return fmt.Errorf("%s %s: body sent without Content-Type: application/json", r.Method, r.Path)
					}
				}
				return nil
			},
		}},
	})
}

func TestAccProvider_configurationWinsOverEnvironment(t *testing.T) {
	target := newTestTarget(t)
	target.needsLocal(t)
	name := testMeterName(t)
	// A wrong token in the environment is ignored when the provider block sets a good one...
	t.Setenv(envAccessToken, "polar_oat_wrong")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{
			{Config: minimalMeterConfig(fmt.Sprintf("provider \"polar\" {\n  access_token = %q\n}\n", localpolar.DefaultToken), name)},
			// ...and a wrong token in the block wins over the environment's.
			{
				PreConfig:   func() { t.Setenv(envAccessToken, localpolar.DefaultToken) },
				Config:      minimalMeterConfig("provider \"polar\" {\n  access_token = \"polar_oat_wrong\"\n}\n", name),
				ExpectError: errorLike(`401`),
			},
			{Config: minimalMeterConfig("", name)},
		},
	})
}

func TestAccProvider_serverURLWinsOverServer(t *testing.T) {
	target := newTestTarget(t)
	target.needsLocal(t)
	_, url := localpolar.NewTestServer(t, localpolar.Options{})
	t.Setenv(envServer, "production")            // would reach the network if server_url did not win
	t.Setenv(envServerURL, "http://127.0.0.1:1") // nothing listens there: the block's server_url must win over it
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{{
			Config: minimalMeterConfig(fmt.Sprintf("provider \"polar\" {\n  server = \"sandbox\"\n  server_url = %q\n}\n", url), testMeterName(t)),
		}},
	})
}

func TestAccProvider_invalidSettings(t *testing.T) {
	target := newTestTarget(t)
	server := target.needsLocal(t)
	steps := []resource.TestStep{}
	for block, want := range map[string]string{
		`max_requests_per_minute = 0`:           `max_requests_per_minute.*at least 1`,
		`server = "staging"`:                    `server.*value must be one of`,
		`server_url = "http://api.example.com"`: `server_url.*only to a loopback`,
		`server_url = "not a url"`:              `server_url.*absolute URL`,
	} {
		steps = append(steps, resource.TestStep{
			Config:      minimalMeterConfig("provider \"polar\" {\n  "+block+"\n}\n", testMeterName(t)),
			PlanOnly:    true,
			ExpectError: errorLike(want),
		})
	}
	steps = append(steps,
		resource.TestStep{
			PreConfig:   func() { t.Setenv(envServer, "staging") },
			Config:      minimalMeterConfig("", testMeterName(t)),
			PlanOnly:    true,
			ExpectError: errorLike(`POLAR_SERVER.*"staging"`),
		},
		resource.TestStep{
			PreConfig:   func() { t.Setenv(envServer, ""); t.Setenv(envRateLimit, "fast") },
			Config:      minimalMeterConfig("", testMeterName(t)),
			PlanOnly:    true,
			ExpectError: errorLike(`POLAR_MAX_REQUESTS_PER_MINUTE is "fast"`),
		},
		resource.TestStep{
			PreConfig: func() {
				t.Setenv(envRateLimit, "")
				t.Setenv(envAccessToken, "")
			},
			Config:      minimalMeterConfig("", testMeterName(t)),
			PlanOnly:    true,
			ExpectError: errorLike(`Missing Polar access token.*POLAR_ACCESS_TOKEN`),
		},
		resource.TestStep{
			PreConfig: func() {
				if n := len(server.Requests()); n != 0 {
					t.Errorf("invalid settings reached the API: %d requests", n)
				}
				t.Setenv(envAccessToken, localpolar.DefaultToken)
			},
			Config: minimalMeterConfig("", testMeterName(t)),
		},
	)
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: target.factories, Steps: steps})
}

func TestRequestLimiterSpacesRequestsUnderTheLimit(t *testing.T) {
	if requestLimiter(0) != nil {
		t.Fatal("no limit must mean no limiter")
	}
	limiter := requestLimiter(1200) // 50 ms apart, 2% slower: 51 ms
	start := time.Now()
	for range 5 {
		if err := limiter.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if elapsed := time.Since(start); elapsed < 4*51*time.Millisecond {
		t.Fatalf("5 requests took %s, want at least 204ms at 1200 a minute", elapsed)
	}
}

// TestRequestLimiterScheduleKeepsEveryWindowUnderTheLimit reads the schedule the limiter sets instead of timing it, so
// a loaded machine cannot fail it. Reserving many slots at one instant gives the tightest schedule the limiter allows
// (a burst of one, then one slot per interval); waiting requests take these slots, later ones only later slots.
func TestRequestLimiterScheduleKeepsEveryWindowUnderTheLimit(t *testing.T) {
	for _, c := range []struct {
		perMinute int64
		limit     int           // requests the server admits per window
		window    time.Duration // the server's window
	}{
		{290, 5, time.Second},      // the tight case: 5 requests span 844 ms, the 6th comes 55 ms after the window
		{150, 10, 2 * time.Second}, // TestAccMeterReliability_rateLimitStorm
		{1, 1, time.Minute},
		{60, 60, time.Minute},
		{1200, 1200, time.Minute},
	} {
		limiter, ok := requestLimiter(c.perMinute).(*rate.Limiter)
		if !ok {
			t.Fatalf("requestLimiter(%d) is %T; this test reads the schedule of a *rate.Limiter", c.perMinute, requestLimiter(c.perMinute))
		}
		start := time.Now()
		slots := make([]time.Duration, 3*(c.limit+1))
		for i := range slots {
			r := limiter.ReserveN(start, 1)
			if !r.OK() {
				t.Fatalf("%d a minute: reservation %d refused", c.perMinute, i)
			}
			slots[i] = r.DelayFrom(start)
		}
		// The request `limit` slots after any other must come a window later, and by more than rounding: the 2%
		// headroom is what keeps it out of the window when requests reach the server a little late.
		want := c.window + c.window/100
		for i := range len(slots) - c.limit {
			if gap := slots[i+c.limit] - slots[i]; gap < want {
				t.Errorf("%d a minute: requests %d and %d are scheduled %v apart, so a %v window can hold %d of them; want at least %v",
					c.perMinute, i, i+c.limit, gap, c.window, c.limit+1, want)
				break
			}
		}
	}
}

// A 403 is not worth retrying: the provider sends the request once and says what to change, in words that tell the
// two kinds of 403 apart.
func TestAccProvider_forbiddenWritesSayWhy(t *testing.T) {
	for name, c := range map[string]struct {
		token localpolar.Token
		body  string
		want  string
	}{
		// An Organization Access Token without the meters:write scope: Polar's OAuth2 insufficient_scope.
		"token_without_meters_write": {
			token: localpolar.Token{Kind: localpolar.OrganizationToken, OrganizationID: localpolar.DefaultOrganizationID,
				Scopes: []string{localpolar.ScopeMetersRead}},
			want: `Cannot create meter.*POST /v1/meters/: 403 Forbidden: The request requires higher privileges than provided by the ` +
				`access token; the access token lacks the meters:write scope: give the token the meters:read and meters:write scopes`,
		},
		// A personal token of a member whose role (finance) cannot manage products: Polar's NotPermitted.
		"member_without_products_permission": {
			token: localpolar.Token{Kind: localpolar.PersonalToken, Role: localpolar.RoleFinance,
				Scopes: []string{localpolar.ScopeMetersRead, localpolar.ScopeMetersWrite}},
			body: fmt.Sprintf("\n  organization_id = %q", localpolar.DefaultOrganizationID),
			want: `Cannot create meter.*POST /v1/meters/: 403 Forbidden: You don't have permission to manage products; the token's ` +
				`user is a member of the organization whose role cannot manage products \(the finance role, for instance\): ask an ` +
				`organization admin for a role that can`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			target := newTestTarget(t)
			target.needsLocal(t)
			token := "polar_oat_acctest_forbidden"
			if c.token.Kind == localpolar.PersonalToken {
				token = "polar_pat_acctest_forbidden"
			}
			server, url := localpolar.NewTestServer(t, localpolar.Options{Tokens: map[string]localpolar.Token{token: c.token}})
			provider := fmt.Sprintf("provider \"polar\" {\n  server_url = %q\n  access_token = %q\n}\n", url, token)
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: target.factories,
				Steps: []resource.TestStep{{
					Config:      provider + meterHCL(testMeterName(t), countAll+c.body),
					ExpectError: errorLike(c.want),
				}},
				CheckDestroy: func(*terraform.State) error {
					requests := server.Requests()
					if len(requests) != 1 || requests[0].Method != "POST" || requests[0].Status != 403 {
						return fmt.Errorf("want one POST answered 403 and nothing else, got %v", requestLines(server))
					}
					return nil
				},
			})
		})
	}
}
