//! Values that take a path of their own: scalars extracted from a serializer, the probe
//! for lists of bytes, raw bytes (views), atoms and improper lists.

use super::*;

/// A scalar, handed to a closure (the bytes live only for the call).
#[derive(Clone, Copy)]
pub(super) enum Prim<'x> {
    Unit,
    Bool(bool),
    Signed(i128),
    Unsigned(u128),
    Char(char),
    Str(&'x str),
    Bytes(&'x [u8]),
    Other,
}

impl Prim<'_> {
    pub(super) fn is_unit(self) -> bool {
        matches!(self, Prim::Unit)
    }

    pub(super) fn byte(self) -> Option<u8> {
        match self {
            Prim::Signed(v) => u8::try_from(v).ok(),
            Prim::Unsigned(v) => u8::try_from(v).ok(),
            Prim::Char(c) => u8::try_from(u32::from(c)).ok(),
            _ => None,
        }
    }
}

/// Serializes a scalar into a closure; anything else is refused.
pub(super) struct Extract<F>(pub(super) F);

macro_rules! compound_refused {
    ($ok:ty) => {
        type SerializeSeq = Impossible<$ok, EncodeError>;
        type SerializeTuple = Impossible<$ok, EncodeError>;
        type SerializeTupleStruct = Impossible<$ok, EncodeError>;
        type SerializeTupleVariant = Impossible<$ok, EncodeError>;
        type SerializeMap = Impossible<$ok, EncodeError>;
        type SerializeStruct = Impossible<$ok, EncodeError>;
        type SerializeStructVariant = Impossible<$ok, EncodeError>;
        refuse! { REFUSED; seq tuple tuple_struct tuple_variant map struct struct_variant }
    };
}

pub(super) const REFUSED: EncodeError = EncodeError::Unsupported("a value in a place only a scalar may be");

macro_rules! scalars_to {
    ($ok:ty, $($method:ident($t:ty) => $prim:expr;)*) => {$(
        fn $method(self, v: $t) -> Result<$ok> {
            #[allow(clippy::redundant_closure_call)]
            (self.0)(($prim)(v))
        }
    )*};
}

