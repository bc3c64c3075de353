//! Containers: tuples and lists, and their iterators (maps in `map`).

use super::*;

/// Where a container's contents are read from.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Src<'a> {
    /// Its bytes, stepped over as they are read.
    Bytes {
        /// From its tag to the end of the input (to its end when `exact`).
        raw: &'a [u8],
        exact: bool,
        /// The header's length: the contents start there.
        body: u8,
        /// A tuple's arity, a list's elements in its first segment, a map's pairs.
        count: u32,
        /// A list written as `STRING_EXT`.
        string: bool,
    },
    /// Its block in an [`Index`](crate::Index).
    #[cfg(feature = "index")]
    Indexed { index: &'a Index<'a>, block: u32 },
}

impl<'a> Src<'a> {
    /// The bytes, exactly.
    pub(super) fn bytes(&self) -> &'a [u8] {
        match *self {
            Src::Bytes { raw, exact, .. } => exact_bytes(raw, exact),
            #[cfg(feature = "index")]
            Src::Indexed { index, block } => index.bytes_of(block),
        }
    }

    /// From the tag on (possibly past the end).
    #[cfg(feature = "serde")]
    pub(super) fn start(&self) -> &'a [u8] {
        match *self {
            Src::Bytes { raw, .. } => raw,
            #[cfg(feature = "index")]
            Src::Indexed { index, block } => index.bytes.get(index.start(block)..).unwrap_or(&[]),
        }
    }

    /// The same bytes, known to end where they do.
    pub(super) fn exact(self) -> Self {
        match self {
            Src::Bytes { raw, body, count, string, .. } => Src::Bytes { raw, exact: true, body, count, string },
            #[cfg(feature = "index")]
            indexed => indexed,
        }
    }

    /// A tuple's elements or a map's keys and values: `count` of them.
    #[inline]
    pub(super) fn elements(&self, count: u64) -> Elements<'a> {
        match *self {
            Src::Bytes { raw, body, .. } => Elements::new(raw.get(usize::from(body)..).unwrap_or(&[]), count),
            #[cfg(feature = "index")]
            Src::Indexed { index, block } => Elements {
                rest: indexed::body(index, block),
                left: count,
                unwalked: false,
                index: Some(index),
                end: Index::first_slot(block) + index.slots(block),
            },
        }
    }
}

/// A tuple: its arity and its elements, read lazily.
#[derive(Clone, Copy, Debug)]
pub struct Tuple<'a> {
    pub(crate) src: Src<'a>,
}

impl<'a> Tuple<'a> {
    /// The number of elements.
    pub fn arity(&self) -> usize {
        match self.src {
            Src::Bytes { count, .. } => count as usize,
            #[cfg(feature = "index")]
            Src::Indexed { index, block } => index.slots(block) as usize,
        }
    }

    /// Whether the tuple is `{}`.
    pub fn is_empty(&self) -> bool {
        self.arity() == 0
    }

    /// The elements in order.
    #[inline]
    pub fn iter(&self) -> Elements<'a> {
        self.src.elements(self.arity() as u64)
    }

    /// The element at `index` (counting from 0), if there is one: O(1) through an
    /// [`Index`](crate::Index) (feature `index`), else O(index) (the elements before it are
    /// stepped over).
    pub fn get(&self, index: usize) -> Option<Term<'a>> {
        match self.src {
            #[cfg(feature = "index")]
            Src::Indexed { index: ix, block } => indexed::slot_at(ix, block, index, ix.slots(block) as usize),
            Src::Bytes { .. } => self.iter().nth(index),
        }
    }
}

impl<'a> IntoIterator for Tuple<'a> {
    type Item = Term<'a>;
    type IntoIter = Elements<'a>;

    fn into_iter(self) -> Elements<'a> {
        self.iter()
    }
}

/// The elements of a tuple, or the key and value terms of a map, in order.
#[derive(Clone, Debug)]
pub struct Elements<'a> {
    /// From the next element on, or from the last one handed out when `unwalked`.
    rest: &'a [u8],
    left: u64,
    /// The last element handed out is a container whose end is not known yet.
    unwalked: bool,
    /// Through an index: where the containers handed out end, and the tape position just
    /// past the slots (the element `left` from the end is in slot `end - left`, so nothing
    /// is counted per element).
    #[cfg(feature = "index")]
    index: Option<&'a Index<'a>>,
    #[cfg(feature = "index")]
    end: u32,
}

