//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) through the fuzz target bodies
//! on stable, so every input a fuzzer kept (and every crash it found) stays a test.

use erlport_testsupport::{fuzz, port_fuzz};
use std::path::Path;

fn replay(target: &str, body: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus").join(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        if let Err(panic) = std::panic::catch_unwind(|| body(&data)) {
            panic!("{}: {:?}", path.display(), panic.downcast_ref::<String>());
        }
        count += 1;
    }
    assert!(count > 0, "empty corpus for {target}");
}

#[test]
fn decode() {
    replay("decode", fuzz::decode_any);
}

#[test]
fn roundtrip() {
    replay("roundtrip", fuzz::roundtrip);
}

#[test]
fn compressed() {
    replay("compressed", fuzz::compressed);
}

#[test]
fn encode_values() {
    replay("encode_values", fuzz::encode_values);
}

#[test]
fn typed() {
    replay("typed", fuzz::typed);
    // The decode corpus holds valid and broken terms of every kind: reading them with serde
    // in one pass must agree with validating first.
    replay("decode", fuzz::typed);
    replay("roundtrip", fuzz::typed);
}

#[test]
fn kv() {
    replay("kv", erlport_testsupport::kv_fuzz::kv);
}

#[test]
fn packet_reader() {
    replay("packet_reader", port_fuzz::packet_reader);
}

#[test]
fn concurrent() {
    replay("concurrent", port_fuzz::concurrent);
}
