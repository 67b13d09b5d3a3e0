//! The Web Worker that runs the engine (binary `spoolscope-worker`).
//!
//! It owns one [`Session`] and answers the page's requests in order. Running a scenario can
//! take a while (a 10,000-recipient run, or a hostile script that is stopped only by the
//! script host's operation limits); meanwhile the page stays responsive because none of this
//! runs on its thread.

use gloo_worker::{HandlerId, Worker, WorkerScope};
use spoolscope_playground::protocol::{Request, Response};
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
        if let Some(response) = self.session.handle(request) {
            scope.respond(id, response);
        }
    }
}
