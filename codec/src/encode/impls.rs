//! [`Encode`] for Rust values and for views, and the wrappers that say how a value is
//! written (a charlist, an improper list, a map from pairs).

use super::{Encode, Encoder, Sink};
use crate::term::{Atom, BigInt, BitBinary, Term};
use crate::wire;
use core::fmt;

macro_rules! encode_signed {
    ($($t:ty)*) => {$(
        impl Encode for $t {
            fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
                e.integer(i64::from(*self))
            }
            fn as_byte(&self) -> Option<u8> {
                u8::try_from(*self).ok()
            }
        }
    )*};
}
encode_signed!(i8 i16 i32 i64 u16 u32);

impl Encode for u8 {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
        e.integer(i64::from(*self))
    }
    /// Byte slices are binaries.
    fn encode_slice<W: Sink>(items: &[u8], e: &mut Encoder<W>) -> Result<(), W::Error> {
        e.binary(items)
    }
    fn as_byte(&self) -> Option<u8> {
        Some(*self)
    }
}

macro_rules! encode_wide {
    ($($t:ty => $via:ty, $method:ident;)*) => {$(
        impl Encode for $t {
            fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
                e.$method(*self as $via)
            }
            fn as_byte(&self) -> Option<u8> {
                u8::try_from(*self).ok()
            }
        }
    )*};
}
encode_wide! {
    u64 => u128, u128;
    usize => u128, u128;
    isize => i128, i128;
    u128 => u128, u128;
    i128 => i128, i128;
}

impl Encode for f64 {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
        e.float(*self)
    }
}

impl Encode for f32 {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
        e.float(f64::from(*self))
    }
}

impl Encode for bool {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
        e.boolean(*self)
    }
}

/// Strings are binaries (UTF-8), as erlport sends them; use [`ErlString`] for a list.
impl Encode for str {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
        e.binary(self.as_bytes())
    }
}

#[cfg(feature = "alloc")]
impl Encode for alloc::string::String {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
        e.binary(self.as_bytes())
    }
}

impl<T: Encode> Encode for [T] {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
        T::encode_slice(self, e)
    }
}

impl<T: Encode, const N: usize> Encode for [T; N] {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
        T::encode_slice(self, e)
    }
}

#[cfg(feature = "alloc")]
impl<T: Encode> Encode for alloc::vec::Vec<T> {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
        T::encode_slice(self, e)
    }
}

impl<T: Encode, const N: usize> Encode for heapless::Vec<T, N> {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
        T::encode_slice(self, e)
    }
}

impl<T: Encode + ?Sized> Encode for &T {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
        (**self).encode(e)
    }
    fn as_byte(&self) -> Option<u8> {
        (**self).as_byte()
    }
}

#[cfg(feature = "alloc")]
impl<T: Encode + ?Sized> Encode for alloc::boxed::Box<T> {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
        (**self).encode(e)
    }
}

/// `None` is the atom `undefined`, `Some(v)` is `v`.
impl<T: Encode> Encode for Option<T> {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
        match self {
            Some(value) => value.encode(e),
            None => e.atom("undefined"),
        }
    }
}

impl Encode for () {
    /// `{}`
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
        e.tuple(0, |_| Ok(()))
    }
}

macro_rules! encode_tuple {
    ($($n:literal => ($($name:ident $idx:tt),+);)*) => {$(
        impl<$($name: Encode),+> Encode for ($($name,)+) {
            fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
                e.tuple($n, |e| {
                    $(self.$idx.encode(e)?;)+
                    Ok(())
                })
            }
        }
    )*};
}
encode_tuple! {
    1 => (A 0);
    2 => (A 0, B 1);
    3 => (A 0, B 1, C 2);
    4 => (A 0, B 1, C 2, D 3);
    5 => (A 0, B 1, C 2, D 3, E 4);
    6 => (A 0, B 1, C 2, D 3, E 4, F 5);
    7 => (A 0, B 1, C 2, D 3, E 4, F 5, G 6);
    8 => (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
    9 => (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
    10 => (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
    11 => (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
    12 => (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);
}

impl Encode for Atom<'_> {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
        e.atom_view(self)
    }
}

impl Encode for BigInt<'_> {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
        e.big(self.is_negative(), self.magnitude())
    }
}

impl Encode for BitBinary<'_> {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
        e.bit_binary(self.bytes(), self.bits_in_last_byte())
    }
}

