//! Template execution, following `text/template/exec.go` (Go 1.26): Go's truthiness,
//! variable scoping, field/method/map resolution, function argument checking, `missingkey`
//! handling, range over slices/maps/integers with break/continue, nested template calls, and
//! the exact error texts `template: LOC: executing "NAME" at <NODE>: MESSAGE`.
//!
//! Go tracks whether a value sits in an `interface{}` slot (a map or slice element of type
//! `interface {}`); that changes error texts (`can't evaluate field x in type interface {}`)
//! and nil handling (`nil pointer evaluating interface {}.x` for a nil element versus silent
//! `<no value>` for a nil variable). [`Val`] carries that bit alongside the value.

use std::collections::HashMap;
use std::sync::Arc;

use super::builtins::{self, Builtin};
use super::error::{FuncError, TemplateError};
use super::funcs::{CallContext, FuncMap, ParamType, Signature};
use super::gofmt::{go_quote, sprint, template_print};
use super::parse::{
    ActionNode, Arg, BranchNode, CommandNode, ListNode, Node, NumberNode, PipeNode, TemplateNode,
    Tree,
};
use super::value::{ElemType, IntKind, Method, Str, UintKind, Value, go_lossy};
use super::{MissingKey, Options};

/// Maximum depth of nested `{{template}}` calls (Go's `maxExecDepth`).
pub(crate) const MAX_EXEC_DEPTH: usize = 100_000;

/// Maximum nesting of executions started by functions (`include`, `tpl`). Go has no such
/// limit (Helm bounds `include` per name at 1001, `tpl` not at all, and Go crashes on stack
/// exhaustion). Every level keeps its error text, which embeds the inner one, so memory
/// grows with the square of the depth; 2100 lets two mutually recursive templates reach
/// Helm's own per-name error while keeping the worst case to a few hundred megabytes.
const MAX_NESTED_EXECUTIONS: usize = 2100;

/// A namespace of templates: the base set, or a `tpl` overlay on top of its parent (Go
/// clones the set for `tpl`; an overlay is equivalent and cheaper).
pub(crate) struct Scope<'a> {
    pub templates: &'a HashMap<Str, Arc<Tree>>,
    pub parent: Option<&'a Scope<'a>>,
    /// Name of the root template (Go's `t.name`, "gotpl" in Helm) for error messages.
    pub root_name: &'a str,
}

impl Scope<'_> {
    pub fn lookup(&self, name: &str) -> Option<&Arc<Tree>> {
        match self.templates.get(name) {
            Some(t) => Some(t),
            None => self.parent.and_then(|p| p.lookup(name)),
        }
    }
}

/// Per-render mutable state shared by nested executions (`include`, `tpl`).
#[derive(Default)]
pub(crate) struct Runtime {
    pub counters: HashMap<String, usize>,
    pub steps: u64,
    pub nested: usize,
    pub output_len: usize,
}

/// A value plus whether Go holds it in an `interface{}` slot.
#[derive(Clone, Debug)]
pub(crate) struct Val {
    pub v: Value,
    pub boxed: bool,
}

impl Val {
    fn plain(v: Value) -> Val {
        Val { v, boxed: false }
    }

    fn invalid() -> Val {
        Val::plain(Value::Invalid)
    }

    /// What Go's `evalPipeline` does after each command: dig into an `interface{}`, so a nil
    /// interface becomes no value.
    fn unboxed(self) -> Val {
        match self.v {
            Value::Nil => Val::invalid(),
            v => Val::plain(v),
        }
    }

    /// The Go type name of the slot (`interface {}` when boxed).
    fn slot_type(&self) -> String {
        if self.boxed || matches!(self.v, Value::Nil) {
            "interface {}".to_string()
        } else {
            self.v.type_name().into_owned()
        }
    }
}

