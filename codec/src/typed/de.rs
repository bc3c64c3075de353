//! Reading Rust values out of the wire: a cursor over the bytes, one term after another, so
//! each byte is read once whatever the nesting (no view steps over a child twice).
//!
//! Two modes. Over validated bytes (`from_term`) nothing is checked twice. Over bytes nobody
//! validated (`from_bytes`) every term is checked as it is read, with the validator's rules
//! (headers and lengths against the bytes there, atom text, finite floats, map keys in order
//! or else the whole map through the validator, the rare kinds through the validator), and
//! the terms still owed are counted against the bytes left, so no header can make a visitor
//! reserve more than the input could hold. Anything unexpected in that mode, format or type,
//! ends the pass without a message; `from_bytes` then validates and reads the usual way,
//! which gives the error (or, were this pass ever wrong to refuse, the value). So the pass
//! only has to be right when it accepts.

use super::error::DeserializeError as Error;
use super::{CAPTURE, MAX_DEPTH};
use crate::term::{self, Term};
use crate::validate;
use crate::wire::{self, AtomText, Head, Int};
use core::cell::Cell;
use core::fmt;
use serde::de::value::{BorrowedBytesDeserializer, F64Deserializer, I64Deserializer, StrDeserializer};
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

type Result<T> = core::result::Result<T, Error>;

/// Where the term being read starts in the bytes, for error messages (empty for a leaf handed
/// to `from_term`, which has no bytes: the deserializer keeps that term).
type Spot<'de> = &'de [u8];

/// Reads terms from validated bytes, in order.
pub(crate) struct Deserializer<'de> {
    /// The bytes from the next term on.
    input: &'de [u8],
    /// A leaf given to `from_term` (it has no bytes to point at), read before `input`.
    root: Option<Term<'de>>,
    /// That leaf, once read: what an error about it describes.
    root_read: Option<Term<'de>>,
    depth: usize,
    /// Reading bytes nobody validated: each term is checked as it is read (see the module).
    checked: bool,
    /// With `checked`: the whole input (the version byte first), for the validator.
    whole: &'de [u8],
    /// With `checked`: terms still to read (each needs a byte at least), never more than the
    /// bytes left.
    owed: u64,
    /// With `checked`: the pass failed somewhere (the input is not valid, or a read did not
    /// fit), even if a visitor went on after the error; it is not trusted then.
    failed: Cell<bool>,
    /// The last two ASCII atoms read as text, newest first, which equal atoms reuse.
    atoms: [Option<&'de str>; 2],
}

/// Reads a `T` from `input` (the version byte, one term, nothing after it) in one checked
/// pass; `None` when anything is not as expected (a compressed term included), which the
/// caller answers by validating first.
pub(crate) fn read_checked<'de, T: de::Deserialize<'de>>(input: &'de [u8]) -> Option<T> {
    if wire::is_compressed(input) {
        return None;
    }
    let rest = wire::after_version(input)?;
    let mut de = Deserializer { checked: true, whole: input, owed: 1, ..Deserializer::from_bytes(rest) };
    let value = T::deserialize(&mut de).ok()?;
    (de.input.is_empty() && de.owed == 0 && !de.failed.get()).then_some(value)
}

impl<'de> Deserializer<'de> {
    /// Reads the validated term at the start of `input`.
    pub(crate) fn from_bytes(input: &'de [u8]) -> Self {
        Deserializer {
            input,
            root: None,
            root_read: None,
            depth: 0,
            checked: false,
            whole: &[],
            owed: 0,
            failed: Cell::new(false),
            atoms: [None; 2],
        }
    }

    pub(crate) fn from_term(term: Term<'de>) -> Self {
        match term.start() {
            [] => Deserializer { root: Some(term), ..Deserializer::from_bytes(&[]) },
            start => Deserializer::from_bytes(start),
        }
    }

    /// Ends a checked pass (see the module): the message is never shown.
    #[cold]
    fn invalid(&self) -> Error {
        self.fail(Error::new(format_args!("not a valid term")))
    }

    /// An error from this reader: a checked pass that had one is not trusted, whatever a
    /// visitor does with the error (one that recovers could go on out of step).
    fn fail(&self, error: Error) -> Error {
        self.failed.set(true);
        error
    }

