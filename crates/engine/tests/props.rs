//! Property tests of the spooler model (model §3.7, §3.8, §6, §7.4, §9, §12; contract §4).
//!
//! Each case is a random scenario (1–4 transports with random address-type lists or
//! catch-all, random `prefer_last`; 1–4 messages with 0–6 recipients; random cancel /
//! abort_submit / outbound_off / outbound_on / flush events), written as TOML so that a
//! failure prints a scenario the command-line tool can run, plus one Rust transport per
//! `[[transport]]` driven by a generated plan: per SubmitMessage call a scripted HRESULT,
//! per offered recipient an action, optional `elapse` (notifications drained, `cancelled()`
//! honoured or not), optional `notify_sent_deferred`, and the EndMessage flags. When a plan
//! runs out the transport accepts everything and returns S_OK / 0, so every run ends.
//!
//! Properties (each checked by one function below; the message names the property):
//!
//! * **P1 structure** — every `call` has a `return` with the same method, the same depth, the
//!   same message and swapped endpoints; `seq` runs 1..n; `t` never decreases.
//! * **P2 EndMessage follows an S_OK SubmitMessage** — for every spooler→T `EndMessage` call,
//!   the last event before it that is not a spooler `note` is the `return` of a depth-0
//!   spooler→T `SubmitMessage` for the same message with result `S_OK`, and the EndMessage's
//!   `reference` is the one that SubmitMessage returned. Only depth-0 spooler notes (the
//!   report processing of model §3.8 / §6.1, and Q17 "dropped" notes) may lie in between.
//! * **P3 no EndMessage after a failure, and none missing** — after a SubmitMessage `return`
//!   that is not `S_OK`, the next spooler→T call is not EndMessage (model §14 Q3); after an
//!   `S_OK` return, the next non-note event is EndMessage for (T, m) unless a
//!   `NOTIFY_CANCEL_MESSAGE` for m reached T inside that SubmitMessage (model §9.4).
//! * **P4 no overlap** — spooler→transport SubmitMessage/EndMessage calls are made at depth 0
//!   and never while another SubmitMessage/EndMessage on the same transport is open (model
//!   §12.1 one in-flight message per logon, §14 Q13).
//! * **P5 final recipient status** — one row per scenario recipient; the status is one of the
//!   contract's words; `sent`/`delivered`/`failed` name exactly one transport, with
//!   `responsibility` TRUE, and that transport was offered the recipient (it is in the
//!   `offered` of some SubmitMessage to it for that message); `deferred` names the transport
//!   that was offered it; `no_transport`/`cancelled` name none; `delivered` has a DR and
//!   the message asked for DRs; `failed` carries an NDR reason.
//! * **P6 nobody takes a recipient it was not given, nor one another transport holds** —
//!   (a) every transport-made `PR_RESPONSIBILITY` property event lies inside a SubmitMessage
//!   to that transport for that message whose `offered` lists the recipient; (b) the final
//!   transport of a `sent`/`delivered`/`failed` recipient set it TRUE at least once, and the
//!   last SubmitMessage that offered the recipient went to that transport; (c) after a
//!   *completed* pass of T — SubmitMessage returned `S_OK` with no cancel inside it and
//!   EndMessage returned 0 — no recipient T took in it (its last PR_RESPONSIBILITY event
//!   for r was TRUE) or reported through StatusRecips in it is ever offered again, to any
//!   transport; the same holds for the reported recipients of a pass ended with
//!   `END_DONT_RESEND`; (d) every other offered recipient of an `END_DONT_RESEND` pass is
//!   parked `DeferredBy(T)` (model §9.2, §12.3; PR_RESPONSIBILITY back to FALSE even if T
//!   had set it), so the next SubmitMessage that offers it, if any, goes to T with
//!   `BEGIN_DEFERRED` (model §12.3: DeferredBy(T) → Offered(T, BEGIN_DEFERRED)); only that
//!   pass may decline it to another transport. The reverts that do let another transport
//!   have a recipient T had set TRUE: a failing SubmitMessage (changes discarded, model §3.7
//!   obligation 7), `END_RESEND_NOW`/`END_RESEND_LATER` (§14 Q2), `decline()`, and a
//!   declining `BEGIN_DEFERRED` pass.
//! * **P7 one report per StatusRecips entry** — the multiset of transport reports
//!   `(message, kind, source, recipient)` equals the multiset of StatusRecips entries whose
//!   kind the sender asked for (model §14 Q17: DR only with `delivery_report`, NDR unless
//!   `non_delivery_report = false`); the spooler's reports are exactly the `no_transport`
//!   recipients of messages that allow NDRs; each report's `seq` is a spooler note about
//!   that recipient.
//! * **P8 retry timing** — after a spooler retry `timer` event with `due` for (T, m), the next
//!   SubmitMessage of m to T is not before `due`, unless the spooler called T's
//!   `FlushQueues` in between (model §9.3; a flush makes the messages waiting on T's retry
//!   timers eligible at once, engine MODEL).
//! * **P9 messages** — a message is `sent_items`/`deleted`/`kept` iff the store got exactly one
//!   `FinishedMsg` for it, and then every recipient is sent/delivered/failed/no_transport
//!   (model §14 Q7); a `cancelled`/`aborted`/`withdrawn` message has no pending or deferred
//!   recipient.
//! * **P12 references** — a `TransportNotify(NOTIFY_CANCEL_MESSAGE)` that arrives inside a
//!   SubmitMessage/EndMessage about the same message carries that call's reference (the
//!   one SubmitMessage returns, which the transport wrote before anything else, model §3.7
//!   obligation 1); any other one (`NOTIFY_ABORT_DEFERRED` for a parked message) carries
//!   the reference of the last SubmitMessage of that message to that transport (model §3.4).
//! * **P10 determinism** — the same input gives a byte-identical trace JSON, and driving the
//!   engine step by step (`poll_timeout`/`handle_timeout`) gives the same events as `run`.
//! * **P11 timeline** — `snapshot(k)` equals a naive replay of `initial()` plus
//!   `changes_at(0..=k)` for sampled k (all k for short traces); the replay covers
//!   `delta_count()` deltas; `snapshot(last)` matches the trace's recipient and message
//!   status words (and transports); a final recipient state / terminal message state never
//!   changes later; at each SubmitMessage call the snapshot shows the offered recipients
//!   `Offered(T)`, the message `InSubmit(T)` and T's status row in flight with it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use proptest::prelude::*;
use proptest::test_runner::Config;

use spoolscope_contract::consts::{flag, hr};
use spoolscope_contract::trace::{Event, EventKind, PropValue, Trace};
use spoolscope_contract::{parse_scenario, Format, Scenario};
use spoolscope_engine::tables::{Delta, MessageState, RecipientState, Tables};
use spoolscope_engine::transport::{HookFault, MsgView, Support, Transport};
use spoolscope_engine::{run, Engine, Run};
use spoolscope_testkit::{event_line as ev, return_index};

// ---------------------------------------------------------------------------------------
// Generated input
// ---------------------------------------------------------------------------------------

const TYPES: [&str; 3] = ["SMTP", "FAX", "X400"];

/// A scripted SubmitMessage result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ret {
    Ok,
    Busy,
    Wait,
    NetworkError,
    NotMe,
    Cancel,
    UserCancel,
    CallFailed,
}

