//! `Decoder::decode_indexed`: the views read through an index give exactly what the views over
//! the bytes give (every Erlang-generated fixture, by recursion, `get`, `Map::get`, `walk` and
//! order), refuse exactly what `decode` refuses, and fit the memory the docs promise.
#![cfg(feature = "index")]
#![cfg_attr(not(feature = "alloc"), allow(dead_code, unused_imports))]

mod common;

use common::{parse, scratch_for};
use erlport_codec::{Atom, DecodeErrorKind, Decoder, Term, Visit};
use std::cmp::Ordering::Equal;
use std::fmt::Write;

/// The term, by recursion over the views as a user writes it: every element, every tail, every
/// pair, with the counts the views report.
fn render(term: &Term<'_>, out: &mut String) {
    match term {
        Term::List(list) => {
            out.push('[');
            let mut elements = list.iter();
            let mut count = 0;
            for element in elements.by_ref() {
                render(&element, out);
                out.push(',');
                count += 1;
            }
            out.push('|');
            render(&elements.tail(), out);
            write!(out, "]{count}").unwrap();
            assert_eq!(list.len(), count);
        }
        Term::Tuple(tuple) => {
            out.push('{');
            for element in tuple.iter() {
                render(&element, out);
                out.push(',');
            }
            write!(out, "}}{}", tuple.arity()).unwrap();
        }
        Term::Map(map) => {
            out.push_str("#{");
            for (key, value) in map.iter() {
                render(&key, out);
                out.push_str("=>");
                render(&value, out);
                out.push(',');
            }
            write!(out, "}}{}", map.len()).unwrap();
        }
        leaf => write!(out, "{leaf}").unwrap(),
    }
}

fn rendered(term: &Term<'_>) -> String {
    let mut out = String::new();
    render(term, &mut out);
    out
}

fn same(a: &Term<'_>, b: &Term<'_>) -> bool {
    a.exact_cmp(b) == Equal && std::mem::discriminant(a) == std::mem::discriminant(b)
}

/// Random access agrees with iteration, at every level.
fn check_access(term: &Term<'_>) {
    for visit in term.walk() {
        match visit.term() {
            Some(Term::Tuple(tuple)) => {
                for (i, element) in tuple.iter().enumerate() {
                    assert!(same(&tuple.get(i).expect("in range"), &element), "tuple element {i}");
                }
                assert!(tuple.get(tuple.arity()).is_none());
                assert!(tuple.get(usize::MAX).is_none());
            }
            Some(Term::List(list)) => {
                let mut n = 0;
                for (i, element) in list.iter().enumerate() {
                    assert!(same(&list.get(i).expect("in range"), &element), "list element {i}");
                    n += 1;
                }
                assert!(list.get(n).is_none());
                assert!(list.iter().nth(n).is_none());
            }
            Some(Term::Map(map)) => {
                for (key, value) in map.iter() {
                    assert!(same(&map.get(&key).expect("key found"), &value));
                    if let Term::Atom(atom) = key
                        && let Some(text) = atom.as_str()
                    {
                        assert!(same(&map.get_atom(text).expect("atom key found"), &value));
                    }
                }
                // Keys that may or may not be there: as a search pair by pair finds them.
                let probes = [Term::Atom(Atom::new("no such key \u{1F600}")), Term::Integer(i64::MIN), Term::Nil];
                for probe in probes {
                    let linear = map.iter().find(|(k, _)| k.exact_cmp(&probe) == Equal).map(|(_, v)| v);
                    match (map.get(&probe), linear) {
                        (None, None) => {}
                        (Some(a), Some(b)) => assert!(same(&a, &b)),
                        (a, b) => panic!("get({probe}) gives {a:?}, the pairs {b:?}"),
                    }
                }
                assert!(map.get_atom("no such key \u{1F600}").is_none());
            }
            _ => {}
        }
    }
}

fn visits(term: &Term<'_>) -> Vec<String> {
    term.walk()
        .map(|visit| match visit {
            Visit::Leaf(t) => format!("leaf {t}"),
            Visit::Open(_) => "open".into(),
            Visit::Tail => "tail".into(),
            Visit::Close => "close".into(),
        })
        .collect()
}

