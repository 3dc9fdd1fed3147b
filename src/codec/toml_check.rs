//! BurntSushi/toml v1.6.0's syntax and structure checks, for its error texts.
//!
//! Helm's `fromToml` puts `err.Error()` of `toml.Unmarshal` under `Error`:
//! `toml: line N: MESSAGE` or `toml: line N (last key "a.b"): MESSAGE`. Which error a document
//! gets, its line and its "last key" follow from BurntSushi's lexer (a state machine,
//! `lex.go`) and parser (`parse.go`: key contexts, implicit tables, redefinitions, number
//! checks), so both are reproduced here as state machines with the same states, messages and
//! positions. Values are not built here: [`check`] only finds the first error, in Go's order.
//! Datetimes are validated with the `toml` crate's datetime grammar (Go uses `time.Parse`
//! layouts), the one place where the accepted set is not ported.

use std::collections::{BTreeMap, HashSet};

use crate::template::gofmt::go_quote;

/// A TOML error as BurntSushi reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TomlParseError {
    /// 1-based line of the error.
    pub line: usize,
    /// The message (`unexpected '=': key name appears blank`, …).
    pub message: String,
    /// The parser's current key (`a.b`), empty when none.
    pub last_key: String,
}

impl std::fmt::Display for TomlParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.last_key.is_empty() {
            write!(f, "toml: line {}: {}", self.line, self.message)
        } else {
            write!(
                f,
                "toml: line {} (last key {}): {}",
                self.line,
                go_quote(&self.last_key),
                self.message
            )
        }
    }
}

/// Runs BurntSushi's decoder checks over `text`: `Ok` when it would decode, else its error.
///
/// # Errors
/// The first [`TomlParseError`] Go's decoder reports.
pub fn check(text: &str) -> Result<(), TomlParseError> {
    let data = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    if data.bytes().take(6).any(|b| b == 0) {
        return Err(TomlParseError {
            line: 1,
            message: "files cannot contain NULL bytes; probably using UTF-16; TOML files must be \
                      UTF-8"
                .to_owned(),
            last_key: String::new(),
        });
    }
    let items = Lexer::run(data);
    Parser::new(items).run()
}

// ------------------------------------------------------------------------------------------
// Lexer (`lex.go`).

const EOF: char = '\0';
const RUNE_ERROR: char = '\u{FFFD}';

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ItemType {
    Error,
    Eof,
    Text,
    String,
    StringEsc,
    RawString,
    MultilineString,
    RawMultilineString,
    Bool,
    Integer,
    Float,
    Datetime,
    Array,
    ArrayEnd,
    TableStart,
    TableEnd,
    ArrayTableStart,
    ArrayTableEnd,
    KeyStart,
    KeyEnd,
    CommentStart,
    InlineTableStart,
    InlineTableEnd,
}

#[derive(Debug, Clone)]
struct Item {
    typ: ItemType,
    val: String,
    line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Top,
    TopEnd,
    TableStart,
    TableEnd,
    ArrayTableEnd,
    TableNameStart,
    TableNameEnd,
    BareName,
    QuotedName,
    KeyStart,
    KeyNameStart,
    KeyEnd,
    Value,
    ArrayValue,
    ArrayValueEnd,
    ArrayEnd,
    InlineTableValue,
    InlineTableValueEnd,
    InlineTableEnd,
    String,
    MultilineString,
    RawString,
    MultilineRawString,
    MultilineStringEscape,
    StringEscape,
    HexEscape,
    ShortUnicodeEscape,
    LongUnicodeEscape,
    NumberOrDateStart,
    NumberOrDate,
    Datetime,
    HexInteger,
    OctalInteger,
    BinaryInteger,
    DecimalNumber,
    DecimalNumberStart,
    BaseNumberOrDate,
    Float,
    Bool,
    CommentStart,
    Comment,
}

struct Lexer<'a> {
    input: &'a str,
    start: usize,
    pos: usize,
    line: usize,
    esc: bool,
    prev_widths: [usize; 4],
    nprev: usize,
    at_eof: bool,
    stack: Vec<State>,
    items: Vec<Item>,
}

fn is_whitespace(r: char) -> bool {
    r == '\t' || r == ' '
}
fn is_nl(r: char) -> bool {
    r == '\n' || r == '\r'
}
fn is_control(r: char) -> bool {
    !matches!(r, '\t' | '\r' | '\n') && (r <= '\u{1f}' || r == '\u{7f}')
}
fn is_digit(r: char) -> bool {
    r.is_ascii_digit()
}
fn is_binary(r: char) -> bool {
    r == '0' || r == '1'
}
fn is_octal(r: char) -> bool {
    ('0'..='7').contains(&r)
}
fn is_hex(r: char) -> bool {
    r.is_ascii_hexdigit()
}
fn is_bare_key_char(r: char) -> bool {
    r.is_ascii_alphanumeric() || r == '_' || r == '-'
}

/// Go's `%q` of a rune.
fn quote_rune(r: char) -> String {
    let mut s = go_quote(r.encode_utf8(&mut [0; 4]));
    // `%q` of a rune uses single quotes; `"` needs no escape there, `'` does.
    s = s[1..s.len() - 1].replace("\\\"", "\"");
    if r == '\'' {
        s = "\\'".to_owned();
    }
    format!("'{s}'")
}

fn rune_or_eof(r: char) -> String {
    if r == EOF {
        "end of file".to_owned()
    } else {
        format!("'{r}'")
    }
}

