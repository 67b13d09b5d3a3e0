//! `--format svg`: the sequence diagram as one standalone SVG 1.1 file.
//!
//! It draws what the Mermaid renderer ([`crate::mermaid`]) and the page draw, with the same
//! wording ([`crate::describe`]):
//!
//! - Lifelines: `Client`, `Store`, `Spooler`, then every other name in the events' `from`/`to`
//!   fields (the transports) in order of first appearance, each a box at the top and at the
//!   bottom joined by a dashed line.
//! - One row per event, top to bottom: a call is a solid arrow with its label above it, a
//!   return a dashed arrow; a call to oneself is a short loop. Returns are matched to calls
//!   by depth, as in Mermaid, and each call draws an activation bar on its callee until its
//!   return (or the end of the trace, for a call that never returned). Property changes,
//!   timers and notes are boxes beside their lifeline; StatusRecips entries a box under the
//!   call; a warning marks its event with ⚠ in the margin and a box with its text; a jump of
//!   virtual time is a grey band (`⏱ 5.000s (+3s)`).
//! - Layout is by character count (a 12 px monospace font is about 7.2 px a character): the
//!   lifelines are spaced so that arrow labels fit between them, and longer labels wrap.
//!   Labels are cut at [`MAX_LABEL`] characters and notes at [`MAX_NOTE`], with `…`; every
//!   event also carries its full text as a tooltip (`<title>`).
//! - The file stands alone: styles in a `<style>` element, generic monospace fonts, no
//!   scripts, no external references, no `foreignObject`. All user text is XML-escaped and
//!   its control characters are shown as escapes, so no trace can inject markup. The output
//!   depends on the trace only.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use spoolscope_contract::trace::{Event, EventKind, Trace, Warning};

use crate::describe::{self, one_line};

/// Longest arrow label or title, in characters; longer ones are cut with `…`.
pub const MAX_LABEL: usize = 110;
/// Longest note, in characters; longer ones are cut with `…`.
pub const MAX_NOTE: usize = 240;
/// The font of every text.
const FONT: &str = "ui-monospace, Menlo, Consolas, 'DejaVu Sans Mono', monospace";
/// Width of one character of the 12 px label font.
const CW: f64 = 7.2;
/// Width of one character of the 13 px bold lifeline names.
const HEAD_CW: f64 = 7.9;
/// Width of one character of the 16 px bold title.
const TITLE_CW: f64 = 9.7;
/// Distance between two lines of label text.
const LINE_H: f64 = 14.0;
/// Least distance between two lifelines.
const MIN_GAP: f64 = 150.0;
/// An arrow label longer than this (in characters) wraps rather than widening its lane gap.
const ARROW_CHARS: usize = 56;
/// Longest line of a note, in characters.
const NOTE_CHARS: usize = 80;
/// Longest lifeline name, in characters.
const NAME_CHARS: usize = 20;
/// Horizontal room an arrow keeps free beside its label.
const ARROW_PAD: f64 = 34.0;
/// Height of a lifeline's name box.
const HEAD_H: f64 = 28.0;
/// Height of a time-gap band.
const BAND_H: f64 = 24.0;
/// Horizontal offset of each nested activation bar on one lifeline.
const NEST: f64 = 5.0;

/// The fixed lifelines: the name in the trace and the name drawn.
const FIXED: [(&str, &str); 3] = [
    ("client", "Client"),
    ("store", "Store"),
    ("spooler", "Spooler"),
];

/// The lifeline of the spooler, which draws what names no lifeline.
const SPOOLER: usize = 2;

const STYLE: &str = "\
.bg{fill:#ffffff}\
.title{font-size:16px;font-weight:bold;fill:#1d2330}\
.hd{fill:#f3f6fb;stroke:#c8d1de}\
.hdt{fill:#eef7f0;stroke:#bcd8c4}\
.hn{font-size:13px;font-weight:bold;fill:#1d2330}\
.life{stroke:#b9c2cf;stroke-dasharray:4 4}\
.act{fill:#dfe8f6;stroke:#7f9cc9}\
.actopen{fill:#c9dbf5;stroke:#7f9cc9;stroke-dasharray:3 2}\
.call{stroke:#1f3f7a;stroke-width:1.4;fill:none}\
.ret{stroke:#4f5b6e;stroke-width:1.4;stroke-dasharray:5 3;fill:none}\
.head{fill:#1f3f7a}\
.openhead{fill:none;stroke:#4f5b6e;stroke-width:1.3}\
.lbg{fill:#ffffff;fill-opacity:0.88}\
.lbl{fill:#1d2330}\
.note{fill:#fffbea;stroke:#e4d59a}\
.property{fill:#eef7f0;stroke:#bcd8c4}\
.timer{fill:#fff4e0;stroke:#f0c987}\
.entries{fill:#f3f6fb;stroke:#c8d1de}\
.warn{fill:#fdecea;stroke:#e6a39e}\
.nt{fill:#3b4453}\
.wt{fill:#b3261e}\
.dot{fill:#7f8a9c}\
.gap{fill:#eef0f4}\
.end{fill:#e4edfb}\
.gt{fill:#5d6676;font-style:italic}\
.warned{fill:#fff4e8}\
.seq{fill:#8a93a3;font-size:11px}\
.mark{fill:#b3261e;font-size:11px}";

/// Renders the whole trace as one SVG document; the result ends with a newline.
pub fn render(trace: &Trace) -> String {
    let mut lanes = Lanes::of(&trace.events);
    let items = plan(trace, &lanes);
    lanes.place(&items);
    let mut c = Canvas::new(lanes);
    let title = cut(&one_line(&trace.title), MAX_LABEL);
    if !title.is_empty() {
        c.y = 44.0;
        c.right = c.right.max(12.0 + width_of(&title, TITLE_CW));
    }
    c.header_top = c.y;
    c.y += HEAD_H + 12.0;
    for item in &items {
        match item {
            Item::Gap(label) => c.band(label, "gap"),
            Item::Row(row) => c.row(row),
            Item::Orphan(text) => c.note_row(SPOOLER, text),
        }
    }
    c.close_all();
    c.y += 4.0;
    c.band(&end_label(trace), "end");
    c.finish(&title)
}

/// What one event draws, worked out before the lane gaps are known.
struct Row<'a> {
    ev: &'a Event,
    shape: Shape,
    /// The arrow label or the note, one line, cut.
    label: String,
    /// StatusRecips entries, one per line.
    entries: Vec<String>,
    /// The warnings that point at this event.
    warnings: Vec<String>,
    /// Open calls that never returned, closed before this return.
    abandon: usize,
}

