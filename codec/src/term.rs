//! Views over validated bytes: [`Term`] and the types it holds.
//!
//! Every view borrows the input. Nothing here can fail: the bytes behind a view were checked
//! when it was decoded, so iterating a tuple, list or map yields [`Term`]s directly.

use crate::bytes::{big_to_i64, skip, skip_atom, slice_at, strip_high_zeros, u8_at, u16_at, u32_at, u64_at};
use crate::cmp::{atom_at, float_text_value, integer_at};
use crate::tag::Tag;
use core::fmt;

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

    /// Compares two terms exactly as Erlang orders them with `=:=` semantics for map keys:
    /// integers before floats, `1` and `1.0` unequal, two encodings of one term equal.
    ///
    /// Fails only without the `alloc` feature, for terms nested more than 32 containers deep
    /// in non-final positions.
    pub fn exact_cmp(&self, other: &Term<'_>) -> Result<core::cmp::Ordering, crate::DecodeError> {
        crate::cmp::compare_terms(self, other)
    }

    /// The bytes this term was decoded from (its encoding, without the version byte), for
    /// terms that keep them: everything but integers, floats, `[]` and empty binaries
    /// built by normalisation.
    pub(crate) fn raw(&self) -> &'a [u8] {
        match self {
            Term::BigInt(_) | Term::Atom(_) | Term::BitBinary(_) => &[],
            Term::Binary(_) | Term::Integer(_) | Term::Float(_) | Term::Nil => &[],
            Term::List(v) => v.raw,
            Term::Tuple(v) => v.raw,
            Term::Map(v) => v.raw,
            Term::Pid(v) => v.raw,
            Term::Port(v) => v.raw,
            Term::Reference(v) => v.raw,
            Term::Fun(v) => v.raw,
            Term::Export(v) => v.raw,
        }
    }
}

/// Reads the validated term at `pos`: the view and where the term ends.
#[inline]
pub(crate) fn term_at(buf: &[u8], mut pos: usize) -> (Term<'_>, usize) {
    // `[] ++ Tail` (a LIST_EXT of no elements) is the tail itself.
    while u8_at(buf, pos) == Tag::List.byte() && u32_at(buf, pos + 1) == 0 {
        pos += 5;
    }
    let tag = Tag::from_byte(u8_at(buf, pos));
    match tag {
        Tag::SmallInteger => (Term::Integer(i64::from(u8_at(buf, pos + 1))), pos + 2),
        Tag::Integer => (Term::Integer(i64::from(u32_at(buf, pos + 1) as i32)), pos + 5),
        Tag::SmallBig | Tag::LargeBig => {
            let (small, negative, magnitude, end) = integer_at(buf, pos);
            let term = match small {
                Some(value) => Term::Integer(value),
                None => Term::BigInt(BigInt { negative, magnitude }),
            };
            (term, end)
        }
        Tag::NewFloat => (Term::Float(f64::from_bits(u64_at(buf, pos + 1))), pos + 9),
        Tag::Float => (Term::Float(float_text_value(slice_at(buf, pos + 1, 31))), pos + 32),
        Tag::Atom | Tag::SmallAtom | Tag::AtomUtf8 | Tag::SmallAtomUtf8 => {
            (Term::Atom(Atom::at(buf, pos)), skip_atom(buf, pos))
        }
        Tag::Binary => {
            let len = u32_at(buf, pos + 1) as usize;
            (Term::Binary(slice_at(buf, pos + 5, len)), pos + 5 + len)
        }
        Tag::BitBinary => {
            let len = u32_at(buf, pos + 1) as usize;
            let bits = u8_at(buf, pos + 5);
            let bytes = slice_at(buf, pos + 6, len);
            let end = pos + 6 + len;
            if bits == 8 || len == 0 {
                (Term::Binary(bytes), end)
            } else {
                (Term::BitBinary(BitBinary { bytes, bits }), end)
            }
        }
        Tag::Nil => (Term::Nil, pos + 1),
        Tag::String => {
            let len = u16_at(buf, pos + 1) as usize;
            let end = pos + 3 + len;
            if len == 0 {
                (Term::Nil, end)
            } else {
                (Term::List(List { raw: slice_at(buf, pos, end - pos), first: len as u32 }), end)
            }
        }
        Tag::List => {
            let len = u32_at(buf, pos + 1);
            let end = skip(buf, pos);
            (Term::List(List { raw: slice_at(buf, pos, end - pos), first: len }), end)
        }
        Tag::SmallTuple | Tag::LargeTuple => {
            let arity = if tag == Tag::SmallTuple { u32::from(u8_at(buf, pos + 1)) } else { u32_at(buf, pos + 1) };
            let end = skip(buf, pos);
            (Term::Tuple(Tuple { raw: slice_at(buf, pos, end - pos), arity }), end)
        }
        Tag::Map => {
            let end = skip(buf, pos);
            (Term::Map(Map { raw: slice_at(buf, pos, end - pos), pairs: u32_at(buf, pos + 1) }), end)
        }
        Tag::NewPid
        | Tag::Pid
        | Tag::NewPort
        | Tag::V4Port
        | Tag::Port
        | Tag::NewerReference
        | Tag::NewReference
        | Tag::Reference
        | Tag::Export
        | Tag::NewFun => {
            let end = skip(buf, pos);
            let raw = slice_at(buf, pos, end - pos);
            let term = match tag {
                Tag::NewPid | Tag::Pid => Term::Pid(Pid { raw }),
                Tag::NewPort | Tag::V4Port | Tag::Port => Term::Port(Port { raw }),
                Tag::Export => Term::Export(Export { raw }),
                Tag::NewFun => Term::Fun(Fun { raw }),
                _ => Term::Reference(Reference { raw }),
            };
            (term, end)
        }
        // Not reachable on validated bytes.
        _ => (Term::Nil, buf.len()),
    }
}

