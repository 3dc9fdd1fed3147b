//! A Rust implementation of Go's `text/template` as Helm 4 (v4.3.1, Go 1.26) uses it:
//! identical output and error messages. No Kubernetes or chart knowledge lives here.
//!
//! - [`TemplateSet`]: parse many named sources once (Go's `t.New(name).Parse(src)`), then
//!   execute any template by name with data, as often as needed; it is `Send + Sync`.
//! - [`Value`]: Go-shaped data (maps by reference, typed ints, objects via [`Object`]).
//! - [`funcs`]: the function registry ([`FuncMap`]) that Sprig and the codec functions plug
//!   into, plus Helm's engine functions ([`funcs::helm`]: `include`, `tpl`, `required`, `fail`).
//! - [`helm_exec_error_message`] / [`helm_parse_error_message`]: Helm's reformatting of
//!   Go's errors (`execution error at (…)`, `parse error at (…)`).
//!
//! - [`ParseAhead`]: parse sources on a helper thread before the set exists, for
//!   [`TemplateSet::add_all_with`].
//!
//! Module map: `lex` (tokens), `parse` (trees), `parse_ahead`, `exec` (evaluation),
//! `builtins` (Go's predefined functions), `gofmt` (Go's `fmt` verbs), `value`, `error`,
//! `funcs`.

mod builtins;
mod error;
mod exec;
pub mod funcs;
pub mod gofmt;
pub mod helm_funcs;
mod lex;
mod parse;
mod parse_ahead;
pub mod sprig;
pub mod value;

#[cfg(test)]
mod guard_tests;
#[cfg(test)]
mod oracle_tests;

use std::collections::HashMap;
use std::sync::Arc;

pub use error::{FuncError, TemplateError};
pub use funcs::{CallContext, FuncMap, Function, ParamType, Signature};
pub use parse_ahead::{ParseAhead, ParsedAhead};
pub use value::{
    CollType, ElemType, GoMap, IntKind, List, Method, NamedType, Object, UintKind, Value,
};

use exec::{Runtime, Scope};
use parse::{Interner, Tree};
use value::Str;

/// What a field lookup yields for a map key that does not exist (Go's `missingkey` option).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissingKey {
    /// `missingkey=default`/`invalid`: no value (prints `<no value>`).
    #[default]
    Invalid,
    /// `missingkey=zero`: the zero value of the map's element type (Helm's default).
    Zero,
    /// `missingkey=error`: execution fails with `map has no entry for key "K"` (Helm strict).
    Error,
}

/// Engine options.
#[derive(Debug, Clone)]
pub struct Options {
    /// Missing map key behaviour.
    pub missing_key: MissingKey,
    /// Helm's lint mode: `required` and `fail` return `""` instead of failing.
    pub lint_mode: bool,
    /// Upper bound on executed nodes and loop iterations per execution; exceeding it fails
    /// with `template execution exceeded the step limit (N)` (not a Go behaviour: a guard
    /// against hostile templates such as `range 1000000000000`).
    pub max_steps: u64,
    /// Upper bound on output bytes per execution (guard, not a Go behaviour).
    pub max_output_bytes: usize,
}

impl Default for Options {
    /// Helm's non-strict settings (`missingkey=zero`), lint off, limits of 200 million steps
    /// and 512 MiB of output.
    fn default() -> Options {
        Options {
            missing_key: MissingKey::Zero,
            lint_mode: false,
            max_steps: 200_000_000,
            max_output_bytes: 512 * 1024 * 1024,
        }
    }
}

/// A template source for [`TemplateSet::add_all`]: its name and its shared bytes.
pub type NamedSource<'a> = (&'a str, Arc<[u8]>);

/// A set of parsed templates sharing one function table (Go's associated templates).
///
/// Parsing is done once; executions share the parsed trees and may run concurrently from
/// several threads (each execution has its own per-render state).
pub struct TemplateSet {
    root_name: String,
    templates: HashMap<Str, Arc<Tree>>,
    funcs: Arc<FuncMap>,
    options: Options,
    /// Names and literals shared by all trees of the set.
    interner: Interner,
}

impl std::fmt::Debug for TemplateSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemplateSet")
            .field("root_name", &self.root_name)
            .field("templates", &self.templates.len())
            .finish()
    }
}

impl TemplateSet {
    /// An empty set. `root_name` is the name of Go's root template, which appears only in
    /// `no template "X" associated with template "ROOT"` errors (Helm uses `gotpl`).
    pub fn new(root_name: &str, funcs: FuncMap, options: Options) -> TemplateSet {
        TemplateSet {
            root_name: root_name.to_string(),
            templates: HashMap::new(),
            funcs: Arc::new(funcs),
            options,
            interner: Interner::default(),
        }
    }

