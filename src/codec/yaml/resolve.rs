//! Implicit typing of plain YAML scalars, as go-yaml's `resolve.go` does it.
//!
//! go.yaml.in/yaml v2.4.4 applies YAML 1.1 rules (`yes`/`no`/`on`/`off`/`y`/`n` are booleans);
//! v3.0.5 keeps only `true`/`false` but its encoder still quotes the old booleans. Numbers are
//! tried with Go's `strconv.ParseInt(s, 0, 64)` (so `0x1F`, `0o17`, `0755`, `0b101` are
//! integers), then `ParseUint`, then a YAML float pattern; `_` is removed first. Strings that
//! look like dates are timestamps (decoded back as strings, but quoted on output).

use crate::codec::gofmt;

/// Which go-yaml major version's rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// go.yaml.in/yaml/v2 v2.4.4 (sigs.k8s.io/yaml: `toYaml`, `fromYaml`, values files).
    V2,
    /// go.yaml.in/yaml/v3 v3.0.5 (`toYamlPretty`).
    V3,
}

/// The value an untagged (or core-tagged) scalar resolves to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Resolved {
    Null,
    Bool(bool),
    /// A Go `int` (64-bit).
    Int(i64),
    /// A Go `uint64` (integers above `i64::MAX`).
    Uint(u64),
    Float(f64),
    Str,
    /// A timestamp: go-yaml decodes it into `interface{}` as the original string.
    Timestamp,
    /// The merge key `<<`.
    Merge,
}

/// go-yaml's `resolveTable` hint for the first byte: which kinds to try.
fn hint(s: &str) -> u8 {
    match s.as_bytes().first() {
        None => b'N',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        Some(_) => 0,
    }
}

/// go-yaml's `resolveMap`: fixed spellings of booleans, null, infinities, NaN and merge.
fn lookup(s: &str, flavor: Flavor) -> Option<Resolved> {
    let v2_bool = flavor == Flavor::V2;
    Some(match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" if v2_bool => Resolved::Bool(true),
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" if v2_bool => Resolved::Bool(false),
        "true" | "True" | "TRUE" => Resolved::Bool(true),
        "false" | "False" | "FALSE" => Resolved::Bool(false),
        "" | "~" | "null" | "Null" | "NULL" => Resolved::Null,
        ".nan" | ".NaN" | ".NAN" => Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Resolved::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Resolved::Float(f64::NEG_INFINITY),
        "<<" => Resolved::Merge,
        _ => return None,
    })
}

/// Resolves an untagged plain scalar (go-yaml `resolve("", s)`).
pub(crate) fn resolve_plain(s: &str, flavor: Flavor) -> Resolved {
    let h = hint(s);
    if h == 0 {
        return Resolved::Str;
    }
    if let Some(r) = lookup(s, flavor) {
        return r;
    }
    match h {
        b'.' => match gofmt::parse_float(s) {
            Some(f) => Resolved::Float(f),
            None => Resolved::Str,
        },
        b'D' | b'S' => {
            if is_timestamp(s) {
                return Resolved::Timestamp;
            }
            resolve_number(s, flavor).unwrap_or(Resolved::Str)
        }
        _ => Resolved::Str,
    }
}

/// The numeric part of go-yaml's resolver (after `_` removal).
fn resolve_number(s: &str, flavor: Flavor) -> Option<Resolved> {
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    if let Some(i) = gofmt::parse_int_base0(&plain) {
        return Some(Resolved::Int(i));
    }
    if let Some(u) = gofmt::parse_uint_base0(&plain) {
        return Some(Resolved::Uint(u));
    }
    if is_yaml_style_float(&plain)
        && let Some(f) = gofmt::parse_float(&plain)
    {
        return Some(Resolved::Float(f));
    }
    let prefixed = |prefix: &str, radix: u32| -> Option<Resolved> {
        if let Some(body) = plain.strip_prefix(prefix) {
            if let Some(i) = gofmt::parse_int_radix(body, radix) {
                return Some(Resolved::Int(i));
            }
            return gofmt::parse_uint_radix(body, radix).map(Resolved::Uint);
        }
        if let Some(body) = plain.strip_prefix('-').and_then(|p| p.strip_prefix(prefix)) {
            return gofmt::parse_int_radix(&format!("-{body}"), radix).map(Resolved::Int);
        }
        None
    };
    if let Some(r) = prefixed("0b", 2) {
        return Some(r);
    }
    if flavor == Flavor::V3
        && let Some(r) = prefixed("0o", 8)
    {
        return Some(r);
    }
    None
}

