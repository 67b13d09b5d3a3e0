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

    fn setup(&mut self) {
        let n = self.core.xp.len();
        for t in 0..n as XpId {
            let c = &mut self.core;
            // model §3.1: first logon with both directions off; enabled later by TransportNotify.
            c.call(Who::Spooler, Who::Xp(t), "TransportLogon", None, |e| {
                e.flags =
                    Some(FlagSet::LogonIn.names(flag::LOGON_NO_INBOUND | flag::LOGON_NO_OUTBOUND));
            });
            // model §8 step 4: the transport creates its status row (MRXP does it in logon).
            c.update_status(t, |row| row.logged_on = true);
            c.modify_status_row(t, flag::STATUS_AVAILABLE, false);
            c.ret(Who::Xp(t), Who::Spooler, "TransportLogon", None, |e| {
                e.result = Some("S_OK".into());
                e.flags = Some(Vec::new());
            });
            // model §3.2: AddressTypes right after logon.
            let spec = &c.sc.transports[t as usize];
            let types = spec.address_types.clone();
            let uids = spec.uids.len();
            c.call(Who::Spooler, Who::Xp(t), "AddressTypes", None, |_| {});
            c.ret(Who::Xp(t), Who::Spooler, "AddressTypes", None, |e| {
                e.result = Some("S_OK".into());
                match &types {
                    Some(list) => e.address_types = Some(list.clone()),
                    None => {
                        e.text = Some("NULL address-type list: handles any address type".into())
                    }
                }
                if uids > 0 {
                    let t = format!("{uids} MAPIUID(s) registered");
                    e.text = Some(match e.text.take() {
                        Some(x) => format!("{x}; {t}"),
                        None => t,
                    });
                }
            });
            // model §3.3 MODEL: RegisterOptions once after AddressTypes; result ignored.
            c.call(Who::Spooler, Who::Xp(t), "RegisterOptions", None, |_| {});
            c.ret(Who::Xp(t), Who::Spooler, "RegisterOptions", None, |e| {
                e.result = Some("S_OK".into());
                e.text = Some("0 options".into());
            });
            if c.stopped() {
                return;
            }
        }
        // model §8 step 5: enable outbound once stores are available.
        for t in 0..n as XpId {
            if self.core.sc.transports[t as usize].outbound_at_start {
                self.notify_now(PendingNotify {
                    xp: t,
                    flags: flag::NOTIFY_BEGIN_OUTBOUND,
                    msg: None,
                });
            }
        }
    }

    // ------------------------------------------------------------------------------------
    // Timers and events
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

    /// Routes message `m` as far as it can go now. Returns true if anything happened.
    fn route(&mut self, m: u32, blocked: &mut [bool]) -> bool {
        let mut acted = false;
        loop {
            if self.core.stopped() {
                return true;
            }
            let st = self.core.rec.current.messages[m as usize].state;
            if st.is_terminal() {
                return acted;
            }
            let pick = self.core.pick_transport(m, blocked);
            let Some(t) = pick else { break };
            if !self.core.rec.current.messages[m as usize].locked {
                self.core.set_lock(m, true);
            }
            self.core.set_msg_state(m, MessageState::Routing, None);
            self.offer(m, t);
            acted = true;
        }
        if self.core.rec.current.messages[m as usize]
            .state
            .is_terminal()
        {
            return true;
        }
        // No offer possible now: spooler NDRs, then finish or wait (model §7.4 step 6, §8 step 19).
        let no_transport = self.core.no_candidate_recipients(m);
        if !no_transport.is_empty() {
            if !self.core.rec.current.messages[m as usize].locked {
                self.core.set_lock(m, true);
            }
            self.core.spooler_ndr(m, &no_transport);
            acted = true;
        }
        if self.core.all_final(m) {
            if !self.core.rec.current.messages[m as usize].locked {
                self.core.set_lock(m, true);
            }
            self.core.finish_message(m);
            return true;
        }
        // Still waiting: mark the transports this message waits on as blocked for later ones.
        let waiting = self.core.waiting_state(m);
        for t in self.core.retry_heads(m) {
            if let Some(b) = blocked.get_mut(t as usize) {
                *b = true;
            }
        }
        if self.core.rec.current.messages[m as usize].locked {
            // model §14 Q7: release the lock while waiting.
            self.core.set_lock(m, false);
            acted = true;
        }
        let retry_at = match waiting {
            MessageState::RetryWait(t) => self.core.msgs[m as usize].waits[t as usize].map(|w| w.0),
            _ => None,
        };
        if self.core.rec.current.messages[m as usize].state != waiting {
            self.core.set_msg_state(m, waiting, retry_at);
        }
        acted
    }

    /// One offer: SubmitMessage to `t` for the recipients whose head candidate is `t`,
    /// the reports, EndMessage, and the spooler's reaction (model §3.7, §3.8, §6).
    fn offer(&mut self, m: u32, t: XpId) {
        let c = &mut self.core;
        let mi = m as usize;
        let ti = t as usize;
        let offered = c.offer_set(m, t);
        let deferred = std::mem::take(&mut c.msgs[mi].begin_deferred[ti]);
        if c.msgs[mi].resend_now == Some(t) {
            c.msgs[mi].resend_now = None;
        }
        c.msgs[mi].attempts[ti] += 1;
        let attempt = c.msgs[mi].attempts[ti];
        let n = c.msgs[mi].recipients.len();
        let mut pass = Pass::new(t, Some(m), PassKind::Submit);
        pass.attempt = attempt;
        pass.deferred = deferred;
        pass.is_offered = vec![false; n];
        pass.taken = vec![false; n];
        for r in &offered {
            pass.is_offered[*r as usize] = true;
        }
        pass.offered = offered.clone();
        // model §3.7, §14 Q11: the spooler pre-sets *lpulMsgRef to 0; the transport writes it.
        pass.reference = 0;
        c.msgs[mi].refs[ti] = pass.reference;

        // model §7.1, §8 step 14: the mask. Offered recipients FALSE, every other TRUE.
        for r in &offered {
            let name = c.xp[ti].name.clone();
            c.update_recip(m, *r, |row| {
                row.state = RecipientState::Offered(t);
                row.responsibility = false;
                if !row.offered_to.contains(&t) {
                    row.offered_to.push(t);
                }
                row.why = format!(
                    "Offered to {name} in SubmitMessage{} (attempt {attempt}): PR_RESPONSIBILITY FALSE",
                    if deferred { "(BEGIN_DEFERRED)" } else { "" }
                )
                .into();
            });
        }
        c.set_msg_state(m, MessageState::InSubmit(t), None);
        c.set_in_flight(t, Some(m));
        let flags = if deferred { flag::BEGIN_DEFERRED } else { 0 };
        c.call(Who::Spooler, Who::Xp(t), "SubmitMessage", Some(m), |e| {
            e.flags = Some(FlagSet::SubmitMessage.names(flags));
            e.offered = Some(offered.clone());
            e.attempt = Some(attempt);
        });
        let view = c.view(m, &pass);
        let hr_value = self.run_hook(t, &mut pass, hr::MAPI_E_CALL_FAILED, |xp, ctx| {
            xp.submit_message(&view, ctx)
        });
        let c = &mut self.core;
        c.close_open_notifies(&mut pass);
        // Contract §2: entries made in one hook reach the spooler as one StatusRecips call.
        c.status_recips(&mut pass);
        let ret_parm = pass.return_parm;
        c.ret(Who::Xp(t), Who::Spooler, "SubmitMessage", Some(m), |e| {
            e.result = Some(consts::hresult_name(hr_value));
            e.reference = Some(pass.reference);
            e.return_parm = ret_parm.map(|s| s.round().max(0.0) as u64);
        });
        pass.ret_seq = c.step();
        c.set_in_flight(t, None);
        c.msgs[mi].refs[ti] = pass.reference;
        if c.stopped() {
            c.revert_offered(m, &pass, "the run stopped");
            return;
        }
        if pass.return_parm.is_some()
            && !matches!(hr_value, hr::MAPI_E_WAIT | hr::MAPI_E_NETWORK_ERROR)
        {
            c.warn_at(
                pass.ret_seq,
                "return_parm_ignored",
                format!(
                    "{} set *lpulReturnParm (retry_after) but returned {}; only MAPI_E_WAIT and MAPI_E_NETWORK_ERROR use it (model §3.7)",
                    c.xp[ti].name,
                    consts::hresult_name(hr_value)
                ),
            );
        }
        // model §12.2 Reporting(T): reports requested through StatusRecips, before EndMessage
        // (model §3.8, §6.1); MODEL §12.3: kept even when the pass failed.
        c.produce_reports(m, t, &pass);

        if c.msgs[mi].cancel_requested {
            // model §9.4: the user deleted the message during the call.
            if hr_value == hr::S_OK {
                c.warn_at(
                    pass.ret_seq,
                    "ok_after_cancel",
                    format!(
                        "{} returned S_OK from SubmitMessage after NOTIFY_CANCEL_MESSAGE; expected it to stop and return MAPI_E_USER_CANCEL (model §3.4). The spooler does not call EndMessage for a cancelled message.",
                        c.xp[ti].name
                    ),
                );
            }
            let pending = c.cancel_message(
                m,
                MessageState::Cancelled,
                "Cancelled: the user deleted the message",
            );
            for p in pending {
                self.notify_now(p);
            }
            return;
        }

        match hr_value {
            hr::S_OK => self.after_submit_ok(m, t, pass),
            v if hr::succeeded(v) => {
                c.warn_at(
                    pass.ret_seq,
                    "unexpected_success_code",
                    format!(
                        "SubmitMessage returned {}; the documented success is S_OK (model §3.7). Treated as S_OK.",
                        consts::hresult_name(v)
                    ),
                );
                self.after_submit_ok(m, t, pass)
            }
            hr::MAPI_E_BUSY => c.submit_failed_retry(m, t, &pass, RetryWhy::Busy, "MAPI_E_BUSY"),
            hr::MAPI_E_WAIT => c.submit_failed_retry(m, t, &pass, RetryWhy::Wait, "MAPI_E_WAIT"),
            hr::MAPI_E_NETWORK_ERROR => {
                c.submit_failed_retry(m, t, &pass, RetryWhy::NetworkError, "MAPI_E_NETWORK_ERROR")
            }
            hr::MAPI_E_NOT_ME => c.submit_not_me(m, t, &pass),
            hr::MAPI_E_CANCEL => {
                if !pass.deferred {
                    c.warn_at(
                        pass.ret_seq,
                        "cancel_not_deferred",
                        format!(
                            "{} returned MAPI_E_CANCEL to a SubmitMessage without BEGIN_DEFERRED; MAPI_E_CANCEL is for a resubmission the transport had asked for (model §3.7).",
                            c.xp[ti].name
                        ),
                    );
                }
                let why = format!(
                    "Withdrawn: {} returned MAPI_E_CANCEL; the message must not be resent",
                    c.xp[ti].name
                );
                let pending = c.cancel_message(m, MessageState::Withdrawn, &why);
                for p in pending {
                    self.notify_now(p);
                }
            }
            other => {
                c.submit_failed_retry(m, t, &pass, RetryWhy::Error, &consts::hresult_name(other))
            }
        }
    }

    /// SubmitMessage returned S_OK: EndMessage, then act on its flags (model §3.8).
    fn after_submit_ok(&mut self, m: u32, t: XpId, pass: Pass) {
        let c = &mut self.core;
        let mi = m as usize;
        let ti = t as usize;
        let name = c.xp[ti].name.clone();
        // Offered recipients the transport set TRUE (or reported) become Accepted(T).
        let mut reported = vec![false; pass.taken.len()];
        for e in &pass.entries {
            if let Some(x) = reported.get_mut(e.recipient as usize) {
                *x = true;
            }
        }
        for &r in &pass.offered {
            let ri = r as usize;
            if pass.taken[ri] || reported[ri] {
                if !pass.taken[ri] {
                    // model §12.3 edge rule: NDR'd but left FALSE.
                    c.warn_at(
                        pass.ret_seq,
                        "report_without_responsibility",
                        format!(
                            "{name} reported recipient {r} through StatusRecips but left its PR_RESPONSIBILITY FALSE; a real spooler might offer it again and produce a second report (model §12.3). Treated as taken."
                        ),
                    );
                }
                c.update_recip(m, r, |row| {
                    row.state = RecipientState::Accepted(t);
                    row.responsibility = true;
                    row.why =
                        format!("{name} set PR_RESPONSIBILITY TRUE; final when EndMessage returns")
                            .into();
                });
            }
        }
        // EndMessage (model §3.8): the last hand-off.
        c.set_msg_state(m, MessageState::InEnd(t), None);
        c.set_in_flight(t, Some(m));
        let reference = pass.reference;
        c.call(Who::Spooler, Who::Xp(t), "EndMessage", Some(m), |e| {
            e.reference = Some(reference);
        });
        let mut end_pass = Pass::new(t, Some(m), PassKind::End);
        end_pass.attempt = pass.attempt;
        end_pass.deferred = pass.deferred;
        end_pass.reference = reference;
        end_pass.offered = pass.offered.clone();
        end_pass.is_offered = pass.is_offered.clone();
        end_pass.taken = vec![false; pass.taken.len()];
        let view = c.view(m, &end_pass);
        let flags = self.run_hook(t, &mut end_pass, 0, |xp, ctx| xp.end_message(&view, ctx));
        let c = &mut self.core;
        c.close_open_notifies(&mut end_pass);
        if !end_pass.entries.is_empty() {
            // Points at that StatusRecips call.
            if let Some(at) = c.status_recips(&mut end_pass) {
                c.warn_at(
                    at,
                    "status_recips_in_end_message",
                    format!(
                        "{name} called StatusRecips during EndMessage; the spooler processes reports before EndMessage (model §3.8), so these come late."
                    ),
                );
            }
        }
        c.ret(Who::Xp(t), Who::Spooler, "EndMessage", Some(m), |e| {
            e.result = Some("S_OK".into());
            e.flags = Some(FlagSet::EndMessage.names(flags));
        });
        end_pass.ret_seq = c.step();
        c.set_in_flight(t, None);
        if c.stopped() {
            c.revert_offered(m, &pass, "the run stopped");
            return;
        }
        c.produce_reports(m, t, &end_pass);
        if c.msgs[mi].cancel_requested {
            let pending = c.cancel_message(
                m,
                MessageState::Cancelled,
                "Cancelled: the user deleted the message",
            );
            for p in pending {
                self.notify_now(p);
            }
            return;
        }
        c.apply_end_flags(m, t, &pass, &end_pass, flags);
    }
}

