//! The wire layer: the only code in the crate that knows ETF byte layouts.
//!
//! Every tag byte is a constant here, usable in patterns, and every term kind has one header
//! reader, a nom 8 streaming parser, that says what the term at the start of some bytes is:
//! a leaf's value, or a container's kind and count (its body follows the header). Everything
//! else (validation, skipping, views, term order, text, defmt, re-encoding) asks this module.
//!
//! Layout errors (a field that cannot be what it claims to be) are found here; value rules
//! that Erlang adds on top (valid UTF-8, finite floats, creations, small-integer ranges) are
//! checked by `validate` on what these readers return. Truncation becomes "need at least N
//! more bytes" in [`read`] and nowhere else.
//!
//! No reader panics or reads out of bounds on any input; on bytes that were validated, every
//! read succeeds.

mod atom;
mod decimal;
pub(crate) mod emit;
mod fast;
mod float;
mod ids;
mod int;
mod read;
mod skip;

pub(crate) use crate::tag::*;
pub use atom::AtomChars;
pub(crate) use fast::*;
pub(crate) use float::*;
pub(crate) use ids::*;
pub(crate) use int::*;
pub(crate) use read::*;
pub(crate) use skip::*;

use crate::error::DecodeErrorKind;
use nom::bytes::streaming::take;
use nom::number::streaming::{be_u8, be_u16, be_u32, be_u64};
use nom::{IResult, Needed};

/// The bytes of a `FLOAT_EXT` text field.
pub(crate) const FLOAT_TEXT_LEN: usize = 31;
/// Erlang's largest integer: `BIG_ARITY_MAX` digits of 8 bytes on 64-bit ERTS.
pub(crate) const MAX_BIG_BYTES: u32 = 4_194_296;
/// Longest atom in characters, and in bytes for each encoding.
pub(crate) const MAX_ATOM_CHARS: usize = 255;
pub(crate) const MAX_ATOM_UTF8_BYTES: usize = 1020;
/// Identifier words a reference may have.
pub(crate) const MAX_REFERENCE_WORDS: u16 = 5;
/// Free variables a fun may capture.
pub(crate) const MAX_FREE_VARIABLES: u32 = 255;
/// The compressed header: version, tag 80, the inflated size (u32).
pub(crate) const COMPRESSED_HEADER_LEN: usize = 6;

/// An atom's text as written: latin-1 or UTF-8 bytes.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct AtomText<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) utf8: bool,
}

/// An integer as written by any of the four integer tags.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Int<'a> {
    /// Fits an `i64`.
    Small(i64),
    /// Does not: a sign and a little-endian magnitude without high zero bytes.
    Big { negative: bool, magnitude: &'a [u8] },
}

impl Default for Int<'_> {
    fn default() -> Self {
        Int::Small(0)
    }
}

