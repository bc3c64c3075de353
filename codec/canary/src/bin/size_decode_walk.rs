//! Decode a term and walk all of it: every leaf counted, integers summed.
#![no_std]
#![no_main]

use erlport_codec::{Term, Visit, decode};

fn work() -> i64 {
    let input = core::hint::black_box(erlport_codec_canary::SMALL_MAP);
    let Ok(term) = decode(&input) else { return -1 };
    let mut total = 0;
    for step in term.walk() {
        if let Visit::Leaf(leaf) = step {
            total += match leaf {
                Term::Integer(n) => n,
                _ => 1000,
            };
        }
    }
    total
}

#[cortex_m_rt::entry]
fn main() -> ! {
    // Six other leaves (three keys, a binary, true, 2.5) and 1 + 2 + 300.
    erlport_codec_canary::measure(work, 6303)
}
