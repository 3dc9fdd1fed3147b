// Command templatebench is the Go side of Wheelhouse's template benchmark (benches/template.rs).
//
//	go run . export CHART_DIR OUT.json   write the render plan the Rust bench reads
//	go run . bench  CHART_DIR            time Go's text/template on the same plan
//
// Both sides render the same chart with the same data: the chart is loaded and its values
// coalesced by Helm v4.3.1's own library (loader.Load, util.ToRenderValues), and every
// template of the chart and its subcharts gets the scope Helm's engine would give it (the
// chart's `.Values`, `.Chart`, `.Release`, `.Template`). `export` writes that plan as JSON;
// `bench` parses all templates once into one text/template set with Sprig's functions and
// Helm-like codec, include, tpl, required and fail functions, then executes every
// non-partial template repeatedly (parse once, render many), reporting time and allocations
// per render with testing.Benchmark. For reference it also times Helm's engine.Render, which
// parses the templates again on every render.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/Masterminds/sprig/v3"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	"sigs.k8s.io/yaml"
)

const (
	releaseName = "bench"
	namespace   = "bench"
	kubeVersion = "v1.33.0"
)

// planTemplate is one template file with the scope it renders in.
type planTemplate struct {
	Name     string `json:"name"`      // Helm's template name, e.g. "scaffold/templates/x.yaml"
	Path     string `json:"path"`      // file path relative to the chart directory
	Scope    string `json:"scope"`     // key into plan.Scopes
	BasePath string `json:"base_path"` // `.Template.BasePath`
}

// plan is what `export` writes: templates in Helm's parse order and the data of each scope
// (`Values`, `Chart`, `Release`; the Rust side adds `Capabilities`, `Files`, `Template`).
type plan struct {
	KubeVersion string                    `json:"kube_version"`
	KubeMajor   string                    `json:"kube_major"`
	KubeMinor   string                    `json:"kube_minor"`
	APIVersions []string                  `json:"api_versions"`
	Templates   []planTemplate            `json:"templates"`
	Scopes      map[string]map[string]any `json:"scopes"`
}

func loadChart(dir string) (*chartv2.Chart, common.Values, error) {
	chrt, err := loader.Load(dir)
	if err != nil {
		return nil, nil, err
	}
	caps := common.DefaultCapabilities.Copy()
	kv, err := common.ParseKubeVersion(kubeVersion)
	if err != nil {
		return nil, nil, err
	}
	caps.KubeVersion = *kv
	opts := common.ReleaseOptions{Name: releaseName, Namespace: namespace, Revision: 1, IsInstall: true}
	top, err := util.ToRenderValues(chrt, map[string]any{}, opts, caps)
	return chrt, top, err
}

// buildPlan walks the chart like Helm's engine (recAllTpls): each chart's templates render
// with that chart's values, metadata and the shared release and capabilities.
func buildPlan(chrt *chartv2.Chart, top common.Values, withObjects bool) (plan, map[string]map[string]any) {
	caps := top["Capabilities"].(*common.Capabilities)
	p := plan{
		KubeVersion: caps.KubeVersion.Version,
		KubeMajor:   caps.KubeVersion.Major,
		KubeMinor:   caps.KubeVersion.Minor,
		APIVersions: caps.APIVersions,
		Scopes:      map[string]map[string]any{},
	}
	live := map[string]map[string]any{}
	var walk func(c *chartv2.Chart, parent map[string]any) map[string]any
	walk = func(c *chartv2.Chart, parent map[string]any) map[string]any {
		chartMap := metadataAsMap(c.Metadata)
		chartMap["IsRoot"] = c.IsRoot()
		next := map[string]any{
			"Chart":        chartMap,
			"Release":      parent["Release"],
			"Capabilities": parent["Capabilities"],
			"Values":       make(common.Values),
			"Subcharts":    map[string]any{},
		}
		if c.IsRoot() {
			next["Values"] = parent["Values"]
		} else if vs, err := common.Values(parent).Table("Values." + c.Name()); err == nil {
			next["Values"] = vs
		}
		if withObjects {
			next["Files"] = newFiles(c.Files)
		}
		for _, child := range c.Dependencies() {
			next["Subcharts"].(map[string]any)[child.Name()] = walk(child, next)
		}
		scope := c.ChartFullPath()
		live[scope] = next
		p.Scopes[scope] = map[string]any{"Values": next["Values"], "Chart": chartMap, "Release": next["Release"]}
		for _, t := range c.Templates {
			name := path.Join(scope, t.Name)
			p.Templates = append(p.Templates, planTemplate{
				Name:     name,
				Path:     strings.SplitN(name, "/", 2)[1],
				Scope:    scope,
				BasePath: path.Join(scope, "templates"),
			})
		}
		return next
	}
	walk(chrt, top)
	sortLikeHelm(p.Templates)
	return p, live
}

