//! Where encoded bytes go: the [`Sink`] trait and the sinks the crate provides.

use super::EncodeError;

/// A sink for encoded bytes.
pub trait Sink {
    /// Appends `bytes`, or fails (a full fixed-size buffer).
    fn write(&mut self, bytes: &[u8]) -> Result<(), EncodeError>;
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
    #[cfg_attr(not(target_os = "none"), inline(always))]
    #[cfg_attr(target_os = "none", inline)]
    fn write(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        let end = self.len + bytes.len();
        if let Some(dest) = self.buf.get_mut(self.len..end) {
            dest.copy_from_slice(bytes);
        }
        self.len = end;
        Ok(())
    }
}

/// Counts bytes without writing them (for [`encoded_len`](crate::encoded_len)).
#[derive(Debug, Default)]
pub struct Counter(pub usize);

impl Sink for Counter {
    #[inline]
    fn write(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        self.0 += bytes.len();
        Ok(())
    }
}

/// A full vector fails with `BufferTooSmall`, whose `needed` counts the bytes up to and
/// including the write that did not fit ([`encode_to_heapless`](crate::encode_to_heapless) reports the whole size).
impl<const N: usize> Sink for heapless::Vec<u8, N> {
    #[inline]
    fn write(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        let needed = self.len() + bytes.len();
        self.extend_from_slice(bytes).map_err(|_| EncodeError::BufferTooSmall { needed })
    }
}

#[cfg(feature = "alloc")]
impl Sink for alloc::vec::Vec<u8> {
    #[inline]
    fn write(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        self.extend_from_slice(bytes);
        Ok(())
    }
}

impl<W: Sink + ?Sized> Sink for &mut W {
    fn write(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        (**self).write(bytes)
    }
}
