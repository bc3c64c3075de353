//! The erlport hello world: `hello:hello("Bob")` in Erlang gives `{ok, "Hello, Bob"}`.
//! Also `divide(A, B)`, which panics on B = 0 (the reply is an exception, the port goes on).
//!
//! Packet 1 over stdio by default, as erlport's Python example; `--packet 2|4`, `--fds`,
//! `--compressed N` for the other setups. The Erlang side is `hello.erl` next to this file.

mod common;

use erlport::Protocol;
use erlport::codec::ErlString;

fn main() {
    let mut proto = Protocol::new();
    proto.handle("hello", |name: String| ErlString(format!("Hello, {name}")));
    proto.handle("divide", |a: i64, b: i64| a / b);
    // `run` logs what stopped it (env_logger, to stderr); exit nonzero after that.
    if proto.run(common::port_from_args(1)).is_err() {
        std::process::exit(1);
    }
}
