//! `Protocol`: dispatch of `{name, A1, ..., An}` (or the bare atom `name`) to typed handlers,
//! one reply per message, in order, with erlport's error shapes.

use crate::args::{Arg, Args, BorrowedArg};
use crate::port::{Loopback, Port, Sender};
use crate::{Error, truncate};
use erlport_codec::{Atom, Encode, EncodeError, Encoder, Sink, Term, encoded_len, from_term};
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

/// How a handler call ended, when it did not produce a reply value.
#[doc(hidden)]
pub enum Failure {
    /// The arguments do not fit the handler: `{error, function_clause}`, and why.
    BadArgs(String),
    /// The handler panicked: `{error, {exception, {Type, Message, Trace}}}`.
    Exception { kind: String, message: String, trace: Vec<String> },
}

#[doc(hidden)]
pub type Outcome = Result<Result<(), Failure>, Error>;

type Call<W, S> = Box<dyn for<'a> Fn(&mut S, Args<'a>, &Sender<W>) -> Outcome>;

/// The state of a [`Protocol`] without one ([`Protocol::new`]): handlers take only the
/// message's arguments.
pub struct Stateless;

/// The state of a [`Protocol`] made by [`Protocol::with_state`]: every handler takes `&mut T`
/// first.
pub struct Stateful<T>(T);

/// A type a handler can reply with: any `serde::Serialize` type (implemented for all of
/// them). `Result<T, E>` replies `{ok, T}` or `{error, E}`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a handler's reply: it does not implement `serde::Serialize`",
    label = "this handler's return type",
    note = "derive it (`#[derive(serde::Serialize)]`); for an error type without `Serialize`, reply with its text: `.map_err(|e| e.to_string())`"
)]
pub trait Reply: Serialize {}

impl<T: Serialize + ?Sized> Reply for T {}

/// The parameter types of a [`Protocol::handle`] handler, as a tuple: each an owned
/// `Deserialize` type ([`Arg`]).
pub trait ArgList: Sized {
    #[doc(hidden)]
    fn read(args: &Args<'_>) -> Result<Self, Failure>;
}

/// The parameter types of a [`Protocol::handle_borrowed`] handler, as a tuple: each a
/// [`BorrowedArg`]; `Of<'a>` the same borrowing from a request that lives for `'a`.
pub trait BorrowedArgList {
    /// The parameters, borrowing for `'a`.
    type Of<'a>;
    #[doc(hidden)]
    fn read<'a>(args: &Args<'a>) -> Result<Self::Of<'a>, Failure>;
}

/// A function usable with [`Protocol::handle`] on a protocol without state:
/// `Fn(A1, ..., An) -> R`, for up to 6 arguments. `Params` is inferred: `(A1, ..., An)`.
#[diagnostic::on_unimplemented(
    message = "this closure cannot be a handler: take at most 6 arguments",
    label = "not a handler",
    note = "on a `Protocol::with_state`, every handler takes the state first: `|state: &mut S, a: A|`"
)]
pub trait Handler<Params>: 'static {
    /// What the handler returns: the reply.
    type Output;
    #[doc(hidden)]
    fn call(&self, args: Params) -> Self::Output;
}

/// A function usable with [`Protocol::handle`] on a [protocol with state](Protocol::with_state):
/// `Fn(&mut T, A1, ..., An) -> R`, for up to 6 arguments after the state, or
/// `Fn(A1, ..., An) -> R` for a handler that does not need the state.
#[diagnostic::on_unimplemented(
    message = "this closure cannot be a handler of a protocol with state: take `&mut {T}` first, then at most 6 arguments",
    label = "not a handler"
)]
pub trait StatefulHandler<T, Params>: 'static {
    /// What the handler returns: the reply.
    type Output;
    #[doc(hidden)]
    fn call(&self, state: &mut T, args: Params) -> Self::Output;
}

