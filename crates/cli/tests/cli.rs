//! End-to-end tests of the `spoolscope` binary: exit status and the one-line
//! `FILE:LINE:COL: message` on stderr for bad input (contract §5), and the three output
//! formats for a good scenario (contract §4).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Writes `contents` to a file of its own under cargo's scratch directory for these tests.
fn scenario_file(name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("spoolscope-cli-tests");
    std::fs::create_dir_all(&dir).expect("create the scratch directory");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write the scenario");
    path
}

fn spoolscope(args: &[&str], file: &Path) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_spoolscope"));
    cmd.args(args).arg(file);
    run_with_deadline(cmd)
}

/// Runs `cmd` to completion, failing the test instead of hanging if it takes more than a
/// minute (a script that never ends must become an error, contract §2).
fn run_with_deadline(mut cmd: Command) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the spoolscope binary");
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for spoolscope") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("spoolscope did not finish within 60 s: {cmd:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out.join().expect("read stdout"),
        stderr: err.join().expect("read stderr"),
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Asserts exit status 2 and a single stderr line `FILE:LINE:COL: message`; returns the
/// line and column.
fn assert_bad_input(out: &Output, file: &Path) -> (u32, u32) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(
        stdout(out).is_empty(),
        "nothing on stdout for bad input: {}",
        stdout(out)
    );
    assert_eq!(err.lines().count(), 1, "one line on stderr: {err:?}");
    let prefix = format!("{}:", file.display());
    let rest = err
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{err:?} does not start with {prefix:?}"));
    let mut parts = rest.splitn(3, ':');
    let line = parts.next().and_then(|l| l.parse().ok());
    let col = parts.next().and_then(|c| c.parse().ok());
    let message = parts.next().unwrap_or("");
    match (line, col) {
        (Some(line), Some(col)) if message.starts_with(' ') && message.trim().len() > 1 => {
            (line, col)
        }
        _ => panic!("not FILE:LINE:COL: message: {err:?}"),
    }
}

#[test]
fn unknown_key_is_reported_at_its_line() {
    let file = scenario_file(
        "unknown_key.toml",
        "version = 1\n[[transport]]\nname = \"smtp\"\nadress_types = [\"SMTP\"]\n",
    );
    for cmd in [&["run"][..], &["check"], &["run", "--format", "json"]] {
        let out = spoolscope(cmd, &file);
        let (line, _) = assert_bad_input(&out, &file);
        assert_eq!(line, 4, "{}", stderr(&out));
        assert!(
            stderr(&out).contains("adress_types"),
            "the key is named: {}",
            stderr(&out)
        );
    }
}

#[test]
fn toml_syntax_error_is_reported_at_its_line() {
    let file = scenario_file(
        "syntax.toml",
        "version = 1\ntitle = \"x\"\n[spooler\nuntil_s = 5\n",
    );
    let (line, _) = assert_bad_input(&spoolscope(&["run"], &file), &file);
    assert_eq!(line, 3);
}

#[test]
fn json_error_is_reported_at_its_line() {
    let file = scenario_file("bad.json", "{\"version\": 1,\n \"tittle\": \"x\"}\n");
    let out = spoolscope(&["check"], &file);
    let (line, _) = assert_bad_input(&out, &file);
    assert_eq!(line, 2);
    assert!(stderr(&out).contains("tittle"), "{}", stderr(&out));
}

#[test]
fn newer_version_is_refused() {
    let file = scenario_file("version.toml", "version = 2\n");
    let (line, col) = assert_bad_input(&spoolscope(&["run"], &file), &file);
    assert_eq!((line, col), (1, 11));
}

#[test]
fn missing_file_exits_2() {
    let file = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("spoolscope-cli-tests")
        .join("no-such-file.toml");
    for cmd in ["run", "check"] {
        let out = spoolscope(&[cmd], &file);
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert!(
            err.starts_with(&format!("{}: cannot read: ", file.display())),
            "{err:?}"
        );
        assert_eq!(err.lines().count(), 1, "{err:?}");
    }
}

#[test]
fn directory_exits_2() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let out = spoolscope(&["run"], dir);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with(&format!("{}: ", dir.display())),
        "{}",
        stderr(&out)
    );
}

#[test]
fn non_utf8_input_is_reported_at_the_bad_byte() {
    let file = scenario_file("latin1.toml", b"version = 1\ntitle = \"caf\xe9\"\n");
    let out = spoolscope(&["run"], &file);
    assert_eq!(assert_bad_input(&out, &file), (2, 13));
    assert!(stderr(&out).contains("UTF-8"), "{}", stderr(&out));
}

#[test]
fn bad_arguments_exit_2() {
    let file = scenario_file("args.toml", "version = 1\n");
    let out = spoolscope(&["run", "--format", "xml"], &file);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("xml"), "{}", stderr(&out));
    let out = Command::new(env!("CARGO_BIN_EXE_spoolscope"))
        .output()
        .expect("run spoolscope");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn script_compile_error_points_into_the_file() {
    // The script starts on line 5; its syntax error is on its second line.
    let file = scenario_file(
        "script_error.toml",
        "version = 1\n[[transport]]\nname = \"smtp\"\nscript = '''\nfn submit_message(msg) {\n    let = 3;\n}\n'''\n",
    );
    for cmd in ["check", "run"] {
        let out = spoolscope(&[cmd], &file);
        let (line, _) = assert_bad_input(&out, &file);
        assert_eq!(line, 6, "{}", stderr(&out));
    }
}