    /// Moves past `len` bytes that held one term (or a container's header, whose `children`
    /// terms follow); when checking, counts them against the bytes left.
    #[cfg_attr(not(target_os = "none"), inline(always))]
    #[cfg_attr(target_os = "none", inline)]
    fn advance(&mut self, len: usize, children: u64) -> Result<()> {
        self.input = self.input.get(len..).unwrap_or(&[]);
        // Counted in both modes (it costs less than a test: a validated map is read without
        // checks inside a checked pass); compared only when checking, and only when the count
        // grows: a leaf lowers it. A term read that was not owed wraps the count to one no
        // input has, so the pass ends at the next container or at the end.
        self.owed = self.owed.wrapping_sub(1).wrapping_add(children);
        if children > 0 && self.checked && self.owed > self.input.len() as u64 {
            return Err(self.invalid());
        }
        Ok(())
    }

    /// The next term's header, consumed (a container's body follows in `input`), and where
    /// it starts.
    #[cfg_attr(not(target_os = "none"), inline(always))]
    fn take(&mut self) -> Result<(Head<'de>, Spot<'de>)> {
        if self.root.is_some() {
            return Ok(self.take_root());
        }
        let start = self.input;
        let (head, len) = if self.checked { self.checked_head(start)? } else { wire::head_of(start) };
        self.advance(len, head.children())?;
        match head {
            // `[] ++ Tail`: the tail is the term.
            Head::List(0) => self.take(),
            _ => Ok((head, start)),
        }
    }

    /// The header at `start`, checked as the validator checks it: the common kinds here, the
    /// rare ones (pids, ports, references, funs, float text) by validating the whole term.
    #[inline]
    fn checked_head(&self, start: &'de [u8]) -> Result<(Head<'de>, usize)> {
        let read = wire::read(start).map_err(|_| self.invalid())?;
        let ok = match read.0 {
            Head::Int(_) | Head::Bits { .. } | Head::Nil | Head::String(_) => true,
            Head::List(_) | Head::Tuple(_) => true,
            Head::Map(pairs) => pairs <= validate::MAX_MAP_PAIRS,
            Head::Float(value) => value.is_finite(),
            Head::Atom(text) => validate::atom_ok(text),
            _ => self.valid_len(start).is_some(),
        };
        if ok { Ok(read) } else { Err(self.invalid()) }
    }

    /// The length of the valid term at `at` (a suffix of the input), by the validator.
    #[inline(never)]
    fn valid_len(&self, at: &'de [u8]) -> Option<usize> {
        let offset = self.whole.len().checked_sub(at.len())?;
        let end = validate::validate(self.whole, offset, None).ok()?;
        end.checked_sub(offset)
    }

    #[cold]
    fn take_root(&mut self) -> (Head<'de>, Spot<'de>) {
        let term = self.root.take().unwrap_or(Term::Nil);
        self.root_read = Some(term);
        (leaf_head(term), &[])
    }

