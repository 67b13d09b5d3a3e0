//! The byte encoding of [`Request`] and [`Response`] between the page and the worker.
//!
//! gloo-worker moves messages with serde (bincode); derived serde impls for every protocol
//! type, on both sides of one module, were ~12 KB of the page's gzip download. Here each type
//! writes its fields in declaration order (integers as LEB128, strings as length + UTF-8,
//! enums as a tag byte), and only [`Request`] and [`Response`] meet serde, as one byte string.
//! Decoding never panics: malformed bytes give `None`, which the serde side reports as an
//! error. Page and worker are the same build, so there is no versioning.

use serde::de::{Error, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::protocol::*;

/// Reads values back from a byte string.
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.bytes.split_first()?;
        self.bytes = rest;
        Some(b)
    }

    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if n > self.bytes.len() {
            return None;
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Some(head)
    }
}

/// A value that can cross the worker boundary.
pub trait Wire: Sized {
    fn put(&self, out: &mut Vec<u8>);
    fn get(r: &mut Reader) -> Option<Self>;
}

/// `value` as bytes.
pub fn encode<T: Wire>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    value.put(&mut out);
    out
}

/// The value in `bytes`; `None` when they are malformed or not all used.
pub fn decode<T: Wire>(bytes: &[u8]) -> Option<T> {
    let mut r = Reader { bytes };
    let v = T::get(&mut r)?;
    r.bytes.is_empty().then_some(v)
}

impl Wire for u64 {
    fn put(&self, out: &mut Vec<u8>) {
        let mut v = *self;
        loop {
            let low = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(low);
                return;
            }
            out.push(low | 0x80);
        }
    }
    fn get(r: &mut Reader) -> Option<Self> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = r.byte()?;
            v |= u64::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
}

impl Wire for u32 {
    fn put(&self, out: &mut Vec<u8>) {
        u64::from(*self).put(out);
    }
    fn get(r: &mut Reader) -> Option<Self> {
        u32::try_from(u64::get(r)?).ok()
    }
}

impl Wire for bool {
    fn put(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
    fn get(r: &mut Reader) -> Option<Self> {
        match r.byte()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
}

/// A collection or string length, checked against the bytes left (each element takes at
/// least one byte), so a corrupt length cannot make the reader allocate.
fn len(r: &mut Reader) -> Option<usize> {
    usize::try_from(u64::get(r)?)
        .ok()
        .filter(|&n| n <= r.bytes.len())
}

impl Wire for String {
    fn put(&self, out: &mut Vec<u8>) {
        (self.len() as u64).put(out);
        out.extend_from_slice(self.as_bytes());
    }
    fn get(r: &mut Reader) -> Option<Self> {
        let n = len(r)?;
        String::from_utf8(r.take(n)?.to_vec()).ok()
    }
}

impl<T: Wire> Wire for Option<T> {
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            None => out.push(0),
            Some(v) => {
                out.push(1);
                v.put(out);
            }
        }
    }
    fn get(r: &mut Reader) -> Option<Self> {
        match r.byte()? {
            0 => Some(None),
            1 => Some(Some(T::get(r)?)),
            _ => None,
        }
    }
}

impl<T: Wire> Wire for Vec<T> {
    fn put(&self, out: &mut Vec<u8>) {
        (self.len() as u64).put(out);
        for v in self {
            v.put(out);
        }
    }
    fn get(r: &mut Reader) -> Option<Self> {
        let n = len(r)?;
        // `n` is at most the bytes left, but an element may be far larger than a byte: grow
        // as elements actually decode rather than reserving `n` of them up front.
        let mut v = Vec::with_capacity(n.min(64));
        for _ in 0..n {
            v.push(T::get(r)?);
        }
        Some(v)
    }
}

impl<A: Wire, B: Wire> Wire for (A, B) {
    fn put(&self, out: &mut Vec<u8>) {
        self.0.put(out);
        self.1.put(out);
    }
    fn get(r: &mut Reader) -> Option<Self> {
        Some((A::get(r)?, B::get(r)?))
    }
}

impl<T: Wire, E: Wire> Wire for Result<T, E> {
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            Ok(v) => {
                out.push(0);
                v.put(out);
            }
            Err(e) => {
                out.push(1);
                e.put(out);
            }
        }
    }
    fn get(r: &mut Reader) -> Option<Self> {
        match r.byte()? {
            0 => Some(Ok(T::get(r)?)),
            1 => Some(Err(E::get(r)?)),
            _ => None,
        }
    }
}

/// A struct as its fields in order. Naming every field is enforced by the struct literal.
macro_rules! wire_struct {
    ($($t:ident { $($f:ident),* $(,)? })*) => {$(
        impl Wire for $t {
            fn put(&self, out: &mut Vec<u8>) {
                $( self.$f.put(out); )*
            }
            fn get(r: &mut Reader) -> Option<Self> {
                Some($t { $( $f: Wire::get(r)?, )* })
            }
        }
    )*};
}

/// A field-less enum as one tag byte, in the order listed.
macro_rules! wire_tags {
    ($($t:ident [$($v:ident),* $(,)?])*) => {$(
        impl Wire for $t {
            fn put(&self, out: &mut Vec<u8>) {
                let all = [$($t::$v),*];
                out.push(all.iter().position(|v| v == self).unwrap_or(0) as u8);
            }
            fn get(r: &mut Reader) -> Option<Self> {
                [$($t::$v),*].get(usize::from(r.byte()?)).copied()
            }
        }
    )*};
}

wire_tags! {
    EventKind [Call, Return, Property, Timer, Note]
    MarkerKind [Call, Report, Timer, Warning]
}

