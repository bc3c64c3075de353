//! Maps compared as Erlang compares them: keys in key order, then values in key order.

use super::*;

/// Where each key and value of a map starts.
type Pair<'a> = (&'a [u8], &'a [u8]);

/// Compares two maps of the same size (at least two pairs) as Erlang does: keys in key
/// order, then values in key order. Returns where each map ends; `None` when there is no
/// memory for their pairs (more than 32, without `alloc`).
#[allow(clippy::type_complexity)]
pub(super) fn compare_maps<'a, 'b, const STRICT: bool>(
    a: &'a [u8],
    b: &'b [u8],
    level: u32,
) -> Result<Option<(Ordering, &'a [u8], &'b [u8])>, DecodeError> {
    let mut pairs_a = PairList::new();
    let mut pairs_b = PairList::new();
    let (Some(end_a), Some(end_b)) = (pairs_a.collect(a), pairs_b.collect(b)) else { return Ok(None) };
    pairs_a.sort::<STRICT>(level)?;
    pairs_b.sort::<STRICT>(level)?;
    let (sa, sb) = (pairs_a.as_slice(), pairs_b.as_slice());
    for (x, y) in sa.iter().zip(sb) {
        let ordering = compare_at::<STRICT>(x.0, y.0, level)?.0;
        if ordering != Ordering::Equal {
            return Ok(Some((ordering, end_a, end_b)));
        }
    }
    for (x, y) in sa.iter().zip(sb) {
        let ordering = compare_at::<STRICT>(x.1, y.1, level)?.0;
        if ordering != Ordering::Equal {
            return Ok(Some((ordering, end_a, end_b)));
        }
    }
    Ok(Some((Ordering::Equal, end_a, end_b)))
}

/// The pairs of one map, inline up to 32.
pub(super) struct PairList<'a> {
    pairs: Stack<Pair<'a>, INLINE_PAIRS>,
}

impl<'a> PairList<'a> {
    fn new() -> Self {
        PairList { pairs: Stack::new() }
    }

    fn as_slice(&self) -> &[Pair<'a>] {
        self.pairs.as_slice()
    }

    /// Records where each key and value of the map at the start of `map` begins; returns
    /// where the map ends, or `None` when there is no room for its pairs.
    fn collect(&mut self, map: &'a [u8]) -> Option<&'a [u8]> {
        let (head, len) = wire::head_of(map);
        let Head::Map(n) = head else { return Some(map) };
        let mut at = map.get(len..).unwrap_or(&[]);
        for _ in 0..n {
            let value = at.get(wire::skip(at)..).unwrap_or(&[]);
            self.pairs.push((at, value)).ok()?;
            at = value.get(wire::skip(value)..).unwrap_or(&[]);
        }
        Some(at)
    }

    /// Puts the pairs in key order (already ordered ones, as Erlang writes small maps, cost
    /// one comparison a pair). Heapsort: O(n log n), no recursion.
    fn sort<const STRICT: bool>(&mut self, level: u32) -> Result<(), DecodeError> {
        let pairs = self.pairs.as_mut_slice();
        let mut ordered = true;
        for w in pairs.windows(2) {
            if compare_at::<STRICT>(w[0].0, w[1].0, level)?.0 != Ordering::Less {
                ordered = false;
                break;
            }
        }
        if ordered {
            return Ok(());
        }
        heapsort(pairs, |x, y| compare_at::<STRICT>(x.0, y.0, level).map(|r| r.0))
    }
}

/// In-place heapsort with a fallible comparison: O(n log n), no recursion, no allocation.
pub(crate) fn heapsort<T: Copy, E>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Result<Ordering, E>) -> Result<(), E> {
    let mut sift_down = |v: &mut [T], mut root: usize, end: usize| -> Result<(), E> {
        loop {
            let mut child = 2 * root + 1;
            if child >= end {
                return Ok(());
            }
            if child + 1 < end && cmp(&v[child], &v[child + 1])? == Ordering::Less {
                child += 1;
            }
            if cmp(&v[root], &v[child])? != Ordering::Less {
                return Ok(());
            }
            v.swap(root, child);
            root = child;
        }
    };
    let len = v.len();
    for start in (0..len / 2).rev() {
        sift_down(v, start, len)?;
    }
    for end in (1..len).rev() {
        v.swap(0, end);
        sift_down(v, 0, end)?;
    }
    Ok(())
}
