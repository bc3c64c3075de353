//! Erlang's exact term order over views: [`Term::exact_cmp`], on the byte comparison of
//! `validate::order`.

use crate::term::Term;
use crate::validate::order::{LIST_RANK, Number, cmp_bits, cmp_numbers, compare_at};
use crate::wire::Int;
use core::cmp::Ordering;

/// The rank of a view in Erlang's order (as `Key::rank`).
fn term_rank(term: &Term<'_>) -> u8 {
    match term {
        Term::Integer(_) | Term::BigInt(_) | Term::Float(_) => 0,
        Term::Atom(_) => 1,
        Term::Reference(_) => 2,
        Term::Fun(_) | Term::Export(_) => 3,
        Term::Port(_) => 4,
        Term::Pid(_) => 5,
        Term::Tuple(_) => 6,
        Term::Map(_) => 7,
        Term::Nil => 8,
        Term::List(_) => LIST_RANK,
        Term::Binary(_) | Term::BitBinary(_) => 10,
    }
}

/// Compares two views (see [`Term::exact_cmp`]).
pub(crate) fn compare_terms(a: &Term<'_>, b: &Term<'_>) -> Ordering {
    fn number<'t>(t: &Term<'t>) -> Option<Number<'t>> {
        match *t {
            Term::Integer(value) => Some(Number::Int(Int::Small(value))),
            Term::BigInt(big) => {
                Some(Number::Int(Int::Big { negative: big.is_negative(), magnitude: big.magnitude() }))
            }
            Term::Float(value) => Some(Number::Float(value)),
            _ => None,
        }
    }
    fn bits<'t>(t: &Term<'t>) -> Option<(&'t [u8], u8)> {
        match *t {
            Term::Binary(bytes) => Some((bytes, 8)),
            Term::BitBinary(bits) => Some((bits.bytes(), bits.bits_in_last_byte())),
            _ => None,
        }
    }
    let by_rank = term_rank(a).cmp(&term_rank(b));
    if by_rank != Ordering::Equal {
        return by_rank;
    }
    if let (Some(x), Some(y)) = (number(a), number(b)) {
        return cmp_numbers(&x, &y);
    }
    if let (Some((xa, la)), Some((xb, lb))) = (bits(a), bits(b)) {
        return cmp_bits(xa, la, xb, lb);
    }
    match (a, b) {
        (Term::Nil, Term::Nil) => Ordering::Equal,
        (Term::Atom(x), Term::Atom(y)) => x.text().cmp(&y.text()),
        // A lenient comparison has no error to give: where memory runs out it compares as
        // written, and only a strict one (of map keys, while decoding) fails.
        _ => match compare_at::<false>(a.raw(), b.raw(), 0) {
            Ok((ordering, _, _)) => ordering,
            Err(_) => Ordering::Equal,
        },
    }
}

impl Term<'_> {
    /// Compares two terms exactly as Erlang orders map keys: the standard term order, except
    /// that every integer sorts before every float (`1` and `1.0` differ) and `-0.0` before
    /// `0.0`; two encodings of one term are equal, and so are two maps holding the same pairs
    /// in different orders.
    ///
    /// Never fails, and uses a bounded amount of stack whatever the depth. Time is linear in
    /// the terms, apart from putting the pairs of compared maps in key order (n log n);
    /// tuples, maps, funs and lists nested in one another at any depth need no memory.
    ///
    /// Where its bounded memory runs out, it compares what is left as written (encoding by
    /// encoding) rather than fail or take more than that time:
    /// - Without the `alloc` feature: lists split into segments differently on the two sides
    ///   (a `LIST_EXT` whose tail is another list, which `term_to_binary` never writes),
    ///   nested more than 16 deep. From the point where a level it gave up is needed, the
    ///   terms left are compared one after another as written. Lists a VM writes never
    ///   need that: two lists of different lengths decide the comparison.
    /// - Maps of more than 32 pairs without `alloc`, and maps nested more than 4 deep in
    ///   maps being compared, are compared pair by pair as written. One VM writes two maps
    ///   with the same keys in the same order, so equal maps still compare equal; maps with
    ///   different keys may be ordered differently from Erlang.
    ///
    /// Decoding checks map keys strictly instead: it refuses (`NeedsAlloc`,
    /// `MapKeysTooDeep`) rather than compare as written.
    ///
    /// ```
    /// use core::cmp::Ordering;
    /// use erlport_codec::decode;
    ///
    /// // 1 written as SMALL_INTEGER_EXT and as INTEGER_EXT, then 1.0.
    /// let small = decode(&[131, 97, 1])?;
    /// let wide = decode(&[131, 98, 0, 0, 0, 1])?;
    /// let float = decode(&[131, 70, 63, 240, 0, 0, 0, 0, 0, 0])?;
    /// assert_eq!(small.exact_cmp(&wide), Ordering::Equal);
    /// assert_eq!(small.exact_cmp(&float), Ordering::Less);
    /// # Ok::<(), erlport_codec::DecodeError>(())
    /// ```
    pub fn exact_cmp(&self, other: &Term<'_>) -> core::cmp::Ordering {
        compare_terms(self, other)
    }
}
