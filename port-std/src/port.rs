//! Packet I/O with Erlang: `{packet, N}` framing over stdio or file descriptors 3 and 4.

use crate::Error;
#[cfg(doc)]
use erlport_codec::packet::DEFAULT_MAX_PACKET;
use erlport_codec::packet::{Frame, Framer, PacketError, PacketSize};
use erlport_codec::{
    Compression, DEFAULT_INFLATE_LIMIT, Decoder, Deflater, Encode, EncodeError, Encoder, Inflater, Serializer, Sink,
    Term, encoded_len,
};
use serde::Serialize;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::sync::{Arc, Mutex, MutexGuard};

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

/// Reads packets and decodes them into views over a buffer it reuses.
pub(crate) struct Reader<R> {
    /// Buffered, so a small packet's header and body (and the packets after it, when Erlang
    /// pipelines) arrive in one read.
    input: BufReader<R>,
    /// The codec's framing: headers, limits, skipping oversized packets.
    framer: Framer,
    body: Vec<u8>,
    scratch: Vec<u8>,
    inflater: Option<Box<Inflater>>,
    pub(crate) inflate_limit: usize,
}

impl<R: Read> Reader<R> {
    /// The next packet's body, swapped into `into` (whose old buffer the reader keeps for the
    /// next packet): `false` at a clean end of input. Errors as [`Reader::packet`].
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
    /// its first [`REFUSED_START`] bytes as had arrived with its header.
    pub(crate) fn refused_start(&self) -> &[u8] {
        &self.body
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
    fn packet(&mut self) -> Result<Option<&[u8]>, Error> {
        // The previous packet's view is gone: give back what a large one made us hold.
        shrink(&mut self.body);
        shrink(&mut self.scratch);
        self.body.clear();
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
                        let start = input.len().min(len).min(REFUSED_START);
                        self.body.extend_from_slice(&input[..start]);
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

    fn read(&mut self) -> Result<Option<Term<'_>>, Error> {
        if self.packet()?.is_none() {
            return Ok(None);
        }
        // The scratch grows only as a compressed term inflates, and the inflater is kept.
        let inflater = self.inflater.get_or_insert_with(|| Box::new(Inflater::new()));
        let term = Decoder::new()
            .scratch_vec(&mut self.scratch)
            .inflater(inflater)
            .inflate_limit(self.inflate_limit)
            .decode(&self.body)?;
        Ok(Some(term))
    }
}

/// Encodes and writes packets, reusing its buffers.
pub(crate) struct Writer<W> {
    output: W,
    packet: PacketSize,
    compression: Option<Compression>,
    deflater: Option<Deflater>,
    frame: Vec<u8>,
    body: Vec<u8>,
    /// `None` is written as `nil` (Elixir) instead of `undefined`.
    nil: bool,
    /// Packets are gathered in `pending` to be written together (see [`Sender::cork`]).
    corked: bool,
    pending: Vec<u8>,
}

/// A `Serialize` value, written through the codec's serde mapping where an `Encode` one is
/// expected.
pub(crate) struct Typed<'a, T: ?Sized> {
    pub(crate) value: &'a T,
    pub(crate) nil: bool,
}

impl<T: Serialize + ?Sized> Encode for Typed<'_, T> {
    fn encode<S: Sink>(&self, e: &mut Encoder<S>) -> Result<(), EncodeError> {
        Serializer::new(e).none_as_nil(self.nil).write(self.value)
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

    fn frame_and_write<T: Encode + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
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
    fn flush_pending(&mut self) -> Result<(), Error> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let result = self.output.write_all(&self.pending).and_then(|()| self.output.flush());
        self.pending.clear();
        result.map_err(Error::from)
    }
}

/// A `Vec` sink that refuses to grow past `cap` bytes.
struct Capped<'a> {
    out: &'a mut Vec<u8>,
    cap: usize,
}

