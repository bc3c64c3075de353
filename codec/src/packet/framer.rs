//! [`Framer`]: a byte stream fed in chunks of any size, split into packet bodies.

use super::*;

/// Where a [`Framer`] is in the stream.
#[derive(Clone, Copy, Debug)]
pub(super) enum State {
    /// `have` bytes of a header so far.
    Header { have: u8, bytes: [u8; 4] },
    /// `left` of a `len`-byte body still to come.
    Body { len: usize, left: usize },
    /// Skipping `left` of a `len`-byte body longer than allowed.
    Skip { len: usize, left: usize },
}

/// What the next bytes of the stream are, from [`Framer::next`].
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// The next bytes of the current packet's body, with how many are still to come after them
    /// (`left == 0`: the packet is complete; an empty packet is one empty `Body`).
    Body {
        /// The bytes, borrowed from the input.
        bytes: &'a [u8],
        /// Body bytes still to come after these.
        left: usize,
    },
    /// A header announced a body longer than allowed. Its bytes are skipped as they arrive,
    /// never stored; the packet after it is read normally.
    TooLarge {
        /// The announced length.
        len: usize,
        /// The largest allowed.
        max: usize,
    },
}

/// Splits a byte stream into `{packet, N}` bodies, fed in chunks of any size (one byte at a
/// time included). It stores nothing but its position (a few words), so the caller decides
/// where bodies go: [`PacketReader`] copies them into a slice, `erlport`'s `Port` into a
/// `Vec` that grows only as bytes arrive, never from a header alone.
///
/// ```
/// use erlport_codec::packet::{Frame, Framer, PacketSize};
/// let mut framer = Framer::new(PacketSize::One).max_len(3);
/// let mut input: &[u8] = &[2, b'h', b'i', 9, 1, 2];
/// assert_eq!(framer.next(&mut input), Some(Frame::Body { bytes: b"hi", left: 0 }));
/// assert_eq!(framer.next(&mut input), Some(Frame::TooLarge { len: 9, max: 3 }));
/// assert_eq!(framer.next(&mut input), None); // all taken: 2 of the 9 skipped
/// assert!(!framer.is_between_packets());
/// ```
#[derive(Clone, Debug)]
pub struct Framer {
    size: PacketSize,
    max: usize,
    state: State,
}

impl Framer {
    /// A framer for `{packet, N}` that accepts bodies up to [`DEFAULT_MAX_PACKET`] (or the
    /// header's own limit, when lower).
    pub fn new(size: PacketSize) -> Self {
        Framer { size, max: DEFAULT_MAX_PACKET.min(size.max_len()), state: State::Header { have: 0, bytes: [0; 4] } }
    }

    /// Skips packets longer than `max` bytes (reported as [`Frame::TooLarge`]).
    pub fn max_len(mut self, max: usize) -> Self {
        self.max = max.min(self.size.max_len());
        self
    }

    /// The packet size.
    pub fn size(&self) -> PacketSize {
        self.size
    }

    /// The largest body accepted.
    pub fn limit(&self) -> usize {
        self.max
    }

    /// Takes bytes from the front of `input` (moving it on) and says what they were: body
    /// bytes or an oversized header. `None` when all of `input` was taken without completing
    /// either (a header split across chunks, or bytes of a skipped body): feed more.
    pub fn next<'a>(&mut self, input: &mut &'a [u8]) -> Option<Frame<'a>> {
        loop {
            match &mut self.state {
                State::Header { have, bytes } => {
                    let n = self.size.header_len();
                    let (&first, rest) = input.split_first()?;
                    bytes[usize::from(*have)] = first;
                    *input = rest;
                    *have += 1;
                    if usize::from(*have) < n {
                        continue;
                    }
                    let len = bytes[..n].iter().fold(0usize, |len, &b| len << 8 | usize::from(b));
                    if len > self.max {
                        self.state = State::Skip { len, left: len };
                        return Some(Frame::TooLarge { len, max: self.max });
                    }
                    self.state = State::Body { len, left: len };
                    if len == 0 {
                        self.state = State::Header { have: 0, bytes: [0; 4] };
                        return Some(Frame::Body { bytes: &[], left: 0 });
                    }
                }
                State::Body { left, .. } => {
                    if input.is_empty() {
                        return None;
                    }
                    let (bytes, rest) = input.split_at((*left).min(input.len()));
                    *input = rest;
                    *left -= bytes.len();
                    let left = *left;
                    if left == 0 {
                        self.state = State::Header { have: 0, bytes: [0; 4] };
                    }
                    return Some(Frame::Body { bytes, left });
                }
                State::Skip { left, .. } => {
                    let n = (*left).min(input.len());
                    *input = &input[n..];
                    *left -= n;
                    if *left > 0 {
                        return None;
                    }
                    self.state = State::Header { have: 0, bytes: [0; 4] };
                }
            }
        }
    }

    /// Whether the stream is between packets: where it may end cleanly.
    pub fn is_between_packets(&self) -> bool {
        matches!(self.state, State::Header { have: 0, .. })
    }

    /// When the stream ends here: [`PacketError::Truncated`] with what was expected and what
    /// arrived, or `None` between packets (a clean end).
    pub fn at_end<E>(&self) -> Option<PacketError<E>> {
        match self.state {
            State::Header { have: 0, .. } => None,
            State::Header { have, .. } => {
                Some(PacketError::Truncated { expected: self.size.header_len(), got: usize::from(have) })
            }
            State::Body { len, left } | State::Skip { len, left } => {
                Some(PacketError::Truncated { expected: len, got: len - left })
            }
        }
    }

    /// How many more bytes the current header or body needs (at least 1): a reader that must
    /// not read past a packet asks for at most this many.
    pub fn wanted(&self) -> usize {
        match self.state {
            State::Header { have, .. } => self.size.header_len() - usize::from(have),
            State::Body { left, .. } | State::Skip { left, .. } => left.max(1),
        }
    }
}
