//! Cost of the shapes an attacker (or Erlang itself) picks: deep chains walked fully and
//! printed, maps of many keys in hash order, and a compressed input that declares far more than
//! it holds. One timing each, release build:
//! `cargo run --release -p erlport-benches --bin shapes`; ERTS's figures for the same shapes:
//! `escript benches/erts_shapes.escript`.

use erlport_codec::{Decoder, Term, decode};
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

/// 0..n in a shuffled order (an LCG permutation).
fn shuffled(n: u32) -> Vec<u32> {
    let mut keys: Vec<u32> = (0..n).collect();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for i in (1..keys.len()).rev() {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        keys.swap(i, (state >> 33) as usize % (i + 1));
    }
    keys
}

/// A map of `n` integer keys in a shuffled order, values 0.
fn shuffled_map(n: u32) -> Vec<u8> {
    let keys = shuffled(n);
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
    for n in [1_000u32, 100_000, 1_000_000] {
        let bytes = shuffled_map(n);
        let rounds = 1_000_000 / n;
        let start = Instant::now();
        for _ in 0..rounds {
            decode(&bytes).expect("valid");
        }
        let each = start.elapsed() / rounds;
        println!(
            "decode a map of {n} shuffled integer keys: {each:.2?} ({:.0} ns a key)",
            each.as_nanos() as f64 / f64::from(n)
        );
    }
    let lists = list_keyed_map(10_000, 500);
    time(&format!("decode a map of 10,000 shuffled keys that are 500-element lists ({} bytes)", lists.len()), || {
        decode(&lists).expect("valid").as_i64()
    });
    // 13 bytes that declare 64 MiB of compressed data (a zlib stream of one byte).
    let bomb = [131, 80, 4, 0, 0, 0, 120, 156, 99, 0, 0, 0, 1];
    let mut scratch = Vec::new();
    let start = Instant::now();
    for _ in 0..1000 {
        let _ = Decoder::new().scratch_vec(&mut scratch).decode(&bomb);
    }
    println!(
        "13 bytes declaring 64 MiB compressed, into a growing Vec: {:.2?} each, scratch capacity {} bytes",
        start.elapsed() / 1000,
        scratch.capacity()
    );
}

/// A map of `n` keys, each a list of `len` small integers whose first element is the key's
/// number (in a shuffled order), values 0.
fn list_keyed_map(n: u32, len: u32) -> Vec<u8> {
    let keys = shuffled(n);
    let mut bytes = vec![131, 116];
    bytes.extend(n.to_be_bytes());
    for k in keys {
        bytes.push(108);
        bytes.extend(len.to_be_bytes());
        bytes.push(98);
        bytes.extend(k.to_be_bytes());
        for _ in 1..len {
            bytes.extend([97, 7]);
        }
        bytes.extend([106, 97, 0]);
    }
    bytes
}
