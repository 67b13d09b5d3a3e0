//! Unit tests: a recording fake `Support`, one test per host function and rule.

use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::Arc;

use spoolscope_contract::consts::{flag, hr};
use spoolscope_contract::scenario::{RecipientSpec, RecipientType, ScriptSource};
use spoolscope_contract::{Format, Pos};
use spoolscope_engine::transport::{HookFault, MsgView, Notification, Support, Transport};

use crate::host::RunShared;
use crate::{build_transports, limits, script_constants, ScriptTransport};

// ---------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------

/// Records every call a script makes; delivers `pending` notifications on the next `elapse`.
#[derive(Default)]
struct Fake {
    calls: Vec<String>,
    now: f64,
    cancelled: bool,
    pending: VecDeque<Notification>,
    due: VecDeque<Notification>,
    rand_calls: u32,
}

impl Fake {
    fn with_pending(n: Notification) -> Self {
        Fake {
            pending: VecDeque::from([n]),
            ..Fake::default()
        }
    }
}

impl Support for Fake {
    fn accept(&mut self, r: i64) {
        self.calls.push(format!("accept {r}"));
    }
    fn deliver(&mut self, r: i64) {
        self.calls.push(format!("deliver {r}"));
    }
    fn fail(&mut self, r: i64, reason: i64, diag: i64, text: &str) {
        self.calls.push(format!("fail {r} {reason} {diag} {text}"));
    }
    fn decline(&mut self, r: i64) {
        self.calls.push(format!("decline {r}"));
    }
    fn set_reference(&mut self, n: i64) {
        self.calls.push(format!("set_reference {n}"));
    }
    fn retry_after(&mut self, secs: f64) {
        self.calls.push(format!("retry_after {secs}"));
    }
    fn elapse(&mut self, secs: f64) {
        self.now += secs;
        self.calls.push(format!("elapse {secs}"));
        self.due.extend(self.pending.drain(..));
    }
    fn poll_notification(&mut self) -> Option<Notification> {
        let n = self.due.pop_front()?;
        if n.flags & flag::NOTIFY_CANCEL_MESSAGE != 0 {
            self.cancelled = true;
        }
        self.calls.push(format!("notify 0x{:X}", n.flags));
        Some(n)
    }
    fn notification_done(&mut self) {
        self.calls.push("notify done".to_string());
    }
    fn cancelled(&self) -> bool {
        self.cancelled
    }
    fn notify_sent_deferred(&mut self, secs: f64) {
        self.calls.push(format!("sent_deferred {secs}"));
    }
    fn log(&mut self, text: &str) {
        self.calls.push(format!("log {text}"));
    }
    fn now(&self) -> f64 {
        self.now
    }
    fn rand(&mut self) -> f64 {
        self.rand_calls += 1;
        0.25 * f64::from(self.rand_calls)
    }
}

/// Where test scripts pretend to start in the scenario file: line 10, column 5.
const ORIGIN: Pos = Pos { line: 10, col: 5 };
/// Where the test transport pretends to be declared.
const DECLARED: Pos = Pos { line: 7, col: 1 };

fn source(text: &str) -> ScriptSource {
    ScriptSource {
        text: text.to_string(),
        origin: Some(ORIGIN),
    }
}

/// The file position of script line `line`, column `col` (see `ORIGIN`).
fn at(line: u32, col: u32) -> Option<Pos> {
    source("").file_pos(line, col)
}

fn compile(text: &str) -> ScriptTransport {
    match ScriptTransport::compile("smtp", &source(text), DECLARED) {
        Ok(t) => t,
        Err(e) => panic!("script does not compile: {e}\n{text}"),
    }
}

fn compile_err(text: &str) -> spoolscope_contract::ScenarioError {
    match ScriptTransport::compile("smtp", &source(text), DECLARED) {
        Ok(_) => panic!("script compiled but should not:\n{text}"),
        Err(e) => e,
    }
}

fn recipient(name: &str, address: &str, addr_type: &str, rt: RecipientType) -> RecipientSpec {
    RecipientSpec {
        name: name.to_string(),
        address: address.to_string(),
        addr_type: addr_type.to_string(),
        recipient_type: rt,
        uid: None,
    }
}

/// Message m1: three recipients, 0 and 2 offered.
fn msg() -> MsgView {
    MsgView {
        index: 0,
        id: "m1".into(),
        subject: "Quarterly report".into(),
        attempt: 1,
        deferred: false,
        delivery_report: true,
        reference: 0,
        offered: vec![0, 2],
        recipients: Arc::from(vec![
            recipient("Alice", "alice@contoso.example", "SMTP", RecipientType::To),
            recipient("Fax", "+1 555 0100", "FAX", RecipientType::Cc),
            recipient(
                "Nobody",
                "ghost@nowhere.example",
                "SMTP",
                RecipientType::Bcc,
            ),
        ]),
    }
}

fn submit(t: &mut ScriptTransport, sup: &mut Fake) -> Result<u32, HookFault> {
    t.submit_message(&msg(), sup)
}

fn submit_ok(text: &str) -> (u32, Vec<String>) {
    let mut t = compile(text);
    let mut sup = Fake::default();
    match submit(&mut t, &mut sup) {
        Ok(v) => (v, sup.calls),
        Err(f) => panic!("unexpected fault {f:?}\n{text}"),
    }
}

fn submit_fault(text: &str) -> HookFault {
    let mut t = compile(text);
    match submit(&mut t, &mut Fake::default()) {
        Ok(v) => panic!("expected a fault, got {v:#x}\n{text}"),
        Err(f) => f,
    }
}

