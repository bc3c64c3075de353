//! Decoding errors: what was wrong, and where.

use crate::tag::Tag;
use core::fmt;

/// Why an input could not be decoded, with the byte offset where it was found.
///
/// Three outcomes are possible when decoding: a term, "incomplete" (the bytes so far are a valid
/// beginning of a term, more are needed: [`DecodeError::is_incomplete`], the equivalent of
/// erlport's `IncompleteData`), or "invalid" (no bytes appended could make it a term Erlang
/// accepts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeError {
    kind: DecodeErrorKind,
    offset: usize,
    tag: Option<Tag>,
    inflated: bool,
}

/// What was wrong with an input. See [`DecodeError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The input ends inside a term; at least `needed` more bytes are required.
    Incomplete {
        /// A lower bound on the number of bytes still missing.
        needed: usize,
    },
    /// The first byte is not the version byte 131.
    BadVersion {
        /// The byte found instead.
        found: u8,
    },
    /// A byte in tag position that is not a tag Erlang's `binary_to_term` accepts.
    UnknownTag,
    /// A tag Erlang knows but `binary_to_term` refuses, or that has meaning only inside one VM
    /// (`FUN_EXT`, `LOCAL_EXT`, the distribution header, atom cache and atom-index tags).
    UnsupportedTag,
    /// Bytes follow the term (only [`decode`](crate::decode) reports this;
    /// [`decode_prefix`](crate::decode_prefix) returns how many bytes the term used).
    TrailingBytes {
        /// How many bytes follow the term.
        count: usize,
    },
    /// An atom longer than Erlang allows: more than 255 characters, a latin-1 length above 255
    /// or a UTF-8 length above 1020 bytes.
    AtomTooLong,
    /// A UTF-8 atom whose bytes are not valid UTF-8 (overlong forms, surrogates, code points
    /// above U+10FFFF and cut sequences are refused, as Erlang does).
    InvalidUtf8,
    /// A float that is infinite or NaN: Erlang has no such value.
    NonFiniteFloat,
    /// `FLOAT_EXT` text that is not `[+-]digits[.,]digits[(e|E)[+-]digits]` followed by a NUL
    /// within its 31 bytes, or that overflows a double.
    BadFloatText,
    /// A `BIT_BINARY_EXT` whose bit count is above 8, zero for a non-empty binary, or non-zero
    /// for an empty one.
    BadBitCount {
        /// The bit count found.
        bits: u8,
    },
    /// A `LARGE_BIG_EXT` of more than 4,194,296 bytes, Erlang's largest integer.
    BigTooLarge,
    /// A map with 2^31 or more pairs.
    MapTooLarge,
    /// A map key equal (`=:=`) to an earlier key of the same map.
    DuplicateMapKey {
        /// The offset of the other key equal to the one at [`DecodeError::offset`].
        other: usize,
    },
    /// A pid, port or reference whose node is not an atom, or a fun whose module is not one.
    ExpectedAtom,
    /// A one-byte creation above 3 in `PID_EXT`, `PORT_EXT`, `REFERENCE_EXT` or
    /// `NEW_REFERENCE_EXT`.
    CreationTooLarge,
    /// A reference with no identifier words or more than 5.
    BadReferenceLength {
        /// The number of words found.
        len: u16,
    },
    /// The first identifier word of an old-style reference (`REFERENCE_EXT`,
    /// `NEW_REFERENCE_EXT`) is 2^18 or above.
    ReferenceIdTooLarge,
    /// An `EXPORT_EXT` arity, or a `NEW_FUN_EXT` old index or old uniq, that is not an integer
    /// Erlang can hold in a small integer (for the arity: a non-negative one).
    ExpectedSmallInteger,
    /// A `NEW_FUN_EXT` with more than 255 free variables.
    TooManyFreeVariables,
    /// A compressed term (tag 80) given to a decoder without a scratch buffer (such as
    /// [`decode`](crate::decode)): inflating it needs `size` bytes, given with
    /// [`Decoder::scratch`](crate::Decoder::scratch).
    NeedsScratch {
        /// The uncompressed size the term declares.
        size: u32,
    },
    /// The scratch buffer is smaller than the size the compressed term declares.
    ScratchTooSmall {
        /// The declared size, the scratch needed.
        needed: usize,
    },
    /// The compressed term declares an inflated size above the caller's limit.
    CompressedTooLarge {
        /// The declared size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The zlib stream inflates to more or fewer bytes than declared (or 0 were declared).
    InflatedSizeMismatch,
    /// Not a zlib stream (raw deflate and gzip are refused, as in ERTS), or a corrupt one.
    BadZlibStream,
    /// The zlib stream's Adler-32 checksum does not match what it inflates to.
    ChecksumMismatch,
    /// The inflated bytes end before the term does.
    InflatedTermIncomplete,
    /// Checking the input needs more working memory than this build has without the `alloc`
    /// feature (a map of many keys not in term order, or keys nested very deep). Enable `alloc`,
    /// or give a [`Decoder::key_buffer`](crate::Decoder::key_buffer).
    NeedsAlloc,
    /// The keys of a map not written in key order do not fit the buffer given with
    /// [`Decoder::key_buffer`](crate::Decoder::key_buffer).
    KeyBufferTooSmall,
    /// The index does not fit the words given to `Decoder::decode_indexed` (feature `index`),
    /// or the term is 2 GiB or more, beyond what an index can hold.
    IndexTooSmall,
    /// Map keys that hold maps of two or more pairs nested more than 4 levels deep inside
    /// other maps: comparing them (to find duplicate keys) is not done that deep, so they are
    /// refused (ERTS accepts them; only hand-made input has them).
    MapKeysTooDeep,
}

