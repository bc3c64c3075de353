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
//! - [`encode_framed`]: a term framed as one packet in a slice the caller owns.
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
//!                 let len = packet::encode_framed(PacketSize::Two, &(Atom::new("ok"), n + 1), &mut out)?;
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

mod framer;
#[cfg(feature = "embedded-io")]
mod io;
mod reader;
#[cfg(test)]
mod tests;

pub use framer::{Frame, Framer};
#[cfg(feature = "embedded-io")]
pub use io::{read, write};
pub use reader::{Feed, PacketReader};

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
/// let n = packet::encode_framed(PacketSize::Two, &42, &mut out)?;
/// assert_eq!(&out[..n], &[0, 3, 131, 97, 42]);
/// # Ok::<(), erlport_codec::packet::PacketError>(())
/// ```
pub fn encode_framed<T: Encode + ?Sized>(size: PacketSize, value: &T, out: &mut [u8]) -> Result<usize, PacketError> {
    let n = size.header_len();
    let body = out.get_mut(n..).ok_or(PacketError::Encode(EncodeError::BufferTooSmall { needed: n + 1 }))?;
    let len = encode_with(value, body, AtomEncoding::Utf8).map_err(|e| match e {
        EncodeError::BufferTooSmall { needed } => EncodeError::BufferTooSmall { needed: needed + n },
        other => other,
    })?;
    size.write_header(len, out)?;
    Ok(n + len)
}
