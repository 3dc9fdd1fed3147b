//! Go-shaped values for template execution.
//!
//! Go's `text/template` works on `reflect.Value`s of arbitrary Go types; Helm feeds it
//! `map[string]interface{}` trees (values, `.Release`, `.Chart`), typed structs
//! (`*common.Capabilities`), named map types with methods (`common.Values`, `engine.files`)
//! and whatever Sprig functions return (`int`, `int64`, `[]string`, `map[string]string`, …).
//! [`Value`] models exactly the distinctions that change template output or error text:
//! the Go kind, the Go type name (`%T`, `typeOf`, error messages), map reference semantics,
//! and the difference between "no value" (an invalid `reflect.Value`) and a nil `interface{}`.
//!
//! Maps are shared and mutable in place (`Rc<RefCell<…>>`) so that Sprig's `set`/`unset`/
//! `merge` change the caller's map as in Go. Lists, strings and bytes are immutable and shared.
//! Values are per-render (not `Send`); parsed templates hold no `Value`s.

use std::any::Any;
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

use super::error::FuncError;
use super::funcs::Signature;

/// Shared immutable string used for Go strings and map keys.
pub type Str = Arc<str>;

/// A shared, mutable Go map with string keys (`map[string]T`). Iteration is in Go's sorted
/// key order (byte-wise), which is the order `range` and `fmt` use.
pub type MapRef = Rc<RefCell<GoMap>>;

/// Go's signed integer types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntKind {
    /// `int` (64-bit on Helm's platforms).
    Int,
    /// `int8`.
    Int8,
    /// `int16`.
    Int16,
    /// `int32` (also `rune`).
    Int32,
    /// `int64`.
    Int64,
}

impl IntKind {
    /// The Go type name, e.g. `int64`.
    pub fn go_name(self) -> &'static str {
        match self {
            IntKind::Int => "int",
            IntKind::Int8 => "int8",
            IntKind::Int16 => "int16",
            IntKind::Int32 => "int32",
            IntKind::Int64 => "int64",
        }
    }
}

/// Go's unsigned integer types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UintKind {
    /// `uint`.
    Uint,
    /// `uint8` (also `byte`).
    Uint8,
    /// `uint16`.
    Uint16,
    /// `uint32`.
    Uint32,
    /// `uint64`.
    Uint64,
    /// `uintptr`.
    Uintptr,
}

impl UintKind {
    /// The Go type name, e.g. `uint64`.
    pub fn go_name(self) -> &'static str {
        match self {
            UintKind::Uint => "uint",
            UintKind::Uint8 => "uint8",
            UintKind::Uint16 => "uint16",
            UintKind::Uint32 => "uint32",
            UintKind::Uint64 => "uint64",
            UintKind::Uintptr => "uintptr",
        }
    }
}

/// Element type of a Go slice or map value (`[]E`, `map[string]E`).
///
/// It decides the zero value returned for a missing map key under `missingkey=zero`, whether
/// elements are held in an `interface{}` slot (which changes Go's error texts), and the type
/// name printed by `%T`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ElemType {
    /// `interface {}`.
    Interface,
    /// `string`.
    String,
    /// `bool`.
    Bool,
    /// A signed integer type.
    Int(IntKind),
    /// An unsigned integer type.
    Uint(UintKind),
    /// `float64`.
    Float64,
    /// `[]uint8` (`[]byte`), as in Helm's `files` map.
    Bytes,
}

impl ElemType {
    /// The Go type name of the element type.
    pub fn go_name(&self) -> &'static str {
        match self {
            ElemType::Interface => "interface {}",
            ElemType::String => "string",
            ElemType::Bool => "bool",
            ElemType::Int(k) => k.go_name(),
            ElemType::Uint(k) => k.go_name(),
            ElemType::Float64 => "float64",
            ElemType::Bytes => "[]uint8",
        }
    }

    /// The Go zero value of the element type; `interface {}` gives a nil interface.
    pub fn zero(&self) -> Value {
        match self {
            ElemType::Interface => Value::Nil,
            ElemType::String => Value::String(Str::from("")),
            ElemType::Bool => Value::Bool(false),
            ElemType::Int(k) => Value::Int(0, *k),
            ElemType::Uint(k) => Value::Uint(0, *k),
            ElemType::Float64 => Value::Float(0.0),
            ElemType::Bytes => Value::Bytes(std::sync::Arc::from(Vec::new())),
        }
    }
}