    /// The next term's header, not consumed.
    fn peek(&self) -> Head<'de> {
        if let Some(term) = self.root {
            return leaf_head(term);
        }
        let mut input = self.input;
        loop {
            let (head, len) = wire::head_of(input);
            if !matches!(head, Head::List(0)) {
                return head;
            }
            input = input.get(len..).unwrap_or(&[]);
        }
    }

    /// The term that starts at `spot`, for an error message.
    fn found(&self, spot: Spot<'de>) -> Term<'de> {
        match spot {
            [] => self.root_read.unwrap_or(Term::Nil),
            bytes => term::term_at(bytes).0,
        }
    }

    /// Steps over the next term without reading it (checking it, when checking).
    fn skip(&mut self) -> Result<()> {
        if self.root.is_some() {
            self.root = None;
            return Ok(());
        }
        let len = if self.checked {
            self.valid_len(self.input).ok_or_else(|| self.invalid())?
        } else {
            wire::skip(self.input)
        };
        self.advance(len, 0)
    }

    fn mismatch(&self, expected: &str, spot: Spot<'de>) -> Error {
        if self.checked {
            return self.invalid();
        }
        Error::new(format_args!("expected {expected}, found {}", Found(self.found(spot))))
    }

    /// Runs `body` one container deeper, refusing to go past [`MAX_DEPTH`].
    fn nested<T>(&mut self, body: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        if self.depth >= MAX_DEPTH {
            return Err(self.fail(Error::new(format_args!("nested more than {MAX_DEPTH} containers deep"))));
        }
        self.depth += 1;
        let result = body(self);
        self.depth -= 1;
        // An error inside a container (ours or a visitor's) leaves the reader inside it.
        result.map_err(|e| self.fail(e))
    }

    fn integer(&mut self, expected: &'static str) -> Result<(Num, Spot<'de>)> {
        let (head, spot) = self.take()?;
        match head {
            Head::Int(int) => match num(int) {
                Some(n) => Ok((n, spot)),
                None => Err(self.out_of_range(expected, spot)),
            },
            _ => Err(self.mismatch(expected, spot)),
        }
    }

    fn out_of_range(&self, expected: &str, spot: Spot<'de>) -> Error {
        if self.checked {
            return self.invalid();
        }
        Error::new(format_args!("expected {expected}, found {} (out of range)", Found(self.found(spot))))
    }

    fn float(&mut self) -> Result<f64> {
        let (head, spot) = self.take()?;
        match head {
            Head::Float(value) => Ok(value),
            Head::FloatText(text) => Ok(wire::float_text_value(text)),
            Head::Int(Int::Small(value)) => Ok(value as f64),
            Head::Int(Int::Big { negative, magnitude }) => {
                let value = magnitude.iter().rev().fold(0.0f64, |acc, &b| acc * 256.0 + f64::from(b));
                Ok(if negative { -value } else { value })
            }
            _ => Err(self.mismatch("a number", spot)),
        }
    }

    /// A captured term, handed to `Term`'s `Deserialize` (see `super::views`).
    fn capture(&mut self) -> Result<Captured<'de>> {
        if let Some(term) = self.root.take() {
            return Ok(Captured::leaf(term));
        }
        let len = if self.checked {
            self.valid_len(self.input).ok_or_else(|| self.invalid())?
        } else {
            wire::skip(self.input)
        };
        let raw = self.input.get(..len).unwrap_or(self.input);
        self.advance(len, 0)?;
        Ok(Captured::Raw(raw))
    }

    fn text<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        if self.root.is_none() {
            if let Some((bytes, len)) = wire::binary_at(self.input)
                && let Ok(text) = core::str::from_utf8(bytes)
            {
                self.advance(len, 0)?;
                return visitor.visit_borrowed_str(text);
            }
            if let Some((atom, len)) = wire::atom_at(self.input) {
                // The text of one of the last two ASCII atoms read as text again (tags
                // repeat): no UTF-8 check. ASCII reads alike in both encodings and passes
                // the atom rules. Lengths and last bytes first: atoms that differ mostly
                // differ there (`atom1`, `atom2`), which spares a call to compare the rest.
                let same = |t: &&str| {
                    let t = t.as_bytes();
                    t.len() == atom.bytes.len() && t.last() == atom.bytes.last() && t == atom.bytes
                };
                if let Some(text) = self.atoms.into_iter().flatten().find(same) {
                    self.advance(len, 0)?;
                    return visitor.visit_borrowed_str(text);
                }
                if (!self.checked || validate::atom_ok(atom))
                    && let Some(text) = term::Atom::from(atom).as_str()
                {
                    if text.is_ascii() {
                        self.atoms = [Some(text), self.atoms[0]];
                    }
                    self.advance(len, 0)?;
                    return visitor.visit_borrowed_str(text);
                }
            }
        }
        let (head, spot) = self.take()?;
        match head {
            Head::Bits { bytes, bits } if bits == 8 || bytes.is_empty() => match core::str::from_utf8(bytes) {
                Ok(text) => visitor.visit_borrowed_str(text),
                Err(_) => Err(self.mismatch("a UTF-8 binary", spot)),
            },
            Head::Atom(atom) => visit_atom(atom, visitor),
            Head::Nil | Head::String([]) => visitor.visit_borrowed_str(""),
            Head::String(bytes) => match core::str::from_utf8(bytes) {
                Ok(text) if bytes.is_ascii() => visitor.visit_borrowed_str(text),
                _ => self.charlist(Elems::Bytes(bytes), visitor, spot),
            },
            Head::List(n) => self.charlist(Elems::Terms(n), visitor, spot),
            _ => Err(self.mismatch("a binary, an atom or a charlist", spot)),
        }
    }

    /// A string from a list of character codes (only into owned strings: `alloc`).
    #[cfg(feature = "alloc")]
    #[cold]
    #[inline(never)]
    fn charlist<V: Visitor<'de>>(&mut self, first: Elems<'de>, visitor: V, _: Spot<'de>) -> Result<V::Value> {
        let mut text = alloc::string::String::new();
        let mut cursor = ListCursor::new(first);
        let mut index = 0;
        while let Some(element) = cursor.next(self)? {
            let code = match element {
                Elem::Byte(b) => Some(u32::from(b)),
                Elem::Term => {
                    let (head, spot) = self.take()?;
                    match head {
                        Head::Int(Int::Small(code)) => u32::try_from(code).ok(),
                        _ => return Err(self.mismatch("a character code", spot).at_index(index)),
                    }
                }
            };
            match code.and_then(char::from_u32) {
                Some(c) => text.push(c),
                None => return Err(self.fail(Error::new(format_args!("expected a character code")).at_index(index))),
            }
            index += 1;
        }
        visitor.visit_string(text)
    }

    #[cfg(not(feature = "alloc"))]
    fn charlist<V: Visitor<'de>>(&mut self, _: Elems<'de>, _: V, spot: Spot<'de>) -> Result<V::Value> {
        Err(self.mismatch("a binary or an atom (a charlist needs the alloc feature)", spot))
    }

    fn bytes<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        let (head, spot) = self.take()?;
        match head {
            Head::Bits { bytes, bits } if bits == 8 || bytes.is_empty() => visitor.visit_borrowed_bytes(bytes),
            Head::String(bytes) => visitor.visit_borrowed_bytes(bytes),
            Head::Nil => visitor.visit_borrowed_bytes(&[]),
            Head::List(n) => self.byte_list(n, visitor, spot),
            _ => Err(self.mismatch("a binary", spot)),
        }
    }

    #[cfg(feature = "alloc")]
    #[cold]
    #[inline(never)]
    fn byte_list<V: Visitor<'de>>(&mut self, n: u32, visitor: V, _: Spot<'de>) -> Result<V::Value> {
        let mut bytes = alloc::vec::Vec::new();
        let mut cursor = ListCursor::new(Elems::Terms(n));
        while let Some(element) = cursor.next(self)? {
            let byte = match element {
                Elem::Byte(b) => b,
                Elem::Term => {
                    let (head, spot) = self.take()?;
                    match head {
                        Head::Int(Int::Small(b @ 0..=255)) => b as u8,
                        _ => return Err(self.mismatch("an integer 0..=255", spot).at_index(bytes.len())),
                    }
                }
            };
            bytes.push(byte);
        }
        visitor.visit_byte_buf(bytes)
    }

    #[cfg(not(feature = "alloc"))]
    fn byte_list<V: Visitor<'de>>(&mut self, _: u32, _: V, spot: Spot<'de>) -> Result<V::Value> {
        Err(self.mismatch("a binary (a list of bytes needs the alloc feature)", spot))
    }

    /// A list's elements (also a binary's bytes, for `Vec<u8>`).
    fn seq<V: Visitor<'de>>(&mut self, head: Head<'de>, spot: Spot<'de>, visitor: V) -> Result<V::Value> {
        let first = match head {
            Head::Nil => Elems::Terms(0),
            Head::List(n) => Elems::Terms(n),
            Head::String(bytes) => Elems::Bytes(bytes),
            Head::Bits { bytes, bits } if bits == 8 || bytes.is_empty() => Elems::Bytes(bytes),
            _ => return Err(self.mismatch("a list", spot)),
        };
        self.nested(|de| {
            let mut access = ListAccess { de, cursor: ListCursor::new(first), index: 0 };
            let value = visitor.visit_seq(&mut access)?;
            access.end()?;
            Ok(value)
        })
    }

    fn tuple<V: Visitor<'de>>(&mut self, arity: u32, visitor: V, index_from: usize) -> Result<V::Value> {
        self.nested(|de| {
            let mut access = TupleAccess { de, left: arity as usize, index: index_from };
            let value = visitor.visit_seq(&mut access)?;
            if access.left > 0 {
                return Err(Error::new(format_args!("{} elements of the tuple were not read", access.left)));
            }
            Ok(value)
        })
    }

    fn map<V: Visitor<'de>>(&mut self, visitor: V, expected: &str, is_struct: bool) -> Result<V::Value> {
        let (head, spot) = match wire::map_count_at(self.input) {
            Some(pairs) if self.root.is_none() && (!self.checked || pairs <= validate::MAX_MAP_PAIRS) => {
                let start = self.input;
                self.advance(wire::COUNT_HEADER_LEN, 2 * u64::from(pairs))?;
                (Head::Map(pairs), start)
            }
            _ => self.take()?,
        };
        match head {
            Head::Map(pairs) => self.nested(|de| {
                // Checking, keys are compared as they are read while they come in key order
                // (as Erlang writes maps of up to 32 pairs); otherwise the validator checks them.
                let keys =
                    if de.checked && pairs > 1 { Keys::InOrder { map: spot, previous: None } } else { Keys::Checked };
                let checked = de.checked;
                let mut access = MapAccess { de, left: pairs as usize, is_struct, key: None, keys };
                let value = visitor.visit_map(&mut access)?;
                // What a visitor left unread: a value after its key, then whole pairs.
                if access.key.take().is_some() {
                    access.de.skip()?;
                }
                while access.left > 0 {
                    access.left -= 1;
                    access.skip_key()?;
                    access.de.skip()?;
                }
                // A map the validator checked whole was read without checks.
                access.de.checked = checked;
                Ok(value)
            }),
            Head::Nil | Head::List(_) => {
                let Head::List(n) = head else { return self.nested(|de| visitor.visit_map(Keywords::empty(de))) };
                self.nested(|de| {
                    let mut access = Keywords { de, cursor: ListCursor::new(Elems::Terms(n)), index: 0, key: None };
                    let value = visitor.visit_map(&mut access)?;
                    if access.key.take().is_some() {
                        access.de.skip()?;
                    }
                    while access.next_pair()? {
                        access.de.skip()?;
                        access.de.skip()?;
                    }
                    Ok(value)
                })
            }
            _ => Err(self.mismatch(expected, spot)),
        }
    }
}

