//! The recorded trace of a link (links §3): one line per trace event, worded as the
//! playground's diagram words it, then one line per final recipient row, message row,
//! report, warning and the run's end; and the comparison that finds the first line where a
//! replay differs from what was recorded.

use spoolscope_contract::trace::Trace;

use crate::describe::{self, one_line};

/// The recorded lines of `trace` (links §3). Line `n` (0-based) is trace event `n + 1`.
pub fn lines(trace: &Trace) -> Vec<String> {
    let mut out = Vec::with_capacity(trace.events.len() + trace.recipients.len() + 8);
    for ev in &trace.events {
        let mut line = describe::time(ev.t);
        match (&ev.from, &ev.to) {
            (Some(from), Some(to)) => {
                line.push_str(&format!(" {}→{}", one_line(from), one_line(to)))
            }
            (Some(from), None) => line.push_str(&format!(" {}", one_line(from))),
            _ => {}
        }
        line.push(' ');
        line.push_str(&describe::label(ev));
        for e in ev.entries.iter().flatten() {
            line.push_str(" | ");
            line.push_str(&describe::entry(e));
        }
        out.push(line);
    }
    for r in &trace.recipients {
        let mut line = format!(
            "recipient {}[{}] {}",
            one_line(&r.message),
            r.index,
            one_line(&r.status)
        );
        if let Some(t) = &r.transport {
            line.push_str(&format!(" by {}", one_line(t)));
        }
        if let Some(k) = &r.report {
            line.push_str(&format!(" {}", one_line(k)));
        }
        out.push(line);
    }
    for m in &trace.messages {
        out.push(format!(
            "message {} {}",
            one_line(&m.id),
            one_line(&m.status)
        ));
    }
    for r in &trace.reports {
        out.push(format!(
            "report {} {} {} by {}",
            one_line(&r.kind),
            one_line(&r.message),
            describe::indexes(&r.recipients),
            one_line(&r.source)
        ));
    }
    for w in &trace.warnings {
        out.push(format!("warning at {} {}", w.seq, one_line(&w.code)));
    }
    out.push(format!(
        "end {} {}",
        describe::time(trace.end.t),
        one_line(&trace.end.reason)
    ));
    out
}

/// The recorded text of `trace`: [`lines`] joined with `\n`.
pub fn recorded(trace: &Trace) -> String {
    lines(trace).join("\n")
}

/// Where a replay first differs from a recorded trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// The step whose event differs (1-based, as the player counts), or `None` when every
    /// event is the same and the final tables differ.
    pub step: Option<u64>,
    /// The recorded line there (empty when the recorded trace was shorter).
    pub old: String,
    /// The replay's line there (empty when the replay is shorter).
    pub new: String,
}

/// The first line where `now` (the replay's [`lines`]) differs from the `recorded` text, with
/// `events` the replay's number of events; `None` when they are the same line for line.
pub fn first_difference(recorded: &str, now: &[String], events: usize) -> Option<Divergence> {
    let old: Vec<&str> = if recorded.is_empty() {
        Vec::new()
    } else {
        recorded.split('\n').collect()
    };
    let n = old.len().max(now.len());
    let i = (0..n).find(|&i| old.get(i).copied() != now.get(i).map(String::as_str))?;
    let old_line = old.get(i).copied().unwrap_or_default().to_string();
    let new_line = now.get(i).cloned().unwrap_or_default();
    // Event lines start with a time ("12.000s "); final-table lines with a word.
    let old_is_event = old_line.as_bytes().first().is_some_and(u8::is_ascii_digit);
    let step = (i < events || old_is_event).then_some(i as u64 + 1);
    Some(Divergence {
        step,
        old: old_line,
        new: new_line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::sample_trace;

    #[test]
    fn one_line_per_event_then_the_tables() {
        let t = sample_trace();
        let lines = lines(&t);
        let events = t.events.len();
        assert_eq!(
            lines.len(),
            events + t.recipients.len() + t.messages.len() + t.reports.len() + t.warnings.len() + 1
        );
        for (line, ev) in lines.iter().zip(&t.events) {
            assert!(line.starts_with(&describe::time(ev.t)), "{line}");
            assert!(!line.contains('\n'));
        }
        assert!(lines[events].starts_with("recipient "), "{}", lines[events]);
        assert!(lines.last().is_some_and(|l| l.starts_with("end ")));
        // StatusRecips entries are on their call's line.
        assert!(lines
            .iter()
            .any(|l| l.contains("StatusRecips") && l.contains(" | NDR #")));
    }

    #[test]
    fn the_first_difference_is_found_where_it_is() {
        let t = sample_trace();
        let now = lines(&t);
        let events = t.events.len();
        let same = recorded(&t);
        assert_eq!(first_difference(&same, &now, events), None);

        let mut changed = now.clone();
        changed[2] = "0.000s spooler→smtp SomethingElse()".to_string();
        let d = first_difference(&changed.join("\n"), &now, events).unwrap();
        assert_eq!(d.step, Some(3));
        assert_eq!(d.old, "0.000s spooler→smtp SomethingElse()");
        assert_eq!(d.new, now[2]);

        // Same events, a different final table.
        let mut tables = now.clone();
        tables[events] = "recipient m1[0] failed".to_string();
        let d = first_difference(&tables.join("\n"), &now, events).unwrap();
        assert_eq!(d.step, None);
        assert_eq!(d.old, "recipient m1[0] failed");

        // A recorded trace with fewer events than the replay.
        let short: Vec<String> = now[..2].to_vec();
        let d = first_difference(&short.join("\n"), &now, events).unwrap();
        assert_eq!((d.step, d.old.as_str()), (Some(3), ""));
        // Nothing recorded at all differs at step 1.
        let d = first_difference("", &now, events).unwrap();
        assert_eq!(d.step, Some(1));
    }
}
