//! Containers: tuples, lists and maps, and their iterators.

use super::*;

/// A tuple: its arity and its elements, read lazily.
#[derive(Clone, Copy, Debug)]
pub struct Tuple<'a> {
    /// From the tuple's tag to the end of the input (to the tuple's end when `exact`).
    pub(super) raw: &'a [u8],
    pub(super) exact: bool,
    /// The header's length: the elements start there.
    pub(super) body: u8,
    pub(super) arity: u32,
}

impl<'a> Tuple<'a> {
    /// The number of elements.
    pub fn arity(&self) -> usize {
        self.arity as usize
    }

    /// Whether the tuple is `{}`.
    pub fn is_empty(&self) -> bool {
        self.arity == 0
    }

    /// The elements in order.
    pub fn iter(&self) -> Elements<'a> {
        Elements::new(self.raw.get(usize::from(self.body)..).unwrap_or(&[]), u64::from(self.arity))
    }

    /// The element at `index` (counting from 0), if there is one.
    pub fn get(&self, index: usize) -> Option<Term<'a>> {
        self.iter().nth(index)
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
    pub(super) rest: &'a [u8],
    pub(super) left: u64,
    /// The last element handed out is a container whose end is not known yet.
    pub(super) unwalked: bool,
}

impl<'a> Elements<'a> {
    pub(crate) fn new(rest: &'a [u8], left: u64) -> Self {
        Elements { rest, left, unwalked: false }
    }

    #[inline]
    fn settle(&mut self) {
        if self.unwalked {
            self.unwalked = false;
            self.rest = self.rest.get(wire::skip(self.rest)..).unwrap_or(&[]);
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
        if self.left == 0 {
            return None;
        }
        self.settle();
        self.left -= 1;
        if let Some((value, rest)) = wire::small_integer(self.rest) {
            self.rest = rest;
            return Some(Term::Integer(value));
        }
        let (term, end) = term_at(self.rest);
        match end {
            End::At(len) => self.rest = self.rest.get(len..).unwrap_or(&[]),
            End::Unknown => self.unwalked = true,
        }
        Some(term)
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
    /// From its tag (`LIST_EXT` or `STRING_EXT`) to the end of the input (to the list's end
    /// when `exact`).
    pub(super) raw: &'a [u8],
    pub(super) exact: bool,
    /// The header's length.
    pub(super) body: u8,
    /// Elements in the first segment.
    pub(super) first: u32,
    pub(super) string: bool,
}

impl<'a> List<'a> {
    /// The elements in order (not the tail).
    pub fn iter(&self) -> ListIter<'a> {
        ListIter {
            rest: self.raw.get(usize::from(self.body)..).unwrap_or(&[]),
            left: self.first,
            string: self.string,
            unwalked: false,
        }
    }

    /// The bytes of a list written as `STRING_EXT` (a list of integers 0..=255), if it was.
    pub fn as_string_bytes(&self) -> Option<&'a [u8]> {
        let start = usize::from(self.body);
        self.string.then(|| self.raw.get(start..start + self.first as usize).unwrap_or(&[]))
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

    /// The number of elements (walks the list).
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
    /// From the next element (or the tail) on; in a string, from its next byte.
    pub(super) rest: &'a [u8],
    pub(super) left: u32,
    /// Reading the bytes of a `STRING_EXT`.
    pub(super) string: bool,
    /// The last element handed out is a container whose end is not known yet.
    pub(super) unwalked: bool,
}

impl<'a> ListIter<'a> {
    /// The tail, once every element was read: [`Term::Nil`] for a proper list. Before that,
    /// [`Term::Nil`] too.
    pub fn tail(&self) -> Term<'a> {
        if self.left > 0 || self.string {
            return Term::Nil;
        }
        let rest = if self.unwalked { self.rest.get(wire::skip(self.rest)..).unwrap_or(&[]) } else { self.rest };
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
}

impl<'a> Iterator for ListIter<'a> {
    type Item = Term<'a>;

    #[inline]
    fn next(&mut self) -> Option<Term<'a>> {
        loop {
            if self.unwalked {
                self.unwalked = false;
                self.rest = self.rest.get(wire::skip(self.rest)..).unwrap_or(&[]);
            }
            if self.left > 0 {
                self.left -= 1;
                if self.string {
                    let (&byte, rest) = self.rest.split_first()?;
                    self.rest = rest;
                    return Some(Term::Integer(i64::from(byte)));
                }
                if let Some((value, rest)) = wire::small_integer(self.rest) {
                    self.rest = rest;
                    return Some(Term::Integer(value));
                }
                let (term, end) = term_at(self.rest);
                match end {
                    End::At(len) => self.rest = self.rest.get(len..).unwrap_or(&[]),
                    End::Unknown => self.unwalked = true,
                }
                return Some(term);
            }
            if self.string {
                return None;
            }
            // The tail may continue the list.
            match wire::head_of(self.rest) {
                (Head::List(n), len) => {
                    self.left = n;
                    self.rest = self.rest.get(len..).unwrap_or(&[]);
                }
                (Head::String(bytes), len) => {
                    self.left = bytes.len() as u32;
                    self.rest = self.rest.get(len - bytes.len()..).unwrap_or(&[]);
                    self.string = true;
                }
                _ => return None,
            }
        }
    }
}

/// A map: its pairs in the order they were written, read lazily.
#[derive(Clone, Copy, Debug)]
pub struct Map<'a> {
    /// From the map's tag to the end of the input (to the map's end when `exact`).
    pub(super) raw: &'a [u8],
    pub(super) exact: bool,
    pub(super) body: u8,
    pub(super) pairs: u32,
}

impl<'a> Map<'a> {
    /// The number of pairs.
    pub fn len(&self) -> usize {
        self.pairs as usize
    }

    /// Whether the map is `#{}`.
    pub fn is_empty(&self) -> bool {
        self.pairs == 0
    }

    /// The pairs, in the order they were written (Erlang writes maps of up to 32 keys in
    /// key order, larger ones in its internal hash order).
    pub fn iter(&self) -> Pairs<'a> {
        Pairs { inner: Elements::new(self.raw.get(usize::from(self.body)..).unwrap_or(&[]), 2 * u64::from(self.pairs)) }
    }

    /// The value for a key that is an atom with this text.
    pub fn get_atom(&self, key: &str) -> Option<Term<'a>> {
        self.iter().find(|(k, _)| k.is_atom(key)).map(|(_, v)| v)
    }

    /// The value whose key is exactly equal (`=:=`) to `key`.
    pub fn get(&self, key: &Term<'_>) -> Option<Term<'a>> {
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
