// Command chartvalues is the oracle for Wheelhouse's src/chart/values module: it runs Helm
// v4.3.1's own Go packages (strvals, cli/values, chart/v2/util, chart/common/util) over case
// files and writes the results as JSON lines with Go types kept (int64 vs float64).
//
// Usage:
//
//	chartvalues strvals <cases.jsonl>   # one {"kind","input","dest"?,"files"?} per line
//	chartvalues merge   <cases.jsonl>   # one {"files","values","set",...} per line (cli MergeValues)
//	chartvalues chart   <cases.jsonl> <charts dir>   # one {"chart","files","values","set",...} per line
//
// Output lines repeat the case and add "result" (typed JSON: floats always carry a '.', an
// exponent, or are written as e.g. 5.0) or "error".
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/common"
	cutil "helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/cli/values"
	"helm.sh/helm/v4/pkg/getter"
	"helm.sh/helm/v4/pkg/strvals"
)

// typed writes v as JSON keeping Go's int64/float64 distinction.
func typed(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case int:
		b.WriteString(strconv.Itoa(x))
	case float64:
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eEn") {
			s += ".0"
		}
		b.WriteString(s)
	case string:
		j, _ := json.Marshal(x)
		b.Write(j)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			typed(b, e)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			j, _ := json.Marshal(k)
			b.Write(j)
			b.WriteByte(':')
			typed(b, x[k])
		}
		b.WriteByte('}')
	case common.Values:
		typed(b, map[string]any(x))
	case map[string]string:
		m := map[string]any{}
		for k, v := range x {
			m[k] = v
		}
		typed(b, m)
	case []string:
		l := []any{}
		for _, e := range x {
			l = append(l, e)
		}
		typed(b, l)
	default:
		fmt.Fprintf(b, "{\"$unknown\":%q}", fmt.Sprintf("%T", v))
	}
}

func typedString(v any) json.RawMessage {
	var b strings.Builder
	typed(&b, v)
	return json.RawMessage(b.String())
}

type strvalsCase struct {
	Kind  string            `json:"kind"`
	Input string            `json:"input"`
	Dest  json.RawMessage   `json:"dest,omitempty"`
	Files map[string]string `json:"files,omitempty"`
}

func runStrvals(c strvalsCase) (any, error) {
	dest := map[string]any{}
	if len(c.Dest) > 0 {
		if err := json.Unmarshal(c.Dest, &dest); err != nil {
			return nil, fmt.Errorf("bad dest: %w", err)
		}
	}
	var err error
	switch c.Kind {
	case "set":
		err = strvals.ParseInto(c.Input, dest)
	case "string":
		err = strvals.ParseIntoString(c.Input, dest)
	case "json":
		err = strvals.ParseJSON(c.Input, dest)
	case "literal":
		err = strvals.ParseLiteralInto(c.Input, dest)
	case "file":
		reader := func(rs []rune) (any, error) {
			name := string(rs)
			if content, ok := c.Files[name]; ok {
				return content, nil
			}
			return nil, fmt.Errorf("open %s: no such file or directory", name)
		}
		err = strvals.ParseIntoFile(c.Input, dest, reader)
	default:
		return nil, fmt.Errorf("unknown kind %q", c.Kind)
	}
	return dest, err
}

// userOpts are the value flags of a case, in the shape of cli/values.Options.
type userOpts struct {
	Files   map[string]string `json:"files,omitempty"`
	Values  []string          `json:"values,omitempty"`
	Set     []string          `json:"set,omitempty"`
	String  []string          `json:"set_string,omitempty"`
	JSON    []string          `json:"set_json,omitempty"`
	File    []string          `json:"set_file,omitempty"`
	Literal []string          `json:"set_literal,omitempty"`
}

// mergeUser runs cli/values MergeValues with the case's files written to a scratch directory.
func mergeUser(o userOpts) (map[string]any, error) {
	dir, err := os.MkdirTemp("", "chartvalues")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	old, _ := os.Getwd()
	defer os.Chdir(old)
	for name, content := range o.Files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return nil, err
		}
	}
	if err := os.Chdir(dir); err != nil {
		return nil, err
	}
	opts := values.Options{
		ValueFiles:    o.Values,
		Values:        o.Set,
		StringValues:  o.String,
		JSONValues:    o.JSON,
		FileValues:    o.File,
		LiteralValues: o.Literal,
	}
	return opts.MergeValues(getter.Providers{})
}

