package release

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// repoRoot is where main.go and terraform-registry-manifest.json live, from this package's directory.
const repoRoot = "../.."

// TestReleaseArtifacts checks a goreleaser dist directory as the Registry would take it. make release-snapshot runs it:
//
//	RELEASE_DIST=dist go test ./internal/release/ -run TestReleaseArtifacts -count=1 -v
func TestReleaseArtifacts(t *testing.T) {
	dist := os.Getenv("RELEASE_DIST")
	if dist == "" {
		t.Skip("set RELEASE_DIST to goreleaser's dist directory to check release artifacts (make release-snapshot does)")
	}
	md, err := ReadMetadata(dist)
	if err != nil {
		t.Fatalf("reading the version goreleaser built: %v", err)
	}
	t.Logf("checking %s %s (commit %s) in %s", md.ProjectName, md.Version, md.Commit, dist)
	manifest := readFile(t, filepath.Join(repoRoot, "terraform-registry-manifest.json"))
	report(t, append(CheckMetadata(md), CheckDist(dist, md.Version, manifest)...))
	if t.Failed() {
		t.FailNow()
	}

	t.Run("host binary serves the provider", func(t *testing.T) {
		host := Platform{runtime.GOOS, runtime.GOARCH}
		if !slices.Contains(Platforms, host) {
			t.Skipf("the host platform %s is not in the release matrix", host)
		}
		terraform, err := FindTerraform()
		if err != nil {
			t.Fatal(err)
		}
		address, err := ProviderAddress(readFile(t, filepath.Join(repoRoot, "main.go")))
		if err != nil {
			t.Fatal(err)
		}
		zipPath := filepath.Join(dist, ZipName(md.Version, host))
		report(t, CheckServesProvider(t.Context(), terraform, zipPath, BinaryName(md.Version, host), address, "polar_meter"))

		// The same check fails when Terraform is pointed at the wrong provider address.
		if len(CheckServesProvider(t.Context(), terraform, zipPath, BinaryName(md.Version, host), address+"x", "polar_meter")) == 0 {
			t.Errorf("CheckServesProvider found nothing wrong with a provider address the binary does not serve")
		}
	})

	t.Run("broken copies are caught", func(t *testing.T) {
		for _, m := range mutations {
			t.Run(m.name, func(t *testing.T) {
				assertCaught(t, m, dist, md.Version, manifest, nil)
			})
		}
	})
}

// TestChecksCatchBrokenArtifacts runs the checks on a synthetic dist (fake binaries), broken in one way at a time:
// each break must add the problem it causes to those of the unbroken dist.
func TestChecksCatchBrokenArtifacts(t *testing.T) {
	const version = "1.2.3-SNAPSHOT-abc1234"
	dist := t.TempDir()
	manifest := readFile(t, filepath.Join(repoRoot, "terraform-registry-manifest.json"))
	var sums strings.Builder
	for _, p := range Platforms {
		path := filepath.Join(dist, ZipName(version, p))
		writeZip(t, path, map[string][]byte{
			BinaryName(version, p): []byte("fake binary for " + p.String()),
			"LICENSE":              readFile(t, filepath.Join(repoRoot, "LICENSE")),
			"README.md":            []byte("readme"),
		})
		fmt.Fprintf(&sums, "%x  %s\n", sha256.Sum256(readFile(t, path)), ZipName(version, p))
	}
	fmt.Fprintf(&sums, "%x  %s\n", sha256.Sum256(manifest), ManifestName(version))
	replaceFile(t, filepath.Join(dist, SumsName(version)), []byte(sums.String()))

	baseline := CheckDist(dist, version, manifest)
	for _, problem := range baseline {
		if !strings.Contains(problem, "not a Go binary") {
			t.Errorf("unbroken synthetic dist: unexpected problem: %s", problem)
		}
	}
	for _, m := range mutations {
		if m.realBinaries {
			continue
		}
		t.Run(m.name, func(t *testing.T) {
			assertCaught(t, m, dist, version, manifest, baseline)
		})
	}
}