/// A method of a named Go type, callable from templates as `.Method arg…`.
///
/// The receiver is passed as the first argument of `call`; `sig` describes the remaining
/// parameters and is checked by the executor with Go's rules before the call.
#[derive(Clone)]
pub struct Method {
    /// Method name as written in templates (exported Go name).
    pub name: String,
    /// Parameter types (receiver excluded).
    pub sig: Signature,
    /// Implementation: `(receiver, args) -> result`.
    pub call: Arc<MethodFn>,
}

/// Signature of a method implementation: receiver, then checked arguments.
pub type MethodFn = dyn Fn(&Value, &[Value]) -> Result<Value, FuncError> + Send + Sync;

impl fmt::Debug for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Method").field("name", &self.name).finish()
    }
}

/// A named Go slice or map type (for example `common.Values`, `engine.files`,
/// `common.VersionSet`), with its methods. Templates look up methods before map keys, as Go does.
#[derive(Debug)]
pub struct NamedType {
    /// Go type name as printed by `%T` (e.g. `common.Values`).
    pub name: String,
    /// Methods callable on values of this type.
    pub methods: Vec<Method>,
}

impl NamedType {
    /// Looks up a method by name.
    pub fn method(&self, name: &str) -> Option<&Method> {
        self.methods.iter().find(|m| m.name == name)
    }
}

/// The Go type of a slice or map value: element type plus an optional named type.
#[derive(Debug, Clone)]
pub struct CollType {
    /// Element type.
    pub elem: ElemType,
    /// Named type (with methods), or `None` for the unnamed `[]E` / `map[string]E`.
    pub named: Option<Arc<NamedType>>,
}

impl CollType {
    /// Whether the type's name is `name`: the named type's, or `kind` (`[]` or
    /// `map[string]`) followed by the element type's.
    fn is_named(&self, name: &str, kind: &str) -> bool {
        match &self.named {
            Some(n) => n.name == name,
            None => name
                .strip_prefix(kind)
                .is_some_and(|elem| elem == self.elem.go_name()),
        }
    }

    /// The unnamed type with the given element type.
    pub fn of(elem: ElemType) -> CollType {
        CollType { elem, named: None }
    }

    /// `[]interface {}` / `map[string]interface {}`.
    pub fn interface() -> CollType {
        CollType::of(ElemType::Interface)
    }
}

/// A Go slice value (`[]E`).
#[derive(Debug, Clone)]
pub struct List {
    /// The slice's Go type.
    pub ty: CollType,
    /// Elements.
    pub items: Vec<Value>,
}

/// A Go map value with string keys (`map[string]E`).
#[derive(Debug, Clone)]
pub struct GoMap {
    /// The map's Go type.
    pub ty: CollType,
    /// Entries in Go's sorted key order.
    pub entries: BTreeMap<Str, Value>,
    /// Whether this is a nil map (Go's zero map value, e.g. the `Annotations` of a chart that
    /// has none): it reads as empty, and `encoding/json` writes it as `null`.
    pub nil: bool,
}

