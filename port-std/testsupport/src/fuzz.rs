//! The codec's fuzz target bodies: cargo-fuzz runs them under libFuzzer, and this crate's
//! tests replay the committed corpus through them on stable. Each one panics only when a
//! property of the codec fails. Every accepted term is walked completely (no depth cap: the
//! walk is iterative), printed, and compared with itself, so slowness in any of those shows
//! up as a fuzzer timeout.

use arbitrary::{Arbitrary, Unstructured};
use erlport_codec::{
    Atom, AtomEncoding, BitBinary, Decoder, Elements, Encode, EncodeError, Encoder, ListIter, Pairs, Sink, Term, Visit,
    decode, decode_prefix, encode_with, encoded_len_with,
};
use std::cmp::Ordering;

/// Walks every part of a view, prints it, and compares it with itself.
fn walk(term: &Term<'_>) {
    let _ = term.to_string();
    let mut depth = 0usize;
    for visit in term.walk() {
        match visit {
            Visit::Open(_) => depth += 1,
            Visit::Close => depth -= 1,
            Visit::Leaf(leaf) => {
                let _ = leaf.to_string();
            }
            Visit::Tail => {}
        }
    }
    assert_eq!(depth, 0, "every Open has its Close");
    // `fold`, with its loops for runs of integers, hands out exactly what `next` does.
    let step = |acc: u64, visit: Visit<'_>| {
        let code = match visit {
            Visit::Open(_) => 1,
            Visit::Close => 2,
            Visit::Tail => 3,
            Visit::Leaf(Term::Integer(v)) => (v as u64) ^ 0x5555_5555_5555_5555,
            Visit::Leaf(_) => 4,
        };
        acc.wrapping_mul(1_000_003).wrapping_add(code)
    };
    let mut by_next = 0u64;
    for visit in term.walk() {
        by_next = step(by_next, visit);
    }
    assert_eq!(term.walk().fold(0u64, step), by_next, "fold and next walk {term} alike");
    assert_eq!(term.exact_cmp(term), Ordering::Equal);
}

/// Something of a leaf, to tell sequences of leaves apart.
fn leaf_code(term: &Term<'_>) -> u64 {
    match term {
        Term::Integer(v) => *v as u64,
        Term::Float(v) => v.to_bits(),
        Term::Atom(a) => {
            1 << 40 | (a.as_bytes().len() as u64) << 8 | u64::from(a.as_bytes().first().copied().unwrap_or(0))
        }
        Term::Binary(b) => 2 << 40 | b.len() as u64,
        Term::BitBinary(_) => 3 << 40,
        Term::BigInt(_) => 4 << 40,
        Term::Pid(_) => 5 << 40,
        Term::Port(_) => 6 << 40,
        Term::Reference(_) => 7 << 40,
        Term::Fun(_) => 8 << 40,
        Term::Export(_) => 9 << 40,
        Term::Nil | Term::List(_) | Term::Tuple(_) | Term::Map(_) => 10 << 40,
    }
}

/// The leaves `Term::walk` visits, in order: `[]` left out (a proper list's tail is not
/// visited), a fun as one leaf (its contents left out).
fn walked_leaves(term: &Term<'_>) -> Vec<u64> {
    let (mut out, mut in_fun) = (Vec::new(), 0usize);
    for visit in term.walk() {
        match visit {
            Visit::Open(Term::Fun(fun)) => {
                if in_fun == 0 {
                    out.push(leaf_code(&Term::Fun(fun)));
                }
                in_fun += 1;
            }
            Visit::Open(_) if in_fun > 0 => in_fun += 1,
            Visit::Close if in_fun > 0 => in_fun -= 1,
            Visit::Leaf(leaf) if in_fun == 0 && !matches!(leaf, Term::Nil) => out.push(leaf_code(&leaf)),
            _ => {}
        }
    }
    out
}

