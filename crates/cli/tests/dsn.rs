//! End-to-end tests of `spoolscope run FILE --format dsn` (docs/spec/reports-dsn.md, cited
//! as "reports §N"): the real binary on three presets and on a hostile scenario, its mbox
//! read back with Python's standard library (`mailbox.mbox`, `email` with
//! `policy=email.policy.default`) when `python3` is installed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// The preset scenarios of the page.
fn preset(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../web/presets")
        .join(name)
}

/// A scratch directory of its own for these tests.
fn scratch() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("spoolscope-dsn-tests");
    std::fs::create_dir_all(&dir).expect("create the scratch directory");
    dir
}

/// Runs `spoolscope run FILE --format dsn` and returns its stdout.
fn dsn(file: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_spoolscope"))
        .args(["run", "--format", "dsn"])
        .arg(file)
        .stdin(Stdio::null())
        .output()
        .expect("run the spoolscope binary");
    assert!(
        out.status.success(),
        "spoolscope failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("the mbox is UTF-8")
}

/// Reads an mbox with Python and prints, per message, what the tests check.
const READER: &str = r#"
import email, email.policy, json, mailbox, sys
from email.parser import HeaderParser

def load(f):
    return email.message_from_binary_file(f, policy=email.policy.default)

out = []
for msg in mailbox.mbox(sys.argv[1], factory=load):
    parts = msg.get_payload()
    r = {
        "content_type": msg.get_content_type(),
        "report_type": msg.get_param("report-type"),
        "boundary": msg.get_boundary(),
        "subject": str(msg["Subject"]),
        "headers": list(msg.keys()),
        "parts": [p.get_content_type() for p in parts],
        "defects": [repr(d) for d in msg.defects]
            + [repr(d) for p in parts for d in p.defects]
            + [k + ": " + repr(d) for k in msg.keys() for d in getattr(msg[k], "defects", [])],
    }
    status = [p for p in parts if p.get_content_type() == "message/delivery-status"][0]
    blocks = status.get_payload()
    r["per_message"] = {k: str(v) for k, v in blocks[0].items()}
    r["recipients"] = [{k: str(v) for k, v in b.items()} for b in blocks[1:]]
    r["text"] = [p for p in parts if p.get_content_type() == "text/plain"][0].get_content()
    returned = [p for p in parts if p.get_content_type() == "text/rfc822-headers"]
    if returned:
        h = HeaderParser(policy=email.policy.default).parsestr(returned[0].get_content())
        r["original"] = {k: str(v) for k, v in h.items()}
        r["defects"] += ["original " + k + ": " + repr(d)
                         for k in h.keys() for d in getattr(h[k], "defects", [])]
    out.append(r)
print(json.dumps(out))
"#;

/// Parses `mbox` with Python, or returns `None` (after a note) when `python3` is missing.
fn python_read(name: &str, mbox: &str) -> Option<Vec<Value>> {
    let dir = scratch();
    let script = dir.join("read_mbox.py");
    std::fs::write(&script, READER).expect("write the reader");
    let file = dir.join(format!("{name}.mbox"));
    std::fs::write(&file, mbox).expect("write the mbox");
    let out = match Command::new("python3")
        .arg(&script)
        .arg(&file)
        .stdin(Stdio::null())
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            eprintln!("note: python3 is not available ({e}); skipping the Python parse of {name}");
            return None;
        }
    };
    assert!(
        out.status.success(),
        "python3 could not read the mbox: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("the reader prints JSON");
    Some(v.as_array().expect("a list of messages").clone())
}

/// The expected per-recipient fields of one report.
struct Expect<'a> {
    reporting_mta: &'a str,
    final_recipient: &'a str,
    action: &'a str,
    status: &'a str,
    returned_headers: bool,
}

fn check_preset(name: &str, expect: &[Expect]) {
    let mbox = dsn(&preset(name));
    // Checks that need no Python: the mbox framing and the fields as written.
    let froms = mbox.lines().filter(|l| l.starts_with("From ")).count();
    assert_eq!(
        froms,
        expect.len(),
        "{name}: one message per report\n{mbox}"
    );
    for e in expect {
        for line in [
            format!("Final-Recipient: {}", e.final_recipient),
            format!("Status: {}", e.status),
            format!("Action: {}", e.action),
            format!("Reporting-MTA: dns; {}", e.reporting_mta),
        ] {
            assert!(mbox.contains(&line), "{name}: {line:?} in\n{mbox}");
        }
    }
    assert_eq!(mbox, dsn(&preset(name)), "{name}: deterministic");

    let Some(messages) = python_read(name, &mbox) else {
        return;
    };
    assert_eq!(messages.len(), expect.len(), "{name}");
    for (m, e) in messages.iter().zip(expect) {
        assert_eq!(m["content_type"], "multipart/report", "{name}");
        assert_eq!(m["report_type"], "delivery-status", "{name}");
        assert!(
            m["boundary"]
                .as_str()
                .is_some_and(|b| b.starts_with("=_spoolscope-report-")),
            "{name}: {}",
            m["boundary"]
        );
        assert_eq!(
            m["defects"],
            serde_json::json!([]),
            "{name}: no parse defects"
        );
        let mut parts = vec!["text/plain", "message/delivery-status"];
        if e.returned_headers {
            parts.push("text/rfc822-headers");
        }
        assert_eq!(m["parts"], serde_json::json!(parts), "{name}");
        assert_eq!(
            m["per_message"]["Reporting-MTA"],
            format!("dns; {}", e.reporting_mta)
        );
        let recipients = m["recipients"].as_array().expect("recipients");
        assert_eq!(recipients.len(), 1, "{name}: one recipient per report here");
        let r = &recipients[0];
        assert_eq!(r["Final-Recipient"], e.final_recipient, "{name}");
        assert_eq!(r["Action"], e.action, "{name}");
        assert_eq!(r["Status"], e.status, "{name}");
        assert!(m["text"]
            .as_str()
            .is_some_and(|t| t.contains("REPORT.IPM.Note.")));
        if e.returned_headers {
            assert!(m["original"]["Message-ID"]
                .as_str()
                .is_some_and(|id| id.starts_with("<message-")));
        }
    }
}

