// Command polarbench measures the provider with the real Terraform CLI and the real provider binary against the local
// Polar-compatible server, side by side in one run:
//
//   - the requests of every operation (create, plan, no-op apply, update, destroy) against their floor, and the
//     requests of a plan against the bound min(N, ceil(T/100)) + A + 3 for N managed meters among T live ones and A
//     managed archived ones, with unmanaged live and archived meters in the organization;
//   - the same plans under a per-organization rate limit of 20 requests per 5 s (Polar's sandbox scaled down);
//   - wall time against the plugin floor (a minimal terraform-plugin-framework provider the benchmark builds) and
//     against Terraform's built-in terraform_data;
//   - the peak memory of the provider during the largest plan;
//   - an apply of 100 meters under the rate limit, with and without the client-side limiter;
//   - optionally (-before REV) the provider as built from an earlier commit, planning the same meters.
//
// It prints one table per section and a BUG line for every request beyond the floor or the bound, every failed
// request and every failed command; it exits with status 1 if it printed any. It prints figures and never asserts a
// time. Run it from the repository root: `make bench`.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/polar-terraform/terraform-provider-polar/internal/localpolar"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("polarbench: ")
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

// options are the command-line flags.
type options struct {
	terraform      string
	sizes          []int
	extra          int
	wideExtra      int
	extraNewer     bool
	archived       int
	latency        time.Duration
	runs           int
	planRuns       int
	planOnly       bool
	floor          bool
	planRateLimit  bool
	applyRateLimit bool
	before         string
	beforeLimitMax int
	keep           bool
}

func run() error {
	var o options
	sizes := flag.String("sizes", "10,150,500", "managed meter counts N to measure, comma-separated")
	flag.StringVar(&o.terraform, "terraform", "terraform", "Terraform CLI to run")
	flag.IntVar(&o.extra, "extra", 80, "unmanaged live meters added to the organization for the second plan (T = N + extra)")
	flag.IntVar(&o.wideExtra, "wide-extra", 800, "unmanaged live meters in all for a third plan, of a large organization (T = N + wide-extra); 0 skips it")
	flag.BoolVar(&o.extraNewer, "extra-newer", false, "create the unmanaged live meters after the managed ones; by default they are older, so the managed meters fill the last list pages")
	flag.IntVar(&o.archived, "archived", 150, "unmanaged archived meters in the organization (archived out of band)")
	flag.DurationVar(&o.latency, "latency", 5*time.Millisecond, "latency the local server adds to every response")
	flag.IntVar(&o.runs, "runs", 1, "times each size is measured; the time tables show the median")
	flag.IntVar(&o.planRuns, "plan-runs", 1, "times each run repeats the plan with T = N in every workspace, in turns; the tables show the median")
	flag.BoolVar(&o.planOnly, "plan-only", false, "stop each size after its plans: no no-op apply, update or destroy")
	flag.BoolVar(&o.floor, "floor", true, "compare wall times with the plugin floor and terraform_data")
	flag.BoolVar(&o.planRateLimit, "plan-rate-limit", true, "repeat every plan under the rate limit of 20 requests per 5 s")
	flag.BoolVar(&o.applyRateLimit, "apply-rate-limit", true, "apply 100 meters under the rate limit, with and without the client-side limiter (about a minute)")
	flag.StringVar(&o.before, "before", "", "also measure the provider built from this git revision (e.g. 41d0b23, before schema 1.0), with block syntax")
	flag.IntVar(&o.beforeLimitMax, "before-rate-limit-max", 150, "largest N whose -before plan is repeated under the rate limit (it reads by ID: N/4 seconds)")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory")
	flag.Parse()

	var err error
	if o.sizes, err = parseSizes(*sizes); err != nil {
		return err
	}
	o.runs, o.planRuns = max(o.runs, 1), max(o.planRuns, 1)
	b, err := setUp(o)
	if err != nil {
		return err
	}
	defer b.close()

	b.printMachine()
	for run := range o.runs {
		for _, n := range o.sizes {
			if err := b.measureSize(n, run); err != nil {
				return err
			}
		}
	}
	b.report()
	if o.applyRateLimit {
		if err := b.applyUnderRateLimit(); err != nil {
			return err
		}
	}
	b.printLoad("end")
	if b.bugs > 0 {
		return fmt.Errorf("%d BUG line(s) above", b.bugs)
	}
	return nil
}

