//! `ConcurrentProtocol`: calls with ids from Erlang, answered concurrently on a bounded pool
//! of threads (and, with the `tokio` feature, by `async` handlers), in completion order, with
//! progress messages and calls back into Erlang. The Erlang side is `erlport_rs`
//! (`port-std/erlang/`); the terms both sides exchange are in [`ConcurrentProtocol`]'s docs.

mod context;
mod messages;

pub use context::{CallArgs, CallError, Context};

use crate::Error;
#[cfg(feature = "tokio")]
use crate::OwnedTerm;
use crate::args::Args;
use crate::port::{Port, Reader, Sender};
use crate::protocol::{Failure, Handler, InHandler, Outcome, Reply, install_panic_hook, panicked, send_failure};
pub(crate) use context::{CallState, Window};
use context::{Link, Pending};
use erlport_codec::{Atom, Decoder, Inflater, Term};
pub use messages::PROTOCOL_VERSION;
use messages::{Hello, Message, answer_id, call_tag, classify, hello_in_other_size, packet_mismatch};
use serde::de::DeserializeOwned;
use std::cell::OnceCell;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::panic::{self, AssertUnwindSafe};
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

/// A parameter of a [`ConcurrentProtocol`] handler: one of the call's arguments (any owned
/// `serde::Deserialize` type), or the call's [`Context`], which is not an argument.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a parameter of a concurrent handler: it does not implement `serde::Deserialize`",
    label = "this parameter's type",
    note = "derive it (`#[derive(serde::Deserialize)]`), or take `erlport::Context` for the call's context"
)]
pub trait Param: Sized {
    #[doc(hidden)]
    const ARGUMENTS: usize;
    #[doc(hidden)]
    fn read<'a>(args: &mut ArgCursor<'a, '_>) -> Result<Self, Failure>;
}

/// Where a handler's parameters are read from.
#[doc(hidden)]
pub struct ArgCursor<'a, 'c> {
    /// The arguments (their count already checked: at most 6), read one by one by index, so
    /// nothing is allocated per call.
    args: &'c Args<'a>,
    index: usize,
    count: usize,
    call: &'c CallInfo<'a>,
}

impl<T: DeserializeOwned> Param for T {
    const ARGUMENTS: usize = 1;
    fn read<'a>(args: &mut ArgCursor<'a, '_>) -> Result<Self, Failure> {
        let term = args.args.get(args.index);
        args.index += 1;
        let (index, count) = (args.index, args.count);
        let term = term.ok_or_else(|| Failure::BadArgs(format!("argument {index} of {count} is missing")))?;
        erlport_codec::from_term(term).map_err(|e| Failure::BadArgs(format!("argument {index} of {count}: {e}")))
    }
}

impl Param for Context {
    const ARGUMENTS: usize = 0;
    fn read<'a>(args: &mut ArgCursor<'a, '_>) -> Result<Self, Failure> {
        let registered = args.call.register().map_err(|e| Failure::Exception {
            kind: "error".into(),
            message: format!("the call's id cannot be kept: {e}"),
            trace: Vec::new(),
        })?;
        Ok(Context::new(Arc::clone(args.call.link), registered))
    }
}

/// The parameters of a [`ConcurrentProtocol`] handler, as a tuple of [`Param`]s.
pub trait ParamList: Sized {
    #[doc(hidden)]
    fn read<'a>(args: &Args<'a>, call: &CallInfo<'a>) -> Result<Self, Failure>;
}

macro_rules! param_lists {
    ($(($($a:ident),*);)*) => {$(
        impl<$($a: Param),*> ParamList for ($($a,)*) {
            #[allow(unused_mut, unused_variables)]
            fn read<'a>(args: &Args<'a>, call: &CallInfo<'a>) -> Result<Self, Failure> {
                let count = 0 $(+ $a::ARGUMENTS)*;
                if args.len() != count {
                    let s = if count == 1 { "" } else { "s" };
                    return Err(Failure::BadArgs(format!("expected {count} argument{s}, found {}", args.len())));
                }
                let mut cursor = ArgCursor { args, index: 0, count, call };
                Ok(($($a::read(&mut cursor)?,)*))
            }
        }
    )*};
}

param_lists! {
    ();
    (A1);
    (A1, A2);
    (A1, A2, A3);
    (A1, A2, A3, A4);
    (A1, A2, A3, A4, A5);
    (A1, A2, A3, A4, A5, A6);
}

/// What a handler knows of the call it answers.
#[doc(hidden)]
pub struct CallInfo<'a> {
    /// The call's id; `None` for a cast.
    tag: Option<Term<'a>>,
    link: &'a Arc<dyn Link>,
    /// The call's id, encoded, and its state, once it is registered as running (for a
    /// handler that takes a [`Context`], and every `async` one): what `{cancel, Id}` and
    /// `{credit, Id, N}` find.
    registered: OnceCell<(Arc<[u8]>, Arc<CallState>)>,
}

