//! Helm's `--set` family parser (helm.sh/helm/v4 v4.3.1 `pkg/strvals/parser.go` and
//! `literal_parser.go`).
//!
//! A set line is `name1=value1,name2=value2`; names are dotted paths with list indexes
//! (`a.b[0].c`, `a[1][2]`), `\` escapes the next character (not for `--set-literal`), and a
//! value `{x,y}` is a list. Each flag converts values its own way:
//!
//! | flag            | function               | value                                         |
//! |-----------------|------------------------|-----------------------------------------------|
//! | `--set`         | [`parse_into`]         | `true`/`false`/`null` (any case), `int64`, else string |
//! | `--set-string`  | [`parse_into_string`]  | always a string                               |
//! | `--set-json`    | [`parse_json_into`]    | one JSON value (numbers `f64`), empty = `null` |
//! | `--set-file`    | [`parse_into_file`]    | what the reader returns for the path          |
//! | `--set-literal` | [`parse_literal_into`] | the whole rest of the line, verbatim          |
//!
//! Errors carry Helm's exact text, including the quirks that follow from the Go code: an input
//! ending inside a name or index (`a.`, `a[1`) is not an error, `a={}` is `[""]`, a name that
//! crosses a value of the wrong type fails with the Go panic text Helm reports (`unable to
//! parse key: interface conversion: interface {} is string, not map[string]interface {}`).
//! Limits are Helm's (index at most 65536, at most 30 dots in one name) plus one of Wheelhouse:
//! values nest at most [`MAX_NESTING`] levels (Go would recurse without bound).

use serde_json::{Map, Value};

use super::gofmt;
use crate::codec::json::{self as gojson, JsonError};

/// Helm's `strvals.MaxIndex`: the largest list index a name may use.
pub const MAX_INDEX: i64 = 65536;

/// Helm's `strvals.MaxNestedNameLevel`: the most `.` separators one name may cross.
pub const MAX_NESTED_NAME_LEVEL: usize = 30;

/// Wheelhouse's bound on list/map nesting a set line may create (go-yaml's depth limit, the
/// one every other values source has); deeper input is refused instead of overflowing.
pub const MAX_NESTING: usize = 10_000;

/// A set line Helm's parser rejects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StrvalsError {
    /// The line is malformed; `message` is Helm's text, e.g. `key "a" has no value`.
    #[error("{message}")]
    Syntax {
        /// Helm's error text.
        message: String,
    },
    /// The `--set-file` reader failed for a path; `message` is the reader's text.
    #[error("{message}")]
    Read {
        /// The reader's error text (Helm: the `os.ReadFile` error).
        message: String,
    },
    /// The line would nest values deeper than [`MAX_NESTING`] (a Wheelhouse limit).
    #[error("value nesting is deeper than the maximum of {limit} levels")]
    TooDeep {
        /// The limit, [`MAX_NESTING`].
        limit: usize,
    },
}

/// The `--set-file` callback: given the path text, the value to store (Helm: the file's
/// contents as a string) or an error text.
pub type FileReader<'r> = dyn FnMut(&str) -> Result<Value, String> + 'r;

/// `strvals.Parse`: a `--set` line into a new map.
///
/// # Errors
/// [`StrvalsError`] as described in the module docs.
pub fn parse(line: &str) -> Result<Map<String, Value>, StrvalsError> {
    let mut values = Map::new();
    parse_into(line, &mut values)?;
    Ok(values)
}

/// `strvals.ParseInto`: a `--set` line merged into `dest` (names in the line overwrite).
///
/// On error `dest` may hold part of the line, as in Helm (which then discards it).
///
/// # Errors
/// [`StrvalsError`] as described in the module docs.
pub fn parse_into(line: &str, dest: &mut Map<String, Value>) -> Result<(), StrvalsError> {
    Parser::new(line, Mode::Typed).run(dest)
}

/// `strvals.ParseString`: a `--set-string` line into a new map.
///
/// # Errors
/// [`StrvalsError`] as described in the module docs.
pub fn parse_string(line: &str) -> Result<Map<String, Value>, StrvalsError> {
    let mut values = Map::new();
    parse_into_string(line, &mut values)?;
    Ok(values)
}

/// `strvals.ParseIntoString`: a `--set-string` line merged into `dest`.
///
/// # Errors
/// [`StrvalsError`] as described in the module docs.
pub fn parse_into_string(line: &str, dest: &mut Map<String, Value>) -> Result<(), StrvalsError> {
    Parser::new(line, Mode::Strings).run(dest)
}

