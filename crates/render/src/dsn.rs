//! `--format dsn`: every report of a trace as an RFC 3464 delivery status notification,
//! specified in `docs/spec/reports-dsn.md` (cited as "reports §N").
//!
//! Each [`ReportRow`] (one REPORT.IPM.Note.DR or .NDR, model §6.4) becomes one RFC 5322
//! message of type `multipart/report; report-type=delivery-status` (RFC 6522, which
//! obsoletes RFC 3462) with a `text/plain` part for people, a `message/delivery-status`
//! part (RFC 3464 §2) and, for an NDR, a `text/rfc822-headers` part with the original
//! message's headers (reports §3). [`render`] writes all of them as one mbox file
//! (RFC 4155, reports §2); [`report`] gives one of them without the mbox framing.
//!
//! The `Status` of each recipient comes from its `PR_NDR_REASON_CODE` and
//! `PR_NDR_DIAG_CODE` (model §6.5) through [`status_code`] and the tables
//! [`DIAG_STATUS`] and [`REASON_STATUS`] (reports §5, §6).
//!
//! Everything is derived from the trace alone: virtual time is turned into dates from a
//! fixed epoch ([`EPOCH`], reports §7), boundaries and Message-IDs from report `seq`s
//! and message ids, so the same trace always gives the same bytes. Lines end in LF.
//! User text (subjects, names, addresses, report texts) can never start a header line or
//! a MIME boundary: control characters become spaces, header values are folded and
//! non-ASCII header text is RFC 2047-encoded (reports §8). Nothing here panics.

use std::collections::{BTreeMap, BTreeSet};

use spoolscope_contract::consts::{diag_name, reason_name};
use spoolscope_contract::sort_by_key_stable;
use spoolscope_contract::trace::{Event, EventKind, MessageRow, RecipientRow, ReportRow, Trace};

/// The wall-clock instant that virtual time zero stands for (reports §7).
pub const EPOCH: &str = "2000-01-01T00:00:00Z";

/// [`EPOCH`] in seconds since 1970-01-01T00:00:00Z.
const EPOCH_UNIX: u64 = 946_684_800;

/// The last second of the year 9999; later dates cannot be written in RFC 5322's 4-digit
/// years, so virtual times beyond it are clamped (reports §7).
const MAX_UNIX: u64 = 253_402_300_799;

/// The reserved domain (RFC 6761 §6.4) under which every synthetic name lives.
pub const DOMAIN: &str = "spoolscope.invalid";

/// Width the `text/plain` part and folded header lines aim for.
const WIDTH: usize = 76;

/// A header line is folded before it grows past this many characters (RFC 5322 §2.1.1).
const FOLD_AT: usize = 78;

/// A word longer than this is never written as one header line (RFC 5322 allows 998).
const LONG_WORD: usize = 900;

/// Bytes of UTF-8 per RFC 2047 encoded-word: 36 bytes are 48 base64 characters, a
/// 60-character word, which fits on a folded line with any header name used here.
const ENCODED_WORD_BYTES: usize = 36;

/// Up to this many To/Cc recipients are listed in an NDR's returned headers (reports §7).
const MAX_LISTED_RECIPIENTS: usize = 50;

/// Whether a report is a delivery report or a non-delivery report (model §6.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportKind {
    /// A delivery report: the StatusRecips entry carried `PR_DELIVER_TIME`.
    Dr,
    /// A non-delivery report.
    Ndr,
}

impl ReportKind {
    /// Reads a trace's `kind` (`"DR"`/`"NDR"`). As in model §6.2, anything that is not a
    /// delivery report is a non-delivery report.
    pub fn of(kind: &str) -> ReportKind {
        if kind.eq_ignore_ascii_case("DR") {
            ReportKind::Dr
        } else {
            ReportKind::Ndr
        }
    }

    /// The RFC 3464 §2.3.3 `Action` value: `delivered` for a DR, `failed` for an NDR.
    pub fn action(self) -> &'static str {
        match self {
            ReportKind::Dr => "delivered",
            ReportKind::Ndr => "failed",
        }
    }
}

/// Which rule of reports §6 produced a status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Basis {
    /// A delivery report: always 2.0.0.
    Delivered,
    /// The diagnostic code's row of [`DIAG_STATUS`].
    Diagnostic,
    /// The reason code's row of [`REASON_STATUS`]: the diagnostic was
    /// `MAPI_DIAG_NO_DIAGNOSTIC` or not a known code.
    Reason,
    /// Neither code is known: 5.0.0.
    Unknown,
}

/// An RFC 3463 status code chosen for one recipient of a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MappedStatus {
    /// The code, e.g. `"5.1.1"`.
    pub code: &'static str,
    /// Its RFC 3463 title, e.g. `"Bad destination mailbox address"` (for a DR's 2.0.0,
    /// `"Success (delivered)"`).
    pub meaning: &'static str,
    /// The rule that chose it.
    pub basis: Basis,
}

/// `PR_NDR_DIAG_CODE` → RFC 3463 status: `(diag, code, RFC 3463 title)`, one row for each
/// diagnostic 0..=47 of model §6.5. The reasons for every row are in reports §5.
/// `MAPI_DIAG_NO_DIAGNOSTIC` (-1) has no row on purpose: it falls back to the reason.
pub const DIAG_STATUS: &[(i32, &str, &str)] = &[
    (0, "5.1.0", "Other address status"),
    (1, "5.1.4", "Destination mailbox address ambiguous"),
    (2, "4.4.5", "Mail system congestion"),
    (3, "4.4.6", "Routing loop detected"),
    (4, "4.2.1", "Mailbox disabled, not accepting messages"),
    (5, "4.4.7", "Delivery time expired"),
    (6, "5.6.1", "Media not supported"),
    (7, "5.3.4", "Message too big for system"),
    (8, "5.6.3", "Conversion required but not supported"),
    (9, "5.6.2", "Conversion required and prohibited"),
    (10, "5.6.2", "Conversion required and prohibited"),
    (11, "5.5.4", "Invalid command arguments"),
    (12, "5.6.0", "Other or undefined media error"),
    (13, "5.2.3", "Message length exceeds administrative limit"),
    (14, "5.5.4", "Invalid command arguments"),
    (15, "5.6.1", "Media not supported"),
    (16, "5.5.3", "Too many recipients"),
    (17, "5.7.1", "Delivery not authorized, message refused"),
    (18, "5.3.3", "System not capable of selected features"),
    (19, "5.6.4", "Conversion with loss performed"),
    (20, "5.6.4", "Conversion with loss performed"),
    (21, "5.6.4", "Conversion with loss performed"),
    (22, "5.6.4", "Conversion with loss performed"),
    (23, "5.6.4", "Conversion with loss performed"),
    (24, "5.6.4", "Conversion with loss performed"),
    (25, "5.6.4", "Conversion with loss performed"),
    (26, "5.7.1", "Delivery not authorized, message refused"),
    (27, "4.4.6", "Routing loop detected"),
    (28, "5.7.2", "Mailing list expansion prohibited"),
    (29, "5.7.2", "Mailing list expansion prohibited"),
    (30, "5.2.4", "Mailing list expansion problem"),
    (31, "5.3.3", "System not capable of selected features"),
    (32, "5.1.3", "Bad destination mailbox address syntax"),
    (33, "5.1.2", "Bad destination system address"),
    (34, "5.1.3", "Bad destination mailbox address syntax"),
    (35, "5.1.1", "Bad destination mailbox address"),
    (
        36,
        "5.1.6",
        "Destination mailbox has moved, No forwarding address",
    ),
    (
        37,
        "5.1.6",
        "Destination mailbox has moved, No forwarding address",
    ),
    (38, "5.2.1", "Mailbox disabled, not accepting messages"),
    (39, "5.2.0", "Other or undefined mailbox status"),
    (
        40,
        "5.1.6",
        "Destination mailbox has moved, No forwarding address",
    ),
    (
        41,
        "5.1.6",
        "Destination mailbox has moved, No forwarding address",
    ),
    (
        42,
        "5.1.6",
        "Destination mailbox has moved, No forwarding address",
    ),
    (
        43,
        "5.1.6",
        "Destination mailbox has moved, No forwarding address",
    ),
    (
        44,
        "5.1.6",
        "Destination mailbox has moved, No forwarding address",
    ),
    (
        45,
        "5.1.6",
        "Destination mailbox has moved, No forwarding address",
    ),
    (46, "5.7.0", "Other or undefined security status"),
    (47, "5.6.3", "Conversion required but not supported"),
];

