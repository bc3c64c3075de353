//! [`Decoder`]: every choice decoding has, in one place.

use crate::compress::{DEFAULT_INFLATE_LIMIT, Inflater, inflate, validated_inflated};
use crate::error::{DecodeError, DecodeErrorKind};
#[cfg(feature = "index")]
use crate::index::{Builder, Index, IndexMemory};
use crate::index::{Indexer, NoIndex};
use crate::term::{Term, root_at};
use crate::validate::{validate, validate_indexed};
use crate::wire::{self, COMPRESSED_HEADER_LEN, Tag, VERSION};
#[cfg(feature = "alloc")]
use alloc::vec::Vec;

/// How to decode: where compressed terms inflate, how large they may be, the inflater's
/// state, and working memory for map keys. Built from [`Decoder::new`] with the calls you
/// need, then used once with [`decode`](Decoder::decode) (one whole term) or
/// [`decode_prefix`](Decoder::decode_prefix) (a term at the start of the input, like
/// `binary_to_term(B, [used])`). It only borrows what it is given, so building one for every
/// message costs nothing; the term it returns borrows the input and the scratch buffer.
///
/// [`decode`](crate::decode) and [`decode_prefix`](crate::decode_prefix) are
/// `Decoder::new().decode(..)` and `Decoder::new().decode_prefix(..)`: without a scratch
/// buffer, compressed terms are refused with [`DecodeErrorKind::NeedsScratch`].
///
/// ```
/// use erlport_codec::{Decoder, Inflater};
///
/// // term_to_binary(lists:duplicate(20, $a), [compressed])
/// let bytes = [131, 80, 0, 0, 0, 23, 120, 156, 203, 102, 16, 73, 196, 2, 0, 90, 234, 8, 20];
/// let mut scratch = [0u8; 64];
/// let mut inflater = Inflater::new(); // about 10 KiB: keep it off small stacks
/// let term = Decoder::new().scratch(&mut scratch).inflater(&mut inflater).decode(&bytes)?;
/// assert_eq!(term.to_string(), format!("[{}]", ["97"; 20].join(",")));
/// # Ok::<(), erlport_codec::DecodeError>(())
/// ```
///
/// With `alloc`, a `Vec` can be the scratch buffer; it grows as the stream inflates (never to
/// a size only declared) up to the [`inflate_limit`](Decoder::inflate_limit), and keeps its
/// capacity for the next message:
///
/// ```
/// # #[cfg(feature = "alloc")] {
/// use erlport_codec::Decoder;
///
/// let bytes = [131, 80, 0, 0, 0, 23, 120, 156, 203, 102, 16, 73, 196, 2, 0, 90, 234, 8, 20];
/// let mut scratch = Vec::new();
/// let (term, used) = Decoder::new().scratch_vec(&mut scratch).inflate_limit(1 << 20).decode_prefix(&bytes)?;
/// assert_eq!((term.to_string().len(), used), (61, bytes.len()));
/// # }
/// # Ok::<(), erlport_codec::DecodeError>(())
/// ```
#[derive(Debug)]
pub struct Decoder<'b> {
    scratch: Scratch<'b>,
    inflater: Option<&'b mut Inflater>,
    inflate_limit: usize,
    key_buffer: Option<&'b mut [u32]>,
}

#[derive(Debug)]
enum Scratch<'b> {
    None,
    Slice(&'b mut [u8]),
    #[cfg(feature = "alloc")]
    Vec(&'b mut Vec<u8>),
}

impl Default for Decoder<'_> {
    fn default() -> Self {
        Decoder::new()
    }
}

impl<'b> Decoder<'b> {
    /// A decoder with no scratch buffer (compressed terms are refused), its own inflater on the
    /// stack when one is needed, an inflate limit of [`DEFAULT_INFLATE_LIMIT`] (64 MiB), and
    /// the inline key memory (plus the heap, with `alloc`).
    pub const fn new() -> Self {
        Decoder { scratch: Scratch::None, inflater: None, inflate_limit: DEFAULT_INFLATE_LIMIT, key_buffer: None }
    }

