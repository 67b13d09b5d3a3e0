//! The worker's side: one loaded run, and what to paint at any step of it.
//!
//! [`Session::load`] parses, compiles and runs a scenario (the same three calls as
//! `spoolscope run`); on any error the previous run stays loaded, so the page keeps showing
//! the last good run while the text is invalid (contract §5). [`Session::frame`] answers
//! "what does step n look like" with only the visible rows, fully worded; the tables come
//! from [`Timeline::snapshot`] (or, when stepping forward a little, from the previous step's
//! tables plus [`Timeline::changes_at`]), never from a re-run.

use std::collections::{BTreeMap, BTreeSet};

use spoolscope_contract::consts::{self, diag_name, reason_name, FlagSet};
use spoolscope_contract::trace::{self, Event, Trace};
use spoolscope_contract::{parse_scenario, Format, Pos, Scenario};
use spoolscope_engine::tables::{Delta, RecipRow, Tables, XpId};
use spoolscope_engine::{MessageState, RecipientState, Timeline};

use crate::protocol::{
    Activation, Details, DiagramItem, EventLine, ExportKind, Frame, FrameRequest, InputError,
    Lifeline, Marker, MarkerKind, MessageLine, RecipientLine, Request, Response, StatusLine,
    Summary, TableRow, WarningItem, Window, MAX_LISTED_MESSAGES, SMALL_LAYOUT,
};

// The CLI's wording of trace events (flags joined with `|`, `ref=`, decoded NDR codes), used
// as is so that the page and `spoolscope run --format text` say the same thing.
use spoolscope_render::describe;

/// No event / no call.
const NONE: u32 = u32::MAX;

/// Stepping forward by at most this many steps replays changes onto the cached tables
/// instead of taking a snapshot.
const MAX_INCREMENTAL_STEPS: u64 = 512;

/// Largest window of rows a frame carries.
const MAX_WINDOW: u32 = 2000;

/// Longest label drawn on an arrow; the details panel has the full text.
const MAX_LABEL_CHARS: usize = 110;

/// The worker's state: at most one loaded run.
#[derive(Default)]
pub struct Session {
    loaded: Option<Loaded>,
}

impl Session {
    pub fn new() -> Session {
        Session::default()
    }

    /// Answers one request (`None` when there is nothing to answer: no run loaded yet).
    pub fn handle(&mut self, request: Request) -> Option<Response> {
        match request {
            Request::Load { run, text } => Some(Response::Loaded {
                run,
                result: self.load(run, &text),
            }),
            Request::Frame(req) => self.frame(&req).map(Response::Frame),
            Request::Details { run, seq } => Some(Response::Details(self.details(run, seq))),
            Request::Export { run, kind } => Some(Response::Export {
                run,
                kind,
                text: self.export(run, kind),
            }),
        }
    }

    /// The id of the loaded run, if any.
    pub fn run_id(&self) -> Option<u64> {
        self.loaded.as_ref().map(|l| l.run)
    }

    /// Parses, compiles and runs `text`. On success the run becomes the current one, with id
    /// `run`; on error the previous run stays loaded.
    pub fn load(&mut self, run: u64, text: &str) -> Result<Summary, InputError> {
        // A byte-order mark is invisible in editors, so positions are counted without it.
        let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
        let scenario = parse_scenario(text, Format::detect(None, text))
            .map_err(|e| input_error(e.pos, &e.message))?;
        let transports = spoolscope_script::build_transports(&scenario)
            .map_err(|e| input_error(e.pos, &e.message))?;
        let out = spoolscope_engine::run(&scenario, transports);
        if let Some(fault) = &out.fault {
            return Err(input_error(fault.pos.unwrap_or(Pos::START), &fault.message));
        }
        let loaded = Loaded::new(run, scenario, out.trace, out.timeline);
        let summary = loaded.summary();
        self.loaded = Some(loaded);
        Ok(summary)
    }

    /// What to paint at `req.step` (clamped to the run), or `None` with no run loaded.
    pub fn frame(&mut self, req: &FrameRequest) -> Option<Frame> {
        self.loaded.as_mut().map(|l| l.frame(req))
    }

