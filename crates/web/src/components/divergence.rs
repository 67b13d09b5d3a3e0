//! The notice of a link whose run no longer matches what it recorded (links §3): the two
//! hashes and the first line that differs, old beside new, with a button to that step.

use yew::prelude::*;

use crate::state::DivergenceView;

/// The notice (a plain function: no state).
pub fn divergence_notice(d: &DivergenceView, on_jump: &Callback<u64>) -> Html {
    let place = match &d.first {
        None => {
            html! { <p>{"The link records no trace, so where the runs part is not known."}</p> }
        }
        Some(f) => {
            let at = match f.step {
                Some(step) => html! {
                    <>
                        {format!("The first difference is at step {step}. ")}
                        <button type="button" data-testid="divergence-jump"
                            onclick={on_jump.reform(move |_| step)}>{format!("Go to step {step}")}</button>
                    </>
                },
                None => html! { {"Every event is the same; the final tables differ."} },
            };
            html! {
                <>
                    <p>{at}</p>
                    <table class="divergence-lines">
                        <tr><th scope="row">{"recorded"}</th><td data-testid="divergence-old"><code>{if f.old.is_empty() { "(nothing)".to_string() } else { f.old.clone() }}</code></td></tr>
                        <tr><th scope="row">{"now"}</th><td data-testid="divergence-new"><code>{if f.new.is_empty() { "(nothing)".to_string() } else { f.new.clone() }}</code></td></tr>
                    </table>
                </>
            }
        }
    };
    html! {
        <section class="divergence" role="alert" data-testid="divergence">
            <p><strong>{"This link was recorded by another engine: its run is not the same now."}</strong>
                {format!(" Trace hash recorded {}, now {}.", d.recorded_hash, d.hash)}</p>
            {place}
        </section>
    }
}
