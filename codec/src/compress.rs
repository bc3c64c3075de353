//! Compressed terms (tag 80): `131, 80, UncompressedSize:u32, zlib stream`.
//!
//! Inflation writes into a scratch slice the caller supplies and needs no allocator. The
//! declared size is a hard bound, as in ERTS: the output slice is exactly that long, so a stream
//! that would produce more stops there and is refused (a zlib bomb claiming 10 bytes is refused
//! after inflating at most 10), and one that produces fewer is refused too.
//!
//! The inflater's state ([`Inflater`], about 10 KiB) lives on the stack of [`decode_in`] and
//! [`decode_prefix_in`]; programs with small stacks keep one elsewhere (a `static`, a field)
//! and use [`decode_prefix_in_with`].
//!
//! Compression (with the `alloc` feature: miniz_oxide's compressor keeps about 300 KiB of
//! state) follows `term_to_binary(T, [{compressed, Level}])`: level 0 writes the plain
//! encoding; otherwise the body after the version byte is deflated and tag 80 is used exactly
//! when the result is no longer than the plain encoding (a tie goes to compression), as ERTS
//! decides. miniz_oxide and zlib write different (equally valid) streams, so the bytes differ
//! from Erlang's; the term Erlang decodes is the same.

use crate::error::{DecodeError, DecodeErrorKind};
use crate::term::{Term, root_at};
use crate::validate::validate;
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

/// Decodes one whole term, compressed or not; a compressed one is inflated into `scratch`,
/// which must hold at least its declared size ([`compressed_size`]). Bytes after the term (after
/// the zlib stream, for a compressed term) are an error.
///
/// ```
/// // term_to_binary(lists:duplicate(20, $a), [compressed])
/// let bytes = [131, 80, 0, 0, 0, 23, 120, 156, 203, 102, 16, 73, 196, 2, 0, 90, 234, 8, 20];
/// let mut scratch = [0u8; 64];
/// let term = erlport_codec::decode_in(&bytes, &mut scratch)?;
/// assert_eq!(term.to_string(), format!("[{}]", ["97"; 20].join(",")));
/// # Ok::<(), erlport_codec::DecodeError>(())
/// ```
pub fn decode_in<'a>(input: &'a [u8], scratch: &'a mut [u8]) -> Result<Term<'a>, DecodeError> {
    let (term, used) = decode_prefix_in(input, scratch)?;
    if used < input.len() {
        return Err(DecodeError::new(DecodeErrorKind::TrailingBytes { count: input.len() - used }, used, None));
    }
    Ok(term)
}

/// [`decode_in`] that returns the bytes of `input` used instead of refusing trailing bytes, like
/// `binary_to_term(B, [used])`: for a compressed term, up to the end of its zlib stream.
pub fn decode_prefix_in<'a>(input: &'a [u8], scratch: &'a mut [u8]) -> Result<(Term<'a>, usize), DecodeError> {
    decode_prefix_in_with(input, scratch, &mut Inflater::new())
}

/// [`decode_prefix_in`] with an inflater the caller keeps (so its state need not be on the
/// stack).
pub fn decode_prefix_in_with<'a>(
    input: &'a [u8],
    scratch: &'a mut [u8],
    inflater: &mut Inflater,
) -> Result<(Term<'a>, usize), DecodeError> {
    if !wire::is_compressed(input) {
        return crate::decode_prefix(input);
    }
    let (inflated, used) = inflate(input, scratch, inflater)?;
    validated_inflated(inflated, used)
}

/// Validates an inflated term, which must fill the inflated bytes exactly.
fn validated_inflated(inflated: &[u8], used: usize) -> Result<(Term<'_>, usize), DecodeError> {
    let end = validate(inflated, 0, None).map_err(|e| {
        let e = if e.is_incomplete() {
            DecodeError::new(DecodeErrorKind::InflatedTermIncomplete, e.offset(), e.tag())
        } else {
            e
        };
        e.inside_inflated()
    })?;
    Ok((root_at(inflated.get(..end).unwrap_or(&[])), used))
}

/// Inflates the compressed term at the start of `input` into `scratch`, returning the inflated
/// bytes and the input bytes used.
fn inflate<'s>(input: &[u8], scratch: &'s mut [u8], inflater: &mut Inflater) -> Result<(&'s [u8], usize), DecodeError> {
    let tag = Some(Tag::Compressed);
    let Some(size) = compressed_size(input) else {
        return Err(DecodeError::incomplete(
            COMPRESSED_HEADER_LEN + 1 - input.len().min(COMPRESSED_HEADER_LEN),
            input.len(),
            tag,
        ));
    };
    if size == 0 {
        return Err(DecodeError::new(DecodeErrorKind::InflatedSizeMismatch, 2, tag));
    }
    let size = size as usize;
    let Some(out) = scratch.get_mut(..size) else {
        return Err(DecodeError::new(DecodeErrorKind::ScratchTooSmall { needed: size }, 2, tag));
    };
    let stream = input.get(COMPRESSED_HEADER_LEN..).unwrap_or(&[]);
    inflater.state.init();
    let flags = inflate_flags::TINFL_FLAG_PARSE_ZLIB_HEADER
        | inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF
        | inflate_flags::TINFL_FLAG_HAS_MORE_INPUT;
    let (status, read, written) = decompress(&mut inflater.state, stream, out, 0, flags);
    let at = COMPRESSED_HEADER_LEN + read;
    match status {
        TINFLStatus::Done if written == size => Ok((&out[..], at)),
        // The output is full and every input byte was read: miniz_oxide cannot say whether
        // more output or only more input was due, and more input could complete the stream.
        TINFLStatus::HasMoreOutput if read == stream.len() => Err(DecodeError::incomplete(1, input.len(), tag)),
        TINFLStatus::Done | TINFLStatus::HasMoreOutput => {
            Err(DecodeError::new(DecodeErrorKind::InflatedSizeMismatch, at, tag))
        }
        TINFLStatus::NeedsMoreInput => Err(DecodeError::incomplete(1, input.len(), tag)),
        TINFLStatus::Adler32Mismatch => Err(DecodeError::new(DecodeErrorKind::ChecksumMismatch, at, tag)),
        _ => Err(DecodeError::new(DecodeErrorKind::BadZlibStream, at, tag)),
    }
}

