# One polar_meter per meter of `meters` (the `meters` of a polar_meters data source), keyed by meter ID, with every
# argument taken from what Polar holds: once imported, each plans with no change. The import blocks that adopt them
# must be in the root module (Terraform and OpenTofu allow them nowhere else): see ../../main.tf.
terraform {
  required_providers {
    polar = {
      source = "polar-terraform/polar"
    }
  }
}

variable "meters" {
  description = "The meters to manage: data.polar_meters.<name>.meters (a tuple, since metadata keeps per-meter types)."
  type        = any
}

resource "polar_meter" "this" {
  for_each = { for meter in var.meters : meter.id => meter }

  name         = each.value.name
  unit         = each.value.unit
  custom_label = each.value.custom_label
  # Polar applies 1 when unset; the imported state writes an explicit 1 as unset, so the configuration does too.
  custom_multiplier = each.value.custom_multiplier == 1 ? null : each.value.custom_multiplier
  filter            = each.value.filter
  aggregation       = each.value.aggregation
  metadata          = each.value.metadata
  is_archived       = each.value.is_archived
}

output "ids" {
  description = "IDs of the managed meters."
  value       = keys(polar_meter.this)
}
