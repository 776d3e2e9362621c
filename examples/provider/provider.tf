terraform {
  required_providers {
    polar = {
      source = "polar-terraform/polar"
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

  # Stay under the sandbox's rate limit (100 requests a minute per token) instead of waiting out 429s.
  max_requests_per_minute = 100

  # server_url overrides server: https://, or http:// to a loopback address (a local test server).
  # server_url = "http://127.0.0.1:8787"
}
