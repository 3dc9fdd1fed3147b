//! Go's `fmt` printing (`Sprint`, `Sprintf`, `Sprintln`) over [`Value`]s.
//!
//! Follows `fmt/print.go` and `fmt/format.go` of Go 1.26: verbs `%v %+v %#v %T %d %b %o %O
//! %x %X %c %q %U %e %E %f %F %g %G %s %t %p %%`, flags `+ - # 0 space`, width and precision
//! (also `*`), explicit argument indexes `%[n]d`, and the error forms `%!d(string=x)`,
//! `%!d(MISSING)`, `%!(EXTRA …)`, `%!(NOVERB)`, `%!(BADWIDTH)`, `%!(BADPREC)`,
//! `%!d(BADINDEX)`. Floats use Go's shortest formatting (`1e+06` for 1000000 under `%v`).
//!
//! Known gaps: Unicode
//! "printable" (for `%q`) is approximated without Go's full category tables; pointer
//! addresses (`%p`, nested pointers) are a fixed fake address, as Go's are not reproducible.

use super::value::{ElemType, UintKind, Value, decode_go_rune, go_lossy};

/// Fake address printed for pointers; Go prints a real heap address here.
const FAKE_POINTER: u64 = 0xc000010000;

const LDIGITS: &[u8; 17] = b"0123456789abcdefx";
const UDIGITS: &[u8; 17] = b"0123456789ABCDEFX";

#[derive(Debug, Default, Clone, Copy)]
struct Flags {
    wid_present: bool,
    prec_present: bool,
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    plus_v: bool,
    sharp_v: bool,
    wid: usize,
    prec: usize,
}

/// Go's `fmt.Sprint`: operands formatted with `%v`, a space between operands when neither
/// is a string. Bytes that are not UTF-8 (from [`Value::ByteString`]) come out as
/// [`go_lossy`] text; [`sprint_value`] keeps them.
pub fn sprint(args: &[Value]) -> String {
    sprint_buf(args).into_string()
}

/// [`sprint`] as a Go string value (keeping bytes that are not UTF-8).
pub fn sprint_value(args: &[Value]) -> Value {
    Value::from_go_bytes(sprint_buf(args).0)
}

fn sprint_buf(args: &[Value]) -> GoBuf {
    let mut p = Printer::default();
    let mut prev_string = false;
    for (i, arg) in args.iter().enumerate() {
        let is_string = matches!(arg, Value::String(_) | Value::ByteString(_));
        if i > 0 && !is_string && !prev_string {
            p.buf.push(' ');
        }
        p.print_arg(arg, 'v');
        prev_string = is_string;
    }
    p.buf
}

/// Go's `fmt.Sprintln`: operands formatted with `%v`, separated by spaces, newline appended.
pub fn sprintln(args: &[Value]) -> String {
    sprintln_buf(args).into_string()
}

/// [`sprintln`] as a Go string value (keeping bytes that are not UTF-8).
pub fn sprintln_value(args: &[Value]) -> Value {
    Value::from_go_bytes(sprintln_buf(args).0)
}

fn sprintln_buf(args: &[Value]) -> GoBuf {
    let mut p = Printer::default();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            p.buf.push(' ');
        }
        p.print_arg(arg, 'v');
    }
    p.buf.push('\n');
    p.buf
}

/// Go's `fmt.Sprintf`. Bytes that are not UTF-8 (a [`Value::ByteString`] under `%s`/`%v`)
/// come out as [`go_lossy`] text; [`sprintf_value`] keeps them.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut p = Printer::default();
    p.do_printf(format, args);
    p.buf.into_string()
}

/// [`sprintf`] as a Go string value (keeping bytes that are not UTF-8).
pub fn sprintf_value(format: &str, args: &[Value]) -> Value {
    let mut p = Printer::default();
    p.do_printf(format, args);
    Value::from_go_bytes(p.buf.0)
}

/// How text/template prints an action's value (`fmt.Fprint` of `printableValue`) onto the
/// output bytes: no value prints `<no value>`, a pointer to a struct without a `String`
/// method prints the struct, a Go string its bytes.
pub fn template_print(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::String(s) => out.extend_from_slice(s.as_bytes()),
        Value::ByteString(b) => out.extend_from_slice(b),
        Value::Invalid => out.extend_from_slice(b"<no value>"),
        Value::Object(o) if o.is_nil() => out.extend_from_slice(b"<nil>"),
        Value::Object(o) if o.is_pointer() && o.go_string().is_none() => {
            let mut p = Printer::default();
            p.print_struct(o.as_ref(), 'v', 1);
            out.extend_from_slice(&p.buf.0);
        }
        _ => {
            let mut p = Printer::default();
            p.print_arg(v, 'v');
            out.extend_from_slice(&p.buf.0);
        }
    }
}

/// Output of the printer: Go's `fmt` buffer, bytes (Go strings need not be UTF-8).
#[derive(Default)]
struct GoBuf(Vec<u8>);

impl GoBuf {
    fn push(&mut self, c: char) {
        self.0
            .extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
    }

    fn push_str(&mut self, s: &str) {
        self.0.extend_from_slice(s.as_bytes());
    }

    fn into_string(self) -> String {
        String::from_utf8(self.0).unwrap_or_else(|e| go_lossy(e.as_bytes()))
    }
}

/// Go's `strconv.Quote` of a string's bytes: as [`go_quote`], and each byte that is not
/// part of valid UTF-8 becomes `\xNN`.
pub fn go_quote_bytes(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len() + 2);
    append_quoted_bytes(&mut out, b, '"', false);
    out
}

fn append_quoted_bytes(out: &mut String, b: &[u8], quote: char, ascii_only: bool) {
    out.push(quote);
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            append_escaped_rune(out, c, quote, ascii_only);
        }
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    out.push(quote);
}

/// Number of runes Go counts in a string's bytes (`utf8.RuneCount`: each invalid byte is
/// one rune).
fn go_rune_count(b: &[u8]) -> usize {
    b.utf8_chunks()
        .map(|c| c.valid().chars().count() + c.invalid().len())
        .sum()
}

/// The first `n` runes of a string's bytes, Go's way (`fmt`'s precision truncation).
fn go_truncate_runes(b: &[u8], n: usize) -> &[u8] {
    let mut at = 0;
    for _ in 0..n {
        match decode_go_rune(&b[at..]) {
            Some((_, len)) => at += len,
            None => break,
        }
    }
    &b[..at]
}

