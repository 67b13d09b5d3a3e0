//! Links on the command line (links §6): make a link for a scenario, and check or re-record
//! every link found in files (the link corpus `tests/links/`, the book's embeds).
//!
//! Natively the compressed parts are made and read with miniz_oxide; the page uses the
//! browser's (De)CompressionStream. Both are raw DEFLATE (links §2), and reading stops at
//! the 64 KiB limit, so a DEFLATE bomb costs nothing.

use std::fmt;

use miniz_oxide::inflate::{decompress_to_vec_with_limit, TINFLStatus};
use spoolscope_contract::link::{self, Fragment, LinkError, View, MAX_DECODED_BYTES};
use spoolscope_contract::trace::Trace;
use spoolscope_contract::{parse_scenario, Format, Pos};
use spoolscope_render::{digest, hash};

/// Raw DEFLATE of `text`, at the best compression.
pub fn deflate(text: &str) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec(text.as_bytes(), 10)
}

/// Inflates a compressed part (`key` names it in errors), at most [`MAX_DECODED_BYTES`].
pub fn inflate(bytes: &[u8], key: &'static str) -> Result<String, LinkError> {
    match decompress_to_vec_with_limit(bytes, MAX_DECODED_BYTES) {
        Ok(out) => link::text_of(out, key),
        Err(e) if e.status == TINFLStatus::HasMoreOutput => Err(LinkError::TooBig(key)),
        Err(_) => Err(LinkError::Damaged(key)),
    }
}

/// A scenario that does not run: where and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunError {
    pub pos: Pos,
    pub message: String,
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.pos.line, self.pos.col, self.message)
    }
}

/// Parses, compiles and runs a scenario text, as the playground does.
pub fn run_text(text: &str) -> Result<Trace, RunError> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let err = |pos: Pos, message: &str| RunError {
        pos,
        message: message.to_string(),
    };
    let scenario =
        parse_scenario(text, Format::detect(None, text)).map_err(|e| err(e.pos, &e.message))?;
    let transports =
        spoolscope_script::build_transports(&scenario).map_err(|e| err(e.pos, &e.message))?;
    let out = spoolscope_engine::run(&scenario, transports);
    match out.fault {
        Some(fault) => Err(err(fault.pos.unwrap_or(Pos::START), &fault.message)),
        None => Ok(out.trace),
    }
}

/// The hash and the compressed recorded trace of a run (the latter left out when it would
/// decode to more than the limit, links §3).
pub fn record_of(trace: &Trace) -> (String, Option<Vec<u8>>) {
    let recorded = digest::recorded(trace);
    let t = (recorded.len() <= MAX_DECODED_BYTES).then(|| deflate(&recorded));
    (hash::trace_hash(trace), t)
}

/// A format 2 fragment (without `#`) for `text`, run now and recorded with `view`.
pub fn make(text: &str, view: &View) -> Result<String, RunError> {
    let trace = run_text(text)?;
    let (h, t) = record_of(&trace);
    Ok(link::format(&deflate(text), Some(&h), t.as_deref(), view))
}

/// What checking one link found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Checked {
    /// The replay has the recorded hash.
    Same { hash: String },
    /// A format 1 link, or one made without a hash: it decodes and runs.
    Unrecorded,
    /// The replay differs from what was recorded.
    Differs {
        recorded: String,
        now: String,
        first: Option<digest::Divergence>,
    },
}

/// Why a link in a file fails its check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckError {
    Link(LinkError),
    Run(RunError),
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckError::Link(e) => write!(f, "the link cannot be opened: {e}"),
            CheckError::Run(e) => write!(f, "its scenario does not run: {e}"),
        }
    }
}

/// Decodes a fragment fully: the scenario text and the recorded lines.
pub fn decode(fragment: &str) -> Result<Option<(Fragment, String, Option<String>)>, LinkError> {
    let Some(f) = link::parse(fragment)? else {
        return Ok(None);
    };
    let text = inflate(&f.scenario, "s")?;
    let recorded = f.recorded.as_deref().map(|t| inflate(t, "t")).transpose()?;
    Ok(Some((f, text, recorded)))
}

/// Decodes, replays and compares one link fragment.
pub fn check(fragment: &str) -> Result<Checked, CheckError> {
    let Some((f, text, recorded)) = decode(fragment).map_err(CheckError::Link)? else {
        return Err(CheckError::Link(LinkError::Malformed(
            "it carries no scenario (`s=`)".to_string(),
        )));
    };
    let trace = run_text(&text).map_err(CheckError::Run)?;
    let Some(want) = f.hash else {
        return Ok(Checked::Unrecorded);
    };
    let now = hash::trace_hash(&trace);
    if now == want {
        return Ok(Checked::Same { hash: now });
    }
    let first = recorded.map(|r| {
        digest::first_difference(&r, &digest::lines(&trace), trace.events.len()).unwrap_or(
            digest::Divergence {
                step: None,
                old: "(the recorded lines are the same; a field they do not show differs)".into(),
                new: String::new(),
            },
        )
    });
    Ok(Checked::Differs {
        recorded: want,
        now,
        first,
    })
}

/// Re-records one fragment for the current engine: the same scenario and view, a new `h`
/// and `t`. Format 1 fragments are returned as they are (they record nothing).
pub fn rerecord(fragment: &str) -> Result<String, CheckError> {
    match link::parse(fragment) {
        Ok(Some(f)) if f.format >= 2 => {}
        Ok(_) => return Ok(fragment.to_string()),
        Err(e) => return Err(CheckError::Link(e)),
    }
    let Some((f, text, _)) = decode(fragment).map_err(CheckError::Link)? else {
        return Ok(fragment.to_string());
    };
    let trace = run_text(&text).map_err(CheckError::Run)?;
    let (h, t) = record_of(&trace);
    Ok(link::format(&f.scenario, Some(&h), t.as_deref(), &f.view))
}

