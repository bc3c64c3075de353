//! Exact comparison of two validated terms, as Erlang compares map keys (`=:=` and the
//! exact term order), with bounded stack.
//!
//! The order is Erlang's: numbers < atoms < references < funs < ports < pids < tuples < maps <
//! `[]` < lists < bitstrings; in the exact order used for map keys every integer sorts before
//! every float, and `-0.0` before `0.0` (OTP 27's rule: they are two keys). Two encodings of one
//! term compare equal: atoms in latin-1 or UTF-8, integers in any width, `STRING_EXT` and
//! `LIST_EXT` lists however split, `FLOAT_EXT` and `NEW_FLOAT_EXT`, old and new pid, port and
//! reference forms, bit binaries with 8 bits and binaries, unused low bits.
//!
//! Maps compare as in Erlang: by size, then their keys in key order, then their values in key
//! order, whatever order their pairs were written in. Putting a map's pairs in key order needs
//! one slot per pair: inline up to 32 pairs, on the heap beyond with `alloc`. Maps nested
//! inside maps being compared are put in order up to `MAX_MAP_LEVELS` levels deep. Beyond
//! either limit, comparing map keys (strict: finding duplicates) fails (`NeedsAlloc`,
//! `MapKeysTooDeep`), because comparing as written could call two encodings of one map
//! different and so accept a duplicate key ERTS refuses; comparing views (lenient:
//! `Term::exact_cmp`) compares such maps pair by pair as written, which is right whenever
//! both were written in the same order, as one VM writes them.
//!
//! Memory: pairs of terms still to compare are one count, whatever tuples, maps and funs they
//! are in; a frame is needed only for two lists of different lengths (or split differently)
//! with more to compare after them: inline up to 32, on the heap beyond with `alloc`. Without
//! it the oldest frames are given up (see `Frames`): two lists of different lengths always
//! decide the comparison, so nothing under them is needed again, unless a list is split into
//! segments (hand-made input). Needing a frame given up is `NeedsAlloc` when comparing map
//! keys; comparing views, what is left of the two terms is then compared as written, term
//! after term (still linear, never failing).

use crate::error::{DecodeError, DecodeErrorKind};
use crate::stack::Stack;
use crate::wire::float_text_value;
use crate::wire::{self, AtomText, Head, Int};
use core::cmp::Ordering;

/// Frames kept inline: 16 without `alloc` (a stack budget of 2 KiB for decoding on a
/// Cortex-M; beyond, the oldest are given up, see `Frames`), 32 with it (then the heap).
#[cfg(not(feature = "alloc"))]
const INLINE_FRAMES: usize = 16;
#[cfg(feature = "alloc")]
const INLINE_FRAMES: usize = 32;
const INLINE_PAIRS: usize = 32;
/// How many levels of maps inside compared maps are put in key order.
const MAX_MAP_LEVELS: u32 = 4;

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

