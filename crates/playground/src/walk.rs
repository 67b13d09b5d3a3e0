//! The guided walk: the six steps of message submission that the seed page teaches
//! ([FR] "Message submission model", model §8), found in a run's trace.
//!
//! 1. The spooler calls `IXPLogon::SubmitMessage` (model §3.7).
//! 2. The transport takes a recipient: `PR_RESPONSIBILITY` TRUE (model §7.1).
//! 3. It reports through `IMAPISupport::StatusRecips` (model §6.1).
//! 4. Its reference, written to `*lpulMsgRef`, comes back with SubmitMessage's return (§3.7).
//! 5. `EndMessage`, the last hand-off (model §3.8).
//! 6. A cancel: `TransportNotify(NOTIFY_CANCEL_MESSAGE)` (model §3.4, §9.4).
//!
//! Each stop is the first event of the run that shows its step, so the walk works on any
//! scenario; a step the run never shows has no stop. Stops come in trace order, so the
//! player only moves forward (the reference is seen where the spooler reads it: the
//! transport writes `*lpulMsgRef` without a call the trace could show).

use spoolscope_contract::trace::{Event, EventKind, PropValue, Trace};
use spoolscope_contract::Scenario;
use spoolscope_render::describe;

use crate::protocol::WalkStop;

/// The walk through `trace`, the run of `scenario`.
pub fn stops(trace: &Trace, scenario: &Scenario) -> Vec<WalkStop> {
    let run = Run { trace, scenario };
    let mut out: Vec<WalkStop> = [
        run.submit(),
        run.responsibility(),
        run.status_recips(),
        run.reference(),
        run.end_message(),
        run.cancel(),
    ]
    .into_iter()
    .flatten()
    .collect();
    out.sort_by_key(|s| s.seq);
    out
}

/// A run, read for its walk: one method per step, the first event that shows it.
struct Run<'a> {
    trace: &'a Trace,
    scenario: &'a Scenario,
}

fn is(e: &Event, kind: EventKind, method: &str) -> bool {
    e.kind == kind && e.method.as_deref() == Some(method)
}

fn end(who: &Option<String>) -> &str {
    who.as_deref().unwrap_or_default()
}

fn stop(e: &Event, title: &str, text: String) -> Option<WalkStop> {
    Some(WalkStop {
        seq: e.seq,
        title: title.to_string(),
        text,
    })
}