/// How an event is drawn.
enum Shape {
    /// A call (`call` true) or a return from one lifeline to another, or a loop when both are
    /// the same. A call opens an activation bar on `to`; a matched return closes the
    /// innermost one.
    Arrow {
        from: usize,
        to: usize,
        call: bool,
        matched: bool,
    },
    /// A box beside a lifeline, styled by `class`.
    Note { lane: usize, class: &'static str },
}

/// One entry of the diagram, top to bottom.
enum Item<'a> {
    /// Virtual time jumped: the band's label.
    Gap(String),
    Row(Row<'a>),
    /// A warning whose `seq` names no event.
    Orphan(String),
}

/// The diagram's entries: the trace's events with the time gaps between them, matched
/// returns and warnings, then the warnings that point at no event.
fn plan<'a>(trace: &'a Trace, lanes: &Lanes) -> Vec<Item<'a>> {
    let mut warnings: BTreeMap<u64, Vec<&Warning>> = BTreeMap::new();
    for w in &trace.warnings {
        warnings.entry(w.seq).or_default().push(w);
    }
    let mut items = Vec::with_capacity(trace.events.len() + 8);
    // Open calls: (depth, caller lane, callee lane).
    let mut open: Vec<(u32, usize, usize)> = Vec::new();
    let mut last_t = 0.0_f64;
    for ev in &trace.events {
        if ev.t > last_t {
            items.push(Item::Gap(format!(
                "⏱ {} (+{})",
                describe::time(ev.t),
                describe::duration(ev.t - last_t)
            )));
            last_t = ev.t;
        }
        let who = lanes.find(ev.from.as_deref());
        let mut abandon = 0;
        let mut entries = Vec::new();
        let (shape, label) = match ev.kind {
            EventKind::Call => {
                let to = lanes.find(ev.to.as_deref());
                open.push((ev.depth, who, to));
                entries = ev.entries.iter().flatten().map(describe::entry).collect();
                let shape = Shape::Arrow {
                    from: who,
                    to,
                    call: true,
                    matched: false,
                };
                (shape, with_text(describe::call(ev), ev))
            }
            EventKind::Return => {
                // Calls deeper than this return never returned: close them first.
                while open.last().is_some_and(|(depth, _, _)| *depth > ev.depth) {
                    open.pop();
                    abandon += 1;
                }
                let matched = open.last().is_some_and(|(depth, _, _)| *depth == ev.depth);
                let (from, to) = match if matched { open.pop() } else { None } {
                    Some((_, caller, callee)) => (callee, caller),
                    None => (who, lanes.find(ev.to.as_deref())),
                };
                let shape = Shape::Arrow {
                    from,
                    to,
                    call: false,
                    matched,
                };
                (shape, with_text(describe::returned(ev), ev))
            }
            EventKind::Property => (
                Shape::Note {
                    lane: who,
                    class: "property",
                },
                with_text(describe::property_event(ev), ev),
            ),
            EventKind::Timer => (
                Shape::Note {
                    lane: who,
                    class: "timer",
                },
                with_text(describe::timer_event(ev), ev),
            ),
            EventKind::Note => (
                Shape::Note {
                    lane: who,
                    class: "note",
                },
                one_line(
                    ev.text
                        .as_deref()
                        .filter(|t| !t.trim().is_empty())
                        .unwrap_or("note"),
                ),
            ),
        };
        let max = match shape {
            Shape::Arrow { .. } => MAX_LABEL,
            Shape::Note { .. } => MAX_NOTE,
        };
        items.push(Item::Row(Row {
            ev,
            shape,
            label: cut(&label, max),
            entries: entries.iter().map(|e| cut(e, MAX_NOTE)).collect(),
            warnings: (warnings.remove(&ev.seq).into_iter().flatten())
                .map(|w| cut(&format!("⚠ {}", warning(w)), MAX_NOTE))
                .collect(),
            abandon,
        }));
    }
    // Warnings that point at no event still belong in the picture.
    for w in warnings.into_values().flatten() {
        items.push(Item::Orphan(cut(&format!("⚠ {}", warning(w)), MAX_NOTE)));
    }
    items
}

/// `text — explanation` when the event carries an explanation (as in the Mermaid diagram).
fn with_text(mut s: String, ev: &Event) -> String {
    if let Some(t) = &ev.text {
        s.push_str(" — ");
        s.push_str(&one_line(t));
    }
    s
}

fn warning(w: &Warning) -> String {
    format!(
        "seq {} [{}] {}",
        w.seq,
        one_line(&w.code),
        one_line(&w.text)
    )
}

fn end_label(trace: &Trace) -> String {
    let mut end = format!(
        "run ended at {}: {}",
        describe::time(trace.end.t),
        one_line(&trace.end.reason)
    );
    if let Some(text) = &trace.end.text {
        end.push_str(&format!(" ({})", one_line(text)));
    }
    cut(&end, MAX_NOTE)
}

/// The lifelines in diagram order.
struct Lanes {
    /// The name in the trace.
    names: Vec<String>,
    /// The name drawn in the box, cut.
    labels: Vec<String>,
    /// x of each lifeline, once placed.
    xs: Vec<f64>,
    /// Width of the left margin (sequence numbers and warning marks).
    margin: f64,
}

impl Lanes {
    fn of(events: &[Event]) -> Lanes {
        let mut names: Vec<String> = FIXED.iter().map(|(n, _)| (*n).to_string()).collect();
        let mut labels: Vec<String> = FIXED.iter().map(|(_, l)| (*l).to_string()).collect();
        for name in events
            .iter()
            .flat_map(|e| [e.from.as_deref(), e.to.as_deref()])
            .flatten()
        {
            if !names.iter().any(|n| n == name) {
                names.push(name.to_string());
                labels.push(cut(&one_line(name), NAME_CHARS));
            }
        }
        let digits = events
            .iter()
            .map(|e| e.seq.to_string().len())
            .max()
            .unwrap_or(1);
        Lanes {
            xs: vec![0.0; names.len()],
            names,
            labels,
            margin: 14.0 + (digits + 2) as f64 * CW,
        }
    }

    /// The lifeline of `name`; a missing name is the spooler's.
    fn find(&self, name: Option<&str>) -> usize {
        let name = name.unwrap_or("spooler");
        self.names.iter().position(|n| n == name).unwrap_or(SPOOLER)
    }

    /// Width of lifeline `i`'s name box.
    fn box_width(&self, i: usize) -> f64 {
        let chars = self.labels.get(i).map_or(0, |l| l.chars().count());
        (chars as f64 * HEAD_CW + 24.0).max(84.0)
    }

    /// Places the lifelines: at least [`MIN_GAP`] apart, the name boxes clear of each other,
    /// and every arrow's label (up to [`ARROW_CHARS`] characters) between its two ends.
    /// Narrow spans are settled first, so widening a wide one never undoes them.
    fn place(&mut self, items: &[Item]) {
        let n = self.names.len();
        let mut gaps: Vec<f64> = (1..n)
            .map(|i| MIN_GAP.max((self.box_width(i - 1) + self.box_width(i)) / 2.0 + 16.0))
            .collect();
        // The widest label between each pair of lifelines, keyed (span, left, right).
        let mut need: BTreeMap<(usize, usize, usize), f64> = BTreeMap::new();
        for item in items {
            if let Item::Row(Row {
                shape: Shape::Arrow { from, to, .. },
                label,
                ..
            }) = item
            {
                if from != to {
                    let (a, b) = ((*from).min(*to), (*from).max(*to));
                    let chars = label.chars().count().min(ARROW_CHARS);
                    let w = chars as f64 * CW + ARROW_PAD;
                    let slot = need.entry((b - a, a, b)).or_insert(0.0);
                    *slot = slot.max(w);
                }
            }
        }
        for ((span, a, b), w) in need {
            let Some(have) = gaps.get(a..b).map(|g| g.iter().sum::<f64>()) else {
                continue;
            };
            if have < w {
                let add = (w - have) / span as f64;
                for g in gaps.iter_mut().take(b).skip(a) {
                    *g += add;
                }
            }
        }
        let mut x = self.margin + (self.box_width(0) / 2.0).max(40.0);
        self.xs.clear();
        self.xs.push(x);
        for g in gaps {
            x += g.ceil();
            self.xs.push(x);
        }
    }

