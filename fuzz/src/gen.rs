//! Generated scenarios for the `run` target: a structure that `arbitrary` fills in, written
//! out as a scenario text (TOML or JSON) with Rhai scripts assembled from a small grammar of
//! snippets over the script API of contract §2 and the script library.
//!
//! Most of what is generated is valid, so that runs get deep into the engine; some of it is
//! not (a bad time, an unknown action, an out-of-range recipient, a wrong return type, an
//! endless loop, runaway recursion, a string that doubles until the limit), so that the
//! errors and limits are exercised too. Sizes are capped so that one run stays small.

use std::fmt::Write as _;

use arbitrary::Arbitrary;
use spoolscope_contract::Format;

const MAX_TRANSPORTS: usize = 4;
const MAX_MESSAGES: usize = 4;
const MAX_RECIPIENTS: usize = 6;
const MAX_EVENTS: usize = 6;
const MAX_STMTS: usize = 6;
const MAX_DEPTH: usize = 3;
/// Frames painted by the page's path.
pub const MAX_FRAMES: usize = 4;

#[derive(Arbitrary, Debug)]
pub struct Input {
    /// Written as JSON instead of TOML.
    pub json: bool,
    /// Also loaded into the worker's session, with frames painted.
    pub page: bool,
    pub title: Option<Text>,
    pub seed: Option<u16>,
    pub spooler: Option<Spooler>,
    pub transports: Vec<Transport>,
    pub messages: Vec<Message>,
    pub events: Vec<Event>,
    pub frames: Vec<FrameView>,
}

#[derive(Arbitrary, Debug)]
pub struct FrameView {
    pub step: u16,
    pub start: u16,
    pub count: u16,
    pub table_start: u16,
    pub follow: bool,
}

#[derive(Arbitrary, Debug)]
pub struct Spooler {
    busy_retry_s: Option<Time>,
    resend_later_s: Option<Time>,
    resend_now_limit: Option<u8>,
    error_retry_s: Option<Time>,
    after_submit: Option<AfterSubmit>,
    until_s: Option<Time>,
    /// The transports rotated by this much (a rare value names one that does not exist).
    transport_order: Option<u8>,
}

/// Choices are bytes, mostly mapped to valid values: a rare one (about 1 in 16) is a value the
/// scenario reader refuses, so that most runs get past resolution.
#[derive(Arbitrary, Debug, Clone, Copy)]
struct AfterSubmit(u8);

impl AfterSubmit {
    fn name(self) -> &'static str {
        match self.0 % 16 {
            15 => "outbox",
            n => ["sent_items", "delete", "keep"][usize::from(n % 3)],
        }
    }
}

/// A time in seconds, as a scenario writes it.
#[derive(Arbitrary, Debug, Clone, Copy)]
struct Time(u8, u16);