type Registration = Option<(Arc<[u8]>, Arc<CallState>)>;

impl CallInfo<'_> {
    /// Registers the call as running (once; a cast is not registered).
    fn register(&self) -> Result<Registration, erlport_codec::EncodeError> {
        let Some(tag) = self.tag else { return Ok(None) };
        if let Some(registered) = self.registered.get() {
            return Ok(Some(registered.clone()));
        }
        let id: Arc<[u8]> = Arc::from(erlport_codec::encode_to_vec(&tag)?);
        let state = self.link.register(Arc::clone(&id));
        let registered = (id, state);
        let _ = self.registered.set(registered.clone());
        Ok(Some(registered))
    }

    /// The call ended: `{cancel, Id}` and `{credit, Id, N}` no longer find it.
    fn unregister(&self) {
        if let Some((id, _)) = self.registered.get() {
            self.link.unregister(id);
        }
    }
}

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
/// | Erlang → Rust | `{hello, 1, #{progress_window => N, progress_bytes => B}}` | first, from `erlport_rs`: the [version](PROTOCOL_VERSION), and the progress window: at most `N` messages and about `B` bytes of each call's progress on their way (absent: no flow control) |
/// | Rust → Erlang | `{hello, 1, #{concurrency => C, grace => Ms, max_packet => Max}}` | the answer (`{hello, 1, {error, {packet, N}}}` framed as Erlang frames, when this port reads `{packet, N}` with another `N`: then `run` returns an error) |
/// | Erlang → Rust | `{cancel, Id}` | the caller of call `Id` died or gave up: [`Context::is_cancelled`]; an `async` handler is dropped |
/// | Erlang → Rust | `{credit, Id, N}` | the oldest `N` progress messages of call `Id` on their way were taken: as many more may go ([`Context::progress`]) |
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
/// read a call runs it (no hand-over on the way). A handler waiting for Erlang in
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
    concurrency: usize,
    function_clause_reason: bool,
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
            concurrency: DEFAULT_CONCURRENCY,
            function_clause_reason: true,
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
        let call: SyncCall<W> = Box::new(move |args, call, out| match P::read(&args, call) {
            Ok(params) => {
                let started = std::time::Instant::now();
                let value = handler.call(params);
                TOOK.with(|took| took.set(Some(started.elapsed())));
                if call.tag.is_some() {
                    out.send_tagged(call.tag, &value)?;
                }
                Ok(Ok(()))
            }
            Err(failure) => Ok(Err(failure)),
        });
        self.handlers.insert(name.to_string(), Registered { entry: Entry::Sync(call), speed: Speed::default() });
        self
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
                let answer: Answer<W> = Box::new(
                    move |out: &Sender<W>, tag: Option<Term<'_>>| {
                        if tag.is_some() { out.send_tagged(tag, &value) } else { Ok(()) }
                    },
                );
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
        });
        #[cfg(feature = "tokio")]
        let (_owned_runtime, runtime) = self.tokio_runtime()?;
        let server = Server {
            handlers: &self.handlers,
            shared: &shared,
            link: Arc::clone(&shared) as Arc<dyn Link>,
            reader: Mutex::new(reader),
            function_clause_reason: self.function_clause_reason,
            #[cfg(feature = "tokio")]
            runtime,
        };
        let result = server.serve();
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

/// What every thread of the pool and every [`Context`] shares.
struct Shared<W> {
    pool: Pool,
    /// Calls into Erlang waiting for their answer, by id.
    pending: Mutex<HashMap<u64, Arc<Pending>>>,
    next_id: AtomicU64,
    sender: Sender<W>,
    inflate_limit: usize,
    /// Calls running that `{cancel, Id}` and `{credit, Id, N}` may reach, by encoded id.
    running: Mutex<HashMap<Arc<[u8]>, Arc<CallState>>>,
    /// Ids cancelled before their call was registered, newest last.
    early_cancels: Mutex<std::collections::VecDeque<Arc<[u8]>>>,
    /// The progress window a hello asked for; `None`: no flow control.
    window: Mutex<Option<Window>>,
    /// The input ended or failed, or the output is gone: every call is cancelled.
    closed: AtomicBool,
    /// Writing failed for good (Erlang is gone): reading may be blocked for ever.
    output_gone: AtomicBool,
    hello: Hello,
    grace: Duration,
}

/// The pool's accounting.
struct Pool {
    state: Mutex<State>,
    /// Threads asked for, a thread gone, or the last handler done after the input ended:
    /// what the spawner waits for.
    changed: Condvar,
    /// A slot is free (signalled only while a thread waits for one).
    slot: Condvar,
    /// The reader's role is free (or the input ended).
    role: Condvar,
    limit: usize,
}

