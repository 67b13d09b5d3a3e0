//! The workloads Spoolscope's benchmarks measure, shared by the criterion benches
//! (`cargo bench -p spoolscope-bench`) and the plain summary
//! (`cargo run --release -p spoolscope-bench --bin bench-summary`).
//!
//! The scenario: 10,000 recipients in four messages of 2,500 (generated, address types
//! cycling SMTP, X400, FAX), three transports with Rhai scripts that decide per recipient
//! (contract §2): `smtp` answers `MAPI_E_BUSY` to every first SubmitMessage (model §9.3) and
//! then accepts, with an NDR for every 50th recipient and a DR for every 7th when asked;
//! `x400` accepts with a DR for every 2nd when asked; `fax` fails every 50th and declines
//! every 97th (a spooler NDR, model §7.4). Two of the messages ask for delivery reports.

use spoolscope_contract::{parse_scenario, Format, Scenario};
use spoolscope_engine::transport::{AcceptAll, Transport};
use spoolscope_engine::{run, Run};

/// Recipients in [`scenario_toml`].
pub const RECIPIENTS: usize = 10_000;

/// Messages in [`scenario_toml`]; each has `RECIPIENTS / MESSAGES` recipients.
pub const MESSAGES: usize = 4;

const SMTP: &str = r#"
fn submit_message(msg) {
    if msg.attempt == 1 {
        return MAPI_E_BUSY;
    }
    for r in msg.recipients {
        if r.index % 50 == 0 {
            fail(r, MAPI_REASON_TRANSFER_FAILED, MAPI_DIAG_MAIL_RECIPIENT_UNKNOWN, "No such mailbox");
        } else if msg.delivery_report && r.index % 7 == 0 {
            deliver(r);
        } else {
            accept(r);
        }
    }
    S_OK
}
"#;

const X400: &str = r#"
fn submit_message(msg) {
    for r in msg.recipients {
        if msg.delivery_report && r.index % 2 == 0 {
            deliver(r);
        } else {
            accept(r);
        }
    }
    S_OK
}
"#;

const FAX: &str = r#"
fn submit_message(msg) {
    for r in msg.recipients {
        if r.index % 97 == 0 {
            decline(r);
        } else if r.index % 50 == 0 {
            fail(r, MAPI_REASON_TRANSFER_IMPOSSIBLE, MAPI_DIAG_RECIPIENT_UNAVAILABLE, "Line busy");
        } else {
            accept(r);
        }
    }
    S_OK
}
"#;

/// The benchmark scenario as TOML (contract §1).
pub fn scenario_toml() -> String {
    let mut s = String::from(
        "version = 1\ntitle = \"Benchmark: 10,000 recipients, 3 scripted transports\"\nseed = 1\n",
    );
    for (name, types, script) in [
        ("smtp", "SMTP", SMTP),
        ("x400", "X400", X400),
        ("fax", "FAX", FAX),
    ] {
        s.push_str(&format!(
            "\n[[transport]]\nname = \"{name}\"\naddress_types = [\"{types}\"]\nscript = '''{script}'''\n"
        ));
    }
    for m in 0..MESSAGES {
        s.push_str(&format!(
            "\n[[message]]\nid = \"m{}\"\nsubject = \"Bulk {}\"\nsubmit_at_s = {}\ndelivery_report = {}\ngenerate = {{ count = {}, types = [\"SMTP\", \"X400\", \"FAX\"], address = \"user{{i}}@m{}.example\" }}\n",
            m + 1,
            m + 1,
            m * 5,
            m % 2 == 0,
            RECIPIENTS / MESSAGES,
            m + 1
        ));
    }
    s
}

/// Parses the benchmark scenario.
///
/// # Panics
/// If the scenario does not parse (a bug in this crate).
pub fn scenario() -> Scenario {
    parse_scenario(&scenario_toml(), Format::Toml)
        .unwrap_or_else(|e| panic!("benchmark scenario: {e}"))
}

/// End to end: parse the text, compile the scripts, run.
///
/// # Panics
/// If the scenario or a script is rejected, or a hook faults.
pub fn parse_compile_run(text: &str) -> Run {
    let sc = parse_scenario(text, Format::Toml).unwrap_or_else(|e| panic!("scenario: {e}"));
    scripted_run(&sc)
}

/// Compile the scripts and run an already parsed scenario.
///
/// # Panics
/// If a script is rejected or a hook faults.
pub fn scripted_run(sc: &Scenario) -> Run {
    let xps = spoolscope_script::build_transports(sc).unwrap_or_else(|e| panic!("script: {e}"));
    let r = run(sc, xps);
    if let Some(f) = &r.fault {
        panic!("hook fault: {f:?}");
    }
    r
}

/// The engine alone: every transport is [`AcceptAll`] (no scripts).
pub fn accept_all_run(sc: &Scenario) -> Run {
    let xps: Vec<Box<dyn Transport>> = sc
        .transports
        .iter()
        .map(|_| Box::new(AcceptAll) as Box<dyn Transport>)
        .collect();
    run(sc, xps)
}

/// Trace steps worth snapshotting in a run.
#[derive(Clone, Copy, Debug)]
pub struct SnapshotSteps {
    /// Half way through the trace.
    pub middle: u64,
    /// The last trace event.
    pub end: u64,
    /// The step whose snapshot replays the most deltas from its checkpoint (the worst case).
    pub longest_replay: u64,
    /// How many deltas that snapshot replays.
    pub longest_replay_deltas: usize,
}

/// The middle, the end and the worst case of `r`'s timeline.
pub fn snapshot_steps(r: &Run) -> SnapshotSteps {
    let end = r.trace.events.len() as u64;
    let interval = r.timeline.checkpoint_interval().max(1);
    let (mut cum, mut best, mut best_step) = (0usize, 0usize, 0u64);
    for step in 0..=end {
        cum += r.timeline.changes_at(step).len();
        if cum % interval > best {
            best = cum % interval;
            best_step = step;
        }
    }
    SnapshotSteps {
        middle: end / 2,
        end,
        longest_replay: best_step,
        longest_replay_deltas: best,
    }
}

/// Counts of final recipient statuses, for a sanity line in the summary.
pub fn status_counts(r: &Run) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = Vec::new();
    for row in &r.trace.recipients {
        match out.iter_mut().find(|(s, _)| *s == row.status) {
            Some((_, n)) => *n += 1,
            None => out.push((row.status.clone(), 1)),
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_benchmark_scenario_runs_as_designed() {
        let r = parse_compile_run(&scenario_toml());
        assert_eq!(r.trace.recipients.len(), RECIPIENTS);
        assert_eq!(r.trace.end.reason, "idle");
        let counts = status_counts(&r);
        let get = |s: &str| counts.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n);
        assert!(get("sent") > 8_000, "{counts:?}");
        assert!(get("failed") > 100, "{counts:?}");
        assert!(get("delivered") > 500, "{counts:?}");
        assert!(get("no_transport") > 0, "{counts:?}");
        assert_eq!(
            get("pending") + get("deferred") + get("cancelled"),
            0,
            "{counts:?}"
        );
        // smtp's first SubmitMessage of each message is answered with MAPI_E_BUSY.
        let busy = r
            .trace
            .events
            .iter()
            .filter(|e| e.result.as_deref() == Some("MAPI_E_BUSY"))
            .count();
        assert_eq!(busy, MESSAGES);
        let a = accept_all_run(&scenario());
        assert!(a.trace.recipients.iter().all(|x| x.status == "sent"));
    }
}
