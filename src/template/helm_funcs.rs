//! Helm's own template functions that are not part of the engine core
//! (helm.sh/helm/v4 v4.3.1 `pkg/engine/funcs.go` and `engine.go` `initFunMap`):
//!
//! - `toYaml`, `mustToYaml`, `toYamlPretty`, `fromYaml`, `fromYamlArray`, `toJson`,
//!   `mustToJson`, `fromJson`, `fromJsonArray`, `toToml`, `mustToToml`, `fromToml`
//!   (through [`crate::codec`]; the non-`must` encoders return `""` on error, the decoders
//!   put the error text under `Error` or as the only array element);
//! - the duration helpers `mustToDuration`, `durationSeconds`, `durationMilliseconds`,
//!   `durationMicroseconds`, `durationNanoseconds`, `durationMinutes`, `durationHours`,
//!   `durationDays`, `durationWeeks`, `durationRoundTo`, `durationTruncateTo`;
//! - `lookup APIVERSION KIND NAMESPACE NAME` through a caller-supplied [`LookupFn`]
//!   (without one it returns an empty map, as `helm template` and lint do);
//! - `getHostByName`, which returns `""` unless DNS lookups are enabled with a
//!   [`HostResolver`] (Helm's `--enable-dns`).
//!
//! Helm builds its map as Sprig's (minus `env`/`expandenv`), then these, then the engine's
//! `include`/`tpl`/`required`/`fail`: call [`crate::template::sprig::register`], then
//! [`register`], then [`crate::template::funcs::helm::register`].

use std::collections::BTreeMap;
use std::sync::Arc;

use super::error::FuncError;
use super::funcs::{FuncMap, ParamType, Signature};
use super::sprig::gotime::{self, GoDuration, duration_of};
use super::value::{JsonNumbers, Value};
use crate::codec;

/// Looks up Kubernetes objects for `lookup`: `(apiVersion, kind, namespace, name)` →
/// the object (or, with an empty name, the list) as JSON, or the error text Helm would
/// report. "Not found" must be returned as an empty JSON object, as Helm does.
pub type LookupFn =
    dyn Fn(&str, &str, &str, &str) -> Result<serde_json::Value, String> + Send + Sync;

/// Resolves a host name to its addresses for `getHostByName` (Go's `net.LookupHost`).
pub type HostResolver = dyn Fn(&str) -> Vec<String> + Send + Sync;

/// Context-dependent parts of Helm's function map.
#[derive(Clone, Default)]
pub struct HelmFuncOptions {
    /// Cluster access for `lookup`; `None` gives Helm's offline placeholder (empty map).
    pub lookup: Option<Arc<LookupFn>>,
    /// DNS resolution for `getHostByName`; `None` is Helm's default (DNS disabled, `""`).
    pub resolver: Option<Arc<HostResolver>>,
}

impl std::fmt::Debug for HelmFuncOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HelmFuncOptions")
            .field("lookup", &self.lookup.is_some())
            .field("resolver", &self.resolver.is_some())
            .finish()
    }
}

const ANY: ParamType = ParamType::Any;
const STR: ParamType = ParamType::String;

fn arg_str(args: &[Value], i: usize) -> &str {
    args.get(i).and_then(Value::as_str).unwrap_or_default()
}

fn reg<F>(funcs: &mut FuncMap, name: &str, sig: Signature, f: F)
where
    F: Fn(Vec<Value>) -> Result<Value, FuncError> + Send + Sync + 'static,
{
    funcs.register(name, sig, move |_, args| f(args));
}

