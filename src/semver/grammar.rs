//! Scanners for the constraint language of Masterminds/semver v3.5.0 (`constraints.go`).
//!
//! The Go library recognises constraints with regular expressions (leftmost-first matching).
//! These scanners accept exactly the same strings and split them at the same places; each
//! function's docs say which expression it stands for and why a single greedy pass is enough.
//!
//! Character classes, as the Go expressions define them (all ASCII; other bytes never match):
//! - space: `\t \n \f \r` and ` ` (Go's `\s`; note: no vertical tab),
//! - wildcard digit: `0-9`, `x`, `X`, `*` and also `|` (the Go class is written `[0-9|x|X|\*]`,
//!   so a single `|` is part of a version token),
//! - identifier: `0-9 A-Z a-z -`.
//!
//! All scanners work on bytes; every position they return is next to an ASCII byte, so slicing
//! the original `&str` there is always on a character boundary.

use std::ops::Range;

/// Go's `\s` (RE2 Perl class): tab, newline, form feed, carriage return, space.
pub(super) fn is_space(byte: u8) -> bool {
    matches!(byte, b'\t' | b'\n' | 0x0c | b'\r' | b' ')
}

/// A byte that may appear in a constraint's major/minor/patch part.
fn is_wild_digit(byte: u8) -> bool {
    byte.is_ascii_digit() || matches!(byte, b'x' | b'X' | b'*' | b'|')
}

/// A byte allowed in a prerelease or build-metadata identifier.
pub(super) fn is_identifier_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-'
}

/// End of the run of `pred` bytes starting at `at`.
fn run_end(text: &[u8], at: usize, pred: fn(u8) -> bool) -> usize {
    let len = text
        .get(at..)
        .map_or(0, |rest| rest.iter().take_while(|b| pred(**b)).count());
    at + len
}

/// Position after the spaces starting at `at`.
pub(super) fn skip_spaces(text: &[u8], at: usize) -> usize {
    run_end(text, at, is_space)
}

/// `.` followed by at least one `pred` byte at `*at`: consumes it and returns the span after
/// the dot.
fn dotted_part(text: &[u8], at: &mut usize, pred: fn(u8) -> bool) -> Option<Range<usize>> {
    if text.get(*at) != Some(&b'.') {
        return None;
    }
    let end = run_end(text, *at + 1, pred);
    if end == *at + 1 {
        return None;
    }
    let span = *at + 1..end;
    *at = end;
    Some(span)
}

/// `lead` followed by dot-separated non-empty identifiers at `*at`: consumes the longest such
/// text and returns the span after `lead`.
pub(super) fn identifiers(text: &[u8], at: &mut usize, lead: u8) -> Option<Range<usize>> {
    if text.get(*at) != Some(&lead) {
        return None;
    }
    let start = *at + 1;
    let mut end = run_end(text, start, is_identifier_byte);
    if end == start {
        return None;
    }
    while dotted_part(text, &mut end, is_identifier_byte).is_some() {}
    *at = end;
    Some(start..end)
}

/// Byte spans of one version token inside a constraint (Go: the groups of `cvRegex`).
#[derive(Debug, Clone)]
pub(super) struct Token {
    /// The whole token, including a leading `v` and any `+metadata` (Go: the constraint's
    /// `orig`).
    pub(super) whole: Range<usize>,
    /// The major part (wildcard digits).
    pub(super) major: Range<usize>,
    /// The minor part, without its dot.
    pub(super) minor: Option<Range<usize>>,
    /// The patch part, without its dot.
    pub(super) patch: Option<Range<usize>>,
    /// The prerelease, without its `-`.
    pub(super) prerelease: Option<Range<usize>>,
}

/// Matches a version token at `at`: `v?` wildcard digits, up to two `.`-parts, an optional
/// `-prerelease` and an optional `+metadata`, each part as long as possible.
///
/// Taking each part greedily gives the match Go's leftmost-first engine reports in every
/// context the token is used in: a token is always followed by a space, a comma, an operator
/// byte or the end of the text, none of which a token can contain, so no shorter alternative
/// can let the rest of an expression match where the greedy one does not.
pub(super) fn token(text: &[u8], at: usize) -> Option<Token> {
    let mut pos = at;
    if text.get(pos) == Some(&b'v') {
        pos += 1;
    }
    let major_end = run_end(text, pos, is_wild_digit);
    if major_end == pos {
        return None;
    }
    let major = pos..major_end;
    pos = major_end;
    let minor = dotted_part(text, &mut pos, is_wild_digit);
    let patch = dotted_part(text, &mut pos, is_wild_digit);
    let prerelease = identifiers(text, &mut pos, b'-');
    // Build metadata is part of the token's text but never of the bound it stands for.
    let _metadata = identifiers(text, &mut pos, b'+');
    Some(Token {
        whole: at..pos,
        major,
        minor,
        patch,
        prerelease,
    })
}

