//! The scenario corpus harness (one data-driven helper for every scenario).
//!
//! A case is a scenario file (`tests/scenarios/NAME.toml`, or an example under `examples/`)
//! plus two files next to the corpus:
//!
//! * `tests/scenarios/NAME.expect.toml` states the intent: what a MAPI engineer checks in
//!   the trace (the calls and their order, times, flags, offered sets, references, results;
//!   `PR_RESPONSIBILITY` changes; final recipient and message states; reports; warnings;
//!   how the run ended). The format is described in `tests/README.md`.
//! * `tests/scenarios/NAME.trace.json` is the exact `spoolscope run NAME.toml --format json`
//!   output. It is compared byte for byte; `UPDATE_EXPECT=1` rewrites it. Snapshots catch
//!   unintended changes; the expect file says what is intended.
//!
//! [`check_case`] runs one case and panics with every mismatch it found, so a failing test
//! names the file, the expectation, and what the trace shows instead.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use spoolscope_contract::consts;
use spoolscope_contract::trace::{Event, EventKind, PropValue, Trace};
use spoolscope_contract::{parse_scenario, Format};
use spoolscope_testkit::return_index;
pub use spoolscope_testkit::trace_invariants;

/// Methods whose calls count as "key calls" in an `exact` block without `only`: the
/// client↔store, spooler↔store and spooler↔transport calls of the outbound path. Session
/// set-up (`TransportLogon`, `AddressTypes`, `RegisterOptions`) and `ModifyStatusRow` are
/// left out; name them in `only` to compare them too.
pub const KEY_METHODS: &[&str] = &[
    "SubmitMessage",
    "EndMessage",
    "TransportNotify",
    "StatusRecips",
    "SpoolerNotify",
    "AbortSubmit",
    "SetLockState",
    "FinishedMsg",
    "FlushQueues",
];

/// Directory of the corpus (`tests/scenarios`).
pub fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

/// The workspace root.
pub fn workspace_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// Whether snapshots should be rewritten (`UPDATE_EXPECT=1`).
fn updating() -> bool {
    std::env::var("UPDATE_EXPECT").is_ok_and(|v| v == "1")
}

/// Runs a scenario the way `spoolscope run FILE` does and returns its trace, or the error
/// line the CLI would print.
pub fn run_scenario(path: &Path) -> Result<Trace, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let format = Format::detect(path.to_str(), &text);
    let scenario = parse_scenario(&text, format).map_err(|e| format!("{}:{e}", path.display()))?;
    let transports = spoolscope_script::build_transports(&scenario)
        .map_err(|e| format!("{}:{}: {}", path.display(), e.pos, e.message))?;
    let run = spoolscope_engine::run(&scenario, transports);
    if let Some(f) = &run.fault {
        let pos = f.pos.map(|p| p.to_string()).unwrap_or_else(|| "1:1".into());
        return Err(format!(
            "{}:{pos}: script fault during the run: {}",
            path.display(),
            f.message
        ));
    }
    Ok(run.trace)
}

/// Runs case `name` (scenario at `scenario`, relative to the workspace root) and checks it
/// against `tests/scenarios/NAME.expect.toml` and `NAME.trace.json`.
pub fn check_case(name: &str, scenario: &str) {
    let scenario_path = workspace_dir().join(scenario);
    let expect_path = scenarios_dir().join(format!("{name}.expect.toml"));
    let trace_path = scenarios_dir().join(format!("{name}.trace.json"));
    let trace = match run_scenario(&scenario_path) {
        Ok(t) => t,
        Err(e) => panic!("\n[{name}] {scenario} did not run:\n  {e}\n"),
    };
    // Determinism: a second run gives the same bytes.
    if let Ok(again) = run_scenario(&scenario_path) {
        assert!(
            again.to_json() == trace.to_json(),
            "\n[{name}] {scenario}: a second run gave another trace\n"
        );
    }
    let expect_text = std::fs::read_to_string(&expect_path)
        .unwrap_or_else(|e| panic!("\n[{name}] cannot read {}: {e}\n", expect_path.display()));
    let expect = parse_expect(&expect_text).unwrap_or_else(|e| {
        panic!(
            "\n[{name}] bad expectation file {}:\n  {e}\n",
            expect_path.display()
        )
    });

    let mut report = String::new();
    let mut invariant_errors = trace_invariants(&trace);
    invariant_errors.extend(warning_causes(&trace));
    let mismatches = expect.check(&trace);
    if !invariant_errors.is_empty() {
        let _ = writeln!(report, "trace invariants broken:");
        for e in &invariant_errors {
            let _ = writeln!(report, "  - {e}");
        }
    }
    if !mismatches.is_empty() {
        let _ = writeln!(
            report,
            "{} expectation(s) of {} not met:",
            mismatches.len(),
            rel(&expect_path)
        );
        for m in &mismatches {
            let _ = writeln!(report, "  - {}", m.replace('\n', "\n    "));
        }
        let _ = writeln!(report, "key events of the run (call … -> return):");
        for line in outline(&trace).iter().take(400) {
            let _ = writeln!(report, "    {line}");
        }
        if !trace.warnings.is_empty() {
            let _ = writeln!(report, "warnings of the run:");
            for w in &trace.warnings {
                let _ = writeln!(report, "    #{} {}: {}", w.seq, w.code, w.text);
            }
        }
    }
    let json = trace.to_json();
    let snap = if expect.digest_snapshot {
        let digest_path = scenarios_dir().join(format!("{name}.trace.digest"));
        snapshot(&digest(&json), &digest_path)
    } else {
        snapshot(&json, &trace_path)
    };
    if let Some(s) = snap {
        report.push_str(&s);
    }
    if !report.is_empty() {
        panic!("\n[{name}] {scenario}\n{report}");
    }
}

fn rel(p: &Path) -> String {
    p.strip_prefix(workspace_dir())
        .unwrap_or(p)
        .display()
        .to_string()
}

/// A stand-in for a trace too large to keep (`snapshot = "digest"`): its size and an FNV-1a
/// hash of its bytes. Any change to the JSON changes it; `spoolscope run FILE --format json`
/// shows the trace itself.
pub fn digest(json: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in json.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!(
        "# Digest of `spoolscope run --format json` for this scenario (the trace itself is too\n# large to keep; rewrite with UPDATE_EXPECT=1).\nbytes = {}\nlines = {}\nfnv1a64 = \"{h:016x}\"\n",
        json.len(),
        json.lines().count()
    )
}

/// Compares the JSON with the snapshot; rewrites it under `UPDATE_EXPECT=1`. Returns a
/// failure text, or `None`.
fn snapshot(json: &str, path: &Path) -> Option<String> {
    let old = std::fs::read_to_string(path).ok();
    if old.as_deref() == Some(json) {
        return None;
    }
    if updating() {
        std::fs::write(path, json)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        eprintln!("UPDATE_EXPECT=1: rewrote {}", rel(path));
        return None;
    }
    let hint = format!(
        "  If the change is intended, rewrite the snapshot with\n    UPDATE_EXPECT=1 cargo test -p spoolscope-tests\n  and review the diff of {} before committing.\n",
        rel(path)
    );
    let Some(old) = old else {
        return Some(format!(
            "snapshot {} is missing (the trace has {} lines).\n{hint}",
            rel(path),
            json.lines().count()
        ));
    };
    let (a, b): (Vec<&str>, Vec<&str>) = (old.lines().collect(), json.lines().collect());
    let first = (0..a.len().max(b.len()))
        .find(|i| a.get(*i) != b.get(*i))
        .unwrap_or(0);
    let mut s = format!(
        "snapshot {} differs from the run (first difference at line {}; snapshot {} lines, run {} lines):\n",
        rel(path),
        first + 1,
        a.len(),
        b.len()
    );
    let from = first.saturating_sub(3);
    for i in from..(first + 4) {
        if let Some(l) = a.get(i) {
            let _ = writeln!(s, "    snapshot {:>5} | {l}", i + 1);
        }
    }
    for i in from..(first + 4) {
        if let Some(l) = b.get(i) {
            let _ = writeln!(s, "    run      {:>5} | {l}", i + 1);
        }
    }
    s.push_str(&hint);
    Some(s)
}

