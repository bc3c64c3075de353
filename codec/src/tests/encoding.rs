//! Encoding: byte-exact output against what term_to_binary writes.

extern crate std;
use crate::{
    Atom, AtomEncoding, EncodeError, Encoder, ErlString, ImproperList, MapFrom, SliceWriter, decode, encode,
    encode_to_heapless, encode_with, encoded_len,
};
use std::string::ToString;

fn bytes<T: crate::Encode + ?Sized>(value: &T) -> std::vec::Vec<u8> {
    let mut buf = [0u8; 512];
    let n = encode(value, &mut buf).expect("fits");
    assert_eq!(encoded_len(value), Ok(n));
    buf[..n].to_vec()
}

#[test]
fn integers_in_the_smallest_form() {
    assert_eq!(bytes(&255u8), [131, 97, 255]);
    assert_eq!(bytes(&256i32), [131, 98, 0, 0, 1, 0]);
    assert_eq!(bytes(&-1i64), [131, 98, 255, 255, 255, 255]);
    assert_eq!(bytes(&(1i64 << 31)), [131, 110, 4, 0, 0, 0, 0, 128]);
    assert_eq!(bytes(&(-(1i64 << 31) - 1)), [131, 110, 4, 1, 1, 0, 0, 128]);
    assert_eq!(bytes(&i64::MIN), [131, 110, 8, 1, 0, 0, 0, 0, 0, 0, 0, 128]);
    assert_eq!(bytes(&u128::MAX)[..4], [131, 110, 16, 0]);
    assert_eq!(bytes(&crate::BigInt::new(true, &[5, 0, 0])), [131, 98, 255, 255, 255, 251]);
}

#[test]
fn floats_atoms_binaries() {
    assert_eq!(bytes(&1.5f64), [131, 70, 63, 248, 0, 0, 0, 0, 0, 0]);
    assert_eq!(encode(&f64::NAN, &mut [0; 16]), Err(EncodeError::NonFiniteFloat));
    assert_eq!(bytes(&true), [131, 119, 4, b't', b'r', b'u', b'e']);
    assert_eq!(bytes(&None::<u8>)[..3], [131, 119, 9]);
    assert_eq!(bytes("hi"), [131, 109, 0, 0, 0, 2, b'h', b'i']);
    assert_eq!(bytes(&[1u8, 2][..]), [131, 109, 0, 0, 0, 2, 1, 2]);
    assert_eq!(bytes(&[1u16, 2]), [131, 107, 0, 2, 1, 2]);
    assert_eq!(bytes(&[1000u16]), [131, 108, 0, 0, 0, 1, 98, 0, 0, 3, 232, 106]);
    assert_eq!(bytes(&ErlString("hé")), [131, 107, 0, 2, b'h', 233]);
    assert_eq!(bytes(&ErlString("€")), [131, 108, 0, 0, 0, 1, 98, 0, 0, 0x20, 0xac, 106]);
    assert_eq!(bytes(&crate::BitBinary::new(&[0xff], 3)), [131, 77, 0, 0, 0, 1, 3, 0xe0]);
    let mut buf = [0u8; 16];
    let n = encode_with(&Atom::new("é"), &mut buf, AtomEncoding::Latin1).unwrap();
    assert_eq!(&buf[..n], [131, 100, 0, 1, 233]);
    let n = encode_with(&Atom::new("€"), &mut buf, AtomEncoding::Latin1).unwrap();
    assert_eq!(&buf[..n], [131, 119, 3, 0xe2, 0x82, 0xac]);
}

#[test]
fn containers() {
    assert_eq!(bytes(&(Atom::new("ok"), 1u8)), [131, 104, 2, 119, 2, b'o', b'k', 97, 1]);
    assert_eq!(bytes(&()), [131, 104, 0]);
    assert_eq!(bytes::<[u32; 0]>(&[]), [131, 106]);
    let tail = Atom::new("t");
    assert_eq!(
        bytes(&ImproperList { elements: &[300u32], tail: &tail }),
        [131, 108, 0, 0, 0, 1, 98, 0, 0, 1, 44, 119, 1, b't']
    );
    let pairs = [(1u8, "a"), (2, "b")];
    let map = bytes(&MapFrom(pairs.iter().copied()));
    assert_eq!(decode(&map).unwrap().to_string(), "#{1 => <<97>>,2 => <<98>>}");
    let big = [7u8; 300];
    assert_eq!(bytes(&(1u8, &big[..]))[..5], [131, 104, 2, 97, 1]);
}

