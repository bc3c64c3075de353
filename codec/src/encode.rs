//! Encoding into memory the caller owns: an [`Encoder`] over a [`Write`] sink, the [`Encode`]
//! trait for views and Rust values, and builder calls for streaming output.
//!
//! Output is byte-identical to `term_to_binary(T, [{minor_version, 2}])` (UTF-8 atoms, the
//! OTP 26+ default); [`AtomEncoding::Latin1`] gives `minor_version` 1 output (OTP 25's default).
//! Map keys are written in the order given: Erlang writes maps of up to 32 keys sorted by key,
//! so give them sorted for byte-identical output.

use crate::term::{Atom, BigInt, BitBinary, Term};
use crate::wire::{self, VERSION, strip_high_zeros};
use core::fmt;

/// Why a value could not be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// The output buffer is too small: `needed` bytes are required in all.
    BufferTooSmall {
        /// The size the whole output needs.
        needed: usize,
    },
    /// A float that is infinite or NaN: Erlang has no such value.
    NonFiniteFloat,
    /// A builder call wrote a different number of terms than its header declared.
    CountMismatch {
        /// What the header declared.
        declared: u64,
        /// What was written.
        written: u64,
    },
    /// A value outside what the format can carry: an atom of more than 255 characters, a
    /// binary or list of 2^32 or more elements, a bit count outside 1..=7, a reference of no
    /// words or more than 5, an integer magnitude longer than Erlang's limit.
    OutOfRange,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::BufferTooSmall { needed } => write!(f, "buffer too small: {needed} bytes needed"),
            EncodeError::NonFiniteFloat => f.write_str("float is infinite or NaN"),
            EncodeError::CountMismatch { declared, written } => {
                write!(f, "header declared {declared} terms but {written} were written")
            }
            EncodeError::OutOfRange => f.write_str("value outside what the external term format carries"),
        }
    }
}

impl core::error::Error for EncodeError {}

#[cfg(feature = "defmt")]
impl defmt::Format for EncodeError {
    fn format(&self, f: defmt::Formatter<'_>) {
        match self {
            EncodeError::BufferTooSmall { needed } => defmt::write!(f, "buffer too small: {=usize} needed", needed),
            EncodeError::NonFiniteFloat => defmt::write!(f, "non-finite float"),
            EncodeError::CountMismatch { declared, written } => {
                defmt::write!(f, "declared {=u64} terms, wrote {=u64}", declared, written)
            }
            EncodeError::OutOfRange => defmt::write!(f, "out of range"),
        }
    }
}

/// A sink for encoded bytes.
pub trait Write {
    /// Appends `bytes`, or fails (a full fixed-size buffer).
    fn write(&mut self, bytes: &[u8]) -> Result<(), EncodeError>;
}

/// Writes into a `&mut [u8]`. When the slice is full it keeps counting, so the error can say
/// how large the whole output is.
#[derive(Debug)]
pub struct SliceWriter<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> SliceWriter<'a> {
    /// A writer at the start of `buf`.
    pub fn new(buf: &'a mut [u8]) -> Self {
        SliceWriter { buf, len: 0 }
    }

    /// The bytes written so far, or `BufferTooSmall` with the size needed if they did not fit.
    pub fn finish(self) -> Result<&'a mut [u8], EncodeError> {
        if self.len > self.buf.len() {
            return Err(EncodeError::BufferTooSmall { needed: self.len });
        }
        Ok(&mut self.buf[..self.len])
    }
}

impl Write for SliceWriter<'_> {
    #[inline(always)]
    fn write(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        let end = self.len + bytes.len();
        if let Some(dest) = self.buf.get_mut(self.len..end) {
            dest.copy_from_slice(bytes);
        }
        self.len = end;
        Ok(())
    }
}

/// Counts bytes without writing them (for [`encoded_len`]).
#[derive(Debug, Default)]
pub struct Counter(pub usize);

impl Write for Counter {
    #[inline]
    fn write(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        self.0 += bytes.len();
        Ok(())
    }
}

/// A full vector fails with `BufferTooSmall`, whose `needed` counts the bytes up to and
/// including the write that did not fit ([`encode_to_heapless`] reports the whole size).
impl<const N: usize> Write for heapless::Vec<u8, N> {
    #[inline]
    fn write(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        let needed = self.len() + bytes.len();
        self.extend_from_slice(bytes).map_err(|_| EncodeError::BufferTooSmall { needed })
    }
}

