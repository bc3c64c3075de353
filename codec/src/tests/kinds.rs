//! Each kind of term: what decodes, to what, and what is refused and why.

use super::*;

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
pub(super) fn int_map(n: u32, increasing: bool, duplicate: bool) -> Vec<u8> {
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
