//! Go's `time.Time` and `time.Duration` as template values, with Go's layout-based
//! formatting and parsing (`time/format.go`), `ParseDuration` and `Duration.String`
//! (`time/time.go`), as Sprig's date functions and Helm's duration helpers need them.
//!
//! Time zones: `UTC`, fixed offsets, and IANA zones (compiled-in tz database via
//! `chrono-tz`). Go's `Local` zone is taken to be UTC, which is what Helm sees in a container
//! without `TZ` or `/etc/localtime`.

use std::any::Any;
use std::borrow::Cow;
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike};
use chrono_tz::OffsetName;

use crate::template::error::FuncError;
use crate::template::funcs::{ParamType, Signature};
use crate::template::gofmt::go_quote;
use crate::template::value::{IntKind, Object, Value};

/// Go type name of times.
pub const TIME_TYPE: &str = "time.Time";
/// Go type name of durations.
pub const DURATION_TYPE: &str = "time.Duration";

/// A time zone (Go's `*time.Location`).
#[derive(Debug, Clone, PartialEq)]
pub enum Location {
    /// `time.UTC`.
    Utc,
    /// `time.Local` (UTC here, but named `Local`).
    Local,
    /// `time.FixedZone(name, offset_seconds)`.
    Fixed(String, i32),
    /// An IANA zone.
    Named(chrono_tz::Tz),
}

impl Location {
    /// Go's `time.LoadLocation`: `""` and `UTC` are UTC, `Local` is local, others are IANA
    /// names; `None` when unknown.
    pub fn load(name: &str) -> Option<Location> {
        match name {
            "" | "UTC" => Some(Location::Utc),
            "Local" => Some(Location::Local),
            _ => name.parse::<chrono_tz::Tz>().ok().map(Location::Named),
        }
    }

    /// Offset (seconds east of UTC) and abbreviation in effect at `unix` seconds.
    pub fn lookup(&self, unix: i64) -> (i32, String) {
        match self {
            Location::Utc | Location::Local => (0, "UTC".to_string()),
            Location::Fixed(name, off) => (*off, name.clone()),
            Location::Named(tz) => {
                let Some(ndt) = chrono::DateTime::from_timestamp(unix, 0) else {
                    return (0, "UTC".to_string());
                };
                let off = tz.offset_from_utc_datetime(&ndt.naive_utc());
                let secs = off.fix().local_minus_utc();
                let abbr = off.abbreviation().map(str::to_string).unwrap_or_else(|| {
                    // Zones without an abbreviation are named by their offset, as Go does.
                    let sign = if secs < 0 { '-' } else { '+' };
                    let a = secs.abs();
                    if a % 3600 == 0 {
                        format!("{sign}{:02}", a / 3600)
                    } else {
                        format!("{sign}{:02}{:02}", a / 3600, a % 3600 / 60)
                    }
                });
                (secs, abbr)
            }
        }
    }

    /// Offset in effect for a local wall time (the earlier one when ambiguous).
    fn offset_for_local(&self, ndt: &NaiveDateTime) -> i32 {
        match self {
            Location::Utc | Location::Local => 0,
            Location::Fixed(_, off) => *off,
            Location::Named(tz) => match tz.offset_from_local_datetime(ndt) {
                chrono::LocalResult::Single(o) => o.fix().local_minus_utc(),
                chrono::LocalResult::Ambiguous(a, _) => a.fix().local_minus_utc(),
                chrono::LocalResult::None => {
                    // In a gap: Go uses the offset from before the transition.
                    let probe = ndt.and_utc().timestamp();
                    self.lookup(probe - 86400).0
                }
            },
        }
    }
}

/// A Go `time.Time`: an instant, a location, and an optional monotonic reading.
#[derive(Debug, Clone, PartialEq)]
pub struct GoTime {
    /// Seconds since the Unix epoch.
    pub unix: i64,
    /// Nanoseconds within the second (0..1e9).
    pub nanos: u32,
    /// Location used for display.
    pub loc: Location,
    /// Monotonic clock reading in nanoseconds (only `now` has one; printed by `String`).
    pub mono: Option<i64>,
}

/// Seconds from 0001-01-01 UTC to the Unix epoch (Go's zero time).
const ZERO_UNIX: i64 = -62_135_596_800;

fn process_start() -> &'static std::time::Instant {
    static START: OnceLock<std::time::Instant> = OnceLock::new();
    START.get_or_init(std::time::Instant::now)
}

impl GoTime {
    /// Go's zero `time.Time{}` (0001-01-01 00:00:00 UTC).
    pub fn zero() -> GoTime {
        GoTime {
            unix: ZERO_UNIX,
            nanos: 0,
            loc: Location::Utc,
            mono: None,
        }
    }

    /// `time.Unix(sec, 0)` in the local zone.
    pub fn from_unix(sec: i64) -> GoTime {
        GoTime {
            unix: sec,
            nanos: 0,
            loc: Location::Local,
            mono: None,
        }
    }

    /// `time.Now()` (local zone, with a monotonic reading). Reads the system clock.
    pub fn now() -> GoTime {
        let start = *process_start();
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let mono = start.elapsed().as_nanos() as i64 + 1;
        GoTime {
            unix: d.as_secs() as i64,
            nanos: d.subsec_nanos(),
            loc: Location::Local,
            mono: Some(mono),
        }
    }

    /// Nanoseconds since the epoch as i128.
    fn total_nanos(&self) -> i128 {
        i128::from(self.unix) * 1_000_000_000 + i128::from(self.nanos)
    }

    fn from_total(n: i128, loc: Location, mono: Option<i64>) -> GoTime {
        GoTime {
            unix: n.div_euclid(1_000_000_000) as i64,
            nanos: n.rem_euclid(1_000_000_000) as u32,
            loc,
            mono,
        }
    }

    /// `t.In(loc)` (drops the monotonic reading).
    pub fn in_location(&self, loc: Location) -> GoTime {
        GoTime {
            loc,
            mono: None,
            ..self.clone()
        }
    }