/// A comparison operator as written in a constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Operator {
    /// `=` or nothing: equality, or a tilde range when the version has a wildcard.
    Equal,
    /// `!=`
    NotEqual,
    /// `>`
    Greater,
    /// `<`
    Less,
    /// `>=` or `=>`
    GreaterEqual,
    /// `<=` or `=<`
    LessEqual,
    /// `~` or `~>`
    Tilde,
    /// `^`
    Caret,
}

/// Every spelling of an operator. An operator only counts when spaces and a version token
/// follow it, so at most one spelling can apply at any position (a shorter spelling would be
/// followed by the second byte of the longer one, which cannot start a token); the order of
/// this list therefore does not matter. The empty spelling must stay: bare versions use it.
const OPERATORS: [(&str, Operator); 12] = [
    ("!=", Operator::NotEqual),
    (">=", Operator::GreaterEqual),
    ("=>", Operator::GreaterEqual),
    ("<=", Operator::LessEqual),
    ("=<", Operator::LessEqual),
    ("~>", Operator::Tilde),
    (">", Operator::Greater),
    ("<", Operator::Less),
    ("=", Operator::Equal),
    ("~", Operator::Tilde),
    ("^", Operator::Caret),
    ("", Operator::Equal),
];

/// One `operator spaces token` item found in a constraint group.
#[derive(Debug, Clone)]
pub(super) struct Item {
    /// The operator's spelling.
    pub(super) operator_text: &'static str,
    /// The operator.
    pub(super) operator: Operator,
    /// The version token after it.
    pub(super) token: Token,
}

/// Matches `operator spaces* token` starting exactly at `at`.
fn item_at(text: &[u8], at: usize) -> Option<Item> {
    let rest = text.get(at..)?;
    OPERATORS.iter().find_map(|(spelling, operator)| {
        if !rest.starts_with(spelling.as_bytes()) {
            return None;
        }
        let token = token(text, skip_spaces(text, at + spelling.len()))?;
        Some(Item {
            operator_text: spelling,
            operator: *operator,
            token,
        })
    })
}

/// Whether a `||` group is well formed (Go: `validConstraintRegex`): optional spaces, then
/// items separated by at least one space or by a comma with optional spaces around it, then
/// optional spaces.
pub(super) fn is_valid_group(group: &str) -> bool {
    let text = group.as_bytes();
    let mut pos = skip_spaces(text, 0);
    loop {
        let Some(item) = item_at(text, pos) else {
            return false;
        };
        let token_end = item.token.whole.end;
        let after = skip_spaces(text, token_end);
        match text.get(after) {
            None => return true,
            Some(b',') => pos = skip_spaces(text, after + 1),
            Some(_) if after > token_end => pos = after,
            Some(_) => return false,
        }
    }
}

/// The items of a group, left to right (Go: `findConstraintRegex.FindAllString`, then
/// `constraintRegex` on each match, which always re-reads the same operator and token).
pub(super) fn items(group: &str) -> Vec<Item> {
    let text = group.as_bytes();
    let mut found = Vec::new();
    let mut pos = 0;
    while pos < text.len() {
        match item_at(text, pos) {
            Some(item) => {
                pos = item.token.whole.end;
                found.push(item);
            }
            None => pos += 1,
        }
    }
    found
}