#[cfg(feature = "alloc")]
impl Write for alloc::vec::Vec<u8> {
    #[inline]
    fn write(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        self.extend_from_slice(bytes);
        Ok(())
    }
}

impl<W: Write + ?Sized> Write for &mut W {
    fn write(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        (**self).write(bytes)
    }
}

/// How atoms are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AtomEncoding {
    /// Every atom as UTF-8 (`SMALL_ATOM_UTF8_EXT`, `ATOM_UTF8_EXT`): `minor_version` 2, the
    /// default of OTP 26 and later.
    #[default]
    Utf8,
    /// Atoms whose characters are all latin-1 as `ATOM_EXT`, others as UTF-8: `minor_version`
    /// 1, the default before OTP 26.
    Latin1,
}

/// Writes terms into a sink, counting the terms written so that a header that does not match
/// its contents is an error instead of a corrupt output.
#[derive(Debug)]
pub struct Encoder<W: Write> {
    sink: W,
    atoms: AtomEncoding,
    written: u64,
}

/// A value that can be written as an Erlang term.
pub trait Encode {
    /// Writes the value as one term.
    fn encode<W: Write>(&self, encoder: &mut Encoder<W>) -> Result<(), EncodeError>;

    /// Writes a slice of these values. Lists by default (`STRING_EXT` when every element is an
    /// integer 0..=255, as Erlang does); `u8` writes a binary.
    fn encode_slice<W: Write>(items: &[Self], encoder: &mut Encoder<W>) -> Result<(), EncodeError>
    where
        Self: Sized,
    {
        encoder.list_of(items)
    }

    /// The value as a byte, if it is an integer 0..=255 (for `STRING_EXT`).
    fn as_byte(&self) -> Option<u8> {
        None
    }
}

impl<W: Write> Encoder<W> {
    /// An encoder writing `minor_version` 2 output into `sink` (no version byte: see
    /// [`Encoder::version`]).
    pub fn new(sink: W) -> Self {
        Encoder { sink, atoms: AtomEncoding::Utf8, written: 0 }
    }

    /// The same encoder writing atoms as `encoding` says.
    pub fn with_atoms(mut self, encoding: AtomEncoding) -> Self {
        self.atoms = encoding;
        self
    }

    /// The sink, with everything written so far.
    pub fn into_inner(self) -> W {
        self.sink
    }

    #[inline(always)]
    fn raw(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        self.sink.write(bytes)
    }

    #[inline(always)]
    fn term(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        self.written += 1;
        self.sink.write(bytes)
    }

    /// The version byte 131 that starts an external term (not a term itself).
    pub fn version(&mut self) -> Result<(), EncodeError> {
        self.raw(&[VERSION])
    }

