//! Manifest heads decoded on a helper thread while later templates still execute.
//!
//! Templates execute one after another on one thread (they share values through `set`), which
//! leaves the other cores idle, and decoding a document's head means parsing the whole YAML
//! document (Helm fails on a syntax error anywhere in it): for a chart that renders large
//! CRDs, that is the longest step after execution. [`HeadsAhead`] takes each rendered file as
//! template execution produces it, splits it into Helm's documents ([`split_manifests`]) and
//! queues them; once enough text is queued a helper thread, if the process-wide budget
//! ([`crate::helper_threads`]) grants one, decodes them, largest first, as they come.
//! [`HeadsAhead::finish`] decodes what is left on the calling thread beside the helper and
//! returns the files with the heads of their documents, for
//! [`sort_manifests_with_heads`](super::sort_manifests_with_heads). Errors are kept, not
//! reported: which failure Helm reports is decided there, in file order, and only once every
//! template has executed (an execution error wins over any YAML error).

use std::collections::{BTreeMap, BinaryHeap};
use std::ops::Range;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use super::head::{Head, parse_head};
use super::split::split_manifests;
use crate::helper_threads::{self, HelperGrant};

/// Queued text after which the helper thread starts: below it, decoding on the caller's
/// thread after execution costs less than starting a thread.
const START_HELPER_FROM_BYTES: usize = 64 * 1024;

/// A document's decoded head (`None`: the decoder panicked on the helper thread; the caller
/// decodes it again on its own thread, where the panic then surfaces).
pub type DecodedHead = Option<Result<Head, String>>;

/// The rendered files handed to [`HeadsAhead::push`], in the order they came, and the heads
/// decoded so far: by file name, one per document of the file in [`split_manifests`] order.
/// Files without an entry in `heads` were not decoded (white space only, or no helper).
#[derive(Debug, Default)]
pub struct DecodedFiles {
    /// `(template name, rendered text)`.
    pub files: Vec<(String, String)>,
    /// Template name → the heads of its documents.
    pub heads: BTreeMap<String, Vec<DecodedHead>>,
}

/// Rendered files whose heads are being decoded on a helper thread; see the module
/// documentation. Dropping it without [`HeadsAhead::finish`] (a template failed) stops the
/// helper after the document it is decoding.
#[derive(Debug, Default)]
pub struct HeadsAhead {
    shared: Arc<Shared>,
    /// Each file with the id of its first document's job and its document count.
    files: Vec<QueuedFile>,
    next_job: usize,
    queued_bytes: usize,
    helper_started: bool,
}

#[derive(Debug)]
struct QueuedFile {
    name: String,
    text: Arc<String>,
    jobs: Range<usize>,
}

#[derive(Debug, Default)]
struct Shared {
    queue: Mutex<Queue>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct Queue {
    pending: BinaryHeap<Job>,
    in_flight: usize,
    done: Vec<(usize, DecodedHead)>,
    closed: bool,
}

/// One document: a range of a rendered file's text.
#[derive(Debug)]
struct Job {
    id: usize,
    text: Arc<String>,
    range: Range<usize>,
}

// Largest document first; of equal sizes, the one queued first.
impl Ord for Job {
    fn cmp(&self, other: &Job) -> std::cmp::Ordering {
        self.range
            .len()
            .cmp(&other.range.len())
            .then_with(|| other.id.cmp(&self.id))
    }
}

impl PartialOrd for Job {
    fn partial_cmp(&self, other: &Job) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Job {
    fn eq(&self, other: &Job) -> bool {
        self.id == other.id
    }
}

impl Eq for Job {}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Decodes queued documents until none is pending; with `wait_for_more`, waits for more
    /// until the queue is closed (the helper thread), otherwise returns (the caller, after
    /// closing it).
    fn decode_pending(&self, wait_for_more: bool) {
        let mut queue = self.lock();
        loop {
            let Some(job) = queue.pending.pop() else {
                if wait_for_more && !queue.closed {
                    queue = self.changed.wait(queue).unwrap_or_else(|e| e.into_inner());
                    continue;
                }
                return;
            };
            queue.in_flight += 1;
            drop(queue);
            let document = &job.text[job.range.clone()];
            let head = std::panic::catch_unwind(|| parse_head(document)).ok();
            queue = self.lock();
            queue.in_flight -= 1;
            queue.done.push((job.id, head));
            if queue.in_flight == 0 {
                self.changed.notify_all();
            }
        }
    }
}

impl HeadsAhead {
    /// An empty queue; no thread starts until enough text is pushed.
    pub fn new() -> HeadsAhead {
        HeadsAhead::default()
    }

    /// Queues the documents of one rendered file (`name`: its template name).
    pub fn push(&mut self, name: String, text: String) {
        let text = Arc::new(text);
        let first = self.next_job;
        let mut jobs = Vec::new();
        if !text.trim().is_empty() {
            for document in split_manifests(&text) {
                let start = document.as_ptr() as usize - text.as_ptr() as usize;
                jobs.push(Job {
                    id: self.next_job,
                    text: Arc::clone(&text),
                    range: start..start + document.len(),
                });
                self.next_job += 1;
                self.queued_bytes += document.len();
            }
        }
        self.files.push(QueuedFile {
            name,
            text,
            jobs: first..self.next_job,
        });
        if !jobs.is_empty() {
            let mut queue = self.shared.lock();
            queue.pending.extend(jobs);
            drop(queue);
            self.shared.changed.notify_all();
        }
        if !self.helper_started && self.queued_bytes >= START_HELPER_FROM_BYTES {
            // Without a helper now (the budget is in use), later pushes ask again.
            self.helper_started = self.start_helper();
        }
    }

