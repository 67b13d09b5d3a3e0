//! A JSON reader (RFC 8259) into the span-keeping [`doc`] tree, so JSON scenarios get the
//! same line-and-column messages as TOML ones. Strict: no comments, no trailing commas, no
//! duplicate keys (RFC 8259 §4 leaves those to the reader; a scenario with two `"title"`s is a
//! mistake).

use crate::doc::{Node, ReadError, Table, TableKind, Val};

const MAX_DEPTH: usize = 128;

type R<T> = Result<T, ReadError>;

/// Reads a document whose top level is an object.
pub(crate) fn parse(src: &str) -> R<Table> {
    let mut p = Parser {
        src,
        b: src.as_bytes(),
        i: 0,
        depth: 0,
    };
    if src.starts_with('\u{feff}') {
        p.i = 3;
    }
    p.ws();
    if p.peek() != Some(b'{') {
        return p.err(format!(
            "expected `{{` (a JSON scenario is an object), found {}",
            p.found()
        ));
    }
    let node = p.value()?;
    p.ws();
    if p.peek().is_some() {
        return p.err(format!(
            "unexpected {} after the end of the object",
            p.found()
        ));
    }
    match node.val {
        Val::Table(t) => Ok(t),
        _ => Err(ReadError::new(0, "a JSON scenario is an object")),
    }
}

