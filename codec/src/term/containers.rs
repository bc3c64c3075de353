//! Containers: tuples, lists and maps, and their iterators.

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

    /// A tuple's elements or a map's keys and values: `count` of them (read from the bytes; an
    /// index knows its slots).
    fn elements(&self, count: u64) -> Elements<'a> {
        match *self {
            Src::Bytes { raw, body, .. } => Elements::new(raw.get(usize::from(body)..).unwrap_or(&[]), count),
            #[cfg(feature = "index")]
            Src::Indexed { index, block } => {
                let next = Index::first_slot(block);
                Elements { cursor: Cursor::Slots { index, next, end: next + index.slots(block) } }
            }
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
    pub(super) cursor: Cursor<'a>,
}

#[derive(Clone, Debug)]
pub(super) enum Cursor<'a> {
    Bytes {
        /// From the next element on, or from the last one handed out when `unwalked`.
        rest: &'a [u8],
        left: u64,
        /// The last element handed out is a container whose end is not known yet.
        unwalked: bool,
    },
    /// Slots `next..end` of an index.
    #[cfg(feature = "index")]
    Slots { index: &'a Index<'a>, next: u32, end: u32 },
}

impl<'a> Elements<'a> {
    pub(crate) fn new(rest: &'a [u8], left: u64) -> Self {
        Elements { cursor: Cursor::Bytes { rest, left, unwalked: false } }
    }

    /// Where the elements end, once the iterator is exhausted and its last element was a leaf
    /// or was walked (`None` otherwise, and through an index, which needs no telling).
    pub(crate) fn end(&self) -> Option<&'a [u8]> {
        match self.cursor {
            Cursor::Bytes { rest, left, unwalked } => (left == 0 && !unwalked).then_some(rest),
            #[cfg(feature = "index")]
            Cursor::Slots { .. } => None,
        }
    }

    /// The element last handed out was walked and ends where `end` begins: no need to step
    /// over it. Ignored unless `end` lies within this iterator's bytes.
    pub(crate) fn resume(&mut self, end: &'a [u8]) {
        #[cfg_attr(not(feature = "index"), allow(irrefutable_let_patterns))]
        if let Cursor::Bytes { rest, unwalked, .. } = &mut self.cursor
            && *unwalked
            && within(rest, end)
        {
            *rest = end;
            *unwalked = false;
        }
    }
}

/// Whether `inner` is a suffix of `outer` (same input, at or after its start).
#[inline]
pub(crate) fn within(outer: &[u8], inner: &[u8]) -> bool {
    let (o, i) = (outer.as_ptr() as usize, inner.as_ptr() as usize);
    i >= o && i + inner.len() == o + outer.len()
}

impl<'a> Iterator for Elements<'a> {
    type Item = Term<'a>;

    #[inline]
    fn next(&mut self) -> Option<Term<'a>> {
        match &mut self.cursor {
            #[cfg(feature = "index")]
            Cursor::Slots { index, next, end } => {
                if *next >= *end {
                    return None;
                }
                let slot = index.word(*next as usize);
                *next += 1;
                Some(indexed::slot_term(index, slot))
            }
            Cursor::Bytes { rest, left, unwalked } => {
                if *left == 0 {
                    return None;
                }
                if *unwalked {
                    *unwalked = false;
                    *rest = rest.get(wire::skip(rest)..).unwrap_or(&[]);
                }
                *left -= 1;
                if let Some((term, after)) = common_leaf_at(rest) {
                    *rest = after;
                    return Some(term);
                }
                let (term, end) = term_at(rest);
                match end {
                    End::At(len) => *rest = rest.get(len..).unwrap_or(&[]),
                    End::Unknown => *unwalked = true,
                }
                Some(term)
            }
        }
    }

    fn nth(&mut self, n: usize) -> Option<Term<'a>> {
        #[cfg(feature = "index")]
        if let Cursor::Slots { next, end, .. } = &mut self.cursor {
            *next += u32::try_from(n).unwrap_or(u32::MAX).min(*end - *next);
            return self.next();
        }
        for _ in 0..n {
            self.next()?;
        }
        self.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = match self.cursor {
            Cursor::Bytes { left, .. } => usize::try_from(left).unwrap_or(usize::MAX),
            #[cfg(feature = "index")]
            Cursor::Slots { next, end, .. } => (end - next) as usize,
        };
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
    pub fn iter(&self) -> ListIter<'a> {
        let cursor = match self.src {
            Src::Bytes { raw, body, count, string, .. } => ListCursor::Bytes {
                rest: raw.get(usize::from(body)..).unwrap_or(&[]),
                left: count,
                string,
                unwalked: false,
            },
            #[cfg(feature = "index")]
            Src::Indexed { index, block } => ListCursor::slots(index, block),
        };
        ListIter { cursor }
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
#[derive(Clone, Debug)]
pub struct ListIter<'a> {
    pub(super) cursor: ListCursor<'a>,
}

