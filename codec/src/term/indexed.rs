//! Views read through an [`Index`] (feature `index`): where a slot's term is, the
//! continuation of a list past a segment, and the search of a map in key order.

use super::containers::{ListCursor, ListIter, Src};
use super::*;

/// The term a slot of `index` holds.
#[inline]
pub(crate) fn slot_term<'a>(index: &'a Index<'a>, slot: u32) -> Term<'a> {
    match index.resolve(slot) {
        Err(start) => {
            let raw = index.bytes.get(start..).unwrap_or(&[]);
            match common_leaf_at(raw) {
                Some((term, _)) => term,
                None => term_at(raw).0,
            }
        }
        Ok(block) => {
            let src = Src::Indexed { index, block };
            match index.tag(block) {
                wire::SMALL_TUPLE_EXT | wire::LARGE_TUPLE_EXT => Term::Tuple(Tuple { src }),
                wire::LIST_EXT => Term::List(List { src }),
                wire::MAP_EXT => Term::Map(Map { src }),
                _ => Term::Fun(Fun { raw: index.bytes_of(block), exact: true }),
            }
        }
    }
}

impl<'a> Index<'a> {
    /// The term, as views that read through the index.
    pub fn term(&'a self) -> Term<'a> {
        slot_term(self, self.word(0))
    }
}

/// Slot `i` of `block`, if below `len`.
#[inline]
pub(super) fn slot_at<'a>(index: &'a Index<'a>, block: u32, i: usize, len: usize) -> Option<Term<'a>> {
    (i < len).then(|| slot_term(index, index.word(Index::first_slot(block) as usize + i)))
}

impl<'a> ListCursor<'a> {
    pub(super) fn slots(index: &'a Index<'a>, block: u32) -> Self {
        let next = Index::first_slot(block);
        ListCursor::Slots { index, next, tail: next + index.slots(block).saturating_sub(1) }
    }
}

impl<'a> ListIter<'a> {
    /// Through an index, past the last element of a segment: the tail continues the list
    /// (another `LIST_EXT`, or a `STRING_EXT`) or ends it.
    #[cold]
    pub(super) fn continue_slots(&mut self) -> bool {
        let ListCursor::Slots { index, tail, .. } = self.cursor else { return false };
        match index.resolve(index.word(tail as usize)) {
            // Blocks come in the order written: a tail's is after its list's slots.
            Ok(block) if index.is_list(block) && block > tail => {
                self.cursor = ListCursor::slots(index, block);
                true
            }
            Err(start) => match wire::head_of(index.bytes.get(start..).unwrap_or(&[])) {
                (Head::String(bytes), _) if !bytes.is_empty() => {
                    let left = bytes.len() as u32;
                    self.cursor = ListCursor::Bytes { rest: bytes, left, string: true, unwalked: false };
                    true
                }
                _ => false,
            },
            Ok(_) => false,
        }
    }
}

/// The value for `key` in the map of `block`, whose keys are in increasing order: by halves.
pub(super) fn sorted_get<'a>(index: &'a Index<'a>, block: u32, key: &Term<'_>) -> Option<Term<'a>> {
    let first = Index::first_slot(block) as usize;
    let (mut low, mut high) = (0, index.slots(block) as usize / 2);
    while low < high {
        let mid = low + (high - low) / 2;
        let k = slot_term(index, index.word(first + 2 * mid));
        #[cfg(test)]
        crate::tests::count_compared();
        match k.exact_cmp(key) {
            core::cmp::Ordering::Less => low = mid + 1,
            core::cmp::Ordering::Greater => high = mid,
            core::cmp::Ordering::Equal => return Some(slot_term(index, index.word(first + 2 * mid + 1))),
        }
    }
    None
}