    /// Every field of event `seq` of run `run`, decoded.
    pub fn details(&self, run: u64, seq: u64) -> Option<Details> {
        let l = self.loaded.as_ref()?;
        if l.run != run {
            return None;
        }
        l.details(seq)
    }

    /// Run `run` in an export form (links §6), or `None` when it is not the loaded run.
    pub fn export(&self, run: u64, kind: ExportKind) -> Option<String> {
        let l = self.loaded.as_ref().filter(|l| l.run == run)?;
        let t = &l.trace;
        Some(match kind {
            ExportKind::Json => t.to_json(),
            ExportKind::Mermaid => spoolscope_render::mermaid::render(t),
            ExportKind::Svg => spoolscope_render::svg::render(t),
            ExportKind::Dsn => spoolscope_render::dsn::render(t),
            ExportKind::Record => {
                let json = t.to_json();
                let mut out = spoolscope_render::hash::of_json(&json);
                drop(json);
                let lines = spoolscope_render::digest::recorded(t);
                if lines.len() <= spoolscope_contract::link::MAX_DECODED_BYTES {
                    out.push('\n');
                    out.push_str(&lines);
                }
                out
            }
        })
    }

    /// The loaded run's trace (for tests and the benchmark).
    pub fn trace(&self) -> Option<&Trace> {
        self.loaded.as_ref().map(|l| &l.trace)
    }

    /// The loaded run's timeline (for tests).
    pub fn timeline(&self) -> Option<&Timeline> {
        self.loaded.as_ref().map(|l| &l.timeline)
    }
}

/// `LINE:COL: message` as the protocol carries it; the message on one line.
fn input_error(pos: Pos, message: &str) -> InputError {
    let message: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    InputError {
        line: pos.line.max(1),
        col: pos.col.max(1),
        message: message.join(" "),
    }
}

/// One row of the diagram's layout.
#[derive(Clone, Copy, Debug)]
enum Slot {
    /// Virtual time passes before the next event: seconds.
    Gap(f64),
    /// Trace event by index (seq - 1).
    Event(u32),
}

/// A run with everything precomputed that frames need.
struct Loaded {
    run: u64,
    scenario: Scenario,
    trace: Trace,
    timeline: Timeline,
    lanes: Vec<Lifeline>,
    /// Lane of each event's `from` and `to`.
    event_lanes: Vec<(u32, u32)>,
    layout: Vec<Slot>,
    /// Diagram row of each event.
    row_of: Vec<u32>,
    /// For a return, its call; for anything else, the innermost call open when it happens.
    parent: Vec<u32>,
    /// For a call, its return (NONE while unmatched).
    return_of: Vec<u32>,
    warned: BTreeSet<u64>,
    /// Table row of each message's header row.
    heads: Vec<u32>,
    /// Flat index (in `Tables::recipients`) of each message's first recipient.
    offsets: Vec<u32>,
    table_rows: u32,
    /// The tables at one step, to step forward cheaply.
    cache: Option<(u64, Tables)>,
}

