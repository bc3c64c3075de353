//! One run of a [`ConcurrentProtocol`]: a pool of threads taking turns to read, running
//! handlers (inline when they proved fast), answering, and stopping when the input ends.

use super::*;

/// A thread's own buffers: the packet it read, and room to inflate it.
#[derive(Default)]
pub(super) struct Local {
    pub(super) packet: Vec<u8>,
    pub(super) unpacker: Unpacker,
}

/// One run: the handlers, borrowed by the threads of a scope.
pub(super) struct Server<'s, R, W> {
    pub(super) handlers: &'s HashMap<String, Registered<W>>,
    /// What runs `{message, Msg}` ([`ConcurrentProtocol::on_message`]).
    pub(super) on_message: Option<&'s Registered<W>>,
    pub(super) shared: &'s Arc<Shared<W>>,
    pub(super) link: Arc<dyn Link>,
    pub(super) reader: Mutex<Reader<R>>,
    pub(super) function_clause_reason: bool,
    #[cfg(feature = "tokio")]
    pub(super) runtime: Option<tokio::runtime::Handle>,
}

/// How long a thread of the pool waits for its turn to read before it ends, when more than
/// [`SPARE_THREADS`] besides the reader are waiting too.
const IDLE_THREAD_LIFE: Duration = Duration::from_secs(2);

/// The threads kept waiting to read besides the reader, however long the pool is idle.
const SPARE_THREADS: usize = 1;

/// What a thread does after a handler.
pub(super) enum Next {
    Read,
    /// The input ended: stop.
    Stop,
    /// Enough threads are free: this one stopped counting itself and ends.
    Retired,
}

/// How a packet was answered.
pub(super) enum Ran {
    /// On the reading thread, which still holds the reader's role.
    Inline,
    /// The role went to another thread.
    HandedOn(Next),
}

thread_local! {
    /// This thread holds the reader's role while it runs a handler inline.
    pub(super) static HOLDS_ROLE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// The handler running on this thread waited for Erlang.
    pub(super) static WAITED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// The handler running on this thread (or the task being polled) holds a slot.
    pub(super) static HOLDS_SLOT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// How long the last handler on this thread computed (its reply's writing aside).
    pub(super) static TOOK: std::cell::Cell<Option<Duration>> = const { std::cell::Cell::new(None) };
}

/// How long a handler computes, for running it inline: a handler whose last runs were all
/// short and that never waited for Erlang runs on the thread that read its call, with no
/// hand-over to another thread (a round trip's worth of wake-ups saved), as the sequential
/// `Protocol` runs every handler. A run that is not short sends it back to proving itself;
/// one that is slow, or one wait, and it never runs inline again: reading is held up at most
/// once by a handler that turns slow.
#[derive(Default)]
pub(super) struct Speed(pub(super) std::sync::atomic::AtomicU32);

impl Speed {
    /// Short runs in a row needed before inline.
    const PROOF: u32 = 8;
    const NEVER: u32 = u32::MAX;
    /// Longer than this is not short.
    const SHORT: Duration = Duration::from_micros(50);
    /// Longer than this is slow.
    const SLOW: Duration = Duration::from_millis(1);

    pub(super) fn is_fast(&self) -> bool {
        let n = self.0.load(Ordering::Relaxed);
        n >= Self::PROOF && n != Self::NEVER
    }

    /// The run that just ended on this thread (nothing to record when its arguments did not
    /// fit and it never ran).
    pub(super) fn record(&self) {
        let Some(took) = TOOK.with(|took| took.take()) else { return };
        let _ = self.0.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| match n {
            Self::NEVER => None,
            _ if took > Self::SLOW => Some(Self::NEVER),
            _ if took > Self::SHORT => Some(0),
            n if n < Self::PROOF => Some(n + 1),
            _ => None,
        });
    }

    pub(super) fn record_wait(&self) {
        self.0.store(Self::NEVER, Ordering::Relaxed);
    }
}

