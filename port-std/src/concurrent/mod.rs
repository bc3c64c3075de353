//! `ConcurrentProtocol`: calls with ids from Erlang, answered concurrently on a bounded pool
//! of threads (and, with the `tokio` feature, by `async` handlers), in completion order, with
//! progress messages and calls back into Erlang. The Erlang side is `erlport_rs`
//! (`port-std/erlang/`); the terms both sides exchange are in [`ConcurrentProtocol`]'s docs.
//!
//! - here: the builder (`handle`, `handle_async`, `run`) and the registered handlers.
//! - `params.rs`: a handler's parameters (arguments and its [`Context`]), and the call it answers.
//! - `messages.rs`: the wire terms (`{call, ..}`, `{cancel, ..}`, `{credit, ..}`, the hello).
//! - `outbox.rs`: [`Outbox`]: messages to Erlang processes from anywhere in the program.
//! - `handle.rs`: [`Handle`]: Rust values Erlang holds, freed with their owner.
//! - `stderr.rs`: the program's stderr forwarded to Erlang's `logger`, when asked.
//! - `server.rs`: one run: the threads, reading, answering, back-pressure.
//! - `shared.rs`: what the threads and every [`Context`] share: the pool's slots, the calls
//!   running, the calls into Erlang waiting.
//! - `context.rs`: [`Context`]: progress, cancellation, calls into Erlang.
//! - `tasks.rs`: `async` handlers as tokio tasks.

mod context;
mod handle;
mod messages;
mod outbox;
mod params;
mod server;
mod shared;
mod stderr;
#[cfg(feature = "tokio")]
mod tasks;

pub use context::{CallArgs, CallError, Context};
pub(crate) use context::{CallState, Window};
pub use handle::Handle;
pub use messages::PROTOCOL_VERSION;
pub use outbox::Outbox;
pub use params::{Param, ParamList};

use crate::dispatch::OwnedTerm;
use crate::dispatch::args::Args;
use crate::dispatch::handler::{Handler, Reply};
use crate::dispatch::{self, Caller, Failure, Outcome, install_panic_hook};
use crate::error::Error;
use crate::io::{Port, Reader, Sender, Tagged, Unpacker, error_reply};
use context::{Link, Pending};
use erlport_codec::{Atom, Term};
use messages::{Hello, Message, answer_id, call_tag, classify, hello_in_other_size, id_undecided, packet_mismatch};
use params::CallInfo;
use serde::de::DeserializeOwned;
use server::{HOLDS_ROLE, HOLDS_SLOT, Server, Speed, TOOK, WAITED};
use shared::{Pool, Shared, State};
use std::cell::OnceCell;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long handlers still running when the input ends get to finish before the program
/// exits, unless told otherwise ([`ConcurrentProtocol::grace`]).
pub const DEFAULT_GRACE: Duration = Duration::from_secs(5);

/// How many `{cancel, Id}` for calls not running (yet) are remembered.
const EARLY_CANCELS: usize = 1024;

/// How many handlers a [`ConcurrentProtocol`] runs at once unless told otherwise
/// ([`ConcurrentProtocol::concurrency`]).
pub const DEFAULT_CONCURRENCY: usize = 64;

/// How many handlers may wait for Erlang ([`Context::call`]) at once; past it a call fails
/// at once with [`CallError::Busy`]. A waiting handler holds a thread but no slot.
pub const MAX_WAITING: usize = 1024;

type SyncCall<W> = Box<dyn for<'a> Fn(Args<'a>, &CallInfo<'a>, &Sender<W>) -> Outcome + Send + Sync>;

#[cfg(feature = "tokio")]
type Answer<W> = Box<dyn FnOnce(&Sender<W>, Option<Term<'_>>) -> Result<(), Error> + Send>;
#[cfg(feature = "tokio")]
type AsyncCall<W> = Box<
    dyn for<'a> Fn(
            Args<'a>,
            &CallInfo<'a>,
        ) -> Result<std::pin::Pin<Box<dyn std::future::Future<Output = Answer<W>> + Send>>, Failure>
        + Send
        + Sync,
