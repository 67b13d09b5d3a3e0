//! The raw stage: the document tree (`doc.rs`, from the TOML or JSON reader) → raw types that
//! mirror the file, positions kept. Unknown keys are refused at the key, a value of the wrong
//! kind at the value, a missing key at its table (contract §1, §5).

use super::*;

/// A value with the byte range it came from.
#[derive(Clone, Debug)]
pub(super) struct Sp<T> {
    pub(super) value: T,
    pub(super) span: Span,
}

pub(super) struct RawScenario {
    pub(super) version: Sp<i64>,
    pub(super) title: Option<String>,
    pub(super) description: Option<String>,
    pub(super) seed: Option<Sp<i64>>,
    pub(super) spooler: Option<RawSpooler>,
    pub(super) transport: Vec<RawTransport>,
    pub(super) message: Vec<RawMessage>,
    pub(super) event: Vec<RawEvent>,
}

pub(super) struct RawSpooler {
    pub(super) busy_retry_s: Option<Sp<f64>>,
    pub(super) resend_later_s: Option<Sp<f64>>,
    pub(super) resend_now_limit: Option<Sp<i64>>,
    pub(super) error_retry_s: Option<Sp<f64>>,
    pub(super) after_submit: Option<Sp<String>>,
    pub(super) until_s: Option<Sp<f64>>,
    pub(super) transport_order: Option<Vec<Sp<String>>>,
}

pub(super) struct RawTransport {
    pub(super) name: Sp<String>,
    pub(super) address_types: Option<Vec<Sp<String>>>,
    pub(super) uids: Vec<Sp<String>>,
    pub(super) script: Option<Sp<String>>,
    pub(super) prefer_last: bool,
    pub(super) outbound_at_start: Option<bool>,
}

pub(super) struct RawMessage {
    pub(super) id: Option<Sp<String>>,
    pub(super) subject: Option<String>,
    pub(super) submit_at_s: Option<Sp<f64>>,
    pub(super) delivery_report: bool,
    pub(super) non_delivery_report: Option<bool>,
    pub(super) after_submit: Option<Sp<String>>,
    pub(super) recipients: Vec<RawRecipient>,
    pub(super) generate: Option<Sp<RawGenerate>>,
}

pub(super) struct RawRecipient {
    pub(super) name: Option<String>,
    pub(super) address: String,
    pub(super) addr_type: Sp<String>,
    pub(super) recipient_type: Option<Sp<String>>,
    pub(super) uid: Option<Sp<String>>,
}

pub(super) struct RawGenerate {
    pub(super) count: Sp<i64>,
    pub(super) name: Option<String>,
    pub(super) address: Option<String>,
    pub(super) types: Option<Vec<Sp<String>>>,
    pub(super) recipient_type: Option<Sp<String>>,
}

pub(super) struct RawEvent {
    pub(super) at_s: Sp<f64>,
    pub(super) action: Sp<String>,
    pub(super) message: Option<Sp<String>>,
    pub(super) transport: Option<Sp<String>>,
}

// The document tree → raw types. Unknown keys are refused at the key; a value of the wrong
// kind at the value; a missing key at its table. JSON `null` counts as absent.

pub(super) type Read<T> = Result<T, ReadError>;

/// The values of `names` in `node`'s table, in that order; any other key is an error.
pub(super) fn fields<'a>(
    node: &'a Node,
    what: &str,
    names: &[&str],
) -> Read<Vec<Option<&'a Node>>> {
    let Val::Table(table) = &node.val else {
        return Err(ReadError::new(
            node.span.0,
            format!("{what} must be a table, found {}", node.val.describe()),
        ));
    };
    let mut out = vec![None; names.len()];
    for e in &table.entries {
        let Some(i) = names.iter().position(|n| *n == e.key) else {
            return Err(ReadError::new(
                e.key_span.0,
                format!(
                    "unknown key `{}` in {what}; the keys are {}",
                    e.key,
                    names.join(", ")
                ),
            ));
        };
        if e.node.val != Val::Null {
            out[i] = Some(&e.node);
        }
    }
    Ok(out)
}