/// Registers Helm's functions (see the module documentation) into `funcs`.
pub fn register(funcs: &mut FuncMap, options: &HelmFuncOptions) {
    let one = || Signature::new([ANY]);
    reg(funcs, "toYaml", one(), |a| {
        Ok(Value::from(
            json_of(&a[0])
                .map(|j| codec::yaml::to_yaml(&j))
                .unwrap_or_default(),
        ))
    });
    reg(funcs, "mustToYaml", one(), |a| {
        let j = json_of(&a[0])
            .map_err(|e| FuncError::new(format!("error marshaling into JSON: {e}")))?;
        Ok(Value::from(codec::yaml::to_yaml(&j)))
    });
    reg(funcs, "toYamlPretty", one(), |a| {
        Ok(Value::from(
            json_of(&a[0])
                .map(|j| codec::yaml::to_yaml_pretty(&j))
                .unwrap_or_default(),
        ))
    });
    reg(funcs, "fromYaml", Signature::new([STR]), |a| {
        Ok(map_result(
            codec::yaml::from_yaml(arg_str(&a, 0)),
            JsonNumbers::Float64,
        ))
    });
    reg(funcs, "fromYamlArray", Signature::new([STR]), |a| {
        Ok(list_result(codec::yaml::from_yaml_array(arg_str(&a, 0))))
    });
    reg(funcs, "toJson", one(), |a| {
        Ok(Value::from(
            check_marshalable(&a[0])
                .map(|()| a[0].go_json_text(codec::json::to_json))
                .unwrap_or_default(),
        ))
    });
    reg(funcs, "mustToJson", one(), |a| {
        check_marshalable(&a[0]).map_err(FuncError::new)?;
        Ok(Value::from(a[0].go_json_text(codec::json::to_json)))
    });
    reg(funcs, "fromJson", Signature::new([STR]), |a| {
        Ok(map_result(
            codec::json::from_json(arg_str(&a, 0)),
            JsonNumbers::Float64,
        ))
    });
    reg(funcs, "fromJsonArray", Signature::new([STR]), |a| {
        Ok(list_result(codec::json::from_json_array(arg_str(&a, 0))))
    });
    reg(funcs, "toToml", one(), |a| {
        let j = json_of(&a[0]).map_err(FuncError::new)?;
        codec::toml::to_toml(&j)
            .map(Value::from)
            .map_err(|e| FuncError::new(e.to_string()))
    });
    reg(funcs, "mustToToml", one(), |a| {
        let j = json_of(&a[0]).map_err(FuncError::new)?;
        match codec::toml::to_toml(&j) {
            Ok(s) if s.starts_with("toml: ") => Err(FuncError::new(s)),
            Ok(s) => Ok(Value::from(s)),
            Err(e) => Err(FuncError::new(e.to_string())),
        }
    });
    reg(funcs, "fromToml", Signature::new([STR]), |a| {
        Ok(map_result(
            codec::toml::from_toml(arg_str(&a, 0)),
            JsonNumbers::Int64WhenIntegral,
        ))
    });
    register_durations(funcs);
    let lookup = options.lookup.clone();
    reg(
        funcs,
        "lookup",
        Signature::new([STR, STR, STR, STR]),
        move |a| {
            let Some(f) = &lookup else {
                return Ok(Value::map(BTreeMap::new()));
            };
            let obj = f(
                arg_str(&a, 0),
                arg_str(&a, 1),
                arg_str(&a, 2),
                arg_str(&a, 3),
            )
            .map_err(FuncError::new)?;
            Ok(map_result(obj, JsonNumbers::Int64WhenIntegral))
        },
    );
    let resolver = options.resolver.clone();
    reg(funcs, "getHostByName", Signature::new([STR]), move |a| {
        let Some(r) = &resolver else {
            return Ok(Value::from(""));
        };
        let addrs = r(arg_str(&a, 0));
        if addrs.is_empty() {
            return Err(FuncError::new("invalid argument to Intn"));
        }
        let i = crate::template::sprig::random::uniform(addrs.len() as u64)? as usize;
        Ok(Value::from(addrs[i].as_str()))
    });
}

/// A decoded document as Go's `map[string]interface{}` (JSON `null` is Go's nil map, which
/// prints as `map[]`).
fn map_result(json: serde_json::Value, numbers: JsonNumbers) -> Value {
    match json {
        serde_json::Value::Null => Value::map(BTreeMap::new()),
        other => Value::from_json_with(&other, numbers),
    }
}

/// A decoded document as Go's `[]interface{}` (JSON `null` is Go's nil slice, `[]`).
fn list_result(json: serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::list(Vec::new()),
        other => Value::from_json(&other),
    }
}

/// The JSON form of a value as `encoding/json` marshals it, or Go's error for values it
/// refuses (`json: unsupported value: NaN`, `json: unsupported type: complex128`).
pub fn json_of(v: &Value) -> Result<serde_json::Value, String> {
    check_marshalable(v)?;
    Ok(v.to_json())
}

fn check_marshalable(v: &Value) -> Result<(), String> {
    match v {
        Value::Float(f) if !f.is_finite() => Err(format!(
            "json: unsupported value: {}",
            crate::template::sprig::sprint_v(v)
        )),
        Value::Complex(..) => Err("json: unsupported type: complex128".to_string()),
        Value::List(l) => l.items.iter().try_for_each(check_marshalable),
        Value::Map(m) => m.borrow().entries.values().try_for_each(check_marshalable),
        _ => Ok(()),
    }
}

const NANOS: i64 = 1_000_000_000;
const MAX_DURATION_SECONDS: i64 = i64::MAX / NANOS;
const MIN_DURATION_SECONDS: i64 = i64::MIN / NANOS;

fn float_text(f: f64) -> String {
    crate::template::sprig::sprint_v(&Value::Float(f))
}