/// An integer too large for an `i64`: a sign and a little-endian magnitude.
#[derive(Clone, Copy, Debug)]
pub struct BigInt<'a> {
    negative: bool,
    magnitude: &'a [u8],
}

impl<'a> BigInt<'a> {
    /// An integer from a sign and a little-endian magnitude, for encoding.
    pub const fn new(negative: bool, magnitude: &'a [u8]) -> Self {
        BigInt { negative, magnitude }
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
        let magnitude = strip_high_zeros(self.magnitude);
        if magnitude.len() > 16 {
            return None;
        }
        let mut le = [0u8; 16];
        le[..magnitude.len()].copy_from_slice(magnitude);
        let value = u128::from_le_bytes(le);
        if self.negative {
            if value <= 1 << 127 { Some((value as i128).wrapping_neg()) } else { None }
        } else {
            i128::try_from(value).ok()
        }
    }

    /// The value, if it fits an `i64` (never, for a `BigInt` from [`decode`](crate::decode),
    /// which gives such integers as [`Term::Integer`]).
    pub fn to_i64(&self) -> Option<i64> {
        big_to_i64(self.negative, self.magnitude)
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

impl<'a> Atom<'a> {
    #[inline]
    pub(crate) fn at(buf: &'a [u8], pos: usize) -> Self {
        // The two tags Erlang writes, without the general dispatch.
        match buf.get(pos..) {
            Some([119, len, rest @ ..]) => Atom { bytes: rest.get(..usize::from(*len)).unwrap_or(&[]), utf8: true },
            Some([100, hi, lo, rest @ ..]) => {
                let len = usize::from(u16::from_be_bytes([*hi, *lo]));
                Atom { bytes: rest.get(..len).unwrap_or(&[]), utf8: false }
            }
            _ => {
                let text = atom_at(buf, pos);
                Atom { bytes: text.bytes, utf8: text.utf8 }
            }
        }
    }

    /// An atom with this text (UTF-8).
    pub const fn new(text: &'a str) -> Self {
        Atom { bytes: text.as_bytes(), utf8: true }
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

/// The characters of an [`Atom`].
#[derive(Clone, Debug)]
pub struct AtomChars<'a> {
    inner: AtomCharsInner<'a>,
}

#[derive(Clone, Debug)]
enum AtomCharsInner<'a> {
    Latin1(core::slice::Iter<'a, u8>),
    Utf8(core::str::Chars<'a>),
}

impl<'a> AtomChars<'a> {
    pub(crate) fn new(bytes: &'a [u8], utf8: bool) -> Self {
        let inner = if utf8 {
            AtomCharsInner::Utf8(core::str::from_utf8(bytes).unwrap_or_default().chars())
        } else {
            AtomCharsInner::Latin1(bytes.iter())
        };
        AtomChars { inner }
    }
}

impl Iterator for AtomChars<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        match &mut self.inner {
            AtomCharsInner::Latin1(bytes) => bytes.next().map(|&b| char::from(b)),
            AtomCharsInner::Utf8(chars) => chars.next(),
        }
    }
}

/// A bitstring whose last byte holds 1 to 7 bits.
#[derive(Clone, Copy, Debug)]
pub struct BitBinary<'a> {
    bytes: &'a [u8],
    bits: u8,
}

impl<'a> BitBinary<'a> {
    /// A bitstring of `bytes`, of which the last holds `bits` (1..=7) high bits, for encoding.
    pub const fn new(bytes: &'a [u8], bits: u8) -> Self {
        BitBinary { bytes, bits }
    }

