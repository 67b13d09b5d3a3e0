//! Transport provider behaviour written as sandboxed Rhai scripts (contract §2).
//!
//! A scenario's `[[transport]]` may carry a `script` defining any of the hooks
//! `submit_message(msg)`, `end_message(msg)` and `transport_notify(flags, msg)`. This crate
//! compiles each script once ([`build_transports`]) into a [`ScriptTransport`], which implements
//! the engine's [`Transport`] trait: the engine calls it the way the spooler calls `IXPLogon`,
//! and the script answers through host functions (`accept`, `fail`, `elapse`, …) that forward to
//! the engine's [`Support`], the way a real transport
//! calls `IMAPISupport`.
//!
//! **Boundaries.** This crate does no IO and knows no UI: no files, no stdout (`print` and
//! `debug` become trace notes), no wall clock and no thread RNG (`now()` and `rand()` come from
//! the engine, which owns virtual time and the scenario seed). It depends only on the contract
//! and on the engine's transport boundary; the engine knows nothing about Rhai.
//!
//! **Key design choices.**
//! - Sandboxing is Rhai's: per-call and run-wide operation budgets, call depth, expression
//!   depth, string/array/map size limits ([`limits`]), no `eval`, no modules. Every failure is a
//!   [`HookFault`] or [`ScenarioError`] with a line and column in the *scenario file* and a
//!   message naming the limit, never a panic or a frozen page.
//! - Hooks run as top-level statements rather than as function calls (see `compile.rs`), because
//!   Rhai reports a limit error inside a function at the position of the call, which from Rust
//!   is no position at all.
//! - A script is strict: undefined variables are compile errors, reading a missing map property
//!   is a runtime error, and code outside a function is rejected (it would never run).
//! - `msg` is an object map built per call; its recipients are read-only `Recipient` values built
//!   once per message and shared by all transports (see `message.rs` for why not maps).
//! - The MAPI constants live in a global module, found by name at run time. Rhai is built with
//!   `no_optimize` and without the blob functions (`host::ScriptPackage`): the script engine
//!   is most of the page's download.
//!
//! Scripting semantics beyond Rhai's own, as a transport author sees them:
//! - A hook that is not defined has the default of contract §2 (accept every offered recipient
//!   and return `S_OK`; end flags `0`; ignore notifications).
//! - `submit_message` must return an integer HRESULT and `end_message` integer flags; a
//!   negative 32-bit value is taken as its bit pattern. Anything else is a fault.
//! - `elapse(s)` delivers each `TransportNotify` that falls due to `transport_notify`
//!   re-entrantly before it returns. `elapse` is refused inside `transport_notify`, so that
//!   notifications cannot nest without bound.
//! - A recipient argument (`accept(r)` …) may be a recipient, its index, or a map with an
//!   integer `index`. Seconds may be integers or floats, finite and not negative.

mod compile;
mod constants;
mod fault;
mod host;
mod message;
pub mod stdlib;

#[cfg(test)]
mod tests;

use std::fmt;
use std::rc::Rc;

use rhai::{Dynamic, Engine, AST};
use spoolscope_contract::scenario::{ScriptSource, TransportSpec};
use spoolscope_contract::{Pos, Scenario, ScenarioError};
use spoolscope_engine::transport::{AcceptAll, HookFault, MsgView, Support, Transport};

use crate::compile::{Compiled, Hook, HookKind};
use crate::fault::{describe_value, Site};
use crate::host::{HostState, RunShared};

pub use crate::constants::{script_constants, MODEL_ONLY_FLAGS};
pub use crate::message::Recipient;

