//! Ordering decisions of applying and pruning, as data: which objects an upgrade deletes and
//! in which order, and how objects of one kind are batched. Pure.

use std::collections::BTreeSet;

use crate::chart::manifest::{INSTALL_ORDER, compare_kinds, uninstall_order};

use super::object::ObjectKey;

/// The objects of `previous` that `target` no longer has (matched by group, kind, namespace
/// and name; Helm: `ResourceList.Difference`), in Helm's uninstall order of kinds (Go:
/// `releaseutil.UninstallOrder`; unknown kinds first, as that order puts them), stable
/// within a kind. Whether each is kept (`helm.sh/resource-policy: keep`) is decided on the
/// live object by the caller, as Helm does.
pub fn prune_candidates(previous: &[ObjectKey], target: &[ObjectKey]) -> Vec<ObjectKey> {
    let wanted: BTreeSet<&ObjectKey> = target.iter().collect();
    let mut gone: Vec<ObjectKey> = previous
        .iter()
        .filter(|k| !wanted.contains(k))
        .cloned()
        .collect();
    sort_uninstall(&mut gone);
    gone
}

/// Sorts keys by Helm's uninstall order of kinds (stable).
pub fn sort_uninstall(keys: &mut [ObjectKey]) {
    let order = uninstall_order();
    keys.sort_by(|a, b| compare_kinds(&a.kind, &b.kind, &order));
}

/// Sorts keys by Helm's install order of kinds (stable).
pub fn sort_install(keys: &mut [ObjectKey]) {
    keys.sort_by(|a, b| compare_kinds(&a.kind, &b.kind, INSTALL_ORDER));
}

/// Splits an ordered list into runs of the same kind (Helm's `batchPerform`: objects of one
/// kind are applied concurrently, kinds one after another). Returns index ranges.
pub fn kind_batches<T>(items: &[T], kind: impl Fn(&T) -> &str) -> Vec<std::ops::Range<usize>> {
    let mut batches = Vec::new();
    let mut start = 0;
    for i in 1..=items.len() {
        if i == items.len() || kind(&items[i]) != kind(&items[start]) {
            if start < i {
                batches.push(start..i);
            }
            start = i;
        }
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kind: &str, name: &str) -> ObjectKey {
        ObjectKey {
            group: String::new(),
            kind: kind.into(),
            namespace: "ns".into(),
            name: name.into(),
        }
    }

    #[test]
    fn prune_in_uninstall_order() {
        let previous = [
            key("ConfigMap", "a"),
            key("Service", "s"),
            key("Deployment", "d"),
            key("Widget", "w"),
            key("ConfigMap", "kept-in-target"),
        ];
        let target = [key("ConfigMap", "kept-in-target")];
        let gone: Vec<String> = prune_candidates(&previous, &target)
            .into_iter()
            .map(|k| format!("{}/{}", k.kind, k.name))
            .collect();
        // Unknown kinds sort after the listed ones in Helm's comparison.
        assert_eq!(
            gone,
            ["Deployment/d", "Service/s", "ConfigMap/a", "Widget/w"]
        );
    }

    #[test]
    fn version_does_not_count() {
        let mut a = key("HorizontalPodAutoscaler", "h");
        a.group = "autoscaling".into();
        assert!(prune_candidates(std::slice::from_ref(&a), std::slice::from_ref(&a)).is_empty());
    }

    #[test]
    fn batches_by_kind() {
        let kinds = [
            "ConfigMap",
            "ConfigMap",
            "Service",
            "Deployment",
            "Deployment",
        ];
        assert_eq!(kind_batches(&kinds, |k| k), vec![0..2, 2..3, 3..5]);
        assert!(kind_batches::<&str>(&[], |k| k).is_empty());
    }
}
