//! The Spoolscope playground page (Yew, client-side rendering) and its Web Worker.
//!
//! Two binaries share this library: `spoolscope-web` mounts [`app::App`]; `spoolscope-worker`
//! registers [`worker::EngineWorker`], which runs the engine. The page never runs the engine
//! itself: it sends commands and paints the frames the worker sends back (see
//! `spoolscope_playground::protocol`), so a long or hostile script cannot freeze it.
//!
//! Layout: `state.rs` is the one store (data, actions, reducer; no HTML); `app.rs` owns it
//! and runs the effects (worker link, timers, keyboard, persistence); `components/` holds
//! one presentational component per file; `link.rs` is the page's end of the worker
//! connection. The crate also compiles natively, so `cargo clippy --workspace` and the
//! reducer's unit tests run without a browser.

pub mod app;
pub mod components;
pub mod link;
pub mod state;
pub mod worker;

/// Starts the worker on the opening scenario, then mounts the page into `<div id="app">`
/// (or into `<body>` when there is none). The worker downloads, compiles and runs while
/// the page renders; the page picks up its answer when it is mounted.
pub fn start() {
    let opening = app::initial_state();
    let link = link::Link::shared();
    link::Link::start(&link);
    link.borrow_mut().load(opening.text_version, opening.text);
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"));
    match root {
        Some(root) => {
            yew::Renderer::<app::App>::with_root(root).render();
        }
        None => {
            yew::Renderer::<app::App>::new().render();
        }
    }
}
