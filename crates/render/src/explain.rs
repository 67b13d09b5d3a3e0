//! What each name in a trace means: for every method, flag, HRESULT, property, report class
//! and timer the engine can emit, one or two plain sentences, the Microsoft reference page
//! that documents it and the model section (`docs/spec/mapi-transport-model.md`, the book's
//! "The model" chapter) that says how Spoolscope treats it.
//!
//! One table ([`TABLE`]); the page's details panel shows the entries an event
//! mentions ([`names_in`]). Tests fail when a name the contract or a trace can hold has no
//! entry (`every_name_the_contract_knows_is_explained` here, and the corpus test in
//! `tests/scenarios.rs`).

use spoolscope_contract::trace::Event;

/// Where the pages named by [`Explanation::page`] live (the spec's `[D:…]` citation key).
pub const MICROSOFT_MAPI: &str =
    "https://learn.microsoft.com/en-us/office/client-developer/outlook/mapi/";

/// The book's chapter holding the model, relative to the playground (`dist/book/`); each
/// numbered section has the anchor `s<number>` (`#s9.4`), each open question of §14
/// `s14-q<n>` (`docs/book/anchors.py` puts them there).
pub const MODEL_CHAPTER: &str = "book/model.html";

/// One entry of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// The name as the trace spells it; methods are qualified by their interface
    /// (`IXPLogon::SubmitMessage`), as [`names_in`] looks them up.
    pub name: &'static str,
    /// The model section that covers it (`9.4`), see [`model_link`].
    pub section: &'static str,
    /// The Microsoft reference page under [`MICROSOFT_MAPI`].
    pub page: &'static str,
    /// One or two plain sentences.
    pub text: &'static str,
}

impl Explanation {
    /// The Microsoft reference page's address.
    pub fn reference(&self) -> String {
        format!("{MICROSOFT_MAPI}{}", self.page)
    }
}

/// The link to model section `section` (`9.4`, `14 Q10`) in the book, relative to the
/// playground page.
pub fn model_link(section: &str) -> String {
    let anchor = section.replace(" Q", "-q");
    format!("{MODEL_CHAPTER}#s{anchor}")
}

/// True when `section` (`9.4`, `8`, `14 Q10`) is a numbered heading of the model text
/// `model` (`docs/spec/mapi-transport-model.md`), or one of §14's open questions.
pub fn is_model_heading(model: &str, section: &str) -> bool {
    if let Some((_, q)) = section.split_once(" Q") {
        return model.lines().any(|l| l.starts_with(&format!("* **Q{q} ")));
    }
    let numbered = [format!("{section}. "), format!("{section} ")];
    model.lines().any(|l| {
        l.starts_with('#')
            && numbered.iter().any(|n| {
                l.trim_start_matches('#')
                    .trim_start()
                    .starts_with(n.as_str())
            })
    })
}

/// The entry for `name`, if the table has one.
pub fn lookup(name: &str) -> Option<Explanation> {
    all().find(|e| e.name == name)
}

/// Every entry of [`TABLE`], in order.
pub fn all() -> impl Iterator<Item = Explanation> {
    TABLE
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|line| {
            let mut f = line.splitn(4, '|');
            Some(Explanation {
                name: f.next()?,
                section: f.next()?,
                page: f.next()?,
                text: f.next()?,
            })
        })
}

/// The interface-qualified name of a method as event `ev` uses it: `SubmitMessage` between
/// the client and the store (call or return) is `IMessage::SubmitMessage`, from the spooler
/// `IXPLogon::SubmitMessage`.
pub fn method_key(method: &str, ev: &Event) -> String {
    let client = ev.from.as_deref() == Some("client") || ev.to.as_deref() == Some("client");
    let interface = match method {
        "SubmitMessage" if client => "IMessage",
        "FlushQueues" if client => "IMAPIStatus",
        "TransportLogon" => "IXPProvider",
        "StatusRecips" | "ModifyStatusRow" | "SpoolerNotify" | "SpoolerYield" => "IMAPISupport",
        "SetLockState" | "FinishedMsg" | "AbortSubmit" => "IMsgStore",
        _ => "IXPLogon",
    };
    format!("{interface}::{method}")
}

