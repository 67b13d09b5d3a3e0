//! The sequence diagram (SVG): lifelines for Client, Store, Spooler and each transport;
//! calls as solid arrows, returns as dashed ones labelled with the HRESULT and out
//! parameters; calls in progress as activation bars; virtual time passing as grey bands
//! labelled with the duration. Only the rows of the frame's window are drawn; the SVG keeps
//! the full height so the scroll bar is true to the run.

use std::rc::Rc;

use spoolscope_playground::protocol::{
    Activation, DiagramItem, EventKind, EventLine, Frame, Lifeline, Window, ROW_HEIGHT,
};
use wasm_bindgen::JsCast;
use web_sys::Element;
use yew::prelude::*;

use crate::state::visible_rows;

/// Horizontal distance between lifelines: as wide as fits the panel, within these bounds.
const MIN_GAP: f64 = 125.0;
const MAX_GAP: f64 = 175.0;
/// x of the first lifeline.
const LANE0: f64 = 64.0;
/// Height of the sticky header with the lifeline names.
const HEAD: f64 = 34.0;
/// Width of one character of the 11 px monospace label font (for label backgrounds).
const CHAR_W: f64 = 6.7;

/// The diagram scroller's scroll position and visible height, in pixels.
#[derive(Clone, Copy)]
struct ScrollView {
    top: f64,
    height: f64,
}

impl ScrollView {
    fn measure(el: &Element) -> ScrollView {
        ScrollView {
            top: f64::from(el.scroll_top()),
            height: f64::from(el.client_height()),
        }
    }
}

/// Where the lifelines go.
#[derive(Clone, Copy, PartialEq)]
struct Geometry {
    gap: f64,
}

impl Geometry {
    /// Lifelines spread over `width` pixels, within [`MIN_GAP`, `MAX_GAP`].
    fn fit(width: f64, lanes: u32) -> Geometry {
        let room = width - 2.0 * LANE0 - 40.0;
        let gap = room / f64::from(lanes.max(2) - 1);
        Geometry {
            gap: gap.clamp(MIN_GAP, MAX_GAP),
        }
    }

    fn x(self, lane: u32) -> f64 {
        LANE0 + f64::from(lane) * self.gap
    }
}

fn row_y(row: u32) -> f64 {
    f64::from(row) * f64::from(ROW_HEIGHT)
}

#[derive(Properties, PartialEq)]
pub struct DiagramProps {
    pub lifelines: Rc<Vec<Lifeline>>,
    pub frame: Option<Rc<Frame>>,
    /// Keep the current step in view.
    pub follow: bool,
    pub selected: Option<u64>,
    pub on_select: Callback<u64>,
    /// The rows now visible, after a scroll.
    pub on_scroll: Callback<Window>,
}

