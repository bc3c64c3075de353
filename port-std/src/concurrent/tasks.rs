//! `async` handlers (feature `tokio`): each call a task holding its slot until it ends,
//! dropped when its call is cancelled.

use super::*;

impl<R: Read + Send, W: Write + Send + 'static> Server<'_, R, W> {
    pub(super) fn start_async(&self, handler: &AsyncCall<W>, name: &Atom<'_>, args: Args<'_>, call: &CallInfo<'_>) {
        let made = dispatch::invoke(|| handler(args, call));
        let future = match made {
            Ok(Ok(future)) => future,
            Ok(Err(failure)) => return self.async_done(name, call.tag, Ok(Ok(Err(failure)))),
            Err(payload) => return self.async_done(name, call.tag, Err(payload)),
        };
        let Some(runtime) = &self.runtime else {
            // `run` found or made one whenever an async handler is registered.
            let message = "no tokio runtime to run an async handler on".to_string();
            let failure = Failure::Exception { kind: "error".into(), message, trace: Vec::new() };
            return self.async_done(name, call.tag, Ok(Ok(Err(failure))));
        };
        let tag = call.tag.map(|tag| OwnedTerm::from_term(&tag));
        let name = name.as_str().unwrap_or("").to_string();
        let shared = Arc::clone(self.shared);
        let function_clause_reason = self.function_clause_reason;
        // Registered, so `{cancel, Id}` drops the task; the guard frees its slot however
        // the task ends (finished, or dropped before or after its first poll).
        let registered = call.register().ok().flatten();
        let guard = TaskGuard { shared: Arc::clone(&shared), id: registered.as_ref().map(|(id, _)| Arc::clone(id)) };
        let task = runtime.spawn(async move {
            let _guard = guard;
            let outcome = CatchUnwind(future, true).await;
            let tag_term = tag.as_ref().map(OwnedTerm::term);
            let atom = Atom::new(&name);
            let sender = &shared.sender;
            let result = match outcome {
                Ok(answer) => answer(sender, tag_term),
                Err(payload) => {
                    dispatch::answer(sender, Caller::concurrent(tag_term), &atom, Err(payload), function_clause_reason)
                }
            };
            if let Err(e) = result {
                log::debug!("{name}: {e}");
            }
        });
        if let Some((_, state)) = registered {
            *state.abort.lock().unwrap_or_else(|p| p.into_inner()) = Some(task.abort_handle());
            if state.is_cancelled() {
                task.abort();
            }
        }
    }

    /// An async handler that ended before it had a future.
    pub(super) fn async_done(&self, name: &Atom<'_>, tag: Option<Term<'_>>, outcome: std::thread::Result<Outcome>) {
        self.finish(name, tag, outcome);
        let mut state = self.shared.pool.lock();
        state.busy -= 1;
        self.shared.pool.slot_freed(&state);
    }
}

/// What an `async` handler's task holds: its slot, and its place among the running calls.
pub(super) struct TaskGuard<W> {
    pub(super) shared: Arc<Shared<W>>,
    pub(super) id: Option<Arc<[u8]>>,
}

impl<W> Drop for TaskGuard<W> {
    fn drop(&mut self) {
        if let Some(id) = &self.id {
            self.shared.running.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
        }
        let mut state = self.shared.pool.lock();
        state.busy -= 1;
        self.shared.pool.slot_freed(&state);
    }
}

/// Polls a future, turning a panic into its payload (and recording where, as for threads).
pub(super) struct CatchUnwind<F>(pub(super) F, pub(super) bool);

impl<F: std::future::Future + Unpin> std::future::Future for CatchUnwind<F> {
    type Output = std::thread::Result<F::Output>;

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        // The task holds its slot, except while `call_async` waits (it says so on return).
        let holds = self.1;
        HOLDS_SLOT.with(|slot| slot.set(holds));
        let inner = &mut self.0;
        let polled = dispatch::invoke(|| std::pin::Pin::new(inner).poll(cx));
        self.1 = HOLDS_SLOT.with(|slot| slot.replace(false));
        match polled {
            Ok(std::task::Poll::Ready(value)) => std::task::Poll::Ready(Ok(value)),
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Err(payload) => std::task::Poll::Ready(Err(payload)),
        }
    }
}
