//! Compiling a transport script into its hooks, and running a hook.
//!
//! # Why a hook runs as top-level statements
//!
//! Rhai reports a resource-limit error (too many operations, call depth, data too large) at the
//! position of the *call* of the script function it happened in, not where it happened; called
//! from Rust, that position is "none". An endless `loop {}` in `submit_message` would therefore
//! be reported without a line. Statements evaluated at the top level keep their positions, so
//! each hook's body is also compiled as a stand-alone top-level program over the same text:
//! every character outside the body is blanked to a space (newlines kept), so line and column
//! numbers stay exactly those of the script. The hook then runs as that program, with its
//! parameters in the scope and the script's functions as its library. The body's braces come
//! from Rhai's own parse, so no second parser is involved; if anything does not line up (or the
//! position is beyond what Rhai's 16-bit positions can express) the hook is simply called as a
//! function instead, with coarser positions for limit errors.
//!
//! A limit error inside a helper function called by a hook is still reported at the call of the
//! helper in the hook body.

use std::rc::Rc;

use rhai::{
    CallFnOptions, Dynamic, Engine, EvalAltResult, ImmutableString, NativeCallContext, Position,
    Scope, ScriptFuncDef, AST,
};
use spoolscope_contract::ScenarioError;

use crate::fault::Site;
use crate::host::RunShared;

/// The three hooks of contract §2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HookKind {
    Submit,
    End,
    Notify,
}

impl HookKind {
    const ALL: [HookKind; 3] = [HookKind::Submit, HookKind::End, HookKind::Notify];

    pub fn name(self) -> &'static str {
        match self {
            HookKind::Submit => "submit_message",
            HookKind::End => "end_message",
            HookKind::Notify => "transport_notify",
        }
    }

    fn params(self) -> &'static str {
        match self {
            HookKind::Submit | HookKind::End => "msg",
            HookKind::Notify => "flags, msg",
        }
    }

    fn arity(self) -> usize {
        match self {
            HookKind::Submit | HookKind::End => 1,
            HookKind::Notify => 2,
        }
    }

    fn of_name(name: &str) -> Option<HookKind> {
        HookKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// A hook the script defines.
pub(crate) struct Hook {
    pub kind: HookKind,
    pub name: ImmutableString,
    /// Parameter names as the script spells them (bound in the scope of `body`).
    params: Vec<ImmutableString>,
    /// The body as a top-level program (module docs); `None` = call the function.
    pub(crate) body: Option<AST>,
    /// The function's position: its `fn` keyword when found, else its opening brace.
    pub pos: Position,
}

/// A compiled script: the program and the hooks it defines.
pub(crate) struct Compiled {
    pub ast: AST,
    pub submit: Option<Rc<Hook>>,
    pub end: Option<Rc<Hook>>,
    pub notify: Option<Rc<Hook>>,
}

/// Compiles `site.source`: syntax (with strict variables), no top-level code, hook arities.
pub(crate) fn compile(
    engine: &Engine,
    run: &RunShared,
    site: &Site,
) -> Result<Compiled, ScenarioError> {
    let text = site.source.text.as_str();
    let ast = engine
        .compile_with_scope(&run.constants_scope, text)
        .map_err(|e| site.scenario_error(e.position(), &syntax_message(e.err_type())))?;

    if let Some(stmt) = ast.statements().first() {
        return Err(site.scenario_error(
            stmt.position(),
            "code outside a function is never run; put it inside a hook: \
             submit_message(msg), end_message(msg) or transport_notify(flags, msg)",
        ));
    }

    let mut compiled = Compiled {
        ast: AST::empty(),
        submit: None,
        end: None,
        notify: None,
    };
    for f in ast.iter_fn_def() {
        let Some(kind) = HookKind::of_name(&f.name) else {
            continue;
        };
        let pos = fn_position(text, &f.name, f.body.start_position());
        if f.params.len() != kind.arity() {
            return Err(site.scenario_error(
                pos,
                &format!(
                    "{}({}) takes {} parameter{}; this definition has {}",
                    kind.name(),
                    kind.params(),
                    kind.arity(),
                    if kind.arity() == 1 { "" } else { "s" },
                    f.params.len()
                ),
            ));
        }
        let hook = Rc::new(Hook {
            kind,
            name: f.name.clone(),
            params: f.params.to_vec(),
            body: top_level_body(engine, run, &ast, text, f),
            pos,
        });
        match kind {
            HookKind::Submit => compiled.submit = Some(hook),
            HookKind::End => compiled.end = Some(hook),
            HookKind::Notify => compiled.notify = Some(hook),
        }
    }
    compiled.ast = ast;
    Ok(compiled)
}

fn syntax_message(err: &rhai::ParseErrorType) -> String {
    match err {
        rhai::ParseErrorType::VariableUndefined(name) => format!(
            "script error: undefined variable `{name}` (a hook sees its parameters, its own \
             variables and the MAPI constants; variables outside a function are not visible)"
        ),
        other => format!("script syntax error: {other}"),
    }
}

/// Runs a hook from Rust (the start of a `Transport` call).
pub(crate) fn run_top(
    engine: &Engine,
    ast: &AST,
    hook: &Hook,
    args: Vec<Dynamic>,
) -> Result<Dynamic, Box<EvalAltResult>> {
    match &hook.body {
        Some(body) => engine.eval_ast_with_scope::<Dynamic>(&mut hook.scope(args), body),
        None => engine.call_fn_with_options::<Dynamic>(
            CallFnOptions::new().eval_ast(false),
            &mut Scope::new(),
            ast,
            hook.name.as_str(),
            args,
        ),
    }
}

/// Runs a hook from inside a host function (`transport_notify` delivered during `elapse`).
pub(crate) fn run_nested(
    ctx: &NativeCallContext,
    hook: &Hook,
    args: Vec<Dynamic>,
) -> Result<Dynamic, Box<EvalAltResult>> {
    match &hook.body {
        Some(body) => ctx
            .engine()
            .eval_ast_with_scope::<Dynamic>(&mut hook.scope(args), body),
        None => ctx.call_fn::<Dynamic>(hook.name.as_str(), args),
    }
}

impl Hook {
    fn scope(&self, args: Vec<Dynamic>) -> Scope<'static> {
        let mut scope = Scope::new();
        for (name, value) in self.params.iter().zip(args) {
            scope.push_dynamic(name.as_str(), value);
        }
        scope
    }
}

