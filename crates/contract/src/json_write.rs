//! The trace's JSON (contract §4), written by hand.
//!
//! The output is byte for byte what `serde_json::to_string_pretty` (and, for one event,
//! `serde_json::to_string`) prints for the derived `Serialize` of the types in
//! [`crate::trace`]: fields in declaration order, `skip_serializing_if` fields left out, other
//! `None`s written as `null`, two-space indentation, `[]` and `{}` for empty containers,
//! serde_json's string escapes and its float format (the shortest decimal that reads back as
//! the same `f64`, `1e-7` and `1e+16` in scientific form; `NaN` and infinities as `null`).
//!
//! Why by hand: the playground page must produce the same bytes (exports, the trace hash), and
//! serde_json's serializer costs about 11 KB of the page's gzip download. The tests below
//! compare this writer with serde_json on hand-built and randomly generated traces.

use crate::trace::{
    Event, MessageRow, PropValue, RecipientRow, ReportRow, RunEnd, StatusEntry, Trace, Warning,
};

/// The whole trace as `serde_json::to_string_pretty` prints it (no final newline).
pub fn trace_pretty(trace: &Trace) -> String {
    let mut w = Writer::new(true);
    write_trace(&mut w, trace);
    w.out
}

/// One event on one line, as `serde_json::to_string` prints it.
pub fn event_compact(e: &Event) -> String {
    let mut w = Writer::new(false);
    write_event(&mut w, e);
    w.out
}

/// A JSON text being written, pretty (serde_json's `PrettyFormatter`) or compact.
struct Writer {
    out: String,
    pretty: bool,
    /// How many containers are open.
    level: usize,
    /// Whether the innermost open container already holds a value.
    has_value: bool,
}

impl Writer {
    fn new(pretty: bool) -> Writer {
        Writer {
            out: String::new(),
            pretty,
            level: 0,
            has_value: false,
        }
    }

    /// A newline and the indentation of the current level (pretty form only).
    fn newline(&mut self) {
        if self.pretty {
            self.out.push('\n');
            for _ in 0..self.level {
                self.out.push_str("  ");
            }
        }
    }

    fn open(&mut self, bracket: char) {
        self.out.push(bracket);
        self.level += 1;
        self.has_value = false;
    }

    fn close(&mut self, bracket: char) {
        self.level = self.level.saturating_sub(1);
        if self.has_value {
            self.newline();
        }
        self.out.push(bracket);
        self.has_value = true;
    }

    /// What goes before an array element or an object key: a comma after an earlier one,
    /// then the line break and indentation.
    fn separator(&mut self) {
        if self.has_value {
            self.out.push(',');
        }
        self.newline();
    }

    /// An object key and the colon after it.
    fn key(&mut self, key: &str) {
        self.separator();
        self.string(key);
        self.out.push_str(if self.pretty { ": " } else { ":" });
    }

    fn string(&mut self, s: &str) {
        write_string(&mut self.out, s);
        self.has_value = true;
    }

    fn raw(&mut self, s: &str) {
        self.out.push_str(s);
        self.has_value = true;
    }

    fn int(&mut self, n: impl std::fmt::Display) {
        self.raw(&n.to_string());
    }

    fn float(&mut self, v: f64) {
        write_f64(&mut self.out, v);
        self.has_value = true;
    }

    fn bool(&mut self, b: bool) {
        self.raw(if b { "true" } else { "false" });
    }

    fn list<T>(&mut self, items: &[T], mut each: impl FnMut(&mut Writer, &T)) {
        self.open('[');
        for item in items {
            self.separator();
            each(self, item);
        }
        self.close(']');
    }

    fn strings(&mut self, items: &[String]) {
        self.list(items, |w, s| w.string(s));
    }

    fn ints(&mut self, items: &[u32]) {
        self.list(items, |w, &n| w.int(n));
    }

    /// A string field.
    fn str_field(&mut self, key: &str, value: &str) {
        self.key(key);
        self.string(value);
    }

    /// An integer field.
    fn int_field(&mut self, key: &str, value: impl std::fmt::Display) {
        self.key(key);
        self.int(value);
    }

    /// A string field that is left out when `None` (`skip_serializing_if`).
    fn opt_str(&mut self, key: &str, value: Option<&String>) {
        if let Some(v) = value {
            self.str_field(key, v);
        }
    }

