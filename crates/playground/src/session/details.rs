//! The details panel's decoding of one event: every field by name (HRESULT and flag values,
//! recipients by name and address), PR_RESPONSIBILITY before and after, the reports it
//! produced as RFC 3464 messages, and what each name means (`spoolscope_render::explain`).

use super::*;
use crate::protocol::{Explained, Field, ResponsibilityChange};

impl Loaded {
    pub(super) fn details(&self, seq: u64) -> Option<Details> {
        let i = (seq as usize).checked_sub(1)?;
        let ev = self.trace.events.get(i)?;
        let mi = ev
            .message
            .as_ref()
            .and_then(|id| self.scenario.messages.iter().position(|m| m.id == *id));
        let who = |r: u32| self.recipient_words(mi, r);
        let mut fields = Vec::new();
        let mut field = |name: &str, value: String| {
            fields.push(Field {
                name: name.to_string(),
                value,
            })
        };
        field("seq", ev.seq.to_string());
        field("t (virtual time)", describe::time(ev.t));
        field("depth (calls open)", ev.depth.to_string());
        field("kind", ev.kind.as_str().to_string());
        if let Some(v) = &ev.from {
            field("from", v.clone());
        }
        if let Some(v) = &ev.to {
            field("to", v.clone());
        }
        if let Some(v) = &ev.method {
            field("method", v.clone());
        }
        if let Some(id) = &ev.message {
            let subject = mi
                .and_then(|m| self.scenario.messages.get(m))
                .map(|m| format!(" — {}", describe::quoted(&m.subject)))
                .unwrap_or_default();
            field("message", format!("{id}{subject}"));
        }
        if let Some(flags) = &ev.flags {
            let what = flag_field_name(ev);
            field(what, flag_words(flags));
        }
        if let Some(offered) = &ev.offered {
            let list: Vec<String> = offered.iter().map(|r| who(*r)).collect();
            field(
                "offered (PR_RESPONSIBILITY FALSE)",
                if list.is_empty() {
                    "none".to_string()
                } else {
                    list.join("; ")
                },
            );
        }
        if let Some(a) = ev.attempt {
            field("attempt", a.to_string());
        }
        if let Some(r) = &ev.result {
            field("result (HRESULT)", hresult_words(r));
        }
        if let Some(r) = ev.reference {
            field("reference (*lpulMsgRef)", r.to_string());
        }
        if let Some(p) = ev.return_parm {
            field("return_parm (*lpulReturnParm)", format!("{p} s"));
        }
        if let Some(entries) = &ev.entries {
            for (k, e) in entries.iter().enumerate() {
                field(
                    &format!("entry {}", k + 1),
                    entry_words(e, &who(e.recipient)),
                );
            }
        }
        if let Some(r) = ev.recipient {
            field("recipient", who(r));
        }
        if let Some(p) = &ev.property {
            field("property", property_words(p));
        }
        if let Some(v) = &ev.value {
            field("value", describe::value(v));
        }
        if let Some(t) = &ev.timer {
            field("timer", t.clone());
        }
        if let Some(d) = ev.due {
            field("due", describe::time(d));
        }
        if let Some(types) = &ev.address_types {
            field("address_types", types.join(", "));
        }
        if let Some(s) = &ev.status {
            field("status (PR_STATUS_CODE)", flag_words(s));
        }
        if let Some(t) = &ev.text {
            field("text", t.clone());
        }
        let warnings: Vec<String> = self
            .trace
            .warnings
            .iter()
            .filter(|w| w.seq == seq)
            .map(|w| format!("{}: {}", w.code, w.text))
            .collect();
        for w in warnings {
            field("warning", w);
        }
        Some(Details {
            run: self.run,
            seq,
            title: self.title(i),
            fields,
            responsibility: self.responsibility(i, mi),
            reports: (self.trace.reports.iter().enumerate())
                .filter(|(_, r)| r.seq == seq)
                .filter_map(|(k, _)| spoolscope_render::dsn::report(&self.trace, k))
                .collect(),
            explained: explained(ev),
        })
    }

