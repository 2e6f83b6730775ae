//! libFuzzer entry of the `protocol_up` target (its checks: `fuzz/src`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| (fuzz::target("protocol_up").expect("a known target").check)(data));