impl<'a> Elements<'a> {
    pub(crate) fn new(rest: &'a [u8], left: u64) -> Self {
        Elements {
            rest,
            left,
            unwalked: false,
            #[cfg(feature = "index")]
            index: None,
            #[cfg(feature = "index")]
            end: 0,
        }
    }

    /// Where the elements end, once the iterator is exhausted and its last element was a leaf
    /// or was walked (`None` otherwise).
    pub(crate) fn end(&self) -> Option<&'a [u8]> {
        (self.left == 0 && !self.unwalked).then_some(self.rest)
    }

    /// The element last handed out was walked and ends where `end` begins: no need to step
    /// over it. Ignored unless `end` lies within this iterator's bytes.
    pub(crate) fn resume(&mut self, end: &'a [u8]) {
        if self.unwalked && within(self.rest, end) {
            self.rest = end;
            self.unwalked = false;
        }
    }

    /// Past the container last handed out (`unwalked`): through the index in O(1), else
    /// stepped over.
    #[inline(always)]
    fn settle(&mut self) {
        self.unwalked = false;
        #[cfg(feature = "index")]
        if let Some(index) = self.index {
            self.rest = indexed::end_of(index, self.end.wrapping_sub(self.left as u32 + 1));
            return;
        }
        self.rest = past(self.rest);
    }
}

/// The bytes after the validated term at the start of `rest`, stepped over. Out of line, as
/// is [`other_at`], so that the iterators' `next` is small enough to inline; these take and
/// give values, so an [`Elements`] keeps its state in registers (nothing takes its address).
/// [`ListIter`]'s own out-of-line steps take `&mut self`: by value measured slower there.
#[inline(never)]
fn past(rest: &[u8]) -> &[u8] {
    rest.get(wire::skip(rest)..).unwrap_or(&[])
}

/// An element at the start of validated `rest` that is not one of the common leaves: its
/// view, and the bytes after it, or `None` for a container whose end is not known yet.
#[inline(never)]
fn other_at(rest: &[u8]) -> (Term<'_>, Option<&[u8]>) {
    match term_at(rest) {
        (term, End::At(len)) => (term, Some(rest.get(len..).unwrap_or(&[]))),
        (term, End::Unknown) => (term, None),
    }
}

/// The container `term` handed out from slot `slot`, as a view through `index`.
#[cfg(feature = "index")]
#[inline(never)]
fn through_slot<'a>(index: &'a Index<'a>, slot: u32, term: Term<'a>) -> Term<'a> {
    indexed::through(index, slot, term)
}

/// Whether `inner` is a suffix of `outer` (same input, at or after its start).
#[inline]
pub(crate) fn within(outer: &[u8], inner: &[u8]) -> bool {
    let (o, i) = (outer.as_ptr() as usize, inner.as_ptr() as usize);
    i >= o && i + inner.len() == o + outer.len()
}

impl<'a> Iterator for Elements<'a> {
    type Item = Term<'a>;

    #[cfg_attr(not(target_os = "none"), inline(always))]
    fn next(&mut self) -> Option<Term<'a>> {
        if self.left == 0 {
            return None;
        }
        if self.unwalked {
            self.settle();
        }
        self.left -= 1;
        if let Some((term, rest)) = common_leaf_at(self.rest) {
            self.rest = rest;
            return Some(term);
        }
        #[cfg_attr(not(feature = "index"), allow(unused_mut))]
        let (mut term, after) = other_at(self.rest);
        match after {
            Some(after) => self.rest = after,
            None => {
                self.unwalked = true;
                #[cfg(feature = "index")]
                if let Some(index) = self.index {
                    term = through_slot(index, self.end.wrapping_sub(self.left as u32 + 1), term);
                }
            }
        }
        Some(term)
    }

    fn nth(&mut self, n: usize) -> Option<Term<'a>> {
        #[cfg(feature = "index")]
        if let Some(index) = self.index {
            // Straight to the slot.
            let n = u32::try_from(n).unwrap_or(u32::MAX).min(u32::try_from(self.left).unwrap_or(u32::MAX));
            if n > 0 {
                self.left -= u64::from(n);
                self.unwalked = false;
                self.rest = indexed::start_of(index, self.end.wrapping_sub(self.left as u32));
            }
            return self.next();
        }
        for _ in 0..n {
            self.next()?;
        }
        self.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = usize::try_from(self.left).unwrap_or(usize::MAX);
        (left, Some(left))
    }
}

