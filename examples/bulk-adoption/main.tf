# Adopt every meter of an organization in one apply: one import per meter, no change planned, nothing written to Polar.
# Needs Terraform 1.7 or OpenTofu 1.7 or newer (import blocks with for_each).
terraform {
  required_version = ">= 1.7.0"

  required_providers {
    polar = {
      source  = "polar-terraform/polar"
      version = "~> 0.1"
    }
  }
}

# Token and server come from POLAR_ACCESS_TOKEN and POLAR_SERVER / POLAR_SERVER_URL.
provider "polar" {}

# The meters to adopt: all of them, archived ones included. Narrow the selection with query (name contains),
# is_archived, or metadata (exact values, written as text).
data "polar_meters" "adopted" {
  # query       = "tokens"
  # is_archived = false
  # metadata    = { team = "ai" }
}

module "meters" {
  source = "./modules/adopted-meters"
  meters = data.polar_meters.adopted.meters
}

# Import blocks live in the root module. One per selected meter, keyed by its ID: a meter already in state is left
# as it is, so these blocks stay, and a meter made later in Polar's dashboard is imported by the next apply.
import {
  for_each = toset(data.polar_meters.adopted.ids)
  to       = module.meters.polar_meter.this[each.key]
  id       = each.key
}

output "adopted_meter_ids" {
  value = data.polar_meters.adopted.ids
}
