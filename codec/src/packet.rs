//! `{packet, N}` framing without an allocator: each message is a 1, 2 or 4 byte big-endian
//! length, then that many bytes (one encoded term), as Erlang's `open_port(..., [{packet, N}])`
//! and `gen_tcp` with `{packet, N}` frame them.
//!
//! - [`PacketSize`]: the header size, reading and writing headers.
//! - [`Framer`]: splits a byte stream fed in chunks of any size into packet bodies, skipping
//!   packets longer than a limit (the stream stays in step). It copies nothing: the bodies are
//!   handed out piece by piece for the caller to store (`erlport`'s std `Port` reads through
//!   it into a growing `Vec`).
//! - [`PacketReader`]: a `Framer` with a buffer the caller owns; fed bytes as they arrive
//!   (from an interrupt, a DMA ring, a socket), it hands out whole packets.
//! - [`encode`]: a term framed as one packet in a slice the caller owns.
//! - With the `embedded-io` feature, [`read()`] and [`write()`]: blocking packet I/O over any
//!   `embedded_io::Read`/`Write` (a UART, a USB serial port, a socket).
//!
//! A loop that answers every packet, on a microcontroller or anywhere else:
//!
//! ```
//! use erlport_codec::packet::{self, Feed, PacketReader, PacketSize};
//! use erlport_codec::{decode, Atom};
//!
//! // Two {packet, 2} messages as they might arrive from a UART, split anywhere.
//! let chunks: [&[u8]; 3] = [&[0, 3, 131, 97], &[1, 0, 3], &[131, 97, 2]];
//! let mut buf = [0u8; 256];
//! let mut reader = PacketReader::new(PacketSize::Two, &mut buf);
//! let mut out = [0u8; 64];
//! let mut replies = 0;
//! for chunk in chunks {
//!     let mut input = chunk;
//!     loop {
//!         match reader.feed(input) {
//!             Feed::Consumed => break,
//!             Feed::Packet { packet, rest } => {
//!                 let n = decode(packet).ok().and_then(|t| t.as_i64()).unwrap_or(-1);
//!                 let len = packet::encode(PacketSize::Two, &(Atom::new("ok"), n + 1), &mut out)?;
//!                 // uart.write_all(&out[..len])
//!                 # let _ = len;
//!                 replies += 1;
//!                 input = rest;
//!             }
//!             Feed::TooLarge { len, rest } => {
//!                 // Longer than `buf`: it is skipped as it arrives. Answer with an error.
//!                 # let _ = len;
//!                 input = rest;
//!             }
//!         }
//!     }
//! }
//! assert_eq!(replies, 2);
//! # Ok::<(), erlport_codec::packet::PacketError>(())
//! ```

use crate::encode::{AtomEncoding, Encode, EncodeError, encode_with};
use core::fmt;

/// The default largest packet a reader accepts, 64 MiB (like gRPC's 4 MiB default for a
/// message, a bound that keeps a bad header from making a program allocate gigabytes).
pub const DEFAULT_MAX_PACKET: usize = 64 * 1024 * 1024;

/// The size of the big-endian length header before every packet, as in `{packet, N}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PacketSize {
    /// `{packet, 1}`: bodies of up to 255 bytes.
    One,
    /// `{packet, 2}`: bodies of up to 65,535 bytes.
    Two,
    /// `{packet, 4}`: bodies of up to 4 GiB - 1.
    Four,
}

impl PacketSize {
    /// The packet size for `{packet, N}`, N in 1, 2, 4.
    pub const fn new(n: u8) -> Option<PacketSize> {
        match n {
            1 => Some(PacketSize::One),
            2 => Some(PacketSize::Two),
            4 => Some(PacketSize::Four),
            _ => None,
        }
    }

    /// The header length in bytes: N.
    pub const fn header_len(self) -> usize {
        match self {
            PacketSize::One => 1,
            PacketSize::Two => 2,
            PacketSize::Four => 4,
        }
    }