#[derive(Default)]
struct State {
    /// Handlers running (holding a slot): sync ones on their thread, async tasks.
    busy: usize,
    /// Handlers waiting for Erlang (holding no slot).
    waiting: usize,
    /// Threads alive or asked for.
    threads: usize,
    /// Threads not running a handler: reading, or waiting to read.
    free: usize,
    /// Threads asked of the spawner.
    spawn: usize,
    /// A thread holds the reader's role: it alone reads the port.
    reading: bool,
    /// Threads waiting for a slot.
    slot_waiters: usize,
    /// The input ended (or failed).
    closed: bool,
    /// The error that ended the input, if any.
    fatal: Option<Error>,
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn wait<'a>(&self, state: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        self.changed.wait(state).unwrap_or_else(|p| p.into_inner())
    }

    /// Takes a slot, waiting while all are taken.
    fn take_slot(&self) {
        let mut state = self.lock();
        while state.busy >= self.limit {
            state.slot_waiters += 1;
            state = self.slot.wait(state).unwrap_or_else(|p| p.into_inner());
            state.slot_waiters -= 1;
        }
        state.busy += 1;
    }

    /// Gives a slot back (`busy` already lowered): wakes a thread waiting for one, and the
    /// spawner when this may have been the last handler after the input ended.
    fn slot_freed(&self, state: &State) {
        if state.slot_waiters > 0 {
            self.slot.notify_one();
        }
        if state.closed {
            self.changed.notify_all();
        }
    }

    fn release_role(&self) {
        self.lock().reading = false;
        self.role.notify_one();
    }

    /// Asks for one more thread when none is free to read, so reading never stops while a
    /// handler runs or waits.
    fn keep_a_reader(&self, state: &mut State) {
        if state.free == 0 && !state.closed {
            state.free += 1;
            state.threads += 1;
            state.spawn += 1;
            self.changed.notify_all();
        }
    }
}

impl<W: Write + Send> Link for Shared<W> {
    fn nil(&self) -> bool {
        self.sender.none_as_nil()
    }

    fn progress(&self, tag: Term<'_>, message: Term<'_>) -> Result<(), Error> {
        self.sender.send_encoded(&(Atom::new("progress"), tag, message))
    }

    fn start_call(&self, module: &str, function: &str, args: Term<'_>) -> Result<Arc<Pending>, CallError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let pending = Arc::new(Pending::default());
        {
            let mut calls = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            // Registered before it is written, so the answer finds it.
            if self.pool.lock().closed {
                return Err(CallError::Closed);
            }
            calls.insert(id, Arc::clone(&pending));
        }
        let call = (Atom::new("call"), id, Atom::new(module), Atom::new(function), args);
        // Written at once even when replies are being gathered: this handler now waits.
        if let Err(e) = self.sender.send_encoded(&call).and_then(|()| self.sender.uncork()) {
            self.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
            return Err(CallError::Send(e));
        }
        Ok(pending)
    }

    fn begin_wait(&self, blocking: bool) -> Result<bool, CallError> {
        let mut state = self.pool.lock();
        if state.waiting >= MAX_WAITING {
            return Err(CallError::Busy);
        }
        state.waiting += 1;
        // Only a handler the pool runs holds a slot (not a thread it started, not a task
        // of its own on the runtime).
        let holds_slot = HOLDS_SLOT.with(|slot| slot.replace(false));
        if !holds_slot {
            return Ok(false);
        }
        state.busy -= 1;
        if blocking {
            WAITED.with(|waited| waited.set(true));
            // A handler running inline on the reading thread: the role goes to another.
            if HOLDS_ROLE.with(|role| role.replace(false)) {
                state.free -= 1;
                state.reading = false;
                self.pool.role.notify_one();
            }
            self.pool.keep_a_reader(&mut state);
        }
        self.pool.slot_freed(&state);
        Ok(true)
    }

    fn end_wait(&self, released: bool) {
        let mut state = self.pool.lock();
        state.waiting -= 1;
        if released {
            // Back at once, even past the limit: new calls wait for it, not it for them.
            state.busy += 1;
            HOLDS_SLOT.with(|slot| slot.set(true));
        }
        if state.closed {
            self.pool.changed.notify_all();
        }
    }

    fn inflate_limit(&self) -> usize {
        self.inflate_limit
    }

    fn closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    fn register(&self, id: Arc<[u8]>) -> Arc<CallState> {
        let window = *self.window.lock().unwrap_or_else(|p| p.into_inner());
        let state = Arc::new(CallState::new(window));
        // Under the same lock as `cancel` looks, so a cancel is either found here or finds
        // the call running.
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        let early = {
            let mut early = self.early_cancels.lock().unwrap_or_else(|p| p.into_inner());
            early.iter().position(|cancelled| **cancelled == *id).map(|at| early.remove(at)).is_some()
        };
        running.insert(id, Arc::clone(&state));
        drop(running);
        if early || self.closed() {
            state.cancel();
        }
        state
    }

