//! What a call that produced no value is answered with: `{error, function_clause}` (or its
//! reason), `{error, {exception, {Kind, Message, Trace}}}` cut to fit the packet size.

use super::Failure;
use crate::error::Error;
use crate::error::truncate;
use crate::io::{Sender, Tagged, error_reply};
use erlport_codec::{Atom, Encode, Encoder, Sink, Term, encoded_len};
use std::io::Write;

/// Answers a call that did not produce a value (tagged `{reply, Tag, _}` when `tag` is given).
pub(crate) fn send_failure<W: Write>(
    sender: &Sender<W>,
    tag: Option<Term<'_>>,
    name: &Atom<'_>,
    failure: Failure,
    function_clause_reason: bool,
) -> Result<(), Error> {
    match failure {
        Failure::BadArgs(reason) => {
            log::debug!("{name}: arguments do not fit: {reason}");
            if !function_clause_reason {
                hint_once(name, &reason);
            }
            if function_clause_reason {
                let max = sender.packet_size().max_len() / 2;
                let reason = (Atom::new("function_clause"), truncate(&reason, max).into_owned());
                sender.send_encoded(&Tagged { tag, value: error_reply(&reason) })
            } else {
                sender.send_encoded(&Tagged { tag, value: error_reply(&Atom::new("function_clause")) })
            }
        }
        Failure::Exception { kind, message, trace } => send_exception(sender, tag, kind, message, trace),
    }
}

/// With no logger installed (the `log` facade's level still `Off`), the first
/// `function_clause` whose reason is not sent says why on stderr, once per process, so the
/// reason can be found without knowing where to look.
fn hint_once(name: &Atom<'_>, reason: &str) {
    static HINTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if log::max_level() == log::LevelFilter::Off && !HINTED.swap(true, std::sync::atomic::Ordering::Relaxed) {
        eprintln!(
            "erlport: {name}: arguments do not fit: {reason} (answered {{error, function_clause}}; \
             `function_clause_reason(true)` sends the reason, and a logger (env_logger) shows every one)"
        );
    }
}

/// Sends `{error, {exception, {Kind, Message, Trace}}}`; when that is too long for the packet
/// size, the message is cut to fit (saying so) and then the trace dropped; when even the
/// kind does not fit, `{error, {reply_too_large, Len, Max}}`.
fn send_exception<W: Write>(
    sender: &Sender<W>,
    tag: Option<Term<'_>>,
    kind: String,
    message: String,
    trace: Vec<String>,
) -> Result<(), Error> {
    let max = sender.packet_size().max_len();
    let full = Tagged { tag, value: ExceptionReply { kind: &kind, message: &message, trace: &trace } };
    let len = match encoded_len(&full) {
        Ok(len) if len <= max => return sender.send_encoded(&full),
        Ok(len) => len,
        Err(e) => return sender.send_error_tagged(tag, &Error::Encode(e)),
    };
    // Keep the trace while that leaves room for a useful part of the message.
    let dropped = format!("{message} [trace dropped to fit the packet size]");
    for (trace, message, room) in [(&trace[..], &message, 64), (&[][..], &dropped, 0)] {
        let bare = Tagged { tag, value: ExceptionReply { kind: &kind, message: "", trace } };
        let Ok(overhead) = encoded_len(&bare) else { break };
        if overhead + room >= max {
            continue;
        }
        let cut = truncate(message, max - overhead);
        let reply = Tagged { tag, value: ExceptionReply { kind: &kind, message: &cut, trace } };
        if encoded_len(&reply).is_ok_and(|n| n <= max) {
            return sender.send_encoded(&reply);
        }
    }
    sender.send_error_tagged(tag, &Error::ReplyTooLarge { len, max })
}

/// `{error, {exception, {Type, Message, Trace}}}`.
struct ExceptionReply<'a> {
    kind: &'a str,
    message: &'a str,
    trace: &'a [String],
}

impl Encode for ExceptionReply<'_> {
    fn encode<S: Sink>(&self, e: &mut Encoder<S>) -> Result<(), S::Error> {
        let trace: Vec<&str> = self.trace.iter().map(String::as_str).collect();
        (Atom::new("error"), (Atom::new("exception"), (Atom::new(self.kind), self.message, trace))).encode(e)
    }
}
