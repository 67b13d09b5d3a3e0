//! Turning Rhai errors into [`ScenarioError`]s and [`HookFault`]s with file positions and
//! messages a transport author can act on.

use rhai::{Dynamic, EvalAltResult, Position};
use spoolscope_contract::scenario::ScriptSource;
use spoolscope_contract::{Pos, ScenarioError};
use spoolscope_engine::transport::HookFault;

use crate::compile::{Hook, HookKind};
use crate::host::RunBudgetSpent;
use crate::limits;
use crate::message::Recipient;

/// Where a transport's script sits in the scenario file.
pub(crate) struct Site<'a> {
    pub transport: &'a str,
    pub source: &'a ScriptSource,
    /// Where the transport is declared: the fallback when the script's own position is unknown.
    pub transport_pos: Pos,
}

impl Site<'_> {
    /// The file position of a script position. Without an origin (JSON input) the transport's
    /// position stands in and the returned note names the line and column inside the script.
    fn locate(&self, p: Position) -> (Pos, String) {
        let Some(line) = p.line() else {
            return (self.transport_pos, String::new());
        };
        let line = u32::try_from(line).unwrap_or(u32::MAX);
        let col = u32::try_from(p.position().unwrap_or(1)).unwrap_or(u32::MAX);
        match self.source.file_pos(line, col) {
            Some(pos) => (pos, String::new()),
            None => (
                self.transport_pos,
                format!(" (script line {line}, column {col})"),
            ),
        }
    }

    pub fn scenario_error(&self, p: Position, what: &str) -> ScenarioError {
        let (pos, note) = self.locate(p);
        ScenarioError::new(pos, format!("transport {:?}: {what}{note}", self.transport))
    }

    pub fn hook_fault(&self, p: Position, what: &str) -> HookFault {
        let (pos, note) = self.locate(p);
        HookFault {
            pos: Some(pos),
            message: format!("transport {:?}: {what}{note}", self.transport),
        }
    }
}

/// A failed hook call as a [`HookFault`]: the innermost error's message and position.
///
/// `limit_in_notify` says a resource limit was hit in a `transport_notify` delivered during
/// `elapse()` (such an error carries no function frame of its own).
pub(crate) fn runtime_fault(
    site: &Site,
    hook: &Hook,
    err: Box<EvalAltResult>,
    limit_in_notify: bool,
) -> HookFault {
    // Function-call frames wrap the error that happened inside them; unwrap to the innermost,
    // keeping the deepest position seen and the names of the functions passed through.
    let mut frames: Vec<String> = Vec::new();
    let mut pos = Position::NONE;
    let mut cur = err;
    let inner = loop {
        cur = match *cur {
            EvalAltResult::ErrorInFunctionCall(name, _source, inner, p) => {
                if !p.is_none() {
                    pos = p;
                }
                // The hook itself shows up as a frame when it is called as a function.
                if !(frames.is_empty() && name == hook.name.as_str()) {
                    frames.push(name);
                }
                inner
            }
            other => break other,
        };
    };
    if !inner.position().is_none() {
        pos = inner.position();
    }
    if pos.is_none() {
        pos = hook.pos;
    }

    let mut place = format!("in {}", hook.name);
    if limit_in_notify && hook.kind != HookKind::Notify {
        place.push_str(" → transport_notify (delivered during elapse)");
    }
    for f in &frames {
        if f == HookKind::Notify.name() && hook.kind != HookKind::Notify {
            place.push_str(" → transport_notify (delivered during elapse)");
        } else {
            place.push_str(&format!(" → {f}()"));
        }
    }
    site.hook_fault(pos, &format!("{place}: {}", error_message(inner)))
}

