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
//! `1..=N` to its caller, then returns `done` (`cancelled` when its caller died or gave up);
//! `atom(Name)` returns the atom `Name`, and `progress_atom(Name)` sends it as progress, then
//! returns `done` (for the tests of atoms a node does not know); `progress_binaries(N, Size)`
//! sends `N` binaries of `Size` bytes as progress, then returns `done`.
//!
//! Messages both ways: a message to the server (`S ! Msg` or `erlport_rs:cast(S, Msg)`) that is
//! `{echo, To, M}` sends `M` to `To`; `{keep, M}` keeps `M`, and `kept()` returns the
//! messages kept (oldest first) and forgets them. `send(To, M)` sends `M` to `To`;
//! `send_count(To, N)` sends `1..=N`; `later(To, Ms, M)` returns `ok` and sends `M` `Ms`
//! later from a thread of its own (through an `Outbox`); `server()` returns the server's pid.
//!
//! Handles: `blob(Size)` keeps `Size` bytes in the program and returns a handle to them;
//! `blob_size(Handle)` reads it back; `blobs()` is the number of blobs alive. Released
//! blobs' memory goes back to the system (on glibc: one arena, and `malloc_trim` in
//! `on_release`).
//! `eprint(Text, N)` writes `Text` to stderr `N` times (one line each), and returns `ok`.
//!
//! `--threads N` bounds the
//! handlers at once; `--grace MS` is the grace period after the input ends; `--async` serves
//! the same handlers as `async fn`s on tokio (feature `tokio`). The other options are the
//! examples' own (`--packet`, `--fds`, `--compressed`, ...).

mod common;

use erlport::codec::Atom;
use erlport::{ConcurrentProtocol, Context, Handle, OwnedTerm};
use serde::{Deserialize, Serialize, Serializer};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// An atom named at run time.
struct AtomNamed(String);

impl Serialize for AtomNamed {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Atom::new(&self.0).serialize(s)
    }
}

/// `1..=n` to the caller; `done`, or `cancelled` when the caller went away meanwhile.
fn count(ctx: &Context, n: u32) -> Atom<'static> {
    send_each(ctx, 1..=n)
}

/// `n` binaries of `size` bytes to the caller, as [`count`].
fn binaries(ctx: &Context, n: u32, size: usize) -> Atom<'static> {
    let binary = erlport::ByteBuf::from(vec![7u8; size]);
    send_each(ctx, (0..n).map(|_| &binary))
}

/// Each of `messages` to the caller; `done`, or `cancelled` when the caller went away.
fn send_each<T: serde::Serialize>(ctx: &Context, messages: impl IntoIterator<Item = T>) -> Atom<'static> {
    for (i, message) in messages.into_iter().enumerate() {
        match ctx.progress(&message) {
            Ok(()) => {}
            Err(erlport::Error::Cancelled) => return Atom::new("cancelled"),
            Err(e) => {
                log::warn!("progress {i}: {e}");
                break;
            }
        }
    }
    Atom::new("done")
}

fn main() {
    one_arena();
    let (port, options) = common::port_and_concurrency(4);
    let mut proto = ConcurrentProtocol::new();
    if let Some(n) = options.threads {
        proto.concurrency(n);
    }
    if let Some(ms) = options.grace_ms {
        proto.grace(Duration::from_millis(ms));
    }
    if options.asynchronous {
        asynchronous(&mut proto);
    } else {
        threaded(&mut proto);
    }
    messages(&mut proto);
    // `run` logs what stopped it.
    if proto.run(port).is_err() {
        std::process::exit(1);
    }
}

/// The messages the server forwards: their kinds, read through serde.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Info {
    /// `{echo, To, M}`: `M` goes to `To`.
    Echo(OwnedTerm, OwnedTerm),
    /// `{keep, M}`: kept for `kept()`.
    Keep(OwnedTerm),
}

/// Bytes kept in the program for Erlang (`blob`), counted while alive.
struct Blob(Vec<u8>);

static BLOBS: AtomicUsize = AtomicUsize::new(0);

