//! The page's end of the worker connection: sends requests, at most one load and one frame
//! request at a time, keeping only the newest of each that waits.
//!
//! Coalescing matters when the worker is busy: while it runs a long scenario, typing or
//! scrubbing would otherwise queue up requests it must then work through one by one.
//!
//! The worker runs the page's own wasm file (one download): [`worker_script`] writes a module
//! script that imports trunk's JavaScript glue and instantiates the same `.wasm`, whose `main`
//! then registers the engine worker on seeing no window.
//!
//! Starting a worker and compiling the module again in it takes a few hundred milliseconds.
//! So that the page does not open on an empty diagram meanwhile, the *opening* run of a small
//! built-in preset (`presets::runs_on_page`: fixed text, a few milliseconds of work) is run by
//! a session on the page's thread, which also answers frame and detail requests until the
//! worker has loaded the same run. Every other run (an edit, a saved or linked scenario,
//! another preset, the 10,000-recipient one) goes to the worker only.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo_worker::{Spawnable, WorkerBridge};
use spoolscope_playground::presets;
use spoolscope_playground::protocol::{ExportKind, FrameRequest, InputError, Request, Response};
use spoolscope_playground::session::Session;
use wasm_bindgen::JsValue;

use crate::worker::EngineWorker;

/// Where answers go.
type Handler = Rc<dyn Fn(Response)>;

/// Who waits for an export: called once with its text (`None`: that run is gone).
pub type ExportDone = Box<dyn FnOnce(Option<String>)>;

/// Requests in flight and waiting.
#[derive(Default)]
pub struct Link {
    bridge: Option<WorkerBridge<EngineWorker>>,
    /// Where answers go; until the page sets it, they wait in `pending`.
    handler: Option<Handler>,
    pending: Vec<Response>,
    /// The last run asked for (a second request for it is dropped).
    last_load: Option<u64>,
    queued_load: Option<(u64, String)>,
    frame_in_flight: bool,
    queued_frame: Option<FrameRequest>,
    last_frame: Option<FrameRequest>,
    details_sent: Option<(u64, u64)>,
    /// Set by the first load: later ones never run on the page.
    opened: bool,
    /// The page's own session, serving the opening run until the worker has it too.
    local: Option<Session>,
    /// The worker's copy of the page-run opening run: its answer is not delivered again.
    shadow_load: Option<u64>,
    /// The worker could not be started: every run that needs it fails with a message.
    no_worker: bool,
    /// Requests for a worker not started yet.
    unsent: Vec<Request>,
    /// Answers the worker owes (every request is answered once: a frame request is sent only
    /// while the worker holds a run).
    owed: u32,
    /// Fires when the worker owes answers for too long (see [`Link::worker_stuck`]).
    watchdog: Option<gloo_timers::callback::Timeout>,
    /// The run and text of the load in flight (at most one), and of the last run the worker
    /// loaded without an error (a restarted worker is given it again).
    sent_load: Option<(u64, String)>,
    good_load: Option<(u64, String)>,
    /// The frame last asked for, asked for again from a restarted worker.
    wanted_frame: Option<FrameRequest>,
    /// A new worker replaced a stuck one: once it has the run, it is asked for the frame the
    /// page wants.
    restarted: bool,
    /// Exports asked for, by run and kind, oldest first: answers come in order.
    exports: Vec<(u64, ExportKind, ExportDone)>,
    /// The link itself, for the worker's callback.
    me: Weak<RefCell<Link>>,
}

/// A shared link (the worker's callback and the page's effects both use it).
pub type SharedLink = Rc<RefCell<Link>>;

thread_local! {
    /// The page's one link.
    static LINK: SharedLink = Rc::new_cyclic(|me| {
        RefCell::new(Link {
            me: me.clone(),
            ..Link::default()
        })
    });
}

impl Link {
    /// The page's link.
    pub fn shared() -> SharedLink {
        LINK.with(Rc::clone)
    }

