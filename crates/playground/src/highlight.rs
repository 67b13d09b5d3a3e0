//! Syntax colouring for the editor: TOML, and Rhai inside `script = '''…'''`.
//!
//! A small line-by-line scanner, not a parser: it only has to be fast on every keystroke and
//! never fail. Each line becomes a list of [`Token`]s whose texts concatenate back to the
//! line exactly, so the coloured layer lines up with the textarea above it.

/// What a token is, for its colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Plain,
    Comment,
    /// `[spooler]`, `[[transport]]`.
    Table,
    Key,
    Str,
    Number,
    /// `true`, `false`.
    Bool,
    /// Rhai keywords: `fn`, `let`, `if`, `return`, …
    Keyword,
    /// ALL_CAPS names: HRESULTs, flags, reason and diagnostic codes.
    Constant,
    /// Host functions (`accept`, `fail`, `elapse`, …) and hook names.
    Builtin,
    Punct,
}

impl Class {
    /// The CSS class of the span (empty for plain text).
    pub fn css(self) -> &'static str {
        match self {
            Class::Plain => "",
            Class::Comment => "t-com",
            Class::Table => "t-tab",
            Class::Key => "t-key",
            Class::Str => "t-str",
            Class::Number => "t-num",
            Class::Bool => "t-bool",
            Class::Keyword => "t-kw",
            Class::Constant => "t-const",
            Class::Builtin => "t-fn",
            Class::Punct => "t-punct",
        }
    }
}

/// A piece of a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token<'a> {
    pub class: Class,
    pub text: &'a str,
}

const RHAI_KEYWORDS: &[&str] = &[
    "fn", "let", "const", "if", "else", "for", "in", "while", "loop", "do", "until", "return",
    "switch", "break", "continue", "throw", "try", "catch", "true", "false", "this", "private",
    "global",
];

const BUILTINS: &[&str] = &[
    "accept",
    "deliver",
    "fail",
    "decline",
    "set_reference",
    "retry_after",
    "elapse",
    "cancelled",
    "notify_sent_deferred",
    "log",
    "now",
    "rand",
    "submit_message",
    "end_message",
    "transport_notify",
    "print",
];

/// Where a line starts: plain TOML, inside a multi-line TOML string, inside a script, or
/// inside a script's block comment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Toml,
    /// Inside `'''…'''` (literal) or `"""…"""` (basic) that is not a script.
    TomlString(&'static str),
    Script,
    ScriptComment,
}

/// Splits `text` into lines of tokens (lines as `str::split('\n')` gives them, so a final
/// newline yields a last, empty line).
pub fn highlight(text: &str) -> Vec<Vec<Token<'_>>> {
    let mut mode = Mode::Toml;
    text.split('\n')
        .map(|line| {
            let mut out = Vec::new();
            mode = line_tokens(line, mode, &mut out);
            out
        })
        .collect()
}

fn push<'a>(out: &mut Vec<Token<'a>>, class: Class, text: &'a str) {
    if !text.is_empty() {
        out.push(Token { class, text });
    }
}

/// Tokens of one line starting in `mode`; returns the mode the next line starts in.
fn line_tokens<'a>(line: &'a str, mut mode: Mode, out: &mut Vec<Token<'a>>) -> Mode {
    let mut rest = line;
    loop {
        if rest.is_empty() {
            return mode;
        }
        match mode {
            Mode::TomlString(close) => match rest.find(close) {
                Some(i) => {
                    push(out, Class::Str, &rest[..i + close.len()]);
                    rest = &rest[i + close.len()..];
                    mode = Mode::Toml;
                }
                None => {
                    push(out, Class::Str, rest);
                    return mode;
                }
            },
            Mode::Script | Mode::ScriptComment => {
                // The TOML literal ends at the first `'''`, wherever Rhai thinks it is.
                let (script, after) = match rest.find("'''") {
                    Some(i) => (&rest[..i], Some(&rest[i..])),
                    None => (rest, None),
                };
                mode = rhai_tokens(script, mode, out);
                match after {
                    Some(after) => {
                        push(out, Class::Str, &after[..3]);
                        rest = &after[3..];
                        mode = Mode::Toml;
                    }
                    None => return mode,
                }
            }
            Mode::Toml => return toml_tokens(rest, out),
        }
    }
}