// ----------------------------------------------------------------------------------------
// Core: state changes and trace records
// ----------------------------------------------------------------------------------------

impl Core {
    fn stopped(&self) -> bool {
        self.end.is_some() || self.fault.is_some()
    }

    fn name(&self, w: Who) -> String {
        match w {
            Who::Client => "client".into(),
            Who::Store => "store".into(),
            Who::Spooler => "spooler".into(),
            Who::Xp(t) => self.xp[t as usize].name.to_string(),
        }
    }

    /// The single output route: assigns seq, t and depth.
    fn emit(&mut self, mut e: Event) {
        if self.events.len() >= MAX_TRACE_EVENTS {
            if self.end.is_none() {
                self.end = Some((
                    "limit".into(),
                    Some(format!(
                        "the run produced {MAX_TRACE_EVENTS} trace events; it stops here"
                    )),
                ));
            }
            return;
        }
        e.seq = self.events.len() as u64 + 1;
        e.t = self.now.as_secs_f64();
        e.depth = self.depth;
        self.events.push(e);
    }

    fn step(&self) -> u64 {
        self.events.len() as u64
    }

    fn call(
        &mut self,
        from: Who,
        to: Who,
        method: &str,
        msg: Option<u32>,
        fill: impl FnOnce(&mut Event),
    ) {
        let mut e = Event::new(EventKind::Call);
        e.from = Some(self.name(from));
        e.to = Some(self.name(to));
        e.method = Some(method.into());
        e.message = msg.map(|m| self.msgs[m as usize].id.to_string());
        fill(&mut e);
        self.emit(e);
        self.depth += 1;
    }

    fn ret(
        &mut self,
        from: Who,
        to: Who,
        method: &str,
        msg: Option<u32>,
        fill: impl FnOnce(&mut Event),
    ) {
        self.depth = self.depth.saturating_sub(1);
        let mut e = Event::new(EventKind::Return);
        e.from = Some(self.name(from));
        e.to = Some(self.name(to));
        e.method = Some(method.into());
        e.message = msg.map(|m| self.msgs[m as usize].id.to_string());
        fill(&mut e);
        self.emit(e);
    }

    fn note(&mut self, from: Who, msg: Option<u32>, text: String) {
        let mut e = Event::new(EventKind::Note);
        e.from = Some(self.name(from));
        e.message = msg.map(|m| self.msgs[m as usize].id.to_string());
        e.text = Some(text);
        self.emit(e);
    }

    /// A warning at the last event recorded (the call in progress, or the one that just
    /// happened).
    fn warn(&mut self, code: &str, text: String) {
        self.warn_at(self.step(), code, text);
    }

    /// A warning pointing at event `seq`, the one that caused it (contract §4 `warnings`).
    fn warn_at(&mut self, seq: u64, code: &str, text: String) {
        let seq = seq.max(1);
        if self.warnings.len() < 10_000 {
            self.warnings.push(Warning {
                seq,
                code: code.into(),
                text,
            });
        }
    }

    fn hook_fault(&mut self, f: HookFault) {
        if self.fault.is_none() {
            self.note(Who::Spooler, None, format!("script error: {}", f.message));
            self.fault = Some(f);
        }
    }

    fn stop_limit(&mut self, why: &str) {
        if self.end.is_none() {
            self.end = Some(("limit".into(), Some(why.into())));
        }
    }

    fn flat(&self, m: u32, r: u32) -> usize {
        self.msgs[m as usize].offset + r as usize
    }

    /// The recipient rows of message `m`.
    fn rows(&self, m: u32) -> &[RecipRow] {
        let rt = &self.msgs[m as usize];
        &self.rec.current.recipients[rt.offset..rt.offset + rt.recipients.len()]
    }

    /// Indexes of `m`'s recipients in `state`.
    fn recipients_in(&self, m: u32, state: RecipientState) -> Vec<u32> {
        self.rows(m)
            .iter()
            .filter(|r| r.state == state)
            .map(|r| r.index)
            .collect()
    }

    fn recip(&self, m: u32, r: u32) -> &RecipRow {
        &self.rec.current.recipients[self.flat(m, r)]
    }

    /// The one way to change a recipient row.
    fn update_recip(&mut self, m: u32, r: u32, f: impl FnOnce(&mut RecipRow)) {
        let i = self.flat(m, r);
        let mut row = self.rec.current.recipients[i].clone();
        f(&mut row);
        if row != self.rec.current.recipients[i] {
            let step = self.step();
            self.rec.record(step, Delta::Recipient(i as u32, row));
        }
    }

    fn set_msg_state(&mut self, m: u32, state: MessageState, retry_at: Option<Millis>) {
        self.update_msg(m, |row| {
            row.state = state;
            row.retry_at = retry_at;
        });
    }

    fn update_msg(&mut self, m: u32, f: impl FnOnce(&mut MsgRow)) {
        let mut row = self.rec.current.messages[m as usize].clone();
        f(&mut row);
        if row != self.rec.current.messages[m as usize] {
            let step = self.step();
            self.rec.record(step, Delta::Message(m, row));
        }
    }

    fn update_status(&mut self, t: XpId, f: impl FnOnce(&mut StatusRow)) {
        let mut row = self.rec.current.status[t as usize].clone();
        f(&mut row);
        if row != self.rec.current.status[t as usize] {
            let step = self.step();
            self.rec.record(step, Delta::Status(t, row));
        }
    }

    fn set_in_flight(&mut self, t: XpId, m: Option<u32>) {
        // Sample behaviour (model §3.7): STATUS_OUTBOUND_ACTIVE around SubmitMessage.
        self.update_status(t, |row| {
            row.in_flight = m;
            if m.is_some() {
                row.status_code |= flag::STATUS_OUTBOUND_ACTIVE;
            } else {
                row.status_code &= !flag::STATUS_OUTBOUND_ACTIVE;
            }
        });
    }

    /// `IMAPISupport::ModifyStatusRow` by transport `t` (model §4.3), nested in the current call.
    fn modify_status_row(&mut self, t: XpId, code: u32, update: bool) {
        self.call(Who::Xp(t), Who::Spooler, "ModifyStatusRow", None, |e| {
            e.flags = Some(if update {
                vec!["STATUSROW_UPDATE".into()]
            } else {
                Vec::new()
            });
            e.status = Some(FlagSet::StatusCode.names(code));
        });
        self.update_status(t, |row| row.status_code = code);
        self.ret(Who::Spooler, Who::Xp(t), "ModifyStatusRow", None, |e| {
            e.result = Some("S_OK".into())
        });
    }