impl<R: Read + Send, W: Write + Send + 'static> Server<'_, R, W> {
    /// Starts threads as they are asked for and returns when the input has ended, every
    /// thread has stopped and every task has finished.
    pub(super) fn serve(&self) -> Result<(), Error> {
        let pool = &self.shared.pool;
        std::thread::scope(|scope| {
            // Joined as they end (and all at the end), so a thread is gone, its thread-locals
            // too, when `run` returns, and a long-lived port keeps no handles of old threads.
            let mut threads = Vec::new();
            let mut closed_at: Option<Instant> = None;
            let mut state = pool.lock();
            state.threads = 1;
            state.free = 1;
            state.spawn = 1;
            loop {
                while state.spawn > 0 {
                    state.spawn -= 1;
                    drop(state);
                    let started = std::thread::Builder::new()
                        .name("erlport-handler".into())
                        .spawn_scoped(scope, || self.worker());
                    state = pool.lock();
                    if let Ok(handle) = started {
                        threads.push(handle);
                    } else if let Err(e) = started {
                        log::error!("cannot start a handler thread: {e}");
                        state.threads -= 1;
                        state.free -= 1;
                        if state.threads == 0 {
                            // No thread reads the port: give up rather than hang.
                            drop(state);
                            self.shared.close(Some(Error::Io(e)));
                            state = pool.lock();
                        }
                    }
                }
                if state.threads == 0 && state.busy == 0 && state.waiting == 0 {
                    break;
                }
                if state.closed {
                    let shared = self.shared;
                    let idle = state.busy == 0 && state.waiting == 0;
                    // Output gone and nothing running: the threads left wait for input that
                    // may never end. Or the grace period is over.
                    let deadline = *closed_at.get_or_insert_with(|| Instant::now() + shared.grace);
                    let gone = shared.output_gone.load(Ordering::SeqCst);
                    if (gone && idle) || Instant::now() >= deadline {
                        if !idle {
                            log::warn!(
                                "{} handlers still running {:?} after the input ended: exiting",
                                state.busy + state.waiting,
                                shared.grace
                            );
                        }
                        std::process::exit(0);
                    }
                    let left = deadline.saturating_duration_since(Instant::now());
                    state = pool.changed.wait_timeout(state, left).unwrap_or_else(|p| p.into_inner()).0;
                } else {
                    state = pool.wait(state);
                }
                if threads.iter().any(|t: &std::thread::ScopedJoinHandle<'_, ()>| t.is_finished()) {
                    drop(state);
                    let (ended, running): (Vec<_>, Vec<_>) = threads.into_iter().partition(|t| t.is_finished());
                    ended.into_iter().for_each(Self::join);
                    threads = running;
                    state = pool.lock();
                }
            }
            let fatal = state.fatal.take();
            drop(state);
            threads.into_iter().for_each(Self::join);
            match fatal {
                Some(e) => Err(e),
                None => Ok(()),
            }
        })
    }

    /// Waits for a pool thread to be gone. Handlers' panics are caught where they run; one here
    /// is the pool's own, logged.
    pub(super) fn join(thread: std::thread::ScopedJoinHandle<'_, ()>) {
        if thread.join().is_err() {
            log::error!("a handler thread panicked outside a handler");
        }
    }

    /// A thread of the pool: read a packet, run what it asks for, again.
    pub(super) fn worker(&self) {
        let mut local = Local::default();
        loop {
            // A large packet's buffers go back to 64 KiB before this thread idles with them.
            crate::io::shrink(&mut local.packet);
            local.unpacker.shrink();
            match self.read_one(&mut local) {
                Next::Read => continue,
                Next::Retired => return,
                Next::Stop => break,
            }
        }
        let pool = &self.shared.pool;
        let mut state = pool.lock();
        state.threads -= 1;
        state.free -= 1;
        pool.changed.notify_all();
    }

