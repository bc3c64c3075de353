//! Integers: small, 32-bit and big, and their values.

use super::*;

/// An integer term (any of the four integer tags).
pub(crate) fn integer(input: &[u8]) -> Parsed<'_, Int<'_>> {
    let (i, tag) = be_u8(input)?;
    match tag {
        SMALL_INTEGER_EXT => {
            let (i, v) = be_u8(i)?;
            Ok((i, Int::Small(i64::from(v))))
        }
        INTEGER_EXT => {
            let (i, v) = be_u32(i)?;
            Ok((i, Int::Small(i64::from(v as i32))))
        }
        SMALL_BIG_EXT | LARGE_BIG_EXT => {
            let (i, len) = if tag == SMALL_BIG_EXT {
                let (i, n) = be_u8(i)?;
                (i, u32::from(n))
            } else {
                be_u32(i)?
            };
            if len > MAX_BIG_BYTES {
                return fail(DecodeErrorKind::BigTooLarge, input);
            }
            let (i, sign) = be_u8(i)?;
            let (i, magnitude) = take(len)(i)?;
            Ok((i, big(sign != 0, magnitude)))
        }
        _ => fail(DecodeErrorKind::ExpectedSmallInteger, input),
    }
}

/// An integer from a sign and a little-endian magnitude (high zero bytes allowed).
pub(crate) fn big(negative: bool, magnitude: &[u8]) -> Int<'_> {
    let magnitude = strip_high_zeros(magnitude);
    match big_to_i64(negative, magnitude) {
        Some(value) => Int::Small(value),
        None => Int::Big { negative, magnitude },
    }
}

/// The magnitude without its most significant zero bytes.
pub(crate) fn strip_high_zeros(mut magnitude: &[u8]) -> &[u8] {
    while let [rest @ .., 0] = magnitude {
        magnitude = rest;
    }
    magnitude
}

/// The value of a sign and magnitude, if it fits an `i64`.
pub(crate) fn big_to_i64(negative: bool, magnitude: &[u8]) -> Option<i64> {
    let magnitude = strip_high_zeros(magnitude);
    let le: [u8; 8] = pad(magnitude)?;
    let value = u64::from_le_bytes(le);
    if negative {
        if value <= 1 << 63 { Some((value as i64).wrapping_neg()) } else { None }
    } else {
        i64::try_from(value).ok()
    }
}

/// The value of a sign and magnitude, if it fits an `i128`.
pub(crate) fn big_to_i128(negative: bool, magnitude: &[u8]) -> Option<i128> {
    let le: [u8; 16] = pad(strip_high_zeros(magnitude))?;
    let value = u128::from_le_bytes(le);
    if negative {
        if value <= 1 << 127 { Some((value as i128).wrapping_neg()) } else { None }
    } else {
        i128::try_from(value).ok()
    }
}

pub(super) fn pad<const N: usize>(magnitude: &[u8]) -> Option<[u8; N]> {
    let mut le = [0u8; N];
    le.get_mut(..magnitude.len())?.copy_from_slice(magnitude);
    Some(le)
}
