//! A zero-copy, `no_std`, allocation-free codec for Erlang's External Term Format (ETF): the
//! bytes of `term_to_binary/1`, what Erlang ports and distribution speak.
//!
//! Decoding validates the whole input once, with the same rules as Erlang's own
//! `binary_to_term/1` (it accepts what Erlang accepts and rejects the rest), and then hands out
//! a [`Term`] view that borrows the input. Walking a view cannot fail and allocates nothing.
//!
//! ```
//! use erlport_codec::{decode, Term};
//!
//! // term_to_binary({ok, [1, 2], <<"x">>})
//! let bytes = [131, 104, 3, 119, 2, b'o', b'k', 107, 0, 2, 1, 2, 109, 0, 0, 0, 1, b'x'];
//! let term = decode(&bytes)?;
//! assert_eq!(term.to_string(), r#"{ok,[1,2],<<120>>}"#);
//!
//! let Term::Tuple(tuple) = term else { panic!("a tuple") };
//! let mut elements = tuple.iter();
//! assert!(elements.next().unwrap().is_atom("ok"));
//! if let Some(Term::List(list)) = elements.next() {
//!     let sum: i64 = list.iter().filter_map(|t| t.as_i64()).sum();
//!     assert_eq!(sum, 3);
//! }
//! # Ok::<(), erlport_codec::DecodeError>(())
//! ```
//!
//! Three outcomes: a term, "incomplete" (more bytes could complete it:
//! [`DecodeError::is_incomplete`] and [`DecodeError::needed`], erlport's `IncompleteData`), or
//! "invalid" with the byte offset and what was wrong.
//!
//! # No panics, bounded work
//! No input makes this crate panic, recurse without bound or allocate without bound: every
//! length read off the wire is checked against the bytes that are there before anything is
//! sized from it, validation keeps a count of terms still to read instead of recursing (a term
//! nested 1,000,000 deep decodes on any stack), and `Display` stops at
//! [`MAX_DISPLAY_DEPTH`] levels. Cost is linear in the input: views are built from headers
//! without stepping over their contents, a full walk ([`Term::walk`]) reads each byte a
//! constant number of times, and map keys are checked in expected linear time in any order.
//!
//! # Text
//! `Display` writes what `io_lib:format("~w", [T])` writes on OTP 25, except for maps of more
//! than 32 pairs: those are written in the order their pairs were encoded, because the order
//! ERTS prints them in depends on its own atom table and hashing.
//!
//! # Typed data (serde)
//! With the `serde` feature, [`from_bytes`] and [`from_term`] read any `Deserialize` type and
//! [`to_slice`], [`to_vec`] (with `alloc`), [`serialized_len`] and the [`Serializer`] write any
//! `Serialize` one; no allocator is needed, and `&str`, `&[u8]` and view fields ([`Term`],
//! [`Atom`], [`Map`], [`Pid`], ... with `#[serde(borrow)]`) borrow from the input. One mapping,
//! the same both ways, matching what Erlang and Elixir code writes:
//!
//! | Rust | Erlang (written) | Also read from |
//! |---|---|---|
//! | `bool` | `true`, `false` | |
//! | integers, `i128`, `u128` | integers (bigints past 64 bits) | |
//! | `f32`, `f64` | floats | integers |
//! | `char` | its code (`$a` is 97) | a binary of one character |
//! | `String`, `&str` | UTF-8 binary | atoms (keyword keys); charlists and `STRING_EXT` into an owned `String` (`alloc`) |
//! | `&[u8]`, `serde_bytes` | binary | `STRING_EXT`; lists of bytes into an owned buffer (`alloc`) |
//! | `Option<T>`: `None` / `Some(x)` | `undefined` (`nil` with [`Serializer::none_as_nil`]) / `x` | `nil` |
//! | `()`, unit structs | `ok` | |
//! | `Vec<T>`, sequences | lists (`STRING_EXT` for 1 to 65,535 integers 0..=255, as Erlang) | binaries (as bytes) |
//! | tuples, tuple structs, `[T; N]` | tuples | lists of that length |
//! | newtype structs | the value inside | |
//! | maps | maps | keyword lists `[{Key, Value}]` |
//! | structs | maps with atom keys | binary keys; keyword lists; Elixir's `__struct__` and unknown keys are ignored (unless `deny_unknown_fields`); a missing `Option` field is `None` |
//! | unit variants | atoms (the variant's name: use `#[serde(rename_all = "snake_case")]`) | binaries |
//! | newtype variants | `{tag, Value}` | |
//! | tuple variants | `{tag, V1, ..., Vn}` (records) | |
//! | struct variants | `{tag, #{field => ...}}` | |
//! | `Result<T, E>` | `{ok, T}` / `{error, E}`; `Ok(())` is `ok` (Erlang's `ok \| {error, Reason}`) | |
//! | [`Term`] and the views | byte for byte as read | anything (the field captures the subterm) |
//! | [`ErlString`], [`ImproperList`], [`MapFrom`] | as their [`Encode`] writes them | |
//!
//! Output is byte-identical to `term_to_binary` except where Erlang sorts: a map or struct
//! of up to 32 keys is written in the order serde gives its fields (Erlang sorts them by key:
//! declare struct fields in alphabetical order for identical bytes), a sequence of unknown
//! length is written as one list cell per element (the same list to Erlang), and a map of unknown
//! length needs `alloc` (it is buffered to be counted). Errors name the place and the mismatch
//! in Erlang's words ([`DeserializeError`]); values nested more than [`MAX_DEPTH`] deep are
//! refused, so a recursive type cannot be made to recurse without bound.
//!
//! [`from_bytes`] reads in one pass, checking each term as it reads it with the rules
//! [`decode`] applies (so it accepts exactly what `binary_to_term` accepts, also in the parts
//! a type skips), and the counts containers claim against the bytes there before a visitor
//! reserves room; when the input is not valid or the value does not fit it validates first
//! and reads again, for the error. A `&str` read from an atom may borrow an earlier copy of
//! the same atom in the input (atoms repeat; their text is checked once).
//!
//! # Features
//! - `alloc`: lets the working memory grow past what is inline. Without it the inline memory
//!   is sized so that decoding and walking stay within 2 KiB of stack on a Cortex-M
//!   (`scripts/size` checks it): 224 words of keys of open maps not in key order (a word a
//!   key, so maps of up to 224 keys in hash order, the way Erlang writes maps over 32 keys;
//!   with room for more, checked through a hash table, else by sorting in place), multi-key
//!   maps nested 16 deep in keys or non-final values, walks 32 containers deep in non-final
//!   positions. With it the inline memory is larger (1024 words, 64 containers, so
//!   ordinary data never touches the heap) and grows on the heap past that; lists split into
//!   segments (hand-made input) nested more than 32 deep when map keys or views are compared
//!   need it too, and it prints integers of any size in decimal. Without it such input fails with
//!   [`DecodeErrorKind::NeedsAlloc`] (maps nested in last values, the way Erlang writes trees,
//!   need no more memory at any depth); a [`Decoder::key_buffer`] takes map keys of any number
//!   without an allocator. It also gives `Decoder::scratch_vec`: a scratch `Vec` that grows
//!   as a compressed term inflates.
//! - `std`: implies `alloc`.
//! - `arbitrary`: [`ArbitraryTerm`], valid terms of every kind made by the `arbitrary` crate from
//!   a fuzzer's bytes, for fuzzing what reads terms (implies `std`).
//! - `serde`: typed data, above (serde without its default features; with `alloc`, serde's
//!   `alloc` too).
//! - `defmt`: `defmt::Format` for views, tags and errors.
//! - `embedded-io`: blocking [`packet::read`] and [`packet::write`] over any
//!   `embedded_io::Read`/`Write`: `{packet, N}` over a UART with the code a Linux port uses.
//!
//! # Where this crate differs from ERTS 25 on purpose
//! - The atom-table index tags 73 and 75 are rejected: no other VM can give them meaning.
//! - Pids, ports and references are never checked against a local node: a codec is not a node.
//! - Map keys `0.0` and `-0.0` are two keys, as in OTP 27 and later.
//! - `FLOAT_EXT` text must end with a NUL inside its 31 bytes (ERTS reads on past the field).
//! - Map keys holding maps of two or more pairs nested more than 4 levels deep inside other
//!   maps are refused ([`DecodeErrorKind::MapKeysTooDeep`]): finding duplicates among them
//!   would need unbounded memory or stack. Only hand-made input has them.

