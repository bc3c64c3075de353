//! Panics in handlers: a hook that records where a handler panicked (for the exception
//! reply) instead of printing, and the exception made of the panic.

use super::Failure;
use erlport_codec::Atom;
use std::cell::{Cell, RefCell};
use std::panic;
use std::sync::Once;

thread_local! {
    /// Whether this thread is inside a handler called by a `Protocol`.
    static IN_HANDLER: Cell<bool> = const { Cell::new(false) };
    /// Where the last panic inside a handler on this thread happened, for the exception's trace.
    static PANIC_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs, once per process, a panic hook that records where a handler panicked (for the
/// exception reply) instead of printing it, and hands every other panic to the hook that was
/// there before: panics on other threads, or outside handlers, print as usual.
pub(crate) fn install_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if IN_HANDLER.with(Cell::get) {
                let location = info.location().map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
                PANIC_LOCATION.with(|slot| *slot.borrow_mut() = location);
            } else {
                previous(info);
            }
        }));
    });
}

/// Marks this thread as inside a handler while it lives.
pub(crate) struct InHandler;

impl InHandler {
    pub(crate) fn enter() -> Self {
        IN_HANDLER.with(|flag| flag.set(true));
        InHandler
    }
}

impl Drop for InHandler {
    fn drop(&mut self) {
        IN_HANDLER.with(|flag| flag.set(false));
    }
}

/// The exception for a handler's panic, and a log line saying where.
pub(crate) fn panicked(name: &Atom<'_>, payload: Box<dyn std::any::Any + Send>) -> Failure {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_string());
    let trace: Vec<String> = PANIC_LOCATION.with(|slot| slot.borrow_mut().take()).into_iter().collect();
    log::warn!("handler {} panicked: {message} ({})", name, trace.join(", "));
    Failure::Exception { kind: "panic".to_string(), message, trace }
}
