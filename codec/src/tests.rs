//! Byte-exact vectors per tag: what decodes, to what, and what is refused and why.

extern crate std;

use crate::{DecodeErrorKind as K, Tag, Term, decode, decode_prefix};
use std::string::ToString;
use std::vec;
use std::vec::Vec;

std::thread_local! {
    static STEPPED: core::cell::Cell<usize> = const { core::cell::Cell::new(0) };
}

/// Counts bytes stepped over by `wire::skip` on this thread (tests only).
pub(crate) fn count_stepped(bytes: usize) {
    STEPPED.with(|c| c.set(c.get() + bytes));
}

fn stepped() -> usize {
    STEPPED.with(|c| c.replace(0))
}

fn shows(bytes: &[u8]) -> std::string::String {
    match decode(bytes) {
        Ok(term) => term.to_string(),
        Err(e) => panic!("{bytes:?}: {e}"),
    }
}

fn kind(bytes: &[u8]) -> K {
    decode(bytes).expect_err("should be refused").kind()
}

#[test]
fn version_byte_and_framing() {
    assert_eq!(kind(&[]), K::Incomplete { needed: 2 });
    assert_eq!(kind(&[131]), K::Incomplete { needed: 1 });
    assert_eq!(kind(&[130, 97, 1]), K::BadVersion { found: 130 });
    assert_eq!(kind(&[131, 97, 1, 0]), K::TrailingBytes { count: 1 });
    assert_eq!(decode_prefix(&[131, 97, 1, 131, 97, 2]).map(|(t, n)| (t.as_i64(), n)), Ok((Some(1), 3)));
}

#[test]
fn integers() {
    assert_eq!(shows(&[131, 97, 255]), "255");
    assert_eq!(shows(&[131, 98, 255, 255, 255, 255]), "-1");
    assert_eq!(shows(&[131, 98, 0, 0, 0, 5]), "5");
    assert_eq!(shows(&[131, 98, 128, 0, 0, 0]), "-2147483648");
    // Bigs: leading zero bytes, any non-zero sign, no digits, normalised to Integer.
    assert!(matches!(decode(&[131, 110, 2, 0, 1, 0]), Ok(Term::Integer(1))));
    assert!(matches!(decode(&[131, 110, 1, 2, 1]), Ok(Term::Integer(-1))));
    assert!(matches!(decode(&[131, 110, 0, 1]), Ok(Term::Integer(0))));
    assert!(matches!(decode(&[131, 111, 0, 0, 0, 1, 0, 5]), Ok(Term::Integer(5))));
    assert_eq!(shows(&[131, 110, 8, 1, 0, 0, 0, 0, 0, 0, 0, 128]), "-9223372036854775808");
    assert!(matches!(decode(&[131, 110, 8, 1, 0, 0, 0, 0, 0, 0, 0, 128]), Ok(Term::Integer(i64::MIN))));
    let Ok(Term::BigInt(big)) = decode(&[131, 110, 8, 0, 0, 0, 0, 0, 0, 0, 0, 128]) else { panic!() };
    assert_eq!((big.is_negative(), big.to_i128(), big.to_i64()), (false, Some(1 << 63), None));
    assert_eq!(shows(&[131, 110, 9, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1]), "-18446744073709551616");
    // 4,194,297 bytes declared: refused before looking for them.
    assert_eq!(kind(&[131, 111, 0, 64, 0, 1, 0]), K::BigTooLarge);
    assert_eq!(kind(&[131, 111, 0, 0x3f, 0xff, 0xf8, 0]), K::Incomplete { needed: 4_194_296 });
}

#[test]
fn big_integers_print_in_decimal() {
    // 2^2040: 256 magnitude bytes, LARGE_BIG_EXT.
    let mut bytes = Vec::from([131u8, 111, 0, 0, 1, 0, 0]);
    bytes.extend(core::iter::repeat_n(0, 255));
    bytes.push(1);
    let text = shows(&bytes);
    assert!(text.starts_with("12623830496605862") && text.ends_with("1547776"), "{text}");
    assert_eq!(text.len(), 615);
}

#[test]
fn floats() {
    assert_eq!(shows(&[131, 70, 63, 248, 0, 0, 0, 0, 0, 0]), "1.5");
    assert_eq!(shows(&[131, 70, 128, 0, 0, 0, 0, 0, 0, 0]), "-0.0");
    assert_eq!(shows(&[131, 70, 0, 0, 0, 0, 0, 0, 0, 1]), "5.0e-324");
    assert_eq!(kind(&[131, 70, 127, 240, 0, 0, 0, 0, 0, 0]), K::NonFiniteFloat);
    assert_eq!(kind(&[131, 70, 127, 248, 0, 0, 0, 0, 0, 0]), K::NonFiniteFloat);
    let mut old = [0u8; 33];
    old[..2].copy_from_slice(&[131, 99]);
    old[2..5].copy_from_slice(b"0.1");
    assert!(matches!(decode(&old), Ok(Term::Float(x)) if x == 0.1));
    old[2..5].copy_from_slice(b"1e3");
    assert_eq!(kind(&old), K::BadFloatText);
    for (value, text) in [
        (1.0e10, "1.0e10"),
        (0.1, "0.1"),
        (100.0, "100.0"),
        (1000.0, "1.0e3"),
        (0.0001, "0.0001"),
        (1.234e-4, "1.234e-4"),
        (9007199254740992.0, "9.007199254740992e15"),
        (1234567890123456.0, "1234567890123456.0"),
        (f64::from_bits(0x4305_91f2_50e3_45ea), "758930554513597.2"),
    ] {
        let mut bytes = [131u8, 70, 0, 0, 0, 0, 0, 0, 0, 0];
        bytes[2..].copy_from_slice(&f64::to_be_bytes(value));
        assert_eq!(shows(&bytes), text);
    }
}

