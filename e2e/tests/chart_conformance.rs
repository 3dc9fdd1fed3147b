//! Differential test of `wheelhouse template` against the real `helm template` (v4.3.1, built
//! by the e2e tools); no cluster is needed.
//!
//! Cases:
//! - every chart of the shared corpus (`../shared/conformance/charts`, described by
//!   `charts.yaml`) with its default values and with each of its override files in
//!   `../shared/conformance/values`, rendered with `--namespace conformance --kube-version
//!   1.33.0` plus the file's `render_flags` (`api_versions`);
//! - the edge-case charts of `e2e/fixtures/charts` (library chart, aliases, import-values,
//!   tags and conditions, nested `tpl`, offline `lookup`, schema failure, missing required
//!   value, `fail` with default values, manifest splitting/ordering/hook rules, CRDs,
//!   `--show-only`, `--skip-tests`, `--is-upgrade`, `--api-versions`, `--kube-version`,
//!   `--set*` flags, a packaged `.tgz`).
//!
//! Both tools get identical arguments. `wheelhouse template` runs in process through
//! `wheelhouse::cli::template::execute` with the argument vector parsed by the same clap
//! definition the binary uses. A case is identical when the exit status, stdout and stderr
//! are byte-identical. For corpus charts that `charts.yaml` lists with nondeterministic
//! functions (`randAlphaNum`, `genCA`, …), differing tokens of the same length and alphabet
//! are replaced by placeholders in both outputs before comparing (only in this comparison;
//! the count of replaced tokens is printed).
//!
//! Prints one line per case and last `chart-conformance: N/M identical`; fails unless all
//! cases are identical.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as Json;
use wheelhouse::cli::template::{execute, parse_argv};

const KUBE_VERSION: &str = "1.33.0";
const NAMESPACE: &str = "conformance";

/// One `template` invocation.
struct Case {
    label: String,
    /// Arguments after `template`.
    args: Vec<String>,
    /// Whether differing random tokens may be normalized.
    random: bool,
    /// Whether both tools must fail.
    must_fail: bool,
}

struct Outcome {
    stdout: String,
    stderr: String,
    code: i32,
}

fn helm() -> PathBuf {
    wheelhouse_e2e::tools_dir().join("helm")
}

fn fixtures() -> PathBuf {
    wheelhouse_e2e::repo_root().join("e2e/fixtures/charts")
}

fn run_helm(args: &[String], home: &Path) -> Outcome {
    let output = Command::new(helm())
        .arg("template")
        .args(args)
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_CACHE_HOME", home.join("cache"))
        .env("HELM_DATA_HOME", home.join("data"))
        .env("KUBECONFIG", home.join("no-kubeconfig"))
        .env_remove("HELM_NAMESPACE")
        .env_remove("HELM_DEBUG")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", helm().display()));
    Outcome {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        code: output.status.code().unwrap_or(-1),
    }
}

fn run_wheelhouse(args: &[String]) -> Outcome {
    let mut argv = vec!["wheelhouse-template".to_string()];
    argv.extend(args.iter().cloned());
    let parsed = match parse_argv(&argv) {
        Ok(parsed) => parsed,
        Err(e) => {
            return Outcome {
                stdout: String::new(),
                stderr: e.to_string(),
                code: 2,
            };
        }
    };
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = execute(&parsed, &mut out, &mut err);
    Outcome {
        stdout: String::from_utf8_lossy(&out).into_owned(),
        stderr: String::from_utf8_lossy(&err).into_owned(),
        code: i32::from(code),
    }
}

