terraform {
  required_providers {
    polar = {
      source  = "polar-terraform/polar"
      version = "~> 0.1"
    }
  }
}

# Two meters for the lookup below to find, so that this example applies on its own.
resource "polar_meter" "ai_input_tokens" {
  name = "AI input tokens"

  filter = {
    conjunction = "and"
    clauses = [
      { property = "name", operator = "eq", value = "ai.completion" },
    ]
  }

  aggregation = { func = "sum", property = "input_tokens" }

  metadata = { team = "ai", tier = 1 }
}

resource "polar_meter" "ai_output_tokens" {
  name = "AI output tokens"

  filter = {
    conjunction = "and"
    clauses = [
      { property = "name", operator = "eq", value = "ai.completion" },
    ]
  }

  aggregation = { func = "sum", property = "output_tokens" }

  metadata = { team = "ai", tier = 2 }
}

# Active meters whose name contains "tokens" (case-insensitive) and whose metadata has team = "ai".
data "polar_meters" "ai_tokens" {
  query       = "tokens"
  is_archived = false
  metadata = {
    team = "ai" # metadata values are written as text: tier = "2" matches the number 2
  }

  depends_on = [polar_meter.ai_input_tokens, polar_meter.ai_output_tokens] # list once they exist
}

# Every archived meter; the list may be empty.
data "polar_meters" "archived" {
  is_archived = true
}

output "ai_token_meter_ids" {
  value = data.polar_meters.ai_tokens.ids
}

# meters is a tuple: iterate and index it like a list. Metadata keeps its types, and a key may be missing.
output "ai_token_meters" {
  value = [
    for meter in data.polar_meters.ai_tokens.meters : {
      id       = meter.id
      name     = meter.name
      property = meter.aggregation.property
      tier     = try(meter.metadata.tier, null)
    }
  ]
}

output "archived_meter_count" {
  value = length(data.polar_meters.archived.ids)
}
