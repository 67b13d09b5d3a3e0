//! The `msg` a hook sees (contract §2) and the recipients inside it.
//!
//! `msg` is a fresh Rhai object map per call. A recipient is a read-only [`Recipient`] value
//! rather than an object map, for two measured reasons:
//!
//! - Cost. Cloning a Rhai map is a deep copy (a `BTreeMap` with five entries), and Rhai clones
//!   values often (`for r in msg.recipients` copies the array). A `Recipient` clone is a
//!   reference-count increment.
//! - Limits. Rhai's size limits add up every string and map entry held inside one value, so an
//!   array of 3,000 recipient *maps* already holds more string bytes than a sane string limit.
//!   Custom values do not count, so the limits stay tight for what the script itself builds.
//!
//! Scripts read a recipient exactly like a map (`r.index`, `r.address`, `r["name"]`), print it
//! like one, and cannot modify it. The recipients of a message are built once and cached by
//! message index ([`RecipientCache`]); each call copies handles out of the cache.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

use rhai::{Array, Dynamic, Engine, EvalAltResult, ImmutableString, Map};
use spoolscope_contract::scenario::RecipientSpec;
use spoolscope_engine::transport::MsgView;

/// A recipient as a script sees it: `index`, `name`, `address`, `type`, `recipient_type`.
#[derive(Clone, PartialEq, Eq)]
pub struct Recipient(pub(crate) Rc<RecipientData>);

#[derive(PartialEq, Eq)]
pub(crate) struct RecipientData {
    index: i64,
    name: ImmutableString,
    address: ImmutableString,
    addr_type: ImmutableString,
    recipient_type: ImmutableString,
}

impl Recipient {
    fn new(index: usize, spec: &RecipientSpec) -> Self {
        Recipient(Rc::new(RecipientData {
            index: i64::try_from(index).unwrap_or(i64::MAX),
            name: spec.name.as_str().into(),
            address: spec.address.as_str().into(),
            addr_type: spec.addr_type.as_str().into(),
            recipient_type: spec.recipient_type.as_str().into(),
        }))
    }

    /// The recipient's index in its message.
    pub fn index(&self) -> i64 {
        self.0.index
    }

    /// The field a script names, or `None` for an unknown field.
    fn field(&self, name: &str) -> Option<Dynamic> {
        let d = &self.0;
        Some(match name {
            "index" => Dynamic::from_int(d.index),
            "name" => d.name.clone().into(),
            "address" => d.address.clone().into(),
            "type" => d.addr_type.clone().into(),
            "recipient_type" => d.recipient_type.clone().into(),
            _ => return None,
        })
    }
}

/// Printed like the object map it stands for.
impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.0;
        write!(
            f,
            "#{{index: {}, name: {:?}, address: {:?}, type: {:?}, recipient_type: {:?}}}",
            d.index,
            d.name.as_str(),
            d.address.as_str(),
            d.addr_type.as_str(),
            d.recipient_type.as_str()
        )
    }
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The field names, for error messages.
const RECIPIENT_FIELDS: &str = "index, name, address, type, recipient_type";

/// Registers the `Recipient` type: getters, string indexer, printing, equality.
pub(crate) fn register_recipient(engine: &mut Engine) {
    engine.register_type_with_name::<Recipient>("Recipient");
    engine.register_get("index", |r: &mut Recipient| r.0.index);
    engine.register_get("name", |r: &mut Recipient| r.0.name.clone());
    engine.register_get("address", |r: &mut Recipient| r.0.address.clone());
    engine.register_get("type", |r: &mut Recipient| r.0.addr_type.clone());
    engine.register_get("recipient_type", |r: &mut Recipient| {
        r.0.recipient_type.clone()
    });
    engine.register_indexer_get(
        |r: &mut Recipient, key: ImmutableString| -> Result<Dynamic, Box<EvalAltResult>> {
            r.field(key.as_str()).ok_or_else(|| {
                crate::host::script_error(format!(
                    "a recipient has no field {:?}; it has {RECIPIENT_FIELDS}",
                    key.as_str()
                ))
            })
        },
    );
    // Setters exist only to say why there are none.
    for field in ["index", "name", "address", "type", "recipient_type"] {
        engine.register_set(
            field,
            |_: &mut Recipient, _: Dynamic| -> Result<(), Box<EvalAltResult>> { Err(read_only()) },
        );
    }
    engine.register_indexer_set(
        |_: &mut Recipient, _: ImmutableString, _: Dynamic| -> Result<(), Box<EvalAltResult>> {
            Err(read_only())
        },
    );
    engine.register_fn("to_string", |r: &mut Recipient| r.to_string());
    engine.register_fn("to_debug", |r: &mut Recipient| r.to_string());
    engine.register_fn("==", |a: &mut Recipient, b: Recipient| *a == b);
    engine.register_fn("!=", |a: &mut Recipient, b: Recipient| *a != b);
    engine.register_fn("+", |a: ImmutableString, b: Recipient| format!("{a}{b}"));
    engine.register_fn("+", |a: &mut Recipient, b: ImmutableString| {
        format!("{a}{b}")
    });
}

