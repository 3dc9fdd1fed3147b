//! Helm's engine-bound template functions (`pkg/engine/engine.go` of Helm v4.3.1):
//! `include`, `tpl`, `required` and `fail`.
//!
//! - `include NAME DATA` runs a named template and returns its output as a string. Helm
//!   counts nested includes per name for the whole render and fails once a name is already
//!   nested more than 1000 deep: `rendering template has a nested reference name: NAME:
//!   unable to execute template`.
//! - `tpl TEXT DATA` parses TEXT as a template named `gotpl` (Helm reuses its root template's
//!   name) in a copy of the current template set, so definitions inside TEXT are visible to
//!   `include` within it but not outside, runs it with DATA, and removes `<no value>` from
//!   the output. Errors: `cannot parse template "TEXT": ERR` and
//!   `error during tpl function execution for "TEXT": ERR`. Unlike Helm, `tpl` nested more
//!   than [`TPL_NESTING_MAX`] deep fails instead of exhausting the stack.
//! - `required MSG VAL` fails with `HELM_ERR_START` MSG `HELM_ERR_END` when VAL is nil or
//!   the empty string (returns `""` in lint mode), else returns VAL.
//! - `fail MSG` fails with `HELM_ERR_START` MSG `HELM_ERR_END` (returns `""` in lint mode).
//!
//! Helm's execution-error formatter extracts the text between the markers (see
//! [`crate::template::helm_exec_error_message`]).

use std::collections::HashMap;
use std::sync::Arc;

use super::{CallContext, FuncMap, ParamType, Signature};
use crate::template::error::FuncError;
use crate::template::exec::{self, Scope};
use crate::template::gofmt::go_quote;
use crate::template::parse::{self, Tree, is_empty_tree};
use crate::template::value::{Str, Value};

/// Start marker Helm wraps around `required`/`fail` messages.
pub const WARN_START: &str = "HELM_ERR_START";
/// End marker Helm wraps around `required`/`fail` messages.
pub const WARN_END: &str = "HELM_ERR_END";
/// Helm's limit on nested `include`s of one template name (`recursionMaxNums`).
pub const INCLUDE_RECURSION_MAX: usize = 1000;
/// Nesting limit for `tpl` inside `tpl`. Helm has none (Go eventually crashes on stack
/// exhaustion); real charts nest a few levels at most.
pub const TPL_NESTING_MAX: usize = 1000;
/// Name Helm gives the template parsed by `tpl` (its root template's name).
pub const TPL_TEMPLATE_NAME: &str = "gotpl";

/// Registers `include`, `tpl`, `required` and `fail` with Helm's signatures.
pub fn register(funcs: &mut FuncMap) {
    funcs.register(
        "include",
        Signature::new([ParamType::String, ParamType::Any]),
        include,
    );
    funcs.register(
        "tpl",
        Signature::new([ParamType::String, ParamType::Any]),
        tpl,
    );
    funcs.register(
        "required",
        Signature::new([ParamType::String, ParamType::Any]),
        required,
    );
    funcs.register("fail", Signature::new([ParamType::String]), fail);
}

fn str_arg(args: &[Value], i: usize) -> String {
    args.get(i)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn include(ctx: &mut CallContext<'_, '_>, args: Vec<Value>) -> Result<Value, FuncError> {
    let name = str_arg(&args, 0);
    let data = args.into_iter().nth(1).unwrap_or(Value::Nil);
    let key = format!("include\u{0}{name}");
    {
        let count = ctx.counter(&key);
        if *count > INCLUDE_RECURSION_MAX {
            return Err(FuncError::new(format!(
                "rendering template has a nested reference name: {name}: unable to execute template"
            )));
        }
        *count += 1;
    }
    let result = ctx.execute_template(&name, data);
    *ctx.counter(&key) -= 1;
    match result {
        Ok(s) => Ok(Value::from_go_bytes(s)),
        Err(e) => Err(FuncError::from_template(e)),
    }
}

fn tpl(ctx: &mut CallContext<'_, '_>, args: Vec<Value>) -> Result<Value, FuncError> {
    let depth = ctx.counter("tpl\u{0}");
    if *depth >= TPL_NESTING_MAX {
        return Err(FuncError::new(format!(
            "tpl calls nested more than {TPL_NESTING_MAX} levels deep"
        )));
    }
    *depth += 1;
    let result = tpl_inner(ctx, args);
    *ctx.counter("tpl\u{0}") -= 1;
    result
}

fn tpl_inner(ctx: &mut CallContext<'_, '_>, args: Vec<Value>) -> Result<Value, FuncError> {
    let text = str_arg(&args, 0);
    let data = args.into_iter().nth(1).unwrap_or(Value::Nil);
    let funcs = ctx.funcs;
    let has_function = |n: &str| funcs.is_defined(n);
    let source = Arc::from(text.as_bytes());
    let mut interner = parse::Interner::default();
    let trees = match parse::parse(TPL_TEMPLATE_NAME, source, &has_function, &mut interner) {
        Ok(t) => t,
        Err(e) => {
            return Err(FuncError::wrapping(
                format!("cannot parse template {}: {}", go_quote(&text), e),
                e,
            ));
        }
    };
    // Go's AddParseTree into the cloned set: the tpl body always replaces "gotpl"; an empty
    // definition does not replace an existing one.
    let mut local: HashMap<Str, Arc<Tree>> = HashMap::new();
    for (i, tree) in trees.into_iter().enumerate() {
        if i > 0 && is_empty_tree(&tree.root) && ctx.scope.lookup(&tree.name).is_some() {
            continue;
        }
        local.insert(tree.name.clone(), Arc::new(tree));
    }
    let scope = Scope {
        templates: &local,
        parent: Some(ctx.scope),
        root_name: ctx.scope.root_name,
    };
    let result = exec::execute_in(
        &scope,
        ctx.rt,
        ctx.funcs,
        ctx.options,
        TPL_TEMPLATE_NAME,
        data,
    );
    match result {
        Ok(s) => Ok(Value::from_go_bytes(crate::template::strip_no_value(s))),
        Err(e) => Err(FuncError::wrapping(
            format!(
                "error during tpl function execution for {}: {}",
                go_quote(&text),
                e
            ),
            e,
        )),
    }
}

fn warn_wrap(msg: &str) -> String {
    format!("{WARN_START}{msg}{WARN_END}")
}

fn required(ctx: &mut CallContext<'_, '_>, args: Vec<Value>) -> Result<Value, FuncError> {
    let warn = str_arg(&args, 0);
    let val = args.into_iter().nth(1).unwrap_or(Value::Nil);
    // A string that is not UTF-8 is never empty.
    let missing = match &val {
        Value::Nil | Value::Invalid => true,
        Value::String(s) => s.is_empty(),
        _ => false,
    };
    if missing {
        if ctx.options().lint_mode {
            return Ok(Value::from(""));
        }
        return Err(FuncError::new(warn_wrap(&warn)));
    }
    Ok(val)
}

fn fail(ctx: &mut CallContext<'_, '_>, args: Vec<Value>) -> Result<Value, FuncError> {
    let msg = str_arg(&args, 0);
    if ctx.options().lint_mode {
        return Ok(Value::from(""));
    }
    Err(FuncError::new(warn_wrap(&msg)))
}
