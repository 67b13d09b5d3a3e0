//! Share links: `#s=PAYLOAD`, where PAYLOAD is the scenario text compressed with raw DEFLATE
//! and written in base64url without padding. The browser does the compression
//! (`CompressionStream("deflate-raw")`), so the page's wasm carries no compressor.
//!
//! Decoding is strict: a payload that is not base64url, not valid DEFLATE, not UTF-8 or
//! larger than the scenario size limit is an error with a reason, which the page shows as a
//! notice while it opens the saved scenario instead (contract §5).

use wasm_bindgen::prelude::*;

/// The largest scenario a link may carry: the scenario file limit (contract §5, 4 MiB).
pub const MAX_TEXT_BYTES: u32 = 4 * 1024 * 1024;

#[wasm_bindgen(inline_js = r#"
const toB64url = (bytes) => {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};
export async function spoolscope_pack(text) {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  return toB64url(new Uint8Array(await new Response(stream).arrayBuffer()));
}
export async function spoolscope_unpack(payload, limit) {
  if (!/^[A-Za-z0-9_-]*$/.test(payload)) throw new Error('it has characters that base64url does not use');
  let bin;
  try { bin = atob(payload.replace(/-/g, '+').replace(/_/g, '/')); } catch { throw new Error('it is not base64url'); }
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  const reader = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate-raw')).getReader();
  const parts = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > limit) { reader.cancel(); throw new Error(`it holds more than ${limit >> 20} MiB`); }
      parts.push(value);
    }
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('it holds')) throw e;
    throw new Error('its compressed data is damaged or cut short');
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const p of parts) { all.set(p, at); at += p.length; }
  try { return new TextDecoder('utf-8', { fatal: true }).decode(all); } catch { throw new Error('its text is not UTF-8'); }
}
export async function spoolscope_copy(text) {
  await navigator.clipboard.writeText(text);
}
"#)]
extern "C" {
    #[wasm_bindgen(catch)]
    async fn spoolscope_pack(text: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    async fn spoolscope_unpack(payload: &str, limit: u32) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    async fn spoolscope_copy(text: &str) -> Result<JsValue, JsValue>;
}

/// The payload of a share link in a location hash (`#s=…`, possibly among other `&` parts).
pub fn payload_in_hash(hash: &str) -> Option<&str> {
    hash.trim_start_matches('#')
        .split('&')
        .find_map(|kv| kv.strip_prefix("s="))
}

fn reason(e: JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "the browser could not decompress it".to_string())
}

/// The payload for `text`.
pub async fn pack(text: &str) -> Result<String, String> {
    spoolscope_pack(text)
        .await
        .map_err(reason)?
        .as_string()
        .ok_or_else(|| "the browser returned no text".to_string())
}

/// The text of a payload, or why it cannot be read.
pub async fn unpack(payload: &str) -> Result<String, String> {
    spoolscope_unpack(payload, MAX_TEXT_BYTES)
        .await
        .map_err(reason)?
        .as_string()
        .ok_or_else(|| "the browser returned no text".to_string())
}

/// Puts `text` on the clipboard; false when the browser refuses.
pub async fn copy(text: &str) -> bool {
    spoolscope_copy(text).await.is_ok()
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
    use super::payload_in_hash;

    #[test]
    fn the_payload_is_found_among_other_parts() {
        assert_eq!(payload_in_hash("#s=abc-_"), Some("abc-_"));
        assert_eq!(payload_in_hash("#preset=seed&s=xyz"), Some("xyz"));
        assert_eq!(payload_in_hash("#preset=seed"), None);
        assert_eq!(payload_in_hash(""), None);
    }
}
