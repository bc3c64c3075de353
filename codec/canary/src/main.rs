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
    core::hint::black_box(sum);
    loop {}
}
