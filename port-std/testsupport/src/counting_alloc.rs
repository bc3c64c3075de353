//! A global allocator that counts the allocations (and reallocations) made on the current
//! thread, the largest one, and the bytes live, for the tests that prove code paths allocate
//! nothing or bounded amounts. A test installs it with
//! `#[global_allocator] static GLOBAL: Counting = Counting;`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, Ordering};

/// Bytes allocated and not freed, by every thread.
static ALL_LIVE: AtomicIsize = AtomicIsize::new(0);

/// The counting allocator: the system allocator, counted.
pub struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
    /// Bytes allocated minus bytes freed on this thread.
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

fn record(grow: usize, shrink: usize) {
    ALL_LIVE.fetch_add(grow as isize - shrink as isize, Ordering::Relaxed);
    ALLOCATIONS.with(|n| n.set(n.get() + 1));
    LARGEST.with(|n| n.set(n.get().max(grow)));
    LIVE.with(|n| n.set(n.get() + grow as isize - shrink as isize));
}

// SAFETY: every method forwards to the system allocator unchanged; counting touches only a
// thread-local integer.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size(), 0);
        // SAFETY: forwarding the caller's layout to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        ALL_LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        LIVE.with(|n| n.set(n.get() - layout.size() as isize));
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(new_size, layout.size());
        // SAFETY: as for `realloc` on the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Allocations made on this thread so far.
pub fn count() -> usize {
    ALLOCATIONS.with(Cell::get)
}

/// Allocations made on this thread while `f` runs.
pub fn allocations_in(f: impl FnOnce()) -> usize {
    let before = count();
    f();
    count() - before
}

/// The largest single allocation (or reallocation) made on this thread while `f` runs.
pub fn largest_in(f: impl FnOnce()) -> usize {
    let outer = LARGEST.with(|n| n.replace(0));
    f();
    let largest = LARGEST.with(Cell::get);
    LARGEST.with(|n| n.set(outer.max(largest)));
    largest
}

/// Bytes allocated and not yet freed on this thread (allocations minus frees since it started;
/// memory freed here that another thread allocated makes it lower).
pub fn live_bytes() -> isize {
    LIVE.with(Cell::get)
}

/// Bytes allocated and not yet freed by every thread of the process.
pub fn live_bytes_all_threads() -> isize {
    ALL_LIVE.load(Ordering::Relaxed)
}