    /// Starts the worker (once) and sends it what waited for it. The page starts it as soon as
    /// it needs it, or once the opening run is on screen: starting it earlier would have it
    /// compile the module on the second core while the page renders.
    pub fn start_worker(&mut self) {
        if self.bridge.is_none() && !self.no_worker {
            match worker_script() {
                Some(script) => self.bridge = Some(self.spawn(&script)),
                None => self.no_worker = true,
            }
        }
        if let Some(bridge) = &self.bridge {
            for request in self.unsent.drain(..) {
                bridge.send(request);
            }
        }
        if self.bridge.is_some() && self.owed > 0 {
            self.arm_watchdog();
        }
    }

    fn spawn(&self, script: &str) -> WorkerBridge<EngineWorker> {
        let weak = self.me.clone();
        EngineWorker::spawner()
            .with_loader(true)
            .as_module(true)
            .callback(move |response: Response| {
                let Some(link) = weak.upgrade() else {
                    return;
                };
                let handler = {
                    let mut l = link.borrow_mut();
                    let deliver = l.answered(&response);
                    let done = l.export_done(&response);
                    drop(l);
                    if let Some((done, text)) = done {
                        done(text);
                        return;
                    }
                    if !deliver {
                        return;
                    }
                    let mut l = link.borrow_mut();
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
            .spawn(script)
    }

    /// Hands an answer of the page's own session to the handler, after the caller's borrow of
    /// the link has ended (the handler may send the next request).
    fn deliver_later(&mut self, response: Response) {
        match self.handler.clone() {
            None => self.pending.push(response),
            Some(handler) => {
                gloo_timers::callback::Timeout::new(0, move || handler(response)).forget();
            }
        }
    }

    /// The answers that arrived before the page set its handler.
    pub fn take_answers(&mut self) -> Vec<Response> {
        std::mem::take(&mut self.pending)
    }

    /// Where answers go from now on; answers that arrived before are delivered at once.
    pub fn set_handler(link: &SharedLink, handler: impl Fn(Response) + 'static) {
        let handler: Handler = Rc::new(handler);
        let pending = {
            let mut l = link.borrow_mut();
            l.handler = Some(handler.clone());
            std::mem::take(&mut l.pending)
        };
        for response in pending {
            handler(response);
        }
    }

    /// Sends `request`, starting the worker if need be.
    fn send(&mut self, request: Request) {
        self.enqueue(request);
        self.start_worker();
    }

    /// Queues `request` for the worker (sent when it starts) and counts the answer it owes.
    fn enqueue(&mut self, request: Request) {
        if let Request::Load { run, text } = &request {
            self.sent_load = Some((*run, text.clone()));
        }
        self.owed += 1;
        self.unsent.push(request);
    }

    /// Starts the watchdog unless it runs: `WATCHDOG_MS` from now (the engine's own limits end
    /// any run far sooner; `window.__spoolscopeWatchdogMs` overrides it for the browser tests).
    fn arm_watchdog(&mut self) {
        if self.watchdog.is_some() {
            return;
        }
        let ms = watchdog_ms();
        let me = self.me.clone();
        self.watchdog = Some(gloo_timers::callback::Timeout::new(ms, move || {
            let Some(link) = me.upgrade() else {
                return;
            };
            let stuck = {
                let mut l = link.borrow_mut();
                l.watchdog = None;
                l.worker_stuck()
            };
            // Delivered outside the borrow: the handler may send the next request.
            if let Some((response, handler)) = stuck {
                handler(response);
            }
        }));
    }

    /// The worker owed answers for `WATCHDOG_MS`: it is stuck or its wasm trapped (gloo-worker
    /// cannot terminate it; a trapped one is idle). Starts a new worker, gives it the last good
    /// run so that stepping works again, and fails the load that was in flight, if any, with a
    /// message at line 1. Returns that failure and the handler to give it to.
    fn worker_stuck(&mut self) -> Option<(Response, Handler)> {
        if self.owed == 0 {
            return None;
        }
        let failed = self
            .sent_load
            .take()
            .filter(|(run, _)| self.shadow_load != Some(*run));
        self.bridge = None;
        self.unsent.clear();
        self.owed = 0;
        self.frame_in_flight = false;
        self.queued_frame = None;
        self.last_frame = None;
        self.restarted = true;
        self.details_sent = None;
        // The new worker never saw these requests: their askers get nothing.
        for (_, _, done) in self.exports.drain(..) {
            gloo_timers::callback::Timeout::new(0, move || done(None)).forget();
        }
        self.shadow_load = None;
        self.local = None;
        if let Some((run, text)) = self.good_load.clone() {
            // The page has this run already: the new worker's answer is not delivered again.
            self.shadow_load = Some(run);
            self.send(Request::Load { run, text });
        } else if let Some((run, text)) = self.queued_load.take() {
            self.send(Request::Load { run, text });
        }
        let (run, _) = failed?;
        let ms = watchdog_ms();
        let waited = if ms.is_multiple_of(1000) {
            format!("{} s", ms / 1000)
        } else {
            format!("{ms} ms")
        };
        let message = format!(
            "the engine's worker did not answer within {waited} and was restarted; the \
             engine's own limits end every run sooner, so this is a bug in Spoolscope: please \
             report this scenario"
        );
        let response = Response::Loaded {
            run,
            result: Err(InputError {
                line: 1,
                col: 1,
                message,
            }),
        };
        match self.handler.clone() {
            Some(handler) => Some((response, handler)),
            None => {
                self.pending.push(response);
                None
            }
        }
    }

    /// Runs `text` as run `run` (after the load in flight, if any; replacing any waiting one).
    pub fn load(&mut self, run: u64, text: String) {
        if self.last_load == Some(run) {
            return;
        }
        self.last_load = Some(run);
        let opening = !std::mem::replace(&mut self.opened, true);
        if opening && presets::runs_on_page(&text) {
            let mut session = Session::new();
            if let Some(response) = session.handle(Request::Load {
                run,
                text: text.clone(),
            }) {
                self.deliver_later(response);
            }
            self.local = Some(session);
            self.last_frame = None;
            // The worker loads the same run when it starts, then takes over (see `answered`).
            self.shadow_load = Some(run);
            self.enqueue(Request::Load { run, text });
            return;
        }
        // Another run: the page's own session has nothing more to say.
        self.local = None;
        if self.no_worker {
            let message = "the engine's Web Worker could not be started: this page was not \
                           built by trunk (no modulepreload and wasm preload links)";
            self.deliver_later(Response::Loaded {
                run,
                result: Err(InputError {
                    line: 1,
                    col: 1,
                    message: message.to_string(),
                }),
            });
            return;
        }
        if self.sent_load.is_some() {
            self.queued_load = Some((run, text));
            // The load ahead may be the opening run's copy, waiting for a worker the page has
            // not started yet (it starts it shortly after the first ready render, and an edit
            // in between cancels that): this run needs the worker now.
            self.start_worker();
        } else {
            self.send(Request::Load { run, text });
        }
    }

    /// Asks for a frame, unless it is the one last asked for.
    pub fn frame(&mut self, request: FrameRequest) {
        if self.last_frame == Some(request) && self.queued_frame.is_none() {
            return;
        }
        if let Some(local) = &mut self.local {
            self.last_frame = Some(request);
            if let Some(response) = local.handle(Request::Frame(request)) {
                self.deliver_later(response);
            }
            return;
        }
        self.wanted_frame = Some(request);
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
        if let Some(local) = &mut self.local {
            if let Some(response) = local.handle(Request::Details { run, seq }) {
                self.deliver_later(response);
            }
            return;
        }
        if self.details_sent != Some((run, seq)) {
            self.details_sent = Some((run, seq));
            self.send(Request::Details { run, seq });
        }
    }

    /// Asks for run `run` in an export form; `done` gets the text (later, never inside this
    /// call).
    pub fn export(&mut self, run: u64, kind: ExportKind, done: ExportDone) {
        if let Some(local) = &mut self.local {
            let text = local.export(run, kind);
            gloo_timers::callback::Timeout::new(0, move || done(text)).forget();
            return;
        }
        self.exports.push((run, kind, done));
        self.send(Request::Export { run, kind });
    }

    /// The waiting export an answer is for, with its text.
    fn export_done(&mut self, response: &Response) -> Option<(ExportDone, Option<String>)> {
        let Response::Export { run, kind, text } = response else {
            return None;
        };
        let i = self
            .exports
            .iter()
            .position(|(r, k, _)| r == run && k == kind)?;
        let (_, _, done) = self.exports.remove(i);
        Some((done, text.clone()))
    }

    /// True while the worker runs a scenario the page waits for.
    pub fn busy(&self) -> bool {
        (self.sent_load.is_some() && self.shadow_load.is_none()) || self.queued_load.is_some()
    }

    /// Bookkeeping for an answer of the worker; false when it is not to be delivered (the
    /// worker's copy of a run the page's own session already answered).
    fn answered(&mut self, response: &Response) -> bool {
        let mut deliver = true;
        // The worker answers: its watchdog starts over for what it still owes.
        self.owed = self.owed.saturating_sub(1);
        self.watchdog = None;
        if self.owed > 0 {
            self.arm_watchdog();
        }
        match response {
            Response::Loaded { run, result } => {
                if let Some((sent, text)) = self.sent_load.take() {
                    if sent == *run && result.is_ok() {
                        self.good_load = Some((sent, text));
                    }
                }
                let mut refresh = None;
                if self.shadow_load == Some(*run) {
                    // The worker has the opening run now (or the last good run, restarted):
                    // it answers everything from here on.
                    self.shadow_load = None;
                    self.local = None;
                    deliver = false;
                    if std::mem::take(&mut self.restarted) {
                        refresh = self.wanted_frame;
                    }
                }
                // A new run: the same frame request means a new frame.
                self.last_frame = None;
                if let Some((run, text)) = self.queued_load.take() {
                    self.send(Request::Load { run, text });
                }
                if let Some(request) = refresh {
                    self.frame(request);
                }
            }
            Response::Frame(_) => {
                self.frame_in_flight = false;
                if let Some(next) = self.queued_frame.take() {
                    self.frame(next);
                }
            }
            Response::Details(_) => self.details_sent = None,
            // Handed to whoever asked (`export_done`), not to the page's handler.
            Response::Export { .. } => deliver = false,
        }
        deliver
    }
}

/// How long the worker may owe an answer before it is restarted. The engine's limits
/// (operations per call and per run, at most 100,000 recipients) end every run within seconds.
const WATCHDOG_MS: u32 = 30_000;

/// [`WATCHDOG_MS`], or `window.__spoolscopeWatchdogMs` (the browser tests' seam).
fn watchdog_ms() -> u32 {
    test_seam_ms("__spoolscopeWatchdogMs", WATCHDOG_MS)
}

/// `window[name]` in milliseconds (a browser tests' seam, clamped to 0.1–600 s), else
/// `default`.
pub fn test_seam_ms(name: &str, default: u32) -> u32 {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &JsValue::from_str(name)).ok())
        .and_then(|v| v.as_f64())
        .map_or(default, |v| v.clamp(100.0, 600_000.0) as u32)
}

/// A `blob:` URL of the worker's module script: it imports the page's JavaScript glue and
/// instantiates the page's `.wasm` file. trunk hashes both names and announces them in the
/// page's `<link rel="modulepreload">` and `<link rel="preload" type="application/wasm">`,
/// whose `href` properties are absolute. `None` (no worker, an error shown instead) if the
/// page was not built by trunk.
pub fn worker_script() -> Option<String> {
    let document = web_sys::window()?.document()?;
    let href = |selector: &str| -> Option<JsValue> {
        let element = document.query_selector(selector).ok()??;
        js_sys::Reflect::get(&element, &JsValue::from_str("href"))
            .ok()
            .filter(JsValue::is_string)
    };
    let glue = js_sys::JSON::stringify(&href(
        r#"link[rel="modulepreload"][href$=".js"]:not([href*="snippets/"])"#,
    )?)
    .ok()?;
    let wasm =
        js_sys::JSON::stringify(&href(r#"link[rel="preload"][type="application/wasm"]"#)?).ok()?;
    let source = format!(
        "import init from {};\nawait init({{ module_or_path: {} }});\n",
        String::from(glue),
        String::from(wasm)
    );
    let parts = js_sys::Array::of1(&JsValue::from_str(&source));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/javascript");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
    web_sys::Url::create_object_url_with_blob(&blob).ok()
}
