//! Decimal text to `f64`, correctly rounded (round half to even, as Rust's and C's parsers
//! do), for the one shape `FLOAT_EXT` carries: at most 29 significant digits and a decimal
//! exponent. Exact big-integer arithmetic on 32-bit words instead of core's general parser,
//! whose tables alone take about 13 KB of flash.

/// Words of a big number: enough for 10^(29 + 344) scaled by 2^60, the largest quotient or
/// divisor below (about 1,300 bits).
const WORDS: usize = 44;

/// A non-negative integer in little-endian 32-bit words.
#[derive(Clone, Copy)]
struct Big {
    words: [u32; WORDS],
    len: usize,
}

impl Big {
    fn from_u32(v: u32) -> Big {
        let mut big = Big { words: [0; WORDS], len: 0 };
        if v != 0 {
            big.words[0] = v;
            big.len = 1;
        }
        big
    }

    /// `self * 10 + digit`.
    fn push_digit(&mut self, digit: u32) {
        self.mul_small(10);
        let mut carry = digit;
        for word in &mut self.words[..self.len] {
            let (sum, over) = word.overflowing_add(carry);
            *word = sum;
            carry = u32::from(over);
            if carry == 0 {
                break;
            }
        }
        if carry != 0 && self.len < WORDS {
            self.words[self.len] = carry;
            self.len += 1;
        }
    }

    /// Multiplies by a small factor in place.
    fn mul_small(&mut self, factor: u32) {
        let mut carry = 0u64;
        for word in &mut self.words[..self.len] {
            let product = u64::from(*word) * u64::from(factor) + carry;
            *word = product as u32;
            carry = product >> 32;
        }
        if carry != 0 && self.len < WORDS {
            self.words[self.len] = carry as u32;
            self.len += 1;
        }
    }

    /// Multiplies by 10^n.
    fn mul_pow10(&mut self, mut n: u32) {
        while n >= 9 {
            self.mul_small(1_000_000_000);
            n -= 9;
        }
        let mut rest = 1u32;
        for _ in 0..n {
            rest *= 10;
        }
        self.mul_small(rest);
    }

    fn bits(&self) -> u32 {
        match self.len {
            0 => 0,
            n => 32 * n as u32 - self.words[n - 1].leading_zeros(),
        }
    }

    fn shl(&mut self, shift: u32) {
        let (words, bits) = ((shift / 32) as usize, shift % 32);
        if self.len == 0 {
            return;
        }
        let new_len = (self.len + words + 1).min(WORDS);
        for i in (0..new_len).rev() {
            let lo = i.checked_sub(words).and_then(|j| self.words.get(j).copied()).unwrap_or(0);
            let lo2 = i.checked_sub(words + 1).and_then(|j| self.words.get(j).copied()).unwrap_or(0);
            self.words[i] = if bits == 0 { lo } else { lo << bits | lo2 >> (32 - bits) };
        }
        self.len = new_len;
        while self.len > 0 && self.words[self.len - 1] == 0 {
            self.len -= 1;
        }
    }

    fn cmp(&self, other: &Big) -> core::cmp::Ordering {
        self.len
            .cmp(&other.len)
            .then_with(|| self.words[..self.len].iter().rev().cmp(other.words[..other.len].iter().rev()))
    }

    fn sub(&mut self, other: &Big) {
        let mut borrow = 0i64;
        for i in 0..self.len {
            let d = i64::from(self.words[i]) - i64::from(other.words.get(i).copied().unwrap_or(0)) - borrow;
            self.words[i] = d as u32;
            borrow = i64::from(d < 0);
        }
        while self.len > 0 && self.words[self.len - 1] == 0 {
            self.len -= 1;
        }
    }

    fn is_zero(&self) -> bool {
        self.len == 0
    }
}

