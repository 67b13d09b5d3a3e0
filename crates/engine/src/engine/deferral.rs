//! Transport deferral, the two-pass protocol (model §9.2): messages parked by
//! END_DONT_RESEND, handed back through SpoolerNotify(NOTIFY_SENTDEFERRED), aborted with
//! NOTIFY_ABORT_DEFERRED at logoff.

use super::*;

impl Core {
    /// Whether a timer can be handled while transport `pass.xp` is inside a call.
    pub(super) fn deliverable_during(&self, timer: &Timer, pass: &Pass) -> bool {
        let deferrers = |m: usize| -> Vec<XpId> {
            (0..self.xp.len() as XpId)
                .filter(|t| {
                    self.rec.current.status[*t as usize]
                        .deferred
                        .contains(&(m as u32))
                })
                .collect()
        };
        match timer {
            Timer::ClientSubmit(_) => true,
            Timer::External(i) => match self.sc.events[*i].action {
                EventAction::Cancel { message } | EventAction::AbortSubmit { message } => {
                    Some(message as u32) == pass.msg
                        || deferrers(message).iter().all(|t| *t == pass.xp)
                }
                EventAction::OutboundOff { transport } | EventAction::OutboundOn { transport } => {
                    transport as XpId == pass.xp
                }
                EventAction::Flush | EventAction::Logoff => false,
            },
            Timer::Retry { .. } | Timer::SentDeferred { .. } => false,
        }
    }

    /// The transport's SpoolerNotify(NOTIFY_SENTDEFERRED) for `m` (model §9.2 step 3).
    pub(super) fn sent_deferred(&mut self, m: u32, t: XpId) {
        let mi = m as usize;
        self.call(Who::Xp(t), Who::Spooler, "SpoolerNotify", Some(m), |e| {
            e.flags = Some(vec!["NOTIFY_SENTDEFERRED".into()]);
            e.text = Some("lpvData: the deferred message's entry id".into());
        });
        let deferred_here = self.rec.current.status[t as usize].deferred.contains(&m);
        if deferred_here {
            self.release_deferred(m, t);
        } else {
            let name = self.xp[t as usize].name.clone();
            let state = self.rec.current.messages[mi].state;
            self.warn(
                "sent_deferred_not_deferred",
                format!(
                    "{name} called SpoolerNotify(NOTIFY_SENTDEFERRED) for {}, which it has not deferred (message is {}); ignored",
                    self.msgs[mi].id,
                    state.name()
                ),
            );
        }
        self.ret(Who::Spooler, Who::Xp(t), "SpoolerNotify", Some(m), |e| {
            e.result = Some("S_OK".into())
        });
    }

    /// Logoff: T's deferred message goes back to the outgoing queue; the deferred queue is not
    /// persistent, so it is submitted again from the queue next session (model §9.2 step 6).
    pub(super) fn abort_deferred_for_logoff(&mut self, m: u32, t: XpId) {
        self.update_status(t, |row| row.deferred.retain(|x| *x != m));
        self.timers
            .retain(|_, x| *x != Timer::SentDeferred { msg: m, xp: t });
        let why = format!(
            "Logoff: {} was sent NOTIFY_ABORT_DEFERRED; back in the outgoing queue for the next session",
            self.xp[t as usize].name
        );
        self.back_to_pending(m, RecipientState::DeferredBy(t), false, &why);
    }

    /// DeferredBy(T) recipients come back for SubmitMessage(BEGIN_DEFERRED) (model §9.2 step 4).
    pub(super) fn release_deferred(&mut self, m: u32, t: XpId) {
        self.update_status(t, |row| row.deferred.retain(|x| *x != m));
        self.msgs[m as usize].begin_deferred[t as usize] = true;
        // The deferring transport gets it back first.
        let why = format!(
            "{} asked for it back (NOTIFY_SENTDEFERRED): SubmitMessage(BEGIN_DEFERRED) next",
            self.xp[t as usize].name
        );
        self.back_to_pending(m, RecipientState::DeferredBy(t), true, &why);
    }
}
