//! Points in time as Helm's release records carry them: Go `time.Time` values written by
//! `encoding/json` (RFC 3339 with up to nine fraction digits, trailing zeros dropped, `Z` for
//! UTC, otherwise the `±hh:mm` offset the time was made in).
//!
//! Go's zero time (`0001-01-01T00:00:00Z`) means "not set". Helm 4 omits unset times
//! (`omitzero`) except where its struct tags always write them (a chart's `schemamodtime`, a
//! lock's `generated`); Helm 3 wrote unset times as `""` (its `helm.sh/helm/v3/pkg/time`), which
//! Helm 4's `Info` and `HookExecution` decoders read as unset. Here an unset time is `None`, and
//! the serde helpers [`optional`] and [`always`] read `""`, `null` and the zero time as `None`.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Datelike, FixedOffset, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serializer};

/// Errors from reading a time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    /// The text is not an RFC 3339 time.
    #[error("invalid RFC 3339 time {text:?}: {reason}")]
    Syntax {
        /// The text read.
        text: String,
        /// The parser's explanation.
        reason: String,
    },
    /// The year is outside 0..=9999, which Go's `time.Time.MarshalJSON` refuses.
    #[error("time {text:?} has a year outside 0..=9999")]
    YearOutOfRange {
        /// The time as RFC 3339.
        text: String,
    },
}

/// A point in time with the UTC offset it was recorded in (Go: `time.Time` without a
/// monotonic reading). Years are limited to 0..=9999, the range Go can write to JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timestamp(DateTime<FixedOffset>);

impl Timestamp {
    /// The UTC time `seconds` + `nanos` after the Unix epoch; `None` when `nanos` is 1e9 or more
    /// or the year leaves 0..=9999.
    pub fn from_unix(seconds: i64, nanos: u32) -> Option<Timestamp> {
        let utc = DateTime::<Utc>::from_timestamp(seconds, nanos)?;
        Timestamp::checked(utc.fixed_offset())
    }

    /// The UTC time of a `SystemTime` (e.g. a clock reading taken by the caller).
    pub fn from_system_time(time: SystemTime) -> Option<Timestamp> {
        match time.duration_since(UNIX_EPOCH) {
            Ok(after) => {
                Timestamp::from_unix(i64::try_from(after.as_secs()).ok()?, after.subsec_nanos())
            }
            Err(before) => {
                let before = before.duration();
                let mut seconds = -i64::try_from(before.as_secs()).ok()?;
                let mut nanos = before.subsec_nanos();
                if nanos > 0 {
                    seconds -= 1;
                    nanos = 1_000_000_000 - nanos;
                }
                Timestamp::from_unix(seconds, nanos)
            }
        }
    }

    /// A time from a chrono value, keeping its offset.
    pub fn from_datetime(time: DateTime<FixedOffset>) -> Option<Timestamp> {
        Timestamp::checked(time)
    }

    /// Parses an RFC 3339 time (Go's `time.Time.UnmarshalJSON` accepts the same texts, up to
    /// chrono accepting `t`/`z` in lower case and a space as date/time separator).
    ///
    /// # Errors
    /// [`TimestampError::Syntax`] for other texts, [`TimestampError::YearOutOfRange`].
    pub fn parse(text: &str) -> Result<Timestamp, TimestampError> {
        let time = DateTime::parse_from_rfc3339(text).map_err(|error| TimestampError::Syntax {
            text: text.to_owned(),
            reason: error.to_string(),
        })?;
        Timestamp::checked(time).ok_or_else(|| TimestampError::YearOutOfRange {
            text: text.to_owned(),
        })
    }

    fn checked(time: DateTime<FixedOffset>) -> Option<Timestamp> {
        (0..=9999).contains(&time.year()).then_some(Timestamp(time))
    }

    /// The time as chrono holds it, with its offset.
    pub fn as_datetime(&self) -> DateTime<FixedOffset> {
        self.0
    }

    /// Whole seconds since the Unix epoch (Go: `Time.Unix`).
    pub fn unix_seconds(&self) -> i64 {
        self.0.timestamp()
    }

    /// Whether this is Go's zero time, `0001-01-01T00:00:00Z` in any offset (Go: `IsZero`).
    pub fn is_go_zero(&self) -> bool {
        self.0.with_timezone(&Utc) == go_zero()
    }

    /// Helm's JSON text for a time: Go's `RFC3339Nano` layout,
    /// `YYYY-MM-DDThh:mm:ss[.fraction]Z|±hh:mm` with the fraction's trailing zeros removed.
    pub fn to_rfc3339_go(&self) -> String {
        let t = self.0;
        let mut out = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        );
        // A leap second (nanosecond >= 1e9 in chrono) cannot come from Go or the parser here.
        let nanos = t.nanosecond() % 1_000_000_000;
        if nanos != 0 {
            let digits = format!("{nanos:09}");
            out.push('.');
            out.push_str(digits.trim_end_matches('0'));
        }
        write_offset(&mut out, t.offset().local_minus_utc());
        out
    }
}