impl<R, F: for<'x> FnOnce(Prim<'x>) -> Result<R>> ser::Serializer for Extract<F> {
    type Ok = R;
    type Error = EncodeError;
    compound_refused!(R);
    scalars_to! { R,
        serialize_bool(bool) => Prim::Bool;
        serialize_i8(i8) => |v| Prim::Signed(i128::from(v));
        serialize_i16(i16) => |v| Prim::Signed(i128::from(v));
        serialize_i32(i32) => |v| Prim::Signed(i128::from(v));
        serialize_i64(i64) => |v| Prim::Signed(i128::from(v));
        serialize_i128(i128) => Prim::Signed;
        serialize_u8(u8) => |v| Prim::Unsigned(u128::from(v));
        serialize_u16(u16) => |v| Prim::Unsigned(u128::from(v));
        serialize_u32(u32) => |v| Prim::Unsigned(u128::from(v));
        serialize_u64(u64) => |v| Prim::Unsigned(u128::from(v));
        serialize_u128(u128) => Prim::Unsigned;
        serialize_f32(f32) => |_| Prim::Other;
        serialize_f64(f64) => |_| Prim::Other;
        serialize_char(char) => Prim::Char;
    }
    fn serialize_str(self, v: &str) -> Result<R> {
        (self.0)(Prim::Str(v))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<R> {
        (self.0)(Prim::Bytes(v))
    }
    fn serialize_none(self) -> Result<R> {
        (self.0)(Prim::Other)
    }
    fn collect_str<T: fmt::Display + ?Sized>(self, _: &T) -> Result<R> {
        (self.0)(Prim::Other)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<R> {
        (self.0)(Prim::Other)
    }
    fn serialize_unit(self) -> Result<R> {
        (self.0)(Prim::Unit)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<R> {
        (self.0)(Prim::Other)
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<R> {
        (self.0)(Prim::Other)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result<R> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<R> {
        (self.0)(Prim::Other)
    }
}

/// Finds whether a value is a sequence of 1..=65535 integers 0..=255 (Erlang writes those as
/// `STRING_EXT`), looking at its elements only: constant work for anything else.
pub(super) struct Probe;

pub(super) const NOT_BYTES: EncodeError = EncodeError::Unsupported("not a list of bytes");

impl ser::Serializer for Probe {
    type Ok = u16;
    type Error = EncodeError;
    type SerializeSeq = ProbeSeq;
    type SerializeTuple = Impossible<u16, EncodeError>;
    type SerializeTupleStruct = Impossible<u16, EncodeError>;
    type SerializeTupleVariant = Impossible<u16, EncodeError>;
    type SerializeMap = Impossible<u16, EncodeError>;
    type SerializeStruct = Impossible<u16, EncodeError>;
    type SerializeStructVariant = Impossible<u16, EncodeError>;
    refuse_scalars!(NOT_BYTES);
    refuse! { NOT_BYTES; serialize_bytes(&[u8]); }
    refuse! { NOT_BYTES; none some unit unit_variant newtype_struct newtype_variant collect_str tuple tuple_struct
    tuple_variant map struct struct_variant }
    fn serialize_seq(self, len: Option<usize>) -> Result<ProbeSeq> {
        match len.and_then(|n| u16::try_from(n).ok()) {
            Some(n) if n > 0 => Ok(ProbeSeq(n)),
            _ => Err(NOT_BYTES),
        }
    }
}

#[doc(hidden)]
pub struct ProbeSeq(pub(super) u16);

impl ser::SerializeSeq for ProbeSeq {
    type Ok = u16;
    type Error = EncodeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        value.serialize(Extract(|p: Prim<'_>| p.byte().map(drop).ok_or(NOT_BYTES)))
    }
    fn end(self) -> Result<u16> {
        Ok(self.0)
    }
}

/// Copies the byte slices of a captured term (see `super::views`).
pub(super) struct Raw<'a, W: Sink<Error = EncodeError>> {
    pub(super) encoder: &'a mut Encoder<W>,
}

impl<W: Sink<Error = EncodeError>> ser::Serializer for Raw<'_, W> {
    type Ok = ();
    type Error = EncodeError;
    type SerializeSeq = Impossible<(), EncodeError>;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Impossible<(), EncodeError>;
    type SerializeTupleVariant = Impossible<(), EncodeError>;
    type SerializeMap = Impossible<(), EncodeError>;
    type SerializeStruct = Impossible<(), EncodeError>;
    type SerializeStructVariant = Impossible<(), EncodeError>;
    refuse_scalars!(REFUSED);
    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        self.encoder.raw_bytes(v)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self> {
        Ok(self)
    }
    rest_refused!();
}

impl<W: Sink<Error = EncodeError>> ser::SerializeTuple for Raw<'_, W> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let encoder = &mut *self.encoder;
        value.serialize(Extract(move |p: Prim<'_>| match p {
            Prim::Bytes(bytes) => encoder.raw_bytes(bytes),
            _ => Err(EncodeError::Unsupported("a captured term that is not bytes")),
        }))
    }
    fn end(self) -> Result<()> {
        Ok(())
    }
}

/// An atom: `(utf8, bytes)`, written with the encoder's atom encoding.
pub(super) struct AtomParts<'a, W: Sink<Error = EncodeError>> {
    pub(super) encoder: &'a mut Encoder<W>,
    pub(super) utf8: Option<bool>,
}

impl<W: Sink<Error = EncodeError>> ser::Serializer for AtomParts<'_, W> {
    type Ok = ();
    type Error = EncodeError;
    type SerializeSeq = Impossible<(), EncodeError>;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Impossible<(), EncodeError>;
    type SerializeTupleVariant = Impossible<(), EncodeError>;
    type SerializeMap = Impossible<(), EncodeError>;
    type SerializeStruct = Impossible<(), EncodeError>;
    type SerializeStructVariant = Impossible<(), EncodeError>;
    refuse_scalars!(REFUSED);
    refuse! { REFUSED; serialize_bytes(&[u8]); }
    fn serialize_tuple(self, _: usize) -> Result<Self> {
        Ok(self)
    }
    rest_refused!();
}

