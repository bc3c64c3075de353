//! The `kv` example's handlers, in-process through `Protocol::call_packet`: typed requests,
//! any valid term, raw bytes (the body: `port-std/testsupport/src/kv_fuzz.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| erlport_testsupport::kv_fuzz::kv(data));