impl Ret {
    fn hr(self) -> u32 {
        match self {
            Ret::Ok => hr::S_OK,
            Ret::Busy => hr::MAPI_E_BUSY,
            Ret::Wait => hr::MAPI_E_WAIT,
            Ret::NetworkError => hr::MAPI_E_NETWORK_ERROR,
            Ret::NotMe => hr::MAPI_E_NOT_ME,
            Ret::Cancel => hr::MAPI_E_CANCEL,
            Ret::UserCancel => hr::MAPI_E_USER_CANCEL,
            Ret::CallFailed => hr::MAPI_E_CALL_FAILED,
        }
    }
}

/// What the transport does with one offered recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Act {
    Accept,
    Deliver,
    Fail { reason: i64, diag: i64 },
    Decline,
    Nothing,
}

/// One SubmitMessage call of a plan (and the EndMessage that may follow it).
#[derive(Clone, Debug)]
struct CallPlan {
    set_reference: Option<u32>,
    elapse: Option<u32>,
    honour_cancel: bool,
    /// Applied to the offered recipients in order, cycling; empty = accept all.
    actions: Vec<Act>,
    ret: Ret,
    retry_after: Option<u32>,
    sent_deferred: Option<u32>,
    end_flags: u32,
    /// `elapse` inside the EndMessage that follows (notifications drained).
    end_elapse: Option<u32>,
}

#[derive(Clone, Debug)]
struct XpCase {
    /// `None` = catch-all; indexes into [`TYPES`].
    types: Option<Vec<usize>>,
    prefer_last: bool,
    plan: Vec<CallPlan>,
}

#[derive(Clone, Debug)]
struct MsgCase {
    submit_at: u32,
    delivery_report: bool,
    non_delivery_report: Option<bool>,
    /// Address type of each recipient, as an index into [`TYPES`].
    recipients: Vec<usize>,
}

#[derive(Clone, Debug)]
enum EvKind {
    Cancel(usize),
    AbortSubmit(usize),
    OutboundOff(usize),
    OutboundOn(usize),
    Flush,
}

#[derive(Clone, Debug)]
struct EvCase {
    at: u32,
    kind: EvKind,
}

/// Spooler settings (contract §1 `[spooler]`).
#[derive(Clone, Debug)]
struct SpoolerCase {
    until_s: u32,
    resend_now_limit: u32,
    resend_later_s: u32,
    error_retry_s: u32,
}

impl Default for SpoolerCase {
    fn default() -> Self {
        SpoolerCase {
            until_s: 600,
            resend_now_limit: 3,
            resend_later_s: 60,
            error_retry_s: 60,
        }
    }
}

#[derive(Clone, Debug)]
struct Case {
    seed: u64,
    spooler: SpoolerCase,
    xps: Vec<XpCase>,
    msgs: Vec<MsgCase>,
    events: Vec<EvCase>,
}

fn xp_name(i: usize) -> String {
    format!("t{i}")
}

fn msg_id(i: usize) -> String {
    format!("m{}", i + 1)
}

impl Case {
    /// The scenario as TOML (what a failure prints, runnable with the CLI).
    fn toml(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "version = 1\ntitle = \"property case\"\nseed = {}",
            self.seed
        );
        let sp = &self.spooler;
        let _ = writeln!(
            s,
            "[spooler]\nuntil_s = {}\nresend_now_limit = {}\nresend_later_s = {}\nerror_retry_s = {}",
            sp.until_s, sp.resend_now_limit, sp.resend_later_s, sp.error_retry_s
        );
        for (i, x) in self.xps.iter().enumerate() {
            let _ = writeln!(s, "[[transport]]\nname = \"{}\"", xp_name(i));
            if let Some(ts) = &x.types {
                let list: Vec<String> = ts.iter().map(|t| format!("\"{}\"", TYPES[*t])).collect();
                let _ = writeln!(s, "address_types = [{}]", list.join(", "));
            }
            if x.prefer_last {
                let _ = writeln!(s, "prefer_last = true");
            }
        }
        for (i, m) in self.msgs.iter().enumerate() {
            let _ = writeln!(
                s,
                "[[message]]\nid = \"{}\"\nsubmit_at_s = {}\ndelivery_report = {}",
                msg_id(i),
                m.submit_at,
                m.delivery_report
            );
            if let Some(n) = m.non_delivery_report {
                let _ = writeln!(s, "non_delivery_report = {n}");
            }
            let rs: Vec<String> = m
                .recipients
                .iter()
                .enumerate()
                .map(|(k, t)| {
                    format!(
                        "{{ address = \"r{k}@{}.example\", type = \"{}\" }}",
                        msg_id(i),
                        TYPES[*t]
                    )
                })
                .collect();
            let _ = writeln!(s, "recipients = [{}]", rs.join(", "));
        }
        for e in &self.events {
            let _ = writeln!(s, "[[event]]\nat_s = {}", e.at);
            let nm = self.msgs.len();
            let nx = self.xps.len();
            match e.kind {
                EvKind::Cancel(m) => {
                    let _ = writeln!(s, "action = \"cancel\"\nmessage = \"{}\"", msg_id(m % nm));
                }
                EvKind::AbortSubmit(m) => {
                    let _ = writeln!(
                        s,
                        "action = \"abort_submit\"\nmessage = \"{}\"",
                        msg_id(m % nm)
                    );
                }
                EvKind::OutboundOff(t) => {
                    let _ = writeln!(
                        s,
                        "action = \"outbound_off\"\ntransport = \"{}\"",
                        xp_name(t % nx)
                    );
                }
                EvKind::OutboundOn(t) => {
                    let _ = writeln!(
                        s,
                        "action = \"outbound_on\"\ntransport = \"{}\"",
                        xp_name(t % nx)
                    );
                }
                EvKind::Flush => {
                    let _ = writeln!(s, "action = \"flush\"");
                }
            }
        }
        s
    }

    fn scenario(&self) -> Scenario {
        let text = self.toml();
        parse_scenario(&text, Format::Toml)
            .unwrap_or_else(|e| panic!("generated scenario does not parse: {e}\n{text}"))
    }

    /// One behaviour per transport, in the resolved transport order (prefer_last sorts).
    fn transports(&self, sc: &Scenario) -> Vec<Box<dyn Transport>> {
        sc.transports
            .iter()
            .map(|t| {
                let i: usize = t.name[1..].parse().expect("generated name");
                Box::new(PlanXp {
                    plan: self.xps[i].plan.clone(),
                    calls: 0,
                    end_flags: 0,
                    end_elapse: None,
                }) as Box<dyn Transport>
            })
            .collect()
    }

    /// The input of a failure report: the scenario and the plans.
    fn describe(&self) -> String {
        let mut s = format!("--- scenario ---\n{}--- plans ---\n", self.toml());
        for (i, x) in self.xps.iter().enumerate() {
            let _ = writeln!(s, "{}: {:#?}", xp_name(i), x.plan);
        }
        s
    }
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        4 => Just(Act::Accept),
        2 => Just(Act::Deliver),
        2 => (0i64..3, prop_oneof![Just(-1i64), Just(35i64), Just(4i64)])
            .prop_map(|(reason, diag)| Act::Fail { reason, diag }),
        1 => Just(Act::Decline),
        1 => Just(Act::Nothing),
    ]
}