impl Sink for Capped<'_> {
    fn write(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        let needed = self.out.len().saturating_add(bytes.len());
        if needed > self.cap {
            return Err(EncodeError::BufferTooSmall { needed });
        }
        self.out.extend_from_slice(bytes);
        Ok(())
    }
}

/// A port: reads terms Erlang sends and writes terms back, each in one `{packet, N}` frame.
///
/// Generic over [`Read`] and [`Write`], so tests can use pipes or memory. Buffers are reused:
/// once warm, reading and writing a message allocates nothing.
///
/// ```
/// use erlport::{Port, PacketSize, codec::Atom};
///
/// // Two packets as Erlang would send them with {packet, 2}: 'ok' and 42.
/// let input: &[u8] = &[0, 5, 131, 119, 2, b'o', b'k', 0, 3, 131, 97, 42];
/// let mut port = Port::new(input, Vec::new(), PacketSize::Two);
/// assert!(port.read()?.unwrap().is_atom("ok"));
/// assert_eq!(port.read()?.unwrap().as_i64(), Some(42));
/// assert!(port.read()?.is_none()); // Erlang closed the port
/// port.write(&(Atom::new("reply"), 1))?;
/// # Ok::<(), erlport::Error>(())
/// ```
pub struct Port<R, W> {
    pub(crate) reader: Reader<R>,
    writer: Arc<Mutex<Writer<W>>>,
}

impl<R: Read, W: Write> Port<R, W> {
    /// A port reading from `input` and writing to `output`.
    pub fn new(input: R, output: W, packet: PacketSize) -> Self {
        Port {
            reader: Reader {
                input: BufReader::with_capacity(64 * 1024, input),
                framer: Framer::new(packet),
                body: Vec::new(),
                scratch: Vec::new(),
                inflater: None,
                inflate_limit: DEFAULT_INFLATE_LIMIT,
            },
            writer: Arc::new(Mutex::new(Writer::new(output, packet))),
        }
    }

    /// Compresses what this port writes at `level` (when it pays, as Erlang's
    /// `term_to_binary(T, [{compressed, Level}])` does); Erlang inflates it transparently.
    pub fn compressed(self, level: Compression) -> Self {
        self.lock().compression = Some(level);
        self
    }

    /// Writes `None` as `nil`, the way Elixir code expects it, instead of Erlang's `undefined`
    /// (reading accepts both either way).
    pub fn none_as_nil(self, yes: bool) -> Self {
        self.lock().nil = yes;
        self
    }

    /// Refuses packets longer than `max` bytes (default [`DEFAULT_MAX_PACKET`], 64 MiB, or
    /// the header's own limit when lower): each is [`Error::PacketTooLarge`] as soon as its
    /// header arrives, and its body is skipped, never stored, so the next read gets the next
    /// packet.
    pub fn max_packet(mut self, max: usize) -> Self {
        self.reader.framer = self.reader.framer.clone().max_len(max);
        self
    }

    /// The largest inflated size accepted for a compressed term (default
    /// [`DEFAULT_INFLATE_LIMIT`], 64 MiB).
    pub fn inflate_limit(mut self, limit: usize) -> Self {
        self.reader.inflate_limit = limit;
        self
    }