/// Every name event `ev` mentions that the table can explain, in the order the details
/// panel shows them (method, flags, status bits, result, property, report kinds, timer),
/// each once. Names the table lacks are included too, so a test can find them.
pub fn names_in(ev: &Event) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |name: String| {
        if !out.contains(&name) {
            out.push(name);
        }
    };
    if let Some(m) = &ev.method {
        add(method_key(m, ev));
    }
    for f in ev.flags.iter().flatten().chain(ev.status.iter().flatten()) {
        // An unnamed bit is shown as hex (`0x00000001`): nothing to explain.
        if !f.starts_with("0x") {
            add(f.clone());
        }
    }
    if let Some(r) = &ev.result {
        if !r.starts_with("0x") {
            add(r.clone());
        }
    }
    if let Some(p) = &ev.property {
        add(p.clone());
    }
    for e in ev.entries.iter().flatten() {
        add(e.report.clone());
        if e.reason.is_some() {
            add("PR_NDR_REASON_CODE".into());
        }
        if e.diag.is_some() {
            add("PR_NDR_DIAG_CODE".into());
        }
        if e.deliver_time.is_some() {
            add("PR_DELIVER_TIME".into());
        }
        if e.text.is_some() {
            add("PR_REPORT_TEXT".into());
        }
    }
    if let Some(text) = &ev.text {
        for class in ["REPORT.IPM.Note.DR", "REPORT.IPM.Note.NDR"] {
            if text.contains(class) {
                add(class.into());
            }
        }
    }
    if let Some(t) = &ev.timer {
        add(t.clone());
    }
    out
}

/// Every `model §N` a text cites (`model §9.4`, `model §14 Q10`, `model §8`), in order.
pub fn sections_cited(text: &str) -> Vec<String> {
    citations(text).into_iter().map(|c| c.section).collect()
}

/// One `model §N` in a text: where it is (byte range of the whole `model §N`) and `N`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Citation {
    pub start: usize,
    pub end: usize,
    pub section: String,
}

/// Every `model §N` in `text`, in order, so a view can make each a link.
pub fn citations(text: &str) -> Vec<Citation> {
    const MARK: &str = "model §";
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find(MARK) {
        let start = from + at;
        let rest = &text[start + MARK.len()..];
        // Digits and the dots between them: `9.4` in `model §9.4.` ends before the last dot.
        let mut n = 0;
        for (i, c) in rest.char_indices() {
            let dot_then_digit =
                c == '.' && rest[i + 1..].starts_with(|d: char| d.is_ascii_digit());
            if !(c.is_ascii_digit() || dot_then_digit) {
                break;
            }
            n = i + 1;
        }
        from = start + MARK.len() + n;
        if n == 0 {
            continue;
        }
        let mut section = rest[..n].to_string();
        if let Some(q) = rest[n..].strip_prefix(" Q") {
            let digits = q.bytes().take_while(u8::is_ascii_digit).count();
            if digits > 0 {
                section.push_str(" Q");
                section.push_str(&q[..digits]);
                from += 2 + digits;
            }
        }
        out.push(Citation {
            start,
            end: from,
            section,
        });
    }
    out
}

