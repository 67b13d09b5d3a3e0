//! What the fuzz targets in `fuzz_targets/` check, kept here so each target is one line.
//!
//! Every check goes through the public entry points the command-line tool and the page use:
//! `parse_scenario` and `build_transports` (`spoolscope check`), the link parser and the
//! command line's DEFLATE decoding (`spoolscope links check`), the worker wire format and the
//! worker's `Session`, and whole runs (`spoolscope run`, the page's `load`). A failed check is
//! a panic, which libFuzzer reports as a crash with the input that caused it.

pub mod gen;

use spoolscope_contract::link::{self, Fragment, LinkError};
use spoolscope_contract::trace::Trace;
use spoolscope_contract::{parse_scenario, Format, Pos, Scenario, ScenarioError};
use spoolscope_playground::protocol::{Request, Response};
use spoolscope_playground::session::Session;
use spoolscope_playground::wire;
use spoolscope_render::{digest, dsn, hash, mermaid, svg, text};

/// Bytes as the text a user could have written (the CLI refuses non-UTF-8 files, so invalid
/// bytes are replaced rather than wasted), without a leading byte-order mark as both the CLI
/// and the page strip it.
pub fn text_of(data: &[u8]) -> String {
    let text = String::from_utf8_lossy(data);
    text.strip_prefix('\u{FEFF}').unwrap_or(&text).to_string()
}

/// An error position must be a real place in the text: 1-based, on one of its lines, at most
/// one column past that line's last character (contract §5: `FILE:LINE:COL`).
pub fn check_pos(text: &str, pos: Pos, message: &str) {
    assert!(
        pos.line >= 1 && pos.col >= 1,
        "position {pos:?} is not 1-based: {message}"
    );
    let line = text.split('\n').nth(pos.line as usize - 1);
    let Some(line) = line else {
        panic!(
            "line {} is past the end of the text ({} lines): {message}",
            pos.line,
            text.split('\n').count()
        );
    };
    let chars = line.chars().count() as u32;
    assert!(
        pos.col <= chars + 1,
        "column {} is past the end of line {} ({chars} characters): {message}",
        pos.col,
        pos.line
    );
    assert!(!message.trim().is_empty(), "an error at {pos:?} says nothing");
}

/// `spoolscope check`: parse, resolve, compile. A bad text is an error with a position.
pub fn check_scenario(text: &str, format: Format) -> Option<Scenario> {
    let scenario = match parse_scenario(text, format) {
        Ok(s) => s,
        Err(ScenarioError { pos, message }) => {
            check_pos(text, pos, &message);
            return None;
        }
    };
    resolved_invariants(&scenario);
    if let Err(e) = spoolscope_script::build_transports(&scenario) {
        check_pos(text, e.pos, &e.message);
        return None;
    }
    Some(scenario)
}

/// What resolution promises the engine (contract §1, `scenario/resolve.rs`).
fn resolved_invariants(s: &Scenario) {
    use spoolscope_contract::scenario::{MAX_EVENTS, MAX_MESSAGES, MAX_RECIPIENTS, MAX_TRANSPORTS};
    assert!(s.transports.len() <= MAX_TRANSPORTS);
    assert!(s.messages.len() <= MAX_MESSAGES);
    assert!(s.events.len() <= MAX_EVENTS);
    assert!(s.recipient_count() <= MAX_RECIPIENTS);
    for (i, m) in s.messages.iter().enumerate() {
        assert!(
            s.messages[..i].iter().all(|o| o.id != m.id),
            "message id {} twice",
            m.id
        );
    }
    for (i, t) in s.transports.iter().enumerate() {
        assert!(
            s.transports[..i].iter().all(|o| o.name != t.name),
            "transport {} twice",
            t.name
        );
    }
    assert!(
        s.events.windows(2).all(|w| w[0].at <= w[1].at),
        "events are not sorted by time"
    );
}