    /// The bytes, the last one partly used. Its unused low bits are as written, which Erlang
    /// ignores: use [`BitBinary::last_byte`] for the last byte with them cleared.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// How many high bits of the last byte belong to the bitstring (1 to 7).
    pub fn bits_in_last_byte(&self) -> u8 {
        self.bits
    }

    /// The last byte with its unused low bits cleared.
    pub fn last_byte(&self) -> u8 {
        self.bytes.last().copied().unwrap_or(0) & !(0xffu8 >> self.bits)
    }

    /// The length in bits.
    pub fn bit_len(&self) -> u64 {
        (self.bytes.len() as u64).saturating_sub(1) * 8 + u64::from(self.bits)
    }
}

/// A tuple: its arity and its elements, read lazily.
#[derive(Clone, Copy, Debug)]
pub struct Tuple<'a> {
    /// The tuple's bytes, header included.
    raw: &'a [u8],
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
        let header = if self.raw.first() == Some(&Tag::SmallTuple.byte()) { 2 } else { 5 };
        Elements { bytes: self.raw, pos: header, left: u64::from(self.arity) }
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
    bytes: &'a [u8],
    pos: usize,
    left: u64,
}

impl<'a> Iterator for Elements<'a> {
    type Item = Term<'a>;

    #[inline]
    fn next(&mut self) -> Option<Term<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let (term, end) = term_at(self.bytes, self.pos);
        self.pos = end;
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
    /// The list's bytes (`STRING_EXT` or `LIST_EXT`), header included.
    raw: &'a [u8],
    /// Elements in the first segment.
    first: u32,
}

impl<'a> List<'a> {
    fn is_string(&self) -> bool {
        self.raw.first() == Some(&Tag::String.byte())
    }

    /// The elements in order (not the tail).
    pub fn iter(&self) -> ListIter<'a> {
        if self.is_string() {
            ListIter { body: self.raw, pos: 3, string: true, left: self.first }
        } else {
            ListIter { body: self.raw, pos: 5, string: false, left: self.first }
        }
    }

    /// The bytes of a list written as `STRING_EXT` (a list of integers 0..=255), if it was.
    pub fn as_string_bytes(&self) -> Option<&'a [u8]> {
        if self.is_string() { self.raw.get(3..) } else { None }
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
    body: &'a [u8],
    pos: usize,
    /// Reading the bytes of a `STRING_EXT`.
    string: bool,
    left: u32,
}

impl<'a> ListIter<'a> {
    /// The tail, once every element was read: [`Term::Nil`] for a proper list. Before that,
    /// [`Term::Nil`] too.
    pub fn tail(&self) -> Term<'a> {
        if self.left > 0 || self.string {
            return Term::Nil;
        }
        term_at(self.body, self.pos).0
    }
}

impl<'a> Iterator for ListIter<'a> {
    type Item = Term<'a>;