// mutation breaks a copy of a dist directory (or the manifest) in one way; the checks must then report want.
type mutation struct {
	name         string
	realBinaries bool // needs the Go binaries of a real build
	mutate       func(t *testing.T, dist, version string, manifest []byte) []byte
	want         string // regexp; {V} stands for the version
}

var mutations = []mutation{
	{
		name: "binary misnamed in its zip",
		mutate: func(t *testing.T, dist, version string, manifest []byte) []byte {
			path := filepath.Join(dist, ZipName(version, Platform{"linux", "arm64"}))
			entries := zipEntries(t, path)
			binary := BinaryName(version, Platform{"linux", "arm64"})
			entries[ProjectName] = entries[binary]
			delete(entries, binary)
			writeZip(t, path, entries)
			return manifest
		},
		want: `linux_arm64\.zip: holds \["LICENSE" "README\.md" "terraform-provider-polar"\], want exactly \["LICENSE" "README\.md" "terraform-provider-polar_v{V}"\]`,
	},
	{
		name: "extra file in a zip",
		mutate: func(t *testing.T, dist, version string, manifest []byte) []byte {
			p := Platform{"windows", "amd64"}
			path := filepath.Join(dist, ZipName(version, p))
			entries := zipEntries(t, path)
			entries["NOTES.txt"] = []byte("notes")
			writeZip(t, path, entries)
			return manifest
		},
		want: `windows_amd64\.zip: holds .*NOTES\.txt.*, want exactly \["LICENSE" "README\.md" "terraform-provider-polar_v{V}\.exe"\]`,
	},
	{
		name: "licence missing its text",
		mutate: func(t *testing.T, dist, version string, manifest []byte) []byte {
			path := filepath.Join(dist, ZipName(version, Platform{"darwin", "arm64"}))
			entries := zipEntries(t, path)
			entries["LICENSE"] = []byte("All rights reserved.")
			writeZip(t, path, entries)
			return manifest
		},
		want: `darwin_arm64\.zip: LICENSE is not the MPL-2.0 text`,
	},
	{
		name: "checksum mismatch",
		mutate: func(t *testing.T, dist, version string, manifest []byte) []byte {
			path := filepath.Join(dist, SumsName(version))
			zipName := ZipName(version, Platform{"darwin", "amd64"})
			var out []string
			for _, line := range strings.Split(strings.TrimSuffix(string(readFile(t, path)), "\n"), "\n") {
				if strings.HasSuffix(line, "  "+zipName) {
					line = fmt.Sprintf("%x  %s", sha256.Sum256([]byte("tampered")), zipName)
				}
				out = append(out, line)
			}
			replaceFile(t, path, []byte(strings.Join(out, "\n")+"\n"))
			return manifest
		},
		want: `SHA256SUMS: sha256 mismatch for terraform-provider-polar_{V}_darwin_amd64\.zip`,
	},
	{
		name: "platform missing",
		mutate: func(t *testing.T, dist, version string, manifest []byte) []byte {
			removeFile(t, filepath.Join(dist, ZipName(version, Platform{"freebsd", "arm"})))
			return manifest
		},
		want: `terraform-provider-polar_{V}_freebsd_arm\.zip: missing`,
	},
	{
		name: "unexpected platform",
		mutate: func(t *testing.T, dist, version string, manifest []byte) []byte {
			writeZip(t, filepath.Join(dist, ZipName(version, Platform{"darwin", "386"})), map[string][]byte{"x": []byte("x")})
			return manifest
		},
		want: `darwin_386\.zip: unexpected archive`,
	},
	{
		name: "manifest for protocol 5",
		mutate: func(t *testing.T, dist, version string, manifest []byte) []byte {
			return []byte(`{"version": 1, "metadata": {"protocol_versions": ["5.0"]}}`)
		},
		want: `manifest: protocol_versions is \["5\.0"\], want \["6\.0"\]`,
	},
	{
		name: "manifest not in SHA256SUMS",
		mutate: func(t *testing.T, dist, version string, manifest []byte) []byte {
			path := filepath.Join(dist, SumsName(version))
			var out []string
			for _, line := range strings.SplitAfter(string(readFile(t, path)), "\n") {
				if !strings.Contains(line, ManifestName(version)) {
					out = append(out, line)
				}
			}
			replaceFile(t, path, []byte(strings.Join(out, "")))
			return manifest
		},
		want: `SHA256SUMS: does not list terraform-provider-polar_{V}_manifest\.json`,
	},
	{
		name:         "binary built for another platform",
		realBinaries: true,
		mutate: func(t *testing.T, dist, version string, manifest []byte) []byte {
			amd64, arm64 := Platform{"linux", "amd64"}, Platform{"linux", "arm64"}
			entries := zipEntries(t, filepath.Join(dist, ZipName(version, arm64)))
			entries[BinaryName(version, arm64)] = zipEntries(t, filepath.Join(dist, ZipName(version, amd64)))[BinaryName(version, amd64)]
			writeZip(t, filepath.Join(dist, ZipName(version, arm64)), entries)
			return manifest
		},
		want: `linux_arm64\.zip: GOARCH is "amd64", want "arm64"`,
	},
}

