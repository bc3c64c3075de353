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

pub use crate::wire::AtomChars;
use crate::wire::{self, AtomText, Head, Int, float_text_value};

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
    /// A float (always finite).
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
    Port(Port<'a>),
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
            Term::List(v) => exact_bytes(v.raw, v.exact),
            Term::Tuple(v) => exact_bytes(v.raw, v.exact),
            Term::Map(v) => exact_bytes(v.raw, v.exact),
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
            Term::List(v) => v.raw,
            Term::Tuple(v) => v.raw,
            Term::Map(v) => v.raw,
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
        Term::List(v) => Term::List(List { exact: true, ..v }),
        Term::Tuple(v) => Term::Tuple(Tuple { exact: true, ..v }),
        Term::Map(v) => Term::Map(Map { exact: true, ..v }),
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

/// Reads the validated term at the start of `raw`: the view and where it ends.
#[inline]
pub(crate) fn term_at(mut raw: &[u8]) -> (Term<'_>, End) {
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
#[cfg_attr(target_os = "none", inline)]
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
            raw,
            exact: false,
            body: (len - bytes.len()) as u8,
            first: bytes.len() as u32,
            string: true,
        }),
        Head::List(n) => Term::List(List { raw, exact: false, body: len as u8, first: n, string: false }),
        Head::Tuple(arity) => Term::Tuple(Tuple { raw, exact: false, body: len as u8, arity }),
        Head::Map(pairs) => Term::Map(Map { raw, exact: false, body: len as u8, pairs }),
        Head::Pid(bytes) => Term::Pid(Pid { raw: bytes }),
        Head::Port(bytes) => Term::Port(Port { raw: bytes }),
        Head::Reference(bytes) => Term::Reference(Reference { raw: bytes }),
        Head::Export(bytes) => Term::Export(Export { raw: bytes }),
        Head::Fun { .. } => Term::Fun(Fun { raw, exact: false }),
    }
}

/// An integer too large for an `i64`: a sign and a little-endian magnitude.
#[derive(Clone, Copy, Debug)]
pub struct BigInt<'a> {
    negative: bool,
    magnitude: &'a [u8],
}

impl<'a> BigInt<'a> {
    /// An integer from a sign and a little-endian magnitude, for encoding. High zero bytes
    /// are dropped; a zero magnitude is the integer 0, never negative.
    pub const fn new(negative: bool, magnitude: &'a [u8]) -> Self {
        let mut magnitude = magnitude;
        while let [rest @ .., 0] = magnitude {
            magnitude = rest;
        }
        BigInt { negative: negative && !magnitude.is_empty(), magnitude }
    }

    /// Whether the integer is negative.
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// The magnitude, least significant byte first, without high zero bytes.
    pub fn magnitude(&self) -> &'a [u8] {
        self.magnitude
    }

    /// The value, if it fits an `i128`.
    pub fn to_i128(&self) -> Option<i128> {
        wire::big_to_i128(self.negative, self.magnitude)
    }

    /// The value, if it fits an `i64` (never, for a `BigInt` from [`decode`](crate::decode),
    /// which gives such integers as [`Term::Integer`]).
    pub fn to_i64(&self) -> Option<i64> {
        wire::big_to_i64(self.negative, self.magnitude)
    }
}

/// An atom: its text, latin-1 or UTF-8 as it was written.
///
/// Two atoms are equal when their characters are, whichever encoding each uses.
#[derive(Clone, Copy, Debug)]
pub struct Atom<'a> {
    bytes: &'a [u8],
    utf8: bool,
}

impl<'a> From<AtomText<'a>> for Atom<'a> {
    #[inline]
    fn from(text: AtomText<'a>) -> Self {
        Atom { bytes: text.bytes, utf8: text.utf8 }
    }
}

impl<'a> Atom<'a> {
    /// An atom with this text (UTF-8).
    pub const fn new(text: &'a str) -> Self {
        Atom { bytes: text.as_bytes(), utf8: true }
    }

    /// An atom from its bytes as written (latin-1 or UTF-8).
    #[cfg(feature = "serde")]
    pub(crate) fn from_bytes(bytes: &'a [u8], utf8: bool) -> Self {
        Atom { bytes, utf8 }
    }

