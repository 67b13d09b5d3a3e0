//! The contract warnings (contract §4 `warnings`): a complaint about what a transport did,
//! at the event that caused it.

use super::*;

impl Core {
    /// A warning at the last event recorded (the call in progress, or the one that just
    /// happened).
    pub(super) fn warn(&mut self, code: &str, text: String) {
        self.warn_at(self.step(), code, text);
    }

    /// A warning pointing at event `seq`, the one that caused it (contract §4 `warnings`).
    pub(super) fn warn_at(&mut self, seq: u64, code: &str, text: String) {
        let seq = seq.max(1);
        if self.warnings.len() < 10_000 {
            self.warnings.push(Warning {
                seq,
                code: code.into(),
                text,
            });
        }
    }

    pub(super) fn warn_discarded(&mut self, t: XpId, pass: &Pass, result: &str) {
        if pass.changed_anything() {
            let name = self.xp[t as usize].name.clone();
            self.warn_at(
                pass.ret_seq,
                "changes_discarded",
                format!(
                    "{name} changed recipients and then returned {result}: the spooler releases the message without saving, so the PR_RESPONSIBILITY changes are lost (model §3.7 obligation 7); StatusRecips reports already produced stay (model §12.3)"
                ),
            );
        }
    }
}