#[test]
fn atoms() {
    assert_eq!(shows(&[131, 100, 0, 0]), "''");
    assert_eq!(shows(&[131, 119, 2, b'o', b'k']), "ok");
    assert_eq!(shows(&[131, 100, 0, 2, 0, 97]), r"'\000a'");
    assert_eq!(shows(&[131, 119, 3, 0xE2, 0x82, 0xAC]), r"'\x{20AC}'");
    assert_eq!(shows(&[131, 100, 0, 4, b'c', b'a', b's', b'e']), "'case'");
    assert_eq!(shows(&[131, 100, 0, 3, b'a', b'B', b'@']), "aB@");
    let latin1 = decode(&[131, 100, 0, 1, 233]).unwrap().as_atom().unwrap();
    let utf8 = decode(&[131, 119, 2, 195, 169]).unwrap().as_atom().unwrap();
    assert_eq!(latin1, utf8);
    assert_eq!(latin1, "é");
    assert_eq!((latin1.as_str(), utf8.as_str()), (None, Some("é")));
    // Limits: 255 characters, 1020 UTF-8 bytes, valid UTF-8.
    let mut long = Vec::from([131u8, 100, 1, 0]);
    long.extend([b'a'; 256]);
    assert_eq!(kind(&long), K::AtomTooLong);
    let mut wide = Vec::from([131u8, 118, 1, 254]);
    wide.extend([195, 169].repeat(255));
    assert_eq!(decode(&wide).unwrap().as_atom().unwrap().char_count(), 255);
    let mut too_wide = Vec::from([131u8, 118, 2, 0]);
    too_wide.extend([195, 169].repeat(256));
    assert_eq!(kind(&too_wide), K::AtomTooLong);
    for bad in [&[192u8, 128][..], &[237, 160, 128], &[244, 144, 128, 128], &[224, 128, 128], &[195], &[128]] {
        let mut bytes = Vec::from([131u8, 119, bad.len() as u8]);
        bytes.extend(bad);
        assert_eq!(kind(&bytes), K::InvalidUtf8, "{bad:?}");
    }
}

#[test]
fn tuples_lists_strings() {
    assert_eq!(shows(&[131, 104, 0]), "{}");
    assert_eq!(shows(&[131, 105, 0, 0, 0, 2, 97, 1, 97, 2]), "{1,2}");
    assert_eq!(shows(&[131, 106]), "[]");
    assert_eq!(shows(&[131, 107, 0, 0]), "[]");
    assert_eq!(shows(&[131, 107, 0, 2, 104, 105]), "[104,105]");
    assert_eq!(shows(&[131, 108, 0, 0, 0, 2, 97, 1, 97, 2, 97, 3]), "[1,2|3]");
    // LIST_EXT of 0 elements is its tail; a list tail continues the list.
    assert_eq!(shows(&[131, 108, 0, 0, 0, 0, 100, 0, 1, 97]), "a");
    assert_eq!(shows(&[131, 108, 0, 0, 0, 1, 97, 1, 107, 0, 2, 2, 3]), "[1,2,3]");
    let Ok(Term::List(list)) = decode(&[131, 108, 0, 0, 0, 1, 97, 1, 108, 0, 0, 0, 1, 97, 2, 97, 9]) else { panic!() };
    assert_eq!(list.len(), 2);
    assert_eq!(list.tail().as_i64(), Some(9));
    assert!(!list.is_proper());
    let Ok(Term::List(string)) = decode(&[131, 107, 0, 2, 104, 105]) else { panic!() };
    assert_eq!(string.as_string_bytes(), Some(&b"hi"[..]));
    // Counts larger than the bytes left: refused at once, as incomplete.
    let e = decode(&[131, 108, 255, 255, 255, 255, 106]).unwrap_err();
    assert!(e.is_incomplete() && e.needed().unwrap() >= 0xffff_ffff);
    assert!(decode(&[131, 105, 255, 255, 255, 255]).unwrap_err().is_incomplete());
}

#[test]
fn binaries_and_bit_binaries() {
    assert_eq!(shows(&[131, 109, 0, 0, 0, 0]), "<<>>");
    assert_eq!(shows(&[131, 109, 0, 0, 0, 2, 1, 2]), "<<1,2>>");
    assert_eq!(shows(&[131, 77, 0, 0, 0, 1, 3, 255]), "<<7:3>>");
    assert_eq!(shows(&[131, 77, 0, 0, 0, 2, 4, 1, 0xf0]), "<<1,15:4>>");
    assert!(matches!(decode(&[131, 77, 0, 0, 0, 1, 8, 255]), Ok(Term::Binary([255]))));
    assert!(matches!(decode(&[131, 77, 0, 0, 0, 0, 0]), Ok(Term::Binary([]))));
    assert_eq!(kind(&[131, 77, 0, 0, 0, 1, 0, 255]), K::BadBitCount { bits: 0 });
    assert_eq!(kind(&[131, 77, 0, 0, 0, 0, 1]), K::BadBitCount { bits: 1 });
    assert_eq!(kind(&[131, 77, 0, 0, 0, 1, 9, 1]), K::BadBitCount { bits: 9 });
    let Ok(Term::BitBinary(bits)) = decode(&[131, 77, 0, 0, 0, 2, 3, 1, 0xff]) else { panic!() };
    assert_eq!((bits.bit_len(), bits.last_byte()), (11, 0xe0));
}

