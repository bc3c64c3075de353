//! What every thread of the pool and every [`Context`] share: the pool's slots and threads,
//! the calls running (for `{cancel, Id}` and `{credit, Id, N}`), the calls into Erlang waiting.

use super::*;

/// What every thread of the pool and every [`Context`] shares.
pub(super) struct Shared<W> {
    pub(super) pool: Pool,
    /// Calls into Erlang waiting for their answer, by id.
    pub(super) pending: Mutex<HashMap<u64, Arc<Pending>>>,
    pub(super) next_id: AtomicU64,
    pub(super) sender: Sender<W>,
    pub(super) inflate_limit: usize,
    /// Calls running that `{cancel, Id}` and `{credit, Id, N}` may reach, by encoded id.
    pub(super) running: Mutex<HashMap<Arc<[u8]>, Arc<CallState>>>,
    /// Ids cancelled before their call was registered, newest last.
    pub(super) early_cancels: Mutex<std::collections::VecDeque<Arc<[u8]>>>,
    /// The progress window a hello asked for; `None`: no flow control.
    pub(super) window: Mutex<Option<Window>>,
    /// The input ended or failed, or the output is gone: every call is cancelled.
    pub(super) closed: AtomicBool,
    /// Writing failed for good (Erlang is gone): reading may be blocked for ever.
    pub(super) output_gone: AtomicBool,
    pub(super) hello: Hello,
    pub(super) grace: Duration,
    /// The server's pid, as Erlang's hello said it.
    pub(super) server: Mutex<Option<OwnedTerm>>,
    /// The values Erlang holds handles to, by id.
    pub(super) held: super::handle::Held,
    pub(super) next_handle: AtomicU64,
    /// Keys that turn the count of handles into their ids.
    pub(super) handle_ids: std::hash::RandomState,
    pub(super) on_release: Option<super::handle::OnRelease>,
}

/// The pool's accounting.
pub(super) struct Pool {
    pub(super) state: Mutex<State>,
    /// Threads asked for, a thread gone, or the last handler done after the input ended:
    /// what the spawner waits for.
    pub(super) changed: Condvar,
    /// A slot is free (signalled only while a thread waits for one).
    pub(super) slot: Condvar,
    /// The reader's role is free (or the input ended).
    pub(super) role: Condvar,
    pub(super) limit: usize,
}

#[derive(Default)]
pub(super) struct State {
    /// Handlers running (holding a slot): sync ones on their thread, async tasks.
    pub(super) busy: usize,
    /// Handlers waiting for Erlang (holding no slot).
    pub(super) waiting: usize,
    /// Threads alive or asked for.
    pub(super) threads: usize,
    /// Threads not running a handler: reading, or waiting to read.
    pub(super) free: usize,
    /// Threads asked of the spawner.
    pub(super) spawn: usize,
    /// A thread holds the reader's role: it alone reads the port.
    pub(super) reading: bool,
    /// Threads waiting for a slot.
    pub(super) slot_waiters: usize,
    /// The input ended (or failed).
    pub(super) closed: bool,
    /// The error that ended the input, if any.
    pub(super) fatal: Option<Error>,
}

impl Pool {
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn wait<'a>(&self, state: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        self.changed.wait(state).unwrap_or_else(|p| p.into_inner())
    }

    /// Takes a slot, waiting while all are taken.
    pub(super) fn take_slot(&self) {
        let mut state = self.lock();
        while state.busy >= self.limit {
            state.slot_waiters += 1;
            state = self.slot.wait(state).unwrap_or_else(|p| p.into_inner());
            state.slot_waiters -= 1;
        }
        state.busy += 1;
    }

    /// Gives a slot back (`busy` already lowered): wakes a thread waiting for one, and the
    /// spawner when this may have been the last handler after the input ended.
    pub(super) fn slot_freed(&self, state: &State) {
        if state.slot_waiters > 0 {
            self.slot.notify_one();
        }
        if state.closed {
            self.changed.notify_all();
        }
    }

    pub(super) fn release_role(&self) {
        self.lock().reading = false;
        self.role.notify_one();
    }

    /// Asks for one more thread when none is free to read, so reading never stops while a
    /// handler runs or waits.
    pub(super) fn keep_a_reader(&self, state: &mut State) {
        if state.free == 0 && !state.closed {
            state.free += 1;
            state.threads += 1;
            state.spawn += 1;
            self.changed.notify_all();
        }
    }
}

impl<W: Write + Send> Link for Shared<W> {
    fn nil(&self) -> bool {
        self.sender.none_as_nil()
    }

    fn progress(&self, tag: Term<'_>, message: Term<'_>) -> Result<(), Error> {
        self.sender.send_encoded(&(Atom::new("progress"), tag, message))
    }

    fn send(&self, to: Term<'_>, message: Term<'_>) -> Result<(), Error> {
        // Written at once: a send may come from a thread of the program's own, while
        // nothing else will flush what is gathered.
        self.sender.send_encoded(&(Atom::new("send"), to, message)).and_then(|()| self.sender.uncork())
    }