    fn x(&self, lane: usize) -> f64 {
        self.xs.get(lane).copied().unwrap_or(0.0)
    }
}

/// An activation bar being drawn.
struct Bar {
    lane: usize,
    /// How many bars were open on the same lifeline under it.
    level: usize,
    top: f64,
}

/// The picture being drawn, in layers that are put together at the end, when the size is
/// known.
struct Canvas {
    lanes: Lanes,
    /// The next row's top.
    y: f64,
    /// Top of the lifelines' name boxes.
    header_top: f64,
    /// The rightmost x drawn on so far.
    right: f64,
    /// Full-width bands: (top, height, label, class).
    bands: Vec<(f64, f64, String, &'static str)>,
    /// Activation bars.
    bars: String,
    /// Arrows, labels and notes.
    fg: String,
    /// Sequence numbers and warning marks in the left margin.
    marks: String,
    open: Vec<Bar>,
}

impl Canvas {
    fn new(lanes: Lanes) -> Canvas {
        let last = lanes.xs.len().saturating_sub(1);
        let right = lanes.x(last) + lanes.box_width(last) / 2.0;
        Canvas {
            lanes,
            y: 12.0,
            header_top: 12.0,
            right,
            bands: Vec::new(),
            bars: String::new(),
            fg: String::new(),
            marks: String::new(),
            open: Vec::new(),
        }
    }

    /// How many activation bars are open on `lane`.
    fn level(&self, lane: usize) -> usize {
        self.open.iter().filter(|b| b.lane == lane).count()
    }

    /// Centre x of the bar at `level` on `lane`.
    fn bar_x(&self, lane: usize, level: usize) -> f64 {
        self.lanes.x(lane) + level as f64 * NEST
    }

    /// Where an arrow leaves or meets `lane` on its side facing `right` (or left): the edge
    /// of its innermost open bar, or the lifeline itself.
    fn edge(&self, lane: usize, right: bool) -> f64 {
        match self.level(lane) {
            0 => self.lanes.x(lane),
            n => self.bar_x(lane, n - 1) + if right { 5.0 } else { -5.0 },
        }
    }

    fn open_bar(&mut self, lane: usize, top: f64) {
        let level = self.level(lane);
        self.open.push(Bar { lane, level, top });
    }

    /// Closes the innermost open bar at `bottom`; `returned` is false for a call that never
    /// returned.
    fn close_bar(&mut self, bottom: f64, returned: bool) {
        if let Some(bar) = self.open.pop() {
            let x = self.bar_x(bar.lane, bar.level) - 5.0;
            let h = (bottom - bar.top).max(4.0);
            let class = if returned { "act" } else { "actopen" };
            let _ = writeln!(
                self.bars,
                r#"<rect class="{class}" x="{}" y="{}" width="10" height="{}"/>"#,
                N(x),
                N(bar.top),
                N(h)
            );
        }
    }

    /// Closes the bars of calls still open when the trace ends.
    fn close_all(&mut self) {
        let y = self.y;
        while !self.open.is_empty() {
            self.close_bar(y, false);
        }
    }

    /// A band across the whole diagram with `label` (a time gap or the end of the run).
    fn band(&mut self, label: &str, class: &'static str) {
        self.bands
            .push((self.y + 2.0, BAND_H - 4.0, label.to_string(), class));
        self.right = self
            .right
            .max(self.lanes.margin + width_of(label, CW) + 12.0);
        self.y += BAND_H;
    }

    /// One event's row: its shape, then its StatusRecips entries and warnings below it.
    fn row(&mut self, row: &Row) {
        let top = self.y;
        let _ = writeln!(
            self.fg,
            r#"<g class="e-{}"><title>{}</title>"#,
            row.ev.kind.as_str(),
            xml(&tooltip(row.ev))
        );
        let mark_y = match row.shape {
            Shape::Arrow {
                from,
                to,
                call,
                matched,
            } => self.arrow(row, from, to, call, matched),
            Shape::Note { lane, class } => {
                let (height, first) = self.note(lane, self.y + 3.0, &row.label, class, "nt");
                self.y += height + 6.0;
                first
            }
        };
        if !row.entries.is_empty() {
            // Under the arrow, as wide as it when it spans lifelines.
            let (lane, span) = match row.shape {
                Shape::Arrow { from, to, .. } => {
                    let (xa, xb) = (self.lanes.x(from), self.lanes.x(to));
                    (if xa <= xb { from } else { to }, (xb - xa).abs())
                }
                Shape::Note { lane, .. } => (lane, 0.0),
            };
            let chars = if span > 0.0 {
                (((span - 30.0) / CW) as usize).max(40)
            } else {
                NOTE_CHARS
            };
            let lines: Vec<String> = (row.entries.iter()).flat_map(|e| wrap(e, chars)).collect();
            let x = if span > 0.0 {
                self.edge(lane, true) + 10.0
            } else {
                self.beside(lane, &lines, 10.0)
            };
            let h = self.boxed(x, self.y - 2.0, &lines, "entries", "nt");
            self.y += h + 4.0;
        }
        for w in &row.warnings {
            let lane = match row.shape {
                Shape::Arrow { from, .. } => from,
                Shape::Note { lane, .. } => lane,
            };
            let (h, _) = self.note(lane, self.y - 2.0, w, "warn", "wt");
            self.y += h + 4.0;
        }
        self.fg.push_str("</g>\n");
        if !row.warnings.is_empty() {
            self.bands
                .push((top, self.y - top, String::new(), "warned"));
            let x = N(self.lanes.margin - 8.0);
            let _ = writeln!(
                self.marks,
                r#"<text class="mark" x="{x}" y="{}" text-anchor="end">⚠ {}</text>"#,
                N(mark_y),
                row.ev.seq
            );
        } else {
            let _ = writeln!(
                self.marks,
                r#"<text class="seq" x="{}" y="{}" text-anchor="end">{}</text>"#,
                N(self.lanes.margin - 8.0),
                N(mark_y),
                row.ev.seq
            );
        }
    }

    /// An arrow row: the label lines, then the arrow (or a loop); returns the y for the
    /// sequence number.
    fn arrow(&mut self, row: &Row, from: usize, to: usize, call: bool, matched: bool) -> f64 {
        for _ in 0..row.abandon {
            let y = self.y;
            self.close_bar(y, false);
        }
        let (xa, xb) = (self.lanes.x(from), self.lanes.x(to));
        let class = if call { "call" } else { "ret" };
        let marker = if call { "head" } else { "openhead" };
        if from == to {
            // A loop on one lifeline, the label beside it.
            let lines = wrap(&row.label, NOTE_CHARS);
            let sx = self.edge(from, true);
            let ay = self.y + LINE_H * lines.len() as f64 + 7.0;
            self.label_lines(sx + 6.0, self.y, &lines, "start");
            if call {
                self.open_bar(to, ay - 2.0);
            } else if matched {
                self.close_bar(ay + 4.0, true);
            }
            let ex = self.edge(from, true);
            let _ = writeln!(
                self.fg,
                r#"<path class="{class}" d="M{},{} h26 v10 H{}" marker-end="url(#{marker})"/>"#,
                N(sx),
                N(ay - 6.0),
                N(ex + 1.0)
            );
            self.right = self.right.max(sx + 32.0);
            self.y = ay + 10.0;
            return ay + 4.0;
        }
        let rightwards = xb > xa;
        let span = (xb - xa).abs();
        let chars = ((span - ARROW_PAD) / CW + 0.01).floor().max(12.0) as usize;
        let lines = wrap(&row.label, chars);
        let ay = self.y + LINE_H * lines.len() as f64 + 7.0;
        self.label_lines((xa + xb) / 2.0, self.y, &lines, "middle");
        let sx;
        let ex;
        if call {
            sx = self.edge(from, rightwards);
            self.open_bar(to, ay);
            ex = self.edge(to, !rightwards);
        } else {
            sx = self.edge(from, rightwards);
            if matched {
                self.close_bar(ay, true);
            }
            ex = self.edge(to, !rightwards);
        }
        // Stop short of the arrowhead's tip so that it ends on the edge.
        let ex = if rightwards { ex - 1.0 } else { ex + 1.0 };
        let _ = writeln!(
            self.fg,
            r#"<line class="{class}" x1="{}" y1="{}" x2="{}" y2="{}" marker-end="url(#{marker})"/>"#,
            N(sx),
            N(ay),
            N(ex),
            N(ay)
        );
        self.y = ay + 7.0;
        ay + 4.0
    }

