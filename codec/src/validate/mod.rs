//! One pass over the input that accepts exactly what Erlang's `binary_to_term` accepts.
//!
//! No recursion: a count of terms still to read (a tuple of arity n adds n, a list of n adds
//! n + 1 for its tail, a map of n pairs adds 2n). Every pending term needs at least one byte,
//! so a count larger than the bytes left means the input is cut short, which is reported at
//! once, before anything is sized from the count. Every header is read by `wire`; this module
//! adds Erlang's value rules (UTF-8 atoms, finite floats, creations, small integers).
//!
//! Duplicate map keys are found while reading: each open map of two or more pairs has a frame
//! that notices when its next key or value begins (the pending count drops back to the map's
//! level). Each key is compared, exactly as Erlang compares terms (`cmp`), with the key before
//! it; keys in strictly increasing order (how Erlang writes maps of up to 32 keys) need nothing
//! more. Keys out of order (how Erlang writes larger maps) are hashed when the map ends, each over
//! its canonical form (two encodings of one term hash alike), and checked through a hash table
//! when the map ends: expected linear time, and terms are compared only on equal hashes. When
//! hashes collide too often (an input built to make them), the map's keys are sorted instead
//! (heapsort, O(n log n) comparisons). Working memory: 16 map frames inline, a word per key of
//! the open maps, plus, while an unordered map is checked, a hash
//! per key and the table (up to about 6 words a key; inline 224 words without `alloc`, 1024
//! with it, or a caller's buffer); with `alloc` both grow on the heap, without it and without
//! a large enough buffer such input is refused with [`DecodeErrorKind::NeedsAlloc`]. The
//! inline sizes without `alloc` keep decoding within 2 KiB of stack on a Cortex-M.

mod keys;
mod maps;
pub(crate) mod order;

#[cfg(feature = "serde")]
pub(crate) use keys::key_less;
use keys::quick_compare;
pub(crate) use keys::{atom_bytes_less, hash_key};
use maps::{KeyMemory, MapFrame};

use crate::error::{DecodeError, DecodeErrorKind};
use crate::index::{Indexer, NoIndex};
use crate::stack::Stack;
use crate::wire::{self, AtomText, Head, Int, Leaf, Tag, WireError};
use core::cmp::Ordering;
use order::{compare, heapsort};

/// Erlang's small integers on 64-bit: 60-bit signed.
const SMALL_MIN: i64 = -(1 << 59);
const SMALL_MAX: i64 = (1 << 59) - 1;
/// The first word of an old-style reference is 18 bits.
const MAX_OLD_REFERENCE_ID: u32 = (1 << 18) - 1;
/// One-byte creations above this are refused.
const MAX_TINY_CREATION: u32 = 3;
/// Maps of 2^31 pairs or more are refused.
pub(crate) const MAX_MAP_PAIRS: u32 = (1 << 31) - 1;

// Inline working memory. Without `alloc` it is sized for a 2 KiB stack (the embedded budget
// `scripts/size` checks); with it, so that ordinary Erlang data never touches the heap.
const INLINE_MAP_FRAMES: usize = 16;
#[cfg(not(feature = "alloc"))]
const INLINE_KEY_WORDS: usize = 224;
#[cfg(feature = "alloc")]
const INLINE_KEY_WORDS: usize = 1024;

struct Validator<'a, 'k, I> {
    buf: &'a [u8],
    pos: usize,
    pending: u64,
    /// The pending count at which the innermost open map reaches its next item (or its end);
    /// `u64::MAX` when no map is open, which the count never reaches.
    boundary: u64,
    /// The tag byte of the term being read (0 before the first), for error reports.
    tag: u8,
    maps: Stack<MapFrame, INLINE_MAP_FRAMES>,
    keys: KeyMemory<'k>,
    /// Told of every term as it is read ([`NoIndex`] when no index is built).
    ix: I,
}

/// Validates the term starting at `start` and returns where it ends. `keys` is working memory
/// for checking map keys; `None` uses the inline memory (and the heap, with `alloc`).
pub(crate) fn validate(buf: &[u8], start: usize, keys: Option<&mut [u32]>) -> Result<usize, DecodeError> {
    validate_indexed(buf, start, keys, NoIndex)
}

/// [`validate`], telling `ix` of every term as it is read (see [`crate::index`]).
pub(crate) fn validate_indexed<I: Indexer>(
    buf: &[u8],
    start: usize,
    keys: Option<&mut [u32]>,
    ix: I,
) -> Result<usize, DecodeError> {
    let keys = match keys {
        Some(words) => KeyMemory::Given { words, len: 0 },
        None => KeyMemory::Own(Stack::new()),
    };
    let mut v = Validator { buf, pos: start, pending: 1, boundary: u64::MAX, tag: 0, maps: Stack::new(), keys, ix };
    v.run()?;
    v.ix.finish(v.pos);
    Ok(v.pos)
}

