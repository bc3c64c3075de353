//! `Protocol`: dispatch of `{name, A1, ..., An}` (or the bare atom `name`) to typed handlers,
//! one reply per message, in order, with erlport's error shapes.

use crate::Error;
use crate::args::{Args, FromTerm};
use crate::port::{Port, Sender};
use erlport_codec::{Atom, Encode, EncodeError, Encoder, Sink, Term};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Display;
use std::io::{Read, Write};
use std::panic::{self, AssertUnwindSafe};

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
    /// Where the last panic on this thread happened, for the exception's trace.
    static PANIC_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
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

    /// Serves `port` until Erlang closes it: one reply per message, in order. Messages that
    /// are neither an atom nor a tuple led by one get `{error, badarg}`; unknown names
    /// `{error, undef}`; arguments that do not fit `{error, function_clause}`; a handler's
    /// `Err` or panic `{error, {exception, {Type, Message, Trace}}}` (an atom, a binary, a list
    /// of binaries). The loop goes on after every error reply. Returns `Ok(())` at a clean end
    /// of input (or when Erlang closed the port while replies were being written), or the I/O
    /// or framing error that stopped it.
    ///
    /// While it runs, the process's panic hook is replaced by one that records where a
    /// handler panicked (for the exception's trace) instead of printing to stderr; the
    /// previous hook is restored when it returns.
    pub fn run<R: Read>(&self, mut port: Port<R, W>) -> Result<(), Error> {
        let sender = port.sender();
        let previous_hook = panic::take_hook();
        panic::set_hook(Box::new(|info| {
            let location = info.location().map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
            PANIC_LOCATION.with(|slot| *slot.borrow_mut() = location);
        }));
        let result = self.serve(&mut port, &sender);
        panic::set_hook(previous_hook);
        match result {
            // Erlang closed the port while replies were on their way: a clean end too.
            Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }

    fn serve<R: Read>(&self, port: &mut Port<R, W>, sender: &Sender<W>) -> Result<(), Error> {
        while let Some(message) = port.read()? {
            let (name, args) = match message {
                Term::Atom(name) => (name, Args::none()),
                Term::Tuple(tuple) => match tuple.iter().next() {
                    Some(Term::Atom(name)) => (name, Args::after_first(tuple)),
                    _ => {
                        sender.send(&error_reply(&Atom::new("badarg")))?;
                        continue;
                    }
                },
                _ => {
                    sender.send(&error_reply(&Atom::new("badarg")))?;
                    continue;
                }
            };
            let handler = name.as_str().and_then(|name| self.handlers.get(name));
            let Some(handler) = handler else {
                sender.send(&error_reply(&Atom::new("undef")))?;
                continue;
            };
            let outcome = panic::catch_unwind(AssertUnwindSafe(|| handler(args, sender)));
            let failure = match outcome {
                Ok(Ok(Ok(()))) => continue,
                Ok(Ok(Err(failure))) => failure,
                Ok(Err(error)) => match error {
                    // A reply that cannot be encoded or framed is the handler's failure.
                    Error::Encode(_) | Error::PacketTooLarge { .. } => {
                        Failure::Exception { kind: "reply".to_string(), message: error.to_string(), trace: Vec::new() }
                    }
                    other => return Err(other),
                },
                Err(payload) => {
                    let message = payload
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| payload.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "panic".to_string());
                    let trace = PANIC_LOCATION.with(|slot| slot.borrow_mut().take()).into_iter().collect();
                    Failure::Exception { kind: "panic".to_string(), message, trace }
                }
            };
            match failure {
                Failure::BadArgs => sender.send(&error_reply(&Atom::new("function_clause")))?,
                Failure::Exception { kind, message, trace } => sender.send(&ExceptionReply { kind, message, trace })?,
            }
        }
        Ok(())
    }
}

/// `{error, Reason}`.
fn error_reply<T: Encode>(reason: &T) -> impl Encode + '_ {
    (Atom::new("error"), reason)
}

/// `{error, {exception, {Type, Message, Trace}}}`.
struct ExceptionReply {
    kind: String,
    message: String,
    trace: Vec<String>,
}

impl Encode for ExceptionReply {
    fn encode<S: Sink>(&self, e: &mut Encoder<S>) -> Result<(), EncodeError> {
        let trace: Vec<&str> = self.trace.iter().map(String::as_str).collect();
        (Atom::new("error"), (Atom::new("exception"), (Atom::new(&self.kind), self.message.as_str(), trace))).encode(e)
    }
}
