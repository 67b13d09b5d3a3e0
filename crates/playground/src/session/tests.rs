//! Session tests: loading (errors keep the last good run), frames against the timeline and
//! the trace JSON, windowing, details decoding.

use super::*;
use crate::presets::{self, PRESETS};
use crate::protocol::{EventKind, Field};

fn load(slug: &str) -> Session {
    let mut s = Session::new();
    let text = presets::find(slug).map(|p| p.text).unwrap_or("");
    let r = s.load(1, text);
    assert!(r.is_ok(), "{slug}: {r:?}");
    s
}

fn req(run: u64, step: u64) -> FrameRequest {
    FrameRequest {
        run,
        step,
        diagram: Window::new(0, 60),
        follow: true,
        table: Window::new(0, 60),
    }
}

/// The value of the details field whose name starts with `name` ("" when none).
fn field(d: &Details, name: &str) -> String {
    d.fields
        .iter()
        .find(|f| f.name.starts_with(name))
        .map(|f| f.value.clone())
        .unwrap_or_default()
}

fn recipients(frame: &Frame) -> Vec<&RecipientLine> {
    frame
        .table
        .iter()
        .filter_map(|r| match r {
            TableRow::Recipient(l) => Some(l),
            TableRow::Message(_) => None,
        })
        .collect()
}

#[test]
fn every_preset_loads_and_runs_without_a_fault() {
    for p in PRESETS {
        let mut s = Session::new();
        let summary = s.load(7, p.text);
        assert!(summary.is_ok(), "{}: {:?}", p.slug, summary);
        let summary = summary.unwrap_or_else(|_| unreachable!());
        assert_eq!(summary.run, 7);
        assert!(summary.total > 0, "{}", p.slug);
        assert_eq!(summary.end_reason, "idle", "{}", p.slug);
        let (title, description) = presets::header(p.text);
        assert_eq!(summary.title, title, "{}", p.slug);
        assert_eq!(summary.description, description, "{}", p.slug);
        // The page runs these itself while its worker starts: they must stay small.
        if presets::runs_on_page(p.text) {
            assert!(summary.total <= 500, "{}: {} events", p.slug, summary.total);
            assert!(summary.recipients <= 50, "{}", p.slug);
        }
    }
}

#[test]
fn load_errors_keep_the_last_good_run() {
    let mut s = load("seed");
    let good = s.trace().map(|t| t.to_json());
    // A TOML syntax error.
    let e = s.load(2, "version = 1\ntitle = \"x\n");
    assert!(matches!(&e, Err(err) if err.line == 2), "{e:?}");
    // A Rhai syntax error inside the script, reported at its line in the file.
    let text = presets::find("seed").map(|p| p.text).unwrap_or("");
    let broken = text.replacen("S_OK\n}", "S_OK +\n}", 1);
    let e = s.load(3, &broken);
    let line = broken
        .lines()
        .position(|l| l.contains("S_OK +"))
        .map(|i| i as u32 + 1);
    match &e {
        Err(err) => assert!(Some(err.line) >= line, "{err:?} vs {line:?}"),
        Ok(_) => panic!("a syntax error loaded"),
    }
    // A script that never ends stops at the engine's limit, with a message.
    let endless = text.replacen(
        "fn submit_message(msg) {",
        "fn submit_message(msg) {\n    loop { }",
        1,
    );
    let e = s.load(4, &endless);
    assert!(
        matches!(&e, Err(err) if !err.message.is_empty() && err.line > 1),
        "{e:?}"
    );
    assert_eq!(s.run_id(), Some(1));
    assert_eq!(s.trace().map(|t| t.to_json()), good);
    // Frames still come from run 1.
    let f = s.frame(&req(4, 3));
    assert_eq!(f.map(|f| f.run), Some(1));
}

#[test]
fn no_frame_before_the_first_run() {
    let mut s = Session::new();
    assert!(s.frame(&req(1, 0)).is_none());
    assert!(s.handle(Request::Frame(req(1, 0))).is_none());
    assert_eq!(
        s.handle(Request::Details { run: 1, seq: 1 }),
        Some(Response::Details(None))
    );
}

