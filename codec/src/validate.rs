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

use crate::cmp::{compare, heapsort};
use crate::error::{DecodeError, DecodeErrorKind};
use crate::stack::Stack;
use crate::wire::{self, AtomText, Head, Int, Leaf, Tag, WireError};
use core::cmp::Ordering;

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

/// The key before, in a map's leaf loop: what tells keys in increasing order apart without
/// comparing them as terms.
#[derive(Clone, Copy)]
enum Prev<'a> {
    None,
    Int(i64),
    Latin1(&'a [u8]),
    Utf8(&'a [u8]),
    Other,
}

impl<'a> Prev<'a> {
    fn atom(text: AtomText<'a>) -> Self {
        if text.utf8 { Prev::Utf8(text.bytes) } else { Prev::Latin1(text.bytes) }
    }
}

/// `MapFrame::previous_key` before a map's first key (no input is that long).
const NO_KEY: usize = usize::MAX;

#[derive(Clone, Copy)]
struct MapFrame {
    /// The pending count once every item of this map has been read. Counts are `u64` in the
    /// validator but never exceed the input's length once reserved, so a `usize` holds them
    /// (4 bytes a count on a 32-bit microcontroller: this frame is kept inline 16 times).
    outer: usize,
    /// Items (keys and values) not yet begun.
    left: usize,
    /// Where the item being read began, and whether it is a key.
    current: usize,
    current_is_key: bool,
    /// Where the key before the current one began ([`NO_KEY`] before the first).
    previous_key: usize,
    /// Keys so far were strictly increasing.
    ordered: bool,
    /// Where this map's key words begin in the key memory, and whether all are there.
    key_base: usize,
    keys_kept: bool,
}

/// Working memory for map keys: a word a key (its offset) while maps are open; for a map not
/// in key order, when it ends, a hash a key and a hash table after them.
#[allow(clippy::large_enum_variant)] // lives on the stack once per decode, by design
enum KeyMemory<'k> {
    Own(Stack<u32, INLINE_KEY_WORDS>),
    Given { words: &'k mut [u32], len: usize },
}

impl KeyMemory<'_> {
    fn len(&self) -> usize {
        match self {
            KeyMemory::Own(stack) => stack.len(),
            KeyMemory::Given { len, .. } => *len,
        }
    }

    fn push(&mut self, word: u32) -> bool {
        match self {
            KeyMemory::Own(stack) => stack.push(word).is_ok(),
            KeyMemory::Given { words, len } => match words.get_mut(*len) {
                Some(slot) => {
                    *slot = word;
                    *len += 1;
                    true
                }
                None => false,
            },
        }
    }

    fn truncate(&mut self, to: usize) {
        match self {
            KeyMemory::Own(stack) => stack.truncate(to),
            KeyMemory::Given { len, .. } => *len = (*len).min(to),
        }
    }

    fn as_mut_slice(&mut self) -> &mut [u32] {
        match self {
            KeyMemory::Own(stack) => stack.as_mut_slice(),
            KeyMemory::Given { words, len } => words.get_mut(..*len).unwrap_or(&mut []),
        }
    }
}

struct Validator<'a, 'k> {
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
}

/// Validates the term starting at `start` and returns where it ends. `keys` is working memory
/// for checking map keys; `None` uses the inline memory (and the heap, with `alloc`).
pub(crate) fn validate(buf: &[u8], start: usize, keys: Option<&mut [u32]>) -> Result<usize, DecodeError> {
    let keys = match keys {
        Some(words) => KeyMemory::Given { words, len: 0 },
        None => KeyMemory::Own(Stack::new()),
    };
    let mut v = Validator { buf, pos: start, pending: 1, boundary: u64::MAX, tag: 0, maps: Stack::new(), keys };
    v.run()?;
    Ok(v.pos)
}

