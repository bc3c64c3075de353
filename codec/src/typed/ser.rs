//! Writing Rust values through an [`Encoder`]: the mapping of `typed`, streamed, no buffer
//! (except for a map of unknown length, with `alloc`).

use super::{ATOM, IMPROPER, RAW, STRING};
use crate::encode::{EncodeError, Encoder, ErlString, Sink};
use crate::term::Atom;
use crate::wire::emit;
use core::fmt;
use serde::ser::{self, Impossible, Serialize};

type Result<T> = core::result::Result<T, EncodeError>;

/// Serializer methods that refuse with `$err`: scalar ones by name and argument type,
/// the others by a short name (`seq`, `tuple`, `map`, `some`, ...).
macro_rules! refuse {
    ($err:expr; $($method:ident($t:ty);)*) => {$(
        fn $method(self, _: $t) -> Result<Self::Ok> {
            Err($err)
        }
    )*};
    ($err:expr; $($kind:ident)*) => {$(refuse!(@ $err; $kind);)*};
    (@ $err:expr; none) => {
        fn serialize_none(self) -> Result<Self::Ok> {
            Err($err)
        }
    };
    (@ $err:expr; some) => {
        fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<Self::Ok> {
            Err($err)
        }
    };
    (@ $err:expr; unit) => {
        fn serialize_unit(self) -> Result<Self::Ok> {
            Err($err)
        }
    };
    (@ $err:expr; unit_variant) => {
        fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<Self::Ok> {
            Err($err)
        }
    };
    (@ $err:expr; newtype_struct) => {
        fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, _: &T) -> Result<Self::Ok> {
            Err($err)
        }
    };
    (@ $err:expr; newtype_variant) => {
        fn serialize_newtype_variant<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<Self::Ok> {
            Err($err)
        }
    };
    (@ $err:expr; collect_str) => {
        fn collect_str<T: fmt::Display + ?Sized>(self, _: &T) -> Result<Self::Ok> {
            Err($err)
        }
    };
    (@ $err:expr; seq) => {
        fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq> {
            Err($err)
        }
    };
    (@ $err:expr; tuple) => {
        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple> {
            Err($err)
        }
    };
    (@ $err:expr; tuple_struct) => {
        fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct> {
            Err($err)
        }
    };
    (@ $err:expr; tuple_variant) => {
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant> {
            Err($err)
        }
    };
    (@ $err:expr; map) => {
        fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
            Err($err)
        }
    };
    (@ $err:expr; struct) => {
        fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct> {
            Err($err)
        }
    };
    (@ $err:expr; struct_variant) => {
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant> {
            Err($err)
        }
    };
}

/// Every scalar method but `serialize_bytes`, refusing with `$err`.
macro_rules! refuse_scalars {
    ($err:expr) => {
        refuse! { $err;
            serialize_bool(bool); serialize_i8(i8); serialize_i16(i16); serialize_i32(i32); serialize_i64(i64);
            serialize_i128(i128); serialize_u8(u8); serialize_u16(u16); serialize_u32(u32); serialize_u64(u64);
            serialize_u128(u128); serialize_f32(f32); serialize_f64(f64); serialize_char(char); serialize_str(&str);
            serialize_unit_struct(&'static str);
        }
    };
}

/// Everything but scalars, `serialize_bytes` and `serialize_tuple`, refused (the capture
/// serializers take a tuple of parts).
macro_rules! rest_refused {
    () => {
        refuse! { REFUSED; none some unit unit_variant newtype_struct newtype_variant collect_str seq tuple_struct
        tuple_variant map struct struct_variant }
    };
}

impl ser::Error for EncodeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        let text: super::error::Text<{ crate::encode::Message::CAPACITY }> =
            super::error::Text::from_fmt(format_args!("{msg}"));
        EncodeError::Custom(crate::encode::Message::new(text.as_str()))
    }
}

