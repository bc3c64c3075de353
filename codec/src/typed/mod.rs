//! Typed data through serde (feature `serde`): [`from_bytes`], [`from_term`], [`to_slice`],
//! [`to_vec`], [`serialized_len`] and the [`Serializer`] behind them. No allocator needed;
//! borrowed fields (`&str`, `&[u8]`, [`Term`]) point into the input.

// Without `alloc` the error is inline (no Box to put it in): a deliberate size.
#![cfg_attr(not(feature = "alloc"), allow(clippy::result_large_err))]

mod de;
mod error;
mod ser;
mod views;

pub use error::{DeserializeError, MAX_PATH};
pub use ser::Serializer;

use crate::encode::{Counter, EncodeError, Encoder, SliceWriter};
use crate::term::Term;

/// How many lists, tuples, maps and tagged tuples deep [`from_bytes`] and [`from_term`] go into
/// a value before they refuse it: serde's `Deserialize` implementations recurse, so a
/// recursive Rust type (a tree) would otherwise use stack in proportion to the input. At the
/// limit, a recursive enum of lists took under 80 KiB of stack on x86-64 (measured: a 64 KiB
/// thread overflows, an 80 KiB one does not); on smaller stacks, keep recursive types out of
/// what you read, or read such data as a [`Term`] and walk it.
pub const MAX_DEPTH: usize = 128;

/// The newtype name `Term`'s `Deserialize` asks for: the deserializer hands over the term.
const CAPTURE: &str = "$erlport_codec::Term";
/// Serializer captures: bytes written as they are, an atom, an Erlang string, an improper list.
const RAW: &str = "$erlport_codec::raw";
const ATOM: &str = "$erlport_codec::atom";
const STRING: &str = "$erlport_codec::string";
const IMPROPER: &str = "$erlport_codec::improper";

/// Reads a `T` from `input`: the version byte 131, one term, and nothing after it (as
/// [`decode`](crate::decode) checks them: what Erlang's `binary_to_term` accepts). One pass
/// reads and checks; an input that is not valid gets [`decode`](crate::decode)'s error.
///
/// ```
/// use serde::Deserialize;
///
/// #[derive(Deserialize, Debug, PartialEq)]
/// struct User<'a> {
///     name: &'a str,
///     age: u32,
///     email: Option<&'a str>,
/// }
///
/// // term_to_binary(#{name => <<"Ann">>, age => 37})
/// let bytes = [131, 116, 0, 0, 0, 2, 119, 3, b'a', b'g', b'e', 97, 37,
///              119, 4, b'n', b'a', b'm', b'e', 109, 0, 0, 0, 3, b'A', b'n', b'n'];
/// let user: User = erlport_codec::from_bytes(&bytes)?;
/// assert_eq!(user, User { name: "Ann", age: 37, email: None });
///
/// // #{name => <<"Ann">>, age => old}
/// let wrong = [131, 116, 0, 0, 0, 2, 119, 3, b'a', b'g', b'e', 119, 3, b'o', b'l', b'd',
///              119, 4, b'n', b'a', b'm', b'e', 109, 0, 0, 0, 3, b'A', b'n', b'n'];
/// let error = erlport_codec::from_bytes::<User>(&wrong).unwrap_err();
/// assert_eq!(error.to_string(), "at age: expected an integer that fits a u32, found the atom old");
/// # Ok::<(), erlport_codec::DeserializeError>(())
/// ```
pub fn from_bytes<'de, T: serde::Deserialize<'de>>(input: &'de [u8]) -> Result<T, DeserializeError> {
    // One pass that checks as it reads, as fast as validating alone would be; when it does
    // not accept the input, validating first gives the error (see `de`).
    if let Some(value) = de::read_checked(input) {
        return Ok(value);
    }
    let term = crate::decode::decode(input)?;
    from_term(term)
}

/// Reads a `T` from a term already decoded (by a [`Decoder`](crate::Decoder), say, for
/// compressed input), borrowing from the same bytes.
///
/// ```
/// let bytes = [131, 104, 2, 97, 1, 109, 0, 0, 0, 2, b'h', b'i']; // {1, <<"hi">>}
/// let term = erlport_codec::decode(&bytes)?;
/// let (n, text): (u8, &str) = erlport_codec::from_term(term)?;
/// assert_eq!((n, text), (1, "hi"));
/// # Ok::<(), Box<dyn core::error::Error>>(())
/// ```
pub fn from_term<'de, T: serde::Deserialize<'de>>(term: Term<'de>) -> Result<T, DeserializeError> {
    T::deserialize(&mut de::Deserializer::from_term(term))
}

/// Writes `value` into `buf`: the version byte, then the term. Returns the number of bytes
/// written; `BufferTooSmall` says how many the whole output needs.
///
/// ```
/// #[derive(serde::Serialize)]
/// #[serde(rename_all = "snake_case")]
/// enum Shape { Circle(f64), Square { side: u8 }, Empty }
///
/// let mut buf = [0u8; 64];
/// let shapes = [Shape::Circle(1.5), Shape::Square { side: 2 }, Shape::Empty];
/// let n = erlport_codec::to_slice(&shapes[..], &mut buf)?;
/// let term = erlport_codec::decode(&buf[..n]).unwrap();
/// assert_eq!(term.to_string(), "[{circle,1.5},{square,#{side => 2}},empty]");
/// # Ok::<(), erlport_codec::EncodeError>(())
/// ```
pub fn to_slice<T: serde::Serialize + ?Sized>(value: &T, buf: &mut [u8]) -> Result<usize, EncodeError> {
    let mut encoder = Encoder::new(SliceWriter::new(buf));
    encoder.version()?;
    Serializer::new(&mut encoder).write(value)?;
    Ok(encoder.into_inner().finish()?.len())
}

/// The number of bytes [`to_slice`] writes for `value` (with the version byte); writes nothing.
pub fn serialized_len<T: serde::Serialize + ?Sized>(value: &T) -> Result<usize, EncodeError> {
    let mut encoder = Encoder::new(Counter(0));
    encoder.version()?;
    Serializer::new(&mut encoder).write(value)?;
    Ok(encoder.into_inner().0)
}

/// Writes `value` into a new `Vec`: the version byte, then the term.
///
/// ```
/// let bytes = erlport_codec::to_vec(&Ok::<_, ()>(vec![1, 2]))?;
/// assert_eq!(erlport_codec::decode(&bytes).unwrap().to_string(), "{ok,[1,2]}");
/// # Ok::<(), erlport_codec::EncodeError>(())
/// ```
#[cfg(feature = "alloc")]
pub fn to_vec<T: serde::Serialize + ?Sized>(value: &T) -> Result<alloc::vec::Vec<u8>, EncodeError> {
    let mut encoder = Encoder::new(alloc::vec::Vec::new());
    encoder.version()?;
    Serializer::new(&mut encoder).write(value)?;
    Ok(encoder.into_inner())
}