impl<'a> Validator<'a, '_> {
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
    #[cfg_attr(target_os = "none", inline)]
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
                        Leaf::Atom(text) => !text.utf8,
                        Leaf::Binary(_) => true,
                        Leaf::Float(value) => value.is_finite(),
                    }
                {
                    self.pos = at + len;
                    continue;
                }
                // `[]`, which ends most lists.
                if let Some(after) = wire::after_nil(rest) {
                    self.pos = self.buf.len() - after.len();
                    continue;
                }
            } else if let Some((_, after)) = wire::small_integer(rest) {
                self.pos = self.buf.len() - after.len();
                continue;
            }
            self.tag = rest.first().copied().unwrap_or(0);
            let (head, len) = match wire::read_leaf_first(rest) {
                Some(read) => read,
                None => self.read_slow(rest, at)?,
            };
            self.check(&head, at)?;
            self.pos = at + len;
            match head {
                Head::Map(pairs) => self.map(pairs, at)?,
                Head::List(n) => {
                    self.reserve(head.children())?;
                    self.integers(n);
                }
                Head::Tuple(_) | Head::Fun { .. } => self.reserve(head.children())?,
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
    #[cfg_attr(target_os = "none", inline)]
    fn integers(&mut self, n: u32) {
        let (read, rest) = wire::integer_run(self.buf.get(self.pos..).unwrap_or(&[]), n);
        self.pending -= u64::from(read);
        self.pos = self.buf.len() - rest.len();
    }

    /// Erlang's value rules for the term at `at`, whose header is `head`: the common leaves
    /// here, the rest out of line.
    #[cfg_attr(not(target_os = "none"), inline(always))]
    #[cfg_attr(target_os = "none", inline)]
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

    /// A map header: its pairs are pending; two or more need their keys checked.
    ///
    /// The pairs are read here, without a frame, for as long as they are leaves (the maps
    /// Erlang writes most: atom keys, scalar values); a frame takes over at the first key or
    /// value that is a container, unless it is the last value, when every key is known.
    fn map(&mut self, pairs: u32, at: usize) -> Result<(), DecodeError> {
        if pairs > MAX_MAP_PAIRS {
            return Err(self.err(DecodeErrorKind::MapTooLarge, at));
        }
        let outer = self.pending;
        self.reserve(2 * u64::from(pairs))?;
        if pairs < 2 {
            return Ok(());
        }
        // Reserved: both fit the input's length, so a usize.
        let mut frame = MapFrame {
            outer: outer as usize,
            left: 2 * pairs as usize,
            current: self.pos,
            current_is_key: false,
            previous_key: NO_KEY,
            ordered: true,
            key_base: self.keys.len(),
            keys_kept: true,
        };
        let buf = self.buf;
        let body = self.pos;
        // Keys read here in increasing order are not put in the key memory until it is needed
        // (a key out of order, or the general way taking over): then they are found again by
        // stepping over the leaves read so far, once.
        let mut keys_owed = true;
        let mut previous = Prev::None;
        while frame.left > 0 {
            if frame.left == 1 {
                // The last value begins and every key is known: the keys are checked now, as
                // the general way does (keys in order need nothing more).
                if !(keys_owed && frame.ordered) {
                    self.map_done(&frame)?;
                }
                keys_owed = false;
            }
            let item = self.pos;
            let rest = buf.get(item..).unwrap_or(&[]);
            let is_key = frame.left.is_multiple_of(2);
            // The commonest items with no header built: a latin-1 atom key after a smaller
            // one (records as maps), or a value that needs no check beyond its bounds.
            if wire::FAST_PATHS
                && let Some((leaf, len)) = wire::common_leaf(rest)
            {
                let fast = match (is_key, &leaf) {
                    (true, Leaf::Atom(y)) => {
                        !y.utf8
                            && keys_owed
                            && frame.ordered
                            && match previous {
                                Prev::None => true,
                                Prev::Latin1(x) => atom_bytes_less(x, y.bytes),
                                _ => false,
                            }
                    }
                    (true, Leaf::Int(y)) => {
                        keys_owed
                            && frame.ordered
                            && match previous {
                                Prev::None => true,
                                Prev::Int(x) => x < *y,
                                _ => false,
                            }
                    }
                    (true, _) => false,
                    (false, Leaf::Int(_)) => true,
                    (false, Leaf::Atom(y)) => !y.utf8,
                    (false, Leaf::Binary(_)) => true,
                    (false, Leaf::Float(v)) => v.is_finite(),
                };
                if fast {
                    if is_key {
                        frame.current = item;
                        frame.previous_key = item;
                        previous = match leaf {
                            Leaf::Int(y) => Prev::Int(y),
                            Leaf::Atom(y) => Prev::atom(y),
                            _ => Prev::Other,
                        };
                    }
                    self.pos = item + len;
                    self.pending -= 1;
                    frame.left -= 1;
                    continue;
                }
            }
            // Errors and containers go the general way.
            let Some((head, len)) = wire::read_leaf_first(rest) else { break };
            if head.is_container() {
                break;
            }
            self.tag = rest.first().copied().unwrap_or(0);
            self.check(&head, item)?;
            if is_key {
                // Keys of one kind in increasing order (as Erlang writes them) are told apart
                // from their heads; anything else is compared as terms.
                let increasing = match (previous, &head) {
                    (Prev::None, _) => true,
                    (Prev::Latin1(x), Head::Atom(y)) if !y.utf8 => atom_bytes_less(x, y.bytes),
                    (Prev::Utf8(x), Head::Atom(y)) if y.utf8 => atom_bytes_less(x, y.bytes),
                    (Prev::Int(x), Head::Int(Int::Small(y))) => x < *y,
                    _ => false,
                };
                frame.current = item;
                if !(increasing && frame.ordered && keys_owed) {
                    if keys_owed {
                        self.owe_no_keys(&mut frame, body, item);
                        keys_owed = false;
                    }
                    frame.current_is_key = true;
                    self.key_ended(&mut frame)?;
                    frame.current_is_key = false;
                }
                frame.previous_key = item;
                previous = match head {
                    Head::Int(Int::Small(y)) => Prev::Int(y),
                    Head::Atom(y) => Prev::atom(y),
                    _ => Prev::Other,
                };
            }
            self.pos = item + len;
            self.pending -= 1;
            frame.left -= 1;
        }
        if frame.left <= 1 {
            // Checked when the last value began; a container there is read the general way.
            return Ok(());
        }
        if keys_owed {
            self.owe_no_keys(&mut frame, body, self.pos);
        }
        self.maps.push(frame).map_err(|_| self.err(DecodeErrorKind::NeedsAlloc, at))?;
        self.set_boundary();
        Ok(())
    }

    /// Puts in the key memory the keys of the leaf pairs read from `body` up to `end`.
    fn owe_no_keys(&mut self, frame: &mut MapFrame, body: usize, end: usize) {
        let mut pos = body;
        let mut is_key = true;
        while pos < end {
            let len = wire::read(self.buf.get(pos..).unwrap_or(&[])).map_or(end - pos, |(_, len)| len);
            if is_key && frame.keys_kept && !u32::try_from(pos).is_ok_and(|k| self.keys.push(k)) {
                frame.keys_kept = false;
            }
            pos += len;
            is_key = !is_key;
        }
    }

    /// The key at `frame.current` ended: against the one before it while they are in order,
    /// and into the key memory.
    #[inline]
    fn key_ended(&mut self, frame: &mut MapFrame) -> Result<(), DecodeError> {
        let buf = self.buf;
        let key = frame.current;
        let previous = frame.previous_key;
        if frame.ordered && previous != NO_KEY {
            let (a, b) = (buf.get(previous..).unwrap_or(&[]), buf.get(key..).unwrap_or(&[]));
            let order = match quick_compare(a, b) {
                Some(order) => order,
                None => compare(a, b).map_err(|e| DecodeError::new(e.kind(), key, Some(Tag::Map)))?,
            };
            match order {
                Ordering::Less => {}
                Ordering::Equal => {
                    let kind = DecodeErrorKind::DuplicateMapKey { other: previous };
                    return Err(DecodeError::new(kind, key, Some(Tag::Map)));
                }
                Ordering::Greater => frame.ordered = false,
            }
        }
        frame.previous_key = key;
        if frame.keys_kept && !u32::try_from(key).is_ok_and(|k| self.keys.push(k)) {
            frame.keys_kept = false;
        }
        Ok(())
    }

    /// Where the innermost open map reaches its next item.
    fn set_boundary(&mut self) {
        self.boundary = self.maps.as_slice().last().map_or(u64::MAX, |f| (f.outer + f.left) as u64);
    }

    /// The innermost open map reached the start of its next item (or its end).
    fn map_boundary(&mut self) -> Result<(), DecodeError> {
        while let Some(frame) = self.maps.last_mut() {
            if self.pending != (frame.outer + frame.left) as u64 {
                break;
            }
            if frame.current_is_key {
                let mut current = *frame;
                self.key_ended(&mut current)?;
                let Some(frame) = self.maps.last_mut() else { break };
                *frame = current;
            }
            let Some(frame) = self.maps.last_mut() else { break };
            if frame.left == 0 {
                let done = *frame;
                self.maps.pop();
                self.map_done(&done)?;
                continue;
            }
            frame.current = self.pos;
            frame.current_is_key = frame.left % 2 == 0;
            frame.left -= 1;
            if frame.left == 0 {
                // The last value begins and every key is known: finish the key checks now, so
                // maps nested in last values (the way trees are written) need one frame in all.
                let done = *frame;
                self.maps.pop();
                self.map_done(&done)?;
                continue;
            }
            break;
        }
        self.set_boundary();
        Ok(())
    }

    /// A map ended: keys that were not in order are checked for duplicates.
    fn map_done(&mut self, frame: &MapFrame) -> Result<(), DecodeError> {
        if !frame.ordered {
            if !frame.keys_kept {
                let kind = match self.keys {
                    KeyMemory::Given { .. } => DecodeErrorKind::KeyBufferTooSmall,
                    KeyMemory::Own(_) => DecodeErrorKind::NeedsAlloc,
                };
                return Err(DecodeError::new(kind, frame.current, Some(Tag::Map)));
            }
            self.check_keys(frame.key_base, frame.current)?;
        }
        self.keys.truncate(frame.key_base);
        Ok(())
    }

    /// The keys whose offsets start at `base`: any two equal? Each key is hashed now (only
    /// maps not written in key order come here), into the words after the offsets.
    fn check_keys(&mut self, base: usize, map_at: usize) -> Result<(), DecodeError> {
        let n = self.keys.len() - base;
        let capacity = (2 * n).next_power_of_two().max(4);
        let mut table_ok = true;
        for i in 0..n + capacity {
            let word = if i < n {
                let offset = self.keys.as_mut_slice().get(base + i).copied().unwrap_or(0);
                hash_key(self.buf.get(offset as usize..).unwrap_or(&[]))
            } else {
                0
            };
            if !self.keys.push(word) {
                table_ok = false;
                break;
            }
        }
        let buf = self.buf;
        let duplicate = |first: usize, second: usize| {
            let (first, second) = (first.min(second), first.max(second));
            DecodeError::new(DecodeErrorKind::DuplicateMapKey { other: first }, second, Some(Tag::Map))
        };
        let key = |offset: u32| buf.get(offset as usize..).unwrap_or(&[]);
        let words = self.keys.as_mut_slice().get_mut(base..).unwrap_or(&mut []);
        let (offsets, rest) = words.split_at_mut(n.min(words.len()));
        let (hashes, table) = rest.split_at_mut(n.min(rest.len()));
        if table_ok {
            // Linear probing; too many probes or unequal terms with equal hashes (an input
            // built to collide) send the map to the sorting check below.
            let mut budget = 8 * n as u64 + 64;
            let mask = capacity - 1;
            'keys: for i in 0..n {
                let (offset, hash) = (offsets[i], hashes[i]);
                let mut slot = hash as usize & mask;
                loop {
                    let entry = table[slot];
                    if entry == 0 {
                        table[slot] = i as u32 + 1;
                        continue 'keys;
                    }
                    budget = budget.saturating_sub(1);
                    let other = (entry - 1) as usize;
                    if hashes[other] == hash {
                        let other_offset = offsets[other];
                        match compare(key(other_offset), key(offset)) {
                            Ok(Ordering::Equal) => return Err(duplicate(other_offset as usize, offset as usize)),
                            Ok(_) => budget = budget.saturating_sub(4),
                            Err(e) => return Err(DecodeError::new(e.kind(), offset as usize, Some(Tag::Map))),
                        }
                    }
                    if budget == 0 {
                        break 'keys;
                    }
                    slot = (slot + 1) & mask;
                }
            }
            if budget > 0 {
                return Ok(());
            }
        }
        // Sort the offsets by key and compare neighbours.
        heapsort(offsets, |&x, &y| compare(key(x), key(y)))
            .map_err(|e| DecodeError::new(e.kind(), map_at, Some(Tag::Map)))?;
        for pair in offsets.windows(2) {
            if compare(key(pair[0]), key(pair[1])).ok() == Some(Ordering::Equal) {
                return Err(duplicate(pair[0] as usize, pair[1] as usize));
            }
        }
        Ok(())
    }
}

