//! Parser for Go templates, following `text/template/parse/parse.go` and `node.go` (Go 1.26):
//! the same tree shape, node positions (used in execution error locations), node printing
//! (used in error contexts) and parse error texts (`template: NAME:LINE: MESSAGE`).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use super::error::TemplateError;
use super::gofmt::go_quote;
use super::lex::{Item, ItemType, Lexer};
use super::value::{Str, go_lossy};

/// Maximum nesting of parenthesised pipelines (Go's `maxStackDepth`).
const MAX_STACK_DEPTH: usize = 10000;

/// Maximum nesting of control structures. Go has no limit (its stack grows to 1 GB); this
/// bound keeps hostile input from exhausting memory and is far beyond real templates.
const MAX_CONTROL_DEPTH: usize = 10000;

/// A parsed template: one file's main body or one `{{define}}`/`{{block}}`.
#[derive(Debug)]
pub(crate) struct Tree {
    /// Name of the template (the file name, or the defined name).
    pub name: Str,
    /// Name of the top-level template being parsed (Go's `ParseName`): used in locations.
    pub parse_name: Str,
    /// Full text of the parsed source (valid UTF-8), for line/column computation; text nodes
    /// are ranges of it.
    pub text: Arc<[u8]>,
    /// Body.
    pub root: ListNode,
}

impl Tree {
    /// Go's `ErrorContext` location: `PARSENAME:LINE:COL` with a 0-based byte column.
    pub fn location(&self, pos: usize) -> String {
        let pos = pos.min(self.text.len());
        let text = &self.text[..pos];
        let byte_num = match text.iter().rposition(|&b| b == b'\n') {
            None => pos,
            Some(i) => pos - (i + 1),
        };
        let line_num = 1 + count_newlines(text);
        format!("{}:{}:{}", self.parse_name, line_num, byte_num)
    }
}

/// Number of `\n` bytes in `text` (vectorised; faster than a plain byte count on the short
/// spans between actions).
pub(crate) fn count_newlines(text: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', text).count()
}

/// The text of a text node: a byte range of its tree's source, so that parsing copies no
/// template text (the source is shared by every node and tree parsed from it).
#[derive(Clone)]
pub(crate) struct TextSpan {
    source: Arc<[u8]>,
    start: u32,
    end: u32,
}

impl TextSpan {
    /// The text's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.source[self.start as usize..self.end as usize]
    }

    /// The text (spans begin and end at character boundaries of a UTF-8 source).
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

impl fmt::Debug for TextSpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Shares the identifiers, field names and literals of parsed templates: a chart names
/// `Values`, `Release` or `include` thousands of times, and each name is then one allocation
/// referenced by every node that uses it.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    strings: HashSet<Str, foldhash::fast::RandomState>,
    /// String literals by their quoted text.
    literals: HashMap<Str, Arc<StringLiteral>, foldhash::fast::RandomState>,
}

impl Interner {
    /// The shared copy of `s`.
    pub fn intern(&mut self, s: &str) -> Str {
        if let Some(shared) = self.strings.get(s) {
            return shared.clone();
        }
        let shared = Str::from(s);
        self.strings.insert(shared.clone());
        shared
    }
}

/// A sequence of nodes.
#[derive(Debug, Default)]
pub(crate) struct ListNode {
    pub nodes: Vec<Node>,
}

/// A statement-level node.
#[derive(Debug)]
pub(crate) enum Node {
    Text { text: TextSpan },
    Comment,
    // Boxed so that the common text node stays small (trees are kept for the set's life).
    Action(Box<ActionNode>),
    If(Box<BranchNode>),
    Range(Box<BranchNode>),
    With(Box<BranchNode>),
    Template(Box<TemplateNode>),
    Break,
    Continue,
}

/// `{{pipeline}}`.
#[derive(Debug)]
pub(crate) struct ActionNode {
    pub pos: usize,
    pub pipe: PipeNode,
}

/// `{{if|range|with pipeline}} list {{else}} list {{end}}`.
#[derive(Debug)]
pub(crate) struct BranchNode {
    pub pos: usize,
    pub pipe: PipeNode,
    pub list: ListNode,
    pub else_list: Option<ListNode>,
}

/// `{{template "name" pipeline}}`.
#[derive(Debug)]
pub(crate) struct TemplateNode {
    pub pos: usize,
    pub name: Str,
    pub pipe: Option<PipeNode>,
}

/// A pipeline with optional variable declarations.
#[derive(Debug)]
pub(crate) struct PipeNode {
    pub pos: usize,
    pub is_assign: bool,
    pub decl: Vec<VariableNode>,
    pub cmds: Vec<CommandNode>,
}

/// `$x` or `$x.f.g` (ident[0] is the variable name including `$`).
#[derive(Debug, Clone)]
pub(crate) struct VariableNode {
    pub pos: usize,
    pub ident: Box<[Str]>,
}

/// One command of a pipeline: an operand and its arguments.
#[derive(Debug)]
pub(crate) struct CommandNode {
    pub pos: usize,
    pub args: Vec<Arg>,
}

/// A numeric constant with every interpretation Go computes.
#[derive(Debug)]
pub(crate) struct NumberNode {
    pub pos: usize,
    pub is_int: bool,
    pub is_uint: bool,
    pub is_float: bool,
    pub is_complex: bool,
    pub int64: i64,
    pub uint64: u64,
    pub float64: f64,
    pub complex: (f64, f64),
    pub text: Str,
}

/// An operand. Kept to 32 bytes (rare or large operands are boxed; string literals are shared):
/// a chart's templates hold hundreds of thousands of them for the set's life.
#[derive(Debug)]
pub(crate) enum Arg {
    Field {
        pos: usize,
        ident: Box<[Str]>,
    },
    Variable(VariableNode),
    Identifier {
        pos: usize,
        name: Str,
    },
    /// `(pipeline).f.g` or `term.f.g` on a term that is not a field or variable.
    Chain(Box<ChainNode>),
    Pipe(Box<PipeNode>),
    Dot {
        pos: usize,
    },
    Nil {
        pos: usize,
    },
    Bool {
        pos: usize,
        value: bool,
    },
    Number(Box<NumberNode>),
    /// A string literal; equal literals of a parse share one [`StringLiteral`].
    String {
        pos: usize,
        literal: Arc<StringLiteral>,
    },
}

/// The operand and fields of [`Arg::Chain`].
#[derive(Debug)]
pub(crate) struct ChainNode {
    pub pos: usize,
    pub node: Arg,
    pub fields: Vec<Str>,
}

