//! Exact comparison of two validated terms, as Erlang compares map keys (`=:=` and the
//! exact term order), without recursion.
//!
//! The order is Erlang's: numbers < atoms < references < funs < ports < pids < tuples < maps <
//! `[]` < lists < bitstrings; in the exact order used for map keys every integer sorts before
//! every float, and `-0.0` before `0.0` (OTP 27's rule: they are two keys). Two encodings of one
//! term compare equal: atoms in latin-1 or UTF-8, integers in any width, `STRING_EXT` and
//! `LIST_EXT` lists however split, `FLOAT_EXT` and `NEW_FLOAT_EXT`, old and new pid, port and
//! reference forms, bit binaries with 8 bits and binaries, unused low bits.
//!
//! One documented simplification: a map that appears *inside* a map key is compared pair by
//! pair in its encoded order, so two encodings of one inner map whose pairs are written in
//! different orders count as different keys. Erlang writes every map of one VM in one order,
//! so this only matters for hand-made input.
//!
//! Memory: a stack of one frame per container nested inside a key (containers in last
//! position need none), kept inline up to 32 frames, beyond that on the heap with the `alloc`
//! feature, or [`DecodeErrorKind::NeedsAlloc`] without it.

use crate::bytes::{big_to_i64, skip_atom, slice_at, strip_high_zeros, u8_at, u16_at, u32_at, u64_at};
use crate::error::{DecodeError, DecodeErrorKind};
use crate::stack::Stack;
use crate::tag::Tag;
use crate::term::Term;
use core::cmp::Ordering;

const INLINE_FRAMES: usize = 32;

/// An atom's text as stored: latin-1 bytes or UTF-8 bytes.
#[derive(Clone, Copy)]
pub(crate) struct AtomText<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) utf8: bool,
}

impl AtomText<'_> {
    pub(crate) fn cmp(&self, other: &AtomText<'_>) -> Ordering {
        if self.utf8 == other.utf8 {
            // Latin-1 bytes are code points; UTF-8 bytes sort as their code points.
            return self.bytes.cmp(other.bytes);
        }
        self.chars().cmp(other.chars())
    }

    pub(crate) fn chars(&self) -> crate::term::AtomChars<'_> {
        crate::term::AtomChars::new(self.bytes, self.utf8)
    }
}

/// Reads the atom term at `pos`.
pub(crate) fn atom_at(buf: &[u8], pos: usize) -> AtomText<'_> {
    match Tag::from_byte(u8_at(buf, pos)) {
        Tag::Atom => AtomText { bytes: slice_at(buf, pos + 3, u16_at(buf, pos + 1) as usize), utf8: false },
        Tag::AtomUtf8 => AtomText { bytes: slice_at(buf, pos + 3, u16_at(buf, pos + 1) as usize), utf8: true },
        Tag::SmallAtom => AtomText { bytes: slice_at(buf, pos + 2, u8_at(buf, pos + 1) as usize), utf8: false },
        _ => AtomText { bytes: slice_at(buf, pos + 2, u8_at(buf, pos + 1) as usize), utf8: true },
    }
}

/// A number in the exact order: integers (small or big) before floats.
#[derive(Clone, Copy)]
enum Number<'a> {
    Int(i64),
    /// Does not fit an `i64`; magnitude little-endian without high zero bytes.
    Big {
        negative: bool,
        magnitude: &'a [u8],
    },
    Float(f64),
}