    /// Writes any [`Encode`] value.
    pub fn encode<T: Encode + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        value.encode(self)
    }

    /// Runs `body`, which must write exactly `count` terms.
    fn contents(
        &mut self,
        count: u64,
        body: impl FnOnce(&mut Self) -> Result<(), EncodeError>,
    ) -> Result<(), EncodeError> {
        let outer = core::mem::replace(&mut self.written, 0);
        body(self)?;
        let written = core::mem::replace(&mut self.written, outer);
        if written != count {
            return Err(EncodeError::CountMismatch { declared: count, written });
        }
        Ok(())
    }

    /// An integer, in the smallest form Erlang uses (97, 98, 110).
    pub fn integer(&mut self, value: i64) -> Result<(), EncodeError> {
        if (0..=255).contains(&value) {
            self.term(&[wire::SMALL_INTEGER_EXT, value as u8])
        } else if let Ok(small) = i32::try_from(value) {
            let [a, b, c, d] = small.to_be_bytes();
            self.term(&[wire::INTEGER_EXT, a, b, c, d])
        } else {
            self.big_ext(value < 0, &value.unsigned_abs().to_le_bytes())
        }
    }

    /// An unsigned 128-bit integer, in the smallest form.
    pub fn u128(&mut self, value: u128) -> Result<(), EncodeError> {
        match i64::try_from(value) {
            Ok(small) => self.integer(small),
            Err(_) => self.big_ext(false, &value.to_le_bytes()),
        }
    }

    /// A signed 128-bit integer, in the smallest form.
    pub fn i128(&mut self, value: i128) -> Result<(), EncodeError> {
        match i64::try_from(value) {
            Ok(small) => self.integer(small),
            Err(_) => self.big_ext(value < 0, &value.unsigned_abs().to_le_bytes()),
        }
    }

    /// An integer given as a sign and a little-endian magnitude (high zero bytes are
    /// dropped), in the smallest form Erlang uses.
    pub fn big(&mut self, negative: bool, magnitude: &[u8]) -> Result<(), EncodeError> {
        let magnitude = strip_high_zeros(magnitude);
        match wire::big_to_i64(negative, magnitude) {
            Some(value) if i32::try_from(value).is_ok() => self.integer(value),
            _ => self.big_ext(negative, magnitude),
        }
    }

    /// `SMALL_BIG_EXT` or `LARGE_BIG_EXT` for a magnitude without high zero bytes.
    fn big_ext(&mut self, negative: bool, magnitude: &[u8]) -> Result<(), EncodeError> {
        let magnitude = strip_high_zeros(magnitude);
        let sign = u8::from(negative);
        if magnitude.len() <= 255 {
            self.term(&[wire::SMALL_BIG_EXT, magnitude.len() as u8, sign])?;
        } else {
            let len = u32::try_from(magnitude.len())
                .ok()
                .filter(|&n| n <= wire::MAX_BIG_BYTES)
                .ok_or(EncodeError::OutOfRange)?;
            let [a, b, c, d] = len.to_be_bytes();
            self.term(&[wire::LARGE_BIG_EXT, a, b, c, d, sign])?;
        }
        self.raw(magnitude)
    }

    /// A float (`NEW_FLOAT_EXT`); infinities and NaN are an error.
    pub fn float(&mut self, value: f64) -> Result<(), EncodeError> {
        if !value.is_finite() {
            return Err(EncodeError::NonFiniteFloat);
        }
        let mut bytes = [wire::NEW_FLOAT_EXT; 9];
        bytes[1..].copy_from_slice(&value.to_be_bytes());
        self.term(&bytes)
    }

    /// An atom with this text.
    pub fn atom(&mut self, text: &str) -> Result<(), EncodeError> {
        // ASCII, the common case: one byte a character, the same bytes in both encodings.
        if text.len() <= 255 && text.is_ascii() {
            let latin1 = self.atoms == AtomEncoding::Latin1;
            self.written += 1;
            if latin1 {
                self.raw(&[wire::ATOM_EXT, 0, text.len() as u8])?;
            } else {
                self.raw(&[wire::SMALL_ATOM_UTF8_EXT, text.len() as u8])?;
            }
            return self.raw(text.as_bytes());
        }
        self.atom_chars(text.len(), text.chars(), text.as_bytes())
    }

    /// An atom, written in this encoder's atom encoding.
    pub fn atom_view(&mut self, atom: &Atom<'_>) -> Result<(), EncodeError> {
        match atom.as_str() {
            Some(text) => self.atom(text),
            None => {
                // latin-1 text with characters above 127
                let utf8_len = atom.chars().map(char::len_utf8).sum();
                self.atom_chars_latin1(atom.as_bytes(), utf8_len)
            }
        }
    }

    fn atom_chars(&mut self, utf8_len: usize, chars: core::str::Chars<'_>, utf8: &[u8]) -> Result<(), EncodeError> {
        let count = chars.clone().count();
        if count > 255 {
            return Err(EncodeError::OutOfRange);
        }
        if self.atoms == AtomEncoding::Latin1 && chars.clone().all(|c| (c as u32) < 256) {
            self.written += 1;
            self.raw(&[wire::ATOM_EXT, 0, count as u8])?;
            let mut buf = [0u8; 64];
            let mut filled = 0;
            for c in chars {
                buf[filled] = c as u32 as u8;
                filled += 1;
                if filled == buf.len() {
                    self.raw(&buf)?;
                    filled = 0;
                }
            }
            return self.raw(&buf[..filled]);
        }
        self.utf8_atom(utf8_len, utf8)
    }

    fn atom_chars_latin1(&mut self, latin1: &[u8], utf8_len: usize) -> Result<(), EncodeError> {
        if latin1.len() > 255 {
            return Err(EncodeError::OutOfRange);
        }
        if self.atoms == AtomEncoding::Latin1 {
            self.written += 1;
            self.raw(&[wire::ATOM_EXT, 0, latin1.len() as u8])?;
            return self.raw(latin1);
        }
        self.written += 1;
        if utf8_len <= 255 {
            self.raw(&[wire::SMALL_ATOM_UTF8_EXT, utf8_len as u8])?;
        } else {
            let [a, b] = (utf8_len as u16).to_be_bytes();
            self.raw(&[wire::ATOM_UTF8_EXT, a, b])?;
        }
        for &byte in latin1 {
            let mut buf = [0u8; 4];
            self.raw(char::from(byte).encode_utf8(&mut buf).as_bytes())?;
        }
        Ok(())
    }

    fn utf8_atom(&mut self, len: usize, utf8: &[u8]) -> Result<(), EncodeError> {
        self.written += 1;
        if len <= 255 {
            self.raw(&[wire::SMALL_ATOM_UTF8_EXT, len as u8])?;
        } else {
            let [a, b] = u16::try_from(len).map_err(|_| EncodeError::OutOfRange)?.to_be_bytes();
            self.raw(&[wire::ATOM_UTF8_EXT, a, b])?;
        }
        self.raw(utf8)
    }

    /// An atom in the encoding its view has, whatever this encoder's setting.
    fn atom_as_written(&mut self, atom: &Atom<'_>) -> Result<(), EncodeError> {
        let bytes = atom.as_bytes();
        self.written += 1;
        match (atom.is_utf8(), bytes.len()) {
            (false, len) => self.raw(&[wire::ATOM_EXT, (len >> 8) as u8, len as u8])?,
            (true, len @ 0..=255) => self.raw(&[wire::SMALL_ATOM_UTF8_EXT, len as u8])?,
            (true, len) => self.raw(&[wire::ATOM_UTF8_EXT, (len >> 8) as u8, len as u8])?,
        }
        self.raw(bytes)
    }

    /// A boolean: the atom `true` or `false`.
    pub fn boolean(&mut self, value: bool) -> Result<(), EncodeError> {
        self.atom(if value { "true" } else { "false" })
    }

    fn length(len: usize) -> Result<[u8; 4], EncodeError> {
        u32::try_from(len).map(u32::to_be_bytes).map_err(|_| EncodeError::OutOfRange)
    }

    /// A binary (`BINARY_EXT`).
    pub fn binary(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        let [a, b, c, d] = Self::length(bytes.len())?;
        self.term(&[wire::BINARY_EXT, a, b, c, d])?;
        self.raw(bytes)
    }

    /// A bitstring of `bytes.len() - 1` whole bytes and `bits` (1..=7) high bits of the last
    /// byte; its unused low bits are written as zero. With `bits` 8 it is a binary.
    pub fn bit_binary(&mut self, bytes: &[u8], bits: u8) -> Result<(), EncodeError> {
        if bits == 8 {
            return self.binary(bytes);
        }
        let Some((&last, whole)) = bytes.split_last() else { return Err(EncodeError::OutOfRange) };
        if !(1..=7).contains(&bits) {
            return Err(EncodeError::OutOfRange);
        }
        let [a, b, c, d] = Self::length(bytes.len())?;
        self.term(&[wire::BIT_BINARY_EXT, a, b, c, d, bits])?;
        self.raw(whole)?;
        self.raw(&[last & !(0xffu8 >> bits)])
    }

    /// A list of integers 0..=255 written as bytes, as Erlang writes such lists: `STRING_EXT`
    /// up to 65,535 elements, a `LIST_EXT` of small integers beyond, `[]` when empty.
    pub fn string(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        match bytes.len() {
            0 => self.nil(),
            len @ 1..=65535 => {
                let [a, b] = (len as u16).to_be_bytes();
                self.term(&[wire::STRING_EXT, a, b])?;
                self.raw(bytes)
            }
            len => self.list(len, |e| bytes.iter().try_for_each(|&b| e.integer(i64::from(b)))),
        }
    }

    /// `[]`.
    pub fn nil(&mut self) -> Result<(), EncodeError> {
        self.term(&[wire::NIL_EXT])
    }

    /// A tuple of `arity` elements, which `elements` must write.
    pub fn tuple(
        &mut self,
        arity: usize,
        elements: impl FnOnce(&mut Self) -> Result<(), EncodeError>,
    ) -> Result<(), EncodeError> {
        if arity <= 255 {
            self.term(&[wire::SMALL_TUPLE_EXT, arity as u8])?;
        } else {
            let [a, b, c, d] = Self::length(arity)?;
            self.term(&[wire::LARGE_TUPLE_EXT, a, b, c, d])?;
        }
        self.contents(arity as u64, elements)
    }

    /// A proper list of `len` elements, which `elements` must write; `[]` when `len` is 0.
    pub fn list(
        &mut self,
        len: usize,
        elements: impl FnOnce(&mut Self) -> Result<(), EncodeError>,
    ) -> Result<(), EncodeError> {
        if len == 0 {
            self.contents(0, elements)?;
            return self.nil();
        }
        let [a, b, c, d] = Self::length(len)?;
        self.term(&[wire::LIST_EXT, a, b, c, d])?;
        self.contents(len as u64 + 1, |e| {
            elements(e)?;
            e.nil()
        })
    }

    /// A list of `len` elements and a tail: `elements_and_tail` writes the elements, then the
    /// tail (`len + 1` terms). With `len` 0 only the tail is written, as Erlang would.
    pub fn improper_list(
        &mut self,
        len: usize,
        elements_and_tail: impl FnOnce(&mut Self) -> Result<(), EncodeError>,
    ) -> Result<(), EncodeError> {
        if len == 0 {
            let outer = self.written;
            self.contents(1, elements_and_tail)?;
            self.written = outer + 1;
            return Ok(());
        }
        let [a, b, c, d] = Self::length(len)?;
        self.term(&[wire::LIST_EXT, a, b, c, d])?;
        self.contents(len as u64 + 1, elements_and_tail)
    }

    /// A map of `pairs` pairs: `keys_and_values` writes key, value, key, value, ... in the
    /// order they should appear (Erlang sorts maps of up to 32 keys by key).
    pub fn map(
        &mut self,
        pairs: usize,
        keys_and_values: impl FnOnce(&mut Self) -> Result<(), EncodeError>,
    ) -> Result<(), EncodeError> {
        let [a, b, c, d] = Self::length(pairs)?;
        self.term(&[wire::MAP_EXT, a, b, c, d])?;
        self.contents(2 * pairs as u64, keys_and_values)
    }

    fn list_of<T: Encode>(&mut self, items: &[T]) -> Result<(), EncodeError> {
        if !items.is_empty() && items.len() <= 65535 && items.iter().all(|i| i.as_byte().is_some()) {
            self.term(&[wire::STRING_EXT, (items.len() >> 8) as u8, items.len() as u8])?;
            for chunk in items.chunks(64) {
                let mut buf = [0u8; 64];
                for (slot, item) in buf.iter_mut().zip(chunk) {
                    *slot = item.as_byte().unwrap_or(0);
                }
                self.raw(&buf[..chunk.len()])?;
            }
            return Ok(());
        }
        self.list(items.len(), |e| items.iter().try_for_each(|item| item.encode(e)))
    }

    fn node_creation(&mut self, node: &Atom<'_>) -> Result<(), EncodeError> {
        let outer = self.written;
        self.atom_view(node)?;
        self.written = outer;
        Ok(())
    }

    /// A process identifier (`NEW_PID_EXT`).
    pub fn pid(&mut self, node: &Atom<'_>, id: u32, serial: u32, creation: u32) -> Result<(), EncodeError> {
        self.term(&[wire::NEW_PID_EXT])?;
        self.node_creation(node)?;
        let mut fields = [0u8; 12];
        fields[..4].copy_from_slice(&id.to_be_bytes());
        fields[4..8].copy_from_slice(&serial.to_be_bytes());
        fields[8..].copy_from_slice(&creation.to_be_bytes());
        self.raw(&fields)
    }

    /// A port identifier: `NEW_PORT_EXT` when the number fits 28 bits (as OTP 25 writes),
    /// `V4_PORT_EXT` otherwise.
    pub fn port(&mut self, node: &Atom<'_>, id: u64, creation: u32) -> Result<(), EncodeError> {
        if id < 1 << 28 {
            self.term(&[wire::NEW_PORT_EXT])?;
            self.node_creation(node)?;
            self.raw(&(id as u32).to_be_bytes())?;
        } else {
            self.term(&[wire::V4_PORT_EXT])?;
            self.node_creation(node)?;
            self.raw(&id.to_be_bytes())?;
        }
        self.raw(&creation.to_be_bytes())
    }

    /// A reference (`NEWER_REFERENCE_EXT`) of 1 to 5 identifier words.
    pub fn reference(&mut self, node: &Atom<'_>, creation: u32, ids: &[u32]) -> Result<(), EncodeError> {
        if ids.is_empty() || ids.len() > 5 {
            return Err(EncodeError::OutOfRange);
        }
        self.term(&[wire::NEWER_REFERENCE_EXT, 0, ids.len() as u8])?;
        self.node_creation(node)?;
        self.raw(&creation.to_be_bytes())?;
        ids.iter().try_for_each(|id| self.raw(&id.to_be_bytes()))
    }

    /// An export fun, `fun Module:Function/Arity`.
    pub fn export(&mut self, module: &str, function: &str, arity: u8) -> Result<(), EncodeError> {
        self.term(&[wire::EXPORT_EXT])?;
        let outer = self.written;
        self.atom(module)?;
        self.atom(function)?;
        self.integer(i64::from(arity))?;
        self.written = outer;
        Ok(())
    }

    /// Copies bytes that already are one complete, valid term.
    fn verbatim(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        self.term(bytes)
    }
}

