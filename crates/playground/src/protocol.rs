//! The messages between the page (UI thread) and the worker that runs the engine.
//!
//! The UI sends a [`Request`]; the worker answers with a [`Response`]. Everything the UI
//! paints arrives here already worded: HRESULT and flag names, recipient and transport names,
//! times as text, so the UI needs no MAPI knowledge to paint it.
//!
//! They cross the worker boundary as bytes ([`crate::wire`]): a private format between two
//! halves of one build, not a public contract (that is the trace of contract §4).

/// Height of one diagram row and one recipient-table row, in CSS pixels. Both sides use it:
/// the UI to turn scroll offsets into row windows, the worker to lay out nothing else.
pub const ROW_HEIGHT: u32 = 26;

/// A layout with at most this many diagram rows is sent whole (no windowing), and so is a
/// recipient table with at most this many rows.
pub const SMALL_LAYOUT: u32 = 400;

/// At most this many messages are listed in the queue and message panels.
pub const MAX_LISTED_MESSAGES: usize = 200;

/// What the UI asks the worker.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    /// Parse, compile and run a scenario. Answered by [`Response::Loaded`]; on success the
    /// run becomes the worker's current run, identified by `run`.
    Load { run: u64, text: String },
    /// What to paint at one step of the current run. Answered by [`Response::Frame`].
    Frame(FrameRequest),
    /// Every field of one trace event, decoded. Answered by [`Response::Details`].
    Details { run: u64, seq: u64 },
    /// The whole run in one of the export forms (links §6). Answered by [`Response::Export`].
    Export { run: u64, kind: ExportKind },
}

/// What [`Request::Export`] asks for: the same bytes as `spoolscope run --format …`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    /// The trace JSON of contract §4.
    Json,
    /// The Mermaid `sequenceDiagram`.
    Mermaid,
    /// The standalone SVG sequence diagram.
    Svg,
    /// Every report as an RFC 3464 DSN, mbox style.
    Dsn,
    /// The run's trace hash, a newline, then its recorded lines (links §3); the hash alone
    /// when the lines are over the link limit.
    Record,
}

impl ExportKind {
    /// Every kind, in tag order.
    pub const ALL: [ExportKind; 5] = [
        ExportKind::Json,
        ExportKind::Mermaid,
        ExportKind::Svg,
        ExportKind::Dsn,
        ExportKind::Record,
    ];

    /// The file an export is saved as, and its media type.
    pub fn file(self) -> (&'static str, &'static str) {
        match self {
            ExportKind::Json => ("trace.json", "application/json"),
            ExportKind::Mermaid => ("trace.mmd", "text/plain"),
            ExportKind::Svg => ("trace.svg", "image/svg+xml"),
            ExportKind::Dsn => ("reports.mbox", "application/mbox"),
            ExportKind::Record => ("record.txt", "text/plain"),
        }
    }
}

/// What the worker answers.
#[derive(Clone, Debug, PartialEq)]
pub enum Response {
    /// The outcome of [`Request::Load`] `run`. On error the worker keeps its previous run.
    Loaded {
        run: u64,
        result: Result<Summary, InputError>,
    },
    Frame(Frame),
    /// `None` when the run or the event does not exist (any more).
    Details(Option<Details>),
    /// The outcome of [`Request::Export`]; `text` is `None` when run `run` is not loaded (any
    /// more).
    Export {
        run: u64,
        kind: ExportKind,
        text: Option<String>,
    },
}

/// A bad scenario or a script that failed while running, at a 1-based line and column of
/// the scenario text (contract §5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    pub line: u32,
    pub col: u32,
    /// The engine's message, on one line.
    pub message: String,
}

/// A range of rows: `start`, and how many.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Window {
    pub start: u32,
    pub count: u32,
}

impl Window {
    pub fn new(start: u32, count: u32) -> Window {
        Window { start, count }
    }

    /// One past the last row.
    pub fn end(self) -> u32 {
        self.start.saturating_add(self.count)
    }

    /// True when `other` lies inside this window.
    pub fn covers(self, other: Window) -> bool {
        other.start >= self.start && other.end() <= self.end()
    }
}

/// Which step to paint, and which rows are visible.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameRequest {
    pub run: u64,
    /// 0 = before the first event; n = right after trace event `seq` n.
    pub step: u64,
    /// Diagram rows wanted (ignored with `follow`, except for its size).
    pub diagram: Window,
    /// Center the diagram window on the current step instead.
    pub follow: bool,
    /// Rows of the recipient table wanted (message headers count as rows).
    pub table: Window,
}

/// One lifeline of the sequence diagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lifeline {
    /// The name events use in `from`/`to`: `client`, `store`, `spooler` or a transport.
    pub name: String,
    /// What the header shows: `Client`, `Store`, `Spooler`, or the transport name.
    pub label: String,
    pub transport: bool,
}

