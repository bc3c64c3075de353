//! Decoding: [`decode`] and [`decode_prefix`] for the common case, the [`Decoder`] for
//! compressed terms, size limits and working memory. Validation (`validate`) runs once; what
//! comes back is a view (`term`) over the input.

mod decoder;
mod tuple_prefix;

pub use decoder::Decoder;
pub(crate) use decoder::{decode_prefix_plain, whole};
pub use tuple_prefix::{TuplePrefix, decode_tuple_prefix};

use crate::error::DecodeError;
use crate::term::Term;

/// Decodes one term from `input`: the version byte 131, one term, and nothing after it.
///
/// Bytes after the term are an error ([`DecodeErrorKind::TrailingBytes`](crate::DecodeErrorKind::TrailingBytes), at the offset where
/// they begin); [`decode_prefix`] allows them, as `binary_to_term/1` does. Compressed terms,
/// a size limit and working memory are configured with a [`Decoder`].
///
/// ```
/// # use erlport_codec::{decode, DecodeErrorKind};
/// assert_eq!(decode(&[131, 97, 42])?.as_i64(), Some(42));
/// assert!(decode(&[131, 104, 2, 97]).unwrap_err().is_incomplete());
/// assert_eq!(
///     decode(&[131, 97, 1, 0]).unwrap_err().kind(),
///     DecodeErrorKind::TrailingBytes { count: 1 }
/// );
/// # Ok::<(), erlport_codec::DecodeError>(())
/// ```
pub fn decode(input: &[u8]) -> Result<Term<'_>, DecodeError> {
    whole(decode_prefix_plain(input, None)?, input.len())
}

/// Decodes the term at the start of `input` and returns it with the number of bytes it used
/// (the version byte included), like `binary_to_term(Bytes, [used])`.
///
/// ```
/// # use erlport_codec::decode_prefix;
/// let (term, used) = decode_prefix(&[131, 97, 1, 131, 97, 2])?;
/// assert_eq!((term.as_i64(), used), (Some(1), 3));
/// # Ok::<(), erlport_codec::DecodeError>(())
/// ```
pub fn decode_prefix(input: &[u8]) -> Result<(Term<'_>, usize), DecodeError> {
    decode_prefix_plain(input, None)
}
