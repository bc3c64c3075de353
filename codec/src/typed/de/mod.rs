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

mod access;
mod captured;
mod values;

use access::*;
use captured::ByteDe;
pub(crate) use captured::{Captured, Found};
use values::*;

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