    /// Parses `source` as template `name` (Go's `t.New(name).Parse(source)`): the body
    /// becomes template `name` and each `{{define}}`/`{{block}}` a template of its own. A
    /// later definition replaces an earlier one of the same name unless it is empty (only
    /// whitespace and comments). On error nothing is added.
    ///
    /// Errors: [`TemplateError::Parse`] with Go's message, e.g.
    /// `template: NAME:3: unexpected EOF`.
    pub fn add(&mut self, name: &str, source: &str) -> Result<(), TemplateError> {
        self.add_shared(name, Arc::from(source.as_bytes()))
    }

    /// [`TemplateSet::add`] with a shared source: the parsed trees keep `source` itself
    /// instead of a copy (a chart's template file, say). Bytes that are not UTF-8 are
    /// replaced by U+FFFD first.
    ///
    /// Errors: as [`TemplateSet::add`].
    pub fn add_shared(&mut self, name: &str, source: Arc<[u8]>) -> Result<(), TemplateError> {
        let funcs = self.funcs.clone();
        let has_function = |n: &str| funcs.is_defined(n);
        let trees = parse::parse(name, source, &has_function, &mut self.interner)?;
        self.insert_trees(trees);
        Ok(())
    }

    /// [`TemplateSet::add_shared`] for many sources at once, with the same result as adding
    /// them one by one in order (later definitions win as there): the sources are parsed on
    /// up to `threads` threads (parsing is independent per source; a chart's templates parse
    /// in about half the time on two cores), then added in order.
    ///
    /// Errors: the first source in order that does not parse, as its index and
    /// [`TemplateError::Parse`]; nothing is added then.
    pub fn add_all(
        &mut self,
        sources: &[NamedSource<'_>],
        threads: usize,
    ) -> Result<(), (usize, TemplateError)> {
        self.add_all_with(sources, threads, ParsedAhead::default())
    }

    /// [`TemplateSet::add_all`] taking the trees a [`ParseAhead`] parsed for sources of the
    /// same name and the same shared bytes; the other sources are parsed here. Same result
    /// and errors as [`TemplateSet::add_all`].
    ///
    /// Errors: as [`TemplateSet::add_all`].
    pub fn add_all_with(
        &mut self,
        sources: &[NamedSource<'_>],
        threads: usize,
        mut ahead: ParsedAhead,
    ) -> Result<(), (usize, TemplateError)> {
        let mut slots: Vec<Option<Result<Vec<Tree>, TemplateError>>> = sources
            .iter()
            .map(|(name, source)| ahead.take(name, source))
            .collect();
        // Whatever is left was parsed for templates that are not rendered.
        drop(ahead);
        let missing: Vec<usize> = (0..sources.len()).filter(|&i| slots[i].is_none()).collect();
        let threads = threads.clamp(1, missing.len().max(1));
        if threads > 1 {
            self.parse_parallel(sources, &missing, threads, &mut slots);
        }
        // In order: sources not parsed yet are parsed here, and the first failure ends it.
        let mut parsed = Vec::with_capacity(sources.len());
        for (i, slot) in slots.into_iter().enumerate() {
            let result = slot.unwrap_or_else(|| {
                let (name, source) = &sources[i];
                let funcs = &self.funcs;
                let has_function = |n: &str| funcs.is_defined(n);
                parse::parse(name, source.clone(), &has_function, &mut self.interner)
            });
            parsed.push(result.map_err(|e| (i, e))?);
        }
        parsed
            .into_iter()
            .for_each(|trees| self.insert_trees(trees));
        Ok(())
    }

    /// Parses the sources at the indices `missing` on `threads` threads into their slots
    /// (parse time per byte varies a lot between files, so threads claim files one at a time).
    fn parse_parallel(
        &self,
        sources: &[NamedSource<'_>],
        missing: &[usize],
        threads: usize,
        slots: &mut [Option<Result<Vec<Tree>, TemplateError>>],
    ) {
        let funcs: &FuncMap = &self.funcs;
        let has_function = |n: &str| funcs.is_defined(n);
        let results = crate::helper_threads::map_claimed(
            missing,
            threads - 1,
            |&i| sources[i].1.len(),
            Interner::default,
            |interner, &i| {
                let (name, source) = &sources[i];
                parse::parse(name, source.clone(), &has_function, interner)
            },
        );
        // A source whose helper panicked stays unparsed: the caller parses it again.
        for (&i, result) in missing.iter().zip(results) {
            slots[i] = result;
        }
    }

    /// Go's `AddParseTree` for each tree of one source: an empty definition does not replace
    /// an existing template.
    fn insert_trees(&mut self, trees: Vec<Tree>) {
        for tree in trees {
            if is_empty(&tree) && self.templates.contains_key(&tree.name) {
                continue;
            }
            self.templates.insert(tree.name.clone(), Arc::new(tree));
        }
    }

    /// Whether a template of this name is defined.
    pub fn contains(&self, name: &str) -> bool {
        self.templates.contains_key(name)
    }

    /// Names of all defined templates (files and definitions), in no particular order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.templates.keys().map(|k| &**k)
    }

    /// The options executions use.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Go's `ExecuteTemplate`: runs template `name` with `data` as dot and `$` and returns
    /// the output exactly as Go writes it (including any `<no value>`).
    ///
    /// Errors: [`TemplateError::NoTemplate`] for an unknown name, [`TemplateError::Exec`]
    /// with Go's message otherwise.
    pub fn execute(&self, name: &str, data: &Value) -> Result<String, TemplateError> {
        self.execute_bytes(name, data).map(into_text)
    }

    /// [`TemplateSet::execute`] returning the output bytes as Go writes them: Go strings may
    /// hold bytes that are not UTF-8 ([`Value::ByteString`]), and printing one writes them
    /// as they are. ([`TemplateSet::execute`] turns such bytes into U+FFFD.)
    ///
    /// Errors: as [`TemplateSet::execute`].
    pub fn execute_bytes(&self, name: &str, data: &Value) -> Result<Vec<u8>, TemplateError> {
        let scope = Scope {
            templates: &self.templates,
            parent: None,
            root_name: &self.root_name,
        };
        let mut rt = Runtime::default();
        exec::execute_in(
            &scope,
            &mut rt,
            &self.funcs,
            &self.options,
            name,
            data.clone(),
        )
    }

    /// Executes as Helm's engine does for a chart file: [`TemplateSet::execute`], then every
    /// `<no value>` removed from the output (Helm's workaround for `missingkey=zero`).
    pub fn render(&self, name: &str, data: &Value) -> Result<String, TemplateError> {
        self.render_bytes(name, data).map(into_text)
    }

    /// [`TemplateSet::render`] returning the output bytes as Go has them (see
    /// [`TemplateSet::execute_bytes`]).
    ///
    /// Errors: as [`TemplateSet::execute`].
    pub fn render_bytes(&self, name: &str, data: &Value) -> Result<Vec<u8>, TemplateError> {
        self.execute_bytes(name, data).map(strip_no_value)
    }
}

/// Output bytes as text: unchanged when UTF-8 (the common case), otherwise each invalid
/// byte becomes U+FFFD as Go reads it.
fn into_text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| value::go_lossy(e.as_bytes()))
}