/// Rewrites every hyphen range `A - B` into `>= A, <= B ` (Go: `rewriteRange`).
///
/// Ranges are found left to right, without overlap, in the original text; each is then
/// replaced at its first occurrence in the progressively rewritten text, as the Go code does
/// with `strings.Replace(..., 1)`. A range is: spaces*, token, spaces+, `-`, spaces+, token,
/// spaces* (the surrounding spaces are part of the replaced text).
pub(super) fn rewrite_hyphen_ranges(constraint: &str) -> String {
    let text = constraint.as_bytes();
    let mut ranges: Vec<(Range<usize>, Range<usize>, Range<usize>)> = Vec::new();
    let mut pos = 0;
    while pos < text.len() {
        match hyphen_range_at(text, pos) {
            Some((whole, low, high)) => {
                pos = whole.end;
                ranges.push((whole, low, high));
            }
            None => pos += 1,
        }
    }
    let mut rewritten = constraint.to_string();
    for (whole, low, high) in ranges {
        let (Some(whole), Some(low), Some(high)) = (
            constraint.get(whole),
            constraint.get(low),
            constraint.get(high),
        ) else {
            continue;
        };
        rewritten = rewritten.replacen(whole, &format!(">= {low}, <= {high} "), 1);
    }
    rewritten
}

/// Matches one hyphen range starting exactly at `at`; returns the spans of the whole match and
/// of the two tokens.
fn hyphen_range_at(text: &[u8], at: usize) -> Option<(Range<usize>, Range<usize>, Range<usize>)> {
    let low = token(text, skip_spaces(text, at))?;
    let dash = skip_spaces(text, low.whole.end);
    if dash == low.whole.end || text.get(dash) != Some(&b'-') {
        return None;
    }
    let high_start = skip_spaces(text, dash + 1);
    if high_start == dash + 1 {
        return None;
    }
    let high = token(text, high_start)?;
    let end = skip_spaces(text, high.whole.end);
    Some((at..end, low.whole, high.whole))
}

#[cfg(test)]
#[allow(clippy::expect_used, reason = "a failed expectation is a failed test")]
mod tests {
    use super::*;

    fn item_texts(group: &str) -> Vec<String> {
        items(group)
            .iter()
            .map(|item| {
                let token = group.get(item.token.whole.clone()).unwrap_or("");
                format!("{}{}", item.operator_text, token)
            })
            .collect()
    }

    #[test]
    fn tokens_take_the_longest_version_shape() {
        let text = b"v1.2.3-beta.1+build.5 rest";
        let found = token(text, 0).expect("token");
        assert_eq!(found.whole, 0..21);
        assert_eq!(found.major, 1..2);
        assert_eq!(found.minor, Some(3..4));
        assert_eq!(found.patch, Some(5..6));
        assert_eq!(found.prerelease, Some(7..13));
        // A trailing dot or dash is not part of the token.
        assert_eq!(token(b"1.2.", 0).map(|t| t.whole), Some(0..3));
        assert_eq!(token(b"1-", 0).map(|t| t.whole), Some(0..1));
        // `|` is a wildcard digit in the Go class.
        assert_eq!(token(b"1|2", 0).map(|t| t.whole), Some(0..3));
        assert!(token(b"v", 0).is_none());
        assert!(token(b"-1", 0).is_none());
    }

    #[test]
    fn groups_need_separators_between_items() {
        assert!(is_valid_group(">=1.0.0 <2.0.0"));
        assert!(is_valid_group(" >= 1.0.0 , < 2.0.0 "));
        assert!(is_valid_group("1.2.3,2.0"));
        assert!(!is_valid_group(">=1.0.0<2.0.0"));
        assert!(!is_valid_group("1.2.3,"));
        assert!(!is_valid_group(",1.2.3"));
        assert!(!is_valid_group("1.2.3,,2.0"));
        assert!(!is_valid_group("> = 1"));
        assert!(!is_valid_group("1.2.3\u{b}"));
        assert!(!is_valid_group(""));
    }

    #[test]
    fn items_are_found_left_to_right() {
        assert_eq!(item_texts(">= 1.0.0 , <2"), [">=1.0.0", "<2"]);
        assert_eq!(item_texts("=>1 =<2 ~>3 ~ 4"), ["=>1", "=<2", "~>3", "~4"]);
    }

    #[test]
    fn hyphen_ranges_are_rewritten_in_place() {
        assert_eq!(rewrite_hyphen_ranges("1.2 - 1.4.5"), ">= 1.2, <= 1.4.5 ");
        assert_eq!(
            rewrite_hyphen_ranges("1 - 2 || 3 - 4"),
            ">= 1, <= 2 ||>= 3, <= 4 "
        );
        assert_eq!(rewrite_hyphen_ranges("1.2.3.4 - 2"), "1.>= 2.3.4, <= 2 ");
        assert_eq!(rewrite_hyphen_ranges("1.2.3 -2.0"), "1.2.3 -2.0");
    }
}
