//! Which transport gets which recipients (model §7): candidates by UID, address type and
//! catch-all in transport order (§7.4 step 1), the transport chosen for a message, the
//! recipients offered to it, and what is left when none can take them.

use super::*;

impl Engine {
    /// Routes message `m` as far as it can go now. Returns true if anything happened.
    pub(super) fn route(&mut self, m: u32, blocked: &mut [bool]) -> bool {
        let mut acted = false;
        loop {
            if self.core.stopped() {
                return true;
            }
            let st = self.core.rec.current.messages[m as usize].state;
            if st.is_terminal() {
                return acted;
            }
            let pick = self.core.pick_transport(m, blocked);
            let Some(t) = pick else { break };
            if !self.core.rec.current.messages[m as usize].locked {
                self.core.set_lock(m, true);
            }
            self.core.set_msg_state(m, MessageState::Routing, None);
            self.offer(m, t);
            acted = true;
        }
        if self.core.rec.current.messages[m as usize]
            .state
            .is_terminal()
        {
            return true;
        }
        // No offer possible now: spooler NDRs, then finish or wait (model §7.4 step 6, §8 step 19).
        let no_transport = self.core.no_candidate_recipients(m);
        if !no_transport.is_empty() {
            if !self.core.rec.current.messages[m as usize].locked {
                self.core.set_lock(m, true);
            }
            self.core.spooler_ndr(m, &no_transport);
            acted = true;
        }
        if self.core.all_final(m) {
            if !self.core.rec.current.messages[m as usize].locked {
                self.core.set_lock(m, true);
            }
            self.core.finish_message(m);
            return true;
        }
        // Still waiting: mark the transports this message waits on as blocked for later ones.
        let waiting = self.core.waiting_state(m);
        for t in self.core.retry_heads(m) {
            if let Some(b) = blocked.get_mut(t as usize) {
                *b = true;
            }
        }
        if self.core.rec.current.messages[m as usize].locked {
            // model §14 Q7: release the lock while waiting.
            self.core.set_lock(m, false);
            acted = true;
        }
        let retry_at = match waiting {
            MessageState::RetryWait(t) => self.core.msgs[m as usize].waits[t as usize].map(|w| w.0),
            _ => None,
        };
        if self.core.rec.current.messages[m as usize].state != waiting {
            self.core.set_msg_state(m, waiting, retry_at);
        }
        acted
    }
}

impl Core {
    pub(super) fn usable(&self, t: XpId) -> bool {
        // model §12.1: usable ⇔ logged on, outbound enabled, no critical error, not in a call.
        let row = &self.rec.current.status[t as usize];
        row.logged_on && row.outbound_enabled && row.in_flight.is_none()
    }

    /// The first candidate of `row` that is usable now (model §7.4 step 2, postponement).
    /// A recipient released by NOTIFY_SENTDEFERRED belongs to the deferring transport: it
    /// waits for that transport's BEGIN_DEFERRED pass and is never rerouted (model §9.2 step 4).
    pub(super) fn effective_head(&self, row: &RecipRow) -> Option<XpId> {
        let head = *row.candidates.first()?;
        if self.msgs[row.message as usize].begin_deferred[head as usize] {
            return self.usable(head).then_some(head);
        }
        row.candidates.iter().copied().find(|t| self.usable(*t))
    }

    /// The transport to offer next for `m`, if any (model §7.4 step 2).
    pub(super) fn pick_transport(&self, m: u32, blocked: &[bool]) -> Option<XpId> {
        let rt = &self.msgs[m as usize];
        let st = self.rec.current.messages[m as usize].state;
        if matches!(st, MessageState::Draft) || st.is_terminal() {
            return None;
        }
        let rows = self.rows(m);
        let ok = |t: XpId| !blocked[t as usize] && rt.waits[t as usize].is_none();
        if let Some(t) = rt.resend_now {
            if ok(t)
                && self.usable(t)
                && rows.iter().any(|r| {
                    r.state == RecipientState::Pending && self.effective_head(r) == Some(t)
                })
            {
                return Some(t);
            }
        }
        let mut heads = vec![false; self.xp.len()];
        for r in rows {
            if r.state == RecipientState::Pending {
                if let Some(h) = self.effective_head(r) {
                    heads[h as usize] = true;
                }
            }
        }
        (0..self.xp.len() as XpId).find(|t| heads[*t as usize] && ok(*t))
    }