/// The view of a leaf as a header, for a leaf handed to `from_term`.
fn leaf_head(term: Term<'_>) -> Head<'_> {
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
enum Num {
    Signed(i128),
    Unsigned(u128),
}

fn num(int: Int<'_>) -> Option<Num> {
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
                let expected: super::error::Text<40> = super::error::Text::from_fmt(format_args!("a tuple of {len}"));
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
fn visit_atom<'de, V: Visitor<'de>>(atom: AtomText<'de>, visitor: V) -> Result<V::Value> {
    match term::Atom::from(atom).as_str() {
        Some(text) => visitor.visit_borrowed_str(text),
        None => visit_latin1(atom.bytes, visitor),
    }
}

/// Latin-1 text beyond ASCII (at most 255 characters), converted on the stack.
#[cold]
#[inline(never)]
fn visit_latin1<'de, V: Visitor<'de>>(latin1: &[u8], visitor: V) -> Result<V::Value> {
    let mut buf = [0u8; 2 * 255];
    let mut len = 0;
    for &b in latin1.iter().take(255) {
        len += char::from(b).encode_utf8(&mut buf[len..]).len();
    }
    visitor.visit_str(core::str::from_utf8(&buf[..len]).unwrap_or_default())
}

/// The first elements of a list: terms that follow, or the bytes of a `STRING_EXT` (or of a
/// binary read as a sequence).
#[derive(Clone, Copy)]
enum Elems<'de> {
    Terms(u32),
    Bytes(&'de [u8]),
}

enum Elem {
    /// The next term in the input is the element.
    Term,
    /// A byte of a `STRING_EXT`.
    Byte(u8),
}

/// Steps through a list's elements across its segments (`LIST_EXT` tails that are lists
/// themselves, a `STRING_EXT` tail), refusing an improper tail.
struct ListCursor<'de> {
    terms: u32,
    bytes: &'de [u8],
    /// No tail to read: a `STRING_EXT` (or binary) ends the list, or the tail was read.
    ended: bool,
}

impl<'de> ListCursor<'de> {
    fn new(first: Elems<'de>) -> Self {
        match first {
            Elems::Terms(0) => ListCursor { terms: 0, bytes: &[], ended: true },
            Elems::Terms(n) => ListCursor { terms: n, bytes: &[], ended: false },
            Elems::Bytes(bytes) => ListCursor { terms: 0, bytes, ended: true },
        }
    }

    #[inline]
    fn next(&mut self, de: &mut Deserializer<'de>) -> Result<Option<Elem>> {
        loop {
            if let Some((&b, rest)) = self.bytes.split_first() {
                self.bytes = rest;
                return Ok(Some(Elem::Byte(b)));
            }
            if self.terms > 0 {
                self.terms -= 1;
                return Ok(Some(Elem::Term));
            }
            if self.ended {
                return Ok(None);
            }
            // The usual tail, `[]`, without reading a header.
            if de.root.is_none() && wire::nil_at(de.input).is_some() {
                de.advance(1, 0)?;
                self.ended = true;
                return Ok(None);
            }
            self.tail(de)?;
        }
    }

    /// Reads the tail after a segment's elements: the end, or more elements.
    #[inline(never)]
    fn tail(&mut self, de: &mut Deserializer<'de>) -> Result<()> {
        let (tail, spot) = de.take()?;
        match tail {
            Head::Nil => self.ended = true,
            Head::List(n) => self.terms = n,
            Head::String(bytes) => {
                self.bytes = bytes;
                self.ended = true;
            }
            _ => {
                self.ended = true;
                return Err(de.mismatch("a proper list: the tail [] (this list's tail is not)", spot));
            }
        }
        Ok(())
    }

    fn len_hint(&self) -> usize {
        self.terms as usize + self.bytes.len()
    }
}

struct ListAccess<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    cursor: ListCursor<'de>,
    index: usize,
}

impl<'de> ListAccess<'_, 'de> {
    /// After the visitor: the list must have no elements left.
    fn end(&mut self) -> Result<()> {
        match self.cursor.next(self.de)? {
            None => Ok(()),
            Some(_) => Err(Error::new(format_args!("expected a list of {} elements, found a longer one", self.index))),
        }
    }
}

