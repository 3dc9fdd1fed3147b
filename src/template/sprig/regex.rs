//! Regular expressions (Sprig `regex.go` over Go's `regexp`, RE2 syntax): `regexMatch`,
//! `regexFind`, `regexFindAll`, `regexReplaceAll`, `regexReplaceAllLiteral`, `regexSplit`,
//! `regexQuoteMeta` and the `must*` variants.
//!
//! Patterns run on the `regex` crate, whose syntax is a superset of RE2's. Go's Perl classes
//! (`\d`, `\w`, `\s`, `\b`) are ASCII-only while the crate's are Unicode-aware, so patterns
//! are rewritten to the ASCII forms first; `\Q…\E` is expanded to escaped literals.
//! Compile errors are reported in Go's shape (`error parsing regexp: CODE: `EXPR``) for the
//! common error kinds. The non-`must` variants (except `regexMatch`) panic on a bad
//! pattern as `regexp.MustCompile` does (`regexp: Compile(…): …`). Compiled patterns are
//! cached per thread.

use std::cell::RefCell;
use std::collections::HashMap;

use regex::Regex;

use super::{INT, STR, arg_int, arg_str, pure};
use crate::template::error::FuncError;
use crate::template::funcs::{FuncMap, Signature};
use crate::template::gofmt::go_quote;
use crate::template::value::Value;

/// Most compiled patterns kept per thread.
const CACHE_SIZE: usize = 256;

thread_local! {
    static CACHE: RefCell<HashMap<String, Regex>> = RefCell::new(HashMap::new());
}

pub(crate) fn register(funcs: &mut FuncMap) {
    pure(funcs, "regexMatch", Signature::new([STR, STR]), |a| {
        let m = compile(arg_str(&a, 0)).is_ok_and(|r| r.is_match(arg_str(&a, 1)));
        Ok(Value::Bool(m))
    });
    pure(funcs, "mustRegexMatch", Signature::new([STR, STR]), |a| {
        let r = compile(arg_str(&a, 0)).map_err(FuncError::new)?;
        Ok(Value::Bool(r.is_match(arg_str(&a, 1))))
    });
    for (name, must) in [("regexFindAll", false), ("mustRegexFindAll", true)] {
        pure(funcs, name, Signature::new([STR, STR, INT]), move |a| {
            let r = get(arg_str(&a, 0), must)?;
            Ok(Value::string_list(find_all(
                &r,
                arg_str(&a, 1),
                arg_int(&a, 2),
            )))
        });
    }
    for (name, must) in [("regexFind", false), ("mustRegexFind", true)] {
        pure(funcs, name, Signature::new([STR, STR]), move |a| {
            let r = get(arg_str(&a, 0), must)?;
            Ok(Value::from(
                r.find(arg_str(&a, 1)).map(|m| m.as_str()).unwrap_or(""),
            ))
        });
    }
    for (name, must) in [("regexReplaceAll", false), ("mustRegexReplaceAll", true)] {
        pure(funcs, name, Signature::new([STR, STR, STR]), move |a| {
            let r = get(arg_str(&a, 0), must)?;
            Ok(Value::from(
                r.replace_all(arg_str(&a, 1), arg_str(&a, 2)).into_owned(),
            ))
        });
    }
    for (name, must) in [
        ("regexReplaceAllLiteral", false),
        ("mustRegexReplaceAllLiteral", true),
    ] {
        pure(funcs, name, Signature::new([STR, STR, STR]), move |a| {
            let r = get(arg_str(&a, 0), must)?;
            Ok(Value::from(
                r.replace_all(arg_str(&a, 1), regex::NoExpand(arg_str(&a, 2)))
                    .into_owned(),
            ))
        });
    }
    for (name, must) in [("regexSplit", false), ("mustRegexSplit", true)] {
        pure(funcs, name, Signature::new([STR, STR, INT]), move |a| {
            let pat = arg_str(&a, 0);
            let r = get(pat, must)?;
            Ok(Value::string_list(split(
                &r,
                pat,
                arg_str(&a, 1),
                arg_int(&a, 2),
            )))
        });
    }
    pure(funcs, "regexQuoteMeta", Signature::new([STR]), |a| {
        Ok(Value::from(quote_meta(arg_str(&a, 0))))
    });
}

/// The compiled pattern; a compile error is returned as is (`must`) or as
/// `regexp.MustCompile`'s panic text.
fn get(pattern: &str, must: bool) -> Result<Regex, FuncError> {
    compile(pattern).map_err(|e| {
        if must {
            FuncError::new(e)
        } else {
            FuncError::new(format!("regexp: Compile({}): {e}", quote_pattern(pattern)))
        }
    })
}

