//! [`Walk`]: a depth-first walk of a term in the order it was written, reading each byte once
//! (see [`Term::walk`]).
//!
//! The walk reads the bytes front to back, one header at a time, like validation: a frame per
//! open container says how many of its terms are still to come. A container in the last
//! position of its parent shares the parent's frame (it counts one more `Close`), so chains
//! nested in last position, the way Erlang builds lists and trees, need one frame in all.

use crate::stack::Stack;
use crate::term::{Term, leaf_term, view};
use crate::wire::{self, Head};

/// One step of a [`Walk`].
#[derive(Clone, Copy, Debug)]
pub enum Visit<'a> {
    /// A term whose contents, if any, are not visited: a leaf (or, without the `alloc`
    /// feature, a container nested deeper than the walk can keep track of).
    Leaf(Term<'a>),
    /// A tuple, list, map or fun whose contents follow, then [`Visit::Close`]. A list's
    /// elements come first, then, for an improper list, [`Visit::Tail`] and the tail; a map's
    /// keys and values alternate; a fun's creator pid comes first, then its free variables.
    Open(Term<'a>),
    /// The next term is the tail of an improper list.
    Tail,
    /// The innermost open container has no more contents.
    Close,
}

impl<'a> Visit<'a> {
    /// The term of a `Leaf` or `Open` step.
    pub fn term(&self) -> Option<Term<'a>> {
        match self {
            Visit::Leaf(term) | Visit::Open(term) => Some(*term),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Terms one after another: a tuple's elements, a map's keys and values, a fun's pid
    /// and free variables, or an improper list's tail.
    Seq,
    /// The elements of a `LIST_EXT` segment; then its tail, which may continue the list.
    List,
    /// The bytes of a `STRING_EXT`, each an integer element; the list ends with them.
    String,
    /// No container open yet: the root comes next.
    Root,
    /// The walk is over.
    Done,
}

#[derive(Clone, Copy)]
struct Frame {
    kind: Kind,
    /// Terms (for a string: bytes) still to come, not counting a list's tail.
    left: u64,
    /// Containers that ended together with this one (they had it in last position): one
    /// more `Close` each.
    closes: u32,
}

/// Frames kept inline: sized for the 2 KiB embedded stack budget without `alloc`; with it,
/// so that ordinary Erlang data never touches the heap.
#[cfg(not(feature = "alloc"))]
const INLINE_FRAMES: usize = 32;
#[cfg(feature = "alloc")]
const INLINE_FRAMES: usize = 64;

/// A depth-first walk of a term: see [`Term::walk`].
pub struct Walk<'a> {
    /// The next term to read (or a list's tail, or the next byte of a string).
    rest: &'a [u8],
    /// The root, when it is a leaf (its bytes are not in a term's encoding, for a view made
    /// by a constructor) or not yet visited.
    root: Option<Term<'a>>,
    /// The innermost frame, and below it the ones it is nested in.
    top: Frame,
    frames: Stack<Frame, INLINE_FRAMES>,
    /// `Close` steps still to give.
    closing: u32,
}

impl<'a> Term<'a> {
    /// A depth-first walk of this term and everything in it, in the order written: each
    /// term once ([`Visit::Leaf`](crate::Visit::Leaf) or [`Visit::Open`](crate::Visit::Open)),
    /// and [`Visit::Close`](crate::Visit::Close) after a container's contents. Each iterator
    /// learns where a walked child ended, so a whole walk reads each byte a constant number
    /// of times whatever the shape. It keeps one small frame per container open with contents
    /// to come (containers in last position of a tuple, map or fun share their parent's): on
    /// the heap with the `alloc` feature; without it, up to 32, beyond which containers are
    /// handed out as `Leaf` and not entered.
    ///
    /// ```
    /// # use erlport_codec::{decode, Term, Visit};
    /// // term_to_binary({a, [1, 2]})
    /// let bytes = [131, 104, 2, 119, 1, b'a', 108, 0, 0, 0, 2, 97, 1, 97, 2, 106];
    /// let term = decode(&bytes)?;
    /// let leaves = term.walk().filter(|v| matches!(v, Visit::Leaf(Term::Integer(_)))).count();
    /// assert_eq!(leaves, 2);
    /// # Ok::<(), erlport_codec::DecodeError>(())
    /// ```
    pub fn walk(&self) -> Walk<'a> {
        Walk::new(*self)
    }
}

impl core::fmt::Debug for Walk<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Walk").field("open", &(self.frames.len() + 1)).finish()
    }
}