// The per-organization rate limit: Polar's sandbox limit (100 a minute) scaled down to windows of 5 s.
const (
	rateLimit  = 20
	rateWindow = 5 * time.Second
)

// Workspace kinds: what runs Terraform's plan.
const (
	kindPolar      = "polar_meter"
	kindBefore     = "before"
	kindFloor      = "floor"
	kindFloorQuiet = "floor, SDK logs off"
	kindData       = "terraform_data"
)

// Operations of the cycle.
const (
	opApply = "apply"
	opPlan  = "plan"
	// opPlanExtra and opPlanWide are the plans once the organization holds extra unmanaged live meters.
	opPlanExtra = "plan, T = N + extra"
	opPlanWide  = "plan, T = N + wide-extra"
	opNoop      = "no-op apply"
	opUpdate    = "update"
	opDelete    = "destroy"
)

var cycle = []string{opApply, opPlan, opNoop, opUpdate, opDelete}

var (
	applyArgs   = []string{"apply", "-auto-approve"}
	planArgs    = []string{"plan", "-detailed-exitcode"} // exit status 2 (changes) fails the run: a plan must be empty
	destroyArgs = []string{"destroy", "-auto-approve"}
)

// planKey names one plan measurement: N managed meters among T live ones.
type planKey struct{ n, t int }

// planResult is a plan's requests and wall times, without and with the rate limit, over the runs.
type planResult struct {
	requests      tally
	shape         string
	bound         int
	wall, limited []time.Duration
	limited429    int // over all runs
	limitedFailed int // runs that failed under the limit
	limitedShape  string
}

// beforeResult is the earlier provider's figures for one N.
type beforeResult struct {
	requests      tally
	shape         string
	limitedRan    bool
	limited       []time.Duration
	limited429    int
	limitedFailed int
}

