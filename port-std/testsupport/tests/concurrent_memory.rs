//! A `ConcurrentProtocol` gives back what a large request made its threads hold: after a
//! 16 MiB call that hands the reading on and small calls served by another thread, the heap
//! (all threads counted) is back under 2 MiB while the port still
//! serves. Counted by a global allocator (this file is its own test binary).

use erlport::codec::{Atom, decode, to_vec};
use erlport::{ConcurrentProtocol, PacketSize, Port};
use erlport_testsupport::counting_alloc;
use std::io::{Read, Write};

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

/// `{call, Id, Name, [<<Bytes>>]}`.
fn send(pipe: &mut impl Write, id: u64, name: &str, bytes: &[u8]) {
    let body = to_vec(&(Atom::new("call"), id, Atom::new(name), vec![serde_bytes::Bytes::new(bytes)])).unwrap();
    pipe.write_all(&(body.len() as u32).to_be_bytes()).unwrap();
    pipe.write_all(&body).unwrap();
}

fn receive(pipe: &mut impl Read) -> String {
    let mut len = [0; 4];
    pipe.read_exact(&mut len).unwrap();
    let mut body = vec![0; u32::from_be_bytes(len) as usize];
    pipe.read_exact(&mut body).unwrap();
    decode(&body).unwrap().to_string()
}

#[test]
fn a_large_request_leaves_no_large_buffer_behind() {
    let (input, mut to_rust) = std::io::pipe().unwrap();
    let (mut from_rust, output) = std::io::pipe().unwrap();
    let rust = std::thread::spawn(move || {
        let mut proto = ConcurrentProtocol::new();
        proto.handle("size", |bytes: serde_bytes::ByteBuf| bytes.len());
        proto.handle("slow_size", |bytes: serde_bytes::ByteBuf| {
            std::thread::sleep(std::time::Duration::from_millis(5));
            bytes.len()
        });
        proto.run(Port::new(input, output, PacketSize::Four))
    });
    // `size` proves fast and runs on the reading thread from then on.
    for id in 0..10 {
        send(&mut to_rust, id, "size", b"small");
        assert_eq!(receive(&mut from_rust), format!("{{reply,{id},5}}"));
    }
    let before = counting_alloc::live_bytes_all_threads();
    // A slow call hands the reading on: the thread that ran it then idles, and must not
    // idle holding the 16 MiB it read.
    let big = vec![7u8; 16 << 20];
    send(&mut to_rust, 10, "slow_size", &big);
    assert_eq!(receive(&mut from_rust), format!("{{reply,10,{}}}", 16 << 20));
    drop(big);
    // The thread that ran it gives its buffers back once it is done with the call, which may
    // be a moment after its reply arrived (on a loaded machine): small calls go on meanwhile,
    // up to 500 of them.
    let mut held = isize::MAX;
    for id in 11..511 {
        send(&mut to_rust, id, "size", b"small");
        assert_eq!(receive(&mut from_rust), format!("{{reply,{id},5}}"));
        held = counting_alloc::live_bytes_all_threads() - before;
        if id >= 30 && held < 2 << 20 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(held < 2 << 20, "{held} bytes still held after a 16 MiB request and 500 small ones");
    drop(to_rust);
    assert!(rust.join().unwrap().is_ok());
}