    #[inline]
    fn next(&mut self) -> Option<Term<'a>> {
        loop {
            if self.left > 0 {
                self.left -= 1;
                if self.string {
                    let byte = u8_at(self.body, self.pos);
                    self.pos += 1;
                    return Some(Term::Integer(i64::from(byte)));
                }
                // Integers, the most common elements, without the general dispatch.
                match self.body.get(self.pos..).unwrap_or(&[]) {
                    [97, value, ..] => {
                        self.pos += 2;
                        return Some(Term::Integer(i64::from(*value)));
                    }
                    [98, a, b, c, d, ..] => {
                        self.pos += 5;
                        return Some(Term::Integer(i64::from(i32::from_be_bytes([*a, *b, *c, *d]))));
                    }
                    _ => {}
                }
                let (term, end) = term_at(self.body, self.pos);
                self.pos = end;
                return Some(term);
            }
            if self.string {
                return None;
            }
            // The tail may continue the list.
            let pos = self.pos;
            match Tag::from_byte(u8_at(self.body, pos)) {
                Tag::List => {
                    self.left = u32_at(self.body, pos + 1);
                    self.pos = pos + 5;
                }
                Tag::String => {
                    self.left = u32::from(u16_at(self.body, pos + 1));
                    self.pos = pos + 3;
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
    /// The map's bytes, header included.
    raw: &'a [u8],
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
        Pairs { inner: Elements { bytes: self.raw, pos: 5, left: 2 * u64::from(self.pairs) } }
    }

    /// The value for a key that is an atom with this text.
    pub fn get_atom(&self, key: &str) -> Option<Term<'a>> {
        self.iter().find(|(k, _)| k.is_atom(key)).map(|(_, v)| v)
    }

    /// The value whose key is exactly equal (`=:=`) to `key`.
    pub fn get(&self, key: &Term<'_>) -> Option<Term<'a>> {
        self.iter().find(|(k, _)| k.exact_cmp(key) == Ok(core::cmp::Ordering::Equal)).map(|(_, v)| v)
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
    inner: Elements<'a>,
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

/// The node atom at `at` and where it ends.
fn node_at(raw: &[u8], at: usize) -> (Atom<'_>, usize) {
    (Atom::at(raw, at), skip_atom(raw, at))
}

/// A process identifier: node, id, serial and creation.
#[derive(Clone, Copy, Debug)]
pub struct Pid<'a> {
    raw: &'a [u8],
}

impl<'a> Pid<'a> {
    /// The node the process lives on.
    pub fn node(&self) -> Atom<'a> {
        node_at(self.raw, 1).0
    }

    /// The process number.
    pub fn id(&self) -> u32 {
        u32_at(self.raw, node_at(self.raw, 1).1)
    }

    /// The serial number.
    pub fn serial(&self) -> u32 {
        u32_at(self.raw, node_at(self.raw, 1).1 + 4)
    }

    /// The node's creation (incarnation).
    pub fn creation(&self) -> u32 {
        let at = node_at(self.raw, 1).1 + 8;
        if self.raw.first() == Some(&Tag::NewPid.byte()) {
            u32_at(self.raw, at)
        } else {
            u32::from(u8_at(self.raw, at))
        }
    }
}

/// A port identifier: node, id and creation.
#[derive(Clone, Copy, Debug)]
pub struct Port<'a> {
    raw: &'a [u8],
}

impl<'a> Port<'a> {
    /// The node the port lives on.
    pub fn node(&self) -> Atom<'a> {
        node_at(self.raw, 1).0
    }

    /// The port number.
    pub fn id(&self) -> u64 {
        let at = node_at(self.raw, 1).1;
        if self.raw.first() == Some(&Tag::V4Port.byte()) {
            u64_at(self.raw, at)
        } else {
            u64::from(u32_at(self.raw, at))
        }
    }

    /// The node's creation (incarnation).
    pub fn creation(&self) -> u32 {
        let at = node_at(self.raw, 1).1;
        match Tag::from_byte(u8_at(self.raw, 0)) {
            Tag::V4Port => u32_at(self.raw, at + 8),
            Tag::NewPort => u32_at(self.raw, at + 4),
            _ => u32::from(u8_at(self.raw, at + 4)),
        }
    }
}

