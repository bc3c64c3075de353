//! Terms captured as views (`Term` fields) and the text of what was found.

use super::*;

/// An element of a `STRING_EXT`: an integer 0..=255, which a view captures as
/// [`Term::Integer`].
pub(super) struct ByteDe(pub(super) u8);

impl<'de> de::Deserializer<'de> for ByteDe {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_u8(self.0)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value> {
        if name == CAPTURE {
            return visitor.visit_enum(Captured::Integer(i64::from(self.0)));
        }
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// A term handed to `Term`'s `Deserialize`, as an enum only it understands: the variant
/// says what, the payload gives the bytes or value (see `super::views`).
pub(crate) enum Captured<'de> {
    /// The complete bytes of a term.
    Raw(&'de [u8]),
    Integer(i64),
    Float(f64),
    AtomUtf8(&'de [u8]),
    AtomLatin1(&'de [u8]),
    Binary(&'de [u8]),
    BigPositive(&'de [u8]),
    BigNegative(&'de [u8]),
    /// A bitstring: its bytes and how many bits of the last are used (1..=7).
    Bits(&'de [u8], u8),
    Nil,
}

impl<'de> Captured<'de> {
    pub(super) fn leaf(term: Term<'de>) -> Self {
        match term {
            Term::Integer(v) => Captured::Integer(v),
            Term::Float(v) => Captured::Float(v),
            Term::Atom(atom) if atom.is_utf8() => Captured::AtomUtf8(atom.as_bytes()),
            Term::Atom(atom) => Captured::AtomLatin1(atom.as_bytes()),
            Term::Binary(bytes) => Captured::Binary(bytes),
            Term::BigInt(big) if big.is_negative() => Captured::BigNegative(big.magnitude()),
            Term::BigInt(big) => Captured::BigPositive(big.magnitude()),
            Term::BitBinary(bits) => Captured::Bits(bits.bytes(), bits.bits_in_last_byte()),
            _ => Captured::Nil,
        }
    }

    /// The variant number `super::views` matches on.
    pub(crate) fn index(&self) -> u8 {
        match self {
            Captured::Raw(_) => 0,
            Captured::Integer(_) => 1,
            Captured::Float(_) => 2,
            Captured::AtomUtf8(_) => 3,
            Captured::AtomLatin1(_) => 4,
            Captured::Binary(_) => 5,
            Captured::BigPositive(_) => 6,
            Captured::BigNegative(_) => 7,
            Captured::Bits(_, bits) => 7 + bits,
            Captured::Nil => 15,
        }
    }
}

impl<'de> de::EnumAccess<'de> for Captured<'de> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self)> {
        Ok((seed.deserialize(IntoDeserializer::<Error>::into_deserializer(self.index()))?, self))
    }
}

impl<'de> de::VariantAccess<'de> for Captured<'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<()> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        match self {
            Captured::Integer(v) => seed.deserialize(I64Deserializer::new(v)),
            Captured::Float(v) => seed.deserialize(F64Deserializer::new(v)),
            Captured::Raw(b)
            | Captured::AtomUtf8(b)
            | Captured::AtomLatin1(b)
            | Captured::Binary(b)
            | Captured::BigPositive(b)
            | Captured::BigNegative(b)
            | Captured::Bits(b, _) => seed.deserialize(BorrowedBytesDeserializer::new(b)),
            Captured::Nil => Err(Error::new(format_args!("[] has no payload"))),
        }
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value> {
        Err(Error::new(format_args!("a captured term has no tuple payload")))
    }

    fn struct_variant<V: Visitor<'de>>(self, _: &'static [&'static str], _: V) -> Result<V::Value> {
        Err(Error::new(format_args!("a captured term has no struct payload")))
    }
}

/// What was found, in Erlang words, short: `the atom foo`, `the integer 7`, `a tuple of 3`.
pub(crate) struct Found<'a>(pub(crate) Term<'a>);

impl fmt::Display for Found<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Term::Integer(v) => write!(f, "the integer {v}"),
            Term::BigInt(big) => match num(Int::Big { negative: big.is_negative(), magnitude: big.magnitude() }) {
                Some(Num::Signed(v)) => write!(f, "the integer {v}"),
                Some(Num::Unsigned(v)) => write!(f, "the integer {v}"),
                None => write!(f, "an integer of {} bytes", big.magnitude().len()),
            },
            Term::Float(v) => write!(f, "the float {v:?}"),
            Term::Atom(atom) => write!(f, "the atom {atom}"),
            Term::Binary(bytes) => match core::str::from_utf8(bytes) {
                Ok(text) if bytes.len() <= 32 && !text.chars().any(char::is_control) => {
                    write!(f, "the binary <<\"{text}\">>")
                }
                _ => write!(f, "a binary of {} bytes", bytes.len()),
            },
            Term::BitBinary(bits) => write!(f, "a bitstring of {} bits", bits.bit_len()),
            Term::Nil => f.write_str("the empty list []"),
            Term::List(list) if list.as_string_bytes().is_some() => f.write_str("a charlist"),
            Term::List(_) => f.write_str("a list"),
            Term::Tuple(tuple) => match tuple.iter().next() {
                Some(Term::Atom(tag)) => write!(f, "a tuple of {} tagged {tag}", tuple.arity()),
                _ => write!(f, "a tuple of {}", tuple.arity()),
            },
            Term::Map(map) => write!(f, "a map of {} pairs", map.len()),
            Term::Pid(_) => f.write_str("a pid"),
            Term::Port(_) => f.write_str("a port"),
            Term::Reference(_) => f.write_str("a reference"),
            Term::Fun(_) | Term::Export(_) => f.write_str("a fun"),
        }
    }
}
