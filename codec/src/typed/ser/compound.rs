//! Sequences, tuples, structs and maps being written.

use super::*;

pub(super) struct Count(pub(super) usize);

impl fmt::Write for Count {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 += s.len();
        Ok(())
    }
}

pub(super) struct Through<'a, W: Sink<Error = EncodeError>> {
    pub(super) encoder: &'a mut Encoder<W>,
    pub(super) left: usize,
    pub(super) error: Option<EncodeError>,
}

impl<W: Sink<Error = EncodeError>> fmt::Write for Through<'_, W> {
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

pub(super) enum SeqKind {
    Empty,
    Known(usize),
    /// A `STRING_EXT` of this many bytes.
    Bytes(u16),
    /// One cons cell per element.
    Cells,
}

#[doc(hidden)]
pub struct Seq<'a, 'e, W: Sink<Error = EncodeError>> {
    pub(super) ser: &'a mut Serializer<'e, W>,
    pub(super) outer: u64,
    pub(super) written: u64,
    pub(super) kind: SeqKind,
}

impl<W: Sink<Error = EncodeError>> ser::SerializeSeq for Seq<'_, '_, W> {
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
pub struct Compound<'a, 'e, W: Sink<Error = EncodeError>> {
    pub(super) ser: &'a mut Serializer<'e, W>,
    pub(super) outer: u64,
    pub(super) declared: u64,
    /// A struct variant's tuple, closed after its map.
    pub(super) inner: Option<u64>,
}

impl<W: Sink<Error = EncodeError>> Compound<'_, '_, W> {
    pub(super) fn finish(self) -> Result<()> {
        self.ser.encoder.close(self.outer, self.declared)?;
        match self.inner {
            Some(tuple) => self.ser.encoder.close(tuple, 2),
            None => Ok(()),
        }
    }

    pub(super) fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<()> {
        self.ser.atom(key)?;
        self.ser.value(value)
    }
}

/// serde's compound traits for [`Compound`]: elements and fields are values; the end closes
/// what was opened.
macro_rules! compound_impls {
    ($($trait:ident :: $method:ident;)*) => {$(
        impl<W: Sink<Error = EncodeError>> ser::$trait for Compound<'_, '_, W> {
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
        impl<W: Sink<Error = EncodeError>> ser::$trait for Compound<'_, '_, W> {
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
pub enum MapWriter<'a, 'e, W: Sink<Error = EncodeError>> {
    Known(Compound<'a, 'e, W>),
    #[cfg(feature = "alloc")]
    Buffered {
        ser: &'a mut Serializer<'e, W>,
        nil: bool,
        pairs: usize,
        body: Encoder<alloc::vec::Vec<u8>>,
    },
}

impl<W: Sink<Error = EncodeError>> ser::SerializeMap for MapWriter<'_, '_, W> {
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