/// The log lines a submit hook produced.
fn logs(text: &str) -> Vec<String> {
    submit_ok(text)
        .1
        .into_iter()
        .filter_map(|c| c.strip_prefix("log ").map(str::to_string))
        .collect()
}

/// Like `assert_fault` for an endless loop, where the operation that crosses the limit may be any
/// of the loop body's (so only the line is certain).
fn assert_fault_line(f: &HookFault, pos: Option<Pos>, needle: &str) {
    assert_eq!(f.pos.map(|p| p.line), pos.map(|p| p.line), "{f:?}");
    assert_fault(f, f.pos, needle);
}

fn assert_fault(f: &HookFault, pos: Option<Pos>, needle: &str) {
    assert_eq!(f.pos, pos, "{f:?}");
    assert!(
        f.message.contains(needle),
        "message {:?} lacks {needle:?}",
        f.message
    );
    assert!(
        f.message.starts_with("transport \"smtp\": "),
        "{:?}",
        f.message
    );
}

// ---------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------

#[test]
fn constants_have_their_real_values() {
    let got = logs(
        "fn submit_message(msg) {
            log(MAPI_E_BUSY == 0x8004010B);
            log(MAPI_DIAG_MAIL_RECIPIENT_UNKNOWN == 35);
            log(NOTIFY_CANCEL_MESSAGE == 0x80000000);
            log(NOTIFY_NEWMAIL == 1 && NOTIFY_BEGIN_INBOUND == 1);
            log(MAPI_DIAG_NO_DIAGNOSTIC);
            log(END_RESEND_LATER == 0x20000 && BEGIN_DEFERRED == 1);
            log(MAPI_REASON_TRANSFER_IMPOSSIBLE == 1 && MAPI_W_ERRORS_RETURNED == 0x40380);
            log(MAPI_BCC == 3 && MAPI_SUBMITTED == 0x80000000 && SUBMITFLAG_LOCKED == 1);
            log(STATUS_XP_PREFER_LAST == 0x10 && LOGON_SP_POLL == 0x20000 && fnevNewMail == 2);
            S_OK
        }",
    );
    assert_eq!(
        got,
        ["true", "true", "true", "true", "-1", "true", "true", "true", "true"]
    );
}

#[test]
fn every_listed_constant_is_visible_with_its_value() {
    let table = script_constants();
    let body: String = table.iter().map(|(n, _)| format!("log({n});\n")).collect();
    let got = logs(&format!("fn submit_message(msg) {{\n{body}S_OK\n}}"));
    let want: Vec<String> = table.iter().map(|(_, v)| v.to_string()).collect();
    assert_eq!(got, want);
    // Every HRESULT, flag family, reason and diagnostic of the contract is in the table.
    let has = |name: &str| table.iter().any(|(n, _)| *n == name);
    for (name, _) in spoolscope_contract::consts::HRESULTS
        .iter()
        .chain(spoolscope_contract::consts::TRANSPORT_NOTIFY_FLAGS)
        .chain(spoolscope_contract::consts::SPOOLER_NOTIFY_FLAGS)
        .chain(spoolscope_contract::consts::END_MESSAGE_FLAGS)
        .chain(spoolscope_contract::consts::MESSAGE_FLAGS)
    {
        assert!(has(name), "{name}");
    }
    for (name, _) in spoolscope_contract::consts::REASONS
        .iter()
        .chain(spoolscope_contract::consts::DIAGS)
    {
        assert!(has(name), "{name}");
    }
    for name in [
        "MAPI_TO",
        "MAPI_CC",
        "MAPI_P1",
        "MSG_UNLOCKED",
        "CURRENT_SPI_VERSION",
        "DEINIT_HURRY",
    ] {
        assert!(has(name), "{name}");
    }
}

#[test]
fn constants_are_constant() {
    let f = submit_fault("fn submit_message(msg) {\n  S_OK = 1;\n  S_OK\n}");
    assert_fault(
        &f,
        at(2, 3),
        "in submit_message: Cannot modify constant S_OK",
    );
}

// ---------------------------------------------------------------------------------------
// Hooks and defaults
// ---------------------------------------------------------------------------------------

const CONTRACT_SCRIPT: &str = r#"
fn submit_message(msg) {
    for r in msg.recipients {                    // only the recipients offered to this transport
        if r.address.ends_with("@nowhere.example") {
            fail(r, MAPI_REASON_TRANSFER_FAILED, MAPI_DIAG_MAIL_RECIPIENT_UNKNOWN, "No such mailbox");
        } else {
            accept(r);
        }
    }
    S_OK
}
"#;

#[test]
fn contract_example_script_runs() {
    let (hr_value, calls) = submit_ok(CONTRACT_SCRIPT);
    assert_eq!(hr_value, hr::S_OK);
    assert_eq!(calls, ["accept 0", "fail 2 0 35 No such mailbox"]);
}

#[test]
fn missing_hooks_have_the_contract_defaults() {
    let mut t = compile("fn helper(x) { x }");
    assert!(t.hooks().is_empty());
    let mut sup = Fake::default();
    assert_eq!(t.submit_message(&msg(), &mut sup), Ok(hr::S_OK));
    assert_eq!(sup.calls, ["accept 0", "accept 2"]);
    assert_eq!(t.end_message(&msg(), &mut sup), Ok(0));
    assert_eq!(
        t.transport_notify(flag::NOTIFY_CANCEL_MESSAGE, Some(&msg()), &mut sup),
        Ok(())
    );
    assert_eq!(sup.calls.len(), 2);
}

