package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
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
	twinC := uuid.NewString() // put on the server only for the step that needs two live namesakes
	lookup := func(arguments string) string {
		return "data \"polar_meter\" \"x\" {\n" + arguments + "\n}\n"
	}
	found := func(id *string) []statecheck.StateCheck {
		return []statecheck.StateCheck{statecheck.ExpectKnownValue("data.polar_meter.x", at("id"), knownvalue.StringFunc(func(got string) error {
			if got != *id {
				return fmt.Errorf("found meter %s, want %s", got, *id)
			}
			return nil
		}))}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{
			{Config: lookup(`name = "Twin"`), ExpectError: errorLike(`No meter with this name.*"Twin"`)},
			// A replaced meter leaves an archived namesake: with is_archived unset, the one live meter is the answer.
			{Config: lookup(`name = "Twin meter"`), ConfigStateChecks: found(&twinA)},
			{Config: lookup(`name = "Twin"` + "\n  is_archived = true"), ExpectError: errorLike(`No meter is named exactly "Twin" among archived meters`)},
			{Config: lookup(""), ExpectError: errorLike(`Exactly one of these attributes must be configured: \[id,name\]`)},
			{Config: lookup(`name = "a"` + "\n  id = \"" + twinA + `"`), ExpectError: errorLike(`Exactly one of these attributes must be configured: \[id,name\]`)},
			{Config: lookup(`id = "` + twinA + `"` + "\n  is_archived = true"), ExpectError: errorLike(`Invalid Attribute Combination.*is_archived`)},
			{Config: lookup(`name = "Twin meter"` + "\n  is_archived = false"), ConfigStateChecks: found(&twinA)},
			{Config: lookup(`name = "Twin meter"` + "\n  is_archived = true"), ConfigStateChecks: found(&twinB)},
			// Two live meters with the name: no way to choose, and the error lists both.
			{
				PreConfig: func() {
					server.PutMeter(`{"id": "` + twinC + `", "name": "Twin meter", "filter": {"conjunction": "and", "clauses": []}, "aggregation": {"func": "count"}}`)
				},
				Config: lookup(`name = "Twin meter"`),
				ExpectError: errorLike(`Several meters have this name.*"Twin meter".*(` + twinA + `.*` + twinC + `|` + twinC + `.*` + twinA + `).*` +
					`look the meter up by id instead`),
			},
			// A data source shows what Polar stores: an explicit multiplier of 1 is 1, not null.
			{
				Config:            lookup(`id = "` + perOne + `"`),
				ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectKnownValue("data.polar_meter.x", at("custom_multiplier"), knownvalue.Int64Exact(1))},
			},
		},
	})
}

// Names may hold any character, and are matched exactly: Polar's list query is an unescaped ILIKE, in which %, _ and \
// are patterns, so the lookup cannot leave the matching to Polar.
func TestAccMeterDataSource_exactNameWithPatternCharacters(t *testing.T) {
	target := newTestTarget(t)
	server := target.needsLocal(t)
	const exact = `Rate 50% off_peak \ EU`
	ids := map[string]string{}
	for _, name := range []string{exact, exact + " (old)", "Rate 500 off-peak EU", "Rate 50X offXpeak X EU", `rate 50% OFF_PEAK \ eu`} {
		ids[name] = server.PutMeter(countMeterJSON(name))
	}
	hcl := strings.ReplaceAll(exact, `\`, `\\`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: target.factories,
		Steps: []resource.TestStep{
			{
				Config: "data \"polar_meter\" \"x\" {\n  name = \"" + hcl + "\"\n}\n",
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.polar_meter.x", at("id"), knownvalue.StringExact(ids[exact])),
					statecheck.ExpectKnownValue("data.polar_meter.x", at("name"), knownvalue.StringExact(exact)),
				},
			},
			// Exact means exact, case included: no meter has the lower-case name, though three match it ignoring case.
			{
				Config:      "data \"polar_meter\" \"x\" {\n  name = \"" + strings.ToLower(hcl) + "\"\n}\n",
				ExpectError: errorLike(`No meter is named exactly "rate 50% off_peak \\\\ eu"`),
			},
		},
	})
}