    /// An integer field that is left out when `None` (`skip_serializing_if`).
    fn opt_int(&mut self, key: &str, value: Option<impl std::fmt::Display>) {
        if let Some(v) = value {
            self.int_field(key, v);
        }
    }

    /// A float field that is left out when `None` (`skip_serializing_if`).
    fn opt_float(&mut self, key: &str, value: Option<f64>) {
        if let Some(v) = value {
            self.key(key);
            self.float(v);
        }
    }

    /// A string-list field that is left out when `None` (`skip_serializing_if`).
    fn opt_strings(&mut self, key: &str, value: Option<&Vec<String>>) {
        if let Some(v) = value {
            self.key(key);
            self.strings(v);
        }
    }

    /// A string field written as `null` when `None`.
    fn nullable_str(&mut self, key: &str, value: Option<&String>) {
        self.key(key);
        match value {
            Some(v) => self.string(v),
            None => self.raw("null"),
        }
    }

    /// An integer field written as `null` when `None`.
    fn nullable_int(&mut self, key: &str, value: Option<i32>) {
        self.key(key);
        match value {
            Some(v) => self.int(v),
            None => self.raw("null"),
        }
    }
}

fn write_trace(w: &mut Writer, t: &Trace) {
    w.open('{');
    w.int_field("version", t.version);
    w.str_field("title", &t.title);
    w.key("events");
    w.list(&t.events, write_event);
    w.key("recipients");
    w.list(&t.recipients, write_recipient);
    w.key("messages");
    w.list(&t.messages, write_message);
    w.key("reports");
    w.list(&t.reports, write_report);
    w.key("warnings");
    w.list(&t.warnings, write_warning);
    w.key("end");
    write_end(w, &t.end);
    w.close('}');
}

fn write_event(w: &mut Writer, e: &Event) {
    w.open('{');
    w.int_field("seq", e.seq);
    w.key("t");
    w.float(e.t);
    w.int_field("depth", e.depth);
    w.str_field("kind", e.kind.as_str());
    w.opt_str("from", e.from.as_ref());
    w.opt_str("to", e.to.as_ref());
    w.opt_str("method", e.method.as_ref());
    w.opt_str("message", e.message.as_ref());
    w.opt_strings("flags", e.flags.as_ref());
    if let Some(offered) = &e.offered {
        w.key("offered");
        w.ints(offered);
    }
    w.opt_int("attempt", e.attempt);
    w.opt_str("result", e.result.as_ref());
    w.opt_int("reference", e.reference);
    w.opt_int("return_parm", e.return_parm);
    if let Some(entries) = &e.entries {
        w.key("entries");
        w.list(entries, write_entry);
    }
    w.opt_int("recipient", e.recipient);
    w.opt_str("property", e.property.as_ref());
    if let Some(v) = &e.value {
        w.key("value");
        match v {
            PropValue::Bool(b) => w.bool(*b),
            PropValue::Int(n) => w.int(*n),
            PropValue::Text(s) => w.string(s),
        }
    }
    w.opt_str("timer", e.timer.as_ref());
    w.opt_float("due", e.due);
    w.opt_strings("address_types", e.address_types.as_ref());
    w.opt_strings("status", e.status.as_ref());
    w.opt_str("text", e.text.as_ref());
    w.close('}');
}

fn write_entry(w: &mut Writer, e: &StatusEntry) {
    w.open('{');
    w.int_field("recipient", e.recipient);
    w.str_field("report", &e.report);
    w.opt_int("reason", e.reason);
    w.opt_int("diag", e.diag);
    w.opt_str("text", e.text.as_ref());
    w.opt_float("deliver_time", e.deliver_time);
    w.close('}');
}

fn write_recipient(w: &mut Writer, r: &RecipientRow) {
    w.open('{');
    w.str_field("message", &r.message);
    w.int_field("index", r.index);
    w.str_field("name", &r.name);
    w.str_field("address", &r.address);
    w.str_field("type", &r.addr_type);
    w.str_field("recipient_type", &r.recipient_type);
    w.str_field("status", &r.status);
    w.nullable_str("transport", r.transport.as_ref());
    w.key("responsibility");
    w.bool(r.responsibility);
    w.nullable_str("report", r.report.as_ref());
    w.nullable_int("ndr_reason", r.ndr_reason);
    w.nullable_int("ndr_diag", r.ndr_diag);
    w.nullable_str("report_text", r.report_text.as_ref());
    w.close('}');
}

