//! Packet I/O with Erlang: `{packet, N}` framing over stdio or file descriptors 3 and 4.

use crate::Error;
use erlport_codec::{Compression, DEFAULT_INFLATE_LIMIT, Decoder, Deflater, Encode, Encoder, Inflater, Term};
use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Read, Write};
use std::os::fd::AsFd;
use std::sync::{Arc, Mutex, MutexGuard};

/// The size of the big-endian length header before every packet, as in `{packet, N}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PacketSize {
    /// `{packet, 1}`: bodies of up to 255 bytes.
    One,
    /// `{packet, 2}`: bodies of up to 65,535 bytes.
    Two,
    /// `{packet, 4}`: bodies of up to 4 GiB - 1.
    Four,
}

impl PacketSize {
    /// The packet size for `{packet, N}`, N in 1, 2, 4.
    pub fn new(n: u8) -> Option<PacketSize> {
        match n {
            1 => Some(PacketSize::One),
            2 => Some(PacketSize::Two),
            4 => Some(PacketSize::Four),
            _ => None,
        }
    }

    /// The header length in bytes.
    pub fn bytes(self) -> usize {
        match self {
            PacketSize::One => 1,
            PacketSize::Two => 2,
            PacketSize::Four => 4,
        }
    }

    /// The largest body this header can announce.
    pub fn max_body(self) -> usize {
        match self {
            PacketSize::One => 0xff,
            PacketSize::Two => 0xffff,
            PacketSize::Four => 0xffff_ffff,
        }
    }
}

/// Reads packets and decodes them into views over a buffer it reuses.
struct Reader<R> {
    /// Buffered, so a small packet's header and body (and the packets after it, when Erlang
    /// pipelines) arrive in one read.
    input: BufReader<R>,
    packet: PacketSize,
    body: Vec<u8>,
    scratch: Vec<u8>,
    inflater: Option<Box<Inflater>>,
    max_packet: usize,
    inflate_limit: usize,
}

impl<R: Read> Reader<R> {
    /// Fills `buf` from the input; returns how many bytes arrived before end of input.
    fn fill(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.input.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(filled)
    }

    /// The next packet's body, or `None` at a clean end of input.
    fn packet(&mut self) -> Result<Option<&[u8]>, Error> {
        let mut header = [0u8; 4];
        let header = &mut header[..self.packet.bytes()];
        let got = self.fill(header)?;
        if got == 0 {
            return Ok(None);
        }
        if got < header.len() {
            return Err(Error::Truncated { expected: header.len(), got });
        }
        let len = header.iter().fold(0usize, |n, &b| n << 8 | usize::from(b));
        if len > self.max_packet {
            return Err(Error::PacketTooLarge { len, max: self.max_packet });
        }
        // Grow the buffer as bytes arrive, never from the header alone.
        self.body.clear();
        let got = (&mut self.input).take(len as u64).read_to_end(&mut self.body)?;
        if got < len {
            return Err(Error::Truncated { expected: len, got });
        }
        Ok(Some(&self.body))
    }

    fn read(&mut self) -> Result<Option<Term<'_>>, Error> {
        if self.packet()?.is_none() {
            return Ok(None);
        }
        // The scratch grows only as a compressed term inflates, and the inflater is kept.
        let inflater = self.inflater.get_or_insert_with(|| Box::new(Inflater::new()));
        let (term, used) = Decoder::new()
            .scratch_vec(&mut self.scratch)
            .inflater(inflater)
            .inflate_limit(self.inflate_limit)
            .decode_prefix(&self.body)?;
        if used < self.body.len() {
            return Err(Error::TrailingBytes { count: self.body.len() - used });
        }
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
}

impl<W: Write> Writer<W> {
    pub(crate) fn write<T: Encode + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let header = self.packet.bytes();
        self.frame.clear();
        self.frame.resize(header, 0);
        match self.compression {
            Some(level) if level != Compression::NONE => {
                let deflater = self.deflater.get_or_insert_with(Deflater::new);
                deflater.encode(value, level, &mut self.body)?;
                self.frame.extend_from_slice(&self.body);
            }
            _ => {
                let mut encoder = Encoder::new(&mut self.frame);
                encoder.version()?;
                value.encode(&mut encoder)?;
            }
        }
        let len = self.frame.len() - header;
        if len > self.packet.max_body() {
            return Err(Error::PacketTooLarge { len, max: self.packet.max_body() });
        }
        let be = (len as u32).to_be_bytes();
        self.frame[..header].copy_from_slice(&be[4 - header..]);
        // Header and body in one write; write_all handles short writes and EINTR.
        self.output.write_all(&self.frame)?;
        self.output.flush()?;
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
    reader: Reader<R>,
    writer: Arc<Mutex<Writer<W>>>,
}

