//! libFuzzer entry of the `position` target (its checks: `fuzz/src`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| (fuzz::target("position").expect("a known target").check)(data));
