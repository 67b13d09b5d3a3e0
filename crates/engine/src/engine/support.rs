//! What a hook can do (contract §2 host functions): the `Support` a transport's
//! SubmitMessage, EndMessage or TransportNotify gets, bound to the running pass.

use super::*;

pub(super) struct Ctx<'a> {
    pub(super) core: &'a mut Core,
    pub(super) pass: &'a mut Pass,
}

impl Ctx<'_> {
    fn xp_name(&self) -> Arc<str> {
        self.core.xp[self.pass.xp as usize].name.clone()
    }

    /// Checks that `r` is a recipient offered in this SubmitMessage; warns otherwise.
    fn offered_recipient(&mut self, r: i64, what: &str) -> Option<u32> {
        let name = self.xp_name();
        if self.pass.kind != PassKind::Submit {
            let call = match self.pass.kind {
                PassKind::End => "EndMessage",
                _ => "TransportNotify",
            };
            if !(self.pass.kind == PassKind::End && matches!(what, "deliver" | "fail")) {
                self.core.warn(
                    "outside_submit",
                    format!("{name} called {what}() during {call}; recipients can only be taken inside SubmitMessage (model §3.7). Ignored."),
                );
                return None;
            }
        }
        let n = self.pass.is_offered.len() as i64;
        if r < 0 || r >= n {
            self.core.warn(
                "bad_recipient",
                format!("{name} called {what}({r}): no such recipient in this message. Ignored."),
            );
            return None;
        }
        let r = r as u32;
        if !self.pass.is_offered[r as usize] {
            self.core.warn(
                "not_offered",
                format!(
                    "{name} called {what}() on recipient {r}, which was not offered to it (its PR_RESPONSIBILITY was TRUE: another transport's, or already handled; model §3.7 obligation 2). Ignored."
                ),
            );
            return None;
        }
        Some(r)
    }

    fn take(&mut self, r: u32) {
        if self.pass.kind != PassKind::Submit || self.pass.taken[r as usize] {
            return;
        }
        self.pass.taken[r as usize] = true;
        let m = self.pass.msg.unwrap_or(0);
        let mut ev = Event::new(EventKind::Property);
        ev.from = Some(self.xp_name().to_string());
        ev.message = Some(self.core.msgs[m as usize].id.to_string());
        ev.recipient = Some(r);
        ev.property = Some("PR_RESPONSIBILITY".into());
        ev.value = Some(PropValue::Bool(true));
        self.core.emit(ev);
        self.core
            .update_recip(m, r, |row| row.responsibility = true);
    }
}

