//! [`Index`]: where every term of a decoded input starts and every container ends, written
//! by validation into memory the caller gives, so that views reach any element in O(1) and
//! never step over a container twice.
//!
//! The index is a tape of `u32` words: a *block* for every container in the order written,
//! after the root's own block (a container of one slot, the term itself):
//!
//! | word | while the container is open | once it has ended |
//! |---|---|---|
//! | 0 | where its tag is | the same |
//! | 1 | the block of the container it is in ([`NONE`] for the root) | where it ends |
//! | 2 | its slot count, and [`SORTED`] for a map whose keys are in strictly increasing order | the same |
//! | 3 | slots filled so far | the slot count |
//! | 4.. | one slot per term it holds: a tuple's elements, a list segment's elements and its tail, a map's keys and values, a fun's creator and free variables |
//!
//! A slot is where a leaf starts, or [`CONTAINER`] with the block of a container. Validation
//! reads the terms in order; a term fills the next slot of the innermost open container that
//! has slots left, so the blocks themselves hold the chain of open containers and building
//! the index needs no stack: a container ends where the next term after it begins (or where
//! the input ends), and each one is closed once. Cost: one word per term, four per
//! container and five for the root's block, and O(1) work per term.

#[cfg(feature = "index")]
mod tape;

#[cfg(feature = "index")]
pub(crate) use tape::{Builder, CONTAINER, ROOT};
#[cfg(feature = "index")]
pub use tape::{Index, IndexMemory};

/// What validation tells an index as it reads: every term once, in order.
pub(crate) trait Indexer {
    /// Whether anything is recorded: when not, validation keeps its bulk paths (runs of
    /// integers read without a step per term).
    const ACTIVE: bool;
    /// A leaf starts at `at`.
    fn leaf(&mut self, at: usize) -> Result<(), ()>;
    /// A container starts at `at` and holds `children` terms.
    fn open(&mut self, at: usize, children: u64) -> Result<(), ()>;
    /// The innermost open container of `buf` with a slot left, whose items so far have all
    /// ended at `at`, is a map whose keys are in strictly increasing order (`ordered`) or not.
    fn map_order(&mut self, buf: &[u8], at: usize, ordered: bool);
    /// The input's term ended at `end`.
    fn finish(&mut self, end: usize);
}

impl<T: Indexer> Indexer for &mut T {
    const ACTIVE: bool = T::ACTIVE;
    #[inline(always)]
    fn leaf(&mut self, at: usize) -> Result<(), ()> {
        (**self).leaf(at)
    }
    #[inline(always)]
    fn open(&mut self, at: usize, children: u64) -> Result<(), ()> {
        (**self).open(at, children)
    }
    #[inline(always)]
    fn map_order(&mut self, buf: &[u8], at: usize, ordered: bool) {
        (**self).map_order(buf, at, ordered)
    }
    #[inline(always)]
    fn finish(&mut self, end: usize) {
        (**self).finish(end)
    }
}

/// No index: validation alone.
pub(crate) struct NoIndex;

impl Indexer for NoIndex {
    const ACTIVE: bool = false;
    #[inline(always)]
    fn leaf(&mut self, _: usize) -> Result<(), ()> {
        Ok(())
    }
    #[inline(always)]
    fn open(&mut self, _: usize, _: u64) -> Result<(), ()> {
        Ok(())
    }
    #[inline(always)]
    fn map_order(&mut self, _: &[u8], _: usize, _: bool) {}
    #[inline(always)]
    fn finish(&mut self, _: usize) {}
}
