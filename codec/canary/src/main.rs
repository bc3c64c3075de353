//! Links the codec into a bare-metal program: no std, no allocator, no runtime.
#![no_std]
#![no_main]

use core::panic::PanicInfo;
use erlport_codec::{Term, decode};

#[panic_handler]
fn panic(_: &PanicInfo) -> ! {
    loop {}
}

/// The entry point a bare-metal target jumps to: decode a term and walk it.
#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    // term_to_binary({ok, [1, 2]})
    let bytes = [131u8, 104, 2, 119, 2, b'o', b'k', 107, 0, 2, 1, 2];
    let mut sum = 0i64;
    if let Ok(Term::Tuple(tuple)) = decode(&bytes) {
        for element in tuple.iter() {
            if let Term::List(list) = element {
                sum += list.iter().filter_map(|t| t.as_i64()).sum::<i64>();
            }
        }
    }
    #[cfg(feature = "embedded-io")]
    {
        sum += packet_round_trip();
    }
    core::hint::black_box(sum);
    loop {}
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