pub(super) fn wrong<T>(n: &Node, key: &str, want: &str) -> Read<T> {
    Err(ReadError::new(
        n.span.0,
        format!("`{key}` must be {want}, found {}", n.val.describe()),
    ))
}

pub(super) fn missing(table: &Node, what: &str, key: &str) -> ReadError {
    ReadError::new(table.span.0, format!("{what} needs `{key}`"))
}

pub(super) fn string(n: &Node, key: &str) -> Read<Sp<String>> {
    match &n.val {
        Val::Str(s) => Ok(Sp {
            value: s.clone(),
            span: n.span,
        }),
        _ => wrong(n, key, "a string"),
    }
}

pub(super) fn integer(n: &Node, key: &str) -> Read<Sp<i64>> {
    match n.val {
        Val::Int(v) => Ok(Sp {
            value: v,
            span: n.span,
        }),
        _ => wrong(n, key, "an integer"),
    }
}

pub(super) fn number(n: &Node, key: &str) -> Read<Sp<f64>> {
    match n.val {
        Val::Int(v) => Ok(Sp {
            value: v as f64,
            span: n.span,
        }),
        Val::Float(v) => Ok(Sp {
            value: v,
            span: n.span,
        }),
        _ => wrong(n, key, "a number"),
    }
}

pub(super) fn boolean(n: &Node, key: &str) -> Read<bool> {
    match n.val {
        Val::Bool(b) => Ok(b),
        _ => wrong(n, key, "true or false"),
    }
}

pub(super) fn array<'a>(n: &'a Node, key: &str) -> Read<&'a [Node]> {
    match &n.val {
        Val::Array(items) | Val::TableArray(items) => Ok(items),
        _ => wrong(n, key, "an array"),
    }
}

pub(super) fn strings(n: &Node, key: &str) -> Read<Vec<Sp<String>>> {
    array(n, key)?.iter().map(|x| string(x, key)).collect()
}

pub(super) fn opt<'a, T>(
    n: Option<&'a Node>,
    f: impl FnOnce(&'a Node) -> Read<T>,
) -> Read<Option<T>> {
    n.map(f).transpose()
}

/// An optional array of tables; absent is empty.
pub(super) fn list<'a>(n: Option<&'a Node>, key: &str) -> Read<&'a [Node]> {
    Ok(match n {
        Some(n) => array(n, key)?,
        None => &[],
    })
}

pub(super) fn plain(s: Sp<String>) -> String {
    s.value
}

pub(super) fn raw_scenario(root: &Node) -> Read<RawScenario> {
    let what = "the scenario";
    let f = fields(
        root,
        what,
        &[
            "version",
            "title",
            "description",
            "seed",
            "spooler",
            "transport",
            "message",
            "event",
        ],
    )?;
    Ok(RawScenario {
        version: integer(
            f[0].ok_or_else(|| missing(root, what, "version"))?,
            "version",
        )?,
        title: opt(f[1], |n| string(n, "title").map(plain))?,
        description: opt(f[2], |n| string(n, "description").map(plain))?,
        seed: opt(f[3], |n| integer(n, "seed"))?,
        spooler: opt(f[4], raw_spooler)?,
        transport: list(f[5], "transport")?
            .iter()
            .map(raw_transport)
            .collect::<Read<_>>()?,
        message: list(f[6], "message")?
            .iter()
            .map(raw_message)
            .collect::<Read<_>>()?,
        event: list(f[7], "event")?
            .iter()
            .map(raw_event)
            .collect::<Read<_>>()?,
    })
}

pub(super) fn raw_spooler(n: &Node) -> Read<RawSpooler> {
    let f = fields(
        n,
        "[spooler]",
        &[
            "busy_retry_s",
            "resend_later_s",
            "resend_now_limit",
            "error_retry_s",
            "after_submit",
            "until_s",
            "transport_order",
        ],
    )?;
    Ok(RawSpooler {
        busy_retry_s: opt(f[0], |n| number(n, "busy_retry_s"))?,
        resend_later_s: opt(f[1], |n| number(n, "resend_later_s"))?,
        resend_now_limit: opt(f[2], |n| integer(n, "resend_now_limit"))?,
        error_retry_s: opt(f[3], |n| number(n, "error_retry_s"))?,
        after_submit: opt(f[4], |n| string(n, "after_submit"))?,
        until_s: opt(f[5], |n| number(n, "until_s"))?,
        transport_order: opt(f[6], |n| strings(n, "transport_order"))?,
    })
}

