//! Parsing template sources on a helper thread before the set they will join exists: a
//! chart's templates can be parsed while its values are still being coalesced, on a core
//! that would otherwise wait; the caller then joins in for the sources left. [`TemplateSet::add_all_with`](super::TemplateSet::add_all_with)
//! takes each tree parsed ahead for a source of the same name and the same shared bytes and
//! parses the rest itself, so the set is the same as without parsing ahead.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;

use super::parse::{self, Interner, Tree};
use super::{FuncMap, TemplateError};
use crate::helper_threads::{self, HelperGrant};

/// One source parsed ahead: its bytes (to check they are the bytes later asked for) and the
/// parser's result.
struct ParsedSource {
    source: Arc<[u8]>,
    result: Result<Vec<Tree>, TemplateError>,
}

/// Trees parsed ahead, by template name. Empty when nothing was parsed ahead.
#[derive(Default)]
pub struct ParsedAhead {
    by_name: HashMap<String, ParsedSource>,
}

impl ParsedAhead {
    /// The result parsed ahead for `name`, if its source was these very bytes (the same
    /// allocation, so certainly the same text).
    pub(super) fn take(
        &mut self,
        name: &str,
        source: &Arc<[u8]>,
    ) -> Option<Result<Vec<Tree>, TemplateError>> {
        let parsed = self.by_name.remove(name)?;
        Arc::ptr_eq(&parsed.source, source).then_some(parsed.result)
    }
}

/// Sources parsed by one thread: index into the queue and the parser's result.
type Parsed = Vec<(usize, Result<Vec<Tree>, TemplateError>)>;

/// What the helper thread and, at the end, the caller share: the sources, the index of the
/// next one to claim, and which ones turned out not to be needed.
struct Queue {
    sources: Vec<(String, Arc<[u8]>)>,
    next: AtomicUsize,
    unneeded: Vec<AtomicBool>,
    funcs: FuncMap,
}

impl Queue {
    /// Claims and parses sources until none is left; the results by source index.
    fn work(&self) -> Parsed {
        let has_function = |n: &str| self.funcs.is_defined(n);
        let mut interner = Interner::default();
        let mut done = Vec::new();
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            let Some((name, source)) = self.sources.get(i) else {
                return done;
            };
            if self.unneeded[i].load(Ordering::Relaxed) {
                continue;
            }
            let result = parse::parse(name, source.clone(), &has_function, &mut interner);
            done.push((i, result));
        }
    }
}

/// A helper thread parsing named sources, largest first, until they are all parsed.
///
/// Dropping it without [`ParseAhead::finish`] (rendering failed before parsing) lets the
/// thread skip every source not yet claimed and waits for it.
pub struct ParseAhead {
    queue: Arc<Queue>,
    worker: Option<JoinHandle<Parsed>>,
    /// Returned to the process-wide budget once the thread has ended.
    _grant: HelperGrant,
}

impl ParseAhead {
    /// Starts parsing `sources` (template name and bytes) with `funcs` deciding which
    /// function names exist, as the set's own function map will. `None` when the process-wide
    /// budget ([`crate::helper_threads`]) grants no helper thread or the thread does not start.
    pub fn start(mut sources: Vec<(String, Arc<[u8]>)>, funcs: FuncMap) -> Option<ParseAhead> {
        let grant = helper_threads::grant(1);
        if grant.count() == 0 {
            return None;
        }
        // Largest first, so that the last sources claimed are small and both threads finish
        // at about the same time.
        sources.sort_by_key(|(_, source)| std::cmp::Reverse(source.len()));
        let unneeded = sources.iter().map(|_| AtomicBool::new(false)).collect();
        let queue = Arc::new(Queue {
            sources,
            next: AtomicUsize::new(0),
            unneeded,
            funcs,
        });
        let shared = Arc::clone(&queue);
        let worker = std::thread::Builder::new()
            .name("template-parse-ahead".to_string())
            .spawn(move || shared.work())
            .ok()?;
        Some(ParseAhead {
            queue,
            worker: Some(worker),
            _grant: grant,
        })
    }