/// A string literal as written and as its value.
#[derive(Debug)]
pub(crate) struct StringLiteral {
    /// As written, quotes included.
    pub quoted: Str,
    /// The value.
    pub text: Str,
    /// The literal's bytes when escapes (`"\xff"`) make them invalid UTF-8; `text` then
    /// holds them with each invalid byte as U+FFFD.
    pub raw: Option<Arc<[u8]>>,
}

impl Arg {
    pub fn pos(&self) -> usize {
        match self {
            Arg::Field { pos, .. }
            | Arg::Identifier { pos, .. }
            | Arg::Dot { pos }
            | Arg::Nil { pos }
            | Arg::Bool { pos, .. }
            | Arg::String { pos, .. } => *pos,
            Arg::Variable(v) => v.pos,
            Arg::Chain(c) => c.pos,
            Arg::Pipe(p) => p.pos,
            Arg::Number(n) => n.pos,
        }
    }
}

// Node printing, as Go's String() methods (used in error messages).

impl fmt::Display for VariableNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, id) in self.ident.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            f.write_str(id)?;
        }
        Ok(())
    }
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        stacker::maybe_grow(32 * 1024, 1024 * 1024, || match self {
            Arg::Field { ident, .. } => {
                for id in ident {
                    write!(f, ".{id}")?;
                }
                Ok(())
            }
            Arg::Variable(v) => write!(f, "{v}"),
            Arg::Identifier { name, .. } => f.write_str(name),
            Arg::Chain(c) => {
                let (node, fields) = (&c.node, &c.fields);
                if let Arg::Pipe(p) = node {
                    write!(f, "({p})")?;
                } else {
                    write!(f, "{node}")?;
                }
                for field in fields {
                    write!(f, ".{field}")?;
                }
                Ok(())
            }
            Arg::Pipe(p) => write!(f, "{p}"),
            Arg::Dot { .. } => f.write_str("."),
            Arg::Nil { .. } => f.write_str("nil"),
            Arg::Bool { value, .. } => f.write_str(if *value { "true" } else { "false" }),
            Arg::Number(n) => f.write_str(&n.text),
            Arg::String { literal, .. } => f.write_str(&literal.quoted),
        })
    }
}

impl fmt::Display for CommandNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, arg) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            if let Arg::Pipe(p) = arg {
                write!(f, "({p})")?;
            } else {
                write!(f, "{arg}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for PipeNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        stacker::maybe_grow(32 * 1024, 1024 * 1024, || {
            if !self.decl.is_empty() {
                for (i, v) in self.decl.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str(if self.is_assign { " = " } else { " := " })?;
            }
            for (i, c) in self.cmds.iter().enumerate() {
                if i > 0 {
                    f.write_str(" | ")?;
                }
                write!(f, "{c}")?;
            }
            Ok(())
        })
    }
}

impl fmt::Display for ListNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for n in &self.nodes {
            write!(f, "{n}")?;
        }
        Ok(())
    }
}

impl BranchNode {
    fn write(&self, f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
        write!(f, "{{{{{name} {}}}}}{}", self.pipe, self.list)?;
        if let Some(e) = &self.else_list {
            write!(f, "{{{{else}}}}{e}")?;
        }
        f.write_str("{{end}}")
    }
}

impl fmt::Display for TemplateNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{{template {}", go_quote(&self.name))?;
        if let Some(p) = &self.pipe {
            write!(f, " {p}")?;
        }
        f.write_str("}}")
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        stacker::maybe_grow(32 * 1024, 1024 * 1024, || {
            match self {
                Node::Text { text } => f.write_str(text.as_str()),
                // Comments are not kept (Go drops them unless ParseComments is set).
                Node::Comment => Ok(()),
                Node::Action(a) => write!(f, "{{{{{}}}}}", a.pipe),
                Node::If(b) => b.write(f, "if"),
                Node::Range(b) => b.write(f, "range"),
                Node::With(b) => b.write(f, "with"),
                Node::Template(t) => write!(f, "{t}"),
                Node::Break => f.write_str("{{break}}"),
                Node::Continue => f.write_str("{{continue}}"),
            }
        })
    }
}

// Trees can nest thousands of levels deep; drop them iteratively so that freeing a
// hostile template cannot overflow the stack.
impl Drop for ListNode {
    fn drop(&mut self) {
        // Only nested control structures can make the default drop recurse.
        if !self
            .nodes
            .iter()
            .any(|n| matches!(n, Node::If(_) | Node::Range(_) | Node::With(_)))
        {
            return;
        }
        let mut stack: Vec<Node> = std::mem::take(&mut self.nodes);
        while let Some(node) = stack.pop() {
            if let Node::If(mut b) | Node::Range(mut b) | Node::With(mut b) = node {
                stack.append(&mut b.list.nodes);
                if let Some(mut e) = b.else_list.take() {
                    stack.append(&mut e.nodes);
                }
            }
        }
    }
}

impl Drop for PipeNode {
    fn drop(&mut self) {
        // Only nested pipelines can make the default drop recurse.
        if !self.cmds.iter().any(|c| {
            c.args
                .iter()
                .any(|a| matches!(a, Arg::Pipe(_) | Arg::Chain(_)))
        }) {
            return;
        }
        let mut stack: Vec<CommandNode> = std::mem::take(&mut self.cmds);
        while let Some(mut cmd) = stack.pop() {
            for arg in cmd.args.drain(..) {
                let mut arg = arg;
                loop {
                    match arg {
                        Arg::Pipe(mut p) => {
                            stack.append(&mut p.cmds);
                            break;
                        }
                        Arg::Chain(c) => arg = c.node,
                        _ => break,
                    }
                }
            }
        }
    }
}

/// Go's `parse.IsEmptyTree`: only whitespace text and comments.
pub(crate) fn is_empty_tree(list: &ListNode) -> bool {
    list.nodes.iter().all(|n| match n {
        Node::Text { text } => text.as_str().trim().is_empty(),
        Node::Comment => true,
        _ => false,
    })
}

/// What `textOrAction` yields: a node, or an `{{else}}`/`{{end}}` terminator.
enum Parsed {
    Node(Node),
    Else,
    End,
}

impl Parsed {
    fn describe(&self) -> String {
        match self {
            Parsed::Node(n) => n.to_string(),
            Parsed::Else => "{{else}}".to_string(),
            Parsed::End => "{{end}}".to_string(),
        }
    }
}

/// Parse failure carrying Go's full message.
struct ParseAbort(String);

type PResult<T> = Result<T, ParseAbort>;

