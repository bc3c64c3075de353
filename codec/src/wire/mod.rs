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

mod decimal;
pub(crate) use crate::tag::*;

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

type Parsed<'a, T> = IResult<&'a [u8], T, Fail<'a>>;

fn fail<T>(kind: DecodeErrorKind, at: &[u8]) -> Parsed<'_, T> {
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

/// The integer at the start of `input` when it is a `SMALL_INTEGER_EXT` or `INTEGER_EXT` (the
/// elements Erlang writes most), with the bytes after it: the hottest path, without building
/// a `Head`.
#[cfg_attr(not(target_os = "none"), inline(always))]
#[cfg_attr(target_os = "none", inline)]
pub(crate) fn small_integer(input: &[u8]) -> Option<(i64, &[u8])> {
    let (&tag, body) = input.split_first()?;
    if tag == SMALL_INTEGER_EXT {
        let (&value, rest) = body.split_first()?;
        return Some((i64::from(value), rest));
    }
    if tag == INTEGER_EXT {
        let (value, rest) = body.split_first_chunk::<4>()?;
        return Some((i64::from(i32::from_be_bytes(*value)), rest));
    }
    None
}

/// Whether the narrow readers for the commonest terms ([`common_leaf`], runs of integers)
/// are used beside the general header reader: everywhere but on bare-metal targets, where
/// the flash they take counts for more than the time they save. Either way the same bytes
/// are accepted and refused.
pub(crate) const FAST_PATHS: bool = cfg!(not(target_os = "none"));