impl<'a> Lexer<'a> {
    fn run(input: &'a str) -> Vec<Item> {
        let mut lx = Lexer {
            input,
            start: 0,
            pos: 0,
            line: 1,
            esc: false,
            prev_widths: [0; 4],
            nprev: 0,
            at_eof: false,
            stack: Vec::new(),
            items: Vec::new(),
        };
        let mut state = Some(State::Top);
        // Each step consumes input or pops/pushes a bounded stack; the step bound is a guard.
        let mut steps = 0usize;
        while let Some(s) = state {
            steps += 1;
            if steps > 8 * input.len() + 1024 {
                break;
            }
            state = lx.step(s);
            // The parser stops at the first error item; nothing after it matters.
            if lx.items.last().is_some_and(|i| i.typ == ItemType::Error) {
                break;
            }
        }
        if lx.items.last().is_none_or(|i| i.typ != ItemType::Error) && state.is_none() {
            // Ended without EOF item only on error; nothing to add.
        }
        lx.items
    }

    fn push(&mut self, s: State) {
        self.stack.push(s);
    }

    fn pop(&mut self) -> Option<State> {
        self.stack.pop()
    }

    fn current(&self) -> &'a str {
        self.input.get(self.start..self.pos).unwrap_or("")
    }

    fn emit(&mut self, typ: ItemType) {
        let val = self.current().to_owned();
        self.items.push(Item {
            typ,
            val,
            line: self.line,
        });
        self.start = self.pos;
    }

    fn emit_trim(&mut self, typ: ItemType) {
        let val = self.current().trim().to_owned();
        self.items.push(Item {
            typ,
            val,
            line: self.line,
        });
        self.start = self.pos;
    }

    fn next(&mut self) -> char {
        if self.at_eof || self.pos >= self.input.len() {
            self.at_eof = true;
            return EOF;
        }
        let bytes = self.input.as_bytes();
        if bytes[self.pos] == b'\n' {
            self.line += 1;
        }
        self.prev_widths[3] = self.prev_widths[2];
        self.prev_widths[2] = self.prev_widths[1];
        self.prev_widths[1] = self.prev_widths[0];
        if self.nprev < 4 {
            self.nprev += 1;
        }
        // After a control-character error Go's widths no longer match the input; stop there.
        let Some(r) = self.input.get(self.pos..).and_then(|s| s.chars().next()) else {
            self.at_eof = true;
            return EOF;
        };
        let w = r.len_utf8();
        let lone_cr =
            r == '\r' && (self.pos + 1 == self.input.len() || bytes[self.pos + 1] != b'\n');
        if is_control(r) || lone_cr {
            self.error_msg(format!(
                "TOML files cannot contain control characters: '0x{:02x}'",
                u32::from(r)
            ));
            return RUNE_ERROR;
        }
        self.prev_widths[0] = w;
        self.pos += w;
        r
    }

    fn ignore(&mut self) {
        self.start = self.pos;
    }

    fn backup(&mut self) {
        if self.at_eof {
            self.at_eof = false;
            return;
        }
        if self.nprev < 1 {
            return;
        }
        let w = self.prev_widths[0];
        self.prev_widths[0] = self.prev_widths[1];
        self.prev_widths[1] = self.prev_widths[2];
        self.prev_widths[2] = self.prev_widths[3];
        self.nprev -= 1;
        self.pos = self.pos.saturating_sub(w);
        if self.pos < self.input.len() && self.input.as_bytes()[self.pos] == b'\n' {
            self.line -= 1;
        }
    }

    fn accept(&mut self, valid: char) -> bool {
        if self.next() == valid {
            return true;
        }
        self.backup();
        false
    }

    fn peek(&mut self) -> char {
        let r = self.next();
        self.backup();
        r
    }

    fn skip(&mut self, pred: fn(char) -> bool) {
        loop {
            let r = self.next();
            if pred(r) && r != EOF {
                continue;
            }
            self.backup();
            self.ignore();
            return;
        }
    }

    fn push_error(&mut self, line: usize, message: String) -> Option<State> {
        self.items.push(Item {
            typ: ItemType::Error,
            val: message,
            line,
        });
        None
    }

    /// Go's `lx.error`.
    fn error_msg(&mut self, message: String) -> Option<State> {
        if self.at_eof {
            return self.error_prev_line(message);
        }
        self.push_error(self.line, message)
    }

    /// Go's `lx.errorPrevLine`.
    fn error_prev_line(&mut self, message: String) -> Option<State> {
        self.push_error(self.line.saturating_sub(1), message)
    }

    /// Go's `lx.errorf`.
    fn errorf(&mut self, message: String) -> Option<State> {
        if self.at_eof {
            let mut line = self.line;
            if self.pos >= 1 && self.input.as_bytes()[self.pos - 1] == b'\n' {
                line -= 1;
            }
            return self.push_error(line, message);
        }
        self.push_error(self.line, message)
    }

    #[allow(clippy::too_many_lines, reason = "one arm per state of Go's lexer")]
    fn step(&mut self, state: State) -> Option<State> {
        match state {
            State::Top => {
                let r = self.next();
                if (is_whitespace(r) || is_nl(r)) && r != EOF {
                    self.ignore();
                    return Some(State::Top);
                }
                match r {
                    '#' => {
                        self.push(State::Top);
                        return Some(State::CommentStart);
                    }
                    '[' => return Some(State::TableStart),
                    EOF => {
                        if self.pos > self.start {
                            return self.errorf("unexpected EOF".to_owned());
                        }
                        self.emit(ItemType::Eof);
                        return None;
                    }
                    _ => {}
                }
                self.backup();
                self.push(State::TopEnd);
                Some(State::KeyStart)
            }
            State::TopEnd => {
                let r = self.next();
                match r {
                    '#' => {
                        self.push(State::Top);
                        Some(State::CommentStart)
                    }
                    EOF => {
                        self.emit(ItemType::Eof);
                        None
                    }
                    r if is_whitespace(r) => Some(State::TopEnd),
                    r if is_nl(r) => {
                        self.ignore();
                        Some(State::Top)
                    }
                    r => self.errorf(format!(
                        "expected a top-level item to end with a newline, comment, or EOF, but \
                         got {} instead",
                        quote_rune(r)
                    )),
                }
            }
            State::TableStart => {
                if self.peek() == '[' {
                    self.next();
                    self.emit(ItemType::ArrayTableStart);
                    self.push(State::ArrayTableEnd);
                } else {
                    self.emit(ItemType::TableStart);
                    self.push(State::TableEnd);
                }
                Some(State::TableNameStart)
            }
            State::TableEnd => {
                self.emit(ItemType::TableEnd);
                Some(State::TopEnd)
            }
            State::ArrayTableEnd => {
                let r = self.next();
                if r != ']' {
                    return self.errorf(format!(
                        "expected end of table array name delimiter ']', but got {} instead",
                        quote_rune(r)
                    ));
                }
                self.emit(ItemType::ArrayTableEnd);
                Some(State::TopEnd)
            }
            State::TableNameStart => {
                self.skip(is_whitespace);
                match self.peek() {
                    ']' | EOF => self.errorf(
                        "unexpected end of table name (table names cannot be empty)".to_owned(),
                    ),
                    '.' => self.errorf(
                        "unexpected table separator (table names cannot be empty)".to_owned(),
                    ),
                    '"' | '\'' => {
                        self.ignore();
                        self.push(State::TableNameEnd);
                        Some(State::QuotedName)
                    }
                    _ => {
                        self.push(State::TableNameEnd);
                        Some(State::BareName)
                    }
                }
            }
            State::TableNameEnd => {
                self.skip(is_whitespace);
                match self.next() {
                    '.' => {
                        self.ignore();
                        Some(State::TableNameStart)
                    }
                    ']' => self.pop(),
                    r => self.errorf(format!(
                        "expected '.' or ']' to end table name, but got {} instead",
                        quote_rune(r)
                    )),
                }
            }
            State::BareName => {
                let r = self.next();
                if is_bare_key_char(r) {
                    return Some(State::BareName);
                }
                self.backup();
                self.emit(ItemType::Text);
                self.pop()
            }
            State::QuotedName => {
                let r = self.next();
                match r {
                    '"' => {
                        self.ignore();
                        Some(State::String)
                    }
                    '\'' => {
                        self.ignore();
                        Some(State::RawString)
                    }
                    EOF => self.errorf("unexpected EOF; expected value".to_owned()),
                    r if is_whitespace(r) => {
                        self.ignore();
                        Some(State::Value)
                    }
                    r => self.errorf(format!(
                        "expected value but found {} instead",
                        quote_rune(r)
                    )),
                }
            }
            State::KeyStart => {
                self.skip(is_whitespace);
                match self.peek() {
                    '=' | EOF => self.errorf("unexpected '=': key name appears blank".to_owned()),
                    '.' => self.errorf("unexpected '.': keys cannot start with a '.'".to_owned()),
                    r => {
                        if r == '"' || r == '\'' {
                            self.ignore();
                        }
                        self.emit(ItemType::KeyStart);
                        Some(State::KeyNameStart)
                    }
                }
            }
            State::KeyNameStart => {
                self.skip(is_whitespace);
                match self.peek() {
                    '"' | '\'' => {
                        self.ignore();
                        self.push(State::KeyEnd);
                        Some(State::QuotedName)
                    }
                    '=' | EOF => self.errorf("unexpected '='".to_owned()),
                    '.' => self.errorf("unexpected '.'".to_owned()),
                    _ => {
                        self.push(State::KeyEnd);
                        Some(State::BareName)
                    }
                }
            }
            State::KeyEnd => {
                self.skip(is_whitespace);
                match self.next() {
                    EOF => self.errorf("unexpected EOF; expected key separator '='".to_owned()),
                    r if is_whitespace(r) => {
                        self.ignore();
                        Some(State::KeyEnd)
                    }
                    '.' => {
                        self.ignore();
                        Some(State::KeyNameStart)
                    }
                    '=' => {
                        self.emit(ItemType::KeyEnd);
                        self.ignore();
                        Some(State::Value)
                    }
                    r => {
                        let message =
                            format!("expected '.' or '=', but got {} instead", quote_rune(r));
                        if r == '\n' {
                            return self.error_prev_line(message);
                        }
                        self.errorf(message)
                    }
                }
            }
            State::Value => {
                let r = self.next();
                if is_whitespace(r) {
                    self.ignore();
                    return Some(State::Value);
                }
                if is_digit(r) {
                    self.backup();
                    return Some(State::NumberOrDateStart);
                }
                match r {
                    '[' => {
                        self.ignore();
                        self.emit(ItemType::Array);
                        return Some(State::ArrayValue);
                    }
                    '{' => {
                        self.ignore();
                        self.emit(ItemType::InlineTableStart);
                        return Some(State::InlineTableValue);
                    }
                    '"' => {
                        if self.accept('"') {
                            if self.accept('"') {
                                self.ignore();
                                return Some(State::MultilineString);
                            }
                            self.backup();
                        }
                        self.ignore();
                        return Some(State::String);
                    }
                    '\'' => {
                        if self.accept('\'') {
                            if self.accept('\'') {
                                self.ignore();
                                return Some(State::MultilineRawString);
                            }
                            self.backup();
                        }
                        self.ignore();
                        return Some(State::RawString);
                    }
                    '.' => {
                        return self.errorf("floats must start with a digit, not '.'".to_owned());
                    }
                    'i' | 'n'
                        if (self.accept('n') && self.accept('f'))
                            || (self.accept('a') && self.accept('n')) =>
                    {
                        self.emit(ItemType::Float);
                        return self.pop();
                    }
                    '-' | '+' => return Some(State::DecimalNumberStart),
                    _ => {}
                }
                if r.is_alphabetic() {
                    self.backup();
                    return Some(State::Bool);
                }
                if r == EOF {
                    return self.errorf("unexpected EOF; expected value".to_owned());
                }
                let message = format!("expected value but found {} instead", quote_rune(r));
                if r == '\n' {
                    return self.error_prev_line(message);
                }
                self.errorf(message)
            }
            State::ArrayValue => {
                let r = self.next();
                if (is_whitespace(r) || is_nl(r)) && r != EOF {
                    self.ignore();
                    return Some(State::ArrayValue);
                }
                match r {
                    '#' => {
                        self.push(State::ArrayValue);
                        return Some(State::CommentStart);
                    }
                    ',' => return self.errorf("unexpected comma".to_owned()),
                    ']' => return Some(State::ArrayEnd),
                    _ => {}
                }
                self.backup();
                self.push(State::ArrayValueEnd);
                Some(State::Value)
            }
            State::ArrayValueEnd => match self.next() {
                r if (is_whitespace(r) || is_nl(r)) && r != EOF => {
                    self.ignore();
                    Some(State::ArrayValueEnd)
                }
                '#' => {
                    self.push(State::ArrayValueEnd);
                    Some(State::CommentStart)
                }
                ',' => {
                    self.ignore();
                    Some(State::ArrayValue)
                }
                ']' => Some(State::ArrayEnd),
                r => self.errorf(format!(
                    "expected a comma (',') or array terminator (']'), but got {}",
                    rune_or_eof(r)
                )),
            },
            State::ArrayEnd => {
                self.ignore();
                self.emit(ItemType::ArrayEnd);
                self.pop()
            }
            State::InlineTableValue => {
                let r = self.next();
                if (is_whitespace(r) || is_nl(r)) && r != EOF {
                    self.ignore();
                    return Some(State::InlineTableValue);
                }
                match r {
                    '#' => {
                        self.push(State::InlineTableValue);
                        return Some(State::CommentStart);
                    }
                    ',' => return self.errorf("unexpected comma".to_owned()),
                    '}' => return Some(State::InlineTableEnd),
                    _ => {}
                }
                self.backup();
                self.push(State::InlineTableValueEnd);
                Some(State::KeyStart)
            }
            State::InlineTableValueEnd => match self.next() {
                r if (is_whitespace(r) || is_nl(r)) && r != EOF => {
                    self.ignore();
                    Some(State::InlineTableValueEnd)
                }
                '#' => {
                    self.push(State::InlineTableValueEnd);
                    Some(State::CommentStart)
                }
                ',' => {
                    self.ignore();
                    self.skip(is_whitespace);
                    if self.peek() == '}' {
                        return Some(State::InlineTableValueEnd);
                    }
                    Some(State::InlineTableValue)
                }
                '}' => Some(State::InlineTableEnd),
                r => self.errorf(format!(
                    "expected a comma or an inline table terminator '}}', but got {} instead",
                    rune_or_eof(r)
                )),
            },
            State::InlineTableEnd => {
                self.ignore();
                self.emit(ItemType::InlineTableEnd);
                self.pop()
            }
            State::String => {
                let r = self.next();
                match r {
                    EOF => self.errorf("unexpected EOF; expected '\"'".to_owned()),
                    r if is_nl(r) => {
                        self.error_prev_line("strings cannot contain newlines".to_owned())
                    }
                    '\\' => {
                        self.push(State::String);
                        Some(State::StringEscape)
                    }
                    '"' => {
                        self.backup();
                        if self.esc {
                            self.esc = false;
                            self.emit(ItemType::StringEsc);
                        } else {
                            self.emit(ItemType::String);
                        }
                        self.next();
                        self.ignore();
                        self.pop()
                    }
                    _ => Some(State::String),
                }
            }
            State::MultilineString => {
                let r = self.next();
                match r {
                    EOF => self.errorf("unexpected EOF; expected '\"\"\"'".to_owned()),
                    '\\' => Some(State::MultilineStringEscape),
                    '"' => {
                        if self.accept('"') {
                            if self.accept('"') {
                                if self.peek() == '"' {
                                    let cur = self.current();
                                    if cur.ends_with("\"\"\"\"\"") && !cur.ends_with("\\\"\"\"\"\"")
                                    {
                                        return self.errorf("unexpected '\"\"\"\"\"\"'".to_owned());
                                    }
                                    self.backup();
                                    self.backup();
                                    return Some(State::MultilineString);
                                }
                                self.backup();
                                self.backup();
                                self.backup();
                                self.esc = false;
                                self.emit(ItemType::MultilineString);
                                self.next();
                                self.next();
                                self.next();
                                self.ignore();
                                return self.pop();
                            }
                            self.backup();
                        }
                        Some(State::MultilineString)
                    }
                    _ => Some(State::MultilineString),
                }
            }
            State::RawString => {
                let r = self.next();
                match r {
                    EOF => self.errorf("unexpected EOF; expected \"'\"".to_owned()),
                    r if is_nl(r) => {
                        self.error_prev_line("strings cannot contain newlines".to_owned())
                    }
                    '\'' => {
                        self.backup();
                        self.emit(ItemType::RawString);
                        self.next();
                        self.ignore();
                        self.pop()
                    }
                    _ => Some(State::RawString),
                }
            }
            State::MultilineRawString => {
                let r = self.next();
                match r {
                    EOF => self.errorf("unexpected EOF; expected \"'''\"".to_owned()),
                    '\'' => {
                        if self.accept('\'') {
                            if self.accept('\'') {
                                if self.peek() == '\'' {
                                    if self.current().ends_with("'''''") {
                                        return self.errorf("unexpected \"''''''\"".to_owned());
                                    }
                                    self.backup();
                                    self.backup();
                                    return Some(State::MultilineRawString);
                                }
                                self.backup();
                                self.backup();
                                self.backup();
                                self.emit(ItemType::RawMultilineString);
                                self.next();
                                self.next();
                                self.next();
                                self.ignore();
                                return self.pop();
                            }
                            self.backup();
                        }
                        Some(State::MultilineRawString)
                    }
                    _ => Some(State::MultilineRawString),
                }
            }
            State::MultilineStringEscape => {
                let r = self.next();
                if is_nl(r) && r != EOF {
                    return Some(State::MultilineString);
                }
                self.backup();
                self.push(State::MultilineString);
                self.step(State::StringEscape)
            }
            State::StringEscape => {
                self.esc = true;
                let r = self.next();
                match r {
                    'e' | 'b' | 't' | 'n' | 'f' | 'r' | '"' | ' ' | '\t' | '\\' => self.pop(),
                    'x' => Some(State::HexEscape),
                    'u' => Some(State::ShortUnicodeEscape),
                    'U' => Some(State::LongUnicodeEscape),
                    r => self.error_msg(format!("invalid escape in string '\\{r}'")),
                }
            }
            State::HexEscape | State::ShortUnicodeEscape | State::LongUnicodeEscape => {
                let (n, what, escape) = match state {
                    State::HexEscape => (2, "two", 'x'),
                    State::ShortUnicodeEscape => (4, "four", 'u'),
                    _ => (8, "eight", 'U'),
                };
                for _ in 0..n {
                    let r = self.next();
                    if !is_hex(r) {
                        let cur = go_quote(self.current());
                        return self.errorf(format!(
                            "expected {what} hexadecimal digits after '\\{escape}', but got {cur} \
                             instead"
                        ));
                    }
                }
                self.pop()
            }
            State::NumberOrDateStart => {
                if self.next() == '0' {
                    return Some(State::BaseNumberOrDate);
                }
                Some(State::NumberOrDate)
            }
            State::NumberOrDate => {
                let r = self.next();
                if is_digit(r) {
                    return Some(State::NumberOrDate);
                }
                match r {
                    '-' | ':' => Some(State::Datetime),
                    '_' => Some(State::DecimalNumber),
                    '.' | 'e' | 'E' => Some(State::Float),
                    _ => {
                        self.backup();
                        self.emit(ItemType::Integer);
                        self.pop()
                    }
                }
            }
            State::Datetime => {
                let r = self.next();
                if is_digit(r) || matches!(r, '-' | ':' | 'T' | 't' | ' ' | '.' | 'Z' | 'z' | '+') {
                    return Some(State::Datetime);
                }
                self.backup();
                self.emit_trim(ItemType::Datetime);
                self.pop()
            }
            State::HexInteger | State::OctalInteger | State::BinaryInteger => {
                let r = self.next();
                let digit = match state {
                    State::HexInteger => is_hex(r),
                    State::OctalInteger => is_octal(r),
                    _ => is_binary(r),
                };
                if digit || r == '_' {
                    return Some(state);
                }
                self.backup();
                self.emit(ItemType::Integer);
                self.pop()
            }
            State::DecimalNumber => {
                let r = self.next();
                if is_digit(r) || r == '_' {
                    return Some(State::DecimalNumber);
                }
                if matches!(r, '.' | 'e' | 'E') {
                    return Some(State::Float);
                }
                self.backup();
                self.emit(ItemType::Integer);
                self.pop()
            }
            State::DecimalNumberStart => {
                let r = self.next();
                match r {
                    'i' => {
                        if !self.accept('n') || !self.accept('f') {
                            return self.errorf(format!("invalid float: '{}'", self.current()));
                        }
                        self.emit(ItemType::Float);
                        return self.pop();
                    }
                    'n' => {
                        if !self.accept('a') || !self.accept('n') {
                            return self.errorf(format!("invalid float: '{}'", self.current()));
                        }
                        self.emit(ItemType::Float);
                        return self.pop();
                    }
                    '0' => {
                        let p = self.peek();
                        if matches!(p, 'b' | 'o' | 'x') {
                            return self.errorf(format!(
                                "cannot use sign with non-decimal numbers: '{}{p}'",
                                self.current()
                            ));
                        }
                    }
                    '.' => {
                        return self.errorf("floats must start with a digit, not '.'".to_owned());
                    }
                    _ => {}
                }
                if is_digit(r) {
                    return Some(State::DecimalNumber);
                }
                self.errorf(format!("expected a digit but got {}", quote_rune(r)))
            }
            State::BaseNumberOrDate => {
                let r = self.next();
                if is_digit(r) {
                    return Some(State::NumberOrDate);
                }
                match r {
                    '_' => Some(State::DecimalNumber),
                    '.' | 'e' | 'E' => Some(State::Float),
                    'b' | 'o' | 'x' => {
                        let (ok, what, next) = match r {
                            'b' => (
                                is_binary as fn(char) -> bool,
                                "binary",
                                State::BinaryInteger,
                            ),
                            'o' => (is_octal as fn(char) -> bool, "octal", State::OctalInteger),
                            _ => (is_hex as fn(char) -> bool, "hexadecimal", State::HexInteger),
                        };
                        let p = self.peek();
                        if !ok(p) {
                            // Go emits the error and carries on lexing; the parser stops there.
                            let article = if what == "octal" { "an" } else { "a" };
                            return self.errorf(format!(
                                "not {article} {what} number: '{}{p}'",
                                self.current()
                            ));
                        }
                        Some(next)
                    }
                    _ => {
                        self.backup();
                        self.emit(ItemType::Integer);
                        self.pop()
                    }
                }
            }
            State::Float => {
                let r = self.next();
                if is_digit(r) || matches!(r, '_' | '.' | '-' | '+' | 'e' | 'E') {
                    return Some(State::Float);
                }
                self.backup();
                self.emit(ItemType::Float);
                self.pop()
            }
            State::Bool => {
                let mut word = String::new();
                loop {
                    let r = self.next();
                    if r == EOF || !r.is_alphabetic() {
                        self.backup();
                        break;
                    }
                    word.push(r);
                }
                if word == "true" || word == "false" {
                    self.emit(ItemType::Bool);
                    return self.pop();
                }
                self.errorf(format!(
                    "expected value but found {} instead",
                    go_quote(&word)
                ))
            }
            State::CommentStart => {
                self.ignore();
                self.emit(ItemType::CommentStart);
                Some(State::Comment)
            }
            State::Comment => {
                let r = self.next();
                if is_nl(r) || r == EOF {
                    self.backup();
                    self.emit(ItemType::Text);
                    return self.pop();
                }
                Some(State::Comment)
            }
        }
    }
}

