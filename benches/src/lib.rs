//! What the benchmarks share: the committed inputs, and the full walk every decode is
//! followed by (so that laziness flatters no one).

use erlport_codec::{Atom, Decoder, Encode, Encoder, Sink, Term, Visit};
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

/// Decodes into an index kept in `words` (inflating into `scratch` when compressed) and walks
/// the views read through it with `walker`.
pub fn decode_indexed_walk(
    bytes: &[u8],
    scratch: &mut [u8],
    words: &mut Vec<u32>,
    walker: fn(&Term<'_>) -> u64,
) -> u64 {
    let index = Decoder::new().scratch(scratch).decode_indexed(black_box(bytes), words).unwrap();
    walker(&index.term())
}

/// The same visit written the way a user writes it by hand: recursion over the views'
/// iterators (`match`, `iter()`, a list's tail, a map's pairs).
pub fn walk_recursive(term: &Term<'_>) -> u64 {
    match term {
        Term::List(l) => {
            let mut iter = l.iter();
            let sum = iter.by_ref().fold(0u64, |acc, t| acc.wrapping_add(walk_recursive(&t)));
            sum.wrapping_add(walk_recursive(&iter.tail()))
        }
        Term::Tuple(t) => t.iter().fold(0, |acc, e| acc.wrapping_add(walk_recursive(&e))),
        Term::Map(m) => {
            m.iter().fold(0, |acc, (k, v)| acc.wrapping_add(walk_recursive(&k)).wrapping_add(walk_recursive(&v)))
        }
        leaf => leaf_value(leaf),
    }
}

/// Input b as Rust values: `#{id => N, name => <<"userN">>, score => F, tags => [atom1,
/// atom2]}`, encoded with the `Encoder`.
pub struct User {
    /// `id`.
    pub id: i64,
    /// `name`, a binary.
    pub name: String,
    /// `score`.
    pub score: f64,
}

impl User {
    /// The 10,000 users of input b.
    pub fn input_b() -> Vec<User> {
        (1..=10_000).map(|n| User { id: n, name: format!("user{n}"), score: n as f64 * 1.5 }).collect()
    }
}

impl Encode for User {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
        e.map(4, |e| {
            e.atom("id")?;
            e.integer(self.id)?;
            e.atom("name")?;
            e.binary(self.name.as_bytes())?;
            e.atom("score")?;
            e.float(self.score)?;
            e.atom("tags")?;
            [Atom::new("atom1"), Atom::new("atom2")].encode(e)
        })
    }
}

/// Input b read with serde, borrowing.
#[derive(serde::Deserialize, serde::Serialize)]
pub struct UserRef<'a> {
    /// `id`.
    pub id: i64,
    /// `name`, borrowed from the input.
    pub name: &'a str,
    /// `score`.
    pub score: f64,
    /// `tags`, atoms borrowed from the input.
    pub tags: Vec<&'a str>,
}
