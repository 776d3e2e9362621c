# A meter used the way a module or a billing configuration uses one: other resources refer to it by its `id`.
# `terraform_data` stands in for a metered price (Polar's products and prices are outside this provider), so that
# this example applies on its own.
terraform {
  required_providers {
    polar = {
      source  = "polar-terraform/polar"
      version = "~> 0.1"
    }
  }
}

# Token and server come from POLAR_ACCESS_TOKEN and POLAR_SERVER / POLAR_SERVER_URL.
provider "polar" {}

resource "polar_meter" "api_calls" {
  name = "API calls"

  filter = {
    conjunction = "and"
    clauses = [
      { property = "name", operator = "eq", value = "api.request" },
    ]
  }

  aggregation = { func = "count" }
}

# A metered price refers to the meter by ID. Terraform creates the meter first, and plans the price again whenever
# the ID changes.
resource "terraform_data" "metered_price" {
  input = {
    meter_id          = polar_meter.api_calls.id
    price_per_unit    = "0.001"
    currency          = "usd"
    meter_aggregation = polar_meter.api_calls.aggregation.func
  }
}

# What a module would export for its callers: the ID, and the name to show next to it.
output "meter_id" {
  value = polar_meter.api_calls.id
}

output "meter" {
  value = {
    id   = polar_meter.api_calls.id
    name = polar_meter.api_calls.name
  }
}

# To move the price to a different filter once this meter has aggregated events (Polar then refuses filter and
# aggregation changes), do not edit the filter above: add a second polar_meter block with the new filter, point
# meter_id at it and apply, then delete the old block and apply again, which archives the old meter.
