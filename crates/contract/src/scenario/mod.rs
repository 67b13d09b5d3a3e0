//! Scenario v1 (contract §1): raw input with source positions → resolved scenario.
//!
//! Two stages, like ripgrep's low/high args: [`parse_scenario`] deserializes the text into
//! raw types that mirror the file (unknown keys denied, positions kept), then resolves them
//! into [`Scenario`]: defaults applied (model §14 MODEL choices), ids assigned, references
//! checked, transport order fixed (model §7.3). The engine only ever sees a [`Scenario`].

use std::fmt;

use crate::doc::{Node, ReadError, Span, Val};
use crate::time::Millis;

mod raw;
mod resolve;

use raw::*;
use resolve::Resolver;

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
