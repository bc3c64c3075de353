//! The terms a [`ConcurrentProtocol`](super::ConcurrentProtocol) reads and the hello it
//! answers: which packet is which (`classify`), the id of a call that cannot be read whole,
//! and what this side says of itself at start.

use crate::dispatch::args::Args;
use crate::error::Error;
use crate::io::Sender;
use erlport_codec::packet::PacketSize;
use erlport_codec::{Atom, Term, decode_tuple_prefix};
use std::io::Write;

/// The version of the terms a [`ConcurrentProtocol`](super::ConcurrentProtocol) and
/// `erlport_rs` exchange, said in the hello both send at start.
pub const PROTOCOL_VERSION: i64 = 1;

/// `{hello, Version, #{concurrency => C, grace => Ms, max_packet => Max}}`: what this side
/// tells `erlport_rs` at start.
pub(super) struct Hello {
    pub(super) max_packet: usize,
    pub(super) concurrency: usize,
    pub(super) grace_ms: u64,
}

impl erlport_codec::Encode for Hello {
    fn encode<S: erlport_codec::Sink>(&self, e: &mut erlport_codec::Encoder<S>) -> Result<(), S::Error> {
        e.tuple(3, |e| {
            e.atom("hello")?;
            e.integer(PROTOCOL_VERSION)?;
            e.map(3, |e| {
                e.atom("concurrency")?;
                e.encode(&(self.concurrency as u64))?;
                e.atom("grace")?;
                e.encode(&self.grace_ms)?;
                e.atom("max_packet")?;
                e.encode(&(self.max_packet as u64))
            })
        })
    }
}

/// Whether the first bytes of input are a hello (`{hello, Version, Options}`) framed with
/// another packet size than `ours`, and which: Erlang and this program were started with
/// different `{packet, N}`.
pub(super) fn hello_in_other_size(ours: PacketSize, first: &[u8]) -> Option<PacketSize> {
    if is_hello(ours, first) {
        return None;
    }
    [PacketSize::One, PacketSize::Two, PacketSize::Four].into_iter().find(|&size| size != ours && is_hello(size, first))
}

/// Whether `bytes` start with a frame of `size` holding `{hello, ...}` (a 3-tuple led by the
/// atom `hello`, in any atom encoding), as far as it has arrived.
fn is_hello(size: PacketSize, bytes: &[u8]) -> bool {
    let Some(len) = size.read_header(bytes) else { return false };
    let Some(mut elements) = decode_tuple_prefix(&bytes[size.header_len()..]) else { return false };
    len >= 14 && elements.arity() == 3 && matches!(elements.next(), Some(Ok(first)) if first.is_atom("hello"))
}

/// Answers a hello framed in `theirs` with `{hello, Version, {error, {packet, Ours}}}` in
/// their framing, so `erlport_rs` can say what is wrong, and gives the error that stops `run`.
pub(super) fn packet_mismatch<W: Write>(sender: &Sender<W>, theirs: PacketSize, ours: PacketSize) -> Error {
    let (n, ours_n) = (theirs.header_len() as u64, ours.header_len() as u64);
    let answer = (Atom::new("hello"), PROTOCOL_VERSION, (Atom::new("error"), (Atom::new("packet"), ours_n)));
    if let Err(e) = sender.send_framed(theirs, &answer) {
        log::debug!("answering a hello in {{packet, {n}}}: {e}");
    }
    let e = Error::Io(std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!(
            "Erlang sends {{packet, {n}}} frames but this port reads {{packet, {ours_n}}}: start both with the same packet size"
        ),
    ));
    log::error!("port stopped: {e}");
    e
}

