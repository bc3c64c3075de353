//! A key-value store with typed handlers: see `store.rs` for the requests and replies.
//!
//! Packet 4 over stdio by default; `--nil` for Elixir callers; `--packet 1|2`, `--fds`, ...

#[path = "../common/mod.rs"]
mod common;
mod store;

fn main() {
    let port = common::port_from_args(4);
    // `run` logs what stopped it (env_logger, to stderr); exit nonzero after that.
    if store::protocol().run(port).is_err() {
        std::process::exit(1);
    }
}