// ------------------------------------------------------------------------------------------
// Parser (`parse.go`): key contexts and the checks that fail a decode.

/// What a key holds in BurntSushi's mapping, as far as redefinition checks need.
#[derive(Debug)]
enum Slot {
    Table(BTreeMap<String, Slot>),
    TableArray(Vec<BTreeMap<String, Slot>>),
    Value,
}

type Key = Vec<String>;

/// Go's `Key.String`: parts joined by `.`, quoted when not bare.
fn key_string(key: &[String]) -> String {
    key.iter()
        .map(|k| {
            if k.is_empty() {
                "\"\"".to_owned()
            } else if k.chars().all(is_bare_key_char) {
                k.clone()
            } else {
                format!("\"{}\"", k.replace('\\', "\\\\").replace('"', "\\\""))
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

struct Parser {
    items: std::vec::IntoIter<Item>,
    mapping: BTreeMap<String, Slot>,
    context: Key,
    current_key: String,
    line: usize,
    implicits: HashSet<String>,
    arrays: HashSet<String>,
}

type PResult<T> = Result<T, TomlParseError>;

impl Parser {
    fn new(items: Vec<Item>) -> Parser {
        Parser {
            items: items.into_iter(),
            mapping: BTreeMap::new(),
            context: Vec::new(),
            current_key: String::new(),
            line: 1,
            implicits: HashSet::new(),
            arrays: HashSet::new(),
        }
    }

    fn current(&self) -> String {
        if self.current_key.is_empty() {
            return key_string(&self.context);
        }
        if self.context.is_empty() {
            return self.current_key.clone();
        }
        format!("{}.{}", key_string(&self.context), self.current_key)
    }

    fn fail(&self, line: usize, message: String) -> TomlParseError {
        TomlParseError {
            line,
            message,
            last_key: self.current(),
        }
    }

    fn next(&mut self) -> PResult<Item> {
        let Some(item) = self.items.next() else {
            // The lexer stopped early (its step guard); treat as the end.
            return Ok(Item {
                typ: ItemType::Eof,
                val: String::new(),
                line: self.line,
            });
        };
        if item.typ == ItemType::Error {
            return Err(self.fail(item.line, item.val));
        }
        Ok(item)
    }

    fn next_pos(&mut self) -> PResult<Item> {
        let item = self.next()?;
        self.line = item.line;
        Ok(item)
    }

    fn run(mut self) -> PResult<()> {
        loop {
            let item = self.next()?;
            if item.typ == ItemType::Eof {
                return Ok(());
            }
            self.top_level(item)?;
        }
    }

    fn read_key(&mut self, end: ItemType) -> PResult<Key> {
        let mut key = Vec::new();
        let mut name = self.next_pos()?;
        while name.typ != end && name.typ != ItemType::Eof {
            key.push(key_part(&name));
            name = self.next()?;
        }
        Ok(key)
    }

    fn top_level(&mut self, item: Item) -> PResult<()> {
        match item.typ {
            ItemType::CommentStart => {
                self.next()?;
            }
            ItemType::TableStart | ItemType::ArrayTableStart => {
                let array = item.typ == ItemType::ArrayTableStart;
                let end = if array {
                    ItemType::ArrayTableEnd
                } else {
                    ItemType::TableEnd
                };
                let key = self.read_key(end)?;
                self.add_context(&key, array)?;
            }
            ItemType::KeyStart => {
                let outer = self.context.clone();
                let key = self.read_key(ItemType::KeyEnd)?;
                self.key_value(&key)?;
                self.context = outer;
                self.current_key.clear();
            }
            _ => {}
        }
        Ok(())
    }

    /// The part of `topLevel`/`valueInlineTable` after a key's parts are read.
    fn key_value(&mut self, key: &[String]) -> PResult<()> {
        let Some((last, parents)) = key.split_last() else {
            return Ok(());
        };
        self.current_key = last.clone();
        for part in parents {
            let mut implicit = self.context.clone();
            implicit.push(part.clone());
            self.implicits.insert(key_string(&implicit));
            self.add_context(&implicit, false)?;
        }
        let v = self.next()?;
        let is_array = self.value(v, false)?;
        self.set_value(&self.current_key.clone())?;
        let mut full = self.context.clone();
        full.push(self.current_key.clone());
        if is_array {
            self.arrays.insert(key_string(&full));
        } else {
            self.arrays.remove(&key_string(&full));
        }
        Ok(())
    }

    /// Go's `value`; returns whether the value is an array.
    fn value(&mut self, item: Item, parent_is_array: bool) -> PResult<bool> {
        match item.typ {
            ItemType::StringEsc | ItemType::MultilineString => {
                self.check_escapes(&item, item.typ == ItemType::StringEsc)?;
                Ok(false)
            }
            ItemType::Integer => self.value_integer(&item).map(|()| false),
            ItemType::Float => self.value_float(&item).map(|()| false),
            ItemType::Datetime => {
                let val = item.val.replace('z', "Z").replace(['t', ' '], "T");
                if val.parse::<toml::value::Datetime>().is_err() {
                    return Err(
                        self.fail(item.line, format!("invalid datetime: {}", go_quote(&val)))
                    );
                }
                Ok(false)
            }
            ItemType::Array => {
                // Go's `valueArray` records the key as an array before reading the items.
                let mut full = self.context.clone();
                full.push(self.current_key.clone());
                self.arrays.insert(key_string(&full));
                let mut it = self.next()?;
                while it.typ != ItemType::ArrayEnd && it.typ != ItemType::Eof {
                    if it.typ == ItemType::CommentStart {
                        self.next()?;
                    } else {
                        self.value(it, true)?;
                    }
                    it = self.next()?;
                }
                Ok(true)
            }
            ItemType::InlineTableStart => self.value_inline_table(parent_is_array).map(|()| false),
            _ => Ok(false),
        }
    }

    /// Go's `replaceEscapes` checks: `\ ` and `\<tab>` are invalid in a one-line string,
    /// and a `\x`/`\u`/`\U` escape must name a valid code point.
    fn check_escapes(&self, item: &Item, one_line: bool) -> PResult<()> {
        let b = item.val.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'\\' || i + 1 >= b.len() {
                i += 1;
                continue;
            }
            let e = b[i + 1];
            let n = match e {
                b' ' | b'\t' if one_line => {
                    return Err(
                        self.fail(item.line, format!("invalid escape: '\\{}'", char::from(e)))
                    );
                }
                b'x' => 2,
                b'u' => 4,
                b'U' => 8,
                _ => 0,
            };
            if n > 0 {
                let hex = item.val.get(i + 2..i + 2 + n).unwrap_or("");
                let valid = u32::from_str_radix(hex, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .is_some();
                if !valid {
                    return Err(self.fail(
                        item.line,
                        format!("Escaped character '\\u{hex}' is not valid UTF-8."),
                    ));
                }
            }
            i += 2 + n;
        }
        Ok(())
    }

    fn value_integer(&self, item: &Item) -> PResult<()> {
        let s = item.val.as_str();
        if !num_underscores_ok(s) {
            return Err(self.fail(
                item.line,
                format!(
                    "Invalid integer {}: underscores must be surrounded by digits",
                    go_quote(s)
                ),
            ));
        }
        if num_has_leading_zero(s) {
            return Err(self.fail(
                item.line,
                format!(
                    "Invalid integer {}: cannot have leading zeroes",
                    go_quote(s)
                ),
            ));
        }
        let digits = s.replace('_', "");
        let (neg, body) = match digits.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, digits.strip_prefix('+').unwrap_or(&digits)),
        };
        let (radix, body) = match body.get(..2) {
            Some("0x") => (16, &body[2..]),
            Some("0o") => (8, &body[2..]),
            Some("0b") => (2, &body[2..]),
            _ => (10, body),
        };
        let in_range = u64::from_str_radix(body, radix)
            .ok()
            .is_some_and(|m| if neg { m <= 1 << 63 } else { m < 1 << 63 });
        if !in_range {
            return Err(self.fail(item.line, format!("{s} is out of range for int64")));
        }
        Ok(())
    }

    fn value_float(&self, item: &Item) -> PResult<()> {
        let s = item.val.as_str();
        let parts: Vec<&str> = s.split(['.', 'e', 'E']).filter(|p| !p.is_empty()).collect();
        if parts.iter().any(|p| !num_underscores_ok(p)) {
            return Err(self.fail(
                item.line,
                format!(
                    "Invalid float {}: underscores must be surrounded by digits",
                    go_quote(s)
                ),
            ));
        }
        if parts.first().is_some_and(|p| num_has_leading_zero(p)) {
            return Err(self.fail(
                item.line,
                format!("Invalid float {}: cannot have leading zeroes", go_quote(s)),
            ));
        }
        if !num_periods_ok(s) {
            return Err(self.fail(
                item.line,
                format!(
                    "Invalid float {}: '.' must be followed by one or more digits",
                    go_quote(s)
                ),
            ));
        }
        let val = s.replace('_', "");
        let val = if val == "+nan" || val == "-nan" {
            "nan".to_owned()
        } else {
            val
        };
        if crate::codec::gofmt::parse_float(&val).is_some() {
            return Ok(());
        }
        // `parse_float` refuses both syntax and range errors; Go tells them apart.
        let overflow = !val.contains("inf") && val.parse::<f64>().is_ok_and(f64::is_infinite);
        if overflow {
            return Err(self.fail(item.line, format!("{s} is out of range for float64")));
        }
        Err(self.fail(item.line, format!("Invalid float value: {}", go_quote(s))))
    }

    fn value_inline_table(&mut self, parent_is_array: bool) -> PResult<()> {
        let outer_context = self.context.clone();
        let outer_key = std::mem::take(&mut self.current_key);
        self.context.push(outer_key.clone());
        let prev_context = self.context.clone();
        self.implicits.insert(key_string(&self.context));
        let ctx = self.context.clone();
        self.add_context(&ctx, parent_is_array)?;
        let mut it = self.next()?;
        while it.typ != ItemType::InlineTableEnd && it.typ != ItemType::Eof {
            if it.typ == ItemType::CommentStart {
                self.next()?;
            } else {
                let key = self.read_key(ItemType::KeyEnd)?;
                self.key_value(&key)?;
                self.context = prev_context.clone();
            }
            it = self.next()?;
        }
        self.context = outer_context;
        self.current_key = outer_key;
        Ok(())
    }

    /// The table the path `keys` leads to from the top, following the last table of
    /// arrays of tables; `Err(depth)` when the part at `depth` holds a plain value.
    fn descend<'m>(
        mapping: &'m mut BTreeMap<String, Slot>,
        keys: &[String],
        create: bool,
        implicits: &mut HashSet<String>,
    ) -> Result<&'m mut BTreeMap<String, Slot>, usize> {
        let mut hash = mapping;
        for (i, k) in keys.iter().enumerate() {
            if !hash.contains_key(k) {
                if !create {
                    return Err(i);
                }
                implicits.insert(key_string(&keys[..=i]));
                hash.insert(k.clone(), Slot::Table(BTreeMap::new()));
            }
            hash = match hash.get_mut(k) {
                Some(Slot::Table(t)) => t,
                Some(Slot::TableArray(a)) => match a.last_mut() {
                    Some(t) => t,
                    None => return Err(i),
                },
                _ => return Err(i),
            };
        }
        Ok(hash)
    }

    /// Go's `addContext`.
    fn add_context(&mut self, key: &[String], array: bool) -> PResult<()> {
        let Some((last, parents)) = key.split_last() else {
            return Ok(());
        };
        let line = self.line;
        let hash = match Self::descend(&mut self.mapping, parents, true, &mut self.implicits) {
            Ok(h) => h,
            Err(depth) => {
                let shown = key_string(&parents[..=depth]);
                return Err(self.fail(
                    line,
                    format!("Key '{shown}' was already created as a hash."),
                ));
            }
        };
        if array {
            let slot = hash
                .entry(last.clone())
                .or_insert_with(|| Slot::TableArray(Vec::new()));
            match slot {
                Slot::TableArray(a) => a.push(BTreeMap::new()),
                _ => {
                    self.context = parents.to_vec();
                    let shown = key_string(key);
                    return Err(self.fail(
                        line,
                        format!(
                            "Key '{shown}' was already created and cannot be used as an array."
                        ),
                    ));
                }
            }
            self.context = key.to_vec();
            return Ok(());
        }
        self.context = parents.to_vec();
        self.set_slot(last, Slot::Table(BTreeMap::new()))?;
        self.context.push(last.clone());
        Ok(())
    }

    /// Go's `setValue` for a plain value (or an inline table / array, also plain here).
    fn set_value(&mut self, key: &str) -> PResult<()> {
        self.set_slot(key, Slot::Value)
    }

    fn set_slot(&mut self, key: &str, slot: Slot) -> PResult<()> {
        let line = self.line;
        let context = self.context.clone();
        let mut full = context.clone();
        full.push(key.to_owned());
        let full_name = key_string(&full);
        let mut no_implicits = HashSet::new();
        let hash = match Self::descend(&mut self.mapping, &context, false, &mut no_implicits) {
            Ok(h) => h,
            Err(depth) => {
                let shown = key_string(&context[..=depth]);
                return Err(self.fail(line, format!("Key '{shown}' has already been defined.")));
            }
        };
        if hash.contains_key(key) {
            if self.arrays.contains(&full_name) {
                if !self.implicits.contains(&full_name) {
                    return Err(
                        self.fail(line, format!("Key '{full_name}' has already been defined."))
                    );
                }
                self.implicits.remove(&full_name);
                hash.insert(key.to_owned(), slot);
                return Ok(());
            }
            if self.implicits.remove(&full_name) {
                return Ok(());
            }
            return Err(self.fail(line, format!("Key '{full_name}' has already been defined.")));
        }
        hash.insert(key.to_owned(), slot);
        Ok(())
    }
}