/// With `alloc`: sizes and inflation of compressed terms on the heap, under a limit.
#[cfg(feature = "alloc")]
mod with_alloc {
    use super::*;
    use crate::encode::{Encode, EncodeError, Encoder};
    use alloc::boxed::Box;
    use alloc::vec::Vec;
    use miniz_oxide::deflate::core::{CompressorOxide, TDEFLFlush, TDEFLStatus, compress_to_output};

    /// The default largest inflated size [`decode_in_vec`] accepts: 64 MiB.
    pub const DEFAULT_INFLATE_LIMIT: usize = 64 << 20;

    /// Decodes the term at the start of `input` (compressed or not), growing `scratch` to the
    /// declared size of a compressed term when it is at most `limit` bytes
    /// ([`DEFAULT_INFLATE_LIMIT`] is a sensible one). Returns the term and the input bytes used.
    /// `scratch` keeps its capacity, so decoding message after message allocates only when a
    /// larger one comes.
    pub fn decode_in_vec<'a>(
        input: &'a [u8],
        scratch: &'a mut Vec<u8>,
        limit: usize,
    ) -> Result<(Term<'a>, usize), DecodeError> {
        if let Some(size) = compressed_size(input) {
            let size = size as usize;
            if size > limit {
                return Err(DecodeError::new(
                    DecodeErrorKind::CompressedTooLarge { size, limit },
                    2,
                    Some(Tag::Compressed),
                ));
            }
            let used = inflate_growing(input, size, scratch, &mut Inflater::new())?;
            return validated_inflated(scratch, used);
        }
        crate::decode_prefix(input)
    }

    /// Inflates the compressed term at the start of `input` (declaring `size` bytes) into
    /// `out`, growing it only as the stream produces bytes: memory touched is bounded by what
    /// the stream inflates to (at most twice), never by what it declares.
    fn inflate_growing(
        input: &[u8],
        size: usize,
        out: &mut Vec<u8>,
        inflater: &mut Inflater,
    ) -> Result<usize, DecodeError> {
        const FIRST_CHUNK: usize = 64 << 10;
        let tag = Some(Tag::Compressed);
        if size == 0 {
            return Err(DecodeError::new(DecodeErrorKind::InflatedSizeMismatch, 2, tag));
        }
        let stream = input.get(COMPRESSED_HEADER_LEN..).unwrap_or(&[]);
        inflater.state.init();
        let flags = inflate_flags::TINFL_FLAG_PARSE_ZLIB_HEADER
            | inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF
            | inflate_flags::TINFL_FLAG_HAS_MORE_INPUT;
        out.clear();
        let (mut read, mut written) = (0, 0);
        loop {
            let target = size.min(FIRST_CHUNK.max(2 * written));
            out.resize(target, 0);
            let (status, r, w) =
                decompress(&mut inflater.state, stream.get(read..).unwrap_or(&[]), out, written, flags);
            read += r;
            written += w;
            let at = COMPRESSED_HEADER_LEN + read;
            match status {
                TINFLStatus::HasMoreOutput if written == target && target < size => continue,
                TINFLStatus::Done if written == size => {
                    out.truncate(size);
                    return Ok(at);
                }
                TINFLStatus::HasMoreOutput if read == stream.len() => {
                    return Err(DecodeError::incomplete(1, input.len(), tag));
                }
                TINFLStatus::Done | TINFLStatus::HasMoreOutput => {
                    return Err(DecodeError::new(DecodeErrorKind::InflatedSizeMismatch, at, tag));
                }
                TINFLStatus::NeedsMoreInput => return Err(DecodeError::incomplete(1, input.len(), tag)),
                TINFLStatus::Adler32Mismatch => {
                    return Err(DecodeError::new(DecodeErrorKind::ChecksumMismatch, at, tag));
                }
                _ => return Err(DecodeError::new(DecodeErrorKind::BadZlibStream, at, tag)),
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
            out.extend_from_slice(&wire::compressed_header(size));
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
pub use with_alloc::{Compression, DEFAULT_INFLATE_LIMIT, Deflater, decode_in_vec, encode_to_vec_compressed};
