//! The Spoolscope engine: a deterministic, sans-IO, discrete-event model of the MAPI
//! spooler's outbound path (`shared/spec/mapi-transport-model.md`).
//!
//! A resolved [`Scenario`](spoolscope_contract::Scenario) goes in; a trace (contract §4) and a
//! [`Timeline`] of table snapshots come out. Virtual time is an argument, never a clock;
//! randomness comes from the scenario's seed. Transport behaviour sits behind the
//! [`transport::Transport`] trait, so this crate knows nothing about Rhai, TOML, JSON or any
//! UI, and builds for `wasm32-unknown-unknown` unchanged.
//!
//! Entry points: [`run`] for a whole run; [`Engine`] to drive it step by step
//! (`poll_timeout` / `handle_timeout`, after quinn-proto); [`Timeline::snapshot`] for the
//! tables at any trace step.

mod engine;
mod rng;
pub mod tables;
pub mod transport;

pub use engine::{run, Engine, Run, MAX_TRACE_EVENTS, MIN_RETRY};
pub use tables::{MessageState, RecipientState, Tables, Timeline};