    /// The next term Erlang sent, as a view into the port's buffer; `Ok(None)` when Erlang
    /// closed the port (a clean end of input).
    ///
    /// A packet that is not one whole term is [`Error::Decode`], one over the limit
    /// [`Error::PacketTooLarge`]: after either the port is still in step and the next read
    /// gets the next packet ([`Error::is_fatal`] is false). A packet cut short by the end of
    /// input is [`Error::Truncated`], and failed reads [`Error::Io`]: those end the stream.
    ///
    /// Memory: the body buffer grows only as bytes arrive, a compressed term's only as it
    /// inflates (up to the [inflate limit](Port::inflate_limit)), and both go back to 64 KiB
    /// at the next read after a larger packet.
    pub fn read(&mut self) -> Result<Option<Term<'_>>, Error> {
        self.reader.read()
    }

    /// The next packet's raw bytes (no decoding), or `None` at a clean end of input.
    pub fn read_packet(&mut self) -> Result<Option<&[u8]>, Error> {
        self.reader.packet()
    }

    /// Writes `value` (any `Serialize` type, through the codec's mapping) as one packet. A
    /// body larger than the packet size allows is [`Error::ReplyTooLarge`], before anything
    /// is written.
    pub fn write<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.lock().write_typed(value)
    }

    /// A handle that writes to this port from anywhere: a handler, another thread.
    pub fn sender(&self) -> Sender<W> {
        Sender { writer: Arc::clone(&self.writer) }
    }

    /// The packet size this port reads and writes with.
    pub fn packet_size(&self) -> PacketSize {
        self.lock().packet
    }

    fn lock(&self) -> MutexGuard<'_, Writer<W>> {
        // A panic while writing leaves the buffers in a state the next write resets.
        self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Port<File, File> {
    /// A port over stdin and stdout, as `open_port({spawn, Cmd}, [{packet, N}, use_stdio])`
    /// (the default) sets up.
    ///
    /// stdout is protected: the port writes packets to its own duplicate of the original
    /// stdout, and file descriptor 1 is pointed at stderr, so `println!` in a handler or a
    /// library lands on stderr instead of corrupting the framing (Python's erlport does the
    /// same). The descriptor work is done with `rustix`. The port's descriptors are plain
    /// files, so writes skip `Stdout`'s line buffering: one `write` per packet.
    ///
    /// Fails when stdout is `/dev/null`: that is what a program started with stdout closed
    /// gets from the Rust runtime, and every reply would be lost without a trace. Fails when
    /// called a second time in a process: fd 1 is stderr by then.
    ///
    /// On Linux the process is also set to be killed when its parent dies
    /// (`PR_SET_PDEATHSIG`): a port program's parent is the VM's port helper, which ends with
    /// the VM, so a VM killed with SIGKILL leaves no program behind.
    pub fn stdio(packet: PacketSize) -> io::Result<Self> {
        use rustix::io::fcntl_dupfd_cloexec;
        use rustix::stdio;
        use std::sync::atomic::{AtomicBool, Ordering};
        static TAKEN: AtomicBool = AtomicBool::new(false);
        if TAKEN.swap(true, Ordering::SeqCst) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "Port::stdio was already called: stdout now points at stderr",
            ));
        }
        let opened = (|| {
            // Text already printed goes first, to the original stdout.
            io::stdout().flush()?;
            let output = fcntl_dupfd_cloexec(stdio::stdout(), 3)?;
            if is_dev_null(&output) {
                return Err(io::Error::new(
                    io::ErrorKind::NotConnected,
                    "stdout is /dev/null (was it closed?): replies would be lost; start this program as an Erlang port",
                ));
            }
            let input = fcntl_dupfd_cloexec(stdio::stdin(), 3)?;
            stdio::dup2_stdout(stdio::stderr())?;
            die_with_parent();
            Ok(Port::new(File::from(input), File::from(output), packet))
        })();
        if opened.is_err() {
            // fd 1 was not moved: a later call may try again.
            TAKEN.store(false, Ordering::SeqCst);
        }
        opened
    }
}

/// Whether `fd` is the null device.
fn is_dev_null(fd: &std::os::fd::OwnedFd) -> bool {
    use rustix::fs::{FileType, fstat, stat};
    match (fstat(fd), stat("/dev/null")) {
        (Ok(ours), Ok(null)) => {
            FileType::from_raw_mode(ours.st_mode) == FileType::CharacterDevice && ours.st_rdev == null.st_rdev
        }
        _ => false,
    }
}

impl Port<File, File> {
    /// A port over file descriptors 3 (input) and 4 (output), as
    /// `open_port({spawn, Cmd}, [{packet, N}, nouse_stdio])` sets up; stdout stays free. Like
    /// [`Port::stdio`], it sets a parent-death signal on Linux.
    pub fn fds(packet: PacketSize) -> io::Result<Self> {
        let (input, output) = fds()?;
        die_with_parent();
        Ok(Port::new(input, output, packet))
    }
}