    /// Recipients offered to `t` now: pending, with `t` as effective head (model §7.4 step 3).
    pub(super) fn offer_set(&self, m: u32, t: XpId) -> Vec<u32> {
        let rows = self.rows(m);
        rows.iter()
            .filter(|r| r.state == RecipientState::Pending && self.effective_head(r) == Some(t))
            .map(|r| r.index)
            .collect()
    }

    pub(super) fn no_candidate_recipients(&self, m: u32) -> Vec<u32> {
        self.rows(m)
            .iter()
            .filter(|r| r.state == RecipientState::Pending && r.candidates.is_empty())
            .map(|r| r.index)
            .collect()
    }

    pub(super) fn all_final(&self, m: u32) -> bool {
        self.rows(m).iter().all(|r| r.state.is_final())
    }

    pub(super) fn retry_heads(&self, m: u32) -> Vec<XpId> {
        let rt = &self.msgs[m as usize];
        (0..self.xp.len() as XpId)
            .filter(|t| rt.waits[*t as usize].is_some())
            .collect()
    }

    /// What a message that cannot go further now is waiting for (model §12.2).
    pub(super) fn waiting_state(&self, m: u32) -> MessageState {
        let rows = self.rows(m);
        if let Some(t) = rows.iter().find_map(|r| match r.state {
            RecipientState::RetryWait(t) => Some(t),
            _ => None,
        }) {
            return MessageState::RetryWait(t);
        }
        if rows.iter().any(|r| r.state == RecipientState::Pending) {
            return MessageState::Postponed;
        }
        if let Some(t) = rows.iter().find_map(|r| match r.state {
            RecipientState::DeferredBy(t) => Some(t),
            _ => None,
        }) {
            return MessageState::Deferred(t);
        }
        MessageState::Queued
    }

    /// Drops `t` from `r`'s candidates: back to routing, or on to the spooler NDR.
    pub(super) fn decline(&mut self, m: u32, r: u32, t: XpId, what: &str) {
        let names: Vec<Arc<str>> = self.xp.iter().map(|x| x.name.clone()).collect();
        self.update_recip(m, r, |row| {
            row.candidates.retain(|c| *c != t);
            row.state = RecipientState::Pending;
            row.responsibility = false;
            row.why = match row.candidates.first() {
                Some(n) => format!("{what}; next candidate: {}", names[*n as usize]),
                None => format!("{what}; no candidate left: the spooler will NDR it"),
            }
            .into();
        });
    }
}

/// Candidate transports for a recipient (model §7.4 step 1): UID matches, then address-type
/// matches, then catch-alls, each in transport order, without duplicates.
pub(super) fn candidates_for(sc: &Scenario, r: &RecipientSpec) -> Vec<XpId> {
    let mut out: Vec<XpId> = Vec::new();
    let mut push = |t: usize| {
        let t = t as XpId;
        if !out.contains(&t) {
            out.push(t);
        }
    };
    if let Some(uid) = r.uid {
        for (i, t) in sc.transports.iter().enumerate() {
            if t.uids.contains(&uid) {
                push(i);
            }
        }
    }
    for (i, t) in sc.transports.iter().enumerate() {
        // model §7.2, §14 Q6: exact, case-sensitive match.
        if t.address_types
            .as_ref()
            .is_some_and(|l| l.contains(&r.addr_type))
        {
            push(i);
        }
    }
    for (i, t) in sc.transports.iter().enumerate() {
        if t.address_types.is_none() {
            push(i);
        }
    }
    out
}

pub(super) fn initial_why(sc: &Scenario, r: &RecipientSpec, candidates: &[XpId]) -> String {
    if candidates.is_empty() {
        return format!(
            "No transport registered address type {}: the spooler will NDR it",
            r.addr_type
        );
    }
    let names: Vec<&str> = candidates
        .iter()
        .map(|t| sc.transports[*t as usize].name.as_str())
        .collect();
    format!(
        "Waiting for the spooler; candidates for {}: {}",
        r.addr_type,
        names.join(", ")
    )
}
