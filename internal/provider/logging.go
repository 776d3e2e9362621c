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
	if l.token != "" {
		ctx = tflog.MaskAllFieldValuesStrings(ctx, l.token)
		ctx = tflog.MaskMessageStrings(ctx, l.token)
	}
	tflog.Debug(ctx, msg, fields)
}

// isOrganizationToken tells an Organization Access Token, which implies its organization, from a personal one.
func isOrganizationToken(token string) bool {
	return strings.HasPrefix(token, "polar_oat_")
}
