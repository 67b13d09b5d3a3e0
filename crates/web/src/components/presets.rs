//! The preset gallery: one card per preset, with its title and explanation.

use spoolscope_playground::presets::{header, PRESETS};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PresetsProps {
    /// The slug of the preset on screen (empty when none).
    pub current: AttrValue,
    pub on_pick: Callback<String>,
}

#[function_component(PresetGallery)]
pub fn preset_gallery(props: &PresetsProps) -> Html {
    let cards = use_memo((), |_| {
        PRESETS
            .iter()
            .map(|p| {
                let (title, description) = header(p.text);
                (p.slug, title, description)
            })
            .collect::<Vec<_>>()
    });
    html! {
        <nav class="presets" data-testid="presets" aria-label="Preset scenarios">
            { for cards.iter().map(|(slug, title, description)| {
                let on_pick = props.on_pick.clone();
                let s = slug.to_string();
                let onclick = Callback::from(move |_: MouseEvent| on_pick.emit(s.clone()));
                let current = props.current.as_str() == *slug;
                html! {
                    <button key={*slug} type="button"
                        class={classes!("card", current.then_some("current"))}
                        data-testid={format!("preset-{slug}")}
                        aria-pressed={current.to_string()}
                        title={description.clone()}
                        {onclick}>
                        <span class="card-title">{title.clone()}</span>
                        <span class="card-text">{description.clone()}</span>
                    </button>
                }
            }) }
        </nav>
    }
}
