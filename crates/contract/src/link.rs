//! Links (links §1–§4): the fragment of a Spoolscope address that carries a scenario, the
//! hash and recorded lines of the trace it produced, and the view (step, selected call,
//! player and embed options).
//!
//! This module reads and writes the fragment only. The two compressed parts (`s`, `t`) stay
//! compressed here ([`Fragment::scenario`], [`Fragment::recorded`] are raw DEFLATE bytes): the
//! page inflates them with the browser's `DecompressionStream`, the command-line tool with
//! miniz_oxide, both with the [`MAX_DECODED_BYTES`] limit. Parsing is strict and never
//! panics: every way a stranger's link can be wrong is a [`LinkError`] that says why.

use std::fmt;

/// The link format this version writes and the newest it reads (links §1).
pub const FORMAT: u32 = 2;

/// The most a compressed part may decode to (links §2).
pub const MAX_DECODED_BYTES: usize = 64 * 1024;

/// The longest fragment read at all (links §1).
pub const MAX_FRAGMENT_CHARS: usize = 256 * 1024;

/// Player speeds a link may name, in steps per second (the page's speed menu).
pub const SPEEDS: [u32; 7] = [1, 2, 5, 10, 25, 60, 240];

/// Colours (links §1 `theme`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

impl Theme {
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    /// The theme [`Theme::as_str`] names, if any.
    pub fn from_name(name: &str) -> Option<Theme> {
        match name {
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            _ => None,
        }
    }
}

/// A panel of the page (links §1 `panels`), in the order the page lays them out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Panel {
    Diagram,
    Recipients,
    Queue,
    Status,
    Warnings,
    Editor,
}

