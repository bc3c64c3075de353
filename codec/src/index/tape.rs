//! The tape: its memory, the [`Index`] views read, and the [`Builder`] validation writes.

use super::Indexer;
use crate::wire::{LIST_EXT, MAP_EXT};
#[cfg(feature = "alloc")]
use alloc::vec::Vec;

/// A slot holding a container: the rest of the word is its block.
pub(crate) const CONTAINER: u32 = 1 << 31;
/// Set in a map block's slot count when its keys are in strictly increasing term order.
pub(crate) const SORTED: u32 = 1 << 31;
/// No block (the root's parent).
pub(crate) const NONE: u32 = u32::MAX;
/// Words before a block's slots.
pub(crate) const HEADER: usize = 4;

/// Memory for an [`Index`]: a slice of words (no allocator needed) or, with `alloc`, a `Vec`
/// that grows as needed and keeps its capacity for the next input.
///
/// An input of `n` bytes needs at most `5 * n / 2 + 5` words (a word per term, four more per
/// container, every container takes at least two bytes, and five for the root); ordinary
/// Erlang data needs about one word for every three bytes.
#[derive(Debug)]
pub enum IndexMemory<'w> {
    /// Words the caller owns; an input whose index does not fit is refused with
    /// [`DecodeErrorKind::IndexTooSmall`](crate::DecodeErrorKind::IndexTooSmall).
    Slice(&'w mut [u32]),
    /// A vector grown as the index is written, and reused as it is by the next decode (its
    /// length is what it once grew to, not the index's).
    #[cfg(feature = "alloc")]
    Vec(&'w mut Vec<u32>),
}

impl<'w> From<&'w mut [u32]> for IndexMemory<'w> {
    fn from(words: &'w mut [u32]) -> Self {
        IndexMemory::Slice(words)
    }
}

impl<'w, const N: usize> From<&'w mut [u32; N]> for IndexMemory<'w> {
    fn from(words: &'w mut [u32; N]) -> Self {
        IndexMemory::Slice(words)
    }
}

#[cfg(feature = "alloc")]
impl<'w> From<&'w mut Vec<u32>> for IndexMemory<'w> {
    fn from(words: &'w mut Vec<u32>) -> Self {
        IndexMemory::Vec(words)
    }
}

/// A validated term with its index: made by
/// [`Decoder::decode_indexed`](crate::Decoder::decode_indexed), read through
/// [`Index::term`]. The views it hands out reach a tuple's or list's element by position in
/// O(1), a key in a map written in key order in O(log n) comparisons, and step from one
/// element to the next in O(1) whatever the element holds, so recursion over the views reads
/// each byte a constant number of times at any depth.
///
/// ```
/// # #[cfg(feature = "alloc")] {
/// use erlport_codec::{Decoder, Term};
///
/// // term_to_binary({[1, 2], #{a => 3, b => 4}})
/// let bytes = [
///     131, 104, 2, 108, 0, 0, 0, 2, 97, 1, 97, 2, 106, 116, 0, 0, 0, 2, 119, 1, b'a', 97, 3, 119,
///     1, b'b', 97, 4,
/// ];
/// let mut words = Vec::new();
/// let index = Decoder::new().decode_indexed(&bytes, &mut words)?;
/// let Term::Tuple(pair) = index.term() else { panic!() };
/// let Some(Term::Map(map)) = pair.get(1) else { panic!() };
/// assert_eq!(map.get_atom("b").and_then(|v| v.as_i64()), Some(4));
/// # }
/// # Ok::<(), erlport_codec::DecodeError>(())
/// ```
#[derive(Clone, Copy)]
pub struct Index<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) tape: &'a [u32],
}

impl core::fmt::Debug for Index<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Index").field("bytes", &self.bytes.len()).field("words", &self.tape.len()).finish()
    }
}

impl<'a> Index<'a> {
    /// The words the index takes (at most `5 * n / 2 + 5` for an input of `n` bytes; a
    /// `Vec` given as its memory may have grown beyond them).
    pub fn words(&self) -> usize {
        self.tape.len()
    }