/// Encodes `value` into `buf`: the version byte, then the term. Returns the number of bytes
/// written.
///
/// ```
/// let mut buf = [0u8; 16];
/// let n = erlport_codec::encode(&(erlport_codec::Atom::new("ok"), 42), &mut buf)?;
/// assert_eq!(&buf[..n], &[131, 104, 2, 119, 2, b'o', b'k', 97, 42]);
/// # Ok::<(), erlport_codec::EncodeError>(())
/// ```
pub fn encode<T: Encode + ?Sized>(value: &T, buf: &mut [u8]) -> Result<usize, EncodeError> {
    encode_with(value, buf, AtomEncoding::Utf8)
}

/// [`encode`] with a choice of atom encoding ([`AtomEncoding::Latin1`] for `minor_version` 1).
pub fn encode_with<T: Encode + ?Sized>(value: &T, buf: &mut [u8], atoms: AtomEncoding) -> Result<usize, EncodeError> {
    let mut encoder = Encoder::new(SliceWriter::new(buf)).with_atoms(atoms);
    encoder.version()?;
    value.encode(&mut encoder)?;
    Ok(encoder.into_inner().finish()?.len())
}

/// The number of bytes [`encode`] writes for `value` (with the version byte); writes nothing.
pub fn encoded_len<T: Encode + ?Sized>(value: &T) -> Result<usize, EncodeError> {
    encoded_len_with(value, AtomEncoding::Utf8)
}