/// What a scrubber marker stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkerKind {
    /// A SubmitMessage or EndMessage call to a transport.
    Call,
    /// A StatusRecips call or a report the spooler produced.
    Report,
    /// A retry or deferral timer.
    Timer,
    /// A contract warning.
    Warning,
}

impl MarkerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MarkerKind::Call => "call",
            MarkerKind::Report => "report",
            MarkerKind::Timer => "timer",
            MarkerKind::Warning => "warning",
        }
    }
}

/// A point of interest on the scrubber.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Marker {
    pub seq: u64,
    pub kind: MarkerKind,
}

/// A contract warning (contract §4), pointing at the step it happened at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WarningItem {
    pub seq: u64,
    pub code: String,
    pub text: String,
}

/// What the UI needs to know about a run as a whole.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// The id of the [`Request::Load`] that produced it.
    pub run: u64,
    pub title: String,
    pub description: String,
    /// Client, Store, Spooler, then the transports in transport order.
    pub lifelines: Vec<Lifeline>,
    /// Number of trace events: the player goes from step 0 to step `total`.
    pub total: u64,
    /// Rows of the whole diagram (events plus the gaps where virtual time passes).
    pub diagram_rows: u32,
    /// Rows of the recipient table (one header per message plus its recipients).
    pub table_rows: u32,
    pub recipients: u32,
    pub messages: u32,
    /// Scrubber markers, thinned so that each kind has at most one per 1/1000 of the run.
    pub markers: Vec<Marker>,
    pub warnings: Vec<WarningItem>,
    /// Virtual time the run ended at, e.g. `130.000s`.
    pub end_time: String,
    /// Why it ended: `idle`, `until` or `limit` (contract §4 `end.reason`).
    pub end_reason: String,
    pub end_text: String,
    /// The guided walk through this run: the seed page's six steps of message submission,
    /// each at the first event that shows it, in trace order (`crate::walk`).
    pub walk: Vec<WalkStop>,
    /// What the run cost the worker that made it (zeros when it was not measured, as for the
    /// page's own opening run): for the browser benchmark.
    pub cost: RunCost,
}

/// The cost of one load in the worker: parse, scripts, engine and this session's layout,
/// timed around `Session::load`, and the worker's wasm memory after it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunCost {
    pub load_us: u64,
    pub memory_bytes: u64,
}

/// One stop of the guided walk: the player goes to step `seq` and opens its details.
#[derive(Clone, Debug, PartialEq)]
pub struct WalkStop {
    pub seq: u64,
    /// `The spooler calls SubmitMessage`.
    pub title: String,
    /// What this run shows there, in a sentence or two.
    pub text: String,
}

/// Kind of a trace event (contract §4 `kind`).
pub use spoolscope_contract::trace::EventKind;

/// One trace event as the diagram draws it.
#[derive(Clone, Debug, PartialEq)]
pub struct EventLine {
    pub seq: u64,
    /// Virtual time, e.g. `2.000s`.
    pub time: String,
    pub depth: u32,
    pub kind: EventKind,
    /// Lifeline names as in the trace (`spooler`, `smtp`, …); empty when absent.
    pub from: String,
    pub to: String,
    /// The method, empty for properties, timers and notes.
    pub method: String,
    /// Indexes into [`Summary::lifelines`] (`to` = `from` for notes, properties, timers
    /// without a target).
    pub from_lane: u32,
    pub to_lane: u32,
    /// The text drawn on the arrow: `SubmitMessage(m1, flags=0, offered=[0,1], attempt 1)`,
    /// `S_OK  ref=101`, `PR_RESPONSIBILITY[0] = TRUE`, …
    pub label: String,
    /// A warning points at this event.
    pub warned: bool,
}

impl EventLine {
    /// The lifeline the event goes to, when it is not the one it comes from (a call or a
    /// return; `None` for notes, properties and timers on one lifeline).
    pub fn target(&self) -> Option<&str> {
        (!self.to.is_empty() && self.to != self.from).then_some(self.to.as_str())
    }
}

/// One row of the diagram.
#[derive(Clone, Debug, PartialEq)]
pub enum DiagramItem {
    /// Virtual time passes: `label` is the duration, e.g. `+30s`.
    Gap {
        row: u32,
        label: String,
    },
    Event {
        row: u32,
        event: EventLine,
    },
}

/// A call in progress, drawn as a bar on the callee's lifeline from the call's row to its
/// return's row (or to the current row while it is still open).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Activation {
    pub lane: u32,
    pub depth: u32,
    pub from_row: u32,
    pub to_row: u32,
    pub open: bool,
}

