//! The preset scenarios of the gallery (`web/presets/*.toml`), embedded in the build.
//!
//! Each preset's explanation is its scenario `description`, so the card and the run say the
//! same thing. The UI reads title and description with [`header`], a line scan of the
//! file's top-level `title = "…"` and `description = "…"` (basic strings on one line), so that
//! it needs no TOML parser; a test checks the scan against the real parser for every preset.

/// One preset: its slug (the file stem, used in test ids and `#preset=` links) and its text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Preset {
    pub slug: &'static str,
    pub text: &'static str,
}

macro_rules! presets {
    ($($slug:literal),* $(,)?) => {
        /// Every preset, in gallery order.
        pub const PRESETS: &[Preset] = &[
            $(Preset {
                slug: $slug,
                text: include_str!(concat!("../../../web/presets/", $slug, ".toml")),
            }),*
        ];
    };
}

presets!(
    "seed",
    "ndr-statusrecips",
    "dr-on-request",
    "retries",
    "not-me-routing",
    "no-transport",
    "resend-later",
    "two-pass-deferral",
    "cancel-during-submit",
    "persona-unclaimed",
    "load-10k",
);

/// The preset the page opens with.
pub const DEFAULT_PRESET: &str = "seed";

/// Presets too big to run on the page's thread (see [`runs_on_page`]).
const HEAVY: &[&str] = &["load-10k"];

/// True when `text` is exactly a built-in preset small enough for the page to run itself
/// (a few milliseconds) while its worker starts. Anything a user wrote, saved or was sent runs
/// in the worker only.
pub fn runs_on_page(text: &str) -> bool {
    slug_of(text).is_some_and(|slug| !HEAVY.contains(&slug))
}

/// The slug of the preset whose text is exactly `text`, if any.
pub fn slug_of(text: &str) -> Option<&'static str> {
    PRESETS.iter().find(|p| p.text == text).map(|p| p.slug)
}

/// The preset called `slug`.
pub fn find(slug: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.slug == slug)
}

/// Title and description of a scenario text, read from its top-level `title = "…"` and
/// `description = "…"` lines (before the first table). Missing keys give empty strings.
pub fn header(text: &str) -> (String, String) {
    let mut title = String::new();
    let mut description = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            break;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let slot = match key.trim() {
            "title" => &mut title,
            "description" => &mut description,
            _ => continue,
        };
        if let Some(s) = basic_string(value.trim()) {
            *slot = s;
        }
    }
    (title, description)
}

/// The value of a one-line TOML basic string (`"…"`, with the common escapes), ignoring a
/// trailing comment.
fn basic_string(value: &str) -> Option<String> {
    let mut chars = value.strip_prefix('"')?.chars();
    let mut out = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                '"' => out.push('"'),
                '\\' => out.push('\\'),
                other => {
                    out.push('\\');
                    out.push(other);
                }
            },
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_unique_and_the_default_exists() {
        for (i, p) in PRESETS.iter().enumerate() {
            assert!(PRESETS[..i].iter().all(|q| q.slug != p.slug), "{}", p.slug);
        }
        assert!(find(DEFAULT_PRESET).is_some());
        assert!(find("nope").is_none());
    }

    #[test]
    fn only_unedited_small_presets_run_on_the_page() {
        assert!(runs_on_page(find(DEFAULT_PRESET).unwrap().text));
        assert!(!runs_on_page(find("load-10k").unwrap().text));
        let edited = format!("{} ", find(DEFAULT_PRESET).unwrap().text);
        assert!(!runs_on_page(&edited));
        assert!(!runs_on_page(""));
    }

    #[test]
    fn header_reads_basic_strings() {
        let (t, d) = header("version = 1\ntitle = \"A \\\"quoted\\\" one\" # c\ndescription = \"x\"\n[[transport]]\ntitle = \"no\"\n");
        assert_eq!(t, "A \"quoted\" one");
        assert_eq!(d, "x");
        assert_eq!(
            header("[spooler]\ntitle = \"late\""),
            (String::new(), String::new())
        );
    }

    #[test]
    fn every_preset_has_a_title_and_an_explanation() {
        for p in PRESETS {
            let (title, description) = header(p.text);
            assert!(!title.is_empty(), "{}", p.slug);
            assert!(!description.is_empty(), "{}", p.slug);
        }
    }

    #[test]
    fn the_seed_preset_is_the_seed_example() {
        let seed = find("seed").map(|p| p.text);
        assert_eq!(seed, Some(include_str!("../../../examples/seed.toml")));
    }
}