>;

enum Entry<W> {
    Sync(SyncCall<W>),
    #[cfg(feature = "tokio")]
    Async(AsyncCall<W>),
}

/// A registered handler, and how fast it proved.
struct Registered<W> {
    entry: Entry<W>,
    speed: Speed,
}

/// Handlers that answer calls concurrently: Erlang's `erlport_rs` (in `port-std/erlang/`)
/// calls them by name with request ids, and the replies go back tagged with their id in the
/// order they finish.
///
/// ```no_run
/// use erlport::{ConcurrentProtocol, Context, PacketSize, Port};
/// use std::time::Duration;
///
/// fn main() -> Result<(), erlport::Error> {
///     let mut proto = ConcurrentProtocol::new();
///     proto.handle("add", |a: i64, b: i64| a + b);
///     proto.handle("sleep", |ms: u64| {
///         std::thread::sleep(Duration::from_millis(ms));
///         ms
///     });
///     proto.handle("progress", |ctx: Context, n: u32| {
///         (1..=n).try_for_each(|i| ctx.progress(&i)).map(|()| erlport::codec::Atom::new("done"))
///     });
///     proto.run(Port::stdio(PacketSize::Four)?)
/// }
/// ```
///
/// ## The terms
///
/// Every packet is one term (the bytes of `term_to_binary`), in `{packet, N}` frames.
/// `Id` is any term Erlang chooses for a call and gets back unchanged; `RustId` is a
/// non-negative integer Rust chooses for a call into Erlang.
///
/// | Direction | Term | Meaning |
/// |---|---|---|
/// | Erlang → Rust | `{call, Id, Name, Args}` | call handler `Name` (an atom) with the list `Args` |
/// | Rust → Erlang | `{reply, Id, Value}` | the handler's value (`Result`: `{ok, T}` / `{error, E}`), or an error below |
/// | Rust → Erlang | `{progress, Id, Message}` | a message from the handler to its caller ([`Context::progress`]), before its reply |
/// | Erlang → Rust | `{cast, Name, Args}` | run handler `Name`; no reply, no progress |
/// | Rust → Erlang | `{call, RustId, Module, Function, Args}` | a handler calls `Module:Function(Args...)` ([`Context::call`]) |
/// | Erlang → Rust | `{reply, RustId, {ok, Value}}` | what it returned |
/// | Erlang → Rust | `{reply, RustId, {error, Reason}}` | `{not_allowed, {M, F, Arity}}`, `{exception, Class, Reason}`, `timeout` |
/// | Rust → Erlang | `{error, Reason}` | a packet with no id to answer: not a term, over the size limit, not one of the terms above |
/// | Erlang → Rust | `{hello, 1, #{progress_window => N, progress_bytes => B, server => Pid, stderr => true}}` | first, from `erlport_rs`: the [version](PROTOCOL_VERSION), the progress window (at most `N` messages and about `B` bytes of each call's progress on their way; absent: no flow control), the server's pid ([`Context::server`]), and whether to forward stderr |
/// | Rust → Erlang | `{stderr, Lines}` | lines the program wrote to stderr (binaries, without their newline), when the hello asked for it: fd 2 is then a pipe read by a thread of this crate |
/// | Rust → Erlang | `{hello, 1, #{concurrency => C, grace => Ms, max_packet => Max}}` | the answer (`{hello, 1, {error, {packet, N}}}` framed as Erlang frames, when this port reads `{packet, N}` with another `N`: then `run` returns an error) |
/// | Erlang → Rust | `{cancel, Id}` | the caller of call `Id` died or gave up: [`Context::is_cancelled`]; an `async` handler is dropped |
/// | Erlang → Rust | `{credit, Id, N}` | the oldest `N` progress messages of call `Id` on their way were taken: as many more may go ([`Context::progress`]) |
/// | Erlang → Rust | `{message, Msg}` | a message sent to the server that is not a call (`Server ! Msg`, `erlport_rs:cast(Server, Msg)`), for the [message handler](ConcurrentProtocol::on_message) |
/// | Rust → Erlang | `{keep, Id, HandleId}` | a handler of call `Id` kept a value ([`Context::keep`]): its caller owns it |
/// | Erlang → Rust | `{release, [HandleId]}` | their owner died, or `erlport_rs:release/2`: the values are dropped |
/// | Rust → Erlang | `{send, To, Message}` | send `Message` to `To`, a pid, a registered name or `{global, Name}` ([`Context::send`], [`Outbox::send`]), where the server's `send` option allows it |
///
/// A client that sends no hello gets no flow control and no cancellation it did not ask for:
/// the protocol is the one above without those rows.
///
/// A call refused whole (over the size limit, or not a valid term after its `Id`) is answered
/// `{reply, Id, {error, Reason}}` when the start of the packet holds its `Id` (the first 256
/// bytes, for a packet over the limit), so its caller gets the error at once; an answer to a
/// call from Rust refused whole gives that call [`CallError::Erlang`] with the reason.
///
/// The errors a call can get back as `Value`, as in [`Protocol::run`](crate::Protocol::run):
/// `{error, undef}` (no such handler), `{error, badarg}` (`Name` not an atom, `Args` not a
/// proper list), `{error, {function_clause, <<"why">>}}` (arguments that do not fit; the
/// bare `function_clause` with [`function_clause_reason(false)`](ConcurrentProtocol::function_clause_reason)),
/// `{error, {exception, {panic, Message, Trace}}}`, `{error, {reply_too_large, Len, Max}}`,
/// `{error, {encode, Why}}`.
///
/// ## Threads
///
/// At most [`concurrency`](ConcurrentProtocol::concurrency) handlers run at once (default
/// [`DEFAULT_CONCURRENCY`]). When all are busy the port stops reading, so Erlang's
/// `port_command` waits: back-pressure, not a growing queue. Threads are started as they
/// are needed, one packet is read at a time by whichever thread is free, and the thread that
/// read a call runs it (no hand-over on the way); after a burst, a thread that waited 2 s to
/// read ends, but for the reader and one spare. A handler waiting for Erlang in
/// [`Context::call`] frees its slot while it waits, so calls nested to any depth (Erlang →
/// Rust → Erlang → ...) never wait for each other; at most [`MAX_WAITING`] wait at once.
///
/// A handler whose last runs all computed in under 50 µs, and that never waited for Erlang,
/// runs on the reading thread itself, as [`Protocol`](crate::Protocol) runs every handler:
/// no hand-over to another thread. One slow run (over 1 ms) or one wait, and it never does
/// again. While the next request is already buffered, replies are gathered and written
/// together; before reading could block, they go.
///
/// ## Lifetime
///
/// When the input ends (Erlang closed the port or stopped its server, or its VM died) or the
/// output is gone, every running call is cancelled ([`Context::is_cancelled`]) and the
/// handlers get the [grace period](ConcurrentProtocol::grace); then `run` returns, or, if
/// some are still running, the process exits. [`Port::stdio`](crate::Port::stdio) and
/// [`Port::fds`](crate::Port::fds) also ask Linux to kill the program when its parent (the
/// VM's port helper) dies.
pub struct ConcurrentProtocol<W> {
    handlers: HashMap<String, Registered<W>>,
    on_message: Option<Registered<W>>,
    outbox: Outbox,
    concurrency: usize,
    function_clause_reason: bool,
    on_release: Option<handle::OnRelease>,
    grace: Duration,
    #[cfg(feature = "tokio")]
    runtime: Option<tokio::runtime::Handle>,
}

