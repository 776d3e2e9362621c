terraform {
  required_providers {
    polar = {
      source  = "polar-terraform/polar"
      version = "~> 0.1"
    }
  }
}

# Usually the meter to look up is managed elsewhere (the Polar dashboard, another configuration);
# it is created here so that this example applies on its own.
resource "polar_meter" "api_requests" {
  name = "API requests"

  filter = {
    conjunction = "and"
    clauses = [
      { property = "name", operator = "eq", value = "api.request" },
    ]
  }

  aggregation = { func = "count" }
}

# By ID: one request.
data "polar_meter" "by_id" {
  id = polar_meter.api_requests.id
}

# By exact, case-sensitive name, among active meters. Names are not unique in Polar:
# when several meters share the name, the lookup fails and lists their IDs.
data "polar_meter" "by_name" {
  name        = "API requests"
  is_archived = false

  depends_on = [polar_meter.api_requests] # read once the meter exists
}

output "api_requests_meter" {
  value = {
    id          = data.polar_meter.by_name.id
    aggregation = data.polar_meter.by_id.aggregation.func
    event_name  = data.polar_meter.by_id.filter.clauses[0].value
  }
}
