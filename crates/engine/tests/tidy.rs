//! Tidy checks (after rust-analyzer's `tidy.rs`): every `model §N` or `contract §N` cited in
//! the code names a section that exists in the spec, and every MODEL question cited
//! (`§14 QN`) exists; the vendored spec in `docs/spec` matches `../shared/spec` when present.

use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name()
                .is_some_and(|n| n == "target" || n == "node_modules")
            {
                continue;
            }
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Section numbers ("3", "3.7", "12.3") that have a heading in a markdown spec.
fn sections(spec: &str) -> Vec<String> {
    spec.lines()
        .filter(|l| l.starts_with('#'))
        .filter_map(|l| {
            let rest = l.trim_start_matches('#').trim();
            let num: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let num = num.trim_end_matches('.').to_string();
            (!num.is_empty()).then_some(num)
        })
        .collect()
}

/// Every `<prefix> §X.Y` in `text`, with the position for the message.
fn citations(text: &str, prefix: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let pat = format!("{prefix} §");
    for (ln, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(i) = rest.find(&pat) {
            rest = &rest[i + pat.len()..];
            let num: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let num = num.trim_end_matches('.').to_string();
            if !num.is_empty() {
                out.push((ln + 1, num));
            }
        }
    }
    out
}

#[test]
fn cited_model_and_contract_sections_exist() {
    let model = fs::read_to_string(root().join("docs/spec/mapi-transport-model.md"))
        .expect("vendored model spec");
    let contract = fs::read_to_string(root().join("docs/spec/scenario-and-trace.md"))
        .expect("vendored contract");
    let model_secs = sections(&model);
    let contract_secs = sections(&contract);
    let mut files = Vec::new();
    rust_files(&root().join("crates"), &mut files);
    rust_files(&root().join("tests"), &mut files);
    assert!(files.len() > 5, "found too few Rust files: {files:?}");
    let mut bad = Vec::new();
    let mut count = 0;
    for f in &files {
        let text = fs::read_to_string(f).unwrap_or_default();
        for (ln, num) in citations(&text, "model") {
            count += 1;
            if !model_secs.contains(&num) {
                bad.push(format!("{}:{ln}: model §{num}", f.display()));
            }
        }
        for (ln, num) in citations(&text, "contract") {
            count += 1;
            if !contract_secs.contains(&num) {
                bad.push(format!("{}:{ln}: contract §{num}", f.display()));
            }
        }
        // MODEL questions: "§14 Q7" must exist as "**Q7 –" in the model.
        for (ln, line) in text.lines().enumerate() {
            let mut rest = line;
            while let Some(i) = rest.find("§14 Q") {
                rest = &rest[i + 5..];
                let q: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
                if !q.is_empty() && !model.contains(&format!("**Q{q} –")) {
                    bad.push(format!("{}:{}: §14 Q{q}", f.display(), ln + 1));
                }
            }
        }
    }
    assert!(
        count > 50,
        "expected many spec citations in the code, found {count}"
    );
    assert!(
        bad.is_empty(),
        "citations of sections that do not exist:\n{}",
        bad.join("\n")
    );
}

#[test]
fn vendored_spec_matches_shared_when_present() {
    for name in ["mapi-transport-model.md", "scenario-and-trace.md"] {
        let shared = root().join("../shared/spec").join(name);
        let Ok(theirs) = fs::read_to_string(&shared) else {
            continue;
        };
        let ours = fs::read_to_string(root().join("docs/spec").join(name)).expect("vendored copy");
        assert!(
            ours == theirs,
            "docs/spec/{name} differs from {}; copy the new version",
            shared.display()
        );
    }
}

#[test]
fn citation_scanner_finds_sections() {
    let c = citations(
        "// model §9.2: park; model §14 Q7 and contract §4.",
        "model",
    );
    assert_eq!(c, vec![(1, "9.2".to_string()), (1, "14".to_string())]);
    assert!(sections("## 9. Deferral\n### 9.2 Transport deferral\n").contains(&"9.2".to_string()));
}
