//! A TOML 1.1 reader (<https://toml.io/en/v1.1.0>, what the `toml` crate reads) into the
//! span-keeping [`doc`](crate::doc) tree.
//!
//! Complete for the syntax: bare, quoted and dotted keys; the four string forms with every
//! escape and the line-ending backslash; decimal, hex, octal and binary integers; floats with
//! `inf`/`nan`; booleans; dates and times (kept as text); arrays; inline tables; `[table]` and
//! `[[array of tables]]` headers with TOML's rules on defining a table only once. TOML 1.1's
//! additions are in: `\e` and `\xHH`, inline tables over several lines with comments and a
//! trailing comma, times without seconds. The tests
//! compare it with the `toml` crate on valid and invalid documents.

use crate::doc::{Node, ReadError, Span, Table, TableKind, Val};

/// The `toml` crate's limits, so that both accept the same documents: a key has at most this
/// many parts, and arrays and inline tables nest at most this deep.
const MAX_KEY_PARTS: usize = 80;
const MAX_NESTING: usize = 80;
/// And one of Spoolscope's own: the tree is at most this deep however it was built (keys
/// inside inline tables inside arrays …), so no recursion over it overflows the page's stack.
const MAX_TREE_DEPTH: usize = 400;

type R<T> = Result<T, ReadError>;

/// Reads a whole document into its root table.
pub(crate) fn parse(src: &str) -> R<Table> {
    let mut p = Parser {
        src,
        b: src.as_bytes(),
        i: 0,
        level: 0,
        nesting: 0,
    };
    if src.starts_with('\u{feff}') {
        p.i = 3;
    }
    let mut root = Table::new(TableKind::Implicit);
    // Entry positions leading to the current `[table]` (for `[[x]]`, x's last element): no
    // key lookups per line.
    let mut current: Vec<usize> = Vec::new();
    loop {
        p.ws();
        match p.peek() {
            None => break,
            Some(b'#') | Some(b'\n') | Some(b'\r') => {}
            Some(b'[') => current = p.header(&mut root)?,
            Some(_) => {
                let Some(table) = walk(&mut root, &current) else {
                    return p.err("internal error: the reader lost its current table");
                };
                p.level = current.len();
                p.keyval(table, false)?;
            }
        }
        p.line_end()?;
    }
    Ok(root)
}

/// The table at `path` (entry positions), which `header` has already created; an array of
/// tables leads to its last element.
/// (`None` cannot happen: entries are only ever appended.)
fn walk<'t>(mut t: &'t mut Table, path: &[usize]) -> Option<&'t mut Table> {
    for &i in path {
        t = table_in(&mut t.entries.get_mut(i)?.node)?;
    }
    Some(t)
}

