//! The template function registry: how functions are declared, checked and called.
//!
//! # Contract for function authors (Sprig, codec, Helm functions)
//!
//! Go's `text/template` calls functions by reflection: it checks the argument count against
//! the Go signature, converts each argument to the declared parameter type (erroring with
//! Go's messages when it cannot), calls the function, and turns a returned `error` (or a
//! panic) into `error calling NAME: MESSAGE`. To reproduce that exactly, every function is
//! registered with its Go [`Signature`]; the executor does all of the checking before the
//! Rust implementation runs. An implementation therefore receives arguments that already
//! satisfy the signature:
//!
//! - one [`Value`] per fixed parameter, then one per variadic argument (not packed);
//! - a `ParamType::String` argument is always `Value::String` (`ParamType::RawString` may
//!   also be a `Value::ByteString`: a Go string that is not UTF-8), `ParamType::Int(IntKind::Int)`
//!   always `Value::Int(_, IntKind::Int)`, `ParamType::Float64` always `Value::Float`, etc.;
//! - a `ParamType::Any` argument is any value; nil arrives as [`Value::Nil`] (never
//!   [`Value::Invalid`]);
//! - `ParamType::List(e)` / `ParamType::Map(e)` arguments are `Value::List` / `Value::Map` of
//!   that element type (named or unnamed, as Go's assignability allows).
//!
//! It returns `Ok(value)` (the Go result; return [`Value::Nil`] for a nil `interface{}`) or
//! `Err(FuncError)` whose message is what Go's `err.Error()` (or panic value) would print;
//! the executor prefixes `error calling NAME: ` and the location. Functions that never fail
//! in Go (single return value) should still return `Ok`. Maps are shared by reference
//! (`Value::Map` holds an `Rc<RefCell<GoMap>>`): mutate in place to get Go's aliasing.
//!
//! ```ignore
//! use crate::template::funcs::{FuncMap, ParamType, Signature};
//! use crate::template::value::Value;
//! let mut funcs = FuncMap::new();
//! // Go: func upper(s string) string
//! funcs.register("upper", Signature::new([ParamType::String]), |_ctx, args| {
//!     Ok(Value::from(args[0].as_str().unwrap_or_default().to_uppercase()))
//! });
//! // Go: func list(v ...interface{}) []interface{}
//! funcs.register("list", Signature::new([]).variadic(ParamType::Any), |_ctx, args| {
//!     Ok(Value::list(args))
//! });
//! ```
//!
//! Building results: `Value::from(&str | String | bool | f64)`, `Value::int(i64)` (Go `int`),
//! `Value::int64`, `Value::Uint(n, UintKind::Uint64)`, `Value::list(vec)` (`[]interface {}`),
//! `Value::string_list(..)` (`[]string`), `Value::typed_list(ElemType::Int(IntKind::Int), ..)`
//! (`[]int`), `Value::map(btreemap)` (`map[string]interface {}`),
//! `Value::typed_map(CollType::of(ElemType::String), ..)` (`map[string]string`),
//! `Value::Bytes(..)` (`[]byte`), `Value::object(..)` for structs (see [`Object`]).
//! `Value::type_name()` and `Value::kind_name()` give Go's `%T` and `reflect.Kind` names
//! (Sprig's `typeOf`/`kindOf`); `Value::is_true()` is Go's truth; `gofmt::sprint` /
//! `gofmt::sprintf` are Go's `fmt.Sprint`/`Sprintf` (Sprig's `toString`, `printf`-style).
//! Errors: `FuncError::new(msg)`; a Go panic inside a function is reported the same way
//! (`error calling NAME: PANIC-VALUE`), so return `Err` where Sprig panics.
//!
//! [`Object`]: crate::template::value::Object
//!
//! The [`CallContext`] gives access to the running render (used by `include`, `tpl`,
//! `required`, `fail`): options such as lint mode, template execution, and per-render state.
//!
//! Helm's engine functions that need the engine live in [`helm`] (`include`, `tpl`,
//! `required`, `fail`). Sprig functions and the codec-backed ones (`toYaml`, `toJson`,
//! `fromYaml`, …) are registered by their own modules into the same [`FuncMap`]; the chart
//! renderer builds the full map (Sprig's `TxtFuncMap` minus `env`/`expandenv`, Helm's
//! extras, then [`helm::register`]) before parsing, since Go checks function names at parse
//! time.

