//! The packet layer's fuzz target body, run by cargo-fuzz and replayed from the committed
//! corpus by this crate's tests.

use erlport::codec::packet::{Feed, PacketReader};
use erlport::{Error, PacketSize, Port, Protocol};

/// A port reading an arbitrary byte stream (the first byte picks the packet size and the
/// limit): every packet either decodes to a term that prints, or is an error that concerns
/// that packet alone, after which the port is still in step; the packets it sees are the
/// ones the codec's push-style `PacketReader` sees in the same stream. A `Protocol` serving
/// the same stream answers every packet and stops at its end. Nothing panics, nothing
/// allocates more than the bytes that arrived, everything stops.
pub fn packet_reader(data: &[u8]) {
    let Some((&choice, stream)) = data.split_first() else { return };
    let packet = [PacketSize::One, PacketSize::Two, PacketSize::Four][usize::from(choice % 3)];
    let max = if choice & 4 != 0 { 64 } else { 1 << 20 };

    // What the push-style reader makes of the stream, fed in chunks of up to 7 bytes.
    let mut buf = vec![0u8; max.min(packet.max_len())];
    let mut reader = PacketReader::new(packet, &mut buf);
    let mut expected: Vec<Result<Vec<u8>, usize>> = Vec::new();
    for chunk in stream.chunks(usize::from(choice >> 5) + 1) {
        let mut input = chunk;
        loop {
            match reader.feed(input) {
                Feed::Consumed => break,
                Feed::Packet { packet, rest } => {
                    expected.push(Ok(packet.to_vec()));
                    input = rest;
                }
                Feed::TooLarge { len, rest } => {
                    expected.push(Err(len));
                    input = rest;
                }
            }
        }
    }
    let ends_cleanly = reader.is_between_packets();

    let mut port = Port::new(stream, std::io::sink(), packet).inflate_limit(1 << 20).max_packet(max);
    let mut seen = 0;
    // Each packet consumes at least its header, so this ends.
    for _ in 0..=stream.len() {
        let want = expected.get(seen);
        match port.read() {
            Ok(Some(term)) => {
                let _ = term.to_string();
                assert!(matches!(want, Some(Ok(_))), "packet {seen}: a term where the PacketReader saw {want:?}");
            }
            Ok(None) => {
                assert_eq!(seen, expected.len(), "the port ended before the PacketReader did");
                assert!(ends_cleanly, "a clean end where the PacketReader was inside a packet");
                break;
            }
            Err(Error::PacketTooLarge { len, .. }) => assert_eq!(want, Some(&Err(len)), "packet {seen}"),
            Err(Error::Decode(e)) => {
                let _ = e.to_string();
                assert!(matches!(want, Some(Ok(_))), "packet {seen}: {e} where the PacketReader saw {want:?}");
            }
            Err(e) => {
                assert!(e.is_fatal(), "{e}");
                assert_eq!(seen, expected.len(), "the stream broke off after {seen} packets: {e}");
                assert!(!ends_cleanly);
                break;
            }
        }
        seen += 1;
    }
    assert!(seen <= stream.len() + 1, "the reader did not stop");

    // A Protocol serving the stream: one reply per packet until the end.
    let mut out = Vec::new();
    let result = {
        let mut proto = Protocol::new();
        proto.handle("echo", |x: erlport::OwnedTerm| x);
        proto.run(Port::new(stream, &mut out, packet).inflate_limit(1 << 20).max_packet(max))
    };
    assert_eq!(result.is_ok(), ends_cleanly, "{result:?}");
    let mut replies = 0;
    let mut rest = &out[..];
    while let Some(len) = packet.read_header(rest) {
        rest = &rest[packet.header_len() + len..];
        replies += 1;
    }
    assert_eq!(replies, expected.len(), "one reply per packet");
}

/// Whether `body` (a packet refused whole: not valid, or over the limit and cut to its first
/// bytes) starts with `{call, Id` where `Id` is a valid term: the port answers such a call by
/// its id.
fn starts_with_call_id(body: &[u8]) -> bool {
    use erlport::codec::{Tag, decode_prefix};
    let rest = match body {
        [131, tag, 4, rest @ ..] if Tag::from_byte(*tag) == Tag::SmallTuple => rest,
        [131, tag, 0, 0, 0, 4, rest @ ..] if Tag::from_byte(*tag) == Tag::LargeTuple => rest,
        _ => return false,
    };
    let versioned = |bytes: &[u8]| [&[131u8][..], bytes].concat();
    let kind = versioned(rest);
    let Ok((kind, used)) = decode_prefix(&kind) else { return false };
    kind.is_atom("call") && decode_prefix(&versioned(&rest[used - 1..])).is_ok()
}

/// Whether `stream` starts with a `size` frame holding `{hello, ...}` (as the port sniffs it
/// before it reads: a 3-tuple led by the atom `hello`, in any atom encoding).
fn is_hello(size: PacketSize, stream: &[u8]) -> bool {
    let Some(len) = size.read_header(stream) else { return false };
    let body = &stream[size.header_len()..];
    let atom: &[u8] = match body {
        [131, 104, 3, 100 | 118, 0, 5, atom @ ..] | [131, 104, 3, 115 | 119, 5, atom @ ..] => atom,
        _ => return false,
    };
    len >= 14 && atom.starts_with(b"hello")
}

