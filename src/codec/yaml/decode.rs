//! Decoding YAML the way sigs.k8s.io/yaml v1.6.0 `Unmarshal` does over go-yaml v2.4.4.
//!
//! Steps, each mirroring the Go code it names:
//! 1. Read the first document into a node tree (go-yaml `parser`): syntax comes from
//!    `granit-parser`; anchors and aliases are resolved by node, so an alias shares its target.
//! 2. Decode the tree into Go-like values (go-yaml `decoder` into `interface{}`): YAML 1.1
//!    scalar typing ([`super::resolve`]), `!!` tags, merge keys `<<` (in place, so later keys
//!    win), duplicate keys (last wins), timestamps kept as strings, and go-yaml's alias budget
//!    (`document contains excessive aliasing`) which bounds billion-laughs expansion.
//! 3. Turn map keys into strings (sigs.k8s.io `convertToJSONableObject`: ints in decimal,
//!    floats with 32-bit `%g`, booleans as `true`/`false`).
//! 4. The JSON round trip (`json.Marshal` then `json.Unmarshal` into `interface{}`): NaN and
//!    infinities are errors, invalid UTF-8 becomes U+FFFD, every number becomes an `f64`.
//!
//! All walks use explicit stacks. Nesting is limited to go-yaml's 10000 levels while parsing;
//! unlike Go, values expanded through aliases are also limited to 10000 levels, so no result
//! is deeper than that.

use std::collections::{BTreeMap, HashMap};

use granit_parser::{Event as ParseEvent, Parser, ScalarStyle, ScanError, StructureStyle};
use serde_json::{Map, Number, Value};

use super::MAX_DEPTH;
use super::resolve::{self, Flavor, Resolved};
use crate::codec::gofmt;

mod simple;

/// Errors from decoding YAML as Helm does. `Display` gives Helm's error text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum YamlError {
    /// The text is not YAML go-yaml accepts. `line` is 1-based (0 when unknown). The parser
    /// differs from Go's, so `problem` (and occasionally `line`) can be worded differently from
    /// go-yaml's `yaml: line N: ...` text.
    #[error("error converting YAML to JSON: yaml: {}{problem}", line_prefix(*.line))]
    Syntax {
        /// 1-based line of the problem, 0 when it is on the first line (Go omits it then).
        line: usize,
        /// The parser's description of the problem.
        problem: String,
    },
    /// go-yaml refused the document while decoding it; `message` is go-yaml's text, e.g.
    /// `unknown anchor 'x' referenced`, `document contains excessive aliasing`,
    /// `map merge requires map or sequence of maps as the value`.
    #[error("error converting YAML to JSON: yaml: {message}")]
    Decode {
        /// go-yaml's message without its `yaml: ` prefix.
        message: String,
    },
    /// The decoded data cannot become JSON; `message` is sigs.k8s.io/yaml's or Go
    /// `encoding/json`'s text, e.g. `json: unsupported value: +Inf`.
    #[error("error converting YAML to JSON: {message}")]
    Convert {
        /// The converter's message.
        message: String,
    },
    /// A values file failed as a whole; `message` is Helm's complete text, e.g.
    /// `cannot unmarshal yaml document: error converting YAML to JSON: ...`.
    #[error("{message}")]
    Document {
        /// Helm's message.
        message: String,
    },
}

fn line_prefix(line: usize) -> String {
    if line == 0 {
        String::new()
    } else {
        format!("line {line}: ")
    }
}

/// sigs.k8s.io/yaml `Unmarshal` into `interface{}` (before the caller's Go type is applied):
/// the first document as JSON data, numbers as `f64`. An empty document is `Value::Null`.
pub(crate) fn unmarshal(text: &str) -> Result<Value, YamlError> {
    let tree = read_tree(text, None)?;
    let Some(root) = tree.root else {
        return Ok(Value::Null);
    };
    let mut decoder = Decoder::new(&tree);
    let value = decoder.decode(root)?;
    to_json_value(value)
}

/// [`unmarshal`] restricted to the top-level entries whose key equals one of `keys` ignoring
/// ASCII case, for callers that read only those (Helm's manifest heads): the same result
/// (and the same error, if any) as [`unmarshal`] with the other top-level entries left out.
///
/// The whole document is still parsed, so every syntax error is found. The other entries
/// are neither kept in the node tree nor decoded when nothing in the document can fail after
/// parsing: no aliases, no tags, no merge keys, no collection, null or uint64 map keys and
/// no NaN or infinite numbers (the only sources of go-yaml decoding and JSON conversion
/// errors); otherwise the whole document is read and decoded as by [`unmarshal`] and then
/// restricted.
pub(crate) fn unmarshal_keys(text: &str, keys: &[&str]) -> Result<Value, YamlError> {
    let mut tree = read_tree(text, Some(keys))?;
    if tree.pruned && !cannot_fail_late(&tree) {
        tree = read_tree(text, None)?;
    }
    let Some(root) = tree.root else {
        return Ok(Value::Null);
    };
    let wanted = |key: &str| keys.iter().any(|k| k.eq_ignore_ascii_case(key));
    if !matches!(tree.nodes[root].kind, NodeKind::Mapping(_)) || !cannot_fail_late(&tree) {
        let mut decoder = Decoder::new(&tree);
        let value = to_json_value(decoder.decode(root)?)?;
        return Ok(match value {
            Value::Object(map) => {
                Value::Object(map.into_iter().filter(|(k, _)| wanted(k)).collect())
            }
            other => other,
        });
    }
    let NodeKind::Mapping(children) = &tree.nodes[root].kind else {
        return Ok(Value::Null);
    };
    let mut out = Map::new();
    for pair in children.chunks_exact(2) {
        // The key as sigs.k8s.io/yaml turns it into a string (`1e3` is "1000", `n` "false").
        let Some(key) = key_string(Decoder::new(&tree).decode(pair[0])?) else {
            continue;
        };
        if !wanted(&key) {
            continue;
        }
        let value = to_json_value(Decoder::new(&tree).decode(pair[1])?)?;
        // Later duplicates win, as in a Go map.
        out.insert(key, value);
    }
    Ok(Value::Object(out))
}

/// Whether decoding and converting `tree` cannot fail (see [`unmarshal_keys`]).
fn cannot_fail_late(tree: &Tree) -> bool {
    tree.nodes.iter().all(|node| match &node.kind {
        NodeKind::Alias { .. } => false,
        NodeKind::Scalar {
            value,
            implicit,
            tag,
        } => scalar_cannot_fail(value, *implicit, tag),
        NodeKind::Sequence(_) => true,
        NodeKind::Mapping(children) => children
            .iter()
            .step_by(2)
            .all(|&key| key_cannot_fail(&tree.nodes[key].kind)),
    })
}

/// A scalar that decodes and converts to JSON without error: untagged, and not a NaN or
/// infinite float.
fn scalar_cannot_fail(value: &str, implicit: bool, tag: &str) -> bool {
    tag.is_empty()
        && !(implicit
            && matches!(resolve::resolve_plain(value, Flavor::V2), Resolved::Float(f) if !f.is_finite()))
}