/// A Go struct or pointer-to-struct value defined outside this module (e.g. Helm's
/// `*common.Capabilities`, `time.Time`, `*semver.Version`).
///
/// Field lookup and method calls follow Go: the executor first asks for a method of the
/// name, then for an exported field; when neither exists it reports
/// `can't evaluate field NAME in type TYPE`.
pub trait Object: fmt::Debug {
    /// Go type name as printed by `%T` and in error messages, e.g. `*common.Capabilities`.
    fn type_name(&self) -> Cow<'_, str>;
    /// Whether the Go value is a pointer to a struct (`&{…}` when printed at top level).
    fn is_pointer(&self) -> bool {
        true
    }
    /// Whether this is a nil pointer (printed `<nil>`, false in conditions; field access
    /// fails with `nil pointer evaluating TYPE.FIELD`). [`Object::fields`] should still list
    /// the struct's field names so the executor can tell a missing field from a nil pointer.
    fn is_nil(&self) -> bool {
        false
    }
    /// Value of an exported field, or `None` if the struct has no such field.
    fn field(&self, name: &str) -> Option<Value>;
    /// Signature of a method, or `None` if the type has no such method.
    fn method_signature(&self, _name: &str) -> Option<Signature> {
        None
    }
    /// Calls a method with arguments already checked against its signature.
    fn call_method(&self, name: &str, _args: &[Value]) -> Result<Value, FuncError> {
        Err(FuncError::new(format!("method {name} not implemented")))
    }
    /// All fields in declaration order, for `fmt`'s `{a b}` / `%+v` `{A:a B:b}` printing.
    fn fields(&self) -> Vec<(String, Value)>;
    /// The result of the type's `String()` (or `Error()`) method, if it has one; `fmt` uses
    /// it for `%v`, `%s`, `%q`, `%x`.
    fn go_string(&self) -> Option<String> {
        None
    }
    /// JSON form (what `encoding/json` would produce), used by the codec functions.
    fn to_json(&self) -> serde_json::Value;
    /// [`Object::to_json`] with each key of a struct's JSON object built by `key(position,
    /// name)`, `position` being the field's place in Go's declaration order (which
    /// `encoding/json` keeps for structs, where maps are sorted). [`Value::go_json_text`]
    /// uses it to restore that order. The default ignores `key` (no struct fields).
    fn to_json_ordered(&self, key: &dyn Fn(usize, &str) -> String) -> serde_json::Value {
        let _ = key;
        self.to_json()
    }
    /// For downcasting by functions that accept specific object types.
    fn as_any(&self) -> &dyn Any;
}

/// A Go value as seen by templates.
#[derive(Debug, Clone, Default)]
pub enum Value {
    /// Go's zero `reflect.Value` ("no value"): what a pipeline yields for a missing map key
    /// or a nil interface. Printed as `<no value>`. Functions never receive it (they get
    /// [`Value::Nil`]).
    #[default]
    Invalid,
    /// A nil `interface{}` (JSON `null`, a missing key of a `map[string]interface{}` under
    /// `missingkey=zero`, a function returning a nil `interface{}`). Printed by `fmt` as `<nil>`.
    Nil,
    /// `bool`.
    Bool(bool),
    /// A signed integer with its Go type.
    Int(i64, IntKind),
    /// An unsigned integer with its Go type.
    Uint(u64, UintKind),
    /// `float64` (all numbers in Helm values are `float64`).
    Float(f64),
    /// `complex128` (`(re+imi)`).
    Complex(f64, f64),
    /// `string` (valid UTF-8: the common case).
    String(Str),
    /// A Go `string` whose bytes are not valid UTF-8 (Go strings hold arbitrary bytes; they
    /// come from `b64dec`, `.Files.Get` of a binary file, …). Never holds valid UTF-8: build
    /// it with [`Value::from_go_bytes`], which gives [`Value::String`] when the bytes are
    /// UTF-8. Its Go type is `string`; byte-oriented consumers (output, `len`, `printf`,
    /// `b64enc`, hashes, comparisons) use the bytes, the others see
    /// [`go_lossy`]'s text, where each invalid byte is U+FFFD as in Go's `range` over a string.
    ByteString(Arc<[u8]>),
    /// `[]byte` (`[]uint8`).
    Bytes(Arc<[u8]>),
    /// A slice.
    List(Rc<List>),
    /// A map (shared, mutable).
    Map(MapRef),
    /// A struct or pointer defined by another module.
    Object(Rc<dyn Object>),
}

/// How many struct fields [`Value::go_json_text`] can order (private-use marks reserved).
const ORDER_MARKS: u32 = 64;