    fn unregister(&self, id: &[u8]) {
        self.running.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
    }
}

impl<W> Shared<W> {
    /// The running call whose id is `id`.
    fn find(&self, id: &Term<'_>) -> Option<Arc<CallState>> {
        let id = erlport_codec::encode_to_vec(id).ok()?;
        self.running.lock().unwrap_or_else(|p| p.into_inner()).get(&id[..]).cloned()
    }

    /// `{cancel, Id}`: cancels the running call `Id`; one not registered yet (its handler
    /// has not started on its thread) is remembered, so it starts cancelled. At most
    /// [`EARLY_CANCELS`] such ids are kept, the oldest forgotten first (a cancel for a call
    /// already answered is kept too, and ages out).
    fn cancel(&self, id: &Term<'_>) {
        let Ok(id) = erlport_codec::encode_to_vec(id) else { return };
        let running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(state) = running.get(&id[..]).cloned() {
            drop(running);
            return state.cancel();
        }
        let mut early = self.early_cancels.lock().unwrap_or_else(|p| p.into_inner());
        drop(running);
        if early.len() >= EARLY_CANCELS {
            early.pop_front();
        }
        early.push_back(Arc::from(id));
    }

    /// The input ended: calls into Erlang get no answer now, and every running call is
    /// cancelled.
    fn close(&self, fatal: Option<Error>) {
        self.closed.store(true, Ordering::SeqCst);
        let running: Vec<_> = self.running.lock().unwrap_or_else(|p| p.into_inner()).values().cloned().collect();
        running.iter().for_each(|state| state.cancel());
        {
            let mut state = self.pool.lock();
            state.closed = true;
            if state.fatal.is_none() {
                state.fatal = fatal;
            }
            self.pool.changed.notify_all();
            self.pool.slot.notify_all();
            self.pool.role.notify_all();
        }
        let calls: Vec<_> = self.pending.lock().unwrap_or_else(|p| p.into_inner()).drain().collect();
        for (_, pending) in calls {
            pending.complete(None);
        }
    }
}

/// A thread's own buffers: the packet it read, and room to inflate it.
#[derive(Default)]
struct Local {
    packet: Vec<u8>,
    scratch: Vec<u8>,
    inflater: Option<Box<Inflater>>,
}

/// Decodes one packet (inflating it if compressed) with a thread's buffers.
pub(crate) fn decode_packet<'a>(
    packet: &'a [u8],
    scratch: &'a mut Vec<u8>,
    inflater: &'a mut Option<Box<Inflater>>,
    inflate_limit: usize,
) -> Result<Term<'a>, erlport_codec::DecodeError> {
    if erlport_codec::compressed_size(packet).is_none() {
        return erlport_codec::decode(packet);
    }
    let inflater = inflater.get_or_insert_with(|| Box::new(Inflater::new()));
    Decoder::new().scratch_vec(scratch).inflater(inflater).inflate_limit(inflate_limit).decode(packet)
}

/// One run: the handlers, borrowed by the threads of a scope.
struct Server<'s, R, W> {
    handlers: &'s HashMap<String, Registered<W>>,
    shared: &'s Arc<Shared<W>>,
    link: Arc<dyn Link>,
    reader: Mutex<Reader<R>>,
    function_clause_reason: bool,
    #[cfg(feature = "tokio")]
    runtime: Option<tokio::runtime::Handle>,
}

/// What a thread does after a handler.
enum Next {
    Read,
    /// The input ended: stop.
    Stop,
    /// Enough threads are free: this one stopped counting itself and ends.
    Retired,
}

/// How a packet was answered.
enum Ran {
    /// On the reading thread, which still holds the reader's role.
    Inline,
    /// The role went to another thread.
    HandedOn(Next),
}

thread_local! {
    /// This thread holds the reader's role while it runs a handler inline.
    static HOLDS_ROLE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// The handler running on this thread waited for Erlang.
    static WAITED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// The handler running on this thread (or the task being polled) holds a slot.
    static HOLDS_SLOT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// How long the last handler on this thread computed (its reply's writing aside).
    static TOOK: std::cell::Cell<Option<Duration>> = const { std::cell::Cell::new(None) };
}

/// How long a handler computes, for running it inline: a handler whose last runs were all
/// short and that never waited for Erlang runs on the thread that read its call, with no
/// hand-over to another thread (a round trip's worth of wake-ups saved), as the sequential
/// `Protocol` runs every handler. A run that is not short sends it back to proving itself;
/// one that is slow, or one wait, and it never runs inline again: reading is held up at most
/// once by a handler that turns slow.
#[derive(Default)]
struct Speed(std::sync::atomic::AtomicU32);

impl Speed {
    /// Short runs in a row needed before inline.
    const PROOF: u32 = 8;
    const NEVER: u32 = u32::MAX;
    /// Longer than this is not short.
    const SHORT: Duration = Duration::from_micros(50);
    /// Longer than this is slow.
    const SLOW: Duration = Duration::from_millis(1);