#[function_component(Diagram)]
pub fn diagram(props: &DiagramProps) -> Html {
    let scroller = use_node_ref();
    // The panel's width, measured after mount, on window resizes, and when the details panel
    // opens beside the diagram or closes (it narrows the diagram: every lane stays in view).
    let panel_width = use_state(|| 860.0f64);
    // The scroller's last known scroll position and height, kept so that following the
    // current step needs no layout read (a forced synchronous layout) after each frame:
    // updated on mount, on resizes, on every scroll event and when the step is followed.
    let view = use_mut_ref(|| None::<ScrollView>);
    {
        let scroller = scroller.clone();
        let panel_width = panel_width.clone();
        let view = view.clone();
        use_effect_with(props.selected.is_some(), move |_| {
            let measure = move || {
                if let Some(el) = scroller.cast::<Element>() {
                    *view.borrow_mut() = Some(ScrollView::measure(&el));
                    let w = f64::from(el.client_width());
                    if w > 0.0 {
                        panel_width.set(w);
                    }
                }
            };
            measure();
            let listener = web_sys::window()
                .map(|w| gloo_events::EventListener::new(&w, "resize", move |_| measure()));
            move || drop(listener)
        });
    }
    let lanes = props.lifelines.len().max(1) as u32;
    let geo = Geometry::fit(*panel_width, lanes);
    let width = geo.x(lanes - 1) + LANE0 + 260.0;
    let rows = props.frame.as_ref().map(|f| f.diagram_rows).unwrap_or(0);
    let height = row_y(rows) + 12.0;
    let current = props.frame.as_ref().and_then(|f| f.current_row);

    // Keep the current row in view after each step (model: the player drives the view).
    {
        let scroller = scroller.clone();
        let follow = props.follow;
        let view = view.clone();
        use_effect_with((current, follow, rows), move |(current, follow, _)| {
            if let (Some(row), true, Some(el)) = (*current, *follow, scroller.cast::<Element>()) {
                let mut cached = view.borrow_mut();
                let v = *cached.get_or_insert_with(|| ScrollView::measure(&el));
                let top = v.top;
                let height = v.height - HEAD;
                let y = row_y(row);
                if y < top || y + f64::from(ROW_HEIGHT) * 2.0 > top + height {
                    let target = (y - height + f64::from(ROW_HEIGHT) * 3.0).max(0.0).floor();
                    // The scroll event that follows stores the position the browser kept.
                    *cached = Some(ScrollView {
                        top: target,
                        height: v.height,
                    });
                    drop(cached);
                    el.set_scroll_top(target as i32);
                }
            }
        });
    }
    let on_scroll = {
        let on_scroll = props.on_scroll.clone();
        let view = view.clone();
        Callback::from(move |e: Event| {
            if let Some(el) = e.target_dyn_into::<Element>() {
                let v = ScrollView::measure(&el);
                *view.borrow_mut() = Some(v);
                on_scroll.emit(visible_rows(v.top, v.height - HEAD));
            }
        })
    };

    let header: Html = props
        .lifelines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let x = geo.x(i as u32);
            html! {
                <div class={classes!("lane-head", l.transport.then_some("transport"))}
                    style={format!("left:{}px", x - 58.0)} title={l.name.clone()}>
                    {l.label.clone()}
                </div>
            }
        })
        .collect();
    let lifelines: Html = (0..lanes)
        .map(|i| {
            let x = geo.x(i);
            html! { <line class="lifeline" x1={x.to_string()} y1="0" x2={x.to_string()} y2={height.to_string()} /> }
        })
        .collect();

    let current_seq = props
        .frame
        .as_ref()
        .and_then(|f| f.current.as_ref())
        .map(|c| c.seq);
    // One tab stop among the events (a roving tabindex; ↑ and ↓ move between them): the
    // selected event, else the current one, else the first drawn.
    let tab_seq = props.frame.as_ref().and_then(|f| {
        let drawn = |seq: Option<u64>| {
            seq.filter(|s| {
                f.diagram
                    .iter()
                    .any(|i| matches!(i, DiagramItem::Event { event, .. } if event.seq == *s))
            })
        };
        drawn(props.selected).or(drawn(current_seq)).or_else(|| {
            f.diagram.iter().find_map(|i| match i {
                DiagramItem::Event { event, .. } => Some(event.seq),
                DiagramItem::Gap { .. } => None,
            })
        })
    });
    let (items, activations) = match &props.frame {
        Some(f) => (
            f.diagram
                .iter()
                .map(|item| match item {
                    DiagramItem::Gap { row, label } => html! {
                        {gap_row(*row, label, width)}
                    },
                    DiagramItem::Event { row, event } => html! {
                        <EventRow key={format!("e{}", event.seq)} row={*row} event={event.clone()}
                            {geo} {width}
                            current={current_seq == Some(event.seq)}
                            selected={props.selected == Some(event.seq)}
                            tab_stop={tab_seq == Some(event.seq)}
                            on_select={props.on_select.clone()} />
                    },
                })
                .collect::<Html>(),
            f.activations
                .iter()
                .map(|a| draw_activation(a, geo))
                .collect::<Html>(),
        ),
        None => (Html::default(), Html::default()),
    };

    html! {
        <section class="diagram-panel" aria-label="Sequence diagram">
            <div class="diagram-scroll" ref={scroller} onscroll={on_scroll}
                tabindex="0" role="region" aria-label="Sequence diagram (scrolls)">
                <div class="lanes" style={format!("width:{width}px")}>{header}</div>
                <svg data-testid="diagram" class="diagram" xmlns="http://www.w3.org/2000/svg"
                    width={width.to_string()} height={height.to_string()}>
                    <defs>
                        <marker id="head" viewBox="0 0 10 10" refX="9" refY="5"
                            markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                            <path d="M0,0 L10,5 L0,10 z" class="head" />
                        </marker>
                        <marker id="open-head" viewBox="0 0 10 10" refX="9" refY="5"
                            markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                            <path d="M0,0 L10,5 L0,10" class="open-head" />
                        </marker>
                    </defs>
                    {lifelines}
                    {activations}
                    {items}
                </svg>
                if props.frame.is_none() {
                    <p class="empty-diagram">{"No run to show yet."}</p>
                } else if rows == 0 {
                    <p class="empty-diagram">{"Step 0: nothing has happened yet. Press ▶ or → to start."}</p>
                }
            </div>
        </section>
    }
}