// measureSize runs the whole cycle for n managed meters: on a fresh local server holding the unmanaged archived
// meters, it creates the n meters, plans with T = n and T = n + extra live meters (each also under the rate limit),
// applies with no change, updates every meter and destroys them; the floor, its quiet twin and terraform_data go
// through the same cycle beside it, operation by operation, and the earlier provider, if any, through create and plan.
func (b *bench) measureSize(n, run int) error {
	tag := fmt.Sprintf("%d-r%d", n, run+1)
	polarSrv, err := b.newTarget()
	if err != nil {
		return err
	}
	defer polarSrv.close()
	polarSrv.seedArchived(b.o.archived)
	polar, err := b.workspace(kindPolar, tag, polarSrv, b.rc, nil, func(suffix string) string { return b.polarConfig("", n, suffix) })
	if err != nil {
		return err
	}

	var before *workspace
	if b.beforeRC != "" {
		beforeSrv, err := b.newTarget()
		if err != nil {
			return err
		}
		defer beforeSrv.close()
		beforeSrv.seedArchived(b.o.archived)
		if before, err = b.workspace(kindBefore, tag, beforeSrv, b.beforeRC, nil, func(suffix string) string { return b.blockConfig(n, suffix) }); err != nil {
			return err
		}
	}
	var others []*workspace
	if b.o.floor {
		quiet := []string{"TF_LOG_SDK=off", "TF_LOG_SDK_PROTO=off", "TF_LOG_SDK_FRAMEWORK=off"}
		for _, w := range []struct {
			kind   string
			env    []string
			config func(string) string
		}{
			{kindFloor, nil, func(s string) string { return floorConfig(n, s) }},
			{kindFloorQuiet, quiet, func(s string) string { return floorConfig(n, s) }},
			{kindData, nil, func(s string) string { return dataConfig(n, s) }},
		} {
			ws, err := b.workspace(w.kind, tag, nil, b.rc, w.env, w.config)
			if err != nil {
				return err
			}
			others = append(others, ws)
		}
	}
	largest := n == slices.Max(b.o.sizes) && run == 0

	first := run == 0
	b.run = run

	// Create.
	for _, ws := range append(append([]*workspace{polar}, others...), nonNil(before)...) {
		if _, _, err := b.step(ws, n, first, opApply, applyArgs, nil, expectation{post: n}); err != nil {
			return err
		}
	}

	// Plan with T = n live meters, -plan-runs times, the workspaces taking turns and the polar plan followed each time
	// by the same plan under the rate limit, so that every ratio compares plans made side by side. The memory watch
	// samples the first of the largest plans. The earlier provider's limited plan (N/4 seconds) runs once.
	for rep := range b.o.planRuns {
		for _, ws := range append(append([]*workspace{polar}, others...), nonNil(before)...) {
			var watch *memoryWatch
			if largest && rep == 0 && (ws == polar || ws.kind == kindFloorQuiet) {
				watch = &memoryWatch{}
			}
			got, took, err := b.step(ws, n, first && rep == 0, opPlan, planArgs, watch, expectation{readBound: readBound(n, n)})
			if err != nil {
				return err
			}
			if watch != nil {
				b.memory = append(b.memory, memoryPeak{kind: ws.kind, n: n, provider: watch.provider, terraform: watch.terraform, instances: len(watch.seen)})
			}
			switch ws {
			case polar:
				b.recordPlan(planKey{n, n}, got, polar.srv.lastRequests, took)
				if b.o.planRateLimit {
					b.limitedPlan(polar, planKey{n, n})
				}
			case before:
				r := b.beforeResult(n)
				r.requests, r.shape = got, shape(before.srv.lastRequests)
			}
		}
	}
	if b.o.planRateLimit && before != nil && n <= b.o.beforeLimitMax {
		b.limitedBeforePlan(before, n)
	}

	// Plan with T = n + extra: unmanaged live meters made in the organization directly, by default older than the
	// managed ones (so these fill the last list pages).
	polarSrv.seedLive(b.o.extra, !b.o.extraNewer)
	live := n + b.o.extra
	if err := b.extraPlans(polar, n, live, opPlanExtra, first); err != nil {
		return err
	}

	// A large organization: T = n + wide-extra live meters. The wide extras are removed again afterwards (deleted out of
	// band, as only the benchmark can) so that the cycle goes on with T = n + extra.
	if b.o.wideExtra > b.o.extra {
		ids := polarSrv.seedLive(b.o.wideExtra-b.o.extra, !b.o.extraNewer)
		if err := b.extraPlans(polar, n, n+b.o.wideExtra, opPlanWide, first); err != nil {
			return err
		}
		for _, id := range ids {
			polarSrv.polar.DeleteOutOfBand(id)
		}
	}

	if b.o.planOnly {
		return nil
	}

	// No-op apply, update of every meter, destroy: still T = n + extra for the polar workspace.
	bound := readBound(n, live)
	others = append([]*workspace{polar}, others...)
	for _, ws := range others {
		if _, _, err := b.step(ws, n, first, opNoop, applyArgs, nil, expectation{readBound: bound}); err != nil {
			return err
		}
	}
	for _, ws := range others {
		if err := ws.write("-renamed"); err != nil {
			return err
		}
		if _, _, err := b.step(ws, n, first, opUpdate, applyArgs, nil, expectation{readBound: bound, patch: n}); err != nil {
			return err
		}
	}
	for _, ws := range others {
		if _, _, err := b.step(ws, n, first, opDelete, destroyArgs, nil, expectation{readBound: bound, patch: n}); err != nil {
			return err
		}
	}
	return nil
}

