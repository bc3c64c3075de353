//! Fuzz target bodies (feature `fuzz`): cargo-fuzz runs them under libFuzzer, and a plain
//! test replays the committed corpus through them on stable. Each one panics only when a
//! property of the codec fails.

extern crate std;

use crate::{
    Atom, AtomEncoding, BitBinary, Encode, EncodeError, Encoder, Sink, Term, decode, decode_prefix, decode_prefix_in,
    encode_with, encoded_len_with,
};
use arbitrary::{Arbitrary, Unstructured};
use core::cmp::Ordering;
use std::string::{String, ToString};
use std::vec;
use std::vec::Vec;

/// Visits every part of a view (to a depth of 64) and prints it.
fn walk(term: &Term<'_>, depth: usize) {
    let _ = term.to_string();
    if depth == 64 {
        return;
    }
    match term {
        Term::Tuple(t) => t.iter().for_each(|e| walk(&e, depth + 1)),
        Term::List(l) => {
            let mut iter = l.iter();
            iter.by_ref().for_each(|e| walk(&e, depth + 1));
            walk(&iter.tail(), depth + 1);
        }
        Term::Map(m) => m.iter().for_each(|(k, v)| {
            walk(&k, depth + 1);
            walk(&v, depth + 1);
        }),
        Term::Fun(f) => {
            walk(&f.pid(), depth + 1);
            f.free_variables().for_each(|e| walk(&e, depth + 1));
        }
        _ => {}
    }
}

/// Any bytes: decoding never panics, and an accepted term can be walked and printed.
pub fn decode_any(data: &[u8]) {
    match decode_prefix(data) {
        Ok((term, used)) => {
            assert!(used <= data.len());
            walk(&term, 0);
            assert!(decode(&data[..used]).is_ok());
        }
        Err(e) => {
            assert!(e.offset() <= data.len());
            let _ = e.to_string();
        }
    }
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
        assert_eq!(term.exact_cmp(&again), Ok(Ordering::Equal), "{term} became {again}");
    }
}

/// Compressed input with a scratch buffer the first byte sizes: too small, exact, or large.
pub fn compressed(data: &[u8]) {
    let Some((&choice, input)) = data.split_first() else { return };
    let declared = crate::compressed_size(input).map_or(0, |n| n as usize);
    let size = match choice % 3 {
        0 => usize::from(choice),
        1 => declared.min(1 << 20),
        _ => (declared + 64).min(1 << 20),
    };
    let mut scratch = vec![0u8; size];
    match decode_prefix_in(input, &mut scratch) {
        Ok((term, used)) => {
            assert!(used <= input.len());
            walk(&term, 0);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// A Rust value to encode, built by `arbitrary`.
#[derive(Arbitrary, Debug)]
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
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), EncodeError> {
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
            matches!(e.kind(), crate::DecodeErrorKind::DuplicateMapKey { .. }),
            "our own encoding was refused: {e}"
        ),
    }
}