/// A function usable with [`Protocol::handle_borrowed`]: like [`Handler`], its arguments
/// [`BorrowedArg`]s that may borrow from the request.
#[diagnostic::on_unimplemented(
    message = "this closure cannot be a borrowing handler: each argument must implement `erlport::BorrowedArg`, and the reply may not borrow from them",
    label = "not a handler",
    note = "for a type of your own, add `erlport::borrowed_arg!(YourType);` (or `YourType<'a>`)"
)]
pub trait BorrowedHandler<Params: BorrowedArgList>: 'static {
    /// What the handler returns: the reply.
    type Output;
    #[doc(hidden)]
    fn call<'a>(&self, args: Params::Of<'a>) -> Self::Output;
}

/// [`BorrowedHandler`] on a [protocol with state](Protocol::with_state): the state first.
#[diagnostic::on_unimplemented(
    message = "this closure cannot be a borrowing handler of a protocol with state: take `&mut {T}` first; each argument must implement `erlport::BorrowedArg`",
    label = "not a handler"
)]
pub trait StatefulBorrowedHandler<T, Params: BorrowedArgList>: 'static {
    /// What the handler returns: the reply.
    type Output;
    #[doc(hidden)]
    fn call<'a>(&self, state: &mut T, args: Params::Of<'a>) -> Self::Output;
}

/// The parameters of a handler that does not take the state, registered on a
/// [protocol with state](Protocol::with_state): what tells it apart from one that does.
#[doc(hidden)]
pub struct NoState<P>(P);

impl<P: ArgList> ArgList for NoState<P> {
    fn read(args: &Args<'_>) -> Result<Self, Failure> {
        P::read(args).map(NoState)
    }
}

impl<P: BorrowedArgList> BorrowedArgList for NoState<P> {
    type Of<'a> = NoState<P::Of<'a>>;
    fn read<'a>(args: &Args<'a>) -> Result<Self::Of<'a>, Failure> {
        P::read(args).map(NoState)
    }
}

/// Reads argument `index` (from 0) of `count`.
fn arg<'a, T: Deserialize<'a>>(
    args: &mut impl Iterator<Item = Term<'a>>,
    index: usize,
    count: usize,
) -> Result<T, Failure> {
    let term = args.next().ok_or_else(|| Failure::BadArgs(format!("argument {} of {count} is missing", index + 1)))?;
    from_term(term).map_err(|e| Failure::BadArgs(format!("argument {} of {count}: {e}", index + 1)))
}

fn arity(args: &Args<'_>, count: usize) -> Result<(), Failure> {
    match args.len() {
        n if n == count => Ok(()),
        n => {
            Err(Failure::BadArgs(format!("expected {count} argument{}, found {n}", if count == 1 { "" } else { "s" })))
        }
    }
}

