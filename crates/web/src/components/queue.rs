//! The outgoing queue (with lock state) and every message's state.

use std::rc::Rc;

use spoolscope_playground::protocol::MessageLine;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct QueueProps {
    pub queue: Rc<Vec<MessageLine>>,
    pub queue_total: u32,
    pub messages: Rc<Vec<MessageLine>>,
    pub message_total: u32,
}

#[function_component(Queue)]
pub fn queue(props: &QueueProps) -> Html {
    let more = |shown: usize, total: u32| -> Html {
        if (total as usize) > shown {
            html! { <p class="more">{format!("and {} more", total as usize - shown)}</p> }
        } else {
            html! {}
        }
    };
    html! {
        <section class="queue-panel" aria-label="Queue and messages">
            <div class="panel-head">
                <h2>{"Outgoing queue"}</h2>
                <span class="hint">{"in submission order"}</span>
            </div>
            <ol class="queue" data-testid="queue">
                if props.queue.is_empty() { <li class="none">{"empty"}</li> }
                { for props.queue.iter().map(|m| html! {
                    <li key={m.id.clone()} data-message={m.id.clone()} data-locked={m.locked.to_string()}
                        class={classes!(m.changed.then_some("changed"), m.locked.then_some("locked"))}>
                        <span class="lock" title="SetLockState(MSG_LOCKED)">{if m.locked { "locked" } else { "unlocked" }}</span>
                        <b>{m.id.clone()}</b>
                        <span class="state">{m.state.clone()}</span>
                        if !m.retry_at.is_empty() { <span class="retry">{format!("retry at {}", m.retry_at)}</span> }
                    </li>
                }) }
            </ol>
            {more(props.queue.len(), props.queue_total)}
            <div class="table-x" tabindex="0" role="region" aria-label="Messages table (scrolls)">
            <table class="grid messages" data-testid="messages">
                <thead><tr>
                    <th>{"message"}</th><th>{"subject"}</th><th>{"state (model §12.2)"}</th>
                    <th>{"status"}</th><th>{"lock"}</th><th>{"PR_MESSAGE_FLAGS"}</th>
                </tr></thead>
                <tbody>
                    { for props.messages.iter().map(|m| html! {
                        <tr key={m.id.clone()} data-testid="message" data-message={m.id.clone()}
                            class={classes!(m.changed.then_some("changed"))}>
                            <td data-col="id">{m.id.clone()}</td>
                            <td data-col="subject" class="subject">{m.subject.clone()}</td>
                            <td data-col="state">{m.state.clone()}</td>
                            <td data-col="status">{m.status.clone()}</td>
                            <td data-col="locked">{if m.locked { "locked" } else { "" }}</td>
                            <td data-col="flags" class="flags">{m.flags.replace('|', " | ")}</td>
                        </tr>
                    }) }
                </tbody>
            </table>
            </div>
            {more(props.messages.len(), props.message_total)}
        </section>
    }
}