/// The transport hooks the spooler calls (model §3.7, §3.8, §3.4).
const HOOKS: [&str; 3] = ["SubmitMessage", "EndMessage", "TransportNotify"];

/// Each warning points at the event that caused it (contract §4 `warnings`): a complaint about
/// what SubmitMessage or EndMessage returned at that return; about a StatusRecips or
/// SpoolerNotify call at that call; about a host function a script called at an event inside
/// that hook. Returns what does not hold, naming the code; a code not listed here is an error,
/// so a new warning must say what it points at.
pub fn warning_causes(t: &Trace) -> Vec<String> {
    let mut errors = Vec::new();
    // For each event, the hooks open around it (innermost last).
    let mut open: Vec<&str> = Vec::new();
    let mut around: Vec<Vec<&str>> = Vec::with_capacity(t.events.len());
    for e in &t.events {
        let method = e.method.as_deref().unwrap_or("");
        if e.kind == EventKind::Call {
            open.push(method);
        }
        around.push(open.clone());
        if e.kind == EventKind::Return {
            open.pop();
        }
    }
    for w in &t.warnings {
        let Some(i) = (w.seq as usize)
            .checked_sub(1)
            .filter(|&i| i < t.events.len())
        else {
            errors.push(format!(
                "warning {} points at seq {}, past the trace",
                w.code, w.seq
            ));
            continue;
        };
        let e = &t.events[i];
        let method = e.method.as_deref().unwrap_or("");
        let is = |kind: EventKind, m: &str| e.kind == kind && method == m;
        let in_hook = around[i].iter().any(|m| HOOKS.contains(m));
        let (ok, wanted) = match w.code.as_str() {
            "unexpected_success_code" => (
                is(EventKind::Return, "SubmitMessage")
                    && e.result.as_deref().is_some_and(|r| w.text.contains(r)),
                "the SubmitMessage return with that code",
            ),
            "return_parm_ignored"
            | "ok_after_cancel"
            | "cancel_not_deferred"
            | "changes_discarded"
            | "wait_without_retry_time" => (
                is(EventKind::Return, "SubmitMessage"),
                "the SubmitMessage return",
            ),
            "unknown_end_flags" | "conflicting_end_flags" | "resend_now_limit" => {
                (is(EventKind::Return, "EndMessage"), "the EndMessage return")
            }
            "report_without_responsibility" => (
                is(EventKind::Return, "SubmitMessage") || is(EventKind::Return, "EndMessage"),
                "the return that left PR_RESPONSIBILITY FALSE",
            ),
            "duplicate_status_recips" => {
                (is(EventKind::Call, "StatusRecips"), "the StatusRecips call")
            }
            "status_recips_in_end_message" => (
                is(EventKind::Call, "StatusRecips") && around[i].contains(&"EndMessage"),
                "the StatusRecips call inside EndMessage",
            ),
            "sent_deferred_not_deferred" => (
                is(EventKind::Call, "SpoolerNotify")
                    && e.flags
                        .as_ref()
                        .is_some_and(|f| f.iter().any(|f| f == "NOTIFY_SENTDEFERRED")),
                "the SpoolerNotify(NOTIFY_SENTDEFERRED) call",
            ),
            "outside_submit" | "not_offered" | "bad_recipient" | "bad_code" | "bad_reference"
            | "bad_retry_time" => (in_hook, "an event inside the hook whose script called it"),
            other => {
                errors.push(format!(
                    "warning code {other} has no cause in tests/lib.rs warning_causes: say what it points at"
                ));
                continue;
            }
        };
        if !ok {
            errors.push(format!(
                "warning {} at seq {} points at a {:?} {method}, not at {wanted}",
                w.code, w.seq, e.kind
            ));
        }
    }
    errors
}