/// Helm's `strings.ReplaceAll(out, "<no value>", "")` on output bytes.
pub(crate) fn strip_no_value(bytes: Vec<u8>) -> Vec<u8> {
    const MARK: &[u8] = b"<no value>";
    match String::from_utf8(bytes) {
        Ok(text) => {
            if text.contains("<no value>") {
                text.replace("<no value>", "").into_bytes()
            } else {
                text.into_bytes()
            }
        }
        Err(e) => {
            let bytes = e.into_bytes();
            let mut out = Vec::with_capacity(bytes.len());
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i..].starts_with(MARK) {
                    i += MARK.len();
                } else {
                    out.push(bytes[i]);
                    i += 1;
                }
            }
            out
        }
    }
}

fn is_empty(tree: &Tree) -> bool {
    parse::is_empty_tree(&tree.root)
}

/// Helm's `cleanupParseError`: `parse error at (LOCATION): MESSAGE` from Go's parse error
/// (`parse error in (FILE): ERR` when the message has no `: ` separators).
pub fn helm_parse_error_message(filename: &str, err: &TemplateError) -> String {
    let msg = err.message();
    let tokens: Vec<&str> = msg.split(": ").collect();
    if tokens.len() == 1 {
        return format!("parse error in ({filename}): {msg}");
    }
    let location = tokens[1];
    let err_msg = tokens[tokens.len() - 1];
    format!("parse error at ({location}): {err_msg}")
}