    fn set_lock(&mut self, m: u32, locked: bool) {
        // model §8 step 12: SetLockState; SUBMITFLAG_LOCKED while locked.
        self.call(Who::Spooler, Who::Store, "SetLockState", Some(m), |e| {
            e.flags = Some(vec![
                if locked { "MSG_LOCKED" } else { "MSG_UNLOCKED" }.into()
            ]);
        });
        self.update_msg(m, |row| row.locked = locked);
        self.ret(Who::Store, Who::Spooler, "SetLockState", Some(m), |e| {
            e.result = Some("S_OK".into())
        });
    }

    fn view(&self, m: u32, pass: &Pass) -> MsgView {
        let rt = &self.msgs[m as usize];
        MsgView {
            index: m as usize,
            id: rt.id.clone(),
            subject: rt.subject.clone(),
            attempt: pass.attempt,
            deferred: pass.deferred,
            delivery_report: rt.delivery_report,
            reference: pass.reference,
            offered: pass.offered.clone(),
            recipients: rt.recipients.clone(),
        }
    }

    fn usable(&self, t: XpId) -> bool {
        // model §12.1: usable ⇔ logged on, outbound enabled, no critical error, not in a call.
        let row = &self.rec.current.status[t as usize];
        row.logged_on && row.outbound_enabled && row.in_flight.is_none()
    }

    /// The first candidate of `row` that is usable now (model §7.4 step 2, postponement).
    /// A recipient released by NOTIFY_SENTDEFERRED belongs to the deferring transport: it
    /// waits for that transport's BEGIN_DEFERRED pass and is never rerouted (model §9.2 step 4).
    fn effective_head(&self, row: &RecipRow) -> Option<XpId> {
        let head = *row.candidates.first()?;
        if self.msgs[row.message as usize].begin_deferred[head as usize] {
            return self.usable(head).then_some(head);
        }
        row.candidates.iter().copied().find(|t| self.usable(*t))
    }

    /// The transport to offer next for `m`, if any (model §7.4 step 2).
    fn pick_transport(&self, m: u32, blocked: &[bool]) -> Option<XpId> {
        let rt = &self.msgs[m as usize];
        let st = self.rec.current.messages[m as usize].state;
        if matches!(st, MessageState::Draft) || st.is_terminal() {
            return None;
        }
        let rows = self.rows(m);
        let ok = |t: XpId| !blocked[t as usize] && rt.waits[t as usize].is_none();
        if let Some(t) = rt.resend_now {
            if ok(t)
                && self.usable(t)
                && rows.iter().any(|r| {
                    r.state == RecipientState::Pending && self.effective_head(r) == Some(t)
                })
            {
                return Some(t);
            }
        }
        let mut heads = vec![false; self.xp.len()];
        for r in rows {
            if r.state == RecipientState::Pending {
                if let Some(h) = self.effective_head(r) {
                    heads[h as usize] = true;
                }
            }
        }
        (0..self.xp.len() as XpId).find(|t| heads[*t as usize] && ok(*t))
    }

    /// Recipients offered to `t` now: pending, with `t` as effective head (model §7.4 step 3).
    fn offer_set(&self, m: u32, t: XpId) -> Vec<u32> {
        let rows = self.rows(m);
        rows.iter()
            .filter(|r| r.state == RecipientState::Pending && self.effective_head(r) == Some(t))
            .map(|r| r.index)
            .collect()
    }

    fn no_candidate_recipients(&self, m: u32) -> Vec<u32> {
        self.rows(m)
            .iter()
            .filter(|r| r.state == RecipientState::Pending && r.candidates.is_empty())
            .map(|r| r.index)
            .collect()
    }

    fn all_final(&self, m: u32) -> bool {
        self.rows(m).iter().all(|r| r.state.is_final())
    }

    fn retry_heads(&self, m: u32) -> Vec<XpId> {
        let rt = &self.msgs[m as usize];
        (0..self.xp.len() as XpId)
            .filter(|t| rt.waits[*t as usize].is_some())
            .collect()
    }

    /// What a message that cannot go further now is waiting for (model §12.2).
    fn waiting_state(&self, m: u32) -> MessageState {
        let rows = self.rows(m);
        if let Some(t) = rows.iter().find_map(|r| match r.state {
            RecipientState::RetryWait(t) => Some(t),
            _ => None,
        }) {
            return MessageState::RetryWait(t);
        }
        if rows.iter().any(|r| r.state == RecipientState::Pending) {
            return MessageState::Postponed;
        }
        if let Some(t) = rows.iter().find_map(|r| match r.state {
            RecipientState::DeferredBy(t) => Some(t),
            _ => None,
        }) {
            return MessageState::Deferred(t);
        }
        MessageState::Queued
    }

    fn schedule(&mut self, at: Millis, timer: Timer) {
        self.timers.insert((at, self.timer_seq), timer);
        self.timer_seq += 1;
    }

    /// Closes nested TransportNotify calls a hook left open (a script error mid-hook).
    fn close_open_notifies(&mut self, pass: &mut Pass) {
        while let Some((flags, msg)) = pass.open_notify.pop() {
            self.after_notify_hook(pass.xp, flags);
            self.ret(
                Who::Xp(pass.xp),
                Who::Spooler,
                "TransportNotify",
                msg,
                |e| e.result = Some("S_OK".into()),
            );
        }
        pass.elapse_target = None;
    }

    /// After a TransportNotify hook: the transport updates its status row before returning
    /// (model §3.4, sample behaviour [MRXP]).
    fn after_notify_hook(&mut self, t: XpId, flags: u32) {
        let code = self.rec.current.status[t as usize].status_code;
        if flags & flag::NOTIFY_BEGIN_OUTBOUND != 0 {
            self.update_status(t, |r| r.outbound_enabled = true);
            self.modify_status_row(t, code | flag::STATUS_OUTBOUND_ENABLED, true);
        }
        if flags & flag::NOTIFY_END_OUTBOUND != 0 {
            self.update_status(t, |r| r.outbound_enabled = false);
            self.modify_status_row(t, code & !flag::STATUS_OUTBOUND_ENABLED, true);
        }
        if flags & flag::NOTIFY_END_OUTBOUND_FLUSH != 0 {
            self.modify_status_row(t, code & !flag::STATUS_OUTBOUND_FLUSH, true);
        }
    }

    // ---- StatusRecips and reports (model §6) ----

    /// The StatusRecips call for the entries a hook made (contract §2: one call per hook);
    /// returns its `seq` (`None`: no entries, no call).
    fn status_recips(&mut self, pass: &mut Pass) -> Option<u64> {
        let m = pass.msg?;
        if pass.entries.is_empty() {
            return None;
        }
        let dr_time = self.now.as_secs_f64();
        let entries: Vec<StatusEntry> = pass
            .entries
            .iter()
            .map(|e| StatusEntry {
                recipient: e.recipient,
                report: if e.dr { "DR".into() } else { "NDR".into() },
                reason: (!e.dr).then_some(e.reason),
                diag: (!e.dr).then_some(e.diag),
                text: (!e.text.is_empty()).then(|| e.text.clone()),
                deliver_time: e.dr.then_some(dr_time),
            })
            .collect();
        // model §6.1: each call for the same recipient can yield another identical report.
        let mut seen = vec![0u32; self.msgs[m as usize].recipients.len()];
        for e in &pass.entries {
            let fi = self.flat(m, e.recipient);
            seen[e.recipient as usize] += 1;
            self.report_counts[fi] += 1;
        }
        self.call(
            Who::Xp(pass.xp),
            Who::Spooler,
            "StatusRecips",
            Some(m),
            |e| e.entries = Some(entries),
        );
        let call = self.step();
        for (r, n) in seen.iter().enumerate() {
            let fi = self.flat(m, r as u32);
            if *n > 0 && self.report_counts[fi] > 1 {
                let name = self.xp[pass.xp as usize].name.clone();
                let total = self.report_counts[fi];
                self.warn_at(
                    call,
                    "duplicate_status_recips",
                    format!(
                        "{name} listed recipient {r} in StatusRecips again ({total} entries so far); each entry yields another report (model §6.1)"
                    ),
                );
            }
        }
        self.ret(
            Who::Spooler,
            Who::Xp(pass.xp),
            "StatusRecips",
            Some(m),
            |e| e.result = Some("S_OK".into()),
        );
        Some(call)
    }

    /// Turns a pass's StatusRecips entries into reports (model §6.2, §6.4, §14 Q17).
    fn produce_reports(&mut self, m: u32, t: XpId, pass: &Pass) {
        let entries = pass.entries.clone();
        for e in entries {
            let rt = &self.msgs[m as usize];
            let requested = if e.dr {
                rt.delivery_report
            } else {
                rt.non_delivery_report
            };
            let r = e.recipient;
            let spec = rt.recipients[r as usize].clone();
            let xpname = self.xp[t as usize].name.clone();
            let kind = if e.dr {
                ReportKind::Dr
            } else {
                ReportKind::Ndr
            };
            let text: Arc<str> = e.text.as_str().into();
            if !requested {
                // model §14 Q17: DRs only on request; NDRs unless suppressed.
                let why = if e.dr {
                    "the sender did not request delivery reports (PR_ORIGINATOR_DELIVERY_REPORT_REQUESTED FALSE)"
                } else {
                    "the sender suppressed NDRs (PR_ORIGINATOR_NON_DELIVERY_REPORT_REQUESTED FALSE)"
                };
                self.note(
                    Who::Spooler,
                    Some(m),
                    format!(
                        "{} for {} dropped: {why} (model §14 Q17)",
                        kind.as_str(),
                        spec.name
                    ),
                );
                if !e.dr {
                    self.update_recip(m, r, |row| {
                        row.ndr_reason = Some(e.reason);
                        row.ndr_diag = Some(e.diag);
                        row.report_text = Some(text.clone());
                    });
                }
                continue;
            }
            let class = format!("REPORT.IPM.Note.{}", kind.as_str());
            let mut ev = Event::new(EventKind::Note);
            ev.from = Some("spooler".into());
            ev.message = Some(self.msgs[m as usize].id.to_string());
            ev.recipient = Some(r);
            ev.entries = Some(vec![StatusEntry {
                recipient: r,
                report: kind.as_str().into(),
                reason: (!e.dr).then_some(e.reason),
                diag: (!e.dr).then_some(e.diag),
                text: (!e.text.is_empty()).then(|| e.text.clone()),
                deliver_time: None,
            }]);
            ev.text = Some(if e.dr {
                format!(
                    "{class} for {} <{}>, requested by {xpname}, delivered to the sender's Inbox",
                    spec.name, spec.address
                )
            } else {
                format!(
                    "{class} for {} <{}> ({} / {}), requested by {xpname}, delivered to the sender's Inbox with the original attached",
                    spec.name,
                    spec.address,
                    consts::reason_name(e.reason),
                    consts::diag_name(e.diag)
                )
            });
            self.emit(ev);
            let seq = self.step();
            self.reports.push(ReportRow {
                message: self.msgs[m as usize].id.to_string(),
                kind: kind.as_str().into(),
                source: xpname.to_string(),
                recipients: vec![r],
                seq,
                class,
            });
            self.update_recip(m, r, |row| {
                row.report = Some(kind);
                if e.dr {
                    row.ndr_reason = None;
                    row.ndr_diag = None;
                } else {
                    row.ndr_reason = Some(e.reason);
                    row.ndr_diag = Some(e.diag);
                }
                row.report_text = (!text.is_empty()).then(|| text.clone());
            });
        }
    }

