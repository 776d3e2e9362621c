// Command polarbench measures the provider with the real Terraform CLI and the real provider binary against the local
// Polar-compatible server: requests per operation against the API-call floor, wall time against Terraform's built-in
// terraform_data, apply time under a rate limit against its floor, and the provider's peak memory. It prints one table
// per section and a BUG line for every request beyond the floor. Run it from the repository root: `make bench`.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
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

func run() error {
	terraform := flag.String("terraform", "terraform", "Terraform CLI to run")
	sizes := flag.String("sizes", "10,100,500", "meter counts to measure, comma-separated")
	latency := flag.Duration("latency", 5*time.Millisecond, "latency the local server adds to every response")
	runs := flag.Int("runs", 1, "times each size is measured; the wall-time table shows the median")
	rateLimit := flag.Bool("rate-limit", true, "run the rate-limit section (about two minutes)")
	keep := flag.Bool("keep", false, "keep the work directory")
	flag.Parse()

	counts, err := parseSizes(*sizes)
	if err != nil {
		return err
	}
	b, err := setUp(*terraform, *latency)
	if err != nil {
		return err
	}
	defer b.close(*keep)

	b.printMachine()
	if err := b.floorAndTime(counts, max(*runs, 1)); err != nil {
		return err
	}
	if *rateLimit {
		if err := b.underRateLimit(); err != nil {
			return err
		}
	}
	if b.bugs > 0 {
		return fmt.Errorf("%d BUG line(s) above", b.bugs)
	}
	return nil
}

// bench holds what every section uses: the work directory, the provider built into it, and the local server.
type bench struct {
	terraform string
	address   string
	work      string
	env       []string
	server    *localpolar.Server
	http      *http.Server
	latency   time.Duration
	bugs      int
}

// setUp builds the provider, writes a CLI configuration pointing Terraform at it, and starts the local server.
func setUp(terraform string, latency time.Duration) (*bench, error) {
	terraform, err := exec.LookPath(terraform)
	if err != nil {
		return nil, err
	}
	address, err := providerAddress("main.go")
	if err != nil {
		return nil, fmt.Errorf("run polarbench from the repository root: %w", err)
	}
	work, err := os.MkdirTemp("", "polarbench-")
	if err != nil {
		return nil, err
	}
	b := &bench{terraform: terraform, address: address, work: work, latency: latency}
	if err := b.start(); err != nil {
		_ = os.RemoveAll(work)
		return nil, err
	}
	return b, nil
}

// start builds the provider into the work directory, writes the CLI configuration and starts the server.
func (b *bench) start() error {
	bin := filepath.Join(b.work, "bin")
	log.Printf("building the provider into %s", bin)
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "terraform-provider-polar"), ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building the provider: %w", err)
	}
	rc := filepath.Join(b.work, "terraformrc")
	overrides := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    %q = %q\n  }\n  direct {}\n}\n", b.address, bin)
	if err := os.WriteFile(rc, []byte(overrides), 0o600); err != nil {
		return err
	}

	server := localpolar.New(localpolar.Options{})
	server.SetLatency(b.latency)
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	httpServer := &http.Server{Handler: server, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = httpServer.Serve(listener) }()

	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "POLAR_") && !strings.HasPrefix(kv, "TF_") {
			env = append(env, kv)
		}
	}
	env = append(env, "TF_CLI_CONFIG_FILE="+rc, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1",
		"POLAR_SERVER_URL=http://"+listener.Addr().String(), "POLAR_ACCESS_TOKEN="+localpolar.DefaultToken)
	b.env, b.server, b.http = env, server, httpServer
	return nil
}

func (b *bench) close(keep bool) {
	_ = b.http.Close()
	if keep {
		log.Printf("work directory kept: %s", b.work)
		return
	}
	_ = os.RemoveAll(b.work)
}

// providerAddress reads the provider address from main.go, where alone it is declared.
func providerAddress(mainGo string) (string, error) {
	src, err := os.ReadFile(mainGo)
	if err != nil {
		return "", err
	}
	m := regexp.MustCompile(`Address:\s*"([^"]+)"`).FindSubmatch(src)
	if m == nil {
		return "", errors.New("no provider Address in main.go")
	}
	return string(m[1]), nil
}