impl Panel {
    /// Every panel, in layout order.
    pub const ALL: [Panel; 6] = [
        Panel::Diagram,
        Panel::Recipients,
        Panel::Queue,
        Panel::Status,
        Panel::Warnings,
        Panel::Editor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Panel::Diagram => "diagram",
            Panel::Recipients => "recipients",
            Panel::Queue => "queue",
            Panel::Status => "status",
            Panel::Warnings => "warnings",
            Panel::Editor => "editor",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of panels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Panels(u8);

impl Panels {
    /// What an embed shows unless told otherwise (links §1).
    pub const EMBED_DEFAULT: Panels = Panels(1 | 2);

    pub fn of(list: &[Panel]) -> Panels {
        Panels(list.iter().fold(0, |acc, p| acc | p.bit()))
    }

    pub fn contains(self, p: Panel) -> bool {
        self.0 & p.bit() != 0
    }

    /// The panels, in layout order.
    pub fn list(self) -> Vec<Panel> {
        Panel::ALL
            .into_iter()
            .filter(|p| self.contains(*p))
            .collect()
    }
}

/// Where a link puts the player and what it shows (links §1). `None` means "the default".
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct View {
    /// The step shown; `None` = the end of the run.
    pub step: Option<u64>,
    /// The selected trace event (details open).
    pub selected: Option<u64>,
    pub speed: Option<u32>,
    pub theme: Option<Theme>,
    /// Embed mode: the panels shown.
    pub panels: Option<Panels>,
    /// Embed mode: the player is locked to these steps.
    pub range: Option<(u64, u64)>,
    /// Embed mode: play when opened.
    pub autoplay: bool,
    /// Embed mode: the only origin commands are taken from and events are sent to.
    pub origin: Option<String>,
}

/// A link's fragment, checked, with its compressed parts still compressed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fragment {
    /// 1 (`#s=` alone) or [`FORMAT`].
    pub format: u32,
    /// The scenario text, raw DEFLATE.
    pub scenario: Vec<u8>,
    /// The trace hash recorded with the link (12 lowercase hex digits).
    pub hash: Option<String>,
    /// The recorded trace lines, raw DEFLATE.
    pub recorded: Option<Vec<u8>>,
    pub view: View,
}

/// Why a link cannot be opened; `Display` is the sentence the page shows after "This link
/// cannot be opened: ".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkError {
    /// More than [`MAX_FRAGMENT_CHARS`].
    TooLong(usize),
    /// A format newer than this reader's.
    NewerFormat(u32),
    /// `v` is not a format number.
    BadFormat(String),
    /// A part without `=`, or a key given twice.
    Malformed(String),
    /// A value with characters links never use.
    Characters(&'static str),
    /// `s` or `t` is not base64url.
    NotBase64(&'static str),
    /// A value that does not mean anything for its key.
    BadValue { key: &'static str, value: String },
    /// A compressed part decodes to more than [`MAX_DECODED_BYTES`].
    TooBig(&'static str),
    /// A compressed part is not valid DEFLATE.
    Damaged(&'static str),
    /// A compressed part is not UTF-8 text.
    NotText(&'static str),
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkError::TooLong(n) => write!(
                f,
                "it is {n} characters long; links are at most {MAX_FRAGMENT_CHARS}"
            ),
            LinkError::NewerFormat(v) => write!(
                f,
                "it was made by a newer Spoolscope (link format {v}; this page reads formats 1 to {FORMAT})"
            ),
            LinkError::BadFormat(v) => write!(f, "its format `v={}` is not a number", clip(v)),
            LinkError::Malformed(why) => write!(f, "{why}"),
            LinkError::Characters(key) => {
                write!(f, "its `{key}` part has characters that links never use")
            }
            LinkError::NotBase64(key) => write!(f, "its `{key}` part is not base64url"),
            LinkError::BadValue { key, value } => {
                write!(f, "`{key}={}` is not a value `{key}` can have", clip(value))
            }
            LinkError::TooBig(key) => write!(
                f,
                "its `{key}` part holds more than {} KiB",
                MAX_DECODED_BYTES / 1024
            ),
            LinkError::Damaged(key) => {
                write!(f, "the compressed data of its `{key}` part is damaged or cut short")
            }
            LinkError::NotText(key) => write!(f, "its `{key}` part is not UTF-8 text"),
        }
    }
}

/// At most 40 characters of a value, for messages.
fn clip(value: &str) -> String {
    let mut out: String = value.chars().take(40).collect();
    if out.len() < value.len() {
        out.push('…');
    }
    out
}

/// The name of a compressed part, for messages: `s` is the scenario, `t` the recorded trace.
pub fn part_name(key: &str) -> &'static str {
    if key == "t" {
        "t"
    } else {
        "s"
    }
}

/// Reads a location hash (with or without its `#`). `Ok(None)`: it is not a link (no `s`).
pub fn parse(fragment: &str) -> Result<Option<Fragment>, LinkError> {
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    if fragment.len() > MAX_FRAGMENT_CHARS {
        return Err(LinkError::TooLong(fragment.chars().count()));
    }
    let mut parts: Vec<(&str, &str)> = Vec::new();
    for part in fragment.split('&').filter(|p| !p.is_empty()) {
        let Some((key, value)) = part.split_once('=') else {
            return Err(LinkError::Malformed(format!(
                "its part `{}` has no `=`",
                clip(part)
            )));
        };
        if parts.iter().any(|(k, _)| *k == key) {
            return Err(LinkError::Malformed(format!(
                "it gives `{}` twice",
                clip(key)
            )));
        }
        parts.push((key, value));
    }
    let get = |key: &str| parts.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
    let Some(s) = get("s") else {
        return Ok(None);
    };
    let format = match get("v") {
        None => 1,
        Some(v) => match v.parse::<u32>() {
            Ok(0) | Err(_) => return Err(LinkError::BadFormat(v.to_string())),
            Ok(n) if n > FORMAT => return Err(LinkError::NewerFormat(n)),
            Ok(n) => n,
        },
    };
    let scenario = base64url_part(s, "s")?;
    if format == 1 {
        // Format 1 links carried the scenario alone (links §1).
        return Ok(Some(Fragment {
            format,
            scenario,
            hash: None,
            recorded: None,
            view: View::default(),
        }));
    }
    let recorded = get("t").map(|t| base64url_part(t, "t")).transpose()?;
    let hash = match get("h") {
        None => None,
        Some(h) if h.len() == 12 && h.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) => {
            Some(h.to_string())
        }
        Some(h) => return Err(bad("h", h)),
    };
    let number = |key: &'static str, v: &str| -> Result<u64, LinkError> {
        // No signs, no leading "+", at most 15 digits (steps fit comfortably).
        if v.is_empty() || v.len() > 15 || !v.bytes().all(|c| c.is_ascii_digit()) {
            return Err(bad(key, v));
        }
        v.parse::<u64>().map_err(|_| bad(key, v))
    };
    let mut view = View::default();
    if let Some(v) = get("step") {
        view.step = if v == "end" {
            None
        } else {
            Some(number("step", v)?)
        };
    }
    if let Some(v) = get("sel") {
        view.selected = Some(number("sel", v)?);
    }
    if let Some(v) = get("speed") {
        let n = number("speed", v)?;
        view.speed = Some(
            SPEEDS
                .into_iter()
                .find(|s| u64::from(*s) == n)
                .ok_or_else(|| bad("speed", v))?,
        );
    }
    if let Some(v) = get("theme") {
        view.theme = Some(Theme::from_name(v).ok_or_else(|| bad("theme", v))?);
    }
    if let Some(v) = get("panels") {
        let mut list = Vec::new();
        for name in v.split(',') {
            let p = Panel::ALL
                .into_iter()
                .find(|p| p.as_str() == name)
                .ok_or_else(|| bad("panels", v))?;
            list.push(p);
        }
        view.panels = Some(Panels::of(&list));
    }
    if let Some(v) = get("range") {
        let (a, b) = v.split_once('-').ok_or_else(|| bad("range", v))?;
        let (a, b) = (number("range", a)?, number("range", b)?);
        if a > b {
            return Err(bad("range", v));
        }
        view.range = Some((a, b));
    }
    if let Some(v) = get("autoplay") {
        view.autoplay = match v {
            "1" => true,
            "0" => false,
            _ => return Err(bad("autoplay", v)),
        };
    }
    if let Some(v) = get("origin") {
        if !valid_origin(v) {
            return Err(bad("origin", v));
        }
        view.origin = Some(v.to_string());
    }
    Ok(Some(Fragment {
        format,
        scenario,
        hash,
        recorded,
        view,
    }))
}

/// `scheme://host[:port]`, as `MessageEvent.origin` spells it (no path, no user info).
fn valid_origin(v: &str) -> bool {
    let Some((scheme, rest)) = v.split_once("://") else {
        return false;
    };
    !scheme.is_empty()
        && scheme.bytes().all(|c| c.is_ascii_lowercase())
        && !rest.is_empty()
        && v.len() <= 200
        && rest
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b':' | b'[' | b']'))
}