    /// The spooler's own NDR for recipients no transport took (model §7.4 step 6, §14 Q4).
    fn spooler_ndr(&mut self, m: u32, recips: &[u32]) {
        let text: Arc<str> = consts::NO_TRANSPORT_TEXT.into();
        let reason = 1; // MAPI_REASON_TRANSFER_IMPOSSIBLE (MODEL, model §14 Q4)
        let diag = -1; // MAPI_DIAG_NO_DIAGNOSTIC
        let ndr_ok = self.msgs[m as usize].non_delivery_report;
        for &r in recips {
            let spec = self.msgs[m as usize].recipients[r as usize].clone();
            let mut ev = Event::new(EventKind::Property);
            ev.from = Some("spooler".into());
            ev.message = Some(self.msgs[m as usize].id.to_string());
            ev.recipient = Some(r);
            ev.property = Some("PR_RESPONSIBILITY".into());
            ev.value = Some(PropValue::Bool(true));
            self.emit(ev);
            self.update_recip(m, r, |row| row.responsibility = true);
            let offered_before = !self.recip(m, r).offered_to.is_empty();
            let why = if offered_before {
                format!(
                    "NDR from the spooler: every transport that could take {} declined it",
                    spec.addr_type
                )
            } else {
                format!("NDR from the spooler: no transport took {}", spec.addr_type)
            };
            if ndr_ok {
                let class = "REPORT.IPM.Note.NDR".to_string();
                let mut ev = Event::new(EventKind::Note);
                ev.from = Some("spooler".into());
                ev.message = Some(self.msgs[m as usize].id.to_string());
                ev.recipient = Some(r);
                ev.entries = Some(vec![StatusEntry {
                    recipient: r,
                    report: "NDR".into(),
                    reason: Some(reason),
                    diag: Some(diag),
                    text: Some(text.to_string()),
                    deliver_time: None,
                }]);
                ev.text = Some(format!(
                    "{class} for {} <{}> from the spooler: no transport took address type {} (MAPI_REASON_TRANSFER_IMPOSSIBLE / MAPI_DIAG_NO_DIAGNOSTIC)",
                    spec.name, spec.address, spec.addr_type
                ));
                self.emit(ev);
                let seq = self.step();
                self.reports.push(ReportRow {
                    message: self.msgs[m as usize].id.to_string(),
                    kind: "NDR".into(),
                    source: "spooler".into(),
                    recipients: vec![r],
                    seq,
                    class,
                });
            } else {
                self.note(
                    Who::Spooler,
                    Some(m),
                    format!(
                        "NDR for {} suppressed (PR_ORIGINATOR_NON_DELIVERY_REPORT_REQUESTED FALSE)",
                        spec.name
                    ),
                );
            }
            self.update_recip(m, r, |row| {
                row.state = RecipientState::NoTransport;
                row.responsibility = true;
                row.report = ndr_ok.then_some(ReportKind::Ndr);
                row.ndr_reason = Some(reason);
                row.ndr_diag = Some(diag);
                row.report_text = Some(text.clone());
                row.why = why.into();
            });
        }
    }

    // ---- reactions to SubmitMessage / EndMessage results ----

    /// Offered recipients go back to Pending; the pass's property changes are discarded.
    fn revert_offered(&mut self, m: u32, pass: &Pass, why: &str) {
        for &r in &pass.offered {
            if matches!(
                self.recip(m, r).state,
                RecipientState::Offered(_) | RecipientState::Accepted(_)
            ) {
                self.update_recip(m, r, |row| {
                    row.state = RecipientState::Pending;
                    row.responsibility = false;
                    row.why = why.into();
                });
            }
        }
    }

    fn warn_discarded(&mut self, t: XpId, pass: &Pass, result: &str) {
        if pass.changed_anything() {
            let name = self.xp[t as usize].name.clone();
            self.warn_at(
                pass.ret_seq,
                "changes_discarded",
                format!(
                    "{name} changed recipients and then returned {result}: the spooler releases the message without saving, so the PR_RESPONSIBILITY changes are lost (model §3.7 obligation 7); StatusRecips reports already produced stay (model §12.3)"
                ),
            );
        }
    }

    /// BUSY, WAIT, NETWORK_ERROR or another failure: no EndMessage, retry later (model §9.3).
    fn submit_failed_retry(&mut self, m: u32, t: XpId, pass: &Pass, why: RetryWhy, result: &str) {
        self.warn_discarded(t, pass, result);
        if pass.deferred {
            // model §3.7: nothing was processed, so the retry is the same hand-back of the
            // deferred message (model §9.2 step 4): BEGIN_DEFERRED again.
            self.msgs[m as usize].begin_deferred[t as usize] = true;
        }
        let cfg = self.sc.spooler.clone();
        let delay = match why {
            RetryWhy::Busy => cfg.busy_retry,
            RetryWhy::Error => cfg.error_retry,
            RetryWhy::ResendLater => cfg.resend_later,
            RetryWhy::Wait | RetryWhy::NetworkError => match pass.return_parm {
                Some(s) if s > 0.0 => Millis::from_secs_f64(s.min(MAX_DELAY_S)),
                _ => {
                    let name = self.xp[t as usize].name.clone();
                    self.warn_at(
                        pass.ret_seq,
                        "wait_without_retry_time",
                        format!(
                            "{name} returned {result} without a retry time (*lpulReturnParm unset or 0: call retry_after(s) with s ≥ 1); the spooler retries after busy_retry_s = {} (model §3.7)",
                            cfg.busy_retry
                        ),
                    );
                    cfg.busy_retry
                }
            },
        }
        .max(MIN_RETRY);
        self.start_retry(m, t, &pass.offered, why, delay, result);
    }

    fn start_retry(
        &mut self,
        m: u32,
        t: XpId,
        recips: &[u32],
        why: RetryWhy,
        delay: Millis,
        result: &str,
    ) {
        let at = self.now.saturating_add(delay);
        self.msgs[m as usize].waits[t as usize] = Some((at, why));
        let name = self.xp[t as usize].name.clone();
        let text = format!("{name} returned {result}; retry at {at}");
        for &r in recips {
            self.update_recip(m, r, |row| {
                row.state = RecipientState::RetryWait(t);
                row.responsibility = false;
                row.why = text.as_str().into();
            });
        }
        let mut ev = Event::new(EventKind::Timer);
        ev.from = Some("spooler".into());
        ev.to = Some(name.to_string());
        ev.message = Some(self.msgs[m as usize].id.to_string());
        ev.timer = Some(why.timer_name().into());
        ev.due = Some(at.as_secs_f64());
        ev.text = Some(format!(
            "{result}: SubmitMessage to {name} again at {at} (model §9.3)"
        ));
        self.emit(ev);
        self.schedule(at, Timer::Retry { msg: m, xp: t, at });
    }

    /// A retry of `t` for `m` is due: its recipients go back to routing. `timer_at` is the
    /// firing timer's due time (`None` when a flush brings the retry forward).
    fn retry_due(&mut self, m: u32, t: XpId, timer_at: Option<Millis>) {
        let mi = m as usize;
        if self.rec.current.messages[mi].state.is_terminal() {
            return;
        }
        let Some((at, why)) = self.msgs[mi].waits[t as usize] else {
            return;
        };
        if timer_at.is_some_and(|x| x != at) {
            return; // a stale timer: the retry was rescheduled
        }
        self.msgs[mi].waits[t as usize] = None;
        let mut ev = Event::new(EventKind::Timer);
        ev.from = Some("spooler".into());
        ev.to = Some(self.xp[t as usize].name.to_string());
        ev.message = Some(self.msgs[mi].id.to_string());
        ev.timer = Some(why.timer_name().into());
        ev.text = Some("retry due".into());
        self.emit(ev);
        self.back_to_pending(
            m,
            RecipientState::RetryWait(t),
            false,
            "Retry due: back to routing",
        );
    }

    /// Recipients of `m` in `from` go back to Pending (`to_front`: with `from`'s transport
    /// first among their candidates); a message waiting only for them is Queued again.
    fn back_to_pending(&mut self, m: u32, from: RecipientState, to_front: bool, why: &str) {
        let t = from.transport();
        for r in self.recipients_in(m, from) {
            self.update_recip(m, r, |row| {
                row.state = RecipientState::Pending;
                if let (true, Some(t)) = (to_front, t) {
                    row.candidates.retain(|c| *c != t);
                    row.candidates.insert(0, t);
                }
                row.why = why.into();
            });
        }
        let waiting = match self.rec.current.messages[m as usize].state {
            MessageState::RetryWait(x) => Some(RecipientState::RetryWait(x)),
            MessageState::Deferred(x) => Some(RecipientState::DeferredBy(x)),
            _ => None,
        };
        if waiting == Some(from) {
            self.set_msg_state(m, MessageState::Queued, None);
        }
    }

    /// MAPI_E_NOT_ME: nothing processed; look for another transport (model §3.7, §7.4 step 4).
    fn submit_not_me(&mut self, m: u32, t: XpId, pass: &Pass) {
        self.warn_discarded(t, pass, "MAPI_E_NOT_ME");
        let name = self.xp[t as usize].name.clone();
        for &r in &pass.offered {
            self.decline(m, r, t, &format!("{name} returned MAPI_E_NOT_ME"));
        }
    }