/// The same leaves read through the views' iterators, depth first with a stack of them (no
/// recursion, whatever the depth): a list's elements then its tail, a map's keys and values.
fn viewed_leaves(term: &Term<'_>) -> Vec<u64> {
    enum Open<'a> {
        List(ListIter<'a>),
        Tuple(Elements<'a>),
        Map(Pairs<'a>, Option<Term<'a>>),
    }
    let mut out = Vec::new();
    let mut stack = Vec::new();
    let mut next = Some(*term);
    loop {
        match next.take() {
            Some(Term::List(list)) => stack.push(Open::List(list.iter())),
            Some(Term::Tuple(tuple)) => stack.push(Open::Tuple(tuple.iter())),
            Some(Term::Map(map)) => stack.push(Open::Map(map.iter(), None)),
            Some(Term::Nil) => {}
            Some(leaf) => out.push(leaf_code(&leaf)),
            None => {}
        }
        let Some(top) = stack.last_mut() else { return out };
        next = match top {
            Open::List(items) => match items.next() {
                Some(item) => Some(item),
                None => {
                    let tail = items.tail();
                    stack.pop();
                    Some(tail)
                }
            },
            Open::Tuple(items) => {
                let item = items.next();
                if item.is_none() {
                    stack.pop();
                }
                item
            }
            Open::Map(pairs, value) => match value.take() {
                Some(value) => Some(value),
                None => match pairs.next() {
                    Some((key, value_next)) => {
                        *value = Some(value_next);
                        Some(key)
                    }
                    None => {
                        stack.pop();
                        None
                    }
                },
            },
        };
    }
}

/// Any bytes: decoding never panics, and an accepted term can be walked and printed; its
/// views' iterators hand out the leaves `Term::walk` visits, with an index and without.
pub fn decode_any(data: &[u8]) {
    match decode_prefix(data) {
        Ok((term, used)) => {
            assert!(used <= data.len());
            walk(&term);
            let walked = walked_leaves(&term);
            let mut words = Vec::new();
            let index = Decoder::new().decode_indexed(&data[..used], &mut words).expect("decoded once already");
            assert_eq!(viewed_leaves(&index.term()), walked, "views through an index");
            // Without an index, a container nested first is stepped over again by every level
            // above it: quadratic in the depth, so only on inputs too small for that to matter.
            if used <= 4096 {
                assert_eq!(viewed_leaves(&term), walked, "views");
            }
            assert!(decode(&data[..used]).is_ok());
            // Comparing two terms gives opposite answers the two ways round: this term
            // against a second one after it, and the first elements of a list or tuple
            // against each other.
            if let Ok((next, _)) = decode_prefix(&data[used..]) {
                antisymmetric(&term, &next);
            }
            let elements: Vec<Term<'_>> = match term {
                Term::List(list) => list.iter().take(8).collect(),
                Term::Tuple(tuple) => tuple.iter().take(8).collect(),
                _ => Vec::new(),
            };
            for (i, a) in elements.iter().enumerate() {
                for b in &elements[i..] {
                    antisymmetric(a, b);
                }
            }
        }
        Err(e) => {
            assert!(e.offset() <= data.len());
            let _ = e.to_string();
        }
    }
}

fn antisymmetric(a: &Term<'_>, b: &Term<'_>) {
    assert_eq!(a.exact_cmp(b), b.exact_cmp(a).reverse(), "{a} against {b}");
}

/// Decode, re-encode, decode: the re-encoding has the predicted length and decodes to an
/// equal term.
pub fn roundtrip(data: &[u8]) {
    let Ok((term, _)) = decode_prefix(data) else { return };
    for atoms in [AtomEncoding::Utf8, AtomEncoding::Latin1] {
        let len = encoded_len_with(&term, atoms).expect("a view always encodes");
        let mut buf = vec![0u8; len];
        assert_eq!(encode_with(&term, &mut buf, atoms), Ok(len));
        let again = decode(&buf).expect("a re-encoded view decodes");
        assert_eq!(term.exact_cmp(&again), Ordering::Equal, "{term} became {again}");
    }
}

