//! Encoding: random values of every kind, checked by the real Erlang VM (same term, same bytes
//! as `term_to_binary(T, [{minor_version, 2}])`, or 1 for latin-1 atoms), and properties:
//! `encoded_len` equals what is written, every too-small buffer is refused, and decoding the
//! output navigates back to the value.

mod common;

use erlport_codec::{
    Atom, AtomEncoding, BigInt, BitBinary, Encode, EncodeError, Encoder, ErlString, ImproperList, MapFrom, Sink, Term,
    decode, encode_with, encoded_len_with,
};

/// A value built from the typed `Encode` impls and the builder calls.
#[derive(Clone, Debug)]
enum V {
    Small(u8),
    Int(i64),
    I32(i32),
    U128(u128),
    I128(i128),
    Big(bool, Vec<u8>),
    Float(f64),
    Atom(String),
    Bool(bool),
    Undefined,
    Bin(Vec<u8>),
    Str(String),
    Bits(Vec<u8>, u8),
    Chars(String),
    List(Vec<V>),
    Improper(Vec<V>, Box<V>),
    Tuple(Vec<V>),
    Pair(Box<V>, Box<V>),
    Map(Vec<(V, V)>),
    Pid(String, u32, u32, u32),
    Port(String, u64, u32),
    Ref(String, u32, Vec<u32>),
    Export(String, String, u8),
}

impl Encode for V {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
        match self {
            V::Small(v) => v.encode(e),
            V::Int(v) => v.encode(e),
            V::I32(v) => v.encode(e),
            V::U128(v) => v.encode(e),
            V::I128(v) => v.encode(e),
            V::Big(negative, magnitude) => BigInt::new(*negative, magnitude).encode(e),
            V::Float(v) => v.encode(e),
            V::Atom(text) => Atom::new(text).encode(e),
            V::Bool(b) => b.encode(e),
            V::Undefined => None::<i32>.encode(e),
            V::Bin(bytes) => bytes.as_slice().encode(e),
            V::Str(text) => text.as_str().encode(e),
            V::Bits(bytes, bits) => BitBinary::new(bytes, *bits).encode(e),
            V::Chars(text) => ErlString(text).encode(e),
            V::List(items) => items.as_slice().encode(e),
            V::Improper(items, tail) => ImproperList { elements: items, tail: &**tail }.encode(e),
            V::Tuple(items) => e.tuple(items.len(), |e| items.iter().try_for_each(|i| i.encode(e))),
            V::Pair(a, b) => (&**a, &**b).encode(e),
            V::Map(pairs) => MapFrom(pairs.iter().map(|(k, v)| (k, v))).encode(e),
            V::Pid(node, id, serial, creation) => e.pid(&Atom::new(node), *id, *serial, *creation),
            V::Port(node, id, creation) => e.port(&Atom::new(node), *id, *creation),
            V::Ref(node, creation, ids) => e.reference(&Atom::new(node), *creation, ids),
            V::Export(m, f, a) => e.export(m, f, *a),
        }
    }

    fn as_byte(&self) -> Option<u8> {
        match self {
            V::Small(v) => Some(*v),
            V::Int(v) => u8::try_from(*v).ok(),
            V::I32(v) => u8::try_from(*v).ok(),
            _ => None,
        }
    }
}

/// xorshift64*: seeded, so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

fn atom_text(rng: &mut Rng) -> String {
    let pool: &[&str] =
        &["ok", "error", "", "a b", "Quoted", "é", "€uro", "nonode@nohost", "it's", "日本", "\u{10FFFF}"];
    match rng.below(3) {
        0 => rng.pick(pool).to_string(),
        1 => (0..rng.below(20) + 1).map(|_| char::from(b'a' + rng.below(26) as u8)).collect(),
        _ => {
            let len = rng.below(255) + 1;
            (0..len).map(|_| *rng.pick(&['x', 'ÿ', 'é', '€', '𐍈', '_', '@'])).collect()
        }
    }
}