/// The node execution is "at", for error locations (Go's `state.node`).
#[derive(Clone, Copy)]
enum Cur<'t> {
    None,
    Action(&'t ActionNode),
    Branch(&'t BranchNode, &'static str),
    Template(&'t TemplateNode),
    Pipe(&'t PipeNode),
    Cmd(&'t CommandNode),
    Arg(&'t Arg),
    List(&'t ListNode, usize),
}

impl Cur<'_> {
    fn pos_and_text(&self) -> Option<(usize, String)> {
        Some(match self {
            Cur::None => return None,
            Cur::Action(a) => (a.pos, format!("{{{{{}}}}}", a.pipe)),
            Cur::Branch(b, kind) => {
                let mut s = format!("{{{{{kind} {}}}}}{}", b.pipe, b.list);
                if let Some(e) = &b.else_list {
                    s.push_str(&format!("{{{{else}}}}{e}"));
                }
                s.push_str("{{end}}");
                (b.pos, s)
            }
            Cur::Template(t) => (t.pos, t.to_string()),
            Cur::Pipe(p) => (p.pos, p.to_string()),
            Cur::Cmd(c) => (c.pos, c.to_string()),
            Cur::Arg(a) => (a.pos(), a.to_string()),
            Cur::List(l, pos) => (*pos, l.to_string()),
        })
    }
}

/// Control flow out of `walk`.
pub(crate) enum Flow {
    Break,
    Continue,
    Error(Box<TemplateError>),
}

impl From<TemplateError> for Flow {
    fn from(e: TemplateError) -> Flow {
        Flow::Error(Box::new(e))
    }
}

type R<T> = Result<T, Flow>;

/// What is being called.
enum Callee<'f> {
    Builtin(Builtin),
    Native(&'f super::funcs::Function),
    TypeMethod(Value, Method),
    ObjectMethod(std::rc::Rc<dyn super::value::Object>, Signature),
}

impl Callee<'_> {
    /// The signature, borrowed where one is stored (this runs on every call).
    fn sig(&self) -> std::borrow::Cow<'_, Signature> {
        use std::borrow::Cow;
        match self {
            Callee::Builtin(b) => Cow::Owned(b.signature()),
            Callee::Native(f) => Cow::Borrowed(&f.sig),
            Callee::TypeMethod(_, m) => Cow::Borrowed(&m.sig),
            Callee::ObjectMethod(_, s) => Cow::Borrowed(s),
        }
    }
}

struct State<'s, 'a> {
    scope: &'s Scope<'a>,
    rt: &'s mut Runtime,
    funcs: &'s FuncMap,
    opts: &'s Options,
    tmpl_name: Str,
    tree: &'s Tree,
    node: Cur<'s>,
    vars: Vec<(Str, Val)>,
    depth: usize,
    out: &'s mut Vec<u8>,
}

/// Runs template `name` of `scope` with `data` (Go's `ExecuteTemplate`), returning the raw
/// output bytes (with any `<no value>` markers; not UTF-8 when a Go string that is not was
/// printed).
pub(crate) fn execute_in(
    scope: &Scope<'_>,
    rt: &mut Runtime,
    funcs: &FuncMap,
    opts: &Options,
    name: &str,
    data: Value,
) -> Result<Vec<u8>, TemplateError> {
    let Some(tree) = scope.lookup(name) else {
        return Err(TemplateError::NoTemplate {
            name: name.to_string(),
            message: format!(
                "template: no template {} associated with template {}",
                go_quote(name),
                go_quote(scope.root_name)
            ),
        });
    };
    let tree = tree.clone();
    if rt.nested >= MAX_NESTED_EXECUTIONS {
        return Err(TemplateError::Exec {
            template: name.to_string(),
            message: format!(
                "template: {}: exceeded maximum nesting of template executions ({})",
                name, MAX_NESTED_EXECUTIONS
            ),
            cause: None,
        });
    }
    // Go's reflect.ValueOf(nil) is no value.
    let data = match data {
        Value::Nil => Value::Invalid,
        v => v,
    };
    let mut out = Vec::new();
    rt.nested += 1;
    let result = {
        let mut st = State {
            scope,
            rt: &mut *rt,
            funcs,
            opts,
            tmpl_name: tree.name.clone(),
            tree: &tree,
            node: Cur::None,
            vars: vec![(Str::from("$"), Val::plain(data.clone()))],
            depth: 0,
            out: &mut out,
        };
        let dot = Val::plain(data);
        stacker::maybe_grow(128 * 1024, 4 * 1024 * 1024, || {
            st.walk_list(&dot, &tree.root)
        })
    };
    rt.nested -= 1;
    match result {
        Ok(()) => Ok(out),
        Err(Flow::Error(e)) => Err(*e),
        // The parser rejects break/continue outside range.
        Err(Flow::Break | Flow::Continue) => Ok(out),
    }
}

impl<'s, 'a> State<'s, 'a> {
    fn at(&mut self, node: Cur<'s>) {
        self.node = node;
    }

    fn error(&self, msg: impl Into<String>) -> Flow {
        self.error_with(msg.into(), None)
    }

    fn error_with(&self, msg: String, cause: Option<Box<FuncError>>) -> Flow {
        let name = &self.tmpl_name;
        let message = match self.node.pos_and_text() {
            None => format!("template: {name}: {msg}"),
            Some((pos, ctx)) => format!(
                "template: {}: executing {} at <{}>: {}",
                self.tree.location(pos),
                go_quote(name),
                ctx,
                msg
            ),
        };
        Flow::Error(Box::new(TemplateError::Exec {
            template: name.to_string(),
            message,
            cause,
        }))
    }

    fn step(&mut self) -> R<()> {
        self.rt.steps += 1;
        if self.rt.steps > self.opts.max_steps {
            return Err(self.error(format!(
                "template execution exceeded the step limit ({})",
                self.opts.max_steps
            )));
        }
        Ok(())
    }

    fn write(&mut self, s: &[u8]) -> R<()> {
        self.rt.output_len += s.len();
        if self.rt.output_len > self.opts.max_output_bytes {
            return Err(self.error(format!(
                "template output exceeded the size limit ({} bytes)",
                self.opts.max_output_bytes
            )));
        }
        self.out.extend_from_slice(s);
        Ok(())
    }

    // Variables.

    fn push(&mut self, name: &Str, v: Val) {
        self.vars.push((name.clone(), v));
    }

    fn set_var(&mut self, name: &str, v: Val) -> R<()> {
        for slot in self.vars.iter_mut().rev() {
            if &*slot.0 == name {
                slot.1 = v;
                return Ok(());
            }
        }
        Err(self.error(format!("undefined variable: {name}")))
    }

    fn set_top_var(&mut self, n: usize, v: Val) {
        let len = self.vars.len();
        if n <= len {
            self.vars[len - n].1 = v;
        }
    }

    fn var_value(&self, name: &str) -> R<Val> {
        for slot in self.vars.iter().rev() {
            if &*slot.0 == name {
                return Ok(slot.1.clone());
            }
        }
        Err(self.error(format!("undefined variable: {name}")))
    }

    // Walking.

    fn walk_list(&mut self, dot: &Val, list: &'s ListNode) -> R<()> {
        self.at(Cur::List(list, 0));
        for node in &list.nodes {
            self.walk(dot, node)?;
        }
        Ok(())
    }

    fn walk(&mut self, dot: &Val, node: &'s Node) -> R<()> {
        self.step()?;
        match node {
            Node::Action(a) => {
                self.at(Cur::Action(a));
                let val = self.eval_pipeline(dot, &a.pipe)?;
                if a.pipe.decl.is_empty() {
                    self.at(Cur::Action(a));
                    let mut s = Vec::new();
                    template_print(&val.v, &mut s);
                    self.write(&s)?;
                }
                Ok(())
            }
            Node::Break => Err(Flow::Break),
            Node::Continue => Err(Flow::Continue),
            Node::Comment => Ok(()),
            Node::If(b) => grow(|| self.walk_if_or_with(false, dot, b)),
            Node::With(b) => grow(|| self.walk_if_or_with(true, dot, b)),
            Node::Range(b) => grow(|| self.walk_range(dot, b)),
            Node::Template(t) => self.walk_template(dot, t),
            Node::Text { text } => self.write(text.as_bytes()),
        }
    }

    fn walk_if_or_with(&mut self, with: bool, dot: &Val, b: &'s BranchNode) -> R<()> {
        self.at(Cur::Branch(b, if with { "with" } else { "if" }));
        let mark = self.vars.len();
        let r = (|| {
            let val = self.eval_pipeline(dot, &b.pipe)?;
            if val.v.is_true() {
                if with {
                    self.walk_list(&val, &b.list)
                } else {
                    self.walk_list(dot, &b.list)
                }
            } else if let Some(e) = &b.else_list {
                self.walk_list(dot, e)
            } else {
                Ok(())
            }
        })();
        self.vars.truncate(mark);
        r
    }

    fn walk_range(&mut self, dot: &Val, r: &'s BranchNode) -> R<()> {
        self.at(Cur::Branch(r, "range"));
        let mark = self.vars.len();
        let res = self.walk_range_inner(dot, r);
        self.vars.truncate(mark);
        match res {
            Err(Flow::Break) => Ok(()),
            other => other,
        }
    }

    fn one_iteration(&mut self, r: &'s BranchNode, mark: usize, index: Val, elem: Val) -> R<()> {
        self.step()?;
        let decl = &r.pipe.decl;
        if !decl.is_empty() {
            if r.pipe.is_assign {
                if decl.len() > 1 {
                    self.set_var(&decl[0].ident[0], index.clone())?;
                } else {
                    self.set_var(&decl[0].ident[0], elem.clone())?;
                }
            } else {
                self.set_top_var(1, elem.clone());
            }
        }
        if decl.len() > 1 {
            if r.pipe.is_assign {
                self.set_var(&decl[1].ident[0], elem.clone())?;
            } else {
                self.set_top_var(2, index);
            }
        }
        let res = self.walk_list(&elem, &r.list);
        self.vars.truncate(mark);
        match res {
            Err(Flow::Continue) => Ok(()),
            other => other,
        }
    }

    fn walk_range_inner(&mut self, dot: &Val, r: &'s BranchNode) -> R<()> {
        let val = self.eval_pipeline(dot, &r.pipe)?;
        let mark = self.vars.len();
        match &val.v {
            Value::Int(n, k) => {
                if r.pipe.decl.len() > 1 {
                    return Err(self.error(format!(
                        "can't use {} to iterate over more than one variable",
                        sprint(std::slice::from_ref(&val.v))
                    )));
                }
                if *n > 0 {
                    for i in 0..*n {
                        self.one_iteration(r, mark, Val::invalid(), Val::plain(Value::Int(i, *k)))?;
                    }
                    return Ok(());
                }
            }
            Value::Uint(n, k) => {
                if r.pipe.decl.len() > 1 {
                    return Err(self.error(format!(
                        "can't use {} to iterate over more than one variable",
                        sprint(std::slice::from_ref(&val.v))
                    )));
                }
                if *n > 0 {
                    for i in 0..*n {
                        self.one_iteration(
                            r,
                            mark,
                            Val::invalid(),
                            Val::plain(Value::Uint(i, *k)),
                        )?;
                    }
                    return Ok(());
                }
            }
            Value::List(l) => {
                if !l.items.is_empty() {
                    let boxed = l.ty.elem == ElemType::Interface;
                    let l = l.clone();
                    for (i, item) in l.items.iter().enumerate() {
                        self.one_iteration(
                            r,
                            mark,
                            Val::plain(Value::int(i as i64)),
                            Val {
                                v: item.clone(),
                                boxed,
                            },
                        )?;
                    }
                    return Ok(());
                }
            }
            Value::Bytes(b) => {
                if !b.is_empty() {
                    let b = b.clone();
                    for (i, x) in b.iter().enumerate() {
                        self.one_iteration(
                            r,
                            mark,
                            Val::plain(Value::int(i as i64)),
                            Val::plain(Value::Uint(u64::from(*x), UintKind::Uint8)),
                        )?;
                    }
                    return Ok(());
                }
            }
            Value::Map(m) => {
                // Go sorts a snapshot of the entries before iterating.
                let (entries, boxed): (Vec<(Str, Value)>, bool) = {
                    let m = m.borrow();
                    (
                        m.entries
                            .iter()
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect(),
                        m.ty.elem == ElemType::Interface,
                    )
                };
                if !entries.is_empty() {
                    for (k, v) in entries {
                        self.one_iteration(
                            r,
                            mark,
                            Val::plain(Value::String(k)),
                            Val { v, boxed },
                        )?;
                    }
                    return Ok(());
                }
            }
            Value::Invalid | Value::Nil => {}
            other => {
                let mut shown = Vec::new();
                template_print(other, &mut shown);
                return Err(self.error(format!("range can't iterate over {}", go_lossy(&shown))));
            }
        }
        if let Some(e) = &r.else_list {
            self.walk_list(dot, e)?;
        }
        Ok(())
    }

    fn walk_template(&mut self, dot: &Val, t: &'s TemplateNode) -> R<()> {
        self.at(Cur::Template(t));
        let Some(tree) = self.scope.lookup(&t.name) else {
            return Err(self.error(format!("template {} not defined", go_quote(&t.name))));
        };
        let tree = tree.clone();
        if self.depth >= MAX_EXEC_DEPTH {
            return Err(self.error(format!(
                "exceeded maximum template depth ({MAX_EXEC_DEPTH})"
            )));
        }
        let new_dot = match &t.pipe {
            Some(p) => self.eval_pipeline(dot, p)?,
            None => Val::invalid(),
        };
        let mut child = State {
            scope: self.scope,
            rt: &mut *self.rt,
            funcs: self.funcs,
            opts: self.opts,
            tmpl_name: t.name.clone(),
            tree: &tree,
            node: Cur::None,
            vars: vec![(Str::from("$"), new_dot.clone())],
            depth: self.depth + 1,
            out: &mut *self.out,
        };
        stacker::maybe_grow(64 * 1024, 2 * 1024 * 1024, || {
            child.walk_list(&new_dot, &tree.root)
        })
    }

    // Evaluation.

    fn eval_pipeline(&mut self, dot: &Val, pipe: &'s PipeNode) -> R<Val> {
        self.at(Cur::Pipe(pipe));
        let mut value: Option<Val> = None;
        for cmd in &pipe.cmds {
            let v = self.eval_command(dot, cmd, value.take())?;
            value = Some(v.unboxed());
        }
        let value = value.unwrap_or_else(Val::invalid);
        for var in &pipe.decl {
            if pipe.is_assign {
                self.set_var(&var.ident[0], value.clone())?;
            } else {
                self.push(&var.ident[0], value.clone());
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, args: &[Arg], fin: &Option<Val>) -> R<()> {
        if args.len() > 1 || fin.is_some() {
            return Err(self.error(format!("can't give argument to non-function {}", args[0])));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &Val, cmd: &'s CommandNode, fin: Option<Val>) -> R<Val> {
        let first = &cmd.args[0];
        match first {
            Arg::Field { ident, .. } => {
                self.at(Cur::Arg(first));
                return self.eval_field_chain(dot, dot.clone(), first, ident, Some(&cmd.args), fin);
            }
            Arg::Chain(_) => return self.eval_chain_node(dot, first, Some(&cmd.args), fin),
            Arg::Identifier { name, .. } => {
                return self.eval_function(dot, first, name, Cur::Cmd(cmd), Some(&cmd.args), fin);
            }
            Arg::Pipe(p) => {
                self.not_a_function(&cmd.args, &fin)?;
                return grow(|| self.eval_pipeline(dot, p));
            }
            Arg::Variable(_) => return self.eval_variable_node(dot, first, Some(&cmd.args), fin),
            _ => {}
        }
        self.at(Cur::Arg(first));
        self.not_a_function(&cmd.args, &fin)?;
        match first {
            Arg::Bool { value, .. } => Ok(Val::plain(Value::Bool(*value))),
            Arg::Dot { .. } => Ok(dot.clone()),
            Arg::Nil { .. } => Err(self.error("nil is not a command")),
            Arg::Number(n) => self.ideal_constant(first, n),
            Arg::String { literal, .. } => Ok(Val::plain(string_literal(
                &literal.text,
                literal.raw.as_deref(),
            ))),
            _ => Err(self.error(format!(
                "can't evaluate command {}",
                go_quote(&first.to_string())
            ))),
        }
    }

    fn ideal_constant(&mut self, node: &'s Arg, n: &NumberNode) -> R<Val> {
        self.at(Cur::Arg(node));
        let text = &n.text;
        let is_hex_int = text.len() > 2
            && text.starts_with('0')
            && matches!(text.as_bytes()[1], b'x' | b'X')
            && !text.contains(['p', 'P']);
        let is_rune = text.starts_with('\'');
        if n.is_complex {
            return Ok(Val::plain(Value::Complex(n.complex.0, n.complex.1)));
        }
        if n.is_float && !is_hex_int && !is_rune && text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Ok(Val::plain(Value::Float(n.float64)));
        }
        if n.is_int {
            return Ok(Val::plain(Value::Int(n.int64, IntKind::Int)));
        }
        if n.is_uint {
            return Err(self.error(format!("{text} overflows int")));
        }
        Ok(Val::invalid())
    }

    fn eval_chain_node(
        &mut self,
        dot: &Val,
        chain: &'s Arg,
        args: Option<&'s [Arg]>,
        fin: Option<Val>,
    ) -> R<Val> {
        self.at(Cur::Arg(chain));
        let Arg::Chain(c) = chain else {
            return Err(self.error("internal error: not a chain"));
        };
        let (node, fields) = (&c.node, &c.fields);
        if fields.is_empty() {
            return Err(self.error("internal error: no fields in evalChainNode"));
        }
        if matches!(node, Arg::Nil { .. }) {
            return Err(self.error(format!("indirection through explicit nil in {chain}")));
        }
        let pipe = self.eval_arg(dot, None, node)?;
        self.eval_field_chain(dot, pipe, chain, fields, args, fin)
    }

    fn eval_variable_node(
        &mut self,
        dot: &Val,
        node: &'s Arg,
        args: Option<&'s [Arg]>,
        fin: Option<Val>,
    ) -> R<Val> {
        self.at(Cur::Arg(node));
        let Arg::Variable(var) = node else {
            return Err(self.error("internal error: not a variable"));
        };
        let value = self.var_value(&var.ident[0])?;
        if var.ident.len() == 1 {
            if let Some(a) = args {
                self.not_a_function(a, &fin)?;
            } else if fin.is_some() {
                return Err(self.error(format!("can't give argument to non-function {node}")));
            }
            return Ok(value);
        }
        self.eval_field_chain(dot, value, node, &var.ident[1..], args, fin)
    }

    fn eval_field_chain(
        &mut self,
        dot: &Val,
        mut receiver: Val,
        node: &'s Arg,
        ident: &'s [Str],
        args: Option<&'s [Arg]>,
        fin: Option<Val>,
    ) -> R<Val> {
        let n = ident.len();
        for name in &ident[..n - 1] {
            receiver = self.eval_field(dot, name, node, None, None, receiver)?;
        }
        self.eval_field(dot, &ident[n - 1], node, args, fin, receiver)
    }

    fn eval_function(
        &mut self,
        dot: &Val,
        ident: &'s Arg,
        name: &str,
        call_node: Cur<'s>,
        args: Option<&'s [Arg]>,
        fin: Option<Val>,
    ) -> R<Val> {
        self.at(Cur::Arg(ident));
        let funcs = self.funcs;
        let (callee, is_builtin) = if let Some(f) = funcs.get(name) {
            (Callee::Native(f), false)
        } else if let Some(b) = Builtin::from_name(name) {
            (Callee::Builtin(b), true)
        } else {
            return Err(self.error(format!("{} is not a defined function", go_quote(name))));
        };
        self.eval_call(dot, callee, is_builtin, call_node, name, args, fin)
    }

    fn method_of(receiver: &Value, name: &str) -> Option<Callee<'static>> {
        match receiver {
            Value::Map(m) => {
                let m = m.borrow();
                let named = m.ty.named.as_ref()?;
                named
                    .method(name)
                    .map(|meth| Callee::TypeMethod(receiver.clone(), meth.clone()))
            }
            Value::List(l) => {
                let named = l.ty.named.as_ref()?;
                named
                    .method(name)
                    .map(|meth| Callee::TypeMethod(receiver.clone(), meth.clone()))
            }
            Value::Object(o) => o
                .method_signature(name)
                .map(|sig| Callee::ObjectMethod(o.clone(), sig)),
            _ => None,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_field(
        &mut self,
        dot: &Val,
        field: &str,
        node: &'s Arg,
        args: Option<&'s [Arg]>,
        fin: Option<Val>,
        receiver: Val,
    ) -> R<Val> {
        if matches!(receiver.v, Value::Invalid) {
            if self.opts.missing_key == MissingKey::Error {
                return Err(self.error(format!("nil data; no entry for key {}", go_quote(field))));
            }
            return Ok(Val::invalid());
        }
        // The slot's type name is only for error messages: built on those paths alone, as
        // this runs for every field of every action.
        if matches!(receiver.v, Value::Nil) {
            let typ = receiver.slot_type();
            return Err(self.error(format!("nil pointer evaluating {typ}.{field}")));
        }
        if let Some(callee) = Self::method_of(&receiver.v, field) {
            return self.eval_call(dot, callee, false, Cur::Arg(node), field, args, fin);
        }
        if let Value::Object(o) = &receiver.v
            && o.is_nil()
            && o.fields().iter().any(|(n, _)| n == field)
        {
            let typ = receiver.slot_type();
            return Err(self.error(format!("nil pointer evaluating {typ}.{field}")));
        }
        let has_args = args.is_some_and(|a| a.len() > 1) || fin.is_some();
        match &receiver.v {
            Value::Object(o) => {
                if let Some(v) = o.field(field) {
                    if has_args {
                        return Err(self.error(format!(
                            "{field} has arguments but cannot be invoked as function"
                        )));
                    }
                    return Ok(Val::plain(v));
                }
            }
            Value::Map(m) => {
                if has_args {
                    return Err(self.error(format!("{field} is not a method but has arguments")));
                }
                let m = m.borrow();
                let boxed = m.ty.elem == ElemType::Interface;
                if let Some(v) = m.entries.get(field) {
                    return Ok(Val {
                        v: v.clone(),
                        boxed,
                    });
                }
                return match self.opts.missing_key {
                    MissingKey::Invalid => Ok(Val::invalid()),
                    MissingKey::Zero => Ok(Val {
                        v: m.ty.elem.zero(),
                        boxed,
                    }),
                    MissingKey::Error => {
                        drop(m);
                        Err(self.error(format!("map has no entry for key {}", go_quote(field))))
                    }
                };
            }
            _ => {}
        }
        let typ = receiver.slot_type();
        Err(self.error(format!("can't evaluate field {field} in type {typ}")))
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_call(
        &mut self,
        dot: &Val,
        callee: Callee<'_>,
        is_builtin: bool,
        call_node: Cur<'s>,
        name: &str,
        args: Option<&'s [Arg]>,
        fin: Option<Val>,
    ) -> R<Val> {
        let args: &'s [Arg] = match args {
            Some(a) => &a[1..],
            None => &[],
        };
        let sig = callee.sig();
        let num_in = args.len() + usize::from(fin.is_some());
        let num_fixed = if sig.variadic.is_some() {
            let n = sig.params.len();
            if num_in < n {
                return Err(self.error(format!(
                    "wrong number of args for {name}: want at least {n} got {}",
                    args.len()
                )));
            }
            n
        } else {
            if num_in != sig.params.len() {
                return Err(self.error(format!(
                    "wrong number of args for {name}: want {} got {num_in}",
                    sig.params.len()
                )));
            }
            args.len()
        };

        if is_builtin && (name == "and" || name == "or") {
            let mut v = Val::invalid();
            for arg in args {
                v = self.eval_arg(dot, Some(&ParamType::Reflect), arg)?;
                if builtins::truth(&v.v) == (name == "or") {
                    return Ok(v);
                }
            }
            if let Some(f) = fin {
                v = self.validate_type(f, Some(&ParamType::Reflect))?;
            }
            return Ok(v);
        }

        let mut argv: Vec<Value> = Vec::with_capacity(num_in);
        let fixed = num_fixed.min(args.len());
        for (param, arg) in sig.params.iter().zip(&args[..fixed]) {
            argv.push(self.eval_arg(dot, Some(param), arg)?.v);
        }
        if let Some(vt) = &sig.variadic {
            for arg in &args[fixed..] {
                argv.push(self.eval_arg(dot, Some(vt), arg)?.v);
            }
        }
        if let Some(f) = fin {
            let t = match &sig.variadic {
                Some(vt) => {
                    if num_in - 1 < num_fixed {
                        &sig.params[num_in - 1]
                    } else {
                        vt
                    }
                }
                None => match sig.params.last() {
                    Some(t) => t,
                    None => &ParamType::Any,
                },
            };
            argv.push(self.validate_type(f, Some(t))?.v);
        }

        let result = match &callee {
            Callee::Builtin(b) => {
                let callee_name = if *b == Builtin::Call {
                    args.first()
                        .map(|a| a.to_string())
                        .unwrap_or_else(|| match argv.first() {
                            Some(Value::String(s)) => s.to_string(),
                            Some(v) => format!("<{} Value>", v.type_name()),
                            None => String::new(),
                        })
                } else {
                    String::new()
                };
                builtins::call_builtin(*b, argv, &callee_name)
            }
            Callee::Native(f) => {
                let mut ctx = CallContext {
                    scope: self.scope,
                    rt: &mut *self.rt,
                    funcs: self.funcs,
                    options: self.opts,
                };
                (f.imp)(&mut ctx, argv)
            }
            Callee::TypeMethod(recv, m) => (m.call)(recv, &argv),
            Callee::ObjectMethod(o, _) => o.call_method(name, &argv),
        };
        match result {
            Ok(v) => Ok(Val::plain(v)),
            Err(e) => {
                self.at(call_node);
                let msg = format!("error calling {name}: {}", e.message());
                Err(self.error_with(msg, Some(Box::new(e))))
            }
        }
    }

    fn validate_type(&mut self, value: Val, typ: Option<&ParamType>) -> R<Val> {
        let Some(typ) = typ else {
            return Ok(value);
        };
        if matches!(value.v, Value::Invalid) {
            if typ.can_be_nil() {
                return Ok(Val::plain(typ.nil_value()));
            }
            return Err(self.error(format!("invalid value; expected {typ}")));
        }
        if *typ == ParamType::Reflect {
            return Ok(value);
        }
        if matches!(value.v, Value::Nil) {
            if *typ == ParamType::Any {
                return Ok(Val::plain(Value::Nil));
            }
            return Err(self.error(format!(
                "wrong type for value; expected {typ}; got interface {{}}"
            )));
        }
        if typ.accepts(&value.v) {
            if let (ParamType::String, Value::ByteString(b)) = (typ, &value.v) {
                return Ok(Val::plain(Value::from(go_lossy(b))));
            }
            return Ok(Val::plain(value.v));
        }
        Err(self.error(format!(
            "wrong type for value; expected {typ}; got {}",
            value.v.type_name()
        )))
    }

    fn eval_arg(&mut self, dot: &Val, typ: Option<&ParamType>, n: &'s Arg) -> R<Val> {
        self.at(Cur::Arg(n));
        match n {
            Arg::Dot { .. } => return self.validate_type(dot.clone(), typ),
            Arg::Nil { .. } => {
                let t = typ.unwrap_or(&ParamType::Any);
                if t.can_be_nil() {
                    return Ok(Val::plain(t.nil_value()));
                }
                return Err(self.error(format!("cannot assign nil to {t}")));
            }
            Arg::Field { ident, .. } => {
                let v = self.eval_field_chain(
                    dot,
                    dot.clone(),
                    n,
                    ident,
                    Some(std::slice::from_ref(n)),
                    None,
                )?;
                return self.validate_type(v, typ);
            }
            Arg::Variable(_) => {
                let v = self.eval_variable_node(dot, n, None, None)?;
                return self.validate_type(v, typ);
            }
            Arg::Pipe(p) => {
                let v = grow(|| self.eval_pipeline(dot, p))?;
                return self.validate_type(v, typ);
            }
            Arg::Identifier { name, .. } => {
                let v = self.eval_function(dot, n, name, Cur::Arg(n), None, None)?;
                return self.validate_type(v, typ);
            }
            Arg::Chain(_) => {
                let v = self.eval_chain_node(dot, n, None, None)?;
                return self.validate_type(v, typ);
            }
            _ => {}
        }
        let typ = typ.unwrap_or(&ParamType::Any);
        match typ {
            ParamType::Bool => match n {
                Arg::Bool { value, .. } => Ok(Val::plain(Value::Bool(*value))),
                _ => Err(self.error(format!("expected bool; found {n}"))),
            },
            ParamType::Complex128 => match n {
                Arg::Number(num) if num.is_complex => {
                    Ok(Val::plain(Value::Complex(num.complex.0, num.complex.1)))
                }
                _ => Err(self.error(format!("expected complex; found {n}"))),
            },
            ParamType::Float64 => match n {
                Arg::Number(num) if num.is_float => Ok(Val::plain(Value::Float(num.float64))),
                _ => Err(self.error(format!("expected float; found {n}"))),
            },
            ParamType::Int(k) => match n {
                Arg::Number(num) if num.is_int => {
                    Ok(Val::plain(Value::Int(truncate_int(num.int64, *k), *k)))
                }
                _ => Err(self.error(format!("expected integer; found {n}"))),
            },
            ParamType::Uint(k) => match n {
                Arg::Number(num) if num.is_uint => {
                    Ok(Val::plain(Value::Uint(truncate_uint(num.uint64, *k), *k)))
                }
                _ => Err(self.error(format!("expected unsigned integer; found {n}"))),
            },
            ParamType::String | ParamType::RawString => match n {
                Arg::String { literal, .. } => Ok(Val::plain(if *typ == ParamType::String {
                    Value::String(literal.text.clone())
                } else {
                    string_literal(&literal.text, literal.raw.as_deref())
                })),
                _ => Err(self.error(format!("expected string; found {n}"))),
            },
            ParamType::Any | ParamType::Reflect => self.eval_empty_interface(n),
            other => Err(self.error(format!("can't handle {n} for arg of type {other}"))),
        }
    }

    fn eval_empty_interface(&mut self, n: &'s Arg) -> R<Val> {
        self.at(Cur::Arg(n));
        match n {
            Arg::Bool { value, .. } => Ok(Val::plain(Value::Bool(*value))),
            Arg::Number(num) => self.ideal_constant(n, num),
            Arg::String { literal, .. } => Ok(Val::plain(string_literal(
                &literal.text,
                literal.raw.as_deref(),
            ))),
            _ => Err(self.error(format!(
                "can't handle assignment of {n} to empty interface argument"
            ))),
        }
    }
}

/// Runs `f` on a fresh stack segment when the current one is nearly used up, so deeply
/// nested templates recurse on the heap instead of overflowing.
fn grow<T>(f: impl FnOnce() -> T) -> T {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, f)
}

/// The value of a string literal: its text, or its bytes when they are not UTF-8.
fn string_literal(text: &Str, raw: Option<&[u8]>) -> Value {
    match raw {
        Some(bytes) => Value::ByteString(std::sync::Arc::from(bytes)),
        None => Value::String(text.clone()),
    }
}

/// Go's `reflect.Value.SetInt` on a narrower type: two's-complement truncation.
fn truncate_int(v: i64, k: IntKind) -> i64 {
    match k {
        IntKind::Int8 => i64::from(v as i8),
        IntKind::Int16 => i64::from(v as i16),
        IntKind::Int32 => i64::from(v as i32),
        IntKind::Int | IntKind::Int64 => v,
    }
}

fn truncate_uint(v: u64, k: UintKind) -> u64 {
    match k {
        UintKind::Uint8 => u64::from(v as u8),
        UintKind::Uint16 => u64::from(v as u16),
        UintKind::Uint32 => u64::from(v as u32),
        _ => v,
    }
}