/// Tokens of TOML text (the rest of a line); returns the next line's mode.
fn toml_tokens<'a>(line: &'a str, out: &mut Vec<Token<'a>>) -> Mode {
    let trimmed = line.trim_start();
    let indent = &line[..line.len() - trimmed.len()];
    push(out, Class::Plain, indent);
    if trimmed.starts_with('[') && out.len() <= 1 {
        // A table header runs to its closing bracket; a comment may follow.
        let end = trimmed.rfind(']').map(|i| i + 1).unwrap_or(trimmed.len());
        let (head, tail) = trimmed.split_at(end);
        if !head.contains('=') {
            push(out, Class::Table, head);
            return toml_values(tail, out, false);
        }
    }
    toml_values(trimmed, out, true)
}

/// Keys, values and punctuation; `key_first` when a bare word at the start is a key.
fn toml_values<'a>(s: &'a str, out: &mut Vec<Token<'a>>, key_first: bool) -> Mode {
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut last_key = "";
    let mut expect_key = key_first;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        match c {
            b'#' => {
                push(out, Class::Comment, &s[i..]);
                return Mode::Toml;
            }
            b'\'' | b'"' => {
                let triple = if c == b'\'' { "'''" } else { "\"\"\"" };
                if s[i..].starts_with(triple) {
                    let body = &s[i + 3..];
                    if let Some(j) = body.find(triple) {
                        push(out, Class::Str, &s[i..i + 3 + j + 3]);
                        i += 3 + j + 3;
                        continue;
                    }
                    push(out, Class::Str, &s[i..i + 3]);
                    if last_key == "script" && c == b'\'' {
                        let rest = &s[i + 3..];
                        return rhai_tokens(rest, Mode::Script, out);
                    }
                    push(out, Class::Str, &s[i + 3..]);
                    return Mode::TomlString(if c == b'\'' { "'''" } else { "\"\"\"" });
                }
                i += 1;
                while i < bytes.len() && bytes[i] != c {
                    if c == b'"' && bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i = (i + 1).min(bytes.len());
                push(out, Class::Str, &s[start..i]);
                expect_key = false;
            }
            b'=' => {
                push(out, Class::Punct, &s[i..i + 1]);
                i += 1;
                expect_key = false;
            }
            b'{' | b',' => {
                push(out, Class::Punct, &s[i..i + 1]);
                i += 1;
                // Inside an inline table a key comes next; in an array a value does, and
                // `word =` is told apart below by looking ahead for the `=`.
                expect_key = c == b'{' || expect_key;
            }
            b'}' | b'[' | b']' => {
                push(out, Class::Punct, &s[i..i + 1]);
                i += 1;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'+' || c == b'.' => {
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || b"_-+.:".contains(&bytes[i]))
                {
                    i += 1;
                }
                let word = &s[start..i];
                let next = s[i..].trim_start();
                if next.starts_with('=') && !next.starts_with("==") {
                    push(out, Class::Key, word);
                    last_key = word;
                } else if word == "true" || word == "false" {
                    push(out, Class::Bool, word);
                } else if word.starts_with(|ch: char| ch.is_ascii_digit() || ch == '+' || ch == '-')
                {
                    push(out, Class::Number, word);
                } else if expect_key {
                    push(out, Class::Key, word);
                    last_key = word;
                } else {
                    push(out, Class::Plain, word);
                }
            }
            _ => {
                // Any other character (spaces, non-ASCII): plain, up to the next boundary.
                let len = s[i..].chars().next().map(char::len_utf8).unwrap_or(1);
                push(out, Class::Plain, &s[i..i + len]);
                i += len;
            }
        }
    }
    Mode::Toml
}