/// Parses one template source into trees (the main one first, then definitions in source
/// order). `source` is shared, not copied, by the trees; bytes that are not UTF-8 are first
/// replaced by U+FFFD (a copy). `has_function` answers whether a function name is defined
/// (Go checks this at parse time); `interner` shares names and literals across parses.
///
/// Errors: [`TemplateError::Parse`] with Go's message; a source over 4 GiB is refused.
pub(crate) fn parse(
    name: &str,
    source: Arc<[u8]>,
    has_function: &dyn Fn(&str) -> bool,
    interner: &mut Interner,
) -> Result<Vec<Tree>, TemplateError> {
    let source: Arc<[u8]> = match std::str::from_utf8(&source) {
        Ok(_) => source,
        Err(_) => Arc::from(String::from_utf8_lossy(&source).as_bytes()),
    };
    if u32::try_from(source.len()).is_err() {
        return Err(TemplateError::Parse {
            template: name.to_string(),
            message: format!(
                "template: {name}: source of {} bytes is too large",
                source.len()
            ),
        });
    }
    let text = std::str::from_utf8(&source).unwrap_or_default();
    let mut p = Parser {
        parse_name: Str::from(name),
        lex: Lexer::new(text),
        token: [eof_item(), eof_item(), eof_item()],
        peek_count: 0,
        vars: vec![interner.intern("$")],
        action_line: 0,
        range_depth: 0,
        stack_depth: 0,
        control_depth: 0,
        has_function,
        trees: Vec::new(),
        pending_nodes: Vec::new(),
        pending_cmds: Vec::new(),
        pending_args: Vec::new(),
        text: source.clone(),
        interner,
    };
    p.lex.break_ok = !has_function("break");
    p.lex.continue_ok = !has_function("continue");
    let root = match p.parse_top() {
        Ok(root) => root,
        Err(ParseAbort(message)) => {
            return Err(TemplateError::Parse {
                template: name.to_string(),
                message,
            });
        }
    };
    // Go's `Tree.add` for the main tree, after all definitions: a non-empty definition of
    // the same name wins over an empty body; two non-empty ones are an error.
    let main_name = Str::from(name);
    if let Some(existing) = p.trees.iter_mut().find(|t| t.name == main_name) {
        if is_empty_tree(&existing.root) {
            existing.root = root;
        } else if !is_empty_tree(&root) {
            let message = format!(
                "template: {}:{}: template: multiple definition of template {}",
                name,
                p.token[0].line,
                go_quote(name)
            );
            return Err(TemplateError::Parse {
                template: name.to_string(),
                message,
            });
        }
        let mut trees = std::mem::take(&mut p.trees);
        // Keep the main template first.
        if let Some(i) = trees.iter().position(|t| t.name == main_name) {
            let t = trees.remove(i);
            trees.insert(0, t);
        }
        return Ok(trees);
    }
    let main = Tree {
        name: main_name,
        parse_name: Str::from(name),
        text: p.text.clone(),
        root,
    };
    let mut trees = vec![main];
    trees.append(&mut p.trees);
    Ok(trees)
}

/// Renames the trees [`parse`] returned for a source parsed as `from` to what parsing it as
/// `to` gives, if that is only a change of names: the main tree (first) is renamed and every
/// tree's `parse_name` (used only in locations) becomes `to`. Returns `false`, changing
/// nothing, when the name can matter to the parse: when a `define` of the source is named
/// `from` or `to` (Go merges the main tree with a definition of its own name).
pub(crate) fn rename(trees: &mut [Tree], from: &str, to: &str) -> bool {
    let Some((main, definitions)) = trees.split_first_mut() else {
        return false;
    };
    if &*main.name != from
        || main.parse_name.as_ref() != from
        || definitions
            .iter()
            .any(|t| &*t.name == from || &*t.name == to || t.parse_name.as_ref() != from)
    {
        return false;
    }
    let to = Str::from(to);
    main.name = to.clone();
    main.parse_name = to.clone();
    for tree in definitions {
        tree.parse_name = to.clone();
    }
    true
}

fn eof_item() -> Item<'static> {
    Item {
        typ: ItemType::Eof,
        pos: 0,
        val: std::borrow::Cow::Borrowed(""),
        line: 1,
    }
}

struct Parser<'a> {
    parse_name: Str,
    lex: Lexer<'a>,
    token: [Item<'a>; 3],
    peek_count: usize,
    vars: Vec<Str>,
    action_line: usize,
    range_depth: usize,
    stack_depth: usize,
    control_depth: usize,
    has_function: &'a dyn Fn(&str) -> bool,
    trees: Vec<Tree>,
    /// Nodes, commands and operands of the lists, pipelines and commands being parsed, each
    /// construct's above those of the constructs enclosing it. A finished construct takes
    /// its own off the top in one allocation of the exact size, instead of growing a vector
    /// and shrinking it (trees live as long as the template set).
    pending_nodes: Vec<Node>,
    pending_cmds: Vec<CommandNode>,
    pending_args: Vec<Arg>,
    text: Arc<[u8]>,
    interner: &'a mut Interner,
}