macro_rules! handlers {
    ($($n:literal => ($($a:ident),*);)*) => {$(
        impl<$($a: Arg),*> ArgList for ($($a,)*) {
            #[allow(unused_mut, unused_variables, unused_assignments)]
            fn read(args: &Args<'_>) -> Result<Self, Failure> {
                arity(args, $n)?;
                let mut iter = args.iter();
                let mut index = 0;
                Ok(($({
                    let value: $a = arg(&mut iter, index, $n)?;
                    index += 1;
                    value
                },)*))
            }
        }

        impl<$($a: BorrowedArg),*> BorrowedArgList for ($($a,)*) {
            type Of<'a> = ($($a::Of<'a>,)*);
            #[allow(unused_mut, unused_variables, unused_assignments)]
            fn read<'a>(args: &Args<'a>) -> Result<Self::Of<'a>, Failure> {
                arity(args, $n)?;
                let mut iter = args.iter();
                let mut index = 0;
                Ok(($({
                    let value: $a::Of<'a> = arg(&mut iter, index, $n)?;
                    index += 1;
                    value
                },)*))
            }
        }

        impl<F, R, $($a,)*> Handler<($($a,)*)> for F
        where
            F: Fn($($a),*) -> R + 'static,
        {
            type Output = R;
            #[allow(non_snake_case)]
            fn call(&self, ($($a,)*): ($($a,)*)) -> R {
                self($($a),*)
            }
        }

        impl<T, F, R, $($a,)*> StatefulHandler<T, ($($a,)*)> for F
        where
            F: Fn(&mut T, $($a),*) -> R + 'static,
        {
            type Output = R;
            #[allow(non_snake_case)]
            fn call(&self, state: &mut T, ($($a,)*): ($($a,)*)) -> R {
                self(state, $($a),*)
            }
        }

        // A handler without the state, on a protocol with state.
        impl<T, F, R, $($a: Arg,)*> StatefulHandler<T, NoState<($($a,)*)>> for F
        where
            F: Fn($($a),*) -> R + 'static,
        {
            type Output = R;
            #[allow(non_snake_case)]
            fn call(&self, _: &mut T, NoState(($($a,)*)): NoState<($($a,)*)>) -> R {
                self($($a),*)
            }
        }

        impl<F, R, $($a,)*> BorrowedHandler<($($a,)*)> for F
        where
            $($a: BorrowedArg,)*
            F: Fn($($a),*) -> R + for<'a> Fn($($a::Of<'a>),*) -> R + 'static,
        {
            type Output = R;
            #[allow(non_snake_case)]
            fn call<'a>(&self, ($($a,)*): ($($a::Of<'a>,)*)) -> R {
                // The closure is both `Fn(A1, ...)` and `Fn(A1::Of<'a>, ...)`: call the second.
                fn apply<F: Fn($($a),*) -> R, R, $($a),*>(f: &F, $($a: $a),*) -> R {
                    f($($a),*)
                }
                apply::<F, R, $($a::Of<'a>),*>(self, $($a),*)
            }
        }

        impl<T, F, R, $($a,)*> StatefulBorrowedHandler<T, ($($a,)*)> for F
        where
            $($a: BorrowedArg,)*
            F: Fn(&mut T, $($a),*) -> R + for<'a> Fn(&mut T, $($a::Of<'a>),*) -> R + 'static,
        {
            type Output = R;
            #[allow(non_snake_case)]
            fn call<'a>(&self, state: &mut T, ($($a,)*): ($($a::Of<'a>,)*)) -> R {
                #[allow(clippy::too_many_arguments)]
                fn apply<T, F: Fn(&mut T, $($a),*) -> R, R, $($a),*>(f: &F, state: &mut T, $($a: $a),*) -> R {
                    f(state, $($a),*)
                }
                apply::<T, F, R, $($a::Of<'a>),*>(self, state, $($a),*)
            }
        }

        // A borrowing handler without the state, on a protocol with state.
        impl<T, F, R, $($a,)*> StatefulBorrowedHandler<T, NoState<($($a,)*)>> for F
        where
            $($a: BorrowedArg,)*
            F: Fn($($a),*) -> R + for<'a> Fn($($a::Of<'a>),*) -> R + 'static,
        {
            type Output = R;
            #[allow(non_snake_case)]
            fn call<'a>(&self, _: &mut T, NoState(($($a,)*)): NoState<($($a::Of<'a>,)*)>) -> R {
                <F as BorrowedHandler<($($a,)*)>>::call(self, ($($a,)*))
            }
        }
    )*};
}

handlers! {
    0 => ();
    1 => (A1);
    2 => (A1, A2);
    3 => (A1, A2, A3);
    4 => (A1, A2, A3, A4);
    5 => (A1, A2, A3, A4, A5);
    6 => (A1, A2, A3, A4, A5, A6);
}

thread_local! {
    /// Whether this thread is inside a handler called by a `Protocol`.
    static IN_HANDLER: Cell<bool> = const { Cell::new(false) };
    /// Where the last panic inside a handler on this thread happened, for the exception's trace.
    static PANIC_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs, once per process, a panic hook that records where a handler panicked (for the
/// exception reply) instead of printing it, and hands every other panic to the hook that was
/// there before: panics on other threads, or outside handlers, print as usual.
pub(crate) fn install_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if IN_HANDLER.with(Cell::get) {
                let location = info.location().map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
                PANIC_LOCATION.with(|slot| *slot.borrow_mut() = location);
            } else {
                previous(info);
            }
        }));
    });
}

/// Marks this thread as inside a handler while it lives.
pub(crate) struct InHandler;

impl InHandler {
    pub(crate) fn enter() -> Self {
        IN_HANDLER.with(|flag| flag.set(true));
        InHandler
    }
}