impl<'a> Walk<'a> {
    pub(crate) fn new(term: Term<'a>) -> Self {
        let rest = match term {
            Term::Tuple(_) | Term::List(_) | Term::Map(_) | Term::Fun(_) => term.raw(),
            _ => &[],
        };
        let top = Frame { kind: Kind::Root, left: 0, closes: 0 };
        Walk { rest, root: Some(term), top, frames: Stack::new(), closing: 0 }
    }

    /// Reads the term at `rest`, entering it if it is a container. `last` says it is the last
    /// term of the innermost frame (which then has nothing else to come).
    #[inline]
    fn read(&mut self, last: bool) -> Visit<'a> {
        if wire::FAST_PATHS
            && let Some((leaf, len)) = wire::common_leaf(self.rest)
        {
            self.rest = self.rest.get(len..).unwrap_or(&[]);
            return Visit::Leaf(leaf_term(leaf));
        }
        let mut raw = self.rest;
        let (head, len) = loop {
            let (head, len) = wire::head_of(raw);
            match head {
                // `[] ++ Tail`: the tail itself.
                Head::List(0) => raw = raw.get(len..).unwrap_or(&[]),
                _ => break (head, len),
            }
        };
        let term = view(raw, head, len);
        let (kind, left) = match head {
            Head::Tuple(n) => (Kind::Seq, u64::from(n)),
            Head::Map(n) => (Kind::Seq, 2 * u64::from(n)),
            Head::Fun { free, .. } => (Kind::Seq, 1 + u64::from(free)),
            Head::List(n) => (Kind::List, u64::from(n)),
            Head::String(bytes) if !bytes.is_empty() => (Kind::String, bytes.len() as u64),
            _ => {
                self.rest = raw.get(len..).unwrap_or(&[]);
                return Visit::Leaf(term);
            }
        };
        let body = match head {
            Head::String(bytes) => len - bytes.len(),
            _ => len,
        };
        let frame = if last {
            // The parent ends with this container: its frame becomes this one's.
            Frame { kind, left, closes: self.top.closes + 1 }
        } else {
            Frame { kind, left, closes: 0 }
        };
        let pushed = match self.top.kind {
            _ if last => Ok(()),
            Kind::Root => Ok(()),
            _ => self.frames.push(self.top),
        };
        match pushed {
            Ok(()) => {
                self.top = frame;
                self.rest = raw.get(body..).unwrap_or(&[]);
                Visit::Open(term)
            }
            Err(_) => {
                // No memory to enter it (without `alloc`): handed out whole, stepped over.
                self.rest = raw.get(wire::skip(raw)..).unwrap_or(&[]);
                Visit::Leaf(term)
            }
        }
    }

    /// The innermost frame is done.
    #[cfg_attr(not(target_os = "none"), inline(always))]
    fn close(&mut self) -> Visit<'a> {
        self.closing = self.top.closes;
        self.top = self.frames.pop().unwrap_or(Frame { kind: Kind::Done, left: 0, closes: 0 });
        Visit::Close
    }
}

impl<'a> Walk<'a> {
    /// The first step: the root.
    #[cold]
    fn start(&mut self) -> Option<Visit<'a>> {
        let root = self.root.take()?;
        if self.rest.is_empty() {
            self.top.kind = Kind::Done;
            return Some(Visit::Leaf(root));
        }
        Some(match self.read(false) {
            Visit::Open(_) => Visit::Open(root),
            other => {
                self.top.kind = Kind::Done;
                other
            }
        })
    }

    /// The next term of the innermost frame; integers, the most common leaves, at once.
    #[cfg_attr(not(target_os = "none"), inline(always))]
    fn item(&mut self, last: bool) -> Visit<'a> {
        if let Some((value, rest)) = wire::small_integer(self.rest) {
            self.rest = rest;
            return Visit::Leaf(Term::Integer(value));
        }
        self.read(last)
    }

    /// Strings, list tails and the ends of containers.
    fn step(&mut self) -> Option<Visit<'a>> {
        loop {
            let top = &mut self.top;
            match top.kind {
                Kind::Root => return self.start(),
                Kind::Done => return None,
                Kind::Seq if top.left > 0 => {
                    top.left -= 1;
                    let last = top.left == 0;
                    return Some(self.item(last));
                }
                Kind::List if top.left > 0 => {
                    top.left -= 1;
                    return Some(self.item(false));
                }
                Kind::Seq => return Some(self.close()),
                Kind::String => {
                    let Some((&byte, rest)) = self.rest.split_first().filter(|_| top.left > 0) else {
                        return Some(self.close());
                    };
                    top.left -= 1;
                    self.rest = rest;
                    return Some(Visit::Leaf(Term::Integer(i64::from(byte))));
                }
                Kind::List => {
                    // The tail: `[]` ends the list, another list continues it, anything
                    // else is an improper tail.
                    let (head, len) = wire::head_of(self.rest);
                    match head {
                        Head::Nil | Head::String([]) => {
                            self.rest = self.rest.get(len..).unwrap_or(&[]);
                            return Some(self.close());
                        }
                        Head::String(bytes) => {
                            top.kind = Kind::String;
                            top.left = bytes.len() as u64;
                            self.rest = self.rest.get(len - bytes.len()..).unwrap_or(&[]);
                        }
                        Head::List(n) => {
                            top.left = u64::from(n);
                            self.rest = self.rest.get(len..).unwrap_or(&[]);
                        }
                        _ => {
                            top.kind = Kind::Seq;
                            top.left = 1;
                            return Some(Visit::Tail);
                        }
                    }
                }
            }
        }
    }
}

