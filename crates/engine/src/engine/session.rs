//! The transport session around the messages: logon, address types and options, outbound
//! on and off (model §3.1–3.4, §12.1), the status row a TransportNotify leaves (model §10),
//! the spooler's flush (model §10.3) and logoff (model §3.6).

use super::*;

impl Engine {
    pub(super) fn setup(&mut self) {
        let n = self.core.xp.len();
        for t in 0..n as XpId {
            let c = &mut self.core;
            // model §3.1: first logon with both directions off; enabled later by TransportNotify.
            c.call(Who::Spooler, Who::Xp(t), "TransportLogon", None, |e| {
                e.flags =
                    Some(FlagSet::LogonIn.names(flag::LOGON_NO_INBOUND | flag::LOGON_NO_OUTBOUND));
            });
            // model §8 step 4: the transport creates its status row (MRXP does it in logon).
            c.update_status(t, |row| row.logged_on = true);
            c.modify_status_row(t, flag::STATUS_AVAILABLE, false);
            c.ret(Who::Xp(t), Who::Spooler, "TransportLogon", None, |e| {
                e.result = Some("S_OK".into());
                e.flags = Some(Vec::new());
            });
            // model §3.2: AddressTypes right after logon.
            let spec = &c.sc.transports[t as usize];
            let types = spec.address_types.clone();
            let uids = spec.uids.len();
            c.call(Who::Spooler, Who::Xp(t), "AddressTypes", None, |_| {});
            c.ret(Who::Xp(t), Who::Spooler, "AddressTypes", None, |e| {
                e.result = Some("S_OK".into());
                match &types {
                    Some(list) => e.address_types = Some(list.clone()),
                    None => {
                        e.text = Some("NULL address-type list: handles any address type".into())
                    }
                }
                if uids > 0 {
                    let t = format!("{uids} MAPIUID(s) registered");
                    e.text = Some(match e.text.take() {
                        Some(x) => format!("{x}; {t}"),
                        None => t,
                    });
                }
            });
            // model §3.3 MODEL: RegisterOptions once after AddressTypes; result ignored.
            c.call(Who::Spooler, Who::Xp(t), "RegisterOptions", None, |_| {});
            c.ret(Who::Xp(t), Who::Spooler, "RegisterOptions", None, |e| {
                e.result = Some("S_OK".into());
                e.text = Some("0 options".into());
            });
            if c.stopped() {
                return;
            }
        }
        // model §8 step 5: enable outbound once stores are available.
        for t in 0..n as XpId {
            if self.core.sc.transports[t as usize].outbound_at_start {
                self.notify_now(PendingNotify {
                    xp: t,
                    flags: flag::NOTIFY_BEGIN_OUTBOUND,
                    msg: None,
                });
            }
        }
    }

    // ------------------------------------------------------------------------------------
    // Timers and events
    // ------------------------------------------------------------------------------------

    /// `IMAPIStatus::FlushQueues` on the spooler (model §10.3), transport after transport.
    pub(super) fn flush(&mut self) {
        let c = &mut self.core;
        c.call(Who::Client, Who::Spooler, "FlushQueues", None, |e| {
            e.flags = Some(FlagSet::FlushQueues.names(flag::FLUSH_UPLOAD | flag::FLUSH_ASYNC_OK));
        });
        c.ret(Who::Spooler, Who::Client, "FlushQueues", None, |e| {
            e.result = Some("S_OK".into())
        });
        for t in 0..self.core.xp.len() as XpId {
            if self.core.stopped() {
                return;
            }
            if !self.core.usable(t) {
                continue;
            }
            let c = &mut self.core;
            c.call(Who::Spooler, Who::Xp(t), "FlushQueues", None, |e| {
                e.flags = Some(FlagSet::FlushQueues.names(flag::FLUSH_UPLOAD));
            });
            let code = c.rec.current.status[t as usize].status_code;
            c.modify_status_row(t, code | flag::STATUS_OUTBOUND_FLUSH, true);
            // model §9.2 step 7, §10.3 step 2: transports that defer release their messages
            // (NULL entry id = all, sample behaviour [S-WDSR-XPLOGON], model §4.1 MODEL).
            let deferred = c.rec.current.status[t as usize].deferred.clone();
            if !deferred.is_empty() {
                c.call(Who::Xp(t), Who::Spooler, "SpoolerNotify", None, |e| {
                    e.flags = Some(vec!["NOTIFY_SENTDEFERRED".into()]);
                    e.text = Some("lpvData NULL: every message this logon deferred".into());
                });
                for m in deferred {
                    c.release_deferred(m, t);
                    // The NULL form released everything: a pending per-message
                    // notify_sent_deferred() of this transport is no longer owed.
                    c.timers
                        .retain(|_, x| *x != Timer::SentDeferred { msg: m, xp: t });
                }
                c.ret(Who::Spooler, Who::Xp(t), "SpoolerNotify", None, |e| {
                    e.result = Some("S_OK".into())
                });
            }
            // MODEL: a flush makes messages waiting on this transport's retry timers eligible now.
            let waiting: Vec<u32> = (0..c.msgs.len() as u32)
                .filter(|m| c.msgs[*m as usize].waits[t as usize].is_some())
                .collect();
            for m in waiting {
                c.retry_due(m, t, None);
            }
            c.ret(Who::Xp(t), Who::Spooler, "FlushQueues", None, |e| {
                e.result = Some("S_OK".into())
            });
            self.pump_no_events();
            self.notify_now(PendingNotify {
                xp: t,
                flags: flag::NOTIFY_END_OUTBOUND_FLUSH,
                msg: None,
            });
        }
    }

