//! Go's `%q` / `strconv.Quote` for the messages this module reproduces.
//!
//! Follows Go's `strconv/quote.go`: printable runes are kept, `"` and `\` are backslash-escaped,
//! the C escapes `\a \b \f \n \r \t \v` are used where they exist, other bytes below 0x20 and
//! 0x7f become `\xHH`, and other non-printable runes become `\uHHHH` or `\UHHHHHHHH`.
//!
//! Go decides printability with Unicode tables (`unicode.IsPrint`: categories L, M, N, P, S plus
//! the ASCII space). Without those tables this treats as non-printable: control characters,
//! space and line/paragraph separators other than U+0020, the format characters, private-use
//! code points and noncharacters. Unassigned code points are treated as printable, where Go
//! would escape them; they only ever show up when quoting invalid user input.

use std::fmt::Write as _;

/// Quotes `text` as Go's `strconv.Quote` does (see the module docs for the one approximation).
pub(crate) fn quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for ch in text.chars() {
        match ch {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\u{7}' => quoted.push_str("\\a"),
            '\u{8}' => quoted.push_str("\\b"),
            '\u{c}' => quoted.push_str("\\f"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            '\u{b}' => quoted.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(quoted, "\\x{:02x}", c as u32);
            }
            c if is_printable(c) => quoted.push(c),
            c if (c as u32) < 0x10000 => {
                let _ = write!(quoted, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(quoted, "\\U{:08x}", c as u32);
            }
        }
    }
    quoted.push('"');
    quoted
}

/// Approximates Go's `unicode.IsPrint` for runes at or above U+0020 (see module docs).
fn is_printable(ch: char) -> bool {
    let code = ch as u32;
    if code < 0x7f {
        return true;
    }
    if ch.is_control() {
        return false;
    }
    let non_printable = matches!(code,
        // Space separators other than U+0020, and the line and paragraph separators.
        0xa0 | 0x1680 | 0x2000..=0x200a | 0x2028 | 0x2029 | 0x202f | 0x205f | 0x3000
        // Format characters (category Cf).
        | 0xad | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x890..=0x891 | 0x8e2 | 0x180e
        | 0x200b..=0x200f | 0x202a..=0x202e | 0x2060..=0x2064 | 0x2066..=0x206f | 0xfeff
        | 0xfff9..=0xfffb | 0x110bd | 0x110cd | 0x13430..=0x1343f | 0x1bca0..=0x1bca3
        | 0x1d173..=0x1d17a | 0xe0001 | 0xe0020..=0xe007f
        // Private use (category Co).
        | 0xe000..=0xf8ff | 0xf0000..=0x10ffff
        // Noncharacters (unassigned, category Cn).
        | 0xfdd0..=0xfdef
    ) || (code & 0xfffe) == 0xfffe;
    !non_printable
}

#[cfg(test)]
#[allow(clippy::expect_used, reason = "a failed expectation is a failed test")]
mod tests {
    use super::quote;

    // Expected strings are what Go's fmt.Sprintf("%q", s) prints for these inputs.
    #[test]
    fn quotes_like_go() {
        assert_eq!(quote(""), r#""""#);
        assert_eq!(quote("1.2.3"), r#""1.2.3""#);
        assert_eq!(quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(quote("\t\n\r\u{b}\u{c}\u{7}\u{8}"), r#""\t\n\r\v\f\a\b""#);
        assert_eq!(quote("\u{0}\u{1f}\u{7f}"), r#""\x00\x1f\x7f""#);
        assert_eq!(quote("≥ü"), "\"≥ü\"");
        assert_eq!(quote("\u{a0}\u{85}\u{feff}"), r#""\u00a0\u0085\ufeff""#);
        assert_eq!(quote("\u{f0000}"), r#""\U000f0000""#);
    }
}