impl Run<'_> {
    /// The first event satisfying `pred`, with its index.
    fn first(&self, pred: impl Fn(&Event) -> bool) -> Option<(usize, &Event)> {
        self.trace.events.iter().enumerate().find(|(_, e)| pred(e))
    }

    /// Recipient `r` of message `m` by name (`#r` when unknown).
    fn name(&self, m: Option<&String>, r: u32) -> String {
        self.scenario
            .messages
            .iter()
            .find(|x| Some(&x.id) == m)
            .and_then(|x| x.recipients.get(r as usize))
            .map(|x| x.name.clone())
            .unwrap_or_else(|| format!("#{r}"))
    }

    /// `m1 "Quarterly report"`.
    fn subject(&self, m: Option<&String>) -> String {
        let id = m.cloned().unwrap_or_default();
        match self.scenario.messages.iter().find(|x| x.id == id) {
            Some(x) if !x.subject.is_empty() => format!("{id} {}", describe::quoted(&x.subject)),
            _ => id,
        }
    }

    /// Step 1: the spooler calls IXPLogon::SubmitMessage.
    fn submit(&self) -> Option<WalkStop> {
        let (_, e) = self.first(|e| {
            is(e, EventKind::Call, "SubmitMessage") && e.from.as_deref() == Some("spooler")
        })?;
        let offered: Vec<String> = e
            .offered
            .iter()
            .flatten()
            .map(|r| self.name(e.message.as_ref(), *r))
            .collect();
        stop(
            e,
            "The spooler calls SubmitMessage",
            format!(
                "IXPLogon::SubmitMessage hands {} to {} with {} whose PR_RESPONSIBILITY is FALSE: {}. The message object stays valid until EndMessage returns.",
                self.subject(e.message.as_ref()),
                end(&e.to),
                plural(offered.len(), "recipient"),
                if offered.is_empty() { "none".to_string() } else { offered.join(", ") },
            ),
        )
    }

    /// Step 3 of the seed page: a transport sets PR_RESPONSIBILITY TRUE.
    fn responsibility(&self) -> Option<WalkStop> {
        let (_, e) = self.first(|e| {
            e.kind == EventKind::Property
                && e.property.as_deref() == Some("PR_RESPONSIBILITY")
                && e.value == Some(PropValue::Bool(true))
                // A transport's, not the spooler's own NDR (model §7.4).
                && !matches!(e.from.as_deref(), Some("spooler" | "store" | "client"))
        })?;
        stop(
            e,
            "The transport takes a recipient: PR_RESPONSIBILITY",
            format!(
                "{} sets PR_RESPONSIBILITY TRUE on {}: it has sent this recipient or failed it conclusively. A recipient left FALSE goes back to the spooler, which offers it to another transport.",
                end(&e.from),
                self.name(e.message.as_ref(), e.recipient.unwrap_or(0)),
            ),
        )
    }

    /// Step 4: IMAPISupport::StatusRecips.
    fn status_recips(&self) -> Option<WalkStop> {
        let (_, e) = self.first(|e| is(e, EventKind::Call, "StatusRecips"))?;
        let entries: Vec<String> = e
            .entries
            .iter()
            .flatten()
            .map(|x| {
                format!(
                    "{} for {}",
                    x.report,
                    self.name(e.message.as_ref(), x.recipient)
                )
            })
            .collect();
        stop(
            e,
            "It reports through StatusRecips",
            format!(
                "{} calls IMAPISupport::StatusRecips: {}. An entry with PR_NDR_REASON_CODE is a non-delivery, one with PR_DELIVER_TIME a delivery; the spooler makes the reports after SubmitMessage returns.",
                end(&e.from),
                entries.join(", "),
            ),
        )
    }

    /// Step 2: the reference, where the spooler reads it (SubmitMessage's return).
    fn reference(&self) -> Option<WalkStop> {
        let (_, e) = self.first(|e| {
            is(e, EventKind::Return, "SubmitMessage")
                && e.to.as_deref() == Some("spooler")
                && e.reference.is_some_and(|r| r != 0)
        })?;
        stop(
            e,
            "The reference: *lpulMsgRef",
            format!(
                "SubmitMessage returns {} with the reference {} wrote to *lpulMsgRef: {}. A transport writes it before it touches the message, because a cancel can come at any moment; the spooler passes it back to EndMessage and TransportNotify.",
                e.result.as_deref().unwrap_or("?"),
                end(&e.from),
                e.reference.unwrap_or(0),
            ),
        )
    }

    /// Step 5: EndMessage, with the transport's answer.
    fn end_message(&self) -> Option<WalkStop> {
        let (i, e) = self.first(|e| is(e, EventKind::Call, "EndMessage"))?;
        let ret = self.trace.events[i + 1..]
            .iter()
            .find(|r| r.kind == EventKind::Return && r.depth == e.depth && r.method == e.method);
        let answer = match ret.and_then(|r| r.flags.as_ref()) {
            Some(f) if !f.is_empty() => format!("it answers {}", f.join(" | ")),
            Some(_) => "it answers 0: the message is sent".to_string(),
            None => "its answer is not in the run".to_string(),
        };
        stop(
            e,
            "EndMessage: the last hand-off",
            format!(
                "Once it has acted on the reports, the spooler calls EndMessage for {} with reference {}; {}. The other answers are END_RESEND_NOW, END_RESEND_LATER and END_DONT_RESEND.",
                self.subject(e.message.as_ref()),
                e.reference.unwrap_or(0),
                answer,
            ),
        )
    }

    /// Step 6: a cancel through TransportNotify, with what the interrupted call returned.
    fn cancel(&self) -> Option<WalkStop> {
        let (i, e) = self.first(|e| {
            is(e, EventKind::Call, "TransportNotify")
                && e.flags
                    .iter()
                    .flatten()
                    .any(|f| f == "NOTIFY_CANCEL_MESSAGE")
        })?;
        // The exchange the cancel interrupts: the first SubmitMessage/EndMessage return of
        // the message after it, above the cancel's depth.
        let outcome = self.trace.events[i + 1..]
            .iter()
            .find(|r| {
                r.kind == EventKind::Return
                    && r.message == e.message
                    && r.depth < e.depth
                    && matches!(r.method.as_deref(), Some("SubmitMessage" | "EndMessage"))
            })
            .map(|r| {
                format!(
                    " Here {} returns {}.",
                    r.method.as_deref().unwrap_or("?"),
                    r.result.as_deref().unwrap_or("?")
                )
            })
            .unwrap_or_default();
        stop(
            e,
            "A cancel: TransportNotify(NOTIFY_CANCEL_MESSAGE)",
            format!(
                "The spooler cancels {} while {} still works on it: TransportNotify(NOTIFY_CANCEL_MESSAGE) with reference {}. The transport must stop and return as soon as it can.{}",
                self.subject(e.message.as_ref()),
                end(&e.to),
                e.reference.unwrap_or(0),
                outcome,
            ),
        )
    }
}