/// Compressed input with a scratch buffer the first byte sizes: too small, exact, or large.
pub fn compressed(data: &[u8]) {
    let Some((&choice, input)) = data.split_first() else { return };
    let declared = erlport_codec::compressed_size(input).map_or(0, |n| n as usize);
    let size = match choice % 3 {
        0 => usize::from(choice),
        1 => declared.min(1 << 20),
        _ => (declared + 64).min(1 << 20),
    };
    let mut scratch = vec![0u8; size];
    match Decoder::new().scratch(&mut scratch).decode_prefix(input) {
        Ok((term, used)) => {
            assert!(used <= input.len());
            walk(&term);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// A Rust value to encode, built by `arbitrary`.
#[derive(Debug)]
pub enum Value {
    /// An integer.
    Int(i64),
    /// A 128-bit integer.
    Wide(i128),
    /// A float (non-finite ones must be refused).
    Float(f64),
    /// An atom.
    Atom(String),
    /// A binary.
    Binary(Vec<u8>),
    /// A bitstring.
    Bits(Vec<u8>, u8),
    /// A list.
    List(Vec<Value>),
    /// A tuple.
    Tuple(Vec<Value>),
    /// A map (keys in the order given; duplicates make it invalid to decode).
    Map(Vec<(Value, Value)>),
}

impl Encode for Value {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
        match self {
            Value::Int(v) => e.integer(*v),
            Value::Wide(v) => e.i128(*v),
            Value::Float(v) => e.float(*v),
            Value::Atom(text) => Atom::new(text).encode(e),
            Value::Binary(bytes) => e.binary(bytes),
            Value::Bits(bytes, bits) => BitBinary::new(bytes, *bits).encode(e),
            Value::List(items) => items.as_slice().encode(e),
            Value::Tuple(items) => e.tuple(items.len(), |e| items.iter().try_for_each(|i| i.encode(e))),
            Value::Map(pairs) => e.map(pairs.len(), |e| {
                pairs.iter().try_for_each(|(k, v)| {
                    k.encode(e)?;
                    v.encode(e)
                })
            }),
        }
    }

    fn as_byte(&self) -> Option<u8> {
        match self {
            Value::Int(v) => u8::try_from(*v).ok(),
            _ => None,
        }
    }
}

/// Containers nested deeper than this are not generated: the generator, `Value`'s encoding
/// and its drop recurse (the codec itself does not), and a fuzzer's 1 MiB input would
/// otherwise overflow the stack in this harness.
const MAX_VALUE_DEPTH: u32 = 64;

impl<'a> Arbitrary<'a> for Value {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        value(u, 0)
    }
}

fn value(u: &mut Unstructured<'_>, depth: u32) -> arbitrary::Result<Value> {
    let kinds = if depth < MAX_VALUE_DEPTH { 9 } else { 6 };
    let items = |u: &mut Unstructured<'_>| -> arbitrary::Result<Vec<Value>> {
        let n = u.arbitrary_len::<u8>()?;
        (0..n).map(|_| value(u, depth + 1)).collect()
    };
    Ok(match u.choose_index(kinds)? {
        0 => Value::Int(u.arbitrary()?),
        1 => Value::Wide(u.arbitrary()?),
        2 => Value::Float(u.arbitrary()?),
        3 => Value::Atom(u.arbitrary()?),
        4 => Value::Binary(u.arbitrary()?),
        5 => Value::Bits(u.arbitrary()?, u.arbitrary()?),
        6 => Value::List(items(u)?),
        7 => Value::Tuple(items(u)?),
        _ => {
            let n = u.arbitrary_len::<[u8; 2]>()?;
            Value::Map(
                (0..n).map(|_| Ok((value(u, depth + 1)?, value(u, depth + 1)?))).collect::<arbitrary::Result<_>>()?,
            )
        }
    })
}

/// Arbitrary values: encoding fails cleanly or writes exactly `encoded_len` bytes, which
/// decode (unless a map repeats a key) and re-encode to the same bytes.
pub fn encode_values(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(value) = Value::arbitrary(&mut u) else { return };
    let Ok(len) = encoded_len_with(&value, AtomEncoding::Utf8) else { return };
    let mut buf = vec![0u8; len];
    assert_eq!(encode_with(&value, &mut buf, AtomEncoding::Utf8), Ok(len));
    for short in [0, len / 2, len.saturating_sub(1)] {
        if short < len {
            let mut small = vec![0u8; short];
            assert_eq!(
                encode_with(&value, &mut small, AtomEncoding::Utf8),
                Err(EncodeError::BufferTooSmall { needed: len })
            );
        }
    }
    match decode(&buf) {
        Ok(term) => {
            let mut again = vec![0u8; len];
            assert_eq!(encode_with(&term, &mut again, AtomEncoding::Utf8), Ok(len));
            assert_eq!(again, buf);
        }
        Err(e) => assert!(
            matches!(e.kind(), erlport_codec::DecodeErrorKind::DuplicateMapKey { .. }),
            "our own encoding was refused: {e}"
        ),
    }
}

