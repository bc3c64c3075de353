//! One pass over the input that accepts exactly what Erlang's `binary_to_term` accepts.
//!
//! No recursion: a count of terms still to read (a tuple of arity n adds n, a list of n adds
//! n + 1 for its tail, a map of n pairs adds 2n). Every pending term needs at least one byte,
//! so a count larger than the bytes left means the input is cut short, which is reported at
//! once, before anything is sized from the count.
//!
//! Duplicate map keys are found while reading: each open map of two or more pairs has a frame
//! that notices when its next key or value begins (the pending count drops back to the map's
//! level). Each key is compared, exactly as Erlang compares terms (`cmp`), with the key before
//! it; keys in strictly increasing order (how Erlang writes maps of up to 32 keys) need nothing
//! more. Maps whose keys are not in order are sorted by key (a heapsort over key offsets, no
//! recursion, O(n log n)) and neighbours compared. Working memory: 16 map frames and 256 key
//! offsets inline on the stack (about 3 KiB); with the `alloc` feature both grow on the heap as
//! needed, without it deeper nesting of multi-key maps or a larger unordered map is refused with
//! [`DecodeErrorKind::NeedsAlloc`].

use crate::bytes::strip_high_zeros;
use crate::cmp::compare;
use crate::error::{DecodeError, DecodeErrorKind};
use crate::stack::Stack;
use crate::tag::Tag;
use core::cmp::Ordering;
use nom::Needed;
use nom::number::streaming::{be_u8, be_u16, be_u32};

type NomResult<'a, T> = nom::IResult<&'a [u8], T, ()>;

/// Erlang's largest integer: `BIG_ARITY_MAX` digits of 8 bytes on 64-bit ERTS.
pub(crate) const MAX_BIG_BYTES: u32 = 4_194_296;
const MAX_ATOM_CHARS: usize = 255;
const MAX_ATOM_UTF8_BYTES: usize = 1020;
/// Erlang's small integers on 64-bit: 60-bit signed.
const SMALL_MIN: i64 = -(1 << 59);
const SMALL_MAX: i64 = (1 << 59) - 1;

const INLINE_MAP_FRAMES: usize = 16;
const INLINE_MAP_KEYS: usize = 256;

#[derive(Clone, Copy)]
struct MapFrame {
    /// The pending count once every item of this map has been read.
    outer: u64,
    /// Items (keys and values) not yet begun.
    left: u64,
    /// Where the item being read began, and whether it is a key.
    current: usize,
    current_is_key: bool,
    /// The key before the current one.
    previous_key: Option<usize>,
    /// Keys so far were strictly increasing.
    ordered: bool,
    /// Where this map's key offsets begin in the key stack, and whether all are there.
    key_base: usize,
    keys_kept: bool,
}

struct Validator<'a> {
    buf: &'a [u8],
    pos: usize,
    pending: u64,
    /// The pending count at which the innermost open map reaches its next item (or its end);
    /// `u64::MAX` when no map is open, which the count never reaches.
    boundary: u64,
    tag: Tag,
    maps: Stack<MapFrame, INLINE_MAP_FRAMES>,
    keys: Stack<usize, INLINE_MAP_KEYS>,
}

/// Validates the term starting at `start` and returns where it ends.
pub(crate) fn validate(buf: &[u8], start: usize) -> Result<usize, DecodeError> {
    let mut v = Validator {
        buf,
        pos: start,
        pending: 1,
        boundary: u64::MAX,
        tag: Tag::Unknown(0),
        maps: Stack::new(),
        keys: Stack::new(),
    };
    v.run()?;
    Ok(v.pos)
}