    fn is_fast(&self) -> bool {
        let n = self.0.load(Ordering::Relaxed);
        n >= Self::PROOF && n != Self::NEVER
    }

    /// The run that just ended on this thread (nothing to record when its arguments did not
    /// fit and it never ran).
    fn record(&self) {
        let Some(took) = TOOK.with(|took| took.take()) else { return };
        let _ = self.0.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| match n {
            Self::NEVER => None,
            _ if took > Self::SLOW => Some(Self::NEVER),
            _ if took > Self::SHORT => Some(0),
            n if n < Self::PROOF => Some(n + 1),
            _ => None,
        });
    }

    fn record_wait(&self) {
        self.0.store(Self::NEVER, Ordering::Relaxed);
    }
}

impl<R: Read + Send, W: Write + Send + 'static> Server<'_, R, W> {
    /// Starts threads as they are asked for and returns when the input has ended, every
    /// thread has stopped and every task has finished.
    fn serve(&self) -> Result<(), Error> {
        let pool = &self.shared.pool;
        std::thread::scope(|scope| {
            // Joined as they end (and all at the end), so a thread is gone, its thread-locals
            // too, when `run` returns, and a long-lived port keeps no handles of old threads.
            let mut threads = Vec::new();
            let mut closed_at: Option<Instant> = None;
            let mut state = pool.lock();
            state.threads = 1;
            state.free = 1;
            state.spawn = 1;
            loop {
                while state.spawn > 0 {
                    state.spawn -= 1;
                    drop(state);
                    let started = std::thread::Builder::new()
                        .name("erlport-handler".into())
                        .spawn_scoped(scope, || self.worker());
                    state = pool.lock();
                    if let Ok(handle) = started {
                        threads.push(handle);
                    } else if let Err(e) = started {
                        log::error!("cannot start a handler thread: {e}");
                        state.threads -= 1;
                        state.free -= 1;
                        if state.threads == 0 {
                            // No thread reads the port: give up rather than hang.
                            drop(state);
                            self.shared.close(Some(Error::Io(e)));
                            state = pool.lock();
                        }
                    }
                }
                if state.threads == 0 && state.busy == 0 && state.waiting == 0 {
                    break;
                }
                if state.closed {
                    let shared = self.shared;
                    let idle = state.busy == 0 && state.waiting == 0;
                    // Output gone and nothing running: the threads left wait for input that
                    // may never end. Or the grace period is over.
                    let deadline = *closed_at.get_or_insert_with(|| Instant::now() + shared.grace);
                    let gone = shared.output_gone.load(Ordering::SeqCst);
                    if (gone && idle) || Instant::now() >= deadline {
                        if !idle {
                            log::warn!(
                                "{} handlers still running {:?} after the input ended: exiting",
                                state.busy + state.waiting,
                                shared.grace
                            );
                        }
                        std::process::exit(0);
                    }
                    let left = deadline.saturating_duration_since(Instant::now());
                    state = pool.changed.wait_timeout(state, left).unwrap_or_else(|p| p.into_inner()).0;
                } else {
                    state = pool.wait(state);
                }
                if threads.iter().any(|t: &std::thread::ScopedJoinHandle<'_, ()>| t.is_finished()) {
                    drop(state);
                    let (ended, running): (Vec<_>, Vec<_>) = threads.into_iter().partition(|t| t.is_finished());
                    ended.into_iter().for_each(Self::join);
                    threads = running;
                    state = pool.lock();
                }
            }
            let fatal = state.fatal.take();
            drop(state);
            threads.into_iter().for_each(Self::join);
            match fatal {
                Some(e) => Err(e),
                None => Ok(()),
            }
        })
    }

    /// Waits for a pool thread to be gone. Handlers' panics are caught where they run; one here
    /// is the pool's own, logged.
    fn join(thread: std::thread::ScopedJoinHandle<'_, ()>) {
        if thread.join().is_err() {
            log::error!("a handler thread panicked outside a handler");
        }
    }

    /// A thread of the pool: read a packet, run what it asks for, again.
    fn worker(&self) {
        let mut local = Local::default();
        loop {
            // A large packet's buffers go back to 64 KiB before this thread idles with them.
            crate::port::shrink(&mut local.packet);
            crate::port::shrink(&mut local.scratch);
            match self.read_one(&mut local) {
                Next::Read => continue,
                Next::Retired => return,
                Next::Stop => break,
            }
        }
        let pool = &self.shared.pool;
        let mut state = pool.lock();
        state.threads -= 1;
        state.free -= 1;
        pool.changed.notify_all();
    }

