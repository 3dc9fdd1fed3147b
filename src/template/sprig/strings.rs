//! String functions (Sprig `functions.go`, `strings.go`; goutils v1.1.1 `stringutils.go`,
//! `wordutils.go`; xstrings v1.5.0 `convert.go`; Go's `strings` package).
//!
//! Go strings are byte strings: `substr`, `trunc`, `abbrev`, `wrap`, `nospace` and
//! `initials` work on bytes as Go does. Where Go would produce invalid UTF-8 (cutting inside
//! a multi-byte character), the bytes are decoded lossily, since template strings here are
//! UTF-8.

use std::borrow::Cow;

use super::{
    ANY, INT, RAW_STR, STR, arg_bytes, arg_int, arg_str, pure, slice_bounds_error, strval,
};
use crate::template::error::FuncError;
use crate::template::funcs::{FuncMap, Signature};
use crate::template::gofmt::{go_quote, go_quote_bytes, sprint_value, sprintf_value};
use crate::template::value::{CollType, ElemType, Str, Value, decode_go_rune};

pub(crate) fn register(funcs: &mut FuncMap) {
    let s1 = || Signature::new([STR]);
    let s2 = || Signature::new([STR, STR]);
    pure(funcs, "abbrev", Signature::new([INT, STR]), |a| {
        Ok(abbrev(arg_int(&a, 0), arg_str(&a, 1)).into())
    });
    pure(funcs, "abbrevboth", Signature::new([INT, INT, STR]), |a| {
        Ok(abbrevboth(arg_int(&a, 0), arg_int(&a, 1), arg_str(&a, 2)).into())
    });
    // `trunc`, `substr`, `trim`, `trimPrefix` and `trimSuffix` cut a Go string's bytes, so
    // they take and give strings that need not be UTF-8.
    pure(funcs, "trunc", Signature::new([INT, RAW_STR]), |a| {
        Ok(Value::from_go_bytes(trunc(
            arg_int(&a, 0),
            arg_bytes(&a, 1),
        )))
    });
    pure(funcs, "trim", Signature::new([RAW_STR]), |a| {
        Ok(keep_or_bytes(&a[0], trim_space(arg_bytes(&a, 0))))
    });
    pure(funcs, "upper", s1(), |a| Ok(map_runes(&a[0], to_upper)));
    pure(funcs, "lower", s1(), |a| Ok(map_runes(&a[0], to_lower)));
    pure(funcs, "title", s1(), |a| Ok(title(arg_str(&a, 0)).into()));
    pure(funcs, "untitle", s1(), |a| {
        Ok(untitle(arg_str(&a, 0)).into())
    });
    pure(funcs, "substr", Signature::new([INT, INT, RAW_STR]), |a| {
        substr(arg_int(&a, 0), arg_int(&a, 1), arg_bytes(&a, 2)).map(Value::from_go_bytes)
    });
    funcs.register("repeat", Signature::new([INT, STR]), |ctx, a| {
        let limit = ctx.options().max_output_bytes;
        repeat(arg_str(&a, 1), arg_int(&a, 0), limit).map(Value::from)
    });
    for name in ["trimall", "trimAll"] {
        pure(funcs, name, s2(), |a| {
            let cut = arg_str(&a, 0);
            Ok(keep_or(
                &a[1],
                arg_str(&a, 1).trim_matches(|c| cut.contains(c)),
            ))
        });
    }
    pure(
        funcs,
        "trimSuffix",
        Signature::new([RAW_STR, RAW_STR]),
        |a| {
            let s = arg_bytes(&a, 1);
            Ok(keep_or_bytes(
                &a[1],
                s.strip_suffix(arg_bytes(&a, 0)).unwrap_or(s),
            ))
        },
    );
    pure(
        funcs,
        "trimPrefix",
        Signature::new([RAW_STR, RAW_STR]),
        |a| {
            let s = arg_bytes(&a, 1);
            Ok(keep_or_bytes(
                &a[1],
                s.strip_prefix(arg_bytes(&a, 0)).unwrap_or(s),
            ))
        },
    );
    pure(funcs, "nospace", s1(), |a| {
        Ok(keep_or(&a[0], &nospace(arg_str(&a, 0))))
    });
    pure(funcs, "initials", s1(), |a| {
        Ok(initials(arg_str(&a, 0)).into())
    });
    pure(funcs, "swapcase", s1(), |a| {
        Ok(swapcase(arg_str(&a, 0)).into())
    });
    pure(funcs, "snakecase", s1(), |a| {
        Ok(camel_to_lower(arg_str(&a, 0), '_').into())
    });
    pure(funcs, "kebabcase", s1(), |a| {
        Ok(camel_to_lower(arg_str(&a, 0), '-').into())
    });
    pure(funcs, "camelcase", s1(), |a| {
        Ok(pascal_case(arg_str(&a, 0)).into())
    });
    pure(funcs, "wrap", Signature::new([INT, STR]), |a| {
        Ok(wrap_custom(arg_str(&a, 1), arg_int(&a, 0), "", false).into())
    });
    pure(funcs, "wrapWith", Signature::new([INT, STR, STR]), |a| {
        Ok(wrap_custom(arg_str(&a, 2), arg_int(&a, 0), arg_str(&a, 1), true).into())
    });
    pure(funcs, "contains", s2(), |a| {
        Ok(Value::Bool(arg_str(&a, 1).contains(arg_str(&a, 0))))
    });
    pure(funcs, "hasPrefix", s2(), |a| {
        Ok(Value::Bool(arg_str(&a, 1).starts_with(arg_str(&a, 0))))
    });
    pure(funcs, "hasSuffix", s2(), |a| {
        Ok(Value::Bool(arg_str(&a, 1).ends_with(arg_str(&a, 0))))
    });
    pure(funcs, "quote", Signature::new([]).variadic(ANY), |a| {
        let parts: Vec<String> = a
            .iter()
            .filter(|v| !v.is_nil())
            .map(|v| match v {
                // `%q` of a string that is not UTF-8 escapes the invalid bytes as `\xNN`.
                Value::ByteString(b) => go_quote_bytes(b),
                _ => go_quote(&strval(v)),
            })
            .collect();
        Ok(parts.join(" ").into())
    });
    pure(funcs, "squote", Signature::new([]).variadic(ANY), |a| {
        let parts: Vec<Value> = a
            .iter()
            .filter(|v| !v.is_nil())
            .map(|v| sprintf_value("'%v'", std::slice::from_ref(v)))
            .collect();
        Ok(join_go_strings(&parts))
    });
    pure(funcs, "cat", Signature::new([]).variadic(ANY), |a| {
        let parts: Vec<Value> = a
            .iter()
            .filter(|v| !v.is_nil())
            .map(|v| sprint_value(std::slice::from_ref(v)))
            .collect();
        Ok(join_go_strings(&parts))
    });
    funcs.register("indent", Signature::new([INT, STR]), |ctx, a| {
        let limit = ctx.options().max_output_bytes;
        indent(arg_int(&a, 0), arg_str(&a, 1), limit).map(Value::from)
    });
    funcs.register("nindent", Signature::new([INT, STR]), |ctx, a| {
        let limit = ctx.options().max_output_bytes;
        indent(arg_int(&a, 0), arg_str(&a, 1), limit).map(|s| Value::from(format!("\n{s}")))
    });
    pure(funcs, "replace", Signature::new([STR, STR, STR]), |a| {
        let (old, new, src) = (arg_str(&a, 0), arg_str(&a, 1), arg_str(&a, 2));
        if !old.is_empty() && !src.contains(old) {
            return Ok(a[2].clone());
        }
        Ok(src.replace(old, new).into())
    });
    pure(funcs, "plural", Signature::new([STR, STR, INT]), |mut a| {
        let i = if arg_int(&a, 2) == 1 { 0 } else { 1 };
        Ok(super::take(&mut a, i))
    });
    pure(funcs, "split", s2(), |a| {
        Ok(parts_map(go_split(arg_str(&a, 1), arg_str(&a, 0), -1)))
    });
    pure(funcs, "splitn", Signature::new([STR, INT, STR]), |a| {
        Ok(parts_map(go_split(
            arg_str(&a, 2),
            arg_str(&a, 0),
            arg_int(&a, 1),
        )))
    });
    pure(funcs, "splitList", s2(), |a| {
        Ok(Value::string_list(go_split(
            arg_str(&a, 1),
            arg_str(&a, 0),
            -1,
        )))
    });
    pure(funcs, "join", Signature::new([STR, ANY]), |a| {
        Ok(super::conversions::to_string_vec(&a[1])
            .join(arg_str(&a, 0))
            .into())
    });
}

