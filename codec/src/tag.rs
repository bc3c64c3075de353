//! The format's vocabulary, at the bottom of the crate: every tag byte as a constant (usable in
//! patterns) and the public [`Tag`] enum naming them. What follows each tag (its layout) is
//! known to `wire` alone; errors name tags, so this sits below both.

/// The version byte every external term starts with (`131`).
pub const VERSION: u8 = 131;

pub(crate) const NEW_FLOAT_EXT: u8 = 70;
pub(crate) const BIT_BINARY_EXT: u8 = 77;
pub(crate) const COMPRESSED: u8 = 80;
pub(crate) const DIST_HEADER: u8 = 68;
pub(crate) const ATOM_INTERNAL_REF2: u8 = 73;
pub(crate) const ATOM_INTERNAL_REF3: u8 = 75;
pub(crate) const ATOM_CACHE_REF: u8 = 82;
pub(crate) const NEW_PID_EXT: u8 = 88;
pub(crate) const NEW_PORT_EXT: u8 = 89;
pub(crate) const NEWER_REFERENCE_EXT: u8 = 90;
pub(crate) const SMALL_INTEGER_EXT: u8 = 97;
pub(crate) const INTEGER_EXT: u8 = 98;
pub(crate) const FLOAT_EXT: u8 = 99;
pub(crate) const ATOM_EXT: u8 = 100;
pub(crate) const REFERENCE_EXT: u8 = 101;
pub(crate) const PORT_EXT: u8 = 102;
pub(crate) const PID_EXT: u8 = 103;
pub(crate) const SMALL_TUPLE_EXT: u8 = 104;
pub(crate) const LARGE_TUPLE_EXT: u8 = 105;
pub(crate) const NIL_EXT: u8 = 106;
pub(crate) const STRING_EXT: u8 = 107;
pub(crate) const LIST_EXT: u8 = 108;
pub(crate) const BINARY_EXT: u8 = 109;
pub(crate) const SMALL_BIG_EXT: u8 = 110;
pub(crate) const LARGE_BIG_EXT: u8 = 111;
pub(crate) const NEW_FUN_EXT: u8 = 112;
pub(crate) const EXPORT_EXT: u8 = 113;
pub(crate) const NEW_REFERENCE_EXT: u8 = 114;
pub(crate) const SMALL_ATOM_EXT: u8 = 115;
pub(crate) const MAP_EXT: u8 = 116;
pub(crate) const FUN_EXT: u8 = 117;
pub(crate) const ATOM_UTF8_EXT: u8 = 118;
pub(crate) const SMALL_ATOM_UTF8_EXT: u8 = 119;
pub(crate) const V4_PORT_EXT: u8 = 120;
pub(crate) const LOCAL_EXT: u8 = 121;