/// A mapping key that converts to a JSON key without error: a scalar that is not a merge
/// key, null or a uint64.
fn key_cannot_fail(kind: &NodeKind) -> bool {
    match kind {
        NodeKind::Scalar {
            value, implicit, ..
        } => scalar_key_cannot_fail(value, *implicit),
        _ => false,
    }
}

/// [`key_cannot_fail`] for a scalar key given by its text and implicitness.
fn scalar_key_cannot_fail(value: &str, implicit: bool) -> bool {
    !(implicit
        && (value == "<<"
            || matches!(
                resolve::resolve_plain(value, Flavor::V2),
                Resolved::Null | Resolved::Uint(_) | Resolved::Merge
            )))
}

// ---- step 1: node tree -------------------------------------------------------------------

type NodeId = usize;

#[cfg_attr(test, derive(Debug, PartialEq))]
enum NodeKind {
    Scalar {
        value: String,
        /// go-yaml's `implicit`: plain style without a tag, or the non-specific tag `!`.
        implicit: bool,
        /// Full tag (`tag:yaml.org,2002:str`, `!local`), empty when none.
        tag: String,
    },
    Sequence(Vec<NodeId>),
    /// Keys and values alternate.
    Mapping(Vec<NodeId>),
    Alias {
        target: NodeId,
        name: String,
    },
}

#[cfg_attr(test, derive(Debug, PartialEq))]
struct Node {
    kind: NodeKind,
}

#[cfg_attr(test, derive(Debug, PartialEq))]
struct Tree {
    nodes: Vec<Node>,
    root: Option<NodeId>,
    /// Whether values of root keys not asked for were left out (see [`read_tree_once`]).
    pruned: bool,
}

/// An open collection inside a value left out of the tree.
struct PrunedCollection {
    mapping: bool,
    /// Entries so far (keys and values count separately in a mapping).
    children: usize,
}

/// A granit syntax error in go-yaml's words where the two parsers agree on the problem.
/// go-yaml prints only the problem (no "while parsing ..." context), scanner errors with a
/// 1-based line, parser errors with a 0-based one, and no line for line 0.
fn syntax_error(error: &ScanError, text: &str) -> YamlError {
    let info = error.info();
    let mut problem = match info.strip_prefix("while ") {
        Some(rest) => rest
            .split_once(", ")
            .map_or(info.as_str(), |(_, p)| p)
            .to_owned(),
        None => info.clone(),
    };
    let granit_line = error.marker().line();
    let eof_line = text.matches('\n').count();
    // An empty flow entry (`[, x]`, `[a, , b]`): libyaml wants a node where the comma is.
    if let Some(at) = empty_flow_entry(text, error.marker().index()) {
        let line = text[..at].matches('\n').count();
        return YamlError::Syntax {
            line,
            problem: "did not find expected node content".to_owned(),
        };
    }
    let at_end = error.marker().index() >= text.trim_end().chars().count();
    // Lines as go-yaml prints them: scanner errors 1-based, parser errors 0-based, 0 omitted.
    let mut line = if granit_line <= 1 { 0 } else { granit_line };
    if problem.starts_with("did not find expected") {
        line = granit_line.saturating_sub(1);
    } else if problem == "simple key expected ':'" {
        problem = "could not find expected ':'".to_owned();
        line = granit_line + 1;
    } else if let Some(bracket) = problem.strip_prefix("unclosed bracket '") {
        let last = text.trim_end().chars().last();
        problem = if matches!(last, Some('[' | '{' | ',')) {
            "did not find expected node content".to_owned()
        } else if bracket.starts_with('[') {
            "did not find expected ',' or ']'".to_owned()
        } else {
            "did not find expected ',' or '}'".to_owned()
        };
        // The error sits on libyaml's stream-end mark, which moves to a new line when the
        // text does not end with one (yaml_parser_fetch_stream_end forces a line break).
        let unterminated = !text.is_empty() && !text.ends_with('\n');
        line = eof_line + usize::from(unterminated);
    } else if problem.contains("quoted scalar") && at_end {
        problem = "found unexpected end of stream".to_owned();
        line = eof_line + 1;
    } else if problem.starts_with("unexpected character") || problem.starts_with("tabs disallowed")
    {
        problem = "found character that cannot start any token".to_owned();
    } else if problem == "recursion limit exceeded" {
        problem = format!("exceeded max depth of {MAX_DEPTH}");
    }
    YamlError::Syntax { line, problem }
}

/// How often a multi-line quoted scalar may be re-indented before giving up.
const MAX_REINDENTS: usize = 64;

/// Why one parse attempt stopped.
enum Attempt {
    Failed(YamlError),
    /// granit requires continuation lines of a quoted scalar to be indented deeper than the
    /// enclosing block; libyaml does not check. The line (1-based) to indent and try again.
    Reindent(usize),
    /// Pruning was asked for, but the document has something that must then be decoded
    /// everywhere (an alias, a tag, a key that may fail): read it whole.
    Unprunable,
}

/// Reads the first document into a node tree (see [`read_tree_once`], which also says what
/// `keep` prunes). Continuation lines of quoted scalars that libyaml accepts at any
/// indentation are indented for granit; this cannot change the value, as leading blanks of
/// such lines are dropped when folding.
fn read_tree(text: &str, keep: Option<&[&str]>) -> Result<Tree, YamlError> {
    // Plain block YAML (nearly every manifest and values file) is read by a reader of its
    // own; the rest, and every error, by granit-parser.
    if let Some(tree) = simple::read_simple(text, keep) {
        return Ok(tree);
    }
    read_tree_general(text, keep)
}

/// [`read_tree`] for any YAML, with granit-parser.
fn read_tree_general(text: &str, mut keep: Option<&[&str]>) -> Result<Tree, YamlError> {
    let mut patched: Option<String> = None;
    for _ in 0..=MAX_REINDENTS {
        let current = patched.as_deref().unwrap_or(text);
        match read_tree_once(current, keep) {
            Ok(tree) => return Ok(tree),
            Err(Attempt::Failed(error)) => return Err(error),
            Err(Attempt::Unprunable) => keep = None,
            Err(Attempt::Reindent(line)) => {
                let mut lines: Vec<&str> = current.split_inclusive('\n').collect();
                let Some(target) = lines.get_mut(line.saturating_sub(1)) else {
                    break;
                };
                let indented = format!("{}{target}", " ".repeat(64));
                *target = &indented;
                let joined: String = lines.concat();
                patched = Some(joined);
            }
        }
    }
    read_tree_once(patched.as_deref().unwrap_or(text), None).map_err(|attempt| match attempt {
        Attempt::Failed(error) => error,
        Attempt::Unprunable => YamlError::Decode {
            message: "internal error: pruning not asked for".to_owned(),
        },
        Attempt::Reindent(line) => YamlError::Syntax {
            line,
            problem: "invalid indentation in multiline quoted scalar".to_owned(),
        },
    })
}

