//! What the client and the scenario's events do: submission to the outgoing queue (model §8),
//! AbortSubmit and cancellation (model §9.4), and the spooler-level events (flush, logoff,
//! outbound on/off) as they reach the engine.

use super::*;

impl Engine {
    /// Scenario event `i` is due. The Flush and Logoff events need the behaviours (the
    /// transports' hooks), so they run on the Engine; the others on the Core.
    pub(super) fn fire_external(&mut self, i: usize) {
        match self.core.sc.events[i].action {
            EventAction::Flush => return self.flush(),
            EventAction::Logoff => return self.logoff(),
            _ => {}
        }
        let pending = self.core.external(i, None);
        for p in pending {
            self.notify_now(p);
        }
    }
}

impl Core {
    pub(super) fn client_submit(&mut self, m: u32) {
        let mi = m as usize;
        if self.rec.current.messages[mi].state != MessageState::Draft {
            return; // deleted before submission
        }
        let n = self.msgs[mi].recipients.len();
        self.call(Who::Client, Who::Store, "SubmitMessage", Some(m), |e| {
            e.flags = Some(Vec::new())
        });
        if n == 0 {
            // model §8 step 7.
            self.update_msg(m, |row| row.state = MessageState::NotSubmitted);
            self.ret(Who::Store, Who::Client, "SubmitMessage", Some(m), |e| {
                e.result = Some("MAPI_E_NO_RECIPIENTS".into());
            });
            return;
        }
        // model §8 steps 8–11: MSGFLAG_SUBMIT, PR_RESPONSIBILITY FALSE, queued in order.
        self.update_msg(m, |row| {
            row.state = MessageState::Queued;
            row.message_flags |= flag::MSGFLAG_SUBMIT | flag::MSGFLAG_UNSENT;
        });
        let step = self.step();
        self.rec.record(step, Delta::QueuePush(m));
        self.ret(Who::Store, Who::Client, "SubmitMessage", Some(m), |e| {
            e.result = Some("S_OK".into());
            e.text = Some(format!(
                "queued with {n} recipient(s), PR_RESPONSIBILITY FALSE on each"
            ));
        });
    }

    /// The message leaves the queue without being sent: cancelled, aborted or withdrawn.
    /// Returns the ABORT_DEFERRED notifications owed to transports that deferred it.
    pub(super) fn cancel_message(
        &mut self,
        m: u32,
        state: MessageState,
        why: &str,
    ) -> Vec<PendingNotify> {
        let mi = m as usize;
        let mut pending = Vec::new();
        for t in 0..self.xp.len() as XpId {
            if self.rec.current.status[t as usize].deferred.contains(&m) {
                self.update_status(t, |row| row.deferred.retain(|x| *x != m));
                // A transport told NOTIFY_ABORT_DEFERRED no longer calls NOTIFY_SENTDEFERRED for
                // the message: its pending notify_sent_deferred() is withdrawn.
                self.timers
                    .retain(|_, timer| *timer != Timer::SentDeferred { msg: m, xp: t });
                // model §9.2 step 5, §14 Q8: the deferring transport is told.
                pending.push(PendingNotify {
                    xp: t,
                    flags: flag::NOTIFY_ABORT_DEFERRED | flag::NOTIFY_CANCEL_MESSAGE,
                    msg: Some(m),
                });
            }
        }
        let n = self.msgs[mi].recipients.len() as u32;
        for r in 0..n {
            if !self.recip(m, r).state.is_final() {
                self.update_recip(m, r, |row| {
                    row.state = RecipientState::Cancelled;
                    row.responsibility = false;
                    row.why = why.into();
                });
            }
        }
        for w in self.msgs[mi].waits.iter_mut() {
            *w = None;
        }
        self.msgs[mi].cancel_requested = false;
        let was_locked = self.rec.current.messages[mi].locked;
        if self.rec.current.queue.contains(&m) {
            let step = self.step();
            self.rec.record(step, Delta::QueueRemove(m));
        }
        if was_locked && state == MessageState::Withdrawn {
            self.set_lock(m, false);
        }
        self.update_msg(m, |row| {
            row.state = state;
            row.locked = false;
            row.retry_at = None;
            row.message_flags &= !flag::MSGFLAG_SUBMIT;
        });
        let text = match state {
            MessageState::Withdrawn => format!("{}: removed from the outgoing queue, left unsent, no reports (model §14 Q10)", self.msgs[mi].id),
            MessageState::Aborted => format!("{}: removed from the outgoing queue by AbortSubmit", self.msgs[mi].id),
            _ => format!("{}: the user deleted it; the store removes it from the outgoing queue (model §9.4)", self.msgs[mi].id),
        };
        self.note(Who::Store, Some(m), text);
        pending
    }

