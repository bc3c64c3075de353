//! One dispatcher under both protocols: what [`Protocol`](crate::Protocol) and
//! [`ConcurrentProtocol`](crate::ConcurrentProtocol) share between reading a request's name
//! and arguments and writing its answer.
//!
//! - `args.rs`: a request's arguments ([`Args`]), reading each into a parameter type, and the
//!   arity and argument errors (`function_clause` and why).
//! - `handler.rs`: the traits that make a closure a [`Protocol`](crate::Protocol) handler.
//! - `panic.rs`: panics in handlers caught, where they happened recorded.
//! - `reply.rs`: the answers of calls that produced no value.
//! - here: finding the handler (`undef`, `badarg`), running it ([`invoke`]), and answering its
//!   outcome ([`answer`]).

pub(crate) mod args;
pub(crate) mod handler;
mod panic;
mod reply;

pub use args::{Args, OwnedTerm};
pub(crate) use panic::install_panic_hook;

use crate::error::Error;
use crate::io::{Sender, Tagged, error_reply};
use erlport_codec::{Atom, Term};
use serde::Serialize;
use std::collections::HashMap;
use std::io::Write;

/// How a handler call ended, when it did not produce a reply value.
#[doc(hidden)]
pub enum Failure {
    /// The arguments do not fit the handler: `{error, function_clause}`, and why.
    BadArgs(String),
    /// The handler panicked: `{error, {exception, {Type, Message, Trace}}}`.
    Exception { kind: String, message: String, trace: Vec<String> },
}

/// What running a handler gave: a reply written (`Ok(Ok(()))`), a failure to answer, or an
/// error writing the reply.
#[doc(hidden)]
pub type Outcome = Result<Result<(), Failure>, Error>;

/// Who sent a request, and so how it is answered.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Caller<'t> {
    /// A [`Protocol`](crate::Protocol) request: answered with the value itself.
    Plain,
    /// A concurrent call: answered `{reply, Id, Value}`.
    Call(Term<'t>),
    /// A concurrent cast: never answered; what went wrong is logged.
    Cast,
}

impl<'t> Caller<'t> {
    /// A concurrent request: a call when it has an id, a cast otherwise.
    pub(crate) fn concurrent(id: Option<Term<'t>>) -> Self {
        id.map_or(Caller::Cast, Caller::Call)
    }

    /// The id its answer is tagged with.
    pub(crate) fn tag(self) -> Option<Term<'t>> {
        match self {
            Caller::Call(id) => Some(id),
            Caller::Plain | Caller::Cast => None,
        }
    }
}

/// The handler named `name`, if there is one (an atom that is not valid UTF-8 names none).
pub(crate) fn find<'h, H>(handlers: &'h HashMap<String, H>, name: &Atom<'_>) -> Option<&'h H> {
    name.as_str().and_then(|name| handlers.get(name))
}

/// Answers a request that reached no handler with `{error, Why}` (`badarg`: not a request;
/// `undef`: no handler of that name); a cast is not answered.
pub(crate) fn refuse<W: Write>(sender: &Sender<W>, caller: Caller<'_>, why: &str) -> Result<(), Error> {
    if let Caller::Cast = caller {
        return Ok(());
    }
    sender.send_encoded(&Tagged { tag: caller.tag(), value: error_reply(&Atom::new(why)) })
}

/// Runs a handler, marked as inside one (so a panic is recorded, not printed) and with its
/// panic caught.
pub(crate) fn invoke<T>(handler: impl FnOnce() -> T) -> std::thread::Result<T> {
    let _inside = panic::InHandler::enter();
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(handler))
}

/// Writes a handler's value as its reply: itself, or `{reply, Id, Value}` to a call; nothing
/// to a cast.
pub(crate) fn send_reply<W: Write, R: Serialize + ?Sized>(
    sender: &Sender<W>,
    caller: Caller<'_>,
    value: &R,
) -> Result<(), Error> {
    match caller {
        Caller::Cast => Ok(()),
        Caller::Plain | Caller::Call(_) => sender.send_tagged(caller.tag(), value),
    }
}

/// A handler's value written as its reply ([`send_reply`]), or the failure to answer.
pub(crate) fn reply<W: Write, R: Serialize>(
    sender: &Sender<W>,
    caller: Caller<'_>,
    value: Result<R, Failure>,
) -> Outcome {
    match value {
        Ok(value) => {
            send_reply(sender, caller, &value)?;
            Ok(Ok(()))
        }
        Err(failure) => Ok(Err(failure)),
    }
}

/// Answers what a handler run by [`invoke`] ended with, when it did not reply itself:
///
/// | outcome | answer |
/// |---|---|
/// | arguments that do not fit | `{error, function_clause}` (or its reason) |
/// | a panic | `{error, {exception, {panic, Message, Trace}}}` |
/// | a reply too large for the packet size, or that cannot be encoded | `{error, Reason}` ([`Error::reason`]) |
///
/// A cast is not answered: the failure is logged. An error that ends the port is returned.
pub(crate) fn answer<W: Write>(
    sender: &Sender<W>,
    caller: Caller<'_>,
    name: &Atom<'_>,
    outcome: std::thread::Result<Outcome>,
    function_clause_reason: bool,
) -> Result<(), Error> {
    let failure = match outcome {
        Ok(Ok(Ok(()))) => return Ok(()),
        Ok(Ok(Err(failure))) => failure,
        // Nothing was written; say why instead.
        Ok(Err(e)) if !e.is_fatal() && !matches!(caller, Caller::Cast) => {
            return sender.send_error_tagged(caller.tag(), &e);
        }
        Ok(Err(e)) => return Err(e),
        Err(payload) => panic::panicked(name, payload),
    };
    if let Caller::Cast = caller {
        match failure {
            Failure::BadArgs(why) => log::warn!("cast of {name}: arguments do not fit: {why}"),
            Failure::Exception { message, .. } => log::warn!("cast of {name} panicked: {message}"),
        }
        return Ok(());
    }
    reply::send_failure(sender, caller.tag(), name, failure, function_clause_reason)
}