/// Go's `regexp` `quote`: backquoted when `strconv.CanBackquote`, else double-quoted.
fn quote_pattern(s: &str) -> String {
    let can_backquote = s
        .chars()
        .all(|c| c != '`' && c != '\u{FEFF}' && (c == '\t' || !(c < ' ' || c == '\u{7f}')));
    if can_backquote {
        format!("`{s}`")
    } else {
        go_quote(s)
    }
}

/// Compiles a Go (RE2) pattern, with a per-thread cache. Errors carry Go's message.
pub fn compile(pattern: &str) -> Result<Regex, String> {
    if let Some(r) = CACHE.with(|c| c.borrow().get(pattern).cloned()) {
        return Ok(r);
    }
    if let Some(e) = go_check(pattern) {
        return Err(e);
    }
    let translated = translate(pattern)?;
    let r = regex::RegexBuilder::new(&translated)
        .octal(true)
        .build()
        .map_err(|_| {
            format!("error parsing regexp: invalid or unsupported Perl syntax: `{pattern}`")
        })?;
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHE_SIZE {
            c.clear();
        }
        c.insert(pattern.to_string(), r.clone());
    });
    Ok(r)
}

fn perl_class(c: char, in_class: bool) -> Option<&'static str> {
    Some(match (c, in_class) {
        ('d', false) => "[0-9]",
        ('D', false) => "[^0-9]",
        ('w', false) => "[0-9A-Za-z_]",
        ('W', false) => "[^0-9A-Za-z_]",
        ('s', false) => "[\\t\\n\\f\\r ]",
        ('S', false) => "[^\\t\\n\\f\\r ]",
        ('b', false) => "(?-u:\\b)",
        ('B', false) => "(?-u:\\B)",
        ('d', true) => "0-9",
        ('D', true) => "[^0-9]",
        ('w', true) => "0-9A-Za-z_",
        ('W', true) => "[^0-9A-Za-z_]",
        ('s', true) => "\\t\\n\\f\\r ",
        ('S', true) => "[^\\t\\n\\f\\r ]",
        _ => return None,
    })
}

/// Length in chars of a Go group name prefix at `chars[i..]` (`(?P<name>` or `(?<name>`),
/// with the name.
fn group_name(chars: &[char], i: usize) -> Option<(usize, String)> {
    let rest: String = chars[i..].iter().collect();
    let after = rest
        .strip_prefix("(?P<")
        .or_else(|| rest.strip_prefix("(?<"))?;
    let end = after.find('>')?;
    let prefix_len = rest.len() - after.len();
    Some((
        rest[..prefix_len + end + 1].chars().count(),
        after[..end].to_string(),
    ))
}

/// Rewrites Go-only or differently-meant syntax into the `regex` crate's syntax.
fn translate(p: &str) -> Result<String, String> {
    let chars: Vec<char> = p.chars().collect();
    let mut out = String::with_capacity(p.len() + 8);
    let mut i = 0;
    let mut class_depth = 0usize;
    let mut names: Vec<String> = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let Some(&n) = chars.get(i + 1) else {
                    return Err(
                        "error parsing regexp: trailing backslash at end of expression: ``"
                            .to_string(),
                    );
                };
                if n == 'Q' && class_depth == 0 {
                    let rest: String = chars[i + 2..].iter().collect();
                    let (lit, skip) = match rest.find("\\E") {
                        Some(e) => (&rest[..e], rest[..e].chars().count() + 2),
                        None => (rest.as_str(), rest.chars().count()),
                    };
                    out.push_str(&regex::escape(lit));
                    i += 2 + skip;
                    continue;
                }
                if let Some(rep) = perl_class(n, class_depth > 0) {
                    out.push_str(rep);
                    // Go: a `-` right after a class escape inside a bracket is a literal item
                    // (`[\w-.]`); after the ASCII expansion the crate would read a range.
                    if class_depth > 0 && chars.get(i + 2) == Some(&'-') {
                        out.push_str("\\-");
                        i += 3;
                        continue;
                    }
                } else {
                    out.push(c);
                    out.push(n);
                }
                i += 2;
                continue;
            }
            '(' if class_depth == 0 => {
                if let Some((len, name)) = group_name(&chars, i) {
                    // Go allows duplicate names; the crate does not.
                    let unique = if names.contains(&name) {
                        format!("{name}__dup{}", names.len())
                    } else {
                        name.clone()
                    };
                    names.push(name);
                    out.push_str(&format!("(?P<{unique}>"));
                    i += len;
                    continue;
                }
                out.push('(');
            }
            '{' if class_depth == 0 => {
                let close = chars[i..].iter().position(|x| *x == '}');
                match close {
                    Some(e) if is_repeat(&chars[i..=i + e]) => out.push('{'),
                    _ => out.push_str("\\{"),
                }
            }
            '[' => {
                if class_depth > 0 && chars.get(i + 1) == Some(&':') {
                    // POSIX class inside a bracket: copy through the closing ":]".
                    let rest: String = chars[i..].iter().collect();
                    if let Some(e) = rest.find(":]") {
                        out.push_str(&rest[..e + 2]);
                        i += rest[..e + 2].chars().count();
                        continue;
                    }
                }
                if class_depth > 0 {
                    // A literal '[' inside a Go class.
                    out.push_str("\\[");
                    i += 1;
                    continue;
                }
                class_depth += 1;
                out.push('[');
                i += 1;
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
                continue;
            }
            ']' if class_depth > 0 => {
                class_depth -= 1;
                out.push(']');
            }
            '&' | '~' | '-' if class_depth > 0 && chars.get(i + 1) == Some(&c) => {
                // The crate reads doubled &&, ~~, -- as set operators; Go as literals.
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
        i += 1;
    }
    Ok(out)
}

