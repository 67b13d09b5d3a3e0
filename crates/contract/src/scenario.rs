//! Scenario v1 (contract §1): raw input with source positions → resolved scenario.
//!
//! Two stages, like ripgrep's low/high args: [`parse_scenario`] deserializes the text into
//! raw types that mirror the file (unknown keys denied, positions kept), then resolves them
//! into [`Scenario`]: defaults applied (model §14 MODEL choices), ids assigned, references
//! checked, transport order fixed (model §7.3). The engine only ever sees a [`Scenario`].

use std::fmt;

use crate::doc::{Node, ReadError, Span, Val};
use crate::time::Millis;

/// Largest scenario text accepted (bytes). Larger inputs are refused before parsing.
pub const MAX_SCENARIO_BYTES: usize = 4 * 1024 * 1024;
/// Largest number of recipients over all messages (listed plus generated).
pub const MAX_RECIPIENTS: usize = 100_000;
/// Largest number of messages, transports, events.
pub const MAX_MESSAGES: usize = 10_000;
pub const MAX_TRANSPORTS: usize = 64;
pub const MAX_EVENTS: usize = 10_000;
/// Largest script (bytes).
pub const MAX_SCRIPT_BYTES: usize = 256 * 1024;
/// Latest virtual time a scenario may name (30 days).
pub const MAX_TIME_S: f64 = 30.0 * 24.0 * 3600.0;

/// A 1-based line and column (columns count characters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

impl Pos {
    pub const START: Pos = Pos { line: 1, col: 1 };

    /// The position of byte `offset` in `src` (clamped to the text).
    pub fn of_offset(src: &str, offset: usize) -> Pos {
        let offset = offset.min(src.len());
        let before = &src.as_bytes()[..offset];
        let line = before.iter().filter(|&&b| b == b'\n').count();
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        Pos::in_line(src, line + 1, line_start, offset)
    }

    /// Line `line` (1-based) starts at byte `line_start`; `offset` is on it.
    fn in_line(src: &str, line: usize, line_start: usize, offset: usize) -> Pos {
        // Count characters, not bytes; step back to a char boundary first.
        let mut end = offset;
        while end > line_start && !src.is_char_boundary(end) {
            end -= 1;
        }
        let col = src[line_start..end].chars().count() + 1;
        Pos {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            col: u32::try_from(col).unwrap_or(u32::MAX),
        }
    }
}

/// Where each line of a text starts, for many offset → position look-ups (a scenario with
/// thousands of messages must not rescan the text for each one).
struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    fn new(src: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(
            src.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Lines { starts }
    }

    fn pos(&self, src: &str, offset: usize) -> Pos {
        let offset = offset.min(src.len());
        let line = self.starts.partition_point(|&s| s <= offset);
        let line_start = self.starts[line.saturating_sub(1)];
        Pos::in_line(src, line, line_start, offset)
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// A bad scenario: where, and what is wrong. Displayed as `LINE:COL: message`; the CLI puts
/// the file name in front (contract §5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub pos: Pos,
    pub message: String,
}

impl ScenarioError {
    pub fn new(pos: Pos, message: impl Into<String>) -> Self {
        ScenarioError {
            pos,
            message: message.into(),
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.pos, self.message)
    }
}

impl std::error::Error for ScenarioError {}

/// Input syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Toml,
    Json,
}