#[test]
fn ndr_statusrecips_preset() {
    let ndr = |final_recipient, status| Expect {
        reporting_mta: "smtp.transport.spoolscope.invalid",
        final_recipient,
        action: "failed",
        status,
        returned_headers: true,
    };
    check_preset(
        "ndr-statusrecips.toml",
        &[
            ndr("rfc822; ghost@contoso.example", "5.1.1"),
            ndr("rfc822; full@fabrikam.example", "5.2.1"),
            ndr("rfc822; bob at contoso.example", "5.1.3"),
        ],
    );
}

#[test]
fn dr_on_request_preset() {
    let dr = |final_recipient| Expect {
        reporting_mta: "smtp.transport.spoolscope.invalid",
        final_recipient,
        action: "delivered",
        status: "2.0.0",
        returned_headers: false,
    };
    check_preset(
        "dr-on-request.toml",
        &[
            dr("rfc822; alice@contoso.example"),
            dr("rfc822; bob@fabrikam.example"),
        ],
    );
}

#[test]
fn no_transport_preset() {
    let ndr = |final_recipient| Expect {
        reporting_mta: "spooler.spoolscope.invalid",
        final_recipient,
        action: "failed",
        status: "5.4.4",
        returned_headers: true,
    };
    check_preset(
        "no-transport.toml",
        &[
            ndr("X-MAPI-FAX; +1 555 0100"),
            ndr("X-MAPI-PAGER; 555-0199"),
        ],
    );
}

/// A scenario whose subject, names and report texts try to inject header fields, MIME
/// boundaries and mbox separators (reports §8).
const HOSTILE: &str = r#"
version = 1
title = "hostile"

[[transport]]
name = "Evil_SMTP"
address_types = ["SMTP"]
script = '''
fn submit_message(msg) {
    for r in msg.recipients {
        fail(r, MAPI_REASON_TRANSFER_FAILED, MAPI_DIAG_MAIL_RECIPIENT_UNKNOWN,
             "550 nope\r\nBcc: victim@example.com\r\n\r\nFrom x\n--=_spoolscope-report-1 Grüße");
    }
    S_OK
}
'''

[[message]]
id = "m1"
subject = "Hi\r\nBcc: x@y\r\n\r\n<script>alert(1)</script> Grüße\nFrom me"
recipients = [
  { name = "Eve\r\nBcc: z@w", address = "eve@contoso.example", type = "SMTP" },
  { name = "Jörg", address = "jörg@bücher.example", type = "SMTP", recipient_type = "CC" },
]
"#;

#[test]
fn hostile_text_cannot_inject_headers() {
    let file = scratch().join("hostile.toml");
    std::fs::write(&file, HOSTILE).expect("write the scenario");
    let mbox = dsn(&file);
    for line in mbox.lines() {
        assert!(!line.starts_with("Bcc"), "{line}\n{mbox}");
        assert!(
            !line.starts_with("--") || line.starts_with("--=_spoolscope-report-"),
            "{line}"
        );
        assert!(!line.contains('\r'));
        assert!(
            !line.starts_with("From ") || line.starts_with("From MAILER-DAEMON "),
            "{line}"
        );
    }
    let Some(messages) = python_read("hostile", &mbox) else {
        return;
    };
    assert_eq!(messages.len(), 2, "{mbox}");
    for m in &messages {
        assert_eq!(m["defects"], serde_json::json!([]), "{m}");
        let headers = m["headers"].as_array().expect("headers");
        assert!(
            !headers.iter().any(|h| h.as_str() == Some("Bcc")),
            "{headers:?}"
        );
        assert_eq!(
            m["subject"],
            "Undeliverable: Hi Bcc: x@y <script>alert(1)</script> Grüße From me"
        );
        assert_eq!(
            m["per_message"]["Reporting-MTA"],
            "dns; evil-smtp.transport.spoolscope.invalid"
        );
        assert_eq!(m["recipients"].as_array().map(Vec::len), Some(1));
        let r = &m["recipients"][0];
        assert_eq!(r["Status"], "5.1.1");
        let diag = r["Diagnostic-Code"].as_str().expect("a Diagnostic-Code");
        assert!(diag.starts_with("X-MAPI; MAPI_REASON_TRANSFER_FAILED(0) MAPI_DIAG_MAIL_RECIPIENT_UNKNOWN(35) 550 nope Bcc: victim@example.com From x --=_spoolscope-report-1 Gr\\x{FC}\\x{DF}e"), "{diag}");
        let original = &m["original"];
        assert_eq!(
            original["Subject"],
            "Hi Bcc: x@y <script>alert(1)</script> Grüße From me"
        );
        assert!(original.get("Bcc").is_none(), "{original}");
    }
    assert_eq!(
        messages[1]["recipients"][0]["Final-Recipient"],
        "utf-8; j\\x{F6}rg@b\\x{FC}cher.example"
    );
    assert_eq!(messages[1]["recipients"][0]["X-Display-Name"], "Jörg");
    assert_eq!(
        messages[0]["recipients"][0]["X-Display-Name"],
        "Eve Bcc: z@w"
    );
}
