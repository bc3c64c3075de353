//! `from_bytes` reads in one pass, checking as it goes: against what `binary_to_term` refuses
//! (Erlang writes the inputs), and against visitors that stop early or ignore errors.
#![cfg(all(feature = "serde", feature = "std"))]

mod common;

use erlport_codec::{Atom, Term, decode, from_bytes, from_term, to_vec};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

#[test]
fn a_visitor_that_stops_early_leaves_the_rest_in_step() {
    use serde::de::{MapAccess, Visitor};
    /// Reads a map's first key and nothing else.
    struct FirstKey(String);
    impl<'de> Deserialize<'de> for FirstKey {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = FirstKey;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a map")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FirstKey, A::Error> {
                    Ok(FirstKey(map.next_key::<String>()?.unwrap_or_default()))
                }
            }
            d.deserialize_map(V)
        }
    }
    // {#{a => 1, b => 2}, 7} and {[{a, 1}, {b, 2}], 7}
    let map = common::atom_map(&[("a", Term::Integer(1)), ("b", Term::Integer(2))]);
    let keywords = to_vec(&[(Atom::new("a"), 1), (Atom::new("b"), 2)][..]).unwrap();
    for inner in [map, keywords] {
        let bytes = to_vec(&(decode(&inner).unwrap(), 7)).unwrap();
        let (first, seven): (FirstKey, i64) = from_bytes(&bytes).unwrap();
        assert_eq!((first.0.as_str(), seven), ("a", 7));
    }
}

/// `from_bytes` reads in one pass, checking as it goes: whatever `binary_to_term` refuses it
/// refuses too, with the error `decode` gives, whether the fault is in a part a type reads,
/// a part it skips, or the order of a map's keys.
#[test]
fn one_pass_refuses_what_binary_to_term_refuses() {
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Named<'a> {
        name: &'a str,
    }
    #[derive(Deserialize, Debug)]
    struct Nothing {}
    let a = [119, 1, b'a']; // the atom a
    let b = [119, 1, b'b'];
    let map = |pairs: &[(&[u8], &[u8])]| {
        let mut bytes = vec![131, 116, 0, 0, 0, pairs.len() as u8];
        for (k, v) in pairs {
            bytes.extend_from_slice(k);
            bytes.extend_from_slice(v);
        }
        bytes
    };
    let one = [97, 1];
    let bad_utf8_atom: &[u8] = &[119, 2, 0xC3, 0x28];
    let infinity: &[u8] = &[70, 0x7F, 0xF0, 0, 0, 0, 0, 0, 0];
    // A pid whose creation does not fit the old form's two bits.
    let bad_pid: &[u8] = &[103, 119, 1, b'n', 0, 0, 0, 1, 0, 0, 0, 0, 9];
    let mut long_latin1_atom = vec![131, 100, 1, 44];
    long_latin1_atom.extend(std::iter::repeat_n(b'x', 300));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("duplicate key, ignored by the struct", map(&[(&a, &one), (&a, &one)])),
        ("duplicate key out of order", map(&[(&b, &one), (&a, &one), (&b, &one)])),
        ("a key that is not UTF-8", map(&[(bad_utf8_atom, &one)])),
        ("a skipped value that is not valid", map(&[(&a, bad_pid), (b"\x77\x04name", &[109, 0, 0, 0, 1, b'x'])])),
        ("a float that is not finite", [&[131, 104, 1][..], infinity].concat()),
        ("a latin-1 atom of 300 characters", long_latin1_atom),
        ("bytes after the term", vec![131, 97, 1, 97, 2]),
        ("a truncated binary", vec![131, 109, 0, 0, 0, 9, 1, 2]),
        ("a list longer than the input", vec![131, 108, 0, 0, 0, 9, 97, 1, 106]),
    ];
    for (what, bytes) in &cases {
        let expected = decode(bytes).map(|_| ()).expect_err(what).to_string();
        for error in [
            from_bytes::<Nothing>(bytes).map(|_| ()),
            from_bytes::<Named>(bytes).map(|_| ()),
            from_bytes::<HashMap<String, i64>>(bytes).map(|_| ()),
            from_bytes::<(f64,)>(bytes).map(|_| ()),
            from_bytes::<serde::de::IgnoredAny>(bytes).map(|_| ()),
            from_bytes::<Term>(bytes).map(|_| ()),
        ] {
            assert_eq!(error.map_err(|e| e.to_string()), Err(expected.clone()), "{what}");
        }
    }
}