struct Parser<'a> {
    src: &'a str,
    b: &'a [u8],
    i: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn err<T>(&self, msg: impl Into<String>) -> R<T> {
        Err(ReadError::new(self.i, msg))
    }

    fn found(&self) -> String {
        match self.src[self.i..].chars().next() {
            None => "the end of the text".to_string(),
            Some(c) if c.is_control() => format!("U+{:04X}", c as u32),
            Some(c) => format!("`{c}`"),
        }
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn value(&mut self) -> R<Node> {
        let start = self.i;
        let val = match self.peek() {
            Some(b'{') => self.nested(Self::object)?,
            Some(b'[') => self.nested(Self::array)?,
            Some(b'"') => Val::Str(self.string()?),
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(b't') => self.word("true", Val::Bool(true))?,
            Some(b'f') => self.word("false", Val::Bool(false))?,
            Some(b'n') => self.word("null", Val::Null)?,
            _ => return self.err(format!("expected a value, found {}", self.found())),
        };
        Ok(Node {
            val,
            span: (start, self.i),
        })
    }

    fn nested(&mut self, f: fn(&mut Self) -> R<Val>) -> R<Val> {
        if self.depth >= MAX_DEPTH {
            return self.err(format!(
                "arrays and objects are nested more than {MAX_DEPTH} deep"
            ));
        }
        self.depth += 1;
        let v = f(self);
        self.depth -= 1;
        v
    }

    fn word(&mut self, w: &str, v: Val) -> R<Val> {
        if self.src[self.i..].starts_with(w) {
            self.i += w.len();
            Ok(v)
        } else {
            self.err(format!("expected a value, found {}", self.found()))
        }
    }

    fn object(&mut self) -> R<Val> {
        self.i += 1;
        let mut t = Table::new(TableKind::Inline);
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(Val::Table(t));
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return self.err(format!("expected a key in quotes, found {}", self.found()));
            }
            let ks = self.i;
            let key = self.string()?;
            let key_span = (ks, self.i);
            if t.position(&key).is_some() {
                return Err(ReadError::new(ks, format!("key \"{key}\" appears twice")));
            }
            self.ws();
            if self.peek() != Some(b':') {
                return self.err(format!(
                    "expected `:` after the key, found {}",
                    self.found()
                ));
            }
            self.i += 1;
            self.ws();
            let node = self.value()?;
            t.push(key, key_span, node);
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Val::Table(t));
                }
                _ => return self.err(format!("expected `,` or `}}`, found {}", self.found())),
            }
        }
    }

    fn array(&mut self) -> R<Val> {
        self.i += 1;
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(Val::Array(items));
        }
        loop {
            self.ws();
            items.push(self.value()?);
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(Val::Array(items));
                }
                _ => return self.err(format!("expected `,` or `]`, found {}", self.found())),
            }
        }
    }

    fn hex4(&mut self) -> R<u32> {
        let hex = self.src.get(self.i..self.i + 4).unwrap_or("");
        if hex.len() != 4 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return self.err("`\\u` needs four hex digits");
        }
        self.i += 4;
        Ok(u32::from_str_radix(hex, 16).unwrap_or(0))
    }

    fn string(&mut self) -> R<String> {
        self.i += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.src[self.i..].chars().next() else {
                return self.err("this string is not closed");
            };
            match c {
                '"' => {
                    self.i += 1;
                    return Ok(out);
                }
                '\\' => {
                    let at = self.i;
                    self.i += 1;
                    let e = self.peek();
                    self.i += 1;
                    out.push(match e {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                // A surrogate pair: `\uD83D\uDE00`.
                                if !self.src[self.i..].starts_with("\\u") {
                                    return Err(ReadError::new(at, "a high surrogate must be followed by `\\u` and a low surrogate"));
                                }
                                self.i += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(ReadError::new(at, "a high surrogate must be followed by a low surrogate"));
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            match char::from_u32(code) {
                                Some(c) => c,
                                None => return Err(ReadError::new(at, "a lone low surrogate is not a character")),
                            }
                        }
                        _ => return Err(ReadError::new(at, "unknown escape; JSON has \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX")),
                    });
                }
                c if (c as u32) < 0x20 => {
                    return self
                        .err("control characters (a newline too) must be escaped in a JSON string")
                }
                c => {
                    out.push(c);
                    self.i += c.len_utf8();
                }
            }
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`; integral numbers that fit are
    /// integers.
    fn number(&mut self) -> R<Val> {
        let start = self.i;
        let digits = |p: &mut Self| {
            let s = p.i;
            while p.peek().is_some_and(|c| c.is_ascii_digit()) {
                p.i += 1;
            }
            p.i - s
        };
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let int_start = self.i;
        let n = digits(self);
        if n == 0 || (n > 1 && self.b[int_start] == b'0') {
            return Err(ReadError::new(
                start,
                "a JSON number needs digits and no leading zero",
            ));
        }
        let mut integral = true;
        if self.peek() == Some(b'.') {
            self.i += 1;
            integral = false;
            if digits(self) == 0 {
                return self.err("digits are needed after `.`");
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            integral = false;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return self.err("digits are needed in the exponent");
            }
        }
        let text = &self.src[start..self.i];
        if integral {
            // Like TOML, and unlike serde_json (u64, then f64): no scenario field takes a
            // larger integer, and "found a float" would be a confusing way to say so.
            return match text.parse::<i64>() {
                Ok(v) => Ok(Val::Int(v)),
                Err(_) => Err(ReadError::new(
                    start,
                    format!("{text} does not fit in a 64-bit integer"),
                )),
            };
        }
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Val::Float(v)),
            _ => Err(ReadError::new(start, format!("{text} is out of range"))),
        }
    }
}

#[cfg(test)]
mod tests {
    //! The reader against serde_json: same acceptance (but for the documented strictness:
    //! an object at the top, no duplicate keys), same values.

    use super::*;
    use serde_json::Value;

    fn conv(n: &Node) -> Value {
        match &n.val {
            Val::Str(s) => Value::String(s.clone()),
            Val::Int(i) => Value::from(*i),
            Val::Float(f) => Value::from(*f),
            Val::Bool(b) => Value::Bool(*b),
            Val::Null => Value::Null,
            Val::Array(items) => Value::Array(items.iter().map(conv).collect()),
            Val::Table(t) => Value::Object(
                t.entries
                    .iter()
                    .map(|e| (e.key.clone(), conv(&e.node)))
                    .collect(),
            ),
            Val::Datetime(_) | Val::TableArray(_) => unreachable!("not JSON"),
        }
    }

    /// Numbers compared as f64 (serde_json keeps u64 above i64::MAX as integers).
    fn same(a: &Value, b: &Value) -> bool {
        match (a, b) {
            // serde_json's default float parsing may be one ulp off; ours is exact.
            (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
                (Some(x), Some(y)) => x == y || ((x - y) / x).abs() < 1e-15,
                _ => false,
            },
            (Value::Array(x), Value::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
            }
            (Value::Object(x), Value::Object(y)) => {
                x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
            }
            _ => a == b,
        }
    }

    fn check(src: &str) {
        let theirs = serde_json::from_str::<Value>(src);
        let ours = parse(src);
        match (&ours, &theirs) {
            (Ok(t), Ok(v)) => {
                let n = Node {
                    val: Val::Table(t.clone()),
                    span: (0, 0),
                };
                assert!(same(&conv(&n), v), "values differ for {src:?}");
            }
            (Err(_), Err(_)) => {}
            (Ok(_), Err(e)) => panic!("we accept what serde_json rejects ({e}): {src:?}"),
            (Err(e), Ok(v)) => assert!(
                !v.is_object() || e.message.contains("twice") || e.message.contains("64-bit"),
                "we reject what serde_json accepts ({e:?}): {src:?}"
            ),
        }
    }

    const VALID: &[&str] = &[
        "{}",
        " {\"version\": 1, \"title\": \"t\"} ",
        "{\"a\": [1, -2, 3.5, -0.25e-3, 1E+2, 0, -0, 9223372036854775807, 1.2345678901234567890e19], \"b\": [true, false, null]}",
        "{\"s\": \"esc \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\ud83d\\ude00 é😀\"}",
        "{\"nested\": {\"x\": {\"y\": [[], [{}], {\"z\": \"\"}]}}}",
        "{\"message\": [{\"id\": \"m1\", \"recipients\": [{\"address\": \"a@x\", \"type\": \"SMTP\"}]}]}",
    ];

    const INVALID: &[&str] = &[
        "",
        "[]",
        "1",
        "{",
        "{\"a\"}",
        "{\"a\": }",
        "{\"a\": 1,}",
        "{a: 1}",
        "{'a': 1}",
        "{\"a\": 01}",
        "{\"a\": 1.}",
        "{\"a\": .5}",
        "{\"a\": +1}",
        "{\"a\": 1e}",
        "{\"a\": NaN}",
        "{\"a\": \"\\x41\"}",
        "{\"a\": \"\\ud800\"}",
        "{\"a\": \"\\udc00\"}",
        "{\"a\": \"tab\there\"}",
        "{\"a\": tru}",
        "{\"a\": 1} x",
        "{\"a\": 1, \"a\": 2}",
        "{\"a\": [1 2]}",
        "{\"a\": 1e999}",
        "{\"a\": 12345678901234567890}",
        "{\"a\": // comment\n 1}",
    ];

    #[test]
    fn valid_documents_match_serde_json() {
        for src in VALID {
            assert!(parse(src).is_ok(), "{src:?}: {:?}", parse(src));
            check(src);
        }
    }

    #[test]
    fn invalid_documents_are_refused() {
        for src in INVALID {
            assert!(parse(src).is_err(), "we accept {src:?}");
            check(src);
        }
    }

    #[test]
    fn mutations_agree_with_serde_json() {
        let alphabet: &[u8] = b" \n{}[]:,\"\\/0123456789.-+eEtrufalsnbu";
        let variants = crate::doc::mutations(VALID, alphabet, 600, 0x9e37_79b9_7f4a_7c15);
        for s in &variants {
            check(s);
        }
        assert!(
            variants.len() > 3_000,
            "only {} mutations checked",
            variants.len()
        );
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        assert!(parse("\u{feff}{\"a\": 1}").is_ok());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let src = format!("{{\"a\": {}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse(&src).unwrap_err().message.contains("nested"));
    }
}
