#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| erlport_codec::fuzz::encode_values(data));