/// The sandbox limits every script runs under.
pub mod limits {
    /// Rhai operations one hook call may use (a `transport_notify` delivered during `elapse`
    /// gets its own allowance). About 50 ms of script time natively in a release build, 100–200 ms
    /// in the page (the browser test `web/tests/hostile-scripts.test.mjs` prints it).
    pub const MAX_OPERATIONS_PER_CALL: u64 = 1_000_000;
    /// Rhai operations all hooks of all transports of one run may use together: stops a script
    /// that never ends because it keeps asking to be called again (`END_RESEND_NOW` forever).
    /// Every hostile script then ends within a second in the page; the largest built-in preset
    /// and scenario use under 2,500,000.
    pub const MAX_OPERATIONS_PER_RUN: u64 = 4_000_000;
    /// Nested script function calls.
    pub const MAX_CALL_LEVELS: usize = 32;
    /// Expression nesting at the top level and inside functions (parse-time).
    pub const MAX_EXPR_DEPTH: usize = 64;
    pub const MAX_FUNCTION_EXPR_DEPTH: usize = 32;
    /// Bytes of string held by one value. Rhai adds up the strings inside an array or map, so
    /// this also bounds a list of collected addresses (about 30,000 typical ones).
    pub const MAX_STRING_BYTES: usize = 1 << 20;
    /// Elements of one array, nested arrays included: holds `msg.all_recipients` of the
    /// largest scenario (`MAX_RECIPIENTS` = 100,000).
    ///
    /// With any size limit set Rhai re-measures a whole array on every method call on it and
    /// every change to it; the vendored Rhai charges one operation per
    /// [`rhai::ELEMENTS_PER_OPERATION`] (32) elements measured (vendor/README.md), so that cost
    /// stays within the operation limits: one call can push about 7,500 values onto one array
    /// (MODELLING 25). In a message of more than 50,000 recipients, calls on `msg` as a whole
    /// (`msg.keys()`, `msg.note = 1`) count both recipient arrays and can exceed the limit.
    pub const MAX_ARRAY_LEN: usize = 100_000;
    /// Entries of one object map, nested maps included (a map keyed by address for every
    /// recipient fits).
    pub const MAX_MAP_LEN: usize = 100_000;
}

/// Host functions scripts may call (contract §2), with their parameters.
pub const HOST_FUNCTIONS: &[&str] = &[
    "accept(r)",
    "deliver(r)",
    "fail(r, reason, diag, text)",
    "decline(r)",
    "set_reference(n)",
    "retry_after(s)",
    "elapse(s)",
    "cancelled()",
    "notify_sent_deferred(s)",
    "log(text)",
    "now()",
    "rand()",
];

/// One [`Transport`] per `scenario.transports` entry, in order: a [`ScriptTransport`] for a
/// transport with a script, [`AcceptAll`] for one without.
///
/// Each script is compiled once. The transports share one run-wide operation budget and one
/// recipient cache, so build a fresh set for every run. A script that does not compile is a
/// [`ScenarioError`] at its position in the scenario file, naming the transport.
pub fn build_transports(scenario: &Scenario) -> Result<Vec<Box<dyn Transport>>, ScenarioError> {
    let run = Rc::new(RunShared::new(limits::MAX_OPERATIONS_PER_RUN));
    scenario
        .transports
        .iter()
        .map(
            |spec: &TransportSpec| -> Result<Box<dyn Transport>, ScenarioError> {
                Ok(match &spec.script {
                    Some(source) => Box::new(ScriptTransport::with_run(
                        &spec.name,
                        source,
                        spec.pos,
                        Rc::clone(&run),
                    )?),
                    None => Box::new(AcceptAll),
                })
            },
        )
        .collect()
}

/// A transport whose behaviour is a Rhai script (contract §2).
pub struct ScriptTransport {
    name: String,
    source: ScriptSource,
    /// Where the transport is declared in the scenario file.
    pos: Pos,
    /// One engine per transport: its host functions are bound to this transport's state.
    engine: Engine,
    host: Rc<HostState>,
    ast: AST,
    submit: Option<Rc<Hook>>,
    end: Option<Rc<Hook>>,
    notify: Option<Rc<Hook>>,
}

impl fmt::Debug for ScriptTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScriptTransport")
            .field("name", &self.name)
            .field("hooks", &self.hooks())
            .finish_non_exhaustive()
    }
}

impl ScriptTransport {
    /// Compiles one transport's script on its own, with a run-wide budget of its own. `pos` is
    /// where the transport is declared (the fallback position for errors when
    /// `source.origin` is unknown). Use [`build_transports`] for a whole scenario.
    pub fn compile(name: &str, source: &ScriptSource, pos: Pos) -> Result<Self, ScenarioError> {
        Self::with_run(
            name,
            source,
            pos,
            Rc::new(RunShared::new(limits::MAX_OPERATIONS_PER_RUN)),
        )
    }

