//! The tables the page and the CLI show (recipients, messages and queue, transport status
//! rows), and the timeline that gives them at any step without re-running the scenario.
//!
//! The engine owns one [`Tables`] value as its authoritative record (model §7.1: the spooler
//! keeps per-recipient status) and changes it only through [`Recorder`], which logs every
//! change as a [`Delta`] tagged with the trace step it happened at. A [`Timeline`] replays
//! those deltas from the nearest checkpoint: snapshot cost is one table clone plus at most
//! one checkpoint interval of deltas, whatever the run's length.

use std::fmt;
use std::sync::Arc;

use spoolscope_contract::Millis;

/// A transport's position in transport order.
pub type XpId = u16;

/// Per-recipient state, named as in model §12.3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecipientState {
    /// Waiting for a transport (possibly postponed: every candidate unusable).
    Pending,
    /// Inside `SubmitMessage(T)` with `PR_RESPONSIBILITY` FALSE.
    Offered(XpId),
    /// T set `PR_RESPONSIBILITY` TRUE; final when EndMessage returns 0.
    Accepted(XpId),
    /// Sent by T (EndMessage 0), no report.
    Sent(XpId),
    /// A delivery report was produced (StatusRecips entry with `PR_DELIVER_TIME`).
    DeliveredReported(XpId),
    /// T reported it undeliverable (StatusRecips entry without `PR_DELIVER_TIME`).
    NonDelivered(XpId),
    /// Waiting for a retry of T (BUSY, WAIT, NETWORK_ERROR, RESEND_LATER, other error).
    RetryWait(XpId),
    /// T deferred it (END_DONT_RESEND); waits for NOTIFY_SENTDEFERRED (model §9.2).
    DeferredBy(XpId),
    /// The message was cancelled, aborted or withdrawn.
    Cancelled,
    /// No transport took it: the spooler's NDR (model §7.4).
    NoTransport,
}

impl RecipientState {
    /// True for states no later event changes.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            RecipientState::Sent(_)
                | RecipientState::DeliveredReported(_)
                | RecipientState::NonDelivered(_)
                | RecipientState::Cancelled
                | RecipientState::NoTransport
        )
    }

    /// The contract's status word (contract §4).
    pub fn contract_status(self) -> &'static str {
        match self {
            RecipientState::Pending
            | RecipientState::Offered(_)
            | RecipientState::Accepted(_)
            | RecipientState::RetryWait(_) => "pending",
            RecipientState::Sent(_) => "sent",
            RecipientState::DeliveredReported(_) => "delivered",
            RecipientState::NonDelivered(_) => "failed",
            RecipientState::DeferredBy(_) => "deferred",
            RecipientState::Cancelled => "cancelled",
            RecipientState::NoTransport => "no_transport",
        }
    }

    /// The transport the state names, if any.
    pub fn transport(self) -> Option<XpId> {
        match self {
            RecipientState::Offered(t)
            | RecipientState::Accepted(t)
            | RecipientState::Sent(t)
            | RecipientState::DeliveredReported(t)
            | RecipientState::NonDelivered(t)
            | RecipientState::RetryWait(t)
            | RecipientState::DeferredBy(t) => Some(t),
            _ => None,
        }
    }

    /// The model's name (model §12.3), without the transport.
    pub fn name(self) -> &'static str {
        match self {
            RecipientState::Pending => "Pending",
            RecipientState::Offered(_) => "Offered",
            RecipientState::Accepted(_) => "Accepted",
            RecipientState::Sent(_) => "Sent",
            RecipientState::DeliveredReported(_) => "DeliveredReported",
            RecipientState::NonDelivered(_) => "NonDelivered",
            RecipientState::RetryWait(_) => "RetryWait",
            RecipientState::DeferredBy(_) => "DeferredBy",
            RecipientState::Cancelled => "Cancelled",
            RecipientState::NoTransport => "NoTransport",
        }
    }
}

impl fmt::Display for RecipientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.transport() {
            Some(t) => write!(f, "{}(#{t})", self.name()),
            None => f.write_str(self.name()),
        }
    }
}

/// Kind of report a recipient got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportKind {
    Dr,
    Ndr,
}

impl ReportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Dr => "DR",
            ReportKind::Ndr => "NDR",
        }
    }
}