fn ret() -> impl Strategy<Value = Ret> {
    prop_oneof![
        8 => Just(Ret::Ok),
        2 => Just(Ret::Busy),
        1 => Just(Ret::Wait),
        1 => Just(Ret::NetworkError),
        2 => Just(Ret::NotMe),
        1 => Just(Ret::Cancel),
        1 => Just(Ret::UserCancel),
        1 => Just(Ret::CallFailed),
    ]
}

fn end_flags() -> impl Strategy<Value = u32> {
    prop_oneof![
        6 => Just(0u32),
        1 => Just(flag::END_RESEND_NOW),
        1 => Just(flag::END_RESEND_LATER),
        2 => Just(flag::END_DONT_RESEND),
    ]
}

fn call_plan() -> impl Strategy<Value = CallPlan> {
    (
        proptest::option::weighted(0.2, 1u32..1000),
        proptest::option::weighted(0.3, 1u32..10),
        proptest::bool::weighted(0.8),
        proptest::collection::vec(act(), 0..4),
        ret(),
        proptest::option::weighted(0.5, 0u32..20),
        proptest::option::weighted(0.3, 0u32..30),
        end_flags(),
        proptest::option::weighted(0.1, 1u32..10),
    )
        .prop_map(
            |(
                set_reference,
                elapse,
                honour_cancel,
                actions,
                ret,
                retry_after,
                sent_deferred,
                end_flags,
                end_elapse,
            )| CallPlan {
                set_reference,
                elapse,
                honour_cancel,
                actions,
                ret,
                retry_after,
                sent_deferred,
                end_flags,
                end_elapse,
            },
        )
}

fn xp_case(plan_len: std::ops::Range<usize>) -> impl Strategy<Value = XpCase> {
    (
        proptest::option::weighted(
            0.8,
            proptest::sample::subsequence(vec![0usize, 1, 2], 0..=3),
        ),
        proptest::bool::weighted(0.2),
        proptest::collection::vec(call_plan(), plan_len),
    )
        .prop_map(|(types, prefer_last, plan)| XpCase {
            types,
            prefer_last,
            plan,
        })
}

