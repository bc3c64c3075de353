//! Erlang ports in Rust, after the Python library erlport: a [`Port`] that reads and writes
//! `{packet, N}` frames over stdio or file descriptors 3 and 4, and a [`Protocol`] that
//! dispatches `{name, A1, ..., An}` messages to typed handlers.
//!
//! ```no_run
//! use erlport::{PacketSize, Port, Protocol, codec::ErlString};
//!
//! fn main() -> Result<(), erlport::Error> {
//!     let mut proto = Protocol::new();
//!     proto.handle("hello", |name: String| ErlString(format!("Hello, {name}")));
//!     // open_port({spawn, "hello"}, [{packet, 1}, binary]) on the Erlang side.
//!     proto.run(Port::stdio(PacketSize::One)?)
//! }
//! ```
//!
//! [`ConcurrentProtocol`] answers calls that carry ids concurrently, with progress messages
//! and calls back into Erlang through a [`Context`]; its Erlang side is the `erlport_rs`
//! gen_server in `port-std/erlang/`.
//!
//! The codec is re-exported as [`codec`], so a port program needs only this crate.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

// The layers, each using only those below it:
//   io/          packet I/O: `Port`, `Sender`, framing, decoding packets, the reply shapes
//   dispatch/    one dispatcher under both protocols: arguments, handler traits, panics,
//                `badarg`/`undef`/`function_clause`/exception replies
//   protocol.rs  `Protocol`: one request at a time, in order
//   concurrent/  `ConcurrentProtocol`: calls with ids on a pool of threads (and tokio),
//                progress, calls into Erlang, the erlport_rs wire terms
// `error.rs` (the `Error` type) sits beside them all.
mod concurrent;
mod dispatch;
mod error;
mod io;
mod protocol;

pub mod handler {
    //! The traits that make a closure a handler and say which Rust types its parameters and
    //! reply can be: implemented for closures of up to 6 arguments and for every
    //! `serde::Deserialize`/`Serialize` type, so a program names them only in its own generic
    //! code (a function that registers handlers on any `Protocol<W, S>`). [`BorrowedArg`]
    //! is the one to implement, through [`borrowed_arg!`](crate::borrowed_arg); the
    //! parameter lists are sealed.
    //!
    //! | for | handler | its parameters |
    //! |---|---|---|
    //! | [`Protocol::handle`](crate::Protocol::handle) | [`Handler`], [`StatefulHandler`] | [`ArgList`] of [`Arg`]s |
    //! | [`Protocol::handle_borrowed`](crate::Protocol::handle_borrowed) | [`BorrowedHandler`], [`StatefulBorrowedHandler`] | [`BorrowedArgList`] of [`BorrowedArg`]s |
    //! | [`ConcurrentProtocol::handle`](crate::ConcurrentProtocol::handle) | `Fn(..) -> R + Send + Sync` | [`ParamList`] of [`Param`]s |
    //! | [`Context::call`](crate::Context::call) | | [`CallArgs`] |
    //!
    //! Every reply is a [`Reply`]; [`Stateless`] and [`Stateful`] are a `Protocol`'s state.
    pub use crate::concurrent::{CallArgs, Param, ParamList};
    pub use crate::dispatch::args::{Arg, BorrowedArg};
    pub use crate::dispatch::handler::{
        ArgList, BorrowedArgList, BorrowedHandler, Handler, Reply, Stateful, StatefulBorrowedHandler, StatefulHandler,
        Stateless,
    };
}

pub use concurrent::{
    CallError, ConcurrentProtocol, Context, DEFAULT_CONCURRENCY, DEFAULT_GRACE, Handle, MAX_WAITING, Outbox,
    PROTOCOL_VERSION,
};
pub use dispatch::{Args, OwnedTerm};
pub use erlport_codec as codec;
pub use erlport_codec::Compression;
pub use erlport_codec::packet::{DEFAULT_MAX_PACKET, PacketSize};
pub use error::{Error, Reason};
pub use io::{Port, Sender, fds};
pub use protocol::Protocol;
/// Bytes that serialize as an Erlang binary (`<<...>>`), where a `Vec<u8>` or `&[u8]` would
/// be a list of integers: reply with `ByteBuf::from(vec)`, or borrow with `Bytes::new(&v)`.
/// Re-exported from [`serde_bytes`](https://docs.rs/serde_bytes), whose `#[serde(with =
/// "serde_bytes")]` does the same for a field.
///
/// ```
/// use erlport::{ByteBuf, Protocol, codec::{Atom, decode, to_vec}};
///
/// let mut proto = Protocol::<Vec<u8>>::new();
/// proto.handle("list", |n: u8| vec![n; 3]);
/// proto.handle("binary", |n: u8| ByteBuf::from(vec![n; 3]));
/// let mut reply = Vec::new();
/// proto.call_packet(&to_vec(&(Atom::new("list"), 7))?, &mut reply);
/// assert_eq!(decode(&reply[4..])?.to_string(), "[7,7,7]");
/// reply.clear();
/// proto.call_packet(&to_vec(&(Atom::new("binary"), 7))?, &mut reply);
/// assert_eq!(decode(&reply[4..])?.to_string(), "<<7,7,7>>");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub use serde_bytes::ByteBuf;
/// A borrowed [`ByteBuf`]: bytes that serialize as an Erlang binary.
pub use serde_bytes::Bytes;

/// The README's Rust blocks compile (and run, where they do not serve a port).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
