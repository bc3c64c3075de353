//! Ports over in-memory and misbehaving streams: framing, short reads, EINTR, truncation,
//! limits, and the Protocol's replies, without Erlang.

use erlport::codec::{Atom, ErlString, decode, encode_to_vec};
use erlport::{Error, PacketSize, Port, Protocol};
use std::io::{self, Read};

fn frame(packet: PacketSize, body: &[u8]) -> Vec<u8> {
    let len = (body.len() as u32).to_be_bytes();
    let mut out = len[4 - packet.header_len()..].to_vec();
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
    // A header promising 4 GiB on 5 bytes: over the default limit, skipped; then the input
    // ends inside it.
    let mut port = Port::new(&[255u8, 255, 255, 255, 131][..], Vec::new(), PacketSize::Four);
    let e = port.read().unwrap_err();
    assert!(matches!(e, Error::PacketTooLarge { len: 0xffff_ffff, max: erlport::DEFAULT_MAX_PACKET }), "{e:?}");
    assert!(!e.is_fatal());
    let e = port.read().unwrap_err();
    assert!(matches!(e, Error::Truncated { expected: 0xffff_ffff, got: 1 }), "{e:?}");
    assert!(e.is_fatal());
    // Raised limit: the same header is read as a body that never arrives.
    let mut port = Port::new(&[255u8, 255, 255, 255, 131][..], Vec::new(), PacketSize::Four).max_packet(usize::MAX);
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
        assert!(matches!(
            port.write(serde_bytes::Bytes::new(&big)),
            Err(Error::ReplyTooLarge { len: 70_006, max: 65535 })
        ));
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
        proto.handle("greet", |name: String| format!("Hello, {name}"));
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
    assert_eq!(replies[5], "{error,<<119,104,121>>}");
    assert!(replies[6].starts_with("{error,{exception,{panic,<<107,97,98,111,111,109>>,[<<"), "{}", replies[6]);
    assert_eq!(replies[7], "42");
    assert_eq!(replies[8], "<<72,101,108,108,111,44,32,66,111,98>>");
}

/// Frames `messages` for `packet`, serves them with `proto`'s handlers, and returns the
/// replies as text.
fn serve(
    packet: PacketSize,
    input: &[u8],
    max_packet: usize,
    setup: impl Fn(&mut Protocol<&mut Vec<u8>>),
) -> (Vec<String>, bool) {
    let mut out = Vec::new();
    let ok = {
        let mut proto = Protocol::new();
        setup(&mut proto);
        proto.run(Port::new(input, &mut out, packet).max_packet(max_packet)).is_ok()
    };
    let mut replies = Vec::new();
    let mut rest = &out[..];
    while let Some(len) = packet.read_header(rest) {
        let body = &rest[packet.header_len()..packet.header_len() + len];
        assert!(len <= packet.max_len());
        replies.push(decode(body).unwrap().to_string());
        rest = &rest[packet.header_len() + len..];
    }
    (replies, ok)
}

#[test]
fn bad_packets_are_answered_and_the_protocol_serves_on() {
    let good = encode_to_vec(&(Atom::new("add"), 1, 2)).unwrap();
    let bad: [&[u8]; 7] = [
        &[],
        b"hello",
        &[131, 97, 1, 0],
        &[130, 97, 1],
        &[131, 108, 255, 255, 255, 255, 106],
        &[131, 80, 255, 255, 255, 255, 120, 156, 75, 100, 0, 0, 0, 99, 0, 98],
        &[7u8; 120],
    ];
    for packet in [PacketSize::One, PacketSize::Two, PacketSize::Four] {
        let mut input = Vec::new();
        for b in bad {
            input.extend(frame(packet, b));
            input.extend(frame(packet, &good));
        }
        let (replies, ok) = serve(packet, &input, 100, |p| {
            p.handle("add", |a: i64, b: i64| a + b);
        });
        assert!(ok);
        assert_eq!(replies.len(), 2 * bad.len(), "{replies:?}");
        for (i, pair) in replies.chunks(2).enumerate() {
            assert_eq!(pair[1], "3", "{packet:?}: the request after bad packet {i}");
            let want = if i == 6 { "{error,{packet_too_large,120,100}}" } else { "{error,{decode,<<" };
            assert!(pair[0].starts_with(want), "{packet:?}: bad packet {i}: {}", pair[0]);
        }
    }
}