#[test]
fn build_transports_keeps_order_and_defaults_transports_without_script() {
    let text = "version = 1\n\
        [[transport]]\nname = \"a\"\n\
        [[transport]]\nname = \"b\"\nscript = '''\nfn submit_message(msg) { MAPI_E_BUSY }\n'''\n";
    let scenario = spoolscope_contract::parse_scenario(text, Format::Toml).unwrap();
    let mut ts = build_transports(&scenario).unwrap();
    assert_eq!(ts.len(), 2);
    let mut sup = Fake::default();
    assert_eq!(ts[0].submit_message(&msg(), &mut sup), Ok(hr::S_OK));
    assert_eq!(sup.calls, ["accept 0", "accept 2"]);
    assert_eq!(ts[1].submit_message(&msg(), &mut sup), Ok(hr::MAPI_E_BUSY));
}

#[test]
fn build_transports_reports_syntax_errors_in_file_coordinates() {
    let text = "version = 1\n[[transport]]\nname = \"smtp\"\nscript = '''\nfn submit_message(msg) {\n    accept(msg.recipients[0];\n}\n'''\n";
    let scenario = spoolscope_contract::parse_scenario(text, Format::Toml).unwrap();
    let e = build_transports(&scenario).err().unwrap();
    assert!(
        e.message
            .starts_with("transport \"smtp\": script syntax error: "),
        "{e}"
    );
    assert_eq!(e.pos.line, 6, "{e}");
}

#[test]
fn end_message_and_transport_notify_are_called() {
    let mut t = compile(
        "fn end_message(msg) { log(`end ${msg.attempt}`); END_RESEND_LATER }
         fn transport_notify(flags, msg) { log(`notify ${flags} ${msg.id}`); 42 }",
    );
    assert_eq!(t.hooks(), ["end_message", "transport_notify"]);
    let mut sup = Fake::default();
    assert_eq!(t.end_message(&msg(), &mut sup), Ok(flag::END_RESEND_LATER));
    assert_eq!(
        t.transport_notify(flag::NOTIFY_CANCEL_MESSAGE, Some(&msg()), &mut sup),
        Ok(())
    );
    assert_eq!(sup.calls, ["log end 1", "log notify 2147483648 m1"]);
}

#[test]
fn transport_notify_without_a_message_sees_unit() {
    let mut t = compile(
        "fn transport_notify(flags, msg) { log(msg == ()); log(flags == NOTIFY_END_OUTBOUND); }",
    );
    let mut sup = Fake::default();
    assert_eq!(
        t.transport_notify(flag::NOTIFY_END_OUTBOUND, None, &mut sup),
        Ok(())
    );
    assert_eq!(sup.calls, ["log true", "log true"]);
}

#[test]
fn return_keyword_and_nested_helpers_work() {
    let (v, calls) = submit_ok(
        "fn pick(r) { if r.index == 0 { return true; } false }
         fn submit_message(msg) {
            for r in msg.recipients { if pick(r) { accept(r); return MAPI_E_BUSY; } }
            S_OK
         }",
    );
    assert_eq!(v, hr::MAPI_E_BUSY);
    assert_eq!(calls, ["accept 0"]);
}

// ---------------------------------------------------------------------------------------
// Return values
// ---------------------------------------------------------------------------------------

#[test]
fn hresults_may_be_positive_or_negative_32_bit_values() {
    assert_eq!(
        submit_ok("fn submit_message(msg) { 0x8004010B }").0,
        hr::MAPI_E_BUSY
    );
    assert_eq!(
        submit_ok("fn submit_message(msg) { -2147221237 }").0,
        hr::MAPI_E_BUSY
    );
    assert_eq!(
        submit_ok("fn submit_message(msg) { MAPI_W_ERRORS_RETURNED }").0,
        hr::MAPI_W_ERRORS_RETURNED
    );
    let f = submit_fault("fn submit_message(msg) {\n  0x1_0000_0000\n}");
    assert_fault(&f, at(1, 1), "submit_message must return an HRESULT such as S_OK; it returned 4294967296, which does not fit in 32 bits");
    let f = submit_fault("fn submit_message(msg) { -2147483649 }");
    assert!(f.message.contains("does not fit in 32 bits"), "{f:?}");
}

#[test]
fn a_hook_returning_unit_is_a_fault_at_its_fn() {
    let f = submit_fault("// a comment\n  fn submit_message(msg) {\n    accept(0);\n}");
    assert_eq!(
        f,
        HookFault {
            pos: at(2, 3),
            message: "transport \"smtp\": submit_message must return an HRESULT such as S_OK; it returned ()".into()
        }
    );
    let f = submit_fault("fn submit_message(msg) { \"S_OK\" }");
    assert!(
        f.message.ends_with("it returned the string \"S_OK\""),
        "{f:?}"
    );
    let mut t = compile("fn end_message(msg) { 1.5 }");
    let f = t.end_message(&msg(), &mut Fake::default()).unwrap_err();
    assert!(f.message.ends_with("end_message must return end flags such as 0 or END_RESEND_LATER; it returned 1.5 (a float)"), "{f:?}");
}

// ---------------------------------------------------------------------------------------
// msg
// ---------------------------------------------------------------------------------------

