//! Engine tests with transports written in Rust (no script host): the protocol rules a
//! MAPI engineer checks first. The scenario corpus under `tests/scenarios/` covers the rest
//! through Rhai scripts.

use spoolscope_contract::consts::{flag, hr};
use spoolscope_contract::trace::{Event, EventKind, Trace};
use spoolscope_contract::{parse_scenario, Format, Scenario};
use spoolscope_engine::transport::{HookFault, MsgView, Support, Transport};
use spoolscope_engine::{run, Run};

type SubmitFn = Box<dyn FnMut(&MsgView, &mut dyn Support) -> u32>;
type EndFn = Box<dyn FnMut(&MsgView, &mut dyn Support) -> u32>;

/// A transport whose hooks are closures.
struct Fx {
    submit: SubmitFn,
    end: EndFn,
    notified: std::rc::Rc<std::cell::RefCell<Vec<u32>>>,
}

impl Fx {
    fn new(submit: impl FnMut(&MsgView, &mut dyn Support) -> u32 + 'static) -> Fx {
        Fx {
            submit: Box::new(submit),
            end: Box::new(|_, _| 0),
            notified: Default::default(),
        }
    }
    fn with_end(mut self, end: impl FnMut(&MsgView, &mut dyn Support) -> u32 + 'static) -> Fx {
        self.end = Box::new(end);
        self
    }
}

impl Transport for Fx {
    fn submit_message(&mut self, msg: &MsgView, sup: &mut dyn Support) -> Result<u32, HookFault> {
        Ok((self.submit)(msg, sup))
    }
    fn end_message(&mut self, msg: &MsgView, sup: &mut dyn Support) -> Result<u32, HookFault> {
        Ok((self.end)(msg, sup))
    }
    fn transport_notify(
        &mut self,
        flags: u32,
        _msg: Option<&MsgView>,
        _sup: &mut dyn Support,
    ) -> Result<(), HookFault> {
        self.notified.borrow_mut().push(flags);
        Ok(())
    }
}

fn scenario(toml: &str) -> Scenario {
    parse_scenario(toml, Format::Toml).unwrap_or_else(|e| panic!("bad test scenario: {e}"))
}

fn go(toml: &str, xps: Vec<Fx>) -> Run {
    let sc = scenario(toml);
    let r = run(
        &sc,
        xps.into_iter()
            .map(|x| Box::new(x) as Box<dyn Transport>)
            .collect(),
    );
    assert!(r.fault.is_none(), "{:?}", r.fault);
    check_invariants(&r.trace);
    r
}

/// Every call has a return at the same depth; seq is 1.. in order; t never goes back.
fn check_invariants(t: &Trace) {
    let broken = spoolscope_testkit::trace_invariants(t);
    assert!(broken.is_empty(), "{broken:#?}");
}

/// "method" lines of the spooler→transport and transport→spooler calls, for order checks.
fn calls(t: &Trace) -> Vec<String> {
    t.events
        .iter()
        .filter(|e| e.kind == EventKind::Call)
        .filter(|e| {
            !matches!(
                e.method.as_deref(),
                Some("TransportLogon" | "AddressTypes" | "RegisterOptions" | "ModifyStatusRow")
            )
        })
        .map(|e| {
            format!(
                "{}>{}:{}",
                e.from.as_deref().unwrap_or(""),
                e.to.as_deref().unwrap_or(""),
                e.method.as_deref().unwrap_or("")
            )
        })
        .collect()
}

fn status(r: &Run, msg: &str, idx: u32) -> String {
    r.trace
        .recipients
        .iter()
        .find(|x| x.message == msg && x.index == idx)
        .map(|x| x.status.clone())
        .unwrap_or_default()
}

const ONE: &str = r#"
version = 1
[[transport]]
name = "smtp"
address_types = ["SMTP"]
[[message]]
recipients = [
  { name = "Alice", address = "alice@contoso.example", type = "SMTP" },
  { name = "Fax", address = "+1 555 0100", type = "FAX" },
]
"#;