#[test]
fn replies_that_do_not_fit_the_packet_size_become_errors_that_do() {
    let requests = [
        encode_to_vec(&(Atom::new("bytes"), 300)).unwrap(),
        encode_to_vec(&(Atom::new("fail"), "é".repeat(100))).unwrap(),
        encode_to_vec(&(Atom::new("panic"), "p".repeat(200))).unwrap(),
        encode_to_vec(&(Atom::new("nan"),)).unwrap(),
        encode_to_vec(&(Atom::new("bytes"), 3)).unwrap(),
    ];
    assert!(requests.iter().all(|r| r.len() <= 255));
    let input: Vec<u8> = requests.iter().flat_map(|m| frame(PacketSize::One, m)).collect();
    let (replies, ok) = serve(PacketSize::One, &input, 255, |p| {
        p.handle("bytes", |n: usize| serde_bytes::ByteBuf::from(vec![7u8; n]));
        // Errors twice as long as the request: too long for {packet, 1}.
        p.handle("fail", |why: String| -> u8 { panic!("{}", why.repeat(2)) });
        p.handle("panic", |why: String| -> u8 { panic!("{why}{why}") });
        p.handle("nan", || f64::NAN);
    });
    assert!(ok);
    assert_eq!(replies[0], "{error,{reply_too_large,306,255}}");
    let cut = |reply: &str| {
        let bytes: Vec<u8> = reply
            .split("<<")
            .nth(1)
            .unwrap()
            .split(">>")
            .next()
            .unwrap()
            .split(',')
            .map(|b| b.parse().unwrap())
            .collect();
        String::from_utf8(bytes).expect("cut at a character boundary")
    };
    assert!(replies[1].starts_with("{error,{exception,{panic,<<"), "{}", replies[1]);
    assert!(
        cut(&replies[1]).starts_with("éé") && cut(&replies[1]).ends_with("[cut from 400 bytes to fit the packet size]")
    );
    assert!(replies[2].starts_with("{error,{exception,{panic,<<"), "{}", replies[2]);
    assert!(cut(&replies[2]).contains("[cut from 400 bytes"), "{}", cut(&replies[2]));
    assert!(replies[3].starts_with("{error,{encode,<<"), "{}", replies[3]);
    assert_eq!(replies[4], "<<7,7,7>>");
}

#[test]
fn typed_handlers_borrow_keep_state_and_explain_what_does_not_fit() {
    use erlport::codec::{Term, to_vec};
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Point {
        x: i64,
        y: i64,
    }
    let requests = [
        to_vec(&(Atom::new("norm1"), erlport::codec::MapFrom([(Atom::new("x"), 3), (Atom::new("y"), -4)].into_iter())))
            .unwrap(),
        to_vec(&(Atom::new("norm1"), erlport::codec::MapFrom([(Atom::new("x"), 3)].into_iter()))).unwrap(),
        to_vec(&(Atom::new("add"), 1, Atom::new("foo"))).unwrap(),
        to_vec(&(Atom::new("add"), 1)).unwrap(),
        to_vec(&(Atom::new("size"), serde_bytes::Bytes::new(&[1, 2, 3]))).unwrap(),
        to_vec(&(Atom::new("show"), (1, Atom::new("a")))).unwrap(),
        to_vec(&(Atom::new("count"),)).unwrap(),
        to_vec(&(Atom::new("count"),)).unwrap(),
        to_vec(&(Atom::new("check"), 2)).unwrap(),
        to_vec(&(Atom::new("check"), 1)).unwrap(),
    ];
    let input: Vec<u8> = requests.iter().flat_map(|m| frame(PacketSize::Four, m)).collect();
    let mut out = Vec::new();
    let state = {
        let mut proto = Protocol::with_state(0u32);
        proto.function_clause_reason(true);
        proto.handle("norm1", |_: &mut u32, p: Point| p.x.abs() + p.y.abs());
        proto.handle("add", |_: &mut u32, a: i64, b: i64| a + b);
        proto.handle_borrowed("size", |_: &mut u32, bytes: &[u8]| bytes.len());
        proto.handle_borrowed("show", |_: &mut u32, term: Term<'_>| term.to_string());
        proto.handle("count", |n: &mut u32| {
            *n += 1;
            *n
        });
        proto.handle("check", |n: &mut u32, want: u32| if *n == want { Ok(()) } else { Err(*n) });
        proto.run(Port::new(&input[..], &mut out, PacketSize::Four)).unwrap();
        proto.into_state()
    };
    assert_eq!(state, 2);
    let mut replies = Vec::new();
    let mut rest = &out[..];
    while let Some(len) = PacketSize::Four.read_header(rest) {
        let term = decode(&rest[4..4 + len]).unwrap();
        // Binaries as text, to compare with.
        let text = match term {
            Term::Tuple(t) if t.arity() == 2 => match (t.get(0), t.get(1)) {
                (Some(tag), Some(Term::Tuple(inner))) if tag.is_atom("error") => {
                    let reason =
                        inner.get(1).and_then(|r| r.as_binary()).map(|b| String::from_utf8_lossy(b).into_owned());
                    format!("{{error,{{{},{}}}}}", inner.get(0).unwrap(), reason.unwrap_or_default())
                }
                _ => term.to_string(),
            },
            Term::Binary(b) => String::from_utf8_lossy(b).into_owned(),
            _ => term.to_string(),
        };
        replies.push(text);
        rest = &rest[4 + len..];
    }
    assert_eq!(
        replies,
        [
            "7",
            "{error,{function_clause,argument 1 of 1: missing field `y`}}",
            "{error,{function_clause,argument 2 of 2: expected an integer that fits an i64, found the atom foo}}",
            "{error,{function_clause,expected 2 arguments, found 1}}",
            "3",
            "{1,a}",
            "1",
            "2",
            "ok",
            "{error,2}",
        ]
    );
}