    /// Label lines centred on (`anchor` "middle") or starting at `x`, the first one's top at
    /// `top`, each on a light background.
    fn label_lines(&mut self, x: f64, top: f64, lines: &[String], anchor: &str) {
        for (i, line) in lines.iter().enumerate() {
            let base = top + 13.0 + LINE_H * i as f64;
            let w = width_of(line, CW) + 6.0;
            let left = if anchor == "middle" {
                x - w / 2.0
            } else {
                x - 3.0
            };
            self.right = self.right.max(left + w);
            let _ = writeln!(
                self.fg,
                r#"<rect class="lbg" x="{}" y="{}" width="{}" height="13"/><text class="lbl" x="{}" y="{}" text-anchor="{anchor}">{}</text>"#,
                N(left),
                N(base - 10.0),
                N(w),
                N(x),
                N(base),
                xml(line)
            );
        }
    }

    /// A note box beside `lane` with a dot on the lifeline; returns its height and the
    /// baseline of its first line.
    fn note(
        &mut self,
        lane: usize,
        top: f64,
        text: &str,
        class: &str,
        text_class: &str,
    ) -> (f64, f64) {
        let lines = wrap(text, NOTE_CHARS);
        let level = self.level(lane);
        let cx = if level == 0 {
            self.lanes.x(lane)
        } else {
            self.bar_x(lane, level - 1)
        };
        let x = self.beside(lane, &lines, 8.0);
        let h = self.boxed(x, top, &lines, class, text_class);
        let _ = writeln!(
            self.fg,
            r#"<circle class="dot" cx="{}" cy="{}" r="3"/>"#,
            N(cx),
            N(top + 11.0)
        );
        (h, top + 15.0)
    }

    /// Left edge of a box of `lines` beside `lane`, `gap` away from it: to the right of the
    /// lifeline, or to its left when it would stick out past the last lifeline's name box
    /// and fits on the left.
    fn beside(&self, lane: usize, lines: &[String], gap: f64) -> f64 {
        let w = box_width(lines);
        let right = self.edge(lane, true) + gap;
        let last = self.lanes.xs.len().saturating_sub(1);
        let limit = self.lanes.x(last) + self.lanes.box_width(last) / 2.0 + 24.0;
        let left = self.edge(lane, false) - gap - w;
        if right + w > limit && left >= self.lanes.margin {
            left
        } else {
            right
        }
    }

    /// A box at (`x`, `top`) holding `lines`; returns its height.
    fn boxed(&mut self, x: f64, top: f64, lines: &[String], class: &str, text_class: &str) -> f64 {
        let w = box_width(lines);
        let h = LINE_H * lines.len().max(1) as f64 + 8.0;
        self.right = self.right.max(x + w);
        let _ = writeln!(
            self.fg,
            r#"<rect class="{class}" x="{}" y="{}" width="{}" height="{}" rx="3"/>"#,
            N(x),
            N(top),
            N(w),
            N(h)
        );
        for (i, line) in lines.iter().enumerate() {
            let _ = writeln!(
                self.fg,
                r#"<text class="{text_class}" x="{}" y="{}">{}</text>"#,
                N(x + 6.0),
                N(top + 15.0 + LINE_H * i as f64),
                xml(line)
            );
        }
        h
    }

    /// A row holding a warning that points at no event, beside `lane`.
    fn note_row(&mut self, lane: usize, text: &str) {
        self.fg.push_str("<g class=\"e-warning\">\n");
        let (h, _) = self.note(lane, self.y + 3.0, text, "warn", "wt");
        self.fg.push_str("</g>\n");
        self.y += h + 6.0;
    }

    /// Puts the layers together.
    fn finish(self, title: &str) -> String {
        let width = (self.right + 16.0).ceil();
        let foot_top = self.y + 10.0;
        let height = (foot_top + HEAD_H + 12.0).ceil();
        let (w, h) = (N(width), N(height));
        let mut out = String::with_capacity(self.fg.len() + self.bars.len() + 4096);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{FONT}" font-size="12" xml:space="preserve">"#
        );
        let _ = writeln!(
            out,
            "<title>{}</title>",
            xml(if title.is_empty() {
                "Spoolscope trace"
            } else {
                title
            })
        );
        let _ = writeln!(out, "<style type=\"text/css\">{STYLE}</style>");
        out.push_str(concat!(
            "<defs>\n",
            r#"<marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path class="head" d="M0,0 L10,5 L0,10 z"/></marker>"#,
            "\n",
            r#"<marker id="openhead" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path class="openhead" d="M0,0 L10,5 L0,10"/></marker>"#,
            "\n</defs>\n"
        ));
        let _ = writeln!(
            out,
            r#"<rect class="bg" x="0" y="0" width="{w}" height="{h}"/>"#
        );
        if !title.is_empty() {
            let _ = writeln!(
                out,
                r#"<text class="title" x="12" y="28">{}</text>"#,
                xml(title)
            );
        }
        for (top, bh, label, class) in &self.bands {
            let _ = writeln!(
                out,
                r#"<rect class="{class}" x="0" y="{}" width="{w}" height="{}"/>"#,
                N(*top),
                N(*bh)
            );
            if !label.is_empty() {
                let _ = writeln!(
                    out,
                    r#"<text class="gt" x="{}" y="{}">{}</text>"#,
                    N(self.lanes.margin),
                    N(top + 14.0),
                    xml(label)
                );
            }
        }
        let life_top = self.header_top + HEAD_H;
        for x in &self.lanes.xs {
            let _ = writeln!(
                out,
                r#"<line class="life" x1="{}" y1="{}" x2="{}" y2="{}"/>"#,
                N(*x),
                N(life_top),
                N(*x),
                N(foot_top)
            );
        }
        out.push_str(&self.bars);
        out.push_str(&self.marks);
        out.push_str(&self.fg);
        for top in [self.header_top, foot_top] {
            for (i, x) in self.lanes.xs.iter().enumerate() {
                let bw = self.lanes.box_width(i);
                let class = if i < FIXED.len() { "hd" } else { "hdt" };
                let name = self
                    .lanes
                    .names
                    .get(i)
                    .map(|n| one_line(n))
                    .unwrap_or_default();
                let label = self.lanes.labels.get(i).cloned().unwrap_or_default();
                let _ = writeln!(
                    out,
                    r#"<g class="lane"><title>{}</title><rect class="{class}" x="{}" y="{}" width="{}" height="{}" rx="5"/><text class="hn" x="{}" y="{}" text-anchor="middle">{}</text></g>"#,
                    xml(&name),
                    N(x - bw / 2.0),
                    N(top),
                    N(bw),
                    N(HEAD_H),
                    N(*x),
                    N(top + 18.5),
                    xml(&label)
                );
            }
        }
        out.push_str("</svg>\n");
        out
    }
}

