//! The characters of an atom's text, latin-1 or UTF-8.

/// The characters of an [`Atom`](crate::Atom).
#[derive(Clone, Debug)]
pub struct AtomChars<'a> {
    inner: AtomCharsInner<'a>,
}

#[derive(Clone, Debug)]
pub(super) enum AtomCharsInner<'a> {
    Latin1(core::slice::Iter<'a, u8>),
    Utf8(core::str::Chars<'a>),
}

impl<'a> AtomChars<'a> {
    pub(crate) fn new(bytes: &'a [u8], utf8: bool) -> Self {
        let inner = if utf8 {
            AtomCharsInner::Utf8(core::str::from_utf8(bytes).unwrap_or_default().chars())
        } else {
            AtomCharsInner::Latin1(bytes.iter())
        };
        AtomChars { inner }
    }
}

impl Iterator for AtomChars<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        match &mut self.inner {
            AtomCharsInner::Latin1(bytes) => bytes.next().map(|&b| char::from(b)),
            AtomCharsInner::Utf8(chars) => chars.next(),
        }
    }
}
