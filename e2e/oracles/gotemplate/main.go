// Command gotemplate is the oracle for Wheelhouse's Go text/template port
// (src/template). It reads a case file and prints, for every case, one JSON
// line {"name":..., "out":...} or {"name":..., "err":...} with what Go's
// text/template (plain cases) or Helm 4's engine (cases marked @helm) produces.
//
// Case file format (shared with the Rust test in src/template/testdata):
//
//	### case-name [@helm]
//	<<< template-name        (one or more; the first is executed)
//	template text lines...
//	>>> data                 (optional JSON document used as data / values)
//	{"a": 1}
//
// Section text is the lines up to the next marker line, joined with "\n".
// Plain cases run text/template with missingkey=zero, Helm's "<no value>"
// removal, and a small set of test functions (see testFuncs) that produce
// Go-typed values JSON cannot express. @helm cases render a one-chart
// release through helm.sh/helm/v4/pkg/engine with the data as values.
//
// Usage: go run . CASEFILE > EXPECTED.jsonl (gen_cases.py writes the case file; see its
// docstring for the exact regeneration commands).
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/template"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/engine"
)

type tplSource struct {
	name string
	text string
}

type testCase struct {
	name      string
	helm      bool
	templates []tplSource
	data      string
}

func parseCases(path string) ([]testCase, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cases []testCase
	var cur *testCase
	var section *string
	var lines []string
	flush := func() {
		if section != nil {
			*section = strings.Join(lines, "\n")
		}
		section = nil
		lines = nil
	}
	sc := bufio.NewScanner(strings.NewReader(string(raw)))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "### "):
			flush()
			if cur != nil {
				cases = append(cases, *cur)
			}
			head := strings.Fields(line[4:])
			cur = &testCase{name: head[0]}
			for _, h := range head[1:] {
				if h == "@helm" {
					cur.helm = true
				}
			}
		case strings.HasPrefix(line, "<<< ") && cur != nil:
			flush()
			cur.templates = append(cur.templates, tplSource{name: strings.TrimSpace(line[4:])})
			section = &cur.templates[len(cur.templates)-1].text
		case strings.HasPrefix(line, ">>> data") && cur != nil:
			flush()
			section = &cur.data
		default:
			if section != nil {
				lines = append(lines, line)
			}
		}
	}
	flush()
	if cur != nil {
		cases = append(cases, *cur)
	}
	return cases, sc.Err()
}

// testObj is a struct with fields and methods, standing in for Helm's
// Capabilities-like objects.
type testInner struct {
	X int
	Y string
}

type testObj struct {
	Name  string
	Count int
	Inner testInner
	Tags  []string
	Ptr   *testInner
	Any   any
	lower string
}

func (o *testObj) Hello(s string) string                { return "hello " + s + " from " + o.Name }
func (o *testObj) Pair(a int, b string) string          { return fmt.Sprintf("%d-%s", a, b) }
func (o *testObj) Fail() (string, error)                { return "", errors.New("method failed") }
func (o *testObj) Join(sep string, xs ...string) string { return strings.Join(xs, sep) }
func (o *testObj) NoArgs() string                       { return "noargs" }

func toInt64(v any) int64 {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int64:
		return x
	case float64:
		return int64(x)
	}
	return 0
}

func testFuncs() template.FuncMap {
	return template.FuncMap{
		"int64":  toInt64,
		"toint":  func(v any) int { return int(toInt64(v)) },
		"uint64": func(v any) uint64 { return uint64(toInt64(v)) },
		"float":  func(v any) float64 { return float64(toInt64(v)) },
		"strs":   func(xs ...string) []string { return xs },
		"ints":   func(xs ...int) []int { return xs },
		"smap":   func() map[string]string { return map[string]string{"a": "x", "b": "y"} },
		"bytes":  func(s string) []byte { return []byte(s) },
		"list":   func(xs ...any) []any { return xs },
		"dict": func(xs ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(xs); i += 2 {
				m[fmt.Sprint(xs[i])] = xs[i+1]
			}
			return m
		},
		"set": func(m map[string]any, k string, v any) map[string]any { m[k] = v; return m },
		"obj": func() *testObj {
			return &testObj{Name: "n", Count: 3, Inner: testInner{X: 1, Y: "y"}, Tags: []string{"a", "b"}}
		},
		"nilval":   func() any { return nil },
		"failwith": func(s string) (string, error) { return "", errors.New(s) },
		"boom":     func() string { panic("boom happened") },
		"concat":   func(sep string, xs ...string) string { return strings.Join(xs, sep) },
		"takeint":  func(i int) int { return i * 2 },
		"takef":    func(f float64) float64 { return f * 2 },
		"takeb":    func(b bool) bool { return !b },
		"takeu":    func(u uint) uint { return u + 1 },
		"takelist": func(l []any) int { return len(l) },
		"takemap":  func(m map[string]any) int { return len(m) },
		"takestr":  func(s string) string { return "<" + s + ">" },
		"fnval":    func() func() string { return func() string { return "called" } },
		"cplx":     func() complex128 { return complex(1, 2) },
		"vals": func() common.Values {
			return common.Values{"Table": "t", "k": "v", "sub": map[string]any{"a": 1.0}}
		},
		"vset": func() common.VersionSet { return common.VersionSet{"v1", "apps/v1"} },
	}
}

func runPlain(c testCase) (string, error) {
	var data any
	if strings.TrimSpace(c.data) != "" {
		if err := json.Unmarshal([]byte(c.data), &data); err != nil {
			return "", fmt.Errorf("ORACLE BAD DATA: %v", err)
		}
	}
	t := template.New("gotpl").Option("missingkey=zero").Funcs(testFuncs())
	for _, s := range c.templates {
		if _, err := t.New(s.name).Parse(s.text); err != nil {
			return "", err
		}
	}
	var buf strings.Builder
	if err := t.ExecuteTemplate(&buf, c.templates[0].name, data); err != nil {
		return "", err
	}
	return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
}

func runHelm(c testCase) (string, error) {
	values := map[string]any{}
	if strings.TrimSpace(c.data) != "" {
		if err := json.Unmarshal([]byte(c.data), &values); err != nil {
			return "", fmt.Errorf("ORACLE BAD DATA: %v", err)
		}
	}
	ch := &chart.Chart{Metadata: &chart.Metadata{Name: "c", Version: "0.1.0", APIVersion: "v2"}}
	for _, s := range c.templates {
		ch.Templates = append(ch.Templates, &common.File{Name: "templates/" + s.name, Data: []byte(s.text)})
	}
	opts := common.ReleaseOptions{Name: "rel", Namespace: "ns", Revision: 1, IsInstall: true}
	vals, err := util.ToRenderValues(ch, values, opts, nil)
	if err != nil {
		return "", fmt.Errorf("ORACLE VALUES: %v", err)
	}
	out, err := engine.Render(ch, vals)
	if err != nil {
		return "", err
	}
	return out["c/templates/"+c.templates[0].name], nil
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gotemplate CASEFILE")
		os.Exit(2)
	}
	cases, err := parseCases(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	for _, c := range cases {
		var out string
		var err error
		if c.helm {
			out, err = runHelm(c)
		} else {
			out, err = runPlain(c)
		}
		rec := map[string]string{"name": c.name}
		if err != nil {
			rec["err"] = err.Error()
		} else {
			rec["out"] = out
		}
		if err := enc.Encode(rec); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
