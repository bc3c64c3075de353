//! Why a value could not be encoded.

use core::fmt;

/// Why a value could not be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// The output buffer is too small: `needed` bytes are required in all.
    BufferTooSmall {
        /// The size the whole output needs.
        needed: usize,
    },
    /// A float that is infinite or NaN: Erlang has no such value.
    NonFiniteFloat,
    /// A builder call wrote a different number of terms than its header declared.
    CountMismatch {
        /// What the header declared.
        declared: u64,
        /// What was written.
        written: u64,
    },
    /// A value outside what the format can carry: an atom of more than 255 characters, a
    /// binary or list of 2^32 or more elements, a bit count outside 1..=7, a reference of no
    /// words or more than 5, an integer magnitude longer than Erlang's limit.
    OutOfRange,
    /// A `Serialize` implementation failed (serde's `Error::custom`); the start of its message.
    Custom(ErrorText),
    /// A value the `serde` mapping cannot write: a map of unknown length without the `alloc`
    /// feature, or a capture (`Term`, `ErlString`, ...) serialized in an unexpected shape.
    Unsupported(&'static str),
    /// The sink failed with an error of its own, which [`Encoder::serialize`](crate::Encoder::serialize)
    /// returns in place of this one (serde's machinery carries only `EncodeError`).
    Sink,
}

/// The first bytes of a message, kept inline (an [`EncodeError`] never allocates).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ErrorText {
    bytes: [u8; ErrorText::CAPACITY],
    len: u8,
}

impl ErrorText {
    /// How many bytes of a message are kept.
    pub const CAPACITY: usize = 22;

    /// Keeps the first bytes of `text` that fit, cut at a character boundary.
    pub fn new(text: &str) -> Self {
        let mut len = text.len().min(Self::CAPACITY);
        while !text.is_char_boundary(len) {
            len -= 1;
        }
        let mut bytes = [0; Self::CAPACITY];
        bytes[..len].copy_from_slice(&text.as_bytes()[..len]);
        ErrorText { bytes, len: len as u8 }
    }

    /// The text kept.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl fmt::Debug for ErrorText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for ErrorText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::BufferTooSmall { needed } => write!(f, "buffer too small: {needed} bytes needed"),
            EncodeError::NonFiniteFloat => f.write_str("float is infinite or NaN"),
            EncodeError::CountMismatch { declared, written } => {
                write!(f, "header declared {declared} terms but {written} were written")
            }
            EncodeError::OutOfRange => f.write_str("value outside what the external term format carries"),
            EncodeError::Custom(message) => write!(f, "serialize failed: {message}"),
            EncodeError::Unsupported(what) => write!(f, "cannot serialize {what}"),
            EncodeError::Sink => f.write_str("the sink failed"),
        }
    }
}

impl core::error::Error for EncodeError {}

#[cfg(feature = "defmt")]
impl defmt::Format for EncodeError {
    fn format(&self, f: defmt::Formatter<'_>) {
        match self {
            EncodeError::BufferTooSmall { needed } => defmt::write!(f, "buffer too small: {=usize} needed", needed),
            EncodeError::NonFiniteFloat => defmt::write!(f, "non-finite float"),
            EncodeError::CountMismatch { declared, written } => {
                defmt::write!(f, "declared {=u64} terms, wrote {=u64}", declared, written)
            }
            EncodeError::OutOfRange => defmt::write!(f, "out of range"),
            EncodeError::Custom(message) => defmt::write!(f, "serialize failed: {=str}", message.as_str()),
            EncodeError::Unsupported(what) => defmt::write!(f, "cannot serialize {=str}", what),
            EncodeError::Sink => defmt::write!(f, "the sink failed"),
        }
    }
}