// printMachine prints what the figures depend on.
func (b *bench) printMachine() {
	cpu, mem := "unknown", "unknown"
	if f, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if m := regexp.MustCompile(`(?m)^model name\s*:\s*(.+)$`).FindSubmatch(f); m != nil {
			cpu = string(m[1])
		}
	}
	if f, err := os.ReadFile("/proc/meminfo"); err == nil {
		if m := regexp.MustCompile(`(?m)^MemTotal:\s*(\d+) kB`).FindSubmatch(f); m != nil {
			kb, _ := strconv.Atoi(string(m[1]))
			mem = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
		}
	}
	tfVersion := "unknown"
	if out, err := exec.Command(b.terraform, "version", "-json").Output(); err == nil {
		var v struct {
			TerraformVersion string `json:"terraform_version"`
		}
		if json.Unmarshal(out, &v) == nil {
			tfVersion = v.TerraformVersion
		}
	}
	load := "unknown"
	if f, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(f))[:3], " ")
	}
	fmt.Printf("machine: %d CPUs (%s), %s memory, %s/%s; %s; Terraform %s; load average %s at start\n", runtime.NumCPU(), cpu, mem,
		runtime.GOOS, runtime.GOARCH, runtime.Version(), tfVersion, load)
	fmt.Printf("server: local Polar-compatible server in this process, %v latency per response; Terraform -parallelism 10 (default)\n", b.latency)
}

// --- Section 1: requests per operation and wall time against terraform_data ---

// operation is one Terraform command of the cycle every size goes through.
type operation struct {
	name string
	args []string
	want func(n int) tally // the API-call floor
}

var cycle = []operation{
	{"apply", []string{"apply", "-auto-approve"}, func(n int) tally { return tally{post: n} }},
	{"plan", []string{"plan", "-detailed-exitcode"}, func(n int) tally { return tally{get: n} }},
	{"no-op apply", []string{"apply", "-auto-approve"}, func(n int) tally { return tally{get: n} }},
	// destroy refreshes first (one GET each, as Terraform does for every provider), then archives (one PATCH each).
	{"destroy", []string{"destroy", "-auto-approve"}, func(n int) tally { return tally{get: n, patch: n} }},
}

// goals are the wall-time goals against terraform_data.
var goals = map[string]float64{"plan": 1.5, "apply": 2}

// timing is one operation's wall times, over the runs.
type timing struct {
	polar, data []time.Duration
}

func (b *bench) floorAndTime(counts []int, runs int) error {
	times := map[int]map[string]*timing{}
	var tallies []string
	peak := memoryPeak{}
	for _, n := range counts {
		polarDir, err := b.workspace(fmt.Sprintf("polar-%d", n), b.polarConfig("", n))
		if err != nil {
			return err
		}
		dataDir, err := b.workspace(fmt.Sprintf("data-%d", n), fmt.Sprintf("resource \"terraform_data\" \"x\" {\n  count = %d\n  input = count.index\n}\n", n))
		if err != nil {
			return err
		}
		times[n] = map[string]*timing{}
		for run := range runs {
			for _, op := range cycle {
				log.Printf("N=%d run %d/%d: %s", n, run+1, runs, op.name)
				b.server.ResetRequests()
				var watch *memoryWatch
				if n == slices.Max(counts) && op.name == "plan" && run == 0 {
					watch = &memoryWatch{}
				}
				took, err := b.terraformRun(polarDir, op.args, watch)
				if err != nil {
					return fmt.Errorf("polar %s, N=%d: %w", op.name, n, err)
				}
				if watch != nil {
					peak = memoryPeak{n: n, provider: watch.provider, terraform: watch.terraform, instances: len(watch.seen)}
				}
				got := countRequests(b.server.Requests())
				if run == 0 {
					tallies = append(tallies, b.tallyRow(op, n, got))
				}
				dataTook, err := b.terraformRun(dataDir, op.args, nil)
				if err != nil {
					return fmt.Errorf("terraform_data %s, N=%d: %w", op.name, n, err)
				}
				t := times[n][op.name]
				if t == nil {
					t = &timing{}
					times[n][op.name] = t
				}
				t.polar = append(t.polar, took)
				t.data = append(t.data, dataTook)
			}
		}
	}

	fmt.Printf("\n## Requests per operation (floor: apply = N POST, plan = N GET, no-op apply = N GET, destroy = N GET + N PATCH)\n\n")
	table("N\toperation\tPOST\tGET\tPATCH\tlist\t429\tother\tfloor\tverdict", tallies)

	var rows []string
	for _, n := range counts {
		for _, op := range cycle {
			t := times[n][op.name]
			p, d := median(t.polar), median(t.data)
			ratio := p.Seconds() / d.Seconds()
			goal, verdict := "-", "-"
			if g, ok := goals[op.name]; ok {
				goal = fmt.Sprintf("≤ %.1f×", g)
				verdict = "met"
				if ratio > g {
					verdict = "NOT met"
				}
			}
			rows = append(rows, fmt.Sprintf("%d\t%s\t%.2f s\t%.2f s\t%.2f×\t%s\t%s", n, op.name, p.Seconds(), d.Seconds(), ratio, goal, verdict))
		}
	}
	fmt.Printf("\n## Wall time against terraform_data (%v latency, median of %d run(s))\n\n", b.latency, runs)
	table("N\toperation\tpolar_meter\tterraform_data\tratio\tgoal\tverdict", rows)

	if peak.instances > 0 {
		fmt.Printf("\n## Peak memory during the %d-meter plan (VmHWM)\n\n", peak.n)
		table("process\tpeak RSS", []string{
			fmt.Sprintf("terraform-provider-polar (largest of %d instance(s))\t%.1f MiB", peak.instances, float64(peak.provider)/1024),
			fmt.Sprintf("terraform\t%.1f MiB", float64(peak.terraform)/1024),
		})
	}
	return nil
}

