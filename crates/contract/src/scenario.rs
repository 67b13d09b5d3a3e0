//! Scenario v1 (contract §1): raw input with source positions → resolved scenario.
//!
//! Two stages, like ripgrep's low/high args: [`parse_scenario`] deserializes the text into
//! raw types that mirror the file (unknown keys denied, positions kept), then resolves them
//! into [`Scenario`]: defaults applied (model §14 MODEL choices), ids assigned, references
//! checked, transport order fixed (model §7.3). The engine only ever sees a [`Scenario`].

use std::cell::Cell;
use std::fmt;

use serde::de::{Deserialize, Deserializer};

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
        let mut line = 1u32;
        let mut line_start = 0usize;
        for (i, b) in src.as_bytes()[..offset].iter().enumerate() {
            if *b == b'\n' {
                line += 1;
                line_start = i + 1;
            }
        }
        // Count characters, not bytes; step back to a char boundary first.
        let mut end = offset;
        while end > line_start && !src.is_char_boundary(end) {
            end -= 1;
        }
        let col = src[line_start..end].chars().count() as u32 + 1;
        Pos { line, col }
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
            _ if text.trim_start().starts_with('{') => Format::Json,
            _ => Format::Toml,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Raw stage
// ---------------------------------------------------------------------------------------

thread_local! {
    /// Set while deserializing TOML: `Sp<T>` then asks the TOML deserializer for spans. JSON
    /// has no span protocol, so there `Sp<T>` carries no position.
    static TOML_SPANS: Cell<bool> = const { Cell::new(false) };
}

/// A value with the byte range it came from (TOML only).
#[derive(Clone, Debug)]
struct Sp<T> {
    value: T,
    span: Option<(usize, usize)>,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Sp<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if TOML_SPANS.with(Cell::get) {
            let s = serde_spanned::Spanned::<T>::deserialize(d)?;
            let span = s.span();
            Ok(Sp {
                span: Some((span.start, span.end)),
                value: s.into_inner(),
            })
        } else {
            Ok(Sp {
                value: T::deserialize(d)?,
                span: None,
            })
        }
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    version: Sp<i64>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    seed: Option<Sp<i64>>,
    #[serde(default)]
    spooler: Option<RawSpooler>,
    #[serde(default)]
    transport: Vec<RawTransport>,
    #[serde(default)]
    message: Vec<RawMessage>,
    #[serde(default)]
    event: Vec<RawEvent>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpooler {
    busy_retry_s: Option<Sp<f64>>,
    resend_later_s: Option<Sp<f64>>,
    resend_now_limit: Option<Sp<i64>>,
    error_retry_s: Option<Sp<f64>>,
    after_submit: Option<Sp<String>>,
    until_s: Option<Sp<f64>>,
    transport_order: Option<Vec<Sp<String>>>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTransport {
    name: Sp<String>,
    address_types: Option<Vec<Sp<String>>>,
    #[serde(default)]
    uids: Vec<Sp<String>>,
    script: Option<Sp<String>>,
    #[serde(default)]
    prefer_last: bool,
    #[serde(default)]
    outbound_at_start: Option<bool>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMessage {
    id: Option<Sp<String>>,
    #[serde(default)]
    subject: Option<String>,
    submit_at_s: Option<Sp<f64>>,
    #[serde(default)]
    delivery_report: bool,
    #[serde(default)]
    non_delivery_report: Option<bool>,
    after_submit: Option<Sp<String>>,
    #[serde(default)]
    recipients: Vec<RawRecipient>,
    generate: Option<Sp<RawGenerate>>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecipient {
    #[serde(default)]
    name: Option<String>,
    address: String,
    #[serde(rename = "type")]
    addr_type: Sp<String>,
    recipient_type: Option<Sp<String>>,
    uid: Option<Sp<String>>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGenerate {
    count: Sp<i64>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    address: Option<String>,
    types: Option<Vec<Sp<String>>>,
    recipient_type: Option<Sp<String>>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    at_s: Sp<f64>,
    action: Sp<String>,
    message: Option<Sp<String>>,
    transport: Option<Sp<String>>,
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
    let raw = match format {
        Format::Toml => {
            TOML_SPANS.with(|c| c.set(true));
            let r = toml::from_str::<RawScenario>(text);
            TOML_SPANS.with(|c| c.set(false));
            r.map_err(|e| {
                let pos = e
                    .span()
                    .map(|s| Pos::of_offset(text, s.start))
                    .unwrap_or(Pos::START);
                ScenarioError::new(pos, clean_toml_message(e.message()))
            })?
        }
        Format::Json => serde_json::from_str::<RawScenario>(text).map_err(|e| {
            let pos = Pos {
                line: e.line().max(1) as u32,
                col: e.column().max(1) as u32,
            };
            ScenarioError::new(pos, clean_json_message(&e.to_string()))
        })?,
    };
    Resolver { src: text }.resolve(raw)
}

fn clean_toml_message(m: &str) -> String {
    m.trim().replace('\n', " ")
}

fn clean_json_message(m: &str) -> String {
    // serde_json appends " at line L column C"; the position is reported separately.
    match m.rfind(" at line ") {
        Some(i) => m[..i].to_string(),
        None => m.to_string(),
    }
}

struct Resolver<'a> {
    src: &'a str,
}

impl Resolver<'_> {
    fn pos<T>(&self, sp: &Sp<T>) -> Pos {
        sp.span
            .map(|(s, _)| Pos::of_offset(self.src, s))
            .unwrap_or(Pos::START)
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
        let origin = sp.span.map(|(start, _)| {
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
            Pos::of_offset(self.src, off)
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
            transports.sort_by_key(|t| t.prefer_last);
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
        events.sort_by_key(|e| e.at);

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