#[test]
fn script_that_never_ends_is_a_positioned_error() {
    let file = scenario_file(
        "endless.toml",
        "version = 1\n[[transport]]\nname = \"smtp\"\nscript = '''\nfn submit_message(msg) {\n    loop { }\n}\n'''\n\
         [[message]]\nrecipients = [{ name = \"A\", address = \"a@x.example\", type = \"SMTP\" }]\n",
    );
    let out = spoolscope(&["run"], &file);
    // Line 6 is `    loop { }`: the error points into the loop.
    let (line, col) = assert_bad_input(&out, &file);
    assert!(line == 6 && (5..=12).contains(&col), "{}", stderr(&out));
    assert!(stderr(&out).contains("operations"), "{}", stderr(&out));
}

const SEED: &str = r#"version = 1
title = "Seed walkthrough"
seed = 7

[[transport]]
name = "smtp"
address_types = ["SMTP"]
script = '''
fn submit_message(msg) {
    for r in msg.recipients {
        if r.address.ends_with("@nowhere.example") {
            fail(r, MAPI_REASON_TRANSFER_FAILED, MAPI_DIAG_MAIL_RECIPIENT_UNKNOWN, "No such mailbox");
        } else {
            accept(r);
        }
    }
    S_OK
}
'''

[[message]]
subject = "Quarterly report"
recipients = [
  { name = "Alice", address = "alice@contoso.example", type = "SMTP" },
  { name = "Nobody", address = "ghost@nowhere.example", type = "SMTP" },
]
"#;

#[test]
fn check_summarises_a_good_scenario() {
    let file = scenario_file("check.toml", SEED);
    let out = spoolscope(&["check"], &file);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!(
            "{}: ok (1 transport, 1 message, 2 recipients, 0 events)\n",
            file.display()
        )
    );
}

#[test]
fn good_scenario_runs_in_every_format() {
    let file = scenario_file("seed.toml", SEED);

    let out = spoolscope(&["run"], &file);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("spooler → smtp  SubmitMessage(m1"), "{text}");
    assert!(text.contains("MAPI_DIAG_MAIL_RECIPIENT_UNKNOWN"), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("run ended at ")),
        "{text}"
    );

    let out = spoolscope(&["run", "--format", "json"], &file);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(json["version"], 1);
    assert!(
        json["events"].as_array().is_some_and(|e| !e.is_empty()),
        "{json}"
    );
    // Same scenario, same engine: byte-identical output (contract §4).
    assert_eq!(
        spoolscope(&["run", "--format", "json"], &file).stdout,
        out.stdout
    );

    let out = spoolscope(&["run", "-f", "mermaid"], &file);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let diagram = stdout(&out);
    assert!(diagram.starts_with("sequenceDiagram\n"), "{diagram}");
    assert!(
        diagram.contains("    participant T1 as smtp\n"),
        "{diagram}"
    );
}

// The issue's list of bad inputs: each ends with exit 2 and a message at the right place.

const ONE_RECIPIENT: &str =
    "[[message]]\nrecipients = [{ name = \"A\", address = \"a@x.example\", type = \"SMTP\" }]\n";

fn with_script(name: &str, script: &str) -> PathBuf {
    scenario_file(
        name,
        format!("version = 1\n[[transport]]\nname = \"smtp\"\nscript = '''\n{script}'''\n{ONE_RECIPIENT}"),
    )
}

#[test]
fn runaway_recursion_is_a_positioned_error() {
    // Script line 1 is file line 5.
    let file = with_script(
        "recursion.toml",
        "fn deeper(n) { deeper(n + 1) }\nfn submit_message(msg) {\n    deeper(0)\n}\n",
    );
    let out = spoolscope(&["run"], &file);
    let (line, _) = assert_bad_input(&out, &file);
    assert!(line == 5 || line == 7, "{}", stderr(&out));
    let err = stderr(&out).to_lowercase();
    assert!(err.contains("recursion") || err.contains("depth"), "{err}");
}

#[test]
fn a_script_building_a_100_mb_string_is_stopped() {
    let file = with_script(
        "huge_string.toml",
        "fn submit_message(msg) {\n    let s = \"x\";\n    while s.len() < 100000000 { s += s; }\n    S_OK\n}\n",
    );
    let out = spoolscope(&["run"], &file);
    let (line, _) = assert_bad_input(&out, &file);
    assert_eq!(line, 7, "{}", stderr(&out));
    assert!(stderr(&out).contains("string"), "{}", stderr(&out));
}

#[test]
fn ten_million_recipients_are_refused_at_the_count() {
    let file = scenario_file(
        "ten_million.toml",
        "version = 1\n[[transport]]\nname = \"smtp\"\n[[message]]\ngenerate = { count = 10000000 }\n",
    );
    for cmd in ["check", "run"] {
        let out = spoolscope(&[cmd], &file);
        let (line, col) = assert_bad_input(&out, &file);
        assert_eq!((line, col), (5, 22), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("100000 recipients"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn an_oversized_scenario_file_is_refused_before_parsing() {
    // Ten million listed recipients would be hundreds of MB; over 4 MiB is refused at once.
    let mut text = String::from("version = 1\n[[message]]\nrecipients = [\n");
    while text.len() < 5 * 1024 * 1024 {
        text.push_str("  { address = \"user@contoso.example\", type = \"SMTP\" },\n");
    }
    text.push_str("]\n");
    let file = scenario_file("oversized.toml", text);
    let out = spoolscope(&["run"], &file);
    let (line, col) = assert_bad_input(&out, &file);
    assert_eq!((line, col), (1, 1), "{}", stderr(&out));
}