impl Drop for InHandler {
    fn drop(&mut self) {
        IN_HANDLER.with(|flag| flag.set(false));
    }
}

/// Runs a handler's outcome into a reply.
fn reply<W: Write, R: Serialize>(out: &Sender<W>, value: Result<R, Failure>) -> Outcome {
    match value {
        Ok(value) => {
            out.send(&value)?;
            Ok(Ok(()))
        }
        Err(failure) => Ok(Err(failure)),
    }
}

/// Handlers by name, and the loop that serves a [`Port`] with them.
///
/// ```
/// use erlport::{Port, PacketSize, Protocol, codec::{decode, ErlString}};
///
/// // {hello, <<"Bob">>} then {add, 1, 2}, as Erlang sends them with {packet, 1}.
/// let input: &[u8] = &[18, 131, 104, 2, 119, 5, b'h', b'e', b'l', b'l', b'o', 109, 0, 0, 0, 3, b'B', b'o', b'b',
///                      12, 131, 104, 3, 119, 3, b'a', b'd', b'd', 97, 1, 97, 2];
/// let mut output = Vec::new();
/// {
///     let mut proto = Protocol::new();
///     proto.handle("hello", |name: String| ErlString(format!("Hello, {name}")));
///     proto.handle("add", |a: i64, b: i64| a + b);
///     proto.run(Port::new(input, &mut output, PacketSize::One))?;
/// }
/// let (first, rest) = output.split_at(1 + output[0] as usize);
/// assert_eq!(decode(&first[1..])?.to_string(), "[72,101,108,108,111,44,32,66,111,98]");
/// assert_eq!(decode(&rest[1..])?.to_string(), "3");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Protocol<W, S = Stateless> {
    handlers: HashMap<String, Call<W, S>>,
    state: S,
    function_clause_reason: bool,
    /// For [`Protocol::call_packet`].
    loopback: Option<Box<Loopback>>,
}

impl<W: Write> Default for Protocol<W> {
    fn default() -> Self {
        Protocol::new()
    }
}

impl<W: Write> Protocol<W> {
    /// No handlers yet, and no state: handlers take only the message's arguments.
    pub fn new() -> Self {
        Protocol { handlers: HashMap::new(), state: Stateless, function_clause_reason: false, loopback: None }
    }

    /// Registers `handler` for messages `{name, A1, ..., An}` (and the bare atom `name` for a
    /// handler of no arguments).
    ///
    /// The arguments are read into the handler's parameter types with serde (any owned
    /// `Deserialize` type: numbers, `String`, `Vec`, `HashMap`, your derived structs and
    /// enums; the mapping is in the [`codec`](crate::codec) docs, "Typed data"). The
    /// handler's value, any `Serialize` type, is the reply: a `Result` replies `{ok, T}` or
    /// `{error, E}`. Arguments that do not fit get `{error, function_clause}`.
    ///
    /// Arguments that borrow from the request (`&str`, `&[u8]`, [`Term`]) need
    /// [`Protocol::handle_borrowed`]: here they fail to compile with "implementation of
    /// `Deserialize` is not general enough".
    ///
    /// A parameter or return type that does not convert is a compile error that names it and
    /// the trait it lacks ("the trait bound `Point: serde::Deserialize<'de>` is not
    /// satisfied", "`Handle` cannot be a handler's reply: it does not implement
    /// `serde::Serialize`"):
    ///
    /// ```compile_fail,E0277
    /// struct Point { x: f64 } // no #[derive(Deserialize)]
    /// let mut proto = erlport::Protocol::<Vec<u8>>::new();
    /// proto.handle("norm", |p: Point| p.x.abs());
    /// ```
    ///
    /// ```compile_fail,E0277
    /// struct Handle(u32); // no #[derive(Serialize)]
    /// let mut proto = erlport::Protocol::<Vec<u8>>::new();
    /// proto.handle("open", |n: u32| Handle(n));
    /// ```
    pub fn handle<P, H>(&mut self, name: &str, handler: H) -> &mut Self
    where
        P: ArgList,
        H: Handler<P>,
        H::Output: Reply,
    {
        self.insert(name, move |_, args, out| reply(out, P::read(&args).map(|p| handler.call(p))))
    }

