// Command semver-oracle writes the expected-results table for Wheelhouse's Rust port of
// github.com/Masterminds/semver/v3 (src/semver). Every expected value in the table comes from
// the real Go libraries Helm 4.3.1 links: Masterminds/semver v3.5.0, Sprig v3.3.0 (semverCompare)
// and Helm's own chartutil.IsCompatibleRange / common.ParseKubeVersion.
//
// Usage (from this directory):
//
//	go run . > ../../../src/semver/testdata/oracle.tsv
//
// Output: one case per line, four tab-separated fields: kind, input a, input b, expected.
// Fields are escaped so that they stay on one line: a backslash is written as `\\` and every
// byte below 0x20 (and 0x7f) as `\xHH`. The kinds and the shape of "expected" are:
//
//	parse      a=version            NewVersion:        "ok string=S original=O major=M minor=m patch=p pre=P meta=B" or "err MESSAGE"
//	strict     a=version            StrictNewVersion:  same shape as parse
//	compare    a, b = versions      a.Compare(b):      "-1", "0" or "1"
//	inc        a=version            "major=S/O minor=S/O patch=S/O" (String/Original after IncMajor, IncMinor, IncPatch)
//	setpre     a=version b=pre      SetPrerelease:     "ok S/O" or "err MESSAGE"
//	setmeta    a=version b=meta     SetMetadata:       "ok S/O" or "err MESSAGE"
//	constraint a=constraint         NewConstraint:     "ok STRING" (Constraints.String()) or "err MESSAGE"
//	check      a=constraint b=ver   Check:             "true" or "false"
//	checkpre   a=constraint b=ver   Check with IncludePrerelease = true
//	validate   a=constraint b=ver   Validate:          "true" or "false MSG1 ;; MSG2 ..."
//	sprig      a=constraint b=ver   Sprig semverCompare: "true", "false" or "err MESSAGE"
//	kube       a=constraint b=ver   Helm chartutil.IsCompatibleRange: "true" or "false"
//	kubeparse  a=version            Helm common.ParseKubeVersion: "ok STRING VERSION" or "err MESSAGE"
//
// The inputs below are Wheelhouse's own test design; only the expected column is computed.
package main

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/Masterminds/sprig/v3"
	"helm.sh/helm/v4/pkg/chart/common"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
)

var out = bufio.NewWriter(os.Stdout)

func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			b.WriteString(`\\`)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func row(kind, a, b, expected string) {
	fmt.Fprintf(out, "%s\t%s\t%s\t%s\n", kind, escape(a), escape(b), escape(expected))
}

func describe(v *semver.Version) string {
	return fmt.Sprintf("ok string=%s original=%s major=%d minor=%d patch=%d pre=%s meta=%s",
		v.String(), v.Original(), v.Major(), v.Minor(), v.Patch(), v.Prerelease(), v.Metadata())
}

func parseResult(v *semver.Version, err error) string {
	if err != nil {
		return "err " + err.Error()
	}
	return describe(v)
}

func so(v semver.Version) string { return v.String() + "/" + v.Original() }

