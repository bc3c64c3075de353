//! The packet layer: feed `{packet, 2}` bytes to a PacketReader, decode the packet, frame a
//! reply with packet::encode_framed.
#![no_std]
#![no_main]

use erlport_codec::packet::{self, Feed, PacketReader, PacketSize};
use erlport_codec::{Atom, decode};

fn work() -> i64 {
    // {packet, 2} of term_to_binary(41), split in two chunks.
    let chunks: [&[u8]; 2] = core::hint::black_box([&[0, 3, 131], &[97, 41]]);
    let mut buf = [0u8; 64];
    let mut reader = PacketReader::new(PacketSize::Two, &mut buf);
    let mut out = [0u8; 32];
    let mut total = 0;
    for chunk in chunks {
        if let Feed::Packet { packet, .. } = reader.feed(chunk) {
            let n = decode(packet).ok().and_then(|t| t.as_i64()).unwrap_or(-100);
            match packet::encode_framed(PacketSize::Two, &(Atom::new("ok"), n + 1), &mut out) {
                Ok(len) => total += len as i64 + i64::from(out[len - 1]),
                Err(_) => return -1,
            }
        }
    }
    total
}

#[cortex_m_rt::entry]
fn main() -> ! {
    // An 11-byte packet ending in 42.
    erlport_codec_canary::measure(work, 11 + 42)
}
