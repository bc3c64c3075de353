//! Depth, stack and linear cost: terms nested a million deep, walks stepping over each byte a
//! constant number of times.

use super::*;

pub(super) fn nested(depth: usize, open: &[u8], leaf: &[u8], close: &[u8]) -> Vec<u8> {
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
