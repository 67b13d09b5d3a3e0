//! MAPI constants with their real values (model §13, §6.5).
//!
//! Every table here is a list of `(name, value)` pairs so that the engine, the script host
//! and the views decode values by name from one place. HRESULTs are stored as their `u32`
//! bit pattern (model §0.3).

/// HRESULTs used on the outbound path (model §13.1).
pub mod hr {
    pub const S_OK: u32 = 0x0000_0000;
    pub const MAPI_E_CALL_FAILED: u32 = 0x8000_4005;
    pub const MAPI_E_NOT_ENOUGH_MEMORY: u32 = 0x8007_000E;
    pub const MAPI_E_INVALID_PARAMETER: u32 = 0x8007_0057;
    pub const MAPI_E_INTERFACE_NOT_SUPPORTED: u32 = 0x8000_4002;
    pub const MAPI_E_NO_ACCESS: u32 = 0x8007_0005;
    pub const MAPI_E_NO_SUPPORT: u32 = 0x8004_0102;
    pub const MAPI_E_UNKNOWN_FLAGS: u32 = 0x8004_0106;
    pub const MAPI_E_BUSY: u32 = 0x8004_010B;
    pub const MAPI_E_NOT_FOUND: u32 = 0x8004_010F;
    pub const MAPI_E_VERSION: u32 = 0x8004_0110;
    pub const MAPI_E_LOGON_FAILED: u32 = 0x8004_0111;
    pub const MAPI_E_USER_CANCEL: u32 = 0x8004_0113;
    pub const MAPI_E_UNABLE_TO_ABORT: u32 = 0x8004_0114;
    pub const MAPI_E_NETWORK_ERROR: u32 = 0x8004_0115;
    pub const MAPI_E_CORRUPT_DATA: u32 = 0x8004_011B;
    pub const MAPI_E_UNCONFIGURED: u32 = 0x8004_011C;
    pub const MAPI_E_FAILONEPROVIDER: u32 = 0x8004_011D;
    pub const MAPI_E_UNKNOWN_CPID: u32 = 0x8004_011E;
    pub const MAPI_E_UNKNOWN_LCID: u32 = 0x8004_011F;
    pub const MAPI_E_WAIT: u32 = 0x8004_0500;
    pub const MAPI_E_CANCEL: u32 = 0x8004_0501;
    pub const MAPI_E_NOT_ME: u32 = 0x8004_0502;
    pub const MAPI_E_NOT_IN_QUEUE: u32 = 0x8004_0601;
    pub const MAPI_E_NOT_INITIALIZED: u32 = 0x8004_0605;
    pub const MAPI_E_NO_RECIPIENTS: u32 = 0x8004_0607;
    pub const MAPI_E_SUBMITTED: u32 = 0x8004_0608;
    pub const MAPI_W_ERRORS_RETURNED: u32 = 0x0004_0380;
    pub const MAPI_W_CANCEL_MESSAGE: u32 = 0x0004_0580;
    pub const MAPI_W_PARTIAL_COMPLETION: u32 = 0x0004_0680;

    /// `HR_SUCCEEDED` (model §13.1): warnings are successes.
    pub const fn succeeded(hr: u32) -> bool {
        (hr as i32) >= 0
    }
}

