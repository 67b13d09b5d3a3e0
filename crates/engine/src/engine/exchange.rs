//! One SubmitMessage/EndMessage exchange and the spooler's reactions (model §3.7, §3.8,
//! §12.2): the offer, what SubmitMessage returned, what EndMessage's flags ask for, and
//! the recipients made final.

use super::*;

impl Engine {
    /// One offer: SubmitMessage to `t` for the recipients whose head candidate is `t`,
    /// the reports, EndMessage, and the spooler's reaction (model §3.7, §3.8, §6).
    pub(super) fn offer(&mut self, m: u32, t: XpId) {
        let mut pass = self.core.open_submit(m, t);
        let c = &mut self.core;
        let mi = m as usize;
        let ti = t as usize;
        let (offered, attempt, deferred) = (pass.offered.clone(), pass.attempt, pass.deferred);
        let flags = if deferred { flag::BEGIN_DEFERRED } else { 0 };
        c.call(Who::Spooler, Who::Xp(t), "SubmitMessage", Some(m), |e| {
            e.flags = Some(FlagSet::SubmitMessage.names(flags));
            e.offered = Some(offered.clone());
            e.attempt = Some(attempt);
        });
        let view = c.view(m, &pass);
        let hr_value = self.run_hook(t, &mut pass, hr::MAPI_E_CALL_FAILED, |xp, ctx| {
            xp.submit_message(&view, ctx)
        });
        let c = &mut self.core;
        c.close_open_notifies(&mut pass);
        // Contract §2: entries made in one hook reach the spooler as one StatusRecips call.
        c.status_recips(&mut pass);
        let ret_parm = pass.return_parm;
        c.ret(Who::Xp(t), Who::Spooler, "SubmitMessage", Some(m), |e| {
            e.result = Some(consts::hresult_name(hr_value));
            e.reference = Some(pass.reference);
            e.return_parm = ret_parm.map(|s| s.round().max(0.0) as u64);
        });
        pass.ret_seq = c.step();
        c.set_in_flight(t, None);
        c.msgs[mi].refs[ti] = pass.reference;
        if c.stopped() {
            c.revert_offered(m, &pass, "the run stopped");
            return;
        }
        if pass.return_parm.is_some()
            && !matches!(hr_value, hr::MAPI_E_WAIT | hr::MAPI_E_NETWORK_ERROR)
        {
            c.warn_at(
                pass.ret_seq,
                "return_parm_ignored",
                format!(
                    "{} set *lpulReturnParm (retry_after) but returned {}; only MAPI_E_WAIT and MAPI_E_NETWORK_ERROR use it (model §3.7)",
                    c.xp[ti].name,
                    consts::hresult_name(hr_value)
                ),
            );
        }
        // model §12.2 Reporting(T): reports requested through StatusRecips, before EndMessage
        // (model §3.8, §6.1); MODEL §12.3: kept even when the pass failed.
        c.produce_reports(m, t, &pass);

        self.react_to_submit(m, t, pass, hr_value);
    }

