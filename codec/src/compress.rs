//! Compressed terms (tag 80): `131, 80, UncompressedSize:u32, zlib stream`.
//!
//! Inflation writes into a scratch slice the caller supplies and needs no allocator. The
//! declared size is a hard bound, as in ERTS: the output slice is exactly that long, so a stream
//! that would produce more stops there and is refused (a zlib bomb claiming 10 bytes is refused
//! after inflating at most 10), and one that produces fewer is refused too.
//!
//! The inflater's state ([`Inflater`], about 10 KiB) lives on the stack while a
//! [`Decoder`](crate::Decoder) inflates, unless the program keeps one elsewhere (a `static`, a
//! field) and gives it with [`Decoder::inflater`](crate::Decoder::inflater).
//!
//! Compression (with the `alloc` feature: miniz_oxide's compressor keeps about 300 KiB of
//! state) follows `term_to_binary(T, [{compressed, Level}])`: level 0 writes the plain
//! encoding; otherwise the body after the version byte is deflated and tag 80 is used exactly
//! when the result is no longer than the plain encoding (a tie goes to compression), as ERTS
//! decides. miniz_oxide and zlib write different (equally valid) streams, so the bytes differ
//! from Erlang's; the term Erlang decodes is the same.

use crate::error::{DecodeError, DecodeErrorKind};
use crate::index::Indexer;
use crate::validate::{validate, validate_indexed};
use crate::wire::{self, COMPRESSED_HEADER_LEN, Tag};
use miniz_oxide::inflate::TINFLStatus;
use miniz_oxide::inflate::core::{DecompressorOxide, decompress, inflate_flags};

/// The state of a zlib inflater (about 10 KiB), reusable across calls.
pub struct Inflater {
    state: DecompressorOxide,
}

impl Inflater {
    /// A fresh inflater.
    pub fn new() -> Self {
        Inflater { state: DecompressorOxide::new() }
    }
}

impl Default for Inflater {
    fn default() -> Self {
        Inflater::new()
    }
}

impl core::fmt::Debug for Inflater {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Inflater")
    }
}

/// The default largest inflated size a [`Decoder`](crate::Decoder) accepts: 64 MiB.
pub const DEFAULT_INFLATE_LIMIT: usize = 64 << 20;

/// The size a compressed input declares for its inflated term (the scratch it needs), or
/// `None` when the input is not a compressed term (or too short to say).
///
/// ```
/// assert_eq!(erlport_codec::compressed_size(&[131, 80, 0, 0, 1, 0, 120, 156]), Some(256));
/// assert_eq!(erlport_codec::compressed_size(&[131, 97, 1]), None);
/// ```
pub fn compressed_size(input: &[u8]) -> Option<u32> {
    wire::compressed_size(input)
}

/// Validates an inflated term, which must fill the inflated bytes exactly, telling `ix` of
/// its terms; returns where it ends.
pub(crate) fn validated_inflated<I: Indexer>(
    inflated: &[u8],
    keys: Option<&mut [u32]>,
    ix: I,
) -> Result<usize, DecodeError> {
    let validated = if I::ACTIVE { validate_indexed(inflated, 0, keys, ix) } else { validate(inflated, 0, keys) };
    validated.map_err(|e| {
        let e = if e.is_incomplete() {
            DecodeError::new(DecodeErrorKind::InflatedTermIncomplete, e.offset(), e.tag())
        } else {
            e
        };
        e.inside_inflated()
    })
}

const INFLATE_FLAGS: u32 = inflate_flags::TINFL_FLAG_PARSE_ZLIB_HEADER
    | inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF
    | inflate_flags::TINFL_FLAG_HAS_MORE_INPUT;

/// What one run of the inflater means, `written` bytes out of the `size` declared: the stream
/// ended with exactly `size` bytes (`Some`: the input bytes used up to the stream's end), the
/// output is full before `size` bytes (`None`: give it more room), or what was wrong.
fn outcome(
    status: TINFLStatus,
    read: usize,
    written: usize,
    size: usize,
    input: &[u8],
) -> Result<Option<usize>, DecodeError> {
    let tag = Some(Tag::Compressed);
    let at = COMPRESSED_HEADER_LEN + read;
    let stream_len = input.len().saturating_sub(COMPRESSED_HEADER_LEN);
    match status {
        TINFLStatus::HasMoreOutput if written < size => Ok(None),
        TINFLStatus::Done if written == size => Ok(Some(at)),
        // The output is full and every input byte was read: miniz_oxide cannot say whether
        // more output or only more input was due, and more input could complete the stream.
        TINFLStatus::HasMoreOutput if read == stream_len => Err(DecodeError::incomplete(1, input.len(), tag)),
        TINFLStatus::Done | TINFLStatus::HasMoreOutput => {
            Err(DecodeError::new(DecodeErrorKind::InflatedSizeMismatch, at, tag))
        }
        TINFLStatus::NeedsMoreInput => Err(DecodeError::incomplete(1, input.len(), tag)),
        TINFLStatus::Adler32Mismatch => Err(DecodeError::new(DecodeErrorKind::ChecksumMismatch, at, tag)),
        _ => Err(DecodeError::new(DecodeErrorKind::BadZlibStream, at, tag)),
    }
}