fn msg_case(recipients: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = MsgCase> {
    (
        0u32..20,
        any::<bool>(),
        proptest::option::weighted(0.3, any::<bool>()),
        proptest::collection::vec(0usize..3, recipients),
    )
        .prop_map(
            |(submit_at, delivery_report, non_delivery_report, recipients)| MsgCase {
                submit_at,
                delivery_report,
                non_delivery_report,
                recipients,
            },
        )
}

fn ev_case() -> impl Strategy<Value = EvCase> {
    (
        0u32..40,
        prop_oneof![
            2 => (0usize..4).prop_map(EvKind::Cancel),
            2 => (0usize..4).prop_map(EvKind::AbortSubmit),
            2 => (0usize..4).prop_map(EvKind::OutboundOff),
            2 => (0usize..4).prop_map(EvKind::OutboundOn),
            1 => Just(EvKind::Flush),
        ],
    )
        .prop_map(|(at, kind)| EvCase { at, kind })
}

/// `short_until`: now and then stop the run early (`until_s` 5–39 s) with work left.
fn spooler_case(short_until: bool) -> impl Strategy<Value = SpoolerCase> {
    let short = if short_until { 1 } else { 0 };
    (
        prop_oneof![4 => Just(600u32), short => 5u32..40],
        0u32..=3,
        prop_oneof![Just(10u32), Just(60u32)],
        prop_oneof![Just(5u32), Just(60u32)],
    )
        .prop_map(
            |(until_s, resend_now_limit, resend_later_s, error_retry_s)| SpoolerCase {
                until_s,
                resend_now_limit,
                resend_later_s,
                error_retry_s,
            },
        )
}

/// The brief's shape: 1–4 transports, 1–4 messages of 0–6 recipients, 0–5 events.
fn case() -> impl Strategy<Value = Case> {
    case_sized(0..5, 1..=4, 0..=6, 0..=5, true)
}

/// Runs long enough (hundreds to thousands of table changes) that snapshots replay from
/// checkpoints other than the initial tables.
fn large_case() -> impl Strategy<Value = Case> {
    case_sized(0..10, 20..=40, 5..=12, 0..=10, false)
}

fn case_sized(
    plan_len: std::ops::Range<usize>,
    msgs: std::ops::RangeInclusive<usize>,
    recipients: std::ops::RangeInclusive<usize>,
    events: std::ops::RangeInclusive<usize>,
    short_until: bool,
) -> impl Strategy<Value = Case> {
    (
        0u64..1_000_000,
        spooler_case(short_until),
        proptest::collection::vec(xp_case(plan_len), 1..=4),
        proptest::collection::vec(msg_case(recipients), msgs),
        proptest::collection::vec(ev_case(), events),
    )
        .prop_map(|(seed, spooler, xps, msgs, events)| Case {
            seed,
            spooler,
            xps,
            msgs,
            events,
        })
}

// ---------------------------------------------------------------------------------------
// The plan-driven transport
// ---------------------------------------------------------------------------------------

struct PlanXp {
    plan: Vec<CallPlan>,
    calls: usize,
    /// The flags the EndMessage after the current SubmitMessage returns.
    end_flags: u32,
    end_elapse: Option<u32>,
}

impl Transport for PlanXp {
    fn submit_message(&mut self, msg: &MsgView, sup: &mut dyn Support) -> Result<u32, HookFault> {
        let p = self.plan.get(self.calls).cloned();
        self.calls += 1;
        self.end_flags = 0;
        self.end_elapse = None;
        let Some(p) = p else {
            for r in &msg.offered {
                sup.accept(i64::from(*r));
            }
            return Ok(hr::S_OK);
        };
        if let Some(r) = p.set_reference {
            sup.set_reference(i64::from(r));
        }
        if let Some(s) = p.elapse {
            sup.elapse(f64::from(s));
            while sup.poll_notification().is_some() {
                sup.notification_done();
            }
            if p.honour_cancel && sup.cancelled() {
                return Ok(hr::MAPI_E_USER_CANCEL);
            }
        }
        for (i, r) in msg.offered.iter().enumerate() {
            let r = i64::from(*r);
            let a = if p.actions.is_empty() {
                &Act::Accept
            } else {
                &p.actions[i % p.actions.len()]
            };
            match a {
                Act::Accept => sup.accept(r),
                Act::Deliver => sup.deliver(r),
                Act::Fail { reason, diag } => sup.fail(r, *reason, *diag, "generated failure"),
                Act::Decline => sup.decline(r),
                Act::Nothing => {}
            }
        }
        if let Some(s) = p.sent_deferred {
            sup.notify_sent_deferred(f64::from(s));
        }
        if let Some(s) = p.retry_after {
            sup.retry_after(f64::from(s));
        }
        self.end_flags = p.end_flags;
        self.end_elapse = p.end_elapse;
        Ok(p.ret.hr())
    }

    fn end_message(&mut self, _msg: &MsgView, sup: &mut dyn Support) -> Result<u32, HookFault> {
        if let Some(s) = self.end_elapse.take() {
            sup.elapse(f64::from(s));
            while sup.poll_notification().is_some() {
                sup.notification_done();
            }
        }
        Ok(std::mem::take(&mut self.end_flags))
    }

    fn transport_notify(
        &mut self,
        _flags: u32,
        _msg: Option<&MsgView>,
        _sup: &mut dyn Support,
    ) -> Result<(), HookFault> {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Trace helpers
// ---------------------------------------------------------------------------------------

fn is(e: &Event, kind: EventKind, method: &str) -> bool {
    e.kind == kind && e.method.as_deref() == Some(method)
}

fn s(o: &Option<String>) -> &str {
    o.as_deref().unwrap_or("")
}

/// For each call index, the index of its return (P1 checked first).
fn pairs(t: &Trace) -> BTreeMap<usize, usize> {
    return_index(t)
        .iter()
        .enumerate()
        .filter_map(|(c, r)| r.map(|r| (c, r)))
        .collect()
}

/// A spooler→transport call (not store or client).
fn to_xp(e: &Event, xps: &BTreeSet<String>) -> bool {
    e.kind == EventKind::Call && s(&e.from) == "spooler" && xps.contains(s(&e.to))
}

struct Ctx<'a> {
    sc: &'a Scenario,
    run: &'a Run,
    t: &'a Trace,
    xps: BTreeSet<String>,
    pairs: BTreeMap<usize, usize>,
}

impl<'a> Ctx<'a> {
    fn new(sc: &'a Scenario, run: &'a Run) -> Ctx<'a> {
        Ctx {
            sc,
            run,
            t: &run.trace,
            xps: sc.transports.iter().map(|t| t.name.clone()).collect(),
            pairs: pairs(&run.trace),
        }
    }

    fn msg_index(&self, id: &str) -> usize {
        self.sc
            .messages
            .iter()
            .position(|m| m.id == id)
            .unwrap_or(usize::MAX)
    }

    fn xp_index(&self, name: &str) -> usize {
        self.sc
            .transports
            .iter()
            .position(|t| t.name == name)
            .unwrap_or(usize::MAX)
    }

    /// Spooler→transport SubmitMessage calls: (call index, return index).
    fn submits(&self) -> Vec<(usize, usize)> {
        self.t
            .events
            .iter()
            .enumerate()
            .filter(|(_, e)| to_xp(e, &self.xps) && is(e, EventKind::Call, "SubmitMessage"))
            .map(|(i, _)| (i, self.pairs.get(&i).copied().unwrap_or(i)))
            .collect()
    }

    /// Whether a NOTIFY_CANCEL_MESSAGE for the call's message reached its transport inside it.
    fn cancelled_inside(&self, c: usize, r: usize) -> bool {
        let call = &self.t.events[c];
        self.t.events[c + 1..r].iter().any(|e| {
            is(e, EventKind::Call, "TransportNotify")
                && e.to == call.to
                && e.message == call.message
                && e.flags
                    .as_ref()
                    .is_some_and(|f| f.iter().any(|x| x == "NOTIFY_CANCEL_MESSAGE"))
        })
    }

    /// The first event after `i` that is not a depth-0 spooler note.
    fn next_non_note(&self, i: usize) -> Option<usize> {
        (i + 1..self.t.events.len()).find(|&j| !self.is_spooler_note(j))
    }

    fn is_spooler_note(&self, j: usize) -> bool {
        let e = &self.t.events[j];
        e.kind == EventKind::Note && e.depth == 0 && s(&e.from) == "spooler"
    }
}

// ---------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------

type Check = Result<(), String>;

fn p1_structure(c: &Ctx) -> Check {
    let mut stack: Vec<&Event> = Vec::new();
    let mut last_t = 0.0;
    for (i, e) in c.t.events.iter().enumerate() {
        if e.seq != i as u64 + 1 {
            return Err(format!("P1: event {i} has seq {}", e.seq));
        }
        if e.t < last_t {
            return Err(format!("P1: time went back at {}", ev(e)));
        }
        last_t = e.t;
        match e.kind {
            EventKind::Call => {
                if e.depth as usize != stack.len() {
                    return Err(format!(
                        "P1: call at depth {} with {} open calls: {}",
                        e.depth,
                        stack.len(),
                        ev(e)
                    ));
                }
                stack.push(e);
            }
            EventKind::Return => {
                let Some(call) = stack.pop() else {
                    return Err(format!("P1: return without call: {}", ev(e)));
                };
                if call.method != e.method
                    || e.depth as usize != stack.len()
                    || call.message != e.message
                    || call.from != e.to
                    || call.to != e.from
                {
                    return Err(format!(
                        "P1: return does not match its call:\n  {}\n  {}",
                        ev(call),
                        ev(e)
                    ));
                }
            }
            _ => {}
        }
    }
    if let Some(open) = stack.first() {
        return Err(format!("P1: call never returned: {}", ev(open)));
    }
    Ok(())
}

fn p2_end_follows_ok_submit(c: &Ctx) -> Check {
    for (i, e) in c.t.events.iter().enumerate() {
        if !(to_xp(e, &c.xps) && is(e, EventKind::Call, "EndMessage")) {
            continue;
        }
        let prev = (0..i).rev().find(|&j| !c.is_spooler_note(j));
        let ok = prev.is_some_and(|j| {
            let r = &c.t.events[j];
            is(r, EventKind::Return, "SubmitMessage")
                && r.depth == 0
                && r.from == e.to
                && s(&r.to) == "spooler"
                && r.message == e.message
                && s(&r.result) == "S_OK"
                && r.reference == e.reference
        });
        if !ok {
            return Err(format!(
                "P2: EndMessage not right after an S_OK SubmitMessage of the same message/transport/reference:\n  before: {}\n  end:    {}",
                prev.map(|j| ev(&c.t.events[j])).unwrap_or_default(),
                ev(e)
            ));
        }
    }
    Ok(())
}

fn p3_no_end_after_failure(c: &Ctx) -> Check {
    for (ci, ri) in c.submits() {
        let call = &c.t.events[ci];
        let r = &c.t.events[ri];
        if s(&r.result) != "S_OK" {
            let next = c.t.events[ri + 1..]
                .iter()
                .find(|e| to_xp(e, &c.xps) && e.to == call.to);
            if let Some(n) = next {
                if is(n, EventKind::Call, "EndMessage") {
                    return Err(format!(
                        "P3: EndMessage after a failing SubmitMessage:\n  {}\n  {}",
                        ev(r),
                        ev(n)
                    ));
                }
            }
        } else {
            let next = c.next_non_note(ri).map(|j| &c.t.events[j]);
            let has_end = next.is_some_and(|n| {
                to_xp(n, &c.xps)
                    && is(n, EventKind::Call, "EndMessage")
                    && n.to == call.to
                    && n.message == call.message
            });
            let cancelled = c.cancelled_inside(ci, ri);
            if has_end == cancelled {
                return Err(format!(
                    "P3: S_OK SubmitMessage {} EndMessage although {}:\n  {}\n  next: {}",
                    if has_end {
                        "followed by"
                    } else {
                        "not followed by"
                    },
                    if cancelled {
                        "the message was cancelled inside the call"
                    } else {
                        "no cancel arrived inside the call"
                    },
                    ev(r),
                    next.map(ev).unwrap_or_default()
                ));
            }
        }
    }
    Ok(())
}

fn p4_no_overlap(c: &Ctx) -> Check {
    let mut open: Vec<(usize, String)> = Vec::new(); // (return index, transport)
    for (i, e) in c.t.events.iter().enumerate() {
        open.retain(|(r, _)| *r > i);
        if to_xp(e, &c.xps)
            && (is(e, EventKind::Call, "SubmitMessage") || is(e, EventKind::Call, "EndMessage"))
        {
            if e.depth != 0 {
                return Err(format!("P4: nested {}", ev(e)));
            }
            if let Some((r, _)) = open.iter().find(|(_, t)| t == s(&e.to)) {
                return Err(format!(
                    "P4: {} while the call returning at seq {} is open on the same transport",
                    ev(e),
                    r + 1
                ));
            }
            open.push((c.pairs.get(&i).copied().unwrap_or(i), s(&e.to).to_string()));
        }
    }
    Ok(())
}

/// (message id, recipient) → transports it was offered to (SubmitMessage `offered`).
fn offers(c: &Ctx) -> BTreeMap<(String, u32), BTreeSet<String>> {
    let mut out: BTreeMap<(String, u32), BTreeSet<String>> = BTreeMap::new();
    for (ci, _) in c.submits() {
        let e = &c.t.events[ci];
        for r in e.offered.iter().flatten() {
            out.entry((s(&e.message).to_string(), *r))
                .or_default()
                .insert(s(&e.to).to_string());
        }
    }
    out
}

fn p5_final_status(c: &Ctx) -> Check {
    const WORDS: [&str; 7] = [
        "sent",
        "delivered",
        "failed",
        "no_transport",
        "deferred",
        "cancelled",
        "pending",
    ];
    let expected: usize = c.sc.messages.iter().map(|m| m.recipients.len()).sum();
    if c.t.recipients.len() != expected {
        return Err(format!(
            "P5: {} recipient rows for {expected} recipients",
            c.t.recipients.len()
        ));
    }
    let mut seen = BTreeSet::new();
    let offered = offers(c);
    for row in &c.t.recipients {
        let key = (row.message.clone(), row.index);
        if !seen.insert(key.clone()) {
            return Err(format!("P5: two rows for {key:?}"));
        }
        if !WORDS.contains(&row.status.as_str()) {
            return Err(format!("P5: {key:?} has status {:?}", row.status));
        }
        let mi = c.msg_index(&row.message);
        let spec = &c.sc.messages[mi];
        let got = offered.get(&key);
        match row.status.as_str() {
            "sent" | "delivered" | "failed" | "deferred" => {
                let Some(t) = &row.transport else {
                    return Err(format!(
                        "P5: {key:?} is {} but names no transport",
                        row.status
                    ));
                };
                if !got.is_some_and(|g| g.contains(t)) {
                    return Err(format!(
                        "P5: {key:?} is {} by {t}, which was never offered it (offered to {got:?})",
                        row.status
                    ));
                }
                if row.status != "deferred" && !row.responsibility {
                    return Err(format!(
                        "P5: {key:?} is {} with PR_RESPONSIBILITY FALSE",
                        row.status
                    ));
                }
            }
            "no_transport" | "cancelled" if row.transport.is_some() => {
                return Err(format!(
                    "P5: {key:?} is {} but names transport {:?}",
                    row.status, row.transport
                ));
            }
            _ => {}
        }
        if row.status == "delivered"
            && (row.report.as_deref() != Some("DR") || !spec.delivery_report)
        {
            return Err(format!(
                "P5: {key:?} delivered with report {:?}, delivery_report = {}",
                row.report, spec.delivery_report
            ));
        }
        if row.status == "failed" && row.ndr_reason.is_none() {
            return Err(format!("P5: {key:?} failed without an NDR reason"));
        }
    }
    Ok(())
}

/// One SubmitMessage pass as seen in the trace.
struct PassInfo {
    call: usize,
    xp: String,
    msg: String,
    offered: Vec<u32>,
    /// Net PR_RESPONSIBILITY set by the transport in the call, per recipient.
    net: BTreeMap<u32, bool>,
    /// Recipients listed in a StatusRecips call made inside the SubmitMessage.
    reported: BTreeSet<u32>,
    begin_deferred: bool,
    ok: bool,
    cancelled: bool,
    /// EndMessage return flags, when EndMessage followed.
    end_flags: Option<Vec<String>>,
}

fn passes(c: &Ctx) -> Vec<PassInfo> {
    let mut out = Vec::new();
    for (ci, ri) in c.submits() {
        let call = &c.t.events[ci];
        let mut net = BTreeMap::new();
        let mut reported = BTreeSet::new();
        for e in &c.t.events[ci + 1..ri] {
            if is(e, EventKind::Call, "StatusRecips") && e.from == call.to {
                reported.extend(e.entries.iter().flatten().map(|x| x.recipient));
            }
            if e.kind == EventKind::Property
                && e.from == call.to
                && e.message == call.message
                && e.property.as_deref() == Some("PR_RESPONSIBILITY")
            {
                if let (Some(r), Some(PropValue::Bool(v))) = (e.recipient, &e.value) {
                    net.insert(r, *v);
                }
            }
        }
        let end_flags = c.next_non_note(ri).and_then(|j| {
            let n = &c.t.events[j];
            (is(n, EventKind::Call, "EndMessage") && n.to == call.to && n.message == call.message)
                .then(|| {
                    c.pairs
                        .get(&j)
                        .map(|r| c.t.events[*r].flags.clone().unwrap_or_default())
                })
                .flatten()
        });
        out.push(PassInfo {
            call: ci,
            xp: s(&call.to).to_string(),
            msg: s(&call.message).to_string(),
            offered: call.offered.clone().unwrap_or_default(),
            net,
            reported,
            begin_deferred: call
                .flags
                .as_ref()
                .is_some_and(|f| f.iter().any(|x| x == "BEGIN_DEFERRED")),
            ok: s(&c.t.events[ri].result) == "S_OK",
            cancelled: c.cancelled_inside(ci, ri),
            end_flags,
        });
    }
    out
}

fn p6_taken_once(c: &Ctx) -> Check {
    // (a) property events only inside an offering SubmitMessage to the same transport.
    let mut stack: Vec<usize> = Vec::new();
    for (i, e) in c.t.events.iter().enumerate() {
        match e.kind {
            EventKind::Call => stack.push(i),
            EventKind::Return => {
                stack.pop();
            }
            EventKind::Property
                if e.property.as_deref() == Some("PR_RESPONSIBILITY")
                    && c.xps.contains(s(&e.from)) =>
            {
                let inside = stack.iter().any(|&ci| {
                    let call = &c.t.events[ci];
                    to_xp(call, &c.xps)
                        && is(call, EventKind::Call, "SubmitMessage")
                        && call.to == e.from
                        && call.message == e.message
                        && call
                            .offered
                            .as_ref()
                            .is_some_and(|o| e.recipient.is_some_and(|r| o.contains(&r)))
                });
                if !inside {
                    return Err(format!(
                        "P6a: PR_RESPONSIBILITY set outside an offering SubmitMessage: {}",
                        ev(e)
                    ));
                }
            }
            _ => {}
        }
    }
    let ps = passes(c);
    // (b) the final transport set it TRUE, and was the last one offered it.
    for row in &c.t.recipients {
        if !matches!(row.status.as_str(), "sent" | "delivered" | "failed") {
            continue;
        }
        let t = row.transport.clone().unwrap_or_default();
        let set_true = c.t.events.iter().any(|e| {
            e.kind == EventKind::Property
                && s(&e.from) == t
                && s(&e.message) == row.message
                && e.recipient == Some(row.index)
                && e.value == Some(PropValue::Bool(true))
        });
        if !set_true {
            return Err(format!(
                "P6b: ({}, {}) is {} by {t}, which never set its PR_RESPONSIBILITY TRUE",
                row.message, row.index, row.status
            ));
        }
        let last = ps
            .iter()
            .rev()
            .find(|p| p.msg == row.message && p.offered.contains(&row.index));
        if let Some(p) = last {
            if p.xp != t {
                return Err(format!(
                    "P6b: ({}, {}) is {} by {t}, but the last SubmitMessage offering it went to {} ({})",
                    row.message,
                    row.index,
                    row.status,
                    p.xp,
                    ev(&c.t.events[p.call])
                ));
            }
        }
    }
    for (k, p) in ps.iter().enumerate() {
        let Some(flags) = &p.end_flags else { continue };
        if !p.ok || p.cancelled {
            continue;
        }
        let dont_resend = flags.len() == 1 && flags[0] == "END_DONT_RESEND";
        if !(flags.is_empty() || dont_resend) {
            continue;
        }
        for &r in &p.offered {
            let taken = p.net.get(&r) == Some(&true);
            let next = ps[k + 1..]
                .iter()
                .find(|q| q.msg == p.msg && q.offered.contains(&r));
            let Some(next) = next else { continue };
            let what = if p.reported.contains(&r) || (taken && !dont_resend) {
                // (c) final: never offered again.
                "P6c: a recipient final after this pass was offered again"
            } else if dont_resend && !(next.xp == p.xp && next.begin_deferred) {
                // (d) parked: back to the deferring transport with BEGIN_DEFERRED first.
                "P6d: a recipient parked by END_DONT_RESEND was next offered elsewhere or without BEGIN_DEFERRED"
            } else {
                continue;
            };
            return Err(format!(
                "{what}: ({}, {r}), EndMessage flags {flags:?}, taken {taken}, reported {}\n  pass:  {}\n  later: {}",
                p.msg,
                p.reported.contains(&r),
                ev(&c.t.events[p.call]),
                ev(&c.t.events[next.call])
            ));
        }
    }
    Ok(())
}

fn p7_reports(c: &Ctx) -> Check {
    let mut expected: BTreeMap<(String, String, String, u32), i32> = BTreeMap::new();
    for e in &c.t.events {
        if !(is(e, EventKind::Call, "StatusRecips") && c.xps.contains(s(&e.from))) {
            continue;
        }
        let spec = &c.sc.messages[c.msg_index(s(&e.message))];
        for en in e.entries.iter().flatten() {
            let wanted = if en.report == "DR" {
                spec.delivery_report
            } else {
                spec.non_delivery_report
            };
            if wanted {
                *expected
                    .entry((
                        s(&e.message).to_string(),
                        en.report.clone(),
                        s(&e.from).to_string(),
                        en.recipient,
                    ))
                    .or_default() += 1;
            }
        }
    }
    let mut got: BTreeMap<(String, String, String, u32), i32> = BTreeMap::new();
    let mut spooler_got: BTreeMap<(String, u32), i32> = BTreeMap::new();
    for rep in &c.t.reports {
        if rep.recipients.len() != 1 {
            return Err(format!(
                "P7: report with {} recipients: {rep:?}",
                rep.recipients.len()
            ));
        }
        let r = rep.recipients[0];
        let note = c.t.events.get((rep.seq as usize).wrapping_sub(1));
        if !note.is_some_and(|n| {
            n.kind == EventKind::Note
                && s(&n.from) == "spooler"
                && n.recipient == Some(r)
                && s(&n.message) == rep.message
        }) {
            return Err(format!(
                "P7: report {rep:?} points at {}",
                note.map(ev).unwrap_or_default()
            ));
        }
        if rep.source == "spooler" {
            if rep.kind != "NDR" {
                return Err(format!("P7: spooler report that is not an NDR: {rep:?}"));
            }
            *spooler_got.entry((rep.message.clone(), r)).or_default() += 1;
        } else {
            *got.entry((rep.message.clone(), rep.kind.clone(), rep.source.clone(), r))
                .or_default() += 1;
        }
    }
    if expected != got {
        return Err(format!(
            "P7: transport reports differ from the requested StatusRecips entries\n  expected (message, kind, source, recipient) → count: {expected:?}\n  got: {got:?}"
        ));
    }
    let mut spooler_expected: BTreeMap<(String, u32), i32> = BTreeMap::new();
    for row in &c.t.recipients {
        let spec = &c.sc.messages[c.msg_index(&row.message)];
        if row.status == "no_transport" && spec.non_delivery_report {
            *spooler_expected
                .entry((row.message.clone(), row.index))
                .or_default() += 1;
        }
    }
    if spooler_expected != spooler_got {
        return Err(format!(
            "P7: spooler NDRs {spooler_got:?} differ from the no_transport recipients that allow NDRs {spooler_expected:?}"
        ));
    }
    Ok(())
}

fn p8_retry_timing(c: &Ctx) -> Check {
    const RETRY: [&str; 5] = [
        "busy_retry",
        "wait_retry",
        "network_retry",
        "resend_later",
        "error_retry",
    ];
    for (i, e) in c.t.events.iter().enumerate() {
        let Some(due) = e.due else { continue };
        if !(e.kind == EventKind::Timer && s(&e.from) == "spooler" && RETRY.contains(&s(&e.timer)))
        {
            continue;
        }
        let mut flushed = false;
        for n in &c.t.events[i + 1..] {
            if is(n, EventKind::Call, "FlushQueues") && s(&n.from) == "spooler" && n.to == e.to {
                flushed = true;
            }
            if to_xp(n, &c.xps)
                && is(n, EventKind::Call, "SubmitMessage")
                && n.to == e.to
                && n.message == e.message
            {
                if n.t + 1e-9 < due && !flushed {
                    return Err(format!(
                        "P8: SubmitMessage before the retry is due (due {due}):\n  timer: {}\n  call:  {}",
                        ev(e),
                        ev(n)
                    ));
                }
                break;
            }
        }
    }
    Ok(())
}

fn p9_messages(c: &Ctx) -> Check {
    for (mi, spec) in c.sc.messages.iter().enumerate() {
        let row = &c.t.messages[mi];
        if row.id != spec.id {
            return Err(format!("P9: message row {mi} is {}", row.id));
        }
        let finished =
            c.t.events
                .iter()
                .filter(|e| is(e, EventKind::Call, "FinishedMsg") && s(&e.message) == spec.id)
                .count();
        let completed = matches!(row.status.as_str(), "sent_items" | "deleted" | "kept");
        if completed != (finished == 1) || finished > 1 {
            return Err(format!(
                "P9: {} is {} after {finished} FinishedMsg call(s)",
                spec.id, row.status
            ));
        }
        let recips = c.t.recipients.iter().filter(|r| r.message == spec.id);
        for r in recips {
            if completed
                && !matches!(
                    r.status.as_str(),
                    "sent" | "delivered" | "failed" | "no_transport"
                )
            {
                return Err(format!(
                    "P9: {} is {} while recipient {} is {}",
                    spec.id, row.status, r.index, r.status
                ));
            }
            if matches!(row.status.as_str(), "cancelled" | "aborted" | "withdrawn")
                && matches!(r.status.as_str(), "pending" | "deferred")
            {
                return Err(format!(
                    "P9: {} is {} while recipient {} is {}",
                    spec.id, row.status, r.index, r.status
                ));
            }
        }
    }
    Ok(())
}

fn p12_references(c: &Ctx) -> Check {
    let mut stack: Vec<usize> = Vec::new();
    // (message, transport) → reference returned by the last SubmitMessage.
    let mut last_ref: BTreeMap<(String, String), Option<u64>> = BTreeMap::new();
    for (i, e) in c.t.events.iter().enumerate() {
        match e.kind {
            EventKind::Call => {
                if is(e, EventKind::Call, "TransportNotify")
                    && e.flags
                        .as_ref()
                        .is_some_and(|f| f.iter().any(|x| x == "NOTIFY_CANCEL_MESSAGE"))
                {
                    let enclosing = stack.iter().rev().find(|&&ci| {
                        let call = &c.t.events[ci];
                        to_xp(call, &c.xps)
                            && (is(call, EventKind::Call, "SubmitMessage")
                                || is(call, EventKind::Call, "EndMessage"))
                            && call.to == e.to
                            && call.message == e.message
                    });
                    let expected = match enclosing {
                        Some(&ci) if is(&c.t.events[ci], EventKind::Call, "EndMessage") => {
                            c.t.events[ci].reference
                        }
                        Some(&ci) => c.pairs.get(&ci).and_then(|r| c.t.events[*r].reference),
                        None => last_ref
                            .get(&(s(&e.message).to_string(), s(&e.to).to_string()))
                            .copied()
                            .flatten(),
                    };
                    if e.reference != expected {
                        return Err(format!(
                            "P12: {} carries reference {:?}, expected {expected:?}",
                            ev(e),
                            e.reference
                        ));
                    }
                }
                stack.push(i);
            }
            EventKind::Return => {
                stack.pop();
                if is(e, EventKind::Return, "SubmitMessage") && c.xps.contains(s(&e.from)) {
                    last_ref.insert(
                        (s(&e.message).to_string(), s(&e.from).to_string()),
                        e.reference,
                    );
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn apply(d: &Delta, t: &mut Tables) {
    match d {
        Delta::Recipient(i, row) => t.recipients[*i as usize] = row.clone(),
        Delta::Message(i, row) => t.messages[*i as usize] = row.clone(),
        Delta::QueuePush(m) => t.queue.push(*m),
        Delta::QueueRemove(m) => t.queue.retain(|x| x != m),
        Delta::Status(i, row) => t.status[*i as usize] = row.clone(),
    }
}

fn first_difference(a: &Tables, b: &Tables) -> String {
    if let Some(i) = (0..a.recipients.len()).find(|&i| a.recipients[i] != b.recipients[i]) {
        return format!(
            "recipient row {i}: {:?} vs {:?}",
            a.recipients[i], b.recipients[i]
        );
    }
    if let Some(i) = (0..a.messages.len()).find(|&i| a.messages[i] != b.messages[i]) {
        return format!("message {i}: {:?} vs {:?}", a.messages[i], b.messages[i]);
    }
    if a.queue != b.queue {
        return format!("queue {:?} vs {:?}", a.queue, b.queue);
    }
    format!("status rows {:?} vs {:?}", a.status, b.status)
}

fn p11_timeline(c: &Ctx) -> Check {
    let tl = &c.run.timeline;
    let last = c.t.events.len() as u64;
    let stride = (last / 150).max(1);
    let mut naive = tl.initial().clone();
    let mut applied = 0usize;
    let mut final_state: BTreeMap<usize, RecipientState> = BTreeMap::new();
    let mut terminal: BTreeMap<usize, MessageState> = BTreeMap::new();
    for k in 0..=last {
        for (step, d) in tl.changes_at(k) {
            if *step != k {
                return Err(format!(
                    "P11: changes_at({k}) returned a delta of step {step}"
                ));
            }
            apply(d, &mut naive);
            applied += 1;
        }
        for (i, r) in naive.recipients.iter().enumerate() {
            match final_state.get(&i) {
                Some(f) if *f != r.state => {
                    return Err(format!(
                        "P11: recipient row {i} was final {f} and became {} at step {k}",
                        r.state
                    ))
                }
                None if r.state.is_final() => {
                    final_state.insert(i, r.state);
                }
                _ => {}
            }
        }
        for (i, m) in naive.messages.iter().enumerate() {
            match terminal.get(&i) {
                Some(f) if *f != m.state => {
                    return Err(format!(
                        "P11: message {i} was terminal {} and became {} at step {k}",
                        f.name(),
                        m.state.name()
                    ))
                }
                None if m.state.is_terminal() => {
                    terminal.insert(i, m.state);
                }
                _ => {}
            }
        }
        if k == 0 || k == last || k % stride == 0 {
            let snap = tl.snapshot(k);
            if snap != naive {
                return Err(format!(
                    "P11: snapshot({k}) differs from the naive replay (checkpoint interval {}): {}",
                    tl.checkpoint_interval(),
                    first_difference(&snap, &naive)
                ));
            }
        }
        // At a SubmitMessage call: offered recipients Offered(T), message InSubmit(T), T in flight.
        if k >= 1 {
            let e = &c.t.events[k as usize - 1];
            if to_xp(e, &c.xps) && is(e, EventKind::Call, "SubmitMessage") {
                let t = c.xp_index(s(&e.to)) as u16;
                let m = c.msg_index(s(&e.message));
                let offset: usize = c.sc.messages[..m].iter().map(|x| x.recipients.len()).sum();
                for r in e.offered.iter().flatten() {
                    let st = naive.recipients[offset + *r as usize].state;
                    if st != RecipientState::Offered(t) {
                        return Err(format!(
                            "P11: at {} recipient {r} is {st} in the tables",
                            ev(e)
                        ));
                    }
                }
                if naive.messages[m].state != MessageState::InSubmit(t)
                    || naive.status[t as usize].in_flight != Some(m as u32)
                {
                    return Err(format!(
                        "P11: at {} the message is {:?} and the status row in flight {:?}",
                        ev(e),
                        naive.messages[m].state,
                        naive.status[t as usize].in_flight
                    ));
                }
            }
        }
    }
    if applied != tl.delta_count() {
        return Err(format!(
            "P11: changes_at over every step gave {applied} deltas of {}",
            tl.delta_count()
        ));
    }
    let end = tl.snapshot(last);
    for (i, (row, trow)) in end.recipients.iter().zip(&c.t.recipients).enumerate() {
        if row.state.contract_status() != trow.status {
            return Err(format!(
                "P11: recipient row {i}: snapshot(last) says {}, the trace {}",
                row.state.contract_status(),
                trow.status
            ));
        }
        if matches!(trow.status.as_str(), "sent" | "delivered" | "failed") {
            let name = row
                .state
                .transport()
                .map(|t| c.sc.transports[t as usize].name.clone());
            if name != trow.transport {
                return Err(format!(
                    "P11: recipient row {i}: snapshot transport {name:?}, trace {:?}",
                    trow.transport
                ));
            }
        }
    }
    for (i, (row, trow)) in end.messages.iter().zip(&c.t.messages).enumerate() {
        if row.state.contract_status() != trow.status {
            return Err(format!(
                "P11: message {i}: snapshot(last) says {}, the trace {}",
                row.state.contract_status(),
                trow.status
            ));
        }
    }
    Ok(())
}

fn check_all(sc: &Scenario, r: &Run) -> Check {
    if let Some(f) = &r.fault {
        return Err(format!("the run faulted: {f:?}"));
    }
    let c = Ctx::new(sc, r);
    p1_structure(&c)?;
    p2_end_follows_ok_submit(&c)?;
    p3_no_end_after_failure(&c)?;
    p4_no_overlap(&c)?;
    p5_final_status(&c)?;
    p6_taken_once(&c)?;
    p7_reports(&c)?;
    p8_retry_timing(&c)?;
    p9_messages(&c)?;
    p11_timeline(&c)?;
    p12_references(&c)?;
    Ok(())
}

/// P10: same input, same bytes; the step API gives the same events as `run`.
fn check_determinism(case: &Case, sc: &Scenario, first: &Run) -> Check {
    let again = run(sc, case.transports(sc));
    if again.trace.to_json() != first.trace.to_json() {
        return Err("P10: two runs of the same input gave different trace JSON".into());
    }
    let mut e = Engine::new(sc.clone(), case.transports(sc));
    while let Some(t) = e.poll_timeout() {
        e.handle_timeout(t);
    }
    let stepped = e.finish();
    if stepped.trace.events != first.trace.events {
        return Err(
            "P10: driving with poll_timeout/handle_timeout gave other events than run()".into(),
        );
    }
    Ok(())
}

fn dump(r: &Run) -> String {
    let mut s = String::from("--- trace (calls, returns, properties, timers) ---\n");
    for e in &r.trace.events {
        if matches!(
            e.method.as_deref(),
            Some("TransportLogon" | "AddressTypes" | "RegisterOptions" | "ModifyStatusRow")
        ) {
            continue;
        }
        let _ = writeln!(s, "{}", ev(e));
    }
    for row in &r.trace.recipients {
        let _ = writeln!(
            s,
            "recipient {}#{}: {} by {:?} report {:?}",
            row.message, row.index, row.status, row.transport, row.report
        );
    }
    for m in &r.trace.messages {
        let _ = writeln!(s, "message {}: {}", m.id, m.status);
    }
    s
}

proptest! {
    // 256 cases by default (a few seconds in debug); PROPTEST_CASES=n for a deeper run.
    #![proptest_config(Config {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256),
        ..Config::default()
    })]

    #[test]
    fn spooler_model_properties(case in case()) {
        let sc = case.scenario();
        let r = run(&sc, case.transports(&sc));
        let verdict = check_all(&sc, &r).and_then(|()| check_determinism(&case, &sc, &r));
        if let Err(e) = verdict {
            prop_assert!(false, "{e}\n{}{}", case.describe(), dump(&r));
        }
    }
}

proptest! {
    // Fewer, larger runs: the timeline's checkpoints (every ≥ 256 deltas) come into play.
    #![proptest_config(Config {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256) / 16,
        ..Config::default()
    })]

    #[test]
    fn spooler_model_properties_large_runs(case in large_case()) {
        let sc = case.scenario();
        let r = run(&sc, case.transports(&sc));
        // Rare (most messages cancelled or aborted early): not what this test is for.
        prop_assume!(r.timeline.delta_count() > r.timeline.checkpoint_interval());
        let verdict = check_all(&sc, &r).and_then(|()| check_determinism(&case, &sc, &r));
        if let Err(e) = verdict {
            prop_assert!(false, "{e}\n{}", case.describe());
        }
    }
}

