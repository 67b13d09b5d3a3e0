//! `--format mermaid`: the trace as a Mermaid `sequenceDiagram`.
//!
//! - Lifelines: `Client`, `Store`, `Spooler`, then every other name found in the events'
//!   `from`/`to` fields (the transports) in order of first appearance. Transports get the
//!   ids `T1`, `T2`, … with their name as the alias, so that no transport name can collide
//!   with a Mermaid keyword (`end`, `note`, `opt…`) or contain an arrow (`smtp-x`).
//! - A call is a `->>` arrow followed by `activate <callee>`; its return is a `-->>` arrow
//!   followed by `deactivate <callee>`. Returns are matched to calls by depth, so the
//!   activations always balance: a return without an open call draws no `deactivate`, and
//!   calls still open when the trace ends are closed at the end (Mermaid refuses to
//!   deactivate an inactive participant).
//! - Notes, timers, property changes, StatusRecips entries and warnings become
//!   `Note over …`; a jump of virtual time becomes a note across all lifelines.
//! - User text is escaped with Mermaid entity codes: the sequence grammar ends a message at
//!   `;`, `#` or a newline, treats `%%` as a comment and `<…>` as HTML, so those characters
//!   (and `:`, `&`, `"`, `\`) are written as `#59;`-style codes, which Mermaid decodes for
//!   display.

use std::collections::BTreeMap;

use spoolscope_contract::trace::{Event, EventKind, Trace, Warning};

use crate::describe::{self, one_line};

/// Fixed lifelines: the name in the trace and the Mermaid id.
const FIXED: [(&str, &str); 3] = [
    ("client", "Client"),
    ("store", "Store"),
    ("spooler", "Spooler"),
];

/// Renders the whole trace; the result ends with a newline.
pub fn render(trace: &Trace) -> String {
    let mut d = Diagram {
        out: String::from("sequenceDiagram\n"),
        lifelines: Lifelines::of(&trace.events),
    };
    if !trace.title.is_empty() {
        d.line(&format!("title {}", esc(&one_line(&trace.title))));
    }
    let participants: Vec<String> = (d.lifelines.entries.iter().enumerate())
        .map(|(i, (name, id))| {
            if i < FIXED.len() {
                format!("participant {id}")
            } else {
                format!("participant {id} as {}", esc(&one_line(name)))
            }
        })
        .collect();
    for p in participants {
        d.line(&p);
    }

    // Warnings by the seq they point at, drawn after that event.
    let mut warnings: BTreeMap<u64, Vec<&Warning>> = BTreeMap::new();
    for w in &trace.warnings {
        warnings.entry(w.seq).or_default().push(w);
    }
    // Open calls: (depth, caller id, callee id).
    let mut open: Vec<(u32, String, String)> = Vec::new();
    let mut last_t = 0.0_f64;
    for ev in &trace.events {
        if ev.t > last_t {
            let gap = format!(
                "⏱ {} (+{})",
                describe::time(ev.t),
                describe::duration(ev.t - last_t)
            );
            d.note_across(&gap);
            last_t = ev.t;
        }
        match ev.kind {
            EventKind::Call => {
                let caller = d.id(ev.from.as_deref());
                let callee = d.id(ev.to.as_deref());
                d.line(&format!(
                    "{caller}->>{callee}: {}",
                    esc(&with_text(describe::call(ev), ev))
                ));
                d.line(&format!("activate {callee}"));
                let entries: Vec<String> = ev
                    .entries
                    .iter()
                    .flatten()
                    .map(|e| esc(&describe::entry(e)))
                    .collect();
                if !entries.is_empty() {
                    let over = if caller == callee {
                        caller.clone()
                    } else {
                        format!("{caller},{callee}")
                    };
                    d.line(&format!("Note over {over}: {}", entries.join("<br/>")));
                }
                open.push((ev.depth, caller, callee));
            }
            EventKind::Return => {
                // Calls deeper than this return never returned: close them first.
                while open.last().is_some_and(|(depth, _, _)| *depth > ev.depth) {
                    if let Some((_, _, callee)) = open.pop() {
                        d.line(&format!("deactivate {callee}"));
                    }
                }
                let text = esc(&with_text(describe::returned(ev), ev));
                let matched = open.last().is_some_and(|(depth, _, _)| *depth == ev.depth);
                match if matched { open.pop() } else { None } {
                    Some((_, caller, callee)) => {
                        d.line(&format!("{callee}-->>{caller}: {text}"));
                        d.line(&format!("deactivate {callee}"));
                    }
                    None => {
                        let from = d.id(ev.from.as_deref());
                        let to = d.id(ev.to.as_deref());
                        d.line(&format!("{from}-->>{to}: {text}"));
                    }
                }
            }
            EventKind::Property => {
                let who = d.id(ev.from.as_deref());
                d.line(&format!(
                    "Note over {who}: {}",
                    esc(&with_text(describe::property_event(ev), ev))
                ));
            }
            EventKind::Timer => {
                let who = d.id(ev.from.as_deref());
                d.line(&format!(
                    "Note over {who}: {}",
                    esc(&with_text(describe::timer_event(ev), ev))
                ));
            }
            EventKind::Note => {
                let who = d.id(ev.from.as_deref());
                d.line(&format!(
                    "Note over {who}: {}",
                    esc(&one_line(
                        ev.text
                            .as_deref()
                            .filter(|t| !t.trim().is_empty())
                            .unwrap_or("note")
                    ))
                ));
            }
        }
        for w in warnings.remove(&ev.seq).into_iter().flatten() {
            let who = d.id(ev.from.as_deref());
            d.line(&format!("Note over {who}: ⚠ {}", esc(&warning(w))));
        }
    }
    while let Some((_, _, callee)) = open.pop() {
        d.line(&format!("deactivate {callee}"));
    }
    // Warnings that point at no event still belong in the picture.
    for w in warnings.into_values().flatten() {
        d.line(&format!("Note over Spooler: ⚠ {}", esc(&warning(w))));
    }
    let mut end = format!(
        "run ended at {}: {}",
        describe::time(trace.end.t),
        one_line(&trace.end.reason)
    );
    if let Some(text) = &trace.end.text {
        end.push_str(&format!(" ({})", one_line(text)));
    }
    d.note_across(&esc(&end));
    d.out
}