/// `PR_NDR_REASON_CODE` → RFC 3463 status, used when the diagnostic says nothing
/// (reports §6): `(reason, code, RFC 3463 title)` for each reason 0..=6 of model §6.5.
pub const REASON_STATUS: &[(i32, &str, &str)] = &[
    (0, "5.0.0", "Other undefined status"),
    (1, "5.4.4", "Unable to route"),
    (2, "5.6.3", "Conversion required but not supported"),
    (3, "5.3.3", "System not capable of selected features"),
    (4, "5.3.0", "Other or undefined mail system status"),
    (5, "5.7.1", "Delivery not authorized, message refused"),
    (6, "4.4.3", "Directory server failure"),
];

/// The status of every recipient of a delivery report (reports §6).
const DELIVERED: (&str, &str) = ("2.0.0", "Success (delivered)");

/// The status when neither the diagnostic nor the reason is a known code (reports §6).
const UNKNOWN: (&str, &str) = ("5.0.0", "Other undefined status");

/// The RFC 3463 status code for one recipient of a report, by the rules of reports §6:
/// a DR is 2.0.0; an NDR takes its diagnostic's row of [`DIAG_STATUS`], else (for
/// `MAPI_DIAG_NO_DIAGNOSTIC` or an unknown diagnostic) its reason's row of
/// [`REASON_STATUS`], else 5.0.0. A missing reason or diagnostic should be passed as
/// model §6.2's defaults, `MAPI_REASON_TRANSFER_FAILED` (0) and `MAPI_DIAG_NO_DIAGNOSTIC`
/// (-1).
pub fn status_code(kind: ReportKind, reason: i32, diag: i32) -> MappedStatus {
    if kind == ReportKind::Dr {
        return MappedStatus {
            code: DELIVERED.0,
            meaning: DELIVERED.1,
            basis: Basis::Delivered,
        };
    }
    let row = |table: &'static [(i32, &'static str, &'static str)], key: i32| {
        table.iter().find(|(k, _, _)| *k == key)
    };
    if let Some((_, code, meaning)) = row(DIAG_STATUS, diag) {
        return MappedStatus {
            code,
            meaning,
            basis: Basis::Diagnostic,
        };
    }
    if let Some((_, code, meaning)) = row(REASON_STATUS, reason) {
        return MappedStatus {
            code,
            meaning,
            basis: Basis::Reason,
        };
    }
    MappedStatus {
        code: UNKNOWN.0,
        meaning: UNKNOWN.1,
        basis: Basis::Unknown,
    }
}

