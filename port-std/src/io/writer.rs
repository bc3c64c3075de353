//! Writing packets: encoding (through serde or the codec's `Encode`), compression, the
//! `{packet, N}` header, and writes gathered while more requests wait.

use super::{KEEP, shrink};
use crate::error::Error;
use erlport_codec::packet::PacketSize;
use erlport_codec::{Compression, Deflater, Encode, EncodeError, Encoder, Sink, encoded_len};
use serde::Serialize;
use std::io::Write;

/// Encodes and writes packets, reusing its buffers.
pub(crate) struct Writer<W> {
    pub(super) output: W,
    pub(super) packet: PacketSize,
    pub(super) compression: Option<Compression>,
    pub(super) deflater: Option<Deflater>,
    pub(super) frame: Vec<u8>,
    pub(super) body: Vec<u8>,
    /// `None` is written as `nil` (Elixir) instead of `undefined`.
    pub(super) nil: bool,
    /// Packets are gathered in `pending` to be written together (see [`Sender::cork`]).
    pub(super) corked: bool,
    pub(super) pending: Vec<u8>,
}

/// A `Serialize` value, written through the codec's serde mapping where an `Encode` one is
/// expected.
pub(crate) struct Typed<'a, T: ?Sized> {
    pub(crate) value: &'a T,
    pub(crate) nil: bool,
}

impl<T: Serialize + ?Sized> Encode for Typed<'_, T> {
    fn encode<S: Sink>(&self, e: &mut Encoder<S>) -> Result<(), S::Error> {
        e.serialize(self.value, self.nil)
    }
}

impl<W> Writer<W> {
    pub(crate) fn new(output: W, packet: PacketSize) -> Self {
        Writer {
            output,
            packet,
            compression: None,
            deflater: None,
            frame: Vec::new(),
            body: Vec::new(),
            nil: false,
            corked: false,
            pending: Vec::new(),
        }
    }
}

impl<W: Write> Writer<W> {
    pub(crate) fn write_typed<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let nil = self.nil;
        self.write(&Typed { value, nil })
    }

    pub(crate) fn write<T: Encode + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let result = self.frame_and_write(value);
        // Give back what a large message made the buffers grow to (the deflater keeps a copy
        // of the plain encoding: drop it, it is made again when needed).
        if self.frame.capacity() > KEEP || self.body.capacity() > KEEP {
            self.deflater = None;
        }
        shrink(&mut self.body);
        shrink(&mut self.frame);
        result
    }

    pub(super) fn frame_and_write<T: Encode + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let header = self.packet.header_len();
        let max = self.packet.max_len();
        let too_large = |len| Error::ReplyTooLarge { len, max };
        self.frame.clear();
        self.frame.resize(header, 0);
        match self.compression {
            Some(level) if level != Compression::NONE => {
                let deflater = self.deflater.get_or_insert_with(Deflater::new);
                deflater.encode(value, level, &mut self.body)?;
                self.frame.extend_from_slice(&self.body);
            }
            _ => {
                // Stop at the packet size: a reply too large is never built whole.
                let mut encoder = Encoder::new(Capped { out: &mut self.frame, cap: header + max });
                match encoder.version().and_then(|()| value.encode(&mut encoder)) {
                    Ok(()) => {}
                    Err(EncodeError::BufferTooSmall { .. }) => return Err(too_large(encoded_len(value)?)),
                    Err(e) => return Err(e.into()),
                }
            }
        }
        let len = self.frame.len() - header;
        if self.packet.write_header(len, &mut self.frame).is_err() {
            return Err(too_large(len));
        }
        if self.corked && self.pending.len() + self.frame.len() <= KEEP {
            self.pending.extend_from_slice(&self.frame);
            return Ok(());
        }
        self.flush_pending()?;
        // Header and body in one write; write_all handles short writes and EINTR.
        self.output.write_all(&self.frame)?;
        self.output.flush()?;
        Ok(())
    }

    /// Writes what was gathered while corked.
    pub(super) fn flush_pending(&mut self) -> Result<(), Error> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let result = self.output.write_all(&self.pending).and_then(|()| self.output.flush());
        self.pending.clear();
        result.map_err(Error::from)
    }
}

/// A `Vec` sink that refuses to grow past `cap` bytes.
pub(super) struct Capped<'a> {
    pub(super) out: &'a mut Vec<u8>,
    pub(super) cap: usize,
}

impl Sink for Capped<'_> {
    type Error = EncodeError;

    fn write(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        let needed = self.out.len().saturating_add(bytes.len());
        if needed > self.cap {
            return Err(EncodeError::BufferTooSmall { needed });
        }
        self.out.extend_from_slice(bytes);
        Ok(())
    }
}
