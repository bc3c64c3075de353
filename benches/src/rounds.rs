//! Rounds of one way of reading an input, for counting instructions (steadier than wall time on
//! a shared machine): `cargo build --release -p erlport-benches --bin rounds`, then
//! `valgrind --tool=callgrind target/release/rounds walk 5` and the same with `recursive`,
//! `indexed` (the same recursion over `decode_indexed`'s views), `walk_only` and `recursive_only` (the
//! views of one decode before the rounds, read alone),
//! `serde`, `decode`, `encode` and `to_slice` (the last two write b from Rust values); a third
//! argument names the input (`benches/data/<name>.etf`, b by default). Each prints its time a
//! round; callgrind's total, less the program's start, divided by the rounds, is the cost of
//! one.

use erlport_benches::{User, UserRef, decode_indexed_walk, decode_walk, input, walk, walk_recursive};
use std::hint::black_box;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "walk".into());
    let rounds: u32 = args.next().and_then(|n| n.parse().ok()).unwrap_or(100);
    let bytes = input(&args.next().unwrap_or_else(|| "b".into()));
    // Compressed input (d) inflates into this, as in the benchmarks.
    let mut scratch = vec![0u8; erlport_codec::compressed_size(&bytes).unwrap_or(0) as usize];
    let users = User::input_b();
    let b = input("b");
    let borrowed: Vec<UserRef> = erlport_codec::from_bytes(&b).expect("b reads");
    let mut out = vec![0u8; bytes.len().max(1 << 20) * 2];
    let mut words = Vec::new();
    // For the modes that time the reading of views alone: decoded once, before the rounds.
    let mut once = vec![0u8; scratch.len()];
    let decoded = erlport_codec::Decoder::new().scratch(&mut once).decode(&bytes).expect("decodes");
    let start = Instant::now();
    let mut total = 0u64;
    for _ in 0..rounds {
        total = total.wrapping_add(match mode.as_str() {
            "decode" => erlport_codec::Decoder::new()
                .scratch(&mut scratch)
                .decode(black_box(&bytes))
                .map(|_| 1)
                .expect("decodes"),
            "walk" => decode_walk(&bytes, &mut scratch, walk),
            "walk_only" => walk(black_box(&decoded)),
            "recursive_only" => walk_recursive(black_box(&decoded)),
            "recursive" => decode_walk(&bytes, &mut scratch, walk_recursive),
            "indexed" => decode_indexed_walk(&bytes, &mut scratch, &mut words, walk_recursive),
            "serde" => erlport_codec::from_bytes::<Vec<UserRef>>(black_box(&bytes)).expect("b reads").len() as u64,
            "encode" => erlport_codec::encode(black_box(&users[..]), &mut out).expect("fits") as u64,
            "to_slice" => erlport_codec::to_slice(black_box(&borrowed), &mut out).expect("fits") as u64,
            other => panic!(
                "{other}: decode, walk, walk_only, recursive, recursive_only, indexed, serde, encode or to_slice"
            ),
        });
    }
    eprintln!("{mode}: {:?} a round ({total})", start.elapsed() / rounds.max(1));
}
