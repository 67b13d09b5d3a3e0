//! The help overlay: every keyboard shortcut, how to read the page, and what a transport
//! script may call.

use spoolscope_playground::{HOST_FUNCTIONS, SCRIPT_LIBRARY};
use wasm_bindgen::{JsCast, JsValue};
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
    ("↑ ↓", "in the diagram: the event above / below"),
    ("Enter", "in the diagram: open the focused event's details"),
];

/// A real modal (`<dialog>` opened with `showModal()`): the page behind it is inert, focus
/// moves into it and stays there, Esc or a click outside closes it, and focus returns to the
/// `?` button.
#[function_component(Help)]
pub fn help(props: &HelpProps) -> Html {
    let dialog = use_node_ref();
    {
        let dialog = dialog.clone();
        use_effect_with((), move |_| {
            if let Some(d) = dialog.cast::<web_sys::HtmlDialogElement>() {
                let _ = d.show_modal();
            }
            move || {
                if let Some(d) = dialog.cast::<web_sys::HtmlDialogElement>() {
                    d.close();
                }
                if let Some(button) = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.query_selector(".help-button").ok().flatten())
                    .and_then(|b| b.dyn_into::<web_sys::HtmlElement>().ok())
                {
                    let _ = button.focus();
                }
            }
        });
    }
    let close = {
        let on_close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| on_close.emit(()))
    };
    // A click on the backdrop is a click on the dialog itself (its panel fills it).
    let backdrop = {
        let on_close = props.on_close.clone();
        let dialog = dialog.clone();
        Callback::from(move |e: MouseEvent| {
            let on_dialog = e
                .target()
                .zip(dialog.get())
                .is_some_and(|(t, d)| JsValue::from(t) == JsValue::from(d));
            if on_dialog {
                on_close.emit(());
            }
        })
    };
    // Esc: the page's Escape closes it (the browser's own close would race the page's state).
    let cancel = {
        let on_close = props.on_close.clone();
        Callback::from(move |e: Event| {
            e.prevent_default();
            on_close.emit(());
        })
    };
    // Tab and Shift+Tab cycle inside (a modal dialog alone lets them leave for the browser's
    // own controls after its last element).
    let trap = {
        let dialog = dialog.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() != "Tab" {
                return;
            }
            let Some(d) = dialog.cast::<web_sys::Element>() else {
                return;
            };
            let Ok(all) = d.query_selector_all("button, [href], [tabindex]:not([tabindex='-1'])")
            else {
                return;
            };
            let items: Vec<web_sys::HtmlElement> = (0..all.length())
                .filter_map(|i| all.item(i))
                .filter_map(|n| n.dyn_into().ok())
                .collect();
            let (Some(first), Some(last)) = (items.first(), items.last()) else {
                return;
            };
            let active = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|doc| doc.active_element());
            let at = |el: &web_sys::HtmlElement| {
                active
                    .as_ref()
                    .is_some_and(|a| JsValue::from(a) == JsValue::from(el))
            };
            let inside = active.as_ref().is_some_and(|a| d.contains(Some(a)));
            if e.shift_key() && (at(first) || !inside) {
                e.prevent_default();
                let _ = last.focus();
            } else if !e.shift_key() && (at(last) || !inside) {
                e.prevent_default();
                let _ = first.focus();
            }
        })
    };
    html! {
        <dialog ref={dialog} class="help-dialog" aria-labelledby="help-title"
            onclick={backdrop} oncancel={cancel} onkeydown={trap}>
            <div class="help" data-testid="help" tabindex="0">
                <div class="panel-head">
                    <h2 id="help-title">{"Keyboard shortcuts"}</h2>
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
        </dialog>
    }
}
