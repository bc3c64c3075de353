//! Handler arguments: the views of a message's elements ([`Args`]), and the traits that say
//! which Rust types an argument can be read into ([`Arg`], [`BorrowedArg`]). The reading
//! itself is serde's, through the codec's mapping (`erlport::codec` docs, "Typed data").

use super::Failure;
use erlport_codec::{Elements, List, ListIter, Term, Tuple};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The arguments of a message: the elements of `{name, A1, ..., An}` after the name, or of
/// the list `[A1, ..., An]` of a [concurrent](crate::ConcurrentProtocol) call.
#[derive(Clone, Debug)]
pub struct Args<'a> {
    inner: Inner<'a>,
}

#[derive(Clone, Debug)]
enum Inner<'a> {
    None,
    Tuple(Elements<'a>),
    /// A proper list and its length.
    List(ListIter<'a>, usize),
}

impl<'a> Args<'a> {
    pub(crate) fn none() -> Self {
        Args { inner: Inner::None }
    }

    pub(crate) fn after_first(tuple: Tuple<'a>) -> Self {
        let mut elements = tuple.iter();
        elements.next();
        Args { inner: Inner::Tuple(elements) }
    }

    /// The elements of `list` (`[]` or a proper list); `None` for anything else.
    pub(crate) fn of_list(list: Term<'a>) -> Option<Self> {
        match list {
            Term::Nil => Some(Args::none()),
            Term::List(list) => {
                let list: List<'a> = list;
                let mut iter = list.iter();
                let len = iter.by_ref().count();
                matches!(iter.tail(), Term::Nil).then(|| Args { inner: Inner::List(list.iter(), len) })
            }
            _ => None,
        }
    }

    /// The number of arguments.
    pub fn len(&self) -> usize {
        match &self.inner {
            Inner::None => 0,
            Inner::Tuple(elements) => elements.len(),
            Inner::List(_, len) => *len,
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The arguments in order.
    pub fn iter(&self) -> impl Iterator<Item = Term<'a>> + use<'a> {
        let (tuple, list) = match self.inner.clone() {
            Inner::None => (None, None),
            Inner::Tuple(elements) => (Some(elements), None),
            Inner::List(iter, _) => (None, Some(iter)),
        };
        tuple.into_iter().flatten().chain(list.into_iter().flatten())
    }

    /// The argument at `index` (from 0).
    pub fn get(&self, index: usize) -> Option<Term<'a>> {
        self.iter().nth(index)
    }
}

/// A type a [`Protocol::handle`](crate::Protocol::handle) argument can be: any owned
/// `serde::Deserialize` type (`i64`, `String`, `Vec<T>`, `HashMap<K, V>`, your derived
/// structs and enums). Implemented for all of them; nothing to write.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an argument of a `handle` handler: it does not implement `serde::Deserialize`",
    label = "this argument's type",
    note = "derive it (`#[derive(serde::Deserialize)]`), or take `String`, `i64`, `Vec<T>`, `HashMap<K, V>`, ...",
    note = "arguments that borrow from the request (`&str`, `&[u8]`, `Term<'_>`) need `Protocol::handle_borrowed`"
)]
pub trait Arg: DeserializeOwned {}

impl<T: DeserializeOwned> Arg for T {}

/// A type a [`Protocol::handle_borrowed`](crate::Protocol::handle_borrowed) argument can be:
/// it may borrow from the request (`&str`, `&[u8]`, [`Term`] and the other views), and
/// `Of<'a>` is the same type borrowing for `'a`.
///
/// Implemented for those, for the primitives, `String`, and for `Option`, `Vec`, maps and
/// tuples of such types. For a derived type of your own, owned or borrowing, one line:
/// [`borrowed_arg!`](crate::borrowed_arg).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an argument of a `handle_borrowed` handler: it does not implement `erlport::handler::BorrowedArg`",
    label = "this argument's type",
    note = "for a type of your own, add `erlport::borrowed_arg!(YourType);` (or `erlport::borrowed_arg!(YourType<'a>);`) next to its `#[derive(Deserialize)]`"
)]
pub trait BorrowedArg {
    /// This type, borrowing from a request that lives for `'a`.
    type Of<'a>: Deserialize<'a>;
}

