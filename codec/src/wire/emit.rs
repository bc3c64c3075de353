//! Writing layouts: the header bytes of every kind of term this crate writes, beside the
//! readers of the same layouts, so one file pair knows each tag (as smoltcp keeps `parse`
//! and `emit` of a layout together). Each function takes fields already checked against
//! the layout's widths and returns the bytes that start the term; its contents follow.
//!
//! | term | header |
//! |---|---|
//! | small integer 0..=255 | `SMALL_INTEGER_EXT` value |
//! | 32-bit integer | `INTEGER_EXT` value (4) |
//! | big integer | `SMALL_BIG_EXT` n sign / `LARGE_BIG_EXT` n (4) sign, then n bytes |
//! | float | `NEW_FLOAT_EXT` IEEE 754 (8) |
//! | atom | `ATOM_EXT` len (2) / `SMALL_ATOM_UTF8_EXT` len / `ATOM_UTF8_EXT` len (2), then its text |
//! | binary | `BINARY_EXT` len (4) / `BIT_BINARY_EXT` len (4) bits, then its bytes |
//! | string | `STRING_EXT` len (2), then its bytes |
//! | `[]` | `NIL_EXT` |
//! | tuple | `SMALL_TUPLE_EXT` arity / `LARGE_TUPLE_EXT` arity (4), then its elements |
//! | list | `LIST_EXT` len (4), then its elements and tail |
//! | map | `MAP_EXT` pairs (4), then keys and values |
//! | pid, port, reference, export, fun | their tag, then their fields |

use super::*;

/// The header of a binary, large tuple, list or map: a tag and a four-byte big-endian count,
/// kept as the first five bytes of one word and read as a `&[u8]` of five.
///
/// Why a word: as a `[u8; 5]` put together byte by byte, a header whose count is known only
/// at run time (a `Vec`'s length, a string's) is stored as a byte and then a four-byte word
/// wherever it has to sit in memory (the serializer's `Encoder::open`); the sink's short copy
/// reads it back as two overlapping four-byte words, and the first spans both stores. The
/// processor cannot forward that read from its store buffer and waits for the stores to
/// reach the cache: a quarter of `to_slice`'s time on a struct holding a `Vec` (`perf record`
/// on `rounds to_slice`). Put together as one word, the compiler keeps the header in
/// registers and writes it straight to the sink.
#[derive(Clone, Copy)]
pub(crate) struct Counted([u8; 8]);

impl Counted {
    #[inline(always)]
    const fn new(tag: u8, count: u32) -> Self {
        Counted(((count.swap_bytes() as u64) << 8 | tag as u64).to_le_bytes())
    }
}

impl core::ops::Deref for Counted {
    type Target = [u8];

    #[inline(always)]
    fn deref(&self) -> &[u8] {
        let [header @ .., _, _, _] = &self.0;
        header
    }
}

// Leaves.

/// `SMALL_INTEGER_EXT`.
#[inline(always)]
pub(crate) const fn small_integer(value: u8) -> [u8; 2] {
    [SMALL_INTEGER_EXT, value]
}

/// `INTEGER_EXT`.
#[inline(always)]
pub(crate) const fn integer(value: i32) -> [u8; 5] {
    let [a, b, c, d] = value.to_be_bytes();
    [INTEGER_EXT, a, b, c, d]
}

/// `SMALL_BIG_EXT` of a magnitude of `len` bytes; `sign` 1 for negative, 0 otherwise.
#[inline(always)]
pub(crate) const fn small_big(len: u8, sign: u8) -> [u8; 3] {
    [SMALL_BIG_EXT, len, sign]
}

/// `LARGE_BIG_EXT` of a magnitude of `len` bytes (at most [`MAX_BIG_BYTES`]); `sign` as
/// [`small_big`]'s.
#[inline(always)]
pub(crate) const fn large_big(len: u32, sign: u8) -> [u8; 6] {
    let [a, b, c, d] = len.to_be_bytes();
    [LARGE_BIG_EXT, a, b, c, d, sign]
}

/// `NEW_FLOAT_EXT`: the whole term.
#[inline(always)]
pub(crate) fn new_float(value: f64) -> [u8; 9] {
    let mut bytes = [NEW_FLOAT_EXT; 9];
    bytes[1..].copy_from_slice(&value.to_be_bytes());
    bytes
}

/// `ATOM_EXT` (latin-1) of `len` bytes (at most 255: one a character).
#[inline(always)]
pub(crate) const fn latin1_atom(len: u8) -> [u8; 3] {
    [ATOM_EXT, 0, len]
}

/// `SMALL_ATOM_UTF8_EXT` of `len` bytes.
#[inline(always)]
pub(crate) const fn small_utf8_atom(len: u8) -> [u8; 2] {
    [SMALL_ATOM_UTF8_EXT, len]
}

