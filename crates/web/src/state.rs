//! The page's one store: [`AppState`], the [`Action`]s that change it, and the reducer.
//!
//! Data only, no HTML (STYLE §14). The reducer decides everything the page does in response
//! to the user, the worker and the play timer: which step is shown, which run is current,
//! when an error is shown. It never runs the engine: it records what to ask the worker, and
//! the effects in `app.rs` send those requests. It returns the same `Rc` when nothing changed,
//! so a no-op action does not re-render.

use std::rc::Rc;

use spoolscope_contract::link::{Panels, Theme, View};
use spoolscope_playground::presets;
use spoolscope_playground::protocol::{
    Details, Frame, FrameRequest, InputError, Summary, Window, ROW_HEIGHT,
};
use spoolscope_render::digest::{self, Divergence};
use yew::Reducible;

/// Player speeds, in steps per second.
pub const SPEEDS: &[(u32, &str)] = &[
    (1, "1 step/s"),
    (2, "2 steps/s"),
    (5, "5 steps/s"),
    (10, "10 steps/s"),
    (25, "25 steps/s"),
    (60, "60 steps/s"),
    (240, "240 steps/s"),
];

/// The speed the page starts with (index into [`SPEEDS`]).
pub const DEFAULT_SPEED: usize = 2;

/// Rows drawn above and below the visible part of a windowed view.
pub const OVERSCAN: u32 = 8;

/// Everything the page shows.
#[derive(Clone, Debug, PartialEq)]
pub struct AppState {
    /// The editor's text.
    pub text: String,
    /// Bumped on every change of `text`; the id of the run that text produces.
    pub text_version: u64,
    /// Run the text at once instead of after the typing pause (a preset was picked).
    pub load_now: bool,
    /// The preset the text came from (its slug), empty when none.
    pub preset: String,
    /// The text was edited since the preset was loaded.
    pub modified: bool,
    /// A one-line notice (e.g. an unknown preset in the address).
    pub notice: Option<String>,
    /// Save the text in localStorage. False while the text is a shared scenario the user has
    /// not edited, so that opening a link does not overwrite the scenario saved here.
    pub persist: bool,
    /// What the address's hash should say (`#preset=…`, `#s=…`, or `""` for none); `None`
    /// leaves the address as it is.
    pub hash: Option<String>,
    /// The last good run.
    pub summary: Option<Rc<Summary>>,
    /// The highest run id the worker has answered (with a run or an error).
    pub answered: u64,
    /// The error of the latest text, if it has one.
    pub error: Option<InputError>,
    /// 0..=total: after trace event `step`.
    pub step: u64,
    pub playing: bool,
    /// Index into [`SPEEDS`].
    pub speed: usize,
    /// The diagram keeps the current step in view.
    pub follow: bool,
    /// Rows wanted when not following.
    pub diagram_window: Window,
    pub table_window: Window,
    /// The last frame received for the current run.
    pub frame: Option<Rc<Frame>>,
    /// The event whose details are open.
    pub selected: Option<u64>,
    pub details: Option<Rc<Details>>,
    pub help: bool,
    /// The link the text came from, until the text is edited: where to put the player when
    /// its run loads, and what its run recorded (links §3).
    pub link: Option<Rc<LinkCheck>>,
    /// The link's run differs from what it recorded (links §3).
    pub divergence: Option<Rc<DivergenceView>>,
    /// `?embed=1`: the compact player (links §5).
    pub embed: bool,
    /// Light or dark, when the link or the reader chose one (links §1 `theme`).
    pub theme: Option<Theme>,
    /// Embed mode: the panels shown (links §1 `panels`).
    pub panels: Panels,
    /// Embed mode: the player is locked to these steps (links §1 `range`).
    pub range: Option<(u64, u64)>,
    /// The guided walk's current stop (index into the summary's `walk`), while it is open.
    pub walk: Option<usize>,
}

/// What a link opened with (links §1, §3).
#[derive(Clone, Debug, PartialEq)]
pub struct LinkCheck {
    /// The text version the link's scenario has.
    pub version: u64,
    pub view: View,
    pub hash: Option<String>,
    pub recorded: Option<String>,
    /// The view has been applied to the link's run.
    pub applied: bool,
}

/// A link whose run no longer matches what it recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DivergenceView {
    pub recorded_hash: String,
    pub hash: String,
    /// The first difference, when the link recorded its trace.
    pub first: Option<Divergence>,
}

