//! The App component: owns the store (`use_reducer`), turns actions into callbacks, and runs
//! the effects: the worker link, the typing pause before a run, frame requests, the play
//! timer, keyboard shortcuts, persistence and the `window.__spoolscope` status for tests.

use gloo_events::{EventListener, EventListenerOptions};
use gloo_timers::callback::{Interval, Timeout};
use spoolscope_contract::link::{Panel, Theme, View};
use spoolscope_playground::presets::{self, DEFAULT_PRESET};
use spoolscope_playground::protocol::{ExportKind, Response, Window};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::KeyboardEvent;
use yew::prelude::*;

use crate::components::diagram::Diagram;
use crate::components::editor::Editor;
use crate::components::help::Help;
use crate::components::player::{Player, PlayerCommand};
use crate::components::presets::PresetGallery;
use crate::components::queue::Queue;
use crate::components::recipients::Recipients;
use crate::link::{Link, SharedLink};
use crate::state::{Action, AppState};

/// localStorage keys.
const KEY_TEXT: &str = "spoolscope.text.v1";
const KEY_PRESET: &str = "spoolscope.preset.v1";
/// The reader's pick of the header's theme toggle ("light" or "dark").
const KEY_THEME: &str = "spoolscope.theme.v1";

/// The text version of the state the page opens with (see `AppState::new`).
const OPENING_VERSION: u64 = 1;

/// Milliseconds between the first ready render and starting the worker
/// (the test hook's `workerDelayMs` overrides it: `test_hook.rs`).
const WORKER_START_DELAY_MS: u32 = 50;

/// Milliseconds of typing pause before the scenario runs.
const TYPING_PAUSE_MS: u32 = 300;

/// The state the page opens with: a preset named in the address (`#preset=slug`), else the
/// text saved in localStorage, else the default preset. Nothing here can fail: an unknown
/// preset or unreadable storage gives a notice and the default.
pub fn initial_state() -> AppState {
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    let wanted = preset_in_hash(&hash).map(str::to_string);
    let mut notice = None;
    if let Some(slug) = wanted {
        match presets::find(&slug) {
            Some(p) => return AppState::new(p.text.to_string(), slug, false, None),
            None => {
                notice = Some(format!(
                    "The address asks for a preset called {slug:?}, which does not exist; your saved scenario is shown instead."
                ))
            }
        }
    }
    let saved = stored(KEY_TEXT);
    let saved_preset = stored(KEY_PRESET).unwrap_or_default();
    match saved {
        Some(text) if !text.is_empty() => {
            let modified = presets::find(&saved_preset).map(|p| p.text) != Some(text.as_str());
            AppState::new(text, saved_preset, modified, notice)
        }
        _ => {
            let text = presets::find(DEFAULT_PRESET)
                .map(|p| p.text)
                .unwrap_or_default();
            AppState::new(text.to_string(), DEFAULT_PRESET.to_string(), false, notice)
        }
    }
}

/// The preset a location hash names (`#preset=slug`, possibly among other `&` parts).
fn preset_in_hash(hash: &str) -> Option<&str> {
    hash.trim_start_matches('#')
        .split('&')
        .find_map(|kv| kv.strip_prefix("preset="))
}

/// The state the page opens with from a share link (decoded by `crate::start`): the shared
/// text, which is not saved here until it is edited, put where the link says once it has run;
/// or, when the link cannot be opened, what the page would open with anyway, with a notice
/// saying why (contract §5, links §4).
pub fn shared_state(decoded: Result<Option<crate::share::Opened>, String>) -> AppState {
    match decoded {
        Ok(Some(opened)) => {
            let mut state = AppState::new(String::new(), String::new(), false, None);
            state.text_version = 0; // open_link makes it the opening version, 1
            state.open_link(opened, Some(crate::state::SHARED_NOTICE.to_string()));
            state
        }
        Ok(None) => initial_state(),
        Err(reason) => {
            let mut state = initial_state();
            state.notice = Some(format!(
                "This link cannot be opened: {reason}. Your saved scenario is shown instead."
            ));
            state
        }
    }
}

/// True when the page's address asks for the embed (`?embed=1`, links §5).
pub fn embed_requested() -> bool {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .is_some_and(|q| {
            q.trim_start_matches('?')
                .split('&')
                .any(|kv| kv == "embed=1")
        })
}

thread_local! {
    /// The state the page opens with, prepared by `crate::start` before mounting.
    static OPENING: std::cell::RefCell<Option<AppState>> = const { std::cell::RefCell::new(None) };
}

