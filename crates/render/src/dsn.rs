//! `--format dsn`: each report as an RFC 3464 delivery status notification. (Being written.)

use spoolscope_contract::trace::Trace;

/// Renders every report of the trace.
pub fn render(_trace: &Trace) -> String {
    String::new()
}
