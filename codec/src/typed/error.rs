//! [`DeserializeError`]: what did not fit, and where, kept without allocating.

use crate::error::DecodeError;
use core::fmt::{self, Write};

/// Text of at most `N` (< 256) bytes: writes past the end are dropped (at a character boundary) and
/// remembered, and fail so that a long `Display` stops early.
#[derive(Clone, Copy)]
pub(crate) struct Text<const N: usize> {
    bytes: [u8; N],
    len: u8,
    cut: bool,
}

impl<const N: usize> Text<N> {
    pub(crate) const fn new() -> Self {
        Text { bytes: [0; N], len: 0, cut: false }
    }

    pub(crate) fn as_str(&self) -> &str {
        core::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }

    pub(crate) fn is_cut(&self) -> bool {
        self.cut
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `args` written into a new text, cut to fit.
    pub(crate) fn from_fmt(args: fmt::Arguments<'_>) -> Self {
        let mut text = Text::new();
        let _ = text.write_fmt(args);
        text
    }

    /// Puts `front` before the text if the whole of it fits; returns whether it did.
    fn prepend(&mut self, front: &str) -> bool {
        let (n, len) = (front.len(), usize::from(self.len));
        if len + n > N {
            return false;
        }
        self.bytes.copy_within(..len, n);
        self.bytes[..n].copy_from_slice(front.as_bytes());
        self.len = (len + n) as u8;
        true
    }
}

impl<const N: usize> Write for Text<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.cut {
            return Err(fmt::Error);
        }
        let len = usize::from(self.len);
        let mut take = s.len().min(N - len);
        while !s.is_char_boundary(take) {
            take -= 1;
        }
        self.bytes[len..len + take].copy_from_slice(&s.as_bytes()[..take]);
        self.len = (len + take) as u8;
        if take < s.len() {
            self.cut = true;
            return Err(fmt::Error);
        }
        Ok(())
    }
}

/// How many bytes of the path to a value are kept (the innermost part).
pub const MAX_PATH: usize = 64;
const MAX_MESSAGE: usize = 112;

/// Why a term could not be read into a Rust type, and where in the term.
///
/// `Display` reads like `at [3].tags[1]: expected a binary, found the atom foo`: the path is
/// list or tuple positions (`[3]`, from 0) and map keys (`.tags`), outermost first. It is
/// kept without allocating: its innermost [`MAX_PATH`] bytes (a cut path starts with `...`),
/// and the first 112 bytes of the message.
///
/// With `alloc` it is one pointer (the details are boxed, so results stay small on the
/// paths that succeed); without, the details are inline (about 200 bytes).
#[derive(Clone)]
pub struct DeserializeError {
    #[cfg(feature = "alloc")]
    inner: alloc::boxed::Box<Details>,
    #[cfg(not(feature = "alloc"))]
    inner: Details,
}

#[derive(Clone)]
struct Details {
    message: Text<MAX_MESSAGE>,
    path: Text<MAX_PATH>,
    decode: Option<DecodeError>,
}

impl DeserializeError {
    #[cold]
    pub(crate) fn new(args: fmt::Arguments<'_>) -> Self {
        let details = Details { message: Text::from_fmt(args), path: Text::new(), decode: None };
        #[cfg(feature = "alloc")]
        let details = alloc::boxed::Box::new(details);
        DeserializeError { inner: details }
    }

    /// Adds the position `index` of a list or tuple element to the front of the path.
    pub(crate) fn at_index(mut self, index: usize) -> Self {
        let segment: Text<24> = Text::from_fmt(format_args!("[{index}]"));
        self.prepend(segment.as_str());
        self
    }

    /// Adds a map key to the front of the path: `.name` for an atom or text key, `[key]` for
    /// any other.
    pub(crate) fn at_key(mut self, key: fmt::Arguments<'_>, text: bool) -> Self {
        let segment: Text<40> =
            if text { Text::from_fmt(format_args!(".{key}")) } else { Text::from_fmt(format_args!("[{key}]")) };
        self.prepend(segment.as_str());
        self
    }

    fn prepend(&mut self, segment: &str) {
        if !self.inner.path.cut && !self.inner.path.prepend(segment) {
            self.inner.path.cut = true;
        }
    }

    /// What did not fit: `expected a binary, found the atom foo`, or what a `Deserialize`
    /// implementation said.
    pub fn message(&self) -> &str {
        self.inner.message.as_str()
    }

    /// Where, outermost first: `[3].tags[1]` (empty at the top).
    pub fn path(&self) -> &str {
        self.inner.path.as_str()
    }

    /// The decode error, when the bytes given to [`from_bytes`](crate::from_bytes) are not
    /// one valid term (see [`DecodeError::is_incomplete`]).
    pub fn decode_error(&self) -> Option<&DecodeError> {
        self.inner.decode.as_ref()
    }
}

impl From<DecodeError> for DeserializeError {
    fn from(error: DecodeError) -> Self {
        let mut e = DeserializeError::new(format_args!("{error}"));
        e.inner.decode = Some(error);
        e
    }
}

impl fmt::Display for DeserializeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.inner.path.is_empty() || self.inner.path.is_cut() {
            let path = self.inner.path.as_str();
            let path = if self.inner.path.is_cut() { path } else { path.strip_prefix('.').unwrap_or(path) };
            let dots = if self.inner.path.is_cut() { "..." } else { "" };
            write!(f, "at {dots}{path}: ")?;
        }
        f.write_str(self.inner.message.as_str())?;
        if self.inner.message.is_cut() {
            f.write_str("...")?;
        }
        Ok(())
    }
}

impl fmt::Debug for DeserializeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeserializeError({self})")
    }
}

impl core::error::Error for DeserializeError {}

impl serde::de::Error for DeserializeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeserializeError::new(format_args!("{msg}"))
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for DeserializeError {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "at {=str}: {=str}", self.path(), self.message())
    }
}
