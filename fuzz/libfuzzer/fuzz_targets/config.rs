//! libFuzzer entry of the `config` target (its checks: `fuzz/src`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| (fuzz::target("config").expect("a known target").check)(data));
