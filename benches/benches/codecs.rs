//! Decode (plus a full walk of the result, so laziness does not flatter anyone) and encode
//! the committed Erlang-made inputs with erlport-codec, eetf and erltf, side by side.
//! `scripts/bench` runs this with ERTS's own timings and prints the ratios.

use criterion::{Criterion, criterion_group, criterion_main};
use erlport_benches::{User, UserRef, decode_walk, input, walk, walk_recursive};
use erlport_codec::{decode, encode, encoded_len};
use std::hint::black_box;
use std::time::Duration;

fn walk_eetf(term: &eetf::Term) -> u64 {
    use eetf::Term as T;
    match term {
        T::FixInteger(v) => v.value as u64,
        T::Float(v) => v.value.to_bits(),
        T::Atom(a) => a.name.len() as u64,
        T::Binary(b) => b.bytes.len() as u64,
        T::ByteList(b) => b.bytes.len() as u64,
        T::List(l) => l.elements.iter().fold(0, |acc, e| acc.wrapping_add(walk_eetf(e))),
        T::Tuple(t) => t.elements.iter().fold(0, |acc, e| acc.wrapping_add(walk_eetf(e))),
        T::Map(m) => m.map.iter().fold(0, |acc, (k, v)| acc.wrapping_add(walk_eetf(k)).wrapping_add(walk_eetf(v))),
        _ => 1,
    }
}

fn walk_erltf(term: &erltf::OwnedTerm) -> u64 {
    use erltf::OwnedTerm as T;
    match term {
        T::Integer(v) => *v as u64,
        T::Float(v) => v.to_bits(),
        T::Atom(a) => a.as_str().len() as u64,
        T::Binary(b) => b.len() as u64,
        T::String(s) => s.len() as u64,
        T::List(l) | T::Tuple(l) => l.iter().fold(0, |acc, e| acc.wrapping_add(walk_erltf(e))),
        T::Map(m) => m.iter().fold(0, |acc, (k, v)| acc.wrapping_add(walk_erltf(k)).wrapping_add(walk_erltf(v))),
        _ => 1,
    }
}

fn codecs(c: &mut Criterion) {
    for name in ["a", "b", "c", "d"] {
        let bytes = input(name);
        let mut group = c.benchmark_group(format!("decode_walk/{name}"));
        let mut scratch = vec![0u8; erlport_codec::compressed_size(&bytes).unwrap_or(0) as usize];
        group.bench_function("erlport", |b| b.iter(|| decode_walk(&bytes, &mut scratch, walk)));
        group.bench_function("erlport_recursive", |b| b.iter(|| decode_walk(&bytes, &mut scratch, walk_recursive)));
        group.bench_function("copy", |b| b.iter(|| black_box(&bytes).to_vec()));
        group.bench_function("eetf", |b| b.iter(|| walk_eetf(&eetf::Term::decode(black_box(&bytes[..])).unwrap())));
        group.bench_function("erltf", |b| b.iter(|| walk_erltf(&erltf::decode(black_box(&bytes)).unwrap())));
        group.finish();
    }
    // The large maps (scripts/bench generates them): ours and the copy floor only.
    if let Ok(dir) = std::env::var("BENCH_LARGE_DIR") {
        for name in ["e", "f"] {
            let bytes = std::fs::read(format!("{dir}/{name}.etf")).expect("BENCH_LARGE_DIR/{e,f}.etf");
            let mut group = c.benchmark_group(format!("decode_walk/{name}"));
            group.sample_size(10);
            group.bench_function("erlport", |b| b.iter(|| decode_walk(&bytes, &mut [], walk)));
            group.bench_function("copy", |b| b.iter(|| black_box(&bytes).to_vec()));
            group.finish();
        }
    }

    let bytes = input("b");
    let users = User::input_b();
    let view = decode(&bytes).unwrap();
    let eetf_term = eetf::Term::decode(&bytes[..]).unwrap();
    let erltf_term = erltf::decode(&bytes).unwrap();
    let mut out = vec![0u8; encoded_len(&users[..]).unwrap().max(bytes.len())];
    let mut group = c.benchmark_group("encode/b");
    group.bench_function("erlport", |b| b.iter(|| encode(black_box(&users[..]), &mut out).unwrap()));
    group.bench_function("erlport_view", |b| b.iter(|| encode(black_box(&view), &mut out).unwrap()));
    group.bench_function("eetf", |b| {
        b.iter(|| {
            let mut v = Vec::with_capacity(bytes.len());
            black_box(&eetf_term).encode(&mut v).unwrap();
            v
        })
    });
    group.bench_function("erltf", |b| b.iter(|| erltf::encode(black_box(&erltf_term)).unwrap()));
    group.finish();
}

/// The same, owned: what serde_eetf can give (it reads its own owned terms, and atoms only
/// as enum variants, in CamelCase).
#[derive(serde::Deserialize, serde::Serialize)]
struct UserOwned {
    id: i64,
    name: String,
    score: f64,
    tags: Vec<Tag>,
}

#[derive(serde::Deserialize, serde::Serialize)]
enum Tag {
    Atom1,
    Atom2,
}

fn typed(c: &mut Criterion) {
    let bytes = input("b");
    let mut group = c.benchmark_group("serde/b");
    group.bench_function("erlport_from_bytes", |b| {
        b.iter(|| erlport_codec::from_bytes::<Vec<UserRef>>(black_box(&bytes)).unwrap().len())
    });
    let users: Vec<UserRef> = erlport_codec::from_bytes(&bytes).unwrap();
    let mut out = vec![0u8; erlport_codec::serialized_len(&users).unwrap()];
    group.bench_function("erlport_to_slice", |b| {
        b.iter(|| erlport_codec::to_slice(black_box(&users), &mut out).unwrap())
    });
    group.bench_function("erlport_decode_walk", |b| b.iter(|| decode_walk(&bytes, &mut [], walk)));
    let owned: Vec<UserOwned> = serde_eetf::from_bytes(&bytes).expect("serde_eetf reads b");
    group.bench_function("serde_eetf_from_bytes", |b| {
        b.iter(|| serde_eetf::from_bytes::<Vec<UserOwned>>(black_box(&bytes)).unwrap().len())
    });
    group.bench_function("serde_eetf_to_bytes", |b| b.iter(|| serde_eetf::to_bytes(black_box(&owned)).unwrap()));
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2)).sample_size(30);
    targets = codecs, typed
}
criterion_main!(benches);
