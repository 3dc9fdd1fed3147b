//! A fast reader for plain block YAML: the subset that rendered manifests and values files
//! are nearly always written in. It builds the same node tree as the general reader
//! ([`super::read_tree_once`] over granit-parser), about ten times faster, and gives up
//! (`None`) on anything outside the subset, which the general reader then reads (and, for
//! invalid YAML, reports).
//!
//! The subset, line by line (indentation is spaces; the text has no tab, carriage return,
//! NEL/LS/PS, byte order mark or character libyaml refuses, and no line starting with `---`
//! or `...`):
//! - blank lines and comment lines anywhere outside block scalars;
//! - block mappings with plain keys (no `:` inside, no space before the `:`, at most 1000
//!   bytes: libyaml's simple-key limit is 1024 characters) or one-line quoted keys;
//! - block sequences (`- `), indented or, as a mapping value, at the mapping's indentation;
//!   compact nesting (`- key: value`, `- - item`);
//! - scalars on one line: plain (not starting with an indicator, except `-` before a
//!   non-space; no `: `; ended by ` #`), single-quoted (`''` escapes), double-quoted without
//!   backslash escapes; flow sequences of such scalars on one line, `[]` and `{}`;
//! - literal block scalars `|` and `|-` (no indentation indicator, no keep chomping).
//!
//! Multi-line flow scalars, folded and kept block scalars, anchors, aliases, tags, flow
//! mappings, explicit keys (`?`), directives and several documents are left to the general
//! reader. The rules are libyaml's (`scanner.c`: `yaml_parser_scan_plain_scalar`,
//! `yaml_parser_scan_block_scalar`, `yaml_parser_scan_block_scalar_breaks`), which go-yaml v2
//! ports; the tests check this reader against the general one on the corpus and on mutations
//! of it.

use std::borrow::Cow;

use super::{Node, NodeId, NodeKind, Tree, resolve, scalar_cannot_fail, scalar_key_cannot_fail};
use crate::codec::yaml::resolve::{Flavor, Resolved};

/// Deepest nesting of collections read here (the general reader allows go-yaml's 10000).
const MAX_SIMPLE_DEPTH: usize = 1000;

/// Eight spaces, as a little-endian word.
const SPACES: u64 = u64::from_le_bytes([b' '; 8]);

/// Longest plain key read here, in bytes (libyaml refuses simple keys over 1024 characters).
const MAX_KEY_BYTES: usize = 1000;

/// Reads `text` as [`super::read_tree_once`] would, when it is in the subset of the module
/// documentation and, with `keep`, every left-out value is one the general reader could
/// leave out too (else the general reader decides). `None` means "not read here", never
/// "invalid".
pub(super) fn read_simple(text: &str, keep: Option<&[&str]>) -> Option<Tree> {
    if !all_plain_characters(text) {
        return None;
    }
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        line: 0,
        nodes: Vec::new(),
        pruning: 0,
        pruned: false,
        depth: 0,
        current_indent: 0,
        keep,
    };
    reader.skip_insignificant()?;
    if reader.at_end() {
        return None;
    }
    let indent = reader.current_indent;
    let root = reader.node_at(reader.line + indent, indent, -1, true)?;
    if !reader.at_end() {
        return None;
    }
    Some(Tree {
        nodes: reader.nodes,
        root: Some(root),
        pruned: reader.pruned,
    })
}

/// Whether every character of `text` is one libyaml reads without complaint and this reader
/// handles: printable ASCII and `\n`, and non-ASCII characters libyaml calls printable other
/// than the line and paragraph separators and the byte order mark.
fn all_plain_characters(text: &str) -> bool {
    let ascii_ok = |b: u8| (0x20..0x7F).contains(&b) || b == b'\n';
    // Whole chunks without early exit, so that the check is vectorised.
    let mut chunks = text.as_bytes().chunks_exact(64);
    let chunks_ok = chunks
        .by_ref()
        .all(|chunk| chunk.iter().fold(true, |ok, &b| ok & ascii_ok(b)));
    if chunks_ok && chunks.remainder().iter().all(|&b| ascii_ok(b)) {
        return true;
    }
    text.chars().all(|c| {
        if c.is_ascii() {
            return ascii_ok(c as u8);
        }
        matches!(c, '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
            && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{FEFF}')
    })
}

/// Whether `b` may not begin a plain scalar (libyaml's indicator characters).
fn is_indicator(b: u8) -> bool {
    matches!(
        b,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
    )
}

/// A scalar as read: its text (borrowed unless unescaped) and whether it was plain.
struct Scalar<'a> {
    value: Cow<'a, str>,
    implicit: bool,
}