/// Renders every report of the trace as one mbox file (RFC 4155, reports §2): each
/// message is preceded by a `From MAILER-DAEMON <asctime>` line and followed by an empty
/// line; body lines that begin with `From ` (after any `>`s) get one more `>` (mboxrd).
/// A trace without reports gives an empty string.
pub fn render(trace: &Trace) -> String {
    let index = Index::build(trace, None);
    let mut out = String::new();
    for row in &trace.reports {
        let (message, t) = compose(row, &index);
        out.push_str("From MAILER-DAEMON ");
        out.push_str(&asctime(t));
        out.push('\n');
        for line in message.split_inclusive('\n') {
            if line.trim_start_matches('>').starts_with("From ") {
                out.push('>');
            }
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// The `index`-th report of `trace.reports` as one RFC 5322 message (LF line ends, no
/// mbox framing), or `None` if there is no such report. It is byte for byte the message
/// [`render`] writes for that report, before mboxrd quoting.
///
/// The result is plain text: a page that shows it must escape it for HTML.
pub fn report(trace: &Trace, index: usize) -> Option<String> {
    let row = trace.reports.get(index)?;
    let lookups = Index::build(trace, Some((row.message.as_str(), row.seq)));
    Some(compose(row, &lookups).0)
}

/// Lookups over a trace, built once per [`render`] (or narrowed to one report's message
/// for [`report`], so that showing one report costs one pass over the trace).
struct Index<'a> {
    /// Recipient rows by (message, index); the first row wins if one is repeated.
    rows: BTreeMap<(&'a str, u32), &'a RecipientRow>,
    /// Each message's recipient rows in index order.
    by_message: BTreeMap<&'a str, Vec<&'a RecipientRow>>,
    /// Message rows by id.
    messages: BTreeMap<&'a str, &'a MessageRow>,
    /// Events by seq (only the reports' own events are needed).
    events: BTreeMap<u64, &'a Event>,
    /// When the client first called IMessage::SubmitMessage for each message.
    submitted: BTreeMap<&'a str, f64>,
    /// `PR_DELIVER_TIME`s of StatusRecips DR entries: (seq, time) by (message, recipient).
    delivered: BTreeMap<(&'a str, u32), Vec<(u64, f64)>>,
}

impl<'a> Index<'a> {
    /// Indexes `trace`; with `only = Some((message, seq))`, just what that report needs.
    fn build(trace: &'a Trace, only: Option<(&str, u64)>) -> Index<'a> {
        let wanted = |message: &str| only.is_none_or(|(m, _)| m == message);
        let mut ix = Index {
            rows: BTreeMap::new(),
            by_message: BTreeMap::new(),
            messages: BTreeMap::new(),
            events: BTreeMap::new(),
            submitted: BTreeMap::new(),
            delivered: BTreeMap::new(),
        };
        for row in trace.recipients.iter().filter(|r| wanted(&r.message)) {
            ix.rows
                .entry((row.message.as_str(), row.index))
                .or_insert(row);
            ix.by_message
                .entry(row.message.as_str())
                .or_default()
                .push(row);
        }
        for list in ix.by_message.values_mut() {
            sort_by_key_stable(list, |r| u64::from(r.index));
        }
        for row in trace.messages.iter().filter(|m| wanted(&m.id)) {
            ix.messages.entry(row.id.as_str()).or_insert(row);
        }
        let report_seqs: BTreeSet<u64> = match only {
            Some((_, seq)) => BTreeSet::from([seq]),
            None => trace.reports.iter().map(|r| r.seq).collect(),
        };
        for ev in &trace.events {
            if report_seqs.contains(&ev.seq) {
                ix.events.entry(ev.seq).or_insert(ev);
            }
            let Some(message) = ev.message.as_deref() else {
                continue;
            };
            if !wanted(message) {
                continue;
            }
            let method = ev.method.as_deref();
            if ev.kind == EventKind::Call && method == Some("SubmitMessage") {
                if ev.from.as_deref() == Some("client") {
                    ix.submitted.entry(message).or_insert(ev.t);
                }
            } else if ev.kind == EventKind::Call && method == Some("StatusRecips") {
                for entry in ev.entries.iter().flatten() {
                    if let (ReportKind::Dr, Some(t)) =
                        (ReportKind::of(&entry.report), entry.deliver_time)
                    {
                        ix.delivered
                            .entry((message, entry.recipient))
                            .or_default()
                            .push((ev.seq, t));
                    }
                }
            }
        }
        ix
    }
}

/// One recipient of a report, with everything its DSN fields need.
struct Recipient<'a> {
    index: u32,
    row: Option<&'a RecipientRow>,
    reason: i32,
    diag: i32,
    /// `PR_REPORT_TEXT`, with control characters already turned into spaces.
    text: String,
    status: MappedStatus,
    /// `Last-Attempt-Date`: `PR_DELIVER_TIME` for a DR, the report time for an NDR.
    when: f64,
}

/// Builds one report's message; also returns the report's virtual time (for the mbox
/// `From ` line).
fn compose(report: &ReportRow, ix: &Index) -> (String, f64) {
    let kind = ReportKind::of(&report.kind);
    let event = ix.events.get(&report.seq).copied();
    let t = event.map_or(0.0, |e| e.t);
    let message_id = report.message.as_str();
    let subject = ix
        .messages
        .get(message_id)
        .map_or("", |m| m.subject.as_str());
    let submitted = ix.submitted.get(message_id).copied();

    let recipients: Vec<Recipient> = report
        .recipients
        .iter()
        .map(|&index| {
            let row = ix.rows.get(&(message_id, index)).copied();
            let entry = event
                .and_then(|e| e.entries.as_ref())
                .and_then(|list| list.iter().find(|en| en.recipient == index));
            // model §6.2: a missing reason is MAPI_REASON_TRANSFER_FAILED, a missing
            // diagnostic MAPI_DIAG_NO_DIAGNOSTIC, a missing text empty.
            let reason = entry
                .and_then(|en| en.reason)
                .or(row.and_then(|r| r.ndr_reason))
                .unwrap_or(0);
            let diag = entry
                .and_then(|en| en.diag)
                .or(row.and_then(|r| r.ndr_diag))
                .unwrap_or(-1);
            let text = entry
                .and_then(|en| en.text.as_deref())
                .or(row.and_then(|r| r.report_text.as_deref()))
                .unwrap_or("");
            let when = match kind {
                ReportKind::Dr => ix
                    .delivered
                    .get(&(message_id, index))
                    .and_then(|list| list.iter().rev().find(|(seq, _)| *seq <= report.seq))
                    .map_or(t, |(_, dt)| *dt),
                ReportKind::Ndr => t,
            };
            Recipient {
                index,
                row,
                reason,
                diag,
                text: one_line(text),
                status: status_code(kind, reason, diag),
                when,
            }
        })
        .collect();

    let originals: &[&RecipientRow] = ix.by_message.get(message_id).map_or(&[], |v| v.as_slice());
    let plain = human_part(report, kind, subject, submitted, t, &recipients, originals);
    let status = status_part(report, kind, submitted, &recipients);
    let headers = (kind == ReportKind::Ndr)
        .then(|| original_headers(message_id, subject, submitted, originals));

    // The boundary comes from the seq; it is lengthened in the (by construction
    // impossible) case that a part's text contains it.
    let mut boundary = format!("=_spoolscope-report-{}", report.seq);
    while [Some(&plain), Some(&status), headers.as_ref()]
        .iter()
        .flatten()
        .any(|part| part.contains(&boundary))
    {
        boundary.push('_');
    }

    let mut out = String::new();
    header(&mut out, "Return-Path", "<>");
    header(
        &mut out,
        "From",
        &format!("MAPI spooler <MAILER-DAEMON@spooler.{DOMAIN}>"),
    );
    header(&mut out, "To", &format!("Sender <sender@{DOMAIN}>"));
    let prefix = match kind {
        ReportKind::Dr => "Delivered:",
        ReportKind::Ndr => "Undeliverable:",
    };
    unstructured(&mut out, "Subject", prefix, subject);
    header(&mut out, "Date", &rfc5322_date(t));
    header(
        &mut out,
        "Message-ID",
        &format!(
            "<report-{}-{}@{DOMAIN}>",
            report.seq,
            id_text(&report.message)
        ),
    );
    header(&mut out, "Auto-Submitted", "auto-replied");
    header(&mut out, "MIME-Version", "1.0");
    header(
        &mut out,
        "Content-Type",
        &format!("multipart/report; report-type=delivery-status; boundary=\"{boundary}\""),
    );
    header(&mut out, "Content-Transfer-Encoding", "8bit");
    out.push('\n');
    out.push_str("This is a MIME-encapsulated delivery status notification (RFC 3464).\n");

    out.push_str(&format!("\n--{boundary}\n"));
    header(&mut out, "Content-Type", "text/plain; charset=utf-8");
    header(&mut out, "Content-Transfer-Encoding", "8bit");
    header(&mut out, "Content-Description", "Notification");
    out.push('\n');
    out.push_str(&plain);

    out.push_str(&format!("\n--{boundary}\n"));
    header(&mut out, "Content-Type", "message/delivery-status");
    header(&mut out, "Content-Description", "Delivery report");
    out.push('\n');
    out.push_str(&status);

    if let Some(h) = &headers {
        out.push_str(&format!("\n--{boundary}\n"));
        header(&mut out, "Content-Type", "text/rfc822-headers");
        header(
            &mut out,
            "Content-Description",
            "Undelivered message headers",
        );
        out.push('\n');
        out.push_str(h);
    }
    out.push_str(&format!("\n--{boundary}--\n"));
    (out, t)
}

/// The `text/plain` part (reports §3): what happened, per recipient, in MAPI's terms.
fn human_part(
    report: &ReportRow,
    kind: ReportKind,
    subject: &str,
    submitted: Option<f64>,
    t: f64,
    recipients: &[Recipient],
    originals: &[&RecipientRow],
) -> String {
    let mut out = String::new();
    let class = one_line(&report.class);
    match kind {
        ReportKind::Ndr => {
            wrap(&mut out, "", "", &format!("{class}: non-delivery report"));
            out.push('\n');
            if report.source == "spooler" {
                wrap(
                    &mut out,
                    "",
                    "",
                    "Delivery has failed to these recipients. No transport provider took \
                     responsibility for them (PR_RESPONSIBILITY stayed FALSE with every \
                     candidate, or none handles their address type), so the MAPI spooler \
                     made this report itself.",
                );
            } else {
                wrap(
                    &mut out,
                    "",
                    "",
                    &format!(
                        "Delivery has failed to these recipients. The transport provider \
                         \"{}\" reported them through IMAPISupport::StatusRecips (entries \
                         without PR_DELIVER_TIME), and the MAPI spooler made this report.",
                        one_line(&report.source)
                    ),
                );
            }
        }
        ReportKind::Dr => {
            wrap(&mut out, "", "", &format!("{class}: delivery report"));
            out.push('\n');
            wrap(
                &mut out,
                "",
                "",
                &format!(
                    "Your message was delivered to these recipients. The transport provider \
                     \"{}\" reported the delivery through IMAPISupport::StatusRecips \
                     (entries with PR_DELIVER_TIME), and the MAPI spooler made this report.",
                    one_line(&report.source)
                ),
            );
        }
    }
    out.push('\n');
    let label = |name: &str| format!("  {name:<10} ");
    let cont = " ".repeat(13);
    wrap(&mut out, &label("Subject:"), &cont, &one_line(subject));
    let message = match submitted {
        Some(s) => format!(
            "{}, submitted at {} ({})",
            one_line(&report.message),
            seconds(s),
            rfc5322_date(s)
        ),
        None => one_line(&report.message),
    };
    wrap(&mut out, &label("Message:"), &cont, &message);
    wrap(
        &mut out,
        &label("Report:"),
        &cont,
        &format!(
            "trace seq {}, {} ({})",
            report.seq,
            seconds(t),
            rfc5322_date(t)
        ),
    );

    let label = |name: &str| format!("    {name:<20} ");
    let cont = " ".repeat(25);
    for r in recipients {
        out.push('\n');
        match r.row {
            Some(row) => {
                let name = one_line(&row.name);
                let address = one_line(&row.address);
                let who = if name.is_empty() {
                    format!("<{address}>")
                } else {
                    format!("{name} <{address}>")
                };
                wrap(&mut out, "  ", "    ", &who);
                wrap(
                    &mut out,
                    &label("Recipient:"),
                    &cont,
                    &format!(
                        "#{}, {}, address type {}",
                        r.index,
                        title_case(&one_line(&row.recipient_type)),
                        one_line(&row.addr_type)
                    ),
                );
            }
            None => wrap(
                &mut out,
                "  ",
                "    ",
                &format!(
                    "Recipient #{} (not in the trace's recipient table)",
                    r.index
                ),
            ),
        }
        match kind {
            ReportKind::Ndr => {
                wrap(
                    &mut out,
                    &label("PR_NDR_REASON_CODE:"),
                    &cont,
                    &format!("{} ({})", reason_name(r.reason), r.reason),
                );
                wrap(
                    &mut out,
                    &label("PR_NDR_DIAG_CODE:"),
                    &cont,
                    &format!("{} ({})", diag_name(r.diag), r.diag),
                );
                let text = if r.text.is_empty() {
                    "(none)"
                } else {
                    r.text.as_str()
                };
                wrap(&mut out, &label("PR_REPORT_TEXT:"), &cont, text);
            }
            ReportKind::Dr => wrap(
                &mut out,
                &label("PR_DELIVER_TIME:"),
                &cont,
                &format!("{} ({})", seconds(r.when), rfc5322_date(r.when)),
            ),
        }
        wrap(
            &mut out,
            &label("RFC 3463 status:"),
            &cont,
            &format!("{} {}", r.status.code, r.status.meaning),
        );
    }
    if kind == ReportKind::Ndr {
        out.push('\n');
        wrap(
            &mut out,
            "",
            "",
            "A MAPI NDR carries the original message, as it was submitted, as an \
             attachment so that it can be sent again; this notification returns the \
             original's headers only (the text/rfc822-headers part).",
        );
        let visible = visible(originals);
        if visible.len() > MAX_LISTED_RECIPIENTS {
            wrap(
                &mut out,
                "",
                "",
                &format!(
                    "The original had {} To and Cc recipients; they are left out of the \
                     returned headers.",
                    visible.len()
                ),
            );
        }
    }
    out
}

/// The `message/delivery-status` part (RFC 3464 §2.2–2.3, reports §4). ASCII only.
fn status_part(
    report: &ReportRow,
    kind: ReportKind,
    submitted: Option<f64>,
    recipients: &[Recipient],
) -> String {
    let mut out = String::new();
    header(
        &mut out,
        "Reporting-MTA",
        &format!("dns; {}", reporting_host(&report.source)),
    );
    if let Some(s) = submitted {
        header(&mut out, "Arrival-Date", &rfc5322_date(s));
    }
    for r in recipients {
        out.push('\n');
        header(&mut out, "Final-Recipient", &final_recipient(r));
        header(&mut out, "Action", kind.action());
        header(&mut out, "Status", r.status.code);
        if kind == ReportKind::Ndr {
            let mut value = format!(
                "X-MAPI; {} {}",
                code_token(&reason_name(r.reason), "UNKNOWN_REASON", r.reason),
                code_token(&diag_name(r.diag), "UNKNOWN_DIAG", r.diag)
            );
            let text = escape_ascii(&r.text);
            if !text.is_empty() {
                value.push(' ');
                value.push_str(&text);
            }
            header(&mut out, "Diagnostic-Code", &value);
        }
        header(&mut out, "Last-Attempt-Date", &rfc5322_date(r.when));
        if let Some(row) = r.row {
            let name = header_text(&row.name);
            if !name.is_empty() && name != header_text(&row.address) {
                unstructured(&mut out, "X-Display-Name", "", &row.name);
            }
        }
    }
    out
}

/// The returned headers of the original message, for an NDR's `text/rfc822-headers`
/// part (RFC 6522 §4, reports §3).
fn original_headers(
    message_id: &str,
    subject: &str,
    submitted: Option<f64>,
    originals: &[&RecipientRow],
) -> String {
    let mut out = String::new();
    header(&mut out, "From", &format!("Sender <sender@{DOMAIN}>"));
    let visible = visible(originals);
    if visible.len() <= MAX_LISTED_RECIPIENTS {
        for (name, kind) in [("To", "TO"), ("Cc", "CC")] {
            let list: Vec<String> = visible
                .iter()
                .filter(|r| r.recipient_type.eq_ignore_ascii_case(kind))
                .filter_map(|r| mailbox(r))
                .collect();
            if !list.is_empty() {
                header(&mut out, name, &list.join(", "));
            }
        }
    }
    unstructured(&mut out, "Subject", "", subject);
    if let Some(s) = submitted {
        header(&mut out, "Date", &rfc5322_date(s));
    }
    header(
        &mut out,
        "Message-ID",
        &format!("<message-{}@{DOMAIN}>", id_text(message_id)),
    );
    out
}

/// The recipients a copy of the original shows in its headers: To and Cc, not Bcc.
fn visible<'a>(originals: &[&'a RecipientRow]) -> Vec<&'a RecipientRow> {
    originals
        .iter()
        .copied()
        .filter(|r| !r.recipient_type.eq_ignore_ascii_case("BCC"))
        .collect()
}

/// `"Name" <address>` for the returned To/Cc headers, or `None` for an address too long
/// for one header line. A plain ASCII SMTP addr-spec is used as it is; anything else is
/// encapsulated in the IMCEA style Exchange uses for non-SMTP addresses (reports §7).
fn mailbox(row: &RecipientRow) -> Option<String> {
    let address = if row.addr_type.eq_ignore_ascii_case("SMTP") && is_addr_spec(&row.address) {
        row.address.clone()
    } else {
        imcea(&row.addr_type, &row.address)
    };
    if address.len() > LONG_WORD / 2 {
        return None;
    }
    let name = header_text(&row.name);
    if name.is_empty() {
        Some(format!("<{address}>"))
    } else {
        Some(format!("{} <{address}>", phrase(&name)))
    }
}

/// Whether `s` is a simple ASCII `dot-atom@dot-atom` address (RFC 5322 §3.4.1).
fn is_addr_spec(s: &str) -> bool {
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    let dot_atom = |part: &str| {
        !part.is_empty()
            && part
                .split('.')
                .all(|atom| !atom.is_empty() && atom.chars().all(atext))
    };
    match s.split_once('@') {
        Some((local, domain)) => dot_atom(local) && dot_atom(domain) && !domain.contains('@'),
        None => false,
    }
}

/// `IMCEA<type>-<address>@spoolscope.invalid`: letters, digits, `-`, `=` and `_` are kept,
/// every other byte of the UTF-8 address is written `+XX` (reports §7).
fn imcea(addr_type: &str, address: &str) -> String {
    let mut kind: String = addr_type
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    if kind.is_empty() {
        kind.push_str("UNKNOWN");
    }
    let mut out = format!("IMCEA{kind}-");
    for b in address.bytes() {
        if b.is_ascii_alphanumeric() || b"-=_".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("+{b:02X}"));
        }
    }
    out.push('@');
    out.push_str(DOMAIN);
    out
}

