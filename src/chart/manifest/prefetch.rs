//! Decoding the heads of rendered files on a helper thread while later templates still
//! execute: template execution runs on one thread, so a second core is free until sorting,
//! and decoding heads (a full YAML parse of every document) is most of what sorting costs.
//! [`sort_manifests_prefetched`](super::sort_manifests_prefetched) then takes the decoded
//! heads instead of decoding the same documents again; results and errors are the same as
//! without prefetching.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;

use super::head::{Head, parse_head};
use super::split::split_manifests;
use crate::helper_threads::{self, HelperGrant};

/// The decoded heads of one rendered file: the text they were decoded from (a file's
/// entry is used only while the text to sort is the same) and one result per document of
/// [`split_manifests`] of that text, in order.
pub(super) struct FileHeads {
    pub(super) text: String,
    pub(super) heads: Vec<Result<Head, String>>,
}

/// Heads decoded ahead of sorting, by template path. Empty when nothing was prefetched.
#[derive(Default)]
pub struct PrefetchedHeads {
    pub(super) by_path: HashMap<String, FileHeads>,
}

/// A helper thread decoding the heads of rendered files as they are submitted.
///
/// Dropping it without [`HeadPrefetcher::finish`] (a template failed) tells the thread to
/// stop after its current document and waits for it.
pub struct HeadPrefetcher {
    sender: Option<mpsc::Sender<(String, String)>>,
    worker: Option<JoinHandle<PrefetchedHeads>>,
    cancel: Arc<AtomicBool>,
    /// Returned to the process-wide budget once the thread has ended.
    _grant: HelperGrant,
}