impl<W: Write + Send + 'static> Default for ConcurrentProtocol<W> {
    fn default() -> Self {
        ConcurrentProtocol::new()
    }
}

impl<W: Write + Send + 'static> ConcurrentProtocol<W> {
    /// No handlers yet, [`DEFAULT_CONCURRENCY`] at once.
    pub fn new() -> Self {
        ConcurrentProtocol {
            handlers: HashMap::new(),
            on_message: None,
            outbox: Outbox::default(),
            concurrency: DEFAULT_CONCURRENCY,
            function_clause_reason: true,
            on_release: None,
            grace: DEFAULT_GRACE,
            #[cfg(feature = "tokio")]
            runtime: None,
        }
    }

    /// How long handlers still running when the input ends (Erlang closed the port, called
    /// `erlport_rs:stop`, or its VM died) or the output is gone get to finish; default
    /// [`DEFAULT_GRACE`]. They are told at once ([`Context::is_cancelled`]); once the
    /// grace period is over, the process exits (`std::process::exit(0)`, after a warning in
    /// the log), so no program outlives the node that started it by more than this. `erlport_rs`
    /// learns it in the hello, and its `stop` waits this long (and a second more) before it
    /// kills the program.
    pub fn grace(&mut self, grace: Duration) -> &mut Self {
        self.grace = grace;
        self
    }

    /// Runs at most `n` handlers at once (at least 1).
    pub fn concurrency(&mut self, n: usize) -> &mut Self {
        self.concurrency = n.max(1);
        self
    }

    /// As [`Protocol::function_clause_reason`](crate::Protocol::function_clause_reason), but
    /// on by default: arguments that do not fit are answered
    /// `{error, {function_clause, <<"argument 2 of 2: expected an integer, found the atom a">>}}`.
    /// `false` gives erlport's bare `{error, function_clause}`.
    pub fn function_clause_reason(&mut self, yes: bool) -> &mut Self {
        self.function_clause_reason = yes;
        self
    }

    /// Registers `handler` for calls and casts named `name`. Its parameters are the call's
    /// arguments (any owned `Deserialize` type, read as [`Protocol::handle`](crate::Protocol::handle)
    /// reads them), and a [`Context`] anywhere among them if it wants one. Its value (any
    /// `Serialize` type; `Result` replies `{ok, T}` / `{error, E}`) is the reply. It may run
    /// on any thread of the pool, so it is `Send + Sync`: shared state goes in an
    /// `Arc<Mutex<..>>` it captures.
    pub fn handle<P, H>(&mut self, name: &str, handler: H) -> &mut Self
    where
        P: ParamList,
        H: Handler<P> + Send + Sync,
        H::Output: Reply,
    {
        self.handlers
            .insert(name.to_string(), Registered { entry: Entry::Sync(sync(handler)), speed: Speed::default() });
        self
    }

    /// Registers `handler` for the messages sent to the `erlport_rs` server that are not
    /// calls: `Server ! Msg` and `erlport_rs:cast(Server, Msg)` (Erlang writes
    /// `{message, Msg}`). Its parameters are as [`handle`](ConcurrentProtocol::handle)'s, with
    /// one argument, the message, read into any owned `Deserialize` type (an enum whose
    /// variants are the messages' kinds, [`OwnedTerm`] for any term), and a [`Context`] if it
    /// wants one (with no caller: [`Context::send`] answers). Its value is dropped; a message
    /// that does not fit its type is logged and dropped, as a cast's arguments are. Without
    /// one, messages are dropped.
    ///
    /// ```
    /// use erlport::{ConcurrentProtocol, Context, OwnedTerm};
    /// use serde::Deserialize;
    ///
    /// #[derive(Deserialize)]
    /// #[serde(rename_all = "snake_case")]
    /// enum Info {
    ///     Ping(OwnedTerm), // {ping, From}
    ///     Tick,            // tick
    /// }
    ///
    /// let mut proto = ConcurrentProtocol::<Vec<u8>>::new();
    /// proto.on_message(|ctx: Context, info: Info| match info {
    ///     Info::Ping(from) => ctx.send(&from, &erlport::codec::Atom::new("pong")),
    ///     Info::Tick => Ok(()),
    /// });
    /// ```
    pub fn on_message<P, H>(&mut self, handler: H) -> &mut Self
    where
        P: ParamList,
        H: Handler<P> + Send + Sync,
        H::Output: Reply,
    {
        self.on_message = Some(Registered { entry: Entry::Sync(sync(handler)), speed: Speed::default() });
        self
    }

    /// Runs `hook(released, held)` after the values of released handles ([`Handle`]) were
    /// dropped: `released` of them, `held` still held. For a program that wants the memory
    /// they took back in the system at once (glibc keeps freed pages for its next
    /// allocations): call `malloc_trim` (or your allocator's purge) here, for instance when
    /// `held` is 0 or every few thousand `released`. On glibc, ask for one arena too
    /// (`mallopt(M_ARENA_MAX, 1)` at start, or `MALLOC_ARENA_MAX=1`): each thread that
    /// allocates otherwise gets an arena of its own, where `malloc_trim` leaves fragments.
    /// The `jobs` example does both.
    pub fn on_release(&mut self, hook: impl Fn(usize, usize) + Send + Sync + 'static) -> &mut Self {
        self.on_release = Some(Arc::new(hook));
        self
    }

    /// A handle that sends messages to Erlang processes from anywhere in the program (a
    /// thread of its own, a timer), as [`Context::send`] does from a handler: it works while
    /// [`run`](ConcurrentProtocol::run) serves the port.
    pub fn outbox(&self) -> Outbox {
        self.outbox.clone()
    }

    /// Registers an `async` handler (feature `tokio`): `handler` returns a future, run as a
    /// task on the tokio runtime ([`ConcurrentProtocol::runtime`]). Parameters and replies
    /// as [`handle`](ConcurrentProtocol::handle); in it, call Erlang with
    /// [`Context::call_async`]. The [`concurrency`](ConcurrentProtocol::concurrency) bound
    /// counts its tasks too.
    ///
    /// ```
    /// use erlport::{ConcurrentProtocol, Context};
    /// use std::time::Duration;
    ///
    /// let mut proto = ConcurrentProtocol::<Vec<u8>>::new();
    /// proto.handle_async("sleep", |ms: u64| async move {
    ///     tokio::time::sleep(Duration::from_millis(ms)).await;
    ///     ms
    /// });
    /// proto.handle_async("reverse", |ctx: Context, items: Vec<i64>| async move {
    ///     ctx.call_async::<Vec<i64>>("lists", "reverse", (items,)).await
    /// });
    /// ```
    #[cfg(feature = "tokio")]
    pub fn handle_async<P, H, F>(&mut self, name: &str, handler: H) -> &mut Self
    where
        P: ParamList,
        H: Handler<P, Output = F> + Send + Sync,
        F: std::future::Future + Send + 'static,
        F::Output: Reply + Send,
    {
        let call: AsyncCall<W> = Box::new(move |args, call| {
            let params = P::read(&args, call)?;
            let future = handler.call(params);
            Ok(Box::pin(async move {
                let value = future.await;
                let answer: Answer<W> = Box::new(move |out: &Sender<W>, tag: Option<Term<'_>>| {
                    dispatch::send_reply(out, Caller::concurrent(tag), &value)
                });
                answer
            }))
        });
        self.handlers.insert(name.to_string(), Registered { entry: Entry::Async(call), speed: Speed::default() });
        self
    }

    /// The tokio runtime `async` handlers run on (feature `tokio`). Without one, `run` uses
    /// the runtime it is called from, if any, or starts a multi-threaded one of its own.
    #[cfg(feature = "tokio")]
    pub fn runtime(&mut self, handle: tokio::runtime::Handle) -> &mut Self {
        self.runtime = Some(handle);
        self
    }

    /// Serves `port` until Erlang closes it, answering calls concurrently (see the table
    /// above). Returns when the input has ended and every handler that was running has
    /// finished; calls into Erlang still waiting then get [`CallError::Closed`]. Errors as
    /// [`Protocol::run`](crate::Protocol::run): only what ends the stream is returned.
    pub fn run<R: Read + Send>(&mut self, port: Port<R, W>) -> Result<(), Error> {
        install_panic_hook();
        let sender = port.sender();
        let Port { mut reader, .. } = port;
        // A hello framed with another packet size than ours: say so in theirs, and stop.
        let ours = reader.packet_size();
        if let Some(theirs) = hello_in_other_size(ours, reader.peek()) {
            return Err(packet_mismatch(&sender, theirs, ours));
        }
        let inflate_limit = reader.inflate_limit;
        let hello = Hello {
            max_packet: reader.max_packet(),
            concurrency: self.concurrency,
            grace_ms: u64::try_from(self.grace.as_millis()).unwrap_or(u64::MAX),
        };
        let shared = Arc::new(Shared {
            pool: Pool {
                state: Mutex::new(State::default()),
                changed: Condvar::new(),
                slot: Condvar::new(),
                role: Condvar::new(),
                limit: self.concurrency,
            },
            pending: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            sender,
            inflate_limit,
            running: Mutex::new(HashMap::new()),
            early_cancels: Mutex::new(std::collections::VecDeque::new()),
            window: Mutex::new(None),
            closed: AtomicBool::new(false),
            output_gone: AtomicBool::new(false),
            hello,
            grace: self.grace,
            on_release: self.on_release.clone(),
            server: Mutex::new(None),
            held: Mutex::new(HashMap::new()),
            next_handle: AtomicU64::new(0),
            handle_ids: std::hash::RandomState::new(),
        });
        #[cfg(feature = "tokio")]
        let (_owned_runtime, runtime) = self.tokio_runtime()?;
        self.outbox.connect(Some(Arc::clone(&shared) as Arc<dyn Link>));
        let server = Server {
            handlers: &self.handlers,
            on_message: self.on_message.as_ref(),
            shared: &shared,
            link: Arc::clone(&shared) as Arc<dyn Link>,
            reader: Mutex::new(reader),
            function_clause_reason: self.function_clause_reason,
            #[cfg(feature = "tokio")]
            runtime,
        };
        let result = server.serve();
        self.outbox.connect(None);
        #[cfg(feature = "tokio")]
        if let Some(runtime) = _owned_runtime {
            runtime.shutdown_background();
        }
        match result {
            Ok(()) => {
                log::debug!("end of input: Erlang closed the port");
                Ok(())
            }
            Err(e) => {
                log::error!("port stopped: {e}");
                Err(e)
            }
        }
    }

    /// The runtime for `async` handlers, and the one made here (kept until `run` returns).
    #[cfg(feature = "tokio")]
    #[allow(clippy::type_complexity)]
    fn tokio_runtime(&self) -> Result<(Option<tokio::runtime::Runtime>, Option<tokio::runtime::Handle>), Error> {
        if !self.handlers.values().any(|handler| matches!(handler.entry, Entry::Async(_))) {
            return Ok((None, None));
        }
        if let Some(handle) = self.runtime.clone().or_else(|| tokio::runtime::Handle::try_current().ok()) {
            return Ok((None, Some(handle)));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        let handle = runtime.handle().clone();
        Ok((Some(runtime), Some(handle)))
    }
}

/// A sync handler as the pool runs it: its parameters read from the arguments, its value
/// written as the reply (none for a cast or a message).
fn sync<W, P, H>(handler: H) -> SyncCall<W>
where
    W: Write + Send + 'static,
    P: ParamList,
    H: Handler<P> + Send + Sync,
    H::Output: Reply,
{
    Box::new(move |args, call, out| match P::read(&args, call) {
        Ok(params) => {
            let started = std::time::Instant::now();
            let value = handler.call(params);
            TOOK.with(|took| took.set(Some(started.elapsed())));
            dispatch::send_reply(out, Caller::concurrent(call.tag), &value)?;
            Ok(Ok(()))
        }
        Err(failure) => Ok(Err(failure)),
    })
}