/// The `Reporting-MTA` host: `spooler.spoolscope.invalid` for the spooler's own reports,
/// `<transport>.transport.spoolscope.invalid` for a transport's (reports §4).
fn reporting_host(source: &str) -> String {
    if source == "spooler" {
        return format!("spooler.{DOMAIN}");
    }
    let mut label = String::new();
    for c in source.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            label.push(c);
        } else if !label.ends_with('-') {
            label.push('-');
        }
    }
    let label: String = label.trim_matches('-').chars().take(63).collect();
    let label = label.trim_end_matches('-');
    let label = if label.is_empty() { "transport" } else { label };
    format!("{label}.transport.{DOMAIN}")
}

/// The `Final-Recipient` value (RFC 3464 §2.3.2, reports §4): `rfc822` for an ASCII SMTP
/// address, `utf-8` (RFC 6533) for a non-ASCII one, `X-MAPI-<type>` for any other MAPI
/// address type, `unknown` when the type is empty or the row is missing.
fn final_recipient(r: &Recipient) -> String {
    let Some(row) = r.row else {
        return format!("unknown; recipient-{}", r.index);
    };
    let address = header_text(&row.address);
    if row.addr_type.eq_ignore_ascii_case("SMTP") {
        if address.is_ascii() {
            format!("rfc822; {address}")
        } else {
            format!("utf-8; {}", utf8_addr_xtext(&address))
        }
    } else {
        let kind: String = row
            .addr_type
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let kind = kind.trim_matches('-');
        if kind.is_empty() {
            format!("unknown; {}", escape_ascii(&address))
        } else {
            format!(
                "X-MAPI-{}; {}",
                kind.to_ascii_uppercase(),
                escape_ascii(&address)
            )
        }
    }
}

/// RFC 6533 §3 `utf-8-addr-xtext`: printable ASCII except `+`, `=`, `\` and space is kept;
/// everything else is `\x{HEX}` with upper-case hex digits and no leading zeros.
fn utf8_addr_xtext(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_graphic() && !"+=\\".contains(c) {
            out.push(c);
        } else {
            out.push_str(&format!("\\x{{{:X}}}", u32::from(c)));
        }
    }
    out
}

/// ASCII text for a DSN field: non-ASCII characters and `\` are written `\x{HEX}` as in
/// RFC 6533's embedded Unicode characters (reports §8).
fn escape_ascii(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii() && c != '\\' {
            out.push(c);
        } else {
            out.push_str(&format!("\\x{{{:X}}}", u32::from(c)));
        }
    }
    out
}

/// `NAME(value)` for a reason or diagnostic in `Diagnostic-Code`; `unknown` names a value
/// that model §6.5 does not list (`reason_name`/`diag_name` give back the number).
fn code_token(name: &str, unknown: &str, value: i32) -> String {
    if name == value.to_string() {
        format!("{unknown}({value})")
    } else {
        format!("{name}({value})")
    }
}

/// A message id as `id-left` text for a Message-ID: letters, digits, `-` and `_` are kept,
/// every other UTF-8 byte is `=XX`, so different ids give different Message-IDs.
fn id_text(id: &str) -> String {
    let mut out = String::new();
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("={b:02X}"));
        }
    }
    out
}