/// Makes a type of your own usable as a [`Protocol::handle_borrowed`](crate::Protocol::handle_borrowed)
/// argument ([`BorrowedArg`]): `borrowed_arg!(Point)` for an owned type,
/// `borrowed_arg!(User<'a>)` for one that borrows (one lifetime).
///
/// ```
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Put<'a> {
///     key: &'a str,
///     #[serde(with = "serde_bytes")]
///     value: &'a [u8],
/// }
/// erlport::borrowed_arg!(Put<'a>);
///
/// let mut proto = erlport::Protocol::<Vec<u8>>::new();
/// proto.handle_borrowed("put", |put: Put<'_>, ttl: u32| put.key.len() + put.value.len() + ttl as usize);
/// ```
#[macro_export]
macro_rules! borrowed_arg {
    ($name:ident < $lt:lifetime >) => {
        impl<$lt> $crate::handler::BorrowedArg for $name<$lt> {
            type Of<'__a> = $name<'__a>;
        }
    };
    ($name:ty) => {
        impl $crate::handler::BorrowedArg for $name {
            type Of<'__a> = $name;
        }
    };
}

macro_rules! owned_args {
    ($($t:ty),*) => {$(
        impl BorrowedArg for $t {
            type Of<'a> = $t;
        }
    )*};
}
owned_args!(
    bool,
    char,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    f32,
    f64,
    String,
    (),
    OwnedTerm
);

impl BorrowedArg for &str {
    type Of<'a> = &'a str;
}

impl BorrowedArg for &[u8] {
    type Of<'a> = &'a [u8];
}

macro_rules! view_args {
    ($($view:ident)*) => {$(
        impl BorrowedArg for erlport_codec::$view<'_> {
            type Of<'a> = erlport_codec::$view<'a>;
        }
    )*};
}
view_args!(Term Atom BigInt BitBinary List Tuple Map Pid PortId Reference Fun Export);

impl<T: BorrowedArg> BorrowedArg for Option<T> {
    type Of<'a> = Option<T::Of<'a>>;
}

impl<T: BorrowedArg> BorrowedArg for Vec<T> {
    type Of<'a> = Vec<T::Of<'a>>;
}

impl<K: BorrowedArg, V: BorrowedArg> BorrowedArg for std::collections::HashMap<K, V>
where
    for<'a> K::Of<'a>: Eq + std::hash::Hash,
{
    type Of<'a> = std::collections::HashMap<K::Of<'a>, V::Of<'a>>;
}

impl<K: BorrowedArg, V: BorrowedArg> BorrowedArg for std::collections::BTreeMap<K, V>
where
    for<'a> K::Of<'a>: Ord,
{
    type Of<'a> = std::collections::BTreeMap<K::Of<'a>, V::Of<'a>>;
}

macro_rules! tuple_args {
    ($(($($a:ident),+))*) => {$(
        impl<$($a: BorrowedArg),+> BorrowedArg for ($($a,)+) {
            type Of<'a> = ($($a::Of<'a>,)+);
        }
    )*};
}
tuple_args!((A)(A, B)(A, B, C)(A, B, C, D));

/// Any term, kept as its encoding (version byte included): an owned capture, to keep or send
/// on unchanged. (To look at a term without copying it, take a [`Term`] in a
/// [`handle_borrowed`](crate::Protocol::handle_borrowed) handler.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedTerm(Vec<u8>);

impl OwnedTerm {
    /// A copy of `term`.
    pub(crate) fn from_term(term: &Term<'_>) -> Self {
        // A valid view always encodes.
        OwnedTerm(erlport_codec::encode_to_vec(term).unwrap_or_default())
    }

    /// The term as a view.
    pub fn term(&self) -> Term<'_> {
        // The bytes were written by the encoder from a valid view.
        erlport_codec::decode(&self.0).unwrap_or(Term::Nil)
    }

    /// The encoding, version byte included.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl<'de> Deserialize<'de> for OwnedTerm {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let term = Term::deserialize(d)?;
        erlport_codec::encode_to_vec(&term).map(OwnedTerm).map_err(serde::de::Error::custom)
    }
}

/// Written as it was read.
impl Serialize for OwnedTerm {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.term().serialize(s)
    }
}

/// Reads argument `position` (from 1) of `count` into a parameter type: a missing one or one
/// that does not fit is `function_clause`, saying which and why.
pub(crate) fn arg<'a, T: serde::Deserialize<'a>>(
    term: Option<Term<'a>>,
    position: usize,
    count: usize,
) -> Result<T, Failure> {
    let term = term.ok_or_else(|| Failure::BadArgs(format!("argument {position} of {count} is missing")))?;
    erlport_codec::from_term(term).map_err(|e| Failure::BadArgs(format!("argument {position} of {count}: {e}")))
}

/// `function_clause` unless `found` arguments are the `count` a handler takes.
pub(crate) fn arity(found: usize, count: usize) -> Result<(), Failure> {
    if found == count {
        return Ok(());
    }
    let s = if count == 1 { "" } else { "s" };
    Err(Failure::BadArgs(format!("expected {count} argument{s}, found {found}")))
}