/// Go's `strconv.Quote` (`%q` of a string).
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    append_quoted(&mut out, s, '"', false);
    out
}

fn append_quoted(out: &mut String, s: &str, quote: char, ascii_only: bool) {
    out.push(quote);
    for c in s.chars() {
        append_escaped_rune(out, c, quote, ascii_only);
    }
    out.push(quote);
}

fn append_escaped_rune(out: &mut String, c: char, quote: char, ascii_only: bool) {
    if c == quote || c == '\\' {
        out.push('\\');
        out.push(c);
        return;
    }
    if ascii_only {
        if (c as u32) < 0x80 && is_print(c) {
            out.push(c);
            return;
        }
    } else if is_print(c) {
        out.push(c);
        return;
    }
    match c {
        '\u{7}' => out.push_str("\\a"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{b}' => out.push_str("\\v"),
        _ => {
            let r = c as u32;
            if r < 0x20 || r == 0x7f {
                out.push_str(&format!("\\x{r:02x}"));
            } else if r < 0x10000 {
                out.push_str(&format!("\\u{r:04x}"));
            } else {
                out.push_str(&format!("\\U{r:08x}"));
            }
        }
    }
}

/// Approximates Go's `unicode.IsPrint`/`strconv.IsPrint`: letters, marks, numbers,
/// punctuation, symbols and ASCII space.
pub(crate) fn is_print(c: char) -> bool {
    let r = c as u32;
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    // Format characters (Cf), private use (Co) and noncharacters are not printable in Go.
    !matches!(r,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F
        | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB
        | 0xE000..=0xF8FF | 0xFFFE | 0xFFFF | 0xF0000..=0x10FFFF | 0xE0001 | 0xE0020..=0xE007F)
}

fn can_backquote(s: &str) -> bool {
    s.chars()
        .all(|c| c != '`' && c != '\u{FEFF}' && (c == '\t' || !(c < ' ' || c == '\u{7f}')))
}

#[derive(Default)]
struct Printer {
    buf: GoBuf,
    f: Flags,
    erroring: bool,
}

fn too_large(x: usize) -> bool {
    x > 1_000_000
}

fn parsenum(s: &[u8], start: usize, end: usize) -> (usize, bool, usize) {
    if start >= end {
        return (0, false, end);
    }
    let mut num = 0usize;
    let mut isnum = false;
    let mut i = start;
    while i < end && s[i].is_ascii_digit() {
        if too_large(num) {
            return (0, false, end);
        }
        num = num * 10 + usize::from(s[i] - b'0');
        isnum = true;
        i += 1;
    }
    (num, isnum, i)
}

fn int_from_arg(args: &[Value], arg_num: usize) -> (i64, bool, usize) {
    if arg_num >= args.len() {
        return (0, false, arg_num);
    }
    let (num, ok) = match &args[arg_num] {
        Value::Int(n, _) => (*n, true),
        Value::Uint(n, _) => match i64::try_from(*n) {
            Ok(n) => (n, true),
            Err(_) => (0, false),
        },
        _ => (0, false),
    };
    if !(-1_000_000..=1_000_000).contains(&num) {
        return (0, false, arg_num + 1);
    }
    (num, ok, arg_num + 1)
}

fn parse_arg_number(format: &[u8]) -> (usize, usize, bool) {
    if format.len() < 3 {
        return (0, 1, false);
    }
    for i in 1..format.len() {
        if format[i] == b']' {
            let (width, ok, newi) = parsenum(format, 1, i);
            if !ok || newi != i {
                return (0, i + 1, false);
            }
            // Arg numbers are one-indexed; 0 becomes an out-of-range index.
            return (width.wrapping_sub(1), i + 1, true);
        }
    }
    (0, 1, false)
}

impl Printer {
    fn arg_number(
        &mut self,
        arg_num: usize,
        format: &[u8],
        i: usize,
        num_args: usize,
        reordered: &mut bool,
        good_arg_num: &mut bool,
    ) -> (usize, usize, bool) {
        if format.len() <= i || format[i] != b'[' {
            return (arg_num, i, false);
        }
        *reordered = true;
        let (index, wid, ok) = parse_arg_number(&format[i..]);
        if ok && index < num_args {
            return (index, i + wid, true);
        }
        *good_arg_num = false;
        (arg_num, i + wid, ok)
    }

    fn do_printf(&mut self, format: &str, args: &[Value]) {
        let fb = format.as_bytes();
        let end = fb.len();
        let mut arg_num = 0usize;
        let mut after_index;
        let mut reordered = false;
        let mut i = 0usize;
        'format_loop: while i < end {
            let mut good_arg_num = true;
            let lasti = i;
            while i < end && fb[i] != b'%' {
                i += 1;
            }
            if i > lasti {
                self.buf.push_str(&format[lasti..i]);
            }
            if i >= end {
                break;
            }
            i += 1;
            self.f = Flags::default();
            // Flags and the fast path for simple verbs.
            while i < end {
                let c = fb[i];
                match c {
                    b'#' => self.f.sharp = true,
                    b'0' => self.f.zero = true,
                    b'+' => self.f.plus = true,
                    b'-' => self.f.minus = true,
                    b' ' => self.f.space = true,
                    _ => {
                        if c.is_ascii_lowercase() && arg_num < args.len() {
                            if c == b'v' || c == b'w' {
                                self.f.sharp_v = self.f.sharp;
                                self.f.sharp = false;
                                self.f.plus_v = self.f.plus;
                                self.f.plus = false;
                            }
                            self.print_arg(&args[arg_num], char::from(c));
                            arg_num += 1;
                            i += 1;
                            continue 'format_loop;
                        }
                        break;
                    }
                }
                i += 1;
            }
            let r = self.arg_number(
                arg_num,
                fb,
                i,
                args.len(),
                &mut reordered,
                &mut good_arg_num,
            );
            arg_num = r.0;
            i = r.1;
            after_index = r.2;

            // Width.
            if i < end && fb[i] == b'*' {
                i += 1;
                let (w, present, next) = int_from_arg(args, arg_num);
                arg_num = next;
                self.f.wid_present = present;
                if !present {
                    self.buf.push_str("%!(BADWIDTH)");
                }
                if w < 0 {
                    self.f.wid = w.unsigned_abs() as usize;
                    self.f.minus = true;
                    self.f.zero = false;
                } else {
                    self.f.wid = w as usize;
                }
                after_index = false;
            } else {
                let (w, present, next) = parsenum(fb, i, end);
                self.f.wid = w;
                self.f.wid_present = present;
                i = next;
                if after_index && present {
                    good_arg_num = false;
                }
            }

            // Precision.
            if i + 1 < end && fb[i] == b'.' {
                i += 1;
                if after_index {
                    good_arg_num = false;
                }
                let r = self.arg_number(
                    arg_num,
                    fb,
                    i,
                    args.len(),
                    &mut reordered,
                    &mut good_arg_num,
                );
                arg_num = r.0;
                i = r.1;
                after_index = r.2;
                if i < end && fb[i] == b'*' {
                    i += 1;
                    let (p, present, next) = int_from_arg(args, arg_num);
                    arg_num = next;
                    if p < 0 {
                        self.f.prec = 0;
                        self.f.prec_present = false;
                    } else {
                        self.f.prec = p as usize;
                        self.f.prec_present = present;
                    }
                    if !self.f.prec_present {
                        self.buf.push_str("%!(BADPREC)");
                    }
                    after_index = false;
                } else {
                    let (p, present, next) = parsenum(fb, i, end);
                    i = next;
                    self.f.prec = p;
                    self.f.prec_present = true;
                    if !present {
                        self.f.prec = 0;
                    }
                }
            }

            if !after_index {
                let r = self.arg_number(
                    arg_num,
                    fb,
                    i,
                    args.len(),
                    &mut reordered,
                    &mut good_arg_num,
                );
                arg_num = r.0;
                i = r.1;
            }

            if i >= end {
                self.buf.push_str("%!(NOVERB)");
                break;
            }
            let verb = format[i..].chars().next().unwrap_or('?');
            i += verb.len_utf8();

            if verb == '%' {
                self.buf.push('%');
            } else if !good_arg_num {
                self.buf.push_str("%!");
                self.buf.push(verb);
                self.buf.push_str("(BADINDEX)");
            } else if arg_num >= args.len() {
                self.buf.push_str("%!");
                self.buf.push(verb);
                self.buf.push_str("(MISSING)");
            } else {
                if verb == 'v' || verb == 'w' {
                    self.f.sharp_v = self.f.sharp;
                    self.f.sharp = false;
                    self.f.plus_v = self.f.plus;
                    self.f.plus = false;
                }
                self.print_arg(&args[arg_num], verb);
                arg_num += 1;
            }
        }

        if !reordered && arg_num < args.len() {
            self.f = Flags::default();
            self.buf.push_str("%!(EXTRA ");
            for (k, arg) in args[arg_num..].iter().enumerate() {
                if k > 0 {
                    self.buf.push_str(", ");
                }
                if arg.is_nil() {
                    self.buf.push_str("<nil>");
                } else {
                    self.buf.push_str(&arg.type_name());
                    self.buf.push('=');
                    self.print_arg(arg, 'v');
                }
            }
            self.buf.push(')');
        }
    }

    fn print_arg(&mut self, arg: &Value, verb: char) {
        if arg.is_nil() {
            match verb {
                'T' | 'v' => self.pad_string("<nil>"),
                _ => self.bad_verb(verb, None),
            }
            return;
        }
        match verb {
            'T' => {
                let t = arg.type_name();
                self.fmt_s(&t);
                return;
            }
            'p' => {
                self.fmt_pointer(arg, 'p');
                return;
            }
            _ => {}
        }
        match arg {
            Value::Bool(b) => self.fmt_bool(*b, verb, arg),
            Value::Int(n, _) => self.fmt_integer(*n as u64, true, verb, arg),
            Value::Uint(n, _) => self.fmt_integer(*n, false, verb, arg),
            Value::Float(x) => self.fmt_float(*x, verb, arg),
            Value::Complex(re, im) => self.fmt_complex(*re, *im, verb, arg),
            Value::String(s) => self.fmt_string(s, verb, arg),
            Value::ByteString(b) => self.fmt_byte_string(b, verb, arg),
            Value::Bytes(b) => self.fmt_bytes(b, verb, "[]byte", arg),
            _ => {
                if !self.handle_methods(arg, verb) {
                    self.print_value(arg, verb, 0);
                }
            }
        }
    }

    fn handle_methods(&mut self, arg: &Value, verb: char) -> bool {
        if self.erroring || self.f.sharp_v {
            return false;
        }
        if let Value::Object(o) = arg
            && !o.is_nil()
            && matches!(verb, 'v' | 's' | 'x' | 'X' | 'q')
            && let Some(s) = o.go_string()
        {
            self.fmt_string(&s, verb, arg);
            return true;
        }
        false
    }

    fn print_value(&mut self, v: &Value, verb: char, depth: usize) {
        if depth > 0 && !v.is_nil() && self.handle_methods(v, verb) {
            return;
        }
        match v {
            Value::Invalid | Value::Nil => {
                if depth == 0 {
                    self.buf.push_str("<invalid reflect.Value>");
                } else if self.f.sharp_v {
                    self.buf.push_str("interface {}(nil)");
                } else {
                    self.buf.push_str("<nil>");
                }
            }
            Value::Bool(b) => self.fmt_bool(*b, verb, v),
            Value::Int(n, _) => self.fmt_integer(*n as u64, true, verb, v),
            Value::Uint(n, _) => self.fmt_integer(*n, false, verb, v),
            Value::Float(x) => self.fmt_float(*x, verb, v),
            Value::Complex(re, im) => self.fmt_complex(*re, *im, verb, v),
            Value::String(s) => self.fmt_string(s, verb, v),
            Value::ByteString(b) => self.fmt_byte_string(b, verb, v),
            Value::Bytes(b) => {
                if matches!(verb, 's' | 'q' | 'x' | 'X') {
                    self.fmt_bytes(b, verb, "[]uint8", v);
                } else {
                    let items: Vec<Value> = b
                        .iter()
                        .map(|x| Value::Uint(u64::from(*x), UintKind::Uint8))
                        .collect();
                    self.print_slice("[]uint8", &items, verb, depth, v.is_nil());
                }
            }
            Value::List(l) => {
                if matches!(verb, 's' | 'q' | 'x' | 'X')
                    && l.ty.elem == ElemType::Uint(UintKind::Uint8)
                {
                    let bytes: Vec<u8> = l
                        .items
                        .iter()
                        .map(|x| match x {
                            Value::Uint(n, _) => *n as u8,
                            _ => 0,
                        })
                        .collect();
                    let t = v.type_name();
                    self.fmt_bytes(&bytes, verb, &t, v);
                    return;
                }
                let t = v.type_name();
                self.print_slice(&t, &l.items, verb, depth, false);
            }
            Value::Map(m) => {
                let m = m.borrow();
                if self.f.sharp_v {
                    self.buf.push_str(&v.type_name());
                    self.buf.push('{');
                } else {
                    self.buf.push_str("map[");
                }
                for (i, (k, val)) in m.entries.iter().enumerate() {
                    if i > 0 {
                        if self.f.sharp_v {
                            self.buf.push_str(", ");
                        } else {
                            self.buf.push(' ');
                        }
                    }
                    self.print_value(&Value::String(k.clone()), verb, depth + 1);
                    self.buf.push(':');
                    self.print_value(val, verb, depth + 1);
                }
                self.buf.push(if self.f.sharp_v { '}' } else { ']' });
            }
            Value::Object(o) => {
                if o.is_nil() {
                    self.fmt_pointer(v, verb);
                } else if o.is_pointer() {
                    if depth == 0 {
                        self.buf.push('&');
                        self.print_struct(o.as_ref(), verb, depth + 1);
                    } else {
                        self.fmt_pointer(v, verb);
                    }
                } else {
                    self.print_struct(o.as_ref(), verb, depth);
                }
            }
        }
    }

    fn print_struct(&mut self, o: &dyn super::value::Object, verb: char, depth: usize) {
        if self.f.sharp_v {
            let name = o.type_name();
            self.buf.push_str(name.trim_start_matches('*'));
        }
        self.buf.push('{');
        for (i, (name, val)) in o.fields().iter().enumerate() {
            if i > 0 {
                if self.f.sharp_v {
                    self.buf.push_str(", ");
                } else {
                    self.buf.push(' ');
                }
            }
            if self.f.plus_v || self.f.sharp_v {
                self.buf.push_str(name);
                self.buf.push(':');
            }
            self.print_value(val, verb, depth + 1);
        }
        self.buf.push('}');
    }

    fn print_slice(
        &mut self,
        type_name: &str,
        items: &[Value],
        verb: char,
        depth: usize,
        nil: bool,
    ) {
        if self.f.sharp_v {
            self.buf.push_str(type_name);
            if nil {
                self.buf.push_str("(nil)");
                return;
            }
            self.buf.push('{');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    self.buf.push_str(", ");
                }
                self.print_value(item, verb, depth + 1);
            }
            self.buf.push('}');
        } else {
            self.buf.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    self.buf.push(' ');
                }
                self.print_value(item, verb, depth + 1);
            }
            self.buf.push(']');
        }
    }

    fn bad_verb(&mut self, verb: char, arg: Option<&Value>) {
        self.erroring = true;
        self.buf.push_str("%!");
        self.buf.push(verb);
        self.buf.push('(');
        match arg {
            Some(v) if !v.is_nil() => {
                self.buf.push_str(&v.type_name());
                self.buf.push('=');
                self.print_arg(v, 'v');
            }
            _ => self.buf.push_str("<nil>"),
        }
        self.buf.push(')');
        self.erroring = false;
    }

    fn fmt_bool(&mut self, b: bool, verb: char, arg: &Value) {
        match verb {
            't' | 'v' => self.pad_string(if b { "true" } else { "false" }),
            _ => self.bad_verb(verb, Some(arg)),
        }
    }

    fn fmt_integer(&mut self, v: u64, signed: bool, verb: char, arg: &Value) {
        match verb {
            'v' => {
                if self.f.sharp_v && !signed {
                    self.fmt_0x64(v, true);
                } else {
                    self.fmt_int(v, 10, signed, verb, LDIGITS);
                }
            }
            'd' => self.fmt_int(v, 10, signed, verb, LDIGITS),
            'b' => self.fmt_int(v, 2, signed, verb, LDIGITS),
            'o' | 'O' => self.fmt_int(v, 8, signed, verb, LDIGITS),
            'x' => self.fmt_int(v, 16, signed, verb, LDIGITS),
            'X' => self.fmt_int(v, 16, signed, verb, UDIGITS),
            'c' => self.fmt_c(v),
            'q' => self.fmt_qc(v),
            'U' => self.fmt_unicode(v),
            _ => self.bad_verb(verb, Some(arg)),
        }
    }

    fn fmt_0x64(&mut self, v: u64, leading0x: bool) {
        let sharp = self.f.sharp;
        self.f.sharp = leading0x;
        self.fmt_int(v, 16, false, 'v', LDIGITS);
        self.f.sharp = sharp;
    }

    fn fmt_int(&mut self, u: u64, base: u64, signed: bool, verb: char, digits: &[u8; 17]) {
        let negative = signed && (u as i64) < 0;
        let mut u = if negative {
            (u as i64).unsigned_abs()
        } else {
            u
        };
        let mut prec = 0usize;
        if self.f.prec_present {
            prec = self.f.prec;
            if prec == 0 && u == 0 {
                let old_zero = self.f.zero;
                self.f.zero = false;
                self.write_padding(self.f.wid);
                self.f.zero = old_zero;
                return;
            }
        } else if self.f.zero && !self.f.minus && self.f.wid_present {
            prec = self.f.wid;
            if negative || self.f.plus || self.f.space {
                prec = prec.saturating_sub(1);
            }
        }
        let mut buf: Vec<u8> = Vec::with_capacity(24);
        while u >= base {
            buf.push(digits[(u % base) as usize]);
            u /= base;
        }
        buf.push(digits[u as usize]);
        while buf.len() < prec {
            buf.push(b'0');
        }
        if self.f.sharp {
            match base {
                2 => buf.extend_from_slice(b"b0"),
                8 if buf.last() != Some(&b'0') => buf.push(b'0'),
                16 => {
                    buf.push(digits[16]);
                    buf.push(b'0');
                }
                _ => {}
            }
        }
        if verb == 'O' {
            buf.extend_from_slice(b"o0");
        }
        if negative {
            buf.push(b'-');
        } else if self.f.plus {
            buf.push(b'+');
        } else if self.f.space {
            buf.push(b' ');
        }
        buf.reverse();
        let s = String::from_utf8_lossy(&buf).into_owned();
        let old_zero = self.f.zero;
        self.f.zero = false;
        self.pad_string(&s);
        self.f.zero = old_zero;
    }

    fn fmt_c(&mut self, c: u64) {
        let ch = u32::try_from(c)
            .ok()
            .and_then(char::from_u32)
            .unwrap_or('\u{FFFD}');
        self.pad_string(ch.encode_utf8(&mut [0; 4]));
    }

    fn fmt_qc(&mut self, c: u64) {
        let ch = u32::try_from(c)
            .ok()
            .and_then(char::from_u32)
            .unwrap_or('\u{FFFD}');
        let mut s = String::from("'");
        append_escaped_rune(&mut s, ch, '\'', self.f.plus);
        s.push('\'');
        self.pad_string(&s);
    }

    fn fmt_unicode(&mut self, u: u64) {
        let mut prec = 4usize;
        if self.f.prec_present && self.f.prec > 4 {
            prec = self.f.prec;
        }
        let mut hex = format!("{u:X}");
        while hex.len() < prec {
            hex.insert(0, '0');
        }
        let mut s = format!("U+{hex}");
        if self.f.sharp
            && let Some(ch) = u32::try_from(u).ok().and_then(char::from_u32)
            && is_print(ch)
        {
            s.push_str(" '");
            s.push(ch);
            s.push('\'');
        }
        let old_zero = self.f.zero;
        self.f.zero = false;
        self.pad_string(&s);
        self.f.zero = old_zero;
    }

    fn fmt_float(&mut self, v: f64, verb: char, arg: &Value) {
        match verb {
            'v' => self.fmt_float_with(v, 'g', -1),
            'b' | 'g' | 'G' | 'x' | 'X' => self.fmt_float_with(v, verb, -1),
            'f' | 'e' | 'E' => self.fmt_float_with(v, verb, 6),
            'F' => self.fmt_float_with(v, 'f', 6),
            _ => self.bad_verb(verb, Some(arg)),
        }
    }

    fn fmt_complex(&mut self, re: f64, im: f64, verb: char, arg: &Value) {
        match verb {
            'v' | 'b' | 'g' | 'G' | 'x' | 'X' | 'f' | 'F' | 'e' | 'E' => {
                let old_plus = self.f.plus;
                self.buf.push('(');
                self.fmt_float(re, verb, arg);
                self.f.plus = true;
                self.fmt_float(im, verb, arg);
                self.buf.push_str("i)");
                self.f.plus = old_plus;
            }
            _ => self.bad_verb(verb, Some(arg)),
        }
    }

    fn fmt_float_with(&mut self, v: f64, verb: char, prec: i64) {
        let prec = if self.f.prec_present {
            self.f.prec as i64
        } else {
            prec
        };
        let formatted = format_float(v, verb, prec);
        let mut num: Vec<u8> = Vec::with_capacity(formatted.len() + 1);
        if formatted.starts_with('-') || formatted.starts_with('+') {
            num.extend_from_slice(formatted.as_bytes());
        } else {
            num.push(b'+');
            num.extend_from_slice(formatted.as_bytes());
        }
        if self.f.space && num[0] == b'+' && !self.f.plus {
            num[0] = b' ';
        }
        if num[1] == b'I' || num[1] == b'N' {
            let old_zero = self.f.zero;
            self.f.zero = false;
            if num[1] == b'N' && !self.f.space && !self.f.plus {
                num.remove(0);
            }
            self.pad_bytes(&num);
            self.f.zero = old_zero;
            return;
        }
        if self.f.sharp && verb != 'b' {
            let mut digits: i64 = match verb {
                'v' | 'g' | 'G' | 'x' => {
                    if prec == -1 {
                        6
                    } else {
                        prec
                    }
                }
                _ => 0,
            };
            let mut tail: Vec<u8> = Vec::new();
            let mut has_decimal_point = false;
            let mut saw_nonzero = false;
            let mut i = 1;
            while i < num.len() {
                match num[i] {
                    b'.' => has_decimal_point = true,
                    b'p' | b'P' => {
                        tail.extend_from_slice(&num[i..]);
                        num.truncate(i);
                        break;
                    }
                    b'e' | b'E' if verb != 'x' && verb != 'X' => {
                        tail.extend_from_slice(&num[i..]);
                        num.truncate(i);
                        break;
                    }
                    c => {
                        if c != b'0' {
                            saw_nonzero = true;
                        }
                        if saw_nonzero {
                            digits -= 1;
                        }
                    }
                }
                i += 1;
            }
            if !has_decimal_point {
                if num.len() == 2 && num[1] == b'0' {
                    digits -= 1;
                }
                num.push(b'.');
            }
            while digits > 0 {
                num.push(b'0');
                digits -= 1;
            }
            num.extend_from_slice(&tail);
        }
        if self.f.plus || num[0] != b'+' {
            if self.f.zero && !self.f.minus && self.f.wid_present && self.f.wid > num.len() {
                self.buf.push(char::from(num[0]));
                self.write_padding(self.f.wid - num.len());
                self.buf.push_str(&String::from_utf8_lossy(&num[1..]));
                return;
            }
            self.pad_bytes(&num);
            return;
        }
        self.pad_bytes(&num[1..]);
    }

    fn fmt_string(&mut self, s: &str, verb: char, arg: &Value) {
        match verb {
            'v' => {
                if self.f.sharp_v {
                    self.fmt_q(s);
                } else {
                    self.fmt_s(s);
                }
            }
            's' => self.fmt_s(s),
            'x' => self.fmt_sbx(s.as_bytes(), LDIGITS),
            'X' => self.fmt_sbx(s.as_bytes(), UDIGITS),
            'q' => self.fmt_q(s),
            _ => self.bad_verb(verb, Some(arg)),
        }
    }

    /// `fmtString` for a string that is not UTF-8: `%s`/`%v` write its bytes.
    fn fmt_byte_string(&mut self, b: &[u8], verb: char, arg: &Value) {
        match verb {
            'v' => {
                if self.f.sharp_v {
                    self.fmt_q_bytes(b);
                } else {
                    self.fmt_s_bytes(b);
                }
            }
            's' => self.fmt_s_bytes(b),
            'x' => self.fmt_sbx(b, LDIGITS),
            'X' => self.fmt_sbx(b, UDIGITS),
            'q' => self.fmt_q_bytes(b),
            _ => self.bad_verb(verb, Some(arg)),
        }
    }

    fn fmt_s_bytes(&mut self, b: &[u8]) {
        let b = if self.f.prec_present {
            go_truncate_runes(b, self.f.prec)
        } else {
            b
        };
        self.pad_raw(b);
    }

    fn fmt_q_bytes(&mut self, b: &[u8]) {
        let b = if self.f.prec_present {
            go_truncate_runes(b, self.f.prec)
        } else {
            b
        };
        // `strconv.CanBackquote` is false for invalid UTF-8, so `%#q` quotes too.
        match std::str::from_utf8(b) {
            Ok(s) => {
                let s = s.to_string();
                self.fmt_q(&s);
            }
            Err(_) => {
                let mut q = String::with_capacity(b.len() + 2);
                append_quoted_bytes(&mut q, b, '"', self.f.plus);
                self.pad_string(&q);
            }
        }
    }

    /// `fmt`'s `pad` over raw bytes: width counts Go runes.
    fn pad_raw(&mut self, b: &[u8]) {
        if !self.f.wid_present || self.f.wid == 0 {
            self.buf.0.extend_from_slice(b);
            return;
        }
        let width = self.f.wid.saturating_sub(go_rune_count(b));
        if !self.f.minus {
            self.write_padding(width);
            self.buf.0.extend_from_slice(b);
        } else {
            self.buf.0.extend_from_slice(b);
            self.write_padding(width);
        }
    }

    fn fmt_bytes(&mut self, b: &[u8], verb: char, type_string: &str, arg: &Value) {
        match verb {
            'v' | 'd' => {
                if self.f.sharp_v {
                    self.buf.push_str(type_string);
                    self.buf.push('{');
                    for (i, c) in b.iter().enumerate() {
                        if i > 0 {
                            self.buf.push_str(", ");
                        }
                        self.fmt_0x64(u64::from(*c), true);
                    }
                    self.buf.push('}');
                } else {
                    self.buf.push('[');
                    for (i, c) in b.iter().enumerate() {
                        if i > 0 {
                            self.buf.push(' ');
                        }
                        self.fmt_int(u64::from(*c), 10, false, verb, LDIGITS);
                    }
                    self.buf.push(']');
                }
            }
            's' => self.fmt_s_bytes(b),
            'x' => self.fmt_sbx(b, LDIGITS),
            'X' => self.fmt_sbx(b, UDIGITS),
            'q' => self.fmt_q_bytes(b),
            _ => {
                let items: Vec<Value> = b
                    .iter()
                    .map(|x| Value::Uint(u64::from(*x), UintKind::Uint8))
                    .collect();
                let _ = arg;
                self.print_slice("[]uint8", &items, verb, 0, false);
            }
        }
    }

    fn fmt_pointer(&mut self, v: &Value, verb: char) {
        let is_ref = match v {
            Value::Map(_) | Value::List(_) | Value::Bytes(_) => true,
            Value::Object(o) => o.is_pointer(),
            _ => false,
        };
        if !is_ref {
            self.bad_verb(verb, Some(v));
            return;
        }
        let u = match v {
            Value::Object(o) if o.is_nil() => 0,
            _ => FAKE_POINTER,
        };
        match verb {
            'v' => {
                if self.f.sharp_v {
                    self.buf.push('(');
                    self.buf.push_str(&v.type_name());
                    self.buf.push_str(")(");
                    if u == 0 {
                        self.buf.push_str("nil");
                    } else {
                        self.fmt_0x64(u, true);
                    }
                    self.buf.push(')');
                } else if u == 0 {
                    self.pad_string("<nil>");
                } else {
                    self.fmt_0x64(u, !self.f.sharp);
                }
            }
            'p' => self.fmt_0x64(u, !self.f.sharp),
            'b' | 'o' | 'd' | 'x' | 'X' => self.fmt_integer(u, false, verb, v),
            _ => self.bad_verb(verb, Some(v)),
        }
    }

    fn truncate<'s>(&self, s: &'s str) -> &'s str {
        if self.f.prec_present
            && let Some((i, _)) = s.char_indices().nth(self.f.prec)
        {
            return &s[..i];
        }
        s
    }

    fn fmt_s(&mut self, s: &str) {
        let s = self.truncate(s);
        self.pad_string(s);
    }

    fn fmt_q(&mut self, s: &str) {
        let s = self.truncate(s).to_string();
        if self.f.sharp && can_backquote(&s) {
            self.pad_string(&format!("`{s}`"));
            return;
        }
        let mut q = String::with_capacity(s.len() + 2);
        append_quoted(&mut q, &s, '"', self.f.plus);
        self.pad_string(&q);
    }

    fn fmt_sbx(&mut self, b: &[u8], digits: &[u8; 17]) {
        let mut length = b.len();
        if self.f.prec_present && self.f.prec < length {
            length = self.f.prec;
        }
        let mut width = 2 * length;
        if width > 0 {
            if self.f.space {
                if self.f.sharp {
                    width *= 2;
                }
                width += length - 1;
            } else if self.f.sharp {
                width += 2;
            }
        } else {
            if self.f.wid_present {
                self.write_padding(self.f.wid);
            }
            return;
        }
        if self.f.wid_present && self.f.wid > width && !self.f.minus {
            self.write_padding(self.f.wid - width);
        }
        if self.f.sharp {
            self.buf.push('0');
            self.buf.push(char::from(digits[16]));
        }
        for (i, c) in b[..length].iter().enumerate() {
            if self.f.space && i > 0 {
                self.buf.push(' ');
                if self.f.sharp {
                    self.buf.push('0');
                    self.buf.push(char::from(digits[16]));
                }
            }
            self.buf.push(char::from(digits[usize::from(c >> 4)]));
            self.buf.push(char::from(digits[usize::from(c & 0xF)]));
        }
        if self.f.wid_present && self.f.wid > width && self.f.minus {
            self.write_padding(self.f.wid - width);
        }
    }

    fn write_padding(&mut self, n: usize) {
        let pad = if self.f.zero && !self.f.minus {
            '0'
        } else {
            ' '
        };
        for _ in 0..n {
            self.buf.push(pad);
        }
    }

    fn pad_bytes(&mut self, b: &[u8]) {
        let s = String::from_utf8_lossy(b).into_owned();
        self.pad_string(&s);
    }

    fn pad_string(&mut self, s: &str) {
        if !self.f.wid_present || self.f.wid == 0 {
            self.buf.push_str(s);
            return;
        }
        let width = self.f.wid.saturating_sub(s.chars().count());
        if !self.f.minus {
            self.write_padding(width);
            self.buf.push_str(s);
        } else {
            self.buf.push_str(s);
            self.write_padding(width);
        }
    }
}