impl Loaded {
    fn new(run: u64, scenario: Scenario, trace: Trace, timeline: Timeline) -> Loaded {
        let mut lanes = vec![
            lane("client", "Client", false),
            lane("store", "Store", false),
            lane("spooler", "Spooler", false),
        ];
        for t in &scenario.transports {
            lanes.push(lane(&t.name, &t.name, true));
        }
        let lane_of = |name: Option<&String>| -> Option<u32> {
            let name = name?;
            // Transports first: a transport may not be called "spooler", but be safe.
            lanes
                .iter()
                .rposition(|l| l.name == *name)
                .map(|i| i as u32)
        };
        let n = trace.events.len();
        let mut event_lanes = Vec::with_capacity(n);
        let mut layout = Vec::with_capacity(n + n / 4);
        let mut row_of = Vec::with_capacity(n);
        let mut parent = vec![NONE; n];
        let mut return_of = vec![NONE; n];
        let mut stack: Vec<u32> = Vec::new();
        let mut prev_t = 0.0f64;
        for (i, ev) in trace.events.iter().enumerate() {
            let from = lane_of(ev.from.as_ref()).unwrap_or(2);
            let to = lane_of(ev.to.as_ref()).unwrap_or(from);
            event_lanes.push((from, to));
            if ev.t > prev_t {
                layout.push(Slot::Gap(ev.t - prev_t));
            }
            prev_t = prev_t.max(ev.t);
            row_of.push(layout.len() as u32);
            layout.push(Slot::Event(i as u32));
            match ev.kind {
                trace::EventKind::Return => {
                    // The matching call is the innermost open call at the same depth.
                    while let Some(c) = stack.pop() {
                        if trace.events[c as usize].depth <= ev.depth {
                            parent[i] = c;
                            return_of[c as usize] = i as u32;
                            break;
                        }
                    }
                }
                kind => {
                    parent[i] = stack.last().copied().unwrap_or(NONE);
                    if kind == trace::EventKind::Call {
                        stack.push(i as u32);
                    }
                }
            }
        }
        let warned = trace.warnings.iter().map(|w| w.seq).collect();
        let mut heads = Vec::with_capacity(scenario.messages.len());
        let mut offsets = Vec::with_capacity(scenario.messages.len());
        let mut row = 0u32;
        let mut flat = 0u32;
        for m in &scenario.messages {
            heads.push(row);
            offsets.push(flat);
            row += 1 + m.recipients.len() as u32;
            flat += m.recipients.len() as u32;
        }
        Loaded {
            run,
            scenario,
            trace,
            timeline,
            lanes,
            event_lanes,
            layout,
            row_of,
            parent,
            return_of,
            warned,
            heads,
            offsets,
            table_rows: row,
            cache: None,
        }
    }

    fn total(&self) -> u64 {
        self.trace.events.len() as u64
    }

    fn summary(&self) -> Summary {
        let total = self.total();
        let bucket = (total / 1000).max(1);
        let mut markers = Vec::new();
        let mut last: BTreeMap<&'static str, u64> = BTreeMap::new();
        let mut mark = |seq: u64, kind: MarkerKind| {
            let b = seq / bucket;
            if last.get(kind.as_str()) != Some(&b) {
                last.insert(kind.as_str(), b);
                markers.push(Marker { seq, kind });
            }
        };
        for (i, ev) in self.trace.events.iter().enumerate() {
            let to_transport = self.lanes[self.event_lanes[i].1 as usize].transport;
            let method = ev.method.as_deref().unwrap_or("");
            match ev.kind {
                trace::EventKind::Call
                    if to_transport && matches!(method, "SubmitMessage" | "EndMessage") =>
                {
                    mark(ev.seq, MarkerKind::Call)
                }
                trace::EventKind::Call if method == "StatusRecips" => {
                    mark(ev.seq, MarkerKind::Report)
                }
                trace::EventKind::Note
                    if ev.text.as_deref().is_some_and(|t| t.starts_with("REPORT.")) =>
                {
                    mark(ev.seq, MarkerKind::Report)
                }
                trace::EventKind::Timer => mark(ev.seq, MarkerKind::Timer),
                _ => {}
            }
        }
        for w in &self.trace.warnings {
            mark(w.seq, MarkerKind::Warning);
        }
        spoolscope_contract::sort_by_key_stable(&mut markers, |m| m.seq);
        Summary {
            run: self.run,
            title: self.scenario.title.clone(),
            description: self.scenario.description.clone(),
            lifelines: self.lanes.clone(),
            total,
            diagram_rows: self.layout.len() as u32,
            table_rows: self.table_rows,
            recipients: self.offsets.last().copied().unwrap_or(0)
                + self
                    .scenario
                    .messages
                    .last()
                    .map(|m| m.recipients.len() as u32)
                    .unwrap_or(0),
            messages: self.scenario.messages.len() as u32,
            markers,
            warnings: self
                .trace
                .warnings
                .iter()
                .map(|w| WarningItem {
                    seq: w.seq,
                    code: w.code.clone(),
                    text: w.text.clone(),
                })
                .collect(),
            end_time: describe::time(self.trace.end.t),
            end_reason: self.trace.end.reason.clone(),
            end_text: self.trace.end.text.clone().unwrap_or_default(),
            walk: crate::walk::stops(&self.trace, &self.scenario),
            cost: Default::default(),
        }
    }

