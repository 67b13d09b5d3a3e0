//! Bytes → a JSON scenario, parsed, resolved and compiled as `spoolscope check` does.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    spoolscope_fuzz::scenario(data, spoolscope_contract::Format::Json)
});
