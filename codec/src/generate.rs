//! [`ArbitraryTerm`]: valid Erlang terms of every kind, made by `arbitrary` from a fuzzer's
//! bytes (feature `arbitrary`).

use crate::decode::decode;
use crate::encode::{Encode, Encoder, Sink, encode_to_vec};
use crate::term::{Atom, BitBinary};
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use arbitrary::{Arbitrary, Unstructured};
use core::cmp::Ordering;

/// Containers nested deeper than this are not generated (generating, encoding and dropping an
/// `ArbitraryTerm` recurse).
pub const MAX_GENERATED_DEPTH: u32 = 24;

/// The largest fun index and old uniq made (in magnitude). ERTS orders funs by the sign of
/// these fields' 32-bit differences, which is not a total order when a difference overflows;
/// within this range it is, so generated maps have one key order.
const MAX_FUN_FIELD: i32 = 1 << 29;

/// Node names of generated pids, ports and references: never the local node of the VM that
/// reads them (`nonode@nohost`), whose pids Erlang would check and rewrite.
const NODES: [&str; 4] = ["a@b", "node@host", "erlport@127.0.0.1", "n\u{e9}@h\u{f4}te"];

/// An Erlang term made by [`arbitrary`](https://docs.rs/arbitrary) from a fuzzer's bytes
/// (feature `arbitrary`): always valid, of every kind the codec decodes, and encoded
/// ([`Encode`]) exactly as `term_to_binary(T, [{minor_version, 2}])` writes it, so Erlang reads
/// it and writes the same bytes back (`minor_version` 1 with
/// [`AtomEncoding::Latin1`](crate::AtomEncoding::Latin1)).
///
/// The fuzzer's bytes choose the shape: kinds, lengths, nesting (up to
/// [`MAX_GENERATED_DEPTH`]). Maps have distinct keys (at most 32, sorted in Erlang's key
/// order, as Erlang writes small maps); atoms are UTF-8 text of up to 255 characters, latin-1
/// or beyond; lists may be improper; integers of any size up to 128 bytes; floats are finite and
/// never `-0.0` (OTP 25 and 27 disagree about it as a map key); pids, ports, references and
/// funs belong to other nodes (their free variables hold no funs; their index and old uniq
/// stay within ±2^29, where ERTS's order of funs is a total order).
///
/// ```
/// use arbitrary::{Arbitrary, Unstructured};
/// use erlport_codec::{ArbitraryTerm, decode, encode_to_vec};
///
/// let bytes = [7u8, 42, 3, 9, 200, 1, 5, 77, 12, 0, 3, 8, 250, 17, 99, 4];
/// let term = ArbitraryTerm::arbitrary(&mut Unstructured::new(&bytes))?;
/// let etf = encode_to_vec(&term).unwrap();
/// assert!(decode(&etf).is_ok());
/// # Ok::<(), arbitrary::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum ArbitraryTerm {
    /// An integer that fits an `i64`.
    Integer(i64),
    /// An integer of any size: a sign and a little-endian magnitude.
    BigInt {
        /// Whether it is below zero.
        negative: bool,
        /// The magnitude, little-endian.
        magnitude: Vec<u8>,
    },
    /// A finite float.
    Float(f64),
    /// An atom (at most 255 characters).
    Atom(String),
    /// A binary.
    Binary(Vec<u8>),
    /// A bitstring: `bytes`, of which the last holds `bits` (1..=7) bits.
    BitBinary {
        /// The bytes.
        bytes: Vec<u8>,
        /// The bits used of the last byte.
        bits: u8,
    },
    /// A proper list.
    List(Vec<ArbitraryTerm>),
    /// `[E1, ..., En | Tail]` with at least one element and a tail that is not a list.
    ImproperList(Vec<ArbitraryTerm>, Box<ArbitraryTerm>),
    /// A tuple.
    Tuple(Vec<ArbitraryTerm>),
    /// A map: distinct keys, in Erlang's key order.
    Map(Vec<(ArbitraryTerm, ArbitraryTerm)>),
    /// A pid of another node.
    Pid {
        /// The node.
        node: String,
        /// The process number.
        id: u32,
        /// The serial.
        serial: u32,
        /// The node's creation.
        creation: u32,
    },
    /// A port of another node.
    Port {
        /// The node.
        node: String,
        /// The port number.
        id: u64,
        /// The node's creation.
        creation: u32,
    },
    /// A reference of another node (1 to 3 words).
    Reference {
        /// The node.
        node: String,
        /// The node's creation.
        creation: u32,
        /// The words.
        ids: Vec<u32>,
    },
    /// `fun Module:Function/Arity`.
    Export {
        /// The module.
        module: String,
        /// The function.
        function: String,
        /// The arity.
        arity: u8,
    },
    /// A fun (`NEW_FUN_EXT`) made on another node, with its free variables.
    Fun {
        /// The module it was defined in.
        module: String,
        /// Its arity.
        arity: u8,
        /// The module's MD5.
        uniq: [u8; 16],
        /// Its index in the module.
        index: u32,
        /// The old index.
        old_index: i32,
        /// The old uniq.
        old_uniq: i32,
        /// The creator's node, number, serial and creation.
        creator: (String, u32, u32, u32),
        /// The free variables.
        free: Vec<ArbitraryTerm>,
    },
}