fn finite_float(rng: &mut Rng) -> f64 {
    loop {
        let f = match rng.below(3) {
            0 => *rng.pick(&[0.0, -0.0, 0.1, 1.5, 100.0, 1.0e16, 5.0e-324, f64::MAX, f64::MIN, -2.5]),
            1 => (rng.next() as i64 as f64) / 1024.0,
            _ => f64::from_bits(rng.next()),
        };
        if f.is_finite() {
            return f;
        }
    }
}

fn leaf(rng: &mut Rng) -> V {
    match rng.below(20) {
        0 => V::Small(rng.next() as u8),
        1 => V::Int(rng.next() as i64 >> rng.below(64)),
        2 => V::I32(rng.next() as i32),
        3 => V::U128(u128::from(rng.next()) << rng.below(64)),
        4 => V::I128(-(i128::from(rng.next()) << rng.below(64))),
        5 => {
            let len = rng.below(300) as usize + 1;
            V::Big(rng.below(2) == 0, rng.bytes(len))
        }
        6 | 7 => V::Float(finite_float(rng)),
        8 | 9 => V::Atom(atom_text(rng)),
        10 => V::Bool(rng.below(2) == 0),
        11 => V::Undefined,
        12 => {
            let len = rng.below(40) as usize;
            V::Bin(rng.bytes(len))
        }
        13 => V::Str(atom_text(rng)),
        14 => {
            let len = rng.below(8) as usize + 1;
            V::Bits(rng.bytes(len), rng.below(7) as u8 + 1)
        }
        15 => V::Chars(atom_text(rng)),
        16 => V::Pid("a@b".into(), rng.next() as u32, rng.next() as u32, rng.next() as u32 | 1),
        17 => V::Port(atom_text(rng), rng.next() >> rng.below(64), rng.next() as u32 | 1),
        18 => {
            let ids = (0..rng.below(5) + 1).map(|_| rng.next() as u32).collect();
            V::Ref("node@host".into(), rng.next() as u32 | 1, ids)
        }
        _ => V::Export(atom_text(rng), atom_text(rng), rng.next() as u8),
    }
}

fn value(rng: &mut Rng, depth: u32) -> V {
    if depth == 0 || rng.below(3) == 0 {
        return leaf(rng);
    }
    let n = rng.below(6) as usize;
    match rng.below(6) {
        0 => V::List((0..n).map(|_| value(rng, depth - 1)).collect()),
        1 => V::List((0..n + 1).map(|_| V::Small(rng.next() as u8)).collect()),
        2 => {
            let tail = loop {
                let t = leaf(rng);
                if !matches!(t, V::Chars(_)) {
                    break t;
                }
            };
            V::Improper((0..n + 1).map(|_| value(rng, depth - 1)).collect(), Box::new(tail))
        }
        3 => V::Tuple((0..if rng.below(20) == 0 { 256 + n } else { n }).map(|_| value(rng, depth - 1)).collect()),
        4 => V::Pair(Box::new(value(rng, depth - 1)), Box::new(value(rng, depth - 1))),
        _ => {
            // Keys sorted as Erlang sorts small maps: integers by value, then atoms by text.
            let mut ints: Vec<i64> = (0..n).map(|_| rng.next() as i32 as i64).collect();
            ints.sort();
            ints.dedup();
            let mut atoms: Vec<String> = (0..rng.below(4)).map(|_| atom_text(rng)).collect();
            atoms.sort();
            atoms.dedup();
            let mut pairs: Vec<(V, V)> = ints.into_iter().map(|k| (V::Int(k), value(rng, depth - 1))).collect();
            pairs.extend(atoms.into_iter().map(|k| (V::Atom(k), value(rng, depth - 1))));
            V::Map(pairs)
        }
    }
}

fn values(seed: u64, count: usize) -> Vec<V> {
    let mut rng = Rng(seed);
    (0..count).map(|_| value(&mut rng, 4)).collect()
}

fn encode_vec(v: &V, atoms: AtomEncoding) -> Vec<u8> {
    let len = encoded_len_with(v, atoms).expect("encodable");
    let mut buf = vec![0u8; len];
    assert_eq!(encode_with(v, &mut buf, atoms), Ok(len), "encoded_len equals what encode writes");
    buf
}