/// Go's syntax errors (`regexp/syntax`) for the error kinds Go reports but the crate does
/// not, or reports differently: `None` when the pattern passes these checks.
fn go_check(p: &str) -> Option<String> {
    let chars: Vec<char> = p.chars().collect();
    let code_expr = |code: &str, expr: &str| format!("error parsing regexp: {code}: `{expr}`");
    let mut depth = 0i64;
    let mut i = 0;
    // Whether the previous item can be repeated, and where the previous repetition began.
    let mut prev_repeatable = false;
    let mut prev_repeat_start: Option<usize> = None;
    while i < chars.len() {
        let c = chars[i];
        let mut this_repeat: Option<usize> = None;
        match c {
            '\\' => {
                if i + 1 >= chars.len() {
                    return Some(code_expr("trailing backslash at end of expression", ""));
                }
                let n = chars[i + 1];
                if n == 'Q' {
                    let rest: String = chars[i + 2..].iter().collect();
                    let skip = match rest.find("\\E") {
                        Some(e) => rest[..e].chars().count() + 2,
                        None => rest.chars().count(),
                    };
                    i += 2 + skip;
                    prev_repeatable = true;
                    prev_repeat_start = None;
                    continue;
                }
                let valid = (n.is_ascii_punctuation() && n != '_')
                    || matches!(
                        n,
                        'a' | 'f'
                            | 't'
                            | 'n'
                            | 'r'
                            | 'v'
                            | 'd'
                            | 'D'
                            | 'w'
                            | 'W'
                            | 's'
                            | 'S'
                            | 'b'
                            | 'B'
                            | 'A'
                            | 'z'
                            | 'x'
                            | 'p'
                            | 'P'
                            | '0'..='7'
                    );
                if !valid {
                    return Some(code_expr("invalid escape sequence", &format!("\\{n}")));
                }
                if ('1'..='7').contains(&n)
                    && !chars.get(i + 2).is_some_and(|d| ('0'..='7').contains(d))
                {
                    return Some(code_expr("invalid escape sequence", &format!("\\{n}")));
                }
                i += 2;
                prev_repeatable = true;
                prev_repeat_start = None;
                continue;
            }
            '(' => {
                depth += 1;
                prev_repeatable = false;
                prev_repeat_start = None;
                if chars.get(i + 1) == Some(&'?') {
                    if let Some((len, name)) = group_name(&chars, i) {
                        let ok = !name.is_empty()
                            && name.chars().all(|c| c.is_alphanumeric() || c == '_');
                        if !ok {
                            let expr: String = chars[i..i + len].iter().collect();
                            return Some(code_expr("invalid named capture", &expr));
                        }
                        i += len;
                        continue;
                    }
                    // Flags: (?flags) or (?flags:
                    let mut j = i + 2;
                    while j < chars.len() && matches!(chars[j], 'i' | 'm' | 's' | 'U' | '-') {
                        j += 1;
                    }
                    match chars.get(j) {
                        Some(')') => {
                            depth -= 1;
                            i = j + 1;
                            continue;
                        }
                        Some(':') => {
                            i = j + 1;
                            continue;
                        }
                        _ => {
                            let end = (j + 1).min(chars.len());
                            let expr: String = chars[i..end].iter().collect();
                            return Some(code_expr("invalid or unsupported Perl syntax", &expr));
                        }
                    }
                }
            }
            ')' => {
                if depth == 0 {
                    return Some(code_expr("unexpected )", p));
                }
                depth -= 1;
                prev_repeatable = true;
            }
            '[' => {
                let rest: String = chars[i..].iter().collect();
                let mut j = i + 1;
                if chars.get(j) == Some(&'^') {
                    j += 1;
                }
                if chars.get(j) == Some(&']') {
                    j += 1;
                }
                let mut closed = false;
                while j < chars.len() {
                    if chars[j] == '\\' {
                        j += 2;
                        continue;
                    }
                    if chars[j] == '[' && chars.get(j + 1) == Some(&':') {
                        let r: String = chars[j..].iter().collect();
                        if let Some(e) = r.find(":]") {
                            j += r[..e + 2].chars().count();
                            continue;
                        }
                    }
                    if chars[j] == ']' {
                        closed = true;
                        break;
                    }
                    j += 1;
                }
                if !closed {
                    return Some(code_expr("missing closing ]", &rest));
                }
                let class: String = chars[i..=j].iter().collect();
                if let Some(bad) = bad_range(&class) {
                    return Some(code_expr("invalid character class range", &bad));
                }
                i = j + 1;
                prev_repeatable = true;
                prev_repeat_start = None;
                continue;
            }
            '*' | '+' | '?' | '{' => {
                let op_len = if c == '{' {
                    match chars[i..].iter().position(|x| *x == '}') {
                        Some(e) if is_repeat(&chars[i..=i + e]) => e + 1,
                        _ => {
                            prev_repeatable = true;
                            prev_repeat_start = None;
                            i += 1;
                            continue;
                        }
                    }
                } else {
                    1
                };
                let mut end = i + op_len;
                if chars.get(end) == Some(&'?') {
                    end += 1;
                }
                if let Some(start) = prev_repeat_start {
                    let expr: String = chars[start..end].iter().collect();
                    return Some(code_expr("invalid nested repetition operator", &expr));
                }
                if !prev_repeatable {
                    let expr: String = chars[i..end].iter().collect();
                    return Some(code_expr("missing argument to repetition operator", &expr));
                }
                if c == '{' {
                    let body: String = chars[i + 1..i + op_len - 1].iter().collect();
                    let nums: Vec<Option<u32>> = body.split(',').map(|n| n.parse().ok()).collect();
                    let too_big = nums.iter().flatten().any(|v| *v > 1000);
                    let inverted = matches!(nums.as_slice(), [Some(a), Some(b)] if b < a);
                    if too_big || inverted {
                        let expr: String = chars[i..i + op_len].iter().collect();
                        return Some(code_expr("invalid repeat count", &expr));
                    }
                }
                this_repeat = Some(i);
                i = end;
                prev_repeat_start = this_repeat;
                continue;
            }
            '|' => prev_repeatable = false,
            _ => prev_repeatable = true,
        }
        prev_repeat_start = this_repeat;
        i += 1;
    }
    if depth > 0 {
        return Some(code_expr("missing closing )", p));
    }
    None
}