    pub(crate) fn text(&self) -> AtomText<'a> {
        AtomText { bytes: self.bytes, utf8: self.utf8 }
    }

    /// The text as a `&str`: always for UTF-8 atoms, and for latin-1 atoms that are ASCII.
    /// Use [`Atom::chars`] for any atom.
    pub fn as_str(&self) -> Option<&'a str> {
        if self.utf8 || self.bytes.is_ascii() { core::str::from_utf8(self.bytes).ok() } else { None }
    }

    /// The characters of the atom.
    pub fn chars(&self) -> AtomChars<'a> {
        AtomChars::new(self.bytes, self.utf8)
    }

    /// The bytes as written: latin-1 or UTF-8, see [`Atom::is_utf8`].
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Whether the bytes are UTF-8 (`ATOM_UTF8_EXT`, `SMALL_ATOM_UTF8_EXT`) rather than latin-1.
    pub fn is_utf8(&self) -> bool {
        self.utf8
    }

    /// The number of characters.
    pub fn char_count(&self) -> usize {
        if self.utf8 { self.chars().count() } else { self.bytes.len() }
    }
}

impl PartialEq for Atom<'_> {
    fn eq(&self, other: &Atom<'_>) -> bool {
        if self.utf8 == other.utf8 { self.bytes == other.bytes } else { self.chars().eq(other.chars()) }
    }
}

impl Eq for Atom<'_> {}

impl PartialEq<str> for Atom<'_> {
    fn eq(&self, other: &str) -> bool {
        if self.utf8 || self.bytes.is_ascii() { self.bytes == other.as_bytes() } else { self.chars().eq(other.chars()) }
    }
}

impl PartialEq<&str> for Atom<'_> {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

/// A bitstring whose last byte holds 1 to 7 bits.
#[derive(Clone, Copy, Debug)]
pub struct BitBinary<'a> {
    bytes: &'a [u8],
    bits: u8,
}

impl<'a> BitBinary<'a> {
    /// A bitstring of `bytes`, of which the last holds `bits` high bits, for encoding. A
    /// `bits` of 0 or above 7 means the last byte is whole (a binary: Erlang has no other
    /// reading of it).
    pub const fn new(bytes: &'a [u8], bits: u8) -> Self {
        BitBinary { bytes, bits: if bits == 0 || bits > 8 { 8 } else { bits } }
    }

    /// The bytes, the last one partly used. Its unused low bits are as written, which Erlang
    /// ignores: use [`BitBinary::last_byte`] for the last byte with them cleared.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// How many high bits of the last byte belong to the bitstring (1 to 8).
    pub fn bits_in_last_byte(&self) -> u8 {
        self.bits
    }

    /// The last byte with its unused low bits cleared.
    pub fn last_byte(&self) -> u8 {
        self.bytes.last().copied().unwrap_or(0) & !0xffu8.checked_shr(u32::from(self.bits)).unwrap_or(0)
    }

    /// The length in bits.
    pub fn bit_len(&self) -> u64 {
        match self.bytes.len() {
            0 => 0,
            n => (n as u64 - 1) * 8 + u64::from(self.bits),
        }
    }
}

/// A tuple: its arity and its elements, read lazily.
#[derive(Clone, Copy, Debug)]
pub struct Tuple<'a> {
    /// From the tuple's tag to the end of the input (to the tuple's end when `exact`).
    raw: &'a [u8],
    exact: bool,
    /// The header's length: the elements start there.
    body: u8,
    arity: u32,
}

impl<'a> Tuple<'a> {
    /// The number of elements.
    pub fn arity(&self) -> usize {
        self.arity as usize
    }

    /// Whether the tuple is `{}`.
    pub fn is_empty(&self) -> bool {
        self.arity == 0
    }

    /// The elements in order.
    pub fn iter(&self) -> Elements<'a> {
        Elements::new(self.raw.get(usize::from(self.body)..).unwrap_or(&[]), u64::from(self.arity))
    }

    /// The element at `index` (counting from 0), if there is one.
    pub fn get(&self, index: usize) -> Option<Term<'a>> {
        self.iter().nth(index)
    }
}

impl<'a> IntoIterator for Tuple<'a> {
    type Item = Term<'a>;
    type IntoIter = Elements<'a>;

    fn into_iter(self) -> Elements<'a> {
        self.iter()
    }
}

/// The elements of a tuple, or the key and value terms of a map, in order.
#[derive(Clone, Debug)]
pub struct Elements<'a> {
    /// From the next element on, or from the last one handed out when `unwalked`.
    rest: &'a [u8],
    left: u64,
    /// The last element handed out is a container whose end is not known yet.
    unwalked: bool,
}