/// Whether the decoded view is the value, walking both.
fn same(v: &V, t: &Term<'_>) -> bool {
    match (v, t) {
        (V::Small(a), Term::Integer(b)) => i64::from(*a) == *b,
        (V::Int(a), Term::Integer(b)) => a == b,
        (V::I32(a), Term::Integer(b)) => i64::from(*a) == *b,
        (V::U128(a), _) => match t {
            Term::Integer(b) => i128::from(*b) == *a as i128,
            Term::BigInt(b) => {
                b.to_i128().map(|x| x as u128) == Some(*a) || b.magnitude() == &a.to_le_bytes()[..b.magnitude().len()]
            }
            _ => false,
        },
        (V::I128(a), _) => match t {
            Term::Integer(b) => i128::from(*b) == *a,
            Term::BigInt(b) => b.to_i128() == Some(*a),
            _ => false,
        },
        (V::Big(neg, mag), _) => {
            let mut m = mag.clone();
            while m.last() == Some(&0) {
                m.pop();
            }
            match t {
                Term::Integer(b) => {
                    m.len() <= 8 && {
                        let mut le = [0u8; 16];
                        le[..m.len()].copy_from_slice(&m);
                        let mag = i128::from_le_bytes(le);
                        i128::from(*b) == if *neg { -mag } else { mag }
                    }
                }
                Term::BigInt(b) => b.magnitude() == &m[..] && b.is_negative() == *neg,
                _ => false,
            }
        }
        (V::Float(a), Term::Float(b)) => a.to_bits() == b.to_bits(),
        (V::Atom(a), Term::Atom(b)) => *b == a.as_str(),
        (V::Bool(a), Term::Atom(b)) => *b == if *a { "true" } else { "false" },
        (V::Undefined, Term::Atom(b)) => *b == "undefined",
        (V::Bin(a), Term::Binary(b)) => a == b,
        (V::Str(a), Term::Binary(b)) => a.as_bytes() == *b,
        (V::Bits(bytes, bits), Term::BitBinary(b)) => {
            b.bits_in_last_byte() == *bits
                && b.bytes()[..b.bytes().len() - 1] == bytes[..bytes.len() - 1]
                && b.last_byte() == bytes[bytes.len() - 1] & !(0xff >> bits)
        }
        (V::Chars(a), Term::Nil) => a.is_empty(),
        (V::Chars(a), Term::List(l)) => l.iter().map(|c| c.as_i64()).eq(a.chars().map(|c| Some(c as i64))),
        (V::List(a), Term::Nil) => a.is_empty(),
        (V::List(a), Term::List(l)) => {
            l.len() == a.len() && a.iter().zip(l.iter()).all(|(x, y)| same(x, &y)) && l.is_proper()
        }
        (V::Improper(a, tail), Term::List(l)) => {
            l.len() == a.len() && a.iter().zip(l.iter()).all(|(x, y)| same(x, &y)) && same(tail, &l.tail())
        }
        (V::Tuple(a), Term::Tuple(b)) => b.arity() == a.len() && a.iter().zip(b.iter()).all(|(x, y)| same(x, &y)),
        (V::Pair(x, y), Term::Tuple(b)) => b.arity() == 2 && same(x, &b.get(0).unwrap()) && same(y, &b.get(1).unwrap()),
        (V::Map(pairs), Term::Map(m)) => {
            m.len() == pairs.len() && pairs.iter().zip(m.iter()).all(|((k, v), (tk, tv))| same(k, &tk) && same(v, &tv))
        }
        (V::Pid(node, id, serial, creation), Term::Pid(p)) => {
            p.node() == node.as_str() && (p.id(), p.serial(), p.creation()) == (*id, *serial, *creation)
        }
        (V::Port(node, id, creation), Term::Port(p)) => {
            p.node() == node.as_str() && (p.id(), p.creation()) == (*id, *creation)
        }
        (V::Ref(node, creation, ids), Term::Reference(r)) => {
            r.node() == node.as_str() && r.creation() == *creation && r.ids().eq(ids.iter().copied())
        }
        (V::Export(m, f, a), Term::Export(x)) => {
            x.module() == m.as_str() && x.function() == f.as_str() && x.arity() == u64::from(*a)
        }
        _ => false,
    }
}