fn draw_activation(a: &Activation, geo: Geometry) -> Html {
    let x = geo.x(a.lane) - 5.0 + f64::from(a.depth.min(6)) * 5.0;
    let y = row_y(a.from_row) + 18.0;
    let end = row_y(a.to_row) + if a.open { f64::from(ROW_HEIGHT) } else { 18.0 };
    let h = (end - y).max(4.0);
    html! {
        <rect class={classes!("activation", a.open.then_some("open"))}
            x={x.to_string()} y={y.to_string()} width="10" height={h.to_string()} />
    }
}

/// Virtual time passing: a grey band with the duration (a plain function: no state).
fn gap_row(row: u32, label: &str, width: f64) -> Html {
    let y = row_y(row);
    html! {
        <g key={format!("g{row}")} class="gap">
            <rect x="0" y={(y + 3.0).to_string()} width={width.to_string()}
                height={(f64::from(ROW_HEIGHT) - 6.0).to_string()} />
            <text x="8" y={(y + 17.0).to_string()}>{format!("⋯ {label} of virtual time ⋯")}</text>
        </g>
    }
}

#[derive(Properties, PartialEq)]
struct EventRowProps {
    row: u32,
    event: EventLine,
    geo: Geometry,
    width: f64,
    current: bool,
    selected: bool,
    /// The diagram's one tab stop among the events.
    tab_stop: bool,
    on_select: Callback<u64>,
}

/// One event. A component of its own so that stepping re-renders only the rows that
/// changed (their props compare equal otherwise).
#[function_component(EventRow)]
fn event_row(props: &EventRowProps) -> Html {
    draw_event(props)
}