// Versions that NewVersion / StrictNewVersion are asked to parse.
var parseInputs = []string{
	"1.2.3", "v1.2.3", "1.2", "1", "v1", "v1.2", "0", "0.0.0", "0.0", "10.20.30",
	"1.2.3-beta", "1.2.3-beta.1", "1.2.3-alpha.beta.gamma", "1.2.3+build", "1.2.3+build.5.x",
	"1.2.3-rc.1+build.5", "v1.2.3-rc.1+build.5", "1.2-beta", "1-beta", "1+meta", "1.2+meta",
	"1.0.0-0", "1.0.0-0.3.7", "1.0.0-x.7.z.92", "1.0.0-x-y-z.--", "1.0.0--", "1.0.0-a-b",
	"1.0.0+21AF26D3----117B344092BD", "1.2.3-00", "1.2.3-01", "1.2.3-0a", "1.2.3-a.01", "1.2.3+01",
	"1.2.3+0.00", "01.2.3", "1.02.3", "1.2.03", "00.00.00", "000001", "v01.02.03-rc.1",
	"", "v", "V1.2.3", "vv1.2.3", "1.2.3.4", "1.2.3-", "1.2.3+", "1.2.3-+", "1.2.3-a_b",
	"1.2.3+a_b", "1.2.3-a..b", "1.2.3+a..b", "1.2.3-.a", "1.2.3-a.", "1.2.3+a+b", "1.2.3-a+b-c",
	" 1.2.3", "1.2.3 ", "1.2.3\n", "\t1.2.3", ".1", "1.", "1..2", "1.2.", ".1.2", "-1", "+1",
	"1.-2", "a.b.c", "1.x", "1.2.x", "*", "1.2.3-ü", "ü", "1.2.3+ü", "1.2.3-alpha_beta",
	"18446744073709551615.18446744073709551615.18446744073709551615",
	"18446744073709551616", "1.18446744073709551616", "1.2.18446744073709551616",
	"99999999999999999999.0.0-01", "1.2.3-18446744073709551616", "1.2.3-alpha.18446744073709551616",
	"1.33.0-gke.1000", "v1.33.0-gke.1000", "v1.33.4-eks-2ffd4b8", "v1.30.0+k3s1", "v1.29.3-rke2r1",
	"1.2.3 - 1.4", "1.2.3,", "1.2.3-beta..1", "1.2.3-beta.0", "0.0.0-0", "v0.0.0+0",
	"1.2.3-" + strings.Repeat("a", 249), "1.2.3-" + strings.Repeat("a", 250), strings.Repeat("1", 257),
	"1.2.3-a.b.c.d.e.f.g.1.2.3.4", "1.0.0-ALPHA", "1.0.0-Alpha.Beta", "2.0.0-RC-1",
}

// Versions ordered by Compare against each other (every pair).
var compareInputs = []string{
	"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
	"1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "v1.0.0", "1.0.0+build.1", "1.0.0-alpha+b",
	"1.0.0-1", "1.0.0-2", "1.0.0-10", "1.0.0-a", "1.0.0-A", "1.0.0-alpha-1", "1.0.0--",
	"1.0.0-0", "1.0.0-18446744073709551616", "1.0.0-18446744073709551615", "1.0.0-1.a",
	"1.0.0-1.1", "0.9.9", "1.0.1", "1.1.0", "2.0.0", "10.0.0", "1.10.0", "1.2", "1",
	"1.33.0-gke.1000", "1.33.0-gke.999", "1.33.0-eks.1", "1.33.0",
}

var incInputs = []string{
	"1.2.3", "v1.2.3", "1.2.3-beta", "v1.2.3-beta+meta", "1.2.3+meta", "0.0.0", "1", "v2.5",
	"01.02.03", "1.2.3-beta.1+build", "V1.2.3",
}

var setInputs = [][2]string{
	{"1.2.3", "beta"}, {"v1.2.3", "beta.1"}, {"1.2.3-alpha", ""}, {"1.2.3+meta", "rc.1"},
	{"1.2.3", "01"}, {"1.2.3", "a..b"}, {"1.2.3", "a_b"}, {"1.2.3", ".a"}, {"1.2.3", "0"},
	{"1.2.3", "-"}, {"v1.2.3-x+y", "build.7"}, {"1.2.3", "ü"}, {"1.2.3", "00a"},
}

