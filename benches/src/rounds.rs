//! Rounds of one way of reading an input, for counting instructions (steadier than wall time on
//! a shared machine): `cargo build --release -p erlport-benches --bin rounds`, then
//! `valgrind --tool=callgrind target/release/rounds walk 5` and the same with `serde` and
//! `decode`; a third argument names the input (`benches/data/<name>.etf`, b by default). Each prints its time a round; callgrind's total, less the program's start,
//! divided by the rounds, is the cost of one.

use erlport_benches::{decode_walk, input, walk};
use std::hint::black_box;
use std::time::Instant;

/// Input b read with serde, borrowing (as in the `serde/b` benchmark).
#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct User<'a> {
    id: i64,
    name: &'a str,
    score: f64,
    tags: Vec<&'a str>,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "walk".into());
    let rounds: u32 = args.next().and_then(|n| n.parse().ok()).unwrap_or(100);
    let bytes = input(&args.next().unwrap_or_else(|| "b".into()));
    // Compressed input (d) inflates into this, as in the benchmarks.
    let mut scratch = vec![0u8; erlport_codec::compressed_size(&bytes).unwrap_or(0) as usize];
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
            "serde" => erlport_codec::from_bytes::<Vec<User>>(black_box(&bytes)).expect("b reads").len() as u64,
            other => panic!("{other}: decode, walk or serde"),
        });
    }
    eprintln!("{mode}: {:?} a round ({total})", start.elapsed() / rounds.max(1));
}
