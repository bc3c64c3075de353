//! `Serialize` and `Deserialize` for the views and the encoding helpers: a [`Term`] field
//! captures a subterm as it is and writes it back byte for byte.
//!
//! Through this crate's serializer and deserializer only: the views travel as newtypes with
//! private names that they recognise. Other serde formats see bytes.

use super::de::Found;
use super::{ATOM, CAPTURE, IMPROPER, RAW, STRING};
use crate::encode::{ErlString, ImproperList, MapFrom};
use crate::term::{Atom, BigInt, BitBinary, Export, Fun, List, Map, Pid, PortId, Reference, Term, Tuple};
use crate::wire;
use core::fmt;
use serde::de::{self, Deserialize, Deserializer, EnumAccess, VariantAccess, Visitor};
use serde::ser::{Error as _, Serialize, SerializeSeq, SerializeTuple, Serializer};

/// Bytes, serialized as bytes.
struct Bytes<'a>(&'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

/// A term whose bytes are `header` then `body`.
fn raw<S: Serializer>(s: S, header: &[u8], body: &[u8]) -> Result<S::Ok, S::Error> {
    s.serialize_newtype_struct(RAW, &(Bytes(header), Bytes(body)))
}

/// Written as [`Encode`](crate::Encode) writes it: containers, pids, ports, references and funs
/// byte for byte as they were decoded, atoms in the encoding they were read in, numbers and
/// binaries in Erlang's own form.
impl Serialize for Term<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Term::Integer(v) => s.serialize_i64(v),
            Term::Float(v) => s.serialize_f64(v),
            Term::Binary(bytes) => s.serialize_bytes(bytes),
            Term::Nil => s.serialize_seq(Some(0))?.end(),
            Term::Atom(atom) => {
                let (header, len) = wire::emit::atom_as_written(atom.is_utf8(), atom.as_bytes().len() as u16);
                raw(s, &header[..len], atom.as_bytes())
            }
            Term::BigInt(big) => big.serialize(s),
            Term::BitBinary(bits) => bits.serialize(s),
            other => raw(s, &[], other.raw()),
        }
    }
}

impl Serialize for BigInt<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let magnitude = wire::strip_high_zeros(self.magnitude());
        if let Some(v) = wire::big_to_i64(self.is_negative(), magnitude) {
            return s.serialize_i64(v);
        }
        match u8::try_from(magnitude.len()) {
            Ok(n) => raw(s, &wire::emit::small_big(n, u8::from(self.is_negative())), magnitude),
            Err(_) => match u32::try_from(magnitude.len()).ok().filter(|&n| n <= wire::MAX_BIG_BYTES) {
                Some(n) => raw(s, &wire::emit::large_big(n, u8::from(self.is_negative())), magnitude),
                None => Err(S::Error::custom("integer too large for Erlang")),
            },
        }
    }
}

impl Serialize for BitBinary<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let bits = self.bits_in_last_byte();
        let Some((_, whole)) = self.bytes().split_last() else { return s.serialize_bytes(&[]) };
        if bits == 8 {
            return s.serialize_bytes(self.bytes());
        }
        let Ok(len) = u32::try_from(self.bytes().len()) else { return Err(S::Error::custom("bitstring too long")) };
        s.serialize_newtype_struct(RAW, &Parts(&[&wire::emit::bit_binary(len, bits), whole, &[self.last_byte()]]))
    }
}

/// Several byte slices, one after another.
struct Parts<'a>(&'a [&'a [u8]]);

impl Serialize for Parts<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut tuple = s.serialize_tuple(self.0.len())?;
        for part in self.0 {
            tuple.serialize_element(&Bytes(part))?;
        }
        tuple.end()
    }
}

/// In the encoding the encoder is set to, as [`Encode`](crate::Encode) writes it.
impl Serialize for Atom<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_newtype_struct(ATOM, &(self.is_utf8(), Bytes(self.as_bytes())))
    }
}

macro_rules! container_views {
    ($($variant:ident($view:ident))*) => {$(
        /// Byte for byte as decoded.
        impl Serialize for $view<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                Term::$variant(*self).serialize(s)
            }
        }
    )*};
}
container_views!(List(List) Tuple(Tuple) Map(Map) Pid(Pid) Port(PortId) Reference(Reference) Fun(Fun) Export(Export));