// Constraint strings given to NewConstraint (valid and invalid). The first part is also used
// for the check/validate cross products below.
var checkConstraints = []string{
	"1.2.3", "=1.2.3", "= 1.2.3", "v1.2.3", "!=1.2.3", "!=1.2", "!=1", "!=1.x", "!=1.2.x",
	"!=*", "!=1.2.3-beta", "!=1.2.x-beta", "!=0.0.0",
	">1.2.3", ">1.2", ">1", ">11", ">11.1", ">1.x", ">*", ">1.2.3-alpha", ">0.0.0-0",
	"<1.2.3", "<1.2", "<1", "<1.x", "<*", "<2.0.0-0", "<1.2.3-beta",
	">=1.2.3", ">=1.2", ">= 1", "=>1.2", ">=1.25.0-0", ">=1.25.0", ">=0.0.0", ">=1.2.3-beta", ">=1.x",
	"<=1.2.3", "<=1.2", "=<1.2", "<=1", "<=1.x", "<=1.2.x", "<=*", "<=2.0.0-0",
	"~1.2.3", "~1.2", "~1", "~>1.2.3", "~> 1.2", "~1.x", "~0", "~0.0.0", "~*", "~1.2.3-beta",
	"~0.2.3", "~2.x.x",
	"^1.2.3", "^1.2", "^1", "^0.2.3", "^0.2", "^0.0.3", "^0.0", "^0", "^*", "^1.x", "^0.x",
	"^0.0.x", "^1.2.3-beta", "^0.0.0", "^0.1.x",
	"1.x", "1.2.x", "1.X", "1.*", "*", "x", "X", "x.x.x", "1.x.x", "2.x", "1.2.x-0", "x.2.3",
	"1.x.3", "1.2.*",
	"1.2 - 1.4.5", "1.2.3 - 1.4", "1 - 2", "1.2.3-alpha - 1.4", "v1.0.0 - v2.0.0",
	">=1.0.0 <2.0.0", ">=1.0.0, <2.0.0", ">=1.0.0,<2.0.0", ">= 1.0.0 , < 2.0.0",
	"1.2.3 || 2.0.0", "<1.0.0 || >=2.0.0", "^1.2 || ^2.0", ">=1.0.0-0 <2.0.0 || >=3.0.0",
	">=1.24.0-0 <1.26.0-0", ">= 1.19.0-0", ">=1.25.0-0 || <1.0.0", "~1.33.0-0",
	"1.0.0+build", ">1.0.0+meta", "v1.x", "1.2.3-beta.1 || 1.2.4", "*-0", ">=0.0.0-0",
	"1.2.3 2.0.0", ">1.0.0 <1.2.3-beta", "1 - 2 || 3 - 4", "1||2 - 3", "1 - 2||3",
	"\t>=1.0.0\n<2.0.0 ", "01.2.3", ">=1.0.0-beta.2 <1.0.0", "!=1.2.3 !=1.2.4 >=1.2",
}

var invalidConstraints = []string{
	"", " ", "||", "1.2.3 ||", "|| 1.2.3", "abc", ">=1.2.3<2.0", "1.2.3.4", ">==1.2.3", "==1.2.3",
	"> = 1", "1.2.3 -2.0", "1|2", "1x", "**", "1.2.3-01", "1.2.3-", "1.2.3+", "~1.2.3-a..b",
	"1.0 - 2.0 - 3.0", "1.2.3,", ",1.2.3", "1.2.3,,2.0", "1.2.3\v", "99999999999999999999",
	"1.2.3x", "a||b", "1 ||| 2", "1.0 ≥ 2", "v", "vv1", "V1.2", "1.2.3 - ", "- 1.2.3",
	"1.2.3-beta - 2", "1.2.3 -  2.0.0", "1.2.3  -  2.0", "1.2.3 -\t2.0", ">=1.2.3 <2", "=1.2.3 =1.2.4",
	"~>", "^", ">", "1.2.3 x", "1.2.3-a_b", "=< 1.2", "=> 1.2", "~ 1.2", "^ 1.2", "! =1.2",
	"1.2.3-01 || 1.2", "xx", "x1", "1.x1", "1.2.3|", "1.2.3 |", "<>1.2", "1.2.3 - 2.0.0 - 3.0.0",
	"1 - 2 - 3 - 4", ">= 1 - 2", "1.2.3.4 - 2", "1.0.0 - 2.0.0,3.0.0", "v1.2.3 - v1.2.4 || v2",
	"1.2.3 - 1.2.4-beta.1+build", "\u00a01.2.3", "1.2.3\x00", "1.2.3 \"quoted\"", "1.2.3 \\",
	strings.Repeat("1", 300), strings.Repeat("1.2.3 || ", 31) + "1.2.3", strings.Repeat("1.2.3 || ", 32) + "1.2.3",
	strings.Repeat(">=1.0.0 ", 64), strings.Repeat(">=1.0.0 ", 64) + "1",
}