fn bad(key: &'static str, value: &str) -> LinkError {
    LinkError::BadValue {
        key,
        value: value.to_string(),
    }
}

fn base64url_part(value: &str, key: &'static str) -> Result<Vec<u8>, LinkError> {
    let trimmed = value.trim_end_matches('=');
    if !trimmed
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    {
        return Err(LinkError::Characters(key));
    }
    let bytes = base64url_decode(trimmed).ok_or(LinkError::NotBase64(key))?;
    // Raw DEFLATE of even an empty text is at least one byte.
    if bytes.is_empty() {
        return Err(LinkError::Damaged(key));
    }
    Ok(bytes)
}

/// Builds a format 2 fragment (without the `#`) from already compressed parts, view options
/// at their defaults left out.
pub fn format(scenario: &[u8], hash: Option<&str>, recorded: Option<&[u8]>, view: &View) -> String {
    let mut out = format!("v={FORMAT}&s={}", base64url_encode(scenario));
    if let Some(h) = hash {
        out.push_str("&h=");
        out.push_str(h);
    }
    if let Some(t) = recorded {
        out.push_str("&t=");
        out.push_str(&base64url_encode(t));
    }
    if let Some(step) = view.step {
        out.push_str(&format!("&step={step}"));
    }
    if let Some(sel) = view.selected {
        out.push_str(&format!("&sel={sel}"));
    }
    if let Some(speed) = view.speed {
        out.push_str(&format!("&speed={speed}"));
    }
    if let Some(theme) = view.theme {
        out.push_str("&theme=");
        out.push_str(theme.as_str());
    }
    if let Some(panels) = view.panels {
        let names: Vec<&str> = panels.list().into_iter().map(Panel::as_str).collect();
        out.push_str("&panels=");
        out.push_str(&names.join(","));
    }
    if let Some((a, b)) = view.range {
        out.push_str(&format!("&range={a}-{b}"));
    }
    if view.autoplay {
        out.push_str("&autoplay=1");
    }
    if let Some(origin) = &view.origin {
        out.push_str("&origin=");
        out.push_str(origin);
    }
    out
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding (RFC 4648 §5).
pub fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(B64[(n >> (18 - 6 * i)) as usize & 63]));
        }
    }
    out
}

