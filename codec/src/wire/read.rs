//! The header reader: what the term at the start of some bytes is (nom 8 streaming
//! parsers), with a fast path for validated bytes.

use super::*;

/// Reads the header of the term at the start of `input`: what it is and the header's length
/// (the whole term's length for leaves).
#[cfg_attr(not(target_os = "none"), inline(always))]
pub(crate) fn read(input: &[u8]) -> Result<(Head<'_>, usize), WireError> {
    match read_fast(input) {
        Some(read) => Ok(read),
        None => read_slow(input),
    }
}

/// [`read`] for the shapes Erlang writes most, by one jump on the tag, without the parser's
/// machinery; `None` for the rest and for every error. Callers on hot paths use it with a
/// fallback out of line, so the header stays in registers.
#[cfg_attr(not(target_os = "none"), inline(always))]
pub(crate) fn read_fast(input: &[u8]) -> Option<(Head<'_>, usize)> {
    if let Some((&tag, body)) = input.split_first() {
        match tag {
            SMALL_INTEGER_EXT => {
                if let [v, ..] = body {
                    return Some((Head::Int(Int::Small(i64::from(*v))), 2));
                }
            }
            INTEGER_EXT => {
                if let Some(v) = body.first_chunk::<4>() {
                    return Some((Head::Int(Int::Small(i64::from(i32::from_be_bytes(*v)))), 5));
                }
            }
            NEW_FLOAT_EXT => {
                if let Some(v) = body.first_chunk::<8>() {
                    return Some((Head::Float(f64::from_be_bytes(*v)), 9));
                }
            }
            // Latin-1 atoms (what OTP 25 writes for every atom), when whole and not too long.
            ATOM_EXT => {
                if let [0, n, rest @ ..] = body
                    && let Some(bytes) = rest.get(..usize::from(*n))
                {
                    return Some((Head::Atom(AtomText { bytes, utf8: false }), 3 + bytes.len()));
                }
            }
            SMALL_ATOM_EXT | SMALL_ATOM_UTF8_EXT => {
                if let [n, rest @ ..] = body
                    && let Some(bytes) = rest.get(..usize::from(*n))
                {
                    let utf8 = tag == SMALL_ATOM_UTF8_EXT;
                    return Some((Head::Atom(AtomText { bytes, utf8 }), 2 + bytes.len()));
                }
            }
            SMALL_TUPLE_EXT => {
                if let [n, ..] = body {
                    return Some((Head::Tuple(u32::from(*n)), 2));
                }
            }
            NIL_EXT => return Some((Head::Nil, 1)),
            MAP_EXT => {
                if let Some(n) = body.first_chunk::<4>() {
                    return Some((Head::Map(u32::from_be_bytes(*n)), 5));
                }
            }
            LIST_EXT => {
                if let Some(n) = body.first_chunk::<4>() {
                    return Some((Head::List(u32::from_be_bytes(*n)), 5));
                }
            }
            BINARY_EXT => {
                if let Some((n, rest)) = body.split_first_chunk::<4>()
                    && let Some(bytes) = rest.get(..u32::from_be_bytes(*n) as usize)
                {
                    return Some((Head::Bits { bytes, bits: 8 }, 5 + bytes.len()));
                }
            }
            STRING_EXT => {
                if let Some((n, rest)) = body.split_first_chunk::<2>()
                    && let Some(bytes) = rest.get(..usize::from(u16::from_be_bytes(*n)))
                {
                    return Some((Head::String(bytes), 3 + bytes.len()));
                }
            }
            SMALL_BIG_EXT => {
                if let [n, sign, rest @ ..] = body
                    && let Some(magnitude) = rest.get(..usize::from(*n))
                {
                    return Some((Head::Int(big(*sign != 0, magnitude)), 3 + magnitude.len()));
                }
            }
            _ => {}
        }
    }
    None
}

/// [`read`] for the layouts without a fast path, and for every error.
#[inline(never)]
pub(super) fn read_slow(input: &[u8]) -> Result<(Head<'_>, usize), WireError> {
    match term_head(input) {
        Ok((rest, head)) => Ok((head, input.len() - rest.len())),
        Err(nom::Err::Incomplete(Needed::Size(n))) => Err(WireError::Incomplete(n.get())),
        Err(nom::Err::Incomplete(Needed::Unknown)) => Err(WireError::Incomplete(1)),
        Err(nom::Err::Error(f) | nom::Err::Failure(f)) => Err(WireError::Invalid {
            kind: f.kind,
            offset: input.len() - f.at.len(),
            tag: f.at.first().copied().unwrap_or(0),
        }),
    }
}