impl Time {
    fn value(self) -> Val {
        let n = self.1;
        match self.0 % 32 {
            0..=5 => Val::Int(0),
            6..=19 => Val::Int(i64::from(n % 10)),
            20..=25 => Val::Int(i64::from(n % 4000)),
            26..=29 => Val::Float(format!("{}.{:02}", n / 100 % 100, n % 100)),
            30 => Val::Float("1e9".into()), // past the 30-day limit
            _ => Val::Int(-1),
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
struct AddrType(u8);

impl AddrType {
    fn name(self) -> &'static str {
        match self.0 % 32 {
            0..=13 => "SMTP",
            14..=22 => "FAX",
            23..=29 => "X400",
            30 => "smtp",
            _ => "",
        }
    }
}

const UIDS: [&str; 2] = [
    "dca7408bc4e911cfb0ce00aa0058b5e0",
    "DCA7408B-C4E9-11CF-B0CE-00AA0058B5E1",
];

#[derive(Arbitrary, Debug)]
pub struct Transport {
    /// 240 and up: another transport's name (a duplicate is an error).
    rename: u8,
    address_types: Option<Vec<AddrType>>,
    uids: Vec<bool>,
    prefer_last: bool,
    outbound_at_start: Option<bool>,
    script: Option<Script>,
}

const TRANSPORT_NAMES: [&str; 4] = ["smtp", "fax", "x400", "relay"];

#[derive(Arbitrary, Debug)]
pub struct Message {
    /// 224 and up: an id of its own (which may be another message's).
    id: u8,
    subject: Option<Text>,
    submit_at_s: Option<Time>,
    delivery_report: bool,
    non_delivery_report: Option<bool>,
    after_submit: Option<AfterSubmit>,
    recipients: Vec<Recipient>,
    generate: Option<Generate>,
}

#[derive(Arbitrary, Debug)]
struct Recipient {
    name: Option<Text>,
    local: u8,
    domain: Domain,
    addr_type: AddrType,
    recipient_type: Option<RecipientType>,
    uid: Option<bool>,
}

#[derive(Arbitrary, Debug)]
struct Generate {
    count: u8,
    types: Option<Vec<AddrType>>,
    recipient_type: Option<RecipientType>,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
struct RecipientType(u8);

impl RecipientType {
    fn name(self) -> &'static str {
        match self.0 % 16 {
            15 => "FROM",
            n => ["TO", "CC", "BCC"][usize::from(n % 3)],
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Domain {
    Contoso,
    Nowhere,
    Slow,
    Fax,
}

impl Domain {
    fn suffix(self) -> &'static str {
        match self {
            Domain::Contoso => "@contoso.example",
            Domain::Nowhere => "@nowhere.example",
            Domain::Slow => "@slow.example",
            Domain::Fax => "",
        }
    }
}

#[derive(Arbitrary, Debug)]
pub struct Event {
    at: Time,
    action: Action,
    message: u8,
    transport: u8,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
struct Action(u8);

#[derive(Clone, Copy, PartialEq, Eq)]
enum ActionKind {
    Cancel,
    AbortSubmit,
    Flush,
    OutboundOff,
    OutboundOn,
    Logoff,
    Bogus,
}

impl Action {
    fn kind(self) -> ActionKind {
        match self.0 % 32 {
            0..=9 => ActionKind::Cancel,
            10..=14 => ActionKind::AbortSubmit,
            15..=19 => ActionKind::Flush,
            20..=24 => ActionKind::OutboundOff,
            25..=28 => ActionKind::OutboundOn,
            29..=30 => ActionKind::Logoff,
            _ => ActionKind::Bogus,
        }
    }
}

impl ActionKind {
    fn name(self) -> &'static str {
        match self {
            ActionKind::Cancel => "cancel",
            ActionKind::AbortSubmit => "abort_submit",
            ActionKind::Flush => "flush",
            ActionKind::OutboundOff => "outbound_off",
            ActionKind::OutboundOn => "outbound_on",
            ActionKind::Logoff => "logoff",
            ActionKind::Bogus => "explode",
        }
    }
}

/// Texts for subjects, names, `log` and `fail` (no quotes of either kind: they are written
/// inside a Rhai string inside a TOML literal string).
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Text {
    Plain,
    Empty,
    Unicode,
    Markup,
    Newline,
    Long,
}

impl Text {
    fn text(self) -> &'static str {
        match self {
            Text::Plain => "No such mailbox",
            Text::Empty => "",
            Text::Unicode => "héllo ✓ 😀 ключ",
            Text::Markup => "<b>x</b> & <script>alert(1)</script>",
            Text::Newline => "two\\nlines\\ttab",
            Text::Long => "a long text that goes on and on and on and on and on and on and on",
        }
    }
}

// ---------------------------------------------------------------------------------------
// Scripts
// ---------------------------------------------------------------------------------------

#[derive(Arbitrary, Debug)]
pub struct Script {
    submit: Option<Block>,
    end: Option<Block>,
    notify: Option<Block>,
    /// 250 and up: `end_message` without its parameter (a compile error).
    bad_arity: u8,
}

#[derive(Arbitrary, Debug)]
struct Block {
    stmts: Vec<Stmt>,
    ret: Ret,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Hook {
    Submit,
    End,
    Notify,
}

/// What a hook returns (by kind of hook).
#[derive(Arbitrary, Debug, Clone, Copy)]
struct Ret(u8, i64);

const HRESULTS: [&str; 10] = [
    "S_OK",
    "MAPI_E_BUSY",
    "MAPI_E_WAIT",
    "MAPI_E_NETWORK_ERROR",
    "MAPI_E_NOT_ME",
    "MAPI_E_CANCEL",
    "MAPI_E_USER_CANCEL",
    "MAPI_E_CALL_FAILED",
    "MAPI_W_ERRORS_RETURNED",
    "MAPI_E_NO_SUPPORT",
];

const END_FLAGS: [&str; 6] = [
    "0",
    "END_RESEND_NOW",
    "END_RESEND_LATER",
    "END_DONT_RESEND",
    "END_RESEND_NOW | END_DONT_RESEND",
    "END_RESEND_LATER | END_RESEND_NOW",
];

const REASONS: [&str; 4] = [
    "MAPI_REASON_TRANSFER_FAILED",
    "MAPI_REASON_TRANSFER_IMPOSSIBLE",
    "MAPI_REASON_RESTRICTED_DELIVERY",
    "99",
];

const DIAGS: [&str; 5] = [
    "MAPI_DIAG_MAIL_RECIPIENT_UNKNOWN",
    "MAPI_DIAG_NO_DIAGNOSTIC",
    "MAPI_DIAG_MTS_CONGESTED",
    "MAPI_DIAG_OR_NAME_UNRECOGNIZED",
    "-7",
];

/// A recipient argument.
/// A recipient argument: the loop's `r` (index 0 outside a loop), an index, a map with an
/// index, or (rarely) a negative index or something that is no recipient.
#[derive(Arbitrary, Debug, Clone, Copy)]
struct Who(u8);

/// Seconds for `elapse`, `retry_after`, `notify_sent_deferred`.
#[derive(Arbitrary, Debug, Clone, Copy)]
struct Secs(u8, u8);

impl Secs {
    fn expr(self) -> String {
        let n = self.1;
        match self.0 % 32 {
            0..=15 => (n % 10).to_string(),
            16..=20 => (n % 90).to_string(),
            21..=24 => format!("{}.{}", n / 10 % 10, n % 10),
            25..=27 => "rand() * 10.0".into(),
            28 => "2600000".into(),
            29 => "-1".into(),
            30 => "0.0 / 0.0".into(),
            _ => "\"soon\"".into(),
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Cond {
    True,
    Cancelled,
    Rand(u8),
    AttemptOver(u8),
    Deferred,
    DeliveryReport,
    AddressEnds(Domain),
    IndexEven,
    NowOver(u8),
    CounterUnder(u8),
    NotifyCancel,
    NotifyAbortDeferred,
}

/// One library call with edge-case arguments.
#[derive(Arbitrary, Debug, Clone, Copy)]
struct LibCall {
    func: u8,
    a: Lit,
    b: Lit,
    c: Lit,
    caught: bool,
}

const LIB_FUNCS: [(&str, usize); 40] = [
    ("len", 1),
    ("is_empty", 1),
    ("contains", 2),
    ("starts_with", 2),
    ("ends_with", 2),
    ("index_of", 2),
    ("index_of", 3),
    ("sub_string", 2),
    ("sub_string", 3),
    ("split", 2),
    ("trim", 1),
    ("to_upper", 1),
    ("to_lower", 1),
    ("replace", 3),
    ("push", 2),
    ("append", 2),
    ("pop", 1),
    ("insert", 3),
    ("remove", 2),
    ("get", 2),
    ("reverse", 1),
    ("sort", 1),
    ("keys", 1),
    ("values", 1),
    ("floor", 1),
    ("ceiling", 1),
    ("round", 1),
    ("sqrt", 1),
    ("to_int", 1),
    ("to_float", 1),
    ("parse_int", 1),
    ("parse_float", 1),
    ("abs", 1),
    ("min", 2),
    ("max", 2),
    ("to_string", 1),
    ("type_of", 1),
    ("+", 2),
    ("==", 2),
    ("reduce", 3),
];

/// A literal argument.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Lit {
    Zero,
    One,
    MinusOne,
    Small(i8),
    Min,
    Max,
    Float(i16),
    Huge,
    NaN,
    Inf,
    Empty,
    Str(Text),
    Digits,
    Char,
    Array,
    Nested,
    Map,
    Unit,
    Closure,
    Recipients,
    Msg,
}

impl Lit {
    fn expr(self) -> String {
        match self {
            Lit::Zero => "0".into(),
            Lit::One => "1".into(),
            Lit::MinusOne => "-1".into(),
            Lit::Small(n) => format!("({n})"),
            Lit::Min => "(-9223372036854775807 - 1)".into(),
            Lit::Max => "9223372036854775807".into(),
            Lit::Float(n) => format!("({}.5)", n),
            Lit::Huge => "1.0e300".into(),
            Lit::NaN => "(0.0 / 0.0)".into(),
            Lit::Inf => "(1.0 / 0.0)".into(),
            Lit::Empty => "\"\"".into(),
            Lit::Str(t) => format!("\"{}\"", t.text()),
            Lit::Digits => "\" 42 \"".into(),
            Lit::Char => "'ß'".into(),
            Lit::Array => "[3, 1, 2]".into(),
            Lit::Nested => "[[1], \"a\", #{k: 2}, ()]".into(),
            Lit::Map => "#{a: 1, b: \"x\"}".into(),
            Lit::Unit => "()".into(),
            Lit::Closure => "|x, y| x".into(),
            Lit::Recipients => "all".into(),
            Lit::Msg => "msg".into(),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Stmt {
    Accept(Who),
    Deliver(Who),
    Decline(Who),
    Fail(Who, u8, u8, Text),
    AcceptAll,
    FailAll(Text),
    ForOffered(Vec<Stmt>),
    ForAll(Vec<Stmt>),
    ForRange(u8, Vec<Stmt>),
    While(u8, Vec<Stmt>),
    /// `loop { … }`: ends only by `break`, `return` or a limit.
    Forever(Vec<Stmt>),
    Break,
    If(Cond, Vec<Stmt>, Vec<Stmt>),
    Elapse(Secs),
    RetryAfter(Secs),
    NotifySentDeferred(Secs),
    SetReference(i32),
    Log(Text),
    Print(Lit),
    Debug(Lit),
    Count,
    Return(Ret),
    Throw(Text),
    Try(Vec<Stmt>, Vec<Stmt>),
    Deep(u8),
    Double(u8),
    Collect,
    Lib(LibCall),
    Filter,
    /// A fixed snippet that fails at run time.
    Fault(u8),
}

const FAULTS: [&str; 8] = [
    "let x = msg.subjct;",
    "let x = 1 / 0;",
    "let x = 9223372036854775807 + 1;",
    "let x = msg.all_recipients[99];",
    "no_such_function(1);",
    "let m = #{}; let x = m.missing;",
    "accept(r_undefined_but_strict);",
    "fail(0, \"reason\", 0, \"text\");",
];

/// Rendering context of a statement.
#[derive(Clone, Copy)]
struct Ctx {
    hook: Hook,
    /// `r` is bound (inside a recipient loop).
    r: bool,
    /// Inside a loop (`break` is allowed).
    in_loop: bool,
    depth: usize,
}

impl Script {
    fn source(&self) -> String {
        let mut out = String::from(
            "fn deep(k) { if k <= 0 { 0 } else { 1 + deep(k - 1) } }\n\
             fn take_all(msg) { for r in msg.recipients { accept(r); } }\n\
             fn fail_all(msg, why) {\n    for r in msg.recipients {\n        \
             fail(r, MAPI_REASON_TRANSFER_FAILED, MAPI_DIAG_MAIL_RECIPIENT_UNKNOWN, why);\n    }\n}\n",
        );
        let hooks = [
            (Hook::Submit, &self.submit, "submit_message(msg)"),
            (Hook::End, &self.end, "end_message(msg)"),
            (Hook::Notify, &self.notify, "transport_notify(flags, msg)"),
        ];
        for (hook, block, sig) in hooks {
            let Some(block) = block else { continue };
            let sig = if self.bad_arity >= 250 && matches!(hook, Hook::End) {
                "end_message()"
            } else {
                sig
            };
            let _ = writeln!(out, "fn {sig} {{");
            out.push_str("    let n = 0;\n    let acc = [];\n    let s = \"\";\n");
            if matches!(hook, Hook::Notify) {
                out.push_str("    let all = if type_of(msg) == \"map\" { msg.all_recipients } else { [] };\n");
            } else {
                out.push_str("    let all = msg.all_recipients;\n");
            }
            let ctx = Ctx {
                hook,
                r: false,
                in_loop: false,
                depth: 0,
            };
            stmts(&mut out, &block.stmts, ctx);
            let _ = writeln!(out, "    {}", ret_expr(block.ret, hook));
            out.push_str("}\n");
        }
        out
    }
}

fn ret_expr(ret: Ret, hook: Hook) -> String {
    let pick = usize::from(ret.0 >> 5);
    match (hook, ret.0 % 32) {
        (_, 30) => format!("({})", ret.1),
        (_, 31) => "\"done\"".into(),
        (Hook::Notify, _) => "()".into(),
        (Hook::Submit, 0..=11) => "S_OK".into(),
        (Hook::Submit, k) => HRESULTS[(pick + usize::from(k)) % HRESULTS.len()].into(),
        (Hook::End, 0..=11) => "0".into(),
        (Hook::End, k) => END_FLAGS[(pick + usize::from(k)) % END_FLAGS.len()].into(),
    }
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..=depth {
        out.push_str("    ");
    }
}

fn stmts(out: &mut String, list: &[Stmt], ctx: Ctx) {
    if ctx.depth > MAX_DEPTH {
        return;
    }
    for s in list.iter().take(MAX_STMTS) {
        stmt(out, s, ctx);
    }
}

fn who(w: Who, ctx: Ctx) -> String {
    let i = w.0 >> 5;
    match w.0 % 32 {
        0..=19 if ctx.r => "r".into(),
        0..=25 => (i % 4).to_string(),
        26..=28 => format!("#{{index: {i}}}"),
        29 => i.to_string(),
        30 => "-1".into(),
        _ => "\"r\"".into(),
    }
}

fn cond(c: Cond, ctx: Ctx) -> String {
    let notify = matches!(ctx.hook, Hook::Notify);
    match c {
        Cond::True => "true".into(),
        Cond::Cancelled => "cancelled()".into(),
        Cond::Rand(n) => format!("rand() < 0.{}", n % 10),
        Cond::AttemptOver(n) if !notify => format!("msg.attempt > {}", n % 4),
        Cond::Deferred if !notify => "msg.deferred".into(),
        Cond::DeliveryReport if !notify => "msg.delivery_report".into(),
        Cond::AddressEnds(d) if ctx.r => format!("r.address.ends_with(\"{}\")", d.suffix()),
        Cond::IndexEven if ctx.r => "r.index % 2 == 0".into(),
        Cond::NowOver(n) => format!("now() > {}", n % 60),
        Cond::CounterUnder(n) => format!("n < {}", n % 8),
        Cond::NotifyCancel if notify => "(flags & NOTIFY_CANCEL_MESSAGE) != 0".into(),
        Cond::NotifyAbortDeferred if notify => "(flags & NOTIFY_ABORT_DEFERRED) != 0".into(),
        _ => "false".into(),
    }
}

fn block(out: &mut String, head: &str, body: &[Stmt], ctx: Ctx) {
    indent(out, ctx.depth);
    out.push_str(head);
    out.push_str(" {\n");
    stmts(
        out,
        body,
        Ctx {
            depth: ctx.depth + 1,
            ..ctx
        },
    );
    indent(out, ctx.depth);
    out.push_str("}\n");
}

fn line(out: &mut String, ctx: Ctx, text: &str) {
    indent(out, ctx.depth);
    out.push_str(text);
    out.push('\n');
}

fn stmt(out: &mut String, s: &Stmt, ctx: Ctx) {
    let notify = matches!(ctx.hook, Hook::Notify);
    let loop_ctx = Ctx {
        in_loop: true,
        ..ctx
    };
    let r_ctx = Ctx {
        r: true,
        in_loop: true,
        ..ctx
    };
    match s {
        Stmt::Accept(w) => line(out, ctx, &format!("accept({});", who(*w, ctx))),
        Stmt::Deliver(w) => line(out, ctx, &format!("deliver({});", who(*w, ctx))),
        Stmt::Decline(w) => line(out, ctx, &format!("decline({});", who(*w, ctx))),
        Stmt::Fail(w, reason, diag, text) => line(
            out,
            ctx,
            &format!(
                "fail({}, {}, {}, \"{}\");",
                who(*w, ctx),
                REASONS[usize::from(*reason) % REASONS.len()],
                DIAGS[usize::from(*diag) % DIAGS.len()],
                text.text()
            ),
        ),
        Stmt::AcceptAll if !notify => line(out, ctx, "take_all(msg);"),
        Stmt::FailAll(t) if !notify => {
            line(out, ctx, &format!("fail_all(msg, \"{}\");", t.text()))
        }
        Stmt::AcceptAll | Stmt::FailAll(_) => line(out, ctx, "n += 1;"),
        Stmt::ForOffered(body) if !notify => block(out, "for r in msg.recipients", body, r_ctx),
        Stmt::ForOffered(body) | Stmt::ForAll(body) => block(out, "for r in all", body, r_ctx),
        Stmt::ForRange(k, body) => {
            block(out, &format!("for i in 0..{}", k % 20), body, loop_ctx)
        }
        Stmt::While(k, body) => {
            indent(out, ctx.depth);
            let _ = writeln!(out, "while n < {} {{", k % 30);
            line(out, Ctx { depth: ctx.depth + 1, ..ctx }, "n += 1;");
            stmts(
                out,
                body,
                Ctx {
                    depth: ctx.depth + 1,
                    ..loop_ctx
                },
            );
            line(out, ctx, "}");
        }
        Stmt::Forever(body) => block(out, "loop", body, loop_ctx),
        Stmt::Break if ctx.in_loop => line(out, ctx, "break;"),
        Stmt::Break => line(out, ctx, "n -= 1;"),
        Stmt::If(c, yes, no) => {
            let inner = Ctx {
                depth: ctx.depth + 1,
                ..ctx
            };
            line(out, ctx, &format!("if {} {{", cond(*c, ctx)));
            stmts(out, yes, inner);
            if no.is_empty() {
                line(out, ctx, "}");
            } else {
                line(out, ctx, "} else {");
                stmts(out, no, inner);
                line(out, ctx, "}");
            }
        }
        Stmt::Elapse(s) => line(out, ctx, &format!("elapse({});", s.expr())),
        Stmt::RetryAfter(s) => line(out, ctx, &format!("retry_after({});", s.expr())),
        Stmt::NotifySentDeferred(s) => {
            line(out, ctx, &format!("notify_sent_deferred({});", s.expr()))
        }
        Stmt::SetReference(v) => line(out, ctx, &format!("set_reference({v});")),
        Stmt::Log(t) => line(out, ctx, &format!("log(\"{}\");", t.text())),
        Stmt::Print(l) => line(out, ctx, &format!("print({});", l.expr())),
        Stmt::Debug(l) => line(out, ctx, &format!("debug({});", l.expr())),
        Stmt::Count => line(out, ctx, "n += 1;"),
        Stmt::Return(r) => line(out, ctx, &format!("return {};", ret_expr(*r, ctx.hook))),
        Stmt::Throw(t) => line(out, ctx, &format!("throw \"{}\";", t.text())),
        Stmt::Try(body, handler) => {
            block(out, "try", body, ctx);
            block(out, "catch (err)", handler, ctx);
        }
        Stmt::Deep(k) => line(out, ctx, &format!("n += deep({});", k % 48)),
        Stmt::Double(k) => line(
            out,
            ctx,
            &format!("s += \"xxxxxxxx\"; for i in 0..{} {{ s += s; }}", k % 24),
        ),
        Stmt::Collect => line(
            out,
            ctx,
            "for r in all { acc.push(r.address); } acc.push(acc.len());",
        ),
        Stmt::Lib(call) => {
            let (name, arity) = LIB_FUNCS[usize::from(call.func) % LIB_FUNCS.len()];
            let args = [call.a, call.b, call.c];
            let args: Vec<String> = args[..arity].iter().map(|a| a.expr()).collect();
            let expr = match name {
                "+" | "==" => format!("let v = {} {name} {};", args[0], args[1]),
                _ => format!("let v = {name}({});", args.join(", ")),
            };
            if call.caught {
                line(out, ctx, &format!("try {{ {expr} acc.push(v); }} catch {{ n += 1; }}"));
            } else {
                line(out, ctx, &format!("{{ {expr} }}"));
            }
        }
        Stmt::Filter => line(
            out,
            ctx,
            "let picked = all.filter(|r| r.type == \"SMTP\").map(|r| r.index); \
             n += picked.len() + all.reduce(|a, r| a + r.index, 0);",
        ),
        Stmt::Fault(i) => line(out, ctx, FAULTS[usize::from(*i) % FAULTS.len()]),
    }
}

// ---------------------------------------------------------------------------------------
// Writing the scenario
// ---------------------------------------------------------------------------------------

/// A scenario value, written as TOML or JSON.
enum Val {
    Str(String),
    /// A script: a TOML multi-line literal string, so that its positions map to the file.
    Script(String),
    Int(i64),
    Float(String),
    Bool(bool),
    Arr(Vec<Val>),
    Table(Vec<(&'static str, Val)>),
}

fn s(text: &str) -> Val {
    Val::Str(text.to_string())
}

impl Input {
    /// The scenario text and its syntax.
    pub fn render(&self) -> (String, Format) {
        let root = self.tree();
        if self.json {
            let mut out = String::new();
            json(&mut out, &root);
            out.push('\n');
            (out, Format::Json)
        } else {
            (toml_doc(&root), Format::Toml)
        }
    }

    fn names(&self) -> Vec<&'static str> {
        self.transports
            .iter()
            .take(MAX_TRANSPORTS)
            .enumerate()
            .map(|(i, t)| match t.rename {
                k @ 240.. => TRANSPORT_NAMES[usize::from(k) % TRANSPORT_NAMES.len()],
                _ => TRANSPORT_NAMES[i],
            })
            .collect()
    }

    fn tree(&self) -> Val {
        let names = self.names();
        let name_of = |k: u8| -> &'static str {
            if names.is_empty() {
                "smtp"
            } else {
                names[usize::from(k) % names.len()]
            }
        };
        let mut root: Vec<(&'static str, Val)> = vec![("version", Val::Int(1))];
        if let Some(t) = self.title {
            root.push(("title", s(t.text())));
        }
        if let Some(seed) = self.seed {
            root.push(("seed", Val::Int(i64::from(seed))));
        }
        if let Some(sp) = &self.spooler {
            let mut t = Vec::new();
            let times = [
                ("busy_retry_s", sp.busy_retry_s),
                ("resend_later_s", sp.resend_later_s),
                ("error_retry_s", sp.error_retry_s),
                ("until_s", sp.until_s),
            ];
            for (key, time) in times {
                if let Some(time) = time {
                    t.push((key, time.value()));
                }
            }
            if let Some(n) = sp.resend_now_limit {
                t.push(("resend_now_limit", Val::Int(i64::from(n % 6))));
            }
            if let Some(a) = sp.after_submit {
                t.push(("after_submit", s(a.name())));
            }
            if let Some(k) = sp.transport_order {
                let list: Vec<Val> = if k % 16 == 15 {
                    vec![s("nobody")]
                } else {
                    let n = names.len().max(1);
                    (0..names.len())
                        .map(|i| s(names[(i + usize::from(k)) % n]))
                        .collect()
                };
                t.push(("transport_order", Val::Arr(list)));
            }
            root.push(("spooler", Val::Table(t)));
        }
        let transports: Vec<Val> = self
            .transports
            .iter()
            .take(MAX_TRANSPORTS)
            .zip(&names)
            .map(|(t, name)| {
                let mut v = vec![("name", s(name))];
                if let Some(types) = &t.address_types {
                    let list = types.iter().take(4).map(|a| s(a.name()));
                    v.push(("address_types", Val::Arr(list.collect())));
                }
                if !t.uids.is_empty() {
                    let list = t.uids.iter().take(2).map(|&b| s(UIDS[usize::from(b)]));
                    v.push(("uids", Val::Arr(list.collect())));
                }
                if t.prefer_last {
                    v.push(("prefer_last", Val::Bool(true)));
                }
                if let Some(b) = t.outbound_at_start {
                    v.push(("outbound_at_start", Val::Bool(b)));
                }
                if let Some(script) = &t.script {
                    v.push(("script", Val::Script(script.source())));
                }
                Val::Table(v)
            })
            .collect();
        let messages: Vec<Val> = self
            .messages
            .iter()
            .take(MAX_MESSAGES)
            .map(|m| {
                let mut v = Vec::new();
                if m.id >= 224 {
                    v.push(("id", Val::Str(format!("m{}", m.id % 6))));
                }
                if let Some(t) = m.subject {
                    v.push(("subject", s(t.text())));
                }
                if let Some(t) = m.submit_at_s {
                    v.push(("submit_at_s", t.value()));
                }
                if m.delivery_report {
                    v.push(("delivery_report", Val::Bool(true)));
                }
                if let Some(b) = m.non_delivery_report {
                    v.push(("non_delivery_report", Val::Bool(b)));
                }
                if let Some(a) = m.after_submit {
                    v.push(("after_submit", s(a.name())));
                }
                let recipients = m.recipients.iter().take(MAX_RECIPIENTS).map(|r| {
                    let mut rv = Vec::new();
                    if let Some(t) = r.name {
                        rv.push(("name", s(t.text())));
                    }
                    let address = match r.domain {
                        Domain::Fax => format!("+1 555 01{:02}", r.local % 100),
                        d => format!("user{}{}", r.local % 10, d.suffix()),
                    };
                    rv.push(("address", Val::Str(address)));
                    rv.push(("type", s(r.addr_type.name())));
                    if let Some(t) = r.recipient_type {
                        rv.push(("recipient_type", s(t.name())));
                    }
                    if let Some(b) = r.uid {
                        rv.push(("uid", s(UIDS[usize::from(b)])));
                    }
                    Val::Table(rv)
                });
                v.push(("recipients", Val::Arr(recipients.collect())));
                if let Some(g) = &m.generate {
                    let mut gv = vec![("count", Val::Int(i64::from(g.count % 24)))];
                    if let Some(types) = g.types.as_ref().filter(|t| !t.is_empty()) {
                        let list = types.iter().take(3).map(|a| s(a.name()));
                        gv.push(("types", Val::Arr(list.collect())));
                    }
                    if let Some(t) = g.recipient_type {
                        gv.push(("recipient_type", s(t.name())));
                    }
                    v.push(("generate", Val::Table(gv)));
                }
                Val::Table(v)
            })
            .collect();
        let message_count = self.messages.len().min(MAX_MESSAGES);
        let events: Vec<Val> = self
            .events
            .iter()
            .take(MAX_EVENTS)
            .map(|e| {
                let mut kind = e.action.kind();
                let outbound = matches!(kind, ActionKind::OutboundOff | ActionKind::OutboundOn);
                let about_message = matches!(kind, ActionKind::Cancel | ActionKind::AbortSubmit);
                if (outbound && names.is_empty()) || (about_message && message_count == 0) {
                    kind = ActionKind::Flush;
                }
                let mut v = vec![("at_s", e.at.value()), ("action", s(kind.name()))];
                match kind {
                    ActionKind::Cancel | ActionKind::AbortSubmit => {
                        // Default ids are m1, m2, …; a rare event names one that does not exist.
                        let n = if e.message >= 248 { 9 } else { usize::from(e.message) % message_count + 1 };
                        v.push(("message", Val::Str(format!("m{n}"))))
                    }
                    ActionKind::OutboundOff | ActionKind::OutboundOn => {
                        v.push(("transport", s(name_of(e.transport))))
                    }
                    _ => {}
                }
                Val::Table(v)
            })
            .collect();
        root.push(("transport", Val::Arr(transports)));
        root.push(("message", Val::Arr(messages)));
        root.push(("event", Val::Arr(events)));
        Val::Table(root)
    }
}

fn json_str(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn json(out: &mut String, v: &Val) {
    match v {
        Val::Str(t) | Val::Script(t) => json_str(out, t),
        Val::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Val::Float(f) => out.push_str(f),
        Val::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Val::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                json(out, item);
            }
            out.push(']');
        }
        Val::Table(entries) => {
            out.push_str("{\n");
            for (i, (k, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(",\n");
                }
                json_str(out, k);
                out.push_str(": ");
                json(out, item);
            }
            out.push_str("\n}");
        }
    }
}

/// An inline TOML value.
fn toml_inline(out: &mut String, v: &Val) {
    match v {
        Val::Str(t) => json_str(out, t), // a TOML basic string escapes like JSON here
        Val::Script(t) if !t.contains("'''") => {
            out.push_str("'''\n");
            out.push_str(t);
            out.push_str("'''");
        }
        Val::Script(t) => json_str(out, t),
        Val::Int(_) | Val::Float(_) | Val::Bool(_) => json(out, v),
        Val::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                toml_inline(out, item);
            }
            out.push(']');
        }
        Val::Table(entries) => {
            out.push_str("{ ");
            for (i, (k, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push_str(" = ");
                toml_inline(out, item);
            }
            out.push_str(" }");
        }
    }
}

fn toml_keys(out: &mut String, entries: &[(&'static str, Val)]) {
    for (k, v) in entries {
        out.push_str(k);
        out.push_str(" = ");
        toml_inline(out, v);
        out.push('\n');
    }
}

/// The root as a TOML document: plain keys, `[spooler]`, then arrays of tables.
fn toml_doc(root: &Val) -> String {
    let Val::Table(entries) = root else {
        unreachable!("the root is a table")
    };
    let mut out = String::new();
    let (plain, tables): (Vec<_>, Vec<_>) = entries
        .iter()
        .partition(|(_, v)| !matches!(v, Val::Table(_) | Val::Arr(_)));
    for (k, v) in plain {
        out.push_str(k);
        out.push_str(" = ");
        toml_inline(&mut out, v);
        out.push('\n');
    }
    for (k, v) in tables {
        match v {
            Val::Table(t) => {
                let _ = write!(out, "\n[{k}]\n");
                toml_keys(&mut out, t);
            }
            Val::Arr(items) => {
                for item in items {
                    let Val::Table(t) = item else { continue };
                    let _ = write!(out, "\n[[{k}]]\n");
                    toml_keys(&mut out, t);
                }
            }
            _ => {}
        }
    }
    out
}
