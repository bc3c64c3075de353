//! [`Error`]: why a port could not read or write, and the `{error, Reason}` term for it.

use crate::codec;
use std::fmt;
use std::io;

/// Why a port could not read or write.
///
/// Some errors concern one packet and leave the port in step (the next read gets the next
/// packet): [`Error::Decode`], [`Error::PacketTooLarge`], [`Error::ReplyTooLarge`],
/// [`Error::Encode`]. The others end the stream ([`Error::is_fatal`]). A [`Protocol`](crate::Protocol) answers
/// the first kind with `{error, Reason}` ([`Error::reason`]) and serves on.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing failed. Fatal.
    Io(io::Error),
    /// A packet's bytes are not one term Erlang's `binary_to_term` would accept (trailing
    /// bytes, a bad compressed stream and a term inflating past the limit included).
    Decode(codec::DecodeError),
    /// A value could not be encoded; nothing was written.
    Encode(codec::EncodeError),
    /// The input ended inside a packet: `got` of the `expected` bytes of its header or body
    /// arrived. Fatal: the stream cannot be resynchronised.
    Truncated {
        /// The bytes the header (or the packet's length) promised.
        expected: usize,
        /// The bytes that arrived.
        got: usize,
    },
    /// A packet longer than the port's limit ([`Port::max_packet`](crate::Port::max_packet)) was announced; its body
    /// is skipped, never stored.
    PacketTooLarge {
        /// The length its header announced.
        len: usize,
        /// The largest allowed.
        max: usize,
    },
    /// A message to write is longer than the packet size allows; nothing was written.
    ReplyTooLarge {
        /// Its encoded length.
        len: usize,
        /// The largest the packet size allows.
        max: usize,
    },
    /// The call a concurrent handler answers was cancelled: its caller died or gave up, or
    /// the port is closing ([`Context::is_cancelled`](crate::Context::is_cancelled)); or an
    /// [`Outbox`](crate::Outbox) was used while its protocol was not running. Nothing was sent.
    Cancelled,
}

impl Error {
    /// Whether the stream is over after this error: a failed read or write, or input that
    /// ended inside a packet. The other errors concern one packet; the port reads on.
    pub fn is_fatal(&self) -> bool {
        matches!(self, Error::Io(_) | Error::Truncated { .. })
    }

    /// The `Reason` of the `{error, Reason}` reply a [`Protocol`](crate::Protocol) gives for this error:
    ///
    /// | Error | Reason |
    /// |---|---|
    /// | `Decode` | `{decode, <<"LIST_EXT at byte 1: ...">>}` (what and where, as `Display`) |
    /// | `PacketTooLarge` | `{packet_too_large, Len, Max}` |
    /// | `ReplyTooLarge` | `{reply_too_large, Len, Max}` |
    /// | `Encode` | `{encode, <<"float is infinite or NaN">>}` |
    /// | `Truncated` | `{truncated, Expected, Got}` |
    /// | `Io` | `{io, <<"...">>}` |
    /// | `Cancelled` | `cancelled` |
    ///
    /// ```
    /// use erlport::{Error, codec::{Atom, encode_to_vec, decode}};
    /// let e = Error::PacketTooLarge { len: 300, max: 255 };
    /// let reply = encode_to_vec(&(Atom::new("error"), e.reason()))?;
    /// assert_eq!(decode(&reply)?.to_string(), "{error,{packet_too_large,300,255}}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reason(&self) -> Reason<'_> {
        Reason { error: self, max_text: usize::MAX }
    }
}

/// Written as its [`reason`](Error::reason), so a handler may return `Result<T, Error>`
/// (`{error, {io, <<"Broken pipe (os error 32)">>}}`).
impl serde::Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use codec::Atom;
        match self.parts(usize::MAX) {
            Parts::Sized(tag, a, b) => (Atom::new(tag), a, b).serialize(s),
            Parts::Text(tag, text) => (Atom::new(tag), text).serialize(s),
            Parts::Atom(tag) => Atom::new(tag).serialize(s),
        }
    }
}

/// The `Reason` term for an [`Error`] (see [`Error::reason`]); encodes with [`codec::Encode`].
#[derive(Clone, Copy, Debug)]
pub struct Reason<'a> {
    error: &'a Error,
    /// The longest text to carry (cut at a character boundary, saying so).
    max_text: usize,
}

impl Reason<'_> {
    /// The same reason with its text (if it has one) cut to at most `max` bytes.
    pub(crate) fn with_max_text(mut self, max: usize) -> Self {
        self.max_text = max;
        self
    }
}

impl codec::Encode for Reason<'_> {
    fn encode<S: codec::Sink>(&self, e: &mut codec::Encoder<S>) -> Result<(), S::Error> {
        use codec::Atom;
        match self.error.parts(self.max_text) {
            Parts::Sized(tag, a, b) => (Atom::new(tag), a, b).encode(e),
            Parts::Text(tag, text) => (Atom::new(tag), text).encode(e),
            Parts::Atom(tag) => Atom::new(tag).encode(e),
        }
    }
}

/// A reason term's parts, in one table for both ways of writing it: `{Tag, A, B}`,
/// `{Tag, <<Text>>}` or `Tag`.
enum Parts {
    Sized(&'static str, u64, u64),
    Text(&'static str, String),
    Atom(&'static str),
}

impl Error {
    /// The parts of this error's reason, its text cut to `max_text` bytes.
    fn parts(&self, max_text: usize) -> Parts {
        let text = |tag, text: String| Parts::Text(tag, truncate(&text, max_text).into_owned());
        match self {
            Error::PacketTooLarge { len, max } => Parts::Sized("packet_too_large", *len as u64, *max as u64),
            Error::ReplyTooLarge { len, max } => Parts::Sized("reply_too_large", *len as u64, *max as u64),
            Error::Truncated { expected, got } => Parts::Sized("truncated", *expected as u64, *got as u64),
            Error::Decode(e) => text("decode", e.to_string()),
            Error::Encode(e) => text("encode", e.to_string()),
            Error::Io(e) => text("io", e.to_string()),
            Error::Cancelled => Parts::Atom("cancelled"),
        }
    }
}

/// `text` cut at a character boundary to at most `max` bytes, saying so at its end.
pub(crate) fn truncate(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if text.len() <= max {
        return text.into();
    }
    let note = format!("... [cut from {} bytes to fit the packet size]", text.len());
    let (mut end, note) = match max.checked_sub(note.len()) {
        Some(end) => (end, note.as_str()),
        None => (max.saturating_sub(3), "..."),
    };
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{note}", &text[..end]).into()
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
            Error::ReplyTooLarge { len, max } => {
                write!(f, "reply of {len} bytes, above the {max} the packet size allows")
            }
            Error::Cancelled => {
                f.write_str("the call was cancelled: its caller is gone or gave up, or the port is closing")
            }
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