// Versions checked against every constraint in checkConstraints.
var checkVersions = []string{
	"1.2.3", "v1.2.3", "1.2", "1", "0.0.0", "0.0.1", "0.0.3", "0.0.4", "0.1.0", "0.1.5", "0.2.0",
	"0.2.3", "0.2.4", "0.3.0", "1.0.0", "1.0.0-alpha", "1.0.0-beta.2", "1.0.0-0", "1.0.0+build.1",
	"1.1.0", "1.2.0", "1.2.2", "1.2.4", "1.2.3-beta", "1.2.3-alpha", "1.2.3-beta.1", "1.2.3+meta",
	"1.2.4-beta", "1.3.0", "1.3.0-rc1", "1.4.5", "1.4.6", "1.5.0", "2.0.0", "2.0.0-0", "2.0.0-alpha",
	"2.1.0", "2.5.0", "3.0.0", "4.1.0", "10.0.0", "11.1.0", "11.2.1", "12.0.0",
	"1.33.0-gke.1000", "v1.33.0-gke.1000", "v1.33.4-eks-2ffd4b8", "v1.30.0+k3s1", "1.24.0",
	"1.25.0", "1.25.0-0", "0.0.0-0", "18446744073709551615.0.0",
}

// A smaller set of constraints for Validate (its messages are long).
var validateConstraints = []string{
	"1.2.3", "!=1.2.3", "!=1.x", "!=1.2.x", ">1.2.3", ">1.x", ">1.2.x", "<1.2.3", ">=1.2.3",
	"<=1.2.3", "<=1.x", "~1.2.3", "~1.x", "^1.2.3", "^0.2.3", "^0.0.3", "^0.x", "1.x",
	">=1.0.0 <2.0.0", "<1.0.0 || >=2.0.0", ">0.0.0-0", ">=1.25.0-0", "1.2 - 1.4.5", "^1.2.3-beta",
	"!=1.2.x-beta",
}

var validateVersions = []string{
	"0.0.1", "0.0.4", "0.2.3", "0.3.0", "1.0.0", "1.2.2", "1.2.3", "1.2.4", "1.3.0", "2.0.0",
	"1.2.3-beta", "1.2.3-alpha", "2.0.0-0", "v1.33.0-gke.1000", "1.4.6",
}

var kubeConstraints = []string{
	">=1.25.0-0", ">=1.25.0", ">= 1.19.0-0 < 1.34.0-0", "^1.33.0-0", "~1.33.0-0", ">=1.20.0 <1.40.0",
	"1.33.x", ">=1.25", ">=1.25-0", "<1.33.0", ">=1.33.0-gke.999", "", ">=v1.25.0-0",
}

var kubeVersions = []string{
	"v1.33.0-gke.1000", "v1.33.4-eks-2ffd4b8", "v1.30.0+k3s1", "v1.29.3-rke2r1", "v1.33.0",
	"1.33.0", "v1.24.17", "v1.34.0", "v1.37.1", "not-a-version", "",
}

var kubeParseInputs = []string{
	"v1.33.0-gke.1000", "v1.33.4-eks-2ffd4b8", "1.30.0+k3s1", "v1.29", "1.37", "v1", " v1.2.3 ",
	"01.2.3", "1.02.3", "v1.2.3.4", "abc", "", "1.2.3-rc.1", "v1.33.0-gke.1000+x",
}

