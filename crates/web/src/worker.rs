//! The Web Worker that runs the engine (binary `spoolscope-worker`).
//!
//! It owns one [`Session`] and answers the page's requests in order. Running a scenario can
//! take a while (a 10,000-recipient run, or a hostile script that is stopped only by the
//! script host's operation limits); meanwhile the page stays responsive because none of this
//! runs on its thread.

use gloo_worker::{HandlerId, Worker, WorkerScope};
use spoolscope_playground::protocol::{Request, Response, RunCost};
use spoolscope_playground::session::Session;

/// The worker's state.
pub struct EngineWorker {
    session: Session,
}

impl Worker for EngineWorker {
    type Message = ();
    type Input = Request;
    type Output = Response;

    fn create(_scope: &WorkerScope<Self>) -> Self {
        EngineWorker {
            session: Session::new(),
        }
    }

    fn update(&mut self, _scope: &WorkerScope<Self>, _msg: Self::Message) {}

    fn received(&mut self, scope: &WorkerScope<Self>, request: Request, id: HandlerId) {
        // Only a load is timed: frames (every step) skip the clock.
        let started = matches!(request, Request::Load { .. }).then(js_sys::Date::now);
        let mut response = self.session.handle(request);
        // What a load cost here, for the browser benchmark (`RunCost`).
        if let (
            Some(started),
            Some(Response::Loaded {
                result: Ok(summary),
                ..
            }),
        ) = (started, &mut response)
        {
            summary.cost = RunCost {
                load_us: ((js_sys::Date::now() - started).max(0.0) * 1000.0) as u64,
                memory_bytes: wasm_memory_bytes(),
            };
        }
        if let Some(response) = response {
            scope.respond(id, response);
        }
    }
}

/// The size of this worker's wasm linear memory.
fn wasm_memory_bytes() -> u64 {
    use wasm_bindgen::JsCast;
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map(|m| js_sys::ArrayBuffer::from(m.buffer()).byte_length() as u64)
        .unwrap_or(0)
}