wire_struct! {
    InputError { line, col, message }
    Window { start, count }
    FrameRequest { run, step, diagram, follow, table }
    Lifeline { name, label, transport }
    Marker { seq, kind }
    WarningItem { seq, code, text }
    Summary {
        run, title, description, lifelines, total, diagram_rows, table_rows, recipients,
        messages, markers, warnings, end_time, end_reason, end_text, walk, cost,
    }
    RunCost { load_us, memory_bytes }
    WalkStop { seq, title, text }
    EventLine { seq, time, depth, kind, from, to, method, from_lane, to_lane, label, warned }
    Activation { lane, depth, from_row, to_row, open }
    MessageLine {
        index, id, subject, state, status, locked, in_queue, flags, retry_at, recipients,
        changed,
    }
    RecipientLine {
        message, index, name, address, addr_type, recipient_type, candidates, offered,
        responsibility, status, state, report, reason, diag, text, why, changed,
    }
    StatusLine { transport, logged_on, outbound_enabled, status, in_flight, deferred, changed }
    Frame {
        run, step, time, current, current_row, diagram_rows, diagram_window, diagram,
        activations, table_window, table, queue, queue_total, messages, status, counts,
    }
    Field { name, value }
    ResponsibilityChange { index, name, before, after }
    Details { run, seq, title, fields, responsibility, reports, explained }
    Explained { name, text, reference, section }
}

impl Wire for DiagramItem {
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            DiagramItem::Gap { row, label } => {
                out.push(0);
                row.put(out);
                label.put(out);
            }
            DiagramItem::Event { row, event } => {
                out.push(1);
                row.put(out);
                event.put(out);
            }
        }
    }
    fn get(r: &mut Reader) -> Option<Self> {
        match r.byte()? {
            0 => Some(DiagramItem::Gap {
                row: Wire::get(r)?,
                label: Wire::get(r)?,
            }),
            1 => Some(DiagramItem::Event {
                row: Wire::get(r)?,
                event: Wire::get(r)?,
            }),
            _ => None,
        }
    }
}

impl Wire for TableRow {
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            TableRow::Message(m) => {
                out.push(0);
                m.put(out);
            }
            TableRow::Recipient(rc) => {
                out.push(1);
                rc.put(out);
            }
        }
    }
    fn get(r: &mut Reader) -> Option<Self> {
        match r.byte()? {
            0 => Some(TableRow::Message(Wire::get(r)?)),
            1 => Some(TableRow::Recipient(Wire::get(r)?)),
            _ => None,
        }
    }
}

impl Wire for ExportKind {
    fn put(&self, out: &mut Vec<u8>) {
        out.push(*self as u8);
    }
    fn get(r: &mut Reader) -> Option<Self> {
        ExportKind::ALL.get(usize::from(r.byte()?)).copied()
    }
}

impl Wire for Request {
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            Request::Load { run, text } => {
                out.push(0);
                run.put(out);
                text.put(out);
            }
            Request::Frame(f) => {
                out.push(1);
                f.put(out);
            }
            Request::Details { run, seq } => {
                out.push(2);
                run.put(out);
                seq.put(out);
            }
            Request::Export { run, kind } => {
                out.push(3);
                run.put(out);
                kind.put(out);
            }
        }
    }
    fn get(r: &mut Reader) -> Option<Self> {
        match r.byte()? {
            0 => Some(Request::Load {
                run: Wire::get(r)?,
                text: Wire::get(r)?,
            }),
            1 => Some(Request::Frame(Wire::get(r)?)),
            2 => Some(Request::Details {
                run: Wire::get(r)?,
                seq: Wire::get(r)?,
            }),
            3 => Some(Request::Export {
                run: Wire::get(r)?,
                kind: Wire::get(r)?,
            }),
            _ => None,
        }
    }
}

impl Wire for Response {
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            Response::Loaded { run, result } => {
                out.push(0);
                run.put(out);
                result.put(out);
            }
            Response::Frame(f) => {
                out.push(1);
                f.put(out);
            }
            Response::Details(d) => {
                out.push(2);
                d.put(out);
            }
            Response::Export { run, kind, text } => {
                out.push(3);
                run.put(out);
                kind.put(out);
                text.put(out);
            }
        }
    }
    fn get(r: &mut Reader) -> Option<Self> {
        match r.byte()? {
            0 => Some(Response::Loaded {
                run: Wire::get(r)?,
                result: Wire::get(r)?,
            }),
            1 => Some(Response::Frame(Wire::get(r)?)),
            2 => Some(Response::Details(Wire::get(r)?)),
            3 => Some(Response::Export {
                run: Wire::get(r)?,
                kind: Wire::get(r)?,
                text: Wire::get(r)?,
            }),
            _ => None,
        }
    }
}

/// serde sees a [`Request`] or [`Response`] as one byte string.
macro_rules! serde_as_bytes {
    ($($t:ident)*) => {$(
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(&encode(self))
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let bytes = d.deserialize_byte_buf(BytesVisitor)?;
                decode(&bytes).ok_or_else(|| {
                    D::Error::custom(concat!("malformed ", stringify!($t), " from the other side"))
                })
            }
        }
    )*};
}

serde_as_bytes!(Request Response);

struct BytesVisitor;

impl<'de> Visitor<'de> for BytesVisitor {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a byte string")
    }

    fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        Ok(v.to_vec())
    }

    fn visit_byte_buf<E: Error>(self, v: Vec<u8>) -> Result<Self::Value, E> {
        Ok(v)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(b) = seq.next_element::<u8>()? {
            out.push(b);
        }
        Ok(out)
    }
}
