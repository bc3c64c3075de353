//! Decoding a packet: plain terms straight from its bytes, compressed ones through an
//! inflater made the first time one arrives and kept.

use erlport_codec::{DecodeError, Decoder, Inflater, Term, compressed_size, decode};

/// Room to decode packets in: a scratch buffer a compressed term inflates into, and the
/// inflater (tens of KiB, made only when a compressed packet arrives).
#[derive(Default)]
pub(crate) struct Unpacker {
    scratch: Vec<u8>,
    inflater: Option<Box<Inflater>>,
}

impl Unpacker {
    /// The term in `packet`, inflated (to at most `inflate_limit` bytes) when compressed.
    pub(crate) fn decode<'a>(&'a mut self, packet: &'a [u8], inflate_limit: usize) -> Result<Term<'a>, DecodeError> {
        if compressed_size(packet).is_none() {
            return decode(packet);
        }
        let inflater = self.inflater.get_or_insert_with(|| Box::new(Inflater::new()));
        Decoder::new().scratch_vec(&mut self.scratch).inflater(inflater).inflate_limit(inflate_limit).decode(packet)
    }

    /// Gives back what a large compressed packet made the scratch grow to.
    pub(crate) fn shrink(&mut self) {
        super::shrink(&mut self.scratch);
    }
}
