//! The diagram as text (issue 9, accessibility): a table of the calls, returns, properties,
//! timers and notes the diagram draws in its window, with the current step marked
//! `aria-current="step"`. It follows the player because the frame's window does. A plain view
//! function rather than a component: it has no state of its own.

use spoolscope_playground::protocol::{DiagramItem, EventKind, Frame, Lifeline};
use yew::prelude::*;

/// The transcript of `frame`'s diagram window, inside a closed-by-default disclosure.
pub fn transcript(lifelines: &[Lifeline], frame: Option<&Frame>) -> Html {
    let label = |lane: u32| -> String {
        lifelines
            .get(lane as usize)
            .map(|l| l.label.clone())
            .unwrap_or_default()
    };
    let current = frame.and_then(|f| f.current.as_ref().map(|e| e.seq));
    let rows: Html = frame
        .into_iter()
        .flat_map(|f| f.diagram.iter())
        .map(|item| match item {
            DiagramItem::Gap { label, .. } => html! {
                <tr class="gap"><td></td><td colspan="4">{format!("time passes: {label}")}</td></tr>
            },
            DiagramItem::Event { event, .. } => {
                let who = match event.kind {
                    EventKind::Call | EventKind::Return if event.to_lane != event.from_lane => {
                        format!("{} → {}", label(event.from_lane), label(event.to_lane))
                    }
                    _ => label(event.from_lane),
                };
                let what = match event.kind {
                    EventKind::Return if !event.method.is_empty() => {
                        format!("{} returns {}", event.method, event.label)
                    }
                    _ => event.label.clone(),
                };
                let is_current = current == Some(event.seq);
                html! {
                    <tr key={event.seq} data-seq={event.seq.to_string()}
                        aria-current={is_current.then_some("step")}
                        class={classes!(is_current.then_some("current"))}>
                        <td>{event.seq}</td>
                        <td>{event.time.clone()}</td>
                        <td>{event.kind.as_str()}</td>
                        <td>{who}</td>
                        <td>{what}</td>
                    </tr>
                }
            }
        })
        .collect();
    let shown = frame.map(|f| {
        let w = f.diagram_window;
        (w.start, (w.start + w.count).min(f.diagram_rows))
    });
    html! {
        <details class="transcript" data-testid="transcript">
            <summary>{"Transcript of the diagram"}</summary>
            <table>
                <caption>
                    {match shown {
                        Some((a, b)) if b > a => format!("Diagram rows {}–{}, as text; the current step is marked.", a + 1, b),
                        _ => "Nothing drawn yet.".to_string(),
                    }}
                </caption>
                <thead><tr>
                    <th scope="col">{"Step"}</th><th scope="col">{"Time"}</th>
                    <th scope="col">{"Kind"}</th><th scope="col">{"Lifelines"}</th>
                    <th scope="col">{"Event"}</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </details>
    }
}
