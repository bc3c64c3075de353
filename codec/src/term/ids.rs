//! Identifiers and funs: pids, ports, references, funs, exports.

use super::*;

/// A view over the fields of an identifier (pid, port, reference): each is a node and its
/// creation plus fields of its own, read by `wire` on demand.
macro_rules! identifier {
    ($(#[$doc:meta])* $name:ident, $fields:ident, $parser:path, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug)]
        pub struct $name<'a> {
            pub(super) raw: &'a [u8],
        }

        impl<'a> $name<'a> {
            fn fields(&self) -> wire::$fields<'a> {
                wire::fields($parser, self.raw)
            }

            #[doc = concat!("The node ", $what, ".")]
            pub fn node(&self) -> Atom<'a> {
                self.fields().node.into()
            }

            /// The node's creation (incarnation).
            pub fn creation(&self) -> u32 {
                self.fields().creation
            }
        }
    };
}

identifier!(
    /// A process identifier (`pid()`): node, id, serial and creation.
    Pid, PidFields, wire::pid, "the process lives on"
);
identifier!(
    /// A port identifier (`port()`): node, id and creation. (Not to be confused with
    /// `erlport::Port`, the channel a port program talks to Erlang through.)
    PortId, PortFields, wire::port, "the port lives on"
);
identifier!(
    /// A reference (`reference()`): node, creation and 1 to 5 identifier words.
    Reference, ReferenceFields, wire::reference, "the reference was made on"
);

impl Pid<'_> {
    /// The process number.
    pub fn id(&self) -> u32 {
        self.fields().id
    }

    /// The serial number.
    pub fn serial(&self) -> u32 {
        self.fields().serial
    }
}

impl PortId<'_> {
    /// The port number.
    pub fn id(&self) -> u64 {
        self.fields().id
    }
}

impl<'a> Reference<'a> {
    /// The identifier words, in the order written.
    pub fn ids(&self) -> impl ExactSizeIterator<Item = u32> + 'a {
        self.fields().words.chunks_exact(4).map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
    }
}

/// A fun (closure) from `NEW_FUN_EXT`.
#[derive(Clone, Copy, Debug)]
pub struct Fun<'a> {
    /// From the fun's tag to the end of the input (to the fun's end when `exact`).
    pub(super) raw: &'a [u8],
    pub(super) exact: bool,
}

impl<'a> Fun<'a> {
    fn fields(&self) -> wire::FunFields<'a> {
        wire::fields(wire::fun, self.raw)
    }

    /// The number of arguments.
    pub fn arity(&self) -> u8 {
        self.fields().arity
    }

    /// The MD5 of the module's code that defines the fun.
    pub fn uniq(&self) -> [u8; 16] {
        self.fields().uniq
    }

    /// The fun's index in its module.
    pub fn index(&self) -> u32 {
        self.fields().index
    }

    /// The module that defines the fun.
    pub fn module(&self) -> Atom<'a> {
        self.fields().module.into()
    }

    /// The old index (an integer).
    pub fn old_index(&self) -> i64 {
        small(self.fields().old_index)
    }

    /// The old uniq (an integer).
    pub fn old_uniq(&self) -> i64 {
        small(self.fields().old_uniq)
    }

    /// Where the creator pid starts.
    fn body(&self) -> &'a [u8] {
        let (_, len) = wire::head_of(self.raw);
        self.raw.get(len..).unwrap_or(&[])
    }

    /// The process that created the fun (OTP 25 accepts any term here).
    pub fn pid(&self) -> Term<'a> {
        term_at(self.body()).0
    }

    /// The captured variables, in environment order.
    pub fn free_variables(&self) -> Elements<'a> {
        let mut elements = Elements::new(self.body(), 1 + u64::from(self.fields().free));
        elements.next();
        elements
    }
}

pub(super) fn small(value: Int<'_>) -> i64 {
    match value {
        Int::Small(v) => v,
        Int::Big { .. } => 0,
    }
}

/// An export fun, `fun Module:Function/Arity`.
#[derive(Clone, Copy, Debug)]
pub struct Export<'a> {
    pub(super) raw: &'a [u8],
}

impl<'a> Export<'a> {
    fn fields(&self) -> wire::ExportFields<'a> {
        wire::fields(wire::export, self.raw)
    }

    /// The module.
    pub fn module(&self) -> Atom<'a> {
        self.fields().module.into()
    }

    /// The function.
    pub fn function(&self) -> Atom<'a> {
        self.fields().function.into()
    }

    /// The arity (any non-negative small integer: Erlang accepts more than 255).
    pub fn arity(&self) -> u64 {
        small(self.fields().arity) as u64
    }
}
