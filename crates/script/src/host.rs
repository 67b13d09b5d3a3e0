//! The host side of a script: the engine's settings and limits, the host functions of contract
//! §2, and the bridge from `'static` Rhai functions to the `&mut dyn Support` of the current call.
//!
//! Rhai's registered functions must be `'static`, but the [`Support`] a hook talks to lives only
//! for one `Transport` call. [`HostState::enter`] stores a lifetime-erased pointer to it for the
//! duration of the call and a guard clears it afterwards (also when the call fails); the host
//! functions reach it only through [`HostState::with_support`]. That pair is the crate's only
//! `unsafe` code.

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::rc::Rc;

use rhai::def_package;
use rhai::packages::{
    ArithmeticPackage, BasicIteratorPackage, BasicStringPackage, LogicPackage, Package,
};
use rhai::{
    Dynamic, Engine, EvalAltResult, ImmutableString, Module, NativeCallContext, Position, Scope,
    Shared,
};
use spoolscope_engine::transport::Support;

use crate::compile::Hook;
use crate::fault::describe_value;
use crate::limits;
use crate::message::{recipient_index, register_recipient, RecipientCache};

/// The token `on_progress` stops a script with once the run-wide operation budget (the value)
/// is spent.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RunBudgetSpent(pub u64);

def_package! {
    /// Rhai's core packages without the language-core and function-pointer utilities (`tag`,
    /// `sleep`, `parse_json`, metadata), plus Spoolscope's script library ([`crate::stdlib`]).
    pub(crate) ScriptPackage(module):
        ArithmeticPackage, BasicStringPackage, BasicIteratorPackage, LogicPackage
    {
        crate::stdlib::register(module);
    }
}

/// What all the transports of one run share.
pub(crate) struct RunShared {
    /// Rhai operations used so far by every hook of every transport of the run.
    pub ops_used: Cell<u64>,
    pub ops_limit: u64,
    pub recipients: RecipientCache,
    /// Built once per run rather than once per transport (it registers hundreds of functions).
    pub std_package: Shared<Module>,
    pub constants: Shared<Module>,
    pub constants_scope: Scope<'static>,
}

impl RunShared {
    pub fn new(ops_limit: u64) -> Self {
        // What an earlier run on this thread left uncharged must not reach this one.
        let _ = rhai::take_data_size_operations(true);
        RunShared {
            ops_used: Cell::new(0),
            ops_limit,
            recipients: RecipientCache::default(),
            std_package: ScriptPackage::new().as_shared_module(),
            constants: crate::constants::constants_module(),
            constants_scope: crate::constants::constants_scope(),
        }
    }
}

/// Per-transport state the host functions reach through their captured `Rc`.
pub(crate) struct HostState {
    /// The `Support` of the hook call in progress; `None` between calls. The `'static` is a lie
    /// told to the type system: see [`HostState::enter`].
    support: Cell<Option<NonNull<dyn Support + 'static>>>,
    /// How many `transport_notify` calls are running (top-level or delivered during `elapse`).
    notify_depth: Cell<u32>,
    /// Set when a resource-limit error escapes a `transport_notify` delivered during `elapse`, so
    /// the fault names that hook (such errors cannot be caught by the script, so the flag
    /// cannot go stale).
    pub limit_hit_in_notify: Cell<bool>,
    /// The script's `transport_notify`, called from `elapse()`.
    pub notify_hook: RefCell<Option<Rc<Hook>>>,
    pub run: Rc<RunShared>,
}

/// Clears the current `Support` (restoring any outer one) when a hook call ends, however it ends.
pub(crate) struct SupportGuard<'a> {
    host: &'a HostState,
    prev: Option<NonNull<dyn Support + 'static>>,
    /// Holds the `&mut dyn Support` borrow for as long as the pointer is published.
    _borrow: PhantomData<&'a mut ()>,
}

impl Drop for SupportGuard<'_> {
    fn drop(&mut self) {
        self.host.support.set(self.prev);
    }
}

/// Counts a running `transport_notify` for as long as it lives.
pub(crate) struct NotifyGuard<'a>(&'a HostState);