impl ExactSizeIterator for Elements<'_> {}

/// A non-empty list: its elements, read lazily, and its tail (`[]` for a proper list).
///
/// A `LIST_EXT` whose tail is itself a list continues into it, as in Erlang.
#[derive(Clone, Copy, Debug)]
pub struct List<'a> {
    pub(crate) src: Src<'a>,
}

impl<'a> List<'a> {
    /// The elements in order (not the tail).
    #[inline]
    pub fn iter(&self) -> ListIter<'a> {
        match self.src {
            Src::Bytes { raw, body, count, string, .. } => ListIter {
                rest: raw.get(usize::from(body)..).unwrap_or(&[]),
                left: count,
                string,
                unwalked: false,
                eager: false,
                #[cfg(feature = "index")]
                index: None,
                #[cfg(feature = "index")]
                end: 0,
            },
            #[cfg(feature = "index")]
            Src::Indexed { index, block } => ListIter {
                rest: indexed::body(index, block),
                left: index.slots(block).saturating_sub(1),
                string: false,
                unwalked: false,
                eager: false,
                index: Some(index),
                end: Index::first_slot(block) + index.slots(block).saturating_sub(1),
            },
        }
    }

    /// The bytes of a list written as `STRING_EXT` (a list of integers 0..=255), if it was.
    pub fn as_string_bytes(&self) -> Option<&'a [u8]> {
        match self.src {
            Src::Bytes { raw, body, count, string: true, .. } => {
                let start = usize::from(body);
                Some(raw.get(start..start + count as usize).unwrap_or(&[]))
            }
            _ => None,
        }
    }

    /// The element at `index` (counting from 0), if there is one: O(1) for a list written as
    /// `STRING_EXT` and through an [`Index`](crate::Index) (feature `index`; within the list's
    /// first `LIST_EXT` segment, which is the whole list as Erlang writes it), else O(index).
    pub fn get(&self, index: usize) -> Option<Term<'a>> {
        if let Some(bytes) = self.as_string_bytes() {
            return bytes.get(index).map(|&b| Term::Integer(i64::from(b)));
        }
        #[cfg(feature = "index")]
        if let Src::Indexed { index: ix, block } = self.src {
            let elements = ix.slots(block) as usize - 1;
            if index < elements {
                return indexed::slot_at(ix, block, index, elements);
            }
        }
        self.iter().nth(index)
    }

    /// The tail: [`Term::Nil`] for a proper list.
    pub fn tail(&self) -> Term<'a> {
        let mut iter = self.iter();
        for _ in iter.by_ref() {}
        iter.tail()
    }

    /// Whether the list ends in `[]`.
    pub fn is_proper(&self) -> bool {
        matches!(self.tail(), Term::Nil)
    }

    /// The number of elements (walks the list; through an [`Index`](crate::Index), counts).
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Always `false`: `[]` is [`Term::Nil`], not a `List`.
    pub fn is_empty(&self) -> bool {
        false
    }
}

impl<'a> IntoIterator for List<'a> {
    type Item = Term<'a>;
    type IntoIter = ListIter<'a>;

    fn into_iter(self) -> ListIter<'a> {
        self.iter()
    }
}

/// The elements of a [`List`]; after the last one, [`ListIter::tail`] gives the tail.
///
/// Without an [`Index`](crate::Index), a container it hands out is stepped over once, to
/// reach the element after it: at once from the second container on (the processor overlaps
/// that with the caller reading it), when the next element is asked for before that, and not
/// at all for the element [`nth`](Iterator::nth) or [`List::get`] hands out unless the
/// next one is asked for.
#[derive(Clone, Debug)]
pub struct ListIter<'a> {
    /// From the next element (or the tail) on; in a string, from its next byte.
    rest: &'a [u8],
    left: u32,
    /// Reading the bytes of a `STRING_EXT`.
    string: bool,
    /// The last element handed out is a container whose end is not known yet.
    unwalked: bool,
    /// A container was handed out before: the next one is stepped over at once (see
    /// [`ListIter::next_other`]).
    eager: bool,
    /// As in [`Elements`], for the current segment: its tail is in slot `end`.
    #[cfg(feature = "index")]
    index: Option<&'a Index<'a>>,
    #[cfg(feature = "index")]
    end: u32,
}

