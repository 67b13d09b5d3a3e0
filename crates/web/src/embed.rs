//! The embed's postMessage API (links §5): commands from the embedding page in, events out.
//!
//! Every message crosses as a plain object. Incoming data is read with serde-wasm-bindgen
//! into [`Incoming`] and then checked field by field ([`command`]); events are written with
//! serde-wasm-bindgen from [`Outgoing`] (the `step` event's `event` is the trace event as
//! contract §4 JSON, parsed by the browser from the worker's export). Commands are taken
//! from the embedding window only, and from `origin=` alone when the embed's address names
//! one; nothing a message carries is ever run on the page or shown as markup: a `load` goes
//! through the same path as a link in the address, to the worker.

use serde::{Deserialize, Serialize};
use spoolscope_contract::link::{self, MAX_DECODED_BYTES, MAX_FRAGMENT_CHARS};
use wasm_bindgen::{JsCast, JsValue};

/// A command from the embedding page, checked.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Run this scenario text.
    LoadText(String),
    /// Open this link (its fragment, `#` left off).
    LoadLink(String),
    Seek(u64),
    Play,
    Pause,
}

/// What a message may hold; unknown fields are ignored (links §5).
#[derive(Deserialize, Default)]
struct Incoming {
    #[serde(rename = "type")]
    kind: Option<String>,
    text: Option<String>,
    link: Option<String>,
    step: Option<f64>,
}

/// An event for the embedding page (links §5).
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Outgoing<'a> {
    Ready {
        total: u64,
        step: u64,
        title: &'a str,
        hash: &'a str,
    },
    /// `event` is added by [`post`] (the contract JSON of the step's trace event, or null).
    Step { step: u64, total: u64 },
    Error {
        message: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        line: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        col: Option<u32>,
    },
}

/// Reads a message's data as a command, or says why it is not one.
pub fn command(data: &JsValue) -> Result<Command, String> {
    if !data.is_object() || js_sys::Array::is_array(data) {
        return Err("a message must be an object with a string `type`".into());
    }
    let m: Incoming = serde_wasm_bindgen::from_value(data.clone()).map_err(|_| {
        "a message's `type`, `text` and `link` must be strings and `step` a number".to_string()
    })?;
    check(m)
}

fn check(m: Incoming) -> Result<Command, String> {
    let kind = m.kind.ok_or("a message must have a string `type`")?;
    match kind.as_str() {
        "load" => match (m.text, m.link) {
            (Some(text), None) if text.len() <= MAX_DECODED_BYTES => Ok(Command::LoadText(text)),
            (Some(_), None) => Err(format!(
                "`load`: the text is over {} KiB",
                MAX_DECODED_BYTES / 1024
            )),
            (None, Some(l)) if l.len() <= MAX_FRAGMENT_CHARS => {
                let fragment = l.split_once('#').map_or(l.as_str(), |(_, f)| f);
                Ok(Command::LoadLink(fragment.to_string()))
            }
            (None, Some(_)) => Err(format!(
                "`load`: the link is over {MAX_FRAGMENT_CHARS} characters"
            )),
            _ => Err("`load` takes `text` or `link` (one of them)".into()),
        },
        "seek" => match m.step {
            Some(n) if n.is_finite() && n >= 0.0 && n.fract() == 0.0 => Ok(Command::Seek(n as u64)),
            _ => Err("`seek` takes `step`, a whole number from 0".into()),
        },
        "play" => Ok(Command::Play),
        "pause" => Ok(Command::Pause),
        other => Err(format!(
            "unknown message type {:?} (load, seek, play, pause)",
            other.chars().take(40).collect::<String>()
        )),
    }
}

/// The origin commands are taken from and events sent to: the `origin=` of the address the
/// embed opened with (links §5), fixed for the page's life (a later `load` cannot change it).
pub fn origin_of_address() -> Option<String> {
    let hash = web_sys::window()?.location().hash().ok()?;
    link::parse(&hash).ok().flatten()?.view.origin
}

/// The window embedding this page, when there is one.
fn parent() -> Option<web_sys::Window> {
    let window = web_sys::window()?;
    let parent = window.parent().ok().flatten()?;
    (!js_sys::Object::is(&parent, &window)).then_some(parent)
}

/// True when the page is in a frame (events have someone to go to).
pub fn embedded() -> bool {
    parent().is_some()
}

/// True when a message event may command the embed: it comes from the embedding window and,
/// when `origin` is set, from that origin.
pub fn trusted(e: &web_sys::MessageEvent, origin: Option<&str>) -> bool {
    let Some(parent) = parent() else {
        return false;
    };
    let from_parent = e
        .source()
        .is_some_and(|s| js_sys::Object::is(s.unchecked_ref(), &parent));
    from_parent && origin.is_none_or(|o| e.origin() == o)
}

/// Posts an event to the embedding window (to `origin` only when set). `event` is set as the
/// `event` field when given (the step event).
pub fn post(message: &Outgoing, event: Option<&JsValue>, origin: Option<&str>) {
    let Some(parent) = parent() else {
        return;
    };
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    let Ok(value) = message.serialize(&serializer) else {
        return;
    };
    if let Some(event) = event {
        let _ = js_sys::Reflect::set(&value, &JsValue::from_str("event"), event);
    }
    let _ = parent.post_message(&value, origin.unwrap_or("*"));
}

/// The trace events of a run's contract JSON, as browser values (for `step` events).
pub fn events_of(json: &str) -> Option<js_sys::Array> {
    let trace = js_sys::JSON::parse(json).ok()?;
    js_sys::Reflect::get(&trace, &JsValue::from_str("events"))
        .ok()?
        .dyn_into()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(kind: &str) -> Incoming {
        Incoming {
            kind: Some(kind.into()),
            ..Incoming::default()
        }
    }

    #[test]
    fn commands_are_checked_field_by_field() {
        assert_eq!(check(m("play")), Ok(Command::Play));
        assert_eq!(check(m("pause")), Ok(Command::Pause));
        let seek = |step: f64| {
            check(Incoming {
                step: Some(step),
                ..m("seek")
            })
        };
        assert_eq!(seek(12.0), Ok(Command::Seek(12)));
        for bad in [-1.0, 1.5, f64::NAN, f64::INFINITY] {
            assert!(seek(bad).is_err(), "{bad}");
        }
        assert!(check(m("seek")).is_err());
        let load = |text: Option<&str>, link: Option<&str>| {
            check(Incoming {
                text: text.map(str::to_string),
                link: link.map(str::to_string),
                ..m("load")
            })
        };
        assert_eq!(load(Some("x"), None), Ok(Command::LoadText("x".into())));
        assert_eq!(
            load(None, Some("https://h/p/?embed=1#v=2&s=AQ")),
            Ok(Command::LoadLink("v=2&s=AQ".into()))
        );
        assert!(load(Some("x"), Some("y")).is_err());
        assert!(load(None, None).is_err());
        let big = "x".repeat(MAX_DECODED_BYTES + 1);
        assert!(load(Some(&big), None).unwrap_err().contains("KiB"));
        assert!(check(Incoming::default()).is_err());
        let unknown = check(m(&"<script>".repeat(20))).unwrap_err();
        assert!(unknown.len() < 100, "{unknown}");
    }
}
