//! A concurrent handler's parameters: each one of the call's arguments or its [`Context`];
//! and what a handler knows of the call it answers.

use super::*;
use crate::dispatch::args::{arg, arity};
use std::cell::OnceCell;

/// A parameter of a [`ConcurrentProtocol`] handler: one of the call's arguments (any owned
/// `serde::Deserialize` type), or the call's [`Context`], which is not an argument.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a parameter of a concurrent handler: it does not implement `serde::Deserialize`",
    label = "this parameter's type",
    note = "derive it (`#[derive(serde::Deserialize)]`), or take `erlport::Context` for the call's context"
)]
pub trait Param: Sized {
    #[doc(hidden)]
    const ARGUMENTS: usize;
    #[doc(hidden)]
    fn read<'a>(args: &mut ArgCursor<'a, '_>) -> Result<Self, Failure>;
}

/// Where a handler's parameters are read from.
#[doc(hidden)]
pub struct ArgCursor<'a, 'c> {
    /// The arguments (their count already checked: at most 6), read one by one by index, so
    /// nothing is allocated per call.
    pub(super) args: &'c Args<'a>,
    pub(super) index: usize,
    pub(super) count: usize,
    pub(super) call: &'c CallInfo<'a>,
}

impl<T: DeserializeOwned> Param for T {
    const ARGUMENTS: usize = 1;
    fn read<'a>(args: &mut ArgCursor<'a, '_>) -> Result<Self, Failure> {
        let term = args.args.get(args.index);
        args.index += 1;
        arg(term, args.index, args.count)
    }
}

impl Param for Context {
    const ARGUMENTS: usize = 0;
    fn read<'a>(args: &mut ArgCursor<'a, '_>) -> Result<Self, Failure> {
        let registered = args.call.register().map_err(|e| Failure::Exception {
            kind: "error".into(),
            message: format!("the call's id cannot be kept: {e}"),
            trace: Vec::new(),
        })?;
        Ok(Context::new(Arc::clone(args.call.link), registered))
    }
}

/// The parameters of a [`ConcurrentProtocol`] handler, as a tuple of [`Param`]s.
pub trait ParamList: Sized {
    #[doc(hidden)]
    fn read<'a>(args: &Args<'a>, call: &CallInfo<'a>) -> Result<Self, Failure>;
}

macro_rules! param_lists {
    ($(($($a:ident),*);)*) => {$(
        impl<$($a: Param),*> ParamList for ($($a,)*) {
            #[allow(unused_mut, unused_variables)]
            fn read<'a>(args: &Args<'a>, call: &CallInfo<'a>) -> Result<Self, Failure> {
                let count = 0 $(+ $a::ARGUMENTS)*;
                arity(args.len(), count)?;
                let mut cursor = ArgCursor { args, index: 0, count, call };
                Ok(($($a::read(&mut cursor)?,)*))
            }
        }
    )*};
}

param_lists! {
    ();
    (A1);
    (A1, A2);
    (A1, A2, A3);
    (A1, A2, A3, A4);
    (A1, A2, A3, A4, A5);
    (A1, A2, A3, A4, A5, A6);
}

/// What a handler knows of the call it answers.
#[doc(hidden)]
pub struct CallInfo<'a> {
    /// The call's id; `None` for a cast.
    pub(super) tag: Option<Term<'a>>,
    pub(super) link: &'a Arc<dyn Link>,
    /// The call's id, encoded, and its state, once it is registered as running (for a
    /// handler that takes a [`Context`], and every `async` one): what `{cancel, Id}` and
    /// `{credit, Id, N}` find.
    pub(super) registered: OnceCell<(Arc<[u8]>, Arc<CallState>)>,
}

pub(super) type Registration = Option<(Arc<[u8]>, Arc<CallState>)>;

impl CallInfo<'_> {
    /// Registers the call as running (once; a cast is not registered).
    pub(super) fn register(&self) -> Result<Registration, erlport_codec::EncodeError> {
        let Some(tag) = self.tag else { return Ok(None) };
        if let Some(registered) = self.registered.get() {
            return Ok(Some(registered.clone()));
        }
        let id: Arc<[u8]> = Arc::from(erlport_codec::encode_to_vec(&tag)?);
        let state = self.link.register(Arc::clone(&id));
        let registered = (id, state);
        let _ = self.registered.set(registered.clone());
        Ok(Some(registered))
    }

    /// The call ended: `{cancel, Id}` and `{credit, Id, N}` no longer find it.
    pub(super) fn unregister(&self) {
        if let Some((id, _)) = self.registered.get() {
            self.link.unregister(id);
        }
    }
}
