//! `ArbitraryTerm` (feature `arbitrary`): every generated term is valid, of every kind, and
//! written as Erlang writes it. 10,000 of them go through a real VM: `binary_to_term` reads
//! each and `term_to_binary` writes the same bytes (minor versions 2 and 1).
#![cfg(feature = "arbitrary")]

mod common;

use arbitrary::{Arbitrary, Unstructured};
use erlport_codec::{ArbitraryTerm, AtomEncoding, Term, decode, encode_with, encoded_len_with};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Deterministic bytes of varying lengths (xorshift), for reproducible terms.
fn inputs(count: usize, seed: u64) -> impl Iterator<Item = Vec<u8>> {
    let mut state = seed;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count).map(move |i| {
        let len = [16, 64, 256, 1024, 4096][i % 5];
        (0..len).map(|_| next() as u8).collect()
    })
}

/// `count` terms (inputs too short for one are skipped).
fn terms(count: usize, seed: u64) -> Vec<ArbitraryTerm> {
    inputs(usize::MAX, seed)
        .filter_map(|bytes| ArbitraryTerm::arbitrary(&mut Unstructured::new(&bytes)).ok())
        .take(count)
        .collect()
}

fn bytes(term: &ArbitraryTerm, atoms: AtomEncoding) -> Vec<u8> {
    let len = encoded_len_with(term, atoms).expect("a generated term encodes");
    let mut buf = vec![0u8; len];
    assert_eq!(encode_with(term, &mut buf, atoms), Ok(len));
    buf
}

/// The kinds in a view, counted.
fn kinds(term: &Term<'_>, seen: &mut BTreeMap<&'static str, usize>) {
    let kind = match term {
        Term::Integer(_) => "integer",
        Term::BigInt(_) => "bigint",
        Term::Float(_) => "float",
        Term::Atom(a) if a.chars().any(|c| c as u32 > 255) => "atom beyond latin-1",
        Term::Atom(_) => "latin-1 atom",
        Term::Binary(_) => "binary",
        Term::BitBinary(_) => "bitstring",
        Term::Nil => "[]",
        Term::List(l) if !l.is_proper() => "improper list",
        Term::List(_) => "list",
        Term::Tuple(_) => "tuple",
        Term::Map(_) => "map",
        Term::Pid(_) => "pid",
        Term::Port(_) => "port",
        Term::Reference(_) => "reference",
        Term::Fun(_) => "fun",
        Term::Export(_) => "export",
    };
    *seen.entry(kind).or_default() += 1;
    match term {
        Term::List(l) => {
            let mut iter = l.iter();
            iter.by_ref().for_each(|t| kinds(&t, seen));
            kinds(&iter.tail(), seen);
        }
        Term::Tuple(t) => t.iter().for_each(|t| kinds(&t, seen)),
        Term::Map(m) => m.iter().for_each(|(k, v)| {
            kinds(&k, seen);
            kinds(&v, seen);
        }),
        _ => {}
    }
}

#[test]
fn generated_terms_are_valid_canonical_and_of_every_kind() {
    let mut seen = BTreeMap::new();
    let all = terms(10_000, 0x2026_1126);
    assert_eq!(all.len(), 10_000);
    for term in &all {
        for atoms in [AtomEncoding::Utf8, AtomEncoding::Latin1] {
            let etf = bytes(term, atoms);
            let view = decode(&etf).unwrap_or_else(|e| panic!("{term:?}: {e}"));
            // The codec writes a view back as it was: canonical input stays the same bytes.
            assert_eq!(bytes_of_view(&view, atoms), etf, "{term:?}");
            assert_eq!(view.exact_cmp(&view), Ordering::Equal);
            if atoms == AtomEncoding::Utf8 {
                kinds(&view, &mut seen);
            }
        }
    }
    for kind in [
        "integer",
        "bigint",
        "float",
        "latin-1 atom",
        "atom beyond latin-1",
        "binary",
        "bitstring",
        "[]",
        "list",
        "improper list",
        "tuple",
        "map",
        "pid",
        "port",
        "reference",
        "fun",
        "export",
    ] {
        assert!(seen.get(kind).copied().unwrap_or(0) >= 20, "{kind}: {seen:?}");
    }
}

fn bytes_of_view(view: &Term<'_>, atoms: AtomEncoding) -> Vec<u8> {
    let len = encoded_len_with(view, atoms).unwrap();
    let mut buf = vec![0u8; len];
    encode_with(view, &mut buf, atoms).unwrap();
    buf
}

#[test]
fn erlang_reads_each_and_writes_the_same_bytes() {
    if !common::erl_available() {
        return;
    }
    let all = terms(10_000, 0x1511);
    assert_eq!(all.len(), 10_000);
    let mut lines = Vec::new();
    for (i, term) in all.iter().enumerate() {
        let (mode, atoms) = if i % 2 == 0 { ("mv2", AtomEncoding::Utf8) } else { ("mv1", AtomEncoding::Latin1) };
        lines.push(format!("{mode}\t{}\t-", common::to_hex(&bytes(term, atoms))));
    }
    common::encode_check("arbitrary-terms.tsv", &lines.join("\n"), lines.len());
}
