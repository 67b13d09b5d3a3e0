//! The engine's contract warnings, each a link to its step.

use spoolscope_playground::protocol::WarningItem;
use yew::prelude::*;

/// The panel at step `step` (a plain function: no state).
pub fn warnings(warnings: &[WarningItem], step: u64, on_jump: &Callback<u64>) -> Html {
    html! {
        <section class="warnings-panel" aria-label="Warnings">
            <div class="panel-head">
                <h2>{"Warnings"}</h2>
                <span class="hint">{"contract violations a real spooler tolerates"}</span>
            </div>
            <ul data-testid="warnings" class="warnings">
                if warnings.is_empty() {
                    <li class="none">{"none"}</li>
                }
                { for warnings.iter().map(|w| {
                    let on_jump = on_jump.clone();
                    let seq = w.seq;
                    let onclick = Callback::from(move |e: MouseEvent| {
                        e.prevent_default();
                        on_jump.emit(seq);
                    });
                    let reached = w.seq <= step;
                    html! {
                        <li class={classes!(reached.then_some("reached"), (w.seq == step).then_some("current"))}>
                            <a href={format!("#step-{}", w.seq)} data-seq={w.seq.to_string()} {onclick}>
                                {format!("step {}", w.seq)}
                            </a>
                            <code>{w.code.clone()}</code>
                            <span class="text">{w.text.clone()}</span>
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}