// extraPlans plans -plan-runs times with T live meters, each plan followed by the same under the rate limit.
func (b *bench) extraPlans(polar *workspace, n, live int, op string, first bool) error {
	for rep := range b.o.planRuns {
		got, took, err := b.step(polar, n, first && rep == 0, op, planArgs, nil, expectation{readBound: readBound(n, live)})
		if err != nil {
			return err
		}
		b.recordPlan(planKey{n, live}, got, polar.srv.lastRequests, took)
		if b.o.planRateLimit {
			b.limitedPlan(polar, planKey{n, live})
		}
	}
	return nil
}

func nonNil(ws *workspace) []*workspace {
	if ws == nil {
		return nil
	}
	return []*workspace{ws}
}

// step runs one Terraform command in ws, records its wall time under op, and, for a workspace with a server, checks
// its requests against want (the earlier provider's are recorded, not checked: they are what the change improved on).
// The requests of the first run (first) go into the requests table.
func (b *bench) step(ws *workspace, n int, first bool, op string, args []string, watch *memoryWatch, want expectation) (tally, time.Duration, error) {
	log.Printf("N=%d run %d/%d: %s, %s", n, b.run+1, b.o.runs, ws.kind, op)
	live := 0
	if ws.srv != nil {
		live = ws.srv.live() // T as the command starts: destroy archives the managed meters
	}
	took, err := b.terraformRun(ws, args, watch)
	if err != nil {
		b.bug("%s %s of %d meters failed: %v", ws.kind, op, n, err)
		return tally{}, took, fmt.Errorf("%s %s, N=%d: %w", ws.kind, op, n, err)
	}
	if op != opPlanExtra && op != opPlanWide { // those plans' times are kept in their planResult
		record(b.times, n, op, ws.kind, took)
		record(b.cpu, n, op, ws.kind, ws.lastCPU)
	}
	if ws.srv == nil {
		return tally{}, took, nil
	}
	got := countRequests(ws.srv.lastRequests)
	name, allowed, verdict := ws.kind, want.String(), "ok"
	if ws.kind == kindBefore {
		name, allowed, verdict = kindPolar+" at "+b.o.before, "-", "(not checked)"
	} else if why := want.excess(got); why != "" {
		verdict = "BUG"
		b.bug("%s %s of N=%d meters (T=%d live, %d archived): %s; request log: %s", ws.kind, op, n, live, b.o.archived, why, shape(ws.srv.lastRequests))
	}
	if first {
		b.requestRows = append(b.requestRows, fmt.Sprintf("%s\t%d\t%d\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s",
			name, n, live, op, got.post, got.get, got.patch, got.list, got.limited, got.other, allowed, verdict,
			clip(shape(ws.srv.lastRequests), 70)))
	}
	return got, took, nil
}

// record keeps a wall or CPU time of the cycle.
func record(into map[int]map[string]map[string][]time.Duration, n int, op, kind string, d time.Duration) {
	if into[n] == nil {
		into[n] = map[string]map[string][]time.Duration{}
	}
	if into[n][op] == nil {
		into[n][op] = map[string][]time.Duration{}
	}
	into[n][op][kind] = append(into[n][op][kind], d)
}

// recordPlan keeps a plan's requests and wall time.
func (b *bench) recordPlan(k planKey, got tally, requests []localpolar.RecordedRequest, took time.Duration) {
	r := b.plans[k]
	if r == nil {
		r = &planResult{bound: readBound(k.n, k.t), requests: got, shape: shape(requests)}
		b.plans[k] = r
		b.planOrder = append(b.planOrder, k)
	}
	if got.reads() > r.requests.reads() { // the table shows the worst run
		r.requests, r.shape = got, shape(requests)
	}
	r.wall = append(r.wall, took)
}

