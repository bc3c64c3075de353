//! [`Port`]: a reader and a writer of packets, on stdio, fds 3/4 or any pair.

use super::Unpacker;
use super::reader::Reader;
use super::sender::Sender;
use super::writer::Writer;
use crate::error::Error;
#[cfg(doc)]
use erlport_codec::packet::DEFAULT_MAX_PACKET;
use erlport_codec::packet::Framer;
use erlport_codec::packet::PacketSize;
use erlport_codec::{Compression, DEFAULT_INFLATE_LIMIT, Term};
use serde::Serialize;
use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Read, Write};
use std::sync::{Arc, Mutex, MutexGuard};

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
    pub(super) writer: Arc<Mutex<Writer<W>>>,
}

impl<R: Read, W: Write> Port<R, W> {
    /// A port reading from `input` and writing to `output`.
    pub fn new(input: R, output: W, packet: PacketSize) -> Self {
        Port {
            reader: Reader {
                input: BufReader::with_capacity(64 * 1024, input),
                framer: Framer::new(packet),
                body: Vec::new(),
                refused_want: 0,
                unpacker: Unpacker::default(),
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
pub(super) fn is_dev_null(fd: &std::os::fd::OwnedFd) -> bool {
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
pub(super) fn die_with_parent() {
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
