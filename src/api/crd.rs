//! CustomResourceDefinitions generated from the Rust types, and their YAML form.
//!
//! `wheelhouse crds` prints [`all_yaml`]; `crds/` holds one file per CRD named by
//! [`file_name`], and the test below fails when those files differ from what the code
//! generates (regenerate with `cargo run -- crds --output-dir crds`).

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;

use super::{HelmRelease, HelmRepository};
use crate::codec::yaml::to_yaml;

/// Every CRD Wheelhouse serves, in a stable order (HelmRepository, HelmRelease).
pub fn all() -> Vec<CustomResourceDefinition> {
    vec![HelmRepository::crd(), HelmRelease::crd()]
}

/// The file name a CRD is stored under in `crds/`: `<group>_<plural>.yaml`, as
/// controller-gen names them.
pub fn file_name(crd: &CustomResourceDefinition) -> String {
    format!("{}_{}.yaml", crd.spec.group, crd.spec.names.plural)
}

/// One CRD as YAML (keys sorted, two-space indent: the sigs.k8s.io/yaml layout kubectl users
/// know), preceded by a `---` line.
pub fn to_yaml_document(crd: &CustomResourceDefinition) -> String {
    let json = serde_json::to_value(crd).unwrap_or(serde_json::Value::Null);
    format!("---\n{}", to_yaml(&json))
}

/// All CRDs as one multi-document YAML stream (the output of `wheelhouse crds`).
pub fn all_yaml() -> String {
    all().iter().map(to_yaml_document).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::expect_used, reason = "test fixtures")]
    fn checked_in_crds_are_current() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("crds");
        let mut stale = Vec::new();
        for crd in all() {
            let name = file_name(&crd);
            let on_disk = std::fs::read_to_string(dir.join(&name)).unwrap_or_default();
            if on_disk != to_yaml_document(&crd) {
                stale.push(name);
            }
        }
        let files = std::fs::read_dir(&dir)
            .expect("crds/ exists")
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "yaml"))
            .filter(|e| e.file_name() != "kustomization.yaml")
            .count();
        assert!(
            stale.is_empty() && files == all().len(),
            "crds/ is stale ({stale:?}, {files} files): run `cargo run -- crds --output-dir crds`"
        );
    }

    #[test]
    fn the_operator_chart_ships_the_same_crds() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("charts/wheelhouse/crds");
        for crd in all() {
            let name = file_name(&crd);
            let in_chart = std::fs::read_to_string(dir.join(&name)).unwrap_or_default();
            assert!(
                in_chart == to_yaml_document(&crd),
                "charts/wheelhouse/crds/{name} is stale: copy crds/{name} into the chart"
            );
        }
    }

    #[test]
    fn crds_carry_descriptions_defaults_and_rules() {
        let yaml = all_yaml();
        for needle in [
            "shortNames:\n    - hr",
            "shortNames:\n    - helmrepo",
            "x-kubernetes-validations",
            "spec.releaseName is immutable",
            "x-kubernetes-preserve-unknown-fields: true",
            "Masterminds semver constraint",
            "jsonPath: .status.conditions[?(@.type==\"Ready\")].status",
            "subresources:\n      status: {}",
        ] {
            assert!(yaml.contains(needle), "generated CRDs lack {needle:?}");
        }
    }
}