// limitedPlan repeats the polar plan under the rate limit, in fresh windows.
func (b *bench) limitedPlan(ws *workspace, k planKey) {
	log.Printf("N=%d, T=%d: plan under %d requests per %v", k.n, k.t, rateLimit, rateWindow)
	took, got, err := b.underLimit(ws)
	r := b.plans[k]
	r.limited = append(r.limited, took)
	r.limited429 += got.limited
	r.limitedShape = shape(ws.srv.lastRequests)
	if err != nil {
		r.limitedFailed++
		b.bug("plan of N=%d meters (T=%d) under the rate limit failed: %v", k.n, k.t, err)
		return
	}
	if why := (expectation{readBound: r.bound, limited: true}).excess(got); why != "" {
		b.bug("plan of N=%d meters (T=%d) under the rate limit: %s; request log: %s", k.n, k.t, why, r.limitedShape)
	}
}

func (b *bench) limitedBeforePlan(ws *workspace, n int) {
	log.Printf("N=%d: earlier provider's plan under %d requests per %v (it reads by ID: about %v)", n, rateLimit, rateWindow,
		time.Duration(n)*rateWindow/rateLimit)
	took, got, err := b.underLimit(ws)
	r := b.beforeResult(n)
	r.limitedRan = true
	r.limited = append(r.limited, took)
	r.limited429 += got.limited
	if err != nil {
		r.limitedFailed++
		log.Printf("earlier provider's plan under the rate limit failed (not a BUG of this provider): %v", err)
	}
}

// underLimit runs a plan in ws with its server limited to rateLimit requests per rateWindow, in fresh windows.
func (b *bench) underLimit(ws *workspace) (time.Duration, tally, error) {
	ws.srv.polar.SetRateLimit(rateLimit, rateWindow)
	defer ws.srv.polar.SetRateLimit(0, 0)
	took, err := b.terraformRun(ws, planArgs, nil)
	return took, countRequests(ws.srv.lastRequests), err
}

func (b *bench) beforeResult(n int) *beforeResult {
	if b.before[n] == nil {
		b.before[n] = &beforeResult{}
	}
	return b.before[n]
}

func (b *bench) bug(format string, args ...any) {
	b.bugs++
	fmt.Printf("BUG: "+format+"\n", args...)
}

// --- Configurations ---

// polarConfig is n minimal meters (schema 1.0: filter and aggregation as nested attributes) under an optional
// provider block; suffix is appended to every name.
func (b *bench) polarConfig(providerBlock string, n int, suffix string) string {
	return b.required("polar", b.address) + providerBlock + fmt.Sprintf(`resource "polar_meter" "bench" {
  count       = %d
  name        = "bench-${count.index}%s"
  filter      = { conjunction = "and" }
  aggregation = { func = "count" }
}
`, n, suffix)
}

// blockConfig is the same meters in the syntax of the provider before schema 1.0: filter and aggregation as blocks.
func (b *bench) blockConfig(n int, suffix string) string {
	return b.required("polar", b.address) + fmt.Sprintf(`resource "polar_meter" "bench" {
  count = %d
  name  = "bench-${count.index}%s"
  filter {
    conjunction = "and"
  }
  aggregation {
    func = "count"
  }
}
`, n, suffix)
}

func floorConfig(n int, suffix string) string {
	return fmt.Sprintf("terraform {\n  required_providers {\n    floor = { source = %q }\n  }\n}\n", floorAddress) +
		fmt.Sprintf("resource \"floor_thing\" \"bench\" {\n  count = %d\n  name  = \"bench-${count.index}%s\"\n}\n", n, suffix)
}

func dataConfig(n int, suffix string) string {
	return fmt.Sprintf("resource \"terraform_data\" \"bench\" {\n  count = %d\n  input = \"bench-${count.index}%s\"\n}\n", n, suffix)
}

func (b *bench) required(name, source string) string {
	return fmt.Sprintf("terraform {\n  required_providers {\n    %s = { source = %q }\n  }\n}\n", name, source)
}

// --- Helpers ---

func parseSizes(s string) ([]int, error) {
	var out []int
	for _, field := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("invalid size %q", field)
		}
		out = append(out, n)
	}
	return out, nil
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	return sorted[len(sorted)/2]
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func tail(s string, lines int) string {
	all := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n")
}

// writeFile writes a file of the work directory.
func writeFile(dir, name, content string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600)
}
