//! Compressed terms (tag 80): hostile inputs are refused clearly and cheaply, and what we
//! compress decodes (here and, in `encode_properties`, in Erlang).

use erlport_codec::{DecodeErrorKind as K, Decoder, compressed_size};

/// term_to_binary(lists:duplicate(100, $a), [compressed]) from Erlang/OTP 25.
const ERLANG_100_A: [u8; 20] = [131, 80, 0, 0, 0, 103, 120, 156, 203, 102, 72, 73, 164, 3, 0, 0, 204, 203, 38, 180];

fn kind(input: &[u8], scratch: usize) -> K {
    let mut scratch = vec![0u8; scratch];
    Decoder::new().scratch(&mut scratch).decode_prefix(input).expect_err("refused").kind()
}

fn with_size(size: u32) -> Vec<u8> {
    let mut bytes = ERLANG_100_A.to_vec();
    bytes[2..6].copy_from_slice(&size.to_be_bytes());
    bytes
}

#[test]
fn erlang_compressed_term_decodes() {
    let mut scratch = [0u8; 103];
    let term = Decoder::new().scratch(&mut scratch).decode(&ERLANG_100_A).unwrap();
    assert_eq!(term.to_string(), format!("[{}]", ["97"; 100].join(",")));
    // Trailing bytes after the zlib stream are the input's, reported by Decoder::decode.
    let mut longer = ERLANG_100_A.to_vec();
    longer.push(0);
    let mut scratch = [0u8; 103];
    assert_eq!(Decoder::new().scratch(&mut scratch).decode_prefix(&longer).unwrap().1, 20);
    let mut scratch = [0u8; 103];
    assert_eq!(Decoder::new().scratch(&mut scratch).decode(&longer).unwrap_err().kind(), K::TrailingBytes { count: 1 });
}

#[test]
fn declared_size_must_be_exact() {
    assert_eq!(kind(&with_size(102), 200), K::InflatedSizeMismatch);
    assert_eq!(kind(&with_size(104), 200), K::InflatedSizeMismatch);
    assert_eq!(kind(&with_size(0), 200), K::InflatedSizeMismatch);
}

#[test]
fn scratch_smaller_than_declared_is_its_own_error() {
    assert_eq!(kind(&ERLANG_100_A, 102), K::ScratchTooSmall { needed: 103 });
    // 4 GiB declared, tiny scratch: refused before any work.
    assert_eq!(kind(&with_size(u32::MAX), 16), K::ScratchTooSmall { needed: u32::MAX as usize });
}

#[test]
fn broken_streams() {
    // Truncated: every strict prefix is incomplete.
    for len in 0..ERLANG_100_A.len() {
        let mut scratch = [0u8; 103];
        let e = Decoder::new().scratch(&mut scratch).decode_prefix(&ERLANG_100_A[..len]).unwrap_err();
        assert!(e.is_incomplete(), "prefix {len}: {e}");
    }
    // Corrupt Adler-32.
    let mut bad_sum = ERLANG_100_A;
    bad_sum[19] ^= 1;
    assert_eq!(kind(&bad_sum, 103), K::ChecksumMismatch);
    // Not zlib: a raw deflate stream, a gzip header, garbage.
    let mut raw = ERLANG_100_A.to_vec();
    raw.drain(6..8);
    assert_eq!(kind(&raw, 103), K::BadZlibStream);
    let mut gzip = ERLANG_100_A.to_vec();
    gzip[6..8].copy_from_slice(&[0x1f, 0x8b]);
    assert_eq!(kind(&gzip, 103), K::BadZlibStream);
    assert_eq!(kind(&[131, 80, 0, 0, 0, 5, 1, 2, 3, 4, 5, 6, 7], 5), K::BadZlibStream);
}

