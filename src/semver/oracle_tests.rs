//! Replays `testdata/oracle.tsv`, whose expected column was produced by the real Go libraries
//! (`e2e/oracles/semver/main.go`; the row format is documented there).

#![allow(clippy::expect_used, reason = "a malformed table row is a failed test")]

use super::kube::{KubeVersion, is_compatible_range};
use super::{Constraints, Version};

const TABLE: &str = include_str!("testdata/oracle.tsv");

/// Reverses the oracle's escaping: `\\` is a backslash, `\xHH` a byte.
fn unescape(field: &str) -> String {
    let mut bytes = Vec::with_capacity(field.len());
    let raw = field.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        match (raw[i], raw.get(i + 1)) {
            (b'\\', Some(b'\\')) => {
                bytes.push(b'\\');
                i += 2;
            }
            (b'\\', Some(b'x')) => {
                let hex = std::str::from_utf8(&raw[i + 2..i + 4]).expect("ascii hex");
                bytes.push(u8::from_str_radix(hex, 16).expect("hex byte"));
                i += 4;
            }
            (byte, _) => {
                bytes.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(bytes).expect("utf-8 field")
}

fn describe(result: Result<Version, super::Error>) -> String {
    match result {
        Ok(v) => format!(
            "ok string={} original={} major={} minor={} patch={} pre={} meta={}",
            v,
            v.original(),
            v.major(),
            v.minor(),
            v.patch(),
            v.prerelease(),
            v.metadata()
        ),
        Err(e) => format!("err {e}"),
    }
}

fn string_and_original(v: &Version) -> String {
    format!("{}/{}", v, v.original())
}

fn lenient(text: &str) -> Version {
    Version::parse(text).unwrap_or_else(|e| panic!("oracle row has invalid version {text:?}: {e}"))
}

fn constraints(text: &str) -> Constraints {
    Constraints::parse(text)
        .unwrap_or_else(|e| panic!("oracle row has invalid constraint {text:?}: {e}"))
}

/// What this crate answers for one row, in the oracle's format.
fn actual(kind: &str, a: &str, b: &str) -> String {
    match kind {
        "parse" => describe(Version::parse(a)),
        "strict" => describe(Version::parse_strict(a)),
        "compare" => match lenient(a).cmp(&lenient(b)) {
            std::cmp::Ordering::Less => "-1".to_string(),
            std::cmp::Ordering::Equal => "0".to_string(),
            std::cmp::Ordering::Greater => "1".to_string(),
        },
        "inc" => {
            let v = match Version::parse(a) {
                Ok(v) => v,
                Err(e) => return format!("err {e}"),
            };
            let show = |r: Result<Version, super::Error>| match r {
                Ok(v) => string_and_original(&v),
                Err(e) => format!("err {e}"),
            };
            format!(
                "major={} minor={} patch={}",
                show(v.inc_major()),
                show(v.inc_minor()),
                show(v.inc_patch())
            )
        }
        "setpre" | "setmeta" => {
            let v = lenient(a);
            let result = if kind == "setpre" {
                v.set_prerelease(b)
            } else {
                v.set_metadata(b)
            };
            match result {
                Ok(v) => format!("ok {}", string_and_original(&v)),
                Err(e) => format!("err {e}"),
            }
        }
        "constraint" => match Constraints::parse(a) {
            Ok(c) => format!("ok {c}"),
            Err(e) => format!("err {e}"),
        },
        "check" => constraints(a).check(&lenient(b)).to_string(),
        "checkpre" => constraints(a)
            .include_prerelease(true)
            .check(&lenient(b))
            .to_string(),
        "validate" => match constraints(a).validate(&lenient(b)) {
            Ok(()) => "true".to_string(),
            Err(reasons) => {
                let messages: Vec<String> = reasons.iter().map(ToString::to_string).collect();
                format!("false {}", messages.join(" ;; "))
            }
        },
        // Sprig's semverCompare: constraint first, then version.
        "sprig" => match Constraints::parse(a) {
            Err(e) => format!("err {e}"),
            Ok(c) => match Version::parse(b) {
                Err(e) => format!("err {e}"),
                Ok(v) => c.check(&v).to_string(),
            },
        },
        "kube" => is_compatible_range(a, b).to_string(),
        "kubeparse" => match KubeVersion::parse(a) {
            Ok(k) => format!("ok {} {}", k.constraint_version(), k.version),
            Err(e) => format!("err {e}"),
        },
        other => panic!("unknown oracle row kind {other:?}"),
    }
}

#[test]
fn every_oracle_row_matches() {
    let mut rows = 0;
    let mut failures = Vec::new();
    for (number, line) in TABLE.lines().enumerate() {
        let fields: Vec<&str> = line.split('\t').collect();
        let [kind, a, b, expected] = fields[..] else {
            panic!(
                "line {}: expected 4 fields, got {}",
                number + 1,
                fields.len()
            );
        };
        let (a, b, expected) = (unescape(a), unescape(b), unescape(expected));
        rows += 1;
        let got = actual(kind, &a, &b);
        if got != expected {
            failures.push(format!(
                "line {}: {kind} {a:?} {b:?}\n  expected: {expected}\n  actual:   {got}",
                number + 1
            ));
        }
    }
    assert!(rows >= 400, "oracle table has only {rows} rows");
    assert!(
        failures.is_empty(),
        "{} of {rows} oracle rows differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
