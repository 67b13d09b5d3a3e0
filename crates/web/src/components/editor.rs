//! The scenario editor: a textarea over a coloured copy of its text, with line numbers.
//!
//! The textarea is sized to its content and scrolls together with the coloured layer and
//! the gutter inside one scroll box, so nothing has to be kept in sync. Tab moves the focus on,
//! as everywhere on the page; with "Tab indents" turned on it inserts four spaces instead, and
//! Esc then Tab still leaves (as in CodeMirror and Monaco). An error is shown at its line (gutter mark and line band) and below the editor
//! with the engine's message.

use spoolscope_playground::highlight::{highlight, Class};
use spoolscope_playground::protocol::InputError;
use web_sys::{HtmlElement, HtmlTextAreaElement, KeyboardEvent};
use yew::prelude::*;

/// Line height of the editor, in CSS pixels (matches `web/style.css`).
const LINE_HEIGHT: f64 = 20.0;

#[derive(Properties, PartialEq)]
pub struct EditorProps {
    pub text: AttrValue,
    pub error: Option<InputError>,
    /// The worker is running the latest text.
    pub running: bool,
    /// The text was edited since its preset was loaded.
    pub modified: bool,
    /// A run is on screen (an error then leaves the last good run showing).
    pub has_run: bool,
    pub on_edit: Callback<String>,
    /// The Share button: make a link that opens this text.
    pub on_share: Callback<()>,
    /// The embed's editor (links §1 `panels=…,editor`): read-only, no Share button.
    #[prop_or_default]
    pub readonly: bool,
}