/// Tokens of Rhai text (no `'''` inside); returns `Script` or `ScriptComment`.
fn rhai_tokens<'a>(s: &'a str, mut mode: Mode, out: &mut Vec<Token<'a>>) -> Mode {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        if mode == Mode::ScriptComment {
            match s[i..].find("*/") {
                Some(j) => {
                    push(out, Class::Comment, &s[i..i + j + 2]);
                    i += j + 2;
                    mode = Mode::Script;
                    continue;
                }
                None => {
                    push(out, Class::Comment, &s[i..]);
                    return Mode::ScriptComment;
                }
            }
        }
        let c = bytes[i];
        if s[i..].starts_with("//") {
            push(out, Class::Comment, &s[i..]);
            return Mode::Script;
        }
        if s[i..].starts_with("/*") {
            mode = Mode::ScriptComment;
            push(out, Class::Comment, &s[i..i + 2]);
            i += 2;
            continue;
        }
        match c {
            b'"' | b'`' | b'\'' => {
                i += 1;
                while i < bytes.len() && bytes[i] != c {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i = (i + 1).min(bytes.len());
                push(out, Class::Str, &s[start..i]);
            }
            c if c.is_ascii_digit() => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                // A fraction, but not a range (`0..10`) or a method call.
                if i + 1 < bytes.len() && bytes[i] == b'.' && bytes[i + 1].is_ascii_digit() {
                    i += 1;
                    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_')
                    {
                        i += 1;
                    }
                }
                push(out, Class::Number, &s[start..i]);
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                let word = &s[start..i];
                let class = if RHAI_KEYWORDS.contains(&word) {
                    if word == "true" || word == "false" {
                        Class::Bool
                    } else {
                        Class::Keyword
                    }
                } else if BUILTINS.contains(&word) {
                    Class::Builtin
                } else if word.len() > 1
                    && word.bytes().any(|b| b.is_ascii_uppercase())
                    && word
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
                {
                    Class::Constant
                } else {
                    Class::Plain
                };
                push(out, class, word);
            }
            b'{' | b'}' | b'(' | b')' | b'[' | b']' | b';' | b',' => {
                push(out, Class::Punct, &s[i..i + 1]);
                i += 1;
            }
            _ => {
                let len = s[i..].chars().next().map(char::len_utf8).unwrap_or(1);
                push(out, Class::Plain, &s[i..i + len]);
                i += len;
            }
        }
    }
    mode
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes(line: &[Token<'_>]) -> Vec<(Class, String)> {
        line.iter()
            .filter(|t| !t.text.trim().is_empty())
            .map(|t| (t.class, t.text.to_string()))
            .collect()
    }

    #[test]
    fn tokens_rebuild_every_line_exactly() {
        for p in crate::presets::PRESETS {
            let lines = highlight(p.text);
            let rebuilt: Vec<String> = lines
                .iter()
                .map(|l| l.iter().map(|t| t.text).collect())
                .collect();
            assert_eq!(rebuilt.join("\n"), p.text, "{}", p.slug);
        }
        let odd = "a = 'unterminated\n\"é\" = \"ü\\\"\nscript = '''\n/* x\n'''\n";
        let rebuilt: Vec<String> = highlight(odd)
            .iter()
            .map(|l| l.iter().map(|t| t.text).collect())
            .collect();
        assert_eq!(rebuilt.join("\n"), odd);
    }

    #[test]
    fn toml_keys_tables_strings_and_comments() {
        let lines =
            highlight("[[transport]]  # order\nname = \"smtp\"\nseed = 7\nx = { a = true }");
        assert_eq!(
            classes(&lines[0]),
            vec![
                (Class::Table, "[[transport]]".into()),
                (Class::Comment, "# order".into())
            ]
        );
        assert_eq!(
            classes(&lines[1]),
            vec![
                (Class::Key, "name".into()),
                (Class::Punct, "=".into()),
                (Class::Str, "\"smtp\"".into())
            ]
        );
        assert_eq!(classes(&lines[2])[2], (Class::Number, "7".into()));
        assert_eq!(classes(&lines[3])[3], (Class::Key, "a".into()));
        assert_eq!(classes(&lines[3])[5], (Class::Bool, "true".into()));
    }

    #[test]
    fn rhai_inside_the_script_literal() {
        let text = "script = '''\nfn submit_message(msg) {\n    accept(r); // ok\n    MAPI_E_BUSY\n}\n'''\ntitle = \"t\"";
        let lines = highlight(text);
        assert_eq!(classes(&lines[0])[2], (Class::Str, "'''".into()));
        let l1 = classes(&lines[1]);
        assert_eq!(l1[0], (Class::Keyword, "fn".into()));
        assert_eq!(l1[1], (Class::Builtin, "submit_message".into()));
        let l2 = classes(&lines[2]);
        assert_eq!(l2[0], (Class::Builtin, "accept".into()));
        assert_eq!(l2.last().cloned(), Some((Class::Comment, "// ok".into())));
        assert_eq!(
            classes(&lines[3])[0],
            (Class::Constant, "MAPI_E_BUSY".into())
        );
        assert_eq!(classes(&lines[5])[0], (Class::Str, "'''".into()));
        assert_eq!(classes(&lines[6])[0], (Class::Key, "title".into()));
    }

    #[test]
    fn other_multiline_strings_are_strings() {
        let lines = highlight("description = '''\nfn not_code\n'''\nx = 1");
        assert_eq!(classes(&lines[1]), vec![(Class::Str, "fn not_code".into())]);
        assert_eq!(classes(&lines[3])[0], (Class::Key, "x".into()));
    }
}