/// [`encoded_len`] for [`encode_with`].
pub fn encoded_len_with<T: Encode + ?Sized>(value: &T, atoms: AtomEncoding) -> Result<usize, EncodeError> {
    let mut encoder = Encoder::new(Counter(0)).with_atoms(atoms);
    encoder.version()?;
    value.encode(&mut encoder)?;
    Ok(encoder.into_inner().0)
}

/// Encodes `value` into a fixed-capacity `heapless::Vec`, for programs without an allocator.
pub fn encode_to_heapless<const N: usize, T: Encode + ?Sized>(value: &T) -> Result<heapless::Vec<u8, N>, EncodeError> {
    let mut encoder = Encoder::new(heapless::Vec::<u8, N>::new());
    let written = encoder.version().and_then(|()| value.encode(&mut encoder));
    match written {
        Ok(()) => Ok(encoder.into_inner()),
        // Say how large the whole output is, not just how far it got.
        Err(EncodeError::BufferTooSmall { .. }) => Err(EncodeError::BufferTooSmall { needed: encoded_len(value)? }),
        Err(other) => Err(other),
    }
}

/// Encodes `value` into a new `Vec`.
#[cfg(feature = "alloc")]
pub fn encode_to_vec<T: Encode + ?Sized>(value: &T) -> Result<alloc::vec::Vec<u8>, EncodeError> {
    let mut encoder = Encoder::new(alloc::vec::Vec::new());
    encoder.version()?;
    value.encode(&mut encoder)?;
    Ok(encoder.into_inner())
}