/// go-yaml's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// go-yaml's `isBase60Float`: YAML 1.1 sexagesimal numbers (`190:20:30`), quoted on output.
/// Pattern: `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`.
pub(crate) fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(&first) = b.first() else {
        return false;
    };
    if !(first == b'+' || first == b'-' || first.is_ascii_digit()) || !s.contains(':') {
        return false;
    }
    let mut i = usize::from(first == b'+' || first == b'-');
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    i += 1;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        // [0-5]?[0-9]: one digit, or two digits with the first in 0..=5.
        match (b.get(i), b.get(i + 1)) {
            (Some(d1 @ b'0'..=b'5'), Some(d2)) if d2.is_ascii_digit() => {
                let _ = d1;
                i += 2;
            }
            (Some(d), _) if d.is_ascii_digit() => i += 1,
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// go-yaml v3's `isOldBool`: YAML 1.1 booleans that v3 no longer resolves but still quotes.
pub(crate) fn is_old_bool(s: &str) -> bool {
    matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "on"
            | "On"
            | "ON"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "off"
            | "Off"
            | "OFF"
    )
}

/// go-yaml's `parseTimestamp`: a `YYYY-` prefix, then one of Go `time.Parse` layouts
/// `2006-1-2T15:4:5.999999999Z07:00`, the same with `t`, `2006-1-2 15:4:5.999999999`,
/// or `2006-1-2`, with Go's field ranges and day-of-month check.
pub(crate) fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    parse_layout(b, Some(b'T'))
        || parse_layout(b, Some(b't'))
        || parse_layout(b, Some(b' '))
        || parse_layout(b, None)
}

/// Go `time` `getnum(s, false)`: one or two digits.
fn getnum(b: &[u8], i: &mut usize) -> Option<u32> {
    let d0 = *b.get(*i)?;
    if !d0.is_ascii_digit() {
        return None;
    }
    *i += 1;
    let mut n = u32::from(d0 - b'0');
    if let Some(&d1) = b.get(*i)
        && d1.is_ascii_digit()
    {
        *i += 1;
        n = n * 10 + u32::from(d1 - b'0');
    }
    Some(n)
}

/// Matches one layout; `separator` is the date/time separator or `None` for date only.
fn parse_layout(b: &[u8], separator: Option<u8>) -> bool {
    let year: u32 = b[..4].iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'));
    let mut i = 5;
    let Some(month) = getnum(b, &mut i) else {
        return false;
    };
    if !(1..=12).contains(&month) || b.get(i) != Some(&b'-') {
        return false;
    }
    i += 1;
    let Some(day) = getnum(b, &mut i) else {
        return false;
    };
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days_in_month = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    let day_ok = day >= 1 && day <= days_in_month;
    let Some(sep) = separator else {
        return i == b.len() && day_ok;
    };
    // Layout literal: a space matches any run of spaces (Go's `skip`), others match exactly.
    if sep == b' ' {
        if b.get(i).is_some_and(|&c| c != b' ') {
            return false;
        }
        while b.get(i) == Some(&b' ') {
            i += 1;
        }
    } else if b.get(i) == Some(&sep) {
        i += 1;
    } else {
        return false;
    }
    let Some(hour) = getnum(b, &mut i) else {
        return false;
    };
    if hour >= 24 || b.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    let Some(minute) = getnum(b, &mut i) else {
        return false;
    };
    if minute >= 60 || b.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    let Some(second) = getnum(b, &mut i) else {
        return false;
    };
    if second >= 60 {
        return false;
    }
    // Optional fraction: '.' or ',' followed by digits.
    if matches!(b.get(i), Some(b'.' | b',')) && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    if sep != b' ' {
        // Z07:00: 'Z' or ±hh:mm.
        match b.get(i) {
            Some(b'Z') => i += 1,
            Some(&sign) => {
                if b.len() < i + 6 || b[i + 3] != b':' || !(sign == b'+' || sign == b'-') {
                    return false;
                }
                let two = |at: usize| -> Option<u32> {
                    let (x, y) = (b[at], b[at + 1]);
                    (x.is_ascii_digit() && y.is_ascii_digit())
                        .then(|| u32::from(x - b'0') * 10 + u32::from(y - b'0'))
                };
                let (Some(h), Some(m)) = (two(i + 1), two(i + 4)) else {
                    return false;
                };
                if h > 24 || m > 60 {
                    return false;
                }
                i += 6;
            }
            None => return false,
        }
    }
    i == b.len() && day_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml11_scalars() {
        assert_eq!(resolve_plain("yes", Flavor::V2), Resolved::Bool(true));
        assert_eq!(resolve_plain("yes", Flavor::V3), Resolved::Str);
        assert_eq!(resolve_plain("0755", Flavor::V2), Resolved::Int(493));
        assert_eq!(resolve_plain("08", Flavor::V2), Resolved::Float(8.0));
        assert_eq!(resolve_plain("1_000", Flavor::V2), Resolved::Int(1000));
        assert_eq!(resolve_plain("0x1F", Flavor::V2), Resolved::Int(31));
        assert_eq!(resolve_plain("1e400", Flavor::V2), Resolved::Str);
        assert_eq!(resolve_plain("2024-01-02", Flavor::V2), Resolved::Timestamp);
        assert_eq!(resolve_plain("2024-02-30", Flavor::V2), Resolved::Str);
        assert_eq!(
            resolve_plain("2001-12-14t21:59:43.10-05:00", Flavor::V2),
            Resolved::Timestamp
        );
        assert!(is_base60_float("190:20:30"));
        assert!(!is_base60_float("190:70"));
    }
}