    // ---- client, store and external events ----

    /// A scenario event (contract §3). With `nested`, it arrives while that pass's transport
    /// is in a call; notifications for that transport then come back as the first element
    /// and are delivered re-entrantly by the caller.
    pub(super) fn external(&mut self, i: usize, nested: Option<&mut Pass>) -> Vec<PendingNotify> {
        let action = self.sc.events[i].action.clone();
        match action {
            EventAction::Cancel { message } => {
                let m = message as u32;
                let mi = message;
                let st = self.rec.current.messages[mi].state;
                if let Some(pass) = nested {
                    if pass.msg == Some(m) {
                        // model §9.4: NOTIFY_CANCEL_MESSAGE to the transport in the call.
                        self.msgs[mi].cancel_requested = true;
                        pass.cancelled = true;
                        return vec![PendingNotify {
                            xp: pass.xp,
                            flags: flag::NOTIFY_CANCEL_MESSAGE,
                            msg: Some(m),
                        }];
                    }
                }
                match st {
                    MessageState::Draft => {
                        self.note(
                            Who::Client,
                            Some(m),
                            format!("the user deletes {} before submitting it", self.msgs[mi].id),
                        );
                        self.update_msg(m, |row| row.state = MessageState::Cancelled);
                        let n = self.msgs[mi].recipients.len() as u32;
                        for r in 0..n {
                            self.update_recip(m, r, |row| {
                                row.state = RecipientState::Cancelled;
                                row.why = "Cancelled: deleted before submission".into();
                            });
                        }
                        Vec::new()
                    }
                    s if s.is_terminal() => {
                        self.note(
                            Who::Client,
                            Some(m),
                            if s == MessageState::NotSubmitted {
                                format!(
                                    "cancel: {} was never queued (MAPI_E_NO_RECIPIENTS); nothing to do",
                                    self.msgs[mi].id
                                )
                            } else {
                                format!(
                                    "cancel: {} is no longer in the outgoing queue ({}); nothing to do",
                                    self.msgs[mi].id,
                                    s.contract_status()
                                )
                            },
                        );
                        Vec::new()
                    }
                    _ => self.cancel_message(
                        m,
                        MessageState::Cancelled,
                        "Cancelled: the user deleted the message",
                    ),
                }
            }
            EventAction::AbortSubmit { message } => {
                let m = message as u32;
                let st = self.rec.current.messages[message].state;
                self.call(Who::Client, Who::Store, "AbortSubmit", Some(m), |_| {});
                let locked = self.rec.current.messages[message].locked;
                let in_queue = self.rec.current.queue.contains(&m);
                // model §9.4: S_OK if queued and unlocked; UNABLE_TO_ABORT if locked; NOT_IN_QUEUE.
                let result = if !in_queue || st.is_terminal() || st == MessageState::Draft {
                    hr::MAPI_E_NOT_IN_QUEUE
                } else if locked {
                    hr::MAPI_E_UNABLE_TO_ABORT
                } else {
                    hr::S_OK
                };
                let mut pending = Vec::new();
                if result == hr::S_OK {
                    pending = self.cancel_message(
                        m,
                        MessageState::Aborted,
                        "Cancelled: AbortSubmit removed the message from the queue",
                    );
                }
                self.ret(Who::Store, Who::Client, "AbortSubmit", Some(m), |e| {
                    e.result = Some(consts::hresult_name(result));
                });
                pending
            }
            EventAction::OutboundOff { transport } => {
                vec![PendingNotify {
                    xp: transport as XpId,
                    flags: flag::NOTIFY_END_OUTBOUND,
                    msg: None,
                }]
            }
            EventAction::OutboundOn { transport } => {
                vec![PendingNotify {
                    xp: transport as XpId,
                    flags: flag::NOTIFY_BEGIN_OUTBOUND,
                    msg: None,
                }]
            }
            // Handled by Engine::flush (it needs the behaviours); never delivered nested.
            EventAction::Flush | EventAction::Logoff => Vec::new(),
        }
    }
}