    /// Takes the reader's role, reads packets and runs what they ask for: handlers that
    /// proved fast on this thread, keeping the role; others after handing it on.
    pub(super) fn read_one(&self, local: &mut Local) -> Next {
        let shared = self.shared;
        let pool = &shared.pool;
        {
            let mut state = pool.lock();
            loop {
                if state.closed {
                    return Next::Stop;
                }
                if !state.reading {
                    break;
                }
                let (next, waited) = pool.role.wait_timeout(state, IDLE_THREAD_LIFE).unwrap_or_else(|p| p.into_inner());
                state = next;
                // A thread that waited this long to read is not needed: after a burst the
                // pool shrinks back to the reader and one spare (their stacks and buffers
                // with them), rather than keeping a thread for each call of the burst.
                if waited.timed_out() && state.reading && state.free > SPARE_THREADS + 1 && !state.closed {
                    state.free -= 1;
                    state.threads -= 1;
                    pool.changed.notify_all();
                    return Next::Retired;
                }
            }
            state.reading = true;
        }
        loop {
            // (The packet buffer goes to the reader, which shrinks it before the next read.)
            local.unpacker.shrink();
            let read = {
                let mut reader = self.reader.lock().unwrap_or_else(|p| p.into_inner());
                // Replies wait to be written together while the next request is already
                // here; before reading can block, they go.
                if reader.next_is_buffered() {
                    shared.sender.cork();
                } else {
                    self.write_failed(shared.sender.uncork());
                }
                reader.take_packet(&mut local.packet)
            };
            match read {
                Ok(true) => {}
                Ok(false) => {
                    self.write_failed(shared.sender.uncork());
                    pool.release_role();
                    shared.close(None);
                    return Next::Stop;
                }
                Err(e) if e.is_fatal() => {
                    self.write_failed(shared.sender.uncork());
                    pool.release_role();
                    shared.close(Some(e));
                    return Next::Stop;
                }
                Err(e) => {
                    log::debug!("refused a packet: {e}");
                    // Over the size limit: the start of the packet, which may hold a call's
                    // id (answered by it, so its caller need not wait for its timeout).
                    local.packet.clear();
                    if matches!(e, Error::PacketTooLarge { .. }) {
                        let mut reader = self.reader.lock().unwrap_or_else(|p| p.into_inner());
                        // Its start may have come in pieces: read on while the id is cut off.
                        while id_undecided(reader.refused_start()) && reader.read_more_refused() {}
                        local.packet.extend_from_slice(reader.refused_start());
                    }
                    self.refused(&mut local.packet, &e);
                    continue;
                }
            }
            match self.answer(local) {
                Ran::Inline => continue,
                Ran::HandedOn(next) => return next,
            }
        }
    }

    /// A packet refused whole (`start`: as much of it as there is): a call is answered by its
    /// id, an answer to a call from Rust completes that call with the error (as if Erlang had
    /// answered `{error, Reason}`), anything else gets the error untagged.
    pub(super) fn refused(&self, start: &mut [u8], error: &Error) {
        let shared = self.shared;
        if let Some(tag) = call_tag(start) {
            return self.write_failed(shared.sender.send_error_tagged(Some(tag), error));
        }
        if let Some(id) = answer_id(start) {
            let pending = shared.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
            if let Some(pending) = pending {
                let reason = error.reason();
                let answer = Tagged { tag: i64::try_from(id).ok().map(Term::Integer), value: error_reply(&reason) };
                return pending.complete(erlport_codec::encode_to_vec(&answer).ok());
            }
        }
        self.write_failed(shared.sender.send_error_tagged(None, error));
    }

