//! The spooler's outbound path as a deterministic discrete-event machine.
//!
//! Read before editing: model §3.7–3.8 (SubmitMessage/EndMessage and the spooler's
//! reactions), §6 (StatusRecips, DR/NDR), §7.4 (routing), §8 (lifecycle), §9 (deferral,
//! retries, cancellation), §12 (state machines), §14 (MODEL choices), contract §2–4.
//!
//! Shape (after quinn-proto): [`Engine::poll_timeout`] says when the engine next needs to
//! run, [`Engine::handle_timeout`] runs everything due at a virtual instant, and
//! [`Engine::drive`] loops the two until the run ends. The engine never reads a clock and owns
//! its only RNG. Every trace record goes through [`Core::emit`], which alone assigns `seq`,
//! `t` and `depth`; every table change goes through the [`Recorder`].
//!
//! Calls are synchronous, as in the single-threaded cooperative spooler of model §14 Q13:
//! a transport hook runs to completion, and virtual time passes inside it only through
//! `elapse()`, during which the spooler delivers what concerns the running transport or
//! the store (a cancel, an AbortSubmit, a client submission, an outbound on/off of that
//! transport) re-entrantly; everything else waits until the call returns.
//!
//! One file per part of the model: this one holds the state types and the engine's loop;
//! `session.rs` (§3.1–3.6, §10), `client.rs` (§8, §9.4), `routing.rs` (§7), `exchange.rs`
//! (§3.7–3.8), `reports.rs` (§6), `retry.rs` (§9.3), `deferral.rs` (§9.2), `warnings.rs`,
//! `record.rs` (trace records, table changes, the end of a run) and `support.rs` (what a hook
//! may call, contract §2).

use std::collections::BTreeMap;
use std::sync::Arc;

use spoolscope_contract::consts::{self, flag, hr, FlagSet};
use spoolscope_contract::scenario::{AfterSubmit, EventAction, RecipientSpec, Scenario};
use spoolscope_contract::trace::{
    Event, EventKind, MessageRow, PropValue, RecipientRow, ReportRow, RunEnd, StatusEntry, Trace,
    Warning,
};
use spoolscope_contract::Millis;

use crate::rng::Rng;
use crate::tables::{
    Delta, MessageState, MsgRow, RecipRow, RecipientState, Recorder, ReportKind, StatusRow, Tables,
    Timeline, XpId,
};
use crate::transport::{HookFault, MsgView, Notification, Support, Transport};

mod client;
mod deferral;
mod exchange;
mod record;
mod reports;
mod retry;
mod routing;
mod session;
mod support;
mod warnings;

use record::notify_data;
use routing::{candidates_for, initial_why};
use support::Ctx;

/// A run stops after this many trace events (a runaway scenario, not a real one).
pub const MAX_TRACE_EVENTS: usize = 1_000_000;
/// Shortest retry delay the spooler uses; shorter requests are raised to it.
pub const MIN_RETRY: Millis = Millis(100);
/// Longest `elapse()` or timer delay a script may ask for (30 days).
const MAX_DELAY_S: f64 = 30.0 * 24.0 * 3600.0;

/// Timers, keyed by (due time, insertion order) so that timers due at the same instant fire
/// in the order they were set (STYLE §3). Client submissions are set first, in message
/// order, then the scenario's events in time order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timer {
    /// The client calls `IMessage::SubmitMessage` (model §8 step 7).
    ClientSubmit(u32),
    /// A scenario event (contract §3).
    External(usize),
    /// A spooler retry of `xp` for `msg` due at `at` (model §9.3). Stale when the message's
    /// retry for `xp` was since cancelled or rescheduled (a flush, a cancel).
    Retry { msg: u32, xp: XpId, at: Millis },
    /// The transport's `SpoolerNotify(NOTIFY_SENTDEFERRED)` (model §9.2 step 3).
    SentDeferred { msg: u32, xp: XpId },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RetryWhy {
    Busy,
    Wait,
    NetworkError,
    ResendLater,
    Error,
}

impl RetryWhy {
    fn timer_name(self) -> &'static str {
        match self {
            RetryWhy::Busy => "busy_retry",
            RetryWhy::Wait => "wait_retry",
            RetryWhy::NetworkError => "network_retry",
            RetryWhy::ResendLater => "resend_later",
            RetryWhy::Error => "error_retry",
        }
    }
}

/// Per-transport runtime data that is not shown in a table.
struct XpRt {
    name: Arc<str>,
}