/// The `scenario_toml` / `scenario_json` targets. A reader must not accept a document the
/// reference reader (the `toml` crate, serde_json) rejects as malformed.
pub fn scenario(data: &[u8], format: Format) {
    let text = text_of(data);
    let accepted = check_scenario(&text, format).is_some();
    if accepted {
        let reference = match format {
            Format::Toml => text.parse::<toml::Table>().err().map(|e| e.to_string()),
            Format::Json => serde_json::from_str::<serde_json::Value>(&text)
                .err()
                .map(|e| e.to_string()),
        };
        if let Some(e) = reference {
            panic!("a scenario the reference reader rejects was accepted ({e}): {text:?}");
        }
    }
}

/// A fixed run whose recorded lines a decoded link's `t` is compared with.
fn sample_lines() -> &'static (Vec<String>, usize) {
    use std::sync::OnceLock;
    static LINES: OnceLock<(Vec<String>, usize)> = OnceLock::new();
    LINES.get_or_init(|| {
        let seed = spoolscope_playground::presets::find("seed").expect("the seed preset");
        let trace = spoolscope_cli::links::run_text(seed.text).expect("the seed preset runs");
        (digest::lines(&trace), trace.events.len())
    })
}

/// The `link` target. The first byte picks what the rest is:
/// * even: a location hash as pasted (any text);
/// * odd: a scenario text and view options, made into a link the way `spoolscope link` does
///   (raw DEFLATE, then `link::format`), so that the decoding path past the parser is reached.
pub fn link(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        open_link(&text_of(rest));
        return;
    }
    // Made link: [view bytes (8)] [scenario text].
    let (view_bytes, body) = rest.split_at(rest.len().min(8));
    let text = text_of(body);
    let view = view_of(view_bytes);
    let compressed = spoolscope_cli::links::deflate(&text);
    let fragment = link::format(&compressed, Some("0123456789ab"), None, &view);
    let parsed = link::parse(&fragment)
        .unwrap_or_else(|e| panic!("a link we made does not parse ({e}): {fragment}"))
        .expect("a link we made carries a scenario");
    assert_eq!(parsed.view, view, "the view does not survive a round trip");
    assert_eq!(parsed.scenario, compressed);
    match spoolscope_cli::links::decode(&fragment) {
        Ok(Some((_, back, _))) => assert_eq!(back, text, "the scenario text changed"),
        Ok(None) => panic!("a link we made decodes to nothing"),
        Err(LinkError::TooBig(_)) => {
            assert!(text.len() > link::MAX_DECODED_BYTES, "refused as too big")
        }
        Err(e) => panic!("a link we made does not decode ({e}): {fragment}"),
    }
    open_link(&fragment);
}

/// View options from a few bytes (values in and out of what links allow).
fn view_of(b: &[u8]) -> link::View {
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let opt = |i: usize| (at(i) & 1 == 1).then(|| u64::from(at(i) >> 1));
    let panels: Vec<link::Panel> = link::Panel::ALL
        .into_iter()
        .enumerate()
        .filter(|(i, _)| at(4) >> i & 1 == 1)
        .map(|(_, p)| p)
        .collect();
    let range = opt(5).map(|a| (a, a + u64::from(at(6))));
    link::View {
        step: opt(0),
        selected: opt(1),
        speed: (at(2) & 1 == 1).then(|| link::SPEEDS[usize::from(at(2) >> 1) % link::SPEEDS.len()]),
        theme: match at(3) % 3 {
            0 => None,
            1 => Some(link::Theme::Light),
            _ => Some(link::Theme::Dark),
        },
        panels: (!panels.is_empty()).then(|| link::Panels::of(&panels)),
        range,
        autoplay: at(7) & 1 == 1,
        origin: (at(7) & 2 == 2).then(|| "http://127.0.0.1:8080".to_string()),
    }
}

