//! libFuzzer entry of the `neoapi_plain` target (its checks: `fuzz/src`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| (fuzz::target("neoapi_plain").expect("a known target").check)(data));
