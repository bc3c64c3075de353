//! Cost of the shapes an attacker (or Erlang itself) picks: deep chains walked fully and
//! printed, and maps of many keys in hash order. One timing each, release build:
//! `cargo run --release -p erlport-benches --bin shapes`.

use erlport_codec::{Term, decode};
use std::time::Instant;

fn nested(depth: usize, open: &[u8], leaf: &[u8], close: &[u8]) -> Vec<u8> {
    let mut bytes = vec![131];
    for _ in 0..depth {
        bytes.extend(open);
    }
    bytes.extend(leaf);
    for _ in 0..depth {
        bytes.extend(close);
    }
    bytes
}

/// A map of `n` integer keys in a shuffled order (an LCG permutation), values 0.
fn shuffled_map(n: u32) -> Vec<u8> {
    let mut keys: Vec<u32> = (0..n).collect();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for i in (1..keys.len()).rev() {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        keys.swap(i, (state >> 33) as usize % (i + 1));
    }
    let mut bytes = vec![131, 116];
    bytes.extend(n.to_be_bytes());
    for k in keys {
        bytes.push(98);
        bytes.extend(k.to_be_bytes());
        bytes.extend([97, 0]);
    }
    bytes
}

fn walk(term: &Term<'_>) -> usize {
    term.walk().count()
}

fn time<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let value = f();
    println!("{what}: {:.2?}", start.elapsed());
    value
}

fn main() {
    for depth in [20_000, 40_000, 80_000, 1_000_000] {
        let bytes = nested(depth, &[104, 2, 97, 1], &[106], &[]);
        let term = decode(&bytes).expect("valid");
        time(&format!("walk {{1,{{1,...}}}} {depth} deep ({} bytes)", bytes.len()), || walk(&term));
        let first = nested(depth, &[104, 2], &[106], &[97, 1]);
        let term = decode(&first).expect("valid");
        time(&format!("walk {{{{...,1}},1}} {depth} deep (nested first)"), || walk(&term));
        time(&format!("print {depth} deep"), || term.to_string().len());
    }
    for n in [1_000, 100_000, 1_000_000] {
        let bytes = shuffled_map(n);
        time(&format!("decode a map of {n} shuffled integer keys"), || decode(&bytes).expect("valid").as_i64());
    }
}