/// What opening a link does: parse the fragment, inflate both parts under the size limit,
/// read the scenario, compare the recorded lines. Every failure is a typed error.
pub fn open_link(fragment: &str) {
    let parsed = match link::parse(fragment) {
        Ok(None) => return,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return;
        }
        Ok(Some(f)) => f,
    };
    assert!(parsed.format >= 1 && parsed.format <= link::FORMAT);
    // Writing the parsed link again gives the same link (as format 2).
    let again = link::format(
        &parsed.scenario,
        parsed.hash.as_deref(),
        parsed.recorded.as_deref(),
        &parsed.view,
    );
    let reparsed = link::parse(&again)
        .unwrap_or_else(|e| panic!("a link written again does not parse ({e}): {again}"))
        .expect("a link written again carries a scenario");
    assert_eq!(
        reparsed,
        Fragment {
            format: link::FORMAT,
            ..parsed.clone()
        },
        "a link written again reads differently: {again}"
    );
    let (text, recorded) = match spoolscope_cli::links::decode(fragment) {
        Ok(Some((_, text, recorded))) => (text, recorded),
        Ok(None) => panic!("a link that parses decodes to nothing"),
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    assert!(text.len() <= link::MAX_DECODED_BYTES);
    // The page reads the scenario the way it reads a typed one.
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(&text);
    let _ = check_scenario(text, Format::detect(None, text));
    if let Some(r) = recorded {
        assert!(r.len() <= link::MAX_DECODED_BYTES);
        let (lines, events) = sample_lines();
        if let Some(d) = digest::first_difference(&r, lines, *events) {
            if let Some(step) = d.step {
                assert!(step >= 1);
            }
        }
    }
}

/// The `wire` target. The first byte picks what the rest is:
/// * 0–63: a [`Request`] as bytes; decoded, and when it decodes, encoded again and decoded
///   to the same value;
/// * 64–127: the same for a [`Response`];
/// * 128–191: a message as the serde side sees it (JSON standing in for gloo-worker's codec:
///   a byte string, or an array of numbers), decoded as a request and as a response;
/// * 192–255: a sequence of requests, each decoded and handed to a worker session that has a
///   preset loaded, as the worker does; each response is encoded and decoded again.
pub fn wire(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode >> 6 {
        0 => round_trip::<Request>(rest),
        1 => round_trip::<Response>(rest),
        2 => {
            let _ = serde_json::from_slice::<Request>(rest);
            let _ = serde_json::from_slice::<Response>(rest);
            if let Ok(bytes) = serde_json::from_slice::<Vec<u8>>(rest) {
                round_trip::<Request>(&bytes);
                round_trip::<Response>(&bytes);
            }
        }
        _ => session_requests(rest),
    }
}

fn round_trip<T: wire::Wire + PartialEq + std::fmt::Debug>(bytes: &[u8]) {
    if let Some(v) = wire::decode::<T>(bytes) {
        let again = wire::encode(&v);
        assert!(
            again.len() <= bytes.len(),
            "re-encoding grew {} bytes to {}",
            bytes.len(),
            again.len()
        );
        let back = wire::decode::<T>(&again).expect("an encoded value decodes");
        assert_eq!(back, v, "decode(encode(v)) != v");
    }
}

/// Up to 16 requests, each prefixed by its length (one byte), answered by a session with the
/// seed preset loaded as run 1.
fn session_requests(mut rest: &[u8]) {
    let seed = spoolscope_playground::presets::find("seed").expect("the seed preset");
    let mut session = Session::new();
    session.load(1, seed.text).expect("the seed preset loads");
    let (mut count, mut loads) = (0, 0);
    while let Some((&n, tail)) = rest.split_first() {
        let (one, tail) = tail.split_at(usize::from(n).min(tail.len()));
        rest = tail;
        count += 1;
        if count > 16 {
            break;
        }
        let Some(request) = wire::decode::<Request>(one) else {
            continue;
        };
        // One run per input at most: a run may take seconds (the `run` target covers runs).
        if matches!(request, Request::Load { .. }) {
            loads += 1;
            if loads > 1 {
                continue;
            }
        }
        if let Some(response) = session.handle(request) {
            let bytes = wire::encode(&response);
            let back = wire::decode::<Response>(&bytes).expect("a response decodes");
            assert_eq!(back, response);
        }
    }
}

