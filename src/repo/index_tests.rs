#![allow(clippy::expect_used, reason = "tests fail loudly")]

use super::*;

fn parse(text: &str) -> Result<Index, IndexError> {
    Index::parse(text.as_bytes())
}

const SAMPLE: &str = r#"apiVersion: v1
entries:
  nginx:
  - apiVersion: v2
    appVersion: 1.16.0
    created: "2024-01-02T03:04:05.000000006Z"
    description: A Helm chart
    digest: 7a1e5a4a0f2e6c1f6b2b5d8a9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d
    name: nginx
    type: application
    urls:
    - charts/nginx-1.2.0.tgz
    version: 1.2.0
  - apiVersion: v2
    name: nginx
    urls:
    - https://example.com/nginx-1.10.0.tgz
    version: 1.10.0
    deprecated: true
    kubeVersion: ">=1.20.0-0"
  - name: nginx
    urls: [nginx-2.0.0-rc.1.tgz]
    version: 2.0.0-rc.1
  - name: nginx
    version: 1.0.0
    urls: [nginx-1.0.0.tgz]
    maintainers:
    - name: someone
  - name: nginx
    version: not-a-version
  - null
  empty: []
generated: "2024-01-02T03:04:05Z"
"#;

#[test]
fn keeps_what_resolution_needs_sorted_newest_first() {
    let index = parse(SAMPLE).expect("parses");
    assert_eq!(index.api_version(), "v1");
    assert_eq!(index.chart_count(), 2);
    let versions = index.versions("nginx").expect("nginx");
    let order: Vec<&str> = versions.iter().map(|v| &*v.version).collect();
    assert_eq!(order, ["2.0.0-rc.1", "1.10.0", "1.2.0", "1.0.0"]);
    let v12 = &versions[2];
    assert_eq!(v12.api_version, "v2");
    assert_eq!(&*v12.urls[0], "charts/nginx-1.2.0.tgz");
    assert_eq!(
        v12.created.as_deref(),
        Some("2024-01-02T03:04:05.000000006Z")
    );
    assert!(v12.digest.is_some());
    assert!(versions[1].deprecated);
    assert_eq!(versions[1].kube_version.as_deref(), Some(">=1.20.0-0"));
    // An entry without apiVersion defaults to v1, as Helm does.
    assert_eq!(versions[3].api_version, "v1");
    assert_eq!(index.skipped().len(), 1);
    assert_eq!(
        index.skipped()[0].reason,
        "chart.metadata.version \"not-a-version\" is invalid"
    );
    assert_eq!(index.versions("empty").map(<[_]>::len), Some(0));
}

#[test]
fn resolves_with_helms_rules() {
    let index = parse(SAMPLE).expect("parses");
    let pick = |c: &str| index.resolve("nginx", c).map(|v| v.version.to_string());
    // No constraint: newest non-prerelease; deprecated versions are eligible.
    assert_eq!(pick(""), Ok("1.10.0".to_owned()));
    assert_eq!(pick("^1.0"), Ok("1.10.0".to_owned()));
    assert_eq!(pick("~1.2"), Ok("1.2.0".to_owned()));
    // Exact text first.
    assert_eq!(pick("1.0.0"), Ok("1.0.0".to_owned()));
    // Prereleases only when the constraint has one.
    assert_eq!(pick(">=2.0.0-0"), Ok("2.0.0-rc.1".to_owned()));
    assert_eq!(pick("2.0.0-rc.1"), Ok("2.0.0-rc.1".to_owned()));
    assert!(matches!(
        pick(">=2.0.0"),
        Err(ResolveError::NoMatchingVersion { .. })
    ));
    let err = index.resolve("nginx", "^3").err().map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some(
            "no version of chart \"nginx\" satisfies \"^3\" (newest version in the index: 2.0.0-rc.1)"
        )
    );
    assert!(matches!(
        index.resolve("nope", ""),
        Err(ResolveError::ChartNotFound { .. })
    ));
    assert!(matches!(
        index.resolve("empty", ""),
        Err(ResolveError::NoVersions { .. })
    ));
    assert!(matches!(
        index.resolve("nginx", ">>1"),
        Err(ResolveError::InvalidConstraint { .. })
    ));
}