    /// Takes the reader's role, reads packets and runs what they ask for: handlers that
    /// proved fast on this thread, keeping the role; others after handing it on.
    fn read_one(&self, local: &mut Local) -> Next {
        let shared = self.shared;
        let pool = &shared.pool;
        {
            let mut state = pool.lock();
            loop {
                if state.closed {
                    return Next::Stop;
                }
                if !state.reading {
                    break;
                }
                state = pool.role.wait(state).unwrap_or_else(|p| p.into_inner());
            }
            state.reading = true;
        }
        loop {
            // (The packet buffer goes to the reader, which shrinks it before the next read.)
            crate::port::shrink(&mut local.scratch);
            let read = {
                let mut reader = self.reader.lock().unwrap_or_else(|p| p.into_inner());
                // Replies wait to be written together while the next request is already
                // here; before reading can block, they go.
                if reader.next_is_buffered() {
                    shared.sender.cork();
                } else {
                    self.write_failed(shared.sender.uncork());
                }
                reader.take_packet(&mut local.packet)
            };
            match read {
                Ok(true) => {}
                Ok(false) => {
                    self.write_failed(shared.sender.uncork());
                    pool.release_role();
                    shared.close(None);
                    return Next::Stop;
                }
                Err(e) if e.is_fatal() => {
                    self.write_failed(shared.sender.uncork());
                    pool.release_role();
                    shared.close(Some(e));
                    return Next::Stop;
                }
                Err(e) => {
                    log::debug!("refused a packet: {e}");
                    // Over the size limit: the start of the packet, which may hold a call's
                    // id (answered by it, so its caller need not wait for its timeout).
                    local.packet.clear();
                    if matches!(e, Error::PacketTooLarge { .. }) {
                        let reader = self.reader.lock().unwrap_or_else(|p| p.into_inner());
                        local.packet.extend_from_slice(reader.refused_start());
                    }
                    self.refused(&mut local.packet, &e);
                    continue;
                }
            }
            match self.answer(local) {
                Ran::Inline => continue,
                Ran::HandedOn(next) => return next,
            }
        }
    }

    /// A packet refused whole (`start`: as much of it as there is): a call is answered by its
    /// id, an answer to a call from Rust completes that call with the error (as if Erlang had
    /// answered `{error, Reason}`), anything else gets the error untagged.
    fn refused(&self, start: &mut [u8], error: &Error) {
        let shared = self.shared;
        if let Some(tag) = call_tag(start) {
            return self.write_failed(shared.sender.send_error_tagged(Some(tag), error));
        }
        if let Some(id) = answer_id(start) {
            let pending = shared.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
            if let Some(pending) = pending {
                let reason = error.reason();
                let answer = crate::protocol::Tagged {
                    tag: i64::try_from(id).ok().map(Term::Integer),
                    value: crate::protocol::error_reply(&reason),
                };
                return pending.complete(erlport_codec::encode_to_vec(&answer).ok());
            }
        }
        self.write_failed(shared.sender.send_error_tagged(None, error));
    }

