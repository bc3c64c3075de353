//! What a concurrent handler holds: its [`Context`], through which it sends progress to its
//! caller and calls functions in Erlang.

use crate::dispatch::OwnedTerm;
use crate::error::Error;
use erlport_codec::{Atom, DeserializeError, Encoder, Serializer, Term, decode, from_term};
use serde::de::DeserializeOwned;
use serde::ser::SerializeSeq;
use serde::{Serialize, Serializer as SerdeSerializer};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Poll, Waker};

/// What a [`Context`] needs from the protocol serving it (the output, the calls waiting for
/// Erlang, the pool's accounting), without its types.
pub(crate) trait Link: Send + Sync {
    /// Whether `None` is written as `nil`.
    fn nil(&self) -> bool;
    /// Writes `{progress, Tag, Message}`.
    fn progress(&self, tag: Term<'_>, message: Term<'_>) -> Result<(), Error>;
    /// Writes `{send, To, Message}`.
    fn send(&self, to: Term<'_>, message: Term<'_>) -> Result<(), Error>;
    /// The server's pid, once Erlang's hello said it.
    fn server(&self) -> Option<OwnedTerm>;
    /// Keeps `value` under a new id, and (for a call, `tag` its id) writes
    /// `{keep, Tag, HandleId}` so that Erlang frees it when the caller dies.
    fn keep(&self, tag: Option<Term<'_>>, value: Arc<dyn std::any::Any + Send + Sync>) -> Result<u64, Error>;
    /// The value kept under `id`, while it is.
    fn held(&self, id: u64) -> Option<Arc<dyn std::any::Any + Send + Sync>>;
    /// Registers a call into Erlang and writes `{call, Id, Module, Function, Args}`.
    fn start_call(&self, module: &str, function: &str, args: Term<'_>) -> Result<Arc<Pending>, CallError>;
    /// A handler is about to wait for Erlang: its slot is free meanwhile, and (`blocking`: it
    /// waits on its thread) another thread reads the port.
    /// `Ok(true)` when it gave up a slot, to be taken back at `end_wait`.
    fn begin_wait(&self, blocking: bool) -> Result<bool, CallError>;
    /// The wait is over.
    fn end_wait(&self, released: bool);
    /// Where a decoded answer's compressed bytes may go.
    fn inflate_limit(&self) -> usize;
    /// The input ended (or the output is gone): every call is cancelled.
    fn closed(&self) -> bool;
    /// Makes a call cancellable (by `{cancel, Id}`) and flow-controlled (by `{credit, Id, N}`):
    /// the state `Id` (encoded, version byte first) is known by until the call ends.
    fn register(&self, id: Arc<[u8]>) -> Arc<CallState>;
    /// The call ended.
    fn unregister(&self, id: &[u8]);
}

/// What Erlang tells a running call: that its caller is gone or gave up (`{cancel, Id}`), and
/// how many of its progress messages were taken (`{credit, Id, N}`).
pub(crate) struct CallState {
    cancelled: AtomicBool,
    /// The progress on its way; `None`: no flow control (the Erlang side did not ask for it
    /// in its hello).
    credit: Mutex<Option<Credit>>,
    changed: Condvar,
    /// The task of an `async` handler, aborted (dropped) when the call is cancelled.
    #[cfg(feature = "tokio")]
    pub(crate) abort: Mutex<Option<tokio::task::AbortHandle>>,
}

/// A progress window: at most `messages` progress messages, and about `bytes`, on their way
/// (sent, and not yet acknowledged by a `{credit, Id, N}`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Window {
    pub(crate) messages: u64,
    pub(crate) bytes: u64,
}

/// A call's progress on its way: the size of each message not yet acknowledged, oldest first.
struct Credit {
    window: Window,
    sizes: std::collections::VecDeque<u64>,
    bytes: u64,
}

impl Credit {
    /// Whether a message of `size` bytes may go now: within the window's count, and within
    /// its bytes unless nothing is on its way (a message larger than the whole window still
    /// goes, alone).
    fn allows(&self, size: u64) -> bool {
        (self.sizes.len() as u64) < self.window.messages
            && (self.sizes.is_empty() || self.bytes.saturating_add(size) <= self.window.bytes)
    }
}

impl CallState {
    pub(crate) fn new(window: Option<Window>) -> Self {
        let credit = window.map(|window| Credit { window, sizes: Default::default(), bytes: 0 });
        CallState {
            cancelled: AtomicBool::new(false),
            credit: Mutex::new(credit),
            changed: Condvar::new(),
            #[cfg(feature = "tokio")]
            abort: Mutex::new(None),
        }
    }

