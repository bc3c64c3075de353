//! Reading packets: buffered input, the codec's framing, limits, oversized packets skipped.

use super::{REFUSED_START, Unpacker, shrink};
use crate::error::Error;
use erlport_codec::Term;
use erlport_codec::packet::{Frame, Framer, PacketError, PacketSize};
use std::io::{self, BufRead, BufReader, Read};

/// Reads packets and decodes them into views over a buffer it reuses.
pub(crate) struct Reader<R> {
    /// Buffered, so a small packet's header and body (and the packets after it, when Erlang
    /// pipelines) arrive in one read.
    pub(super) input: BufReader<R>,
    /// The codec's framing: headers, limits, skipping oversized packets.
    pub(super) framer: Framer,
    pub(super) body: Vec<u8>,
    /// After [`Error::PacketTooLarge`]: how much of the refused body's start
    /// [`Reader::read_more_refused`] may keep (0 otherwise).
    pub(super) refused_want: usize,
    pub(super) unpacker: Unpacker,
    pub(crate) inflate_limit: usize,
}

impl<R: Read> Reader<R> {
    /// Whether the next packet is already buffered whole (reading it will not block), when
    /// the previous one was read to its end.
    pub(crate) fn next_is_buffered(&self) -> bool {
        let buffered = self.input.buffer();
        let size = self.framer.size();
        self.framer.is_between_packets()
            && size
                .read_header(buffered)
                .is_some_and(|len| buffered.len() - size.header_len() >= len && len <= self.framer.limit())
    }

    /// After [`Error::PacketTooLarge`]: the start of the refused packet's body, as much of
    /// its first [`REFUSED_START`] bytes as had arrived with its header (and
    /// [`Reader::read_more_refused`] added).
    pub(crate) fn refused_start(&self) -> &[u8] {
        &self.body
    }

    /// After [`Error::PacketTooLarge`]: waits for more of the refused body's start (a header
    /// may arrive alone, an id in pieces) and keeps it, up to [`REFUSED_START`] bytes; the
    /// framer skips what is kept. `false` when nothing more can be kept: the start is whole,
    /// the input ended, or reading failed (the next read reports either).
    pub(crate) fn read_more_refused(&mut self) -> bool {
        let want = self.refused_want.saturating_sub(self.body.len());
        if want == 0 {
            return false;
        }
        let chunk = loop {
            match self.input.fill_buf() {
                Ok(chunk) => break chunk,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return false,
            }
        };
        let take = want.min(chunk.len());
        let mut part = &chunk[..take];
        // These bytes are the refused body's: the framer, skipping it, takes them all.
        let skipping = self.framer.next(&mut part);
        debug_assert!(skipping.is_none() && part.is_empty());
        self.body.extend_from_slice(&chunk[..take]);
        self.input.consume(take);
        take > 0
    }

    /// The packet size this reader reads with.
    pub(crate) fn packet_size(&self) -> PacketSize {
        self.framer.size()
    }

    /// The longest packet accepted.
    pub(crate) fn max_packet(&self) -> usize {
        self.framer.limit()
    }

    /// Waits for the first bytes of input and shows them, reading nothing away (empty at
    /// the end of input or on an error, which the first read then reports).
    pub(crate) fn peek(&mut self) -> &[u8] {
        loop {
            match self.input.fill_buf() {
                Ok(_) => return self.input.buffer(),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return &[],
            }
        }
    }

    /// The next packet's body, swapped into `into` (whose old buffer the reader keeps for the
    /// next packet): `false` at a clean end of input. Errors as [`Reader::packet`].
    pub(crate) fn take_packet(&mut self, into: &mut Vec<u8>) -> Result<bool, Error> {
        if self.packet()?.is_none() {
            return Ok(false);
        }
        std::mem::swap(&mut self.body, into);
        Ok(true)
    }

    /// The next packet's body, or `None` at a clean end of input. A packet over the limit is
    /// [`Error::PacketTooLarge`] as soon as its header is read; its body is skipped as it
    /// arrives (by the next call), never stored.
    pub(super) fn packet(&mut self) -> Result<Option<&[u8]>, Error> {
        // The previous packet's view is gone: give back what a large one made us hold.
        shrink(&mut self.body);
        self.unpacker.shrink();
        self.body.clear();
        self.refused_want = 0;
        loop {
            let chunk = match self.input.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            if chunk.is_empty() {
                return match self.framer.at_end::<()>() {
                    None => Ok(None),
                    Some(PacketError::Truncated { expected, got }) => Err(Error::Truncated { expected, got }),
                    Some(_) => Err(Error::Truncated { expected: 1, got: 0 }),
                };
            }
            let mut input = chunk;
            let mut done = None;
            while let Some(frame) = self.framer.next(&mut input) {
                match frame {
                    // The body grows as its bytes arrive, never from the header alone.
                    Frame::Body { bytes, left } => {
                        self.body.extend_from_slice(bytes);
                        if left == 0 {
                            done = Some(Ok(()));
                            break;
                        }
                    }
                    Frame::TooLarge { len, max } => {
                        // The start of its body, as far as it is here, stays readable (for a
                        // call's id, so its caller gets the error); the rest is skipped.
                        self.refused_want = len.min(REFUSED_START);
                        let start = input.len().min(self.refused_want);
                        self.body.extend_from_slice(&input[..start]);
                        // Taken here, so that more of it can be kept later.
                        let mut part = &input[..start];
                        let _skipping = self.framer.next(&mut part);
                        input = &input[start..];
                        done = Some(Err(Error::PacketTooLarge { len, max }));
                        break;
                    }
                }
            }
            let used = chunk.len() - input.len();
            self.input.consume(used);
            match done {
                Some(Ok(())) => return Ok(Some(&self.body)),
                Some(Err(e)) => return Err(e),
                None => {}
            }
        }
    }

    pub(crate) fn read(&mut self) -> Result<Option<Term<'_>>, Error> {
        if self.packet()?.is_none() {
            return Ok(None);
        }
        Ok(Some(self.unpacker.decode(&self.body, self.inflate_limit)?))
    }
}
