#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| erlport::fuzz::packet_reader(data));
