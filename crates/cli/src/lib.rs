//! The `spoolscope` command-line tool's library: links (`links.rs`, links §6). The renderers
//! live in `spoolscope-render`; the binary (`main.rs`) is glue.

pub mod embeds;
pub mod links;