/// The four kinds of failure, for code that reacts to them differently (a port answers the
/// first two as a bad request, and may treat the last as its own limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ErrorClass {
    /// More bytes could complete the term.
    Incomplete,
    /// Not a term `binary_to_term` accepts: a format violation (bad tag, bad value, trailing
    /// bytes, a duplicate map key...).
    Invalid,
    /// A compressed term whose zlib stream is corrupt, fails its checksum, or inflates to a size
    /// other than declared (`binary_to_term` refuses these too).
    Inflate,
    /// The input may well be valid, but this decoder was not given what it needs: a scratch
    /// buffer, enough of one, more working memory, or a higher inflate limit.
    Configuration,
}

impl DecodeErrorKind {
    /// Which kind of failure this is.
    pub const fn class(&self) -> ErrorClass {
        match self {
            DecodeErrorKind::Incomplete { .. } => ErrorClass::Incomplete,
            DecodeErrorKind::InflatedSizeMismatch
            | DecodeErrorKind::BadZlibStream
            | DecodeErrorKind::ChecksumMismatch
            | DecodeErrorKind::InflatedTermIncomplete => ErrorClass::Inflate,
            DecodeErrorKind::NeedsScratch { .. }
            | DecodeErrorKind::ScratchTooSmall { .. }
            | DecodeErrorKind::CompressedTooLarge { .. }
            | DecodeErrorKind::NeedsAlloc
            | DecodeErrorKind::KeyBufferTooSmall
            | DecodeErrorKind::IndexTooSmall
            | DecodeErrorKind::MapKeysTooDeep => ErrorClass::Configuration,
            _ => ErrorClass::Invalid,
        }
    }
}

impl DecodeError {
    pub(crate) const fn new(kind: DecodeErrorKind, offset: usize, tag: Option<Tag>) -> Self {
        DecodeError { kind, offset, tag, inflated: false }
    }

    pub(crate) const fn inside_inflated(self) -> Self {
        DecodeError { inflated: true, ..self }
    }

    /// Whether [`offset`](DecodeError::offset) counts from the start of the inflated bytes of a
    /// compressed term rather than from the start of the input.
    pub const fn is_in_inflated_term(&self) -> bool {
        self.inflated
    }

    pub(crate) const fn incomplete(needed: usize, offset: usize, tag: Option<Tag>) -> Self {
        DecodeError::new(DecodeErrorKind::Incomplete { needed }, offset, tag)
    }

    /// What was wrong.
    pub const fn kind(&self) -> DecodeErrorKind {
        self.kind
    }

    /// Which kind of failure this is: incomplete, invalid, a bad compressed stream, or a
    /// decoder not configured for the input.
    pub const fn class(&self) -> ErrorClass {
        self.kind.class()
    }