#[test]
fn seed_flow_submit_statusrecips_end() {
    let r = go(
        ONE,
        vec![Fx::new(|m, s| {
            for r in &m.offered {
                s.fail(*r as i64, 0, 35, "No such mailbox");
            }
            hr::S_OK
        })],
    );
    let c = calls(&r.trace);
    let pos = |s: &str| {
        c.iter()
            .position(|x| x == s)
            .unwrap_or_else(|| panic!("{s} missing in {c:?}"))
    };
    assert!(pos("spooler>smtp:SubmitMessage") < pos("smtp>spooler:StatusRecips"));
    assert!(pos("smtp>spooler:StatusRecips") < pos("spooler>smtp:EndMessage"));
    assert!(pos("spooler>smtp:EndMessage") < pos("spooler>store:FinishedMsg"));
    // SubmitMessage offered only the SMTP recipient.
    let sm = r
        .trace
        .events
        .iter()
        .find(|e| {
            e.method.as_deref() == Some("SubmitMessage")
                && e.kind == EventKind::Call
                && e.from.as_deref() == Some("spooler")
        })
        .unwrap();
    assert_eq!(sm.offered, Some(vec![0]));
    assert_eq!(status(&r, "m1", 0), "failed");
    assert_eq!(status(&r, "m1", 1), "no_transport");
    let fax = &r.trace.recipients[1];
    assert_eq!((fax.ndr_reason, fax.ndr_diag), (Some(1), Some(-1)));
    assert_eq!(r.trace.reports.len(), 2);
    assert_eq!(r.trace.messages[0].status, "sent_items");
    // StatusRecips is nested in SubmitMessage.
    let sr = r
        .trace
        .events
        .iter()
        .find(|e| e.method.as_deref() == Some("StatusRecips"))
        .unwrap();
    assert_eq!(sr.depth, 1);
}

