//! The one way a run is recorded: every trace event goes through `Core::emit` (which alone
//! assigns `seq`, `t` and `depth`), every table change through the `Recorder`, and the end of
//! a run turns both into the contract's trace (contract §4) and the timeline.

use super::*;

impl Core {
    pub(super) fn stopped(&self) -> bool {
        self.end.is_some() || self.fault.is_some()
    }

    pub(super) fn name(&self, w: Who) -> String {
        match w {
            Who::Client => "client".into(),
            Who::Store => "store".into(),
            Who::Spooler => "spooler".into(),
            Who::Xp(t) => self.xp[t as usize].name.to_string(),
        }
    }

    /// The single output route: assigns seq, t and depth.
    pub(super) fn emit(&mut self, mut e: Event) {
        if self.events.len() >= MAX_TRACE_EVENTS {
            if self.end.is_none() {
                self.end = Some((
                    "limit".into(),
                    Some(format!(
                        "the run produced {MAX_TRACE_EVENTS} trace events; it stops here"
                    )),
                ));
            }
            return;
        }
        e.seq = self.events.len() as u64 + 1;
        e.t = self.now.as_secs_f64();
        e.depth = self.depth;
        self.events.push(e);
    }

    pub(super) fn step(&self) -> u64 {
        self.events.len() as u64
    }

    pub(super) fn call(
        &mut self,
        from: Who,
        to: Who,
        method: &str,
        msg: Option<u32>,
        fill: impl FnOnce(&mut Event),
    ) {
        let mut e = Event::new(EventKind::Call);
        e.from = Some(self.name(from));
        e.to = Some(self.name(to));
        e.method = Some(method.into());
        e.message = msg.map(|m| self.msgs[m as usize].id.to_string());
        fill(&mut e);
        self.emit(e);
        self.depth += 1;
    }

    pub(super) fn ret(
        &mut self,
        from: Who,
        to: Who,
        method: &str,
        msg: Option<u32>,
        fill: impl FnOnce(&mut Event),
    ) {
        self.depth = self.depth.saturating_sub(1);
        let mut e = Event::new(EventKind::Return);
        e.from = Some(self.name(from));
        e.to = Some(self.name(to));
        e.method = Some(method.into());
        e.message = msg.map(|m| self.msgs[m as usize].id.to_string());
        fill(&mut e);
        self.emit(e);
    }

    pub(super) fn note(&mut self, from: Who, msg: Option<u32>, text: String) {
        let mut e = Event::new(EventKind::Note);
        e.from = Some(self.name(from));
        e.message = msg.map(|m| self.msgs[m as usize].id.to_string());
        e.text = Some(text);
        self.emit(e);
    }

    pub(super) fn hook_fault(&mut self, f: HookFault) {
        if self.fault.is_none() {
            self.note(Who::Spooler, None, format!("script error: {}", f.message));
            self.fault = Some(f);
        }
    }

    pub(super) fn stop_limit(&mut self, why: &str) {
        if self.end.is_none() {
            self.end = Some(("limit".into(), Some(why.into())));
        }
    }

    pub(super) fn flat(&self, m: u32, r: u32) -> usize {
        self.msgs[m as usize].offset + r as usize
    }

    /// The recipient rows of message `m`.
    pub(super) fn rows(&self, m: u32) -> &[RecipRow] {
        let rt = &self.msgs[m as usize];
        &self.rec.current.recipients[rt.offset..rt.offset + rt.recipients.len()]
    }

    /// Indexes of `m`'s recipients in `state`.
    pub(super) fn recipients_in(&self, m: u32, state: RecipientState) -> Vec<u32> {
        self.rows(m)
            .iter()
            .filter(|r| r.state == state)
            .map(|r| r.index)
            .collect()
    }

    pub(super) fn recip(&self, m: u32, r: u32) -> &RecipRow {
        &self.rec.current.recipients[self.flat(m, r)]
    }

    /// The one way to change a recipient row.
    pub(super) fn update_recip(&mut self, m: u32, r: u32, f: impl FnOnce(&mut RecipRow)) {
        let i = self.flat(m, r);
        let mut row = self.rec.current.recipients[i].clone();
        f(&mut row);
        if row != self.rec.current.recipients[i] {
            let step = self.step();
            self.rec.record(step, Delta::Recipient(i as u32, row));
        }
    }

    pub(super) fn set_msg_state(&mut self, m: u32, state: MessageState, retry_at: Option<Millis>) {
        self.update_msg(m, |row| {
            row.state = state;
            row.retry_at = retry_at;
        });
    }

    pub(super) fn update_msg(&mut self, m: u32, f: impl FnOnce(&mut MsgRow)) {
        let mut row = self.rec.current.messages[m as usize].clone();
        f(&mut row);
        if row != self.rec.current.messages[m as usize] {
            let step = self.step();
            self.rec.record(step, Delta::Message(m, row));
        }
    }

    pub(super) fn update_status(&mut self, t: XpId, f: impl FnOnce(&mut StatusRow)) {
        let mut row = self.rec.current.status[t as usize].clone();
        f(&mut row);
        if row != self.rec.current.status[t as usize] {
            let step = self.step();
            self.rec.record(step, Delta::Status(t, row));
        }
    }