/// One line of user text: every control character (CR, LF, TAB, NUL, …) and the Unicode
/// line and paragraph separators become spaces.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// User text for a header: [`one_line`], runs of spaces collapsed to one, trimmed, so a
/// folded header never has a continuation line of white space only.
fn header_text(s: &str) -> String {
    one_line(s)
        .split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `"…"` with `\` and `"` escaped, or RFC 2047 encoded-words for non-ASCII text or text
/// that looks like an encoded-word.
fn phrase(text: &str) -> String {
    if text.is_ascii() && !text.contains("=?") && text.len() <= LONG_WORD / 2 {
        let mut out = String::from("\"");
        for c in text.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
        out
    } else {
        encoded_words(text).join(" ")
    }
}

/// Writes an unstructured header (`Subject`, `X-Display-Name`): `prefix` (fixed ASCII),
/// then the user `text`, as it is if it is plain ASCII, else as RFC 2047 encoded-words.
fn unstructured(out: &mut String, name: &str, prefix: &str, text: &str) {
    let text = header_text(text);
    let plain =
        text.is_ascii() && !text.contains("=?") && text.split(' ').all(|w| w.len() <= LONG_WORD);
    let body = if plain {
        text
    } else {
        encoded_words(&text).join(" ")
    };
    let value = match (prefix.is_empty(), body.is_empty()) {
        (true, _) => body,
        (false, true) => prefix.to_string(),
        (false, false) => format!("{prefix} {body}"),
    };
    header(out, name, &value);
}

/// RFC 2047 `=?UTF-8?B?…?=` words of at most [`ENCODED_WORD_BYTES`] bytes of UTF-8 each,
/// split between characters.
fn encoded_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        if chunk.len() + c.len_utf8() > ENCODED_WORD_BYTES {
            words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
    }
    words
}

/// Standard base64 with padding (RFC 4648 §4).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Writes `Name: value` folded at spaces before [`FOLD_AT`] columns. `value` must be
/// ASCII without control characters (every caller builds it so); a word longer than
/// [`LONG_WORD`] is cut, which adds a space to that value when it is unfolded (only
/// pathological input has such words, reports §8).
fn header(out: &mut String, name: &str, value: &str) {
    let value = one_line(value);
    let mut line_len = name.len() + 1;
    out.push_str(name);
    out.push(':');
    for word in value.split(' ').filter(|w| !w.is_empty()) {
        let pieces: Vec<String> = if word.len() > LONG_WORD {
            word.chars()
                .collect::<Vec<_>>()
                .chunks(LONG_WORD)
                .map(|c| c.iter().collect())
                .collect()
        } else {
            vec![word.to_string()]
        };
        for piece in pieces {
            let len = piece.chars().count();
            if line_len + 1 + len > FOLD_AT && line_len > name.len() + 1 {
                out.push_str("\n ");
                line_len = 1;
            } else {
                out.push(' ');
                line_len += 1;
            }
            out.push_str(&piece);
            line_len += len;
        }
    }
    out.push('\n');
}

