//! Stepping over validated terms: lengths by one jump on the tag, no recursion.

use super::*;

/// The header of validated bytes (a term's first bytes), or `Nil` on anything else.
#[cfg_attr(not(target_os = "none"), inline(always))]
pub(crate) fn head_of(raw: &[u8]) -> (Head<'_>, usize) {
    match read_fast(raw) {
        Some(read) => read,
        None => head_of_slow(raw),
    }
}

#[inline(never)]
pub(super) fn head_of_slow(raw: &[u8]) -> (Head<'_>, usize) {
    read(raw).unwrap_or((Head::Nil, raw.len()))
}

/// The length of the leaf or header at the start of validated `bytes`, and how many terms
/// follow it as its contents: lengths only, by one jump on the tag. `None` for the layouts
/// whose length needs their fields read (pids, ports, references, funs, exports).
#[cfg_attr(not(target_os = "none"), inline(always))]
pub(super) fn step(bytes: &[u8]) -> Option<(usize, u64)> {
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

/// Where the term at the start of validated `bytes` ends.
///
/// Iterative: a count of terms still to step over, no recursion, no memory.
pub(crate) fn skip(bytes: &[u8]) -> usize {
    let mut rest = bytes;
    let mut pending: u64 = 1;
    while pending > 0 {
        pending -= 1;
        let (len, children) = match step(rest) {
            Some(step) => step,
            None => match read(rest) {
                Ok((head, len)) => (len, head.children()),
                // Not reachable on validated bytes: stop rather than loop.
                Err(_) => return bytes.len(),
            },
        };
        // Past the end only on bytes that were not validated: then the next step stops.
        rest = rest.get(len..).unwrap_or(&[]);
        pending += children;
    }
    let pos = bytes.len() - rest.len();
    #[cfg(test)]
    crate::tests::count_stepped(pos);
    pos
}