    /// `t.Add(d)`.
    pub fn add(&self, d: i64) -> GoTime {
        let mono = self.mono.map(|m| m.wrapping_add(d));
        GoTime::from_total(self.total_nanos() + i128::from(d), self.loc.clone(), mono)
    }

    /// `t.Sub(u)` saturated to the Duration range.
    pub fn sub(&self, u: &GoTime) -> i64 {
        let d = self.total_nanos() - u.total_nanos();
        d.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }

    /// `time.Since(t)`.
    pub fn since(&self) -> i64 {
        GoTime::now().sub(self)
    }

    /// Civil fields in the time's zone: (date-time, offset seconds, abbreviation).
    fn civil(&self) -> (NaiveDateTime, i32, String) {
        let (off, abbr) = self.loc.lookup(self.unix);
        let local = self.unix + i64::from(off);
        let ndt = chrono::DateTime::from_timestamp(local, self.nanos)
            .map(|d| d.naive_utc())
            .unwrap_or_default();
        (ndt, off, abbr)
    }

    /// Go's `t.Format(layout)`.
    pub fn format(&self, layout: &str) -> String {
        let (ndt, off, abbr) = self.civil();
        let mut out = String::with_capacity(layout.len() + 10);
        let mut rest = layout;
        while !rest.is_empty() {
            let (prefix, std, after) = next_std_chunk(rest);
            out.push_str(prefix);
            let Some(std) = std else { break };
            rest = after;
            format_std(&mut out, std, &ndt, off, &abbr);
        }
        out
    }

    /// Go's `t.String()`: `2006-01-02 15:04:05.999999999 -0700 MST`, plus ` m=±S.NNNNNNNNN`
    /// when the time carries a monotonic reading.
    pub fn go_string(&self) -> String {
        let mut s = self.format("2006-01-02 15:04:05.999999999 -0700 MST");
        if let Some(m) = self.mono {
            let sign = if m < 0 { '-' } else { '+' };
            let a = m.unsigned_abs();
            s.push_str(&format!(
                " m={sign}{}.{:09}",
                a / 1_000_000_000,
                a % 1_000_000_000
            ));
        }
        s
    }

    /// RFC 3339 with nanoseconds (Go's `MarshalJSON` form, without quotes).
    pub fn rfc3339_nano(&self) -> String {
        self.format("2006-01-02T15:04:05.999999999Z07:00")
    }

    fn civil_value(&self, name: &str) -> Option<Value> {
        let (ndt, _, _) = self.civil();
        Some(match name {
            "Year" => Value::int(i64::from(ndt.year())),
            "Month" => Value::object(GoMonth(ndt.month())),
            "Day" => Value::int(i64::from(ndt.day())),
            "Hour" => Value::int(i64::from(ndt.hour())),
            "Minute" => Value::int(i64::from(ndt.minute())),
            "Second" => Value::int(i64::from(ndt.second())),
            "Nanosecond" => Value::int(i64::from(self.nanos)),
            "YearDay" => Value::int(i64::from(ndt.ordinal())),
            "Weekday" => Value::object(GoWeekday(ndt.weekday().num_days_from_sunday())),
            _ => return None,
        })
    }
}

const LONG_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const LONG_DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Layout elements (Go's `std*` constants).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Std {
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    PM,
    Pm,
    Tz,
    Iso8601Tz,
    Iso8601SecondsTz,
    Iso8601ShortTz,
    Iso8601ColonTz,
    Iso8601ColonSecondsTz,
    NumTz,
    NumSecondsTz,
    NumShortTz,
    NumColonTz,
    NumColonSecondsTz,
    /// `.000` / `,000` with the separator and digit count.
    Frac0(u8, usize),
    /// `.999` / `,999`.
    Frac9(u8, usize),
}

fn starts_lower(s: &str) -> bool {
    s.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
}