    /// Compressed terms inflate into `scratch`, which must hold the size they declare
    /// ([`compressed_size`](crate::compressed_size)); a larger one is refused with
    /// [`DecodeErrorKind::ScratchTooSmall`].
    pub fn scratch(self, scratch: &'b mut [u8]) -> Self {
        Decoder { scratch: Scratch::Slice(scratch), ..self }
    }

    /// Compressed terms inflate into `scratch`, grown as the stream produces bytes (memory
    /// touched is bounded by what the stream inflates to, not by what it declares) and never
    /// beyond the [`inflate_limit`](Decoder::inflate_limit). It keeps its capacity, so decoding
    /// message after message allocates only when a larger one comes.
    #[cfg(feature = "alloc")]
    pub fn scratch_vec(self, scratch: &'b mut Vec<u8>) -> Self {
        Decoder { scratch: Scratch::Vec(scratch), ..self }
    }

    /// The inflater's state (about 10 KiB) is kept by the caller instead of living on the
    /// stack while a term inflates.
    pub fn inflater(self, inflater: &'b mut Inflater) -> Self {
        Decoder { inflater: Some(inflater), ..self }
    }

    /// Compressed terms that declare more than `limit` inflated bytes are refused with
    /// [`DecodeErrorKind::CompressedTooLarge`] before anything is inflated.
    pub fn inflate_limit(self, limit: usize) -> Self {
        Decoder { inflate_limit: limit, ..self }
    }

    /// Working memory for checking the keys of maps not written in key order (how Erlang
    /// writes maps of more than 32 keys), instead of the inline words (256 without `alloc`,
    /// sized for a 2 KiB stack; 1024 with it, then the heap): a
    /// word a key of the maps open at once is needed, or the map is refused with
    /// [`DecodeErrorKind::KeyBufferTooSmall`]; with room for 4 to 6 words a key of the largest
    /// such map, its keys are checked through a hash table (expected linear time) instead of
    /// by sorting (O(n log n)). This is how a program without an allocator decodes maps as
    /// large as it has memory for.
    pub fn key_buffer(self, words: &'b mut [u32]) -> Self {
        Decoder { key_buffer: Some(words), ..self }
    }

    /// Decodes one whole term (compressed or not): bytes after it (after the zlib stream, for a
    /// compressed term) are [`DecodeErrorKind::TrailingBytes`].
    pub fn decode(self, input: &'b [u8]) -> Result<Term<'b>, DecodeError> {
        whole(self.decode_prefix(input)?, input.len())
    }

    /// Decodes the term at the start of `input` and returns it with the number of bytes it
    /// used (the version byte included; for a compressed term, up to the end of its zlib
    /// stream), like `binary_to_term(B, [used])`.
    pub fn decode_prefix(self, input: &'b [u8]) -> Result<(Term<'b>, usize), DecodeError> {
        let (valid, used) = self.validated(input, NoIndex)?;
        Ok((root_at(valid.term()), used))
    }

    /// Decodes one whole term (compressed or not), as [`decode`](Decoder::decode) does, and
    /// indexes it into `memory`: the [`Index`] it returns hands out views that reach any
    /// element of a tuple or list in O(1) and a key of a map written in key order in
    /// O(log n), and that step over a container in O(1), so that recursion over them reads
    /// each byte a constant number of times. Decoding costs a little more (a word written
    /// for each term); without it, the views step over what they skip.
    ///
    /// `memory` is a `&mut [u32]` (the input is refused with
    /// [`DecodeErrorKind::IndexTooSmall`] when the index does not fit) or, with `alloc`, a
    /// `&mut Vec<u32>`, grown as needed; see [`IndexMemory`] for the sizes.
    ///
    /// ```
    /// use erlport_codec::{Decoder, Term};
    ///
    /// // term_to_binary({a, [1, 2], b})
    /// let bytes = [131, 104, 3, 119, 1, b'a', 108, 0, 0, 0, 2, 97, 1, 97, 2, 106, 119, 1, b'b'];
    /// let mut words = [0u32; 32];
    /// let index = Decoder::new().decode_indexed(&bytes, &mut words)?;
    /// let tuple = index.term().as_tuple().unwrap();
    /// assert!(tuple.get(2).unwrap().is_atom("b")); // no stepping over the list
    /// # Ok::<(), erlport_codec::DecodeError>(())
    /// ```
    #[cfg(feature = "index")]
    pub fn decode_indexed(self, input: &'b [u8], memory: impl Into<IndexMemory<'b>>) -> Result<Index<'b>, DecodeError> {
        let mut builder = Builder::new(memory.into());
        let (valid, used) = self.validated(input, &mut builder)?;
        if used < input.len() {
            return Err(DecodeError::new(DecodeErrorKind::TrailingBytes { count: input.len() - used }, used, None));
        }
        Ok(Index { bytes: valid.buf, tape: builder.into_tape() })
    }

