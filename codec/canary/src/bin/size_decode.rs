//! Decode only (validation and the view), for the stack budget of decoding: the same input as
//! size_decode_walk, a count of the map's pairs as the result.
#![no_std]
#![no_main]

use erlport_codec::{Term, decode};

fn work() -> i64 {
    let input = core::hint::black_box(erlport_codec_canary::SMALL_MAP);
    match decode(&input) {
        Ok(Term::Map(map)) => map.len() as i64,
        _ => -1,
    }
}

#[cortex_m_rt::entry]
fn main() -> ! {
    erlport_codec_canary::measure(work, 3)
}
