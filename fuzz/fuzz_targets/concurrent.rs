//! A `ConcurrentProtocol` serving arbitrary byte streams (the body:
//! `port-std/testsupport/src/port_fuzz.rs`, `concurrent`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| erlport_testsupport::port_fuzz::concurrent(data));
