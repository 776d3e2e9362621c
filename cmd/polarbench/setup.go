package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/polar-terraform/terraform-provider-polar/internal/localpolar"
)

// bench holds what every section uses: the options, the work directory, the providers built into it, and what was
// measured.
type bench struct {
	o         options
	terraform string
	address   string
	work      string
	baseEnv   []string
	rc        string // CLI configuration with dev_overrides for this provider and the floor
	beforeRC  string // CLI configuration for the earlier provider; "" without -before
	bugs      int
	run       int // the run under way, from 0

	requestRows []string
	times       map[int]map[string]map[string][]time.Duration // N → operation → workspace kind → wall times
	cpu         map[int]map[string]map[string][]time.Duration // the same for CPU times
	plans       map[planKey]*planResult
	planOrder   []planKey
	before      map[int]*beforeResult
	memory      []memoryPeak
}

// setUp builds the provider (and the floor, and the earlier provider if asked) and writes the CLI configurations.
func setUp(o options) (*bench, error) {
	terraform, err := exec.LookPath(o.terraform)
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
	b := &bench{o: o, terraform: terraform, address: address, work: work,
		times: map[int]map[string]map[string][]time.Duration{}, cpu: map[int]map[string]map[string][]time.Duration{}, plans: map[planKey]*planResult{}, before: map[int]*beforeResult{}}
	if err := b.build(); err != nil {
		_ = os.RemoveAll(work)
		return nil, err
	}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "POLAR_") && !strings.HasPrefix(kv, "TF_") {
			b.baseEnv = append(b.baseEnv, kv)
		}
	}
	b.baseEnv = append(b.baseEnv, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "POLAR_ACCESS_TOKEN="+localpolar.DefaultToken)
	return b, nil
}

// build builds the providers into the work directory and writes a CLI configuration pointing Terraform at them.
func (b *bench) build() error {
	bin := filepath.Join(b.work, "bin")
	log.Printf("building the provider into %s", bin)
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "terraform-provider-polar"), ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building the provider: %w", err)
	}
	overrides := map[string]string{b.address: bin}
	if b.o.floor {
		floorBin := filepath.Join(b.work, "bin-floor")
		log.Printf("building the plugin floor (a minimal terraform-plugin-framework provider) into %s", floorBin)
		if err := buildFloor(filepath.Join(b.work, "floor-src"), floorBin); err != nil {
			return fmt.Errorf("building the plugin floor: %w", err)
		}
		overrides[floorAddress] = floorBin
	}
	var err error
	if b.rc, err = b.cliConfig("terraformrc", overrides); err != nil {
		return err
	}
	if b.o.before != "" {
		beforeBin := filepath.Join(b.work, "bin-before")
		log.Printf("building the provider at %s into %s", b.o.before, beforeBin)
		if err := buildAt(b.o.before, filepath.Join(b.work, "before-src"), beforeBin); err != nil {
			return fmt.Errorf("building the provider at %s: %w", b.o.before, err)
		}
		if b.beforeRC, err = b.cliConfig("terraformrc-before", map[string]string{b.address: beforeBin}); err != nil {
			return err
		}
	}
	return nil
}

func (b *bench) cliConfig(name string, overrides map[string]string) (string, error) {
	var lines strings.Builder
	for address, dir := range overrides {
		fmt.Fprintf(&lines, "    %q = %q\n", address, dir)
	}
	rc := filepath.Join(b.work, name)
	return rc, os.WriteFile(rc, []byte("provider_installation {\n  dev_overrides {\n"+lines.String()+"  }\n  direct {}\n}\n"), 0o600)
}