fn read_only() -> Box<EvalAltResult> {
    crate::host::script_error(
        "a recipient is read-only; copy what you need into a map of your own \
         (#{name: r.name, address: r.address}) to change it",
    )
}

/// A wrong property name on a recipient is an error that lists the right ones (Rhai's own
/// message names only the getter it looked for).
pub(crate) fn unknown_property_message(prop: &str) -> String {
    format!("a recipient has no field {prop:?}; it has {RECIPIENT_FIELDS}")
}

/// The recipients of each message, built once (keyed by [`MsgView::index`]) and shared by all
/// transports of a run.
#[derive(Default)]
pub(crate) struct RecipientCache {
    by_message: RefCell<BTreeMap<usize, CachedMessage>>,
}

struct CachedMessage {
    /// The list the entry was built from: a different list under the same index (a cache
    /// shared across runs by mistake) rebuilds the entry instead of showing stale recipients.
    source: Arc<[RecipientSpec]>,
    all: Rc<[Dynamic]>,
}

impl RecipientCache {
    fn recipients_of(&self, msg: &MsgView) -> Rc<[Dynamic]> {
        let mut cache = self.by_message.borrow_mut();
        if let Some(hit) = cache.get(&msg.index) {
            if Arc::ptr_eq(&hit.source, &msg.recipients) {
                return Rc::clone(&hit.all);
            }
        }
        let all: Rc<[Dynamic]> = msg
            .recipients
            .iter()
            .enumerate()
            .map(|(i, spec)| Dynamic::from(Recipient::new(i, spec)))
            .collect();
        cache.insert(
            msg.index,
            CachedMessage {
                source: Arc::clone(&msg.recipients),
                all: Rc::clone(&all),
            },
        );
        all
    }

    /// The `msg` object map for one hook call.
    pub(crate) fn msg_value(&self, msg: &MsgView) -> Dynamic {
        let all = self.recipients_of(msg);
        // Offered indexes come from the engine; one outside the list is skipped rather than
        // trusted (it would be an engine bug, not the script author's).
        let offered: Array = msg
            .offered
            .iter()
            .filter_map(|&i| all.get(i as usize).cloned())
            .collect();
        let mut map = Map::new();
        map.insert("id".into(), ImmutableString::from(&*msg.id).into());
        map.insert(
            "subject".into(),
            ImmutableString::from(&*msg.subject).into(),
        );
        map.insert("attempt".into(), Dynamic::from_int(i64::from(msg.attempt)));
        map.insert("deferred".into(), Dynamic::from_bool(msg.deferred));
        map.insert(
            "delivery_report".into(),
            Dynamic::from_bool(msg.delivery_report),
        );
        map.insert(
            "reference".into(),
            Dynamic::from_int(i64::try_from(msg.reference).unwrap_or(i64::MAX)),
        );
        map.insert("recipients".into(), Dynamic::from_array(offered));
        map.insert("all_recipients".into(), Dynamic::from_array(all.to_vec()));
        Dynamic::from_map(map)
    }

    /// `msg` for `transport_notify`: the map, or `()` when the notification concerns no message.
    pub(crate) fn optional_msg_value(&self, msg: Option<&MsgView>) -> Dynamic {
        msg.map_or(Dynamic::UNIT, |m| self.msg_value(m))
    }
}

/// Reads a recipient argument: a [`Recipient`], its index, or any map with an integer `index`.
pub(crate) fn recipient_index(fn_name: &str, r: &Dynamic) -> Result<i64, Box<EvalAltResult>> {
    if let Some(rec) = r.read_lock::<Recipient>() {
        return Ok(rec.index());
    }
    if let Ok(i) = r.as_int() {
        return Ok(i);
    }
    if let Some(map) = r.read_lock::<Map>() {
        if let Some(i) = map.get("index").and_then(|v| v.as_int().ok()) {
            return Ok(i);
        }
    }
    Err(crate::host::script_error(format!(
        "{fn_name}(r): r must be a recipient (from msg.recipients) or a recipient index; it is {}",
        crate::fault::describe_value(r)
    )))
}
