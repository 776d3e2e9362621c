package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
)

func TestAccMeterDataSource_byIDAndByName(t *testing.T) {
	target := newTestTarget(t)
	name := testMeterName(t)
	config := meterHCL(name, typedMeterBody) + `
data "polar_meter" "by_id" {
  id = polar_meter.test.id
}
data "polar_meter" "by_name" {
  name = polar_meter.test.name
}
`
	sameAsResource := func(address, attribute string) statecheck.StateCheck {
		return statecheck.CompareValuePairs(testAddress, at(attribute), address, at(attribute), compare.ValuesSame())
	}
	var checks []statecheck.StateCheck
	for _, address := range []string{"data.polar_meter.by_id", "data.polar_meter.by_name"} {
		checks = append(checks,
			sameAsResource(address, "id"), sameAsResource(address, "created_at"), sameAsResource(address, "organization_id"),
			statecheck.ExpectKnownValue(address, at("filter", "clauses", 0, "value"), knownvalue.StringExact("100")),
			statecheck.ExpectKnownValue(address, at("filter", "clauses", 1, "int_value"), knownvalue.Int64Exact(100)),
			statecheck.ExpectKnownValue(address, at("filter", "groups", 0, "clauses", 0, "bool_value"), knownvalue.Bool(true)),
			statecheck.ExpectKnownValue(address, at("aggregation", "property"), knownvalue.StringExact("tokens")),
			statecheck.ExpectKnownValue(address, at("metadata", "tier"), knownvalue.Int64Exact(3)),
			statecheck.ExpectKnownValue(address, at("metadata", "ratio"), knownvalue.Float64Exact(0.5)),
			statecheck.ExpectKnownValue(address, at("custom_label"), knownvalue.StringExact("token")),
			statecheck.ExpectKnownValue(address, at("is_archived"), knownvalue.Bool(false)),
		)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps:                    []resource.TestStep{{Config: config, ConfigStateChecks: checks}},
	})
}

func TestAccMeterDataSource_nameLookupErrors(t *testing.T) {
	target := newTestTarget(t)
	server := target.needsLocal(t)
	twinA := server.PutMeter(`{"name": "Twin meter", "filter": {"conjunction": "and", "clauses": []}, "aggregation": {"func": "count"}}`)
	twinB := server.PutMeter(`{"name": "Twin meter", "filter": {"conjunction": "and", "clauses": []}, "aggregation": {"func": "count"}}`)
	server.PutMeter(`{"name": "Twin meter (copy)", "filter": {"conjunction": "and", "clauses": []}, "aggregation": {"func": "count"}}`)
	server.ArchiveOutOfBand(twinB)
	perOne := server.PutMeter(`{"name": "Per one", "unit": "custom", "custom_label": "call", "custom_multiplier": 1, "filter": {"conjunction": "and", "clauses": []}, "aggregation": {"func": "count"}}`)
	lookup := func(arguments string) string {
		return "data \"polar_meter\" \"x\" {\n" + arguments + "\n}\n"
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{
			{Config: lookup(`name = "Twin"`), ExpectError: errorLike(`No meter with this name.*"Twin"`)},
			{Config: lookup(`name = "Twin meter"`), ExpectError: errorLike(`Several meters have this name.*(` + twinA + `.*` + twinB + `|` + twinB + `.*` + twinA + `).*by id`)},
			{Config: lookup(`name = "Twin"` + "\n  is_archived = true"), ExpectError: errorLike(`No meter is named exactly "Twin" among archived meters`)},
			{Config: lookup(""), ExpectError: errorLike(`Exactly one of these attributes must be configured: \[id,name\]`)},
			{Config: lookup(`name = "a"` + "\n  id = \"" + twinA + `"`), ExpectError: errorLike(`Exactly one of these attributes must be configured: \[id,name\]`)},
			{Config: lookup(`id = "` + twinA + `"` + "\n  is_archived = true"), ExpectError: errorLike(`Invalid Attribute Combination.*is_archived`)},
			{
				Config:            lookup(`name = "Twin meter"` + "\n  is_archived = false"),
				ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectKnownValue("data.polar_meter.x", at("id"), knownvalue.StringExact(twinA))},
			},
			{
				Config:            lookup(`name = "Twin meter"` + "\n  is_archived = true"),
				ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectKnownValue("data.polar_meter.x", at("id"), knownvalue.StringExact(twinB))},
			},
			// A data source shows what Polar stores: an explicit multiplier of 1 is 1, not null.
			{
				Config:            lookup(`id = "` + perOne + `"`),
				ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectKnownValue("data.polar_meter.x", at("custom_multiplier"), knownvalue.Int64Exact(1))},
			},
		},
	})
}
