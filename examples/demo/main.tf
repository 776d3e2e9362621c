# Three realistic meters, applied by `make demo` against the local Polar-compatible server.
terraform {
  required_providers {
    polar = {
      source  = "polar-terraform/polar"
      version = "~> 0.1"
    }
  }
}

# Token and server come from POLAR_ACCESS_TOKEN and POLAR_SERVER_URL.
provider "polar" {}

# Sum of LLM tokens, displayed per thousand.
resource "polar_meter" "ai_tokens" {
  name              = "AI tokens"
  unit              = "custom"
  custom_label      = "token"
  custom_multiplier = 1000

  filter = {
    conjunction = "and"
    clauses = [
      { property = "name", operator = "eq", value = "ai.completion" },
      { property = "tokens", operator = "gt", int_value = 0 }, # a number, compared as a number
    ]
  }

  aggregation = {
    func     = "sum"
    property = "metadata.tokens" # Polar stores this as "tokens"; both spellings plan clean
  }

  metadata = { team = "ai", tier = 3, ratio = 0.5, beta = true }
}

# API calls from paying plans, either region.
resource "polar_meter" "api_calls" {
  name = "API calls"

  filter = {
    conjunction = "and"
    clauses = [
      { property = "name", operator = "eq", value = "api.request" },
    ]
    groups = [{
      conjunction = "or"
      clauses     = [for region in ["eu", "us"] : { property = "region", operator = "eq", value = region }]
    }]
  }

  aggregation = { func = "count" }
}

# Distinct active users of the beta.
resource "polar_meter" "active_users" {
  name = "Active beta users"

  filter = {
    conjunction = "and"
    clauses = [
      { property = "beta", operator = "eq", bool_value = true },
    ]
  }

  aggregation = { func = "unique", property = "user_id" }
}

output "meter_ids" {
  value = {
    ai_tokens    = polar_meter.ai_tokens.id
    api_calls    = polar_meter.api_calls.id
    active_users = polar_meter.active_users.id
  }
}