impl<'a> Arbitrary<'a> for ArbitraryTerm {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        generate(u, 0, true)
    }
}

fn node(u: &mut Unstructured<'_>) -> arbitrary::Result<String> {
    Ok(String::from(*u.choose(&NODES)?))
}

/// An atom's text: arbitrary text cut to 255 characters.
fn atom_text(u: &mut Unstructured<'_>) -> arbitrary::Result<String> {
    let text: String = u.arbitrary()?;
    Ok(text.chars().take(255).collect())
}

fn float(u: &mut Unstructured<'_>) -> arbitrary::Result<f64> {
    let value: f64 = u.arbitrary()?;
    Ok(if !value.is_finite() || value == 0.0 { 0.0 } else { value })
}

/// A term `depth` containers down; `funs`: whether funs may be made (not inside a fun's free
/// variables: a fun's size field needs its free variables' length, counted before they are
/// written, so funs inside funs would cost twice per level).
fn generate(u: &mut Unstructured<'_>, depth: u32, funs: bool) -> arbitrary::Result<ArbitraryTerm> {
    let deeper = depth < MAX_GENERATED_DEPTH;
    let items = |u: &mut Unstructured<'_>| -> arbitrary::Result<Vec<ArbitraryTerm>> {
        let n = u.arbitrary_len::<[u8; 4]>()?;
        (0..n).map(|_| generate(u, depth + 1, funs)).collect()
    };
    let kinds = match (deeper, funs) {
        (true, true) => 16,
        (true, false) => 15,
        (false, _) => 11,
    };
    Ok(match u.choose_index(kinds)? {
        0 => ArbitraryTerm::Integer(u.arbitrary()?),
        1 => ArbitraryTerm::Integer(i64::from(u.arbitrary::<u8>()?)),
        2 => {
            let n = u.int_in_range(1..=128)?;
            ArbitraryTerm::BigInt { negative: u.arbitrary()?, magnitude: u.bytes(n)?.to_vec() }
        }
        3 => ArbitraryTerm::Float(float(u)?),
        4 => ArbitraryTerm::Atom(atom_text(u)?),
        5 => ArbitraryTerm::Binary(u.arbitrary()?),
        6 => {
            let mut bytes: Vec<u8> = u.arbitrary()?;
            if bytes.is_empty() {
                bytes.push(u.arbitrary()?);
            }
            ArbitraryTerm::BitBinary { bytes, bits: u.int_in_range(1..=7)? }
        }
        7 => {
            ArbitraryTerm::Pid { node: node(u)?, id: u.arbitrary()?, serial: u.arbitrary()?, creation: u.arbitrary()? }
        }
        8 => ArbitraryTerm::Port { node: node(u)?, id: u.arbitrary()?, creation: u.arbitrary()? },
        9 => {
            let n = u.int_in_range(1..=3)?;
            let ids = (0..n).map(|_| u.arbitrary()).collect::<arbitrary::Result<_>>()?;
            ArbitraryTerm::Reference { node: node(u)?, creation: u.arbitrary()?, ids }
        }
        10 => ArbitraryTerm::Export { module: atom_text(u)?, function: atom_text(u)?, arity: u.arbitrary()? },
        11 => ArbitraryTerm::List(items(u)?),
        12 => {
            let mut elements = items(u)?;
            if elements.is_empty() {
                elements.push(generate(u, depth + 1, funs)?);
            }
            let mut tail = generate(u, depth + 1, funs)?;
            if matches!(tail, ArbitraryTerm::List(_) | ArbitraryTerm::ImproperList(..)) {
                tail = ArbitraryTerm::Atom(String::from("tail"));
            }
            ArbitraryTerm::ImproperList(elements, Box::new(tail))
        }
        13 => ArbitraryTerm::Tuple(items(u)?),
        14 => {
            let n = u.int_in_range(0..=32)?;
            let pairs = (0..n)
                .map(|_| Ok((generate(u, depth + 1, funs)?, generate(u, depth + 1, funs)?)))
                .collect::<arbitrary::Result<Vec<_>>>()?;
            ArbitraryTerm::Map(in_key_order(pairs))
        }
        _ => {
            let n = u.int_in_range(0..=4)?;
            let free = (0..n).map(|_| generate(u, depth + 1, false)).collect::<arbitrary::Result<_>>()?;
            ArbitraryTerm::Fun {
                module: atom_text(u)?,
                arity: u.arbitrary()?,
                uniq: u.arbitrary()?,
                index: u.int_in_range(0..=MAX_FUN_FIELD as u32)?,
                old_index: u.arbitrary()?,
                old_uniq: u.int_in_range(-MAX_FUN_FIELD..=MAX_FUN_FIELD)?,
                creator: (node(u)?, u.arbitrary()?, u.arbitrary()?, u.arbitrary()?),
                free,
            }
        }
    })
}