#[test]
fn maps_and_duplicate_keys() {
    assert_eq!(shows(&[131, 116, 0, 0, 0, 0]), "#{}");
    assert_eq!(shows(&[131, 116, 0, 0, 0, 2, 100, 0, 1, b'b', 97, 1, 100, 0, 1, b'a', 97, 2]), "#{a => 2,b => 1}");
    let dup = |k1: &[u8], k2: &[u8]| {
        let mut bytes = Vec::from([131u8, 116, 0, 0, 0, 2]);
        bytes.extend(k1);
        bytes.extend([97, 1]);
        bytes.extend(k2);
        bytes.extend([97, 2]);
        decode(&bytes).map(|_| ()).map_err(|e| e.kind())
    };
    assert_eq!(dup(&[97, 1], &[98, 0, 0, 0, 1]), Err(K::DuplicateMapKey { other: 6 }));
    assert_eq!(dup(&[110, 1, 0, 1], &[97, 1]), Err(K::DuplicateMapKey { other: 6 }));
    assert_eq!(dup(&[100, 0, 1, b'a'], &[119, 1, b'a']), Err(K::DuplicateMapKey { other: 6 }));
    assert_eq!(dup(&[107, 0, 1, 5], &[108, 0, 0, 0, 1, 97, 5, 106]), Err(K::DuplicateMapKey { other: 6 }));
    assert_eq!(dup(&[106], &[107, 0, 0]), Err(K::DuplicateMapKey { other: 6 }));
    assert_eq!(dup(&[97, 1], &[70, 63, 240, 0, 0, 0, 0, 0, 0]), Ok(()));
    assert_eq!(dup(&[70, 0, 0, 0, 0, 0, 0, 0, 0], &[70, 128, 0, 0, 0, 0, 0, 0, 0]), Ok(()));
    assert_eq!(dup(&[109, 0, 0, 0, 1, 255], &[77, 0, 0, 0, 1, 8, 255]), Err(K::DuplicateMapKey { other: 6 }));
    assert_eq!(dup(&[77, 0, 0, 0, 1, 3, 0xe0], &[77, 0, 0, 0, 1, 3, 0xff]), Err(K::DuplicateMapKey { other: 6 }));
    assert_eq!(kind(&[131, 116, 128, 0, 0, 0]), K::MapTooLarge);
    let map = decode(&[131, 116, 0, 0, 0, 1, 100, 0, 2, b'i', b'd', 97, 7]).unwrap();
    let Term::Map(map) = map else { panic!() };
    assert_eq!(map.get_atom("id").and_then(|t| t.as_i64()), Some(7));
    assert_eq!(map.get(&Term::Atom(crate::Atom::new("id"))).and_then(|t| t.as_i64()), Some(7));
}

/// A map of `n` integer keys, in increasing or decreasing order, with one duplicate if asked.
fn int_map(n: u32, increasing: bool, duplicate: bool) -> Vec<u8> {
    let mut bytes = Vec::from([131u8, 116]);
    bytes.extend(n.to_be_bytes());
    for i in 0..n {
        let key = if increasing { i } else { n - 1 - i };
        let key = if duplicate && i == n / 2 { key + 1 } else { key };
        bytes.push(98);
        bytes.extend(key.to_be_bytes());
        bytes.extend([97, 0]);
    }
    bytes
}

#[test]
fn million_key_maps() {
    // In order: checked against the previous key only, without any memory.
    assert!(decode(&int_map(1_000_000, true, false)).is_ok());
    assert!(matches!(kind(&int_map(1_000_000, true, true)), K::DuplicateMapKey { .. }));
    // Out of order: sorted (O(n log n)) with `alloc`, refused without it.
    let (reversed, reversed_dup) = (int_map(1_000_000, false, false), int_map(1_000_000, false, true));
    let (reversed, reversed_dup) = (decode(&reversed), decode(&reversed_dup));
    if cfg!(feature = "alloc") {
        assert!(reversed.is_ok());
        assert!(matches!(reversed_dup.unwrap_err().kind(), K::DuplicateMapKey { .. }));
    } else {
        assert_eq!(reversed.unwrap_err().kind(), K::NeedsAlloc);
        assert!(decode(&int_map(224, false, false)).is_ok());
        assert!(matches!(kind(&int_map(224, false, true)), K::DuplicateMapKey { .. }));
        assert_eq!(kind(&int_map(225, false, false)), K::NeedsAlloc);
    }
}

