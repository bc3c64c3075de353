//! No input makes decoding panic, and everything a decoded view offers is total.

use erlport_codec::{Term, decode, decode_prefix};
use proptest::prelude::*;

/// Walks every part of a view (recursively: test inputs are shallow) and prints it.
fn walk(term: &Term<'_>, depth: usize) {
    if depth > 50 {
        return;
    }
    let _ = term.to_string();
    let _ = term.exact_cmp(term);
    match term {
        Term::Tuple(t) => t.iter().for_each(|e| walk(&e, depth + 1)),
        Term::List(l) => {
            let mut iter = l.iter();
            iter.by_ref().for_each(|e| walk(&e, depth + 1));
            walk(&iter.tail(), depth + 1);
            let _ = (l.len(), l.is_proper(), l.as_string_bytes());
        }
        Term::Map(m) => m.iter().for_each(|(k, v)| {
            walk(&k, depth + 1);
            walk(&v, depth + 1);
            let _ = m.get(&k);
        }),
        Term::Fun(f) => {
            walk(&f.pid(), depth + 1);
            f.free_variables().for_each(|e| walk(&e, depth + 1));
        }
        Term::BigInt(b) => {
            let _ = (b.to_i128(), b.to_i64());
        }
        Term::Atom(a) => {
            let _ = (a.as_str(), a.chars().count(), a.char_count());
        }
        _ => {}
    }
}

/// Bytes that look like terms: tag bytes and small lengths are likely.
fn termish() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        3 => prop::sample::select(vec![70u8, 77, 88, 89, 90, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 118, 119, 120]),
        3 => 0u8..8,
        2 => any::<u8>(),
    ];
    prop::collection::vec(byte, 0..200).prop_map(|mut v| {
        v.insert(0, 131);
        v
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 20_000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Ok((term, used)) = decode_prefix(&bytes) {
            prop_assert!(used <= bytes.len());
            walk(&term, 0);
        }
        let _ = decode(&bytes);
    }

    #[test]
    fn term_like_bytes(bytes in termish()) {
        match decode_prefix(&bytes) {
            Ok((term, used)) => {
                prop_assert!(used <= bytes.len());
                walk(&term, 0);
                // Whatever was accepted is accepted again from exactly the bytes used.
                prop_assert!(decode(&bytes[..used]).is_ok());
            }
            Err(e) => {
                prop_assert!(e.offset() <= bytes.len());
                let _ = e.to_string();
            }
        }
    }
}