/// Decimal digits of a float: `digits` (no leading/trailing zeros) with the decimal point
/// after `dp` digits, as Go's `decimalSlice`.
struct Decimal {
    digits: Vec<u8>,
    dp: i64,
}

fn decimal_from_exp(s: &str) -> Decimal {
    // `s` is Rust's `{:e}` output for a non-negative finite number, e.g. `1.2345e-7`.
    let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
    let exp: i64 = exp.parse().unwrap_or(0);
    let digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    let mut d = Decimal {
        digits,
        dp: exp + 1,
    };
    trim_decimal(&mut d);
    d
}

fn trim_decimal(d: &mut Decimal) {
    while d.digits.last() == Some(&b'0') {
        d.digits.pop();
    }
    let lead = d.digits.iter().take_while(|c| **c == b'0').count();
    if lead > 0 {
        d.digits.drain(..lead);
        d.dp -= lead as i64;
    }
    if d.digits.is_empty() {
        d.dp = 0;
    }
}

/// Upper bound on the significant decimal digits of an f64's exact value (767) with margin.
const MAX_SIGNIFICANT_DIGITS: usize = 800;
/// Upper bound on the fractional decimal digits of an f64's exact value (1074) with margin.
const MAX_FRACTION_DIGITS: usize = 1100;