/// Writes `Serialize` values as Erlang terms through an [`Encoder`], with the mapping
/// described in [the crate docs](crate#typed-data-serde).
///
/// [`to_slice`](crate::to_slice), [`to_vec`](crate::to_vec) and
/// [`serialized_len`](crate::serialized_len) use it; use it yourself to write into any
/// [`Sink`], or inside a term you build with the [`Encoder`]'s calls:
///
/// ```
/// use erlport_codec::{Encoder, Serializer, SliceWriter, decode};
///
/// let mut buf = [0u8; 32];
/// let mut encoder = Encoder::new(SliceWriter::new(&mut buf));
/// encoder.version()?;
/// // Elixir code expects nil, not undefined.
/// Serializer::new(&mut encoder).none_as_nil(true).write(&(Some(1), None::<i32>))?;
/// let len = encoder.into_inner().finish()?.len();
/// assert_eq!(decode(&buf[..len]).unwrap().to_string(), "{1,nil}");
/// # Ok::<(), erlport_codec::EncodeError>(())
/// ```
pub struct Serializer<'e, W: Sink> {
    encoder: &'e mut Encoder<W>,
    nil: bool,
    /// The next sequence is a list of this many small integers: `STRING_EXT`, as Erlang writes.
    string: Option<u16>,
}

impl<'e, W: Sink> Serializer<'e, W> {
    /// Writes into `encoder` (after whatever it holds; the version byte is the caller's).
    pub fn new(encoder: &'e mut Encoder<W>) -> Self {
        Serializer { encoder, nil: false, string: None }
    }

    /// Writes `None` as `nil` (Elixir's) instead of `undefined` (Erlang's) when `yes`.
    pub fn none_as_nil(mut self, yes: bool) -> Self {
        self.nil = yes;
        self
    }

    /// Writes `value` as one term.
    pub fn write<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.value(value)
    }

    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        // Erlang writes a list of 1..=65535 integers 0..=255 as STRING_EXT: look first.
        self.string = value.serialize(Probe).ok();
        value.serialize(&mut *self)
    }

    fn atom(&mut self, text: &str) -> Result<()> {
        self.encoder.atom(text)
    }

    fn tuple_header(&mut self, arity: usize) -> Result<u64> {
        match u8::try_from(arity) {
            Ok(arity) => self.encoder.open(&emit::small_tuple(arity)),
            Err(_) => self.encoder.open(&emit::large_tuple(Encoder::<W>::length_field(arity)?)),
        }
    }

    fn map_header(&mut self, pairs: usize) -> Result<u64> {
        self.encoder.open(&emit::map(Encoder::<W>::length_field(pairs)?))
    }
}

/// Serializer methods for integer types that always fit an `i64`.
macro_rules! small_integers {
    ($($method:ident($t:ty)),*) => {$(
        fn $method(self, v: $t) -> Result<()> {
            self.encoder.integer(i64::from(v))
        }
    )*};
}