// tallyRow formats one operation's request counts, printing a BUG line when they are not the floor.
func (b *bench) tallyRow(op operation, n int, got tally) string {
	want := op.want(n)
	verdict := "at floor"
	if got != want {
		verdict = "BUG"
		b.bugs++
		fmt.Printf("BUG: %s of %d meters sent %s; the floor is %s\n", op.name, n, got, want)
	}
	return fmt.Sprintf("%d\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s", n, op.name, got.post, got.get, got.patch, got.list, got.limited, got.other, want, verdict)
}

// tally counts requests by kind; 429s are counted apart from the method they refused.
type tally struct {
	post, get, patch, list, limited, other int
}

func (t tally) String() string {
	var parts []string
	for _, p := range []struct {
		name string
		n    int
	}{{"POST", t.post}, {"GET", t.get}, {"PATCH", t.patch}, {"list", t.list}, {"429", t.limited}, {"other", t.other}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.name))
		}
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, " + ")
}

func countRequests(requests []localpolar.RecordedRequest) tally {
	var t tally
	for _, r := range requests {
		onMeter := strings.HasPrefix(r.Path, "/v1/meters/") && r.Path != "/v1/meters/"
		switch {
		case r.Status == http.StatusTooManyRequests:
			t.limited++
		case r.Method == http.MethodPost && r.Path == "/v1/meters/":
			t.post++
		case r.Method == http.MethodGet && onMeter:
			t.get++
		case r.Method == http.MethodPatch && onMeter:
			t.patch++
		case r.Method == http.MethodGet && r.Path == "/v1/meters/":
			t.list++
		default:
			t.other++
		}
	}
	return t
}

// --- Section 2: apply under a rate limit, without and with the client-side limiter ---