/// Per-message runtime data that is not shown in a table.
struct MsgRt {
    id: Arc<str>,
    subject: Arc<str>,
    recipients: Arc<[RecipientSpec]>,
    delivery_report: bool,
    non_delivery_report: bool,
    after_submit: AfterSubmit,
    /// Flat index of recipient 0.
    offset: usize,
    /// SubmitMessage calls per transport.
    attempts: Vec<u32>,
    /// Retry timer in force per transport: when, and why.
    waits: Vec<Option<(Millis, RetryWhy)>>,
    /// The transport released its deferred recipients: next offer uses BEGIN_DEFERRED.
    begin_deferred: Vec<bool>,
    /// Last reference per transport (for ABORT_DEFERRED after the pass ended).
    refs: Vec<u64>,
    /// END_RESEND_NOW asked for this transport to go next.
    resend_now: Option<XpId>,
    resend_streak: u32,
    /// A cancel arrived while a call about this message was running.
    cancel_requested: bool,
}

/// What a hook's pass is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PassKind {
    Submit,
    End,
    Notify,
}

/// One StatusRecips entry a hook asked for.
#[derive(Clone, Debug)]
struct EntryReq {
    recipient: u32,
    dr: bool,
    reason: i32,
    diag: i32,
    text: String,
}

/// The spooler-side record of one hook invocation (one `IXPLogon` call).
struct Pass {
    xp: XpId,
    msg: Option<u32>,
    kind: PassKind,
    attempt: u32,
    deferred: bool,
    offered: Vec<u32>,
    /// By recipient index: offered in this call.
    is_offered: Vec<bool>,
    /// By recipient index: `PR_RESPONSIBILITY` TRUE set by the transport in this call.
    taken: Vec<bool>,
    entries: Vec<EntryReq>,
    reference: u64,
    return_parm: Option<f64>,
    /// The `seq` of the call's return: warnings about what it returned point at it.
    ret_seq: u64,
    elapse_target: Option<Millis>,
    /// Nested TransportNotify calls handed out and not yet returned (flags, message).
    open_notify: Vec<(u32, Option<u32>)>,
    cancelled: bool,
}

impl Pass {
    fn new(xp: XpId, msg: Option<u32>, kind: PassKind) -> Pass {
        Pass {
            xp,
            msg,
            kind,
            attempt: 0,
            deferred: false,
            offered: Vec::new(),
            is_offered: Vec::new(),
            taken: Vec::new(),
            entries: Vec::new(),
            reference: 0,
            return_parm: None,
            ret_seq: 0,
            elapse_target: None,
            open_notify: Vec::new(),
            cancelled: false,
        }
    }

    fn changed_anything(&self) -> bool {
        self.taken.iter().any(|t| *t) || !self.entries.is_empty()
    }
}

/// A TransportNotify the spooler must deliver once no call is running.
#[derive(Clone, Copy, Debug)]
struct PendingNotify {
    xp: XpId,
    flags: u32,
    msg: Option<u32>,
}

/// Who is at either end of a call (a lifeline).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Client,
    Store,
    Spooler,
    Xp(XpId),
}

/// The engine's state, apart from the transport behaviours.
struct Core {
    sc: Scenario,
    now: Millis,
    events: Vec<Event>,
    depth: u32,
    rec: Recorder,
    warnings: Vec<Warning>,
    reports: Vec<ReportRow>,
    timers: BTreeMap<(Millis, u64), Timer>,
    timer_seq: u64,
    rng: Rng,
    xp: Vec<XpRt>,
    msgs: Vec<MsgRt>,
    /// StatusRecips entries seen per flat recipient (duplicate warning, model §6.1).
    report_counts: Vec<u32>,
    end: Option<(String, Option<String>)>,
    fault: Option<HookFault>,
}

/// The result of a run.
pub struct Run {
    /// The contract's trace (contract §4).
    pub trace: Trace,
    /// Tables at any step.
    pub timeline: Timeline,
    /// A hook failed (script error or limit): the run stopped there.
    pub fault: Option<HookFault>,
}

/// Runs `scenario` to the end with the given transport behaviours (one per transport, in
/// transport order).
pub fn run(scenario: &Scenario, transports: Vec<Box<dyn Transport>>) -> Run {
    let mut e = Engine::new(scenario.clone(), transports);
    e.drive();
    e.finish()
}

/// The spooler model. Call order: [`Engine::new`], then either [`Engine::drive`] or a loop
/// of `while let Some(t) = e.poll_timeout() { e.handle_timeout(t) }`, then
/// [`Engine::finish`].
pub struct Engine {
    core: Core,
    xps: Vec<Box<dyn Transport>>,
    started: bool,
}