/// How JSON numbers become Go numbers in [`Value::from_json_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonNumbers {
    /// Every number is `float64`, as `encoding/json` into `interface{}` does (Helm values).
    Float64,
    /// Integral numbers that fit become `int64`, others `float64` (JSON decoded with
    /// `UseNumber`-like integer preservation, as some YAML decoders do).
    Int64WhenIntegral,
    /// Integral numbers that fit become `int`, others `float64` (YAML decoders such as
    /// `goyaml.v3` into `interface{}`).
    IntWhenIntegral,
}

impl Value {
    /// A Go `int`.
    pub fn int(n: i64) -> Value {
        Value::Int(n, IntKind::Int)
    }

    /// A Go `int64`.
    pub fn int64(n: i64) -> Value {
        Value::Int(n, IntKind::Int64)
    }

    /// A Go `string`.
    pub fn string(s: impl Into<Str>) -> Value {
        Value::String(s.into())
    }

    /// A `[]interface {}` with the given elements.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(List {
            ty: CollType::interface(),
            items,
        }))
    }

    /// A slice of the given element type (e.g. `[]string` for [`ElemType::String`]).
    pub fn typed_list(elem: ElemType, items: Vec<Value>) -> Value {
        Value::List(Rc::new(List {
            ty: CollType::of(elem),
            items,
        }))
    }

    /// A `[]string`.
    pub fn string_list<I, S>(items: I) -> Value
    where
        I: IntoIterator<Item = S>,
        S: Into<Str>,
    {
        Value::typed_list(
            ElemType::String,
            items.into_iter().map(|s| Value::String(s.into())).collect(),
        )
    }

    /// A new `map[string]interface {}` with the given entries.
    pub fn map(entries: BTreeMap<Str, Value>) -> Value {
        Value::Map(Rc::new(RefCell::new(GoMap {
            ty: CollType::interface(),
            entries,
            nil: false,
        })))
    }

    /// A new map of the given type.
    pub fn typed_map(ty: CollType, entries: BTreeMap<Str, Value>) -> Value {
        Value::Map(Rc::new(RefCell::new(GoMap {
            ty,
            entries,
            nil: false,
        })))
    }

    /// A nil map of the given type (see [`GoMap::nil`]).
    pub fn nil_map(ty: CollType) -> Value {
        Value::Map(Rc::new(RefCell::new(GoMap {
            ty,
            entries: BTreeMap::new(),
            nil: true,
        })))
    }

    /// Wraps an object.
    pub fn object(o: impl Object + 'static) -> Value {
        Value::Object(Rc::new(o))
    }

    /// The Go string with these bytes: [`Value::String`] when they are UTF-8,
    /// [`Value::ByteString`] otherwise.
    pub fn from_go_bytes(bytes: Vec<u8>) -> Value {
        match String::from_utf8(bytes) {
            Ok(s) => Value::String(Str::from(s)),
            Err(e) => Value::ByteString(std::sync::Arc::from(e.into_bytes())),
        }
    }

    /// The bytes of a Go `string` ([`Value::String`] or [`Value::ByteString`]).
    pub fn go_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::String(s) => Some(s.as_bytes()),
            Value::ByteString(b) => Some(b),
            _ => None,
        }
    }

    /// A Go `string` as text: the string itself, or for a [`Value::ByteString`] its
    /// [`go_lossy`] form.
    pub fn go_text(&self) -> Option<Cow<'_, str>> {
        match self {
            Value::String(s) => Some(Cow::Borrowed(s)),
            Value::ByteString(b) => Some(Cow::Owned(go_lossy(b))),
            _ => None,
        }
    }

    /// The string, if this is a Go `string` that is valid UTF-8 (see [`Value::go_text`] and
    /// [`Value::go_bytes`] for any Go string).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The bool, if this is a Go `bool`.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Whether the value is nil or no value.
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil | Value::Invalid)
    }

    /// Go's type name as printed by `%T` (`<nil>` for nil), e.g. `map[string]interface {}`.
    pub fn type_name(&self) -> Cow<'_, str> {
        match self {
            Value::Invalid | Value::Nil => Cow::Borrowed("<nil>"),
            Value::Bool(_) => Cow::Borrowed("bool"),
            Value::Int(_, k) => Cow::Borrowed(k.go_name()),
            Value::Uint(_, k) => Cow::Borrowed(k.go_name()),
            Value::Float(_) => Cow::Borrowed("float64"),
            Value::Complex(..) => Cow::Borrowed("complex128"),
            Value::String(_) | Value::ByteString(_) => Cow::Borrowed("string"),
            Value::Bytes(_) => Cow::Borrowed("[]uint8"),
            Value::List(l) => match &l.ty.named {
                Some(n) => Cow::Owned(n.name.clone()),
                None => Cow::Owned(format!("[]{}", l.ty.elem.go_name())),
            },
            Value::Map(m) => {
                let m = m.borrow();
                match &m.ty.named {
                    Some(n) => Cow::Owned(n.name.clone()),
                    None => Cow::Owned(format!("map[string]{}", m.ty.elem.go_name())),
                }
            }
            Value::Object(o) => Cow::Owned(o.type_name().into_owned()),
        }
    }

    /// Whether [`Value::type_name`] is `name`, without building the name (checked at every
    /// call of a function with a named parameter type).
    pub(crate) fn has_type_name(&self, name: &str) -> bool {
        match self {
            Value::List(l) => l.ty.is_named(name, "[]"),
            Value::Map(m) => m.borrow().ty.is_named(name, "map[string]"),
            other => other.type_name() == name,
        }
    }

    /// The type name after Go's `indirect` (a non-nil pointer's element type), as used by
    /// `len`, `index`, `slice` and `range` errors.
    pub(crate) fn indirect_type_name(&self) -> Cow<'_, str> {
        match self {
            Value::Object(o) if o.is_pointer() && !o.is_nil() => {
                let t = o.type_name().into_owned();
                Cow::Owned(t.strip_prefix('*').map(str::to_string).unwrap_or(t))
            }
            other => other.type_name(),
        }
    }

    /// Go's `reflect.Kind` name (`map`, `slice`, `int64`, `ptr`, `struct`, `invalid`), as
    /// Sprig's `kindOf` prints it.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Invalid | Value::Nil => "invalid",
            Value::Bool(_) => "bool",
            Value::Int(_, k) => k.go_name(),
            Value::Uint(_, k) => k.go_name(),
            Value::Float(_) => "float64",
            Value::Complex(..) => "complex128",
            Value::String(_) | Value::ByteString(_) => "string",
            Value::Bytes(_) | Value::List(_) => "slice",
            Value::Map(_) => "map",
            Value::Object(o) => {
                if o.is_pointer() {
                    "ptr"
                } else {
                    "struct"
                }
            }
        }
    }

    /// Go's truth (text/template `IsTrue`): false for nil, zero numbers, `false`, and empty
    /// strings, slices and maps; structs and non-nil pointers are true.
    pub fn is_true(&self) -> bool {
        match self {
            Value::Invalid | Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(n, _) => *n != 0,
            Value::Uint(n, _) => *n != 0,
            Value::Float(f) => *f != 0.0,
            Value::Complex(r, i) => *r != 0.0 || *i != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::ByteString(b) | Value::Bytes(b) => !b.is_empty(),
            Value::List(l) => !l.items.is_empty(),
            Value::Map(m) => !m.borrow().entries.is_empty(),
            Value::Object(o) => !o.is_nil(),
        }
    }

    /// Converts JSON to Go values the way `encoding/json` decodes into `interface{}`:
    /// objects become `map[string]interface {}`, arrays `[]interface {}`, numbers `float64`.
    pub fn from_json(json: &serde_json::Value) -> Value {
        Value::from_json_with(json, JsonNumbers::Float64)
    }

    /// Converts JSON to Go values with the given number mode (see [`JsonNumbers`]).
    pub fn from_json_with(json: &serde_json::Value, numbers: JsonNumbers) -> Value {
        match json {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => number_from_json(n, numbers),
            serde_json::Value::String(s) => Value::String(Str::from(s.as_str())),
            serde_json::Value::Array(a) => Value::list(
                a.iter()
                    .map(|v| Value::from_json_with(v, numbers))
                    .collect(),
            ),
            serde_json::Value::Object(o) => Value::map(
                o.iter()
                    .map(|(k, v)| (Str::from(k.as_str()), Value::from_json_with(v, numbers)))
                    .collect(),
            ),
        }
    }

    /// Converts to JSON as `encoding/json` would marshal the Go value: integers stay
    /// integers, `float64` become JSON numbers (non-finite floats become `null`, where Go's
    /// encoder would fail), `[]byte` becomes a base64 string, nil becomes `null`, a string's
    /// invalid UTF-8 bytes become U+FFFD each ([`go_lossy`]).
    pub fn to_json(&self) -> serde_json::Value {
        self.to_json_marking('\u{FFFD}', None)
    }

    /// JSON text of the value as `encoding/json` writes it, given `encode` (one of the
    /// codec's JSON writers over [`Value::to_json`]): a string's bytes that are not UTF-8
    /// come out as the escape `\ufffd` each, where a genuine U+FFFD is written as is, and the
    /// fields of structs ([`Value::Object`]) keep Go's declaration order
    /// ([`Object::to_json_ordered`]). The common case (neither inside) is a single `encode`.
    pub fn go_json_text(&self, encode: impl Fn(&serde_json::Value) -> String) -> String {
        let (bytes, objects) = self.scan_special();
        if !bytes && !objects {
            return encode(&self.to_json());
        }
        // Mark invalid bytes and struct keys with characters the text does not otherwise
        // hold, encode, then turn the marks back into Go's text.
        let plain = encode(&self.to_json());
        let mut invalid = '\u{FFFD}';
        if bytes {
            match ('\u{F0000}'..='\u{10FFFD}')
                .rev()
                .find(|c| !plain.contains(*c))
            {
                Some(c) => invalid = c,
                None => return plain,
            }
        }
        let mut order = None;
        if objects {
            let free = |base: u32| {
                (base..base + ORDER_MARKS)
                    .filter_map(char::from_u32)
                    .all(|c| !plain.contains(c))
            };
            match (0xE000..0xF8FF - ORDER_MARKS)
                .step_by(ORDER_MARKS as usize)
                .find(|b| free(*b))
            {
                Some(base) => order = Some(base),
                None => return plain,
            }
        }
        let mut text = encode(&self.to_json_marking(invalid, order));
        if let Some(base) = order {
            text.retain(|c| !(base..base + ORDER_MARKS).contains(&u32::from(c)));
        }
        if bytes {
            text = text.replace(invalid, "\\ufffd");
        }
        text
    }

    /// Whether a [`Value::ByteString`] and whether a [`Value::Object`] occur in the value
    /// (lists and maps searched).
    fn scan_special(&self) -> (bool, bool) {
        let (mut bytes, mut objects) = (false, false);
        let mut pending: Vec<Value> = vec![self.clone()];
        while let Some(v) = pending.pop() {
            match v {
                Value::ByteString(_) => bytes = true,
                Value::Object(_) => objects = true,
                Value::List(l) => pending.extend(l.items.iter().cloned()),
                Value::Map(m) => pending.extend(m.borrow().entries.values().cloned()),
                _ => {}
            }
        }
        (bytes, objects)
    }

    /// [`Value::to_json`] with each invalid byte of a [`Value::ByteString`] as `invalid`,
    /// and with struct keys prefixed by the character `order + position` when given.
    fn to_json_marking(&self, invalid: char, order: Option<u32>) -> serde_json::Value {
        match self {
            Value::Invalid | Value::Nil => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(n, _) => serde_json::Value::from(*n),
            Value::Uint(n, _) => serde_json::Value::from(*n),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Complex(..) => serde_json::Value::Null,
            Value::String(s) => serde_json::Value::String(s.to_string()),
            Value::ByteString(b) => serde_json::Value::String(lossy_with(b, invalid)),
            Value::Bytes(b) => serde_json::Value::String(base64_std(b)),
            Value::List(l) => {
                if l.ty.elem == ElemType::Uint(UintKind::Uint8) {
                    let bytes: Vec<u8> = l
                        .items
                        .iter()
                        .map(|v| match v {
                            Value::Uint(n, _) => *n as u8,
                            _ => 0,
                        })
                        .collect();
                    return serde_json::Value::String(base64_std(&bytes));
                }
                serde_json::Value::Array(
                    l.items
                        .iter()
                        .map(|v| v.to_json_marking(invalid, order))
                        .collect(),
                )
            }
            Value::Map(m) if m.borrow().nil => serde_json::Value::Null,
            Value::Map(m) => serde_json::Value::Object(
                m.borrow()
                    .entries
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_json_marking(invalid, order)))
                    .collect(),
            ),
            Value::Object(o) => match order {
                Some(base) => o.to_json_ordered(&|i, k| {
                    let mark = u32::try_from(i)
                        .ok()
                        .filter(|i| *i < ORDER_MARKS)
                        .and_then(|i| char::from_u32(base + i));
                    match mark {
                        Some(m) => format!("{m}{k}"),
                        None => k.to_owned(),
                    }
                }),
                None => o.to_json(),
            },
        }
    }
}