    /// Answers the packet a thread holding the reader's role just read.
    pub(super) fn answer(&self, local: &mut Local) -> Ran {
        let shared = self.shared;
        let pool = &shared.pool;
        let Local { packet, unpacker } = local;
        let term = match unpacker.decode(packet, shared.inflate_limit) {
            Ok(term) => term,
            Err(e) => {
                // Not valid: a call whose id is, is answered by it.
                log::debug!("refused a packet: {e}");
                self.refused(packet, &Error::Decode(e));
                return Ran::Inline;
            }
        };
        let (tag, name, args, handler) = match classify(term) {
            Message::Call { tag, name, args } => {
                let handler = dispatch::find(self.handlers, &name);
                (tag, name, args, handler)
            }
            Message::Info(args) => match self.on_message {
                Some(handler) => (None, Atom::new("message"), args, Some(handler)),
                None => {
                    log::debug!("a message to the server, and no message handler: dropped");
                    return Ran::Inline;
                }
            },
            Message::Answer(id) => {
                let pending = shared.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
                match pending {
                    Some(pending) => pending.complete(Some(std::mem::take(packet))),
                    None => log::debug!("an answer to call {id}, which is not waiting for one"),
                }
                return Ran::Inline;
            }
            Message::Hello(options) => {
                let map = match options {
                    Term::Map(map) => Some(map),
                    _ => None,
                };
                let number = |key| {
                    map.and_then(|m| m.get_atom(key)).and_then(|w| w.as_i64()).and_then(|w| u64::try_from(w).ok())
                };
                let window = match (number("progress_window"), number("progress_bytes")) {
                    (Some(messages), bytes) if messages > 0 => {
                        Some(Window { messages, bytes: bytes.unwrap_or(u64::MAX) })
                    }
                    _ => None,
                };
                *shared.window.lock().unwrap_or_else(|p| p.into_inner()) = window;
                if map.and_then(|m| m.get_atom("stderr")).is_some_and(|s| s.is_atom("true")) {
                    super::stderr::forward(shared);
                }
                if let Some(server) = map.and_then(|m| m.get_atom("server")).filter(|s| matches!(s, Term::Pid(_))) {
                    *shared.server.lock().unwrap_or_else(|p| p.into_inner()) = Some(OwnedTerm::from_term(&server));
                }
                self.write_failed(shared.sender.send_encoded(&shared.hello));
                return Ran::Inline;
            }
            Message::Cancel(id) => {
                shared.cancel(&id);
                return Ran::Inline;
            }
            Message::Release(ids) => {
                let ids = match ids {
                    Term::List(list) => {
                        list.iter().filter_map(|id| id.as_i64()).filter_map(|id| u64::try_from(id).ok()).collect()
                    }
                    _ => Vec::new(),
                };
                let mut held = shared.held.lock().unwrap_or_else(|p| p.into_inner());
                let released: Vec<_> = ids.into_iter().filter_map(|id| held.remove(&id)).collect();
                // A table that held many and now holds few gives its memory back (the
                // allocator can then return the values' pages beneath it to the system).
                if held.capacity() > 1024 && held.len() < held.capacity() / 8 {
                    held.shrink_to_fit();
                }
                let still_held = held.len();
                drop(held);
                // Dropped here, outside the lock (a value's drop may take time).
                let count = released.len();
                drop(released);
                if let Some(hook) = shared.on_release.as_ref().filter(|_| count > 0) {
                    // A panic in the hook is the program's own: logged, and the port serves on.
                    if dispatch::invoke(|| hook(count, still_held)).is_err() {
                        log::warn!("the on_release hook panicked");
                    }
                }
                return Ran::Inline;
            }
            Message::Credit(id, n) => {
                if let Some(state) = shared.find(&id) {
                    state.grant(n);
                }
                return Ran::Inline;
            }
            Message::BadCall(tag) => {
                self.write_failed(dispatch::refuse(&shared.sender, Caller::Call(tag), "badarg"));
                return Ran::Inline;
            }
            Message::Unknown => {
                log::debug!("refused a packet that is neither a call, a cast nor an answer: {term}");
                self.write_failed(dispatch::refuse(&shared.sender, Caller::Plain, "badarg"));
                return Ran::Inline;
            }
        };
        let Some(handler) = handler else {
            if tag.is_none() {
                log::warn!("cast of {name}: no such handler");
            }
            self.write_failed(dispatch::refuse(&shared.sender, Caller::concurrent(tag), "undef"));
            return Ran::Inline;
        };
        // A slot, before anything runs: while all are taken nothing is read (back-pressure).
        if pool.lock().busy >= pool.limit {
            // About to wait: what is gathered goes first.
            self.write_failed(shared.sender.uncork());
        }
        pool.take_slot();
        let call = CallInfo { tag, link: &self.link, registered: OnceCell::new() };
        match &handler.entry {
            Entry::Sync(run) if handler.speed.is_fast() => {
                // Proved fast: run here, still reading, with no hand-over. Should it wait for
                // Erlang after all, `begin_wait` hands the role on.
                HOLDS_ROLE.with(|role| role.set(true));
                self.run_sync(run, &name, args, &call);
                let kept = HOLDS_ROLE.with(|role| role.replace(false));
                if !kept {
                    handler.speed.record_wait();
                }
                handler.speed.record();
                let mut state = pool.lock();
                state.busy -= 1;
                pool.slot_freed(&state);
                if kept {
                    return Ran::Inline;
                }
                // The role went to another thread while this one waited.
                state.free += 1;
                Ran::HandedOn(Next::Read)
            }
            Entry::Sync(run) => {
                self.write_failed(shared.sender.uncork());
                {
                    let mut state = pool.lock();
                    state.free -= 1;
                    pool.keep_a_reader(&mut state);
                    state.reading = false;
                    pool.role.notify_one();
                }
                let waits = WAITED.with(|waited| waited.replace(false));
                self.run_sync(run, &name, args, &call);
                if WAITED.with(|waited| waited.replace(waits)) {
                    handler.speed.record_wait();
                }
                handler.speed.record();
                let mut state = pool.lock();
                state.busy -= 1;
                state.free += 1;
                pool.slot_freed(&state);
                // Keep enough threads for a burst, not more. Counted out here, in the same
                // step as the decision, so two threads never both count on the other.
                if state.free > pool.limit && !state.closed {
                    state.free -= 1;
                    state.threads -= 1;
                    pool.changed.notify_all();
                    return Ran::HandedOn(Next::Retired);
                }
                Ran::HandedOn(Next::Read)
            }
            #[cfg(feature = "tokio")]
            Entry::Async(run) => {
                self.start_async(run, &name, args, &call);
                Ran::Inline
            }
        }
    }

