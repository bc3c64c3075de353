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

mod keys;
mod maps;

use keys::{Frame, Key, ListCursor, advance, cmp_same_rank, key, peek};
pub(crate) use keys::{LIST_RANK, Number, cmp_bits, cmp_numbers};
use maps::compare_maps;
pub(crate) use maps::heapsort;

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
