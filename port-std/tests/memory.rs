//! Ports over in-memory and misbehaving streams: framing, short reads, EINTR, truncation,
//! limits, and the Protocol's replies, without Erlang.

use erlport::codec::{Atom, ErlString, decode, encode_to_vec};
use erlport::{Error, PacketSize, Port, Protocol};
use std::io::{self, Read};

fn frame(packet: PacketSize, body: &[u8]) -> Vec<u8> {
    let len = (body.len() as u32).to_be_bytes();
    let mut out = len[4 - packet.bytes()..].to_vec();
    out.extend_from_slice(body);
    out
}

/// Hands out one byte per read, with an `Interrupted` error before every other byte.
struct Trickle {
    bytes: Vec<u8>,
    pos: usize,
    interrupt: bool,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.interrupt = !self.interrupt;
        if self.interrupt {
            return Err(io::ErrorKind::Interrupted.into());
        }
        match self.bytes.get(self.pos) {
            Some(&b) if !buf.is_empty() => {
                buf[0] = b;
                self.pos += 1;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

#[test]
fn reads_across_short_reads_and_interrupts() {
    let mut input = Vec::new();
    for packet in [PacketSize::One, PacketSize::Two, PacketSize::Four] {
        input.clear();
        for i in 0..3u8 {
            input.extend(frame(packet, &encode_to_vec(&(Atom::new("n"), i)).unwrap()));
        }
        let mut port = Port::new(Trickle { bytes: input.clone(), pos: 0, interrupt: false }, Vec::new(), packet);
        for i in 0..3 {
            let term = port.read().unwrap().unwrap();
            assert_eq!(term.to_string(), format!("{{n,{i}}}"));
        }
        assert!(port.read().unwrap().is_none());
    }
}

#[test]
fn a_packet_cut_short_says_so() {
    let mut input = frame(PacketSize::Four, &[131, 97, 1]);
    input.truncate(5);
    let mut port = Port::new(&input[..], Vec::new(), PacketSize::Four);
    match port.read() {
        Err(Error::Truncated { expected: 3, got: 1 }) => {}
        other => panic!("{other:?}"),
    }
    let mut port = Port::new(&[0u8, 0][..], Vec::new(), PacketSize::Four);
    assert!(matches!(port.read(), Err(Error::Truncated { expected: 4, got: 2 })));
    // A header promising 4 GiB on 5 bytes: no 4 GiB buffer, just the error.
    let mut port = Port::new(&[255u8, 255, 255, 255, 131][..], Vec::new(), PacketSize::Four);
    assert!(matches!(port.read(), Err(Error::Truncated { got: 1, .. })));
    let mut port = Port::new(&[0u8, 0, 1, 0][..], Vec::new(), PacketSize::Four).max_packet(100);
    assert!(matches!(port.read(), Err(Error::PacketTooLarge { len: 256, max: 100 })));
}

#[test]
fn writes_frames_and_refuses_oversized_bodies() {
    let mut out = Vec::new();
    {
        let mut port = Port::new(&[][..], &mut out, PacketSize::Two);
        port.write(&(Atom::new("ok"), 1u8)).unwrap();
        let big = vec![0u8; 70_000];
        assert!(matches!(port.write(&big[..]), Err(Error::PacketTooLarge { max: 65535, .. })));
        port.write(&ErlString("after")).unwrap();
    }
    assert_eq!(&out[..2], &[0, 9]);
    assert_eq!(decode(&out[2..11]).unwrap().to_string(), "{ok,1}");
    // Nothing of the refused packet was written; the stream is still in step.
    assert_eq!(decode(&out[13..]).unwrap().to_string(), "[97,102,116,101,114]");
}

#[test]
fn protocol_replies_in_order_with_erlports_shapes() {
    let messages: Vec<Vec<u8>> = vec![
        encode_to_vec(&(Atom::new("add"), 1, 2)).unwrap(),
        encode_to_vec(&Atom::new("ping")).unwrap(),
        encode_to_vec(&(Atom::new("add"), 1)).unwrap(),
        encode_to_vec(&(Atom::new("nosuch"), 1)).unwrap(),
        encode_to_vec(&42).unwrap(),
        encode_to_vec(&(Atom::new("fail"), "why")).unwrap(),
        encode_to_vec(&(Atom::new("boom"),)).unwrap(),
        encode_to_vec(&(Atom::new("add"), 40, 2)).unwrap(),
        encode_to_vec(&(Atom::new("greet"), ErlString("Bob"))).unwrap(),
    ];
    let input: Vec<u8> = messages.iter().flat_map(|m| frame(PacketSize::Four, m)).collect();
    let mut out = Vec::new();
    {
        let mut proto = Protocol::new();
        proto.handle("add", |a: i64, b: i64| a + b);
        proto.handle("ping", || Atom::new("pong"));
        proto.handle("greet", |name: ErlString<String>| format!("Hello, {name}"));
        proto.handle("fail", |why: String| -> Result<u8, String> { Err(why) });
        proto.handle("boom", || -> u8 { panic!("kaboom") });
        proto.run(Port::new(&input[..], &mut out, PacketSize::Four)).unwrap();
    }
    let mut replies = Vec::new();
    let mut rest = &out[..];
    while !rest.is_empty() {
        let len = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
        replies.push(decode(&rest[4..4 + len]).unwrap().to_string());
        rest = &rest[4 + len..];
    }
    assert_eq!(replies[..5], ["3", "pong", "{error,function_clause}", "{error,undef}", "{error,badarg}"]);
    assert_eq!(replies[5], "{error,{exception,{'String',<<119,104,121>>,[]}}}");
    assert!(replies[6].starts_with("{error,{exception,{panic,<<107,97,98,111,111,109>>,[<<"), "{}", replies[6]);
    assert_eq!(replies[7], "42");
    assert_eq!(replies[8], "<<72,101,108,108,111,44,32,66,111,98>>");
}