/// Hands the opening state to the page's first render.
pub fn set_opening_state(mut state: AppState) {
    // A link's theme wins; else the reader's last pick; else the browser's preference (CSS).
    if state.theme.is_none() {
        state.theme = stored(KEY_THEME).as_deref().and_then(Theme::from_name);
    }
    OPENING.with(|o| *o.borrow_mut() = Some(state));
}

/// True when the page shows dark: the theme picked, else `prefers-color-scheme: dark`.
fn shows_dark(theme: Option<Theme>) -> bool {
    match theme {
        Some(t) => t == Theme::Dark,
        None => web_sys::window()
            .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
            .is_some_and(|m| m.matches()),
    }
}

/// The action an answer of the engine (worker or page session) becomes.
pub fn action_of(response: Response) -> Action {
    match response {
        Response::Loaded { run, result } => Action::Loaded(run, result),
        Response::Frame(f) => Action::Frame(f),
        Response::Details(d) => Action::Details(d),
        // Exports go to whoever asked for them (`Link::export`), never here.
        Response::Export { run, text, .. } => Action::Recorded(run, text),
    }
}

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(|| {
        OPENING
            .with(|o| o.borrow_mut().take())
            .unwrap_or_else(initial_state)
    });
    let link: SharedLink = Link::shared();

    // Effect: every answer (of the worker, or of the page's own session for the opening run)
    // becomes an action.
    {
        let link = link.clone();
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            Link::set_handler(&link, move |response| {
                dispatcher.dispatch(action_of(response))
            });
        });
    }
    // Effect: once the opening run is on screen, start the worker if it is not running yet
    // (see `link.rs`), so that the first edit finds it ready. A moment later, not in this
    // render: the page paints first (an edit before then starts it at once anyway).
    {
        let link = link.clone();
        use_effect_with(state.ready(), move |ready| {
            let start = ready.then(|| {
                let delay = crate::test_hook::setting_ms("workerDelayMs", WORKER_START_DELAY_MS);
                Timeout::new(delay, move || link.borrow_mut().start_worker())
            });
            move || drop(start)
        });
    }
    // Effect: run the text after a typing pause (at once for a preset).
    {
        let link = link.clone();
        let text = state.text.clone();
        let version = state.text_version;
        let delay = if state.load_now { 0 } else { TYPING_PAUSE_MS };
        use_effect_with(version, move |_| {
            let timeout = Timeout::new(delay, move || link.borrow_mut().load(version, text));
            move || drop(timeout)
        });
    }
    // Effect: persist the text once the user changes it (an edit or a pick). The text the page
    // opens with is already saved, a default, or from the address (`#preset=`, `#s=`), which
    // must not replace what is saved here; and localStorage is slow to write at start-up.
    {
        let text = state.text.clone();
        let preset = state.preset.clone();
        let persist = state.persist;
        use_effect_with(state.text_version, move |version| {
            if persist && *version > OPENING_VERSION {
                store(KEY_TEXT, &text);
                store(KEY_PRESET, &preset);
            }
        });
    }
    // Effect: a link pasted into the address bar of the open page changes only the hash (no
    // reload): open what it names.
    {
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|window| {
                EventListener::new(&window, "hashchange", move |_| {
                    let hash = web_sys::window()
                        .and_then(|w| w.location().hash().ok())
                        .unwrap_or_default();
                    if crate::share::is_link(&hash) {
                        let dispatcher = dispatcher.clone();
                        wasm_bindgen_futures::spawn_local(async move {
                            match crate::share::open(&hash).await {
                                Ok(Some(opened)) => {
                                    dispatcher.dispatch(Action::OpenShared(Ok(opened)))
                                }
                                Ok(None) => {}
                                Err(why) => dispatcher.dispatch(Action::OpenShared(Err(why))),
                            }
                        });
                    } else if let Some(slug) = preset_in_hash(&hash) {
                        dispatcher.dispatch(Action::PickPreset(slug.to_string()));
                    }
                })
            });
            move || drop(listener)
        });
    }
    // Effect: the address follows picks, edits and share links (no navigation).
    {
        use_effect_with(state.hash.clone(), move |hash| {
            if let Some(hash) = hash {
                crate::share::set_hash(hash);
            }
        });
    }
    // Effect: ask for the frame of the step shown.
    {
        let link = link.clone();
        use_effect_with(state.frame_request(), move |req| {
            if let Some(req) = req {
                link.borrow_mut().frame(*req);
            }
        });
    }
    // Effect: ask for the details of the selected event.
    {
        let link = link.clone();
        use_effect_with((state.run(), state.selected), move |(run, seq)| {
            if let (Some(run), Some(seq)) = (run, seq) {
                link.borrow_mut().details(*run, *seq);
            }
        });
    }
    // Effect: check a link's run against what it recorded (links §3), once its view is on.
    {
        let link = link.clone();
        let dispatcher = state.dispatcher();
        use_effect_with(state.record_wanted(), move |run| {
            if let Some(run) = *run {
                link.borrow_mut().export(
                    run,
                    ExportKind::Record,
                    Box::new(move |text| dispatcher.dispatch(Action::Recorded(run, text))),
                );
            }
        });
    }
    // Effect: the theme a link names (links §1) is the page's `data-theme`.
    {
        use_effect_with(state.theme, move |theme| {
            let root = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.document_element());
            if let (Some(root), Some(theme)) = (root, theme) {
                let _ = root.set_attribute("data-theme", theme.as_str());
            }
        });
    }
    // Embed (links §5): the postMessage API and the "Open in Spoolscope" address.
    let origin = use_memo((), |_| crate::embed::origin_of_address());
    let embed_run = use_mut_ref(|| (0u64, None::<js_sys::Array>));
    // Effect: commands from the embedding window (only it, and only `origin` when set).
    {
        let dispatcher = state.dispatcher();
        let origin = origin.clone();
        use_effect_with(state.embed, move |embed| {
            let listener = embed.then(web_sys::window).flatten().map(|window| {
                EventListener::new(&window, "message", move |e| {
                    let Some(e) = e.dyn_ref::<web_sys::MessageEvent>() else {
                        return;
                    };
                    let origin = origin.as_deref();
                    if !crate::embed::trusted(e, origin) {
                        return; // another window or origin: ignored, not answered
                    }
                    embed_command(crate::embed::command(&e.data()), &dispatcher, origin);
                })
            });
            move || drop(listener)
        });
    }
    // Effect: after each run, its trace (for `step` events) and the `ready` event.
    {
        let link = link.clone();
        let origin = origin.clone();
        let embed_run = embed_run.clone();
        let (total, step) = (state.total(), state.step);
        let title = state
            .summary
            .as_ref()
            .map(|s| s.title.clone())
            .unwrap_or_default();
        let run = state
            .run()
            .filter(|_| state.embed && crate::embed::embedded());
        use_effect_with(run, move |run| {
            if let Some(run) = *run {
                link.borrow_mut().export(
                    run,
                    ExportKind::Json,
                    Box::new(move |json| {
                        let Some(json) = json else { return };
                        let hash = spoolscope_render::hash::of_json(&json);
                        *embed_run.borrow_mut() = (run, crate::embed::events_of(&json));
                        let ready = crate::embed::Outgoing::Ready {
                            total,
                            step,
                            title: &title,
                            hash: &hash,
                        };
                        crate::embed::post(&ready, None, origin.as_deref());
                    }),
                );
            }
        });
    }
    // Effect: a `step` event for every step shown once the run's trace is here.
    {
        let origin = origin.clone();
        let embed_run = embed_run.clone();
        let shown = state
            .frame
            .as_ref()
            .map(|f| (f.run, f.step))
            .filter(|_| state.embed);
        let total = state.total();
        use_effect_with(shown, move |shown| {
            if let Some((run, step)) = *shown {
                let held = embed_run.borrow();
                if let (r, Some(events)) = &*held {
                    if *r == run {
                        let event = match step {
                            0 => JsValue::NULL,
                            n => events.get((n - 1) as u32),
                        };
                        let message = crate::embed::Outgoing::Step { step, total };
                        crate::embed::post(&message, Some(&event), origin.as_deref());
                    }
                }
            }
        });
    }
    // Effect: the scenario's error, as an `error` event.
    {
        let origin = origin.clone();
        let error = state.error.clone().filter(|_| state.embed);
        use_effect_with(error, move |error| {
            if let Some(e) = error {
                let message = crate::embed::Outgoing::Error {
                    message: &e.message,
                    line: Some(e.line),
                    col: Some(e.col),
                };
                crate::embed::post(&message, None, origin.as_deref());
            }
        });
    }
    // Effect: the link "Open in Spoolscope" opens (the text as a link, made once per text).
    let full_link = use_state(String::new);
    {
        let full_link = full_link.clone();
        let text = state.text.clone();
        let embed = state.embed;
        use_effect_with(state.text_version, move |_| {
            if embed {
                wasm_bindgen_futures::spawn_local(async move {
                    if let Ok(fragment) = crate::share::make(&text, None, &View::default()).await {
                        full_link.set(fragment);
                    }
                });
            }
        });
    }
    // Effect: the play timer only dispatches Tick.
    {
        let dispatcher = state.dispatcher();
        use_effect_with((state.playing, state.tick_ms()), move |(playing, ms)| {
            let interval =
                playing.then(|| Interval::new(*ms, move || dispatcher.dispatch(Action::Tick)));
            move || drop(interval)
        });
    }
    // Effect: keyboard shortcuts (not while typing in the editor, except Escape).
    {
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            let listener = web_sys::window().and_then(|w| w.document()).map(|doc| {
                let options = EventListenerOptions::enable_prevent_default();
                EventListener::new_with_options(&doc, "keydown", options, move |e| {
                    let Some(e) = e.dyn_ref::<KeyboardEvent>() else {
                        return;
                    };
                    if let Some(action) = shortcut(e) {
                        e.prevent_default();
                        dispatcher.dispatch(action);
                    }
                })
            });
            move || drop(listener)
        });
    }
    // Effect (every render): publish the page's status for the browser tests.
    {
        let status = crate::test_hook::Published {
            ready: state.ready(),
            step: state.frame.as_ref().map(|f| f.step).unwrap_or(0),
            total: state.total(),
            preset: state.preset.clone(),
            title: state
                .summary
                .as_ref()
                .map(|s| s.title.clone())
                .unwrap_or_default(),
            playing: state.playing,
            error: state.error.as_ref().map(|e| e.line),
            cost: state.summary.as_ref().map(|s| s.cost).unwrap_or_default(),
        };
        use_effect(move || crate::test_hook::publish(&status));
    }

    // Callbacks, all stable across renders (`use_callback` over the dispatcher): a child
    // whose other props are unchanged then compares equal and is not re-rendered, so a step
    // re-renders only the parts that show the step.
    let on_close_details = {
        let dispatcher = state.dispatcher();
        use_callback((), move |_: (), _| {
            dispatcher.dispatch(Action::CloseDetails)
        })
    };
    let on_close_help = {
        let dispatcher = state.dispatcher();
        use_callback((), move |_: (), _| dispatcher.dispatch(Action::CloseHelp))
    };
    // Share: the worker's record of the run (hash and lines), then the browser compresses the
    // text and the lines; the link (or, for an embed snippet, its iframe) goes on the clipboard
    // and the link in the address (links §1, §5).
    let share = {
        let dispatcher = state.dispatcher();
        let link = link.clone();
        // The view is read when the button is pressed, not a dependency: a callback that
        // changed with every step would re-render the editor and the export bar on every step.
        let view_now = use_mut_ref(View::default);
        *view_now.borrow_mut() = View {
            step: (state.step < state.total()).then_some(state.step),
            selected: state.selected,
            speed: (state.speed != crate::state::DEFAULT_SPEED)
                .then(|| crate::state::SPEEDS.get(state.speed).map(|s| s.0))
                .flatten(),
            theme: state.theme,
            ..View::default()
        };
        let ran = state
            .run()
            .filter(|r| *r == state.text_version && state.error.is_none());
        let title = state
            .summary
            .as_ref()
            .map(|s| s.title.clone())
            .unwrap_or_default();
        use_callback(
            (state.text_version, state.text.clone(), ran, title),
            move |snippet: bool, (version, text, ran, title)| {
                let (dispatcher, version, text, view, title) = (
                    dispatcher.clone(),
                    *version,
                    text.clone(),
                    view_now.borrow().clone(),
                    title.clone(),
                );
                let finish = move |record: Option<String>| {
                    wasm_bindgen_futures::spawn_local(async move {
                        match crate::share::make(&text, record.as_deref(), &view).await {
                            Ok(fragment) => {
                                let page = crate::share::page_address();
                                let copied = if snippet {
                                    crate::share::copy(&crate::share::embed_snippet(
                                        &page, &fragment, &title,
                                    ))
                                    .await
                                } else {
                                    crate::share::copy(&format!("{page}#{fragment}")).await
                                };
                                dispatcher.dispatch(Action::Shared(version, fragment, copied));
                            }
                            Err(reason) => dispatcher.dispatch(Action::ShareFailed(reason)),
                        }
                    });
                };
                match ran {
                    Some(run) => {
                        link.borrow_mut()
                            .export(*run, ExportKind::Record, Box::new(finish))
                    }
                    None => finish(None),
                }
            },
        )
    };
    let on_share = use_callback(share.clone(), |(), share| share.emit(false));
    let on_snippet = use_callback(share, |(), share| share.emit(true));
    // Exports: the worker renders the run; the browser saves the file.
    let on_export = {
        let link = link.clone();
        let dispatcher = state.dispatcher();
        use_callback(state.run(), move |kind: ExportKind, run| {
            let Some(run) = *run else {
                return;
            };
            let dispatcher = dispatcher.clone();
            link.borrow_mut().export(
                run,
                kind,
                Box::new(move |text| match text {
                    Some(text) => crate::share::download(kind.file().0, kind.file().1, &text),
                    None => dispatcher.dispatch(Action::ShareFailed("that run is gone".into())),
                }),
            );
        })
    };
    let on_edit = {
        let dispatcher = state.dispatcher();
        use_callback((), move |text: String, _| {
            dispatcher.dispatch(Action::Edit(text))
        })
    };
    let on_pick = {
        let dispatcher = state.dispatcher();
        use_callback((), move |slug: String, _| {
            dispatcher.dispatch(Action::PickPreset(slug))
        })
    };
    let on_command = {
        let dispatcher = state.dispatcher();
        use_callback((), move |c: PlayerCommand, _| {
            dispatcher.dispatch(match c {
                PlayerCommand::JumpStart => Action::JumpStart,
                PlayerCommand::Back => Action::Step(-1),
                PlayerCommand::TogglePlay => Action::TogglePlay,
                PlayerCommand::Forward => Action::Step(1),
                PlayerCommand::JumpEnd => Action::JumpEnd,
                PlayerCommand::Seek(n) => Action::Seek(n),
                PlayerCommand::Speed(i) => Action::SetSpeed(i),
            })
        })
    };
    let on_seek = {
        let dispatcher = state.dispatcher();
        use_callback((), move |seq: u64, _| {
            dispatcher.dispatch(Action::Seek(seq))
        })
    };
    let on_walk = {
        let dispatcher = state.dispatcher();
        use_callback((), move |to: Option<usize>, _| {
            dispatcher.dispatch(Action::Walk(to))
        })
    };
    // The diagram's rows compare it in their props.
    let on_select = {
        let dispatcher = state.dispatcher();
        use_callback((), move |seq: u64, _| {
            dispatcher.dispatch(Action::Select(seq))
        })
    };
    let on_diagram_scroll = {
        let dispatcher = state.dispatcher();
        use_callback((), move |w: Window, _| {
            dispatcher.dispatch(Action::DiagramScrolled(w))
        })
    };
    let on_table_scroll = {
        let dispatcher = state.dispatcher();
        use_callback((), move |w: Window, _| {
            dispatcher.dispatch(Action::TableScrolled(w))
        })
    };
    let on_help = {
        let dispatcher = state.dispatcher();
        use_callback((), move |_: MouseEvent, _| {
            dispatcher.dispatch(Action::ToggleHelp)
        })
    };

    // Derived values.
    let summary = state.summary.clone();
    let frame = state.frame.clone();
    let lifelines = use_memo(summary.clone(), |s| {
        s.as_ref().map(|s| s.lifelines.clone()).unwrap_or_default()
    });
    let lifelines_for_text = lifelines.clone();
    let markers = use_memo(summary.clone(), |s| {
        s.as_ref().map(|s| s.markers.clone()).unwrap_or_default()
    });
    let warnings = use_memo(summary.clone(), |s| {
        s.as_ref().map(|s| s.warnings.clone()).unwrap_or_default()
    });
    let queue = use_memo(frame.clone(), |f| {
        f.as_ref().map(|f| f.queue.clone()).unwrap_or_default()
    });
    let messages = use_memo(frame.clone(), |f| {
        f.as_ref().map(|f| f.messages.clone()).unwrap_or_default()
    });
    let status_rows = use_memo(frame.clone(), |f| {
        f.as_ref().map(|f| f.status.clone()).unwrap_or_default()
    });
    // The step the page shows is the frame's: a step or scrub paints nothing until the
    // worker's answer arrives, so the browser does not lay out and paint the step number
    // and scrubber in the way of handling that answer.
    let shown = frame.as_ref().map(|f| f.step).unwrap_or(0);
    let time = frame
        .as_ref()
        .map(|f| f.time.clone())
        .unwrap_or_else(|| "0.000s".into());
    let running = state.answered < state.text_version;
    let title = summary
        .as_ref()
        .map(|s| s.title.clone())
        .unwrap_or_default();
    // Effect: the document's title follows the scenario (a tab, a bookmark, a screen reader).
    use_effect_with(title.clone(), |title| {
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            doc.set_title(&if title.is_empty() {
                "Spoolscope: the MAPI message submission playground".to_string()
            } else {
                format!("{title} · Spoolscope")
            });
        }
    });
    // What a screen reader hears as the player moves: the step and the event on screen.
    let announce = match frame.as_ref().and_then(|f| f.current.as_ref()) {
        Some(ev) => {
            let who = match (ev.from.is_empty(), ev.target()) {
                (true, _) => String::new(),
                (false, None) => format!(" {}", ev.from),
                (false, Some(to)) => format!(" {} to {to}", ev.from),
            };
            // A return's label is its result alone: name the call it returns from.
            let what = if ev.method.is_empty() || ev.label.contains(&ev.method) {
                ev.label.clone()
            } else {
                format!("{} {}", ev.method, ev.label)
            };
            format!(
                "Step {shown} of {}, {}: {}{who}, {what}",
                state.total(),
                ev.time,
                ev.kind.as_str(),
            )
        }
        None if summary.is_some() => format!("Step 0 of {}, before the first event", state.total()),
        None => String::new(),
    };
    // Asked of the browser when the pick changes, not on every step's render.
    let dark = *use_memo(state.theme, |theme| shows_dark(*theme));
    let on_theme = {
        let dispatcher = state.dispatcher();
        use_callback(dark, move |_: MouseEvent, dark| {
            let theme = if *dark { Theme::Light } else { Theme::Dark };
            store(KEY_THEME, theme.as_str());
            dispatcher.dispatch(Action::SetTheme(theme))
        })
    };

    if state.embed {
        let panels = state.panels;
        let show = |p: Panel| panels.contains(p);
        let page = crate::share::page_address();
        let base = page.split('?').next().unwrap_or(&page).to_string();
        let mut open = format!("{base}#{}", *full_link);
        if !full_link.is_empty() {
            open.push_str(&format!("&step={shown}"));
            if let Some(seq) = state.selected {
                open.push_str(&format!("&sel={seq}"));
            }
        }
        let (low, high) = state.bounds();
        return html! {
            // A landmark and a heading of its own: an embed is a document in its frame.
            <main class="page embed" data-testid="embed">
                <p class="sr-only" aria-live="polite" aria-atomic="true" data-testid="announce">{announce}</p>
                <header class="embed-top">
                    <h1 class="scenario-title" data-testid="title">{title}</h1>
                    if state.range.is_some() {
                        <span class="tag" data-testid="range" title="This embed shows these steps only">
                            {format!("steps {low}–{high}")}
                        </span>
                    }
                    <a class="open-full" data-testid="open-full" href={open} target="_blank"
                        rel="noopener noreferrer">{"Open in Spoolscope ↗"}</a>
                </header>
                if let Some(n) = &state.notice {
                    if n.as_str() != crate::state::SHARED_NOTICE {
                        <p class="notice" role="status">{n.clone()}</p>
                    }
                }
                if let Some(d) = state.divergence.as_deref() {
                    {crate::components::divergence::divergence_notice(d, &on_seek)}
                }
                <Player step={shown} total={state.total()} playing={state.playing}
                    speed={state.speed} time={AttrValue::from(time)}
                    end_time={AttrValue::from(summary.as_ref().map(|s| s.end_time.clone()).unwrap_or_default())}
                    markers={markers} current={frame.as_ref().and_then(|f| f.current.clone())}
                    on_command={on_command} />
                if show(Panel::Diagram) {
                    <div class="diagram-and-details">
                        <Diagram lifelines={lifelines} frame={frame.clone()} follow={state.follow}
                            selected={state.selected} on_select={on_select}
                            on_scroll={on_diagram_scroll} />
                        if let Some(seq) = state.selected {
                            {crate::components::details::details_panel(seq, state.details.as_deref(), &on_close_details, &on_seek)}
                        }
                    </div>
                    {crate::components::transcript::transcript(&lifelines_for_text, frame.as_deref())}
                }
                if show(Panel::Recipients) {
                    <Recipients frame={frame.clone()}
                        rows={summary.as_ref().map(|s| s.table_rows).unwrap_or(0)}
                        recipients={summary.as_ref().map(|s| s.recipients).unwrap_or(0)}
                        on_scroll={on_table_scroll} />
                }
                if show(Panel::Queue) || show(Panel::Status) || show(Panel::Warnings) {
                    <div class="bottom">
                        if show(Panel::Queue) {
                            <Queue queue={queue} queue_total={frame.as_ref().map(|f| f.queue_total).unwrap_or(0)}
                                messages={messages} message_total={summary.as_ref().map(|s| s.messages).unwrap_or(0)} />
                        }
                        if show(Panel::Status) {
                            {crate::components::status::status_rows(&status_rows)}
                        }
                        if show(Panel::Warnings) {
                            {crate::components::warnings::warnings(&warnings, shown, &on_seek)}
                        }
                    </div>
                }
                if show(Panel::Editor) {
                    <Editor text={AttrValue::from(state.text.clone())} error={state.error.clone()}
                        running={running} modified={false} has_run={summary.is_some()} on_edit={on_edit}
                        on_share={on_share} readonly={true} />
                }
                if state.help {
                    <Help on_close={on_close_help} />
                }
            </main>
        };
    }

    html! {
        <div class="page">
            <header class="top">
                <h1>{"Spoolscope"}</h1>
                <span class="tagline">{"the MAPI spooler ↔ transport provider submission model, step by step"}</span>
                <span class="scenario-title" data-testid="title">{title}</span>
                <button type="button" class="theme-button" data-testid="theme" aria-pressed={dark.to_string()}
                    title="Dark theme (your pick is kept on this browser)" onclick={on_theme}>{"Dark theme"}</button>
                <button type="button" class="help-button" onclick={on_help} title="Keyboard shortcuts (?)"
                    aria-label="Help and keyboard shortcuts" aria-keyshortcuts="?" aria-haspopup="dialog">{"?"}</button>
            </header>
            // Playback's current step, for screen readers (updated as the player moves).
            <p class="sr-only" aria-live="polite" aria-atomic="true" data-testid="announce">{announce}</p>
            if let Some(n) = &state.notice {
                <p class="notice" role="status">{n.clone()}</p>
            }
            <PresetGallery current={AttrValue::from(state.preset.clone())} on_pick={on_pick} />
            <main class="work">
                <Editor text={AttrValue::from(state.text.clone())} error={state.error.clone()}
                    running={running} modified={state.modified} has_run={summary.is_some()} on_edit={on_edit}
                    on_share={on_share} />
                <div class="run">
                    if let Some(d) = state.divergence.as_deref() {
                        {crate::components::divergence::divergence_notice(d, &on_seek)}
                    }
                    // The description, unless the gallery's card of this very preset shows it.
                    if let Some(s) = summary.as_ref().filter(|s| !s.description.is_empty() && (state.modified || state.preset.is_empty())) {
                        <p class="about">{s.description.clone()}</p>
                    }
                    {crate::components::exports::exports(summary.is_some(), &on_snippet, &on_export)}
                    <Player step={shown} total={state.total()} playing={state.playing}
                        speed={state.speed} time={AttrValue::from(time)}
                        end_time={AttrValue::from(summary.as_ref().map(|s| s.end_time.clone()).unwrap_or_default())}
                        markers={markers} current={frame.as_ref().and_then(|f| f.current.clone())}
                        on_command={on_command} />
                    {crate::components::walk::walk(summary.as_ref().map(|s| s.walk.as_slice()).unwrap_or(&[]), state.walk, &on_walk)}
                    <div class="diagram-and-details">
                        <Diagram lifelines={lifelines} frame={frame.clone()} follow={state.follow}
                            selected={state.selected} on_select={on_select}
                            on_scroll={on_diagram_scroll} />
                        if let Some(seq) = state.selected {
                            {crate::components::details::details_panel(seq, state.details.as_deref(), &on_close_details, &on_seek)}
                        }
                    </div>
                    {crate::components::transcript::transcript(&lifelines_for_text, frame.as_deref())}
                </div>
            </main>
            <Recipients frame={frame.clone()}
                rows={summary.as_ref().map(|s| s.table_rows).unwrap_or(0)}
                recipients={summary.as_ref().map(|s| s.recipients).unwrap_or(0)}
                on_scroll={on_table_scroll} />
            <div class="bottom">
                <Queue queue={queue} queue_total={frame.as_ref().map(|f| f.queue_total).unwrap_or(0)}
                    messages={messages} message_total={summary.as_ref().map(|s| s.messages).unwrap_or(0)} />
                {crate::components::status::status_rows(&status_rows)}
                {crate::components::warnings::warnings(&warnings, shown, &on_seek)}
            </div>
            <footer class="foot">
                {"Step n shows the tables right after trace event n — the same as "}
                <code>{"spoolscope run FILE --format json"}</code>
                {". Press ? for shortcuts."}
            </footer>
            if state.help {
                <Help on_close={on_close_help} />
            }
        </div>
    }
}