#[test]
fn pids_ports_references() {
    let node = [100u8, 0, 1, b'n'];
    let with = |head: &[u8], tail: &[u8]| {
        let mut bytes = Vec::from([131u8]);
        bytes.extend(head);
        bytes.extend(node);
        bytes.extend(tail);
        bytes
    };
    let bytes = with(&[88], &[0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3]);
    let Ok(Term::Pid(pid)) = decode(&bytes) else { panic!() };
    assert_eq!((pid.id(), pid.serial(), pid.creation()), (1, 2, 3));
    assert!(pid.node() == "n");
    assert!(decode(&with(&[103], &[0, 0, 0, 1, 0, 0, 0, 2, 3])).is_ok());
    assert_eq!(kind(&with(&[103], &[0, 0, 0, 1, 0, 0, 0, 2, 4])), K::CreationTooLarge);
    assert_eq!(kind(&[131, 88, 97, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]), K::ExpectedAtom);
    let bytes = with(&[120], &[255; 12]);
    let Ok(Term::Port(port)) = decode(&bytes) else { panic!() };
    assert_eq!(port.id(), u64::MAX);
    assert!(decode(&with(&[89], &[0, 0, 0, 1, 0, 0, 0, 0])).is_ok());
    assert_eq!(kind(&with(&[102], &[0, 0, 0, 1, 4])), K::CreationTooLarge);
    let bytes = with(&[90, 0, 2], &[0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 2]);
    let Ok(Term::Reference(r)) = decode(&bytes) else { panic!() };
    assert_eq!((r.creation(), r.ids().collect::<Vec<_>>()), (9, std::vec![1, 2]));
    assert_eq!(kind(&with(&[90, 0, 0], &[0, 0, 0, 9, 0, 0, 0, 0])), K::BadReferenceLength { len: 0 });
    assert_eq!(kind(&with(&[90, 0, 6], &[0; 28])), K::BadReferenceLength { len: 6 });
    assert_eq!(kind(&with(&[114, 0, 1], &[3, 0, 4, 0, 0])), K::ReferenceIdTooLarge);
    assert!(decode(&with(&[114, 0, 1], &[3, 0, 3, 255, 255])).is_ok());
    assert!(decode(&with(&[101], &[0, 3, 255, 255, 3])).is_ok());
    assert_eq!(kind(&with(&[101], &[0, 4, 0, 0, 3])), K::ReferenceIdTooLarge);
}

#[test]
fn funs() {
    let export = [131, 113, 100, 0, 1, b'm', 100, 0, 1, b'f', 98, 0, 0, 1, 0];
    assert_eq!(shows(&export), "fun m:f/256");
    assert_eq!(kind(&[131, 113, 100, 0, 1, b'm', 100, 0, 1, b'f', 98, 255, 255, 255, 255]), K::ExpectedSmallInteger);
    assert_eq!(kind(&[131, 113, 97, 1, 100, 0, 1, b'f', 97, 1]), K::ExpectedAtom);
    let fun = |free: u32, old_index: &[u8], pid: &[u8], env: &[u8]| {
        let mut body = Vec::from([2u8]);
        body.extend([7; 16]);
        body.extend(5u32.to_be_bytes());
        body.extend(free.to_be_bytes());
        body.extend([100, 0, 1, b'm']);
        body.extend(old_index);
        body.extend([97, 9]);
        body.extend(pid);
        body.extend(env);
        let mut bytes = Vec::from([131u8, 112]);
        bytes.extend((body.len() as u32 + 4).to_be_bytes());
        bytes.extend(body);
        bytes
    };
    let bytes = fun(2, &[97, 1], &[88, 100, 0, 1, b'n', 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0], &[97, 3, 106]);
    let Ok(Term::Fun(f)) = decode(&bytes) else { panic!() };
    assert_eq!((f.arity(), f.index(), f.old_index(), f.old_uniq()), (2, 5, 1, 9));
    assert!(matches!(f.pid(), Term::Pid(_)));
    assert_eq!(f.free_variables().map(|t| t.to_string()).collect::<Vec<_>>(), ["3", "[]"]);
    assert_eq!(kind(&fun(0, &[100, 0, 1, b'x'], &[97, 1], &[])), K::ExpectedSmallInteger);
    assert_eq!(kind(&fun(256, &[97, 1], &[97, 1], &[])), K::TooManyFreeVariables);
    // OTP 25 accepts any term as the creator pid.
    assert!(decode(&fun(0, &[97, 1], &[104, 0], &[])).is_ok());
}

#[test]
fn refused_tags() {
    for tag in [117u8, 121, 68, 82, 73, 75, 80] {
        let e = decode(&[131, 104, 1, tag, 0, 0, 0, 0, 0, 0]).unwrap_err();
        assert_eq!((e.kind(), e.offset(), e.tag()), (K::UnsupportedTag, 3, Some(Tag::from_byte(tag))), "{tag}");
    }
    let e = decode(&[131, 0]).unwrap_err();
    assert_eq!((e.kind(), e.offset()), (K::UnknownTag, 1));
    assert_eq!(e.to_string(), "unknown tag 0 at byte 1: not a tag of the external term format");
    assert_eq!(kind(&[131, 80, 0, 0, 0, 9, 120]), K::NeedsScratch { size: 9 });
}