impl<'de> de::SeqAccess<'de> for ListAccess<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        let index = self.index;
        let value = match self.cursor.next(self.de)? {
            None => return Ok(None),
            Some(Elem::Byte(b)) => seed.deserialize(ByteDe(b)),
            Some(Elem::Term) => seed.deserialize(&mut *self.de),
        };
        self.index += 1;
        value.map(Some).map_err(|e| e.at_index(index))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.cursor.len_hint())
    }
}

struct TupleAccess<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    left: usize,
    index: usize,
}

impl<'de> de::SeqAccess<'de> for TupleAccess<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        let index = self.index;
        self.index += 1;
        seed.deserialize(&mut *self.de).map(Some).map_err(|e| e.at_index(index))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

/// The path segment for a map key (`key`: where it starts).
fn key_error(error: Error, key: Option<Spot<'_>>, checked: bool) -> Error {
    if checked {
        // The pass ends; the bytes may not be valid, so no view of them is made.
        return error;
    }
    match key.map(|bytes| term::term_at(bytes).0) {
        Some(Term::Atom(atom)) => error.at_key(format_args!("{}", Unquoted(atom)), true),
        Some(Term::Binary(bytes)) if core::str::from_utf8(bytes).is_ok() => {
            error.at_key(format_args!("{}", core::str::from_utf8(bytes).unwrap_or_default()), true)
        }
        Some(key) => error.at_key(format_args!("{}", Found(key)), false),
        None => error,
    }
}

