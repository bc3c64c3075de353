//! The traits that make a closure a handler, and its parameters a list read from a request:
//! for [`Protocol`](crate::Protocol) (owned and borrowed arguments, with or without state).
//! They are implemented for closures and tuples of up to 6 arguments; the parameter lists are
//! sealed.

use super::Failure;
use super::args::{Arg, Args, BorrowedArg, arg, arity};
use serde::Serialize;

mod sealed {
    /// Implemented only here: the tuples of up to 6 parameters, and what wraps them.
    pub trait Params {}
}
use sealed::Params;

/// The state of a [`Protocol`](crate::Protocol) without one ([`Protocol::new`](crate::Protocol::new)): handlers take only the
/// message's arguments.
pub struct Stateless;

/// The state of a [`Protocol`](crate::Protocol) made by [`Protocol::with_state`](crate::Protocol::with_state): every handler takes `&mut T`
/// first.
pub struct Stateful<T>(pub(crate) T);

/// A type a handler can reply with: any `serde::Serialize` type (implemented for all of
/// them). `Result<T, E>` replies `{ok, T}` or `{error, E}`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a handler's reply: it does not implement `serde::Serialize`",
    label = "this handler's return type",
    note = "derive it (`#[derive(serde::Serialize)]`); for an error type without `Serialize`, reply with its text: `.map_err(|e| e.to_string())`"
)]
pub trait Reply: Serialize {}

impl<T: Serialize + ?Sized> Reply for T {}

/// The parameter types of a [`Protocol::handle`](crate::Protocol::handle) handler, as a tuple: each an owned
/// `Deserialize` type ([`Arg`]).
pub trait ArgList: Params + Sized {
    #[doc(hidden)]
    fn read(args: &Args<'_>) -> Result<Self, Failure>;
}

/// The parameter types of a [`Protocol::handle_borrowed`](crate::Protocol::handle_borrowed) handler, as a tuple: each a
/// [`BorrowedArg`]; `Of<'a>` the same borrowing from a request that lives for `'a`.
pub trait BorrowedArgList: Params {
    /// The parameters, borrowing for `'a`.
    type Of<'a>;
    #[doc(hidden)]
    fn read<'a>(args: &Args<'a>) -> Result<Self::Of<'a>, Failure>;
}

/// A function usable with [`Protocol::handle`](crate::Protocol::handle) on a protocol without state:
/// `Fn(A1, ..., An) -> R`, for up to 6 arguments. `Params` is inferred: `(A1, ..., An)`.
#[diagnostic::on_unimplemented(
    message = "this closure cannot be a handler: take at most 6 arguments",
    label = "not a handler",
    note = "on a `Protocol::with_state`, every handler takes the state first: `|state: &mut S, a: A|`"
)]
pub trait Handler<Params>: 'static {
    /// What the handler returns: the reply.
    type Output;
    #[doc(hidden)]
    fn call(&self, args: Params) -> Self::Output;
}

/// A function usable with [`Protocol::handle`](crate::Protocol::handle) on a [protocol with state](crate::Protocol::with_state):
/// `Fn(&mut T, A1, ..., An) -> R`, for up to 6 arguments after the state, or
/// `Fn(A1, ..., An) -> R` for a handler that does not need the state.
#[diagnostic::on_unimplemented(
    message = "this closure cannot be a handler of a protocol with state: take `&mut {T}` first, then at most 6 arguments",
    label = "not a handler"
)]
pub trait StatefulHandler<T, Params>: 'static {
    /// What the handler returns: the reply.
    type Output;
    #[doc(hidden)]
    fn call(&self, state: &mut T, args: Params) -> Self::Output;
}

/// A function usable with [`Protocol::handle_borrowed`](crate::Protocol::handle_borrowed): like [`Handler`], its arguments
/// [`BorrowedArg`]s that may borrow from the request.
#[diagnostic::on_unimplemented(
    message = "this closure cannot be a borrowing handler: each argument must implement `erlport::handler::BorrowedArg`, and the reply may not borrow from them",
    label = "not a handler",
    note = "for a type of your own, add `erlport::borrowed_arg!(YourType);` (or `YourType<'a>`)"
)]
pub trait BorrowedHandler<Params: BorrowedArgList>: 'static {
    /// What the handler returns: the reply.
    type Output;
    #[doc(hidden)]
    fn call<'a>(&self, args: Params::Of<'a>) -> Self::Output;
}

/// [`BorrowedHandler`] on a [protocol with state](crate::Protocol::with_state): the state first.
#[diagnostic::on_unimplemented(
    message = "this closure cannot be a borrowing handler of a protocol with state: take `&mut {T}` first; each argument must implement `erlport::handler::BorrowedArg`",
    label = "not a handler"
)]
pub trait StatefulBorrowedHandler<T, Params: BorrowedArgList>: 'static {
    /// What the handler returns: the reply.
    type Output;
    #[doc(hidden)]
    fn call<'a>(&self, state: &mut T, args: Params::Of<'a>) -> Self::Output;
}

/// The parameters of a handler that does not take the state, registered on a
/// [protocol with state](crate::Protocol::with_state): what tells it apart from one that does.
#[doc(hidden)]
pub struct NoState<P>(P);

impl<P: ArgList> ArgList for NoState<P> {
    fn read(args: &Args<'_>) -> Result<Self, Failure> {
        P::read(args).map(NoState)
    }
}

