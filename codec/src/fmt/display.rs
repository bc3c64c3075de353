//! `Display` in Erlang syntax, exactly as `io_lib:format("~w", [T])` writes it on OTP 25
//! (pids, ports, references and funs in their usual `~w` shapes too), with one exception:
//! maps of more than 32 pairs are printed in the order their pairs were written. ERTS prints
//! such a map (a hash trie inside the VM) in an order that depends on its own atom table and
//! hashing, which no codec can reproduce.
//!
//! Printing is iterative: one small frame per container open at the moment, at most
//! [`MAX_DISPLAY_DEPTH`] of them (about 5 KiB on the stack); deeper terms are written as `...`,
//! so printing any term is safe on any stack. Each byte is read a constant number of times,
//! except inside maps of up to 32 pairs, which are read once more to check (and, when they were
//! not written in key order, to find) their key order.

use crate::term::{Atom, BigInt, BitBinary, Elements, ListIter, Map, Term};
use core::cmp::Ordering;
use core::fmt::{self, Write};

/// How many containers deep `Display` goes before it writes `...` for the rest.
pub const MAX_DISPLAY_DEPTH: usize = 100;

/// Maps up to this size are kept sorted by key inside ERTS (flatmaps) and printed so.
const SORTED_MAP_KEYS: usize = 32;

impl fmt::Display for Term<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Printer { frames: heapless::Vec::new() }.print(f, *self)
    }
}

/// What a frame prints next.
enum Frame<'a> {
    Tuple {
        elements: Elements<'a>,
        first: bool,
    },
    List {
        elements: ListIter<'a>,
        first: bool,
        tail_done: bool,
    },
    /// A map printed in the order written: after a key, its value.
    Map {
        pairs: Elements<'a>,
        first: bool,
    },
    /// A small map not written in key order: each pair found by a scan for the least key
    /// above the last one printed (`last`: its index in the order written, plus one).
    Sorted {
        map: Map<'a>,
        last: u32,
        printed: u32,
        value_due: bool,
    },
}

struct Printer<'a> {
    frames: heapless::Vec<Frame<'a>, MAX_DISPLAY_DEPTH>,
}

impl<'a> Printer<'a> {
    fn print(&mut self, f: &mut fmt::Formatter<'_>, term: Term<'a>) -> fmt::Result {
        self.open(f, term)?;
        while let Some(frame) = self.frames.last_mut() {
            let next = match frame {
                Frame::Tuple { elements, first } => match elements.next() {
                    Some(t) => separated(f, first, t)?,
                    None => {
                        f.write_char('}')?;
                        None
                    }
                },
                Frame::List { elements, first, tail_done } => match elements.next() {
                    Some(t) => separated(f, first, t)?,
                    None if !*tail_done => {
                        *tail_done = true;
                        match elements.tail() {
                            Term::Nil => {
                                f.write_char(']')?;
                                None
                            }
                            tail => {
                                f.write_char('|')?;
                                Some(tail)
                            }
                        }
                    }
                    None => {
                        f.write_char(']')?;
                        None
                    }
                },
                Frame::Map { pairs, first } => {
                    let is_key = pairs.len() % 2 == 0;
                    match pairs.next() {
                        Some(t) => {
                            if is_key && !core::mem::replace(first, false) {
                                f.write_char(',')?;
                            } else if !is_key {
                                f.write_str(" => ")?;
                            }
                            Some(t)
                        }
                        None => {
                            f.write_char('}')?;
                            None
                        }
                    }
                }
                Frame::Sorted { map, last, printed, value_due } => {
                    if core::mem::replace(value_due, false) {
                        f.write_str(" => ")?;
                        map.iter().nth(*last as usize - 1).map(|(_, v)| v)
                    } else if *printed as usize == map.len() {
                        f.write_char('}')?;
                        None
                    } else {
                        let (index, key) = least_above(map, *last);
                        if *printed > 0 {
                            f.write_char(',')?;
                        }
                        *printed += 1;
                        *last = index + 1;
                        *value_due = true;
                        Some(key)
                    }
                }
            };
            match next {
                Some(child) => self.open(f, child)?,
                None => self.close(),
            }
        }
        Ok(())
    }