    pub(super) fn set_in_flight(&mut self, t: XpId, m: Option<u32>) {
        // Sample behaviour (model §3.7): STATUS_OUTBOUND_ACTIVE around SubmitMessage.
        self.update_status(t, |row| {
            row.in_flight = m;
            if m.is_some() {
                row.status_code |= flag::STATUS_OUTBOUND_ACTIVE;
            } else {
                row.status_code &= !flag::STATUS_OUTBOUND_ACTIVE;
            }
        });
    }

    /// `IMAPISupport::ModifyStatusRow` by transport `t` (model §4.3), nested in the current call.
    pub(super) fn modify_status_row(&mut self, t: XpId, code: u32, update: bool) {
        self.call(Who::Xp(t), Who::Spooler, "ModifyStatusRow", None, |e| {
            e.flags = Some(if update {
                vec!["STATUSROW_UPDATE".into()]
            } else {
                Vec::new()
            });
            e.status = Some(FlagSet::StatusCode.names(code));
        });
        self.update_status(t, |row| row.status_code = code);
        self.ret(Who::Spooler, Who::Xp(t), "ModifyStatusRow", None, |e| {
            e.result = Some("S_OK".into())
        });
    }

    pub(super) fn set_lock(&mut self, m: u32, locked: bool) {
        // model §8 step 12: SetLockState; SUBMITFLAG_LOCKED while locked.
        self.call(Who::Spooler, Who::Store, "SetLockState", Some(m), |e| {
            e.flags = Some(vec![
                if locked { "MSG_LOCKED" } else { "MSG_UNLOCKED" }.into()
            ]);
        });
        self.update_msg(m, |row| row.locked = locked);
        self.ret(Who::Store, Who::Spooler, "SetLockState", Some(m), |e| {
            e.result = Some("S_OK".into())
        });
    }

    pub(super) fn view(&self, m: u32, pass: &Pass) -> MsgView {
        let rt = &self.msgs[m as usize];
        MsgView {
            index: m as usize,
            id: rt.id.clone(),
            subject: rt.subject.clone(),
            attempt: pass.attempt,
            deferred: pass.deferred,
            delivery_report: rt.delivery_report,
            reference: pass.reference,
            offered: pass.offered.clone(),
            recipients: rt.recipients.clone(),
        }
    }

    pub(super) fn schedule(&mut self, at: Millis, timer: Timer) {
        self.timers.insert((at, self.timer_seq), timer);
        self.timer_seq += 1;
    }

    pub(super) fn finish(mut self) -> Run {
        let (reason, text) = self.end.take().unwrap_or_else(|| ("idle".into(), None));
        let (reason, text) = match &self.fault {
            Some(f) => ("script_error".to_string(), Some(f.message.clone())),
            None => (reason, text),
        };
        let names: Vec<String> = self.xp.iter().map(|x| x.name.to_string()).collect();
        let tables = &self.rec.current;
        let mut recipients = Vec::with_capacity(tables.recipients.len());
        for row in &tables.recipients {
            let rt = &self.msgs[row.message as usize];
            let spec = &rt.recipients[row.index as usize];
            let transport = match row.state {
                RecipientState::Sent(t)
                | RecipientState::DeliveredReported(t)
                | RecipientState::NonDelivered(t) => Some(names[t as usize].clone()),
                RecipientState::DeferredBy(t) | RecipientState::Accepted(t) => {
                    Some(names[t as usize].clone())
                }
                _ => None,
            };
            let failed = matches!(
                row.state,
                RecipientState::NonDelivered(_) | RecipientState::NoTransport
            );
            recipients.push(RecipientRow {
                message: rt.id.to_string(),
                index: row.index,
                name: spec.name.clone(),
                address: spec.address.clone(),
                addr_type: spec.addr_type.clone(),
                recipient_type: spec.recipient_type.as_str().into(),
                status: row.state.contract_status().into(),
                transport,
                responsibility: row.responsibility,
                report: row.report.map(|k| k.as_str().to_string()),
                ndr_reason: if failed { row.ndr_reason } else { None },
                ndr_diag: if failed { row.ndr_diag } else { None },
                report_text: if row.report.is_some() || failed {
                    row.report_text.as_deref().map(str::to_string)
                } else {
                    None
                },
            });
        }
        let messages = self
            .msgs
            .iter()
            .zip(&tables.messages)
            .map(|(rt, row)| MessageRow {
                id: rt.id.to_string(),
                subject: rt.subject.to_string(),
                status: row.state.contract_status().into(),
            })
            .collect();
        let trace = Trace {
            version: 1,
            title: self.sc.title.clone(),
            events: self.events,
            recipients,
            messages,
            reports: self.reports,
            warnings: self.warnings,
            end: RunEnd {
                t: self.now.as_secs_f64(),
                reason,
                text,
            },
        };
        Run {
            trace,
            timeline: self.rec.finish(),
            fault: self.fault,
        }
    }
}

/// What `*lppvData` of a TransportNotify points to (model §3.4): the message reference for
/// NOTIFY_CANCEL_MESSAGE; the message's entry id for NOTIFY_ABORT_DEFERRED (model §9.2 step
/// 5). The trace keeps the reference of the deferring pass too (contract §4), so the reader
/// can match it with the transport's deferred list, and says what the data really is.
pub(super) fn notify_data(e: &mut Event, flags: u32, reference: Option<u64>) {
    e.reference = reference;
    if flags & flag::NOTIFY_ABORT_DEFERRED != 0 {
        e.text = Some(
            "lppvData: the deferred message's entry id (reference shown: its deferring pass, dead since EndMessage)"
                .into(),
        );
    }
}