impl HeadPrefetcher {
    /// Starts the helper thread, if the process-wide budget ([`crate::helper_threads`])
    /// grants one and the thread starts; `None` otherwise (heads are then decoded while
    /// sorting, as without prefetching).
    pub fn start() -> Option<HeadPrefetcher> {
        let grant = helper_threads::grant(1);
        if grant.count() == 0 {
            return None;
        }
        let (sender, receiver) = mpsc::channel::<(String, String)>();
        let cancel = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&cancel);
        let worker = std::thread::Builder::new()
            .name("manifest-heads".to_string())
            .spawn(move || {
                let mut prefetched = PrefetchedHeads::default();
                for (path, text) in receiver {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let heads = split_manifests(&text).into_iter().map(parse_head).collect();
                    prefetched.by_path.insert(path, FileHeads { text, heads });
                }
                prefetched
            })
            .ok()?;
        Some(HeadPrefetcher {
            sender: Some(sender),
            worker: Some(worker),
            cancel,
            _grant: grant,
        })
    }

    /// Queues one rendered file (template path and output) for decoding. Files that
    /// sorting skips (partials, white space only) are not queued.
    pub fn submit(&self, path: &str, text: &str) {
        let base = path.rsplit('/').next().unwrap_or(path);
        if base.starts_with('_') || text.trim().is_empty() {
            return;
        }
        if let Some(sender) = &self.sender {
            // A thread that is gone (it panicked) just decodes nothing more.
            let _ = sender.send((path.to_string(), text.to_string()));
        }
    }

    /// Waits until every submitted file is decoded; the heads by path. A thread that
    /// panicked (a decoder bug) yields nothing, so sorting decodes those documents again
    /// and the panic surfaces there.
    pub fn finish(mut self) -> PrefetchedHeads {
        self.sender = None;
        self.worker
            .take()
            .and_then(|worker| worker.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for HeadPrefetcher {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        self.sender = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::chart::manifest::{INSTALL_ORDER, sort_manifests, sort_manifests_prefetched};

    fn heads_of(text: &str) -> FileHeads {
        FileHeads {
            text: text.to_string(),
            heads: split_manifests(text).into_iter().map(parse_head).collect(),
        }
    }

    /// (path, kind, name) of every manifest and hook, or the error text.
    fn summary(
        sorted: Result<super::super::Sorted, super::super::ManifestError>,
    ) -> Result<Vec<(String, String, String)>, String> {
        let sorted = sorted.map_err(|e| e.to_string())?;
        let mut out: Vec<_> = sorted
            .manifests
            .iter()
            .map(|m| {
                (
                    m.path.clone(),
                    m.head.kind.clone(),
                    m.head.name().to_string(),
                )
            })
            .collect();
        out.extend(
            sorted
                .hooks
                .iter()
                .map(|h| (h.path.clone(), h.kind.clone(), h.name.clone())),
        );
        Ok(out)
    }

    #[test]
    fn prefetched_heads_are_used_only_for_the_same_text() {
        let mut files = BTreeMap::new();
        files.insert(
            "c/templates/a.yaml".to_string(),
            "kind: Service\nmetadata:\n  name: a\n---\nkind: Namespace\nmetadata:\n  name: ns\n"
                .to_string(),
        );
        files.insert(
            "c/templates/b.yaml".to_string(),
            "kind: Job\nmetadata:\n  name: b\n  annotations:\n    helm.sh/hook: pre-install\n"
                .to_string(),
        );
        files.insert(
            "c/templates/c.yaml".to_string(),
            "kind: ConfigMap\nmetadata:\n  name: c\n".to_string(),
        );
        let plain = summary(sort_manifests(&files, INSTALL_ORDER));
        assert_eq!(
            plain,
            Ok(vec![
                ("c/templates/a.yaml".into(), "Namespace".into(), "ns".into()),
                ("c/templates/c.yaml".into(), "ConfigMap".into(), "c".into()),
                ("c/templates/a.yaml".into(), "Service".into(), "a".into()),
                ("c/templates/b.yaml".into(), "Job".into(), "b".into()),
            ])
        );
        let mut prefetched = PrefetchedHeads::default();
        // a: the same text; b: a stale text whose heads differ and fail; c: not prefetched.
        prefetched.by_path.insert(
            "c/templates/a.yaml".into(),
            heads_of(&files["c/templates/a.yaml"]),
        );
        prefetched.by_path.insert(
            "c/templates/b.yaml".into(),
            heads_of("kind: [\nmetadata: {}\n"),
        );
        let with = summary(sort_manifests_prefetched(&files, INSTALL_ORDER, prefetched));
        assert_eq!(with, plain);
    }

    #[test]
    fn a_prefetched_failure_is_reported_as_sorting_would() {
        let mut files = BTreeMap::new();
        files.insert("c/templates/a.yaml".to_string(), "kind: [\n".to_string());
        files.insert("c/templates/b.yaml".to_string(), "kind: {\n".to_string());
        let plain = summary(sort_manifests(&files, INSTALL_ORDER));
        assert!(
            plain
                .as_ref()
                .is_err_and(|e| e.contains("c/templates/a.yaml"))
        );
        let mut prefetched = PrefetchedHeads::default();
        prefetched.by_path.insert(
            "c/templates/b.yaml".into(),
            heads_of(&files["c/templates/b.yaml"]),
        );
        let with = summary(sort_manifests_prefetched(&files, INSTALL_ORDER, prefetched));
        assert_eq!(with, plain);
    }

    #[test]
    fn the_helper_thread_decodes_submitted_files() {
        let Some(prefetcher) = helper_threads::start_when_granted(HeadPrefetcher::start) else {
            return;
        };
        let text = "kind: A\nmetadata:\n  name: x\n---\nkind: [\n";
        prefetcher.submit("c/templates/x.yaml", text);
        prefetcher.submit("c/templates/_helpers.tpl", "kind: B\n");
        prefetcher.submit("c/templates/blank.yaml", " \n");
        let prefetched = prefetcher.finish();
        let paths: Vec<&str> = prefetched.by_path.keys().map(|k| k.as_str()).collect();
        assert_eq!(paths, ["c/templates/x.yaml"]);
        let file = &prefetched.by_path["c/templates/x.yaml"];
        assert_eq!(file.text, text);
        assert_eq!(file.heads.len(), 2);
        assert_eq!(file.heads[0].as_ref().map(|h| h.kind.as_str()), Ok("A"));
        assert!(file.heads[1].is_err());
    }
}