impl<'a> Elements<'a> {
    pub(crate) fn new(rest: &'a [u8], left: u64) -> Self {
        Elements { rest, left, unwalked: false }
    }

    #[inline]
    fn settle(&mut self) {
        if self.unwalked {
            self.unwalked = false;
            self.rest = self.rest.get(wire::skip(self.rest)..).unwrap_or(&[]);
        }
    }

    /// Where the elements end, once the iterator is exhausted and its last element was a leaf
    /// or was walked (`None` otherwise).
    pub(crate) fn end(&self) -> Option<&'a [u8]> {
        (self.left == 0 && !self.unwalked).then_some(self.rest)
    }

    /// The element last handed out was walked and ends where `end` begins: no need to step
    /// over it. Ignored unless `end` lies within this iterator's bytes.
    pub(crate) fn resume(&mut self, end: &'a [u8]) {
        if self.unwalked && within(self.rest, end) {
            self.rest = end;
            self.unwalked = false;
        }
    }
}

/// Whether `inner` is a suffix of `outer` (same input, at or after its start).
#[inline]
pub(crate) fn within(outer: &[u8], inner: &[u8]) -> bool {
    let (o, i) = (outer.as_ptr() as usize, inner.as_ptr() as usize);
    i >= o && i + inner.len() == o + outer.len()
}

impl<'a> Iterator for Elements<'a> {
    type Item = Term<'a>;

    #[inline]
    fn next(&mut self) -> Option<Term<'a>> {
        if self.left == 0 {
            return None;
        }
        self.settle();
        self.left -= 1;
        if let Some((value, rest)) = wire::small_integer(self.rest) {
            self.rest = rest;
            return Some(Term::Integer(value));
        }
        let (term, end) = term_at(self.rest);
        match end {
            End::At(len) => self.rest = self.rest.get(len..).unwrap_or(&[]),
            End::Unknown => self.unwalked = true,
        }
        Some(term)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = usize::try_from(self.left).unwrap_or(usize::MAX);
        (left, Some(left))
    }
}

impl ExactSizeIterator for Elements<'_> {}

/// A non-empty list: its elements, read lazily, and its tail (`[]` for a proper list).
///
/// A `LIST_EXT` whose tail is itself a list continues into it, as in Erlang.
#[derive(Clone, Copy, Debug)]
pub struct List<'a> {
    /// From its tag (`LIST_EXT` or `STRING_EXT`) to the end of the input (to the list's end
    /// when `exact`).
    raw: &'a [u8],
    exact: bool,
    /// The header's length.
    body: u8,
    /// Elements in the first segment.
    first: u32,
    string: bool,
}

impl<'a> List<'a> {
    /// The elements in order (not the tail).
    pub fn iter(&self) -> ListIter<'a> {
        ListIter {
            rest: self.raw.get(usize::from(self.body)..).unwrap_or(&[]),
            left: self.first,
            string: self.string,
            unwalked: false,
        }
    }

    /// The bytes of a list written as `STRING_EXT` (a list of integers 0..=255), if it was.
    pub fn as_string_bytes(&self) -> Option<&'a [u8]> {
        let start = usize::from(self.body);
        self.string.then(|| self.raw.get(start..start + self.first as usize).unwrap_or(&[]))
    }

    /// The tail: [`Term::Nil`] for a proper list.
    pub fn tail(&self) -> Term<'a> {
        let mut iter = self.iter();
        for _ in iter.by_ref() {}
        iter.tail()
    }

    /// Whether the list ends in `[]`.
    pub fn is_proper(&self) -> bool {
        matches!(self.tail(), Term::Nil)
    }

    /// The number of elements (walks the list).
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Always `false`: `[]` is [`Term::Nil`], not a `List`.
    pub fn is_empty(&self) -> bool {
        false
    }
}

impl<'a> IntoIterator for List<'a> {
    type Item = Term<'a>;
    type IntoIter = ListIter<'a>;

    fn into_iter(self) -> ListIter<'a> {
        self.iter()
    }
}

/// The elements of a [`List`]; after the last one, [`ListIter::tail`] gives the tail.
#[derive(Clone, Debug)]
pub struct ListIter<'a> {
    /// From the next element (or the tail) on; in a string, from its next byte.
    rest: &'a [u8],
    left: u32,
    /// Reading the bytes of a `STRING_EXT`.
    string: bool,
    /// The last element handed out is a container whose end is not known yet.
    unwalked: bool,
}

