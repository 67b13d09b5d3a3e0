//! How one trace event is worded, shared by the text log and the Mermaid diagram.
//!
//! The wording follows MAPI source code: flags are joined with `|` and named as in the trace
//! (`flags=0` when none are set), HRESULTs keep their names, `ref=` is `*lpulMsgRef`,
//! `return_parm=` is `*lpulReturnParm`, and NDR reason/diagnostic codes are decoded to their
//! `MAPI_REASON_*` / `MAPI_DIAG_*` names (contract §4, model §6.5).
//!
//! Every function here returns one line: user text (subjects, notes, report text) has its
//! control characters escaped so that it cannot break a line-oriented format.

use spoolscope_contract::consts::{diag_name, reason_name};
use spoolscope_contract::time::Millis;
use spoolscope_contract::trace::{Event, EventKind, PropValue, StatusEntry};

/// `text` with control characters (newlines, tabs, escapes) written as Rust escapes.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// `text` in double quotes, with quotes, backslashes and control characters escaped.
pub fn quoted(text: &str) -> String {
    format!("{text:?}")
}

/// Virtual time as seconds with millisecond precision, e.g. `12.000s`.
pub fn time(t: f64) -> String {
    format!("{t:.3}s")
}

/// A duration in the shortest exact form, e.g. `5s`, `0.250s`.
pub fn duration(secs: f64) -> String {
    Millis::from_secs_f64(secs).to_string()
}

/// A flag list as C code would write it: `A|B`, or `0` when empty.
pub fn flags(names: &[String]) -> String {
    if names.is_empty() {
        "0".to_string()
    } else {
        names.join("|")
    }
}

/// A list of recipient indexes, e.g. `[0,1]`.
pub fn indexes(list: &[u32]) -> String {
    let items: Vec<String> = list.iter().map(u32::to_string).collect();
    format!("[{}]", items.join(","))
}

/// A property value: `TRUE`/`FALSE` for booleans (as MAPI writes them), numbers as is,
/// text quoted.
pub fn value(v: &PropValue) -> String {
    match v {
        PropValue::Bool(true) => "TRUE".to_string(),
        PropValue::Bool(false) => "FALSE".to_string(),
        PropValue::Int(n) => n.to_string(),
        PropValue::Text(s) => quoted(s),
    }
}

/// The optional fields of a call or return other than who, what and the message, in a fixed
/// order: `flags=…`, `offered=[…]`, `attempt N`, `ref=N`, `return_parm=N`, …
fn details(ev: &Event) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(f) = &ev.flags {
        out.push(format!("flags={}", flags(f)));
    }
    if let Some(o) = &ev.offered {
        out.push(format!("offered={}", indexes(o)));
    }
    if let Some(a) = ev.attempt {
        out.push(format!("attempt {a}"));
    }
    if let Some(r) = ev.reference {
        out.push(format!("ref={r}"));
    }
    if let Some(p) = ev.return_parm {
        out.push(format!("return_parm={p}"));
    }
    if let Some(r) = ev.recipient {
        out.push(format!("recipient {r}"));
    }
    if let Some(p) = &ev.property {
        out.push(property(p, None, ev.value.as_ref()));
    }
    if let Some(t) = &ev.timer {
        out.push(format!("timer {}", one_line(t)));
    }
    if let Some(d) = ev.due {
        out.push(format!("due {}", time(d)));
    }
    if let Some(types) = &ev.address_types {
        let types: Vec<String> = types.iter().map(|t| one_line(t)).collect();
        out.push(format!("address_types=[{}]", types.join(",")));
    }
    if let Some(s) = &ev.status {
        out.push(format!("status={}", flags(s)));
    }
    if let Some(entries) = &ev.entries {
        let n = entries.len();
        out.push(format!("{n} {}", if n == 1 { "entry" } else { "entries" }));
    }
    out
}

/// `Method(m1, flags=0, offered=[0,1], attempt 1)`: a call's method with its arguments.
pub fn call(ev: &Event) -> String {
    let mut args = Vec::new();
    if let Some(m) = &ev.message {
        args.push(one_line(m));
    }
    args.extend(details(ev));
    format!(
        "{}({})",
        one_line(ev.method.as_deref().unwrap_or("?")),
        args.join(", ")
    )
}

/// `S_OK  ref=1`: what a return hands back (the HRESULT first, then out parameters).
pub fn returned(ev: &Event) -> String {
    let mut parts = Vec::new();
    if let Some(r) = &ev.result {
        parts.push(one_line(r));
    }
    parts.extend(details(ev));
    if parts.is_empty() {
        "returned".to_string()
    } else {
        parts.join("  ")
    }
}

/// `NDR #1 MAPI_REASON_TRANSFER_FAILED / MAPI_DIAG_MAIL_RECIPIENT_UNKNOWN "No such mailbox"`,
/// or `DR #0 PR_DELIVER_TIME=3.000s`: one StatusRecips entry.
pub fn entry(e: &StatusEntry) -> String {
    let mut out = format!("{} #{}", one_line(&e.report), e.recipient);
    let codes: Vec<String> = [e.reason.map(reason_name), e.diag.map(diag_name)]
        .into_iter()
        .flatten()
        .collect();
    if !codes.is_empty() {
        out.push(' ');
        out.push_str(&codes.join(" / "));
    }
    if let Some(d) = e.deliver_time {
        out.push_str(&format!(" PR_DELIVER_TIME={}", time(d)));
    }
    if let Some(text) = &e.text {
        out.push(' ');
        out.push_str(&quoted(text));
    }
    out
}