/// Every explanation, one per line: `name|section|page|text`, grouped under `# …` comment
/// lines (methods, HRESULTs, flags by family, properties, report classes and kinds, timers).
/// A text block rather than an array of structs: the page downloads this table, and the
/// pointers of a hundred-odd four-string structs cost more than a line scan.
pub const TABLE: &str = "# Methods, qualified by interface.
IXPProvider::TransportLogon|3.1|ixpprovider-transportlogon|The spooler logs on to the transport at session start; the transport answers with LOGON_SP_* flags and adds its row to the status table.
IXPLogon::AddressTypes|3.2|ixplogon-addresstypes|The spooler asks which address types (and entry-id UIDs) the transport handles; routing offers it only recipients of those types.
IXPLogon::RegisterOptions|3.3|ixplogoniunknown|The spooler asks which message and recipient options the transport supports (the IXPLogon page lists it as undocumented); Spoolscope's transports register none.
IXPLogon::TransportNotify|3.4|ixplogon-transportnotify|The spooler tells the transport about an event: outbound begins or ends, a flush, or the cancel of a message it holds (NOTIFY_CANCEL_MESSAGE with its reference).
IXPLogon::TransportLogoff|3.6|ixplogon-transportlogoff|The spooler ends the session; the transport must stop a message in progress and release its resources.
IXPLogon::SubmitMessage|3.7|ixplogon-submitmessage|The spooler hands the transport a message. The transport writes its reference to *lpulMsgRef first, sets PR_RESPONSIBILITY TRUE on each recipient it handles and reports results with StatusRecips.
IXPLogon::EndMessage|3.8|ixplogon-endmessage|The spooler's last hand-off of a message, after it has acted on the reports; the transport answers with *lpulFlags: 0 (sent), END_RESEND_NOW, END_RESEND_LATER or END_DONT_RESEND.
IXPLogon::FlushQueues|10.3|ixplogon-flushqueues|The spooler asks the transport to send everything it holds now; the transport sets STATUS_OUTBOUND_FLUSH and the spooler submits its queue to it.
IMAPIStatus::FlushQueues|10.3|imapistatus-flushqueues|A client asks the spooler's status object to flush; the spooler then calls IXPLogon::FlushQueues on each transport in transport order.
IMAPISupport::StatusRecips|6.1|imapisupport-statusrecips|The transport reports recipients' outcomes: an entry with PR_NDR_REASON_CODE is a non-delivery (NDR), one with PR_DELIVER_TIME a delivery (DR). The spooler builds the reports after SubmitMessage returns.
IMAPISupport::ModifyStatusRow|4.3|imapisupport-modifystatusrow|The transport creates or updates its row of the status table (PR_STATUS_CODE); STATUSROW_UPDATE merges only the given columns.
IMAPISupport::SpoolerNotify|4.1|imapisupport-spoolernotify|The transport tells the spooler something: NOTIFY_SENTDEFERRED hands back a deferred message, NOTIFY_READYTOSEND asks it to send again, NOTIFY_CRITICAL_ERROR stops further calls.
IMAPISupport::SpoolerYield|4.2|imapisupport-spooleryield|The transport gives the spooler time during a long send; MAPI_W_CANCEL_MESSAGE means the message was cancelled and the transport should return MAPI_E_USER_CANCEL.
IMessage::SubmitMessage|8|imessage-submitmessage|The client submits a message: the store marks it MSGFLAG_SUBMIT, sets PR_RESPONSIBILITY FALSE on each recipient and puts it in the outgoing queue.
IMsgStore::SetLockState|8|imsgstore-setlockstate|The spooler locks the message (MSG_LOCKED) before handing it to a transport, so the client can no longer abort it; MSG_UNLOCKED releases it.
IMsgStore::FinishedMsg|8|imsgstore-finishedmsg|The spooler is done with the message: the store unlocks it and moves it to Sent Items or deletes it (PR_DELETE_AFTER_SUBMIT).
IMsgStore::AbortSubmit|9.4|imsgstore-abortsubmit|The client withdraws a submitted message: S_OK if it was still queued, MAPI_E_UNABLE_TO_ABORT once the spooler has locked it, MAPI_E_NOT_IN_QUEUE when it is gone.
# HRESULTs.
S_OK|3.7|mapi-return-value-documentation|Success.
MAPI_E_CALL_FAILED|3.7|mapi-return-value-documentation|A generic failure (E_FAIL). From SubmitMessage, the spooler releases the message without saving the transport's changes and retries later.
MAPI_E_NOT_ENOUGH_MEMORY|3.7|mapi-return-value-documentation|Out of memory (E_OUTOFMEMORY); a failure like any other.
MAPI_E_INVALID_PARAMETER|3.7|mapi-return-value-documentation|A parameter is wrong (E_INVALIDARG); a failure like any other.
MAPI_E_INTERFACE_NOT_SUPPORTED|3.7|mapi-return-value-documentation|The interface is not supported (E_NOINTERFACE).
MAPI_E_NO_ACCESS|3.7|mapi-return-value-documentation|Access denied (E_ACCESSDENIED).
MAPI_E_NO_SUPPORT|10.1|mapi-return-value-documentation|The object does not support this method or operation.
MAPI_E_UNKNOWN_FLAGS|3.7|mapi-return-value-documentation|A flag the callee does not know was passed.
MAPI_E_BUSY|9.3|ixplogon-submitmessage|The transport is busy with something else and processed nothing; the spooler does not call EndMessage and offers the message again later.
MAPI_E_NOT_FOUND|3.7|mapi-return-value-documentation|The object asked for does not exist.
MAPI_E_VERSION|3.1|xpproviderinit|The SPI versions of the spooler and the provider do not match.
MAPI_E_LOGON_FAILED|3.1|ixpprovider-transportlogon|The logon failed: credentials or configuration were refused.
MAPI_E_USER_CANCEL|9.4|imapisupport-spooleryield|The operation was cancelled; the documented answer of a transport whose message was cancelled (NOTIFY_CANCEL_MESSAGE or SpoolerYield's MAPI_W_CANCEL_MESSAGE).
MAPI_E_UNABLE_TO_ABORT|9.4|imsgstore-abortsubmit|AbortSubmit came too late: the spooler has locked the message and is sending it.
MAPI_E_NETWORK_ERROR|9.3|ixplogon-submitmessage|A network failure; the spooler keeps the message and submits it again after *lpulReturnParm seconds, without EndMessage.
MAPI_E_CORRUPT_DATA|3.7|mapi-return-value-documentation|The data is corrupt.
MAPI_E_UNCONFIGURED|3.1|ixpprovider-transportlogon|The provider needs configuring before it can log on.
MAPI_E_FAILONEPROVIDER|3.1|ixpprovider-transportlogon|This provider failed to log on; the other providers of the session go on.
MAPI_E_UNKNOWN_CPID|3.1|mapi-return-value-documentation|The code page is not supported.
MAPI_E_UNKNOWN_LCID|3.1|mapi-return-value-documentation|The locale is not supported.
MAPI_E_WAIT|9.3|ixplogon-submitmessage|A temporary problem; the spooler keeps the message and submits it again after *lpulReturnParm seconds, without EndMessage.
MAPI_E_CANCEL|14 Q10|ixplogon-submitmessage|The transport had asked for a resubmission but conditions changed: the message must not be resent, and the spooler moves on.
MAPI_E_NOT_ME|7.4|ixplogon-submitmessage|The transport cannot handle this message and processed nothing; the spooler does not call EndMessage and looks for another transport.
MAPI_E_NOT_IN_QUEUE|9.4|imsgstore-abortsubmit|AbortSubmit found no such message in the outgoing queue: it was already sent or removed.
MAPI_E_NOT_INITIALIZED|3.7|mapi-return-value-documentation|The object is not initialised yet.
MAPI_E_NO_RECIPIENTS|8|imessage-submitmessage|The message has no recipients to submit to.
MAPI_E_SUBMITTED|8|imessage-submitmessage|The message is already submitted.
MAPI_W_ERRORS_RETURNED|3.7|mapi-return-value-documentation|A warning (a success code): the call succeeded only in part. SubmitMessage's documented success is S_OK, so Spoolscope warns.
MAPI_W_CANCEL_MESSAGE|4.2|imapisupport-spooleryield|SpoolerYield's answer when the message must not be sent any further.
MAPI_W_PARTIAL_COMPLETION|3.7|mapi-return-value-documentation|A warning (a success code): only part of the work was done.
# TransportNotify flags.
NOTIFY_BEGIN_INBOUND|3.4|ixplogon-transportnotify|Inbound mail may now flow: the spooler will poll and honour NOTIFY_NEWMAIL.
NOTIFY_BEGIN_OUTBOUND|3.4|ixplogon-transportnotify|Outbound may now happen: SubmitMessage follows when messages wait. The transport sets STATUS_OUTBOUND_ENABLED in its status row.
NOTIFY_BEGIN_INBOUND_FLUSH|10.3|ixplogon-transportnotify|Download everything as fast as possible and set STATUS_INBOUND_FLUSH.
NOTIFY_BEGIN_OUTBOUND_FLUSH|10.3|ixplogon-transportnotify|Upload everything as fast as possible and set STATUS_OUTBOUND_FLUSH.
NOTIFY_END_INBOUND|3.4|ixplogon-transportnotify|Inbound stops: the spooler stops polling and ignores NOTIFY_NEWMAIL.
NOTIFY_END_OUTBOUND|3.4|ixplogon-transportnotify|Outbound stops: no more SubmitMessage calls. A message already being sent is not stopped (that takes NOTIFY_CANCEL_MESSAGE).
NOTIFY_END_INBOUND_FLUSH|10.3|ixplogon-transportnotify|Leave inbound flush mode.
NOTIFY_END_OUTBOUND_FLUSH|10.3|ixplogon-transportnotify|The spooler has submitted the transport's whole queue: leave outbound flush mode and clear STATUS_OUTBOUND_FLUSH.
NOTIFY_ABORT_DEFERRED|9.2|ixplogon-transportnotify|A message the transport accepted and deferred is withdrawn; with NOTIFY_CANCEL_MESSAGE, the user cancelled it.
NOTIFY_CANCEL_MESSAGE|9.4|ixplogon-transportnotify|Cancel the message whose reference comes with the call; it can arrive while SubmitMessage or EndMessage for it still runs, and the transport must return as soon as it can.
# SpoolerNotify flags.
NOTIFY_NEWMAIL|4.1|imapisupport-spoolernotify|New inbound mail waits: the spooler will call StartMessage.
NOTIFY_READYTOSEND|4.1|imapisupport-spoolernotify|The transport (or store) can send again, for example after recovering from a failure.
NOTIFY_SENTDEFERRED|9.2|imapisupport-spoolernotify|The transport wants a message it deferred (END_DONT_RESEND) back: the spooler submits it again with BEGIN_DEFERRED.
NOTIFY_CRITSEC|4.1|imapisupport-spoolernotify|The transport enters a critical section: no Idle or Poll until NOTIFY_NONCRIT.
NOTIFY_NONCRIT|4.1|imapisupport-spoolernotify|The transport leaves its critical section.
NOTIFY_CONFIG_CHANGE|4.1|imapisupport-spoolernotify|The transport's configuration changed: the spooler asks for its AddressTypes again.
NOTIFY_CRITICAL_ERROR|4.1|imapisupport-spoolernotify|An unrecoverable transport error: the spooler makes no further calls to it but its release.
NOTIFY_NEWMAIL_RECEIVED|4.1|imapisupport-spoolernotify|For tightly coupled store providers only: new mail was received.
# SubmitMessage and EndMessage flags.
BEGIN_DEFERRED|9.2|ixplogon-submitmessage|This SubmitMessage hands back a message the transport deferred earlier (the second pass of the two-pass protocol).
END_RESEND_NOW|9.3|ixplogon-endmessage|The transport needs the message restarted: the spooler submits it again at once.
END_RESEND_LATER|9.3|ixplogon-endmessage|Not sending now, for reasons other than an error: the spooler submits the message again later.
END_DONT_RESEND|9.2|ixplogon-endmessage|The transport keeps what it needs and will ask for the message back with SpoolerNotify(NOTIFY_SENTDEFERRED): the message is parked, not finished.
# TransportLogon flags, in and out.
LOGON_NO_DIALOG|3.1|ixpprovider-transportlogon|The transport must not show a logon dialog.
LOGON_NO_CONNECT|3.1|ixpprovider-transportlogon|Log on without connecting to the messaging system (offline: STATUS_OFFLINE).
LOGON_NO_INBOUND|3.1|ixpprovider-transportlogon|Inbound is not enabled yet: wait for NOTIFY_BEGIN_INBOUND.
LOGON_NO_OUTBOUND|3.1|ixpprovider-transportlogon|Outbound is not enabled yet: wait for NOTIFY_BEGIN_OUTBOUND.
MAPI_UNICODE|3.1|ixpprovider-transportlogon|Strings are Unicode.
LOGON_SP_IDLE|3.5|ixpprovider-transportlogon|Returned by the transport: call my Idle method when the system is idle.
LOGON_SP_POLL|3.1|ixpprovider-transportlogon|Returned by the transport: poll me for inbound mail.
LOGON_SP_RESOLVE|3.1|ixpprovider-transportlogon|Returned by the transport: resolve recipients' addresses before sending.
LOGOFF_NORMAL|3.6|ixplogon-transportlogoff|An ordinary logoff (the header's flag; the page says the flags are reserved).
LOGOFF_HURRY|3.6|ixplogon-transportlogoff|A fast shutdown: in-flight work may be abandoned.
# ModifyStatusRow, FlushQueues and lock flags.
STATUSROW_UPDATE|4.3|imapisupport-modifystatusrow|Merge the given columns into the existing row instead of replacing it.
FLUSH_UPLOAD|10.3|ixplogon-flushqueues|Flush the outbound queue: send what waits.
FLUSH_DOWNLOAD|10.3|ixplogon-flushqueues|Flush the inbound queue: download what waits.
FLUSH_FORCE|10.3|ixplogon-flushqueues|Flush even if it is expensive or slow.
FLUSH_NO_UI|10.3|ixplogon-flushqueues|Show no progress or other user interface.
FLUSH_ASYNC_OK|10.3|imapistatus-flushqueues|The flush may return before it is done.
MSG_LOCKED|8|imsgstore-setlockstate|The message is locked for the spooler (SUBMITFLAG_LOCKED); AbortSubmit now fails.
MSG_UNLOCKED|8|imsgstore-setlockstate|The spooler releases its lock on the message.
# PR_STATUS_CODE bits.
STATUS_AVAILABLE|10.2|pidtagstatuscode-canonical-property|The resource is operational.
STATUS_OFFLINE|10.2|pidtagstatuscode-canonical-property|Only local data and services are available.
STATUS_FAILURE|10.2|pidtagstatuscode-canonical-property|The resource has a problem and may soon be shut down.
STATUS_INBOUND_ENABLED|10.2|pidtagstatuscode-canonical-property|The transport can receive.
STATUS_INBOUND_ACTIVE|10.2|pidtagstatuscode-canonical-property|The transport is receiving a message now.
STATUS_INBOUND_FLUSH|10.2|pidtagstatuscode-canonical-property|The transport is downloading its inbound queue.
STATUS_OUTBOUND_ENABLED|10.2|pidtagstatuscode-canonical-property|The transport can send (set on NOTIFY_BEGIN_OUTBOUND).
STATUS_OUTBOUND_ACTIVE|10.2|pidtagstatuscode-canonical-property|The transport is handling an outbound message now (around SubmitMessage).
STATUS_OUTBOUND_FLUSH|10.2|pidtagstatuscode-canonical-property|The transport is uploading its outbound queue; while it is set the spooler submits the queue to it.
STATUS_REMOTE_ACCESS|10.2|pidtagstatuscode-canonical-property|The transport supports remote access.
# PR_RESOURCE_METHODS and PR_RESOURCE_FLAGS bits of a status row.
STATUS_VALIDATE_STATE|10.1|pidtagresourcemethods-canonical-property|The status object supports ValidateState.
STATUS_SETTINGS_DIALOG|10.1|pidtagresourcemethods-canonical-property|The status object supports SettingsDialog.
STATUS_CHANGE_PASSWORD|10.1|pidtagresourcemethods-canonical-property|The status object supports ChangePassword.
STATUS_FLUSH_QUEUES|10.1|pidtagresourcemethods-canonical-property|The status object supports FlushQueues.
STATUS_DEFAULT_OUTBOUND|10.1|pidtagresourceflags-canonical-property|The provider is the default for outbound mail.
STATUS_PRIMARY_IDENTITY|10.1|pidtagresourceflags-canonical-property|The provider supplies the session's primary identity.
STATUS_XP_PREFER_LAST|7.3|pidtagresourceflags-canonical-property|The transport wants to come last in transport order.
STATUS_NO_PRIMARY_IDENTITY|10.1|pidtagresourceflags-canonical-property|The provider supplies no primary identity.
STATUS_OWN_STORE|10.1|pidtagresourceflags-canonical-property|A transport tightly coupled with a message store.
# PR_MESSAGE_FLAGS and PR_SUBMIT_FLAGS bits.
MSGFLAG_READ|8|pidtagmessageflags-canonical-property|The message has been read.
MSGFLAG_UNMODIFIED|8|pidtagmessageflags-canonical-property|The message has not been modified.
MSGFLAG_SUBMIT|8|pidtagmessageflags-canonical-property|The message is submitted and in the outgoing queue.
MSGFLAG_UNSENT|8|pidtagmessageflags-canonical-property|The message is still being composed (not yet sent).
MSGFLAG_HASATTACH|8|pidtagmessageflags-canonical-property|The message has attachments.
MSGFLAG_FROMME|8|pidtagmessageflags-canonical-property|The sender is the user of this session.
MSGFLAG_RESEND|7.5|pidtagmessageflags-canonical-property|A resend of a message that was not delivered to some recipients.
SUBMITFLAG_LOCKED|8|pidtagsubmitflags-canonical-property|The spooler has the message locked (SetLockState).
SUBMITFLAG_PREPROCESS|5|pidtagsubmitflags-canonical-property|The message needs preprocessing before a transport gets it.
# Properties.
PR_RESPONSIBILITY|7.1|pidtagresponsibility-canonical-property|Per recipient: FALSE while no transport has handled it; a transport sets it TRUE when it has sent or conclusively failed the recipient. Recipients left FALSE are offered to another transport.
PR_RECIPIENT_TYPE|7.5|pidtagrecipienttype-canonical-property|MAPI_TO, MAPI_CC or MAPI_BCC, with MAPI_SUBMITTED and MAPI_P1 bits on resent messages.
PR_DELIVER_TIME|6.2|pidtagdelivertime-canonical-property|When the recipient received the message; its presence in a StatusRecips entry makes that entry a delivery report.
PR_NDR_REASON_CODE|6.5|pidtagnondeliveryreportreasoncode-canonical-property|Why delivery failed (MAPI_REASON_*); its presence in a StatusRecips entry makes that entry a non-delivery report.
PR_NDR_DIAG_CODE|6.5|pidtagnondeliveryreportdiagcode-canonical-property|The diagnostic of a non-delivery (MAPI_DIAG_*), shown in the NDR.
PR_REPORT_TEXT|6.3|pidtagreporttext-canonical-property|Text the transport gives for the report, shown in the NDR or DR.
PR_REPORT_TIME|6.3|pidtagreporttime-canonical-property|When the report was generated.
PR_STATUS_CODE|10.2|pidtagstatuscode-canonical-property|A status row's state bits (STATUS_*).
PR_SUBMIT_FLAGS|8|pidtagsubmitflags-canonical-property|The store's submission state of a queued message (SUBMITFLAG_LOCKED, SUBMITFLAG_PREPROCESS).
PR_MESSAGE_FLAGS|8|pidtagmessageflags-canonical-property|A message's state bits (MSGFLAG_*).
# Report classes and the kinds of StatusRecips entries.
REPORT.IPM.Note.DR|6.4|mapi-report-messages|A delivery report: the spooler sends it to the sender when a DR was requested and the transport reported delivery.
REPORT.IPM.Note.NDR|6.4|mapi-report-messages|A non-delivery report: the spooler sends it to the sender for recipients that failed.
DR|6.2|imapisupport-statusrecips|A delivery report entry: PR_DELIVER_TIME set, no PR_NDR_REASON_CODE.
NDR|6.2|imapisupport-statusrecips|A non-delivery report entry: PR_NDR_REASON_CODE set.
# The spooler's timers (Spoolscope's model of its waits).
busy_retry|9.3|ixplogon-submitmessage|The spooler waits after MAPI_E_BUSY before it offers the message again (no delay is documented).
wait_retry|9.3|ixplogon-submitmessage|The spooler waits the *lpulReturnParm seconds of MAPI_E_WAIT before it submits again.
network_retry|9.3|ixplogon-submitmessage|The spooler waits the *lpulReturnParm seconds of MAPI_E_NETWORK_ERROR before it submits again.
error_retry|9.3|ixplogon-submitmessage|The spooler waits after another failure before it offers the message again.
resend_later|9.3|ixplogon-endmessage|The spooler waits after END_RESEND_LATER before it submits the message again.
sent_deferred|9.2|imapisupport-spoolernotify|The transport's wait before it asks for its deferred message back (SpoolerNotify(NOTIFY_SENTDEFERRED)).
";

#[cfg(test)]
mod tests {
    use super::*;
    use spoolscope_contract::consts::{hresult_name, HRESULTS};

    /// The names a trace can hold that the contract lists: every HRESULT, every flag of
    /// every family, every property the details panel decodes, both report classes.
    #[test]
    fn every_name_the_contract_knows_is_explained() {
        // A trace names an HRESULT by its first name (S_OK, never its alias SUCCESS_SUCCESS).
        let mut names: Vec<String> = HRESULTS.iter().map(|(_, v)| hresult_name(*v)).collect();
        names.extend(spoolscope_contract::consts::trace_flag_names().map(String::from));
        names.extend(
            [
                "PR_RESPONSIBILITY",
                "PR_RECIPIENT_TYPE",
                "PR_DELIVER_TIME",
                "PR_NDR_REASON_CODE",
                "PR_NDR_DIAG_CODE",
                "PR_REPORT_TEXT",
                "PR_REPORT_TIME",
                "PR_STATUS_CODE",
                "PR_SUBMIT_FLAGS",
                "PR_MESSAGE_FLAGS",
                "REPORT.IPM.Note.DR",
                "REPORT.IPM.Note.NDR",
            ]
            .map(String::from),
        );
        let mut missing = Vec::new();
        for name in &names {
            if lookup(name).is_none() {
                missing.push(name);
            }
        }
        assert!(missing.is_empty(), "unexplained: {missing:?}");
    }

    #[test]
    fn the_table_is_well_formed() {
        let all: Vec<Explanation> = all().collect();
        let lines = TABLE.lines().filter(|l| !l.starts_with('#')).count();
        assert_eq!(all.len(), lines, "every line has its four fields");
        assert!(all.len() > 130);
        for (i, e) in all.iter().enumerate() {
            assert!(
                all[..i].iter().all(|o| o.name != e.name),
                "twice: {}",
                e.name
            );
            assert!(
                e.text.ends_with('.'),
                "{}: a sentence ends with a full stop",
                e.name
            );
            assert!(e.text.len() <= 260, "{}: one or two sentences", e.name);
            assert!(
                e.page
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{}: a page slug",
                e.name
            );
            assert!(!e.section.is_empty(), "{}", e.name);
        }
    }

    /// Every section named in the table is a numbered heading of the model (or one of its
    /// open questions), so its link lands on it.
    #[test]
    fn every_section_is_a_heading_of_the_model() {
        let model = include_str!("../../../docs/spec/mapi-transport-model.md");
        for e in all() {
            assert!(
                is_model_heading(model, e.section),
                "{}: model §{}",
                e.name,
                e.section
            );
        }
    }

    /// Every page is one the model cites (`[D:page]`, checked against the documentation
    /// snapshot) or one of the few others looked up for this table.
    #[test]
    fn every_page_is_a_known_reference_page() {
        let model = include_str!("../../../docs/spec/mapi-transport-model.md");
        const OTHERS: &[&str] = &[
            "mapi-return-value-documentation",
            "pidtagdelivertime-canonical-property",
            "pidtagreporttext-canonical-property",
            "pidtagreporttime-canonical-property",
        ];
        for e in all() {
            let cited = model.contains(&format!("[D:{}]", e.page));
            assert!(
                cited || OTHERS.contains(&e.page),
                "{}: page {}",
                e.name,
                e.page
            );
        }
    }

    /// A return is named like its call: the store's answer to the client's SubmitMessage is
    /// IMessage's, the transport's to the spooler's is IXPLogon's.
    #[test]
    fn a_method_is_named_by_its_interface_at_either_end() {
        let ev = |from: &str, to: &str| Event {
            from: Some(from.into()),
            to: Some(to.into()),
            ..Event::new(spoolscope_contract::trace::EventKind::Return)
        };
        assert_eq!(
            method_key("SubmitMessage", &ev("client", "store")),
            "IMessage::SubmitMessage"
        );
        assert_eq!(
            method_key("SubmitMessage", &ev("store", "client")),
            "IMessage::SubmitMessage"
        );
        assert_eq!(
            method_key("SubmitMessage", &ev("smtp", "spooler")),
            "IXPLogon::SubmitMessage"
        );
        assert_eq!(
            method_key("FlushQueues", &ev("spooler", "client")),
            "IMAPIStatus::FlushQueues"
        );
        assert_eq!(
            method_key("FlushQueues", &ev("spooler", "smtp")),
            "IXPLogon::FlushQueues"
        );
    }

    #[test]
    fn sections_are_read_from_texts() {
        assert_eq!(
            sections_cited("x (model §9.4) and model §14 Q10; model §8. Then model §3.7, model §x"),
            ["9.4", "14 Q10", "8", "3.7"]
        );
        let text = "queue (model §9.4).";
        let c = &citations(text)[0];
        assert_eq!(&text[c.start..c.end], "model §9.4");
        assert_eq!(model_link("9.4"), "book/model.html#s9.4");
        assert_eq!(model_link("14 Q10"), "book/model.html#s14-q10");
    }
}