/// One row of the recipient status table.
#[derive(Clone, Debug, PartialEq)]
pub struct RecipRow {
    /// Message index.
    pub message: u32,
    /// Recipient index within the message.
    pub index: u32,
    pub state: RecipientState,
    /// `PR_RESPONSIBILITY` as the spooler last saw it for this recipient.
    pub responsibility: bool,
    /// Transports that may still take it, best first (model §7.4 step 1).
    pub candidates: Vec<XpId>,
    /// Transports it has been offered to, in order.
    pub offered_to: Vec<XpId>,
    /// The report produced for it, if any (the last one when there were several).
    pub report: Option<ReportKind>,
    pub ndr_reason: Option<i32>,
    pub ndr_diag: Option<i32>,
    pub report_text: Option<Arc<str>>,
    /// One line explaining the current state.
    pub why: Arc<str>,
}

/// Per-message state, named as in model §12.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageState {
    /// Not yet submitted by the client.
    Draft,
    /// `IMessage::SubmitMessage` failed (`MAPI_E_NO_RECIPIENTS`): never queued.
    NotSubmitted,
    /// In the outgoing queue, unlocked, waiting for the spooler.
    Queued,
    /// Locked by the spooler, choosing the next transport.
    Routing,
    InSubmit(XpId),
    InEnd(XpId),
    /// Unlocked, waiting for a retry timer of T.
    RetryWait(XpId),
    /// Unlocked, some recipients parked by T (END_DONT_RESEND).
    Deferred(XpId),
    /// Unlocked, remaining recipients wait for an unusable transport.
    Postponed,
    /// FinishedMsg done; moved to Sent Items.
    CompletedMoved,
    /// FinishedMsg done; deleted (`PR_DELETE_AFTER_SUBMIT`).
    CompletedDeleted,
    /// FinishedMsg done; left in the Outbox.
    CompletedLeftInPlace,
    /// Removed by `IMsgStore::AbortSubmit`.
    Aborted,
    /// Deleted by the user while the spooler worked on it.
    Cancelled,
    /// The transport answered `MAPI_E_CANCEL` (model §14 Q10).
    Withdrawn,
}

impl MessageState {
    /// The contract's status word (contract §4).
    pub fn contract_status(self) -> &'static str {
        match self {
            MessageState::Draft
            | MessageState::Queued
            | MessageState::Routing
            | MessageState::InSubmit(_)
            | MessageState::InEnd(_)
            | MessageState::RetryWait(_)
            | MessageState::Postponed => "queued",
            MessageState::NotSubmitted => "not_submitted",
            MessageState::Deferred(_) => "deferred",
            MessageState::CompletedMoved => "sent_items",
            MessageState::CompletedDeleted => "deleted",
            MessageState::CompletedLeftInPlace => "kept",
            MessageState::Aborted => "aborted",
            MessageState::Cancelled => "cancelled",
            MessageState::Withdrawn => "withdrawn",
        }
    }

    /// The model's name (model §12.2).
    pub fn name(self) -> &'static str {
        match self {
            MessageState::Draft => "Draft",
            MessageState::NotSubmitted => "NotSubmitted",
            MessageState::Queued => "Queued",
            MessageState::Routing => "Routing",
            MessageState::InSubmit(_) => "InSubmit",
            MessageState::InEnd(_) => "InEnd",
            MessageState::RetryWait(_) => "RetryWait",
            MessageState::Deferred(_) => "Deferred",
            MessageState::Postponed => "Postponed",
            MessageState::CompletedMoved => "Completed(Moved)",
            MessageState::CompletedDeleted => "Completed(Deleted)",
            MessageState::CompletedLeftInPlace => "Completed(LeftInPlace)",
            MessageState::Aborted => "Aborted",
            MessageState::Cancelled => "Cancelled",
            MessageState::Withdrawn => "Withdrawn",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            MessageState::NotSubmitted
                | MessageState::CompletedMoved
                | MessageState::CompletedDeleted
                | MessageState::CompletedLeftInPlace
                | MessageState::Aborted
                | MessageState::Cancelled
                | MessageState::Withdrawn
        )
    }
}

/// One row of the messages table.
#[derive(Clone, Debug, PartialEq)]
pub struct MsgRow {
    pub state: MessageState,
    /// `SetLockState(MSG_LOCKED)` in force (`SUBMITFLAG_LOCKED`).
    pub locked: bool,
    /// `PR_MESSAGE_FLAGS`.
    pub message_flags: u32,
    /// When a retry timer will fire, for RetryWait.
    pub retry_at: Option<Millis>,
}

/// A transport's status-table row (model §10) plus the spooler's bookkeeping.
#[derive(Clone, Debug, PartialEq)]
pub struct StatusRow {
    /// Between TransportLogon and TransportLogoff.
    pub logged_on: bool,
    /// `PR_STATUS_CODE`.
    pub status_code: u32,
    /// The spooler's own BEGIN/END_OUTBOUND state (model §14 Q14).
    pub outbound_enabled: bool,
    /// The message in SubmitMessage/EndMessage, if any.
    pub in_flight: Option<u32>,
    /// Messages parked by END_DONT_RESEND, in order.
    pub deferred: Vec<u32>,
}

