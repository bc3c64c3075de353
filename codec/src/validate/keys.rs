//! Comparing and hashing map keys for the duplicate check: quick orders for the keys Erlang
//! writes most, and a hash of a key's canonical form (two encodings of one term hash alike).

#[cfg(feature = "serde")]
use super::order::compare;
use crate::wire::AtomText;
use crate::wire::{self, Head, Int};
use core::cmp::Ordering;

/// Whether the valid map key at the start of `a` comes before the one at the start of `b`
/// in the exact order, as the key check compares them (atoms of one encoding, the keys
/// Erlang writes most, by their bytes at once). `false` for equal keys, and where the
/// comparison would need memory it has not got.
#[cfg(feature = "serde")]
#[inline]
pub(crate) fn key_less(a: &[u8], b: &[u8]) -> bool {
    if let (Some((x, _)), Some((y, _))) = (wire::atom_at(a), wire::atom_at(b))
        && x.utf8 == y.utf8
    {
        return atom_bytes_less(x.bytes, y.bytes);
    }
    quick_compare(a, b).or_else(|| compare(a, b).ok()) == Some(Ordering::Less)
}

/// The exact order of two keys when both are atoms in the same encoding or both small
/// integers, without the general comparison's machinery; `None` otherwise.
#[inline]
pub(super) fn quick_compare(a: &[u8], b: &[u8]) -> Option<Ordering> {
    match (wire::read(a).ok()?.0, wire::read(b).ok()?.0) {
        (Head::Int(Int::Small(x)), Head::Int(Int::Small(y))) => Some(x.cmp(&y)),
        (Head::Atom(x), Head::Atom(y)) if x.utf8 == y.utf8 => Some(x.bytes.cmp(y.bytes)),
        _ => None,
    }
}

/// `a < b` for the bytes of two atoms of one encoding, deciding on the first byte when it
/// differs (keys Erlang writes mostly differ there) without a call to `memcmp`.
#[cfg_attr(not(target_os = "none"), inline(always))]
pub(crate) fn atom_bytes_less(a: &[u8], b: &[u8]) -> bool {
    match (a.first(), b.first()) {
        (Some(x), Some(y)) if x != y => x < y,
        _ => a < b,
    }
}

/// A hash of a key's canonical form: two encodings of one term hash alike (atoms as
/// characters, integers by value, lists however split, binaries and 8-bit bitstrings,
/// old and new pid, port and reference forms). The walk stops at the first map or fun
/// inside the key, so it reads each byte of a key at most once and never a nested map's keys.
pub(crate) fn hash_key(key: &[u8]) -> u32 {
    let mut h = Hasher(0x9e37_79b9_7f4a_7c15);
    let mut rest = key;
    let mut pending: u64 = 1;
    while pending > 0 {
        pending -= 1;
        let Ok((head, len)) = wire::read(rest) else { break };
        rest = rest.get(len..).unwrap_or(&[]);
        match head {
            Head::Int(value) => h.int(value),
            Head::Float(value) => h.words(&[3, value.to_bits()]),
            Head::FloatText(text) => h.words(&[3, wire::parse_float_text(text).unwrap_or(0.0).to_bits()]),
            Head::Atom(text) => h.atom(text),
            Head::Bits { bytes, bits } => {
                h.word(5);
                if bits >= 8 || bytes.is_empty() {
                    h.bytes(bytes);
                } else {
                    let (last, whole) = bytes.split_last().unwrap_or((&0, &[]));
                    h.bytes(whole);
                    h.words(&[u64::from(last & !(0xffu8 >> bits)), u64::from(bits)]);
                }
            }
            // Lists hash as their elements and their tail, however they are split.
            Head::Nil => h.word(6),
            Head::String(bytes) => {
                for &b in bytes {
                    h.int(Int::Small(i64::from(b)));
                }
                h.word(6);
            }
            Head::List(n) => pending += u64::from(n) + 1,
            Head::Tuple(n) => {
                h.words(&[7, u64::from(n)]);
                pending += u64::from(n);
            }
            Head::Pid(raw) => {
                let f = wire::fields(wire::pid, raw);
                h.word(8);
                h.atom(f.node);
                h.words(&[u64::from(f.id), u64::from(f.serial), u64::from(f.creation)]);
            }
            Head::Port(raw) => {
                let f = wire::fields(wire::port, raw);
                h.word(9);
                h.atom(f.node);
                h.words(&[f.id, u64::from(f.creation)]);
            }
            Head::Reference(raw) => {
                let f = wire::fields(wire::reference, raw);
                h.word(10);
                h.atom(f.node);
                h.word(u64::from(f.creation));
                h.bytes(f.words);
            }
            Head::Export(raw) => {
                let f = wire::fields(wire::export, raw);
                h.word(11);
                h.atom(f.module);
                h.atom(f.function);
                h.int(f.arity);
            }
            Head::Map(n) => {
                h.words(&[12, u64::from(n)]);
                break;
            }
            // What ERTS compares of a fun before its free variables (see `cmp`): equal funs
            // hash alike, and funs that differ there rarely share a bucket.
            Head::Fun { header, .. } => {
                let f = wire::fields(wire::fun, header);
                h.word(13);
                h.atom(f.module);
                let old_uniq = match f.old_uniq {
                    Int::Small(v) => v as u32,
                    Int::Big { .. } => 0,
                };
                h.words(&[u64::from(f.index), u64::from(old_uniq), u64::from(f.free)]);
                break;
            }
        }
    }
    (h.0 >> 32) as u32
}

pub(super) struct Hasher(u64);

impl Hasher {
    #[inline]
    fn word(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(26) ^ w).wrapping_mul(0x2d35_8dcc_aa6c_78a5);
    }

    fn words(&mut self, ws: &[u64]) {
        for &w in ws {
            self.word(w);
        }
    }

    fn bytes(&mut self, bytes: &[u8]) {
        self.word(bytes.len() as u64);
        let (chunks, tail) = bytes.as_chunks::<8>();
        for chunk in chunks {
            self.word(u64::from_le_bytes(*chunk));
        }
        let mut last = [0u8; 8];
        last[..tail.len()].copy_from_slice(tail);
        self.word(u64::from_le_bytes(last));
    }

    fn int(&mut self, value: Int<'_>) {
        match value {
            Int::Small(v) => self.words(&[1, v as u64]),
            Int::Big { negative, magnitude } => {
                self.words(&[2, u64::from(negative)]);
                self.bytes(magnitude);
            }
        }
    }

    fn atom(&mut self, text: AtomText<'_>) {
        self.word(4);
        if text.bytes.is_ascii() {
            self.bytes(text.bytes);
        } else {
            let mut count = 0u64;
            for c in text.chars() {
                self.word(u64::from(u32::from(c)));
                count += 1;
            }
            self.word(count);
        }
    }
}