    // ------------------------------------------------------------------------------------
    // Tables at a step
    // ------------------------------------------------------------------------------------

    /// The tables right after event `step` (step 0: before the first event), taken out of
    /// the cache: the previous step's tables plus the changes since, when that is close
    /// behind, else a snapshot. Put them back with `self.cache = Some((step, tables))`.
    fn take_tables(&mut self, step: u64) -> Tables {
        match self.cache.take() {
            Some((at, mut tables)) if at <= step && step - at <= MAX_INCREMENTAL_STEPS => {
                for s in at + 1..=step {
                    for (_, d) in self.timeline.changes_at(s) {
                        d.apply(&mut tables);
                    }
                }
                tables
            }
            _ => self.timeline.snapshot(step),
        }
    }

    // ------------------------------------------------------------------------------------
    // Frames
    // ------------------------------------------------------------------------------------

    fn frame(&mut self, req: &FrameRequest) -> Frame {
        let step = req.step.min(self.total());
        let mut changed_recipients = BTreeSet::new();
        let mut changed_messages = BTreeSet::new();
        let mut changed_status = BTreeSet::new();
        for (_, d) in self.timeline.changes_at(step) {
            match d {
                Delta::Recipient(i, _) => {
                    changed_recipients.insert(*i);
                }
                Delta::Message(i, _) | Delta::QueuePush(i) | Delta::QueueRemove(i) => {
                    changed_messages.insert(*i);
                }
                Delta::Status(i, _) => {
                    changed_status.insert(u32::from(*i));
                }
            }
        }
        let tables = self.take_tables(step);
        let frame = self.frame_from(
            req,
            step,
            &tables,
            &changed_recipients,
            &changed_messages,
            &changed_status,
        );
        self.cache = Some((step, tables));
        frame
    }