/// One of the common leaves, read whole by [`common_leaf`].
pub(crate) enum Leaf<'a> {
    Int(i64),
    Float(f64),
    Atom(AtomText<'a>),
    Binary(&'a [u8]),
}

/// The common leaves (small integers, atoms, binaries and new floats) at the start of `input`,
/// whole, and their length; anything else, or too few bytes, is `None`. Narrower than
/// [`read_fast`], for the items of lists, tuples and maps: no header to build, no container
/// to tell apart, one jump on the tag.
#[cfg_attr(not(target_os = "none"), inline(always))]
#[cfg_attr(target_os = "none", inline)]
pub(crate) fn common_leaf(input: &[u8]) -> Option<(Leaf<'_>, usize)> {
    let (&tag, body) = input.split_first()?;
    match tag {
        SMALL_INTEGER_EXT => Some((Leaf::Int(i64::from(*body.first()?)), 2)),
        INTEGER_EXT => Some((Leaf::Int(i64::from(i32::from_be_bytes(*body.first_chunk::<4>()?))), 5)),
        ATOM_EXT => {
            // Latin-1 atoms are at most 255 bytes: the length's high byte is 0.
            let [0, n, rest @ ..] = body else { return None };
            let bytes = rest.get(..usize::from(*n))?;
            Some((Leaf::Atom(AtomText { bytes, utf8: false }), 3 + bytes.len()))
        }
        SMALL_ATOM_UTF8_EXT | SMALL_ATOM_EXT => {
            let (&n, rest) = body.split_first()?;
            let bytes = rest.get(..usize::from(n))?;
            Some((Leaf::Atom(AtomText { bytes, utf8: tag == SMALL_ATOM_UTF8_EXT }), 2 + bytes.len()))
        }
        BINARY_EXT => {
            let (n, rest) = body.split_first_chunk::<4>()?;
            let bytes = rest.get(..u32::from_be_bytes(*n) as usize)?;
            Some((Leaf::Binary(bytes), 5 + bytes.len()))
        }
        NEW_FLOAT_EXT => Some((Leaf::Float(f64::from_be_bytes(*body.first_chunk::<8>()?)), 9)),
        _ => None,
    }
}

/// [`read_fast`], trying the common leaves first by the narrow readers (for the items of
/// maps, which are mostly atoms, integers, binaries and floats). Its callers in validation
/// have just tried [`common_leaf`] themselves; the compiler merges the two reads, and this
/// measured cheaper than plain [`read_fast`] there (b: 10.2 M against 10.5 M instructions a
/// decode, `rounds decode 5 b` under callgrind).
#[cfg_attr(not(target_os = "none"), inline(always))]
#[cfg_attr(target_os = "none", inline)]
pub(crate) fn read_leaf_first(input: &[u8]) -> Option<(Head<'_>, usize)> {
    if FAST_PATHS && let Some((leaf, len)) = common_leaf(input) {
        let head = match leaf {
            Leaf::Int(value) => Head::Int(Int::Small(value)),
            Leaf::Float(value) => Head::Float(value),
            Leaf::Atom(text) => Head::Atom(text),
            Leaf::Binary(bytes) => Head::Bits { bytes, bits: 8 },
        };
        return Some((head, len));
    }
    read_fast(input)
}

/// Folds the run of whole `INTEGER_EXT`s that begins `input`, up to `max` of them, by index
/// (`lists:seq/2` beyond 255, most lists of numbers): the accumulator, how many, and the bytes
/// after them.
#[cfg_attr(not(target_os = "none"), inline(always))]
#[cfg_attr(target_os = "none", inline)]
pub(crate) fn fold_int32_run<B>(input: &[u8], max: u64, init: B, mut f: impl FnMut(B, i64) -> B) -> (B, u64, &[u8]) {
    let mut acc = init;
    let mut at = 0;
    let mut left = max;
    while left > 0
        && let Some(&[INTEGER_EXT, b0, b1, b2, b3]) = input.get(at..at + 5)
    {
        at += 5;
        left -= 1;
        acc = f(acc, i64::from(i32::from_be_bytes([b0, b1, b2, b3])));
    }
    (acc, max - left, input.get(at..).unwrap_or(&[]))
}

/// The bytes after a `NIL_EXT` that begins `input`, if one does.
#[inline]
pub(crate) fn after_nil(input: &[u8]) -> Option<&[u8]> {
    match input.split_first() {
        Some((&NIL_EXT, rest)) => Some(rest),
        _ => None,
    }
}

/// How many whole integers (`SMALL_INTEGER_EXT` or `INTEGER_EXT`) begin `input`, up to
/// `max`: the count and the bytes after them. Runs of one kind (`lists:seq/2`, lists of
/// bytes or numbers) are stepped over four at a time, by looking at the four tags only.
#[cfg_attr(not(target_os = "none"), inline(always))]
#[cfg_attr(target_os = "none", inline)]
pub(crate) fn integer_run(input: &[u8], max: u32) -> (u32, &[u8]) {
    let mut rest = input;
    let mut count = 0;
    while count < max {
        if FAST_PATHS
            && max - count >= 4
            && let Some(after) =
                four_integers::<5, 20>(rest, INTEGER_EXT).or_else(|| four_integers::<2, 8>(rest, SMALL_INTEGER_EXT))
        {
            rest = after;
            count += 4;
            continue;
        }
        let Some((_, after)) = small_integer(rest) else { break };
        rest = after;
        count += 1;
    }
    (count, rest)
}

/// The bytes after four integers of one kind (`tag`, `WIDTH` bytes each, `ALL` = 4 x `WIDTH`)
/// at the start of `input`, looking at their tags only.
#[inline(always)]
fn four_integers<const WIDTH: usize, const ALL: usize>(input: &[u8], tag: u8) -> Option<&[u8]> {
    let (c, after) = input.split_first_chunk::<ALL>()?;
    (c[0] == tag && c[WIDTH] == tag && c[2 * WIDTH] == tag && c[3 * WIDTH] == tag).then_some(after)
}

/// Reads the header of the term at the start of `input`: what it is and the header's length
/// (the whole term's length for leaves).
#[cfg_attr(not(target_os = "none"), inline(always))]
#[cfg_attr(target_os = "none", inline)]
pub(crate) fn read(input: &[u8]) -> Result<(Head<'_>, usize), WireError> {
    match read_fast(input) {
        Some(read) => Ok(read),
        None => read_slow(input),
    }
}

/// [`read`] for the shapes Erlang writes most, by one jump on the tag, without the parser's
/// machinery; `None` for the rest and for every error. Callers on hot paths use it with a
/// fallback out of line, so the header stays in registers.
#[cfg_attr(not(target_os = "none"), inline(always))]
#[cfg_attr(target_os = "none", inline)]
pub(crate) fn read_fast(input: &[u8]) -> Option<(Head<'_>, usize)> {
    if let Some((&tag, body)) = input.split_first() {
        match tag {
            SMALL_INTEGER_EXT => {
                if let [v, ..] = body {
                    return Some((Head::Int(Int::Small(i64::from(*v))), 2));
                }
            }
            INTEGER_EXT => {
                if let Some(v) = body.first_chunk::<4>() {
                    return Some((Head::Int(Int::Small(i64::from(i32::from_be_bytes(*v)))), 5));
                }
            }
            NEW_FLOAT_EXT => {
                if let Some(v) = body.first_chunk::<8>() {
                    return Some((Head::Float(f64::from_be_bytes(*v)), 9));
                }
            }
            // Latin-1 atoms (what OTP 25 writes for every atom), when whole and not too long.
            ATOM_EXT => {
                if let [0, n, rest @ ..] = body
                    && let Some(bytes) = rest.get(..usize::from(*n))
                {
                    return Some((Head::Atom(AtomText { bytes, utf8: false }), 3 + bytes.len()));
                }
            }
            SMALL_ATOM_EXT | SMALL_ATOM_UTF8_EXT => {
                if let [n, rest @ ..] = body
                    && let Some(bytes) = rest.get(..usize::from(*n))
                {
                    let utf8 = tag == SMALL_ATOM_UTF8_EXT;
                    return Some((Head::Atom(AtomText { bytes, utf8 }), 2 + bytes.len()));
                }
            }
            SMALL_TUPLE_EXT => {
                if let [n, ..] = body {
                    return Some((Head::Tuple(u32::from(*n)), 2));
                }
            }
            NIL_EXT => return Some((Head::Nil, 1)),
            MAP_EXT => {
                if let Some(n) = body.first_chunk::<4>() {
                    return Some((Head::Map(u32::from_be_bytes(*n)), 5));
                }
            }
            LIST_EXT => {
                if let Some(n) = body.first_chunk::<4>() {
                    return Some((Head::List(u32::from_be_bytes(*n)), 5));
                }
            }
            BINARY_EXT => {
                if let Some((n, rest)) = body.split_first_chunk::<4>()
                    && let Some(bytes) = rest.get(..u32::from_be_bytes(*n) as usize)
                {
                    return Some((Head::Bits { bytes, bits: 8 }, 5 + bytes.len()));
                }
            }
            STRING_EXT => {
                if let Some((n, rest)) = body.split_first_chunk::<2>()
                    && let Some(bytes) = rest.get(..usize::from(u16::from_be_bytes(*n)))
                {
                    return Some((Head::String(bytes), 3 + bytes.len()));
                }
            }
            SMALL_BIG_EXT => {
                if let [n, sign, rest @ ..] = body
                    && let Some(magnitude) = rest.get(..usize::from(*n))
                {
                    return Some((Head::Int(big(*sign != 0, magnitude)), 3 + magnitude.len()));
                }
            }
            _ => {}
        }
    }
    None
}

/// [`read`] for the layouts without a fast path, and for every error.
#[inline(never)]
fn read_slow(input: &[u8]) -> Result<(Head<'_>, usize), WireError> {
    match term_head(input) {
        Ok((rest, head)) => Ok((head, input.len() - rest.len())),
        Err(nom::Err::Incomplete(Needed::Size(n))) => Err(WireError::Incomplete(n.get())),
        Err(nom::Err::Incomplete(Needed::Unknown)) => Err(WireError::Incomplete(1)),
        Err(nom::Err::Error(f) | nom::Err::Failure(f)) => Err(WireError::Invalid {
            kind: f.kind,
            offset: input.len() - f.at.len(),
            tag: f.at.first().copied().unwrap_or(0),
        }),
    }
}

/// The header reader: one arm per tag.
fn term_head(input: &[u8]) -> Parsed<'_, Head<'_>> {
    let (i, tag) = be_u8(input)?;
    match tag {
        SMALL_INTEGER_EXT | INTEGER_EXT | SMALL_BIG_EXT | LARGE_BIG_EXT => {
            let (rest, value) = integer(input)?;
            Ok((rest, Head::Int(value)))
        }
        NEW_FLOAT_EXT => {
            let (i, bits) = be_u64(i)?;
            Ok((i, Head::Float(f64::from_bits(bits))))
        }
        FLOAT_EXT => {
            let (i, text) = take(FLOAT_TEXT_LEN)(i)?;
            Ok((i, Head::FloatText(text)))
        }
        ATOM_EXT | SMALL_ATOM_EXT | ATOM_UTF8_EXT | SMALL_ATOM_UTF8_EXT => {
            let (i, text) = atom(input)?;
            Ok((i, Head::Atom(text)))
        }
        ATOM_INTERNAL_REF2 | ATOM_INTERNAL_REF3 | COMPRESSED | FUN_EXT | LOCAL_EXT | DIST_HEADER | ATOM_CACHE_REF => {
            fail(DecodeErrorKind::UnsupportedTag, input)
        }
        BINARY_EXT => {
            let (i, len) = be_u32(i)?;
            let (i, bytes) = take(len)(i)?;
            Ok((i, Head::Bits { bytes, bits: 8 }))
        }
        BIT_BINARY_EXT => {
            let (i, len) = be_u32(i)?;
            let (i, bits) = be_u8(i)?;
            if bits > 8 || (bits == 0) != (len == 0) {
                return fail(DecodeErrorKind::BadBitCount { bits }, input);
            }
            let (i, bytes) = take(len)(i)?;
            Ok((i, Head::Bits { bytes, bits }))
        }
        NIL_EXT => Ok((i, Head::Nil)),
        STRING_EXT => {
            let (i, len) = be_u16(i)?;
            let (i, bytes) = take(len)(i)?;
            Ok((i, Head::String(bytes)))
        }
        LIST_EXT => {
            let (i, len) = be_u32(i)?;
            Ok((i, Head::List(len)))
        }
        SMALL_TUPLE_EXT => {
            let (i, arity) = be_u8(i)?;
            Ok((i, Head::Tuple(u32::from(arity))))
        }
        LARGE_TUPLE_EXT => {
            let (i, arity) = be_u32(i)?;
            Ok((i, Head::Tuple(arity)))
        }
        MAP_EXT => {
            let (i, pairs) = be_u32(i)?;
            Ok((i, Head::Map(pairs)))
        }
        NEW_PID_EXT | PID_EXT => {
            let (rest, _) = pid(input)?;
            Ok((rest, Head::Pid(&input[..input.len() - rest.len()])))
        }
        NEW_PORT_EXT | V4_PORT_EXT | PORT_EXT => {
            let (rest, _) = port(input)?;
            Ok((rest, Head::Port(&input[..input.len() - rest.len()])))
        }
        NEWER_REFERENCE_EXT | NEW_REFERENCE_EXT | REFERENCE_EXT => {
            let (rest, _) = reference(input)?;
            Ok((rest, Head::Reference(&input[..input.len() - rest.len()])))
        }
        EXPORT_EXT => {
            let (rest, _) = export(input)?;
            Ok((rest, Head::Export(&input[..input.len() - rest.len()])))
        }
        NEW_FUN_EXT => {
            let (rest, fields) = fun(input)?;
            Ok((rest, Head::Fun { header: &input[..input.len() - rest.len()], free: fields.free }))
        }
        _ => fail(DecodeErrorKind::UnknownTag, input),
    }
}

/// An atom term (any of the four atom tags); the index tags are refused here too.
pub(crate) fn atom(input: &[u8]) -> Parsed<'_, AtomText<'_>> {
    let (i, tag) = be_u8(input)?;
    let (i, len, utf8) = match tag {
        ATOM_EXT | ATOM_UTF8_EXT => {
            let (i, len) = be_u16(i)?;
            (i, usize::from(len), tag == ATOM_UTF8_EXT)
        }
        SMALL_ATOM_EXT | SMALL_ATOM_UTF8_EXT => {
            let (i, len) = be_u8(i)?;
            (i, usize::from(len), tag == SMALL_ATOM_UTF8_EXT)
        }
        ATOM_INTERNAL_REF2 | ATOM_INTERNAL_REF3 => return fail(DecodeErrorKind::UnsupportedTag, input),
        _ => return fail(DecodeErrorKind::ExpectedAtom, input),
    };
    if len > if utf8 { MAX_ATOM_UTF8_BYTES } else { MAX_ATOM_CHARS } {
        return fail(DecodeErrorKind::AtomTooLong, input);
    }
    let (i, bytes) = take(len)(i)?;
    Ok((i, AtomText { bytes, utf8 }))
}

/// An integer term (any of the four integer tags).
pub(crate) fn integer(input: &[u8]) -> Parsed<'_, Int<'_>> {
    let (i, tag) = be_u8(input)?;
    match tag {
        SMALL_INTEGER_EXT => {
            let (i, v) = be_u8(i)?;
            Ok((i, Int::Small(i64::from(v))))
        }
        INTEGER_EXT => {
            let (i, v) = be_u32(i)?;
            Ok((i, Int::Small(i64::from(v as i32))))
        }
        SMALL_BIG_EXT | LARGE_BIG_EXT => {
            let (i, len) = if tag == SMALL_BIG_EXT {
                let (i, n) = be_u8(i)?;
                (i, u32::from(n))
            } else {
                be_u32(i)?
            };
            if len > MAX_BIG_BYTES {
                return fail(DecodeErrorKind::BigTooLarge, input);
            }
            let (i, sign) = be_u8(i)?;
            let (i, magnitude) = take(len)(i)?;
            Ok((i, big(sign != 0, magnitude)))
        }
        _ => fail(DecodeErrorKind::ExpectedSmallInteger, input),
    }
}

/// An integer from a sign and a little-endian magnitude (high zero bytes allowed).
pub(crate) fn big(negative: bool, magnitude: &[u8]) -> Int<'_> {
    let magnitude = strip_high_zeros(magnitude);
    match big_to_i64(negative, magnitude) {
        Some(value) => Int::Small(value),
        None => Int::Big { negative, magnitude },
    }
}

