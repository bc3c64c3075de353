//! Panic-free readers over bytes that were already validated, shared by the views, the term
//! comparator and `skip`.
//!
//! Validation guarantees that every read here is in bounds; the accessors still never index
//! out of bounds (they read zero instead), so a logic error can give a wrong answer but never
//! a panic.

use crate::tag::Tag;

#[inline(always)]
pub(crate) fn u8_at(buf: &[u8], i: usize) -> u8 {
    buf.get(i).copied().unwrap_or(0)
}

#[inline(always)]
pub(crate) fn array_at<const N: usize>(buf: &[u8], i: usize) -> [u8; N] {
    match buf.get(i..).and_then(|rest| rest.first_chunk::<N>()) {
        Some(chunk) => *chunk,
        None => [0; N],
    }
}

#[inline(always)]
pub(crate) fn u16_at(buf: &[u8], i: usize) -> u16 {
    u16::from_be_bytes(array_at(buf, i))
}

#[inline(always)]
pub(crate) fn u32_at(buf: &[u8], i: usize) -> u32 {
    u32::from_be_bytes(array_at(buf, i))
}

#[inline(always)]
pub(crate) fn u64_at(buf: &[u8], i: usize) -> u64 {
    u64::from_be_bytes(array_at(buf, i))
}

#[inline(always)]
pub(crate) fn slice_at(buf: &[u8], start: usize, len: usize) -> &[u8] {
    let end = start.saturating_add(len).min(buf.len());
    buf.get(start..end).unwrap_or(&[])
}

/// The value of an integer magnitude (little-endian bytes, high zero bytes allowed) with a
/// sign, if it fits an `i64`.
pub(crate) fn big_to_i64(negative: bool, magnitude: &[u8]) -> Option<i64> {
    let magnitude = strip_high_zeros(magnitude);
    if magnitude.len() > 8 {
        return None;
    }
    let mut le = [0u8; 8];
    le[..magnitude.len()].copy_from_slice(magnitude);
    let value = u64::from_le_bytes(le);
    if negative {
        if value <= 1 << 63 { Some((value as i64).wrapping_neg()) } else { None }
    } else {
        i64::try_from(value).ok()
    }
}

/// The magnitude without its most significant zero bytes.
pub(crate) fn strip_high_zeros(mut magnitude: &[u8]) -> &[u8] {
    while let [rest @ .., 0] = magnitude {
        magnitude = rest;
    }
    magnitude
}

/// Where the term starting at `pos` ends, for bytes already validated.
///
/// Iterative: a count of terms still to skip, no recursion, no memory.
pub(crate) fn skip(buf: &[u8], mut pos: usize) -> usize {
    let mut pending: u64 = 1;
    while pending > 0 {
        pending -= 1;
        let tag = u8_at(buf, pos);
        pos += 1;
        // The most common tags first, by byte.
        match tag {
            97 => {
                pos += 1;
                continue;
            }
            98 => {
                pos += 4;
                continue;
            }
            119 => {
                pos += 1 + u8_at(buf, pos) as usize;
                continue;
            }
            70 => {
                pos += 8;
                continue;
            }
            100 => {
                pos += 2 + u16_at(buf, pos) as usize;
                continue;
            }
            109 => {
                pos += 4 + u32_at(buf, pos) as usize;
                continue;
            }
            _ => {}
        }
        match Tag::from_byte(tag) {
            Tag::SmallInteger => pos += 1,
            Tag::Integer => pos += 4,
            Tag::NewFloat => pos += 8,
            Tag::Float => pos += 31,
            Tag::Atom | Tag::AtomUtf8 => pos += 2 + u16_at(buf, pos) as usize,
            Tag::SmallAtom | Tag::SmallAtomUtf8 => pos += 1 + u8_at(buf, pos) as usize,
            Tag::SmallTuple => {
                pending += u64::from(u8_at(buf, pos));
                pos += 1;
            }
            Tag::LargeTuple => {
                pending += u64::from(u32_at(buf, pos));
                pos += 4;
            }
            Tag::Nil => {}
            Tag::String => pos += 2 + u16_at(buf, pos) as usize,
            Tag::List => {
                pending += u64::from(u32_at(buf, pos)) + 1;
                pos += 4;
            }
            Tag::Binary => pos += 4 + u32_at(buf, pos) as usize,
            Tag::BitBinary => pos += 5 + u32_at(buf, pos) as usize,
            Tag::SmallBig => pos += 2 + u8_at(buf, pos) as usize,
            Tag::LargeBig => pos += 5 + u32_at(buf, pos) as usize,
            Tag::Map => {
                pending += 2 * u64::from(u32_at(buf, pos));
                pos += 4;
            }
            Tag::NewPid => pos = skip_atom(buf, pos) + 12,
            Tag::Pid => pos = skip_atom(buf, pos) + 9,
            Tag::NewPort => pos = skip_atom(buf, pos) + 8,
            Tag::V4Port => pos = skip_atom(buf, pos) + 12,
            Tag::Port => pos = skip_atom(buf, pos) + 5,
            Tag::Reference => pos = skip_atom(buf, pos) + 5,
            Tag::NewerReference => {
                let words = u16_at(buf, pos) as usize;
                pos = skip_atom(buf, pos + 2) + 4 + 4 * words;
            }
            Tag::NewReference => {
                let words = u16_at(buf, pos) as usize;
                pos = skip_atom(buf, pos + 2) + 1 + 4 * words;
            }
            Tag::Export => pending += 3,
            Tag::NewFun => {
                let free = u32_at(buf, pos + 25);
                pos += 29;
                // module, old index, old uniq, pid, free variables
                pending += 4 + u64::from(free);
            }
            // Not reachable on validated bytes; stop rather than loop.
            _ => return buf.len(),
        }
    }
    pos.min(buf.len())
}

/// Where the atom term at `pos` ends.
#[inline]
pub(crate) fn skip_atom(buf: &[u8], pos: usize) -> usize {
    match Tag::from_byte(u8_at(buf, pos)) {
        Tag::Atom | Tag::AtomUtf8 => pos + 3 + u16_at(buf, pos + 1) as usize,
        _ => pos + 2 + u8_at(buf, pos + 1) as usize,
    }
}