impl Drop for NotifyGuard<'_> {
    fn drop(&mut self) {
        self.0
            .notify_depth
            .set(self.0.notify_depth.get().saturating_sub(1));
    }
}

impl HostState {
    pub fn new(run: Rc<RunShared>) -> Self {
        HostState {
            support: Cell::new(None),
            notify_depth: Cell::new(0),
            limit_hit_in_notify: Cell::new(false),
            notify_hook: RefCell::new(None),
            run,
        }
    }

    /// Publishes `sup` to the host functions until the returned guard is dropped.
    pub fn enter<'a>(&'a self, sup: &'a mut dyn Support) -> SupportGuard<'a> {
        let ptr: NonNull<dyn Support + 'a> = NonNull::from(sup);
        // SAFETY: only the trait object's lifetime bound changes (same layout). The pointer is
        // dereferenced only by `with_support`, and only while the guard lives: the guard holds
        // the `&'a mut` borrow (so the referent outlives it and nothing else uses it meanwhile)
        // and unpublishes the pointer on drop.
        let ptr: NonNull<dyn Support + 'static> = unsafe { std::mem::transmute(ptr) };
        let prev = self.support.replace(Some(ptr));
        SupportGuard {
            host: self,
            prev,
            _borrow: PhantomData,
        }
    }

    /// Marks a `transport_notify` as running until the guard is dropped.
    pub fn enter_notify(&self) -> NotifyGuard<'_> {
        self.notify_depth.set(self.notify_depth.get() + 1);
        NotifyGuard(self)
    }

    /// Runs `f` with the current call's `Support`. `f` must not run script code, so that no
    /// second `&mut` to the `Support` can exist while this one does; every caller passes a
    /// single `Support` method call.
    pub fn with_support<R>(
        &self,
        f: impl FnOnce(&mut dyn Support) -> R,
    ) -> Result<R, Box<EvalAltResult>> {
        let Some(ptr) = self.support.get() else {
            return Err(script_error(
                "host functions can only be called while a hook runs",
            ));
        };
        // SAFETY: the pointer is published only while a `SupportGuard` holds the unique borrow
        // it came from (see `enter`), and the reference created here ends before `f` returns;
        // `f` runs no script code, so this is the only live reference to the `Support`.
        let sup = unsafe { &mut *ptr.as_ptr() };
        Ok(f(sup))
    }
}

/// A script-visible error: a runtime error carrying a string, which `try`/`catch` can catch and
/// print and whose position Rhai fills with the calling expression's.
pub(crate) fn script_error(message: impl Into<String>) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(
        message.into().into(),
        Position::NONE,
    ))
}

/// Seconds for `retry_after`, `elapse`, `notify_sent_deferred`: an integer or a float, finite and
/// not negative.
fn seconds(fn_name: &str, v: &Dynamic) -> Result<f64, Box<EvalAltResult>> {
    let secs = if let Ok(i) = v.as_int() {
        i as f64
    } else if let Ok(f) = v.as_float() {
        f
    } else {
        return Err(script_error(format!(
            "{fn_name}(s): s must be a number of seconds; it is {}",
            describe_value(v)
        )));
    };
    if !secs.is_finite() || secs < 0.0 {
        return Err(script_error(format!(
            "{fn_name}(s): s must be a finite number of seconds, 0 or more; it is {secs}"
        )));
    }
    Ok(secs)
}

fn integer(fn_name: &str, what: &str, v: &Dynamic) -> Result<i64, Box<EvalAltResult>> {
    v.as_int().map_err(|_| {
        script_error(format!(
            "{fn_name}(): {what} must be an integer; it is {}",
            describe_value(v)
        ))
    })
}