    /// The byte offset in the input where the problem was found (for an incomplete input: where
    /// the term that runs past the end begins its missing part).
    pub const fn offset(&self) -> usize {
        self.offset
    }

    /// The tag of the term being read when the problem was found, if one was.
    pub const fn tag(&self) -> Option<Tag> {
        self.tag
    }

    /// Whether the input is a valid beginning of a term that more bytes could complete
    /// (erlport's `IncompleteData`).
    pub const fn is_incomplete(&self) -> bool {
        matches!(self.kind, DecodeErrorKind::Incomplete { .. })
    }

    /// For an incomplete input, a lower bound on the number of bytes still missing.
    pub const fn needed(&self) -> Option<usize> {
        match self.kind {
            DecodeErrorKind::Incomplete { needed } => Some(needed),
            _ => None,
        }
    }
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DecodeErrorKind::Incomplete { needed } => {
                write!(f, "incomplete: need at least {needed} more bytes")
            }
            DecodeErrorKind::BadVersion { found } => {
                write!(f, "version byte is {found}, not 131")
            }
            DecodeErrorKind::UnknownTag => f.write_str("not a tag of the external term format"),
            DecodeErrorKind::UnsupportedTag => {
                f.write_str("tag is refused by binary_to_term or has meaning only inside one VM")
            }
            DecodeErrorKind::TrailingBytes { count } => {
                write!(f, "{count} bytes follow the term")
            }
            DecodeErrorKind::AtomTooLong => f.write_str("atom longer than 255 characters (or 1020 UTF-8 bytes)"),
            DecodeErrorKind::InvalidUtf8 => f.write_str("atom text is not valid UTF-8"),
            DecodeErrorKind::NonFiniteFloat => f.write_str("float is infinite or NaN"),
            DecodeErrorKind::BadFloatText => {
                f.write_str("float text is not [+-]digits.digits[e[+-]digits] ended by a NUL")
            }
            DecodeErrorKind::BadBitCount { bits } => {
                write!(f, "bit count {bits} does not fit the byte length")
            }
            DecodeErrorKind::BigTooLarge => f.write_str("integer magnitude longer than 4,194,296 bytes"),
            DecodeErrorKind::MapTooLarge => f.write_str("map of 2^31 or more pairs"),
            DecodeErrorKind::DuplicateMapKey { other } => {
                write!(f, "map key equal to the key at byte {other}")
            }
            DecodeErrorKind::ExpectedAtom => f.write_str("node or module is not an atom"),
            DecodeErrorKind::CreationTooLarge => f.write_str("one-byte creation above 3"),
            DecodeErrorKind::BadReferenceLength { len } => {
                write!(f, "reference of {len} words (1 to 5 allowed)")
            }
            DecodeErrorKind::ReferenceIdTooLarge => f.write_str("first reference word is 2^18 or above"),
            DecodeErrorKind::ExpectedSmallInteger => {
                f.write_str("expected a small integer (a non-negative one for an arity)")
            }
            DecodeErrorKind::TooManyFreeVariables => f.write_str("more than 255 free variables"),
            DecodeErrorKind::NeedsScratch { size } => {
                write!(f, "compressed: needs a scratch buffer of {size} bytes (Decoder::scratch)")
            }
            DecodeErrorKind::ScratchTooSmall { needed } => {
                write!(f, "compressed: the scratch buffer is smaller than the {needed} bytes declared")
            }
            DecodeErrorKind::CompressedTooLarge { size, limit } => {
                write!(f, "compressed: declares {size} bytes, above the limit of {limit}")
            }
            DecodeErrorKind::InflatedSizeMismatch => {
                f.write_str("compressed: inflates to a size other than the one declared")
            }
            DecodeErrorKind::BadZlibStream => f.write_str("compressed: not a valid zlib stream"),
            DecodeErrorKind::ChecksumMismatch => f.write_str("compressed: zlib checksum does not match"),
            DecodeErrorKind::InflatedTermIncomplete => {
                f.write_str("compressed: the inflated bytes end inside the term")
            }
            DecodeErrorKind::NeedsAlloc => {
                f.write_str("checking map keys here needs more memory than a build without `alloc` has")
            }
            DecodeErrorKind::KeyBufferTooSmall => f.write_str("map keys do not fit the key buffer given"),
            DecodeErrorKind::IndexTooSmall => f.write_str("the index does not fit the words given"),
            DecodeErrorKind::MapKeysTooDeep => f.write_str("map keys hold maps nested more than 4 deep"),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let within = if self.inflated { " of the inflated term" } else { "" };
        match self.tag {
            Some(tag) => write!(f, "{} at byte {}{}: {}", tag, self.offset, within, self.kind),
            None => write!(f, "at byte {}{}: {}", self.offset, within, self.kind),
        }
    }
}