#[test]
fn error_messages_name_tag_and_place() {
    let e = decode(&[131, 104, 2, 97, 1, 119, 1, 255]).unwrap_err();
    assert_eq!(e.to_string(), "SMALL_ATOM_UTF8_EXT (119) at byte 5: atom text is not valid UTF-8");
    let e = decode(&[131, 104, 1, 97]).unwrap_err();
    assert_eq!(e.to_string(), "SMALL_INTEGER_EXT (97) at byte 4: incomplete: need at least 1 more bytes");
    let e = decode(&[131, 104, 2, 97, 1]).unwrap_err();
    assert_eq!(e.to_string(), "at byte 5: incomplete: need at least 1 more bytes");
}

fn nested(depth: usize, open: &[u8], leaf: &[u8], close: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(1 + depth * (open.len() + close.len()) + leaf.len());
    bytes.push(131);
    for _ in 0..depth {
        bytes.extend(open);
    }
    bytes.extend(leaf);
    for _ in 0..depth {
        bytes.extend(close);
    }
    bytes
}

#[test]
fn a_million_levels_deep_decodes_and_displays() {
    for (open, close) in [(&[104u8, 1][..], &[][..]), (&[108, 0, 0, 0, 1], &[106]), (&[116, 0, 0, 0, 1, 97, 1], &[])] {
        let bytes = nested(1_000_000, open, &[106], close);
        let term = decode(&bytes).expect("deep term");
        let text = term.to_string();
        assert!(text.contains("...") && text.len() < 2_000, "{}", &text[..100]);
    }
    // Multi-key maps nested deep need frames: on the heap with `alloc`, refused without.
    let deep_maps = nested(100_000, &[116, 0, 0, 0, 2, 97, 1], &[106], &[97, 2, 97, 3]);
    match decode(&deep_maps) {
        Ok(term) => assert!(term.to_string().ends_with("2 => 3}")),
        Err(e) => assert_eq!(e.kind(), K::NeedsAlloc),
    }
    assert_eq!(decode(&deep_maps).is_ok(), cfg!(feature = "alloc"));
}

#[test]
fn deep_map_keys_compare_without_recursion() {
    // Two keys, each a list nested 100,000 deep in first position; `tail` follows each
    // element (`[]`: lists of one element; `97, 0, 106`: of two).
    let key = |leaf: u8, len: u8, tail: &[u8]| {
        let mut k = Vec::new();
        for _ in 0..100_000 {
            k.extend([108, 0, 0, 0, len]);
        }
        k.extend([97, leaf]);
        for _ in 0..100_000 {
            k.extend(tail);
        }
        k
    };
    let map = |a: Vec<u8>, b: Vec<u8>| {
        let mut bytes = Vec::from([131u8, 116, 0, 0, 0, 2]);
        bytes.extend(a);
        bytes.extend([97, 0]);
        bytes.extend(b);
        bytes.extend([97, 0]);
        decode(&bytes).map(|_| ()).map_err(|e| e.kind())
    };
    // Equal but for the innermost element, lists of one length: no memory at all.
    assert_eq!(map(key(1, 1, &[106]), key(2, 1, &[106])), Ok(()));
    // Lists of different lengths at every level: comparing them decides, so the frames
    // under them are never needed again; without `alloc` the oldest are given up.
    assert_eq!(map(key(1, 1, &[106]), key(1, 2, &[97, 0, 106])), Ok(()));
    assert_eq!(map(key(1, 2, &[97, 0, 106]), key(2, 1, &[106])), Ok(()));
    // Equal lists split differently at every level (`[X | [0]]` written as a one-element
    // LIST_EXT whose tail is another LIST_EXT, against a two-element one), differing only
    // in their outermost last element: every frame is needed again, on the way out. Only
    // hand-made input has such lists; without `alloc` they are refused, not guessed.
    let split = |last: u8| {
        let mut k = Vec::new();
        for _ in 0..100_000 {
            k.extend([108, 0, 0, 0, 1]);
        }
        k.extend([97, 1]);
        for i in 0..100_000 {
            k.extend([108, 0, 0, 0, 1, 97, if i == 99_999 { last } else { 0 }, 106]);
        }
        k
    };
    let whole = key(1, 2, &[97, 0, 106]);
    let result = map(split(7), whole.clone());
    assert_eq!(result, if cfg!(feature = "alloc") { Ok(()) } else { Err(K::NeedsAlloc) });
    let result = map(split(0), whole);
    let refused = result.unwrap_err();
    let want_duplicate = cfg!(feature = "alloc");
    assert_eq!(matches!(refused, K::DuplicateMapKey { .. }), want_duplicate, "{refused:?}");
    assert_eq!(refused == K::NeedsAlloc, !want_duplicate, "{refused:?}");
}

#[test]
fn views_of_lists_of_different_lengths_compare_at_any_depth() {
    use core::cmp::Ordering::{Equal, Greater, Less};
    // [[...[[1] | T] ...] | T] 10,000 deep, T = [] or [0]: the lengths differ at every level.
    let list = |leaf: u8, extra: bool| {
        let mut k = vec![131u8];
        for _ in 0..10_000 {
            k.extend([108, 0, 0, 0, if extra { 2 } else { 1 }]);
        }
        k.extend([97, leaf]);
        for _ in 0..10_000 {
            if extra {
                k.extend([97, 0]);
            }
            k.push(106);
        }
        k
    };
    let (short, long, short2) = (list(1, false), list(1, true), list(2, false));
    let (short, long, short2) = (decode(&short).unwrap(), decode(&long).unwrap(), decode(&short2).unwrap());
    assert_eq!(short.exact_cmp(&long), Less);
    assert_eq!(long.exact_cmp(&short), Greater);
    assert_eq!(short2.exact_cmp(&long), Greater, "the innermost element decides first");
    assert_eq!(long.exact_cmp(&long), Equal);
}