    /// The frame on top is done: tell its parent where it ended, when it knows.
    fn close(&mut self) {
        let Some(done) = self.frames.pop() else { return };
        let end = match &done {
            Frame::Tuple { elements, .. } | Frame::Map { pairs: elements, .. } => elements.end(),
            Frame::List { elements, .. } => elements.end(),
            _ => None,
        };
        if let Some(end) = end {
            match self.frames.last_mut() {
                Some(Frame::Tuple { elements, .. } | Frame::Map { pairs: elements, .. }) => elements.resume(end),
                Some(Frame::List { elements, .. }) => elements.resume(end),
                _ => {}
            }
        }
    }

    /// Writes a leaf, or the opening of a container and pushes its frame.
    fn open(&mut self, f: &mut fmt::Formatter<'_>, term: Term<'a>) -> fmt::Result {
        let frame = match term {
            Term::Tuple(_) | Term::List(_) | Term::Map(_) if self.frames.is_full() => return f.write_str("..."),
            Term::Tuple(tuple) => {
                f.write_char('{')?;
                Frame::Tuple { elements: tuple.iter(), first: true }
            }
            Term::List(list) => {
                f.write_char('[')?;
                Frame::List { elements: list.iter(), first: true, tail_done: false }
            }
            Term::Map(map) => {
                f.write_str("#{")?;
                if map.len() <= SORTED_MAP_KEYS && !in_key_order(&map) {
                    Frame::Sorted { map, last: 0, printed: 0, value_due: false }
                } else {
                    Frame::Map { pairs: map.iter().inner, first: true }
                }
            }
            other => return write_leaf(f, &other),
        };
        // Not full: checked above.
        let _ = self.frames.push(frame);
        Ok(())
    }
}

/// An element: a comma before it unless it is the first.
fn separated<'a>(
    f: &mut fmt::Formatter<'_>,
    first: &mut bool,
    element: Term<'a>,
) -> Result<Option<Term<'a>>, fmt::Error> {
    if !core::mem::replace(first, false) {
        f.write_char(',')?;
    }
    Ok(Some(element))
}

fn less(a: &Term<'_>, b: &Term<'_>) -> bool {
    a.exact_cmp(b) == Ordering::Less
}

/// Whether a map's keys were written in increasing key order (as Erlang writes small maps).
fn in_key_order(map: &Map<'_>) -> bool {
    let mut keys = map.iter().map(|(k, _)| k);
    let Some(mut previous) = keys.next() else { return true };
    for key in keys {
        if !less(&previous, &key) {
            return false;
        }
        previous = key;
    }
    true
}

