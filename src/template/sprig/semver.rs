//! Semantic versions (Sprig `semver.go` over github.com/Masterminds/semver/v3 v3.5.0):
//! `semver` returns a `*semver.Version` object whose methods (`Major`, `Minor`, `Patch`,
//! `Prerelease`, `Metadata`, `Original`, `String`, `IncMajor`, `IncMinor`, `IncPatch`,
//! `SetPrerelease`, `SetMetadata`, `LessThan`, `LessThanEqual`, `GreaterThan`,
//! `GreaterThanEqual`, `Equal`, `Compare`) are callable from templates; `semverCompare`
//! checks a version against a constraint. Parsing and errors come from [`crate::semver`].

use std::any::Any;
use std::borrow::Cow;
use std::cmp::Ordering;

use super::{STR, arg_str, pure};
use crate::semver::{Constraints, Version};
use crate::template::error::FuncError;
use crate::template::funcs::{FuncMap, ParamType, Signature};
use crate::template::value::{Object, UintKind, Value};

/// Go type name of Sprig's `semver` result.
pub const VERSION_PTR_TYPE: &str = "*semver.Version";

pub(crate) fn register(funcs: &mut FuncMap) {
    pure(funcs, "semver", Signature::new([STR]), |a| {
        let v = Version::parse(arg_str(&a, 0)).map_err(|e| FuncError::new(e.to_string()))?;
        Ok(Value::object(SemverVersion { v, pointer: true }))
    });
    pure(funcs, "semverCompare", Signature::new([STR, STR]), |a| {
        let c = Constraints::parse(arg_str(&a, 0)).map_err(|e| FuncError::new(e.to_string()))?;
        let v = Version::parse(arg_str(&a, 1)).map_err(|e| FuncError::new(e.to_string()))?;
        Ok(Value::Bool(c.check(&v)))
    });
}

/// A `semver.Version` (or `*semver.Version`) template value.
#[derive(Debug, Clone)]
pub struct SemverVersion {
    /// The version.
    pub v: Version,
    /// Whether this is the pointer type returned by `semver` (the `Inc*`/`Set*` methods
    /// return plain values).
    pub pointer: bool,
}

fn version_of(v: &Value) -> Option<&Version> {
    match v {
        Value::Object(o) => o.as_any().downcast_ref::<SemverVersion>().map(|s| &s.v),
        _ => None,
    }
}

impl Object for SemverVersion {
    fn type_name(&self) -> Cow<'_, str> {
        Cow::Borrowed(if self.pointer {
            VERSION_PTR_TYPE
        } else {
            "semver.Version"
        })
    }
    fn is_pointer(&self) -> bool {
        self.pointer
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn method_signature(&self, name: &str) -> Option<Signature> {
        let ptr = || ParamType::Named(Cow::Borrowed(VERSION_PTR_TYPE));
        match name {
            "String" | "Major" | "Minor" | "Patch" | "Prerelease" | "Metadata" | "IncMajor"
            | "IncMinor" | "IncPatch" => Some(Signature::new([])),
            "Original" if self.pointer => Some(Signature::new([])),
            "SetPrerelease" | "SetMetadata" => Some(Signature::new([ParamType::String])),
            "LessThan" | "LessThanEqual" | "GreaterThan" | "GreaterThanEqual" | "Equal"
            | "Compare"
                if self.pointer =>
            {
                Some(Signature::new([ptr()]))
            }
            _ => None,
        }
    }
    fn call_method(&self, name: &str, args: &[Value]) -> Result<Value, FuncError> {
        let u = |n: u64| Ok(Value::Uint(n, UintKind::Uint64));
        let val = |r: Result<Version, crate::semver::Error>| {
            r.map(|v| Value::object(SemverVersion { v, pointer: false }))
                .map_err(|e| FuncError::new(e.to_string()))
        };
        let other = || -> Result<&Version, FuncError> {
            args.first()
                .and_then(version_of)
                .ok_or_else(|| FuncError::new(super::NIL_DEREF))
        };
        match name {
            "String" => Ok(Value::from(self.v.to_string())),
            "Original" => Ok(Value::from(self.v.original())),
            "Major" => u(self.v.major()),
            "Minor" => u(self.v.minor()),
            "Patch" => u(self.v.patch()),
            "Prerelease" => Ok(Value::from(self.v.prerelease())),
            "Metadata" => Ok(Value::from(self.v.metadata())),
            "IncMajor" => val(self.v.inc_major()),
            "IncMinor" => val(self.v.inc_minor()),
            "IncPatch" => val(self.v.inc_patch()),
            "SetPrerelease" => val(self
                .v
                .set_prerelease(args.first().and_then(Value::as_str).unwrap_or_default())),
            "SetMetadata" => val(self
                .v
                .set_metadata(args.first().and_then(Value::as_str).unwrap_or_default())),
            "LessThan" => Ok(Value::Bool(self.v.cmp(other()?) == Ordering::Less)),
            "LessThanEqual" => Ok(Value::Bool(self.v.cmp(other()?) != Ordering::Greater)),
            "GreaterThan" => Ok(Value::Bool(self.v.cmp(other()?) == Ordering::Greater)),
            "GreaterThanEqual" => Ok(Value::Bool(self.v.cmp(other()?) != Ordering::Less)),
            "Equal" => Ok(Value::Bool(self.v.cmp(other()?) == Ordering::Equal)),
            "Compare" => Ok(Value::int(match self.v.cmp(other()?) {
                Ordering::Less => -1,
                Ordering::Equal => 0,
                Ordering::Greater => 1,
            })),
            _ => Err(FuncError::new(format!("method {name} not implemented"))),
        }
    }
    fn fields(&self) -> Vec<(String, Value)> {
        Vec::new()
    }
    fn go_string(&self) -> Option<String> {
        Some(self.v.to_string())
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::Value::String(self.v.to_string())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
