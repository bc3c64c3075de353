//! [`Sender`]: writing to a port from anywhere; the shapes of replies; the in-memory port.

use super::Unpacker;
use super::writer::{Typed, Writer};
use crate::error::Error;
use erlport_codec::packet::PacketSize;
use erlport_codec::{Atom, Encode, Encoder, Sink, Term};
use serde::Serialize;
use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard};

/// Writes terms to a [`Port`](crate::Port) from anywhere (cloneable, and `Send` when the output is).
pub struct Sender<W> {
    pub(super) writer: Arc<Mutex<Writer<W>>>,
}

impl<W> Clone for Sender<W> {
    fn clone(&self) -> Self {
        Sender { writer: Arc::clone(&self.writer) }
    }
}

impl Sender<Vec<u8>> {
    /// Moves what was written so far to the end of `out`.
    pub(crate) fn drain_into(&self, out: &mut Vec<u8>) {
        out.append(&mut self.lock().output);
    }
}

/// A port without a pipe, for [`Protocol::call_packet`](crate::Protocol::call_packet): requests
/// are handed in as bytes and replies collected from a `Vec`.
pub(crate) struct Loopback {
    pub(crate) sender: Sender<Vec<u8>>,
    pub(super) unpacker: Unpacker,
}

impl Default for Loopback {
    fn default() -> Self {
        let sender = Sender { writer: Arc::new(Mutex::new(Writer::new(Vec::new(), PacketSize::Four))) };
        Loopback { sender, unpacker: Unpacker::default() }
    }
}

impl Loopback {
    /// The request as a term, with a port's checks: the default packet and inflate limits.
    pub(crate) fn decode<'a>(&'a mut self, request: &'a [u8]) -> Result<Term<'a>, Error> {
        let max = erlport_codec::packet::DEFAULT_MAX_PACKET;
        if request.len() > max {
            return Err(Error::PacketTooLarge { len: request.len(), max });
        }
        Ok(self.unpacker.decode(request, erlport_codec::DEFAULT_INFLATE_LIMIT)?)
    }
}

impl<W> Sender<W> {
    /// The packet size this port writes with.
    pub fn packet_size(&self) -> PacketSize {
        self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).packet
    }
}

impl<W: Write> Sender<W> {
    /// Writes `value` (any `Serialize` type) as one packet, like [`Port::write`](crate::Port::write).
    pub fn send<T: Serialize + ?Sized>(&self, value: &T) -> Result<(), Error> {
        self.lock().write_typed(value)
    }

    /// Writes `value` as `{reply, Tag, Value}` when `tag` is given, as itself otherwise.
    pub(crate) fn send_tagged<T: Serialize + ?Sized>(&self, tag: Option<Term<'_>>, value: &T) -> Result<(), Error> {
        let mut writer = self.lock();
        let nil = writer.nil;
        writer.write(&Tagged { tag, value: Typed { value, nil } })
    }

    /// Gathers the packets written from now on, to write them together at
    /// [`uncork`](Sender::uncork) (or when 64 KiB have gathered): one write for many replies
    /// while the next requests are already buffered.
    pub(crate) fn cork(&self) {
        self.lock().corked = true;
    }

    /// Writes what was gathered, and writes at once from now on.
    pub(crate) fn uncork(&self) -> Result<(), Error> {
        let mut writer = self.lock();
        writer.corked = false;
        writer.flush_pending()
    }

    /// Whether `None` is written as `nil`.
    pub(crate) fn none_as_nil(&self) -> bool {
        self.lock().nil
    }

    /// Writes `value` framed with `size` instead of the port's own packet size (to answer a
    /// peer that frames with another).
    pub(crate) fn send_framed<T: Encode + ?Sized>(&self, size: PacketSize, value: &T) -> Result<(), Error> {
        let mut writer = self.lock();
        let ours = std::mem::replace(&mut writer.packet, size);
        let result = writer.write(value);
        writer.packet = ours;
        result
    }

    /// Writes a value the codec encodes itself (the replies `Protocol` makes).
    pub(crate) fn send_encoded<T: Encode + ?Sized>(&self, value: &T) -> Result<(), Error> {
        self.lock().write(value)
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, Writer<W>> {
        self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sends `{error, Reason}` for `error` ([`Error::reason`]), its text cut until it fits
    /// the packet size: it always fits in the end (the shortest form is a few dozen bytes).
    /// What a [`Protocol`](crate::Protocol) answers a bad packet with.
    ///
    /// ```
    /// use erlport::{PacketSize, Port, codec::{Atom, encode_to_vec}};
    /// let mut out = Vec::new();
    /// let mut port = Port::new(&[1u8, 0][..], &mut out, PacketSize::One);
    /// let error = port.read().unwrap_err(); // a packet holding the byte 0
    /// assert!(!error.is_fatal());
    /// port.sender().send_error(&error)?;
    /// drop(port);
    /// // {error, {decode, <<"at byte 0: version byte is 0, not 131">>}}
    /// let reason = (Atom::new("decode"), "at byte 0: version byte is 0, not 131");
    /// assert_eq!(&out[1..], encode_to_vec(&(Atom::new("error"), reason))?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_error(&self, error: &Error) -> Result<(), Error> {
        self.send_error_tagged(None, error)
    }

    /// [`Sender::send_error`], as `{reply, Tag, {error, Reason}}` when `tag` is given.
    pub(crate) fn send_error_tagged(&self, tag: Option<Term<'_>>, error: &Error) -> Result<(), Error> {
        let max = self.packet_size().max_len();
        for max_text in [usize::MAX, max / 2, 0] {
            let reason = error.reason().with_max_text(max_text);
            match self.send_encoded(&Tagged { tag, value: error_reply(&reason) }) {
                Err(Error::ReplyTooLarge { .. } | Error::Encode(_)) => continue,
                other => return other,
            }
        }
        self.send_encoded(&Tagged { tag, value: error_reply(&Atom::new("reply_too_large")) })
    }
}

/// `{reply, Tag, Value}` answering a concurrent call (`tag` given), `Value` otherwise.
pub(crate) struct Tagged<'t, T> {
    pub(crate) tag: Option<Term<'t>>,
    pub(crate) value: T,
}

impl<T: Encode> Encode for Tagged<'_, T> {
    fn encode<S: Sink>(&self, e: &mut Encoder<S>) -> Result<(), S::Error> {
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

/// `{error, Reason}`.
pub(crate) fn error_reply<T: Encode>(reason: &T) -> impl Encode + '_ {
    (Atom::new("error"), reason)
}