/// A fresh engine for one transport, with the run's shared modules, the limits and the host
/// functions.
pub(crate) fn new_engine(host: &Rc<HostState>) -> Engine {
    let run = &host.run;
    let mut engine = Engine::new_raw();
    engine.register_global_module(run.std_package.clone());
    engine.register_global_module(run.constants.clone());

    // Sandbox (contract §2): limits, no eval, no module loading (the `no_module` feature).
    engine.set_max_operations(limits::MAX_OPERATIONS_PER_CALL);
    engine.set_max_call_levels(limits::MAX_CALL_LEVELS);
    engine.set_max_expr_depths(limits::MAX_EXPR_DEPTH, limits::MAX_FUNCTION_EXPR_DEPTH);
    engine.set_max_string_size(limits::MAX_STRING_BYTES);
    engine.set_max_array_size(limits::MAX_ARRAY_LEN);
    engine.set_max_map_size(limits::MAX_MAP_LEN);
    engine.disable_symbol("eval");
    // Typos become errors at their line: an undefined variable fails to compile, and reading a
    // missing map property (`msg.subjct`) fails instead of yielding `()`.
    engine.set_strict_variables(true);
    engine.set_fail_on_invalid_map_property(true);

    let run_for_progress = Rc::clone(run);
    engine.on_progress(move |_| {
        // One operation, plus those the vendored Rhai charged for walking arrays and maps in
        // its data size checks since the last one (vendor/README.md).
        let used = run_for_progress.ops_used.get() + 1 + rhai::take_data_size_operations(false);
        run_for_progress.ops_used.set(used);
        (used > run_for_progress.ops_limit)
            .then(|| Dynamic::from(RunBudgetSpent(run_for_progress.ops_limit)))
    });

    // `print` and `debug` become trace notes, never stdout.
    let h = Rc::clone(host);
    engine.on_print(move |text| {
        let _ = h.with_support(|sup| sup.log(text));
    });
    let h = Rc::clone(host);
    engine.on_debug(move |text, _source, _pos| {
        let _ = h.with_support(|sup| sup.log(text));
    });

    register_recipient(&mut engine);
    register_host_functions(&mut engine, host);
    engine
}

fn register_host_functions(engine: &mut Engine, host: &Rc<HostState>) {
    let h = Rc::clone(host);
    engine.register_fn(
        "accept",
        move |r: &mut Dynamic| -> Result<(), Box<EvalAltResult>> {
            let r = recipient_index("accept", r)?;
            h.with_support(|sup| sup.accept(r))
        },
    );
    let h = Rc::clone(host);
    engine.register_fn(
        "deliver",
        move |r: &mut Dynamic| -> Result<(), Box<EvalAltResult>> {
            let r = recipient_index("deliver", r)?;
            h.with_support(|sup| sup.deliver(r))
        },
    );
    let h = Rc::clone(host);
    engine.register_fn(
        "decline",
        move |r: &mut Dynamic| -> Result<(), Box<EvalAltResult>> {
            let r = recipient_index("decline", r)?;
            h.with_support(|sup| sup.decline(r))
        },
    );
    let h = Rc::clone(host);
    engine.register_fn(
        "fail",
        move |ctx: NativeCallContext,
              r: &mut Dynamic,
              reason: Dynamic,
              diag: Dynamic,
              text: Dynamic|
              -> Result<(), Box<EvalAltResult>> {
            let r = recipient_index("fail", r)?;
            let reason = integer("fail", "reason (a MAPI_REASON_* code)", &reason)?;
            let diag = integer("fail", "diag (a MAPI_DIAG_* code)", &diag)?;
            let text = display_text(&ctx, text)?;
            h.with_support(|sup| sup.fail(r, reason, diag, &text))
        },
    );
    let h = Rc::clone(host);
    engine.register_fn(
        "set_reference",
        move |n: Dynamic| -> Result<(), Box<EvalAltResult>> {
            let n = integer("set_reference", "n", &n)?;
            h.with_support(|sup| sup.set_reference(n))
        },
    );
    let h = Rc::clone(host);
    engine.register_fn(
        "retry_after",
        move |s: Dynamic| -> Result<(), Box<EvalAltResult>> {
            let s = seconds("retry_after", &s)?;
            h.with_support(|sup| sup.retry_after(s))
        },
    );
    let h = Rc::clone(host);
    engine.register_fn(
        "notify_sent_deferred",
        move |s: Dynamic| -> Result<(), Box<EvalAltResult>> {
            let s = seconds("notify_sent_deferred", &s)?;
            h.with_support(|sup| sup.notify_sent_deferred(s))
        },
    );
    let h = Rc::clone(host);
    engine.register_fn("cancelled", move || -> Result<bool, Box<EvalAltResult>> {
        h.with_support(|sup| sup.cancelled())
    });
    let h = Rc::clone(host);
    engine.register_fn("now", move || -> Result<f64, Box<EvalAltResult>> {
        h.with_support(|sup| sup.now())
    });
    let h = Rc::clone(host);
    engine.register_fn("rand", move || -> Result<f64, Box<EvalAltResult>> {
        h.with_support(|sup| sup.rand())
    });
    // `log` also names the standard package's base-10 logarithm; these overloads live in the
    // engine's own namespace, which is searched first, so `log(1.5)` is a note, not a number.
    // (`log(x, base)` with two arguments still reaches the logarithm.)
    let h = Rc::clone(host);
    let log = move |ctx: NativeCallContext, v: Dynamic| -> Result<(), Box<EvalAltResult>> {
        let text = display_text(&ctx, v)?;
        h.with_support(|sup| sup.log(&text))
    };
    engine.register_fn("log", log.clone());
    let l = log.clone();
    engine.register_fn("log", move |ctx: NativeCallContext, v: ImmutableString| {
        l(ctx, v.into())
    });
    let l = log.clone();
    engine.register_fn("log", move |ctx: NativeCallContext, v: i64| {
        l(ctx, v.into())
    });
    let l = log;
    engine.register_fn("log", move |ctx: NativeCallContext, v: f64| {
        l(ctx, v.into())
    });

    let h = Rc::clone(host);
    engine.register_fn(
        "elapse",
        move |ctx: NativeCallContext, s: Dynamic| -> Result<(), Box<EvalAltResult>> {
            let secs = seconds("elapse", &s)?;
            elapse(&ctx, &h, secs)
        },
    );
}

