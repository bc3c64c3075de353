//! Handler arguments: the views of a message's elements, and [`FromTerm`] conversions into
//! owned Rust values.

use erlport_codec::{Elements, Term, Tuple};

/// The arguments of a message: the elements of `{name, A1, ..., An}` after the name.
#[derive(Clone, Debug)]
pub struct Args<'a> {
    elements: Option<Elements<'a>>,
}

impl<'a> Args<'a> {
    pub(crate) fn none() -> Self {
        Args { elements: None }
    }

    pub(crate) fn after_first(tuple: Tuple<'a>) -> Self {
        let mut elements = tuple.iter();
        elements.next();
        Args { elements: Some(elements) }
    }

    /// The number of arguments.
    pub fn len(&self) -> usize {
        self.elements.as_ref().map_or(0, ExactSizeIterator::len)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The arguments in order.
    pub fn iter(&self) -> impl Iterator<Item = Term<'a>> + use<'a> {
        self.elements.clone().into_iter().flatten()
    }

    /// The argument at `index` (from 0).
    pub fn get(&self, index: usize) -> Option<Term<'a>> {
        self.iter().nth(index)
    }
}

/// A Rust value a handler argument can be converted into; `None` means the argument does not
/// fit (the caller gets `{error, function_clause}`).
pub trait FromTerm: Sized {
    /// Converts the view, if it fits.
    fn from_term(term: &Term<'_>) -> Option<Self>;

    /// Converts a list (or, for `u8`, a binary too) into a `Vec`.
    fn vec_from_term(term: &Term<'_>) -> Option<Vec<Self>> {
        match term {
            Term::Nil => Some(Vec::new()),
            Term::List(list) => {
                let mut iter = list.iter();
                let items = iter.by_ref().map(|t| Self::from_term(&t)).collect::<Option<Vec<_>>>()?;
                matches!(iter.tail(), Term::Nil).then_some(items)
            }
            _ => None,
        }
    }
}

macro_rules! from_integer {
    ($($t:ty)*) => {$(
        impl FromTerm for $t {
            fn from_term(term: &Term<'_>) -> Option<Self> {
                match term {
                    Term::Integer(v) => <$t>::try_from(*v).ok(),
                    Term::BigInt(big) => big.to_i128().and_then(|v| <$t>::try_from(v).ok()),
                    _ => None,
                }
            }
        }
    )*};
}
from_integer!(i8 i16 i32 i64 i128 u16 u32 u64 u128 usize isize);

impl FromTerm for u8 {
    fn from_term(term: &Term<'_>) -> Option<Self> {
        term.as_i64().and_then(|v| u8::try_from(v).ok())
    }

    /// A binary, or a list of integers 0..=255.
    fn vec_from_term(term: &Term<'_>) -> Option<Vec<u8>> {
        match term {
            Term::Binary(bytes) => Some(bytes.to_vec()),
            Term::List(list) if list.as_string_bytes().is_some() => list.as_string_bytes().map(<[u8]>::to_vec),
            other => {
                let list = match other {
                    Term::Nil => return Some(Vec::new()),
                    Term::List(list) => list,
                    _ => return None,
                };
                let mut iter = list.iter();
                let items = iter.by_ref().map(|t| u8::from_term(&t)).collect::<Option<Vec<_>>>()?;
                matches!(iter.tail(), Term::Nil).then_some(items)
            }
        }
    }
}

/// A float, or an integer (as Erlang's arithmetic would take it).
impl FromTerm for f64 {
    fn from_term(term: &Term<'_>) -> Option<Self> {
        match term {
            Term::Float(v) => Some(*v),
            Term::Integer(v) => Some(*v as f64),
            _ => None,
        }
    }
}

/// The atoms `true` and `false`.
impl FromTerm for bool {
    fn from_term(term: &Term<'_>) -> Option<Self> {
        match term.as_atom()?.as_str()? {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }
}

/// A UTF-8 binary, or an Erlang string (a list of character codes).
impl FromTerm for String {
    fn from_term(term: &Term<'_>) -> Option<Self> {
        match term {
            Term::Binary(bytes) => std::str::from_utf8(bytes).ok().map(str::to_string),
            Term::Nil => Some(String::new()),
            Term::List(list) => {
                if let Some(bytes) = list.as_string_bytes() {
                    return Some(bytes.iter().map(|&b| char::from(b)).collect());
                }
                let mut iter = list.iter();
                let text = iter
                    .by_ref()
                    .map(|t| t.as_i64().and_then(|c| u32::try_from(c).ok()).and_then(char::from_u32))
                    .collect::<Option<String>>()?;
                matches!(iter.tail(), Term::Nil).then_some(text)
            }
            _ => None,
        }
    }
}

impl<T: FromTerm> FromTerm for Vec<T> {
    fn from_term(term: &Term<'_>) -> Option<Self> {
        T::vec_from_term(term)
    }
}

/// `undefined` is `None`; anything else must convert to `T`.
impl<T: FromTerm> FromTerm for Option<T> {
    fn from_term(term: &Term<'_>) -> Option<Self> {
        if term.is_atom("undefined") { Some(None) } else { T::from_term(term).map(Some) }
    }
}

/// An atom's name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AtomName(pub String);

impl FromTerm for AtomName {
    fn from_term(term: &Term<'_>) -> Option<Self> {
        term.as_atom().map(|atom| AtomName(atom.chars().collect()))
    }
}

impl erlport_codec::Encode for AtomName {
    fn encode<W: erlport_codec::Sink>(
        &self,
        e: &mut erlport_codec::Encoder<W>,
    ) -> Result<(), erlport_codec::EncodeError> {
        e.atom(&self.0)
    }
}

/// Any term, kept as its encoding (version byte included), to look at with
/// [`OwnedTerm::term`] or send on unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedTerm(Vec<u8>);

impl OwnedTerm {
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

impl FromTerm for OwnedTerm {
    fn from_term(term: &Term<'_>) -> Option<Self> {
        erlport_codec::encode_to_vec(term).ok().map(OwnedTerm)
    }
}

impl erlport_codec::Encode for OwnedTerm {
    fn encode<W: erlport_codec::Sink>(
        &self,
        e: &mut erlport_codec::Encoder<W>,
    ) -> Result<(), erlport_codec::EncodeError> {
        self.term().encode(e)
    }
}

macro_rules! from_tuple {
    ($($n:literal => ($($a:ident),+);)*) => {$(
        impl<$($a: FromTerm),+> FromTerm for ($($a,)+) {
            #[allow(non_snake_case)]
            fn from_term(term: &Term<'_>) -> Option<Self> {
                let tuple = term.as_tuple()?;
                if tuple.arity() != $n {
                    return None;
                }
                let mut iter = tuple.iter();
                $(let $a = $a::from_term(&iter.next()?)?;)+
                Some(($($a,)+))
            }
        }
    )*};
}
from_tuple! {
    1 => (A);
    2 => (A, B);
    3 => (A, B, C);
    4 => (A, B, C, D);
    5 => (A, B, C, D, E);
    6 => (A, B, C, D, E, F);
}

/// A string argument given as an Erlang string (a list) or a binary: `|name: ErlString<String>|`.
impl FromTerm for erlport_codec::ErlString<String> {
    fn from_term(term: &Term<'_>) -> Option<Self> {
        String::from_term(term).map(erlport_codec::ErlString)
    }
}