/// The body of `f` as a top-level program over the same text (module docs), or `None`.
fn top_level_body(
    engine: &Engine,
    run: &RunShared,
    ast: &AST,
    text: &str,
    f: &ScriptFuncDef,
) -> Option<AST> {
    let open = offset_of(text, f.body.start_position())?;
    let close = offset_of(text, f.body.end_position())?;
    if close <= open || !text[open..].starts_with('{') || !text[close..].starts_with('}') {
        return None;
    }
    let blanked: String = text
        .char_indices()
        .map(|(i, c)| {
            if (i > open && i < close) || c == '\n' || c == '\r' {
                c
            } else {
                ' '
            }
        })
        .collect();
    let mut scope = run.constants_scope.clone();
    for p in &f.params {
        scope.push_dynamic(p.as_str(), Dynamic::UNIT);
    }
    let body = engine.compile_with_scope(&scope, &blanked).ok()?;
    if body.has_functions() {
        return None;
    }
    Some(ast.clone_functions_only().merge(&body))
}

/// Byte offset of a Rhai position (1-based line, 1-based column counting characters).
fn offset_of(text: &str, pos: Position) -> Option<usize> {
    let line = pos.line()?;
    let col = pos.position()?;
    // Rhai's positions saturate at u16::MAX: beyond that they do not say where they are.
    if line >= usize::from(u16::MAX) || col >= usize::from(u16::MAX) {
        return None;
    }
    let mut start = 0usize;
    for _ in 1..line {
        start += text[start..].find('\n')? + 1;
    }
    let line_text = &text[start..];
    let line_text = &line_text[..line_text.find('\n').unwrap_or(line_text.len())];
    let (i, _) = line_text.char_indices().nth(col - 1)?;
    Some(start + i)
}

/// The Rhai position of byte `offset`, if Rhai's 16-bit positions can express it.
fn position_at(text: &str, offset: usize) -> Option<Position> {
    let p = spoolscope_contract::Pos::of_offset(text, offset);
    let line = u16::try_from(p.line).ok()?;
    let col = u16::try_from(p.col).ok()?;
    (line > 0).then(|| Position::new(line, col))
}

/// The position of `fn NAME` before the body's opening brace, else the brace itself.
fn fn_position(text: &str, name: &str, brace: Position) -> Position {
    let found = offset_of(text, brace).and_then(|open| {
        let before = &text[..open];
        let at_name = before.rfind(name)?;
        let head = before[..at_name].trim_end();
        head.ends_with("fn").then(|| head.len() - 2)
    });
    found
        .and_then(|off| position_at(text, off))
        .unwrap_or(brace)
}
