//! Fast paths: the leaves Erlang writes most, read without building a `Head`, runs of
//! integers, and the typed reader's narrow readers of validated bytes.

use super::*;

/// The integer at the start of `input` when it is a `SMALL_INTEGER_EXT` or `INTEGER_EXT` (the
/// elements Erlang writes most), with the bytes after it: the hottest path, without building
/// a `Head`.
#[cfg_attr(not(target_os = "none"), inline(always))]
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

/// The atom at the start of `input` when its bytes are its characters (`ATOM_EXT` and
/// `SMALL_ATOM_EXT`, which are latin-1, and `SMALL_ATOM_UTF8_EXT` that is ASCII), whole, and
/// its length in all: an atom `binary_to_term` accepts whenever it is whole, and whose bytes
/// compare as Erlang compares atoms. Map keys as Erlang writes them.
#[cfg_attr(not(target_os = "none"), inline(always))]
pub(crate) fn byte_atom(input: &[u8]) -> Option<(AtomText<'_>, usize)> {
    match *input {
        [ATOM_EXT, 0, n, ref rest @ ..] => {
            Some((AtomText { bytes: rest.get(..usize::from(n))?, utf8: false }, 3 + usize::from(n)))
        }
        [SMALL_ATOM_EXT, n, ref rest @ ..] => {
            Some((AtomText { bytes: rest.get(..usize::from(n))?, utf8: false }, 2 + usize::from(n)))
        }
        [SMALL_ATOM_UTF8_EXT, n, ref rest @ ..] => {
            let bytes = rest.get(..usize::from(n))?;
            is_ascii_prefix(rest, usize::from(n)).then_some((AtomText { bytes, utf8: true }, 2 + usize::from(n)))
        }
        _ => None,
    }
}

/// Whether the first `n` bytes of `bytes` (there are at least `n`) are ASCII: by one word
/// when `n` is at most 8 and eight bytes are there (atom names are mostly short), else byte
/// by byte.
#[cfg_attr(not(target_os = "none"), inline(always))]
pub(super) fn is_ascii_prefix(bytes: &[u8], n: usize) -> bool {
    if n <= 8
        && let Some(word) = bytes.first_chunk::<8>()
    {
        // The low `n` bytes of the little-endian word are the first `n`.
        let mask = u64::MAX.checked_shr(64 - 8 * n as u32).unwrap_or(0);
        return u64::from_le_bytes(*word) & mask & 0x8080_8080_8080_8080 == 0;
    }
    bytes.get(..n).is_some_and(<[u8]>::is_ascii)
}

/// The length of the leaf at the start of `input` when it is one `binary_to_term` accepts
/// whenever it is whole: an integer (`SMALL_INTEGER_EXT`, `INTEGER_EXT`), an atom as
/// [`byte_atom`] reads them, a binary, a finite `NEW_FLOAT_EXT`, or `[]`. One jump on the tag,
/// for the values of maps.
#[cfg_attr(not(target_os = "none"), inline(always))]
pub(crate) fn plain_leaf(input: &[u8]) -> Option<usize> {
    let (&tag, body) = input.split_first()?;
    let len = match tag {
        SMALL_INTEGER_EXT => 2,
        INTEGER_EXT => 5,
        ATOM_EXT => match *body {
            [0, n, ..] => 3 + usize::from(n),
            _ => return None,
        },
        SMALL_ATOM_EXT => 2 + usize::from(*body.first()?),
        NIL_EXT => 1,
        SMALL_ATOM_UTF8_EXT => return byte_atom(input).map(|(_, len)| len),
        BINARY_EXT => 5 + u32::from_be_bytes(*body.first_chunk::<4>()?) as usize,
        NEW_FLOAT_EXT => {
            let bits = u64::from_be_bytes(*body.first_chunk::<8>()?);
            // Not NaN nor an infinity: the exponent is not all ones.
            if bits & 0x7ff0_0000_0000_0000 == 0x7ff0_0000_0000_0000 {
                return None;
            }
            9
        }
        _ => return None,
    };
    (len <= input.len()).then_some(len)
}

/// How many leaves [`plain_leaf`] reads, one after another, at the start of `input`, up to
/// `max`, and their length in all: a loop of its own, so that its state stays in registers
/// (the elements of lists and tuples, and the tails of lists).
#[inline(never)]
pub(crate) fn plain_run(input: &[u8], max: u64) -> (u64, usize) {
    let mut at = 0;
    let mut count = 0;
    while count < max {
        let Some(len) = plain_leaf(input.get(at..).unwrap_or(&[])) else { break };
        at += len;
        count += 1;
    }
    (count, at)
}

/// The header of a map, list or small tuple at the start of `input` (the containers Erlang
/// writes most), read off its tag and count, and its length; anything else, or a header cut
/// short, is `None`.
#[cfg_attr(not(target_os = "none"), inline(always))]
pub(crate) fn common_container(input: &[u8]) -> Option<(Head<'_>, usize)> {
    match *input {
        [MAP_EXT, a, b, c, d, ..] => Some((Head::Map(u32::from_be_bytes([a, b, c, d])), 5)),
        [LIST_EXT, a, b, c, d, ..] => Some((Head::List(u32::from_be_bytes([a, b, c, d])), 5)),
        [SMALL_TUPLE_EXT, arity, ..] => Some((Head::Tuple(u32::from(arity)), 2)),
        _ => None,
    }
}

/// [`read_fast`], trying the common leaves first by the narrow readers (for the items of
/// maps, which are mostly atoms, integers, binaries and floats). Its callers in validation
/// have just tried [`common_leaf`] themselves; the compiler merges the two reads, and this
/// measured cheaper than plain [`read_fast`] there (b: 10.2 M against 10.5 M instructions a
/// decode, `rounds decode 5 b` under callgrind).
#[cfg_attr(not(target_os = "none"), inline(always))]
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
pub(super) fn four_integers<const WIDTH: usize, const ALL: usize>(input: &[u8], tag: u8) -> Option<&[u8]> {
    let (c, after) = input.split_first_chunk::<ALL>()?;
    (c[0] == tag && c[WIDTH] == tag && c[2 * WIDTH] == tag && c[3 * WIDTH] == tag).then_some(after)
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

/// The pair count of the `MAP_EXT` header at the start of validated `bytes`, if it is one;
/// the header is [`COUNT_HEADER_LEN`] bytes.
#[cfg(feature = "serde")]
#[cfg_attr(not(target_os = "none"), inline(always))]
pub(crate) fn map_count_at(bytes: &[u8]) -> Option<u32> {
    match bytes {
        [MAP_EXT, a, b, c, d, ..] => Some(u32::from_be_bytes([*a, *b, *c, *d])),
        _ => None,
    }
}

/// The element count of the `LIST_EXT` header at the start of validated `bytes`, if it is
/// one; the header is [`COUNT_HEADER_LEN`] bytes.
#[cfg(feature = "serde")]
#[cfg_attr(not(target_os = "none"), inline(always))]
pub(crate) fn list_count_at(bytes: &[u8]) -> Option<u32> {
    match bytes {
        [LIST_EXT, a, b, c, d, ..] => Some(u32::from_be_bytes([*a, *b, *c, *d])),
        _ => None,
    }
}

/// The length of the container headers [`map_count_at`] and [`list_count_at`] read.
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