/// `strvals.ParseJSON`: a `--set-json` line in `key=json` form merged into `dest`.
///
/// Each value is read as Go's `json.Decoder` reads one value (numbers become `f64`); the rest
/// of the line continues after it. An empty value is `null`.
///
/// # Errors
/// [`StrvalsError::Syntax`] with Go's JSON message (`unexpected EOF`, `invalid character 'x'
/// looking for beginning of value`) or a parser message.
pub fn parse_json_into(line: &str, dest: &mut Map<String, Value>) -> Result<(), StrvalsError> {
    Parser::new(line, Mode::Json).run(dest)
}

/// `strvals.ParseIntoFile`: a `--set-file` line merged into `dest`; every value (also each
/// item of a `{a,b}` list) is passed to `reader` and its result stored.
///
/// # Errors
/// [`StrvalsError::Read`] with the reader's text, or a parser error.
pub fn parse_into_file(
    line: &str,
    dest: &mut Map<String, Value>,
    reader: &mut FileReader<'_>,
) -> Result<(), StrvalsError> {
    Parser::new(line, Mode::File(reader)).run(dest)
}

/// `strvals.ParseLiteral`: a `--set-literal` line into a new map.
///
/// # Errors
/// [`StrvalsError`] as described in the module docs.
pub fn parse_literal(line: &str) -> Result<Map<String, Value>, StrvalsError> {
    let mut values = Map::new();
    parse_literal_into(line, &mut values)?;
    Ok(values)
}

/// `strvals.ParseLiteralInto`: a `--set-literal` line merged into `dest`. The name has no
/// escapes and the value is the rest of the line verbatim (commas included).
///
/// # Errors
/// [`StrvalsError`] as described in the module docs.
pub fn parse_literal_into(line: &str, dest: &mut Map<String, Value>) -> Result<(), StrvalsError> {
    Parser::new(line, Mode::Literal).run(dest)
}

/// How values are read (the Go parser's `reader`/`isjsonval`, or the literal parser).
enum Mode<'r, 'f> {
    Typed,
    Strings,
    Json,
    File(&'r mut FileReader<'f>),
    Literal,
}

/// An error inside the parser; `eof` marks errors Go's `errors.Is(err, io.EOF)` matches, which
/// end parsing successfully.
struct Fail {
    error: StrvalsError,
    eof: bool,
}

impl Fail {
    fn eof() -> Fail {
        Fail {
            error: syntax("EOF".to_owned()),
            eof: true,
        }
    }

    fn msg(message: String) -> Fail {
        Fail {
            error: syntax(message),
            eof: false,
        }
    }

    /// `fmt.Errorf(prefix + "%w", inner)`.
    fn wrap(self, prefix: &str) -> Fail {
        let error = match self.error {
            StrvalsError::Syntax { message } | StrvalsError::Read { message } => {
                syntax(format!("{prefix}{message}"))
            }
            other => other,
        };
        Fail {
            error,
            eof: self.eof,
        }
    }

    /// The text Go's `recover` turns a failed type assertion into.
    fn conversion(found: &Value, wanted: &str) -> Fail {
        Fail::msg(format!(
            "unable to parse key: interface conversion: interface {{}} is {}, not {wanted}",
            gofmt::type_name(found)
        ))
    }
}

fn syntax(message: String) -> StrvalsError {
    StrvalsError::Syntax { message }
}

const LIST: &str = "[]interface {}";
const MAP: &str = "map[string]interface {}";

/// Result of `valList`: Go distinguishes EOF and `ErrNotList` from other errors.
enum ListFail {
    NotList,
    Fail(Fail),
}

struct Parser<'s, 'r, 'f> {
    text: &'s str,
    pos: usize,
    /// Byte length of the last rune read, for `UnreadRune`.
    last: usize,
    mode: Mode<'r, 'f>,
}

impl<'s, 'r, 'f> Parser<'s, 'r, 'f> {
    fn new(text: &'s str, mode: Mode<'r, 'f>) -> Self {
        Parser {
            text,
            pos: 0,
            last: 0,
            mode,
        }
    }

    fn literal(&self) -> bool {
        matches!(self.mode, Mode::Literal)
    }

    fn run(mut self, data: &mut Map<String, Value>) -> Result<(), StrvalsError> {
        loop {
            match self.key(data, 0, 0) {
                Ok(()) => {}
                Err(fail) if fail.eof => return Ok(()),
                Err(fail) => return Err(fail.error),
            }
        }
    }

