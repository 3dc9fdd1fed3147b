//! Map key order of go-yaml's encoder (`sorter.go`, `keyList.Less`) for string keys.
//!
//! Not plain byte order: runs of digits compare by numeric value (`a2` < `a10`), and at the
//! first differing rune a letter sorts after a non-letter. v3 changed one rule: when the
//! preceding runes were digits, a letter sorts before a non-letter.

use unicode_general_category::{GeneralCategory, get_general_category};

use super::resolve::Flavor;

/// Go `unicode.IsLetter`: general categories Lu, Ll, Lt, Lm, Lo.
fn is_letter(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    matches!(
        get_general_category(c),
        GeneralCategory::UppercaseLetter
            | GeneralCategory::LowercaseLetter
            | GeneralCategory::TitlecaseLetter
            | GeneralCategory::ModifierLetter
            | GeneralCategory::OtherLetter
    )
}

/// Go `unicode.IsDigit`: general category Nd.
fn is_digit(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    get_general_category(c) == GeneralCategory::DecimalNumber
}

/// go-yaml's `keyList.Less(a, b)` for two string keys.
pub(crate) fn less(a: &str, b: &str, flavor: Flavor) -> bool {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let mut digits = false;
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        if ar[i] == br[i] {
            digits = is_digit(ar[i]);
            i += 1;
            continue;
        }
        let al = is_letter(ar[i]);
        let bl = is_letter(br[i]);
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return if flavor == Flavor::V3 && digits {
                al
            } else {
                bl
            };
        }
        // Numeric runs: compare their values (Go's int64 arithmetic wraps on overflow).
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 && is_digit(ar[j - 1]) {
                j -= 1;
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && is_digit(ar[ai]) {
            an = an
                .wrapping_mul(10)
                .wrapping_add(i64::from(ar[ai] as u32) - i64::from(b'0'));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && is_digit(br[bi]) {
            bn = bn
                .wrapping_mul(10)
                .wrapping_add(i64::from(br[bi] as u32) - i64::from(b'0'));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}

/// Sorts keys the way go-yaml's encoder orders a map's keys.
///
/// go-yaml's comparison is not a total order for every key set (e.g. some keys with leading
/// zeros), so Rust's `sort_by` (which may panic on such comparators) is not used: this is a
/// plain stable merge sort that accepts any comparison. Where the comparison is consistent
/// the result equals Go's; where it is not, Go's own order depends on map iteration order.
pub(crate) fn sort_keys(keys: &mut Vec<&str>, flavor: Flavor) {
    let mut buffer: Vec<&str> = Vec::with_capacity(keys.len());
    let mut width = 1;
    while width < keys.len() {
        buffer.clear();
        let mut start = 0;
        while start < keys.len() {
            let mid = (start + width).min(keys.len());
            let end = (start + 2 * width).min(keys.len());
            let (mut i, mut j) = (start, mid);
            while i < mid && j < end {
                // Take from the right run only when strictly less: keeps the sort stable.
                if less(keys[j], keys[i], flavor) {
                    buffer.push(keys[j]);
                    j += 1;
                } else {
                    buffer.push(keys[i]);
                    i += 1;
                }
            }
            buffer.extend_from_slice(&keys[i..mid]);
            buffer.extend_from_slice(&keys[j..end]);
            start = end;
        }
        std::mem::swap(keys, &mut buffer);
        width *= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order() {
        let mut keys = vec!["a10", "a2", "b", "A", "_x", "1"];
        sort_keys(&mut keys, Flavor::V2);
        // Order produced by the Go oracle (go-yaml v2) for these keys.
        assert_eq!(keys, vec!["_x", "1", "A", "a2", "a10", "b"]);
    }
}
