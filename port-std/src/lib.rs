//! Erlang ports in Rust, after the Python library erlport: a [`Port`] that reads and writes
//! `{packet, N}` frames over stdio or file descriptors 3 and 4, and a [`Protocol`] that
//! dispatches `{name, A1, ..., An}` messages to typed handlers.
//!
//! ```no_run
//! use erlport::{PacketSize, Port, Protocol, codec::ErlString};
//!
//! fn main() -> Result<(), erlport::Error> {
//!     let mut proto = Protocol::new();
//!     proto.handle("hello", |name: String| ErlString(format!("Hello, {name}")));
//!     // open_port({spawn, "hello"}, [{packet, 1}, binary]) on the Erlang side.
//!     proto.run(Port::stdio(PacketSize::One)?)
//! }
//! ```
//!
//! The codec is re-exported as [`codec`], so a port program needs only this crate.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod args;
mod port;
mod protocol;

pub use args::{Args, AtomName, FromTerm, OwnedTerm};
pub use erlport_codec as codec;
pub use erlport_codec::Compression;
pub use port::{PacketSize, Port, Sender, fds};
pub use protocol::{Fallible, Handler, Plain, Protocol};

use std::fmt;
use std::io;

/// Why a port could not read or write.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing failed.
    Io(io::Error),
    /// A packet's bytes are not a term Erlang's `binary_to_term` would accept.
    Decode(codec::DecodeError),
    /// A value could not be encoded.
    Encode(codec::EncodeError),
    /// The input ended inside a packet: `got` of the `expected` bytes arrived.
    Truncated {
        /// The bytes the header (or the packet's length) promised.
        expected: usize,
        /// The bytes that arrived.
        got: usize,
    },
    /// A packet longer than the packet size (or the reader's limit) allows.
    PacketTooLarge {
        /// The length.
        len: usize,
        /// The largest allowed.
        max: usize,
    },
    /// A packet holds more bytes after its term.
    TrailingBytes {
        /// How many.
        count: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "port I/O: {e}"),
            Error::Decode(e) => write!(f, "decoding a packet: {e}"),
            Error::Encode(e) => write!(f, "encoding a reply: {e}"),
            Error::Truncated { expected, got } => {
                write!(f, "packet cut short by end of input: {got} of {expected} bytes arrived")
            }
            Error::PacketTooLarge { len, max } => write!(f, "packet of {len} bytes, above the {max} allowed"),
            Error::TrailingBytes { count } => write!(f, "{count} bytes follow the term in its packet"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            Error::Decode(e) => Some(e),
            Error::Encode(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

impl From<codec::DecodeError> for Error {
    fn from(e: codec::DecodeError) -> Self {
        Error::Decode(e)
    }
}

impl From<codec::EncodeError> for Error {
    fn from(e: codec::EncodeError) -> Self {
        Error::Encode(e)
    }
}