/// An atom's characters, unquoted.
struct Unquoted<'a>(term::Atom<'a>);

impl fmt::Display for Unquoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.chars().try_for_each(|c| fmt::Write::write_char(f, c))
    }
}

struct MapAccess<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    left: usize,
    /// Reading a struct: Elixir's `__struct__` key is not a field.
    is_struct: bool,
    key: Option<Spot<'de>>,
    keys: Keys<'de>,
}

/// The duplicate-key check of a map read in a checked pass.
enum Keys<'de> {
    /// Nothing (more) to check: the bytes were validated, or the map has been.
    Checked,
    /// Every key so far came after the one before it; `map` is where the map starts.
    InOrder { map: Spot<'de>, previous: Option<Key<'de>> },
}

/// The last key read: where it starts, and its text when it is an atom (the usual key).
#[derive(Clone, Copy)]
struct Key<'de> {
    spot: Spot<'de>,
    atom: Option<AtomText<'de>>,
}

impl<'de> MapAccess<'_, 'de> {
    /// The key at `spot` was read (and so checked): it must come after the one before it, or
    /// the whole map goes through the validator, which finds duplicates in any order.
    #[inline]
    fn key_read(&mut self, spot: Spot<'de>) -> Result<()> {
        let Keys::InOrder { map, previous } = &mut self.keys else { return Ok(()) };
        let key = Key { spot, atom: wire::atom_at(spot).map(|(atom, _)| atom) };
        if let Some(before) = *previous {
            let less = match (before.atom, key.atom) {
                (Some(x), Some(y)) if x.utf8 == y.utf8 => validate::atom_bytes_less(x.bytes, y.bytes),
                _ => validate::key_less(before.spot, spot),
            };
            if !less {
                // Validated whole, the rest of the map is read without checks (so maps nested
                // in such maps are not validated once for each map around them).
                let map = *map;
                self.de.valid_len(map).ok_or_else(|| self.de.invalid())?;
                self.keys = Keys::Checked;
                self.de.checked = false;
                return Ok(());
            }
        }
        *previous = Some(key);
        Ok(())
    }

    /// Steps over a key nobody reads.
    fn skip_key(&mut self) -> Result<()> {
        let spot = self.de.input;
        self.de.skip()?;
        self.key_read(spot)
    }
}