/// One parse of the first document into a node tree.
///
/// With `keep`, the values of root-mapping keys that are not in `keep` (ignoring ASCII case)
/// are parsed (so syntax errors are still found) but not stored: each becomes an empty
/// plain scalar, and the tree is marked pruned. Such a value must hold nothing that could
/// fail to decode later ([`scalar_cannot_fail`], [`key_cannot_fail`]), and the document
/// no alias (an alias could name an anchor inside a left-out value); otherwise
/// [`Attempt::Unprunable`].
/// Whether `text` holds NEL (U+0085), LS (U+2028) or PS (U+2029). Searches the bytes that
/// begin their encodings (C2, E2), vectorised: a character-by-character search was a visible
/// part of decoding megabyte documents.
fn has_unicode_line_break(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr2_iter(0xC2, 0xE2, bytes).any(|at| {
        matches!(
            &bytes[at..],
            [0xC2, 0x85, ..] | [0xE2, 0x80, 0xA8 | 0xA9, ..]
        )
    })
}

fn read_tree_once(text: &str, keep: Option<&[&str]>) -> Result<Tree, Attempt> {
    // libyaml (YAML 1.1) also breaks lines at NEL, LS and PS; NEL is read as "\n" exactly,
    // LS and PS are taken as "\n" too (go-yaml keeps them as characters inside quoted and
    // block scalars, the one place this differs).
    let normalized;
    let text = if has_unicode_line_break(text) {
        normalized = text.replace(['\u{85}', '\u{2028}', '\u{2029}'], "\n");
        normalized.as_str()
    } else {
        text
    };
    let mut options = granit_parser::Options::default();
    options.set_emit_comments(false);
    options.emit_anchor_events = true;
    options.emit_unresolved_aliases = true;
    options.flow_nesting_limit = MAX_DEPTH;
    options.block_nesting_limit = MAX_DEPTH;
    let parser = Parser::new_from_str_with_options(text, options);

    let mut tree = Tree {
        nodes: Vec::new(),
        root: None,
        pruned: false,
    };
    // Pruning: the next node is a value to leave out; the open collections inside one.
    let mut prune_next = false;
    let mut pruning: Vec<PrunedCollection> = Vec::new();
    // Anchor ids (granit's) and names to nodes; open collections with their children.
    let mut anchors: HashMap<usize, NodeId> = HashMap::new();
    let mut anchor_names: HashMap<usize, String> = HashMap::new();
    let mut open: Vec<(NodeId, Vec<NodeId>)> = Vec::new();
    let mut last_node: Option<NodeId> = None;
    let mut in_document = false;
    // Byte ranges where tabs are content or allowed: scalars and flow collections.
    let mut tab_ok: Vec<(usize, usize)> = Vec::new();
    let mut flow_starts: Vec<Option<usize>> = Vec::new();
    let mut end_of_document = text.len();

    for item in parser {
        let (event, span) = match item {
            Ok(pair) => pair,
            Err(error) => {
                if error
                    .info()
                    .contains("indentation in multiline quoted scalar")
                {
                    let line = error.marker().line();
                    let starts_marker = text
                        .split_inclusive('\n')
                        .nth(line.saturating_sub(1))
                        .is_some_and(|l| l.starts_with("---") || l.starts_with("..."));
                    if !starts_marker {
                        return Err(Attempt::Reindent(line));
                    }
                }
                return match stray_closer(text, &error) {
                    Some(tree) => Ok(tree),
                    None => Err(Attempt::Failed(syntax_error(&error, text))),
                };
            }
        };
        let line = span.start.line();
        let start = span.start.byte_offset().unwrap_or(0);
        let end = span.end.byte_offset().unwrap_or(start);
        // Whether a node this event starts is a mapping key (inside a left-out value, of the
        // innermost left-out mapping).
        let is_key = if prune_next {
            false
        } else if let Some(inner) = pruning.last() {
            inner.mapping && inner.children % 2 == 0
        } else {
            matches!(open.last(), Some((id, children))
            if matches!(tree.nodes[*id].kind, NodeKind::Mapping(_)) && children.len() % 2 == 0)
        };
        let new_node = match event {
            ParseEvent::StreamStart | ParseEvent::StreamEnd => continue,
            ParseEvent::DocumentStart(..) => {
                in_document = true;
                continue;
            }
            ParseEvent::DocumentEnd => {
                end_of_document = start;
                break;
            }
            ParseEvent::Anchor(id, name) => {
                if let Some(error) = check_anchor_name(&name, line) {
                    return Err(Attempt::Failed(error));
                }
                anchor_names.insert(id, name.into_owned());
                if let Some(node) = last_node {
                    anchors.insert(id, node);
                }
                continue;
            }
            ParseEvent::Alias(_) if keep.is_some() => return Err(Attempt::Unprunable),
            ParseEvent::Alias(id) => {
                let Some(&target) = anchors.get(&id) else {
                    return Err(Attempt::Failed(YamlError::Decode {
                        message: "unknown anchor referenced".to_owned(),
                    }));
                };
                let name = anchor_names.get(&id).cloned().unwrap_or_default();
                Node {
                    kind: NodeKind::Alias { target, name },
                }
            }
            ParseEvent::UnresolvedAlias(name) => {
                if let Some(error) = check_anchor_name(&name, line) {
                    return Err(Attempt::Failed(error));
                }
                return Err(Attempt::Failed(YamlError::Decode {
                    message: format!("unknown anchor '{name}' referenced"),
                }));
            }
            ParseEvent::Scalar(value, style, _, tag) => {
                tab_ok.push((start, end));
                if style == ScalarStyle::DoubleQuoted {
                    check_unicode_escapes(text, start, end).map_err(Attempt::Failed)?;
                }
                // granit reports an empty node as a zero-width plain `~`; go-yaml sees "".
                let empty = start == end && style == ScalarStyle::Plain && value == "~";
                let value = if empty {
                    std::borrow::Cow::Borrowed("")
                } else {
                    value
                };
                if is_key && empty && tag.is_none() && text.as_bytes().get(start) == Some(&b':') {
                    // libyaml has no empty implicit keys: `: x` in a block mapping.
                    return Err(Attempt::Failed(YamlError::Syntax {
                        line: line.saturating_sub(1),
                        problem: "did not find expected key".to_owned(),
                    }));
                }
                let tag = tag
                    .map(|t| format!("{}{}", t.handle(), t.suffix()))
                    .unwrap_or_default();
                let implicit = (tag.is_empty() && style == ScalarStyle::Plain) || tag == "!";
                if in_document && !prune_next && !pruning.is_empty() {
                    // Inside a left-out value: checked and counted as below, but not copied
                    // into a node (most scalars of a large manifest are left out).
                    if !scalar_cannot_fail(&value, implicit, &tag)
                        || (is_key && !scalar_key_cannot_fail(&value, implicit))
                    {
                        return Err(Attempt::Unprunable);
                    }
                    if let Some(inner) = pruning.last_mut() {
                        inner.children += 1;
                    }
                    continue;
                }
                Node {
                    kind: NodeKind::Scalar {
                        value: value.into_owned(),
                        implicit,
                        tag,
                    },
                }
            }
            ParseEvent::SequenceStart(style, ..) => {
                flow_starts.push((style == StructureStyle::Flow).then_some(start));
                Node {
                    kind: NodeKind::Sequence(Vec::new()),
                }
            }
            ParseEvent::MappingStart(style, ..) => {
                flow_starts.push((style == StructureStyle::Flow).then_some(start));
                Node {
                    kind: NodeKind::Mapping(Vec::new()),
                }
            }
            ParseEvent::SequenceEnd | ParseEvent::MappingEnd => {
                if let Some(Some(flow_start)) = flow_starts.pop() {
                    tab_ok.push((flow_start, end));
                }
                if pruning.pop().is_some() {
                    continue;
                }
                let Some((id, children)) = open.pop() else {
                    continue;
                };
                match &mut tree.nodes[id].kind {
                    NodeKind::Sequence(c) | NodeKind::Mapping(c) => *c = children,
                    _ => {}
                }
                continue;
            }
            #[allow(unreachable_patterns)]
            _ => continue,
        };
        if !in_document {
            continue;
        }
        let is_collection = matches!(new_node.kind, NodeKind::Sequence(_) | NodeKind::Mapping(_));
        if is_collection && open.len() + pruning.len() >= MAX_DEPTH {
            return Err(Attempt::Failed(YamlError::Syntax {
                line,
                problem: format!("exceeded max depth of {MAX_DEPTH}"),
            }));
        }
        if prune_next || !pruning.is_empty() {
            let fine = match &new_node.kind {
                NodeKind::Scalar {
                    value,
                    implicit,
                    tag,
                } => scalar_cannot_fail(value, *implicit, tag),
                _ => true,
            };
            if !fine || (is_key && !key_cannot_fail(&new_node.kind)) {
                return Err(Attempt::Unprunable);
            }
            if let Some(inner) = pruning.last_mut() {
                inner.children += 1;
            }
            if is_collection {
                pruning.push(PrunedCollection {
                    mapping: matches!(new_node.kind, NodeKind::Mapping(_)),
                    children: 0,
                });
            }
            if !prune_next {
                continue;
            }
            // The left-out value's stand-in, as the entry's value.
            prune_next = false;
            tree.pruned = true;
            let id = tree.nodes.len();
            tree.nodes.push(Node {
                kind: NodeKind::Scalar {
                    value: String::new(),
                    implicit: true,
                    tag: String::new(),
                },
            });
            if let Some((_, children)) = open.last_mut() {
                children.push(id);
            }
            continue;
        }
        // A root-mapping key whose value is not wanted: leave that value out.
        if let Some(keep) = keep
            && let [(root, children)] = open.as_slice()
            && children.len() % 2 == 0
            && matches!(tree.nodes[*root].kind, NodeKind::Mapping(_))
            && let NodeKind::Scalar {
                value,
                implicit,
                tag,
            } = &new_node.kind
            && tag.is_empty()
            // Keys that convert to another text (`1e3` is "1000", `n` "false") are kept.
            && (!implicit
                || matches!(
                    resolve::resolve_plain(value, Flavor::V2),
                    Resolved::Str
                ))
            && !keep.iter().any(|k| k.eq_ignore_ascii_case(value))
        {
            prune_next = true;
        }
        let id = tree.nodes.len();
        tree.nodes.push(new_node);
        last_node = Some(id);
        match open.last_mut() {
            Some((_, children)) => children.push(id),
            None => tree.root = Some(id),
        }
        if is_collection {
            open.push((id, Vec::new()));
        }
    }
    check_tabs(text, end_of_document, &mut tab_ok).map_err(Attempt::Failed)?;
    Ok(tree)
}