/// Go's `nextStdChunk`: the literal prefix, the next layout element and the remainder.
fn next_std_chunk(layout: &str) -> (&str, Option<Std>, &str) {
    let b = layout.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let rest = &layout[i..];
        let hit: Option<(Std, usize)> = match b[i] {
            b'J' if rest.starts_with("Jan") => {
                if rest.starts_with("January") {
                    Some((Std::LongMonth, 7))
                } else if !starts_lower(&rest[3..]) {
                    Some((Std::Month, 3))
                } else {
                    None
                }
            }
            b'M' if rest.starts_with("Mon") => {
                if rest.starts_with("Monday") {
                    Some((Std::LongWeekDay, 6))
                } else if !starts_lower(&rest[3..]) {
                    Some((Std::WeekDay, 3))
                } else {
                    None
                }
            }
            b'M' if rest.starts_with("MST") => Some((Std::Tz, 3)),
            b'0' if b.len() >= i + 2 && (b'1'..=b'6').contains(&b[i + 1]) => Some((
                match b[i + 1] {
                    b'1' => Std::ZeroMonth,
                    b'2' => Std::ZeroDay,
                    b'3' => Std::ZeroHour12,
                    b'4' => Std::ZeroMinute,
                    b'5' => Std::ZeroSecond,
                    _ => Std::Year,
                },
                2,
            )),
            b'0' if rest.starts_with("002") => Some((Std::ZeroYearDay, 3)),
            b'1' => {
                if rest.starts_with("15") {
                    Some((Std::Hour, 2))
                } else {
                    Some((Std::NumMonth, 1))
                }
            }
            b'2' => {
                if rest.starts_with("2006") {
                    Some((Std::LongYear, 4))
                } else {
                    Some((Std::Day, 1))
                }
            }
            b'_' if rest.starts_with("_2") => {
                if rest.starts_with("_2006") {
                    // "_" is literal, then the year.
                    return (&layout[..i + 1], Some(Std::LongYear), &layout[i + 5..]);
                }
                Some((Std::UnderDay, 2))
            }
            b'_' if rest.starts_with("__2") => Some((Std::UnderYearDay, 3)),
            b'3' => Some((Std::Hour12, 1)),
            b'4' => Some((Std::Minute, 1)),
            b'5' => Some((Std::Second, 1)),
            b'P' if rest.starts_with("PM") => Some((Std::PM, 2)),
            b'p' if rest.starts_with("pm") => Some((Std::Pm, 2)),
            b'-' => [
                ("-070000", Std::NumSecondsTz),
                ("-07:00:00", Std::NumColonSecondsTz),
                ("-0700", Std::NumTz),
                ("-07:00", Std::NumColonTz),
                ("-07", Std::NumShortTz),
            ]
            .into_iter()
            .find(|(p, _)| rest.starts_with(p))
            .map(|(p, s)| (s, p.len())),
            b'Z' => [
                ("Z070000", Std::Iso8601SecondsTz),
                ("Z07:00:00", Std::Iso8601ColonSecondsTz),
                ("Z0700", Std::Iso8601Tz),
                ("Z07:00", Std::Iso8601ColonTz),
                ("Z07", Std::Iso8601ShortTz),
            ]
            .into_iter()
            .find(|(p, _)| rest.starts_with(p))
            .map(|(p, s)| (s, p.len())),
            b'.' | b',' if b.len() > i + 1 && (b[i + 1] == b'0' || b[i + 1] == b'9') => {
                let ch = b[i + 1];
                let mut j = i + 1;
                while j < b.len() && b[j] == ch {
                    j += 1;
                }
                if j < b.len() && b[j].is_ascii_digit() {
                    None
                } else {
                    let n = j - (i + 1);
                    let std = if ch == b'0' {
                        Std::Frac0(b[i], n)
                    } else {
                        Std::Frac9(b[i], n)
                    };
                    Some((std, j - i))
                }
            }
            _ => None,
        };
        if let Some((std, len)) = hit {
            return (&layout[..i], Some(std), &layout[i + len..]);
        }
        i += layout[i..].chars().next().map_or(1, char::len_utf8);
    }
    (layout, None, "")
}

fn pad(out: &mut String, n: i64, width: usize) {
    if n < 0 {
        out.push('-');
    }
    let s = n.unsigned_abs().to_string();
    for _ in s.len()..width {
        out.push('0');
    }
    out.push_str(&s);
}

fn format_std(out: &mut String, std: Std, t: &NaiveDateTime, off: i32, abbr: &str) {
    let year = i64::from(t.year());
    let hour = i64::from(t.hour());
    match std {
        Std::Year => pad(out, year.rem_euclid(100), 2),
        Std::LongYear => pad(out, year, 4),
        Std::Month => out.push_str(&LONG_MONTHS[t.month0() as usize][..3]),
        Std::LongMonth => out.push_str(LONG_MONTHS[t.month0() as usize]),
        Std::NumMonth => pad(out, i64::from(t.month()), 0),
        Std::ZeroMonth => pad(out, i64::from(t.month()), 2),
        Std::WeekDay => {
            out.push_str(&LONG_DAYS[t.weekday().num_days_from_sunday() as usize][..3]);
        }
        Std::LongWeekDay => out.push_str(LONG_DAYS[t.weekday().num_days_from_sunday() as usize]),
        Std::Day => pad(out, i64::from(t.day()), 0),
        Std::UnderDay => {
            if t.day() < 10 {
                out.push(' ');
            }
            pad(out, i64::from(t.day()), 0);
        }
        Std::ZeroDay => pad(out, i64::from(t.day()), 2),
        Std::UnderYearDay => {
            let yd = t.ordinal();
            if yd < 100 {
                out.push(' ');
                if yd < 10 {
                    out.push(' ');
                }
            }
            pad(out, i64::from(yd), 0);
        }
        Std::ZeroYearDay => pad(out, i64::from(t.ordinal()), 3),
        Std::Hour => pad(out, hour, 2),
        Std::Hour12 | Std::ZeroHour12 => {
            let mut hr = hour % 12;
            if hr == 0 {
                hr = 12;
            }
            pad(out, hr, if std == Std::Hour12 { 0 } else { 2 });
        }
        Std::Minute => pad(out, i64::from(t.minute()), 0),
        Std::ZeroMinute => pad(out, i64::from(t.minute()), 2),
        Std::Second => pad(out, i64::from(t.second()), 0),
        Std::ZeroSecond => pad(out, i64::from(t.second()), 2),
        Std::PM => out.push_str(if hour >= 12 { "PM" } else { "AM" }),
        Std::Pm => out.push_str(if hour >= 12 { "pm" } else { "am" }),
        Std::Iso8601Tz
        | Std::Iso8601ColonTz
        | Std::Iso8601SecondsTz
        | Std::Iso8601ShortTz
        | Std::Iso8601ColonSecondsTz
        | Std::NumTz
        | Std::NumColonTz
        | Std::NumSecondsTz
        | Std::NumShortTz
        | Std::NumColonSecondsTz => {
            let iso = matches!(
                std,
                Std::Iso8601Tz
                    | Std::Iso8601ColonTz
                    | Std::Iso8601SecondsTz
                    | Std::Iso8601ShortTz
                    | Std::Iso8601ColonSecondsTz
            );
            if off == 0 && iso {
                out.push('Z');
                return;
            }
            let zone = off / 60;
            let absoff = i64::from(off.abs());
            out.push(if zone < 0 { '-' } else { '+' });
            let zone = i64::from(zone.abs());
            pad(out, zone / 60, 2);
            let colon = matches!(
                std,
                Std::Iso8601ColonTz
                    | Std::NumColonTz
                    | Std::Iso8601ColonSecondsTz
                    | Std::NumColonSecondsTz
            );
            if colon {
                out.push(':');
            }
            if std != Std::NumShortTz && std != Std::Iso8601ShortTz {
                pad(out, zone % 60, 2);
            }
            if matches!(
                std,
                Std::Iso8601SecondsTz
                    | Std::NumSecondsTz
                    | Std::NumColonSecondsTz
                    | Std::Iso8601ColonSecondsTz
            ) {
                if colon {
                    out.push(':');
                }
                pad(out, absoff % 60, 2);
            }
        }
        Std::Tz => {
            if !abbr.is_empty() {
                out.push_str(abbr);
                return;
            }
            let zone = off / 60;
            out.push(if zone < 0 { '-' } else { '+' });
            let zone = i64::from(zone.abs());
            pad(out, zone / 60, 2);
            pad(out, zone % 60, 2);
        }
        Std::Frac0(sep, n) => {
            out.push(sep as char);
            let digits = format!("{:09}", t.nanosecond() % 1_000_000_000);
            out.push_str(&digits[..n.min(9)]);
        }
        Std::Frac9(sep, n) => {
            let digits = format!("{:09}", t.nanosecond() % 1_000_000_000);
            let d = digits[..n.min(9)].trim_end_matches('0');
            if !d.is_empty() {
                out.push(sep as char);
                out.push_str(d);
            }
        }
    }
}