    /// The caller is gone, gave up, or the port is closing.
    pub(crate) fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        // Taken under the lock, so a progress about to wait sees the flag or the wake-up.
        drop(self.credit.lock().unwrap_or_else(|p| p.into_inner()));
        self.changed.notify_all();
        #[cfg(feature = "tokio")]
        if let Some(task) = self.abort.lock().unwrap_or_else(|p| p.into_inner()).take() {
            task.abort();
        }
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// The oldest `n` progress messages on their way were taken by the caller.
    pub(crate) fn grant(&self, n: u64) {
        let mut credit = self.credit.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(credit) = credit.as_mut() {
            for _ in 0..n {
                let Some(size) = credit.sizes.pop_front() else { break };
                credit.bytes -= size;
            }
        }
        self.changed.notify_all();
    }

    /// Takes the credit for a progress message of `size` bytes, waiting while the window is
    /// full; fails once the call is cancelled or the port closed.
    ///
    /// While it waits, the handler holds no slot (as in [`Context::call`]): the calls that
    /// Erlang sends meanwhile run, and the reader goes on to the `{credit, ..}` or
    /// `{cancel, ..}` behind them.
    fn take_credit(&self, link: &dyn Link, size: u64) -> Result<(), Error> {
        let mut credit = self.credit.lock().unwrap_or_else(|p| p.into_inner());
        let mut waiting = None;
        let taken = loop {
            if self.is_cancelled() || link.closed() {
                break Err(Error::Cancelled);
            }
            match credit.as_mut() {
                None => break Ok(()),
                Some(credit) if credit.allows(size) => {
                    credit.sizes.push_back(size);
                    credit.bytes += size;
                    break Ok(());
                }
                Some(_) => {}
            }
            if waiting.is_none() {
                // The slot goes while this waits (unless too many wait already).
                drop(credit);
                waiting = Some(link.begin_wait(true).ok());
                credit = self.credit.lock().unwrap_or_else(|p| p.into_inner());
                continue;
            }
            // Woken by credit, a cancel, or the port closing (which cancels every call); the
            // timeout only re-checks `closed` for calls that were never registered as running.
            credit = self
                .changed
                .wait_timeout(credit, std::time::Duration::from_millis(100))
                .unwrap_or_else(|p| p.into_inner())
                .0;
        };
        drop(credit);
        if let Some(Some(released)) = waiting {
            link.end_wait(released);
        }
        taken
    }
}

/// Erlang's answer to a call from Rust, delivered by whichever thread reads it.
#[derive(Default)]
pub(crate) struct Pending {
    answer: Mutex<Answer>,
    ready: Condvar,
}

#[derive(Default)]
struct Answer {
    /// The packet `{reply, Id, Result}`, or `None` when the port closed first.
    value: Option<Option<Vec<u8>>>,
    waker: Option<Waker>,
}

impl Pending {
    /// Hands over the answer's packet (`None`: the port closed).
    pub(crate) fn complete(&self, packet: Option<Vec<u8>>) {
        let mut answer = self.answer.lock().unwrap_or_else(|p| p.into_inner());
        answer.value = Some(packet);
        if let Some(waker) = answer.waker.take() {
            waker.wake();
        }
        self.ready.notify_all();
    }