fn number_from_json(n: &serde_json::Number, numbers: JsonNumbers) -> Value {
    let float = || Value::Float(n.as_f64().unwrap_or(f64::NAN));
    match numbers {
        JsonNumbers::Float64 => float(),
        JsonNumbers::Int64WhenIntegral | JsonNumbers::IntWhenIntegral => {
            let kind = if numbers == JsonNumbers::Int64WhenIntegral {
                IntKind::Int64
            } else {
                IntKind::Int
            };
            match n.as_i64() {
                Some(i) => Value::Int(i, kind),
                None => match n.as_u64() {
                    Some(u) => Value::Uint(u, UintKind::Uint64),
                    None => float(),
                },
            }
        }
    }
}

/// Go's reading of bytes as text (`for _, r := range s`, `[]rune(s)`, `encoding/json`):
/// valid UTF-8 sequences are kept, and every byte that does not start one becomes U+FFFD on
/// its own. (Rust's `from_utf8_lossy` replaces a truncated multi-byte sequence by a single
/// U+FFFD, where Go gives one per byte.)
pub fn go_lossy(bytes: &[u8]) -> String {
    lossy_with(bytes, '\u{FFFD}')
}

fn lossy_with(bytes: &[u8], invalid: char) -> String {
    let mut out = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for _ in chunk.invalid() {
            out.push(invalid);
        }
    }
    out
}

