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
        }
    }
}
