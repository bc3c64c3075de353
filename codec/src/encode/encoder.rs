//! The [`Encoder`]: builder calls that write one term each, and the count of terms a
//! container header still owes.

use super::{Encode, EncodeError, Sink};
use crate::term::Atom;
use crate::wire::{self, VERSION, emit, strip_high_zeros};

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
pub struct Encoder<W: Sink> {
    sink: W,
    atoms: AtomEncoding,
    written: u64,
}
impl<W: Sink> Encoder<W> {
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

    /// Writes bytes that are part of a term already counted.
    #[cfg_attr(not(target_os = "none"), inline(always))]
    #[cfg_attr(target_os = "none", inline)]
    pub(super) fn raw(&mut self, bytes: &[u8]) -> Result<(), W::Error> {
        self.sink.write(bytes)
    }

    /// Writes the header (or the whole) of one term and counts it.
    #[cfg_attr(not(target_os = "none"), inline(always))]
    #[cfg_attr(target_os = "none", inline)]
    pub(super) fn term(&mut self, bytes: &[u8]) -> Result<(), W::Error> {
        self.count_one();
        self.sink.write(bytes)
    }

    /// Counts one term toward what the enclosing header declared. With `contents`, the only
    /// code that touches the count.
    #[cfg_attr(not(target_os = "none"), inline(always))]
    #[cfg_attr(target_os = "none", inline)]
    fn count_one(&mut self) {
        self.written += 1;
    }

    /// The version byte 131 that starts an external term (not a term itself).
    pub fn version(&mut self) -> Result<(), W::Error> {
        self.raw(&[VERSION])
    }

    /// Writes any [`Encode`] value.
    pub fn encode<T: Encode + ?Sized>(&mut self, value: &T) -> Result<(), W::Error> {
        value.encode(self)
    }

    /// Runs `body`, which must write exactly `count` terms (a container's elements, or the
    /// fields of a pid or export); the enclosing count resumes after it.
    fn contents(&mut self, count: u64, body: impl FnOnce(&mut Self) -> Result<(), W::Error>) -> Result<(), W::Error> {
        let outer = core::mem::replace(&mut self.written, 0);
        body(self)?;
        let written = core::mem::replace(&mut self.written, outer);
        if written != count {
            return Err(EncodeError::CountMismatch { declared: count, written }.into());
        }
        Ok(())
    }

    /// An integer, in the smallest form Erlang uses (97, 98, 110).
    pub fn integer(&mut self, value: i64) -> Result<(), W::Error> {
        if (0..=255).contains(&value) {
            self.term(&emit::small_integer(value as u8))
        } else if let Ok(small) = i32::try_from(value) {
            self.term(&emit::integer(small))
        } else {
            self.big_ext(value < 0, &value.unsigned_abs().to_le_bytes())
        }
    }

    /// An unsigned 128-bit integer, in the smallest form.
    pub fn u128(&mut self, value: u128) -> Result<(), W::Error> {
        match i64::try_from(value) {
            Ok(small) => self.integer(small),
            Err(_) => self.big_ext(false, &value.to_le_bytes()),
        }
    }

    /// A signed 128-bit integer, in the smallest form.
    pub fn i128(&mut self, value: i128) -> Result<(), W::Error> {
        match i64::try_from(value) {
            Ok(small) => self.integer(small),
            Err(_) => self.big_ext(value < 0, &value.unsigned_abs().to_le_bytes()),
        }
    }

    /// An integer given as a sign and a little-endian magnitude (high zero bytes are
    /// dropped), in the smallest form Erlang uses.
    pub fn big(&mut self, negative: bool, magnitude: &[u8]) -> Result<(), W::Error> {
        let magnitude = strip_high_zeros(magnitude);
        match wire::big_to_i64(negative, magnitude) {
            Some(value) if i32::try_from(value).is_ok() => self.integer(value),
            _ => self.big_ext(negative, magnitude),
        }
    }

