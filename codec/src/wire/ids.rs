//! The fields of pids, ports, references, exports and funs.

use super::*;

/// A pid's fields.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PidFields<'a> {
    pub(crate) node: AtomText<'a>,
    pub(crate) id: u32,
    pub(crate) serial: u32,
    pub(crate) creation: u32,
    /// `PID_EXT`: a one-byte creation.
    pub(crate) tiny: bool,
}

/// `NEW_PID_EXT` or `PID_EXT`.
pub(crate) fn pid(input: &[u8]) -> Parsed<'_, PidFields<'_>> {
    let (i, tag) = be_u8(input)?;
    let (i, node) = atom(i)?;
    let (i, id) = be_u32(i)?;
    let (i, serial) = be_u32(i)?;
    let tiny = tag == PID_EXT;
    let (i, creation) = creation(i, tiny)?;
    Ok((i, PidFields { node, id, serial, creation, tiny }))
}

pub(super) fn creation(i: &[u8], tiny: bool) -> Parsed<'_, u32> {
    if tiny {
        let (i, c) = be_u8(i)?;
        Ok((i, u32::from(c)))
    } else {
        be_u32(i)
    }
}

/// A port's fields.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PortFields<'a> {
    pub(crate) node: AtomText<'a>,
    pub(crate) id: u64,
    pub(crate) creation: u32,
    pub(crate) tiny: bool,
}

/// `V4_PORT_EXT`, `NEW_PORT_EXT` or `PORT_EXT`.
pub(crate) fn port(input: &[u8]) -> Parsed<'_, PortFields<'_>> {
    let (i, tag) = be_u8(input)?;
    let (i, node) = atom(i)?;
    let (i, id) = if tag == V4_PORT_EXT {
        be_u64(i)?
    } else {
        let (i, id) = be_u32(i)?;
        (i, u64::from(id))
    };
    let tiny = tag == PORT_EXT;
    let (i, creation) = creation(i, tiny)?;
    Ok((i, PortFields { node, id, creation, tiny }))
}

/// A reference's fields.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ReferenceFields<'a> {
    pub(crate) node: AtomText<'a>,
    pub(crate) creation: u32,
    /// The identifier words, 4 bytes each, big-endian.
    pub(crate) words: &'a [u8],
    /// `REFERENCE_EXT` or `NEW_REFERENCE_EXT`: a one-byte creation and an 18-bit first word.
    pub(crate) old: bool,
}

/// `NEWER_REFERENCE_EXT`, `NEW_REFERENCE_EXT` or `REFERENCE_EXT`.
pub(crate) fn reference(input: &[u8]) -> Parsed<'_, ReferenceFields<'_>> {
    let (i, tag) = be_u8(input)?;
    if tag == REFERENCE_EXT {
        let (i, node) = atom(i)?;
        let (i, words) = take(4usize)(i)?;
        let (i, creation) = creation(i, true)?;
        return Ok((i, ReferenceFields { node, creation, words, old: true }));
    }
    let (i, len) = be_u16(i)?;
    if len == 0 || len > MAX_REFERENCE_WORDS {
        return fail(DecodeErrorKind::BadReferenceLength { len }, input);
    }
    let (i, node) = atom(i)?;
    let old = tag == NEW_REFERENCE_EXT;
    let (i, creation) = creation(i, old)?;
    let (i, words) = take(4 * usize::from(len))(i)?;
    Ok((i, ReferenceFields { node, creation, words, old }))
}

/// An export fun's fields.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ExportFields<'a> {
    pub(crate) module: AtomText<'a>,
    pub(crate) function: AtomText<'a>,
    pub(crate) arity: Int<'a>,
    /// Where the arity term starts, from the start of the export.
    pub(crate) arity_at: usize,
}

/// `EXPORT_EXT`: module and function atoms, then an integer arity.
pub(crate) fn export(input: &[u8]) -> Parsed<'_, ExportFields<'_>> {
    let (i, _) = be_u8(input)?;
    let (i, module) = atom(i)?;
    let (i, function) = atom(i)?;
    let arity_at = input.len() - i.len();
    let (i, arity) = integer(i)?;
    Ok((i, ExportFields { module, function, arity, arity_at }))
}

/// A fun's header fields.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FunFields<'a> {
    pub(crate) arity: u8,
    pub(crate) uniq: [u8; 16],
    pub(crate) index: u32,
    pub(crate) free: u32,
    pub(crate) module: AtomText<'a>,
    pub(crate) old_index: Int<'a>,
    pub(crate) old_uniq: Int<'a>,
    /// Where the old index and old uniq start, from the start of the fun.
    pub(crate) old_index_at: usize,
    pub(crate) old_uniq_at: usize,
}

/// `NEW_FUN_EXT` up to the creator pid: size (ignored, as OTP 25.1+ does), arity, uniq,
/// index, free-variable count, module, old index, old uniq.
pub(crate) fn fun(input: &[u8]) -> Parsed<'_, FunFields<'_>> {
    let (i, _) = be_u8(input)?;
    let (i, _size) = be_u32(i)?;
    let (i, arity) = be_u8(i)?;
    let (i, uniq) = take(16usize)(i)?;
    let (i, index) = be_u32(i)?;
    let (i, free) = be_u32(i)?;
    if free > MAX_FREE_VARIABLES {
        return fail(DecodeErrorKind::TooManyFreeVariables, input);
    }
    let (i, module) = atom(i)?;
    let old_index_at = input.len() - i.len();
    let (i, old_index) = integer(i)?;
    let old_uniq_at = input.len() - i.len();
    let (i, old_uniq) = integer(i)?;
    let mut fields =
        FunFields { arity, index, free, module, old_index, old_uniq, old_index_at, old_uniq_at, ..Default::default() };
    fields.uniq.copy_from_slice(uniq);
    Ok((i, fields))
}

/// Reads fields from bytes that were validated: the parse cannot fail there; on anything else
/// it gives the default rather than panic.
#[inline]
pub(crate) fn fields<'a, T: Default>(parser: fn(&'a [u8]) -> Parsed<'a, T>, raw: &'a [u8]) -> T {
    parser(raw).map(|(_, value)| value).unwrap_or_default()
}
