//! Measures the script host's per-call cost and how fast runaway scripts are stopped.
//!
//! Run with `cargo run --release -p spoolscope-script --example overhead`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use spoolscope_contract::scenario::{RecipientSpec, RecipientType, ScriptSource};
use spoolscope_contract::Pos;
use spoolscope_engine::transport::{MsgView, Notification, Support, Transport};
use spoolscope_script::ScriptTransport;

/// A `Support` that only counts.
#[derive(Default)]
struct Counting {
    calls: u64,
}

impl Support for Counting {
    fn accept(&mut self, _: i64) {
        self.calls += 1;
    }
    fn deliver(&mut self, _: i64) {
        self.calls += 1;
    }
    fn fail(&mut self, _: i64, _: i64, _: i64, _: &str) {
        self.calls += 1;
    }
    fn decline(&mut self, _: i64) {}
    fn set_reference(&mut self, _: i64) {}
    fn retry_after(&mut self, _: f64) {}
    fn elapse(&mut self, _: f64) {}
    fn poll_notification(&mut self) -> Option<Notification> {
        None
    }
    fn notification_done(&mut self) {}
    fn cancelled(&self) -> bool {
        false
    }
    fn notify_sent_deferred(&mut self, _: f64) {}
    fn log(&mut self, _: &str) {}
    fn now(&self) -> f64 {
        0.0
    }
    fn rand(&mut self) -> f64 {
        0.5
    }
}

const CONTRACT_SCRIPT: &str = r#"
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
"#;

fn message(total: usize, offered: usize) -> MsgView {
    let recipients: Vec<RecipientSpec> = (0..total)
        .map(|i| RecipientSpec {
            name: format!("Recipient {i}"),
            address: if i % 10 == 0 {
                format!("r{i}@nowhere.example")
            } else {
                format!("r{i}@contoso.example")
            },
            addr_type: "SMTP".into(),
            recipient_type: RecipientType::To,
            uid: None,
        })
        .collect();
    MsgView {
        index: 0,
        id: "m1".into(),
        subject: "bench".into(),
        attempt: 1,
        deferred: false,
        delivery_report: false,
        reference: 0,
        offered: (0..offered as u32).collect(),
        recipients: Arc::from(recipients),
    }
}

fn transport(text: &str) -> ScriptTransport {
    let src = ScriptSource {
        text: text.into(),
        origin: Some(Pos { line: 1, col: 1 }),
    };
    ScriptTransport::compile("bench", &src, Pos::START).expect("compiles")
}

fn time<T>(label: &str, reps: u32, mut f: impl FnMut() -> T) -> Duration {
    f(); // warm the recipient cache
    let start = Instant::now();
    for _ in 0..reps {
        std::hint::black_box(f());
    }
    let per = start.elapsed() / reps;
    println!("{label:<62} {per:>12.2?}");
    per
}

fn main() {
    let start = Instant::now();
    let _ = transport(CONTRACT_SCRIPT);
    println!(
        "{:<62} {:>12.2?}",
        "compile the contract script (engine + 2 parses)",
        start.elapsed()
    );

    for (total, offered) in [
        (10, 10),
        (3_000, 3_000),
        (10_000, 3_000),
        (10_000, 10_000),
        (100_000, 3_000),
    ] {
        let view = message(total, offered);
        let mut sup = Counting::default();
        let mut script = transport(CONTRACT_SCRIPT);
        time(
            &format!("contract submit_message, {offered} offered of {total}"),
            20,
            || script.submit_message(&view, &mut sup),
        );
        let mut empty = transport("fn submit_message(msg) { S_OK }");
        time(
            &format!("empty submit_message (msg building only), {offered} of {total}"),
            20,
            || empty.submit_message(&view, &mut sup),
        );
    }

    let view = message(10, 10);
    for (label, text) in [
        ("endless loop {}", "fn submit_message(msg) { loop {} }"),
        (
            "endless counting loop",
            "fn submit_message(msg) { let n = 0; loop { n += 1; } }",
        ),
        (
            "runaway recursion",
            "fn f(n) { f(n + 1) }\nfn submit_message(msg) { f(0) }",
        ),
        (
            "100 MB string",
            "fn submit_message(msg) { let s = \"x\"; loop { s += s; } }",
        ),
        (
            "runaway push to the array limit (quadratic size checks)",
            "fn submit_message(msg) { let a = []; loop { a.push(1); } }",
        ),
    ] {
        let mut t = transport(text);
        let start = Instant::now();
        let fault = t
            .submit_message(&view, &mut Counting::default())
            .expect_err("faults");
        println!("{label:<62} {:>12.2?}  {}", start.elapsed(), fault.message);
    }

    // Stack: recursion to the call-depth limit, and the same again inside a transport_notify
    // delivered by an elapse() at the deepest level (the worst case: twice the limit).
    let deep = "fn f(n) { if n < 31 { f(n + 1) } else { log(n) } }\n\
        fn submit_message(msg) { f(0) }";
    let deep_notify = "fn g(n) { if n < 31 { g(n + 1) } else { elapse(1) } }\n\
        fn f(n) { if n < 31 { f(n + 1) } else { log(n) } }\n\
        fn submit_message(msg) { g(0) }\n\
        fn transport_notify(flags, msg) { f(0) }";
    for (label, text, pending) in [
        ("stack at the call-depth limit", deep, false),
        (
            "stack at the limit in a notify delivered at the limit",
            deep_notify,
            true,
        ),
    ] {
        println!("{label:<62} {:>9} KiB", stack_used_kib(text, pending));
    }
}

/// Native stack used by `text` from the hook call down to its deepest host-function call
/// (measured in a thread with a large stack; wasm32's default stack is 1 MiB).
fn stack_used_kib(text: &'static str, pending_cancel: bool) -> usize {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || {
            let mut t = transport(text);
            let base = 0u8;
            let mut sup = Pending {
                inner: Counting::default(),
                pending: pending_cancel,
                base: &base as *const u8 as usize,
                deepest: usize::MAX,
            };
            let _ = t.submit_message(&message(10, 10), &mut sup);
            (sup.base - sup.deepest) / 1024
        })
        .expect("spawn")
        .join()
        .expect("no panic")
}

/// A `Support` that hands out one cancel notification on the first `elapse` and records the
/// deepest stack address `log` is called at.
struct Pending {
    inner: Counting,
    pending: bool,
    base: usize,
    deepest: usize,
}

impl Support for Pending {
    fn accept(&mut self, r: i64) {
        self.inner.accept(r)
    }
    fn deliver(&mut self, r: i64) {
        self.inner.deliver(r)
    }
    fn fail(&mut self, r: i64, a: i64, b: i64, t: &str) {
        self.inner.fail(r, a, b, t)
    }
    fn decline(&mut self, _: i64) {}
    fn set_reference(&mut self, _: i64) {}
    fn retry_after(&mut self, _: f64) {}
    fn elapse(&mut self, _: f64) {}
    fn poll_notification(&mut self) -> Option<Notification> {
        std::mem::take(&mut self.pending).then_some(Notification {
            flags: spoolscope_contract::consts::flag::NOTIFY_CANCEL_MESSAGE,
            message: None,
        })
    }
    fn notification_done(&mut self) {}
    fn cancelled(&self) -> bool {
        false
    }
    fn notify_sent_deferred(&mut self, _: f64) {}
    fn log(&mut self, _: &str) {
        let here = 0u8;
        self.deepest = self
            .deepest
            .min(std::hint::black_box(&here) as *const u8 as usize);
    }
    fn now(&self) -> f64 {
        0.0
    }
    fn rand(&mut self) -> f64 {
        0.5
    }
}