impl<'a, I: Indexer> Validator<'a, '_, I> {
    /// A leaf begins at `at`: told to the index.
    #[cfg_attr(not(target_os = "none"), inline(always))]
    fn leaf(&mut self, at: usize) -> Result<(), DecodeError> {
        self.ix.leaf(at).map_err(|()| self.index_full(at))
    }

    #[cold]
    fn index_full(&self, at: usize) -> DecodeError {
        self.err_at(DecodeErrorKind::IndexTooSmall, at)
    }
    fn tag(&self) -> Option<Tag> {
        (self.tag != 0).then(|| Tag::from_byte(self.tag))
    }

    fn err(&self, kind: DecodeErrorKind, at: usize) -> DecodeError {
        DecodeError::new(kind, at, self.tag())
    }

    /// An error about the term that starts at `at` (its own tag).
    fn err_at(&self, kind: DecodeErrorKind, at: usize) -> DecodeError {
        DecodeError::new(kind, at, self.buf.get(at).map(|&b| Tag::from_byte(b)))
    }

    fn incomplete(&self, missing: usize) -> DecodeError {
        // Every term still pending needs at least one more byte.
        let needed = (missing as u64).saturating_add(self.pending);
        DecodeError::incomplete(usize::try_from(needed).unwrap_or(usize::MAX), self.buf.len(), self.tag())
    }

    /// Reserves `count` more pending terms, each needing at least one byte.
    #[cfg_attr(not(target_os = "none"), inline(always))]
    fn reserve(&mut self, count: u64) -> Result<(), DecodeError> {
        self.pending += count;
        let left = (self.buf.len() - self.pos) as u64;
        if self.pending > left {
            let missing = self.pending - left;
            self.pending = 0;
            return Err(self.incomplete(usize::try_from(missing).unwrap_or(usize::MAX)));
        }
        Ok(())
    }

    fn run(&mut self) -> Result<(), DecodeError> {
        loop {
            if self.pending == self.boundary {
                self.map_boundary()?;
            }
            if self.pending == 0 {
                return Ok(());
            }
            self.pending -= 1;
            let at = self.pos;
            let rest = self.buf.get(at..).unwrap_or(&[]);
            // Integers, the most common leaf, and the other leaves that need no check
            // beyond their bounds, first.
            if wire::FAST_PATHS {
                if let Some((leaf, len)) = wire::common_leaf(rest)
                    && match leaf {
                        Leaf::Int(_) => true,
                        Leaf::Atom(text) => short_atom_ok(text),
                        Leaf::Binary(_) => true,
                        Leaf::Float(value) => value.is_finite(),
                    }
                {
                    self.leaf(at)?;
                    self.pos = at + len;
                    continue;
                }
                // `[]`, which ends most lists.
                if let Some(after) = wire::after_nil(rest) {
                    self.leaf(at)?;
                    self.pos = self.buf.len() - after.len();
                    continue;
                }
            } else if let Some((_, after)) = wire::small_integer(rest) {
                self.leaf(at)?;
                self.pos = self.buf.len() - after.len();
                continue;
            }
            self.tag = rest.first().copied().unwrap_or(0);
            let (head, len) = match wire::common_container(rest).filter(|_| wire::FAST_PATHS) {
                // A container header has no value rule of its own.
                Some(read) => read,
                None => {
                    let (head, len) = match wire::read_leaf_first(rest) {
                        Some(read) => read,
                        None => self.read_slow(rest, at)?,
                    };
                    self.check(&head, at)?;
                    (head, len)
                }
            };
            self.pos = at + len;
            if I::ACTIVE && head.is_container() {
                // Counted first, so that the index is never sized from a count the input
                // cannot hold.
                let children = head.children();
                if self.pending.saturating_add(children) <= (self.buf.len() - self.pos) as u64 {
                    self.ix.open(at, children).map_err(|()| self.index_full(at))?;
                }
            } else if I::ACTIVE {
                self.leaf(at)?;
            }
            match head {
                Head::Map(pairs) => self.map(pairs, at)?,
                Head::List(n) => {
                    let outside = self.pending;
                    self.reserve(head.children())?;
                    if I::ACTIVE {
                        self.indexed_integers(n, at)?;
                    } else {
                        self.integers(n);
                        // Then the leaves that need no check, up to the tail.
                        self.plain_leaves(self.pending - outside);
                    }
                }
                Head::Tuple(arity) => {
                    self.reserve(head.children())?;
                    if !I::ACTIVE {
                        self.plain_leaves(u64::from(arity));
                    }
                }
                Head::Fun { .. } => self.reserve(head.children())?,
                _ => {}
            }
        }
    }

    /// The header at `at` when it is not one of the common shapes, or an error.
    #[inline(never)]
    fn read_slow(&self, rest: &'a [u8], at: usize) -> Result<(Head<'a>, usize), DecodeError> {
        match wire::read(rest) {
            Ok(read) => Ok(read),
            Err(WireError::Incomplete(missing)) => Err(self.incomplete(missing)),
            Err(WireError::Invalid { kind, offset, tag }) => {
                Err(DecodeError::new(kind, at + offset, Some(Tag::from_byte(tag))))
            }
        }
    }

    /// The elements of a list just opened (`n` of them pending above its tail) while they are
    /// integers, which need no checks, in one tight loop: no map boundary lies among them.
    #[cfg_attr(not(target_os = "none"), inline(always))]
    fn integers(&mut self, n: u32) {
        let (read, rest) = wire::integer_run(self.buf.get(self.pos..).unwrap_or(&[]), n);
        self.pending -= u64::from(read);
        self.pos = self.buf.len() - rest.len();
    }

    /// Up to `max` of the terms just reserved, while they are leaves that need no check beyond
    /// their bounds ([`wire::plain_run`]).
    #[cfg_attr(not(target_os = "none"), inline(always))]
    fn plain_leaves(&mut self, max: u64) {
        if wire::FAST_PATHS {
            let (read, len) = wire::plain_run(self.buf.get(self.pos..).unwrap_or(&[]), max);
            self.pending -= read;
            self.pos += len;
        }
    }

    /// [`Validator::integers`] with each integer told to the index (the list at `at`).
    #[cfg_attr(not(target_os = "none"), inline(always))]
    fn indexed_integers(&mut self, n: u32, at: usize) -> Result<(), DecodeError> {
        let buf = self.buf;
        let mut pos = self.pos;
        let mut read = 0;
        while read < n {
            let len = match buf.get(pos..pos + 2) {
                Some(&[wire::SMALL_INTEGER_EXT, _]) => 2,
                Some(&[wire::INTEGER_EXT, _]) if buf.len() - pos >= 5 => 5,
                _ => break,
            };
            self.ix.leaf(pos).map_err(|()| self.index_full(at))?;
            pos += len;
            read += 1;
        }
        self.pending -= u64::from(read);
        self.pos = pos;
        Ok(())
    }

    /// Erlang's value rules for the term at `at`, whose header is `head`: the common leaves
    /// here, the rest out of line.
    #[cfg_attr(not(target_os = "none"), inline(always))]
    fn check(&self, head: &Head<'_>, at: usize) -> Result<(), DecodeError> {
        match *head {
            Head::Atom(text) => {
                if text.utf8 {
                    self.atom(text, at)
                } else {
                    Ok(())
                }
            }
            Head::Float(value) => {
                if value.is_finite() {
                    Ok(())
                } else {
                    Err(self.err(DecodeErrorKind::NonFiniteFloat, at))
                }
            }
            Head::Int(_) | Head::Bits { .. } | Head::Nil | Head::String(_) => Ok(()),
            Head::List(_) | Head::Tuple(_) | Head::Map(_) => Ok(()),
            _ => self.check_rare(head, at),
        }
    }

    /// [`Validator::check`] for float text, pids, ports, references, exports and funs.
    #[inline(never)]
    fn check_rare(&self, head: &Head<'_>, at: usize) -> Result<(), DecodeError> {
        match *head {
            Head::FloatText(text) if wire::parse_float_text(text).is_none() => {
                Err(self.err(DecodeErrorKind::BadFloatText, at))
            }
            Head::Pid(raw) => {
                let f = wire::fields(wire::pid, raw);
                self.node(f.node, at)?;
                self.tiny_creation(f.tiny, f.creation, at)
            }
            Head::Port(raw) => {
                let f = wire::fields(wire::port, raw);
                self.node(f.node, at)?;
                self.tiny_creation(f.tiny, f.creation, at)
            }
            Head::Reference(raw) => {
                let f = wire::fields(wire::reference, raw);
                self.node(f.node, at)?;
                self.tiny_creation(f.old, f.creation, at)?;
                let first = f.words.first_chunk::<4>().map_or(0, |w| u32::from_be_bytes(*w));
                if f.old && first > MAX_OLD_REFERENCE_ID {
                    return Err(self.err(DecodeErrorKind::ReferenceIdTooLarge, at));
                }
                Ok(())
            }
            Head::Export(raw) => {
                let f = wire::fields(wire::export, raw);
                self.node(f.module, at)?;
                self.node(f.function, at)?;
                match f.arity {
                    Int::Small(arity) if (0..=SMALL_MAX).contains(&arity) => Ok(()),
                    _ => Err(self.err_at(DecodeErrorKind::ExpectedSmallInteger, at + f.arity_at)),
                }
            }
            Head::Fun { header, .. } => {
                let f = wire::fields(wire::fun, header);
                self.node(f.module, at)?;
                for (value, offset) in [(f.old_index, f.old_index_at), (f.old_uniq, f.old_uniq_at)] {
                    if !matches!(value, Int::Small(v) if (SMALL_MIN..=SMALL_MAX).contains(&v)) {
                        return Err(self.err_at(DecodeErrorKind::ExpectedSmallInteger, at + offset));
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// An atom term at `at`.
    #[inline]
    fn atom(&self, text: AtomText<'_>, at: usize) -> Result<(), DecodeError> {
        atom_rules(text).map_err(|kind| self.err(kind, at))
    }

    /// A node or module atom inside the term at `at`: a fault is reported where its text is.
    fn node(&self, text: AtomText<'_>, at: usize) -> Result<(), DecodeError> {
        let offset = (text.bytes.as_ptr() as usize).saturating_sub(self.buf.as_ptr() as usize);
        atom_rules(text).map_err(|kind| self.err(kind, offset.max(at)))
    }

    fn tiny_creation(&self, tiny: bool, creation: u32, at: usize) -> Result<(), DecodeError> {
        if tiny && creation > MAX_TINY_CREATION {
            return Err(self.err(DecodeErrorKind::CreationTooLarge, at));
        }
        Ok(())
    }
}

/// Whether the text of an atom of at most 255 bytes (what [`wire::common_leaf`] reads) needs
/// no check: latin-1, or UTF-8 that is ASCII (valid, and at most 255 characters).
#[cfg_attr(not(target_os = "none"), inline(always))]
fn short_atom_ok(text: AtomText<'_>) -> bool {
    !text.utf8 || text.bytes.is_ascii()
}

/// Whether an atom's text is one `binary_to_term` accepts, its length included (for a reader
/// that checks as it goes, the typed one, which finds atoms without the wire reader).
#[cfg(feature = "serde")]
#[inline]
pub(crate) fn atom_ok(text: AtomText<'_>) -> bool {
    let limit = if text.utf8 { wire::MAX_ATOM_UTF8_BYTES } else { wire::MAX_ATOM_CHARS };
    text.bytes.len() <= limit && atom_rules(text).is_ok()
}

/// An atom's text: valid UTF-8 of at most 255 characters (lengths in bytes were checked by
/// the wire reader).
#[inline]
fn atom_rules(text: AtomText<'_>) -> Result<(), DecodeErrorKind> {
    if !text.utf8 || text.bytes.len() <= wire::MAX_ATOM_CHARS && text.bytes.is_ascii() {
        return Ok(());
    }
    let s = core::str::from_utf8(text.bytes).map_err(|_| DecodeErrorKind::InvalidUtf8)?;
    // Valid UTF-8: a character starts at every byte that is not a continuation byte.
    let chars = || s.bytes().filter(|b| b & 0xC0 != 0x80).count();
    if s.len() > wire::MAX_ATOM_CHARS && chars() > wire::MAX_ATOM_CHARS {
        return Err(DecodeErrorKind::AtomTooLong);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_text_grammar() {
        let field = |s: &str| {
            let mut f = [0u8; 31];
            f[..s.len()].copy_from_slice(s.as_bytes());
            f
        };
        for (text, value) in [
            ("1.5", 1.5),
            ("+1.5", 1.5),
            ("1,5", 1.5),
            ("1.5e3", 1500.0),
            ("1.5E+03", 1500.0),
            ("01.50", 1.5),
            ("1.0e-400", 0.0),
            ("1.0e-310", 1.0e-310),
            ("0.1", 0.1),
            ("1.50000000000000000000e+00", 1.5),
        ] {
            assert_eq!(wire::parse_float_text(&field(text)), Some(value), "{text}");
        }
        assert!(wire::parse_float_text(&field("-0.0")).unwrap().is_sign_negative());
        for text in
            ["1", "15", "1e3", ".5", "1.", "inf", "nan", " 1.5", "1.5 ", "1.5e", "1.5e+", "1.8e308", "0x1.0p0", ""]
        {
            assert_eq!(wire::parse_float_text(&field(text)), None, "{text}");
        }
        // Bytes after the NUL are ignored, as ERTS does.
        let mut garbage = field("2.5");
        garbage[10] = b'x';
        assert_eq!(wire::parse_float_text(&garbage), Some(2.5));
        // No NUL inside the field: refused.
        assert_eq!(wire::parse_float_text(&[b'1'; 31]), None);
    }
}