/// A Go `time.Parse` failure, with Go's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// `parsing time "V" as "L": cannot parse "REST" as "ELEM"` (or with a message).
    #[error("{0}")]
    Parse(String),
    /// `time: invalid duration "X"` and the other `ParseDuration` errors.
    #[error("{0}")]
    Duration(String),
}

fn parse_err(
    value: &str,
    layout: &str,
    value_elem: &str,
    layout_elem: &str,
    msg: &str,
) -> TimeError {
    if !msg.is_empty() {
        return TimeError::Parse(format!("parsing time {}{msg}", go_quote(value)));
    }
    TimeError::Parse(format!(
        "parsing time {} as {}: cannot parse {} as {}",
        go_quote(value),
        go_quote(layout),
        go_quote(value_elem),
        go_quote(layout_elem)
    ))
}

fn take_digits(s: &str, min: usize, max: usize) -> Option<(i64, &str)> {
    let n = s.bytes().take(max).take_while(u8::is_ascii_digit).count();
    if n < min {
        return None;
    }
    Some((s[..n].parse().ok()?, &s[n..]))
}

fn lookup_name<'a>(names: &[&str], s: &'a str, len3: bool) -> Option<(usize, &'a str)> {
    for (i, n) in names.iter().enumerate() {
        let n = if len3 { &n[..3] } else { n };
        // Compare bytes: the names are ASCII, so a match ends on a character boundary, and
        // a value with a multibyte character at that position simply does not match.
        if s.len() >= n.len() && s.as_bytes()[..n.len()].eq_ignore_ascii_case(n.as_bytes()) {
            return Some((i, &s[n.len()..]));
        }
    }
    None
}