    /// Drops `t` from `r`'s candidates: back to routing, or on to the spooler NDR.
    fn decline(&mut self, m: u32, r: u32, t: XpId, what: &str) {
        let names: Vec<Arc<str>> = self.xp.iter().map(|x| x.name.clone()).collect();
        self.update_recip(m, r, |row| {
            row.candidates.retain(|c| *c != t);
            row.state = RecipientState::Pending;
            row.responsibility = false;
            row.why = match row.candidates.first() {
                Some(n) => format!("{what}; next candidate: {}", names[*n as usize]),
                None => format!("{what}; no candidate left: the spooler will NDR it"),
            }
            .into();
        });
    }

    /// EndMessage's flags (model §3.8, §9.2, §9.3, §14 Q2, Q15).
    fn apply_end_flags(&mut self, m: u32, t: XpId, pass: &Pass, end_pass: &Pass, flags: u32) {
        let mi = m as usize;
        let name = self.xp[t as usize].name.clone();
        let known = flag::END_RESEND_NOW | flag::END_RESEND_LATER | flag::END_DONT_RESEND;
        if flags & !known != 0 {
            self.warn_at(
                end_pass.ret_seq,
                "unknown_end_flags",
                format!(
                    "{name}'s EndMessage returned unknown bits 0x{:08X}; ignored",
                    flags & !known
                ),
            );
        }
        let set = flags & known;
        // Precedence when several are set (a transport bug): RESEND_NOW, RESEND_LATER, DONT_RESEND.
        let mut chosen = [
            flag::END_RESEND_NOW,
            flag::END_RESEND_LATER,
            flag::END_DONT_RESEND,
        ]
        .into_iter()
        .find(|f| set & f != 0)
        .unwrap_or(0);
        if set.count_ones() > 1 {
            self.warn_at(
                end_pass.ret_seq,
                "conflicting_end_flags",
                format!(
                    "{name}'s EndMessage returned {}; they exclude each other, the spooler acts on {}",
                    FlagSet::EndMessage.names(set).join("|"),
                    FlagSet::EndMessage.names(chosen).join("")
                ),
            );
        }
        if chosen == flag::END_RESEND_NOW {
            self.msgs[mi].resend_streak += 1;
            let limit = self.sc.spooler.resend_now_limit;
            if self.msgs[mi].resend_streak > limit {
                self.warn_at(
                end_pass.ret_seq,
                    "resend_now_limit",
                    format!(
                        "{name} returned END_RESEND_NOW {} times in a row; after resend_now_limit = {limit} the spooler treats it as END_RESEND_LATER (model §14 Q2)",
                        self.msgs[mi].resend_streak
                    ),
                );
                self.msgs[mi].resend_streak = 0;
                chosen = flag::END_RESEND_LATER;
            }
        } else {
            self.msgs[mi].resend_streak = 0;
        }
        // The last StatusRecips entry of this pass per recipient: Some(true) = DR, Some(false) = NDR.
        let reported: Vec<Option<bool>> = {
            let mut v = vec![None; pass.taken.len()];
            // Entries made during EndMessage (warned) count too: their reports were produced.
            for e in pass.entries.iter().chain(end_pass.entries.iter()) {
                if let Some(x) = v.get_mut(e.recipient as usize) {
                    *x = Some(e.dr);
                }
            }
            v
        };
        let mut accepted = Vec::new();
        let mut declined = Vec::new();
        for &r in &pass.offered {
            match self.recip(m, r).state {
                RecipientState::Accepted(_) => accepted.push(r),
                RecipientState::Offered(_) if reported[r as usize].is_some() => {
                    // model §12.3 edge rule: reported during EndMessage but left FALSE.
                    self.warn_at(
                end_pass.ret_seq,
                        "report_without_responsibility",
                        format!(
                            "{name} reported recipient {r} through StatusRecips but left its PR_RESPONSIBILITY FALSE; a real spooler might offer it again and produce a second report (model §12.3). Treated as taken."
                        ),
                    );
                    accepted.push(r);
                }
                RecipientState::Offered(_) => declined.push(r),
                _ => {}
            }
        }
        match chosen {
            flag::END_RESEND_NOW | flag::END_RESEND_LATER => {
                // MODEL §14 Q2: the pass counts as not sent; the offered recipients go back to
                // T whether or not the transport set them TRUE (a transport that is "not
                // sending now" rightly leaves them FALSE, model §7.1), so Q15's "ignored for
                // recipients not accepted" applies to flag 0 only. Recipients it reported are
                // final: their reports were produced, and offering them again would only make
                // identical duplicates (docs/MODELLING.md).
                let mut again = Vec::new();
                for &r in accepted.iter().chain(declined.iter()) {
                    match reported[r as usize] {
                        Some(dr) => self.finalize_accepted(m, r, t, Some(dr)),
                        None => again.push(r),
                    }
                }
                declined.clear();
                accepted = again;
                if chosen == flag::END_RESEND_NOW {
                    for &r in &accepted {
                        self.update_recip(m, r, |row| {
                            row.state = RecipientState::Pending;
                            row.responsibility = false;
                            row.why =
                                format!("{name} returned END_RESEND_NOW: offered again at once")
                                    .into();
                        });
                    }
                    if !accepted.is_empty() {
                        self.msgs[mi].resend_now = Some(t);
                    }
                } else if !accepted.is_empty() {
                    let delay = self.sc.spooler.resend_later.max(MIN_RETRY);
                    self.start_retry(
                        m,
                        t,
                        &accepted,
                        RetryWhy::ResendLater,
                        delay,
                        "END_RESEND_LATER",
                    );
                }
            }
            flag::END_DONT_RESEND => {
                // model §9.2: park. Offered recipients not reported are DeferredBy(T), whether
                // or not they were set TRUE (XPWDSR touches none in pass 1).
                let mut parked = 0;
                for &r in accepted.iter().chain(declined.iter()) {
                    if let Some(dr) = reported[r as usize] {
                        self.finalize_accepted(m, r, t, Some(dr));
                    } else {
                        parked += 1;
                        self.update_recip(m, r, |row| {
                            row.state = RecipientState::DeferredBy(t);
                            row.responsibility = false;
                            row.why = format!("{name} deferred it (END_DONT_RESEND); waits for SpoolerNotify(NOTIFY_SENTDEFERRED)").into();
                        });
                    }
                }
                declined.clear();
                if parked > 0 {
                    self.update_status(t, |row| {
                        if !row.deferred.contains(&m) {
                            row.deferred.push(m);
                        }
                    });
                }
            }
            _ => {
                for &r in &accepted {
                    self.finalize_accepted(m, r, t, reported[r as usize]);
                }
            }
        }
        // model §14 Q15: recipients left FALSE were declined; routing continues.
        for r in declined {
            self.decline(
                m,
                r,
                t,
                &format!("{name} left PR_RESPONSIBILITY FALSE (declined)"),
            );
        }
    }

    /// Accepted(T) → Sent / DeliveredReported / NonDelivered (EndMessage 0). `entry` is the
    /// recipient's StatusRecips entry in this pass: Some(true) DR, Some(false) NDR.
    fn finalize_accepted(&mut self, m: u32, r: u32, t: XpId, entry: Option<bool>) {
        let name = self.xp[t as usize].name.clone();
        self.update_recip(m, r, |row| {
            row.responsibility = true;
            match entry {
                Some(true) if row.report == Some(ReportKind::Dr) => {
                    row.state = RecipientState::DeliveredReported(t);
                    row.why =
                        format!("Delivered by {name}: DR from StatusRecips (PR_DELIVER_TIME set)")
                            .into();
                }
                Some(true) => {
                    row.state = RecipientState::Sent(t);
                    row.why =
                        format!("Sent by {name}; its DR was dropped: no delivery report requested")
                            .into();
                }
                Some(false) => {
                    row.state = RecipientState::NonDelivered(t);
                    let diag = row.ndr_diag.map(consts::diag_name).unwrap_or_default();
                    row.why = if row.report == Some(ReportKind::Ndr) {
                        format!("NDR from {name} via StatusRecips: {diag}")
                    } else {
                        format!("Failed at {name} ({diag}); NDR suppressed by the sender")
                    }
                    .into();
                }
                None => {
                    row.state = RecipientState::Sent(t);
                    row.why = format!("Sent by {name}: EndMessage returned 0").into();
                }
            }
        });
    }

    /// FinishedMsg and DoSentMail (model §8 steps 20–22).
    fn finish_message(&mut self, m: u32) {
        let after = self.msgs[m as usize].after_submit;
        self.call(Who::Spooler, Who::Store, "FinishedMsg", Some(m), |_| {});
        let (state, text) = match after {
            AfterSubmit::SentItems => (
                MessageState::CompletedMoved,
                "unlocked; DoSentMail moved it to Sent Items (PR_SENTMAIL_ENTRYID)",
            ),
            AfterSubmit::Delete => (MessageState::CompletedDeleted, "unlocked; DoSentMail deleted it (PR_DELETE_AFTER_SUBMIT)"),
            AfterSubmit::Keep => (
                MessageState::CompletedLeftInPlace,
                "unlocked; DoSentMail left it where it was (neither PR_SENTMAIL_ENTRYID nor PR_DELETE_AFTER_SUBMIT)",
            ),
        };
        self.update_msg(m, |row| {
            row.locked = false;
            row.state = state;
            row.retry_at = None;
            row.message_flags &= !(flag::MSGFLAG_SUBMIT | flag::MSGFLAG_UNSENT);
        });
        let step = self.step();
        self.rec.record(step, Delta::QueueRemove(m));
        self.ret(Who::Store, Who::Spooler, "FinishedMsg", Some(m), |e| {
            e.result = Some("S_OK".into());
            e.text = Some(text.into());
        });
    }