impl Support for Ctx<'_> {
    fn accept(&mut self, recipient: i64) {
        if let Some(r) = self.offered_recipient(recipient, "accept") {
            self.take(r);
        }
    }

    fn deliver(&mut self, recipient: i64) {
        if let Some(r) = self.offered_recipient(recipient, "deliver") {
            self.take(r);
            self.pass.entries.push(EntryReq {
                recipient: r,
                dr: true,
                reason: 0,
                diag: -1,
                text: String::new(),
            });
        }
    }

    fn fail(&mut self, recipient: i64, reason: i64, diag: i64, text: &str) {
        if let Some(r) = self.offered_recipient(recipient, "fail") {
            let name = self.xp_name();
            let reason = i32::try_from(reason).unwrap_or_else(|_| {
                self.core.warn("bad_code", format!("{name}: NDR reason {reason} is not a LONG; MAPI_REASON_TRANSFER_FAILED used"));
                0
            });
            let diag = i32::try_from(diag).unwrap_or_else(|_| {
                self.core.warn(
                    "bad_code",
                    format!(
                        "{name}: NDR diagnostic {diag} is not a LONG; MAPI_DIAG_NO_DIAGNOSTIC used"
                    ),
                );
                -1
            });
            self.take(r);
            let text: String = text.chars().take(1000).collect();
            self.pass.entries.push(EntryReq {
                recipient: r,
                dr: false,
                reason,
                diag,
                text,
            });
        }
    }

    fn decline(&mut self, recipient: i64) {
        if let Some(r) = self.offered_recipient(recipient, "decline") {
            if self.pass.taken[r as usize] {
                self.pass.taken[r as usize] = false;
                let m = self.pass.msg.unwrap_or(0);
                let mut ev = Event::new(EventKind::Property);
                ev.from = Some(self.xp_name().to_string());
                ev.message = Some(self.core.msgs[m as usize].id.to_string());
                ev.recipient = Some(r);
                ev.property = Some("PR_RESPONSIBILITY".into());
                ev.value = Some(PropValue::Bool(false));
                self.core.emit(ev);
                self.core
                    .update_recip(m, r, |row| row.responsibility = false);
            }
        }
    }

    fn set_reference(&mut self, reference: i64) {
        let name = self.xp_name();
        if self.pass.kind != PassKind::Submit {
            self.core.warn("outside_submit", format!("{name} called set_reference() outside SubmitMessage; the reference is dead after EndMessage (model §3.8). Ignored."));
            return;
        }
        match u64::try_from(reference) {
            Ok(v) => self.pass.reference = v,
            Err(_) => self.core.warn("bad_reference", format!("{name} called set_reference({reference}); a ULONG_PTR cannot be negative. Ignored.")),
        }
    }

    fn retry_after(&mut self, secs: f64) {
        if secs.is_finite() && secs >= 0.0 {
            // *lpulReturnParm is a ULONG number of seconds (model §3.7).
            self.pass.return_parm = Some(secs.min(MAX_DELAY_S).round());
        } else {
            let name = self.xp_name();
            self.core.warn(
                "bad_retry_time",
                format!("{name} called retry_after({secs}); seconds must be ≥ 0. Ignored."),
            );
        }
    }

    fn elapse(&mut self, secs: f64) {
        let s = if secs.is_finite() && secs > 0.0 {
            secs.min(MAX_DELAY_S)
        } else {
            0.0
        };
        let base = self
            .pass
            .elapse_target
            .unwrap_or(self.core.now)
            .max(self.core.now);
        // Contract §1: the run stops at spooler.until_s; time inside a call stops there too.
        let until = self.core.sc.spooler.until.max(self.core.now);
        self.pass.elapse_target = Some(base.saturating_add(Millis::from_secs_f64(s)).min(until));
    }

    fn poll_notification(&mut self) -> Option<Notification> {
        let target = self.pass.elapse_target?;
        loop {
            if self.core.stopped() {
                self.pass.elapse_target = None;
                return None;
            }
            let key = self
                .core
                .timers
                .range(..=(target, u64::MAX))
                .find(|(_, t)| self.core.deliverable_during(t, &*self.pass))
                .map(|(k, _)| *k);
            let Some(key) = key else {
                self.core.now = self.core.now.max(target);
                self.pass.elapse_target = None;
                return None;
            };
            let Some(timer) = self.core.timers.remove(&key) else {
                continue;
            };
            self.core.now = self.core.now.max(key.0);
            let pending = match timer {
                Timer::ClientSubmit(m) => {
                    self.core.client_submit(m);
                    Vec::new()
                }
                Timer::External(i) => self.core.external(i, Some(&mut *self.pass)),
                _ => Vec::new(),
            };
            // By deliverable_during, every notification here is for the running transport.
            if let Some(p) = pending.into_iter().find(|p| p.xp == self.pass.xp) {
                let reference = match p.msg {
                    Some(m) if Some(m) == self.pass.msg => self.pass.reference,
                    Some(m) => self.core.msgs[m as usize].refs[p.xp as usize],
                    None => 0,
                };
                self.core
                    .call(Who::Spooler, Who::Xp(p.xp), "TransportNotify", p.msg, |e| {
                        e.flags = Some(FlagSet::TransportNotify.names(p.flags));
                        notify_data(e, p.flags, p.msg.map(|_| reference));
                    });
                self.pass.open_notify.push((p.flags, p.msg));
                let message = p.msg.map(|m| {
                    if Some(m) == self.pass.msg {
                        self.core.view(m, self.pass)
                    } else {
                        let mut other = Pass::new(p.xp, Some(m), PassKind::Notify);
                        other.reference = reference;
                        self.core.view(m, &other)
                    }
                });
                return Some(Notification {
                    flags: p.flags,
                    message,
                });
            }
        }
    }

    fn notification_done(&mut self) {
        if let Some((flags, msg)) = self.pass.open_notify.pop() {
            let xp = self.pass.xp;
            // model §3.4: END_OUTBOUND does not stop the message in the call.
            self.core.after_notify_hook(xp, flags);
            self.core
                .ret(Who::Xp(xp), Who::Spooler, "TransportNotify", msg, |e| {
                    e.result = Some("S_OK".into())
                });
        }
    }

    fn cancelled(&self) -> bool {
        self.pass.cancelled
    }

    fn notify_sent_deferred(&mut self, secs: f64) {
        let name = self.xp_name();
        let Some(m) = self.pass.msg else {
            self.core.warn(
                "outside_submit",
                format!("{name} called notify_sent_deferred() with no message. Ignored."),
            );
            return;
        };
        let s = if secs.is_finite() && secs > 0.0 {
            secs.min(MAX_DELAY_S)
        } else {
            0.0
        };
        let at = self.core.now.saturating_add(Millis::from_secs_f64(s));
        let mut ev = Event::new(EventKind::Timer);
        ev.from = Some(name.to_string());
        ev.to = Some("spooler".into());
        ev.message = Some(self.core.msgs[m as usize].id.to_string());
        ev.timer = Some("sent_deferred".into());
        ev.due = Some(at.as_secs_f64());
        ev.text = Some(format!(
            "{name} will call SpoolerNotify(NOTIFY_SENTDEFERRED) at {at}"
        ));
        self.core.emit(ev);
        self.core.schedule(
            at,
            Timer::SentDeferred {
                msg: m,
                xp: self.pass.xp,
            },
        );
    }

    fn log(&mut self, text: &str) {
        let t: String = text.chars().take(2000).collect();
        let msg = self.pass.msg;
        self.core.note(Who::Xp(self.pass.xp), msg, t);
    }

    fn now(&self) -> f64 {
        self.core.now.as_secs_f64()
    }

    fn rand(&mut self) -> f64 {
        self.core.rng.next_f64()
    }
}
