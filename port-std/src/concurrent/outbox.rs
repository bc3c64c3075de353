//! [`Outbox`]: messages to Erlang processes from anywhere in the program, not only from a
//! handler's [`Context`](super::Context).

use super::context::{self, Link};
use crate::dispatch::OwnedTerm;
use crate::error::Error;
use serde::Serialize;
use std::fmt;
use std::sync::{Arc, Mutex};

/// Sends messages to Erlang processes from anywhere in the program: a thread of its own, a
/// timer, a handler that already returned. Take it from
/// [`ConcurrentProtocol::outbox`](super::ConcurrentProtocol::outbox) before `run`; it sends
/// while `run` serves the port (and fails with [`Error::Cancelled`] before and after).
/// Cloneable, `Send` and `Sync`.
///
/// ```no_run
/// use erlport::{ConcurrentProtocol, OwnedTerm, PacketSize, Port};
/// use std::time::Duration;
///
/// let mut proto = ConcurrentProtocol::new();
/// let outbox = proto.outbox();
/// // erlport_rs:call(Server, remind, [self(), Ms, Msg]) returns ok at once; Msg comes Ms later.
/// proto.handle("remind", move |to: OwnedTerm, ms: u64, msg: OwnedTerm| {
///     let outbox = outbox.clone();
///     std::thread::spawn(move || {
///         std::thread::sleep(Duration::from_millis(ms));
///         let _ = outbox.send(&to, &msg);
///     });
///     erlport::codec::Atom::new("ok")
/// });
/// proto.run(Port::stdio(PacketSize::Four)?)?;
/// # Ok::<(), erlport::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct Outbox {
    link: Arc<Mutex<Option<Arc<dyn Link>>>>,
}

impl fmt::Debug for Outbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outbox").field("running", &self.current().is_some()).finish()
    }
}

impl Outbox {
    /// Sends `message` to `to`, as [`Context::send`](super::Context::send) does (the same
    /// destinations, the same rules on the Erlang side).
    pub fn send<D: Serialize + ?Sized, T: Serialize + ?Sized>(&self, to: &D, message: &T) -> Result<(), Error> {
        let link = self.current().ok_or(Error::Cancelled)?;
        context::send(&*link, to, message)
    }

    /// The server's pid, as [`Context::server`](super::Context::server) gives it (`None`
    /// while not running).
    pub fn server(&self) -> Option<OwnedTerm> {
        self.current().and_then(|link| link.server())
    }

    fn current(&self) -> Option<Arc<dyn Link>> {
        self.link.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// `run` started (`Some`) or ended (`None`).
    pub(super) fn connect(&self, link: Option<Arc<dyn Link>>) {
        *self.link.lock().unwrap_or_else(|p| p.into_inner()) = link;
    }
}
