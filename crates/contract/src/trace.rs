//! Trace v1 (contract §4): what a run produces, as serializable records.
//!
//! These types are the wire format. Fields are emitted in declaration order and `None`
//! fields are left out, so the JSON is byte-identical for the same scenario and engine.

use serde::Serialize;

/// The whole result of a run.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Trace {
    pub version: u32,
    pub title: String,
    pub events: Vec<Event>,
    pub recipients: Vec<RecipientRow>,
    pub messages: Vec<MessageRow>,
    pub reports: Vec<ReportRow>,
    pub warnings: Vec<Warning>,
    /// How and when the run ended (an addition to contract §4).
    pub end: RunEnd,
}

/// `kind` of a trace event.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    Call,
    Return,
    Property,
    Timer,
    Note,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Call => "call",
            EventKind::Return => "return",
            EventKind::Property => "property",
            EventKind::Timer => "timer",
            EventKind::Note => "note",
        }
    }
}

/// A property value in a `property` event.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(untagged)]
pub enum PropValue {
    Bool(bool),
    Int(i64),
    Text(String),
}

/// One StatusRecips entry (contract §4, model §6.2–6.3).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct StatusEntry {
    pub recipient: u32,
    /// `"DR"` when the entry carries `PR_DELIVER_TIME`, else `"NDR"` (model §6.2).
    pub report: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diag: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// `PR_DELIVER_TIME` (virtual seconds) for a DR.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliver_time: Option<f64>,
}

/// One trace record. Which fields are present depends on `kind` and `method` (contract §4).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Event {
    pub seq: u64,
    /// Virtual seconds.
    pub t: f64,
    pub depth: u32,
    pub kind: EventKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flags: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offered: Option<Vec<u32>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_parm: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entries: Option<Vec<StatusEntry>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<PropValue>,
    /// Timer name for `timer` events (e.g. `"busy_retry"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timer: Option<String>,
    /// When a timer set by this event fires (virtual seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due: Option<f64>,
    /// Address types returned by `AddressTypes` (absent for a catch-all transport).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_types: Option<Vec<String>>,
    /// `PR_STATUS_CODE` bits by name, for `ModifyStatusRow`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Vec<String>>,
    /// Free text: a note, or a short explanation of a timer or call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl Event {
    /// An event with only the always-present fields set.
    pub fn new(kind: EventKind) -> Event {
        Event {
            seq: 0,
            t: 0.0,
            depth: 0,
            kind,
            from: None,
            to: None,
            method: None,
            message: None,
            flags: None,
            offered: None,
            attempt: None,
            result: None,
            reference: None,
            return_parm: None,
            entries: None,
            recipient: None,
            property: None,
            value: None,
            timer: None,
            due: None,
            address_types: None,
            status: None,
            text: None,
        }
    }
}

/// Final state of one recipient (contract §4).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RecipientRow {
    pub message: String,
    pub index: u32,
    pub name: String,
    pub address: String,
    #[serde(rename = "type")]
    pub addr_type: String,
    /// `TO`, `CC` or `BCC` (`PR_RECIPIENT_TYPE`).
    pub recipient_type: String,
    /// `sent`, `delivered`, `failed`, `no_transport`, `deferred`, `cancelled`, `pending`.
    pub status: String,
    pub transport: Option<String>,
    pub responsibility: bool,
    pub report: Option<String>,
    pub ndr_reason: Option<i32>,
    pub ndr_diag: Option<i32>,
    pub report_text: Option<String>,
}

/// Final state of one message.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct MessageRow {
    pub id: String,
    pub subject: String,
    /// `sent_items`, `deleted`, `kept`, `deferred`, `aborted`, `cancelled`, `queued`,
    /// and `withdrawn` (MAPI_E_CANCEL on a deferred resubmission, model §14 Q10).
    pub status: String,
}

/// One report message produced (model §6).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ReportRow {
    pub message: String,
    /// `DR` or `NDR`.
    pub kind: String,
    /// `spooler` or the transport whose StatusRecips asked for it.
    pub source: String,
    pub recipients: Vec<u32>,
    /// The trace event that produced it.
    pub seq: u64,
    /// `REPORT.IPM.Note.DR` / `REPORT.IPM.Note.NDR` (model §6.4).
    pub class: String,
}

/// A contract violation a real spooler tolerates (contract §4).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Warning {
    pub seq: u64,
    /// Stable short code, e.g. `duplicate_status_recips`.
    pub code: String,
    pub text: String,
}

/// How the run ended.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RunEnd {
    pub t: f64,
    /// `idle` (nothing left to do), `until` (spooler.until_s reached), `limit` (a run limit).
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl Trace {
    /// The contract's JSON, pretty-printed, newline-terminated: what
    /// `serde_json::to_string_pretty` prints for this type's `Serialize`, plus `\n`, written
    /// by [`crate::json_write`] so that the page needs no JSON serializer.
    pub fn to_json(&self) -> String {
        let mut s = crate::json_write::trace_pretty(self);
        s.push('\n');
        s
    }
}
