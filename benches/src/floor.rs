//! The floor under a hand-written recursive walk of input a (`lists:seq(1, 100000)`): the
//! least any iterator can cost. A bare view (a 24-byte enum) and an iterator that knows only
//! the two integer tags, with no validation and one length check a step (its slice pattern), under the same
//! user code as `walk_recursive`: one recursive call per element. `target/release/floor`
//! prints nanoseconds a round; set beside ERTS's `binary_to_term` of a (`paired`), it bounds
//! what recursion over views can reach on a, validation not even counted.

use std::hint::black_box;
use std::time::Instant;

/// The least a view can be: a tag and what a leaf or a container needs. Input a holds only
/// integers; the other kinds are here so that the view and the user's `match` have the size
/// and shape of a real one (the walk reads its root through `black_box`).
#[allow(dead_code)]
#[derive(Clone, Copy)]
enum View<'a> {
    Integer(i64),
    Float(f64),
    Atom(&'a [u8]),
    Binary(&'a [u8]),
    Nil,
    List(&'a [u8], u32),
    Tuple(&'a [u8], u32),
    Map(&'a [u8], u32),
}

/// The least an iterator over a list of integers can do: look at the tag, read the value,
/// move on.
struct Items<'a> {
    rest: &'a [u8],
    left: u32,
}

impl<'a> Iterator for Items<'a> {
    type Item = View<'a>;

    #[inline]
    fn next(&mut self) -> Option<View<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        match self.rest {
            [97, v, rest @ ..] => {
                self.rest = rest;
                Some(View::Integer(i64::from(*v)))
            }
            [98, a, b, c, d, rest @ ..] => {
                self.rest = rest;
                Some(View::Integer(i64::from(i32::from_be_bytes([*a, *b, *c, *d]))))
            }
            _ => None,
        }
    }
}

/// `walk_recursive`'s shape over the bare views.
fn walk(view: &View<'_>) -> u64 {
    match view {
        View::List(rest, left) | View::Tuple(rest, left) | View::Map(rest, left) => {
            Items { rest, left: *left }.fold(0u64, |acc, v| acc.wrapping_add(walk(&v)))
        }
        View::Integer(v) => *v as u64,
        View::Float(v) => v.to_bits(),
        View::Atom(a) | View::Binary(a) => a.len() as u64,
        View::Nil => 1,
    }
}

fn main() {
    let bytes = erlport_benches::input("a");
    // 131, LIST_EXT, a 4-byte count, the elements.
    let count = u32::from_be_bytes(bytes[2..6].try_into().expect("a is a list"));
    let root = View::List(&bytes[6..], count);
    let rounds = 2_000u32;
    let mut total = walk(&root);
    let start = Instant::now();
    for _ in 0..rounds {
        total = total.wrapping_add(walk(black_box(&root)));
    }
    println!("floor: {:.0} ns a round of a ({total})", start.elapsed().as_nanos() as f64 / f64::from(rounds));
}
