//! Spoolscope's public contract (`shared/spec/scenario-and-trace.md`): the scenario a user
//! writes, the trace a run produces, and the MAPI constants both speak.
//!
//! Design: the scenario is read in two stages (raw, with source positions and unknown keys
//! denied → resolved, with the model's defaults applied), so the engine never sees an
//! unchecked value. Trace records are plain serializable DTOs, separate from the engine's
//! internal state types; changes within v1 are additive only.
//!
//! This crate must not depend on the engine, the script host or any UI.

pub mod consts;
mod doc;
mod json_read;
pub mod scenario;
pub mod time;
mod toml_read;
pub mod trace;

pub use scenario::{parse_scenario, Format, Pos, Scenario, ScenarioError};
pub use time::Millis;
