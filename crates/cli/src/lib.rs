//! The `spoolscope` command-line tool's renderers: a trace (contract §4) as an indented call
//! log for people ([`text`]) or as a Mermaid sequence diagram ([`mermaid`]). The JSON form is
//! the contract's own `Trace::to_json`.
//!
//! These modules depend only on the contract's trace types, never on the engine or the
//! script host, so they can be tested with hand-built traces and reused by other front ends.
//! The binary (`main.rs`) is glue: read the file, parse, build the transports, run, print.

mod describe;
pub mod mermaid;
pub mod text;

#[cfg(test)]
mod testing;