/// Go's `time.ParseInLocation(layout, value, loc)` for the common layout elements.
pub fn parse_in_location(layout: &str, value: &str, loc: &Location) -> Result<GoTime, TimeError> {
    let (mut year, mut month, mut day, mut yday) = (1i64, -1i64, -1i64, -1i64);
    let (mut hour, mut min, mut sec, mut nsec) = (0i64, 0i64, 0i64, 0i64);
    let mut pm_set = false;
    let mut am_set = false;
    let mut z_offset: Option<i32> = None;
    let mut z_name: Option<String> = None;
    let mut lay = layout;
    let mut val = value;
    loop {
        let (prefix, std, after) = next_std_chunk(lay);
        let std_str = &lay[prefix.len()..lay.len() - after.len()];
        // Literal prefix must match (spaces in Go are matched leniently only for some
        // layouts; exact match here).
        match val.strip_prefix(prefix) {
            Some(v) => val = v,
            None => return Err(parse_err(value, layout, val, prefix, "")),
        }
        let Some(std) = std else {
            if !val.is_empty() {
                return Err(parse_err(
                    value,
                    layout,
                    "",
                    "",
                    &format!(": extra text: {}", go_quote(val)),
                ));
            }
            break;
        };
        lay = after;
        let hold = val;
        let bad = || parse_err(value, layout, hold, std_str, "");
        let range_err =
            |what: &str| parse_err(value, layout, "", "", &format!(": {what} out of range"));
        match std {
            Std::Year => {
                let (n, r) = take_digits(val, 2, 2).ok_or_else(bad)?;
                year = if n >= 69 { n + 1900 } else { n + 2000 };
                val = r;
            }
            Std::LongYear => {
                let (n, r) = take_digits(val, 4, 4).ok_or_else(bad)?;
                year = n;
                val = r;
            }
            Std::Month | Std::LongMonth => {
                let (m, r) = lookup_name(&LONG_MONTHS, val, std == Std::Month).ok_or_else(bad)?;
                month = m as i64 + 1;
                val = r;
            }
            Std::NumMonth | Std::ZeroMonth => {
                let min_d = if std == Std::ZeroMonth { 2 } else { 1 };
                let (n, r) = take_digits(val, min_d, 2).ok_or_else(bad)?;
                if !(1..=12).contains(&n) {
                    return Err(range_err("month"));
                }
                month = n;
                val = r;
            }
            Std::WeekDay | Std::LongWeekDay => {
                let (_, r) = lookup_name(&LONG_DAYS, val, std == Std::WeekDay).ok_or_else(bad)?;
                val = r;
            }
            Std::Day | Std::UnderDay | Std::ZeroDay => {
                if std == Std::UnderDay && val.starts_with(' ') {
                    val = &val[1..];
                }
                let min_d = if std == Std::ZeroDay { 2 } else { 1 };
                let (n, r) = take_digits(val, min_d, 2).ok_or_else(bad)?;
                day = n;
                val = r;
            }
            Std::UnderYearDay | Std::ZeroYearDay => {
                let v = val.trim_start_matches(' ');
                let (n, r) = take_digits(v, if std == Std::ZeroYearDay { 3 } else { 1 }, 3)
                    .ok_or_else(bad)?;
                yday = n;
                val = r;
            }
            Std::Hour => {
                let (n, r) = take_digits(val, 2, 2).ok_or_else(bad)?;
                if n >= 24 {
                    return Err(range_err("hour"));
                }
                hour = n;
                val = r;
            }
            Std::Hour12 | Std::ZeroHour12 => {
                let min_d = if std == Std::ZeroHour12 { 2 } else { 1 };
                let (n, r) = take_digits(val, min_d, 2).ok_or_else(bad)?;
                if n > 12 {
                    return Err(range_err("hour"));
                }
                hour = n;
                val = r;
            }
            Std::Minute | Std::ZeroMinute => {
                let min_d = if std == Std::ZeroMinute { 2 } else { 1 };
                let (n, r) = take_digits(val, min_d, 2).ok_or_else(bad)?;
                if n >= 60 {
                    return Err(range_err("minute"));
                }
                min = n;
                val = r;
            }
            Std::Second | Std::ZeroSecond => {
                let min_d = if std == Std::ZeroSecond { 2 } else { 1 };
                let (n, r) = take_digits(val, min_d, 2).ok_or_else(bad)?;
                if n >= 60 {
                    return Err(range_err("second"));
                }
                sec = n;
                val = r;
                // A fractional second may follow even if the layout has none.
                if val.len() >= 2
                    && (val.starts_with('.') || val.starts_with(','))
                    && val.as_bytes()[1].is_ascii_digit()
                {
                    let (_, next_std, _) = next_std_chunk(lay);
                    if !matches!(next_std, Some(Std::Frac0(..) | Std::Frac9(..))) {
                        let n = 1 + val[1..].bytes().take_while(u8::is_ascii_digit).count();
                        nsec = frac_nanos(&val[1..n]);
                        val = &val[n..];
                    }
                }
            }
            Std::PM | Std::Pm => {
                let p = val.get(..2).ok_or_else(bad)?;
                match p {
                    "PM" | "pm" if (std == Std::PM) == (p == "PM") => pm_set = true,
                    "AM" | "am" if (std == Std::PM) == (p == "AM") => am_set = true,
                    _ => return Err(bad()),
                }
                val = &val[2..];
            }
            Std::Iso8601Tz
            | Std::Iso8601ColonTz
            | Std::Iso8601SecondsTz
            | Std::Iso8601ShortTz
            | Std::Iso8601ColonSecondsTz
            | Std::NumTz
            | Std::NumShortTz
            | Std::NumColonTz
            | Std::NumSecondsTz
            | Std::NumColonSecondsTz => {
                let iso = matches!(
                    std,
                    Std::Iso8601Tz
                        | Std::Iso8601ColonTz
                        | Std::Iso8601SecondsTz
                        | Std::Iso8601ShortTz
                        | Std::Iso8601ColonSecondsTz
                );
                if iso && val.starts_with('Z') {
                    val = &val[1..];
                    z_offset = Some(0);
                    z_name = Some("UTC".to_string());
                    continue;
                }
                let sign = match val.as_bytes().first() {
                    Some(b'+') => 1,
                    Some(b'-') => -1,
                    _ => return Err(bad()),
                };
                let body = &val[1..];
                let (hh, mut r) = take_digits(body, 2, 2).ok_or_else(bad)?;
                let colon = matches!(
                    std,
                    Std::Iso8601ColonTz
                        | Std::NumColonTz
                        | Std::Iso8601ColonSecondsTz
                        | Std::NumColonSecondsTz
                );
                let mut mm = 0;
                let mut ss = 0;
                if !matches!(std, Std::NumShortTz | Std::Iso8601ShortTz) {
                    if colon {
                        r = r.strip_prefix(':').ok_or_else(bad)?;
                    }
                    let (m2, r2) = take_digits(r, 2, 2).ok_or_else(bad)?;
                    mm = m2;
                    r = r2;
                }
                if matches!(
                    std,
                    Std::Iso8601SecondsTz
                        | Std::NumSecondsTz
                        | Std::Iso8601ColonSecondsTz
                        | Std::NumColonSecondsTz
                ) {
                    if colon {
                        r = r.strip_prefix(':').ok_or_else(bad)?;
                    }
                    let (s2, r2) = take_digits(r, 2, 2).ok_or_else(bad)?;
                    ss = s2;
                    r = r2;
                }
                z_offset = Some(sign * (hh * 3600 + mm * 60 + ss) as i32);
                val = r;
            }
            Std::Tz => {
                if val.starts_with("UTC") {
                    z_name = Some("UTC".to_string());
                    z_offset = Some(0);
                    val = &val[3..];
                    continue;
                }
                let n = val.bytes().take_while(u8::is_ascii_uppercase).count();
                if n < 3 {
                    return Err(bad());
                }
                z_name = Some(val[..n].to_string());
                val = &val[n..];
            }
            Std::Frac0(_, n) => {
                let need = 1 + n;
                if val.len() < need || !val.as_bytes()[0].is_ascii_punctuation() {
                    return Err(bad());
                }
                let digits = &val[1..need];
                if !digits.bytes().all(|c| c.is_ascii_digit()) {
                    return Err(bad());
                }
                nsec = frac_nanos(digits);
                val = &val[need..];
            }
            Std::Frac9(..) => {
                if val.len() < 2
                    || !(val.starts_with('.') || val.starts_with(','))
                    || !val.as_bytes()[1].is_ascii_digit()
                {
                    continue;
                }
                let n = 1 + val[1..]
                    .bytes()
                    .take(9)
                    .take_while(u8::is_ascii_digit)
                    .count();
                nsec = frac_nanos(&val[1..n]);
                val = &val[n..];
            }
        }
    }
    if pm_set && hour < 12 {
        hour += 12;
    } else if am_set && hour == 12 {
        hour = 0;
    }
    if yday >= 0 {
        let leap = NaiveDate::from_ymd_opt(year as i32, 2, 29).is_some();
        let max = if leap { 366 } else { 365 };
        if yday < 1 || yday > max {
            return Err(parse_err(
                value,
                layout,
                "",
                "",
                ": day-of-year out of range",
            ));
        }
        let d = NaiveDate::from_yo_opt(year as i32, yday as u32)
            .ok_or_else(|| parse_err(value, layout, "", "", ": day-of-year out of range"))?;
        if month >= 0 && i64::from(d.month()) != month || day >= 0 && i64::from(d.day()) != day {
            return Err(parse_err(
                value,
                layout,
                "",
                "",
                ": day-of-year does not match month",
            ));
        }
        month = i64::from(d.month());
        day = i64::from(d.day());
    } else {
        if month < 0 {
            month = 1;
        }
        if day < 0 {
            day = 1;
        }
    }
    let date = NaiveDate::from_ymd_opt(year as i32, month as u32, day as u32)
        .ok_or_else(|| parse_err(value, layout, "", "", ": day out of range"))?;
    let ndt = date
        .and_hms_opt(hour as u32, min as u32, sec as u32)
        .unwrap_or_default();
    let wall = ndt.and_utc().timestamp();
    if let Some(off) = z_offset {
        let unix = wall - i64::from(off);
        let (loc_off, _) = loc.lookup(unix);
        let l = if loc_off == off && z_name.as_deref() != Some("UTC") {
            loc.clone()
        } else if off == 0 && z_name.as_deref() == Some("UTC") {
            Location::Utc
        } else {
            Location::Fixed(String::new(), off)
        };
        return Ok(GoTime {
            unix,
            nanos: nsec as u32,
            loc: l,
            mono: None,
        });
    }
    if let Some(name) = z_name {
        let unix = wall;
        let (_, abbr) = loc.lookup(unix);
        if abbr == name {
            let off = loc.lookup(unix).0;
            return Ok(GoTime {
                unix: wall - i64::from(off),
                nanos: nsec as u32,
                loc: loc.clone(),
                mono: None,
            });
        }
        return Ok(GoTime {
            unix: wall,
            nanos: nsec as u32,
            loc: Location::Fixed(name, 0),
            mono: None,
        });
    }
    let off = loc.offset_for_local(&ndt);
    Ok(GoTime {
        unix: wall - i64::from(off),
        nanos: nsec as u32,
        loc: loc.clone(),
        mono: None,
    })
}