/// The notice of a scenario opened from a share link.
pub const SHARED_NOTICE: &str =
    "Opened a shared scenario. The scenario saved in this browser is kept until you edit this one.";

/// What can happen.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// The user changed the editor's text.
    Edit(String),
    /// The user picked a preset from the gallery.
    PickPreset(String),
    /// The worker answered a load.
    Loaded(u64, Result<Summary, InputError>),
    /// The worker sent a frame.
    Frame(Frame),
    /// The worker sent the details of an event.
    Details(Option<Details>),
    Step(i64),
    Seek(u64),
    JumpStart,
    JumpEnd,
    TogglePlay,
    /// The play timer fired.
    Tick,
    SetSpeed(usize),
    /// The user clicked an arrow.
    Select(u64),
    CloseDetails,
    ToggleHelp,
    /// The help's close button, its backdrop or the browser's close request (Esc).
    CloseHelp,
    /// Escape: closes the help, else the details.
    Escape,
    /// The diagram was scrolled: the rows now visible.
    DiagramScrolled(Window),
    /// The recipient table was scrolled: the rows now visible.
    TableScrolled(Window),
    /// A share link was made for text version `.0`: its payload, and whether it is on the
    /// clipboard.
    Shared(u64, String, bool),
    /// No share link could be made, and why.
    ShareFailed(String),
    /// A share link was opened in the address bar of the open page: the link, or why it
    /// cannot be read.
    OpenShared(Result<Opened, String>),
    /// The worker's record of run `.0` (hash, newline, recorded lines; `None`: gone), asked
    /// for to check a link.
    Recorded(u64, Option<String>),
    /// The embedding page sent a scenario text (links §5 `load`).
    OpenText(String),
    /// The embedding page asked to play or pause (links §5).
    Play,
    Pause,
    /// The reader picked light or dark (the header's toggle).
    SetTheme(Theme),
    /// The guided walk goes to stop `i` (the player seeks to it and opens its details), or
    /// ends (`None`).
    Walk(Option<usize>),
}

pub use crate::share::Opened;

impl AppState {
    /// A text that replaces the editor's (a preset, a share link): it runs at once, unedited.
    fn open_text(&mut self, text: String, preset: String, persist: bool, notice: Option<String>) {
        self.text = text;
        self.text_version += 1;
        self.load_now = true;
        self.preset = preset;
        self.modified = false;
        self.persist = persist;
        self.notice = notice;
        self.playing = false;
        self.selected = None;
        self.details = None;
        self.link = None;
        self.divergence = None;
    }

    /// Opens a link's scenario (not saved here until edited), to be shown as the link says
    /// once it has run.
    pub fn open_link(&mut self, opened: Opened, notice: Option<String>) {
        let preset = presets::slug_of(&opened.text)
            .unwrap_or_default()
            .to_string();
        self.open_text(opened.text, preset, false, notice);
        if opened.view.theme.is_some() {
            self.theme = opened.view.theme;
        }
        // Embed options apply to the embed only (links §1); a new link resets them.
        self.panels = opened.view.panels.unwrap_or(Panels::EMBED_DEFAULT);
        self.range = opened.view.range;
        self.link = Some(Rc::new(LinkCheck {
            version: self.text_version,
            view: opened.view,
            hash: opened.hash,
            recorded: opened.recorded,
            applied: false,
        }));
    }

    /// The run whose record the page needs to check a link (after the link's view is on).
    pub fn record_wanted(&self) -> Option<u64> {
        let link = self.link.as_ref()?;
        (link.applied && link.hash.is_some() && self.run() == Some(link.version))
            .then_some(link.version)
    }

    /// The page as it opens: `text` from `preset` (or saved text), nothing run yet.
    pub fn new(text: String, preset: String, modified: bool, notice: Option<String>) -> AppState {
        AppState {
            text,
            text_version: 1,
            load_now: true,
            preset,
            modified,
            notice,
            persist: true,
            hash: None,
            summary: None,
            answered: 0,
            error: None,
            step: 0,
            playing: false,
            speed: DEFAULT_SPEED,
            follow: true,
            diagram_window: Window::new(0, 2 * OVERSCAN),
            table_window: Window::new(0, 2 * OVERSCAN),
            frame: None,
            selected: None,
            details: None,
            help: false,
            link: None,
            divergence: None,
            embed: false,
            theme: None,
            panels: Panels::EMBED_DEFAULT,
            range: None,
            walk: None,
        }
    }