/// The magnitude without its most significant zero bytes.
pub(crate) fn strip_high_zeros(mut magnitude: &[u8]) -> &[u8] {
    while let [rest @ .., 0] = magnitude {
        magnitude = rest;
    }
    magnitude
}

/// The value of a sign and magnitude, if it fits an `i64`.
pub(crate) fn big_to_i64(negative: bool, magnitude: &[u8]) -> Option<i64> {
    let magnitude = strip_high_zeros(magnitude);
    let le: [u8; 8] = pad(magnitude)?;
    let value = u64::from_le_bytes(le);
    if negative {
        if value <= 1 << 63 { Some((value as i64).wrapping_neg()) } else { None }
    } else {
        i64::try_from(value).ok()
    }
}

/// The value of a sign and magnitude, if it fits an `i128`.
pub(crate) fn big_to_i128(negative: bool, magnitude: &[u8]) -> Option<i128> {
    let le: [u8; 16] = pad(strip_high_zeros(magnitude))?;
    let value = u128::from_le_bytes(le);
    if negative {
        if value <= 1 << 127 { Some((value as i128).wrapping_neg()) } else { None }
    } else {
        i128::try_from(value).ok()
    }
}

fn pad<const N: usize>(magnitude: &[u8]) -> Option<[u8; N]> {
    let mut le = [0u8; N];
    le.get_mut(..magnitude.len())?.copy_from_slice(magnitude);
    Some(le)
}