impl Encode for crate::term::Pid<'_> {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
        e.pid(&self.node(), self.id(), self.serial(), self.creation())
    }
}

impl Encode for crate::term::PortId<'_> {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
        e.port(&self.node(), self.id(), self.creation())
    }
}

impl Encode for crate::term::Reference<'_> {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
        let mut ids = [0u32; 5];
        let mut n = 0;
        for (slot, id) in ids.iter_mut().zip(self.ids()) {
            *slot = id;
            n += 1;
        }
        e.reference(&self.node(), self.creation(), &ids[..n])
    }
}

/// Re-encodes a decoded view. Containers, pids, ports, references and funs are copied verbatim
/// from the bytes they were decoded from, and atoms keep their encoding (latin-1 or UTF-8), so
/// input written by `term_to_binary` (minor version 1 or 2) comes back byte for byte; integers,
/// floats and binaries are written in Erlang's own form.
impl Encode for Term<'_> {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
        match self {
            Term::Integer(value) => e.integer(*value),
            Term::Float(value) => e.float(*value),
            Term::Binary(bytes) => e.binary(bytes),
            Term::Nil => e.nil(),
            Term::BitBinary(bits) => bits.encode(e),
            Term::BigInt(big) => big.encode(e),
            // As written: latin-1 atoms as ATOM_EXT, UTF-8 ones as (SMALL_)ATOM_UTF8_EXT.
            Term::Atom(atom) => e.atom_as_written(atom),
            Term::List(list) if list.as_string_bytes().is_some() => e.string(list.as_string_bytes().unwrap_or(&[])),
            other => e.verbatim(other.raw()),
        }
    }

    fn as_byte(&self) -> Option<u8> {
        match self {
            Term::Integer(value) => u8::try_from(*value).ok(),
            _ => None,
        }
    }
}

/// An Erlang string: a list of characters (`STRING_EXT` when every character is latin-1 and
/// there are at most 65,535; a `LIST_EXT` of integers otherwise). Holds a `&str` or a `String`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErlString<S>(pub S);

impl<S: AsRef<str>> Encode for ErlString<S> {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
        let text = self.0.as_ref();
        let count = text.chars().count();
        if count <= 65535 && text.chars().all(|c| (c as u32) < 256) {
            if count == 0 {
                return e.nil();
            }
            e.term(&wire::emit::string(count as u16))?;
            return text.chars().try_for_each(|c| e.raw(&[c as u32 as u8]));
        }
        e.list(count, |e| text.chars().try_for_each(|c| e.integer(i64::from(c as u32))))
    }
}

impl<S: AsRef<str>> fmt::Display for ErlString<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_ref())
    }
}

/// A list with a tail other than `[]`: `[E1, ..., En | Tail]`.
#[derive(Clone, Copy, Debug)]
pub struct ImproperList<'a, T, U> {
    /// The elements.
    pub elements: &'a [T],
    /// The tail.
    pub tail: &'a U,
}

impl<T: Encode, U: Encode> Encode for ImproperList<'_, T, U> {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
        e.improper_list(self.elements.len(), |e| {
            self.elements.iter().try_for_each(|item| item.encode(e))?;
            self.tail.encode(e)
        })
    }
}

/// A map from key/value pairs, written in the order the iterator gives them (Erlang writes
/// maps of up to 32 keys sorted by key). The iterator is cloned to count the pairs first.
#[derive(Clone, Debug)]
pub struct MapFrom<I>(pub I);

impl<I, K, V> Encode for MapFrom<I>
where
    I: Iterator<Item = (K, V)> + Clone,
    K: Encode,
    V: Encode,
{
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
        let pairs = self.0.clone().count();
        e.map(pairs, |e| {
            self.0.clone().try_for_each(|(k, v)| {
                k.encode(e)?;
                v.encode(e)
            })
        })
    }
}

#[cfg(feature = "alloc")]
impl<K: Encode, V: Encode> Encode for alloc::collections::BTreeMap<K, V> {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
        MapFrom(self.iter()).encode(e)
    }
}

#[cfg(feature = "std")]
impl<K: Encode, V: Encode, S> Encode for std::collections::HashMap<K, V, S> {
    fn encode<W: Sink>(&self, e: &mut Encoder<W>) -> Result<(), W::Error> {
        MapFrom(self.iter()).encode(e)
    }
}
