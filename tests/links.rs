//! The link corpus (links §6): every `tests/links/*.link` file is a link someone could have
//! shared or embedded. Each must still open and replay, natively, to the trace hash it
//! recorded; every `tests/links/bad/*.link` must be refused with the reason its
//! `// expect:` line names.
//!
//! A `.link` file is comment lines (`// …`, what the link shows) and one line holding the
//! link. When the engine's behaviour changes on purpose, re-record with the reviewed command
//! `cargo run -q -p spoolscope-cli -- links record tests/links docs/book/src`, and read the
//! diff of the recorded lines (`t`) before committing it.

use std::path::{Path, PathBuf};

use spoolscope_cli::links::{self, Checked};
use spoolscope_contract::link;

fn files(dir: &str) -> Vec<(PathBuf, String)> {
    let dir = spoolscope_tests::workspace_dir().join(dir);
    let mut out: Vec<(PathBuf, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "link"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            (p, text)
        })
        .collect();
    out.sort();
    out
}

/// The fragment of a `.link` file (after the `#` of its link line) and its `// expect:`.
fn fragment(path: &Path, text: &str) -> (String, Option<String>) {
    let expect = text
        .lines()
        .find_map(|l| l.strip_prefix("// expect:"))
        .map(|s| s.trim().to_string());
    let line = text
        .lines()
        .find(|l| !l.starts_with("//") && !l.trim().is_empty())
        .unwrap_or_else(|| panic!("{}: no link line", path.display()));
    let fragment = line.split_once('#').map(|(_, f)| f).unwrap_or(line);
    (fragment.trim().to_string(), expect)
}

#[test]
fn every_saved_link_replays_to_its_recorded_hash() {
    let cases = files("tests/links");
    assert!(
        cases.len() >= 15,
        "only {} links in the corpus",
        cases.len()
    );
    let mut failures = Vec::new();
    let mut recorded = 0;
    for (path, text) in &cases {
        let (frag, _) = fragment(path, text);
        match links::check(&frag) {
            Ok(Checked::Same { .. }) => recorded += 1,
            Ok(Checked::Unrecorded) => {}
            Ok(Checked::Differs {
                recorded,
                now,
                first,
            }) => {
                let mut m = format!("{}: recorded {recorded}, now {now}", path.display());
                if let Some(d) = first {
                    let at = d
                        .step
                        .map_or("the final tables".into(), |s| format!("step {s}"));
                    m.push_str(&format!(
                        "\n  first difference at {at}\n  old: {}\n  new: {}",
                        d.old, d.new
                    ));
                }
                failures.push(m);
            }
            Err(e) => failures.push(format!("{}: {e}", path.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "links that no longer replay as recorded (if the engine changed on purpose: \
         cargo run -q -p spoolscope-cli -- links record tests/links docs/book/src):\n{}",
        failures.join("\n")
    );
    assert!(recorded >= 15, "only {recorded} links carry a trace hash");
}

#[test]
fn every_preset_has_a_saved_link() {
    let cases = files("tests/links");
    let texts: Vec<String> = cases
        .iter()
        .filter_map(|(p, t)| {
            let (frag, _) = fragment(p, t);
            links::decode(&frag).ok().flatten().map(|(_, text, _)| text)
        })
        .collect();
    for p in spoolscope_playground::presets::PRESETS {
        assert!(
            texts.iter().any(|t| t == p.text),
            "no link in tests/links opens the preset {:?}",
            p.slug
        );
    }
}

#[test]
fn every_bad_link_is_refused_for_its_reason() {
    let cases = files("tests/links/bad");
    assert!(cases.len() >= 8);
    for (path, text) in &cases {
        let (frag, expect) = fragment(path, text);
        let expect = expect.unwrap_or_else(|| panic!("{}: no // expect: line", path.display()));
        match links::check(&frag) {
            Err(e) => assert!(
                e.to_string().contains(&expect),
                "{}: refused with {e:?}, not for {expect:?}",
                path.display()
            ),
            Ok(c) => panic!("{}: accepted ({c:?})", path.display()),
        }
    }
}

#[test]
fn the_twenty_recipient_link_fits_a_chat_message() {
    let (path, text) = files("tests/links")
        .into_iter()
        .find(|(p, _)| p.ends_with("twenty-recipients.link"))
        .unwrap_or_else(|| panic!("tests/links/twenty-recipients.link is missing"));
    let line = text
        .lines()
        .find(|l| !l.starts_with("//"))
        .unwrap_or_default();
    let (frag, _) = fragment(&path, &text);
    let (f, scenario, recorded) = links::decode(&frag)
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("bad link"));
    assert_eq!(scenario.matches("address =").count(), 20);
    assert!(
        f.hash.is_some() && recorded.is_some(),
        "made with its hash and recorded trace"
    );
    println!("20-recipient link: {} characters", line.len());
    assert!(line.len() <= 2000, "{} characters", line.len());
    assert_eq!(link::FORMAT, f.format);
}

/// The book (links §5, §6): every chapter of `docs/book/src/SUMMARY.md` exists and embeds the
/// playground at least once; every embed is made from its marker's scenario file and view,
/// and replays to the hash it recorded. (The built book's HTML is checked again by
/// `spoolscope links check` in the test command, after `mdbook build`.)
#[test]
fn every_book_embed_is_current_and_replays_to_its_recorded_hash() {
    use spoolscope_cli::embeds;
    let src = spoolscope_tests::workspace_dir().join("docs/book/src");
    let summary = std::fs::read_to_string(src.join("SUMMARY.md")).expect("SUMMARY.md");
    let chapters: Vec<&str> = summary
        .lines()
        .filter_map(|l| l.split_once("](").and_then(|(_, r)| r.split_once(')')))
        .map(|(file, _)| file)
        .collect();
    assert!(chapters.len() >= 13, "{chapters:?}");
    let (mut embedded, mut problems) = (0, Vec::new());
    for chapter in &chapters {
        let path = src.join(chapter);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let markers = embeds::markers(&text);
        // The tool's own chapter and the model (the specification itself, included) are
        // reference; every other chapter teaches with an embed.
        if markers.is_empty() && !["using-spoolscope.md", "model.md"].contains(chapter) {
            problems.push(format!("{chapter}: no embedded playground"));
        }
        for (line, why) in embeds::stale(&path, &text) {
            problems.push(format!("{chapter}:{line}: {why}"));
        }
        for f in links::find(&text) {
            match links::check(&f.fragment) {
                Ok(Checked::Same { .. }) => embedded += 1,
                other => problems.push(format!("{chapter}:{}: {other:?}", f.line)),
            }
        }
        assert_eq!(
            markers.len(),
            text.matches("<iframe class=\"spoolscope\"").count(),
            "{chapter}: every embed has a marker"
        );
    }
    assert!(
        problems.is_empty(),
        "re-record with `cargo run -q -p spoolscope-cli -- links record docs/book/src`:\n{}",
        problems.join("\n")
    );
    assert!(
        embedded >= 8,
        "the book embeds the playground {embedded} times"
    );
}
