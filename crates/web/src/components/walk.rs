//! The guided walk: the six steps of message submission, one stop at a time (computed by
//! the worker, `spoolscope_playground::walk`). Each stop puts the player on its event and
//! opens its details; the text says what this run shows there.

use spoolscope_playground::protocol::WalkStop;
use yew::prelude::*;

/// The walk's bar: a button to start it, or the current stop with Back, Next and End (a
/// plain function: no state).
pub fn walk(stops: &[WalkStop], at: Option<usize>, on_walk: &Callback<Option<usize>>) -> Html {
    if stops.is_empty() {
        return html! {};
    }
    let go = |to: Option<usize>| on_walk.reform(move |_: MouseEvent| to);
    let Some(i) = at.filter(|&i| i < stops.len()) else {
        return html! {
            <div class="walk-start">
                <button type="button" class="link" data-testid="walk-start" onclick={go(Some(0))}>
                    {format!("Take the guided walk: message submission in this run, {} stops", stops.len())}
                </button>
            </div>
        };
    };
    let stop = &stops[i];
    let last = i + 1 == stops.len();
    html! {
        <section class="walk" data-testid="walk" aria-label="Guided walk" aria-live="polite">
            <p class="walk-head">
                <span class="walk-count" data-testid="walk-count">{format!("Stop {} of {}", i + 1, stops.len())}</span>
                {" · step "}{stop.seq}{" · "}
                <strong data-testid="walk-title">{stop.title.clone()}</strong>
            </p>
            <p class="walk-text" data-testid="walk-text">{stop.text.clone()}</p>
            <div class="walk-buttons">
                <button type="button" data-testid="walk-back" disabled={i == 0} onclick={go(i.checked_sub(1))}>{"← Back"}</button>
                if last {
                    <button type="button" data-testid="walk-next" onclick={go(None)}>{"Finish the walk"}</button>
                } else {
                    <button type="button" data-testid="walk-next" onclick={go(Some(i + 1))}>{"Next stop →"}</button>
                    <button type="button" class="link" data-testid="walk-end" onclick={go(None)}>{"End the walk"}</button>
                }
            </div>
        </section>
    }
}