/// Everything the views show at one step.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Tables {
    /// Every recipient of every message, message by message.
    pub recipients: Vec<RecipRow>,
    pub messages: Vec<MsgRow>,
    /// The outgoing queue: message indexes in submission order.
    pub queue: Vec<u32>,
    /// One row per transport, in transport order.
    pub status: Vec<StatusRow>,
}

/// One recorded change.
#[derive(Clone, Debug, PartialEq)]
pub enum Delta {
    Recipient(u32, RecipRow),
    Message(u32, MsgRow),
    QueuePush(u32),
    QueueRemove(u32),
    Status(XpId, StatusRow),
}

impl Delta {
    /// Applies the change to `t` (what `Timeline::snapshot` replays).
    pub fn apply(&self, t: &mut Tables) {
        match self {
            Delta::Recipient(i, row) => {
                if let Some(slot) = t.recipients.get_mut(*i as usize) {
                    slot.clone_from(row);
                }
            }
            Delta::Message(i, row) => {
                if let Some(slot) = t.messages.get_mut(*i as usize) {
                    slot.clone_from(row);
                }
            }
            Delta::QueuePush(m) => t.queue.push(*m),
            Delta::QueueRemove(m) => t.queue.retain(|x| x != m),
            Delta::Status(i, row) => {
                if let Some(slot) = t.status.get_mut(*i as usize) {
                    slot.clone_from(row);
                }
            }
        }
    }
}

/// The engine's only way to change the tables: applies a change and logs it.
#[derive(Debug, Default)]
pub struct Recorder {
    pub current: Tables,
    initial: Tables,
    deltas: Vec<(u64, Delta)>,
}

impl Recorder {
    pub fn new(initial: Tables) -> Recorder {
        Recorder {
            current: initial.clone(),
            initial,
            deltas: Vec::new(),
        }
    }

    /// Records `delta` as happening after trace step `step`.
    pub fn record(&mut self, step: u64, delta: Delta) {
        delta.apply(&mut self.current);
        self.deltas.push((step, delta));
    }

    pub fn finish(self) -> Timeline {
        Timeline::new(self.initial, self.deltas)
    }
}

/// Snapshots of the tables at any trace step (checkpoints plus replay).
#[derive(Clone, Debug)]
pub struct Timeline {
    initial: Tables,
    deltas: Vec<(u64, Delta)>,
    /// `checkpoints[k]` = the tables after `deltas[..k * interval]`.
    checkpoints: Vec<Tables>,
    interval: usize,
}

impl Timeline {
    fn new(initial: Tables, deltas: Vec<(u64, Delta)>) -> Timeline {
        // A checkpoint costs one table (about 200 bytes a row). Keep at most 16 of them, and
        // fewer for very large runs so that all checkpoints stay near 64 MB (320,000 rows in
        // all); never closer than 256 deltas. A snapshot then replays at most one interval.
        let rows = initial.recipients.len() + initial.messages.len() + initial.status.len();
        let max_checkpoints = (320_000 / rows.max(1)).clamp(2, 16);
        let interval = (deltas.len() / max_checkpoints).max(256);
        let mut checkpoints = vec![initial.clone()];
        let mut t = initial.clone();
        for (i, (_, d)) in deltas.iter().enumerate() {
            d.apply(&mut t);
            if (i + 1) % interval == 0 {
                checkpoints.push(t.clone());
            }
        }
        Timeline {
            initial,
            deltas,
            checkpoints,
            interval,
        }
    }

    /// The tables as they were right after trace event `step` (1-based `seq`); step 0 is
    /// the state before the first event.
    pub fn snapshot(&self, step: u64) -> Tables {
        let end = self.deltas.partition_point(|(s, _)| *s <= step);
        let k = (end / self.interval).min(self.checkpoints.len() - 1);
        let mut t = self.checkpoints[k].clone();
        for (_, d) in &self.deltas[k * self.interval..end] {
            d.apply(&mut t);
        }
        t
    }

    /// The changes made at `step` (to highlight changed rows).
    pub fn changes_at(&self, step: u64) -> &[(u64, Delta)] {
        let a = self.deltas.partition_point(|(s, _)| *s < step);
        let b = self.deltas.partition_point(|(s, _)| *s <= step);
        &self.deltas[a..b]
    }

    pub fn initial(&self) -> &Tables {
        &self.initial
    }

    pub fn delta_count(&self) -> usize {
        self.deltas.len()
    }

    pub fn checkpoint_interval(&self) -> usize {
        self.interval
    }
}
