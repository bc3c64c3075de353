//! Packet I/O with Erlang, below everything else in this crate: `{packet, N}` framing over
//! stdio or file descriptors 3 and 4 ([`Port`]), writing from anywhere ([`Sender`]), and the
//! two shapes every reply takes (`{error, Reason}`, `{reply, Id, Value}`). Nothing here
//! knows handlers.
//!
//! - `port.rs`: [`Port`], opened on stdio, fds 3/4 or any reader and writer.
//! - `reader.rs`: reading packets (framing, limits, skipping oversized ones).
//! - `unpack.rs`: decoding a packet, inflating it when compressed.
//! - `writer.rs`: encoding and framing replies, compression, gathering writes.
//! - `sender.rs`: [`Sender`], the reply shapes, and the in-memory port of `call_packet`.

mod port;
mod reader;
mod sender;
mod unpack;
mod writer;

pub use port::{Port, fds};
pub(crate) use reader::Reader;
pub use sender::Sender;
pub(crate) use sender::{Loopback, Tagged, error_reply};
pub(crate) use unpack::Unpacker;

/// The capacity a buffer goes back to after a larger packet, so one big message does not
/// keep its memory for the rest of the port's life.
const KEEP: usize = 64 * 1024;

/// Gives back what a buffer grew to beyond [`KEEP`] for an earlier, larger packet.
pub(crate) fn shrink(buf: &mut Vec<u8>) {
    if buf.capacity() > KEEP {
        buf.clear();
        buf.shrink_to(KEEP);
    }
}

/// How much of a packet over the size limit is kept: enough for the start of a call and its
/// id (a reference is 30 bytes or so).
pub(crate) const REFUSED_START: usize = 256;