impl core::error::Error for DecodeError {}

#[cfg(feature = "defmt")]
impl defmt::Format for DecodeErrorKind {
    fn format(&self, f: defmt::Formatter<'_>) {
        match *self {
            DecodeErrorKind::Incomplete { needed } => {
                defmt::write!(f, "incomplete: need at least {=usize} more bytes", needed)
            }
            DecodeErrorKind::BadVersion { found } => defmt::write!(f, "version byte {=u8}", found),
            DecodeErrorKind::UnknownTag => defmt::write!(f, "unknown tag"),
            DecodeErrorKind::UnsupportedTag => defmt::write!(f, "unsupported tag"),
            DecodeErrorKind::TrailingBytes { count } => {
                defmt::write!(f, "{=usize} trailing bytes", count)
            }
            DecodeErrorKind::AtomTooLong => defmt::write!(f, "atom too long"),
            DecodeErrorKind::InvalidUtf8 => defmt::write!(f, "invalid UTF-8"),
            DecodeErrorKind::NonFiniteFloat => defmt::write!(f, "non-finite float"),
            DecodeErrorKind::BadFloatText => defmt::write!(f, "bad float text"),
            DecodeErrorKind::BadBitCount { bits } => defmt::write!(f, "bad bit count {=u8}", bits),
            DecodeErrorKind::BigTooLarge => defmt::write!(f, "integer too large"),
            DecodeErrorKind::MapTooLarge => defmt::write!(f, "map too large"),
            DecodeErrorKind::DuplicateMapKey { other } => {
                defmt::write!(f, "duplicate map key (other at {=usize})", other)
            }
            DecodeErrorKind::ExpectedAtom => defmt::write!(f, "expected an atom"),
            DecodeErrorKind::CreationTooLarge => defmt::write!(f, "creation above 3"),
            DecodeErrorKind::BadReferenceLength { len } => {
                defmt::write!(f, "reference of {=u16} words", len)
            }
            DecodeErrorKind::ReferenceIdTooLarge => defmt::write!(f, "reference id too large"),
            DecodeErrorKind::ExpectedSmallInteger => defmt::write!(f, "expected a small integer"),
            DecodeErrorKind::TooManyFreeVariables => defmt::write!(f, "too many free variables"),
            DecodeErrorKind::NeedsScratch { size } => {
                defmt::write!(f, "compressed: needs {=u32} bytes of scratch", size)
            }
            DecodeErrorKind::ScratchTooSmall { needed } => {
                defmt::write!(f, "scratch smaller than {=usize} bytes", needed)
            }
            DecodeErrorKind::CompressedTooLarge { size, limit } => {
                defmt::write!(f, "compressed size {=usize} above limit {=usize}", size, limit)
            }
            DecodeErrorKind::InflatedSizeMismatch => defmt::write!(f, "inflated size mismatch"),
            DecodeErrorKind::BadZlibStream => defmt::write!(f, "bad zlib stream"),
            DecodeErrorKind::ChecksumMismatch => defmt::write!(f, "zlib checksum mismatch"),
            DecodeErrorKind::InflatedTermIncomplete => defmt::write!(f, "inflated term incomplete"),
            DecodeErrorKind::NeedsAlloc => defmt::write!(f, "needs the alloc feature"),
            DecodeErrorKind::KeyBufferTooSmall => defmt::write!(f, "key buffer too small"),
            DecodeErrorKind::IndexTooSmall => defmt::write!(f, "index too small"),
            DecodeErrorKind::MapKeysTooDeep => defmt::write!(f, "map keys nested too deep"),
        }
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for DecodeError {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{} at byte {=usize}: {}", self.tag, self.offset, self.kind)
    }
}