/// The tooltip of an event: its number, time and full wording.
fn tooltip(ev: &Event) -> String {
    let what = match ev.kind {
        EventKind::Call => with_text(describe::call(ev), ev),
        EventKind::Return => with_text(describe::returned(ev), ev),
        EventKind::Property => with_text(describe::property_event(ev), ev),
        EventKind::Timer => with_text(describe::timer_event(ev), ev),
        EventKind::Note => describe::note_event(ev),
    };
    let mut s = format!(
        "#{} {} {} {}",
        ev.seq,
        describe::time(ev.t),
        ev.kind.as_str(),
        what
    );
    for e in ev.entries.iter().flatten() {
        s.push_str("; ");
        s.push_str(&describe::entry(e));
    }
    cut(&s, 4 * MAX_NOTE)
}

/// A coordinate, to a tenth of a pixel, without a needless `.0`.
struct N(f64);

impl fmt::Display for N {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = if self.0.is_finite() {
            (self.0 * 10.0).round() / 10.0
        } else {
            0.0
        };
        if v.fract() == 0.0 {
            write!(f, "{}", v as i64)
        } else {
            write!(f, "{v:.1}")
        }
    }
}

/// Width of a box holding `lines`.
fn box_width(lines: &[String]) -> f64 {
    let chars = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    chars as f64 * CW + 12.0
}

/// Estimated width of `text` in a monospace font whose characters are `cw` wide.
fn width_of(text: &str, cw: f64) -> f64 {
    text.chars().count() as f64 * cw
}

/// `text` cut to at most `max` characters, the last one `…` when cut.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `text` broken into lines of at most `width` characters: at a space when there is one
/// (that space is dropped), else after a `|` (between flag names), else in the middle of a
/// word.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    let chars: Vec<char> = text.chars().collect();
    let mut lines = Vec::new();
    let mut start = 0;
    while chars.len() - start > width {
        let end = start + width;
        // The last space that lets the line end at or before `end`.
        let brk = (start + 1..=end).rev().find(|&i| chars[i] == ' ');
        let bar = (start + 1..end).rev().find(|&i| chars[i - 1] == '|');
        match (brk, bar) {
            (None, Some(i)) => {
                lines.push(chars[start..i].iter().collect());
                start = i;
            }
            (Some(i), _) => {
                lines.push(
                    chars[start..i]
                        .iter()
                        .collect::<String>()
                        .trim_end()
                        .to_string(),
                );
                start = i + 1;
                while start < chars.len() && chars[start] == ' ' {
                    start += 1;
                }
            }
            (None, None) => {
                lines.push(chars[start..end].iter().collect());
                start = end;
            }
        }
    }
    if start < chars.len() || lines.is_empty() {
        lines.push(chars[start..].iter().collect());
    }
    lines
}