/// A `ConcurrentProtocol` serving an arbitrary byte stream (the first byte picks the packet
/// size, the limit and the concurrency): it reads to the end and returns (`Ok` at a clean end,
/// an error only when the stream breaks off inside a packet), every packet that is a
/// `{call, Id, Name, Args}` gets exactly one `{reply, Id, _}` (and one refused whole, when
/// its start holds a call's id, at most one), and everything it writes is a term. Handlers include one that waits for Erlang (answered by a `{reply, 0, _}` in the
/// stream, or told the port closed) and one that sends progress.
pub fn concurrent(data: &[u8]) {
    use erlport::codec::{Atom, Decoder, Inflater, Term};
    use erlport::{ConcurrentProtocol, Context, OwnedTerm};
    use std::sync::{Arc, Mutex};

    let Some((&choice, stream)) = data.split_first() else { return };
    let packet = [PacketSize::One, PacketSize::Two, PacketSize::Four][usize::from(choice % 3)];
    let max = if choice & 4 != 0 { 64 } else { 1 << 20 };
    let limit = 1 << 20;

    /// What the protocol writes, kept.
    #[derive(Clone, Default)]
    struct Out(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Out {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    // The calls in the stream, as the port will read them.
    let mut buf = vec![0u8; max.min(packet.max_len())];
    let mut reader = PacketReader::new(packet, &mut buf);
    // Calls read whole; calls refused as not valid (answered by id: the port has the whole
    // packet); calls over the limit whose start holds the id (answered by id when that start
    // came in the port's read with the header).
    let (mut calls, mut invalid_calls, mut large_calls) = (0, 0, 0);
    let mut input = stream;
    loop {
        match reader.feed(input) {
            Feed::Consumed => break,
            Feed::Packet { packet, rest } => {
                let (mut scratch, mut inflater) = (Vec::new(), Inflater::new());
                let decoded = Decoder::new()
                    .scratch_vec(&mut scratch)
                    .inflater(&mut inflater)
                    .inflate_limit(limit)
                    .decode(packet);
                let is_call = |t: Term<'_>| {
                    t.as_tuple().is_some_and(|t| t.arity() == 4 && t.get(0).is_some_and(|k| k.is_atom("call")))
                };
                match decoded {
                    Ok(term) if is_call(term) => calls += 1,
                    Ok(_) => {}
                    Err(_) if starts_with_call_id(packet) => invalid_calls += 1,
                    Err(_) => {}
                }
                input = rest;
            }
            Feed::TooLarge { len, rest } => {
                // The port keeps as much of the first 256 bytes as came with the header.
                if starts_with_call_id(&rest[..rest.len().min(len).min(256)]) {
                    large_calls += 1;
                }
                input = rest;
            }
        }
    }
    let ends_cleanly = reader.is_between_packets();

    let out = Out::default();
    let mut proto = ConcurrentProtocol::new();
    proto.concurrency(usize::from(choice >> 5) + 1);
    proto.handle("echo", |x: OwnedTerm| x);
    proto.handle("add", |a: i64, b: i64| a.wrapping_add(b));
    proto.handle("ask", |ctx: Context| ctx.call::<OwnedTerm>("m", "f", ()));
    proto.handle("progress", |ctx: Context, n: u8| {
        (0..n).try_for_each(|i| ctx.progress(&i)).map(|()| Atom::new("done"))
    });
    let result = proto.run(Port::new(stream, out.clone(), packet).inflate_limit(limit).max_packet(max));
    // A hello framed with another packet size than the port's is answered in that size, and
    // the port stops: Erlang and the program disagree on the framing.
    let sizes = [PacketSize::One, PacketSize::Two, PacketSize::Four];
    if !is_hello(packet, stream) && sizes.iter().any(|&other| other != packet && is_hello(other, stream)) {
        assert!(result.is_err(), "a hello in another packet size was served");
        return;
    }
    assert_eq!(result.is_ok(), ends_cleanly, "{result:?}");

    let written = out.0.lock().unwrap();
    let mut rest = &written[..];
    let mut replies = 0;
    while let Some(len) = packet.read_header(rest) {
        let body = &rest[packet.header_len()..packet.header_len() + len];
        let term = erlport::codec::decode(body).expect("the port writes terms");
        let tuple = term.as_tuple().expect("every message is a tuple");
        if tuple.get(0).is_some_and(|k| k.is_atom("reply")) {
            replies += 1;
        }
        rest = &rest[packet.header_len() + len..];
    }
    assert!(rest.is_empty(), "whole packets only");
    let answered = calls + invalid_calls;
    assert!(
        answered <= replies && replies <= answered + large_calls,
        "{replies} replies to {calls} calls, {invalid_calls} not valid, {large_calls} too large"
    );
}
