#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| erlport_testsupport::fuzz::encode_values(data));
