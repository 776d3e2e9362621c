package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"text/tabwriter"
	"time"
)

// Goals of the issue "Live inside Polar's per-organization rate budget".
const (
	floorGoal   = 2.0 // plan wall time ≤ 2× the plugin floor's, at N = 500
	limitedGoal = 1.5 // plan wall time under the rate limit ≤ 1.5× without it, and no 429
)

// report prints the tables of the sizes' sections.
func (b *bench) report() {
	fmt.Printf("\n## Requests per operation (first run)\n\n")
	fmt.Printf("apply creates (exactly N POST); plan, no-op apply, update and destroy refresh (reads = GET by ID + list pages,\n" +
		"at most min(N, ceil(T/100)) + A + 3 with A = 0 managed archived meters); update and destroy then send exactly N PATCH.\n\n")
	table("provider\tN\tT\toperation\tPOST\tGET\tPATCH\tlist\t429\tother\tallowed\tverdict\trequest log", b.requestRows)

	var rows []string
	for _, k := range b.planOrder {
		r := b.plans[k]
		verdict := "within bound"
		if r.requests.reads() > r.bound || r.requests.total() != r.requests.reads() {
			verdict = "BUG"
		}
		wall, limited := median(r.wall), median(r.limited)
		limitedCols := "-\t-\t-\t-"
		if len(r.limited) > 0 {
			ratio := limited.Seconds() / wall.Seconds()
			goal := "met"
			if ratio > limitedGoal || r.limited429 > 0 || r.limitedFailed > 0 {
				goal = "NOT met"
			}
			failed := ""
			if r.limitedFailed > 0 {
				failed = fmt.Sprintf(" (%d failed)", r.limitedFailed)
			}
			limitedCols = fmt.Sprintf("%.2f s%s\t%.2f×\t%d\t%s", limited.Seconds(), failed, ratio, r.limited429, goal)
		}
		rows = append(rows, fmt.Sprintf("%d\t%d\t%d\t%d (%d GET + %d list)\t%d\t%s\t%s\t%.2f s (%d)\t%s",
			k.n, k.t, b.o.archived, r.requests.total(), r.requests.get, r.requests.list, r.bound, verdict, clip(r.shape, 50),
			wall.Seconds(), len(r.wall), limitedCols))
	}
	fmt.Printf("\n## Plan: requests against min(N, ceil(T/100)) + A + 3, and wall time under %d requests per %v per organization\n\n",
		rateLimit, rateWindow)
	fmt.Printf("requests: the worst plan measured; wall times: medians, (count) of plans without the limit.\n\n")
	table("N\tT live\tarchived, unmanaged\trequests\tbound\tverdict\trequest log\twall, no limit (count)\twall, limited\tratio\t429s\tgoal: no 429, ≤ 1.5×", rows)

	if b.o.floor {
		rows = rows[:0]
		for _, n := range b.o.sizes {
			for _, op := range cycle {
				t := b.times[n][op]
				if len(t[kindPolar]) == 0 {
					continue // -plan-only
				}
				p, f, q, d := median(t[kindPolar]), median(t[kindFloor]), median(t[kindFloorQuiet]), median(t[kindData])
				goal := "-"
				if op == opPlan {
					goal = "met"
					if p.Seconds() > floorGoal*f.Seconds() {
						goal = "NOT met"
					}
					goal = fmt.Sprintf("%s (vs quiet floor: %s)", goal, map[bool]string{true: "met", false: "NOT met"}[p.Seconds() <= floorGoal*q.Seconds()])
				}
				rows = append(rows, fmt.Sprintf("%d\t%s\t%.2f s\t%.2f s\t%.2f s\t%.2f s\t%.2f×\t%.2f×\t%.2f×\t%s", n, op,
					p.Seconds(), f.Seconds(), q.Seconds(), d.Seconds(),
					p.Seconds()/f.Seconds(), p.Seconds()/q.Seconds(), p.Seconds()/d.Seconds(), goal))
			}
		}
		fmt.Printf("\n## Wall time: polar_meter against the plugin floor and terraform_data (%v latency, median of %d run(s); plan: of %d)\n\n",
			b.o.latency, b.o.runs, b.o.runs*b.o.planRuns)
		fmt.Printf("floor: a terraform-plugin-framework provider built by the benchmark, one resource of two string attributes, no API call;\n" +
			"quiet floor: the same with TF_LOG_SDK*=off, as polar's main.go sets when no TF_LOG* is set. plan: T = N.\n\n")
		table("N\toperation\tpolar_meter\tfloor\tquiet floor\tterraform_data\t÷ floor\t÷ quiet floor\t÷ terraform_data\tgoal: plan ≤ 2× floor (at N = 500)", rows)

		rows = rows[:0]
		for _, n := range b.o.sizes {
			for _, op := range cycle {
				t := b.cpu[n][op]
				if len(t[kindPolar]) == 0 {
					continue
				}
				p, f, q, d := median(t[kindPolar]), median(t[kindFloor]), median(t[kindFloorQuiet]), median(t[kindData])
				rows = append(rows, fmt.Sprintf("%d\t%s\t%.2f s\t%.2f s\t%.2f s\t%.2f s\t%.2f×\t%.2f×\t%.2f×", n, op,
					p.Seconds(), f.Seconds(), q.Seconds(), d.Seconds(), p.Seconds()/f.Seconds(), p.Seconds()/q.Seconds(), p.Seconds()/d.Seconds()))
			}
		}
		fmt.Printf("\n## CPU time (user + sys of terraform and the provider processes it ran; less sensitive to load than wall time)\n\n")
		table("N\toperation\tpolar_meter\tfloor\tquiet floor\tterraform_data\t÷ floor\t÷ quiet floor\t÷ terraform_data", rows)
	}

	if b.beforeRC != "" {
		rows = rows[:0]
		for _, n := range b.o.sizes {
			r, after := b.before[n], b.plans[planKey{n, n}]
			if r == nil || after == nil {
				continue
			}
			bp, ap := median(b.times[n][opPlan][kindBefore]), median(after.wall)
			bc, ac := median(b.cpu[n][opPlan][kindBefore]), median(b.cpu[n][opPlan][kindPolar])
			ba, aa := median(b.times[n][opApply][kindBefore]), median(b.times[n][opApply][kindPolar])
			bac, aac := median(b.cpu[n][opApply][kindBefore]), median(b.cpu[n][opApply][kindPolar])
			beforeLimited := "-\t-"
			if r.limitedRan {
				failed := ""
				if r.limitedFailed > 0 {
					failed = fmt.Sprintf(" (%d failed)", r.limitedFailed)
				}
				beforeLimited = fmt.Sprintf("%.2f s%s\t%d", median(r.limited).Seconds(), failed, r.limited429)
			}
			afterLimited := "-\t-"
			if len(after.limited) > 0 {
				afterLimited = fmt.Sprintf("%.2f s\t%d", median(after.limited).Seconds(), after.limited429)
			}
			rows = append(rows, fmt.Sprintf("%d\t%d\t%d\t%.2f s\t%.2f s\t%.2f×\t%.2f s\t%.2f s\t%.2f×\t%.2f s\t%.2f s\t%.2f×\t%.2f s\t%.2f s\t%.2f×\t%s\t%s", n,
				r.requests.total(), after.requests.total(), bp.Seconds(), ap.Seconds(), ap.Seconds()/bp.Seconds(),
				bc.Seconds(), ac.Seconds(), ac.Seconds()/bc.Seconds(),
				ba.Seconds(), aa.Seconds(), aa.Seconds()/ba.Seconds(), bac.Seconds(), aac.Seconds(), aac.Seconds()/bac.Seconds(),
				beforeLimited, afterLimited))
		}
		fmt.Printf("\n## Before (%s, block syntax) and after (this tree): plan with T = N, side by side (medians: plan of %d, apply of %d)\n\n",
			b.o.before, b.o.runs*b.o.planRuns, b.o.runs)
		table("N\tplan requests, before\tafter\tplan wall, before\tafter\tafter ÷ before\tplan CPU, before\tafter\tafter ÷ before\tapply wall, before\tafter\tafter ÷ before\tapply CPU, before\tafter\tafter ÷ before\tplan under limit, before\t429s\tafter\t429s", rows)
	}

	if len(b.memory) > 0 {
		rows = rows[:0]
		for _, m := range b.memory {
			rows = append(rows, fmt.Sprintf("%s\t%d\t%.1f MiB (largest of %d instance(s))\t%.1f MiB", m.kind, m.n,
				float64(m.provider)/1024, m.instances, float64(m.terraform)/1024))
		}
		fmt.Printf("\n## Peak memory during the largest plan (VmHWM, sampled every 20 ms)\n\n")
		table("provider\tN\tprovider process\tterraform", rows)
	}
}

