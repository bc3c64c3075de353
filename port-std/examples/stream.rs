//! A generator: `{count, N}` makes the port send `{item, 1}` ... `{item, N}` as separate
//! messages, then reply `done`. Messages written outside the request/reply rhythm go through a
//! `Sender`, which also works from other threads.
//!
//! Packet 4 over stdio by default; `--packet 1|2`, `--fds`, `--compressed N`.

mod common;

use erlport::Protocol;
use erlport::codec::Atom;

fn main() {
    let port = common::port_from_args(4);
    let sender = port.sender();
    let mut proto = Protocol::new();
    proto.handle("count", move |n: u32| {
        for i in 1..=n {
            if let Err(e) = sender.send(&(Atom::new("item"), i)) {
                // The output is gone: the reply will not get through either, and `run` ends.
                log::error!("item {i} of {n}: {e}");
                return Atom::new("failed");
            }
        }
        Atom::new("done")
    });
    // `run` logs what stopped it (env_logger, to stderr); exit nonzero after that.
    if proto.run(port).is_err() {
        std::process::exit(1);
    }
}
