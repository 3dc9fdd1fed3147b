// Command sprig is the oracle for Wheelhouse's template function library
// (src/template/sprig and src/template/helm_funcs.rs). It runs Go's text/template with
// the function map Helm 4.3.1's engine installs (helm.sh/helm/v4/pkg/engine.funcMap, reached
// through go:linkname, plus the engine's getHostByName override for DNS disabled) and prints
// what every case renders.
//
// Case file format (one case per line; blank lines and lines starting with '#' are skipped):
//
//	NAME<TAB>TEMPLATE
//
// Each template is parsed as "t" with missingkey=zero and executed with the JSON document in
// the data file as dot (decoded with encoding/json into map[string]interface{}, as Helm values
// are); "<no value>" is removed from the output as Helm's engine does.
//
// Usage:
//
//	go run . cases CASEFILE DATAFILE > EXPECTED.jsonl   one {"name","out"|"err"} per case
//	go run . names > NAMES.txt                           every function name, sorted
//	go run . checkpems DIR                               check keys/certs Wheelhouse wrote
//
// checkpems reads the files the Rust test `dump_pems_for_go` writes (SPRIG_DUMP_PEMS=DIR):
// each KIND.key must be accepted by Sprig's key parser (through genCAWithKey; DSA keys must
// fail only because Go cannot sign with them), and chain0..3.pem (CA cert, CA key, leaf cert,
// leaf key) must parse, and the leaf must verify against the CA for server auth.
//
// Run with TZ=UTC: Sprig's date functions use the local time zone.
package main

import (
	"bufio"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/template"
	_ "unsafe" // go:linkname

	_ "helm.sh/helm/v4/pkg/engine"
)

//go:linkname helmFuncMap helm.sh/helm/v4/pkg/engine.funcMap
func helmFuncMap() template.FuncMap

// funcs is Helm's map as the engine installs it for `helm template` without --enable-dns.
func funcs() template.FuncMap {
	f := helmFuncMap()
	f["getHostByName"] = func(_ string) string { return "" }
	return f
}

type result struct {
	Name string  `json:"name"`
	Out  *string `json:"out,omitempty"`
	Err  *string `json:"err,omitempty"`
}

func run(text string, data any) (out string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	t, err := template.New("t").Option("missingkey=zero").Funcs(funcs()).Parse(text)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", err
	}
	return strings.ReplaceAll(b.String(), "<no value>", ""), nil
}

func main() {
	if len(os.Args) >= 2 && os.Args[1] == "names" {
		var names []string
		for n := range funcs() {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Println(n)
		}
		return
	}
	if len(os.Args) == 3 && os.Args[1] == "checkpems" {
		os.Exit(checkPems(os.Args[2]))
	}
	if len(os.Args) != 4 || os.Args[1] != "cases" {
		fmt.Fprintln(os.Stderr, "usage: sprig cases CASEFILE DATAFILE | sprig names")
		os.Exit(2)
	}
	raw, err := os.ReadFile(os.Args[3])
	if err != nil {
		panic(err)
	}
	f, err := os.Open(os.Args[2])
	if err != nil {
		panic(err)
	}
	defer f.Close()
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	seen := map[string]bool{}
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, text, ok := strings.Cut(line, "\t")
		if !ok {
			panic("case line without tab: " + line)
		}
		if seen[name] {
			panic("duplicate case name: " + name)
		}
		seen[name] = true
		// Fresh data per case: functions such as set and merge mutate it.
		var data map[string]any
		if err := json.Unmarshal(raw, &data); err != nil {
			panic(err)
		}
		out, err := run(text, data)
		r := result{Name: name}
		if err != nil {
			s := err.Error()
			r.Err = &s
		} else {
			r.Out = &out
		}
		if err := enc.Encode(r); err != nil {
			panic(err)
		}
	}
	if err := sc.Err(); err != nil {
		panic(err)
	}
}

func checkPems(dir string) int {
	failed := 0
	fail := func(format string, args ...any) {
		fmt.Printf("FAIL "+format+"\n", args...)
		failed++
	}
	read := func(name string) string {
		b, err := os.ReadFile(dir + "/" + name)
		if err != nil {
			fail("%s: %v", name, err)
		}
		return string(b)
	}
	for _, kind := range []string{"rsa", "ecdsa", "ed25519", "dsa"} {
		key := read(kind + ".key")
		out, err := run(`{{ (genCAWithKey "x" 1 .key).Key }}`, map[string]any{"key": key})
		if kind == "dsa" {
			if err == nil || !strings.Contains(err.Error(), "does not implement crypto.Signer") {
				fail("dsa key: want signer error, got %v", err)
			} else {
				fmt.Println("ok   dsa key parsed (cannot sign, as in Go)")
			}
			continue
		}
		if err != nil {
			fail("%s key: %v", kind, err)
		} else if out != key {
			fail("%s key: Go re-encodes it differently:\n%s", kind, out)
		} else {
			fmt.Printf("ok   %s key parsed and re-encoded identically\n", kind)
		}
	}
	caCert, caKey, leafCert, leafKey := read("chain0.pem"), read("chain1.pem"), read("chain2.pem"), read("chain3.pem")
	for _, p := range [][2]string{{caCert, caKey}, {leafCert, leafKey}} {
		_, err := run(`{{ buildCustomCert .c .k }}`, map[string]any{
			"c": base64.StdEncoding.EncodeToString([]byte(p[0])),
			"k": base64.StdEncoding.EncodeToString([]byte(p[1])),
		})
		if err != nil {
			fail("buildCustomCert: %v", err)
		}
	}
	parse := func(s string) *x509.Certificate {
		b, _ := pem.Decode([]byte(s))
		if b == nil {
			fail("no PEM")
			return nil
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			fail("parse: %v", err)
		}
		return c
	}
	ca, leaf := parse(caCert), parse(leafCert)
	if ca != nil && leaf != nil {
		pool := x509.NewCertPool()
		pool.AddCert(ca)
		_, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "x.example"})
		if err != nil {
			fail("verify: %v", err)
		} else {
			fmt.Printf("ok   chain verifies (CA %q IsCA=%v, leaf %q IPs=%v DNS=%v)\n",
				ca.Subject.CommonName, ca.IsCA, leaf.Subject.CommonName, leaf.IPAddresses, leaf.DNSNames)
		}
	}
	return failed
}
