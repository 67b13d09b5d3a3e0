//! A generated scenario with generated scripts and events, run as `spoolscope run` runs it.
#![no_main]
libfuzzer_sys::fuzz_target!(|input: spoolscope_fuzz::gen::Input| spoolscope_fuzz::run(&input));
