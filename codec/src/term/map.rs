//! Maps: a map's view, its lookups and its pairs.

use super::containers::Src;
use super::*;

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
    #[inline]
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