#[test]
fn headers_must_match_their_contents() {
    let mut buf = [0u8; 32];
    let mut e = Encoder::new(SliceWriter::new(&mut buf));
    assert_eq!(e.tuple(2, |e| e.integer(1)), Err(EncodeError::CountMismatch { declared: 2, written: 1 }));
    let mut e = Encoder::new(SliceWriter::new(&mut buf));
    assert_eq!(e.map(1, |e| e.integer(1)), Err(EncodeError::CountMismatch { declared: 2, written: 1 }));
    let mut e = Encoder::new(SliceWriter::new(&mut buf));
    assert_eq!(
        e.list(1, |e| {
            e.integer(1)?;
            e.integer(2)
        }),
        Err(EncodeError::CountMismatch { declared: 2, written: 3 })
    );
    let mut e = Encoder::new(SliceWriter::new(&mut buf));
    e.version().unwrap();
    e.tuple(2, |e| {
        e.atom("ok")?;
        e.list(2, |e| {
            e.tuple(1, |e| e.integer(7))?;
            e.string(b"ab")
        })
    })
    .unwrap();
    let written = e.into_inner().finish().unwrap();
    assert_eq!(decode(written).unwrap().to_string(), "{ok,[{7},[97,98]]}");
}

#[test]
fn too_small_buffers_and_heapless() {
    let value = (Atom::new("hello"), [1u32, 2, 3], "text");
    let len = encoded_len(&value).unwrap();
    for size in 0..len {
        let mut buf = std::vec![0u8; size];
        assert_eq!(encode(&value, &mut buf), Err(EncodeError::BufferTooSmall { needed: len }));
    }
    let fixed = encode_to_heapless::<64, _>(&value).unwrap();
    assert_eq!(fixed.len(), len);
    assert_eq!(encode_to_heapless::<8, _>(&value), Err(EncodeError::BufferTooSmall { needed: len }));
}

#[test]
fn reencoding_a_view_gives_its_bytes() {
    let input = [131, 104, 3, 100, 0, 2, b'o', b'k', 108, 0, 0, 0, 1, 97, 1, 97, 2, 70, 63, 248, 0, 0, 0, 0, 0, 0];
    let term = decode(&input).unwrap();
    assert_eq!(bytes(&term), input);
    // Normalised leaves are written as Erlang writes them.
    assert_eq!(bytes(&decode(&[131, 98, 0, 0, 0, 5]).unwrap()), [131, 97, 5]);
    assert_eq!(bytes(&decode(&[131, 77, 0, 0, 0, 1, 3, 255]).unwrap()), [131, 77, 0, 0, 0, 1, 3, 224]);
}

#[test]
fn binaries_and_atoms_of_every_short_length() {
    // The slice writer copies up to 16 bytes in place (overlapping moves): every length
    // around its cases, byte for byte.
    let text: std::vec::Vec<u8> = (0..40u8).map(|i| b'a' + i % 26).collect();
    for n in 0..text.len() {
        let part = &text[..n];
        let mut expected = std::vec![131, 109];
        expected.extend_from_slice(&(n as u32).to_be_bytes());
        expected.extend_from_slice(part);
        assert_eq!(bytes(part), expected, "binary of {n} bytes");
        let atom = core::str::from_utf8(part).unwrap();
        let mut expected = std::vec![131, 119, n as u8];
        expected.extend_from_slice(part);
        assert_eq!(bytes(&Atom::new(atom)), expected, "atom of {n} bytes");
        let mut buf = [0u8; 64];
        let mut e = Encoder::new(SliceWriter::new(&mut buf));
        e.atom(atom).unwrap();
        assert_eq!(e.into_inner().finish().unwrap(), &expected[1..], "Encoder::atom of {n} bytes");
    }
}

/// Something that mimics an atom's serde capture with text that is not UTF-8.
#[cfg(feature = "serde")]
struct ForgedAtom(&'static [u8]);

#[cfg(feature = "serde")]
impl serde::Serialize for ForgedAtom {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Raw(&'static [u8]);
        impl serde::Serialize for Raw {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(self.0)
            }
        }
        s.serialize_newtype_struct("$erlport_codec::atom", &(true, Raw(self.0)))
    }
}

#[cfg(feature = "serde")]
#[test]
fn an_atom_capture_of_text_not_utf8_is_refused() {
    let mut buf = [0u8; 16];
    assert!(matches!(crate::to_slice(&ForgedAtom(&[0xff, 0xfe]), &mut buf), Err(EncodeError::Unsupported(_))));
    let n = crate::to_slice(&ForgedAtom("ok".as_bytes()), &mut buf).unwrap();
    assert_eq!(&buf[..n], [131, 119, 2, b'o', b'k']);
}

#[test]
fn a_float_erlang_cannot_hold_prints_and_is_refused_by_the_encoder() {
    use crate::Term;
    for (value, text) in [(f64::NAN, "nan"), (f64::INFINITY, "inf"), (f64::NEG_INFINITY, "-inf")] {
        assert_eq!(Term::Float(value).to_string(), text);
        let mut buf = [0u8; 16];
        assert_eq!(encode(&Term::Float(value), &mut buf), Err(EncodeError::NonFiniteFloat));
    }
}
