//! Delivery and non-delivery reports (model §6): StatusRecips entries, the reports the spooler
//! makes from them after SubmitMessage returns, and the spooler's own NDR for recipients no
//! transport can take (model §7.4).

use super::*;

impl Core {
    /// The StatusRecips call for the entries a hook made (contract §2: one call per hook);
    /// returns its `seq` (`None`: no entries, no call).
    pub(super) fn status_recips(&mut self, pass: &mut Pass) -> Option<u64> {
        let m = pass.msg?;
        if pass.entries.is_empty() {
            return None;
        }
        let dr_time = self.now.as_secs_f64();
        let entries: Vec<StatusEntry> = pass
            .entries
            .iter()
            .map(|e| StatusEntry {
                recipient: e.recipient,
                report: if e.dr { "DR".into() } else { "NDR".into() },
                reason: (!e.dr).then_some(e.reason),
                diag: (!e.dr).then_some(e.diag),
                text: (!e.text.is_empty()).then(|| e.text.clone()),
                deliver_time: e.dr.then_some(dr_time),
            })
            .collect();
        // model §6.1: each call for the same recipient can yield another identical report.
        let mut seen = vec![0u32; self.msgs[m as usize].recipients.len()];
        for e in &pass.entries {
            let fi = self.flat(m, e.recipient);
            seen[e.recipient as usize] += 1;
            self.report_counts[fi] += 1;
        }
        self.call(
            Who::Xp(pass.xp),
            Who::Spooler,
            "StatusRecips",
            Some(m),
            |e| e.entries = Some(entries),
        );
        let call = self.step();
        for (r, n) in seen.iter().enumerate() {
            let fi = self.flat(m, r as u32);
            if *n > 0 && self.report_counts[fi] > 1 {
                let name = self.xp[pass.xp as usize].name.clone();
                let total = self.report_counts[fi];
                self.warn_at(
                    call,
                    "duplicate_status_recips",
                    format!(
                        "{name} listed recipient {r} in StatusRecips again ({total} entries so far); each entry yields another report (model §6.1)"
                    ),
                );
            }
        }
        self.ret(
            Who::Spooler,
            Who::Xp(pass.xp),
            "StatusRecips",
            Some(m),
            |e| e.result = Some("S_OK".into()),
        );
        Some(call)
    }

    /// Turns a pass's StatusRecips entries into reports (model §6.2, §6.4, §14 Q17).
    pub(super) fn produce_reports(&mut self, m: u32, t: XpId, pass: &Pass) {
        let entries = pass.entries.clone();
        for e in entries {
            let rt = &self.msgs[m as usize];
            let requested = if e.dr {
                rt.delivery_report
            } else {
                rt.non_delivery_report
            };
            let r = e.recipient;
            let spec = rt.recipients[r as usize].clone();
            let xpname = self.xp[t as usize].name.clone();
            let kind = if e.dr {
                ReportKind::Dr
            } else {
                ReportKind::Ndr
            };
            let text: Arc<str> = e.text.as_str().into();
            if !requested {
                // model §14 Q17: DRs only on request; NDRs unless suppressed.
                let why = if e.dr {
                    "the sender did not request delivery reports (PR_ORIGINATOR_DELIVERY_REPORT_REQUESTED FALSE)"
                } else {
                    "the sender suppressed NDRs (PR_ORIGINATOR_NON_DELIVERY_REPORT_REQUESTED FALSE)"
                };
                self.note(
                    Who::Spooler,
                    Some(m),
                    format!(
                        "{} for {} dropped: {why} (model §14 Q17)",
                        kind.as_str(),
                        spec.name
                    ),
                );
                if !e.dr {
                    self.update_recip(m, r, |row| {
                        row.ndr_reason = Some(e.reason);
                        row.ndr_diag = Some(e.diag);
                        row.report_text = Some(text.clone());
                    });
                }
                continue;
            }
            let class = format!("REPORT.IPM.Note.{}", kind.as_str());
            let mut ev = Event::new(EventKind::Note);
            ev.from = Some("spooler".into());
            ev.message = Some(self.msgs[m as usize].id.to_string());
            ev.recipient = Some(r);
            ev.entries = Some(vec![StatusEntry {
                recipient: r,
                report: kind.as_str().into(),
                reason: (!e.dr).then_some(e.reason),
                diag: (!e.dr).then_some(e.diag),
                text: (!e.text.is_empty()).then(|| e.text.clone()),
                deliver_time: None,
            }]);
            ev.text = Some(if e.dr {
                format!(
                    "{class} for {} <{}>, requested by {xpname}, delivered to the sender's Inbox",
                    spec.name, spec.address
                )
            } else {
                format!(
                    "{class} for {} <{}> ({} / {}), requested by {xpname}, delivered to the sender's Inbox with the original attached",
                    spec.name,
                    spec.address,
                    consts::reason_name(e.reason),
                    consts::diag_name(e.diag)
                )
            });
            self.emit(ev);
            let seq = self.step();
            self.reports.push(ReportRow {
                message: self.msgs[m as usize].id.to_string(),
                kind: kind.as_str().into(),
                source: xpname.to_string(),
                recipients: vec![r],
                seq,
                class,
            });
            self.update_recip(m, r, |row| {
                row.report = Some(kind);
                if e.dr {
                    row.ndr_reason = None;
                    row.ndr_diag = None;
                } else {
                    row.ndr_reason = Some(e.reason);
                    row.ndr_diag = Some(e.diag);
                }
                row.report_text = (!text.is_empty()).then(|| text.clone());
            });
        }
    }

