//! Retries (model §9.3): after MAPI_E_BUSY, MAPI_E_WAIT, MAPI_E_NETWORK_ERROR, another
//! failure or END_RESEND_LATER, the recipients go back to pending and a timer brings the
//! message back.

use super::*;

impl Core {
    /// BUSY, WAIT, NETWORK_ERROR or another failure: no EndMessage, retry later (model §9.3).
    pub(super) fn submit_failed_retry(
        &mut self,
        m: u32,
        t: XpId,
        pass: &Pass,
        why: RetryWhy,
        result: &str,
    ) {
        self.warn_discarded(t, pass, result);
        if pass.deferred {
            // model §3.7: nothing was processed, so the retry is the same hand-back of the
            // deferred message (model §9.2 step 4): BEGIN_DEFERRED again.
            self.msgs[m as usize].begin_deferred[t as usize] = true;
        }
        let cfg = self.sc.spooler.clone();
        let delay = match why {
            RetryWhy::Busy => cfg.busy_retry,
            RetryWhy::Error => cfg.error_retry,
            RetryWhy::ResendLater => cfg.resend_later,
            RetryWhy::Wait | RetryWhy::NetworkError => match pass.return_parm {
                Some(s) if s > 0.0 => Millis::from_secs_f64(s.min(MAX_DELAY_S)),
                _ => {
                    let name = self.xp[t as usize].name.clone();
                    self.warn_at(
                        pass.ret_seq,
                        "wait_without_retry_time",
                        format!(
                            "{name} returned {result} without a retry time (*lpulReturnParm unset or 0: call retry_after(s) with s ≥ 1); the spooler retries after busy_retry_s = {} (model §3.7)",
                            cfg.busy_retry
                        ),
                    );
                    cfg.busy_retry
                }
            },
        }
        .max(MIN_RETRY);
        self.start_retry(m, t, &pass.offered, why, delay, result);
    }

    pub(super) fn start_retry(
        &mut self,
        m: u32,
        t: XpId,
        recips: &[u32],
        why: RetryWhy,
        delay: Millis,
        result: &str,
    ) {
        let at = self.now.saturating_add(delay);
        self.msgs[m as usize].waits[t as usize] = Some((at, why));
        let name = self.xp[t as usize].name.clone();
        let text = format!("{name} returned {result}; retry at {at}");
        for &r in recips {
            self.update_recip(m, r, |row| {
                row.state = RecipientState::RetryWait(t);
                row.responsibility = false;
                row.why = text.as_str().into();
            });
        }
        let mut ev = Event::new(EventKind::Timer);
        ev.from = Some("spooler".into());
        ev.to = Some(name.to_string());
        ev.message = Some(self.msgs[m as usize].id.to_string());
        ev.timer = Some(why.timer_name().into());
        ev.due = Some(at.as_secs_f64());
        ev.text = Some(format!(
            "{result}: SubmitMessage to {name} again at {at} (model §9.3)"
        ));
        self.emit(ev);
        self.schedule(at, Timer::Retry { msg: m, xp: t, at });
    }

    /// A retry of `t` for `m` is due: its recipients go back to routing. `timer_at` is the
    /// firing timer's due time (`None` when a flush brings the retry forward).
    pub(super) fn retry_due(&mut self, m: u32, t: XpId, timer_at: Option<Millis>) {
        let mi = m as usize;
        if self.rec.current.messages[mi].state.is_terminal() {
            return;
        }
        let Some((at, why)) = self.msgs[mi].waits[t as usize] else {
            return;
        };
        if timer_at.is_some_and(|x| x != at) {
            return; // a stale timer: the retry was rescheduled
        }
        self.msgs[mi].waits[t as usize] = None;
        let mut ev = Event::new(EventKind::Timer);
        ev.from = Some("spooler".into());
        ev.to = Some(self.xp[t as usize].name.to_string());
        ev.message = Some(self.msgs[mi].id.to_string());
        ev.timer = Some(why.timer_name().into());
        ev.text = Some("retry due".into());
        self.emit(ev);
        self.back_to_pending(
            m,
            RecipientState::RetryWait(t),
            false,
            "Retry due: back to routing",
        );
    }

    /// Recipients of `m` in `from` go back to Pending (`to_front`: with `from`'s transport
    /// first among their candidates); a message waiting only for them is Queued again.
    pub(super) fn back_to_pending(
        &mut self,
        m: u32,
        from: RecipientState,
        to_front: bool,
        why: &str,
    ) {
        let t = from.transport();
        for r in self.recipients_in(m, from) {
            self.update_recip(m, r, |row| {
                row.state = RecipientState::Pending;
                if let (true, Some(t)) = (to_front, t) {
                    row.candidates.retain(|c| *c != t);
                    row.candidates.insert(0, t);
                }
                row.why = why.into();
            });
        }
        let waiting = match self.rec.current.messages[m as usize].state {
            MessageState::RetryWait(x) => Some(RecipientState::RetryWait(x)),
            MessageState::Deferred(x) => Some(RecipientState::DeferredBy(x)),
            _ => None,
        };
        if waiting == Some(from) {
            self.set_msg_state(m, MessageState::Queued, None);
        }
    }
}