    /// The longest body this header can announce.
    pub const fn max_len(self) -> usize {
        match self {
            PacketSize::One => 0xff,
            PacketSize::Two => 0xffff,
            // 4 GiB - 1, or all a 16-bit target can address.
            PacketSize::Four => {
                if usize::BITS > 32 {
                    0xffff_ffff
                } else {
                    usize::MAX
                }
            }
        }
    }

    /// The body length a header announces; `None` when `header` is shorter than N bytes
    /// (bytes after the first N are ignored).
    pub fn read_header(self, header: &[u8]) -> Option<usize> {
        let header = header.get(..self.header_len())?;
        Some(header.iter().fold(0usize, |len, &b| len << 8 | usize::from(b)))
    }

    /// Writes the header for a body of `len` bytes into the first N bytes of `out`.
    pub fn write_header(self, len: usize, out: &mut [u8]) -> Result<(), PacketError> {
        if len > self.max_len() {
            return Err(PacketError::TooLarge { len, max: self.max_len() });
        }
        let n = self.header_len();
        let out = out.get_mut(..n).ok_or(PacketError::Encode(EncodeError::BufferTooSmall { needed: n }))?;
        let be = (len as u64).to_be_bytes();
        out.copy_from_slice(&be[8 - n..]);
        Ok(())
    }
}

/// Why a packet could not be read or written. `E` is the I/O error of the reader or writer
/// (none for the in-memory calls).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PacketError<E = core::convert::Infallible> {
    /// A packet longer than allowed: when reading, its body was skipped (the stream is still
    /// in step: the next read gets the next packet); when writing, nothing was written.
    TooLarge {
        /// The body length.
        len: usize,
        /// The largest allowed (the header's, the limit's or the buffer's).
        max: usize,
    },
    /// The input ended inside a packet: `got` of the `expected` bytes of its header or body
    /// arrived. The stream cannot be resynchronised.
    Truncated {
        /// The bytes the header (or the body's length) promised.
        expected: usize,
        /// The bytes that arrived.
        got: usize,
    },
    /// The term could not be encoded (the output buffer is too small, say).
    Encode(EncodeError),
    /// The reader or writer failed.
    Io(E),
}