/// The header reader: one arm per tag.
pub(super) fn term_head(input: &[u8]) -> Parsed<'_, Head<'_>> {
    let (i, tag) = be_u8(input)?;
    match tag {
        SMALL_INTEGER_EXT | INTEGER_EXT | SMALL_BIG_EXT | LARGE_BIG_EXT => {
            let (rest, value) = integer(input)?;
            Ok((rest, Head::Int(value)))
        }
        NEW_FLOAT_EXT => {
            let (i, bits) = be_u64(i)?;
            Ok((i, Head::Float(f64::from_bits(bits))))
        }
        FLOAT_EXT => {
            let (i, text) = take(FLOAT_TEXT_LEN)(i)?;
            Ok((i, Head::FloatText(text)))
        }
        ATOM_EXT | SMALL_ATOM_EXT | ATOM_UTF8_EXT | SMALL_ATOM_UTF8_EXT => {
            let (i, text) = atom(input)?;
            Ok((i, Head::Atom(text)))
        }
        ATOM_INTERNAL_REF2 | ATOM_INTERNAL_REF3 | COMPRESSED | FUN_EXT | LOCAL_EXT | DIST_HEADER | ATOM_CACHE_REF => {
            fail(DecodeErrorKind::UnsupportedTag, input)
        }
        BINARY_EXT => {
            let (i, len) = be_u32(i)?;
            let (i, bytes) = take(len)(i)?;
            Ok((i, Head::Bits { bytes, bits: 8 }))
        }
        BIT_BINARY_EXT => {
            let (i, len) = be_u32(i)?;
            let (i, bits) = be_u8(i)?;
            if bits > 8 || (bits == 0) != (len == 0) {
                return fail(DecodeErrorKind::BadBitCount { bits }, input);
            }
            let (i, bytes) = take(len)(i)?;
            Ok((i, Head::Bits { bytes, bits }))
        }
        NIL_EXT => Ok((i, Head::Nil)),
        STRING_EXT => {
            let (i, len) = be_u16(i)?;
            let (i, bytes) = take(len)(i)?;
            Ok((i, Head::String(bytes)))
        }
        LIST_EXT => {
            let (i, len) = be_u32(i)?;
            Ok((i, Head::List(len)))
        }
        SMALL_TUPLE_EXT => {
            let (i, arity) = be_u8(i)?;
            Ok((i, Head::Tuple(u32::from(arity))))
        }
        LARGE_TUPLE_EXT => {
            let (i, arity) = be_u32(i)?;
            Ok((i, Head::Tuple(arity)))
        }
        MAP_EXT => {
            let (i, pairs) = be_u32(i)?;
            Ok((i, Head::Map(pairs)))
        }
        NEW_PID_EXT | PID_EXT => {
            let (rest, _) = pid(input)?;
            Ok((rest, Head::Pid(&input[..input.len() - rest.len()])))
        }
        NEW_PORT_EXT | V4_PORT_EXT | PORT_EXT => {
            let (rest, _) = port(input)?;
            Ok((rest, Head::Port(&input[..input.len() - rest.len()])))
        }
        NEWER_REFERENCE_EXT | NEW_REFERENCE_EXT | REFERENCE_EXT => {
            let (rest, _) = reference(input)?;
            Ok((rest, Head::Reference(&input[..input.len() - rest.len()])))
        }
        EXPORT_EXT => {
            let (rest, _) = export(input)?;
            Ok((rest, Head::Export(&input[..input.len() - rest.len()])))
        }
        NEW_FUN_EXT => {
            let (rest, fields) = fun(input)?;
            Ok((rest, Head::Fun { header: &input[..input.len() - rest.len()], free: fields.free }))
        }
        _ => fail(DecodeErrorKind::UnknownTag, input),
    }
}

/// An atom term (any of the four atom tags); the index tags are refused here too.
pub(crate) fn atom(input: &[u8]) -> Parsed<'_, AtomText<'_>> {
    let (i, tag) = be_u8(input)?;
    let (i, len, utf8) = match tag {
        ATOM_EXT | ATOM_UTF8_EXT => {
            let (i, len) = be_u16(i)?;
            (i, usize::from(len), tag == ATOM_UTF8_EXT)
        }
        SMALL_ATOM_EXT | SMALL_ATOM_UTF8_EXT => {
            let (i, len) = be_u8(i)?;
            (i, usize::from(len), tag == SMALL_ATOM_UTF8_EXT)
        }
        ATOM_INTERNAL_REF2 | ATOM_INTERNAL_REF3 => return fail(DecodeErrorKind::UnsupportedTag, input),
        _ => return fail(DecodeErrorKind::ExpectedAtom, input),
    };
    if len > if utf8 { MAX_ATOM_UTF8_BYTES } else { MAX_ATOM_CHARS } {
        return fail(DecodeErrorKind::AtomTooLong, input);
    }
    let (i, bytes) = take(len)(i)?;
    Ok((i, AtomText { bytes, utf8 }))
}
