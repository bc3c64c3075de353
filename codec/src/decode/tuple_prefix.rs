//! The first elements of a tuple whose whole may not be valid.

use crate::error::DecodeError;
use crate::term::{Term, root_at};
use crate::validate::validate;
use crate::wire::{self, Head};

/// The tuple at the start of `input` (after the version byte), read one element at a time,
/// each validated on its own when it is reached: for a message cut short or invalid after its
/// first elements (a packet over a size limit, a call whose arguments are not a term), so that
/// what it starts with (a tag, an id) can still be read and answered. `None` unless `input`
/// starts with the version byte and a tuple header (a compressed term is not read).
///
/// Each element is checked with the rules [`decode`](crate::decode) applies; the first that
/// fails ends the iteration with its error. Nothing after the last element asked for is read.
///
/// ```
/// use erlport_codec::decode_tuple_prefix;
///
/// // {call, 7, <<...: a binary claiming 4 GiB, cut short
/// let bytes = [131, 104, 3, 119, 4, b'c', b'a', b'l', b'l', 97, 7, 109, 255, 255, 255, 255, 0];
/// assert!(erlport_codec::decode(&bytes).is_err());
/// let mut elements = decode_tuple_prefix(&bytes).expect("a tuple");
/// assert_eq!(elements.arity(), 3);
/// assert!(elements.next().unwrap()?.is_atom("call"));
/// assert_eq!(elements.next().unwrap()?.as_i64(), Some(7));
/// assert!(elements.next().unwrap().unwrap_err().is_incomplete());
/// assert!(elements.next().is_none());
/// # Ok::<(), erlport_codec::DecodeError>(())
/// ```
pub fn decode_tuple_prefix(input: &[u8]) -> Option<TuplePrefix<'_>> {
    let body = wire::after_version(input)?;
    match wire::read(body) {
        Ok((Head::Tuple(arity), header)) => Some(TuplePrefix { input, at: 1 + header, arity, left: arity }),
        _ => None,
    }
}

/// The elements of a tuple read by [`decode_tuple_prefix`]: each a [`Term`] over `input`, or
/// the error of the first that is not valid (after which there are none).
#[derive(Clone, Debug)]
pub struct TuplePrefix<'a> {
    input: &'a [u8],
    /// Where the next element starts.
    at: usize,
    arity: u32,
    left: u32,
}

impl TuplePrefix<'_> {
    /// The arity the tuple's header declares.
    pub fn arity(&self) -> usize {
        self.arity as usize
    }
}

impl<'a> Iterator for TuplePrefix<'a> {
    type Item = Result<Term<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        match validate(self.input, self.at, None) {
            Ok(end) => {
                self.left -= 1;
                let term = root_at(self.input.get(self.at..end).unwrap_or(&[]));
                self.at = end;
                Some(Ok(term))
            }
            Err(e) => {
                self.left = 0;
                Some(Err(e))
            }
        }
    }
}
