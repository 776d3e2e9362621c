# Import an existing meter by its ID (a UUID).
terraform import polar_meter.api_requests 3f2504e0-4f89-41d3-9a0c-0305e82c3301