    /// Registers a handler whose arguments may borrow from the request, so nothing is copied:
    /// `&str`, `&[u8]` (binaries), [`Term`] and the other views, `Option`s, `Vec`s and tuples
    /// of them, primitives and `String`, and your own types made usable with
    /// [`borrowed_arg!`](crate::borrowed_arg). Otherwise as [`Protocol::handle`].
    ///
    /// ```
    /// use erlport::codec::Term;
    ///
    /// let mut proto = erlport::Protocol::<Vec<u8>>::new();
    /// proto.handle_borrowed("size", |bytes: &[u8]| bytes.len());
    /// proto.handle_borrowed("show", |term: Term<'_>, label: &str| format!("{label}: {term}"));
    /// ```
    pub fn handle_borrowed<P, H>(&mut self, name: &str, handler: H) -> &mut Self
    where
        P: BorrowedArgList,
        H: BorrowedHandler<P>,
        H::Output: Reply,
    {
        self.insert(name, move |_, args, out| reply(out, P::read(&args).map(|p| handler.call(p))))
    }
}

impl<W: Write, T> Protocol<W, Stateful<T>> {
    /// No handlers yet; every handler takes `&mut T` first, so handlers keep state between
    /// calls without `Rc<RefCell<..>>`.
    ///
    /// ```
    /// use std::collections::HashMap;
    ///
    /// type Store = HashMap<String, i64>;
    /// let mut proto = erlport::Protocol::<Vec<u8>, _>::with_state(Store::new());
    /// proto.handle("put", |store: &mut Store, key: String, value: i64| store.insert(key, value));
    /// proto.handle("get", |store: &mut Store, key: String| store.get(&key).copied());
    /// ```
    pub fn with_state(state: T) -> Self {
        Protocol { handlers: HashMap::new(), state: Stateful(state), function_clause_reason: false, loopback: None }
    }

    /// The state handlers share.
    pub fn state(&self) -> &T {
        &self.state.0
    }

    /// The state handlers share, to change between runs.
    pub fn state_mut(&mut self) -> &mut T {
        &mut self.state.0
    }

    /// The state, once the protocol is done.
    pub fn into_state(self) -> T {
        self.state.0
    }

    /// [`Protocol::handle`] on a protocol with state: `handler` takes `&mut T` first, or,
    /// when it does not need the state, only the arguments.
    ///
    /// ```
    /// let mut proto = erlport::Protocol::<Vec<u8>, _>::with_state(0u64);
    /// proto.handle("count", |calls: &mut u64| { *calls += 1; *calls });
    /// proto.handle("add", |a: i64, b: i64| a + b); // no state
    /// ```
    pub fn handle<P, H>(&mut self, name: &str, handler: H) -> &mut Self
    where
        P: ArgList,
        H: StatefulHandler<T, P>,
        H::Output: Reply,
    {
        self.insert(name, move |state, args, out| reply(out, P::read(&args).map(|p| handler.call(&mut state.0, p))))
    }

    /// [`Protocol::handle_borrowed`] on a protocol with state: `handler` takes `&mut T` first,
    /// or only the arguments when it does not need the state.
    pub fn handle_borrowed<P, H>(&mut self, name: &str, handler: H) -> &mut Self
    where
        P: BorrowedArgList,
        H: StatefulBorrowedHandler<T, P>,
        H::Output: Reply,
    {
        self.insert(name, move |state, args, out| reply(out, P::read(&args).map(|p| handler.call(&mut state.0, p))))
    }
}

