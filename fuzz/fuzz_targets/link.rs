//! Bytes → a share link opened as the page and `spoolscope links check` open one.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| spoolscope_fuzz::link(data));