/// A reference: node, creation and 1 to 5 identifier words.
#[derive(Clone, Copy, Debug)]
pub struct Reference<'a> {
    raw: &'a [u8],
}

impl<'a> Reference<'a> {
    /// Where the node is, where the creation is and its width, where the words are and how many.
    fn layout(&self) -> (usize, usize, usize, usize, usize) {
        match Tag::from_byte(u8_at(self.raw, 0)) {
            Tag::Reference => {
                let after = skip_atom(self.raw, 1);
                (1, after + 4, 1, after, 1)
            }
            tag => {
                let words = usize::from(u16_at(self.raw, 1));
                let after = skip_atom(self.raw, 3);
                let width = if tag == Tag::NewerReference { 4 } else { 1 };
                (3, after, width, after + width, words)
            }
        }
    }

    /// The node the reference was made on.
    pub fn node(&self) -> Atom<'a> {
        Atom::at(self.raw, self.layout().0)
    }

    /// The node's creation (incarnation).
    pub fn creation(&self) -> u32 {
        let (_, at, width, _, _) = self.layout();
        if width == 4 { u32_at(self.raw, at) } else { u32::from(u8_at(self.raw, at)) }
    }

    /// The identifier words, in the order written.
    pub fn ids(&self) -> impl ExactSizeIterator<Item = u32> + 'a {
        let (_, _, _, at, count) = self.layout();
        let raw = self.raw;
        (0..count).map(move |i| u32_at(raw, at + 4 * i))
    }
}

/// A fun (closure) from `NEW_FUN_EXT`.
#[derive(Clone, Copy, Debug)]
pub struct Fun<'a> {
    raw: &'a [u8],
}

impl<'a> Fun<'a> {
    /// The number of arguments.
    pub fn arity(&self) -> u8 {
        u8_at(self.raw, 5)
    }

    /// The MD5 of the module's code that defines the fun.
    pub fn uniq(&self) -> [u8; 16] {
        crate::bytes::array_at(self.raw, 6)
    }

    /// The fun's index in its module.
    pub fn index(&self) -> u32 {
        u32_at(self.raw, 22)
    }

    /// The module that defines the fun.
    pub fn module(&self) -> Atom<'a> {
        Atom::at(self.raw, 30)
    }

    /// The old index, the old uniq, and where the creator pid starts.
    fn integers(&self) -> (i64, i64, usize) {
        let (old_index, _, _, index_end) = integer_at(self.raw, skip_atom(self.raw, 30));
        let (old_uniq, _, _, uniq_end) = integer_at(self.raw, index_end);
        (old_index.unwrap_or(0), old_uniq.unwrap_or(0), uniq_end)
    }

    /// The old index (an integer).
    pub fn old_index(&self) -> i64 {
        self.integers().0
    }

    /// The old uniq (an integer).
    pub fn old_uniq(&self) -> i64 {
        self.integers().1
    }

    /// The process that created the fun (OTP 25 accepts any term here).
    pub fn pid(&self) -> Term<'a> {
        term_at(self.raw, self.integers().2).0
    }

    /// The captured variables, in environment order.
    pub fn free_variables(&self) -> Elements<'a> {
        let (_, after_pid) = term_at(self.raw, self.integers().2);
        Elements { bytes: self.raw, pos: after_pid, left: u64::from(u32_at(self.raw, 26)) }
    }
}

/// An export fun, `fun Module:Function/Arity`.
#[derive(Clone, Copy, Debug)]
pub struct Export<'a> {
    raw: &'a [u8],
}

impl<'a> Export<'a> {
    /// The module.
    pub fn module(&self) -> Atom<'a> {
        Atom::at(self.raw, 1)
    }

    /// The function.
    pub fn function(&self) -> Atom<'a> {
        Atom::at(self.raw, skip_atom(self.raw, 1))
    }

    /// The arity (any non-negative small integer: Erlang accepts more than 255).
    pub fn arity(&self) -> u64 {
        let at = skip_atom(self.raw, skip_atom(self.raw, 1));
        integer_at(self.raw, at).0.unwrap_or(0) as u64
    }
}

impl fmt::Display for Atom<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::display::write_atom(f, *self)
    }
}
