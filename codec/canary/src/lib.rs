//! What the size programs (`src/bin/size_*.rs`) share: run a piece of work, measure the stack
//! it used, and
//! report both through semihosting. `scripts/size` builds the programs, reads their flash from
//! the ELF, runs them under QEMU and checks the budgets.
#![no_std]

use cortex_m_semihosting::{debug, hio};

unsafe extern "C" {
    /// The end of static RAM (cortex-m-rt's linker script): the stack grows down towards it.
    static __ebss: u32;
}

const PAINT: u32 = 0xC0DE_C0DE;

/// `term_to_binary(#{name => <<"sensor">>, values => [1, 2, 300], ok => {true, 2.5}})` on
/// OTP 25: the input of the decode programs.
pub const SMALL_MAP: [u8; 71] = [
    131, 116, 0, 0, 0, 3, 100, 0, 4, 110, 97, 109, 101, 109, 0, 0, 0, 6, 115, 101, 110, 115, 111, 114, 100, 0, 2, 111,
    107, 104, 2, 100, 0, 4, 116, 114, 117, 101, 70, 64, 4, 0, 0, 0, 0, 0, 0, 100, 0, 6, 118, 97, 108, 117, 101, 115,
    108, 0, 0, 0, 3, 97, 1, 97, 2, 98, 0, 0, 1, 44, 106,
];

/// How the stack is measured: RAM below the caller's frame is painted, then `work` runs with
/// the SysTick interrupt firing every few dozen instructions (QEMU runs with `-icount`, so
/// instructions and timer ticks keep step). Every interrupt stacks 32 bytes at the current
/// stack pointer, so the deepest word written below the starting frame is, to within the few
/// instructions between two ticks, the deepest the stack pointer went: stack reserved by a
/// frame counts even where the work never writes it.
fn start_ticks() {
    const SYST_CSR: usize = 0xE000_E010;
    const SYST_RVR: usize = 0xE000_E014;
    const SYST_CVR: usize = 0xE000_E018;
    // SAFETY: the SysTick registers of every Cortex-M; this program owns the core.
    unsafe {
        core::ptr::write_volatile(SYST_RVR as *mut u32, 20);
        core::ptr::write_volatile(SYST_CVR as *mut u32, 0);
        // Enabled, interrupt on, processor clock.
        core::ptr::write_volatile(SYST_CSR as *mut u32, 0b111);
    }
}

fn stop_ticks() {
    // SAFETY: as in `start_ticks`.
    unsafe { core::ptr::write_volatile(0xE000_E010 as *mut u32, 0) };
}

static TICKS: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);

#[cortex_m_rt::exception]
fn SysTick() {
    use core::sync::atomic::Ordering::Relaxed;
    TICKS.store(TICKS.load(Relaxed) + 1, Relaxed);
}

/// Runs `work` and reports `stack <bytes> result <value>`, then exits (status 0 when `work`
/// gave `want`).
#[inline(never)]
pub fn measure(work: impl FnOnce() -> i64, want: i64) -> ! {
    let marker = 0u32;
    let here = core::ptr::addr_of!(marker) as usize;
    // Only the address of the linker symbol is taken.
    let bottom = core::ptr::addr_of!(__ebss) as usize;
    // Leave room for this frame and paint's own.
    let top = (here - 256) & !3;
    paint(bottom, top);
    start_ticks();
    let result = call(work);
    stop_ticks();
    let lowest = lowest_touched(bottom, top);
    let used = here - lowest;
    let mut line = [0u8; 96];
    let mut n = 0;
    let ticks = TICKS.load(core::sync::atomic::Ordering::Relaxed);
    for part in [
        &b"stack "[..],
        &decimal(used as i64),
        b" result ",
        &decimal(result),
        b" ticks ",
        &decimal(i64::from(ticks)),
        b"\n",
    ] {
        let part = trim(part);
        line[n..n + part.len()].copy_from_slice(part);
        n += part.len();
    }
    if let Ok(mut out) = hio::hstdout() {
        let _ = out.write_all(&line[..n]);
    }
    debug::exit(if result == want { debug::EXIT_SUCCESS } else { debug::EXIT_FAILURE });
    #[allow(clippy::empty_loop)]
    loop {}
}

/// Runs `work` in a frame of its own, below this harness's: all of its stack is measured (with
/// the little of `measure`'s frame below its marker, which the baseline program shows).
#[inline(never)]
fn call(work: impl FnOnce() -> i64) -> i64 {
    core::hint::black_box(work)()
}

#[inline(never)]
fn paint(bottom: usize, top: usize) {
    let mut at = bottom;
    while at < top {
        // SAFETY: between the end of static RAM and below the live stack: unused memory.
        unsafe { core::ptr::write_volatile(at as *mut u32, PAINT) };
        at += 4;
    }
}

fn lowest_touched(bottom: usize, top: usize) -> usize {
    let mut at = bottom;
    // SAFETY: reads of the region painted above.
    while at < top && unsafe { core::ptr::read_volatile(at as *const u32) } == PAINT {
        at += 4;
    }
    at
}

/// `value` in decimal, right-aligned in 20 bytes with leading NULs (trimmed by `trim`).
fn decimal(value: i64) -> [u8; 20] {
    let mut out = [0u8; 20];
    let mut v = value.unsigned_abs();
    let mut i = out.len();
    loop {
        i -= 1;
        out[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if value < 0 {
        i -= 1;
        out[i] = b'-';
    }
    out
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// A panic is a failure: report it and stop.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    if let Ok(mut out) = hio::hstdout() {
        let _ = out.write_all(b"panic\n");
    }
    debug::exit(debug::EXIT_FAILURE);
    #[allow(clippy::empty_loop)]
    loop {}
}
