// Command codec-oracle runs Wheelhouse codec test cases through the real Go libraries that
// Helm 4.3.1 uses, so the Rust codec (src/codec) can be compared with them byte for byte.
//
// Input (stdin): one JSON object per line: {"op": "<op>", "input": <value or string>}.
// Output (stdout): the same objects with "output" added, one per line.
//
// Value inputs follow the Wheelhouse convention: a JSON number written with '.', 'e' or 'E'
// is a Go float64, any other number is a Go int (uint64 when it does not fit int64).
// Value outputs use the same convention: every float64 is written with '.', 'e' or 'E'.
//
// Ops (the Helm function each mirrors is in helm.sh/helm/v4 pkg/engine/funcs.go):
//
//	toYaml, toYamlPretty, toJson, toToml          input: value   output: string
//	fromYaml, fromYamlArray, fromJson,            input: string  output: value
//	fromJsonArray, fromToml
//	loadValues                                    input: string  output: {"values": v} or {"error": s}
//	readValues                                    input: string  output: {"values": v, "error": s}
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"sigs.k8s.io/yaml"
	goyaml3 "sigs.k8s.io/yaml/goyaml.v3"
)

type testCase struct {
	Op    string          `json:"op"`
	Input json.RawMessage `json:"input"`
	Note  string          `json:"note,omitempty"`
}

func main() {
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for {
		line, err := in.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			result, perr := run(line)
			if perr != nil {
				fmt.Fprintf(os.Stderr, "bad case %q: %v\n", line, perr)
				os.Exit(2)
			}
			out.Write(result)
			out.WriteByte('\n')
		}
		if err != nil {
			break
		}
	}
}

func run(line []byte) ([]byte, error) {
	var tc testCase
	if err := json.Unmarshal(line, &tc); err != nil {
		return nil, err
	}
	var output string
	switch tc.Op {
	case "toYaml", "toYamlPretty", "toJson", "toToml":
		v, err := decodeValue(tc.Input)
		if err != nil {
			return nil, err
		}
		output = quote(render(tc.Op, v))
	case "fromYaml", "fromYamlArray", "fromJson", "fromJsonArray", "fromToml", "loadValues", "readValues":
		var s string
		if err := json.Unmarshal(tc.Input, &s); err != nil {
			return nil, err
		}
		output = parse(tc.Op, s)
	default:
		return nil, fmt.Errorf("unknown op %q", tc.Op)
	}
	var b bytes.Buffer
	b.WriteString(`{"op":`)
	b.WriteString(quote(tc.Op))
	if tc.Note != "" {
		b.WriteString(`,"note":`)
		b.WriteString(quote(tc.Note))
	}
	b.WriteString(`,"input":`)
	b.Write(bytes.TrimSpace(tc.Input))
	b.WriteString(`,"output":`)
	b.WriteString(output)
	b.WriteString("}")
	return b.Bytes(), nil
}

func render(op string, v any) string {
	switch op {
	case "toYaml":
		data, err := yaml.Marshal(v)
		if err != nil {
			return ""
		}
		return strings.TrimSuffix(string(data), "\n")
	case "toYamlPretty":
		var data bytes.Buffer
		enc := goyaml3.NewEncoder(&data)
		enc.SetIndent(2)
		if err := enc.Encode(v); err != nil {
			return ""
		}
		return strings.TrimSuffix(data.String(), "\n")
	case "toJson":
		data, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(data)
	case "toToml":
		var b bytes.Buffer
		if err := toml.NewEncoder(&b).Encode(v); err != nil {
			return err.Error()
		}
		return b.String()
	}
	panic(op)
}

func parse(op, s string) string {
	switch op {
	case "fromYaml":
		m := map[string]any{}
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return encodeValue(m)
	case "fromYamlArray":
		a := []any{}
		if err := yaml.Unmarshal([]byte(s), &a); err != nil {
			a = []any{err.Error()}
		}
		return encodeValue(a)
	case "fromJson":
		m := map[string]any{}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return encodeValue(m)
	case "fromJsonArray":
		a := []any{}
		if err := json.Unmarshal([]byte(s), &a); err != nil {
			a = []any{err.Error()}
		}
		return encodeValue(a)
	case "fromToml":
		m := map[string]any{}
		if err := toml.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return encodeValue(m)
	case "loadValues":
		v, err := loader.LoadValues(strings.NewReader(s))
		if err != nil {
			return `{"error":` + quote(err.Error()) + `}`
		}
		return `{"values":` + encodeValue(v) + `}`
	case "readValues":
		v, err := common.ReadValues([]byte(s))
		e := "null"
		if err != nil {
			e = quote(err.Error())
		}
		return `{"values":` + encodeValue(map[string]any(v)) + `,"error":` + e + `}`
	}
	panic(op)
}

// decodeValue turns case JSON into the Go values a Helm template would hold.
func decodeValue(raw json.RawMessage) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return convert(v)
}

func convert(v any) (any, error) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			c, err := convert(e)
			if err != nil {
				return nil, err
			}
			t[k] = c
		}
		return t, nil
	case []any:
		for i, e := range t {
			c, err := convert(e)
			if err != nil {
				return nil, err
			}
			t[i] = c
		}
		return t, nil
	case json.Number:
		s := string(t)
		if strings.ContainsAny(s, ".eE") {
			return strconv.ParseFloat(s, 64)
		}
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return int(i), nil
		}
		return strconv.ParseUint(s, 10, 64)
	}
	return v, nil
}

func quote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		panic(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// encodeValue writes a Go value as JSON with every float64 marked as a float.
func encodeValue(v any) string {
	var b strings.Builder
	writeValue(&b, v)
	return b.String()
}

func writeValue(b *strings.Builder, v any) {
	switch t := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(t))
	case string:
		b.WriteString(quote(t))
	case int:
		b.WriteString(strconv.Itoa(t))
	case int64:
		b.WriteString(strconv.FormatInt(t, 10))
	case uint64:
		b.WriteString(strconv.FormatUint(t, 10))
	case float64:
		switch {
		case math.IsNaN(t):
			b.WriteString(`{"$float":"NaN"}`)
		case math.IsInf(t, 1):
			b.WriteString(`{"$float":"+Inf"}`)
		case math.IsInf(t, -1):
			b.WriteString(`{"$float":"-Inf"}`)
		default:
			s := strconv.FormatFloat(t, 'g', -1, 64)
			if !strings.ContainsAny(s, ".e") {
				s += ".0"
			}
			b.WriteString(s)
		}
	case time.Time:
		b.WriteString(`{"$time":` + quote(t.Format(time.RFC3339Nano)) + `}`)
	case map[string]any:
		if t == nil {
			b.WriteString("null")
			return
		}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("{")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(quote(k))
			b.WriteString(":")
			writeValue(b, t[k])
		}
		b.WriteString("}")
	case []any:
		if t == nil {
			b.WriteString("null")
			return
		}
		b.WriteString("[")
		for i, e := range t {
			if i > 0 {
				b.WriteString(",")
			}
			writeValue(b, e)
		}
		b.WriteString("]")
	case []map[string]any:
		b.WriteString("[")
		for i, e := range t {
			if i > 0 {
				b.WriteString(",")
			}
			writeValue(b, e)
		}
		b.WriteString("]")
	default:
		b.WriteString(`{"$unknown":` + quote(fmt.Sprintf("%T %v", v, v)) + `}`)
	}
}