type chartCase struct {
	Chart string `json:"chart"`
	userOpts
}

func depInfo(c *chart.Chart) []any {
	out := []any{}
	if c.Metadata == nil {
		return out
	}
	for _, d := range c.Metadata.Dependencies {
		iv := []any{}
		for _, x := range d.ImportValues {
			iv = append(iv, x)
		}
		tags := []any{}
		for _, t := range d.Tags {
			tags = append(tags, t)
		}
		out = append(out, map[string]any{
			"name":          d.Name,
			"alias":         d.Alias,
			"condition":     d.Condition,
			"enabled":       d.Enabled,
			"tags":          tags,
			"import-values": iv,
		})
	}
	return out
}

// walk records, for every chart of the processed tree, the .Values its templates see
// (pkg/engine recAllTpls: the root sees everything, a subchart the table under its name).
func walk(c *chart.Chart, vals common.Values, path string, outVals, outDeps, outOwn map[string]any, order *[]any) {
	*order = append(*order, path)
	outVals[path] = map[string]any(vals)
	outDeps[path] = depInfo(c)
	outOwn[path] = c.Values
	for _, sub := range c.Dependencies() {
		sv, err := vals.Table(sub.Name())
		if err != nil {
			sv = common.Values{}
		}
		walk(sub, sv, path+"/charts/"+sub.Name(), outVals, outDeps, outOwn, order)
	}
}

func runChart(cc chartCase, base string) (any, error) {
	ch, err := loader.Load(filepath.Join(base, cc.Chart))
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	vals, err := mergeUser(cc.userOpts)
	if err != nil {
		return nil, err
	}
	if err := chartutil.ProcessDependencies(ch, vals); err != nil {
		return nil, fmt.Errorf("chart dependencies processing failed: %w", err)
	}
	top, err := cutil.ToRenderValuesWithSchemaValidation(ch, vals, common.ReleaseOptions{Name: "r", Namespace: "ns"}, nil, false)
	if err != nil {
		return nil, err
	}
	outVals := map[string]any{}
	outDeps := map[string]any{}
	outOwn := map[string]any{}
	order := []any{}
	rv, _ := top["Values"].(common.Values)
	walk(ch, rv, ch.Name(), outVals, outDeps, outOwn, &order)
	return map[string]any{"values": outVals, "deps": outDeps, "chart_values": outOwn, "charts": order}, nil
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: chartvalues strvals|merge|chart <cases.jsonl> [charts dir]")
		os.Exit(2)
	}
	mode, path := os.Args[1], os.Args[2]
	base := "."
	if len(os.Args) > 3 {
		base, _ = filepath.Abs(os.Args[3])
	}
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "//") {
			continue
		}
		var result any
		var runErr error
		var caseObj map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &caseObj); err != nil {
			fmt.Fprintf(os.Stderr, "bad case %s: %v\n", line, err)
			os.Exit(1)
		}
		switch mode {
		case "strvals":
			var c strvalsCase
			json.Unmarshal([]byte(line), &c)
			if len(c.Dest) > 0 {
				// Echo the starting map with Go's types (JSON numbers are float64).
				var d map[string]any
				json.Unmarshal(c.Dest, &d)
				caseObj["dest"] = typedString(d)
			}
			result, runErr = runStrvals(c)
		case "merge":
			var c userOpts
			json.Unmarshal([]byte(line), &c)
			result, runErr = mergeUser(c)
		case "chart":
			var c chartCase
			json.Unmarshal([]byte(line), &c)
			result, runErr = runChart(c, base)
		}
		if runErr != nil {
			e, _ := json.Marshal(runErr.Error())
			caseObj["error"] = e
		} else {
			caseObj["result"] = typedString(result)
		}
		// Keep the case fields in a stable order.
		keys := make([]string, 0, len(caseObj))
		for k := range caseObj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				out.WriteByte(',')
			}
			kj, _ := json.Marshal(k)
			out.Write(kj)
			out.WriteByte(':')
			out.Write(caseObj[k])
		}
		out.WriteString("}\n")
	}
}
