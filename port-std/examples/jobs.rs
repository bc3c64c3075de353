//! A concurrent port, driven from Erlang by `erlport_rs` (`port-std/erlang/src/erlport_rs.erl`):
//!
//! ```erlang
//! {ok, S} = erlport_rs:start_link("target/debug/examples/jobs", [{allow, [{lists, reverse}]}]),
//! 3 = erlport_rs:call(S, add, [1, 2]),
//! 100 = erlport_rs:call(S, sleep, [100]),          % 32 of these at once take 0.1 s, not 3.2
//! {ok, [3, 2, 1]} = erlport_rs:call(S, erlang_apply, [lists, reverse, [[1, 2, 3]]]),
//! done = erlport_rs:call(S, progress, [3]).        % after {erlport_rs, S, Ref, 1}, 2 and 3
//! ```
//!
//! Handlers: `sleep(Ms)` returns `Ms` after sleeping; `add(A, B)`; `divide(A, B)` (a panic
//! on zero answers only its own call); `erlang_apply(M, F, Args)` calls `M:F(Args...)` in
//! Erlang (when allowed) and returns `{ok, Value}` or `{error, Reason}`; `progress(N)` sends
//! `1..=N` to its caller, then returns `done`. `--threads N` bounds the handlers at once;
//! `--async` serves the same handlers as `async fn`s on tokio (feature `tokio`). The other
//! options are the examples' own (`--packet`, `--fds`, `--compressed`, ...).

mod common;

use erlport::codec::Atom;
use erlport::{ConcurrentProtocol, Context, OwnedTerm};
use std::io::Write;
use std::time::Duration;

fn main() {
    let (port, options) = common::port_and_concurrency(4);
    let mut proto = ConcurrentProtocol::new();
    if let Some(n) = options.threads {
        proto.concurrency(n);
    }
    if options.asynchronous {
        asynchronous(&mut proto);
    } else {
        threaded(&mut proto);
    }
    // `run` logs what stopped it.
    if proto.run(port).is_err() {
        std::process::exit(1);
    }
}

/// The handlers, on the pool of threads.
fn threaded<W: Write + Send + 'static>(proto: &mut ConcurrentProtocol<W>) {
    proto.handle("sleep", |ms: u64| {
        std::thread::sleep(Duration::from_millis(ms));
        ms
    });
    proto.handle("add", |a: i64, b: i64| a.wrapping_add(b));
    proto.handle("divide", |a: i64, b: i64| a / b);
    proto.handle("erlang_apply", |ctx: Context, module: String, function: String, args: Vec<OwnedTerm>| {
        ctx.call::<OwnedTerm>(&module, &function, args)
    });
    proto.handle("progress", |ctx: Context, n: u32| {
        for i in 1..=n {
            if let Err(e) = ctx.progress(&i) {
                log::warn!("progress {i}: {e}");
                break;
            }
        }
        Atom::new("done")
    });
}

/// The same handlers as `async fn`s on tokio.
#[cfg(feature = "tokio")]
fn asynchronous<W: Write + Send + 'static>(proto: &mut ConcurrentProtocol<W>) {
    proto.handle_async("sleep", |ms: u64| async move {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        ms
    });
    proto.handle_async("add", |a: i64, b: i64| async move { a.wrapping_add(b) });
    proto.handle_async("divide", |a: i64, b: i64| async move { a / b });
    proto.handle_async(
        "erlang_apply",
        |ctx: Context, module: String, function: String, args: Vec<OwnedTerm>| async move {
            ctx.call_async::<OwnedTerm>(&module, &function, args).await
        },
    );
    proto.handle_async("progress", |ctx: Context, n: u32| async move {
        for i in 1..=n {
            if let Err(e) = ctx.progress(&i) {
                log::warn!("progress {i}: {e}");
                break;
            }
        }
        Atom::new("done")
    });
}

#[cfg(not(feature = "tokio"))]
fn asynchronous<W: Write + Send + 'static>(_: &mut ConcurrentProtocol<W>) {
    log::error!("--async needs the `tokio` feature: cargo build --features tokio --example jobs");
    std::process::exit(2);
}
