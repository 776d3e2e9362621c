package provider

import (
	"context"
	"strings"

	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// maskedLogger routes the API client's debug logs to TF_LOG with the access token masked wherever it might appear.
type maskedLogger struct {
	token string
}

func (l maskedLogger) Debug(ctx context.Context, msg string, fields map[string]any) {
	tflog.Debug(l.masked(ctx), msg, fields)
}

// Info logs progress through long waits (rate limits, retries), which TF_LOG=info shows.
func (l maskedLogger) Info(ctx context.Context, msg string, fields map[string]any) {
	tflog.Info(l.masked(ctx), msg, fields)
}

// masked is ctx with the token masked in messages and field values.
func (l maskedLogger) masked(ctx context.Context) context.Context {
	if l.token == "" {
		return ctx
	}
	ctx = tflog.MaskAllFieldValuesStrings(ctx, l.token)
	return tflog.MaskMessageStrings(ctx, l.token)
}

// isPersonalToken tells a personal access token, with which Polar always needs organization_id on create.
func isPersonalToken(token string) bool {
	return strings.HasPrefix(token, "polar_pat_")
}

// isOrganizationToken tells an Organization Access Token, which implies its organization, from a personal one.
func isOrganizationToken(token string) bool {
	return strings.HasPrefix(token, "polar_oat_")
}