/// The table a node is, or the last element of an array of tables.
fn table_in(node: &mut Node) -> Option<&mut Table> {
    match &mut node.val {
        Val::Table(t) => Some(t),
        Val::TableArray(items) => match &mut items.last_mut()?.val {
            Val::Table(t) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

struct Parser<'a> {
    src: &'a str,
    b: &'a [u8],
    i: usize,
    /// Tree depth of the table being filled (the root is 0).
    level: usize,
    /// Arrays and inline tables open around the current value.
    nesting: usize,
}

fn is_bare(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// Control characters TOML allows nowhere except as escapes (tab is fine).
fn is_control(c: char) -> bool {
    (c < ' ' && c != '\t') || c == '\u{7f}'
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn peek_at(&self, k: usize) -> Option<u8> {
        self.b.get(self.i + k).copied()
    }

    fn rest(&self) -> &'a str {
        &self.src[self.i..]
    }

    fn err<T>(&self, msg: impl Into<String>) -> R<T> {
        Err(ReadError::new(self.i, msg))
    }

    fn found(&self) -> String {
        match self.rest().chars().next() {
            None => "the end of the text".to_string(),
            Some('\n') | Some('\r') => "the end of the line".to_string(),
            Some(c) => format!("`{c}`"),
        }
    }

    /// Spaces and tabs.
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ') | Some(b'\t')) {
            self.i += 1;
        }
    }

    /// A newline (LF or CRLF), if one is next.
    fn newline(&mut self) -> R<bool> {
        match self.peek() {
            Some(b'\n') => {
                self.i += 1;
                Ok(true)
            }
            Some(b'\r') if self.peek_at(1) == Some(b'\n') => {
                self.i += 2;
                Ok(true)
            }
            Some(b'\r') => self.err("a carriage return must be followed by a line feed"),
            _ => Ok(false),
        }
    }

    fn comment(&mut self) -> R<()> {
        if self.peek() != Some(b'#') {
            return Ok(());
        }
        self.i += 1;
        while let Some(c) = self.rest().chars().next() {
            if c == '\n' || (c == '\r' && self.peek_at(1) == Some(b'\n')) {
                break;
            }
            if is_control(c) {
                return self.err("control characters are not allowed in a comment");
            }
            self.i += c.len_utf8();
        }
        Ok(())
    }

    /// After an expression: optional spaces and comment, then a newline or the end.
    fn line_end(&mut self) -> R<()> {
        self.ws();
        self.comment()?;
        if self.peek().is_none() || self.newline()? {
            return Ok(());
        }
        self.err(format!(
            "expected the end of the line, found {}",
            self.found()
        ))
    }

    /// Spaces, tabs, newlines and comments (inside arrays).
    fn ws_lines(&mut self) -> R<()> {
        loop {
            self.ws();
            self.comment()?;
            if !self.newline()? {
                return Ok(());
            }
        }
    }

    // --- keys --------------------------------------------------------------------------

    fn simple_key(&mut self) -> R<(String, Span)> {
        let start = self.i;
        let key = match self.peek() {
            Some(b'"') => {
                if self.rest().starts_with("\"\"\"") {
                    return self.err("a key cannot be a multi-line string");
                }
                self.basic_string()?
            }
            Some(b'\'') => {
                if self.rest().starts_with("'''") {
                    return self.err("a key cannot be a multi-line string");
                }
                self.literal_string()?
            }
            Some(c) if is_bare(c) => {
                while self.peek().is_some_and(is_bare) {
                    self.i += 1;
                }
                self.src[start..self.i].to_string()
            }
            _ => return self.err(format!("expected a key, found {}", self.found())),
        };
        Ok((key, (start, self.i)))
    }

    /// `a`, `"a b"`, `a.b.c` (spaces allowed around the dots).
    fn key(&mut self) -> R<Vec<(String, Span)>> {
        let mut parts = vec![self.simple_key()?];
        loop {
            let save = self.i;
            self.ws();
            if self.peek() != Some(b'.') {
                self.i = save;
                return Ok(parts);
            }
            self.i += 1;
            self.ws();
            if parts.len() == MAX_KEY_PARTS {
                return self.err(format!("a key may have at most {MAX_KEY_PARTS} parts"));
            }
            parts.push(self.simple_key()?);
        }
    }

    // --- expressions -------------------------------------------------------------------

    /// `key = value` into `table`. Inside an inline table (`lines`), newlines may surround
    /// the `=`, as the `toml` crate allows.
    fn keyval(&mut self, table: &mut Table, lines: bool) -> R<()> {
        let start = self.i;
        let key = self.key()?;
        if self.level + key.len() > MAX_TREE_DEPTH {
            return Err(ReadError::new(
                start,
                format!("tables are nested more than {MAX_TREE_DEPTH} deep here"),
            ));
        }
        let gap = |p: &mut Self| {
            if lines {
                p.ws_lines()
            } else {
                p.ws();
                Ok(())
            }
        };
        gap(self)?;
        if self.peek() != Some(b'=') {
            return self.err(format!(
                "expected `=` after the key, found {}",
                self.found()
            ));
        }
        self.i += 1;
        gap(self)?;
        let saved = self.level;
        self.level += key.len();
        let value = self.value();
        self.level = saved;
        insert_dotted(table, key, value?)
    }

    /// `[a.b]` or `[[a.b]]`; returns the new current path.
    /// `[a.b]` or `[[a.b]]`; returns the entry positions leading to the new current table.
    fn header(&mut self, root: &mut Table) -> R<Vec<usize>> {
        let start = self.i;
        let array = self.rest().starts_with("[[");
        self.i += if array { 2 } else { 1 };
        self.ws();
        let key = self.key()?;
        self.ws();
        let close = if array { "]]" } else { "]" };
        if !self.rest().starts_with(close) {
            return self.err(format!(
                "expected `{close}` to close the table header, found {}",
                self.found()
            ));
        }
        self.i += close.len();
        let span = (start, self.i);
        let name = key
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<Vec<_>>()
            .join(".");
        let Some((last, parents)) = key.split_last() else {
            return self.err("expected a key");
        };
        let mut path = Vec::with_capacity(key.len());
        let mut t = root;
        for (k, ks) in parents {
            let i = match t.position(k) {
                Some(i) => i,
                None => {
                    let node = Node {
                        val: Val::Table(Table::new(TableKind::Implicit)),
                        span: *ks,
                    };
                    t.push(k.clone(), *ks, node)
                }
            };
            path.push(i);
            match &t.entries[i].node.val {
                Val::Table(next) if next.kind == TableKind::Inline => {
                    return Err(ReadError::new(
                        ks.0,
                        format!("`{k}` is an inline table; it cannot be extended"),
                    ))
                }
                Val::Table(_) | Val::TableArray(_) => {}
                other => {
                    return Err(ReadError::new(
                        ks.0,
                        format!("`{k}` is already {}, not a table", other.describe()),
                    ))
                }
            }
            t = table_in(&mut t.entries[i].node)
                .ok_or_else(|| ReadError::new(ks.0, format!("`{k}` is not a table")))?;
        }
        let (k, ks) = last;
        let new_table = || Node {
            val: Val::Table(Table::new(TableKind::Header)),
            span,
        };
        match t.position(k) {
            None if array => {
                path.push(t.push(
                    k.clone(),
                    *ks,
                    Node {
                        val: Val::TableArray(vec![new_table()]),
                        span,
                    },
                ));
            }
            None => {
                path.push(t.push(k.clone(), *ks, new_table()));
            }
            Some(i) => {
                path.push(i);
                let node = &mut t.entries[i].node;
                match (&mut node.val, array) {
                    (Val::TableArray(items), true) => items.push(new_table()),
                    (Val::Table(existing), false) if existing.kind == TableKind::Implicit => {
                        existing.kind = TableKind::Header;
                        node.span = span;
                    }
                    (Val::Table(existing), false) if existing.kind == TableKind::Header => {
                        return Err(ReadError::new(
                            start,
                            format!("table [{name}] is defined twice"),
                        ))
                    }
                    (Val::Table(_), false) => {
                        return Err(ReadError::new(
                            start,
                            format!(
                            "table `{name}` is already defined by a dotted key or an inline table"
                        ),
                        ))
                    }
                    (Val::Table(_), true) => {
                        return Err(ReadError::new(
                            start,
                            format!("`{name}` is already a table, not an array of tables"),
                        ))
                    }
                    (Val::TableArray(_), false) => {
                        return Err(ReadError::new(
                            start,
                            format!(
                            "`{name}` is an array of tables; write [[{name}]] to add an element"
                        ),
                        ))
                    }
                    (other, _) => {
                        return Err(ReadError::new(
                            start,
                            format!("`{name}` is already {}", other.describe()),
                        ))
                    }
                }
            }
        }
        Ok(path)
    }

    // --- values ------------------------------------------------------------------------

    fn value(&mut self) -> R<Node> {
        let start = self.i;
        let val = match self.peek() {
            Some(b'"') if self.rest().starts_with("\"\"\"") => Val::Str(self.ml_string(true)?),
            Some(b'"') => Val::Str(self.basic_string()?),
            Some(b'\'') if self.rest().starts_with("'''") => Val::Str(self.ml_string(false)?),
            Some(b'\'') => Val::Str(self.literal_string()?),
            Some(b'[') => self.nested(Self::array, true)?,
            Some(b'{') => self.nested(Self::inline_table, false)?,
            Some(_) => self.scalar()?,
            None => return self.err("expected a value, found the end of the text"),
        };
        Ok(Node {
            val,
            span: (start, self.i),
        })
    }

    /// An array (`deeper`: its elements are one level down the tree) or an inline table (its
    /// keys count their own levels).
    fn nested(&mut self, f: fn(&mut Self) -> R<Val>, deeper: bool) -> R<Val> {
        if self.nesting >= MAX_NESTING {
            return self.err(format!(
                "arrays and inline tables are nested more than {MAX_NESTING} deep"
            ));
        }
        if self.level >= MAX_TREE_DEPTH {
            return self.err(format!(
                "tables are nested more than {MAX_TREE_DEPTH} deep here"
            ));
        }
        let level = self.level;
        self.nesting += 1;
        self.level += usize::from(deeper);
        let v = f(self);
        self.nesting -= 1;
        self.level = level;
        v
    }

    fn array(&mut self) -> R<Val> {
        self.i += 1;
        let mut items = Vec::new();
        loop {
            self.ws_lines()?;
            if self.peek() == Some(b']') {
                self.i += 1;
                return Ok(Val::Array(items));
            }
            items.push(self.value()?);
            self.ws_lines()?;
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(Val::Array(items));
                }
                _ => {
                    return self.err(format!(
                        "expected `,` or `]` in the array, found {}",
                        self.found()
                    ))
                }
            }
        }
    }

    /// `{ k = v, ... }`; TOML 1.1 allows newlines, comments and a trailing comma inside.
    fn inline_table(&mut self) -> R<Val> {
        self.i += 1;
        let mut t = Table::new(TableKind::Inline);
        loop {
            self.ws_lines()?;
            if self.peek() == Some(b'}') {
                self.i += 1;
                freeze(&mut t);
                return Ok(Val::Table(t));
            }
            self.keyval(&mut t, true)?;
            self.ws_lines()?;
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    freeze(&mut t);
                    return Ok(Val::Table(t));
                }
                _ => {
                    return self.err(format!(
                        "expected `,` or `}}` in the inline table, found {}",
                        self.found()
                    ))
                }
            }
        }
    }

    /// An escape after `\` in a basic string; `None` for the line-ending backslash.
    fn escape(&mut self, multiline: bool) -> R<Option<char>> {
        let at = self.i;
        self.i += 1; // the backslash
        let c = match self.peek() {
            Some(b'b') => '\u{8}',
            Some(b't') => '\t',
            Some(b'n') => '\n',
            Some(b'f') => '\u{c}',
            Some(b'r') => '\r',
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'e') => '\u{1b}',
            Some(b'x') | Some(b'u') | Some(b'U') => {
                let n = match self.peek() {
                    Some(b'x') => 2,
                    Some(b'u') => 4,
                    _ => 8,
                };
                let hex = self.src.get(self.i + 1..self.i + 1 + n).unwrap_or("");
                let code = (hex.len() == n && hex.bytes().all(|b| b.is_ascii_hexdigit()))
                    .then(|| u32::from_str_radix(hex, 16).ok())
                    .flatten();
                let Some(c) = code.and_then(char::from_u32) else {
                    return Err(ReadError::new(
                        at,
                        format!(
                            "`\\{}` needs {n} hex digits naming a Unicode scalar value",
                            self.b[self.i] as char
                        ),
                    ));
                };
                self.i += 1 + n;
                return Ok(Some(c));
            }
            Some(b' ') | Some(b'\t') | Some(b'\n') | Some(b'\r') if multiline => {
                // Line-ending backslash: only spaces may follow it on its line.
                self.ws();
                if !self.newline()? {
                    return Err(ReadError::new(
                        at,
                        "a backslash followed by spaces must end the line",
                    ));
                }
                loop {
                    self.ws();
                    if !self.newline()? {
                        return Ok(None);
                    }
                }
            }
            _ => {
                return Err(ReadError::new(
                    at,
                    format!(
                        "unknown escape `\\{}`",
                        self.rest().chars().next().unwrap_or(' ')
                    ),
                ))
            }
        };
        self.i += 1;
        Ok(Some(c))
    }

    fn basic_string(&mut self) -> R<String> {
        self.i += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.rest().chars().next() else {
                return self.err("this string is not closed");
            };
            match c {
                '"' => {
                    self.i += 1;
                    return Ok(out);
                }
                '\\' => out.extend(self.escape(false)?),
                '\n' | '\r' => {
                    return self.err("this string is not closed before the end of the line")
                }
                c if is_control(c) => {
                    return self.err("control characters must be escaped in a string")
                }
                c => {
                    out.push(c);
                    self.i += c.len_utf8();
                }
            }
        }
    }

    fn literal_string(&mut self) -> R<String> {
        self.i += 1;
        let start = self.i;
        loop {
            match self.rest().chars().next() {
                None => return self.err("this string is not closed"),
                Some('\'') => {
                    self.i += 1;
                    return Ok(self.src[start..self.i - 1].to_string());
                }
                Some('\n') | Some('\r') => {
                    return self.err("this string is not closed before the end of the line")
                }
                Some(c) if is_control(c) => {
                    return self.err("control characters are not allowed in a literal string")
                }
                Some(c) => self.i += c.len_utf8(),
            }
        }
    }

    /// After the opening delimiter of a multi-line string: a newline right there is dropped.
    fn skip_first_newline(&mut self) -> R<()> {
        self.newline().map(|_| ())
    }

    /// At a run of `q` quotes inside a multi-line string: how many belong to the text, and
    /// whether the string ends here (TOML allows up to two quotes before the closing three).
    fn closing(&mut self, q: u8) -> R<Option<usize>> {
        let run = self.b[self.i..].iter().take_while(|&&b| b == q).count();
        if run < 3 {
            return Ok(None);
        }
        if run > 5 {
            return self.err("too many quotes at the end of a multi-line string");
        }
        Ok(Some(run - 3))
    }

    /// A multi-line string after `"""` (`basic`: escapes apply) or `'''` (literal).
    fn ml_string(&mut self, basic: bool) -> R<String> {
        let quote = if basic { '"' } else { '\'' };
        self.i += 3;
        self.skip_first_newline()?;
        let mut out = String::new();
        loop {
            let Some(c) = self.rest().chars().next() else {
                return self.err("this multi-line string is not closed");
            };
            match c {
                c if c == quote => {
                    if let Some(extra) = self.closing(quote as u8)? {
                        out.extend(std::iter::repeat_n(quote, extra));
                        self.i += extra + 3;
                        return Ok(out);
                    }
                    out.push(quote);
                    self.i += 1;
                }
                '\\' if basic => out.extend(self.escape(true)?),
                '\n' => {
                    out.push('\n');
                    self.i += 1;
                }
                '\r' => {
                    self.newline()?;
                    out.push_str("\r\n");
                }
                c if is_control(c) => {
                    return self.err(if basic {
                        "control characters must be escaped in a string"
                    } else {
                        "control characters are not allowed in a literal string"
                    })
                }
                c => {
                    out.push(c);
                    self.i += c.len_utf8();
                }
            }
        }
    }

    /// Booleans, numbers, dates and times: one token up to the next separator.
    fn scalar(&mut self) -> R<Val> {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || b"+-._:".contains(&c))
        {
            self.i += 1;
        }
        // A date-time may separate its date and time with a space: `1979-05-27 07:32:00`.
        if is_date(&self.src[start..self.i])
            && self.peek() == Some(b' ')
            && self
                .b
                .get(self.i + 1..self.i + 4)
                .is_some_and(|t| t[0].is_ascii_digit() && t[1].is_ascii_digit() && t[2] == b':')
        {
            self.i += 1;
            while self
                .peek()
                .is_some_and(|c| c.is_ascii_alphanumeric() || b"+-.:".contains(&c))
            {
                self.i += 1;
            }
        }
        let tok = &self.src[start..self.i];
        if tok.is_empty() {
            return self.err(format!("expected a value, found {}", self.found()));
        }
        let bad = |what: &str| Err(ReadError::new(start, format!("`{tok}` is not {what}")));
        match tok {
            "true" => return Ok(Val::Bool(true)),
            "false" => return Ok(Val::Bool(false)),
            "inf" | "+inf" => return Ok(Val::Float(f64::INFINITY)),
            "-inf" => return Ok(Val::Float(f64::NEG_INFINITY)),
            "nan" | "+nan" | "-nan" => return Ok(Val::Float(f64::NAN)),
            _ => {}
        }
        if tok.as_bytes()[0].is_ascii_alphabetic() {
            return Err(ReadError::new(
                start,
                format!("`{tok}` is not a value (a string needs quotes)"),
            ));
        }
        if tok.contains(':') || is_date(tok) {
            return if is_datetime(tok) {
                Ok(Val::Datetime(tok.to_string()))
            } else {
                bad("a valid date or time")
            };
        }
        let body = tok.strip_prefix(['+', '-']).unwrap_or(tok);
        if let Some((radix, digits)) = ["0x", "0o", "0b"]
            .iter()
            .zip([16, 8, 2])
            .find_map(|(p, r)| body.strip_prefix(p).map(|d| (r, d)))
        {
            if body.len() != tok.len() {
                return bad("an integer (hex, octal and binary integers take no sign)");
            }
            if !underscores_ok(digits, |c| c.is_digit(radix)) {
                return bad("an integer");
            }
            let clean: String = digits.chars().filter(|&c| c != '_').collect();
            return match i64::from_str_radix(&clean, radix) {
                Ok(v) => Ok(Val::Int(v)),
                Err(_) => Err(ReadError::new(
                    start,
                    format!("`{tok}` does not fit in a 64-bit integer"),
                )),
            };
        }
        // Decimal integer or float: int part [. frac] [e exp].
        let (int_part, rest) = body.split_at(body.find(['.', 'e', 'E']).unwrap_or(body.len()));
        let digit = |c: char| c.is_ascii_digit();
        if !underscores_ok(int_part, digit) || (int_part.len() > 1 && int_part.starts_with('0')) {
            return bad("a number (no leading zeros; `_` only between digits)");
        }
        if rest.is_empty() {
            let clean: String = tok.chars().filter(|&c| c != '_' && c != '+').collect();
            return match clean.parse::<i64>() {
                Ok(v) => Ok(Val::Int(v)),
                Err(_) => Err(ReadError::new(
                    start,
                    format!("`{tok}` does not fit in a 64-bit integer"),
                )),
            };
        }
        let (frac, exp) = match rest.strip_prefix('.') {
            Some(r) => {
                let e = r.find(['e', 'E']).unwrap_or(r.len());
                (Some(&r[..e]), &r[e..])
            }
            None => (None, rest),
        };
        if frac.is_some_and(|f| !underscores_ok(f, digit)) {
            return bad("a number (digits needed after `.`)");
        }
        if !exp.is_empty() {
            let e = &exp[1..];
            let e = e.strip_prefix(['+', '-']).unwrap_or(e);
            if !underscores_ok(e, digit) {
                return bad("a number (digits needed in the exponent)");
            }
        }
        let clean: String = tok.chars().filter(|&c| c != '_').collect();
        match clean.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Val::Float(v)),
            Ok(_) => Err(ReadError::new(
                start,
                format!("`{tok}` is too large for a float"),
            )),
            Err(_) => bad("a number"),
        }
    }
}

