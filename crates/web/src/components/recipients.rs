//! The recipient status table, one group per message: a header row with the message's
//! state, then one row per recipient. Virtualized: only the frame's window of rows is in
//! the DOM, between two spacer rows that keep the scroll bar true.

use std::rc::Rc;

use spoolscope_playground::protocol::{
    Frame, MessageLine, RecipientLine, TableRow, Window, ROW_HEIGHT,
};
use web_sys::Element;
use yew::prelude::*;

use crate::state::visible_rows;

/// Height of the sticky table header.
const HEAD: f64 = 28.0;

/// The columns: (data-col, header, tooltip).
const COLUMNS: &[(&str, &str, &str)] = &[
    ("index", "#", "recipient index"),
    ("name", "name", "PR_DISPLAY_NAME"),
    ("address", "address", "PR_EMAIL_ADDRESS"),
    ("type", "type", "PR_ADDRTYPE (PR_RECIPIENT_TYPE on hover)"),
    (
        "status",
        "status",
        "the contract's status word (the model's state on hover)",
    ),
    (
        "responsibility",
        "PR_RESPONSIBILITY",
        "as the spooler last saw it",
    ),
    ("why", "why", "why the recipient is in this state"),
    (
        "candidates",
        "candidates",
        "transports that may still take it, best first (model §7.4)",
    ),
    (
        "offered",
        "offered to",
        "transports it was offered to, in order",
    ),
    ("report", "report", "DR or NDR produced"),
    ("reason", "NDR reason", "PR_NDR_REASON_CODE"),
    ("diag", "NDR diagnostic", "PR_NDR_DIAG_CODE"),
    ("text", "report text", "PR_REPORT_TEXT"),
];

#[derive(Properties, PartialEq)]
pub struct RecipientsProps {
    pub frame: Option<Rc<Frame>>,
    /// Rows of the whole table (message headers included).
    pub rows: u32,
    pub recipients: u32,
    pub on_scroll: Callback<Window>,
}

#[function_component(Recipients)]
pub fn recipients(props: &RecipientsProps) -> Html {
    let on_scroll = {
        let on_scroll = props.on_scroll.clone();
        Callback::from(move |e: Event| {
            if let Some(el) = e.target_dyn_into::<Element>() {
                let top = (f64::from(el.scroll_top()) - HEAD).max(0.0);
                on_scroll.emit(visible_rows(top, f64::from(el.client_height())));
            }
        })
    };
    let (window, rows): (Window, &[TableRow]) = match &props.frame {
        Some(f) => (f.table_window, &f.table),
        None => (Window::default(), &[]),
    };
    let row_h = f64::from(ROW_HEIGHT);
    let above = f64::from(window.start) * row_h;
    let below = f64::from(props.rows.saturating_sub(window.end())) * row_h;
    let counts = props
        .frame
        .as_ref()
        .map(|f| {
            f.counts
                .iter()
                .map(|(k, n)| format!("{n} {k}"))
                .collect::<Vec<_>>()
                .join(" · ")
        })
        .unwrap_or_default();
    html! {
        <section class="recipients-panel" aria-label="Recipients">
            <div class="panel-head">
                <h2>{"Recipients"}</h2>
                <span class="hint">{format!("{} in all: {counts}", props.recipients)}</span>
            </div>
            <div class="table-scroll" onscroll={on_scroll}
                tabindex="0" role="region" aria-label="Recipients table (scrolls)">
                <table class="grid recipients" data-testid="recipients">
                    <colgroup>
                        { for COLUMNS.iter().map(|(c, _, _)| html! { <col class={format!("c-{c}")} /> }) }
                    </colgroup>
                    <thead><tr>
                        { for COLUMNS.iter().map(|(c, h, t)| html! { <th data-col={*c} title={*t}>{*h}</th> }) }
                    </tr></thead>
                    <tbody>
                        if above > 0.0 { <tr class="spacer" style={format!("height:{above}px")}><td colspan="13"></td></tr> }
                        { for rows.iter().map(|r| match r {
                            TableRow::Message(m) => html! {
                                <MessageRow key={format!("m{}", m.index)} line={m.clone()} />
                            },
                            TableRow::Recipient(l) => html! {
                                <RecipientRow key={format!("r{}-{}", l.message, l.index)} line={l.clone()} />
                            },
                        }) }
                        if below > 0.0 { <tr class="spacer" style={format!("height:{below}px")}><td colspan="13"></td></tr> }
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct MessageRowProps {
    line: MessageLine,
}

/// A message's header row (its own component: unchanged rows are not re-rendered).
#[function_component(MessageRow)]
fn message_row(props: &MessageRowProps) -> Html {
    let m = &props.line;
    html! {
        <tr class={classes!("msg", m.changed.then_some("changed"))}
            data-testid="message-row" data-message={m.id.clone()}>
            <td colspan="13"><span class="msg-line">
                <b>{m.id.clone()}</b>
                <span class="subject">{format!(" “{}” ", m.subject)}</span>
                <span class="state">{m.state.clone()}</span>
                <span class={classes!("status-word", m.status.clone())}>{m.status.clone()}</span>
                if m.locked { <span class="lock">{"locked (SetLockState MSG_LOCKED)"}</span> }
                if !m.retry_at.is_empty() { <span class="retry">{format!("retry at {}", m.retry_at)}</span> }
                <span class="count">{format!("{} recipient{}", m.recipients, if m.recipients == 1 { "" } else { "s" })}</span>
            </span></td>
        </tr>
    }
}

#[derive(Properties, PartialEq)]
struct RecipientRowProps {
    line: RecipientLine,
}

/// One recipient (its own component: unchanged rows are not re-rendered).
#[function_component(RecipientRow)]
fn recipient_row(props: &RecipientRowProps) -> Html {
    let r = &props.line;
    let cell = |col: &'static str, text: String| {
        let title = (!text.is_empty()).then(|| AttrValue::from(text.clone()));
        html! { <td data-col={col} {title}>{text}</td> }
    };
    html! {
        <tr class={classes!("r", r.changed.then_some("changed"), r.status.clone())}
            data-testid="recipient" data-message={r.message.clone()} data-index={r.index.to_string()}>
            <td data-col="index">{r.index}</td>
            {cell("name", r.name.clone())}
            {cell("address", r.address.clone())}
            <td data-col="type" title={r.recipient_type.clone()}>{r.addr_type.clone()}</td>
            <td data-col="status" title={r.state.clone()}><span class="status-word">{r.status.clone()}</span></td>
            <td data-col="responsibility" class={if r.responsibility { "true" } else { "false" }}>
                {if r.responsibility { "TRUE" } else { "FALSE" }}
            </td>
            {cell("why", r.why.clone())}
            {cell("candidates", r.candidates.clone())}
            {cell("offered", r.offered.clone())}
            {cell("report", r.report.clone())}
            {cell("reason", r.reason.clone())}
            {cell("diag", r.diag.clone())}
            {cell("text", r.text.clone())}
        </tr>
    }
}
