//! The heads of terms being compared (`Key`) and the order of leaves of one rank: numbers,
//! atoms, bitstrings, funs, references.

use super::*;

impl AtomText<'_> {
    pub(crate) fn cmp(&self, other: &AtomText<'_>) -> Ordering {
        if self.utf8 == other.utf8 {
            // Latin-1 bytes are code points; UTF-8 bytes sort as their code points.
            return self.bytes.cmp(other.bytes);
        }
        self.chars().cmp(other.chars())
    }

    pub(crate) fn chars(&self) -> crate::wire::AtomChars<'_> {
        crate::wire::AtomChars::new(self.bytes, self.utf8)
    }
}

/// A number in the exact order: integers (small or big) before floats.
#[derive(Clone, Copy)]
pub(crate) enum Number<'a> {
    Int(Int<'a>),
    Float(f64),
}

pub(super) fn cmp_ints(a: &Int<'_>, b: &Int<'_>) -> Ordering {
    match (*a, *b) {
        (Int::Small(x), Int::Small(y)) => x.cmp(&y),
        (Int::Small(_), Int::Big { negative, .. }) => {
            if negative {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (Int::Big { negative, .. }, Int::Small(_)) => {
            if negative {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        (Int::Big { negative: na, magnitude: ma }, Int::Big { negative: nb, magnitude: mb }) => match (na, nb) {
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            _ => {
                let by_magnitude = ma.len().cmp(&mb.len()).then_with(|| ma.iter().rev().cmp(mb.iter().rev()));
                if na { by_magnitude.reverse() } else { by_magnitude }
            }
        },
    }
}

pub(crate) fn cmp_numbers(a: &Number<'_>, b: &Number<'_>) -> Ordering {
    match (a, b) {
        (Number::Int(x), Number::Int(y)) => cmp_ints(x, y),
        (Number::Float(x), Number::Float(y)) => x.total_cmp(y),
        (Number::Float(_), _) => Ordering::Greater,
        (_, Number::Float(_)) => Ordering::Less,
    }
}

/// Where a list continues: elements of a `LIST_EXT` segment (at the side's position), or
/// bytes of a `STRING_EXT` (at the side's position).
#[derive(Clone, Copy)]
pub(super) enum ListCursor {
    Cons { left: u32 },
    Str { left: u32 },
}

#[derive(Clone, Copy)]
pub(super) enum Frame {
    /// This many more term pairs to compare at the current positions.
    Seq(u64),
    List(ListCursor, ListCursor),
}

/// The head of a term, for comparing; the cursor is moved past the whole term for leaves,
/// past the header for containers.
pub(super) enum Key<'a> {
    Number(Number<'a>),
    Atom(AtomText<'a>),
    Reference { node: AtomText<'a>, creation: u32, words: &'a [u8] },
    Fun { module: AtomText<'a>, fields: (u8, [u8; 16], u32, u32), old: (Int<'a>, Int<'a>), free: u32 },
    Export { module: AtomText<'a>, function: AtomText<'a>, arity: Int<'a> },
    Port { node: AtomText<'a>, id: u64, creation: u32 },
    Pid { node: AtomText<'a>, id: u32, serial: u32, creation: u32 },
    Tuple(u32),
    Map(u32),
    Nil,
    List(ListCursor),
    Bits { bytes: &'a [u8], last_bits: u8 },
}

impl Key<'_> {
    pub(super) fn rank(&self) -> u8 {
        match self {
            Key::Number(_) => 0,
            Key::Atom(_) => 1,
            Key::Reference { .. } => 2,
            Key::Fun { .. } | Key::Export { .. } => 3,
            Key::Port { .. } => 4,
            Key::Pid { .. } => 5,
            Key::Tuple(_) => 6,
            Key::Map(_) => 7,
            Key::Nil => 8,
            Key::List(_) => 9,
            Key::Bits { .. } => 10,
        }
    }
}

pub(crate) const LIST_RANK: u8 = 9;

#[inline]
pub(super) fn advance(cursor: &mut &[u8], by: usize) {
    *cursor = cursor.get(by..).unwrap_or(&[]);
}

pub(super) fn key<'a>(cursor: &mut &'a [u8]) -> Key<'a> {
    loop {
        let at = *cursor;
        let (head, len) = wire::head_of(at);
        advance(cursor, len);
        return match head {
            Head::Int(value) => Key::Number(Number::Int(value)),
            Head::Float(value) => Key::Number(Number::Float(value)),
            Head::FloatText(text) => Key::Number(Number::Float(float_text_value(text))),
            Head::Atom(text) => Key::Atom(text),
            Head::Reference(raw) => {
                let f = wire::fields(wire::reference, raw);
                Key::Reference { node: f.node, creation: f.creation, words: f.words }
            }
            Head::Fun { header, .. } => {
                let f = wire::fields(wire::fun, header);
                Key::Fun {
                    module: f.module,
                    fields: (f.arity, f.uniq, f.index, f.free),
                    old: (f.old_index, f.old_uniq),
                    free: f.free,
                }
            }
            Head::Export(raw) => {
                let f = wire::fields(wire::export, raw);
                Key::Export { module: f.module, function: f.function, arity: f.arity }
            }
            Head::Port(raw) => {
                let f = wire::fields(wire::port, raw);
                Key::Port { node: f.node, id: f.id, creation: f.creation }
            }
            Head::Pid(raw) => {
                let f = wire::fields(wire::pid, raw);
                Key::Pid { node: f.node, id: f.id, serial: f.serial, creation: f.creation }
            }
            Head::Tuple(n) => Key::Tuple(n),
            Head::Map(n) => Key::Map(n),
            Head::Nil => Key::Nil,
            Head::String([]) => Key::Nil,
            Head::String(bytes) => {
                // Back to the first byte: the cursor reads the string's bytes one by one.
                *cursor = at.get(len - bytes.len()..).unwrap_or(&[]);
                Key::List(ListCursor::Str { left: bytes.len() as u32 })
            }
            // `[] ++ Tail`: the term is its tail.
            Head::List(0) => continue,
            Head::List(n) => Key::List(ListCursor::Cons { left: n }),
            Head::Bits { bytes, bits } => Key::Bits { bytes, last_bits: bits },
        };
    }
}

/// The head of the term at the start of `at`, without moving a cursor.
pub(super) fn peek(at: &[u8]) -> Key<'_> {
    let mut cursor = at;
    key(&mut cursor)
}

pub(crate) fn cmp_bits(a: &[u8], a_last: u8, b: &[u8], b_last: u8) -> Ordering {
    let bits = |bytes: &[u8], last: u8| -> u64 {
        match bytes.len() {
            0 => 0,
            n => (n as u64 - 1) * 8 + u64::from(last.clamp(1, 8)),
        }
    };
    let (na, nb) = (bits(a, a_last), bits(b, b_last));
    let common = na.min(nb);
    let full = (common / 8) as usize;
    let by_bytes = a.get(..full).cmp(&b.get(..full));
    if by_bytes != Ordering::Equal {
        return by_bytes;
    }
    let rest = (common % 8) as u32;
    if rest > 0 {
        let mask = !(0xffu8 >> rest);
        let byte = |s: &[u8]| s.get(full).copied().unwrap_or(0) & mask;
        let ordering = byte(a).cmp(&byte(b));
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    na.cmp(&nb)
}

/// The order ERTS gives two 32-bit fields of funs: the sign of `a - b` in 32 bits.
pub(super) fn diff32(a: u32, b: u32) -> Ordering {
    (a.wrapping_sub(b) as i32).cmp(&0)
}

/// The low 32 bits of a fun's old uniq (ERTS keeps no more).
pub(super) fn low32(value: &Int<'_>) -> u32 {
    match value {
        Int::Small(v) => *v as u32,
        Int::Big { .. } => 0,
    }
}

/// A reference's words (big-endian `u32`s, as written), compared as ERTS compares them: the
/// last (most significant) first.
pub(super) fn cmp_ref_words(a: &[u8], b: &[u8]) -> Ordering {
    let word = |c: &[u8]| u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
    a.rchunks_exact(4).map(word).cmp(b.rchunks_exact(4).map(word))
}

/// Compares two leaves or container headers of the same rank. `Equal` with containers means
/// "same shape so far"; the caller continues with their contents.
pub(super) fn cmp_same_rank(a: &Key<'_>, b: &Key<'_>) -> Ordering {
    match (a, b) {
        (Key::Number(x), Key::Number(y)) => cmp_numbers(x, y),
        (Key::Atom(x), Key::Atom(y)) => x.cmp(y),
        (
            Key::Reference { node: na, creation: ca, words: wa },
            Key::Reference { node: nb, creation: cb, words: wb },
        ) => na.cmp(nb).then(ca.cmp(cb)).then_with(|| wa.len().cmp(&wb.len())).then_with(|| cmp_ref_words(wa, wb)),
        (Key::Fun { .. }, Key::Export { .. }) => Ordering::Less,
        (Key::Export { .. }, Key::Fun { .. }) => Ordering::Greater,
        // As ERTS 25 does: module, index, old uniq, number of free variables (then the free
        // variables); the arity, the MD5, the old index and the creator pid are not compared,
        // so funs that differ only there are equal (and duplicate map keys).
        // The index and old uniq by the sign of their difference in 32 bits, as ERTS 25
        // computes it (so an index of 0xE268AFDE sorts before 0).
        (Key::Fun { module: ma, fields: fa, old: oa, .. }, Key::Fun { module: mb, fields: fb, old: ob, .. }) => {
            ma.cmp(mb).then(diff32(fa.2, fb.2)).then(diff32(low32(&oa.1), low32(&ob.1))).then(fa.3.cmp(&fb.3))
        }
        (Key::Export { module: ma, function: fa, arity: aa }, Key::Export { module: mb, function: fb, arity: ab }) => {
            ma.cmp(mb).then_with(|| fa.cmp(fb)).then_with(|| cmp_ints(aa, ab))
        }
        // As ERTS 25 orders them: ports by node (name, then creation), then number; pids by
        // serial, then number, then node.
        (Key::Port { node: na, id: ia, creation: ca }, Key::Port { node: nb, id: ib, creation: cb }) => {
            na.cmp(nb).then(ca.cmp(cb)).then(ia.cmp(ib))
        }
        (
            Key::Pid { node: na, id: ia, serial: sa, creation: ca },
            Key::Pid { node: nb, id: ib, serial: sb, creation: cb },
        ) => sa.cmp(sb).then(ia.cmp(ib)).then(na.cmp(nb)).then(ca.cmp(cb)),
        (Key::Tuple(x), Key::Tuple(y)) | (Key::Map(x), Key::Map(y)) => x.cmp(y),
        (Key::Bits { bytes: ba, last_bits: la }, Key::Bits { bytes: bb, last_bits: lb }) => cmp_bits(ba, *la, bb, *lb),
        _ => Ordering::Equal,
    }
}