impl Engine {
    /// Builds the engine. Missing behaviours (fewer than transports) accept everything.
    pub fn new(sc: Scenario, mut xps: Vec<Box<dyn Transport>>) -> Engine {
        while xps.len() < sc.transports.len() {
            xps.push(Box::new(crate::transport::AcceptAll));
        }
        let nx = sc.transports.len();
        let mut tables = Tables::default();
        let mut msgs = Vec::with_capacity(sc.messages.len());
        let mut offset = 0usize;
        for (mi, m) in sc.messages.iter().enumerate() {
            let recipients: Arc<[RecipientSpec]> = m.recipients.clone().into();
            for (ri, r) in recipients.iter().enumerate() {
                let candidates = candidates_for(&sc, r);
                let why = initial_why(&sc, r, &candidates);
                tables.recipients.push(RecipRow {
                    message: mi as u32,
                    index: ri as u32,
                    state: RecipientState::Pending,
                    responsibility: false,
                    candidates,
                    offered_to: Vec::new(),
                    report: None,
                    ndr_reason: None,
                    ndr_diag: None,
                    report_text: None,
                    why: why.into(),
                });
            }
            tables.messages.push(MsgRow {
                state: MessageState::Draft,
                locked: false,
                message_flags: flag::MSGFLAG_UNSENT,
                retry_at: None,
            });
            msgs.push(MsgRt {
                id: m.id.as_str().into(),
                subject: m.subject.as_str().into(),
                recipients,
                delivery_report: m.delivery_report,
                non_delivery_report: m.non_delivery_report,
                after_submit: m.after_submit,
                offset,
                attempts: vec![0; nx],
                waits: vec![None; nx],
                begin_deferred: vec![false; nx],
                refs: vec![0; nx],
                resend_now: None,
                resend_streak: 0,
                cancel_requested: false,
            });
            offset += m.recipients.len();
        }
        for _ in 0..nx {
            tables.status.push(StatusRow {
                logged_on: false,
                status_code: 0,
                outbound_enabled: false,
                in_flight: None,
                deferred: Vec::new(),
            });
        }
        let xp = sc
            .transports
            .iter()
            .map(|t| XpRt {
                name: t.name.as_str().into(),
            })
            .collect();
        let mut core = Core {
            now: Millis::ZERO,
            events: Vec::new(),
            depth: 0,
            rec: Recorder::new(tables),
            warnings: Vec::new(),
            reports: Vec::new(),
            timers: BTreeMap::new(),
            timer_seq: 0,
            rng: Rng::new(sc.seed),
            xp,
            msgs,
            report_counts: vec![0; offset],
            end: None,
            fault: None,
            sc,
        };
        for (i, m) in core.sc.messages.iter().enumerate() {
            let at = m.submit_at;
            core.timers
                .insert((at, core.timer_seq), Timer::ClientSubmit(i as u32));
            core.timer_seq += 1;
        }
        for (i, e) in core.sc.events.iter().enumerate() {
            core.timers
                .insert((e.at, core.timer_seq), Timer::External(i));
            core.timer_seq += 1;
        }
        Engine {
            core,
            xps,
            started: false,
        }
    }

    /// When the engine next needs [`Engine::handle_timeout`]; `None` when the run is over.
    pub fn poll_timeout(&self) -> Option<Millis> {
        if self.core.stopped() {
            return None;
        }
        if !self.started {
            return Some(Millis::ZERO);
        }
        match self.core.timers.keys().next() {
            Some((at, _)) if *at <= self.core.sc.spooler.until => Some((*at).max(self.core.now)),
            _ => None,
        }
    }

    /// Runs everything due at or before `now` (virtual time; earlier calls are no-ops).
    pub fn handle_timeout(&mut self, now: Millis) {
        if !self.started {
            self.started = true;
            self.setup();
            self.pump();
        }
        while !self.core.stopped() {
            let Some((&(at, seq), _)) = self.core.timers.iter().next() else {
                break;
            };
            if at > now || at > self.core.sc.spooler.until {
                break;
            }
            let Some(timer) = self.core.timers.remove(&(at, seq)) else {
                break;
            };
            self.core.now = self.core.now.max(at);
            self.fire(timer);
            self.pump();
        }
    }

    /// Runs the whole scenario (until idle, `until_s`, a limit or a script fault).
    pub fn drive(&mut self) {
        while let Some(t) = self.poll_timeout() {
            self.handle_timeout(t);
        }
        if self.core.end.is_none() {
            let reason = if self.core.timers.is_empty() {
                "idle"
            } else {
                "until"
            };
            let text = if reason == "until" {
                self.core.now = self.core.now.max(self.core.sc.spooler.until);
                Some(format!(
                    "spooler.until_s = {} reached with work left",
                    self.core.sc.spooler.until
                ))
            } else {
                None
            };
            self.core.end = Some((reason.to_string(), text));
        }
    }

