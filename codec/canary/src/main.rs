//! Links the codec into a bare-metal program for a Cortex-M4F: no std, no allocator. It
//! decodes and walks a term and, with the `embedded-io` feature, sends a `{packet, 2}` round
//! trip through `packet::write` and `packet::read`; then it reports through semihosting, so
//! it runs under QEMU (`scripts/canary`, run by `scripts/test`): exit status 0 when every
//! result is the expected one.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use erlport_codec::{Term, decode};
// The panic handler: report and exit with a failure.
use erlport_codec_canary as _;

#[entry]
fn main() -> ! {
    // term_to_binary({ok, [1, 2]})
    let bytes = core::hint::black_box([131u8, 104, 2, 119, 2, b'o', b'k', 107, 0, 2, 1, 2]);
    let mut sum = 0i64;
    if let Ok(Term::Tuple(tuple)) = decode(&bytes) {
        for element in tuple.iter() {
            if let Term::List(list) = element {
                sum += list.iter().filter_map(|t| t.as_i64()).sum::<i64>();
            }
        }
    }
    let decoded = check("decode and walk {ok, [1, 2]}", sum, 3);
    #[cfg(feature = "embedded-io")]
    let decoded = decoded & check("{packet, 2} round trip of {ok, 40}", packet_round_trip(), 40);
    let ok = decoded;
    debug::exit(if ok { debug::EXIT_SUCCESS } else { debug::EXIT_FAILURE });
    loop {}
}

fn check(what: &str, got: i64, want: i64) -> bool {
    hprintln!("canary: {}: {} (want {})", what, got, want);
    got == want
}

/// `{packet, 2}` out through an `embedded_io::Write` and back through an `embedded_io::Read`.
#[cfg(feature = "embedded-io")]
fn packet_round_trip() -> i64 {
    use erlport_codec::{
        Atom,
        packet::{self, PacketSize},
    };
    let mut wire = [0u8; 32];
    let mut scratch = [0u8; 32];
    let mut out = &mut wire[..];
    if packet::write(&mut out, PacketSize::Two, &(Atom::new("ok"), core::hint::black_box(40)), &mut scratch).is_err() {
        return -1;
    }
    let mut input = &wire[..];
    let mut buf = [0u8; 32];
    match packet::read(&mut input, PacketSize::Two, &mut buf) {
        Ok(Some(body)) => match decode(body) {
            Ok(Term::Tuple(tuple)) => tuple.iter().filter_map(|t| t.as_i64()).sum(),
            _ => -1,
        },
        _ => -1,
    }
}