/// Where a link fragment sits in a text: the byte range of the fragment after its `#`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub start: usize,
    pub end: usize,
    /// The fragment with HTML's `&amp;` read as `&`.
    pub fragment: String,
    /// 1-based line of the text it starts on.
    pub line: usize,
}

/// Every link fragment in `text` (after `#v=` or `#s=`), as written in markdown, HTML or a
/// plain file (`&amp;` is accepted for `&`).
pub fn find(text: &str) -> Vec<Found> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 3 <= bytes.len() {
        let at = &bytes[i..];
        let value_follows = at
            .get(3)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_');
        if (at.starts_with(b"#v=") || at.starts_with(b"#s=")) && value_follows {
            let start = i + 1;
            let mut end = start;
            while end < bytes.len()
                && (bytes[end].is_ascii_alphanumeric()
                    || matches!(
                        bytes[end],
                        b'-' | b'_' | b',' | b'.' | b'=' | b'&' | b':' | b'/' | b';'
                    ))
            {
                end += 1;
            }
            // A sentence's full stop or a `;` after the link is not part of it.
            while end > start && matches!(bytes[end - 1], b'.' | b',' | b';' | b':') {
                end -= 1;
            }
            let line = text[..i].matches('\n').count() + 1;
            out.push(Found {
                start,
                end,
                fragment: text[start..end].replace("&amp;", "&"),
                line,
            });
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

/// `text` with every link re-recorded (links §6 `spoolscope links record`); `&amp;` is kept
/// where the text used it. Errors name the line.
pub fn rerecord_text(text: &str) -> Result<String, (usize, CheckError)> {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for f in find(text) {
        let again = rerecord(&f.fragment).map_err(|e| (f.line, e))?;
        let html = text[f.start..f.end].contains("&amp;");
        out.push_str(&text[last..f.start]);
        out.push_str(&if html {
            again.replace('&', "&amp;")
        } else {
            again
        });
        last = f.end;
    }
    out.push_str(&text[last..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCENARIO: &str = "version = 1\ntitle = \"t\"\n[[transport]]\nname = \"smtp\"\naddress_types = [\"SMTP\"]\n[[message]]\nrecipients = [{ name = \"A\", address = \"a@x.example\", type = \"SMTP\" }]\n";

    #[test]
    fn a_made_link_checks_and_rerecords_to_itself() {
        let view = View {
            step: Some(3),
            ..View::default()
        };
        let frag = make(SCENARIO, &view).unwrap();
        assert!(matches!(check(&frag), Ok(Checked::Same { .. })));
        assert_eq!(rerecord(&frag).unwrap(), frag);
        let (f, text, recorded) = decode(&frag).unwrap().unwrap();
        assert_eq!(text, SCENARIO);
        assert_eq!(f.view, view);
        assert!(recorded.unwrap().lines().count() > 10);
    }

    #[test]
    fn a_changed_scenario_under_an_old_record_differs_at_its_step() {
        let frag = make(SCENARIO, &View::default()).unwrap();
        let f = link::parse(&frag).unwrap().unwrap();
        // The same record, over a scenario whose transport declines: the run changes.
        let other = SCENARIO.replace(
            "address_types = [\"SMTP\"]\n",
            "address_types = [\"SMTP\"]\nscript = '''\nfn submit_message(msg) { MAPI_E_NOT_ME }\n'''\n",
        );
        let forged = link::format(
            &deflate(&other),
            f.hash.as_deref(),
            f.recorded.as_deref(),
            &f.view,
        );
        match check(&forged) {
            Ok(Checked::Differs { first: Some(d), .. }) => {
                let step = d.step.unwrap();
                assert!(
                    d.old.contains("S_OK") || d.new.contains("MAPI_E_NOT_ME"),
                    "{d:?}"
                );
                assert!(step > 1);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bombs_and_damage_are_refused() {
        let bomb = deflate(&"a".repeat(MAX_DECODED_BYTES + 1));
        assert!(bomb.len() < 200, "a bomb is small");
        assert_eq!(inflate(&bomb, "s"), Err(LinkError::TooBig("s")));
        let mut damaged = deflate(SCENARIO);
        damaged.truncate(damaged.len() / 2);
        assert_eq!(inflate(&damaged, "s"), Err(LinkError::Damaged("s")));
        assert_eq!(
            inflate(&[0xff, 0xff, 0xff], "t"),
            Err(LinkError::Damaged("t"))
        );
    }

    #[test]
    fn links_are_found_in_markdown_and_html() {
        let frag = make(SCENARIO, &View::default()).unwrap();
        let html = frag.replace('&', "&amp;");
        let old = link::base64url_encode(&deflate(SCENARIO));
        let text = format!(
            "See <iframe src=\"../?embed=1#{html}\"></iframe>.\nOr [this](http://x/#{frag}).\nOld: #s={old}.\n#preset=seed"
        );
        let found = find(&text);
        assert_eq!(found.len(), 3);
        assert_eq!(found[0].fragment, frag);
        assert_eq!(found[1].fragment, frag);
        assert_eq!(
            (found[2].fragment.clone(), found[2].line),
            (format!("s={old}"), 3)
        );
        assert_eq!(check(&found[2].fragment), Ok(Checked::Unrecorded));
        // Re-recording keeps each spelling.
        assert_eq!(rerecord_text(&text).unwrap(), text);
    }
}