    fn read_rune(&mut self) -> Option<char> {
        let c = self.text[self.pos..].chars().next()?;
        self.last = c.len_utf8();
        self.pos += self.last;
        Some(c)
    }

    fn unread_rune(&mut self) {
        self.pos -= self.last;
        self.last = 0;
    }

    /// Go's `runesUntil` (with `\` escapes) or `runesUntilLiteral`: the text before the first
    /// stop rune and that rune, or `None` at the end of input.
    fn runes_until(&mut self, stop: &[char]) -> (String, Option<char>) {
        let literal = self.literal();
        let mut text = String::new();
        loop {
            match self.read_rune() {
                None => return (text, None),
                Some(c) if stop.contains(&c) => return (text, Some(c)),
                Some('\\') if !literal => match self.read_rune() {
                    None => return (text, None),
                    Some(next) => text.push(next),
                },
                Some(c) => text.push(c),
            }
        }
    }

    fn key(
        &mut self,
        data: &mut Map<String, Value>,
        level: usize,
        depth: usize,
    ) -> Result<(), Fail> {
        if depth > MAX_NESTING {
            return Err(Fail {
                error: StrvalsError::TooDeep { limit: MAX_NESTING },
                eof: false,
            });
        }
        let stop: &[char] = if self.literal() {
            &['=', '[', '.']
        } else {
            &['=', '[', ',', '.']
        };
        let (key, last) = self.runes_until(stop);
        match last {
            None if key.is_empty() => Err(Fail::eof()),
            None => Err(Fail::msg(format!(
                "key {} has no value",
                gofmt::quote(&key)
            ))),
            Some('[') => {
                let index = self
                    .key_index()
                    .map_err(|f| f.wrap("error parsing index: "))?;
                let existing = data.get(&key);
                let list = match existing {
                    None => Vec::new(),
                    Some(Value::Array(items)) => items.clone(),
                    Some(other) => return Err(Fail::conversion(other, LIST)),
                };
                let original_len = existing.map(|_| list.len());
                let (list, result) = stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
                    self.list_item(list, index, level, depth + 1)
                });
                if !key.is_empty() {
                    data.insert(key, Value::Array(list));
                } else if original_len == Some(list.len()) {
                    // Go skips setting "" but changed the existing slice in place.
                    data.insert(key, Value::Array(list));
                }
                result
            }
            Some('=') => self.key_value(data, key),
            Some(',') => {
                set(data, &key, Value::String(String::new()));
                Err(Fail::msg(format!(
                    "key {} has no value (cannot end with ,)",
                    gofmt::quote(&key)
                )))
            }
            Some(_) => {
                // '.': a nested map.
                let level = level + 1;
                if level > MAX_NESTED_NAME_LEVEL {
                    return Err(Fail::msg(format!(
                        "value name nested level is greater than maximum supported nested level of {MAX_NESTED_NAME_LEVEL}"
                    )));
                }
                let existed = match data.get(&key) {
                    None => None,
                    Some(Value::Object(inner)) => Some(inner.clone()),
                    Some(other) => return Err(Fail::conversion(other, MAP)),
                };
                let is_new = existed.is_none();
                let mut inner = existed.unwrap_or_default();
                let result = stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
                    self.key(&mut inner, level, depth + 1)
                });
                if result.is_ok() && inner.is_empty() {
                    return Err(Fail::msg(format!(
                        "key map {} has no value",
                        gofmt::quote(&key)
                    )));
                }
                if !is_new {
                    // The map was changed in place in Go, set or not.
                    data.insert(key, Value::Object(inner));
                } else if !inner.is_empty() {
                    set(data, &key, Value::Object(inner));
                }
                result
            }
        }
    }

    /// The `=` branch of Go's `key`.
    fn key_value(&mut self, data: &mut Map<String, Value>, key: String) -> Result<(), Fail> {
        match self.mode {
            Mode::Literal => {
                let value = self.text[self.pos..].to_owned();
                self.pos = self.text.len();
                set(data, &key, Value::String(value));
                Ok(())
            }
            Mode::Json => {
                if self.empty_val() {
                    set(data, &key, Value::Null);
                    return Ok(());
                }
                let value = self.json_value()?;
                set(data, &key, value);
                self.empty_val();
                Ok(())
            }
            _ => match self.val_list() {
                Ok(list) => {
                    set(data, &key, Value::Array(list));
                    Ok(())
                }
                Err(ListFail::Fail(fail)) if fail.eof => {
                    set(data, &key, Value::String(String::new()));
                    Err(fail)
                }
                Err(ListFail::NotList) => {
                    let raw = self.val();
                    match self.read_value(&raw) {
                        Ok(value) => {
                            set(data, &key, value);
                            Ok(())
                        }
                        Err(fail) => {
                            set(data, &key, Value::Null);
                            Err(fail)
                        }
                    }
                }
                Err(ListFail::Fail(fail)) => Err(fail),
            },
        }
    }

    /// Go's `keyIndex`: the text up to `]` as `strconv.Atoi` reads it.
    fn key_index(&mut self) -> Result<i64, Fail> {
        let (text, last) = self.runes_until(&[']']);
        if last.is_none() {
            return Err(Fail::eof());
        }
        atoi(&text).map_err(Fail::msg)
    }

    /// Go's `listItem`: what follows `name[i]`. Returns the list in every case (Go's callers
    /// store it even on error).
    fn list_item(
        &mut self,
        mut list: Vec<Value>,
        index: i64,
        level: usize,
        depth: usize,
    ) -> (Vec<Value>, Result<(), Fail>) {
        if depth > MAX_NESTING {
            let fail = Fail {
                error: StrvalsError::TooDeep { limit: MAX_NESTING },
                eof: false,
            };
            return (list, Err(fail));
        }
        if index < 0 {
            return (
                list,
                Err(Fail::msg(format!("negative {index} index not allowed"))),
            );
        }
        let (extra, last) = self.runes_until(&['[', '.', '=']);
        if !extra.is_empty() {
            let message = format!(
                "unexpected data at end of array index: {}",
                gofmt::quote_runes(&extra)
            );
            return (list, Err(Fail::msg(message)));
        }
        let slot = usize::try_from(index).ok().filter(|&i| i < list.len());
        match last {
            None => (list, Err(Fail::eof())),
            Some('=') => self.list_value(list, index),
            Some('[') => {
                let next = match self.key_index() {
                    Ok(next) => next,
                    Err(fail) => return (list, Err(fail.wrap("error parsing index: "))),
                };
                let current = match slot.map(|i| &list[i]) {
                    None | Some(Value::Null) => None,
                    Some(Value::Array(items)) => Some(items.clone()),
                    Some(other) => {
                        let fail = Fail::conversion(other, LIST);
                        return (list, Err(fail));
                    }
                };
                let from_list = current.is_some();
                let (inner, result) = stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
                    self.list_item(current.unwrap_or_default(), next, level, depth + 1)
                });
                if let Err(fail) = result {
                    if let (true, Some(i)) = (from_list, slot) {
                        // Go changed the nested slice in place before failing.
                        list[i] = Value::Array(inner);
                    }
                    return (list, Err(fail));
                }
                set_index(list, index, Value::Array(inner))
            }
            Some(_) => {
                // '.': a map inside the list.
                let mut inner = Map::new();
                if let Some(i) = slot {
                    match &list[i] {
                        Value::Object(existing) => inner = existing.clone(),
                        // Indexes out of order: Go replaces the item with an empty map.
                        _ => list[i] = Value::Object(Map::new()),
                    }
                }
                let result = stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
                    self.key(&mut inner, level, depth + 1)
                });
                if let Some(i) = slot {
                    list[i] = Value::Object(inner.clone());
                }
                if let Err(fail) = result {
                    return (list, Err(fail));
                }
                set_index(list, index, Value::Object(inner))
            }
        }
    }

    /// The `=` branch of Go's `listItem`.
    fn list_value(&mut self, list: Vec<Value>, index: i64) -> (Vec<Value>, Result<(), Fail>) {
        match self.mode {
            Mode::Literal => {
                let value = self.text[self.pos..].to_owned();
                self.pos = self.text.len();
                set_index(list, index, Value::String(value))
            }
            Mode::Json => {
                if self.empty_val() {
                    return set_index(list, index, Value::Null);
                }
                let value = match self.json_value() {
                    Ok(value) => value,
                    Err(fail) => return (list, Err(fail)),
                };
                let (list, result) = set_index(list, index, value);
                if result.is_err() {
                    return (list, result);
                }
                self.empty_val();
                (list, Ok(()))
            }
            _ => match self.val_list() {
                Ok(items) => set_index(list, index, Value::Array(items)),
                Err(ListFail::Fail(fail)) if fail.eof => {
                    set_index(list, index, Value::String(String::new()))
                }
                Err(ListFail::NotList) => {
                    let raw = self.val();
                    match self.read_value(&raw) {
                        Ok(value) => set_index(list, index, value),
                        Err(fail) => (list, Err(fail)),
                    }
                }
                Err(ListFail::Fail(fail)) => (list, Err(fail)),
            },
        }
    }

    /// Go's `emptyVal`: skips Unicode spaces; true at the end of input or after a consumed
    /// comma, false (nothing consumed but the spaces) before anything else.
    fn empty_val(&mut self) -> bool {
        loop {
            match self.read_rune() {
                None | Some(',') => return true,
                Some(c) if c.is_whitespace() => {}
                Some(_) => {
                    self.unread_rune();
                    return false;
                }
            }
        }
    }

    /// One JSON value as Go's `json.Decoder.Decode` reads it from the rest of the line;
    /// the position moves just past the value.
    fn json_value(&mut self) -> Result<Value, Fail> {
        let rest = &self.text[self.pos..];
        let (value, used) = decode_json_prefix(rest).map_err(Fail::msg)?;
        self.pos += used;
        self.last = 0;
        Ok(value)
    }

    /// Go's `val`: the text up to the next `,` (escapes applied).
    fn val(&mut self) -> String {
        self.runes_until(&[',']).0
    }

    /// Go's `valList`: a `{a,b}` list, `NotList` if the value does not start with `{`.
    fn val_list(&mut self) -> Result<Vec<Value>, ListFail> {
        match self.read_rune() {
            None => return Err(ListFail::Fail(Fail::eof())),
            Some('{') => {}
            Some(_) => {
                self.unread_rune();
                return Err(ListFail::NotList);
            }
        }
        let mut list = Vec::new();
        loop {
            let (raw, last) = self.runes_until(&[',', '}']);
            match last {
                None => {
                    return Err(ListFail::Fail(Fail::msg(
                        "list must terminate with '}'".to_owned(),
                    )));
                }
                Some('}') => {
                    if let Some(next) = self.read_rune()
                        && next != ','
                    {
                        self.unread_rune();
                    }
                    let value = self.read_value(&raw).map_err(ListFail::Fail)?;
                    list.push(value);
                    return Ok(list);
                }
                Some(_) => {
                    let value = self.read_value(&raw).map_err(ListFail::Fail)?;
                    list.push(value);
                }
            }
        }
    }

    /// The parser's `reader`: typed value, string, or the file reader's result.
    fn read_value(&mut self, raw: &str) -> Result<Value, Fail> {
        match &mut self.mode {
            Mode::Typed => Ok(typed_value(raw)),
            Mode::File(reader) => reader(raw).map_err(|message| Fail {
                error: StrvalsError::Read { message },
                eof: false,
            }),
            Mode::Strings | Mode::Json | Mode::Literal => Ok(Value::String(raw.to_owned())),
        }
    }
}