/// Returns the argument unchanged when the result equals it (avoids a copy), else `s`.
fn keep_or(orig: &Value, s: &str) -> Value {
    match orig {
        Value::String(o) if o.len() == s.len() => orig.clone(),
        _ => Value::from(s),
    }
}

/// Text of a byte range of a Go string (each invalid byte as U+FFFD).
fn bytes_text(b: &[u8]) -> String {
    crate::template::value::go_lossy(b)
}

/// [`keep_or`] for byte results: the original value when nothing was cut.
fn keep_or_bytes(orig: &Value, b: &[u8]) -> Value {
    if orig.go_bytes().is_some_and(|o| o.len() == b.len()) {
        orig.clone()
    } else {
        Value::from_go_bytes(b.to_vec())
    }
}

/// Go's `strings.TrimSpace` over a string's bytes: leading and trailing Unicode white space
/// removed; a byte that is not UTF-8 is not space and stops the trim.
fn trim_space(b: &[u8]) -> &[u8] {
    let mut start = 0;
    while let Some((c, n)) = decode_go_rune(&b[start..]) {
        if c == '\u{FFFD}' && n == 1 || !c.is_whitespace() {
            break;
        }
        start += n;
    }
    let mut end = b.len();
    while end > start {
        // The last rune (`utf8.DecodeLastRune`): a valid sequence of up to 4 bytes ending
        // at `end`, else the last byte alone (invalid, so not space).
        let last = (end.saturating_sub(4).max(start)..end).find_map(|i| {
            decode_go_rune(&b[i..end])
                .filter(|&(c, n)| i + n == end && !(c == '\u{FFFD}' && n == 1))
                .map(|(c, _)| (i, c))
        });
        match last {
            Some((i, c)) if c.is_whitespace() => end = i,
            _ => break,
        }
    }
    &b[start..end]
}