impl<'a> ListIter<'a> {
    /// The tail, once every element was read: [`Term::Nil`] for a proper list. Before that,
    /// [`Term::Nil`] too.
    pub fn tail(&self) -> Term<'a> {
        if self.left > 0 || self.string {
            return Term::Nil;
        }
        let rest = if self.unwalked { self.rest.get(wire::skip(self.rest)..).unwrap_or(&[]) } else { self.rest };
        term_at(rest).0
    }

    /// Where the list ends (after its tail), once the elements are exhausted, the last was a
    /// leaf or was walked, and the tail is a leaf; `None` otherwise.
    pub(crate) fn end(&self) -> Option<&'a [u8]> {
        if self.left > 0 || self.unwalked {
            return None;
        }
        if self.string {
            return Some(self.rest);
        }
        match term_at(self.rest) {
            (_, End::At(len)) => self.rest.get(len..),
            (_, End::Unknown) => None,
        }
    }

    /// See [`Elements::resume`].
    pub(crate) fn resume(&mut self, end: &'a [u8]) {
        if self.unwalked && within(self.rest, end) {
            self.rest = end;
            self.unwalked = false;
        }
    }
}

impl<'a> Iterator for ListIter<'a> {
    type Item = Term<'a>;

    #[inline]
    fn next(&mut self) -> Option<Term<'a>> {
        loop {
            if self.unwalked {
                self.unwalked = false;
                self.rest = self.rest.get(wire::skip(self.rest)..).unwrap_or(&[]);
            }
            if self.left > 0 {
                self.left -= 1;
                if self.string {
                    let (&byte, rest) = self.rest.split_first()?;
                    self.rest = rest;
                    return Some(Term::Integer(i64::from(byte)));
                }
                if let Some((value, rest)) = wire::small_integer(self.rest) {
                    self.rest = rest;
                    return Some(Term::Integer(value));
                }
                let (term, end) = term_at(self.rest);
                match end {
                    End::At(len) => self.rest = self.rest.get(len..).unwrap_or(&[]),
                    End::Unknown => self.unwalked = true,
                }
                return Some(term);
            }
            if self.string {
                return None;
            }
            // The tail may continue the list.
            match wire::head_of(self.rest) {
                (Head::List(n), len) => {
                    self.left = n;
                    self.rest = self.rest.get(len..).unwrap_or(&[]);
                }
                (Head::String(bytes), len) => {
                    self.left = bytes.len() as u32;
                    self.rest = self.rest.get(len - bytes.len()..).unwrap_or(&[]);
                    self.string = true;
                }
                _ => return None,
            }
        }
    }
}

/// A map: its pairs in the order they were written, read lazily.
#[derive(Clone, Copy, Debug)]
pub struct Map<'a> {
    /// From the map's tag to the end of the input (to the map's end when `exact`).
    raw: &'a [u8],
    exact: bool,
    body: u8,
    pairs: u32,
}

impl<'a> Map<'a> {
    /// The number of pairs.
    pub fn len(&self) -> usize {
        self.pairs as usize
    }

    /// Whether the map is `#{}`.
    pub fn is_empty(&self) -> bool {
        self.pairs == 0
    }

    /// The pairs, in the order they were written (Erlang writes maps of up to 32 keys in
    /// key order, larger ones in its internal hash order).
    pub fn iter(&self) -> Pairs<'a> {
        Pairs { inner: Elements::new(self.raw.get(usize::from(self.body)..).unwrap_or(&[]), 2 * u64::from(self.pairs)) }
    }

    /// The value for a key that is an atom with this text.
    pub fn get_atom(&self, key: &str) -> Option<Term<'a>> {
        self.iter().find(|(k, _)| k.is_atom(key)).map(|(_, v)| v)
    }

    /// The value whose key is exactly equal (`=:=`) to `key`.
    pub fn get(&self, key: &Term<'_>) -> Option<Term<'a>> {
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

/// A process identifier: node, id, serial and creation.
#[derive(Clone, Copy, Debug)]
pub struct Pid<'a> {
    raw: &'a [u8],
}

impl<'a> Pid<'a> {
    fn fields(&self) -> wire::PidFields<'a> {
        wire::fields(wire::pid, self.raw)
    }

    /// The node the process lives on.
    pub fn node(&self) -> Atom<'a> {
        self.fields().node.into()
    }

    /// The process number.
    pub fn id(&self) -> u32 {
        self.fields().id
    }

    /// The serial number.
    pub fn serial(&self) -> u32 {
        self.fields().serial
    }

    /// The node's creation (incarnation).
    pub fn creation(&self) -> u32 {
        self.fields().creation
    }
}

