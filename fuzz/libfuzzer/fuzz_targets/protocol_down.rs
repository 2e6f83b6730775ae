//! libFuzzer entry of the `protocol_down` target (its checks: `fuzz/src`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| (fuzz::target("protocol_down").expect("a known target").check)(data));