    /// Answers the packet a thread holding the reader's role just read.
    fn answer(&self, local: &mut Local) -> Ran {
        let shared = self.shared;
        let pool = &shared.pool;
        let Local { packet, scratch, inflater } = local;
        let term = match decode_packet(packet, scratch, inflater, shared.inflate_limit) {
            Ok(term) => term,
            Err(e) => {
                // Not valid: a call whose id is, is answered by it.
                log::debug!("refused a packet: {e}");
                self.refused(packet, &Error::Decode(e));
                return Ran::Inline;
            }
        };
        let (tag, name, args) = match classify(term) {
            Message::Call { tag, name, args } => (tag, name, args),
            Message::Answer(id) => {
                let pending = shared.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
                match pending {
                    Some(pending) => pending.complete(Some(std::mem::take(packet))),
                    None => log::debug!("an answer to call {id}, which is not waiting for one"),
                }
                return Ran::Inline;
            }
            Message::Hello(options) => {
                let map = match options {
                    Term::Map(map) => Some(map),
                    _ => None,
                };
                let number = |key| {
                    map.and_then(|m| m.get_atom(key)).and_then(|w| w.as_i64()).and_then(|w| u64::try_from(w).ok())
                };
                let window = match (number("progress_window"), number("progress_bytes")) {
                    (Some(messages), bytes) if messages > 0 => {
                        Some(Window { messages, bytes: bytes.unwrap_or(u64::MAX) })
                    }
                    _ => None,
                };
                *shared.window.lock().unwrap_or_else(|p| p.into_inner()) = window;
                self.write_failed(shared.sender.send_encoded(&shared.hello));
                return Ran::Inline;
            }
            Message::Cancel(id) => {
                shared.cancel(&id);
                return Ran::Inline;
            }
            Message::Credit(id, n) => {
                if let Some(state) = shared.find(&id) {
                    state.grant(n);
                }
                return Ran::Inline;
            }
            Message::BadCall(tag) => {
                self.write_failed(shared.sender.send_tagged(Some(tag), &(Atom::new("error"), Atom::new("badarg"))));
                return Ran::Inline;
            }
            Message::Unknown => {
                log::debug!("refused a packet that is neither a call, a cast nor an answer: {term}");
                self.write_failed(shared.sender.send_tagged(None, &(Atom::new("error"), Atom::new("badarg"))));
                return Ran::Inline;
            }
        };
        let Some(handler) = name.as_str().and_then(|name| self.handlers.get(name)) else {
            if tag.is_some() {
                self.write_failed(shared.sender.send_tagged(tag, &(Atom::new("error"), Atom::new("undef"))));
            } else {
                log::warn!("cast of {name}: no such handler");
            }
            return Ran::Inline;
        };
        // A slot, before anything runs: while all are taken nothing is read (back-pressure).
        if pool.lock().busy >= pool.limit {
            // About to wait: what is gathered goes first.
            self.write_failed(shared.sender.uncork());
        }
        pool.take_slot();
        let call = CallInfo { tag, link: &self.link, registered: OnceCell::new() };
        match &handler.entry {
            Entry::Sync(run) if handler.speed.is_fast() => {
                // Proved fast: run here, still reading, with no hand-over. Should it wait for
                // Erlang after all, `begin_wait` hands the role on.
                HOLDS_ROLE.with(|role| role.set(true));
                self.run_sync(run, &name, args, &call);
                let kept = HOLDS_ROLE.with(|role| role.replace(false));
                if !kept {
                    handler.speed.record_wait();
                }
                handler.speed.record();
                let mut state = pool.lock();
                state.busy -= 1;
                pool.slot_freed(&state);
                if kept {
                    return Ran::Inline;
                }
                // The role went to another thread while this one waited.
                state.free += 1;
                Ran::HandedOn(Next::Read)
            }
            Entry::Sync(run) => {
                self.write_failed(shared.sender.uncork());
                {
                    let mut state = pool.lock();
                    state.free -= 1;
                    pool.keep_a_reader(&mut state);
                    state.reading = false;
                    pool.role.notify_one();
                }
                let waits = WAITED.with(|waited| waited.replace(false));
                self.run_sync(run, &name, args, &call);
                if WAITED.with(|waited| waited.replace(waits)) {
                    handler.speed.record_wait();
                }
                handler.speed.record();
                let mut state = pool.lock();
                state.busy -= 1;
                state.free += 1;
                pool.slot_freed(&state);
                // Keep enough threads for a burst, not more. Counted out here, in the same
                // step as the decision, so two threads never both count on the other.
                if state.free > pool.limit && !state.closed {
                    state.free -= 1;
                    state.threads -= 1;
                    pool.changed.notify_all();
                    return Ran::HandedOn(Next::Retired);
                }
                Ran::HandedOn(Next::Read)
            }
            #[cfg(feature = "tokio")]
            Entry::Async(run) => {
                self.start_async(run, &name, args, &call);
                Ran::Inline
            }
        }
    }

    fn run_sync(&self, handler: &SyncCall<W>, name: &Atom<'_>, args: Args<'_>, call: &CallInfo<'_>) {
        let sender = &self.shared.sender;
        let outcome = {
            let _inside = InHandler::enter();
            HOLDS_SLOT.with(|slot| slot.set(true));
            let outcome = panic::catch_unwind(AssertUnwindSafe(|| handler(args, call, sender)));
            HOLDS_SLOT.with(|slot| slot.set(false));
            outcome
        };
        call.unregister();
        self.finish(name, call.tag, outcome);
    }

    /// Answers a handler's outcome when it did not reply itself.
    fn finish(&self, name: &Atom<'_>, tag: Option<Term<'_>>, outcome: std::thread::Result<Outcome>) {
        let sender = &self.shared.sender;
        let failure = match outcome {
            Ok(Ok(Ok(()))) => return,
            Ok(Ok(Err(failure))) => failure,
            Ok(Err(e)) if !e.is_fatal() && tag.is_some() => {
                return self.write_failed(sender.send_error_tagged(tag, &e));
            }
            Ok(Err(e)) => return self.write_failed(Err(e)),
            Err(payload) => panicked(name, payload),
        };
        if tag.is_none() {
            match failure {
                Failure::BadArgs(why) => log::warn!("cast of {name}: arguments do not fit: {why}"),
                Failure::Exception { message, .. } => log::warn!("cast of {name} panicked: {message}"),
            }
            return;
        }
        self.write_failed(send_failure(sender, tag, name, failure, self.function_clause_reason));
    }

