//! Decode a compressed term (term_to_binary(lists:duplicate(100, 7), [compressed])) with an
//! inflater and a scratch buffer the program keeps, and walk it.
#![no_std]
#![no_main]

use erlport_codec::{Decoder, Inflater, Term};

const INPUT: [u8; 20] = [131, 80, 0, 0, 0, 103, 120, 156, 203, 102, 72, 97, 167, 3, 0, 0, 220, 254, 3, 140];

fn work(inflater: &mut Inflater) -> i64 {
    let input = core::hint::black_box(INPUT);
    let mut scratch = [0u8; 128];
    match Decoder::new().scratch(&mut scratch).inflater(inflater).decode(&input) {
        Ok(Term::List(list)) => list.iter().filter_map(|t| t.as_i64()).sum(),
        Ok(_) => -2,
        Err(_) => -1,
    }
}

#[cortex_m_rt::entry]
fn main() -> ! {
    // The program keeps the inflater (here in main's frame, outside what is measured).
    let mut kept = Inflater::new();
    let inflater = &mut kept;
    erlport_codec_canary::measure(move || work(inflater), 700)
}
