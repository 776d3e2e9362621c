package provider

import (
	"context"

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