/// `ATOM_UTF8_EXT` of `len` bytes.
#[inline(always)]
pub(crate) const fn utf8_atom(len: u16) -> [u8; 3] {
    [ATOM_UTF8_EXT, (len >> 8) as u8, len as u8]
}

/// The header of an atom of `len` bytes in the encoding it was read in (`utf8` or latin-1),
/// the small UTF-8 form where it fits: the bytes and how many of them are used.
#[inline]
pub(crate) const fn atom_as_written(utf8: bool, len: u16) -> ([u8; 3], usize) {
    match (utf8, len) {
        (false, _) => {
            let [a, b] = len.to_be_bytes();
            ([ATOM_EXT, a, b], 3)
        }
        (true, 0..=255) => {
            let [tag, n] = small_utf8_atom(len as u8);
            ([tag, n, 0], 2)
        }
        (true, _) => (utf8_atom(len), 3),
    }
}

/// `BINARY_EXT` of `len` bytes.
#[inline(always)]
pub(crate) const fn binary(len: u32) -> Counted {
    Counted::new(BINARY_EXT, len)
}

/// `BIT_BINARY_EXT` of `len` bytes, the last holding `bits` (1..=7) bits.
#[inline(always)]
pub(crate) const fn bit_binary(len: u32, bits: u8) -> [u8; 6] {
    let [a, b, c, d] = len.to_be_bytes();
    [BIT_BINARY_EXT, a, b, c, d, bits]
}

// Containers.

/// `STRING_EXT` of `len` bytes.
#[inline(always)]
pub(crate) const fn string(len: u16) -> [u8; 3] {
    let [a, b] = len.to_be_bytes();
    [STRING_EXT, a, b]
}

/// `NIL_EXT`: the whole term `[]`.
pub(crate) const NIL: [u8; 1] = [NIL_EXT];

/// `SMALL_TUPLE_EXT`.
#[inline(always)]
pub(crate) const fn small_tuple(arity: u8) -> [u8; 2] {
    [SMALL_TUPLE_EXT, arity]
}

/// `LARGE_TUPLE_EXT`.
#[inline(always)]
pub(crate) const fn large_tuple(arity: u32) -> Counted {
    Counted::new(LARGE_TUPLE_EXT, arity)
}

/// `LIST_EXT` of `len` elements (a tail follows them).
#[inline(always)]
pub(crate) const fn list(len: u32) -> Counted {
    Counted::new(LIST_EXT, len)
}

/// `MAP_EXT` of `pairs` pairs.
#[inline(always)]
pub(crate) const fn map(pairs: u32) -> Counted {
    Counted::new(MAP_EXT, pairs)
}

// Identifiers and funs: the tag; the fields follow.

/// `NEW_PID_EXT`: node, id (4), serial (4), creation (4).
pub(crate) const NEW_PID: [u8; 1] = [NEW_PID_EXT];
/// `NEW_PORT_EXT`: node, id (4), creation (4).
pub(crate) const NEW_PORT: [u8; 1] = [NEW_PORT_EXT];
/// `V4_PORT_EXT`: node, id (8), creation (4).
pub(crate) const V4_PORT: [u8; 1] = [V4_PORT_EXT];
/// `EXPORT_EXT`: module, function, arity.
pub(crate) const EXPORT: [u8; 1] = [EXPORT_EXT];
/// `NEW_FUN_EXT`: size (4), arity, uniq (16), index (4), free count (4), module, old index,
/// old uniq, pid, free variables.
#[cfg(feature = "arbitrary")]
pub(crate) const NEW_FUN: [u8; 1] = [NEW_FUN_EXT];

/// `NEWER_REFERENCE_EXT` of `words` identifier words: node, creation (4), words (4 each).
#[inline(always)]
pub(crate) const fn newer_reference(words: u16) -> [u8; 3] {
    let [a, b] = words.to_be_bytes();
    [NEWER_REFERENCE_EXT, a, b]
}

/// The compressed header for a body of `size` bytes.
#[cfg(feature = "alloc")]
pub(crate) fn compressed(size: u32) -> [u8; COMPRESSED_HEADER_LEN] {
    let [a, b, c, d] = size.to_be_bytes();
    [VERSION, COMPRESSED, a, b, c, d]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word holds the tag, then the count big-endian, whatever the host's byte order.
    #[test]
    fn counted_headers_are_tag_then_big_endian_count() {
        for (header, tag) in [
            (binary(0x0102_0304), BINARY_EXT),
            (large_tuple(0x0102_0304), LARGE_TUPLE_EXT),
            (list(0x0102_0304), LIST_EXT),
            (map(0x0102_0304), MAP_EXT),
        ] {
            assert_eq!(&*header, &[tag, 1, 2, 3, 4]);
        }
        assert_eq!(&*list(u32::MAX), &[LIST_EXT, 255, 255, 255, 255]);
        assert_eq!(&*map(0), &[MAP_EXT, 0, 0, 0, 0]);
    }
}
