// Package provider implements the Polar Terraform provider on terraform-plugin-framework.
package provider

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	"golang.org/x/time/rate"

	"github.com/polar-terraform/terraform-provider-polar/internal/polar"
)

// Environment variables read when the provider block leaves an attribute unset.
const (
	envAccessToken = "POLAR_ACCESS_TOKEN"
	envServer      = "POLAR_SERVER"
	envServerURL   = "POLAR_SERVER_URL"
	envRateLimit   = "POLAR_MAX_REQUESTS_PER_MINUTE"
)

// serverURLs maps the `server` attribute to Polar's published API hosts.
var serverURLs = map[string]string{
	"production": "https://api.polar.sh",
	"sandbox":    "https://sandbox-api.polar.sh",
}

var _ provider.Provider = &PolarProvider{}

// PolarProvider is the provider; its HTTP client and fallback URL are injectable so tests can hand it a local server.
type PolarProvider struct {
	version    string
	httpClient *http.Client
	fallback   string
}

// Option configures a PolarProvider at construction.
type Option func(*PolarProvider)

// WithHTTPClient makes the provider send its requests through c.
func WithHTTPClient(c *http.Client) Option {
	return func(p *PolarProvider) { p.httpClient = c }
}

// WithDefaultServerURL replaces the production URL used when neither configuration nor environment names a server.
func WithDefaultServerURL(url string) Option {
	return func(p *PolarProvider) { p.fallback = url }
}

// New returns a constructor of the provider at version, as providerserver.Serve wants.
func New(version string, opts ...Option) func() provider.Provider {
	return func() provider.Provider {
		p := &PolarProvider{version: version, fallback: serverURLs["production"]}
		for _, opt := range opts {
			opt(p)
		}
		return p
	}
}

// polarProviderModel is the provider block.
type polarProviderModel struct {
	AccessToken types.String `tfsdk:"access_token"`
	Server      types.String `tfsdk:"server"`
	ServerURL   types.String `tfsdk:"server_url"`
	RateLimit   types.Int64  `tfsdk:"max_requests_per_minute"`
}

// Metadata names the provider.
func (p *PolarProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "polar"
	resp.Version = p.version
}

// Schema describes the provider block.
func (p *PolarProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manages [Polar](https://polar.sh) billing meters.",
		Attributes: map[string]schema.Attribute{
			"access_token": schema.StringAttribute{
				MarkdownDescription: "Polar Organization Access Token with the `meters:read` and `meters:write` scopes. " +
					"Defaults to the `" + envAccessToken + "` environment variable.",
				Optional:  true,
				Sensitive: true,
			},
			"server": schema.StringAttribute{
				MarkdownDescription: "Polar environment: `production` (default) or `sandbox`. " +
					"Defaults to the `" + envServer + "` environment variable.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.OneOf(serverNames()...)},
			},
			"server_url": schema.StringAttribute{
				MarkdownDescription: "Base URL of the Polar API; overrides `server`. Must be `https://`, " +
					"or `http://` to a loopback address (`localhost`, `127.0.0.0/8`, `[::1]`). Defaults to the `" + envServerURL + "` environment variable.",
				Optional:   true,
				Validators: []validator.String{serverURLValidator{}},
			},
			"max_requests_per_minute": schema.Int64Attribute{
				MarkdownDescription: "Client-side limit on API requests per minute, shared by every resource and data source of " +
					"this provider, so Polar never answers 429. Polar counts requests per organization (per user for a personal token), " +
					"shared with everything else the organization does, its live event ingestion included: 500 a minute on production " +
					"and 100 on sandbox for the default tier (60 and 10 for the restricted tier), and a token new to Polar first counts in a " +
					"bucket of 60 a minute. Set it to leave room for that traffic, e.g. half the tier: `250` on production, `50` on sandbox. " +
					"Requests are spaced evenly. Off by default: 429s are then waited out. Defaults to the `" + envRateLimit + "` environment variable.",
				Optional:   true,
				Validators: []validator.Int64{int64validator.AtLeast(1)},
			},
		},
	}
}

// Configure resolves the settings (configuration over environment) and builds the API client.
func (p *PolarProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var config polarProviderModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	settings, diags := p.resolveSettings(config)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	client, err := polar.NewClient(polar.Config{
		BaseURL:    settings.baseURL,
		Token:      settings.token,
		UserAgent:  fmt.Sprintf("terraform-provider-polar/%s Terraform/%s", p.version, req.TerraformVersion),
		HTTPClient: p.httpClient,
		Logger:     maskedLogger{token: settings.token},
		Limiter:    requestLimiter(settings.requestsPerMinute),
	})
	if err != nil {
		resp.Diagnostics.AddError("Cannot create the Polar API client", err.Error())
		return
	}
	tflog.Debug(ctx, "configured Polar API client", map[string]any{"base_url": settings.baseURL})
	data := &providerData{
		client:            client,
		reads:             newMeterReads(client),
		organizationToken: isOrganizationToken(settings.token),
		personalToken:     isPersonalToken(settings.token),
		serverURL:         settings.baseURL,
	}
	resp.ResourceData = data
	resp.DataSourceData = data
}