/// The message of one (innermost) Rhai error, without Rhai's position suffix.
fn error_message(err: EvalAltResult) -> String {
    match err {
        EvalAltResult::ErrorTooManyOperations(_) => format!(
            "the script ran more than {} operations in one call — an endless loop?",
            thousands(limits::MAX_OPERATIONS_PER_CALL)
        ),
        EvalAltResult::ErrorTerminated(token, _) if token.is::<RunBudgetSpent>() => format!(
            "the scripts of this run have used up their budget of {} operations — an endless \
             loop across calls?",
            thousands(token.try_cast::<RunBudgetSpent>().map_or(0, |b| b.0))
        ),
        EvalAltResult::ErrorStackOverflow(_) => {
            format!(
                "call depth limit {} — runaway recursion?",
                limits::MAX_CALL_LEVELS
            )
        }
        EvalAltResult::ErrorDataTooLarge(what, _) => match what.as_str() {
            "Length of string" => format!(
                "a string grew beyond {} bytes (the strings held in one array or map count \
                 together)",
                thousands(limits::MAX_STRING_BYTES as u64)
            ),
            "Size of array/BLOB" => format!(
                "an array grew beyond {} elements (nested arrays count together)",
                thousands(limits::MAX_ARRAY_LEN as u64)
            ),
            "Size of object map" => format!(
                "an object map grew beyond {} entries (nested maps count together)",
                thousands(limits::MAX_MAP_LEN as u64)
            ),
            other => format!("{other} exceeds its limit"),
        },
        EvalAltResult::ErrorRuntime(value, _) if value.is_unit() => {
            "the script threw an exception (throw without a value)".to_string()
        }
        EvalAltResult::ErrorRuntime(value, _) => value.to_string(),
        EvalAltResult::ErrorFunctionNotFound(signature, _) => function_not_found(&signature),
        EvalAltResult::ErrorPropertyNotFound(prop, _) => format!(
            "property {prop:?} not found (use m.get({prop:?}) to read a property that may be missing)"
        ),
        mut other => {
            other.set_position(Position::NONE);
            other.to_string()
        }
    }
}

fn function_not_found(signature: &str) -> String {
    // Rhai spells a string parameter as every Rust type that may stand for it.
    let signature = &signature.replace("&str | ImmutableString | String", "string");
    let name = signature.split([' ', '(']).next().unwrap_or(signature);
    if let Some(prop) = name.strip_prefix("get$") {
        if signature.contains("Recipient") {
            return crate::message::unknown_property_message(prop);
        }
    }
    let usage = crate::HOST_FUNCTIONS
        .iter()
        .find(|usage| usage.split('(').next() == Some(name));
    let in_library = crate::stdlib::in_library(name);
    match usage {
        Some(usage) => format!("no function matches {signature}; the host function is {usage}"),
        None if in_library || name.starts_with("get$") || name.starts_with("set$") => {
            format!("function not found: {signature}")
        }
        // Most likely a Rhai library function Spoolscope does not load (stdlib.rs).
        None => format!(
            "function not found: {signature}. Besides operators, print, debug and to_string, scripts have these library functions: {}",
            crate::stdlib::library_summary()
        ),
    }
}

/// A value as an error message names it.
pub(crate) fn describe_value(v: &Dynamic) -> String {
    if v.is_unit() {
        "()".to_string()
    } else if v.is_string() {
        format!("the string {:?}", v.to_string())
    } else if v.is_int() || v.is_bool() {
        v.to_string()
    } else if v.is_float() {
        format!("{v} (a float)")
    } else if v.is::<Recipient>() {
        "a recipient".to_string()
    } else if v.is_map() {
        "an object map".to_string()
    } else if v.is_array() {
        "an array".to_string()
    } else {
        format!("a value of type {}", v.type_name())
    }
}

/// `2000000` → `2,000,000`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let head = match digits.len() % 3 {
        0 => 3.min(digits.len()),
        k => k,
    };
    let mut out = digits[..head].to_string();
    let mut rest = &digits[head..];
    while !rest.is_empty() {
        out.push(',');
        out.push_str(&rest[..3]);
        rest = &rest[3..];
    }
    out
}

/// The `u32` bit pattern of a returned HRESULT or flags value: `0..=u32::MAX` as is, negative
/// values as their 32-bit two's complement (`-2147221237` = `0x8004010B`).
pub(crate) fn u32_bits(v: i64) -> Option<u32> {
    u32::try_from(v)
        .ok()
        .or_else(|| i32::try_from(v).ok().map(|x| x as u32))
}