    /// Validates the term at the start of `input` (inflating it first when compressed),
    /// telling `ix` of every term.
    fn validated<I: Indexer>(self, input: &'b [u8], ix: I) -> Result<(Valid<'b>, usize), DecodeError> {
        match input {
            [] => Err(DecodeError::incomplete(2, 0, None)),
            [version, ..] if *version != VERSION => {
                Err(DecodeError::new(DecodeErrorKind::BadVersion { found: *version }, 0, None))
            }
            _ if wire::is_compressed(input) && !matches!(self.scratch, Scratch::None) => self.inflated(input, ix),
            _ => validated_plain(input, self.key_buffer, ix),
        }
    }

    /// A compressed term: checks the declared size against the limit and the scratch, then
    /// inflates and validates. Never inlined: an inflater of its own (10 KiB) is on the stack
    /// only while a compressed term is decoded.
    #[inline(never)]
    fn inflated<I: Indexer>(self, input: &'b [u8], ix: I) -> Result<(Valid<'b>, usize), DecodeError> {
        let tag = Some(Tag::Compressed);
        let Some(declared) = wire::compressed_size(input) else {
            let needed = COMPRESSED_HEADER_LEN + 1 - input.len().min(COMPRESSED_HEADER_LEN);
            return Err(DecodeError::incomplete(needed, input.len(), tag));
        };
        let size = declared as usize;
        if size == 0 {
            return Err(DecodeError::new(DecodeErrorKind::InflatedSizeMismatch, 2, tag));
        }
        let too_large = DecodeErrorKind::CompressedTooLarge { size, limit: self.inflate_limit };
        if size > self.inflate_limit && !matches!(&self.scratch, Scratch::Slice(scratch) if scratch.len() < size) {
            return Err(DecodeError::new(too_large, 2, tag));
        }
        match self.inflater {
            Some(inflater) => inflate_into(input, size, self.scratch, inflater, self.key_buffer, ix),
            None => inflate_with_own(input, size, self.scratch, self.key_buffer, ix),
        }
    }
}

/// A validated term: the bytes validation ran over (the input, or what it inflated to), and
/// where the term starts and ends in them.
struct Valid<'b> {
    #[cfg_attr(not(feature = "index"), allow(dead_code))]
    buf: &'b [u8],
    start: usize,
    end: usize,
}

impl<'b> Valid<'b> {
    fn term(&self) -> &'b [u8] {
        self.buf.get(self.start..self.end).unwrap_or(&[])
    }
}