/// On Linux, asks the kernel to kill this process when its parent dies (`PR_SET_PDEATHSIG`):
/// the parent of a port program is the VM's port helper (`erl_child_setup`), which ends with
/// the VM, so a VM killed with SIGKILL leaves no program behind, even one whose handlers
/// never look at their input again. Elsewhere the end of input does it (see
/// `ConcurrentProtocol::grace`).
fn die_with_parent() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL)) {
        log::debug!("cannot set a parent-death signal: {e}");
    }
}

/// File descriptors 3 (for reading) and 4 (for writing), which Erlang connects to the port
/// with `nouse_stdio`. Opened through `/dev/fd`, so no `unsafe` is needed.
pub fn fds() -> io::Result<(File, File)> {
    let input = OpenOptions::new().read(true).open("/dev/fd/3")?;
    let output = OpenOptions::new().write(true).open("/dev/fd/4")?;
    Ok((input, output))
}

/// Writes terms to a [`Port`] from anywhere (cloneable, and `Send` when the output is).
pub struct Sender<W> {
    writer: Arc<Mutex<Writer<W>>>,
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
    scratch: Vec<u8>,
    inflater: Option<Box<Inflater>>,
}

impl Default for Loopback {
    fn default() -> Self {
        let sender = Sender { writer: Arc::new(Mutex::new(Writer::new(Vec::new(), PacketSize::Four))) };
        Loopback { sender, scratch: Vec::new(), inflater: None }
    }
}

impl Loopback {
    /// The request as a term, with a port's checks: the default packet and inflate limits.
    pub(crate) fn decode<'a>(&'a mut self, request: &'a [u8]) -> Result<Term<'a>, Error> {
        let max = erlport_codec::packet::DEFAULT_MAX_PACKET;
        if request.len() > max {
            return Err(Error::PacketTooLarge { len: request.len(), max });
        }
        // The inflater (tens of KiB) only for a compressed request.
        if erlport_codec::compressed_size(request).is_none() {
            return Ok(erlport_codec::decode(request)?);
        }
        let inflater = self.inflater.get_or_insert_with(|| Box::new(Inflater::new()));
        let term = Decoder::new().scratch_vec(&mut self.scratch).inflater(inflater).decode(request)?;
        Ok(term)
    }
}

impl<W> Sender<W> {
    /// The packet size this port writes with.
    pub fn packet_size(&self) -> PacketSize {
        self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).packet
    }
}

impl<W: Write> Sender<W> {
    /// Writes `value` (any `Serialize` type) as one packet, like [`Port::write`].
    pub fn send<T: Serialize + ?Sized>(&self, value: &T) -> Result<(), Error> {
        self.lock().write_typed(value)
    }

    /// Writes `value` as `{reply, Tag, Value}` when `tag` is given, as itself otherwise.
    pub(crate) fn send_tagged<T: Serialize + ?Sized>(&self, tag: Option<Term<'_>>, value: &T) -> Result<(), Error> {
        let mut writer = self.lock();
        let nil = writer.nil;
        writer.write(&crate::protocol::Tagged { tag, value: Typed { value, nil } })
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

    fn lock(&self) -> MutexGuard<'_, Writer<W>> {
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
        use crate::protocol::{Tagged, error_reply};
        let max = self.packet_size().max_len();
        for max_text in [usize::MAX, max / 2, 0] {
            let reason = error.reason().with_max_text(max_text);
            match self.send_encoded(&Tagged { tag, value: error_reply(&reason) }) {
                Err(Error::ReplyTooLarge { .. } | Error::Encode(_)) => continue,
                other => return other,
            }
        }
        self.send_encoded(&Tagged { tag, value: error_reply(&erlport_codec::Atom::new("reply_too_large")) })
    }
}