#[test]
fn views_of_lists_split_differently_compare_without_failing_at_any_depth() {
    use core::cmp::Ordering::{Equal, Less};
    // [[...[Leaf, 0]..., 0], 0] `depth` deep, each list written as one LIST_EXT of two
    // elements, or split in two: [X | [0]] (a LIST_EXT of one whose tail is another).
    let list = |depth: usize, leaf: u8, split: bool| {
        let mut k = vec![131u8];
        for _ in 0..depth {
            k.extend([108, 0, 0, 0, if split { 1 } else { 2 }]);
        }
        k.extend([97, leaf]);
        for _ in 0..depth {
            if split {
                k.extend([108, 0, 0, 0, 1, 97, 0, 106]);
            } else {
                k.extend([97, 0, 106]);
            }
        }
        k
    };
    for depth in [1, 10, 16, 17, 40, 100_000] {
        let bytes = [list(depth, 1, false), list(depth, 1, true), list(depth, 2, true)];
        let [whole, split, split2] = bytes.each_ref().map(|b| decode(b).unwrap());
        assert_eq!(whole.exact_cmp(&whole), Equal);
        assert_eq!(split.exact_cmp(&split), Equal);
        // The leaves come first, before any level needs to be resumed: exact at any depth.
        assert_eq!(whole.exact_cmp(&split2), Less, "{depth} deep");
        assert_eq!(split2.exact_cmp(&whole), Less.reverse());
        let ordering = whole.exact_cmp(&split);
        assert_eq!(split.exact_cmp(&whole), ordering.reverse(), "{depth} deep");
        if cfg!(feature = "alloc") || depth <= 16 {
            // Every level kept: two encodings of one list are equal.
            assert_eq!(ordering, Equal, "{depth} deep");
        }
    }
}

mod encoding {
    extern crate std;
    use crate::{
        Atom, AtomEncoding, EncodeError, Encoder, ErlString, ImproperList, MapFrom, SliceWriter, decode, encode,
        encode_to_heapless, encode_with, encoded_len,
    };
    use std::string::ToString;

    fn bytes<T: crate::Encode + ?Sized>(value: &T) -> std::vec::Vec<u8> {
        let mut buf = [0u8; 512];
        let n = encode(value, &mut buf).expect("fits");
        assert_eq!(encoded_len(value), Ok(n));
        buf[..n].to_vec()
    }

    #[test]
    fn integers_in_the_smallest_form() {
        assert_eq!(bytes(&255u8), [131, 97, 255]);
        assert_eq!(bytes(&256i32), [131, 98, 0, 0, 1, 0]);
        assert_eq!(bytes(&-1i64), [131, 98, 255, 255, 255, 255]);
        assert_eq!(bytes(&(1i64 << 31)), [131, 110, 4, 0, 0, 0, 0, 128]);
        assert_eq!(bytes(&(-(1i64 << 31) - 1)), [131, 110, 4, 1, 1, 0, 0, 128]);
        assert_eq!(bytes(&i64::MIN), [131, 110, 8, 1, 0, 0, 0, 0, 0, 0, 0, 128]);
        assert_eq!(bytes(&u128::MAX)[..4], [131, 110, 16, 0]);
        assert_eq!(bytes(&crate::BigInt::new(true, &[5, 0, 0])), [131, 98, 255, 255, 255, 251]);
    }

    #[test]
    fn floats_atoms_binaries() {
        assert_eq!(bytes(&1.5f64), [131, 70, 63, 248, 0, 0, 0, 0, 0, 0]);
        assert_eq!(encode(&f64::NAN, &mut [0; 16]), Err(EncodeError::NonFiniteFloat));
        assert_eq!(bytes(&true), [131, 119, 4, b't', b'r', b'u', b'e']);
        assert_eq!(bytes(&None::<u8>)[..3], [131, 119, 9]);
        assert_eq!(bytes("hi"), [131, 109, 0, 0, 0, 2, b'h', b'i']);
        assert_eq!(bytes(&[1u8, 2][..]), [131, 109, 0, 0, 0, 2, 1, 2]);
        assert_eq!(bytes(&[1u16, 2]), [131, 107, 0, 2, 1, 2]);
        assert_eq!(bytes(&[1000u16]), [131, 108, 0, 0, 0, 1, 98, 0, 0, 3, 232, 106]);
        assert_eq!(bytes(&ErlString("hé")), [131, 107, 0, 2, b'h', 233]);
        assert_eq!(bytes(&ErlString("€")), [131, 108, 0, 0, 0, 1, 98, 0, 0, 0x20, 0xac, 106]);
        assert_eq!(bytes(&crate::BitBinary::new(&[0xff], 3)), [131, 77, 0, 0, 0, 1, 3, 0xe0]);
        let mut buf = [0u8; 16];
        let n = encode_with(&Atom::new("é"), &mut buf, AtomEncoding::Latin1).unwrap();
        assert_eq!(&buf[..n], [131, 100, 0, 1, 233]);
        let n = encode_with(&Atom::new("€"), &mut buf, AtomEncoding::Latin1).unwrap();
        assert_eq!(&buf[..n], [131, 119, 3, 0xe2, 0x82, 0xac]);
    }