/// `text` made safe as XML character data or an attribute value: the five markup
/// characters as entities, control characters as visible escapes (`\n`, `\u{1b}`), and the
/// two code points XML forbids (U+FFFE, U+FFFF) as U+FFFD.
pub fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::sample_trace;
    use spoolscope_contract::trace::StatusEntry;

    /// An element of a parsed document.
    #[derive(Debug)]
    struct Node {
        name: String,
        attrs: Vec<(String, String)>,
        children: Vec<Node>,
        /// The character data directly inside, entities decoded.
        text: String,
    }

    impl Node {
        fn attr(&self, name: &str) -> Option<&str> {
            self.attrs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        }

        fn num(&self, name: &str) -> f64 {
            self.attr(name)
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("<{}> has no number {name}", self.name))
        }

        fn has_class(&self, class: &str) -> bool {
            self.attr("class")
                .is_some_and(|c| c.split(' ').any(|x| x == class))
        }

        /// Every element below this one, depth first, in document order.
        fn all(&self) -> Vec<&Node> {
            let mut out = Vec::new();
            for c in &self.children {
                out.push(c);
                out.extend(c.all());
            }
            out
        }

        /// The elements named `name` with class `class` below this one.
        fn find(&self, name: &str, class: &str) -> Vec<&Node> {
            (self.all().into_iter())
                .filter(|n| n.name == name && n.has_class(class))
                .collect()
        }

        fn title(&self) -> String {
            (self.children.iter())
                .find(|c| c.name == "title")
                .map(|c| c.text.clone())
                .unwrap_or_default()
        }
    }

    /// A strict little XML 1.0 reader, enough for this renderer's output: an XML declaration,
    /// elements, attributes in quotes, character data and the predefined and numeric
    /// entities. It rejects anything else (comments, CDATA, doctype, processing
    /// instructions), unbalanced or misnested tags, duplicate attributes, a raw `<` or `&`,
    /// `]]>` in text, characters XML forbids, and anything but one root element.
    fn parse(doc: &str) -> Result<Node, String> {
        for (i, c) in doc.char_indices() {
            let ok = matches!(c, '\t' | '\n' | '\r')
                || ('\u{20}'..='\u{d7ff}').contains(&c)
                || ('\u{e000}'..='\u{fffd}').contains(&c)
                || c >= '\u{10000}';
            if !ok {
                return Err(format!("character {c:?} not allowed in XML at {i}"));
            }
        }
        let rest = doc
            .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
            .ok_or("no XML declaration")?;
        let mut p = Reader {
            s: rest.as_bytes(),
            src: rest,
            i: 0,
        };
        p.space();
        let root = p.element()?;
        p.space();
        if p.i != p.s.len() {
            return Err(format!("content after the root element at {}", p.i));
        }
        Ok(root)
    }

    struct Reader<'a> {
        s: &'a [u8],
        src: &'a str,
        i: usize,
    }

    impl Reader<'_> {
        fn peek(&self) -> Option<u8> {
            self.s.get(self.i).copied()
        }

        fn space(&mut self) {
            while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
                self.i += 1;
            }
        }

        fn name(&mut self) -> Result<String, String> {
            let start = self.i;
            while self
                .peek()
                .is_some_and(|b| b.is_ascii_alphanumeric() || b"_:.-".contains(&b))
            {
                self.i += 1;
            }
            let name = &self.src[start..self.i];
            if name.is_empty() || name.as_bytes()[0].is_ascii_digit() || name.starts_with('-') {
                return Err(format!("bad name at {start}"));
            }
            Ok(name.to_string())
        }

        fn expect(&mut self, b: u8) -> Result<(), String> {
            if self.peek() == Some(b) {
                self.i += 1;
                Ok(())
            } else {
                Err(format!("expected {:?} at {}", b as char, self.i))
            }
        }

        /// Character data up to `stop`, entities decoded.
        fn chars(&mut self, stop: u8) -> Result<String, String> {
            let mut out = String::new();
            let start = self.i;
            while let Some(b) = self.peek() {
                if b == stop {
                    break;
                }
                match b {
                    b'<' => return Err(format!("raw '<' at {}", self.i)),
                    b'&' => {
                        let end = self.src[self.i..]
                            .find(';')
                            .ok_or(format!("unterminated entity at {}", self.i))?;
                        let ent = &self.src[self.i + 1..self.i + end];
                        let c = match ent {
                            "amp" => '&',
                            "lt" => '<',
                            "gt" => '>',
                            "quot" => '"',
                            "apos" => '\'',
                            _ => {
                                let code = if let Some(h) = ent.strip_prefix("#x") {
                                    u32::from_str_radix(h, 16).ok()
                                } else if let Some(d) = ent.strip_prefix('#') {
                                    d.parse().ok()
                                } else {
                                    None
                                };
                                code.and_then(char::from_u32)
                                    .ok_or(format!("unknown entity &{ent}; at {}", self.i))?
                            }
                        };
                        out.push(c);
                        self.i += end + 1;
                    }
                    _ => {
                        let len = self.src[self.i..].chars().next().map_or(1, char::len_utf8);
                        out.push_str(&self.src[self.i..self.i + len]);
                        self.i += len;
                    }
                }
            }
            if self.src[start..self.i].contains("]]>") {
                return Err(format!("']]>' in text at {start}"));
            }
            Ok(out)
        }

        fn element(&mut self) -> Result<Node, String> {
            self.expect(b'<')?;
            let name = self.name()?;
            let mut attrs: Vec<(String, String)> = Vec::new();
            loop {
                let before = self.i;
                self.space();
                match self.peek() {
                    Some(b'/') => {
                        self.i += 1;
                        self.expect(b'>')?;
                        return Ok(Node {
                            name,
                            attrs,
                            children: vec![],
                            text: String::new(),
                        });
                    }
                    Some(b'>') => {
                        self.i += 1;
                        break;
                    }
                    _ => {
                        if self.i == before {
                            return Err(format!("no space before an attribute at {}", self.i));
                        }
                        let key = self.name()?;
                        self.expect(b'=')?;
                        let quote = self.peek().filter(|q| *q == b'"' || *q == b'\'');
                        let quote = quote.ok_or(format!("unquoted value at {}", self.i))?;
                        self.i += 1;
                        let value = self.chars(quote)?;
                        self.expect(quote)?;
                        if attrs.iter().any(|(k, _)| *k == key) {
                            return Err(format!("duplicate attribute {key} in <{name}>"));
                        }
                        attrs.push((key, value));
                    }
                }
            }
            let mut node = Node {
                name,
                attrs,
                children: vec![],
                text: String::new(),
            };
            loop {
                let text = self.chars(b'<')?;
                node.text.push_str(&text);
                match self.s.get(self.i + 1) {
                    None => return Err(format!("<{}> is not closed", node.name)),
                    Some(b'/') => {
                        self.i += 2;
                        let close = self.name()?;
                        self.space();
                        self.expect(b'>')?;
                        if close != node.name {
                            return Err(format!("<{}> closed by </{close}>", node.name));
                        }
                        return Ok(node);
                    }
                    Some(b'!') | Some(b'?') => {
                        return Err(format!("markup declaration at {}", self.i))
                    }
                    Some(_) => node.children.push(self.element()?),
                }
            }
        }
    }

    fn svg_of(trace: &Trace) -> (String, Node) {
        let out = render(trace);
        let root = parse(&out).unwrap_or_else(|e| panic!("not well-formed: {e}\n{out}"));
        (out, root)
    }

    /// The seq of an event group, from its tooltip (`#5 0.000s call …`).
    fn seq_of(g: &Node) -> u64 {
        let title = g.title();
        (title.strip_prefix('#'))
            .and_then(|t| t.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no seq in {title:?}"))
    }

    fn group(root: &Node, seq: u64) -> &Node {
        (root.all().into_iter())
            .find(|n| n.name == "g" && n.title().starts_with(&format!("#{seq} ")))
            .unwrap_or_else(|| panic!("no group for seq {seq}"))
    }

    /// The arrow of an event: (x1, x2, class).
    fn arrow_of(root: &Node, seq: u64) -> (f64, f64, String) {
        let g = group(root, seq);
        let line = (g.children.iter())
            .find(|c| c.name == "line")
            .unwrap_or_else(|| panic!("no arrow for seq {seq}"));
        (
            line.num("x1"),
            line.num("x2"),
            line.attr("class").unwrap_or_default().to_string(),
        )
    }

    #[test]
    fn the_checker_rejects_what_is_not_well_formed() {
        let decl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
        assert!(parse(&format!("{decl}<svg a=\"1\"><g/></svg>\n")).is_ok());
        for bad in [
            "<svg><g></svg>",
            "<svg></g>",
            "<svg a=\"1\" a=\"2\"/>",
            "<svg>a < b</svg>",
            "<svg>a & b</svg>",
            "<svg>&nbsp;</svg>",
            "<svg>]]></svg>",
            "<svg a=1/>",
            "<svg/><svg/>",
            "<svg>\u{1}</svg>",
            "<svg>\u{ffff}</svg>",
            "<svg><!-- x --></svg>",
            "<svg><![CDATA[x]]></svg>",
            "<svg>",
        ] {
            assert!(parse(&format!("{decl}{bad}")).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_document_is_a_standalone_svg() {
        let (out, root) = svg_of(&sample_trace());
        assert!(out.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg "));
        assert!(out.ends_with("</svg>\n"));
        assert_eq!(root.name, "svg");
        assert_eq!(root.attr("xmlns"), Some("http://www.w3.org/2000/svg"));
        assert_eq!(root.attr("version"), Some("1.1"));
        assert_eq!(root.attr("font-family"), Some(FONT));
        let (w, h) = (root.num("width"), root.num("height"));
        assert!(w > 400.0 && h > 400.0, "{w}×{h}");
        assert_eq!(root.attr("viewBox"), Some(format!("0 0 {w} {h}").as_str()));
        assert_eq!(root.title(), "Seed walkthrough");
        // No scripts, no foreign content, no references outside the file.
        for n in root.all() {
            assert!(
                !["script", "foreignObject", "image", "use", "a"].contains(&n.name.as_str()),
                "<{}>",
                n.name
            );
            for (k, v) in &n.attrs {
                assert!(!k.starts_with("on"), "event handler {k}");
                assert!(!k.contains("href"), "reference {k}={v}");
                if v.contains("url(") {
                    assert!(v.starts_with("url(#"), "{k}={v}");
                }
            }
        }
        assert!(!out.contains("@import") && !out.contains("http://www.w3.org/1999"));
        // The title is drawn at the top.
        let title = &root.find("text", "title")[0];
        assert_eq!(title.text, "Seed walkthrough");
        // Everything is inside the picture.
        for n in root.all() {
            for key in ["x", "x1", "x2", "cx"] {
                if let Some(x) = n.attr(key).and_then(|v| v.parse::<f64>().ok()) {
                    assert!((0.0..=w).contains(&x), "{key}={x} outside 0..{w}");
                }
            }
            if n.name == "rect" && n.has_class("note") {
                assert!(n.num("x") + n.num("width") <= w);
            }
        }
    }

    #[test]
    fn one_lifeline_per_participant_in_mermaid_order() {
        let mut t = sample_trace();
        let mut ev = Event::new(EventKind::Call);
        ev.from = Some("spooler".into());
        ev.to = Some("fax".into());
        ev.method = Some("TransportLogon".into());
        t.events.insert(0, ev);
        let (_, root) = svg_of(&t);
        let lifelines = root.find("line", "life");
        assert_eq!(lifelines.len(), 5);
        let xs: Vec<f64> = lifelines.iter().map(|l| l.num("x1")).collect();
        assert!(xs.windows(2).all(|p| p[0] < p[1]), "{xs:?}");
        for l in &lifelines {
            assert_eq!(l.num("x1"), l.num("x2"));
            assert!(l.num("y2") > l.num("y1"));
        }
        // Name boxes at the top and at the bottom.
        let names: Vec<String> = (root.find("text", "hn").iter())
            .map(|n| n.text.clone())
            .collect();
        let order = ["Client", "Store", "Spooler", "fax", "smtp"];
        assert_eq!(names.len(), 10);
        assert_eq!(names[..5], order);
        assert_eq!(names[5..], order);
        for (b, x) in root.find("text", "hn").iter().zip(xs.iter().cycle()) {
            assert_eq!(b.num("x"), *x);
        }
        assert_eq!(root.find("rect", "hdt").len(), 4);
    }

    #[test]
    fn one_arrow_per_call_and_return_pointing_the_right_way() {
        let t = sample_trace();
        let (_, root) = svg_of(&t);
        let calls = t
            .events
            .iter()
            .filter(|e| e.kind == EventKind::Call)
            .count();
        let returns = (t.events.iter())
            .filter(|e| e.kind == EventKind::Return)
            .count();
        assert_eq!(root.find("line", "call").len(), calls);
        assert_eq!(root.find("line", "ret").len(), returns);
        assert_eq!(root.find("g", "e-call").len(), calls);
        assert_eq!(root.find("g", "e-return").len(), returns);
        // Every call opens an activation bar, and all of them returned.
        assert_eq!(root.find("rect", "act").len(), calls);
        assert!(root.find("rect", "actopen").is_empty());
        let life: Vec<f64> = (root.find("line", "life").iter())
            .map(|l| l.num("x1"))
            .collect();
        let (client, store, spooler, smtp) = (life[0], life[1], life[2], life[3]);
        let near = |x: f64, lane: f64| (x - lane).abs() <= 12.0;
        for (seq, from, to) in [
            (1, client, store),  // client → store SubmitMessage
            (2, store, client),  // its return
            (3, spooler, smtp),  // SubmitMessage to the transport
            (5, smtp, spooler),  // the nested StatusRecips
            (6, spooler, smtp),  // its return
            (8, smtp, spooler),  // SubmitMessage returns
            (9, spooler, smtp),  // EndMessage
            (13, smtp, spooler), // its return, after the time gap
        ] {
            let (x1, x2, class) = arrow_of(&root, seq);
            assert!(near(x1, from) && near(x2, to), "seq {seq}: {x1}→{x2}");
            let kind = t.events.iter().find(|e| e.seq == seq).map(|e| e.kind);
            let want = if kind == Some(EventKind::Call) {
                "call"
            } else {
                "ret"
            };
            assert_eq!(class, want, "seq {seq}");
        }
        // Calls carry a filled head, returns an open one.
        for l in root.find("line", "call") {
            assert_eq!(l.attr("marker-end"), Some("url(#head)"));
        }
        for l in root.find("line", "ret") {
            assert_eq!(l.attr("marker-end"), Some("url(#openhead)"));
        }
        // Rows go down the page in trace order.
        let ys: Vec<f64> = (root.all().into_iter())
            .filter(|n| n.name == "line" && (n.has_class("call") || n.has_class("ret")))
            .map(|l| l.num("y1"))
            .collect();
        assert!(ys.windows(2).all(|p| p[0] < p[1]), "{ys:?}");
        let seqs: Vec<u64> = (root.all().into_iter())
            .filter(|n| n.name == "g" && n.attr("class").is_some_and(|c| c.starts_with("e-")))
            .filter(|n| n.title().starts_with('#'))
            .map(seq_of)
            .collect();
        assert_eq!(seqs, (1..=13).collect::<Vec<u64>>());
    }

    #[test]
    fn labels_notes_gaps_entries_and_warnings_are_drawn() {
        let (_, root) = svg_of(&sample_trace());
        let texts: Vec<String> = (root.all().into_iter())
            .filter(|n| n.name == "text")
            .map(|n| n.text.clone())
            .collect();
        let has = |s: &str| texts.iter().any(|t| t == s);
        assert!(has("SubmitMessage(m1, flags=0, offered=[0,1], attempt 1)"));
        assert!(has("S_OK  ref=1"), "{texts:?}");
        assert!(has("PR_RESPONSIBILITY[0] = TRUE  (m1, set by smtp)"));
        assert!(has("queued for relay"));
        assert!(has("timer resend_later m2 due 60.000s — END_RESEND_LATER"));
        assert!(has("⏱ 12.000s (+12s)"));
        assert!(has("run ended at 12.000s: idle"));
        // The StatusRecips entry is a note under its call.
        let g = group(&root, 5);
        let entry = (g.children.iter())
            .find(|c| c.name == "text" && c.has_class("nt"))
            .map(|c| c.text.clone())
            .unwrap_or_default();
        assert!(
            entry.starts_with("NDR #1 MAPI_REASON_TRANSFER_FAILED"),
            "{entry}"
        );
        let arrow_y = g.find("line", "call")[0].num("y1");
        assert!(g.find("rect", "entries")[0].num("y") > arrow_y - 4.0);
        // The warning is on its event: a box with its text, and ⚠ in the margin.
        let warning = g.find("text", "wt");
        assert_eq!(
            warning[0].text,
            "⚠ seq 5 [late_status] StatusRecips after the recipient was final"
        );
        assert_eq!(root.find("text", "mark")[0].text, "⚠ 5");
        assert_eq!(root.find("rect", "warned").len(), 1);
        // Other events show their number.
        assert_eq!(root.find("text", "seq").len(), 12);
        // One time gap, and the end of the run.
        assert_eq!(root.find("rect", "gap").len(), 1);
        assert_eq!(root.find("rect", "end").len(), 1);
        // A warning that points at no event is drawn at the end.
        let mut t = sample_trace();
        t.warnings[0].seq = 999;
        let (_, root) = svg_of(&t);
        let orphan = root.find("g", "e-warning");
        assert_eq!(orphan.len(), 1);
        assert!(orphan[0].find("text", "wt")[0].text.contains("seq 999"));
        assert!(root.find("text", "mark").is_empty());
    }

    #[test]
    fn hostile_text_stays_text() {
        let hostile = "<script>alert(1)</script> ]]> & \"q\" 'a' \u{0}\u{1b}\n\u{fffe}\u{ffff}";
        let mut t = sample_trace();
        t.title = hostile.into();
        t.events[6].text = Some(hostile.into());
        if let Some(e) = t.events[4].entries.as_mut() {
            e[0].text = Some(hostile.into());
        }
        t.warnings[0].text = hostile.into();
        t.warnings[0].code = "</g><g onload=\"x\">".into();
        t.events[2].to = Some("<b>smtp</b>".into());
        t.events[2].method = Some("A&B".into());
        t.end.text = Some(hostile.into());
        let (out, root) = svg_of(&t);
        assert!(!out.contains("<script") && !out.contains("<b>") && !out.contains("]]>"));
        assert!(!out.contains("onload=\""));
        assert!(out.contains(
            "&lt;script&gt;alert(1)&lt;/script&gt; ]]&gt; &amp; &quot;q&quot; &apos;a&apos;"
        ));
        assert!(root
            .all()
            .iter()
            .all(|n| n.name != "script" && n.name != "b"));
        let shown = "<script>alert(1)</script> ]]> & \"q\" 'a' \\u{0}\\u{1b}\\n\u{fffd}\u{fffd}";
        assert_eq!(root.title(), shown);
        assert_eq!(root.find("text", "title")[0].text, shown);
        assert!(root.find("text", "nt").iter().any(|n| n.text == shown));
        assert!(root
            .find("text", "hn")
            .iter()
            .any(|n| n.text == "<b>smtp</b>"));
        assert_eq!(xml("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
        assert_eq!(xml("x\u{7}\u{85}\u{ffff}"), "x\\u{7}\\u{85}\u{fffd}");
    }

    #[test]
    fn long_labels_wrap_and_are_cut() {
        let mut t = sample_trace();
        let long = "word ".repeat(60);
        t.events[2].text = Some(long.clone());
        t.events[6].text = Some(format!("{long}{long}"));
        t.title = "T".repeat(300);
        let (_, root) = svg_of(&t);
        for n in root.all().into_iter().filter(|n| n.name == "text") {
            assert!(
                n.text.chars().count() <= NOTE_CHARS.max(MAX_LABEL),
                "{}",
                n.text
            );
        }
        let title = &root.find("text", "title")[0].text;
        assert_eq!(title.chars().count(), MAX_LABEL);
        assert!(title.ends_with('…'));
        let g = group(&root, 3);
        let lines: Vec<&Node> = g.find("text", "lbl");
        assert!(lines.len() >= 2, "the long call label wraps");
        let joined: String = lines
            .iter()
            .map(|l| l.text.clone())
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(joined.chars().count(), MAX_LABEL);
        assert!(joined.ends_with('…'));
        // The label stays above its arrow, within the picture.
        let arrow_y = g.find("line", "call")[0].num("y1");
        assert!(lines.iter().all(|l| l.num("y") < arrow_y));
        let note: Vec<&Node> = group(&root, 7).find("text", "nt");
        assert!(note.len() >= 3);
        assert!(note.iter().all(|l| l.text.chars().count() <= NOTE_CHARS));
        assert!(note.last().is_some_and(|l| l.text.ends_with('…')));
        // The tooltip keeps the full wording.
        assert!(group(&root, 7).title().contains(&long));
    }

    #[test]
    fn wrapping_breaks_at_spaces_then_bars() {
        assert_eq!(wrap("short", 10), ["short"]);
        assert_eq!(wrap("", 10), [""]);
        assert_eq!(wrap("aaaa bbbb cccc", 9), ["aaaa bbbb", "cccc"]);
        assert_eq!(
            wrap("flags=AAAA|BBBB|CCCC", 12),
            ["flags=AAAA|", "BBBB|CCCC"]
        );
        assert_eq!(wrap("abcdefghijkl", 8), ["abcdefgh", "ijkl"]);
        assert_eq!(wrap("S_OK  ref=1  x", 12), ["S_OK  ref=1", "x"]);
        for w in [8, 9, 13, 40] {
            for text in ["a b  c   d", "    ", "x|y|z|w|v|u|t|s|r", "ééééé ééé éé"] {
                let lines = wrap(text, w);
                assert!(
                    lines.iter().all(|l| l.chars().count() <= w.max(8)),
                    "{lines:?}"
                );
            }
        }
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abcd", 4), "abcd");
    }

    #[test]
    fn height_grows_with_events_and_output_is_deterministic() {
        let t = sample_trace();
        let (a, root) = svg_of(&t);
        assert_eq!(render(&t.clone()), a);
        let mut longer = t.clone();
        for i in 0..10 {
            let mut e = Event::new(EventKind::Note);
            e.seq = 100 + i;
            e.t = 12.0;
            e.text = Some(format!("note {i}"));
            longer.events.push(e);
        }
        let (_, bigger) = svg_of(&longer);
        assert!(bigger.num("height") >= root.num("height") + 10.0 * 24.0);
        let mut shorter = t.clone();
        shorter.events.truncate(4);
        let (_, smaller) = svg_of(&shorter);
        assert!(smaller.num("height") < root.num("height"));
    }

    #[test]
    fn broken_traces_still_render_balanced() {
        // A run that stopped inside a call: its bars stay open to the end.
        let mut t = sample_trace();
        t.events.truncate(5);
        let (_, root) = svg_of(&t);
        assert_eq!(root.find("rect", "actopen").len(), 2);
        // A return without its call, and a nested call that never returned.
        let mut t = sample_trace();
        t.events.remove(0);
        t.events.remove(4);
        let (_, root) = svg_of(&t);
        assert_eq!(root.find("line", "ret").len(), 4);
        assert_eq!(root.find("rect", "actopen").len(), 1);
        let life: Vec<f64> = (root.find("line", "life").iter())
            .map(|l| l.num("x1"))
            .collect();
        let (x1, x2, _) = arrow_of(&root, 2);
        assert!((x1 - life[1]).abs() < 12.0 && (x2 - life[0]).abs() < 12.0);
        // A call to oneself is a loop.
        let mut t = sample_trace();
        t.events[0].to = Some("client".into());
        t.events[1].from = Some("client".into());
        let (_, root) = svg_of(&t);
        assert_eq!(root.find("path", "call").len(), 1);
        assert_eq!(root.find("path", "ret").len(), 1);
        // An empty trace.
        let mut t = sample_trace();
        t.events.clear();
        t.warnings.clear();
        t.title.clear();
        let (_, root) = svg_of(&t);
        assert_eq!(root.find("line", "life").len(), 3);
        assert_eq!(root.title(), "Spoolscope trace");
    }

    #[test]
    fn random_traces_render_well_formed() {
        let mut state = 0x5eed_u64;
        let mut next = move || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        let names = [
            "client", "store", "spooler", "smtp", "fax", "<x>", "", "a&b\n",
        ];
        let texts = ["", " ", "]]>", "a\u{0}b", "\u{ffff}", "éé 📬", "x y z "];
        let base = sample_trace();
        for round in 0..300 {
            let mut t = base.clone();
            let mut events = Vec::new();
            for i in 0..(next() % 40) {
                let mut e = base.events[(next() % 13) as usize].clone();
                e.seq = i;
                e.depth = (next() % 4) as u32;
                e.t = [0.0, 1.5, f64::NAN, -3.0, 1e300, f64::INFINITY][(next() % 6) as usize]
                    + i as f64;
                if next() % 3 == 0 {
                    e.from = Some(names[(next() % 8) as usize].into());
                }
                if next() % 3 == 0 {
                    e.to = Some(names[(next() % 8) as usize].into());
                }
                if next() % 4 == 0 {
                    e.text = Some(texts[(next() % 7) as usize].repeat((next() % 30) as usize));
                }
                if next() % 5 == 0 {
                    e.entries = Some(vec![
                        StatusEntry {
                            recipient: 0,
                            report: texts[(next() % 7) as usize].into(),
                            reason: Some(next() as i32),
                            diag: None,
                            text: Some(texts[(next() % 7) as usize].into()),
                            deliver_time: Some(f64::NAN),
                        };
                        (next() % 3) as usize
                    ]);
                }
                events.push(e);
            }
            t.events = events;
            t.warnings[0].seq = next() % 50;
            t.title = texts[round % 7].repeat(round % 5);
            let (out, _) = svg_of(&t);
            assert_eq!(render(&t), out);
        }
    }
}
