//! Handlers that do what real code sometimes does, and what erlport makes of it:
//!
//! - `print(Text)`: `println!` from a handler. stdout is protected (fd 1 points at stderr
//!   while the port owns the original stdout), so the text lands on stderr and the framing
//!   stays intact. Replies `ok`.
//! - `background_panic()`: a thread the handler spawns panics. That panic is not the
//!   handler's: it is printed to stderr by the usual hook. Replies `ok`.
//! - `fail(Text)`: panics with Text; an exception longer than the packet size is cut to fit
//!   and says so.
//! - `bytes(N)`: a binary of N bytes; one longer than the packet size is answered with
//!   `{error, {reply_too_large, Len, Max}}`.
//! - `size(Binary)`: the size of its argument (for large requests).
//!
//! Packet 4 over stdio by default; `--packet 1|2`, `--fds`, `--compressed N`, `--max-packet N`.

mod common;

use erlport::Protocol;
use erlport::codec::Atom;

fn main() {
    let port = common::port_from_args(4);
    let mut proto = Protocol::new();
    proto.handle("print", |text: String| {
        println!("{text}");
        Atom::new("ok")
    });
    proto.handle("background_panic", || {
        let thread = std::thread::spawn(|| panic!("a panic outside any handler"));
        let _ = thread.join();
        Atom::new("ok")
    });
    proto.handle("fail", |text: String| -> Atom<'static> { panic!("{text}") });
    // A binary (a `Vec<u8>` would be a list).
    proto.handle("bytes", |n: usize| serde_bytes::ByteBuf::from(vec![b'x'; n.min(1 << 30)]));
    // A binary taken as bytes, not as a `Vec<u8>` read element by element (as a list would
    // be): 256 MB in 0.1 s instead of 18 s in a debug build.
    proto.handle("size", |bytes: serde_bytes::ByteBuf| bytes.len());
    if proto.run(port).is_err() {
        std::process::exit(1);
    }
}
