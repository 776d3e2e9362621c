terraform {
  required_providers {
    polar = {
      source = "polar-terraform/polar"
    }
  }
}

# count: every API request event, billed per request.
resource "polar_meter" "api_requests" {
  name = "API requests"

  filter {
    conjunction = "and"
    clause {
      property = "name"
      operator = "eq"
      value    = "api.request"
    }
  }

  aggregation {
    func = "count"
  }

  # Metadata keeps its value types: string, number or bool.
  metadata = {
    team     = "platform"
    tier     = 1
    billable = true
  }
}

# sum: LLM tokens in a custom unit displayed per 1000 tokens, with nested groups two levels deep.
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
      int_value = 0 # a JSON number, compared as a number; value = "0" would be text
    }

    # Level 1: customers on the pro plan, or in the beta...
    filter {
      conjunction = "or"
      clause {
        property = "plan"
        operator = "eq"
        value    = "pro"
      }
      clause {
        property   = "beta"
        operator   = "eq"
        bool_value = true
      }

      # Level 2: ...or enterprise customers in an EU region.
      filter {
        conjunction = "and"
        clause {
          property = "plan"
          operator = "eq"
          value    = "enterprise"
        }
        clause {
          property = "region"
          operator = "like"
          value    = "eu-%"
        }
      }
    }
  }

  aggregation {
    func     = "sum"
    property = "metadata.tokens" # Polar stores "tokens"; both spellings plan clean
  }

  metadata = {
    team  = "ai"
    ratio = 0.25
  }
}

# max: the highest number of concurrent sessions reported in the period.
resource "polar_meter" "peak_sessions" {
  name = "Peak concurrent sessions"

  filter {
    conjunction = "and"
    clause {
      property = "name"
      operator = "eq"
      value    = "session.heartbeat"
    }
  }

  aggregation {
    func     = "max"
    property = "concurrent_sessions"
  }
}

# min: the smallest storage footprint reported in the period, in GB-hours.
resource "polar_meter" "storage_gb_hours_min" {
  name         = "Storage GB-hours min"
  unit         = "custom"
  custom_label = "GB-hour"

  filter {
    conjunction = "and"
    clause {
      property = "name"
      operator = "eq"
      value    = "storage.snapshot"
    }
    clause {
      property  = "gb_hours"
      operator  = "gte"
      int_value = 1
    }
  }

  aggregation {
    func     = "min"
    property = "gb_hours"
  }
}

# avg: mean latency of successful, uncached API requests.
resource "polar_meter" "average_latency" {
  name         = "Average latency"
  unit         = "custom"
  custom_label = "ms"

  filter {
    conjunction = "and"
    clause {
      property = "name"
      operator = "eq"
      value    = "api.request"
    }
    clause {
      property  = "status_code"
      operator  = "lt"
      int_value = 400
    }
    clause {
      property   = "cached"
      operator   = "eq"
      bool_value = false
    }
  }

  aggregation {
    func     = "avg"
    property = "latency_ms"
  }
}

# unique: distinct users who signed in or used the product.
resource "polar_meter" "monthly_active_users" {
  name = "Monthly active users"

  filter {
    conjunction = "or"
    clause {
      property = "name"
      operator = "eq"
      value    = "user.login"
    }
    clause {
      property = "name"
      operator = "like"
      value    = "app.%"
    }
  }

  aggregation {
    func     = "unique"
    property = "user_id"
  }
}