    /// A reply that could not be written: the output is gone (Erlang closed the port) or
    /// broken; the input's end will stop the threads.
    fn write_failed(&self, result: Result<(), Error>) {
        if let Err(e) = result {
            match e {
                Error::Io(ref io) if io.kind() == std::io::ErrorKind::BrokenPipe => {
                    // Nobody reads what this program writes: stop taking calls, tell the
                    // running ones, and end (reading may never see its end).
                    log::debug!("Erlang closed the port while a reply was being written");
                    self.shared.output_gone.store(true, Ordering::SeqCst);
                    self.shared.close(None);
                }
                e if e.is_fatal() => {
                    log::error!("writing a reply: {e}");
                    let mut state = self.shared.pool.lock();
                    if state.fatal.is_none() {
                        state.fatal = Some(e);
                    }
                }
                e => log::warn!("writing a reply: {e}"),
            }
        }
    }

    #[cfg(feature = "tokio")]
    fn start_async(&self, handler: &AsyncCall<W>, name: &Atom<'_>, args: Args<'_>, call: &CallInfo<'_>) {
        let made = {
            let _inside = InHandler::enter();
            panic::catch_unwind(AssertUnwindSafe(|| handler(args, call)))
        };
        let future = match made {
            Ok(Ok(future)) => future,
            Ok(Err(failure)) => return self.async_done(name, call.tag, Ok(Ok(Err(failure)))),
            Err(payload) => return self.async_done(name, call.tag, Err(payload)),
        };
        let Some(runtime) = &self.runtime else {
            // `run` found or made one whenever an async handler is registered.
            let message = "no tokio runtime to run an async handler on".to_string();
            let failure = Failure::Exception { kind: "error".into(), message, trace: Vec::new() };
            return self.async_done(name, call.tag, Ok(Ok(Err(failure))));
        };
        let tag = call.tag.map(|tag| OwnedTerm::from_term(&tag));
        let name = name.as_str().unwrap_or("").to_string();
        let shared = Arc::clone(self.shared);
        let function_clause_reason = self.function_clause_reason;
        // Registered, so `{cancel, Id}` drops the task; the guard frees its slot however
        // the task ends (finished, or dropped before or after its first poll).
        let registered = call.register().ok().flatten();
        let guard = TaskGuard { shared: Arc::clone(&shared), id: registered.as_ref().map(|(id, _)| Arc::clone(id)) };
        let task = runtime.spawn(async move {
            let _guard = guard;
            let outcome = CatchUnwind(future, true).await;
            let tag_term = tag.as_ref().map(OwnedTerm::term);
            let atom = Atom::new(&name);
            let sender = &shared.sender;
            let result = match outcome {
                Ok(answer) => answer(sender, tag_term),
                Err(payload) => {
                    let failure = panicked(&atom, payload);
                    match tag_term {
                        Some(_) => send_failure(sender, tag_term, &atom, failure, function_clause_reason),
                        // A cast: no one to answer; `panicked` logged it.
                        None => Ok(()),
                    }
                }
            };
            if let Err(e) = result {
                log::debug!("{name}: {e}");
            }
        });
        if let Some((_, state)) = registered {
            *state.abort.lock().unwrap_or_else(|p| p.into_inner()) = Some(task.abort_handle());
            if state.is_cancelled() {
                task.abort();
            }
        }
    }

    /// An async handler that ended before it had a future.
    #[cfg(feature = "tokio")]
    fn async_done(&self, name: &Atom<'_>, tag: Option<Term<'_>>, outcome: std::thread::Result<Outcome>) {
        self.finish(name, tag, outcome);
        let mut state = self.shared.pool.lock();
        state.busy -= 1;
        self.shared.pool.slot_freed(&state);
    }
}

/// What an `async` handler's task holds: its slot, and its place among the running calls.
#[cfg(feature = "tokio")]
struct TaskGuard<W> {
    shared: Arc<Shared<W>>,
    id: Option<Arc<[u8]>>,
}

#[cfg(feature = "tokio")]
impl<W> Drop for TaskGuard<W> {
    fn drop(&mut self) {
        if let Some(id) = &self.id {
            self.shared.running.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
        }
        let mut state = self.shared.pool.lock();
        state.busy -= 1;
        self.shared.pool.slot_freed(&state);
    }
}

/// Polls a future, turning a panic into its payload (and recording where, as for threads).
#[cfg(feature = "tokio")]
struct CatchUnwind<F>(F, bool);

#[cfg(feature = "tokio")]
impl<F: std::future::Future + Unpin> std::future::Future for CatchUnwind<F> {
    type Output = std::thread::Result<F::Output>;

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        let _inside = InHandler::enter();
        // The task holds its slot, except while `call_async` waits (it says so on return).
        let holds = self.1;
        HOLDS_SLOT.with(|slot| slot.set(holds));
        let inner = &mut self.0;
        let polled = panic::catch_unwind(AssertUnwindSafe(|| std::pin::Pin::new(inner).poll(cx)));
        self.1 = HOLDS_SLOT.with(|slot| slot.replace(false));
        match polled {
            Ok(std::task::Poll::Ready(value)) => std::task::Poll::Ready(Ok(value)),
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Err(payload) => std::task::Poll::Ready(Err(payload)),
        }
    }
}
