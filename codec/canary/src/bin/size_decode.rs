//! Decode only (validation and the view), for the stack budget of decoding: the same input as
//! size_decode_walk, a count of the map's pairs as the result.
#![no_std]
#![no_main]

use erlport_codec::{Term, decode};

/// term_to_binary(#{name => <<"sensor">>, values => [1, 2, 300], ok => {true, 2.5}}), OTP 25.
const INPUT: [u8; 71] = [
    131, 116, 0, 0, 0, 3, 100, 0, 4, 110, 97, 109, 101, 109, 0, 0, 0, 6, 115, 101, 110, 115, 111, 114, 100, 0, 2, 111,
    107, 104, 2, 100, 0, 4, 116, 114, 117, 101, 70, 64, 4, 0, 0, 0, 0, 0, 0, 100, 0, 6, 118, 97, 108, 117, 101, 115,
    108, 0, 0, 0, 3, 97, 1, 97, 2, 98, 0, 0, 1, 44, 106,
];

fn work() -> i64 {
    let input = core::hint::black_box(INPUT);
    match decode(&input) {
        Ok(Term::Map(map)) => map.len() as i64,
        _ => -1,
    }
}

#[cortex_m_rt::entry]
fn main() -> ! {
    erlport_codec_canary::measure(work, 3)
}