impl<'a> Validator<'a> {
    fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or(&[])
    }

    fn err(&self, kind: DecodeErrorKind, at: usize) -> DecodeError {
        DecodeError::new(kind, at, Some(self.tag))
    }

    fn incomplete(&self, missing: usize) -> DecodeError {
        // Every term still pending needs at least one more byte.
        let needed = (missing as u64).saturating_add(self.pending);
        DecodeError::incomplete(usize::try_from(needed).unwrap_or(usize::MAX), self.buf.len(), Some(self.tag))
    }

    /// Runs a nom field parser at the current position.
    #[inline(always)]
    fn field<T>(&mut self, parser: impl Fn(&'a [u8]) -> NomResult<'a, T>) -> Result<T, DecodeError> {
        let rest = self.rest();
        match parser(rest) {
            Ok((after, value)) => {
                self.pos += rest.len() - after.len();
                Ok(value)
            }
            Err(nom::Err::Incomplete(Needed::Size(n))) => Err(self.incomplete(n.get())),
            Err(_) => Err(self.incomplete(1)),
        }
    }

    #[inline(always)]
    fn take(&mut self, len: usize) -> Result<&'a [u8], DecodeError> {
        let rest = self.rest();
        match rest.get(..len) {
            Some(bytes) => {
                self.pos += len;
                Ok(bytes)
            }
            None => Err(self.incomplete(len - rest.len())),
        }
    }

    /// Reserves `count` more pending terms, each needing at least one byte.
    #[inline(always)]
    fn reserve(&mut self, count: u64) -> Result<(), DecodeError> {
        self.pending += count;
        let left = self.rest().len() as u64;
        if self.pending > left {
            let missing = self.pending - left;
            self.pending = 0;
            return Err(self.incomplete(usize::try_from(missing).unwrap_or(usize::MAX)));
        }
        Ok(())
    }

    fn run(&mut self) -> Result<(), DecodeError> {
        let buf = self.buf;
        loop {
            if self.pending == self.boundary {
                self.map_boundary()?;
            }
            if self.pending == 0 {
                return Ok(());
            }
            // The most common leaves, inline: small integers and integers.
            match buf.get(self.pos) {
                Some(97) if self.pos + 2 <= buf.len() => {
                    self.pos += 2;
                    self.pending -= 1;
                    continue;
                }
                Some(98) if self.pos + 5 <= buf.len() => {
                    self.pos += 5;
                    self.pending -= 1;
                    continue;
                }
                // ASCII atoms of up to 255 bytes (every atom OTP 26+ writes for Erlang code):
                // valid whatever the bytes, so only their presence needs checking.
                Some(119) => {
                    let len = usize::from(crate::bytes::u8_at(buf, self.pos + 1));
                    if let Some(text) = buf.get(self.pos + 2..self.pos + 2 + len)
                        && text.is_ascii()
                    {
                        self.pos += 2 + len;
                        self.pending -= 1;
                        continue;
                    }
                }
                // Latin-1 atoms (ATOM_EXT, what OTP 25 writes): any bytes, up to 255 of them.
                Some(100) => {
                    let len = usize::from(crate::bytes::u16_at(buf, self.pos + 1));
                    if len <= MAX_ATOM_CHARS && self.pos + 3 + len <= buf.len() {
                        self.pos += 3 + len;
                        self.pending -= 1;
                        continue;
                    }
                }
                Some(109) => {
                    let len = crate::bytes::u32_at(buf, self.pos + 1) as usize;
                    if self.pos + 5 <= buf.len() && len <= buf.len() - self.pos - 5 {
                        self.pos += 5 + len;
                        self.pending -= 1;
                        continue;
                    }
                }
                Some(70) if self.pos + 9 <= buf.len() => {
                    if f64::from_bits(crate::bytes::u64_at(buf, self.pos + 1)).is_finite() {
                        self.pos += 9;
                        self.pending -= 1;
                        continue;
                    }
                }
                Some(_) => {}
                None => {
                    self.tag = Tag::Unknown(0);
                    return Err(DecodeError::incomplete(
                        usize::try_from(self.pending).unwrap_or(usize::MAX),
                        self.pos,
                        None,
                    ));
                }
            }
            self.pending -= 1;
            self.term()?;
        }
    }

    /// Where the innermost open map reaches its next item.
    fn set_boundary(&mut self) {
        self.boundary = self.maps.as_slice().last().map_or(u64::MAX, |f| f.outer + f.left);
    }

    /// One term: its tag and fixed fields; nested terms are added to the pending count.
    fn term(&mut self) -> Result<(), DecodeError> {
        let at = self.pos;
        let tag = Tag::from_byte(self.field(be_u8)?);
        self.tag = tag;
        match tag {
            Tag::SmallInteger => {
                self.take(1)?;
            }
            Tag::Integer => {
                self.take(4)?;
            }
            Tag::NewFloat => {
                let bytes = self.take(8)?;
                let mut raw = [0u8; 8];
                raw.copy_from_slice(bytes);
                if !f64::from_be_bytes(raw).is_finite() {
                    return Err(self.err(DecodeErrorKind::NonFiniteFloat, at));
                }
            }
            Tag::Float => {
                let text = self.take(31)?;
                if parse_float_text(text).is_none() {
                    return Err(self.err(DecodeErrorKind::BadFloatText, at));
                }
            }
            Tag::Atom | Tag::SmallAtom | Tag::AtomUtf8 | Tag::SmallAtomUtf8 => {
                self.pos = at;
                self.atom()?;
            }
            Tag::SmallBig => {
                let n = self.field(be_u8)?;
                self.take(1 + usize::from(n))?;
            }
            Tag::LargeBig => {
                let n = self.field(be_u32)?;
                if n > MAX_BIG_BYTES {
                    return Err(self.err(DecodeErrorKind::BigTooLarge, at));
                }
                self.take(1 + n as usize)?;
            }
            Tag::SmallTuple => {
                let arity = self.field(be_u8)?;
                self.reserve(u64::from(arity))?;
            }
            Tag::LargeTuple => {
                let arity = self.field(be_u32)?;
                self.reserve(u64::from(arity))?;
            }
            Tag::Nil => {}
            Tag::String => {
                let len = self.field(be_u16)?;
                self.take(usize::from(len))?;
            }
            Tag::List => {
                let len = self.field(be_u32)?;
                self.reserve(u64::from(len) + 1)?;
            }
            Tag::Binary => {
                let len = self.field(be_u32)?;
                self.take(len as usize)?;
            }
            Tag::BitBinary => {
                let len = self.field(be_u32)?;
                let bits = self.field(be_u8)?;
                if bits > 8 || (bits == 0) != (len == 0) {
                    return Err(self.err(DecodeErrorKind::BadBitCount { bits }, at));
                }
                self.take(len as usize)?;
            }
            Tag::Map => {
                let pairs = self.field(be_u32)?;
                if pairs >= 1 << 31 {
                    return Err(self.err(DecodeErrorKind::MapTooLarge, at));
                }
                let outer = self.pending;
                self.reserve(2 * u64::from(pairs))?;
                if pairs >= 2 {
                    let frame = MapFrame {
                        outer,
                        left: 2 * u64::from(pairs),
                        current: self.pos,
                        current_is_key: false,
                        previous_key: None,
                        ordered: true,
                        key_base: self.keys.len(),
                        keys_kept: true,
                    };
                    self.maps.push(frame).map_err(|_| self.err(DecodeErrorKind::NeedsAlloc, at))?;
                    self.set_boundary();
                }
            }
            Tag::NewPid => {
                self.node()?;
                self.take(12)?;
            }
            Tag::Pid => {
                self.node()?;
                self.take(8)?;
                self.tiny_creation(at)?;
            }
            Tag::NewPort => {
                self.node()?;
                self.take(8)?;
            }
            Tag::V4Port => {
                self.node()?;
                self.take(12)?;
            }
            Tag::Port => {
                self.node()?;
                self.take(4)?;
                self.tiny_creation(at)?;
            }
            Tag::Reference => {
                self.node()?;
                let id = self.field(be_u32)?;
                if id >= 1 << 18 {
                    return Err(self.err(DecodeErrorKind::ReferenceIdTooLarge, at));
                }
                self.tiny_creation(at)?;
            }
            Tag::NewReference | Tag::NewerReference => {
                let len = self.field(be_u16)?;
                if len == 0 || len > 5 {
                    return Err(self.err(DecodeErrorKind::BadReferenceLength { len }, at));
                }
                self.node()?;
                if tag == Tag::NewReference {
                    self.tiny_creation(at)?;
                    let id = self.field(be_u32)?;
                    if id >= 1 << 18 {
                        return Err(self.err(DecodeErrorKind::ReferenceIdTooLarge, at));
                    }
                    self.take(4 * (usize::from(len) - 1))?;
                } else {
                    self.take(4 + 4 * usize::from(len))?;
                }
            }
            Tag::Export => {
                self.node()?;
                self.node()?;
                let arity = self.small_integer()?;
                self.tag = tag;
                if arity < 0 {
                    return Err(self.err(DecodeErrorKind::ExpectedSmallInteger, at));
                }
            }
            Tag::NewFun => {
                // Size (ignored by OTP 25.1+), arity, uniq, index, free-variable count.
                self.take(4 + 1 + 16 + 4)?;
                let free = self.field(be_u32)?;
                if free > 255 {
                    return Err(self.err(DecodeErrorKind::TooManyFreeVariables, at));
                }
                self.node()?;
                self.small_integer()?;
                self.small_integer()?;
                self.tag = tag;
                // The creator pid (any term on OTP 25), then the free variables.
                self.reserve(1 + u64::from(free))?;
            }
            Tag::Compressed
            | Tag::Fun
            | Tag::Local
            | Tag::DistHeader
            | Tag::AtomCacheRef
            | Tag::AtomInternalRef2
            | Tag::AtomInternalRef3 => return Err(self.err(DecodeErrorKind::UnsupportedTag, at)),
            Tag::Unknown(_) => return Err(self.err(DecodeErrorKind::UnknownTag, at)),
        }
        Ok(())
    }

    /// An atom term at the current position.
    fn atom(&mut self) -> Result<(), DecodeError> {
        let at = self.pos;
        let tag = Tag::from_byte(self.field(be_u8)?);
        self.tag = tag;
        match tag {
            Tag::Atom | Tag::SmallAtom => {
                let len =
                    if tag == Tag::Atom { usize::from(self.field(be_u16)?) } else { usize::from(self.field(be_u8)?) };
                if len > MAX_ATOM_CHARS {
                    return Err(self.err(DecodeErrorKind::AtomTooLong, at));
                }
                self.take(len)?;
            }
            Tag::AtomUtf8 | Tag::SmallAtomUtf8 => {
                let len = if tag == Tag::AtomUtf8 {
                    usize::from(self.field(be_u16)?)
                } else {
                    usize::from(self.field(be_u8)?)
                };
                if len > MAX_ATOM_UTF8_BYTES {
                    return Err(self.err(DecodeErrorKind::AtomTooLong, at));
                }
                let bytes = self.take(len)?;
                let text = core::str::from_utf8(bytes).map_err(|_| self.err(DecodeErrorKind::InvalidUtf8, at))?;
                if len > MAX_ATOM_CHARS && text.chars().count() > MAX_ATOM_CHARS {
                    return Err(self.err(DecodeErrorKind::AtomTooLong, at));
                }
            }
            // Atoms by their index in one VM's atom table: refused everywhere (ETF.md).
            Tag::AtomInternalRef2 | Tag::AtomInternalRef3 => {
                return Err(self.err(DecodeErrorKind::UnsupportedTag, at));
            }
            _ => return Err(self.err(DecodeErrorKind::ExpectedAtom, at)),
        }
        Ok(())
    }

    /// A node or module atom inside a pid, port, reference or fun.
    fn node(&mut self) -> Result<(), DecodeError> {
        let outer = self.tag;
        self.atom()?;
        self.tag = outer;
        Ok(())
    }

    fn tiny_creation(&mut self, at: usize) -> Result<(), DecodeError> {
        if self.field(be_u8)? > 3 {
            return Err(self.err(DecodeErrorKind::CreationTooLarge, at));
        }
        Ok(())
    }

    /// An integer term that must be an Erlang small integer (60-bit signed).
    fn small_integer(&mut self) -> Result<i64, DecodeError> {
        let at = self.pos;
        let tag = Tag::from_byte(self.field(be_u8)?);
        self.tag = tag;
        let value = match tag {
            Tag::SmallInteger => Some(i64::from(self.field(be_u8)?)),
            Tag::Integer => Some(i64::from(self.field(be_u32)? as i32)),
            Tag::SmallBig | Tag::LargeBig => {
                let n = if tag == Tag::SmallBig { u32::from(self.field(be_u8)?) } else { self.field(be_u32)? };
                if n > MAX_BIG_BYTES {
                    return Err(self.err(DecodeErrorKind::BigTooLarge, at));
                }
                let negative = self.field(be_u8)? != 0;
                let magnitude = strip_high_zeros(self.take(n as usize)?);
                crate::bytes::big_to_i64(negative, magnitude)
            }
            _ => None,
        };
        match value {
            Some(v) if (SMALL_MIN..=SMALL_MAX).contains(&v) => Ok(v),
            _ => Err(self.err(DecodeErrorKind::ExpectedSmallInteger, at)),
        }
    }

    /// The innermost open map reached the start of its next item (or its end).
    fn map_boundary(&mut self) -> Result<(), DecodeError> {
        let buf = self.buf;
        while let Some(frame) = self.maps.last_mut() {
            if self.pending != frame.outer + frame.left {
                break;
            }
            if frame.current_is_key {
                // The key that just ended, against the one before it.
                let key = frame.current;
                if let Some(previous) = frame.previous_key {
                    let order = match quick_compare(buf, previous, key) {
                        Some(order) => order,
                        None => compare(buf, previous, buf, key)?,
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
                frame.previous_key = Some(key);
                if frame.keys_kept && self.keys.push(key).is_err() {
                    frame.keys_kept = false;
                }
            }
            if frame.left == 0 {
                let done = *frame;
                self.maps.pop();
                self.map_done(&done)?;
                continue;
            }
            frame.current = self.pos;
            frame.current_is_key = frame.left % 2 == 0;
            frame.left -= 1;
            break;
        }
        self.set_boundary();
        Ok(())
    }

    fn map_done(&mut self, frame: &MapFrame) -> Result<(), DecodeError> {
        if !frame.ordered {
            if !frame.keys_kept {
                return Err(DecodeError::new(DecodeErrorKind::NeedsAlloc, frame.current, Some(Tag::Map)));
            }
            let buf = self.buf;
            let keys = self.keys.as_mut_slice().get_mut(frame.key_base..).unwrap_or(&mut []);
            heapsort(keys, |&x, &y| compare(buf, x, buf, y))?;
            for pair in keys.windows(2) {
                if compare(buf, pair[0], buf, pair[1])? == Ordering::Equal {
                    let (first, second) = (pair[0].min(pair[1]), pair[0].max(pair[1]));
                    return Err(DecodeError::new(
                        DecodeErrorKind::DuplicateMapKey { other: first },
                        second,
                        Some(Tag::Map),
                    ));
                }
            }
        }
        self.keys.truncate(frame.key_base);
        Ok(())
    }
}

/// The exact order of two keys when both are atoms in the same encoding or both small
/// integers, without the general comparison's machinery; `None` otherwise.
#[inline]
fn quick_compare(buf: &[u8], a: usize, b: usize) -> Option<Ordering> {
    use crate::bytes::{slice_at, u8_at};
    let (ta, tb) = (u8_at(buf, a), u8_at(buf, b));
    match (ta, tb) {
        (97, 97) => Some(u8_at(buf, a + 1).cmp(&u8_at(buf, b + 1))),
        // SMALL_ATOM_UTF8_EXT or SMALL_ATOM_EXT on both sides: the bytes order the atoms.
        (119, 119) | (115, 115) => {
            let x = slice_at(buf, a + 2, usize::from(u8_at(buf, a + 1)));
            let y = slice_at(buf, b + 2, usize::from(u8_at(buf, b + 1)));
            Some(x.cmp(y))
        }
        (100, 100) | (118, 118) => {
            let x = slice_at(buf, a + 3, usize::from(crate::bytes::u16_at(buf, a + 1)));
            let y = slice_at(buf, b + 3, usize::from(crate::bytes::u16_at(buf, b + 1)));
            Some(x.cmp(y))
        }
        _ => None,
    }
}

/// In-place heapsort with a fallible comparison: O(n log n), no recursion, no allocation.
fn heapsort<T: Copy, E>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Result<Ordering, E>) -> Result<(), E> {
    let mut sift_down = |v: &mut [T], mut root: usize, end: usize| -> Result<(), E> {
        loop {
            let mut child = 2 * root + 1;
            if child >= end {
                return Ok(());
            }
            if child + 1 < end && cmp(&v[child], &v[child + 1])? == Ordering::Less {
                child += 1;
            }
            if cmp(&v[root], &v[child])? != Ordering::Less {
                return Ok(());
            }
            v.swap(root, child);
            root = child;
        }
    };
    let len = v.len();
    for start in (0..len / 2).rev() {
        sift_down(v, start, len)?;
    }
    for end in (1..len).rev() {
        v.swap(0, end);
        sift_down(v, 0, end)?;
    }
    Ok(())
}

