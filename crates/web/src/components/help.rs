//! The help overlay: every keyboard shortcut, how to read the page, and what a transport
//! script may call.

use spoolscope_playground::{HOST_FUNCTIONS, SCRIPT_LIBRARY};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct HelpProps {
    pub on_close: Callback<()>,
}

/// Shortcuts, as the overlay lists them.
pub const SHORTCUTS: &[(&str, &str)] = &[
    ("Space", "play / pause (on a focused button: press it)"),
    ("←", "step back"),
    ("→", "step forward"),
    ("Home", "jump to the start"),
    ("End", "jump to the end"),
    ("?", "open / close this help"),
    ("Esc", "close this help or the details panel"),
    (
        "Tab",
        "next control, from the editor too (unless \"Tab indents\")",
    ),
    ("Esc, then Tab", "leave the editor even when Tab indents"),
];

#[function_component(Help)]
pub fn help(props: &HelpProps) -> Html {
    let close = {
        let on_close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| on_close.emit(()))
    };
    let stop = Callback::from(|e: MouseEvent| e.stop_propagation());
    html! {
        <div class="overlay" onclick={close.clone()}>
            <div class="help" data-testid="help" role="dialog" aria-modal="true"
                aria-label="Keyboard shortcuts" onclick={stop}>
                <div class="panel-head">
                    <h2>{"Keyboard shortcuts"}</h2>
                    <button type="button" class="close" onclick={close} aria-label="Close">{"×"}</button>
                </div>
                <table class="keys">
                    { for SHORTCUTS.iter().map(|(k, what)| html! {
                        <tr><td><kbd>{*k}</kbd></td><td>{*what}</td></tr>
                    }) }
                </table>
                <p>{"Shortcuts work everywhere except while typing in the editor (Esc works there too)."}</p>
                <h3>{"Reading the page"}</h3>
                <ul>
                    <li>{"Step n shows the state right after trace event n, exactly as "}<code>{"spoolscope run FILE --format json"}</code>{" reports it."}</li>
                    <li>{"Solid arrows are calls, dashed arrows returns (labelled with the HRESULT and out parameters). Bars on a lifeline are calls in progress; grey bands are virtual time passing."}</li>
                    <li>{"Click an arrow for every field decoded by name, with PR_RESPONSIBILITY before and after."}</li>
                    <li>{"Highlighted rows changed at this step; the why column explains each recipient's state."}</li>
                    <li>{"The editor runs the scenario about 300 ms after you stop typing; an error keeps the last good run on screen."}</li>
                </ul>
                <h3>{"Writing a transport script"}</h3>
                <p>
                    {"Hooks: "}<code>{"submit_message(msg)"}</code>{" returns an HRESULT, "}
                    <code>{"end_message(msg)"}</code>{" EndMessage flags, "}
                    <code>{"transport_notify(flags, msg)"}</code>{" nothing. Every HRESULT, flag, MAPI_REASON_* and MAPI_DIAG_* constant is there by name."}
                </p>
                <p data-testid="host-functions">{"Host functions: "}<code>{HOST_FUNCTIONS.join(", ")}</code></p>
                <p>{"Besides Rhai's operators, print, debug, to_string, ranges and closures, the library has:"}</p>
                <table class="keys" data-testid="script-library">
                    { for SCRIPT_LIBRARY.iter().map(|(kind, names)| html! {
                        <tr><td>{*kind}</td><td><code>{names.join(" ")}</code></td></tr>
                    }) }
                </table>
            </div>
        </div>
    }
}