/// Go's zero time as a UTC instant.
fn go_zero() -> DateTime<Utc> {
    // 0001-01-01T00:00:00Z is 62135596800 seconds before the Unix epoch.
    DateTime::<Utc>::from_timestamp(-62_135_596_800, 0).unwrap_or_default()
}

/// `Z07:00`: `Z` for a zero offset, else `±hh:mm` (Go's strict RFC 3339 writer refuses offsets
/// with seconds; a parsed offset never has them, and ours are rounded down to minutes).
fn write_offset(out: &mut String, seconds: i32) {
    if seconds == 0 {
        out.push('Z');
        return;
    }
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    out.push(sign);
    out.push_str(&format!("{:02}:{:02}", minutes / 60, minutes % 60));
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339_go())
    }
}

/// Reads a JSON time that may be `null`, `""` or Go's zero time (all `None`).
fn read_optional<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Timestamp>, D::Error> {
    let text = Option::<String>::deserialize(deserializer)?;
    match text.as_deref() {
        None | Some("") => Ok(None),
        Some(text) => {
            let time = Timestamp::parse(text).map_err(serde::de::Error::custom)?;
            Ok((!time.is_go_zero()).then_some(time))
        }
    }
}

/// Serde helpers for a time field Go tags `omitzero`: `None` is skipped by the field's
/// `skip_serializing_if = "Option::is_none"`; reading accepts `null`, `""` and the zero time.
pub mod optional {
    use super::*;

    /// Writes a set time as Go does.
    pub fn serialize<S: Serializer>(
        value: &Option<Timestamp>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(time) => serializer.serialize_str(&time.to_rfc3339_go()),
            None => serializer.serialize_none(),
        }
    }

    /// Reads a time, unset for `null`, `""` and Go's zero time.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Timestamp>, D::Error> {
        read_optional(deserializer)
    }
}

/// Serde helpers for a time field Go always writes: `None` is written as Go's zero time
/// `0001-01-01T00:00:00Z`.
pub mod always {
    use super::*;

    /// Writes the time, or Go's zero time when unset.
    pub fn serialize<S: Serializer>(
        value: &Option<Timestamp>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(time) => serializer.serialize_str(&time.to_rfc3339_go()),
            None => serializer.serialize_str(GO_ZERO_TIME),
        }
    }

    /// Reads a time, unset for `null`, `""` and Go's zero time.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Timestamp>, D::Error> {
        read_optional(deserializer)
    }
}

/// Go's zero `time.Time` as `encoding/json` writes it.
pub const GO_ZERO_TIME: &str = "0001-01-01T00:00:00Z";

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str) -> String {
        Timestamp::parse(text)
            .map(|t| t.to_rfc3339_go())
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn go_layout_trims_fraction_and_writes_z() {
        // Texts as Helm 4 wrote them in the fixture and Go's RFC3339Nano examples.
        assert_eq!(
            round_trip("2026-11-21T00:45:00.603046843Z"),
            "2026-11-21T00:45:00.603046843Z"
        );
        assert_eq!(
            round_trip("2026-11-21T00:45:00.500Z"),
            "2026-11-21T00:45:00.5Z"
        );
        assert_eq!(
            round_trip("2026-11-21T00:45:00.000Z"),
            "2026-11-21T00:45:00Z"
        );
        assert_eq!(
            round_trip("2026-11-21T00:45:00+00:00"),
            "2026-11-21T00:45:00Z"
        );
        assert_eq!(
            round_trip("2006-01-02T15:04:05.1-07:00"),
            "2006-01-02T15:04:05.1-07:00"
        );
        assert_eq!(
            round_trip("2006-01-02T15:04:05+05:30"),
            "2006-01-02T15:04:05+05:30"
        );
    }

    #[test]
    fn zero_and_unix() {
        let zero = Timestamp::parse(GO_ZERO_TIME).unwrap_or_else(|e| panic!("{e}"));
        assert!(zero.is_go_zero());
        assert_eq!(zero.to_rfc3339_go(), GO_ZERO_TIME);
        let t = Timestamp::from_unix(1_795_221_901, 120_000_000).unwrap_or_else(|| panic!());
        assert_eq!(t.unix_seconds(), 1_795_221_901);
        assert_eq!(t.to_rfc3339_go(), "2026-11-21T00:45:01.12Z");
        assert!(!t.is_go_zero());
        let before = UNIX_EPOCH - std::time::Duration::from_millis(1500);
        assert_eq!(
            Timestamp::from_system_time(before).map(|t| t.to_rfc3339_go()),
            Some("1969-12-31T23:59:58.5Z".to_owned())
        );
    }

    #[test]
    fn rejects_bad_text_and_years() {
        assert!(matches!(
            Timestamp::parse("yesterday"),
            Err(TimestampError::Syntax { .. })
        ));
        assert!(Timestamp::from_unix(i64::MAX / 1000, 0).is_none());
    }
}
