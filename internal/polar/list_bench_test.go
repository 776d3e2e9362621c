package polar_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/polar-terraform/terraform-provider-polar/internal/localpolar"
	"github.com/polar-terraform/terraform-provider-polar/internal/polar"
)

// BenchmarkListMeters reports the requests one ListMeters costs against the local server, and fails unless it is
// ceil(N/100) (at least 1): every page once, at Polar's largest page size.
func BenchmarkListMeters(b *testing.B) {
	for _, n := range []int{0, 1, 100, 101, 1000} {
		b.Run(fmt.Sprintf("meters=%d", n), func(b *testing.B) {
			server, url := localpolar.NewTestServer(b, localpolar.Options{})
			for i := range n {
				server.PutMeter(fmt.Sprintf(`{"name": "Meter %04d", "filter": {"conjunction": "and", "clauses": []}, "aggregation": {"func": "count"}}`, i))
			}
			client, err := polar.NewClient(polar.Config{BaseURL: url, Token: localpolar.DefaultToken})
			if err != nil {
				b.Fatal(err)
			}
			server.ResetRequests()
			calls := 0
			for b.Loop() {
				meters, err := client.ListMeters(context.Background(), polar.ListMetersParams{})
				if err != nil || len(meters) != n {
					b.Fatalf("ListMeters: %d meters, %v; want %d", len(meters), err, n)
				}
				calls++
			}
			perCall := float64(server.CountRequests("GET", "/v1/meters/")) / float64(calls)
			b.ReportMetric(perCall, "requests/op")
			if want := float64(max(1, (n+99)/100)); perCall != want {
				b.Fatalf("%d meters: %.2f requests per ListMeters, want %.0f", n, perCall, want)
			}
		})
	}
}