func main() {
	defer out.Flush()

	for _, s := range parseInputs {
		row("parse", s, "", parseResult(semver.NewVersion(s)))
		row("strict", s, "", parseResult(semver.StrictNewVersion(s)))
	}

	for _, a := range compareInputs {
		va, err := semver.NewVersion(a)
		if err != nil {
			panic(err)
		}
		for _, b := range compareInputs {
			vb, err := semver.NewVersion(b)
			if err != nil {
				panic(err)
			}
			row("compare", a, b, fmt.Sprint(va.Compare(vb)))
		}
	}

	for _, s := range incInputs {
		v, err := semver.NewVersion(s)
		if err != nil {
			row("inc", s, "", "err "+err.Error())
			continue
		}
		row("inc", s, "", fmt.Sprintf("major=%s minor=%s patch=%s", so(v.IncMajor()), so(v.IncMinor()), so(v.IncPatch())))
	}

	for _, p := range setInputs {
		v, err := semver.NewVersion(p[0])
		if err != nil {
			panic(err)
		}
		if n, err := v.SetPrerelease(p[1]); err != nil {
			row("setpre", p[0], p[1], "err "+err.Error())
		} else {
			row("setpre", p[0], p[1], "ok "+so(n))
		}
		if n, err := v.SetMetadata(p[1]); err != nil {
			row("setmeta", p[0], p[1], "err "+err.Error())
		} else {
			row("setmeta", p[0], p[1], "ok "+so(n))
		}
	}

	for _, list := range [][]string{checkConstraints, invalidConstraints} {
		for _, c := range list {
			cs, err := semver.NewConstraint(c)
			if err != nil {
				row("constraint", c, "", "err "+err.Error())
			} else {
				row("constraint", c, "", "ok "+cs.String())
			}
		}
	}

	for _, c := range checkConstraints {
		cs, err := semver.NewConstraint(c)
		if err != nil {
			continue
		}
		pre, _ := semver.NewConstraint(c)
		pre.IncludePrerelease = true
		for _, s := range checkVersions {
			v, err := semver.NewVersion(s)
			if err != nil {
				panic(err)
			}
			row("check", c, s, fmt.Sprint(cs.Check(v)))
			// IncludePrerelease only matters for prerelease versions.
			if v.Prerelease() != "" {
				row("checkpre", c, s, fmt.Sprint(pre.Check(v)))
			}
		}
	}

	for _, c := range validateConstraints {
		cs, err := semver.NewConstraint(c)
		if err != nil {
			panic(err)
		}
		for _, s := range validateVersions {
			v, err := semver.NewVersion(s)
			if err != nil {
				panic(err)
			}
			ok, errs := cs.Validate(v)
			if ok {
				row("validate", c, s, "true")
				continue
			}
			msgs := make([]string, len(errs))
			for i, e := range errs {
				msgs[i] = e.Error()
			}
			row("validate", c, s, "false "+strings.Join(msgs, " ;; "))
		}
	}

	semverCompare := sprig.TxtFuncMap()["semverCompare"].(func(string, string) (bool, error))
	sprigConstraints := append([]string{">=1.2.3", "^1.0", "~1.2.3-0", "1.x || >=3.0.0"}, invalidConstraints[:12]...)
	sprigVersions := []string{"1.2.3", "v1.5.0", "1.2.3-beta", "3.1.0", "", "1.2.3.4", "1.2.3-01", "99999999999999999999"}
	for _, c := range sprigConstraints {
		for _, s := range sprigVersions {
			ok, err := semverCompare(c, s)
			if err != nil {
				row("sprig", c, s, "err "+err.Error())
			} else {
				row("sprig", c, s, fmt.Sprint(ok))
			}
		}
	}

	// Generated inputs near the edges of the grammar, from a fixed seed so the table is stable.
	rng := rand.New(rand.NewPCG(20250601, 4))
	for i := 0; i < 700; i++ {
		s := randomVersion(rng)
		row("parse", s, "", parseResult(semver.NewVersion(s)))
		row("strict", s, "", parseResult(semver.StrictNewVersion(s)))
	}
	probe := []string{"0.0.0", "1.2.3", "1.2.3-beta", "2.0.0", "v1.33.0-gke.1000"}
	for i := 0; i < 1500; i++ {
		c := randomConstraint(rng)
		cs, err := semver.NewConstraint(c)
		if err != nil {
			row("constraint", c, "", "err "+err.Error())
			continue
		}
		row("constraint", c, "", "ok "+cs.String())
		s := probe[i%len(probe)]
		row("check", c, s, fmt.Sprint(cs.Check(semver.MustParse(s))))
	}

	for _, c := range kubeConstraints {
		for _, s := range kubeVersions {
			row("kube", c, s, fmt.Sprint(chartutil.IsCompatibleRange(c, s)))
		}
	}

	for _, s := range kubeParseInputs {
		kv, err := common.ParseKubeVersion(s)
		if err != nil {
			row("kubeparse", s, "", "err "+err.Error())
		} else {
			row("kubeparse", s, "", "ok "+kv.String()+" "+kv.Version)
		}
	}
}