/// Parses the 31-byte text of a `FLOAT_EXT` as ERTS does: `[+-]digits[.,]digits[(e|E)[+-]digits]`
/// ended by a NUL inside the field (bytes after the NUL are ignored), finite. Underflow gives
/// zero, overflow is refused.
pub(crate) fn parse_float_text(field: &[u8]) -> Option<f64> {
    let len = field.iter().position(|&b| b == 0)?;
    let text = &field[..len];
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while text.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > start
    };
    if matches!(text.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    if !digits(&mut i) {
        return None;
    }
    let radix = i;
    if !matches!(text.get(i), Some(b'.' | b',')) {
        return None;
    }
    i += 1;
    if !digits(&mut i) {
        return None;
    }
    if matches!(text.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(text.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return None;
        }
    }
    if i != text.len() {
        return None;
    }
    let mut copy = [0u8; 31];
    copy[..len].copy_from_slice(text);
    copy[radix] = b'.';
    let text = core::str::from_utf8(&copy[..len]).ok()?;
    let value: f64 = text.parse().ok()?;
    value.is_finite().then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_text_grammar() {
        let field = |s: &str| {
            let mut f = [0u8; 31];
            f[..s.len()].copy_from_slice(s.as_bytes());
            f
        };
        for (text, value) in [
            ("1.5", 1.5),
            ("+1.5", 1.5),
            ("1,5", 1.5),
            ("1.5e3", 1500.0),
            ("1.5E+03", 1500.0),
            ("01.50", 1.5),
            ("1.0e-400", 0.0),
            ("1.0e-310", 1.0e-310),
            ("0.1", 0.1),
            ("1.50000000000000000000e+00", 1.5),
        ] {
            assert_eq!(parse_float_text(&field(text)), Some(value), "{text}");
        }
        assert!(parse_float_text(&field("-0.0")).unwrap().is_sign_negative());
        for text in
            ["1", "15", "1e3", ".5", "1.", "inf", "nan", " 1.5", "1.5 ", "1.5e", "1.5e+", "1.8e308", "0x1.0p0", ""]
        {
            assert_eq!(parse_float_text(&field(text)), None, "{text}");
        }
        // Bytes after the NUL are ignored, as ERTS does.
        let mut garbage = field("2.5");
        garbage[10] = b'x';
        assert_eq!(parse_float_text(&garbage), Some(2.5));
        // No NUL inside the field: refused.
        assert_eq!(parse_float_text(&[b'1'; 31]), None);
    }

    #[test]
    fn heapsort_sorts() {
        let mut v = [5, 3, 9, 1, 1, 0, 7, 2, 8];
        heapsort::<_, ()>(&mut v, |a, b| Ok(a.cmp(b))).unwrap();
        assert_eq!(v, [0, 1, 1, 2, 3, 5, 7, 8, 9]);
        let mut empty: [u8; 0] = [];
        heapsort::<_, ()>(&mut empty, |a, b| Ok(a.cmp(b))).unwrap();
    }
}