    /// Goes to stop `i` of the guided walk: the player stops at its event, which is selected
    /// (its details open). `i` must be a stop of the current run.
    fn walk_to(&mut self, i: usize) {
        let Some(seq) = self
            .summary
            .as_ref()
            .and_then(|x| x.walk.get(i))
            .map(|w| w.seq)
        else {
            return;
        };
        self.walk = Some(i);
        self.playing = false;
        self.seek(seq);
        self.selected = Some(seq);
        self.details = None;
    }

    /// Number of steps of the current run.
    pub fn total(&self) -> u64 {
        self.summary.as_ref().map(|s| s.total).unwrap_or(0)
    }

    /// The run whose frames are shown.
    pub fn run(&self) -> Option<u64> {
        self.summary.as_ref().map(|s| s.run)
    }

    /// What to ask the worker for, given the step and the visible rows.
    pub fn frame_request(&self) -> Option<FrameRequest> {
        Some(FrameRequest {
            run: self.run()?,
            step: self.step,
            diagram: self.diagram_window,
            follow: self.follow,
            table: self.table_window,
        })
    }

    /// True when the page shows the latest text's run at the current step.
    pub fn ready(&self) -> bool {
        self.summary.is_some()
            && self.answered >= self.text_version
            && self
                .frame
                .as_ref()
                .is_some_and(|f| Some(f.run) == self.run() && f.step == self.step)
    }

    /// Milliseconds between two steps when playing.
    pub fn tick_ms(&self) -> u32 {
        let per_second = SPEEDS.get(self.speed).map(|s| s.0).unwrap_or(5).max(1);
        (1000 / per_second).max(4)
    }

    /// Play from the current step; from the end (of the run or the range), from the start.
    fn start_playing(&mut self) {
        let (low, high) = self.bounds();
        if self.playing && self.step >= high {
            self.seek(low);
        }
        self.follow = true;
    }

    /// The steps the player may show: the whole run, or the embed's `range` within it.
    pub fn bounds(&self) -> (u64, u64) {
        let total = self.total();
        match self.range {
            Some((a, b)) if self.embed => (a.min(total), b.min(total)),
            _ => (0, total),
        }
    }

