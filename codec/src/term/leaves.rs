//! Leaves with more than a value: big integers, atoms, bitstrings.

#[cfg(doc)]
use super::Term;
use crate::wire::{self, AtomChars, AtomText};

/// An integer too large for an `i64`: a sign and a little-endian magnitude.
#[derive(Clone, Copy, Debug)]
pub struct BigInt<'a> {
    pub(super) negative: bool,
    pub(super) magnitude: &'a [u8],
}

impl<'a> BigInt<'a> {
    /// An integer from a sign and a little-endian magnitude, for encoding. High zero bytes
    /// are dropped; a zero magnitude is the integer 0, never negative.
    pub const fn new(negative: bool, magnitude: &'a [u8]) -> Self {
        let mut magnitude = magnitude;
        while let [rest @ .., 0] = magnitude {
            magnitude = rest;
        }
        BigInt { negative: negative && !magnitude.is_empty(), magnitude }
    }

    /// Whether the integer is negative.
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// The magnitude, least significant byte first, without high zero bytes.
    pub fn magnitude(&self) -> &'a [u8] {
        self.magnitude
    }

    /// The value, if it fits an `i128`.
    pub fn to_i128(&self) -> Option<i128> {
        wire::big_to_i128(self.negative, self.magnitude)
    }

    /// The value, if it fits an `i64` (never, for a `BigInt` from [`decode`](crate::decode),
    /// which gives such integers as [`Term::Integer`]).
    pub fn to_i64(&self) -> Option<i64> {
        wire::big_to_i64(self.negative, self.magnitude)
    }
}

/// An atom: its text, latin-1 or UTF-8 as it was written.
///
/// Two atoms are equal when their characters are, whichever encoding each uses.
#[derive(Clone, Copy, Debug)]
pub struct Atom<'a> {
    pub(super) bytes: &'a [u8],
    utf8: bool,
}

impl<'a> From<AtomText<'a>> for Atom<'a> {
    #[inline]
    fn from(text: AtomText<'a>) -> Self {
        Atom { bytes: text.bytes, utf8: text.utf8 }
    }
}

impl<'a> Atom<'a> {
    /// An atom with this text (UTF-8).
    pub const fn new(text: &'a str) -> Self {
        Atom { bytes: text.as_bytes(), utf8: true }
    }

    /// An atom from its bytes as written (latin-1 or UTF-8).
    #[cfg(feature = "serde")]
    pub(crate) fn from_bytes(bytes: &'a [u8], utf8: bool) -> Self {
        Atom { bytes, utf8 }
    }

    pub(crate) fn text(&self) -> AtomText<'a> {
        AtomText { bytes: self.bytes, utf8: self.utf8 }
    }

    /// The text as a `&str`: always for UTF-8 atoms, and for latin-1 atoms that are ASCII.
    /// Use [`Atom::chars`] for any atom.
    pub fn as_str(&self) -> Option<&'a str> {
        if self.utf8 || self.bytes.is_ascii() { core::str::from_utf8(self.bytes).ok() } else { None }
    }

    /// The characters of the atom.
    pub fn chars(&self) -> AtomChars<'a> {
        AtomChars::new(self.bytes, self.utf8)
    }

    /// The bytes as written: latin-1 or UTF-8, see [`Atom::is_utf8`].
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Whether the bytes are UTF-8 (`ATOM_UTF8_EXT`, `SMALL_ATOM_UTF8_EXT`) rather than latin-1.
    pub fn is_utf8(&self) -> bool {
        self.utf8
    }

    /// The number of characters.
    pub fn char_count(&self) -> usize {
        if self.utf8 { self.chars().count() } else { self.bytes.len() }
    }
}

impl PartialEq for Atom<'_> {
    fn eq(&self, other: &Atom<'_>) -> bool {
        if self.utf8 == other.utf8 { self.bytes == other.bytes } else { self.chars().eq(other.chars()) }
    }
}

impl Eq for Atom<'_> {}

impl PartialEq<str> for Atom<'_> {
    fn eq(&self, other: &str) -> bool {
        if self.utf8 || self.bytes.is_ascii() { self.bytes == other.as_bytes() } else { self.chars().eq(other.chars()) }
    }
}

impl PartialEq<&str> for Atom<'_> {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

/// A bitstring whose last byte holds 1 to 7 bits.
#[derive(Clone, Copy, Debug)]
pub struct BitBinary<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) bits: u8,
}

impl<'a> BitBinary<'a> {
    /// A bitstring of `bytes`, of which the last holds `bits` high bits, for encoding. A
    /// `bits` of 0 or above 7 means the last byte is whole (a binary: Erlang has no other
    /// reading of it).
    pub const fn new(bytes: &'a [u8], bits: u8) -> Self {
        BitBinary { bytes, bits: if bits == 0 || bits > 8 { 8 } else { bits } }
    }

    /// The bytes, the last one partly used. Its unused low bits are as written, which Erlang
    /// ignores: use [`BitBinary::last_byte`] for the last byte with them cleared.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// How many high bits of the last byte belong to the bitstring (1 to 8).
    pub fn bits_in_last_byte(&self) -> u8 {
        self.bits
    }

    /// The last byte with its unused low bits cleared.
    pub fn last_byte(&self) -> u8 {
        self.bytes.last().copied().unwrap_or(0) & !0xffu8.checked_shr(u32::from(self.bits)).unwrap_or(0)
    }

    /// The length in bits.
    pub fn bit_len(&self) -> u64 {
        match self.bytes.len() {
            0 => 0,
            n => (n as u64 - 1) * 8 + u64::from(self.bits),
        }
    }
}