    #[test]
    fn containers() {
        assert_eq!(bytes(&(Atom::new("ok"), 1u8)), [131, 104, 2, 119, 2, b'o', b'k', 97, 1]);
        assert_eq!(bytes(&()), [131, 104, 0]);
        assert_eq!(bytes::<[u32; 0]>(&[]), [131, 106]);
        let tail = Atom::new("t");
        assert_eq!(
            bytes(&ImproperList { elements: &[300u32], tail: &tail }),
            [131, 108, 0, 0, 0, 1, 98, 0, 0, 1, 44, 119, 1, b't']
        );
        let pairs = [(1u8, "a"), (2, "b")];
        let map = bytes(&MapFrom(pairs.iter().copied()));
        assert_eq!(decode(&map).unwrap().to_string(), "#{1 => <<97>>,2 => <<98>>}");
        let big = [7u8; 300];
        assert_eq!(bytes(&(1u8, &big[..]))[..5], [131, 104, 2, 97, 1]);
    }

    #[test]
    fn headers_must_match_their_contents() {
        let mut buf = [0u8; 32];
        let mut e = Encoder::new(SliceWriter::new(&mut buf));
        assert_eq!(e.tuple(2, |e| e.integer(1)), Err(EncodeError::CountMismatch { declared: 2, written: 1 }));
        let mut e = Encoder::new(SliceWriter::new(&mut buf));
        assert_eq!(e.map(1, |e| e.integer(1)), Err(EncodeError::CountMismatch { declared: 2, written: 1 }));
        let mut e = Encoder::new(SliceWriter::new(&mut buf));
        assert_eq!(
            e.list(1, |e| {
                e.integer(1)?;
                e.integer(2)
            }),
            Err(EncodeError::CountMismatch { declared: 2, written: 3 })
        );
        let mut e = Encoder::new(SliceWriter::new(&mut buf));
        e.version().unwrap();
        e.tuple(2, |e| {
            e.atom("ok")?;
            e.list(2, |e| {
                e.tuple(1, |e| e.integer(7))?;
                e.string(b"ab")
            })
        })
        .unwrap();
        let written = e.into_inner().finish().unwrap();
        assert_eq!(decode(written).unwrap().to_string(), "{ok,[{7},[97,98]]}");
    }

    #[test]
    fn too_small_buffers_and_heapless() {
        let value = (Atom::new("hello"), [1u32, 2, 3], "text");
        let len = encoded_len(&value).unwrap();
        for size in 0..len {
            let mut buf = std::vec![0u8; size];
            assert_eq!(encode(&value, &mut buf), Err(EncodeError::BufferTooSmall { needed: len }));
        }
        let fixed = encode_to_heapless::<64, _>(&value).unwrap();
        assert_eq!(fixed.len(), len);
        assert_eq!(encode_to_heapless::<8, _>(&value), Err(EncodeError::BufferTooSmall { needed: len }));
    }

    #[test]
    fn reencoding_a_view_gives_its_bytes() {
        let input = [131, 104, 3, 100, 0, 2, b'o', b'k', 108, 0, 0, 0, 1, 97, 1, 97, 2, 70, 63, 248, 0, 0, 0, 0, 0, 0];
        let term = decode(&input).unwrap();
        assert_eq!(bytes(&term), input);
        // Normalised leaves are written as Erlang writes them.
        assert_eq!(bytes(&decode(&[131, 98, 0, 0, 0, 5]).unwrap()), [131, 97, 5]);
        assert_eq!(bytes(&decode(&[131, 77, 0, 0, 0, 1, 3, 255]).unwrap()), [131, 77, 0, 0, 0, 1, 3, 224]);
    }
}

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

/// Walks every step of a term; returns the number of steps.
fn walk_all(term: &Term<'_>) -> usize {
    term.walk().count()
}

#[test]
fn a_full_walk_steps_over_each_byte_a_constant_number_of_times() {
    const DEPTH: usize = 20_000;
    let shapes: [(&str, Vec<u8>); 9] = [
        ("tuple chain, nested last", nested(DEPTH, &[104, 2, 97, 1], &[106], &[])),
        ("tuple chain, nested first", nested(DEPTH, &[104, 2], &[106], &[97, 1])),
        ("list chain, nested last", nested(DEPTH, &[108, 0, 0, 0, 2, 97, 1], &[106], &[106])),
        ("list chain, nested first", nested(DEPTH, &[108, 0, 0, 0, 2], &[106], &[97, 1, 106])),
        ("map chain, in values", nested(DEPTH, &[116, 0, 0, 0, 2, 97, 1, 97, 2, 97, 3], &[106], &[])),
        ("map chain, in keys", nested(DEPTH, &[116, 0, 0, 0, 2], &[106], &[97, 1, 97, 2, 97, 3])),
        ("list of maps", {
            let mut b = vec![131, 108, 0, 0, 78, 32];
            for _ in 0..20_000 {
                b.extend([116, 0, 0, 0, 2, 119, 1, b'a', 97, 1, 119, 1, b'b', 108, 0, 0, 0, 1, 97, 1, 106]);
            }
            b.push(106);
            b
        }),
        ("map of lists", {
            let mut b = vec![131, 116, 0, 0, 39, 16];
            for i in 0..10_000u32 {
                b.push(98);
                b.extend(i.to_be_bytes());
                b.extend([108, 0, 0, 0, 2, 104, 1, 97, 1, 108, 0, 0, 0, 1, 97, 2, 106, 106]);
            }
            b
        }),
        ("long improper list", nested(DEPTH, &[108, 0, 0, 0, 1, 104, 1, 97, 1], &[119, 1, b'a'], &[])),
    ];
    for (name, bytes) in &shapes {
        let term = match decode(bytes) {
            Ok(term) => term,
            // Multi-key maps nested in keys need a frame each: refused without `alloc`.
            Err(e) if *name == "map chain, in keys" && !cfg!(feature = "alloc") => {
                assert_eq!(e.kind(), K::NeedsAlloc);
                continue;
            }
            Err(e) => panic!("{name}: {e}"),
        };
        stepped();
        let steps = walk_all(&term);
        let read = stepped();
        // Without `alloc` the walk keeps 32 frames and hands deeper containers out whole.
        assert!(steps > DEPTH / 2 || !cfg!(feature = "alloc"), "{name}: {steps} steps");
        assert!(read <= 3 * bytes.len(), "{name}: stepped over {read} bytes for an input of {}", bytes.len());
    }
}