// metadataAsMap mirrors Helm's structToMap for the fields templates read.
func metadataAsMap(m *chartv2.Metadata) map[string]any {
	raw, _ := json.Marshal(m)
	var j map[string]any
	_ = json.Unmarshal(raw, &j)
	out := map[string]any{}
	for k, v := range map[string]string{"Name": "name", "Version": "version", "AppVersion": "appVersion",
		"Description": "description", "APIVersion": "apiVersion", "Type": "type", "KubeVersion": "kubeVersion",
		"Home": "home", "Icon": "icon"} {
		if s, ok := j[v].(string); ok {
			out[k] = s
		} else {
			out[k] = ""
		}
	}
	return out
}

func sortLikeHelm(ts []planTemplate) {
	sort.SliceStable(ts, func(i, j int) bool {
		a, b := ts[i].Name, ts[j].Name
		ca, cb := strings.Count(a, "/"), strings.Count(b, "/")
		if ca != cb {
			return ca > cb
		}
		return a > b
	})
}

// files is a minimal stand-in for Helm's engine.files (Get, Glob).
type files map[string][]byte

func newFiles(fs []*common.File) files {
	out := files{}
	for _, f := range fs {
		out[f.Name] = f.Data
	}
	return out
}

func (f files) Get(name string) string { return string(f[name]) }

func (f files) Glob(pattern string) files {
	out := files{}
	for k, v := range f {
		if ok, _ := path.Match(pattern, k); ok {
			out[k] = v
		}
	}
	return out
}

// funcMap is Sprig's text map without env/expandenv plus Helm-like codec functions; include,
// tpl, required and fail are added per template set.
func funcMap() template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	toYAML := func(v any) string {
		b, err := yaml.Marshal(v)
		if err != nil {
			return ""
		}
		return strings.TrimSuffix(string(b), "\n")
	}
	toJSON := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(b)
	}
	extra := template.FuncMap{
		"toYaml":     toYAML,
		"mustToYaml": toYAML,
		"fromYaml": func(s string) map[string]any {
			m := map[string]any{}
			if err := yaml.Unmarshal([]byte(s), &m); err != nil {
				m["Error"] = err.Error()
			}
			return m
		},
		"fromYamlArray": func(s string) []any {
			var a []any
			if err := yaml.Unmarshal([]byte(s), &a); err != nil {
				a = []any{err.Error()}
			}
			return a
		},
		"toJson":     toJSON,
		"mustToJson": toJSON,
		"fromJson": func(s string) map[string]any {
			m := map[string]any{}
			if err := json.Unmarshal([]byte(s), &m); err != nil {
				m["Error"] = err.Error()
			}
			return m
		},
		"fromJsonArray": func(s string) []any {
			var a []any
			if err := json.Unmarshal([]byte(s), &a); err != nil {
				a = []any{err.Error()}
			}
			return a
		},
		"toToml": func(v any) string {
			var b strings.Builder
			if err := toml.NewEncoder(&b).Encode(v); err != nil {
				return err.Error()
			}
			return b.String()
		},
		"fromToml": func(s string) map[string]any {
			m := map[string]any{}
			if _, err := toml.Decode(s, &m); err != nil {
				m["Error"] = err.Error()
			}
			return m
		},
		"lookup":        func(string, string, string, string) (map[string]any, error) { return map[string]any{}, nil },
		"getHostByName": func(string) string { return "" },
		"required": func(msg string, v any) (any, error) {
			if v == nil || v == "" {
				return v, errors.New(msg)
			}
			return v, nil
		},
		"fail": func(msg string) (string, error) { return "", errors.New(msg) },
	}
	for k, v := range extra {
		f[k] = v
	}
	return f
}