/// `text — explanation` when the event carries an explanation.
fn with_text(mut s: String, ev: &Event) -> String {
    if let Some(t) = &ev.text {
        s.push_str(" — ");
        s.push_str(&one_line(t));
    }
    s
}

fn warning(w: &Warning) -> String {
    format!(
        "seq {} [{}] {}",
        w.seq,
        one_line(&w.code),
        one_line(&w.text)
    )
}

/// The diagram being written.
struct Diagram {
    out: String,
    lifelines: Lifelines,
}

impl Diagram {
    fn line(&mut self, s: &str) {
        self.out.push_str("    ");
        self.out.push_str(s);
        self.out.push('\n');
    }

    /// The Mermaid id of a lifeline; a missing name is the spooler's.
    fn id(&self, name: Option<&str>) -> String {
        self.lifelines.id(name.unwrap_or("spooler"))
    }

    /// A note spanning every lifeline (`text` already escaped).
    fn note_across(&mut self, text: &str) {
        let last = self
            .lifelines
            .entries
            .last()
            .map(|(_, id)| id.clone())
            .unwrap_or_else(|| "Spooler".into());
        self.line(&format!("Note over Client,{last}: {text}"));
    }
}

/// Lifeline names in diagram order, each with its Mermaid id.
struct Lifelines {
    entries: Vec<(String, String)>,
}

impl Lifelines {
    fn of(events: &[Event]) -> Lifelines {
        let mut entries: Vec<(String, String)> = FIXED
            .iter()
            .map(|(name, id)| ((*name).to_string(), (*id).to_string()))
            .collect();
        let mut next = 1;
        for name in events
            .iter()
            .flat_map(|e| [e.from.as_deref(), e.to.as_deref()])
            .flatten()
        {
            if !entries.iter().any(|(n, _)| n == name) {
                entries.push((name.to_string(), format!("T{next}")));
                next += 1;
            }
        }
        Lifelines { entries }
    }

    fn id(&self, name: &str) -> String {
        self.entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, id)| id.clone())
            .unwrap_or_else(|| "Spooler".into())
    }
}