/// The `f64` nearest to the decimal `digits` (ASCII, at most 29 significant) × 10^`exp10`,
/// ties to even; `None` when it is beyond the largest finite `f64` (Rust's parser gives
/// infinity there).
#[inline(never)]
pub(crate) fn to_f64(negative: bool, digits: &[u8], exp10: i32) -> Option<f64> {
    let sign = if negative { 1u64 << 63 } else { 0 };
    let digits = match digits.iter().position(|&d| d != b'0') {
        Some(first) => &digits[first..],
        None => return Some(f64::from_bits(sign)),
    };
    let ndigits = digits.len() as i32;
    // Beyond 10^310 every value is infinite; below 10^-343 every value rounds to zero.
    if ndigits + exp10 > 310 {
        return None;
    }
    if ndigits + exp10 < -343 {
        return Some(f64::from_bits(sign));
    }
    let mut num = Big::from_u32(0);
    for &d in digits {
        num.push_digit(u32::from(d - b'0'));
    }
    // value = num / den exactly.
    let mut den = Big::from_u32(1);
    if exp10 >= 0 {
        num.mul_pow10(exp10 as u32);
    } else {
        den.mul_pow10(exp10.unsigned_abs());
    }
    // Scale so the quotient has 56 or 57 bits: num / den * 2^scale.
    let scale = 56 - (num.bits() as i32 - den.bits() as i32);
    if scale > 0 {
        num.shl(scale as u32);
    } else {
        den.shl((-scale) as u32);
    }
    // Long division, one bit at a time: the quotient has at most 58 bits.
    let mut quotient = 0u64;
    let top = num.bits().saturating_sub(den.bits()) + 1;
    for bit in (0..top).rev() {
        let mut shifted = den;
        shifted.shl(bit);
        quotient <<= 1;
        if num.cmp(&shifted) != core::cmp::Ordering::Less {
            num.sub(&shifted);
            quotient |= 1;
        }
    }
    let sticky = !num.is_zero();
    // value = quotient * 2^-scale (+ a remainder when sticky).
    let qbits = 64 - quotient.leading_zeros() as i32;
    let lead = qbits - 1 - scale; // the binary exponent of the leading bit
    // Keep 53 bits, fewer below the normal range (the last bit has weight 2^-1074 at least).
    let lsb = (lead - 52).max(-1074);
    let drop = lsb + scale; // bits of the quotient below the kept ones (at least 4 here)
    if drop >= 64 {
        return Some(f64::from_bits(sign));
    }
    let drop = drop as u32;
    let mut kept = quotient >> drop;
    let rest = quotient & ((1u64 << drop) - 1);
    let half = 1u64 << (drop - 1);
    if rest > half || (rest == half && (sticky || kept & 1 == 1)) {
        kept += 1;
    }
    let mut lsb = lsb;
    if kept == 1 << 53 {
        kept >>= 1;
        lsb += 1;
    }
    let bits = if kept >= 1 << 52 {
        let biased = lsb + 52 + 1023;
        if biased >= 2047 {
            return None;
        }
        (biased as u64) << 52 | (kept - (1 << 52))
    } else {
        // Subnormal (lsb is -1074); a carry into bit 52 above gives the smallest normal.
        kept
    };
    Some(f64::from_bits(sign | bits))
}

#[cfg(test)]
mod tests {
    use super::to_f64;
    extern crate std;
    use std::format;
    use std::string::String;

    fn check(negative: bool, digits: u128, exp10: i32) {
        let text = format!("{}{}e{}", if negative { "-" } else { "" }, digits, exp10);
        let want: f64 = text.parse().unwrap();
        // With leading zeros too, as FLOAT_EXT text may have them.
        let ascii = format!("00{digits}");
        let got = to_f64(negative, ascii.as_bytes(), exp10);
        if want.is_infinite() {
            assert_eq!(got, None, "{text}");
        } else {
            assert_eq!(got.map(f64::to_bits), Some(want.to_bits()), "{text}: got {got:?}, want {want:e}");
        }
    }

    #[test]
    fn agrees_with_rusts_parser_on_hard_cases() {
        let cases: [(u128, i32); 16] = [
            (1, 0),
            (17976931348623157, 292),  // the largest finite f64
            (17976931348623159, 292),  // just beyond: rounds to infinity
            (4940656458412465, -339),  // the smallest subnormal
            (2470328229206232, -339),  // half of it, just below: rounds to zero
            (2470328229206233, -339),  // just above half: the smallest subnormal
            (22250738585072011, -324), // near the smallest normal
            (22250738585072014, -324),
            (9007199254740993, 0), // 2^53 + 1: a tie, to even
            (9007199254740995, 0),
            (7450580596923828125, -27), // 2^-27 exactly
            (1, 308),
            (1, -323),
            (99999999999999999999999999999, 280),
            (99999999999999999999999999999, -352),
            (123456789012345678901234567, -20),
        ];
        for (digits, exp10) in cases {
            check(false, digits, exp10);
            check(true, digits, exp10);
        }
        assert_eq!(to_f64(true, b"000", 5).map(f64::to_bits), Some((-0.0f64).to_bits()));
    }

    #[test]
    fn agrees_with_rusts_parser_on_random_values() {
        // A small xorshift: digits of every length, exponents across the whole range and
        // beyond, values built next to halfway points of f64s.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..200_000 {
            let len = next() % 29 + 1;
            let mut digits = 0u128;
            for _ in 0..len {
                digits = digits * 10 + u128::from(next() % 10);
            }
            let exp10 = (next() % 720) as i32 - 370;
            check(next() & 1 == 1, digits, exp10);
        }
        // Exact halfway points between neighbouring f64s, (2m + 1) * 2^(e - 1): ties, to even.
        for _ in 0..20_000 {
            let m = u128::from((next() % (1 << 53)) | (1 << 52));
            let e = (next() % 50) as i32 - 9;
            let tie = 2 * m + 1;
            if e >= 1 {
                check(false, tie << (e - 1), 0);
            } else {
                let k = (1 - e) as u32;
                check(false, tie * 5u128.pow(k), -(k as i32));
            }
        }
        // Next to the shortest text of random f64s.
        for _ in 0..20_000 {
            let x = f64::from_bits(next() % 0x7FE0_0000_0000_0000);
            let text: String = format!("{:e}", x);
            let (mantissa, exp) = text.split_once('e').unwrap();
            let exp: i32 = exp.parse().unwrap();
            let frac = mantissa.split_once('.').map_or(0, |(_, f)| f.len() as i32);
            let digits: u128 = mantissa.replace('.', "").parse().unwrap();
            if digits < 10u128.pow(27) {
                for d in [digits * 100 - 1, digits * 100, digits * 100 + 1, digits * 100 + 50] {
                    check(false, d, exp - frac - 2);
                }
            }
        }
    }
}
