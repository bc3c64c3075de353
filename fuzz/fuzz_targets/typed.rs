#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| erlport_testsupport::fuzz::typed(data));