    pub(super) fn run_sync(&self, handler: &SyncCall<W>, name: &Atom<'_>, args: Args<'_>, call: &CallInfo<'_>) {
        let sender = &self.shared.sender;
        HOLDS_SLOT.with(|slot| slot.set(true));
        let outcome = dispatch::invoke(|| handler(args, call, sender));
        HOLDS_SLOT.with(|slot| slot.set(false));
        call.unregister();
        self.finish(name, call.tag, outcome);
    }

    /// Answers a handler's outcome when it did not reply itself.
    pub(super) fn finish(&self, name: &Atom<'_>, tag: Option<Term<'_>>, outcome: std::thread::Result<Outcome>) {
        let sender = &self.shared.sender;
        self.write_failed(dispatch::answer(
            sender,
            Caller::concurrent(tag),
            name,
            outcome,
            self.function_clause_reason,
        ));
    }

    /// A reply that could not be written: the output is gone (Erlang closed the port) or
    /// broken; the input's end will stop the threads.
    pub(super) fn write_failed(&self, result: Result<(), Error>) {
        if let Err(e) = result {
            match e {
                Error::Io(ref io) if io.kind() == std::io::ErrorKind::BrokenPipe => {
                    // Nobody reads what this program writes: stop taking calls, tell the
                    // running ones, and end (reading may never see its end).
                    log::debug!("Erlang closed the port while a reply was being written");
                    self.shared.output_gone.store(true, Ordering::SeqCst);
                    self.shared.close(None);
                }
                e if e.is_fatal() => {
                    log::error!("writing a reply: {e}");
                    let mut state = self.shared.pool.lock();
                    if state.fatal.is_none() {
                        state.fatal = Some(e);
                    }
                }
                e => log::warn!("writing a reply: {e}"),
            }
        }
    }
}