fn write_message(w: &mut Writer, m: &MessageRow) {
    w.open('{');
    w.str_field("id", &m.id);
    w.str_field("subject", &m.subject);
    w.str_field("status", &m.status);
    w.close('}');
}

fn write_report(w: &mut Writer, r: &ReportRow) {
    w.open('{');
    w.str_field("message", &r.message);
    w.str_field("kind", &r.kind);
    w.str_field("source", &r.source);
    w.key("recipients");
    w.ints(&r.recipients);
    w.int_field("seq", r.seq);
    w.str_field("class", &r.class);
    w.close('}');
}

fn write_warning(w: &mut Writer, x: &Warning) {
    w.open('{');
    w.int_field("seq", x.seq);
    w.str_field("code", &x.code);
    w.str_field("text", &x.text);
    w.close('}');
}

fn write_end(w: &mut Writer, e: &RunEnd) {
    w.open('{');
    w.key("t");
    w.float(e.t);
    w.str_field("reason", &e.reason);
    w.opt_str("text", e.text.as_ref());
    w.close('}');
}

/// `s` as a JSON string with serde_json's escapes: `\"`, `\\`, the short forms `\b`, `\t`,
/// `\n`, `\f`, `\r`, and `\u00xx` (lowercase hex) for the other control characters below
/// U+0020. Everything else, DEL and non-ASCII included, is written as is.
fn write_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let short = match b {
            b'"' => '"',
            b'\\' => '\\',
            0x08 => 'b',
            0x09 => 't',
            0x0a => 'n',
            0x0c => 'f',
            0x0d => 'r',
            0x00..=0x1f => 'u',
            _ => continue,
        };
        // Every byte matched above is ASCII, so `start..i` lies on character boundaries.
        out.push_str(s.get(start..i).unwrap_or_default());
        out.push('\\');
        out.push(short);
        if short == 'u' {
            out.push_str("00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
        start = i + 1;
    }
    out.push_str(s.get(start..).unwrap_or_default());
    out.push('"');
}