/// The index and key of the pair with the least key above the key of pair `last - 1` (the
/// least key when `last` is 0).
fn least_above<'a>(map: &Map<'a>, last: u32) -> (u32, Term<'a>) {
    let previous = last.checked_sub(1).and_then(|i| map.iter().nth(i as usize)).map(|(k, _)| k);
    let mut best: Option<(u32, Term<'a>)> = None;
    for (i, (k, _)) in map.iter().enumerate() {
        if previous.as_ref().is_some_and(|p| !less(p, &k)) {
            continue;
        }
        if best.as_ref().is_none_or(|(_, b)| less(&k, b)) {
            best = Some((i as u32, k));
        }
    }
    best.unwrap_or((0, Term::Nil))
}

fn write_leaf(f: &mut fmt::Formatter<'_>, term: &Term<'_>) -> fmt::Result {
    match term {
        Term::Integer(value) => write!(f, "{value}"),
        Term::BigInt(big) => write_big(f, big),
        Term::Float(value) => write_float(f, *value),
        Term::Atom(atom) => write_atom(f, *atom),
        Term::Binary(bytes) => {
            f.write_str("<<")?;
            write_bytes(f, bytes)?;
            f.write_str(">>")
        }
        Term::BitBinary(bits) => write_bit_binary(f, bits),
        Term::Nil => f.write_str("[]"),
        Term::Pid(pid) => write!(f, "<{}.{}.{}>", NodeNumber(&pid.node()), pid.id(), pid.serial()),
        Term::Port(port) => write!(f, "#Port<{}.{}>", NodeNumber(&port.node()), port.id()),
        Term::Reference(reference) => {
            write!(f, "#Ref<{}", NodeNumber(&reference.node()))?;
            let ids: heapless::Vec<u32, 5> = reference.ids().collect();
            for id in ids.iter().rev() {
                write!(f, ".{id}")?;
            }
            f.write_char('>')
        }
        // ERTS's own text for funs (`erlang:fun_to_list/1`): atoms as their UTF-8 bytes read as
        // latin-1 characters; the module of a local fun is never quoted.
        Term::Fun(fun) => {
            f.write_str("#Fun<")?;
            write_utf8_bytes_as_latin1(f, fun.module())?;
            write!(f, ".{}.{}>", fun.old_index(), fun.old_uniq())
        }
        Term::Export(export) => {
            f.write_str("fun ")?;
            write_fun_atom(f, export.module())?;
            f.write_char(':')?;
            write_fun_atom(f, export.function())?;
            write!(f, "/{}", export.arity())
        }
        // Containers are printed by the frames.
        Term::Tuple(_) | Term::List(_) | Term::Map(_) => f.write_str("..."),
    }
}

/// An atom's characters as UTF-8, each byte written as the latin-1 character of that value.
fn write_utf8_bytes_as_latin1(f: &mut fmt::Formatter<'_>, atom: Atom<'_>) -> fmt::Result {
    for c in atom.chars() {
        let mut buf = [0u8; 4];
        for &byte in c.encode_utf8(&mut buf).as_bytes() {
            f.write_char(char::from(byte))?;
        }
    }
    Ok(())
}

/// An atom in an export fun, as ERTS writes it: quoted when `~w` would quote it, its UTF-8
/// bytes as latin-1 characters.
fn write_fun_atom(f: &mut fmt::Formatter<'_>, atom: Atom<'_>) -> fmt::Result {
    if !needs_quotes(atom) {
        return write_utf8_bytes_as_latin1(f, atom);
    }
    f.write_char('\'')?;
    for c in atom.chars() {
        let mut buf = [0u8; 4];
        for &byte in c.encode_utf8(&mut buf).as_bytes() {
            match byte {
                b'\'' => f.write_str("\\'")?,
                b'\\' => f.write_str("\\\\")?,
                _ => f.write_char(char::from(byte))?,
            }
        }
    }
    f.write_char('\'')
}

/// Erlang prints a remote node as a number local to the VM; a codec has no node table, so
/// the node's name is shown instead of a number.
struct NodeNumber<'a, 'b>(&'b Atom<'a>);

impl fmt::Display for NodeNumber<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_atom(f, *self.0)
    }
}

fn write_bytes(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    for (i, byte) in bytes.iter().enumerate() {
        if i > 0 {
            f.write_char(',')?;
        }
        write!(f, "{byte}")?;
    }
    Ok(())
}

fn write_bit_binary(f: &mut fmt::Formatter<'_>, bits: &BitBinary<'_>) -> fmt::Result {
    let bytes = bits.bytes();
    let n = bits.bits_in_last_byte();
    f.write_str("<<")?;
    if n >= 8 || bytes.is_empty() {
        // Whole bytes (a `BitBinary::new` with a whole last byte): a binary.
        write_bytes(f, bytes)?;
        return f.write_str(">>");
    }
    let whole = &bytes[..bytes.len() - 1];
    write_bytes(f, whole)?;
    if !whole.is_empty() {
        f.write_char(',')?;
    }
    write!(f, "{}:{}>>", bits.last_byte() >> (8 - n), n)
}

const RESERVED: [&str; 27] = [
    "after", "and", "andalso", "band", "begin", "bnot", "bor", "bsl", "bsr", "bxor", "case", "catch", "cond", "div",
    "end", "fun", "if", "let", "not", "of", "or", "orelse", "receive", "rem", "try", "when", "xor",
];

fn is_lower(c: char) -> bool {
    c.is_ascii_lowercase() || (('\u{df}'..='\u{ff}').contains(&c) && c != '\u{f7}')
}

fn is_name_char(c: char) -> bool {
    is_lower(c)
        || c.is_ascii_uppercase()
        || (('\u{c0}'..='\u{de}').contains(&c) && c != '\u{d7}')
        || c.is_ascii_digit()
        || c == '_'
        || c == '@'
}

