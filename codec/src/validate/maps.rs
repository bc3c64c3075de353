//! Duplicate map keys, found while reading: a frame per open map of two or more pairs, the
//! key before (`Prev`), and the working memory for keys (`KeyMemory`); see the module above.

use super::*;

/// The key before, in a map's leaf loop: what tells keys in increasing order apart without
/// comparing them as terms.
#[derive(Clone, Copy)]
pub(super) enum Prev<'a> {
    None,
    Int(i64),
    Latin1(&'a [u8]),
    Utf8(&'a [u8]),
    Other,
}

impl<'a> Prev<'a> {
    fn atom(text: AtomText<'a>) -> Self {
        if text.utf8 { Prev::Utf8(text.bytes) } else { Prev::Latin1(text.bytes) }
    }
}

/// `MapFrame::previous_key` before a map's first key (no input is that long).
pub(super) const NO_KEY: usize = usize::MAX;

#[derive(Clone, Copy)]
pub(super) struct MapFrame {
    /// The pending count once every item of this map has been read. Counts are `u64` in the
    /// validator but never exceed the input's length once reserved, so a `usize` holds them
    /// (4 bytes a count on a 32-bit microcontroller: this frame is kept inline 16 times).
    outer: usize,
    /// Items (keys and values) not yet begun.
    left: usize,
    /// Where the item being read began, and whether it is a key.
    current: usize,
    current_is_key: bool,
    /// Where the key before the current one began ([`NO_KEY`] before the first).
    previous_key: usize,
    /// Keys so far were strictly increasing.
    ordered: bool,
    /// Where this map's key words begin in the key memory, and whether all are there.
    key_base: usize,
    keys_kept: bool,
}

/// Working memory for map keys: a word a key (its offset) while maps are open; for a map not
/// in key order, when it ends, a hash a key and a hash table after them.
#[allow(clippy::large_enum_variant)] // lives on the stack once per decode, by design
pub(super) enum KeyMemory<'k> {
    Own(Stack<u32, INLINE_KEY_WORDS>),
    Given { words: &'k mut [u32], len: usize },
}

impl KeyMemory<'_> {
    fn len(&self) -> usize {
        match self {
            KeyMemory::Own(stack) => stack.len(),
            KeyMemory::Given { len, .. } => *len,
        }
    }

    fn push(&mut self, word: u32) -> bool {
        match self {
            KeyMemory::Own(stack) => stack.push(word).is_ok(),
            KeyMemory::Given { words, len } => match words.get_mut(*len) {
                Some(slot) => {
                    *slot = word;
                    *len += 1;
                    true
                }
                None => false,
            },
        }
    }

    fn truncate(&mut self, to: usize) {
        match self {
            KeyMemory::Own(stack) => stack.truncate(to),
            KeyMemory::Given { len, .. } => *len = (*len).min(to),
        }
    }

    fn as_mut_slice(&mut self) -> &mut [u32] {
        match self {
            KeyMemory::Own(stack) => stack.as_mut_slice(),
            KeyMemory::Given { words, len } => words.get_mut(..*len).unwrap_or(&mut []),
        }
    }
}

/// What [`plain_pairs`] read.
struct PlainPairs<'a> {
    /// Where it stopped.
    end: usize,
    /// Items (keys and values) read.
    items: usize,
    /// Where the last key read began, if one was, and that key.
    last_key: Option<usize>,
    previous: Prev<'a>,
}

/// The pairs Erlang writes most, from `pos` in a map with `left` items to read, in one tight
/// loop of its own (so that its state stays in registers): atom keys whose bytes are their
/// characters ([`wire::byte_atom`]), each after the one before in Erlang's order, and values
/// that need no check beyond their bounds ([`wire::plain_leaf`]). It stops at the first item
/// that is anything else, or out of order, or faulty, which the general loop then reads; with
/// an index, before the last value, where the index is told the map's order. Each item read is
/// told to `ix`; `Err` is where the index ran out of room.
#[inline(never)]
fn plain_pairs<'a, I: Indexer>(ix: &mut I, buf: &'a [u8], pos: usize, left: usize) -> Result<PlainPairs<'a>, usize> {
    let mut at = pos;
    let mut to_read = left;
    let mut last_key = None;
    let mut key = AtomText { bytes: &[], utf8: false };
    while to_read >= 2 {
        let Some((text, len)) = wire::byte_atom(buf.get(at..).unwrap_or(&[])) else { break };
        if last_key.is_some() && !atom_bytes_less(key.bytes, text.bytes) {
            break;
        }
        ix.leaf(at).map_err(|()| at)?;
        last_key = Some(at);
        key = text;
        at += len;
        to_read -= 1;
        if I::ACTIVE && to_read == 1 {
            break;
        }
        let Some(len) = wire::plain_leaf(buf.get(at..).unwrap_or(&[])) else { break };
        ix.leaf(at).map_err(|()| at)?;
        at += len;
        to_read -= 1;
    }
    Ok(PlainPairs { end: at, items: left - to_read, last_key, previous: Prev::atom(key) })
}