#[function_component(Editor)]
pub fn editor(props: &EditorProps) -> Html {
    let area = use_node_ref();
    let scroller = use_node_ref();
    let coloured = use_memo(props.text.clone(), |text| coloured_lines(text));
    let lines = props.text.split('\n').count().max(1);
    let widest = props
        .text
        .split('\n')
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0);

    let on_input = {
        let on_edit = props.on_edit.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(ta) = e.target_dyn_into::<HtmlTextAreaElement>() {
                on_edit.emit(ta.value());
            }
        })
    };
    // Off by default, so that the keyboard never gets stuck in the editor.
    let tab_indents = use_state(|| false);
    // Esc was the last key: the next Tab leaves the editor even when Tab indents.
    let escaped = use_mut_ref(|| false);
    let on_keydown = {
        let on_edit = props.on_edit.clone();
        let tab_indents = *tab_indents;
        let readonly = props.readonly;
        let escaped = escaped.clone();
        Callback::from(move |e: KeyboardEvent| {
            let key = e.key();
            let after_escape = std::mem::replace(&mut *escaped.borrow_mut(), key == "Escape");
            if key != "Tab" || e.shift_key() || e.ctrl_key() || e.alt_key() || e.meta_key() {
                return;
            }
            if !tab_indents || readonly || after_escape {
                return; // the browser moves the focus on
            }
            let Some(ta) = e.target_dyn_into::<HtmlTextAreaElement>() else {
                return;
            };
            e.prevent_default();
            let start = ta.selection_start().ok().flatten().unwrap_or(0);
            let end = ta.selection_end().ok().flatten().unwrap_or(start);
            if ta
                .set_range_text_with_start_and_end_and_mode("    ", start, end, "end")
                .is_ok()
            {
                on_edit.emit(ta.value());
            }
        })
    };
    // Clicking the error puts the caret at its line.
    let on_error_click = {
        let area = area.clone();
        let scroller = scroller.clone();
        let text = props.text.clone();
        let error = props.error.clone();
        Callback::from(move |_: MouseEvent| {
            let (Some(ta), Some(e)) = (area.cast::<HtmlTextAreaElement>(), &error) else {
                return;
            };
            let offset = utf16_offset_of_line(&text, e.line);
            let _ = ta.focus();
            let _ = ta.set_selection_range(offset, offset);
            if let Some(s) = scroller.cast::<HtmlElement>() {
                s.set_scroll_top((f64::from(e.line.saturating_sub(3)) * LINE_HEIGHT) as i32);
            }
        })
    };

    let error_line = props.error.as_ref().map(|e| e.line);
    let gutter: Html = (1..=lines)
        .map(|n| {
            let err = error_line == Some(n as u32);
            let title = if err {
                props
                    .error
                    .as_ref()
                    .map(|e| AttrValue::from(e.message.clone()))
            } else {
                None
            };
            html! { <div class={classes!("ln", err.then_some("err"))} {title}>{n}</div> }
        })
        .collect();
    let height = lines as f64 * LINE_HEIGHT + 16.0;
    let status = if props.running {
        html! { <span class="editor-status running">{"running…"}</span> }
    } else if props.error.is_some() && props.has_run {
        html! { <span class="editor-status bad">{"error: showing the last good run"}</span> }
    } else if props.error.is_some() {
        html! { <span class="editor-status bad">{"error: nothing has run yet"}</span> }
    } else {
        html! { <span class="editor-status ok">{"ran"}</span> }
    };

    html! {
        <section class="editor" aria-label="Scenario editor">
            <div class="panel-head">
                <h2>{"Scenario"}</h2>
                <span class="hint">{"TOML + Rhai"}</span>
                if props.modified { <span class="tag">{"edited"}</span> }
                {status}
                if !props.readonly {
                    <button type="button" class="tab-indents" data-testid="tab-indents"
                        aria-pressed={(*tab_indents).to_string()}
                        title="When on, Tab in the editor inserts four spaces (Esc then Tab still leaves the editor); when off, Tab moves to the next control"
                        onclick={{
                            let tab_indents = tab_indents.clone();
                            Callback::from(move |_: MouseEvent| tab_indents.set(!*tab_indents))
                        }}>{"Tab indents"}</button>
                    <button type="button" class="share" data-testid="share"
                        title="Copy a link that opens this scenario at this step (format 2: the text compressed, the trace hash, the step and the selected call)"
                        onclick={props.on_share.reform(|_| ())}>{"Share link"}</button>
                }
            </div>
            <div class="editor-scroll" ref={scroller}>
                <div class="editor-inner" style={format!("height:{height}px")}>
                    <div class="gutter" aria-hidden="true">{gutter}</div>
                    <div class="code" style={format!("min-width:calc({}ch + 24px)", widest + 2)}>
                        if let Some(line) = error_line {
                            <div class="err-band"
                                style={format!("top:{}px", f64::from(line - 1) * LINE_HEIGHT + 8.0)}></div>
                        }
                        <pre class="hl" aria-hidden="true">{(*coloured).clone()}</pre>
                        <textarea
                            ref={area}
                            data-testid="editor"
                            aria-label="Scenario text"
                            spellcheck="false"
                            autocomplete="off"
                            autocapitalize="off"
                            wrap="off"
                            readonly={props.readonly}
                            value={props.text.clone()}
                            oninput={on_input}
                            onkeydown={on_keydown}
                        />
                    </div>
                </div>
            </div>
            if let Some(e) = &props.error {
                <div class="editor-error" data-testid="editor-error"
                    data-line={e.line.to_string()} data-col={e.col.to_string()}
                    role="alert" onclick={on_error_click}
                    title="Click to go to the line">
                    <span class="where">{format!("line {}, column {}: ", e.line, e.col)}</span>
                    <span class="msg">{e.message.clone()}</span>
                </div>
            }
        </section>
    }
}

/// The coloured text, one span per token.
fn coloured_lines(text: &str) -> Html {
    let lines = highlight(text);
    let count = lines.len();
    lines
        .into_iter()
        .enumerate()
        .map(|(i, tokens)| {
            let spans: Html = tokens
                .into_iter()
                .map(|t| match t.class {
                    Class::Plain => html! { {t.text.to_string()} },
                    c => html! { <span class={c.css()}>{t.text.to_string()}</span> },
                })
                .collect();
            let newline = if i + 1 < count { "\n" } else { "" };
            html! { <>{spans}{newline}</> }
        })
        .collect()
}

/// The UTF-16 offset (what the DOM counts) of the start of 1-based `line`.
fn utf16_offset_of_line(text: &str, line: u32) -> u32 {
    let mut offset = 0usize;
    for (i, l) in text.split('\n').enumerate() {
        if i + 1 >= line as usize {
            break;
        }
        offset += l.encode_utf16().count() + 1;
    }
    offset as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_offsets_count_utf16_units() {
        let text = "ab\né😀\nx";
        assert_eq!(utf16_offset_of_line(text, 1), 0);
        assert_eq!(utf16_offset_of_line(text, 2), 3);
        assert_eq!(utf16_offset_of_line(text, 3), 3 + 3 + 1);
    }
}