    /// What the spooler does with SubmitMessage's return (model §3.7, §9.4 for a message
    /// the user deleted during the call).
    fn react_to_submit(&mut self, m: u32, t: XpId, pass: Pass, hr_value: u32) {
        let c = &mut self.core;
        let mi = m as usize;
        let ti = t as usize;
        if c.msgs[mi].cancel_requested {
            // model §9.4: the user deleted the message during the call.
            if hr_value == hr::S_OK {
                c.warn_at(
                    pass.ret_seq,
                    "ok_after_cancel",
                    format!(
                        "{} returned S_OK from SubmitMessage after NOTIFY_CANCEL_MESSAGE; expected it to stop and return MAPI_E_USER_CANCEL (model §3.4). The spooler does not call EndMessage for a cancelled message.",
                        c.xp[ti].name
                    ),
                );
            }
            let pending = c.cancel_message(
                m,
                MessageState::Cancelled,
                "Cancelled: the user deleted the message",
            );
            for p in pending {
                self.notify_now(p);
            }
            return;
        }

        match hr_value {
            hr::S_OK => self.after_submit_ok(m, t, pass),
            v if hr::succeeded(v) => {
                c.warn_at(
                    pass.ret_seq,
                    "unexpected_success_code",
                    format!(
                        "SubmitMessage returned {}; the documented success is S_OK (model §3.7). Treated as S_OK.",
                        consts::hresult_name(v)
                    ),
                );
                self.after_submit_ok(m, t, pass)
            }
            hr::MAPI_E_BUSY => c.submit_failed_retry(m, t, &pass, RetryWhy::Busy, "MAPI_E_BUSY"),
            hr::MAPI_E_WAIT => c.submit_failed_retry(m, t, &pass, RetryWhy::Wait, "MAPI_E_WAIT"),
            hr::MAPI_E_NETWORK_ERROR => {
                c.submit_failed_retry(m, t, &pass, RetryWhy::NetworkError, "MAPI_E_NETWORK_ERROR")
            }
            hr::MAPI_E_NOT_ME => c.submit_not_me(m, t, &pass),
            hr::MAPI_E_CANCEL => {
                if !pass.deferred {
                    c.warn_at(
                        pass.ret_seq,
                        "cancel_not_deferred",
                        format!(
                            "{} returned MAPI_E_CANCEL to a SubmitMessage without BEGIN_DEFERRED; MAPI_E_CANCEL is for a resubmission the transport had asked for (model §3.7).",
                            c.xp[ti].name
                        ),
                    );
                }
                let why = format!(
                    "Withdrawn: {} returned MAPI_E_CANCEL; the message must not be resent",
                    c.xp[ti].name
                );
                let pending = c.cancel_message(m, MessageState::Withdrawn, &why);
                for p in pending {
                    self.notify_now(p);
                }
            }
            other => {
                c.submit_failed_retry(m, t, &pass, RetryWhy::Error, &consts::hresult_name(other))
            }
        }
    }

    /// SubmitMessage returned S_OK: EndMessage, then act on its flags (model §3.8).
    pub(super) fn after_submit_ok(&mut self, m: u32, t: XpId, pass: Pass) {
        let c = &mut self.core;
        let mi = m as usize;
        let ti = t as usize;
        let name = c.xp[ti].name.clone();
        // Offered recipients the transport set TRUE (or reported) become Accepted(T).
        let mut reported = vec![false; pass.taken.len()];
        for e in &pass.entries {
            if let Some(x) = reported.get_mut(e.recipient as usize) {
                *x = true;
            }
        }
        for &r in &pass.offered {
            let ri = r as usize;
            if pass.taken[ri] || reported[ri] {
                if !pass.taken[ri] {
                    // model §12.3 edge rule: NDR'd but left FALSE.
                    c.warn_at(
                        pass.ret_seq,
                        "report_without_responsibility",
                        format!(
                            "{name} reported recipient {r} through StatusRecips but left its PR_RESPONSIBILITY FALSE; a real spooler might offer it again and produce a second report (model §12.3). Treated as taken."
                        ),
                    );
                }
                c.update_recip(m, r, |row| {
                    row.state = RecipientState::Accepted(t);
                    row.responsibility = true;
                    row.why =
                        format!("{name} set PR_RESPONSIBILITY TRUE; final when EndMessage returns")
                            .into();
                });
            }
        }
        // EndMessage (model §3.8): the last hand-off.
        c.set_msg_state(m, MessageState::InEnd(t), None);
        c.set_in_flight(t, Some(m));
        let reference = pass.reference;
        c.call(Who::Spooler, Who::Xp(t), "EndMessage", Some(m), |e| {
            e.reference = Some(reference);
        });
        let mut end_pass = Pass::new(t, Some(m), PassKind::End);
        end_pass.attempt = pass.attempt;
        end_pass.deferred = pass.deferred;
        end_pass.reference = reference;
        end_pass.offered = pass.offered.clone();
        end_pass.is_offered = pass.is_offered.clone();
        end_pass.taken = vec![false; pass.taken.len()];
        let view = c.view(m, &end_pass);
        let flags = self.run_hook(t, &mut end_pass, 0, |xp, ctx| xp.end_message(&view, ctx));
        let c = &mut self.core;
        c.close_open_notifies(&mut end_pass);
        if !end_pass.entries.is_empty() {
            // Points at that StatusRecips call.
            if let Some(at) = c.status_recips(&mut end_pass) {
                c.warn_at(
                    at,
                    "status_recips_in_end_message",
                    format!(
                        "{name} called StatusRecips during EndMessage; the spooler processes reports before EndMessage (model §3.8), so these come late."
                    ),
                );
            }
        }
        c.ret(Who::Xp(t), Who::Spooler, "EndMessage", Some(m), |e| {
            e.result = Some("S_OK".into());
            e.flags = Some(FlagSet::EndMessage.names(flags));
        });
        end_pass.ret_seq = c.step();
        c.set_in_flight(t, None);
        if c.stopped() {
            c.revert_offered(m, &pass, "the run stopped");
            return;
        }
        c.produce_reports(m, t, &end_pass);
        if c.msgs[mi].cancel_requested {
            let pending = c.cancel_message(
                m,
                MessageState::Cancelled,
                "Cancelled: the user deleted the message",
            );
            for p in pending {
                self.notify_now(p);
            }
            return;
        }
        c.apply_end_flags(m, t, &pass, &end_pass, flags);
    }
}