impl<'a> Iterator for Walk<'a> {
    type Item = Visit<'a>;

    #[inline]
    fn next(&mut self) -> Option<Visit<'a>> {
        if self.closing > 0 {
            self.closing -= 1;
            return Some(Visit::Close);
        }
        let top = &mut self.top;
        // The elements of tuples, maps and lists, without the general step.
        if top.left > 0 && matches!(top.kind, Kind::Seq | Kind::List) {
            top.left -= 1;
            let last = top.kind == Kind::Seq && top.left == 0;
            return Some(self.item(last));
        }
        self.step()
    }

    /// The contents of tuples, maps and lists (and the bytes of strings) are handed out in one
    /// tight loop; the rest (opening the root, list tails, closing) step by step.
    #[inline]
    fn fold<B, F: FnMut(B, Visit<'a>) -> B>(mut self, init: B, mut f: F) -> B {
        let mut acc = init;
        loop {
            if self.closing == 0 {
                match self.top.kind {
                    Kind::List | Kind::Seq if self.top.left > 0 => {
                        // Leaves in a tight loop: integers (after one, a run of `INTEGER_EXT` by
                        // index: `lists:seq/2`, lists of numbers), then atoms, binaries and
                        // floats (what maps as records hold); containers and the rest below.
                        while self.top.left > 0 {
                            if let Some((value, rest)) = wire::small_integer(self.rest) {
                                self.rest = rest;
                                self.top.left -= 1;
                                acc = f(acc, Visit::Leaf(Term::Integer(value)));
                                if !wire::FAST_PATHS {
                                    continue;
                                }
                                let (folded, count, after) =
                                    wire::fold_int32_run(rest, self.top.left, acc, |acc, value| {
                                        f(acc, Visit::Leaf(Term::Integer(value)))
                                    });
                                acc = folded;
                                self.rest = after;
                                self.top.left -= count;
                            } else if wire::FAST_PATHS
                                && let Some((leaf, len)) = wire::common_leaf(self.rest)
                            {
                                self.rest = self.rest.get(len..).unwrap_or(&[]);
                                self.top.left -= 1;
                                acc = f(acc, Visit::Leaf(leaf_term(leaf)));
                            } else {
                                break;
                            }
                        }
                        if self.top.left > 0 {
                            self.top.left -= 1;
                            let last = self.top.kind == Kind::Seq && self.top.left == 0;
                            acc = f(acc, self.read(last));
                        }
                        continue;
                    }
                    // Ends without the general step: a tuple or map, a list ending in `[]`.
                    Kind::Seq => {
                        acc = f(acc, self.close());
                        continue;
                    }
                    Kind::List if let Some(rest) = wire::after_nil(self.rest) => {
                        self.rest = rest;
                        acc = f(acc, self.close());
                        continue;
                    }
                    Kind::String => {
                        let count = usize::try_from(self.top.left).unwrap_or(usize::MAX).min(self.rest.len());
                        let (bytes, rest) = self.rest.split_at(count);
                        for &byte in bytes {
                            acc = f(acc, Visit::Leaf(Term::Integer(i64::from(byte))));
                        }
                        self.rest = rest;
                        self.top.left = 0;
                    }
                    _ => {}
                }
            }
            match self.next() {
                Some(visit) => acc = f(acc, visit),
                None => return acc,
            }
        }
    }
}
