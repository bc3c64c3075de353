//! Once warm, a port reads and writes messages without allocating (plain and compressed),
//! counted by a global allocator.

use erlport::codec::{Atom, Compression, encode_to_vec, encode_to_vec_compressed};
use erlport::{PacketSize, Port};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: forwarding the caller's layout to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: as for `realloc` on the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn count() -> usize {
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn read_and_write_allocate_nothing_once_warm() {
    for compressed in [false, true] {
        let message = (Atom::new("data"), vec![7u32; 300], "payload");
        let body = if compressed {
            encode_to_vec_compressed(&message, Compression::DEFAULT).unwrap()
        } else {
            encode_to_vec(&message).unwrap()
        };
        assert_eq!(body[1] == 80, compressed);
        let mut input = Vec::new();
        for _ in 0..1000 {
            input.extend((body.len() as u32).to_be_bytes());
            input.extend(&body);
        }
        let mut port = Port::new(&input[..], std::io::sink(), PacketSize::Four);
        if compressed {
            port = port.compressed(Compression::DEFAULT);
        }
        let reply = (Atom::new("ok"), vec![1u8; 500]);
        // Warm up: buffers reach their sizes, the inflater and deflater are made.
        for _ in 0..10 {
            assert!(port.read().unwrap().is_some());
            port.write(&reply).unwrap();
        }
        let before = count();
        let mut messages = 0;
        while let Some(term) = port.read().unwrap() {
            assert!(term.as_tuple().is_some());
            port.write(&reply).unwrap();
            messages += 1;
        }
        let allocations = count() - before;
        eprintln!("compressed {compressed}: {messages} messages read and written, {allocations} allocations");
        assert_eq!(messages, 990);
        assert_eq!(allocations, 0);
    }
}
