//! The document tree both scenario syntaxes are read into (contract §1): every key and value
//! keeps the byte range it came from, so a wrong field is reported at its own line and column
//! in TOML and in JSON alike.
//!
//! The readers are hand-written ([`crate::toml_read`], [`crate::json_read`]) rather than serde
//! deserializers: the page ships the same code as the CLI, and generic deserializers for every
//! scenario type were the largest part of the page's download after the script engine.

use std::collections::BTreeMap;

/// Byte range `start..end` in the scenario text.
pub(crate) type Span = (usize, usize);

/// A syntax error: the byte offset it was found at, and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReadError {
    pub at: usize,
    pub message: String,
}

impl ReadError {
    pub fn new(at: usize, message: impl Into<String>) -> Self {
        ReadError {
            at,
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub val: Val,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// JSON `null`: an optional field given as null is absent.
    Null,
    /// A TOML date, time or date-time, as written (no scenario field takes one).
    Datetime(String),
    Array(Vec<Node>),
    /// A TOML array of tables (`[[name]]`), which later `[[name]]` headers extend.
    TableArray(Vec<Node>),
    Table(Table),
}

impl Val {
    /// What the value is, for messages ("found a string").
    pub fn describe(&self) -> &'static str {
        match self {
            Val::Str(_) => "a string",
            Val::Int(_) => "an integer",
            Val::Float(_) => "a float",
            Val::Bool(_) => "a boolean",
            Val::Null => "null",
            Val::Datetime(_) => "a date or time",
            Val::Array(_) | Val::TableArray(_) => "an array",
            Val::Table(_) => "a table",
        }
    }
}

/// How a TOML table came to be; decides what may still add keys to it (TOML 1.0 §Table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TableKind {
    /// Created on the way to a deeper `[a.b.c]` header; a later `[a]` may still define it.
    Implicit,
    /// Defined by its own `[header]` (or one `[[header]]` element).
    Header,
    /// Created by a dotted key (`a.b = 1`); more dotted keys may add to it.
    Dotted,
    /// An inline table `{ ... }` or a JSON object: complete as written.
    Inline,
}

/// Entries in the order written, with an index for lookups (a 4 MiB table with hundreds of
/// thousands of keys must not take quadratic time).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Table {
    pub entries: Vec<Entry>,
    pub kind: TableKind,
    index: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub key: String,
    pub key_span: Span,
    pub node: Node,
}

impl Table {
    pub fn new(kind: TableKind) -> Self {
        Table {
            entries: Vec::new(),
            kind,
            index: BTreeMap::new(),
        }
    }

    pub fn position(&self, key: &str) -> Option<usize> {
        self.index.get(key).copied()
    }

    /// Adds `key`; the caller has checked it is new.
    pub fn push(&mut self, key: String, key_span: Span, node: Node) -> usize {
        let i = self.entries.len();
        self.index.insert(key.clone(), i);
        self.entries.push(Entry {
            key,
            key_span,
            node,
        });
        i
    }
}

/// For the readers' tests: `rounds` deterministic variants of each of `docs`, each one or
/// (in the second half of the rounds) two byte edits away, built from `alphabet`; only the
/// variants that are still UTF-8.
#[cfg(test)]
pub(crate) fn mutations(docs: &[&str], alphabet: &[u8], rounds: usize, seed: u64) -> Vec<String> {
    let mut state = seed;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state as usize
    };
    let mut out = Vec::new();
    for src in docs {
        for round in 0..rounds {
            let mut m = src.as_bytes().to_vec();
            for _ in 0..1 + 2 * round / rounds {
                let at = next() % (m.len() + 1);
                let c = alphabet[next() % alphabet.len()];
                match next() % 3 {
                    0 if at < m.len() => m[at] = c,
                    1 if at < m.len() => {
                        m.remove(at);
                    }
                    _ => m.insert(at, c),
                }
            }
            out.extend(String::from_utf8(m));
        }
    }
    out
}