    /// `SMALL_BIG_EXT` or `LARGE_BIG_EXT` for a magnitude without high zero bytes.
    fn big_ext(&mut self, negative: bool, magnitude: &[u8]) -> Result<(), W::Error> {
        let magnitude = strip_high_zeros(magnitude);
        let sign = u8::from(negative);
        if magnitude.len() <= 255 {
            self.term(&emit::small_big(magnitude.len() as u8, sign))?;
        } else {
            let len = u32::try_from(magnitude.len())
                .ok()
                .filter(|&n| n <= wire::MAX_BIG_BYTES)
                .ok_or(EncodeError::OutOfRange)?;
            self.term(&emit::large_big(len, sign))?;
        }
        self.raw(magnitude)
    }

    /// A float (`NEW_FLOAT_EXT`); infinities and NaN are an error.
    pub fn float(&mut self, value: f64) -> Result<(), W::Error> {
        if !value.is_finite() {
            return Err(EncodeError::NonFiniteFloat.into());
        }
        self.term(&emit::new_float(value))
    }

    /// An atom with this text.
    #[cfg_attr(not(target_os = "none"), inline(always))]
    #[cfg_attr(target_os = "none", inline)]
    pub fn atom(&mut self, text: &str) -> Result<(), W::Error> {
        // As UTF-8, the common case (inlined where it is called): at most 255 bytes are at
        // most 255 characters.
        if text.len() <= 255 && self.atoms == AtomEncoding::Utf8 {
            self.term(&emit::small_utf8_atom(text.len() as u8))?;
            return self.raw(text.as_bytes());
        }
        self.atom_otherwise(text)
    }

    /// [`Encoder::atom`] as latin-1, or with over 255 bytes.
    fn atom_otherwise(&mut self, text: &str) -> Result<(), W::Error> {
        // ASCII: one byte a character, the same bytes in both encodings.
        if text.len() <= 255 && text.is_ascii() {
            self.term(&emit::latin1_atom(text.len() as u8))?;
            return self.raw(text.as_bytes());
        }
        self.atom_chars(text.len(), text.chars(), text.as_bytes())
    }

    /// An atom, written in this encoder's atom encoding.
    #[cfg_attr(not(target_os = "none"), inline(always))]
    #[cfg_attr(target_os = "none", inline)]
    pub fn atom_view(&mut self, atom: &Atom<'_>) -> Result<(), W::Error> {
        let bytes = atom.as_bytes();
        // A UTF-8 atom as UTF-8: its bytes as they are (valid UTF-8, checked when it was
        // decoded or made from a `&str`).
        if atom.is_utf8() && self.atoms == AtomEncoding::Utf8 && bytes.len() <= 255 {
            self.term(&emit::small_utf8_atom(bytes.len() as u8))?;
            return self.raw(bytes);
        }
        self.atom_view_otherwise(atom)
    }

    /// [`Encoder::atom_view`] for a latin-1 atom, in latin-1, or with over 255 bytes.
    fn atom_view_otherwise(&mut self, atom: &Atom<'_>) -> Result<(), W::Error> {
        match atom.as_str() {
            Some(text) => self.atom(text),
            None => {
                // latin-1 text with characters above 127
                let utf8_len = atom.chars().map(char::len_utf8).sum();
                self.atom_chars_latin1(atom.as_bytes(), utf8_len)
            }
        }
    }