/// Every `.rs` file under `crates/engine/src`, its modules' folders included, sorted.
pub fn engine_sources() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![workspace_dir().join("crates/engine/src")];
    while let Some(dir) = dirs.pop() {
        let entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default();
        for path in entries {
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Every code the engine can warn with (each `warn(` / `warn_at(` call's first string in
/// `crates/engine/src`), sorted.
pub fn engine_warning_codes() -> Vec<String> {
    let mut codes = Vec::new();
    for file in engine_sources() {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for call in [".warn(", ".warn_at("] {
            for (at, _) in text.match_indices(call) {
                let rest = &text[at + call.len()..];
                let Some(q) = rest.find('"') else { continue };
                let literal = &rest[q + 1..];
                let Some(end) = literal.find('"') else {
                    continue;
                };
                let code = &literal[..end];
                if !code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                    codes.push(code.to_string());
                }
            }
        }
    }
    codes.sort();
    codes.dedup();
    codes
}

/// Every MAPI method the engine records (the method literal of each `call(who, who,
/// "Method", …)` and `ret(…)` in `crates/engine/src`), sorted.
pub fn engine_method_names() -> Vec<String> {
    let mut names = Vec::new();
    for file in engine_sources() {
        // Without whitespace, so that a call rustfmt split over lines reads as one.
        let text: String = std::fs::read_to_string(file)
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        for call in ["call(Who::", "ret(Who::"] {
            for (at, _) in text.match_indices(call) {
                let args: String = text[at..].chars().take(120).collect();
                let Some(literal) = args.split('"').nth(1) else {
                    continue;
                };
                if !literal.is_empty() && literal.bytes().all(|b| b.is_ascii_alphabetic()) {
                    names.push(literal.to_string());
                }
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

// ---------------------------------------------------------------------------------------
// Rendering the run for failure messages
// ---------------------------------------------------------------------------------------

fn list<T: std::fmt::Display>(v: &[T]) -> String {
    let items: Vec<String> = v.iter().map(|x| x.to_string()).collect();
    format!("[{}]", items.join(","))
}

fn show_value(v: &PropValue) -> String {
    match v {
        PropValue::Bool(b) => b.to_string(),
        PropValue::Int(i) => i.to_string(),
        PropValue::Text(s) => format!("{s:?}"),
    }
}

fn show_entries(es: &[spoolscope_contract::trace::StatusEntry]) -> String {
    let items: Vec<String> = es
        .iter()
        .map(|e| {
            let mut s = format!("{} r{}", e.report, e.recipient);
            if let Some(r) = e.reason {
                let _ = write!(s, " {}", consts::reason_name(r));
            }
            if let Some(d) = e.diag {
                let _ = write!(s, " {}", consts::diag_name(d));
            }
            if let Some(x) = &e.text {
                let _ = write!(s, " {x:?}");
            }
            s
        })
        .collect();
    format!("[{}]", items.join("; "))
}

/// One line for event `i` (a call includes its return).
fn render(t: &Trace, rets: &[Option<usize>], i: usize) -> String {
    let e = &t.events[i];
    let mut s = format!("#{} t={} d={} ", e.seq, e.t, e.depth);
    let msg = e
        .message
        .as_deref()
        .map(|m| format!(" {m}"))
        .unwrap_or_default();
    match e.kind {
        EventKind::Call => {
            let _ = write!(
                s,
                "{}>{} {}{msg}",
                e.from.as_deref().unwrap_or("?"),
                e.to.as_deref().unwrap_or("?"),
                e.method.as_deref().unwrap_or("?")
            );
            if let Some(f) = &e.flags {
                let _ = write!(s, " flags={}", list(f));
            }
            if let Some(o) = &e.offered {
                let _ = write!(s, " offered={}", list(o));
            }
            if let Some(a) = e.attempt {
                let _ = write!(s, " attempt={a}");
            }
            if let Some(r) = e.reference {
                let _ = write!(s, " ref={r}");
            }
            if let Some(es) = &e.entries {
                let _ = write!(s, " entries={}", show_entries(es));
            }
            if let Some(r) = rets[i].map(|j| &t.events[j]) {
                let _ = write!(s, " -> {}", r.result.as_deref().unwrap_or("?"));
                if let Some(x) = r.reference {
                    let _ = write!(s, " ref={x}");
                }
                if let Some(x) = r.return_parm {
                    let _ = write!(s, " return_parm={x}");
                }
                if let Some(f) = &r.flags {
                    let _ = write!(s, " ret_flags={}", list(f));
                }
                if r.t != e.t {
                    let _ = write!(s, " (returns at t={})", r.t);
                }
            }
        }
        EventKind::Property => {
            let _ = write!(
                s,
                "{} sets {} r{}={}{msg}",
                e.from.as_deref().unwrap_or("?"),
                e.property.as_deref().unwrap_or("?"),
                e.recipient.map(|r| r.to_string()).unwrap_or_default(),
                e.value.as_ref().map(show_value).unwrap_or_default()
            );
        }
        EventKind::Timer => {
            let _ = write!(
                s,
                "timer {} {}>{}{msg}",
                e.timer.as_deref().unwrap_or("?"),
                e.from.as_deref().unwrap_or("?"),
                e.to.as_deref().unwrap_or("?")
            );
            if let Some(d) = e.due {
                let _ = write!(s, " due={d}");
            }
            if let Some(x) = &e.text {
                let _ = write!(s, " {x:?}");
            }
        }
        EventKind::Note => {
            let _ = write!(
                s,
                "note {}{msg} {:?}",
                e.from.as_deref().unwrap_or("?"),
                e.text.as_deref().unwrap_or("")
            );
        }
        EventKind::Return => {
            let _ = write!(s, "return {}", e.method.as_deref().unwrap_or("?"));
        }
    }
    s
}

/// The run as the failure message shows it: key calls, property changes, timers, notes.
pub fn outline(t: &Trace) -> Vec<String> {
    let rets = return_index(t);
    t.events
        .iter()
        .enumerate()
        .filter(|(_, e)| match e.kind {
            EventKind::Call => e
                .method
                .as_deref()
                .is_some_and(|m| KEY_METHODS.contains(&m)),
            EventKind::Return => false,
            _ => true,
        })
        .map(|(i, e)| format!("{}{}", "  ".repeat(e.depth as usize), render(t, &rets, i)))
        .collect()
}

// ---------------------------------------------------------------------------------------
// The expectation file
// ---------------------------------------------------------------------------------------

/// `Some(None)` in an expectation = "must be absent / null" (written `"none"`).
type Nullable<T> = Option<Option<T>>;

#[derive(Debug, Default)]
struct Expect {
    end: String,
    end_t: Option<f64>,
    warnings: Vec<String>,
    messages: Vec<(String, String)>,
    recipients: Option<Vec<ExpRecipient>>,
    recipient_counts: Option<Vec<(String, usize)>>,
    /// `None` when `report_counts` is given instead.
    reports: Option<Vec<ExpReport>>,
    report_counts: Option<Vec<(String, usize)>>,
    /// Keep a digest of the JSON instead of the JSON (for traces of several megabytes).
    digest_snapshot: bool,
    blocks: Vec<Block>,
}

#[derive(Debug)]
struct Block {
    exact: bool,
    /// Only events at or after this virtual time take part.
    from_t: Option<f64>,
    only: Option<Vec<Selector>>,
    steps: Vec<Step>,
    label: String,
}

/// What kind of trace event a step or an `only` entry names.
#[derive(Debug, Clone)]
enum Selector {
    Call {
        from: Option<String>,
        to: Option<String>,
        method: String,
    },
    Property(Option<String>),
    Timer(Option<String>),
    Note(Option<String>),
}

impl Selector {
    fn parse_call(s: &str) -> Result<Selector, String> {
        let s = s.trim();
        let (ends, method) = match s.split_once(' ') {
            Some((a, b)) => (Some(a.trim()), b.trim()),
            None => (None, s),
        };
        if method.is_empty() || method.contains(' ') {
            return Err(format!(
                "call = {s:?}: write \"Method\" or \"from>to Method\""
            ));
        }
        let (from, to) = match ends {
            None => (None, None),
            Some(e) => match e.split_once('>') {
                Some((f, t)) => (
                    (!f.is_empty() && f != "*").then(|| f.to_string()),
                    (!t.is_empty() && t != "*").then(|| t.to_string()),
                ),
                None => {
                    return Err(format!(
                        "call = {s:?}: the lifelines are written \"from>to\""
                    ))
                }
            },
        };
        Ok(Selector::Call {
            from,
            to,
            method: method.to_string(),
        })
    }

    fn parse_only(s: &str) -> Result<Selector, String> {
        match s {
            "property" => Ok(Selector::Property(None)),
            "timer" => Ok(Selector::Timer(None)),
            "note" => Ok(Selector::Note(None)),
            _ => Selector::parse_call(s),
        }
    }

    /// The same kind of event with its name or text left open (for "nearest" hints).
    fn loose(&self) -> Selector {
        match self {
            Selector::Call { method, .. } => Selector::Call {
                from: None,
                to: None,
                method: method.clone(),
            },
            Selector::Property(_) => Selector::Property(None),
            Selector::Timer(_) => Selector::Timer(None),
            Selector::Note(_) => Selector::Note(None),
        }
    }

    fn describe_miss(&self, e: &Event) -> String {
        match self {
            Selector::Call { from, to, method } => format!(
                "lifelines: expected {}>{} {method}, found {}>{}",
                from.as_deref().unwrap_or("*"),
                to.as_deref().unwrap_or("*"),
                e.from.as_deref().unwrap_or("?"),
                e.to.as_deref().unwrap_or("?")
            ),
            Selector::Property(p) => format!(
                "property: expected {}, found {}",
                p.as_deref().unwrap_or("*"),
                e.property.as_deref().unwrap_or("?")
            ),
            Selector::Timer(n) => format!(
                "timer: expected {}, found {}",
                n.as_deref().unwrap_or("*"),
                e.timer.as_deref().unwrap_or("?")
            ),
            Selector::Note(n) => format!(
                "note: expected text containing {:?}",
                n.as_deref().unwrap_or("")
            ),
        }
    }

    fn selects(&self, e: &Event) -> bool {
        match (self, e.kind) {
            (Selector::Call { from, to, method }, EventKind::Call) => {
                e.method.as_deref() == Some(method.as_str())
                    && from.as_ref().is_none_or(|f| e.from.as_deref() == Some(f))
                    && to.as_ref().is_none_or(|t| e.to.as_deref() == Some(t))
            }
            (Selector::Property(p), EventKind::Property) => {
                p.as_ref().is_none_or(|p| e.property.as_deref() == Some(p))
            }
            (Selector::Timer(n), EventKind::Timer) => {
                n.as_ref().is_none_or(|n| e.timer.as_deref() == Some(n))
            }
            (Selector::Note(n), EventKind::Note) => n
                .as_ref()
                .is_none_or(|n| e.text.as_deref().is_some_and(|t| t.contains(n.as_str()))),
            _ => false,
        }
    }
}

#[derive(Debug, Default)]
struct Step {
    what: Option<Selector>,
    src: String,
    t: Option<f64>,
    ret_t: Option<f64>,
    depth: Option<u32>,
    message: Nullable<String>,
    flags: Option<Vec<String>>,
    ret_flags: Option<Vec<String>>,
    offered: Option<Vec<u32>>,
    attempt: Option<u32>,
    reference: Nullable<u64>,
    result: Option<String>,
    return_parm: Nullable<u64>,
    entries: Option<Vec<ExpEntry>>,
    by: Option<String>,
    to: Option<String>,
    recipient: Option<u32>,
    value: Option<PropValue>,
    due: Option<f64>,
    text: Option<String>,
}

#[derive(Debug, Default)]
struct ExpEntry {
    recipient: Option<u32>,
    report: Option<String>,
    reason: Nullable<i32>,
    diag: Nullable<i32>,
    text: Nullable<String>,
}

#[derive(Debug, Default)]
struct ExpRecipient {
    message: String,
    index: u32,
    name: Option<String>,
    address: Option<String>,
    addr_type: Option<String>,
    recipient_type: Option<String>,
    status: Option<String>,
    transport: Nullable<String>,
    responsibility: Option<bool>,
    report: Nullable<String>,
    reason: Nullable<i32>,
    diag: Nullable<i32>,
    text: Nullable<String>,
}

#[derive(Debug, Default)]
struct ExpReport {
    message: String,
    kind: String,
    source: Option<String>,
    recipients: Option<Vec<u32>>,
    class: Option<String>,
}

/// Reads one TOML table, refusing keys nobody asked for.
struct Reader<'a> {
    table: &'a toml::Table,
    ctx: String,
    used: Vec<String>,
}

impl<'a> Reader<'a> {
    fn new(table: &'a toml::Table, ctx: impl Into<String>) -> Self {
        Reader {
            table,
            ctx: ctx.into(),
            used: Vec::new(),
        }
    }

    fn get(&mut self, key: &str) -> Option<&'a toml::Value> {
        self.used.push(key.to_string());
        self.table.get(key)
    }

    fn err(&self, key: &str, what: &str) -> String {
        format!("{}: `{key}` {what}", self.ctx)
    }

    fn is_none_word(v: &toml::Value) -> bool {
        v.as_str() == Some("none")
    }

    fn string(&mut self, key: &str) -> Result<Option<String>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.err(key, "must be a string")),
        }
    }

    fn req_string(&mut self, key: &str) -> Result<String, String> {
        self.string(key)?
            .ok_or_else(|| self.err(key, "is required"))
    }

    fn nullable_string(&mut self, key: &str) -> Result<Nullable<String>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(v) if Self::is_none_word(v) => Ok(Some(None)),
            Some(toml::Value::String(s)) => Ok(Some(Some(s.clone()))),
            Some(_) => Err(self.err(key, "must be a string (or \"none\")")),
        }
    }

    fn float(&mut self, key: &str) -> Result<Option<f64>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(toml::Value::Integer(i)) => Ok(Some(*i as f64)),
            Some(toml::Value::Float(f)) => Ok(Some(*f)),
            Some(_) => Err(self.err(key, "must be a number of seconds")),
        }
    }

    fn int(&mut self, key: &str) -> Result<Option<i64>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(toml::Value::Integer(i)) => Ok(Some(*i)),
            Some(_) => Err(self.err(key, "must be an integer")),
        }
    }

    fn u32(&mut self, key: &str) -> Result<Option<u32>, String> {
        match self.int(key)? {
            None => Ok(None),
            Some(i) => u32::try_from(i)
                .map(Some)
                .map_err(|_| self.err(key, "must be a non-negative integer")),
        }
    }

    fn nullable_u64(&mut self, key: &str) -> Result<Nullable<u64>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(v) if Self::is_none_word(v) => Ok(Some(None)),
            Some(toml::Value::Integer(i)) if *i >= 0 => Ok(Some(Some(*i as u64))),
            Some(_) => Err(self.err(key, "must be a non-negative integer (or \"none\")")),
        }
    }

    fn bool(&mut self, key: &str) -> Result<Option<bool>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(toml::Value::Boolean(b)) => Ok(Some(*b)),
            Some(_) => Err(self.err(key, "must be true or false")),
        }
    }

    fn array(&mut self, key: &str) -> Result<Option<&'a Vec<toml::Value>>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(toml::Value::Array(a)) => Ok(Some(a)),
            Some(_) => Err(self.err(key, "must be an array")),
        }
    }

    fn strings(&mut self, key: &str) -> Result<Option<Vec<String>>, String> {
        let Some(a) = self.array(key)? else {
            return Ok(None);
        };
        a.iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| self.err(key, "must be an array of strings"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    fn u32s(&mut self, key: &str) -> Result<Option<Vec<u32>>, String> {
        let Some(a) = self.array(key)? else {
            return Ok(None);
        };
        a.iter()
            .map(|v| {
                v.as_integer()
                    .and_then(|i| u32::try_from(i).ok())
                    .ok_or_else(|| self.err(key, "must be an array of recipient indexes"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// An NDR reason or diagnostic: a name from model §6.5 (resolved through
    /// `spoolscope_contract::consts`), an integer, or "none".
    fn code(&mut self, key: &str, table: &[(&str, i32)]) -> Result<Nullable<i32>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(v) if Self::is_none_word(v) => Ok(Some(None)),
            Some(toml::Value::String(s)) => table
                .iter()
                .find(|(n, _)| n == s)
                .map(|(_, v)| Some(Some(*v)))
                .ok_or_else(|| {
                    self.err(
                        key,
                        &format!("names {s:?}, which is not a code of model §6.5"),
                    )
                }),
            Some(toml::Value::Integer(i)) => i32::try_from(*i)
                .map(|v| Some(Some(v)))
                .map_err(|_| self.err(key, "is out of range")),
            Some(_) => Err(self.err(key, "must be a code name, a number or \"none\"")),
        }
    }

    fn finish(self) -> Result<(), String> {
        for k in self.table.keys() {
            if !self.used.iter().any(|u| u == k) {
                let mut known = self.used.clone();
                known.sort();
                known.dedup();
                return Err(format!(
                    "{}: unknown key `{k}` (known here: {})",
                    self.ctx,
                    known.join(", ")
                ));
            }
        }
        Ok(())
    }
}

fn known_flag(name: &str) -> bool {
    name.starts_with("0x") || consts::trace_flag_names().any(|n| n == name)
}

fn check_flags(ctx: &str, key: &str, v: &Option<Vec<String>>) -> Result<(), String> {
    for f in v.iter().flatten() {
        if !known_flag(f) {
            return Err(format!(
                "{ctx}: `{key}` names {f:?}, which is not a MAPI flag (model §13.2)"
            ));
        }
    }
    Ok(())
}

const RECIPIENT_STATUSES: &[&str] = &[
    "sent",
    "delivered",
    "failed",
    "no_transport",
    "deferred",
    "cancelled",
    "pending",
];
const MESSAGE_STATUSES: &[&str] = &[
    "sent_items",
    "deleted",
    "kept",
    "deferred",
    "aborted",
    "cancelled",
    "queued",
    "withdrawn",
    "not_submitted",
];

/// A TOML value written back the way an expect file spells it (for failure messages).
fn show_toml(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => format!("{s:?}"),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Datetime(d) => format!("{d:?}"),
        toml::Value::Array(a) => {
            let items: Vec<String> = a.iter().map(show_toml).collect();
            format!("[{}]", items.join(", "))
        }
        toml::Value::Table(t) => {
            // Keys in the order a reader expects, then the rest alphabetically.
            const FIRST: &[&str] = &["t", "call", "prop", "timer", "note", "by", "to", "message"];
            let mut keys: Vec<&String> = t.keys().collect();
            keys.sort_by_key(|k| {
                (
                    FIRST.iter().position(|f| f == k).unwrap_or(FIRST.len()),
                    k.as_str(),
                )
            });
            let items: Vec<String> = keys
                .iter()
                .map(|k| format!("{k} = {}", show_toml(&t[k.as_str()])))
                .collect();
            format!("{{ {} }}", items.join(", "))
        }
    }
}

fn parse_step(v: &toml::Value, ctx: &str) -> Result<Step, String> {
    let table = v
        .as_table()
        .ok_or_else(|| format!("{ctx}: a step is an inline table {{ call = \"…\", … }}"))?;
    let mut r = Reader::new(table, ctx);
    let mut s = Step {
        src: show_toml(v),
        ..Step::default()
    };
    let call = r.string("call")?;
    let prop = r.string("prop")?;
    let timer = r.string("timer")?;
    let note = r.string("note")?;
    s.what = Some(match (call, prop, timer, note) {
        (Some(c), None, None, None) => {
            Selector::parse_call(&c).map_err(|e| format!("{ctx}: {e}"))?
        }
        (None, Some(p), None, None) => Selector::Property(Some(p)),
        (None, None, Some(t), None) => Selector::Timer(Some(t)),
        (None, None, None, Some(n)) => Selector::Note(Some(n)),
        _ => {
            return Err(format!(
                "{ctx}: a step has exactly one of `call`, `prop`, `timer`, `note`"
            ))
        }
    });
    s.t = r.float("t")?;
    s.ret_t = r.float("ret_t")?;
    s.depth = r.u32("depth")?;
    s.message = r.nullable_string("message")?;
    s.flags = r.strings("flags")?;
    s.ret_flags = r.strings("ret_flags")?;
    check_flags(ctx, "flags", &s.flags)?;
    check_flags(ctx, "ret_flags", &s.ret_flags)?;
    s.offered = r.u32s("offered")?;
    s.attempt = r.u32("attempt")?;
    s.reference = r.nullable_u64("reference")?;
    s.result = r.string("result")?;
    if let Some(res) = &s.result {
        if !consts::HRESULTS.iter().any(|(n, _)| n == res) && !res.starts_with("0x") {
            return Err(format!(
                "{ctx}: `result` names {res:?}, which is not an HRESULT of model §13.1"
            ));
        }
    }
    s.return_parm = r.nullable_u64("return_parm")?;
    if let Some(a) = r.array("entries")? {
        let mut out = Vec::new();
        for (i, e) in a.iter().enumerate() {
            let ectx = format!("{ctx}, entries[{i}]");
            let t = e
                .as_table()
                .ok_or_else(|| format!("{ectx}: an entry is an inline table"))?;
            let mut er = Reader::new(t, ectx);
            let entry = ExpEntry {
                recipient: er.u32("recipient")?,
                report: er.string("report")?,
                reason: er.code("reason", consts::REASONS)?,
                diag: er.code("diag", consts::DIAGS)?,
                text: er.nullable_string("text")?,
            };
            er.finish()?;
            out.push(entry);
        }
        s.entries = Some(out);
    }
    s.by = r.string("by")?;
    s.to = r.string("to")?;
    s.recipient = r.u32("recipient")?;
    s.value = match r.get("value") {
        None => None,
        Some(toml::Value::Boolean(b)) => Some(PropValue::Bool(*b)),
        Some(toml::Value::Integer(i)) => Some(PropValue::Int(*i)),
        Some(toml::Value::String(x)) => Some(PropValue::Text(x.clone())),
        Some(_) => return Err(format!("{ctx}: `value` must be a bool, integer or string")),
    };
    s.due = r.float("due")?;
    s.text = r.string("text")?;
    r.finish()?;
    Ok(s)
}

fn parse_expect(text: &str) -> Result<Expect, String> {
    let doc: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut r = Reader::new(&doc, "top level");
    let mut x = Expect {
        end: r.req_string("end")?,
        end_t: r.float("end_t")?,
        ..Expect::default()
    };
    if !["idle", "until", "limit", "script_error"].contains(&x.end.as_str()) {
        return Err(format!(
            "`end` = {:?}: expected idle, until, limit or script_error",
            x.end
        ));
    }
    x.warnings = r
        .strings("warnings")?
        .ok_or("top level: `warnings` is required (write [] for a clean run)")?;
    match r.get("messages") {
        Some(toml::Value::Table(t)) => {
            for (k, v) in t {
                let st = v
                    .as_str()
                    .ok_or_else(|| format!("messages.{k} must be a status string"))?;
                if !MESSAGE_STATUSES.contains(&st) {
                    return Err(format!(
                        "messages.{k} = {st:?}: expected one of {}",
                        MESSAGE_STATUSES.join(", ")
                    ));
                }
                x.messages.push((k.clone(), st.to_string()));
            }
        }
        Some(_) => return Err("`messages` is a table { m1 = \"sent_items\", … }".into()),
        None => return Err("top level: `messages` is required".into()),
    }
    if let Some(a) = r.array("recipients")? {
        let mut out = Vec::new();
        for (i, v) in a.iter().enumerate() {
            let ctx = format!("recipients[{i}]");
            let t = v
                .as_table()
                .ok_or_else(|| format!("{ctx}: a recipient is an inline table"))?;
            let mut rr = Reader::new(t, ctx.clone());
            let rec = ExpRecipient {
                message: rr.req_string("message")?,
                index: rr
                    .u32("index")?
                    .ok_or_else(|| format!("{ctx}: `index` is required"))?,
                name: rr.string("name")?,
                address: rr.string("address")?,
                addr_type: rr.string("type")?,
                recipient_type: rr.string("recipient_type")?,
                status: rr.string("status")?,
                transport: rr.nullable_string("transport")?,
                responsibility: rr.bool("responsibility")?,
                report: rr.nullable_string("report")?,
                reason: rr.code("reason", consts::REASONS)?,
                diag: rr.code("diag", consts::DIAGS)?,
                text: rr.nullable_string("text")?,
            };
            rr.finish()?;
            if let Some(st) = &rec.status {
                if !RECIPIENT_STATUSES.contains(&st.as_str()) {
                    return Err(format!(
                        "{ctx}: status {st:?}: expected one of {}",
                        RECIPIENT_STATUSES.join(", ")
                    ));
                }
            }
            out.push(rec);
        }
        x.recipients = Some(out);
    }
    match r.get("recipient_counts") {
        None => {}
        Some(toml::Value::Table(t)) => {
            let mut out = Vec::new();
            for (k, v) in t {
                if !RECIPIENT_STATUSES.contains(&k.as_str()) {
                    return Err(format!("recipient_counts.{k}: not a recipient status"));
                }
                let n = v
                    .as_integer()
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| format!("recipient_counts.{k} must be a count"))?;
                out.push((k.clone(), n));
            }
            x.recipient_counts = Some(out);
        }
        Some(_) => return Err("`recipient_counts` is a table { sent = 3, … }".into()),
    }
    if x.recipients.is_none() && x.recipient_counts.is_none() {
        return Err("top level: give `recipients` (every recipient) or `recipient_counts`".into());
    }
    x.digest_snapshot = match r.string("snapshot")?.as_deref() {
        None | Some("full") => false,
        Some("digest") => true,
        Some(other) => {
            return Err(format!(
                "snapshot = {other:?}: expected \"full\" (NAME.trace.json) or \"digest\" (NAME.trace.digest)"
            ))
        }
    };
    match r.get("report_counts") {
        None => {}
        Some(toml::Value::Table(t)) => {
            let mut out = Vec::new();
            for (k, v) in t {
                if k != "DR" && k != "NDR" {
                    return Err(format!("report_counts.{k}: expected DR or NDR"));
                }
                let n = v
                    .as_integer()
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| format!("report_counts.{k} must be a count"))?;
                out.push((k.clone(), n));
            }
            x.report_counts = Some(out);
        }
        Some(_) => return Err("`report_counts` is a table { DR = 3, NDR = 1 }".into()),
    }
    let reports = match (r.array("reports")?, &x.report_counts) {
        (Some(a), None) => a,
        (None, Some(_)) => return finish_expect(x, r),
        (Some(_), Some(_)) => return Err("give `reports` or `report_counts`, not both".into()),
        (None, None) => {
            return Err("top level: `reports` is required (write [] when none are produced)".into())
        }
    };
    let mut list = Vec::new();
    for (i, v) in reports.iter().enumerate() {
        let ctx = format!("reports[{i}]");
        let t = v
            .as_table()
            .ok_or_else(|| format!("{ctx}: a report is an inline table"))?;
        let mut rr = Reader::new(t, ctx.clone());
        let rep = ExpReport {
            message: rr.req_string("message")?,
            kind: rr.req_string("kind")?,
            source: rr.string("source")?,
            recipients: rr.u32s("recipients")?,
            class: rr.string("class")?,
        };
        rr.finish()?;
        if rep.kind != "DR" && rep.kind != "NDR" {
            return Err(format!("{ctx}: kind must be \"DR\" or \"NDR\""));
        }
        list.push(rep);
    }
    x.reports = Some(list);
    finish_expect(x, r)
}

/// The `[[calls]]` blocks, then the check for unknown top-level keys.
fn finish_expect(mut x: Expect, mut r: Reader<'_>) -> Result<Expect, String> {
    let blocks = r
        .array("calls")?
        .ok_or("top level: at least one [[calls]] block is required")?;
    for (bi, b) in blocks.iter().enumerate() {
        let bctx = format!("[[calls]] #{}", bi + 1);
        let t = b
            .as_table()
            .ok_or_else(|| format!("{bctx}: must be a table"))?;
        let mut br = Reader::new(t, bctx.clone());
        let mode = br.string("match")?.unwrap_or_else(|| "subsequence".into());
        let exact = match mode.as_str() {
            "subsequence" => false,
            "exact" => true,
            other => {
                return Err(format!(
                    "{bctx}: match = {other:?}: expected \"subsequence\" or \"exact\""
                ))
            }
        };
        let only = match br.strings("only")? {
            None => None,
            Some(list) => {
                if !exact {
                    return Err(format!("{bctx}: `only` applies to match = \"exact\""));
                }
                Some(
                    list.iter()
                        .map(|s| Selector::parse_only(s).map_err(|e| format!("{bctx}: {e}")))
                        .collect::<Result<Vec<_>, _>>()?,
                )
            }
        };
        let label = br.string("label")?.unwrap_or_default();
        let from_t = br.float("from_t")?;
        let steps = br
            .array("steps")?
            .ok_or_else(|| format!("{bctx}: `steps` is required"))?;
        let steps = steps
            .iter()
            .enumerate()
            .map(|(i, s)| parse_step(s, &format!("{bctx} steps[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        br.finish()?;
        x.blocks.push(Block {
            exact,
            from_t,
            only,
            steps,
            label,
        });
    }
    r.finish()?;
    Ok(x)
}

// ---------------------------------------------------------------------------------------
// Checking
// ---------------------------------------------------------------------------------------

fn same_t(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn opt_str(v: &Option<String>) -> String {
    match v {
        Some(s) => format!("{s:?}"),
        None => "none".into(),
    }
}

fn opt_num<T: std::fmt::Display>(v: &Option<T>) -> String {
    match v {
        Some(s) => s.to_string(),
        None => "none".into(),
    }
}

/// Differences between step `s` and the event at index `i` (with its return). Empty = match.
/// `None` when the event is not of the step's kind at all.
fn step_diff(s: &Step, t: &Trace, rets: &[Option<usize>], i: usize) -> Option<Vec<String>> {
    step_diff_in(s, t, rets, i, false)
}

/// [`step_diff`]; with `loose`, an event of the same kind whose lifelines, name or text
/// differ is compared too (the difference is listed), for "nearest" hints.
fn step_diff_in(
    s: &Step,
    t: &Trace,
    rets: &[Option<usize>],
    i: usize,
    loose: bool,
) -> Option<Vec<String>> {
    let e = &t.events[i];
    let what = s.what.as_ref()?;
    let mut d = Vec::new();
    if !what.selects(e) {
        if !loose || !what.loose().selects(e) {
            return None;
        }
        d.push(what.describe_miss(e));
    }
    let ret = rets[i].map(|j| &t.events[j]);
    if let Some(x) = s.t {
        if !same_t(x, e.t) {
            d.push(format!("t: expected {x}, found {}", e.t));
        }
    }
    if let Some(x) = s.ret_t {
        match ret {
            Some(r) if same_t(r.t, x) => {}
            Some(r) => d.push(format!("ret_t: expected {x}, found {}", r.t)),
            None => d.push("ret_t: the call never returns".into()),
        }
    }
    if let Some(x) = s.depth {
        if x != e.depth {
            d.push(format!("depth: expected {x}, found {}", e.depth));
        }
    }
    if let Some(x) = &s.message {
        if x.as_deref() != e.message.as_deref() {
            d.push(format!(
                "message: expected {}, found {}",
                opt_str(x),
                opt_str(&e.message)
            ));
        }
    }
    if let Some(x) = &s.flags {
        if Some(x) != e.flags.as_ref() {
            d.push(format!(
                "flags: expected {}, found {}",
                list(x),
                e.flags.as_deref().map(list).unwrap_or("none".into())
            ));
        }
    }
    if let Some(x) = &s.ret_flags {
        let found = ret.and_then(|r| r.flags.as_ref());
        if Some(x) != found {
            d.push(format!(
                "ret_flags: expected {}, found {}",
                list(x),
                found.map(|f| list(f)).unwrap_or("none".into())
            ));
        }
    }
    if let Some(x) = &s.offered {
        if Some(x) != e.offered.as_ref() {
            d.push(format!(
                "offered: expected {}, found {}",
                list(x),
                e.offered.as_deref().map(list).unwrap_or("none".into())
            ));
        }
    }
    if let Some(x) = s.attempt {
        if Some(x) != e.attempt {
            d.push(format!(
                "attempt: expected {x}, found {}",
                opt_num(&e.attempt)
            ));
        }
    }
    if let Some(x) = &s.reference {
        let found = e.reference.or(ret.and_then(|r| r.reference));
        if *x != found {
            d.push(format!(
                "reference: expected {}, found {}",
                opt_num(x),
                opt_num(&found)
            ));
        }
    }
    if let Some(x) = &s.result {
        let found = ret.and_then(|r| r.result.clone());
        if Some(x) != found.as_ref() {
            d.push(format!("result: expected {x}, found {}", opt_str(&found)));
        }
    }
    if let Some(x) = &s.return_parm {
        let found = ret.and_then(|r| r.return_parm);
        if *x != found {
            d.push(format!(
                "return_parm: expected {}, found {}",
                opt_num(x),
                opt_num(&found)
            ));
        }
    }
    if let Some(x) = &s.entries {
        match &e.entries {
            None => d.push("entries: expected some, found none".into()),
            Some(found) if found.len() != x.len() => d.push(format!(
                "entries: expected {} entr(ies), found {}",
                x.len(),
                show_entries(found)
            )),
            Some(found) => {
                for (k, (xe, fe)) in x.iter().zip(found).enumerate() {
                    let mut bad = Vec::new();
                    if xe.recipient.is_some_and(|r| r != fe.recipient) {
                        bad.push("recipient");
                    }
                    if xe.report.as_ref().is_some_and(|r| *r != fe.report) {
                        bad.push("report");
                    }
                    if xe.reason.is_some_and(|r| r != fe.reason) {
                        bad.push("reason");
                    }
                    if xe.diag.is_some_and(|r| r != fe.diag) {
                        bad.push("diag");
                    }
                    if xe.text.as_ref().is_some_and(|r| *r != fe.text) {
                        bad.push("text");
                    }
                    if !bad.is_empty() {
                        d.push(format!(
                            "entries[{k}] {}: found {}",
                            bad.join(", "),
                            show_entries(std::slice::from_ref(fe))
                        ));
                    }
                }
            }
        }
    }
    if let Some(x) = &s.by {
        if Some(x) != e.from.as_ref() {
            d.push(format!("by: expected {x:?}, found {}", opt_str(&e.from)));
        }
    }
    if let Some(x) = &s.to {
        if Some(x) != e.to.as_ref() {
            d.push(format!("to: expected {x:?}, found {}", opt_str(&e.to)));
        }
    }
    if let Some(x) = s.recipient {
        if Some(x) != e.recipient {
            d.push(format!(
                "recipient: expected {x}, found {}",
                opt_num(&e.recipient)
            ));
        }
    }
    if let Some(x) = &s.value {
        if Some(x) != e.value.as_ref() {
            d.push(format!(
                "value: expected {}, found {}",
                show_value(x),
                e.value.as_ref().map(show_value).unwrap_or("none".into())
            ));
        }
    }
    if let Some(x) = s.due {
        if !e.due.is_some_and(|f| same_t(f, x)) {
            d.push(format!("due: expected {x}, found {}", opt_num(&e.due)));
        }
    }
    if let Some(x) = &s.text {
        let hay = [e.text.as_deref(), ret.and_then(|r| r.text.as_deref())];
        if !hay.iter().flatten().any(|h| h.contains(x.as_str())) {
            d.push(format!(
                "text: expected to contain {x:?}, found {}",
                opt_str(&e.text)
            ));
        }
    }
    Some(d)
}

impl Block {
    fn selected(&self, e: &Event) -> bool {
        if self.from_t.is_some_and(|f| e.t < f - 1e-9) {
            return false;
        }
        match &self.only {
            Some(list) => list.iter().any(|s| s.selects(e)),
            None => match e.kind {
                EventKind::Call => e
                    .method
                    .as_deref()
                    .is_some_and(|m| KEY_METHODS.contains(&m)),
                EventKind::Property => true,
                _ => false,
            },
        }
    }

    fn name(&self, n: usize) -> String {
        let mode = match self.from_t {
            Some(f) if self.exact => format!("exact from t={f}"),
            Some(f) => format!("subsequence from t={f}"),
            None if self.exact => "exact".into(),
            None => "subsequence".into(),
        };
        if self.label.is_empty() {
            format!("[[calls]] #{n} ({mode})")
        } else {
            format!("[[calls]] #{n} ({mode}: {})", self.label)
        }
    }

    fn check(&self, n: usize, t: &Trace, rets: &[Option<usize>], out: &mut Vec<String>) {
        if self.exact {
            let actual: Vec<usize> = (0..t.events.len())
                .filter(|i| self.selected(&t.events[*i]))
                .collect();
            let mut reported = 0;
            for (k, s) in self.steps.iter().enumerate() {
                if reported >= 5 {
                    out.push(format!("{}: (further steps not compared)", self.name(n)));
                    return;
                }
                let Some(&i) = actual.get(k) else {
                    out.push(format!(
                        "{}: step {} {} expected, but the run has only {} such events",
                        self.name(n),
                        k + 1,
                        s.src,
                        actual.len()
                    ));
                    return;
                };
                match step_diff(s, t, rets, i) {
                    Some(d) if d.is_empty() => {}
                    Some(d) => {
                        out.push(format!(
                            "{}: step {} {}\n  found {}\n  {}",
                            self.name(n),
                            k + 1,
                            s.src,
                            render(t, rets, i),
                            d.join("; ")
                        ));
                        // A value differs: later steps still line up, keep comparing.
                        reported += 1;
                    }
                    None => {
                        out.push(format!(
                            "{}: step {} {}\n  found a different event: {}",
                            self.name(n),
                            k + 1,
                            s.src,
                            render(t, rets, i)
                        ));
                        return;
                    }
                }
            }
            if actual.len() > self.steps.len() {
                let extra: Vec<String> = actual[self.steps.len()..]
                    .iter()
                    .take(5)
                    .map(|i| render(t, rets, *i))
                    .collect();
                out.push(format!(
                    "{}: the run has {} more event(s) after the last step, first: {}",
                    self.name(n),
                    actual.len() - self.steps.len(),
                    extra.join(" | ")
                ));
            }
            return;
        }
        // Subsequence: greedy earliest match, in order.
        let mut from = match self.from_t {
            Some(f) => t
                .events
                .iter()
                .position(|e| e.t >= f - 1e-9)
                .unwrap_or(t.events.len()),
            None => 0,
        };
        for (k, s) in self.steps.iter().enumerate() {
            let hit = (from..t.events.len())
                .find(|i| step_diff(s, t, rets, *i).is_some_and(|d| d.is_empty()));
            match hit {
                Some(i) => from = i + 1,
                None => {
                    let mut msg = format!(
                        "{}: step {} not found{}:\n  expected {}",
                        self.name(n),
                        k + 1,
                        if from > 0 {
                            format!(" after #{}", t.events[from - 1].seq)
                        } else {
                            String::new()
                        },
                        s.src
                    );
                    // The closest events of that kind: fewest differences first.
                    let mut near: Vec<(usize, Vec<String>)> = (from..t.events.len())
                        .filter_map(|i| step_diff_in(s, t, rets, i, true).map(|d| (i, d)))
                        .collect();
                    near.sort_by_key(|(i, d)| (d.len(), *i));
                    near.truncate(3);
                    for (i, d) in &near {
                        let _ = write!(
                            msg,
                            "\n  nearest: {}\n    {}",
                            render(t, rets, *i),
                            d.join("; ")
                        );
                    }
                    if near.is_empty() {
                        let _ = write!(msg, "\n  (no event of that kind follows)");
                    }
                    if let Some(i) =
                        (0..from).find(|i| step_diff(s, t, rets, *i).is_some_and(|d| d.is_empty()))
                    {
                        let _ = write!(
                            msg,
                            "\n  it does occur earlier, at {} (wrong order?)",
                            render(t, rets, i)
                        );
                    }
                    out.push(msg);
                    return;
                }
            }
        }
    }
}

impl Expect {
    fn check(&self, t: &Trace) -> Vec<String> {
        let mut out = Vec::new();
        if t.end.reason != self.end {
            out.push(format!(
                "end: expected {:?}, found {:?} at t={} ({})",
                self.end,
                t.end.reason,
                t.end.t,
                t.end.text.as_deref().unwrap_or("")
            ));
        }
        if let Some(x) = self.end_t {
            if !same_t(x, t.end.t) {
                out.push(format!("end_t: expected {x}, found {}", t.end.t));
            }
        }
        let codes: Vec<&str> = t.warnings.iter().map(|w| w.code.as_str()).collect();
        if codes != self.warnings.iter().map(String::as_str).collect::<Vec<_>>() {
            out.push(format!(
                "warnings: expected {:?}, found {:?}",
                self.warnings, codes
            ));
        }
        // Messages: every message, by id.
        for m in &t.messages {
            match self.messages.iter().find(|(id, _)| *id == m.id) {
                None => out.push(format!(
                    "messages: {} (status {:?}) is not listed",
                    m.id, m.status
                )),
                Some((_, st)) if *st != m.status => out.push(format!(
                    "messages.{}: expected {st:?}, found {:?}",
                    m.id, m.status
                )),
                _ => {}
            }
        }
        for (id, _) in &self.messages {
            if !t.messages.iter().any(|m| m.id == *id) {
                out.push(format!("messages: the run has no message {id:?}"));
            }
        }
        if let Some(rs) = &self.recipients {
            self.check_recipients(rs, t, &mut out);
        }
        if let Some(counts) = &self.recipient_counts {
            for st in RECIPIENT_STATUSES {
                let found = t.recipients.iter().filter(|r| r.status == *st).count();
                let want = counts
                    .iter()
                    .find(|(k, _)| k == st)
                    .map(|(_, n)| *n)
                    .unwrap_or(0);
                if found != want {
                    out.push(format!(
                        "recipient_counts.{st}: expected {want}, found {found}"
                    ));
                }
            }
        }
        if let Some(counts) = &self.report_counts {
            for kind in ["DR", "NDR"] {
                let found = t.reports.iter().filter(|r| r.kind == kind).count();
                let want = counts
                    .iter()
                    .find(|(k, _)| k == kind)
                    .map(|(_, n)| *n)
                    .unwrap_or(0);
                if found != want {
                    out.push(format!(
                        "report_counts.{kind}: expected {want}, found {found}"
                    ));
                }
            }
        }
        if let Some(reports) = &self.reports {
            self.check_reports(reports, t, &mut out);
        }
        let rets = return_index(t);
        for (n, b) in self.blocks.iter().enumerate() {
            b.check(n + 1, t, &rets, &mut out);
        }
        out
    }

    /// Reports: the exact list, in order.
    fn check_reports(&self, reports: &[ExpReport], t: &Trace, out: &mut Vec<String>) {
        let shown: Vec<String> = t
            .reports
            .iter()
            .map(|r| {
                format!(
                    "{} {} by {} for {}",
                    r.message,
                    r.kind,
                    r.source,
                    list(&r.recipients)
                )
            })
            .collect();
        if t.reports.len() != reports.len() {
            out.push(format!(
                "reports: expected {}, found {}: {shown:?}",
                reports.len(),
                t.reports.len()
            ));
        } else {
            for (k, (x, f)) in reports.iter().zip(&t.reports).enumerate() {
                let ok = x.message == f.message
                    && x.kind == f.kind
                    && x.source.as_ref().is_none_or(|s| *s == f.source)
                    && x.recipients.as_ref().is_none_or(|r| *r == f.recipients)
                    && x.class.as_ref().is_none_or(|c| *c == f.class);
                if !ok {
                    out.push(format!(
                        "reports[{k}]: expected {} {} by {} for {}, found {}",
                        x.message,
                        x.kind,
                        opt_str(&x.source),
                        x.recipients.as_deref().map(list).unwrap_or("*".into()),
                        shown[k]
                    ));
                }
            }
        }
    }

    fn check_recipients(&self, rs: &[ExpRecipient], t: &Trace, out: &mut Vec<String>) {
        for row in &t.recipients {
            if !rs
                .iter()
                .any(|x| x.message == row.message && x.index == row.index)
            {
                out.push(format!(
                    "recipients: {} #{} ({}, status {:?}) is not listed",
                    row.message, row.index, row.address, row.status
                ));
            }
        }
        for x in rs {
            let Some(row) = t
                .recipients
                .iter()
                .find(|r| r.message == x.message && r.index == x.index)
            else {
                out.push(format!(
                    "recipients: the run has no recipient {} #{}",
                    x.message, x.index
                ));
                continue;
            };
            let who = format!("recipient {} #{} ({})", x.message, x.index, row.name);
            let mut d = Vec::new();
            let mut cmp = |what: &str, want: Option<String>, found: String| {
                if let Some(w) = want {
                    if w != found {
                        d.push(format!("{what}: expected {w}, found {found}"));
                    }
                }
            };
            cmp("name", x.name.clone(), row.name.clone());
            cmp("address", x.address.clone(), row.address.clone());
            cmp("type", x.addr_type.clone(), row.addr_type.clone());
            cmp(
                "recipient_type",
                x.recipient_type.clone(),
                row.recipient_type.clone(),
            );
            cmp("status", x.status.clone(), row.status.clone());
            cmp(
                "transport",
                x.transport.as_ref().map(opt_str),
                opt_str(&row.transport),
            );
            cmp(
                "responsibility",
                x.responsibility.map(|b| b.to_string()),
                row.responsibility.to_string(),
            );
            cmp(
                "report",
                x.report.as_ref().map(opt_str),
                opt_str(&row.report),
            );
            let reason = |v: &Option<i32>| v.map(consts::reason_name).unwrap_or("none".into());
            let diag = |v: &Option<i32>| v.map(consts::diag_name).unwrap_or("none".into());
            cmp(
                "ndr_reason",
                x.reason.as_ref().map(reason),
                reason(&row.ndr_reason),
            );
            cmp("ndr_diag", x.diag.as_ref().map(diag), diag(&row.ndr_diag));
            cmp(
                "report_text",
                x.text.as_ref().map(opt_str),
                opt_str(&row.report_text),
            );
            if !d.is_empty() {
                out.push(format!("{who}: {}", d.join("; ")));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Corpus bookkeeping
// ---------------------------------------------------------------------------------------

/// Fails when a scenario file exists that the test list does not name, or when an
/// `.expect.toml` / `.trace.json` belongs to no listed case. `listed` holds
/// `(name, scenario path relative to the workspace root)`.
pub fn check_listing(listed: &[(&str, &str)]) {
    let mut problems = Vec::new();
    let names: Vec<&str> = listed.iter().map(|(n, _)| *n).collect();
    let paths: Vec<PathBuf> = listed
        .iter()
        .map(|(_, p)| workspace_dir().join(p))
        .collect();
    let mut dir_files = |dir: &Path| -> Vec<PathBuf> {
        match std::fs::read_dir(dir) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(e) => {
                problems.push(format!("cannot list {}: {e}", dir.display()));
                Vec::new()
            }
        }
    };
    let corpus = dir_files(&scenarios_dir());
    let examples = dir_files(&workspace_dir().join("examples"));
    for p in corpus.iter().chain(&examples) {
        let file = p.file_name().and_then(|f| f.to_str()).unwrap_or("");
        if file.ends_with(".expect.toml") {
            let stem = file.trim_end_matches(".expect.toml");
            if !names.contains(&stem) {
                problems.push(format!("{} belongs to no listed case", rel(p)));
            }
        } else if file.ends_with(".trace.json") || file.ends_with(".trace.digest") {
            let stem = file
                .trim_end_matches(".trace.json")
                .trim_end_matches(".trace.digest");
            if !names.contains(&stem) {
                problems.push(format!(
                    "{} belongs to no listed case (a leftover snapshot?)",
                    rel(p)
                ));
            }
        } else if file.ends_with(".toml") && !paths.contains(p) {
            problems.push(format!(
                "{} is not in the scenario list of tests/scenarios.rs: add it to `corpus!` so it runs",
                rel(p)
            ));
        }
    }
    for (name, path) in listed {
        if !workspace_dir().join(path).is_file() {
            problems.push(format!("case {name}: {path} does not exist"));
        }
        let expect = scenarios_dir().join(format!("{name}.expect.toml"));
        if !expect.is_file() {
            problems.push(format!("case {name}: {} is missing", rel(&expect)));
        }
    }
    let mut seen = Vec::new();
    for n in &names {
        if seen.contains(n) {
            problems.push(format!("case {n} is listed twice"));
        }
        seen.push(n);
    }
    assert!(
        problems.is_empty(),
        "\nscenario corpus bookkeeping:\n  - {}\n",
        problems.join("\n  - ")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selector_forms() {
        let Selector::Call { from, to, method } =
            Selector::parse_call("spooler>smtp SubmitMessage").unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (from.as_deref(), to.as_deref(), method.as_str()),
            (Some("spooler"), Some("smtp"), "SubmitMessage")
        );
        assert!(Selector::parse_call("a b c").is_err());
        assert!(Selector::parse_call("spooler smtp SubmitMessage").is_err());
    }

    #[test]
    fn expect_files_reject_typos() {
        let base =
            "end = \"idle\"\nwarnings = []\nmessages = {}\nrecipient_counts = {}\nreports = []\n";
        let e = parse_expect(&format!(
            "{base}[[calls]]\nsteps = [ {{ call = \"SubmitMessage\", offerd = [0] }} ]\n"
        ))
        .unwrap_err();
        assert!(e.contains("offerd"), "{e}");
        let e = parse_expect(&format!(
            "{base}[[calls]]\nsteps = [ {{ call = \"EndMessage\", ret_flags = [\"END_RESEND_SOON\"] }} ]\n"
        ))
        .unwrap_err();
        assert!(e.contains("END_RESEND_SOON"), "{e}");
        let e = parse_expect(&format!(
            "{base}[[calls]]\nsteps = [ {{ call = \"StatusRecips\", entries = [ {{ diag = \"MAPI_DIAG_NOPE\" }} ] }} ]\n"
        ))
        .unwrap_err();
        assert!(e.contains("MAPI_DIAG_NOPE"), "{e}");
        assert!(parse_expect(&format!(
            "{base}[[calls]]\nsteps = [ {{ call = \"StatusRecips\", entries = [ {{ diag = \"MAPI_DIAG_MAIL_RECIPIENT_UNKNOWN\" }} ] }} ]\n"
        ))
        .is_ok());
    }
}
