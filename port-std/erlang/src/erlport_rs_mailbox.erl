%% @private
%% @doc What a server has put into another process's mailbox that the process has not read
%% yet, estimated from its mailbox length alone (the messages older than its whole mailbox
%% were read), so that a port program cannot fill a process that does not read: progress
%% messages to a caller, and what `ctx.send' sends. Other senders' messages in the same
%% mailbox only make the estimate higher.
-module(erlport_rs_mailbox).

-export([new/0, cost/1, add/2, bytes/1, unread/2, len/1]).

-export_type([sent/0]).

%% The costs of the messages sent, oldest first, their number (`queue:len/1' counts the whole
%% queue each time) and their sum.
-opaque sent() :: {queue:queue(non_neg_integer()), non_neg_integer(), non_neg_integer()}.

-spec new() -> sent().
new() -> {queue:new(), 0, 0}.

%% What a message of `Size' external bytes may cost the heap of the process it goes to,
%% estimated: eight times its size (a binary takes about one, a list of small integers
%% sixteen: one byte each on the wire, a two-word cell in memory).
-spec cost(non_neg_integer()) -> non_neg_integer().
cost(Size) -> 8 * Size + 64.

%% `Sent' and one more message, of cost `Cost'.
-spec add(non_neg_integer(), sent()) -> sent().
add(Cost, {Costs, N, Bytes}) -> {queue:in(Cost, Costs), N + 1, Bytes + Cost}.

%% The estimated cost of what is still unread.
-spec bytes(sent()) -> non_neg_integer().
bytes({_, _, Bytes}) -> Bytes.

%% What of `Sent' is still unread when the mailbox holds `Len' messages.
-spec unread(non_neg_integer(), sent()) -> sent().
unread(Len, {Costs, N, Bytes}) when N > Len ->
    {{value, Cost}, Rest} = queue:out(Costs),
    unread(Len, {Rest, N - 1, Bytes - Cost});
unread(_Len, Sent) ->
    Sent.

%% The length of a local process's mailbox (0 when it is gone).
-spec len(pid()) -> non_neg_integer().
len(Pid) ->
    case process_info(Pid, message_queue_len) of
        {message_queue_len, Len} -> Len;
        undefined -> 0
    end.