    /// The spooler's own NDR for recipients no transport took (model §7.4 step 6, §14 Q4).
    pub(super) fn spooler_ndr(&mut self, m: u32, recips: &[u32]) {
        let text: Arc<str> = consts::NO_TRANSPORT_TEXT.into();
        let reason = 1; // MAPI_REASON_TRANSFER_IMPOSSIBLE (MODEL, model §14 Q4)
        let diag = -1; // MAPI_DIAG_NO_DIAGNOSTIC
        let ndr_ok = self.msgs[m as usize].non_delivery_report;
        for &r in recips {
            let spec = self.msgs[m as usize].recipients[r as usize].clone();
            let mut ev = Event::new(EventKind::Property);
            ev.from = Some("spooler".into());
            ev.message = Some(self.msgs[m as usize].id.to_string());
            ev.recipient = Some(r);
            ev.property = Some("PR_RESPONSIBILITY".into());
            ev.value = Some(PropValue::Bool(true));
            self.emit(ev);
            self.update_recip(m, r, |row| row.responsibility = true);
            let offered_before = !self.recip(m, r).offered_to.is_empty();
            let why = if offered_before {
                format!(
                    "NDR from the spooler: every transport that could take {} declined it",
                    spec.addr_type
                )
            } else {
                format!("NDR from the spooler: no transport took {}", spec.addr_type)
            };
            if ndr_ok {
                let class = "REPORT.IPM.Note.NDR".to_string();
                let mut ev = Event::new(EventKind::Note);
                ev.from = Some("spooler".into());
                ev.message = Some(self.msgs[m as usize].id.to_string());
                ev.recipient = Some(r);
                ev.entries = Some(vec![StatusEntry {
                    recipient: r,
                    report: "NDR".into(),
                    reason: Some(reason),
                    diag: Some(diag),
                    text: Some(text.to_string()),
                    deliver_time: None,
                }]);
                ev.text = Some(format!(
                    "{class} for {} <{}> from the spooler: no transport took address type {} (MAPI_REASON_TRANSFER_IMPOSSIBLE / MAPI_DIAG_NO_DIAGNOSTIC)",
                    spec.name, spec.address, spec.addr_type
                ));
                self.emit(ev);
                let seq = self.step();
                self.reports.push(ReportRow {
                    message: self.msgs[m as usize].id.to_string(),
                    kind: "NDR".into(),
                    source: "spooler".into(),
                    recipients: vec![r],
                    seq,
                    class,
                });
            } else {
                self.note(
                    Who::Spooler,
                    Some(m),
                    format!(
                        "NDR for {} suppressed (PR_ORIGINATOR_NON_DELIVERY_REPORT_REQUESTED FALSE)",
                        spec.name
                    ),
                );
            }
            self.update_recip(m, r, |row| {
                row.state = RecipientState::NoTransport;
                row.responsibility = true;
                row.report = ndr_ok.then_some(ReportKind::Ndr);
                row.ndr_reason = Some(reason);
                row.ndr_diag = Some(diag);
                row.report_text = Some(text.clone());
                row.why = why.into();
            });
        }
    }

    // ---- reactions to SubmitMessage / EndMessage results ----
}