    /// `spooler → smtp  SubmitMessage(m1, flags=0, offered=[0,1], attempt 1)`.
    pub(super) fn title(&self, i: usize) -> String {
        let ev = &self.trace.events[i];
        let arrow = match (&ev.from, &ev.to) {
            (Some(f), Some(t)) => format!("{f} → {t}  "),
            _ => String::new(),
        };
        match ev.kind {
            trace::EventKind::Call => format!("{arrow}{}", describe::call(ev)),
            trace::EventKind::Return => format!(
                "{arrow}{}  ({} returns)",
                describe::returned(ev),
                ev.method.as_deref().unwrap_or("?")
            ),
            trace::EventKind::Property => describe::property_event(ev),
            trace::EventKind::Timer => describe::timer_event(ev),
            trace::EventKind::Note => describe::note_event(ev),
        }
    }

    /// `#1 Nobody <ghost@nowhere.example> (SMTP)`.
    pub(super) fn recipient_words(&self, m: Option<usize>, r: u32) -> String {
        let spec = m
            .and_then(|m| self.scenario.messages.get(m))
            .and_then(|m| m.recipients.get(r as usize));
        match spec {
            Some(s) => format!("#{r} {} <{}> ({})", s.name, s.address, s.addr_type),
            None => format!("#{r}"),
        }
    }

    /// PR_RESPONSIBILITY before and after: for a transport's SubmitMessage or EndMessage
    /// (call or return), the recipients offered in that pass, from the call to its return;
    /// for a PR_RESPONSIBILITY property event, that recipient, around the event.
    pub(super) fn responsibility(&self, i: usize, m: Option<usize>) -> Vec<ResponsibilityChange> {
        let Some(m) = m else {
            return Vec::new();
        };
        let ev = &self.trace.events[i];
        let (recipients, before_step, after_step): (Vec<u32>, u64, u64) = match ev.kind {
            trace::EventKind::Property if ev.property.as_deref() == Some("PR_RESPONSIBILITY") => {
                match ev.recipient {
                    Some(r) => (vec![r], ev.seq - 1, ev.seq),
                    None => return Vec::new(),
                }
            }
            trace::EventKind::Call | trace::EventKind::Return => {
                let c = if ev.kind == trace::EventKind::Call {
                    i
                } else {
                    match self.parent[i] {
                        NONE => return Vec::new(),
                        c => c as usize,
                    }
                };
                let call = &self.trace.events[c];
                let to_transport = self.lanes[self.event_lanes[c].1 as usize].transport;
                let method = call.method.as_deref().unwrap_or("");
                if !to_transport || !matches!(method, "SubmitMessage" | "EndMessage") {
                    return Vec::new();
                }
                let offered = match (&call.offered, method) {
                    (Some(o), _) => o.clone(),
                    // EndMessage ends the pass of the last SubmitMessage to this transport.
                    (None, _) => self.trace.events[..c]
                        .iter()
                        .rev()
                        .find(|e| {
                            e.kind == trace::EventKind::Call
                                && e.method.as_deref() == Some("SubmitMessage")
                                && e.to == call.to
                                && e.message == call.message
                        })
                        .and_then(|e| e.offered.clone())
                        .unwrap_or_default(),
                };
                let ret = self.return_of[c];
                let after = if ret == NONE {
                    self.total()
                } else {
                    self.trace.events[ret as usize].seq
                };
                (offered, call.seq, after)
            }
            _ => return Vec::new(),
        };
        let before = self.timeline.snapshot(before_step);
        let after = self.timeline.snapshot(after_step);
        let base = self.offsets.get(m).copied().unwrap_or(0) as usize;
        recipients
            .iter()
            .filter_map(|r| {
                let k = base + *r as usize;
                let b = before.recipients.get(k)?;
                let a = after.recipients.get(k)?;
                let name = self
                    .scenario
                    .messages
                    .get(m)
                    .and_then(|msg| msg.recipients.get(*r as usize))
                    .map(|s| s.name.clone())
                    .unwrap_or_default();
                Some(ResponsibilityChange {
                    index: *r,
                    name,
                    before: b.responsibility,
                    after: a.responsibility,
                })
            })
            .collect()
    }
}

