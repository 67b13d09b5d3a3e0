//! The book's embeds (links §5, §6): a marker comment names a scenario file, a view and a
//! title; the line after it is the iframe made from them. `spoolscope links record` rewrites
//! each iframe from its marker, and `spoolscope links check` fails when an iframe no longer
//! carries its scenario file's text or its marker's view.
//!
//! ```text
//! <!-- spoolscope: submit-offered | step=29&sel=29 | SubmitMessage to smtp -->
//! <iframe class="spoolscope" src="../?embed=1#v=2&amp;s=…" width="800" height="500" …></iframe>
//! ```
//!
//! The scenario `submit-offered` is the file `scenarios/submit-offered.toml` in the nearest
//! folder above the markdown file that has one (`docs/book/scenarios/`).

use std::path::{Path, PathBuf};

use spoolscope_contract::link::{self, View};

use crate::links;

/// One marker: `<!-- spoolscope: NAME | VIEW | TITLE -->`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marker {
    /// 1-based line of the marker.
    pub line: usize,
    pub name: String,
    pub view: String,
    pub title: String,
}

const OPEN: &str = "<!-- spoolscope:";

/// Every marker in `text`.
pub fn markers(text: &str) -> Vec<Marker> {
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let body = l.trim().strip_prefix(OPEN)?.strip_suffix("-->")?;
            let mut parts = body.splitn(3, '|').map(str::trim);
            let name = parts.next()?.to_string();
            let view = parts.next().unwrap_or("").to_string();
            let title = parts.next().unwrap_or("").to_string();
            Some(Marker {
                line: i + 1,
                name,
                view,
                title,
            })
        })
        .collect()
}

/// View options in link syntax (`step=12&sel=7`), read by the link parser itself.
pub fn view_of(view: &str) -> Result<View, String> {
    if view.is_empty() {
        return Ok(View::default());
    }
    let probe = format!("v=2&s=AQ&{view}");
    match link::parse(&probe) {
        Ok(Some(f)) if f.hash.is_none() && f.recorded.is_none() => Ok(f.view),
        Ok(_) => Err(
            "view options only (step, sel, speed, theme, panels, range, autoplay, origin)".into(),
        ),
        Err(e) => Err(e.to_string()),
    }
}

/// The iframe for a scenario text, view and title (links §5: 800×500, `../` is the
/// playground beside the book).
pub fn iframe(text: &str, view: &View, title: &str) -> Result<String, String> {
    let fragment = links::make(text, view).map_err(|e| e.to_string())?;
    Ok(format!(
        "<iframe class=\"spoolscope\" src=\"../?embed=1#{}\" width=\"800\" height=\"500\" title=\"Spoolscope: {}\" loading=\"lazy\"></iframe>",
        fragment.replace('&', "&amp;"),
        escape(title)
    ))
}

/// The scenario file a marker in `file` names.
pub fn scenario_path(file: &Path, name: &str) -> Option<PathBuf> {
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        return None;
    }
    file.ancestors()
        .skip(1)
        .map(|d| d.join("scenarios").join(format!("{name}.toml")))
        .find(|p| p.is_file())
}

/// An embed that is out of date or cannot be made, at its marker's line.
pub type Problem = (usize, String);

/// `text` (the markdown file `file`) with the line after every marker replaced by its
/// iframe, made now.
pub fn refresh(file: &Path, text: &str) -> Result<String, Problem> {
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    for m in markers(text) {
        let made = made(file, &m)?;
        match lines.get_mut(m.line) {
            Some(next) if next.trim_start().starts_with("<iframe") => *next = made,
            _ => lines.insert(m.line, made),
        }
    }
    Ok(lines.join("\n"))
}