    /// Session tear-down (model §8 steps 24–25, §3.6, §9.2 step 6), transport by transport:
    /// `TransportNotify(NOTIFY_END_OUTBOUND)`, `NOTIFY_ABORT_DEFERRED` alone for each message
    /// it still holds deferred (those go back to the outgoing queue for the next session),
    /// then `TransportLogoff(LOGOFF_NORMAL)`, in which the transport drops its status row.
    pub(super) fn logoff(&mut self) {
        for t in 0..self.core.xp.len() as XpId {
            if self.core.stopped() {
                return;
            }
            if !self.core.rec.current.status[t as usize].logged_on {
                continue;
            }
            if self.core.rec.current.status[t as usize].outbound_enabled {
                self.notify_now(PendingNotify {
                    xp: t,
                    flags: flag::NOTIFY_END_OUTBOUND,
                    msg: None,
                });
            }
            let deferred = self.core.rec.current.status[t as usize].deferred.clone();
            for m in deferred {
                self.core.abort_deferred_for_logoff(m, t);
                self.notify_now(PendingNotify {
                    xp: t,
                    flags: flag::NOTIFY_ABORT_DEFERRED,
                    msg: Some(m),
                });
            }
            let c = &mut self.core;
            // model §3.6: the spooler discards the address types, then TransportLogoff.
            c.call(Who::Spooler, Who::Xp(t), "TransportLogoff", None, |e| {
                e.flags = Some(FlagSet::Logoff.names(flag::LOGOFF_NORMAL));
                e.text = Some("address types discarded first".into());
            });
            // Sample behaviour [S-WDSR-XPLOGON] (model §4.3): ModifyStatusRow with no columns
            // drops the row; releasing the support object would do the same.
            c.call(Who::Xp(t), Who::Spooler, "ModifyStatusRow", None, |e| {
                e.flags = Some(Vec::new());
                e.status = Some(Vec::new());
                e.text = Some("0 columns: the transport's status row is removed".into());
            });
            c.update_status(t, |row| {
                row.logged_on = false;
                row.outbound_enabled = false;
                row.status_code = 0;
            });
            c.ret(Who::Spooler, Who::Xp(t), "ModifyStatusRow", None, |e| {
                e.result = Some("S_OK".into())
            });
            c.ret(Who::Xp(t), Who::Spooler, "TransportLogoff", None, |e| {
                e.result = Some("S_OK".into())
            });
        }
    }

    /// The routing part of [`Engine::pump`], without picking up due events (used inside a flush).
    pub(super) fn pump_no_events(&mut self) {
        let nx = self.core.xp.len();
        loop {
            if self.core.stopped() {
                return;
            }
            let mut blocked = vec![false; nx];
            let queue = self.core.rec.current.queue.clone();
            let mut any = false;
            for m in queue {
                if self.route(m, &mut blocked) {
                    any = true;
                    break;
                }
            }
            if !any {
                return;
            }
        }
    }
}

impl Core {
    /// After a TransportNotify hook: the transport updates its status row before returning
    /// (model §3.4, sample behaviour [MRXP]).
    pub(super) fn after_notify_hook(&mut self, t: XpId, flags: u32) {
        let code = self.rec.current.status[t as usize].status_code;
        if flags & flag::NOTIFY_BEGIN_OUTBOUND != 0 {
            self.update_status(t, |r| r.outbound_enabled = true);
            self.modify_status_row(t, code | flag::STATUS_OUTBOUND_ENABLED, true);
        }
        if flags & flag::NOTIFY_END_OUTBOUND != 0 {
            self.update_status(t, |r| r.outbound_enabled = false);
            self.modify_status_row(t, code & !flag::STATUS_OUTBOUND_ENABLED, true);
        }
        if flags & flag::NOTIFY_END_OUTBOUND_FLUSH != 0 {
            self.modify_status_row(t, code & !flag::STATUS_OUTBOUND_FLUSH, true);
        }
    }

    // ---- StatusRecips and reports (model §6) ----
}