/// Variant names as atoms: `Result`'s `Ok` and `Err` are `ok` and `error`.
fn variant_atom(name: &str, variant: &'static str) -> &'static str {
    match (name, variant) {
        ("Result", "Ok") => "ok",
        ("Result", "Err") => "error",
        _ => variant,
    }
}

impl<'a, 'e, W: Sink> ser::Serializer for &'a mut Serializer<'e, W> {
    type Ok = ();
    type Error = EncodeError;
    type SerializeSeq = Seq<'a, 'e, W>;
    type SerializeTuple = Compound<'a, 'e, W>;
    type SerializeTupleStruct = Compound<'a, 'e, W>;
    type SerializeTupleVariant = Compound<'a, 'e, W>;
    type SerializeMap = MapWriter<'a, 'e, W>;
    type SerializeStruct = Compound<'a, 'e, W>;
    type SerializeStructVariant = Compound<'a, 'e, W>;

    fn serialize_bool(self, v: bool) -> Result<()> {
        self.encoder.boolean(v)
    }
    small_integers!(
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32)
    );
    fn serialize_i64(self, v: i64) -> Result<()> {
        self.encoder.integer(v)
    }
    fn serialize_i128(self, v: i128) -> Result<()> {
        self.encoder.i128(v)
    }
    fn serialize_u64(self, v: u64) -> Result<()> {
        self.encoder.u128(u128::from(v))
    }
    fn serialize_u128(self, v: u128) -> Result<()> {
        self.encoder.u128(v)
    }
    fn serialize_f32(self, v: f32) -> Result<()> {
        self.encoder.float(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<()> {
        self.encoder.float(v)
    }
    /// A character is its code, as in Erlang (`$a` is 97).
    fn serialize_char(self, v: char) -> Result<()> {
        self.encoder.integer(i64::from(u32::from(v)))
    }
    fn serialize_str(self, v: &str) -> Result<()> {
        self.encoder.binary(v.as_bytes())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        self.encoder.binary(v)
    }
    fn serialize_none(self) -> Result<()> {
        let nil = self.nil;
        self.atom(if nil { "nil" } else { "undefined" })
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<()> {
        self.value(value)
    }
    fn serialize_unit(self) -> Result<()> {
        self.atom("ok")
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<()> {
        self.atom("ok")
    }
    fn serialize_unit_variant(self, name: &'static str, _: u32, variant: &'static str) -> Result<()> {
        self.atom(variant_atom(name, variant))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, name: &'static str, value: &T) -> Result<()> {
        match name {
            RAW => {
                self.encoder.count_term();
                value.serialize(Raw { encoder: &mut *self.encoder })
            }
            ATOM => value.serialize(AtomParts { encoder: &mut *self.encoder, utf8: None }),
            STRING => {
                let encoder = &mut *self.encoder;
                value.serialize(Extract(move |p: Prim<'_>| match p {
                    Prim::Str(text) => encoder.encode(&ErlString(text)),
                    _ => Err(EncodeError::Unsupported("an ErlString that is not text")),
                }))
            }
            IMPROPER => value.serialize(Improper { ser: self }),
            _ => self.value(value),
        }
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<()> {
        // Erlang's `ok | {error, Reason}`: `Ok(())` is the bare atom.
        if name == "Result" && variant == "Ok" && value.serialize(Extract(|p: Prim<'_>| Ok(p.is_unit()))) == Ok(true) {
            return self.atom("ok");
        }
        let outer = self.tuple_header(2)?;
        self.atom(variant_atom(name, variant))?;
        self.value(value)?;
        self.encoder.close(outer, 2)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Seq<'a, 'e, W>> {
        if let Some(count) = self.string.take() {
            let outer = self.encoder.open(&emit::string(count))?;
            return Ok(Seq { ser: self, outer, written: 0, kind: SeqKind::Bytes(count) });
        }
        match len {
            Some(0) => {
                let outer = self.encoder.open(&emit::NIL)?;
                Ok(Seq { ser: self, outer, written: 0, kind: SeqKind::Empty })
            }
            Some(n) => {
                let outer = self.encoder.open(&emit::list(Encoder::<W>::length_field(n)?))?;
                Ok(Seq { ser: self, outer, written: 0, kind: SeqKind::Known(n) })
            }
            // Length unknown: one cons cell per element ([A | [B | ...]]), which Erlang reads
            // as the same proper list.
            None => {
                let outer = self.encoder.open(&[])?;
                Ok(Seq { ser: self, outer, written: 0, kind: SeqKind::Cells })
            }
        }
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, 'e, W>> {
        let outer = self.tuple_header(len)?;
        Ok(Compound { ser: self, outer, declared: len as u64, inner: None })
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Compound<'a, 'e, W>> {
        self.serialize_tuple(len)
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a, 'e, W>> {
        let outer = self.tuple_header(len + 1)?;
        self.atom(variant_atom(name, variant))?;
        Ok(Compound { ser: self, outer, declared: len as u64 + 1, inner: None })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapWriter<'a, 'e, W>> {
        match len {
            Some(pairs) => {
                let outer = self.map_header(pairs)?;
                Ok(MapWriter::Known(Compound { ser: self, outer, declared: 2 * pairs as u64, inner: None }))
            }
            #[cfg(feature = "alloc")]
            None => {
                let nil = self.nil;
                Ok(MapWriter::Buffered { ser: self, nil, pairs: 0, body: Encoder::new(alloc::vec::Vec::new()) })
            }
            #[cfg(not(feature = "alloc"))]
            None => Err(EncodeError::Unsupported("a map of unknown length without the alloc feature")),
        }
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Compound<'a, 'e, W>> {
        let outer = self.map_header(len)?;
        Ok(Compound { ser: self, outer, declared: 2 * len as u64, inner: None })
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a, 'e, W>> {
        let outer = self.tuple_header(2)?;
        self.atom(variant_atom(name, variant))?;
        let inner = self.map_header(len)?;
        Ok(Compound { ser: self, outer: inner, declared: 2 * len as u64, inner: Some(outer) })
    }
    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Result<()> {
        // Without an allocator the text is written twice: once to count it.
        let mut counter = Count(0);
        fmt::write(&mut counter, format_args!("{value}"))
            .map_err(|_| EncodeError::Unsupported("a Display that fails"))?;
        let header = emit::binary(Encoder::<W>::length_field(counter.0)?);
        self.encoder.count_term();
        self.encoder.raw_bytes(&header)?;
        let mut out = Through { encoder: &mut *self.encoder, left: counter.0, error: None };
        let written = fmt::write(&mut out, format_args!("{value}"));
        match (out.error, written, out.left) {
            (Some(e), _, _) => Err(e),
            (None, Ok(()), 0) => Ok(()),
            _ => Err(EncodeError::Unsupported("a Display that writes different text each time")),
        }
    }
}

struct Count(usize);

impl fmt::Write for Count {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 += s.len();
        Ok(())
    }
}

struct Through<'a, W: Sink> {
    encoder: &'a mut Encoder<W>,
    left: usize,
    error: Option<EncodeError>,
}

impl<W: Sink> fmt::Write for Through<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if s.len() > self.left {
            return Err(fmt::Error);
        }
        self.left -= s.len();
        self.encoder.raw_bytes(s.as_bytes()).map_err(|e| {
            self.error = Some(e);
            fmt::Error
        })
    }
}

enum SeqKind {
    Empty,
    Known(usize),
    /// A `STRING_EXT` of this many bytes.
    Bytes(u16),
    /// One cons cell per element.
    Cells,
}

#[doc(hidden)]
pub struct Seq<'a, 'e, W: Sink> {
    ser: &'a mut Serializer<'e, W>,
    outer: u64,
    written: u64,
    kind: SeqKind,
}

impl<W: Sink> ser::SerializeSeq for Seq<'_, '_, W> {
    type Ok = ();
    type Error = EncodeError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.written += 1;
        match self.kind {
            SeqKind::Empty => Err(EncodeError::CountMismatch { declared: 0, written: self.written }),
            SeqKind::Known(_) => self.ser.value(value),
            SeqKind::Bytes(_) => {
                let encoder = &mut *self.ser.encoder;
                value.serialize(Extract(move |p: Prim<'_>| match p.byte() {
                    Some(b) => encoder.raw_bytes(&[b]),
                    None => Err(EncodeError::Unsupported("a sequence that changed between two passes")),
                }))
            }
            SeqKind::Cells => {
                self.ser.encoder.raw_bytes(&emit::list(1))?;
                self.ser.value(value)
            }
        }
    }

    fn end(self) -> Result<()> {
        match self.kind {
            SeqKind::Empty => self.ser.encoder.close(self.outer, 0),
            SeqKind::Known(n) => {
                self.ser.encoder.nil()?;
                self.ser.encoder.close(self.outer, n as u64 + 1)
            }
            SeqKind::Bytes(n) => {
                if self.written != u64::from(n) {
                    return Err(EncodeError::CountMismatch { declared: u64::from(n), written: self.written });
                }
                self.ser.encoder.close(self.outer, 0)
            }
            SeqKind::Cells => {
                self.ser.encoder.raw_bytes(&emit::NIL)?;
                self.ser.encoder.close(self.outer, self.written)
            }
        }
    }
}

/// Tuples, structs (maps) and variants: a header, then a known number of terms.
#[doc(hidden)]
pub struct Compound<'a, 'e, W: Sink> {
    ser: &'a mut Serializer<'e, W>,
    outer: u64,
    declared: u64,
    /// A struct variant's tuple, closed after its map.
    inner: Option<u64>,
}

impl<W: Sink> Compound<'_, '_, W> {
    fn finish(self) -> Result<()> {
        self.ser.encoder.close(self.outer, self.declared)?;
        match self.inner {
            Some(tuple) => self.ser.encoder.close(tuple, 2),
            None => Ok(()),
        }
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<()> {
        self.ser.atom(key)?;
        self.ser.value(value)
    }
}

/// serde's compound traits for [`Compound`]: elements and fields are values; the end closes
/// what was opened.
macro_rules! compound_impls {
    ($($trait:ident :: $method:ident;)*) => {$(
        impl<W: Sink> ser::$trait for Compound<'_, '_, W> {
            type Ok = ();
            type Error = EncodeError;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
                self.ser.value(value)
            }
            fn end(self) -> Result<()> {
                self.finish()
            }
        }
    )*};
    ($($trait:ident :: $method:ident with keys;)*) => {$(
        impl<W: Sink> ser::$trait for Compound<'_, '_, W> {
            type Ok = ();
            type Error = EncodeError;
            fn $method<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<()> {
                self.field(key, value)
            }
            fn end(self) -> Result<()> {
                self.finish()
            }
        }
    )*};
}

compound_impls! {
    SerializeTuple::serialize_element;
    SerializeTupleStruct::serialize_field;
    SerializeTupleVariant::serialize_field;
}
compound_impls! {
    SerializeStruct::serialize_field with keys;
    SerializeStructVariant::serialize_field with keys;
}

/// A map: its count known up front, or (with `alloc`) counted while its pairs are buffered.
#[doc(hidden)]
pub enum MapWriter<'a, 'e, W: Sink> {
    Known(Compound<'a, 'e, W>),
    #[cfg(feature = "alloc")]
    Buffered {
        ser: &'a mut Serializer<'e, W>,
        nil: bool,
        pairs: usize,
        body: Encoder<alloc::vec::Vec<u8>>,
    },
}

impl<W: Sink> ser::SerializeMap for MapWriter<'_, '_, W> {
    type Ok = ();
    type Error = EncodeError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        match self {
            MapWriter::Known(map) => map.ser.value(key),
            #[cfg(feature = "alloc")]
            MapWriter::Buffered { nil, pairs, body, .. } => {
                *pairs += 1;
                Serializer::new(body).none_as_nil(*nil).value(key)
            }
        }
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        match self {
            MapWriter::Known(map) => map.ser.value(value),
            #[cfg(feature = "alloc")]
            MapWriter::Buffered { nil, body, .. } => Serializer::new(body).none_as_nil(*nil).value(value),
        }
    }

    fn end(self) -> Result<()> {
        match self {
            MapWriter::Known(map) => map.finish(),
            #[cfg(feature = "alloc")]
            MapWriter::Buffered { ser, pairs, body, .. } => {
                let outer = ser.map_header(pairs)?;
                ser.encoder.raw_bytes(&body.into_inner())?;
                // The buffered pairs were counted by their own encoder.
                for _ in 0..2 * pairs {
                    ser.encoder.count_term();
                }
                ser.encoder.close(outer, 2 * pairs as u64)
            }
        }
    }
}

/// A scalar, handed to a closure (the bytes live only for the call).
#[derive(Clone, Copy)]
enum Prim<'x> {
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
    fn is_unit(self) -> bool {
        matches!(self, Prim::Unit)
    }

    fn byte(self) -> Option<u8> {
        match self {
            Prim::Signed(v) => u8::try_from(v).ok(),
            Prim::Unsigned(v) => u8::try_from(v).ok(),
            Prim::Char(c) => u8::try_from(u32::from(c)).ok(),
            _ => None,
        }
    }
}

/// Serializes a scalar into a closure; anything else is refused.
struct Extract<F>(F);

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

const REFUSED: EncodeError = EncodeError::Unsupported("a value in a place only a scalar may be");

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
struct Probe;

const NOT_BYTES: EncodeError = EncodeError::Unsupported("not a list of bytes");

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
pub struct ProbeSeq(u16);

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
struct Raw<'a, W: Sink> {
    encoder: &'a mut Encoder<W>,
}

impl<W: Sink> ser::Serializer for Raw<'_, W> {
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

impl<W: Sink> ser::SerializeTuple for Raw<'_, W> {
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
struct AtomParts<'a, W: Sink> {
    encoder: &'a mut Encoder<W>,
    utf8: Option<bool>,
}

impl<W: Sink> ser::Serializer for AtomParts<'_, W> {
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

impl<W: Sink> ser::SerializeTuple for AtomParts<'_, W> {
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
struct Improper<'a, 'e, W: Sink> {
    ser: &'a mut Serializer<'e, W>,
}

impl<'a, 'e, W: Sink> ser::Serializer for Improper<'a, 'e, W> {
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
pub struct ImproperParts<'a, 'e, W: Sink> {
    ser: &'a mut Serializer<'e, W>,
    /// The element count and, when there are elements, the enclosing count.
    state: Option<(u64, Option<u64>)>,
}

impl<W: Sink> ser::SerializeTuple for ImproperParts<'_, '_, W> {
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