// ---------------------------------------------------------------------------------------
// Minimal cases the properties found (kept as plain tests so that they always run)
// ---------------------------------------------------------------------------------------

fn plan(ret: Ret) -> CallPlan {
    CallPlan {
        set_reference: None,
        elapse: None,
        honour_cancel: true,
        actions: Vec::new(),
        ret,
        retry_after: None,
        sent_deferred: None,
        end_flags: 0,
        end_elapse: None,
    }
}

fn check_case(case: &Case) {
    let sc = case.scenario();
    let r = run(&sc, case.transports(&sc));
    if let Err(e) = check_all(&sc, &r).and_then(|()| check_determinism(case, &sc, &r)) {
        panic!("{e}\n{}{}", case.describe(), dump(&r));
    }
}

/// P8: a flush runs a waiting retry at once but leaves its timer armed; when the new attempt
/// fails again, the old timer fires at its original time and resubmits before the new
/// retry is due (error_retry 60 s: SubmitMessage at 0 s, flush at 1 s, then at 60 s instead
/// of 61 s).
#[test]
fn flush_does_not_leave_a_stale_retry_timer() {
    check_case(&Case {
        seed: 0,
        spooler: SpoolerCase::default(),
        xps: vec![XpCase {
            types: None,
            prefer_last: false,
            plan: vec![plan(Ret::UserCancel), plan(Ret::UserCancel)],
        }],
        msgs: vec![MsgCase {
            submit_at: 0,
            delivery_report: false,
            non_delivery_report: None,
            recipients: vec![0],
        }],
        events: vec![EvCase {
            at: 1,
            kind: EvKind::Flush,
        }],
    });
}