/// A key part's text: bare text as is, quoted forms unescaped (escapes are checked by the
/// lexer; the exact unescaped text only matters for redefinition checks and messages).
fn key_part(item: &Item) -> String {
    match item.typ {
        ItemType::StringEsc => {
            let quoted = format!("\"{}\"", item.val);
            match quoted.parse::<toml::Value>() {
                Ok(toml::Value::String(s)) => s,
                _ => item.val.clone(),
            }
        }
        _ => item.val.clone(),
    }
}

fn num_has_leading_zero(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() > 1 && b[0] == b'0' && !matches!(b[1], b'b' | b'o' | b'x') {
        return true;
    }
    b.len() > 2 && (b[0] == b'-' || b[0] == b'+') && b[1] == b'0'
}

fn num_underscores_ok(s: &str) -> bool {
    if matches!(s, "nan" | "+nan" | "-nan" | "inf" | "-inf" | "+inf") {
        return true;
    }
    let mut accept = false;
    for r in s.chars() {
        if r == '_' && !accept {
            return false;
        }
        accept = is_hex(r);
    }
    accept
}

fn num_periods_ok(s: &str) -> bool {
    let mut period = false;
    for r in s.chars() {
        if period && !is_digit(r) {
            return false;
        }
        period = r == '.';
    }
    !period
}

#[cfg(test)]
mod tests {
    use super::check;

    /// The checks terminate without panicking on arbitrary TOML-like input (the expected
    /// error texts themselves are Go's, in `src/codec/testdata/toml.jsonl`).
    #[test]
    fn arbitrary_input_terminates() {
        const ALPHABET: &[&str] = &[
            "a", "b", ".", "=", " ", "\n", "\r", "\t", "[", "]", "{", "}", ",", "\"", "'", "\\",
            "#", "0", "1", "x", "e", "_", "-", "+", ":", "\u{1}", "é", "\u{7f}", "i", "n",
        ];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..3000 {
            let mut text = String::new();
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let len = (seed >> 58) as usize;
            for _ in 0..len {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                text.push_str(ALPHABET[(seed >> 33) as usize % ALPHABET.len()]);
            }
            let _ = check(&text);
        }
    }

    #[test]
    fn errors_read_like_burntsushi() {
        let e = check("[a]\nb = 1\n[a.b]").err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("toml: line 3 (last key \"a\"): Key 'a.b' has already been defined.")
        );
        assert!(check("a = 1\n[t]\nb = [1, {c = 2}]\n").is_ok());
    }
}