/// A message header row in the recipient table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageLine {
    pub index: u32,
    pub id: String,
    pub subject: String,
    /// The model's state name (model §12.2), e.g. `InSubmit(smtp)`.
    pub state: String,
    /// The contract's status word, e.g. `sent_items`.
    pub status: String,
    pub locked: bool,
    pub in_queue: bool,
    /// `PR_MESSAGE_FLAGS` by name.
    pub flags: String,
    /// When a retry timer fires, e.g. `35.000s`; empty when none.
    pub retry_at: String,
    pub recipients: u32,
    pub changed: bool,
}

/// A recipient row, every cell formatted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecipientLine {
    /// Message id, e.g. `m1`.
    pub message: String,
    pub index: u32,
    pub name: String,
    pub address: String,
    pub addr_type: String,
    pub recipient_type: String,
    /// Transports that may still take it, best first, by name.
    pub candidates: String,
    /// Transports it has been offered to, in order, by name.
    pub offered: String,
    /// `PR_RESPONSIBILITY`.
    pub responsibility: bool,
    /// The contract's status word: `sent`, `failed`, `no_transport`, `pending`, …
    pub status: String,
    /// The model's state (model §12.3), e.g. `RetryWait(smtp)`.
    pub state: String,
    pub report: String,
    /// `MAPI_REASON_*` / `MAPI_DIAG_*` names, empty when none.
    pub reason: String,
    pub diag: String,
    pub text: String,
    pub why: String,
    /// Changed at this very step.
    pub changed: bool,
}

/// One row of the recipient table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TableRow {
    Message(MessageLine),
    Recipient(RecipientLine),
}

/// A transport's status row (model §10) with `PR_STATUS_CODE` decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusLine {
    pub transport: String,
    pub logged_on: bool,
    /// The spooler's BEGIN/END_OUTBOUND bookkeeping (model §14 Q14).
    pub outbound_enabled: bool,
    /// `STATUS_*` names joined with `|`, `0` when none.
    pub status: String,
    /// The message in SubmitMessage/EndMessage, empty when none.
    pub in_flight: String,
    /// Messages it deferred, by id.
    pub deferred: String,
    pub changed: bool,
}

/// Everything painted at one step.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    pub run: u64,
    pub step: u64,
    /// Virtual time at this step, e.g. `2.000s`.
    pub time: String,
    /// The event of this step (none at step 0).
    pub current: Option<EventLine>,
    /// The diagram row of the current event.
    pub current_row: Option<u32>,
    /// Rows drawn so far (the diagram grows as the player advances).
    pub diagram_rows: u32,
    /// The window actually sent.
    pub diagram_window: Window,
    pub diagram: Vec<DiagramItem>,
    pub activations: Vec<Activation>,
    pub table_window: Window,
    pub table: Vec<TableRow>,
    /// The outgoing queue in submission order (at most [`MAX_LISTED_MESSAGES`]).
    pub queue: Vec<MessageLine>,
    pub queue_total: u32,
    /// Every message (at most [`MAX_LISTED_MESSAGES`]).
    pub messages: Vec<MessageLine>,
    pub status: Vec<StatusLine>,
    /// How many recipients have each contract status word, for the table's caption.
    pub counts: Vec<(String, u32)>,
}

/// A field of a decoded event: its name and its value in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub value: String,
}

/// `PR_RESPONSIBILITY` of one recipient before and after a call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponsibilityChange {
    pub index: u32,
    pub name: String,
    pub before: bool,
    pub after: bool,
}

/// One event decoded field by field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Details {
    pub run: u64,
    pub seq: u64,
    /// One line: who calls whom, and what.
    pub title: String,
    pub fields: Vec<Field>,
    /// For SubmitMessage / EndMessage (call or return) and PR_RESPONSIBILITY changes: the
    /// recipients concerned, with the property before the call and after its return.
    pub responsibility: Vec<ResponsibilityChange>,
    /// The reports this event produced, each as the RFC 3464 message `spoolscope run
    /// --format dsn` writes for it (plain text, reports §1).
    pub reports: Vec<String>,
    /// What each name the event mentions means (`spoolscope_render::explain`).
    pub explained: Vec<Explained>,
}

/// One name of an event, explained: a sentence or two, its Microsoft reference page and
/// the model section that covers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explained {
    pub name: String,
    pub text: String,
    /// The Microsoft reference page's address.
    pub reference: String,
    /// `9.4`: the link is `spoolscope_render::explain::model_link(section)`.
    pub section: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_covers_and_ends() {
        let w = Window::new(10, 20);
        assert_eq!(w.end(), 30);
        assert!(w.covers(Window::new(10, 20)));
        assert!(w.covers(Window::new(15, 5)));
        assert!(!w.covers(Window::new(5, 10)));
        assert!(!w.covers(Window::new(25, 10)));
        assert_eq!(Window::new(u32::MAX, 5).end(), u32::MAX);
    }
}