impl<W: Sink<Error = EncodeError>> ser::SerializeTuple for AtomParts<'_, W> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        match self.utf8 {
            None => {
                let utf8 = value.serialize(Extract(|p: Prim<'_>| match p {
                    Prim::Bool(b) => Ok(b),
                    _ => Err(EncodeError::Unsupported("an atom capture without its encoding")),
                }))?;
                self.utf8 = Some(utf8);
                Ok(())
            }
            Some(utf8) => {
                let encoder = &mut *self.encoder;
                value.serialize(Extract(move |p: Prim<'_>| match p {
                    // Any Serialize can mimic the capture: its text is checked, as a decoded
                    // atom's was.
                    Prim::Bytes(bytes) if utf8 && core::str::from_utf8(bytes).is_err() => {
                        Err(EncodeError::Unsupported("an atom capture whose text is not UTF-8"))
                    }
                    Prim::Bytes(bytes) => encoder.atom_view(&Atom::from_bytes(bytes, utf8)),
                    _ => Err(EncodeError::Unsupported("an atom capture without its text")),
                }))
            }
        }
    }
    fn end(self) -> Result<()> {
        Ok(())
    }
}

/// `ImproperList`: `(n, e1, ..., en, tail)`.
pub(super) struct Improper<'a, 'e, W: Sink<Error = EncodeError>> {
    pub(super) ser: &'a mut Serializer<'e, W>,
}

impl<'a, 'e, W: Sink<Error = EncodeError>> ser::Serializer for Improper<'a, 'e, W> {
    type Ok = ();
    type Error = EncodeError;
    type SerializeSeq = Impossible<(), EncodeError>;
    type SerializeTuple = ImproperParts<'a, 'e, W>;
    type SerializeTupleStruct = Impossible<(), EncodeError>;
    type SerializeTupleVariant = Impossible<(), EncodeError>;
    type SerializeMap = Impossible<(), EncodeError>;
    type SerializeStruct = Impossible<(), EncodeError>;
    type SerializeStructVariant = Impossible<(), EncodeError>;
    refuse_scalars!(REFUSED);
    refuse! { REFUSED; serialize_bytes(&[u8]); }
    fn serialize_tuple(self, _: usize) -> Result<ImproperParts<'a, 'e, W>> {
        Ok(ImproperParts { ser: self.ser, state: None })
    }
    rest_refused!();
}

#[doc(hidden)]
pub struct ImproperParts<'a, 'e, W: Sink<Error = EncodeError>> {
    pub(super) ser: &'a mut Serializer<'e, W>,
    /// The element count and, when there are elements, the enclosing count.
    pub(super) state: Option<(u64, Option<u64>)>,
}

impl<W: Sink<Error = EncodeError>> ser::SerializeTuple for ImproperParts<'_, '_, W> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        match self.state {
            None => {
                let n = value.serialize(Extract(|p: Prim<'_>| match p {
                    Prim::Unsigned(n) => u64::try_from(n).map_err(|_| EncodeError::OutOfRange),
                    _ => Err(EncodeError::Unsupported("an improper list without its length")),
                }))?;
                let outer = if n == 0 {
                    None
                } else {
                    Some(self.ser.encoder.open(&emit::list(Encoder::<W>::length_field(n as usize)?))?)
                };
                self.state = Some((n, outer));
                Ok(())
            }
            Some(_) => self.ser.value(value),
        }
    }
    fn end(self) -> Result<()> {
        match self.state {
            Some((n, Some(outer))) => self.ser.encoder.close(outer, n + 1),
            _ => Ok(()),
        }
    }
}
