//! Errors of the template engine, with Go's exact messages.
//!
//! Go's `text/template` errors are chains (`errors.Unwrap`); Helm's engine walks that chain to
//! build its multi-line execution error. [`TemplateError::go_chain`] reproduces the chain's
//! messages so callers can do the same without re-parsing.

/// A template parse or execution failure. `Display` is exactly Go's `err.Error()`.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TemplateError {
    /// A parse failure: `template: NAME:LINE: MESSAGE` (from `text/template/parse`).
    #[error("{message}")]
    Parse {
        /// Name of the template being parsed.
        template: String,
        /// Go's full message.
        message: String,
    },
    /// An execution failure (Go's `template.ExecError`):
    /// `template: NAME:LINE:COL: executing "NAME" at <NODE>: MESSAGE`.
    #[error("{message}")]
    Exec {
        /// Name of the template that was executing (`ExecError.Name`).
        template: String,
        /// Go's full message.
        message: String,
        /// The function error wrapped with `%w` (`error calling F: …`), if any.
        cause: Option<Box<FuncError>>,
    },
    /// `ExecuteTemplate` with a name that is not defined:
    /// `template: no template "X" associated with template "Y"`.
    #[error("{message}")]
    NoTemplate {
        /// The name asked for.
        name: String,
        /// Go's full message.
        message: String,
    },
}

impl TemplateError {
    /// Go's full message (same as `Display`).
    pub fn message(&self) -> &str {
        match self {
            TemplateError::Parse { message, .. }
            | TemplateError::Exec { message, .. }
            | TemplateError::NoTemplate { message, .. } => message,
        }
    }

    /// Whether Go would report this error as a `template.ExecError`.
    pub fn is_exec_error(&self) -> bool {
        matches!(self, TemplateError::Exec { .. })
    }

    /// The messages of Go's `errors.Unwrap` chain, starting with this error.
    ///
    /// An `ExecError` unwraps to its inner error, which carries the same text; a
    /// `%w`-wrapped function error then continues the chain (for `include`, that is the
    /// included template's `ExecError`).
    pub fn go_chain(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.push_chain(&mut out);
        out
    }

    fn push_chain<'e>(&'e self, out: &mut Vec<&'e str>) {
        match self {
            TemplateError::Exec { message, cause, .. } => {
                out.push(message);
                out.push(message);
                if let Some(cause) = cause {
                    cause.push_chain(out);
                }
            }
            other => out.push(other.message()),
        }
    }
}

/// The error a template function (or method) returns; Go reports it as
/// `error calling NAME: MESSAGE` and keeps it in the error chain.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", self.message())]
pub struct FuncError {
    repr: FuncErrorRepr,
}

#[derive(Debug, Clone)]
enum FuncErrorRepr {
    /// `errors.New(message)` (or a panic value).
    Plain(String),
    /// A template error returned unchanged (Helm's `include`).
    Template(Box<TemplateError>),
    /// `fmt.Errorf("…%w", err)`: own text, wrapping a template error (Helm's `tpl`).
    Wrapping(String, Box<TemplateError>),
}

impl FuncError {
    /// A plain error (`errors.New(message)`).
    pub fn new(message: impl Into<String>) -> FuncError {
        FuncError {
            repr: FuncErrorRepr::Plain(message.into()),
        }
    }

    /// The template error itself, returned unchanged (as Helm's `include` does).
    pub fn from_template(err: TemplateError) -> FuncError {
        FuncError {
            repr: FuncErrorRepr::Template(Box::new(err)),
        }
    }

    /// A new error whose text is `message` and which wraps `err` (`fmt.Errorf("…%w", err)`).
    pub fn wrapping(message: impl Into<String>, err: TemplateError) -> FuncError {
        FuncError {
            repr: FuncErrorRepr::Wrapping(message.into(), Box::new(err)),
        }
    }

    /// The error text (`err.Error()` in Go).
    pub fn message(&self) -> &str {
        match &self.repr {
            FuncErrorRepr::Plain(m) | FuncErrorRepr::Wrapping(m, _) => m,
            FuncErrorRepr::Template(t) => t.message(),
        }
    }

    /// The wrapped template error, if any.
    pub fn wrapped(&self) -> Option<&TemplateError> {
        match &self.repr {
            FuncErrorRepr::Plain(_) => None,
            FuncErrorRepr::Template(t) | FuncErrorRepr::Wrapping(_, t) => Some(t),
        }
    }

    fn push_chain<'e>(&'e self, out: &mut Vec<&'e str>) {
        match &self.repr {
            FuncErrorRepr::Plain(m) => out.push(m),
            FuncErrorRepr::Template(t) => t.push_chain(out),
            FuncErrorRepr::Wrapping(m, t) => {
                out.push(m);
                t.push_chain(out);
            }
        }
    }
}