/// At every step, every recipient row of the frame says what `Timeline::snapshot(step)`
/// says, and at the last step what the trace JSON's `recipients` say.
#[test]
fn frames_match_snapshots_and_the_trace() {
    for slug in [
        "seed",
        "ndr-statusrecips",
        "no-transport",
        "persona-unclaimed",
    ] {
        let mut s = load(slug);
        let total = s.trace().map(|t| t.events.len() as u64).unwrap_or(0);
        // Forward (incremental), then backward and by jumps (snapshots).
        let steps: Vec<u64> = (0..=total)
            .chain((0..=total).rev())
            .chain([total / 2, 0, total, 1])
            .collect();
        for step in steps {
            let frame = s.frame(&req(1, step)).unwrap_or_else(|| unreachable!());
            assert_eq!(frame.step, step);
            let snap = s.timeline().map(|t| t.snapshot(step)).unwrap_or_default();
            let rows = recipients(&frame);
            assert_eq!(rows.len(), snap.recipients.len(), "{slug} step {step}");
            for (line, row) in rows.iter().zip(&snap.recipients) {
                assert_eq!(line.status, row.state.contract_status(), "{slug} {step}");
                assert_eq!(line.responsibility, row.responsibility, "{slug} {step}");
                assert_eq!(line.why, &*row.why);
            }
            let changed: Vec<u32> = s
                .timeline()
                .map(|t| {
                    t.changes_at(step)
                        .iter()
                        .filter_map(|(_, d)| match d {
                            Delta::Recipient(i, _) => Some(*i),
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default();
            for (k, line) in rows.iter().enumerate() {
                assert_eq!(line.changed, changed.contains(&(k as u32)), "{slug} {step}");
            }
            // The current event is the trace's event `step`.
            match (&frame.current, step) {
                (None, 0) => {}
                (Some(c), n) => {
                    let ev = &s.trace().map(|t| t.events[n as usize - 1].clone());
                    let ev = ev.as_ref().unwrap_or_else(|| unreachable!());
                    assert_eq!(c.seq, ev.seq);
                    assert_eq!(c.method, ev.method.clone().unwrap_or_default());
                    assert_eq!(c.time, describe::time(ev.t));
                }
                (None, n) => panic!("no current event at step {n}"),
            }
        }
        // The last step against the contract JSON.
        let frame = s.frame(&req(1, total)).unwrap_or_else(|| unreachable!());
        let json: serde_json::Value =
            serde_json::from_str(&s.trace().map(|t| t.to_json()).unwrap_or_default())
                .unwrap_or_default();
        let expected = json["recipients"].as_array().cloned().unwrap_or_default();
        let rows = recipients(&frame);
        assert_eq!(rows.len(), expected.len(), "{slug}");
        for (line, want) in rows.iter().zip(&expected) {
            assert_eq!(line.message, want["message"].as_str().unwrap_or(""));
            assert_eq!(line.index as u64, want["index"].as_u64().unwrap_or(99));
            assert_eq!(line.status, want["status"].as_str().unwrap_or(""), "{slug}");
            assert_eq!(
                line.responsibility,
                want["responsibility"].as_bool().unwrap_or(false)
            );
            assert_eq!(line.report, want["report"].as_str().unwrap_or(""));
            let reason = want["ndr_reason"].as_i64().map(|v| reason_name(v as i32));
            assert_eq!(line.reason, reason.unwrap_or_default());
            let diag = want["ndr_diag"].as_i64().map(|v| diag_name(v as i32));
            assert_eq!(line.diag, diag.unwrap_or_default());
        }
        // The diagram at the last step: every event, in order, with its method.
        let events = json["events"].as_array().cloned().unwrap_or_default();
        let drawn: Vec<&EventLine> = frame
            .diagram
            .iter()
            .filter_map(|d| match d {
                DiagramItem::Event { event, .. } => Some(event),
                DiagramItem::Gap { .. } => None,
            })
            .collect();
        assert_eq!(drawn.len(), events.len(), "{slug}");
        for (d, e) in drawn.iter().zip(&events) {
            assert_eq!(d.seq, e["seq"].as_u64().unwrap_or(0));
            assert_eq!(d.method, e["method"].as_str().unwrap_or(""));
            assert_eq!(d.kind.as_str(), e["kind"].as_str().unwrap_or(""));
        }
    }
}

#[test]
fn the_diagram_grows_with_the_step_and_shows_waits() {
    let mut s = load("retries");
    let f0 = s.frame(&req(1, 0)).unwrap_or_else(|| unreachable!());
    assert!(f0.diagram.is_empty());
    assert_eq!(f0.time, "0.000s");
    let f5 = s.frame(&req(1, 5)).unwrap_or_else(|| unreachable!());
    assert_eq!(f5.diagram.len(), 5);
    assert_eq!(f5.current_row, Some(4));
    let total = s.trace().map(|t| t.events.len() as u64).unwrap_or(0);
    let end = s.frame(&req(1, total)).unwrap_or_else(|| unreachable!());
    let gaps: Vec<&str> = end
        .diagram
        .iter()
        .filter_map(|d| match d {
            DiagramItem::Gap { label, .. } => Some(label.as_str()),
            _ => None,
        })
        .collect();
    assert!(gaps.contains(&"+30s"), "{gaps:?}");
    // Rows are consecutive from the window's start.
    for (k, d) in end.diagram.iter().enumerate() {
        let row = match d {
            DiagramItem::Gap { row, .. } | DiagramItem::Event { row, .. } => *row,
        };
        assert_eq!(row, end.diagram_window.start + k as u32);
    }
    // Returns are labelled with their HRESULT and out parameters.
    let labels: Vec<String> = end
        .diagram
        .iter()
        .filter_map(|d| match d {
            DiagramItem::Event { event, .. } if event.kind == EventKind::Return => {
                Some(event.label.clone())
            }
            _ => None,
        })
        .collect();
    assert!(labels
        .iter()
        .any(|l| l.starts_with("MAPI_E_WAIT") && l.contains("return_parm=20")));
    assert!(labels.iter().any(|l| l.starts_with("MAPI_E_BUSY")));
    assert!(labels.iter().any(|l| l.starts_with("MAPI_E_NETWORK_ERROR")));
}

#[test]
fn nested_calls_are_activations() {
    let mut s = load("cancel-during-submit");
    let trace = s.trace().cloned().unwrap_or_else(|| unreachable!());
    // The TransportNotify inside SubmitMessage.
    let notify = trace
        .events
        .iter()
        .find(|e| e.method.as_deref() == Some("TransportNotify") && e.depth == 1)
        .map(|e| e.seq)
        .unwrap_or(0);
    let f = s.frame(&req(1, notify)).unwrap_or_else(|| unreachable!());
    let open: Vec<&Activation> = f.activations.iter().filter(|a| a.open).collect();
    // SubmitMessage (depth 0, on smtp) and TransportNotify (depth 1, on smtp) are open.
    assert_eq!(open.len(), 2, "{:?}", f.activations);
    assert!(open.iter().any(|a| a.depth == 0));
    assert!(open.iter().any(|a| a.depth == 1));
    assert!(open.iter().all(|a| a.to_row == f.current_row.unwrap_or(0)));
}

#[test]
fn large_runs_are_windowed() {
    let mut s = load("load-10k");
    let total = s.trace().map(|t| t.events.len() as u64).unwrap_or(0);
    assert!(total > 10_000);
    let mut r = req(1, total);
    r.diagram = Window::new(0, 80);
    r.table = Window::new(5_000, 40);
    let f = s.frame(&r).unwrap_or_else(|| unreachable!());
    assert_eq!(f.diagram.len(), 80);
    assert_eq!(f.diagram_window.end(), f.diagram_rows);
    assert_eq!(f.table.len(), 40);
    assert_eq!(f.table_window, Window::new(5_000, 40));
    // Row 5000 of the table: message headers count as rows (1001 rows a message).
    match &f.table[0] {
        TableRow::Recipient(l) => {
            assert_eq!(l.message, "m5");
            assert_eq!(l.index, 5_000 - 4 * 1001 - 1);
        }
        TableRow::Message(m) => panic!("header {m:?}"),
    }
    let counts: u32 = f.counts.iter().map(|(_, n)| n).sum();
    assert_eq!(counts, 10_000);
    // Not following: the window stays where it was asked for, clamped to the run.
    r.follow = false;
    r.diagram = Window::new(100, 50);
    r.table = Window::new(u32::MAX - 10, 50);
    let f = s.frame(&r).unwrap_or_else(|| unreachable!());
    assert_eq!(f.diagram_window, Window::new(100, 50));
    assert_eq!(f.table_window.end(), 10_010);
    assert!(f.messages.len() == 10 && f.status.len() == 3);
}

#[test]
fn details_decode_every_field_by_name() {
    let s = load("seed");
    let trace = s.trace().cloned().unwrap_or_else(|| unreachable!());
    let submit = trace
        .events
        .iter()
        .find(|e| e.method.as_deref() == Some("SubmitMessage") && e.to.as_deref() == Some("smtp"))
        .map(|e| e.seq)
        .unwrap_or(0);
    let d = s.details(1, submit).unwrap_or_else(|| unreachable!());
    let get = |name: &str| field(&d, name);
    assert!(d.title.starts_with("spooler → smtp  SubmitMessage(m1"));
    assert_eq!(get("ulFlags"), "0");
    assert_eq!(
        get("offered"),
        "#0 Alice <alice@contoso.example> (SMTP); #1 Nobody <ghost@nowhere.example> (SMTP)"
    );
    assert_eq!(get("message"), "m1 — \"Quarterly report\"");
    assert_eq!(d.responsibility.len(), 2);
    assert!(d.responsibility.iter().all(|r| !r.before && r.after));
    // The return: HRESULT with its value, the reference.
    let ret = d.seq as usize; // seq of the call; find its return
    let ret_seq = trace.events[ret..]
        .iter()
        .find(|e| {
            e.kind == trace::EventKind::Return
                && e.method.as_deref() == Some("SubmitMessage")
                && e.depth == 0
        })
        .map(|e| e.seq)
        .unwrap_or(0);
    let d = s.details(1, ret_seq).unwrap_or_else(|| unreachable!());
    let get = |name: &str| field(&d, name);
    assert_eq!(get("result"), "S_OK (0x00000000)");
    assert_eq!(get("reference"), "101");
    assert_eq!(d.responsibility.len(), 2);
    // StatusRecips: the entries decoded.
    let sr = trace
        .events
        .iter()
        .find(|e| e.method.as_deref() == Some("StatusRecips"))
        .map(|e| e.seq)
        .unwrap_or(0);
    let d = s.details(1, sr).unwrap_or_else(|| unreachable!());
    let entries: Vec<&Field> = d
        .fields
        .iter()
        .filter(|f| f.name.starts_with("entry"))
        .collect();
    assert_eq!(entries.len(), 2);
    assert!(entries[1].value.contains("MAPI_REASON_TRANSFER_FAILED (0)"));
    assert!(entries[1]
        .value
        .contains("MAPI_DIAG_MAIL_RECIPIENT_UNKNOWN (35)"));
    assert!(entries[0].value.contains("PR_DELIVER_TIME"));
    // TransportNotify flags with values.
    let tn = trace
        .events
        .iter()
        .find(|e| {
            e.flags
                .as_ref()
                .is_some_and(|f| f.iter().any(|x| x == "NOTIFY_CANCEL_MESSAGE"))
        })
        .map(|e| e.seq)
        .unwrap_or(0);
    let d = s.details(1, tn).unwrap_or_else(|| unreachable!());
    assert!(d
        .fields
        .iter()
        .any(|f| f.value == "NOTIFY_CANCEL_MESSAGE (0x80000000)"));
    // A property event: before and after.
    let prop = trace
        .events
        .iter()
        .find(|e| e.property.as_deref() == Some("PR_RESPONSIBILITY"))
        .map(|e| e.seq)
        .unwrap_or(0);
    let d = s.details(1, prop).unwrap_or_else(|| unreachable!());
    assert_eq!(d.responsibility.len(), 1);
    assert!(!d.responsibility[0].before && d.responsibility[0].after);
    assert!(d
        .fields
        .iter()
        .any(|f| f.value == "PR_RESPONSIBILITY (0x0E0F000B)"));
    // Out of range, or another run: nothing.
    assert!(s.details(1, 0).is_none());
    assert!(s.details(1, 10_000).is_none());
    assert!(s.details(2, submit).is_none());
}

#[test]
fn markers_point_at_calls_reports_timers_and_warnings() {
    let s = load("retries");
    let mut session = s;
    let summary = session
        .load(9, presets::find("retries").map(|p| p.text).unwrap_or(""))
        .unwrap_or_else(|e| panic!("{e:?}"));
    let kinds: BTreeSet<&str> = summary.markers.iter().map(|m| m.kind.as_str()).collect();
    assert!(
        kinds.contains("call") && kinds.contains("timer"),
        "{kinds:?}"
    );
    let sorted = summary.markers.windows(2).all(|w| w[0].seq <= w[1].seq);
    assert!(sorted);
    let big = load("load-10k");
    let summary = big
        .loaded
        .as_ref()
        .map(|l| l.summary())
        .unwrap_or_else(|| unreachable!());
    assert!(
        summary.markers.len() <= 4 * 1001,
        "{}",
        summary.markers.len()
    );
    assert!(summary.markers.iter().any(|m| m.kind == MarkerKind::Report));
}

/// Every answer a preset produces survives the worker boundary: byte encoding and back, and
/// the serde glue gloo-worker sees.
#[test]
fn protocol_round_trips_through_the_wire_encoding() {
    use crate::wire::{decode, encode};
    for p in PRESETS {
        let mut s = Session::new();
        let mut answers = vec![s
            .handle(Request::Load {
                run: 1,
                text: p.text.to_string(),
            })
            .unwrap_or_else(|| unreachable!())];
        let total = match &answers[0] {
            Response::Loaded {
                result: Ok(sum), ..
            } => sum.total,
            other => panic!("{}: {other:?}", p.slug),
        };
        for step in [0, 1, total / 2, total] {
            answers.extend(s.handle(Request::Frame(req(1, step))));
            answers.extend(s.handle(Request::Details {
                run: 1,
                seq: step.max(1),
            }));
        }
        for answer in answers {
            assert_eq!(
                decode::<Response>(&encode(&answer)).as_ref(),
                Some(&answer),
                "{}",
                p.slug
            );
        }
    }
    let requests = [
        Request::Load {
            run: u64::MAX,
            text: "é\n".repeat(3),
        },
        Request::Frame(req(7, 300)),
        Request::Details { run: 2, seq: 0 },
    ];
    for r in requests {
        assert_eq!(decode::<Request>(&encode(&r)), Some(r.clone()));
        let json = serde_json::to_string(&r).unwrap_or_default();
        let back: Request = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, r);
    }
}

/// Cut or corrupted bytes decode to `None` or to some value, never to a panic or a huge
/// allocation.
#[test]
fn malformed_wire_bytes_are_rejected() {
    use crate::wire::{decode, encode};
    let mut s = load("seed");
    let frame = Response::Frame(s.frame(&req(1, 20)).unwrap_or_else(|| unreachable!()));
    let bytes = encode(&frame);
    for cut in 0..bytes.len() {
        assert!(
            decode::<Response>(&bytes[..cut]).is_none(),
            "a prefix of {cut} bytes decoded"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(
        decode::<Response>(&longer).is_none(),
        "trailing bytes were ignored"
    );
    for at in 0..bytes.len() {
        for b in [0x00, 0x7f, 0x80, 0xff] {
            let mut bad = bytes.clone();
            bad[at] = b;
            let _ = decode::<Response>(&bad);
        }
    }
    // A length of 2^62 with nothing behind it.
    assert!(
        decode::<Response>(&[1, 1, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40])
            .is_none()
    );
}

#[test]
fn exports_are_the_cli_renderers_of_the_loaded_run_only() {
    let s = load("ndr-statusrecips");
    let trace = s.trace().expect("loaded");
    let json = s.export(1, ExportKind::Json).expect("json");
    assert_eq!(json, trace.to_json());
    let mermaid = s.export(1, ExportKind::Mermaid).expect("mermaid");
    assert_eq!(mermaid, spoolscope_render::mermaid::render(trace));
    assert!(mermaid.starts_with("sequenceDiagram"), "{mermaid:.40}");
    let svg = s.export(1, ExportKind::Svg).expect("svg");
    assert!(svg.contains("<svg") && svg.trim_end().ends_with("</svg>"));
    let dsn = s.export(1, ExportKind::Dsn).expect("dsn");
    assert!(dsn.contains("report-type=delivery-status"), "{dsn:.200}");
    assert!(dsn.contains("Action: failed"));
    // The record: the hash a link carries, then the recorded lines.
    let record = s.export(1, ExportKind::Record).expect("record");
    let (hash, lines) = record.split_once('\n').expect("hash and lines");
    assert_eq!(hash, spoolscope_render::hash::trace_hash(trace));
    assert_eq!(lines, spoolscope_render::digest::recorded(trace));
    // Another run (an old request after a reload) has nothing to export.
    assert_eq!(s.export(2, ExportKind::Json), None);
    assert_eq!(Session::new().export(1, ExportKind::Dsn), None);
}
