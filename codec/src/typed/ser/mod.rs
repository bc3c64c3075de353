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
        let text: super::error::Text<{ crate::encode::ErrorText::CAPACITY }> =
            super::error::Text::from_fmt(format_args!("{msg}"));
        EncodeError::Custom(crate::encode::ErrorText::new(text.as_str()))
    }
}

/// A sink of any error type seen as one that fails with [`EncodeError::Sink`], keeping its
/// own error to hand back: how [`Encoder::serialize`] runs serde over any sink.
struct Kept<'a, W: Sink> {
    sink: &'a mut W,
    error: Option<W::Error>,
}

impl<W: Sink> Sink for Kept<'_, W> {
    type Error = EncodeError;

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.sink.write(bytes).map_err(|e| {
            self.error = Some(e);
            EncodeError::Sink
        })
    }
}

impl<W: Sink> Encoder<W> {
    /// Writes any `Serialize` value as one term, with the [`Serializer`]'s mapping (`None` as
    /// `nil` when `none_as_nil`, else `undefined`), into a sink of any error type: the sink's
    /// own error comes back as it is. (A [`Serializer`] writes into the crate's sinks, whose
    /// error is [`EncodeError`].)
    ///
    /// ```
    /// use erlport_codec::{Encoder, SliceWriter, decode};
    ///
    /// let mut buf = [0u8; 16];
    /// let mut encoder = Encoder::new(SliceWriter::new(&mut buf));
    /// encoder.version()?;
    /// encoder.serialize(&(Some("x"), None::<u8>), true)?;
    /// let bytes = encoder.into_inner().finish()?;
    /// assert_eq!(decode(bytes).unwrap().to_string(), "{<<120>>,nil}");
    /// # Ok::<(), erlport_codec::EncodeError>(())
    /// ```
    pub fn serialize<T: Serialize + ?Sized>(
        &mut self,
        value: &T,
        none_as_nil: bool,
    ) -> core::result::Result<(), W::Error> {
        let (sink, atoms, written) = self.parts();
        let mut inner = Encoder::from_parts(Kept { sink, error: None }, atoms, written);
        let result = Serializer::new(&mut inner).none_as_nil(none_as_nil).write(value);
        let (kept, written) = inner.into_parts();
        let own = kept.error;
        self.set_written(written);
        result.map_err(|e| own.unwrap_or_else(|| e.into()))
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
pub struct Serializer<'e, W: Sink<Error = EncodeError>> {
    encoder: &'e mut Encoder<W>,
    nil: bool,
    /// The next sequence is a list of this many small integers: `STRING_EXT`, as Erlang writes.
    string: Option<u16>,
}

impl<'e, W: Sink<Error = EncodeError>> Serializer<'e, W> {
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

impl<'a, 'e, W: Sink<Error = EncodeError>> ser::Serializer for &'a mut Serializer<'e, W> {
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

mod compound;
mod special;

pub use compound::{Compound, MapWriter, Seq};

use compound::*;
use special::*;