impl<E: fmt::Display> fmt::Display for PacketError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PacketError::TooLarge { len, max } => write!(f, "packet of {len} bytes, above the {max} allowed"),
            PacketError::Truncated { expected, got } => {
                write!(f, "packet cut short by end of input: {got} of {expected} bytes arrived")
            }
            PacketError::Encode(e) => write!(f, "encoding a packet: {e}"),
            PacketError::Io(e) => write!(f, "packet I/O: {e}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> core::error::Error for PacketError<E> {}

#[cfg(feature = "defmt")]
impl<E: defmt::Format> defmt::Format for PacketError<E> {
    fn format(&self, f: defmt::Formatter<'_>) {
        match self {
            PacketError::TooLarge { len, max } => {
                defmt::write!(f, "packet of {=usize} bytes, above {=usize}", len, max)
            }
            PacketError::Truncated { expected, got } => {
                defmt::write!(f, "packet cut short: {=usize} of {=usize} bytes", got, expected)
            }
            PacketError::Encode(e) => defmt::write!(f, "encoding a packet: {}", e),
            PacketError::Io(e) => defmt::write!(f, "packet I/O: {}", e),
        }
    }
}

impl<E> From<EncodeError> for PacketError<E> {
    fn from(e: EncodeError) -> Self {
        PacketError::Encode(e)
    }
}

/// Encodes `value` as one packet into `out`: the header, the version byte, the term. Returns
/// the number of bytes written. A body longer than the header can announce is
/// [`PacketError::TooLarge`].
///
/// ```
/// use erlport_codec::packet::{self, PacketSize};
/// let mut out = [0u8; 8];
/// let n = packet::encode(PacketSize::Two, &42, &mut out)?;
/// assert_eq!(&out[..n], &[0, 3, 131, 97, 42]);
/// # Ok::<(), erlport_codec::packet::PacketError>(())
/// ```
pub fn encode<T: Encode + ?Sized>(size: PacketSize, value: &T, out: &mut [u8]) -> Result<usize, PacketError> {
    let n = size.header_len();
    let body = out.get_mut(n..).ok_or(PacketError::Encode(EncodeError::BufferTooSmall { needed: n + 1 }))?;
    let len = encode_with(value, body, AtomEncoding::Utf8).map_err(|e| match e {
        EncodeError::BufferTooSmall { needed } => EncodeError::BufferTooSmall { needed: needed + n },
        other => other,
    })?;
    size.write_header(len, out)?;
    Ok(n + len)
}

/// Where a [`Framer`] is in the stream.
#[derive(Clone, Copy, Debug)]
enum State {
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
/// skipped, never stored, and reported once. See the [module docs](self) for a loop.
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

/// Reads one packet from `reader` into `buf` and returns its body; `Ok(None)` when the input
/// ends cleanly between packets. Never reads past the packet. A packet longer than `buf` is
/// read and dropped chunk by chunk ([`PacketError::TooLarge`]; the next call reads the next
/// packet); input ending inside a packet is [`PacketError::Truncated`].
///
/// ```
/// use erlport_codec::packet::{self, PacketSize};
/// let mut uart: &[u8] = &[0, 3, 131, 97, 7]; // anything that implements embedded_io::Read
/// let mut buf = [0u8; 64];
/// let body = packet::read(&mut uart, PacketSize::Two, &mut buf)?.expect("a packet");
/// assert_eq!(erlport_codec::decode(body)?.as_i64(), Some(7));
/// # Ok::<(), Box<dyn core::error::Error>>(())
/// ```
///
/// A whole `{packet, 2}` port over a UART (the loop in the README):
///
/// ```
/// use erlport_codec::packet::{self, PacketError, PacketSize};
/// use erlport_codec::{decode, Atom};
///
/// fn serve<U: embedded_io::Read + embedded_io::Write>(uart: &mut U) -> Result<(), PacketError<U::Error>> {
///     let (mut request, mut reply) = ([0u8; 512], [0u8; 512]);
///     loop {
///         let answer = match packet::read(uart, PacketSize::Two, &mut request) {
///             Ok(None) => return Ok(()), // the other side closed the stream
///             Ok(Some(body)) => match decode(body) {
///                 Ok(term) => (Atom::new("ok"), term.as_i64().unwrap_or(0) + 1),
///                 Err(_) => (Atom::new("error"), 0),
///             },
///             Err(PacketError::TooLarge { .. }) => (Atom::new("error"), 1), // skipped; in step
///             Err(e) => return Err(e),
///         };
///         packet::write(uart, PacketSize::Two, &answer, &mut reply)?;
///     }
/// }
/// # struct Loopback { input: &'static [u8], output: [u8; 64], n: usize }
/// # impl embedded_io::ErrorType for Loopback { type Error = core::convert::Infallible; }
/// # impl embedded_io::Read for Loopback {
/// #     fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> { self.input.read(buf) }
/// # }
/// # impl embedded_io::Write for Loopback {
/// #     fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
/// #         let n = buf.len().min(64 - self.n);
/// #         self.output[self.n..self.n + n].copy_from_slice(&buf[..n]);
/// #         self.n += n;
/// #         Ok(n)
/// #     }
/// #     fn flush(&mut self) -> Result<(), Self::Error> { Ok(()) }
/// # }
/// let mut uart = Loopback { input: &[0, 3, 131, 97, 41], output: [0; 64], n: 0 };
/// serve(&mut uart).unwrap();
/// assert_eq!(&uart.output[..uart.n], &[0, 9, 131, 104, 2, 119, 2, b'o', b'k', 97, 42]);
/// ```
#[cfg(feature = "embedded-io")]
pub fn read<'b, R: embedded_io::Read>(
    reader: &mut R,
    size: PacketSize,
    buf: &'b mut [u8],
) -> Result<Option<&'b [u8]>, PacketError<R::Error>> {
    let mut header = [0u8; 4];
    let n = size.header_len();
    let got = read_full(reader, &mut header[..n])?;
    if got == 0 {
        return Ok(None);
    }
    let len = match size.read_header(&header[..got]) {
        Some(len) => len,
        None => return Err(PacketError::Truncated { expected: n, got }),
    };
    let max = buf.len().min(size.max_len());
    if len > max {
        // Skip the body through whatever room there is, so the stream stays in step.
        let bin: &mut [u8] = if buf.is_empty() { &mut header } else { buf };
        let mut left = len;
        while left > 0 {
            let take = left.min(bin.len());
            match reader.read(&mut bin[..take]).map_err(PacketError::Io)? {
                0 => return Err(PacketError::Truncated { expected: len, got: len - left }),
                r => left -= r,
            }
        }
        return Err(PacketError::TooLarge { len, max });
    }
    let body = &mut buf[..len];
    let got = read_full(reader, body)?;
    if got < len {
        return Err(PacketError::Truncated { expected: len, got });
    }
    Ok(Some(body))
}