/// A pid's fields.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PidFields<'a> {
    pub(crate) node: AtomText<'a>,
    pub(crate) id: u32,
    pub(crate) serial: u32,
    pub(crate) creation: u32,
    /// `PID_EXT`: a one-byte creation.
    pub(crate) tiny: bool,
}

/// `NEW_PID_EXT` or `PID_EXT`.
pub(crate) fn pid(input: &[u8]) -> Parsed<'_, PidFields<'_>> {
    let (i, tag) = be_u8(input)?;
    let (i, node) = atom(i)?;
    let (i, id) = be_u32(i)?;
    let (i, serial) = be_u32(i)?;
    let tiny = tag == PID_EXT;
    let (i, creation) = creation(i, tiny)?;
    Ok((i, PidFields { node, id, serial, creation, tiny }))
}

fn creation(i: &[u8], tiny: bool) -> Parsed<'_, u32> {
    if tiny {
        let (i, c) = be_u8(i)?;
        Ok((i, u32::from(c)))
    } else {
        be_u32(i)
    }
}

/// A port's fields.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PortFields<'a> {
    pub(crate) node: AtomText<'a>,
    pub(crate) id: u64,
    pub(crate) creation: u32,
    pub(crate) tiny: bool,
}

/// `V4_PORT_EXT`, `NEW_PORT_EXT` or `PORT_EXT`.
pub(crate) fn port(input: &[u8]) -> Parsed<'_, PortFields<'_>> {
    let (i, tag) = be_u8(input)?;
    let (i, node) = atom(i)?;
    let (i, id) = if tag == V4_PORT_EXT {
        be_u64(i)?
    } else {
        let (i, id) = be_u32(i)?;
        (i, u64::from(id))
    };
    let tiny = tag == PORT_EXT;
    let (i, creation) = creation(i, tiny)?;
    Ok((i, PortFields { node, id, creation, tiny }))
}

