//! libFuzzer entry of the `callcenter` target (its checks: `fuzz/src`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| (fuzz::target("callcenter").expect("a known target").check)(data));