/// The byte offset of the first `,` that directly follows `[` or `,` (blanks between), if it
/// lies before character index `before`.
fn empty_flow_entry(text: &str, before: usize) -> Option<usize> {
    let mut previous: Option<char> = None;
    for (n, (at, c)) in text.char_indices().enumerate() {
        if n > before {
            return None;
        }
        match c {
            ' ' | '\t' | '\n' | '\r' => continue,
            ',' if matches!(previous, Some('[' | ',')) => return Some(at),
            _ => previous = Some(c),
        }
    }
    None
}

/// go-yaml stops reading once the root node is complete, and its scanner turns a stray
/// closing bracket into a token without complaint, so `[1, 2]]` or `{a: 1}}` decode as the
/// first collection. granit rejects the bracket; read the text before it instead.
fn stray_closer(text: &str, error: &ScanError) -> Option<Tree> {
    if *error.kind() != granit_parser::ErrorKind::MisplacedFlowCollectionEnd {
        return None;
    }
    let (cut, _) = text.char_indices().nth(error.marker().index())?;
    let prefix = text.get(..cut)?;
    // A block collection only ends at the end of the document: there the bracket is an
    // error for go-yaml too.
    if !prefix.trim_start().starts_with(['[', '{']) {
        return None;
    }
    read_tree_once(prefix, None)
        .ok()
        .filter(|tree| tree.root.is_some())
}

/// libyaml's anchor and alias names are runs of `A-Za-z0-9_-`; granit accepts more.
fn check_anchor_name(name: &str, line: usize) -> Option<YamlError> {
    if !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return None;
    }
    Some(YamlError::Syntax {
        line: if line <= 1 { 0 } else { line },
        problem: "did not find expected alphabetic or numeric character".to_owned(),
    })
}

/// libyaml rejects `\u`/`\U` escapes naming a surrogate or a value above U+10FFFF (so a
/// JSON-style surrogate pair is an error); granit combines pairs.
fn check_unicode_escapes(text: &str, start: usize, end: usize) -> Result<(), YamlError> {
    let Some(raw) = text.get(start..end) else {
        return Ok(());
    };
    let bytes = raw.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        let width = match bytes.get(i + 1) {
            Some(b'u') => 4,
            Some(b'U') => 8,
            _ => {
                i += 2;
                continue;
            }
        };
        let code = raw
            .get(i + 2..i + 2 + width)
            .and_then(|hex| u32::from_str_radix(hex, 16).ok());
        if let Some(code) = code
            && ((0xD800..=0xDFFF).contains(&code) || code > 0x10FFFF)
        {
            let line = text[..start + i].matches('\n').count() + 1;
            return Err(YamlError::Syntax {
                line: if line <= 1 { 0 } else { line },
                problem: "found invalid Unicode character escape code".to_owned(),
            });
        }
        i += 2 + width;
    }
    Ok(())
}

/// libyaml does not skip a tab where a block token may start (the start of a line): it
/// reports `found character that cannot start any token`. Tabs inside scalars and flow
/// collections are fine.
fn check_tabs(text: &str, end: usize, allowed: &mut [(usize, usize)]) -> Result<(), YamlError> {
    allowed.sort_unstable();
    let mut offset = 0;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        if offset >= end {
            break;
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        if line.as_bytes().get(indent) == Some(&b'\t') {
            let at = offset + indent;
            let inside = allowed.iter().any(|&(s, e)| s <= at && at < e);
            if !inside {
                return Err(YamlError::Syntax {
                    line: if n == 0 { 0 } else { n + 1 },
                    problem: "found character that cannot start any token".to_owned(),
                });
            }
        }
        offset += line.len();
    }
    Ok(())
}

