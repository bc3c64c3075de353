//! [`Walk`]: a depth-first walk of a term in the order it was written, reading each byte a
//! constant number of times whatever the shape (see [`Term::walk`]).

use crate::stack::Stack;
use crate::term::{Elements, ListIter, Term};

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

#[derive(Clone)]
enum Contents<'a> {
    Seq(Elements<'a>),
    /// A list: its elements, then (stage 1) the `Tail` marker, then (stage 2) its tail.
    List {
        iter: ListIter<'a>,
        stage: u8,
        after_tail: Option<&'a [u8]>,
    },
}

#[derive(Clone)]
struct Frame<'a> {
    contents: Contents<'a>,
    /// Containers that ended together with this one (they had it as their last element):
    /// one more `Close` each.
    closes: u32,
}

const INLINE_FRAMES: usize = 64;

/// A depth-first walk of a term: see [`Term::walk`].
pub struct Walk<'a> {
    root: Option<Term<'a>>,
    frames: Stack<Frame<'a>, INLINE_FRAMES>,
    /// `Close` steps still to give.
    closing: u32,
}

impl core::fmt::Debug for Walk<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Walk").field("open", &self.frames.len()).finish()
    }
}

fn contents<'a>(term: &Term<'a>) -> Option<Contents<'a>> {
    match term {
        Term::Tuple(t) => Some(Contents::Seq(t.iter())),
        Term::Map(m) => Some(Contents::Seq(m.iter().inner)),
        Term::Fun(f) => Some(Contents::Seq(f.contents())),
        Term::List(l) => Some(Contents::List { iter: l.iter(), stage: 0, after_tail: None }),
        _ => None,
    }
}

impl<'a> Walk<'a> {
    pub(crate) fn new(term: Term<'a>) -> Self {
        Walk { root: Some(term), frames: Stack::new(), closing: 0 }
    }

    /// The step for `term`, entering it if it is a container.
    fn visit(&mut self, term: Term<'a>, merge: bool) -> Visit<'a> {
        let Some(contents) = contents(&term) else { return Visit::Leaf(term) };
        // A container that is the last element of a tuple, map or fun ends with it: one
        // frame for both, so chains nested in last position need one frame in all.
        let mut closes = 0;
        if merge
            && let Some(top) = self.frames.last_mut()
            && let Contents::Seq(seq) = &top.contents
            && seq.len() == 0
        {
            closes = top.closes + 1;
            self.frames.pop();
        }
        match self.frames.push(Frame { contents, closes }) {
            Ok(()) => Visit::Open(term),
            Err(_) => {
                self.closing = closes;
                Visit::Leaf(term)
            }
        }
    }

    /// The innermost frame is done: close it and tell its parent where it ended.
    fn close(&mut self) -> Option<Visit<'a>> {
        let done = self.frames.pop()?;
        let end = match &done.contents {
            Contents::Seq(seq) => seq.end(),
            Contents::List { iter, after_tail, .. } => after_tail.or_else(|| iter.end()),
        };
        if let (Some(end), Some(parent)) = (end, self.frames.last_mut()) {
            match &mut parent.contents {
                Contents::Seq(seq) => seq.resume(end),
                Contents::List { iter, stage: 2, after_tail } => {
                    if crate::term::within(iter.rest_bytes(), end) {
                        *after_tail = Some(end);
                    }
                }
                Contents::List { iter, .. } => iter.resume(end),
            }
        }
        self.closing = done.closes;
        Some(Visit::Close)
    }
}

impl<'a> Iterator for Walk<'a> {
    type Item = Visit<'a>;

    fn next(&mut self) -> Option<Visit<'a>> {
        if self.closing > 0 {
            self.closing -= 1;
            return Some(Visit::Close);
        }
        let Some(top) = self.frames.last_mut() else {
            let root = self.root.take()?;
            return Some(self.visit(root, false));
        };
        match &mut top.contents {
            Contents::Seq(seq) => match seq.next() {
                Some(term) => Some(self.visit(term, true)),
                None => self.close(),
            },
            Contents::List { iter, stage, .. } => match *stage {
                0 => match iter.next() {
                    Some(term) => Some(self.visit(term, false)),
                    None if matches!(iter.tail(), Term::Nil) => self.close(),
                    None => {
                        *stage = 1;
                        Some(Visit::Tail)
                    }
                },
                1 => {
                    *stage = 2;
                    let tail = iter.tail();
                    Some(self.visit(tail, false))
                }
                _ => self.close(),
            },
        }
    }
}
