//! `Protocol`: dispatch of `{name, A1, ..., An}` (or the bare atom `name`) to typed handlers,
//! one reply per message, in order, with erlport's error shapes.

use crate::args::{Args, FromTerm};
use crate::port::{Port, Sender};
use crate::{Error, truncate};
use erlport_codec::{Atom, Encode, EncodeError, Encoder, Sink, Term, encoded_len};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt::Display;
use std::io::{Read, Write};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

/// How a handler call ended, when it did not produce a reply value.
#[doc(hidden)]
pub enum Failure {
    /// The arguments do not fit the handler: `{error, function_clause}`.
    BadArgs,
    /// The handler returned `Err` or panicked: `{error, {exception, {Type, Message, Trace}}}`.
    Exception { kind: String, message: String, trace: Vec<String> },
}

type Call<W> = Box<dyn for<'a> Fn(Args<'a>, &Sender<W>) -> Result<Result<(), Failure>, Error>>;

/// Marks handlers that return a value (any [`Encode`]).
pub struct Plain;
/// Marks handlers that return `Result<impl Encode, E>`.
pub struct Fallible;

/// A function usable as a handler: `Fn(A1, ..., An) -> R` with each `Ai: FromTerm` and `R`
/// either an [`Encode`] value or a `Result` of one. `Marker` and `Args` are inferred.
pub trait Handler<Marker, Params>: 'static {
    #[doc(hidden)]
    fn call<W: Write>(&self, args: Args<'_>, out: &Sender<W>) -> Result<Result<(), Failure>, Error>;
}

fn exception<E: Display + 'static>(error: &E) -> Failure {
    let full = std::any::type_name::<E>();
    let short = full.split('<').next().unwrap_or(full).rsplit("::").next().unwrap_or(full);
    Failure::Exception { kind: short.to_string(), message: error.to_string(), trace: Vec::new() }
}