    /// The word at `at` (0 past the end: not reachable on a built index).
    #[inline(always)]
    pub(crate) fn word(&self, at: usize) -> u32 {
        self.tape.get(at).copied().unwrap_or(0)
    }

    /// Where the container of `block` starts.
    #[inline(always)]
    pub(crate) fn start(&self, block: u32) -> usize {
        self.word(block as usize) as usize
    }

    /// The bytes of the container of `block`, exactly.
    pub(crate) fn bytes_of(&self, block: u32) -> &'a [u8] {
        let (start, end) = (self.start(block), self.word(block as usize + 1) as usize);
        self.bytes.get(start..end).unwrap_or(&[])
    }

    /// The slot count of `block` (a tuple's arity, a list segment's elements plus its tail, a
    /// map's keys and values).
    #[inline(always)]
    pub(crate) fn slots(&self, block: u32) -> u32 {
        self.word(block as usize + 2) & !SORTED
    }

    /// Whether the map of `block` has its keys in strictly increasing order.
    pub(crate) fn sorted(&self, block: u32) -> bool {
        self.word(block as usize + 2) & SORTED != 0
    }

    /// Where the slots of `block` begin in the tape.
    #[inline(always)]
    pub(crate) fn first_slot(block: u32) -> u32 {
        block + HEADER as u32
    }

    /// The tag of the container of `block`.
    #[inline(always)]
    pub(crate) fn tag(&self, block: u32) -> u8 {
        self.bytes.get(self.start(block)).copied().unwrap_or(0)
    }

    /// The block a slot value names, seen through `[] ++ Tail` (a `LIST_EXT` of no elements,
    /// which is its tail): `Ok(block)` for a container, `Err(start)` for a leaf.
    #[inline(always)]
    pub(crate) fn resolve(&self, mut slot: u32) -> Result<u32, usize> {
        loop {
            if slot & CONTAINER == 0 {
                return Err(slot as usize);
            }
            let block = slot & !CONTAINER;
            if self.tag(block) == LIST_EXT && self.slots(block) == 1 {
                slot = self.word(Self::first_slot(block) as usize);
                continue;
            }
            return Ok(block);
        }
    }
}

/// Writes the tape (see the module's docs). The innermost open container's fill count and
/// slot count are kept here while it is filled, and in its block while a container nested
/// in it is.
pub(crate) struct Builder<'w> {
    memory: IndexMemory<'w>,
    len: usize,
    /// The innermost open container that may still have slots to fill ([`NONE`] once the
    /// root's own block has ended).
    current: u32,
    filled: u32,
    count: u32,
}

/// The root's block: a container of one slot (the root) at the start of the tape.
pub(crate) const ROOT: u32 = 0;

impl<'w> Builder<'w> {
    pub(crate) fn new(mut memory: IndexMemory<'w>) -> Self {
        let root = [0, NONE, 1, 0, 0];
        match &mut memory {
            IndexMemory::Slice(words) => {
                if let Some(start) = words.get_mut(..root.len()) {
                    start.copy_from_slice(&root);
                }
            }
            #[cfg(feature = "alloc")]
            IndexMemory::Vec(words) => {
                // Words past the root are written before they are read: a vector kept from
                // an earlier decode is reused as it is, not cleared and zeroed again.
                match words.get_mut(..root.len()) {
                    Some(start) => start.copy_from_slice(&root),
                    None => {
                        words.clear();
                        words.extend_from_slice(&root);
                    }
                }
            }
        }
        Builder { memory, len: root.len(), current: ROOT, filled: 0, count: 1 }
    }