/// The explanations of every name event `ev` mentions that the table explains.
pub(super) fn explained(ev: &Event) -> Vec<Explained> {
    use spoolscope_render::explain;
    explain::names_in(ev)
        .iter()
        .filter_map(|n| explain::lookup(n))
        .map(|e| Explained {
            name: e.name.to_string(),
            text: e.text.to_string(),
            reference: e.reference(),
            section: e.section.to_string(),
        })
        .collect()
}

/// What the `flags` of this event are, in MAPI's words.
pub(super) fn flag_field_name(ev: &Event) -> &'static str {
    match (ev.kind, ev.method.as_deref()) {
        (trace::EventKind::Return, Some("EndMessage")) => "flags (*lpulFlags out)",
        (trace::EventKind::Return, _) => "flags (out)",
        (_, Some("SetLockState")) => "ulLockState",
        (_, Some("ModifyStatusRow")) => "ulFlags (ModifyStatusRow)",
        _ => "ulFlags",
    }
}

/// Every name with its value: `NOTIFY_CANCEL_MESSAGE (0x80000000)`; `0` for none.
pub(super) fn flag_words(names: &[String]) -> String {
    if names.is_empty() {
        return "0".to_string();
    }
    names
        .iter()
        .map(|n| match flag_value(n) {
            Some(v) => format!("{n} (0x{v:08X})"),
            None => n.clone(),
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

pub(super) fn flag_value(name: &str) -> Option<u32> {
    FlagSet::ALL
        .iter()
        .flat_map(|set| set.table().iter())
        .find(|(n, _)| *n == name)
        .map(|(_, v)| *v)
}

/// `MAPI_E_BUSY (0x8004010B)`.
pub(super) fn hresult_words(name: &str) -> String {
    match consts::HRESULTS.iter().find(|(n, _)| *n == name) {
        Some((_, v)) => format!("{name} (0x{v:08X})"),
        None => name.to_string(),
    }
}

/// `PR_RESPONSIBILITY (0x0E0F000B)`.
pub(super) fn property_words(name: &str) -> String {
    use consts::prop;
    let tag = match name {
        "PR_RESPONSIBILITY" => Some(prop::PR_RESPONSIBILITY),
        "PR_RECIPIENT_TYPE" => Some(prop::PR_RECIPIENT_TYPE),
        "PR_DELIVER_TIME" => Some(prop::PR_DELIVER_TIME),
        "PR_NDR_REASON_CODE" => Some(prop::PR_NDR_REASON_CODE),
        "PR_NDR_DIAG_CODE" => Some(prop::PR_NDR_DIAG_CODE),
        "PR_REPORT_TEXT" => Some(prop::PR_REPORT_TEXT),
        "PR_REPORT_TIME" => Some(prop::PR_REPORT_TIME),
        "PR_STATUS_CODE" => Some(prop::PR_STATUS_CODE),
        "PR_SUBMIT_FLAGS" => Some(prop::PR_SUBMIT_FLAGS),
        "PR_MESSAGE_FLAGS" => Some(prop::PR_MESSAGE_FLAGS),
        _ => None,
    };
    match tag {
        Some(t) => format!("{name} (0x{t:08X})"),
        None => name.to_string(),
    }
}

/// One StatusRecips entry in words.
pub(super) fn entry_words(e: &trace::StatusEntry, who: &str) -> String {
    let mut out = format!("{} for {who}", e.report);
    if let Some(r) = e.reason {
        out.push_str(&format!(", PR_NDR_REASON_CODE = {} ({r})", reason_name(r)));
    }
    if let Some(d) = e.diag {
        out.push_str(&format!(", PR_NDR_DIAG_CODE = {} ({d})", diag_name(d)));
    }
    if let Some(t) = e.deliver_time {
        out.push_str(&format!(", PR_DELIVER_TIME = {}", describe::time(t)));
    }
    if let Some(t) = &e.text {
        out.push_str(&format!(", PR_REPORT_TEXT = {}", describe::quoted(t)));
    }
    out
}