macro_rules! tags {
    ($($(#[$doc:meta])* $name:ident = $value:path => $text:literal,)*) => {
        /// A tag byte of the External Term Format.
        ///
        /// Every byte value maps to a `Tag`: the ones this crate knows by name, and
        /// [`Tag::Unknown`] for the rest, so matching on a tag never needs a fallible step.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Tag {
            $($(#[$doc])* $name,)*
            /// A byte that is not a tag of the format.
            Unknown(u8),
        }

        impl Tag {
            /// The tag for a byte (a table lookup).
            #[cfg_attr(not(target_os = "none"), inline(always))]
            pub const fn from_byte(byte: u8) -> Tag {
                TAGS[byte as usize]
            }

            const fn from_byte_slow(byte: u8) -> Tag {
                match byte {
                    $($value => Tag::$name,)*
                    other => Tag::Unknown(other),
                }
            }

            /// The byte of this tag.
            #[cfg_attr(not(target_os = "none"), inline(always))]
            pub const fn byte(self) -> u8 {
                match self {
                    $(Tag::$name => $value,)*
                    Tag::Unknown(other) => other,
                }
            }

            /// The name Erlang's documentation gives this tag (`"SMALL_TUPLE_EXT"`), or
            /// `"unknown tag"`.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Tag::$name => $text,)*
                    Tag::Unknown(_) => "unknown tag",
                }
            }
        }
    };
}

tags! {
    /// `70`: an IEEE 754 double, big-endian.
    NewFloat = NEW_FLOAT_EXT => "NEW_FLOAT_EXT",
    /// `77`: a bitstring whose last byte is only partly used.
    BitBinary = BIT_BINARY_EXT => "BIT_BINARY_EXT",
    /// `80`: a zlib-compressed term; only directly after the version byte.
    Compressed = COMPRESSED => "COMPRESSED",
    /// `68`: the distribution header; only on distribution connections.
    DistHeader = DIST_HEADER => "DIST_HEADER",
    /// `73`: an atom by its index in one VM's atom table (ETS-internal).
    AtomInternalRef2 = ATOM_INTERNAL_REF2 => "ATOM_INTERNAL_REF2",
    /// `75`: an atom by its index in one VM's atom table (ETS-internal).
    AtomInternalRef3 = ATOM_INTERNAL_REF3 => "ATOM_INTERNAL_REF3",
    /// `82`: an atom cache reference; only on distribution connections.
    AtomCacheRef = ATOM_CACHE_REF => "ATOM_CACHE_REF",
    /// `88`: a process identifier with a 32-bit creation.
    NewPid = NEW_PID_EXT => "NEW_PID_EXT",
    /// `89`: a port identifier with a 32-bit creation.
    NewPort = NEW_PORT_EXT => "NEW_PORT_EXT",
    /// `90`: a reference with a 32-bit creation.
    NewerReference = NEWER_REFERENCE_EXT => "NEWER_REFERENCE_EXT",
    /// `97`: an integer 0..=255.
    SmallInteger = SMALL_INTEGER_EXT => "SMALL_INTEGER_EXT",
    /// `98`: a signed 32-bit integer.
    Integer = INTEGER_EXT => "INTEGER_EXT",
    /// `99`: a float as text (`%.20e`), the old format.
    Float = FLOAT_EXT => "FLOAT_EXT",
    /// `100`: a latin-1 atom with a 16-bit length.
    Atom = ATOM_EXT => "ATOM_EXT",
    /// `101`: the oldest reference format.
    Reference = REFERENCE_EXT => "REFERENCE_EXT",
    /// `102`: a port identifier with an 8-bit creation.
    Port = PORT_EXT => "PORT_EXT",
    /// `103`: a process identifier with an 8-bit creation.
    Pid = PID_EXT => "PID_EXT",
    /// `104`: a tuple of up to 255 elements.
    SmallTuple = SMALL_TUPLE_EXT => "SMALL_TUPLE_EXT",
    /// `105`: a tuple with a 32-bit arity.
    LargeTuple = LARGE_TUPLE_EXT => "LARGE_TUPLE_EXT",
    /// `106`: the empty list `[]`.
    Nil = NIL_EXT => "NIL_EXT",
    /// `107`: a list of integers 0..=255 written as bytes.
    String = STRING_EXT => "STRING_EXT",
    /// `108`: a list: elements, then its tail.
    List = LIST_EXT => "LIST_EXT",
    /// `109`: a binary.
    Binary = BINARY_EXT => "BINARY_EXT",
    /// `110`: an integer with up to 255 bytes of magnitude.
    SmallBig = SMALL_BIG_EXT => "SMALL_BIG_EXT",
    /// `111`: an integer with a 32-bit magnitude length.
    LargeBig = LARGE_BIG_EXT => "LARGE_BIG_EXT",
    /// `112`: a fun (closure).
    NewFun = NEW_FUN_EXT => "NEW_FUN_EXT",
    /// `113`: an export fun, `fun M:F/A`.
    Export = EXPORT_EXT => "EXPORT_EXT",
    /// `114`: a reference with an 8-bit creation.
    NewReference = NEW_REFERENCE_EXT => "NEW_REFERENCE_EXT",
    /// `115`: a latin-1 atom with an 8-bit length.
    SmallAtom = SMALL_ATOM_EXT => "SMALL_ATOM_EXT",
    /// `116`: a map.
    Map = MAP_EXT => "MAP_EXT",
    /// `117`: the pre-R8 fun format, removed in OTP 23.
    Fun = FUN_EXT => "FUN_EXT",
    /// `118`: a UTF-8 atom with a 16-bit length.
    AtomUtf8 = ATOM_UTF8_EXT => "ATOM_UTF8_EXT",
    /// `119`: a UTF-8 atom with an 8-bit length.
    SmallAtomUtf8 = SMALL_ATOM_UTF8_EXT => "SMALL_ATOM_UTF8_EXT",
    /// `120`: a port identifier with a 64-bit number.
    V4Port = V4_PORT_EXT => "V4_PORT_EXT",
    /// `121`: OTP 26's node-local encoding, meaningful only inside one VM.
    Local = LOCAL_EXT => "LOCAL_EXT",
}

/// Every byte's tag, computed at compile time: a byte-to-tag lookup, not a comparison chain.
const TAGS: [Tag; 256] = {
    let mut table = [Tag::Unknown(0); 256];
    let mut i = 0;
    while i < 256 {
        table[i] = Tag::from_byte_slow(i as u8);
        i += 1;
    }
    table
};

impl core::fmt::Display for Tag {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Tag::Unknown(byte) => write!(f, "unknown tag {byte}"),
            known => write!(f, "{} ({})", known.name(), known.byte()),
        }
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Tag {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{=str}({=u8})", self.name(), self.byte())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_round_trips() {
        for byte in 0..=255u8 {
            assert_eq!(Tag::from_byte(byte).byte(), byte);
        }
        assert_eq!(Tag::from_byte(104), Tag::SmallTuple);
        assert_eq!(Tag::from_byte(0), Tag::Unknown(0));
        assert_eq!(Tag::SmallAtomUtf8.name(), "SMALL_ATOM_UTF8_EXT");
    }
}
