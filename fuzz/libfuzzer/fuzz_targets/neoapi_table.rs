//! libFuzzer entry of the `neoapi_table` target (its checks: `fuzz/src`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| (fuzz::target("neoapi_table").expect("a known target").check)(data));