    /// The message leaves the queue without being sent: cancelled, aborted or withdrawn.
    /// Returns the ABORT_DEFERRED notifications owed to transports that deferred it.
    fn cancel_message(&mut self, m: u32, state: MessageState, why: &str) -> Vec<PendingNotify> {
        let mi = m as usize;
        let mut pending = Vec::new();
        for t in 0..self.xp.len() as XpId {
            if self.rec.current.status[t as usize].deferred.contains(&m) {
                self.update_status(t, |row| row.deferred.retain(|x| *x != m));
                // A transport told NOTIFY_ABORT_DEFERRED no longer calls NOTIFY_SENTDEFERRED for
                // the message: its pending notify_sent_deferred() is withdrawn.
                self.timers
                    .retain(|_, timer| *timer != Timer::SentDeferred { msg: m, xp: t });
                // model §9.2 step 5, §14 Q8: the deferring transport is told.
                pending.push(PendingNotify {
                    xp: t,
                    flags: flag::NOTIFY_ABORT_DEFERRED | flag::NOTIFY_CANCEL_MESSAGE,
                    msg: Some(m),
                });
            }
        }
        let n = self.msgs[mi].recipients.len() as u32;
        for r in 0..n {
            if !self.recip(m, r).state.is_final() {
                self.update_recip(m, r, |row| {
                    row.state = RecipientState::Cancelled;
                    row.responsibility = false;
                    row.why = why.into();
                });
            }
        }
        for w in self.msgs[mi].waits.iter_mut() {
            *w = None;
        }
        self.msgs[mi].cancel_requested = false;
        let was_locked = self.rec.current.messages[mi].locked;
        if self.rec.current.queue.contains(&m) {
            let step = self.step();
            self.rec.record(step, Delta::QueueRemove(m));
        }
        if was_locked && state == MessageState::Withdrawn {
            self.set_lock(m, false);
        }
        self.update_msg(m, |row| {
            row.state = state;
            row.locked = false;
            row.retry_at = None;
            row.message_flags &= !flag::MSGFLAG_SUBMIT;
        });
        let text = match state {
            MessageState::Withdrawn => format!("{}: removed from the outgoing queue, left unsent, no reports (model §14 Q10)", self.msgs[mi].id),
            MessageState::Aborted => format!("{}: removed from the outgoing queue by AbortSubmit", self.msgs[mi].id),
            _ => format!("{}: the user deleted it; the store removes it from the outgoing queue (model §9.4)", self.msgs[mi].id),
        };
        self.note(Who::Store, Some(m), text);
        pending
    }

    // ---- client, store and external events ----

    fn client_submit(&mut self, m: u32) {
        let mi = m as usize;
        if self.rec.current.messages[mi].state != MessageState::Draft {
            return; // deleted before submission
        }
        let n = self.msgs[mi].recipients.len();
        self.call(Who::Client, Who::Store, "SubmitMessage", Some(m), |e| {
            e.flags = Some(Vec::new())
        });
        if n == 0 {
            // model §8 step 7.
            self.update_msg(m, |row| row.state = MessageState::NotSubmitted);
            self.ret(Who::Store, Who::Client, "SubmitMessage", Some(m), |e| {
                e.result = Some("MAPI_E_NO_RECIPIENTS".into());
            });
            return;
        }
        // model §8 steps 8–11: MSGFLAG_SUBMIT, PR_RESPONSIBILITY FALSE, queued in order.
        self.update_msg(m, |row| {
            row.state = MessageState::Queued;
            row.message_flags |= flag::MSGFLAG_SUBMIT | flag::MSGFLAG_UNSENT;
        });
        let step = self.step();
        self.rec.record(step, Delta::QueuePush(m));
        self.ret(Who::Store, Who::Client, "SubmitMessage", Some(m), |e| {
            e.result = Some("S_OK".into());
            e.text = Some(format!(
                "queued with {n} recipient(s), PR_RESPONSIBILITY FALSE on each"
            ));
        });
    }

    /// Whether a timer can be handled while transport `pass.xp` is inside a call.
    fn deliverable_during(&self, timer: &Timer, pass: &Pass) -> bool {
        let deferrers = |m: usize| -> Vec<XpId> {
            (0..self.xp.len() as XpId)
                .filter(|t| {
                    self.rec.current.status[*t as usize]
                        .deferred
                        .contains(&(m as u32))
                })
                .collect()
        };
        match timer {
            Timer::ClientSubmit(_) => true,
            Timer::External(i) => match self.sc.events[*i].action {
                EventAction::Cancel { message } | EventAction::AbortSubmit { message } => {
                    Some(message as u32) == pass.msg
                        || deferrers(message).iter().all(|t| *t == pass.xp)
                }
                EventAction::OutboundOff { transport } | EventAction::OutboundOn { transport } => {
                    transport as XpId == pass.xp
                }
                EventAction::Flush | EventAction::Logoff => false,
            },
            Timer::Retry { .. } | Timer::SentDeferred { .. } => false,
        }
    }

    /// A scenario event (contract §3). With `nested`, it arrives while that pass's transport
    /// is in a call; notifications for that transport then come back as the first element
    /// and are delivered re-entrantly by the caller.
    fn external(&mut self, i: usize, nested: Option<&mut Pass>) -> Vec<PendingNotify> {
        let action = self.sc.events[i].action.clone();
        match action {
            EventAction::Cancel { message } => {
                let m = message as u32;
                let mi = message;
                let st = self.rec.current.messages[mi].state;
                if let Some(pass) = nested {
                    if pass.msg == Some(m) {
                        // model §9.4: NOTIFY_CANCEL_MESSAGE to the transport in the call.
                        self.msgs[mi].cancel_requested = true;
                        pass.cancelled = true;
                        return vec![PendingNotify {
                            xp: pass.xp,
                            flags: flag::NOTIFY_CANCEL_MESSAGE,
                            msg: Some(m),
                        }];
                    }
                }
                match st {
                    MessageState::Draft => {
                        self.note(
                            Who::Client,
                            Some(m),
                            format!("the user deletes {} before submitting it", self.msgs[mi].id),
                        );
                        self.update_msg(m, |row| row.state = MessageState::Cancelled);
                        let n = self.msgs[mi].recipients.len() as u32;
                        for r in 0..n {
                            self.update_recip(m, r, |row| {
                                row.state = RecipientState::Cancelled;
                                row.why = "Cancelled: deleted before submission".into();
                            });
                        }
                        Vec::new()
                    }
                    s if s.is_terminal() => {
                        self.note(
                            Who::Client,
                            Some(m),
                            if s == MessageState::NotSubmitted {
                                format!(
                                    "cancel: {} was never queued (MAPI_E_NO_RECIPIENTS); nothing to do",
                                    self.msgs[mi].id
                                )
                            } else {
                                format!(
                                    "cancel: {} is no longer in the outgoing queue ({}); nothing to do",
                                    self.msgs[mi].id,
                                    s.contract_status()
                                )
                            },
                        );
                        Vec::new()
                    }
                    _ => self.cancel_message(
                        m,
                        MessageState::Cancelled,
                        "Cancelled: the user deleted the message",
                    ),
                }
            }
            EventAction::AbortSubmit { message } => {
                let m = message as u32;
                let st = self.rec.current.messages[message].state;
                self.call(Who::Client, Who::Store, "AbortSubmit", Some(m), |_| {});
                let locked = self.rec.current.messages[message].locked;
                let in_queue = self.rec.current.queue.contains(&m);
                // model §9.4: S_OK if queued and unlocked; UNABLE_TO_ABORT if locked; NOT_IN_QUEUE.
                let result = if !in_queue || st.is_terminal() || st == MessageState::Draft {
                    hr::MAPI_E_NOT_IN_QUEUE
                } else if locked {
                    hr::MAPI_E_UNABLE_TO_ABORT
                } else {
                    hr::S_OK
                };
                let mut pending = Vec::new();
                if result == hr::S_OK {
                    pending = self.cancel_message(
                        m,
                        MessageState::Aborted,
                        "Cancelled: AbortSubmit removed the message from the queue",
                    );
                }
                self.ret(Who::Store, Who::Client, "AbortSubmit", Some(m), |e| {
                    e.result = Some(consts::hresult_name(result));
                });
                pending
            }
            EventAction::OutboundOff { transport } => {
                vec![PendingNotify {
                    xp: transport as XpId,
                    flags: flag::NOTIFY_END_OUTBOUND,
                    msg: None,
                }]
            }
            EventAction::OutboundOn { transport } => {
                vec![PendingNotify {
                    xp: transport as XpId,
                    flags: flag::NOTIFY_BEGIN_OUTBOUND,
                    msg: None,
                }]
            }
            // Handled by Engine::flush (it needs the behaviours); never delivered nested.
            EventAction::Flush | EventAction::Logoff => Vec::new(),
        }
    }

    /// The transport's SpoolerNotify(NOTIFY_SENTDEFERRED) for `m` (model §9.2 step 3).
    fn sent_deferred(&mut self, m: u32, t: XpId) {
        let mi = m as usize;
        self.call(Who::Xp(t), Who::Spooler, "SpoolerNotify", Some(m), |e| {
            e.flags = Some(vec!["NOTIFY_SENTDEFERRED".into()]);
            e.text = Some("lpvData: the deferred message's entry id".into());
        });
        let deferred_here = self.rec.current.status[t as usize].deferred.contains(&m);
        if deferred_here {
            self.release_deferred(m, t);
        } else {
            let name = self.xp[t as usize].name.clone();
            let state = self.rec.current.messages[mi].state;
            self.warn(
                "sent_deferred_not_deferred",
                format!(
                    "{name} called SpoolerNotify(NOTIFY_SENTDEFERRED) for {}, which it has not deferred (message is {}); ignored",
                    self.msgs[mi].id,
                    state.name()
                ),
            );
        }
        self.ret(Who::Spooler, Who::Xp(t), "SpoolerNotify", Some(m), |e| {
            e.result = Some("S_OK".into())
        });
    }

    /// Logoff: T's deferred message goes back to the outgoing queue; the deferred queue is not
    /// persistent, so it is submitted again from the queue next session (model §9.2 step 6).
    fn abort_deferred_for_logoff(&mut self, m: u32, t: XpId) {
        self.update_status(t, |row| row.deferred.retain(|x| *x != m));
        self.timers
            .retain(|_, x| *x != Timer::SentDeferred { msg: m, xp: t });
        let why = format!(
            "Logoff: {} was sent NOTIFY_ABORT_DEFERRED; back in the outgoing queue for the next session",
            self.xp[t as usize].name
        );
        self.back_to_pending(m, RecipientState::DeferredBy(t), false, &why);
    }

    /// DeferredBy(T) recipients come back for SubmitMessage(BEGIN_DEFERRED) (model §9.2 step 4).
    fn release_deferred(&mut self, m: u32, t: XpId) {
        self.update_status(t, |row| row.deferred.retain(|x| *x != m));
        self.msgs[m as usize].begin_deferred[t as usize] = true;
        // The deferring transport gets it back first.
        let why = format!(
            "{} asked for it back (NOTIFY_SENTDEFERRED): SubmitMessage(BEGIN_DEFERRED) next",
            self.xp[t as usize].name
        );
        self.back_to_pending(m, RecipientState::DeferredBy(t), true, &why);
    }

