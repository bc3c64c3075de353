//! Where encoded bytes go: the [`Sink`] trait and the sinks the crate provides.

use super::EncodeError;

/// A sink for encoded bytes, with an error type of its own: a writer's I/O error passes
/// through the [`Encoder`](crate::Encoder) and every [`Encode`](crate::Encode) impl unchanged,
/// and the encoder's own errors (a non-finite float, a count that does not match its header)
/// become one through `From<EncodeError>`. The crate's sinks fail with [`EncodeError`].
///
/// ```
/// use erlport_codec::{Encode, EncodeError, Encoder, Sink};
///
/// /// Writes into a `std::io::Write`.
/// struct Io<W>(W);
///
/// #[derive(Debug)]
/// enum Failed {
///     Io(std::io::Error),
///     Encode(EncodeError),
/// }
///
/// impl From<EncodeError> for Failed {
///     fn from(e: EncodeError) -> Self {
///         Failed::Encode(e)
///     }
/// }
///
/// impl<W: std::io::Write> Sink for Io<W> {
///     type Error = Failed;
///     fn write(&mut self, bytes: &[u8]) -> Result<(), Failed> {
///         self.0.write_all(bytes).map_err(Failed::Io)
///     }
/// }
///
/// let mut encoder = Encoder::new(Io(Vec::new()));
/// encoder.version()?;
/// (1, 2.5).encode(&mut encoder)?;
/// assert_eq!(encoder.into_inner().0.len(), 14);
///
/// let mut four = [0u8; 4];
/// let mut full = Encoder::new(Io(&mut four[..]));
/// assert!(matches!(full.encode(&"too long for four bytes"), Err(Failed::Io(_))));
/// assert!(matches!(Encoder::new(Io(Vec::new())).float(f64::NAN), Err(Failed::Encode(EncodeError::NonFiniteFloat))));
/// # Ok::<(), Failed>(())
/// ```
pub trait Sink {
    /// What a write fails with; the encoder's own errors convert into it.
    type Error: From<EncodeError>;

    /// Appends `bytes`, or fails (a full fixed-size buffer, an I/O error).
    fn write(&mut self, bytes: &[u8]) -> Result<(), Self::Error>;
}

/// Writes into a `&mut [u8]`. When the slice is full it keeps counting, so the error can say
/// how large the whole output is.
#[derive(Debug)]
pub struct SliceWriter<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> SliceWriter<'a> {
    /// A writer at the start of `buf`.
    pub fn new(buf: &'a mut [u8]) -> Self {
        SliceWriter { buf, len: 0 }
    }

    /// The bytes written so far, or `BufferTooSmall` with the size needed if they did not fit.
    pub fn finish(self) -> Result<&'a mut [u8], EncodeError> {
        if self.len > self.buf.len() {
            return Err(EncodeError::BufferTooSmall { needed: self.len });
        }
        Ok(&mut self.buf[..self.len])
    }
}

impl Sink for SliceWriter<'_> {
    type Error = EncodeError;

    #[cfg_attr(not(target_os = "none"), inline(always))]
    #[cfg_attr(target_os = "none", inline)]
    fn write(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        let end = self.len + bytes.len();
        if let Some(dest) = self.buf.get_mut(self.len..end) {
            copy_small(dest, bytes);
        }
        self.len = end;
        Ok(())
    }
}

/// `dest.copy_from_slice(src)` (same lengths), with the short copies an encoder mostly makes
/// (atoms' text, small binaries: up to 16 bytes) done in place, as two overlapping fixed-size
/// moves, rather than by a call to `memcpy`. (On bare metal, where flash counts more, a plain
/// copy.)
#[cfg(target_os = "none")]
#[inline]
fn copy_small(dest: &mut [u8], src: &[u8]) {
    dest.copy_from_slice(src);
}

#[cfg(not(target_os = "none"))]
#[inline(always)]
fn copy_small(dest: &mut [u8], src: &[u8]) {
    let n = src.len();
    if n != dest.len() {
        return;
    }
    match n {
        0 => {}
        1..=3 => {
            dest[0] = src[0];
            dest[n / 2] = src[n / 2];
            dest[n - 1] = src[n - 1];
        }
        4..=7 => {
            dest[..4].copy_from_slice(&src[..4]);
            dest[n - 4..].copy_from_slice(&src[n - 4..]);
        }
        8..=16 => {
            dest[..8].copy_from_slice(&src[..8]);
            dest[n - 8..].copy_from_slice(&src[n - 8..]);
        }
        _ => dest.copy_from_slice(src),
    }
}

/// Counts bytes without writing them (for [`encoded_len`](crate::encoded_len)).
#[derive(Debug, Default)]
pub struct Counter(pub usize);

impl Sink for Counter {
    type Error = EncodeError;

    #[inline]
    fn write(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        self.0 += bytes.len();
        Ok(())
    }
}

/// A full vector fails with `BufferTooSmall`, whose `needed` counts the bytes up to and
/// including the write that did not fit ([`encode_to_heapless`](crate::encode_to_heapless) reports the whole size).
impl<const N: usize> Sink for heapless::Vec<u8, N> {
    type Error = EncodeError;

    #[inline]
    fn write(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        let needed = self.len() + bytes.len();
        self.extend_from_slice(bytes).map_err(|_| EncodeError::BufferTooSmall { needed })
    }
}

#[cfg(feature = "alloc")]
impl Sink for alloc::vec::Vec<u8> {
    type Error = EncodeError;

    #[inline]
    fn write(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        self.extend_from_slice(bytes);
        Ok(())
    }
}

impl<W: Sink + ?Sized> Sink for &mut W {
    type Error = W::Error;

    fn write(&mut self, bytes: &[u8]) -> Result<(), W::Error> {
        (**self).write(bytes)
    }
}
