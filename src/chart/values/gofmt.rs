//! The few pieces of Go's `fmt`/`strconv` text that Helm's values messages contain.
//!
//! Go sources followed: `strconv/quote.go` (`Quote`, `QuoteRune`), `fmt/print.go` (`%v`, `%T`
//! for the dynamic types a values tree holds), `unicode/graphic.go` (`IsPrint`).

use std::fmt::Write as _;

use serde_json::Value;
use unicode_general_category::{GeneralCategory as G, get_general_category};

/// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and U+0020.
fn is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    matches!(
        get_general_category(c),
        G::UppercaseLetter
            | G::LowercaseLetter
            | G::TitlecaseLetter
            | G::ModifierLetter
            | G::OtherLetter
            | G::NonspacingMark
            | G::SpacingMark
            | G::EnclosingMark
            | G::DecimalNumber
            | G::LetterNumber
            | G::OtherNumber
            | G::ConnectorPunctuation
            | G::DashPunctuation
            | G::OpenPunctuation
            | G::ClosePunctuation
            | G::InitialPunctuation
            | G::FinalPunctuation
            | G::OtherPunctuation
            | G::MathSymbol
            | G::CurrencySymbol
            | G::ModifierSymbol
            | G::OtherSymbol
    )
}

fn push_escaped(out: &mut String, c: char, quote: char) {
    if c == quote || c == '\\' {
        out.push('\\');
        out.push(c);
        return;
    }
    if is_print(c) {
        out.push(c);
        return;
    }
    match c {
        '\u{7}' => out.push_str("\\a"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{b}' => out.push_str("\\v"),
        _ => {
            let r = c as u32;
            let _ = if r < 0x20 || r == 0x7f {
                write!(out, "\\x{r:02x}")
            } else if r < 0x10000 {
                write!(out, "\\u{r:04x}")
            } else {
                write!(out, "\\U{r:08x}")
            };
        }
    }
}

/// Go's `strconv.Quote` (the `%q` verb on a string).
pub(crate) fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        push_escaped(&mut out, c, '"');
    }
    out.push('"');
    out
}

/// Go's `%q` on a `[]rune`: every rune as `strconv.QuoteRune`, space separated, in brackets.
pub(crate) fn quote_runes(text: &str) -> String {
    let mut out = String::from("[");
    for (i, c) in text.chars().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push('\'');
        push_escaped(&mut out, c, '\'');
        out.push('\'');
    }
    out.push(']');
    out
}

/// Go's `%T` of a values-tree node (`int64` for integers, `float64` for floats).
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "nil",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// Go's `%v` of a float64 (`strconv` `'g'`, shortest): exponent form below 1e-4 and from 1e6 on.
pub(crate) fn float_v(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    // Rust's `{:e}` gives the shortest round-trip digits, e.g. "1.5e3" or "-2e-7".
    let sci = format!("{f:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    if !(-4..6).contains(&exponent) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(
            out,
            "e{}{:02}",
            if exponent < 0 { '-' } else { '+' },
            exponent.abs()
        );
    } else if exponent < 0 {
        out.push_str("0.");
        for _ in 0..(-exponent - 1) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let point = exponent as usize + 1;
        if digits.len() <= point {
            out.push_str(&digits);
            for _ in digits.len()..point {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..point]);
            out.push('.');
            out.push_str(&digits[point..]);
        }
    }
    out
}

/// Go's `fmt.Sprintf("%v", v)` for a values-tree node (`<nil>`, `map[a:1 b:x]`, `[1 2]`).
pub(crate) fn sprint_v(value: &Value) -> String {
    let mut out = String::new();
    write_v(&mut out, value);
    out
}

fn write_v(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (_, _, Some(f)) if n.is_f64() => out.push_str(&float_v(f)),
            (Some(i), _, _) => {
                let _ = write!(out, "{i}");
            }
            (_, Some(u), _) => {
                let _ = write!(out, "{u}");
            }
            _ => {}
        },
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                stacker::maybe_grow(32 * 1024, 1024 * 1024, || write_v(out, item));
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push_str("map[");
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                stacker::maybe_grow(32 * 1024, 1024 * 1024, || write_v(out, v));
            }
            out.push(']');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_like_go() {
        // Expected texts are Go 1.26 `fmt.Sprintf("%q", ...)` outputs.
        assert_eq!(quote("a\"b\\c\n\u{7f}é\u{a0}"), r#""a\"b\\c\n\x7fé\u00a0""#);
        assert_eq!(quote_runes("x'\""), r#"['x' '\'' '"']"#);
    }

    #[test]
    fn floats_like_go_v() {
        // Go: fmt.Sprint of each value.
        assert_eq!(float_v(1e21), "1e+21");
        assert_eq!(float_v(1e20), "1e+20");
        assert_eq!(float_v(100000.0), "100000");
        assert_eq!(float_v(1.5), "1.5");
        assert_eq!(float_v(0.0001), "0.0001");
        assert_eq!(float_v(0.00001), "1e-05");
        assert_eq!(float_v(123456789.125), "1.23456789125e+08");
        assert_eq!(float_v(-2.5e-7), "-2.5e-07");
    }
}
