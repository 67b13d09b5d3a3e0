//! `--format svg`: the sequence diagram as a standalone SVG file. (Being written.)

use spoolscope_contract::trace::Trace;

/// Renders the whole trace as one SVG document.
pub fn render(_trace: &Trace) -> String {
    String::new()
}