#[test]
fn printing_a_million_deep_term_fits_a_64_kib_stack() {
    let handle = std::thread::Builder::new()
        .stack_size(64 << 10)
        .spawn(|| {
            let mut lengths = Vec::new();
            for (open, close) in [
                (&[104u8, 2][..], &[97u8, 1][..]),
                (&[108, 0, 0, 0, 2], &[97, 1, 106]),
                (&[116, 0, 0, 0, 1], &[97, 1]),
                (&[116, 0, 0, 0, 2], &[97, 1, 97, 2, 97, 3]),
            ] {
                let bytes = nested(1_000_000, open, &[106], close);
                let term = match decode(&bytes) {
                    Ok(term) => term,
                    // Multi-key maps nested in keys need a frame each: refused without `alloc`.
                    Err(e) if e.kind() == K::NeedsAlloc && !cfg!(feature = "alloc") => continue,
                    Err(e) => panic!("deep term: {e}"),
                };
                let text = term.to_string();
                lengths.push(text.len());
            }
            lengths
        })
        .expect("thread");
    let lengths = handle.join().expect("printing fits 64 KiB of stack");
    assert!(lengths.iter().all(|&n| n > 100 && n < 10_000_000), "{lengths:?}");
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

#[test]
fn comparing_deep_tuples_and_equal_length_lists_needs_no_memory() {
    // {{{...,1},1},1} and [[[...,1],1],1] a thousand deep, in first position: one frame in all.
    for (open, close) in [(&[104u8, 2][..], &[97u8, 1][..]), (&[108, 0, 0, 0, 2][..], &[97, 1, 106][..])] {
        let mut bytes = vec![131];
        for _ in 0..1000 {
            bytes.extend(open);
        }
        bytes.push(106);
        for _ in 0..1000 {
            bytes.extend(close);
        }
        let (a, b) = (decode(&bytes).unwrap(), decode(&bytes).unwrap());
        assert_eq!(a.exact_cmp(&b), core::cmp::Ordering::Equal);
    }
}

#[test]
fn decoding_walking_and_comparing_fit_a_64_kib_stack() {
    let handle = std::thread::Builder::new()
        .stack_size(64 << 10)
        .spawn(|| {
            // 100,000 deep in first and in last position, a map of 1,000 unordered keys, and a
            // compressed term inflated with an inflater on this stack.
            let mut first = vec![131];
            first.extend(core::iter::repeat_n([104u8, 2], 100_000).flatten());
            first.push(106);
            first.extend(core::iter::repeat_n([97u8, 1], 100_000).flatten());
            let mut last = vec![131];
            last.extend(core::iter::repeat_n([104u8, 2, 97, 1], 100_000).flatten());
            last.push(106);
            let mut map = vec![131, 116];
            map.extend(1000u32.to_be_bytes());
            for k in (0..1000u32).rev() {
                map.push(98);
                map.extend(k.to_be_bytes());
                map.extend([97, 0]);
            }
            let mut buffer = [0u32; 1000];
            for bytes in [&first, &last, &map] {
                let term = crate::Decoder::new().key_buffer(&mut buffer).decode(bytes).unwrap();
                // Without `alloc` the walk hands containers nested past 32 frames out whole.
                assert!(term.walk().count() > if cfg!(feature = "alloc") { 1000 } else { 32 });
                let mut words = [0u32; 1000];
                let twin = crate::Decoder::new().key_buffer(&mut words).decode(bytes).unwrap();
                assert_eq!(term.exact_cmp(&twin), core::cmp::Ordering::Equal);
            }
            // term_to_binary(lists:duplicate(20, $a), [compressed])
            let packed = [131, 80, 0, 0, 0, 23, 120, 156, 203, 102, 16, 73, 196, 2, 0, 90, 234, 8, 20];
            let mut scratch = [0u8; 23];
            let term = crate::Decoder::new().scratch(&mut scratch).decode(&packed).unwrap();
            assert_eq!(term.walk().count(), 22);
        })
        .unwrap();
    handle.join().unwrap();
}