fn frac_nanos(digits: &str) -> i64 {
    let mut d = digits.to_string();
    d.truncate(9);
    while d.len() < 9 {
        d.push('0');
    }
    d.parse().unwrap_or(0)
}

// ---- durations -------------------------------------------------------------------------

/// Go's `Duration.String()`: `72h3m0.5s`, `1.5ms`, `0s`.
pub fn duration_string(d: i64) -> String {
    if d == 0 {
        return "0s".to_string();
    }
    let neg = d < 0;
    let u = d.unsigned_abs();
    let mut out = String::new();
    if u < 1_000_000_000 {
        // Sub-second: a single unit.
        let (unit, div) = if u < 1_000 {
            ("ns", 1u64)
        } else if u < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        out.push_str(&frac_string(u, div));
        out.push_str(unit);
    } else {
        let secs_part = u % 60_000_000_000;
        let total_min = u / 60_000_000_000;
        let hours = total_min / 60;
        let mins = total_min % 60;
        if hours > 0 {
            out.push_str(&format!("{hours}h"));
        }
        if hours > 0 || mins > 0 {
            out.push_str(&format!("{mins}m"));
        }
        out.push_str(&frac_string(secs_part, 1_000_000_000));
        out.push('s');
    }
    if neg {
        out.insert(0, '-');
    }
    out
}

/// `v / div` with the fraction's trailing zeros removed (`1.5`, `2`).
fn frac_string(v: u64, div: u64) -> String {
    let whole = v / div;
    let frac = v % div;
    if frac == 0 {
        return whole.to_string();
    }
    let width = div.to_string().len() - 1;
    let f = format!("{frac:0width$}");
    format!("{whole}.{}", f.trim_end_matches('0'))
}

/// Go's `time.ParseDuration`.
pub fn parse_duration(s: &str) -> Result<i64, TimeError> {
    let orig = s;
    let invalid = || TimeError::Duration(format!("time: invalid duration {}", go_quote(orig)));
    let mut s = s;
    let mut neg = false;
    if let Some(c) = s.chars().next()
        && (c == '-' || c == '+')
    {
        neg = c == '-';
        s = &s[1..];
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while !s.is_empty() {
        if !(s.starts_with('.') || s.as_bytes()[0].is_ascii_digit()) {
            return Err(invalid());
        }
        let n_len = s.bytes().take_while(u8::is_ascii_digit).count();
        let pre = n_len > 0;
        let mut v: u64 = 0;
        for c in s[..n_len].bytes() {
            v = v
                .checked_mul(10)
                .and_then(|x| x.checked_add(u64::from(c - b'0')))
                .filter(|x| *x <= 1 << 63)
                .ok_or_else(invalid)?;
        }
        s = &s[n_len..];
        let mut f: u64 = 0;
        let mut scale: f64 = 1.0;
        let mut post = false;
        if let Some(r) = s.strip_prefix('.') {
            s = r;
            let f_len = s.bytes().take_while(u8::is_ascii_digit).count();
            post = f_len > 0;
            let mut overflow = false;
            for c in s[..f_len].bytes() {
                if overflow {
                    continue;
                }
                if f > (1u64 << 63) / 10 {
                    overflow = true;
                    continue;
                }
                let y = f * 10 + u64::from(c - b'0');
                if y > 1 << 63 {
                    overflow = true;
                    continue;
                }
                f = y;
                scale *= 10.0;
            }
            s = &s[f_len..];
        }
        if !pre && !post {
            return Err(invalid());
        }
        let u_len = s
            .char_indices()
            .find(|(_, c)| *c == '.' || c.is_ascii_digit())
            .map_or(s.len(), |(i, _)| i);
        if u_len == 0 {
            return Err(TimeError::Duration(format!(
                "time: missing unit in duration {}",
                go_quote(orig)
            )));
        }
        let unit_s = &s[..u_len];
        let unit: u64 = match unit_s {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(TimeError::Duration(format!(
                    "time: unknown unit {} in duration {}",
                    go_quote(unit_s),
                    go_quote(orig)
                )));
            }
        };
        s = &s[u_len..];
        if v > (1u64 << 63) / unit {
            return Err(invalid());
        }
        v *= unit;
        if f > 0 {
            v += (f as f64 * (unit as f64 / scale)) as u64;
            if v > 1 << 63 {
                return Err(invalid());
            }
        }
        total = total
            .checked_add(v)
            .filter(|t| *t <= 1 << 63)
            .ok_or_else(invalid)?;
    }
    if neg {
        return Ok((total as i64).wrapping_neg());
    }
    if total > i64::MAX as u64 {
        return Err(invalid());
    }
    Ok(total as i64)
}