impl<'a> Parser<'a> {
    fn next(&mut self) -> Item<'a> {
        if self.peek_count > 0 {
            self.peek_count -= 1;
        } else {
            self.token[0] = self.lex.next_item();
        }
        self.token[self.peek_count].clone()
    }

    fn backup(&mut self) {
        self.peek_count += 1;
    }

    fn backup2(&mut self, t1: Item<'a>) {
        self.token[1] = t1;
        self.peek_count = 2;
    }

    fn backup3(&mut self, t2: Item<'a>, t1: Item<'a>) {
        self.token[1] = t1;
        self.token[2] = t2;
        self.peek_count = 3;
    }

    fn peek(&mut self) -> Item<'a> {
        if self.peek_count > 0 {
            return self.token[self.peek_count - 1].clone();
        }
        self.peek_count = 1;
        self.token[0] = self.lex.next_item();
        self.token[0].clone()
    }

    fn next_non_space(&mut self) -> Item<'a> {
        loop {
            let t = self.next();
            if t.typ != ItemType::Space {
                return t;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item<'a> {
        let t = self.next_non_space();
        self.backup();
        t
    }

    fn errorf<T>(&self, msg: impl fmt::Display) -> PResult<T> {
        Err(ParseAbort(format!(
            "template: {}:{}: {}",
            self.parse_name, self.token[0].line, msg
        )))
    }

    fn expect(&mut self, expected: ItemType, context: &str) -> PResult<Item<'a>> {
        let token = self.next_non_space();
        if token.typ != expected {
            return self.unexpected(&token, context);
        }
        Ok(token)
    }

    fn expect_one_of(&mut self, e1: ItemType, e2: ItemType, context: &str) -> PResult<Item<'a>> {
        let token = self.next_non_space();
        if token.typ != e1 && token.typ != e2 {
            return self.unexpected(&token, context);
        }
        Ok(token)
    }

    fn unexpected<T>(&self, token: &Item<'_>, context: &str) -> PResult<T> {
        if token.typ == ItemType::Error {
            let mut extra = String::new();
            if self.action_line != 0 && self.action_line != token.line {
                extra = format!(
                    " in action started at {}:{}",
                    self.parse_name, self.action_line
                );
                if token.val.ends_with(" action") {
                    extra = extra[" in action".len()..].to_string();
                }
            }
            return self.errorf(format!("{token}{extra}"));
        }
        self.errorf(format!("unexpected {token} in {context}"))
    }

    fn parse_top(&mut self) -> PResult<ListNode> {
        let mark = self.pending_nodes.len();
        while self.peek().typ != ItemType::Eof {
            if self.peek().typ == ItemType::LeftDelim {
                let delim = self.next();
                if self.next_non_space().typ == ItemType::Define {
                    self.parse_definition()?;
                    continue;
                }
                self.backup2(delim);
            }
            match self.text_or_action()? {
                Parsed::Node(n) => self.pending_nodes.push(n),
                other => return self.errorf(format!("unexpected {}", other.describe())),
            }
        }
        Ok(ListNode {
            nodes: self.pending_nodes.drain(mark..).collect(),
        })
    }

    fn parse_definition(&mut self) -> PResult<()> {
        let context = "define clause";
        let saved_vars = std::mem::replace(&mut self.vars, vec![self.interner.intern("$")]);
        let name_tok = self.expect_one_of(ItemType::String, ItemType::RawString, context)?;
        let name = match unquote(&name_tok.val) {
            Ok(s) => s,
            Err(e) => return self.errorf(e),
        };
        self.expect(ItemType::RightDelim, context)?;
        let (root, end) = self.item_list()?;
        if !matches!(end, Parsed::End) {
            return self.errorf(format!("unexpected {} in {}", end.describe(), context));
        }
        self.add_tree(Str::from(name.as_str()), root)?;
        self.vars = saved_vars;
        Ok(())
    }

    /// Adds a definition (Go's `Tree.add` within one parse).
    fn add_tree(&mut self, name: Str, root: ListNode) -> PResult<()> {
        if let Some(existing) = self.trees.iter_mut().find(|t| t.name == name) {
            if is_empty_tree(&existing.root) {
                existing.root = root;
                return Ok(());
            }
            if !is_empty_tree(&root) {
                return self.errorf(format!(
                    "template: multiple definition of template {}",
                    go_quote(&name)
                ));
            }
            return Ok(());
        }
        self.trees.push(Tree {
            name,
            parse_name: self.parse_name.clone(),
            text: self.text.clone(),
            root,
        });
        Ok(())
    }

    fn item_list(&mut self) -> PResult<(ListNode, Parsed)> {
        let mark = self.pending_nodes.len();
        while self.peek_non_space().typ != ItemType::Eof {
            let n = self.text_or_action()?;
            match n {
                Parsed::Node(n) => self.pending_nodes.push(n),
                other => {
                    let list = ListNode {
                        nodes: self.pending_nodes.drain(mark..).collect(),
                    };
                    return Ok((list, other));
                }
            }
        }
        self.errorf("unexpected EOF")
    }

    fn text_or_action(&mut self) -> PResult<Parsed> {
        let token = self.next_non_space();
        match token.typ {
            ItemType::Text => Ok(Parsed::Node(Node::Text {
                // Text items borrow the source from their position (see the lexer).
                text: TextSpan {
                    source: self.text.clone(),
                    start: token.pos as u32,
                    end: (token.pos + token.val.len()) as u32,
                },
            })),
            ItemType::LeftDelim => {
                self.action_line = token.line;
                let r = self.action();
                self.action_line = 0;
                r
            }
            ItemType::Comment => Ok(Parsed::Node(Node::Comment)),
            _ => self.unexpected(&token, "input"),
        }
    }

    fn action(&mut self) -> PResult<Parsed> {
        let token = self.next_non_space();
        match token.typ {
            ItemType::Block => return self.block_control(),
            ItemType::Break => return self.break_control("{{break}}"),
            ItemType::Continue => return self.break_control("{{continue}}"),
            ItemType::Else => return self.else_control(),
            ItemType::End => {
                self.expect(ItemType::RightDelim, "end")?;
                return Ok(Parsed::End);
            }
            ItemType::If => return Ok(Parsed::Node(self.if_control()?)),
            ItemType::Range => {
                let (pos, pipe, list, else_list) = self.parse_control("range")?;
                return Ok(Parsed::Node(Node::Range(Box::new(BranchNode {
                    pos,
                    pipe,
                    list,
                    else_list,
                }))));
            }
            ItemType::Template => return self.template_control(),
            ItemType::With => return Ok(Parsed::Node(self.with_control()?)),
            _ => {}
        }
        self.backup();
        let token = self.peek();
        let pipe = self.pipeline("command", ItemType::RightDelim)?;
        Ok(Parsed::Node(Node::Action(Box::new(ActionNode {
            pos: token.pos,
            pipe,
        }))))
    }

    fn break_control(&mut self, what: &str) -> PResult<Parsed> {
        let token = self.next_non_space();
        if token.typ != ItemType::RightDelim {
            return self.unexpected(&token, what);
        }
        if self.range_depth == 0 {
            return self.errorf(format!("{what} outside {{{{range}}}}"));
        }
        if what == "{{break}}" {
            Ok(Parsed::Node(Node::Break))
        } else {
            Ok(Parsed::Node(Node::Continue))
        }
    }

    fn pipeline(&mut self, context: &str, end: ItemType) -> PResult<PipeNode> {
        let token = self.peek_non_space();
        let mut pipe = PipeNode {
            pos: token.pos,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        let mark = self.pending_cmds.len();
        'decls: loop {
            let v = self.peek_non_space();
            if v.typ != ItemType::Variable {
                break 'decls;
            }
            self.next();
            let token_after_variable = self.peek();
            let next = self.peek_non_space();
            if next.typ == ItemType::Assign || next.typ == ItemType::Declare {
                pipe.is_assign = next.typ == ItemType::Assign;
                self.next_non_space();
                pipe.decl.push(VariableNode {
                    pos: v.pos,
                    ident: self.split_ident(&v.val),
                });
                let var = self.interner.intern(&v.val);
                self.vars.push(var);
            } else if next.typ == ItemType::Char && next.val == "," {
                self.next_non_space();
                pipe.decl.push(VariableNode {
                    pos: v.pos,
                    ident: self.split_ident(&v.val),
                });
                let var = self.interner.intern(&v.val);
                self.vars.push(var);
                if context == "range" && pipe.decl.len() < 2 {
                    match self.peek_non_space().typ {
                        ItemType::Variable | ItemType::RightDelim | ItemType::RightParen => {
                            continue 'decls;
                        }
                        _ => return self.errorf("range can only initialize variables"),
                    }
                }
                return self.errorf(format!("too many declarations in {context}"));
            } else if token_after_variable.typ == ItemType::Space {
                self.backup3(v, token_after_variable);
            } else {
                self.backup2(v);
            }
            break 'decls;
        }
        loop {
            let token = self.next_non_space();
            if token.typ == end {
                pipe.cmds = self.pending_cmds.drain(mark..).collect();
                self.check_pipeline(&pipe, context)?;
                // Trees live as long as the template set: give back growth slack.
                pipe.decl.shrink_to_fit();
                return Ok(pipe);
            }
            match token.typ {
                ItemType::Bool
                | ItemType::CharConstant
                | ItemType::Complex
                | ItemType::Dot
                | ItemType::Field
                | ItemType::Identifier
                | ItemType::Number
                | ItemType::Nil
                | ItemType::RawString
                | ItemType::String
                | ItemType::Variable
                | ItemType::LeftParen => {
                    self.backup();
                    let cmd = self.command()?;
                    self.pending_cmds.push(cmd);
                }
                _ => return self.unexpected(&token, context),
            }
        }
    }

    fn check_pipeline(&self, pipe: &PipeNode, context: &str) -> PResult<()> {
        if pipe.cmds.is_empty() {
            return self.errorf(format!("missing value for {context}"));
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args.first(),
                Some(
                    Arg::Bool { .. }
                        | Arg::Dot { .. }
                        | Arg::Nil { .. }
                        | Arg::Number(_)
                        | Arg::String { .. }
                )
            ) {
                return self.errorf(format!(
                    "non executable command in pipeline stage {}",
                    i + 1
                ));
            }
        }
        Ok(())
    }

    fn parse_control(
        &mut self,
        context: &str,
    ) -> PResult<(usize, PipeNode, ListNode, Option<ListNode>)> {
        if self.control_depth >= MAX_CONTROL_DEPTH {
            return self.errorf("max control structure depth exceeded");
        }
        self.control_depth += 1;
        let mark = self.vars.len();
        let r = stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.parse_control_inner(context));
        self.vars.truncate(mark);
        self.control_depth -= 1;
        r
    }

    fn parse_control_inner(
        &mut self,
        context: &str,
    ) -> PResult<(usize, PipeNode, ListNode, Option<ListNode>)> {
        let pipe = self.pipeline(context, ItemType::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let r = self.item_list();
        if context == "range" {
            self.range_depth -= 1;
        }
        let (list, next) = r?;
        let mut else_list = None;
        match next {
            Parsed::End => {}
            Parsed::Else => {
                if context == "if" && self.peek().typ == ItemType::If {
                    self.next();
                    let mut l = ListNode::default();
                    l.nodes.push(self.if_control()?);
                    else_list = Some(l);
                } else if context == "with" && self.peek().typ == ItemType::With {
                    self.next();
                    let mut l = ListNode::default();
                    l.nodes.push(self.with_control()?);
                    else_list = Some(l);
                } else {
                    let (l, next) = self.item_list()?;
                    if !matches!(next, Parsed::End) {
                        return self.errorf(format!("expected end; found {}", next.describe()));
                    }
                    else_list = Some(l);
                }
            }
            Parsed::Node(_) => {}
        }
        Ok((pipe.pos, pipe, list, else_list))
    }

    fn if_control(&mut self) -> PResult<Node> {
        let (pos, pipe, list, else_list) = self.parse_control("if")?;
        Ok(Node::If(Box::new(BranchNode {
            pos,
            pipe,
            list,
            else_list,
        })))
    }

    fn with_control(&mut self) -> PResult<Node> {
        let (pos, pipe, list, else_list) = self.parse_control("with")?;
        Ok(Node::With(Box::new(BranchNode {
            pos,
            pipe,
            list,
            else_list,
        })))
    }

    fn else_control(&mut self) -> PResult<Parsed> {
        let peek = self.peek_non_space();
        if peek.typ == ItemType::If || peek.typ == ItemType::With {
            return Ok(Parsed::Else);
        }
        self.expect(ItemType::RightDelim, "else")?;
        Ok(Parsed::Else)
    }

    fn block_control(&mut self) -> PResult<Parsed> {
        let context = "block clause";
        let token = self.next_non_space();
        let name = self.parse_template_name(&token, context)?;
        let pipe = self.pipeline(context, ItemType::RightDelim)?;
        let saved_vars = std::mem::replace(&mut self.vars, vec![self.interner.intern("$")]);
        let saved_range = std::mem::replace(&mut self.range_depth, 0);
        let saved_action_line = std::mem::replace(&mut self.action_line, 0);
        let r = self.item_list();
        self.vars = saved_vars;
        self.range_depth = saved_range;
        self.action_line = saved_action_line;
        let (root, end) = r?;
        if !matches!(end, Parsed::End) {
            return self.errorf(format!("unexpected {} in {}", end.describe(), context));
        }
        self.add_tree(name.clone(), root)?;
        Ok(Parsed::Node(Node::Template(Box::new(TemplateNode {
            pos: token.pos,
            name,
            pipe: Some(pipe),
        }))))
    }

    fn template_control(&mut self) -> PResult<Parsed> {
        let context = "template clause";
        let token = self.next_non_space();
        let name = self.parse_template_name(&token, context)?;
        let mut pipe = None;
        if self.next_non_space().typ != ItemType::RightDelim {
            self.backup();
            pipe = Some(self.pipeline(context, ItemType::RightDelim)?);
        }
        Ok(Parsed::Node(Node::Template(Box::new(TemplateNode {
            pos: token.pos,
            name,
            pipe,
        }))))
    }

    fn parse_template_name(&mut self, token: &Item, context: &str) -> PResult<Str> {
        match token.typ {
            ItemType::String | ItemType::RawString => match unquote(&token.val) {
                Ok(s) => Ok(self.interner.intern(&s)),
                Err(e) => self.errorf(e),
            },
            _ => self.unexpected(token, context),
        }
    }

    fn split_ident(&mut self, s: &str) -> Box<[Str]> {
        // Sized up front: collecting from `split` would grow a vector, then shrink it.
        let mut parts = Vec::with_capacity(s.bytes().filter(|&b| b == b'.').count() + 1);
        parts.extend(s.split('.').map(|part| self.interner.intern(part)));
        parts.into_boxed_slice()
    }

    /// The shared literal for `quoted` (a string or raw string token).
    fn string_literal(&mut self, quoted: &str) -> Result<Arc<StringLiteral>, &'static str> {
        if let Some(literal) = self.interner.literals.get(quoted) {
            return Ok(literal.clone());
        }
        let (text, raw) = match String::from_utf8(unquote_bytes(quoted)?) {
            Ok(text) => (Str::from(text), None),
            Err(e) => (
                Str::from(go_lossy(e.as_bytes())),
                Some(Arc::from(e.into_bytes())),
            ),
        };
        let literal = Arc::new(StringLiteral {
            quoted: Str::from(quoted),
            text,
            raw,
        });
        self.interner
            .literals
            .insert(literal.quoted.clone(), literal.clone());
        Ok(literal)
    }

    fn command(&mut self) -> PResult<CommandNode> {
        let pos = self.peek_non_space().pos;
        let mark = self.pending_args.len();
        loop {
            self.peek_non_space();
            if let Some(operand) = self.operand()? {
                self.pending_args.push(operand);
            }
            let token = self.next();
            match token.typ {
                ItemType::Space => continue,
                ItemType::RightDelim | ItemType::RightParen => self.backup(),
                ItemType::Pipe => {}
                _ => return self.unexpected(&token, "operand"),
            }
            break;
        }
        if self.pending_args.len() == mark {
            return self.errorf("empty command");
        }
        Ok(CommandNode {
            pos,
            args: self.pending_args.drain(mark..).collect(),
        })
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().typ == ItemType::Field {
            let chain_pos = self.peek().pos;
            let mut fields: Vec<Str> = Vec::new();
            while self.peek().typ == ItemType::Field {
                let f = self.next();
                fields.push(self.interner.intern(&f.val[1..]));
            }
            return Ok(Some(match node {
                Arg::Field { ident, .. } => {
                    let mut ident = ident.into_vec();
                    ident.extend(fields);
                    Arg::Field {
                        pos: chain_pos,
                        ident: ident.into_boxed_slice(),
                    }
                }
                Arg::Variable(v) => {
                    let mut ident = v.ident.into_vec();
                    ident.extend(fields);
                    Arg::Variable(VariableNode {
                        pos: chain_pos,
                        ident: ident.into_boxed_slice(),
                    })
                }
                Arg::Bool { .. }
                | Arg::String { .. }
                | Arg::Number(_)
                | Arg::Nil { .. }
                | Arg::Dot { .. } => {
                    return self.errorf(format!(
                        "unexpected . after term {}",
                        go_quote(&node.to_string())
                    ));
                }
                other => Arg::Chain(Box::new(ChainNode {
                    pos: chain_pos,
                    node: other,
                    fields,
                })),
            }));
        }
        Ok(Some(node))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let token = self.next_non_space();
        let arg = match token.typ {
            ItemType::Identifier => {
                if !(self.has_function)(&token.val) {
                    return self.errorf(format!("function {} not defined", go_quote(&token.val)));
                }
                Arg::Identifier {
                    pos: token.pos,
                    name: self.interner.intern(&token.val),
                }
            }
            ItemType::Dot => Arg::Dot { pos: token.pos },
            ItemType::Nil => Arg::Nil { pos: token.pos },
            ItemType::Variable => {
                let ident = self.split_ident(&token.val);
                if !self.vars.iter().any(|v| *v == ident[0]) {
                    return self.errorf(format!("undefined variable {}", go_quote(&ident[0])));
                }
                Arg::Variable(VariableNode {
                    pos: token.pos,
                    ident,
                })
            }
            ItemType::Field => Arg::Field {
                pos: token.pos,
                ident: self.split_ident(&token.val[1..]),
            },
            ItemType::Bool => Arg::Bool {
                pos: token.pos,
                value: token.val == "true",
            },
            ItemType::CharConstant | ItemType::Complex | ItemType::Number => {
                match new_number(token.pos, &token.val, token.typ) {
                    Ok(n) => Arg::Number(Box::new(n)),
                    Err(e) => return self.errorf(e),
                }
            }
            ItemType::LeftParen => {
                if self.stack_depth >= MAX_STACK_DEPTH {
                    return self.errorf("max expression depth exceeded");
                }
                self.stack_depth += 1;
                let r = stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
                    self.pipeline("parenthesized pipeline", ItemType::RightParen)
                });
                self.stack_depth -= 1;
                Arg::Pipe(Box::new(r?))
            }
            ItemType::String | ItemType::RawString => match self.string_literal(&token.val) {
                Ok(literal) => Arg::String {
                    pos: token.pos,
                    literal,
                },
                Err(e) => return self.errorf(e),
            },
            _ => {
                self.backup();
                return Ok(None);
            }
        };
        Ok(Some(arg))
    }
}