/// Word-wraps `text` to [`WIDTH`] columns: the first line starts with `first`, the others
/// with `rest`; words longer than a line are cut between characters. Every caller's
/// prefixes keep user text from starting a line (reports §8).
fn wrap(out: &mut String, first: &str, rest: &str, text: &str) {
    let mut line = first.to_string();
    let mut len = first.chars().count();
    let mut empty = true;
    let room = |prefix: &str| WIDTH.saturating_sub(prefix.chars().count()).max(20);
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let chars: Vec<char> = word.chars().collect();
        for piece in chars.chunks(room(rest)) {
            let plen = piece.len();
            if !empty && len + 1 + plen > WIDTH {
                out.push_str(line.trim_end());
                out.push('\n');
                line = rest.to_string();
                len = rest.chars().count();
                empty = true;
            }
            if !empty {
                line.push(' ');
                len += 1;
            }
            line.extend(piece.iter());
            len += plen;
            empty = false;
        }
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

/// `To`/`CC`/`BCC` as `To`/`Cc`/`Bcc`.
fn title_case(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

/// Virtual seconds for people: `t = 1 s`, `t = 0.5 s`.
fn seconds(t: f64) -> String {
    if !t.is_finite() {
        return "t = ? s".into();
    }
    let s = format!("{t:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("t = {s} s")
}

/// Whole seconds since 1970 for virtual time `t` (reports §7): negative or non-finite
/// times are the epoch, fractions are dropped, times past the year 9999 are clamped.
fn unix_seconds(t: f64) -> u64 {
    let secs = if t.is_finite() && t > 0.0 {
        t.floor().min((MAX_UNIX - EPOCH_UNIX) as f64) as u64
    } else {
        0
    };
    EPOCH_UNIX + secs
}

/// The civil date and time of `unix` seconds: (year, month 1–12, day, h, m, s, weekday
/// with 0 = Sunday). The date part is H. Hinnant's `civil_from_days`.
fn civil(unix: u64) -> (u64, usize, u64, u64, u64, u64, usize) {
    let days = unix / 86_400;
    let rem = unix % 86_400;
    let weekday = ((days + 4) % 7) as usize;
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (
        year,
        month as usize,
        day,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        weekday,
    )
}

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// RFC 5322 §3.3 date for virtual time `t`: `Sat, 01 Jan 2000 00:00:00 +0000`.
fn rfc5322_date(t: f64) -> String {
    let (y, mo, d, h, mi, s, wd) = civil(unix_seconds(t));
    let month = MONTHS.get(mo.wrapping_sub(1)).copied().unwrap_or("Jan");
    let day = DAYS.get(wd).copied().unwrap_or("Sun");
    format!("{day}, {d:02} {month} {y:04} {h:02}:{mi:02}:{s:02} +0000")
}

/// The asctime form of an mbox `From ` line (RFC 4155): `Sat Jan  1 00:00:00 2000`.
fn asctime(t: f64) -> String {
    let (y, mo, d, h, mi, s, wd) = civil(unix_seconds(t));
    let month = MONTHS.get(mo.wrapping_sub(1)).copied().unwrap_or("Jan");
    let day = DAYS.get(wd).copied().unwrap_or("Sun");
    format!("{day} {month} {d:>2} {h:02}:{mi:02}:{s:02} {y:04}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use spoolscope_contract::consts::{DIAGS, REASONS};
    use spoolscope_contract::trace::{RunEnd, StatusEntry};

    /// Every reason and diagnostic code the model names.
    fn known_codes() -> (Vec<i32>, Vec<i32>) {
        (
            REASONS.iter().map(|(_, v)| *v).collect(),
            DIAGS.iter().map(|(_, v)| *v).collect(),
        )
    }

    // ---- a hand-built trace -------------------------------------------------------------

    fn row(message: &str, index: u32, name: &str, address: &str, kind: &str) -> RecipientRow {
        RecipientRow {
            message: message.into(),
            index,
            name: name.into(),
            address: address.into(),
            addr_type: kind.into(),
            recipient_type: "TO".into(),
            status: "sent".into(),
            transport: Some("smtp".into()),
            responsibility: true,
            report: None,
            ndr_reason: None,
            ndr_diag: None,
            report_text: None,
        }
    }

    fn ndr(recipient: u32, reason: i32, diag: i32, text: &str) -> StatusEntry {
        StatusEntry {
            recipient,
            report: "NDR".into(),
            reason: Some(reason),
            diag: Some(diag),
            text: Some(text.into()),
            deliver_time: None,
        }
    }

    fn dr(recipient: u32, deliver_time: Option<f64>) -> StatusEntry {
        StatusEntry {
            recipient,
            report: "DR".into(),
            reason: None,
            diag: None,
            text: None,
            deliver_time,
        }
    }

    fn event(seq: u64, t: f64, kind: EventKind, from: &str, method: &str, msg: &str) -> Event {
        let mut e = Event::new(kind);
        e.seq = seq;
        e.t = t;
        e.from = Some(from.into());
        if !method.is_empty() {
            e.method = Some(method.into());
        }
        e.message = Some(msg.into());
        e
    }

    fn note(seq: u64, t: f64, msg: &str, entries: Vec<StatusEntry>) -> Event {
        let mut e = event(seq, t, EventKind::Note, "spooler", "", msg);
        e.entries = Some(entries);
        e
    }

    fn report_row(message: &str, kind: &str, source: &str, rcpts: &[u32], seq: u64) -> ReportRow {
        ReportRow {
            message: message.into(),
            kind: kind.into(),
            source: source.into(),
            recipients: rcpts.to_vec(),
            seq,
            class: format!("REPORT.IPM.Note.{kind}"),
        }
    }

    const HOSTILE: &str = "Hi\r\nBcc: x@y\r\n\r\n<script>alert(1)</script> Grüße \u{2028}From me";

    /// m1: an NDR from smtp for two recipients in one report (seq 10) and a spooler NDR
    /// for a FAX recipient (seq 11); m2: a DR (seq 21) with PR_DELIVER_TIME 1.5 s.
    fn trace() -> Trace {
        let mut events = vec![
            event(1, 0.0, EventKind::Call, "client", "SubmitMessage", "m1"),
            event(2, 0.0, EventKind::Return, "store", "SubmitMessage", "m1"),
        ];
        let mut sr = event(5, 2.0, EventKind::Call, "smtp", "StatusRecips", "m1");
        sr.entries = Some(vec![
            ndr(1, 0, 35, "550 5.1.1 No such mailbox"),
            ndr(2, 0, 38, HOSTILE),
        ]);
        events.push(sr);
        events.push(note(
            10,
            2.0,
            "m1",
            vec![
                ndr(1, 0, 35, "550 5.1.1 No such mailbox"),
                ndr(2, 0, 38, HOSTILE),
            ],
        ));
        events.push(note(
            11,
            2.0,
            "m1",
            vec![ndr(
                3,
                1,
                -1,
                "No transport provider was available for delivery to this recipient.",
            )],
        ));
        events.push(event(
            12,
            60.0,
            EventKind::Call,
            "client",
            "SubmitMessage",
            "m2",
        ));
        let mut sr = event(20, 61.5, EventKind::Call, "smtp", "StatusRecips", "m2");
        sr.entries = Some(vec![dr(0, Some(61.5))]);
        events.push(sr);
        events.push(note(21, 61.5, "m2", vec![dr(0, None)]));

        let mut ghost = row("m1", 1, "Ghost", "ghost@contoso.example", "SMTP");
        ghost.status = "failed".into();
        ghost.report = Some("NDR".into());
        ghost.ndr_reason = Some(0);
        ghost.ndr_diag = Some(35);
        let mut hostile = row("m1", 2, HOSTILE, "jörg@bücher.example", "SMTP");
        hostile.recipient_type = "CC".into();
        let mut fax = row("m1", 3, "Fax desk", "+1 555 0100", "FAX");
        fax.transport = None;
        let mut secret = row("m1", 4, "Secret", "secret@contoso.example", "SMTP");
        secret.recipient_type = "BCC".into();
        Trace {
            version: 1,
            title: "dsn".into(),
            events,
            recipients: vec![
                row("m1", 0, "Alice", "alice@contoso.example", "SMTP"),
                ghost,
                hostile,
                fax,
                secret,
                row("m2", 0, "Bob", "bob@fabrikam.example", "SMTP"),
            ],
            messages: vec![
                MessageRow {
                    id: "m1".into(),
                    subject: HOSTILE.into(),
                    status: "sent_items".into(),
                },
                MessageRow {
                    id: "m2".into(),
                    subject: "Contract signed".into(),
                    status: "sent_items".into(),
                },
            ],
            reports: vec![
                report_row("m1", "NDR", "smtp", &[1, 2], 10),
                report_row("m1", "NDR", "spooler", &[3], 11),
                report_row("m2", "DR", "smtp", &[0], 21),
            ],
            warnings: vec![],
            end: RunEnd {
                t: 61.5,
                reason: "idle".into(),
                text: None,
            },
        }
    }

    // ---- a small parser for what the renderer writes --------------------------------------

    /// Splits a message (or part) into its unfolded headers and its body.
    fn split(text: &str) -> (Vec<(String, String)>, String) {
        let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.lines() {
            if line.starts_with(' ') || line.starts_with('\t') {
                let last = headers.last_mut().expect("a continuation follows a header");
                last.1.push_str(line);
            } else {
                let (name, value) = line.split_once(':').expect("a header line has a colon");
                headers.push((name.to_string(), value.trim_start().to_string()));
            }
        }
        (headers, body.to_string())
    }

    fn get<'a>(headers: &'a [(String, String)], name: &str) -> Vec<&'a str> {
        headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The boundary declared in a Content-Type value.
    fn boundary(content_type: &str) -> String {
        let start = content_type.find("boundary=\"").expect("a boundary") + 10;
        let rest = &content_type[start..];
        rest[..rest.find('"').expect("a closing quote")].to_string()
    }

    /// The body parts of a multipart body with `boundary`.
    fn parts(body: &str, boundary: &str) -> Vec<String> {
        let delimiter = format!("\n--{boundary}");
        let mut pieces: Vec<&str> = body.split(delimiter.as_str()).collect();
        assert!(pieces.len() >= 3, "at least one part: {body}");
        let last = pieces.pop().expect("a close delimiter");
        assert_eq!(last, "--\n", "the body ends with the close delimiter");
        pieces
            .into_iter()
            .skip(1)
            .map(|p| {
                p.strip_prefix('\n')
                    .expect("a line break after a delimiter")
                    .to_string()
            })
            .collect()
    }

    /// Every header line of the message and its parts, for the injection checks.
    fn header_blocks(message: &str) -> Vec<(Vec<(String, String)>, String)> {
        let (headers, body) = split(message);
        let ct = get(&headers, "Content-Type")[0].to_string();
        let mut blocks = vec![(headers, String::new())];
        for part in parts(&body, &boundary(&ct)) {
            blocks.push(split(&part));
        }
        blocks
    }

    fn reports(t: &Trace) -> Vec<String> {
        (0..t.reports.len())
            .map(|i| report(t, i).expect("a report"))
            .collect()
    }

    // ---- the mapping ------------------------------------------------------------------------

    #[test]
    fn every_diag_and_reason_maps_to_a_well_formed_code() {
        let (reasons, diags) = known_codes();
        assert_eq!(diags, (-1..=47).collect::<Vec<_>>());
        assert_eq!(reasons, (0..=6).collect::<Vec<_>>());
        let table: Vec<i32> = DIAG_STATUS.iter().map(|(d, _, _)| *d).collect();
        assert_eq!(
            table,
            (0..=47).collect::<Vec<_>>(),
            "one row per diag 0..=47"
        );
        let rtable: Vec<i32> = REASON_STATUS.iter().map(|(r, _, _)| *r).collect();
        assert_eq!(rtable, reasons);
        for diag in -1..=47 {
            for reason in -1..=7 {
                let s = status_code(ReportKind::Ndr, reason, diag);
                let fields: Vec<&str> = s.code.split('.').collect();
                assert_eq!(fields.len(), 3, "{}", s.code);
                assert!(fields[0] == "4" || fields[0] == "5", "{diag}: {}", s.code);
                assert!(!s.meaning.is_empty());
                let expected = if diag >= 0 {
                    Basis::Diagnostic
                } else if (0..=6).contains(&reason) {
                    Basis::Reason
                } else {
                    Basis::Unknown
                };
                assert_eq!(s.basis, expected, "reason {reason} diag {diag}");
            }
        }
    }

    #[test]
    fn fallback_rules() {
        let code = |kind, r, d| status_code(kind, r, d).code;
        assert_eq!(code(ReportKind::Dr, 0, 35), "2.0.0");
        assert_eq!(code(ReportKind::Ndr, 0, 35), "5.1.1");
        assert_eq!(code(ReportKind::Ndr, 1, 32), "5.1.3");
        // The spooler's own "no transport" NDR.
        assert_eq!(code(ReportKind::Ndr, 1, -1), "5.4.4");
        assert_eq!(status_code(ReportKind::Ndr, 1, -1).basis, Basis::Reason);
        // An unknown diagnostic falls back to the reason, an unknown reason to 5.0.0.
        assert_eq!(code(ReportKind::Ndr, 5, 99), "5.7.1");
        assert_eq!(code(ReportKind::Ndr, 42, -1), "5.0.0");
        assert_eq!(code(ReportKind::Ndr, 42, 1000), "5.0.0");
        assert_eq!(code(ReportKind::Ndr, 0, -1), "5.0.0");
        assert_eq!(code(ReportKind::Ndr, 6, -1), "4.4.3");
        assert_eq!(ReportKind::of("dr"), ReportKind::Dr);
        assert_eq!(ReportKind::of("whatever"), ReportKind::Ndr);
    }

    #[test]
    fn the_spec_table_matches_the_code() {
        // reports §5 and §6 list every row; the code and the document must agree.
        let doc = include_str!("../../../docs/spec/reports-dsn.md");
        let mut diag_rows = 0;
        let mut reason_rows = 0;
        for line in doc.lines() {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            if cells.len() < 5 {
                continue;
            }
            let name = cells[1].trim_matches('`');
            let Ok(value) = cells[2].parse::<i32>() else {
                continue;
            };
            let code = cells[3].trim_matches('`').trim_matches('*');
            if name.starts_with("MAPI_DIAG_") && value >= 0 {
                assert_eq!(diag_name(value), name, "{line}");
                assert_eq!(status_code(ReportKind::Ndr, 0, value).code, code, "{line}");
                diag_rows += 1;
            } else if name.starts_with("MAPI_REASON_") {
                assert_eq!(reason_name(value), name, "{line}");
                assert_eq!(status_code(ReportKind::Ndr, value, -1).code, code, "{line}");
                reason_rows += 1;
            }
        }
        assert_eq!(diag_rows, 48, "reports §5 has a row for every diag 0..=47");
        assert_eq!(
            reason_rows, 7,
            "reports §6 has a row for every reason 0..=6"
        );
    }

    // ---- structure ----------------------------------------------------------------------------

    #[test]
    fn each_report_is_a_multipart_report_with_the_declared_boundary() {
        let t = trace();
        for (i, message) in reports(&t).iter().enumerate() {
            let (headers, body) = split(message);
            let ct = get(&headers, "Content-Type");
            assert_eq!(ct.len(), 1);
            assert!(
                ct[0].starts_with("multipart/report; report-type=delivery-status; boundary=\""),
                "{}",
                ct[0]
            );
            let b = boundary(ct[0]);
            assert_eq!(b, format!("=_spoolscope-report-{}", t.reports[i].seq));
            assert_eq!(get(&headers, "MIME-Version"), ["1.0"]);
            assert_eq!(get(&headers, "Auto-Submitted"), ["auto-replied"]);
            assert_eq!(get(&headers, "Return-Path"), ["<>"]);
            assert_eq!(get(&headers, "Date").len(), 1);
            assert_eq!(get(&headers, "From").len(), 1);
            // Each boundary line is exactly the declared boundary.
            let delimiters = body
                .lines()
                .filter(|l| l.starts_with("--"))
                .collect::<Vec<_>>();
            let ndr = t.reports[i].kind == "NDR";
            let mut expected = vec![format!("--{b}"); if ndr { 3 } else { 2 }];
            expected.push(format!("--{b}--"));
            assert_eq!(delimiters, expected);
            let parts = parts(&body, &b);
            let types: Vec<String> = parts
                .iter()
                .map(|p| get(&split(p).0, "Content-Type")[0].to_string())
                .collect();
            let mut want = vec!["text/plain; charset=utf-8", "message/delivery-status"];
            if ndr {
                want.push("text/rfc822-headers");
            }
            assert_eq!(types, want);
            assert_eq!(
                get(&split(&parts[0]).0, "Content-Transfer-Encoding"),
                ["8bit"]
            );
        }
    }

    /// The per-message block and the per-recipient blocks of report `i`.
    fn dsn_fields(t: &Trace, i: usize) -> Vec<Vec<(String, String)>> {
        let message = report(t, i).expect("a report");
        let (headers, body) = split(&message);
        let b = boundary(get(&headers, "Content-Type")[0]);
        let part = parts(&body, &b)[1].clone();
        let (_, content) = split(&part);
        content
            .trim_end_matches('\n')
            .split("\n\n")
            .map(|block| split(&format!("{block}\n\n")).0)
            .collect()
    }

    #[test]
    fn transport_ndr_fields_for_two_recipients() {
        let t = trace();
        let blocks = dsn_fields(&t, 0);
        assert_eq!(blocks.len(), 3, "{blocks:?}");
        assert_eq!(
            blocks[0],
            vec![
                (
                    "Reporting-MTA".to_string(),
                    "dns; smtp.transport.spoolscope.invalid".to_string()
                ),
                (
                    "Arrival-Date".to_string(),
                    "Sat, 01 Jan 2000 00:00:00 +0000".to_string()
                ),
            ]
        );
        assert_eq!(
            blocks[1],
            [
                ("Final-Recipient", "rfc822; ghost@contoso.example"),
                ("Action", "failed"),
                ("Status", "5.1.1"),
                (
                    "Diagnostic-Code",
                    "X-MAPI; MAPI_REASON_TRANSFER_FAILED(0) MAPI_DIAG_MAIL_RECIPIENT_UNKNOWN(35) 550 5.1.1 No such mailbox"
                ),
                ("Last-Attempt-Date", "Sat, 01 Jan 2000 00:00:02 +0000"),
                ("X-Display-Name", "Ghost"),
            ]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<Vec<_>>()
        );
        let hostile = &blocks[2];
        assert_eq!(
            get(hostile, "Final-Recipient"),
            ["utf-8; j\\x{F6}rg@b\\x{FC}cher.example"]
        );
        assert_eq!(get(hostile, "Status"), ["5.2.1"]);
        let diag = get(hostile, "Diagnostic-Code")[0];
        assert!(
            diag.starts_with(
                "X-MAPI; MAPI_REASON_TRANSFER_FAILED(0) MAPI_DIAG_MAIL_REFUSED(38) Hi Bcc: x@y"
            ),
            "{diag}"
        );
        assert!(diag.contains("Gr\\x{FC}\\x{DF}e"), "{diag}");
        assert!(get(hostile, "X-Display-Name")[0].starts_with("=?UTF-8?B?"));
    }

    #[test]
    fn spooler_ndr_and_dr_fields() {
        let t = trace();
        let blocks = dsn_fields(&t, 1);
        assert_eq!(
            get(&blocks[0], "Reporting-MTA"),
            ["dns; spooler.spoolscope.invalid"]
        );
        assert_eq!(blocks.len(), 2);
        assert_eq!(
            get(&blocks[1], "Final-Recipient"),
            ["X-MAPI-FAX; +1 555 0100"]
        );
        assert_eq!(get(&blocks[1], "Action"), ["failed"]);
        assert_eq!(get(&blocks[1], "Status"), ["5.4.4"]);
        assert_eq!(
            get(&blocks[1], "Diagnostic-Code"),
            ["X-MAPI; MAPI_REASON_TRANSFER_IMPOSSIBLE(1) MAPI_DIAG_NO_DIAGNOSTIC(-1) No transport provider was available for delivery to this recipient."]
        );

        let blocks = dsn_fields(&t, 2);
        assert_eq!(
            blocks[0],
            vec![
                (
                    "Reporting-MTA".to_string(),
                    "dns; smtp.transport.spoolscope.invalid".to_string()
                ),
                (
                    "Arrival-Date".to_string(),
                    "Sat, 01 Jan 2000 00:01:00 +0000".to_string()
                ),
            ]
        );
        assert_eq!(
            blocks[1],
            [
                ("Final-Recipient", "rfc822; bob@fabrikam.example"),
                ("Action", "delivered"),
                ("Status", "2.0.0"),
                ("Last-Attempt-Date", "Sat, 01 Jan 2000 00:01:01 +0000"),
                ("X-Display-Name", "Bob"),
            ]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<Vec<_>>()
        );
        let dr = report(&t, 2).expect("the DR");
        assert!(dr.contains("Subject: Delivered: Contract signed\n"), "{dr}");
        assert!(dr.contains("REPORT.IPM.Note.DR: delivery report"), "{dr}");
        assert!(!dr.contains("text/rfc822-headers"));
    }

    #[test]
    fn returned_headers_of_the_original() {
        let t = trace();
        let message = report(&t, 0).expect("a report");
        let (headers, body) = split(&message);
        let b = boundary(get(&headers, "Content-Type")[0]);
        let (part_headers, content) = split(&parts(&body, &b)[2]);
        assert_eq!(get(&part_headers, "Content-Type"), ["text/rfc822-headers"]);
        let (returned, _) = split(&content);
        assert_eq!(
            get(&returned, "Message-ID"),
            ["<message-m1@spoolscope.invalid>"]
        );
        assert_eq!(
            get(&returned, "To"),
            ["\"Alice\" <alice@contoso.example>, \"Ghost\" <ghost@contoso.example>, \"Fax desk\" <IMCEAFAX-+2B1+20555+200100@spoolscope.invalid>"]
        );
        let cc = get(&returned, "Cc");
        assert_eq!(cc.len(), 1);
        assert!(
            cc[0].contains("<IMCEASMTP-j+C3+B6rg+40b+C3+BCcher+2Eexample@spoolscope.invalid>"),
            "{}",
            cc[0]
        );
        assert!(
            get(&returned, "Bcc").is_empty(),
            "Bcc recipients are not returned"
        );
        assert!(!message.contains("secret@"), "{message}");
        assert_eq!(get(&returned, "Date"), ["Sat, 01 Jan 2000 00:00:00 +0000"]);
        assert!(get(&returned, "Subject")[0].starts_with("=?UTF-8?B?"));
    }

    #[test]
    fn human_part_names_the_mapi_codes() {
        let t = trace();
        let message = report(&t, 0).expect("a report");
        for needle in [
            "REPORT.IPM.Note.NDR: non-delivery report",
            "The transport provider \"smtp\"\nreported them through IMAPISupport::StatusRecips (entries without\nPR_DELIVER_TIME)",
            "  Ghost <ghost@contoso.example>\n",
            "    Recipient:           #1, To, address type SMTP\n",
            "    PR_NDR_REASON_CODE:  MAPI_REASON_TRANSFER_FAILED (0)\n",
            "    PR_NDR_DIAG_CODE:    MAPI_DIAG_MAIL_RECIPIENT_UNKNOWN (35)\n",
            "    PR_REPORT_TEXT:      550 5.1.1 No such mailbox\n",
            "    RFC 3463 status:     5.1.1 Bad destination mailbox address\n",
            "    Recipient:           #2, Cc, address type SMTP\n",
            "<script>alert(1)</script> Grüße",
        ] {
            assert!(message.contains(needle), "{needle:?} in\n{message}");
        }
        let spooler = report(&t, 1).expect("a report");
        assert!(
            spooler.contains("so the MAPI spooler made\nthis report itself."),
            "{spooler}"
        );
        assert!(spooler.contains("MAPI_DIAG_NO_DIAGNOSTIC (-1)"));
        assert!(spooler.contains("5.4.4 Unable to route"));
    }

    // ---- safety -----------------------------------------------------------------------------

    #[test]
    fn no_header_injection() {
        let t = trace();
        for message in reports(&t) {
            assert!(message.is_ascii() || message.contains("Grüße"));
            for (headers, _) in header_blocks(&message) {
                for (name, value) in &headers {
                    assert!(
                        !name.eq_ignore_ascii_case("Bcc"),
                        "an injected Bcc header in\n{message}"
                    );
                    assert!(
                        name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
                        "{name}"
                    );
                    assert!(value.is_ascii(), "{name}: {value}");
                    assert!(!value.contains('\r'));
                }
            }
            for line in message.lines() {
                assert!(!line.starts_with("Bcc"), "{line}");
                assert!(line.len() <= 998, "{line}");
                assert!(!line.contains('\r'));
            }
            // Every non-ASCII character sits in the 8bit text/plain part.
            let (headers, body) = split(&message);
            let b = boundary(get(&headers, "Content-Type")[0]);
            for part in parts(&body, &b).iter().skip(1) {
                assert!(part.is_ascii(), "{part}");
            }
        }
        // The hostile subject's encoded-words decode to the cleaned subject.
        let message = report(&t, 0).expect("a report");
        let (headers, _) = split(&message);
        let subject = get(&headers, "Subject")[0];
        assert!(
            subject.starts_with("Undeliverable: =?UTF-8?B?"),
            "{subject}"
        );
        let decoded: String = subject
            .split(' ')
            .skip(1)
            .map(|w| {
                let b64 = w.trim_start_matches("=?UTF-8?B?").trim_end_matches("?=");
                String::from_utf8(decode_base64(b64)).expect("UTF-8")
            })
            .collect();
        assert_eq!(
            decoded,
            "Hi Bcc: x@y <script>alert(1)</script> Grüße From me"
        );
    }

    fn decode_base64(s: &str) -> Vec<u8> {
        const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut bits = 0u32;
        let mut n = 0;
        let mut out = Vec::new();
        for c in s.chars().filter(|c| *c != '=') {
            bits = (bits << 6) | ALPHABET.find(c).expect("base64") as u32;
            n += 6;
            if n >= 8 {
                n -= 8;
                out.push((bits >> n) as u8);
            }
        }
        out
    }

    #[test]
    fn mbox_framing_and_determinism() {
        let t = trace();
        let mbox = render(&t);
        assert_eq!(mbox, render(&t.clone()), "same trace, same bytes");
        let froms: Vec<&str> = mbox.lines().filter(|l| l.starts_with("From ")).collect();
        assert_eq!(
            froms,
            [
                "From MAILER-DAEMON Sat Jan  1 00:00:02 2000",
                "From MAILER-DAEMON Sat Jan  1 00:00:02 2000",
                "From MAILER-DAEMON Sat Jan  1 00:01:01 2000",
            ]
        );
        // Each message is framed as report() gives it, with From-quoting only.
        let mut expected = String::new();
        for (i, message) in reports(&t).iter().enumerate() {
            expected.push_str(froms[i]);
            expected.push('\n');
            for line in message.split_inclusive('\n') {
                if line.trim_start_matches('>').starts_with("From ") {
                    expected.push('>');
                }
                expected.push_str(line);
            }
            expected.push('\n');
        }
        assert_eq!(mbox, expected);
        assert!(report(&t, 3).is_none());
        assert_eq!(
            render(&Trace {
                reports: vec![],
                ..t
            }),
            ""
        );
    }

    #[test]
    fn odd_traces_never_panic() {
        let mut t = trace();
        t.reports
            .push(report_row("nowhere", "NDR", "", &[7, 7], 999));
        t.reports.push(report_row("", "??", "tr ä/nsport!", &[], 0));
        t.events.push({
            let mut e = note(5000, f64::NAN, "m1", vec![ndr(0, i32::MIN, i32::MAX, "")]);
            e.t = 1e300;
            e
        });
        t.reports.push(report_row("m1", "NDR", "smtp", &[0], 5000));
        t.recipients.push(row("m1", 9, "", &"x".repeat(5000), ""));
        t.reports.push(report_row("m1", "NDR", "smtp", &[9], 10));
        t.messages[1].subject = "y".repeat(3000);
        t.reports.push(report_row("m2", "DR", "smtp", &[0], 21));
        let mbox = render(&t);
        for line in mbox.lines() {
            assert!(line.len() <= 998, "{}", line.len());
        }
        let odd = report(&t, 3).expect("a report");
        assert!(
            odd.contains("Final-Recipient: unknown; recipient-7"),
            "{odd}"
        );
        assert!(
            odd.contains("Reporting-MTA: dns; transport.transport.spoolscope.invalid"),
            "{odd}"
        );
        let empty = report(&t, 4).expect("a report");
        assert!(
            empty.contains("Reporting-MTA: dns; tr-nsport.transport.spoolscope.invalid"),
            "{empty}"
        );
        let inf = report(&t, 5).expect("a report");
        assert!(
            inf.contains("Date: Fri, 31 Dec 9999 23:59:59 +0000"),
            "{inf}"
        );
        assert!(
            inf.contains("X-MAPI; UNKNOWN_REASON(-2147483648) UNKNOWN_DIAG(2147483647)"),
            "{inf}"
        );
        assert!(inf.contains("Status: 5.0.0"), "{inf}");
        let long = report(&t, 6).expect("a report");
        assert!(long.contains("Final-Recipient: unknown;\n xxxx"), "{long}");
    }

    #[test]
    fn dates() {
        assert_eq!(rfc5322_date(0.0), "Sat, 01 Jan 2000 00:00:00 +0000");
        assert_eq!(rfc5322_date(-5.0), "Sat, 01 Jan 2000 00:00:00 +0000");
        assert_eq!(rfc5322_date(61.9), "Sat, 01 Jan 2000 00:01:01 +0000");
        // 30 days (the scenario limit) and a leap day.
        assert_eq!(
            rfc5322_date(30.0 * 86_400.0),
            "Mon, 31 Jan 2000 00:00:00 +0000"
        );
        assert_eq!(
            rfc5322_date(59.0 * 86_400.0 + 3723.0),
            "Tue, 29 Feb 2000 01:02:03 +0000"
        );
        assert_eq!(asctime(0.0), "Sat Jan  1 00:00:00 2000");
        assert_eq!(asctime(86_400.0 * 9.0), "Mon Jan 10 00:00:00 2000");
        assert_eq!(seconds(1.5), "t = 1.5 s");
        assert_eq!(seconds(2.0), "t = 2 s");
    }

    #[test]
    fn encoders() {
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(base64(b"M"), "TQ==");
        assert_eq!(
            utf8_addr_xtext("a+b=c\\d é"),
            "a\\x{2B}b\\x{3D}c\\x{5C}d\\x{20}\\x{E9}"
        );
        assert_eq!(id_text("m1"), "m1");
        assert_eq!(id_text("a.b c"), "a=2Eb=20c");
        assert!(is_addr_spec("a.b@c.example"));
        assert!(!is_addr_spec("bob at contoso.example"));
        assert!(!is_addr_spec("a..b@c"));
        assert!(!is_addr_spec("a@b@c"));
        assert_eq!(
            reporting_host("My SMTP"),
            "my-smtp.transport.spoolscope.invalid"
        );
        let mut out = String::new();
        header(&mut out, "X", &"word ".repeat(40));
        assert!(out.lines().all(|l| l.len() <= FOLD_AT), "{out}");
        assert!(out.lines().skip(1).all(|l| l.starts_with(' ')));
        assert_eq!(phrase("A \"B\" \\C"), "\"A \\\"B\\\" \\\\C\"");
    }
}
