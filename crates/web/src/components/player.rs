//! The player: step back and forth, play and pause, speed, jump to start and end, and a
//! scrubber over the whole run with markers for calls, reports, timers and warnings.

use std::fmt::Write;
use std::rc::Rc;

use spoolscope_playground::protocol::{EventLine, Marker, MarkerKind};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::state::SPEEDS;

/// What the player asks for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PlayerCommand {
    JumpStart,
    Back,
    TogglePlay,
    Forward,
    JumpEnd,
    Seek(u64),
    Speed(usize),
}

#[derive(Properties, PartialEq)]
pub struct PlayerProps {
    pub step: u64,
    pub total: u64,
    pub playing: bool,
    pub speed: usize,
    /// Virtual time at the step shown.
    pub time: AttrValue,
    pub end_time: AttrValue,
    pub markers: Rc<Vec<Marker>>,
    /// The event of the step shown.
    pub current: Option<EventLine>,
    pub on_command: Callback<PlayerCommand>,
}

#[function_component(Player)]
pub fn player(props: &PlayerProps) -> Html {
    let cmd = |c: PlayerCommand| {
        let on = props.on_command.clone();
        Callback::from(move |_: MouseEvent| on.emit(c))
    };
    let on_scrub = {
        let on = props.on_command.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                if let Ok(v) = input.value().parse::<u64>() {
                    on.emit(PlayerCommand::Seek(v));
                }
            }
        })
    };
    let on_speed = {
        let on = props.on_command.clone();
        Callback::from(move |e: Event| {
            if let Some(select) = e.target_dyn_into::<HtmlSelectElement>() {
                if let Ok(i) = select.value().parse::<usize>() {
                    on.emit(PlayerCommand::Speed(i));
                }
            }
        })
    };
    // One SVG path per kind of marker (a 10,000-recipient run has a couple of thousand
    // markers: one element each cost the page tens of milliseconds to draw a new run).
    let markers = use_memo((props.markers.clone(), props.total), |(markers, total)| {
        let total = (*total).max(1) as f64;
        let mut paths: [(MarkerKind, String); 4] = [
            (MarkerKind::Call, String::new()),
            (MarkerKind::Report, String::new()),
            (MarkerKind::Timer, String::new()),
            (MarkerKind::Warning, String::new()),
        ];
        for m in markers.iter() {
            let x = m.seq as f64 / total * 1000.0;
            if let Some((kind, d)) = paths.iter_mut().find(|(k, _)| *k == m.kind) {
                // A report's tick is shorter, as the others' draw over it.
                let (top, height) = if *kind == MarkerKind::Report {
                    (1, 6)
                } else {
                    (0, 8)
                };
                let _ = write!(d, "M{x:.1} {top}v{height}");
            }
        }
        html! {
            <svg class="markers" viewBox="0 0 1000 8" preserveAspectRatio="none" aria-hidden="true">
                { for paths.iter().filter(|(_, d)| !d.is_empty()).map(|(kind, d)| html! {
                    <path class={classes!("marker", kind.as_str())} d={d.clone()} />
                }) }
            </svg>
        }
    });
    let (play_label, play_title, play_name) = if props.playing {
        ("❚❚", "Pause (Space)", "Pause")
    } else {
        ("▶", "Play (Space)", "Play")
    };
    let current = match &props.current {
        Some(ev) => html! {
            <span class="now-event">
                <span class={classes!("kind", ev.kind.as_str())}>{ev.kind.as_str()}</span>
                if !ev.from.is_empty() {
                    <span class="who">{
                        match ev.target() {
                            None => ev.from.clone(),
                            Some(to) => format!("{} → {to}", ev.from),
                        }
                    }</span>
                }
                <span class="what">{ev.label.clone()}</span>
            </span>
        },
        None => html! { <span class="now-event muted">{"before the first event"}</span> },
    };
    html! {
        <section class="player" aria-label="Player">
            <div class="controls">
                <button type="button" data-testid="jump-start" title="Jump to the start (Home)" aria-label="Jump to the start" aria-keyshortcuts="Home"
                    onclick={cmd(PlayerCommand::JumpStart)}>{"⇤"}</button>
                <button type="button" data-testid="step-back" title="Step back (←)" aria-label="Step back" aria-keyshortcuts="ArrowLeft"
                    onclick={cmd(PlayerCommand::Back)}>{"←"}</button>
                <button type="button" data-testid="play" class="play" title={play_title}
                    aria-label={play_name} aria-keyshortcuts="Space" aria-pressed={props.playing.to_string()}
                    onclick={cmd(PlayerCommand::TogglePlay)}>{play_label}</button>
                <button type="button" data-testid="step-forward" title="Step forward (→)" aria-label="Step forward" aria-keyshortcuts="ArrowRight"
                    onclick={cmd(PlayerCommand::Forward)}>{"→"}</button>
                <button type="button" data-testid="jump-end" title="Jump to the end (End)" aria-label="Jump to the end" aria-keyshortcuts="End"
                    onclick={cmd(PlayerCommand::JumpEnd)}>{"⇥"}</button>
                <select data-testid="speed" aria-label="Speed" onchange={on_speed}>
                    { for SPEEDS.iter().enumerate().map(|(i, (_, label))| html! {
                        <option value={i.to_string()} selected={i == props.speed}>{*label}</option>
                    }) }
                </select>
                <span class="clock">
                    <span class="label">{"t = "}</span>
                    <span data-testid="time" class="time">{props.time.clone()}</span>
                    <span class="label">{format!(" / {}", props.end_time)}</span>
                </span>
                <span class="stepno">
                    <span class="label">{"step "}</span>
                    <span data-testid="step">{format!("{} / {}", props.step, props.total)}</span>
                </span>
            </div>
            <div class="scrub">
                <input type="range" data-testid="scrubber" aria-label="Step"
                    min="0" max={props.total.to_string()} step="1"
                    value={props.step.to_string()} oninput={on_scrub} />
                {(*markers).clone()}
            </div>
            <div class="now">{current}</div>
        </section>
    }
}
