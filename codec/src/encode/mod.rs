//! Encoding into memory the caller owns: an [`Encoder`] over a [`Sink`] sink, the [`Encode`]
//! trait for views and Rust values, and builder calls for streaming output.
//!
//! Output is byte-identical to `term_to_binary(T, [{minor_version, 2}])` (UTF-8 atoms, the
//! OTP 26+ default); [`AtomEncoding::Latin1`] gives `minor_version` 1 output (OTP 25's default).
//! Map keys are written in the order given: Erlang writes maps of up to 32 keys sorted by key,
//! so give them sorted for byte-identical output.

#[cfg(feature = "arbitrary")]
use crate::term::Atom;

mod encoder;
mod error;
mod impls;
mod sink;

pub use encoder::{AtomEncoding, Encoder};
pub use error::{EncodeError, ErrorText};
pub use impls::{ErlString, ImproperList, MapFrom};
pub use sink::{Counter, Sink, SliceWriter};

/// The fields of a fun before its free variables (see `Encoder::fun`).
#[cfg(feature = "arbitrary")]
pub(crate) struct FunParts<'a> {
    pub(crate) module: &'a str,
    pub(crate) arity: u8,
    pub(crate) uniq: &'a [u8; 16],
    pub(crate) index: u32,
    pub(crate) old_index: i64,
    pub(crate) old_uniq: i64,
    pub(crate) creator: (&'a Atom<'a>, u32, u32, u32),
}

/// A value that can be written as an Erlang term.
pub trait Encode {
    /// Writes the value as one term.
    fn encode<W: Sink>(&self, encoder: &mut Encoder<W>) -> Result<(), W::Error>;

    /// Writes a slice of these values. Lists by default (`STRING_EXT` when every element is an
    /// integer 0..=255, as Erlang does); `u8` writes a binary.
    fn encode_slice<W: Sink>(items: &[Self], encoder: &mut Encoder<W>) -> Result<(), W::Error>
    where
        Self: Sized,
    {
        encoder.list_of(items)
    }

    /// The value as a byte, if it is an integer 0..=255 (for `STRING_EXT`).
    fn as_byte(&self) -> Option<u8> {
        None
    }
}
/// Encodes `value` into `buf`: the version byte, then the term. Returns the number of bytes
/// written.
///
/// ```
/// let mut buf = [0u8; 16];
/// let n = erlport_codec::encode(&(erlport_codec::Atom::new("ok"), 42), &mut buf)?;
/// assert_eq!(&buf[..n], &[131, 104, 2, 119, 2, b'o', b'k', 97, 42]);
/// # Ok::<(), erlport_codec::EncodeError>(())
/// ```
pub fn encode<T: Encode + ?Sized>(value: &T, buf: &mut [u8]) -> Result<usize, EncodeError> {
    encode_with(value, buf, AtomEncoding::Utf8)
}

/// [`encode`] with a choice of atom encoding ([`AtomEncoding::Latin1`] for `minor_version` 1).
pub fn encode_with<T: Encode + ?Sized>(value: &T, buf: &mut [u8], atoms: AtomEncoding) -> Result<usize, EncodeError> {
    let mut encoder = Encoder::new(SliceWriter::new(buf)).with_atoms(atoms);
    encoder.version()?;
    value.encode(&mut encoder)?;
    Ok(encoder.into_inner().finish()?.len())
}

/// The number of bytes [`encode`] writes for `value` (with the version byte); writes nothing.
pub fn encoded_len<T: Encode + ?Sized>(value: &T) -> Result<usize, EncodeError> {
    encoded_len_with(value, AtomEncoding::Utf8)
}

/// [`encoded_len`] for [`encode_with`].
pub fn encoded_len_with<T: Encode + ?Sized>(value: &T, atoms: AtomEncoding) -> Result<usize, EncodeError> {
    let mut encoder = Encoder::new(Counter(0)).with_atoms(atoms);
    encoder.version()?;
    value.encode(&mut encoder)?;
    Ok(encoder.into_inner().0)
}

/// Encodes `value` into a fixed-capacity `heapless::Vec`, for programs without an allocator.
pub fn encode_to_heapless<const N: usize, T: Encode + ?Sized>(value: &T) -> Result<heapless::Vec<u8, N>, EncodeError> {
    let mut encoder = Encoder::new(heapless::Vec::<u8, N>::new());
    let written = encoder.version().and_then(|()| value.encode(&mut encoder));
    match written {
        Ok(()) => Ok(encoder.into_inner()),
        // Say how large the whole output is, not just how far it got.
        Err(EncodeError::BufferTooSmall { .. }) => Err(EncodeError::BufferTooSmall { needed: encoded_len(value)? }),
        Err(other) => Err(other),
    }
}

/// Encodes `value` into a new `Vec`.
#[cfg(feature = "alloc")]
pub fn encode_to_vec<T: Encode + ?Sized>(value: &T) -> Result<alloc::vec::Vec<u8>, EncodeError> {
    let mut encoder = Encoder::new(alloc::vec::Vec::new());
    encoder.version()?;
    value.encode(&mut encoder)?;
    Ok(encoder.into_inner())
}
