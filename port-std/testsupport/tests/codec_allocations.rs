//! Decoding (with a full walk of every view), encoding into a slice and inflating into a
//! scratch buffer allocate nothing, even with the `alloc` feature on: counted by a global
//! allocator. Run with `--nocapture` to see the counts.

use erlport_codec::{Decoder, Term, compressed_size, encode, encoded_len};
use erlport_testsupport::counting_alloc;

use counting_alloc::allocations_in;

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

/// Visits every leaf without formatting into a `String`.
fn walk(term: &Term<'_>) -> u64 {
    match term {
        Term::Integer(v) => *v as u64,
        Term::Float(v) => v.to_bits(),
        Term::Atom(a) => a.chars().fold(0, |acc, c| acc.wrapping_add(u64::from(c))),
        Term::Binary(b) => b.len() as u64,
        Term::BigInt(b) => b.magnitude().len() as u64,
        Term::List(l) => {
            let mut iter = l.iter();
            let sum = iter.by_ref().fold(0u64, |acc, t| acc.wrapping_add(walk(&t)));
            sum.wrapping_add(walk(&iter.tail()))
        }
        Term::Tuple(t) => t.iter().fold(0, |acc, e| acc.wrapping_add(walk(&e))),
        Term::Map(m) => m.iter().fold(0, |acc, (k, v)| acc.wrapping_add(walk(&k)).wrapping_add(walk(&v))),
        Term::Fun(f) => f.free_variables().fold(walk(&f.pid()), |acc, t| acc.wrapping_add(walk(&t))),
        _ => 1,
    }
}

#[test]
fn decode_walk_encode_inflate_allocate_nothing() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../codec/tests/fixtures/decode.tsv")).unwrap();
    let inputs: Vec<Vec<u8>> = text
        .lines()
        .filter(|l| l.split('\t').nth(1) == Some("ok"))
        .map(|l| {
            let hex = l.split('\t').next().unwrap();
            (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
        })
        .collect();
    let mut scratch = vec![0u8; 1 << 20];
    let mut out = vec![0u8; 1 << 20];
    let (mut decoded, mut total) = (0, 0);
    for input in &inputs {
        if compressed_size(input).is_some_and(|n| n as usize > scratch.len()) {
            continue;
        }
        let n = allocations_in(|| {
            if let Ok((term, _)) = Decoder::new().scratch(&mut scratch).decode_prefix(input) {
                std::hint::black_box(walk(&term));
                let len = encoded_len(&term).unwrap();
                assert_eq!(encode(&term, &mut out[..len]), Ok(len));
                decoded += 1;
            }
        });
        assert_eq!(n, 0, "{n} allocations for {input:02x?}");
        total += n;
    }
    eprintln!("{decoded} Erlang-made terms decoded, walked and re-encoded: {total} allocations");
    assert!(decoded > 4000);
}

/// Reading with serde in one pass, the counts containers claim are checked against the bytes
/// there before a visitor reserves room for them: nested lists that each claim most of the
/// input (together far more than it holds) reserve for the first only. Validating first
/// would find the same; without the count, each level would reserve up to serde's 1 MiB.
#[test]
fn lying_counts_reserve_nothing_beyond_the_input() {
    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Nested(Vec<Nested>);
    let (levels, claim) = (64usize, 40_000u32);
    let mut bytes = vec![131];
    for _ in 0..levels {
        bytes.push(108);
        bytes.extend_from_slice(&claim.to_be_bytes());
    }
    bytes.resize(bytes.len() + 3 * claim as usize / 2, 106);
    let (mut result, mut n) = (None, 0);
    let largest = counting_alloc::largest_in(|| {
        n = allocations_in(|| result = Some(erlport_codec::from_bytes::<Nested>(&bytes).map(|_| ())));
    });
    assert!(result.unwrap().is_err());
    // One reservation for the first list; the rest is the error (a box, its text).
    assert!(n <= 4, "{n} allocations");
    let size = std::mem::size_of::<Nested>();
    assert!(largest <= claim as usize * size, "largest allocation {largest} bytes");
    eprintln!(
        "{} bytes claiming {levels} x {claim} elements: {n} allocations, the largest {largest} bytes",
        bytes.len()
    );
}
