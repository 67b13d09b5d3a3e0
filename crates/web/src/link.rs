//! The page's end of the engine: one or two Web Workers and, for the opening run, a session on
//! the page's own thread.
//!
//! **Two workers, so that a slow run never blocks the page.** The worker that holds the run on
//! screen (the *server*) answers frame, detail and export requests; every new run goes to
//! another worker (a *runner*). When the runner's run succeeds it becomes the server, and the
//! old server, now idle, is the next runner. So while a long or hostile script runs, stepping,
//! selecting and exporting the run on screen are answered at once by the server.
//!
//! **A newer run pre-empts an older one.** A run asked for while the runner is still busy with
//! an older one does not wait for it: that runner is dropped (gloo-worker closes a worker once
//! it has no bridge left, after its current message, so it ends no later than the engine's
//! limits end its run, and its answer goes nowhere) and an idle worker runs the new text. The
//! page keeps three workers (started one after the other once the first has answered), so a
//! pre-emption finds one that has compiled the module already. Frame requests are coalesced:
//! at most one in flight, and only the newest of those waiting is sent.
//!
//! The workers run the page's own wasm file (one download): [`worker_script`] writes a module
//! script that imports trunk's JavaScript glue and instantiates the same `.wasm`, whose `main`
//! then registers the engine worker on seeing no window.
//!
//! Starting a worker and compiling the module again in it takes a few hundred milliseconds.
//! So that the page does not open on an empty diagram meanwhile, the *opening* run of a small
//! built-in preset (`presets::runs_on_page`: fixed text, a few milliseconds of work) is run by
//! a session on the page's thread, which answers frame and detail requests until a worker
//! holds a run (the first one loads the same run as soon as the page starts it). Every other
//! run (an edit, a saved or linked scenario, another preset, the 10,000-recipient one) runs in
//! a worker only.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;
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

/// A load sent to a worker and not answered yet.
struct Load {
    run: u64,
    text: String,
    /// A run the page has already (the opening run, or the last good run given to a worker
    /// that replaced a stuck server): its answer is not delivered again.
    shadow: bool,
}

/// One worker.
struct Slot {
    id: u32,
    bridge: WorkerBridge<EngineWorker>,
    /// Loads sent, oldest first (a worker answers in order).
    loads: VecDeque<Load>,
    /// The run its session holds: the last of its loads that succeeded.
    holds: Option<u64>,
    /// Answers it owes (every request is answered once).
    owed: u32,
    /// Fires when it owes answers for too long (see [`Link::worker_stuck`]).
    watchdog: Option<Timeout>,
}

impl Slot {
    /// True while it runs a load the page waits for (not a shadow).
    fn running(&self) -> bool {
        self.loads.iter().any(|l| !l.shadow)
    }
}

/// The workers, the page's own session, and the requests waiting for them.
#[derive(Default)]
pub struct Link {
    /// Live workers (at most three: the server, a runner, and one just started).
    slots: Vec<Slot>,
    next_id: u32,
    /// The worker holding the run on screen, which answers frames, details and exports.
    server: Option<u32>,
    /// The page's own session, serving the opening run until a worker holds a run.
    local: Option<Session>,
    /// Where answers go; until the page sets it, they wait in `pending`.
    handler: Option<Handler>,
    pending: Vec<Response>,
    /// The last run asked for (a second request for it is dropped).
    last_load: Option<u64>,
    /// Set by the first load: later ones never run on the page.
    opened: bool,
    /// The page may start workers (see [`Link::start_worker`]).
    started: bool,
    /// The opening run's copy for the first worker, sent when the page starts it.
    deferred_shadow: Option<(u64, String)>,
    /// A worker could not be started: every run that needs one fails with a message.
    no_worker: bool,
    /// The workers' module script (a `blob:` URL, made once).
    script: Option<String>,
    /// The run and text the server holds (a worker replacing a stuck server is given it).
    good: Option<(u64, String)>,
    frame_in_flight: bool,
    queued_frame: Option<FrameRequest>,
    last_frame: Option<FrameRequest>,
    /// The frame the page wants, asked for again from a new server.
    wanted_frame: Option<FrameRequest>,
    details_sent: Option<(u64, u64)>,
    /// Details asked for while no worker held a run.
    wanted_details: Option<(u64, u64)>,
    /// Exports asked for, with the worker asked (`None`: waiting for a server).
    exports: Vec<(Option<u32>, u64, ExportKind, ExportDone)>,
    /// The link itself, for the workers' callbacks.
    me: Weak<RefCell<Link>>,
}

