//! The resolved stage: raw types → [`Scenario`], with defaults applied (model §14 MODEL
//! choices), ids assigned, references checked and transport order fixed (model §7.3); every
//! error at its line and column (contract §5).

use super::*;

pub(super) struct Resolver<'a> {
    pub(super) src: &'a str,
    pub(super) lines: Lines,
    /// Whether a script's text starts where its string does in the file: TOML's multi-line
    /// strings, yes; a JSON string with `\n` escapes, no.
    pub(super) script_origins: bool,
}

impl Resolver<'_> {
    fn pos<T>(&self, sp: &Sp<T>) -> Pos {
        self.lines.pos(self.src, sp.span.0)
    }

    fn err<T>(&self, sp: &Sp<T>, msg: impl Into<String>) -> ScenarioError {
        ScenarioError::new(self.pos(sp), msg)
    }

    fn time(&self, sp: &Sp<f64>, what: &str) -> Result<Millis, ScenarioError> {
        let v = sp.value;
        if !v.is_finite() || v < 0.0 {
            return Err(self.err(
                sp,
                format!("{what} must be a number of seconds ≥ 0, found {v}"),
            ));
        }
        if v > MAX_TIME_S {
            return Err(self.err(sp, format!("{what} = {v} s is beyond the 30-day limit")));
        }
        Ok(Millis::from_secs_f64(v))
    }

    fn after_submit(&self, sp: &Sp<String>) -> Result<AfterSubmit, ScenarioError> {
        match sp.value.as_str() {
            "sent_items" => Ok(AfterSubmit::SentItems),
            "delete" => Ok(AfterSubmit::Delete),
            "keep" => Ok(AfterSubmit::Keep),
            other => Err(self.err(
                sp,
                format!("after_submit must be \"sent_items\", \"delete\" or \"keep\", found \"{other}\""),
            )),
        }
    }

    fn addr_type(&self, sp: &Sp<String>) -> Result<String, ScenarioError> {
        // model §7.2: address types contain only A–Z and 0–9.
        let v = &sp.value;
        if v.is_empty()
            || !v
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return Err(self.err(
                sp,
                format!(
                    "address type \"{v}\" must be non-empty and use only A–Z and 0–9 (model §7.2)"
                ),
            ));
        }
        Ok(v.clone())
    }

    fn uid(&self, sp: &Sp<String>) -> Result<[u8; 16], ScenarioError> {
        let hex: String = sp
            .value
            .chars()
            .filter(|c| *c != '-' && *c != ' ')
            .collect();
        let bad = || {
            self.err(
                sp,
                format!(
                    "a MAPIUID is 16 bytes written as 32 hex digits, found \"{}\"",
                    sp.value
                ),
            )
        };
        if hex.len() != 32 || !hex.is_ascii() {
            return Err(bad());
        }
        let mut out = [0u8; 16];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(out)
    }

    fn recipient_type(&self, sp: &Option<Sp<String>>) -> Result<RecipientType, ScenarioError> {
        match sp {
            None => Ok(RecipientType::To),
            Some(s) => match s.value.as_str() {
                "TO" | "MAPI_TO" => Ok(RecipientType::To),
                "CC" | "MAPI_CC" => Ok(RecipientType::Cc),
                "BCC" | "MAPI_BCC" => Ok(RecipientType::Bcc),
                other => Err(self.err(
                    s,
                    format!("recipient_type must be \"TO\", \"CC\" or \"BCC\", found \"{other}\""),
                )),
            },
        }
    }

    fn script(&self, sp: &Sp<String>) -> Result<ScriptSource, ScenarioError> {
        if sp.value.len() > MAX_SCRIPT_BYTES {
            return Err(self.err(
                sp,
                format!(
                    "the script is {} bytes; the limit is {MAX_SCRIPT_BYTES}",
                    sp.value.len()
                ),
            ));
        }
        let origin = self.script_origins.then(|| {
            let start = sp.span.0;
            let rest = &self.src[start.min(self.src.len())..];
            let mut off = start;
            if rest.starts_with("'''") || rest.starts_with("\"\"\"") {
                off += 3;
                // TOML trims a newline right after the opening delimiter.
                let after = &self.src[off.min(self.src.len())..];
                if after.starts_with("\r\n") {
                    off += 2;
                } else if after.starts_with('\n') {
                    off += 1;
                }
            } else if rest.starts_with('\'') || rest.starts_with('"') {
                off += 1;
            }
            self.lines.pos(self.src, off)
        });
        Ok(ScriptSource {
            text: sp.value.clone(),
            origin,
        })
    }

    pub(super) fn resolve(&self, raw: RawScenario) -> Result<Scenario, ScenarioError> {
        if raw.version.value != 1 {
            return Err(self.err(
                &raw.version,
                format!(
                    "scenario version {} is not supported; this Spoolscope reads version 1",
                    raw.version.value
                ),
            ));
        }
        let seed = match &raw.seed {
            None => 0,
            Some(s) if s.value < 0 => return Err(self.err(s, "seed must be ≥ 0")),
            Some(s) => s.value as u64,
        };

        // Spooler settings.
        let mut spooler = SpoolerConfig::default();
        let mut explicit_order = None;
        if let Some(sp) = &raw.spooler {
            if let Some(v) = &sp.busy_retry_s {
                spooler.busy_retry = self.time(v, "busy_retry_s")?;
            }
            if let Some(v) = &sp.resend_later_s {
                spooler.resend_later = self.time(v, "resend_later_s")?;
            }
            if let Some(v) = &sp.error_retry_s {
                spooler.error_retry = self.time(v, "error_retry_s")?;
            }
            if let Some(v) = &sp.until_s {
                spooler.until = self.time(v, "until_s")?;
            }
            if let Some(v) = &sp.resend_now_limit {
                if !(0..=100).contains(&v.value) {
                    return Err(self.err(v, "resend_now_limit must be between 0 and 100"));
                }
                spooler.resend_now_limit = v.value as u32;
            }
            if let Some(v) = &sp.after_submit {
                spooler.after_submit = self.after_submit(v)?;
            }
            explicit_order = sp.transport_order.as_ref();
        }

        // Transports.
        if raw.transport.len() > MAX_TRANSPORTS {
            return Err(self.err(
                &raw.transport[MAX_TRANSPORTS].name,
                format!("at most {MAX_TRANSPORTS} transports"),
            ));
        }
        let mut transports: Vec<TransportSpec> = Vec::with_capacity(raw.transport.len());
        for t in &raw.transport {
            let name = t.name.value.trim().to_string();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(self.err(
                    &t.name,
                    "a transport name must be non-empty and use only letters, digits, '_' and '-'",
                ));
            }
            if ["client", "store", "spooler"].contains(&name.as_str()) {
                return Err(self.err(&t.name, format!("\"{name}\" is reserved for a lifeline")));
            }
            if transports.iter().any(|o| o.name == name) {
                return Err(self.err(&t.name, format!("transport \"{name}\" is declared twice")));
            }
            let address_types = match &t.address_types {
                None => None,
                Some(list) => Some(
                    list.iter()
                        .map(|a| self.addr_type(a))
                        .collect::<Result<Vec<_>, _>>()?,
                ),
            };
            let uids = t
                .uids
                .iter()
                .map(|u| self.uid(u))
                .collect::<Result<Vec<_>, _>>()?;
            let script = t.script.as_ref().map(|s| self.script(s)).transpose()?;
            transports.push(TransportSpec {
                name,
                address_types,
                uids,
                script,
                prefer_last: t.prefer_last,
                outbound_at_start: t.outbound_at_start.unwrap_or(true),
                pos: self.pos(&t.name),
            });
        }
        // model §7.3, §14 Q6: an explicit order overrides STATUS_XP_PREFER_LAST; without one,
        // prefer-last transports go after the others, file order kept within each group.
        if let Some(order) = explicit_order {
            let mut ordered = Vec::with_capacity(transports.len());
            for n in order {
                match transports.iter().position(|t| t.name == n.value) {
                    Some(i) => ordered.push(transports.remove(i)),
                    None => {
                        return Err(self.err(
                            n,
                            format!("transport_order names \"{}\", which is not a transport (or is named twice)", n.value),
                        ))
                    }
                }
            }
            if let Some(missing) = transports.first() {
                // MsgServiceTransportOrder needs the complete list (model §7.3).
                return Err(ScenarioError::new(
                    missing.pos,
                    format!(
                        "transport_order must list every transport; \"{}\" is missing",
                        missing.name
                    ),
                ));
            }
            transports = ordered;
        } else {
            crate::sort_by_key_stable(&mut transports, |t| u64::from(t.prefer_last));
        }

        // Messages.
        if raw.message.len() > MAX_MESSAGES {
            return Err(ScenarioError::new(
                Pos::START,
                format!("at most {MAX_MESSAGES} messages"),
            ));
        }
        let mut messages: Vec<MessageSpec> = Vec::with_capacity(raw.message.len());
        let mut total = 0usize;
        for (i, m) in raw.message.iter().enumerate() {
            let (id, pos) = match &m.id {
                Some(id) => {
                    let v = id.value.trim();
                    if v.is_empty() {
                        return Err(self.err(id, "a message id must not be empty"));
                    }
                    (v.to_string(), self.pos(id))
                }
                None => (format!("m{}", i + 1), Pos::START),
            };
            if messages.iter().any(|o| o.id == id) {
                let p = m.id.as_ref().map(|s| self.pos(s)).unwrap_or(Pos::START);
                return Err(ScenarioError::new(
                    p,
                    format!("message id \"{id}\" is used twice"),
                ));
            }
            let submit_at = match &m.submit_at_s {
                Some(v) => self.time(v, "submit_at_s")?,
                None => Millis::ZERO,
            };
            let mut recipients = Vec::with_capacity(m.recipients.len());
            for r in &m.recipients {
                recipients.push(RecipientSpec {
                    name: r.name.clone().unwrap_or_else(|| r.address.clone()),
                    address: r.address.clone(),
                    addr_type: self.addr_type(&r.addr_type)?,
                    recipient_type: self.recipient_type(&r.recipient_type)?,
                    uid: r.uid.as_ref().map(|u| self.uid(u)).transpose()?,
                });
            }
            total += recipients.len();
            if let Some(g) = &m.generate {
                let count = g.value.count.value;
                if count < 0 || (total as i64).saturating_add(count) > MAX_RECIPIENTS as i64 {
                    return Err(self.err(
                        &g.value.count,
                        format!(
                            "generate.count = {count}: a scenario may have at most {MAX_RECIPIENTS} recipients in all"
                        ),
                    ));
                }
                let types = match &g.value.types {
                    Some(ts) if ts.is_empty() => {
                        return Err(
                            self.err(g, "generate.types must name at least one address type")
                        )
                    }
                    Some(ts) => ts
                        .iter()
                        .map(|t| self.addr_type(t))
                        .collect::<Result<Vec<_>, _>>()?,
                    None => vec!["SMTP".to_string()],
                };
                let rt = self.recipient_type(&g.value.recipient_type)?;
                let name_pat = g
                    .value
                    .name
                    .clone()
                    .unwrap_or_else(|| "User {i}".to_string());
                let addr_pat = g
                    .value
                    .address
                    .clone()
                    .unwrap_or_else(|| "user{i}@contoso.example".to_string());
                for k in 0..count as usize {
                    let ks = k.to_string();
                    recipients.push(RecipientSpec {
                        name: name_pat.replace("{i}", &ks),
                        address: addr_pat.replace("{i}", &ks),
                        addr_type: types[k % types.len()].clone(),
                        recipient_type: rt,
                        uid: None,
                    });
                }
                total += count as usize;
            }
            if total > MAX_RECIPIENTS {
                return Err(ScenarioError::new(
                    pos,
                    format!("a scenario may have at most {MAX_RECIPIENTS} recipients in all"),
                ));
            }
            let after_submit = match &m.after_submit {
                Some(v) => self.after_submit(v)?,
                None => spooler.after_submit,
            };
            messages.push(MessageSpec {
                id,
                subject: m.subject.clone().unwrap_or_default(),
                submit_at,
                delivery_report: m.delivery_report,
                non_delivery_report: m.non_delivery_report.unwrap_or(true),
                after_submit,
                recipients,
                pos,
            });
        }

        // Events.
        if raw.event.len() > MAX_EVENTS {
            return Err(ScenarioError::new(
                Pos::START,
                format!("at most {MAX_EVENTS} events"),
            ));
        }
        let mut events = Vec::with_capacity(raw.event.len());
        for e in &raw.event {
            let at = self.time(&e.at_s, "at_s")?;
            let pos = self.pos(&e.action);
            let need_message = |what: &str| -> Result<usize, ScenarioError> {
                let m = e.message.as_ref().ok_or_else(|| {
                    ScenarioError::new(pos, format!("action \"{what}\" needs message = \"<id>\""))
                })?;
                messages
                    .iter()
                    .position(|x| x.id == m.value)
                    .ok_or_else(|| self.err(m, format!("no message has id \"{}\"", m.value)))
            };
            let need_transport = |what: &str| -> Result<usize, ScenarioError> {
                let t = e.transport.as_ref().ok_or_else(|| {
                    ScenarioError::new(
                        pos,
                        format!("action \"{what}\" needs transport = \"<name>\""),
                    )
                })?;
                transports
                    .iter()
                    .position(|x| x.name == t.value)
                    .ok_or_else(|| self.err(t, format!("no transport is named \"{}\"", t.value)))
            };
            let action = match e.action.value.as_str() {
                "cancel" => EventAction::Cancel { message: need_message("cancel")? },
                "abort_submit" => EventAction::AbortSubmit { message: need_message("abort_submit")? },
                "flush" => EventAction::Flush,
                "logoff" => EventAction::Logoff,
                "outbound_off" => EventAction::OutboundOff { transport: need_transport("outbound_off")? },
                "outbound_on" => EventAction::OutboundOn { transport: need_transport("outbound_on")? },
                other => {
                    return Err(self.err(
                        &e.action,
                        format!(
                            "unknown action \"{other}\"; expected cancel, abort_submit, flush, outbound_off, outbound_on or logoff"
                        ),
                    ))
                }
            };
            // Keys that do not belong to the action are mistakes, not silently ignored.
            let uses_message = matches!(
                action,
                EventAction::Cancel { .. } | EventAction::AbortSubmit { .. }
            );
            let uses_transport = matches!(
                action,
                EventAction::OutboundOff { .. } | EventAction::OutboundOn { .. }
            );
            if let (false, Some(m)) = (uses_message, &e.message) {
                return Err(self.err(m, format!("action \"{}\" takes no message", e.action.value)));
            }
            if let (false, Some(t)) = (uses_transport, &e.transport) {
                return Err(self.err(
                    t,
                    format!("action \"{}\" takes no transport", e.action.value),
                ));
            }
            events.push(EventSpec { at, action, pos });
        }
        crate::sort_by_key_stable(&mut events, |e| e.at.0);

        Ok(Scenario {
            title: raw.title.unwrap_or_default(),
            description: raw.description.unwrap_or_default(),
            seed,
            spooler,
            transports,
            messages,
            events,
        })
    }
}