macro_rules! encode_signed {
    ($($t:ty)*) => {$(
        impl Encode for $t {
            fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), EncodeError> {
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
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), EncodeError> {
        e.integer(i64::from(*self))
    }
    /// Byte slices are binaries.
    fn encode_slice<W: Write>(items: &[u8], e: &mut Encoder<W>) -> Result<(), EncodeError> {
        e.binary(items)
    }
    fn as_byte(&self) -> Option<u8> {
        Some(*self)
    }
}

macro_rules! encode_wide {
    ($($t:ty => $via:ty, $method:ident;)*) => {$(
        impl Encode for $t {
            fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), EncodeError> {
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
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), EncodeError> {
        e.float(*self)
    }
}

impl Encode for f32 {
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), EncodeError> {
        e.float(f64::from(*self))
    }
}

impl Encode for bool {
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), EncodeError> {
        e.boolean(*self)
    }
}

/// Strings are binaries (UTF-8), as erlport sends them; use [`ErlString`] for a list.
impl Encode for str {
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), EncodeError> {
        e.binary(self.as_bytes())
    }
}

#[cfg(feature = "alloc")]
impl Encode for alloc::string::String {
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), EncodeError> {
        e.binary(self.as_bytes())
    }
}

impl<T: Encode> Encode for [T] {
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), EncodeError> {
        T::encode_slice(self, e)
    }
}