impl<R: Read, W: Write> Port<R, W> {
    /// A port reading from `input` and writing to `output`.
    pub fn new(input: R, output: W, packet: PacketSize) -> Self {
        Port {
            reader: Reader {
                input: BufReader::with_capacity(64 * 1024, input),
                packet,
                body: Vec::new(),
                scratch: Vec::new(),
                inflater: None,
                max_packet: usize::MAX,
                inflate_limit: DEFAULT_INFLATE_LIMIT,
            },
            writer: Arc::new(Mutex::new(Writer {
                output,
                packet,
                compression: None,
                deflater: None,
                frame: Vec::new(),
                body: Vec::new(),
            })),
        }
    }

    /// Compresses what this port writes at `level` (when it pays, as Erlang's
    /// `term_to_binary(T, [{compressed, Level}])` does); Erlang inflates it transparently.
    pub fn compressed(self, level: Compression) -> Self {
        self.lock().compression = Some(level);
        self
    }

    /// Refuses packets longer than `max` bytes before reading their body (no limit by
    /// default beyond the header's).
    pub fn max_packet(mut self, max: usize) -> Self {
        self.reader.max_packet = max;
        self
    }

    /// The largest inflated size accepted for a compressed term (default
    /// [`DEFAULT_INFLATE_LIMIT`], 64 MiB).
    pub fn inflate_limit(mut self, limit: usize) -> Self {
        self.reader.inflate_limit = limit;
        self
    }

    /// The next term Erlang sent, as a view into the port's buffer; `Ok(None)` when Erlang
    /// closed the port (a clean end of input). A packet cut short is [`Error::Truncated`].
    pub fn read(&mut self) -> Result<Option<Term<'_>>, Error> {
        self.reader.read()
    }

    /// The next packet's raw bytes (no decoding), or `None` at a clean end of input.
    pub fn read_packet(&mut self) -> Result<Option<&[u8]>, Error> {
        self.reader.packet()
    }

    /// Encodes `value` and writes it as one packet. A body larger than the packet size allows
    /// is [`Error::PacketTooLarge`], before anything is written.
    pub fn write<T: Encode + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.lock().write(value)
    }

    /// A handle that writes to this port from anywhere: a handler, another thread.
    pub fn sender(&self) -> Sender<W> {
        Sender { writer: Arc::clone(&self.writer) }
    }

    fn lock(&self) -> MutexGuard<'_, Writer<W>> {
        // A panic while writing leaves the buffers in a state the next write resets.
        self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Port<File, File> {
    /// A port over stdin and stdout, as `open_port({spawn, Cmd}, [{packet, N}, use_stdio])`
    /// (the default) sets up. The descriptors are duplicated into plain files, so writes skip
    /// `Stdout`'s line buffering: one `write` per packet.
    pub fn stdio(packet: PacketSize) -> io::Result<Self> {
        let input = File::from(io::stdin().as_fd().try_clone_to_owned()?);
        let output = File::from(io::stdout().as_fd().try_clone_to_owned()?);
        Ok(Port::new(input, output, packet))
    }
}

impl Port<File, File> {
    /// A port over file descriptors 3 (input) and 4 (output), as
    /// `open_port({spawn, Cmd}, [{packet, N}, nouse_stdio])` sets up; stdout stays free.
    pub fn fds(packet: PacketSize) -> io::Result<Self> {
        let (input, output) = fds()?;
        Ok(Port::new(input, output, packet))
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

impl<W: Write> Sender<W> {
    /// Encodes `value` and writes it as one packet, like [`Port::write`].
    pub fn send<T: Encode + ?Sized>(&self, value: &T) -> Result<(), Error> {
        self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).write(value)
    }
}
