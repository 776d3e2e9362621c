package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
)

// floorAddress is the provider address of the plugin floor: a terraform-plugin-framework provider that does nothing
// but hold two string attributes, built by the benchmark itself.
const floorAddress = "registry.terraform.io/polarbench/floor"

// floorSource is the plugin floor. Its resource has two string attributes (id, computed from name, and name) and
// makes no API call; Read decodes and re-encodes the state as any real Read does. Nothing else runs: the time it
// takes is what terraform-plugin-framework and go-plugin cost any provider.
const floorSource = `package main

import (
	"context"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func main() {
	err := providerserver.Serve(context.Background(), func() provider.Provider { return floor{} },
		providerserver.ServeOpts{Address: "` + floorAddress + `"})
	if err != nil {
		log.Fatal(err)
	}
}

type floor struct{}

func (floor) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "floor"
}
func (floor) Schema(context.Context, provider.SchemaRequest, *provider.SchemaResponse)          {}
func (floor) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {}
func (floor) DataSources(context.Context) []func() datasource.DataSource                      { return nil }
func (floor) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{func() resource.Resource { return thing{} }}
}

type thing struct{}

type thingModel struct {
	ID   types.String ` + "`tfsdk:\"id\"`" + `
	Name types.String ` + "`tfsdk:\"name\"`" + `
}

func (thing) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_thing"
}

func (thing) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{Attributes: map[string]schema.Attribute{
		"id":   schema.StringAttribute{Computed: true, PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
		"name": schema.StringAttribute{Required: true},
	}}
}

func (thing) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m thingModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	m.ID = m.Name
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (thing) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m thingModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (thing) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m thingModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (thing) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}
`

// buildFloor writes the plugin floor into a module of its own under src, whose go.mod requires exactly what this
// repository's go.mod does (so the same framework version), and builds it into bin offline, from the module cache.
func buildFloor(src, bin string) error {
	goMod, err := os.ReadFile("go.mod")
	if err != nil {
		return err
	}
	goSum, err := os.ReadFile("go.sum")
	if err != nil {
		return err
	}
	goMod = regexp.MustCompile(`(?m)^module .*$`).ReplaceAll(goMod, []byte("module polarbench.local/floor"))
	goMod = regexp.MustCompile(`(?m)^tool .*$`).ReplaceAll(goMod, nil) // tools are this repository's, not the floor's
	if err := os.MkdirAll(src, 0o700); err != nil {
		return err
	}
	for name, content := range map[string][]byte{"go.mod": goMod, "go.sum": goSum, "main.go": []byte(floorSource)} {
		if err := os.WriteFile(filepath.Join(src, name), content, 0o600); err != nil {
			return err
		}
	}
	return goBuild(src, filepath.Join(bin, "terraform-provider-floor"))
}

// goBuild builds the main package in dir into out, offline: GOPROXY=off, so a module missing from the cache fails the
// build instead of being downloaded.
func goBuild(dir, out string) error {
	build := exec.Command("go", "build", "-o", out, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOPROXY=off", "GOWORK=off", "GOFLAGS=-mod=mod -buildvcs=false")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go build in %s: %w", dir, err)
	}
	return nil
}
