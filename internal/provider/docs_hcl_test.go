package provider

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var (
	// fencedHCLRE finds the HCL code blocks of a Markdown page.
	fencedHCLRE = regexp.MustCompile("(?ms)^```(?:hcl|terraform)\\s*\\n(.*?)^```")
	// polarBlockRE marks a code block that configures this provider, which the docs test validates.
	polarBlockRE = regexp.MustCompile(`(?m)^\s*(resource|data)\s+"polar_|^\s*provider\s+"polar"`)
	// moduleCallRE finds a module call, whose source a lone snippet cannot hold.
	moduleCallRE = regexp.MustCompile(`(?m)^\s*module\s+"`)
	// variableRefRE finds the input variables a snippet uses, which it may leave to the reader to declare.
	variableRefRE = regexp.MustCompile(`\bvar\.([A-Za-z_][A-Za-z0-9_-]*)`)
	// variableDeclRE finds the variables a snippet declares itself.
	variableDeclRE = regexp.MustCompile(`(?m)^\s*variable\s+"([^"]+)"`)
)

// TestAccDocsHCLValidates runs `terraform validate` on every HCL block of README.md and the generated docs that
// configures this provider, so no page shows configuration the schema refuses. Variables a snippet uses without
// declaring are declared for it; the provider source is the one the reattached test provider is served under.
func TestAccDocsHCLValidates(t *testing.T) {
	terraformPath := terraformCLI(t)
	pages := []string{"../../README.md"}
	err := filepath.WalkDir("../../docs", func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".md") {
			pages = append(pages, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	reattach := serveForReattach(t, New("acctest"))
	validated := 0
	for _, page := range pages {
		raw, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for i, block := range fencedHCLRE.FindAllStringSubmatch(string(raw), -1) {
			if !polarBlockRE.MatchString(block[1]) || moduleCallRE.MatchString(block[1]) {
				continue // a snippet calling a module needs that module: its parts are validated where they are shown
			}
			validated++
			name := strings.TrimPrefix(filepath.ToSlash(page), "../../") + "#" + string(rune('a'+i%26))
			if out, ok := validateSnippet(t, terraformPath, reattach, block[1]); !ok {
				t.Errorf("%s (HCL block %d) does not validate:\n%s\n---\n%s", name, i+1, block[1], out)
			}
		}
	}
	if validated < len(pages) {
		t.Errorf("only %d HCL blocks found in %d pages: the pattern no longer finds the docs' code blocks", validated, len(pages))
	}
}

// validateSnippet writes one snippet as a module and runs terraform validate on it.
func validateSnippet(t *testing.T, terraformPath, reattach, snippet string) (string, bool) {
	t.Helper()
	dir := t.TempDir()
	module := strings.ReplaceAll(snippet, `"polar-terraform/polar"`, `"hashicorp/polar"`)
	declared := variableDeclRE.FindAllStringSubmatch(module, -1)
	var names []string
	for _, d := range declared {
		names = append(names, d[1])
	}
	for _, ref := range variableRefRE.FindAllStringSubmatch(module, -1) {
		if !slices.Contains(names, ref[1]) {
			names = append(names, ref[1])
			module += "\nvariable \"" + ref[1] + "\" {}\n"
		}
	}
	writeReliabilityFile(t, filepath.Join(dir, "main.tf"), module)
	writeReliabilityFile(t, filepath.Join(dir, "terraformrc"), "")
	cmd := exec.Command(terraformPath, "validate", "-no-color")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TF_REATTACH_PROVIDERS="+reattach, "TF_CLI_CONFIG_FILE="+filepath.Join(dir, "terraformrc"),
		"CHECKPOINT_DISABLE=1")
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}
