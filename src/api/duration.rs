//! Go duration strings (`time.ParseDuration` as used by `metav1.Duration`) in resource specs.
//!
//! Specs accept the subset Flux's CRDs accept, enforced by the CRD pattern [`DURATION_PATTERN`]:
//! one or more `<decimal><unit>` terms with units `ms`, `s`, `m`, `h` (e.g. `10m`, `1h30m`,
//! `1.5s`). [`parse`] reads that subset into a [`std::time::Duration`].

use std::time::Duration;

/// The OpenAPI pattern duration fields carry in the CRD (the subset of Go's
/// `time.ParseDuration` syntax that Flux's CRDs accept).
pub const DURATION_PATTERN: &str = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$";

/// Why a duration string could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DurationError {
    /// The text does not match `<decimal><unit>` terms with units ms, s, m, h.
    #[error("invalid duration {text:?}: expected terms like 30s, 10m or 1h30m (units ms, s, m, h)")]
    Syntax {
        /// The rejected text.
        text: String,
    },
    /// The value does not fit in a `Duration`.
    #[error("duration {text:?} is too large")]
    Overflow {
        /// The rejected text.
        text: String,
    },
}

/// Parses a duration such as `10m`, `1h30m`, `250ms` or `1.5s`.
///
/// Errors: [`DurationError::Syntax`] for anything outside [`DURATION_PATTERN`] (including the
/// empty string and units Go accepts that the CRDs do not: `us`, `ns`), and
/// [`DurationError::Overflow`] past `u64` nanoseconds.
pub fn parse(text: &str) -> Result<Duration, DurationError> {
    let syntax = || DurationError::Syntax {
        text: text.to_owned(),
    };
    if text.is_empty() {
        return Err(syntax());
    }
    let mut total_nanos: u128 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(syntax)?;
        let (number, after) = rest.split_at(number_len);
        let (unit_nanos, unit_len) = if after.starts_with("ms") {
            (1_000_000u128, 2)
        } else if after.starts_with('s') {
            (1_000_000_000, 1)
        } else if after.starts_with('m') {
            (60_000_000_000, 1)
        } else if after.starts_with('h') {
            (3_600_000_000_000, 1)
        } else {
            return Err(syntax());
        };
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty()
            || (number.contains('.') && fraction.is_empty())
            || fraction.contains('.')
        {
            return Err(syntax());
        }
        let whole: u128 = whole.parse().map_err(|_| DurationError::Overflow {
            text: text.to_owned(),
        })?;
        let mut term = whole.checked_mul(unit_nanos);
        // Fractions: keep at most as many digits as nanosecond precision can use.
        let mut scale = unit_nanos;
        for digit in fraction.bytes() {
            scale /= 10;
            term = term.and_then(|t| t.checked_add(u128::from(digit - b'0') * scale));
        }
        total_nanos = term
            .and_then(|t| total_nanos.checked_add(t))
            .ok_or_else(|| DurationError::Overflow {
                text: text.to_owned(),
            })?;
        rest = &after[unit_len..];
    }
    let nanos = u64::try_from(total_nanos).map_err(|_| DurationError::Overflow {
        text: text.to_owned(),
    })?;
    Ok(Duration::from_nanos(nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_go_duration_terms() {
        // Expectations from Go's time.ParseDuration documentation and arithmetic.
        assert_eq!(parse("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse("0s"), Ok(Duration::ZERO));
        assert_eq!(parse("2h0m5s"), Ok(Duration::from_secs(7205)));
    }

    #[test]
    #[allow(clippy::expect_used, reason = "test")]
    fn rejects_what_the_crd_pattern_rejects() {
        for bad in [
            "", "10", "m", "1.s", ".5s", "5us", "1d", "-1s", "1 s", "1.2.3s",
        ] {
            assert!(
                matches!(parse(bad), Err(DurationError::Syntax { .. })),
                "{bad:?} should be rejected"
            );
        }
        let pattern = regex::Regex::new(DURATION_PATTERN).expect("pattern compiles");
        for good in ["10m", "1h30m", "250ms", "1.5s"] {
            assert!(pattern.is_match(good) && parse(good).is_ok());
        }
    }

    #[test]
    fn overflow_is_an_error() {
        assert!(matches!(
            parse("99999999999999999999h"),
            Err(DurationError::Overflow { .. })
        ));
    }
}
