//! Test support shared by the engine's tests (`crates/engine/tests`), its property tests and
//! the scenario corpus (`tests/lib.rs`): the trace invariants every run must keep, the pairing
//! of calls with their returns, and one-line dumps of events for failure messages. Not part
//! of any build a user runs.

use spoolscope_contract::trace::{Event, EventKind, Trace};

/// Every call has its return at the same depth; seq counts 1, 2, …; time never goes back.
pub fn trace_invariants(t: &Trace) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack: Vec<&Event> = Vec::new();
    let mut last_t = 0.0;
    for (i, e) in t.events.iter().enumerate() {
        if e.seq != i as u64 + 1 {
            out.push(format!("event {i} has seq {}", e.seq));
        }
        if e.t < last_t {
            out.push(format!("time goes back at #{}", e.seq));
        }
        last_t = e.t;
        match e.kind {
            EventKind::Call => {
                if e.depth as usize != stack.len() {
                    out.push(format!(
                        "call #{} has depth {}, expected {}",
                        e.seq,
                        e.depth,
                        stack.len()
                    ));
                }
                stack.push(e);
            }
            EventKind::Return => match stack.pop() {
                Some(c) if c.method == e.method => {
                    if e.depth != c.depth {
                        out.push(format!("return #{} is not at its call's depth", e.seq));
                    }
                }
                Some(c) => out.push(format!(
                    "return #{} ({:?}) closes call #{} ({:?})",
                    e.seq, e.method, c.seq, c.method
                )),
                None => out.push(format!("return #{} without a call", e.seq)),
            },
            _ => {}
        }
    }
    for c in stack {
        out.push(format!("call #{} ({:?}) never returns", c.seq, c.method));
    }
    out
}

/// Index of each call's return (by event index).
pub fn return_index(t: &Trace) -> Vec<Option<usize>> {
    let mut out = vec![None; t.events.len()];
    let mut stack = Vec::new();
    for (i, e) in t.events.iter().enumerate() {
        match e.kind {
            EventKind::Call => stack.push(i),
            EventKind::Return => {
                if let Some(c) = stack.pop() {
                    out[c] = Some(i);
                }
            }
            _ => {}
        }
    }
    out
}

/// One event on one line, every field a property test checks: for failure messages.
pub fn event_line(e: &Event) -> String {
    format!(
        "seq {} t={} d={} {:?} {}>{} {} msg={} offered={:?} result={} flags={:?} recip={:?} value={:?}",
        e.seq,
        e.t,
        e.depth,
        e.kind,
        opt(&e.from),
        opt(&e.to),
        opt(&e.method),
        opt(&e.message),
        e.offered,
        opt(&e.result),
        e.flags,
        e.recipient,
        e.value
    )
}

fn opt(o: &Option<String>) -> &str {
    o.as_deref().unwrap_or("")
}