pub mod helm;

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use super::Options;
use super::error::{FuncError, TemplateError};
use super::exec::{Runtime, Scope};
use super::value::{ElemType, IntKind, UintKind, Value};

/// The Go type of a function parameter. It decides how an argument is checked and converted
/// (`validateType` and `evalArg` in `text/template/exec.go`) and the type name in errors.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamType {
    /// `interface {}`: accepts anything; nil arrives as [`Value::Nil`].
    Any,
    /// `reflect.Value`: like `Any` but keeps Go's distinction between no value
    /// ([`Value::Invalid`]) and a nil interface ([`Value::Nil`]). Used by Go's builtins.
    Reflect,
    /// `bool`.
    Bool,
    /// `string`. An argument whose bytes are not UTF-8 ([`Value::ByteString`]) arrives as a
    /// [`Value::String`] with each invalid byte replaced by U+FFFD (Go's reading of the
    /// bytes as runes); functions that handle bytes declare [`ParamType::RawString`].
    String,
    /// `string`, passed as is: a [`Value::String`], or a [`Value::ByteString`] when the Go
    /// string's bytes are not UTF-8 (for byte-oriented functions such as `b64enc`).
    RawString,
    /// A signed integer type.
    Int(IntKind),
    /// An unsigned integer type.
    Uint(UintKind),
    /// `float64`.
    Float64,
    /// `complex128`.
    Complex128,
    /// `[]byte` (`[]uint8`).
    Bytes,
    /// `[]E`.
    List(ElemType),
    /// `map[string]E`.
    Map(ElemType),
    /// A named type, matched by its Go type name (e.g. `*semver.Version`, `time.Time`).
    /// Pointer types (names starting with `*`) accept nil.
    Named(Cow<'static, str>),
}

impl ParamType {
    /// Go's type name, as used in error messages (`expected string; got int`).
    pub fn go_name(&self) -> Cow<'_, str> {
        match self {
            ParamType::Any => Cow::Borrowed("interface {}"),
            ParamType::Reflect => Cow::Borrowed("reflect.Value"),
            ParamType::Bool => Cow::Borrowed("bool"),
            ParamType::String | ParamType::RawString => Cow::Borrowed("string"),
            ParamType::Int(k) => Cow::Borrowed(k.go_name()),
            ParamType::Uint(k) => Cow::Borrowed(k.go_name()),
            ParamType::Float64 => Cow::Borrowed("float64"),
            ParamType::Complex128 => Cow::Borrowed("complex128"),
            ParamType::Bytes => Cow::Borrowed("[]uint8"),
            ParamType::List(e) => Cow::Owned(format!("[]{}", e.go_name())),
            ParamType::Map(e) => Cow::Owned(format!("map[string]{}", e.go_name())),
            ParamType::Named(n) => Cow::Borrowed(n),
        }
    }

    /// Whether an untyped nil can be assigned (Go's `canBeNil`).
    pub fn can_be_nil(&self) -> bool {
        match self {
            ParamType::Any
            | ParamType::Reflect
            | ParamType::Bytes
            | ParamType::List(_)
            | ParamType::Map(_) => true,
            ParamType::Named(n) => n.starts_with('*'),
            _ => false,
        }
    }

    /// The value a nil argument becomes for this parameter type.
    pub(crate) fn nil_value(&self) -> Value {
        match self {
            ParamType::Reflect => Value::Invalid,
            ParamType::Bytes => Value::Bytes(std::sync::Arc::from(Vec::new())),
            ParamType::List(e) => Value::typed_list(e.clone(), Vec::new()),
            ParamType::Map(e) => {
                Value::typed_map(super::value::CollType::of(e.clone()), Default::default())
            }
            _ => Value::Nil,
        }
    }

    /// Whether a (non-nil, unboxed) value is assignable to this parameter type.
    pub(crate) fn accepts(&self, v: &Value) -> bool {
        match (self, v) {
            (ParamType::Any | ParamType::Reflect, _) => true,
            (ParamType::Bool, Value::Bool(_)) => true,
            (ParamType::String | ParamType::RawString, Value::String(_) | Value::ByteString(_)) => {
                true
            }
            (ParamType::Int(k), Value::Int(_, k2)) => k == k2,
            (ParamType::Uint(k), Value::Uint(_, k2)) => k == k2,
            (ParamType::Float64, Value::Float(_)) => true,
            (ParamType::Complex128, Value::Complex(..)) => true,
            (ParamType::Bytes, Value::Bytes(_)) => true,
            (ParamType::List(e), Value::List(l)) => l.ty.elem == *e,
            (ParamType::Map(e), Value::Map(m)) => m.borrow().ty.elem == *e,
            (ParamType::Named(n), v) => v.has_type_name(n),
            _ => false,
        }
    }
}