/// An Erlang string: `STRING_EXT`, or a list of character codes, as Erlang writes it.
impl<T: AsRef<str>> Serialize for ErlString<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_newtype_struct(STRING, self.0.as_ref())
    }
}

/// `[E1, ..., En | Tail]`.
impl<T: Serialize, U: Serialize> Serialize for ImproperList<'_, T, U> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_newtype_struct(IMPROPER, &ImproperParts(self))
    }
}

struct ImproperParts<'a, 'b, T, U>(&'a ImproperList<'b, T, U>);

impl<T: Serialize, U: Serialize> Serialize for ImproperParts<'_, '_, T, U> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let list = self.0;
        let mut tuple = s.serialize_tuple(list.elements.len() + 2)?;
        tuple.serialize_element(&(list.elements.len() as u64))?;
        for element in list.elements {
            tuple.serialize_element(element)?;
        }
        tuple.serialize_element(list.tail)?;
        tuple.end()
    }
}

/// A map of the pairs, in the iterator's order.
impl<I, K, V> Serialize for MapFrom<I>
where
    I: Iterator<Item = (K, V)> + Clone,
    K: Serialize,
    V: Serialize,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.clone())
    }
}

/// Captures the term as it is: any term, borrowing the input.
impl<'de: 'a, 'a> Deserialize<'de> for Term<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_newtype_struct(CAPTURE, TermVisitor)
    }
}

struct TermVisitor;

impl<'de> Visitor<'de> for TermVisitor {
    type Value = Term<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an Erlang term (from erlport_codec's deserializer)")
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Term<'de>, A::Error> {
        let (kind, variant): (u8, _) = data.variant()?;
        let bytes = |variant: A::Variant| variant.newtype_variant::<&'de [u8]>();
        Ok(match kind {
            0 => {
                let raw = bytes(variant)?;
                // Only this crate's deserializer hands out terms, but any deserializer can
                // call this visitor: check the bytes again.
                match crate::validate::validate(raw, 0, None) {
                    Ok(end) if end == raw.len() => crate::term::root_at(raw),
                    Ok(_) => return Err(de::Error::custom("a captured term with bytes after it")),
                    Err(e) => return Err(de::Error::custom(e)),
                }
            }
            1 => Term::Integer(variant.newtype_variant()?),
            2 => {
                let value: f64 = variant.newtype_variant()?;
                if !value.is_finite() {
                    return Err(de::Error::custom("a float that is not finite"));
                }
                Term::Float(value)
            }
            3 => {
                let raw = bytes(variant)?;
                let text = core::str::from_utf8(raw).map_err(|_| de::Error::custom("an atom that is not UTF-8"))?;
                Term::Atom(Atom::new(text))
            }
            4 => Term::Atom(Atom::from_bytes(bytes(variant)?, false)),
            5 => Term::Binary(bytes(variant)?),
            6 => Term::BigInt(BigInt::new(false, bytes(variant)?)),
            7 => Term::BigInt(BigInt::new(true, bytes(variant)?)),
            8..=14 => match bytes(variant)? {
                [] => Term::Binary(&[]),
                raw => Term::BitBinary(BitBinary::new(raw, kind - 7)),
            },
            15 => {
                variant.unit_variant()?;
                Term::Nil
            }
            _ => return Err(de::Error::custom("an unknown kind of captured term")),
        })
    }
}

macro_rules! view_from_term {
    ($($variant:ident($view:ident) $what:literal;)*) => {$(
        #[doc = concat!("Captures ", $what, " as it is, borrowing the input.")]
        impl<'de: 'a, 'a> Deserialize<'de> for $view<'a> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                match Term::deserialize(d)? {
                    Term::$variant(view) => Ok(view),
                    other => Err(de::Error::custom(format_args!("expected {}, found {}", $what, Found(other)))),
                }
            }
        }
    )*};
}

view_from_term! {
    Atom(Atom) "an atom";
    BigInt(BigInt) "an integer beyond 64 bits";
    BitBinary(BitBinary) "a bitstring";
    List(List) "a non-empty list";
    Tuple(Tuple) "a tuple";
    Map(Map) "a map";
    Pid(Pid) "a pid";
    Port(PortId) "a port";
    Reference(Reference) "a reference";
    Fun(Fun) "a fun";
    Export(Export) "an export fun";
}
