//! Loader tests. Expected results in `testdata/*.json` come from Helm's own packages through
//! the oracle in `e2e/oracles/chartfiles` (`gen_cases.py`); hostile archives are built here.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed unwrap is a failed test"
)]

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Map, Value as Json, json};
use sha2::{Digest, Sha256};

use super::ignore::{IgnoreRules, go_match};
use super::*;
use crate::chart::model::{Dependency, Metadata};

// ---------- summaries in the oracle's JSON shape ----------

fn sha(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn put_str(m: &mut Map<String, Json>, k: &str, v: &str) {
    if !v.is_empty() {
        m.insert(k.into(), json!(v));
    }
}

fn put_list(m: &mut Map<String, Json>, k: &str, v: &[String]) {
    if !v.is_empty() {
        m.insert(k.into(), json!(v));
    }
}

fn dep_json(d: &Dependency) -> Json {
    let mut m = Map::new();
    m.insert("name".into(), json!(d.name));
    put_str(&mut m, "version", &d.version);
    m.insert("repository".into(), json!(d.repository));
    put_str(&mut m, "condition", &d.condition);
    put_list(&mut m, "tags", &d.tags);
    if d.enabled {
        m.insert("enabled".into(), json!(true));
    }
    if !d.import_values.is_empty() {
        m.insert("import-values".into(), Json::Array(d.import_values.clone()));
    }
    put_str(&mut m, "alias", &d.alias);
    Json::Object(m)
}

/// Go's `json.Marshal` of `v2.Metadata` (every field `omitempty`).
fn metadata_json(md: &Metadata) -> Json {
    let mut m = Map::new();
    put_str(&mut m, "name", &md.name);
    put_str(&mut m, "home", &md.home);
    put_list(&mut m, "sources", &md.sources);
    put_str(&mut m, "version", &md.version);
    put_str(&mut m, "description", &md.description);
    put_list(&mut m, "keywords", &md.keywords);
    if !md.maintainers.is_empty() {
        let list: Vec<Json> = md
            .maintainers
            .iter()
            .map(|x| {
                let mut o = Map::new();
                put_str(&mut o, "name", &x.name);
                put_str(&mut o, "email", &x.email);
                put_str(&mut o, "url", &x.url);
                Json::Object(o)
            })
            .collect();
        m.insert("maintainers".into(), Json::Array(list));
    }
    put_str(&mut m, "icon", &md.icon);
    put_str(&mut m, "apiVersion", &md.api_version);
    put_str(&mut m, "condition", &md.condition);
    put_str(&mut m, "tags", &md.tags);
    put_str(&mut m, "appVersion", &md.app_version);
    if md.deprecated {
        m.insert("deprecated".into(), json!(true));
    }
    if !md.annotations.is_empty() {
        m.insert("annotations".into(), json!(md.annotations));
    }
    put_str(&mut m, "kubeVersion", &md.kube_version);
    if !md.dependencies.is_empty() {
        m.insert(
            "dependencies".into(),
            Json::Array(md.dependencies.iter().map(dep_json).collect()),
        );
    }
    put_str(&mut m, "type", &md.chart_type);
    Json::Object(m)
}

fn files_json(files: &[File]) -> Json {
    Json::Array(
        files
            .iter()
            .map(|f| json!({"name": f.name, "sha256": sha(&f.data)}))
            .collect(),
    )
}

/// The oracle's `summary`, minus `lock.generated` (Go re-formats the time) and with every
/// number as f64.
fn summary(c: &Chart) -> Json {
    let lock = c.lock.as_ref().map_or(Json::Null, |l| {
        json!({"digest": l.digest, "dependencies": l.dependencies.iter().map(dep_json).collect::<Vec<_>>()})
    });
    let mut deps: Vec<Json> = c.dependencies.iter().map(summary).collect();
    deps.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    json!({
        "name": c.name(),
        "metadata": metadata_json(&c.metadata),
        "lock": lock,
        "templates": files_json(&c.templates),
        "files": files_json(&c.files),
        "raw": c.raw.iter().map(|f| f.name.clone()).collect::<Vec<_>>(),
        "values": Json::Object(c.values.clone()),
        "schema": c.schema.as_ref().map(|s| sha(s)),
        "deps": deps,
    })
}

/// Normalises an oracle summary for comparison: numbers as f64, `lock.generated` dropped,
/// null lock dependencies as an empty list.
fn normalize(v: &Json) -> Json {
    match v {
        Json::Number(n) => json!(n.as_f64().unwrap()),
        Json::Array(a) => Json::Array(a.iter().map(normalize).collect()),
        Json::Object(m) => {
            let mut out = Map::new();
            for (k, x) in m {
                if k == "generated" {
                    continue;
                }
                if k == "lock" && x.is_object() {
                    let mut l = normalize(x);
                    if l["dependencies"].is_null() {
                        l["dependencies"] = json!([]);
                    }
                    out.insert(k.clone(), l);
                    continue;
                }
                out.insert(k.clone(), normalize(x));
            }
            Json::Object(out)
        }
        other => other.clone(),
    }
}

fn b64(s: &str) -> Vec<u8> {
    crate::template::sprig::encoding::b64_decode(s).unwrap()
}

#[test]
fn load_files_agrees_with_helm() {
    let cases: Json = serde_json::from_str(include_str!("testdata/loadfiles.json")).unwrap();
    let mut failures = Vec::new();
    let cases = cases.as_array().unwrap();
    for case in cases {
        let name = case["case"].as_str().unwrap();
        let files: Vec<File> = case["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                File::new(
                    f["name"].as_str().unwrap(),
                    b64(f["data"].as_str().unwrap()),
                )
            })
            .collect();
        // The oracle calls the v2 loader's LoadFiles directly, whatever the apiVersion.
        let got = load_with(files, metadata::Package::V2, &Limits::default());
        let want = &case["expected"];
        match (got, want.get("error")) {
            (Ok(c), None) => {
                let g = normalize(&summary(&c));
                let w = normalize(&want["chart"]);
                if g != w {
                    failures.push(format!("{name}: got\n{g:#}\nwant\n{w:#}"));
                }
            }
            (Err(e), Some(w)) => {
                if e.to_string() != w.as_str().unwrap() {
                    failures.push(format!("{name}: error {e:?} ({e}), want {w}"));
                }
            }
            (Ok(_), Some(w)) => failures.push(format!("{name}: loaded, want error {w}")),
            (Err(e), None) => failures.push(format!("{name}: error {e}, want success")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(cases.len() >= 45);
}

// ---------- .helmignore ----------

#[test]
fn helmignore_agrees_with_helm() {
    let data: Json = serde_json::from_str(include_str!("testdata/ignore.json")).unwrap();
    let paths: Vec<(&str, bool)> = data["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["path"].as_str().unwrap(), p["dir"].as_bool().unwrap()))
        .collect();
    let mut failures = Vec::new();
    for case in data["cases"].as_array().unwrap() {
        let rules_text = case["rules"].as_str().unwrap();
        let parsed = IgnoreRules::parse(rules_text.as_bytes());
        match (&parsed, case["error"].as_str()) {
            (Err(LoadError::Ignore { message, .. }), Some(want)) => {
                if message != want {
                    failures.push(format!("{rules_text:?}: error {message}, want {want}"));
                }
                continue;
            }
            (Ok(_), None) => {}
            (got, want) => {
                failures.push(format!("{rules_text:?}: got {got:?}, want error {want:?}"));
                continue;
            }
        }
        let rules = parsed.unwrap();
        for ((path, dir), want) in paths.iter().zip(case["ignored"].as_array().unwrap()) {
            let want = want.as_bool().unwrap();
            if rules.ignores(path, *dir) != want {
                failures.push(format!("{rules_text:?} on {path} (dir {dir}): want {want}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn go_filepath_match_basics() {
    // From Go's path/filepath match_test.go table (facts, checked against the same rules).
    assert_eq!(go_match("abc", "abc"), Ok(true));
    assert_eq!(go_match("*", "abc"), Ok(true));
    assert_eq!(go_match("*c", "abc"), Ok(true));
    assert_eq!(go_match("a*/b", "a/c/b"), Ok(false));
    assert_eq!(go_match("a*b*c*d*e*/f", "axbxcxdxe/f"), Ok(true));
    assert_eq!(go_match("[a-ζ]*", "α"), Ok(true));
    assert_eq!(go_match("[^a-c]", "d"), Ok(true));
    assert_eq!(go_match("a\\*b", "ab"), Ok(false));
    assert_eq!(go_match("[", "a"), Err(super::ignore::BadPattern));
    assert_eq!(go_match("a[", "x"), Err(super::ignore::BadPattern));
    assert_eq!(go_match("*x", "xxx"), Ok(true));
}

// ---------- hostile archives ----------

enum Kind {
    File(Vec<u8>),
    Dir,
    Symlink(&'static str),
    Hardlink(&'static str),
    Char,
    Block,
    Fifo,
}

/// A gzipped tar with raw entry names (bypassing the tar crate's path checks).
fn tgz(entries: Vec<(&str, Kind)>) -> Vec<u8> {
    let mut b = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::fast()));
    for (name, kind) in entries {
        let mut h = tar::Header::new_old();
        let bytes = name.as_bytes();
        h.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
        h.set_mode(0o644);
        let (ty, data) = match kind {
            Kind::File(d) => (tar::EntryType::Regular, d),
            Kind::Dir => (tar::EntryType::Directory, Vec::new()),
            Kind::Symlink(t) => {
                h.as_old_mut().linkname[..t.len()].copy_from_slice(t.as_bytes());
                (tar::EntryType::Symlink, Vec::new())
            }
            Kind::Hardlink(t) => {
                h.as_old_mut().linkname[..t.len()].copy_from_slice(t.as_bytes());
                (tar::EntryType::Link, Vec::new())
            }
            Kind::Char => (tar::EntryType::Char, Vec::new()),
            Kind::Block => (tar::EntryType::Block, Vec::new()),
            Kind::Fifo => (tar::EntryType::Fifo, Vec::new()),
        };
        h.set_entry_type(ty);
        h.set_size(data.len() as u64);
        h.set_cksum();
        b.append(&h, data.as_slice()).unwrap();
    }
    b.into_inner().unwrap().finish().unwrap()
}

const CHART: &str = "apiVersion: v2\nname: c\nversion: 1.0.0\n";

fn good(extra: Vec<(&'static str, Kind)>) -> Vec<u8> {
    let mut e = vec![("c/Chart.yaml", Kind::File(CHART.into()))];
    e.extend(extra);
    tgz(e)
}

fn err(data: &[u8]) -> LoadError {
    load_archive(data, &Limits::default()).unwrap_err()
}

#[test]
fn archive_path_rules() {
    type Check = fn(&LoadError) -> bool;
    let cases: Vec<(&str, Check)> = vec![
        (
            "c/../../evil",
            |e| matches!(e, LoadError::ParentDirectory { entry } if entry == "c/../../evil"),
        ),
        ("c/./../x", |e| {
            matches!(e, LoadError::ParentDirectory { .. })
        }),
        ("c\\..\\..\\x", |e| {
            matches!(e, LoadError::ParentDirectory { .. })
        }),
        (
            "c//etc/passwd",
            |e| matches!(e, LoadError::AbsolutePath { entry } if entry == "c//etc/passwd"),
        ),
        ("\\\\x", |e| matches!(e, LoadError::AbsolutePath { .. })),
        ("c", |e| matches!(e, LoadError::OutsideBaseDirectory { .. })),
        ("c/.", |e| {
            matches!(e, LoadError::OutsideBaseDirectory { .. })
        }),
        ("Chart.yaml", |e| {
            matches!(e, LoadError::OutsideBaseDirectory { .. })
        }),
        ("Chart.yaml/x", |e| {
            matches!(e, LoadError::ChartYamlNotInBase { .. })
        }),
        (
            "c/c:/x",
            |e| matches!(e, LoadError::IllegalName { entry } if entry == "c/c:/x"),
        ),
        ("c/./Z:/x", |e| matches!(e, LoadError::IllegalName { .. })),
    ];
    for (name, check) in cases {
        let e = err(&good(vec![(name, Kind::File(b"x".to_vec()))]));
        assert!(check(&e), "{name}: {e:?}");
        assert!(
            e.to_string().contains(&format!("{name:?}")),
            "{e} names the entry"
        );
    }
}

#[test]
fn archive_rejects_links_devices_and_duplicates() {
    let e = err(&good(vec![(
        "c/templates/l.yaml",
        Kind::Symlink("/etc/passwd"),
    )]));
    assert!(
        matches!(&e, LoadError::Link { entry, target, hard: false } if entry == "c/templates/l.yaml" && target == "/etc/passwd"),
        "{e:?}"
    );
    let e = err(&good(vec![("c/h", Kind::Hardlink("c/Chart.yaml"))]));
    assert!(matches!(&e, LoadError::Link { hard: true, .. }), "{e:?}");
    for kind in [Kind::Char, Kind::Block, Kind::Fifo] {
        let e = err(&good(vec![("c/dev", kind)]));
        assert!(
            matches!(&e, LoadError::SpecialEntry { entry, .. } if entry == "c/dev"),
            "{e:?}"
        );
    }
    let e = err(&good(vec![
        ("c/a.txt", Kind::File(b"1".to_vec())),
        ("c/./a.txt", Kind::File(b"2".to_vec())),
    ]));
    assert!(
        matches!(&e, LoadError::DuplicateEntry { entry, path } if entry == "c/./a.txt" && path == "a.txt"),
        "{e:?}"
    );
    let e = err(&good(vec![("c/Chart.yaml", Kind::File(CHART.into()))]));
    assert!(matches!(e, LoadError::DuplicateEntry { .. }));
}

#[test]
fn archive_size_limits() {
    // One file over 5 MiB.
    let e = err(&good(vec![(
        "c/big",
        Kind::File(vec![0; 5 * 1024 * 1024 + 1]),
    )]));
    assert!(
        matches!(&e, LoadError::FileTooLarge { entry, .. } if entry == "c/big"),
        "{e:?}"
    );
    // Exactly 5 MiB is fine.
    load_archive(
        &good(vec![("c/ok", Kind::File(vec![0; 5 * 1024 * 1024]))]),
        &Limits::default(),
    )
    .unwrap();

    let small = Limits {
        max_chart_bytes: 1000,
        max_file_bytes: 600,
        max_stream_bytes: 20_000,
    };
    // Total over the chart limit, each file under the file limit.
    let data = good(vec![
        ("c/a", Kind::File(vec![1; 500])),
        ("c/b", Kind::File(vec![2; 500])),
    ]);
    let e = load_archive(&data, &small).unwrap_err();
    assert!(
        matches!(&e, LoadError::ChartTooLarge { entry, limit: 1000 } if entry == "c/b"),
        "{e:?}"
    );
    // Using the budget exactly also fails, as in Helm (Chart.yaml is 38 bytes).
    let small = Limits {
        max_file_bytes: 1000,
        ..small
    };
    let data = good(vec![("c/a", Kind::File(vec![1; 1000 - CHART.len()]))]);
    assert!(matches!(
        load_archive(&data, &small),
        Err(LoadError::ChartTooLarge { .. })
    ));
    let data = good(vec![("c/a", Kind::File(vec![1; 999 - CHART.len()]))]);
    load_archive(&data, &small).unwrap();
}

#[test]
fn decompression_bomb_is_stopped_while_streaming() {
    // 256 MiB of zeros declared in one entry: refused from the header, nothing inflated.
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    let mut h = tar::Header::new_gnu();
    h.set_path("c/bomb").unwrap();
    h.set_size(256 << 20);
    h.set_mode(0o644);
    h.set_cksum();
    let mut ch = tar::Header::new_gnu();
    ch.set_path("c/Chart.yaml").unwrap();
    ch.set_size(CHART.len() as u64);
    ch.set_mode(0o644);
    ch.set_cksum();
    enc.write_all(ch.as_bytes()).unwrap();
    let mut block = CHART.as_bytes().to_vec();
    block.resize(512, 0);
    enc.write_all(&block).unwrap();
    enc.write_all(h.as_bytes()).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..256 {
        enc.write_all(&zeros).unwrap();
    }
    let bomb = enc.finish().unwrap();
    assert!(
        bomb.len() < 2 << 20,
        "compressed bomb is {} bytes",
        bomb.len()
    );
    // Helm checks the chart budget first.
    let e = err(&bomb);
    assert!(
        matches!(&e, LoadError::ChartTooLarge { entry, .. } if entry == "c/bomb"),
        "{e:?}"
    );
    // Under the chart budget but over the per-file limit.
    let e = load_archive(
        &bomb,
        &Limits {
            max_chart_bytes: 512 << 20,
            ..Limits::default()
        },
    )
    .unwrap_err();
    assert!(
        matches!(&e, LoadError::FileTooLarge { entry, .. } if entry == "c/bomb"),
        "{e:?}"
    );

    // The same data hidden in a directory entry (which loaders skip): the stream cap stops it.
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    let mut d = tar::Header::new_gnu();
    d.set_path("c/dir/").unwrap();
    d.set_entry_type(tar::EntryType::Directory);
    d.set_size(256 << 20);
    d.set_mode(0o755);
    d.set_cksum();
    enc.write_all(d.as_bytes()).unwrap();
    for _ in 0..256 {
        enc.write_all(&zeros).unwrap();
    }
    let hidden = enc.finish().unwrap();
    let e = err(&hidden);
    assert!(
        matches!(&e, LoadError::ArchiveStreamTooLarge { entry: Some(n), .. } if n == "c/dir/"),
        "{e:?}"
    );
}

#[test]
fn archive_misc() {
    assert_eq!(err(b"not a gzip stream at all"), LoadError::NotGzip);
    assert_eq!(err(&tgz(vec![("c/", Kind::Dir)])), LoadError::EmptyArchive);
    let mut truncated = good(vec![("c/a", Kind::File(vec![7; 4000]))]);
    truncated.truncate(truncated.len() / 2);
    assert!(matches!(err(&truncated), LoadError::Archive { .. }));
    assert_eq!(
        err(&tgz(vec![("c/values.yaml", Kind::File(b"a: 1".to_vec()))])),
        LoadError::NoChartYamlInArchive
    );
    let e = err(&tgz(vec![(
        "c/Chart.yaml",
        Kind::File(b"apiVersion: v9\nname: x\n".to_vec()),
    )]));
    assert!(matches!(e, LoadError::UnsupportedApiVersion { .. }));
    assert_eq!(e.to_string(), "unsupported chart version");
}

#[test]
fn archive_strips_bom_and_classifies() {
    let data = good(vec![
        ("c/", Kind::Dir),
        ("c/values.yaml", Kind::File(b"\xEF\xBB\xBFa: 1\n".to_vec())),
        (
            "c/templates/x.yaml",
            Kind::File(b"\xEF\xBB\xBFkind: X".to_vec()),
        ),
        (
            "c/files/raw.bin",
            Kind::File(b"\xEF\xBB\xBF\xEF\xBB\xBFz".to_vec()),
        ),
        ("c\\crds\\win.yaml", Kind::File(b"kind: CRD".to_vec())),
    ]);
    let c = load_archive(&data, &Limits::default()).unwrap();
    assert_eq!(c.values["a"], json!(1.0));
    assert_eq!(c.values_raw.as_deref(), Some(&b"a: 1\n"[..]));
    assert_eq!(&c.templates[0].data[..], b"kind: X");
    // Only one BOM is stripped.
    assert_eq!(c.files[0].name, "files/raw.bin");
    assert_eq!(&c.files[0].data[..], b"\xEF\xBB\xBFz");
    assert_eq!(c.files[1].name, "crds/win.yaml");
    assert_eq!(c.crd_objects()[0].filename, "c/crds/win.yaml");
}

// ---------- directories and real charts ----------

fn conformance_dir() -> Option<PathBuf> {
    let candidates = [
        std::env::var("WHEELHOUSE_CONFORMANCE_CHARTS")
            .ok()
            .map(PathBuf::from),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/charts")),
    ];
    candidates.into_iter().flatten().find(|p| p.is_dir())
}

/// Every chart of the conformance corpus loads from its directory exactly as Helm's
/// `loader.Load` loads it (summaries recorded by the oracle in testdata/conformance/).
#[test]
fn conformance_charts_load_like_helm() {
    let Some(root) = conformance_dir() else {
        panic!("conformance charts not found (set WHEELHOUSE_CONFORMANCE_CHARTS)");
    };
    let expected: Json = serde_json::from_str(include_str!("testdata/conformance.json")).unwrap();
    let expected = expected.as_object().unwrap();
    assert!(expected.len() >= 8);
    for (name, want) in expected {
        let c = load_dir(&root.join(name), &Limits::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = normalize(&summary_without_values(&c));
        let want = normalize(want);
        assert!(got == want, "{name}: got\n{got:#}\nwant\n{want:#}");
    }
}

/// Like [`summary`] but with only the top-level keys of values (the corpus values are large;
/// their decoding is the codec's business).
fn summary_without_values(c: &Chart) -> Json {
    let mut s = summary(c);
    strip_values(&mut s);
    s
}

fn strip_values(s: &mut Json) {
    let keys: Vec<String> = s["values"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    s["values"] = json!(keys);
    if let Some(deps) = s["deps"].as_array_mut() {
        deps.iter_mut().for_each(strip_values);
    }
}

/// An empty directory `chartload-LABEL-PID` under the system temp directory (removed first
/// if a previous run left it).
fn fresh_temp_dir(label: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("chartload-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Writes `data` to `root/name`, creating the parent directories.
fn write_file(root: &std::path::Path, name: &str, data: &[u8]) {
    let path = root.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, data).unwrap();
}

#[test]
fn directory_walk_follows_helm() {
    let tmp = fresh_temp_dir("dir");
    let w = |p: &str, d: &[u8]| write_file(&tmp, p, d);
    w(
        "Chart.yaml",
        b"\xEF\xBB\xBFapiVersion: v2\nname: d\nversion: 1.0.0\n",
    );
    w(".helmignore", b"*.bak\nignored/\n");
    w("templates/a.yaml", b"a");
    w("templates/.hidden.yaml", b"h");
    w("x.bak", b"b");
    w("ignored/f.txt", b"i");
    w("a/b.txt", b"1");
    w("a.txt", b"2");
    w("crds/z.yaml", b"z");
    w(
        "charts/sub/Chart.yaml",
        b"apiVersion: v2\nname: sub\nversion: 0.1.0\n",
    );
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(tmp.join("a"), tmp.join("linked")).unwrap();
        std::os::unix::fs::symlink(&tmp, tmp.join("a/loop")).unwrap();
    }
    let e = load_dir(&tmp, &Limits::default()).unwrap_err();
    assert!(matches!(e, LoadError::SymlinkLoop { .. }), "{e:?}");
    std::fs::remove_file(tmp.join("a/loop")).unwrap();
    let c = load_dir(&tmp, &Limits::default()).unwrap();
    let names: Vec<&str> = c.raw.iter().map(|f| f.name.as_str()).collect();
    // Byte order per directory: "a" (a directory) is walked before "a.txt".
    assert_eq!(
        names,
        [
            ".helmignore",
            "Chart.yaml",
            "a/b.txt",
            "a.txt",
            "charts/sub/Chart.yaml",
            "crds/z.yaml",
            "linked/b.txt",
            "templates/a.yaml"
        ]
    );
    assert_eq!(c.dependencies[0].name(), "sub");
    let small = Limits {
        max_chart_bytes: 50,
        ..Limits::default()
    };
    assert!(matches!(
        load_dir(&tmp, &small),
        Err(LoadError::DirectoryTooLarge { .. })
    ));
    let e = load_dir(&tmp.join("nope"), &Limits::default()).unwrap_err();
    assert!(
        e.to_string().starts_with("unable to detect chart at "),
        "{e}"
    );
    assert!(
        e.to_string()
            .ends_with("Chart.yaml: no such file or directory"),
        "{e}"
    );
    std::fs::remove_dir_all(&tmp).unwrap();
}

/// `templates/` is read first (its files reach the observer before the others, once each),
/// yet the chart's files come back in walk order, and when the first pass stops, on an
/// error or at the byte budget, the walk in order reports what Helm's walk would.
#[test]
fn templates_are_read_first_without_changing_order_or_errors() {
    let tmp = fresh_temp_dir("first");
    let w = |p: &str, d: &[u8]| write_file(&tmp, p, d);
    w("Chart.yaml", b"apiVersion: v2\nname: d\nversion: 1.0.0\n");
    w(
        "charts/sub/Chart.yaml",
        b"apiVersion: v2\nname: sub\nversion: 0.1.0\n",
    );
    w("charts/sub/templates/s.yaml", b"s");
    w("crds/c.yaml", b"c");
    w("templates/b.yaml", b"\xEF\xBB\xBFbb");
    w("templates/sub/a.yaml", b"a");
    w("values.yaml", b"x: 1\n");
    let root = std::path::absolute(&tmp).unwrap();
    let mut seen = Vec::new();
    let files = dir::read_dir_observed(&root, &Limits::default(), &mut |f| {
        seen.push(f.name.clone())
    })
    .unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    let walk_order = [
        "Chart.yaml",
        "charts/sub/Chart.yaml",
        "charts/sub/templates/s.yaml",
        "crds/c.yaml",
        "templates/b.yaml",
        "templates/sub/a.yaml",
        "values.yaml",
    ];
    assert_eq!(names, walk_order);
    assert_eq!(
        seen,
        [
            "templates/b.yaml",
            "templates/sub/a.yaml",
            "Chart.yaml",
            "charts/sub/Chart.yaml",
            "charts/sub/templates/s.yaml",
            "crds/c.yaml",
            "values.yaml",
        ]
    );
    assert_eq!(&*files[4].data, b"bb", "BOM stripped once");

    // The budget is charged in walk order: the file that crosses it is the one Helm's walk
    // names (the BOM counts), not the last template the first pass read.
    let through = |last: usize| -> u64 {
        walk_order[..=last]
            .iter()
            .map(|name| std::fs::metadata(tmp.join(name)).unwrap().len())
            .sum()
    };
    for (last, over) in [
        (6, "values.yaml"),
        (5, "templates/sub/a.yaml"),
        (4, "templates/b.yaml"),
        (3, "crds/c.yaml"),
    ] {
        let budget = through(last) - 1;
        let limits = Limits {
            max_chart_bytes: budget,
            ..Limits::default()
        };
        let mut offered = Vec::new();
        match dir::read_dir_observed(&root, &limits, &mut |f| offered.push(f.name.clone())) {
            Err(LoadError::DirectoryTooLarge { path, .. }) => assert_eq!(path, over, "{budget}"),
            other => panic!("budget {budget}: {other:?}"),
        }
        let mut unique = offered.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), offered.len(), "offered twice: {offered:?}");
    }

    // A first pass stopped by an error in templates/: an earlier error in walk order wins,
    // and without one the templates' error is reported.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(tmp.join("templates"), tmp.join("templates/sub/loop")).unwrap();
        let e = load_dir(&tmp, &Limits::default()).unwrap_err();
        assert!(matches!(e, LoadError::SymlinkLoop { .. }), "{e:?}");
        std::os::unix::fs::symlink(&tmp, tmp.join("charts/sub/loop")).unwrap();
        let e = load_dir(&tmp, &Limits::default()).unwrap_err();
        match e {
            LoadError::SymlinkLoop { path } => assert!(path.contains("charts/sub"), "{path}"),
            other => panic!("{other:?}"),
        }
    }
    std::fs::remove_dir_all(&tmp).unwrap();
}

/// The real helm: `$WHEELHOUSE_E2E_BIN/helm` (e2e/test.sh builds the tools before the unit
/// tests and exports it), `WHEELHOUSE_HELM`, or the newest one in the e2e tool cache.
fn helm_binary() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os("WHEELHOUSE_E2E_BIN") {
        return Some(PathBuf::from(bin).join("helm"));
    }
    if let Ok(p) = std::env::var("WHEELHOUSE_HELM") {
        return Some(PathBuf::from(p));
    }
    let home = std::env::var("HOME").ok()?;
    let tools = Path::new(&home).join(".cache/wheelhouse-e2e/tools");
    let mut found: Vec<PathBuf> = std::fs::read_dir(tools)
        .ok()?
        .flatten()
        .map(|e| e.path().join("helm"))
        .filter(|p| {
            p.is_file()
                && p.parent()
                    .is_some_and(|d| d.to_string_lossy().contains("helm-v4"))
        })
        .collect();
    found.sort();
    found.pop()
}

/// Every corpus chart packaged by the real `helm package` loads from the `.tgz` into the same
/// tree as from its directory.
#[test]
fn conformance_charts_packaged_by_helm_load_the_same() {
    let root = conformance_dir().expect("conformance charts not found");
    let helm = helm_binary().expect("helm binary not found (set WHEELHOUSE_HELM)");
    let out = std::env::temp_dir().join(format!("chartload-pkg-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 8);
    for name in names {
        let dir = root.join(&name);
        let from_dir = load_dir(&dir, &Limits::default()).unwrap();
        let status = std::process::Command::new(&helm)
            .arg("package")
            .arg(&dir)
            .arg("--destination")
            .arg(&out)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "helm package {name}");
        let tgz = out.join(format!(
            "{}-{}.tgz",
            from_dir.name(),
            from_dir.metadata.version
        ));
        let data = std::fs::read(&tgz).unwrap();
        let from_tgz =
            load_archive(&data, &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        // `helm package` writes Chart.yaml, values and templates first, so only the order of
        // `raw` (the order files were met) differs between the two.
        let sorted_raw = |c: &Chart| {
            let mut s = summary(c);
            sort_raw(&mut s);
            s
        };
        let (a, b) = (sorted_raw(&from_tgz), sorted_raw(&from_dir));
        if a != b {
            let dump = out.with_extension(format!("{name}.json"));
            std::fs::write(&dump, format!("{a:#}\n=====\n{b:#}")).unwrap();
            panic!("{name}: tgz and directory differ (see {})", dump.display());
        }
    }
    std::fs::remove_dir_all(&out).unwrap();
}

fn sort_raw(s: &mut Json) {
    if let Some(raw) = s["raw"].as_array_mut() {
        raw.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    }
    if let Some(deps) = s["deps"].as_array_mut() {
        deps.iter_mut().for_each(sort_raw);
    }
}

/// A v3 chart goes through Helm's internal/chart/v3 loader: requirements files are plain
/// files and only Chart.lock is a lock (oracle: pkg/chart/loader.Load, JSON of the chart).
#[test]
fn v3_chart_loads_like_helm() {
    let want: Json = serde_json::from_str(include_str!("testdata/v3chart.json")).unwrap();
    assert_eq!(want["type"], "*v3.Chart");
    let want = &want["json"];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = [
        dir.join("src/chart/load/testdata/v3chart"),
        PathBuf::from("/work/main/src/chart/load/testdata/v3chart"),
    ]
    .into_iter()
    .find(|p| p.is_dir())
    .unwrap();
    let c = load_dir(&dir, &Limits::default()).unwrap();
    assert_eq!(metadata_json(&c.metadata), want["metadata"]);
    let lock = c.lock.as_ref().unwrap();
    assert_eq!(lock.digest, want["lock"]["digest"].as_str().unwrap());
    assert_eq!(lock.generated, want["lock"]["generated"].as_str().unwrap());
    assert_eq!(
        Json::Array(lock.dependencies.iter().map(dep_json).collect()),
        want["lock"]["dependencies"]
    );
    let names = |v: &Json| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let own = |fs: &[File]| -> Vec<String> { fs.iter().map(|f| f.name.clone()).collect() };
    assert_eq!(own(&c.files), names(&want["files"]));
    assert_eq!(own(&c.templates), names(&want["templates"]));
    assert_eq!(c.values["a"], json!(1.0));
    assert_eq!(c.dependencies.len(), 1);
    assert_eq!(c.dependencies[0].metadata.api_version, "v3");
}