/// A recursive type of every serde shape, for [`typed`].
#[derive(serde::Deserialize, serde::Serialize, Debug, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// A unit variant (an atom).
    Leaf,
    /// A newtype variant: `{int, N}`.
    Int(i64),
    /// Text (binaries, atoms, charlists).
    Text(String),
    /// A binary.
    Bin(#[serde(with = "serde_bytes")] Vec<u8>),
    /// A list.
    List(Vec<Shape>),
    /// A tuple variant (a record).
    Pair(Box<Shape>, Box<Shape>),
    /// A map of binary or atom keys.
    Map(std::collections::BTreeMap<String, Shape>),
    /// An optional value.
    Opt(Option<Box<Shape>>),
    /// A struct variant.
    Rec {
        /// A field.
        a: i64,
        /// Another.
        b: Vec<Shape>,
    },
}

/// A struct of borrowed fields, read from a map (key order checked as it is read).
#[derive(serde::Deserialize, Debug, PartialEq)]
pub struct Borrowed<'a> {
    /// A field.
    a: Option<i64>,
    /// Text borrowed from a binary or an atom.
    #[serde(borrow)]
    b: Option<&'a str>,
    /// Bytes borrowed from a binary.
    #[serde(borrow)]
    c: Option<&'a [u8]>,
    /// A float (integers too).
    d: Option<f64>,
}

/// An integer, or 0 for anything else: a value whose reading goes on after an error.
#[derive(Debug, PartialEq)]
pub struct Lenient(i64);

impl<'de> serde::Deserialize<'de> for Lenient {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Lenient(<i64 as serde::Deserialize>::deserialize(deserializer).unwrap_or(0)))
    }
}

/// `from_bytes` (one pass that checks as it reads) gives what validating first and then
/// reading gives (`decode`, then `from_term`): the same value, or an error both ways.
fn one_pass_agrees<'a, T>(data: &'a [u8])
where
    T: serde::Deserialize<'a> + PartialEq + core::fmt::Debug,
{
    let one = erlport_codec::from_bytes::<T>(data);
    let two = erlport_codec::decode(data)
        .map_err(erlport_codec::DeserializeError::from)
        .and_then(erlport_codec::from_term::<T>);
    match (&one, &two) {
        (Ok(x), Ok(y)) => assert_eq!(x, y),
        (Err(_), Err(_)) => {}
        _ => panic!("one pass: {one:?}; validating first: {two:?}"),
    }
}

/// Any bytes read with serde: into nothing (`IgnoredAny`), a recursive type of every shape,
/// a capture, and a tuple of common types. Never a panic; a value read writes back to bytes
/// that read as the same value (with the predicted length), and a captured term writes back
/// as the codec's own encoder writes it. Reading in one pass agrees with validating first.
pub fn typed(data: &[u8]) {
    use erlport_codec::{encode_to_vec, from_bytes, serialized_len, to_vec};
    assert_eq!(from_bytes::<serde::de::IgnoredAny>(data).is_ok(), erlport_codec::decode(data).is_ok());
    one_pass_agrees::<Shape>(data);
    one_pass_agrees::<Borrowed>(data);
    one_pass_agrees::<Vec<Borrowed>>(data);
    one_pass_agrees::<(String, Vec<u8>, std::collections::HashMap<String, i64>, Option<bool>, f64, char)>(data);
    one_pass_agrees::<std::collections::BTreeMap<i64, Vec<Option<String>>>>(data);
    one_pass_agrees::<Vec<(u8, i128, Option<&str>)>>(data);
    one_pass_agrees::<Vec<Lenient>>(data);
    one_pass_agrees::<std::collections::BTreeMap<String, (Lenient, Lenient)>>(data);
    match from_bytes::<Shape>(data) {
        Ok(shape) => {
            let bytes = to_vec(&shape).expect("a value read writes back");
            assert_eq!(serialized_len(&shape), Ok(bytes.len()));
            assert_eq!(from_bytes::<Shape>(&bytes).ok().as_ref(), Some(&shape));
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    if let Ok(term) = from_bytes::<Term>(data) {
        assert_eq!(to_vec(&term).ok(), encode_to_vec(&term).ok(), "{term}");
    }
}