impl Core {
    /// Closes nested TransportNotify calls a hook left open (a script error mid-hook).
    pub(super) fn close_open_notifies(&mut self, pass: &mut Pass) {
        while let Some((flags, msg)) = pass.open_notify.pop() {
            self.after_notify_hook(pass.xp, flags);
            self.ret(
                Who::Xp(pass.xp),
                Who::Spooler,
                "TransportNotify",
                msg,
                |e| e.result = Some("S_OK".into()),
            );
        }
        pass.elapse_target = None;
    }

    /// Offered recipients go back to Pending; the pass's property changes are discarded.
    pub(super) fn revert_offered(&mut self, m: u32, pass: &Pass, why: &str) {
        for &r in &pass.offered {
            if matches!(
                self.recip(m, r).state,
                RecipientState::Offered(_) | RecipientState::Accepted(_)
            ) {
                self.update_recip(m, r, |row| {
                    row.state = RecipientState::Pending;
                    row.responsibility = false;
                    row.why = why.into();
                });
            }
        }
    }

    /// MAPI_E_NOT_ME: nothing processed; look for another transport (model §3.7, §7.4 step 4).
    pub(super) fn submit_not_me(&mut self, m: u32, t: XpId, pass: &Pass) {
        self.warn_discarded(t, pass, "MAPI_E_NOT_ME");
        let name = self.xp[t as usize].name.clone();
        for &r in &pass.offered {
            self.decline(m, r, t, &format!("{name} returned MAPI_E_NOT_ME"));
        }
    }

    /// Opens SubmitMessage attempt `attempt` of message `m` on transport `t`: the pass, and
    /// the mask of model §7.1 and §8 step 14 (offered recipients FALSE, every other TRUE).
    fn open_submit(&mut self, m: u32, t: XpId) -> Pass {
        let mi = m as usize;
        let ti = t as usize;
        let offered = self.offer_set(m, t);
        let deferred = std::mem::take(&mut self.msgs[mi].begin_deferred[ti]);
        if self.msgs[mi].resend_now == Some(t) {
            self.msgs[mi].resend_now = None;
        }
        self.msgs[mi].attempts[ti] += 1;
        let attempt = self.msgs[mi].attempts[ti];
        let n = self.msgs[mi].recipients.len();
        let mut pass = Pass::new(t, Some(m), PassKind::Submit);
        pass.attempt = attempt;
        pass.deferred = deferred;
        pass.is_offered = vec![false; n];
        pass.taken = vec![false; n];
        for r in &offered {
            pass.is_offered[*r as usize] = true;
        }
        pass.offered = offered.clone();
        // model §3.7, §14 Q11: the spooler pre-sets *lpulMsgRef to 0; the transport writes it.
        pass.reference = 0;
        self.msgs[mi].refs[ti] = pass.reference;

        // model §7.1, §8 step 14: the mask. Offered recipients FALSE, every other TRUE.
        for r in &offered {
            let name = self.xp[ti].name.clone();
            self.update_recip(m, *r, |row| {
                row.state = RecipientState::Offered(t);
                row.responsibility = false;
                if !row.offered_to.contains(&t) {
                    row.offered_to.push(t);
                }
                row.why = format!(
                    "Offered to {name} in SubmitMessage{} (attempt {attempt}): PR_RESPONSIBILITY FALSE",
                    if deferred { "(BEGIN_DEFERRED)" } else { "" }
                )
                .into();
            });
        }
        self.set_msg_state(m, MessageState::InSubmit(t), None);
        self.set_in_flight(t, Some(m));
        pass
    }

