//! The std `Port` and the codec's push-style `PacketReader` against each other on streams of
//! packets: valid terms, bad bytes, empty and oversized packets, cut anywhere, fed in chunks
//! of any size (the checks are in `port_fuzz::packet_reader`).

use erlport::PacketSize;
use erlport::codec::encode_to_vec;
use erlport_testsupport::port_fuzz::packet_reader;
use proptest::prelude::*;

/// A packet body: a term, junk, or nothing.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        any::<(i64, String)>().prop_map(|t| encode_to_vec(&t).unwrap()),
        proptest::collection::vec(any::<u8>(), 0..40),
        proptest::collection::vec(any::<u8>(), 60..300),
        Just(Vec::new()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn port_and_packet_reader_agree(choice in any::<u8>(), bodies in proptest::collection::vec(body(), 0..12), cut in any::<Option<prop::sample::Index>>()) {
        let packet = [PacketSize::One, PacketSize::Two, PacketSize::Four][usize::from(choice % 3)];
        let mut stream = vec![choice];
        for b in &bodies {
            let b = &b[..b.len().min(packet.max_len())];
            let mut header = [0u8; 4];
            packet.write_header(b.len(), &mut header).unwrap();
            stream.extend_from_slice(&header[..packet.header_len()]);
            stream.extend_from_slice(b);
        }
        if let Some(cut) = cut {
            let at = 1 + cut.index(stream.len());
            stream.truncate(at);
        }
        packet_reader(&stream);
    }
}