// ---- step 2 and 3: decoding into Go-like values --------------------------------------------

/// A decoded value before the JSON round trip (Go's `interface{}` after go-yaml v2).
enum GoValue {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    /// Bytes: `!!binary` can produce invalid UTF-8.
    Str(Vec<u8>),
    Seq(Vec<GoValue>),
    /// Entries in assignment order (keys are scalars); on duplicates the last assignment
    /// wins, as with Go map assignment.
    Map(Vec<(GoValue, GoValue)>),
}

const TAG_PREFIX: &str = "tag:yaml.org,2002:";

fn short_tag(tag: &str) -> String {
    match tag.strip_prefix(TAG_PREFIX) {
        Some(rest) => format!("!!{rest}"),
        None => tag.to_owned(),
    }
}

/// go-yaml's `allowedAliasRatio`.
fn allowed_alias_ratio(decode_count: u64) -> f64 {
    const LOW: u64 = 400_000;
    const HIGH: u64 = 4_000_000;
    if decode_count <= LOW {
        0.99
    } else if decode_count >= HIGH {
        0.10
    } else {
        0.99 - 0.89 * ((decode_count - LOW) as f64 / (HIGH - LOW) as f64)
    }
}

struct Decoder<'t> {
    tree: &'t Tree,
    decode_count: u64,
    alias_count: u64,
    alias_depth: u64,
    /// Alias nodes being expanded (go-yaml's `d.aliases`).
    active_aliases: Vec<NodeId>,
}

/// Work items of the iterative decoder. Finished values go on a value stack; maps being
/// filled live on a map stack (merge keys fill the enclosing map).
enum Task {
    /// Decode a node (go-yaml `d.unmarshal`) and push its value.
    Decode(NodeId),
    /// Decode a merge source into the map on top of the map stack (go-yaml `d.merge`).
    MergeInto(NodeId),
    /// Process the pair starting at child `index` of a mapping node into the top map.
    MapPair(NodeId, usize),
    /// The key of a pair is on the value stack: convert it, then decode the value.
    MapKeyDone(NodeId, usize),
    /// The value of a pair is on the value stack: assign it under the key below it.
    MapValueDone,
    /// Pop the top map and push it as a value.
    CloseMap,
    /// Pop `n` values and push them as a sequence.
    CloseSeq(usize),
    /// An alias expansion ends.
    AliasExit,
}