fn needs_quotes(atom: Atom<'_>) -> bool {
    let mut chars = atom.chars();
    match chars.next() {
        Some(first) if is_lower(first) => {}
        _ => return true,
    }
    if !chars.all(is_name_char) {
        return true;
    }
    atom.as_str().is_some_and(|text| RESERVED.contains(&text))
}

/// Writes an atom as `io_lib:write_atom/1` does: quoted when needed, with Erlang's escapes.
pub(crate) fn write_atom(f: &mut fmt::Formatter<'_>, atom: Atom<'_>) -> fmt::Result {
    if !needs_quotes(atom) {
        for c in atom.chars() {
            f.write_char(c)?;
        }
        return Ok(());
    }
    f.write_char('\'')?;
    for c in atom.chars() {
        match c {
            '\'' => f.write_str("\\'")?,
            '\\' => f.write_str("\\\\")?,
            ' '..='~' => f.write_char(c)?,
            '\u{a0}'..='\u{ff}' => f.write_char(c)?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            '\u{b}' => f.write_str("\\v")?,
            '\u{8}' => f.write_str("\\b")?,
            '\u{c}' => f.write_str("\\f")?,
            '\u{1b}' => f.write_str("\\e")?,
            '\u{7f}' => f.write_str("\\d")?,
            '\0'..='\u{9f}' => write!(f, "\\{:03o}", c as u32)?,
            _ => write!(f, "\\x{{{:X}}}", c as u32)?,
        }
    }
    f.write_char('\'')
}