    fn with_run(
        name: &str,
        source: &ScriptSource,
        pos: Pos,
        run: Rc<RunShared>,
    ) -> Result<Self, ScenarioError> {
        let host = Rc::new(HostState::new(run));
        let engine = host::new_engine(&host);
        let site = Site {
            transport: name,
            source,
            transport_pos: pos,
        };
        let Compiled {
            ast,
            submit,
            end,
            notify,
        } = compile::compile(&engine, &host.run, &site)?;
        host.notify_hook.replace(notify.clone());
        Ok(ScriptTransport {
            name: name.to_string(),
            source: source.clone(),
            pos,
            engine,
            host,
            ast,
            submit,
            end,
            notify,
        })
    }

    /// The transport's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The hooks the script defines, in contract order.
    pub fn hooks(&self) -> Vec<&'static str> {
        [&self.submit, &self.end, &self.notify]
            .into_iter()
            .flatten()
            .map(|h| h.kind.name())
            .collect()
    }

    /// Rhai operations used so far by all transports sharing this one's run budget.
    pub fn run_operations(&self) -> u64 {
        self.host.run.ops_used.get()
    }

    fn site(&self) -> Site<'_> {
        Site {
            transport: &self.name,
            source: &self.source,
            transport_pos: self.pos,
        }
    }

    /// Runs `hook` with `sup` published to the host functions.
    fn call(
        &self,
        hook: &Hook,
        args: Vec<Dynamic>,
        sup: &mut dyn Support,
    ) -> Result<Dynamic, HookFault> {
        self.host.limit_hit_in_notify.set(false);
        let result = {
            let _support = self.host.enter(sup);
            let _notify = (hook.kind == HookKind::Notify).then(|| self.host.enter_notify());
            compile::run_top(&self.engine, &self.ast, hook, args)
        };
        result.map_err(|err| {
            fault::runtime_fault(&self.site(), hook, err, self.host.limit_hit_in_notify.get())
        })
    }

    /// The `u32` a hook returned, or a fault naming what it returned instead.
    fn returned_u32(&self, hook: &Hook, value: Dynamic, expected: &str) -> Result<u32, HookFault> {
        let bits = value.as_int().ok().and_then(fault::u32_bits);
        bits.ok_or_else(|| {
            let what = if value.is_int() {
                format!("{value}, which does not fit in 32 bits")
            } else {
                describe_value(&value)
            };
            self.site().hook_fault(
                hook.pos,
                &format!("{} must return {expected}; it returned {what}", hook.name),
            )
        })
    }
}

impl Transport for ScriptTransport {
    fn submit_message(&mut self, msg: &MsgView, sup: &mut dyn Support) -> Result<u32, HookFault> {
        let Some(hook) = self.submit.clone() else {
            return AcceptAll.submit_message(msg, sup);
        };
        let msg = self.host.run.recipients.msg_value(msg);
        let value = self.call(&hook, vec![msg], sup)?;
        self.returned_u32(&hook, value, "an HRESULT such as S_OK")
    }

    fn end_message(&mut self, msg: &MsgView, sup: &mut dyn Support) -> Result<u32, HookFault> {
        let Some(hook) = self.end.clone() else {
            return Ok(0);
        };
        let msg = self.host.run.recipients.msg_value(msg);
        let value = self.call(&hook, vec![msg], sup)?;
        self.returned_u32(&hook, value, "end flags such as 0 or END_RESEND_LATER")
    }

    fn transport_notify(
        &mut self,
        flags: u32,
        msg: Option<&MsgView>,
        sup: &mut dyn Support,
    ) -> Result<(), HookFault> {
        let Some(hook) = self.notify.clone() else {
            return Ok(());
        };
        let msg = self.host.run.recipients.optional_msg_value(msg);
        self.call(&hook, vec![Dynamic::from_int(i64::from(flags)), msg], sup)
            .map(|_| ())
    }
}