/// P6d: t0 takes the FAX recipient and defers it (END_DONT_RESEND, NOTIFY_SENTDEFERRED after
/// 16 s); its outbound is switched off meanwhile, so at the release the spooler hands the
/// recipient to the catch-all t1 (plain SubmitMessage) instead of waiting for t0's
/// SubmitMessage(BEGIN_DEFERRED) (model §9.2 step 4, §12.3).
#[test]
fn released_deferred_recipients_go_back_to_the_deferring_transport() {
    let mut defer = plan(Ret::Ok);
    defer.sent_deferred = Some(16);
    defer.end_flags = flag::END_DONT_RESEND;
    check_case(&Case {
        seed: 0,
        spooler: SpoolerCase::default(),
        xps: vec![
            XpCase {
                types: Some(vec![1]),
                prefer_last: false,
                plan: vec![defer],
            },
            XpCase {
                types: None,
                prefer_last: false,
                plan: Vec::new(),
            },
        ],
        msgs: vec![MsgCase {
            submit_at: 0,
            delivery_report: false,
            non_delivery_report: None,
            recipients: vec![1],
        }],
        events: vec![
            EvCase {
                at: 1,
                kind: EvKind::OutboundOff(0),
            },
            EvCase {
                at: 30,
                kind: EvKind::OutboundOn(0),
            },
        ],
    });
}
