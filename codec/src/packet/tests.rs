//! The framing against streams cut at every point.

use super::*;
extern crate std;
use std::vec::Vec;

/// What a reader should hand out: a body, or an oversized packet's length.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Got {
    Packet(Vec<u8>),
    TooLarge(usize),
}

/// A stream of packets of these lengths (bodies of counting bytes), and what a reader
/// limited to `max` should report for it.
fn stream(size: PacketSize, lens: &[usize], max: usize) -> (Vec<u8>, Vec<Got>) {
    let mut bytes = Vec::new();
    let mut expect = Vec::new();
    for (i, &len) in lens.iter().enumerate() {
        let mut header = [0u8; 4];
        size.write_header(len, &mut header).unwrap();
        bytes.extend_from_slice(&header[..size.header_len()]);
        let body: Vec<u8> = (0..len).map(|j| (i * 31 + j) as u8).collect();
        bytes.extend_from_slice(&body);
        expect.push(if len > max { Got::TooLarge(len) } else { Got::Packet(body) });
    }
    (bytes, expect)
}

/// Feeds `chunks` to a `PacketReader` with a `max`-byte buffer; also checks where the
/// stream may end.
fn feed_all(size: PacketSize, chunks: &[&[u8]], max: usize) -> Vec<Got> {
    let mut buf = std::vec![0u8; max];
    let mut reader = PacketReader::new(size, &mut buf);
    let mut got = Vec::new();
    for chunk in chunks {
        let mut input = *chunk;
        loop {
            match reader.feed(input) {
                Feed::Consumed => break,
                Feed::Packet { packet, rest } => {
                    got.push(Got::Packet(packet.to_vec()));
                    input = rest;
                }
                Feed::TooLarge { len, rest } => {
                    got.push(Got::TooLarge(len));
                    input = rest;
                }
            }
        }
    }
    assert!(reader.is_between_packets(), "a whole stream ends between packets");
    assert_eq!(reader.framer().at_end::<()>(), None);
    got
}

const SIZES: [PacketSize; 3] = [PacketSize::One, PacketSize::Two, PacketSize::Four];

#[test]
fn every_split_into_two_or_three_chunks_gives_the_same_packets() {
    for size in SIZES {
        // Empty packets, one at the limit, one over it, one far over it.
        let (bytes, expect) = stream(size, &[3, 0, 8, 9, 0, 200, 1], 8);
        for i in 0..=bytes.len() {
            assert_eq!(feed_all(size, &[&bytes[..i], &bytes[i..]], 8), expect, "{size:?} split at {i}");
            for j in i..=bytes.len() {
                let chunks = [&bytes[..i], &bytes[i..j], &bytes[j..]];
                assert_eq!(feed_all(size, &chunks, 8), expect, "{size:?} split at {i}, {j}");
            }
        }
        let bytewise: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(feed_all(size, &bytewise, 8), expect, "{size:?} one byte at a time");
    }
}

#[test]
fn a_stream_cut_anywhere_inside_a_packet_says_what_was_missing() {
    for size in SIZES {
        let (bytes, _) = stream(size, &[5, 20], 8);
        let n = size.header_len();
        let boundaries = [0, n + 5, bytes.len()];
        for cut in 0..=bytes.len() {
            let mut buf = [0u8; 8];
            let mut reader = PacketReader::new(size, &mut buf);
            let mut input = &bytes[..cut];
            while let Feed::Packet { rest, .. } | Feed::TooLarge { rest, .. } = reader.feed(input) {
                input = rest;
            }
            let end = reader.framer().at_end::<()>();
            if boundaries.contains(&cut) {
                assert_eq!(end, None, "{size:?} cut at {cut}");
                continue;
            }
            let (expected, got) = match cut {
                c if c < n => (n, c),
                c if c < n + 5 + n && c >= n + 5 => (n, c - n - 5),
                c if c < n + 5 => (5, c - n),
                c => (20, c - 2 * n - 5),
            };
            assert_eq!(end, Some(PacketError::Truncated { expected, got }), "{size:?} cut at {cut}");
        }
    }
}