impl<S> Protocol<Vec<u8>, S> {
    /// Answers one request without a pipe: `request` is what Erlang would send (a packet's
    /// bytes, the term without its `{packet, N}` header), and its reply is appended to `reply`
    /// framed as `{packet, 4}` (4-byte length, then the term), exactly as [`Protocol::run`]
    /// would write it: the same replies, error replies (`{error, {decode, ...}}` for bytes
    /// that are not a term, `{error, {packet_too_large, ...}}` past 64 MiB) and panic capture.
    /// State carries over from call to call.
    ///
    /// For fuzzing handlers in-process, at millions of requests a second: no pipe, no
    /// thread, and once warm no allocation but the handlers' own. Build the protocol with
    /// `Vec<u8>` as its output type (a function generic over the output builds the same
    /// handlers for `Port::stdio` and for this).
    ///
    /// ```
    /// use erlport::{Protocol, codec::{decode, to_vec, Atom}};
    ///
    /// let mut proto = Protocol::<Vec<u8>>::new();
    /// proto.handle("add", |a: i64, b: i64| a + b);
    /// let mut reply = Vec::new();
    /// proto.call_packet(&to_vec(&(Atom::new("add"), 1, 2))?, &mut reply);
    /// assert_eq!(decode(&reply[4..])?.to_string(), "3");
    /// reply.clear();
    /// proto.call_packet(b"not a term", &mut reply);
    /// assert!(decode(&reply[4..])?.to_string().starts_with("{error,{decode,"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn call_packet(&mut self, request: &[u8], reply: &mut Vec<u8>) {
        install_panic_hook();
        let mut loopback = self.loopback.take().unwrap_or_default();
        let sender = loopback.sender.clone();
        let outcome = match loopback.decode(request) {
            Ok(message) => self.dispatch(message, &sender),
            Err(e) => sender.send_error(&e),
        };
        // Writing to a `Vec` does not fail; a reply that could not be written is in the log.
        if let Err(e) = outcome {
            log::error!("call_packet: {e}");
        }
        sender.drain_into(reply);
        self.loopback = Some(loopback);
    }
}

