//! The page's one seam for the browser tests and the benchmark (web/tests/README.md, "The
//! test hook"). Nothing here changes what the page does unless a test set it up before the
//! page's script ran; no click, key, link or stored value reaches it.
//!
//! * Out: `window.__spoolscope`, what the page shows, written after every render (`ready`,
//!   `step`, `total`, `preset`, `title`, `playing`, `errorLine`, and the worker's `loadUs` and
//!   `memoryBytes` for the run on screen). The page never reads it.
//! * In: `window.__spoolscopeTestHook`, an object a test puts there with `addInitScript`:
//!   `{ watchdogMs, workerDelayMs }` (milliseconds, each clamped to 0.1–600 s) shorten or
//!   lengthen the worker watchdog (`link.rs`) and the delay before the first worker starts
//!   (`app.rs`). Absent (as for every user), the defaults hold.

use wasm_bindgen::JsValue;

/// The global a test sets before the page's script runs.
pub const HOOK: &str = "__spoolscopeTestHook";

/// `window.__spoolscopeTestHook[key]` in milliseconds (clamped to 0.1–600 s), else `default`.
pub fn setting_ms(key: &str, default: u32) -> u32 {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &JsValue::from_str(HOOK)).ok())
        .filter(|hook| hook.is_object())
        .and_then(|hook| js_sys::Reflect::get(&hook, &JsValue::from_str(key)).ok())
        .and_then(|v| v.as_f64())
        .map_or(default, |v| v.clamp(100.0, 600_000.0) as u32)
}

/// The page's status for the browser tests and the benchmark (`window.__spoolscope`).
pub struct Published {
    pub ready: bool,
    pub step: u64,
    pub total: u64,
    pub preset: String,
    pub title: String,
    pub playing: bool,
    pub error: Option<u32>,
    /// What the run on screen cost its worker (zeros for the page's own opening run).
    pub cost: spoolscope_playground::protocol::RunCost,
}

/// Sets `window.__spoolscope = { ready, step, total, preset, title, playing, errorLine,
/// loadUs, memoryBytes }`.
pub fn publish(p: &Published) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let o = js_sys::Object::new();
    let set = |k: &str, v: JsValue| {
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str(k), &v);
    };
    set("ready", JsValue::from_bool(p.ready));
    set("step", JsValue::from_f64(p.step as f64));
    set("total", JsValue::from_f64(p.total as f64));
    set("preset", JsValue::from_str(&p.preset));
    set("title", JsValue::from_str(&p.title));
    set("playing", JsValue::from_bool(p.playing));
    set(
        "errorLine",
        p.error
            .map(|l| JsValue::from_f64(f64::from(l)))
            .unwrap_or(JsValue::NULL),
    );
    set("loadUs", JsValue::from_f64(p.cost.load_us as f64));
    set("memoryBytes", JsValue::from_f64(p.cost.memory_bytes as f64));
    let _ = js_sys::Reflect::set(&window, &JsValue::from_str("__spoolscope"), &o);
}