/// The term, when it used all `len` bytes of the input; else where the rest starts.
pub(crate) fn whole(decoded: (Term<'_>, usize), len: usize) -> Result<Term<'_>, DecodeError> {
    let (term, used) = decoded;
    if used < len {
        return Err(DecodeError::new(DecodeErrorKind::TrailingBytes { count: len - used }, used, None));
    }
    Ok(term)
}

/// Decodes a term that is not compressed (a compressed one needs a scratch buffer: that is the
/// error). Used by [`decode`](crate::decode) and [`decode_prefix`](crate::decode_prefix), so
/// a program that never inflates does not carry the inflater's code.
pub(crate) fn decode_prefix_plain<'b>(
    input: &'b [u8],
    key_buffer: Option<&'b mut [u32]>,
) -> Result<(Term<'b>, usize), DecodeError> {
    match input {
        [] => Err(DecodeError::incomplete(2, 0, None)),
        [version, ..] if *version != VERSION => {
            Err(DecodeError::new(DecodeErrorKind::BadVersion { found: *version }, 0, None))
        }
        _ => {
            let (valid, used) = validated_plain(input, key_buffer, NoIndex)?;
            Ok((root_at(valid.term()), used))
        }
    }
}

/// Validates a term that is not compressed (a compressed one needs a scratch buffer: that is
/// the error); `input` starts with the version byte.
fn validated_plain<'b, I: Indexer>(
    input: &'b [u8],
    key_buffer: Option<&'b mut [u32]>,
    ix: I,
) -> Result<(Valid<'b>, usize), DecodeError> {
    if wire::is_compressed(input) {
        let tag = Some(Tag::Compressed);
        return match wire::compressed_size(input) {
            Some(size) => Err(DecodeError::new(DecodeErrorKind::NeedsScratch { size }, 1, tag)),
            None => {
                let needed = COMPRESSED_HEADER_LEN + 1 - input.len().min(COMPRESSED_HEADER_LEN);
                Err(DecodeError::incomplete(needed, input.len(), tag))
            }
        };
    }
    // Without an index, the one `validate` every plain decode shares (on bare metal a second
    // copy of the pass would cost its 2 KB again).
    let end = if I::ACTIVE { validate_indexed(input, 1, key_buffer, ix)? } else { validate(input, 1, key_buffer)? };
    Ok((Valid { buf: input, start: 1, end }, end))
}

/// Inflates with an inflater of its own, on the stack only for this call (about 10 KiB).
#[inline(never)]
fn inflate_with_own<'b, I: Indexer>(
    input: &'b [u8],
    size: usize,
    scratch: Scratch<'b>,
    key_buffer: Option<&'b mut [u32]>,
    ix: I,
) -> Result<(Valid<'b>, usize), DecodeError> {
    let mut inflater = Inflater::new();
    inflate_into(input, size, scratch, &mut inflater, key_buffer, ix)
}

/// Inflates into the scratch and validates what came out.
fn inflate_into<'b, I: Indexer>(
    input: &'b [u8],
    size: usize,
    scratch: Scratch<'b>,
    inflater: &mut Inflater,
    key_buffer: Option<&'b mut [u32]>,
    ix: I,
) -> Result<(Valid<'b>, usize), DecodeError> {
    let tag = Some(Tag::Compressed);
    let (inflated, used): (&'b [u8], usize) = match scratch {
        Scratch::None => return Err(DecodeError::new(DecodeErrorKind::NeedsScratch { size: size as u32 }, 1, tag)),
        Scratch::Slice(scratch) => {
            let Some(out) = scratch.get_mut(..size) else {
                return Err(DecodeError::new(DecodeErrorKind::ScratchTooSmall { needed: size }, 2, tag));
            };
            let used = inflate(input, out, inflater)?;
            (out, used)
        }
        #[cfg(feature = "alloc")]
        Scratch::Vec(scratch) => {
            let used = crate::compress::inflate_growing(input, size, scratch, inflater)?;
            (scratch.as_slice(), used)
        }
    };
    let end = validated_inflated(inflated, key_buffer, ix)?;
    Ok((Valid { buf: inflated, start: 0, end }, used))
}