fn from_seconds_float(s: f64) -> Result<i64, String> {
    if !s.is_finite() {
        return Err(format!("invalid duration seconds: {}", float_text(s)));
    }
    let max = i64::MAX as f64 / NANOS as f64;
    let min = i64::MIN as f64 / NANOS as f64;
    if s > max || s < min {
        return Err(format!("duration seconds overflow: {}", float_text(s)));
    }
    let nanos = s * NANOS as f64;
    if nanos > i64::MAX as f64 || nanos < i64::MIN as f64 {
        return Err(format!(
            "duration nanoseconds overflow: {}",
            float_text(nanos)
        ));
    }
    Ok(crate::template::sprig::conversions::float_to_int64(nanos))
}

/// Helm's `asDuration`: a `time.Duration`, a duration string (`1h2m`), a numeric string or
/// number of seconds.
pub fn as_duration(v: &Value) -> Result<i64, String> {
    if let Some(d) = duration_of(v) {
        return Ok(d);
    }
    match v {
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                return Err("empty duration".to_string());
            }
            if let Ok(d) = gotime::parse_duration(t) {
                return Ok(d);
            }
            if let Some(f) = crate::template::sprig::conversions::parse_float(t) {
                return from_seconds_float(f);
            }
            Err(format!(
                "could not parse duration {}",
                crate::template::gofmt::go_quote(s)
            ))
        }
        Value::Nil | Value::Invalid => Err("invalid duration".to_string()),
        Value::Int(n, _) => {
            if *n > MAX_DURATION_SECONDS || *n < MIN_DURATION_SECONDS {
                return Err(format!("duration seconds overflow: {n}"));
            }
            Ok(n * NANOS)
        }
        Value::Uint(n, _) => {
            if *n > MAX_DURATION_SECONDS as u64 {
                return Err(format!("duration seconds overflow: {n}"));
            }
            Ok(*n as i64 * NANOS)
        }
        Value::Float(f) => from_seconds_float(*f),
        other => Err(format!("unsupported duration type {}", other.type_name())),
    }
}

fn duration_value(d: i64) -> Value {
    Value::object(GoDuration(d))
}

fn register_durations(funcs: &mut FuncMap) {
    let one = || Signature::new([ANY]);
    reg(funcs, "mustToDuration", one(), |a| {
        as_duration(&a[0])
            .map(duration_value)
            .map_err(FuncError::new)
    });
    let float_fn = |f: fn(i64) -> f64| {
        move |a: Vec<Value>| Ok(Value::Float(as_duration(&a[0]).map_or(0.0, f)))
    };
    let int_fn =
        |f: fn(i64) -> i64| move |a: Vec<Value>| Ok(Value::int64(as_duration(&a[0]).map_or(0, f)));
    let secs = |d: i64| (d / NANOS) as f64 + (d % NANOS) as f64 / 1e9;
    let mins = |d: i64| (d / (60 * NANOS)) as f64 + (d % (60 * NANOS)) as f64 / (60.0 * 1e9);
    let hours = |d: i64| (d / (3600 * NANOS)) as f64 + (d % (3600 * NANOS)) as f64 / (3600.0 * 1e9);
    reg(funcs, "durationSeconds", one(), float_fn(secs));
    reg(funcs, "durationMinutes", one(), float_fn(mins));
    reg(funcs, "durationHours", one(), float_fn(hours));
    reg(
        funcs,
        "durationDays",
        one(),
        float_fn(|d| {
            ((d / (3600 * NANOS)) as f64 + (d % (3600 * NANOS)) as f64 / (3600.0 * 1e9)) / 24.0
        }),
    );
    reg(
        funcs,
        "durationWeeks",
        one(),
        float_fn(|d| {
            ((d / (3600 * NANOS)) as f64 + (d % (3600 * NANOS)) as f64 / (3600.0 * 1e9))
                / 24.0
                / 7.0
        }),
    );
    reg(
        funcs,
        "durationMilliseconds",
        one(),
        int_fn(|d| d / 1_000_000),
    );
    reg(funcs, "durationMicroseconds", one(), int_fn(|d| d / 1_000));
    reg(funcs, "durationNanoseconds", one(), int_fn(|d| d));
    reg(funcs, "durationRoundTo", Signature::new([ANY, ANY]), |a| {
        let Ok(d) = as_duration(&a[0]) else {
            return Ok(duration_value(0));
        };
        Ok(duration_value(match as_duration(&a[1]) {
            Ok(m) => gotime::duration_round(d, m),
            Err(_) => d,
        }))
    });
    reg(
        funcs,
        "durationTruncateTo",
        Signature::new([ANY, ANY]),
        |a| {
            let Ok(d) = as_duration(&a[0]) else {
                return Ok(duration_value(0));
            };
            Ok(duration_value(match as_duration(&a[1]) {
                Ok(m) => gotime::duration_truncate(d, m),
                Err(_) => d,
            }))
        },
    );
}