/// Go's `strconv.Unquote` for `"…"` and `` `…` `` literals; errors are `invalid syntax`.
/// Escapes producing invalid UTF-8 (`\xff`) become U+FFFD ([`unquote_bytes`] keeps them).
pub(crate) fn unquote(s: &str) -> Result<String, &'static str> {
    unquote_bytes(s).map(|b| String::from_utf8(b).unwrap_or_else(|e| go_lossy(e.as_bytes())))
}

/// Go's `strconv.Unquote` giving the string's bytes (`"\xff"` is one byte 0xFF).
pub(crate) fn unquote_bytes(s: &str) -> Result<Vec<u8>, &'static str> {
    const SYNTAX: &str = "invalid syntax";
    let b = s.as_bytes();
    if b.len() < 2 {
        return Err(SYNTAX);
    }
    let quote = b[0];
    if quote != b[b.len() - 1] {
        return Err(SYNTAX);
    }
    let inner = &s[1..s.len() - 1];
    match quote {
        b'`' => {
            if inner.contains('`') {
                return Err(SYNTAX);
            }
            Ok(inner.replace('\r', "").into_bytes())
        }
        b'"' | b'\'' => {
            if inner.contains('\n') {
                return Err(SYNTAX);
            }
            let mut bytes: Vec<u8> = Vec::with_capacity(inner.len());
            let mut rest = inner;
            let mut count = 0;
            while !rest.is_empty() {
                let (decoded, tail) = unquote_char(rest, quote)?;
                match decoded {
                    Decoded::Rune(c) => {
                        bytes.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes())
                    }
                    Decoded::Byte(x) => bytes.push(x),
                }
                rest = tail;
                count += 1;
                if quote == b'\'' && count > 1 {
                    return Err(SYNTAX);
                }
            }
            if quote == b'\'' && count != 1 {
                return Err(SYNTAX);
            }
            Ok(bytes)
        }
        _ => Err(SYNTAX),
    }
}