/// Maps of more than 32 keys, as Erlang writes them (in hash order, not key order), read in
/// one pass; the same with a key repeated is refused as `binary_to_term` refuses it.
#[test]
fn one_pass_reads_maps_in_hash_order() {
    if !common::erl_available() {
        return;
    }
    let map_of = |pairs: Vec<String>| format!("#{{{}}}", pairs.join(", "));
    let flat = map_of((1..=100).map(|n| format!("k{n} => {n}")).collect());
    let inner = map_of((1..=40).map(|k| format!("{k} => {k}")).collect());
    let nested = format!("[{}]", map_of((1..=40).map(|n| format!("{n} => #{{inner => {inner}}}")).collect()));
    let written = common::erlang_writes(&[&flat, &nested]);
    let keys: HashMap<String, i64> = from_bytes(&written[0]).unwrap();
    assert_eq!(keys.len(), 100);
    assert!((1..=100).all(|n| keys[&format!("k{n}")] == n));
    type Inner = HashMap<String, BTreeMap<i64, i64>>;
    let nested: Vec<BTreeMap<i64, Inner>> = from_bytes(&written[1]).unwrap();
    assert_eq!(nested[0].len(), 40);
    assert!(nested[0].values().all(|m| m["inner"].len() == 40));
    assert_eq!(nested, from_term::<Vec<BTreeMap<i64, Inner>>>(decode(&written[1]).unwrap()).unwrap());
    // The first map again, with its last key written a second time at the end.
    let mut twice = written[0].clone();
    let pairs = u32::from_be_bytes(twice[2..6].try_into().unwrap());
    twice[2..6].copy_from_slice(&(pairs + 1).to_be_bytes());
    let first_pair = &written[0][6..];
    let first_key_len = erlport_codec::decode_prefix(&[&[131][..], first_pair].concat()).unwrap().1 - 1;
    let value_len = erlport_codec::decode_prefix(&[&[131][..], &first_pair[first_key_len..]].concat()).unwrap().1 - 1;
    twice.extend_from_slice(&first_pair[..first_key_len + value_len]);
    let refused = decode(&twice).map(|_| ()).unwrap_err().to_string();
    assert!(refused.contains("map key equal to the key at byte 6"), "{refused}");
    assert_eq!(from_bytes::<HashMap<String, i64>>(&twice).map_err(|e| e.to_string()), Err(refused));
}

/// A value whose reading goes on after an error (an integer, or 0 for anything else) does
/// not let the one pass accept what `binary_to_term` refuses: after the error the reader is
/// out of step, here reading a truncated list (two elements claimed, the tail missing) as a
/// whole one.
#[test]
fn one_pass_is_not_fooled_by_a_visitor_that_ignores_errors() {
    #[derive(Debug, PartialEq)]
    struct Lenient(i64);
    impl<'de> Deserialize<'de> for Lenient {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            Ok(Lenient(i64::deserialize(d).unwrap_or(0)))
        }
    }
    // [{5}, []] with its tail missing.
    let truncated = [131, 108, 0, 0, 0, 2, 104, 1, 97, 5, 106];
    let expected = decode(&truncated).map(|_| ()).unwrap_err().to_string();
    assert_eq!(from_bytes::<Vec<Lenient>>(&truncated).map_err(|e| e.to_string()), Err(expected));
    // The same list whole: what validating first and then reading gives (after the error the
    // reader is out of step there too, so the tuple's element is read as the next element).
    let whole = [131, 108, 0, 0, 0, 2, 104, 1, 97, 5, 106, 106];
    let two_passes = from_term::<Vec<Lenient>>(decode(&whole).unwrap()).unwrap();
    assert_eq!(from_bytes::<Vec<Lenient>>(&whole).unwrap(), two_passes);
}