fn is_repeat(s: &[char]) -> bool {
    let body: String = s[1..s.len() - 1].iter().collect();
    let mut parts = body.splitn(2, ',');
    let first = parts.next().unwrap_or_default();
    !first.is_empty()
        && first.chars().all(|c| c.is_ascii_digit())
        && parts
            .next()
            .is_none_or(|p| p.chars().all(|c| c.is_ascii_digit()))
}

fn bad_range(class: &str) -> Option<String> {
    let chars: Vec<char> = class.chars().collect();
    // Items between `[` (and an optional `^`) and the closing `]`, read as Go's parseClass
    // does: a class escape or POSIX class is a whole item and never a range bound.
    let end = chars.len().saturating_sub(1);
    let mut i = 1;
    if chars.get(i) == Some(&'^') {
        i += 1;
    }
    while i < end {
        let (len, lo) = class_item(&chars, i);
        let dash = i + len;
        if let Some(lo) = lo
            && chars.get(dash) == Some(&'-')
            && dash + 1 < end
        {
            let (hi_len, hi) = class_item(&chars, dash + 1);
            if let Some(hi) = hi {
                if hi < lo {
                    return Some(chars[i..dash + 1 + hi_len].iter().collect());
                }
                i = dash + 1 + hi_len;
                continue;
            }
        }
        i = dash;
    }
    None
}

