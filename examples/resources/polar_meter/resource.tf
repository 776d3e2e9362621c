terraform {
  required_providers {
    polar = {
      source  = "polar-terraform/polar"
      version = "~> 0.1"
    }
  }
}

# count: every API request event, billed per request.
resource "polar_meter" "api_requests" {
  name = "API requests"

  filter = {
    conjunction = "and"
    clauses = [
      { property = "name", operator = "eq", value = "api.request" },
    ]
  }

  aggregation = { func = "count" }

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

  filter = {
    conjunction = "and"
    clauses = [
      { property = "name", operator = "eq", value = "ai.completion" },
      # int_value is a JSON number, compared as a number; value = "0" would be text.
      { property = "tokens", operator = "gt", int_value = 0 },
    ]

    groups = [{
      # Level 1: customers on the pro plan, or in the beta...
      conjunction = "or"
      clauses = [
        { property = "plan", operator = "eq", value = "pro" },
        { property = "beta", operator = "eq", bool_value = true },
      ]

      groups = [{
        # Level 2: ...or enterprise customers in an EU region. `like` is a substring test ("contains"),
        # so "eu-" matches eu-west-1 and eu-central-1; % and _ are ordinary characters, not wildcards.
        conjunction = "and"
        clauses = [
          { property = "plan", operator = "eq", value = "enterprise" },
          { property = "region", operator = "like", value = "eu-" },
        ]
      }]
    }]
  }

  aggregation = {
    func     = "sum"
    property = "metadata.tokens" # Polar stores "tokens"; both spellings plan clean
  }

  metadata = {
    team  = "ai"
    ratio = 0.25
  }
}

# Clauses built from a variable with a `for` expression: one condition per model, any of them matching.
variable "premium_models" {
  type    = list(string)
  default = ["gpt-4o", "claude-opus-4", "gemini-2.5-pro"]
}

# sum: tokens of the premium models only.
resource "polar_meter" "premium_model_tokens" {
  name = "Premium model tokens"

  filter = {
    conjunction = "and"
    clauses = [
      { property = "name", operator = "eq", value = "ai.completion" },
    ]
    groups = [{
      conjunction = "or"
      clauses     = [for model in var.premium_models : { property = "model", operator = "eq", value = model }]
    }]
  }

  aggregation = { func = "sum", property = "tokens" }
}

# max: the highest number of concurrent sessions reported in the period.
resource "polar_meter" "peak_sessions" {
  name = "Peak concurrent sessions"

  filter = {
    conjunction = "and"
    clauses = [
      { property = "name", operator = "eq", value = "session.heartbeat" },
    ]
  }

  aggregation = { func = "max", property = "concurrent_sessions" }
}

# min: the smallest storage footprint reported in the period, in GB-hours.
resource "polar_meter" "storage_gb_hours_min" {
  name         = "Storage GB-hours min"
  unit         = "custom"
  custom_label = "GB-hour"

  filter = {
    conjunction = "and"
    clauses = [
      { property = "name", operator = "eq", value = "storage.snapshot" },
      { property = "gb_hours", operator = "gte", int_value = 1 },
    ]
  }

  aggregation = { func = "min", property = "gb_hours" }
}

# avg: mean latency of successful, uncached API requests.
resource "polar_meter" "average_latency" {
  name         = "Average latency"
  unit         = "custom"
  custom_label = "ms"

  filter = {
    conjunction = "and"
    clauses = [
      { property = "name", operator = "eq", value = "api.request" },
      { property = "status_code", operator = "lt", int_value = 400 },
      { property = "cached", operator = "eq", bool_value = false },
    ]
  }

  aggregation = { func = "avg", property = "latency_ms" }
}

# unique: distinct users who signed in, or sent any event whose name contains "app."
# (like is "contains": it also matches "webapp.open"; Polar has no prefix test).
resource "polar_meter" "monthly_active_users" {
  name = "Monthly active users"

  filter = {
    conjunction = "or"
    clauses = [
      { property = "name", operator = "eq", value = "user.login" },
      { property = "name", operator = "like", value = "app." },
    ]
  }

  aggregation = { func = "unique", property = "user_id" }
}