/// `1 recipient`, `2 recipients`.
fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use crate::presets;
    use crate::session::Session;

    fn walk(slug: &str) -> Vec<crate::protocol::WalkStop> {
        let mut s = Session::new();
        s.load(1, presets::find(slug).unwrap().text).unwrap().walk
    }

    /// The seed: all six steps, at the events the seed page names (the example_seed
    /// snapshot's seqs), in trace order.
    #[test]
    fn the_seed_walks_through_its_six_steps() {
        let w = walk("seed");
        let at: Vec<(u64, &str)> = w.iter().map(|s| (s.seq, s.title.as_str())).collect();
        assert_eq!(
            at,
            [
                (17, "The spooler calls SubmitMessage"),
                (19, "The transport takes a recipient: PR_RESPONSIBILITY"),
                (21, "It reports through StatusRecips"),
                (23, "The reference: *lpulMsgRef"),
                (26, "EndMessage: the last hand-off"),
                (38, "A cancel: TransportNotify(NOTIFY_CANCEL_MESSAGE)"),
            ]
        );
        assert!(
            w[0].text
                .contains("m1 \"Quarterly report\" to smtp with 2 recipients"),
            "{}",
            w[0].text
        );
        assert!(w[0].text.contains("Alice, Nobody"), "{}", w[0].text);
        assert!(
            w[1].text
                .starts_with("smtp sets PR_RESPONSIBILITY TRUE on Alice"),
            "{}",
            w[1].text
        );
        assert!(
            w[2].text.contains("DR for Alice, NDR for Nobody"),
            "{}",
            w[2].text
        );
        assert!(
            w[3].text.starts_with(
                "SubmitMessage returns S_OK with the reference smtp wrote to *lpulMsgRef: 101."
            ),
            "{}",
            w[3].text
        );
        assert!(
            w[4].text
                .contains("with reference 101; it answers 0: the message is sent"),
            "{}",
            w[4].text
        );
        assert!(w[5].text.contains("reference 102"), "{}", w[5].text);
        assert!(
            w[5].text
                .ends_with("Here SubmitMessage returns MAPI_E_USER_CANCEL."),
            "{}",
            w[5].text
        );
    }

    /// A run that never cancels has no cancel stop; one without a transport has no stop at all.
    #[test]
    fn a_step_the_run_never_shows_has_no_stop() {
        let w = walk("ndr-statusrecips");
        assert!(w.iter().all(|s| !s.title.starts_with("A cancel")));
        assert!(w
            .iter()
            .any(|s| s.title == "It reports through StatusRecips"));
        assert!(w.windows(2).all(|p| p[0].seq < p[1].seq));
        // A transport that declines everything: SubmitMessage, and nothing else of the six.
        let text = r#"version = 1
title = "t"
[[transport]]
name = "x"
address_types = ["SMTP"]
script = "fn submit_message(msg) { MAPI_E_NOT_ME }"
[[message]]
id = "m1"
subject = "s"
recipients = [{ name = "A", address = "a@b", type = "SMTP" }]
"#;
        let mut s = Session::new();
        let w = s.load(1, text).unwrap().walk;
        let titles: Vec<&str> = w.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(titles, ["The spooler calls SubmitMessage"]);
    }
}
