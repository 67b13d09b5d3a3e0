//! The Spoolscope playground's logic, without any DOM: the protocol between the page and
//! its Web Worker, the worker's session, the preset scenarios and the editor's colouring.
//!
//! The page (crate `spoolscope-web`) runs the engine only in a Web Worker, so that a long or
//! hostile script never freezes it. The UI thread sends a [`protocol::Request`] and paints
//! the [`protocol::Response`]; the worker answers with a [`session::Session`]. Everything
//! here is plain Rust and tested natively (`cargo test -p spoolscope-playground`).
//!
//! **Boundaries.** The `session` feature (on by default) brings in the contract, the engine
//! and the script host; without it this crate depends on serde alone. The UI binary never
//! calls the session, so the linker drops it (and Rhai and TOML with it) from the UI's wasm.
//! Frames carry text that is already worded (HRESULT, flag, reason and diagnostic names,
//! transport and recipient names), so the UI needs no MAPI knowledge to paint them.

pub mod highlight;
pub mod presets;
pub mod protocol;
#[cfg(feature = "session")]
pub mod session;