#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]
// The crate docs link to items of every feature (serde, embedded-io, arbitrary, alloc); built
// without some of them, those links have nothing to point at. docs.rs and `scripts/test`
// build with all features, where every link is checked.
#![cfg_attr(
    not(all(feature = "std", feature = "serde", feature = "embedded-io", feature = "arbitrary")),
    allow(rustdoc::broken_intra_doc_links)
)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod compress;
mod decode;
mod encode;
mod error;
mod fmt;
#[cfg(feature = "arbitrary")]
mod generate;
mod index;
mod order;
pub mod packet;
mod stack;
mod tag;
mod term;
#[cfg(feature = "serde")]
mod typed;
mod validate;
mod walk;
mod wire;

#[cfg(test)]
mod tests;

#[cfg(feature = "alloc")]
pub use compress::{Compression, Deflater, encode_to_vec_compressed};
pub use compress::{DEFAULT_INFLATE_LIMIT, Inflater, compressed_size};
pub use decode::{Decoder, TuplePrefix, decode, decode_prefix, decode_tuple_prefix};
#[cfg(feature = "alloc")]
pub use encode::encode_to_vec;
pub use encode::{
    AtomEncoding, Counter, Encode, EncodeError, Encoder, ErlString, ErrorText, ImproperList, MapFrom, Sink,
    SliceWriter, encode, encode_to_heapless, encode_with, encoded_len, encoded_len_with,
};
pub use error::{DecodeError, DecodeErrorKind, ErrorClass};
pub use fmt::MAX_DISPLAY_DEPTH;
#[cfg(feature = "arbitrary")]
pub use generate::{ArbitraryTerm, MAX_GENERATED_DEPTH};
#[cfg(feature = "index")]
pub use index::{Index, IndexMemory};
pub use tag::{Tag, VERSION};
pub use term::{
    Atom, AtomChars, BigInt, BitBinary, Elements, Export, Fun, List, ListIter, Map, Pairs, Pid, PortId, Reference,
    Term, Tuple,
};
#[cfg(all(feature = "serde", feature = "alloc"))]
pub use typed::to_vec;
#[cfg(feature = "serde")]
pub use typed::{DeserializeError, MAX_DEPTH, MAX_PATH, Serializer, from_bytes, from_term, serialized_len, to_slice};
pub use walk::{Visit, Walk};