/// Text for `fail` and `log`: a string as is, anything else as `print` would show it.
fn display_text(
    ctx: &NativeCallContext,
    v: Dynamic,
) -> Result<ImmutableString, Box<EvalAltResult>> {
    if v.is_string() {
        return Ok(v.into_immutable_string().unwrap_or_default());
    }
    ctx.call_fn::<ImmutableString>("to_string", (v,))
}

/// `elapse(s)` (contract §2): virtual time passes inside the current call; each
/// `TransportNotify` that falls due meanwhile (a cancel) is delivered to the script's
/// `transport_notify` right here, re-entrantly, before `elapse` returns.
///
/// `elapse` is refused inside `transport_notify`: a notification handler that let time pass
/// could be handed further notifications and recurse without bound.
fn elapse(ctx: &NativeCallContext, host: &HostState, secs: f64) -> Result<(), Box<EvalAltResult>> {
    if host.notify_depth.get() > 0 {
        return Err(script_error(
            "elapse() cannot be called inside transport_notify",
        ));
    }
    host.with_support(|sup| sup.elapse(secs))?;
    while let Some(n) = host.with_support(|sup| sup.poll_notification())? {
        let hook = host.notify_hook.borrow().clone();
        if let Some(hook) = hook {
            let msg = host.run.recipients.optional_msg_value(n.message.as_ref());
            let args = vec![Dynamic::from_int(i64::from(n.flags)), msg];
            let result = {
                let _notify = host.enter_notify();
                crate::compile::run_nested(ctx, &hook, args)
            };
            if let Err(err) = result {
                // A failed notification ends the run; its `return` is not traced.
                return Err(if err.is_system_exception() {
                    host.limit_hit_in_notify.set(true);
                    err
                } else {
                    // Wrapped so the message names the hook and the inner position survives.
                    Box::new(EvalAltResult::ErrorInFunctionCall(
                        hook.name.to_string(),
                        String::new(),
                        err,
                        ctx.call_position(),
                    ))
                });
            }
        }
        host.with_support(|sup| sup.notification_done())?;
    }
    Ok(())
}