#[cfg(feature = "alloc")]
#[test]
fn indexed_views_read_every_fixture_as_the_byte_views_do() {
    let text = std::fs::read_to_string(common::fixtures_dir().join("fixtures/decode.tsv")).expect("fixtures");
    let cases = parse(&text);
    // Recursion as users write it, over terms nested as deep as the fixtures go.
    let checked = std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(move || {
            let mut checked = 0;
            let mut words = Vec::new();
            for case in &cases {
                let mut scratch = scratch_for(&case.input);
                let plain = Decoder::new().scratch(&mut scratch).decode(&case.input);
                let mut scratch2 = scratch_for(&case.input);
                let indexed = Decoder::new().scratch(&mut scratch2).decode_indexed(&case.input, &mut words);
                let at = format!("line {} ({})", case.line, case.label);
                let (plain, index) = match (plain, indexed) {
                    (Ok(plain), Ok(index)) => (plain, index),
                    (Err(a), Err(b)) => {
                        assert_eq!((a.kind(), a.offset()), (b.kind(), b.offset()), "{at}");
                        continue;
                    }
                    (a, b) => panic!("{at}: decode gives {a:?}, decode_indexed {b:?}"),
                };
                let term = index.term();
                assert_eq!(rendered(&plain), rendered(&term), "{at}");
                assert_eq!(plain.to_string(), term.to_string(), "{at}");
                assert!(same(&plain, &term), "{at}");
                assert_eq!(visits(&plain), visits(&term), "{at}");
                check_access(&term);
                // Within the promised memory: 5 words for every 2 bytes, and five more.
                let bytes = if case.input.get(1) == Some(&80) { scratch.len() } else { case.input.len() };
                assert!(index.words() <= 5 * bytes / 2 + 5, "{at}: {} words for {bytes} bytes", index.words());
                checked += 1;
            }
            checked
        })
        .expect("thread")
        .join()
        .expect("no failure");
    assert!(checked > 4_000, "{checked} fixtures decoded");
}

#[test]
fn a_slice_too_small_is_refused_at_every_size_below_the_index() {
    // term_to_binary({a, [1, {b, #{c => 2}}], <<"x">>}), then the same compressed.
    let bytes = [
        131, 104, 3, 119, 1, b'a', 108, 0, 0, 0, 2, 97, 1, 104, 2, 119, 1, b'b', 116, 0, 0, 0, 1, 119, 1, b'c', 97, 2,
        106, 109, 0, 0, 0, 1, b'x',
    ];
    let mut big = vec![0u32; 1024];
    let needed = Decoder::new().decode_indexed(&bytes, &mut big[..]).expect("fits").term().to_string();
    let mut exact = None;
    for size in 0..64 {
        let mut words = vec![0u32; size];
        match Decoder::new().decode_indexed(&bytes, &mut words[..]) {
            Ok(index) => {
                assert_eq!(index.term().to_string(), needed);
                exact.get_or_insert(size);
            }
            Err(e) => {
                assert_eq!(e.kind(), DecodeErrorKind::IndexTooSmall, "{size} words");
                assert!(exact.is_none(), "refused with {size} words after fitting in fewer");
            }
        }
    }
    // The root's block (one slot), 3 + 3 + 2 + 2 slots, 4 blocks of 4 words.
    assert_eq!(exact, Some(5 + 10 + 16));
}

#[cfg(feature = "alloc")]
#[test]
fn compressed_terms_are_indexed_in_the_scratch() {
    // term_to_binary(lists:duplicate(20, {a}), [compressed]) made by hand: 20 one-tuples.
    let mut term = vec![131, 108, 0, 0, 0, 20];
    for _ in 0..20 {
        term.extend([104, 1, 119, 1, b'a']);
    }
    term.push(106);
    let compressed = erlport_codec::encode_to_vec_compressed(
        &erlport_codec::decode(&term).unwrap(),
        erlport_codec::Compression::DEFAULT,
    )
    .unwrap();
    let mut scratch = vec![0u8; erlport_codec::compressed_size(&compressed).unwrap() as usize];
    let mut words = Vec::new();
    let index = Decoder::new().scratch(&mut scratch).decode_indexed(&compressed, &mut words).unwrap();
    let Term::List(list) = index.term() else { panic!("a list") };
    assert!(list.get(19).and_then(|t| t.as_tuple()).and_then(|t| t.get(0)).is_some_and(|a| a.is_atom("a")));
    assert!(list.get(20).is_none());
}

#[test]
fn trailing_bytes_are_refused_as_decode_refuses_them() {
    let mut words = [0u32; 8];
    let e = Decoder::new().decode_indexed(&[131, 97, 1, 0], &mut words).unwrap_err();
    assert_eq!((e.kind(), e.offset()), (DecodeErrorKind::TrailingBytes { count: 1 }, 3));
}
