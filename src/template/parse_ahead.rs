//! Parsing template sources on a helper thread before the set they will join exists: a
//! chart's templates can be parsed while the chart is still being read and its values
//! coalesced, on a core that would otherwise wait; the caller then joins in for the sources
//! left. Sources may be parsed under provisional names (their path in the chart as read,
//! before the chart's name or a subchart's alias is known).
//! [`TemplateSet::add_all_with`](super::TemplateSet::add_all_with) takes a tree parsed ahead
//! only for the very same bytes, renamed when that cannot change the parse (see
//! `parse::rename`), and parses the rest itself, so the set is the same as without parsing
//! ahead.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use super::parse::{self, Interner, Tree};
use super::{FuncMap, TemplateError};
use crate::helper_threads::{self, HelperGrant};

/// One source parsed ahead: the name it was parsed under, its bytes (to check they are the
/// bytes later asked for) and the parser's result.
struct ParsedSource {
    name: String,
    source: Arc<[u8]>,
    result: Result<Vec<Tree>, TemplateError>,
}

/// Address of a source's bytes: sources are told apart by allocation, not by text.
fn address(source: &Arc<[u8]>) -> usize {
    Arc::as_ptr(source).cast::<u8>() as usize
}

/// Trees parsed ahead, by source. Empty when nothing was parsed ahead.
#[derive(Default)]
pub struct ParsedAhead {
    by_source: HashMap<usize, ParsedSource>,
}

impl ParsedAhead {
    /// The trees parsed ahead from these very bytes (the same allocation, so certainly the
    /// same text), under `name`: as parsed when the name is the same, renamed when it is not
    /// and renaming gives what parsing under `name` would. `None` otherwise, and for a source
    /// that failed to parse under another name (its message names the template).
    pub(super) fn take(
        &mut self,
        name: &str,
        source: &Arc<[u8]>,
    ) -> Option<Result<Vec<Tree>, TemplateError>> {
        let parsed = self.by_source.remove(&address(source))?;
        if !Arc::ptr_eq(&parsed.source, source) {
            return None;
        }
        if parsed.name == name {
            return Some(parsed.result);
        }
        let mut trees = parsed.result.ok()?;
        parse::rename(&mut trees, &parsed.name, name).then_some(Ok(trees))
    }
}

/// Sources parsed by one thread.
type Parsed = Vec<ParsedSource>;

/// The queue the helper thread and, at the end, the caller take sources from.
#[derive(Default)]
struct Queue {
    sources: VecDeque<(String, Arc<[u8]>)>,
    /// No more sources will come: an empty queue means the work is done.
    closed: bool,
    /// Once known, the addresses of the sources to parse; others are skipped.
    needed: Option<HashSet<usize>>,
    /// Addresses of every source queued so far: a source is parsed once.
    queued: HashSet<usize>,
}

struct Shared {
    queue: Mutex<Queue>,
    /// Signalled when a source is queued or the queue closes.
    changed: Condvar,
    funcs: FuncMap,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A thread that panicked while holding the lock left a consistent queue (every
        // change is a single operation), so the poison is ignored.
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The next source to parse, waiting while the queue is empty but open; `None` when it
    /// is empty and closed.
    fn next(&self) -> Option<(String, Arc<[u8]>)> {
        let mut queue = self.lock();
        loop {
            while let Some((name, source)) = queue.sources.pop_front() {
                let skip = queue
                    .needed
                    .as_ref()
                    .is_some_and(|needed| !needed.contains(&address(&source)));
                if !skip {
                    return Some((name, source));
                }
            }
            if queue.closed {
                return None;
            }
            queue = self
                .changed
                .wait(queue)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }

    /// Parses sources until the queue is empty and closed.
    fn work(&self) -> Parsed {
        let has_function = |n: &str| self.funcs.is_defined(n);
        let mut interner = Interner::default();
        let mut done = Vec::new();
        while let Some((name, source)) = self.next() {
            let result = parse::parse(&name, source.clone(), &has_function, &mut interner);
            done.push(ParsedSource {
                name,
                source,
                result,
            });
        }
        done
    }
}

/// Heap the parsing thread reserves when it starts (see
/// [`helper_threads::reserve_thread_heap`]): parsing kube-prometheus-stack's 1.6 MB of
/// templates grows it by about 7 MiB.
const PARSE_HEAP_RESERVE: usize = 16 << 20;

/// A helper thread parsing the sources given to it, in order, until [`ParseAhead::finish`].
///
/// Dropping it without finishing (rendering failed before parsing) lets the thread skip
/// every source not yet taken and waits for it.
pub struct ParseAhead {
    shared: Arc<Shared>,
    worker: Option<JoinHandle<Parsed>>,
    /// Returned to the process-wide budget once the thread has ended.
    _grant: HelperGrant,
}

impl ParseAhead {
    /// Starts a thread that parses the sources [`ParseAhead::push`] gives it, with `funcs`
    /// deciding which function names exist, as the set's own function map will. `None` when
    /// the process-wide budget ([`crate::helper_threads`]) grants no helper thread or the
    /// thread does not start.
    pub fn start(funcs: FuncMap) -> Option<ParseAhead> {
        let grant = helper_threads::grant(1);
        if grant.count() == 0 {
            return None;
        }
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            changed: Condvar::new(),
            funcs,
        });
        let worker_shared = Arc::clone(&shared);
        let worker = std::thread::Builder::new()
            .name("template-parse-ahead".to_string())
            .spawn(move || {
                helper_threads::reserve_thread_heap(PARSE_HEAP_RESERVE);
                worker_shared.work()
            })
            .ok()?;
        Some(ParseAhead {
            shared,
            worker: Some(worker),
            _grant: grant,
        })
    }