impl<'t> Decoder<'t> {
    fn new(tree: &'t Tree) -> Decoder<'t> {
        Decoder {
            tree,
            decode_count: 0,
            alias_count: 0,
            alias_depth: 0,
            active_aliases: Vec::new(),
        }
    }

    fn count(&mut self) -> Result<(), YamlError> {
        self.decode_count += 1;
        if self.alias_depth > 0 {
            self.alias_count += 1;
        }
        if self.alias_count > 100
            && self.decode_count > 1000
            && self.alias_count as f64 / self.decode_count as f64
                > allowed_alias_ratio(self.decode_count)
        {
            return Err(YamlError::Decode {
                message: "document contains excessive aliasing".to_owned(),
            });
        }
        Ok(())
    }

    fn enter_alias(&mut self, alias: NodeId, name: &str) -> Result<(), YamlError> {
        if self.active_aliases.contains(&alias) {
            return Err(YamlError::Decode {
                message: format!("anchor '{name}' value contains itself"),
            });
        }
        self.active_aliases.push(alias);
        self.alias_depth += 1;
        Ok(())
    }

    fn decode(&mut self, root: NodeId) -> Result<GoValue, YamlError> {
        // The document node counts as one decode in go-yaml.
        self.count()?;
        let mut tasks = vec![Task::Decode(root)];
        let mut values: Vec<GoValue> = Vec::new();
        let mut maps: Vec<Vec<(GoValue, GoValue)>> = Vec::new();
        // Depth of open collections, to bound alias expansion.
        let mut depth = 0usize;
        while let Some(task) = tasks.pop() {
            match task {
                Task::Decode(id) => {
                    self.count()?;
                    let node = &self.tree.nodes[id];
                    match &node.kind {
                        NodeKind::Alias { target, name } => {
                            self.enter_alias(id, name)?;
                            tasks.push(Task::AliasExit);
                            tasks.push(Task::Decode(*target));
                        }
                        NodeKind::Scalar {
                            value,
                            implicit,
                            tag,
                        } => {
                            values.push(self.scalar(value, *implicit, tag)?);
                        }
                        NodeKind::Sequence(children) => {
                            depth += 1;
                            if depth > MAX_DEPTH {
                                return Err(too_deep());
                            }
                            tasks.push(Task::CloseSeq(children.len()));
                            tasks.extend(children.iter().rev().map(|&c| Task::Decode(c)));
                        }
                        NodeKind::Mapping(_) => {
                            depth += 1;
                            if depth > MAX_DEPTH {
                                return Err(too_deep());
                            }
                            maps.push(Vec::new());
                            tasks.push(Task::CloseMap);
                            tasks.push(Task::MapPair(id, 0));
                        }
                    }
                }
                Task::MergeInto(id) => {
                    // Called for mapping and alias nodes only (checked by the merge key).
                    self.count()?;
                    match &self.tree.nodes[id].kind {
                        NodeKind::Alias { target, name } => {
                            self.enter_alias(id, name)?;
                            tasks.push(Task::AliasExit);
                            tasks.push(Task::MergeInto(*target));
                        }
                        NodeKind::Mapping(_) => tasks.push(Task::MapPair(id, 0)),
                        _ => return Err(want_map()),
                    }
                }
                Task::MapPair(id, index) => {
                    let NodeKind::Mapping(children) = &self.tree.nodes[id].kind else {
                        continue;
                    };
                    if index + 1 >= children.len() {
                        continue;
                    }
                    let (key, value) = (children[index], children[index + 1]);
                    tasks.push(Task::MapPair(id, index + 2));
                    if self.is_merge(key) {
                        self.push_merge(value, &mut tasks)?;
                    } else {
                        tasks.push(Task::MapKeyDone(id, index));
                        tasks.push(Task::Decode(key));
                    }
                }
                Task::MapKeyDone(id, index) => {
                    let NodeKind::Mapping(children) = &self.tree.nodes[id].kind else {
                        continue;
                    };
                    if let Some(collection @ (GoValue::Map(_) | GoValue::Seq(_))) = values.last() {
                        return Err(YamlError::Decode {
                            message: format!(
                                "invalid map key: {}",
                                go_syntax(collection, 0, false)
                            ),
                        });
                    }
                    tasks.push(Task::MapValueDone);
                    tasks.push(Task::Decode(children[index + 1]));
                }
                Task::MapValueDone => {
                    let value = values.pop().unwrap_or(GoValue::Null);
                    let key = values.pop().unwrap_or(GoValue::Null);
                    if let Some(map) = maps.last_mut() {
                        map.push((key, value));
                    }
                }
                Task::CloseMap => {
                    depth = depth.saturating_sub(1);
                    values.push(GoValue::Map(maps.pop().unwrap_or_default()));
                }
                Task::CloseSeq(n) => {
                    depth = depth.saturating_sub(1);
                    let items = values.split_off(values.len().saturating_sub(n));
                    values.push(GoValue::Seq(items));
                }
                Task::AliasExit => {
                    self.alias_depth = self.alias_depth.saturating_sub(1);
                    self.active_aliases.pop();
                }
            }
        }
        Ok(values.pop().unwrap_or(GoValue::Null))
    }

    /// go-yaml's `isMerge`: a plain (or `!!merge`-tagged) `<<` key.
    fn is_merge(&self, key: NodeId) -> bool {
        matches!(&self.tree.nodes[key].kind,
            NodeKind::Scalar { value, implicit, tag }
                if value == "<<" && (*implicit || tag == "tag:yaml.org,2002:merge"))
    }

    /// go-yaml's `d.merge`: a map, an alias of a map, or a sequence of those (the earlier
    /// entries of a sequence take precedence, so they are merged last).
    fn push_merge(&self, value: NodeId, tasks: &mut Vec<Task>) -> Result<(), YamlError> {
        let alias_of_map = |id: NodeId| match &self.tree.nodes[id].kind {
            NodeKind::Alias { target, .. } => {
                matches!(self.tree.nodes[*target].kind, NodeKind::Mapping(_))
            }
            _ => false,
        };
        match &self.tree.nodes[value].kind {
            NodeKind::Mapping(_) => tasks.push(Task::MergeInto(value)),
            NodeKind::Alias { .. } => {
                if !alias_of_map(value) {
                    return Err(want_map());
                }
                tasks.push(Task::MergeInto(value));
            }
            NodeKind::Sequence(items) => {
                // Go checks each item just before merging it, last item first.
                for &item in items {
                    let ok = matches!(self.tree.nodes[item].kind, NodeKind::Mapping(_))
                        || alias_of_map(item);
                    if !ok {
                        return Err(want_map());
                    }
                }
                tasks.extend(items.iter().map(|&i| Task::MergeInto(i)));
            }
            NodeKind::Scalar { .. } => return Err(want_map()),
        }
        Ok(())
    }

    /// go-yaml's `d.scalar` into `interface{}`.
    fn scalar(&self, value: &str, implicit: bool, tag: &str) -> Result<GoValue, YamlError> {
        if tag.is_empty() && !implicit {
            return Ok(GoValue::Str(value.as_bytes().to_vec()));
        }
        let resolved = resolve_tagged(tag, value)?;
        Ok(match resolved {
            Tagged::Value(Resolved::Null) => GoValue::Null,
            Tagged::Value(Resolved::Bool(b)) => GoValue::Bool(b),
            Tagged::Value(Resolved::Int(i)) => GoValue::Int(i),
            Tagged::Value(Resolved::Uint(u)) => GoValue::Uint(u),
            Tagged::Value(Resolved::Float(f)) => GoValue::Float(f),
            Tagged::Value(Resolved::Merge) => GoValue::Str(b"<<".to_vec()),
            Tagged::Value(Resolved::Str | Resolved::Timestamp) | Tagged::Other => {
                GoValue::Str(value.as_bytes().to_vec())
            }
            Tagged::Binary(bytes) => GoValue::Str(bytes),
        })
    }
}

fn too_deep() -> YamlError {
    YamlError::Decode {
        message: format!("exceeded max depth of {MAX_DEPTH}"),
    }
}

fn want_map() -> YamlError {
    YamlError::Decode {
        message: "map merge requires map or sequence of maps as the value".to_owned(),
    }
}

enum Tagged {
    Value(Resolved),
    /// A tag go-yaml does not resolve (custom tags, `!`, `!!seq` on a scalar): the text.
    Other,
    Binary(Vec<u8>),
}

/// go-yaml's `resolve(tag, value)` including its tag checks and `!!binary` decoding.
fn resolve_tagged(tag: &str, value: &str) -> Result<Tagged, YamlError> {
    let core = tag.strip_prefix(TAG_PREFIX);
    match core {
        Some("binary") => return decode_base64(value).map(Tagged::Binary),
        None if !tag.is_empty() => return Ok(Tagged::Other),
        Some("str" | "bool" | "int" | "float" | "null" | "timestamp") | None => {}
        Some(_) => return Ok(Tagged::Other),
    }
    if core == Some("str") {
        return Ok(Tagged::Value(Resolved::Str));
    }
    let resolved = resolve::resolve_plain(value, Flavor::V2);
    let Some(wanted) = core else {
        return Ok(Tagged::Value(resolved));
    };
    // go-yaml tries timestamps only without a tag or with !!timestamp.
    let resolved = match resolved {
        Resolved::Timestamp if wanted != "timestamp" => Resolved::Str,
        other => other,
    };
    let got = match &resolved {
        Resolved::Null => "null",
        Resolved::Bool(_) => "bool",
        Resolved::Int(_) | Resolved::Uint(_) => "int",
        Resolved::Float(_) => "float",
        Resolved::Str => "str",
        Resolved::Timestamp => "timestamp",
        Resolved::Merge => "merge",
    };
    if got == wanted {
        return Ok(Tagged::Value(resolved));
    }
    if wanted == "float" {
        match resolved {
            Resolved::Int(i) => return Ok(Tagged::Value(Resolved::Float(i as f64))),
            // go-yaml converts only int and int64, not uint64.
            Resolved::Uint(_) => {}
            _ => {}
        }
    }
    Err(YamlError::Decode {
        message: format!("cannot decode !!{got} `{value}` as a {}", short_tag(tag)),
    })
}

/// Go `base64.StdEncoding.DecodeString` (padding required; `\r` and `\n` are skipped).
fn decode_base64(text: &str) -> Result<Vec<u8>, YamlError> {
    let invalid = || YamlError::Decode {
        message: "!!binary value contains invalid base64 data".to_owned(),
    };
    let symbols: Vec<u8> = text.bytes().filter(|&b| b != b'\r' && b != b'\n').collect();
    if !symbols.len().is_multiple_of(4) {
        return Err(invalid());
    }
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    };
    let mut out = Vec::with_capacity(symbols.len() / 4 * 3);
    let chunks = symbols.chunks(4).collect::<Vec<_>>();
    for (n, chunk) in chunks.iter().enumerate() {
        let last = n + 1 == chunks.len();
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return Err(invalid());
        }
        let mut bits = 0u32;
        for &c in &chunk[..4 - pad] {
            bits = (bits << 6) | value(c).ok_or_else(invalid)?;
        }
        bits <<= 6 * pad as u32;
        let bytes = [(bits >> 16) as u8, (bits >> 8) as u8, bits as u8];
        // Go rejects non-zero bits left over in a padded final quantum.
        if (pad == 1 && bytes[2] != 0) || (pad == 2 && (bytes[1] != 0 || bytes[2] != 0)) {
            return Err(invalid());
        }
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Ok(out)
}