impl<T: Encode, const N: usize> Encode for [T; N] {
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), EncodeError> {
        T::encode_slice(self, e)
    }
}

#[cfg(feature = "alloc")]
impl<T: Encode> Encode for alloc::vec::Vec<T> {
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), EncodeError> {
        T::encode_slice(self, e)
    }
}

impl<T: Encode, const N: usize> Encode for heapless::Vec<T, N> {
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), EncodeError> {
        T::encode_slice(self, e)
    }
}

impl<T: Encode + ?Sized> Encode for &T {
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), EncodeError> {
        (**self).encode(e)
    }
    fn as_byte(&self) -> Option<u8> {
        (**self).as_byte()
    }
}

#[cfg(feature = "alloc")]
impl<T: Encode + ?Sized> Encode for alloc::boxed::Box<T> {
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), EncodeError> {
        (**self).encode(e)
    }
}

/// `None` is the atom `undefined`, `Some(v)` is `v`.
impl<T: Encode> Encode for Option<T> {
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), EncodeError> {
        match self {
            Some(value) => value.encode(e),
            None => e.atom("undefined"),
        }
    }
}

impl Encode for () {
    /// `{}`
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), EncodeError> {
        e.tuple(0, |_| Ok(()))
    }
}

macro_rules! encode_tuple {
    ($($n:literal => ($($name:ident $idx:tt),+);)*) => {$(
        impl<$($name: Encode),+> Encode for ($($name,)+) {
            fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), EncodeError> {
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
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), EncodeError> {
        e.atom_view(self)
    }
}

impl Encode for BigInt<'_> {
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), EncodeError> {
        e.big(self.is_negative(), self.magnitude())
    }
}

impl Encode for BitBinary<'_> {
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), EncodeError> {
        e.bit_binary(self.bytes(), self.bits_in_last_byte())
    }
}

impl Encode for crate::term::Pid<'_> {
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), EncodeError> {
        e.pid(&self.node(), self.id(), self.serial(), self.creation())
    }
}

impl Encode for crate::term::Port<'_> {
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), EncodeError> {
        e.port(&self.node(), self.id(), self.creation())
    }
}

impl Encode for crate::term::Reference<'_> {
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), EncodeError> {
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
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), EncodeError> {
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
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), EncodeError> {
        let text = self.0.as_ref();
        let count = text.chars().count();
        if count <= 65535 && text.chars().all(|c| (c as u32) < 256) {
            if count == 0 {
                return e.nil();
            }
            e.written += 1;
            e.raw(&[wire::STRING_EXT, (count >> 8) as u8, count as u8])?;
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
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), EncodeError> {
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
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), EncodeError> {
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
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), EncodeError> {
        MapFrom(self.iter()).encode(e)
    }
}

#[cfg(feature = "std")]
impl<K: Encode, V: Encode, S> Encode for std::collections::HashMap<K, V, S> {
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<(), EncodeError> {
        MapFrom(self.iter()).encode(e)
    }
}
