//! Views read through an [`Index`] (feature `index`): where a slot's term is, the
//! continuation of a list past a segment, and the search of a map in key order.

use super::containers::Src;
use super::*;
use crate::index::CONTAINER;

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
        slot_term(self, self.word(Index::first_slot(crate::index::ROOT) as usize))
    }
}

/// Slot `i` of `block`, if below `len`.
#[inline]
pub(super) fn slot_at<'a>(index: &'a Index<'a>, block: u32, i: usize, len: usize) -> Option<Term<'a>> {
    (i < len).then(|| slot_term(index, index.word(Index::first_slot(block) as usize + i)))
}

/// The container `term`, just read from the bytes in slot `slot` (a tape position), as a view
/// through the index. Built in place from the view over the bytes (a fun stays one).
#[inline(always)]
pub(super) fn through<'a>(index: &'a Index<'a>, slot: u32, term: Term<'a>) -> Term<'a> {
    let Ok(block) = index.resolve(index.word(slot as usize)) else { return term };
    let src = Src::Indexed { index, block };
    match term {
        Term::Tuple(_) => Term::Tuple(Tuple { src }),
        Term::List(_) => Term::List(List { src }),
        Term::Map(_) => Term::Map(Map { src }),
        other => other,
    }
}

/// The contents of the container of `block`: from after its header.
pub(super) fn body<'a>(index: &'a Index<'a>, block: u32) -> &'a [u8] {
    let raw = index.bytes.get(index.start(block)..).unwrap_or(&[]);
    let (_, len) = wire::head_of(raw);
    raw.get(len..).unwrap_or(&[])
}

/// Where the container in slot `slot` (a tape position) ends.
#[inline]
pub(super) fn end_of<'a>(index: &'a Index<'a>, slot: u32) -> &'a [u8] {
    let block = index.word(slot as usize) & !CONTAINER;
    let end = index.word(block as usize + 1) as usize;
    index.bytes.get(end..).unwrap_or(&[])
}

/// Where the term in slot `slot` (a tape position) starts.
pub(super) fn start_of<'a>(index: &'a Index<'a>, slot: u32) -> &'a [u8] {
    let value = index.word(slot as usize);
    let start = if value & CONTAINER == 0 { value } else { index.word((value & !CONTAINER) as usize) };
    index.bytes.get(start as usize..).unwrap_or(&[])
}

/// The first slot of the list segment that continues a list whose tail is in slot `slot`.
pub(super) fn continuation(index: &Index<'_>, slot: u32) -> u32 {
    Index::first_slot(index.word(slot as usize) & !CONTAINER)
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