    fn atom_chars(&mut self, utf8_len: usize, chars: core::str::Chars<'_>, utf8: &[u8]) -> Result<(), W::Error> {
        let count = chars.clone().count();
        if count > 255 {
            return Err(EncodeError::OutOfRange.into());
        }
        if self.atoms == AtomEncoding::Latin1 && chars.clone().all(|c| (c as u32) < 256) {
            self.term(&emit::latin1_atom(count as u8))?;
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

    fn atom_chars_latin1(&mut self, latin1: &[u8], utf8_len: usize) -> Result<(), W::Error> {
        if latin1.len() > 255 {
            return Err(EncodeError::OutOfRange.into());
        }
        if self.atoms == AtomEncoding::Latin1 {
            self.term(&emit::latin1_atom(latin1.len() as u8))?;
            return self.raw(latin1);
        }
        if utf8_len <= 255 {
            self.term(&emit::small_utf8_atom(utf8_len as u8))?;
        } else {
            self.term(&emit::utf8_atom(utf8_len as u16))?;
        }
        for &byte in latin1 {
            let mut buf = [0u8; 4];
            self.raw(char::from(byte).encode_utf8(&mut buf).as_bytes())?;
        }
        Ok(())
    }

    fn utf8_atom(&mut self, len: usize, utf8: &[u8]) -> Result<(), W::Error> {
        if len <= 255 {
            self.term(&emit::small_utf8_atom(len as u8))?;
        } else {
            self.term(&emit::utf8_atom(u16::try_from(len).map_err(|_| EncodeError::OutOfRange)?))?;
        }
        self.raw(utf8)
    }

    /// An atom in the encoding its view has, whatever this encoder's setting.
    pub(super) fn atom_as_written(&mut self, atom: &Atom<'_>) -> Result<(), W::Error> {
        let bytes = atom.as_bytes();
        let (header, len) = emit::atom_as_written(atom.is_utf8(), bytes.len() as u16);
        self.term(&header[..len])?;
        self.raw(bytes)
    }

    /// A boolean: the atom `true` or `false`.
    pub fn boolean(&mut self, value: bool) -> Result<(), W::Error> {
        self.atom(if value { "true" } else { "false" })
    }

    fn length(len: usize) -> Result<u32, EncodeError> {
        u32::try_from(len).map_err(|_| EncodeError::OutOfRange)
    }

    /// A binary (`BINARY_EXT`).
    #[cfg_attr(not(target_os = "none"), inline(always))]
    #[cfg_attr(target_os = "none", inline)]
    pub fn binary(&mut self, bytes: &[u8]) -> Result<(), W::Error> {
        self.term(&emit::binary(Self::length(bytes.len())?))?;
        self.raw(bytes)
    }

    /// A bitstring of `bytes.len() - 1` whole bytes and `bits` (1..=7) high bits of the last
    /// byte; its unused low bits are written as zero. With `bits` 8 it is a binary.
    pub fn bit_binary(&mut self, bytes: &[u8], bits: u8) -> Result<(), W::Error> {
        if bits == 8 {
            return self.binary(bytes);
        }
        let Some((&last, whole)) = bytes.split_last() else { return Err(EncodeError::OutOfRange.into()) };
        if !(1..=7).contains(&bits) {
            return Err(EncodeError::OutOfRange.into());
        }
        self.term(&emit::bit_binary(Self::length(bytes.len())?, bits))?;
        self.raw(whole)?;
        self.raw(&[last & !(0xffu8 >> bits)])
    }

    /// A list of integers 0..=255 written as bytes, as Erlang writes such lists: `STRING_EXT`
    /// up to 65,535 elements, a `LIST_EXT` of small integers beyond, `[]` when empty.
    pub fn string(&mut self, bytes: &[u8]) -> Result<(), W::Error> {
        match bytes.len() {
            0 => self.nil(),
            len @ 1..=65535 => {
                self.term(&emit::string(len as u16))?;
                self.raw(bytes)
            }
            len => self.list(len, |e| bytes.iter().try_for_each(|&b| e.integer(i64::from(b)))),
        }
    }

    /// `[]`.
    pub fn nil(&mut self) -> Result<(), W::Error> {
        self.term(&emit::NIL)
    }

    /// A tuple of `arity` elements, which `elements` must write.
    pub fn tuple(
        &mut self,
        arity: usize,
        elements: impl FnOnce(&mut Self) -> Result<(), W::Error>,
    ) -> Result<(), W::Error> {
        if arity <= 255 {
            self.term(&emit::small_tuple(arity as u8))?;
        } else {
            self.term(&emit::large_tuple(Self::length(arity)?))?;
        }
        self.contents(arity as u64, elements)
    }

    /// A proper list of `len` elements, which `elements` must write; `[]` when `len` is 0.
    pub fn list(
        &mut self,
        len: usize,
        elements: impl FnOnce(&mut Self) -> Result<(), W::Error>,
    ) -> Result<(), W::Error> {
        if len == 0 {
            self.contents(0, elements)?;
            return self.nil();
        }
        self.term(&emit::list(Self::length(len)?))?;
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
        elements_and_tail: impl FnOnce(&mut Self) -> Result<(), W::Error>,
    ) -> Result<(), W::Error> {
        if len == 0 {
            // The tail alone is the term written here.
            self.contents(1, elements_and_tail)?;
            self.count_one();
            return Ok(());
        }
        self.term(&emit::list(Self::length(len)?))?;
        self.contents(len as u64 + 1, elements_and_tail)
    }

    /// A map of `pairs` pairs: `keys_and_values` writes key, value, key, value, ... in the
    /// order they should appear (Erlang sorts maps of up to 32 keys by key).
    pub fn map(
        &mut self,
        pairs: usize,
        keys_and_values: impl FnOnce(&mut Self) -> Result<(), W::Error>,
    ) -> Result<(), W::Error> {
        self.term(&emit::map(Self::length(pairs)?))?;
        self.contents(2 * pairs as u64, keys_and_values)
    }

    pub(super) fn list_of<T: Encode>(&mut self, items: &[T]) -> Result<(), W::Error> {
        if !items.is_empty() && items.len() <= 65535 && items.iter().all(|i| i.as_byte().is_some()) {
            self.term(&emit::string(items.len() as u16))?;
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

    /// The node of a pid, port or reference: a field, not a term of the enclosing container.
    fn node_creation(&mut self, node: &Atom<'_>) -> Result<(), W::Error> {
        self.contents(1, |e| e.atom_view(node))
    }

    /// A process identifier (`NEW_PID_EXT`).
    pub fn pid(&mut self, node: &Atom<'_>, id: u32, serial: u32, creation: u32) -> Result<(), W::Error> {
        self.term(&emit::NEW_PID)?;
        self.node_creation(node)?;
        let mut fields = [0u8; 12];
        fields[..4].copy_from_slice(&id.to_be_bytes());
        fields[4..8].copy_from_slice(&serial.to_be_bytes());
        fields[8..].copy_from_slice(&creation.to_be_bytes());
        self.raw(&fields)
    }

    /// A port identifier: `NEW_PORT_EXT` when the number fits 28 bits (as OTP 25 writes),
    /// `V4_PORT_EXT` otherwise.
    pub fn port(&mut self, node: &Atom<'_>, id: u64, creation: u32) -> Result<(), W::Error> {
        if id < 1 << 28 {
            self.term(&emit::NEW_PORT)?;
            self.node_creation(node)?;
            self.raw(&(id as u32).to_be_bytes())?;
        } else {
            self.term(&emit::V4_PORT)?;
            self.node_creation(node)?;
            self.raw(&id.to_be_bytes())?;
        }
        self.raw(&creation.to_be_bytes())
    }

    /// A reference (`NEWER_REFERENCE_EXT`) of 1 to 5 identifier words.
    pub fn reference(&mut self, node: &Atom<'_>, creation: u32, ids: &[u32]) -> Result<(), W::Error> {
        if ids.is_empty() || ids.len() > 5 {
            return Err(EncodeError::OutOfRange.into());
        }
        self.term(&emit::newer_reference(ids.len() as u16))?;
        self.node_creation(node)?;
        self.raw(&creation.to_be_bytes())?;
        ids.iter().try_for_each(|id| self.raw(&id.to_be_bytes()))
    }

    /// An export fun, `fun Module:Function/Arity`.
    pub fn export(&mut self, module: &str, function: &str, arity: u8) -> Result<(), W::Error> {
        self.term(&emit::EXPORT)?;
        // Three fields, not terms of the enclosing container.
        self.contents(3, |e| {
            e.atom(module)?;
            e.atom(function)?;
            e.integer(i64::from(arity))
        })
    }

    /// Starts a container whose elements are written by calls that cannot be wrapped in a
    /// closure (serde's `SerializeSeq` and friends): writes `header` as one term of the
    /// enclosing container and returns that container's count, to give back to [`Encoder::close`].
    #[cfg(feature = "serde")]
    pub(crate) fn open(&mut self, header: &[u8]) -> Result<u64, W::Error> {
        self.term(header)?;
        Ok(core::mem::replace(&mut self.written, 0))
    }

    /// Ends what [`Encoder::open`] started: exactly `declared` terms must have been written.
    #[cfg(feature = "serde")]
    pub(crate) fn close(&mut self, outer: u64, declared: u64) -> Result<(), W::Error> {
        let written = core::mem::replace(&mut self.written, outer);
        if written != declared {
            return Err(EncodeError::CountMismatch { declared, written }.into());
        }
        Ok(())
    }

    /// Writes bytes that are part of a term already counted (serde's raw captures).
    #[cfg(feature = "serde")]
    pub(crate) fn raw_bytes(&mut self, bytes: &[u8]) -> Result<(), W::Error> {
        self.raw(bytes)
    }

    /// The sink, the atom setting and the count of terms written, for an encoder over an
    /// adapter of the sink that continues this one ([`Encoder::from_parts`]).
    #[cfg(feature = "serde")]
    pub(crate) fn parts(&mut self) -> (&mut W, AtomEncoding, u64) {
        (&mut self.sink, self.atoms, self.written)
    }

    /// An encoder continuing one taken apart with [`Encoder::parts`].
    #[cfg(feature = "serde")]
    pub(crate) fn from_parts(sink: W, atoms: AtomEncoding, written: u64) -> Self {
        Encoder { sink, atoms, written }
    }

    /// The sink and the count of terms written.
    #[cfg(feature = "serde")]
    pub(crate) fn into_parts(self) -> (W, u64) {
        (self.sink, self.written)
    }

    /// Sets the count of terms written (taken back from an encoder made by
    /// [`Encoder::from_parts`]).
    #[cfg(feature = "serde")]
    pub(crate) fn set_written(&mut self, written: u64) {
        self.written = written;
    }

    /// Counts one term whose bytes are written with [`Encoder::raw_bytes`].
    #[cfg(feature = "serde")]
    pub(crate) fn count_term(&mut self) {
        self.count_one();
    }

    /// A four-byte length field's value for `len`, or `OutOfRange`.
    #[cfg(feature = "serde")]
    pub(crate) fn length_field(len: usize) -> Result<u32, EncodeError> {
        Self::length(len)
    }

    /// A fun (`NEW_FUN_EXT`) with its free variables. The size field needs their length, so
    /// they are encoded twice (counted, then written): funs nested in free variables would cost
    /// twice per level, and `ArbitraryTerm` makes none.
    #[cfg(feature = "arbitrary")]
    pub(crate) fn fun<T: Encode>(&mut self, fun: &super::FunParts<'_>, free: &[T]) -> Result<(), W::Error> {
        /// The module, old index, old uniq, creator pid and free variables.
        fn fields<S: Sink, T: Encode>(
            e: &mut Encoder<S>,
            fun: &super::FunParts<'_>,
            free: &[T],
        ) -> Result<(), S::Error> {
            let (node, id, serial, creation) = fun.creator;
            e.atom(fun.module)?;
            e.integer(fun.old_index)?;
            e.integer(fun.old_uniq)?;
            e.pid(node, id, serial, creation)?;
            free.iter().try_for_each(|v| v.encode(e))
        }
        // Size counts itself and everything after it.
        let mut counter = Encoder::new(super::Counter(0)).with_atoms(self.atoms);
        fields(&mut counter, fun, free)?;
        let size = u32::try_from(4 + 1 + 16 + 4 + 4 + counter.into_inner().0).map_err(|_| EncodeError::OutOfRange)?;
        let free_count = u32::try_from(free.len()).map_err(|_| EncodeError::OutOfRange)?;
        self.term(&emit::NEW_FUN)?;
        self.raw(&size.to_be_bytes())?;
        self.raw(&[fun.arity])?;
        self.raw(fun.uniq)?;
        self.raw(&fun.index.to_be_bytes())?;
        self.raw(&free_count.to_be_bytes())?;
        self.contents(4 + u64::from(free_count), |e| fields(e, fun, free))
    }

    /// Copies bytes that already are one complete, valid term.
    pub(super) fn verbatim(&mut self, bytes: &[u8]) -> Result<(), W::Error> {
        self.term(bytes)
    }
}