/// `PR_RESPONSIBILITY[1] = TRUE`: a property, with the recipient index when it is a
/// recipient property.
pub fn property(name: &str, recipient: Option<u32>, v: Option<&PropValue>) -> String {
    let mut out = one_line(name);
    if let Some(r) = recipient {
        out.push_str(&format!("[{r}]"));
    }
    if let Some(v) = v {
        out.push_str(" = ");
        out.push_str(&value(v));
    }
    out
}

/// A `property` event: `PR_RESPONSIBILITY[1] = TRUE  (m1, set by smtp)`.
pub fn property_event(ev: &Event) -> String {
    let mut out = property(
        ev.property.as_deref().unwrap_or("?"),
        ev.recipient,
        ev.value.as_ref(),
    );
    let mut ctx = Vec::new();
    if let Some(m) = &ev.message {
        ctx.push(one_line(m));
    }
    if let Some(who) = &ev.from {
        ctx.push(format!("set by {}", one_line(who)));
    }
    if !ctx.is_empty() {
        out.push_str(&format!("  ({})", ctx.join(", ")));
    }
    out
}

/// A `timer` event: `timer busy_retry m1 due 1.000s`.
pub fn timer_event(ev: &Event) -> String {
    let mut out = format!("timer {}", one_line(ev.timer.as_deref().unwrap_or("?")));
    if let Some(m) = &ev.message {
        out.push(' ');
        out.push_str(&one_line(m));
    }
    if let Some(d) = ev.due {
        out.push_str(&format!(" due {}", time(d)));
    }
    out
}

/// A `note` event: `note smtp: text`.
pub fn note_event(ev: &Event) -> String {
    let who = ev
        .from
        .as_deref()
        .map(one_line)
        .unwrap_or_else(|| "spooler".to_string());
    format!("note {who}: {}", one_line(ev.text.as_deref().unwrap_or("")))
}

/// What the diagram draws for an event (on its arrow, or in its note): the call with its
/// arguments, the return's results, the property change (with its message), the timer, or
/// the note's text. The playground and the recorded trace of a link (`digest`) share it.
pub fn label(ev: &Event) -> String {
    match ev.kind {
        EventKind::Call => call(ev),
        EventKind::Return => returned(ev),
        EventKind::Property => {
            let mut s = property(
                ev.property.as_deref().unwrap_or("?"),
                ev.recipient,
                ev.value.as_ref(),
            );
            if let Some(m) = &ev.message {
                s.push_str(&format!("  ({})", one_line(m)));
            }
            s
        }
        EventKind::Timer => timer_event(ev),
        EventKind::Note => one_line(ev.text.as_deref().unwrap_or("")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn submit_message_call_lists_its_arguments() {
        let mut ev = Event::new(EventKind::Call);
        ev.method = Some("SubmitMessage".into());
        ev.message = Some("m1".into());
        ev.flags = Some(vec![]);
        ev.offered = Some(vec![0, 1]);
        ev.attempt = Some(1);
        assert_eq!(
            call(&ev),
            "SubmitMessage(m1, flags=0, offered=[0,1], attempt 1)"
        );
        ev.flags = Some(vec!["BEGIN_DEFERRED".into()]);
        assert!(call(&ev).contains("flags=BEGIN_DEFERRED"));
    }

    #[test]
    fn returns_lead_with_the_hresult() {
        let mut ev = Event::new(EventKind::Return);
        ev.result = Some("MAPI_E_WAIT".into());
        ev.reference = Some(1);
        ev.return_parm = Some(30);
        assert_eq!(returned(&ev), "MAPI_E_WAIT  ref=1  return_parm=30");
        assert_eq!(returned(&Event::new(EventKind::Return)), "returned");
    }

    #[test]
    fn entries_name_reason_and_diagnostic() {
        let e = StatusEntry {
            recipient: 1,
            report: "NDR".into(),
            reason: Some(0),
            diag: Some(35),
            text: Some("No such mailbox".into()),
            deliver_time: None,
        };
        assert_eq!(
            entry(&e),
            "NDR #1 MAPI_REASON_TRANSFER_FAILED / MAPI_DIAG_MAIL_RECIPIENT_UNKNOWN \"No such mailbox\""
        );
        let dr = StatusEntry {
            recipient: 0,
            report: "DR".into(),
            reason: None,
            diag: None,
            text: None,
            deliver_time: Some(2.5),
        };
        assert_eq!(entry(&dr), "DR #0 PR_DELIVER_TIME=2.500s");
    }

    #[test]
    fn user_text_stays_on_one_line() {
        assert_eq!(one_line("a\nb\tc"), "a\\nb\\tc");
        assert_eq!(quoted("say \"hi\"\n"), "\"say \\\"hi\\\"\\n\"");
        assert_eq!(duration(5.0), "5s");
        assert_eq!(duration(0.25), "0.250s");
    }
}