/// Does what a command of the embedding page asks, or answers with an `error` event.
fn embed_command(
    command: Result<crate::embed::Command, String>,
    dispatcher: &UseReducerDispatcher<AppState>,
    origin: Option<&str>,
) {
    use crate::embed::{post, Command, Outgoing};
    let error = |message: &str| {
        let e = Outgoing::Error {
            message,
            line: None,
            col: None,
        };
        post(&e, None, origin);
    };
    match command {
        Err(why) => error(&why),
        Ok(Command::LoadText(text)) => dispatcher.dispatch(Action::OpenText(text)),
        Ok(Command::LoadLink(fragment)) => {
            let dispatcher = dispatcher.clone();
            let origin = origin.map(str::to_string);
            wasm_bindgen_futures::spawn_local(async move {
                let error = |message: &str| {
                    let e = Outgoing::Error {
                        message,
                        line: None,
                        col: None,
                    };
                    post(&e, None, origin.as_deref());
                };
                match crate::share::open(&fragment).await {
                    Ok(Some(opened)) => dispatcher.dispatch(Action::OpenShared(Ok(opened))),
                    Ok(None) => error("`load`: that link carries no scenario (`s=`)"),
                    Err(why) => {
                        error(&format!("`load`: the link cannot be opened: {why}"));
                        dispatcher.dispatch(Action::OpenShared(Err(why)));
                    }
                }
            });
        }
        Ok(Command::Seek(step)) => dispatcher.dispatch(Action::Seek(step)),
        Ok(Command::Play) => dispatcher.dispatch(Action::Play),
        Ok(Command::Pause) => dispatcher.dispatch(Action::Pause),
    }
}