/// All HRESULT names, in model §13.1 order. `S_OK` comes first so that it wins over its
/// alias `SUCCESS_SUCCESS` when decoding.
pub const HRESULTS: &[(&str, u32)] = &[
    ("S_OK", hr::S_OK),
    ("SUCCESS_SUCCESS", hr::S_OK),
    ("MAPI_E_CALL_FAILED", hr::MAPI_E_CALL_FAILED),
    ("E_FAIL", hr::MAPI_E_CALL_FAILED),
    ("MAPI_E_NOT_ENOUGH_MEMORY", hr::MAPI_E_NOT_ENOUGH_MEMORY),
    ("E_OUTOFMEMORY", hr::MAPI_E_NOT_ENOUGH_MEMORY),
    ("MAPI_E_INVALID_PARAMETER", hr::MAPI_E_INVALID_PARAMETER),
    ("E_INVALIDARG", hr::MAPI_E_INVALID_PARAMETER),
    (
        "MAPI_E_INTERFACE_NOT_SUPPORTED",
        hr::MAPI_E_INTERFACE_NOT_SUPPORTED,
    ),
    ("E_NOINTERFACE", hr::MAPI_E_INTERFACE_NOT_SUPPORTED),
    ("MAPI_E_NO_ACCESS", hr::MAPI_E_NO_ACCESS),
    ("E_ACCESSDENIED", hr::MAPI_E_NO_ACCESS),
    ("MAPI_E_NO_SUPPORT", hr::MAPI_E_NO_SUPPORT),
    ("MAPI_E_UNKNOWN_FLAGS", hr::MAPI_E_UNKNOWN_FLAGS),
    ("MAPI_E_BUSY", hr::MAPI_E_BUSY),
    ("MAPI_E_NOT_FOUND", hr::MAPI_E_NOT_FOUND),
    ("MAPI_E_VERSION", hr::MAPI_E_VERSION),
    ("MAPI_E_LOGON_FAILED", hr::MAPI_E_LOGON_FAILED),
    ("MAPI_E_USER_CANCEL", hr::MAPI_E_USER_CANCEL),
    ("MAPI_E_UNABLE_TO_ABORT", hr::MAPI_E_UNABLE_TO_ABORT),
    ("MAPI_E_NETWORK_ERROR", hr::MAPI_E_NETWORK_ERROR),
    ("MAPI_E_CORRUPT_DATA", hr::MAPI_E_CORRUPT_DATA),
    ("MAPI_E_UNCONFIGURED", hr::MAPI_E_UNCONFIGURED),
    ("MAPI_E_FAILONEPROVIDER", hr::MAPI_E_FAILONEPROVIDER),
    ("MAPI_E_UNKNOWN_CPID", hr::MAPI_E_UNKNOWN_CPID),
    ("MAPI_E_UNKNOWN_LCID", hr::MAPI_E_UNKNOWN_LCID),
    ("MAPI_E_WAIT", hr::MAPI_E_WAIT),
    ("MAPI_E_CANCEL", hr::MAPI_E_CANCEL),
    ("MAPI_E_NOT_ME", hr::MAPI_E_NOT_ME),
    ("MAPI_E_NOT_IN_QUEUE", hr::MAPI_E_NOT_IN_QUEUE),
    ("MAPI_E_NOT_INITIALIZED", hr::MAPI_E_NOT_INITIALIZED),
    ("MAPI_E_NO_RECIPIENTS", hr::MAPI_E_NO_RECIPIENTS),
    ("MAPI_E_SUBMITTED", hr::MAPI_E_SUBMITTED),
    ("MAPI_W_ERRORS_RETURNED", hr::MAPI_W_ERRORS_RETURNED),
    ("MAPI_W_CANCEL_MESSAGE", hr::MAPI_W_CANCEL_MESSAGE),
    ("MAPI_W_PARTIAL_COMPLETION", hr::MAPI_W_PARTIAL_COMPLETION),
];

/// The name of an HRESULT, or `0x…` hex when it is not one of model §13.1.
pub fn hresult_name(value: u32) -> String {
    HRESULTS
        .iter()
        .find(|(_, v)| *v == value)
        .map(|(n, _)| (*n).to_string())
        .unwrap_or_else(|| format!("0x{value:08X}"))
}

