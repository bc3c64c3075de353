//! Views over validated bytes: [`Term`] and the types it holds.
//!
//! Every view borrows the input. Nothing here can fail: the bytes behind a view were checked
//! when it was decoded, so iterating a tuple, list or map yields [`Term`]s directly.
//!
//! A view is built from its header alone: a container holds where its body starts and its
//! count, never its end, so building one costs O(1) whatever it contains. An iterator steps
//! over an element only when it moves past a container it handed out (leaves' ends are known
//! from their headers), and never past the last one; walks that visit a child fully tell the
//! parent iterator where the child ended, so a depth-first walk reads each byte a constant
//! number of times (see [`Term::walk`]).

mod containers;
mod ids;
#[cfg(feature = "index")]
mod indexed;
mod leaves;
mod map;

pub use crate::wire::AtomChars;
pub(crate) use containers::Src;
pub use containers::{Elements, List, ListIter, Tuple};
pub use ids::{Export, Fun, Pid, PortId, Reference};
pub use leaves::{Atom, BigInt, BitBinary};
pub use map::{Map, Pairs};

#[cfg(feature = "index")]
use crate::index::Index;
use crate::wire::{self, Head, Int, Leaf, float_text_value};

/// One Erlang term, as a view over validated bytes.
///
/// Integers that fit an `i64` are [`Term::Integer`] whatever their encoding; `[]` is
/// [`Term::Nil`] and a non-empty list is [`Term::List`]; a `BIT_BINARY_EXT` whose last byte is
/// fully used is a [`Term::Binary`], as in Erlang.
#[derive(Clone, Copy, Debug)]
pub enum Term<'a> {
    /// An integer that fits an `i64`.
    Integer(i64),
    /// An integer that does not fit an `i64`.
    BigInt(BigInt<'a>),
    /// A float: always finite when decoded. One built in Rust that is not is refused by the
    /// encoder ([`EncodeError::NonFiniteFloat`](crate::EncodeError::NonFiniteFloat)) and prints as `nan`, `inf` or `-inf`.
    Float(f64),
    /// An atom.
    Atom(Atom<'a>),
    /// A binary: a bitstring of whole bytes.
    Binary(&'a [u8]),
    /// A bitstring whose length is not a whole number of bytes.
    BitBinary(BitBinary<'a>),
    /// The empty list `[]`.
    Nil,
    /// A non-empty list, proper or improper.
    List(List<'a>),
    /// A tuple.
    Tuple(Tuple<'a>),
    /// A map.
    Map(Map<'a>),
    /// A process identifier.
    Pid(Pid<'a>),
    /// A port identifier.
    Port(PortId<'a>),
    /// A reference.
    Reference(Reference<'a>),
    /// A fun (closure) from `NEW_FUN_EXT`.
    Fun(Fun<'a>),
    /// An export fun, `fun M:F/A`.
    Export(Export<'a>),
}

impl<'a> Term<'a> {
    /// The atom, if this is one.
    pub fn as_atom(&self) -> Option<Atom<'a>> {
        match self {
            Term::Atom(atom) => Some(*atom),
            _ => None,
        }
    }

    /// The integer, if this is one that fits an `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Term::Integer(value) => Some(*value),
            _ => None,
        }
    }

    /// The bytes, if this is a binary.
    pub fn as_binary(&self) -> Option<&'a [u8]> {
        match self {
            Term::Binary(bytes) => Some(bytes),
            _ => None,
        }
    }

    /// The tuple, if this is one.
    pub fn as_tuple(&self) -> Option<Tuple<'a>> {
        match self {
            Term::Tuple(tuple) => Some(*tuple),
            _ => None,
        }
    }

    /// Whether this is the atom with this text.
    pub fn is_atom(&self, name: &str) -> bool {
        matches!(self, Term::Atom(atom) if *atom == *name)
    }

    /// The bytes this term was decoded from (without the version byte), for terms that keep
    /// them: containers, pids, ports, references and funs. Empty for the rest.
    pub(crate) fn raw(&self) -> &'a [u8] {
        match self {
            Term::List(v) => v.src.bytes(),
            Term::Tuple(v) => v.src.bytes(),
            Term::Map(v) => v.src.bytes(),
            Term::Fun(v) => exact_bytes(v.raw, v.exact),
            Term::Pid(v) => v.raw,
            Term::Port(v) => v.raw,
            Term::Reference(v) => v.raw,
            Term::Export(v) => v.raw,
            _ => &[],
        }
    }
}

#[cfg(feature = "serde")]
impl<'a> Term<'a> {
    /// Where this term's bytes start (they may run on past its end), for views that keep
    /// them: containers, pids, ports, references and funs. Empty for the rest.
    pub(crate) fn start(&self) -> &'a [u8] {
        match self {
            Term::List(v) => v.src.start(),
            Term::Tuple(v) => v.src.start(),
            Term::Map(v) => v.src.start(),
            Term::Fun(v) => v.raw,
            Term::Pid(v) => v.raw,
            Term::Port(v) => v.raw,
            Term::Reference(v) => v.raw,
            Term::Export(v) => v.raw,
            _ => &[],
        }
    }
}

/// A container's bytes: all of `raw` when it is known to end there, else up to its end
/// found by stepping over it.
fn exact_bytes(raw: &[u8], exact: bool) -> &[u8] {
    if exact { raw } else { raw.get(..wire::skip(raw)).unwrap_or(&[]) }
}

/// The view of a validated term that fills `raw` exactly (what `decode` hands out): it can
/// give its bytes back without stepping over them.
pub(crate) fn root_at(raw: &[u8]) -> Term<'_> {
    match term_at(raw).0 {
        Term::List(v) => Term::List(List { src: v.src.exact() }),
        Term::Tuple(v) => Term::Tuple(Tuple { src: v.src.exact() }),
        Term::Map(v) => Term::Map(Map { src: v.src.exact() }),
        Term::Fun(v) => Term::Fun(Fun { exact: true, ..v }),
        leaf => leaf,
    }
}

/// Where a term read from validated bytes ends, when its header says so.
pub(crate) enum End {
    /// A leaf: it ends this many bytes after it starts.
    At(usize),
    /// A container: its end is found by stepping over it from its start.
    Unknown,
}

/// The view of a leaf the narrow reader ([`wire::common_leaf`]) read.
#[inline(always)]
pub(crate) fn leaf_term(leaf: Leaf<'_>) -> Term<'_> {
    match leaf {
        Leaf::Int(value) => Term::Integer(value),
        Leaf::Float(value) => Term::Float(value),
        Leaf::Atom(text) => Term::Atom(text.into()),
        Leaf::Binary(bytes) => Term::Binary(bytes),
    }
}

/// The common leaf at the start of validated `raw` (integers, atoms, binaries, new floats),
/// read by one jump on its tag, and the bytes after it; `None` for anything else. On bare
/// metal only integers, to keep the flash small.
#[cfg_attr(not(target_os = "none"), inline(always))]
pub(crate) fn common_leaf_at(raw: &[u8]) -> Option<(Term<'_>, &[u8])> {
    if let Some((value, rest)) = wire::small_integer(raw) {
        return Some((Term::Integer(value), rest));
    }
    if wire::FAST_PATHS {
        let (leaf, len) = wire::common_leaf(raw)?;
        return Some((leaf_term(leaf), raw.get(len..).unwrap_or(&[])));
    }
    None
}

/// The view of the map, list or small tuple whose header begins validated `raw`, read straight
/// off its tag and count (the containers Erlang writes most); `None` for anything else, and
/// for a `LIST_EXT` of no elements (see [`term_at`]). Off on bare metal, like the other fast
/// paths.
#[cfg_attr(not(target_os = "none"), inline(always))]
pub(crate) fn common_container_at(raw: &[u8]) -> Option<Term<'_>> {
    if !wire::FAST_PATHS {
        return None;
    }
    let src = |body: u8, count: u32| Src::Bytes { raw, exact: false, body, count, string: false };
    match *raw {
        [wire::MAP_EXT, a, b, c, d, ..] => Some(Term::Map(Map { src: src(5, u32::from_be_bytes([a, b, c, d])) })),
        [wire::LIST_EXT, a, b, c, d, ..] => match u32::from_be_bytes([a, b, c, d]) {
            0 => None,
            count => Some(Term::List(List { src: src(5, count) })),
        },
        [wire::SMALL_TUPLE_EXT, arity, ..] => Some(Term::Tuple(Tuple { src: src(2, u32::from(arity)) })),
        _ => None,
    }
}

/// Reads the validated term at the start of `raw`: the view and where it ends.
#[cfg_attr(not(target_os = "none"), inline(always))]
pub(crate) fn term_at(raw: &[u8]) -> (Term<'_>, End) {
    if let Some(term) = common_container_at(raw) {
        return (term, End::Unknown);
    }
    if wire::FAST_PATHS && wire::after_nil(raw).is_some() {
        // `[]`, the tail of most lists.
        return (Term::Nil, End::At(1));
    }
    any_term_at(raw)
}

/// [`term_at`] by the general header reader.
#[inline]
fn any_term_at(mut raw: &[u8]) -> (Term<'_>, End) {
    let mut prefix = 0;
    loop {
        let (head, len) = wire::head_of(raw);
        if let Head::List(0) = head {
            // `[] ++ Tail` (a LIST_EXT of no elements) is the tail itself, after it.
            raw = raw.get(len..).unwrap_or(&[]);
            prefix += len;
            continue;
        }
        let term = view(raw, head, len);
        return if head.is_container() { (term, End::Unknown) } else { (term, End::At(prefix + len)) };
    }
}

/// The view of the validated term at the start of `raw`, whose header `head` is `len` bytes
/// long (for a leaf, its whole length). A `LIST_EXT` of no elements is not a view: see
/// [`term_at`].
#[cfg_attr(not(target_os = "none"), inline(always))]
pub(crate) fn view<'a>(raw: &'a [u8], head: Head<'a>, len: usize) -> Term<'a> {
    match head {
        Head::Int(Int::Small(value)) => Term::Integer(value),
        Head::Int(Int::Big { negative, magnitude }) => Term::BigInt(BigInt { negative, magnitude }),
        Head::Float(value) => Term::Float(value),
        Head::FloatText(text) => Term::Float(float_text_value(text)),
        Head::Atom(text) => Term::Atom(Atom::from(text)),
        Head::Bits { bytes, bits } => {
            if bits == 8 || bytes.is_empty() {
                Term::Binary(bytes)
            } else {
                Term::BitBinary(BitBinary { bytes, bits })
            }
        }
        Head::Nil | Head::String([]) => Term::Nil,
        Head::String(bytes) => Term::List(List {
            src: Src::Bytes {
                raw,
                exact: false,
                body: (len - bytes.len()) as u8,
                count: bytes.len() as u32,
                string: true,
            },
        }),
        Head::List(n) => {
            Term::List(List { src: Src::Bytes { raw, exact: false, body: len as u8, count: n, string: false } })
        }
        Head::Tuple(arity) => {
            Term::Tuple(Tuple { src: Src::Bytes { raw, exact: false, body: len as u8, count: arity, string: false } })
        }
        Head::Map(pairs) => {
            Term::Map(Map { src: Src::Bytes { raw, exact: false, body: len as u8, count: pairs, string: false } })
        }
        Head::Pid(bytes) => Term::Pid(Pid { raw: bytes }),
        Head::Port(bytes) => Term::Port(PortId { raw: bytes }),
        Head::Reference(bytes) => Term::Reference(Reference { raw: bytes }),
        Head::Export(bytes) => Term::Export(Export { raw: bytes }),
        Head::Fun { .. } => Term::Fun(Fun { raw, exact: false }),
    }
}