/// A `fmt::Write` into a fixed buffer.
struct Buf<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> Write for Buf<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end > N {
            return Err(fmt::Error);
        }
        self.bytes[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Writes a float as Erlang's `io_lib_format:fwrite_g/1` (OTP 25): the shortest digits that
/// read back to the same float, in plain or scientific notation, whichever is shorter (plain
/// on a tie), except that integers of 2^53 or more are always scientific.
pub(crate) fn write_float(f: &mut fmt::Formatter<'_>, value: f64) -> fmt::Result {
    // Erlang has no such floats (decoding refuses them); a `Term` built in Rust may hold one,
    // and printing it must not fail (`to_string` would panic).
    if value.is_nan() {
        return f.write_str("nan");
    }
    if value.is_infinite() {
        return f.write_str(if value < 0.0 { "-inf" } else { "inf" });
    }
    if value == 0.0 {
        return f.write_str(if value.is_sign_negative() { "-0.0" } else { "0.0" });
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "1.2345e-12", "1e3". When the
    // value lies exactly halfway between two shortest candidates, Erlang (Ryu) takes the even
    // one; Rust's exact formatting to that many digits rounds half to even, so use it when it
    // still reads back as the same float.
    let mut buf = Buf::<40> { bytes: [0; 40], len: 0 };
    write!(buf, "{:e}", value.abs())?;
    let shortest_digits =
        buf.bytes[..buf.len].iter().take_while(|&&b| b != b'e').filter(|b| b.is_ascii_digit()).count();
    let mut exact = Buf::<40> { bytes: [0; 40], len: 0 };
    write!(exact, "{:.*e}", shortest_digits.saturating_sub(1), value.abs())?;
    let round_trips = core::str::from_utf8(&exact.bytes[..exact.len])
        .ok()
        .and_then(|text| text.parse::<f64>().ok())
        .is_some_and(|parsed| parsed == value.abs());
    if round_trips {
        buf = exact;
    }
    let text = &buf.bytes[..buf.len];
    let e_at = text.iter().position(|&b| b == b'e').ok_or(fmt::Error)?;
    let (mantissa, exponent) = (&text[..e_at], &text[e_at + 1..]);
    let mut digits = [0u8; 20];
    let mut len = 0;
    for &b in mantissa.iter().filter(|b| b.is_ascii_digit()) {
        if len == digits.len() {
            return Err(fmt::Error);
        }
        digits[len] = b;
        len += 1;
    }
    let digits = &digits[..len];
    let exp: i32 = core::str::from_utf8(exponent).ok().and_then(|s| s.parse().ok()).ok_or(fmt::Error)?;
    let digits_str = core::str::from_utf8(digits).map_err(|_| fmt::Error)?;
    // value = digits × 10^place
    let place = exp - (len as i32 - 1);
    let exp_len = {
        let mut b = Buf::<8> { bytes: [0; 8], len: 0 };
        write!(b, "{exp}")?;
        b.len as i32
    };
    let sci_len = len as i32 + if len == 1 { 2 } else { 1 } + 1 + exp_len;
    if value.is_sign_negative() {
        f.write_char('-')?;
    }
    let plain = if place >= 0 {
        let plain_len = len as i32 + place + 2;
        plain_len <= sci_len && value.abs() < 9_007_199_254_740_992.0
    } else if exp >= 0 {
        true
    } else {
        2 - place <= sci_len
    };
    if plain {
        if place >= 0 {
            f.write_str(digits_str)?;
            for _ in 0..place {
                f.write_char('0')?;
            }
            f.write_str(".0")
        } else if exp >= 0 {
            let point = (exp + 1) as usize;
            f.write_str(&digits_str[..point])?;
            f.write_char('.')?;
            f.write_str(&digits_str[point..])
        } else {
            f.write_str("0.")?;
            for _ in 0..(-exp - 1) {
                f.write_char('0')?;
            }
            f.write_str(digits_str)
        }
    } else {
        f.write_str(&digits_str[..1])?;
        f.write_char('.')?;
        if len == 1 {
            f.write_char('0')?;
        } else {
            f.write_str(&digits_str[1..])?;
        }
        write!(f, "e{exp}")
    }
}

/// Limbs kept on the stack for printing big integers in decimal: 4096 bits.
const INLINE_LIMBS: usize = 128;

/// Writes a big integer in decimal. Without the `alloc` feature, integers above 4096 bits
/// are written in Erlang's base-16 syntax (`16#...`), which reads back as the same integer.
fn write_big(f: &mut fmt::Formatter<'_>, big: &BigInt<'_>) -> fmt::Result {
    let magnitude = big.magnitude();
    if magnitude.is_empty() {
        return f.write_char('0');
    }
    let limbs_needed = magnitude.len().div_ceil(4);
    if big.is_negative() {
        f.write_char('-')?;
    }
    if limbs_needed <= INLINE_LIMBS {
        let mut limbs = [0u32; INLINE_LIMBS];
        let mut chunks = [0u32; INLINE_LIMBS * 32 / 29 + 2];
        return write_decimal(f, magnitude, &mut limbs[..limbs_needed], &mut chunks);
    }
    #[cfg(feature = "alloc")]
    {
        let mut limbs = alloc::vec![0u32; limbs_needed];
        let mut chunks = alloc::vec![0u32; limbs_needed * 32 / 29 + 2];
        write_decimal(f, magnitude, &mut limbs, &mut chunks)
    }
    #[cfg(not(feature = "alloc"))]
    {
        f.write_str("16#")?;
        for (i, byte) in magnitude.iter().rev().enumerate() {
            if i == 0 {
                write!(f, "{byte:X}")?;
            } else {
                write!(f, "{byte:02X}")?;
            }
        }
        Ok(())
    }
}

/// Repeated division by 10^9 over little-endian 32-bit limbs.
fn write_decimal(f: &mut fmt::Formatter<'_>, magnitude: &[u8], limbs: &mut [u32], chunks: &mut [u32]) -> fmt::Result {
    for (i, byte) in magnitude.iter().enumerate() {
        limbs[i / 4] |= u32::from(*byte) << (8 * (i % 4));
    }
    let mut top = limbs.len();
    let mut count = 0;
    while top > 0 {
        let mut remainder: u64 = 0;
        for limb in limbs[..top].iter_mut().rev() {
            let current = (remainder << 32) | u64::from(*limb);
            *limb = (current / 1_000_000_000) as u32;
            remainder = current % 1_000_000_000;
        }
        if count == chunks.len() {
            return Err(fmt::Error);
        }
        chunks[count] = remainder as u32;
        count += 1;
        while top > 0 && limbs[top - 1] == 0 {
            top -= 1;
        }
    }
    let mut iter = chunks[..count].iter().rev();
    if let Some(first) = iter.next() {
        write!(f, "{first}")?;
    }
    for chunk in iter {
        write!(f, "{chunk:09}")?;
    }
    Ok(())
}

impl fmt::Display for Atom<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_atom(f, *self)
    }
}