/// Fills `buf` from `reader`; returns how many bytes arrived before the end of input.
#[cfg(feature = "embedded-io")]
fn read_full<R: embedded_io::Read>(reader: &mut R, buf: &mut [u8]) -> Result<usize, PacketError<R::Error>> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]).map_err(PacketError::Io)? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Encodes `value` as one packet in `buf` and writes it to `writer` (all of it, then a
/// flush). Nothing is written when the term does not fit `buf` or the packet size.
///
/// ```
/// use erlport_codec::{Atom, packet::{self, PacketSize}};
/// let mut out = [0u8; 16];
/// let mut uart = &mut out[..]; // anything that implements embedded_io::Write
/// let mut buf = [0u8; 32];
/// packet::write(&mut uart, PacketSize::Two, &(Atom::new("ok"), 1), &mut buf)?;
/// assert_eq!(&out[..11], &[0, 9, 131, 104, 2, 119, 2, b'o', b'k', 97, 1]);
/// # Ok::<(), Box<dyn core::error::Error>>(())
/// ```
#[cfg(feature = "embedded-io")]
pub fn write<W: embedded_io::Write, T: Encode + ?Sized>(
    writer: &mut W,
    size: PacketSize,
    value: &T,
    buf: &mut [u8],
) -> Result<(), PacketError<W::Error>> {
    let n = encode(size, value, buf).map_err(|e| match e {
        PacketError::TooLarge { len, max } => PacketError::TooLarge { len, max },
        PacketError::Truncated { expected, got } => PacketError::Truncated { expected, got },
        PacketError::Encode(e) => PacketError::Encode(e),
        PacketError::Io(never) => match never {},
    })?;
    writer.write_all(&buf[..n]).map_err(PacketError::Io)?;
    writer.flush().map_err(PacketError::Io)
}

#[cfg(test)]
mod tests {
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
        let n = encode(PacketSize::Four, &(crate::Atom::new("ok"), 1), &mut out).unwrap();
        assert_eq!(&out[..n], &[0, 0, 0, 9, 131, 104, 2, 119, 2, b'o', b'k', 97, 1]);
        assert_eq!(
            encode(PacketSize::Four, &(crate::Atom::new("ok"), 1), &mut out[..12]),
            Err(PacketError::Encode(EncodeError::BufferTooSmall { needed: 13 }))
        );
        let big = [7u8; 300];
        assert_eq!(
            encode(PacketSize::One, &big[..], &mut [0u8; 400]),
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
}