    /// Starts the helper thread if the budget grants one; whether it started.
    fn start_helper(&self) -> bool {
        let grant: HelperGrant = helper_threads::grant(1);
        if grant.count() == 0 {
            return false;
        }
        let shared = Arc::clone(&self.shared);
        // The grant returns to the budget when the thread ends (or here, if it cannot start).
        std::thread::Builder::new()
            .name("manifest-heads".to_string())
            .spawn(move || {
                let _grant = grant;
                shared.decode_pending(true);
            })
            .is_ok()
    }

    /// Closes the queue, decodes the documents still pending on this thread (beside the
    /// helper, which finishes the one it holds), and returns the files and their heads.
    pub fn finish(mut self) -> DecodedFiles {
        if !self.helper_started {
            // Nothing ran ahead: the caller decodes everything, in parallel if it then gets
            // helpers.
            self.shared.lock().pending.clear();
            let files = std::mem::take(&mut self.files);
            return DecodedFiles {
                files: files
                    .into_iter()
                    .map(|f| (f.name, Arc::unwrap_or_clone(f.text)))
                    .collect(),
                heads: BTreeMap::new(),
            };
        }
        self.close();
        self.shared.decode_pending(false);
        let mut queue = self.shared.lock();
        while queue.in_flight > 0 {
            queue = self
                .shared
                .changed
                .wait(queue)
                .unwrap_or_else(|e| e.into_inner());
        }
        let mut by_id: Vec<DecodedHead> = std::iter::repeat_with(|| None)
            .take(self.next_job)
            .collect();
        for (id, head) in std::mem::take(&mut queue.done) {
            by_id[id] = head;
        }
        drop(queue);
        let mut heads = BTreeMap::new();
        let mut files = Vec::with_capacity(self.files.len());
        let mut by_id = by_id.into_iter();
        for file in std::mem::take(&mut self.files) {
            let count = file.jobs.len();
            if count > 0 {
                heads.insert(file.name.clone(), by_id.by_ref().take(count).collect());
            }
            // Every job, and with it every other reference to the text, is gone.
            files.push((file.name, Arc::unwrap_or_clone(file.text)));
        }
        DecodedFiles { files, heads }
    }

    fn close(&self) {
        self.shared.lock().closed = true;
        self.shared.changed.notify_all();
    }
}

impl Drop for HeadsAhead {
    fn drop(&mut self) {
        let mut queue = self.shared.lock();
        queue.closed = true;
        queue.pending.clear();
        drop(queue);
        self.shared.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used, reason = "tests")]
    use super::*;

    fn documents_of(text: &str) -> Vec<Result<Head, String>> {
        split_manifests(text).into_iter().map(parse_head).collect()
    }

    #[test]
    fn heads_decoded_ahead_match_decoding_afterwards() {
        let padding = format!("data:\n  k: \"{}\"\n", "x".repeat(8192));
        let mut files = Vec::new();
        for i in 0..40 {
            files.push((
                format!("c/templates/f{i:02}.yaml"),
                format!("kind: ConfigMap\nmetadata:\n  name: n{i}\n{padding}---\nkind: [\n---\n\n"),
            ));
        }
        files.push(("c/templates/blank.yaml".to_string(), " \n\n".to_string()));
        let mut ahead = HeadsAhead::new();
        for (name, text) in &files {
            ahead.push(name.clone(), text.clone());
        }
        // Other tests hold helpers at times; without one, everything is left to the caller.
        let helper_started = ahead.helper_started;
        let decoded = ahead.finish();
        assert_eq!(decoded.files, files, "files come back unchanged, in order");
        assert!(!decoded.heads.contains_key("c/templates/blank.yaml"));
        if !helper_started {
            assert!(decoded.heads.is_empty());
            return;
        }
        for (name, text) in &files[..40] {
            let heads = decoded
                .heads
                .get(name)
                .expect("heads of a file with documents");
            let expected: Vec<DecodedHead> = documents_of(text).into_iter().map(Some).collect();
            assert_eq!(heads, &expected, "{name}");
        }
    }

    #[test]
    fn small_output_is_left_to_the_caller() {
        let mut ahead = HeadsAhead::new();
        ahead.push("c/templates/a.yaml".into(), "kind: A\n".into());
        let decoded = ahead.finish();
        assert_eq!(decoded.files.len(), 1);
        assert!(decoded.heads.is_empty());
    }

    #[test]
    fn dropping_unfinished_stops_the_helper() {
        let mut ahead = HeadsAhead::new();
        let big = format!("kind: A\ndata:\n  k: \"{}\"\n", "y".repeat(200 * 1024));
        ahead.push("c/templates/a.yaml".into(), big);
        let shared = Arc::clone(&ahead.shared);
        drop(ahead);
        // The helper (if one started) leaves once it has finished the document it holds.
        let mut queue = shared.lock();
        while queue.in_flight > 0 {
            queue = shared
                .changed
                .wait(queue)
                .unwrap_or_else(|e| e.into_inner());
        }
        assert!(queue.closed && queue.pending.is_empty());
    }
}
