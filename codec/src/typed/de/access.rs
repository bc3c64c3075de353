//! Sequences, maps, keyword lists and enums as serde's access traits read them.

use super::*;

/// The first elements of a list: terms that follow, or the bytes of a `STRING_EXT` (or of a
/// binary read as a sequence).
#[derive(Clone, Copy)]
pub(super) enum Elems<'de> {
    Terms(u32),
    Bytes(&'de [u8]),
}

pub(super) enum Elem {
    /// The next term in the input is the element.
    Term,
    /// A byte of a `STRING_EXT`.
    Byte(u8),
}

/// Steps through a list's elements across its segments (`LIST_EXT` tails that are lists
/// themselves, a `STRING_EXT` tail), refusing an improper tail.
pub(super) struct ListCursor<'de> {
    pub(super) terms: u32,
    pub(super) bytes: &'de [u8],
    /// No tail to read: a `STRING_EXT` (or binary) ends the list, or the tail was read.
    pub(super) ended: bool,
}

impl<'de> ListCursor<'de> {
    pub(super) fn new(first: Elems<'de>) -> Self {
        match first {
            Elems::Terms(0) => ListCursor { terms: 0, bytes: &[], ended: true },
            Elems::Terms(n) => ListCursor { terms: n, bytes: &[], ended: false },
            Elems::Bytes(bytes) => ListCursor { terms: 0, bytes, ended: true },
        }
    }

    #[inline]
    pub(super) fn next(&mut self, de: &mut Deserializer<'de>) -> Result<Option<Elem>> {
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
    pub(super) fn tail(&mut self, de: &mut Deserializer<'de>) -> Result<()> {
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

    pub(super) fn len_hint(&self) -> usize {
        self.terms as usize + self.bytes.len()
    }
}

pub(super) struct ListAccess<'a, 'de> {
    pub(super) de: &'a mut Deserializer<'de>,
    pub(super) cursor: ListCursor<'de>,
    pub(super) index: usize,
}

impl<'de> ListAccess<'_, 'de> {
    /// After the visitor: the list must have no elements left.
    pub(super) fn end(&mut self) -> Result<()> {
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

pub(super) struct TupleAccess<'a, 'de> {
    pub(super) de: &'a mut Deserializer<'de>,
    pub(super) left: usize,
    pub(super) index: usize,
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
pub(super) fn key_error(error: Error, key: Option<Spot<'_>>, checked: bool) -> Error {
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
pub(super) struct Unquoted<'a>(pub(super) term::Atom<'a>);

impl fmt::Display for Unquoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.chars().try_for_each(|c| fmt::Write::write_char(f, c))
    }
}

pub(super) struct MapAccess<'a, 'de> {
    pub(super) de: &'a mut Deserializer<'de>,
    pub(super) left: usize,
    /// Reading a struct: Elixir's `__struct__` key is not a field.
    pub(super) is_struct: bool,
    pub(super) key: Option<Spot<'de>>,
    pub(super) keys: Keys<'de>,
}

/// The duplicate-key check of a map read in a checked pass.
pub(super) enum Keys<'de> {
    /// Nothing (more) to check: the bytes were validated, or the map has been.
    Checked,
    /// Every key so far came after the one before it; `map` is where the map starts.
    InOrder { map: Spot<'de>, previous: Option<Key<'de>> },
}

/// The last key read: where it starts, and its text when it is an atom (the usual key).
#[derive(Clone, Copy)]
pub(super) struct Key<'de> {
    pub(super) spot: Spot<'de>,
    pub(super) atom: Option<AtomText<'de>>,
}

impl<'de> MapAccess<'_, 'de> {
    /// The key at `spot` was read (and so checked): it must come after the one before it, or
    /// the whole map goes through the validator, which finds duplicates in any order.
    #[inline]
    pub(super) fn key_read(&mut self, spot: Spot<'de>) -> Result<()> {
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
    pub(super) fn skip_key(&mut self) -> Result<()> {
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
pub(super) struct Keywords<'a, 'de> {
    pub(super) de: &'a mut Deserializer<'de>,
    pub(super) cursor: ListCursor<'de>,
    pub(super) index: usize,
    pub(super) key: Option<Spot<'de>>,
}

impl<'a, 'de> Keywords<'a, 'de> {
    pub(super) fn empty(de: &'a mut Deserializer<'de>) -> Self {
        Keywords { de, cursor: ListCursor::new(Elems::Terms(0)), index: 0, key: None }
    }

    /// Moves to the next pair's key; false at the end.
    pub(super) fn next_pair(&mut self) -> Result<bool> {
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
pub(super) struct Tagged<'a, 'de> {
    pub(super) de: &'a mut Deserializer<'de>,
    pub(super) tag: AtomText<'de>,
    pub(super) values: Option<u32>,
    /// `Result`: `ok` is `Ok`, `error` is `Err`.
    pub(super) result: bool,
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
pub(super) fn latin1_seed<'de, V: DeserializeSeed<'de>>(latin1: &[u8], seed: V) -> Result<V::Value> {
    let mut buf = [0u8; 2 * 255];
    let mut len = 0;
    for &b in latin1.iter().take(255) {
        len += char::from(b).encode_utf8(&mut buf[len..]).len();
    }
    seed.deserialize(StrDeserializer::<Error>::new(core::str::from_utf8(&buf[..len]).unwrap_or_default()))
}

impl<'de> Tagged<'_, 'de> {
    pub(super) fn shape(&self, expected: fmt::Arguments<'_>) -> Error {
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