/// Go's `set`: an empty name is never stored.
fn set(data: &mut Map<String, Value>, key: &str, value: Value) {
    if !key.is_empty() {
        data.insert(key.to_owned(), value);
    }
}

/// Go's `setIndex`: grows the list with `null`s as needed.
fn set_index(mut list: Vec<Value>, index: i64, value: Value) -> (Vec<Value>, Result<(), Fail>) {
    if index < 0 {
        let fail = Fail::msg(format!("negative {index} index not allowed"));
        return (list, Err(fail));
    }
    if index > MAX_INDEX {
        let fail = Fail::msg(format!(
            "index of {index} is greater than maximum supported index of {MAX_INDEX}"
        ));
        return (list, Err(fail));
    }
    // Bounded by MAX_INDEX above, so the conversion is exact.
    let index = index as usize;
    if list.len() <= index {
        list.resize(index + 1, Value::Null);
    }
    list[index] = value;
    (list, Ok(()))
}

/// Go's `strconv.Atoi` with its error text.
fn atoi(text: &str) -> Result<i64, String> {
    let digits = text
        .strip_prefix('+')
        .or_else(|| text.strip_prefix('-'))
        .unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "strconv.Atoi: parsing {}: invalid syntax",
            gofmt::quote(text)
        ));
    }
    text.parse::<i64>().map_err(|_| {
        format!(
            "strconv.Atoi: parsing {}: value out of range",
            gofmt::quote(text)
        )
    })
}

