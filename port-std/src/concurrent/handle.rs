//! [`Handle`]: a Rust value kept in the program, held by Erlang as an opaque term and passed
//! back in later calls; freed when the process that created it dies or when released.

use super::params::{ArgCursor, Param};
use super::*;
use std::any::Any;
use std::fmt;
use std::ops::Deref;

/// A value kept in the program for as long as Erlang holds it: made by [`Context::keep`] in
/// a handler, sent to Erlang (in a reply, a message, ...) as
/// `{erlport_rs_handle, Server, Id}`, and taken by later calls as a parameter of type
/// `Handle<T>` (one argument, as any other). Like Rustler's `ResourceArc`: a model, a
/// connection, a parser that should live in Rust, not be copied into Erlang. `Id` is drawn
/// at random (keyed per program), not counted: a handle is had from the call that made it,
/// not guessed from another.
///
/// It lives until the Erlang process whose call made it dies (`erlport_rs` monitors it) or
/// `erlport_rs:release(Server, Handle)` is called, whichever comes first; handlers still
/// holding it keep the value until they return. A handle that was released, made by another
/// server, or is not a handle at all, or whose value is of another type, does not fit the
/// parameter: the call gets `{error, {function_clause, Why}}`.
///
/// ```
/// use erlport::{ConcurrentProtocol, Context, Handle};
/// use std::sync::Mutex;
///
/// struct Counter(Mutex<i64>);
///
/// let mut proto = ConcurrentProtocol::<Vec<u8>>::new();
/// // H = erlport_rs:call(S, counter, [10]), 11 = erlport_rs:call(S, bump, [H]).
/// proto.handle("counter", |ctx: Context, start: i64| ctx.keep(Counter(Mutex::new(start))));
/// proto.handle("bump", |counter: Handle<Counter>| {
///     let mut n = counter.0.lock().unwrap();
///     *n += 1;
///     *n
/// });
/// ```
pub struct Handle<T> {
    id: u64,
    server: Option<OwnedTerm>,
    value: Arc<T>,
}

/// The values handles hold, by id.
pub(super) type Held = Mutex<HashMap<u64, Arc<dyn Any + Send + Sync>>>;

/// [`ConcurrentProtocol::on_release`]'s hook: values dropped, values still held.
pub(super) type OnRelease = Arc<dyn Fn(usize, usize) + Send + Sync>;

impl<T: Send + Sync + 'static> Handle<T> {
    /// `value`, kept under `id` (already in the table).
    pub(super) fn new(id: u64, server: Option<OwnedTerm>, value: Arc<T>) -> Self {
        Handle { id, server, value }
    }
}

impl<T> Handle<T> {
    /// The number `erlport_rs` knows the value by (the third element of the term).
    pub fn id(&self) -> u64 {
        self.id
    }
}

impl<T> Clone for Handle<T> {
    fn clone(&self) -> Self {
        Handle { id: self.id, server: self.server.clone(), value: Arc::clone(&self.value) }
    }
}

impl<T> Deref for Handle<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle").field("id", &self.id).finish()
    }
}

/// `{erlport_rs_handle, Server, Id}` (`Server` the server's pid, `undefined` when unknown).
impl<T> serde::Serialize for Handle<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (Atom::new("erlport_rs_handle"), &self.server, self.id).serialize(s)
    }
}

impl<T: Send + Sync + 'static> Param for Handle<T> {
    const ARGUMENTS: usize = 1;
    fn read<'a>(args: &mut ArgCursor<'a, '_>) -> Result<Self, Failure> {
        let term = args.args.get(args.index);
        args.index += 1;
        let (position, count) = (args.index, args.count);
        let refuse = |why: &str| Failure::BadArgs(format!("argument {position} of {count}: {why}"));
        let link = args.call.link;
        let server = link.server();
        let id = match term.as_ref().and_then(|t| t.as_tuple()).filter(|t| t.arity() == 3) {
            Some(tuple) => {
                let mut elements = tuple.iter();
                let (kind, from, id) = (elements.next(), elements.next(), elements.next());
                if !kind.is_some_and(|k| k.is_atom("erlport_rs_handle")) {
                    return Err(refuse("expected a handle {erlport_rs_handle, Server, Id}"));
                }
                let ours = match (&from, &server) {
                    (Some(Term::Pid(_)), Some(server)) => {
                        from.as_ref().map(OwnedTerm::from_term).as_ref() == Some(server)
                    }
                    // Made before the hello said the server (written `undefined`, or `nil`).
                    (Some(from), None) => from.is_atom("undefined") || from.is_atom("nil"),
                    _ => false,
                };
                if !ours {
                    return Err(refuse("a handle of another server"));
                }
                id.and_then(|id| id.as_i64()).and_then(|id| u64::try_from(id).ok())
            }
            None => None,
        };
        let id = id.ok_or_else(|| refuse("expected a handle {erlport_rs_handle, Server, Id}"))?;
        let value = link.held(id).ok_or_else(|| refuse("a handle that was released"))?;
        let value = value.downcast::<T>().map_err(|_| refuse("a handle to a value of another type"))?;
        Ok(Handle { id, server, value })
    }
}
