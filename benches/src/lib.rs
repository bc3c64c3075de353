//! What the benchmarks share: the committed inputs, and the full walk every decode is
//! followed by (so that laziness flatters no one).

use erlport_codec::{Decoder, Term, Visit};
use std::hint::black_box;

/// A committed input: `benches/data/<name>.etf`.
pub fn input(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/data/{name}.etf", env!("CARGO_MANIFEST_DIR"))).expect("benches/data")
}

/// Visits every leaf of one of our views with `Term::walk`, the crate's full walk.
pub fn walk(term: &Term<'_>) -> u64 {
    term.walk().fold(0u64, |acc, visit| match visit {
        Visit::Leaf(leaf) => acc.wrapping_add(leaf_value(&leaf)),
        _ => acc,
    })
}

/// Something read from each leaf, so that no leaf's decoding can be skipped.
pub fn leaf_value(term: &Term<'_>) -> u64 {
    match term {
        Term::Integer(v) => *v as u64,
        Term::Float(v) => v.to_bits(),
        Term::Atom(a) => a.as_bytes().len() as u64,
        Term::Binary(b) => b.len() as u64,
        _ => 1,
    }
}

/// Decodes (inflating into `scratch` when compressed) and walks with `walker`.
pub fn decode_walk(bytes: &[u8], scratch: &mut [u8], walker: fn(&Term<'_>) -> u64) -> u64 {
    let term = Decoder::new().scratch(scratch).decode(black_box(bytes)).unwrap();
    walker(&term)
}
