//! Share links: `#s=PAYLOAD`, where PAYLOAD is the scenario text compressed with raw DEFLATE
//! and written in base64url without padding. The browser does the compression
//! (`CompressionStream("deflate-raw")`), so the page's wasm carries no compressor.
//!
//! Decoding is strict: a payload that is not base64url, not valid DEFLATE, not UTF-8 or
//! larger than the scenario size limit is an error with a reason, which the page shows as a
//! notice while it opens the saved scenario instead (contract §5).

use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, ReadableStream, ReadableStreamDefaultReader, ReadableWritablePair};

/// The largest scenario a link may carry: the scenario file limit (contract §5, 4 MiB).
pub const MAX_TEXT_BYTES: usize = 4 * 1024 * 1024;

// No JavaScript file of our own (it would be one more module for the page to fetch before it
// starts): the browser's objects are reached through js-sys and web-sys. CompressionStream and
// the Clipboard API are behind web-sys's unstable flag, hence the look-ups by name.

fn get(target: &JsValue, key: &str) -> Result<JsValue, String> {
    Reflect::get(target, &JsValue::from_str(key)).map_err(|_| format!("the browser has no {key}"))
}

/// `new CompressionStream(format)` or `new DecompressionStream(format)`, as a stream pair.
fn transform(class: &str) -> Result<ReadableWritablePair, String> {
    let constructor = get(&js_sys::global(), class)?
        .dyn_into::<js_sys::Function>()
        .map_err(|_| format!("this browser has no {class}"))?;
    Reflect::construct(&constructor, &Array::of1(&JsValue::from_str("deflate-raw")))
        .map(|pair| pair.unchecked_into())
        .map_err(|_| format!("this browser's {class} has no raw DEFLATE"))
}

fn stream_of(bytes: &[u8]) -> Result<ReadableStream, String> {
    let parts = Array::of1(&Uint8Array::from(bytes));
    Blob::new_with_u8_array_sequence(&parts)
        .map(|blob| blob.stream())
        .map_err(|_| "the browser could not read it".to_string())
}

/// Runs `bytes` through `class` ("CompressionStream" or "DecompressionStream"), keeping at most
/// `limit` bytes of output.
async fn through(class: &str, bytes: &[u8], limit: usize) -> Result<Vec<u8>, String> {
    let damaged = || "its compressed data is damaged or cut short".to_string();
    let output = stream_of(bytes)?.pipe_through(&transform(class)?);
    let reader: ReadableStreamDefaultReader = output.get_reader().unchecked_into();
    let mut out = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(|_| damaged())?;
        if get(&chunk, "done")?.is_truthy() {
            return Ok(out);
        }
        let value = Uint8Array::new(&get(&chunk, "value")?);
        if out.len() + value.length() as usize > limit {
            let _ = reader.cancel();
            return Err(format!("it holds more than {} MiB", limit >> 20));
        }
        out.extend_from_slice(&value.to_vec());
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding.
fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(B64[(n >> (18 - 6 * i)) as usize & 63]));
        }
    }
    out
}

/// base64url with or without padding; `None` for anything else.
fn decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = B64.iter().position(|&b| b == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    // A single leftover character cannot hold a byte.
    (text.len() % 4 != 1).then_some(out)
}

/// The payload of a share link in a location hash (`#s=…`, possibly among other `&` parts).
pub fn payload_in_hash(hash: &str) -> Option<&str> {
    hash.trim_start_matches('#')
        .split('&')
        .find_map(|kv| kv.strip_prefix("s="))
}

/// The payload for `text`.
pub async fn pack(text: &str) -> Result<String, String> {
    let deflated = through("CompressionStream", text.as_bytes(), usize::MAX).await?;
    Ok(encode(&deflated))
}

/// The text of a payload, or why it cannot be read.
pub async fn unpack(payload: &str) -> Result<String, String> {
    if !payload
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    {
        return Err("it has characters that base64url does not use".to_string());
    }
    let deflated = decode(payload).ok_or_else(|| "it is not base64url".to_string())?;
    let text = through("DecompressionStream", &deflated, MAX_TEXT_BYTES).await?;
    String::from_utf8(text).map_err(|_| "its text is not UTF-8".to_string())
}

/// Puts `text` on the clipboard; false when the browser refuses (no permission, an insecure
/// page).
pub async fn copy(text: &str) -> bool {
    let Ok(clipboard) = get(&js_sys::global(), "navigator").and_then(|n| get(&n, "clipboard"))
    else {
        return false;
    };
    let Ok(write) = get(&clipboard, "writeText")
        .and_then(|f| f.dyn_into::<js_sys::Function>().map_err(|_| String::new()))
    else {
        return false;
    };
    match write.call1(&clipboard, &JsValue::from_str(text)) {
        Ok(promise) => JsFuture::from(js_sys::Promise::from(promise)).await.is_ok(),
        Err(_) => false,
    }
}

/// This page's address without its hash.
pub fn page_address() -> String {
    let Some(location) = web_sys::window().map(|w| w.location()) else {
        return String::new();
    };
    let href = location.href().unwrap_or_default();
    match href.find('#') {
        Some(i) => href[..i].to_string(),
        None => href,
    }
}

/// Replaces the address's hash (`""` removes it) without a navigation or a history entry.
pub fn set_hash(hash: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    if let Ok(history) = window.history() {
        let url = format!("{}{hash}", page_address());
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url));
    }
}

#[cfg(test)]
mod tests {
    use super::{decode, encode, payload_in_hash};

    #[test]
    fn base64url_round_trips_every_length() {
        let data: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
        for n in 0..data.len() {
            let text = encode(&data[..n]);
            assert!(text
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
            assert_eq!(text.len(), (n * 4).div_ceil(3), "no padding");
            assert_eq!(decode(&text).as_deref(), Some(&data[..n]), "{n} bytes");
        }
        assert_eq!(encode(b"\xfb\xff"), "-_8");
        assert_eq!(
            decode("-_8="),
            Some(vec![0xfb, 0xff]),
            "padding is accepted"
        );
        assert_eq!(decode("A"), None, "one leftover character");
        assert_eq!(decode("A+B/"), None, "base64 but not base64url");
    }

    #[test]
    fn the_payload_is_found_among_other_parts() {
        assert_eq!(payload_in_hash("#s=abc-_"), Some("abc-_"));
        assert_eq!(payload_in_hash("#preset=seed&s=xyz"), Some("xyz"));
        assert_eq!(payload_in_hash("#preset=seed"), None);
        assert_eq!(payload_in_hash(""), None);
    }
}