fn cmp_numbers(a: &Number<'_>, b: &Number<'_>) -> Ordering {
    use Number::*;
    match (*a, *b) {
        (Int(x), Int(y)) => x.cmp(&y),
        (Float(x), Float(y)) => x.total_cmp(&y),
        (Float(_), _) => Ordering::Greater,
        (_, Float(_)) => Ordering::Less,
        (Int(_), Big { negative, .. }) => {
            if negative {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (Big { negative, .. }, Int(_)) => {
            if negative {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        (Big { negative: na, magnitude: ma }, Big { negative: nb, magnitude: mb }) => match (na, nb) {
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            _ => {
                let by_magnitude = ma.len().cmp(&mb.len()).then_with(|| ma.iter().rev().cmp(mb.iter().rev()));
                if na { by_magnitude.reverse() } else { by_magnitude }
            }
        },
    }
}

/// The integer written at `pos` (any integer tag), and where it ends.
pub(crate) fn integer_at(buf: &[u8], pos: usize) -> (Option<i64>, bool, &[u8], usize) {
    match Tag::from_byte(u8_at(buf, pos)) {
        Tag::SmallInteger => (Some(i64::from(u8_at(buf, pos + 1))), false, &[], pos + 2),
        Tag::Integer => (Some(i64::from(u32_at(buf, pos + 1) as i32)), false, &[], pos + 5),
        Tag::SmallBig => {
            let n = u8_at(buf, pos + 1) as usize;
            let negative = u8_at(buf, pos + 2) != 0;
            let magnitude = strip_high_zeros(slice_at(buf, pos + 3, n));
            (big_to_i64(negative, magnitude), negative, magnitude, pos + 3 + n)
        }
        _ => {
            let n = u32_at(buf, pos + 1) as usize;
            let negative = u8_at(buf, pos + 5) != 0;
            let magnitude = strip_high_zeros(slice_at(buf, pos + 6, n));
            (big_to_i64(negative, magnitude), negative, magnitude, pos + 6 + n)
        }
    }
}

/// The value of a `FLOAT_EXT` field that validation accepted.
pub(crate) fn float_text_value(field: &[u8]) -> f64 {
    crate::validate::parse_float_text(field).unwrap_or(0.0)
}

/// Where a list continues: elements of a `LIST_EXT` segment (at the side's position), or
/// bytes of a `STRING_EXT`.
#[derive(Clone, Copy)]
enum ListCursor {
    Cons { left: u32 },
    Str { at: usize, left: u32 },
}

#[derive(Clone, Copy)]
enum Frame {
    /// This many more term pairs to compare at the current positions.
    Seq(u64),
    List(ListCursor, ListCursor),
}

/// The head of a term, with the position advanced past it (past the whole term for leaves,
/// past the header for containers).
enum Head<'a> {
    Number(Number<'a>),
    Atom(AtomText<'a>),
    Reference { node: AtomText<'a>, creation: u32, words: &'a [u8] },
    Fun { header: &'a [u8], module: AtomText<'a>, free: u32 },
    Export { module: AtomText<'a>, function: AtomText<'a>, arity: i64 },
    Port { node: AtomText<'a>, id: u64, creation: u32 },
    Pid { node: AtomText<'a>, id: u32, serial: u32, creation: u32 },
    Tuple(u32),
    Map(u32),
    Nil,
    List(ListCursor),
    Bits { bytes: &'a [u8], last_bits: u8 },
}

impl Head<'_> {
    fn rank(&self) -> u8 {
        match self {
            Head::Number(_) => 0,
            Head::Atom(_) => 1,
            Head::Reference { .. } => 2,
            Head::Fun { .. } | Head::Export { .. } => 3,
            Head::Port { .. } => 4,
            Head::Pid { .. } => 5,
            Head::Tuple(_) => 6,
            Head::Map(_) => 7,
            Head::Nil => 8,
            Head::List(_) => 9,
            Head::Bits { .. } => 10,
        }
    }
}

const LIST_RANK: u8 = 9;

fn head<'a>(buf: &'a [u8], pos: &mut usize) -> Head<'a> {
    loop {
        let p = *pos;
        let tag = Tag::from_byte(u8_at(buf, p));
        let head = match tag {
            Tag::SmallInteger | Tag::Integer | Tag::SmallBig | Tag::LargeBig => {
                let (small, negative, magnitude, end) = integer_at(buf, p);
                *pos = end;
                Head::Number(match small {
                    Some(value) => Number::Int(value),
                    None => Number::Big { negative, magnitude },
                })
            }
            Tag::NewFloat => {
                *pos = p + 9;
                Head::Number(Number::Float(f64::from_bits(u64_at(buf, p + 1))))
            }
            Tag::Float => {
                *pos = p + 32;
                Head::Number(Number::Float(float_text_value(slice_at(buf, p + 1, 31))))
            }
            Tag::Atom | Tag::AtomUtf8 | Tag::SmallAtom | Tag::SmallAtomUtf8 => {
                *pos = skip_atom(buf, p);
                Head::Atom(atom_at(buf, p))
            }
            Tag::NewerReference | Tag::NewReference => {
                let words = u16_at(buf, p + 1) as usize;
                let node = atom_at(buf, p + 3);
                let after = skip_atom(buf, p + 3);
                let (creation, width) = if tag == Tag::NewerReference {
                    (u32_at(buf, after), 4)
                } else {
                    (u32::from(u8_at(buf, after)), 1)
                };
                *pos = after + width + 4 * words;
                Head::Reference { node, creation, words: slice_at(buf, after + width, 4 * words) }
            }
            Tag::Reference => {
                let node = atom_at(buf, p + 1);
                let after = skip_atom(buf, p + 1);
                *pos = after + 5;
                Head::Reference { node, creation: u32::from(u8_at(buf, after + 4)), words: slice_at(buf, after, 4) }
            }
            Tag::NewFun => {
                let free = u32_at(buf, p + 26);
                let module = atom_at(buf, p + 30);
                *pos = skip_atom(buf, p + 30);
                // Compared: arity, uniq, index and free count (the size field is ignored).
                Head::Fun { header: slice_at(buf, p + 5, 25), module, free }
            }
            Tag::Export => {
                let module = atom_at(buf, p + 1);
                let after = skip_atom(buf, p + 1);
                let function = atom_at(buf, after);
                // The arity is an integer term after the two atoms.
                let (arity, _, _, end) = integer_at(buf, skip_atom(buf, after));
                *pos = end;
                Head::Export { module, function, arity: arity.unwrap_or(0) }
            }
            Tag::NewPort | Tag::V4Port | Tag::Port => {
                let node = atom_at(buf, p + 1);
                let after = skip_atom(buf, p + 1);
                let (id, creation, end) = match tag {
                    Tag::NewPort => (u64::from(u32_at(buf, after)), u32_at(buf, after + 4), after + 8),
                    Tag::V4Port => (u64_at(buf, after), u32_at(buf, after + 8), after + 12),
                    _ => (u64::from(u32_at(buf, after)), u32::from(u8_at(buf, after + 4)), after + 5),
                };
                *pos = end;
                Head::Port { node, id, creation }
            }
            Tag::NewPid | Tag::Pid => {
                let node = atom_at(buf, p + 1);
                let after = skip_atom(buf, p + 1);
                let creation = if tag == Tag::NewPid {
                    *pos = after + 12;
                    u32_at(buf, after + 8)
                } else {
                    *pos = after + 9;
                    u32::from(u8_at(buf, after + 8))
                };
                Head::Pid { node, id: u32_at(buf, after), serial: u32_at(buf, after + 4), creation }
            }
            Tag::SmallTuple => {
                *pos = p + 2;
                Head::Tuple(u32::from(u8_at(buf, p + 1)))
            }
            Tag::LargeTuple => {
                *pos = p + 5;
                Head::Tuple(u32_at(buf, p + 1))
            }
            Tag::Map => {
                *pos = p + 5;
                Head::Map(u32_at(buf, p + 1))
            }
            Tag::Nil => {
                *pos = p + 1;
                Head::Nil
            }
            Tag::String => {
                let len = u16_at(buf, p + 1);
                *pos = p + 3 + len as usize;
                if len == 0 { Head::Nil } else { Head::List(ListCursor::Str { at: p + 3, left: u32::from(len) }) }
            }
            Tag::List => {
                let len = u32_at(buf, p + 1);
                *pos = p + 5;
                if len == 0 {
                    // `[] ++ Tail`: the term is its tail.
                    continue;
                }
                Head::List(ListCursor::Cons { left: len })
            }
            Tag::Binary => {
                let len = u32_at(buf, p + 1) as usize;
                *pos = p + 5 + len;
                Head::Bits { bytes: slice_at(buf, p + 5, len), last_bits: 8 }
            }
            Tag::BitBinary => {
                let len = u32_at(buf, p + 1) as usize;
                *pos = p + 6 + len;
                Head::Bits { bytes: slice_at(buf, p + 6, len), last_bits: u8_at(buf, p + 5) }
            }
            // Not reachable on validated bytes.
            _ => {
                *pos = buf.len();
                Head::Nil
            }
        };
        return head;
    }
}

fn cmp_bits(a: &[u8], a_last: u8, b: &[u8], b_last: u8) -> Ordering {
    let bits = |bytes: &[u8], last: u8| -> u64 {
        match bytes.len() {
            0 => 0,
            n => (n as u64 - 1) * 8 + u64::from(last.clamp(1, 8)),
        }
    };
    let (na, nb) = (bits(a, a_last), bits(b, b_last));
    let common = na.min(nb);
    let full = (common / 8) as usize;
    let by_bytes = slice_at(a, 0, full).cmp(slice_at(b, 0, full));
    if by_bytes != Ordering::Equal {
        return by_bytes;
    }
    let rest = (common % 8) as u32;
    if rest > 0 {
        let mask = !(0xffu8 >> rest);
        let ordering = (u8_at(a, full) & mask).cmp(&(u8_at(b, full) & mask));
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    na.cmp(&nb)
}

/// Compares two leaves or container headers of the same rank. `Equal` with containers means
/// "same shape so far"; the caller continues with their contents.
fn cmp_same_rank(a: &Head<'_>, b: &Head<'_>) -> Ordering {
    match (a, b) {
        (Head::Number(x), Head::Number(y)) => cmp_numbers(x, y),
        (Head::Atom(x), Head::Atom(y)) => x.cmp(y),
        (
            Head::Reference { node: na, creation: ca, words: wa },
            Head::Reference { node: nb, creation: cb, words: wb },
        ) => na.cmp(nb).then(ca.cmp(cb)).then_with(|| wa.len().cmp(&wb.len())).then_with(|| wa.cmp(wb)),
        (Head::Fun { .. }, Head::Export { .. }) => Ordering::Less,
        (Head::Export { .. }, Head::Fun { .. }) => Ordering::Greater,
        (Head::Fun { header: ha, module: ma, free: fa }, Head::Fun { header: hb, module: mb, free: fb }) => {
            ma.cmp(mb).then_with(|| ha.cmp(hb)).then(fa.cmp(fb))
        }
        (
            Head::Export { module: ma, function: fa, arity: aa },
            Head::Export { module: mb, function: fb, arity: ab },
        ) => ma.cmp(mb).then_with(|| fa.cmp(fb)).then(aa.cmp(ab)),
        (Head::Port { node: na, id: ia, creation: ca }, Head::Port { node: nb, id: ib, creation: cb }) => {
            na.cmp(nb).then(ia.cmp(ib)).then(ca.cmp(cb))
        }
        (
            Head::Pid { node: na, id: ia, serial: sa, creation: ca },
            Head::Pid { node: nb, id: ib, serial: sb, creation: cb },
        ) => na.cmp(nb).then(ia.cmp(ib)).then(sa.cmp(sb)).then(ca.cmp(cb)),
        (Head::Tuple(x), Head::Tuple(y)) | (Head::Map(x), Head::Map(y)) => x.cmp(y),
        (Head::Bits { bytes: ba, last_bits: la }, Head::Bits { bytes: bb, last_bits: lb }) => {
            cmp_bits(ba, *la, bb, *lb)
        }
        _ => Ordering::Equal,
    }
}

/// The next item of a list being compared.
#[derive(Clone, Copy)]
enum Item {
    /// A byte of a `STRING_EXT`: a small integer.
    Byte(u8),
    /// An element term at the side's position.
    Term,
    /// The list ended properly.
    End,
    /// The list ended with an improper tail at the side's position.
    Tail,
}

fn next_item(buf: &[u8], pos: &mut usize, cursor: &mut ListCursor) -> Item {
    loop {
        match cursor {
            ListCursor::Str { at, left } => {
                if *left == 0 {
                    return Item::End;
                }
                let byte = u8_at(buf, *at);
                *at += 1;
                *left -= 1;
                return Item::Byte(byte);
            }
            ListCursor::Cons { left } if *left > 0 => {
                *left -= 1;
                return Item::Term;
            }
            ListCursor::Cons { .. } => {
                // The tail: another list continues this one.
                let p = *pos;
                match Tag::from_byte(u8_at(buf, p)) {
                    Tag::Nil => {
                        *pos = p + 1;
                        return Item::End;
                    }
                    Tag::List => {
                        *pos = p + 5;
                        *cursor = ListCursor::Cons { left: u32_at(buf, p + 1) };
                    }
                    Tag::String => {
                        let len = u16_at(buf, p + 1);
                        *pos = p + 3 + len as usize;
                        *cursor = ListCursor::Str { at: p + 3, left: u32::from(len) };
                    }
                    _ => return Item::Tail,
                }
            }
        }
    }
}

/// Compares the validated term at `a[pa..]` with the one at `b[pb..]`.
pub(crate) fn compare(a: &[u8], mut pa: usize, b: &[u8], mut pb: usize) -> Result<Ordering, DecodeError> {
    let mut stack = Stack::<Frame, INLINE_FRAMES>::new();
    let overflow = |at: usize| DecodeError::new(DecodeErrorKind::NeedsAlloc, at, None);
    'pair: loop {
        let ha = head(a, &mut pa);
        let hb = head(b, &mut pb);
        let by_rank = ha.rank().cmp(&hb.rank());
        if by_rank != Ordering::Equal {
            return Ok(by_rank);
        }
        let same = cmp_same_rank(&ha, &hb);
        if same != Ordering::Equal {
            return Ok(same);
        }
        match (ha, hb) {
            (Head::Tuple(n), _) if n > 0 => stack.push(Frame::Seq(u64::from(n))).map_err(|_| overflow(pa))?,
            (Head::Map(n), _) if n > 0 => stack.push(Frame::Seq(2 * u64::from(n))).map_err(|_| overflow(pa))?,
            (Head::Fun { free, .. }, _) => {
                // old index, old uniq, pid, free variables
                stack.push(Frame::Seq(3 + u64::from(free))).map_err(|_| overflow(pa))?
            }
            (Head::List(ca), Head::List(cb)) => stack.push(Frame::List(ca, cb)).map_err(|_| overflow(pa))?,
            _ => {}
        }
        // Resume the innermost unfinished container.
        loop {
            match stack.last_mut() {
                None => return Ok(Ordering::Equal),
                Some(Frame::Seq(left)) => {
                    *left -= 1;
                    if *left == 0 {
                        // The last element: nothing to come back to.
                        stack.pop();
                    }
                    continue 'pair;
                }
                Some(Frame::List(ca, cb)) => {
                    let ia = next_item(a, &mut pa, ca);
                    let ib = next_item(b, &mut pb, cb);
                    match (ia, ib) {
                        (Item::End, Item::End) => {
                            stack.pop();
                        }
                        (Item::End, _) => {
                            return Ok(match ib {
                                // [] against a tail term: by rank ([] is rank 8).
                                Item::Tail => 8.cmp(&head(b, &mut pb).rank()),
                                _ => Ordering::Less,
                            });
                        }
                        (_, Item::End) => {
                            return Ok(match ia {
                                Item::Tail => head(a, &mut pa).rank().cmp(&8),
                                _ => Ordering::Greater,
                            });
                        }
                        (Item::Tail, Item::Tail) => {
                            stack.pop();
                            continue 'pair;
                        }
                        (Item::Tail, _) => return Ok(head(a, &mut pa).rank().cmp(&LIST_RANK)),
                        (_, Item::Tail) => return Ok(LIST_RANK.cmp(&head(b, &mut pb).rank())),
                        (Item::Byte(x), Item::Byte(y)) => {
                            if x != y {
                                return Ok(x.cmp(&y));
                            }
                        }
                        (Item::Byte(x), Item::Term) => {
                            let hb = head(b, &mut pb);
                            let ha = Head::Number(Number::Int(i64::from(x)));
                            let ordering = ha.rank().cmp(&hb.rank()).then_with(|| cmp_same_rank(&ha, &hb));
                            if ordering != Ordering::Equal {
                                return Ok(ordering);
                            }
                        }
                        (Item::Term, Item::Byte(y)) => {
                            let ha = head(a, &mut pa);
                            let hb = Head::Number(Number::Int(i64::from(y)));
                            let ordering = ha.rank().cmp(&hb.rank()).then_with(|| cmp_same_rank(&ha, &hb));
                            if ordering != Ordering::Equal {
                                return Ok(ordering);
                            }
                        }
                        (Item::Term, Item::Term) => continue 'pair,
                    }
                }
            }
        }
    }
}

/// The rank of a decoded term in Erlang's order (as `Head::rank`).
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

/// Compares two views exactly (see the module documentation).
pub(crate) fn compare_terms(a: &Term<'_>, b: &Term<'_>) -> Result<Ordering, DecodeError> {
    fn number<'t>(t: &Term<'t>) -> Option<Number<'t>> {
        match *t {
            Term::Integer(value) => Some(Number::Int(value)),
            Term::BigInt(big) => Some(Number::Big { negative: big.is_negative(), magnitude: big.magnitude() }),
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
        return Ok(by_rank);
    }
    if let (Some(x), Some(y)) = (number(a), number(b)) {
        return Ok(cmp_numbers(&x, &y));
    }
    if let (Some((xa, la)), Some((xb, lb))) = (bits(a), bits(b)) {
        return Ok(cmp_bits(xa, la, xb, lb));
    }
    match (a, b) {
        (Term::Nil, Term::Nil) => Ok(Ordering::Equal),
        (Term::Atom(x), Term::Atom(y)) => Ok(x.chars().cmp(y.chars())),
        _ => compare(a.raw(), 0, b.raw(), 0),
    }
}
