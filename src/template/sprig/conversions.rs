//! Type conversions: `toString`, `toStrings`, `atoi`, `int`, `int64`, `float64`,
//! `toDecimal` (Sprig `strings.go`, `numeric.go`), built on spf13/cast v1.7.0's `ToInt64`,
//! `ToInt` and `ToFloat64` and Go's `strconv` parsing rules, which [`to_int64`] and
//! [`to_float64`] reproduce (errors are swallowed into 0, as the non-`E` cast functions do).

use super::{ANY, STR, pure, slice_items, slist, strval};
use crate::template::funcs::{FuncMap, Signature};
use crate::template::value::Value;

pub(crate) fn register(funcs: &mut FuncMap) {
    pure(funcs, "toString", Signature::new([ANY]), |a| {
        Ok(super::strval_value(&a[0]))
    });
    pure(funcs, "toStrings", Signature::new([ANY]), |a| {
        Ok(to_strings(&a[0]))
    });
    pure(funcs, "atoi", Signature::new([STR]), |a| {
        Ok(Value::int(atoi(super::arg_str(&a, 0))))
    });
    pure(funcs, "int64", Signature::new([ANY]), |a| {
        Ok(super::int64(to_int64(&a[0])))
    });
    pure(funcs, "int", Signature::new([ANY]), |a| {
        Ok(Value::int(to_int64(&a[0])))
    });
    pure(funcs, "float64", Signature::new([ANY]), |a| {
        Ok(Value::Float(to_float64(&a[0])))
    });
    pure(funcs, "toDecimal", Signature::new([ANY]), |a| {
        let text = super::sprint_v(&a[0]);
        Ok(super::int64(parse_int(&text, 8).unwrap_or(0)))
    });
}

/// Sprig's `strslice` (`toStrings`): `[]string` as is; other slices element-wise through
/// `strval`, skipping nil elements; nil → empty; anything else → one-element list.
pub(crate) fn to_strings(v: &Value) -> Value {
    if let Value::List(l) = v
        && l.ty.elem == crate::template::value::ElemType::String
        && l.ty.named.is_none()
    {
        return v.clone();
    }
    slist(to_string_vec(v))
}

/// [`to_strings`] as a vector.
pub(crate) fn to_string_vec(v: &Value) -> Vec<String> {
    match slice_items(v) {
        Some(items) => items
            .iter()
            .filter(|x| !x.is_nil())
            .map(|x| strval(x).into_owned())
            .collect(),
        None if v.is_nil() => Vec::new(),
        None => vec![strval(v).into_owned()],
    }
}

/// Go's `strconv.Atoi` with the error ignored: 0 on a syntax error, the clamped value
/// (`math.MaxInt64`/`math.MinInt64`) when out of range, as Go returns it.
pub(crate) fn atoi(s: &str) -> i64 {
    if let Some(n) = parse_int(s, 10) {
        return n;
    }
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_digit()) {
        return if s.starts_with('-') {
            i64::MIN
        } else {
            i64::MAX
        };
    }
    0
}

/// spf13/cast `ToInt64` (also `ToInt` on 64-bit platforms): integers as is (unsigned wrap),
/// floats truncated, strings parsed with `strconv.ParseInt(s, 0, 0)` after dropping a
/// trailing `.0…`, booleans 0/1; everything else (and any parse failure) 0.
pub fn to_int64(v: &Value) -> i64 {
    match v {
        Value::Int(n, _) => *n,
        Value::Uint(n, _) => *n as i64,
        Value::Float(f) => float_to_int64(*f),
        Value::String(s) => parse_int(trim_zero_decimal(s), 0).unwrap_or(0),
        Value::Bool(b) => i64::from(*b),
        Value::Object(o) => named_int(o.as_any()).unwrap_or(0),
        _ => 0,
    }
}

/// cast's special cases for Go named integer types: `time.Month` and `time.Weekday`.
fn named_int(o: &dyn std::any::Any) -> Option<i64> {
    if let Some(m) = o.downcast_ref::<super::gotime::GoMonth>() {
        return Some(i64::from(m.0));
    }
    o.downcast_ref::<super::gotime::GoWeekday>()
        .map(|w| i64::from(w.0))
}

/// Go's `int64(f)` conversion as amd64 performs it: truncation toward zero, and the
/// "integer indefinite" value `math.MinInt64` for NaN and out-of-range values.
pub fn float_to_int64(f: f64) -> i64 {
    // 2^63 as f64: values outside [-2^63, 2^63) do not fit.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if f.is_nan() || !(-LIMIT..LIMIT).contains(&f) {
        i64::MIN
    } else {
        f as i64
    }
}

/// spf13/cast `ToFloat64`: numbers converted, strings parsed with `strconv.ParseFloat`,
/// booleans 0/1; everything else (and parse failures) 0.
pub fn to_float64(v: &Value) -> f64 {
    match v {
        Value::Int(n, _) => *n as f64,
        Value::Uint(n, _) => *n as f64,
        Value::Float(f) => *f,
        Value::String(s) => parse_float(s).unwrap_or(0.0),
        Value::Bool(true) => 1.0,
        Value::Bool(false) => 0.0,
        Value::Object(o) => named_int(o.as_any()).unwrap_or(0) as f64,
        _ => 0.0,
    }
}

