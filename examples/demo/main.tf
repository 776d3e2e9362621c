# Three realistic meters, applied by `make demo` against the local Polar-compatible server.
terraform {
  required_providers {
    polar = {
      source = "polar-terraform/polar"
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

  filter {
    conjunction = "and"
    clause {
      property = "name"
      operator = "eq"
      value    = "ai.completion"
    }
    clause {
      property  = "tokens"
      operator  = "gt"
      int_value = 0
    }
  }

  aggregation {
    func     = "sum"
    property = "metadata.tokens" # Polar stores this as "tokens"; both spellings plan clean
  }

  metadata = { team = "ai", tier = 3, ratio = 0.5, beta = true }
}

# API calls from paying plans, either region.
resource "polar_meter" "api_calls" {
  name = "API calls"

  filter {
    conjunction = "and"
    clause {
      property = "name"
      operator = "eq"
      value    = "api.request"
    }
    filter {
      conjunction = "or"
      clause {
        property = "region"
        operator = "eq"
        value    = "eu"
      }
      clause {
        property = "region"
        operator = "eq"
        value    = "us"
      }
    }
  }

  aggregation {
    func = "count"
  }
}

# Distinct active users of the beta.
resource "polar_meter" "active_users" {
  name = "Active beta users"

  filter {
    conjunction = "and"
    clause {
      property   = "beta"
      operator   = "eq"
      bool_value = true
    }
  }

  aggregation {
    func     = "unique"
    property = "user_id"
  }
}

output "meter_ids" {
  value = {
    ai_tokens    = polar_meter.ai_tokens.id
    api_calls    = polar_meter.api_calls.id
    active_users = polar_meter.active_users.id
  }
}