    /// Queues a source to parse under `name` (a provisional name is fine: see
    /// [`ParsedAhead`]); a source already queued (the same bytes) is not queued again.
    pub fn push(&self, name: String, source: Arc<[u8]>) {
        {
            let mut queue = self.shared.lock();
            if !queue.queued.insert(address(&source)) {
                return;
            }
            queue.sources.push_back((name, source));
        }
        self.shared.changed.notify_one();
    }

    /// Closes the queue, keeping only the sources among `needed` (largest first, so that
    /// both threads finish at about the same time), parses them on this thread beside the
    /// helper, waits for the helper, and returns every result. A helper that panicked (a
    /// parser bug) returns nothing, so its sources are parsed again by the set, where the
    /// panic then surfaces.
    pub fn finish(mut self, needed: &[&Arc<[u8]>]) -> ParsedAhead {
        {
            let mut queue = self.shared.lock();
            queue.closed = true;
            queue.needed = Some(needed.iter().map(|s| address(s)).collect());
            queue
                .sources
                .make_contiguous()
                .sort_by_key(|(_, source)| std::cmp::Reverse(source.len()));
        }
        self.shared.changed.notify_all();
        let mut done = self.shared.work();
        if let Some(theirs) = self.worker.take().and_then(|worker| worker.join().ok()) {
            done.extend(theirs);
        }
        let mut parsed = ParsedAhead::default();
        for source in done {
            parsed.by_source.insert(address(&source.source), source);
        }
        parsed
    }
}