#[test]
fn round_trips_and_lengths() {
    for (i, v) in values(0x5eed, 3000).iter().enumerate() {
        for atoms in [AtomEncoding::Utf8, AtomEncoding::Latin1] {
            let bytes = encode_vec(v, atoms);
            let term = decode(&bytes).unwrap_or_else(|e| panic!("value {i}: {e}: {v:?}"));
            assert!(same(v, &term), "value {i} decodes to {term}: {v:?}");
            // Re-encoding the view reproduces the bytes.
            assert_eq!(encode_vec_term(&term, atoms), bytes, "value {i}");
        }
    }
}

fn encode_vec_term(t: &Term<'_>, atoms: AtomEncoding) -> Vec<u8> {
    let len = encoded_len_with(t, atoms).unwrap();
    let mut buf = vec![0u8; len];
    assert_eq!(encode_with(t, &mut buf, atoms), Ok(len));
    buf
}

#[test]
fn every_too_small_buffer_is_refused() {
    for v in values(7, 300) {
        let len = encoded_len_with(&v, AtomEncoding::Utf8).unwrap();
        for size in 0..len.min(400) {
            let mut buf = vec![0u8; size];
            assert_eq!(encode_with(&v, &mut buf, AtomEncoding::Utf8), Err(EncodeError::BufferTooSmall { needed: len }));
        }
    }
}

#[cfg(feature = "alloc")]
#[test]
fn erlang_decodes_compressed_output_at_every_level() {
    use erlport_codec::{Compression, Deflater};
    if !common::erl_available() {
        return;
    }
    let mut deflater = Deflater::new();
    let mut lines = String::new();
    let mut compressed = 0;
    let mut values = values(0xc0de, 600);
    // Large, repetitive values, which compression wins on.
    values.extend((0..150).map(|i| V::List(vec![V::Tuple(vec![V::Atom("row".into()), V::Int(i)]); 50 + i as usize])));
    for (i, v) in values.iter().filter(|v| readable(v)).enumerate() {
        let level = Compression::new(1 + (i % 9) as u8).unwrap();
        let mut bytes = Vec::new();
        deflater.encode(v, level, &mut bytes).unwrap();
        compressed += usize::from(bytes[1] == 80);
        let mut scratch = vec![0u8; erlport_codec::compressed_size(&bytes).unwrap_or(0) as usize];
        let text = erlport_codec::Decoder::new().scratch(&mut scratch).decode(&bytes).unwrap().to_string();
        lines.push_str(&format!("z\t{}\t{text}\n", common::to_hex(&bytes)));
    }
    assert!(compressed >= 100, "only {compressed} values were worth compressing");
    common::encode_check("compressed.tsv", &lines, lines.lines().count());
}

fn readable(v: &V) -> bool {
    match v {
        V::Pid(..) | V::Port(..) | V::Ref(..) | V::Export(..) => false,
        V::List(items) | V::Tuple(items) => items.iter().all(readable),
        V::Improper(items, tail) => items.iter().all(readable) && readable(tail),
        V::Pair(a, b) => readable(a) && readable(b),
        V::Map(pairs) => pairs.iter().all(|(k, v)| readable(k) && readable(v)),
        _ => true,
    }
}

#[test]
fn erlang_agrees_with_encoded_values() {
    if !common::erl_available() {
        return;
    }
    let mut lines = String::new();
    for (i, v) in values(0xe71a, 2500).iter().enumerate() {
        let atoms = if i % 4 == 0 { AtomEncoding::Latin1 } else { AtomEncoding::Utf8 };
        let bytes = encode_vec(v, atoms);
        let term = decode(&bytes).unwrap();
        let text = term.to_string();
        // ~w text of pids, ports, references and funs cannot be read back.
        let readable = readable(v);
        let mode = if atoms == AtomEncoding::Latin1 { "mv1" } else { "mv2" };
        lines.push_str(&format!(
            "{mode}\t{}\t{}\n",
            common::to_hex(&bytes),
            if readable { text.as_str() } else { "-" }
        ));
    }
    common::encode_check("values.tsv", &lines, 2500);
}