impl Format {
    /// JSON when the file name ends in `.json`, or when the text starts with `{`; else TOML.
    pub fn detect(path: Option<&str>, text: &str) -> Format {
        match path {
            Some(p) if p.ends_with(".json") => Format::Json,
            Some(p) if p.ends_with(".toml") => Format::Toml,
            _ if text
                .trim_start_matches('\u{feff}')
                .trim_start()
                .starts_with('{') =>
            {
                Format::Json
            }
            _ => Format::Toml,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Raw stage
// ---------------------------------------------------------------------------------------

/// A value with the byte range it came from.
#[derive(Clone, Debug)]
struct Sp<T> {
    value: T,
    span: Span,
}

struct RawScenario {
    version: Sp<i64>,
    title: Option<String>,
    description: Option<String>,
    seed: Option<Sp<i64>>,
    spooler: Option<RawSpooler>,
    transport: Vec<RawTransport>,
    message: Vec<RawMessage>,
    event: Vec<RawEvent>,
}

struct RawSpooler {
    busy_retry_s: Option<Sp<f64>>,
    resend_later_s: Option<Sp<f64>>,
    resend_now_limit: Option<Sp<i64>>,
    error_retry_s: Option<Sp<f64>>,
    after_submit: Option<Sp<String>>,
    until_s: Option<Sp<f64>>,
    transport_order: Option<Vec<Sp<String>>>,
}

struct RawTransport {
    name: Sp<String>,
    address_types: Option<Vec<Sp<String>>>,
    uids: Vec<Sp<String>>,
    script: Option<Sp<String>>,
    prefer_last: bool,
    outbound_at_start: Option<bool>,
}

struct RawMessage {
    id: Option<Sp<String>>,
    subject: Option<String>,
    submit_at_s: Option<Sp<f64>>,
    delivery_report: bool,
    non_delivery_report: Option<bool>,
    after_submit: Option<Sp<String>>,
    recipients: Vec<RawRecipient>,
    generate: Option<Sp<RawGenerate>>,
}

struct RawRecipient {
    name: Option<String>,
    address: String,
    addr_type: Sp<String>,
    recipient_type: Option<Sp<String>>,
    uid: Option<Sp<String>>,
}

struct RawGenerate {
    count: Sp<i64>,
    name: Option<String>,
    address: Option<String>,
    types: Option<Vec<Sp<String>>>,
    recipient_type: Option<Sp<String>>,
}

struct RawEvent {
    at_s: Sp<f64>,
    action: Sp<String>,
    message: Option<Sp<String>>,
    transport: Option<Sp<String>>,
}

// The document tree → raw types. Unknown keys are refused at the key; a value of the wrong
// kind at the value; a missing key at its table. JSON `null` counts as absent.

type Read<T> = Result<T, ReadError>;

/// The values of `names` in `node`'s table, in that order; any other key is an error.
fn fields<'a>(node: &'a Node, what: &str, names: &[&str]) -> Read<Vec<Option<&'a Node>>> {
    let Val::Table(table) = &node.val else {
        return Err(ReadError::new(
            node.span.0,
            format!("{what} must be a table, found {}", node.val.describe()),
        ));
    };
    let mut out = vec![None; names.len()];
    for e in &table.entries {
        let Some(i) = names.iter().position(|n| *n == e.key) else {
            return Err(ReadError::new(
                e.key_span.0,
                format!(
                    "unknown key `{}` in {what}; the keys are {}",
                    e.key,
                    names.join(", ")
                ),
            ));
        };
        if e.node.val != Val::Null {
            out[i] = Some(&e.node);
        }
    }
    Ok(out)
}

fn wrong<T>(n: &Node, key: &str, want: &str) -> Read<T> {
    Err(ReadError::new(
        n.span.0,
        format!("`{key}` must be {want}, found {}", n.val.describe()),
    ))
}

fn missing(table: &Node, what: &str, key: &str) -> ReadError {
    ReadError::new(table.span.0, format!("{what} needs `{key}`"))
}

fn string(n: &Node, key: &str) -> Read<Sp<String>> {
    match &n.val {
        Val::Str(s) => Ok(Sp {
            value: s.clone(),
            span: n.span,
        }),
        _ => wrong(n, key, "a string"),
    }
}

fn integer(n: &Node, key: &str) -> Read<Sp<i64>> {
    match n.val {
        Val::Int(v) => Ok(Sp {
            value: v,
            span: n.span,
        }),
        _ => wrong(n, key, "an integer"),
    }
}

fn number(n: &Node, key: &str) -> Read<Sp<f64>> {
    match n.val {
        Val::Int(v) => Ok(Sp {
            value: v as f64,
            span: n.span,
        }),
        Val::Float(v) => Ok(Sp {
            value: v,
            span: n.span,
        }),
        _ => wrong(n, key, "a number"),
    }
}

fn boolean(n: &Node, key: &str) -> Read<bool> {
    match n.val {
        Val::Bool(b) => Ok(b),
        _ => wrong(n, key, "true or false"),
    }
}

fn array<'a>(n: &'a Node, key: &str) -> Read<&'a [Node]> {
    match &n.val {
        Val::Array(items) | Val::TableArray(items) => Ok(items),
        _ => wrong(n, key, "an array"),
    }
}

fn strings(n: &Node, key: &str) -> Read<Vec<Sp<String>>> {
    array(n, key)?.iter().map(|x| string(x, key)).collect()
}

fn opt<'a, T>(n: Option<&'a Node>, f: impl FnOnce(&'a Node) -> Read<T>) -> Read<Option<T>> {
    n.map(f).transpose()
}

/// An optional array of tables; absent is empty.
fn list<'a>(n: Option<&'a Node>, key: &str) -> Read<&'a [Node]> {
    Ok(match n {
        Some(n) => array(n, key)?,
        None => &[],
    })
}

fn plain(s: Sp<String>) -> String {
    s.value
}

fn raw_scenario(root: &Node) -> Read<RawScenario> {
    let what = "the scenario";
    let f = fields(
        root,
        what,
        &[
            "version",
            "title",
            "description",
            "seed",
            "spooler",
            "transport",
            "message",
            "event",
        ],
    )?;
    Ok(RawScenario {
        version: integer(
            f[0].ok_or_else(|| missing(root, what, "version"))?,
            "version",
        )?,
        title: opt(f[1], |n| string(n, "title").map(plain))?,
        description: opt(f[2], |n| string(n, "description").map(plain))?,
        seed: opt(f[3], |n| integer(n, "seed"))?,
        spooler: opt(f[4], raw_spooler)?,
        transport: list(f[5], "transport")?
            .iter()
            .map(raw_transport)
            .collect::<Read<_>>()?,
        message: list(f[6], "message")?
            .iter()
            .map(raw_message)
            .collect::<Read<_>>()?,
        event: list(f[7], "event")?
            .iter()
            .map(raw_event)
            .collect::<Read<_>>()?,
    })
}

fn raw_spooler(n: &Node) -> Read<RawSpooler> {
    let f = fields(
        n,
        "[spooler]",
        &[
            "busy_retry_s",
            "resend_later_s",
            "resend_now_limit",
            "error_retry_s",
            "after_submit",
            "until_s",
            "transport_order",
        ],
    )?;
    Ok(RawSpooler {
        busy_retry_s: opt(f[0], |n| number(n, "busy_retry_s"))?,
        resend_later_s: opt(f[1], |n| number(n, "resend_later_s"))?,
        resend_now_limit: opt(f[2], |n| integer(n, "resend_now_limit"))?,
        error_retry_s: opt(f[3], |n| number(n, "error_retry_s"))?,
        after_submit: opt(f[4], |n| string(n, "after_submit"))?,
        until_s: opt(f[5], |n| number(n, "until_s"))?,
        transport_order: opt(f[6], |n| strings(n, "transport_order"))?,
    })
}