#[test]
fn msg_has_the_contract_fields() {
    let mut view = msg();
    view.attempt = 3;
    view.deferred = true;
    view.reference = 77;
    let mut t = compile(
        "fn submit_message(msg) {
            log(`${msg.id}|${msg.subject}|${msg.attempt}|${msg.deferred}|${msg.delivery_report}|${msg.reference}`);
            log(msg.recipients.len() + \" \" + msg.all_recipients.len());
            let r = msg.recipients[1];
            log(`${r.index}|${r.name}|${r.address}|${r.type}|${r.recipient_type}|${r[\"name\"]}`);
            log(msg.all_recipients[1].type);
            log(type_of(r));
            log(r);
            log(msg.recipients[0] == msg.all_recipients[0]);
            log(msg.recipients[0] != msg.all_recipients[1]);
            S_OK
        }",
    );
    let mut sup = Fake::default();
    assert_eq!(t.submit_message(&view, &mut sup), Ok(hr::S_OK));
    assert_eq!(
        sup.calls,
        [
            "log m1|Quarterly report|3|true|true|77",
            "log 2 3",
            "log 2|Nobody|ghost@nowhere.example|SMTP|BCC|Nobody",
            "log FAX",
            "log Recipient",
            "log #{index: 2, name: \"Nobody\", address: \"ghost@nowhere.example\", type: \"SMTP\", recipient_type: \"BCC\"}",
            "log true",
            "log true",
        ]
    );
}

#[test]
fn recipients_are_read_only_and_typos_are_errors() {
    let f = submit_fault(
        "fn submit_message(msg) {\n  let r = msg.recipients[0];\n  log(r.adress);\n  S_OK\n}",
    );
    assert_fault(&f, at(3, 8), "a recipient has no field \"adress\"");
    let f =
        submit_fault("fn submit_message(msg) {\n  log(msg.recipients[0][\"adress\"]);\n  S_OK\n}");
    assert_fault(&f, at(2, 24), "a recipient has no field \"adress\"");
    let f = submit_fault("fn submit_message(msg) {\n  msg.recipients[0].name = \"x\";\n  S_OK\n}");
    assert_fault(&f, at(2, 21), "a recipient is read-only");
    let f = submit_fault(
        "fn submit_message(msg) {\n  let r = msg.recipients[0];\n  r[\"name\"] = \"x\";\n  S_OK\n}",
    );
    assert_fault(&f, at(3, 4), "a recipient is read-only");
    let f = submit_fault("fn submit_message(msg) {\n  log(msg.subjct);\n  S_OK\n}");
    assert_fault(&f, at(2, 11), "property \"subjct\" not found (use m.get(\"subjct\") to read a property that may be missing)");
    // Properties that may be missing are read with get or tested with `in`.
    let (_, calls) = submit_ok(
        "fn submit_message(msg) { log(msg.get(\"subjct\") == ()); log(\"subject\" in msg); S_OK }",
    );
    assert_eq!(calls, ["log true", "log true"]);
}

#[test]
fn scripts_may_modify_their_copy_of_msg() {
    let (_, calls) = submit_ok(
        "fn submit_message(msg) { msg.note = 1; msg.recipients.push(5); log(msg.recipients.len()); S_OK }",
    );
    assert_eq!(calls, ["log 3"]);
    // The next call sees a fresh msg.
    let (_, calls) = submit_ok("fn submit_message(msg) { log(msg.recipients.len()); S_OK }");
    assert_eq!(calls, ["log 2"]);
}

#[test]
fn recipient_lists_are_cached_per_message() {
    let run = Rc::new(RunShared::new(limits::MAX_OPERATIONS_PER_RUN));
    let view = msg();
    let a = run.recipients.msg_value(&view);
    let b = run.recipients.msg_value(&view);
    let first = |m: &rhai::Dynamic| {
        let map = m.read_lock::<rhai::Map>().unwrap();
        let all = map["all_recipients"].read_lock::<rhai::Array>().unwrap();
        let r = all[0].read_lock::<crate::Recipient>().unwrap().clone();
        r
    };
    // Same shared recipient data, not a rebuilt copy.
    assert!(std::ptr::eq(&*first(&a).0, &*first(&b).0));
    // Another recipient list under the same index (a stale cache) is rebuilt.
    let mut other = msg();
    other.recipients = Arc::from(vec![recipient("Zed", "z@x", "SMTP", RecipientType::To)]);
    let c = run.recipients.msg_value(&other);
    assert_eq!(first(&c).index(), 0);
    assert!(!std::ptr::eq(&*first(&a).0, &*first(&c).0));
}

// ---------------------------------------------------------------------------------------
// Host functions
// ---------------------------------------------------------------------------------------

#[test]
fn accept_deliver_decline_take_recipients_indexes_or_maps() {
    let (_, calls) = submit_ok(
        "fn submit_message(msg) {
            accept(msg.recipients[0]); deliver(2); decline(#{index: 1}); accept(msg.all_recipients[1]);
            S_OK
        }",
    );
    assert_eq!(calls, ["accept 0", "deliver 2", "decline 1", "accept 1"]);
    let f = submit_fault("fn submit_message(msg) {\n  accept(\"alice\");\n  S_OK\n}");
    assert_fault(&f, at(2, 3), "accept(r): r must be a recipient (from msg.recipients) or a recipient index; it is the string \"alice\"");
}

