//! The serde mapping against a real Erlang VM: Erlang writes each term and we read the Rust
//! value expected; we write each value and Erlang's `binary_to_term` gives the term expected
//! (`=:=`), byte for byte the same as `term_to_binary` wherever the mapping allows.
#![cfg(all(feature = "serde", feature = "std"))]

mod common;

use erlport_codec::{
    Atom, DeserializeError, EncodeError, ErlString, ImproperList, MAX_DEPTH, Map, Pid, Term, decode, from_bytes,
    from_term, serialized_len, to_slice, to_vec,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct User {
    age: u32,
    name: String,
    tags: Vec<String>,
}

#[derive(Deserialize, Debug, PartialEq)]
struct BorrowedUser<'a> {
    name: &'a str,
    #[serde(with = "serde_bytes")]
    avatar: &'a [u8],
    email: Option<&'a str>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum Color {
    Red,
    DarkBlue,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
#[serde(rename_all = "snake_case")]
enum Shape {
    Empty,
    Circle(f64),
    Rect(u32, u32),
    Polygon { sides: u8, color: Color },
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Point(i32, i32);

#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(rename_all = "snake_case")]
enum Errno {
    Enoent,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Meters(f64);

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Marker;

#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
struct Strict {
    a: i64,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct WithOption {
    a: i64,
    b: Option<i64>,
}

#[derive(Deserialize, Debug)]
struct Envelope<'a> {
    #[serde(borrow)]
    kind: Atom<'a>,
    #[serde(borrow)]
    payload: Term<'a>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Big {
    small: i128,
    huge: u128,
}

/// One check: the Erlang text, what to do with Erlang's bytes of it, and our bytes of the
/// value (with whether they must equal Erlang's).
type Read = Box<dyn Fn(&[u8]) -> Result<(), String>>;

struct Case {
    text: &'static str,
    read: Option<Read>,
    write: Option<(Vec<u8>, bool)>,
}

/// Reads Erlang's bytes of `text` as a `T` and compares with `value`.
fn reads<T>(text: &'static str, value: T) -> Case
where
    T: for<'de> Deserialize<'de> + PartialEq + Debug + 'static,
{
    Case {
        text,
        read: Some(Box::new(move |bytes| {
            let got: T = from_bytes(bytes).map_err(|e| format!("{text}: {e}"))?;
            if got == value { Ok(()) } else { Err(format!("{text}: read {got:?}, expected {value:?}")) }
        })),
        write: None,
    }
}

/// Writes `value` and has Erlang compare it with `text`: `exact` also asks for Erlang's bytes.
fn writes<T: Serialize>(text: &'static str, value: &T, exact: bool) -> Case {
    let bytes = to_vec(value).unwrap_or_else(|e| panic!("{text}: {e}"));
    assert_eq!(serialized_len(value), Ok(bytes.len()), "{text}: serialized_len");
    Case { text, read: None, write: Some((bytes, exact)) }
}

/// Both ways.
fn both<T>(text: &'static str, value: T, exact: bool) -> Vec<Case>
where
    T: for<'de> Deserialize<'de> + Serialize + PartialEq + Debug + 'static,
{
    let write = writes(text, &value, exact);
    vec![reads(text, value), write]
}

fn cases() -> Vec<Case> {
    let user = User { age: 37, name: "Ann".into(), tags: vec!["a".into(), "bc".into()] };
    let mut cases = Vec::new();
    for group in [
        both("true", true, true),
        both("false", false, true),
        both("0", 0u8, true),
        both("255", 255u8, true),
        both("-1", -1i8, true),
        both("70000", 70000u32, true),
        both("-2147483648", i32::MIN, true),
        both("9223372036854775807", i64::MAX, true),
        both("-9223372036854775808", i64::MIN, true),
        both("18446744073709551615", u64::MAX, true),
        both("170141183460469231731687303715884105727", i128::MAX, true),
        both("-170141183460469231731687303715884105728", i128::MIN, true),
        both("340282366920938463463374607431768211455", u128::MAX, true),
        both("1.5", 1.5f64, true),
        both("-0.25", -0.25f32, true),
        both("97", 'a', true),
        both("<<\"héllo\"/utf8>>", "héllo".to_string(), true),
        both("<<>>", String::new(), true),
        both("ok", (), true),
        both("undefined", None::<i32>, true),
        both("5", Some(5), true),
        both("[]", Vec::<i64>::new(), true),
        // A list of small integers is a STRING_EXT, as Erlang writes it.
        both("[1,2,3]", vec![1u8, 2, 3], true),
        both("[1,2,300]", vec![1u16, 2, 300], true),
        both("[<<\"a\">>,<<\"b\">>]", vec!["a".to_string(), "b".to_string()], true),
        both("{1,<<\"x\">>,true}", (1u8, "x".to_string(), true), true),
        both("{1,2}", Point(1, 2), true),
        both("2.5", Meters(2.5), true),
        both("ok", Marker, true),
        both("#{age => 37,name => <<\"Ann\">>,tags => [<<\"a\">>,<<\"bc\">>]}", user.clone(), true),
        both("[#{age => 37,name => <<\"Ann\">>,tags => [<<\"a\">>,<<\"bc\">>]}]", vec![user.clone()], true),
        both("red", Color::Red, true),
        both("dark_blue", Color::DarkBlue, true),
        both("empty", Shape::Empty, true),
        both("{circle,1.5}", Shape::Circle(1.5), true),
        both("{rect,2,3}", Shape::Rect(2, 3), true),
        both("{polygon,#{sides => 6,color => red}}", Shape::Polygon { sides: 6, color: Color::Red }, false),
        both("{polygon,#{color => red,sides => 6}}", Shape::Polygon { sides: 6, color: Color::Red }, false),
        both("{ok,5}", Ok::<i64, String>(5), true),
        both("ok", Ok::<(), String>(()), true),
        both("{error,enoent}", Err::<(), Color>(Color::Red).map_err(|_| Errno::Enoent), true),
        both("{error,<<\"bad\">>}", Err::<i64, String>("bad".into()), true),
        both("{error,dark_blue}", Err::<i64, Color>(Color::DarkBlue), true),
        both(
            "#{1 => <<\"one\">>,2 => <<\"two\">>}",
            BTreeMap::from([(1, "one".to_string()), (2, "two".to_string())]),
            true,
        ),
        both("#{<<\"k\">> => [1]}", HashMap::from([("k".to_string(), vec![1u8])]), true),
        both("#{a => 1,b => undefined}", WithOption { a: 1, b: None }, true),
        both("#{a => 1,b => 2}", WithOption { a: 1, b: Some(2) }, true),
        both(
            "#{huge => 340282366920938463463374607431768211455,small => -5}",
            Big { small: -5, huge: u128::MAX },
            false,
        ),
        both("{1,{2,{3}}}", (1, (2, (3,))), true),
    ] {
        cases.extend(group);
    }
    // What Erlang and Elixir write that reads into the same Rust values.
    cases.extend([
        reads("nil", None::<i32>),
        reads("\"abc\"", "abc".to_string()),
        reads("[104,233,8364]", "hé€".to_string()),
        reads("'hello world'", "hello world".to_string()),
        reads("[]", String::new()),
        reads("3", 3.0f64),
        reads("-12345678901234567890", -12345678901234567890.0f64),
        reads("<<1,2,3>>", vec![1u8, 2, 3]),
        reads("[{a,1},{b,2}]", vec![("a".to_string(), 1i64), ("b".to_string(), 2)]),
        reads("[{a,1},{b,2}]", BTreeMap::from([("a".to_string(), 1i64), ("b".to_string(), 2)])),
        reads("[{a,1}]", Strict { a: 1 }),
        reads("#{<<\"a\">> => 1}", Strict { a: 1 }),
        reads("#{a => 1,'__struct__' => 'Elixir.Strict'}", Strict { a: 1 }),
        reads("#{a => 1,c => 3}", WithOption { a: 1, b: None }),
        reads("#{a => 1}", WithOption { a: 1, b: None }),
        reads("#{a => 1,b => nil}", WithOption { a: 1, b: None }),
        reads("{1,2,3}", [1u8, 2, 3]),
        reads("[1,2,3]", [1u8, 2, 3]),
        reads("<<\"é\"/utf8>>", 'é'),
        reads("[1|[2|[3]]]", vec![1, 2, 3]),
    ]);
    // What Erlang writes for a value in two ways: ours is the same term, other bytes.
    cases.extend([
        writes("<<1,2,3>>", &serde_bytes::Bytes::new(&[1, 2, 3]), true),
        writes("\"abc\"", &ErlString("abc"), true),
        writes("[1,2|3]", &ImproperList { elements: &[1, 2], tail: &3 }, true),
        writes("[1,2,3]", &(1..=3).collect::<std::collections::VecDeque<_>>(), true),
        writes("[a,b]", &Iter(&["a", "b"]), false),
    ]);
    cases
}

/// A sequence of unknown length (serde's `collect_seq` of a filter), of atoms.
struct Iter<'a>(&'a [&'static str]);

impl Serialize for Iter<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().filter(|_| true).map(|&text| Atom::new(text)))
    }
}

#[test]
fn erlang_writes_and_we_read_the_expected_values() {
    if !common::erl_available() {
        return;
    }
    let cases: Vec<Case> = cases().into_iter().filter(|c| c.read.is_some()).collect();
    let texts: Vec<&str> = cases.iter().map(|c| c.text).collect();
    let failures: Vec<String> = cases
        .iter()
        .zip(common::erlang_writes(&texts))
        .filter_map(|(case, bytes)| case.read.as_ref().and_then(|read| read(&bytes).err()))
        .collect();
    assert!(failures.is_empty(), "{} of {} failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[test]
fn we_write_and_erlang_reads_the_expected_terms() {
    if !common::erl_available() {
        return;
    }
    let lines: Vec<String> = cases()
        .into_iter()
        .filter_map(|case| case.write.map(|(bytes, exact)| (case.text, bytes, exact)))
        .map(|(text, bytes, exact)| format!("{}\t{}\t{text}", if exact { "mv2" } else { "eq" }, common::to_hex(&bytes)))
        .collect();
    common::encode_check("typed-written.tsv", &lines.join("\n"), lines.len());
}

#[test]
fn borrowed_fields_point_into_the_input() {
    let bytes = common::atom_map(&[("avatar", Term::Binary(&[1, 2])), ("name", Term::Binary(b"Bo"))]);
    let user: BorrowedUser = from_bytes(&bytes).unwrap();
    assert_eq!(user, BorrowedUser { name: "Bo", avatar: &[1, 2], email: None });
    let range = bytes.as_ptr_range();
    assert!(range.contains(&user.name.as_ptr()) && range.contains(&user.avatar.as_ptr()));
}

#[test]
fn a_term_field_is_captured_and_written_back_byte_for_byte() {
    // {kind, {1, [a | b], #{x => <<"y">>}}} with the payload as written by hand: a latin-1 atom.
    let payload = [
        104, 3, 97, 1, 108, 0, 0, 0, 1, 100, 0, 1, b'a', 100, 0, 1, b'b', 116, 0, 0, 0, 1, 119, 1, b'x', 109, 0, 0, 0,
        1, b'y',
    ];
    let mut bytes = vec![131, 116, 0, 0, 0, 2, 119, 4, b'k', b'i', b'n', b'd', 119, 3, b'e', b'v', b't', 119, 7];
    bytes.extend_from_slice(b"payload");
    bytes.extend_from_slice(&payload);
    let envelope: Envelope = from_bytes(&bytes).unwrap();
    assert!(envelope.kind.as_str() == Some("evt"));
    assert_eq!(envelope.payload.to_string(), "{1,[a|b],#{x => <<121>>}}");
    let again = to_vec(&envelope.payload).unwrap();
    assert_eq!(&again[1..], &payload[..]);
    // Every kind of view, as a field and alone.
    let pid_bytes = [131, 88, 119, 1, b'n', 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
    let pid: Pid = from_bytes(&pid_bytes).unwrap();
    assert_eq!(to_vec(&pid).unwrap(), pid_bytes);
    let six = to_vec(&(1, 2.5, "x", Atom::new("a"), u128::MAX, ())).unwrap();
    let terms: (Term, Term, Term, Term, Term, Term) = from_bytes(&six).unwrap();
    assert_eq!(to_vec(&terms).unwrap(), six);
    let map_error = from_bytes::<Map>(&[131, 97, 1]).unwrap_err();
    assert_eq!(map_error.to_string(), "expected a map, found the integer 1");
    // The elements of a charlist (STRING_EXT), as Erlang writes [21] or "abc", captured one by one.
    let elements: Vec<Term> = from_bytes(&[131, 107, 0, 3, b'a', b'b', 21]).unwrap();
    assert_eq!(elements.iter().map(|t| t.as_i64()).collect::<Vec<_>>(), [Some(97), Some(98), Some(21)]);
    let tagged: Vec<(Term, Option<u8>)> = from_bytes(&[131, 108, 0, 0, 0, 1, 104, 2, 97, 1, 97, 2, 106]).unwrap();
    assert_eq!((tagged[0].0.as_i64(), tagged[0].1), (Some(1), Some(2)));
    // A leaf handed to from_term.
    for leaf in [Term::Integer(7), Term::Float(0.5), Term::Atom(Atom::new("é")), Term::Binary(b"b"), Term::Nil] {
        let captured: Term = from_term(leaf).unwrap();
        assert_eq!(to_vec(&captured).unwrap(), erlport_codec::encode_to_vec(&leaf).unwrap());
    }
}

#[test]
fn errors_say_where_and_what_in_erlang_words() {
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Post {
        tags: Vec<String>,
    }
    // [#{tags => []}, #{tags => []}, #{tags => []}, #{tags => [<<"a">>, 7]}]
    let ok = common::atom_map(&[("tags", Term::Nil)]);
    let tags = to_vec(&(Term::Binary(b"a"), 7)).unwrap();
    let Term::Tuple(tags) = decode(&tags).unwrap() else { unreachable!() };
    let tags: Vec<Term> = tags.iter().collect();
    let bad = common::atom_map(&[("tags", decode(&to_vec(&tags).unwrap()).unwrap())]);
    let (ok, bad) = (decode(&ok).unwrap(), decode(&bad).unwrap());
    let bytes = to_vec(&[ok, ok, ok, bad][..]).unwrap();
    let error = from_bytes::<Vec<Post>>(&bytes).unwrap_err();
    assert_eq!(error.to_string(), "at [3].tags[1]: expected a binary, an atom or a charlist, found the integer 7");
    assert_eq!(error.path(), "[3].tags[1]");
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (to_vec(&300).unwrap(), "expected an integer in 0..=255 (u8), found the integer 300 (out of range)"),
        (to_vec(&Atom::new("maybe")).unwrap(), "expected true or false, found the atom maybe"),
        (to_vec(&(1, 2)).unwrap(), "invalid length 2, expected a tuple of size 3"),
        (vec![131, 107, 0, 1, 7], "expected a binary, an atom or a charlist, found the integer 7"),
    ];
    assert_eq!(from_bytes::<u8>(&cases[0].0).unwrap_err().to_string(), cases[0].1);
    assert_eq!(from_bytes::<bool>(&cases[1].0).unwrap_err().to_string(), cases[1].1);
    assert!(from_bytes::<(u8, u8, u8)>(&cases[2].0).is_err());
    assert_eq!(
        from_bytes::<WithOption>(&to_vec(&BTreeMap::from([("a", "x")])).unwrap()).unwrap_err().to_string(),
        "at a: expected an integer that fits an i64, found the binary <<\"x\">>"
    );
    assert_eq!(
        from_bytes::<Strict>(&to_vec(&BTreeMap::from([("a", 1), ("z", 2)])).unwrap()).unwrap_err().to_string(),
        "at z: unknown field `z`, expected `a`"
    );
    assert_eq!(
        from_bytes::<Shape>(&to_vec(&(Atom::new("circle"), 1, 2)).unwrap()).unwrap_err().to_string(),
        "expected {circle, Value}, found a tuple of circle and 2 values"
    );
    assert_eq!(
        from_bytes::<Result<i32, i32>>(&to_vec(&(Atom::new("maybe"), 1)).unwrap()).unwrap_err().to_string(),
        "expected ok or error, found the atom maybe"
    );
    // Not a term at all: the decode error, as decode gives it.
    let error = from_bytes::<u8>(&[131, 104]).unwrap_err();
    assert!(error.decode_error().is_some_and(|e| e.is_incomplete()));
}

#[test]
fn a_long_path_keeps_its_innermost_part() {
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Node {
        child: Option<Box<Node>>,
        value_with_a_rather_long_name: u8,
    }
    // 40 levels of #{child => ...}, the innermost value is an atom.
    let mut bytes = common::atom_map(&[("value_with_a_rather_long_name", Term::Atom(Atom::new("x")))]);
    for _ in 0..40 {
        bytes = common::atom_map(&[("child", decode(&bytes).unwrap())]);
    }
    let error = from_bytes::<Node>(&bytes).unwrap_err();
    let text = error.to_string();
    assert!(text.starts_with("at ...") && text.contains(".value_with_a_rather_long_name: "), "{text}");
    assert!(error.path().len() <= erlport_codec::MAX_PATH);
}

#[test]
fn deep_input_is_an_error_not_a_crash() {
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    enum Tree {
        Leaf,
        Node(Vec<Tree>),
    }
    // {'Node', [{'Node', [ ... ]}]} 100,000 deep, and [[[...]]] 1,000,000 deep.
    let depth = 100_000;
    let mut bytes = vec![131];
    for _ in 0..depth {
        bytes.extend_from_slice(&[104, 2, 119, 4, b'N', b'o', b'd', b'e', 108, 0, 0, 0, 1]);
    }
    bytes.extend_from_slice(&[119, 4, b'L', b'e', b'a', b'f']);
    bytes.extend(std::iter::repeat_n([106, 106], depth).flatten().take(depth));
    let error = from_bytes::<Tree>(&bytes).unwrap_err();
    assert!(error.to_string().contains(&format!("nested more than {MAX_DEPTH} containers deep")), "{error}");
    let mut lists = vec![131];
    lists.extend(std::iter::repeat_n([108, 0, 0, 0, 1], 1_000_000).flatten());
    lists.push(106);
    lists.extend(std::iter::repeat_n(106, 1_000_000));
    let error = from_bytes::<serde::de::IgnoredAny>(&lists).map(|_| ()).err();
    assert!(error.is_none(), "ignoring a deep term does not recurse");
    assert!(from_bytes::<Vec<Vec<Vec<u8>>>>(&lists).is_err());
}

#[test]
fn none_as_nil_for_elixir() {
    use erlport_codec::{Encoder, Serializer};
    let mut encoder = Encoder::new(Vec::new());
    encoder.version().unwrap();
    Serializer::new(&mut encoder).none_as_nil(true).write(&WithOption { a: 1, b: None }).unwrap();
    let bytes = encoder.into_inner();
    assert_eq!(decode(&bytes).unwrap().to_string(), "#{a => 1,b => nil}");
    assert_eq!(from_bytes::<WithOption>(&bytes).unwrap(), WithOption { a: 1, b: None });
}

#[test]
fn to_slice_says_how_much_room_is_needed() {
    let user = User { age: 1, name: "x".into(), tags: vec![] };
    let len = serialized_len(&user).unwrap();
    let mut buf = vec![0u8; len];
    assert_eq!(to_slice(&user, &mut buf), Ok(len));
    assert_eq!(to_slice(&user, &mut buf[..len - 1]), Err(EncodeError::BufferTooSmall { needed: len }));
    assert_eq!(to_vec(&f64::NAN), Err(EncodeError::NonFiniteFloat));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    #[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
    #[serde(rename_all = "snake_case")]
    enum Value {
        Unit,
        Int(i64),
        Wide(i128),
        Float(f64),
        Text(String),
        Bytes(#[serde(with = "serde_bytes")] Vec<u8>),
        List(Vec<Value>),
        Pair(Box<Value>, Box<Value>),
        Record { id: u32, label: Option<String>, flags: Vec<bool> },
        Map(BTreeMap<String, Value>),
        Maybe(Option<u8>),
        Outcome(Result<u16, String>),
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Unit),
            any::<i64>().prop_map(Value::Int),
            any::<i128>().prop_map(Value::Wide),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::Float),
            ".{0,12}".prop_map(Value::Text),
            proptest::collection::vec(any::<u8>(), 0..20).prop_map(Value::Bytes),
            any::<Option<u8>>().prop_map(Value::Maybe),
            any::<Result<u16, String>>().prop_map(Value::Outcome),
            (any::<u32>(), any::<Option<String>>(), proptest::collection::vec(any::<bool>(), 0..4))
                .prop_map(|(id, label, flags)| Value::Record { id, label, flags }),
        ];
        leaf.prop_recursive(6, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::List),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| Value::Pair(Box::new(a), Box::new(b))),
                proptest::collection::btree_map(".{0,6}", inner, 0..6).prop_map(Value::Map),
            ]
        })
    }

    proptest! {
        #[test]
        fn values_come_back_and_the_length_is_exact(v in value()) {
            let bytes = to_vec(&v).unwrap();
            prop_assert_eq!(serialized_len(&v).unwrap(), bytes.len());
            prop_assert!(decode(&bytes).is_ok());
            let back: Value = from_bytes(&bytes).unwrap();
            prop_assert_eq!(back, v);
        }

        #[test]
        fn any_bytes_give_a_value_or_an_error(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut input = vec![131];
            input.extend(bytes);
            let _ = from_bytes::<Value>(&input);
            let _ = from_bytes::<(String, Vec<u8>, HashMap<String, i64>)>(&input);
            let _ = from_bytes::<Term>(&input);
        }
    }

    #[test]
    fn errors_are_not_allocations() {
        // The error is a fixed size: no Box, no String.
        assert!(std::mem::size_of::<DeserializeError>() < 256);
    }
}