impl<'de> de::MapAccess<'de> for MapAccess<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        loop {
            if self.left == 0 {
                return Ok(None);
            }
            self.left -= 1;
            if self.is_struct && wire::is_atom(self.de.input, b"__struct__") {
                self.skip_key()?;
                self.de.skip()?;
                continue;
            }
            let spot = self.de.input;
            self.key = Some(spot);
            let checked = self.de.checked;
            let key = seed.deserialize(&mut *self.de).map_err(|e| key_error(e, Some(spot), checked))?;
            self.key_read(spot)?;
            return Ok(Some(key));
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        let key = self.key.take();
        let checked = self.de.checked;
        seed.deserialize(&mut *self.de).map_err(|e| key_error(e, key, checked))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

/// A keyword list (`[{Key, Value}]`) read as a map.
struct Keywords<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    cursor: ListCursor<'de>,
    index: usize,
    key: Option<Spot<'de>>,
}

impl<'a, 'de> Keywords<'a, 'de> {
    fn empty(de: &'a mut Deserializer<'de>) -> Self {
        Keywords { de, cursor: ListCursor::new(Elems::Terms(0)), index: 0, key: None }
    }

    /// Moves to the next pair's key; false at the end.
    fn next_pair(&mut self) -> Result<bool> {
        let index = self.index;
        match self.cursor.next(self.de)? {
            None => Ok(false),
            Some(Elem::Byte(_)) => {
                Err(Error::new(format_args!("expected a {{Key, Value}} pair, found an integer")).at_index(index))
            }
            Some(Elem::Term) => {
                let (head, spot) = self.de.take()?;
                if !matches!(head, Head::Tuple(2)) {
                    return Err(self.de.mismatch("a {Key, Value} pair", spot).at_index(index));
                }
                self.index += 1;
                Ok(true)
            }
        }
    }
}