    /// Ends the run and returns its trace and timeline.
    pub fn finish(self) -> Run {
        self.core.finish()
    }

    /// The tables as they are now.
    pub fn tables(&self) -> &Tables {
        &self.core.rec.current
    }

    /// The trace events so far.
    pub fn events(&self) -> &[Event] {
        &self.core.events
    }

    // ------------------------------------------------------------------------------------
    // Session set-up (model §8 steps 1–5, §3.1–3.4)
    // ------------------------------------------------------------------------------------

    fn fire(&mut self, timer: Timer) {
        match timer {
            Timer::ClientSubmit(m) => self.core.client_submit(m),
            Timer::External(i) => self.fire_external(i),
            Timer::Retry { msg, xp, at } => self.core.retry_due(msg, xp, Some(at)),
            Timer::SentDeferred { msg, xp } => self.core.sent_deferred(msg, xp),
        }
    }

    /// Runs one hook of transport `t` with `pass` as its spooler-side record. A fault stops the
    /// run (it is recorded) and the call is taken to have returned `on_fault`.
    fn run_hook<R>(
        &mut self,
        t: XpId,
        pass: &mut Pass,
        on_fault: R,
        hook: impl FnOnce(&mut dyn Transport, &mut dyn Support) -> Result<R, HookFault>,
    ) -> R {
        let mut ctx = Ctx {
            core: &mut self.core,
            pass,
        };
        match hook(self.xps[t as usize].as_mut(), &mut ctx) {
            Ok(v) => v,
            Err(f) => {
                self.core.hook_fault(f);
                on_fault
            }
        }
    }

    /// Delivers a TransportNotify while no other call is running.
    fn notify_now(&mut self, p: PendingNotify) {
        if self.core.stopped() {
            return;
        }
        if !self.core.rec.current.status[p.xp as usize].logged_on {
            // model §12.1: no calls to a transport that is not logged on.
            let name = self.core.xp[p.xp as usize].name.clone();
            let flags = FlagSet::TransportNotify.names(p.flags).join("|");
            self.core.note(
                Who::Spooler,
                p.msg,
                format!("TransportNotify({flags}) not sent: {name} is logged off"),
            );
            return;
        }
        let c = &mut self.core;
        let reference = p.msg.map(|m| c.msgs[m as usize].refs[p.xp as usize]);
        c.call(Who::Spooler, Who::Xp(p.xp), "TransportNotify", p.msg, |e| {
            e.flags = Some(FlagSet::TransportNotify.names(p.flags));
            notify_data(e, p.flags, reference);
        });
        let mut pass = Pass::new(p.xp, p.msg, PassKind::Notify);
        pass.reference = reference.unwrap_or(0);
        let view = p.msg.map(|m| self.core.view(m, &pass));
        self.run_hook(p.xp, &mut pass, (), |xp, ctx| {
            xp.transport_notify(p.flags, view.as_ref(), ctx)
        });
        self.core.after_notify_hook(p.xp, p.flags);
        self.core
            .ret(Who::Xp(p.xp), Who::Spooler, "TransportNotify", p.msg, |e| {
                e.result = Some("S_OK".into());
            });
    }

    // ------------------------------------------------------------------------------------
    // The spooler's work loop (model §8 steps 12–22, §7.4)
    // ------------------------------------------------------------------------------------

    /// Works the outgoing queue until nothing more can happen at this instant.
    fn pump(&mut self) {
        let nx = self.core.xp.len();
        let mut guard = 0usize;
        'outer: loop {
            if self.core.stopped() {
                return;
            }
            guard += 1;
            if guard > 10_000_000 {
                self.core.stop_limit("the spooler loop did not settle");
                return;
            }
            // Timers already due (events held back while a call ran, retries, SENTDEFERRED)
            // go first, in due order (model §14 Q13: handled when the call returns).
            let due = self
                .core
                .timers
                .range(..=(self.core.now, u64::MAX))
                .next()
                .map(|(k, _)| *k);
            if let Some(k) = due {
                if let Some(t) = self.core.timers.remove(&k) {
                    self.fire(t);
                    continue 'outer;
                }
            }
            // model §9.3 MODEL: submission order per transport. A transport an earlier message
            // is waiting to retry is blocked for later messages.
            let mut blocked = vec![false; nx];
            let queue = self.core.rec.current.queue.clone();
            for m in queue {
                if self.route(m, &mut blocked) {
                    continue 'outer;
                }
            }
            return;
        }
    }
}
