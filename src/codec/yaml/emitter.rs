//! The libyaml-derived emitter of go-yaml (`emitterc.go`), reduced to what Go's encoder
//! produces for plain data: block and flow collections without tags or anchors, and plain,
//! single-quoted, double-quoted and literal scalars.
//!
//! The state machine, column tracking, indentation and line folding follow go.yaml.in/yaml
//! v2.4.4 (best width 80, sequences not indented under a mapping key) or v3.0.5 (no line
//! width, sequences indented, tabs force quoting), selected by [`Flavor`]. Events come from a
//! slice so look-ahead (empty collections, simple keys) needs no queue, and nesting is tracked
//! with explicit stacks, so deep documents cannot overflow the thread stack.

use super::resolve::Flavor;

/// Scalar styles the encoder can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
}

/// Events for one document (stream and document markers are implicit).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Event {
    Scalar(String, Style),
    SequenceStart,
    SequenceEnd,
    MappingStart,
    MappingEnd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    DocumentEnd,
    FlowSequenceFirstItem,
    FlowSequenceItem,
    FlowMappingFirstKey,
    FlowMappingKey,
    FlowMappingSimpleValue,
    FlowMappingValue,
    BlockSequenceFirstItem,
    BlockSequenceItem,
    BlockMappingFirstKey,
    BlockMappingKey,
    BlockMappingSimpleValue,
    BlockMappingValue,
    Done,
}

/// go-yaml's `scalar_data` after `yaml_emitter_analyze_scalar`.
#[derive(Default, Clone, Copy)]
struct Analysis {
    multiline: bool,
    flow_plain_allowed: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

/// Emits one document and returns its text (ending with a line break, as Go writes it).
pub(crate) fn emit_document(events: &[Event], flavor: Flavor) -> String {
    let mut e = Emitter {
        flavor,
        events,
        head: 0,
        out: Vec::new(),
        best_indent: 2,
        best_width: match flavor {
            Flavor::V2 => 80,
            Flavor::V3 => i64::from(i32::MAX),
        },
        state: State::Done,
        states: vec![State::DocumentEnd],
        indent: -1,
        indents: Vec::new(),
        flow_level: 0,
        root_context: false,
        sequence_context: false,
        mapping_context: false,
        simple_key_context: false,
        column: 0,
        whitespace: true,
        indention: true,
        open_ended: false,
        analysis: Analysis::default(),
        style: Style::Plain,
    };
    if !events.is_empty() {
        e.analyze(0);
        e.emit_node(0, true, false, false, false);
        e.head = 1;
        while e.head < events.len() {
            e.analyze(e.head);
            e.dispatch(e.head);
            e.head += 1;
        }
    }
    // DOCUMENT-END (implicit): finish the last line.
    e.write_indent();
    String::from_utf8(e.out).unwrap_or_default()
}

struct Emitter<'a> {
    flavor: Flavor,
    events: &'a [Event],
    head: usize,
    out: Vec<u8>,
    best_indent: i64,
    best_width: i64,
    state: State,
    states: Vec<State>,
    indent: i64,
    indents: Vec<i64>,
    flow_level: i64,
    root_context: bool,
    #[allow(dead_code)] // kept for parity with go-yaml; read only by its canonical mode
    sequence_context: bool,
    mapping_context: bool,
    simple_key_context: bool,
    column: i64,
    whitespace: bool,
    indention: bool,
    open_ended: bool,
    analysis: Analysis,
    style: Style,
}