/// Corpus cases from `charts.yaml`.
fn corpus_cases() -> Vec<Case> {
    let shared = wheelhouse_e2e::shared_dir().join("conformance");
    let manifest_path = shared.join("charts.yaml");
    let text = std::fs::read_to_string(&manifest_path)
        .unwrap_or_else(|e| panic!("read {}: {e}", manifest_path.display()));
    let manifest = wheelhouse::codec::yaml::from_yaml(&text);
    let charts = manifest["charts"]
        .as_array()
        .unwrap_or_else(|| panic!("{} has no charts list", manifest_path.display()));
    let mut cases = Vec::new();
    for chart in charts {
        let name = chart["name"].as_str().unwrap_or_default().to_string();
        let dir = shared.join("charts").join(&name);
        let random = match &chart["nondeterministic_functions"] {
            Json::Object(m) => !m.is_empty(),
            Json::Array(a) => !a.is_empty(),
            _ => false,
        };
        let base = vec![
            name.clone(),
            dir.display().to_string(),
            "--namespace".to_string(),
            NAMESPACE.to_string(),
            "--kube-version".to_string(),
            KUBE_VERSION.to_string(),
        ];
        cases.push(Case {
            label: format!("{name} (defaults)"),
            args: base.clone(),
            random,
            must_fail: false,
        });
        for values in chart["values_files"].as_array().into_iter().flatten() {
            let file = values["file"].as_str().unwrap_or_default();
            let mut args = base.clone();
            args.push("-f".to_string());
            args.push(shared.join(file).display().to_string());
            for api in values["render_flags"]["api_versions"]
                .as_array()
                .into_iter()
                .flatten()
            {
                args.push("--api-versions".to_string());
                args.push(api.as_str().unwrap_or_default().to_string());
            }
            cases.push(Case {
                label: format!("{name} -f {file}"),
                args,
                random,
                must_fail: false,
            });
        }
    }
    cases
}