enum Decoded {
    Rune(char),
    Byte(u8),
}

/// Go's `strconv.UnquoteChar`: decodes one (possibly escaped) character.
fn unquote_char(s: &str, quote: u8) -> Result<(Decoded, &str), &'static str> {
    const SYNTAX: &str = "invalid syntax";
    let mut chars = s.chars();
    let c = chars.next().ok_or(SYNTAX)?;
    if c as u32 == u32::from(quote) && (quote == b'\'' || quote == b'"') {
        return Err(SYNTAX);
    }
    if c != '\\' {
        return Ok((Decoded::Rune(c), chars.as_str()));
    }
    let rest = chars.as_str();
    let e = rest.chars().next().ok_or(SYNTAX)?;
    let after = &rest[e.len_utf8()..];
    let simple = match e {
        'a' => Some('\u{7}'),
        'b' => Some('\u{8}'),
        'f' => Some('\u{c}'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        'v' => Some('\u{b}'),
        '\\' => Some('\\'),
        '\'' | '"' => {
            if e as u32 != u32::from(quote) {
                return Err(SYNTAX);
            }
            Some(e)
        }
        _ => None,
    };
    if let Some(c) = simple {
        return Ok((Decoded::Rune(c), after));
    }
    match e {
        'x' | 'u' | 'U' => {
            let n = match e {
                'x' => 2,
                'u' => 4,
                _ => 8,
            };
            if after.len() < n || !after.is_char_boundary(n) {
                return Err(SYNTAX);
            }
            let v = u32::from_str_radix(&after[..n], 16).map_err(|_| SYNTAX)?;
            if !after[..n].bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(SYNTAX);
            }
            if e == 'x' {
                return Ok((Decoded::Byte(v as u8), &after[n..]));
            }
            let c = char::from_u32(v).ok_or(SYNTAX)?;
            Ok((Decoded::Rune(c), &after[n..]))
        }
        '0'..='7' => {
            // Check bytes before slicing: a multi-byte character may follow the escape.
            let octal = rest.as_bytes().get(..3).ok_or(SYNTAX)?;
            if !octal.iter().all(|b| (b'0'..=b'7').contains(b)) {
                return Err(SYNTAX);
            }
            // Three ASCII digits, so byte 3 is a character boundary.
            let v = u32::from_str_radix(&rest[..3], 8).map_err(|_| SYNTAX)?;
            if v > 255 {
                return Err(SYNTAX);
            }
            Ok((Decoded::Byte(v as u8), &rest[3..]))
        }
        _ => Err(SYNTAX),
    }
}