func (b *bench) underRateLimit() error {
	const (
		n      = 100
		limit  = 20
		window = 5 * time.Second
	)
	floor := time.Duration(n) * window / limit
	var rows []string
	for _, c := range []struct {
		name, block string
	}{
		{"no client-side limit", ""},
		{"max_requests_per_minute = 240", "provider \"polar\" {\n  max_requests_per_minute = 240\n}\n"},
	} {
		dir, err := b.workspace("ratelimit-"+strings.Fields(c.name)[0], b.polarConfig(c.block, n))
		if err != nil {
			return err
		}
		log.Printf("rate limit %d per %v: apply of %d meters, %s", limit, window, n, c.name)
		b.server.ResetRequests()
		b.server.SetRateLimit(limit, window) // fresh windows
		took, applyErr := b.terraformRun(dir, []string{"apply", "-auto-approve"}, nil)
		requests := b.server.Requests()
		b.server.SetRateLimit(0, 0)
		got, failures := countRequests(requests), 0
		for _, r := range requests {
			if r.Status != http.StatusCreated && r.Status != http.StatusTooManyRequests {
				failures++
			}
		}
		if applyErr != nil || failures > 0 || got.post != n {
			b.bugs++
			fmt.Printf("BUG: apply of %d meters under the rate limit (%s): %d created, %d failed requests, error %v\n",
				n, c.name, got.post, failures, applyErr)
		}
		ratio := took.Seconds() / floor.Seconds()
		verdict := "met"
		if ratio > 1.2 || applyErr != nil || failures > 0 {
			verdict = "NOT met"
		}
		rows = append(rows, fmt.Sprintf("%s\t%.1f s\t%.1f s\t%.2f×\t%d\t%d\t%d\t%s", c.name, took.Seconds(), floor.Seconds(), ratio, got.post, got.limited, failures, verdict))
		log.Printf("destroying the %d meters without the rate limit", n)
		if _, err := b.terraformRun(dir, []string{"destroy", "-auto-approve"}, nil); err != nil {
			return err
		}
	}
	fmt.Printf("\n## Apply of %d meters under a rate limit of %d requests per %v (floor = %d ÷ (%d/%v) = %v)\n\n", n, limit, window, n, limit, window, floor)
	table("client\twall time\tfloor\tratio\tmeters created\t429s\tfailed requests\tgoal ≤ 1.2×, no failure", rows)
	return nil
}

// --- Helpers ---

// polarConfig is n minimal meters under an optional provider block.
func (b *bench) polarConfig(providerBlock string, n int) string {
	return fmt.Sprintf("terraform {\n  required_providers {\n    polar = { source = %q }\n  }\n}\n", b.address) +
		providerBlock + fmt.Sprintf(`resource "polar_meter" "bench" {
  count = %d
  name  = "bench-${count.index}"
  filter {
    conjunction = "and"
  }
  aggregation {
    func = "count"
  }
}
`, n)
}

// workspace makes a directory holding main.tf.
func (b *bench) workspace(name, config string) (string, error) {
	dir := filepath.Join(b.work, name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	return dir, os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o600)
}

// terraformRun runs one Terraform command in dir and returns its wall time; watch, if any, samples memory meanwhile.
func (b *bench) terraformRun(dir string, args []string, watch *memoryWatch) (time.Duration, error) {
	cmd := exec.Command(b.terraform, append(args, "-input=false", "-no-color")...)
	cmd.Dir = dir
	cmd.Env = b.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	done := make(chan struct{})
	if watch != nil {
		go watch.sample(cmd.Process.Pid, done)
	}
	err := cmd.Wait()
	took := time.Since(start)
	close(done)
	if err != nil {
		return took, fmt.Errorf("terraform %s: %w\n%s", strings.Join(args, " "), err, tail(out.String(), 40))
	}
	return took, nil
}

// memoryWatch samples the peak resident memory (VmHWM) of a terraform process and of its provider children.
type memoryWatch struct {
	provider, terraform int // KiB
	seen                map[int]bool
}

func (w *memoryWatch) sample(pid int, done <-chan struct{}) {
	w.seen = map[int]bool{}
	ticker := time.NewTicker(20 * time.Millisecond)
	defer ticker.Stop()
	for {
		w.terraform = max(w.terraform, vmHWM(pid))
		for _, child := range children(pid) {
			if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", child)); strings.HasPrefix(string(comm), "terraform-provi") {
				w.seen[child] = true
				w.provider = max(w.provider, vmHWM(child))
			}
		}
		select {
		case <-done:
			return
		case <-ticker.C:
		}
	}
}

// children lists the processes whose parent is pid.
func children(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", child))
		if err != nil {
			continue
		}
		// stat is "pid (comm) state ppid ...": comm may hold spaces, so read after its closing parenthesis.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			out = append(out, child)
		}
	}
	return out
}

// vmHWM reads a process's peak resident set size in KiB; 0 once it is gone.
func vmHWM(pid int) int {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		if value, ok := strings.CutPrefix(scanner.Text(), "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(value), " kB"))
			return kb
		}
	}
	return 0
}

// memoryPeak is what the memory section reports.
type memoryPeak struct {
	n, provider, terraform, instances int
}

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
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	return sorted[len(sorted)/2]
}

func table(header string, rows []string) {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, header)
	for _, row := range rows {
		fmt.Fprintln(w, row)
	}
	_ = w.Flush()
}

func tail(s string, lines int) string {
	all := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n")
}