    fn seek(&mut self, step: u64) {
        let (low, high) = self.bounds();
        self.step = step.clamp(low, high);
        self.follow = true;
    }
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::Edit(text) => {
                if text == s.text {
                    return self;
                }
                s.text = text;
                s.text_version += 1;
                s.load_now = false;
                s.modified = true;
                s.persist = true;
                // The text is no longer the link's: nothing to check or show.
                s.link = None;
                s.divergence = None;
                // A link or preset in the address no longer says what is on screen.
                s.hash = Some(String::new());
            }
            Action::PickPreset(slug) => {
                let Some(p) = presets::find(&slug) else {
                    s.notice = Some(format!("There is no preset called {slug:?}."));
                    return Rc::new(s);
                };
                s.hash = Some(format!("#preset={slug}"));
                s.open_text(p.text.to_string(), slug, true, None);
            }
            Action::Shared(version, payload, copied) => {
                if version != s.text_version {
                    return self; // the text changed meanwhile: that link is stale
                }
                s.hash = Some(format!("#{payload}"));
                s.notice = Some(if copied {
                    "Share link copied to the clipboard (it is in the address bar too).".to_string()
                } else {
                    "Share link made: copy it from the address bar.".to_string()
                });
            }
            Action::OpenShared(Ok(opened)) => {
                s.open_link(opened, Some(SHARED_NOTICE.to_string()));
            }
            Action::OpenShared(Err(reason)) => {
                s.notice = Some(format!(
                    "This share link cannot be opened: {reason}. The scenario on screen stays."
                ));
            }
            Action::Recorded(run, record) => {
                let Some(link) = s.link.clone().filter(|l| l.version == run) else {
                    return self;
                };
                let (Some(want), Some(record)) = (link.hash.clone(), record) else {
                    return self;
                };
                let (hash, lines) = record.split_once('\n').unwrap_or((&record, ""));
                // Checked once: the link's check is done whatever it found.
                s.link = Some(Rc::new(LinkCheck {
                    hash: None,
                    ..(*link).clone()
                }));
                if hash == want {
                    s.divergence = None;
                } else {
                    let first = link.recorded.as_deref().map(|old| {
                        let now: Vec<String> = lines.split('\n').map(str::to_string).collect();
                        digest::first_difference(old, &now, s.total() as usize).unwrap_or(
                            Divergence {
                                step: None,
                                old: String::new(),
                                new: String::new(),
                            },
                        )
                    });
                    s.divergence = Some(Rc::new(DivergenceView {
                        recorded_hash: want,
                        hash: hash.to_string(),
                        first,
                    }));
                }
            }
            Action::ShareFailed(reason) => {
                s.notice = Some(format!("No share link: {reason}."));
            }
            Action::Loaded(run, result) => {
                s.answered = s.answered.max(run);
                match result {
                    Ok(summary) => {
                        // Runs are answered in order; an older one is still better than none.
                        if s.run().is_some_and(|r| r > run) {
                            return Rc::new(s);
                        }
                        let was_at_end = s.summary.is_none() || s.step >= s.total();
                        let picked = s.load_now;
                        // The page's first run (not a link's, not an embed's) opens at step 0,
                        // where the diagram says to press ▶ or →: a newcomer watches the
                        // exchange happen instead of meeting its end.
                        let first_view = s.summary.is_none() && s.link.is_none() && !s.embed;
                        // The walk goes on through a run with the same stops (the worker
                        // taking over the page's opening run); any other run ends it.
                        let same_walk = s
                            .summary
                            .as_ref()
                            .is_some_and(|old| old.walk == summary.walk);
                        let walk = s.walk.filter(|_| same_walk);
                        s.summary = Some(Rc::new(summary));
                        if run == s.text_version {
                            s.error = None;
                        }
                        // A new preset opens at its end (the whole run); an edit keeps the
                        // step, so a changed return code redraws the same moment.
                        s.step = if first_view {
                            0
                        } else if picked || was_at_end {
                            s.total()
                        } else {
                            s.step.min(s.total())
                        };
                        s.follow = true;
                        s.selected = None;
                        s.details = None;
                        s.table_window = Window::new(0, s.table_window.count);
                        // The run of a link: the step, selection and speed it names.
                        if let Some(link) = s.link.clone().filter(|l| l.version == run) {
                            let total = s.total();
                            if let Some(step) = link.view.step {
                                s.step = step.min(total);
                            }
                            s.selected = link.view.selected.filter(|&seq| seq >= 1 && seq <= total);
                            if let Some(speed) = link.view.speed {
                                if let Some(i) = SPEEDS.iter().position(|x| x.0 == speed) {
                                    s.speed = i;
                                }
                            }
                            // An embed opens inside its range, at `step` or the range's start,
                            // and may play from there (links §1 `range`, `autoplay`).
                            if s.embed {
                                let (low, high) = s.bounds();
                                if link.view.step.is_none() && s.range.is_some() {
                                    s.step = low;
                                }
                                s.step = s.step.clamp(low, high);
                                s.playing = link.view.autoplay && s.step < high;
                            }
                            s.link = Some(Rc::new(LinkCheck {
                                applied: true,
                                ..(*link).clone()
                            }));
                        }
                        s.walk = None;
                        if let Some(i) = walk {
                            s.walk_to(i);
                        }
                    }
                    Err(e) => {
                        if run == s.text_version {
                            // A link whose text does not run: say what is wrong where the
                            // notice said it opened, and take the link out of the address so
                            // that a reload does not open it again (the text stays in the
                            // editor; the scenario saved in this browser stays saved).
                            if s.link.as_ref().is_some_and(|l| l.version == run) {
                                let shown = if s.summary.is_some() {
                                    "the last good run stays on screen"
                                } else {
                                    "there is no run to show"
                                };
                                s.notice = Some(format!(
                                    "This shared scenario does not run: line {}, column {}: {}. \
                                     Its text is in the editor to fix; {shown}, and the scenario \
                                     saved in this browser is kept.",
                                    e.line, e.col, e.message
                                ));
                                s.hash = Some(String::new());
                                s.link = None;
                            }
                            s.error = Some(e);
                        }
                    }
                }
            }
            Action::Frame(frame) => {
                if Some(frame.run) != s.run() {
                    return self;
                }
                s.frame = Some(Rc::new(frame));
            }
            Action::Details(details) => {
                let wanted = s.selected;
                match details {
                    Some(d) if Some(d.seq) == wanted && Some(d.run) == s.run() => {
                        s.details = Some(Rc::new(d));
                    }
                    _ => return self,
                }
            }
            Action::Step(delta) => {
                let step = if delta < 0 {
                    s.step.saturating_sub(delta.unsigned_abs())
                } else {
                    s.step.saturating_add(delta as u64)
                };
                s.playing = false;
                s.seek(step);
            }
            Action::Seek(step) => {
                s.playing = false;
                s.seek(step);
            }
            Action::JumpStart => {
                s.playing = false;
                s.seek(0);
            }
            Action::JumpEnd => {
                s.playing = false;
                s.seek(u64::MAX);
            }
            Action::TogglePlay => {
                if s.summary.is_none() {
                    return self;
                }
                s.playing = !s.playing;
                s.start_playing();
            }
            Action::Play => {
                if s.summary.is_none() || s.playing {
                    return self;
                }
                s.playing = true;
                s.start_playing();
            }
            Action::Pause => {
                if !s.playing {
                    return self;
                }
                s.playing = false;
            }
            Action::SetTheme(theme) => {
                if s.theme == Some(theme) {
                    return self;
                }
                s.theme = Some(theme);
            }
            Action::OpenText(text) => {
                let preset = presets::slug_of(&text).unwrap_or_default().to_string();
                s.open_text(text, preset, false, None);
                s.range = None;
            }
            Action::Tick => {
                if !s.playing {
                    return self;
                }
                let next = s.step + 1;
                s.seek(next);
                if s.step >= s.bounds().1 {
                    s.playing = false;
                }
            }
            Action::SetSpeed(i) => {
                if i >= SPEEDS.len() || i == s.speed {
                    return self;
                }
                s.speed = i;
            }
            Action::Select(seq) => {
                s.selected = Some(seq);
                s.details = None;
            }
            Action::Walk(to) => match to {
                Some(i) if s.summary.as_ref().is_some_and(|x| i < x.walk.len()) => s.walk_to(i),
                Some(_) => return self,
                None if s.walk.is_none() => return self,
                None => s.walk = None,
            },
            Action::CloseDetails => {
                if s.selected.is_none() {
                    return self;
                }
                s.selected = None;
                s.details = None;
            }
            Action::ToggleHelp => s.help = !s.help,
            Action::CloseHelp => {
                if !s.help {
                    return self;
                }
                s.help = false;
            }
            Action::Escape => {
                if s.help {
                    s.help = false;
                } else if s.selected.is_some() {
                    s.selected = None;
                    s.details = None;
                } else {
                    return self;
                }
            }
            Action::DiagramScrolled(visible) => {
                let covered = s
                    .frame
                    .as_ref()
                    .is_some_and(|f| covers(f.diagram_window, visible, f.diagram_rows));
                if covered {
                    return self;
                }
                s.follow = false;
                s.diagram_window = around(visible);
            }
            Action::TableScrolled(visible) => {
                let covered = s.frame.as_ref().is_some_and(|f| {
                    let rows = s.summary.as_ref().map(|x| x.table_rows).unwrap_or(0);
                    covers(f.table_window, visible, rows)
                });
                if covered {
                    return self;
                }
                s.table_window = around(visible);
            }
        }
        Rc::new(s)
    }
}