    fn wait(&self) -> Option<Vec<u8>> {
        let mut answer = self.answer.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(value) = answer.value.take() {
                return value;
            }
            answer = self.ready.wait(answer).unwrap_or_else(|p| p.into_inner());
        }
    }

    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    fn poll(&self, waker: &Waker) -> Poll<Option<Vec<u8>>> {
        let mut answer = self.answer.lock().unwrap_or_else(|p| p.into_inner());
        match answer.value.take() {
            Some(value) => Poll::Ready(value),
            None => {
                answer.waker = Some(waker.clone());
                Poll::Pending
            }
        }
    }
}

/// A concurrent handler's link to its caller and to Erlang. Take it as a parameter of a
/// [`ConcurrentProtocol`](crate::ConcurrentProtocol) handler (anywhere in the list; it is not
/// one of the call's arguments):
///
/// ```
/// use erlport::{ConcurrentProtocol, Context, CallError, codec::Atom};
///
/// let mut proto = ConcurrentProtocol::<Vec<u8>>::new();
/// // erlport_rs:call(Server, count, [3]): three {erlport_rs, Server, Ref, N} messages, then done.
/// proto.handle("count", |ctx: Context, n: u32| {
///     for i in 1..=n {
///         ctx.progress(&i)?;
///     }
///     Ok::<_, erlport::Error>(Atom::new("done"))
/// });
/// // Calls lists:reverse/1 in Erlang (when the Erlang side allows it) and returns its value.
/// proto.handle("reverse", |ctx: Context, items: Vec<i64>| {
///     ctx.call::<Vec<i64>>("lists", "reverse", (items,))
/// });
/// ```
///
/// Cloneable and `Send`: a handler may pass it to threads of its own.
#[derive(Clone)]
pub struct Context {
    link: Arc<dyn Link>,
    /// The call's id as a term (version byte first); `None` for a cast.
    tag: Option<Arc<[u8]>>,
    /// What Erlang says of the call (cancelled, credit); `None` for a cast.
    state: Option<Arc<CallState>>,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context").field("is_cast", &self.tag.is_none()).finish()
    }
}

impl Context {
    pub(crate) fn new(link: Arc<dyn Link>, call: Option<(Arc<[u8]>, Arc<CallState>)>) -> Self {
        let (tag, state) = call.map_or((None, None), |(tag, state)| (Some(tag), Some(state)));
        Context { link, tag, state }
    }

    /// Whether this handler answers a cast (no caller waits for it, and progress goes nowhere).
    pub fn is_cast(&self) -> bool {
        self.tag.is_none()
    }

    /// Whether nobody waits for this call's answer any more: its caller died or gave up (its
    /// timeout passed; Erlang sends `{cancel, Id}`), or the port is closing (Erlang closed it,
    /// or `erlport_rs:stop`). A long handler should check it now and then and stop early;
    /// its reply, if it sends one, is dropped. [`progress`](Context::progress) and
    /// [`call`](Context::call) fail once it is true.
    pub fn is_cancelled(&self) -> bool {
        self.link.closed() || self.state.as_ref().is_some_and(|state| state.is_cancelled())
    }

    /// Sends `message` (any `Serialize` value) to the Erlang process `to`: a pid (read from a
    /// call's arguments or a message into an [`OwnedTerm`], or [`server`](Context::server)),
    /// a registered name (an [`Atom`]), or `{global, Name}`. Unlike
    /// [`progress`](Context::progress) it goes to anyone, at any time, also from a cast or a
    /// message handler, and it arrives as `message` itself, with nothing around it.
    ///
    /// `erlport_rs` decides who may be sent to (its `send` option): by default a process
    /// that has called this server (it is still alive) and the names its `send_names` option
    /// lists; what it refuses, and a message to a process whose mailbox already holds more
    /// than its `max_progress_queue`, is dropped (with a log line on the Erlang side), not
    /// reported here. Fails only when the message cannot be written: it does not encode, it
    /// is larger than a packet may be, or the port is gone.
    ///
    /// ```
    /// use erlport::{ConcurrentProtocol, Context, OwnedTerm};
    ///
    /// let mut proto = ConcurrentProtocol::<Vec<u8>>::new();
    /// // erlport_rs:call(Server, notify, [Pid, Text]): Pid receives {note, Text}.
    /// proto.handle("notify", |ctx: Context, to: OwnedTerm, text: String| {
    ///     ctx.send(&to, &(erlport::codec::Atom::new("note"), text))
    /// });
    /// ```
    pub fn send<D: Serialize + ?Sized, T: Serialize + ?Sized>(&self, to: &D, message: &T) -> Result<(), Error> {
        send(&*self.link, to, message)
    }