    /// Marks the sources `needed` rejects (by name and bytes) as not to be parsed, parses the
    /// unclaimed ones on this thread beside the helper, waits for the helper, and returns
    /// every result. A helper that panicked (a parser bug) returns nothing, so its sources
    /// are parsed again by the set, where the panic then surfaces.
    pub fn finish(mut self, needed: &dyn Fn(&str, &Arc<[u8]>) -> bool) -> ParsedAhead {
        for (i, (name, source)) in self.queue.sources.iter().enumerate() {
            if !needed(name, source) {
                self.queue.unneeded[i].store(true, Ordering::Relaxed);
            }
        }
        let mut done = self.queue.work();
        if let Some(theirs) = self.worker.take().and_then(|worker| worker.join().ok()) {
            done.extend(theirs);
        }
        let mut parsed = ParsedAhead::default();
        for (i, result) in done {
            let (name, source) = &self.queue.sources[i];
            parsed.by_name.insert(
                name.clone(),
                ParsedSource {
                    source: source.clone(),
                    result,
                },
            );
        }
        parsed
    }
}

impl Drop for ParseAhead {
    fn drop(&mut self) {
        for unneeded in &self.queue.unneeded {
            unneeded.store(true, Ordering::Relaxed);
        }
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

    /// Output of every template of `set` by name, or the error text.
    fn outputs(set: &TemplateSet, names: &[&str]) -> Vec<String> {
        names
            .iter()
            .map(|n| match set.render(n, &Value::Nil) {
                Ok(text) => text,
                Err(e) => format!("error: {e}"),
            })
            .collect()
    }

    /// What a finished [`ParseAhead`] would hold, parsed here on this thread.
    fn parsed_ahead(sources: &[(&str, &Arc<[u8]>)]) -> ParsedAhead {
        let funcs = FuncMap::new();
        let has_function = |n: &str| funcs.is_defined(n);
        let mut interner = Interner::default();
        let mut parsed = ParsedAhead::default();
        for (name, source) in sources {
            let result = parse::parse(name, (*source).clone(), &has_function, &mut interner);
            parsed.by_name.insert(
                name.to_string(),
                ParsedSource {
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
        let unused = source("{{ if }}");
        let sources: Vec<NamedSource<'_>> = vec![
            ("top/templates/a.yaml", a.clone()),
            ("top/templates/b.yaml", b.clone()),
            ("top/charts/alias/templates/c.yaml", renamed.clone()),
        ];
        let names = [
            "top/templates/a.yaml",
            "top/templates/b.yaml",
            "top/charts/alias/templates/c.yaml",
            "shared",
        ];
        let mut plain = set();
        plain.add_all(&sources, 1).unwrap();
        // Ahead: b as is, c under the name it had before its subchart was aliased, a with
        // other bytes of the same text (not taken: only the very bytes are trusted), and a
        // source that is not rendered and does not parse.
        let other_a = source(r#"a: {{ template "shared" }} {{ .Missing }}"#);
        let ahead = parsed_ahead(&[
            ("top/templates/a.yaml", &other_a),
            ("top/templates/b.yaml", &b),
            ("top/charts/sub/templates/c.yaml", &renamed),
            ("top/charts/off/templates/x.yaml", &unused),
        ]);
        for threads in [1, 2] {
            let mut with_ahead = set();
            with_ahead
                .add_all_with(&sources, threads, parsed_ahead_clone(&ahead))
                .unwrap();
            assert_eq!(outputs(&with_ahead, &names), outputs(&plain, &names));
        }
        assert_eq!(
            outputs(&plain, &names),
            ["a: from-renamed ", "b", "c: 1", "from-renamed"]
        );
    }

    /// A copy of `ahead` (its trees parsed again under the same names from the same bytes).
    fn parsed_ahead_clone(ahead: &ParsedAhead) -> ParsedAhead {
        let entries: Vec<(&str, &Arc<[u8]>)> = ahead
            .by_name
            .iter()
            .map(|(name, parsed)| (name.as_str(), &parsed.source))
            .collect();
        parsed_ahead(&entries)
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
        for (ahead, threads) in [
            (parsed_ahead(&[("t/bad", &bad)]), 1),
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
        let Some(ahead) = helper_threads::start_when_granted(|| {
            ParseAhead::start(
                vec![
                    ("t/a".to_string(), a.clone()),
                    ("t/skipped".to_string(), skipped.clone()),
                ],
                FuncMap::new(),
            )
        }) else {
            return;
        };
        let mut parsed = ahead.finish(&|name, _| name == "t/a");
        // The unneeded source may have been parsed before it was marked; its result is
        // never used.
        parsed.by_name.remove("t/skipped");
        let trees = parsed.take("t/a", &a).unwrap().unwrap();
        let names: Vec<&str> = trees.iter().map(|t| &*t.name).collect();
        assert_eq!(names, ["t/a", "d"]);
        assert!(parsed.by_name.is_empty());
    }
}