/// True when `window` (what the frame holds) contains the `visible` rows, counting rows past
/// the end of the content (`rows`) as covered.
fn covers(window: Window, visible: Window, rows: u32) -> bool {
    let end = visible.end().min(rows);
    let start = visible.start.min(end);
    window.covers(Window::new(start, end - start))
}

/// The window to ask for when `visible` rows are on screen: those plus [`OVERSCAN`] on each
/// side.
fn around(visible: Window) -> Window {
    let start = visible.start.saturating_sub(OVERSCAN);
    Window::new(start, visible.count + 2 * OVERSCAN)
}

/// The rows visible in a scrolled box of `height` pixels at `scroll_top`.
pub fn visible_rows(scroll_top: f64, height: f64) -> Window {
    let row = f64::from(ROW_HEIGHT);
    let start = (scroll_top.max(0.0) / row).floor() as u32;
    let count = (height.max(0.0) / row).ceil() as u32 + 1;
    Window::new(start, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(run: u64, total: u64) -> Summary {
        Summary {
            run,
            title: "t".into(),
            description: String::new(),
            lifelines: Vec::new(),
            total,
            diagram_rows: total as u32,
            table_rows: 3,
            recipients: 2,
            messages: 1,
            markers: Vec::new(),
            warnings: Vec::new(),
            end_time: "0.000s".into(),
            end_reason: "idle".into(),
            end_text: String::new(),
            walk: [3, 7]
                .into_iter()
                .map(|seq| spoolscope_playground::protocol::WalkStop {
                    seq,
                    title: format!("stop at {seq}"),
                    text: String::new(),
                })
                .collect(),
            cost: Default::default(),
        }
    }

    #[test]
    fn the_walk_seeks_to_each_stop_and_opens_it_and_a_new_run_ends_it() {
        let s = start().reduce(Action::Loaded(1, Ok(summary(1, 40))));
        let s = s.reduce(Action::TogglePlay);
        let s = s.reduce(Action::Walk(Some(1)));
        assert_eq!(
            (s.walk, s.step, s.selected, s.playing),
            (Some(1), 7, Some(7), false)
        );
        // No stop 2: nothing changes.
        let same = s.clone().reduce(Action::Walk(Some(2)));
        assert!(Rc::ptr_eq(&same, &s));
        // The same run again (the worker taking over): the walk stays at its stop.
        let s = s.reduce(Action::Loaded(2, Ok(summary(2, 40))));
        assert_eq!((s.walk, s.step, s.selected), (Some(1), 7, Some(7)));
        // An edit's run with other stops ends it.
        let s = s.reduce(Action::Edit("y".into()));
        let v = s.text_version;
        let mut other = summary(v, 40);
        other.walk.pop();
        let s = s.reduce(Action::Loaded(v, Ok(other)));
        assert_eq!(s.walk, None);
        let s = s.reduce(Action::Walk(Some(0)));
        assert_eq!((s.walk, s.step), (Some(0), 3));
        let s = s.reduce(Action::Walk(None));
        assert_eq!(s.walk, None);
        assert_eq!(s.step, 3, "ending the walk leaves the player where it is");
    }

    fn start() -> Rc<AppState> {
        Rc::new(AppState::new("x".into(), "seed".into(), false, None))
    }

    #[test]
    fn the_page_opens_at_step_0_a_preset_at_its_end_and_an_edit_keeps_the_step() {
        // The first view: step 0, where the diagram says to press ▶.
        let s = start().reduce(Action::Loaded(1, Ok(summary(1, 40))));
        assert_eq!(s.step, 0);
        // A preset picked later opens at its end.
        let s = s.reduce(Action::PickPreset("retries".into()));
        let v = s.text_version;
        let s = s.reduce(Action::Loaded(v, Ok(summary(v, 40))));
        assert_eq!(s.step, 40);
        // An embed opens as its link says (here: at the end).
        let mut e = AppState::new("x".into(), "seed".into(), false, None);
        e.embed = true;
        assert_eq!(
            Rc::new(e)
                .reduce(Action::Loaded(1, Ok(summary(1, 40))))
                .step,
            40
        );
        let s = s.reduce(Action::Seek(10));
        let s = s.reduce(Action::Edit("y".into()));
        let v = s.text_version;
        assert!(!s.ready());
        let s = s.reduce(Action::Loaded(v, Ok(summary(v, 30))));
        assert_eq!(s.step, 10);
        let s = s.reduce(Action::Seek(5));
        let s = s.reduce(Action::Edit("z".into()));
        let v = s.text_version;
        let s = s.reduce(Action::Loaded(v, Ok(summary(v, 3))));
        assert_eq!(s.step, 3);
    }

    #[test]
    fn an_error_keeps_the_last_good_run() {
        let s = start().reduce(Action::Loaded(1, Ok(summary(1, 40))));
        let s = s.reduce(Action::Edit("bad".into()));
        let err = InputError {
            line: 3,
            col: 1,
            message: "oops".into(),
        };
        let s = s.reduce(Action::Loaded(2, Err(err.clone())));
        assert_eq!(s.error, Some(err));
        assert_eq!(s.run(), Some(1));
        assert_eq!(s.total(), 40);
        // A stale error (an older text) is not shown.
        let s = s.reduce(Action::Edit("good".into()));
        let s = s.reduce(Action::Loaded(
            2,
            Err(InputError {
                line: 9,
                col: 9,
                message: "old".into(),
            }),
        ));
        assert_eq!(s.error.as_ref().map(|e| e.line), Some(3));
        let s = s.reduce(Action::Loaded(3, Ok(summary(3, 5))));
        assert_eq!(s.error, None);
    }

    #[test]
    fn the_player_clamps_and_stops_at_the_end() {
        let s = start().reduce(Action::Loaded(1, Ok(summary(1, 3))));
        let s = s.reduce(Action::JumpStart);
        assert_eq!(s.step, 0);
        let s = s.reduce(Action::Step(-1));
        assert_eq!(s.step, 0);
        let s = s.reduce(Action::TogglePlay);
        assert!(s.playing);
        let s = s
            .reduce(Action::Tick)
            .reduce(Action::Tick)
            .reduce(Action::Tick);
        assert_eq!(s.step, 3);
        assert!(!s.playing);
        // Play at the end restarts.
        let s = s.reduce(Action::TogglePlay);
        assert_eq!(s.step, 0);
        assert!(s.playing);
        let s = s.reduce(Action::Seek(99));
        assert_eq!(s.step, 3);
        assert!(!s.playing);
    }

    #[test]
    fn no_op_actions_return_the_same_state() {
        let s = start();
        let same = s.clone().reduce(Action::Tick);
        assert!(Rc::ptr_eq(&s, &same));
        let same = s.clone().reduce(Action::CloseDetails);
        assert!(Rc::ptr_eq(&s, &same));
        let same = s.clone().reduce(Action::Edit("x".into()));
        assert!(Rc::ptr_eq(&s, &same));
    }

    #[test]
    fn unknown_presets_are_a_notice() {
        let s = start().reduce(Action::PickPreset("nope".into()));
        assert!(s.notice.is_some());
        assert_eq!(s.text, "x");
    }

    #[test]
    fn escape_closes_help_then_details() {
        let s = start().reduce(Action::Select(4)).reduce(Action::ToggleHelp);
        let s = s.reduce(Action::Escape);
        assert!(!s.help && s.selected == Some(4));
        let s = s.reduce(Action::Escape);
        assert_eq!(s.selected, None);
    }

    #[test]
    fn visible_rows_and_coverage() {
        let v = visible_rows(260.0, 130.0);
        assert_eq!(v, Window::new(10, 6));
        assert!(covers(Window::new(0, 20), v, 100));
        assert!(!covers(Window::new(12, 20), v, 100));
        // Past the end of the content counts as covered.
        assert!(covers(Window::new(0, 12), Window::new(8, 10), 12));
        assert_eq!(around(v), Window::new(10 - OVERSCAN, 6 + 2 * OVERSCAN));
        // Near the top the window starts at row 0.
        assert_eq!(around(Window::new(3, 6)).start, 0);
    }

    #[test]
    fn share_links_follow_the_text_and_do_not_overwrite_what_is_saved() {
        let s = start();
        assert!(s.persist);
        assert_eq!(s.hash, None, "opening the page leaves the address alone");
        // A link made for version 1 lands after an edit: it is stale and ignored.
        let edited = s.clone().reduce(Action::Edit("y".into()));
        assert_eq!(
            edited.hash.as_deref(),
            Some(""),
            "an edit clears a link or preset hash"
        );
        let stale = edited
            .clone()
            .reduce(Action::Shared(1, "AAAA".into(), true));
        assert_eq!(stale.hash.as_deref(), Some(""));
        let shared = edited.reduce(Action::Shared(2, "v=2&s=AAAA".into(), false));
        assert_eq!(shared.hash.as_deref(), Some("#v=2&s=AAAA"));
        assert!(shared
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("address bar")));
        // Opening a link: the text runs at once and is not saved until edited.
        let seed = presets::find(presets::DEFAULT_PRESET)
            .unwrap()
            .text
            .to_string();
        let opened = shared.reduce(Action::OpenShared(Ok(opened(&seed, View::default()))));
        assert!(!opened.persist && opened.load_now && !opened.modified);
        assert_eq!(
            opened.preset,
            presets::DEFAULT_PRESET,
            "a preset's text is recognised"
        );
        let edited = opened.reduce(Action::Edit("z".into()));
        assert!(edited.persist);
        // A bad link keeps the text on screen.
        let kept = edited.reduce(Action::OpenShared(Err("it is not base64url".into())));
        assert_eq!(kept.text, "z");
        assert!(kept
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("not base64url")));
    }

    fn opened(text: &str, view: View) -> Opened {
        Opened {
            text: text.to_string(),
            format: 2,
            hash: Some("0123456789ab".into()),
            recorded: Some("line 1\nline 2\nline 3".into()),
            view,
        }
    }

    #[test]
    fn a_link_puts_the_player_where_it_says_once_and_checks_its_record() {
        let view = View {
            step: Some(12),
            selected: Some(7),
            speed: Some(60),
            ..View::default()
        };
        let s = start().reduce(Action::OpenShared(Ok(opened("link text", view))));
        assert_eq!(s.record_wanted(), None, "nothing to check before its run");
        let s = s.reduce(Action::Loaded(2, Ok(summary(2, 40))));
        assert_eq!((s.step, s.selected), (12, Some(7)));
        assert_eq!(SPEEDS[s.speed].0, 60);
        assert_eq!(s.record_wanted(), Some(2));
        // The same record: no divergence, and the check is done.
        let same = s.clone().reduce(Action::Recorded(
            2,
            Some("0123456789ab\nline 1\nline 2\nline 3".into()),
        ));
        assert_eq!(same.divergence, None);
        assert_eq!(same.record_wanted(), None);
        // A different run: the first differing line, old beside new.
        let differs = s.clone().reduce(Action::Recorded(
            2,
            Some("ba9876543210\nline 1\nline two\nline 3".into()),
        ));
        let d = differs.divergence.as_ref().unwrap();
        assert_eq!(d.recorded_hash, "0123456789ab");
        let first = d.first.as_ref().unwrap();
        assert_eq!(
            (first.step, first.old.as_str(), first.new.as_str()),
            (Some(2), "line 2", "line two")
        );
        // An edit: the text is no longer the link's.
        let edited = differs.reduce(Action::Edit("mine".into()));
        assert_eq!(
            (edited.link.clone(), edited.divergence.clone()),
            (None, None)
        );
        // A step past the run's end is clamped, a selection past it dropped.
        let far = View {
            step: Some(999),
            selected: Some(999),
            ..View::default()
        };
        let s = start()
            .reduce(Action::OpenShared(Ok(opened("t", far))))
            .reduce(Action::Loaded(2, Ok(summary(2, 5))));
        assert_eq!((s.step, s.selected), (5, None));
    }

    #[test]
    fn an_embed_keeps_to_its_range_and_autoplays_within_it() {
        use spoolscope_contract::link::Panel;
        let view = View {
            range: Some((10, 20)),
            autoplay: true,
            panels: Some(Panels::of(&[Panel::Diagram, Panel::Status])),
            ..View::default()
        };
        let mut embed = (*start()).clone();
        embed.embed = true;
        let s = Rc::new(embed)
            .reduce(Action::OpenShared(Ok(opened("e", view.clone()))))
            .reduce(Action::Loaded(2, Ok(summary(2, 40))));
        // No step given: the range's start, playing.
        assert_eq!((s.step, s.playing), (10, true));
        assert_eq!(s.bounds(), (10, 20));
        assert!(s.panels.contains(Panel::Status) && !s.panels.contains(Panel::Recipients));
        // Ticks stop at the range's end; nothing moves past it.
        let mut t = s.clone();
        for _ in 0..30 {
            t = t.reduce(Action::Tick);
        }
        assert_eq!((t.step, t.playing), (20, false));
        let t = t.reduce(Action::Step(5)).reduce(Action::JumpEnd);
        assert_eq!(t.step, 20);
        let t = t.reduce(Action::Seek(3)).reduce(Action::JumpStart);
        assert_eq!(t.step, 10);
        // Play from the range's end starts at its start; pause stops; play twice is one.
        let t = t.reduce(Action::Seek(20)).reduce(Action::Play);
        assert_eq!((t.step, t.playing), (10, true));
        let paused = t.clone().reduce(Action::Pause);
        assert!(!paused.playing);
        assert!(Rc::ptr_eq(&t.clone().reduce(Action::Play), &t));
        // A step inside the range is kept; autoplay off stays still.
        let inside = View {
            step: Some(15),
            autoplay: false,
            ..view.clone()
        };
        let mut embed = (*start()).clone();
        embed.embed = true;
        let s = Rc::new(embed)
            .reduce(Action::OpenShared(Ok(opened("e", inside))))
            .reduce(Action::Loaded(2, Ok(summary(2, 40))));
        assert_eq!((s.step, s.playing), (15, false));
        // A range beyond a short run ends with it.
        let mut embed = (*start()).clone();
        embed.embed = true;
        let s = Rc::new(embed)
            .reduce(Action::OpenShared(Ok(opened("e", view.clone()))))
            .reduce(Action::Loaded(2, Ok(summary(2, 12))));
        assert_eq!(s.bounds(), (10, 12));
        // The playground itself ignores embed options.
        let s = start()
            .reduce(Action::OpenShared(Ok(opened("e", view))))
            .reduce(Action::Loaded(2, Ok(summary(2, 40))));
        assert_eq!((s.bounds(), s.playing), ((0, 40), false));
        // A text from the embedding page runs unsaved, unlocked.
        let s = s.reduce(Action::OpenText("from the host".into()));
        assert_eq!(
            (s.text.as_str(), s.persist, s.range),
            ("from the host", false, None)
        );
    }
}