    fn finish(mut self) -> Run {
        let (reason, text) = self.end.take().unwrap_or_else(|| ("idle".into(), None));
        let (reason, text) = match &self.fault {
            Some(f) => ("script_error".to_string(), Some(f.message.clone())),
            None => (reason, text),
        };
        let names: Vec<String> = self.xp.iter().map(|x| x.name.to_string()).collect();
        let tables = &self.rec.current;
        let mut recipients = Vec::with_capacity(tables.recipients.len());
        for row in &tables.recipients {
            let rt = &self.msgs[row.message as usize];
            let spec = &rt.recipients[row.index as usize];
            let transport = match row.state {
                RecipientState::Sent(t)
                | RecipientState::DeliveredReported(t)
                | RecipientState::NonDelivered(t) => Some(names[t as usize].clone()),
                RecipientState::DeferredBy(t) | RecipientState::Accepted(t) => {
                    Some(names[t as usize].clone())
                }
                _ => None,
            };
            let failed = matches!(
                row.state,
                RecipientState::NonDelivered(_) | RecipientState::NoTransport
            );
            recipients.push(RecipientRow {
                message: rt.id.to_string(),
                index: row.index,
                name: spec.name.clone(),
                address: spec.address.clone(),
                addr_type: spec.addr_type.clone(),
                recipient_type: spec.recipient_type.as_str().into(),
                status: row.state.contract_status().into(),
                transport,
                responsibility: row.responsibility,
                report: row.report.map(|k| k.as_str().to_string()),
                ndr_reason: if failed { row.ndr_reason } else { None },
                ndr_diag: if failed { row.ndr_diag } else { None },
                report_text: if row.report.is_some() || failed {
                    row.report_text.as_deref().map(str::to_string)
                } else {
                    None
                },
            });
        }
        let messages = self
            .msgs
            .iter()
            .zip(&tables.messages)
            .map(|(rt, row)| MessageRow {
                id: rt.id.to_string(),
                subject: rt.subject.to_string(),
                status: row.state.contract_status().into(),
            })
            .collect();
        let trace = Trace {
            version: 1,
            title: self.sc.title.clone(),
            events: self.events,
            recipients,
            messages,
            reports: self.reports,
            warnings: self.warnings,
            end: RunEnd {
                t: self.now.as_secs_f64(),
                reason,
                text,
            },
        };
        Run {
            trace,
            timeline: self.rec.finish(),
            fault: self.fault,
        }
    }
}

impl Engine {
    /// `IMAPIStatus::FlushQueues` on the spooler (model §10.3), transport after transport.
    fn flush(&mut self) {
        let c = &mut self.core;
        c.call(Who::Client, Who::Spooler, "FlushQueues", None, |e| {
            e.flags = Some(FlagSet::FlushQueues.names(flag::FLUSH_UPLOAD | flag::FLUSH_ASYNC_OK));
        });
        c.ret(Who::Spooler, Who::Client, "FlushQueues", None, |e| {
            e.result = Some("S_OK".into())
        });
        for t in 0..self.core.xp.len() as XpId {
            if self.core.stopped() {
                return;
            }
            if !self.core.usable(t) {
                continue;
            }
            let c = &mut self.core;
            c.call(Who::Spooler, Who::Xp(t), "FlushQueues", None, |e| {
                e.flags = Some(FlagSet::FlushQueues.names(flag::FLUSH_UPLOAD));
            });
            let code = c.rec.current.status[t as usize].status_code;
            c.modify_status_row(t, code | flag::STATUS_OUTBOUND_FLUSH, true);
            // model §9.2 step 7, §10.3 step 2: transports that defer release their messages
            // (NULL entry id = all, sample behaviour [S-WDSR-XPLOGON], model §4.1 MODEL).
            let deferred = c.rec.current.status[t as usize].deferred.clone();
            if !deferred.is_empty() {
                c.call(Who::Xp(t), Who::Spooler, "SpoolerNotify", None, |e| {
                    e.flags = Some(vec!["NOTIFY_SENTDEFERRED".into()]);
                    e.text = Some("lpvData NULL: every message this logon deferred".into());
                });
                for m in deferred {
                    c.release_deferred(m, t);
                    // The NULL form released everything: a pending per-message
                    // notify_sent_deferred() of this transport is no longer owed.
                    c.timers
                        .retain(|_, x| *x != Timer::SentDeferred { msg: m, xp: t });
                }
                c.ret(Who::Spooler, Who::Xp(t), "SpoolerNotify", None, |e| {
                    e.result = Some("S_OK".into())
                });
            }
            // MODEL: a flush makes messages waiting on this transport's retry timers eligible now.
            let waiting: Vec<u32> = (0..c.msgs.len() as u32)
                .filter(|m| c.msgs[*m as usize].waits[t as usize].is_some())
                .collect();
            for m in waiting {
                c.retry_due(m, t, None);
            }
            c.ret(Who::Xp(t), Who::Spooler, "FlushQueues", None, |e| {
                e.result = Some("S_OK".into())
            });
            self.pump_no_events();
            self.notify_now(PendingNotify {
                xp: t,
                flags: flag::NOTIFY_END_OUTBOUND_FLUSH,
                msg: None,
            });
        }
    }

    /// Session tear-down (model §8 steps 24–25, §3.6, §9.2 step 6), transport by transport:
    /// `TransportNotify(NOTIFY_END_OUTBOUND)`, `NOTIFY_ABORT_DEFERRED` alone for each message
    /// it still holds deferred (those go back to the outgoing queue for the next session),
    /// then `TransportLogoff(LOGOFF_NORMAL)`, in which the transport drops its status row.
    fn logoff(&mut self) {
        for t in 0..self.core.xp.len() as XpId {
            if self.core.stopped() {
                return;
            }
            if !self.core.rec.current.status[t as usize].logged_on {
                continue;
            }
            if self.core.rec.current.status[t as usize].outbound_enabled {
                self.notify_now(PendingNotify {
                    xp: t,
                    flags: flag::NOTIFY_END_OUTBOUND,
                    msg: None,
                });
            }
            let deferred = self.core.rec.current.status[t as usize].deferred.clone();
            for m in deferred {
                self.core.abort_deferred_for_logoff(m, t);
                self.notify_now(PendingNotify {
                    xp: t,
                    flags: flag::NOTIFY_ABORT_DEFERRED,
                    msg: Some(m),
                });
            }
            let c = &mut self.core;
            // model §3.6: the spooler discards the address types, then TransportLogoff.
            c.call(Who::Spooler, Who::Xp(t), "TransportLogoff", None, |e| {
                e.flags = Some(FlagSet::Logoff.names(flag::LOGOFF_NORMAL));
                e.text = Some("address types discarded first".into());
            });
            // Sample behaviour [S-WDSR-XPLOGON] (model §4.3): ModifyStatusRow with no columns
            // drops the row; releasing the support object would do the same.
            c.call(Who::Xp(t), Who::Spooler, "ModifyStatusRow", None, |e| {
                e.flags = Some(Vec::new());
                e.status = Some(Vec::new());
                e.text = Some("0 columns: the transport's status row is removed".into());
            });
            c.update_status(t, |row| {
                row.logged_on = false;
                row.outbound_enabled = false;
                row.status_code = 0;
            });
            c.ret(Who::Spooler, Who::Xp(t), "ModifyStatusRow", None, |e| {
                e.result = Some("S_OK".into())
            });
            c.ret(Who::Xp(t), Who::Spooler, "TransportLogoff", None, |e| {
                e.result = Some("S_OK".into())
            });
        }
    }

    /// The routing part of [`Engine::pump`], without picking up due events (used inside a flush).
    fn pump_no_events(&mut self) {
        let nx = self.core.xp.len();
        loop {
            if self.core.stopped() {
                return;
            }
            let mut blocked = vec![false; nx];
            let queue = self.core.rec.current.queue.clone();
            let mut any = false;
            for m in queue {
                if self.route(m, &mut blocked) {
                    any = true;
                    break;
                }
            }
            if !any {
                return;
            }
        }
    }
}

// The Flush event needs the behaviours, so Engine::fire intercepts it.
impl Engine {
    fn fire_external(&mut self, i: usize) {
        match self.core.sc.events[i].action {
            EventAction::Flush => return self.flush(),
            EventAction::Logoff => return self.logoff(),
            _ => {}
        }
        let pending = self.core.external(i, None);
        for p in pending {
            self.notify_now(p);
        }
    }
}

/// What `*lppvData` of a TransportNotify points to (model §3.4): the message reference for
/// NOTIFY_CANCEL_MESSAGE; the message's entry id for NOTIFY_ABORT_DEFERRED (model §9.2 step
/// 5). The trace keeps the reference of the deferring pass too (contract §4), so the reader
/// can match it with the transport's deferred list, and says what the data really is.
fn notify_data(e: &mut Event, flags: u32, reference: Option<u64>) {
    e.reference = reference;
    if flags & flag::NOTIFY_ABORT_DEFERRED != 0 {
        e.text = Some(
            "lppvData: the deferred message's entry id (reference shown: its deferring pass, dead since EndMessage)"
                .into(),
        );
    }
}

/// Candidate transports for a recipient (model §7.4 step 1): UID matches, then address-type
/// matches, then catch-alls, each in transport order, without duplicates.
fn candidates_for(sc: &Scenario, r: &RecipientSpec) -> Vec<XpId> {
    let mut out: Vec<XpId> = Vec::new();
    let mut push = |t: usize| {
        let t = t as XpId;
        if !out.contains(&t) {
            out.push(t);
        }
    };
    if let Some(uid) = r.uid {
        for (i, t) in sc.transports.iter().enumerate() {
            if t.uids.contains(&uid) {
                push(i);
            }
        }
    }
    for (i, t) in sc.transports.iter().enumerate() {
        // model §7.2, §14 Q6: exact, case-sensitive match.
        if t.address_types
            .as_ref()
            .is_some_and(|l| l.contains(&r.addr_type))
        {
            push(i);
        }
    }
    for (i, t) in sc.transports.iter().enumerate() {
        if t.address_types.is_none() {
            push(i);
        }
    }
    out
}