/// Edge-case fixture charts.
fn fixture_cases(packaged: &Path) -> Vec<Case> {
    let dir = fixtures();
    let chart = |name: &str| dir.join(name).display().to_string();
    let rules = chart("manifest-rules");
    let alias = chart("alias-subcharts");
    let tags = chart("tags-conditions");
    let schema = chart("schema-fail");
    let ns = ["--namespace", "fixtures", "--kube-version", KUBE_VERSION];
    let with = |base: &[&str], extra: &[&str]| -> Vec<String> {
        base.iter()
            .chain(ns.iter())
            .chain(extra.iter())
            .map(|s| s.to_string())
            .collect()
    };
    let mut cases = Vec::new();
    let mut add = |label: &str, base: &[&str], extra: &[&str], must_fail: bool| {
        cases.push(Case {
            label: label.to_string(),
            args: with(base, extra),
            random: false,
            must_fail,
        });
    };
    let values = |c: &str, f: &str| dir.join(c).join("values").join(f).display().to_string();
    add("fail-default", &["rel", &chart("fail-default")], &[], true);
    add(
        "required-missing",
        &["rel", &chart("required-missing")],
        &[],
        true,
    );
    add("schema-fail (defaults)", &["rel", &schema], &[], true);
    let valid = values("schema-fail", "valid.yaml");
    add(
        "schema-fail -f valid.yaml",
        &["rel", &schema],
        &["-f", &valid],
        false,
    );
    // One failing property per case: helm lists several in Go's random map order.
    add(
        "schema-fail allOf via $ref",
        &["rel", &schema],
        &["-f", &valid, "--set-json", "limits=-3"],
        true,
    );
    add(
        "schema-fail allOf under items",
        &["rel", &schema],
        &["-f", &valid, "--set-json", r#"ports=[80,"http",70000]"#],
        true,
    );
    add("library-user", &["rel", &chart("library-user")], &[], false);
    let lib = dir
        .join("library-user/charts/libcommon")
        .display()
        .to_string();
    add("library chart itself", &["rel", &lib], &[], true);
    add("alias-subcharts (defaults)", &["rel", &alias], &[], false);
    let both = values("alias-subcharts", "both.yaml");
    add(
        "alias-subcharts -f both.yaml",
        &["rel", &alias],
        &["-f", &both],
        false,
    );
    add(
        "import-values",
        &["rel", &chart("import-values")],
        &[],
        false,
    );
    add("tags-conditions (defaults)", &["rel", &tags], &[], false);
    let flip = values("tags-conditions", "flip.yaml");
    add(
        "tags-conditions -f flip.yaml",
        &["rel", &tags],
        &["-f", &flip],
        false,
    );
    add(
        "tags-conditions --set tags.extra=false",
        &["rel", &tags],
        &["--set", "tags.extra=false,gamma.enabled=false"],
        false,
    );
    add(
        "tags-conditions non-bool tag and condition",
        &["rel", &tags],
        &[
            "--set",
            "tags.backend=maybe,gamma.enabled=1",
            "--set-string",
            "tags.extra=yes please",
        ],
        false,
    );
    let binary = chart("binary-files");
    add("binary-files", &["rel", &binary], &[], false);
    add(
        "binary-files printing raw bytes",
        &["rel", &binary],
        &["--set", "printRaw=true"],
        true,
    );
    add("struct-json", &["rel", &chart("struct-json")], &[], false);
    add("tpl-nested", &["rel", &chart("tpl-nested")], &[], false);
    add(
        "lookup-offline",
        &["rel", &chart("lookup-offline")],
        &[],
        false,
    );
    add("manifest-rules", &["rel", &rules], &[], false);
    add(
        "manifest-rules --include-crds",
        &["rel", &rules],
        &["--include-crds"],
        false,
    );
    add(
        "manifest-rules --skip-tests",
        &["rel", &rules],
        &["--skip-tests"],
        false,
    );
    add(
        "manifest-rules --show-only",
        &["rel", &rules],
        &[
            "--show-only",
            "templates/hooks.yaml",
            "-s",
            "charts/child/templates/*",
        ],
        false,
    );
    add(
        "manifest-rules --show-only missing",
        &["rel", &rules],
        &["--show-only", "templates/nothing.yaml"],
        true,
    );
    add(
        "manifest-rules --is-upgrade -a",
        &["other-name", &rules],
        &[
            "--is-upgrade",
            "-a",
            "custom.example.com/v1,x.example.com/v2",
        ],
        false,
    );
    add(
        "manifest-rules --set*",
        &["rel", &rules],
        &[
            "--set",
            "count=12345678901,weights={1,2}",
            "--set-string",
            "extra=007",
            "--set-json",
            "json={\"a\":[1,2.5]}",
            "--set-literal",
            "literal=a,b=c",
        ],
        false,
    );
    add("manifest-rules single argument", &[&rules], &[], false);
    add("bad release name", &["Bad_Name", &rules], &[], true);
    cases.push(Case {
        label: "manifest-rules old kube".to_string(),
        args: vec![
            "rel".into(),
            rules.clone(),
            "--kube-version".into(),
            "1.20.0".into(),
        ],
        random: false,
        must_fail: true,
    });
    cases.push(Case {
        label: "tpl-nested packaged .tgz".to_string(),
        args: vec![
            "rel".into(),
            packaged.display().to_string(),
            "-n".into(),
            "packaged".into(),
        ],
        random: false,
        must_fail: false,
    });
    cases
}

/// Packages a fixture chart with `helm package` into `dir`; returns the archive's path.
fn package(chart: &str, dir: &Path) -> PathBuf {
    let output = Command::new(helm())
        .arg("package")
        .arg(fixtures().join(chart))
        .arg("--destination")
        .arg(dir)
        .env("HELM_CONFIG_HOME", dir.join("config"))
        .env("HELM_CACHE_HOME", dir.join("cache"))
        .env("HELM_DATA_HOME", dir.join("data"))
        .output()
        .unwrap_or_else(|e| panic!("helm package: {e}"));
    assert!(
        output.status.success(),
        "helm package failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    dir.join(format!("{chart}-0.1.0.tgz"))
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'='
}

/// Splits text into alternating runs of token bytes and other bytes.
fn runs(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=bytes.len() {
        if i == bytes.len() || is_token_byte(bytes[i]) != is_token_byte(bytes[i - 1]) {
            out.push(&text[start..i]);
            start = i;
        }
    }
    out
}

fn alphabet(token: &str) -> u8 {
    let mut classes = 0;
    for b in token.bytes() {
        classes |= match b {
            b'a'..=b'z' => 1,
            b'A'..=b'Z' => 2,
            b'0'..=b'9' => 4,
            _ => 8,
        };
    }
    classes
}

/// Standard base64 decoding (padding optional); `None` for other text.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    };
    let body = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for c in body.bytes() {
        acc = (acc << 6) | value(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Replaces every PEM block (`-----BEGIN T-----` … `-----END T-----`) by `<PEM T>`: keys and
/// certificates from `genCA`/`genPrivateKey` differ in content and length on every render.
fn replace_pem_blocks(text: &str) -> (String, usize) {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut count = 0;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + "-----BEGIN ".len()..];
        let Some(type_end) = after.find("-----") else {
            break;
        };
        let kind = &after[..type_end];
        let end_marker = format!("-----END {kind}-----");
        let Some(end) = after.find(&end_marker) else {
            break;
        };
        out.push_str(&rest[..start]);
        out.push_str(&format!("<PEM {kind}>"));
        count += 1;
        rest = &after[end + end_marker.len()..];
    }
    out.push_str(rest);
    (out, count)
}

/// Whether a token is base64 of a PEM block.
fn is_base64_pem(token: &str) -> bool {
    token.len() >= 16 && base64_decode(token).is_some_and(|bytes| bytes.starts_with(b"-----BEGIN "))
}

/// Normalizes the nondeterministic parts of two outputs of the same render: PEM blocks (also
/// base64-encoded ones, of any length) become placeholders, and differing same-length tokens
/// (runs of `[A-Za-z0-9+/=]`, at least 4 bytes) become `#` runs in both texts. Returns the
/// normalized texts and the number of replacements, or `None` when the texts differ otherwise
/// (different token structure or lengths).
fn normalize_random(a: &str, b: &str) -> Option<(String, String, usize)> {
    let (a, pem_a) = replace_pem_blocks(a);
    let (b, pem_b) = replace_pem_blocks(b);
    let (ra, rb) = (runs(&a), runs(&b));
    if ra.len() != rb.len() {
        return None;
    }
    let mut out_a = String::with_capacity(a.len());
    let mut out_b = String::with_capacity(b.len());
    let mut replaced = 0;
    for (x, y) in ra.iter().zip(rb.iter()) {
        if x == y {
            out_a.push_str(x);
            out_b.push_str(y);
            continue;
        }
        let tokens = x.bytes().all(is_token_byte) && y.bytes().all(is_token_byte);
        if tokens && is_base64_pem(x) && is_base64_pem(y) {
            out_a.push_str("<BASE64 PEM>");
            out_b.push_str("<BASE64 PEM>");
            replaced += 1;
            continue;
        }
        // Same length; alphabets may differ by chance (a random string without digits).
        if !tokens || x.len() != y.len() || x.len() < 4 || (alphabet(x) | alphabet(y)) == 0 {
            return None;
        }
        let placeholder = "#".repeat(x.len());
        out_a.push_str(&placeholder);
        out_b.push_str(&placeholder);
        replaced += 1;
    }
    Some((out_a, out_b, replaced + pem_a.max(pem_b)))
}

/// First differing line of two texts, for the report (with `random`, lines that differ only
/// in normalizable tokens are skipped).
fn first_difference(a: &str, b: &str, random: bool) -> String {
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        let same_after_normalizing =
            random && normalize_random(x, y).is_some_and(|(p, q, _)| p == q);
        if x != y && !same_after_normalizing {
            return format!("line {}: helm {:?} / wheelhouse {:?}", i + 1, x, y);
        }
    }
    format!(
        "lengths differ: helm {} lines / wheelhouse {} lines",
        a.lines().count(),
        b.lines().count()
    )
}

/// Cases that still differ from helm, each with the reason; the test fails on any other
/// difference, and when a case listed here becomes identical (so the list stays true).
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

#[test]
fn chart_conformance() {
    let work = std::env::temp_dir().join(format!(
        "wheelhouse-chart-conformance-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&work).unwrap_or_else(|e| panic!("mkdir {}: {e}", work.display()));
    let packaged = package("tpl-nested", &work);
    let mut cases = corpus_cases();
    cases.extend(fixture_cases(&packaged));

    let total = cases.len();
    let mut identical = 0;
    let mut report = Vec::new();
    for case in &cases {
        let h = run_helm(&case.args, &work);
        let w = run_wheelhouse(&case.args);
        let mut note = String::new();
        let mut same = h.code == w.code && h.stderr == w.stderr;
        let stdout_same = if h.stdout == w.stdout {
            true
        } else if case.random {
            match normalize_random(&h.stdout, &w.stdout) {
                Some((a, b, n)) if a == b => {
                    note = format!(" ({n} random tokens normalized)");
                    true
                }
                _ => false,
            }
        } else {
            false
        };
        same = same && stdout_same;
        if case.must_fail && h.code == 0 {
            same = false;
            note.push_str(" (helm did not fail as the case expects)");
        }
        let known = KNOWN_DIFFERENCES
            .iter()
            .find(|(label, _)| *label == case.label)
            .map(|(_, reason)| *reason);
        if same {
            identical += 1;
            println!("identical: {}{note}", case.label);
            if known.is_some() {
                report.push(format!(
                    "{} is identical now: remove it from KNOWN_DIFFERENCES",
                    case.label
                ));
            }
        } else if let Some(reason) = known {
            println!("KNOWN: {}{note}: {reason}", case.label);
        } else {
            let mut why = Vec::new();
            if h.code != w.code {
                why.push(format!("exit {} vs {}", h.code, w.code));
            }
            if !stdout_same {
                why.push(format!(
                    "stdout {}",
                    first_difference(&h.stdout, &w.stdout, case.random)
                ));
            }
            if h.stderr != w.stderr {
                why.push(format!(
                    "stderr helm {:?} / wheelhouse {:?}",
                    h.stderr, w.stderr
                ));
            }
            let mut line = format!("DIFFERENT: {}{note}: {}", case.label, why.join("; "));
            if line.len() > 600 {
                let mut cut = 600;
                while !line.is_char_boundary(cut) {
                    cut -= 1;
                }
                line.truncate(cut);
                line.push_str("...");
            }
            println!("{line}");
            report.push(line);
        }
    }
    let _ = std::fs::remove_dir_all(&work);
    println!("chart-conformance: {identical}/{total} identical");
    assert!(
        report.is_empty(),
        "{} case(s) differ:\n{}",
        report.len(),
        report.join("\n")
    );
}

#[test]
fn normalization_only_accepts_same_shape_tokens() {
    assert_eq!(
        normalize_random("name: pod-ab3x9\n", "name: pod-zq81k\n").map(|r| r.2),
        Some(1)
    );
    assert!(normalize_random("a: 12\n", "a: 123\n").is_none());
    assert!(normalize_random("a: b c\n", "a: b\n").is_none());
    // base64 of "-----BEGIN X-----\nAB\n-----END X-----\n" vs a longer one.
    let short = "LS0tLS1CRUdJTiBYLS0tLS0KQUIKLS0tLS1FTkQgWC0tLS0tCg==";
    let long = "LS0tLS1CRUdJTiBYLS0tLS0KQUJDRAotLS0tLUVORCBYLS0tLS0K";
    assert!(normalize_random(&format!("k: {short}\n"), &format!("k: {long}\n")).is_some());
    assert_eq!(base64_decode("Zm9vYmFy").as_deref(), Some(&b"foobar"[..]));
}