/// A reference's fields.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ReferenceFields<'a> {
    pub(crate) node: AtomText<'a>,
    pub(crate) creation: u32,
    /// The identifier words, 4 bytes each, big-endian.
    pub(crate) words: &'a [u8],
    /// `REFERENCE_EXT` or `NEW_REFERENCE_EXT`: a one-byte creation and an 18-bit first word.
    pub(crate) old: bool,
}

/// `NEWER_REFERENCE_EXT`, `NEW_REFERENCE_EXT` or `REFERENCE_EXT`.
pub(crate) fn reference(input: &[u8]) -> Parsed<'_, ReferenceFields<'_>> {
    let (i, tag) = be_u8(input)?;
    if tag == REFERENCE_EXT {
        let (i, node) = atom(i)?;
        let (i, words) = take(4usize)(i)?;
        let (i, creation) = creation(i, true)?;
        return Ok((i, ReferenceFields { node, creation, words, old: true }));
    }
    let (i, len) = be_u16(i)?;
    if len == 0 || len > MAX_REFERENCE_WORDS {
        return fail(DecodeErrorKind::BadReferenceLength { len }, input);
    }
    let (i, node) = atom(i)?;
    let old = tag == NEW_REFERENCE_EXT;
    let (i, creation) = creation(i, old)?;
    let (i, words) = take(4 * usize::from(len))(i)?;
    Ok((i, ReferenceFields { node, creation, words, old }))
}