/// localStorage, when the browser allows it (it may not: private modes, blocked cookies).
fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// A saved string (raw, not JSON).
fn stored(key: &str) -> Option<String> {
    local_storage()?.get_item(key).ok().flatten()
}

/// Saves a string; a full or unavailable storage only loses the saving.
fn store(key: &str, value: &str) {
    if let Some(s) = local_storage() {
        let _ = s.set_item(key, value);
    }
}

/// The action a key press stands for, if any.
fn shortcut(e: &KeyboardEvent) -> Option<Action> {
    if e.ctrl_key() || e.meta_key() || e.alt_key() {
        return None;
    }
    let key = e.key();
    if key == "Escape" {
        return Some(Action::Escape);
    }
    let target = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
    // While typing in the editor (or any text field) keys are text; a list box keeps its
    // arrows; inside a dialog its own keys apply.
    let typing = target.as_ref().is_some_and(|el| {
        let tag = el.tag_name();
        tag.eq_ignore_ascii_case("TEXTAREA")
            || tag.eq_ignore_ascii_case("SELECT")
            || (tag.eq_ignore_ascii_case("INPUT")
                && el.get_attribute("type").as_deref() != Some("range"))
            || el.get_attribute("contenteditable").is_some()
            || el.closest("dialog, [role=dialog]").ok().flatten().is_some()
    });
    if typing {
        return None;
    }
    // Space (and Enter) on a focused button or link presses it, never the page's play.
    let control = target.as_ref().is_some_and(|el| {
        el.closest("button, a[href], summary, [role=button]")
            .ok()
            .flatten()
            .is_some()
    });
    if control && matches!(key.as_str(), " " | "Spacebar") {
        return None;
    }
    match key.as_str() {
        " " | "Spacebar" => Some(Action::TogglePlay),
        "ArrowLeft" => Some(Action::Step(-1)),
        "ArrowRight" => Some(Action::Step(1)),
        "Home" => Some(Action::JumpStart),
        "End" => Some(Action::JumpEnd),
        "?" => Some(Action::ToggleHelp),
        _ => None,
    }
}