// Resources lists the managed resources.
func (p *PolarProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{NewMeterResource}
}

// DataSources lists the data sources.
func (p *PolarProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{NewMeterDataSource, NewMetersDataSource}
}

// providerData is what Configure hands to resources and data sources.
type providerData struct {
	client            *polar.Client
	reads             *meterReads // what this provider instance read of Polar, shared by every resource and data source
	organizationToken bool
	personalToken     bool
	serverURL         string
}

// configuredData takes the provider's data in a data source or resource Configure.
func configuredData(raw any, diags *diag.Diagnostics) *providerData {
	if raw == nil {
		return nil
	}
	data, ok := raw.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data", fmt.Sprintf("expected *providerData, got %T", raw))
	}
	return data
}

// isPersonalToken tells a personal access token, with which Polar always needs organization_id on create.
func isPersonalToken(token string) bool {
	return strings.HasPrefix(token, "polar_pat_")
}

// isOrganizationToken tells an Organization Access Token, which implies its organization, from a personal one.
func isOrganizationToken(token string) bool {
	return strings.HasPrefix(token, "polar_oat_")
}

// providerSettings are the resolved connection settings.
type providerSettings struct {
	token             string
	baseURL           string
	requestsPerMinute int64
}

// resolveSettings applies the precedence configuration > environment > default and checks each value.
func (p *PolarProvider) resolveSettings(config polarProviderModel) (providerSettings, diag.Diagnostics) {
	var diags diag.Diagnostics
	for name, v := range map[string]attr.Value{
		"access_token": config.AccessToken, "server": config.Server, "server_url": config.ServerURL, "max_requests_per_minute": config.RateLimit,
	} {
		if v.IsUnknown() {
			diags.AddAttributeError(path.Root(name), "Unknown provider setting",
				"The provider cannot be configured with a value known only after apply; set "+name+" statically or through its environment variable.")
		}
	}
	if diags.HasError() {
		return providerSettings{}, diags
	}

	settings := providerSettings{
		token:   valueOrEnv(config.AccessToken, envAccessToken),
		baseURL: p.fallback,
	}
	if server := valueOrEnv(config.Server, envServer); server != "" {
		url, ok := serverURLs[server]
		if !ok {
			diags.AddAttributeError(path.Root("server"), "Unknown Polar server",
				fmt.Sprintf("server (or %s) is %q; it must be one of %v.", envServer, server, serverNames()))
		}
		settings.baseURL = url
	}
	if serverURL := valueOrEnv(config.ServerURL, envServerURL); serverURL != "" {
		if err := checkServerURL(serverURL); err != nil {
			diags.AddAttributeError(path.Root("server_url"), "Invalid Polar server URL",
				fmt.Sprintf("server_url (or %s): %s", envServerURL, err))
		}
		settings.baseURL = serverURL
	}
	settings.requestsPerMinute = config.RateLimit.ValueInt64()
	if raw := os.Getenv(envRateLimit); config.RateLimit.IsNull() && raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < 1 {
			diags.AddAttributeError(path.Root("max_requests_per_minute"), "Invalid request limit",
				fmt.Sprintf("%s is %q; it must be a whole number of at least 1.", envRateLimit, raw))
		}
		settings.requestsPerMinute = n
	}
	if strings.TrimSpace(settings.token) == "" {
		diags.AddAttributeError(path.Root("access_token"), "Missing Polar access token",
			"Set access_token in the provider block or the "+envAccessToken+" environment variable to an Organization "+
				"Access Token with the meters:read and meters:write scopes (Polar dashboard: Settings → Developers).")
		return settings, diags
	}
	// A token read with file() ends with a newline: trimmed here, so masking and the token-kind checks see the real token.
	token, err := polar.NormalizeToken(settings.token)
	if err != nil {
		diags.AddAttributeError(path.Root("access_token"), "Invalid Polar access token", err.Error())
	}
	settings.token = token
	return settings, diags
}

// requestLimiter spaces requests evenly, 2% under the limit, so no window of any length sees more than its share; nil when off.
func requestLimiter(perMinute int64) polar.Limiter {
	if perMinute < 1 {
		return nil
	}
	interval := time.Minute * 51 / 50 / time.Duration(perMinute)
	return rate.NewLimiter(rate.Every(interval), 1)
}

// valueOrEnv returns the configured value, else the environment variable.
func valueOrEnv(v types.String, env string) string {
	if !v.IsNull() {
		return v.ValueString()
	}
	return os.Getenv(env)
}

// serverNames lists the accepted `server` values.
func serverNames() []string {
	return []string{"production", "sandbox"}
}