fn raw_transport(n: &Node) -> Read<RawTransport> {
    let what = "a [[transport]]";
    let f = fields(
        n,
        what,
        &[
            "name",
            "address_types",
            "uids",
            "script",
            "prefer_last",
            "outbound_at_start",
        ],
    )?;
    Ok(RawTransport {
        name: string(f[0].ok_or_else(|| missing(n, what, "name"))?, "name")?,
        address_types: opt(f[1], |n| strings(n, "address_types"))?,
        uids: opt(f[2], |n| strings(n, "uids"))?.unwrap_or_default(),
        script: opt(f[3], |n| string(n, "script"))?,
        prefer_last: opt(f[4], |n| boolean(n, "prefer_last"))?.unwrap_or(false),
        outbound_at_start: opt(f[5], |n| boolean(n, "outbound_at_start"))?,
    })
}

fn raw_message(n: &Node) -> Read<RawMessage> {
    let f = fields(
        n,
        "a [[message]]",
        &[
            "id",
            "subject",
            "submit_at_s",
            "delivery_report",
            "non_delivery_report",
            "after_submit",
            "recipients",
            "generate",
        ],
    )?;
    let recipients = match f[6] {
        Some(r) => array(r, "recipients")?
            .iter()
            .map(raw_recipient)
            .collect::<Read<_>>()?,
        None => Vec::new(),
    };
    Ok(RawMessage {
        id: opt(f[0], |n| string(n, "id"))?,
        subject: opt(f[1], |n| string(n, "subject").map(plain))?,
        submit_at_s: opt(f[2], |n| number(n, "submit_at_s"))?,
        delivery_report: opt(f[3], |n| boolean(n, "delivery_report"))?.unwrap_or(false),
        non_delivery_report: opt(f[4], |n| boolean(n, "non_delivery_report"))?,
        after_submit: opt(f[5], |n| string(n, "after_submit"))?,
        recipients,
        generate: opt(f[7], |g| {
            Ok(Sp {
                value: raw_generate(g)?,
                span: g.span,
            })
        })?,
    })
}

fn raw_recipient(n: &Node) -> Read<RawRecipient> {
    let what = "a recipient";
    let f = fields(
        n,
        what,
        &["name", "address", "type", "recipient_type", "uid"],
    )?;
    Ok(RawRecipient {
        name: opt(f[0], |n| string(n, "name").map(plain))?,
        address: string(f[1].ok_or_else(|| missing(n, what, "address"))?, "address")?.value,
        addr_type: string(f[2].ok_or_else(|| missing(n, what, "type"))?, "type")?,
        recipient_type: opt(f[3], |n| string(n, "recipient_type"))?,
        uid: opt(f[4], |n| string(n, "uid"))?,
    })
}

fn raw_generate(n: &Node) -> Read<RawGenerate> {
    let what = "generate";
    let f = fields(
        n,
        what,
        &["count", "name", "address", "types", "recipient_type"],
    )?;
    Ok(RawGenerate {
        count: integer(f[0].ok_or_else(|| missing(n, what, "count"))?, "count")?,
        name: opt(f[1], |n| string(n, "name").map(plain))?,
        address: opt(f[2], |n| string(n, "address").map(plain))?,
        types: opt(f[3], |n| strings(n, "types"))?,
        recipient_type: opt(f[4], |n| string(n, "recipient_type"))?,
    })
}

fn raw_event(n: &Node) -> Read<RawEvent> {
    let what = "an [[event]]";
    let f = fields(n, what, &["at_s", "action", "message", "transport"])?;
    Ok(RawEvent {
        at_s: number(f[0].ok_or_else(|| missing(n, what, "at_s"))?, "at_s")?,
        action: string(f[1].ok_or_else(|| missing(n, what, "action"))?, "action")?,
        message: opt(f[2], |n| string(n, "message"))?,
        transport: opt(f[3], |n| string(n, "transport"))?,
    })
}

// ---------------------------------------------------------------------------------------
// Resolved stage
// ---------------------------------------------------------------------------------------

/// What the store does with a message once every recipient is final (model §8 step 22).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterSubmit {
    /// `PR_SENTMAIL_ENTRYID` set: moved to Sent Items.
    SentItems,
    /// `PR_DELETE_AFTER_SUBMIT` TRUE: deleted.
    Delete,
    /// Neither: stays in the Outbox.
    Keep,
}

impl AfterSubmit {
    pub fn as_str(self) -> &'static str {
        match self {
            AfterSubmit::SentItems => "sent_items",
            AfterSubmit::Delete => "delete",
            AfterSubmit::Keep => "keep",
        }
    }
}

/// Spooler settings; defaults are model §14's MODEL choices.
#[derive(Clone, Debug, PartialEq)]
pub struct SpoolerConfig {
    /// Retry delay after `MAPI_E_BUSY` (model §9.3, Q1: 1 s).
    pub busy_retry: Millis,
    /// Retry delay after `END_RESEND_LATER` (model §9.3, Q1: 60 s).
    pub resend_later: Millis,
    /// Consecutive `END_RESEND_NOW` before it counts as `END_RESEND_LATER` (model §14 Q2: 3).
    pub resend_now_limit: u32,
    /// Back-off after another SubmitMessage failure (model §12.2: 60 s).
    pub error_retry: Millis,
    pub after_submit: AfterSubmit,
    /// The run stops at this virtual time if still busy.
    pub until: Millis,
}

