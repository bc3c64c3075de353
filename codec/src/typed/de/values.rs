//! The serde `Deserializer`: what each `deserialize_*` reads, and the visits of leaves.

use super::*;

/// The view of a leaf as a header, for a leaf handed to `from_term`.
pub(super) fn leaf_head(term: Term<'_>) -> Head<'_> {
    match term {
        Term::Integer(value) => Head::Int(Int::Small(value)),
        Term::BigInt(big) => Head::Int(Int::Big { negative: big.is_negative(), magnitude: big.magnitude() }),
        Term::Float(value) => Head::Float(value),
        Term::Atom(atom) => Head::Atom(atom.text()),
        Term::Binary(bytes) => Head::Bits { bytes, bits: 8 },
        Term::BitBinary(bits) => Head::Bits { bytes: bits.bytes(), bits: bits.bits_in_last_byte() },
        // Everything else keeps its bytes (`Term::start`), so is read from them.
        _ => Head::Nil,
    }
}

/// An integer, in whichever of the two widest types holds it.
#[derive(Clone, Copy)]
pub(super) enum Num {
    Signed(i128),
    Unsigned(u128),
}

pub(super) fn num(int: Int<'_>) -> Option<Num> {
    match int {
        Int::Small(value) => Some(Num::Signed(i128::from(value))),
        Int::Big { negative, magnitude } => {
            if magnitude.len() > 16 {
                return None;
            }
            let mut le = [0u8; 16];
            le[..magnitude.len()].copy_from_slice(magnitude);
            let value = u128::from_le_bytes(le);
            if !negative {
                Some(Num::Unsigned(value))
            } else if value <= 1 << 127 {
                Some(Num::Signed(0i128.wrapping_sub_unsigned(value)))
            } else {
                None
            }
        }
    }
}

macro_rules! integers {
    ($($method:ident $visit:ident $t:ty, $what:literal;)*) => {$(
        #[allow(irrefutable_let_patterns)]
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            // The common case, an integer that fits an i64, without the 128-bit detour.
            if self.root.is_none()
                && let Some((Head::Int(Int::Small(v)), len)) = wire::read_fast(self.input)
                && let Ok(value) = <$t>::try_from(v)
            {
                self.advance(len, 0)?;
                return visitor.$visit(value);
            }
            let (n, spot) = self.integer($what)?;
            let value = match n {
                Num::Signed(v) => <$t>::try_from(v).ok(),
                Num::Unsigned(v) => <$t>::try_from(v).ok(),
            };
            match value {
                Some(value) => visitor.$visit(value),
                None => Err(self.out_of_range($what, spot)),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for &mut Deserializer<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let head = self.peek();
        match head {
            Head::Int(Int::Small(value)) => {
                self.take()?;
                visitor.visit_i64(value)
            }
            Head::Int(_) => match self.integer("an integer of at most 128 bits")?.0 {
                Num::Signed(v) => visitor.visit_i128(v),
                Num::Unsigned(v) => match u64::try_from(v) {
                    Ok(v) => visitor.visit_u64(v),
                    Err(_) => visitor.visit_u128(v),
                },
            },
            Head::Float(_) | Head::FloatText(_) => visitor.visit_f64(self.float()?),
            Head::Atom(atom) => {
                self.take()?;
                match atom.bytes {
                    b"true" => visitor.visit_bool(true),
                    b"false" => visitor.visit_bool(false),
                    b"undefined" | b"nil" => visitor.visit_none(),
                    _ => visit_atom(atom, visitor),
                }
            }
            Head::Bits { bytes, bits } if bits == 8 || bytes.is_empty() => {
                self.take()?;
                match core::str::from_utf8(bytes) {
                    Ok(text) => visitor.visit_borrowed_str(text),
                    Err(_) => visitor.visit_borrowed_bytes(bytes),
                }
            }
            Head::Nil | Head::String(_) | Head::List(_) => {
                let (head, spot) = self.take()?;
                self.seq(head, spot, visitor)
            }
            Head::Tuple(arity) => {
                self.take()?;
                self.tuple(arity, visitor, 0)
            }
            Head::Map(_) => self.map(visitor, "a map", false),
            _ => {
                let (_, spot) = self.take()?;
                Err(self.mismatch(
                    "a value that is data (capture pids, ports, references, funs and bitstrings as a Term)",
                    spot,
                ))
            }
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let (head, spot) = self.take()?;
        match head {
            Head::Atom(AtomText { bytes: b"true", .. }) => visitor.visit_bool(true),
            Head::Atom(AtomText { bytes: b"false", .. }) => visitor.visit_bool(false),
            _ => Err(self.mismatch("true or false", spot)),
        }
    }

    integers! {
        deserialize_i8 visit_i8 i8, "an integer in -128..=127 (i8)";
        deserialize_i16 visit_i16 i16, "an integer in -32768..=32767 (i16)";
        deserialize_i32 visit_i32 i32, "an integer that fits an i32";
        deserialize_i64 visit_i64 i64, "an integer that fits an i64";
        deserialize_i128 visit_i128 i128, "an integer that fits an i128";
        deserialize_u8 visit_u8 u8, "an integer in 0..=255 (u8)";
        deserialize_u16 visit_u16 u16, "an integer in 0..=65535 (u16)";
        deserialize_u32 visit_u32 u32, "an integer that fits a u32";
        deserialize_u64 visit_u64 u64, "an integer that fits a u64";
        deserialize_u128 visit_u128 u128, "an integer that fits a u128";
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_f32(self.float()? as f32)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.root.is_none()
            && let Some((Head::Float(value), len)) = wire::read_fast(self.input)
            && (!self.checked || value.is_finite())
        {
            self.advance(len, 0)?;
            return visitor.visit_f64(value);
        }
        visitor.visit_f64(self.float()?)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let (head, spot) = self.take()?;
        let c = match head {
            Head::Int(Int::Small(code)) => u32::try_from(code).ok().and_then(char::from_u32),
            Head::Bits { bytes, bits: 8 } => {
                let mut chars = core::str::from_utf8(bytes).unwrap_or_default().chars();
                chars.next().filter(|_| chars.next().is_none())
            }
            _ => None,
        };
        match c {
            Some(c) => visitor.visit_char(c),
            None => Err(self.mismatch("a character code or a binary of one character", spot)),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.text(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.text(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.bytes(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.peek() {
            Head::Atom(AtomText { bytes: b"undefined" | b"nil", .. }) => {
                self.take()?;
                visitor.visit_none()
            }
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let (head, spot) = self.take()?;
        match head {
            Head::Atom(AtomText { bytes: b"ok", .. }) => visitor.visit_unit(),
            _ => Err(self.mismatch("ok", spot)),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value> {
        if name == CAPTURE {
            return visitor.visit_enum(self.capture()?);
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let (head, spot) = match wire::list_count_at(self.input) {
            Some(n) if n > 0 && self.root.is_none() => {
                let start = self.input;
                self.advance(wire::COUNT_HEADER_LEN, u64::from(n) + 1)?;
                (Head::List(n), start)
            }
            _ => self.take()?,
        };
        self.seq(head, spot, visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value> {
        let (head, spot) = self.take()?;
        match head {
            Head::Tuple(arity) if arity as usize == len => self.tuple(arity, visitor, 0),
            // Fixed-size arrays are tuples to serde; Erlang would send them as lists.
            Head::List(_) | Head::String(_) | Head::Nil => self.seq(head, spot, visitor),
            _ => {
                let expected: crate::typed::error::Text<40> =
                    crate::typed::error::Text::from_fmt(format_args!("a tuple of {len}"));
                Err(self.mismatch(expected.as_str(), spot))
            }
        }
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(self, _: &'static str, len: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_tuple(len, visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.map(visitor, "a map or a keyword list", false)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.map(visitor, "a map (a struct)", true)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        let result = name == "Result" && variants == ["Ok", "Err"];
        let (head, spot) = self.take()?;
        match head {
            Head::Atom(tag) => visitor.visit_enum(Tagged { de: self, tag, values: None, result }),
            Head::Tuple(arity) if arity >= 1 => {
                let (tag, tag_spot) = self.take()?;
                let Head::Atom(tag) = tag else {
                    return Err(self.mismatch("an atom (the tag)", tag_spot).at_index(0));
                };
                self.nested(|de| visitor.visit_enum(Tagged { de, tag, values: Some(arity - 1), result }))
            }
            _ => Err(self.mismatch(
                if result { "{ok, Value} or {error, Reason}" } else { "an atom or a tuple {Tag, ...}" },
                spot,
            )),
        }
    }

    /// Field and variant names go to the visitor as bytes (serde's derived identifiers take
    /// them, and no text check is needed), except latin-1 atoms beyond ASCII, as text.
    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.root.is_none()
            && let Some((atom, len)) = wire::atom_at(self.input)
            && (atom.utf8 || atom.bytes.is_ascii())
            && (!self.checked || validate::atom_ok(atom))
        {
            self.advance(len, 0)?;
            return visitor.visit_borrowed_bytes(atom.bytes);
        }
        let (head, spot) = self.take()?;
        match head {
            Head::Atom(atom) if atom.utf8 || atom.bytes.is_ascii() => visitor.visit_borrowed_bytes(atom.bytes),
            Head::Atom(atom) => visit_atom(atom, visitor),
            Head::Bits { bytes, bits: 8 } => visitor.visit_borrowed_bytes(bytes),
            Head::Bits { bytes: [], .. } => visitor.visit_borrowed_bytes(&[]),
            Head::Int(Int::Small(n)) if n >= 0 => visitor.visit_u64(n as u64),
            _ => Err(self.mismatch("an atom or a binary (a key)", spot)),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.skip()?;
        visitor.visit_unit()
    }
}

/// Gives an atom's text to `visitor`: borrowed when it is UTF-8 (or ASCII latin-1), converted
/// on the stack otherwise (at most 255 characters).
pub(super) fn visit_atom<'de, V: Visitor<'de>>(atom: AtomText<'de>, visitor: V) -> Result<V::Value> {
    match term::Atom::from(atom).as_str() {
        Some(text) => visitor.visit_borrowed_str(text),
        None => visit_latin1(atom.bytes, visitor),
    }
}

/// Latin-1 text beyond ASCII (at most 255 characters), converted on the stack.
#[cold]
#[inline(never)]
pub(super) fn visit_latin1<'de, V: Visitor<'de>>(latin1: &[u8], visitor: V) -> Result<V::Value> {
    let mut buf = [0u8; 2 * 255];
    let mut len = 0;
    for &b in latin1.iter().take(255) {
        len += char::from(b).encode_utf8(&mut buf[len..]).len();
    }
    visitor.visit_str(core::str::from_utf8(&buf[..len]).unwrap_or_default())
}