#[derive(Clone, Debug)]
pub(super) enum ListCursor<'a> {
    Bytes {
        /// From the next element (or the tail) on; in a string, from its next byte.
        rest: &'a [u8],
        left: u32,
        /// Reading the bytes of a `STRING_EXT`.
        string: bool,
        /// The last element handed out is a container whose end is not known yet.
        unwalked: bool,
    },
    /// The elements in slots `next..tail` of an index, then the tail in slot `tail`.
    #[cfg(feature = "index")]
    Slots { index: &'a Index<'a>, next: u32, tail: u32 },
}

impl<'a> ListIter<'a> {
    /// The tail, once every element was read: [`Term::Nil`] for a proper list. Before that,
    /// [`Term::Nil`] too.
    pub fn tail(&self) -> Term<'a> {
        match self.cursor {
            ListCursor::Bytes { rest, left, string, unwalked } => {
                if left > 0 || string {
                    return Term::Nil;
                }
                let rest = if unwalked { rest.get(wire::skip(rest)..).unwrap_or(&[]) } else { rest };
                term_at(rest).0
            }
            #[cfg(feature = "index")]
            ListCursor::Slots { index, next, tail } => {
                if next < tail {
                    return Term::Nil;
                }
                indexed::slot_term(index, index.word(tail as usize))
            }
        }
    }

    /// Where the list ends (after its tail), once the elements are exhausted, the last was a
    /// leaf or was walked, and the tail is a leaf; `None` otherwise (and through an index,
    /// which needs no telling).
    pub(crate) fn end(&self) -> Option<&'a [u8]> {
        #[cfg_attr(not(feature = "index"), allow(irrefutable_let_patterns))]
        let ListCursor::Bytes { rest, left, string, unwalked } = self.cursor else { return None };
        if left > 0 || unwalked {
            return None;
        }
        if string {
            return Some(rest);
        }
        match term_at(rest) {
            (_, End::At(len)) => rest.get(len..),
            (_, End::Unknown) => None,
        }
    }

    /// See [`Elements::resume`].
    pub(crate) fn resume(&mut self, end: &'a [u8]) {
        #[cfg_attr(not(feature = "index"), allow(irrefutable_let_patterns))]
        if let ListCursor::Bytes { rest, unwalked, .. } = &mut self.cursor
            && *unwalked
            && within(rest, end)
        {
            *rest = end;
            *unwalked = false;
        }
    }
}

impl<'a> Iterator for ListIter<'a> {
    type Item = Term<'a>;