/// One packet, as the protocol reads it.
pub(super) enum Message<'a> {
    /// `{call, Id, Name, Args}` (`tag` given) or `{cast, Name, Args}`.
    Call { tag: Option<Term<'a>>, name: Atom<'a>, args: Args<'a> },
    /// `{call, Id, ...}` whose name or arguments are not of the right kind.
    BadCall(Term<'a>),
    /// `{reply, RustId, Result}`: Erlang's answer to a call from Rust.
    Answer(u64),
    /// `{hello, Version, Options}`: `erlport_rs` starting; `Options` a map
    /// (`#{progress_window => N}`).
    Hello(Term<'a>),
    /// `{cancel, Id}`: the caller of call `Id` is gone or gave up.
    Cancel(Term<'a>),
    /// `{credit, Id, N}`: call `Id` may send `N` more progress messages.
    Credit(Term<'a>, u64),
    /// `{message, Msg}`: a message sent to the server (`Server ! Msg`,
    /// `erlport_rs:cast/2`), for the message handler; `Msg` is its one argument.
    Info(Args<'a>),
    /// `{release, [HandleId]}`: the values of these handles are no longer held.
    Release(Term<'a>),
    /// Anything else.
    Unknown,
}

/// The `Id` of a `{call, Id, Name, Args}` packet that cannot be read whole (not valid after
/// its id, or over the size limit: `start` is as much of it as there is), read on its own so
/// that its caller gets the error at once. `None` when `start` is not the start of a call
/// with a valid id.
pub(super) fn call_tag(start: &[u8]) -> Option<Term<'_>> {
    tagged_id(start, 4, "call")
}

/// The `RustId` of a `{reply, RustId, Answer}` packet that cannot be read whole, as
/// [`call_tag`] reads a call's id.
pub(super) fn answer_id(start: &[u8]) -> Option<u64> {
    tagged_id(start, 3, "reply")?.as_i64().and_then(|id| u64::try_from(id).ok())
}

/// Whether more of a refused packet's start could still show a call's or an answer's id:
/// `start` is cut short before the id and what is there could begin one (a header may
/// arrive alone, an id in pieces). Once `false`, [`call_tag`] and [`answer_id`] have their
/// answer.
pub(super) fn id_undecided(start: &[u8]) -> bool {
    let Some(mut elements) = decode_tuple_prefix(start) else {
        // Not yet a tuple's header: undecided while it is a term cut short.
        return erlport_codec::decode(start).is_err_and(|e| e.is_incomplete());
    };
    let kind = match elements.arity() {
        4 => "call",
        3 => "reply",
        _ => return false,
    };
    match elements.next() {
        Some(Ok(first)) if first.is_atom(kind) => {}
        Some(Err(e)) => return e.is_incomplete(),
        _ => return false,
    }
    matches!(elements.next(), Some(Err(e)) if e.is_incomplete())
}

/// The second element of the tuple of `arity` led by the atom `kind` at the start of
/// `start`, read element by element (what follows it may be cut short or invalid).
fn tagged_id<'a>(start: &'a [u8], arity: usize, kind: &str) -> Option<Term<'a>> {
    let mut elements = decode_tuple_prefix(start).filter(|t| t.arity() == arity)?;
    match elements.next()? {
        Ok(first) if first.is_atom(kind) => elements.next()?.ok(),
        _ => None,
    }
}

pub(super) fn classify(term: Term<'_>) -> Message<'_> {
    let Some(tuple) = term.as_tuple() else { return Message::Unknown };
    let mut elements = tuple.iter();
    let Some(Term::Atom(kind)) = elements.next() else { return Message::Unknown };
    match (kind.as_bytes(), tuple.arity()) {
        (b"call", 4) => {
            let (Some(tag), Some(name), Some(args)) = (elements.next(), elements.next(), elements.next()) else {
                return Message::Unknown;
            };
            match (name, Args::of_list(args)) {
                (Term::Atom(name), Some(args)) => Message::Call { tag: Some(tag), name, args },
                _ => Message::BadCall(tag),
            }
        }
        (b"cast", 3) => match (elements.next(), elements.next().and_then(Args::of_list)) {
            (Some(Term::Atom(name)), Some(args)) => Message::Call { tag: None, name, args },
            _ => Message::Unknown,
        },
        (b"reply", 3) => match elements.next().and_then(|id| id.as_i64()).and_then(|id| u64::try_from(id).ok()) {
            Some(id) => Message::Answer(id),
            None => Message::Unknown,
        },
        (b"hello", 3) => match (elements.next(), elements.next()) {
            (Some(Term::Integer(_)), Some(options)) => Message::Hello(options),
            _ => Message::Unknown,
        },
        (b"cancel", 2) => elements.next().map_or(Message::Unknown, Message::Cancel),
        (b"message", 2) => Message::Info(Args::after_first(tuple)),
        (b"release", 2) => elements.next().map_or(Message::Unknown, Message::Release),
        (b"credit", 3) => match (elements.next(), elements.next().and_then(|n| n.as_i64())) {
            (Some(id), Some(n)) if n >= 0 => Message::Credit(id, n as u64),
            _ => Message::Unknown,
        },
        _ => Message::Unknown,
    }
}