#[test]
fn fail_forwards_reason_diag_and_text() {
    let (_, calls) = submit_ok(
        "fn submit_message(msg) {
            fail(msg.recipients[1], MAPI_REASON_TRANSFER_IMPOSSIBLE, MAPI_DIAG_NO_DIAGNOSTIC, \"gone\");
            fail(0, 0, 35, 404);
            S_OK
        }",
    );
    assert_eq!(calls, ["fail 2 1 -1 gone", "fail 0 0 35 404"]);
    let f = submit_fault("fn submit_message(msg) {\n  fail(0, \"x\", 35, \"t\");\n  S_OK\n}");
    assert_fault(
        &f,
        at(2, 3),
        "fail(): reason (a MAPI_REASON_* code) must be an integer",
    );
    let f = submit_fault("fn submit_message(msg) {\n  fail(0, 0, 35);\n  S_OK\n}");
    assert_fault(
        &f,
        at(2, 3),
        "the host function is fail(r, reason, diag, text)",
    );
}

#[test]
fn reference_retry_and_sent_deferred_take_numbers() {
    let (_, calls) = submit_ok(
        "fn submit_message(msg) { set_reference(7); retry_after(30); retry_after(1.5); notify_sent_deferred(600); MAPI_E_WAIT }",
    );
    assert_eq!(
        calls,
        [
            "set_reference 7",
            "retry_after 30",
            "retry_after 1.5",
            "sent_deferred 600"
        ]
    );
    let f = submit_fault("fn submit_message(msg) {\n  retry_after(-1);\n}");
    assert_fault(
        &f,
        at(2, 3),
        "retry_after(s): s must be a finite number of seconds, 0 or more; it is -1",
    );
    let f = submit_fault("fn submit_message(msg) {\n  retry_after(\"soon\");\n}");
    assert_fault(
        &f,
        at(2, 3),
        "retry_after(s): s must be a number of seconds; it is the string \"soon\"",
    );
    let f = submit_fault("fn submit_message(msg) {\n  set_reference(1.5);\n}");
    assert_fault(
        &f,
        at(2, 3),
        "set_reference(): n must be an integer; it is 1.5 (a float)",
    );
}