// assertCaught applies m to a copy of dist and checks that the checks report a problem matching m.want that the
// unbroken dist (whose problems are baseline) did not have.
func assertCaught(t *testing.T, m mutation, dist, version string, manifest []byte, baseline []string) {
	t.Helper()
	broken := cloneDist(t, dist)
	manifest = m.mutate(t, broken, version, manifest)
	want := regexp.MustCompile(strings.ReplaceAll(m.want, "{V}", regexp.QuoteMeta(version)))
	var added []string
	for _, problem := range CheckDist(broken, version, manifest) {
		if !slices.Contains(baseline, problem) {
			added = append(added, problem)
		}
	}
	if !slices.ContainsFunc(added, want.MatchString) {
		t.Errorf("want a problem matching %s; the checks added:\n%s", want, strings.Join(added, "\n"))
	}
}

// TestCheckBinary builds a stand-in main package the way .goreleaser.yml does, and ways it must not.
func TestCheckBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Go binaries")
	}
	src := t.TempDir()
	replaceFile(t, filepath.Join(src, "go.mod"), []byte("module "+ModulePath+"\n\ngo 1.22\n"))
	replaceFile(t, filepath.Join(src, "main.go"), []byte("package main\n\nvar version = \"dev\"\n\nfunc main() { println(version) }\n"))
	const version = "9.8.7-test"
	releaseFlags := []string{"-trimpath", "-ldflags=-s -w -X main.version=" + version}
	linux := Platform{"linux", "amd64"}
	for _, tc := range []struct {
		name     string
		platform Platform
		cgo      string
		flags    []string
		want     string // regexp; "" means no problems
	}{
		{"as released, linux", linux, "0", releaseFlags, ""},
		{"as released, darwin", Platform{"darwin", "arm64"}, "0", releaseFlags, ""},
		{"as released, windows", Platform{"windows", "386"}, "0", releaseFlags, ""},
		{"for another platform", linux, "0", releaseFlags, `GOOS is "linux", want "freebsd"`},
		{"without -trimpath", linux, "0", releaseFlags[1:], `-trimpath is "", want "true"`},
		{"without -s", linux, "0", []string{"-trimpath", "-ldflags=-w -X main.version=" + version}, `symbol table`},
		{"unstripped, darwin", Platform{"darwin", "amd64"}, "0", []string{"-trimpath", "-ldflags=-X main.version=" + version}, `DWARF`},
		{"without -s, windows", Platform{"windows", "amd64"}, "0", []string{"-trimpath", "-ldflags=-w -X main.version=" + version}, `symbol table`},
		{"version variable misnamed", linux, "0", []string{"-trimpath", "-ldflags=-s -w -X main.Version=" + version}, `-X main.version missing or misnamed`},
		{"with cgo", Platform{runtime.GOOS, runtime.GOARCH}, "1", releaseFlags, `CGO_ENABLED is "1", want "0"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "bin")
			cmd := exec.Command("go", append(append([]string{"build", "-o", out}, tc.flags...), ".")...)
			cmd.Dir = src
			cmd.Env = append(os.Environ(), "CGO_ENABLED="+tc.cgo, "GOOS="+tc.platform.OS, "GOARCH="+tc.platform.Arch,
				"GOFLAGS=-buildvcs=false", "GOWORK=off")
			if output, err := cmd.CombinedOutput(); err != nil {
				if tc.cgo == "1" {
					t.Skipf("cgo build not possible here: %v\n%s", err, output)
				}
				t.Fatalf("go build: %v\n%s", err, output)
			}
			check := tc.platform
			if strings.HasPrefix(tc.name, "for another platform") {
				check = Platform{"freebsd", "amd64"}
			}
			problems := CheckBinary("bin", readFile(t, out), check, version)
			if tc.want == "" {
				report(t, problems)
			} else if !slices.ContainsFunc(problems, regexp.MustCompile(tc.want).MatchString) {
				t.Errorf("want a problem matching %q, got %q", tc.want, problems)
			}
		})
	}
}

func TestProviderAddress(t *testing.T) {
	address, err := ProviderAddress(readFile(t, filepath.Join(repoRoot, "main.go")))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^registry\.terraform\.io/[a-z0-9-]+/polar$`).MatchString(address) {
		t.Errorf("main.go's provider address %q is not registry.terraform.io/<namespace>/polar", address)
	}
	if _, err := ProviderAddress([]byte("Address: \"a/b/c\",\nAddress: \"d/e/f\",\n")); err == nil {
		t.Errorf("two Address lines: want an error")
	}
}