/// What is wrong with the embeds of `text`: a marker without its iframe, or an iframe whose
/// scenario or view is not the marker's.
pub fn stale(file: &Path, text: &str) -> Vec<Problem> {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out = Vec::new();
    for m in markers(text) {
        let problem = |why: &str| (m.line, format!("the embed `{}` {why}", m.name));
        let Some(next) = lines
            .get(m.line)
            .filter(|l| l.trim_start().starts_with("<iframe"))
        else {
            out.push(problem(
                "has no iframe after its marker (run `spoolscope links record`)",
            ));
            continue;
        };
        let Some(path) = scenario_path(file, &m.name) else {
            out.push(problem("names no file scenarios/NAME.toml above this file"));
            continue;
        };
        let Ok(want) = std::fs::read_to_string(&path) else {
            out.push(problem("names a scenario file that cannot be read"));
            continue;
        };
        let Ok(view) = view_of(&m.view) else {
            out.push(problem("has view options that are not a link's"));
            continue;
        };
        let found = links::find(next);
        let Some(Ok(Some((f, got, _)))) = found.first().map(|f| links::decode(&f.fragment)) else {
            out.push(problem("has an iframe without a link that opens"));
            continue;
        };
        if got != want {
            out.push(problem(&format!(
                "carries another text than {} (run `spoolscope links record`)",
                path.display()
            )));
        } else if f.view != view {
            out.push(problem(
                "carries other view options than its marker (run `spoolscope links record`)",
            ));
        }
    }
    out
}

fn made(file: &Path, m: &Marker) -> Result<String, Problem> {
    let at = |why: String| (m.line, format!("the embed `{}`: {why}", m.name));
    let path = scenario_path(file, &m.name)
        .ok_or_else(|| at("no file scenarios/NAME.toml above this file".into()))?;
    let text =
        std::fs::read_to_string(&path).map_err(|e| at(format!("{}: {e}", path.display())))?;
    let view = view_of(&m.view).map_err(at)?;
    iframe(&text, &view, &m.title).map_err(|e| at(format!("{}: {e}", path.display())))
}

/// Text for an HTML attribute value.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCENARIO: &str = r#"version = 1

[[transport]]
name = "smtp"
address_types = ["SMTP"]
script = '''
fn submit_message(msg) { for r in msg.recipients { accept(r); } S_OK }
'''

[[message]]
id = "m1"
recipients = [{ name = "A", address = "a@example.com", type = "SMTP" }]
"#;

    fn book() -> (PathBuf, PathBuf) {
        let dir = std::env::temp_dir().join(format!("spoolscope-embeds-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::create_dir_all(dir.join("scenarios")).unwrap();
        std::fs::write(dir.join("scenarios/one.toml"), SCENARIO).unwrap();
        (dir.clone(), dir.join("src/chapter.md"))
    }

    #[test]
    fn markers_make_iframes_that_check_and_go_stale_when_the_file_changes() {
        let (dir, md) = book();
        let text = "# A chapter\n\n<!-- spoolscope: one | step=3&sel=2 | One <b>recipient</b> -->\n\nAfter.\n";
        // No iframe yet: stale, and refresh inserts one.
        assert_eq!(stale(&md, text).len(), 1);
        let done = refresh(&md, text).unwrap();
        assert!(stale(&md, &done).is_empty(), "{:?}", stale(&md, &done));
        let line = done.lines().nth(3).unwrap();
        assert!(line.starts_with("<iframe class=\"spoolscope\" src=\"../?embed=1#v=2&amp;s="));
        assert!(line.contains("&amp;step=3&amp;sel=2"), "{line}");
        assert!(line.contains("title=\"Spoolscope: One &lt;b&gt;recipient&lt;/b&gt;\""));
        // Refreshing again changes nothing; the link replays to its hash.
        assert_eq!(refresh(&md, &done).unwrap(), done);
        let f = &links::find(line)[0];
        assert!(matches!(
            links::check(&f.fragment),
            Ok(links::Checked::Same { .. })
        ));
        // The scenario file changes: the iframe is stale until re-recorded.
        std::fs::write(dir.join("scenarios/one.toml"), SCENARIO.replace("a@", "b@")).unwrap();
        let problems = stale(&md, &done);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].0, 3);
        assert!(problems[0].1.contains("another text"), "{problems:?}");
        // So does a marker whose view changed.
        std::fs::write(dir.join("scenarios/one.toml"), SCENARIO).unwrap();
        let moved = done.replace("step=3&sel=2 |", "step=4 |");
        assert!(stale(&md, &moved)[0].1.contains("other view options"));
        // Names that leave the scenarios folder are refused.
        assert!(scenario_path(&md, "../src/chapter").is_none());
        let _ = std::fs::remove_dir_all(dir);
    }
}