#[test]
fn types_scalars_as_go_yaml_v2() {
    // An unquoted 1.10 is a float to go-yaml: Helm refuses to decode it into a string.
    let err = parse("apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.10\n")
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("index.yaml: entries.a[0].version must be a string, found a number")
    );
    // Fields that are not kept are typed too.
    let err =
        parse("apiVersion: v1\nentries:\n  a:\n  - {name: a, version: 1.0.0, appVersion: 1.10}\n")
            .err()
            .map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("index.yaml: entries.a[0].appVersion must be a string, found a number")
    );
    let err =
        parse("apiVersion: v1\nentries:\n  a:\n  - {name: a, version: 1.0.0, keywords: [x, 3]}\n")
            .err();
    assert!(matches!(err, Some(IndexError::FieldType { .. })), "{err:?}");
    // YAML 1.1 booleans.
    let index =
        parse("apiVersion: v1\nentries:\n  a:\n  - {name: a, version: 1.0.0, deprecated: yes}\n")
            .expect("parses");
    assert!(index.versions("a").expect("a")[0].deprecated);
}

#[test]
fn strict_for_yaml_lenient_for_json() {
    let err = parse("apiVersion: v1\nentries: {}\nbogus: 1\n").err();
    assert!(
        matches!(err, Some(IndexError::UnknownField { .. })),
        "{err:?}"
    );
    let err =
        parse("apiVersion: v1\nentries:\n  a:\n  - {name: a, version: 1.0.0, colour: red}\n").err();
    assert!(
        matches!(err, Some(IndexError::UnknownField { .. })),
        "{err:?}"
    );
    let err = parse("apiVersion: v1\napiVersion: v1\n").err();
    assert!(
        matches!(err, Some(IndexError::DuplicateKey { .. })),
        "{err:?}"
    );
    let json = r#"{"apiVersion":"v1","bogus":1,"entries":{"a":[{"name":"a","version":"1.0.0","colour":"red","urls":["a-1.0.0.tgz"]}]}}"#;
    let index = parse(json).expect("JSON is read leniently");
    assert_eq!(
        index.resolve("a", "").map(|v| &*v.urls[0]),
        Ok("a-1.0.0.tgz")
    );
    // encoding/json matches field names case-insensitively.
    let index = parse(r#"{"APIVERSION":"v1","Entries":{"a":[{"Name":"a","VERSION":"1.0.0"}]}}"#)
        .expect("parses");
    assert_eq!(index.version_count(), 1);
}

#[test]
fn rejects_empty_and_missing_api_version() {
    assert_eq!(parse("").err(), Some(IndexError::Empty));
    assert_eq!(parse("entries: {}\n").err(), Some(IndexError::NoApiVersion));
    assert_eq!(parse("# nothing\n").err(), Some(IndexError::NoApiVersion));
    assert!(matches!(
        parse("- a\n").err(),
        Some(IndexError::FieldType { .. })
    ));
    assert!(matches!(
        parse("apiVersion: v1\nentries: {}\n  ]: x\n").err(),
        Some(IndexError::Syntax { .. })
    ));
    assert!(matches!(
        Index::parse(b"apiVersion: \xff\n").err(),
        Some(IndexError::NotUtf8 { offset: 12 })
    ));
}

#[test]
fn aliases_expand_and_merge() {
    let text = "apiVersion: v1\nentries:\n  a:\n  - &base {name: a, version: 1.0.0, urls: [&u a.tgz]}\n  - <<: *base\n    version: 2.0.0\n    urls: [*u]\n  b: *x\n";
    // `*x` is undefined.
    assert!(matches!(
        parse(text).err(),
        Some(IndexError::UnknownAnchor { .. })
    ));
    let text = "apiVersion: v1\nentries:\n  a: &list\n  - &base {name: a, version: 1.0.0, urls: [&u a.tgz]}\n  - <<: *base\n    version: 2.0.0\n    urls: [*u]\n  b: *list\n";
    let index = parse(text).expect("parses");
    let a: Vec<&str> = index
        .versions("a")
        .expect("a")
        .iter()
        .map(|v| &*v.version)
        .collect();
    assert_eq!(a, ["2.0.0", "1.0.0"]);
    assert_eq!(index.versions("b").map(<[_]>::len), Some(2));
    assert_eq!(&*index.versions("a").expect("a")[0].urls[0], "a.tgz");
}

#[test]
fn alias_bomb_is_refused_quickly() {
    // Twelve levels of ten aliases each: 10^12 nodes if expanded.
    let mut text =
        String::from("apiVersion: v1\nserverInfo:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..12 {
        let p = format!("*a{}", level - 1);
        let items = [p.as_str(); 10].join(", ");
        text.push_str(&format!("  a{level}: &a{level} [{items}]\n"));
    }
    text.push_str("entries: {}\n");
    let started = std::time::Instant::now();
    assert_eq!(parse(&text).err(), Some(IndexError::ExcessiveAliasing));
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}