/// Flag values (model §13.2).
pub mod flag {
    // TransportNotify (spooler → transport).
    pub const NOTIFY_BEGIN_INBOUND: u32 = 0x1;
    pub const NOTIFY_BEGIN_OUTBOUND: u32 = 0x2;
    pub const NOTIFY_BEGIN_INBOUND_FLUSH: u32 = 0x4;
    pub const NOTIFY_BEGIN_OUTBOUND_FLUSH: u32 = 0x8;
    pub const NOTIFY_END_INBOUND: u32 = 0x1_0000;
    pub const NOTIFY_END_OUTBOUND: u32 = 0x2_0000;
    pub const NOTIFY_END_INBOUND_FLUSH: u32 = 0x4_0000;
    pub const NOTIFY_END_OUTBOUND_FLUSH: u32 = 0x8_0000;
    pub const NOTIFY_ABORT_DEFERRED: u32 = 0x4000_0000;
    pub const NOTIFY_CANCEL_MESSAGE: u32 = 0x8000_0000;
    // SpoolerNotify (transport → spooler); a separate namespace.
    pub const NOTIFY_NEWMAIL: u32 = 0x1;
    pub const NOTIFY_READYTOSEND: u32 = 0x2;
    pub const NOTIFY_SENTDEFERRED: u32 = 0x4;
    pub const NOTIFY_CRITSEC: u32 = 0x1000;
    pub const NOTIFY_NONCRIT: u32 = 0x2000;
    pub const NOTIFY_CONFIG_CHANGE: u32 = 0x4000;
    pub const NOTIFY_CRITICAL_ERROR: u32 = 0x1000_0000;
    pub const NOTIFY_NEWMAIL_RECEIVED: u32 = 0x2000_0000;
    // SubmitMessage in, EndMessage out.
    pub const BEGIN_DEFERRED: u32 = 0x1;
    pub const END_RESEND_NOW: u32 = 0x1_0000;
    pub const END_RESEND_LATER: u32 = 0x2_0000;
    pub const END_DONT_RESEND: u32 = 0x4_0000;
    // TransportLogon in / out.
    pub const LOGON_NO_DIALOG: u32 = 0x1;
    pub const LOGON_NO_CONNECT: u32 = 0x4;
    pub const LOGON_NO_INBOUND: u32 = 0x8;
    pub const LOGON_NO_OUTBOUND: u32 = 0x10;
    pub const MAPI_UNICODE: u32 = 0x8000_0000;
    pub const LOGON_SP_IDLE: u32 = 0x1_0000;
    pub const LOGON_SP_POLL: u32 = 0x2_0000;
    pub const LOGON_SP_RESOLVE: u32 = 0x4_0000;
    // TransportLogoff.
    pub const LOGOFF_NORMAL: u32 = 0x1;
    pub const LOGOFF_HURRY: u32 = 0x8000_0000;
    // ModifyStatusRow.
    pub const STATUSROW_UPDATE: u32 = 0x1000_0000;
    // FlushQueues.
    pub const FLUSH_UPLOAD: u32 = 0x2;
    pub const FLUSH_DOWNLOAD: u32 = 0x4;
    pub const FLUSH_FORCE: u32 = 0x8;
    pub const FLUSH_NO_UI: u32 = 0x10;
    pub const FLUSH_ASYNC_OK: u32 = 0x20;
    // PR_STATUS_CODE.
    pub const STATUS_AVAILABLE: u32 = 0x1;
    pub const STATUS_OFFLINE: u32 = 0x2;
    pub const STATUS_FAILURE: u32 = 0x4;
    pub const STATUS_INBOUND_ENABLED: u32 = 0x1_0000;
    pub const STATUS_INBOUND_ACTIVE: u32 = 0x2_0000;
    pub const STATUS_INBOUND_FLUSH: u32 = 0x4_0000;
    pub const STATUS_OUTBOUND_ENABLED: u32 = 0x10_0000;
    pub const STATUS_OUTBOUND_ACTIVE: u32 = 0x20_0000;
    pub const STATUS_OUTBOUND_FLUSH: u32 = 0x40_0000;
    pub const STATUS_REMOTE_ACCESS: u32 = 0x80_0000;
    // PR_RESOURCE_METHODS.
    pub const STATUS_VALIDATE_STATE: u32 = 0x1;
    pub const STATUS_SETTINGS_DIALOG: u32 = 0x2;
    pub const STATUS_CHANGE_PASSWORD: u32 = 0x4;
    pub const STATUS_FLUSH_QUEUES: u32 = 0x8;
    // PR_RESOURCE_FLAGS (subset).
    pub const STATUS_DEFAULT_OUTBOUND: u32 = 0x1;
    pub const STATUS_PRIMARY_IDENTITY: u32 = 0x4;
    pub const STATUS_XP_PREFER_LAST: u32 = 0x10;
    pub const STATUS_NO_PRIMARY_IDENTITY: u32 = 0x20;
    pub const STATUS_OWN_STORE: u32 = 0x100;
    // PR_RESOURCE_TYPE.
    pub const MAPI_TRANSPORT_PROVIDER: u32 = 36;
    pub const MAPI_SPOOLER: u32 = 37;
    pub const MAPI_SUBSYSTEM: u32 = 39;
    // Recipient type.
    pub const MAPI_ORIG: u32 = 0;
    pub const MAPI_TO: u32 = 1;
    pub const MAPI_CC: u32 = 2;
    pub const MAPI_BCC: u32 = 3;
    pub const MAPI_P1: u32 = 0x1000_0000;
    pub const MAPI_SUBMITTED: u32 = 0x8000_0000;
    // PR_MESSAGE_FLAGS.
    pub const MSGFLAG_READ: u32 = 0x1;
    pub const MSGFLAG_UNMODIFIED: u32 = 0x2;
    pub const MSGFLAG_SUBMIT: u32 = 0x4;
    pub const MSGFLAG_UNSENT: u32 = 0x8;
    pub const MSGFLAG_HASATTACH: u32 = 0x10;
    pub const MSGFLAG_FROMME: u32 = 0x20;
    pub const MSGFLAG_RESEND: u32 = 0x80;
    // PR_SUBMIT_FLAGS.
    pub const SUBMITFLAG_LOCKED: u32 = 0x1;
    pub const SUBMITFLAG_PREPROCESS: u32 = 0x2;
    // SetLockState.
    pub const MSG_LOCKED: u32 = 0x1;
    pub const MSG_UNLOCKED: u32 = 0x0;
    // IMessage::SubmitMessage.
    pub const FORCE_SUBMIT: u32 = 0x1;
    // Notification events.
    pub const FNEV_CRITICAL_ERROR: u32 = 0x1;
    pub const FNEV_NEW_MAIL: u32 = 0x2;
    pub const FNEV_TABLE_MODIFIED: u32 = 0x100;
    pub const FNEV_STATUS_OBJECT_MODIFIED: u32 = 0x200;
    pub const CURRENT_SPI_VERSION: u32 = 0x0001_0010;
}