/// Go's `typedVal` for `--set`: `true`/`false`/`null` compared with Unicode case folding,
/// `0` and integers not starting with `0` as `int64`, anything else a string.
fn typed_value(raw: &str) -> Value {
    if fold_equals(raw, "true") {
        return Value::Bool(true);
    }
    if fold_equals(raw, "false") {
        return Value::Bool(false);
    }
    if fold_equals(raw, "null") {
        return Value::Null;
    }
    if raw == "0" {
        return Value::from(0i64);
    }
    if !raw.is_empty()
        && !raw.starts_with('0')
        && let Ok(number) = raw.parse::<i64>()
    {
        return Value::from(number);
    }
    Value::String(raw.to_owned())
}

/// Go's `strings.EqualFold` against an ASCII lowercase word (only `ſ` folds to an ASCII
/// letter of `true`/`false`/`null` from outside ASCII).
fn fold_equals(text: &str, word: &str) -> bool {
    let mut chars = text.chars();
    for expected in word.chars() {
        match chars.next() {
            Some(c) if c.to_ascii_lowercase() == expected => {}
            Some('\u{17f}') if expected == 's' => {}
            _ => return false,
        }
    }
    chars.next().is_none()
}

/// One JSON value read from the start of `rest` as Go's `json.Decoder` does: the value and
/// the number of bytes it used, or Go's error text.
///
/// The end of the value is found by a structural scan; the text up to it is then decoded by
/// [`gojson::parse`]. If that fails, the scan stopped early on invalid input, and the whole
/// rest is checked instead so the first syntax error is the one Go reports (running out of
/// input is `unexpected EOF` for a decoder).
fn decode_json_prefix(rest: &str) -> Result<(Value, usize), String> {
    let end = json_value_end(rest.as_bytes());
    match gojson::parse(&rest[..end]) {
        Ok(value) => return Ok((value, end)),
        Err(JsonError::Type { message }) => return Err(message),
        Err(JsonError::Syntax { .. }) => {}
    }
    match gojson::parse(rest) {
        // Go's decoder reports running out of input as io.ErrUnexpectedEOF, where Unmarshal
        // (and the codec) reports it as "unexpected end of JSON input" or as the error of
        // the space it appends at the end.
        Err(JsonError::Syntax { message, offset })
            if message == "unexpected end of JSON input"
                || (offset == rest.len()
                    && message.starts_with("invalid character ' '")
                    && !rest.ends_with(' ')) =>
        {
            Err("unexpected EOF".to_owned())
        }
        Err(error) => Err(error.to_string()),
        // Unreachable for valid JSON (the scan finds its end); report like Go would.
        Ok(_) => Err("unexpected EOF".to_owned()),
    }
}

