//! Replays the committed `packet_reader` fuzz corpus through its body on stable.
#![cfg(feature = "fuzz")]

#[test]
fn packet_reader() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/packet_reader");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        erlport::fuzz::packet_reader(&std::fs::read(&path).unwrap());
        count += 1;
    }
    assert!(count > 0);
}