/// Go's `underscoreOK`: underscores only between digits or after a base prefix.
fn underscore_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let mut saw = b'^';
    let mut i = 0;
    if !b.is_empty() && (b[0] == b'-' || b[0] == b'+') {
        i = 1;
    }
    let mut hex = false;
    if b.len() - i >= 2 && b[i] == b'0' && matches!(b[i + 1] | 0x20, b'b' | b'o' | b'x') {
        hex = (b[i + 1] | 0x20) == b'x';
        i += 2;
        saw = b'0';
    }
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = b'0';
            i += 1;
            continue;
        }
        if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
            i += 1;
            continue;
        }
        if saw == b'_' {
            return false;
        }
        saw = b'!';
        i += 1;
    }
    saw != b'_'
}

/// Go's `strconv.ParseUint(s, 0, 64)` magnitude parsing (no sign).
fn parse_uint_base0(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let (base, digits) = if s.len() >= 2 && s.as_bytes()[0] == b'0' {
        match s.as_bytes()[1] | 0x20 {
            b'x' => (16, &s[2..]),
            b'o' => (8, &s[2..]),
            b'b' => (2, &s[2..]),
            _ => (8, &s[1..]),
        }
    } else {
        (10, s)
    };
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    let cleaned: String = digits.chars().filter(|c| *c != '_').collect();
    if cleaned.is_empty() {
        // "0" alone (octal prefix with no digits) is zero; "0x" is invalid.
        return if s == "0" { Some(0) } else { None };
    }
    u64::from_str_radix(&cleaned, base).ok()
}

fn parse_int_base0(s: &str) -> Option<i64> {
    let (neg, mag) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let u = parse_uint_base0(mag)?;
    if neg {
        if u <= (i64::MAX as u64) + 1 {
            Some((u as i128).wrapping_neg() as i64)
        } else {
            None
        }
    } else if u <= i64::MAX as u64 {
        Some(u as i64)
    } else {
        None
    }
}

/// Go's `strconv.ParseFloat(s, 64)` for the syntaxes the lexer can produce (decimal and
/// hexadecimal floats, underscores after validation). Out-of-range values are errors.
fn parse_float(s: &str) -> Option<f64> {
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    let cleaned: String = s.chars().filter(|c| *c != '_').collect();
    let (neg, body) = match cleaned.as_bytes().first() {
        Some(b'-') => (true, &cleaned[1..]),
        Some(b'+') => (false, &cleaned[1..]),
        _ => (false, cleaned.as_str()),
    };
    let v = if body.len() > 2 && body.as_bytes()[0] == b'0' && (body.as_bytes()[1] | 0x20) == b'x' {
        parse_hex_float(&body[2..])?
    } else {
        if body.is_empty()
            || !body
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        {
            return None;
        }
        body.parse::<f64>().ok()?
    };
    if v.is_infinite() {
        return None;
    }
    Some(if neg { -v } else { v })
}

