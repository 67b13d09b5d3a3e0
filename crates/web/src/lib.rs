//! The Spoolscope playground page (Yew, client-side rendering) and its Web Worker.
//!
//! One binary, `spoolscope-web`, is both: on a window its `main` mounts [`app::App`]; in the
//! Web Worker that the page starts on the same wasm file (one download, see `link.rs`) it
//! registers [`worker::EngineWorker`], which runs the engine. The page sends commands and paints
//! the frames the worker sends back (see `spoolscope_playground::protocol`), so a long or
//! hostile script cannot freeze it. The one exception is the opening run of a small built-in
//! preset, which the page runs itself while the worker starts (`link.rs`, `Link::load`).
//!
//! Layout: `state.rs` is the one store (data, actions, reducer; no HTML); `app.rs` owns it
//! and runs the effects (worker link, timers, keyboard, persistence); `components/` holds
//! one presentational component per file; `link.rs` is the page's end of the worker
//! connection. The crate also compiles natively, so `cargo clippy --workspace` and the
//! reducer's unit tests run without a browser.

pub mod app;
pub mod components;
pub mod embed;
pub mod link;
pub mod share;
pub mod state;
pub mod test_hook;
pub mod worker;

/// The module's entry point: the page on a window, the engine worker anywhere else.
pub fn main() {
    if web_sys::window().is_some() {
        start();
    } else {
        use gloo_worker::Registrable;
        worker::EngineWorker::registrar().register();
    }
}

/// Asks for the opening run (answered on the page for a small built-in preset, otherwise by
/// the worker, which then starts at once), then mounts the page into `<div id="app">` (or
/// into `<body>` when there is none). When the page answered the opening run itself, its
/// answers are folded into the opening state, so that the first render already shows the
/// run (one render instead of three before the page is ready).
pub fn start() {
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    let embed = app::embed_requested();
    if share::is_link(&hash) {
        // A share link: the browser decompresses it asynchronously (a few milliseconds).
        wasm_bindgen_futures::spawn_local(async move {
            let mut state = app::shared_state(share::open(&hash).await);
            state.embed = embed;
            open(state);
        });
    } else {
        let mut state = app::initial_state();
        state.embed = embed;
        open(state);
    }
}

/// Runs `state`'s text (see [`start`]) and mounts the page on it.
fn open(state: state::AppState) {
    let mut state = std::rc::Rc::new(state);
    {
        let link = link::Link::shared();
        let mut link = link.borrow_mut();
        link.load(state.text_version, state.text.clone());
        // Loaded, then the frame it makes the page ask for: two rounds at most.
        for _ in 0..2 {
            let answers = link.take_answers();
            if answers.is_empty() {
                break;
            }
            for response in answers {
                state = yew::Reducible::reduce(state, app::action_of(response));
            }
            if let Some(request) = state.frame_request() {
                link.frame(request);
            }
        }
    }
    app::set_opening_state(std::rc::Rc::unwrap_or_clone(state));
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