    /// Keeps `value` in the program and gives the [`Handle`](super::Handle) Erlang holds it
    /// by (return it, or send it): the value lives until the process that made this call dies
    /// or releases it (`erlport_rs:release/2`). From a cast or a message handler, there is no
    /// caller: it lives until released.
    pub fn keep<T: Send + Sync + 'static>(&self, value: T) -> Result<super::Handle<T>, Error> {
        let value = Arc::new(value);
        let tag = self.tag.as_deref().map(decode).transpose()?;
        let id = self.link.keep(tag, Arc::clone(&value) as Arc<dyn std::any::Any + Send + Sync>)?;
        Ok(super::Handle::new(id, self.link.server(), value))
    }

    /// The pid of the `erlport_rs` server this program serves, as Erlang said it at start
    /// (`None` before, or when the other side did not say it): to send to it, or to put in a
    /// message so that its receiver can call back.
    pub fn server(&self) -> Option<OwnedTerm> {
        self.link.server()
    }

    /// Sends `message` (any `Serialize` value) to the process that made this call, which
    /// receives `{erlport_rs, Server, Ref, Message}` before the reply. Messages arrive in the
    /// order they were sent. For a cast there is no caller: nothing is sent.
    ///
    /// Flow control: `erlport_rs` lets a call have a window of progress messages on their way
    /// at once (64 messages, 4 MiB), and acknowledges them only as its caller's mailbox
    /// empties; with the window full this waits (holding no slot). So a caller that does not
    /// read its mailbox holds the handler here instead of filling the node's memory. Fails
    /// with [`Error::Cancelled`] once the call is cancelled
    /// ([`is_cancelled`](Context::is_cancelled)), also while waiting. In an `async` handler
    /// the wait holds the runtime's thread.
    pub fn progress<T: Serialize + ?Sized>(&self, message: &T) -> Result<(), Error> {
        let Some(tag) = &self.tag else {
            log::debug!("progress from a cast: no caller to send it to");
            return Ok(());
        };
        let message = encode(message, self.link.nil())?;
        if let Some(state) = &self.state {
            state.take_credit(&*self.link, message.len() as u64)?;
        }
        let (tag, message) = (decode(tag)?, decode(&message)?);
        self.link.progress(tag, message)
    }

    /// Calls `module:function(Args...)` in Erlang and waits for its value, read into `T`
    /// (any owned `Deserialize` type; [`OwnedTerm`] for any term). `args` is a tuple of up to
    /// 6 `Serialize` values (`()` for none, `(x,)` for one), or a `Vec` or slice of them.
    ///
    /// Erlang runs the call in a process of its own, and only the functions its `allow`
    /// option lists ([`CallError::Erlang`] with `{not_allowed, {M, F, Arity}}` otherwise).
    /// While this handler waits, its slot is free: other calls run, including calls this
    /// call makes back into Rust, to any depth.
    ///
    /// Blocks the thread. In an `async` handler use
    /// `Context::call_async` (feature `tokio`).
    pub fn call<T: DeserializeOwned>(&self, module: &str, function: &str, args: impl CallArgs) -> Result<T, CallError> {
        if self.is_cancelled() {
            return Err(CallError::Cancelled);
        }
        let args = args.call_args(self.link.nil()).map_err(|e| CallError::Send(e.into()))?;
        let released = self.link.begin_wait(true)?;
        let answer = self.send_call(module, function, &args).map(|pending| pending.wait());
        self.link.end_wait(released);
        self.read_answer(answer?)
    }

    /// [`call`](Context::call) for an `async` handler: waits without holding a thread.
    #[cfg(feature = "tokio")]
    pub async fn call_async<T: DeserializeOwned>(
        &self,
        module: &str,
        function: &str,
        args: impl CallArgs,
    ) -> Result<T, CallError> {
        if self.is_cancelled() {
            return Err(CallError::Cancelled);
        }
        let args = args.call_args(self.link.nil()).map_err(|e| CallError::Send(e.into()))?;
        let released = self.link.begin_wait(false)?;
        let pending = self.send_call(module, function, &args);
        let answer = match pending {
            Ok(pending) => Ok(std::future::poll_fn(|cx| pending.poll(cx.waker())).await),
            Err(e) => Err(e),
        };
        self.link.end_wait(released);
        self.read_answer(answer?)
    }

    fn send_call(&self, module: &str, function: &str, args: &[u8]) -> Result<Arc<Pending>, CallError> {
        let args = decode(args).map_err(|e| CallError::Send(e.into()))?;
        self.link.start_call(module, function, args)
    }

    /// `{reply, Id, {ok, Value}}` or `{reply, Id, {error, Reason}}`.
    fn read_answer<T: DeserializeOwned>(&self, packet: Option<Vec<u8>>) -> Result<T, CallError> {
        let packet = packet.ok_or(CallError::Closed)?;
        let mut unpacker = crate::io::Unpacker::default();
        let term = unpacker.decode(&packet, self.link.inflate_limit()).map_err(|e| CallError::Send(e.into()))?;
        let result = term.as_tuple().and_then(|t| t.get(2)).and_then(|r| r.as_tuple()).filter(|r| r.arity() == 2);
        let (Some(status), Some(value)) = (result.and_then(|r| r.get(0)), result.and_then(|r| r.get(1))) else {
            return Err(CallError::Erlang(OwnedTerm::from_term(&term)));
        };
        if status.is_atom("ok") {
            from_term(value).map_err(CallError::Type)
        } else {
            Err(CallError::Erlang(OwnedTerm::from_term(&value)))
        }
    }
}

