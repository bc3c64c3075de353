//! [`PacketReader`]: a [`Framer`] with a buffer the caller owns, handing out whole packets.

use super::*;

/// The outcome of [`PacketReader::feed`].
#[derive(Debug, PartialEq, Eq)]
pub enum Feed<'p, 'a> {
    /// Every byte fed was taken; no packet is complete yet.
    Consumed,
    /// A whole packet, in the reader's buffer; `rest` is the input after it (feed it next).
    Packet {
        /// The packet's body (one encoded term, for a port).
        packet: &'p [u8],
        /// The bytes after the packet, not yet taken.
        rest: &'a [u8],
    },
    /// A header announced a packet longer than the buffer (or the limit). Its body is
    /// skipped as it arrives; the packet after it is read normally.
    TooLarge {
        /// The announced length.
        len: usize,
        /// The bytes after the header, not yet taken (feed them next).
        rest: &'a [u8],
    },
}

/// A push-style packet reader over a buffer the caller owns: feed it bytes as they arrive,
/// in chunks of any size, and it hands out whole packets. Packets longer than the buffer are
/// skipped, never stored, and reported once. See the [module docs](crate::packet) for a loop.
#[derive(Debug)]
pub struct PacketReader<'buf> {
    framer: Framer,
    buf: &'buf mut [u8],
    filled: usize,
}

impl<'buf> PacketReader<'buf> {
    /// A reader for `{packet, N}` keeping packets in `buf` (its length is the largest packet
    /// accepted).
    pub fn new(size: PacketSize, buf: &'buf mut [u8]) -> Self {
        let max = buf.len();
        PacketReader { framer: Framer::new(size).max_len(max), buf, filled: 0 }
    }

    /// Takes bytes from `input` until a packet is complete (or an oversized header was read),
    /// or all are taken.
    pub fn feed<'a>(&mut self, mut input: &'a [u8]) -> Feed<'_, 'a> {
        loop {
            match self.framer.next(&mut input) {
                None => return Feed::Consumed,
                Some(Frame::TooLarge { len, .. }) => return Feed::TooLarge { len, rest: input },
                Some(Frame::Body { bytes, left }) => {
                    // The framer's limit is the buffer's length, so the body fits.
                    let end = self.filled + bytes.len();
                    if let Some(slot) = self.buf.get_mut(self.filled..end) {
                        slot.copy_from_slice(bytes);
                    }
                    self.filled = end;
                    if left == 0 {
                        let len = core::mem::take(&mut self.filled);
                        return Feed::Packet { packet: self.buf.get(..len).unwrap_or(&[]), rest: input };
                    }
                }
            }
        }
    }

    /// Whether the stream is between packets (where it may end cleanly).
    pub fn is_between_packets(&self) -> bool {
        self.framer.is_between_packets()
    }

    /// The framer inside, to ask what it expects ([`Framer::at_end`], [`Framer::wanted`]).
    pub fn framer(&self) -> &Framer {
        &self.framer
    }
}