/// A family of bit flags that share one namespace (model §13.2 keeps TransportNotify and
/// SpoolerNotify apart: `NOTIFY_NEWMAIL` and `NOTIFY_BEGIN_INBOUND` are both 0x1).
/// Flag names a trace carries that no [`FlagSet`] table lists: SetLockState's `MSG_UNLOCKED`
/// (its 0, model §8) and ModifyStatusRow's `STATUSROW_UPDATE` (model §4.3).
pub const TRACE_ONLY_FLAGS: &[(&str, u32)] = &[
    ("MSG_UNLOCKED", flag::MSG_UNLOCKED),
    ("STATUSROW_UPDATE", flag::STATUSROW_UPDATE),
];

/// Every flag name a trace's `flags` or `status` can hold: each family's (model §13.2), then
/// [`TRACE_ONLY_FLAGS`]. (An unnamed bit is written as hex, `0x00000001`.)
pub fn trace_flag_names() -> impl Iterator<Item = &'static str> {
    FlagSet::ALL
        .iter()
        .flat_map(|set| set.table().iter())
        .chain(TRACE_ONLY_FLAGS)
        .map(|(name, _)| *name)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlagSet {
    TransportNotify,
    SpoolerNotify,
    SubmitMessage,
    EndMessage,
    LogonIn,
    LogonOut,
    Logoff,
    FlushQueues,
    StatusCode,
    ResourceMethods,
    ResourceFlags,
    MessageFlags,
    SubmitFlags,
    LockState,
}