    #[inline]
    fn next(&mut self) -> Option<Term<'a>> {
        loop {
            let (rest, left, string, unwalked) = match &mut self.cursor {
                #[cfg(feature = "index")]
                ListCursor::Slots { index, next, tail } => {
                    if *next < *tail {
                        let slot = index.word(*next as usize);
                        *next += 1;
                        return Some(indexed::slot_term(index, slot));
                    }
                    if self.continue_slots() {
                        continue;
                    }
                    return None;
                }
                ListCursor::Bytes { rest, left, string, unwalked } => (rest, left, string, unwalked),
            };
            if *unwalked {
                *unwalked = false;
                *rest = rest.get(wire::skip(rest)..).unwrap_or(&[]);
            }
            if *left > 0 {
                *left -= 1;
                if *string {
                    let (&byte, after) = rest.split_first()?;
                    *rest = after;
                    return Some(Term::Integer(i64::from(byte)));
                }
                if let Some((term, after)) = common_leaf_at(rest) {
                    *rest = after;
                    return Some(term);
                }
                let (term, end) = term_at(rest);
                match end {
                    End::At(len) => *rest = rest.get(len..).unwrap_or(&[]),
                    End::Unknown => *unwalked = true,
                }
                return Some(term);
            }
            if *string {
                return None;
            }
            // The tail may continue the list.
            match wire::head_of(rest) {
                (Head::List(n), len) => {
                    *left = n;
                    *rest = rest.get(len..).unwrap_or(&[]);
                }
                (Head::String(bytes), len) => {
                    *left = bytes.len() as u32;
                    *rest = rest.get(len - bytes.len()..).unwrap_or(&[]);
                    *string = true;
                }
                _ => return None,
            }
        }
    }
}

/// A map: its pairs in the order they were written, read lazily.
#[derive(Clone, Copy, Debug)]
pub struct Map<'a> {
    pub(crate) src: Src<'a>,
}

impl<'a> Map<'a> {
    /// The number of pairs.
    pub fn len(&self) -> usize {
        match self.src {
            Src::Bytes { count, .. } => count as usize,
            #[cfg(feature = "index")]
            Src::Indexed { index, block } => index.slots(block) as usize / 2,
        }
    }

    /// Whether the map is `#{}`.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The pairs, in the order they were written (Erlang writes maps of up to 32 keys in
    /// key order, larger ones in its internal hash order).
    pub fn iter(&self) -> Pairs<'a> {
        Pairs { inner: self.src.elements(2 * self.len() as u64) }
    }

    /// The value for a key that is an atom with this text: see [`Map::get`] for the cost.
    pub fn get_atom(&self, key: &str) -> Option<Term<'a>> {
        #[cfg(feature = "index")]
        if let Src::Indexed { index, block } = self.src
            && index.sorted(block)
        {
            return indexed::sorted_get(index, block, &Term::Atom(Atom::new(key)));
        }
        self.iter().find(|(k, _)| k.is_atom(key)).map(|(_, v)| v)
    }

    /// The value whose key is exactly equal (`=:=`) to `key`. Through an
    /// [`Index`](crate::Index) (feature `index`), a map whose keys are in increasing term order
    /// (how Erlang writes maps of up to 32 keys) is searched by halves, O(log n) key
    /// comparisons; any other map is read pair by pair, O(n).
    pub fn get(&self, key: &Term<'_>) -> Option<Term<'a>> {
        #[cfg(feature = "index")]
        if let Src::Indexed { index, block } = self.src
            && index.sorted(block)
        {
            return indexed::sorted_get(index, block, key);
        }
        self.iter().find(|(k, _)| k.exact_cmp(key) == core::cmp::Ordering::Equal).map(|(_, v)| v)
    }
}

impl<'a> IntoIterator for Map<'a> {
    type Item = (Term<'a>, Term<'a>);
    type IntoIter = Pairs<'a>;

    fn into_iter(self) -> Pairs<'a> {
        self.iter()
    }
}

/// The key/value pairs of a [`Map`].
#[derive(Clone, Debug)]
pub struct Pairs<'a> {
    pub(crate) inner: Elements<'a>,
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (Term<'a>, Term<'a>);

    #[inline]
    fn next(&mut self) -> Option<(Term<'a>, Term<'a>)> {
        let key = self.inner.next()?;
        let value = self.inner.next()?;
        Some((key, value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let (n, _) = self.inner.size_hint();
        (n / 2, Some(n / 2))
    }
}

impl ExactSizeIterator for Pairs<'_> {}