fn draw_event(props: &EventRowProps) -> Html {
    let (row, ev, geo, width) = (props.row, &props.event, props.geo, props.width);
    let y0 = row_y(row);
    let (current, selected) = (props.current, props.selected);
    let onclick = {
        let on_select = props.on_select.clone();
        let seq = ev.seq;
        Callback::from(move |_: MouseEvent| on_select.emit(seq))
    };
    // Enter or Space opens the details; ↑ and ↓ move to the event drawn above or below.
    let onkeydown = {
        let on_select = props.on_select.clone();
        let seq = ev.seq;
        Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
            "Enter" | " " => {
                e.prevent_default();
                on_select.emit(seq);
            }
            key @ ("ArrowDown" | "ArrowUp") => {
                e.prevent_default();
                let next = e
                    .target_dyn_into::<Element>()
                    .and_then(|el| neighbour_event(&el, key == "ArrowDown"));
                if let Some(next) = next {
                    let _ = next.focus();
                }
            }
            _ => {}
        })
    };
    let x1 = geo.x(ev.from_lane);
    let x2 = geo.x(ev.to_lane);
    let ly = y0 + 18.0;
    let ty = y0 + 13.0;
    let shape = match ev.kind {
        EventKind::Call | EventKind::Return | EventKind::Timer if ev.from_lane != ev.to_lane => {
            let dir = if x2 > x1 { 1.0 } else { -1.0 };
            let (sx, ex) = (x1 + dir * 5.0, x2 - dir * 6.0);
            let (marker, class) = match ev.kind {
                EventKind::Call => ("url(#head)", "call"),
                EventKind::Return => ("url(#open-head)", "return"),
                _ => ("url(#open-head)", "timer"),
            };
            // The label starts at the caller; going left, it ends there, unless it would
            // run off the left edge: then it starts at the arrow's head instead.
            let w = label_width(&ev.label);
            let (tx, anchor) = if dir > 0.0 {
                (x1 + 10.0, "start")
            } else if x1 - 10.0 - w >= 2.0 {
                (x1 - 10.0, "end")
            } else {
                (x2 + 10.0, "start")
            };
            let label = ev.label.clone();
            html! {
                <>
                    <line class={classes!("arrow", class)} x1={sx.to_string()} y1={ly.to_string()}
                        x2={ex.to_string()} y2={ly.to_string()} marker-end={marker} />
                    {label_text(tx, ty, anchor, &label)}
                </>
            }
        }
        EventKind::Call | EventKind::Return => {
            // A call to itself: a small loop on the lifeline.
            let d = format!("M{x1},{} h24 v8 h-22", y0 + 8.0);
            html! {
                <>
                    <path class={classes!("arrow", ev.kind.as_str())} d={d} fill="none" marker-end="url(#head)" />
                    {label_text(x1 + 30.0, ty + 4.0, "start", &ev.label)}
                </>
            }
        }
        EventKind::Property | EventKind::Note | EventKind::Timer => {
            let glyph = match ev.kind {
                EventKind::Property => "◆ ",
                _ => "",
            };
            let text = format!("{glyph}{}", ev.label);
            let w = (text.chars().count() as f64 * CHAR_W + 12.0)
                .min(width - x1 - 10.0)
                .max(20.0);
            html! {
                <>
                    <circle class="dot" cx={x1.to_string()} cy={ly.to_string()} r="3" />
                    <rect class={classes!("note", ev.kind.as_str())} x={(x1 + 8.0).to_string()} y={(y0 + 5.0).to_string()}
                        width={w.to_string()} height="17" rx="3" />
                    <text class="note-text" x={(x1 + 14.0).to_string()} y={(y0 + 17.5).to_string()}>{text}</text>
                </>
            }
        }
    };
    let method = (!ev.method.is_empty()).then(|| AttrValue::from(ev.method.clone()));
    let to = (!ev.to.is_empty()).then(|| AttrValue::from(ev.to.clone()));
    // Its name (and tooltip): the step, who to whom, what, and when.
    let name = match ev.target() {
        Some(to) => format!(
            "{} {}: {} → {to}, {}, t = {}",
            ev.seq,
            ev.kind.as_str(),
            ev.from,
            ev.label,
            ev.time
        ),
        None => format!(
            "{} {}: {}, {}, t = {}",
            ev.seq,
            ev.kind.as_str(),
            ev.from,
            ev.label,
            ev.time
        ),
    };
    html! {
        <g class={classes!("ev", ev.kind.as_str(), current.then_some("current"),
                selected.then_some("selected"), ev.warned.then_some("warned"))}
            data-testid="arrow" data-seq={ev.seq.to_string()} data-kind={ev.kind.as_str()}
            data-method={method} data-from={ev.from.clone()} data-to={to}
            data-depth={ev.depth.to_string()} data-time={ev.time.clone()}
            tabindex={if props.tab_stop { "0" } else { "-1" }} role="button"
            aria-current={current.then_some("step")}
            aria-expanded={selected.to_string()} {onclick} {onkeydown}>
            <title>{name}</title>
            <rect class="hit" x="0" y={y0.to_string()} width={width.to_string()} height={ROW_HEIGHT.to_string()} />
            {shape}
            <text class="seq" x="4" y={(y0 + 17.0).to_string()}>{ev.seq}</text>
        </g>
    }
}

/// The event drawn after (`down`) or before `el`'s event, as something to focus.
fn neighbour_event(el: &Element, down: bool) -> Option<web_sys::SvgElement> {
    let mut at = el.closest("g.ev").ok()??;
    loop {
        at = if down {
            at.next_element_sibling()?
        } else {
            at.previous_element_sibling()?
        };
        if at.matches(".ev").unwrap_or(false) {
            return at.dyn_into().ok();
        }
    }
}

/// Width of a label's background, in pixels (estimated from its length).
fn label_width(text: &str) -> f64 {
    text.chars().count() as f64 * CHAR_W + 6.0
}

/// A label with a light background so that it stays readable across lifelines.
fn label_text(x: f64, y: f64, anchor: &'static str, text: &str) -> Html {
    let w = label_width(text);
    let bx = if anchor == "end" {
        x - w + 3.0
    } else {
        x - 3.0
    };
    html! {
        <>
            <rect class="label-bg" x={bx.to_string()} y={(y - 10.0).to_string()} width={w.to_string()} height="13" />
            <text class="label" x={x.to_string()} y={y.to_string()} text-anchor={anchor}>{text.to_string()}</text>
        </>
    }
}