    fn frame_from(
        &self,
        req: &FrameRequest,
        step: u64,
        tables: &Tables,
        changed_recipients: &BTreeSet<u32>,
        changed_messages: &BTreeSet<u32>,
        changed_status: &BTreeSet<u32>,
    ) -> Frame {
        let current_idx = (step as usize).checked_sub(1);
        let current = current_idx.map(|i| self.event_line(i));
        let time = current
            .as_ref()
            .map(|c| c.time.clone())
            .unwrap_or_else(|| describe::time(0.0));
        // The diagram shows the events up to this step: the current one is the last row.
        let visible = current_idx.map(|i| self.row_of[i] + 1).unwrap_or(0);
        let diagram_window = if visible <= SMALL_LAYOUT {
            Window::new(0, visible)
        } else {
            let count = req.diagram.count.clamp(1, MAX_WINDOW).min(visible);
            let start = if req.follow {
                visible - count
            } else {
                req.diagram.start.min(visible - count)
            };
            Window::new(start, count)
        };
        let mut diagram = Vec::with_capacity(diagram_window.count as usize);
        for row in diagram_window.start..diagram_window.end() {
            match self.layout.get(row as usize) {
                Some(Slot::Gap(secs)) => diagram.push(DiagramItem::Gap {
                    row,
                    label: format!("+{}", describe::duration(*secs)),
                }),
                Some(Slot::Event(i)) => diagram.push(DiagramItem::Event {
                    row,
                    event: self.event_line(*i as usize),
                }),
                None => break,
            }
        }
        let activations = self.activations(diagram_window, step, visible);

        let table_window = if self.table_rows <= SMALL_LAYOUT {
            Window::new(0, self.table_rows)
        } else {
            let count = req.table.count.clamp(1, MAX_WINDOW).min(self.table_rows);
            Window::new(req.table.start.min(self.table_rows - count), count)
        };
        let mut table = Vec::with_capacity(table_window.count as usize);
        for row in table_window.start..table_window.end() {
            let m = self.heads.partition_point(|h| *h <= row).saturating_sub(1);
            let Some(head) = self.heads.get(m) else {
                break;
            };
            if *head == row {
                table.push(TableRow::Message(self.message_line(
                    tables,
                    m,
                    changed_messages,
                )));
            } else {
                let flat = self.offsets[m] + (row - head - 1);
                if let Some(r) = tables.recipients.get(flat as usize) {
                    table.push(TableRow::Recipient(
                        self.recipient_line(r, changed_recipients.contains(&flat)),
                    ));
                }
            }
        }

        let queue: Vec<MessageLine> = tables
            .queue
            .iter()
            .take(MAX_LISTED_MESSAGES)
            .map(|m| self.message_line(tables, *m as usize, changed_messages))
            .collect();
        let messages = (0..tables.messages.len().min(MAX_LISTED_MESSAGES))
            .map(|m| self.message_line(tables, m, changed_messages))
            .collect();
        let status = tables
            .status
            .iter()
            .enumerate()
            .map(|(i, s)| StatusLine {
                transport: self.xp_name(i as XpId).to_string(),
                logged_on: s.logged_on,
                outbound_enabled: s.outbound_enabled,
                status: describe::flags(&FlagSet::StatusCode.names(s.status_code)),
                in_flight: s
                    .in_flight
                    .map(|m| self.message_id(m as usize).to_string())
                    .unwrap_or_default(),
                deferred: s
                    .deferred
                    .iter()
                    .map(|m| self.message_id(*m as usize))
                    .collect::<Vec<_>>()
                    .join(", "),
                changed: changed_status.contains(&(i as u32)),
            })
            .collect();
        let mut counts: BTreeMap<&'static str, u32> = BTreeMap::new();
        for r in &tables.recipients {
            *counts.entry(r.state.contract_status()).or_default() += 1;
        }
        Frame {
            run: self.run,
            step,
            time,
            current,
            current_row: current_idx.map(|i| self.row_of[i]),
            diagram_rows: visible,
            diagram_window,
            diagram,
            activations,
            table_window,
            table,
            queue,
            queue_total: tables.queue.len() as u32,
            messages,
            status,
            counts: counts
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        }
    }

    /// Calls open during `window`: those starting in it, and those already open at its top.
    fn activations(&self, window: Window, step: u64, visible: u32) -> Vec<Activation> {
        let mut out = Vec::new();
        if visible == 0 {
            return out;
        }
        let last_row = visible - 1;
        let add = |c: usize, out: &mut Vec<Activation>| {
            let ret = self.return_of[c];
            let (to_row, open) = if ret != NONE && (ret as u64) < step {
                (self.row_of[ret as usize], false)
            } else {
                (last_row, true)
            };
            out.push(Activation {
                lane: self.event_lanes[c].1,
                depth: self.trace.events[c].depth,
                from_row: self.row_of[c],
                to_row,
                open,
            });
        };
        let mut first = None;
        for row in window.start..window.end().min(visible) {
            if let Some(Slot::Event(i)) = self.layout.get(row as usize) {
                let i = *i as usize;
                first.get_or_insert(i);
                if self.trace.events[i].kind == trace::EventKind::Call {
                    add(i, &mut out);
                }
            }
        }
        // Calls opened above the window and still open at its first event.
        if let Some(f) = first {
            let mut c = self.parent[f];
            while c != NONE {
                add(c as usize, &mut out);
                c = self.parent[c as usize];
            }
        }
        spoolscope_contract::sort_by_key_stable(&mut out, |a| {
            u64::from(a.from_row) << 8 | u64::from(a.depth.min(255))
        });
        out
    }

    fn event_line(&self, i: usize) -> EventLine {
        let ev = &self.trace.events[i];
        let (from_lane, to_lane) = self.event_lanes[i];
        let label = describe::label(ev);
        EventLine {
            seq: ev.seq,
            time: describe::time(ev.t),
            depth: ev.depth,
            kind: ev.kind,
            from: ev.from.clone().unwrap_or_default(),
            to: ev.to.clone().unwrap_or_default(),
            method: ev.method.clone().unwrap_or_default(),
            from_lane,
            to_lane,
            label: shorten(label, MAX_LABEL_CHARS),
            warned: self.warned.contains(&ev.seq),
        }
    }