/// Where the first JSON value in `bytes` ends, assuming it is well formed: containers by
/// bracket depth outside strings, strings to the closing quote, numbers by JSON's grammar
/// (longest match), literals by their spelling. Stops early where the input cannot continue.
fn json_value_end(bytes: &[u8]) -> usize {
    let mut i = 0;
    while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    let Some(&first) = bytes.get(i) else {
        return i;
    };
    match first {
        b'{' | b'[' => {
            let mut depth = 0usize;
            while i < bytes.len() {
                match bytes[i] {
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    b'"' => {
                        i = string_end(bytes, i);
                        continue;
                    }
                    _ => {}
                }
                i += 1;
            }
            i
        }
        b'"' => string_end(bytes, i),
        b't' | b'f' | b'n' => {
            let word: &[u8] = match first {
                b't' => b"true",
                b'f' => b"false",
                _ => b"null",
            };
            let mut n = 0;
            while n < word.len() && bytes.get(i + n) == Some(&word[n]) {
                n += 1;
            }
            i + n
        }
        b'-' | b'0'..=b'9' => number_end(bytes, i),
        _ => i,
    }
}

/// Index just past the string starting at `start` (a `"`), or the end of input.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Longest JSON number starting at `start`.
fn number_end(bytes: &[u8], start: usize) -> usize {
    let digit = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_digit);
    let mut i = start;
    if bytes.get(i) == Some(&b'-') {
        i += 1;
    }
    match bytes.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            while digit(i) {
                i += 1;
            }
        }
        _ => return i,
    }
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        if !digit(i) {
            return i;
        }
        while digit(i) {
            i += 1;
        }
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digit(i) {
            return i;
        }
        while digit(i) {
            i += 1;
        }
    }
    i
}
