//! `Display` in Erlang syntax, exactly as `io_lib:format("~w", [T])` writes it on OTP 25
//! (pids, ports, references and funs in their usual `~w` shapes too).
//!
//! Printing recurses into containers up to [`MAX_DISPLAY_DEPTH`] levels; deeper terms are
//! written as `...`, so printing any term is safe on any stack.

use crate::term::{Atom, BigInt, BitBinary, Map, Term};
use core::fmt::{self, Write};

/// How many containers deep `Display` goes before it writes `...` for the rest.
pub const MAX_DISPLAY_DEPTH: usize = 100;

impl fmt::Display for Term<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_term(f, self, 0)
    }
}

fn write_term(f: &mut fmt::Formatter<'_>, term: &Term<'_>, depth: usize) -> fmt::Result {
    if depth >= MAX_DISPLAY_DEPTH {
        return f.write_str("...");
    }
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
        Term::List(list) => {
            f.write_char('[')?;
            let mut iter = list.iter();
            let mut first = true;
            for element in iter.by_ref() {
                if !first {
                    f.write_char(',')?;
                }
                first = false;
                write_term(f, &element, depth + 1)?;
            }
            let tail = iter.tail();
            if !matches!(tail, Term::Nil) {
                f.write_char('|')?;
                write_term(f, &tail, depth + 1)?;
            }
            f.write_char(']')
        }
        Term::Tuple(tuple) => {
            f.write_char('{')?;
            for (i, element) in tuple.iter().enumerate() {
                if i > 0 {
                    f.write_char(',')?;
                }
                write_term(f, &element, depth + 1)?;
            }
            f.write_char('}')
        }
        Term::Map(map) => {
            f.write_str("#{")?;
            if map.len() <= SORTED_MAP_KEYS {
                // Erlang keeps maps of up to 32 keys sorted by key and prints them so,
                // whatever order they were written in.
                let mut pairs: heapless::Vec<(Term<'_>, Term<'_>), SORTED_MAP_KEYS> = map.iter().collect();
                sort_pairs(&mut pairs);
                for (i, (key, value)) in pairs.iter().enumerate() {
                    write_pair(f, i, key, value, depth)?;
                }
            } else {
                // Larger maps: `~w` walks ERTS's hash trie with a map iterator, the reverse of
                // the order term_to_binary writes it in.
                write_pairs_reversed(f, map, depth)?;
            }
            f.write_char('}')
        }
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
        Term::Fun(fun) => {
            f.write_str("#Fun<")?;
            write_atom(f, fun.module())?;
            write!(f, ".{}.{}>", fun.old_index(), fun.old_uniq())
        }
        Term::Export(export) => {
            f.write_str("fun ")?;
            write_atom(f, export.module())?;
            f.write_char(':')?;
            write_atom(f, export.function())?;
            write!(f, "/{}", export.arity())
        }
    }
}

/// Maps up to this size are kept sorted by key inside ERTS (flatmaps).
const SORTED_MAP_KEYS: usize = 32;

fn write_pair(f: &mut fmt::Formatter<'_>, i: usize, key: &Term<'_>, value: &Term<'_>, depth: usize) -> fmt::Result {
    if i > 0 {
        f.write_char(',')?;
    }
    write_term(f, key, depth + 1)?;
    f.write_str(" => ")?;
    write_term(f, value, depth + 1)
}

/// Insertion sort by exact key order (at most 32 keys). A comparison that cannot be made
/// (keys nested too deep for a build without `alloc`) leaves the pair where it is.
fn sort_pairs(pairs: &mut [(Term<'_>, Term<'_>)]) {
    for i in 1..pairs.len() {
        let mut j = i;
        while j > 0 && pairs[j - 1].0.exact_cmp(&pairs[j].0) == Ok(core::cmp::Ordering::Greater) {
            pairs.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Pairs of a large map, last first. With `alloc`, one pass records where each pair starts;
/// without it, checkpoints every `stride` pairs (64 of them) bound the rescans, so maps of up
/// to 4096 pairs print in O(n) and larger ones in O(n * n / 4096).
fn write_pairs_reversed(f: &mut fmt::Formatter<'_>, map: &Map<'_>, depth: usize) -> fmt::Result {
    #[cfg(feature = "alloc")]
    {
        let pairs: alloc::vec::Vec<(Term<'_>, Term<'_>)> = map.iter().collect();
        for (i, (key, value)) in pairs.iter().rev().enumerate() {
            write_pair(f, i, key, value, depth)?;
        }
        Ok(())
    }
    #[cfg(not(feature = "alloc"))]
    {
        const SLOTS: usize = 64;
        let n = map.len();
        let stride = n.div_ceil(SLOTS).max(1);
        let mut checkpoints: heapless::Vec<crate::term::Pairs<'_>, SLOTS> = heapless::Vec::new();
        let mut iter = map.iter();
        loop {
            if checkpoints.push(iter.clone()).is_err() {
                break;
            }
            if iter.by_ref().take(stride).count() < stride {
                break;
            }
        }
        let mut written = 0;
        for start in checkpoints.iter().rev() {
            let chunk = start.clone().take(stride).count();
            for back in (0..chunk).rev() {
                let Some((key, value)) = start.clone().nth(back) else { continue };
                write_pair(f, written, &key, &value, depth)?;
                written += 1;
            }
        }
        Ok(())
    }
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
    let whole = &bytes[..bytes.len().saturating_sub(1)];
    let n = bits.bits_in_last_byte();
    f.write_str("<<")?;
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