pub const TRANSPORT_NOTIFY_FLAGS: &[(&str, u32)] = &[
    ("NOTIFY_BEGIN_INBOUND", flag::NOTIFY_BEGIN_INBOUND),
    ("NOTIFY_BEGIN_OUTBOUND", flag::NOTIFY_BEGIN_OUTBOUND),
    (
        "NOTIFY_BEGIN_INBOUND_FLUSH",
        flag::NOTIFY_BEGIN_INBOUND_FLUSH,
    ),
    (
        "NOTIFY_BEGIN_OUTBOUND_FLUSH",
        flag::NOTIFY_BEGIN_OUTBOUND_FLUSH,
    ),
    ("NOTIFY_END_INBOUND", flag::NOTIFY_END_INBOUND),
    ("NOTIFY_END_OUTBOUND", flag::NOTIFY_END_OUTBOUND),
    ("NOTIFY_END_INBOUND_FLUSH", flag::NOTIFY_END_INBOUND_FLUSH),
    ("NOTIFY_END_OUTBOUND_FLUSH", flag::NOTIFY_END_OUTBOUND_FLUSH),
    ("NOTIFY_ABORT_DEFERRED", flag::NOTIFY_ABORT_DEFERRED),
    ("NOTIFY_CANCEL_MESSAGE", flag::NOTIFY_CANCEL_MESSAGE),
];
pub const SPOOLER_NOTIFY_FLAGS: &[(&str, u32)] = &[
    ("NOTIFY_NEWMAIL", flag::NOTIFY_NEWMAIL),
    ("NOTIFY_READYTOSEND", flag::NOTIFY_READYTOSEND),
    ("NOTIFY_SENTDEFERRED", flag::NOTIFY_SENTDEFERRED),
    ("NOTIFY_CRITSEC", flag::NOTIFY_CRITSEC),
    ("NOTIFY_NONCRIT", flag::NOTIFY_NONCRIT),
    ("NOTIFY_CONFIG_CHANGE", flag::NOTIFY_CONFIG_CHANGE),
    ("NOTIFY_CRITICAL_ERROR", flag::NOTIFY_CRITICAL_ERROR),
    ("NOTIFY_NEWMAIL_RECEIVED", flag::NOTIFY_NEWMAIL_RECEIVED),
];
pub const SUBMIT_MESSAGE_FLAGS: &[(&str, u32)] = &[("BEGIN_DEFERRED", flag::BEGIN_DEFERRED)];
pub const END_MESSAGE_FLAGS: &[(&str, u32)] = &[
    ("END_RESEND_NOW", flag::END_RESEND_NOW),
    ("END_RESEND_LATER", flag::END_RESEND_LATER),
    ("END_DONT_RESEND", flag::END_DONT_RESEND),
];
pub const LOGON_IN_FLAGS: &[(&str, u32)] = &[
    ("LOGON_NO_DIALOG", flag::LOGON_NO_DIALOG),
    ("LOGON_NO_CONNECT", flag::LOGON_NO_CONNECT),
    ("LOGON_NO_INBOUND", flag::LOGON_NO_INBOUND),
    ("LOGON_NO_OUTBOUND", flag::LOGON_NO_OUTBOUND),
    ("MAPI_UNICODE", flag::MAPI_UNICODE),
];
pub const LOGON_OUT_FLAGS: &[(&str, u32)] = &[
    ("LOGON_SP_IDLE", flag::LOGON_SP_IDLE),
    ("LOGON_SP_POLL", flag::LOGON_SP_POLL),
    ("LOGON_SP_RESOLVE", flag::LOGON_SP_RESOLVE),
    ("MAPI_UNICODE", flag::MAPI_UNICODE),
];
pub const LOGOFF_FLAGS: &[(&str, u32)] = &[
    ("LOGOFF_NORMAL", flag::LOGOFF_NORMAL),
    ("LOGOFF_HURRY", flag::LOGOFF_HURRY),
];
pub const FLUSH_QUEUES_FLAGS: &[(&str, u32)] = &[
    ("FLUSH_UPLOAD", flag::FLUSH_UPLOAD),
    ("FLUSH_DOWNLOAD", flag::FLUSH_DOWNLOAD),
    ("FLUSH_FORCE", flag::FLUSH_FORCE),
    ("FLUSH_NO_UI", flag::FLUSH_NO_UI),
    ("FLUSH_ASYNC_OK", flag::FLUSH_ASYNC_OK),
];
pub const STATUS_CODE_FLAGS: &[(&str, u32)] = &[
    ("STATUS_AVAILABLE", flag::STATUS_AVAILABLE),
    ("STATUS_OFFLINE", flag::STATUS_OFFLINE),
    ("STATUS_FAILURE", flag::STATUS_FAILURE),
    ("STATUS_INBOUND_ENABLED", flag::STATUS_INBOUND_ENABLED),
    ("STATUS_INBOUND_ACTIVE", flag::STATUS_INBOUND_ACTIVE),
    ("STATUS_INBOUND_FLUSH", flag::STATUS_INBOUND_FLUSH),
    ("STATUS_OUTBOUND_ENABLED", flag::STATUS_OUTBOUND_ENABLED),
    ("STATUS_OUTBOUND_ACTIVE", flag::STATUS_OUTBOUND_ACTIVE),
    ("STATUS_OUTBOUND_FLUSH", flag::STATUS_OUTBOUND_FLUSH),
    ("STATUS_REMOTE_ACCESS", flag::STATUS_REMOTE_ACCESS),
];
pub const RESOURCE_METHODS_FLAGS: &[(&str, u32)] = &[
    ("STATUS_VALIDATE_STATE", flag::STATUS_VALIDATE_STATE),
    ("STATUS_SETTINGS_DIALOG", flag::STATUS_SETTINGS_DIALOG),
    ("STATUS_CHANGE_PASSWORD", flag::STATUS_CHANGE_PASSWORD),
    ("STATUS_FLUSH_QUEUES", flag::STATUS_FLUSH_QUEUES),
];
pub const RESOURCE_FLAGS: &[(&str, u32)] = &[
    ("STATUS_DEFAULT_OUTBOUND", flag::STATUS_DEFAULT_OUTBOUND),
    ("STATUS_PRIMARY_IDENTITY", flag::STATUS_PRIMARY_IDENTITY),
    ("STATUS_XP_PREFER_LAST", flag::STATUS_XP_PREFER_LAST),
    (
        "STATUS_NO_PRIMARY_IDENTITY",
        flag::STATUS_NO_PRIMARY_IDENTITY,
    ),
    ("STATUS_OWN_STORE", flag::STATUS_OWN_STORE),
];
pub const MESSAGE_FLAGS: &[(&str, u32)] = &[
    ("MSGFLAG_READ", flag::MSGFLAG_READ),
    ("MSGFLAG_UNMODIFIED", flag::MSGFLAG_UNMODIFIED),
    ("MSGFLAG_SUBMIT", flag::MSGFLAG_SUBMIT),
    ("MSGFLAG_UNSENT", flag::MSGFLAG_UNSENT),
    ("MSGFLAG_HASATTACH", flag::MSGFLAG_HASATTACH),
    ("MSGFLAG_FROMME", flag::MSGFLAG_FROMME),
    ("MSGFLAG_RESEND", flag::MSGFLAG_RESEND),
];
pub const SUBMIT_FLAGS: &[(&str, u32)] = &[
    ("SUBMITFLAG_LOCKED", flag::SUBMITFLAG_LOCKED),
    ("SUBMITFLAG_PREPROCESS", flag::SUBMITFLAG_PREPROCESS),
];
pub const LOCK_STATE_FLAGS: &[(&str, u32)] = &[("MSG_LOCKED", flag::MSG_LOCKED)];