func pick(rng *rand.Rand, options []string) string { return options[rng.IntN(len(options))] }

// Each generated string is either "clean" (pieces that are usually valid, so the evaluation
// paths get exercised) or "noisy" (pieces that probe the edges of the grammar).
type pieces struct {
	numbers, identifiers, operators, separators, spaces, prefixes []string
	edgeOdds                                                      int
}

var clean = pieces{
	numbers:     []string{"0", "1", "2", "3", "10", "x", "X", "*"},
	identifiers: []string{"a", "beta", "0", "1", "rc-1", "gke", "1000", "A"},
	operators:   []string{"", "=", "!=", ">", "<", ">=", "=>", "<=", "=<", "~", "~>", "^"},
	separators:  []string{" ", ",", ", ", " , ", " || ", "||", " - "},
	spaces:      []string{"", "", " "},
	prefixes:    []string{"v"},
	edgeOdds:    0,
}

var noisy = pieces{
	numbers:     []string{"0", "1", "2", "3", "10", "01", "00", "x", "X", "*", "|", "1x", "99999999999999999999", ""},
	identifiers: []string{"a", "beta", "0", "1", "01", "rc-1", "-", "A", "_", "", "gke", "1000", "ü", "x"},
	operators:   []string{"", "", "", "=", "!=", ">", "<", ">=", "=>", "<=", "=<", "~", "~>", "^", "==", "! =", "<>", "> =", "~ >"},
	separators:  []string{" ", " ", ",", ", ", " , ", "  ", "\t", "||", " || ", "|", "|||", " - ", " -", "- ", "-", ",,", "\v", "\n"},
	spaces:      []string{"", "", "", " ", "  ", "\t"},
	prefixes:    []string{"v", "V", "vv"},
	edgeOdds:    10,
}

func randomPieces(rng *rand.Rand) pieces {
	if rng.IntN(2) == 0 {
		return clean
	}
	return noisy
}

func randomNumbers(rng *rand.Rand, p pieces) string {
	var b strings.Builder
	if rng.IntN(4) == 0 {
		b.WriteString(pick(rng, p.prefixes))
	}
	b.WriteString(pick(rng, p.numbers))
	for n := rng.IntN(4); n > 0; n-- {
		b.WriteString(".")
		b.WriteString(pick(rng, p.numbers))
	}
	return b.String()
}

func randomIdentifiers(rng *rand.Rand, p pieces) string {
	var b strings.Builder
	b.WriteString(pick(rng, p.identifiers))
	for n := rng.IntN(3); n > 0; n-- {
		b.WriteString(".")
		b.WriteString(pick(rng, p.identifiers))
	}
	return b.String()
}

func randomVersionWith(rng *rand.Rand, p pieces) string {
	s := randomNumbers(rng, p)
	if rng.IntN(2) == 0 {
		s += "-" + randomIdentifiers(rng, p)
	}
	if rng.IntN(3) == 0 {
		s += "+" + randomIdentifiers(rng, p)
	}
	if p.edgeOdds > 0 && rng.IntN(p.edgeOdds) == 0 {
		s = pick(rng, []string{" ", "\t", "-", "+", "."}) + s
	}
	if p.edgeOdds > 0 && rng.IntN(p.edgeOdds) == 0 {
		s += pick(rng, []string{" ", "\n", "-", "+", ".", ","})
	}
	return s
}

func randomVersion(rng *rand.Rand) string { return randomVersionWith(rng, randomPieces(rng)) }

func randomConstraint(rng *rand.Rand) string {
	p := randomPieces(rng)
	var b strings.Builder
	b.WriteString(pick(rng, p.spaces))
	for n := 1 + rng.IntN(4); n > 0; n-- {
		b.WriteString(pick(rng, p.operators))
		b.WriteString(pick(rng, p.spaces))
		b.WriteString(randomVersionWith(rng, p))
		if n > 1 {
			b.WriteString(pick(rng, p.separators))
		}
	}
	b.WriteString(pick(rng, p.spaces))
	return b.String()
}