impl<'de> de::MapAccess<'de> for Keywords<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        if !self.next_pair()? {
            return Ok(None);
        }
        let spot = self.de.input;
        self.key = Some(spot);
        let checked = self.de.checked;
        seed.deserialize(&mut *self.de).map(Some).map_err(|e| key_error(e, Some(spot), checked))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        let key = self.key.take();
        let checked = self.de.checked;
        seed.deserialize(&mut *self.de).map_err(|e| key_error(e, key, checked))
    }
}

/// An enum value: a bare atom, or a tuple led by one with `values` more elements.
struct Tagged<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    tag: AtomText<'de>,
    values: Option<u32>,
    /// `Result`: `ok` is `Ok`, `error` is `Err`.
    result: bool,
}

impl<'a, 'de> de::EnumAccess<'de> for Tagged<'a, 'de> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self)> {
        let value = if self.result {
            let name = match self.tag.bytes {
                b"ok" => "Ok",
                b"error" => "Err",
                _ => {
                    return Err(Error::new(format_args!(
                        "expected ok or error, found the atom {}",
                        Unquoted(self.tag.into())
                    )));
                }
            };
            seed.deserialize(StrDeserializer::<Error>::new(name))?
        } else {
            match self.tag {
                AtomText { bytes, utf8 } if utf8 || bytes.is_ascii() => {
                    seed.deserialize(BorrowedBytesDeserializer::<Error>::new(bytes))?
                }
                _ => latin1_seed(self.tag.bytes, seed)?,
            }
        };
        Ok((value, self))
    }
}

/// A latin-1 variant name beyond ASCII, converted on the stack.
#[cold]
#[inline(never)]
fn latin1_seed<'de, V: DeserializeSeed<'de>>(latin1: &[u8], seed: V) -> Result<V::Value> {
    let mut buf = [0u8; 2 * 255];
    let mut len = 0;
    for &b in latin1.iter().take(255) {
        len += char::from(b).encode_utf8(&mut buf[len..]).len();
    }
    seed.deserialize(StrDeserializer::<Error>::new(core::str::from_utf8(&buf[..len]).unwrap_or_default()))
}

impl<'de> Tagged<'_, 'de> {
    fn shape(&self, expected: fmt::Arguments<'_>) -> Error {
        let tag = Unquoted(self.tag.into());
        match self.values {
            None => Error::new(format_args!("expected {expected}, found the atom {tag}")),
            Some(n) => Error::new(format_args!("expected {expected}, found a tuple of {tag} and {n} values")),
        }
    }
}

impl<'de> de::VariantAccess<'de> for Tagged<'_, 'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<()> {
        match self.values {
            None | Some(0) => Ok(()),
            Some(_) => Err(self.shape(format_args!("the atom {}", Unquoted(self.tag.into())))),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        match self.values {
            Some(1) => seed.deserialize(&mut *self.de).map_err(|e| e.at_index(1)),
            // Erlang's bare `ok` is `Ok(())`.
            None if self.result && self.tag.bytes == b"ok" => seed.deserialize(().into_deserializer()),
            _ => Err(self.shape(format_args!("{{{}, Value}}", Unquoted(self.tag.into())))),
        }
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value> {
        match self.values {
            Some(n) if n as usize == len => self.de.tuple(n, visitor, 1),
            _ => Err(self.shape(format_args!("a tuple of {} and {len} values", Unquoted(self.tag.into())))),
        }
    }

    fn struct_variant<V: Visitor<'de>>(self, _: &'static [&'static str], visitor: V) -> Result<V::Value> {
        match self.values {
            Some(1) => self.de.map(visitor, "a map (the fields)", true).map_err(|e| e.at_index(1)),
            _ => Err(self.shape(format_args!("{{{}, #{{...}}}}", Unquoted(self.tag.into())))),
        }
    }
}

/// An element of a `STRING_EXT`: an integer 0..=255, which a view captures as
/// [`Term::Integer`].
struct ByteDe(u8);

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
    fn leaf(term: Term<'de>) -> Self {
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