impl FlagSet {
    /// Every family, in model §13.2 order.
    pub const ALL: [FlagSet; 14] = [
        FlagSet::TransportNotify,
        FlagSet::SpoolerNotify,
        FlagSet::SubmitMessage,
        FlagSet::EndMessage,
        FlagSet::LogonIn,
        FlagSet::LogonOut,
        FlagSet::Logoff,
        FlagSet::FlushQueues,
        FlagSet::StatusCode,
        FlagSet::ResourceMethods,
        FlagSet::ResourceFlags,
        FlagSet::MessageFlags,
        FlagSet::SubmitFlags,
        FlagSet::LockState,
    ];

    /// The names and values of this family.
    pub fn table(self) -> &'static [(&'static str, u32)] {
        match self {
            FlagSet::TransportNotify => TRANSPORT_NOTIFY_FLAGS,
            FlagSet::SpoolerNotify => SPOOLER_NOTIFY_FLAGS,
            FlagSet::SubmitMessage => SUBMIT_MESSAGE_FLAGS,
            FlagSet::EndMessage => END_MESSAGE_FLAGS,
            FlagSet::LogonIn => LOGON_IN_FLAGS,
            FlagSet::LogonOut => LOGON_OUT_FLAGS,
            FlagSet::Logoff => LOGOFF_FLAGS,
            FlagSet::FlushQueues => FLUSH_QUEUES_FLAGS,
            FlagSet::StatusCode => STATUS_CODE_FLAGS,
            FlagSet::ResourceMethods => RESOURCE_METHODS_FLAGS,
            FlagSet::ResourceFlags => RESOURCE_FLAGS,
            FlagSet::MessageFlags => MESSAGE_FLAGS,
            FlagSet::SubmitFlags => SUBMIT_FLAGS,
            FlagSet::LockState => LOCK_STATE_FLAGS,
        }
    }

    /// Decodes `value` into flag names, in table order; bits no name covers come last as hex.
    pub fn names(self, value: u32) -> Vec<String> {
        let mut rest = value;
        let mut out = Vec::new();
        for (name, bits) in self.table() {
            if *bits != 0 && value & bits == *bits && rest & bits != 0 {
                out.push((*name).to_string());
                rest &= !bits;
            }
        }
        if rest != 0 {
            out.push(format!("0x{rest:08X}"));
        }
        out
    }
}