/// base64url with or without padding; `None` for anything else.
pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = B64.iter().position(|&b| b == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    // A single leftover character cannot hold a byte.
    (text.len() % 4 != 1).then_some(out)
}

/// Checks an inflated part: the size limit (links §2) and UTF-8.
pub fn text_of(bytes: Vec<u8>, key: &'static str) -> Result<String, LinkError> {
    if bytes.len() > MAX_DECODED_BYTES {
        return Err(LinkError::TooBig(key));
    }
    String::from_utf8(bytes).map_err(|_| LinkError::NotText(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips_every_length() {
        let data: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
        for n in 0..data.len() {
            let text = base64url_encode(&data[..n]);
            assert!(text
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
            assert_eq!(text.len(), (n * 4).div_ceil(3), "no padding");
            assert_eq!(
                base64url_decode(&text).as_deref(),
                Some(&data[..n]),
                "{n} bytes"
            );
        }
        assert_eq!(base64url_encode(b"\xfb\xff"), "-_8");
        assert_eq!(base64url_decode("-_8="), Some(vec![0xfb, 0xff]));
        assert_eq!(base64url_decode("A"), None, "one leftover character");
        assert_eq!(base64url_decode("A+B/"), None, "base64 but not base64url");
    }

    #[test]
    fn a_format_2_link_round_trips_with_every_option() {
        let view = View {
            step: Some(12),
            selected: Some(7),
            speed: Some(25),
            theme: Some(Theme::Dark),
            panels: Some(Panels::of(&[Panel::Recipients, Panel::Diagram])),
            range: Some((10, 20)),
            autoplay: true,
            origin: Some("http://127.0.0.1:8080".into()),
        };
        let text = format(b"\x01\x02\x03", Some("0123456789ab"), Some(b"\x04"), &view);
        assert_eq!(
            text,
            "v=2&s=AQID&h=0123456789ab&t=BA&step=12&sel=7&speed=25&theme=dark&panels=diagram,recipients&range=10-20&autoplay=1&origin=http://127.0.0.1:8080"
        );
        let back = parse(&format!("#{text}")).unwrap().unwrap();
        assert_eq!(back.format, 2);
        assert_eq!(back.scenario, b"\x01\x02\x03");
        assert_eq!(back.recorded.as_deref(), Some(&b"\x04"[..]));
        assert_eq!(back.hash.as_deref(), Some("0123456789ab"));
        assert_eq!(back.view, view);
        // Defaults are left out, and parts may come in any order.
        let plain = format(b"\x01", None, None, &View::default());
        assert_eq!(plain, "v=2&s=AQ");
        let shuffled = parse("step=end&s=AQ&v=2&future=ignored").unwrap().unwrap();
        assert_eq!(shuffled.view, View::default());
    }

    #[test]
    fn a_format_1_link_is_the_scenario_alone() {
        let old = parse("#s=AQID").unwrap().unwrap();
        assert_eq!(old.format, 1);
        assert_eq!(old.scenario, b"\x01\x02\x03");
        assert_eq!(old.hash, None);
        assert_eq!(old.view, View::default());
        // Format 1 predates the other keys: they are not read.
        let odd = parse("#s=AQID&step=oops").unwrap().unwrap();
        assert_eq!(odd.view, View::default());
    }

    #[test]
    fn fragments_without_a_scenario_are_not_links() {
        assert_eq!(parse("#preset=seed"), Ok(None));
        assert_eq!(parse(""), Ok(None));
        assert_eq!(parse("#"), Ok(None));
    }

    #[test]
    fn every_bad_link_says_why() {
        let cases: &[(&str, &str)] = &[
            ("v=3&s=AQ", "newer Spoolscope (link format 3"),
            ("v=0&s=AQ", "`v=0` is not a number"),
            ("v=two&s=AQ", "`v=two` is not a number"),
            ("v=2&s=AQ&s=AQ", "gives `s` twice"),
            ("v=2&s", "has no `=`"),
            ("v=2&s=A+B", "characters that links never use"),
            ("v=2&s=<script>", "characters that links never use"),
            ("v=2&s=A", "not base64url"),
            ("v=2&s=", "damaged or cut short"),
            ("v=2&s=AQ&t=A", "`t` part is not base64url"),
            ("v=2&s=AQ&h=XYZ", "`h=XYZ`"),
            ("v=2&s=AQ&h=0123456789AB", "`h=0123456789AB`"),
            ("v=2&s=AQ&step=-1", "`step=-1`"),
            ("v=2&s=AQ&step=99999999999999999999", "`step=9999"),
            ("v=2&s=AQ&speed=3", "`speed=3`"),
            ("v=2&s=AQ&theme=pink", "`theme=pink`"),
            ("v=2&s=AQ&panels=diagram,ads", "`panels=diagram,ads`"),
            ("v=2&s=AQ&range=9-3", "`range=9-3`"),
            ("v=2&s=AQ&range=3", "`range=3`"),
            ("v=2&s=AQ&autoplay=yes", "`autoplay=yes`"),
            (
                "v=2&s=AQ&origin=javascript:alert(1)",
                "`origin=javascript:alert(1)`",
            ),
            ("v=2&s=AQ&origin=https://a.example/path", "`origin="),
        ];
        for (link, want) in cases {
            match parse(link) {
                Err(e) => assert!(
                    e.to_string().contains(want),
                    "{link}: {e} does not say {want:?}"
                ),
                Ok(f) => panic!("{link} was accepted: {f:?}"),
            }
        }
        let long = format!("v=2&s={}", "A".repeat(MAX_FRAGMENT_CHARS));
        assert!(matches!(parse(&long), Err(LinkError::TooLong(_))));
    }

    #[test]
    fn inflated_parts_are_limited_and_must_be_text() {
        assert_eq!(text_of(b"abc".to_vec(), "s"), Ok("abc".to_string()));
        assert_eq!(
            text_of(vec![b'a'; MAX_DECODED_BYTES + 1], "s"),
            Err(LinkError::TooBig("s"))
        );
        assert_eq!(text_of(vec![0xff, 0xfe], "t"), Err(LinkError::NotText("t")));
    }

    #[test]
    fn no_input_panics() {
        // Every prefix and a sweep of single-byte corruptions of a full link.
        let good = format(
            b"\x01\x02",
            Some("0123456789ab"),
            Some(b"\x03"),
            &View {
                step: Some(3),
                range: Some((1, 2)),
                ..View::default()
            },
        );
        for n in 0..=good.len() {
            let _ = parse(&good[..n]);
        }
        let bytes = good.as_bytes();
        for i in 0..bytes.len() {
            for c in [b'&', b'=', b'#', b'-', b'0', b'z', b' ', b'%'] {
                let mut m = bytes.to_vec();
                m[i] = c;
                let _ = parse(&String::from_utf8_lossy(&m));
            }
        }
    }
}
