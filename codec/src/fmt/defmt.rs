//! `defmt::Format` for the views (feature `defmt`): Erlang-like text, nested containers shown
//! to a depth of 8 and `...` below, so logging a term costs bounded stack.

use crate::term::{Atom, BigInt, BitBinary, Export, Fun, List, Map, Pid, PortId, Reference, Term, Tuple};
use defmt::{Format, Formatter, write};

const MAX_DEPTH: usize = 8;

struct Nested<'t, 'a>(&'t Term<'a>, usize);

impl Format for Nested<'_, '_> {
    fn format(&self, f: Formatter<'_>) {
        let Nested(term, depth) = *self;
        if depth >= MAX_DEPTH {
            return write!(f, "...");
        }
        match term {
            Term::Integer(v) => write!(f, "{=i64}", v),
            Term::BigInt(b) => b.format(f),
            Term::Float(v) => write!(f, "{=f64}", v),
            Term::Atom(a) => a.format(f),
            Term::Binary(b) => write!(f, "<<{=[u8]}>>", b),
            Term::BitBinary(b) => b.format(f),
            Term::Nil => write!(f, "[]"),
            Term::List(l) => {
                write!(f, "[");
                let mut iter = l.iter();
                for (i, e) in iter.by_ref().enumerate() {
                    if i > 0 {
                        write!(f, ",");
                    }
                    write!(f, "{}", Nested(&e, depth + 1));
                }
                let tail = iter.tail();
                if !matches!(tail, Term::Nil) {
                    write!(f, "|{}", Nested(&tail, depth + 1));
                }
                write!(f, "]")
            }
            Term::Tuple(t) => {
                write!(f, "{{");
                for (i, e) in t.iter().enumerate() {
                    if i > 0 {
                        write!(f, ",");
                    }
                    write!(f, "{}", Nested(&e, depth + 1));
                }
                write!(f, "}}")
            }
            Term::Map(m) => {
                write!(f, "#{{");
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        write!(f, ",");
                    }
                    write!(f, "{} => {}", Nested(&k, depth + 1), Nested(&v, depth + 1));
                }
                write!(f, "}}")
            }
            Term::Pid(p) => p.format(f),
            Term::Port(p) => p.format(f),
            Term::Reference(r) => r.format(f),
            Term::Fun(x) => x.format(f),
            Term::Export(x) => x.format(f),
        }
    }
}

impl Format for Term<'_> {
    fn format(&self, f: Formatter<'_>) {
        Nested(self, 0).format(f)
    }
}

impl Format for Atom<'_> {
    fn format(&self, f: Formatter<'_>) {
        match self.as_str() {
            Some(text) => write!(f, "{=str}", text),
            None => write!(f, "latin1{=[u8]}", self.as_bytes()),
        }
    }
}

impl Format for BigInt<'_> {
    fn format(&self, f: Formatter<'_>) {
        match self.to_i128() {
            Some(v) => write!(f, "{=i128}", v),
            None => write!(f, "{=bool}bigint(le {=[u8]})", self.is_negative(), self.magnitude()),
        }
    }
}

impl Format for BitBinary<'_> {
    fn format(&self, f: Formatter<'_>) {
        let bytes = self.bytes();
        write!(
            f,
            "<<{=[u8]},{=u8}:{=u8}>>",
            &bytes[..bytes.len().saturating_sub(1)],
            self.last_byte(),
            self.bits_in_last_byte()
        )
    }
}

macro_rules! via_term {
    ($($t:ident),*) => {$(
        impl Format for $t<'_> {
            fn format(&self, f: Formatter<'_>) {
                Term::$t(*self).format(f)
            }
        }
    )*};
}
via_term!(List, Tuple, Map);

impl Format for Pid<'_> {
    fn format(&self, f: Formatter<'_>) {
        write!(f, "<{}.{=u32}.{=u32}>", self.node(), self.id(), self.serial())
    }
}

impl Format for PortId<'_> {
    fn format(&self, f: Formatter<'_>) {
        write!(f, "#Port<{}.{=u64}>", self.node(), self.id())
    }
}

impl Format for Reference<'_> {
    fn format(&self, f: Formatter<'_>) {
        write!(f, "#Ref<{}", self.node());
        for id in self.ids() {
            write!(f, ".{=u32}", id);
        }
        write!(f, ">")
    }
}

impl Format for Fun<'_> {
    fn format(&self, f: Formatter<'_>) {
        write!(f, "#Fun<{}.{=i64}.{=i64}>", self.module(), self.old_index(), self.old_uniq())
    }
}

impl Format for Export<'_> {
    fn format(&self, f: Formatter<'_>) {
        write!(f, "fun {}:{}/{=u64}", self.module(), self.function(), self.arity())
    }
}