/// The `{ok, Value}` of a call's answer did not fit the type asked for, and so on: why
/// [`Context::call`] has no value. Serializes as a reason Erlang can read, so a handler may
/// return `Result<T, CallError>`.
#[derive(Debug)]
#[non_exhaustive]
pub enum CallError {
    /// Erlang answered `{error, Reason}`: `{not_allowed, {M, F, Arity}}` (not in the `allow`
    /// option, or a module or function the node does not know), `{not_allowed,
    /// fun_in_arguments}` (a fun in the arguments: they are data), `{unknown_atoms, Names}`
    /// (the arguments name atoms the node does not know), `busy` (too many calls from Rust
    /// running), `badarg`, `{exception, Class, Reason}` (the function raised), `timeout` (it
    /// outlived the call timeout), `{packet_too_large, Len, Max}` (its value is too large to
    /// send); or its answer could not be read: `{packet_too_large, Len, Max}` (over the
    /// port's size limit), `{decode, Why}` (not a valid term). Serializes as `Reason`.
    Erlang(OwnedTerm),
    /// The value does not fit the type asked for. Serializes as `{type, <<"why">>}`.
    Type(DeserializeError),
    /// The port closed before the answer came. Serializes as `closed`.
    Closed,
    /// The call could not be written (its arguments are too large for the packet size, or
    /// cannot be encoded). Serializes as `{send, <<"why">>}`.
    Send(Error),
    /// [`MAX_WAITING`](crate::MAX_WAITING) handlers already wait for Erlang. Serializes as
    /// `busy`.
    Busy,
    /// The call this handler answers was cancelled ([`Context::is_cancelled`]): nothing was
    /// sent. Serializes as `cancelled`.
    Cancelled,
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Erlang(reason) => write!(f, "Erlang answered {{error, {}}}", reason.term()),
            CallError::Type(e) => write!(f, "the answer does not fit: {e}"),
            CallError::Closed => f.write_str("the port closed before Erlang answered"),
            CallError::Send(e) => write!(f, "the call could not be sent: {e}"),
            CallError::Busy => write!(f, "{} handlers already wait for Erlang", crate::MAX_WAITING),
            CallError::Cancelled => f.write_str("the call this handler answers was cancelled"),
        }
    }
}