/// Go `json.Marshal` string handling: each byte of invalid UTF-8 becomes U+FFFD.
fn go_string(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            let bytes = e.into_bytes();
            let mut out = String::with_capacity(bytes.len());
            let mut i = 0;
            while i < bytes.len() {
                let len = match bytes[i] {
                    0x00..=0x7F => 1,
                    0xC2..=0xDF => 2,
                    0xE0..=0xEF => 3,
                    0xF0..=0xF4 => 4,
                    _ => 0,
                };
                match (len > 0)
                    .then(|| bytes.get(i..i + len))
                    .flatten()
                    .and_then(|chunk| std::str::from_utf8(chunk).ok())
                {
                    Some(s) => {
                        out.push_str(s);
                        i += len;
                    }
                    None => {
                        out.push('\u{FFFD}');
                        i += 1;
                    }
                }
            }
            out
        }
    }
}

// ---- step 4: the JSON round trip ------------------------------------------------------------

/// sigs.k8s.io/yaml `convertToJSONableObject` (keys to strings), then Go `json.Marshal`
/// (sorted keys; NaN/Inf rejected at the first one in output order) and `json.Unmarshal` into
/// `interface{}` (numbers become `f64`). A key error wins over a NaN error, as in Go, where
/// key conversion runs before marshaling.
fn to_json_value(root: GoValue) -> Result<Value, YamlError> {
    enum Open {
        Seq(std::vec::IntoIter<GoValue>, Vec<Value>),
        /// Entries left, entries done, the current key, and a key error of this map, raised
        /// once its values are converted (the order in which Go usually meets it).
        Map(
            std::collections::btree_map::IntoIter<String, GoValue>,
            Map<String, Value>,
            String,
            Option<YamlError>,
        ),
    }
    let mut stack: Vec<Open> = Vec::new();
    let mut next = Some(root);
    let mut unsupported: Option<YamlError> = None;
    loop {
        let mut done: Option<Value> = None;
        if let Some(value) = next.take() {
            match value {
                GoValue::Seq(items) => stack.push(Open::Seq(items.into_iter(), Vec::new())),
                GoValue::Map(entries) => {
                    let (sorted, key_error) = string_keyed(entries);
                    stack.push(Open::Map(
                        sorted.into_iter(),
                        Map::new(),
                        String::new(),
                        key_error,
                    ));
                }
                scalar => match json_scalar(scalar) {
                    Ok(v) => done = Some(v),
                    Err(error) => {
                        unsupported.get_or_insert(error);
                        done = Some(Value::Null);
                    }
                },
            }
        }
        // Attach a finished value, then find the next child to visit.
        loop {
            let Some(top) = stack.last_mut() else {
                return match unsupported {
                    Some(error) => Err(error),
                    None => Ok(done.unwrap_or(Value::Null)),
                };
            };
            match top {
                Open::Seq(iter, items) => {
                    if let Some(v) = done.take() {
                        items.push(v);
                    }
                    if let Some(child) = iter.next() {
                        next = Some(child);
                        break;
                    }
                    let items = std::mem::take(items);
                    stack.pop();
                    done = Some(Value::Array(items));
                }
                Open::Map(iter, map, key, key_error) => {
                    if let Some(v) = done.take() {
                        map.insert(std::mem::take(key), v);
                    }
                    if let Some((k, child)) = iter.next() {
                        *key = k;
                        next = Some(child);
                        break;
                    }
                    if let Some(error) = key_error.take() {
                        return Err(error);
                    }
                    let map = std::mem::take(map);
                    stack.pop();
                    done = Some(Value::Object(map));
                }
            }
        }
    }
}

/// Go map semantics for a decoded mapping (equal keys: the last assignment wins), then
/// sigs.k8s.io/yaml's key strings: ints in decimal, floats with 32-bit `%g` (`.inf`, `.nan`),
/// booleans as words. A nil or uint64 key is an error naming the key and its value (the
/// first such key is returned beside the entries with string keys).
fn string_keyed(
    entries: Vec<(GoValue, GoValue)>,
) -> (BTreeMap<String, GoValue>, Option<YamlError>) {
    let mut out = BTreeMap::new();
    let mut key_error = None;
    for (key, value) in dedupe(entries) {
        let text = match key {
            GoValue::Null => {
                key_error.get_or_insert_with(|| unsupported_key("%!s(<nil>)", "<nil>", &value));
                continue;
            }
            GoValue::Uint(u) => {
                key_error
                    .get_or_insert_with(|| unsupported_key("uint64", &format!("{u:#x}"), &value));
                continue;
            }
            other => match key_string(other) {
                Some(text) => text,
                None => continue,
            },
        };
        out.insert(text, value);
    }
    (out, key_error)
}

/// sigs.k8s.io/yaml's string for a scalar map key; `None` for the keys it rejects (nil,
/// uint64) or go-yaml does (collections).
fn key_string(key: GoValue) -> Option<String> {
    Some(match key {
        GoValue::Str(bytes) => go_string(bytes),
        GoValue::Int(i) => i.to_string(),
        GoValue::Float(f) => match gofmt::format_g(f, true).as_str() {
            "+Inf" => ".inf".to_owned(),
            "-Inf" => "-.inf".to_owned(),
            "NaN" => ".nan".to_owned(),
            s => s.to_owned(),
        },
        GoValue::Bool(b) => b.to_string(),
        GoValue::Null | GoValue::Uint(_) | GoValue::Seq(_) | GoValue::Map(_) => return None,
    })
}

/// Go map assignment for decoded entries: equal keys (same type and value; every NaN is
/// distinct) keep the last value, at the position of the last assignment.
fn dedupe<T>(entries: impl IntoIterator<Item = T>) -> Vec<T>
where
    T: std::borrow::Borrow<(GoValue, GoValue)>,
{
    #[derive(PartialEq, Eq, Hash)]
    enum KeyId {
        Null,
        Bool(bool),
        Int(i64),
        Uint(u64),
        Float(u64),
        /// NaN never equals itself: every NaN key is distinct.
        NaN(usize),
        Str(Vec<u8>),
    }
    let mut slots: HashMap<KeyId, usize> = HashMap::new();
    let mut unique: Vec<Option<T>> = Vec::new();
    for (n, entry) in entries.into_iter().enumerate() {
        let id = match &entry.borrow().0 {
            GoValue::Null => KeyId::Null,
            GoValue::Bool(b) => KeyId::Bool(*b),
            GoValue::Int(i) => KeyId::Int(*i),
            GoValue::Uint(u) => KeyId::Uint(*u),
            GoValue::Float(f) if f.is_nan() => KeyId::NaN(n),
            GoValue::Float(f) => KeyId::Float(if *f == 0.0 { 0 } else { f.to_bits() }),
            GoValue::Str(b) => KeyId::Str(b.clone()),
            GoValue::Seq(_) | GoValue::Map(_) => KeyId::NaN(n),
        };
        if let Some(&slot) = slots.get(&id) {
            unique[slot] = None;
        }
        slots.insert(id, unique.len());
        unique.push(Some(entry));
    }
    unique.into_iter().flatten().collect()
}

/// sigs.k8s.io/yaml's `unsupported map key of type: %s, key: %+#v, value: %+#v`.
fn unsupported_key(go_type: &str, key: &str, value: &GoValue) -> YamlError {
    YamlError::Convert {
        message: format!(
            "unsupported map key of type: {go_type}, key: {key}, value: {}",
            go_syntax(value, 0, true)
        ),
    }
}