    fn server(&self) -> Option<OwnedTerm> {
        self.server.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn keep(&self, tag: Option<Term<'_>>, value: Arc<dyn std::any::Any + Send + Sync>) -> Result<u64, Error> {
        let id = {
            let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
            loop {
                // Not the count itself: an id no one can guess from another (SipHash keyed at
                // random for this process), so a handle is had only from the call that made
                // it, as a capability. Under 2^59, a small integer in Erlang.
                let count = self.next_handle.fetch_add(1, Ordering::Relaxed);
                let id = std::hash::BuildHasher::hash_one(&self.handle_ids, count) & ((1 << 59) - 1);
                if let std::collections::hash_map::Entry::Vacant(slot) = held.entry(id) {
                    slot.insert(value);
                    break id;
                }
            }
        };
        if let Some(tag) = tag {
            // Before the reply that hands the handle out: its caller is its owner.
            if let Err(e) = self.sender.send_encoded(&(Atom::new("keep"), tag, id)) {
                self.held.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
                return Err(e);
            }
        }
        Ok(id)
    }

    fn held(&self, id: u64) -> Option<Arc<dyn std::any::Any + Send + Sync>> {
        self.held.lock().unwrap_or_else(|p| p.into_inner()).get(&id).cloned()
    }

    fn start_call(&self, module: &str, function: &str, args: Term<'_>) -> Result<Arc<Pending>, CallError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let pending = Arc::new(Pending::default());
        {
            let mut calls = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            // Registered before it is written, so the answer finds it.
            if self.pool.lock().closed {
                return Err(CallError::Closed);
            }
            calls.insert(id, Arc::clone(&pending));
        }
        let call = (Atom::new("call"), id, Atom::new(module), Atom::new(function), args);
        // Written at once even when replies are being gathered: this handler now waits.
        if let Err(e) = self.sender.send_encoded(&call).and_then(|()| self.sender.uncork()) {
            self.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
            return Err(CallError::Send(e));
        }
        Ok(pending)
    }

    fn begin_wait(&self, blocking: bool) -> Result<bool, CallError> {
        let mut state = self.pool.lock();
        if state.waiting >= MAX_WAITING {
            return Err(CallError::Busy);
        }
        state.waiting += 1;
        // Only a handler the pool runs holds a slot (not a thread it started, not a task
        // of its own on the runtime).
        let holds_slot = HOLDS_SLOT.with(|slot| slot.replace(false));
        if !holds_slot {
            return Ok(false);
        }
        state.busy -= 1;
        if blocking {
            WAITED.with(|waited| waited.set(true));
            // A handler running inline on the reading thread: the role goes to another.
            if HOLDS_ROLE.with(|role| role.replace(false)) {
                state.free -= 1;
                state.reading = false;
                self.pool.role.notify_one();
            }
            self.pool.keep_a_reader(&mut state);
        }
        self.pool.slot_freed(&state);
        Ok(true)
    }

    fn end_wait(&self, released: bool) {
        let mut state = self.pool.lock();
        state.waiting -= 1;
        if released {
            // Back at once, even past the limit: new calls wait for it, not it for them.
            state.busy += 1;
            HOLDS_SLOT.with(|slot| slot.set(true));
        }
        if state.closed {
            self.pool.changed.notify_all();
        }
    }

    fn inflate_limit(&self) -> usize {
        self.inflate_limit
    }

    fn closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    fn register(&self, id: Arc<[u8]>) -> Arc<CallState> {
        let window = *self.window.lock().unwrap_or_else(|p| p.into_inner());
        let state = Arc::new(CallState::new(window));
        // Under the same lock as `cancel` looks, so a cancel is either found here or finds
        // the call running.
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        let early = {
            let mut early = self.early_cancels.lock().unwrap_or_else(|p| p.into_inner());
            early.iter().position(|cancelled| **cancelled == *id).map(|at| early.remove(at)).is_some()
        };
        running.insert(id, Arc::clone(&state));
        drop(running);
        if early || self.closed() {
            state.cancel();
        }
        state
    }

    fn unregister(&self, id: &[u8]) {
        self.running.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
    }
}

impl<W> Shared<W> {
    /// The running call whose id is `id`.
    pub(super) fn find(&self, id: &Term<'_>) -> Option<Arc<CallState>> {
        let id = erlport_codec::encode_to_vec(id).ok()?;
        self.running.lock().unwrap_or_else(|p| p.into_inner()).get(&id[..]).cloned()
    }

    /// `{cancel, Id}`: cancels the running call `Id`; one not registered yet (its handler
    /// has not started on its thread) is remembered, so it starts cancelled. At most
    /// [`EARLY_CANCELS`] such ids are kept, the oldest forgotten first (a cancel for a call
    /// already answered is kept too, and ages out).
    pub(super) fn cancel(&self, id: &Term<'_>) {
        let Ok(id) = erlport_codec::encode_to_vec(id) else { return };
        let running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(state) = running.get(&id[..]).cloned() {
            drop(running);
            return state.cancel();
        }
        let mut early = self.early_cancels.lock().unwrap_or_else(|p| p.into_inner());
        drop(running);
        if early.len() >= EARLY_CANCELS {
            early.pop_front();
        }
        early.push_back(Arc::from(id));
    }

    /// The input ended: calls into Erlang get no answer now, and every running call is
    /// cancelled.
    pub(super) fn close(&self, fatal: Option<Error>) {
        self.closed.store(true, Ordering::SeqCst);
        let running: Vec<_> = self.running.lock().unwrap_or_else(|p| p.into_inner()).values().cloned().collect();
        running.iter().for_each(|state| state.cancel());
        {
            let mut state = self.pool.lock();
            state.closed = true;
            if state.fatal.is_none() {
                state.fatal = fatal;
            }
            self.pool.changed.notify_all();
            self.pool.slot.notify_all();
            self.pool.role.notify_all();
        }
        let calls: Vec<_> = self.pending.lock().unwrap_or_else(|p| p.into_inner()).drain().collect();
        for (_, pending) in calls {
            pending.complete(None);
        }
    }
}