impl<P: BorrowedArgList> BorrowedArgList for NoState<P> {
    type Of<'a> = NoState<P::Of<'a>>;
    fn read<'a>(args: &Args<'a>) -> Result<Self::Of<'a>, Failure> {
        P::read(args).map(NoState)
    }
}

impl<P> Params for NoState<P> {}

macro_rules! handlers {
    ($($n:literal => ($($a:ident),*);)*) => {$(
        impl<$($a),*> Params for ($($a,)*) {}

        impl<$($a: Arg),*> ArgList for ($($a,)*) {
            #[allow(unused_mut, unused_variables, unused_assignments)]
            fn read(args: &Args<'_>) -> Result<Self, Failure> {
                arity(args.len(), $n)?;
                let mut iter = args.iter();
                let mut index = 0;
                Ok(($({
                    index += 1;
                    let value: $a = arg(iter.next(), index, $n)?;
                    value
                },)*))
            }
        }

        impl<$($a: BorrowedArg),*> BorrowedArgList for ($($a,)*) {
            type Of<'a> = ($($a::Of<'a>,)*);
            #[allow(unused_mut, unused_variables, unused_assignments)]
            fn read<'a>(args: &Args<'a>) -> Result<Self::Of<'a>, Failure> {
                arity(args.len(), $n)?;
                let mut iter = args.iter();
                let mut index = 0;
                Ok(($({
                    index += 1;
                    let value: $a::Of<'a> = arg(iter.next(), index, $n)?;
                    value
                },)*))
            }
        }

        impl<F, R, $($a,)*> Handler<($($a,)*)> for F
        where
            F: Fn($($a),*) -> R + 'static,
        {
            type Output = R;
            #[allow(non_snake_case)]
            fn call(&self, ($($a,)*): ($($a,)*)) -> R {
                self($($a),*)
            }
        }

        impl<T, F, R, $($a,)*> StatefulHandler<T, ($($a,)*)> for F
        where
            F: Fn(&mut T, $($a),*) -> R + 'static,
        {
            type Output = R;
            #[allow(non_snake_case)]
            fn call(&self, state: &mut T, ($($a,)*): ($($a,)*)) -> R {
                self(state, $($a),*)
            }
        }

        // A handler without the state, on a protocol with state.
        impl<T, F, R, $($a: Arg,)*> StatefulHandler<T, NoState<($($a,)*)>> for F
        where
            F: Fn($($a),*) -> R + 'static,
        {
            type Output = R;
            #[allow(non_snake_case)]
            fn call(&self, _: &mut T, NoState(($($a,)*)): NoState<($($a,)*)>) -> R {
                self($($a),*)
            }
        }

        impl<F, R, $($a,)*> BorrowedHandler<($($a,)*)> for F
        where
            $($a: BorrowedArg,)*
            F: Fn($($a),*) -> R + for<'a> Fn($($a::Of<'a>),*) -> R + 'static,
        {
            type Output = R;
            #[allow(non_snake_case)]
            fn call<'a>(&self, ($($a,)*): ($($a::Of<'a>,)*)) -> R {
                // The closure is both `Fn(A1, ...)` and `Fn(A1::Of<'a>, ...)`: call the second.
                fn apply<F: Fn($($a),*) -> R, R, $($a),*>(f: &F, $($a: $a),*) -> R {
                    f($($a),*)
                }
                apply::<F, R, $($a::Of<'a>),*>(self, $($a),*)
            }
        }

        impl<T, F, R, $($a,)*> StatefulBorrowedHandler<T, ($($a,)*)> for F
        where
            $($a: BorrowedArg,)*
            F: Fn(&mut T, $($a),*) -> R + for<'a> Fn(&mut T, $($a::Of<'a>),*) -> R + 'static,
        {
            type Output = R;
            #[allow(non_snake_case)]
            fn call<'a>(&self, state: &mut T, ($($a,)*): ($($a::Of<'a>,)*)) -> R {
                #[allow(clippy::too_many_arguments)]
                fn apply<T, F: Fn(&mut T, $($a),*) -> R, R, $($a),*>(f: &F, state: &mut T, $($a: $a),*) -> R {
                    f(state, $($a),*)
                }
                apply::<T, F, R, $($a::Of<'a>),*>(self, state, $($a),*)
            }
        }

        // A borrowing handler without the state, on a protocol with state.
        impl<T, F, R, $($a,)*> StatefulBorrowedHandler<T, NoState<($($a,)*)>> for F
        where
            $($a: BorrowedArg,)*
            F: Fn($($a),*) -> R + for<'a> Fn($($a::Of<'a>),*) -> R + 'static,
        {
            type Output = R;
            #[allow(non_snake_case)]
            fn call<'a>(&self, _: &mut T, NoState(($($a,)*)): NoState<($($a::Of<'a>,)*)>) -> R {
                <F as BorrowedHandler<($($a,)*)>>::call(self, ($($a,)*))
            }
        }
    )*};
}

handlers! {
    0 => ();
    1 => (A1);
    2 => (A1, A2);
    3 => (A1, A2, A3);
    4 => (A1, A2, A3, A4);
    5 => (A1, A2, A3, A4, A5);
    6 => (A1, A2, A3, A4, A5, A6);
}