/// The pairs sorted by key in Erlang's map key order, the first of equal keys kept. Each key is
/// encoded and decoded once; the sort compares the views.
fn in_key_order(pairs: Vec<(ArbitraryTerm, ArbitraryTerm)>) -> Vec<(ArbitraryTerm, ArbitraryTerm)> {
    let encoded: Vec<Vec<u8>> = pairs.iter().map(|(key, _)| encode_to_vec(key).unwrap_or_default()).collect();
    let views: Vec<Option<crate::term::Term<'_>>> = encoded.iter().map(|bytes| decode(bytes).ok()).collect();
    let order = |a: usize, b: usize| match (views[a], views[b]) {
        (Some(x), Some(y)) => x.exact_cmp(&y),
        _ => Ordering::Equal,
    };
    let mut indices: Vec<usize> = (0..pairs.len()).filter(|&i| views[i].is_some()).collect();
    indices.sort_by(|&a, &b| order(a, b));
    indices.dedup_by(|later, earlier| order(*later, *earlier) == Ordering::Equal);
    let mut slots: Vec<Option<(ArbitraryTerm, ArbitraryTerm)>> = pairs.into_iter().map(Some).collect();
    indices.into_iter().filter_map(|i| slots[i].take()).collect()
}

impl Encode for ArbitraryTerm {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
        match self {
            ArbitraryTerm::Integer(v) => e.integer(*v),
            ArbitraryTerm::BigInt { negative, magnitude } => e.big(*negative, magnitude),
            ArbitraryTerm::Float(v) => e.float(*v),
            ArbitraryTerm::Atom(text) => e.atom(text),
            ArbitraryTerm::Binary(bytes) => e.binary(bytes),
            ArbitraryTerm::BitBinary { bytes, bits } => BitBinary::new(bytes, *bits).encode(e),
            ArbitraryTerm::List(items) => items.as_slice().encode(e),
            ArbitraryTerm::ImproperList(items, tail) => e.improper_list(items.len(), |e| {
                items.iter().try_for_each(|item| item.encode(e))?;
                tail.encode(e)
            }),
            ArbitraryTerm::Tuple(items) => e.tuple(items.len(), |e| items.iter().try_for_each(|item| item.encode(e))),
            ArbitraryTerm::Map(pairs) => e.map(pairs.len(), |e| {
                pairs.iter().try_for_each(|(k, v)| {
                    k.encode(e)?;
                    v.encode(e)
                })
            }),
            ArbitraryTerm::Pid { node, id, serial, creation } => e.pid(&Atom::new(node), *id, *serial, *creation),
            ArbitraryTerm::Port { node, id, creation } => e.port(&Atom::new(node), *id, *creation),
            ArbitraryTerm::Reference { node, creation, ids } => e.reference(&Atom::new(node), *creation, ids),
            ArbitraryTerm::Export { module, function, arity } => e.export(module, function, *arity),
            ArbitraryTerm::Fun { module, arity, uniq, index, old_index, old_uniq, creator, free } => {
                let (node, id, serial, creation) = creator;
                let fun = crate::encode::FunParts {
                    module,
                    arity: *arity,
                    uniq,
                    index: *index,
                    old_index: i64::from(*old_index),
                    old_uniq: i64::from(*old_uniq),
                    creator: (&Atom::new(node), *id, *serial, *creation),
                };
                e.fun(&fun, free)
            }
        }
    }

    fn as_byte(&self) -> Option<u8> {
        match self {
            ArbitraryTerm::Integer(v) => u8::try_from(*v).ok(),
            _ => None,
        }
    }
}