func TestCheckManifestAndMetadata(t *testing.T) {
	report(t, CheckManifest(readFile(t, filepath.Join(repoRoot, "terraform-registry-manifest.json"))))
	report(t, CheckMetadata(Metadata{ProjectName: ProjectName, Version: "0.1.0"}))
	report(t, CheckMetadata(Metadata{ProjectName: ProjectName, Version: "0.0.0-SNAPSHOT-79c8aee"}))
	for _, md := range []Metadata{{ProjectName: ProjectName, Version: "v0.1.0"}, {ProjectName: "main", Version: "0.1.0"}} {
		if len(CheckMetadata(md)) == 0 {
			t.Errorf("%+v: want a problem", md)
		}
	}
	if len(CheckManifest([]byte(`{"version": 1, "metadata": {"protocol_versions": ["5.0", "6.0"]}}`))) == 0 {
		t.Errorf("protocol 5.0 and 6.0: want a problem (the framework serves 6.0 only)")
	}
}

// report fails the test with each problem.
func report(t *testing.T, problems []string) {
	t.Helper()
	for _, p := range problems {
		t.Error(p)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// replaceFile writes a new file at path; an existing file (or a symlink into the original dist) is removed first,
// never written through.
func replaceFile(t *testing.T, path string, data []byte) {
	t.Helper()
	removeFile(t, path)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func removeFile(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
}

// cloneDist makes a directory of symlinks to the files at the top of dist: cheap, and mutations replace what they change.
func cloneDist(t *testing.T, dist string) string {
	t.Helper()
	abs, err := filepath.Abs(dist)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(abs)
	if err != nil {
		t.Fatal(err)
	}
	clone := t.TempDir()
	for _, e := range entries {
		if e.Type().IsRegular() {
			if err := os.Symlink(filepath.Join(abs, e.Name()), filepath.Join(clone, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	return clone
}

// writeZip replaces path with a zip of the given executable files, in name order.
func writeZip(t *testing.T, path string, files map[string][]byte) {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		header := &zip.FileHeader{Name: name, Method: zip.Deflate}
		header.SetMode(0o755)
		f, err := w.CreateHeader(header)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(files[name]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	replaceFile(t, path, buf.Bytes())
}

// zipEntries reads every file of a zip.
func zipEntries(t *testing.T, path string) map[string][]byte {
	t.Helper()
	r, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Close() }()
	files := map[string][]byte{}
	for _, f := range r.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(rc); err != nil {
			t.Fatal(err)
		}
		_ = rc.Close()
		files[f.Name] = buf.Bytes()
	}
	return files
}