#[test]
fn headers_round_trip_and_refuse_what_does_not_fit() {
    for size in SIZES {
        for len in [0, 1, 255, 256, 65_535, 65_536, 0xffff_ffff] {
            let mut out = [0u8; 4];
            match size.write_header(len, &mut out) {
                Ok(()) => {
                    assert!(len <= size.max_len());
                    assert_eq!(size.read_header(&out), Some(len));
                }
                Err(e) => {
                    assert!(len > size.max_len());
                    assert_eq!(e, PacketError::TooLarge { len, max: size.max_len() });
                }
            }
        }
        assert_eq!(size.read_header(&[1, 2, 3][..size.header_len() - 1]), None);
    }
    assert_eq!(PacketSize::Four.read_header(&[0x12, 0x34, 0x56, 0x78]), Some(0x1234_5678));
    assert_eq!(
        PacketSize::Two.write_header(3, &mut [0u8; 1]),
        Err(PacketError::Encode(EncodeError::BufferTooSmall { needed: 2 }))
    );
}

#[test]
fn the_default_limit_skips_a_header_announcing_a_gibibyte_without_storing_it() {
    let mut framer = Framer::new(PacketSize::Four);
    let mut input: &[u8] = &[0x40, 0, 0, 0, 1, 2, 3];
    assert_eq!(framer.next(&mut input), Some(Frame::TooLarge { len: 1 << 30, max: DEFAULT_MAX_PACKET }));
    assert_eq!(framer.next(&mut input), None);
    assert_eq!(framer.at_end::<()>(), Some(PacketError::Truncated { expected: 1 << 30, got: 3 }));
    assert_eq!(framer.wanted(), (1 << 30) - 3);
}

#[test]
fn encode_frames_a_term_and_says_how_much_room_it_needs() {
    let mut out = [0u8; 64];
    let n = encode_framed(PacketSize::Four, &(crate::Atom::new("ok"), 1), &mut out).unwrap();
    assert_eq!(&out[..n], &[0, 0, 0, 9, 131, 104, 2, 119, 2, b'o', b'k', 97, 1]);
    assert_eq!(
        encode_framed(PacketSize::Four, &(crate::Atom::new("ok"), 1), &mut out[..12]),
        Err(PacketError::Encode(EncodeError::BufferTooSmall { needed: 13 }))
    );
    let big = [7u8; 300];
    assert_eq!(
        encode_framed(PacketSize::One, &big[..], &mut [0u8; 400]),
        Err(PacketError::TooLarge { len: 306, max: 255 })
    );
}

#[cfg(feature = "embedded-io")]
#[test]
fn blocking_reads_match_the_push_reader_and_never_read_past_a_packet() {
    /// A reader that hands out at most `step` bytes a call.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }
    impl embedded_io::ErrorType for Trickle<'_> {
        type Error = core::convert::Infallible;
    }
    impl embedded_io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
            let n = buf.len().min(self.step).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }
    for size in SIZES {
        let (bytes, expect) = stream(size, &[3, 0, 8, 9, 0, 200, 1], 8);
        for step in [1, 2, 3, 7, 1000] {
            let mut trickle = Trickle { data: &bytes, step };
            let mut got = Vec::new();
            let mut buf = [0u8; 8];
            loop {
                match read(&mut trickle, size, &mut buf) {
                    Ok(Some(body)) => got.push(Got::Packet(body.to_vec())),
                    Ok(None) => break,
                    Err(PacketError::TooLarge { len, max: 8 }) => got.push(Got::TooLarge(len)),
                    Err(e) => panic!("{e:?}"),
                }
            }
            assert_eq!(got, expect, "{size:?} step {step}");
        }
        let mut cut = Trickle { data: &bytes[..bytes.len() - 1], step: 5 };
        let mut buf = [0u8; 8];
        let last = core::iter::from_fn(|| match read(&mut cut, size, &mut buf) {
            Ok(Some(_)) | Err(PacketError::TooLarge { .. }) => Some(None),
            Ok(None) => None,
            Err(e) => Some(Some(e)),
        })
        .flatten()
        .next();
        assert_eq!(last, Some(PacketError::Truncated { expected: 1, got: 0 }));
    }
    let mut out = [0u8; 16];
    let mut sink = &mut out[..];
    write(&mut sink, PacketSize::Two, &42, &mut [0u8; 8]).unwrap();
    assert_eq!(&out[..5], &[0, 3, 131, 97, 42]);
}