/// `v` as serde_json writes an `f64`: `null` when not finite, else the shortest decimal that
/// reads back as `v`, laid out as serde_json's float formatter (`zmij`) does: plain when
/// 1e-5 <= |v| < 1e16 (`0.0`, `2.5`, `0.00001`, `1234567890123456.0`), else scientific
/// with a signed exponent (`1e-7`, `1.5e+300`, `1e+16`).
fn write_f64(out: &mut String, v: f64) {
    if !v.is_finite() {
        out.push_str("null");
        return;
    }
    if v.is_sign_negative() {
        out.push('-');
    }
    if v == 0.0 {
        out.push_str("0.0");
        return;
    }
    // Rust's `{:e}` prints a shortest round-trip decimal, `d.ddde-7`. When two such decimals
    // are equally close to `v` it takes the larger, where serde_json takes the even one:
    // Rust's exact mode with as many digits rounds ties to even, and is right whenever it
    // still reads back as `v`.
    let abs = v.abs();
    let mut sci = format!("{abs:e}");
    let (mantissa, _) = sci.split_once('e').unwrap_or((&sci, ""));
    let precision = mantissa.len().saturating_sub(2);
    let exact = format!("{abs:.precision$e}");
    if exact != sci && exact.parse::<f64>() == Ok(abs) {
        sci = exact;
    }
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exp: i64 = exp.parse().unwrap_or(0);
    let length = digits.len() as i64;
    // The value is 0.DIGITS × 10^kk, i.e. 10^(kk-1) <= v < 10^kk (ryu's names).
    let kk = exp + 1;
    let k = kk - length;
    if (0..=16).contains(&kk) && k >= 0 {
        // 1234e7 -> 12340000000.0
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', k as usize));
        out.push_str(".0");
    } else if 0 < kk && kk <= 16 {
        // 1234e-2 -> 12.34
        let (int, frac) = digits.split_at(kk as usize);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    } else if -5 < kk && kk <= 0 {
        // 1234e-6 -> 0.001234
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-kk) as usize));
        out.push_str(&digits);
    } else {
        // 1e30, 1234e30 -> 1.234e33
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        // serde_json 1.0.154 (through `zmij`) always signs the exponent; `ryu`, which
        // older versions used, wrote `1e16`.
        out.push_str(if kk > 0 { "e+" } else { "e-" });
        out.push_str(&(kk - 1).unsigned_abs().to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::EventKind;

    fn assert_trace_same(t: &Trace) {
        let expected = serde_json::to_string_pretty(t).unwrap_or_else(|e| panic!("{e}"));
        let got = trace_pretty(t);
        if got != expected {
            let at = got
                .bytes()
                .zip(expected.bytes())
                .position(|(a, b)| a != b)
                .unwrap_or(got.len().min(expected.len()));
            let from = at.saturating_sub(200);
            panic!(
                "differs at byte {at}:\n--- ours\n{}\n--- serde_json\n{}",
                got.get(from..(at + 200).min(got.len())).unwrap_or(&got),
                expected
                    .get(from..(at + 200).min(expected.len()))
                    .unwrap_or(&expected)
            );
        }
        for e in &t.events {
            let expected = serde_json::to_string(e).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(event_compact(e), expected);
        }
    }

    fn float_str(v: f64) -> String {
        let mut s = String::new();
        write_f64(&mut s, v);
        s
    }

    fn assert_float_same(v: f64) {
        let expected = serde_json::to_string(&v).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(float_str(v), expected, "bits {:#018x}", v.to_bits());
    }

    fn empty_trace() -> Trace {
        Trace {
            version: 1,
            title: String::new(),
            events: vec![],
            recipients: vec![],
            messages: vec![],
            reports: vec![],
            warnings: vec![],
            end: RunEnd {
                t: 0.0,
                reason: "idle".into(),
                text: None,
            },
        }
    }

    /// An event with every field set.
    fn full_event(seq: u64) -> Event {
        Event {
            seq,
            t: 12.25,
            depth: 2,
            kind: EventKind::Call,
            from: Some("spooler".into()),
            to: Some("smtp".into()),
            method: Some("SubmitMessage".into()),
            message: Some("m1".into()),
            flags: Some(vec!["BEGIN_DEFERRED".into(), "BEGIN_PREPROCESS".into()]),
            offered: Some(vec![0, 1, 4_294_967_295]),
            attempt: Some(3),
            result: Some("MAPI_E_WAIT".into()),
            reference: Some(u64::MAX),
            return_parm: Some(30),
            entries: Some(vec![
                StatusEntry {
                    recipient: 1,
                    report: "NDR".into(),
                    reason: Some(-1),
                    diag: Some(i32::MIN),
                    text: Some("No such mailbox".into()),
                    deliver_time: Some(1e-7),
                },
                StatusEntry {
                    recipient: 0,
                    report: "DR".into(),
                    reason: None,
                    diag: None,
                    text: None,
                    deliver_time: None,
                },
            ]),
            recipient: Some(7),
            property: Some("PR_RESPONSIBILITY".into()),
            value: Some(PropValue::Text("x".into())),
            timer: Some("busy_retry".into()),
            due: Some(1.5e300),
            address_types: Some(vec!["SMTP".into(), "X400".into()]),
            status: Some(vec![]),
            text: Some("a note".into()),
        }
    }

    fn full_trace() -> Trace {
        let mut t = empty_trace();
        t.title = "Seed walkthrough".into();
        t.events.push(full_event(1));
        for (i, v) in [
            PropValue::Bool(true),
            PropValue::Bool(false),
            PropValue::Int(i64::MIN),
            PropValue::Int(i64::MAX),
            PropValue::Int(0),
            PropValue::Text(String::new()),
        ]
        .into_iter()
        .enumerate()
        {
            let mut e = Event::new(EventKind::Property);
            e.seq = i as u64 + 2;
            e.value = Some(v);
            t.events.push(e);
        }
        for kind in [
            EventKind::Return,
            EventKind::Timer,
            EventKind::Note,
            EventKind::Call,
        ] {
            let mut e = Event::new(kind);
            e.t = f64::NAN;
            e.flags = Some(vec![]);
            e.entries = Some(vec![]);
            t.events.push(e);
        }
        t.recipients.push(RecipientRow {
            message: "m1".into(),
            index: 0,
            name: "Alice".into(),
            address: "alice@contoso.example".into(),
            addr_type: "SMTP".into(),
            recipient_type: "TO".into(),
            status: "sent".into(),
            transport: Some("smtp".into()),
            responsibility: true,
            report: Some("NDR".into()),
            ndr_reason: Some(0),
            ndr_diag: Some(-35),
            report_text: Some("text".into()),
        });
        t.recipients.push(RecipientRow {
            message: "m1".into(),
            index: 1,
            name: String::new(),
            address: String::new(),
            addr_type: String::new(),
            recipient_type: "BCC".into(),
            status: "pending".into(),
            transport: None,
            responsibility: false,
            report: None,
            ndr_reason: None,
            ndr_diag: None,
            report_text: None,
        });
        t.messages.push(MessageRow {
            id: "m1".into(),
            subject: "Quarterly report".into(),
            status: "sent_items".into(),
        });
        t.reports.push(ReportRow {
            message: "m1".into(),
            kind: "NDR".into(),
            source: "smtp".into(),
            recipients: vec![1, 2],
            seq: 5,
            class: "REPORT.IPM.Note.NDR".into(),
        });
        t.reports.push(ReportRow {
            message: "m2".into(),
            kind: "DR".into(),
            source: "spooler".into(),
            recipients: vec![],
            seq: 0,
            class: "REPORT.IPM.Note.DR".into(),
        });
        t.warnings.push(Warning {
            seq: 5,
            code: "late_status".into(),
            text: "StatusRecips after the recipient was final".into(),
        });
        t.end = RunEnd {
            t: f64::INFINITY,
            reason: "limit".into(),
            text: Some("event limit".into()),
        };
        t
    }

    #[test]
    fn empty_and_full_traces_match_serde_json() {
        assert_trace_same(&empty_trace());
        let t = full_trace();
        assert_trace_same(&t);
        // The pretty form has the shape the contract shows.
        let out = trace_pretty(&t);
        assert!(out.starts_with("{\n  \"version\": 1,\n  \"title\": \"Seed walkthrough\",\n  \"events\": [\n    {\n      \"seq\": 1,\n      \"t\": 12.25,\n"), "{out}");
        assert!(out.contains("\"type\": \"SMTP\""), "{out}");
        assert!(out.contains("\"transport\": null"), "{out}");
        assert!(out.contains("\"recipients\": [],"), "{out}");
        assert!(trace_pretty(&empty_trace()).contains("\"events\": [],\n"));
    }

    #[test]
    fn sample_events_match_serde_json_compactly() {
        let e = full_event(9);
        assert!(event_compact(&e).starts_with(
            "{\"seq\":9,\"t\":12.25,\"depth\":2,\"kind\":\"call\",\"from\":\"spooler\""
        ));
        let mut minimal = Event::new(EventKind::Note);
        minimal.t = -0.0;
        assert_eq!(
            event_compact(&minimal),
            "{\"seq\":0,\"t\":-0.0,\"depth\":0,\"kind\":\"note\"}"
        );
        assert_trace_same(&full_trace());
    }

    const HOSTILE: [&str; 12] = [
        "say \"hi\"",
        "back\\slash\\\\",
        "line\nfeed\r\n\ttab",
        "\u{8}\u{c}\u{0}\u{1f}\u{7f}\u{80}\u{9f}",
        "emoji 📬🧪 and ✉",
        "separators \u{2028} and \u{2029}",
        "</script><script>alert(1)</script>",
        "]]> &amp; ' \u{feff}",
        "\u{10ffff}\u{fffd}",
        "",
        "\\u0000",
        "ends with backslash\\",
    ];

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        for s in HOSTILE {
            let mut out = String::new();
            write_string(&mut out, s);
            assert_eq!(out, serde_json::to_string(s).unwrap_or_default(), "{s:?}");
        }
        for b in 0u8..=0x7f {
            let s = format!("a{}b", char::from(b));
            let mut out = String::new();
            write_string(&mut out, &s);
            assert_eq!(out, serde_json::to_string(&s).unwrap_or_default(), "{b:#x}");
        }
        let mut out = String::new();
        write_string(&mut out, "\u{1}\u{1b}");
        assert_eq!(out, "\"\\u0001\\u001b\"");
        let mut t = full_trace();
        for (i, s) in HOSTILE.iter().enumerate() {
            let s = (*s).to_string();
            t.title = s.clone();
            t.events[0].text = Some(s.clone());
            t.events[0].flags = Some(vec![s.clone(), s.clone()]);
            t.recipients[0].name = s.clone();
            t.recipients[1].report_text = Some(s.clone());
            t.warnings[0].text = s.clone();
            t.end.text = Some(s.clone());
            let n = t.events.len();
            t.events[i % n].value = Some(PropValue::Text(s));
            assert_trace_same(&t);
        }
    }

    #[test]
    fn special_floats_match_serde_json() {
        let specials = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            2.5,
            0.1,
            0.3,
            1.0 / 3.0,
            1e-7,
            1e-5,
            1e-4,
            0.00012345,
            0.000012345,
            123456789.0,
            1e15,
            1e16,
            1e17,
            9007199254740992.0,
            9007199254740993.0,
            1234567890123456.0,
            12345678901234567.0,
            1.5e300,
            1e308,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            f64::MIN_POSITIVE / 2.0,
            f64::from_bits(1),
            f64::EPSILON,
            5e-324,
            4.35,
            0.001,
            2999999.999,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for v in specials {
            assert_float_same(v);
            assert_float_same(-v);
        }
        assert_eq!(float_str(0.0), "0.0");
        assert_eq!(float_str(2.5), "2.5");
        assert_eq!(float_str(1e-7), "1e-7");
        assert_eq!(float_str(1e-5), "0.00001");
        assert_eq!(float_str(1e16), "1e+16");
        assert_eq!(float_str(1.5e300), "1.5e+300");
        assert_eq!(float_str(f64::NAN), "null");
        for exp in -330..=310 {
            for mantissa in [1.0, 1.5, 9.999, 1.234_567_890_123_456_7] {
                let v = format!("{mantissa}e{exp}").parse::<f64>().unwrap_or(0.0);
                assert_float_same(v);
            }
        }
    }

    /// SplitMix64: a deterministic source of test input.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n.max(1)
        }

        fn chance(&mut self) -> bool {
            self.next() & 1 == 1
        }

        fn float(&mut self) -> f64 {
            match self.below(4) {
                0 => f64::from_bits(self.next()),
                1 => self.below(3_000_000_000) as f64 / 1000.0,
                2 => self.below(3_000_000_000) as f64 * 0.001,
                _ => self.below(100_000) as f64,
            }
        }

        fn string(&mut self) -> String {
            const PIECES: [&str; 14] = [
                "a", "Z", "0", " ", "\"", "\\", "\n", "\u{0}", "\u{1f}", "\u{7f}", "é", "📬",
                "\u{2028}", "</x>",
            ];
            let n = self.below(8);
            (0..n)
                .map(|_| PIECES[self.below(PIECES.len() as u64) as usize])
                .collect()
        }

        fn opt_string(&mut self) -> Option<String> {
            self.chance().then(|| self.string())
        }

        fn strings(&mut self) -> Vec<String> {
            let n = self.below(4);
            (0..n).map(|_| self.string()).collect()
        }

        fn int<T: TryFrom<u64> + Default>(&mut self) -> T {
            let bits = self.below(64) as u32;
            T::try_from(self.next() >> bits).unwrap_or_default()
        }

        fn signed(&mut self) -> i32 {
            self.next() as i32 >> self.below(32)
        }
    }

    fn random_event(r: &mut Rng) -> Event {
        let kinds = [
            EventKind::Call,
            EventKind::Return,
            EventKind::Property,
            EventKind::Timer,
            EventKind::Note,
        ];
        let mut e = Event::new(kinds[r.below(5) as usize]);
        e.seq = r.int();
        e.t = r.float();
        e.depth = r.int();
        e.from = r.opt_string();
        e.to = r.opt_string();
        e.method = r.opt_string();
        e.message = r.opt_string();
        e.flags = r.chance().then(|| r.strings());
        e.offered = r
            .chance()
            .then(|| (0..r.below(4)).map(|_| r.int()).collect());
        e.attempt = r.chance().then(|| r.int());
        e.result = r.opt_string();
        e.reference = r.chance().then(|| r.int());
        e.return_parm = r.chance().then(|| r.int());
        e.entries = r.chance().then(|| {
            (0..r.below(3))
                .map(|_| StatusEntry {
                    recipient: r.int(),
                    report: r.string(),
                    reason: r.chance().then(|| r.signed()),
                    diag: r.chance().then(|| r.signed()),
                    text: r.opt_string(),
                    deliver_time: r.chance().then(|| r.float()),
                })
                .collect()
        });
        e.recipient = r.chance().then(|| r.int());
        e.property = r.opt_string();
        e.value = match r.below(4) {
            0 => None,
            1 => Some(PropValue::Bool(r.chance())),
            2 => Some(PropValue::Int(r.next() as i64 >> r.below(64))),
            _ => Some(PropValue::Text(r.string())),
        };
        e.timer = r.opt_string();
        e.due = r.chance().then(|| r.float());
        e.address_types = r.chance().then(|| r.strings());
        e.status = r.chance().then(|| r.strings());
        e.text = r.opt_string();
        e
    }

    fn random_trace(r: &mut Rng) -> Trace {
        let mut t = empty_trace();
        t.version = r.int();
        t.title = r.string();
        t.events = (0..r.below(6)).map(|_| random_event(r)).collect();
        t.recipients = (0..r.below(3))
            .map(|_| RecipientRow {
                message: r.string(),
                index: r.int(),
                name: r.string(),
                address: r.string(),
                addr_type: r.string(),
                recipient_type: r.string(),
                status: r.string(),
                transport: r.opt_string(),
                responsibility: r.chance(),
                report: r.opt_string(),
                ndr_reason: r.chance().then(|| r.signed()),
                ndr_diag: r.chance().then(|| r.signed()),
                report_text: r.opt_string(),
            })
            .collect();
        t.messages = (0..r.below(3))
            .map(|_| MessageRow {
                id: r.string(),
                subject: r.string(),
                status: r.string(),
            })
            .collect();
        t.reports = (0..r.below(3))
            .map(|_| ReportRow {
                message: r.string(),
                kind: r.string(),
                source: r.string(),
                recipients: (0..r.below(4)).map(|_| r.int()).collect(),
                seq: r.int(),
                class: r.string(),
            })
            .collect();
        t.warnings = (0..r.below(3))
            .map(|_| Warning {
                seq: r.int(),
                code: r.string(),
                text: r.string(),
            })
            .collect();
        t.end = RunEnd {
            t: r.float(),
            reason: r.string(),
            text: r.opt_string(),
        };
        t
    }

    #[test]
    fn random_traces_match_serde_json() {
        let mut r = Rng(0x5eed);
        for _ in 0..2000 {
            assert_trace_same(&random_trace(&mut r));
        }
    }

    #[test]
    fn random_floats_match_serde_json() {
        let mut r = Rng(42);
        // Arbitrary bit patterns: every exponent, subnormals, NaNs and infinities.
        for _ in 0..200_000 {
            assert_float_same(f64::from_bits(r.next()));
        }
        // Virtual times: milliseconds up to 3e6 s, computed both ways a program might.
        for _ in 0..200_000 {
            let ms = r.below(3_000_000_001);
            assert_float_same(ms as f64 / 1000.0);
            assert_float_same(ms as f64 * 0.001);
        }
        for ms in (0..3_000_000_000u64).step_by(7919).chain(0..20_000) {
            assert_float_same(ms as f64 / 1000.0);
        }
        // Exact binary fractions: many are exact ties between two shortest decimals.
        for _ in 0..200_000 {
            let v = r.below(1 << 53) as f64 * 2f64.powi(-(r.below(64) as i32));
            assert_float_same(v);
            assert_float_same(v * 1e10);
        }
        // 1099514114116857.25 exactly: `{:e}` rounds it up, serde_json to even.
        let tie = f64::from_bits(0x430f_4004_a194_67ca);
        assert_eq!(float_str(tie), "1099514114116857.2");
        assert_float_same(tie);
        // Tiny and huge magnitudes, and values near the plain/scientific boundaries.
        for _ in 0..100_000 {
            let exp = r.below(2098) as i64 - 1074;
            let v = 2f64.powi(exp as i32) * (1.0 + r.below(1 << 20) as f64 / f64::from(1 << 20));
            assert_float_same(v);
            let boundary: f64 = [1e-5, 1e-4, 1e15, 1e16, 1e17][r.below(5) as usize];
            let nudged = f64::from_bits(boundary.to_bits() + r.below(2000) - 1000);
            assert_float_same(nudged);
        }
    }
}