/// One item of a bracket class at `chars[i]`: its length and, when it is a single
/// character (possibly escaped), that character.
fn class_item(chars: &[char], i: usize) -> (usize, Option<char>) {
    match chars[i] {
        '\\' => match chars.get(i + 1) {
            Some('d' | 'D' | 'w' | 'W' | 's' | 'S') => (2, None),
            Some('p' | 'P') => {
                let len = if chars.get(i + 2) == Some(&'{') {
                    chars[i..]
                        .iter()
                        .position(|c| *c == '}')
                        .map_or(chars.len() - i, |e| e + 1)
                } else {
                    3
                };
                (len, None)
            }
            Some('n') => (2, Some('\n')),
            Some('t') => (2, Some('\t')),
            Some('r') => (2, Some('\r')),
            Some('f') => (2, Some('\u{c}')),
            Some('v') => (2, Some('\u{b}')),
            Some('a') => (2, Some('\u{7}')),
            Some(&c) => (2, Some(c)),
            None => (1, None),
        },
        '[' if chars.get(i + 1) == Some(&':') => {
            let rest: String = chars[i..].iter().collect();
            match rest.find(":]") {
                Some(e) => (rest[..e + 2].chars().count(), None),
                None => (1, Some('[')),
            }
        }
        c => (1, Some(c)),
    }
}

/// Go's `FindAllString(s, n)`: at most `n` matches (all when `n < 0`, none when 0); an
/// empty match right after the previous match is skipped.
pub fn find_all(r: &Regex, s: &str, n: i64) -> Vec<String> {
    find_all_index(r, s, n)
        .into_iter()
        .map(|(a, b)| s[a..b].to_string())
        .collect()
}

fn find_all_index(r: &Regex, s: &str, n: i64) -> Vec<(usize, usize)> {
    if n == 0 {
        return Vec::new();
    }
    let limit = if n < 0 { usize::MAX } else { n as usize };
    let mut out: Vec<(usize, usize)> = Vec::new();
    let mut pos = 0usize;
    let mut prev_end: Option<usize> = None;
    while pos <= s.len() && out.len() < limit {
        let Some(m) = r.find_at(s, pos) else { break };
        let (a, b) = (m.start(), m.end());
        let accept = !(a == b && prev_end == Some(a));
        if accept {
            out.push((a, b));
        }
        prev_end = Some(b);
        if b > pos {
            pos = b;
        } else {
            // Advance one character past an empty match.
            pos += s[pos..].chars().next().map_or(1, char::len_utf8);
        }
    }
    out
}

/// Go's `Regexp.Split(s, n)`.
pub fn split(r: &Regex, pattern: &str, s: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if !pattern.is_empty() && s.is_empty() {
        return vec![String::new()];
    }
    let matches = find_all_index(r, s, n);
    let mut out = Vec::with_capacity(matches.len() + 1);
    let (mut beg, mut end) = (0usize, 0usize);
    for (a, b) in matches {
        if n > 0 && out.len() as i64 == n - 1 {
            break;
        }
        end = a;
        if b != 0 {
            out.push(s[beg..end].to_string());
        }
        beg = b;
    }
    if end != s.len() {
        out.push(s[beg..].to_string());
    }
    out
}

/// Go's `regexp.QuoteMeta`: backslash before each of `\.+*?()|[]{}^$`.
pub fn quote_meta(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
#[allow(clippy::expect_used, reason = "tests fail loudly on setup errors")]
mod class_range_tests {
    use crate::template::{FuncMap, Options, TemplateSet, Value};

    fn render(source: &str) -> String {
        let mut funcs = FuncMap::new();
        crate::template::sprig::register(&mut funcs);
        let mut set = TemplateSet::new("gotpl", funcs, Options::default());
        set.add("t", source).expect("parse");
        set.execute("t", &Value::Nil).expect("execute")
    }

    /// Expected outputs are what `helm template` (v4.3.1) printed for the same template.
    #[test]
    fn dash_after_caret_or_class_escape_is_literal() {
        assert_eq!(
            render(r#"{{ regexReplaceAll "[^-A-Za-z0-9_.]" "a:b" "-" }}"#),
            "a-b"
        );
        assert_eq!(
            render(r#"{{ regexMatch "^[\\w-\\.]+$" "mymaster" }}"#),
            "true"
        );
        assert_eq!(
            render(r#"{{ regexMatch "^[\\w-\\.]+$" "my:master" }}"#),
            "false"
        );
        assert_eq!(render(r#"{{ regexFind "[\\d-z]+" "x-9z" }}"#), "-9z");
    }
}