/// A port identifier: node, id and creation.
#[derive(Clone, Copy, Debug)]
pub struct Port<'a> {
    raw: &'a [u8],
}

impl<'a> Port<'a> {
    fn fields(&self) -> wire::PortFields<'a> {
        wire::fields(wire::port, self.raw)
    }

    /// The node the port lives on.
    pub fn node(&self) -> Atom<'a> {
        self.fields().node.into()
    }

    /// The port number.
    pub fn id(&self) -> u64 {
        self.fields().id
    }

    /// The node's creation (incarnation).
    pub fn creation(&self) -> u32 {
        self.fields().creation
    }
}

/// A reference: node, creation and 1 to 5 identifier words.
#[derive(Clone, Copy, Debug)]
pub struct Reference<'a> {
    raw: &'a [u8],
}

impl<'a> Reference<'a> {
    fn fields(&self) -> wire::ReferenceFields<'a> {
        wire::fields(wire::reference, self.raw)
    }

    /// The node the reference was made on.
    pub fn node(&self) -> Atom<'a> {
        self.fields().node.into()
    }

    /// The node's creation (incarnation).
    pub fn creation(&self) -> u32 {
        self.fields().creation
    }

    /// The identifier words, in the order written.
    pub fn ids(&self) -> impl ExactSizeIterator<Item = u32> + 'a {
        self.fields().words.chunks_exact(4).map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
    }
}

/// A fun (closure) from `NEW_FUN_EXT`.
#[derive(Clone, Copy, Debug)]
pub struct Fun<'a> {
    /// From the fun's tag to the end of the input (to the fun's end when `exact`).
    raw: &'a [u8],
    exact: bool,
}

impl<'a> Fun<'a> {
    fn fields(&self) -> wire::FunFields<'a> {
        wire::fields(wire::fun, self.raw)
    }

    /// The number of arguments.
    pub fn arity(&self) -> u8 {
        self.fields().arity
    }

    /// The MD5 of the module's code that defines the fun.
    pub fn uniq(&self) -> [u8; 16] {
        self.fields().uniq
    }

    /// The fun's index in its module.
    pub fn index(&self) -> u32 {
        self.fields().index
    }

    /// The module that defines the fun.
    pub fn module(&self) -> Atom<'a> {
        self.fields().module.into()
    }

    /// The old index (an integer).
    pub fn old_index(&self) -> i64 {
        small(self.fields().old_index)
    }

    /// The old uniq (an integer).
    pub fn old_uniq(&self) -> i64 {
        small(self.fields().old_uniq)
    }

    /// Where the creator pid starts.
    fn body(&self) -> &'a [u8] {
        let (_, len) = wire::head_of(self.raw);
        self.raw.get(len..).unwrap_or(&[])
    }

    /// The process that created the fun (OTP 25 accepts any term here).
    pub fn pid(&self) -> Term<'a> {
        term_at(self.body()).0
    }

    /// The captured variables, in environment order.
    pub fn free_variables(&self) -> Elements<'a> {
        let mut elements = Elements::new(self.body(), 1 + u64::from(self.fields().free));
        elements.next();
        elements
    }
}

fn small(value: Int<'_>) -> i64 {
    match value {
        Int::Small(v) => v,
        Int::Big { .. } => 0,
    }
}

/// An export fun, `fun Module:Function/Arity`.
#[derive(Clone, Copy, Debug)]
pub struct Export<'a> {
    raw: &'a [u8],
}

impl<'a> Export<'a> {
    fn fields(&self) -> wire::ExportFields<'a> {
        wire::fields(wire::export, self.raw)
    }

    /// The module.
    pub fn module(&self) -> Atom<'a> {
        self.fields().module.into()
    }

    /// The function.
    pub fn function(&self) -> Atom<'a> {
        self.fields().function.into()
    }

    /// The arity (any non-negative small integer: Erlang accepts more than 255).
    pub fn arity(&self) -> u64 {
        small(self.fields().arity) as u64
    }
}
