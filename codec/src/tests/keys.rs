//! Map keys and term order: duplicates in any order and encoding, hash collisions, key memory.

use super::kinds::int_map;
use super::*;

/// Found by the differential run: an export fun's arity is a term of its own, and a key
/// comparison must step over it (and compare it) before the next element.
#[test]
fn map_keys_holding_export_funs_compare_every_element() {
    let export = [113u8, 100, 0, 6, b'e', b'r', b'l', b'a', b'n', b'g', 100, 0, 3, b'a', b'b', b's', 97, 1];
    let key = |second: &[u8]| {
        let mut k = std::vec![104u8, 2];
        k.extend(export);
        k.extend(second);
        k
    };
    let mut bytes = std::vec![131u8, 116, 0, 0, 0, 2];
    bytes.extend(key(&[97, 255]));
    bytes.extend([106]);
    bytes.extend(key(&[98, 255, 219, 135, 249]));
    bytes.extend([106]);
    assert_eq!(decode(&bytes).map(|_| ()), Ok(()), "{{fun erlang:abs/1, 255}} and {{fun erlang:abs/1, -2390023}}");
    // The same arity and element: a duplicate.
    let mut dup = std::vec![131u8, 116, 0, 0, 0, 2];
    dup.extend(key(&[97, 7]));
    dup.extend([106]);
    dup.extend(key(&[97, 7]));
    dup.extend([106]);
    assert!(matches!(kind(&dup), K::DuplicateMapKey { .. }));
    // Different arities: two keys.
    let mut arity2 = export;
    arity2[17] = 2;
    let mut two = std::vec![131u8, 116, 0, 0, 0, 2];
    two.extend(export);
    two.extend([106]);
    two.extend(arity2);
    two.extend([106]);
    assert!(decode(&two).is_ok());
}

