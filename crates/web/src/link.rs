//! The page's end of the worker connection: sends requests, at most one load and one frame
//! request at a time, keeping only the newest of each that waits.
//!
//! Coalescing matters when the worker is busy: while it runs a long scenario, typing or
//! scrubbing would otherwise queue up requests it must then work through one by one.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_worker::{Spawnable, WorkerBridge};
use spoolscope_playground::protocol::{FrameRequest, Request, Response, WORKER_PATH};

use crate::worker::EngineWorker;

/// Requests in flight and waiting.
#[derive(Default)]
pub struct Link {
    bridge: Option<WorkerBridge<EngineWorker>>,
    /// Where answers go; until the page sets it, they wait in `pending`.
    handler: Option<Rc<dyn Fn(Response)>>,
    pending: Vec<Response>,
    /// The last run asked for (a second request for it is dropped).
    last_load: Option<u64>,
    load_in_flight: bool,
    queued_load: Option<(u64, String)>,
    frame_in_flight: bool,
    queued_frame: Option<FrameRequest>,
    last_frame: Option<FrameRequest>,
    details_sent: Option<(u64, u64)>,
}

/// A shared link (the worker's callback and the page's effects both use it).
pub type SharedLink = Rc<RefCell<Link>>;

thread_local! {
    /// The page's one link, started before the page is first rendered so that the worker
    /// downloads and compiles while Yew mounts.
    static LINK: SharedLink = Rc::new(RefCell::new(Link::default()));
}

impl Link {
    /// The page's link.
    pub fn shared() -> SharedLink {
        LINK.with(Rc::clone)
    }

    /// Starts the worker (once).
    pub fn start(link: &SharedLink) {
        if link.borrow().bridge.is_some() {
            return;
        }
        let weak = Rc::downgrade(link);
        let bridge = EngineWorker::spawner()
            .as_module(false)
            .callback(move |response: Response| {
                let Some(link) = weak.upgrade() else {
                    return;
                };
                let handler = {
                    let mut l = link.borrow_mut();
                    l.answered(&response);
                    match l.handler.clone() {
                        Some(h) => h,
                        None => {
                            l.pending.push(response);
                            return;
                        }
                    }
                };
                handler(response);
            })
            .spawn(WORKER_PATH);
        link.borrow_mut().bridge = Some(bridge);
    }

    /// Where answers go from now on; answers that arrived before are delivered at once.
    pub fn set_handler(link: &SharedLink, handler: impl Fn(Response) + 'static) {
        let handler: Rc<dyn Fn(Response)> = Rc::new(handler);
        let pending = {
            let mut l = link.borrow_mut();
            l.handler = Some(handler.clone());
            std::mem::take(&mut l.pending)
        };
        for response in pending {
            handler(response);
        }
    }

    fn send(&self, request: Request) {
        if let Some(b) = &self.bridge {
            b.send(request);
        }
    }

    /// Runs `text` as run `run` (after the load in flight, if any; replacing any waiting one).
    pub fn load(&mut self, run: u64, text: String) {
        if self.last_load == Some(run) {
            return;
        }
        self.last_load = Some(run);
        if self.load_in_flight {
            self.queued_load = Some((run, text));
        } else {
            self.load_in_flight = true;
            self.send(Request::Load { run, text });
        }
    }

    /// Asks for a frame, unless it is the one last asked for.
    pub fn frame(&mut self, request: FrameRequest) {
        if self.last_frame == Some(request) && self.queued_frame.is_none() {
            return;
        }
        if self.frame_in_flight {
            self.queued_frame = Some(request);
        } else {
            self.frame_in_flight = true;
            self.last_frame = Some(request);
            self.send(Request::Frame(request));
        }
    }

    /// Asks for the details of one event.
    pub fn details(&mut self, run: u64, seq: u64) {
        if self.details_sent != Some((run, seq)) {
            self.details_sent = Some((run, seq));
            self.send(Request::Details { run, seq });
        }
    }

    /// True while the worker runs a scenario.
    pub fn busy(&self) -> bool {
        self.load_in_flight
    }

    fn answered(&mut self, response: &Response) {
        match response {
            Response::Loaded { .. } => {
                self.load_in_flight = false;
                // A new run: the same frame request means a new frame.
                self.last_frame = None;
                if let Some((run, text)) = self.queued_load.take() {
                    self.load_in_flight = true;
                    self.send(Request::Load { run, text });
                }
            }
            Response::Frame(_) => {
                self.frame_in_flight = false;
                if let Some(next) = self.queued_frame.take() {
                    self.frame(next);
                }
            }
            Response::Details(_) => self.details_sent = None,
        }
    }
}