/// cast's `trimZeroDecimal`: `"12.00"` → `"12"`; strings whose fraction is not all zeros
/// are returned unchanged.
fn trim_zero_decimal(s: &str) -> &str {
    let bytes = s.as_bytes();
    let mut found_zero = false;
    for i in (0..bytes.len()).rev() {
        match bytes[i] {
            b'.' => {
                if found_zero {
                    return &s[..i];
                }
            }
            b'0' => found_zero = true,
            _ => return s,
        }
    }
    s
}

/// Go's `strconv.ParseInt(s, base, 64)` for base 0 (prefixes `0x`, `0o`, `0b`, leading `0`
/// for octal, `_` separators) or a fixed base 2..=36. `None` on syntax or range errors.
pub fn parse_int(s: &str, base: u32) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let mag = parse_uint(body, base)?;
    if neg {
        if mag > 1u64 << 63 {
            None
        } else {
            Some((mag as i64).wrapping_neg())
        }
    } else if mag > i64::MAX as u64 {
        None
    } else {
        Some(mag as i64)
    }
}

/// Go's `strconv.ParseUint(s, base, 64)` (see [`parse_int`]).
pub fn parse_uint(s: &str, base: u32) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let orig = s;
    let (base, digits, base0) = if base == 0 {
        let b = s.as_bytes();
        if b[0] == b'0' {
            if s.len() >= 3 && matches!(b[1].to_ascii_lowercase(), b'x' | b'o' | b'b') {
                let base = match b[1].to_ascii_lowercase() {
                    b'x' => 16,
                    b'o' => 8,
                    _ => 2,
                };
                (base, &s[2..], true)
            } else {
                (8, &s[1..], true)
            }
        } else {
            (10, s, true)
        }
    } else {
        (base, s, false)
    };
    let mut n: u64 = 0;
    let mut underscores = false;
    for c in digits.chars() {
        if c == '_' && base0 {
            underscores = true;
            continue;
        }
        let d = c.to_digit(36)?;
        if d >= base {
            return None;
        }
        n = n.checked_mul(u64::from(base))?.checked_add(u64::from(d))?;
    }
    if underscores && !underscore_ok(orig) {
        return None;
    }
    Some(n)
}

/// Go's `underscoreOK`: `_` only between digits (or after a base prefix).
fn underscore_ok(s: &str) -> bool {
    let mut b = s.as_bytes();
    if let Some(b'+' | b'-') = b.first() {
        b = &b[1..];
    }
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = b[1].eq_ignore_ascii_case(&b'x');
    }
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || (hex && c.to_ascii_lowercase().is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// Go's `strconv.ParseFloat(s, 64)`: decimal and hexadecimal (`0x1p-2`) literals with
/// optional `_` separators, `inf`/`infinity`/`nan` in any case. `None` on syntax errors and
/// on overflow (where Go returns ±Inf with a range error).
pub fn parse_float(s: &str) -> Option<f64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    if body.eq_ignore_ascii_case("inf") || body.eq_ignore_ascii_case("infinity") {
        return Some(if neg {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if s.len() == 3 && s.eq_ignore_ascii_case("nan") {
        return Some(f64::NAN);
    }
    if body.contains('_') && !underscore_ok(s) {
        return None;
    }
    let clean: String = body.chars().filter(|c| *c != '_').collect();
    // Compare bytes: the input may start with a multi-byte character.
    let v = if clean.len() > 2 && clean.as_bytes()[..2].eq_ignore_ascii_case(b"0x") {
        parse_hex_float(&clean[2..])?
    } else {
        if clean.is_empty()
            || !clean
                .bytes()
                .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
            || !clean.bytes().any(|c| c.is_ascii_digit())
        {
            return None;
        }
        let v: f64 = clean.parse().ok()?;
        if v.is_infinite() {
            return None;
        }
        v
    };
    Some(if neg { -v } else { v })
}

/// Hexadecimal float body after `0x`: hex mantissa with optional `.`, mandatory `p` exponent.
fn parse_hex_float(s: &str) -> Option<f64> {
    let (mant, exp) = s.split_once(['p', 'P'])?;
    let exp: i32 = exp.parse().ok()?;
    let (int_part, frac_part) = mant.split_once('.').unwrap_or((mant, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for c in int_part.chars() {
        v = v * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac_part.chars() {
        v += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    let r = v * 2f64.powi(exp);
    if r.is_infinite() { None } else { Some(r) }
}

#[cfg(test)]
mod tests {
    use super::parse_float;

    /// Found by fuzzing (`durationRoundTo "\u{fffd}h15m29s" "2p"`): a leading multi-byte
    /// character made the `0x` prefix check slice inside it. Go's `strconv.ParseFloat` reports
    /// a syntax error for such input, and parses hexadecimal floats such as `0x1p-2` (0.25).
    #[test]
    fn multibyte_input_is_a_syntax_error_not_a_panic() {
        assert_eq!(parse_float("\u{fffd}h15m29s"), None);
        assert_eq!(parse_float("é1"), None);
        assert_eq!(parse_float("0x1p-2"), Some(0.25));
    }
}