/// Go's `strconv.FormatFloat(v, fmt, prec, 64)` for `fmt` in `b e E f g G x X`.
pub(crate) fn format_float(v: f64, fmt: char, prec: i64) -> String {
    if v.is_nan() {
        return "NaN".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    if matches!(fmt, 'b' | 'x' | 'X') {
        return format_float_binary(v, fmt, prec);
    }
    let neg = v.is_sign_negative();
    let a = v.abs();
    let shortest = prec < 0;
    let mut prec = prec;
    let d = if a == 0.0 {
        Decimal {
            digits: Vec::new(),
            dp: 0,
        }
    } else if shortest {
        decimal_from_exp(&format!("{a:e}"))
    } else {
        // Go allows precisions up to about 10^7; Rust's formatter panics above 65535. An f64
        // has at most 767 significant decimal digits and 1074 fractional ones, so formatting
        // with these caps is exact and the missing digits are zeros (added by fmt_e/fmt_f).
        let sig_cap = |p: i64| (p.max(0) as usize).min(MAX_SIGNIFICANT_DIGITS);
        match fmt {
            'e' | 'E' => decimal_from_exp(&format!("{:.*e}", sig_cap(prec), a)),
            'f' => {
                let frac = (prec.max(0) as usize).min(MAX_FRACTION_DIGITS);
                let s = format!("{:.*}", frac, a);
                let (int_part, frac) = s.split_once('.').unwrap_or((&s, ""));
                let mut digits: Vec<u8> = int_part.bytes().collect();
                digits.extend(frac.bytes());
                let mut d = Decimal {
                    digits,
                    dp: int_part.len() as i64,
                };
                trim_decimal(&mut d);
                d
            }
            _ => {
                if prec == 0 {
                    prec = 1;
                }
                decimal_from_exp(&format!("{:.*e}", sig_cap(prec - 1), a))
            }
        }
    };
    let nd = d.digits.len() as i64;
    if shortest {
        prec = match fmt {
            'e' | 'E' => (nd - 1).max(0),
            'f' => (nd - d.dp).max(0),
            _ => nd,
        };
    }
    let mut out = String::new();
    match fmt {
        'e' | 'E' => fmt_e(&mut out, neg, &d, prec, fmt),
        'f' => fmt_f(&mut out, neg, &d, prec),
        _ => {
            let mut eprec = prec;
            if eprec > nd && nd >= d.dp {
                eprec = nd;
            }
            if shortest {
                eprec = 6;
            }
            let exp = d.dp - 1;
            if exp < -4 || exp >= eprec {
                let mut p = prec;
                if p > nd {
                    p = nd;
                }
                let efmt = if fmt == 'G' { 'E' } else { 'e' };
                fmt_e(&mut out, neg, &d, p - 1, efmt);
            } else {
                let mut p = prec;
                if p > d.dp {
                    p = nd;
                }
                fmt_f(&mut out, neg, &d, (p - d.dp).max(0));
            }
        }
    }
    out
}

/// Go's `fmtB` (`mantissa p exponent`) and `fmtX` (hexadecimal mantissa and binary
/// exponent) from `strconv/ftoa.go`.
fn format_float_binary(v: f64, fmt: char, prec: i64) -> String {
    let bits = v.to_bits();
    let neg = bits >> 63 != 0;
    let mut exp = ((bits >> 52) & 0x7ff) as i64;
    let mut mant = bits & ((1u64 << 52) - 1);
    if exp == 0 {
        exp += 1;
    } else {
        mant |= 1u64 << 52;
    }
    exp -= 1023;
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if fmt == 'b' {
        out.push_str(&mant.to_string());
        out.push('p');
        let e = exp - 52;
        if e >= 0 {
            out.push('+');
        }
        out.push_str(&e.to_string());
        return out;
    }
    if mant == 0 {
        exp = 0;
    }
    mant <<= 60 - 52;
    while mant != 0 && mant & (1u64 << 60) == 0 {
        mant <<= 1;
        exp -= 1;
    }
    if (0..15).contains(&prec) {
        let shift = (prec * 4) as u32;
        let extra = (mant << shift) & ((1u64 << 60) - 1);
        mant >>= 60 - shift;
        if extra | (mant & 1) > 1u64 << 59 {
            mant += 1;
        }
        mant <<= 60 - shift;
        if mant & (1u64 << 61) != 0 {
            mant >>= 1;
            exp += 1;
        }
    }
    let hex: &[u8; 17] = if fmt == 'X' { UDIGITS } else { LDIGITS };
    out.push('0');
    out.push(fmt);
    out.push(char::from(b'0' + ((mant >> 60) & 1) as u8));
    mant <<= 4;
    if prec < 0 && mant != 0 {
        out.push('.');
        while mant != 0 {
            out.push(char::from(hex[((mant >> 60) & 15) as usize]));
            mant <<= 4;
        }
    } else if prec > 0 {
        out.push('.');
        for _ in 0..prec {
            out.push(char::from(hex[((mant >> 60) & 15) as usize]));
            mant <<= 4;
        }
    }
    out.push(if fmt == 'X' { 'P' } else { 'p' });
    if exp < 0 {
        out.push('-');
        exp = -exp;
    } else {
        out.push('+');
    }
    if exp < 100 {
        out.push(char::from(b'0' + (exp / 10) as u8));
        out.push(char::from(b'0' + (exp % 10) as u8));
    } else {
        out.push_str(&exp.to_string());
    }
    out
}

fn fmt_e(out: &mut String, neg: bool, d: &Decimal, prec: i64, fmt: char) {
    if neg {
        out.push('-');
    }
    let first = d.digits.first().copied().unwrap_or(b'0');
    out.push(char::from(first));
    if prec > 0 {
        out.push('.');
        let mut i = 1usize;
        let m = (d.digits.len()).min(prec as usize + 1);
        if i < m {
            for c in &d.digits[i..m] {
                out.push(char::from(*c));
            }
            i = m;
        }
        while i <= prec as usize {
            out.push('0');
            i += 1;
        }
    }
    out.push(fmt);
    let mut exp = d.dp - 1;
    if d.digits.is_empty() {
        exp = 0;
    }
    if exp < 0 {
        out.push('-');
        exp = -exp;
    } else {
        out.push('+');
    }
    if exp < 10 {
        out.push('0');
    }
    out.push_str(&exp.to_string());
}

fn fmt_f(out: &mut String, neg: bool, d: &Decimal, prec: i64) {
    if neg {
        out.push('-');
    }
    if d.dp > 0 {
        let m = (d.digits.len() as i64).min(d.dp) as usize;
        for c in &d.digits[..m] {
            out.push(char::from(*c));
        }
        for _ in m as i64..d.dp {
            out.push('0');
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 0..prec {
            let j = d.dp + i;
            let ch = if j >= 0 && (j as usize) < d.digits.len() {
                d.digits[j as usize]
            } else {
                b'0'
            };
            out.push(char::from(ch));
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn byte_strings_print_their_bytes() {
        // Go's fmt: `%s`/`%v` write the bytes, `%q` escapes invalid ones as `\x..`, `%x`
        // hexes them, and width counts each invalid byte as one rune.
        let raw = Value::from_go_bytes(vec![0x80, b'a']);
        let bytes = |v: Value| v.go_bytes().map(<[u8]>::to_vec).unwrap_or_default();
        assert_eq!(
            bytes(super::sprintf_value("%s", std::slice::from_ref(&raw))),
            [0x80, b'a']
        );
        assert_eq!(
            super::sprintf("%q", std::slice::from_ref(&raw)),
            "\"\\x80a\""
        );
        assert_eq!(super::sprintf("%x", std::slice::from_ref(&raw)), "8061");
        assert_eq!(
            bytes(super::sprintf_value("%-4s|", std::slice::from_ref(&raw))),
            [0x80, b'a', b' ', b' ', b'|']
        );
        assert_eq!(
            bytes(super::sprintf_value("%.1s", std::slice::from_ref(&raw))),
            [0x80]
        );
        assert_eq!(super::go_quote_bytes(&[b'"', 0xff]), "\"\\\"\\xff\"");
        let mut out = Vec::new();
        super::template_print(&raw, &mut out);
        assert_eq!(out, [0x80, b'a']);
    }

    use super::*;

    fn f(format: &str, args: &[Value]) -> String {
        sprintf(format, args)
    }

    /// Found by fuzzing: precisions above 65535 panicked in Rust's formatter. Go accepts
    /// precisions up to about 10^7; lengths and SHA-256 of its output (Go 1.26 `fmt.Sprintf`).
    #[test]
    fn huge_float_precision_matches_go() {
        use sha2::{Digest, Sha256};
        let cases = [
            (
                "%.70000f",
                0.1,
                70002,
                "4af298c39dfef62e44f64f8fbf505acb81cd8712259bfb111e48bb6edf4f42b3",
            ),
            (
                "%.70000e",
                1.0 / 3.0,
                70006,
                "7c4c083038d08bbcf8369b42ccb25c255efeae40efb2cf578f3d234a41b7559c",
            ),
            (
                "%.70000g",
                5e-324,
                757,
                "2198de8c8c837525f1589888efaa929d1e9930ed3f6d882fa10fbe6af3de9d79",
            ),
            (
                "%.999999f",
                f64::MAX,
                1000309,
                "0801ced26f4b7ca2360e2daff37eaeb879781a8fbdc045186935f1ce13fbac34",
            ),
        ];
        for (format, v, len, sha) in cases {
            let out = f(format, &[Value::Float(v)]);
            let digest: String = Sha256::digest(out.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!((out.len(), digest.as_str()), (len, sha), "{format} {v}");
        }
    }

    // Expected strings below are from Go's fmt documentation and its examples.
    #[test]
    fn floats_use_go_shortest_formatting() {
        assert_eq!(sprint(&[Value::Float(1_000_000.0)]), "1e+06");
        assert_eq!(sprint(&[Value::Float(100_000.0)]), "100000");
        assert_eq!(sprint(&[Value::Float(1.5)]), "1.5");
        assert_eq!(sprint(&[Value::Float(0.0001)]), "0.0001");
        assert_eq!(sprint(&[Value::Float(0.00001)]), "1e-05");
        assert_eq!(f("%.2f", &[Value::Float(1.23456)]), "1.23");
        assert_eq!(f("%e", &[Value::Float(1234.5678)]), "1.234568e+03");
        assert_eq!(f("%6.2f", &[Value::Float(1.23456)]), "  1.23");
    }

    #[test]
    fn error_forms_match_go() {
        assert_eq!(f("%d", &[Value::from("x")]), "%!d(string=x)");
        assert_eq!(f("%d", &[]), "%!d(MISSING)");
        assert_eq!(f("a", &[Value::int(1)]), "a%!(EXTRA int=1)");
        assert_eq!(f("%", &[]), "%!(NOVERB)");
        assert_eq!(f("%!", &[]), "%!!(MISSING)");
    }

    #[test]
    fn quoting_matches_strconv() {
        assert_eq!(go_quote("a\"b\n"), "\"a\\\"b\\n\"");
        assert_eq!(go_quote("\u{1}"), "\"\\x01\"");
    }

    #[test]
    fn sprint_spacing() {
        assert_eq!(sprint(&[Value::int(1), Value::int(2)]), "1 2");
        assert_eq!(sprint(&[Value::from("a"), Value::int(1)]), "a1");
        assert_eq!(sprintln(&[Value::from("a"), Value::int(1)]), "a 1\n");
    }
}
