//! A small hand-built trace for the renderers' tests: one message through one transport,
//! with a nested StatusRecips (an NDR), a property change, a note, a timer, a second
//! EndMessage after a jump of virtual time, a report and a warning.

use spoolscope_contract::trace::{
    Event, EventKind, MessageRow, PropValue, RecipientRow, ReportRow, RunEnd, StatusEntry, Trace,
    Warning,
};

fn ev(seq: u64, t: f64, depth: u32, kind: EventKind, from: &str, to: &str, method: &str) -> Event {
    let mut e = Event::new(kind);
    e.seq = seq;
    e.t = t;
    e.depth = depth;
    if !from.is_empty() {
        e.from = Some(from.into());
    }
    if !to.is_empty() {
        e.to = Some(to.into());
    }
    if !method.is_empty() {
        e.method = Some(method.into());
    }
    e
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_string()).collect()
}

pub fn sample_trace() -> Trace {
    use EventKind::*;
    let m = |mut e: Event, id: &str| {
        e.message = Some(id.into());
        e
    };
    let mut events = Vec::new();

    events.push(m(
        ev(1, 0.0, 0, Call, "client", "store", "SubmitMessage"),
        "m1",
    ));
    let mut e = m(
        ev(2, 0.0, 0, Return, "store", "client", "SubmitMessage"),
        "m1",
    );
    e.result = Some("S_OK".into());
    events.push(e);

    let mut e = m(
        ev(3, 0.0, 0, Call, "spooler", "smtp", "SubmitMessage"),
        "m1",
    );
    e.flags = Some(vec![]);
    e.offered = Some(vec![0, 1]);
    e.attempt = Some(1);
    events.push(e);
    let mut e = m(ev(4, 0.0, 1, Property, "smtp", "", ""), "m1");
    e.recipient = Some(0);
    e.property = Some("PR_RESPONSIBILITY".into());
    e.value = Some(PropValue::Bool(true));
    events.push(e);
    let mut e = m(ev(5, 0.0, 1, Call, "smtp", "spooler", "StatusRecips"), "m1");
    e.entries = Some(vec![StatusEntry {
        recipient: 1,
        report: "NDR".into(),
        reason: Some(0),
        diag: Some(35),
        text: Some("No such mailbox".into()),
        deliver_time: None,
    }]);
    events.push(e);
    let mut e = m(
        ev(6, 0.0, 1, Return, "spooler", "smtp", "StatusRecips"),
        "m1",
    );
    e.result = Some("S_OK".into());
    events.push(e);
    let mut e = m(ev(7, 0.0, 1, Note, "smtp", "", ""), "m1");
    e.text = Some("queued for relay".into());
    events.push(e);
    let mut e = m(
        ev(8, 0.0, 0, Return, "smtp", "spooler", "SubmitMessage"),
        "m1",
    );
    e.result = Some("S_OK".into());
    e.reference = Some(1);
    events.push(e);

    let mut e = m(ev(9, 0.0, 0, Call, "spooler", "smtp", "EndMessage"), "m1");
    e.reference = Some(1);
    events.push(e);
    let mut e = m(
        ev(10, 0.0, 0, Return, "smtp", "spooler", "EndMessage"),
        "m1",
    );
    e.result = Some("S_OK".into());
    e.flags = Some(vec![]);
    events.push(e);

    let mut e = m(ev(11, 0.0, 0, Timer, "", "", ""), "m2");
    e.timer = Some("resend_later".into());
    e.due = Some(60.0);
    e.text = Some("END_RESEND_LATER".into());
    events.push(e);

    let mut e = m(ev(12, 12.0, 0, Call, "spooler", "smtp", "EndMessage"), "m2");
    e.reference = Some(2);
    events.push(e);
    let mut e = m(
        ev(13, 12.0, 0, Return, "smtp", "spooler", "EndMessage"),
        "m2",
    );
    e.result = Some("S_OK".into());
    e.flags = Some(strings(&["END_DONT_RESEND"]));
    events.push(e);

    let row = |index: u32, name: &str, address: &str| RecipientRow {
        message: "m1".into(),
        index,
        name: name.into(),
        address: address.into(),
        addr_type: "SMTP".into(),
        recipient_type: "TO".into(),
        status: "sent".into(),
        transport: Some("smtp".into()),
        responsibility: true,
        report: None,
        ndr_reason: None,
        ndr_diag: None,
        report_text: None,
    };
    let mut nobody = row(1, "Nobody", "ghost@nowhere.example");
    nobody.status = "failed".into();
    nobody.report = Some("NDR".into());
    nobody.ndr_reason = Some(0);
    nobody.ndr_diag = Some(35);
    nobody.report_text = Some("No such mailbox".into());

    Trace {
        version: 1,
        title: "Seed walkthrough".into(),
        events,
        recipients: vec![row(0, "Alice", "alice@contoso.example"), nobody],
        messages: vec![MessageRow {
            id: "m1".into(),
            subject: "Quarterly report".into(),
            status: "sent_items".into(),
        }],
        reports: vec![ReportRow {
            message: "m1".into(),
            kind: "NDR".into(),
            source: "smtp".into(),
            recipients: vec![1],
            seq: 5,
            class: "REPORT.IPM.Note.NDR".into(),
        }],
        warnings: vec![Warning {
            seq: 5,
            code: "late_status".into(),
            text: "StatusRecips after the recipient was final".into(),
        }],
        end: RunEnd {
            t: 12.0,
            reason: "idle".into(),
            text: None,
        },
    }
}