/// An export fun's fields.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ExportFields<'a> {
    pub(crate) module: AtomText<'a>,
    pub(crate) function: AtomText<'a>,
    pub(crate) arity: Int<'a>,
    /// Where the arity term starts, from the start of the export.
    pub(crate) arity_at: usize,
}

/// `EXPORT_EXT`: module and function atoms, then an integer arity.
pub(crate) fn export(input: &[u8]) -> Parsed<'_, ExportFields<'_>> {
    let (i, _) = be_u8(input)?;
    let (i, module) = atom(i)?;
    let (i, function) = atom(i)?;
    let arity_at = input.len() - i.len();
    let (i, arity) = integer(i)?;
    Ok((i, ExportFields { module, function, arity, arity_at }))
}

/// A fun's header fields.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FunFields<'a> {
    pub(crate) arity: u8,
    pub(crate) uniq: [u8; 16],
    pub(crate) index: u32,
    pub(crate) free: u32,
    pub(crate) module: AtomText<'a>,
    pub(crate) old_index: Int<'a>,
    pub(crate) old_uniq: Int<'a>,
    /// Where the old index and old uniq start, from the start of the fun.
    pub(crate) old_index_at: usize,
    pub(crate) old_uniq_at: usize,
}

/// `NEW_FUN_EXT` up to the creator pid: size (ignored, as OTP 25.1+ does), arity, uniq,
/// index, free-variable count, module, old index, old uniq.
pub(crate) fn fun(input: &[u8]) -> Parsed<'_, FunFields<'_>> {
    let (i, _) = be_u8(input)?;
    let (i, _size) = be_u32(i)?;
    let (i, arity) = be_u8(i)?;
    let (i, uniq) = take(16usize)(i)?;
    let (i, index) = be_u32(i)?;
    let (i, free) = be_u32(i)?;
    if free > MAX_FREE_VARIABLES {
        return fail(DecodeErrorKind::TooManyFreeVariables, input);
    }
    let (i, module) = atom(i)?;
    let old_index_at = input.len() - i.len();
    let (i, old_index) = integer(i)?;
    let old_uniq_at = input.len() - i.len();
    let (i, old_uniq) = integer(i)?;
    let mut fields =
        FunFields { arity, index, free, module, old_index, old_uniq, old_index_at, old_uniq_at, ..Default::default() };
    fields.uniq.copy_from_slice(uniq);
    Ok((i, fields))
}

/// Reads fields from bytes that were validated: the parse cannot fail there; on anything else
/// it gives the default rather than panic.
#[inline]
pub(crate) fn fields<'a, T: Default>(parser: fn(&'a [u8]) -> Parsed<'a, T>, raw: &'a [u8]) -> T {
    parser(raw).map(|(_, value)| value).unwrap_or_default()
}

/// The header of validated bytes (a term's first bytes), or `Nil` on anything else.
#[cfg_attr(not(target_os = "none"), inline(always))]
#[cfg_attr(target_os = "none", inline)]
pub(crate) fn head_of(raw: &[u8]) -> (Head<'_>, usize) {
    match read_fast(raw) {
        Some(read) => read,
        None => head_of_slow(raw),
    }
}

#[inline(never)]
fn head_of_slow(raw: &[u8]) -> (Head<'_>, usize) {
    read(raw).unwrap_or((Head::Nil, raw.len()))
}