impl Blob {
    fn new(size: usize) -> Self {
        BLOBS.fetch_add(1, Ordering::SeqCst);
        Blob(vec![7; size])
    }
}

impl Drop for Blob {
    fn drop(&mut self) {
        BLOBS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// One allocator arena for all threads: glibc gives each thread that allocates an arena of
/// its own (up to 8 per core), and `malloc_trim` returns only the free pages it can see
/// whole in them, so a burst of handler threads would keep megabytes of fragments after
/// its values are released. Calls are not slower with one (`jobs_test.escript bench`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn one_arena() {
    // SAFETY: mallopt takes no pointer; called before any other thread starts.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn one_arena() {}

/// Returns the allocator's free pages to the system.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim() {
    // SAFETY: malloc_trim takes no pointer and may be called at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() {}

/// Messages both ways, and handles (in both modes: these handlers are quick).
fn messages<W: Write + Send + 'static>(proto: &mut ConcurrentProtocol<W>) {
    let kept = Arc::new(Mutex::new(Vec::new()));
    let keep = Arc::clone(&kept);
    proto.on_message(move |ctx: Context, info: Info| match info {
        Info::Echo(to, message) => ctx.send(&to, &message),
        Info::Keep(message) => {
            keep.lock().unwrap_or_else(|p| p.into_inner()).push(message);
            Ok(())
        }
    });
    proto.handle("kept", move || std::mem::take(&mut *kept.lock().unwrap_or_else(|p| p.into_inner())));
    proto.handle("send", |ctx: Context, to: OwnedTerm, message: OwnedTerm| ctx.send(&to, &message));
    proto.handle("send_count", |ctx: Context, to: OwnedTerm, n: u32| (1..=n).try_for_each(|i| ctx.send(&to, &i)));
    proto.handle("server", |ctx: Context| ctx.server());
    proto.handle("blob", |ctx: Context, size: usize| ctx.keep(Blob::new(size)));
    proto.handle("blob_size", |blob: Handle<Blob>| blob.0.len());
    proto.handle("blobs", || BLOBS.load(Ordering::SeqCst));
    // Give the memory of released values back once none is held, or every 10,000.
    static RELEASED: AtomicUsize = AtomicUsize::new(0);
    proto.on_release(|released, held| {
        if held == 0 || RELEASED.fetch_add(released, Ordering::SeqCst) + released >= 10_000 {
            RELEASED.store(0, Ordering::SeqCst);
            trim();
        }
    });
    proto.handle("eprint", |text: String, n: u32| {
        (0..n).for_each(|_| eprintln!("{text}"));
        Atom::new("ok")
    });
    let outbox = proto.outbox();
    proto.handle("later", move |to: OwnedTerm, ms: u64, message: OwnedTerm| {
        let outbox = outbox.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(ms));
            if let Err(e) = outbox.send(&to, &message) {
                log::warn!("later: {e}");
            }
        });
        Atom::new("ok")
    });
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
    proto.handle("progress", |ctx: Context, n: u32| count(&ctx, n));
    proto.handle("progress_binaries", |ctx: Context, n: u32, size: usize| binaries(&ctx, n, size));
    proto.handle("atom", |name: String| AtomNamed(name));
    proto.handle("progress_atom", |ctx: Context, name: String| {
        ctx.progress(&AtomNamed(name)).map(|()| Atom::new("done"))
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
    proto.handle_async("progress", |ctx: Context, n: u32| async move { count(&ctx, n) });
    proto.handle_async("progress_binaries", |ctx: Context, n: u32, size: usize| async move { binaries(&ctx, n, size) });
    proto.handle_async("atom", |name: String| async move { AtomNamed(name) });
    proto.handle_async("progress_atom", |ctx: Context, name: String| async move {
        ctx.progress(&AtomNamed(name)).map(|()| Atom::new("done"))
    });
}

#[cfg(not(feature = "tokio"))]
fn asynchronous<W: Write + Send + 'static>(_: &mut ConcurrentProtocol<W>) {
    log::error!("--async needs the `tokio` feature: cargo build --features tokio --example jobs");
    std::process::exit(2);
}