/// `PR_NDR_REASON_CODE` values (model §6.5, from the Exchange EDK).
pub const REASONS: &[(&str, i32)] = &[
    ("MAPI_REASON_TRANSFER_FAILED", 0),
    ("MAPI_REASON_TRANSFER_IMPOSSIBLE", 1),
    ("MAPI_REASON_CONVERSION_NOT_PERFORMED", 2),
    ("MAPI_REASON_PHYSICAL_RENDITN_NOT_DONE", 3),
    ("MAPI_REASON_PHYSICAL_DELIV_NOT_DONE", 4),
    ("MAPI_REASON_RESTRICTED_DELIVERY", 5),
    ("MAPI_REASON_DIRECTORY_OPERATN_FAILED", 6),
];

/// `PR_NDR_DIAG_CODE` values (model §6.5, MAPIDefS.h).
pub const DIAGS: &[(&str, i32)] = &[
    ("MAPI_DIAG_NO_DIAGNOSTIC", -1),
    ("MAPI_DIAG_OR_NAME_UNRECOGNIZED", 0),
    ("MAPI_DIAG_OR_NAME_AMBIGUOUS", 1),
    ("MAPI_DIAG_MTS_CONGESTED", 2),
    ("MAPI_DIAG_LOOP_DETECTED", 3),
    ("MAPI_DIAG_RECIPIENT_UNAVAILABLE", 4),
    ("MAPI_DIAG_MAXIMUM_TIME_EXPIRED", 5),
    ("MAPI_DIAG_EITS_UNSUPPORTED", 6),
    ("MAPI_DIAG_CONTENT_TOO_LONG", 7),
    ("MAPI_DIAG_IMPRACTICAL_TO_CONVERT", 8),
    ("MAPI_DIAG_PROHIBITED_TO_CONVERT", 9),
    ("MAPI_DIAG_CONVERSION_UNSUBSCRIBED", 10),
    ("MAPI_DIAG_PARAMETERS_INVALID", 11),
    ("MAPI_DIAG_CONTENT_SYNTAX_IN_ERROR", 12),
    ("MAPI_DIAG_LENGTH_CONSTRAINT_VIOLATD", 13),
    ("MAPI_DIAG_NUMBER_CONSTRAINT_VIOLATD", 14),
    ("MAPI_DIAG_CONTENT_TYPE_UNSUPPORTED", 15),
    ("MAPI_DIAG_TOO_MANY_RECIPIENTS", 16),
    ("MAPI_DIAG_NO_BILATERAL_AGREEMENT", 17),
    ("MAPI_DIAG_CRITICAL_FUNC_UNSUPPORTED", 18),
    ("MAPI_DIAG_CONVERSION_LOSS_PROHIB", 19),
    ("MAPI_DIAG_LINE_TOO_LONG", 20),
    ("MAPI_DIAG_PAGE_TOO_LONG", 21),
    ("MAPI_DIAG_PICTORIAL_SYMBOL_LOST", 22),
    ("MAPI_DIAG_PUNCTUATION_SYMBOL_LOST", 23),
    ("MAPI_DIAG_ALPHABETIC_CHARACTER_LOST", 24),
    ("MAPI_DIAG_MULTIPLE_INFO_LOSSES", 25),
    ("MAPI_DIAG_REASSIGNMENT_PROHIBITED", 26),
    ("MAPI_DIAG_REDIRECTION_LOOP_DETECTED", 27),
    ("MAPI_DIAG_EXPANSION_PROHIBITED", 28),
    ("MAPI_DIAG_SUBMISSION_PROHIBITED", 29),
    ("MAPI_DIAG_EXPANSION_FAILED", 30),
    ("MAPI_DIAG_RENDITION_UNSUPPORTED", 31),
    ("MAPI_DIAG_MAIL_ADDRESS_INCORRECT", 32),
    ("MAPI_DIAG_MAIL_OFFICE_INCOR_OR_INVD", 33),
    ("MAPI_DIAG_MAIL_ADDRESS_INCOMPLETE", 34),
    ("MAPI_DIAG_MAIL_RECIPIENT_UNKNOWN", 35),
    ("MAPI_DIAG_MAIL_RECIPIENT_DECEASED", 36),
    ("MAPI_DIAG_MAIL_ORGANIZATION_EXPIRED", 37),
    ("MAPI_DIAG_MAIL_REFUSED", 38),
    ("MAPI_DIAG_MAIL_UNCLAIMED", 39),
    ("MAPI_DIAG_MAIL_RECIPIENT_MOVED", 40),
    ("MAPI_DIAG_MAIL_RECIPIENT_TRAVELLING", 41),
    ("MAPI_DIAG_MAIL_RECIPIENT_DEPARTED", 42),
    ("MAPI_DIAG_MAIL_NEW_ADDRESS_UNKNOWN", 43),
    ("MAPI_DIAG_MAIL_FORWARDING_UNWANTED", 44),
    ("MAPI_DIAG_MAIL_FORWARDING_PROHIB", 45),
    ("MAPI_DIAG_SECURE_MESSAGING_ERROR", 46),
    ("MAPI_DIAG_DOWNGRADING_IMPOSSIBLE", 47),
];

