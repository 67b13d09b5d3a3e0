//! The details panel: one event, every field decoded by name, and PR_RESPONSIBILITY of the
//! recipients concerned before and after, and each report it produced as an RFC 3464
//! delivery status notification. Every name the event mentions is explained (what it
//! means, its Microsoft reference page, the model section: `spoolscope_render::explain`),
//! and every "model §N" in a field links to that section of the book's model chapter.

use spoolscope_playground::protocol::{Details, Explained};
use spoolscope_render::explain;
use yew::prelude::*;

/// The panel for event `seq`, with its `details` once the worker sent them (a plain function:
/// no state).
pub fn details_panel(
    seq: u64,
    details: Option<&Details>,
    on_close: &Callback<()>,
    on_jump: &Callback<u64>,
) -> Html {
    let close = on_close.reform(|_: MouseEvent| ());
    let jump = on_jump.reform(move |_: MouseEvent| seq);
    let body = match details {
        None => html! { <p class="muted">{"loading…"}</p> },
        Some(d) => html! {
            <>
                <p class="title"><code>{d.title.clone()}</code></p>
                // What the call (or property, timer) is, first; the other names after the fields.
                if let Some(first) = d.explained.first() {
                    <p class="explain lead" data-testid="explain-lead">{explanation(first)}</p>
                }
                <table class="fields">
                    { for d.fields.iter().map(|f| html! {
                        <tr data-field={f.name.clone()}>
                            <th>{f.name.clone()}</th>
                            <td>{cited(&f.value)}</td>
                        </tr>
                    }) }
                </table>
                if d.explained.len() > 1 {
                    <h3>{"The names in this event"}</h3>
                    <ul class="explain" data-testid="explained">
                        { for d.explained[1..].iter().map(|e| html! { <li>{explanation(e)}</li> }) }
                    </ul>
                }
                if !d.responsibility.is_empty() {
                    <h3>{"PR_RESPONSIBILITY"}</h3>
                    <table class="grid resp" data-testid="responsibility">
                        <thead><tr><th>{"recipient"}</th><th>{"before"}</th><th>{"after"}</th></tr></thead>
                        <tbody>
                            { for d.responsibility.iter().map(|r| html! {
                                <tr class={classes!((r.before != r.after).then_some("changed"))}>
                                    <td>{format!("#{} {}", r.index, r.name)}</td>
                                    <td data-col="before">{tf(r.before)}</td>
                                    <td data-col="after">{tf(r.after)}</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                }
                // Beside the MAPI properties above: each report as the RFC 3464 message
                // `spoolscope run --format dsn` writes (text, never markup).
                { for d.reports.iter().enumerate().map(|(k, dsn)| html! {
                    <>
                        <h3>{if d.reports.len() == 1 { "The report as a DSN (RFC 3464)".to_string() } else { format!("Report {} as a DSN (RFC 3464)", k + 1) }}</h3>
                        <pre class="dsn" data-testid="dsn">{dsn.clone()}</pre>
                    </>
                }) }
            </>
        },
    };
    html! {
        <aside class="details" data-testid="details" data-seq={seq.to_string()} aria-label="Event details">
            <div class="panel-head">
                <h2>{format!("Event {seq}")}</h2>
                <button type="button" class="link" onclick={jump}>{"go to this step"}</button>
                <button type="button" class="close" onclick={close} aria-label="Close details">{"×"}</button>
            </div>
            {body}
        </aside>
    }
}

/// `NAME: what it means. Microsoft reference · model §N`, links opening beside the page.
fn explanation(e: &Explained) -> Html {
    html! {
        <>
            <code class="name" data-name={e.name.clone()}>{e.name.clone()}</code>{" "}{e.text.clone()}{" "}
            <a class="ref" href={e.reference.clone()} target="_blank" rel="noopener noreferrer">{"Microsoft reference"}</a>
            {" · "}
            <a class="model" href={explain::model_link(&e.section)} target="_blank" rel="noopener">{format!("model §{}", e.section)}</a>
        </>
    }
}

/// `text` with each "model §N" a link to that section of the book's model chapter.
fn cited(text: &str) -> Html {
    let marks = explain::citations(text);
    if marks.is_empty() {
        return html! { {text.to_string()} };
    }
    let mut parts = Vec::new();
    let mut at = 0;
    for c in marks {
        parts.push(html! { {text[at..c.start].to_string()} });
        parts.push(html! {
            <a class="model" href={explain::model_link(&c.section)} target="_blank" rel="noopener">{text[c.start..c.end].to_string()}</a>
        });
        at = c.end;
    }
    parts.push(html! { {text[at..].to_string()} });
    parts.into_iter().collect::<Html>()
}

fn tf(b: bool) -> &'static str {
    if b {
        "TRUE"
    } else {
        "FALSE"
    }
}
