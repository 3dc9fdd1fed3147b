// Command chartfiles answers questions about chart loading and the .Files object with Helm
// v4.3.1's own Go packages, as the oracle for Wheelhouse's src/chart/{load,files} tests.
//
// It reads one JSON request per line on stdin and writes one JSON answer per line on stdout:
//
//	{"op":"glob","pattern":P,"names":[...]}        gobwas/glob (Helm's .Files.Glob matcher, '/' separator)
//	{"op":"ignore","rules":TEXT,"paths":[{"path":P,"dir":B}]}  pkg/ignore rules (plus AddDefaults)
//	{"op":"loadfiles","files":[{"name":N,"data":B64}]}        pkg/chart/v2/loader.LoadFiles
//	{"op":"archive","data":B64}                               v2 loader.LoadArchive (and raw file list)
//	{"op":"loaddir","path":P}                                 pkg/chart/loader.Load (directory or .tgz file)
//	{"op":"render","files":[...],"values":{...}}              pkg/engine.Render of a chart built by LoadFiles
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"time"

	"github.com/gobwas/glob"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/loader"
	"helm.sh/helm/v4/pkg/chart/loader/archive"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	v2loader "helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	"helm.sh/helm/v4/pkg/ignore"
)

type inFile struct {
	Name string `json:"name"`
	Data string `json:"data"`
}

type request struct {
	Op      string         `json:"op"`
	Pattern string         `json:"pattern"`
	Names   []string       `json:"names"`
	Rules   string         `json:"rules"`
	Paths   []pathReq      `json:"paths"`
	Files   []inFile       `json:"files"`
	Data    string         `json:"data"`
	Path    string         `json:"path"`
	Values  map[string]any `json:"values"`
}

type pathReq struct {
	Path string `json:"path"`
	Dir  bool   `json:"dir"`
}

type fakeInfo struct {
	name string
	dir  bool
}

func (f fakeInfo) Name() string { return f.name }
func (f fakeInfo) Size() int64  { return 0 }
func (f fakeInfo) Mode() fs.FileMode {
	if f.dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}
func (f fakeInfo) ModTime() time.Time { return time.Time{} }
func (f fakeInfo) IsDir() bool        { return f.dir }
func (f fakeInfo) Sys() any           { return nil }

type fileSum struct {
	Name   string `json:"name"`
	Sha256 string `json:"sha256"`
}

type summary struct {
	Name      string          `json:"name"`
	Metadata  *chart.Metadata `json:"metadata"`
	Lock      *chart.Lock     `json:"lock"`
	Templates []fileSum       `json:"templates"`
	Files     []fileSum       `json:"files"`
	Raw       []string        `json:"raw"`
	Values    map[string]any  `json:"values"`
	Schema    *string         `json:"schema"`
	Deps      []summary       `json:"deps"`
}

func sum(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

func sums(fs []*common.File) []fileSum {
	out := []fileSum{}
	for _, f := range fs {
		out = append(out, fileSum{f.Name, sum(f.Data)})
	}
	return out
}

func summarize(c *chart.Chart) summary {
	s := summary{Name: c.Name(), Metadata: c.Metadata, Lock: c.Lock, Templates: sums(c.Templates), Files: sums(c.Files), Raw: []string{}, Values: c.Values, Deps: []summary{}}
	if s.Values == nil {
		s.Values = map[string]any{}
	}
	for _, f := range c.Raw {
		s.Raw = append(s.Raw, f.Name)
	}
	if c.Schema != nil {
		x := sum(c.Schema)
		s.Schema = &x
	}
	for _, d := range c.Dependencies() {
		s.Deps = append(s.Deps, summarize(d))
	}
	sort.Slice(s.Deps, func(i, j int) bool { return s.Deps[i].Name < s.Deps[j].Name })
	return s
}

func decodeFiles(in []inFile) ([]*archive.BufferedFile, error) {
	out := []*archive.BufferedFile{}
	for _, f := range in {
		b, err := base64.StdEncoding.DecodeString(f.Data)
		if err != nil {
			return nil, err
		}
		out = append(out, &archive.BufferedFile{Name: f.Name, Data: b})
	}
	return out, nil
}

func answer(r request) any {
	switch r.Op {
	case "glob":
		g, err := glob.Compile(r.Pattern, '/')
		res := map[string]any{}
		if err != nil {
			res["error"] = err.Error()
			g, _ = glob.Compile("**")
		}
		m := []any{}
		for _, n := range r.Names {
			m = append(m, safeMatch(g, n))
		}
		res["matches"] = m
		return res
	case "ignore":
		rules, err := ignore.Parse(bytes.NewBufferString(r.Rules))
		if err != nil {
			return map[string]any{"error": err.Error()}
		}
		rules.AddDefaults()
		out := []bool{}
		for _, p := range r.Paths {
			out = append(out, rules.Ignore(p.Path, fakeInfo{p.Path, p.Dir}))
		}
		return map[string]any{"ignored": out}
	case "loadfiles":
		files, err := decodeFiles(r.Files)
		if err != nil {
			return map[string]any{"error": "bad request: " + err.Error()}
		}
		c, err := v2loader.LoadFiles(files)
		if err != nil {
			return map[string]any{"error": err.Error()}
		}
		return map[string]any{"chart": summarize(c)}
	case "archive":
		b, err := base64.StdEncoding.DecodeString(r.Data)
		if err != nil {
			return map[string]any{"error": "bad request: " + err.Error()}
		}
		res := map[string]any{}
		files, err := archive.LoadArchiveFiles(bytes.NewReader(b))
		if err != nil {
			res["files_error"] = err.Error()
		} else {
			names := []string{}
			for _, f := range files {
				names = append(names, f.Name)
			}
			res["files"] = names
		}
		c, err := v2loader.LoadArchive(bytes.NewReader(b))
		if err != nil {
			res["error"] = err.Error()
		} else {
			res["chart"] = summarize(c)
		}
		return res
	case "loaddir":
		ch, err := loader.Load(r.Path)
		if err != nil {
			return map[string]any{"error": err.Error()}
		}
		c, ok := ch.(*chart.Chart)
		if !ok {
			// Charts of other apiVersions (v3) are internal types: report their JSON form.
			b, err := json.Marshal(ch)
			if err != nil {
				return map[string]any{"error": err.Error()}
			}
			return map[string]any{"type": fmt.Sprintf("%T", ch), "json": json.RawMessage(b)}
		}
		return map[string]any{"chart": summarize(c)}
	case "render":
		files, err := decodeFiles(r.Files)
		if err != nil {
			return map[string]any{"error": "bad request: " + err.Error()}
		}
		c, err := v2loader.LoadFiles(files)
		if err != nil {
			return map[string]any{"error": err.Error()}
		}
		vals := r.Values
		if vals == nil {
			vals = map[string]any{}
		}
		out, err := engine.Render(c, common.Values{"Values": vals})
		if err != nil {
			return map[string]any{"error": err.Error()}
		}
		return map[string]any{"rendered": out}
	}
	return map[string]any{"error": "unknown op " + r.Op}
}

// safeMatch reports a panic inside the matcher (text/template turns a panicking method call
// into an error) as the string "panic".
func safeMatch(g glob.Glob, name string) (out any) {
	defer func() {
		if recover() != nil {
			out = "panic"
		}
	}()
	return g.Match(name)
}

func main() {
	in := bufio.NewReader(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	dec := json.NewDecoder(in)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for {
		var r request
		if err := dec.Decode(&r); err == io.EOF {
			return
		} else if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if err := enc.Encode(answer(r)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
}