    /// EndMessage's flags (model §3.8, §9.2, §9.3, §14 Q2, Q15).
    pub(super) fn apply_end_flags(
        &mut self,
        m: u32,
        t: XpId,
        pass: &Pass,
        end_pass: &Pass,
        flags: u32,
    ) {
        let name = self.xp[t as usize].name.clone();
        let chosen = self.chosen_end_flag(m, t, end_pass, flags);
        // The last StatusRecips entry of this pass per recipient: Some(true) = DR, Some(false) = NDR.
        let reported: Vec<Option<bool>> = {
            let mut v = vec![None; pass.taken.len()];
            // Entries made during EndMessage (warned) count too: their reports were produced.
            for e in pass.entries.iter().chain(end_pass.entries.iter()) {
                if let Some(x) = v.get_mut(e.recipient as usize) {
                    *x = Some(e.dr);
                }
            }
            v
        };
        let (accepted, mut declined) = self.taken_and_declined(m, t, pass, end_pass, &reported);
        match chosen {
            flag::END_RESEND_NOW | flag::END_RESEND_LATER => {
                self.resend(m, t, chosen, &accepted, &declined, &reported);
                declined.clear();
            }
            flag::END_DONT_RESEND => {
                self.park(m, t, &accepted, &declined, &reported);
                declined.clear();
            }
            _ => {
                for &r in &accepted {
                    self.finalize_accepted(m, r, t, reported[r as usize]);
                }
            }
        }
        // model §14 Q15: recipients left FALSE were declined; routing continues.
        for r in declined {
            self.decline(
                m,
                r,
                t,
                &format!("{name} left PR_RESPONSIBILITY FALSE (declined)"),
            );
        }
    }

    /// The one EndMessage flag the spooler acts on (model §3.8): unknown bits and conflicting
    /// flags warned, END_RESEND_NOW past `resend_now_limit` in a row taken as END_RESEND_LATER
    /// (model §14 Q2).
    fn chosen_end_flag(&mut self, m: u32, t: XpId, end_pass: &Pass, flags: u32) -> u32 {
        let mi = m as usize;
        let name = self.xp[t as usize].name.clone();
        let known = flag::END_RESEND_NOW | flag::END_RESEND_LATER | flag::END_DONT_RESEND;
        if flags & !known != 0 {
            self.warn_at(
                end_pass.ret_seq,
                "unknown_end_flags",
                format!(
                    "{name}'s EndMessage returned unknown bits 0x{:08X}; ignored",
                    flags & !known
                ),
            );
        }
        let set = flags & known;
        // Precedence when several are set (a transport bug): RESEND_NOW, RESEND_LATER, DONT_RESEND.
        let mut chosen = [
            flag::END_RESEND_NOW,
            flag::END_RESEND_LATER,
            flag::END_DONT_RESEND,
        ]
        .into_iter()
        .find(|f| set & f != 0)
        .unwrap_or(0);
        if set.count_ones() > 1 {
            self.warn_at(
                end_pass.ret_seq,
                "conflicting_end_flags",
                format!(
                    "{name}'s EndMessage returned {}; they exclude each other, the spooler acts on {}",
                    FlagSet::EndMessage.names(set).join("|"),
                    FlagSet::EndMessage.names(chosen).join("")
                ),
            );
        }
        if chosen == flag::END_RESEND_NOW {
            self.msgs[mi].resend_streak += 1;
            let limit = self.sc.spooler.resend_now_limit;
            if self.msgs[mi].resend_streak > limit {
                self.warn_at(
                end_pass.ret_seq,
                    "resend_now_limit",
                    format!(
                        "{name} returned END_RESEND_NOW {} times in a row; after resend_now_limit = {limit} the spooler treats it as END_RESEND_LATER (model §14 Q2)",
                        self.msgs[mi].resend_streak
                    ),
                );
                self.msgs[mi].resend_streak = 0;
                chosen = flag::END_RESEND_LATER;
            }
        } else {
            self.msgs[mi].resend_streak = 0;
        }
        chosen
    }