fn initial_why(sc: &Scenario, r: &RecipientSpec, candidates: &[XpId]) -> String {
    if candidates.is_empty() {
        return format!(
            "No transport registered address type {}: the spooler will NDR it",
            r.addr_type
        );
    }
    let names: Vec<&str> = candidates
        .iter()
        .map(|t| sc.transports[*t as usize].name.as_str())
        .collect();
    format!(
        "Waiting for the spooler; candidates for {}: {}",
        r.addr_type,
        names.join(", ")
    )
}

// ----------------------------------------------------------------------------------------
// Support: what a hook can do (contract §2 host functions)
// ----------------------------------------------------------------------------------------

struct Ctx<'a> {
    core: &'a mut Core,
    pass: &'a mut Pass,
}

impl Ctx<'_> {
    fn xp_name(&self) -> Arc<str> {
        self.core.xp[self.pass.xp as usize].name.clone()
    }

    /// Checks that `r` is a recipient offered in this SubmitMessage; warns otherwise.
    fn offered_recipient(&mut self, r: i64, what: &str) -> Option<u32> {
        let name = self.xp_name();
        if self.pass.kind != PassKind::Submit {
            let call = match self.pass.kind {
                PassKind::End => "EndMessage",
                _ => "TransportNotify",
            };
            if !(self.pass.kind == PassKind::End && matches!(what, "deliver" | "fail")) {
                self.core.warn(
                    "outside_submit",
                    format!("{name} called {what}() during {call}; recipients can only be taken inside SubmitMessage (model §3.7). Ignored."),
                );
                return None;
            }
        }
        let n = self.pass.is_offered.len() as i64;
        if r < 0 || r >= n {
            self.core.warn(
                "bad_recipient",
                format!("{name} called {what}({r}): no such recipient in this message. Ignored."),
            );
            return None;
        }
        let r = r as u32;
        if !self.pass.is_offered[r as usize] {
            self.core.warn(
                "not_offered",
                format!(
                    "{name} called {what}() on recipient {r}, which was not offered to it (its PR_RESPONSIBILITY was TRUE: another transport's, or already handled; model §3.7 obligation 2). Ignored."
                ),
            );
            return None;
        }
        Some(r)
    }

    fn take(&mut self, r: u32) {
        if self.pass.kind != PassKind::Submit || self.pass.taken[r as usize] {
            return;
        }
        self.pass.taken[r as usize] = true;
        let m = self.pass.msg.unwrap_or(0);
        let mut ev = Event::new(EventKind::Property);
        ev.from = Some(self.xp_name().to_string());
        ev.message = Some(self.core.msgs[m as usize].id.to_string());
        ev.recipient = Some(r);
        ev.property = Some("PR_RESPONSIBILITY".into());
        ev.value = Some(PropValue::Bool(true));
        self.core.emit(ev);
        self.core
            .update_recip(m, r, |row| row.responsibility = true);
    }
}

impl Support for Ctx<'_> {
    fn accept(&mut self, recipient: i64) {
        if let Some(r) = self.offered_recipient(recipient, "accept") {
            self.take(r);
        }
    }

    fn deliver(&mut self, recipient: i64) {
        if let Some(r) = self.offered_recipient(recipient, "deliver") {
            self.take(r);
            self.pass.entries.push(EntryReq {
                recipient: r,
                dr: true,
                reason: 0,
                diag: -1,
                text: String::new(),
            });
        }
    }

    fn fail(&mut self, recipient: i64, reason: i64, diag: i64, text: &str) {
        if let Some(r) = self.offered_recipient(recipient, "fail") {
            let name = self.xp_name();
            let reason = i32::try_from(reason).unwrap_or_else(|_| {
                self.core.warn("bad_code", format!("{name}: NDR reason {reason} is not a LONG; MAPI_REASON_TRANSFER_FAILED used"));
                0
            });
            let diag = i32::try_from(diag).unwrap_or_else(|_| {
                self.core.warn(
                    "bad_code",
                    format!(
                        "{name}: NDR diagnostic {diag} is not a LONG; MAPI_DIAG_NO_DIAGNOSTIC used"
                    ),
                );
                -1
            });
            self.take(r);
            let text: String = text.chars().take(1000).collect();
            self.pass.entries.push(EntryReq {
                recipient: r,
                dr: false,
                reason,
                diag,
                text,
            });
        }
    }

    fn decline(&mut self, recipient: i64) {
        if let Some(r) = self.offered_recipient(recipient, "decline") {
            if self.pass.taken[r as usize] {
                self.pass.taken[r as usize] = false;
                let m = self.pass.msg.unwrap_or(0);
                let mut ev = Event::new(EventKind::Property);
                ev.from = Some(self.xp_name().to_string());
                ev.message = Some(self.core.msgs[m as usize].id.to_string());
                ev.recipient = Some(r);
                ev.property = Some("PR_RESPONSIBILITY".into());
                ev.value = Some(PropValue::Bool(false));
                self.core.emit(ev);
                self.core
                    .update_recip(m, r, |row| row.responsibility = false);
            }
        }
    }

    fn set_reference(&mut self, reference: i64) {
        let name = self.xp_name();
        if self.pass.kind != PassKind::Submit {
            self.core.warn("outside_submit", format!("{name} called set_reference() outside SubmitMessage; the reference is dead after EndMessage (model §3.8). Ignored."));
            return;
        }
        match u64::try_from(reference) {
            Ok(v) => self.pass.reference = v,
            Err(_) => self.core.warn("bad_reference", format!("{name} called set_reference({reference}); a ULONG_PTR cannot be negative. Ignored.")),
        }
    }

    fn retry_after(&mut self, secs: f64) {
        if secs.is_finite() && secs >= 0.0 {
            // *lpulReturnParm is a ULONG number of seconds (model §3.7).
            self.pass.return_parm = Some(secs.min(MAX_DELAY_S).round());
        } else {
            let name = self.xp_name();
            self.core.warn(
                "bad_retry_time",
                format!("{name} called retry_after({secs}); seconds must be ≥ 0. Ignored."),
            );
        }
    }

    fn elapse(&mut self, secs: f64) {
        let s = if secs.is_finite() && secs > 0.0 {
            secs.min(MAX_DELAY_S)
        } else {
            0.0
        };
        let base = self
            .pass
            .elapse_target
            .unwrap_or(self.core.now)
            .max(self.core.now);
        // Contract §1: the run stops at spooler.until_s; time inside a call stops there too.
        let until = self.core.sc.spooler.until.max(self.core.now);
        self.pass.elapse_target = Some(base.saturating_add(Millis::from_secs_f64(s)).min(until));
    }

    fn poll_notification(&mut self) -> Option<Notification> {
        let target = self.pass.elapse_target?;
        loop {
            if self.core.stopped() {
                self.pass.elapse_target = None;
                return None;
            }
            let key = self
                .core
                .timers
                .range(..=(target, u64::MAX))
                .find(|(_, t)| self.core.deliverable_during(t, &*self.pass))
                .map(|(k, _)| *k);
            let Some(key) = key else {
                self.core.now = self.core.now.max(target);
                self.pass.elapse_target = None;
                return None;
            };
            let Some(timer) = self.core.timers.remove(&key) else {
                continue;
            };
            self.core.now = self.core.now.max(key.0);
            let pending = match timer {
                Timer::ClientSubmit(m) => {
                    self.core.client_submit(m);
                    Vec::new()
                }
                Timer::External(i) => self.core.external(i, Some(&mut *self.pass)),
                _ => Vec::new(),
            };
            // By deliverable_during, every notification here is for the running transport.
            if let Some(p) = pending.into_iter().find(|p| p.xp == self.pass.xp) {
                let reference = match p.msg {
                    Some(m) if Some(m) == self.pass.msg => self.pass.reference,
                    Some(m) => self.core.msgs[m as usize].refs[p.xp as usize],
                    None => 0,
                };
                self.core
                    .call(Who::Spooler, Who::Xp(p.xp), "TransportNotify", p.msg, |e| {
                        e.flags = Some(FlagSet::TransportNotify.names(p.flags));
                        notify_data(e, p.flags, p.msg.map(|_| reference));
                    });
                self.pass.open_notify.push((p.flags, p.msg));
                let message = p.msg.map(|m| {
                    if Some(m) == self.pass.msg {
                        self.core.view(m, self.pass)
                    } else {
                        let mut other = Pass::new(p.xp, Some(m), PassKind::Notify);
                        other.reference = reference;
                        self.core.view(m, &other)
                    }
                });
                return Some(Notification {
                    flags: p.flags,
                    message,
                });
            }
        }
    }

    fn notification_done(&mut self) {
        if let Some((flags, msg)) = self.pass.open_notify.pop() {
            let xp = self.pass.xp;
            // model §3.4: END_OUTBOUND does not stop the message in the call.
            self.core.after_notify_hook(xp, flags);
            self.core
                .ret(Who::Xp(xp), Who::Spooler, "TransportNotify", msg, |e| {
                    e.result = Some("S_OK".into())
                });
        }
    }

    fn cancelled(&self) -> bool {
        self.pass.cancelled
    }

    fn notify_sent_deferred(&mut self, secs: f64) {
        let name = self.xp_name();
        let Some(m) = self.pass.msg else {
            self.core.warn(
                "outside_submit",
                format!("{name} called notify_sent_deferred() with no message. Ignored."),
            );
            return;
        };
        let s = if secs.is_finite() && secs > 0.0 {
            secs.min(MAX_DELAY_S)
        } else {
            0.0
        };
        let at = self.core.now.saturating_add(Millis::from_secs_f64(s));
        let mut ev = Event::new(EventKind::Timer);
        ev.from = Some(name.to_string());
        ev.to = Some("spooler".into());
        ev.message = Some(self.core.msgs[m as usize].id.to_string());
        ev.timer = Some("sent_deferred".into());
        ev.due = Some(at.as_secs_f64());
        ev.text = Some(format!(
            "{name} will call SpoolerNotify(NOTIFY_SENTDEFERRED) at {at}"
        ));
        self.core.emit(ev);
        self.core.schedule(
            at,
            Timer::SentDeferred {
                msg: m,
                xp: self.pass.xp,
            },
        );
    }

    fn log(&mut self, text: &str) {
        let t: String = text.chars().take(2000).collect();
        let msg = self.pass.msg;
        self.core.note(Who::Xp(self.pass.xp), msg, t);
    }

    fn now(&self) -> f64 {
        self.core.now.as_secs_f64()
    }

    fn rand(&mut self) -> f64 {
        self.core.rng.next_f64()
    }
}
