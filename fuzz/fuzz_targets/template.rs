//! Fuzz target for the template engine's parser and executor.
//!
//! The input is read as text (lossily as UTF-8) and split at NUL bytes into up to three
//! template files, parsed into one set with Helm's function map as Helm does, then each file
//! is executed with a small Helm-like data tree. Parse and execution errors are expected
//! outcomes (and are passed through Helm's error formatting); the target checks that nothing
//! panics, overflows the stack, hangs or allocates without bound.
//!
//! Functions whose cost is deliberate (key generation, bcrypt, scrypt) are left out of the
//! map, so slow-by-design calls are not reported as hangs; the engine's step and output
//! limits are lowered for the same reason.
#![no_main]
#![forbid(unsafe_code)]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use wheelhouse::template::funcs::helm as helm_engine_funcs;
use wheelhouse::template::helm_funcs::{self, HelmFuncOptions};
use wheelhouse::template::value::Str;
use wheelhouse::template::{self, FuncMap, Options, TemplateSet, Value, sprig};

/// Functions that are slow by design (RSA/DSA key generation, bcrypt, scrypt).
const SLOW_FUNCTIONS: &[&str] = &[
    "genPrivateKey",
    "genCA",
    "genCAWithKey",
    "genSelfSignedCert",
    "genSelfSignedCertWithKey",
    "genSignedCert",
    "genSignedCertWithKey",
    "bcrypt",
    "htpasswd",
    "derivePassword",
];

const FILE_NAMES: [&str; 3] = [
    "fuzz/templates/a.yaml",
    "fuzz/templates/_helpers.tpl",
    "fuzz/templates/b.yaml",
];

fn function_map() -> FuncMap {
    let mut funcs = FuncMap::new();
    sprig::register(&mut funcs);
    helm_funcs::register(&mut funcs, &HelmFuncOptions::default());
    helm_engine_funcs::register(&mut funcs);
    for name in SLOW_FUNCTIONS {
        funcs.remove(name);
    }
    funcs
}

fn map(entries: Vec<(&str, Value)>) -> Value {
    Value::map(
        entries
            .into_iter()
            .map(|(k, v)| (Str::from(k), v))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn data() -> Value {
    let values = serde_json::json!({
        "str": "hello", "empty": "", "int": 42, "float": 3.5, "big": 1e21,
        "bool": true, "nil": null, "list": ["a", "b", 1, null],
        "map": {"b": 2, "a": {"c": [1, 2]}}, "tpl": "{{ .Values.str }}",
    });
    map(vec![
        ("Values", Value::from_json(&values)),
        (
            "Release",
            map(vec![
                ("Name", Value::from("fuzz")),
                ("Namespace", Value::from("default")),
                ("Revision", Value::int(1)),
                ("IsInstall", Value::Bool(true)),
            ]),
        ),
        ("Chart", map(vec![("Name", Value::from("fuzz"))])),
        (
            "Template",
            map(vec![
                ("Name", Value::from(FILE_NAMES[0])),
                ("BasePath", Value::from("fuzz/templates")),
            ]),
        ),
    ])
}

fuzz_target!(|input: &[u8]| {
    let text = String::from_utf8_lossy(input);
    let options = Options {
        max_steps: 200_000,
        max_output_bytes: 1 << 20,
        ..Options::default()
    };
    let mut set = TemplateSet::new("gotpl", function_map(), options);
    let sources: Vec<&str> = text.splitn(FILE_NAMES.len(), '\0').collect();
    for (name, source) in FILE_NAMES.iter().zip(&sources) {
        if let Err(e) = set.add(name, source) {
            let _ = template::helm_parse_error_message(name, &e);
            return;
        }
    }
    let root = data();
    for name in FILE_NAMES.iter().take(sources.len()) {
        if name.ends_with(".tpl") {
            continue;
        }
        if let Err(e) = set.render(name, &root) {
            let _ = template::helm_exec_error_message(name, &e);
        }
    }
});