/// What the term at the start of some bytes is. Containers give their count; their body
/// follows the header.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Head<'a> {
    Int(Int<'a>),
    /// `LARGE_BIG_EXT`/`SMALL_BIG_EXT` magnitude length (for the size rule) travels in `Int`.
    Float(f64),
    /// `FLOAT_EXT`: the 31-byte text field.
    FloatText(&'a [u8]),
    Atom(AtomText<'a>),
    /// A binary (`bits` 8) or bit binary: the bytes and how many bits of the last are used,
    /// as written.
    Bits {
        bytes: &'a [u8],
        bits: u8,
    },
    Nil,
    /// `STRING_EXT`: the bytes are the elements.
    String(&'a [u8]),
    /// `LIST_EXT`: this many elements, then the tail.
    List(u32),
    Tuple(u32),
    Map(u32),
    /// The complete bytes of a pid, port, reference or export fun (all leaves); read their
    /// fields with [`pid`], [`port`], [`reference`], [`export`].
    Pid(&'a [u8]),
    Port(&'a [u8]),
    Reference(&'a [u8]),
    Export(&'a [u8]),
    /// `NEW_FUN_EXT`: the header (read it with [`fun`]); the creator pid and `free` free
    /// variables follow as terms.
    Fun {
        header: &'a [u8],
        free: u32,
    },
}

impl Head<'_> {
    /// How many terms follow the header as its body.
    #[inline]
    /// Whether terms follow this header as its contents (a `STRING_EXT`'s bytes are not
    /// terms: it is a leaf here).
    pub(crate) fn is_container(&self) -> bool {
        matches!(self, Head::List(_) | Head::Tuple(_) | Head::Map(_) | Head::Fun { .. })
    }

    pub(crate) fn children(&self) -> u64 {
        match *self {
            Head::List(n) => u64::from(n) + 1,
            Head::Tuple(n) => u64::from(n),
            Head::Map(n) => 2 * u64::from(n),
            Head::Fun { free, .. } => 1 + u64::from(free),
            _ => 0,
        }
    }
}

/// A layout error: what, and the bytes (a suffix of the input) where it was found.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fail<'a> {
    pub(crate) kind: DecodeErrorKind,
    pub(crate) at: &'a [u8],
}

impl<'a> nom::error::ParseError<&'a [u8]> for Fail<'a> {
    fn from_error_kind(input: &'a [u8], _: nom::error::ErrorKind) -> Self {
        Fail { kind: DecodeErrorKind::UnknownTag, at: input }
    }

    fn append(_: &'a [u8], _: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

pub(super) type Parsed<'a, T> = IResult<&'a [u8], T, Fail<'a>>;

pub(super) fn fail<T>(kind: DecodeErrorKind, at: &[u8]) -> Parsed<'_, T> {
    Err(nom::Err::Failure(Fail { kind, at }))
}

/// Why a header could not be read.
#[derive(Clone, Copy, Debug)]
pub(crate) enum WireError {
    /// At least this many more bytes are needed for the header.
    Incomplete(usize),
    /// Invalid at this many bytes after the start of the header, with the tag byte of the
    /// term found at fault.
    Invalid { kind: DecodeErrorKind, offset: usize, tag: u8 },
}

/// The compressed header at the start of `input`: the declared inflated size.
pub(crate) fn compressed_size(input: &[u8]) -> Option<u32> {
    match input {
        [VERSION, COMPRESSED, a, b, c, d, ..] => Some(u32::from_be_bytes([*a, *b, *c, *d])),
        _ => None,
    }
}

/// Whether `input` starts with the version byte and the compressed tag.
pub(crate) fn is_compressed(input: &[u8]) -> bool {
    matches!(input, [VERSION, COMPRESSED, ..])
}

/// What follows the version byte at the start of `input`; `None` without one.
pub(crate) fn after_version(input: &[u8]) -> Option<&[u8]> {
    match input {
        [VERSION, rest @ ..] => Some(rest),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;

    #[test]
    fn headers_say_what_a_term_is() {
        assert!(matches!(read(&[97, 7]), Ok((Head::Int(Int::Small(7)), 2))));
        assert!(matches!(read(&[104, 2, 97]), Ok((Head::Tuple(2), 2))));
        assert!(matches!(read(&[108, 0, 0, 0, 1]), Ok((Head::List(1), 5))));
        assert!(matches!(read(&[109, 0, 0, 0, 3, 1]), Err(WireError::Incomplete(2))));
        assert!(matches!(read(&[110, 1, 0, 5]), Ok((Head::Int(Int::Small(5)), 4))));
        assert!(matches!(read(&[77, 0, 0, 0, 1, 9]), Err(WireError::Invalid { offset: 0, tag: 77, .. })));
        // A pid whose node is an atom-index tag: refused at the node.
        assert!(matches!(
            read(&[88, 73, 0, 0]),
            Err(WireError::Invalid { kind: DecodeErrorKind::UnsupportedTag, offset: 1, tag: 73 })
        ));
        assert!(matches!(read(&[]), Err(WireError::Incomplete(1))));
        assert!(matches!(read(&[200]), Err(WireError::Invalid { kind: DecodeErrorKind::UnknownTag, .. })));
    }

    #[test]
    fn integer_runs_stop_at_their_end() {
        // 1, 300, 2, 3, 4, 5, 400, 500, 600, 700, then an atom: four at a time where they
        // are of one kind, one at a time across the change of kind.
        let bytes = [
            97, 1, 98, 0, 0, 1, 44, 97, 2, 97, 3, 97, 4, 97, 5, 98, 0, 0, 1, 144, 98, 0, 0, 1, 244, 98, 0, 0, 2, 88,
            98, 0, 0, 2, 188, 119, 1, b'a',
        ];
        let after = 35;
        assert_eq!(integer_run(&bytes, 100), (10, &bytes[after..]));
        // No further than asked, even inside a run.
        let (count, rest) = integer_run(&bytes, 7);
        assert_eq!((count, rest.len()), (7, bytes.len() - after + 15));
        // An integer cut short is not counted.
        for cut in 1..5 {
            let short = &bytes[..after - cut];
            assert_eq!(integer_run(short, 100).0, 9);
        }
        assert_eq!(integer_run(&[], 3), (0, &[][..]));
        assert_eq!(integer_run(&bytes, 0), (0, &bytes[..]));
    }

    #[test]
    fn short_utf8_atoms_are_plain_when_ascii_whatever_follows_them() {
        // Every length up to 12 and every position of one byte that is not ASCII, with bytes
        // that are not ASCII after the atom (which must not count) or nothing after it.
        for n in 0..=12usize {
            for bad in (0..n).map(Some).chain([None]) {
                let mut name = std::vec![b'a'; n];
                if let Some(at) = bad {
                    name[at] = 0xc3;
                }
                for after in [&[][..], &[0xff; 10][..]] {
                    let input: std::vec::Vec<u8> =
                        [SMALL_ATOM_UTF8_EXT, n as u8].iter().chain(&name).chain(after).copied().collect();
                    assert_eq!(is_ascii_prefix(&input[2..], n), bad.is_none(), "{n} {bad:?} {}", after.len());
                    assert_eq!(byte_atom(&input).is_some(), bad.is_none());
                    assert_eq!(plain_leaf(&input), bad.is_none().then_some(2 + n));
                }
            }
        }
        // Cut short: no atom.
        assert_eq!(plain_leaf(&[SMALL_ATOM_UTF8_EXT, 3, b'a']), None);
        assert!(byte_atom(&[SMALL_ATOM_UTF8_EXT, 3, b'a', b'b']).is_none());
    }

    #[test]
    fn skip_steps_over_nested_terms() {
        let bytes = [104, 2, 108, 0, 0, 0, 1, 97, 1, 106, 116, 0, 0, 0, 0, 97, 9];
        assert_eq!(skip(&bytes), 15);
    }
}
