//! The boundary between the spooler model and a transport provider's behaviour.
//!
//! Read model §3.7 (SubmitMessage), §3.8 (EndMessage), §3.4 (TransportNotify) and contract §2
//! before changing this file. The engine calls a [`Transport`] the way the spooler calls
//! `IXPLogon`; the transport answers through the [`Support`] object it is handed, the way a
//! real transport calls `IMAPISupport`. The engine knows nothing about Rhai: the script host
//! implements [`Transport`] (STYLE §9).

use std::sync::Arc;

use spoolscope_contract::scenario::RecipientSpec;
use spoolscope_contract::Pos;

/// What a hook sees of the message it is called about (contract §2 `msg`).
#[derive(Clone, Debug)]
pub struct MsgView {
    /// Message index in the scenario (stable; use it to cache per-message data).
    pub index: usize,
    pub id: Arc<str>,
    pub subject: Arc<str>,
    /// 1 for the first SubmitMessage of this message to this transport. In `end_message`, the
    /// attempt of the SubmitMessage being ended.
    pub attempt: u32,
    /// True when SubmitMessage was called with `BEGIN_DEFERRED` (model §9.2).
    pub deferred: bool,
    /// `PR_ORIGINATOR_DELIVERY_REPORT_REQUESTED`.
    pub delivery_report: bool,
    /// The transport's reference for this message (`*lpulMsgRef`), 0 when unset.
    pub reference: u64,
    /// Indexes of the recipients offered to this transport in this call, i.e. whose
    /// `PR_RESPONSIBILITY` is FALSE (model §7.1). Empty outside SubmitMessage/EndMessage.
    pub offered: Vec<u32>,
    /// Every recipient of the message, by index.
    pub recipients: Arc<[RecipientSpec]>,
}

/// A `TransportNotify` the spooler delivers while a hook of the same transport is running
/// (during [`Support::elapse`]); see [`Support::poll_notification`].
#[derive(Clone, Debug)]
pub struct Notification {
    /// `NOTIFY_*` bits (TransportNotify namespace, model §3.4).
    pub flags: u32,
    /// The message it concerns, if any.
    pub message: Option<MsgView>,
}

/// A hook failed: a script error, or a script resource limit. The run stops with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HookFault {
    /// Position in the scenario file, when known.
    pub pos: Option<Pos>,
    pub message: String,
}

/// The spooler's side of the conversation, handed to every hook (`IMAPISupport` plus the
/// simulator's controls, contract §2 host functions).
///
/// Recipient arguments are recipient indexes of the message the current call is about.
/// Misuse (a recipient not offered, a call outside SubmitMessage) is not an error: the engine
/// records a contract warning and carries on, as a real spooler would.
pub trait Support {
    /// `accept(r)`: `PR_RESPONSIBILITY` = TRUE on `r` (sent, no report).
    fn accept(&mut self, recipient: i64);
    /// `deliver(r)`: accept plus a StatusRecips entry with `PR_DELIVER_TIME` (DR).
    fn deliver(&mut self, recipient: i64);
    /// `fail(r, reason, diag, text)`: accept plus a StatusRecips entry without
    /// `PR_DELIVER_TIME` (NDR).
    fn fail(&mut self, recipient: i64, reason: i64, diag: i64, text: &str);
    /// `decline(r)`: leave (or put back) `PR_RESPONSIBILITY` FALSE.
    fn decline(&mut self, recipient: i64);
    /// `set_reference(n)`: writes `*lpulMsgRef`.
    fn set_reference(&mut self, reference: i64);
    /// `retry_after(s)`: writes `*lpulReturnParm`.
    fn retry_after(&mut self, secs: f64);
    /// `elapse(s)`: virtual time passes inside the current call. Afterwards the caller must
    /// drain [`Support::poll_notification`] so that events due meanwhile are delivered first.
    fn elapse(&mut self, secs: f64);
    /// The next `TransportNotify` due for this transport while it is inside a call, with its
    /// `call` already traced. Run the `transport_notify` hook for it, then call
    /// [`Support::notification_done`]. `None` once the elapsed interval is over.
    fn poll_notification(&mut self) -> Option<Notification>;
    /// Traces the return of the notification last handed out by `poll_notification`.
    fn notification_done(&mut self);
    /// `cancelled()`: true once `NOTIFY_CANCEL_MESSAGE` arrived for the current message.
    fn cancelled(&self) -> bool;
    /// `notify_sent_deferred(s)`: `SpoolerNotify(NOTIFY_SENTDEFERRED)` for the current message
    /// after `s` seconds.
    fn notify_sent_deferred(&mut self, secs: f64);
    /// `log(text)`: a note in the trace.
    fn log(&mut self, text: &str);
    /// `now()`: virtual seconds.
    fn now(&self) -> f64;
    /// `rand()`: the scenario-seeded random float in [0, 1).
    fn rand(&mut self) -> f64;
}

/// A transport provider's behaviour: the three hooks of contract §2.
pub trait Transport {
    /// `IXPLogon::SubmitMessage`. Returns the HRESULT bit pattern.
    fn submit_message(&mut self, msg: &MsgView, sup: &mut dyn Support) -> Result<u32, HookFault>;
    /// `IXPLogon::EndMessage`. Returns `*lpulFlags`.
    fn end_message(&mut self, msg: &MsgView, sup: &mut dyn Support) -> Result<u32, HookFault>;
    /// `IXPLogon::TransportNotify`. `msg` is the message the notification concerns, if any.
    fn transport_notify(
        &mut self,
        flags: u32,
        msg: Option<&MsgView>,
        sup: &mut dyn Support,
    ) -> Result<(), HookFault>;
}

/// The default behaviour of contract §2: accept every offered recipient, return `S_OK`,
/// end with flags 0, ignore notifications. Used for transports without a script.
#[derive(Clone, Copy, Debug, Default)]
pub struct AcceptAll;

impl Transport for AcceptAll {
    fn submit_message(&mut self, msg: &MsgView, sup: &mut dyn Support) -> Result<u32, HookFault> {
        for r in &msg.offered {
            sup.accept(i64::from(*r));
        }
        Ok(spoolscope_contract::consts::hr::S_OK)
    }

    fn end_message(&mut self, _msg: &MsgView, _sup: &mut dyn Support) -> Result<u32, HookFault> {
        Ok(0)
    }

    fn transport_notify(
        &mut self,
        _flags: u32,
        _msg: Option<&MsgView>,
        _sup: &mut dyn Support,
    ) -> Result<(), HookFault> {
        Ok(())
    }
}