/// Digits with `_` only between two digits; at least one digit.
fn underscores_ok(s: &str, digit: impl Fn(char) -> bool) -> bool {
    let b = s.as_bytes();
    !s.is_empty()
        && s.chars().all(|c| c == '_' || digit(c))
        && b[0] != b'_'
        && b[b.len() - 1] != b'_'
        && !s.contains("__")
}

fn digits(s: &str, n: usize) -> Option<u32> {
    (s.len() == n && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
}

/// `YYYY-MM-DD`, a day that exists.
fn is_date(s: &str) -> bool {
    let d = |a, b| s.get(a..b).and_then(|x| digits(x, b - a));
    let (Some(y), Some(m), Some(day)) = (d(0, 4), d(5, 7), d(8, 10)) else {
        return false;
    };
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    s.len() == 10 && &s[4..5] == "-" && &s[7..8] == "-" && (1..=days).contains(&day)
}

/// `HH:MM[:SS[.frac]]` (seconds optional since TOML 1.1).
fn is_time(s: &str) -> bool {
    let d = |a, b| s.get(a..b).and_then(|x| digits(x, b - a));
    let hm = s.get(2..3) == Some(":")
        && d(0, 2).is_some_and(|h| h < 24)
        && d(3, 5).is_some_and(|m| m < 60);
    let rest = match s.get(5..) {
        Some("") => return hm,
        Some(r) => r,
        None => return false,
    };
    let frac_ok = match rest.get(3..) {
        Some("") => true,
        Some(f) => f.len() > 1 && f.starts_with('.') && f[1..].bytes().all(|b| b.is_ascii_digit()),
        None => false,
    };
    hm && rest.starts_with(':') && d(6, 8).is_some_and(|sec| sec <= 60) && frac_ok
}

/// A local time, a local date, or a date-time with an optional offset (RFC 3339).
fn is_datetime(s: &str) -> bool {
    if is_time(s) || is_date(s) {
        return true;
    }
    if s.len() < 16 || !is_date(&s[..10]) || !matches!(&s[10..11], "T" | "t" | " ") {
        return false;
    }
    let t = &s[11..];
    if let Some(time) = t.strip_suffix(['Z', 'z']) {
        return is_time(time);
    }
    match t.len().checked_sub(6).filter(|&k| k >= 5) {
        Some(k) if matches!(&t[k..k + 1], "+" | "-") => {
            let off = &t[k + 1..];
            is_time(&t[..k])
                && off.get(2..3) == Some(":")
                && digits(&off[..2], 2).is_some_and(|h| h < 24)
                && digits(&off[3..], 2).is_some_and(|m| m < 60)
        }
        _ => is_time(t),
    }
}

/// Every table inside an inline table is complete as written.
fn freeze(t: &mut Table) {
    t.kind = TableKind::Inline;
    for e in &mut t.entries {
        if let Val::Table(inner) = &mut e.node.val {
            freeze(inner);
        }
    }
}

/// `a.b.c = value` into `table`: `a` and `b` are tables made (or extended) by dotted keys.
fn insert_dotted(mut table: &mut Table, mut key: Vec<(String, Span)>, value: Node) -> R<()> {
    let Some((k, ks)) = key.pop() else {
        return Ok(()); // `key()` always has a part
    };
    for (p, ps) in key {
        let i = match table.position(&p) {
            Some(i) => i,
            None => table.push(
                p.clone(),
                ps,
                Node {
                    val: Val::Table(Table::new(TableKind::Dotted)),
                    span: ps,
                },
            ),
        };
        match &mut table.entries[i].node.val {
            Val::Table(t) if t.kind == TableKind::Dotted => {}
            // A table only named on the way to a deeper header: dotted keys may define it
            // (then no header can), as the `toml` crate reads it.
            Val::Table(t) if t.kind == TableKind::Implicit => t.kind = TableKind::Dotted,
            Val::Table(_) => {
                return Err(ReadError::new(
                    ps.0,
                    format!("table `{p}` is already defined; dotted keys cannot add to it here"),
                ))
            }
            other => {
                return Err(ReadError::new(
                    ps.0,
                    format!("`{p}` is already {}, not a table", other.describe()),
                ))
            }
        };
        table = table_in(&mut table.entries[i].node)
            .ok_or_else(|| ReadError::new(ps.0, format!("`{p}` is not a table")))?;
    }
    if table.position(&k).is_some() {
        return Err(ReadError::new(ks.0, format!("key `{k}` is defined twice")));
    }
    table.push(k, ks, value);
    Ok(())
}

#[cfg(test)]
mod tests {
    //! The reader against the `toml` crate: same acceptance, same values.

    use super::*;

    /// The document as a `toml::Value`, dates compared as "some date".
    fn ours(src: &str) -> Result<toml::Value, ReadError> {
        fn conv(n: &Node) -> toml::Value {
            match &n.val {
                Val::Str(s) => toml::Value::String(s.clone()),
                Val::Int(i) => toml::Value::Integer(*i),
                Val::Float(f) => toml::Value::Float(*f),
                Val::Bool(b) => toml::Value::Boolean(*b),
                Val::Null => unreachable!("TOML has no null"),
                Val::Datetime(_) => toml::Value::String("<datetime>".into()),
                Val::Array(items) | Val::TableArray(items) => {
                    toml::Value::Array(items.iter().map(conv).collect())
                }
                Val::Table(t) => table(t),
            }
        }
        fn table(t: &Table) -> toml::Value {
            toml::Value::Table(
                t.entries
                    .iter()
                    .map(|e| (e.key.clone(), conv(&e.node)))
                    .collect(),
            )
        }
        parse(src).map(|t| table(&t))
    }

    fn theirs(src: &str) -> Result<toml::Value, String> {
        fn norm(v: toml::Value) -> toml::Value {
            match v {
                toml::Value::Datetime(_) => toml::Value::String("<datetime>".into()),
                toml::Value::Array(a) => toml::Value::Array(a.into_iter().map(norm).collect()),
                toml::Value::Table(t) => {
                    toml::Value::Table(t.into_iter().map(|(k, v)| (k, norm(v))).collect())
                }
                v => v,
            }
        }
        src.parse::<toml::Table>()
            .map(|t| norm(toml::Value::Table(t)))
            .map_err(|e| e.to_string())
    }

    /// NaN != NaN; compare through the text form.
    fn same(a: &toml::Value, b: &toml::Value) -> bool {
        format!("{a:?}") == format!("{b:?}")
    }

    fn check(src: &str) {
        match (ours(src), theirs(src)) {
            (Ok(a), Ok(b)) => assert!(
                same(&a, &b),
                "values differ for {src:?}\n ours:   {a:?}\n theirs: {b:?}"
            ),
            (Err(_), Err(_)) => {}
            (Ok(a), Err(e)) => panic!("we accept what toml rejects ({e}): {src:?}\n{a:?}"),
            (Err(e), Ok(_)) => panic!("we reject what toml accepts ({e:?}): {src:?}"),
        }
    }

    const VALID: &[&str] = &[
        "",
        "# only a comment\n",
        "a = 1\nb = -2\nc = +3\nd = 0\ne = -0\nf = 1_000_000\n",
        "h = 0xDEAD_beef\no = 0o755\nb = 0b1101_0101\nmax = 9223372036854775807\nmin = -9223372036854775808\n",
        "f1 = 1.0\nf2 = -3.1415\nf3 = 5e+22\nf4 = 1e06\nf5 = -2E-2\nf6 = 6.626e-34\nf7 = 224_617.445_991\n",
        "i = inf\nj = +inf\nk = -inf\nn = nan\n",
        "t = true\nf = false\n",
        "s = \"tab\\there \\\"quoted\\\" \\\\ \\u00e9 \\U0001F600 \\b\\f\\r\\n\"\n",
        "s = 'C:\\Users\\nodejs\\templates'\nq = '<\\i\\c*\\s*>'\n",
        "s = \"\"\"\nRoses are red\nViolets are blue\"\"\"\n",
        "s = \"\"\"\\\n  The quick brown \\\n\n  fox.\\\n  \"\"\"\n",
        "s = \"\"\"Here are two quotation marks: \"\". Simple enough.\"\"\"\n",
        "s = \"\"\"Here are fifteen quotation marks: \"\"\\\"\"\"\\\"\"\"\\\"\"\"\\\"\"\"\\\".\"\"\"\n",
        "s = \"\"\"\"This,\" she said, \"is just a pointless statement.\"\"\"\"\n",
        "s = '''\nThe first newline is\ntrimmed in raw strings.\n'''\n",
        "s = '''I [dw]on't need \\d{2} apples'''\nt = ''''That,' she said, 'is still pointless.''''\n",
        "script = '''\nfn submit_message(msg) {\n    for r in msg.recipients { accept(r); }\n    S_OK\n}\n'''\n",
        "\"quoted key\" = 1\n'literal key' = 2\n\"\" = 3\n1234 = 4\n-_- = 5\n",
        "a.b.c = 1\na.b.d = 2\na . e = 3\n\"x.y\".z = 4\n",
        "[table]\nkey = 1\n[table.sub]\nkey = 2\n[ other . 'quoted' ]\nk = 3\n",
        "[a.b.c]\nx = 1\n[a]\ny = 2\n",
        "[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n[fruit.apple.texture]\nsmooth = true\n",
        "[[message]]\nid = \"m1\"\n[[message.recipients]]\naddress = \"a\"\n[[message.recipients]]\naddress = \"b\"\n[[message]]\nid = \"m2\"\n",
        "[[fruits]]\nname = \"apple\"\n[fruits.physical]\ncolor = \"red\"\n[[fruits.varieties]]\nname = \"red delicious\"\n[[fruits]]\nname = \"banana\"\n",
        "arr = [1, 2, 3]\nnested = [[1, 2], [\"a\", 'b']]\nmixed = [1, \"x\", 1.5, true, {a = 1}]\ntrailing = [\n  1, # one\n  2,\n]\nempty = []\n",
        "inline = { x = 1, y = \"two\", z = { deep = true }, a.b = 3 }\nempty = {}\n",
        "recipients = [ { address = \"a@x\", type = \"SMTP\" }, { address = \"b@x\", type = \"FAX\" } ]\n",
        "odt1 = 1979-05-27T07:32:00Z\nodt2 = 1979-05-27T00:32:00-07:00\nodt3 = 1979-05-27T00:32:00.999999-07:00\nodt4 = 1979-05-27 07:32:00Z\nldt = 1979-05-27T07:32:00\nld = 1979-05-27\nlt = 07:32:00\nlt2 = 00:32:00.999999\n",
        "a = 1 # trailing comment\r\nb = 2\r\n",
        "s = \"\"\"crlf\r\nline\"\"\"\r\n",
        "\u{feff}a = 1\n",
        "  indented = 1\n\t[  spaced  ]  \n  k = 'v'   \n",
        "[[a]]\n[a.b]\nc = 1\n[[a]]\n[a.b]\nc = 2\n",
        "[a.b.c]\n[a]\nb.d = 1\nb.e = 2\n[a.b.f]\n",
        "leap = 2024-02-29\nend = 2023-12-31T23:59:60Z\n",
        "name = \"é ünïcödé 😀\"\n'ключ' = 'значение'\n",
        "toml11 = { x = 1,\n  y = 2, # comment\n}\nesc = \"\\e[0m \\x41\\xff\"\nt = 07:32\ndt = 1979-05-27T07:32\ndto = 1979-05-27 07:32+01:00\n",
    ];

    const INVALID: &[&str] = &[
        "a = 1\na = 2\n",
        "a = \n",
        "= 1\n",
        "a = 1 b = 2\n",
        "a = abc\n",
        "a = 01\n",
        "a = 1__0\n",
        "a = _1\n",
        "a = 1_\n",
        "a = 0x\n",
        "a = -0x1\n",
        "a = 0X1\n",
        "a = 1.\n",
        "a = .5\n",
        "a = 1e\n",
        "a = 1._5\n",
        "a = 9223372036854775808\n",
        "a = 0xFFFFFFFFFFFFFFFF\n",
        "a = TRUE\n",
        "a = \"unclosed\n",
        "a = 'unclosed\n",
        "a = \"\"\"unclosed\n",
        "a = \"\\uD800\"\n",
        "a = \"\\u12\"\n",
        "a = \"bell\u{7}\"\n",
        "a = \"\"\"a\\ b\"\"\"\n",
        "a = \"\"\"\"\"\"\"\"\"\n",
        "[a]\n[a]\n",
        "[a]\nb = 1\n[a.b]\n",
        "a = {}\n[a]\n",
        "a = {}\na.b = 1\n",
        "a = { b = 1 }\n[a.c]\n",
        "[a.b.c]\nz = 9\n[a]\nb.c.t = 9\n",
        "[fruit]\napple.color = \"red\"\n[fruit.apple]\n",
        "a = [1]\n[[a]]\n",
        "[[a]]\n[a]\n",
        "[a]\n[[a]]\n",
        "a = 1\n[a]\n",
        "a = 1\na.b = 2\n",
        "a = { x = 1,, }\n",
        "a = {,}\n",
        "a = \"\\u{41}\"\n",
        "a = 07:32:5\n",
        "a = 1979-05-27T07:32:00.Z\n",
        "é = 1\n",
        "a = 1e999\n",
        "a = [1 2]\n",
        "a = [1,,2]\n",
        "[a\n",
        "[[a]\n",
        "[ [a] ]\n",
        "[]\n",
        "a.\n",
        "a = 1\rb = 2\n",
        "# bad \u{1} comment\n",
        "a = 1979-13-01\n",
        "a = 2023-02-29\n",
        "a = 2023-02-30\n",
        "a = 2023-04-31\n",
        "[a.b.c]\n[a]\nb.d = 1\n[a.b]\n",
        "[a.b.c.d]\nz = 9\n[a]\nb.c.d.k.t = 1\n",
        "a = 25:00:00\n",
        "\"\"\"key\"\"\" = 1\n",
        "a = [",
        "a = {",
    ];

    #[test]
    fn valid_documents_match_the_toml_crate() {
        for src in VALID {
            assert!(
                theirs(src).is_ok(),
                "toml itself rejects {src:?}: {:?}",
                theirs(src)
            );
            check(src);
        }
    }

    #[test]
    fn invalid_documents_are_refused_like_the_toml_crate() {
        for src in INVALID {
            assert!(theirs(src).is_err(), "toml accepts {src:?}");
            assert!(ours(src).is_err(), "we accept {src:?}");
        }
    }

    /// Single-byte edits of the valid documents: whatever one reader accepts, the other must
    /// accept with the same value. A deterministic generator, so a failure reproduces.
    const ROUNDS: usize = 600;

    #[test]
    fn mutations_agree_with_the_toml_crate() {
        let alphabet: &[u8] = b" \t\n\r#=.,[]{}\"'\\_-+0123456789abeEfinxotuTZ:";
        let variants = crate::doc::mutations(VALID, alphabet, ROUNDS, 0x2545_f491_4f6c_dd1d);
        for s in &variants {
            check(s);
        }
        assert!(
            variants.len() > 10_000,
            "only {} mutations checked",
            variants.len()
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let src = format!("a = {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        let e = parse(&src).unwrap_err();
        assert!(e.message.contains("nested"), "{e:?}");
    }

    #[test]
    fn deep_keys_are_an_error_not_a_crash() {
        let dotted = format!("{}a = 1\n", "a.".repeat(100_000));
        assert!(parse(&dotted)
            .unwrap_err()
            .message
            .contains("at most 80 parts"));
        let inline = format!("x = {{{}a = 1}}\n", "a.".repeat(100_000));
        assert!(parse(&inline)
            .unwrap_err()
            .message
            .contains("at most 80 parts"));
        let header = format!("[{}a]\n", "a.".repeat(100_000));
        assert!(parse(&header)
            .unwrap_err()
            .message
            .contains("at most 80 parts"));
        // Within the toml crate's limits but deeper than a tree may be: 80-part keys in
        // inline tables in inline tables …
        let level = format!("{{{}a=", "a.".repeat(79));
        let deep = format!("x = {}1{}\n", level.repeat(10), "}".repeat(10));
        assert!(parse(&deep).unwrap_err().message.contains("400 deep"));
        assert!(parse(&format!("x = {}1{}\n", level.repeat(4), "}".repeat(4))).is_ok());
    }

    /// The `toml` crate's limits: 80 key parts, 80 levels of arrays and inline tables.
    #[test]
    fn nesting_limits_are_the_toml_crates() {
        let forms: [fn(usize) -> String; 7] = [
            |n| format!("{}a = 1\n", "a.".repeat(n - 1)),
            |n| format!("[{}a]\n", "a.".repeat(n - 1)),
            |n| format!("[{}a]\nk = 1\n", "a.".repeat(n - 1)),
            |n| format!("[[{}a]]\n", "a.".repeat(n - 1)),
            |n| format!("x = {}1{}\n", "{a=".repeat(n), "}".repeat(n)),
            |n| format!("x = {}1{}\n", "[".repeat(n), "]".repeat(n)),
            |n| format!("x = {{{}a = 1}}\n", "a.".repeat(n - 1)),
        ];
        for (i, form) in forms.iter().enumerate() {
            check(&form(80));
            check(&form(81));
            assert!(ours(&form(80)).is_ok(), "form {i}");
        }
    }

    #[test]
    fn lines_under_a_deep_header_parse_in_linear_time() {
        let mut src = format!("[{}a]\n", "a.".repeat(79));
        for i in 0..100_000 {
            src.push_str(&format!("k{i} = {i}\n"));
        }
        assert!(parse(&src).is_ok());
    }

    #[test]
    fn many_keys_parse_in_linear_time() {
        let src: String = (0..200_000).map(|i| format!("k{i} = {i}\n")).collect();
        assert_eq!(parse(&src).unwrap().entries.len(), 200_000);
    }

    #[test]
    fn spans_point_at_keys_values_and_headers() {
        let src = "[[message]]\nid = \"m1\"\n";
        let root = parse(src).unwrap();
        let Val::TableArray(items) = &root.entries[0].node.val else {
            panic!()
        };
        assert_eq!(items[0].span, (0, 11));
        let Val::Table(m) = &items[0].val else {
            panic!()
        };
        assert_eq!(m.entries[0].key_span, (12, 14));
        assert_eq!(m.entries[0].node.span, (17, 21));
    }
}