func includeFunc(t *template.Template) func(string, any) (string, error) {
	return func(name string, data any) (string, error) {
		var b strings.Builder
		err := t.ExecuteTemplate(&b, name, data)
		return b.String(), err
	}
}

func tplFunc(parent *template.Template) func(string, any) (string, error) {
	return func(text string, data any) (string, error) {
		t, err := parent.Clone()
		if err != nil {
			return "", err
		}
		t.Funcs(template.FuncMap{"include": includeFunc(t), "tpl": tplFunc(t)})
		t, err = t.New(parent.Name()).Parse(text)
		if err != nil {
			return "", err
		}
		var b strings.Builder
		if err := t.Execute(&b, data); err != nil {
			return "", err
		}
		return strings.ReplaceAll(b.String(), "<no value>", ""), nil
	}
}

func export(dir, out string) error {
	chrt, top, err := loadChart(dir)
	if err != nil {
		return err
	}
	p, _ := buildPlan(chrt, top, false)
	b, err := json.MarshalIndent(p, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(out, append(b, '\n'), 0o644)
}

func bench(dir string) error {
	chrt, top, err := loadChart(dir)
	if err != nil {
		return err
	}
	p, live := buildPlan(chrt, top, true)
	sources := map[string]string{}
	for _, t := range chrt.Templates {
		sources[path.Join(chrt.ChartFullPath(), t.Name)] = string(t.Data)
	}
	var collect func(c *chartv2.Chart)
	collect = func(c *chartv2.Chart) {
		for _, t := range c.Templates {
			sources[path.Join(c.ChartFullPath(), t.Name)] = string(t.Data)
		}
		for _, d := range c.Dependencies() {
			collect(d)
		}
	}
	collect(chrt)

	parseStart := time.Now()
	root := template.New("gotpl").Option("missingkey=zero")
	f := funcMap()
	f["include"] = includeFunc(root)
	f["tpl"] = tplFunc(root)
	root.Funcs(f)
	for _, t := range p.Templates {
		if _, err := root.New(t.Name).Parse(sources[t.Name]); err != nil {
			return err
		}
	}
	parse := time.Since(parseStart)

	renderAll := func() (int, error) {
		total := 0
		for _, t := range p.Templates {
			if strings.HasPrefix(path.Base(t.Name), "_") {
				continue
			}
			vals := live[t.Scope]
			vals["Template"] = common.Values{"Name": t.Name, "BasePath": t.BasePath}
			var b strings.Builder
			if err := root.ExecuteTemplate(&b, t.Name, vals); err != nil {
				return 0, err
			}
			total += len(strings.ReplaceAll(b.String(), "<no value>", ""))
		}
		return total, nil
	}
	bytes, err := renderAll()
	if err != nil {
		return err
	}
	res := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := renderAll(); err != nil {
				b.Fatal(err)
			}
		}
	})
	fmt.Printf("go text/template %s: %d templates, parse once %v, render %d bytes: %s/render, %d allocs/render, %d B/render (%d iterations)\n",
		chrt.Name(), len(p.Templates), parse, bytes, time.Duration(res.NsPerOp()), res.AllocsPerOp(), res.AllocedBytesPerOp(), res.N)

	eng := engine.Engine{}
	full := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := eng.Render(chrt, top); err != nil {
				b.Fatal(err)
			}
		}
	})
	fmt.Printf("helm engine.Render %s (parses every render): %s/render, %d allocs/render (%d iterations)\n",
		chrt.Name(), time.Duration(full.NsPerOp()), full.AllocsPerOp(), full.N)
	return nil
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: templatebench export CHART_DIR OUT.json | bench CHART_DIR")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "export":
		if len(os.Args) != 4 {
			err = errors.New("export needs CHART_DIR OUT.json")
		} else {
			err = export(os.Args[2], os.Args[3])
		}
	case "bench":
		err = bench(os.Args[2])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