    fn xp_name(&self, t: XpId) -> &str {
        self.scenario
            .transports
            .get(t as usize)
            .map(|x| x.name.as_str())
            .unwrap_or("?")
    }

    fn xp_names(&self, list: &[XpId]) -> String {
        list.iter()
            .map(|t| self.xp_name(*t))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn message_id(&self, m: usize) -> &str {
        self.scenario
            .messages
            .get(m)
            .map(|x| x.id.as_str())
            .unwrap_or("?")
    }

    fn message_state(&self, s: MessageState) -> String {
        match s {
            MessageState::InSubmit(t)
            | MessageState::InEnd(t)
            | MessageState::RetryWait(t)
            | MessageState::Deferred(t) => format!("{}({})", s.name(), self.xp_name(t)),
            _ => s.name().to_string(),
        }
    }

    fn recipient_state(&self, s: RecipientState) -> String {
        match s.transport() {
            Some(t) => format!("{}({})", s.name(), self.xp_name(t)),
            None => s.name().to_string(),
        }
    }

    fn message_line(&self, tables: &Tables, m: usize, changed: &BTreeSet<u32>) -> MessageLine {
        let spec = self.scenario.messages.get(m);
        let row = tables.messages.get(m);
        MessageLine {
            index: m as u32,
            id: self.message_id(m).to_string(),
            subject: spec.map(|s| s.subject.clone()).unwrap_or_default(),
            state: row.map(|r| self.message_state(r.state)).unwrap_or_default(),
            status: row
                .map(|r| r.state.contract_status().to_string())
                .unwrap_or_default(),
            locked: row.is_some_and(|r| r.locked),
            in_queue: tables.queue.contains(&(m as u32)),
            flags: row
                .map(|r| describe::flags(&FlagSet::MessageFlags.names(r.message_flags)))
                .unwrap_or_default(),
            retry_at: row
                .and_then(|r| r.retry_at)
                .map(|t| describe::time(t.as_secs_f64()))
                .unwrap_or_default(),
            recipients: spec.map(|s| s.recipients.len() as u32).unwrap_or(0),
            changed: changed.contains(&(m as u32)),
        }
    }

    fn recipient_line(&self, r: &RecipRow, changed: bool) -> RecipientLine {
        let spec = self
            .scenario
            .messages
            .get(r.message as usize)
            .and_then(|m| m.recipients.get(r.index as usize));
        RecipientLine {
            message: self.message_id(r.message as usize).to_string(),
            index: r.index,
            name: spec.map(|s| s.name.clone()).unwrap_or_default(),
            address: spec.map(|s| s.address.clone()).unwrap_or_default(),
            addr_type: spec.map(|s| s.addr_type.clone()).unwrap_or_default(),
            recipient_type: spec
                .map(|s| s.recipient_type.as_str().to_string())
                .unwrap_or_default(),
            candidates: self.xp_names(&r.candidates),
            offered: self.xp_names(&r.offered_to),
            responsibility: r.responsibility,
            status: r.state.contract_status().to_string(),
            state: self.recipient_state(r.state),
            report: r.report.map(|k| k.as_str().to_string()).unwrap_or_default(),
            reason: r.ndr_reason.map(reason_name).unwrap_or_default(),
            diag: r.ndr_diag.map(diag_name).unwrap_or_default(),
            text: r.report_text.as_deref().unwrap_or("").to_string(),
            why: r.why.to_string(),
            changed,
        }
    }

    // ------------------------------------------------------------------------------------
    // Details
    // ------------------------------------------------------------------------------------
}

fn lane(name: &str, label: &str, transport: bool) -> Lifeline {
    Lifeline {
        name: name.to_string(),
        label: label.to_string(),
        transport,
    }
}

/// `text` cut to `max` characters, with an ellipsis.
fn shorten(text: String, max: usize) -> String {
    if text.chars().count() <= max {
        return text;
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

mod details;
#[cfg(test)]
mod tests;