/// Found by the differential run: an atom-index tag where a node atom goes is refused as the
/// tag it is (a deliberate difference from ERTS), not as "not an atom".
#[test]
fn atom_index_tags_are_refused_in_node_position_too() {
    let e = decode(&[131, 88, 73, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap_err();
    assert_eq!((e.kind(), e.offset(), e.tag()), (K::UnsupportedTag, 2, Some(Tag::AtomInternalRef2)));
    let e = decode(&[131, 113, 75, 0, 0, 1, 100, 0, 1, b'f', 97, 1]).unwrap_err();
    assert_eq!((e.kind(), e.offset()), (K::UnsupportedTag, 2));
}

#[test]
fn two_encodings_of_one_inner_map_are_one_key() {
    // #{#{a => 1, b => 2} => x, #{b => 2, a => 1} => y}: ERTS refuses it (badarg).
    let inner_ab = [116, 0, 0, 0, 2, 119, 1, b'a', 97, 1, 119, 1, b'b', 97, 2];
    let inner_ba = [116, 0, 0, 0, 2, 119, 1, b'b', 97, 2, 119, 1, b'a', 97, 1];
    let mut bytes = vec![131, 116, 0, 0, 0, 2];
    bytes.extend(inner_ab);
    bytes.extend([119, 1, b'x']);
    bytes.extend(inner_ba);
    bytes.extend([119, 1, b'y']);
    assert!(matches!(kind(&bytes), K::DuplicateMapKey { .. }));
    // Unordered maps of many keys with one duplicate, however written.
    let mut keys: Vec<u32> = (0..5000).collect();
    keys.reverse();
    keys.push(2500);
    let mut big = vec![131, 116];
    big.extend((keys.len() as u32).to_be_bytes());
    for k in &keys {
        big.push(98);
        big.extend(k.to_be_bytes());
        big.extend([97, 0]);
    }
    // Without `alloc`, 5,001 key offsets exceed the inline working memory.
    let expected = if cfg!(feature = "alloc") { "duplicate" } else { "needs alloc" };
    let found = match kind(&big) {
        K::DuplicateMapKey { .. } => "duplicate",
        K::NeedsAlloc => "needs alloc",
        other => panic!("{other:?}"),
    };
    assert_eq!(found, expected);
}

#[test]
fn constructors_never_print_what_erlang_would_not() {
    use crate::{BigInt, BitBinary};
    assert_eq!(Term::BigInt(BigInt::new(false, &[])).to_string(), "0");
    assert_eq!(Term::BigInt(BigInt::new(true, &[0, 0])).to_string(), "0");
    for bits in [0, 8, 9] {
        assert_eq!(Term::BitBinary(BitBinary::new(&[255], bits)).to_string(), "<<255>>");
    }
    assert_eq!(Term::BitBinary(BitBinary::new(&[255], 3)).to_string(), "<<7:3>>");
}

#[test]
fn lists_of_wide_integers_compare_by_value_however_written() {
    // [300, 400] written as one LIST_EXT, and as a LIST_EXT of one element whose tail is
    // another: one key. [300, 401]: another key.
    let one = [108, 0, 0, 0, 2, 98, 0, 0, 1, 44, 98, 0, 0, 1, 144, 106];
    let split = [108, 0, 0, 0, 1, 98, 0, 0, 1, 44, 108, 0, 0, 0, 1, 98, 0, 0, 1, 144, 106];
    let other = [108, 0, 0, 0, 2, 98, 0, 0, 1, 44, 98, 0, 0, 1, 145, 106];
    let map = |a: &[u8], b: &[u8]| {
        let mut bytes = vec![131, 116, 0, 0, 0, 2];
        bytes.extend(a);
        bytes.extend([97, 1]);
        bytes.extend(b);
        bytes.extend([97, 2]);
        bytes
    };
    assert!(matches!(kind(&map(&one, &split)), K::DuplicateMapKey { .. }));
    assert!(matches!(kind(&map(&split, &one)), K::DuplicateMapKey { .. }));
    assert!(decode(&map(&one, &other)).is_ok());
    assert!(decode(&map(&other, &one)).is_ok());
}

#[test]
fn keys_whose_hashes_all_collide_fall_back_to_sorting() {
    // Keys #{I => 0}: a key's hash stops at its first inner map, so all of them hash alike.
    let map_of_inner_maps = |keys: &[u32]| {
        let mut bytes = vec![131, 116];
        bytes.extend((keys.len() as u32).to_be_bytes());
        for k in keys {
            bytes.extend([116, 0, 0, 0, 1, 98]);
            bytes.extend(k.to_be_bytes());
            bytes.extend([97, 0, 97, 1]);
        }
        bytes
    };
    let mut keys: Vec<u32> = (0..3000).rev().collect();
    assert!(decode(&map_of_inner_maps(&keys)).is_ok() || !cfg!(feature = "alloc"));
    keys.push(1234);
    match decode(&map_of_inner_maps(&keys)) {
        Err(e) => assert!(
            matches!(e.kind(), K::DuplicateMapKey { .. }) || (!cfg!(feature = "alloc") && e.kind() == K::NeedsAlloc),
            "{e}"
        ),
        Ok(_) => panic!("a duplicate key was accepted"),
    }
}

#[test]
fn maps_of_unordered_keys_decode_without_alloc() {
    // Erlang writes maps over 32 keys in hash order; an embedded program must read them: up
    // to 224 keys in the decoder's own memory (sized for a 2 KiB stack), any number with a
    // key buffer.
    for n in [33u32, 224, 300, 1000] {
        let mut bytes = vec![131, 116];
        bytes.extend(n.to_be_bytes());
        for k in (0..n).rev() {
            bytes.push(98);
            bytes.extend(k.to_be_bytes());
            bytes.extend([97, 0]);
        }
        let mut words = [0u32; 1000];
        let term = crate::Decoder::new().key_buffer(&mut words).decode(&bytes);
        let term = term.unwrap_or_else(|e| panic!("{n} keys: {e}"));
        assert!(matches!(term, Term::Map(m) if m.len() == n as usize));
        match decode(&bytes) {
            Ok(term) => assert!(matches!(term, Term::Map(m) if m.len() == n as usize)),
            Err(e) => assert!(n > 224 && !cfg!(feature = "alloc") && e.kind() == K::NeedsAlloc, "{n} keys: {e}"),
        }
    }
}

#[test]
fn a_key_buffer_decodes_maps_of_any_size_without_alloc() {
    use crate::Decoder;
    let (big, big_dup) = (int_map(100_000, false, false), int_map(100_000, false, true));
    // One word a key is enough (keys sorted in place); more words give the hash table.
    for words in [100_000usize, 600_000] {
        let mut keys = vec![0u32; words];
        let term = Decoder::new().key_buffer(&mut keys).decode(&big).unwrap();
        assert!(matches!(term, Term::Map(m) if m.len() == 100_000));
        let mut keys = vec![0u32; words];
        let e = Decoder::new().key_buffer(&mut keys).decode(&big_dup).unwrap_err();
        assert!(matches!(e.kind(), K::DuplicateMapKey { .. }), "{e}");
    }
    // Too small a buffer is its own error, whatever the features.
    let mut keys = [0u32; 1000];
    let e = Decoder::new().key_buffer(&mut keys).decode(&big).unwrap_err();
    assert_eq!((e.kind(), e.class()), (K::KeyBufferTooSmall, crate::ErrorClass::Configuration));
    // Maps in key order need no key memory at all.
    assert!(Decoder::new().key_buffer(&mut []).decode(&int_map(100_000, true, false)).is_ok());
}

#[test]
fn error_classes_tell_format_inflate_and_configuration_apart() {
    use crate::{Decoder, ErrorClass as C};
    // term_to_binary(lists:duplicate(20, $a), [compressed])
    let compressed = [131, 80, 0, 0, 0, 23, 120, 156, 203, 102, 16, 73, 196, 2, 0, 90, 234, 8, 20];
    let class = |r: Result<Term<'_>, crate::DecodeError>| r.unwrap_err().class();
    assert_eq!(class(decode(&[131, 104])), C::Incomplete);
    assert_eq!(class(decode(&[131, 200])), C::Invalid);
    assert_eq!(class(decode(&[131, 97, 1, 0])), C::Invalid);
    assert_eq!(class(decode(&compressed)), C::Configuration);
    let mut small = [0u8; 22];
    assert_eq!(class(Decoder::new().scratch(&mut small).decode(&compressed)), C::Configuration);
    let mut scratch = [0u8; 64];
    assert_eq!(class(Decoder::new().scratch(&mut scratch).inflate_limit(22).decode(&compressed)), C::Configuration);
    let mut bad_sum = compressed;
    bad_sum[18] ^= 1;
    let mut scratch = [0u8; 64];
    assert_eq!(class(Decoder::new().scratch(&mut scratch).decode(&bad_sum)), C::Inflate);
    // A kept inflater gives the same answers, message after message.
    let mut inflater = crate::Inflater::new();
    for _ in 0..3 {
        let mut scratch = [0u8; 23];
        let term = Decoder::new().scratch(&mut scratch).inflater(&mut inflater).decode(&compressed).unwrap();
        assert_eq!(term.to_string(), std::format!("[{}]", ["97"; 20].join(",")));
    }
}

/// `#{Key1 => 1, Key2 => 2}` where the keys are maps nested `depth` deep, the innermost
/// `#{1 => [], 2 => []}`, written in key order in the first key and reversed in the second.
fn map_keys_nested(depth: usize) -> Vec<u8> {
    let inner = |reversed: bool| {
        let mut key = if reversed {
            vec![116, 0, 0, 0, 2, 97, 2, 106, 97, 1, 106]
        } else {
            vec![116, 0, 0, 0, 2, 97, 1, 106, 97, 2, 106]
        };
        for _ in 1..depth {
            // #{K => [], 0 => []} in key order (numbers sort before maps)
            let mut outer = vec![116, 0, 0, 0, 2, 97, 0, 106];
            outer.extend(&key);
            outer.push(106);
            key = outer;
        }
        key
    };
    let mut bytes = vec![131, 116, 0, 0, 0, 2];
    for (reversed, value) in [(false, 1), (true, 2)] {
        bytes.extend(inner(reversed));
        bytes.extend([97, value]);
    }
    bytes
}

#[test]
fn map_keys_holding_reordered_maps_are_duplicates_or_refused() {
    // Within the levels that are put in key order: a duplicate, as ERTS says.
    for depth in 1..=4 {
        assert!(matches!(kind(&map_keys_nested(depth)), K::DuplicateMapKey { .. }), "depth {depth}");
    }
    // Deeper: refused as too deep rather than accepted (comparing as written would call the
    // two keys different).
    assert_eq!(kind(&map_keys_nested(5)), K::MapKeysTooDeep);
    assert_eq!(kind(&map_keys_nested(5)).class(), crate::ErrorClass::Configuration);
}