impl std::error::Error for CallError {}

impl Serialize for CallError {
    fn serialize<S: SerdeSerializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let tagged = |tag: &str, text: String, s: S| (Atom::new(tag), text).serialize(s);
        match self {
            CallError::Erlang(reason) => reason.serialize(s),
            CallError::Type(e) => tagged("type", e.to_string(), s),
            CallError::Closed => Atom::new("closed").serialize(s),
            CallError::Send(e) => tagged("send", e.to_string(), s),
            CallError::Busy => Atom::new("busy").serialize(s),
            CallError::Cancelled => Atom::new("cancelled").serialize(s),
        }
    }
}

/// `value` as a term, version byte first.
/// `{send, To, Message}`, for [`Context::send`] and [`Outbox::send`](super::Outbox::send).
pub(super) fn send<D: Serialize + ?Sized, T: Serialize + ?Sized>(
    link: &dyn Link,
    to: &D,
    message: &T,
) -> Result<(), Error> {
    let (to, message) = (encode(to, link.nil())?, encode(message, link.nil())?);
    link.send(decode(&to)?, decode(&message)?)
}

fn encode<T: Serialize + ?Sized>(value: &T, nil: bool) -> Result<Vec<u8>, erlport_codec::EncodeError> {
    let mut out = Vec::new();
    let mut encoder = Encoder::new(&mut out);
    encoder.version()?;
    Serializer::new(&mut encoder).none_as_nil(nil).write(value)?;
    Ok(out)
}

/// The arguments of a call into Erlang ([`Context::call`]), written as the list `apply/3`
/// takes: a tuple of up to 6 `Serialize` values (`()`, `(x,)`, `(x, y)`, ...), a `Vec` or a
/// slice.
pub trait CallArgs {
    #[doc(hidden)]
    fn call_args(&self, nil: bool) -> Result<Vec<u8>, erlport_codec::EncodeError>;
}

impl<T: Serialize> CallArgs for Vec<T> {
    fn call_args(&self, nil: bool) -> Result<Vec<u8>, erlport_codec::EncodeError> {
        self.as_slice().call_args(nil)
    }
}

impl<T: Serialize> CallArgs for &[T] {
    fn call_args(&self, nil: bool) -> Result<Vec<u8>, erlport_codec::EncodeError> {
        encode(&Seq(self), nil)
    }
}

/// A slice, always as a list (an array is a tuple to serde).
struct Seq<'a, T>(&'a [T]);

impl<T: Serialize> Serialize for Seq<'_, T> {
    fn serialize<S: SerdeSerializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for element in self.0 {
            seq.serialize_element(element)?;
        }
        seq.end()
    }
}

/// A tuple's elements as one list.
struct TupleList<'a, T>(&'a T);

macro_rules! call_args {
    ($($n:literal => ($($a:ident $i:tt),*);)*) => {$(
        impl<$($a: Serialize),*> Serialize for TupleList<'_, ($($a,)*)> {
            #[allow(unused_mut)]
            fn serialize<S: SerdeSerializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut seq = s.serialize_seq(Some($n))?;
                $(seq.serialize_element(&(self.0).$i)?;)*
                seq.end()
            }
        }

        impl<$($a: Serialize),*> CallArgs for ($($a,)*) {
            fn call_args(&self, nil: bool) -> Result<Vec<u8>, erlport_codec::EncodeError> {
                encode(&TupleList(self), nil)
            }
        }
    )*};
}

call_args! {
    0 => ();
    1 => (A1 0);
    2 => (A1 0, A2 1);
    3 => (A1 0, A2 1, A3 2);
    4 => (A1 0, A2 1, A3 2, A4 3);
    5 => (A1 0, A2 1, A3 2, A4 3, A5 4);
    6 => (A1 0, A2 1, A3 2, A4 3, A5 4, A6 5);
}