impl Default for SpoolerConfig {
    fn default() -> Self {
        SpoolerConfig {
            busy_retry: Millis::from_secs(1),
            resend_later: Millis::from_secs(60),
            resend_now_limit: 3,
            error_retry: Millis::from_secs(60),
            after_submit: AfterSubmit::SentItems,
            until: Millis::from_secs(3600),
        }
    }
}

/// A transport's script and where its first character sits in the scenario file.
#[derive(Clone, Debug, PartialEq)]
pub struct ScriptSource {
    pub text: String,
    /// File position of the script's first character, when known (TOML input).
    pub origin: Option<Pos>,
}

impl ScriptSource {
    /// Maps a 1-based position inside the script to the scenario file.
    pub fn file_pos(&self, line: u32, col: u32) -> Option<Pos> {
        let o = self.origin?;
        Some(if line <= 1 {
            Pos {
                line: o.line,
                col: o.col + col.saturating_sub(1),
            }
        } else {
            Pos {
                line: o.line + line - 1,
                col,
            }
        })
    }
}

/// One transport provider logon (model §3.1–3.4), in transport order.
#[derive(Clone, Debug, PartialEq)]
pub struct TransportSpec {
    pub name: String,
    /// `AddressTypes`; `None` = catch-all (NULL list, model §3.2).
    pub address_types: Option<Vec<String>>,
    /// MAPIUIDs the transport registers (16 bytes each, model §7.2).
    pub uids: Vec<[u8; 16]>,
    pub script: Option<ScriptSource>,
    /// `STATUS_XP_PREFER_LAST` in `PR_RESOURCE_FLAGS` (model §7.3).
    pub prefer_last: bool,
    /// Whether the spooler sends `NOTIFY_BEGIN_OUTBOUND` at set-up (default true).
    pub outbound_at_start: bool,
    /// Where the transport is declared (for messages about it).
    pub pos: Pos,
}

/// `PR_RECIPIENT_TYPE` of a recipient (model §13.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecipientType {
    To,
    Cc,
    Bcc,
}

