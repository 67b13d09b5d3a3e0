//! The constants a script sees by name (contract §2): every HRESULT, flag, `MAPI_REASON_*` and
//! `MAPI_DIAG_*` code of model §13 and §6.5, with its real value.
//!
//! Values come from `spoolscope_contract::consts` wherever the contract defines them, so the
//! engine, the trace and the scripts decode one table. Model §13.2 also lists a few flag groups
//! the outbound path never uses and the contract therefore does not define
//! ([`MODEL_ONLY_FLAGS`]); they are here so that every name in the model works in a script.
//!
//! HRESULTs and flags are their `u32` bit pattern as a (positive) Rhai integer, so
//! `MAPI_E_BUSY == 0x8004010B`; diagnostic codes are signed (`MAPI_DIAG_NO_DIAGNOSTIC == -1`).

use rhai::{Module, Scope, Shared};
use spoolscope_contract::consts::{self, flag, FlagSet};

/// Every flag family of the contract (model §13.2), in model order.
const FLAG_SETS: [FlagSet; 14] = FlagSet::ALL;

/// Flags in `consts::flag` that no [`FlagSet`] table lists.
const OTHER_CONTRACT_FLAGS: &[(&str, u32)] = &[
    ("MSG_UNLOCKED", flag::MSG_UNLOCKED),
    ("STATUSROW_UPDATE", flag::STATUSROW_UPDATE),
    ("MAPI_TRANSPORT_PROVIDER", flag::MAPI_TRANSPORT_PROVIDER),
    ("MAPI_SPOOLER", flag::MAPI_SPOOLER),
    ("MAPI_SUBSYSTEM", flag::MAPI_SUBSYSTEM),
    ("MAPI_ORIG", flag::MAPI_ORIG),
    ("MAPI_TO", flag::MAPI_TO),
    ("MAPI_CC", flag::MAPI_CC),
    ("MAPI_BCC", flag::MAPI_BCC),
    ("MAPI_P1", flag::MAPI_P1),
    ("MAPI_SUBMITTED", flag::MAPI_SUBMITTED),
    ("FORCE_SUBMIT", flag::FORCE_SUBMIT),
    ("FNEV_CRITICAL_ERROR", flag::FNEV_CRITICAL_ERROR),
    ("FNEV_NEW_MAIL", flag::FNEV_NEW_MAIL),
    ("FNEV_TABLE_MODIFIED", flag::FNEV_TABLE_MODIFIED),
    (
        "FNEV_STATUS_OBJECT_MODIFIED",
        flag::FNEV_STATUS_OBJECT_MODIFIED,
    ),
    ("CURRENT_SPI_VERSION", flag::CURRENT_SPI_VERSION),
];

/// Model §13.2 flags the contract crate does not define (groups the outbound path never uses),
/// plus the model's own spelling of the notification event names (`fnevNewMail`).
pub const MODEL_ONLY_FLAGS: &[(&str, u32)] = &[
    ("DEINIT_NORMAL", 0x1),
    ("DEINIT_HURRY", 0x8000_0000),
    ("OPTION_TYPE_RECIPIENT", 0x1),
    ("OPTION_TYPE_MESSAGE", 0x2),
    ("NEEDS_PREPROCESSING", 0x1),
    ("NEEDS_SPOOLER", 0x2),
    ("SUPPRESS_UI", 0x1),
    ("REFRESH_XP_HEADER_CACHE", 0x1_0000),
    ("PROCESS_XP_HEADER_CACHE", 0x2_0000),
    ("FORCE_XP_CONNECT", 0x4_0000),
    ("FORCE_XP_DISCONNECT", 0x8_0000),
    ("CONFIG_CHANGED", 0x10_0000),
    ("ABORT_XP_HEADER_OPERATION", 0x20_0000),
    ("SHOW_XP_SESSION_UI", 0x40_0000),
    ("MODRECIP_ADD", 0x2),
    ("MODRECIP_MODIFY", 0x4),
    ("MODRECIP_REMOVE", 0x8),
    ("KEEP_OPEN_READONLY", 0x1),
    ("KEEP_OPEN_READWRITE", 0x2),
    ("FORCE_SAVE", 0x4),
    ("MAPI_MODIFY", 0x1),
    ("MAPI_STATUS", 0xA),
    ("MSGSTATUS_REMOTE_DOWNLOAD", 0x1000),
    ("MSGSTATUS_REMOTE_DELETE", 0x2000),
    ("fnevCriticalError", flag::FNEV_CRITICAL_ERROR),
    ("fnevNewMail", flag::FNEV_NEW_MAIL),
    ("fnevTableModified", flag::FNEV_TABLE_MODIFIED),
    (
        "fnevStatusObjectModified",
        flag::FNEV_STATUS_OBJECT_MODIFIED,
    ),
];

/// Every constant a script sees, as `(name, value)`, without duplicates (a name listed in two
/// tables, such as `MAPI_UNICODE`, appears once). Order: HRESULTs, flags, reasons, diagnostics.
///
/// Useful for editors (completion, highlighting) and documentation as well as for the engine.
pub fn script_constants() -> Vec<(&'static str, i64)> {
    let mut out: Vec<(&'static str, i64)> = Vec::with_capacity(220);
    let mut add = |name: &'static str, value: i64| {
        if !out.iter().any(|(n, _)| *n == name) {
            out.push((name, value));
        }
    };
    for (name, value) in consts::HRESULTS {
        add(name, i64::from(*value));
    }
    for set in FLAG_SETS {
        for (name, value) in set.table() {
            add(name, i64::from(*value));
        }
    }
    for (name, value) in OTHER_CONTRACT_FLAGS.iter().chain(MODEL_ONLY_FLAGS) {
        add(name, i64::from(*value));
    }
    for (name, value) in consts::REASONS.iter().chain(consts::DIAGS) {
        add(name, i64::from(*value));
    }
    out
}

/// The constants as a Rhai module of variables. Registered as a global module, its variables are
/// found by name at run time (one hash look-up; Rhai's optimizer, which would fold them into the
/// script, is left out of the build with `no_optimize` to keep the page's download small).
pub(crate) fn constants_module() -> Shared<Module> {
    let mut module = Module::new();
    for (name, value) in script_constants() {
        module.set_var(name, value);
    }
    module.build_index();
    Shared::new(module)
}

/// The constants as a compile-time scope: with strict variables on, the parser accepts only
/// names it can see, and it sees names in the scope it compiles with.
pub(crate) fn constants_scope() -> Scope<'static> {
    let mut scope = Scope::new();
    for (name, value) in script_constants() {
        scope.push_constant(name, value);
    }
    scope
}
