//! Once warm, a port reads and writes messages without allocating (plain and compressed),
//! counted by a global allocator.

use erlport::codec::{Atom, Compression, encode_to_vec, encode_to_vec_compressed};
use erlport::{PacketSize, Port};
use erlport_testsupport::counting_alloc;

use counting_alloc::count;

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