#[test]
fn inflated_term_is_checked_like_any_other() {
    // zlib of [104, 2, 97, 1] (a tuple missing its second element), declared 4 bytes.
    let stream = miniz_oxide::deflate::compress_to_vec_zlib(&[104, 2, 97, 1], 6);
    let mut input = vec![131, 80, 0, 0, 0, 4];
    input.extend(stream);
    let mut scratch = [0u8; 4];
    let e = Decoder::new().scratch(&mut scratch).decode_prefix(&input).unwrap_err();
    assert_eq!(e.kind(), K::InflatedTermIncomplete);
    assert!(e.is_in_inflated_term() && !e.is_incomplete());
    // A compressed term inside a compressed term: zlib of [80, 0, 0, 0, 1, 97].
    let nested = miniz_oxide::deflate::compress_to_vec_zlib(&[80, 0, 0, 0, 1, 97], 6);
    let mut input = vec![131, 80, 0, 0, 0, 6];
    input.extend(nested);
    let mut scratch = [0u8; 6];
    assert_eq!(Decoder::new().scratch(&mut scratch).decode_prefix(&input).unwrap_err().kind(), K::UnsupportedTag);
}

#[test]
fn a_zip_bomb_stops_at_the_declared_size() {
    // A zlib stream of 1 MB of zeros, claiming 10 bytes.
    let bomb = miniz_oxide::deflate::compress_to_vec_zlib(&vec![0u8; 1 << 20], 6);
    let mut input = vec![131, 80, 0, 0, 0, 10];
    input.extend(&bomb);
    let mut scratch = [0u8; 10];
    let e = Decoder::new().scratch(&mut scratch).decode_prefix(&input).unwrap_err();
    assert_eq!(e.kind(), K::InflatedSizeMismatch);
    // Only the 10-byte scratch was there to write into.
    assert!(e.offset() < input.len());
    assert_eq!(compressed_size(&input), Some(10));
}

#[cfg(feature = "alloc")]
mod with_alloc {
    use erlport_codec::{Compression, Decoder, Deflater, encode_to_vec_compressed, encoded_len};

    #[test]
    fn compresses_only_when_it_pays() {
        // Small terms are written plain, as term_to_binary(a, [compressed]) is.
        assert_eq!(
            encode_to_vec_compressed(&erlport_codec::Atom::new("a"), Compression::DEFAULT).unwrap(),
            [131, 119, 1, b'a']
        );
        let long = [7u16; 2000];
        for level in 1..=9 {
            let bytes = encode_to_vec_compressed(&long[..], Compression::new(level).unwrap()).unwrap();
            assert_eq!(bytes[1], 80, "level {level}");
            assert!(bytes.len() < encoded_len(&long[..]).unwrap());
            let mut scratch = vec![0u8; 4003];
            let term = Decoder::new().scratch(&mut scratch).decode(&bytes).unwrap();
            let erlport_codec::Term::List(list) = term else { panic!() };
            assert_eq!(list.as_string_bytes(), Some(&[7u8; 2000][..]));
        }
        let plain = encode_to_vec_compressed(&long[..], Compression::NONE).unwrap();
        assert_eq!(plain.len(), encoded_len(&long[..]).unwrap());
        assert_eq!(Compression::new(10), None);
    }

    #[test]
    fn vec_scratch_is_sized_under_a_limit() {
        let mut deflater = Deflater::new();
        let mut bytes = Vec::new();
        deflater.encode(&[1u8; 5000][..], Compression::BEST, &mut bytes).unwrap();
        let mut scratch = Vec::new();
        let (term, used) =
            Decoder::new().scratch_vec(&mut scratch).inflate_limit(1 << 20).decode_prefix(&bytes).unwrap();
        assert_eq!((term.as_binary().map(<[u8]>::len), used), (Some(5000), bytes.len()));
        let mut scratch = Vec::new();
        let e = Decoder::new().scratch_vec(&mut scratch).inflate_limit(1000).decode_prefix(&bytes).unwrap_err();
        assert_eq!(e.kind(), erlport_codec::DecodeErrorKind::CompressedTooLarge { size: 5005, limit: 1000 });
    }
}

#[test]
fn inflater_state_size_is_as_documented() {
    let size = std::mem::size_of::<erlport_codec::Inflater>();
    eprintln!("Inflater: {size} bytes");
    assert!(size <= 12 * 1024, "the docs say about 10 KiB; it is {size} bytes");
}