/// Inflates the compressed term at the start of `input` into `out`, exactly the size it
/// declares; returns the input bytes used.
pub(crate) fn inflate(input: &[u8], out: &mut [u8], inflater: &mut Inflater) -> Result<usize, DecodeError> {
    let stream = input.get(COMPRESSED_HEADER_LEN..).unwrap_or(&[]);
    inflater.state.init();
    let (status, read, written) = decompress(&mut inflater.state, stream, out, 0, INFLATE_FLAGS);
    // `out` holds exactly the declared size, so a full output is never "give it more room".
    outcome(status, read, written, out.len(), input)?.ok_or(DecodeError::new(
        DecodeErrorKind::InflatedSizeMismatch,
        input.len(),
        Some(Tag::Compressed),
    ))
}

/// With `alloc`: sizes and inflation of compressed terms on the heap, under a limit.
#[cfg(feature = "alloc")]
mod with_alloc {
    use super::*;
    use crate::encode::{Encode, EncodeError, Encoder};
    use alloc::boxed::Box;
    use alloc::vec::Vec;
    use miniz_oxide::deflate::core::{CompressorOxide, TDEFLFlush, TDEFLStatus, compress_to_output};

    /// Inflates the compressed term at the start of `input` (declaring `size` bytes) into
    /// `out`, growing it only as the stream produces bytes: memory touched is bounded by what
    /// the stream inflates to (at most twice), never by what it declares.
    pub(crate) fn inflate_growing(
        input: &[u8],
        size: usize,
        out: &mut Vec<u8>,
        inflater: &mut Inflater,
    ) -> Result<usize, DecodeError> {
        const FIRST_CHUNK: usize = 4 << 10;
        let stream = input.get(COMPRESSED_HEADER_LEN..).unwrap_or(&[]);
        inflater.state.init();
        out.clear();
        let (mut read, mut written) = (0, 0);
        loop {
            let target = size.min(FIRST_CHUNK.max(2 * written));
            out.resize(target, 0);
            let rest = stream.get(read..).unwrap_or(&[]);
            let (status, r, w) = decompress(&mut inflater.state, rest, out, written, INFLATE_FLAGS);
            read += r;
            written += w;
            if let Some(used) = outcome(status, read, written, size, input)? {
                return Ok(used);
            }
        }
    }

    /// A zlib compression level, 0 to 9, as in `term_to_binary(T, [{compressed, Level}])`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Compression(u8);

    impl Compression {
        /// Level 0: the plain encoding, uncompressed.
        pub const NONE: Compression = Compression(0);
        /// Level 6, what `[compressed]` and erlport's `compressed=True` mean.
        pub const DEFAULT: Compression = Compression(6);
        /// Level 9.
        pub const BEST: Compression = Compression(9);

        /// A level from 0 to 9, or `None`.
        pub const fn new(level: u8) -> Option<Compression> {
            if level <= 9 { Some(Compression(level)) } else { None }
        }

        /// The level, 0 to 9.
        pub const fn level(self) -> u8 {
            self.0
        }
    }

    impl Default for Compression {
        fn default() -> Self {
            Compression::DEFAULT
        }
    }

    /// A compressor that keeps its state (about 300 KiB, on the heap) and its plain-encoding
    /// buffer between calls.
    pub struct Deflater {
        state: Box<CompressorOxide>,
        plain: Vec<u8>,
    }

    impl core::fmt::Debug for Deflater {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.write_str("Deflater")
        }
    }

    impl Default for Deflater {
        fn default() -> Self {
            Deflater::new()
        }
    }

    impl Deflater {
        /// A compressor.
        pub fn new() -> Self {
            let flags = miniz_oxide::deflate::core::create_comp_flags_from_zip_params(6, 1, 0);
            Deflater { state: Box::new(CompressorOxide::new(flags)), plain: Vec::new() }
        }

        /// Replaces `out` with the encoding of `value` (version byte included), compressed at
        /// `level` when Erlang would compress it: when the compressed form is no longer than
        /// the plain one.
        pub fn encode<T: Encode + ?Sized>(
            &mut self,
            value: &T,
            level: Compression,
            out: &mut Vec<u8>,
        ) -> Result<(), EncodeError> {
            out.clear();
            if level == Compression::NONE {
                let mut encoder = Encoder::new(&mut *out);
                encoder.version()?;
                return value.encode(&mut encoder);
            }
            self.plain.clear();
            let mut encoder = Encoder::new(&mut self.plain);
            encoder.version()?;
            value.encode(&mut encoder)?;
            let body = self.plain.get(1..).unwrap_or(&[]);
            let size = u32::try_from(body.len()).map_err(|_| EncodeError::OutOfRange)?;
            out.extend_from_slice(&wire::emit::compressed(size));
            self.state.reset();
            self.state.set_compression_level_raw(level.0);
            let limit = self.plain.len();
            let (status, _) = compress_to_output(&mut self.state, body, TDEFLFlush::Finish, |chunk| {
                // Stop once it can no longer win: the plain encoding is used then.
                out.extend_from_slice(chunk);
                out.len() <= limit
            });
            if status != TDEFLStatus::Done || out.len() > self.plain.len() {
                out.clear();
                out.extend_from_slice(&self.plain);
            }
            Ok(())
        }
    }

    /// Encodes `value` as `term_to_binary(Value, [{compressed, Level}])` would (see
    /// [`Deflater::encode`]); keep a [`Deflater`] to encode many values.
    pub fn encode_to_vec_compressed<T: Encode + ?Sized>(value: &T, level: Compression) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        Deflater::new().encode(value, level, &mut out)?;
        Ok(out)
    }
}

#[cfg(feature = "alloc")]
pub(crate) use with_alloc::inflate_growing;
#[cfg(feature = "alloc")]
pub use with_alloc::{Compression, Deflater, encode_to_vec_compressed};