/// Go's `unicode.ToUpper` for one rune (simple case mapping).
pub(crate) fn to_upper(c: char) -> char {
    let mut it = c.to_uppercase();
    match (it.next(), it.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

/// Go's `unicode.ToLower` for one rune (simple case mapping).
pub(crate) fn to_lower(c: char) -> char {
    if c == '\u{130}' {
        return 'i';
    }
    let mut it = c.to_lowercase();
    match (it.next(), it.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// Go's `unicode.ToTitle` for one rune.
pub(crate) fn to_title(c: char) -> char {
    match c {
        '\u{1C4}'..='\u{1C6}' => '\u{1C5}',
        '\u{1C7}'..='\u{1C9}' => '\u{1C8}',
        '\u{1CA}'..='\u{1CC}' => '\u{1CB}',
        '\u{1F1}'..='\u{1F3}' => '\u{1F2}',
        _ => to_upper(c),
    }
}

/// Go's `unicode.IsSpace`.
pub(crate) fn is_space(c: char) -> bool {
    c.is_whitespace()
}

/// Go's `unicode.IsPunct` (general category P).
fn is_punct(c: char) -> bool {
    use unicode_general_category::{GeneralCategory as G, get_general_category};
    matches!(
        get_general_category(c),
        G::ConnectorPunctuation
            | G::DashPunctuation
            | G::OpenPunctuation
            | G::ClosePunctuation
            | G::InitialPunctuation
            | G::FinalPunctuation
            | G::OtherPunctuation
    )
}

/// Go's `unicode.IsUpper` (category Lu).
fn is_upper(c: char) -> bool {
    use unicode_general_category::{GeneralCategory as G, get_general_category};
    get_general_category(c) == G::UppercaseLetter
}

/// Go's `unicode.IsLower` (category Ll).
fn is_lower(c: char) -> bool {
    use unicode_general_category::{GeneralCategory as G, get_general_category};
    get_general_category(c) == G::LowercaseLetter
}

/// Go's `unicode.IsTitle` (category Lt).
fn is_title(c: char) -> bool {
    use unicode_general_category::{GeneralCategory as G, get_general_category};
    get_general_category(c) == G::TitlecaseLetter
}

/// Go's `unicode.IsDigit` (category Nd).
fn is_digit(c: char) -> bool {
    use unicode_general_category::{GeneralCategory as G, get_general_category};
    get_general_category(c) == G::DecimalNumber
}

/// Go's `unicode.IsLetter` (categories L*).
fn is_letter(c: char) -> bool {
    use unicode_general_category::{GeneralCategory as G, get_general_category};
    matches!(
        get_general_category(c),
        G::UppercaseLetter
            | G::LowercaseLetter
            | G::TitlecaseLetter
            | G::ModifierLetter
            | G::OtherLetter
    )
}

/// Maps every rune (Go's `strings.Map` with a case function), reusing the argument when
/// nothing changes.
fn map_runes(orig: &Value, f: fn(char) -> char) -> Value {
    let s = orig.as_str().unwrap_or_default();
    if s.chars().all(|c| f(c) == c) {
        return orig.clone();
    }
    Value::from(s.chars().map(f).collect::<String>())
}

/// Go's deprecated `strings.Title`: upper-cases (title-cases) the first letter of each word;
/// words are separated by anything that is not a letter, digit or `_` in ASCII, or by
/// Unicode spaces beyond ASCII.
pub fn title(s: &str) -> String {
    fn is_separator(c: char) -> bool {
        if c.is_ascii() {
            return !(c.is_ascii_alphanumeric() || c == '_');
        }
        if is_letter(c) || is_digit(c) {
            return false;
        }
        is_space(c)
    }
    let mut prev = ' ';
    s.chars()
        .map(|c| {
            let out = if is_separator(prev) { to_title(c) } else { c };
            prev = c;
            out
        })
        .collect()
}

/// goutils `Uncapitalize`: lower-cases the first rune of each whitespace-separated word.
pub fn untitle(s: &str) -> String {
    let mut next = true;
    s.chars()
        .map(|c| {
            if is_space(c) {
                next = true;
                c
            } else if next {
                next = false;
                to_lower(c)
            } else {
                c
            }
        })
        .collect()
}

/// goutils `SwapCase`: upper and title case become lower; lower case becomes title case at
/// the start of a word and upper case elsewhere.
pub fn swapcase(s: &str) -> String {
    let mut whitespace = true;
    s.chars()
        .map(|c| {
            if is_upper(c) || is_title(c) {
                whitespace = false;
                to_lower(c)
            } else if is_lower(c) {
                if whitespace {
                    whitespace = false;
                    to_title(c)
                } else {
                    to_upper(c)
                }
            } else {
                whitespace = is_space(c);
                c
            }
        })
        .collect()
}

/// Sprig `abbrev`: widths below 4 return the string unchanged; else goutils `Abbreviate`.
pub fn abbrev(width: i64, s: &str) -> String {
    if width < 4 {
        return s.to_string();
    }
    abbreviate_full(s, 0, width).unwrap_or_default()
}

/// Sprig `abbrevboth`: goutils `AbbreviateFull` with guards on the widths.
pub fn abbrevboth(left: i64, right: i64, s: &str) -> String {
    if right < 4 || (left > 0 && right < 7) {
        return s.to_string();
    }
    abbreviate_full(s, left, right).unwrap_or_default()
}

/// goutils `AbbreviateFull` (byte offsets); `None` where goutils returns an error.
fn abbreviate_full(s: &str, offset: i64, max_width: i64) -> Option<String> {
    let b = s.as_bytes();
    let len = b.len() as i64;
    if s.is_empty() {
        return Some(String::new());
    }
    if max_width < 4 {
        return None;
    }
    if len <= max_width {
        return Some(s.to_string());
    }
    let mut offset = offset.min(len);
    if len - offset < max_width - 3 {
        offset = len - (max_width - 3);
    }
    if offset <= 4 {
        return Some(format!("{}...", bytes_text(&b[..(max_width - 3) as usize])));
    }
    if max_width < 7 {
        return None;
    }
    if offset + max_width - 3 < len {
        let rest = bytes_text(&b[offset as usize..]);
        let inner = abbreviate_full(&rest, 0, max_width - 3).unwrap_or_default();
        return Some(format!("...{inner}"));
    }
    Some(format!(
        "...{}",
        bytes_text(&b[(len - (max_width - 3)) as usize..])
    ))
}

/// Sprig `trunc`: the first `c` bytes, or for negative `c` the last `-c` bytes.
pub fn trunc(c: i64, b: &[u8]) -> Vec<u8> {
    let len = b.len() as i64;
    if c < 0 && len + c > 0 {
        return b[(len + c) as usize..].to_vec();
    }
    if c >= 0 && len > c {
        return b[..c as usize].to_vec();
    }
    b.to_vec()
}

/// Sprig `substring`: `s[start:end]` with Sprig's clamping, panicking as Go does on
/// bounds it does not clamp.
pub fn substr(start: i64, end: i64, b: &[u8]) -> Result<Vec<u8>, FuncError> {
    let len = b.len();
    let slice = |lo: i64, hi: i64| -> Result<Vec<u8>, FuncError> {
        if hi < 0 || hi as u64 > len as u64 || lo < 0 || lo > hi {
            return Err(FuncError::new(slice_bounds_error(lo, hi, len)));
        }
        Ok(b[lo as usize..hi as usize].to_vec())
    };
    if start < 0 {
        return slice(0, end);
    }
    if end < 0 || end as u64 > len as u64 {
        if start as u64 > len as u64 {
            return Err(FuncError::new(format!(
                "runtime error: slice bounds out of range [{start}:{len}]"
            )));
        }
        return Ok(b[start as usize..].to_vec());
    }
    slice(start, end)
}

/// Go's `strings.Repeat` (panics on a negative count or an overflowing length). Results
/// longer than `limit` bytes fail as an overflow, a guard Go does not have.
pub fn repeat(s: &str, count: i64, limit: usize) -> Result<String, FuncError> {
    if count < 0 {
        return Err(FuncError::new("strings: negative Repeat count"));
    }
    let total = (s.len() as u128) * (count as u128);
    if total > i64::MAX as u128 || total > limit as u128 {
        return Err(FuncError::new("strings: Repeat output length overflow"));
    }
    Ok(s.repeat(count as usize))
}

/// goutils `DeleteWhiteSpace`: removes whitespace bytes. Go inspects bytes, not runes: when
/// any byte is whitespace (including 0x85 and 0xA0 inside multi-byte characters), every
/// other non-ASCII byte is re-encoded as the rune of the same value.
pub fn nospace(s: &str) -> Cow<'_, str> {
    let is_ws = |b: u8| matches!(b, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ' | 0x85 | 0xA0);
    if !s.bytes().any(is_ws) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.bytes().filter(|b| !is_ws(*b)).map(char::from).collect())
}

/// goutils `Initials` (byte-wise, like Go): the first byte of each whitespace-separated
/// word, as a rune.
pub fn initials(s: &str) -> String {
    let is_ws = |b: u8| matches!(b, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ' | 0x85 | 0xA0);
    let mut out = String::new();
    let mut gap = true;
    for b in s.bytes() {
        if is_ws(b) {
            gap = true;
        } else if gap {
            out.push(char::from(b));
            gap = false;
        }
    }
    out
}

/// Sprig `indent`: `spaces` spaces before the text and after every newline.
pub fn indent(spaces: i64, s: &str, limit: usize) -> Result<String, FuncError> {
    let pad = repeat(" ", spaces, limit)?;
    let lines = s.bytes().filter(|b| *b == b'\n').count();
    if (lines + 1)
        .saturating_mul(pad.len())
        .saturating_add(s.len())
        > limit
    {
        return Err(FuncError::new("strings: Repeat output length overflow"));
    }
    let mut out = String::with_capacity(s.len() + (lines + 1) * pad.len());
    out.push_str(&pad);
    for (i, part) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            out.push_str(&pad);
        }
        out.push_str(part);
    }
    Ok(out)
}

/// goutils `WrapCustom` (byte offsets, `' '` as the only break character).
pub fn wrap_custom(s: &str, wrap_length: i64, new_line: &str, wrap_long: bool) -> String {
    if s.is_empty() {
        return String::new();
    }
    let nl = if new_line.is_empty() { "\n" } else { new_line };
    let wl = wrap_length.max(1) as usize;
    let b = s.as_bytes();
    let len = b.len();
    let mut offset = 0usize;
    let mut out: Vec<u8> = Vec::with_capacity(len + len / wl * nl.len());
    while len - offset > wl {
        if b[offset] == b' ' {
            offset += 1;
            continue;
        }
        let end = (wl + offset + 1).min(len);
        let space = b[offset..end].iter().rposition(|c| *c == b' ');
        match space {
            Some(p) => {
                out.extend_from_slice(&b[offset..offset + p]);
                out.extend_from_slice(nl.as_bytes());
                offset += p + 1;
            }
            None if wrap_long => {
                out.extend_from_slice(&b[offset..offset + wl]);
                out.extend_from_slice(nl.as_bytes());
                offset += wl;
            }
            None => {
                let end = wl + offset;
                match b[end..].iter().position(|c| *c == b' ') {
                    None => {
                        out.extend_from_slice(&b[offset..]);
                        offset = len;
                    }
                    Some(i) => {
                        let at = end + i;
                        out.extend_from_slice(&b[offset..at]);
                        out.extend_from_slice(nl.as_bytes());
                        offset = at + 1;
                    }
                }
            }
        }
    }
    out.extend_from_slice(&b[offset..]);
    match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// Go's `strings.SplitN(s, sep, n)` (`n < 0`: all parts; `n == 0`: none; an empty `sep`
/// splits into runes).
pub fn go_split(s: &str, sep: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    let limit = if n < 0 { usize::MAX } else { n as usize };
    if sep.is_empty() {
        let mut out: Vec<String> = Vec::new();
        for (i, c) in s.char_indices() {
            if out.len() + 1 == limit {
                out.push(s[i..].to_string());
                break;
            }
            out.push(c.to_string());
        }
        return out;
    }
    s.splitn(limit, sep).map(str::to_string).collect()
}

/// Sprig `split`/`splitn` result: `map[string]string` with keys `_0`, `_1`, …
fn parts_map(parts: Vec<String>) -> Value {
    let entries = parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| (Str::from(format!("_{i}")), Value::from(p)))
        .collect();
    Value::typed_map(CollType::of(ElemType::String), entries)
}

// ---- xstrings v1.5.0 case conversion ----------------------------------------------------

fn is_connector(c: char) -> bool {
    c == '-' || c == '_' || is_space(c)
}

/// xstrings `isAlphabet`: a letter that is not a CJK ideograph.
fn is_alphabet(c: char) -> bool {
    if !is_letter(c) {
        return false;
    }
    !matches!(c, '\u{4E00}'..='\u{9FCC}' | '\u{3400}'..='\u{4D85}' | '\u{20000}'..='\u{2B81D}')
}

/// xstrings `ToPascalCase` (Sprig's `camelcase`).
pub fn pascal_case(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        return String::new();
    }
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut r0 = '\0';
    let mut first_upper = false;
    while i < chars.len() {
        r0 = chars[i];
        i += 1;
        if !is_connector(r0) {
            first_upper = is_upper(r0);
            r0 = to_upper(r0);
            break;
        }
        out.push(r0);
    }
    if i >= chars.len() {
        // Go writes the last rune again, even when it was a connector.
        out.push(r0);
        return out;
    }
    while i < chars.len() {
        let r1 = r0;
        r0 = chars[i];
        i += 1;
        if is_connector(r0) && is_connector(r1) {
            out.push(r1);
            continue;
        }
        if is_connector(r1) {
            first_upper = is_upper(r0);
            r0 = to_upper(r0);
        } else {
            if first_upper {
                if is_upper(r0) {
                    r0 = to_lower(r0);
                } else {
                    first_upper = false;
                }
            }
            out.push(r1);
        }
    }
    out.push(r0);
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Word {
    Invalid,
    Number,
    Upper,
    Alphabet,
    Connector,
    Punct,
    Other,
}

/// xstrings `nextWord` over a rune slice: the word type, the word and the remainder.
fn next_word(s: &[char]) -> (Word, &[char], &[char]) {
    if s.is_empty() {
        return (Word::Invalid, s, s);
    }
    let r = s[0];
    let mut off = 1;
    let wt;
    if is_connector(r) {
        wt = Word::Connector;
        while off < s.len() && is_connector(s[off]) {
            off += 1;
        }
    } else if is_punct(r) {
        wt = Word::Punct;
        while off < s.len() && is_punct(s[off]) {
            off += 1;
        }
    } else if is_upper(r) {
        wt = Word::Upper;
        if off < s.len() {
            let r2 = s[off];
            if is_upper(r2) {
                off += 1;
                while off < s.len() && is_upper(s[off]) {
                    off += 1;
                }
                // "HTTPStatus": the last upper-case letter starts the next word.
                if off < s.len() && is_alphabet(s[off]) {
                    off -= 1;
                }
            } else if is_alphabet(r2) {
                off += 1;
                while off < s.len() && is_alphabet(s[off]) && !is_upper(s[off]) {
                    off += 1;
                }
            }
        }
    } else if is_alphabet(r) {
        wt = Word::Alphabet;
        while off < s.len() && is_alphabet(s[off]) && !is_upper(s[off]) {
            off += 1;
        }
    } else if r.is_numeric() {
        wt = Word::Number;
        while off < s.len() && s[off].is_numeric() {
            off += 1;
        }
    } else {
        wt = Word::Other;
        while off < s.len() {
            let c = s[off];
            if is_connector(c) || is_alphabet(c) || c.is_numeric() || is_punct(c) {
                break;
            }
            off += 1;
        }
    }
    (wt, &s[..off], &s[off..])
}

fn push_lower(out: &mut String, wt: Word, word: &[char], connector: char) {
    if wt != Word::Upper && wt != Word::Connector {
        out.extend(word.iter());
        return;
    }
    for &c in word {
        if is_connector(c) {
            out.push(connector);
        } else if is_upper(c) {
            out.push(to_lower(c));
        } else {
            out.push(c);
        }
    }
}

/// xstrings `camelCaseToLowerCase` (Sprig's `snakecase` with `_`, `kebabcase` with `-`).
pub fn camel_to_lower(s: &str, connector: char) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        return String::new();
    }
    let mut out = String::with_capacity(s.len() + 4);
    let (mut wt, mut word, mut rem) = next_word(&chars);
    while !rem.is_empty() {
        if wt != Word::Connector {
            push_lower(&mut out, wt, word, connector);
        }
        let prev = wt;
        let last = word;
        (wt, word, rem) = next_word(rem);
        match prev {
            Word::Number => {
                while wt == Word::Alphabet || wt == Word::Number {
                    push_lower(&mut out, wt, word, connector);
                    (wt, word, rem) = next_word(rem);
                }
                if wt != Word::Invalid && wt != Word::Punct && wt != Word::Connector {
                    out.push(connector);
                }
            }
            Word::Connector => push_lower(&mut out, prev, last, connector),
            Word::Punct => {}
            _ => {
                if wt != Word::Number {
                    if wt != Word::Connector && wt != Word::Punct {
                        out.push(connector);
                    }
                    continue;
                }
                if rem.is_empty() {
                    continue;
                }
                let last = word;
                (wt, word, rem) = next_word(rem);
                if wt != Word::Alphabet {
                    push_lower(&mut out, Word::Number, last, connector);
                    if wt != Word::Connector && wt != Word::Punct {
                        out.push(connector);
                    }
                    continue;
                }
                out.push(connector);
                push_lower(&mut out, Word::Number, last, connector);
                while wt == Word::Alphabet || wt == Word::Number {
                    push_lower(&mut out, wt, word, connector);
                    (wt, word, rem) = next_word(rem);
                }
                if wt != Word::Invalid && wt != Word::Connector && wt != Word::Punct {
                    out.push(connector);
                }
            }
        }
    }
    push_lower(&mut out, wt, word, connector);
    out
}

/// `strings.Join(parts, " ")` over Go strings, keeping bytes that are not UTF-8.
fn join_go_strings(parts: &[Value]) -> Value {
    let mut out = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(p.go_bytes().unwrap_or_default());
    }
    Value::from_go_bytes(out)
}