    /// The words written.
    pub(crate) fn into_tape(self) -> &'w [u32] {
        let len = self.len;
        match self.memory {
            IndexMemory::Slice(words) => words.get(..len).unwrap_or(&[]),
            #[cfg(feature = "alloc")]
            IndexMemory::Vec(words) => words.get(..len).unwrap_or(&[]),
        }
    }

    #[inline(always)]
    fn words(&mut self) -> &mut [u32] {
        match &mut self.memory {
            IndexMemory::Slice(words) => words,
            #[cfg(feature = "alloc")]
            IndexMemory::Vec(words) => words,
        }
    }

    /// Makes room for `more` words after the ones written.
    fn grow(&mut self, more: u64) -> Result<(), ()> {
        let want = u64::try_from(self.len).map_err(|_| ())?.checked_add(more).ok_or(())?;
        // Block numbers must stay below `CONTAINER`.
        if want >= u64::from(CONTAINER) {
            return Err(());
        }
        let want = want as usize;
        match &mut self.memory {
            IndexMemory::Slice(words) if words.len() >= want => Ok(()),
            IndexMemory::Slice(_) => Err(()),
            #[cfg(feature = "alloc")]
            IndexMemory::Vec(words) => {
                if words.len() < want {
                    // Doubling: amortized O(1) a word, and a resize for one block in many.
                    words.resize(want.max(2 * words.len()), 0);
                }
                Ok(())
            }
        }
    }

    /// Closes the current container: it ended at `at`; its parent becomes current.
    #[cold]
    fn close(&mut self, at: u32) {
        let block = self.current as usize;
        let (filled, count) = (self.filled, self.count);
        let words = self.words();
        let parent = words.get(block + 1).copied().unwrap_or(NONE);
        if let Some(header) = words.get_mut(block + 1..block + 4) {
            header[0] = at;
            header[2] = filled.min(count);
        }
        // `NONE` as a position is past any tape (saturating: usize may be 32 bits).
        let base = (parent as usize).saturating_add(2);
        let (filled, count) = match words.get(base..base.saturating_add(2)) {
            Some(&[count, filled]) => (filled, count & !SORTED),
            _ => (0, 0),
        };
        self.current = parent;
        self.filled = filled;
        self.count = count;
    }

    /// Puts `value` in the next slot, closing first the containers that have all their slots
    /// filled: they ended at `at`.
    #[inline(always)]
    fn place(&mut self, at: u32, value: u32) {
        while self.filled >= self.count {
            if self.current == NONE {
                return;
            }
            self.close(at);
        }
        let slot = self.current as usize + HEADER + self.filled as usize;
        self.filled += 1;
        if let Some(word) = self.words().get_mut(slot) {
            *word = value;
        }
    }
}

/// An offset the index can hold (below `CONTAINER`).
#[inline(always)]
fn offset(at: usize) -> Result<u32, ()> {
    u32::try_from(at).ok().filter(|&at| at < CONTAINER).ok_or(())
}

impl Indexer for Builder<'_> {
    const ACTIVE: bool = true;

    #[inline(always)]
    fn leaf(&mut self, at: usize) -> Result<(), ()> {
        let at = offset(at)?;
        self.place(at, at);
        Ok(())
    }

    fn open(&mut self, at: usize, children: u64) -> Result<(), ()> {
        let at = offset(at)?;
        let slots = u32::try_from(children).ok().filter(|&n| n < SORTED).ok_or(())?;
        self.grow(HEADER as u64 + u64::from(slots))?;
        let block = self.len as u32;
        self.place(at, block | CONTAINER);
        // The parent's fill count, kept in its block while this one is filled.
        let (parent, filled) = (self.current, self.filled);
        let words = self.words();
        if let Some(count) = words.get_mut((parent as usize).saturating_add(3)) {
            *count = filled;
        }
        if let Some(header) = words.get_mut(block as usize..block as usize + HEADER) {
            header.copy_from_slice(&[at, parent, slots, 0]);
        }
        self.len += HEADER + slots as usize;
        self.current = block;
        self.filled = 0;
        self.count = slots;
        Ok(())
    }

    fn map_order(&mut self, buf: &[u8], at: usize, ordered: bool) {
        let Ok(at) = offset(at) else { return };
        while self.filled >= self.count && self.current != NONE {
            self.close(at);
        }
        if !ordered || self.current == NONE {
            return;
        }
        let block = self.current as usize;
        let words = self.words();
        let start = words.get(block).copied().unwrap_or(0) as usize;
        if buf.get(start) == Some(&MAP_EXT)
            && let Some(count) = words.get_mut(block + 2)
        {
            *count |= SORTED;
        }
    }

    fn finish(&mut self, end: usize) {
        let end = offset(end).unwrap_or(CONTAINER - 1);
        while self.current != NONE {
            self.close(end);
        }
    }
}