impl RecipientType {
    pub fn as_str(self) -> &'static str {
        match self {
            RecipientType::To => "TO",
            RecipientType::Cc => "CC",
            RecipientType::Bcc => "BCC",
        }
    }
    pub fn value(self) -> u32 {
        match self {
            RecipientType::To => crate::consts::flag::MAPI_TO,
            RecipientType::Cc => crate::consts::flag::MAPI_CC,
            RecipientType::Bcc => crate::consts::flag::MAPI_BCC,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct RecipientSpec {
    pub name: String,
    pub address: String,
    /// `PR_ADDRTYPE`.
    pub addr_type: String,
    pub recipient_type: RecipientType,
    /// Provider UID embedded in the recipient's entry id (model §7.2), if any.
    pub uid: Option<[u8; 16]>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MessageSpec {
    pub id: String,
    pub subject: String,
    /// When the client calls `IMessage::SubmitMessage`.
    pub submit_at: Millis,
    /// `PR_ORIGINATOR_DELIVERY_REPORT_REQUESTED`.
    pub delivery_report: bool,
    /// `PR_ORIGINATOR_NON_DELIVERY_REPORT_REQUESTED` (default TRUE, model §6.4).
    pub non_delivery_report: bool,
    pub after_submit: AfterSubmit,
    pub recipients: Vec<RecipientSpec>,
    pub pos: Pos,
}

/// Things that happen from outside the transports (contract §3).
#[derive(Clone, Debug, PartialEq)]
pub enum EventAction {
    /// The user deletes the message while the spooler works on it.
    Cancel { message: usize },
    /// The client calls `IMsgStore::AbortSubmit`.
    AbortSubmit { message: usize },
    /// `IMAPIStatus::FlushQueues` on the spooler's status object.
    Flush,
    /// The spooler logs every transport off (model §8 steps 24–25): an addition to
    /// contract §3.
    Logoff,
    /// `TransportNotify(NOTIFY_END_OUTBOUND)`.
    OutboundOff { transport: usize },
    /// `TransportNotify(NOTIFY_BEGIN_OUTBOUND)`.
    OutboundOn { transport: usize },
}

#[derive(Clone, Debug, PartialEq)]
pub struct EventSpec {
    pub at: Millis,
    pub action: EventAction,
    pub pos: Pos,
}

/// A resolved scenario: everything the engine needs, nothing it must check again.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub title: String,
    pub description: String,
    pub seed: u64,
    pub spooler: SpoolerConfig,
    /// Transports in transport order (model §7.3).
    pub transports: Vec<TransportSpec>,
    /// Messages in file order; ids are unique.
    pub messages: Vec<MessageSpec>,
    /// Events sorted by time, file order kept for equal times.
    pub events: Vec<EventSpec>,
}

impl Scenario {
    pub fn recipient_count(&self) -> usize {
        self.messages.iter().map(|m| m.recipients.len()).sum()
    }
}

// ---------------------------------------------------------------------------------------
// Parsing and resolving
// ---------------------------------------------------------------------------------------

/// Parses and resolves a scenario. Never panics on any input.
pub fn parse_scenario(text: &str, format: Format) -> Result<Scenario, ScenarioError> {
    if text.len() > MAX_SCENARIO_BYTES {
        return Err(ScenarioError::new(
            Pos::START,
            format!(
                "the scenario is {} bytes; the limit is {} bytes (use `generate` for large recipient lists)",
                text.len(),
                MAX_SCENARIO_BYTES
            ),
        ));
    }
    let read = match format {
        Format::Toml => crate::toml_read::parse(text),
        Format::Json => crate::json_read::parse(text),
    };
    let raw = read
        .and_then(|root| {
            raw_scenario(&Node {
                val: Val::Table(root),
                span: (0, 0),
            })
        })
        .map_err(|e| ScenarioError::new(Pos::of_offset(text, e.at), e.message))?;
    Resolver {
        src: text,
        lines: Lines::new(text),
        script_origins: format == Format::Toml,
    }
    .resolve(raw)
}

struct Resolver<'a> {
    src: &'a str,
    lines: Lines,
    /// Whether a script's text starts where its string does in the file: TOML's multi-line
    /// strings, yes; a JSON string with `\n` escapes, no.
    script_origins: bool,
}

impl Resolver<'_> {
    fn pos<T>(&self, sp: &Sp<T>) -> Pos {
        self.lines.pos(self.src, sp.span.0)
    }

    fn err<T>(&self, sp: &Sp<T>, msg: impl Into<String>) -> ScenarioError {
        ScenarioError::new(self.pos(sp), msg)
    }

    fn time(&self, sp: &Sp<f64>, what: &str) -> Result<Millis, ScenarioError> {
        let v = sp.value;
        if !v.is_finite() || v < 0.0 {
            return Err(self.err(
                sp,
                format!("{what} must be a number of seconds ≥ 0, found {v}"),
            ));
        }
        if v > MAX_TIME_S {
            return Err(self.err(sp, format!("{what} = {v} s is beyond the 30-day limit")));
        }
        Ok(Millis::from_secs_f64(v))
    }

    fn after_submit(&self, sp: &Sp<String>) -> Result<AfterSubmit, ScenarioError> {
        match sp.value.as_str() {
            "sent_items" => Ok(AfterSubmit::SentItems),
            "delete" => Ok(AfterSubmit::Delete),
            "keep" => Ok(AfterSubmit::Keep),
            other => Err(self.err(
                sp,
                format!("after_submit must be \"sent_items\", \"delete\" or \"keep\", found \"{other}\""),
            )),
        }
    }

    fn addr_type(&self, sp: &Sp<String>) -> Result<String, ScenarioError> {
        // model §7.2: address types contain only A–Z and 0–9.
        let v = &sp.value;
        if v.is_empty()
            || !v
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return Err(self.err(
                sp,
                format!(
                    "address type \"{v}\" must be non-empty and use only A–Z and 0–9 (model §7.2)"
                ),
            ));
        }
        Ok(v.clone())
    }

    fn uid(&self, sp: &Sp<String>) -> Result<[u8; 16], ScenarioError> {
        let hex: String = sp
            .value
            .chars()
            .filter(|c| *c != '-' && *c != ' ')
            .collect();
        let bad = || {
            self.err(
                sp,
                format!(
                    "a MAPIUID is 16 bytes written as 32 hex digits, found \"{}\"",
                    sp.value
                ),
            )
        };
        if hex.len() != 32 || !hex.is_ascii() {
            return Err(bad());
        }
        let mut out = [0u8; 16];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(out)
    }

    fn recipient_type(&self, sp: &Option<Sp<String>>) -> Result<RecipientType, ScenarioError> {
        match sp {
            None => Ok(RecipientType::To),
            Some(s) => match s.value.as_str() {
                "TO" | "MAPI_TO" => Ok(RecipientType::To),
                "CC" | "MAPI_CC" => Ok(RecipientType::Cc),
                "BCC" | "MAPI_BCC" => Ok(RecipientType::Bcc),
                other => Err(self.err(
                    s,
                    format!("recipient_type must be \"TO\", \"CC\" or \"BCC\", found \"{other}\""),
                )),
            },
        }
    }

    fn script(&self, sp: &Sp<String>) -> Result<ScriptSource, ScenarioError> {
        if sp.value.len() > MAX_SCRIPT_BYTES {
            return Err(self.err(
                sp,
                format!(
                    "the script is {} bytes; the limit is {MAX_SCRIPT_BYTES}",
                    sp.value.len()
                ),
            ));
        }
        let origin = self.script_origins.then(|| {
            let start = sp.span.0;
            let rest = &self.src[start.min(self.src.len())..];
            let mut off = start;
            if rest.starts_with("'''") || rest.starts_with("\"\"\"") {
                off += 3;
                // TOML trims a newline right after the opening delimiter.
                let after = &self.src[off.min(self.src.len())..];
                if after.starts_with("\r\n") {
                    off += 2;
                } else if after.starts_with('\n') {
                    off += 1;
                }
            } else if rest.starts_with('\'') || rest.starts_with('"') {
                off += 1;
            }
            self.lines.pos(self.src, off)
        });
        Ok(ScriptSource {
            text: sp.value.clone(),
            origin,
        })
    }

    fn resolve(&self, raw: RawScenario) -> Result<Scenario, ScenarioError> {
        if raw.version.value != 1 {
            return Err(self.err(
                &raw.version,
                format!(
                    "scenario version {} is not supported; this Spoolscope reads version 1",
                    raw.version.value
                ),
            ));
        }
        let seed = match &raw.seed {
            None => 0,
            Some(s) if s.value < 0 => return Err(self.err(s, "seed must be ≥ 0")),
            Some(s) => s.value as u64,
        };

        // Spooler settings.
        let mut spooler = SpoolerConfig::default();
        let mut explicit_order = None;
        if let Some(sp) = &raw.spooler {
            if let Some(v) = &sp.busy_retry_s {
                spooler.busy_retry = self.time(v, "busy_retry_s")?;
            }
            if let Some(v) = &sp.resend_later_s {
                spooler.resend_later = self.time(v, "resend_later_s")?;
            }
            if let Some(v) = &sp.error_retry_s {
                spooler.error_retry = self.time(v, "error_retry_s")?;
            }
            if let Some(v) = &sp.until_s {
                spooler.until = self.time(v, "until_s")?;
            }
            if let Some(v) = &sp.resend_now_limit {
                if !(0..=100).contains(&v.value) {
                    return Err(self.err(v, "resend_now_limit must be between 0 and 100"));
                }
                spooler.resend_now_limit = v.value as u32;
            }
            if let Some(v) = &sp.after_submit {
                spooler.after_submit = self.after_submit(v)?;
            }
            explicit_order = sp.transport_order.as_ref();
        }

        // Transports.
        if raw.transport.len() > MAX_TRANSPORTS {
            return Err(self.err(
                &raw.transport[MAX_TRANSPORTS].name,
                format!("at most {MAX_TRANSPORTS} transports"),
            ));
        }
        let mut transports: Vec<TransportSpec> = Vec::with_capacity(raw.transport.len());
        for t in &raw.transport {
            let name = t.name.value.trim().to_string();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(self.err(
                    &t.name,
                    "a transport name must be non-empty and use only letters, digits, '_' and '-'",
                ));
            }
            if ["client", "store", "spooler"].contains(&name.as_str()) {
                return Err(self.err(&t.name, format!("\"{name}\" is reserved for a lifeline")));
            }
            if transports.iter().any(|o| o.name == name) {
                return Err(self.err(&t.name, format!("transport \"{name}\" is declared twice")));
            }
            let address_types = match &t.address_types {
                None => None,
                Some(list) => Some(
                    list.iter()
                        .map(|a| self.addr_type(a))
                        .collect::<Result<Vec<_>, _>>()?,
                ),
            };
            let uids = t
                .uids
                .iter()
                .map(|u| self.uid(u))
                .collect::<Result<Vec<_>, _>>()?;
            let script = t.script.as_ref().map(|s| self.script(s)).transpose()?;
            transports.push(TransportSpec {
                name,
                address_types,
                uids,
                script,
                prefer_last: t.prefer_last,
                outbound_at_start: t.outbound_at_start.unwrap_or(true),
                pos: self.pos(&t.name),
            });
        }
        // model §7.3, §14 Q6: an explicit order overrides STATUS_XP_PREFER_LAST; without one,
        // prefer-last transports go after the others, file order kept within each group.
        if let Some(order) = explicit_order {
            let mut ordered = Vec::with_capacity(transports.len());
            for n in order {
                match transports.iter().position(|t| t.name == n.value) {
                    Some(i) => ordered.push(transports.remove(i)),
                    None => {
                        return Err(self.err(
                            n,
                            format!("transport_order names \"{}\", which is not a transport (or is named twice)", n.value),
                        ))
                    }
                }
            }
            if let Some(missing) = transports.first() {
                // MsgServiceTransportOrder needs the complete list (model §7.3).
                return Err(ScenarioError::new(
                    missing.pos,
                    format!(
                        "transport_order must list every transport; \"{}\" is missing",
                        missing.name
                    ),
                ));
            }
            transports = ordered;
        } else {
            crate::sort_by_key_stable(&mut transports, |t| u64::from(t.prefer_last));
        }

        // Messages.
        if raw.message.len() > MAX_MESSAGES {
            return Err(ScenarioError::new(
                Pos::START,
                format!("at most {MAX_MESSAGES} messages"),
            ));
        }
        let mut messages: Vec<MessageSpec> = Vec::with_capacity(raw.message.len());
        let mut total = 0usize;
        for (i, m) in raw.message.iter().enumerate() {
            let (id, pos) = match &m.id {
                Some(id) => {
                    let v = id.value.trim();
                    if v.is_empty() {
                        return Err(self.err(id, "a message id must not be empty"));
                    }
                    (v.to_string(), self.pos(id))
                }
                None => (format!("m{}", i + 1), Pos::START),
            };
            if messages.iter().any(|o| o.id == id) {
                let p = m.id.as_ref().map(|s| self.pos(s)).unwrap_or(Pos::START);
                return Err(ScenarioError::new(
                    p,
                    format!("message id \"{id}\" is used twice"),
                ));
            }
            let submit_at = match &m.submit_at_s {
                Some(v) => self.time(v, "submit_at_s")?,
                None => Millis::ZERO,
            };
            let mut recipients = Vec::with_capacity(m.recipients.len());
            for r in &m.recipients {
                recipients.push(RecipientSpec {
                    name: r.name.clone().unwrap_or_else(|| r.address.clone()),
                    address: r.address.clone(),
                    addr_type: self.addr_type(&r.addr_type)?,
                    recipient_type: self.recipient_type(&r.recipient_type)?,
                    uid: r.uid.as_ref().map(|u| self.uid(u)).transpose()?,
                });
            }
            total += recipients.len();
            if let Some(g) = &m.generate {
                let count = g.value.count.value;
                if count < 0 || (total as i64).saturating_add(count) > MAX_RECIPIENTS as i64 {
                    return Err(self.err(
                        &g.value.count,
                        format!(
                            "generate.count = {count}: a scenario may have at most {MAX_RECIPIENTS} recipients in all"
                        ),
                    ));
                }
                let types = match &g.value.types {
                    Some(ts) if ts.is_empty() => {
                        return Err(
                            self.err(g, "generate.types must name at least one address type")
                        )
                    }
                    Some(ts) => ts
                        .iter()
                        .map(|t| self.addr_type(t))
                        .collect::<Result<Vec<_>, _>>()?,
                    None => vec!["SMTP".to_string()],
                };
                let rt = self.recipient_type(&g.value.recipient_type)?;
                let name_pat = g
                    .value
                    .name
                    .clone()
                    .unwrap_or_else(|| "User {i}".to_string());
                let addr_pat = g
                    .value
                    .address
                    .clone()
                    .unwrap_or_else(|| "user{i}@contoso.example".to_string());
                for k in 0..count as usize {
                    let ks = k.to_string();
                    recipients.push(RecipientSpec {
                        name: name_pat.replace("{i}", &ks),
                        address: addr_pat.replace("{i}", &ks),
                        addr_type: types[k % types.len()].clone(),
                        recipient_type: rt,
                        uid: None,
                    });
                }
                total += count as usize;
            }
            if total > MAX_RECIPIENTS {
                return Err(ScenarioError::new(
                    pos,
                    format!("a scenario may have at most {MAX_RECIPIENTS} recipients in all"),
                ));
            }
            let after_submit = match &m.after_submit {
                Some(v) => self.after_submit(v)?,
                None => spooler.after_submit,
            };
            messages.push(MessageSpec {
                id,
                subject: m.subject.clone().unwrap_or_default(),
                submit_at,
                delivery_report: m.delivery_report,
                non_delivery_report: m.non_delivery_report.unwrap_or(true),
                after_submit,
                recipients,
                pos,
            });
        }

        // Events.
        if raw.event.len() > MAX_EVENTS {
            return Err(ScenarioError::new(
                Pos::START,
                format!("at most {MAX_EVENTS} events"),
            ));
        }
        let mut events = Vec::with_capacity(raw.event.len());
        for e in &raw.event {
            let at = self.time(&e.at_s, "at_s")?;
            let pos = self.pos(&e.action);
            let need_message = |what: &str| -> Result<usize, ScenarioError> {
                let m = e.message.as_ref().ok_or_else(|| {
                    ScenarioError::new(pos, format!("action \"{what}\" needs message = \"<id>\""))
                })?;
                messages
                    .iter()
                    .position(|x| x.id == m.value)
                    .ok_or_else(|| self.err(m, format!("no message has id \"{}\"", m.value)))
            };
            let need_transport = |what: &str| -> Result<usize, ScenarioError> {
                let t = e.transport.as_ref().ok_or_else(|| {
                    ScenarioError::new(
                        pos,
                        format!("action \"{what}\" needs transport = \"<name>\""),
                    )
                })?;
                transports
                    .iter()
                    .position(|x| x.name == t.value)
                    .ok_or_else(|| self.err(t, format!("no transport is named \"{}\"", t.value)))
            };
            let action = match e.action.value.as_str() {
                "cancel" => EventAction::Cancel { message: need_message("cancel")? },
                "abort_submit" => EventAction::AbortSubmit { message: need_message("abort_submit")? },
                "flush" => EventAction::Flush,
                "logoff" => EventAction::Logoff,
                "outbound_off" => EventAction::OutboundOff { transport: need_transport("outbound_off")? },
                "outbound_on" => EventAction::OutboundOn { transport: need_transport("outbound_on")? },
                other => {
                    return Err(self.err(
                        &e.action,
                        format!(
                            "unknown action \"{other}\"; expected cancel, abort_submit, flush, outbound_off, outbound_on or logoff"
                        ),
                    ))
                }
            };
            // Keys that do not belong to the action are mistakes, not silently ignored.
            let uses_message = matches!(
                action,
                EventAction::Cancel { .. } | EventAction::AbortSubmit { .. }
            );
            let uses_transport = matches!(
                action,
                EventAction::OutboundOff { .. } | EventAction::OutboundOn { .. }
            );
            if let (false, Some(m)) = (uses_message, &e.message) {
                return Err(self.err(m, format!("action \"{}\" takes no message", e.action.value)));
            }
            if let (false, Some(t)) = (uses_transport, &e.transport) {
                return Err(self.err(
                    t,
                    format!("action \"{}\" takes no transport", e.action.value),
                ));
            }
            events.push(EventSpec { at, action, pos });
        }
        crate::sort_by_key_stable(&mut events, |e| e.at.0);

        Ok(Scenario {
            title: raw.title.unwrap_or_default(),
            description: raw.description.unwrap_or_default(),
            seed,
            spooler,
            transports,
            messages,
            events,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toml_err(text: &str) -> ScenarioError {
        parse_scenario(text, Format::Toml).expect_err("must be rejected")
    }

    #[test]
    fn unknown_key_is_rejected_at_its_line() {
        let e =
            toml_err("version = 1\n[[transport]]\nname = \"smtp\"\nadress_types = [\"SMTP\"]\n");
        assert_eq!(e.pos.line, 4, "{e}");
        assert!(e.message.contains("adress_types"), "{e}");
    }

    #[test]
    fn wrong_type_is_rejected_at_its_value() {
        let e = toml_err("version = 1\n[[message]]\nsubmit_at_s = \"soon\"\nrecipients = []\n");
        assert_eq!(e.pos.line, 3, "{e}");
    }

    #[test]
    fn newer_version_is_refused() {
        let e = toml_err("version = 2\n");
        assert_eq!(e.pos, Pos { line: 1, col: 11 });
        assert!(e.message.contains("version 2"));
    }

    #[test]
    fn json_errors_have_positions() {
        let e = parse_scenario("{\"version\": 1,\n \"tittle\": \"x\"}", Format::Json).unwrap_err();
        assert_eq!(e.pos.line, 2, "{e}");
        assert!(e.message.contains("tittle"));
    }

    #[test]
    fn json_field_errors_point_at_the_field() {
        let text = "{\"version\": 1,\n \"message\": [{\"recipients\": [\n  {\"address\": \"a\", \"type\": \"smtp\"}]}]}";
        let e = parse_scenario(text, Format::Json).unwrap_err();
        assert_eq!(e.pos, Pos { line: 3, col: 28 }, "{e}");
        assert!(e.message.contains("\"smtp\""), "{e}");
    }

    #[test]
    fn a_missing_key_is_reported_at_its_table() {
        let e = toml_err("version = 1\n[[message]]\n[[message.recipients]]\nname = \"x\"\n");
        assert_eq!(e.pos, Pos { line: 3, col: 1 }, "{e}");
        assert_eq!(e.message, "a recipient needs `address`");
    }

    #[test]
    fn a_wrong_type_names_the_key_and_what_was_found() {
        let e = toml_err("version = 1\n[[message]]\nsubmit_at_s = \"soon\"\n");
        assert_eq!(e.message, "`submit_at_s` must be a number, found a string");
        let e = toml_err("version = 1.5\n");
        assert_eq!(e.message, "`version` must be an integer, found a float");
    }

    #[test]
    fn json_is_detected_after_a_byte_order_mark() {
        assert_eq!(
            Format::detect(None, "\u{feff} {\"version\": 1}"),
            Format::Json
        );
        assert_eq!(Format::detect(None, "\u{feff}version = 1"), Format::Toml);
    }

    /// Every corpus scenario and preset, converted to JSON, resolves to the same scenario as
    /// its TOML (but for source positions, which JSON scripts do not map).
    #[test]
    fn json_and_toml_resolve_alike() {
        fn strip(mut s: Scenario) -> Scenario {
            for t in &mut s.transports {
                t.pos = Pos::START;
                if let Some(src) = &mut t.script {
                    src.origin = None;
                }
            }
            for m in &mut s.messages {
                m.pos = Pos::START;
            }
            for e in &mut s.events {
                e.pos = Pos::START;
            }
            s
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut checked = 0;
        for dir in ["tests/scenarios", "web/presets", "examples"] {
            let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let name = path.display().to_string();
                if !name.ends_with(".toml") || name.ends_with(".expect.toml") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let Ok(from_toml) = parse_scenario(&text, Format::Toml) else {
                    continue; // corpus files that are meant to be rejected
                };
                let value: toml::Value =
                    toml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
                let json = serde_json::to_string_pretty(&value).unwrap_or_default();
                let from_json =
                    parse_scenario(&json, Format::Json).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(strip(from_json), strip(from_toml), "{name}");
                checked += 1;
            }
        }
        assert!(checked >= 20, "only {checked} scenarios compared");
    }

    #[test]
    fn line_index_agrees_with_a_scan() {
        let src = "ab\néé x\n\n\r\nlast line\n";
        let lines = Lines::new(src);
        for off in 0..=src.len() + 2 {
            assert_eq!(
                lines.pos(src, off),
                Pos::of_offset(src, off),
                "offset {off}"
            );
        }
        assert_eq!(Pos::of_offset(src, 5), Pos { line: 2, col: 2 });
        assert_eq!(Pos::of_offset(src, 0), Pos::START);
    }

    #[test]
    fn json_null_is_an_absent_value() {
        let s = parse_scenario(
            "{\"version\": 1, \"title\": null, \"seed\": null}",
            Format::Json,
        )
        .unwrap();
        assert_eq!((s.title.as_str(), s.seed), ("", 0));
    }

    #[test]
    fn syntax_errors_have_positions_in_both_syntaxes() {
        let e = toml_err("version = 1\ntitle = \"unclosed\n");
        assert_eq!(e.pos.line, 2, "{e}");
        let e = parse_scenario("{\"version\": 1,\n\"title\": \"x\",}", Format::Json).unwrap_err();
        assert_eq!(e.pos, Pos { line: 2, col: 14 }, "{e}");
    }

    #[test]
    fn script_origin_points_into_the_file() {
        let text = "version = 1\n[[transport]]\nname = \"t\"\nscript = '''\nfn x() {}\n'''\n";
        let s = parse_scenario(text, Format::Toml).unwrap();
        let src = s.transports[0].script.as_ref().unwrap();
        assert_eq!(src.origin, Some(Pos { line: 5, col: 1 }));
        assert_eq!(src.file_pos(1, 4), Some(Pos { line: 5, col: 4 }));
        assert_eq!(src.file_pos(2, 2), Some(Pos { line: 6, col: 2 }));
    }

    #[test]
    fn generated_recipients_are_bounded() {
        let e = toml_err("version = 1\n[[message]]\ngenerate = { count = 10000000 }\n");
        assert_eq!(e.pos.line, 3);
        assert!(e.message.contains("100000"), "{e}");
    }

    #[test]
    fn prefer_last_sorts_after_others_unless_ordered() {
        let text = "version = 1\n[[transport]]\nname = \"a\"\nprefer_last = true\n[[transport]]\nname = \"b\"\n";
        let s = parse_scenario(text, Format::Toml).unwrap();
        assert_eq!(
            s.transports
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>(),
            ["b", "a"]
        );
        let text2 = format!("{text}[spooler]\ntransport_order = [\"a\", \"b\"]\n");
        let s = parse_scenario(&text2, Format::Toml).unwrap();
        assert_eq!(s.transports[0].name, "a");
    }

    #[test]
    fn events_name_real_messages() {
        let e = toml_err(
            "version = 1\n[[message]]\nrecipients = []\n[[event]]\nat_s = 1\naction = \"cancel\"\nmessage = \"m9\"\n",
        );
        assert_eq!(e.pos.line, 7);
    }
}