impl<W: Write, S> Protocol<W, S> {
    fn insert(
        &mut self,
        name: &str,
        call: impl for<'a> Fn(&mut S, Args<'a>, &Sender<W>) -> Outcome + 'static,
    ) -> &mut Self {
        self.handlers.insert(name.to_string(), Box::new(call));
        self
    }

    /// Whether a request whose arguments do not fit its handler is answered
    /// `{error, {function_clause, <<"why">>}}` (which argument, where in it, what was expected
    /// and found) instead of erlport's `{error, function_clause}`. Off by default; the reason
    /// is logged (at debug level) either way.
    pub fn function_clause_reason(&mut self, yes: bool) -> &mut Self {
        self.function_clause_reason = yes;
        self
    }

    /// Registers a handler that sees the arguments as views (no conversion, nothing copied)
    /// and writes its reply itself through the [`Sender`] (any number of messages, though
    /// Erlang callers usually expect exactly one).
    pub fn handle_raw<F>(&mut self, name: &str, handler: F) -> &mut Self
    where
        F: for<'a> Fn(Args<'a>, &Sender<W>) -> Result<(), Error> + 'static,
    {
        self.handlers.insert(name.to_string(), Box::new(move |_, args, out| handler(args, out).map(Ok)));
        self
    }

    /// Serves `port` until Erlang closes it: one reply per message, in order, whatever the
    /// messages hold. Replies:
    ///
    /// | Request | Reply |
    /// |---|---|
    /// | `{name, A1, ..., An}` or `name`, handled | the handler's value (`Result`: `{ok, T}` or `{error, E}`) |
    /// | neither an atom nor a tuple led by one | `{error, badarg}` |
    /// | no handler of that name | `{error, undef}` |
    /// | arguments that do not fit | `{error, function_clause}` (or `{error, {function_clause, <<"why">>}}`: [`Protocol::function_clause_reason`]) |
    /// | the handler panicked | `{error, {exception, {panic, Message, Trace}}}` |
    /// | bytes that are not one term | `{error, {decode, <<"what, at byte N">>}}` |
    /// | a packet over [`Port::max_packet`] | `{error, {packet_too_large, Len, Max}}` |
    /// | a reply longer than the packet size | `{error, {reply_too_large, Len, Max}}` |
    /// | a reply that cannot be encoded | `{error, {encode, <<"why">>}}` |
    ///
    /// `Message` is a binary, `Trace` a list of binaries (where it panicked); an exception too
    /// long for the packet size is cut to fit and says so. See [`Error::reason`].
    ///
    /// Returns `Ok(())` at a clean end of input (or when Erlang closed the port while replies
    /// were being written). Only what ends the stream stops it: input ending inside a packet
    /// ([`Error::Truncated`]) or a failed read or write ([`Error::Io`]); that error is logged
    /// (through the `log` facade, at error level) and returned.
    ///
    /// Panics in handlers are caught and answered. To record where (the exception's trace)
    /// without printing them, the first `run` installs a process-wide panic hook that hands
    /// every panic outside a handler (another thread, the program's own code) to the hook that
    /// was installed before it, which prints as usual. Set your own hook before calling `run`.
    pub fn run<R: Read>(&mut self, mut port: Port<R, W>) -> Result<(), Error> {
        install_panic_hook();
        let sender = port.sender();
        match self.serve(&mut port, &sender) {
            Ok(()) => {
                log::debug!("end of input: Erlang closed the port");
                Ok(())
            }
            // Erlang closed the port while replies were on their way: a clean end too.
            Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                log::debug!("Erlang closed the port while a reply was being written");
                Ok(())
            }
            Err(e) => {
                log::error!("port stopped: {e}");
                Err(e)
            }
        }
    }

    fn serve<R: Read>(&mut self, port: &mut Port<R, W>, sender: &Sender<W>) -> Result<(), Error> {
        loop {
            let message = match port.read() {
                Ok(Some(message)) => message,
                Ok(None) => return Ok(()),
                Err(e) if !e.is_fatal() => {
                    log::debug!("refused a request: {e}");
                    sender.send_error(&e)?;
                    continue;
                }
                Err(e) => return Err(e),
            };
            self.dispatch(message, sender)?;
        }
    }

    /// Answers one message. Errors returned end the port (failed writes).
    fn dispatch(&mut self, message: Term<'_>, sender: &Sender<W>) -> Result<(), Error> {
        let (name, args) = match message {
            Term::Atom(name) => (name, Args::none()),
            Term::Tuple(tuple) => match tuple.iter().next() {
                Some(Term::Atom(name)) => (name, Args::after_first(tuple)),
                _ => return sender.send_encoded(&error_reply(&Atom::new("badarg"))),
            },
            _ => return sender.send_encoded(&error_reply(&Atom::new("badarg"))),
        };
        let handler = name.as_str().and_then(|name| self.handlers.get(name));
        let Some(handler) = handler else {
            return sender.send_encoded(&error_reply(&Atom::new("undef")));
        };
        let state = &mut self.state;
        let outcome = {
            let _inside = InHandler::enter();
            panic::catch_unwind(AssertUnwindSafe(|| handler(state, args, sender)))
        };
        let failure = match outcome {
            Ok(Ok(Ok(()))) => return Ok(()),
            Ok(Ok(Err(failure))) => failure,
            // A reply that does not fit the packet size or cannot be encoded: nothing was
            // written; say why instead.
            Ok(Err(e)) if !e.is_fatal() => return sender.send_error(&e),
            Ok(Err(e)) => return Err(e),
            Err(payload) => panicked(&name, payload),
        };
        send_failure(sender, None, &name, failure, self.function_clause_reason)
    }
}

/// The exception for a handler's panic, and a log line saying where.
pub(crate) fn panicked(name: &Atom<'_>, payload: Box<dyn std::any::Any + Send>) -> Failure {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_string());
    let trace: Vec<String> = PANIC_LOCATION.with(|slot| slot.borrow_mut().take()).into_iter().collect();
    log::warn!("handler {} panicked: {message} ({})", name, trace.join(", "));
    Failure::Exception { kind: "panic".to_string(), message, trace }
}

/// Answers a call that did not produce a value (tagged `{reply, Tag, _}` when `tag` is given).
pub(crate) fn send_failure<W: Write>(
    sender: &Sender<W>,
    tag: Option<Term<'_>>,
    name: &Atom<'_>,
    failure: Failure,
    function_clause_reason: bool,
) -> Result<(), Error> {
    match failure {
        Failure::BadArgs(reason) => {
            log::debug!("{name}: arguments do not fit: {reason}");
            if !function_clause_reason {
                hint_once(name, &reason);
            }
            if function_clause_reason {
                let max = sender.packet_size().max_len() / 2;
                let reason = (Atom::new("function_clause"), truncate(&reason, max).into_owned());
                sender.send_encoded(&Tagged { tag, value: error_reply(&reason) })
            } else {
                sender.send_encoded(&Tagged { tag, value: error_reply(&Atom::new("function_clause")) })
            }
        }
        Failure::Exception { kind, message, trace } => send_exception(sender, tag, kind, message, trace),
    }
}