fn parse_hex_float(s: &str) -> Option<f64> {
    let lower = s.to_ascii_lowercase();
    let (mant, exp) = lower.split_once('p')?;
    let exp: i32 = exp.parse().ok()?;
    let (int_part, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if int_part.is_empty() && frac.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for c in int_part.chars() {
        v = v * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac.chars() {
        v += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    Some(v * 2f64.powi(exp))
}

/// Go's `parse.(*Tree).newNumber`.
fn new_number(pos: usize, text: &str, typ: ItemType) -> Result<NumberNode, String> {
    let mut n = NumberNode {
        pos,
        is_int: false,
        is_uint: false,
        is_float: false,
        is_complex: false,
        int64: 0,
        uint64: 0,
        float64: 0.0,
        complex: (0.0, 0.0),
        text: Str::from(text),
    };
    match typ {
        ItemType::CharConstant => {
            let inner = &text[1..];
            let (decoded, tail) = unquote_char(inner, b'\'').map_err(str::to_string)?;
            if tail != "'" {
                return Err(format!("malformed character constant: {text}"));
            }
            let r = match decoded {
                Decoded::Rune(c) => c as u32,
                Decoded::Byte(b) => u32::from(b),
            };
            n.int64 = i64::from(r);
            n.is_int = true;
            n.uint64 = u64::from(r);
            n.is_uint = true;
            n.float64 = f64::from(r);
            n.is_float = true;
            return Ok(n);
        }
        ItemType::Complex => {
            let (re, im) = parse_complex(text).ok_or_else(|| {
                format!(
                    "strconv.ParseComplex: parsing {}: invalid syntax",
                    go_quote(text)
                )
            })?;
            n.is_complex = true;
            n.complex = (re, im);
            simplify_complex(&mut n);
            return Ok(n);
        }
        _ => {}
    }
    if let Some(body) = text.strip_suffix('i')
        && let Some(f) = parse_float(body)
    {
        n.is_complex = true;
        n.complex = (0.0, f);
        simplify_complex(&mut n);
        return Ok(n);
    }
    let u = {
        let (neg, mag) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        if neg { None } else { parse_uint_base0(mag) }
    };
    if let Some(u) = u {
        n.is_uint = true;
        n.uint64 = u;
    }
    if let Some(i) = parse_int_base0(text) {
        n.is_int = true;
        n.int64 = i;
        if i == 0 {
            n.is_uint = true;
            n.uint64 = u.unwrap_or(0);
        }
    }
    if n.is_int {
        n.is_float = true;
        n.float64 = n.int64 as f64;
    } else if n.is_uint {
        n.is_float = true;
        n.float64 = n.uint64 as f64;
    } else if let Some(f) = parse_float(text) {
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!("integer overflow: {}", go_quote(text)));
        }
        n.is_float = true;
        n.float64 = f;
        if !n.is_int && (f as i64) as f64 == f && f.abs() < 9.223372036854776e18 {
            n.is_int = true;
            n.int64 = f as i64;
        }
        if !n.is_uint && f >= 0.0 && (f as u64) as f64 == f && f < 1.8446744073709552e19 {
            n.is_uint = true;
            n.uint64 = f as u64;
        }
    }
    if !n.is_int && !n.is_uint && !n.is_float {
        return Err(format!("illegal number syntax: {}", go_quote(text)));
    }
    Ok(n)
}

fn parse_complex(text: &str) -> Option<(f64, f64)> {
    let body = text.strip_suffix('i')?;
    // Split at the sign that starts the imaginary part (not an exponent sign).
    let bytes = body.as_bytes();
    let mut split = None;
    for i in (1..bytes.len()).rev() {
        if (bytes[i] == b'+' || bytes[i] == b'-') && !matches!(bytes[i - 1] | 0x20, b'e' | b'p') {
            split = Some(i);
            break;
        }
    }
    let i = split?;
    let re = parse_float(&body[..i])?;
    let im = parse_float(&body[i..])?;
    Some((re, im))
}

fn simplify_complex(n: &mut NumberNode) {
    n.is_float = n.complex.1 == 0.0;
    if n.is_float {
        n.float64 = n.complex.0;
        let f = n.float64;
        n.is_int = (f as i64) as f64 == f && f.abs() < 9.223372036854776e18;
        if n.is_int {
            n.int64 = f as i64;
        }
        n.is_uint = f >= 0.0 && (f as u64) as f64 == f && f < 1.8446744073709552e19;
        if n.is_uint {
            n.uint64 = f as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Vec<Tree> {
        match parse(
            "t",
            Arc::from(text.as_bytes()),
            &|n| n == "printf",
            &mut Interner::default(),
        ) {
            Ok(t) => t,
            Err(e) => panic!("parse failed: {e}"),
        }
    }

    fn parse_err(text: &str) -> String {
        match parse(
            "t",
            Arc::from(text.as_bytes()),
            &|n| n == "printf",
            &mut Interner::default(),
        ) {
            Ok(_) => panic!("expected error for {text}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn prints_nodes_like_go() {
        let trees = parse_ok("{{if .a}}x{{else}}{{printf \"%d\" (.b).c $}}{{end}}");
        assert_eq!(
            trees[0].root.to_string(),
            "{{if .a}}x{{else}}{{printf \"%d\" (.b).c $}}{{end}}"
        );
    }

    #[test]
    fn reports_go_parse_errors() {
        assert_eq!(parse_err("{{.a"), "template: t:1: unclosed action");
        assert_eq!(parse_err("{{if .a}}"), "template: t:1: unexpected EOF");
        assert_eq!(
            parse_err("{{nope}}"),
            "template: t:1: function \"nope\" not defined"
        );
        assert_eq!(
            parse_err("{{$x}}"),
            "template: t:1: undefined variable \"$x\""
        );
        assert_eq!(
            parse_err("{{if}}{{end}}"),
            "template: t:1: missing value for if"
        );
    }

    /// Found by fuzzing: a short octal escape followed by a multi-byte character panicked on
    /// a byte slice inside the character. Go (text/template, Go 1.26) reports
    /// `template: t:1: invalid syntax` for all three.
    #[test]
    fn short_octal_escape_before_multibyte_char_is_a_syntax_error() {
        for src in ["{{ \"\\10é\" }}", "{{ '\\10é' }}", "{{ \"\\1é\" }}"] {
            assert_eq!(parse_err(src), "template: t:1: invalid syntax", "{src}");
        }
    }

    #[test]
    fn numbers_follow_go_syntax() {
        let n = new_number(0, "0x1F", ItemType::Number).ok();
        assert_eq!(n.map(|n| n.int64), Some(31));
        let n = new_number(0, "1_000", ItemType::Number).ok();
        assert_eq!(n.map(|n| n.int64), Some(1000));
        assert!(new_number(0, "1e400", ItemType::Number).is_err());
        let n = new_number(0, "0b101", ItemType::Number).ok();
        assert_eq!(n.map(|n| n.int64), Some(5));
        let n = new_number(0, "0o17", ItemType::Number).ok();
        assert_eq!(n.map(|n| n.int64), Some(15));
        let n = new_number(0, "017", ItemType::Number).ok();
        assert_eq!(n.map(|n| n.int64), Some(15));
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    /// Trees of a large chart hold hundreds of thousands of operands and nodes for the set's
    /// life; these sizes are what keeps them compact.
    #[test]
    fn operands_and_nodes_stay_small() {
        assert!(
            std::mem::size_of::<Arg>() <= 32,
            "{}",
            std::mem::size_of::<Arg>()
        );
        assert!(
            std::mem::size_of::<Node>() <= 32,
            "{}",
            std::mem::size_of::<Node>()
        );
    }
}
