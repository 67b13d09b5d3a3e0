//! The Spoolscope playground's logic, without any DOM: the protocol between the page and
//! its Web Worker, the worker's session, the preset scenarios and the editor's colouring.
//!
//! The page (crate `spoolscope-web`) runs user scripts only in a Web Worker, so that a long or
//! hostile script never freezes it. The UI thread sends a [`protocol::Request`] and paints
//! the [`protocol::Response`]; the worker answers with a [`session::Session`] (the page runs
//! one itself only for the opening run of a small built-in preset). Everything here is plain
//! Rust and tested natively (`cargo test -p spoolscope-playground`).
//!
//! **Boundaries.** Page and worker are one wasm module, so the session, the engine and the
//! script host are in the page's download either way. Frames carry text that is already
//! worded (HRESULT, flag, reason and diagnostic names, transport and recipient names), so the
//! UI needs no MAPI knowledge to paint them.

pub mod highlight;
pub mod presets;
pub mod protocol;
pub mod session;
pub mod walk;
pub mod wire;

/// What a transport script may call, for the page's help: the host functions of contract §2
/// and the script library (`spoolscope_script::stdlib`).
pub use spoolscope_script::stdlib::LIBRARY as SCRIPT_LIBRARY;
pub use spoolscope_script::HOST_FUNCTIONS;