/// The length of the leaf or header at the start of validated `bytes`, and how many terms
/// follow it as its contents: lengths only, by one jump on the tag. `None` for the layouts
/// whose length needs their fields read (pids, ports, references, funs, exports).
#[cfg_attr(not(target_os = "none"), inline(always))]
#[cfg_attr(target_os = "none", inline)]
fn step(bytes: &[u8]) -> Option<(usize, u64)> {
    let (&tag, body) = bytes.split_first()?;
    let u8_at = |i: usize| body.get(i).map_or(0, |&n| usize::from(n));
    let u16_at = |i: usize| body.get(i..i + 2).map_or(0, |n| usize::from(u16::from_be_bytes([n[0], n[1]])));
    let u32_at = |i: usize| body.get(i..i + 4).map_or(0, |n| u32::from_be_bytes([n[0], n[1], n[2], n[3]]));
    Some(match tag {
        SMALL_INTEGER_EXT => (2, 0),
        INTEGER_EXT => (5, 0),
        NEW_FLOAT_EXT => (9, 0),
        FLOAT_EXT => (1 + FLOAT_TEXT_LEN, 0),
        ATOM_EXT | ATOM_UTF8_EXT => (3 + u16_at(0), 0),
        SMALL_ATOM_EXT | SMALL_ATOM_UTF8_EXT => (2 + u8_at(0), 0),
        SMALL_TUPLE_EXT => (2, u8_at(0) as u64),
        LARGE_TUPLE_EXT => (5, u64::from(u32_at(0))),
        NIL_EXT => (1, 0),
        STRING_EXT => (3 + u16_at(0), 0),
        LIST_EXT => (5, u64::from(u32_at(0)) + 1),
        MAP_EXT => (5, 2 * u64::from(u32_at(0))),
        BINARY_EXT => (5 + u32_at(0) as usize, 0),
        BIT_BINARY_EXT => (6 + u32_at(0) as usize, 0),
        SMALL_BIG_EXT => (3 + u8_at(0), 0),
        LARGE_BIG_EXT => (6 + u32_at(0) as usize, 0),
        _ => return None,
    })
}

/// The binary (`BINARY_EXT`) at the start of validated `bytes`: its bytes and its length in
/// all. A narrow [`read_fast`] for the typed reader's hottest case, whose result stays in
/// registers.
#[cfg(feature = "serde")]
#[cfg_attr(not(target_os = "none"), inline(always))]
pub(crate) fn binary_at(bytes: &[u8]) -> Option<(&[u8], usize)> {
    match bytes {
        [BINARY_EXT, rest @ ..] => {
            let (n, body) = rest.split_first_chunk::<4>()?;
            let len = u32::from_be_bytes(*n) as usize;
            Some((body.get(..len)?, 5 + len))
        }
        _ => None,
    }
}

/// The atom (any of the four atom tags) at the start of validated `bytes`: its text and its
/// length in all.
#[cfg(feature = "serde")]
#[cfg_attr(not(target_os = "none"), inline(always))]
pub(crate) fn atom_at(bytes: &[u8]) -> Option<(AtomText<'_>, usize)> {
    let (utf8, n, header) = match bytes {
        [SMALL_ATOM_UTF8_EXT, n, ..] => (true, usize::from(*n), 2),
        [SMALL_ATOM_EXT, n, ..] => (false, usize::from(*n), 2),
        [ATOM_UTF8_EXT, hi, lo, ..] => (true, usize::from(u16::from_be_bytes([*hi, *lo])), 3),
        [ATOM_EXT, hi, lo, ..] => (false, usize::from(u16::from_be_bytes([*hi, *lo])), 3),
        _ => return None,
    };
    Some((AtomText { bytes: bytes.get(header..header + n)?, utf8 }, header + n))
}

/// What follows `[]` (`NIL_EXT`) at the start of validated `bytes`, if it is there.
#[cfg(feature = "serde")]
#[cfg_attr(not(target_os = "none"), inline(always))]
pub(crate) fn nil_at(bytes: &[u8]) -> Option<&[u8]> {
    match bytes {
        [NIL_EXT, rest @ ..] => Some(rest),
        _ => None,
    }
}

/// The count of the `MAP_EXT` (pairs) or `LIST_EXT` (elements) header at the start of
/// validated `bytes`, when it has `tag`; the header is 5 bytes.
#[cfg(feature = "serde")]
#[cfg_attr(not(target_os = "none"), inline(always))]
pub(crate) fn count_at(bytes: &[u8], tag: u8) -> Option<u32> {
    match bytes {
        [t, a, b, c, d, ..] if *t == tag && (tag == MAP_EXT || tag == LIST_EXT) => {
            Some(u32::from_be_bytes([*a, *b, *c, *d]))
        }
        _ => None,
    }
}

/// The length of the container header [`count_at`] reads.
#[cfg(feature = "serde")]
pub(crate) const COUNT_HEADER_LEN: usize = 5;

/// Whether validated `bytes` start with the atom `text` (ASCII), whatever its encoding.
#[cfg(feature = "serde")]
#[inline]
pub(crate) fn is_atom(bytes: &[u8], text: &[u8]) -> bool {
    match bytes {
        [SMALL_ATOM_UTF8_EXT | SMALL_ATOM_EXT, n, rest @ ..] => usize::from(*n) == text.len() && rest.starts_with(text),
        [ATOM_EXT | ATOM_UTF8_EXT, hi, lo, rest @ ..] => {
            usize::from(u16::from_be_bytes([*hi, *lo])) == text.len() && rest.starts_with(text)
        }
        _ => false,
    }
}

