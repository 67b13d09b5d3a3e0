//! Share links (links §1–§4): `#v=2&s=SCENARIO&h=HASH&t=RECORDED&step=…`, read and written by
//! `spoolscope_contract::link`; the two compressed parts are raw DEFLATE in base64url. The
//! browser does the (de)compression (`CompressionStream("deflate-raw")`), so the page's wasm
//! carries no compressor.
//!
//! Decoding is strict: a link that is malformed, of a newer format, not base64url, not valid
//! DEFLATE, not UTF-8 or over 64 KiB decoded is an error with a reason, which the page shows
//! as a notice while it opens the saved scenario instead (contract §5, links §4).

use js_sys::{Array, Reflect, Uint8Array};
use spoolscope_contract::link::{self, LinkError, View};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, ReadableStream, ReadableStreamDefaultReader, ReadableWritablePair};

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

/// Why a stream did not give its bytes.
enum Through {
    /// More than the limit: the stream was cancelled there (a DEFLATE bomb stops early).
    TooBig,
    /// The input is not valid DEFLATE.
    Damaged,
    /// The browser lacks something, in words.
    Browser(String),
}

/// Runs `bytes` through `class` ("CompressionStream" or "DecompressionStream"), keeping at most
/// `limit` bytes of output.
async fn through(class: &str, bytes: &[u8], limit: usize) -> Result<Vec<u8>, Through> {
    let output = stream_of(bytes)
        .and_then(|s| Ok(s.pipe_through(&transform(class)?)))
        .map_err(Through::Browser)?;
    let reader: ReadableStreamDefaultReader = output.get_reader().unchecked_into();
    let mut out = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|_| Through::Damaged)?;
        if get(&chunk, "done").map_err(Through::Browser)?.is_truthy() {
            return Ok(out);
        }
        let value = Uint8Array::new(&get(&chunk, "value").map_err(Through::Browser)?);
        if out.len() + value.length() as usize > limit {
            let _ = reader.cancel();
            return Err(Through::TooBig);
        }
        out.extend_from_slice(&value.to_vec());
    }
}

/// A link opened from an address: its scenario text and what it recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct Opened {
    pub text: String,
    /// 1 or `link::FORMAT`.
    pub format: u32,
    /// The trace hash recorded with the link.
    pub hash: Option<String>,
    /// The recorded trace lines (links §3).
    pub recorded: Option<String>,
    pub view: View,
}

/// Inflates one compressed part, at most the link limit (links §2).
async fn inflate(bytes: &[u8], key: &'static str) -> Result<String, String> {
    let raw = through("DecompressionStream", bytes, link::MAX_DECODED_BYTES)
        .await
        .map_err(|e| match e {
            Through::TooBig => LinkError::TooBig(key).to_string(),
            Through::Damaged => LinkError::Damaged(key).to_string(),
            Through::Browser(why) => why,
        })?;
    link::text_of(raw, key).map_err(|e| e.to_string())
}

/// Reads a location hash: `Ok(None)` when it is no link (no `s=`), else the link opened, or
/// why it cannot be.
pub async fn open(hash: &str) -> Result<Option<Opened>, String> {
    let Some(f) = link::parse(hash).map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let text = inflate(&f.scenario, "s").await?;
    let recorded = match &f.recorded {
        Some(t) => Some(inflate(t, "t").await?),
        None => None,
    };
    Ok(Some(Opened {
        text,
        format: f.format,
        hash: f.hash,
        recorded,
        view: f.view,
    }))
}

/// True when a location hash is a link (it names a scenario with `s=`).
pub fn is_link(hash: &str) -> bool {
    hash.trim_start_matches('#')
        .split('&')
        .any(|kv| kv.starts_with("s="))
}

/// A format 2 fragment (without `#`) for `text`, with `record` (the worker's
/// `ExportKind::Record`: hash, newline, recorded lines) when the text ran.
pub async fn make(text: &str, record: Option<&str>, view: &View) -> Result<String, String> {
    let scenario = deflate(text).await?;
    let (hash, lines) = match record {
        Some(r) => match r.split_once('\n') {
            Some((h, lines)) => (Some(h), Some(lines)),
            None => (Some(r), None),
        },
        None => (None, None),
    };
    let recorded = match lines {
        Some(l) => Some(deflate(l).await?),
        None => None,
    };
    Ok(link::format(&scenario, hash, recorded.as_deref(), view))
}

async fn deflate(text: &str) -> Result<Vec<u8>, String> {
    through("CompressionStream", text.as_bytes(), usize::MAX)
        .await
        .map_err(|e| match e {
            Through::Browser(why) => why,
            _ => "the browser could not compress it".to_string(),
        })
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

/// Saves `text` as a file called `name` (a download the browser asks nothing about).
pub fn download(name: &str, media_type: &str, text: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(media_type);
    let parts = Array::of1(&JsValue::from_str(text));
    let Ok(blob) = Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Ok(a) = document.create_element("a") {
        let _ = a.set_attribute("href", &url);
        let _ = a.set_attribute("download", name);
        if let Some(a) = a.dyn_ref::<web_sys::HtmlElement>() {
            a.click();
        }
    }
    // The download has its own reference to the blob by now.
    let revoke = url.clone();
    gloo_timers::callback::Timeout::new(10_000, move || {
        let _ = web_sys::Url::revoke_object_url(&revoke);
    })
    .forget();
}

/// The iframe of links §5 for `fragment` on the page at `page`.
pub fn embed_snippet(page: &str, fragment: &str, title: &str) -> String {
    let title: String = title
        .chars()
        .filter(|c| !c.is_control())
        .flat_map(|c| match c {
            '&' => "&amp;".chars().collect::<Vec<_>>(),
            '<' => "&lt;".chars().collect(),
            '>' => "&gt;".chars().collect(),
            '"' => "&quot;".chars().collect(),
            c => vec![c],
        })
        .collect();
    let base = page.split('?').next().unwrap_or(page);
    format!(
        "<iframe src=\"{base}?embed=1#{}\" width=\"800\" height=\"500\" title=\"Spoolscope: {title}\" loading=\"lazy\" style=\"border:0\"></iframe>",
        fragment.replace('&', "&amp;")
    )
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
    use super::{embed_snippet, is_link};

    #[test]
    fn an_embed_snippet_escapes_its_title_and_ampersands() {
        let s = embed_snippet("http://h/p/?x=1", "v=2&s=AQ", "<b>\"x\" & y</b>\n");
        assert_eq!(
            s,
            "<iframe src=\"http://h/p/?embed=1#v=2&amp;s=AQ\" width=\"800\" height=\"500\" title=\"Spoolscope: &lt;b&gt;&quot;x&quot; &amp; y&lt;/b&gt;\" loading=\"lazy\" style=\"border:0\"></iframe>"
        );
    }

    #[test]
    fn links_are_told_from_other_fragments() {
        assert!(is_link("#s=abc-_"));
        assert!(is_link("#v=2&s=xyz&step=3"));
        assert!(!is_link("#preset=seed"));
        assert!(!is_link(""));
    }
}