/// The `run` target: a generated scenario with generated scripts, run as `spoolscope run`
/// runs it, twice; optionally also loaded as the page loads it.
pub fn run(input: &gen::Input) {
    let (text, format) = input.render();
    let show = std::env::var_os("SPOOLSCOPE_FUZZ_SHOW").is_some();
    if show {
        eprintln!("----- scenario ({format:?})\n{text}");
    }
    // Compiling is the costly part of a small run (each build of the transports registers the
    // script library afresh), so it happens only in the two runs.
    let scenario = match parse_scenario(&text, format) {
        Ok(s) => s,
        Err(e) => {
            if show {
                eprintln!("----- refused: {e}");
            }
            check_pos(&text, e.pos, &e.message);
            return;
        }
    };
    resolved_invariants(&scenario);
    let Some(first) = run_once(&scenario, &text) else {
        return;
    };
    let second = run_once(&scenario, &text).expect("a scenario that compiled once compiles again");
    assert!(
        first.0 == second.0,
        "the same scenario gave two different traces:\n{text}"
    );
    let (json, trace) = first;
    if show {
        eprintln!("----- {}", json.get(..300).unwrap_or(&json));
    }
    let Some(trace) = trace else {
        return; // a script fault: the run stopped with an error at a position
    };
    trace_invariants(&trace, &json);
    // The CLI's other formats, and the link's hash and recorded lines.
    let _ = text::render(&trace);
    let _ = mermaid::render(&trace);
    let _ = svg::render(&trace);
    let _ = dsn::render(&trace);
    assert_eq!(hash::trace_hash(&trace), hash::of_json(&json));
    let _ = digest::recorded(&trace);
    if input.page {
        page(input, &text, &trace);
    }
}

/// One run: its trace JSON (or the fault's message) and the trace; `None` when a script
/// does not compile.
fn run_once(scenario: &Scenario, text: &str) -> Option<(String, Option<Trace>)> {
    let transports = match spoolscope_script::build_transports(scenario) {
        Ok(t) => t,
        Err(e) => {
            if std::env::var_os("SPOOLSCOPE_FUZZ_SHOW").is_some() {
                eprintln!("----- does not compile: {e}");
            }
            check_pos(text, e.pos, &e.message);
            return None;
        }
    };
    let out = spoolscope_engine::run(scenario, transports);
    Some(match out.fault {
        Some(fault) => {
            check_pos(text, fault.pos.unwrap_or(Pos::START), &fault.message);
            (format!("fault {:?}: {}", fault.pos, fault.message), None)
        }
        None => (out.trace.to_json(), Some(out.trace)),
    })
}

/// What holds for every trace (contract §4; ARCHITECTURE.md: `Core::emit` assigns `seq`).
fn trace_invariants(trace: &Trace, json: &str) {
    let value: serde_json::Value = serde_json::from_str(json)
        .unwrap_or_else(|e| panic!("the trace JSON does not parse: {e}"));
    let events = value["events"].as_array().expect("events is an array");
    assert_eq!(events.len(), trace.events.len());
    let mut t = 0.0f64;
    for (i, ev) in trace.events.iter().enumerate() {
        assert_eq!(ev.seq, i as u64 + 1, "seq does not run 1..n");
        assert!(ev.t.is_finite() && ev.t >= t, "time goes back at seq {}", ev.seq);
        t = ev.t;
    }
    assert!(trace.end.t.is_finite() && trace.end.t >= t, "the run ends before its last event");
    for w in &trace.warnings {
        assert!(
            w.seq <= trace.events.len() as u64,
            "a warning points past the trace"
        );
    }
}

/// The page's path: the worker's `load`, then frames and details at generated steps.
fn page(input: &gen::Input, text: &str, trace: &Trace) {
    use spoolscope_playground::protocol::{FrameRequest, Window};
    let mut session = Session::new();
    let summary = session
        .load(7, text)
        .unwrap_or_else(|e| panic!("the page refuses a scenario the CLI runs: {e:?}"));
    assert_eq!(summary.total, trace.events.len() as u64);
    for view in input.frames.iter().take(gen::MAX_FRAMES) {
        let req = FrameRequest {
            run: 7,
            step: u64::from(view.step) % (summary.total + 2),
            diagram: Window::new(u32::from(view.start), u32::from(view.count)),
            follow: view.follow,
            table: Window::new(u32::from(view.table_start), u32::from(view.count)),
        };
        let frame = session.frame(&req).expect("a loaded run paints frames");
        assert!(frame.step <= summary.total);
        let _ = session.details(7, req.step);
    }
}
