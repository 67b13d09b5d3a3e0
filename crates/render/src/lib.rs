//! Renderers of a trace (contract §4), shared by the command-line tool and the playground page,
//! so that an export from the page is byte for byte what `spoolscope run --format …` prints:
//! an indented call log for people ([`text`]) and a Mermaid sequence diagram ([`mermaid`]).
//!
//! These modules depend only on the contract's trace types, never on the engine or the
//! script host, so they can be tested with hand-built traces. They allocate and format but
//! never fail: any trace, however odd, renders.

pub mod describe;
pub mod digest;
pub mod dsn;
pub mod explain;
pub mod hash;
pub mod mermaid;
pub mod svg;
pub mod text;

#[cfg(test)]
mod testing;
