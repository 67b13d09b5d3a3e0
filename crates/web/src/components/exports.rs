//! The export bar (links §5, §6): copy an embed snippet for the scenario at this step, and save
//! the run as trace JSON, Mermaid, SVG or RFC 3464 reports — the bytes `spoolscope run
//! --format …` prints.

use spoolscope_playground::protocol::ExportKind;
use yew::prelude::*;

/// The kinds a reader can save, with their button labels and what they hold.
const SAVES: [(ExportKind, &str, &str); 4] = [
    (ExportKind::Json, "JSON", "The trace JSON (contract §4), as spoolscope run --format json prints it"),
    (ExportKind::Mermaid, "Mermaid", "A Mermaid sequenceDiagram (spoolscope run --format mermaid)"),
    (ExportKind::Svg, "SVG", "The whole sequence diagram as a standalone SVG file (spoolscope run --format svg)"),
    (ExportKind::Dsn, "DSN", "Every report as an RFC 3464 delivery status notification, mbox (spoolscope run --format dsn)"),
];

/// The bar; `ready`: a run is loaded (exports are of the run on screen). A plain function,
/// not a component: it has no state, and each component costs the page's wasm about 2 KB.
pub fn exports(ready: bool, on_snippet: &Callback<()>, on_export: &Callback<ExportKind>) -> Html {
    html! {
        <div class="exports" role="group" aria-label="Export">
            <button type="button" data-testid="snippet" disabled={!ready}
                title="Copy an iframe that embeds this scenario at this step (800×500)"
                onclick={on_snippet.reform(|_| ())}>{"Copy embed snippet"}</button>
            <span class="hint">{"Save:"}</span>
            { for SAVES.iter().map(|(kind, label, title)| {
                let kind = *kind;
                html! {
                    <button type="button" data-testid={format!("export-{}", label.to_ascii_lowercase())}
                        disabled={!ready} title={*title}
                        onclick={on_export.reform(move |_| kind)}>{*label}</button>
                }
            }) }
        </div>
    }
}