macro_rules! handlers {
    ($($n:literal => ($($a:ident),*);)*) => {$(
        impl<F, R, $($a,)*> Handler<Plain, ($($a,)*)> for F
        where
            F: Fn($($a),*) -> R + 'static,
            R: Encode,
            $($a: FromTerm,)*
        {
            #[allow(non_snake_case, unused_mut, unused_variables)]
            fn call<W: Write>(&self, args: Args<'_>, out: &Sender<W>) -> Result<Result<(), Failure>, Error> {
                if args.len() != $n {
                    return Ok(Err(Failure::BadArgs));
                }
                let mut iter = args.iter();
                $(let Some($a) = iter.next().as_ref().and_then($a::from_term) else { return Ok(Err(Failure::BadArgs)) };)*
                out.send(&self($($a),*))?;
                Ok(Ok(()))
            }
        }

        impl<F, T, E, $($a,)*> Handler<Fallible, ($($a,)*)> for F
        where
            F: Fn($($a),*) -> Result<T, E> + 'static,
            T: Encode,
            E: Display + 'static,
            $($a: FromTerm,)*
        {
            #[allow(non_snake_case, unused_mut, unused_variables)]
            fn call<W: Write>(&self, args: Args<'_>, out: &Sender<W>) -> Result<Result<(), Failure>, Error> {
                if args.len() != $n {
                    return Ok(Err(Failure::BadArgs));
                }
                let mut iter = args.iter();
                $(let Some($a) = iter.next().as_ref().and_then($a::from_term) else { return Ok(Err(Failure::BadArgs)) };)*
                match self($($a),*) {
                    Ok(value) => {
                        out.send(&value)?;
                        Ok(Ok(()))
                    }
                    Err(error) => Ok(Err(exception(&error))),
                }
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
pub struct Protocol<W> {
    handlers: HashMap<String, Call<W>>,
}

impl<W: Write> Default for Protocol<W> {
    fn default() -> Self {
        Protocol::new()
    }
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
fn install_panic_hook() {
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
struct InHandler;

impl InHandler {
    fn enter() -> Self {
        IN_HANDLER.with(|flag| flag.set(true));
        InHandler
    }
}

impl Drop for InHandler {
    fn drop(&mut self) {
        IN_HANDLER.with(|flag| flag.set(false));
    }
}

impl<W: Write> Protocol<W> {
    /// No handlers yet.
    pub fn new() -> Self {
        Protocol { handlers: HashMap::new() }
    }

    /// Registers `handler` for messages `{name, A1, ..., An}` (and the bare atom `name` for a
    /// handler of no arguments). The arguments are converted with [`FromTerm`]; the handler's
    /// value is the reply (a `Result`'s `Err` becomes an exception reply).
    pub fn handle<M, P, H: Handler<M, P>>(&mut self, name: &str, handler: H) -> &mut Self {
        self.handlers.insert(name.to_string(), Box::new(move |args, out| handler.call(args, out)));
        self
    }

    /// Registers a handler that sees the arguments as views (no conversion, nothing copied)
    /// and writes its reply itself through the [`Sender`] (any number of messages, though
    /// Erlang callers usually expect exactly one).
    pub fn handle_raw<F>(&mut self, name: &str, handler: F) -> &mut Self
    where
        F: for<'a> Fn(Args<'a>, &Sender<W>) -> Result<(), Error> + 'static,
    {
        self.handlers.insert(name.to_string(), Box::new(move |args, out| handler(args, out).map(Ok)));
        self
    }

    /// Serves `port` until Erlang closes it: one reply per message, in order, whatever the
    /// messages hold. Replies:
    ///
    /// | Request | Reply |
    /// |---|---|
    /// | `{name, A1, ..., An}` or `name`, handled | the handler's value |
    /// | neither an atom nor a tuple led by one | `{error, badarg}` |
    /// | no handler of that name | `{error, undef}` |
    /// | arguments that do not fit | `{error, function_clause}` |
    /// | the handler returned `Err` or panicked | `{error, {exception, {Type, Message, Trace}}}` |
    /// | bytes that are not one term | `{error, {decode, <<"what, at byte N">>}}` |
    /// | a packet over [`Port::max_packet`] | `{error, {packet_too_large, Len, Max}}` |
    /// | a reply longer than the packet size | `{error, {reply_too_large, Len, Max}}` |
    /// | a reply that cannot be encoded | `{error, {encode, <<"why">>}}` |
    ///
    /// `Type` is an atom, `Message` a binary, `Trace` a list of binaries; an exception too
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
    pub fn run<R: Read>(&self, mut port: Port<R, W>) -> Result<(), Error> {
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

    fn serve<R: Read>(&self, port: &mut Port<R, W>, sender: &Sender<W>) -> Result<(), Error> {
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
    fn dispatch(&self, message: Term<'_>, sender: &Sender<W>) -> Result<(), Error> {
        let (name, args) = match message {
            Term::Atom(name) => (name, Args::none()),
            Term::Tuple(tuple) => match tuple.iter().next() {
                Some(Term::Atom(name)) => (name, Args::after_first(tuple)),
                _ => return sender.send(&error_reply(&Atom::new("badarg"))),
            },
            _ => return sender.send(&error_reply(&Atom::new("badarg"))),
        };
        let handler = name.as_str().and_then(|name| self.handlers.get(name));
        let Some(handler) = handler else {
            return sender.send(&error_reply(&Atom::new("undef")));
        };
        let outcome = {
            let _inside = InHandler::enter();
            panic::catch_unwind(AssertUnwindSafe(|| handler(args, sender)))
        };
        let failure = match outcome {
            Ok(Ok(Ok(()))) => return Ok(()),
            Ok(Ok(Err(failure))) => failure,
            // A reply that does not fit the packet size or cannot be encoded: nothing was
            // written; say why instead.
            Ok(Err(e)) if !e.is_fatal() => return sender.send_error(&e),
            Ok(Err(e)) => return Err(e),
            Err(payload) => {
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic".to_string());
                let trace: Vec<String> = PANIC_LOCATION.with(|slot| slot.borrow_mut().take()).into_iter().collect();
                log::warn!("handler {} panicked: {message} ({})", name, trace.join(", "));
                Failure::Exception { kind: "panic".to_string(), message, trace }
            }
        };
        match failure {
            Failure::BadArgs => sender.send(&error_reply(&Atom::new("function_clause"))),
            Failure::Exception { kind, message, trace } => send_exception(sender, kind, message, trace),
        }
    }
}

/// Sends `{error, {exception, {Kind, Message, Trace}}}`; when that is too long for the packet
/// size, the message is cut to fit (saying so) and then the trace dropped; when even the
/// kind does not fit, `{error, {reply_too_large, Len, Max}}`.
fn send_exception<W: Write>(
    sender: &Sender<W>,
    kind: String,
    message: String,
    trace: Vec<String>,
) -> Result<(), Error> {
    let max = sender.packet_size().max_len();
    let full = ExceptionReply { kind: &kind, message: &message, trace: &trace };
    let len = match encoded_len(&full) {
        Ok(len) if len <= max => return sender.send(&full),
        Ok(len) => len,
        Err(e) => return sender.send_error(&Error::Encode(e)),
    };
    // Keep the trace while that leaves room for a useful part of the message.
    let dropped = format!("{message} [trace dropped to fit the packet size]");
    for (trace, message, room) in [(&trace[..], &message, 64), (&[][..], &dropped, 0)] {
        let bare = ExceptionReply { kind: &kind, message: "", trace };
        let Ok(overhead) = encoded_len(&bare) else { break };
        if overhead + room >= max {
            continue;
        }
        let cut = truncate(message, max - overhead);
        let reply = ExceptionReply { kind: &kind, message: &cut, trace };
        if encoded_len(&reply).is_ok_and(|n| n <= max) {
            return sender.send(&reply);
        }
    }
    sender.send_error(&Error::ReplyTooLarge { len, max })
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
