//! `Protocol`: dispatch of `{name, A1, ..., An}` (or the bare atom `name`) to typed handlers,
//! one reply per message, in order, with erlport's error shapes.

use crate::dispatch::args::Args;
use crate::dispatch::handler::{
    ArgList, BorrowedArgList, BorrowedHandler, Handler, Reply, Stateful, StatefulBorrowedHandler, StatefulHandler,
    Stateless,
};
use crate::dispatch::{self, Caller, Outcome, install_panic_hook};
use crate::error::Error;
use crate::io::{Loopback, Port, Sender};
use erlport_codec::Term;
use std::collections::HashMap;
use std::io::{Read, Write};

type Call<W, S> = Box<dyn for<'a> Fn(&mut S, Args<'a>, &Sender<W>) -> Outcome>;

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
        self.insert(name, move |_, args, out| {
            dispatch::reply(out, Caller::Plain, P::read(&args).map(|p| handler.call(p)))
        })
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
        self.insert(name, move |_, args, out| {
            dispatch::reply(out, Caller::Plain, P::read(&args).map(|p| handler.call(p)))
        })
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
        self.insert(name, move |state, args, out| {
            dispatch::reply(out, Caller::Plain, P::read(&args).map(|p| handler.call(&mut state.0, p)))
        })
    }

    /// [`Protocol::handle_borrowed`] on a protocol with state: `handler` takes `&mut T` first,
    /// or only the arguments when it does not need the state.
    pub fn handle_borrowed<P, H>(&mut self, name: &str, handler: H) -> &mut Self
    where
        P: BorrowedArgList,
        H: StatefulBorrowedHandler<T, P>,
        H::Output: Reply,
    {
        self.insert(name, move |state, args, out| {
            dispatch::reply(out, Caller::Plain, P::read(&args).map(|p| handler.call(&mut state.0, p)))
        })
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
                _ => return dispatch::refuse(sender, Caller::Plain, "badarg"),
            },
            _ => return dispatch::refuse(sender, Caller::Plain, "badarg"),
        };
        let Some(handler) = dispatch::find(&self.handlers, &name) else {
            return dispatch::refuse(sender, Caller::Plain, "undef");
        };
        let state = &mut self.state;
        let outcome = dispatch::invoke(|| handler(state, args, sender));
        dispatch::answer(sender, Caller::Plain, &name, outcome, self.function_clause_reason)
    }
}