impl fmt::Display for ParamType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.go_name())
    }
}

/// A Go function signature: fixed parameters, then an optional variadic element type
/// (`...T`). Results are not declared: every function returns one value or an error.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Signature {
    /// Fixed parameters in order.
    pub params: Vec<ParamType>,
    /// Element type of the final `...T` parameter, if variadic.
    pub variadic: Option<ParamType>,
}

impl Signature {
    /// A non-variadic signature with the given parameters.
    pub fn new(params: impl IntoIterator<Item = ParamType>) -> Signature {
        Signature {
            params: params.into_iter().collect(),
            variadic: None,
        }
    }

    /// Makes the signature variadic with element type `elem` (Go `...elem`).
    pub fn variadic(mut self, elem: ParamType) -> Signature {
        self.variadic = Some(elem);
        self
    }
}

/// Implementation of a template function: checked arguments in, Go result or error out.
pub type NativeFn =
    dyn Fn(&mut CallContext<'_, '_>, Vec<Value>) -> Result<Value, FuncError> + Send + Sync;

/// A registered template function.
#[derive(Clone)]
pub struct Function {
    /// Go signature, checked before the call.
    pub sig: Signature,
    /// Implementation.
    pub imp: Arc<NativeFn>,
}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Function").field("sig", &self.sig).finish()
    }
}

/// Name → function table (Go's `template.FuncMap`). Go's builtins (`and`, `eq`, `printf`, …)
/// are always available and need not be registered; a registered function of the same name
/// takes precedence over a builtin, as in Go.
#[derive(Clone, Default, Debug)]
pub struct FuncMap {
    map: HashMap<String, Function>,
}

impl FuncMap {
    /// An empty map.
    pub fn new() -> FuncMap {
        FuncMap::default()
    }

    /// Registers (or replaces) a function.
    pub fn register<F>(&mut self, name: &str, sig: Signature, f: F)
    where
        F: Fn(&mut CallContext<'_, '_>, Vec<Value>) -> Result<Value, FuncError>
            + Send
            + Sync
            + 'static,
    {
        self.map.insert(
            name.to_string(),
            Function {
                sig,
                imp: Arc::new(f),
            },
        );
    }

    /// Registers (or replaces) an already built function.
    pub fn insert(&mut self, name: &str, f: Function) {
        self.map.insert(name.to_string(), f);
    }

    /// Removes a function (e.g. Helm removes Sprig's `env` and `expandenv`).
    pub fn remove(&mut self, name: &str) -> Option<Function> {
        self.map.remove(name)
    }

    /// Looks up a registered function.
    pub fn get(&self, name: &str) -> Option<&Function> {
        self.map.get(name)
    }

    /// Whether a function is registered (builtins excluded).
    pub fn contains(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    /// Registered names (builtins excluded), in no particular order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.map.keys().map(String::as_str)
    }

    /// Whether `name` is callable from templates: registered or a Go builtin.
    pub fn is_defined(&self, name: &str) -> bool {
        self.map.contains_key(name) || super::builtins::is_builtin(name)
    }
}

/// What a function can reach of the running execution.
pub struct CallContext<'c, 'a> {
    pub(crate) scope: &'c Scope<'a>,
    pub(crate) rt: &'c mut Runtime,
    pub(crate) funcs: &'c FuncMap,
    pub(crate) options: &'c Options,
}

impl CallContext<'_, '_> {
    /// The engine options of this render (missing-key mode, lint mode, limits).
    pub fn options(&self) -> &Options {
        self.options
    }

    /// Go's `Template.ExecuteTemplate` on the template set visible to the caller: runs the
    /// named template with `data` as dot and `$`, and returns its output bytes (a Go string:
    /// see [`Value::from_go_bytes`]). The output keeps Go's `<no value>` markers.
    pub fn execute_template(&mut self, name: &str, data: Value) -> Result<Vec<u8>, TemplateError> {
        super::exec::execute_in(self.scope, self.rt, self.funcs, self.options, name, data)
    }

    /// Per-render counter storage (Helm's `include` recursion guard uses it).
    pub fn counter(&mut self, key: &str) -> &mut usize {
        self.rt.counters.entry(key.to_string()).or_insert(0)
    }
}