/// Go's `%#v` for a decoded value. Map keys are ordered like Go's `fmtsort` for one key type
/// (nil first, then by value); across key types Go orders by type descriptor address, which
/// is approximated as strings, ints, uints, floats, bools. Depth-limited.
fn go_syntax(value: &GoValue, depth: usize, top: bool) -> String {
    if depth > 64 {
        return "...".to_owned();
    }
    match value {
        GoValue::Null if top => "<nil>".to_owned(),
        GoValue::Null => "interface {}(nil)".to_owned(),
        GoValue::Bool(b) => b.to_string(),
        GoValue::Int(i) => i.to_string(),
        GoValue::Uint(u) => format!("{u:#x}"),
        GoValue::Float(f) => gofmt::format_g(*f, false),
        GoValue::Str(bytes) => go_quote(&go_string(bytes.clone())),
        GoValue::Seq(items) => {
            let inner: Vec<String> = items
                .iter()
                .map(|v| go_syntax(v, depth + 1, false))
                .collect();
            format!("[]interface {{}}{{{}}}", inner.join(", "))
        }
        GoValue::Map(entries) => {
            fn rank(v: &GoValue) -> u8 {
                match v {
                    GoValue::Null => 0,
                    GoValue::Str(_) => 1,
                    GoValue::Int(_) => 2,
                    GoValue::Uint(_) => 3,
                    GoValue::Float(_) => 4,
                    GoValue::Bool(_) => 5,
                    GoValue::Seq(_) | GoValue::Map(_) => 6,
                }
            }
            let mut sorted: Vec<&(GoValue, GoValue)> = dedupe(entries.iter());
            sorted.sort_by(|(a, _), (b, _)| {
                rank(a).cmp(&rank(b)).then_with(|| match (a, b) {
                    (GoValue::Str(x), GoValue::Str(y)) => x.cmp(y),
                    (GoValue::Int(x), GoValue::Int(y)) => x.cmp(y),
                    (GoValue::Uint(x), GoValue::Uint(y)) => x.cmp(y),
                    (GoValue::Float(x), GoValue::Float(y)) => x.total_cmp(y),
                    (GoValue::Bool(x), GoValue::Bool(y)) => x.cmp(y),
                    _ => std::cmp::Ordering::Equal,
                })
            });
            let inner: Vec<String> = sorted
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}:{}",
                        go_syntax(k, depth + 1, false),
                        go_syntax(v, depth + 1, false)
                    )
                })
                .collect();
            format!("map[interface {{}}]interface {{}}{{{}}}", inner.join(", "))
        }
    }
}

fn json_scalar(value: GoValue) -> Result<Value, YamlError> {
    let float = |f: f64| -> Result<Value, YamlError> {
        Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| YamlError::Convert {
                message: format!("json: unsupported value: {}", gofmt::format_g(f, false)),
            })
    };
    match value {
        GoValue::Null => Ok(Value::Null),
        GoValue::Bool(b) => Ok(Value::Bool(b)),
        GoValue::Int(i) => float(i as f64),
        GoValue::Uint(u) => float(u as f64),
        GoValue::Float(f) => float(f),
        GoValue::Str(bytes) => Ok(Value::String(go_string(bytes))),
        GoValue::Seq(_) | GoValue::Map(_) => Ok(Value::Null),
    }
}

/// Go's `strconv.Quote` for the characters that commonly appear in YAML text.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    fn finds_only_the_unicode_line_breaks() {
        for text in ["a\u{85}b", "a: \u{2028}", "\u{2029}", "\u{20ac} \u{2028}"] {
            assert!(has_unicode_line_break(text), "{text:?}");
        }
        // Other characters whose encodings start with C2 or E2: NBSP, ¬, €, en dash, and
        // U+2027 / U+202A beside LS and PS.
        for text in [
            "",
            "plain",
            "\u{a0}\u{ac}",
            "\u{20ac}\u{2013}",
            "\u{2027}\u{202a}",
            "é",
        ] {
            assert!(!has_unicode_line_break(text), "{text:?}");
        }
    }

    fn timed(text: &str) -> (Result<Value, YamlError>, Duration) {
        let start = Instant::now();
        let result = unmarshal(text);
        (result, start.elapsed())
    }

    #[test]
    fn billion_laughs_is_refused_quickly() {
        // Nine levels of nine aliases: 9^9 nodes if expanded. go-yaml (oracle) reports
        // "document contains excessive aliasing".
        let mut doc = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let mut previous = 'a';
        for name in ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] {
            let refs = vec![format!("*{previous}"); 9].join(",");
            doc.push_str(&format!("{name}: &{name} [{refs}]\n"));
            previous = name;
        }
        let (result, took) = timed(&doc);
        assert_eq!(
            result,
            Err(YamlError::Decode {
                message: "document contains excessive aliasing".to_owned()
            })
        );
        assert!(took < Duration::from_secs(2), "took {took:?}");
    }

    #[test]
    fn self_reference_is_refused() {
        let (result, _) = timed("a: &a [*a]\n");
        assert_eq!(
            result,
            Err(YamlError::Decode {
                message: "anchor 'a' value contains itself".to_owned()
            })
        );
    }

    #[test]
    fn deep_nesting_is_refused_without_stack_overflow() {
        for text in [
            format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000)),
            format!("a: {}1{}\n", "{x: ".repeat(20_000), "}".repeat(20_000)),
            format!("{}x\n", "- ".repeat(12_000)),
        ] {
            let (result, took) = timed(&text);
            assert!(
                matches!(result, Err(YamlError::Syntax { .. })),
                "{result:?}"
            );
            assert!(took < Duration::from_secs(5), "took {took:?}");
        }
    }

    #[test]
    fn nesting_within_the_limit_decodes() {
        let text = format!("a: {}1{}\n", "[".repeat(9_000), "]".repeat(9_000));
        let (result, _) = timed(&text);
        let mut value = match result {
            Ok(Value::Object(mut map)) => map.remove("a").unwrap_or(Value::Null),
            other => panic!("{other:?}"),
        };
        let mut depth = 0;
        while let Value::Array(mut items) = value {
            depth += 1;
            value = items.pop().unwrap_or(Value::Null);
        }
        assert_eq!(depth, 9_000);
    }

    #[test]
    fn aliases_cannot_expand_past_the_depth_limit() {
        // Each level nests the previous one twice as deep; the alias budget allows it, the
        // expanded depth would reach 8 × 2000 levels.
        let mut doc = format!("l0: &l0 {}1{}\n", "[".repeat(2_000), "]".repeat(2_000));
        for i in 1..8 {
            doc.push_str(&format!(
                "l{i}: &l{i} {}*l{}{}\n",
                "[".repeat(2_000),
                i - 1,
                "]".repeat(2_000)
            ));
        }
        let (result, took) = timed(&doc);
        assert!(
            matches!(result, Err(YamlError::Decode { .. })),
            "{result:?}"
        );
        assert!(took < Duration::from_secs(5), "took {took:?}");
    }
}
