package provider

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// checkServerURL accepts https URLs, and plain http only to a loopback host so the token never crosses a network in clear.
func checkServerURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return errors.New("must be an absolute URL such as https://api.polar.sh")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopbackHost(u.Hostname()) {
			return nil
		}
		return errors.New("plain http:// is allowed only to a loopback address (localhost, 127.0.0.0/8, ::1); use https://")
	default:
		return errors.New("scheme must be https (or http to a loopback address)")
	}
}

// isLoopbackHost reports whether host is localhost or a loopback IP literal.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// serverURLValidator applies checkServerURL at validate and plan time.
type serverURLValidator struct{}

func (serverURLValidator) Description(context.Context) string {
	return "must be an https:// URL, or http:// to a loopback address"
}

func (v serverURLValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (serverURLValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := checkServerURL(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Polar server URL", "server_url "+err.Error()+".")
	}
}
