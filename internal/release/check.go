// Package release checks goreleaser's dist/ directory against what the Terraform Registry requires of a provider
// release. Each check returns the problems it found, so the same checks run on a real snapshot (make
// release-snapshot) and on deliberately broken copies (the package's tests).
package release

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// ProjectName is the release's project name, the prefix of every artifact.
const ProjectName = "terraform-provider-polar"

// ModulePath is the Go module the binaries are built from.
const ModulePath = "github.com/polar-terraform/terraform-provider-polar"

// Platform is an OS/architecture pair the release ships a zip for.
type Platform struct{ OS, Arch string }

func (p Platform) String() string { return p.OS + "_" + p.Arch }

// Platforms is the release matrix: linux, darwin, windows and freebsd on amd64 and arm64, plus 386 and arm where Go
// supports them (darwin has neither; windows/arm was removed in Go 1.26).
var Platforms = []Platform{
	{"linux", "amd64"}, {"linux", "arm64"}, {"linux", "386"}, {"linux", "arm"},
	{"darwin", "amd64"}, {"darwin", "arm64"},
	{"windows", "amd64"}, {"windows", "arm64"}, {"windows", "386"},
	{"freebsd", "amd64"}, {"freebsd", "arm64"}, {"freebsd", "386"}, {"freebsd", "arm"},
}

// ZipName is the Registry's name for a platform's archive.
func ZipName(version string, p Platform) string {
	return fmt.Sprintf("%s_%s_%s.zip", ProjectName, version, p)
}

// BinaryName is the provider executable inside a platform's archive.
func BinaryName(version string, p Platform) string {
	name := ProjectName + "_v" + version
	if p.OS == "windows" {
		name += ".exe"
	}
	return name
}

// ManifestName is the Registry's name for terraform-registry-manifest.json in a release.
func ManifestName(version string) string { return ProjectName + "_" + version + "_manifest.json" }

// SumsName is the checksum file, which the release signs.
func SumsName(version string) string { return ProjectName + "_" + version + "_SHA256SUMS" }

// Metadata is the part of goreleaser's dist/metadata.json the checks use.
type Metadata struct {
	ProjectName string `json:"project_name"`
	Version     string `json:"version"`
	Commit      string `json:"commit"`
}

// ReadMetadata reads dist/metadata.json, which names the version goreleaser actually built.
func ReadMetadata(dist string) (Metadata, error) {
	var md Metadata
	data, err := os.ReadFile(filepath.Join(dist, "metadata.json"))
	if err != nil {
		return md, err
	}
	if err := json.Unmarshal(data, &md); err != nil {
		return md, fmt.Errorf("metadata.json: %w", err)
	}
	return md, nil
}

// semver is the version shape the Registry accepts in artifact names: no "v" prefix.
var semver = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

// CheckMetadata checks the project name and that the version can name Registry artifacts.
func CheckMetadata(md Metadata) []string {
	var problems []string
	if md.ProjectName != ProjectName {
		problems = append(problems, fmt.Sprintf("metadata.json: project_name is %q, want %q", md.ProjectName, ProjectName))
	}
	if !semver.MatchString(md.Version) {
		problems = append(problems, fmt.Sprintf("metadata.json: version %q is not a semantic version without a v prefix", md.Version))
	}
	return problems
}