/// Go's `Duration.Round(m)`.
pub fn duration_round(d: i64, m: i64) -> i64 {
    if m <= 0 {
        return d;
    }
    let mut r = d % m;
    if d < 0 {
        r = -r;
        if r + r < m {
            return d + r;
        }
        match (d - m).checked_add(r) {
            Some(d1) if d1 < d => d1,
            _ => i64::MIN,
        }
    } else {
        if r + r < m {
            return d - r;
        }
        match (d + m).checked_sub(r) {
            Some(d1) if d1 > d => d1,
            _ => i64::MAX,
        }
    }
}

/// Go's `Duration.Truncate(m)`.
pub fn duration_truncate(d: i64, m: i64) -> i64 {
    if m <= 0 { d } else { d - d % m }
}

// ---- template objects -------------------------------------------------------------------

/// A `time.Duration` template value (prints as `1h0m0s`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoDuration(pub i64);

impl Object for GoDuration {
    fn type_name(&self) -> Cow<'_, str> {
        Cow::Borrowed(DURATION_TYPE)
    }
    fn is_pointer(&self) -> bool {
        false
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn method_signature(&self, name: &str) -> Option<Signature> {
        match name {
            "String" | "Hours" | "Minutes" | "Seconds" | "Milliseconds" | "Microseconds"
            | "Nanoseconds" | "Abs" => Some(Signature::new([])),
            "Round" | "Truncate" => Some(Signature::new([ParamType::Named(Cow::Borrowed(
                DURATION_TYPE,
            ))])),
            _ => None,
        }
    }
    fn call_method(&self, name: &str, args: &[Value]) -> Result<Value, FuncError> {
        let d = self.0;
        let arg = || match args.first() {
            Some(Value::Object(o)) => o.as_any().downcast_ref::<GoDuration>().map_or(0, |x| x.0),
            _ => 0,
        };
        Ok(match name {
            "String" => Value::from(duration_string(d)),
            "Hours" => Value::Float(
                (d / 3_600_000_000_000) as f64 + (d % 3_600_000_000_000) as f64 / 3.6e12,
            ),
            "Minutes" => {
                Value::Float((d / 60_000_000_000) as f64 + (d % 60_000_000_000) as f64 / 6e10)
            }
            "Seconds" => {
                Value::Float((d / 1_000_000_000) as f64 + (d % 1_000_000_000) as f64 / 1e9)
            }
            "Milliseconds" => Value::int64(d / 1_000_000),
            "Microseconds" => Value::int64(d / 1_000),
            "Nanoseconds" => Value::int64(d),
            "Abs" => Value::object(GoDuration(if d == i64::MIN { i64::MAX } else { d.abs() })),
            "Round" => Value::object(GoDuration(duration_round(d, arg()))),
            "Truncate" => Value::object(GoDuration(duration_truncate(d, arg()))),
            _ => return Err(FuncError::new(format!("method {name} not implemented"))),
        })
    }
    fn fields(&self) -> Vec<(String, Value)> {
        Vec::new()
    }
    fn go_string(&self) -> Option<String> {
        Some(duration_string(self.0))
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::Value::from(self.0)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A `time.Month` (prints as `January`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoMonth(pub u32);

/// A `time.Weekday` (prints as `Sunday`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoWeekday(pub u32);

macro_rules! named_int_object {
    ($t:ty, $name:expr, $names:expr, $offset:expr) => {
        impl Object for $t {
            fn type_name(&self) -> Cow<'_, str> {
                Cow::Borrowed($name)
            }
            fn is_pointer(&self) -> bool {
                false
            }
            fn field(&self, _name: &str) -> Option<Value> {
                None
            }
            fn method_signature(&self, name: &str) -> Option<Signature> {
                (name == "String").then(|| Signature::new([]))
            }
            fn call_method(&self, _name: &str, _args: &[Value]) -> Result<Value, FuncError> {
                Ok(Value::from(self.go_string().unwrap_or_default()))
            }
            fn fields(&self) -> Vec<(String, Value)> {
                Vec::new()
            }
            fn go_string(&self) -> Option<String> {
                $names
                    .get((self.0 as usize).wrapping_sub($offset))
                    .map(|s| s.to_string())
            }
            fn to_json(&self) -> serde_json::Value {
                serde_json::Value::from(self.0)
            }
            fn as_any(&self) -> &dyn Any {
                self
            }
        }
    };
}
named_int_object!(GoMonth, "time.Month", LONG_MONTHS, 1);
named_int_object!(GoWeekday, "time.Weekday", LONG_DAYS, 0);

fn time_param() -> ParamType {
    ParamType::Named(Cow::Borrowed(TIME_TYPE))
}

/// The `time.Time` inside a value, if it is one.
pub fn time_of(v: &Value) -> Option<&GoTime> {
    match v {
        Value::Object(o) => o.as_any().downcast_ref::<GoTime>(),
        _ => None,
    }
}

/// The `time.Duration` inside a value, if it is one.
pub fn duration_of(v: &Value) -> Option<i64> {
    match v {
        Value::Object(o) => o.as_any().downcast_ref::<GoDuration>().map(|d| d.0),
        _ => None,
    }
}

impl Object for GoTime {
    fn type_name(&self) -> Cow<'_, str> {
        Cow::Borrowed(TIME_TYPE)
    }
    fn is_pointer(&self) -> bool {
        false
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn method_signature(&self, name: &str) -> Option<Signature> {
        let dur = || ParamType::Named(Cow::Borrowed(DURATION_TYPE));
        let int = || ParamType::Int(IntKind::Int);
        Some(match name {
            "String" | "Unix" | "UnixNano" | "UnixMilli" | "UnixMicro" | "Year" | "Month"
            | "Day" | "Hour" | "Minute" | "Second" | "Nanosecond" | "YearDay" | "Weekday"
            | "UTC" | "Local" | "IsZero" => Signature::new([]),
            "Format" => Signature::new([ParamType::String]),
            "Add" | "Truncate" | "Round" => Signature::new([dur()]),
            "AddDate" => Signature::new([int(), int(), int()]),
            "Sub" | "Before" | "After" | "Equal" | "Compare" => Signature::new([time_param()]),
            _ => return None,
        })
    }
    fn call_method(&self, name: &str, args: &[Value]) -> Result<Value, FuncError> {
        if let Some(v) = self.civil_value(name) {
            return Ok(v);
        }
        let other = || {
            args.first()
                .and_then(time_of)
                .cloned()
                .unwrap_or_else(GoTime::zero)
        };
        let dur = || args.first().and_then(duration_of).unwrap_or(0);
        let int = |i: usize| match args.get(i) {
            Some(Value::Int(n, _)) => *n,
            _ => 0,
        };
        Ok(match name {
            "String" => Value::from(self.go_string()),
            "Format" => {
                Value::from(self.format(args.first().and_then(Value::as_str).unwrap_or("")))
            }
            "Unix" => Value::int64(self.unix),
            "UnixNano" => Value::int64(self.total_nanos() as i64),
            "UnixMilli" => Value::int64(self.total_nanos().div_euclid(1_000_000) as i64),
            "UnixMicro" => Value::int64(self.total_nanos().div_euclid(1_000) as i64),
            "UTC" => Value::object(self.in_location(Location::Utc)),
            "Local" => Value::object(self.in_location(Location::Local)),
            "IsZero" => Value::Bool(self.unix == ZERO_UNIX && self.nanos == 0),
            "Add" => Value::object(self.add(dur())),
            "Sub" => Value::object(GoDuration(self.sub(&other()))),
            "Before" => Value::Bool(self.total_nanos() < other().total_nanos()),
            "After" => Value::Bool(self.total_nanos() > other().total_nanos()),
            "Equal" => Value::Bool(self.total_nanos() == other().total_nanos()),
            "Compare" => Value::int(match self.total_nanos().cmp(&other().total_nanos()) {
                std::cmp::Ordering::Less => -1,
                std::cmp::Ordering::Equal => 0,
                std::cmp::Ordering::Greater => 1,
            }),
            "AddDate" => Value::object(self.add_date(int(0), int(1), int(2))),
            "Truncate" | "Round" => {
                let d = dur();
                let mut t = self.clone();
                t.mono = None;
                if d > 0 {
                    // Relative to the zero time, as Go computes.
                    let since_zero = t.total_nanos() - i128::from(ZERO_UNIX) * 1_000_000_000;
                    let r = since_zero.rem_euclid(i128::from(d));
                    let mut n = t.total_nanos() - r;
                    if name == "Round" && r + r >= i128::from(d) {
                        n += i128::from(d);
                    }
                    t = GoTime::from_total(n, t.loc.clone(), None);
                }
                Value::object(t)
            }
            _ => return Err(FuncError::new(format!("method {name} not implemented"))),
        })
    }
    fn fields(&self) -> Vec<(String, Value)> {
        Vec::new()
    }
    fn go_string(&self) -> Option<String> {
        Some(GoTime::go_string(self))
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::Value::String(self.rfc3339_nano())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl GoTime {
    /// Go's `t.AddDate(years, months, days)` (normalising overflowing fields).
    pub fn add_date(&self, years: i64, months: i64, days: i64) -> GoTime {
        let (ndt, off, _) = self.civil();
        let mut y = i64::from(ndt.year()) + years;
        let mut m = i64::from(ndt.month0()) + months;
        y += m.div_euclid(12);
        m = m.rem_euclid(12);
        let first = NaiveDate::from_ymd_opt(y as i32, m as u32 + 1, 1).unwrap_or_default();
        let date = first + chrono::Duration::days(i64::from(ndt.day()) - 1 + days);
        let wall = date.and_time(ndt.time());
        let new_off = self.loc.offset_for_local(&wall);
        let _ = off;
        GoTime {
            unix: wall.and_utc().timestamp() - i64::from(new_off),
            nanos: self.nanos,
            loc: self.loc.clone(),
            mono: None,
        }
    }
}

#[cfg(test)]
mod fuzz_regressions {
    use super::*;

    /// Found by fuzzing: a month name compared against a value with a multibyte character at
    /// the cut point panicked instead of failing to parse.
    #[test]
    fn month_names_next_to_multibyte_characters_do_not_panic() {
        // Each value has a two-byte character across the end of the name being compared.
        assert!(parse_in_location("Jan", "Ja\u{e9}", &Location::Utc).is_err());
        assert!(parse_in_location("January", "Januar\u{e9}", &Location::Utc).is_err());
        assert!(parse_in_location("Mon 2006", "Mo\u{e9} 2024", &Location::Utc).is_err());
    }
}
