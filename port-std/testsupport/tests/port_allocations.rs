//! Once warm, a port reads and writes messages without allocating (plain and compressed);
//! what a port allocates is bounded by what arrives, never by what a header declares, and
//! given back after a large message. Counted by a global allocator.

use erlport::codec::{Atom, Compression, encode_to_vec, encode_to_vec_compressed};
use erlport::{Error, PacketSize, Port};
use erlport_testsupport::counting_alloc;

use counting_alloc::{count, largest_in, live_bytes};

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

#[test]
fn read_and_write_allocate_nothing_once_warm() {
    for compressed in [false, true] {
        let message = (Atom::new("data"), vec![7u32; 300], "payload");
        let body = if compressed {
            encode_to_vec_compressed(&message, Compression::DEFAULT).unwrap()
        } else {
            encode_to_vec(&message).unwrap()
        };
        assert_eq!(body[1] == 80, compressed);
        let mut input = Vec::new();
        for _ in 0..1000 {
            input.extend((body.len() as u32).to_be_bytes());
            input.extend(&body);
        }
        let mut port = Port::new(&input[..], std::io::sink(), PacketSize::Four);
        if compressed {
            port = port.compressed(Compression::DEFAULT);
        }
        let reply = (Atom::new("ok"), vec![1u8; 500]);
        // Warm up: buffers reach their sizes, the inflater and deflater are made.
        for _ in 0..10 {
            assert!(port.read().unwrap().is_some());
            port.write(&reply).unwrap();
        }
        let before = count();
        let mut messages = 0;
        while let Some(term) = port.read().unwrap() {
            assert!(term.as_tuple().is_some());
            port.write(&reply).unwrap();
            messages += 1;
        }
        let allocations = count() - before;
        eprintln!("compressed {compressed}: {messages} messages read and written, {allocations} allocations");
        assert_eq!(messages, 990);
        assert_eq!(allocations, 0);
    }
}

#[test]
fn a_header_declaring_a_gibibyte_costs_nothing_and_a_large_packet_is_given_back() {
    // A 1 GiB packet (over the default limit); a small one; a 32 MiB one (under the limit);
    // a small one.
    use std::io::Read;
    let small = encode_to_vec(&(Atom::new("ok"), 1)).unwrap();
    let big = encode_to_vec(&vec![7u8; 32 << 20]).unwrap();
    let mut rest = Vec::new();
    for body in [&small, &big, &small] {
        rest.extend((body.len() as u32).to_be_bytes());
        rest.extend(body.iter());
    }
    let header = (1u32 << 30).to_be_bytes();
    let input = header.chain(std::io::repeat(0).take(1 << 30)).chain(&rest[..]);
    let mut port = Port::new(input, std::io::sink(), PacketSize::Four);
    let baseline = live_bytes();
    let largest = largest_in(|| {
        assert!(matches!(port.read(), Err(Error::PacketTooLarge { len: 0x4000_0000, .. })));
        assert!(port.read().unwrap().is_some());
    });
    eprintln!("1 GiB declared: largest allocation {largest} bytes");
    assert!(largest <= 64 * 1024, "{largest}");
    assert!(port.read().unwrap().is_some()); // the 32 MiB one
    assert!(live_bytes() - baseline >= 32 << 20);
    assert!(port.read().unwrap().is_some());
    let held = live_bytes() - baseline;
    eprintln!("after a 32 MiB packet and a small one: {held} bytes held");
    assert!(held <= 256 * 1024, "{held}");
}

#[test]
fn a_reply_too_large_for_the_packet_size_is_never_built_whole() {
    let mut port = Port::new(&[][..], std::io::sink(), PacketSize::Two);
    let big = vec![1u8; 100 << 20];
    let largest = largest_in(|| {
        assert!(matches!(
            port.write(serde_bytes::Bytes::new(&big)),
            Err(Error::ReplyTooLarge { len: 104_857_606, max: 65_535 })
        ));
    });
    eprintln!("a 100 MiB reply refused by {{packet, 2}}: largest allocation {largest} bytes");
    assert!(largest <= 256 * 1024, "{largest}");
    // A large reply that fits {packet, 4} is given back after it is written.
    let mut port = Port::new(&[][..], std::io::sink(), PacketSize::Four);
    let baseline = live_bytes();
    port.write(serde_bytes::Bytes::new(&big)).unwrap();
    port.write(&1).unwrap();
    let held = live_bytes() - baseline;
    assert!(held <= 256 * 1024, "{held}");
}
