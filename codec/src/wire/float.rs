//! `FLOAT_EXT`'s 31-byte text, read as ERTS reads it.

use super::*;

/// Parses the 31-byte text of a `FLOAT_EXT` as ERTS does: `[+-]digits[.,]digits[(e|E)[+-]digits]`
/// ended by a NUL inside the field (bytes after the NUL are ignored), finite. Underflow gives
/// zero, overflow is refused.
#[inline(never)]
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
    // The shape is right: digits (at most 29) around the radix point, a decimal exponent.
    let mut digits = [0u8; 30];
    let mut ndigits = 0;
    let mut fraction = 0i32;
    let mut exp10 = 0i32;
    let mut negative_exp = false;
    let mut in_exponent = false;
    for (at, &b) in text.iter().enumerate() {
        match b {
            b'0'..=b'9' if in_exponent => exp10 = (exp10 * 10 + i32::from(b - b'0')).min(1_000_000),
            b'0'..=b'9' => {
                if let Some(slot) = digits.get_mut(ndigits) {
                    *slot = b;
                    ndigits += 1;
                }
                if at > radix {
                    fraction += 1;
                }
            }
            b'e' | b'E' => in_exponent = true,
            b'-' if in_exponent => negative_exp = true,
            _ => {}
        }
    }
    let exp10 = if negative_exp { -exp10 } else { exp10 } - fraction;
    decimal::to_f64(text.first() == Some(&b'-'), &digits[..ndigits], exp10)
}

/// The value of a `FLOAT_EXT` field that validation accepted.
pub(crate) fn float_text_value(field: &[u8]) -> f64 {
    parse_float_text(field).unwrap_or(0.0)
}
