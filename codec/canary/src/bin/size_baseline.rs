//! The harness alone (vector table, reset, stack measurement, semihosting report): its flash is
//! subtracted from the other programs' to give what the codec costs.
#![no_std]
#![no_main]

#[cortex_m_rt::entry]
fn main() -> ! {
    erlport_codec_canary::measure(|| core::hint::black_box(7), 7)
}
