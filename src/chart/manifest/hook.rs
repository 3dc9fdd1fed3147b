//! Helm hooks: the `helm.sh/hook*` annotations of a manifest read as Helm 4.3.1 reads them
//! (`pkg/release/v1/hook.go`, `pkg/release/v1/util/manifest_sorter.go`,
//! `pkg/action/hooks.go`).

use std::collections::BTreeMap;
use std::fmt;

/// Annotation naming the events a hook runs on (comma-separated).
pub const HOOK_ANNOTATION: &str = "helm.sh/hook";
/// Annotation with the hook's weight (an integer; anything else counts as 0).
pub const HOOK_WEIGHT_ANNOTATION: &str = "helm.sh/hook-weight";
/// Annotation with the hook's delete policies (comma-separated).
pub const HOOK_DELETE_ANNOTATION: &str = "helm.sh/hook-delete-policy";
/// Annotation with the hook's output log policies (comma-separated).
pub const HOOK_OUTPUT_LOG_ANNOTATION: &str = "helm.sh/hook-output-log-policy";

/// Delete policy: delete the hook after it succeeded.
pub const HOOK_SUCCEEDED: &str = "hook-succeeded";
/// Delete policy: delete the hook after it failed.
pub const HOOK_FAILED: &str = "hook-failed";
/// Delete policy: delete the previous hook object before creating it again (Helm's default
/// when a hook names no policy).
pub const BEFORE_HOOK_CREATION: &str = "before-hook-creation";

/// When a hook runs (Go: `release.HookEvent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HookEvent {
    /// `pre-install`.
    PreInstall,
    /// `post-install`.
    PostInstall,
    /// `pre-delete`.
    PreDelete,
    /// `post-delete`.
    PostDelete,
    /// `pre-upgrade`.
    PreUpgrade,
    /// `post-upgrade`.
    PostUpgrade,
    /// `pre-rollback`.
    PreRollback,
    /// `post-rollback`.
    PostRollback,
    /// `test` (also written `test-success`).
    Test,
}

impl HookEvent {
    /// The event from an annotation entry already trimmed and lower-cased; `None` for an
    /// event Helm does not know (which makes Helm drop the whole document).
    pub fn parse(name: &str) -> Option<HookEvent> {
        Some(match name {
            "pre-install" => HookEvent::PreInstall,
            "post-install" => HookEvent::PostInstall,
            "pre-delete" => HookEvent::PreDelete,
            "post-delete" => HookEvent::PostDelete,
            "pre-upgrade" => HookEvent::PreUpgrade,
            "post-upgrade" => HookEvent::PostUpgrade,
            "pre-rollback" => HookEvent::PreRollback,
            "post-rollback" => HookEvent::PostRollback,
            "test" | "test-success" => HookEvent::Test,
            _ => return None,
        })
    }

    /// Helm's name of the event (`pre-install`, …, `test`).
    pub fn as_str(self) -> &'static str {
        match self {
            HookEvent::PreInstall => "pre-install",
            HookEvent::PostInstall => "post-install",
            HookEvent::PreDelete => "pre-delete",
            HookEvent::PostDelete => "post-delete",
            HookEvent::PreUpgrade => "pre-upgrade",
            HookEvent::PostUpgrade => "post-upgrade",
            HookEvent::PreRollback => "pre-rollback",
            HookEvent::PostRollback => "post-rollback",
            HookEvent::Test => "test",
        }
    }
}

impl fmt::Display for HookEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A hook: a manifest with a `helm.sh/hook` annotation naming only known events
/// (Go: `release.Hook` as `SortManifests` fills it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    /// `metadata.name`.
    pub name: String,
    /// `kind`.
    pub kind: String,
    /// Template path the hook was rendered from (e.g. `mychart/templates/job.yaml`).
    pub path: String,
    /// The document's text.
    pub manifest: String,
    /// Events in annotation order (duplicates kept, as Helm keeps them).
    pub events: Vec<HookEvent>,
    /// `helm.sh/hook-weight` as a Go `strconv.Atoi` reads it, 0 when it does not parse.
    pub weight: i64,
    /// `helm.sh/hook-delete-policy` entries, trimmed and lower-cased, not validated (Helm
    /// stores any text). Empty when the annotation is absent; see
    /// [`Hook::effective_delete_policies`] for the default Helm applies when running.
    pub delete_policies: Vec<String>,
    /// `helm.sh/hook-output-log-policy` entries, trimmed and lower-cased.
    pub output_log_policies: Vec<String>,
}

impl Hook {
    /// Builds the hook of a document with these annotations (which hold
    /// [`HOOK_ANNOTATION`]); `None` when any listed event is unknown: Helm then drops the
    /// document entirely (it is neither a hook nor a manifest).
    pub fn from_annotations(
        name: &str,
        kind: &str,
        path: &str,
        manifest: &str,
        annotations: &BTreeMap<String, String>,
    ) -> Option<Hook> {
        let events_text = annotations.get(HOOK_ANNOTATION)?;
        let mut events = Vec::new();
        for entry in events_text.split(',') {
            events.push(HookEvent::parse(&entry.trim().to_lowercase())?);
        }
        let list = |key: &str| -> Vec<String> {
            annotations
                .get(key)
                .map(|text| {
                    text.split(',')
                        .map(|entry| entry.trim().to_lowercase())
                        .collect()
                })
                .unwrap_or_default()
        };
        Some(Hook {
            name: name.to_string(),
            kind: kind.to_string(),
            path: path.to_string(),
            manifest: manifest.to_string(),
            events,
            weight: annotations
                .get(HOOK_WEIGHT_ANNOTATION)
                .and_then(|w| go_atoi(w))
                .unwrap_or(0),
            delete_policies: list(HOOK_DELETE_ANNOTATION),
            output_log_policies: list(HOOK_OUTPUT_LOG_ANNOTATION),
        })
    }

    /// The delete policies Helm applies when it runs the hook: the declared ones, or
    /// [`BEFORE_HOOK_CREATION`] when none are declared (Go: `hookSetDeletePolicy`).
    pub fn effective_delete_policies(&self) -> Vec<&str> {
        if self.delete_policies.is_empty() {
            vec![BEFORE_HOOK_CREATION]
        } else {
            self.delete_policies.iter().map(String::as_str).collect()
        }
    }

    /// Whether the hook runs on `helm test` (Go: `isTestHook`).
    pub fn is_test(&self) -> bool {
        self.events.contains(&HookEvent::Test)
    }
}

/// Go's `strconv.Atoi`: optional sign, decimal digits only, within `int` (64 bits).
fn go_atoi(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoi_follows_go() {
        assert_eq!(go_atoi("5"), Some(5));
        assert_eq!(go_atoi("-3"), Some(-3));
        assert_eq!(go_atoi("+2"), Some(2));
        assert_eq!(go_atoi(" 5"), None);
        assert_eq!(go_atoi("1_000"), None);
        assert_eq!(go_atoi("99999999999999999999"), None);
        assert_eq!(go_atoi(""), None);
    }

    #[test]
    fn default_delete_policy_is_before_hook_creation() {
        let mut annotations = BTreeMap::new();
        annotations.insert(HOOK_ANNOTATION.to_string(), "pre-install".to_string());
        let hook = Hook::from_annotations("n", "Job", "c/templates/j.yaml", "", &annotations);
        let hook = hook.unwrap_or_else(|| panic!("known event"));
        assert!(hook.delete_policies.is_empty());
        assert_eq!(hook.effective_delete_policies(), [BEFORE_HOOK_CREATION]);
    }
}