    /// The offered recipients the pass took (Accepted, or reported but left FALSE: warned,
    /// model §12.3) and those it declined (left FALSE, not reported).
    fn taken_and_declined(
        &mut self,
        m: u32,
        t: XpId,
        pass: &Pass,
        end_pass: &Pass,
        reported: &[Option<bool>],
    ) -> (Vec<u32>, Vec<u32>) {
        let name = self.xp[t as usize].name.clone();
        let mut accepted = Vec::new();
        let mut declined = Vec::new();
        for &r in &pass.offered {
            match self.recip(m, r).state {
                RecipientState::Accepted(_) => accepted.push(r),
                RecipientState::Offered(_) if reported[r as usize].is_some() => {
                    // model §12.3 edge rule: reported during EndMessage but left FALSE.
                    self.warn_at(
                end_pass.ret_seq,
                        "report_without_responsibility",
                        format!(
                            "{name} reported recipient {r} through StatusRecips but left its PR_RESPONSIBILITY FALSE; a real spooler might offer it again and produce a second report (model §12.3). Treated as taken."
                        ),
                    );
                    accepted.push(r);
                }
                RecipientState::Offered(_) => declined.push(r),
                _ => {}
            }
        }
        (accepted, declined)
    }

    /// END_RESEND_NOW / END_RESEND_LATER (model §9.3).
    fn resend(
        &mut self,
        m: u32,
        t: XpId,
        chosen: u32,
        accepted: &[u32],
        declined: &[u32],
        reported: &[Option<bool>],
    ) {
        let mi = m as usize;
        let name = self.xp[t as usize].name.clone();
        // MODEL §14 Q2: the pass counts as not sent; the offered recipients go back to
        // T whether or not the transport set them TRUE (a transport that is "not
        // sending now" rightly leaves them FALSE, model §7.1), so Q15's "ignored for
        // recipients not accepted" applies to flag 0 only. Recipients it reported are
        // final: their reports were produced, and offering them again would only make
        // identical duplicates (docs/MODELLING.md).
        let mut again = Vec::new();
        for &r in accepted.iter().chain(declined.iter()) {
            match reported[r as usize] {
                Some(dr) => self.finalize_accepted(m, r, t, Some(dr)),
                None => again.push(r),
            }
        }
        let accepted = again;
        if chosen == flag::END_RESEND_NOW {
            for &r in &accepted {
                self.update_recip(m, r, |row| {
                    row.state = RecipientState::Pending;
                    row.responsibility = false;
                    row.why =
                        format!("{name} returned END_RESEND_NOW: offered again at once").into();
                });
            }
            if !accepted.is_empty() {
                self.msgs[mi].resend_now = Some(t);
            }
        } else if !accepted.is_empty() {
            let delay = self.sc.spooler.resend_later.max(MIN_RETRY);
            self.start_retry(
                m,
                t,
                &accepted,
                RetryWhy::ResendLater,
                delay,
                "END_RESEND_LATER",
            );
        }
    }

