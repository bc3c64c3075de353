#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| erlport_testsupport::port_fuzz::packet_reader(data));
