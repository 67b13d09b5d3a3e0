//! Each transport's status row (model §10), with `PR_STATUS_CODE` decoded.

use spoolscope_playground::protocol::StatusLine;
use yew::prelude::*;

/// The panel (a plain function: no state).
pub fn status_rows(rows: &[StatusLine]) -> Html {
    html! {
        <section class="status-panel" aria-label="Status rows" tabindex="0">
            <div class="panel-head">
                <h2>{"Status table"}</h2>
                <span class="hint">{"one row per transport (PR_STATUS_CODE)"}</span>
            </div>
            <table class="grid status" data-testid="status">
                <thead><tr>
                    <th>{"transport"}</th><th>{"logged on"}</th><th title="The spooler's BEGIN/END_OUTBOUND bookkeeping">{"outbound"}</th>
                    <th>{"PR_STATUS_CODE"}</th><th>{"in call"}</th><th>{"deferred"}</th>
                </tr></thead>
                <tbody>
                    { for rows.iter().map(|r| html! {
                        <tr key={r.transport.clone()} data-testid="status-row"
                            data-transport={r.transport.clone()}
                            class={classes!(r.changed.then_some("changed"))}>
                            <td data-col="transport">{r.transport.clone()}</td>
                            <td data-col="logged_on">{yes(r.logged_on)}</td>
                            <td data-col="outbound">{if r.outbound_enabled { "enabled" } else { "off" }}</td>
                            <td data-col="status" class="flags">{r.status.replace('|', " | ")}</td>
                            <td data-col="in_flight">{r.in_flight.clone()}</td>
                            <td data-col="deferred">{r.deferred.clone()}</td>
                        </tr>
                    }) }
                </tbody>
            </table>
        </section>
    }
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}
