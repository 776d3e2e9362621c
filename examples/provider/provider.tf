terraform {
  required_providers {
    polar = {
      source  = "polar-terraform/polar"
      version = "~> 0.1"
    }
  }
}

# The access token comes from the POLAR_ACCESS_TOKEN environment variable: an Organization Access Token
# with the meters:read and meters:write scopes (Polar dashboard: Settings → Developers). Keep it out of
# configuration files; the provider never logs it and never stores it in state.
provider "polar" {
  # Polar's sandbox (https://sandbox-api.polar.sh). Omit for production (https://api.polar.sh),
  # or set POLAR_SERVER instead. A value here wins over the environment.
  server = "sandbox"

  # Polar's rate limit is per organization, not per token, and the organization's live traffic (event
  # ingestion, checkouts) spends the same budget: 100 requests a minute on sandbox, 500 on production
  # (default tier). Spacing Terraform's requests at half of it leaves the other half to the live traffic.
  max_requests_per_minute = 50

  # server_url overrides server: https://, or http:// to a loopback address (a local test server).
  # server_url = "http://127.0.0.1:8787"
}
