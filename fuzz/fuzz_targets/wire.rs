//! Bytes → the worker wire format's requests and responses, and a worker session answering.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| spoolscope_fuzz::wire(data));