// applyUnderRateLimit applies 100 meters under the rate limit, without and with the client-side limiter.
func (b *bench) applyUnderRateLimit() error {
	const n = 100
	floor := time.Duration(n) * rateWindow / rateLimit
	var rows []string
	for i, c := range []struct {
		name, block string
	}{
		{"no client-side limit", ""},
		{"max_requests_per_minute = 240", "provider \"polar\" {\n  max_requests_per_minute = 240\n}\n"},
	} {
		srv, err := b.newTarget()
		if err != nil {
			return err
		}
		ws, err := b.workspace(kindPolar, fmt.Sprintf("ratelimit-%d", i), srv, b.rc, nil,
			func(suffix string) string { return b.polarConfig(c.block, n, suffix) })
		if err != nil {
			srv.close()
			return err
		}
		log.Printf("rate limit %d per %v: apply of %d meters, %s", rateLimit, rateWindow, n, c.name)
		srv.polar.SetRateLimit(rateLimit, rateWindow) // fresh windows
		took, applyErr := b.terraformRun(ws, applyArgs, nil)
		srv.polar.SetRateLimit(0, 0)
		got, failures := countRequests(srv.lastRequests), 0
		for _, r := range srv.lastRequests {
			if r.Status != http.StatusCreated && r.Status != http.StatusTooManyRequests {
				failures++
			}
		}
		if applyErr != nil || failures > 0 || got.post != n {
			b.bug("apply of %d meters under the rate limit (%s): %d created, %d failed requests, error %v", n, c.name, got.post, failures, applyErr)
		}
		ratio := took.Seconds() / floor.Seconds()
		verdict := "met"
		if ratio > 1.2 || applyErr != nil || failures > 0 {
			verdict = "NOT met"
		}
		rows = append(rows, fmt.Sprintf("%s\t%.1f s\t%.1f s\t%.2f×\t%d\t%d\t%d\t%s", c.name, took.Seconds(), floor.Seconds(), ratio, got.post, got.limited, failures, verdict))
		srv.close() // the meters stay on a server nobody uses again: no destroy needed
	}
	fmt.Printf("\n## Apply of %d meters under a rate limit of %d requests per %v (floor = %d ÷ (%d/%v) = %v)\n\n", n, rateLimit, rateWindow, n, rateLimit, rateWindow, floor)
	table("client\twall time\tfloor\tratio\tmeters created\t429s\tfailed requests\tgoal ≤ 1.2×, no failure", rows)
	return nil
}

func table(header string, rows []string) {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, header)
	for _, row := range rows {
		fmt.Fprintln(w, row)
	}
	_ = w.Flush()
}