func (b *bench) close() {
	if b.o.keep {
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

// --- Local servers ---

// target is one local Polar-compatible server, on 127.0.0.1, with its own organization's meters and rate budget.
type target struct {
	polar        *localpolar.Server
	http         *http.Server
	url          string
	lastRequests []localpolar.RecordedRequest // of the last Terraform command run against it
	seeded       int                          // batches of meters seeded
}

func (b *bench) newTarget() (*target, error) {
	server := localpolar.New(localpolar.Options{})
	server.SetLatency(b.o.latency)
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	httpServer := &http.Server{Handler: server, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = httpServer.Serve(listener) }()
	return &target{polar: server, http: httpServer, url: "http://" + listener.Addr().String()}, nil
}

func (t *target) close() { _ = t.http.Close() }

// seedArchived stores n meters in the organization and archives them as the dashboard would: unmanaged, archived.
// They are the oldest meters.
func (t *target) seedArchived(n int) {
	for _, id := range t.seed("archived", n, time.Now().Add(-48*time.Hour)) {
		t.polar.ArchiveOutOfBand(id)
	}
}

// seedLive stores n unmanaged live meters in the organization, as made in the dashboard: older than the managed
// meters when older is set, else created now.
func (t *target) seedLive(n int, older bool) []string {
	var at time.Time
	if older {
		at = time.Now().Add(-24 * time.Hour)
	}
	return t.seed("unmanaged", n, at)
}

// seed stores n meters made at (a millisecond apart), or now when at is zero.
func (t *target) seed(prefix string, n int, at time.Time) []string {
	if n <= 0 {
		return nil
	}
	t.seeded++
	meters := make([]map[string]any, n)
	for i := range meters {
		meters[i] = map[string]any{
			"name":        fmt.Sprintf("%s-%d-%d", prefix, t.seeded, i),
			"filter":      map[string]any{"conjunction": "and", "clauses": []any{}},
			"aggregation": map[string]any{"func": "count"},
		}
		if !at.IsZero() {
			meters[i]["created_at"] = at.Add(time.Duration(t.seeded)*time.Minute + time.Duration(i)*time.Millisecond).UTC().Format(time.RFC3339Nano)
		}
	}
	raw, _ := json.Marshal(meters)
	ids, err := t.polar.PutMeters(raw)
	if err != nil {
		panic("polarbench: seeding meters: " + err.Error())
	}
	return ids
}

// live counts the organization's live meters: T.
func (t *target) live() int {
	var meters []struct {
		ArchivedAt *string `json:"archived_at"`
	}
	_ = json.Unmarshal(t.polar.MetersJSON(), &meters)
	n := 0
	for _, m := range meters {
		if m.ArchivedAt == nil {
			n++
		}
	}
	return n
}

// --- Workspaces and Terraform runs ---

// workspace is a directory holding main.tf and its state, run with its own CLI configuration, server and environment.
type workspace struct {
	kind   string
	dir    string
	srv    *target // nil: no API
	env    []string
	config func(suffix string) string
	// lastCPU is the CPU time (user + sys) of the last command: terraform and the plugins it ran.
	lastCPU time.Duration
}

func (b *bench) workspace(kind, tag string, srv *target, rc string, env []string, config func(string) string) (*workspace, error) {
	ws := &workspace{kind: kind, dir: filepath.Join(b.work, sanitize(kind+"-"+tag)), srv: srv, config: config,
		env: append(append([]string{"TF_CLI_CONFIG_FILE=" + rc}, env...), b.baseEnv...)}
	if srv != nil {
		ws.env = append(ws.env, "POLAR_SERVER_URL="+srv.url)
	}
	return ws, ws.write("")
}

func (ws *workspace) write(suffix string) error {
	return writeFile(ws.dir, "main.tf", ws.config(suffix))
}

func sanitize(name string) string {
	return regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(name, "_")
}

// terraformRun runs one Terraform command in ws and returns its wall time; watch, if any, samples memory meanwhile.
// The requests the server received during the command are left in ws.srv.lastRequests.
func (b *bench) terraformRun(ws *workspace, args []string, watch *memoryWatch) (time.Duration, error) {
	cmd := exec.Command(b.terraform, append(args, "-input=false", "-no-color")...)
	cmd.Dir = ws.dir
	cmd.Env = ws.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if ws.srv != nil {
		ws.srv.polar.ResetRequests()
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	done, sampled := make(chan struct{}), make(chan struct{})
	if watch != nil {
		go func() { watch.sample(cmd.Process.Pid, done); close(sampled) }()
	} else {
		close(sampled)
	}
	err := cmd.Wait()
	took := time.Since(start)
	ws.lastCPU = 0
	if cmd.ProcessState != nil {
		// wait4's usage of terraform includes the processes it waited for: its provider plugins.
		ws.lastCPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	close(done)
	<-sampled
	if ws.srv != nil {
		ws.srv.lastRequests = ws.srv.polar.Requests()
	}
	if err != nil {
		return took, fmt.Errorf("terraform %s: %w\n%s", strings.Join(args, " "), err, tail(out.String(), 40))
	}
	return took, nil
}

// --- Memory ---

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
			// comm is cut at 15 characters: terraform-provider-polar and terraform-provider-floor both read so.
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

// memoryPeak is what the memory section reports for one plan.
type memoryPeak struct {
	kind                              string
	n, provider, terraform, instances int
}

// --- Machine ---

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
	fmt.Printf("date: %s\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Printf("machine: %d CPUs (%s), %s memory, %s/%s; %s; Terraform %s\n", runtime.NumCPU(), cpu, mem,
		runtime.GOOS, runtime.GOARCH, runtime.Version(), tfVersion)
	b.printLoad("start")
	fmt.Printf("server: local Polar-compatible server in this process, one per workspace, %v latency per response; "+
		"Terraform -parallelism 10 (default); %d run(s)\n", b.o.latency, b.o.runs)
	fmt.Printf("organization: N managed meters, %d unmanaged archived meters (archived out of band), and for the second plan "+
		"%d unmanaged live meters (T = N + %d)\n", b.o.archived, b.o.extra, b.o.extra)
}

func (b *bench) printLoad(when string) {
	if f, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Printf("load average at %s: %s\n", when, strings.Join(strings.Fields(string(f))[:3], " "))
	}
}