impl Drop for ParseAhead {
    fn drop(&mut self) {
        {
            let mut queue = self.shared.lock();
            queue.closed = true;
            queue.sources.clear();
        }
        self.shared.changed.notify_all();
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;
    use crate::template::{NamedSource, Options, TemplateSet, Value};

    fn source(text: &str) -> Arc<[u8]> {
        Arc::from(text.as_bytes())
    }

    fn set() -> TemplateSet {
        TemplateSet::new("root", FuncMap::new(), Options::default())
    }

    /// Output of every named template of `set`, or the error text.
    fn outputs(set: &TemplateSet, names: &[&str]) -> Vec<String> {
        names
            .iter()
            .map(|n| match set.render(n, &Value::Nil) {
                Ok(text) => text,
                Err(e) => format!("error: {e}"),
            })
            .collect()
    }

    /// What a finished [`ParseAhead`] would hold for these (name, source) pairs, parsed here.
    fn parsed_ahead(sources: &[(&str, &Arc<[u8]>)]) -> ParsedAhead {
        let funcs = FuncMap::new();
        let has_function = |n: &str| funcs.is_defined(n);
        let mut interner = Interner::default();
        let mut parsed = ParsedAhead::default();
        for (name, source) in sources {
            let result = parse::parse(name, (*source).clone(), &has_function, &mut interner);
            parsed.by_source.insert(
                address(source),
                ParsedSource {
                    name: name.to_string(),
                    source: (*source).clone(),
                    result,
                },
            );
        }
        parsed
    }

    #[test]
    fn trees_parsed_ahead_give_the_same_set_as_parsing_in_place() {
        let a = source(r#"a: {{ template "shared" }} {{ .Missing }}"#);
        let b = source(r#"{{ define "shared" }}from-b{{ end }}b"#);
        let renamed = source(r#"{{ define "shared" }}from-renamed{{ end }}c: {{ 1 | print }}"#);
        // Defines a template named as the file will be: renaming would change the parse.
        let self_named = source(r#"{{ define "top/templates/d.yaml" }}D{{ end }}"#);
        let unused = source("{{ if }}");
        let sources: Vec<NamedSource<'_>> = vec![
            ("top/templates/a.yaml", a.clone()),
            ("top/templates/b.yaml", b.clone()),
            ("top/charts/alias/templates/c.yaml", renamed.clone()),
            ("top/templates/d.yaml", self_named.clone()),
        ];
        let names = [
            "top/templates/a.yaml",
            "top/templates/b.yaml",
            "top/charts/alias/templates/c.yaml",
            "top/templates/d.yaml",
            "shared",
        ];
        let mut plain = set();
        plain.add_all(&sources, 1).unwrap();
        assert_eq!(
            outputs(&plain, &names),
            ["a: from-renamed ", "b", "c: 1", "D", "from-renamed"]
        );
        // Ahead: b as is; c and d under provisional names (c is renamed, d parsed again); a
        // from other bytes of the same text (not taken: only the very bytes are trusted); a
        // source that is not rendered and does not parse.
        let other_a = source(r#"a: {{ template "shared" }} {{ .Missing }}"#);
        let ahead = [
            ("templates/a.yaml", &other_a),
            ("top/templates/b.yaml", &b),
            ("charts/sub/templates/c.yaml", &renamed),
            ("templates/d.yaml", &self_named),
            ("charts/off/templates/x.yaml", &unused),
        ];
        for threads in [1, 2] {
            let mut with_ahead = set();
            with_ahead
                .add_all_with(&sources, threads, parsed_ahead(&ahead))
                .unwrap();
            assert_eq!(outputs(&with_ahead, &names), outputs(&plain, &names));
        }
        // What was taken: b as parsed, c renamed; not d (refused) nor a (other bytes).
        let mut taken = parsed_ahead(&ahead);
        assert!(taken.take("top/templates/a.yaml", &a).is_none());
        assert!(taken.take("top/templates/b.yaml", &b).is_some());
        let c = taken.take("top/charts/alias/templates/c.yaml", &renamed);
        let c_names: Vec<(String, String)> = c
            .unwrap()
            .unwrap()
            .iter()
            .map(|t| (t.name.to_string(), t.parse_name.to_string()))
            .collect();
        let alias = "top/charts/alias/templates/c.yaml".to_string();
        assert_eq!(
            c_names,
            [
                (alias.clone(), alias.clone()),
                ("shared".to_string(), alias)
            ]
        );
        assert!(taken.take("top/templates/d.yaml", &self_named).is_none());
    }

    #[test]
    fn a_parse_error_found_ahead_is_the_one_reported() {
        let good = source("ok");
        let bad = source("x {{ end }}");
        let later_bad = source("{{ if }}");
        let sources: Vec<NamedSource<'_>> = vec![
            ("t/good", good.clone()),
            ("t/bad", bad.clone()),
            ("t/later", later_bad.clone()),
        ];
        let plain = set().add_all(&sources, 1).unwrap_err();
        assert_eq!(plain.0, 1);
        assert!(plain.1.to_string().contains("t/bad"));
        for (ahead, threads) in [
            (parsed_ahead(&[("t/bad", &bad)]), 1),
            // Failed under a provisional name: parsed again, so the message names t/bad.
            (parsed_ahead(&[("provisional/bad", &bad)]), 1),
            (parsed_ahead(&[("t/later", &later_bad)]), 1),
            (parsed_ahead(&[("t/later", &later_bad), ("t/bad", &bad)]), 2),
        ] {
            let got = set().add_all_with(&sources, threads, ahead).unwrap_err();
            assert_eq!((got.0, got.1.to_string()), (plain.0, plain.1.to_string()));
        }
    }

    #[test]
    fn the_helper_thread_parses_what_is_needed() {
        let a = source(r#"{{ define "d" }}D{{ end }}a{{ template "d" }}"#);
        let skipped = source("{{ if }}");
        let Some(ahead) = helper_threads::start_when_granted(|| ParseAhead::start(FuncMap::new()))
        else {
            return;
        };
        ahead.push("templates/a".to_string(), a.clone());
        ahead.push("templates/skipped".to_string(), skipped.clone());
        let mut parsed = ahead.finish(&[&a]);
        // The unneeded source may have been parsed before the queue closed; its result is
        // never used.
        parsed.by_source.remove(&address(&skipped));
        let trees = parsed.take("t/a", &a).unwrap().unwrap();
        let names: Vec<&str> = trees.iter().map(|t| &*t.name).collect();
        assert_eq!(names, ["t/a", "d"]);
        assert!(parsed.by_source.is_empty());
    }
}