/// Whether an atom's text is one `binary_to_term` accepts, its length included (for a reader
/// that checks as it goes, the typed one, which finds atoms without the wire reader).
#[cfg(feature = "serde")]
#[inline]
pub(crate) fn atom_ok(text: AtomText<'_>) -> bool {
    let limit = if text.utf8 { wire::MAX_ATOM_UTF8_BYTES } else { wire::MAX_ATOM_CHARS };
    text.bytes.len() <= limit && atom_rules(text).is_ok()
}

/// Whether the valid map key at the start of `a` comes before the one at the start of `b`
/// in the exact order, as the key check compares them (atoms of one encoding, the keys
/// Erlang writes most, by their bytes at once). `false` for equal keys, and where the
/// comparison would need memory it has not got.
#[cfg(feature = "serde")]
#[inline]
pub(crate) fn key_less(a: &[u8], b: &[u8]) -> bool {
    if let (Some((x, _)), Some((y, _))) = (wire::atom_at(a), wire::atom_at(b))
        && x.utf8 == y.utf8
    {
        return atom_bytes_less(x.bytes, y.bytes);
    }
    quick_compare(a, b).or_else(|| compare(a, b).ok()) == Some(Ordering::Less)
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

/// The exact order of two keys when both are atoms in the same encoding or both small
/// integers, without the general comparison's machinery; `None` otherwise.
#[inline]
fn quick_compare(a: &[u8], b: &[u8]) -> Option<Ordering> {
    match (wire::read(a).ok()?.0, wire::read(b).ok()?.0) {
        (Head::Int(Int::Small(x)), Head::Int(Int::Small(y))) => Some(x.cmp(&y)),
        (Head::Atom(x), Head::Atom(y)) if x.utf8 == y.utf8 => Some(x.bytes.cmp(y.bytes)),
        _ => None,
    }
}

/// `a < b` for the bytes of two atoms of one encoding, deciding on the first byte when it
/// differs (keys Erlang writes mostly differ there) without a call to `memcmp`.
#[cfg_attr(not(target_os = "none"), inline(always))]
#[cfg_attr(target_os = "none", inline)]
pub(crate) fn atom_bytes_less(a: &[u8], b: &[u8]) -> bool {
    match (a.first(), b.first()) {
        (Some(x), Some(y)) if x != y => x < y,
        _ => a < b,
    }
}

/// A hash of a key's canonical form: two encodings of one term hash alike (atoms as
/// characters, integers by value, lists however split, binaries and 8-bit bitstrings,
/// old and new pid, port and reference forms). The walk stops at the first map or fun
/// inside the key, so it reads each byte of a key at most once and never a nested map's keys.
pub(crate) fn hash_key(key: &[u8]) -> u32 {
    let mut h = Hasher(0x9e37_79b9_7f4a_7c15);
    let mut rest = key;
    let mut pending: u64 = 1;
    while pending > 0 {
        pending -= 1;
        let Ok((head, len)) = wire::read(rest) else { break };
        rest = rest.get(len..).unwrap_or(&[]);
        match head {
            Head::Int(value) => h.int(value),
            Head::Float(value) => h.words(&[3, value.to_bits()]),
            Head::FloatText(text) => h.words(&[3, wire::parse_float_text(text).unwrap_or(0.0).to_bits()]),
            Head::Atom(text) => h.atom(text),
            Head::Bits { bytes, bits } => {
                h.word(5);
                if bits >= 8 || bytes.is_empty() {
                    h.bytes(bytes);
                } else {
                    let (last, whole) = bytes.split_last().unwrap_or((&0, &[]));
                    h.bytes(whole);
                    h.words(&[u64::from(last & !(0xffu8 >> bits)), u64::from(bits)]);
                }
            }
            // Lists hash as their elements and their tail, however they are split.
            Head::Nil => h.word(6),
            Head::String(bytes) => {
                for &b in bytes {
                    h.int(Int::Small(i64::from(b)));
                }
                h.word(6);
            }
            Head::List(n) => pending += u64::from(n) + 1,
            Head::Tuple(n) => {
                h.words(&[7, u64::from(n)]);
                pending += u64::from(n);
            }
            Head::Pid(raw) => {
                let f = wire::fields(wire::pid, raw);
                h.word(8);
                h.atom(f.node);
                h.words(&[u64::from(f.id), u64::from(f.serial), u64::from(f.creation)]);
            }
            Head::Port(raw) => {
                let f = wire::fields(wire::port, raw);
                h.word(9);
                h.atom(f.node);
                h.words(&[f.id, u64::from(f.creation)]);
            }
            Head::Reference(raw) => {
                let f = wire::fields(wire::reference, raw);
                h.word(10);
                h.atom(f.node);
                h.word(u64::from(f.creation));
                h.bytes(f.words);
            }
            Head::Export(raw) => {
                let f = wire::fields(wire::export, raw);
                h.word(11);
                h.atom(f.module);
                h.atom(f.function);
                h.int(f.arity);
            }
            Head::Map(n) => {
                h.words(&[12, u64::from(n)]);
                break;
            }
            // What ERTS compares of a fun before its free variables (see `cmp`): equal funs
            // hash alike, and funs that differ there rarely share a bucket.
            Head::Fun { header, .. } => {
                let f = wire::fields(wire::fun, header);
                h.word(13);
                h.atom(f.module);
                let old_uniq = match f.old_uniq {
                    Int::Small(v) => v as u32,
                    Int::Big { .. } => 0,
                };
                h.words(&[u64::from(f.index), u64::from(old_uniq), u64::from(f.free)]);
                break;
            }
        }
    }
    (h.0 >> 32) as u32
}

struct Hasher(u64);

impl Hasher {
    #[inline]
    fn word(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(26) ^ w).wrapping_mul(0x2d35_8dcc_aa6c_78a5);
    }

    fn words(&mut self, ws: &[u64]) {
        for &w in ws {
            self.word(w);
        }
    }

    fn bytes(&mut self, bytes: &[u8]) {
        self.word(bytes.len() as u64);
        let (chunks, tail) = bytes.as_chunks::<8>();
        for chunk in chunks {
            self.word(u64::from_le_bytes(*chunk));
        }
        let mut last = [0u8; 8];
        last[..tail.len()].copy_from_slice(tail);
        self.word(u64::from_le_bytes(last));
    }

    fn int(&mut self, value: Int<'_>) {
        match value {
            Int::Small(v) => self.words(&[1, v as u64]),
            Int::Big { negative, magnitude } => {
                self.words(&[2, u64::from(negative)]);
                self.bytes(magnitude);
            }
        }
    }

    fn atom(&mut self, text: AtomText<'_>) {
        self.word(4);
        if text.bytes.is_ascii() {
            self.bytes(text.bytes);
        } else {
            let mut count = 0u64;
            for c in text.chars() {
                self.word(u64::from(u32::from(c)));
                count += 1;
            }
            self.word(count);
        }
    }
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