#[test]
fn busy_retries_after_one_second_without_end_message() {
    let mut n = 0;
    let r = go(
        ONE,
        vec![Fx::new(move |m, s| {
            n += 1;
            if n < 3 {
                return hr::MAPI_E_BUSY;
            }
            for r in &m.offered {
                s.accept(*r as i64);
            }
            hr::S_OK
        })],
    );
    let submits: Vec<&Event> = r
        .trace
        .events
        .iter()
        .filter(|e| {
            e.method.as_deref() == Some("SubmitMessage")
                && e.kind == EventKind::Call
                && e.from.as_deref() == Some("spooler")
        })
        .collect();
    assert_eq!(submits.len(), 3);
    assert_eq!(
        submits.iter().map(|e| e.t).collect::<Vec<_>>(),
        vec![0.0, 1.0, 2.0]
    );
    assert_eq!(
        submits
            .iter()
            .map(|e| e.attempt.unwrap())
            .collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    let ends = r
        .trace
        .events
        .iter()
        .filter(|e| e.method.as_deref() == Some("EndMessage") && e.kind == EventKind::Call)
        .count();
    assert_eq!(ends, 1);
    assert_eq!(status(&r, "m1", 0), "sent");
}

const TWO: &str = r#"
version = 1
[[transport]]
name = "a"
address_types = ["SMTP"]
[[transport]]
name = "b"
address_types = ["SMTP"]
[[message]]
recipients = [ { address = "x@y.example", type = "SMTP" } ]
"#;

#[test]
fn not_me_reroutes_to_next_transport() {
    let r = go(
        TWO,
        vec![
            Fx::new(|_, _| hr::MAPI_E_NOT_ME),
            Fx::new(|m, s| {
                s.accept(m.offered[0] as i64);
                hr::S_OK
            }),
        ],
    );
    let c = calls(&r.trace);
    assert!(!c.contains(&"spooler>a:EndMessage".to_string()), "{c:?}");
    assert!(c.contains(&"spooler>b:EndMessage".to_string()));
    assert_eq!(r.trace.recipients[0].transport.as_deref(), Some("b"));
}

#[test]
fn decline_by_all_gives_spooler_ndr() {
    let r = go(
        TWO,
        vec![Fx::new(|_, _| hr::S_OK), Fx::new(|_, _| hr::S_OK)],
    );
    assert_eq!(status(&r, "m1", 0), "no_transport");
    // Both got EndMessage (S_OK path, model §14 Q15).
    let ends = r
        .trace
        .events
        .iter()
        .filter(|e| e.method.as_deref() == Some("EndMessage") && e.kind == EventKind::Call)
        .count();
    assert_eq!(ends, 2);
}

#[test]
fn dont_resend_defers_then_begin_deferred() {
    let r = go(
        ONE,
        vec![Fx::new(|m, s| {
            if m.deferred {
                for r in &m.offered {
                    s.accept(*r as i64);
                }
            } else {
                s.notify_sent_deferred(30.0);
            }
            hr::S_OK
        })
        .with_end(|m, _| if m.deferred { 0 } else { flag::END_DONT_RESEND })],
    );
    let subs: Vec<&Event> = r
        .trace
        .events
        .iter()
        .filter(|e| {
            e.method.as_deref() == Some("SubmitMessage")
                && e.kind == EventKind::Call
                && e.from.as_deref() == Some("spooler")
        })
        .collect();
    assert_eq!(subs.len(), 2);
    assert_eq!(subs[1].flags, Some(vec!["BEGIN_DEFERRED".to_string()]));
    assert_eq!(subs[1].t, 30.0);
    assert_eq!(status(&r, "m1", 0), "sent");
    let sn = r
        .trace
        .events
        .iter()
        .find(|e| e.method.as_deref() == Some("SpoolerNotify"))
        .unwrap();
    assert_eq!(sn.flags, Some(vec!["NOTIFY_SENTDEFERRED".to_string()]));
}

#[test]
fn cancel_during_elapse_is_delivered_nested() {
    let toml = format!("{ONE}\n[[event]]\nat_s = 2\naction = \"cancel\"\nmessage = \"m1\"\n");
    let r = go(
        &toml,
        vec![Fx::new(|m, s| {
            s.set_reference(7);
            s.elapse(5.0);
            while let Some(_n) = s.poll_notification() {
                s.notification_done();
            }
            if s.cancelled() {
                return hr::MAPI_E_USER_CANCEL;
            }
            s.accept(m.offered[0] as i64);
            hr::S_OK
        })],
    );
    let tn = r
        .trace
        .events
        .iter()
        .find(|e| {
            e.method.as_deref() == Some("TransportNotify")
                && e.flags
                    .as_ref()
                    .is_some_and(|f| f.contains(&"NOTIFY_CANCEL_MESSAGE".to_string()))
        })
        .unwrap();
    assert_eq!(tn.depth, 1);
    assert_eq!(tn.t, 2.0);
    assert_eq!(tn.reference, Some(7));
    assert_eq!(r.trace.messages[0].status, "cancelled");
    assert_eq!(status(&r, "m1", 0), "cancelled");
    assert!(!calls(&r.trace).contains(&"spooler>smtp:EndMessage".to_string()));
}

#[test]
fn same_input_same_trace() {
    let a = go(
        ONE,
        vec![Fx::new(|m, s| {
            for r in &m.offered {
                if s.rand() < 0.5 {
                    s.accept(*r as i64)
                }
            }
            hr::S_OK
        })],
    );
    let b = go(
        ONE,
        vec![Fx::new(|m, s| {
            for r in &m.offered {
                if s.rand() < 0.5 {
                    s.accept(*r as i64)
                }
            }
            hr::S_OK
        })],
    );
    assert_eq!(a.trace.to_json(), b.trace.to_json());
}

#[test]
fn timeline_snapshots_match_final_tables() {
    let r = go(
        ONE,
        vec![Fx::new(|m, s| {
            s.accept(m.offered[0] as i64);
            hr::S_OK
        })],
    );
    let last = r.trace.events.len() as u64;
    let snap = r.timeline.snapshot(last);
    assert_eq!(snap.recipients[0].state.contract_status(), "sent");
    let first = r.timeline.snapshot(0);
    assert_eq!(first.recipients[0].state.contract_status(), "pending");
    assert!(first.queue.is_empty());
}