impl<'a, I: Indexer> Validator<'a, '_, I> {
    /// A map header: its pairs are pending; two or more need their keys checked.
    ///
    /// The pairs are read here, without a frame, for as long as they are leaves (the maps
    /// Erlang writes most: atom keys, scalar values); a frame takes over at the first key or
    /// value that is a container, unless it is the last value, when every key is known.
    pub(super) fn map(&mut self, pairs: u32, at: usize) -> Result<(), DecodeError> {
        if pairs > MAX_MAP_PAIRS {
            return Err(self.err(DecodeErrorKind::MapTooLarge, at));
        }
        let outer = self.pending;
        self.reserve(2 * u64::from(pairs))?;
        if pairs < 2 {
            return Ok(());
        }
        // Reserved: both fit the input's length, so a usize.
        let mut frame = MapFrame {
            outer: outer as usize,
            left: 2 * pairs as usize,
            current: self.pos,
            current_is_key: false,
            previous_key: NO_KEY,
            ordered: true,
            key_base: self.keys.len(),
            keys_kept: true,
        };
        let buf = self.buf;
        let body = self.pos;
        // Keys read here in increasing order are not put in the key memory until it is needed
        // (a key out of order, or the general way taking over): then they are found again by
        // stepping over the leaves read so far, once.
        let mut keys_owed = true;
        let mut previous = Prev::None;
        if wire::FAST_PATHS {
            let read = plain_pairs(&mut self.ix, buf, body, frame.left).map_err(|at| self.index_full(at))?;
            if let Some(key) = read.last_key {
                frame.current = key;
                frame.previous_key = key;
                previous = read.previous;
            }
            self.pos = read.end;
            self.pending -= read.items as u64;
            frame.left -= read.items;
            if frame.left <= 1 {
                // Every key was read, in order: a last value still to read is read the
                // general way, as any term.
                if frame.left == 1 {
                    self.ix.map_order(buf, self.pos, true);
                }
                return Ok(());
            }
        }
        while frame.left > 0 {
            if frame.left == 1 {
                // The last value begins and every key is known: the keys are checked now, as
                // the general way does (keys in order need nothing more).
                if !(keys_owed && frame.ordered) {
                    self.map_done(&frame)?;
                }
                self.ix.map_order(buf, self.pos, frame.ordered);
                keys_owed = false;
            }
            let item = self.pos;
            let rest = buf.get(item..).unwrap_or(&[]);
            let is_key = frame.left.is_multiple_of(2);
            // The commonest items with no header built: a latin-1 atom key after a smaller
            // one (records as maps), or a value that needs no check beyond its bounds.
            if wire::FAST_PATHS
                && let Some((leaf, len)) = wire::common_leaf(rest)
            {
                let fast = match (is_key, &leaf) {
                    (true, Leaf::Atom(y)) => {
                        !y.utf8
                            && keys_owed
                            && frame.ordered
                            && match previous {
                                Prev::None => true,
                                Prev::Latin1(x) => atom_bytes_less(x, y.bytes),
                                _ => false,
                            }
                    }
                    (true, Leaf::Int(y)) => {
                        keys_owed
                            && frame.ordered
                            && match previous {
                                Prev::None => true,
                                Prev::Int(x) => x < *y,
                                _ => false,
                            }
                    }
                    (true, _) => false,
                    (false, Leaf::Int(_)) => true,
                    (false, Leaf::Atom(y)) => short_atom_ok(*y),
                    (false, Leaf::Binary(_)) => true,
                    (false, Leaf::Float(v)) => v.is_finite(),
                };
                if fast {
                    self.leaf(item)?;
                    if is_key {
                        frame.current = item;
                        frame.previous_key = item;
                        previous = match leaf {
                            Leaf::Int(y) => Prev::Int(y),
                            Leaf::Atom(y) => Prev::atom(y),
                            _ => Prev::Other,
                        };
                    }
                    self.pos = item + len;
                    self.pending -= 1;
                    frame.left -= 1;
                    continue;
                }
            }
            // Errors and containers go the general way.
            let Some((head, len)) = wire::read_leaf_first(rest) else { break };
            if head.is_container() {
                break;
            }
            self.tag = rest.first().copied().unwrap_or(0);
            self.check(&head, item)?;
            self.leaf(item)?;
            if is_key {
                // Keys of one kind in increasing order (as Erlang writes them) are told apart
                // from their heads; anything else is compared as terms.
                let increasing = match (previous, &head) {
                    (Prev::None, _) => true,
                    (Prev::Latin1(x), Head::Atom(y)) if !y.utf8 => atom_bytes_less(x, y.bytes),
                    (Prev::Utf8(x), Head::Atom(y)) if y.utf8 => atom_bytes_less(x, y.bytes),
                    (Prev::Int(x), Head::Int(Int::Small(y))) => x < *y,
                    _ => false,
                };
                frame.current = item;
                if !(increasing && frame.ordered && keys_owed) {
                    if keys_owed {
                        self.owe_no_keys(&mut frame, body, item);
                        keys_owed = false;
                    }
                    frame.current_is_key = true;
                    self.key_ended(&mut frame)?;
                    frame.current_is_key = false;
                }
                frame.previous_key = item;
                previous = match head {
                    Head::Int(Int::Small(y)) => Prev::Int(y),
                    Head::Atom(y) => Prev::atom(y),
                    _ => Prev::Other,
                };
            }
            self.pos = item + len;
            self.pending -= 1;
            frame.left -= 1;
        }
        if frame.left <= 1 {
            // Checked when the last value began; a container there is read the general way.
            return Ok(());
        }
        if keys_owed {
            self.owe_no_keys(&mut frame, body, self.pos);
        }
        self.maps.push(frame).map_err(|_| self.err(DecodeErrorKind::NeedsAlloc, at))?;
        self.set_boundary();
        Ok(())
    }

    /// Puts in the key memory the keys of the leaf pairs read from `body` up to `end`.
    fn owe_no_keys(&mut self, frame: &mut MapFrame, body: usize, end: usize) {
        let mut pos = body;
        let mut is_key = true;
        while pos < end {
            let len = wire::read(self.buf.get(pos..).unwrap_or(&[])).map_or(end - pos, |(_, len)| len);
            if is_key && frame.keys_kept && !u32::try_from(pos).is_ok_and(|k| self.keys.push(k)) {
                frame.keys_kept = false;
            }
            pos += len;
            is_key = !is_key;
        }
    }

    /// The key at `frame.current` ended: against the one before it while they are in order,
    /// and into the key memory.
    #[inline]
    pub(super) fn key_ended(&mut self, frame: &mut MapFrame) -> Result<(), DecodeError> {
        let buf = self.buf;
        let key = frame.current;
        let previous = frame.previous_key;
        if frame.ordered && previous != NO_KEY {
            let (a, b) = (buf.get(previous..).unwrap_or(&[]), buf.get(key..).unwrap_or(&[]));
            let order = match quick_compare(a, b) {
                Some(order) => order,
                None => compare(a, b).map_err(|e| DecodeError::new(e.kind(), key, Some(Tag::Map)))?,
            };
            match order {
                Ordering::Less => {}
                Ordering::Equal => {
                    let kind = DecodeErrorKind::DuplicateMapKey { other: previous };
                    return Err(DecodeError::new(kind, key, Some(Tag::Map)));
                }
                Ordering::Greater => frame.ordered = false,
            }
        }
        frame.previous_key = key;
        if frame.keys_kept && !u32::try_from(key).is_ok_and(|k| self.keys.push(k)) {
            frame.keys_kept = false;
        }
        Ok(())
    }

    /// Where the innermost open map reaches its next item.
    fn set_boundary(&mut self) {
        self.boundary = self.maps.as_slice().last().map_or(u64::MAX, |f| (f.outer + f.left) as u64);
    }

    /// The innermost open map reached the start of its next item (or its end).
    pub(super) fn map_boundary(&mut self) -> Result<(), DecodeError> {
        while let Some(frame) = self.maps.last_mut() {
            if self.pending != (frame.outer + frame.left) as u64 {
                break;
            }
            if frame.current_is_key {
                let mut current = *frame;
                self.key_ended(&mut current)?;
                let Some(frame) = self.maps.last_mut() else { break };
                *frame = current;
            }
            let Some(frame) = self.maps.last_mut() else { break };
            if frame.left == 0 {
                let done = *frame;
                self.maps.pop();
                self.map_done(&done)?;
                continue;
            }
            frame.current = self.pos;
            frame.current_is_key = frame.left % 2 == 0;
            frame.left -= 1;
            if frame.left == 0 {
                // The last value begins and every key is known: finish the key checks now, so
                // maps nested in last values (the way trees are written) need one frame in all.
                let done = *frame;
                self.maps.pop();
                self.map_done(&done)?;
                self.ix.map_order(self.buf, self.pos, done.ordered);
                continue;
            }
            break;
        }
        self.set_boundary();
        Ok(())
    }

    /// A map ended: keys that were not in order are checked for duplicates.
    pub(super) fn map_done(&mut self, frame: &MapFrame) -> Result<(), DecodeError> {
        if !frame.ordered {
            if !frame.keys_kept {
                let kind = match self.keys {
                    KeyMemory::Given { .. } => DecodeErrorKind::KeyBufferTooSmall,
                    KeyMemory::Own(_) => DecodeErrorKind::NeedsAlloc,
                };
                return Err(DecodeError::new(kind, frame.current, Some(Tag::Map)));
            }
            self.check_keys(frame.key_base, frame.current)?;
        }
        self.keys.truncate(frame.key_base);
        Ok(())
    }

    /// The keys whose offsets start at `base`: any two equal? Each key is hashed now (only
    /// maps not written in key order come here), into the words after the offsets.
    fn check_keys(&mut self, base: usize, map_at: usize) -> Result<(), DecodeError> {
        let n = self.keys.len() - base;
        let capacity = (2 * n).next_power_of_two().max(4);
        let mut table_ok = true;
        for i in 0..n + capacity {
            let word = if i < n {
                let offset = self.keys.as_mut_slice().get(base + i).copied().unwrap_or(0);
                hash_key(self.buf.get(offset as usize..).unwrap_or(&[]))
            } else {
                0
            };
            if !self.keys.push(word) {
                table_ok = false;
                break;
            }
        }
        let buf = self.buf;
        let duplicate = |first: usize, second: usize| {
            let (first, second) = (first.min(second), first.max(second));
            DecodeError::new(DecodeErrorKind::DuplicateMapKey { other: first }, second, Some(Tag::Map))
        };
        let key = |offset: u32| buf.get(offset as usize..).unwrap_or(&[]);
        let words = self.keys.as_mut_slice().get_mut(base..).unwrap_or(&mut []);
        let (offsets, rest) = words.split_at_mut(n.min(words.len()));
        let (hashes, table) = rest.split_at_mut(n.min(rest.len()));
        if table_ok {
            // Linear probing; too many probes or unequal terms with equal hashes (an input
            // built to collide) send the map to the sorting check below.
            let mut budget = 8 * n as u64 + 64;
            let mask = capacity - 1;
            'keys: for i in 0..n {
                let (offset, hash) = (offsets[i], hashes[i]);
                let mut slot = hash as usize & mask;
                loop {
                    let entry = table[slot];
                    if entry == 0 {
                        table[slot] = i as u32 + 1;
                        continue 'keys;
                    }
                    budget = budget.saturating_sub(1);
                    let other = (entry - 1) as usize;
                    if hashes[other] == hash {
                        let other_offset = offsets[other];
                        match compare(key(other_offset), key(offset)) {
                            Ok(Ordering::Equal) => return Err(duplicate(other_offset as usize, offset as usize)),
                            Ok(_) => budget = budget.saturating_sub(4),
                            Err(e) => return Err(DecodeError::new(e.kind(), offset as usize, Some(Tag::Map))),
                        }
                    }
                    if budget == 0 {
                        break 'keys;
                    }
                    slot = (slot + 1) & mask;
                }
            }
            if budget > 0 {
                return Ok(());
            }
        }
        // Sort the offsets by key and compare neighbours.
        heapsort(offsets, |&x, &y| compare(key(x), key(y)))
            .map_err(|e| DecodeError::new(e.kind(), map_at, Some(Tag::Map)))?;
        for pair in offsets.windows(2) {
            if compare(key(pair[0]), key(pair[1])).ok() == Some(Ordering::Equal) {
                return Err(duplicate(pair[0] as usize, pair[1] as usize));
            }
        }
        Ok(())
    }
}