/// Text made safe for a Mermaid sequence-diagram message, note, alias or title.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            ';' => out.push_str("#59;"),
            '#' => out.push_str("#35;"),
            ':' => out.push_str("#58;"),
            '%' => out.push_str("#37;"),
            '&' => out.push_str("#amp;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '"' => out.push_str("#quot;"),
            '\\' => out.push_str("#92;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::sample_trace;

    #[test]
    fn participants_come_fixed_first_then_transports_in_order() {
        let mut t = sample_trace();
        // A second transport first seen after smtp.
        let mut ev = Event::new(EventKind::Call);
        ev.from = Some("spooler".into());
        ev.to = Some("fax".into());
        ev.method = Some("TransportLogon".into());
        t.events.insert(0, ev);
        let out = render(&t);
        let parts: Vec<&str> = out
            .lines()
            .filter(|l| l.trim_start().starts_with("participant"))
            .collect();
        assert_eq!(
            parts,
            [
                "    participant Client",
                "    participant Store",
                "    participant Spooler",
                "    participant T1 as fax",
                "    participant T2 as smtp"
            ]
        );
        assert!(
            out.starts_with("sequenceDiagram\n    title Seed walkthrough\n"),
            "{out}"
        );
    }

    #[test]
    fn calls_activate_and_returns_deactivate() {
        let out = render(&sample_trace());
        let l: Vec<&str> = out.lines().map(str::trim).collect();
        let at = |s: &str| {
            l.iter()
                .position(|x| *x == s)
                .unwrap_or_else(|| panic!("missing {s:?} in\n{out}"))
        };
        let submit = at("Spooler->>T1: SubmitMessage(m1, flags=0, offered=[0,1], attempt 1)");
        assert_eq!(l[submit + 1], "activate T1");
        let recips = at("T1->>Spooler: StatusRecips(m1, 1 entry)");
        assert_eq!(l[recips + 1], "activate Spooler");
        assert_eq!(
            l[recips + 2],
            "Note over T1,Spooler: NDR #35;1 MAPI_REASON_TRANSFER_FAILED / MAPI_DIAG_MAIL_RECIPIENT_UNKNOWN #quot;No such mailbox#quot;"
        );
        // The warning that points at this call follows it.
        assert_eq!(
            l[recips + 3],
            "Note over T1: ⚠ seq 5 [late_status] StatusRecips after the recipient was final"
        );
        assert_eq!(l[recips + 4], "Spooler-->>T1: S_OK");
        assert_eq!(l[recips + 5], "deactivate Spooler");
        let ret = at("T1-->>Spooler: S_OK  ref=1");
        assert!(ret > recips);
        assert_eq!(l[ret + 1], "deactivate T1");
        at("T1-->>Spooler: S_OK  flags=END_DONT_RESEND");
        at("Note over T1: PR_RESPONSIBILITY[0] = TRUE  (m1, set by smtp)");
        at("Note over Client,T1: ⏱ 12.000s (+12s)");
        assert_eq!(
            l.last(),
            Some(&"Note over Client,T1: run ended at 12.000s#58; idle")
        );
    }

    #[test]
    fn warnings_without_their_event_are_drawn_at_the_end() {
        let mut t = sample_trace();
        t.warnings[0].seq = 999;
        let out = render(&t);
        let l: Vec<&str> = out.lines().map(str::trim).collect();
        assert_eq!(
            l[l.len() - 2],
            "Note over Spooler: ⚠ seq 999 [late_status] StatusRecips after the recipient was final"
        );
    }

    /// Every `deactivate` matches an earlier `activate` of the same participant, and
    /// nothing stays active at the end.
    fn assert_balanced(out: &str) {
        let mut active: Vec<&str> = Vec::new();
        for l in out.lines().map(str::trim) {
            if let Some(p) = l.strip_prefix("activate ") {
                active.push(p);
            } else if let Some(p) = l.strip_prefix("deactivate ") {
                let i = active
                    .iter()
                    .rposition(|a| *a == p)
                    .unwrap_or_else(|| panic!("{p} inactive in\n{out}"));
                active.remove(i);
            }
        }
        assert!(active.is_empty(), "still active: {active:?}\n{out}");
    }

    #[test]
    fn activations_balance_even_for_broken_traces() {
        assert_balanced(&render(&sample_trace()));
        // A run that stopped inside a call (a script fault): the open calls are closed.
        let mut t = sample_trace();
        t.events.truncate(5);
        assert_balanced(&render(&t));
        // A return without its call, and a nested call that never returned.
        let mut t = sample_trace();
        t.events.remove(0);
        t.events.remove(5);
        let out = render(&t);
        assert_balanced(&out);
        assert!(out.contains("    Store-->>Client: S_OK\n"), "{out}");
        // A nested return without its call, inside a call that is still open.
        let mut t = sample_trace();
        t.events.remove(4);
        let out = render(&t);
        assert_balanced(&out);
        assert!(
            out.contains("    Spooler-->>T1: S_OK\n    Note over T1: queued for relay\n"),
            "{out}"
        );
        assert!(
            out.contains("    T1-->>Spooler: S_OK  ref=1\n    deactivate T1\n"),
            "{out}"
        );
    }

    /// Every `#` starts an entity code `#name;` and every `;` ends one.
    fn assert_no_raw_specials(line: &str) {
        let mut rest = line;
        while let Some(i) = rest.find(['#', ';']) {
            let tail = &rest[i..];
            let code_len = tail[1..]
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(tail.len() - 1);
            assert!(
                tail.starts_with('#') && code_len > 0 && tail[1 + code_len..].starts_with(';'),
                "raw special character in {line:?}"
            );
            rest = &tail[code_len + 2..];
        }
    }

    #[test]
    fn user_text_is_escaped() {
        assert_eq!(
            esc("a;b#c:d%%e<br>\"f\"\\g"),
            "a#59;b#35;c#58;d#37;#37;e#lt;br#gt;#quot;f#quot;#92;g"
        );
        let mut t = sample_trace();
        t.title = "x; y\nz".into();
        t.events[6].text = Some("100% done; next: #2 <b>".into());
        t.warnings[0].text = "a;b".into();
        let out = render(&t);
        assert!(out.contains("    title x#59; y#92;nz\n"), "{out}");
        assert!(
            out.contains("    Note over T1: 100#37; done#59; next#58; #35;2 #lt;b#gt;\n"),
            "{out}"
        );
        for l in out.lines() {
            // Only the separator after the lifelines may be a raw colon.
            let text = l.split_once(": ").map(|(_, t)| t).unwrap_or(l);
            assert!(!text.contains(':'), "raw colon in {l:?}");
            assert_no_raw_specials(l);
        }
    }
}
