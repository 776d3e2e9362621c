# Adopt an existing meter by its ID. Next to a matching resource block, or without one:
# `terraform plan -generate-config-out=generated.tf` writes the block for you.
import {
  to = polar_meter.api_requests
  id = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
}