pub(super) fn raw_transport(n: &Node) -> Read<RawTransport> {
    let what = "a [[transport]]";
    let f = fields(
        n,
        what,
        &[
            "name",
            "address_types",
            "uids",
            "script",
            "prefer_last",
            "outbound_at_start",
        ],
    )?;
    Ok(RawTransport {
        name: string(f[0].ok_or_else(|| missing(n, what, "name"))?, "name")?,
        address_types: opt(f[1], |n| strings(n, "address_types"))?,
        uids: opt(f[2], |n| strings(n, "uids"))?.unwrap_or_default(),
        script: opt(f[3], |n| string(n, "script"))?,
        prefer_last: opt(f[4], |n| boolean(n, "prefer_last"))?.unwrap_or(false),
        outbound_at_start: opt(f[5], |n| boolean(n, "outbound_at_start"))?,
    })
}

pub(super) fn raw_message(n: &Node) -> Read<RawMessage> {
    let f = fields(
        n,
        "a [[message]]",
        &[
            "id",
            "subject",
            "submit_at_s",
            "delivery_report",
            "non_delivery_report",
            "after_submit",
            "recipients",
            "generate",
        ],
    )?;
    let recipients = match f[6] {
        Some(r) => array(r, "recipients")?
            .iter()
            .map(raw_recipient)
            .collect::<Read<_>>()?,
        None => Vec::new(),
    };
    Ok(RawMessage {
        id: opt(f[0], |n| string(n, "id"))?,
        subject: opt(f[1], |n| string(n, "subject").map(plain))?,
        submit_at_s: opt(f[2], |n| number(n, "submit_at_s"))?,
        delivery_report: opt(f[3], |n| boolean(n, "delivery_report"))?.unwrap_or(false),
        non_delivery_report: opt(f[4], |n| boolean(n, "non_delivery_report"))?,
        after_submit: opt(f[5], |n| string(n, "after_submit"))?,
        recipients,
        generate: opt(f[7], |g| {
            Ok(Sp {
                value: raw_generate(g)?,
                span: g.span,
            })
        })?,
    })
}

pub(super) fn raw_recipient(n: &Node) -> Read<RawRecipient> {
    let what = "a recipient";
    let f = fields(
        n,
        what,
        &["name", "address", "type", "recipient_type", "uid"],
    )?;
    Ok(RawRecipient {
        name: opt(f[0], |n| string(n, "name").map(plain))?,
        address: string(f[1].ok_or_else(|| missing(n, what, "address"))?, "address")?.value,
        addr_type: string(f[2].ok_or_else(|| missing(n, what, "type"))?, "type")?,
        recipient_type: opt(f[3], |n| string(n, "recipient_type"))?,
        uid: opt(f[4], |n| string(n, "uid"))?,
    })
}

pub(super) fn raw_generate(n: &Node) -> Read<RawGenerate> {
    let what = "generate";
    let f = fields(
        n,
        what,
        &["count", "name", "address", "types", "recipient_type"],
    )?;
    Ok(RawGenerate {
        count: integer(f[0].ok_or_else(|| missing(n, what, "count"))?, "count")?,
        name: opt(f[1], |n| string(n, "name").map(plain))?,
        address: opt(f[2], |n| string(n, "address").map(plain))?,
        types: opt(f[3], |n| strings(n, "types"))?,
        recipient_type: opt(f[4], |n| string(n, "recipient_type"))?,
    })
}

pub(super) fn raw_event(n: &Node) -> Read<RawEvent> {
    let what = "an [[event]]";
    let f = fields(n, what, &["at_s", "action", "message", "transport"])?;
    Ok(RawEvent {
        at_s: number(f[0].ok_or_else(|| missing(n, what, "at_s"))?, "at_s")?,
        action: string(f[1].ok_or_else(|| missing(n, what, "action"))?, "action")?,
        message: opt(f[2], |n| string(n, "message"))?,
        transport: opt(f[3], |n| string(n, "transport"))?,
    })
}