impl<'a> ListIter<'a> {
    /// The tail, once every element was read: [`Term::Nil`] for a proper list. Before that,
    /// [`Term::Nil`] too.
    pub fn tail(&self) -> Term<'a> {
        if self.left > 0 || self.string {
            return Term::Nil;
        }
        #[cfg(feature = "index")]
        if let Some(index) = self.index {
            return indexed::slot_term(index, index.word(self.end as usize));
        }
        let rest = if self.unwalked { past(self.rest) } else { self.rest };
        term_at(rest).0
    }

    /// Where the list ends (after its tail), once the elements are exhausted, the last was a
    /// leaf or was walked, and the tail is a leaf; `None` otherwise.
    pub(crate) fn end(&self) -> Option<&'a [u8]> {
        if self.left > 0 || self.unwalked {
            return None;
        }
        if self.string {
            return Some(self.rest);
        }
        match term_at(self.rest) {
            (_, End::At(len)) => self.rest.get(len..),
            (_, End::Unknown) => None,
        }
    }

    /// See [`Elements::resume`].
    pub(crate) fn resume(&mut self, end: &'a [u8]) {
        if self.unwalked && within(self.rest, end) {
            self.rest = end;
            self.unwalked = false;
        }
    }

    /// See [`Elements::settle`].
    #[inline(never)]
    fn settle(&mut self) {
        self.unwalked = false;
        #[cfg(feature = "index")]
        if let Some(index) = self.index {
            self.rest = indexed::end_of(index, self.end.wrapping_sub(self.left + 1));
            return;
        }
        self.rest = past(self.rest);
    }

    /// The next element when it is not one of the common leaves (see [`other_at`]); `left`
    /// was counted down already.
    #[inline(never)]
    fn next_other(&mut self) -> Term<'a> {
        #[cfg_attr(not(feature = "index"), allow(unused_mut))]
        let (mut term, end) = term_at(self.rest);
        match end {
            End::At(len) => self.rest = self.rest.get(len..).unwrap_or(&[]),
            End::Unknown => {
                #[cfg(feature = "index")]
                if let Some(index) = self.index {
                    self.unwalked = true;
                    term = indexed::through(index, self.end.wrapping_sub(self.left + 1), term);
                    return term;
                }
                // From the second container on, the caller is going through the list: each
                // is stepped over now, not when the next element is asked for, so that the
                // processor overlaps the step with the caller's reading of it (the two are
                // independent). Recursion over b's views: 800 -> 730 us. The first stays
                // lazy, as does the one `nth` (and so `List::get`) hands out, so that taking one
                // element costs no step over it, at any depth. `Elements` stays lazy: eager,
                // it measured slower, and a map's last value (often the container) needs no
                // step at all.
                if self.eager {
                    self.rest = past(self.rest);
                } else {
                    self.eager = true;
                    self.unwalked = true;
                }
            }
        }
        term
    }

    /// The segment ended: the tail may continue the list (`false` when it does not).
    #[inline(never)]
    fn next_segment(&mut self) -> bool {
        match wire::head_of(self.rest) {
            (Head::List(n), len) => {
                self.left = n;
                self.rest = self.rest.get(len..).unwrap_or(&[]);
                // Its slots follow in the tail's block.
                #[cfg(feature = "index")]
                if let Some(index) = self.index {
                    self.end = indexed::continuation(index, self.end).wrapping_add(n);
                }
            }
            (Head::String(bytes), len) => {
                self.left = bytes.len() as u32;
                self.rest = self.rest.get(len - bytes.len()..).unwrap_or(&[]);
                self.string = true;
            }
            _ => return false,
        }
        true
    }
}

impl<'a> Iterator for ListIter<'a> {
    type Item = Term<'a>;

    #[cfg_attr(not(target_os = "none"), inline(always))]
    fn next(&mut self) -> Option<Term<'a>> {
        loop {
            if self.unwalked {
                self.settle();
            }
            if self.left > 0 {
                self.left -= 1;
                if self.string {
                    let (&byte, rest) = self.rest.split_first()?;
                    self.rest = rest;
                    return Some(Term::Integer(i64::from(byte)));
                }
                if let Some((term, rest)) = common_leaf_at(self.rest) {
                    self.rest = rest;
                    return Some(term);
                }
                return Some(self.next_other());
            }
            if self.string || !self.next_segment() {
                return None;
            }
        }
    }

    fn nth(&mut self, n: usize) -> Option<Term<'a>> {
        for _ in 0..n {
            self.next()?;
        }
        // The one handed out is not stepped over until the next is asked for.
        self.eager = false;
        self.next()
    }
}