/// Name of an NDR reason code, or the number when unknown.
pub fn reason_name(value: i32) -> String {
    REASONS
        .iter()
        .find(|(_, v)| *v == value)
        .map(|(n, _)| (*n).to_string())
        .unwrap_or_else(|| value.to_string())
}

/// Name of an NDR diagnostic code, or the number when unknown.
pub fn diag_name(value: i32) -> String {
    DIAGS
        .iter()
        .find(|(_, v)| *v == value)
        .map(|(n, _)| (*n).to_string())
        .unwrap_or_else(|| value.to_string())
}

/// Property tags the trace names (model §13.3).
pub mod prop {
    pub const PR_RESPONSIBILITY: u32 = 0x0E0F_000B;
    pub const PR_RECIPIENT_TYPE: u32 = 0x0C15_0003;
    pub const PR_DELIVER_TIME: u32 = 0x0010_0040;
    pub const PR_NDR_REASON_CODE: u32 = 0x0C04_0003;
    pub const PR_NDR_DIAG_CODE: u32 = 0x0C05_0003;
    pub const PR_REPORT_TEXT: u32 = 0x1001_001F;
    pub const PR_REPORT_TIME: u32 = 0x0032_0040;
    pub const PR_STATUS_CODE: u32 = 0x3E04_0003;
    pub const PR_SUBMIT_FLAGS: u32 = 0x0E14_0003;
    pub const PR_MESSAGE_FLAGS: u32 = 0x0E07_0003;
}

/// Spooler's text for its own "no transport" NDR (model §7.4, [KB155430]).
pub const NO_TRANSPORT_TEXT: &str =
    "No transport provider was available for delivery to this recipient.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hresult_names_decode_real_values() {
        assert_eq!(hresult_name(0x8004_010B), "MAPI_E_BUSY");
        assert_eq!(hresult_name(0), "S_OK");
        assert_eq!(hresult_name(0x8004_0502), "MAPI_E_NOT_ME");
        assert_eq!(hresult_name(0x1234), "0x00001234");
        assert!(hr::succeeded(hr::MAPI_W_ERRORS_RETURNED));
        assert!(!hr::succeeded(hr::MAPI_E_WAIT));
    }

    #[test]
    fn flag_families_do_not_mix() {
        // model §4.1: NOTIFY_NEWMAIL and NOTIFY_BEGIN_INBOUND are both 0x1.
        assert_eq!(FlagSet::SpoolerNotify.names(1), vec!["NOTIFY_NEWMAIL"]);
        assert_eq!(
            FlagSet::TransportNotify.names(1),
            vec!["NOTIFY_BEGIN_INBOUND"]
        );
        assert_eq!(
            FlagSet::TransportNotify
                .names(flag::NOTIFY_ABORT_DEFERRED | flag::NOTIFY_CANCEL_MESSAGE),
            vec!["NOTIFY_ABORT_DEFERRED", "NOTIFY_CANCEL_MESSAGE"]
        );
        assert_eq!(
            FlagSet::EndMessage.names(0x1_0001),
            vec!["END_RESEND_NOW", "0x00000001"]
        );
        assert!(FlagSet::EndMessage.names(0).is_empty());
    }

    #[test]
    fn ndr_codes_have_names() {
        assert_eq!(reason_name(1), "MAPI_REASON_TRANSFER_IMPOSSIBLE");
        assert_eq!(diag_name(-1), "MAPI_DIAG_NO_DIAGNOSTIC");
        assert_eq!(diag_name(35), "MAPI_DIAG_MAIL_RECIPIENT_UNKNOWN");
        assert_eq!(diag_name(47), "MAPI_DIAG_DOWNGRADING_IMPOSSIBLE");
        assert_eq!(DIAGS.len(), 49);
    }
}
