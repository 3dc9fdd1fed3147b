//! Go's `strconv` number formatting and parsing, as the Go codecs apply it.
//!
//! Helm's encoders print numbers with `strconv.FormatFloat(f, 'g'|'e'|'f', -1, 64|32)`
//! (shortest digits that round-trip) and read them with `strconv.ParseInt(s, 0, 64)`,
//! `strconv.ParseUint(s, 0, 64)` and `strconv.ParseFloat(s, 64)`. Rust's shortest float
//! printing yields the same digits (both are shortest round-trip algorithms); only the
//! layout rules differ, and those are reproduced here from Go's `strconv/ftoa.go`.

/// The shortest decimal digits of a float: `value = 0.DIGITS × 10^point`.
struct Shortest {
    negative: bool,
    /// ASCII digits without leading or trailing zeros; empty for zero.
    digits: Vec<u8>,
    /// Position of the decimal point relative to the first digit.
    point: i32,
}

fn shortest(f: f64, single: bool) -> Shortest {
    let negative = f.is_sign_negative();
    let text = if single {
        // Go's bitSize 32 first rounds to float32, then prints its shortest digits.
        format!("{:e}", (f as f32).abs())
    } else {
        format!("{:e}", f.abs())
    };
    let (mantissa, exponent) = text.split_once('e').unwrap_or((text.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let mut digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    if digits.is_empty() {
        return Shortest {
            negative,
            digits,
            point: 0,
        };
    }
    let point = exponent + 1;
    if !single {
        break_tie_to_even(f.abs(), &mut digits, point);
    }
    Shortest {
        negative,
        digits,
        point,
    }
}

/// When the exact value lies exactly halfway between two shortest candidates, Go's Ryu
/// (`strconv/ftoaryu.go`) picks the one with the even last digit; Rust's formatter may pick
/// the other (e.g. 637143622511419.25 prints as `...419.2` in Go). Both round-trip, so the
/// even one is chosen here.
fn break_tie_to_even(f: f64, digits: &mut [u8], point: i32) {
    let Some(&last) = digits.last() else {
        return;
    };
    let (exact, exact_point) = exact_decimal(f);
    let n = digits.len();
    // Align: the candidate's digits cover positions [0, n) relative to `point`.
    let shift = exact_point - point;
    let digit_at = |i: i64| -> u8 {
        let j = i + i64::from(shift);
        if j < 0 || j as usize >= exact.len() {
            0
        } else {
            exact[j as usize] - b'0'
        }
    };
    // The exact value's digits beyond the candidate must be exactly 5000...
    if digit_at(n as i64) != 5 {
        return;
    }
    let first_after = n as i64 + 1 + i64::from(shift);
    if first_after >= 0 && exact.iter().skip(first_after as usize).any(|&d| d != b'0') {
        return;
    }
    let truncated_last = digit_at(n as i64 - 1);
    let truncated_prefix_matches =
        (0..n as i64 - 1).all(|i| digit_at(i) == digits[i as usize] - b'0');
    if !truncated_prefix_matches {
        return;
    }
    let last = last - b'0';
    if last == truncated_last + 1 && truncated_last % 2 == 0 {
        digits[n - 1] = b'0' + truncated_last;
    } else if last == truncated_last && last % 2 == 1 && last < 9 {
        digits[n - 1] = b'0' + last + 1;
    }
}

/// The exact decimal digits of a finite positive f64 and the position of its decimal point
/// (`value = 0.DIGITS × 10^point`), using a small base-10^9 big integer.
fn exact_decimal(f: f64) -> (Vec<u8>, i32) {
    let bits = f.to_bits();
    let exp_bits = ((bits >> 52) & 0x7ff) as i32;
    let mut mantissa = bits & ((1u64 << 52) - 1);
    let exp = if exp_bits == 0 {
        -1074
    } else {
        mantissa |= 1u64 << 52;
        exp_bits - 1075
    };
    // value = mantissa × 2^exp. For exp < 0 write it as mantissa × 5^-exp / 10^-exp.
    let mut big: Vec<u32> = vec![
        (mantissa % 1_000_000_000) as u32,
        (mantissa / 1_000_000_000 % 1_000_000_000) as u32,
        (mantissa / 1_000_000_000_000_000_000) as u32,
    ];
    let multiply = |big: &mut Vec<u32>, by: u32| {
        let mut carry = 0u64;
        for limb in big.iter_mut() {
            let v = u64::from(*limb) * u64::from(by) + carry;
            *limb = (v % 1_000_000_000) as u32;
            carry = v / 1_000_000_000;
        }
        while carry > 0 {
            big.push((carry % 1_000_000_000) as u32);
            carry /= 1_000_000_000;
        }
    };
    let (times, by, scale) = if exp >= 0 {
        (exp, 2, 0)
    } else {
        (-exp, 5, -exp)
    };
    for _ in 0..times {
        multiply(&mut big, by);
    }
    while big.len() > 1 && big.last() == Some(&0) {
        big.pop();
    }
    let mut text = big.last().map(u32::to_string).unwrap_or_default();
    for limb in big.iter().rev().skip(1) {
        text.push_str(&format!("{limb:09}"));
    }
    let digits: Vec<u8> = text.into_bytes();
    let point = digits.len() as i32 - scale;
    (digits, point)
}

fn push_e(out: &mut String, s: &Shortest) {
    let first = s.digits.first().copied().unwrap_or(b'0');
    out.push(first as char);
    if s.digits.len() > 1 {
        out.push('.');
        for &d in &s.digits[1..] {
            out.push(d as char);
        }
    }
    out.push('e');
    let exp = if s.digits.is_empty() { 0 } else { s.point - 1 };
    out.push(if exp < 0 { '-' } else { '+' });
    let abs = exp.unsigned_abs();
    if abs < 10 {
        out.push('0');
    }
    out.push_str(&abs.to_string());
}

fn push_f(out: &mut String, s: &Shortest) {
    let nd = s.digits.len() as i32;
    if s.point > 0 {
        for i in 0..s.point {
            out.push(if i < nd {
                s.digits[i as usize] as char
            } else {
                '0'
            });
        }
    } else {
        out.push('0');
    }
    let precision = (nd - s.point).max(0);
    if precision > 0 {
        out.push('.');
        for i in 0..precision {
            let at = s.point + i;
            out.push(if at >= 0 && at < nd {
                s.digits[at as usize] as char
            } else {
                '0'
            });
        }
    }
}

fn special(f: f64) -> Option<&'static str> {
    if f.is_nan() {
        Some("NaN")
    } else if f == f64::INFINITY {
        Some("+Inf")
    } else if f == f64::NEG_INFINITY {
        Some("-Inf")
    } else {
        None
    }
}

/// `strconv.FormatFloat(f, 'g', -1, 64)` (or bit size 32 when `single`): `1e+06`,
/// `1.5e-07`, `3`, `0.0001`, `-0`, `+Inf`, `NaN`.
pub(crate) fn format_g(f: f64, single: bool) -> String {
    if let Some(s) = special(f) {
        return s.to_owned();
    }
    let s = shortest(f, single);
    let mut out = String::new();
    if s.negative {
        out.push('-');
    }
    let exp = s.point - 1;
    if !s.digits.is_empty() && !(-4..6).contains(&exp) {
        push_e(&mut out, &s);
    } else {
        push_f(&mut out, &s);
    }
    out
}

/// Go `encoding/json` float output: `'f'` layout for `1e-6 <= |f| < 1e21`, otherwise `'e'`
/// with a one-digit negative exponent unpadded (`1e-7`, `1e+21`). Callers reject NaN and
/// infinities first (Go's `UnsupportedValueError`).
pub(crate) fn format_json_float(f: f64) -> String {
    let s = shortest(f, false);
    let mut out = String::new();
    if s.negative {
        out.push('-');
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        push_e(&mut out, &s);
        let bytes = out.as_bytes();
        let n = bytes.len();
        if n >= 4 && bytes[n - 4] == b'e' && bytes[n - 3] == b'-' && bytes[n - 2] == b'0' {
            let last = bytes[n - 1] as char;
            out.truncate(n - 2);
            out.push(last);
        }
    } else {
        push_f(&mut out, &s);
    }
    out
}

/// Splits an optional sign and a Go base prefix the way `strconv.ParseUint(s, 0, 64)` does.
fn parse_u64_base0(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let b = s.as_bytes();
    let (base, body) = if b[0] == b'0' {
        if s.len() >= 3 && (b[1] | 0x20) == b'b' {
            (2, &s[2..])
        } else if s.len() >= 3 && (b[1] | 0x20) == b'o' {
            (8, &s[2..])
        } else if s.len() >= 3 && (b[1] | 0x20) == b'x' {
            (16, &s[2..])
        } else {
            (8, &s[1..])
        }
    } else {
        (10, s)
    };
    // Go accepts underscores between digits only with base 0; every caller strips them
    // first (go-yaml removes all `_` before parsing), so any left over is a syntax error.
    let mut n: u64 = 0;
    for c in body.bytes() {
        let d = match c {
            b'0'..=b'9' => u64::from(c - b'0'),
            b'a'..=b'z' => u64::from(c - b'a' + 10),
            b'A'..=b'Z' => u64::from(c - b'A' + 10),
            _ => return None,
        };
        if d >= base {
            return None;
        }
        n = n.checked_mul(base)?.checked_add(d)?;
    }
    // "0" leaves an empty octal body (value 0); "0x"/"0b" with no digits never get here
    // because the prefix needs three characters.
    if body.is_empty() && base != 8 {
        return None;
    }
    Some(n)
}

/// `strconv.ParseInt(s, 0, 64)`: optional sign, then `0b`/`0o`/`0x`/leading-`0` octal or decimal.
pub(crate) fn parse_int_base0(s: &str) -> Option<i64> {
    let (negative, body) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let magnitude = parse_u64_base0(body)?;
    if negative {
        if magnitude <= i64::MAX as u64 + 1 {
            Some((magnitude as i128).wrapping_neg() as i64)
        } else {
            None
        }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// `strconv.ParseUint(s, 0, 64)`: like [`parse_int_base0`] but unsigned and without a sign.
pub(crate) fn parse_uint_base0(s: &str) -> Option<u64> {
    if s.starts_with(['+', '-']) {
        return None;
    }
    parse_u64_base0(s)
}

/// `strconv.ParseInt(s, base, 64)` for an explicit base (no prefix, optional sign).
pub(crate) fn parse_int_radix(s: &str, base: u32) -> Option<i64> {
    if s.is_empty() || s.contains('_') {
        return None;
    }
    i64::from_str_radix(s, base).ok()
}

/// `strconv.ParseUint(s, base, 64)` for an explicit base.
pub(crate) fn parse_uint_radix(s: &str, base: u32) -> Option<u64> {
    if s.is_empty() || s.starts_with(['+', '-']) || s.contains('_') {
        return None;
    }
    u64::from_str_radix(s, base).ok()
}

/// `strconv.ParseFloat(s, 64)` restricted to success without range error: returns `None`
/// where Go returns an error (syntax or out of range). Accepts Go's forms: decimal with
/// optional exponent, `inf`/`infinity`/`nan` in any case with optional sign, and hexadecimal
/// mantissas with a `p` exponent.
pub(crate) fn parse_float(s: &str) -> Option<f64> {
    // Go accepts `_` between digits (`1_000.5`, `.5_0755`); anything else is a syntax error.
    if s.contains('_') {
        if !underscore_ok(s) {
            return None;
        }
        return parse_float(&s.replace('_', ""));
    }
    let (negative, body) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Some(if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if lower == "nan" {
        // Go accepts only an unsigned "nan".
        return if s.len() == body.len() {
            Some(f64::NAN)
        } else {
            None
        };
    }
    if let Some(hex) = lower.strip_prefix("0x") {
        return parse_hex_float(hex).map(|v| if negative { -v } else { v });
    }
    // Decimal: digits with at most one '.', at least one digit, optional e[+-]digits.
    // Underscores are only legal with a base prefix in Go, so they fail here.
    let bytes = body.as_bytes();
    let mut i = 0;
    let mut mantissa_digits = 0;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
        mantissa_digits += 1;
    }
    if i < bytes.len() && bytes[i] == b'.' {
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
            mantissa_digits += 1;
        }
    }
    if mantissa_digits == 0 {
        return None;
    }
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        i += 1;
        if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    if i != bytes.len() {
        return None;
    }
    let v: f64 = body.parse().ok()?;
    if v.is_infinite() {
        return None;
    }
    Some(if negative { -v } else { v })
}

/// Go `strconv.underscoreOK`: every `_` sits between digits (a base prefix counts as one).
fn underscore_ok(s: &str) -> bool {
    let b = s.strip_prefix(['+', '-']).unwrap_or(s).as_bytes();
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1] | 0x20, b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = b[1] | 0x20 == b'x';
    }
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || (hex && (c | 0x20).is_ascii_hexdigit()) {
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

fn parse_hex_float(s: &str) -> Option<f64> {
    let (mantissa, exponent) = s.split_once('p')?;
    let exponent: i32 = exponent.parse().ok()?;
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut value = 0f64;
    for c in int_part.chars().chain(frac_part.chars()) {
        value = value * 16.0 + f64::from(c.to_digit(16)?);
    }
    let scale = exponent - 4 * frac_part.len() as i32;
    let v = value * 2f64.powi(scale);
    if v.is_infinite() { None } else { Some(v) }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected strings are Go's documented FormatFloat / encoding/json outputs.
    #[test]
    fn formats_like_go() {
        assert_eq!(format_g(1e6, false), "1e+06");
        assert_eq!(format_g(1.5e-7, false), "1.5e-07");
        assert_eq!(format_g(3.0, false), "3");
        assert_eq!(format_g(-0.0, false), "-0");
        assert_eq!(format_g(123456789.5, false), "1.234567895e+08");
        assert_eq!(format_g(0.0001, false), "0.0001");
        assert_eq!(format_g(0.1, true), "0.1");
        assert_eq!(format_json_float(1.5e-7), "1.5e-7");
        assert_eq!(format_json_float(1e21), "1e+21");
        assert_eq!(format_json_float(1e20), "100000000000000000000");
        assert_eq!(format_json_float(0.000001), "0.000001");
        assert_eq!(format_json_float(-0.0), "-0");
        // Exact ties between two shortest forms go to the even digit (Go oracle).
        assert_eq!(format_json_float(637143622511419.2), "637143622511419.2");
        assert_eq!(format_g(637143622511419.2, false), "6.371436225114192e+14");
    }

    #[test]
    fn parses_like_go() {
        assert_eq!(parse_int_base0("0x1F"), Some(31));
        assert_eq!(parse_int_base0("0755"), Some(493));
        assert_eq!(parse_int_base0("0o17"), Some(15));
        assert_eq!(parse_int_base0("08"), None);
        assert_eq!(parse_int_base0("0"), Some(0));
        assert_eq!(parse_int_base0("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_uint_base0("18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_float("1e400"), None);
        assert_eq!(parse_float(".5"), Some(0.5));
        assert_eq!(parse_float("5."), Some(5.0));
        assert_eq!(parse_float("0x1p-2"), Some(0.25));
        // Go strconv.ParseFloat results (checked with a Go program).
        assert_eq!(parse_float(".5_0755"), Some(0.50755));
        assert_eq!(parse_float("1_000.5"), Some(1000.5));
        assert_eq!(parse_float("._5"), None);
        assert_eq!(parse_float("1__0"), None);
        assert_eq!(parse_float(".5_"), None);
    }
}