/// Whether the general reader's check of a left-out scalar ([`scalar_cannot_fail`], and for a
/// key [`scalar_key_cannot_fail`]) passes. Plain scalars starting with a letter cannot be
/// floats, nor uints or merge keys; of them only `null` spellings fail as keys, so most
/// skip YAML's resolution here.
fn left_out_scalar_fine(scalar: &Scalar<'_>, is_key: bool) -> bool {
    let value = scalar.value.as_ref();
    if scalar.implicit
        && let Some(first) = value.bytes().next()
        && first.is_ascii_alphabetic()
        && !(is_key && matches!(first, b'n' | b'N'))
    {
        return true;
    }
    scalar_cannot_fail(value, scalar.implicit, "")
        && (!is_key || scalar_key_cannot_fail(value, scalar.implicit))
}

/// Joins the next line of a multi-line flow scalar to `value` after `blank` blank lines:
/// a space when there are none, else one newline per blank line (libyaml's folding).
fn fold_breaks(value: &mut String, blank: usize) {
    if blank == 0 {
        value.push(' ');
    }
    for _ in 0..blank {
        value.push('\n');
    }
}

/// The first ` #` (a comment start) in `bytes`, by its `#`.
fn comment_start(bytes: &[u8]) -> Option<usize> {
    memchr::memchr_iter(b'#', bytes)
        .find(|&i| i > 0 && bytes[i - 1] == b' ')
        .map(|i| i - 1)
}

/// Whether `bytes` holds `: `, or ends with `:`.
fn has_mapping_colon(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b':', bytes).any(|i| i + 1 == bytes.len() || bytes[i + 1] == b' ')
}

/// What begins at a node's first byte.
enum Start<'a> {
    /// A mapping key ending just before the `:` at the given byte.
    Key(Scalar<'a>, usize),
    /// Not a key: a scalar or a sequence entry.
    NotKey,
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    /// Start of the current line: the next line not yet read.
    line: usize,
    nodes: Vec<Node>,
    /// Depth inside values left out of the tree (0: nodes are stored).
    pruning: usize,
    pruned: bool,
    /// Open collections.
    depth: usize,
    /// Leading spaces of the current line (set by [`Reader::skip_insignificant`]).
    current_indent: usize,
    keep: Option<&'a [&'a str]>,
}

impl<'a> Reader<'a> {
    fn at_end(&self) -> bool {
        self.line >= self.bytes.len()
    }

    /// End of the line holding byte `at` (its `\n`, or the end of the text).
    fn line_end(&self, at: usize) -> usize {
        memchr::memchr(b'\n', &self.bytes[at..]).map_or(self.bytes.len(), |i| at + i)
    }

    /// The start of the line after the one ending at `end`.
    fn after_line(&self, end: usize) -> usize {
        (end + 1).min(self.bytes.len())
    }

    /// Leading spaces of the line starting at `line` (eight bytes at a time: manifests are
    /// deeply indented).
    fn indent(&self, line: usize) -> usize {
        let rest = &self.bytes[line..];
        let mut count = 0;
        for word in rest.chunks_exact(8) {
            let others = u64::from_le_bytes(word.try_into().unwrap_or([0; 8])) ^ SPACES;
            if others != 0 {
                return count + others.trailing_zeros() as usize / 8;
            }
            count += 8;
        }
        count + rest[count..].iter().take_while(|&&b| b == b' ').count()
    }

    /// Moves past blank and comment lines; `None` at a document marker.
    fn skip_insignificant(&mut self) -> Option<()> {
        while !self.at_end() {
            let rest = &self.bytes[self.line..];
            if rest.starts_with(b"---") || rest.starts_with(b"...") {
                return None;
            }
            let indent = self.indent(self.line);
            self.current_indent = indent;
            let first = self.line + indent;
            match self.bytes.get(first) {
                None => self.line = self.bytes.len(),
                Some(b'\n' | b'#') => self.line = self.after_line(self.line_end(first)),
                Some(_) => break,
            }
        }
        Some(())
    }