/// With no logger installed (the `log` facade's level still `Off`), the first
/// `function_clause` whose reason is not sent says why on stderr, once per process, so the
/// reason can be found without knowing where to look.
fn hint_once(name: &Atom<'_>, reason: &str) {
    static HINTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if log::max_level() == log::LevelFilter::Off && !HINTED.swap(true, std::sync::atomic::Ordering::Relaxed) {
        eprintln!(
            "erlport: {name}: arguments do not fit: {reason} (answered {{error, function_clause}}; \
             `function_clause_reason(true)` sends the reason, and a logger (env_logger) shows every one)"
        );
    }
}

/// `{reply, Tag, Value}` answering a concurrent call (`tag` given), `Value` otherwise.
pub(crate) struct Tagged<'t, T> {
    pub(crate) tag: Option<Term<'t>>,
    pub(crate) value: T,
}

impl<T: Encode> Encode for Tagged<'_, T> {
    fn encode<S: Sink>(&self, e: &mut Encoder<S>) -> Result<(), EncodeError> {
        match self.tag {
            Some(tag) => e.tuple(3, |e| {
                e.atom("reply")?;
                tag.encode(e)?;
                self.value.encode(e)
            }),
            None => self.value.encode(e),
        }
    }
}

/// Sends `{error, {exception, {Kind, Message, Trace}}}`; when that is too long for the packet
/// size, the message is cut to fit (saying so) and then the trace dropped; when even the
/// kind does not fit, `{error, {reply_too_large, Len, Max}}`.
fn send_exception<W: Write>(
    sender: &Sender<W>,
    tag: Option<Term<'_>>,
    kind: String,
    message: String,
    trace: Vec<String>,
) -> Result<(), Error> {
    let max = sender.packet_size().max_len();
    let full = Tagged { tag, value: ExceptionReply { kind: &kind, message: &message, trace: &trace } };
    let len = match encoded_len(&full) {
        Ok(len) if len <= max => return sender.send_encoded(&full),
        Ok(len) => len,
        Err(e) => return sender.send_error_tagged(tag, &Error::Encode(e)),
    };
    // Keep the trace while that leaves room for a useful part of the message.
    let dropped = format!("{message} [trace dropped to fit the packet size]");
    for (trace, message, room) in [(&trace[..], &message, 64), (&[][..], &dropped, 0)] {
        let bare = Tagged { tag, value: ExceptionReply { kind: &kind, message: "", trace } };
        let Ok(overhead) = encoded_len(&bare) else { break };
        if overhead + room >= max {
            continue;
        }
        let cut = truncate(message, max - overhead);
        let reply = Tagged { tag, value: ExceptionReply { kind: &kind, message: &cut, trace } };
        if encoded_len(&reply).is_ok_and(|n| n <= max) {
            return sender.send_encoded(&reply);
        }
    }
    sender.send_error_tagged(tag, &Error::ReplyTooLarge { len, max })
}

/// `{error, Reason}`.
pub(crate) fn error_reply<T: Encode>(reason: &T) -> impl Encode + '_ {
    (Atom::new("error"), reason)
}

/// `{error, {exception, {Type, Message, Trace}}}`.
struct ExceptionReply<'a> {
    kind: &'a str,
    message: &'a str,
    trace: &'a [String],
}

impl Encode for ExceptionReply<'_> {
    fn encode<S: Sink>(&self, e: &mut Encoder<S>) -> Result<(), EncodeError> {
        let trace: Vec<&str> = self.trace.iter().map(String::as_str).collect();
        (Atom::new("error"), (Atom::new("exception"), (Atom::new(self.kind), self.message, trace))).encode(e)
    }
}