/// Decodes one Go rune from the start of `bytes` (`utf8.DecodeRune`): the character and its
/// length, or U+FFFD with length 1 for a byte that does not start a valid sequence (and
/// `None` for empty input).
pub fn decode_go_rune(bytes: &[u8]) -> Option<(char, usize)> {
    let first = *bytes.first()?;
    if first < 0x80 {
        return Some((char::from(first), 1));
    }
    let len = match first {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return Some(('\u{FFFD}', 1)),
    };
    match bytes.get(..len).map(std::str::from_utf8) {
        Some(Ok(s)) => s.chars().next().map(|c| (c, len)),
        _ => Some(('\u{FFFD}', 1)),
    }
}

/// Standard base64 with padding (what `encoding/json` uses for `[]byte`).
fn base64_std(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(Str::from(s))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(Str::from(s))
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::Float(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_follow_go_reflect() {
        assert_eq!(Value::int(1).type_name(), "int");
        assert_eq!(Value::int64(1).type_name(), "int64");
        assert_eq!(Value::list(vec![]).type_name(), "[]interface {}");
        assert_eq!(Value::string_list(["a"]).type_name(), "[]string");
        assert_eq!(
            Value::map(BTreeMap::new()).type_name(),
            "map[string]interface {}"
        );
        assert_eq!(Value::Nil.type_name(), "<nil>");
    }

    #[test]
    fn has_type_name_agrees_with_type_name() {
        let named = |name: &str| {
            Some(Arc::new(NamedType {
                name: name.to_string(),
                methods: Vec::new(),
            }))
        };
        let values = [
            Value::Nil,
            Value::int64(1),
            Value::from("s"),
            Value::list(vec![]),
            Value::string_list(["a"]),
            Value::map(BTreeMap::new()),
            Value::typed_map(
                CollType {
                    elem: ElemType::Interface,
                    named: named("common.Values"),
                },
                BTreeMap::new(),
            ),
            Value::typed_map(
                CollType {
                    elem: ElemType::Bytes,
                    named: None,
                },
                BTreeMap::new(),
            ),
        ];
        let names = [
            "<nil>",
            "int64",
            "string",
            "[]interface {}",
            "[]string",
            "map[string]interface {}",
            "map[string][]uint8",
            "common.Values",
            "[]",
            "map[string]",
            "interface {}",
        ];
        for value in &values {
            for name in names {
                assert_eq!(
                    value.has_type_name(name),
                    value.type_name() == name,
                    "{value:?} against {name}"
                );
            }
        }
    }

    #[test]
    fn json_round_trip_keeps_shape() {
        let json = serde_json::json!({"a": [1, "x", null, true], "b": {"c": 1.5}});
        let v = Value::from_json(&json);
        assert_eq!(
            v.to_json(),
            serde_json::json!({"a": [1.0, "x", null, true], "b": {"c": 1.5}})
        );
        assert!(matches!(
            Value::from_json_with(&serde_json::json!(3), JsonNumbers::Int64WhenIntegral),
            Value::Int(3, IntKind::Int64)
        ));
    }

    #[test]
    fn base64_matches_standard_encoding() {
        assert_eq!(base64_std(b""), "");
        assert_eq!(base64_std(b"f"), "Zg==");
        assert_eq!(base64_std(b"fo"), "Zm8=");
        assert_eq!(base64_std(b"foo"), "Zm9v");
        assert_eq!(base64_std(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn go_strings_keep_bytes_that_are_not_utf8() {
        assert!(matches!(
            Value::from_go_bytes(b"ok".to_vec()),
            Value::String(_)
        ));
        let raw = Value::from_go_bytes(vec![b'a', 0x80]);
        assert!(matches!(raw, Value::ByteString(_)));
        assert_eq!(raw.type_name(), "string");
        assert_eq!(raw.go_bytes(), Some(&[b'a', 0x80][..]));
        assert_eq!(raw.as_str(), None);
        assert_eq!(raw.go_text().as_deref(), Some("a\u{FFFD}"));
    }

    #[test]
    fn go_lossy_replaces_each_invalid_byte() {
        // Go's `range` over a string yields one U+FFFD per byte of a truncated sequence,
        // where Rust's `from_utf8_lossy` yields one for the whole sequence.
        assert_eq!(go_lossy(&[0xF0, 0x9F, 0x98]), "\u{FFFD}\u{FFFD}\u{FFFD}");
        assert_eq!(go_lossy("é".as_bytes()), "é");
        assert_eq!(decode_go_rune(&[0xC3]), Some(('\u{FFFD}', 1)));
        assert_eq!(decode_go_rune("é!".as_bytes()), Some(('é', 2)));
        assert_eq!(decode_go_rune(&[0xED, 0xA0, 0x80]), Some(('\u{FFFD}', 1)));
        assert_eq!(decode_go_rune(&[]), None);
    }

    #[test]
    fn json_text_escapes_invalid_bytes_but_not_a_real_replacement_character() {
        // Observed with helm v4.3.1: `list (b64dec "gA==") "\ufffd" | toJson` prints
        // `["\ufffd","<U+FFFD>"]`.
        let v = Value::list(vec![
            Value::from_go_bytes(vec![0x80]),
            Value::from("\u{FFFD}"),
        ]);
        let text = v.go_json_text(|j| serde_json::to_string(j).unwrap_or_default());
        assert_eq!(text, "[\"\\ufffd\",\"\u{FFFD}\"]");
    }

    #[test]
    fn maps_are_shared_by_reference() {
        let m = Value::map(BTreeMap::new());
        let alias = m.clone();
        if let Value::Map(r) = &alias {
            r.borrow_mut().entries.insert(Str::from("k"), Value::int(1));
        }
        if let Value::Map(r) = &m {
            assert!(r.borrow().entries.contains_key("k"));
        }
    }
}