#[test]
fn log_print_and_debug_become_notes() {
    let got = logs(
        "fn submit_message(msg) {
            log(\"text\"); log(12); log(1.5); log(true); log([1, \"a\"]); log(msg.recipients[0].index);
            print(\"printed\"); debug(\"dbg\");
            log(\"r=\" + msg.recipients[0].name);
            S_OK
        }",
    );
    assert_eq!(
        got,
        [
            "text",
            "12",
            "1.5",
            "true",
            "[1, \"a\"]",
            "0",
            "printed",
            "\"dbg\"",
            "r=Alice"
        ]
    );
}

#[test]
fn now_rand_and_cancelled_come_from_support() {
    let mut t = compile(
        "fn submit_message(msg) { log(now()); log(rand()); log(rand()); log(cancelled()); S_OK }",
    );
    let mut sup = Fake {
        now: 12.5,
        cancelled: true,
        ..Fake::default()
    };
    t.submit_message(&msg(), &mut sup).unwrap();
    assert_eq!(sup.calls, ["log 12.5", "log 0.25", "log 0.5", "log true"]);
    assert_eq!(sup.rand_calls, 2);
}

#[test]
fn host_functions_outside_a_hook_are_an_error_not_a_panic() {
    let run = Rc::new(RunShared::new(limits::MAX_OPERATIONS_PER_RUN));
    let host = crate::host::HostState::new(run);
    assert!(host.with_support(|s| s.now()).is_err());
    {
        let mut sup = Fake {
            now: 3.0,
            ..Fake::default()
        };
        let _g = host.enter(&mut sup);
        assert_eq!(host.with_support(|s| s.now()).unwrap(), 3.0);
    }
    assert!(host.with_support(|s| s.now()).is_err());
}

#[test]
fn the_support_is_unpublished_after_a_failed_call() {
    let mut t = compile("fn submit_message(msg) { throw \"boom\"; }");
    let f = submit(&mut t, &mut Fake::default()).unwrap_err();
    assert!(f.message.ends_with("in submit_message: boom"), "{f:?}");
    assert!(t.host.with_support(|s| s.now()).is_err());
}

// ---------------------------------------------------------------------------------------
// elapse and re-entrant transport_notify
// ---------------------------------------------------------------------------------------

const CANCELLING: &str = "
fn submit_message(msg) {
    log(\"before\");
    elapse(5);
    if cancelled() { log(\"saw cancel\"); return MAPI_E_USER_CANCEL; }
    S_OK
}
fn transport_notify(flags, msg) {
    log(`notify ${flags == NOTIFY_CANCEL_MESSAGE} ${msg.id} ${msg.recipients.len()} at ${now()}`);
}
";

fn cancel_notification() -> Notification {
    let mut m = msg();
    m.offered.clear();
    Notification {
        flags: flag::NOTIFY_CANCEL_MESSAGE,
        message: Some(m),
    }
}

#[test]
fn elapse_delivers_due_notifications_re_entrantly() {
    let mut t = compile(CANCELLING);
    let mut sup = Fake::with_pending(cancel_notification());
    assert_eq!(
        t.submit_message(&msg(), &mut sup),
        Ok(hr::MAPI_E_USER_CANCEL)
    );
    assert_eq!(
        sup.calls,
        [
            "log before",
            "elapse 5",
            "notify 0x80000000",
            "log notify true m1 0 at 5.0",
            "notify done",
            "log saw cancel"
        ]
    );
}

#[test]
fn elapse_without_transport_notify_still_acknowledges_notifications() {
    let mut t = compile("fn submit_message(msg) { elapse(1.5); log(cancelled()); S_OK }");
    let mut sup = Fake::with_pending(cancel_notification());
    t.submit_message(&msg(), &mut sup).unwrap();
    assert_eq!(
        sup.calls,
        ["elapse 1.5", "notify 0x80000000", "notify done", "log true"]
    );
}

#[test]
fn elapse_inside_transport_notify_is_refused() {
    let text = "fn submit_message(msg) {\n  elapse(1);\n  S_OK\n}\nfn transport_notify(flags, msg) {\n  elapse(1);\n}";
    // Delivered during elapse.
    let mut t = compile(text);
    let f = t
        .submit_message(&msg(), &mut Fake::with_pending(cancel_notification()))
        .unwrap_err();
    assert_fault(
        &f,
        at(6, 3),
        "elapse() cannot be called inside transport_notify",
    );
    assert!(
        f.message
            .contains("in submit_message → transport_notify (delivered during elapse): "),
        "{f:?}"
    );
    // Called by the engine directly.
    let mut t = compile(text);
    let f = t
        .transport_notify(flag::NOTIFY_CANCEL_MESSAGE, None, &mut Fake::default())
        .unwrap_err();
    assert_fault(
        &f,
        at(6, 3),
        "in transport_notify: elapse() cannot be called inside transport_notify",
    );
}

#[test]
fn errors_in_a_re_entrant_notify_point_into_it() {
    let text = "fn submit_message(msg) {\n  elapse(1);\n  S_OK\n}\nfn transport_notify(flags, msg) {\n  let x = 1;\n  x.nope();\n}";
    let mut t = compile(text);
    let f = t
        .submit_message(&msg(), &mut Fake::with_pending(cancel_notification()))
        .unwrap_err();
    assert_fault(&f, at(7, 5), "function not found: nope");
    // A limit inside it points into it too.
    let text = "fn submit_message(msg) {\n  elapse(1);\n  S_OK\n}\nfn transport_notify(flags, msg) {\n  let n = 0;\n  loop { n += 1; }\n}";
    let mut t = compile(text);
    let f = t
        .submit_message(&msg(), &mut Fake::with_pending(cancel_notification()))
        .unwrap_err();
    assert_fault_line(&f, at(7, 10), "in submit_message → transport_notify (delivered during elapse): the script ran more than 1,000,000 operations");
}

// ---------------------------------------------------------------------------------------
// Compile errors and positions
// ---------------------------------------------------------------------------------------

#[test]
fn syntax_errors_are_scenario_errors_at_file_positions() {
    let e = compile_err("fn submit_message(msg) {\n  accept(msg.recipients[0];\n}");
    assert!(
        e.message
            .starts_with("transport \"smtp\": script syntax error: "),
        "{e}"
    );
    assert_eq!(e.pos.line, ORIGIN.line + 1, "{e}");
    // On the script's first line, the column is offset by the origin's column.
    let e = compile_err("fn submit_message(msg) { ) }");
    assert_eq!(e.pos, at(1, 26).unwrap(), "{e}");
    assert_eq!(e.pos, Pos { line: 10, col: 30 });
}

#[test]
fn without_an_origin_errors_fall_back_to_the_transport_and_name_the_script_line() {
    let src = ScriptSource {
        text: "fn submit_message(msg) {\n  ) }".into(),
        origin: None,
    };
    let e = ScriptTransport::compile("smtp", &src, DECLARED).unwrap_err();
    assert_eq!(e.pos, DECLARED);
    assert!(e.message.ends_with("(script line 2, column 3)"), "{e}");
    let src = ScriptSource {
        text: "fn submit_message(msg) {\n  let n = 0; loop { n += 1; }\n}".into(),
        origin: None,
    };
    let mut t = ScriptTransport::compile("smtp", &src, DECLARED).unwrap();
    let f = t.submit_message(&msg(), &mut Fake::default()).unwrap_err();
    assert_eq!(f.pos, Some(DECLARED));
    assert!(f.message.contains("(script line 2, column "), "{f:?}");
}

#[test]
fn hooks_with_the_wrong_number_of_parameters_are_rejected_at_their_fn() {
    let e = compile_err("fn helper() {}\n\n   fn submit_message(msg, extra) { S_OK }");
    assert_eq!(e.pos, at(3, 4).unwrap(), "{e}");
    assert_eq!(
        e.message,
        "transport \"smtp\": submit_message(msg) takes 1 parameter; this definition has 2"
    );
    let e = compile_err("fn transport_notify(flags) { }");
    assert_eq!(e.pos, at(1, 1).unwrap());
    assert!(
        e.message
            .ends_with("transport_notify(flags, msg) takes 2 parameters; this definition has 1"),
        "{e}"
    );
    let e = compile_err("fn end_message() { 0 }");
    assert!(
        e.message.contains("end_message(msg) takes 1 parameter"),
        "{e}"
    );
}

#[test]
fn undefined_variables_and_top_level_code_are_compile_errors() {
    let e = compile_err("fn submit_message(msg) {\n  accept(rr);\n  S_OK\n}");
    assert_eq!(e.pos, at(2, 10).unwrap(), "{e}");
    assert!(e.message.contains("undefined variable `rr`"), "{e}");
    let e = compile_err("fn submit_message(msg) {\n  MAPI_E_BUSSY\n}");
    assert!(
        e.message.contains("undefined variable `MAPI_E_BUSSY`"),
        "{e}"
    );
    let e = compile_err("let limit = 3;\nfn submit_message(msg) { S_OK }");
    assert_eq!(e.pos, at(1, 1).unwrap(), "{e}");
    assert!(
        e.message.contains("code outside a function is never run"),
        "{e}"
    );
    let e = compile_err("fn submit_message(msg) { eval(\"1\") }");
    assert!(e.message.contains("script syntax error"), "{e}");
}

#[test]
fn runtime_errors_point_into_the_script() {
    let f =
        submit_fault("fn submit_message(msg) {\n  let x = 1;\n  let y = x + \"a\" * 2;\n  S_OK\n}");
    assert_eq!(f.pos.map(|p| p.line), Some(12), "{f:?}");
    // An error inside a helper points inside the helper and names it.
    let f = submit_fault("fn helper(n) {\n  n.no_such_method()\n}\nfn submit_message(msg) {\n  helper(1);\n  S_OK\n}");
    assert_fault(
        &f,
        at(2, 5),
        "in submit_message → helper(): function not found: no_such_method",
    );
}

// ---------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------

#[test]
fn an_endless_loop_is_a_fault_at_the_loop() {
    let f = submit_fault("fn submit_message(msg) {\n  let n = 0;\n  loop {\n    n += 1;\n  }\n}");
    assert_fault_line(
        &f,
        at(4, 5),
        "the script ran more than 1,000,000 operations in one call — an endless loop?",
    );
    assert!(
        f.message
            .starts_with("transport \"smtp\": in submit_message: "),
        "{f:?}"
    );
}

#[test]
fn an_empty_endless_loop_is_a_fault_too() {
    // Rhai counts the empty block's operations: the position is that of its `{`.
    let f = submit_fault("fn submit_message(msg) {\n  loop {}\n}");
    assert_fault(&f, at(2, 8), "an endless loop?");
}

#[test]
fn runaway_recursion_is_a_fault() {
    let f = submit_fault("fn down(n) {\n  down(n + 1)\n}\nfn submit_message(msg) {\n  down(0)\n}");
    assert_fault(&f, at(5, 3), "call depth limit 32 — runaway recursion?");
    let f = submit_fault("fn submit_message(msg) {\n  submit_message(msg)\n}");
    assert_fault(&f, at(2, 3), "call depth limit 32");
}

#[test]
fn a_growing_string_is_a_fault() {
    let f = submit_fault("fn submit_message(msg) {\n  let s = \"x\";\n  loop { s += s; }\n}");
    assert_fault(&f, at(3, 12), "a string grew beyond 1,048,576 bytes");
}

#[test]
fn a_growing_array_is_a_fault() {
    let f = submit_fault("fn submit_message(msg) {\n  let a = [1];\n  loop { a += a; }\n}");
    assert_fault(&f, at(3, 12), "an array grew beyond 100,000 elements");
}

#[test]
fn measuring_arrays_counts_as_operations() {
    // Rhai re-measures an array after every method call on it (vendor/README.md): 100 calls
    // of `len()` on 65,536 elements visit 6.5 million elements, one operation per 32.
    let text = "fn submit_message(msg) {\n  let a = [0];\n  for i in 0..16 { a += a; }\n  for i in 0..100 { a.len(); }\n  S_OK\n}";
    let mut t = compile(text);
    submit(&mut t, &mut Fake::default()).unwrap();
    let per_op = rhai::ELEMENTS_PER_OPERATION;
    assert!(
        t.run_operations() >= 100 * 65_536 / per_op,
        "{} operations",
        t.run_operations()
    );
    assert!(t.run_operations() < 2 * 100 * 65_536 / per_op + 10_000);
    // The same call again costs the same (nothing is left over from the last run).
    let mut again = compile(text);
    submit(&mut again, &mut Fake::default()).unwrap();
    assert_eq!(again.run_operations(), t.run_operations());
}

#[test]
fn walking_a_large_array_forever_is_an_endless_loop() {
    // Took a minute before the walks were counted; now the per-call limit stops it.
    let f = submit_fault(
        "fn submit_message(msg) {\n  let a = [0];\n  for i in 0..16 { a += a; }\n  loop { a.len(); }\n}",
    );
    assert_fault_line(&f, at(4, 10), "more than 1,000,000 operations in one call");
    // A push loop's cost grows with the array: it is stopped long before 100,000 elements.
    let f = submit_fault("fn submit_message(msg) {\n  let a = [];\n  loop { a.push(1); }\n}");
    assert_fault_line(&f, at(3, 10), "more than 1,000,000 operations in one call");
    // Building a list of a few thousand values stays well within one call.
    let (code, calls) = submit_ok(
        "fn submit_message(msg) {\n  let a = [];\n  for i in 0..5000 { a.push(i); }\n  log(a.len());\n  S_OK\n}",
    );
    assert_eq!((code, calls), (0, vec!["log 5000".to_string()]));
}

#[test]
fn the_run_wide_budget_spans_calls_and_transports() {
    let run = Rc::new(RunShared::new(50_000));
    let text = "fn submit_message(msg) { let n = 0; while n < 2000 { n += 1; } S_OK }";
    let mut a = ScriptTransport::with_run("a", &source(text), DECLARED, Rc::clone(&run)).unwrap();
    let mut b =
        ScriptTransport::with_run("smtp", &source(text), DECLARED, Rc::clone(&run)).unwrap();
    let mut sup = Fake::default();
    let mut calls = 0;
    let fault = loop {
        calls += 1;
        assert!(calls < 100, "the run budget never ran out");
        let t = if calls % 2 == 0 { &mut a } else { &mut b };
        if let Err(f) = t.submit_message(&msg(), &mut sup) {
            break f;
        }
    };
    assert!(calls > 2, "one call alone should fit ({calls})");
    assert!(
        fault
            .message
            .contains("have used up their budget of 50,000 operations"),
        "{fault:?}"
    );
    assert!(run.ops_used.get() > 50_000);
    assert_eq!(a.run_operations(), b.run_operations());
}

#[test]
fn limits_hit_in_helpers_point_at_the_call_in_the_hook() {
    let f = submit_fault(
        "fn spin() {\n  loop {}\n}\nfn submit_message(msg) {\n  let a = 1;\n  spin();\n}",
    );
    assert_fault(&f, at(6, 3), "an endless loop?");
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

#[test]
fn u32_bits_and_thousands() {
    use crate::fault::{thousands, u32_bits};
    assert_eq!(u32_bits(0), Some(0));
    assert_eq!(u32_bits(0xFFFF_FFFF), Some(u32::MAX));
    assert_eq!(u32_bits(-1), Some(u32::MAX));
    assert_eq!(u32_bits(i64::from(i32::MIN)), Some(0x8000_0000));
    assert_eq!(u32_bits(i64::from(i32::MIN) - 1), None);
    assert_eq!(u32_bits(1 << 32), None);
    assert_eq!(thousands(0), "0");
    assert_eq!(thousands(999), "999");
    assert_eq!(thousands(1000), "1,000");
    assert_eq!(thousands(40_000_000), "40,000,000");
}

#[test]
fn positions_survive_tabs_multibyte_text_and_crlf() {
    let f = submit_fault("fn submit_message(msg) {\r\n\tlet s = \"üé\"; let n = 0;\r\n\t/* é */ loop { n += 1; }\r\n}");
    assert_fault_line(&f, at(3, 17), "an endless loop?");
    let col = f.pos.unwrap().col;
    assert!((17..=22).contains(&col), "{f:?}");
}

#[test]
fn closures_in_a_hook_capture_its_variables() {
    let (_, calls) = submit_ok(
        "fn submit_message(msg) {
            let domain = \"@nowhere.example\";
            let bad = msg.recipients.filter(|r| r.address.ends_with(domain));
            for r in bad { fail(r, 0, MAPI_DIAG_MAIL_RECIPIENT_UNKNOWN, \"unknown\"); }
            msg.recipients.filter(|r| !r.address.ends_with(domain)).for_each(|| accept(this));
            S_OK
        }",
    );
    assert_eq!(calls, ["fail 2 0 35 unknown", "accept 0"]);
}

#[test]
fn a_hook_that_cannot_run_as_top_level_code_is_called_as_a_function() {
    // A function name used as a value compiles only with the script's functions in view, so
    // this hook takes the fall-back path; it must behave the same, with coarser limit positions.
    let text = "fn twice(x) { x * 2 }\nfn submit_message(msg) {\n  let f = twice;\n  log(f.call(21));\n  if msg.attempt > 1 { loop {} }\n  S_OK\n}";
    let mut t = compile(text);
    assert!(
        t.submit.as_ref().unwrap().body.is_none(),
        "expected the fall-back path"
    );
    let mut sup = Fake::default();
    assert_eq!(t.submit_message(&msg(), &mut sup), Ok(hr::S_OK));
    assert_eq!(sup.calls, ["log 42"]);
    let mut view = msg();
    view.attempt = 2;
    let f = t.submit_message(&view, &mut Fake::default()).unwrap_err();
    assert_fault(
        &f,
        at(2, 1),
        "in submit_message: the script ran more than 1,000,000 operations",
    );
}

#[test]
fn the_largest_message_fits_the_limits() {
    let count = spoolscope_contract::scenario::MAX_RECIPIENTS;
    let mut view = msg();
    view.recipients = (0..count)
        .map(|i| {
            recipient(
                &format!("R{i}"),
                &format!("r{i}@contoso.example"),
                "SMTP",
                RecipientType::To,
            )
        })
        .collect::<Vec<_>>()
        .into();
    view.offered = (0..count as u32).collect();
    let mut t = compile(
        "fn submit_message(msg) {
            let bad = msg.all_recipients.filter(|r| r.index % 2 == 0);
            log(`${msg.all_recipients.len()} ${msg.recipients.len()} ${bad.len()}`);
            S_OK
        }",
    );
    let mut sup = Fake::default();
    assert_eq!(t.submit_message(&view, &mut sup), Ok(hr::S_OK));
    assert_eq!(sup.calls, ["log 100000 100000 50000"]);
}

#[test]
fn empty_scripts_and_stray_semicolons_are_fine() {
    for text in [
        "",
        "// only a comment",
        "fn submit_message(msg) { S_OK };\n;",
    ] {
        assert!(
            ScriptTransport::compile("smtp", &source(text), DECLARED).is_ok(),
            "{text:?}"
        );
    }
}

#[test]
fn a_rhai_function_outside_the_library_names_what_there_is() {
    let f = submit_fault(r#"fn submit_message(msg) { let s = "x".pad(3, ' '); S_OK }"#);
    assert!(
        f.message
            .contains("function not found: pad (string, i64, char)"),
        "{f:?}"
    );
    assert!(
        f.message.contains("strings: + += len is_empty contains"),
        "{f:?}"
    );
    // A library function called with the wrong arguments gets no list.
    let f = submit_fault(r#"fn submit_message(msg) { let s = "x".sub_string(true); S_OK }"#);
    assert!(
        f.message
            .contains("function not found: sub_string (string, bool)"),
        "{f:?}"
    );
    assert!(!f.message.contains("library"), "{f:?}");
}
