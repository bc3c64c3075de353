//! Encode a small term into a slice the program owns.
#![no_std]
#![no_main]

use erlport_codec::{Atom, encode};

fn work() -> i64 {
    let reading = core::hint::black_box((Atom::new("reading"), 42i64, [1u8, 2, 3], "sensor"));
    let mut buf = [0u8; 64];
    match encode(&reading, &mut buf) {
        Ok(n) => n as i64 + i64::from(buf[n - 1]),
        Err(_) => -1,
    }
}

#[cortex_m_rt::entry]
fn main() -> ! {
    // 33 bytes, the last one b'r'.
    erlport_codec_canary::measure(work, 33 + 114)
}