// CheckManifest checks terraform-registry-manifest.json: version 1, plugin protocol 6.0 only (terraform-plugin-framework).
func CheckManifest(data []byte) []string {
	var manifest struct {
		Version  int `json:"version"`
		Metadata struct {
			ProtocolVersions []string `json:"protocol_versions"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(data, &manifest); err != nil {
		return []string{"manifest: not JSON: " + err.Error()}
	}
	var problems []string
	if manifest.Version != 1 {
		problems = append(problems, fmt.Sprintf("manifest: version is %d, want 1", manifest.Version))
	}
	if !slices.Equal(manifest.Metadata.ProtocolVersions, []string{"6.0"}) {
		problems = append(problems, fmt.Sprintf("manifest: protocol_versions is %q, want [\"6.0\"]", manifest.Metadata.ProtocolVersions))
	}
	return problems
}

// CheckZips checks that dist holds exactly the matrix's zips, each holding exactly its binary, built for its platform
// as a release build of this module with the version embedded.
func CheckZips(dist, version string) []string {
	var problems []string
	want := map[string]bool{}
	for _, p := range Platforms {
		name := ZipName(version, p)
		want[name] = true
		binary, zipProblems := readBinaryEntry(filepath.Join(dist, name), BinaryName(version, p))
		problems = append(problems, zipProblems...)
		if binary != nil {
			problems = append(problems, CheckBinary(name, binary, p, version)...)
		}
	}
	zips, _ := filepath.Glob(filepath.Join(dist, "*.zip"))
	for _, path := range zips {
		if !want[filepath.Base(path)] {
			problems = append(problems, filepath.Base(path)+": unexpected archive, not in the platform matrix")
		}
	}
	return problems
}

// licenceTitle opens the MPL-2.0 text every archive carries beside the binary.
const licenceTitle = "Mozilla Public License, version 2.0"

// archiveDocs are the files every archive carries beside the binary: the licence, and the README saying where the
// source is.
var archiveDocs = []string{"LICENSE", "README.md"}

// readBinaryEntry returns the content of the zip's binary, an executable file named name, which the zip must hold
// with archiveDocs and nothing else; LICENSE must be the MPL-2.0 text.
func readBinaryEntry(path, name string) ([]byte, []string) {
	base := filepath.Base(path)
	r, err := zip.OpenReader(path)
	if err != nil {
		return nil, []string{base + ": missing or unreadable: " + err.Error()}
	}
	defer func() { _ = r.Close() }()
	entries := map[string]*zip.File{}
	var names []string
	for _, f := range r.File {
		entries[f.Name] = f
		names = append(names, f.Name)
	}
	want := append([]string{name}, archiveDocs...)
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		return nil, []string{fmt.Sprintf("%s: holds %q, want exactly %q", base, names, want)}
	}
	var problems []string
	if licence, err := readEntry(entries["LICENSE"]); err != nil || !bytes.Contains(licence, []byte(licenceTitle)) {
		problems = append(problems, fmt.Sprintf("%s: LICENSE is not the MPL-2.0 text (%v)", base, err))
	}
	f := entries[name]
	if !f.Mode().IsRegular() || f.Mode().Perm()&0o100 == 0 {
		problems = append(problems, fmt.Sprintf("%s: %s has mode %v, want an executable file", base, name, f.Mode()))
	}
	data, err := readEntry(f)
	if err != nil {
		return nil, append(problems, fmt.Sprintf("%s: %s: %v", base, name, err))
	}
	return data, problems
}

// readEntry reads one file of a zip.
func readEntry(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer func() { _ = rc.Close() }()
	return io.ReadAll(rc)
}

// CheckBinary checks a binary as .goreleaser.yml builds it: this module's main package for p (Go build information),
// with CGO_ENABLED=0 and -trimpath, stripped (-s -w), and with the version set by -X main.version. With -trimpath
// Go leaves -ldflags out of the build information, so the version must be in the binary only through -X.
func CheckBinary(where string, binary []byte, p Platform, version string) []string {
	info, err := buildinfo.Read(bytes.NewReader(binary))
	if err != nil {
		return []string{where + ": not a Go binary with build information: " + err.Error()}
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	var problems []string
	expect := func(what, got, want string) {
		if got != want {
			problems = append(problems, fmt.Sprintf("%s: %s is %q, want %q", where, what, got, want))
		}
	}
	expect("main module", info.Main.Path, ModulePath)
	expect("GOOS", settings["GOOS"], p.OS)
	expect("GOARCH", settings["GOARCH"], p.Arch)
	expect("CGO_ENABLED", settings["CGO_ENABLED"], "0")
	expect("-trimpath", settings["-trimpath"], "true")
	if !bytes.Contains(binary, []byte(version)) {
		problems = append(problems, fmt.Sprintf("%s: the version %q is not in the binary: -X main.version missing or misnamed", where, version))
	}
	return append(problems, checkStripped(where, binary)...)
}

// checkStripped checks that the executable has no DWARF (-w) and no symbol table (-s). A stripped Mach-O binary
// keeps the symbols of the system libraries it imports, but none of Go's.
func checkStripped(where string, binary []byte) []string {
	var debug, symbols bool
	r := bytes.NewReader(binary)
	if f, err := elf.NewFile(r); err == nil {
		for _, s := range f.Sections {
			debug = debug || isDebugSection(s.Name)
			symbols = symbols || s.Name == ".symtab"
		}
	} else if f, err := macho.NewFile(r); err == nil {
		for _, s := range f.Sections {
			debug = debug || isDebugSection(s.Name)
		}
		symbols = f.Symtab != nil && slices.ContainsFunc(f.Symtab.Syms, func(s macho.Symbol) bool {
			return strings.HasPrefix(s.Name, "runtime.")
		})
	} else if f, err := pe.NewFile(r); err == nil {
		for _, s := range f.Sections {
			debug = debug || isDebugSection(s.Name)
		}
		symbols = len(f.Symbols) > 0
	} else {
		return []string{where + ": not an ELF, Mach-O or PE executable"}
	}
	var problems []string
	if debug {
		problems = append(problems, where+": has DWARF debug sections: build with -ldflags -w")
	}
	if symbols {
		problems = append(problems, where+": has a symbol table: build with -ldflags -s")
	}
	return problems
}

func isDebugSection(name string) bool {
	for _, prefix := range []string{".debug_", ".zdebug_", "__debug_", "__zdebug_"} {
		if strings.HasPrefix(name, prefix) {
			return true
		}
	}
	return false
}

// CheckSums checks the SHA256SUMS file: it lists every zip and the manifest, each with the sha256 of what is
// released under that name, and nothing else. The manifest is not copied into dist by goreleaser (the release
// uploads terraform-registry-manifest.json under its Registry name), so its content is passed in.
func CheckSums(dist, version string, manifest []byte) []string {
	name := SumsName(version)
	data, err := os.ReadFile(filepath.Join(dist, name))
	if err != nil {
		return []string{name + ": missing or unreadable: " + err.Error()}
	}
	var problems []string
	listed := map[string]string{}
	scanner := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; scanner.Scan(); line++ {
		sum, file, ok := strings.Cut(scanner.Text(), "  ")
		if _, err := hex.DecodeString(sum); !ok || err != nil || len(sum) != sha256.Size*2 || file == "" {
			problems = append(problems, fmt.Sprintf("%s:%d: want \"<sha256 hex>  <file name>\", got %q", name, line, scanner.Text()))
			continue
		}
		if _, dup := listed[file]; dup {
			problems = append(problems, fmt.Sprintf("%s:%d: %s listed twice", name, line, file))
		}
		listed[file] = sum
	}
	released := map[string]func() ([]byte, error){
		ManifestName(version): func() ([]byte, error) { return manifest, nil },
	}
	for _, p := range Platforms {
		path := filepath.Join(dist, ZipName(version, p))
		released[ZipName(version, p)] = func() ([]byte, error) { return os.ReadFile(path) }
	}
	for _, file := range sortedKeys(released) {
		sum, ok := listed[file]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: does not list %s", name, file))
			continue
		}
		content, err := released[file]()
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: lists %s, which cannot be read: %v", name, file, err))
			continue
		}
		if got := sha256.Sum256(content); hex.EncodeToString(got[:]) != sum {
			problems = append(problems, fmt.Sprintf("%s: sha256 mismatch for %s: listed %s, actual %x", name, file, sum, got))
		}
	}
	for _, file := range sortedKeys(listed) {
		if released[file] == nil {
			problems = append(problems, fmt.Sprintf("%s: lists %s, which is not a release artifact", name, file))
		}
	}
	return problems
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// CheckDist runs every artifact check on dist for version; manifest is the terraform-registry-manifest.json the
// release uploads.
func CheckDist(dist, version string, manifest []byte) []string {
	problems := CheckManifest(manifest)
	problems = append(problems, CheckZips(dist, version)...)
	return append(problems, CheckSums(dist, version, manifest)...)
}

// addressLine is how main.go declares the provider address, its only declaration.
var addressLine = regexp.MustCompile(`(?m)^\s*Address:\s*"([^"]+)"`)

// ProviderAddress reads the provider address from main.go's source.
func ProviderAddress(mainGo []byte) (string, error) {
	m := addressLine.FindAllSubmatch(mainGo, -1)
	if len(m) != 1 {
		return "", fmt.Errorf("want exactly one `Address: \"...\"` line in main.go, found %d", len(m))
	}
	return string(m[0][1]), nil
}

// CheckServesProvider unpacks a zip for the host platform into a temporary directory, points Terraform at it with
// dev_overrides for address, and checks that `terraform providers schema -json` lists resourceType from it.
func CheckServesProvider(ctx context.Context, terraform, zipPath, binaryName, address, resourceType string) []string {
	base := filepath.Base(zipPath)
	binary, problems := readBinaryEntry(zipPath, binaryName)
	if binary == nil {
		return problems
	}
	work, err := os.MkdirTemp("", "release-check-")
	if err != nil {
		return []string{err.Error()}
	}
	defer func() { _ = os.RemoveAll(work) }()
	pluginDir := filepath.Join(work, "plugins")
	configDir := filepath.Join(work, "config")
	for _, dir := range []string{pluginDir, configDir} {
		if err := os.Mkdir(dir, 0o755); err != nil {
			return []string{err.Error()}
		}
	}
	if err := os.WriteFile(filepath.Join(pluginDir, binaryName), binary, 0o755); err != nil {
		return []string{err.Error()}
	}
	cliConfig := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    %q = %q\n  }\n  direct {}\n}\n", address, pluginDir)
	if err := os.WriteFile(filepath.Join(work, "terraformrc"), []byte(cliConfig), 0o644); err != nil {
		return []string{err.Error()}
	}
	source := strings.TrimPrefix(address, "registry.terraform.io/")
	name := source[strings.LastIndex(source, "/")+1:]
	mainTF := fmt.Sprintf("terraform {\n  required_providers {\n    %s = {\n      source = %q\n    }\n  }\n}\n", name, source)
	if err := os.WriteFile(filepath.Join(configDir, "main.tf"), []byte(mainTF), 0o644); err != nil {
		return []string{err.Error()}
	}

	cmd := exec.CommandContext(ctx, terraform, "providers", "schema", "-json")
	cmd.Dir = configDir
	cmd.Env = append(os.Environ(),
		"TF_CLI_CONFIG_FILE="+filepath.Join(work, "terraformrc"),
		"TF_DATA_DIR="+filepath.Join(work, "data"),
		"TF_PLUGIN_CACHE_DIR=",
		"CHECKPOINT_DISABLE=1",
		"TF_IN_AUTOMATION=1",
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return []string{fmt.Sprintf("%s: terraform providers schema -json: %v\n%s", base, err, stderr.String())}
	}
	var schemas struct {
		ProviderSchemas map[string]struct {
			ResourceSchemas map[string]json.RawMessage `json:"resource_schemas"`
		} `json:"provider_schemas"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &schemas); err != nil {
		return []string{fmt.Sprintf("%s: terraform providers schema -json printed no JSON: %v\n%s", base, err, stdout.String())}
	}
	provider, ok := schemas.ProviderSchemas[address]
	if !ok {
		return []string{fmt.Sprintf("%s: terraform found no schema for %s (found %v)", base, address, sortedKeys(schemas.ProviderSchemas))}
	}
	if _, ok := provider.ResourceSchemas[resourceType]; !ok {
		return []string{fmt.Sprintf("%s: the provider's schema has no %s resource (has %v)", base, resourceType, sortedKeys(provider.ResourceSchemas))}
	}
	return problems
}

// ErrNoTerraform says no Terraform CLI was found for CheckServesProvider.
var ErrNoTerraform = errors.New("no terraform: set TF_ACC_TERRAFORM_PATH or put terraform on PATH")

// FindTerraform returns TF_ACC_TERRAFORM_PATH, else the terraform on PATH.
func FindTerraform() (string, error) {
	if path := os.Getenv("TF_ACC_TERRAFORM_PATH"); path != "" {
		return path, nil
	}
	path, err := exec.LookPath("terraform")
	if err != nil {
		return "", ErrNoTerraform
	}
	return path, nil
}
