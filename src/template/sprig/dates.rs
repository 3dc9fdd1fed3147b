//! Date functions (Sprig `date.go`): `now`, `date`, `dateInZone`/`date_in_zone`,
//! `htmlDate`, `htmlDateInZone`, `dateModify`/`date_modify`, `mustDateModify`/
//! `must_date_modify`, `toDate`, `mustToDate`, `unixEpoch`, `ago`, `duration`,
//! `durationRound`. Formatting uses Go layouts (see [`super::gotime`]).
//!
//! `now`, `ago`, `durationRound` of a time, and `date` of a value that is not a time or
//! an integer read the system clock, as Sprig does.

use std::borrow::Cow;

use super::gotime::{
    self, GoTime, Location, TIME_TYPE, duration_string, parse_duration, parse_in_location, time_of,
};
use super::{ANY, STR, arg_str, pure};
use crate::template::error::FuncError;
use crate::template::funcs::{FuncMap, ParamType, Signature};
use crate::template::value::{IntKind, Value};

fn time_param() -> ParamType {
    ParamType::Named(Cow::Borrowed(TIME_TYPE))
}

pub(crate) fn register(funcs: &mut FuncMap) {
    pure(funcs, "now", Signature::new([]), |_| {
        Ok(Value::object(GoTime::now()))
    });
    pure(funcs, "date", Signature::new([STR, ANY]), |a| {
        Ok(Value::from(date_in_zone(arg_str(&a, 0), &a[1], "Local")))
    });
    for name in ["dateInZone", "date_in_zone"] {
        pure(funcs, name, Signature::new([STR, ANY, STR]), |a| {
            Ok(Value::from(date_in_zone(
                arg_str(&a, 0),
                &a[1],
                arg_str(&a, 2),
            )))
        });
    }
    pure(funcs, "htmlDate", Signature::new([ANY]), |a| {
        Ok(Value::from(date_in_zone("2006-01-02", &a[0], "Local")))
    });
    pure(funcs, "htmlDateInZone", Signature::new([ANY, STR]), |a| {
        Ok(Value::from(date_in_zone(
            "2006-01-02",
            &a[0],
            arg_str(&a, 1),
        )))
    });
    for name in ["dateModify", "date_modify"] {
        pure(funcs, name, Signature::new([STR, time_param()]), |mut a| {
            let t = super::take(&mut a, 1);
            match (parse_duration(arg_str(&a, 0)), time_of(&t)) {
                (Ok(d), Some(tm)) => Ok(Value::object(tm.add(d))),
                _ => Ok(t),
            }
        });
    }
    for name in ["mustDateModify", "must_date_modify"] {
        pure(funcs, name, Signature::new([STR, time_param()]), |a| {
            let d = parse_duration(arg_str(&a, 0)).map_err(|e| FuncError::new(e.to_string()))?;
            let t = time_of(&a[1]).cloned().unwrap_or_else(GoTime::zero);
            Ok(Value::object(t.add(d)))
        });
    }
    pure(funcs, "toDate", Signature::new([STR, STR]), |a| {
        let t = parse_in_location(arg_str(&a, 0), arg_str(&a, 1), &Location::Local)
            .unwrap_or_else(|_| GoTime::zero());
        Ok(Value::object(t))
    });
    pure(funcs, "mustToDate", Signature::new([STR, STR]), |a| {
        parse_in_location(arg_str(&a, 0), arg_str(&a, 1), &Location::Local)
            .map(Value::object)
            .map_err(|e| FuncError::new(e.to_string()))
    });
    pure(funcs, "unixEpoch", Signature::new([time_param()]), |a| {
        let t = time_of(&a[0]).cloned().unwrap_or_else(GoTime::zero);
        Ok(Value::from(t.unix.to_string()))
    });
    pure(funcs, "ago", Signature::new([ANY]), |a| {
        let t = match &a[0] {
            Value::Int(n, IntKind::Int64 | IntKind::Int) => GoTime::from_unix(*n),
            v => time_of(v).cloned().unwrap_or_else(GoTime::now),
        };
        Ok(Value::from(duration_string(gotime::duration_round(
            t.since(),
            1_000_000_000,
        ))))
    });
    pure(funcs, "duration", Signature::new([ANY]), |a| {
        let n = match &a[0] {
            Value::String(s) => super::conversions::parse_int(s, 10).unwrap_or(0),
            Value::Int(n, IntKind::Int64) => *n,
            _ => 0,
        };
        Ok(Value::from(duration_string(n.wrapping_mul(1_000_000_000))))
    });
    pure(funcs, "durationRound", Signature::new([ANY]), |a| {
        let d = match &a[0] {
            Value::String(s) => parse_duration(s).unwrap_or(0),
            Value::Int(n, IntKind::Int64) => *n,
            v => time_of(v).map_or(0, GoTime::since),
        };
        Ok(Value::from(duration_round_text(d)))
    });
}

/// Sprig `dateInZone`: formats a `time.Time` (or Unix seconds given as `int`, `int32` or
/// `int64`; anything else means now) in `zone` (UTC when the zone is unknown).
pub fn date_in_zone(layout: &str, date: &Value, zone: &str) -> String {
    let t = match date {
        Value::Int(n, IntKind::Int | IntKind::Int32 | IntKind::Int64) => GoTime::from_unix(*n),
        v => time_of(v).cloned().unwrap_or_else(GoTime::now),
    };
    let loc = Location::load(zone).unwrap_or(Location::Utc);
    t.in_location(loc).format(layout)
}

/// Sprig `durationRound`: the largest whole unit (`y` = 365 days, `mo` = 30 days, `d`, `h`,
/// `m`, `s`) strictly below the absolute duration, truncated.
pub fn duration_round_text(d: i64) -> String {
    let u = d.unsigned_abs();
    const SECOND: u64 = 1_000_000_000;
    const MINUTE: u64 = 60 * SECOND;
    const HOUR: u64 = 60 * MINUTE;
    const DAY: u64 = 24 * HOUR;
    const MONTH: u64 = 30 * DAY;
    const YEAR: u64 = 365 * DAY;
    for (unit, suffix) in [
        (YEAR, "y"),
        (MONTH, "mo"),
        (DAY, "d"),
        (HOUR, "h"),
        (MINUTE, "m"),
        (SECOND, "s"),
    ] {
        if u > unit {
            return format!("{}{suffix}", u / unit);
        }
    }
    "0s".to_string()
}