/// Helm's `reformatExecErrorMsg` (Helm v4.3.1 `pkg/engine/engine.go`): turns Go's execution
/// error into `execution error at (LOCATION): MESSAGE` for `required`/`fail` messages, or a
/// multi-line trace built from the error chain; anything it cannot parse is returned as is.
pub fn helm_exec_error_message(filename: &str, err: &TemplateError) -> String {
    let msg = err.message();
    if !err.is_exec_error() {
        return msg.to_string();
    }
    let tokens: Vec<&str> = msg.splitn(3, ": ").collect();
    if tokens.len() != 3 {
        return format!("execution error in ({filename}): {msg}");
    }
    let location = tokens[1];
    if let Some(start) = tokens[2].find(funcs::helm::WARN_START) {
        let after = &tokens[2][start + funcs::helm::WARN_START.len()..];
        if let Some(end) = after.rfind(funcs::helm::WARN_END) {
            return format!("execution error at ({location}): {}", &after[..end]);
        }
    }
    let mut traces: Vec<Trace> = Vec::new();
    for m in err.go_chain() {
        match parse_trace(m) {
            Some(t) => {
                if traces.last() != Some(&t) {
                    traces.push(t);
                }
            }
            None => return msg.to_string(),
        }
    }
    let mut out = String::new();
    for t in &traces {
        if !t.location.is_empty() {
            out.push_str(&t.location);
            out.push_str("\n  ");
        }
        if !t.executed.is_empty() {
            out.push_str(&t.executed);
            out.push_str("\n    ");
        }
        if !t.message.is_empty() {
            out.push_str(&t.message);
            out.push('\n');
        }
    }
    out.trim().to_string()
}

#[derive(PartialEq)]
struct Trace {
    location: String,
    message: String,
    executed: String,
}

fn parse_trace(s: &str) -> Option<Trace> {
    let rest = s.strip_prefix("template: ")?;
    if rest.starts_with("no template ") {
        return Some(Trace {
            location: String::new(),
            message: s.to_string(),
            executed: String::new(),
        });
    }
    let cut_chain = |m: &str| -> String {
        match m.find(" template:") {
            Some(i) => m[..i].to_string(),
            None => m.to_string(),
        }
    };
    if let Some((name, after)) = rest.split_once(": executing ") {
        let parsed = (|| {
            let after = after.strip_prefix('"')?;
            let end = after.find('"')?;
            let function = &after[..end];
            let after_func = after[end + 1..].strip_prefix(" at <")?;
            let (loc, m) = after_func.split_once(">: ")?;
            Some(Trace {
                location: name.to_string(),
                message: cut_chain(m),
                executed: format!("executing \"{function}\" at <{loc}>:"),
            })
        })();
        if parsed.is_some() {
            return parsed;
        }
    }
    let sep = rest.rfind(": ")?;
    Some(Trace {
        location: rest[..sep].to_string(),
        message: cut_chain(&rest[sep + 2..]),
        executed: String::new(),
    })
}

#[cfg(test)]
mod add_all_tests {
    use super::*;

    fn set() -> TemplateSet {
        TemplateSet::new("gotpl", FuncMap::new(), Options::default())
    }

    fn sources(texts: &[(&'static str, &'static str)]) -> Vec<NamedSource<'static>> {
        texts
            .iter()
            .map(|(name, text)| (*name, Arc::from(text.as_bytes())))
            .collect()
    }

    #[test]
    fn parallel_parse_keeps_the_order_of_definitions() {
        // A padding source so that the byte-balanced chunks split between the definitions.
        let padding = "filler text ".repeat(100);
        let padding: &'static str = Box::leak(padding.into_boxed_str());
        let texts = sources(&[
            ("a", r#"{{define "x"}}A{{end}}a"#),
            ("pad", padding),
            ("b", r#"{{define "x"}}B{{end}}b"#),
            ("c", r#"{{define "x"}} {{end}}c"#),
        ]);
        for threads in [1, 2, 3, 4, 8] {
            let mut set = set();
            if let Err((i, e)) = set.add_all(&texts, threads) {
                panic!("source {i} does not parse: {e}");
            }
            let mut one_by_one = super::add_all_tests::set();
            for (name, text) in &texts {
                if let Err(e) = one_by_one.add_shared(name, text.clone()) {
                    panic!("{name} does not parse: {e}");
                }
            }
            for name in ["x", "a", "b", "c"] {
                assert_eq!(
                    set.execute(name, &Value::Nil).ok(),
                    one_by_one.execute(name, &Value::Nil).ok(),
                    "{name} with {threads} threads"
                );
            }
            assert_eq!(set.execute("x", &Value::Nil).ok().as_deref(), Some("B"));
        }
    }

    #[test]
    fn parallel_parse_reports_the_first_failing_source_and_adds_nothing() {
        let texts = sources(&[
            ("ok", "fine"),
            ("bad1", "{{if}}"),
            ("ok2", "fine"),
            ("bad2", "{{end}}"),
        ]);
        for threads in [1, 2, 4] {
            let mut set = set();
            let Err((index, error)) = set.add_all(&texts, threads) else {
                panic!("{threads} threads: a source that does not parse was accepted");
            };
            assert_eq!(index, 1, "{threads} threads");
            assert_eq!(
                error.to_string(),
                "template: bad1:1: missing value for if",
                "{threads} threads"
            );
            assert!(!set.contains("ok"), "{threads} threads");
        }
    }
}
