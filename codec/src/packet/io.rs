//! Blocking packet I/O over `embedded_io::Read`/`Write`.

use super::*;

/// Reads one packet from `reader` into `buf` and returns its body; `Ok(None)` when the input
/// ends cleanly between packets. Never reads past the packet. A packet longer than `buf` is
/// read and dropped chunk by chunk ([`PacketError::TooLarge`]; the next call reads the next
/// packet); input ending inside a packet is [`PacketError::Truncated`].
///
/// ```
/// use erlport_codec::packet::{self, PacketSize};
/// let mut uart: &[u8] = &[0, 3, 131, 97, 7]; // anything that implements embedded_io::Read
/// let mut buf = [0u8; 64];
/// let body = packet::read(&mut uart, PacketSize::Two, &mut buf)?.expect("a packet");
/// assert_eq!(erlport_codec::decode(body)?.as_i64(), Some(7));
/// # Ok::<(), Box<dyn core::error::Error>>(())
/// ```
///
/// A whole `{packet, 2}` port over a UART (the loop in the README):
///
/// ```
/// use erlport_codec::packet::{self, PacketError, PacketSize};
/// use erlport_codec::{decode, Atom};
///
/// fn serve<U: embedded_io::Read + embedded_io::Write>(uart: &mut U) -> Result<(), PacketError<U::Error>> {
///     let (mut request, mut reply) = ([0u8; 512], [0u8; 512]);
///     loop {
///         let answer = match packet::read(uart, PacketSize::Two, &mut request) {
///             Ok(None) => return Ok(()), // the other side closed the stream
///             Ok(Some(body)) => match decode(body) {
///                 Ok(term) => (Atom::new("ok"), term.as_i64().unwrap_or(0) + 1),
///                 Err(_) => (Atom::new("error"), 0),
///             },
///             Err(PacketError::TooLarge { .. }) => (Atom::new("error"), 1), // skipped; in step
///             Err(e) => return Err(e),
///         };
///         packet::write(uart, PacketSize::Two, &answer, &mut reply)?;
///     }
/// }
/// # struct Loopback { input: &'static [u8], output: [u8; 64], n: usize }
/// # impl embedded_io::ErrorType for Loopback { type Error = core::convert::Infallible; }
/// # impl embedded_io::Read for Loopback {
/// #     fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> { self.input.read(buf) }
/// # }
/// # impl embedded_io::Write for Loopback {
/// #     fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
/// #         let n = buf.len().min(64 - self.n);
/// #         self.output[self.n..self.n + n].copy_from_slice(&buf[..n]);
/// #         self.n += n;
/// #         Ok(n)
/// #     }
/// #     fn flush(&mut self) -> Result<(), Self::Error> { Ok(()) }
/// # }
/// let mut uart = Loopback { input: &[0, 3, 131, 97, 41], output: [0; 64], n: 0 };
/// serve(&mut uart).unwrap();
/// assert_eq!(&uart.output[..uart.n], &[0, 9, 131, 104, 2, 119, 2, b'o', b'k', 97, 42]);
/// ```
#[cfg(feature = "embedded-io")]
pub fn read<'b, R: embedded_io::Read>(
    reader: &mut R,
    size: PacketSize,
    buf: &'b mut [u8],
) -> Result<Option<&'b [u8]>, PacketError<R::Error>> {
    let mut header = [0u8; 4];
    let n = size.header_len();
    let got = read_full(reader, &mut header[..n])?;
    if got == 0 {
        return Ok(None);
    }
    let len = match size.read_header(&header[..got]) {
        Some(len) => len,
        None => return Err(PacketError::Truncated { expected: n, got }),
    };
    let max = buf.len().min(size.max_len());
    if len > max {
        // Skip the body through whatever room there is, so the stream stays in step.
        let bin: &mut [u8] = if buf.is_empty() { &mut header } else { buf };
        let mut left = len;
        while left > 0 {
            let take = left.min(bin.len());
            match reader.read(&mut bin[..take]).map_err(PacketError::Io)? {
                0 => return Err(PacketError::Truncated { expected: len, got: len - left }),
                r => left -= r,
            }
        }
        return Err(PacketError::TooLarge { len, max });
    }
    let body = &mut buf[..len];
    let got = read_full(reader, body)?;
    if got < len {
        return Err(PacketError::Truncated { expected: len, got });
    }
    Ok(Some(body))
}

/// Fills `buf` from `reader`; returns how many bytes arrived before the end of input.
#[cfg(feature = "embedded-io")]
pub(super) fn read_full<R: embedded_io::Read>(reader: &mut R, buf: &mut [u8]) -> Result<usize, PacketError<R::Error>> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]).map_err(PacketError::Io)? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Encodes `value` as one packet in `buf` and writes it to `writer` (all of it, then a
/// flush). Nothing is written when the term does not fit `buf` or the packet size.
///
/// ```
/// use erlport_codec::{Atom, packet::{self, PacketSize}};
/// let mut out = [0u8; 16];
/// let mut uart = &mut out[..]; // anything that implements embedded_io::Write
/// let mut buf = [0u8; 32];
/// packet::write(&mut uart, PacketSize::Two, &(Atom::new("ok"), 1), &mut buf)?;
/// assert_eq!(&out[..11], &[0, 9, 131, 104, 2, 119, 2, b'o', b'k', 97, 1]);
/// # Ok::<(), Box<dyn core::error::Error>>(())
/// ```
#[cfg(feature = "embedded-io")]
pub fn write<W: embedded_io::Write, T: Encode + ?Sized>(
    writer: &mut W,
    size: PacketSize,
    value: &T,
    buf: &mut [u8],
) -> Result<(), PacketError<W::Error>> {
    let n = encode_framed(size, value, buf).map_err(|e| match e {
        PacketError::TooLarge { len, max } => PacketError::TooLarge { len, max },
        PacketError::Truncated { expected, got } => PacketError::Truncated { expected, got },
        PacketError::Encode(e) => PacketError::Encode(e),
        PacketError::Io(never) => match never {},
    })?;
    writer.write_all(&buf[..n]).map_err(PacketError::Io)?;
    writer.flush().map_err(PacketError::Io)
}