/// Byte at `i`, or 0 past the end (go-yaml's emitter never reads past the end for the
/// inputs it accepts; 0 keeps the checks total).
fn at(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

fn width(c: u8) -> usize {
    if c & 0x80 == 0 {
        1
    } else if c & 0xE0 == 0xC0 {
        2
    } else if c & 0xF0 == 0xE0 {
        3
    } else if c & 0xF8 == 0xF0 {
        4
    } else {
        1
    }
}

fn is_space(b: &[u8], i: usize) -> bool {
    at(b, i) == b' '
}

fn is_blank(b: &[u8], i: usize) -> bool {
    matches!(at(b, i), b' ' | b'\t')
}

fn is_break(b: &[u8], i: usize) -> bool {
    let c = at(b, i);
    c == b'\r'
        || c == b'\n'
        || (c == 0xC2 && at(b, i + 1) == 0x85)
        || (c == 0xE2 && at(b, i + 1) == 0x80 && (at(b, i + 2) == 0xA8 || at(b, i + 2) == 0xA9))
}

fn is_blankz(b: &[u8], i: usize) -> bool {
    is_blank(b, i) || is_break(b, i) || at(b, i) == 0
}

/// go-yaml's `is_printable`: the byte-level YAML printable set (note: 4-byte UTF-8, i.e.
/// characters above U+FFFF such as emoji, are *not* printable and get escaped).
fn is_printable(b: &[u8], i: usize) -> bool {
    let c = at(b, i);
    let c1 = at(b, i + 1);
    let c2 = at(b, i + 2);
    c == 0x0A
        || (0x20..=0x7E).contains(&c)
        || (c == 0xC2 && c1 >= 0xA0)
        || (c > 0xC2 && c < 0xED)
        || (c == 0xED && c1 < 0xA0)
        || c == 0xEE
        || (c == 0xEF && !(c1 == 0xBB && c2 == 0xBF) && !(c1 == 0xBF && (c2 == 0xBE || c2 == 0xBF)))
}

/// go-yaml's `is_bom` ignores its index: true for every position when the value starts
/// with a byte order mark.
fn starts_with_bom(b: &[u8]) -> bool {
    b.starts_with(&[0xEF, 0xBB, 0xBF])
}

impl Emitter<'_> {
    // ---- output primitives -------------------------------------------------------------

    fn put(&mut self, c: u8) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push(b'\n');
        self.column = 0;
        if self.flavor == Flavor::V3 {
            self.indention = true;
        }
    }

    /// Copies one UTF-8 character; the column advances by one per character.
    fn write(&mut self, s: &[u8], i: &mut usize) {
        let w = width(s[*i]).min(s.len() - *i);
        self.out.extend_from_slice(&s[*i..*i + w]);
        self.column += 1;
        *i += w;
    }

    fn write_all(&mut self, s: &[u8]) {
        let mut i = 0;
        while i < s.len() {
            self.write(s, &mut i);
        }
    }

    fn write_break(&mut self, s: &[u8], i: &mut usize) {
        if s[*i] == b'\n' {
            self.put_break();
            *i += 1;
        } else {
            self.write(s, i);
            self.column = 0;
            if self.flavor == Flavor::V3 {
                self.indention = true;
            }
        }
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(b' ');
        }
        self.whitespace = true;
        if self.flavor == Flavor::V2 {
            self.indention = true;
        }
    }

    fn write_indicator(
        &mut self,
        indicator: &[u8],
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(b' ');
        }
        self.write_all(indicator);
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
        self.open_ended = false;
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { self.best_indent } else { 0 };
        } else if !indentless {
            match self.flavor {
                Flavor::V2 => self.indent += self.best_indent,
                Flavor::V3 => {
                    if self.states.last() == Some(&State::BlockSequenceItem) {
                        // The first indent inside a sequence skips the "- " indicator.
                        self.indent += 2;
                    } else {
                        self.indent = self.best_indent
                            * ((self.indent + self.best_indent) / self.best_indent);
                    }
                }
            }
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }

    fn pop_state(&mut self) {
        self.state = self.states.pop().unwrap_or(State::Done);
    }

    // ---- analysis ----------------------------------------------------------------------

    fn analyze(&mut self, index: usize) {
        if let Event::Scalar(value, _) = &self.events[index] {
            self.analysis = analyze_scalar(value.as_bytes(), self.flavor);
        }
    }

    fn check_empty_sequence(&self, index: usize) -> bool {
        matches!(self.events.get(index), Some(Event::SequenceStart))
            && matches!(self.events.get(index + 1), Some(Event::SequenceEnd))
    }

    fn check_empty_mapping(&self, index: usize) -> bool {
        matches!(self.events.get(index), Some(Event::MappingStart))
            && matches!(self.events.get(index + 1), Some(Event::MappingEnd))
    }

    fn check_simple_key(&self, index: usize) -> bool {
        match &self.events[index] {
            Event::Scalar(value, _) => !self.analysis.multiline && value.len() <= 128,
            Event::SequenceStart => self.check_empty_sequence(index),
            Event::MappingStart => self.check_empty_mapping(index),
            _ => false,
        }
    }

    // ---- state machine -----------------------------------------------------------------

    fn dispatch(&mut self, index: usize) {
        match self.state {
            State::FlowSequenceFirstItem => self.emit_flow_sequence_item(index, true),
            State::FlowSequenceItem => self.emit_flow_sequence_item(index, false),
            State::FlowMappingFirstKey => self.emit_flow_mapping_key(index, true),
            State::FlowMappingKey => self.emit_flow_mapping_key(index, false),
            State::FlowMappingSimpleValue => self.emit_flow_mapping_value(index, true),
            State::FlowMappingValue => self.emit_flow_mapping_value(index, false),
            State::BlockSequenceFirstItem => self.emit_block_sequence_item(index, true),
            State::BlockSequenceItem => self.emit_block_sequence_item(index, false),
            State::BlockMappingFirstKey => self.emit_block_mapping_key(index, true),
            State::BlockMappingKey => self.emit_block_mapping_key(index, false),
            State::BlockMappingSimpleValue => self.emit_block_mapping_value(index, true),
            State::BlockMappingValue => self.emit_block_mapping_value(index, false),
            State::DocumentEnd | State::Done => {}
        }
    }

    fn emit_flow_sequence_item(&mut self, index: usize, first: bool) {
        if first {
            self.write_indicator(b"[", true, true, false);
            self.increase_indent(true, false);
            self.flow_level += 1;
        }
        if matches!(self.events[index], Event::SequenceEnd) {
            self.flow_level -= 1;
            self.pop_indent();
            self.write_indicator(b"]", false, false, false);
            self.pop_state();
            return;
        }
        if !first {
            self.write_indicator(b",", false, false, false);
        }
        if self.column > self.best_width {
            self.write_indent();
        }
        self.states.push(State::FlowSequenceItem);
        self.emit_node(index, false, true, false, false);
    }

    fn emit_flow_mapping_key(&mut self, index: usize, first: bool) {
        if first {
            self.write_indicator(b"{", true, true, false);
            self.increase_indent(true, false);
            self.flow_level += 1;
        }
        if matches!(self.events[index], Event::MappingEnd) {
            self.flow_level -= 1;
            self.pop_indent();
            self.write_indicator(b"}", false, false, false);
            self.pop_state();
            return;
        }
        if !first {
            self.write_indicator(b",", false, false, false);
        }
        if self.column > self.best_width {
            self.write_indent();
        }
        if self.check_simple_key(index) {
            self.states.push(State::FlowMappingSimpleValue);
            self.emit_node(index, false, false, true, true);
        } else {
            self.write_indicator(b"?", true, false, false);
            self.states.push(State::FlowMappingValue);
            self.emit_node(index, false, false, true, false);
        }
    }

    fn emit_flow_mapping_value(&mut self, index: usize, simple: bool) {
        if simple {
            self.write_indicator(b":", false, false, false);
        } else {
            if self.column > self.best_width {
                self.write_indent();
            }
            self.write_indicator(b":", true, false, false);
        }
        self.states.push(State::FlowMappingKey);
        self.emit_node(index, false, false, true, false);
    }

    fn emit_block_sequence_item(&mut self, index: usize, first: bool) {
        if first {
            let indentless = match self.flavor {
                Flavor::V2 => self.mapping_context && !self.indention,
                Flavor::V3 => false,
            };
            self.increase_indent(false, indentless);
        }
        if matches!(self.events[index], Event::SequenceEnd) {
            self.pop_indent();
            self.pop_state();
            return;
        }
        self.write_indent();
        self.write_indicator(b"-", true, false, true);
        self.states.push(State::BlockSequenceItem);
        self.emit_node(index, false, true, false, false);
    }

    fn emit_block_mapping_key(&mut self, index: usize, first: bool) {
        if first {
            self.increase_indent(false, false);
        }
        if matches!(self.events[index], Event::MappingEnd) {
            self.pop_indent();
            self.pop_state();
            return;
        }
        self.write_indent();
        if self.check_simple_key(index) {
            self.states.push(State::BlockMappingSimpleValue);
            self.emit_node(index, false, false, true, true);
        } else {
            self.write_indicator(b"?", true, false, true);
            self.states.push(State::BlockMappingValue);
            self.emit_node(index, false, false, true, false);
        }
    }

    fn emit_block_mapping_value(&mut self, index: usize, simple: bool) {
        if simple {
            self.write_indicator(b":", false, false, false);
        } else {
            self.write_indent();
            self.write_indicator(b":", true, false, true);
        }
        self.states.push(State::BlockMappingKey);
        self.emit_node(index, false, false, true, false);
    }

    fn emit_node(
        &mut self,
        index: usize,
        root: bool,
        sequence: bool,
        mapping: bool,
        simple_key: bool,
    ) {
        self.root_context = root;
        self.sequence_context = sequence;
        self.mapping_context = mapping;
        self.simple_key_context = simple_key;
        match &self.events[index] {
            Event::Scalar(value, style) => {
                let value = value.clone();
                self.select_scalar_style(&value, *style);
                self.increase_indent(true, false);
                self.process_scalar(value.as_bytes());
                self.pop_indent();
                self.pop_state();
            }
            Event::SequenceStart => {
                self.state = if self.flow_level > 0 || self.check_empty_sequence(index) {
                    State::FlowSequenceFirstItem
                } else {
                    State::BlockSequenceFirstItem
                };
            }
            Event::MappingStart => {
                self.state = if self.flow_level > 0 || self.check_empty_mapping(index) {
                    State::FlowMappingFirstKey
                } else {
                    State::BlockMappingFirstKey
                };
            }
            Event::SequenceEnd | Event::MappingEnd => {}
        }
    }

    fn select_scalar_style(&mut self, value: &str, requested: Style) {
        let a = self.analysis;
        let mut style = requested;
        if self.simple_key_context && a.multiline {
            style = Style::DoubleQuoted;
        }
        if style == Style::Plain {
            if (self.flow_level > 0 && !a.flow_plain_allowed)
                || (self.flow_level == 0 && !a.block_plain_allowed)
            {
                style = Style::SingleQuoted;
            }
            if value.is_empty() && (self.flow_level > 0 || self.simple_key_context) {
                style = Style::SingleQuoted;
            }
        }
        if style == Style::SingleQuoted && !a.single_quoted_allowed {
            style = Style::DoubleQuoted;
        }
        if style == Style::Literal
            && (!a.block_allowed || self.flow_level > 0 || self.simple_key_context)
        {
            style = Style::DoubleQuoted;
        }
        self.style = style;
    }

    fn process_scalar(&mut self, value: &[u8]) {
        let allow_breaks = !self.simple_key_context;
        match self.style {
            Style::Plain => self.write_plain_scalar(value, allow_breaks),
            Style::SingleQuoted => self.write_single_quoted_scalar(value, allow_breaks),
            Style::DoubleQuoted => self.write_double_quoted_scalar(value, allow_breaks),
            Style::Literal => self.write_literal_scalar(value),
        }
    }

    // ---- scalar writers ----------------------------------------------------------------

    fn write_plain_scalar(&mut self, value: &[u8], allow_breaks: bool) {
        let guard = self.flavor == Flavor::V2 || !value.is_empty();
        if guard && !self.whitespace {
            self.put(b' ');
        }
        let mut spaces = false;
        let mut breaks = false;
        let mut i = 0;
        while i < value.len() {
            if is_space(value, i) {
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width
                    && !is_space(value, i + 1)
                {
                    self.write_indent();
                    i += 1;
                } else {
                    self.write(value, &mut i);
                }
                spaces = true;
            } else if is_break(value, i) {
                if !breaks && value[i] == b'\n' {
                    self.put_break();
                }
                self.write_break(value, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.write(value, &mut i);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        if guard {
            self.whitespace = false;
        }
        self.indention = false;
        if self.root_context {
            self.open_ended = true;
        }
    }

    fn write_single_quoted_scalar(&mut self, value: &[u8], allow_breaks: bool) {
        self.write_indicator(b"'", true, false, false);
        let mut spaces = false;
        let mut breaks = false;
        let mut i = 0;
        while i < value.len() {
            if is_space(value, i) {
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width
                    && i > 0
                    && i < value.len() - 1
                    && !is_space(value, i + 1)
                {
                    self.write_indent();
                    i += 1;
                } else {
                    self.write(value, &mut i);
                }
                spaces = true;
            } else if is_break(value, i) {
                if !breaks && value[i] == b'\n' {
                    self.put_break();
                }
                self.write_break(value, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if value[i] == b'\'' {
                    self.put(b'\'');
                }
                self.write(value, &mut i);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator(b"'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double_quoted_scalar(&mut self, value: &[u8], allow_breaks: bool) {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let bom = starts_with_bom(value);
        let mut spaces = false;
        self.write_indicator(b"\"", true, false, false);
        let mut i = 0;
        while i < value.len() {
            let c = value[i];
            if !is_printable(value, i) || bom || is_break(value, i) || c == b'"' || c == b'\\' {
                let w = width(c).min(value.len() - i);
                let rune = std::str::from_utf8(&value[i..i + w])
                    .ok()
                    .and_then(|s| s.chars().next())
                    .map_or(u32::from(c), u32::from);
                i += w;
                self.put(b'\\');
                match rune {
                    0x00 => self.put(b'0'),
                    0x07 => self.put(b'a'),
                    0x08 => self.put(b'b'),
                    0x09 => self.put(b't'),
                    0x0A => self.put(b'n'),
                    0x0B => self.put(b'v'),
                    0x0C => self.put(b'f'),
                    0x0D => self.put(b'r'),
                    0x1B => self.put(b'e'),
                    0x22 => self.put(b'"'),
                    0x5C => self.put(b'\\'),
                    0x85 => self.put(b'N'),
                    0xA0 => self.put(b'_'),
                    0x2028 => self.put(b'L'),
                    0x2029 => self.put(b'P'),
                    _ => {
                        let (letter, digits) = if rune <= 0xFF {
                            (b'x', 2)
                        } else if rune <= 0xFFFF {
                            (b'u', 4)
                        } else {
                            (b'U', 8)
                        };
                        self.put(letter);
                        for k in (0..digits).rev() {
                            self.put(HEX[((rune >> (k * 4)) & 0xF) as usize]);
                        }
                    }
                }
                spaces = false;
            } else if is_space(value, i) {
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width
                    && i > 0
                    && i < value.len() - 1
                {
                    self.write_indent();
                    if is_space(value, i + 1) {
                        self.put(b'\\');
                    }
                    i += 1;
                } else {
                    self.write(value, &mut i);
                }
                spaces = true;
            } else {
                self.write(value, &mut i);
                spaces = false;
            }
        }
        self.write_indicator(b"\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_block_scalar_hints(&mut self, value: &[u8]) {
        if is_space(value, 0) || is_break(value, 0) {
            let hint = [b'0' + self.best_indent as u8];
            self.write_indicator(&hint, false, false, false);
        }
        self.open_ended = false;
        let mut chomp: Option<u8> = None;
        if value.is_empty() {
            chomp = Some(b'-');
        } else {
            let mut i = value.len() - 1;
            while i > 0 && value[i] & 0xC0 == 0x80 {
                i -= 1;
            }
            if !is_break(value, i) {
                chomp = Some(b'-');
            } else if i == 0 {
                chomp = Some(b'+');
                self.open_ended = true;
            } else {
                i -= 1;
                while i > 0 && value[i] & 0xC0 == 0x80 {
                    i -= 1;
                }
                if is_break(value, i) {
                    chomp = Some(b'+');
                    self.open_ended = true;
                }
            }
        }
        if let Some(c) = chomp {
            self.write_indicator(&[c], false, false, false);
        }
    }

    fn write_literal_scalar(&mut self, value: &[u8]) {
        self.write_indicator(b"|", true, false, false);
        self.write_block_scalar_hints(value);
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        let mut i = 0;
        while i < value.len() {
            if is_break(value, i) {
                self.write_break(value, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.write(value, &mut i);
                self.indention = false;
                breaks = false;
            }
        }
    }
}

/// go-yaml's `yaml_emitter_analyze_scalar`: which styles can represent `value`.
fn analyze_scalar(value: &[u8], flavor: Flavor) -> Analysis {
    if value.is_empty() {
        return Analysis {
            multiline: false,
            flow_plain_allowed: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let mut block_indicators = false;
    let mut flow_indicators = false;
    let mut line_breaks = false;
    let mut special_characters = false;
    let mut tab_characters = false;
    let mut leading_space = false;
    let mut leading_break = false;
    let mut trailing_space = false;
    let mut trailing_break = false;
    let mut break_space = false;
    let mut space_break = false;
    let mut previous_space = false;
    let mut previous_break = false;

    if value.starts_with(b"---") || value.starts_with(b"...") {
        block_indicators = true;
        flow_indicators = true;
    }
    let mut preceded_by_whitespace = true;
    let mut i = 0;
    while i < value.len() {
        let w = width(value[i]);
        let followed_by_whitespace = i + w >= value.len() || is_blank(value, i + w);
        if i == 0 {
            match value[i] {
                b'#' | b',' | b'[' | b']' | b'{' | b'}' | b'&' | b'*' | b'!' | b'|' | b'>'
                | b'\'' | b'"' | b'%' | b'@' | b'`' => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                b'?' | b':' => {
                    flow_indicators = true;
                    if followed_by_whitespace {
                        block_indicators = true;
                    }
                }
                b'-' if followed_by_whitespace => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                _ => {}
            }
        } else {
            match value[i] {
                b',' | b'?' | b'[' | b']' | b'{' | b'}' => flow_indicators = true,
                b':' => {
                    flow_indicators = true;
                    if followed_by_whitespace {
                        block_indicators = true;
                    }
                }
                b'#' if preceded_by_whitespace => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                _ => {}
            }
        }
        if flavor == Flavor::V3 && value[i] == b'\t' {
            tab_characters = true;
        } else if !is_printable(value, i) {
            special_characters = true;
        }
        if is_space(value, i) {
            if i == 0 {
                leading_space = true;
            }
            if i + w == value.len() {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(value, i) {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if i + w == value.len() {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blankz(value, i);
        i += w;
    }

    let mut a = Analysis {
        multiline: line_breaks,
        flow_plain_allowed: true,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || tab_characters || special_characters {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special_characters {
        a.block_allowed = false;
    }
    if line_breaks {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
    }
    if flow_indicators {
        a.flow_plain_allowed = false;
    }
    if block_indicators {
        a.block_plain_allowed = false;
    }
    a
}