fn cmp_ints(a: &Int<'_>, b: &Int<'_>) -> Ordering {
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
enum ListCursor {
    Cons { left: u32 },
    Str { left: u32 },
}

#[derive(Clone, Copy)]
enum Frame {
    /// This many more term pairs to compare at the current positions.
    Seq(u64),
    List(ListCursor, ListCursor),
}

/// The head of a term, for comparing; the cursor is moved past the whole term for leaves,
/// past the header for containers.
enum Key<'a> {
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
    fn rank(&self) -> u8 {
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
fn advance(cursor: &mut &[u8], by: usize) {
    *cursor = cursor.get(by..).unwrap_or(&[]);
}

fn key<'a>(cursor: &mut &'a [u8]) -> Key<'a> {
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
fn peek(at: &[u8]) -> Key<'_> {
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
fn diff32(a: u32, b: u32) -> Ordering {
    (a.wrapping_sub(b) as i32).cmp(&0)
}

/// The low 32 bits of a fun's old uniq (ERTS keeps no more).
fn low32(value: &Int<'_>) -> u32 {
    match value {
        Int::Small(v) => *v as u32,
        Int::Big { .. } => 0,
    }
}

/// A reference's words (big-endian `u32`s, as written), compared as ERTS compares them: the
/// last (most significant) first.
fn cmp_ref_words(a: &[u8], b: &[u8]) -> Ordering {
    let word = |c: &[u8]| u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
    a.rchunks_exact(4).map(word).cmp(b.rchunks_exact(4).map(word))
}

/// Compares two leaves or container headers of the same rank. `Equal` with containers means
/// "same shape so far"; the caller continues with their contents.
fn cmp_same_rank(a: &Key<'_>, b: &Key<'_>) -> Ordering {
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

fn next_item(pos: &mut &[u8], cursor: &mut ListCursor) -> Item {
    loop {
        match cursor {
            ListCursor::Str { left } => {
                if *left == 0 {
                    return Item::End;
                }
                let Some((&byte, rest)) = pos.split_first() else { return Item::End };
                *pos = rest;
                *left -= 1;
                return Item::Byte(byte);
            }
            ListCursor::Cons { left } if *left > 0 => {
                *left -= 1;
                return Item::Term;
            }
            ListCursor::Cons { .. } => {
                // The tail: another list continues this one.
                let at = *pos;
                match wire::head_of(at) {
                    (Head::Nil, len) => {
                        advance(pos, len);
                        return Item::End;
                    }
                    (Head::List(n), len) => {
                        advance(pos, len);
                        *cursor = ListCursor::Cons { left: n };
                    }
                    (Head::String(bytes), len) => {
                        advance(pos, len - bytes.len());
                        *cursor = ListCursor::Str { left: bytes.len() as u32 };
                    }
                    _ => return Item::Tail,
                }
            }
        }
    }
}

/// Compares the validated terms at the start of `a` and `b`.
pub(crate) fn compare(a: &[u8], b: &[u8]) -> Result<Ordering, DecodeError> {
    compare_at::<true>(a, b, 0).map(|(ordering, _, _)| ordering)
}

/// Compares the validated terms at the start of `a` and `b`; when equal, also says where each
/// ends (for a map being put in key order). `STRICT` (map keys, while decoding): fails where
/// memory runs out. Otherwise (views) the rest is compared as written there, and it never
/// fails; decoding's code holds only the strict copy.
pub(crate) fn compare_at<'a, 'b, const STRICT: bool>(
    mut pa: &'a [u8],
    mut pb: &'b [u8],
    level: u32,
) -> Result<(Ordering, &'a [u8], &'b [u8]), DecodeError> {
    let mut stack = Frames::new();
    let overflow = || DecodeError::new(DecodeErrorKind::NeedsAlloc, 0, None);
    let (root_a, root_b) = (pa, pb);
    // Lenient, once a frame given up is needed: how many bytes follow each whole term. The
    // terms left inside them are then compared one after another as written (see below).
    let mut as_written: Option<(usize, usize)> = None;
    'pair: loop {
        let (start_a, start_b) = (pa, pb);
        let ka = key(&mut pa);
        let kb = key(&mut pb);
        let by_rank = ka.rank().cmp(&kb.rank());
        if by_rank != Ordering::Equal {
            return Ok((by_rank, pa, pb));
        }
        let same = cmp_same_rank(&ka, &kb);
        if same != Ordering::Equal {
            return Ok((same, pa, pb));
        }
        match (ka, kb) {
            (Key::Tuple(n), _) if n > 0 => stack.push_seq(u64::from(n)),
            (Key::Map(n), _) if n > 1 => {
                // Put both in key order. Without the memory for that, or nested deeper than
                // that is done, a strict comparison (of map keys, for duplicates) fails rather
                // than compare as written, which could call two encodings of one map
                // different; a lenient one (of views) compares them as written.
                let sorted =
                    if level < MAX_MAP_LEVELS { compare_maps::<STRICT>(start_a, start_b, level + 1)? } else { None };
                match sorted {
                    Some((Ordering::Equal, end_a, end_b)) => {
                        pa = end_a;
                        pb = end_b;
                    }
                    Some((ordering, _, _)) => return Ok((ordering, pa, pb)),
                    None if STRICT && level >= MAX_MAP_LEVELS => {
                        return Err(DecodeError::new(DecodeErrorKind::MapKeysTooDeep, 0, None));
                    }
                    None if STRICT => return Err(overflow()),
                    None => stack.push_seq(2 * u64::from(n)),
                }
            }
            (Key::Map(n), _) if n > 0 => stack.push_seq(2 * u64::from(n)),
            // The free variables; the creator pid before them is not compared.
            (Key::Fun { free, .. }, _) => {
                pa = pa.get(wire::skip(pa)..).unwrap_or(&[]);
                pb = pb.get(wire::skip(pb)..).unwrap_or(&[]);
                if free > 0 {
                    stack.push_seq(u64::from(free));
                }
            }
            // Two segments of one length: element against element, then tail against tail
            // (a tail that continues the list compares as a list), as Erlang does.
            (Key::List(ListCursor::Cons { left: a }), Key::List(ListCursor::Cons { left: b })) if a == b => {
                stack.push_seq(u64::from(a) + 1)
            }
            (Key::List(ca), Key::List(cb)) => stack.push(Frame::List(ca, cb)),
            _ => {}
        }
        // Resume the innermost unfinished container.
        loop {
            let evicted = stack.evicted;
            match stack.last_mut() {
                // A frame was given up for room, and is needed after all: only input no VM
                // writes (lists split into segments, nested deep) gets here, without `alloc`.
                None if evicted && STRICT => return Err(overflow()),
                None if evicted || as_written.is_some() => {
                    // Lenient: what is left of the two terms (the rest of the lists and of
                    // the containers around them, whose counts were given up) is compared
                    // as written: term after term, until a side has no more.
                    stack = Frames::new();
                    let (after_a, after_b) = *as_written.get_or_insert_with(|| {
                        (
                            root_a.len().saturating_sub(wire::skip(root_a)),
                            root_b.len().saturating_sub(wire::skip(root_b)),
                        )
                    });
                    match (pa.len() <= after_a, pb.len() <= after_b) {
                        (true, true) => return Ok((Ordering::Equal, pa, pb)),
                        (true, false) => return Ok((Ordering::Less, pa, pb)),
                        (false, true) => return Ok((Ordering::Greater, pa, pb)),
                        (false, false) => continue 'pair,
                    }
                }
                None => return Ok((Ordering::Equal, pa, pb)),
                Some(Frame::Seq(left)) => {
                    *left -= 1;
                    if *left == 0 {
                        // The last element: nothing to come back to.
                        stack.pop();
                    }
                    continue 'pair;
                }
                Some(Frame::List(ca, cb)) => {
                    let ia = next_item(&mut pa, ca);
                    let ib = next_item(&mut pb, cb);
                    match (ia, ib) {
                        (Item::End, Item::End) => {
                            stack.pop();
                        }
                        (Item::End, Item::Tail) => {
                            // `[]` against the improper tail: the tail decides.
                            stack.pop();
                            let kb = peek(pb);
                            return Ok((8u8.cmp(&kb.rank()), pa, pb));
                        }
                        (Item::Tail, Item::End) => {
                            stack.pop();
                            let ka = peek(pa);
                            return Ok((ka.rank().cmp(&8), pa, pb));
                        }
                        // A shorter list (one that ended) against more elements.
                        (Item::End, _) => return Ok((Ordering::Less, pa, pb)),
                        (_, Item::End) => return Ok((Ordering::Greater, pa, pb)),
                        (Item::Byte(x), Item::Byte(y)) => {
                            if x != y {
                                return Ok((x.cmp(&y), pa, pb));
                            }
                        }
                        (Item::Byte(x), Item::Term) => {
                            let kb = peek(pb);
                            let ordering = cmp_byte_with(x, &kb);
                            if ordering != Ordering::Equal {
                                return Ok((ordering, pa, pb));
                            }
                            key(&mut pb);
                        }
                        (Item::Term, Item::Byte(y)) => {
                            let ka = peek(pa);
                            let ordering = cmp_byte_with(y, &ka).reverse();
                            if ordering != Ordering::Equal {
                                return Ok((ordering, pa, pb));
                            }
                            key(&mut pa);
                        }
                        (Item::Tail, Item::Tail) => {
                            // Two improper tails: compare them as terms; nothing follows.
                            stack.pop();
                            continue 'pair;
                        }
                        (Item::Tail, Item::Byte(_) | Item::Term) => {
                            // The tail against a list of more elements.
                            let ka = peek(pa);
                            return Ok((ka.rank().cmp(&LIST_RANK), pa, pb));
                        }
                        (Item::Byte(_) | Item::Term, Item::Tail) => {
                            let kb = peek(pb);
                            return Ok((LIST_RANK.cmp(&kb.rank()), pa, pb));
                        }
                        // The two elements: compared next; this frame resumes after them.
                        (Item::Term, Item::Term) => continue 'pair,
                    }
                }
            }
        }
    }
}

/// The frames of one comparison: inline up to 32, on the heap beyond with `alloc`. Without
/// it, a push onto a full stack gives up the oldest frame instead of failing: a frame under
/// two lists of different lengths is never needed again, because comparing those lists always
/// decides the comparison (an element differs, or the shorter one ends: `[]` or an improper
/// tail against more elements). Only a shorter list whose tail continues it (a `LIST_EXT`
/// whose tail is another list, which `term_to_binary` never writes) can need a frame given
/// up; that fails (`NeedsAlloc`) rather than guess.
struct Frames {
    stack: Stack<Frame, INLINE_FRAMES>,
    evicted: bool,
}

impl Frames {
    fn new() -> Self {
        Frames { stack: Stack::new(), evicted: false }
    }

    fn push(&mut self, frame: Frame) {
        if self.stack.push(frame).is_err() {
            let frames = self.stack.as_mut_slice();
            frames.rotate_left(1);
            if let Some(last) = frames.last_mut() {
                *last = frame;
            }
            self.evicted = true;
        }
    }

    /// `n` more term pairs to compare before the innermost frame resumes: added to a sequence
    /// on top (pairs are compared one after another whatever container they are in), so
    /// tuples, maps and funs nested in one another take one frame in all.
    fn push_seq(&mut self, n: u64) {
        if let Some(Frame::Seq(left)) = self.stack.last_mut() {
            *left += n;
            return;
        }
        self.push(Frame::Seq(n));
    }

    fn last_mut(&mut self) -> Option<&mut Frame> {
        self.stack.last_mut()
    }

    fn pop(&mut self) {
        self.stack.pop();
    }
}

/// A byte of a string (a small integer) against a term.
fn cmp_byte_with(byte: u8, other: &Key<'_>) -> Ordering {
    match other {
        Key::Number(n) => cmp_numbers(&Number::Int(Int::Small(i64::from(byte))), n),
        other => 0u8.cmp(&other.rank()),
    }
}

/// Where each key and value of a map starts.
type Pair<'a> = (&'a [u8], &'a [u8]);

/// Compares two maps of the same size (at least two pairs) as Erlang does: keys in key
/// order, then values in key order. Returns where each map ends; `None` when there is no
/// memory for their pairs (more than 32, without `alloc`).
#[allow(clippy::type_complexity)]
fn compare_maps<'a, 'b, const STRICT: bool>(
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
struct PairList<'a> {
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

