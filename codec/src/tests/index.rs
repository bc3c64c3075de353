//! Views read through an [`Index`](crate::Index): recursion over them steps over nothing,
//! at any depth, and a map in key order is searched by halves.

use super::*;
use crate::Decoder;
use crate::tests::deep::nested;

/// Recursion over the views, as a user writes it: every element, tail and pair. Returns the
/// number of terms visited.
fn recurse(term: &Term<'_>) -> usize {
    1 + match term {
        Term::List(list) => {
            let mut elements = list.iter();
            let inside: usize = elements.by_ref().map(|e| recurse(&e)).sum();
            inside + recurse(&elements.tail())
        }
        Term::Tuple(tuple) => tuple.iter().map(|e| recurse(&e)).sum(),
        Term::Map(map) => map.iter().map(|(k, v)| recurse(&k) + recurse(&v)).sum(),
        _ => 0,
    }
}

/// Shapes `depth` deep: each nests its container first (the parent's iterator must get past
/// it afterwards) or last.
fn shapes(depth: usize) -> [(&'static str, Vec<u8>); 6] {
    [
        ("tuple chain, nested first", nested(depth, &[104, 2], &[106], &[97, 1])),
        ("tuple chain, nested last", nested(depth, &[104, 2, 97, 1], &[106], &[])),
        ("list chain, nested first", nested(depth, &[108, 0, 0, 0, 2], &[106], &[97, 1, 106])),
        ("list chain, nested last", nested(depth, &[108, 0, 0, 0, 2, 97, 1], &[106], &[106])),
        ("map chain, in values", nested(depth, &[116, 0, 0, 0, 2, 97, 1, 97, 2, 97, 3], &[106], &[])),
        ("improper list chain", nested(depth, &[108, 0, 0, 0, 1, 104, 1, 97, 1], &[119, 1, b'a'], &[])),
    ]
}

#[test]
fn recursion_through_an_index_steps_over_nothing_at_any_depth() {
    // Recursion 100,000 deep needs a deep stack of its own.
    std::thread::Builder::new()
        .stack_size(512 << 20)
        .spawn(|| {
            for depth in [1, 10, 100, 1_000, 100_000] {
                for (name, bytes) in shapes(depth) {
                    let mut words = vec![0u32; 5 * bytes.len() / 2 + 5];
                    let index = Decoder::new().decode_indexed(&bytes, &mut words[..]).expect(name);
                    stepped();
                    let visited = recurse(&index.term());
                    assert_eq!(stepped(), 0, "{name}, {depth} deep: bytes stepped over");
                    assert!(visited > depth, "{name}, {depth} deep: {visited} terms visited");
                    if depth <= 1_000 {
                        // The same terms as recursion over the bytes alone.
                        assert_eq!(visited, recurse(&decode(&bytes).unwrap()), "{name}, {depth} deep");
                    }
                }
            }
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn recursion_over_the_bytes_alone_steps_over_nested_containers_again() {
    // What the index saves: without it, a container nested first is stepped over by every
    // level above it once it was read, so the bytes stepped over grow with the square of the
    // depth.
    let (name, bytes) = &shapes(1_000)[0];
    let term = decode(bytes).unwrap();
    stepped();
    recurse(&term);
    let read = stepped();
    assert!(read > 1_000 * bytes.len() / 4, "{name}: {read} bytes stepped over for {}", bytes.len());
}

#[test]
fn taking_one_element_at_every_depth_steps_over_no_container_it_takes() {
    // Lists step over a container they hand out at once when one came before it (see
    // `ListIter::next_other`); the first, and the one `nth` and `get` hand out, are stepped
    // over only if the next is asked for. So going down one element a level costs what lies
    // before that element, whatever lies below it.
    let depth = 10_000;
    let first: &'static [u8] = Vec::leak(nested(depth, &[108, 0, 0, 0, 2], &[106], &[97, 1, 106]));
    let second: &'static [u8] = Vec::leak(nested(depth, &[108, 0, 0, 0, 2, 104, 0], &[106], &[106]));
    let down = |bytes: &'static [u8], take: &dyn Fn(&crate::List<'static>) -> Option<Term<'static>>| {
        let mut term = decode(bytes).unwrap();
        stepped();
        let mut levels = 0;
        while let Term::List(list) = term {
            let Some(next) = take(&list) else { break };
            term = next;
            levels += 1;
        }
        (levels, stepped())
    };
    assert_eq!(down(first, &|l| l.iter().next()), (depth, 0));
    assert_eq!(down(first, &|l| l.get(0)), (depth, 0));
    // `{}` before each: two bytes stepped over a level, nothing below.
    assert_eq!(down(second, &|l| l.get(1)), (depth, 2 * depth));
    assert_eq!(down(second, &|l| l.iter().nth(1)), (depth, 2 * depth));
    // Going on past the second steps over both, once: all but the version, the outer
    // header and its tail.
    let Term::List(list) = decode(second).unwrap() else { panic!("a list") };
    stepped();
    assert_eq!(list.iter().count(), 2);
    assert_eq!(stepped(), second.len() - 7);
}

/// `#{K => K}` for the keys given, written in that order.
fn map_of(keys: &[u32]) -> Vec<u8> {
    let mut bytes = vec![131, 116];
    bytes.extend((keys.len() as u32).to_be_bytes());
    for &k in keys {
        for _ in 0..2 {
            bytes.push(98);
            bytes.extend(k.to_be_bytes());
        }
    }
    bytes
}

#[test]
fn a_map_in_key_order_is_searched_by_halves() {
    let keys: Vec<u32> = (0..1_000).map(|k| 3 * k).collect();
    let bytes = map_of(&keys);
    let mut words = vec![0u32; 5 * bytes.len() / 2 + 5];
    let index = Decoder::new().decode_indexed(&bytes, &mut words[..]).unwrap();
    let Term::Map(map) = index.term() else { panic!("a map") };
    compared();
    for probe in 0..3_000 {
        let found = map.get(&Term::Integer(i64::from(probe))).and_then(|v| v.as_i64());
        assert_eq!(found, (probe % 3 == 0).then_some(i64::from(probe)));
        // log2(1000) < 10: at most 10 keys compared for a hit or a miss.
        assert!(compared() <= 10, "{probe}");
    }
    // Out of key order (how Erlang writes more than 32 keys): found pair by pair.
    let reversed: Vec<u32> = keys.iter().rev().copied().collect();
    let bytes = map_of(&reversed);
    let mut keys = [0u32; 6_000];
    let index = Decoder::new().key_buffer(&mut keys).decode_indexed(&bytes, &mut words[..]).unwrap();
    let Term::Map(map) = index.term() else { panic!("a map") };
    assert_eq!(map.get(&Term::Integer(2_997)).and_then(|v| v.as_i64()), Some(2_997));
    assert!(map.get(&Term::Integer(1)).is_none());
    assert_eq!(compared(), 0);
}

#[test]
fn an_index_that_does_not_fit_is_refused_not_truncated() {
    let bytes = map_of(&[1, 2, 3]);
    // The root's block of 5 words and one block of 4 words and 6 slots.
    for size in 0..15 {
        let mut words = vec![0u32; size];
        let refused = Decoder::new().decode_indexed(&bytes, &mut words[..]).unwrap_err();
        assert_eq!(refused.kind(), K::IndexTooSmall, "{size}");
    }
    let mut words = [0u32; 15];
    assert!(Decoder::new().decode_indexed(&bytes, &mut words).is_ok());
}

#[test]
fn a_view_is_as_small_with_an_index_as_without() {
    // Four words: the index adds no field a view over bytes pays for.
    assert!(core::mem::size_of::<Term<'_>>() <= 4 * core::mem::size_of::<usize>());
}

#[test]
#[cfg(feature = "alloc")]
fn a_vector_reused_for_a_smaller_input_reads_that_input_only() {
    // The words of the larger index before are left in place, past the new one's end.
    let mut words = Vec::new();
    let large = map_of(&(0..500).collect::<Vec<u32>>());
    let index = Decoder::new().decode_indexed(&large, &mut words).unwrap();
    assert_eq!(recurse(&index.term()), 1 + 1_000);
    let grown = words.len();
    for (name, small) in shapes(3) {
        let index = Decoder::new().decode_indexed(&small, &mut words).expect(name);
        assert_eq!(recurse(&index.term()), recurse(&decode(&small).unwrap()), "{name}");
        assert_eq!(index.term().walk().count(), decode(&small).unwrap().walk().count(), "{name}");
    }
    assert_eq!(words.len(), grown, "kept, not cleared and grown again");
}