/// A shared link (the workers' callbacks and the page's effects both use it).
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

    /// Lets the page start workers, and starts the first one with the opening run's copy. The
    /// page calls it once the opening run is on screen (starting a worker earlier would have
    /// it compile the module on the second core while the page renders), or at the first run
    /// that needs a worker.
    pub fn start_worker(&mut self) {
        self.started = true;
        if let Some((run, text)) = self.deferred_shadow.take() {
            if let Some(id) = self.idle_slot().or_else(|| self.spawn()) {
                self.send_load(id, run, text, true);
            }
        }
    }

    /// Starts a worker; `None` (and every later run fails with a message) when the page was
    /// not built by trunk.
    fn spawn(&mut self) -> Option<u32> {
        if self.no_worker {
            return None;
        }
        if self.script.is_none() {
            self.script = worker_script();
        }
        let Some(script) = self.script.clone() else {
            self.no_worker = true;
            return None;
        };
        let id = self.next_id;
        self.next_id += 1;
        let weak = self.me.clone();
        let bridge = EngineWorker::spawner()
            .with_loader(true)
            .as_module(true)
            .callback(move |response: Response| {
                if let Some(link) = weak.upgrade() {
                    Link::on_answer(&link, id, response);
                }
            })
            .spawn(&script);
        self.slots.push(Slot {
            id,
            bridge,
            loads: VecDeque::new(),
            holds: None,
            owed: 0,
            watchdog: None,
        });
        Some(id)
    }

    fn slot(&mut self, id: u32) -> Option<&mut Slot> {
        self.slots.iter_mut().find(|s| s.id == id)
    }

    /// Sends `request` to worker `id` and counts the answer it owes.
    fn send_to(&mut self, id: u32, request: Request) {
        let me = self.me.clone();
        let Some(slot) = self.slot(id) else {
            return;
        };
        slot.bridge.send(request);
        slot.owed += 1;
        if slot.watchdog.is_none() {
            slot.watchdog = Some(arm_watchdog(me, id));
        }
    }

    fn send_load(&mut self, id: u32, run: u64, text: String, shadow: bool) {
        if let Some(slot) = self.slot(id) {
            slot.loads.push_back(Load {
                run,
                text: text.clone(),
                shadow,
            });
        }
        self.send_to(id, Request::Load { run, text });
    }

    /// A worker other than the server with nothing to run.
    fn idle_slot(&self) -> Option<u32> {
        self.slots
            .iter()
            .find(|s| Some(s.id) != self.server && s.loads.is_empty())
            .map(|s| s.id)
    }

    /// The worker a new run goes to: an idle one; else one loading only a shadow copy (it
    /// answers that in milliseconds); else a new one, and the runners still busy with older
    /// runs are dropped (pre-empted: the page no longer waits for those runs).
    fn runner(&mut self) -> Option<u32> {
        if let Some(id) = self.idle_slot() {
            return Some(id);
        }
        let server = self.server;
        if let Some(s) = self
            .slots
            .iter()
            .find(|s| Some(s.id) != server && !s.running())
        {
            return Some(s.id);
        }
        let busy: Vec<u32> = self
            .slots
            .iter()
            .filter(|s| Some(s.id) != server && s.running())
            .map(|s| s.id)
            .collect();
        for id in busy {
            self.drop_slot(id);
        }
        self.spawn()
    }

    /// Forgets worker `id` (its bridge goes, so it closes after its current message) and fails
    /// the exports it owed.
    fn drop_slot(&mut self, id: u32) -> Option<Slot> {
        let i = self.slots.iter().position(|s| s.id == id)?;
        let slot = self.slots.remove(i);
        let mut k = 0;
        while k < self.exports.len() {
            if self.exports[k].0 == Some(id) {
                let (_, _, _, done) = self.exports.remove(k);
                Timeout::new(0, move || done(None)).forget();
            } else {
                k += 1;
            }
        }
        if self.server == Some(id) {
            self.server = None;
            self.frame_in_flight = false;
            self.queued_frame = None;
            self.last_frame = None;
            self.details_sent = None;
        }
        Some(slot)
    }

    /// Keeps three workers (the server, a runner, a spare), started one after the other once
    /// the first has answered: a run that pre-empts another then goes to a worker that has
    /// compiled the module already, instead of waiting a few hundred milliseconds for one.
    fn keep_spare(&mut self) {
        let starting = self.slots.iter().any(|s| s.holds.is_none() && s.owed > 0);
        if self.started && !starting && self.slots.len() < 3 {
            // Warmed up with the default preset (a few milliseconds; its answer is not
            // delivered): the browser compiles a new worker's wasm functions lazily, on first
            // use, so a cold worker's first run is slower.
            if let Some(id) = self.spawn() {
                let seed = presets::find(presets::DEFAULT_PRESET).map_or("", |p| p.text);
                self.send_load(id, WARM_UP_RUN, seed.to_string(), true);
            }
        }
    }

    /// Hands an answer of the page's own session to the handler, after the caller's borrow of
    /// the link has ended (the handler may send the next request).
    fn deliver_later(&mut self, response: Response) {
        match self.handler.clone() {
            None => self.pending.push(response),
            Some(handler) => {
                Timeout::new(0, move || handler(response)).forget();
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

    /// Delivers `responses` outside any borrow of the link (the handler may send requests).
    fn deliver_now(link: &SharedLink, responses: Vec<Response>) {
        let handler = {
            let mut l = link.borrow_mut();
            match l.handler.clone() {
                Some(h) => h,
                None => {
                    l.pending.extend(responses);
                    return;
                }
            }
        };
        for response in responses {
            handler(response);
        }
    }

    /// Runs `text` as run `run`, pre-empting an older run still running.
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
            // A worker loads the same run when the page starts it, then takes over.
            self.deferred_shadow = Some((run, text));
            if self.started {
                self.start_worker();
            }
            return;
        }
        // A run that needs a worker now; the opening run's copy goes first, so that a worker
        // can serve the opening run if this one fails.
        self.start_worker();
        match self.runner() {
            Some(id) => {
                self.send_load(id, run, text, false);
                self.keep_spare();
            }
            None => {
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
            }
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
        let Some(server) = self.server else {
            // Sent when a worker holds a run.
            return;
        };
        if self.frame_in_flight {
            self.queued_frame = Some(request);
        } else {
            self.frame_in_flight = true;
            self.last_frame = Some(request);
            self.queued_frame = None;
            self.send_to(server, Request::Frame(request));
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
        let Some(server) = self.server else {
            self.wanted_details = Some((run, seq));
            return;
        };
        if self.details_sent != Some((run, seq)) {
            self.details_sent = Some((run, seq));
            self.send_to(server, Request::Details { run, seq });
        }
    }

    /// Asks for run `run` in an export form; `done` gets the text (later, never inside this
    /// call).
    pub fn export(&mut self, run: u64, kind: ExportKind, done: ExportDone) {
        if let Some(local) = &mut self.local {
            let text = local.export(run, kind);
            Timeout::new(0, move || done(text)).forget();
            return;
        }
        if self.no_worker {
            Timeout::new(0, move || done(None)).forget();
            return;
        }
        self.exports.push((self.server, run, kind, done));
        if let Some(server) = self.server {
            self.send_to(server, Request::Export { run, kind });
        }
    }

    /// Worker `id` became the server: what waited for one is sent to it.
    fn serve_from(&mut self, id: u32) {
        self.server = Some(id);
        self.local = None;
        self.frame_in_flight = false;
        self.queued_frame = None;
        self.last_frame = None;
        self.details_sent = None;
        if let Some(request) = self.wanted_frame {
            self.frame(request);
        }
        if let Some((run, seq)) = self.wanted_details.take() {
            self.details(run, seq);
        }
        for export in self.exports.iter_mut().filter(|e| e.0.is_none()) {
            export.0 = Some(id);
        }
        let waiting: Vec<(u64, ExportKind)> = self
            .exports
            .iter()
            .filter(|e| e.0 == Some(id))
            .map(|e| (e.1, e.2))
            .collect();
        for (run, kind) in waiting {
            self.send_to(id, Request::Export { run, kind });
        }
    }

    /// An answer of worker `id`.
    fn on_answer(link: &SharedLink, id: u32, response: Response) {
        let mut l = link.borrow_mut();
        let me = l.me.clone();
        let Some(slot) = l.slot(id) else {
            // A dropped worker's late answer.
            return;
        };
        // It answers: its watchdog starts over for what it still owes.
        slot.owed = slot.owed.saturating_sub(1);
        slot.watchdog = (slot.owed > 0).then(|| arm_watchdog(me, id));
        let load = match &response {
            Response::Loaded { .. } => slot.loads.pop_front(),
            _ => None,
        };
        let mut deliver = true;
        match &response {
            Response::Loaded { run, result } => {
                let shadow = load.as_ref().is_some_and(|l| l.shadow);
                deliver = !shadow;
                if result.is_ok() {
                    if let Some(slot) = l.slot(id) {
                        slot.holds = Some(*run);
                    }
                    if *run == WARM_UP_RUN {
                        // A spare's warm-up: it serves nothing; the next spare may start.
                        l.keep_spare();
                        drop(l);
                        return;
                    }
                    let shown = l
                        .server
                        .and_then(|s| l.slots.iter().find(|x| x.id == s))
                        .and_then(|x| x.holds)
                        .filter(|_| l.server != Some(id));
                    if shown.is_none_or(|shown| *run >= shown) {
                        if let Some(load) = load {
                            l.good = Some((load.run, load.text));
                        }
                        // A new run: the page asks for its frames; a shadow copy of the run
                        // on screen is asked for the frame the page wants.
                        if !shadow {
                            l.wanted_frame = None;
                        }
                        l.serve_from(id);
                    }
                }
                l.keep_spare();
            }
            Response::Frame(_) => {
                if l.server == Some(id) {
                    l.frame_in_flight = false;
                    if let Some(next) = l.queued_frame.take() {
                        l.frame(next);
                    }
                }
            }
            Response::Details(_) => {
                if l.server == Some(id) {
                    l.details_sent = None;
                }
            }
            Response::Export { run, kind, text } => {
                let i = l
                    .exports
                    .iter()
                    .position(|e| e.0 == Some(id) && e.1 == *run && e.2 == *kind);
                let done = i.map(|i| l.exports.remove(i).3);
                let text = text.clone();
                drop(l);
                if let Some(done) = done {
                    done(text);
                }
                return;
            }
        }
        drop(l);
        if deliver {
            Link::deliver_now(link, vec![response]);
        }
    }

    /// Worker `id` owed answers for `WATCHDOG_MS`: it is stuck or its wasm trapped (gloo-worker
    /// cannot terminate it; a trapped one is idle). It is dropped, with the idle spares; the
    /// runs it owed fail with a message at line 1; a new worker is given the last good run if
    /// it was the server, so that stepping works again. Returns the failures to deliver.
    fn worker_stuck(&mut self, id: u32) -> Vec<Response> {
        let was_server = self.server == Some(id);
        let Some(slot) = self.drop_slot(id) else {
            return Vec::new();
        };
        // The idle spares go too: nothing shows they are alive (one stuck worker may not be
        // alone), they hold nothing the page needs, and new ones are started as runs need them.
        let idle: Vec<u32> = self
            .slots
            .iter()
            .filter(|s| Some(s.id) != self.server && s.loads.is_empty() && s.owed == 0)
            .map(|s| s.id)
            .collect();
        for id in idle {
            self.drop_slot(id);
        }
        if was_server {
            if let Some((run, text)) = self.good.clone() {
                // A new worker: an idle one may be as stuck as this one was.
                if let Some(new) = self.spawn() {
                    self.send_load(new, run, text, true);
                }
            }
        }
        let ms = watchdog_ms();
        let waited = if ms.is_multiple_of(1000) {
            format!("{} s", ms / 1000)
        } else {
            format!("{ms} ms")
        };
        slot.loads
            .iter()
            .filter(|l| !l.shadow)
            .map(|l| Response::Loaded {
                run: l.run,
                result: Err(InputError {
                    line: 1,
                    col: 1,
                    message: format!(
                        "the engine's worker did not answer within {waited} and was \
                         restarted; the engine's own limits end every run sooner, so this is \
                         a bug in Spoolscope: please report this scenario"
                    ),
                }),
            })
            .collect()
    }
}

/// Starts the watchdog of worker `id`: `WATCHDOG_MS` from now (the engine's own limits end any
/// run far sooner; the test hook's `watchdogMs` overrides it, `test_hook.rs`).
fn arm_watchdog(me: Weak<RefCell<Link>>, id: u32) -> Timeout {
    Timeout::new(watchdog_ms(), move || {
        let Some(link) = me.upgrade() else {
            return;
        };
        let failures = link.borrow_mut().worker_stuck(id);
        // Delivered outside the borrow: the handler may send the next request.
        Link::deliver_now(&link, failures);
    })
}

/// The run id of a spare's warm-up load (the page's runs count from 1).
const WARM_UP_RUN: u64 = 0;

/// How long a worker may owe an answer before it is replaced. The engine's limits
/// (operations per call and per run, at most 100,000 recipients) end every run within seconds.
const WATCHDOG_MS: u32 = 30_000;

/// [`WATCHDOG_MS`], or the test hook's `watchdogMs` (`test_hook.rs`).
fn watchdog_ms() -> u32 {
    crate::test_hook::setting_ms("watchdogMs", WATCHDOG_MS)
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