/// Where the term at the start of validated `bytes` ends.
///
/// Iterative: a count of terms still to step over, no recursion, no memory.
pub(crate) fn skip(bytes: &[u8]) -> usize {
    let mut pos = 0;
    let mut pending: u64 = 1;
    while pending > 0 {
        pending -= 1;
        let rest = bytes.get(pos..).unwrap_or(&[]);
        let (len, children) = match step(rest) {
            Some(step) => step,
            None => match read(rest) {
                Ok((head, len)) => (len, head.children()),
                // Not reachable on validated bytes: stop rather than loop.
                Err(_) => return bytes.len(),
            },
        };
        pos += len;
        pending += children;
    }
    #[cfg(test)]
    crate::tests::count_stepped(pos);
    pos.min(bytes.len())
}

/// Parses the 31-byte text of a `FLOAT_EXT` as ERTS does: `[+-]digits[.,]digits[(e|E)[+-]digits]`
/// ended by a NUL inside the field (bytes after the NUL are ignored), finite. Underflow gives
/// zero, overflow is refused.
#[inline(never)]
pub(crate) fn parse_float_text(field: &[u8]) -> Option<f64> {
    let len = field.iter().position(|&b| b == 0)?;
    let text = &field[..len];
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while text.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > start
    };
    if matches!(text.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    if !digits(&mut i) {
        return None;
    }
    let radix = i;
    if !matches!(text.get(i), Some(b'.' | b',')) {
        return None;
    }
    i += 1;
    if !digits(&mut i) {
        return None;
    }
    if matches!(text.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(text.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return None;
        }
    }
    if i != text.len() {
        return None;
    }
    // The shape is right: digits (at most 29) around the radix point, a decimal exponent.
    let mut digits = [0u8; 30];
    let mut ndigits = 0;
    let mut fraction = 0i32;
    let mut exp10 = 0i32;
    let mut negative_exp = false;
    let mut in_exponent = false;
    for (at, &b) in text.iter().enumerate() {
        match b {
            b'0'..=b'9' if in_exponent => exp10 = (exp10 * 10 + i32::from(b - b'0')).min(1_000_000),
            b'0'..=b'9' => {
                if let Some(slot) = digits.get_mut(ndigits) {
                    *slot = b;
                    ndigits += 1;
                }
                if at > radix {
                    fraction += 1;
                }
            }
            b'e' | b'E' => in_exponent = true,
            b'-' if in_exponent => negative_exp = true,
            _ => {}
        }
    }
    let exp10 = if negative_exp { -exp10 } else { exp10 } - fraction;
    decimal::to_f64(text.first() == Some(&b'-'), &digits[..ndigits], exp10)
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

/// The compressed header for a body of `size` bytes.
#[cfg(feature = "alloc")]
pub(crate) fn compressed_header(size: u32) -> [u8; COMPRESSED_HEADER_LEN] {
    let [a, b, c, d] = size.to_be_bytes();
    [VERSION, COMPRESSED, a, b, c, d]
}

/// The characters of an [`Atom`].
#[derive(Clone, Debug)]
pub struct AtomChars<'a> {
    inner: AtomCharsInner<'a>,
}

#[derive(Clone, Debug)]
enum AtomCharsInner<'a> {
    Latin1(core::slice::Iter<'a, u8>),
    Utf8(core::str::Chars<'a>),
}

impl<'a> AtomChars<'a> {
    pub(crate) fn new(bytes: &'a [u8], utf8: bool) -> Self {
        let inner = if utf8 {
            AtomCharsInner::Utf8(core::str::from_utf8(bytes).unwrap_or_default().chars())
        } else {
            AtomCharsInner::Latin1(bytes.iter())
        };
        AtomChars { inner }
    }
}

impl Iterator for AtomChars<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        match &mut self.inner {
            AtomCharsInner::Latin1(bytes) => bytes.next().map(|&b| char::from(b)),
            AtomCharsInner::Utf8(chars) => chars.next(),
        }
    }
}

/// The value of a `FLOAT_EXT` field that validation accepted.
pub(crate) fn float_text_value(field: &[u8]) -> f64 {
    parse_float_text(field).unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn skip_steps_over_nested_terms() {
        let bytes = [104, 2, 108, 0, 0, 0, 1, 97, 1, 106, 116, 0, 0, 0, 0, 97, 9];
        assert_eq!(skip(&bytes), 15);
    }
}