    /// END_DONT_RESEND (model §9.2).
    fn park(
        &mut self,
        m: u32,
        t: XpId,
        accepted: &[u32],
        declined: &[u32],
        reported: &[Option<bool>],
    ) {
        let name = self.xp[t as usize].name.clone();
        // model §9.2: park. Offered recipients not reported are DeferredBy(T), whether
        // or not they were set TRUE (XPWDSR touches none in pass 1).
        let mut parked = 0;
        for &r in accepted.iter().chain(declined.iter()) {
            if let Some(dr) = reported[r as usize] {
                self.finalize_accepted(m, r, t, Some(dr));
            } else {
                parked += 1;
                self.update_recip(m, r, |row| {
                    row.state = RecipientState::DeferredBy(t);
                    row.responsibility = false;
                    row.why = format!("{name} deferred it (END_DONT_RESEND); waits for SpoolerNotify(NOTIFY_SENTDEFERRED)").into();
                });
            }
        }
        if parked > 0 {
            self.update_status(t, |row| {
                if !row.deferred.contains(&m) {
                    row.deferred.push(m);
                }
            });
        }
    }

    /// Accepted(T) → Sent / DeliveredReported / NonDelivered (EndMessage 0). `entry` is the
    /// recipient's StatusRecips entry in this pass: Some(true) DR, Some(false) NDR.
    pub(super) fn finalize_accepted(&mut self, m: u32, r: u32, t: XpId, entry: Option<bool>) {
        let name = self.xp[t as usize].name.clone();
        self.update_recip(m, r, |row| {
            row.responsibility = true;
            match entry {
                Some(true) if row.report == Some(ReportKind::Dr) => {
                    row.state = RecipientState::DeliveredReported(t);
                    row.why =
                        format!("Delivered by {name}: DR from StatusRecips (PR_DELIVER_TIME set)")
                            .into();
                }
                Some(true) => {
                    row.state = RecipientState::Sent(t);
                    row.why =
                        format!("Sent by {name}; its DR was dropped: no delivery report requested")
                            .into();
                }
                Some(false) => {
                    row.state = RecipientState::NonDelivered(t);
                    let diag = row.ndr_diag.map(consts::diag_name).unwrap_or_default();
                    row.why = if row.report == Some(ReportKind::Ndr) {
                        format!("NDR from {name} via StatusRecips: {diag}")
                    } else {
                        format!("Failed at {name} ({diag}); NDR suppressed by the sender")
                    }
                    .into();
                }
                None => {
                    row.state = RecipientState::Sent(t);
                    row.why = format!("Sent by {name}: EndMessage returned 0").into();
                }
            }
        });
    }

    /// FinishedMsg and DoSentMail (model §8 steps 20–22).
    pub(super) fn finish_message(&mut self, m: u32) {
        let after = self.msgs[m as usize].after_submit;
        self.call(Who::Spooler, Who::Store, "FinishedMsg", Some(m), |_| {});
        let (state, text) = match after {
            AfterSubmit::SentItems => (
                MessageState::CompletedMoved,
                "unlocked; DoSentMail moved it to Sent Items (PR_SENTMAIL_ENTRYID)",
            ),
            AfterSubmit::Delete => (MessageState::CompletedDeleted, "unlocked; DoSentMail deleted it (PR_DELETE_AFTER_SUBMIT)"),
            AfterSubmit::Keep => (
                MessageState::CompletedLeftInPlace,
                "unlocked; DoSentMail left it where it was (neither PR_SENTMAIL_ENTRYID nor PR_DELETE_AFTER_SUBMIT)",
            ),
        };
        self.update_msg(m, |row| {
            row.locked = false;
            row.state = state;
            row.retry_at = None;
            row.message_flags &= !(flag::MSGFLAG_SUBMIT | flag::MSGFLAG_UNSENT);
        });
        let step = self.step();
        self.rec.record(step, Delta::QueueRemove(m));
        self.ret(Who::Store, Who::Spooler, "FinishedMsg", Some(m), |e| {
            e.result = Some("S_OK".into());
            e.text = Some(text.into());
        });
    }
}