    /// Whether a block sequence entry (`-` then a space or the line's end) is at `at`.
    fn is_entry(&self, at: usize) -> bool {
        self.bytes.get(at) == Some(&b'-')
            && matches!(self.bytes.get(at + 1), None | Some(b' ' | b'\n'))
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_SIMPLE_DEPTH).then_some(())
    }

    /// Stores a scalar node; inside a left-out value only checks it as the general reader
    /// does (`None` when that reader could not leave the value out).
    fn scalar(&mut self, scalar: Scalar<'_>, is_key: bool) -> Option<NodeId> {
        if self.pruning > 0 {
            return left_out_scalar_fine(&scalar, is_key).then_some(usize::MAX);
        }
        self.nodes.push(Node {
            kind: NodeKind::Scalar {
                value: scalar.value.into_owned(),
                implicit: scalar.implicit,
                tag: String::new(),
            },
        });
        Some(self.nodes.len() - 1)
    }

    fn empty_scalar(&mut self) -> Option<NodeId> {
        self.scalar(
            Scalar {
                value: Cow::Borrowed(""),
                implicit: true,
            },
            false,
        )
    }

    /// Starts a collection node (children are set by [`Reader::finish`]).
    fn open(&mut self, mapping: bool) -> Option<NodeId> {
        self.enter()?;
        if self.pruning > 0 {
            return Some(usize::MAX);
        }
        self.nodes.push(Node {
            kind: if mapping {
                NodeKind::Mapping(Vec::new())
            } else {
                NodeKind::Sequence(Vec::new())
            },
        });
        Some(self.nodes.len() - 1)
    }

    fn finish(&mut self, id: NodeId, children: Vec<NodeId>) {
        self.depth -= 1;
        if self.pruning > 0 {
            return;
        }
        if let NodeKind::Sequence(c) | NodeKind::Mapping(c) = &mut self.nodes[id].kind {
            *c = children;
        }
    }

    /// The block node starting at byte `at` (column `column`) of the current line, inside a
    /// collection whose column is `parent` (-1 for the document). Leaves the current line at the next
    /// significant line after the node.
    fn node_at(&mut self, at: usize, column: usize, parent: isize, root: bool) -> Option<NodeId> {
        if self.is_entry(at) {
            return self.sequence(at, column);
        }
        let end = self.line_end(at);
        match self.start(at, end)? {
            Start::Key(..) => self.mapping(at, column, root),
            Start::NotKey => self.inline_scalar(at, end, parent),
        }
    }

    /// Whether a mapping key begins at `at` (line end `end`); `None` when the line is outside
    /// the subset.
    fn start(&self, at: usize, end: usize) -> Option<Start<'a>> {
        let bytes = self.bytes;
        match bytes[at] {
            quote @ (b'\'' | b'"') => {
                // Not closed on this line (or escaped): not a key, as keys take one line.
                let Some((scalar, after)) = self.quoted(at, end, quote) else {
                    return Some(Start::NotKey);
                };
                if bytes.get(after) == Some(&b':')
                    && matches!(bytes.get(after + 1), None | Some(b' ' | b'\n'))
                {
                    return Some(Start::Key(scalar, after));
                }
                Some(Start::NotKey)
            }
            _ if self.starts_plain(at) => self.plain_key(at, end),
            _ => Some(Start::NotKey),
        }
    }

    /// A plain key at `at`: text up to the first `:` before a space or the line end.
    fn plain_key(&self, at: usize, end: usize) -> Option<Start<'a>> {
        let bytes = self.bytes;
        let Some(colon) = memchr::memchr(b':', &bytes[at..end]).map(|i| at + i) else {
            return Some(Start::NotKey);
        };
        // A comment before the colon ends the line's content.
        if comment_start(&bytes[at..colon]).is_some() {
            return Some(Start::NotKey);
        }
        if colon + 1 < end && bytes[colon + 1] != b' ' {
            // `:` inside a plain scalar (`a:b`): a key only if a `: ` follows; left to the
            // general reader then.
            let rest = &bytes[colon..end];
            return if has_mapping_colon(rest) {
                None
            } else {
                Some(Start::NotKey)
            };
        }
        let key: &'a str = &self.text[at..colon];
        if key.ends_with(' ') || key.len() > MAX_KEY_BYTES {
            return None;
        }
        Some(Start::Key(
            Scalar {
                value: Cow::Borrowed(key),
                implicit: true,
            },
            colon,
        ))
    }

    /// A one-line quoted scalar opening at `at`: its value and the byte after the closing
    /// quote.
    fn quoted(&self, at: usize, end: usize, quote: u8) -> Option<(Scalar<'a>, usize)> {
        let bytes = self.bytes;
        let text: &'a str = self.text;
        let close = at + 1 + memchr::memchr(quote, &bytes[at + 1..end])?;
        if quote == b'"' {
            if memchr::memchr(b'\\', &bytes[at + 1..close]).is_some() {
                return None;
            }
        } else if bytes.get(close + 1) == Some(&b'\'') {
            // `''` stands for one quote.
            let mut value = String::new();
            let mut from = at + 1;
            loop {
                let close = from + memchr::memchr(b'\'', &bytes[from..end])?;
                if bytes.get(close + 1) == Some(&b'\'') {
                    value.push_str(&text[from..=close]);
                    from = close + 2;
                    continue;
                }
                value.push_str(&text[from..close]);
                let scalar = Scalar {
                    value: Cow::Owned(value),
                    implicit: false,
                };
                return Some((scalar, close + 1));
            }
        }
        let scalar = Scalar {
            value: Cow::Borrowed(&text[at + 1..close]),
            implicit: false,
        };
        Some((scalar, close + 1))
    }

    /// The number of spaces from `at` on, before `end`.
    fn spaces(&self, at: usize, end: usize) -> usize {
        self.bytes[at..end]
            .iter()
            .take_while(|&&b| b == b' ')
            .count()
    }

    /// The first byte from `at` on that is not a space (or `end`).
    fn past_spaces(&self, at: usize, end: usize) -> usize {
        at + self.spaces(at, end)
    }

    /// Whether a plain scalar may begin at `at`: not at an indicator, except `-` before a
    /// non-space (`-1`; `- ` is a sequence entry).
    fn starts_plain(&self, at: usize) -> bool {
        match self.bytes[at] {
            b'-' => !matches!(self.bytes.get(at + 1), None | Some(b' ' | b'\n')),
            b => !is_indicator(b),
        }
    }

    /// After a scalar, moves on to `line` (the first line after it): the next significant
    /// line must not be indented past `parent`, which would continue the scalar or be an
    /// error.
    fn resume_after_scalar(&mut self, line: usize, parent: isize) -> Option<()> {
        self.line = line;
        self.skip_insignificant()?;
        if !self.at_end() && self.current_indent as isize > parent {
            return None;
        }
        Some(())
    }

    /// Whether only spaces, then nothing or a comment, follow from `at` to `end`.
    fn rest_is_blank(&self, at: usize, end: usize) -> bool {
        let spaces = self.spaces(at, end);
        at + spaces == end || (spaces > 0 && self.bytes[at + spaces] == b'#')
    }

    /// A block mapping whose first key is at `at` (column `column`).
    fn mapping(&mut self, mut at: usize, column: usize, root: bool) -> Option<NodeId> {
        let id = self.open(true)?;
        let mut children = Vec::new();
        loop {
            let end = self.line_end(at);
            if self.is_entry(at) {
                return None;
            }
            let Start::Key(key, colon) = self.start(at, end)? else {
                return None;
            };
            let prune = root && self.pruning == 0 && self.is_left_out(&key);
            let key_id = self.scalar(key, true)?;
            let value_id = if prune {
                let stand_in = self.empty_scalar()?;
                self.pruned = true;
                self.pruning += 1;
                let read = self.value_after(colon + 1, end, column);
                self.pruning -= 1;
                read?;
                stand_in
            } else {
                self.value_after(colon + 1, end, column)?
            };
            children.push(key_id);
            children.push(value_id);
            if self.at_end() {
                break;
            }
            let indent = self.current_indent;
            if indent < column {
                break;
            }
            if indent > column {
                return None;
            }
            at = self.line + indent;
        }
        self.finish(id, children);
        Some(id)
    }

    /// Whether the general reader would leave out the value of this root-mapping key.
    fn is_left_out(&self, key: &Scalar) -> bool {
        let Some(keep) = self.keep else {
            return false;
        };
        (!key.implicit
            || matches!(
                resolve::resolve_plain(&key.value, Flavor::V2),
                Resolved::Str
            ))
            && !keep.iter().any(|k| k.eq_ignore_ascii_case(&key.value))
    }

    /// The value of a mapping entry (column `column`) whose `:` ends at `at` on a line ending
    /// at `end`: on the same line, on the lines below, or empty.
    fn value_after(&mut self, at: usize, end: usize, column: usize) -> Option<NodeId> {
        if !self.rest_is_blank(at, end) {
            // A scalar: a key here (`a: b: c`) is refused by the scalar readers.
            let start = self.past_spaces(at, end);
            if self.is_entry(start) {
                return None;
            }
            return self.inline_scalar(start, end, column as isize);
        }
        self.line = self.after_line(end);
        self.skip_insignificant()?;
        if self.at_end() {
            return self.empty_scalar();
        }
        let indent = self.current_indent;
        let first = self.line + indent;
        if indent > column {
            return self.node_at(first, indent, column as isize, false);
        }
        if indent == column && self.is_entry(first) {
            // A sequence at the mapping's own indentation.
            return self.sequence(first, column);
        }
        self.empty_scalar()
    }

    /// A block sequence whose first `-` is at `at` (column `column`).
    fn sequence(&mut self, mut at: usize, column: usize) -> Option<NodeId> {
        let id = self.open(false)?;
        let mut children = Vec::new();
        loop {
            let end = self.line_end(at);
            let item = if self.rest_is_blank(at + 1, end) {
                self.line = self.after_line(end);
                self.skip_insignificant()?;
                let indent = self.current_indent;
                if !self.at_end() && indent > column {
                    self.node_at(self.line + indent, indent, column as isize, false)?
                } else {
                    self.empty_scalar()?
                }
            } else {
                let spaces = self.spaces(at + 1, end);
                let start_column = column + 1 + spaces;
                self.node_at(at + 1 + spaces, start_column, column as isize, false)?
            };
            children.push(item);
            if self.at_end() {
                break;
            }
            let indent = self.current_indent;
            if indent > column {
                return None;
            }
            if indent < column || !self.is_entry(self.line + indent) {
                break;
            }
            at = self.line + indent;
        }
        self.finish(id, children);
        Some(id)
    }

    /// A scalar (or one-line flow collection) at `at` on a line ending at `end`, inside a
    /// collection at column `parent`; the next significant line must not be indented past
    /// `parent` (that would continue the scalar, or be an error).
    fn inline_scalar(&mut self, at: usize, end: usize, parent: isize) -> Option<NodeId> {
        // The end of the scalar's last line.
        let mut last_end = end;
        let id = match self.bytes[at] {
            b'|' => return self.block_scalar(at, end, parent),
            b'\'' if memchr::memchr(b'\'', &self.bytes[at + 1..end]).is_none() => {
                let (scalar, after, close_end) = self.single_quoted_lines(at, end, parent)?;
                if !self.rest_is_blank(after, close_end) {
                    return None;
                }
                last_end = close_end;
                self.scalar(scalar, false)?
            }
            quote @ (b'\'' | b'"') => {
                let (scalar, after) = self.quoted(at, end, quote)?;
                if !self.rest_is_blank(after, end) {
                    return None;
                }
                self.scalar(scalar, false)?
            }
            b'[' => self.flow_sequence(at, end)?,
            b'{' => {
                if !(self.bytes.get(at + 1) == Some(&b'}') && self.rest_is_blank(at + 2, end)) {
                    return None;
                }
                let id = self.open(true)?;
                self.finish(id, Vec::new());
                id
            }
            _ if self.starts_plain(at) => {
                let (id, plain_end) = self.plain(at, end, parent)?;
                last_end = plain_end;
                id
            }
            _ => return None,
        };
        self.resume_after_scalar(self.after_line(last_end), parent)?;
        Some(id)
    }

    /// The text of one line of a plain scalar from `at` to `end`: up to a comment, without
    /// trailing spaces; and whether a comment ended it. `None` at a `: ` (a mapping value
    /// where none may be).
    fn plain_piece(&self, at: usize, end: usize) -> Option<(&'a str, bool)> {
        let text: &'a str = self.text;
        let comment = comment_start(&self.bytes[at..end]);
        let piece = text[at..comment.map_or(end, |i| at + i)].trim_end_matches(' ');
        if has_mapping_colon(piece.as_bytes()) {
            return None;
        }
        Some((piece, comment.is_some()))
    }

    /// A plain scalar in block context starting at `at` (first line ending at `end`) inside a
    /// collection at column `parent`, with its continuation lines: those indented past
    /// `parent`, up to a comment. Lines fold as libyaml folds them: one line break becomes a
    /// space, `n` blank lines become `n` newlines. Returns the node and the end of its last
    /// line.
    fn plain(&mut self, at: usize, end: usize, parent: isize) -> Option<(NodeId, usize)> {
        let bytes = self.bytes;
        let (first, mut ended) = self.plain_piece(at, end)?;
        let mut value: Option<String> = None;
        let mut last_end = end;
        let mut line = self.after_line(end);
        let mut breaks = 0usize;
        while !ended && line < bytes.len() {
            let spaces = self.indent(line);
            let line_end = self.line_end(line);
            if line + spaces == line_end {
                if line_end >= bytes.len() {
                    break;
                }
                breaks += 1;
                line = self.after_line(line_end);
                continue;
            }
            if spaces as isize <= parent || bytes[line + spaces] == b'#' {
                break;
            }
            if parent < 0 {
                return None;
            }
            // A line starting with an indicator is left to the general reader.
            let first_byte = bytes[line + spaces];
            if first_byte != b'-' && is_indicator(first_byte) {
                return None;
            }
            let (piece, comment) = self.plain_piece(line + spaces, line_end)?;
            let folded = value.get_or_insert_with(|| first.to_owned());
            fold_breaks(folded, breaks);
            folded.push_str(piece);
            breaks = 0;
            ended = comment;
            last_end = line_end;
            line = self.after_line(line_end);
        }
        let id = self.scalar(
            Scalar {
                value: value.map_or(Cow::Borrowed(first), Cow::Owned),
                implicit: true,
            },
            false,
        )?;
        Some((id, last_end))
    }

    /// A single-quoted scalar opening at `at` and not closed on its first line (ending at
    /// `end`), inside a collection at column `parent`: its continuation lines must be indented
    /// past `parent` (libyaml takes any indentation; those are left to the general reader).
    /// Lines fold as in [`Reader::plain`]. Returns the scalar, the byte after the closing
    /// quote and the end of that line.
    fn single_quoted_lines(
        &self,
        at: usize,
        end: usize,
        parent: isize,
    ) -> Option<(Scalar<'a>, usize, usize)> {
        let bytes = self.bytes;
        let text: &'a str = self.text;
        if parent < 0 {
            return None;
        }
        let mut value = text[at + 1..end].trim_end_matches(' ').to_owned();
        let mut line = self.after_line(end);
        let mut breaks = 0usize;
        loop {
            if line >= bytes.len() {
                return None;
            }
            let spaces = self.indent(line);
            let line_end = self.line_end(line);
            if line + spaces == line_end {
                breaks += 1;
                line = self.after_line(line_end);
                continue;
            }
            if spaces as isize <= parent {
                return None;
            }
            fold_breaks(&mut value, breaks);
            breaks = 0;
            // The line up to its closing quote (`''` is a quote), or all of it.
            let mut from = line + spaces;
            loop {
                match memchr::memchr(b'\'', &bytes[from..line_end]).map(|i| from + i) {
                    Some(quote) if bytes.get(quote + 1) == Some(&b'\'') => {
                        value.push_str(&text[from..=quote]);
                        from = quote + 2;
                    }
                    Some(quote) => {
                        value.push_str(&text[from..quote]);
                        let scalar = Scalar {
                            value: Cow::Owned(value),
                            implicit: false,
                        };
                        return Some((scalar, quote + 1, line_end));
                    }
                    None => {
                        value.push_str(text[from..line_end].trim_end_matches(' '));
                        break;
                    }
                }
            }
            line = self.after_line(line_end);
        }
    }

    /// A flow sequence of one-line scalars, `[` at `at`, closed on the same line.
    fn flow_sequence(&mut self, at: usize, end: usize) -> Option<NodeId> {
        let bytes = self.bytes;
        let id = self.open(false)?;
        let mut children = Vec::new();
        let mut i = self.past_spaces(at + 1, end);
        if bytes.get(i) == Some(&b']') {
            i += 1;
        } else {
            loop {
                if i >= end {
                    return None;
                }
                let (scalar, after) = match bytes[i] {
                    quote @ (b'\'' | b'"') => self.quoted(i, end, quote)?,
                    b if is_indicator(b) => return None,
                    _ => {
                        let len = bytes[i..end]
                            .iter()
                            .position(|&b| matches!(b, b',' | b']'))?;
                        let raw = &bytes[i..i + len];
                        if raw
                            .iter()
                            .any(|&b| matches!(b, b'[' | b'{' | b'}' | b':' | b'#' | b'\'' | b'"'))
                        {
                            return None;
                        }
                        let text: &'a str = self.text;
                        let value = text[i..i + len].trim_end_matches(' ');
                        (
                            Scalar {
                                value: Cow::Borrowed(value),
                                implicit: true,
                            },
                            i + len,
                        )
                    }
                };
                children.push(self.scalar(scalar, false)?);
                i = self.past_spaces(after, end);
                match bytes.get(i) {
                    Some(b',') if i < end => {
                        i = self.past_spaces(i + 1, end);
                        if bytes.get(i) == Some(&b']') || i >= end {
                            return None;
                        }
                    }
                    Some(b']') if i < end => {
                        i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        if !self.rest_is_blank(i, end) {
            return None;
        }
        self.finish(id, children);
        Some(id)
    }

    /// A literal block scalar whose `|` is at `at` (header line ends at `end`), in a
    /// collection at column `parent`. Leaves the current line at the next significant line.
    fn block_scalar(&mut self, at: usize, end: usize, parent: isize) -> Option<NodeId> {
        let bytes = self.bytes;
        if parent < 0 {
            return None;
        }
        let mut i = at + 1;
        let strip = bytes.get(i) == Some(&b'-');
        if strip {
            i += 1;
        }
        if !self.rest_is_blank(i, end) {
            return None;
        }
        // Indentation: that of the first non-blank line, which must exceed the parent's and
        // every leading blank line's. Without such a line the scalar is empty: its line
        // breaks are all trailing ones, which both chompings drop.
        let min = parent as usize + 1;
        let mut line = self.after_line(end);
        let mut leading_blank = 0;
        let mut widest_blank = 0;
        let indent = loop {
            if line >= bytes.len() {
                break None;
            }
            let indent = self.indent(line);
            let line_end = self.line_end(line);
            if line + indent == line_end {
                widest_blank = widest_blank.max(indent);
                leading_blank += 1;
                line = self.after_line(line_end);
                continue;
            }
            if indent < min {
                break None;
            }
            if widest_blank > indent {
                return None;
            }
            break Some(indent);
        };
        let Some(indent) = indent else {
            return self.end_block_scalar(String::new(), line, parent);
        };
        let mut value = String::new();
        for _ in 0..leading_blank {
            value.push('\n');
        }
        let mut pending_break = false;
        let mut blank_breaks = 0usize;
        while line < bytes.len() {
            let spaces = self.indent(line);
            let line_end = self.line_end(line);
            if line + spaces == line_end && spaces <= indent {
                if line_end < bytes.len() {
                    blank_breaks += 1;
                }
                line = self.after_line(line_end);
                continue;
            }
            if spaces < indent {
                break;
            }
            if pending_break {
                value.push('\n');
            }
            for _ in 0..blank_breaks {
                value.push('\n');
            }
            blank_breaks = 0;
            value.push_str(&self.text[line + indent..line_end]);
            pending_break = line_end < bytes.len();
            line = self.after_line(line_end);
        }
        if pending_break && !strip {
            value.push('\n');
        }
        self.end_block_scalar(value, line, parent)
    }

    /// Stores a block scalar's `value` and moves on to `line`, the first line after it.
    fn end_block_scalar(&mut self, value: String, line: usize, parent: isize) -> Option<NodeId> {
        let id = self.scalar(
            Scalar {
                value: Cow::Owned(value),
                implicit: false,
            },
            false,
        )?;
        self.resume_after_scalar(line, parent)?;
        Some(id)
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::super::read_tree_general;
    use super::*;

    const HEAD_KEYS: &[&str] = &["apiVersion", "kind", "metadata"];

    /// Checks `text` both ways: when this reader reads it, the general reader must give the
    /// same tree. Returns whether this reader read it.
    fn agrees(text: &str, keep: Option<&[&str]>) -> bool {
        let Some(fast) = read_simple(text, keep) else {
            return false;
        };
        match read_tree_general(text, keep) {
            Ok(general) => assert_eq!(fast, general, "trees differ for {text:?}"),
            Err(e) => panic!("the general reader fails ({e}) where this one read {text:?}"),
        }
        true
    }

    #[test]
    fn reads_the_subset_like_the_general_reader() {
        let read = [
            "a: b\n",
            "a: b",
            "a:\n  b: c\n  d: [x, 'y', \"z\"]\ne: {}\nf: []\n",
            "list:\n- a\n- b: c\n  d: e\n- - x\n  - y\nnext: 1\n",
            "list:\n  - a   # comment\n  -\n  - 'it''s'\n# trailing\n",
            "s: |\n  one\n\n  two\n   three\n\nt: |-\n    x\n    y\nu: x\n",
            "s: |\n\n  a\n  \n      \n  b\n",
            "image: nginx:1.27 # tag\nurl: http://x/y#z\nk: -1\n",
            "a:\n  # comment\n  b: 1\n\n  c: ~\nd:\n",
            "- a\n- b\n",
            "plain",
            "k: v\n  # deeper comment\nm: n\n",
            "\"quoted key\": 1\n'single': 2\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  big: |\n    a: b\n",
            "a: 'x' # c\nb: \"y\"   \n",
            "a: |\n  x\n# ends it\nb: c\n",
            "a: |\n  x\n  # content\nb: c\n",
            "a: multi\n  line\n\n\n  para - x   \nb: c\n",
            "a: 'multi\n  line ''q''  \n\n  '\nb: c\n",
            "- x\n  y # c\n- z\n",
            "a:\n- one\n  two\nb: 'x\n   y' # c\n",
        ];
        for text in read {
            for keep in [None, Some(HEAD_KEYS)] {
                assert!(agrees(text, keep), "not read here: {text:?}");
            }
        }
        let left = [
            "a: b: c\n",
            "a: >\n  folded\n",
            "a: |+\n  kept\n",
            "a: |2\n  x\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: {b: c}\n",
            "a: \"esc\\n\"\n",
            "a: 'multi\nline'\n",
            "a: b # c\n  d\n",
            "a: b\n  c: d\n",
            "a: b\n  &c\n",
            "a:\tb\n",
            "a: b\r\n",
            "---\na: b\n",
            "a: b\n---\nc: d\n",
            "? a\n: b\n",
            "a: [b, ]\n",
            "a : b\n",
            "a:b: c\n",
            "",
            "# only a comment\n",
            "a:\n  - b\n  c: d\n",
            "a: 1\n b: 2\n",
            "a: |\n  x\n   \n y: 1\n",
            "a: .inf\n",
        ];
        for text in left {
            let fast = read_simple(text, None);
            // `a: .inf` is read here without keep (it fails only when converted to JSON) but
            // not when it would be left out.
            if text == "a: .inf\n" {
                assert!(fast.is_some());
                assert!(read_simple(text, Some(HEAD_KEYS)).is_none());
                continue;
            }
            assert!(fast.is_none(), "read here: {text:?}");
        }
    }

    fn corpus_dir() -> Option<PathBuf> {
        let candidates = [
            std::env::var("WHEELHOUSE_SHARED_DIR")
                .ok()
                .map(|d| PathBuf::from(d).join("conformance")),
            Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance")),
        ];
        candidates.into_iter().flatten().find(|p| p.is_dir())
    }

    fn yaml_files(dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                yaml_files(&path, out);
            } else if path
                .extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "tpl")
                && let Ok(text) = std::fs::read_to_string(&path)
            {
                out.push(text);
            }
        }
    }

    /// A small deterministic generator (xorshift), so that failures reproduce.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    /// `text` with one small edit at a random character boundary: an inserted fragment, a
    /// deleted span, or a line indented or outdented.
    fn mutate(text: &str, rng: &mut Rng) -> String {
        const FRAGMENTS: &[&str] = &[
            " ", "  ", "-", "- ", ":", ": ", "#", " #", "'", "\"", "|", "|-", ">", "\n", "[", "]",
            "{", "}", ",", "x", "~", "&a", "*a", "!", "?", "\\", "...", "---", "\n- ", "\n  ",
            "''", "0x1F", ".inf", "<<", "null", "é",
        ];
        let mut at = rng.below(text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let mut out = String::with_capacity(text.len() + 4);
        match rng.below(4) {
            0 | 1 => {
                out.push_str(&text[..at]);
                out.push_str(FRAGMENTS[rng.below(FRAGMENTS.len())]);
                out.push_str(&text[at..]);
            }
            2 => {
                let mut to = (at + 1 + rng.below(3)).min(text.len());
                while !text.is_char_boundary(to) {
                    to += 1;
                }
                out.push_str(&text[..at]);
                out.push_str(&text[to..]);
            }
            _ => {
                let line = text[..at].rfind('\n').map_or(0, |i| i + 1);
                out.push_str(&text[..line]);
                if rng.below(2) == 0 {
                    out.push_str("  ");
                    out.push_str(&text[line..]);
                } else {
                    let rest = &text[line..];
                    out.push_str(rest.strip_prefix("  ").unwrap_or(rest));
                }
            }
        }
        out
    }

    /// The documents of every corpus chart rendered with its default values (manifests,
    /// hooks, CRDs), and its YAML files (values, Chart.yaml, templates as they are).
    fn corpus_documents(dir: &Path) -> (Vec<String>, Vec<String>) {
        use crate::chart::load::{Limits, load_dir};
        use crate::chart::render::{RenderOptions, render};
        let mut rendered = Vec::new();
        let charts = dir.join("charts");
        let mut names: Vec<PathBuf> = std::fs::read_dir(&charts)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        names.sort();
        let options = RenderOptions::template("corpus", "default");
        for chart_dir in names {
            let Ok(chart) = load_dir(&chart_dir, &Limits::default()) else {
                continue;
            };
            let Ok(out) = render(&chart, &serde_json::Map::new(), &options) else {
                continue;
            };
            rendered.extend(out.manifests.into_iter().map(|m| m.content));
            rendered.extend(out.hooks.into_iter().map(|h| h.manifest));
            for crd in out.crds {
                let text = String::from_utf8_lossy(&crd.data);
                rendered.extend(text.split("\n---").map(str::to_owned));
            }
        }
        let mut files = Vec::new();
        yaml_files(dir, &mut files);
        (rendered, files)
    }

    /// Every rendered document and YAML file of the conformance corpus, and thousands of
    /// small mutations of them: whatever this reader reads, the general reader reads the same
    /// way; and it reads most rendered documents.
    #[test]
    fn agrees_with_the_general_reader_on_the_corpus_and_mutations() {
        let Some(dir) = corpus_dir() else {
            panic!("conformance corpus not found (set WHEELHOUSE_SHARED_DIR)");
        };
        let (rendered, files) = corpus_documents(&dir);
        assert!(
            rendered.len() > 300,
            "only {} rendered documents",
            rendered.len()
        );
        assert!(files.len() > 100, "only {} YAML files found", files.len());
        // More with WHEELHOUSE_YAML_MUTATIONS (per document; a different seed each count).
        let mutations: u64 = std::env::var("WHEELHOUSE_YAML_MUTATIONS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(16);
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ mutations);
        let check = |documents: &[&str], label: &str, rng: &mut Rng| {
            let (mut read, mut total) = (0, 0);
            let (mut mutated_read, mut mutated_total) = (0, 0);
            for document in documents {
                for keep in [None, Some(HEAD_KEYS)] {
                    total += 1;
                    read += usize::from(agrees(document, keep));
                }
                // Mutations of the smaller documents (the large ones take the time).
                if document.len() > 20_000 {
                    continue;
                }
                for _ in 0..mutations {
                    let mut mutated = mutate(document, rng);
                    // Some get a second edit.
                    if rng.below(3) == 0 {
                        mutated = mutate(&mutated, rng);
                    }
                    let keep = if rng.below(2) == 0 {
                        None
                    } else {
                        Some(HEAD_KEYS)
                    };
                    mutated_total += 1;
                    mutated_read += usize::from(agrees(&mutated, keep));
                }
            }
            eprintln!(
                "simple reader, {label}: {read}/{total} read here, and {mutated_read}/{mutated_total} mutations"
            );
            (read, total)
        };
        let rendered: Vec<&str> = rendered.iter().map(String::as_str).collect();
        let (read, total) = check(&rendered, "rendered documents", &mut rng);
        assert!(
            read * 10 > total * 8,
            "read only {read} of {total} rendered documents"
        );
        let mut documents: Vec<&str> = Vec::new();
        for file in &files {
            documents.push(file);
            documents.extend(file.split("\n---").filter(|d| d.len() < 200_000));
        }
        check(&documents, "corpus files", &mut rng);
    }
}
