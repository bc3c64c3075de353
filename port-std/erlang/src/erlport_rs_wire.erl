%% @private
%% @doc What `erlport_rs' does with each packet the port program sends, treating it as
%% untrusted input: decoded with `[safe]' (no atom is made), checked in shape, size and
%% rate, answered where it has an id and dropped (with a log line at most once a second)
%% where it has none. Nothing a packet holds makes these functions raise: `from_rust/2'
%% catches what it did not foresee and drops the packet.
%%
%% Also messages both ways (`{message, Msg}' to the program, `{send, To, Msg}' from it, within
%% the `send' option), and the server's side of a call's life: its caller's cancellation, its progress credit,
%% and the calls from Rust into Erlang (at most `max_rust_calls' at once, each in a process
%% of its own, killed at the timeout).
-module(erlport_rs_wire).

-export([from_rust/2, to_rust/2, too_large/2, cancel/2, caller_down/2, sweep/1, rust_call_done/3, retry/1,
         send/2, drop/3, flood_check/1]).

%% Names of unknown atoms reported in an error (and, with `{atoms, {create, Max}}', found
%% before a packet is refused).
-define(NAMES, 8).
%% Writes to the port waiting for it to be less busy, at most.
-define(MAX_UNSENT, 10000).
-define(RETRY_MS, 20).
%% How soon (ms) the calls of callers that died are cancelled: one pass over the calls in
%% flight for all the callers that died meanwhile, whatever their number.
-define(SWEEP_MS, 50).
%% The most bytes of one stderr line logged (the Rust side's pieces: `MAX_LINE' in stderr.rs).
-define(MAX_LINE, 4096).

%% @doc Handles one packet from the port program. Its size is its term's: a compressed one
%% counts as what it inflates to (the reader refused those over `inflate_limit' already).
from_rust(Data, State = #{max_in := Max}) when byte_size(Data) > Max ->
    drop(too_large, byte_size(Data), State);
from_rust(Data, State = #{inflate_limit := Limit}) ->
    case erlport_rs_etf:term_size(Data) of
        Size when Size > Limit -> drop(too_large, Size, State);
        Size -> decode(Data, Size, State)
    end.

decode(Data, Size, State = #{calls := Calls}) ->
    try binary_to_term(Data, [safe]) of
        %% The common case first, with nothing in it that can raise.
        {reply, Ref, Value} when is_reference(Ref) ->
            case ets:take(Calls, Ref) of
                [_] -> Ref ! {Ref, Value}, forget_progress(Ref, State);
                [] -> State
            end;
        Term ->
            guarded(fun() -> message(Term, Size, State) end, Data, State)
    catch
        error:badarg -> guarded(fun() -> unsafe(Data, Size, State) end, Data, State)
    end.

%% @doc A packet over `max_packet', skipped as it arrived, never held.
too_large(Len, State) ->
    drop(too_large, Len, State).

%% Whatever was not foreseen drops the packet, never the server.
guarded(Handle, Data, State) ->
    try
        Handle()
    catch
        Class:Reason -> drop({Class, Reason}, byte_size(Data), State)
    end.

message({reply, Ref, Value}, _Size, State) when is_reference(Ref) ->
    deliver(Ref, Value, State);
message({progress, Ref, Message}, Size, State = #{calls := Calls}) when is_reference(Ref) ->
    case ets:lookup(Calls, Ref) of
        [{Ref, Caller}] -> progress(Ref, Caller, Message, Size, State);
        [] -> State
    end;
message({call, Id, M, F, A}, _Size, State) ->
    rust_call(Id, M, F, A, State);
message({send, To, Message}, Size, State) ->
    send_on(To, Message, Size, State);
message({keep, Ref, Id}, _Size, State) when is_reference(Ref) ->
    erlport_rs_handles:keep(Ref, Id, State);
message({stderr, Lines}, _Size, State = #{stderr := logger}) when is_list(Lines) ->
    lists:foldl(fun stderr/2, State, [L || L <- Lines, is_binary(L)]);
message({hello, _, _}, _Size, State) ->
    State;
message({error, Reason}, _Size, State) ->
    drop(refused_by_the_program, Reason, State);
message(Other, _Size, State) ->
    drop(unexpected, Other, State).

%% Sends a reply to its caller, if it is a call of this server still waiting (registered
%% by its caller before it was written). Anything else (answered or cancelled already, or
%% not a call of this server) is never sent on, so a program cannot answer other
%% processes' requests.
deliver(Ref, Value, State = #{calls := Calls}) ->
    case ets:take(Calls, Ref) of
        [{Ref, _Caller}] ->
            Ref ! {Ref, Value},
            forget_progress(Ref, State);
        [] ->
            State
    end.

%%% Packets refused by binary_to_term(_, [safe])

unsafe(Data, Size, State = #{inflate_limit := Max, atoms := Atoms}) ->
    Cap = case Atoms of {create, Allowance} -> Allowance + 1; _ -> ?NAMES end,
    Found = case erlport_rs_etf:plain(Data, Max) of
                {ok, Bytes} -> {Bytes, erlport_rs_etf:unknown_atoms(Bytes, max(Cap, 1))};
                error -> error
            end,
    case {Found, Atoms} of
        {{_, {ok, []}}, _} ->
            drop(refused_by_binary_to_term, Data, State);
        {{_, {ok, Names}}, {create, Left}} when length(Names) =< Left ->
            %% {atoms, {create, Max}}: within the allowance.
            try binary_to_term(Data) of
                Term -> message(Term, Size, State#{atoms := {create, Left - length(Names)}})
            catch
                error:badarg -> drop(not_a_term, Data, State)
            end;
        {{Plain, {ok, Names}}, _} ->
            unknown_atoms(Plain, lists:sublist(Names, ?NAMES), State);
        _ ->
            drop(not_a_term, Data, State)
    end.

%% A packet naming atoms the node does not know (`Names'): answered where it has an id.
unknown_atoms(Plain, Names, State) ->
    Elements = case erlport_rs_etf:elements(Plain) of
                   {ok, [Kind | Rest]} -> {erlport_rs_etf:atom_name(Kind), Rest};
                   _ -> none
               end,
    case Elements of
        {{ok, <<"reply">>}, [Id, _]} ->
            case safe(Id) of
                {ok, Ref} when is_reference(Ref) ->
                    deliver(Ref, {error, {unknown_atoms, Names}}, State);
                _ ->
                    drop(unknown_atoms, Names, State)
            end;
        {{ok, <<"call">>}, [Id, M, F, A]} ->
            unknown_call(Id, M, F, A, Names, State);
        _ ->
            drop(unknown_atoms, Names, State)
    end.

%% `{call, Id, M, F, Args}' naming unknown atoms: refused without making them, unless the
%% module is an Elixir one named without its prefix (`Enum').
unknown_call(IdBytes, MBytes, FBytes, ArgBytes, Names, State) ->
    case {safe(IdBytes), erlport_rs_etf:atom_name(MBytes), erlport_rs_etf:atom_name(FBytes),
          erlport_rs_etf:list_length(ArgBytes)} of
        {{ok, Id}, {ok, MName}, {ok, FName}, {ok, Arity}} ->
            case {module(MName, existing(FName), Arity, State), existing(FName), safe(ArgBytes)} of
                {{ok, M}, {ok, F}, {ok, Args}} ->
                    rust_call(Id, M, F, Args, State);
                {{ok, _}, {ok, _}, error} ->
                    reply(Id, {error, {unknown_atoms, Names}}, State);
                _ ->
                    <<131, Tail/binary>> = term_to_binary(Arity),
                    <<131, IdTail/binary>> = IdBytes,
                    Reason = [<<104, 2>>, erlport_rs_etf:atom_ext(<<"not_allowed">>), <<104, 3>>,
                              erlport_rs_etf:atom_ext(MName), erlport_rs_etf:atom_ext(FName), Tail],
                    Bin = iolist_to_binary([<<131, 104, 3>>, erlport_rs_etf:atom_ext(<<"reply">>), IdTail,
                                            <<104, 2>>, erlport_rs_etf:atom_ext(<<"error">>), Reason]),
                    send(Bin, State)
            end;
        {{ok, Id}, _, _, _} ->
            reply(Id, {error, badarg}, State);
        _ ->
            drop(unknown_atoms, Names, State)
    end.

existing(Name) ->
    try binary_to_existing_atom(Name, utf8) of
        Atom -> {ok, Atom}
    catch
        error:badarg -> error
    end.

%% The module named `Name', or its Elixir form (`Enum' is `'Elixir.Enum''), whichever exists
%% and is allowed (whichever exists, when neither is allowed).
module(Name, F, Arity, #{allow := Allow}) ->
    Elixir = case Name of
                 <<"Elixir.", _/binary>> -> [];
                 <<C, _/binary>> when C >= $A, C =< $Z -> [<<"Elixir.", Name/binary>>];
                 _ -> []
             end,
    Existing = [M || {ok, M} <- [existing(N) || N <- [Name | Elixir]]],
    Function = case F of {ok, Atom} -> Atom; error -> undefined end,
    case [M || M <- Existing, allowed(M, Function, Arity, Allow)] ++ Existing of
        [M | _] -> {ok, M};
        [] -> error
    end.

safe(Bytes) ->
    erlport_rs_etf:safe(Bytes).

%%% Calls from Rust into Erlang

rust_call(Id, M0, F, A, State = #{allow := Allow, allow_funs := Funs, rust_calls := RustCalls,
                                   max_rust_calls := MaxRust}) ->
    Arity = proper_length(A),
    if
        not is_atom(M0); not is_atom(F); Arity =:= improper ->
            reply(Id, {error, badarg}, State);
        map_size(RustCalls) >= MaxRust ->
            reply(Id, {error, busy}, State);
        true ->
            M = case allowed(M0, F, Arity, Allow) of
                    true -> M0;
                    false -> case module(atom_to_binary(M0), {ok, F}, Arity, State) of {ok, X} -> X; error -> M0 end
                end,
            case allowed(M, F, Arity, Allow) of
                false ->
                    reply(Id, {error, {not_allowed, {M0, F, Arity}}}, State);
                true ->
                    case not Funs andalso has_fun(A) of
                        true -> reply(Id, {error, {not_allowed, fun_in_arguments}}, State);
                        false -> start_rust_call(Id, M, F, A, State)
                    end
            end
    end.

proper_length(A) when is_list(A) ->
    try length(A) catch error:badarg -> improper end;
proper_length(_) ->
    improper.

%% M:F(A...) in a process of its own, which encodes its own reply; killed at the timeout.
start_rust_call(Id, M, F, A, State = #{rust_calls := RustCalls, timeout := Timeout, encode := Encode,
                                         max_out := Max}) ->
    Server = self(),
    {Pid, Monitor} = spawn_monitor(fun() ->
        Result = try {ok, apply(M, F, A)}
                 catch Class:Reason -> {error, {exception, Class, Reason}}
                 end,
        Server ! {erlport_rs, done, self(), encode_reply(Id, Result, Encode, Max)}
    end),
    Timer = case Timeout of
                infinity -> none;
                _ -> erlang:start_timer(Timeout, Server, {erlport_rs, rust_call, Pid})
            end,
    State#{rust_calls := RustCalls#{Pid => {Id, Monitor, Timer}}}.

%% @doc A call from Rust ended (`Reply' its encoded answer, or a result to encode).
rust_call_done(Pid, Reply, State = #{rust_calls := RustCalls, encode := Encode, max_out := Max}) ->
    case maps:take(Pid, RustCalls) of
        {{Id, Monitor, Timer}, Left} ->
            erlang:demonitor(Monitor, [flush]),
            _ = Timer =/= none andalso erlang:cancel_timer(Timer),
            Bin = case is_binary(Reply) of
                      true -> Reply;
                      false -> encode_reply(Id, Reply, Encode, Max)
                  end,
            send(Bin, State#{rust_calls := Left});
        error ->
            State
    end.

encode_reply(Id, Result, Encode, Max) ->
    Bin = term_to_binary({reply, Id, Result}, Encode),
    case byte_size(Bin) of
        Len when Len > Max -> term_to_binary({reply, Id, {error, {packet_too_large, Len, Max}}});
        _ -> Bin
    end.

reply(Id, Result, State = #{encode := Encode, max_out := Max}) ->
    send(encode_reply(Id, Result, Encode, Max), State).

allowed(M, F, Arity, Allow) ->
    lists:any(fun(Module) when is_atom(Module) -> Module =:= M;
                 ({Module, Function}) -> {Module, Function} =:= {M, F};
                 ({Module, Function, N}) -> {Module, Function, N} =:= {M, F, Arity};
                 (_) -> false
              end, Allow).

%% Whether a fun is anywhere in `Term' (lists and their tails, tuples, map keys and values),
%% with a stack of its own: any depth, constant process stack.
has_fun(Term) -> has_fun_in([Term]).

has_fun_in([]) -> false;
has_fun_in([T | _]) when is_function(T) -> true;
has_fun_in([[H | Tail] | Stack]) -> has_fun_in([H, Tail | Stack]);
has_fun_in([T | Stack]) when is_tuple(T) -> has_fun_in(tuple_to_list(T) ++ Stack);
has_fun_in([T | Stack]) when is_map(T) -> has_fun_in(maps:keys(T) ++ maps:values(T) ++ Stack);
has_fun_in([_ | Stack]) -> has_fun_in(Stack).

%%% The program's stderr

%% A line the program wrote to stderr (`{stderr, logger}'; they come in lists): a `logger'
%% event, within `max_stderr_lines' a second, of at most `MAX_LINE' bytes of it (the Rust side
%% sends longer lines in pieces of that size; a program that does not cannot put megabytes in
%% the log with each packet).
stderr(Line, State = #{stderr_second := {Second, Count}, max_stderr_lines := Max, os_pid := OsPid,
                       executable := Exe}) ->
    Now = erlang:monotonic_time(second),
    Count1 = case Now of Second -> Count + 1; _ -> 1 end,
    case Count1 =< Max of
        true ->
            Head = binary:part(Line, 0, min(byte_size(Line), ?MAX_LINE)),
            Text = case unicode:characters_to_binary(Head) of
                       Utf8 when is_binary(Utf8) -> Utf8;
                       %% Cut inside a character: up to it.
                       {incomplete, Utf8, _} -> Utf8;
                       _ -> unicode:characters_to_binary(Head, latin1)
                   end,
            logger:notice("~ts (os pid ~b): ~ts", [filename:basename(Exe), OsPid, Text],
                          #{erlport_rs => self(), os_pid => OsPid}),
            State#{stderr_second := {Now, Count1}};
        false ->
            drop(stderr_past_max_lines, Line, State#{stderr_second := {Now, Count1}})
    end.

%%% Messages both ways

%% @doc A message to the server that is not its own: `{message, Msg}' for the program's
%% message handler, when it fits in a packet.
to_rust(Message, State = #{encode := Encode, max_out := Max}) ->
    Bin = term_to_binary({message, Message}, Encode),
    case byte_size(Bin) =< Max of
        true -> send(Bin, State);
        false -> drop(message_over_max_packet, byte_size(Bin), State)
    end.

%% A message from the program to `To': sent when the `send' option allows `To' and, for a
%% process of this node, its mailbox holds at most `max_progress_queue' messages and less than
%% about `max_progress_bytes' of what this server sent it is unread (the program cannot fill
%% a process that does not read); dropped otherwise. Never connects to a node nor waits for a
%% busy one.
send_on(To, Message, Size, State) ->
    case allowed_to(To, State) andalso destination(To) of
        false ->
            drop(send_not_allowed, To, State);
        undefined ->
            drop(send_to_nobody, To, State);
        Pid when is_pid(Pid), node(Pid) =:= node() ->
            send_local(Pid, Message, Size, State);
        Dest ->
            _ = erlang:send(Dest, Message, [noconnect, nosuspend]),
            State
    end.

%% One message is always let through to a process that has read all this server sent it.
send_local(Pid, Message, Size, State = #{sent := Sent, max_progress_queue := MaxQueue,
                                         max_progress_bytes := MaxBytes}) ->
    Len = erlport_rs_mailbox:len(Pid),
    Unread = erlport_rs_mailbox:unread(Len, maps:get(Pid, Sent, erlport_rs_mailbox:new())),
    Bytes = erlport_rs_mailbox:bytes(Unread),
    Cost = erlport_rs_mailbox:cost(Size),
    case Len > MaxQueue orelse Bytes > 0 andalso Bytes + Cost > MaxBytes of
        true ->
            %% Nothing is recorded for a process whose mailbox is full of others' messages.
            Sent1 = case Bytes of 0 -> maps:remove(Pid, Sent); _ -> Sent#{Pid => Unread} end,
            drop(send_to_full_mailbox, Pid, State#{sent := Sent1});
        false ->
            _ = erlang:send(Pid, Message, [noconnect, nosuspend]),
            prune_sent(State#{sent := Sent#{Pid => erlport_rs_mailbox:add(Cost, Unread)}})
    end.

%% What was sent to processes that have read it all, or are gone, is forgotten once the
%% processes sent to are more than `sent_limit': then the limit is twice those left, so the
%% table stays within twice the processes holding unread messages, at a constant cost a send.
prune_sent(State = #{sent := Sent, sent_limit := Limit}) when map_size(Sent) > Limit ->
    Left = maps:filtermap(fun(Pid, S) ->
                                  Unread = erlport_rs_mailbox:unread(erlport_rs_mailbox:len(Pid), S),
                                  erlport_rs_mailbox:bytes(Unread) > 0 andalso {true, Unread}
                          end, Sent),
    State#{sent := Left, sent_limit := max(Limit, 2 * map_size(Left))};
prune_sent(State) ->
    State.

allowed_to(_, #{send := none}) -> false;
allowed_to(Pid, #{send := Policy, watched := Watched}) when is_pid(Pid) ->
    Policy =:= any orelse is_map_key(Pid, Watched);
allowed_to(Name, #{send := Policy, send_names := Names}) when is_atom(Name) ->
    Policy =:= any orelse lists:member(Name, Names);
allowed_to(To = {global, _}, #{send := Policy, send_names := Names}) ->
    Policy =:= any orelse lists:member(To, Names);
allowed_to({Name, Node}, #{send := any}) when is_atom(Name), is_atom(Node) -> true;
allowed_to(_, _) -> false.

%% Where a message to `To' goes: a pid, `{Name, Node}', or `undefined' for a name nobody has.
destination(Pid) when is_pid(Pid) -> Pid;
destination(Name) when is_atom(Name) -> whereis(Name);
destination({global, Name}) -> global:whereis_name(Name);
destination({Name, Node}) when is_atom(Name), Node =:= node() -> whereis(Name);
destination(To = {Name, Node}) when is_atom(Name), is_atom(Node) -> To.

%%% Progress and its credit

%% Forwards a progress message while the call has credit (a program sending past it is
%% dropped), and gives credit back once half the window is used, if the caller keeps up.
progress(Ref, Caller, Message, Size, State = #{progress := Calls, window := Window, window_bytes := WindowBytes}) ->
    New = #{caller => Caller, got => 0, got_bytes => 0, sent => erlport_rs_mailbox:new()},
    Call = #{got := Got, got_bytes := GotBytes, sent := Sent} = maps:get(Ref, Calls, New),
    %% The program counts a message's own bytes; a packet has up to about 100 more.
    PastBytes = Got > 0 andalso GotBytes + Size > WindowBytes + (Got + 1) * 128,
    case Got >= Window orelse PastBytes of
        true ->
            drop(progress_past_credit, Ref, State);
        false ->
            Ref ! {erlport_rs, self(), Ref, Message},
            Call1 = Call#{got := Got + 1, got_bytes := GotBytes + Size,
                          sent := erlport_rs_mailbox:add(erlport_rs_mailbox:cost(Size), Sent)},
            State1 = State#{progress := Calls#{Ref => Call1}},
            case Got + 1 >= max(1, Window div 2) orelse GotBytes + Size >= WindowBytes div 2 of
                true -> grant(Ref, State1);
                false -> State1
            end
    end.

%% Gives the call credit for what it sent, when its caller's mailbox is short enough; holds
%% it (to be looked at again) otherwise.
grant(Ref, State = #{progress := Calls, held := Held, max_progress_queue := MaxQueue,
                     max_progress_bytes := MaxBytes}) ->
    Call = #{caller := Caller, got := Got, sent := Sent} = maps:get(Ref, Calls),
    Len = erlport_rs_mailbox:len(Caller),
    Unread = erlport_rs_mailbox:unread(Len, Sent),
    Call1 = Call#{sent := Unread},
    case Len < MaxQueue andalso erlport_rs_mailbox:bytes(Unread) < MaxBytes of
        true ->
            State1 = State#{progress := Calls#{Ref := Call1#{got := 0, got_bytes := 0}}, held := lists:delete(Ref, Held)},
            send(term_to_binary({credit, Ref, Got}), State1);
        false ->
            later(State#{progress := Calls#{Ref := Call1}, held := [Ref | lists:delete(Ref, Held)]})
    end.

forget_progress(Ref, State = #{progress := Calls, held := Held}) when is_map_key(Ref, Calls) ->
    State#{progress := maps:remove(Ref, Calls), held := lists:delete(Ref, Held)};
forget_progress(_Ref, State) ->
    State.

%% @doc A call given up by its caller (already out of the tables): the Rust side is told,
%% with `{cancel, Id}', so its handler can stop.
cancel(Ref, State) ->
    send(term_to_binary({cancel, Ref}), forget_progress(Ref, State)).

%% @doc A caller died: its calls still waiting are cancelled at the next sweep.
caller_down(Caller, State = #{dead := Dead}) when map_size(Dead) > 0 ->
    State#{dead := Dead#{Caller => true}};
caller_down(Caller, State) ->
    erlang:send_after(?SWEEP_MS, self(), {erlport_rs, sweep}),
    State#{dead := #{Caller => true}}.

%% @doc Cancels the calls of the callers that died since the last sweep.
sweep(State = #{calls := Calls, dead := Dead}) ->
    Orphans = [Ref || {Ref, Caller} <- ets:tab2list(Calls), is_map_key(Caller, Dead)],
    lists:foldl(fun(Ref, S) ->
                        case ets:take(Calls, Ref) of
                            [_] -> cancel(Ref, S);
                            [] -> S
                        end
                end, State#{dead := #{}}, Orphans).

%%% Writing without blocking

%% Writes to the port; what it refuses while busy waits (in order) for a retry, up to a
%% bound past which it is dropped.
send(Bin, State = #{unsent := []}) ->
    case write(State, Bin) of
        ok -> State;
        busy -> later(State#{unsent := [Bin]})
    end;
send(Bin, State = #{unsent := Unsent}) when length(Unsent) < ?MAX_UNSENT ->
    State#{unsent := Unsent ++ [Bin]};
send(_Bin, State) ->
    drop(port_busy, write, State).

write(#{port := Port, header := Header}, Bin) ->
    try erlang:port_command(Port, erlport_rs_frames:frame(Header, Bin), [nosuspend]) of
        true -> ok;
        false -> busy
    catch
        error:_ -> ok
    end.

later(State = #{retrying := true}) -> State;
later(State) ->
    erlang:send_after(?RETRY_MS, self(), {erlport_rs, retry}),
    State#{retrying := true}.

%% @doc Retries what the port refused, and the calls held for want of credit.
retry(State = #{unsent := Unsent, held := Held}) ->
    State1 = flush(Unsent, State#{unsent := []}),
    lists:foldl(fun(Ref, S = #{progress := Calls}) when is_map_key(Ref, Calls) -> grant(Ref, S);
                   (_, S) -> S
                end, State1#{held := []}, lists:reverse(Held)).

flush([], State) -> State;
flush([Bin | Rest] = All, State) ->
    case write(State, Bin) of
        ok -> flush(Rest, State);
        busy -> later(State#{unsent := All})
    end.

%%% Dropping, with a log line at most once a second

drop(Why, What, State = #{dropped := Dropped, logged_at := At}) ->
    Now = erlang:monotonic_time(millisecond),
    Counted = maps:update_with(Why, fun(N) -> N + 1 end, 1, Dropped),
    case Now - At >= 1000 of
        true ->
            logger:warning("erlport_rs: dropped a message: ~0p (last: ~0P); counts since the last report: ~0p",
                           [Why, What, 12, Counted]),
            State#{dropped := #{}, logged_at := Now};
        false ->
            State#{dropped := Counted}
    end.

%% @doc A port program flooding the server faster than it can read (ignoring flow control) is
%% stopped before the server's mailbox holds more chunks of its output (64 KiB at most each)
%% than the calls in flight could legitimately be sent: 256 chunks (16 MiB), and for each
%% call waiting its largest reply and a progress window. Looked at for every chunk (a
%% hundred nanoseconds).
flood_check(State = #{calls := Calls, max_in := Max, window_bytes := WindowBytes}) ->
    {message_queue_len, Len} = process_info(self(), message_queue_len),
    case Len > 256 andalso Len > 256 + ets:info(Calls, size) * ((Max + WindowBytes) div 65536 + 1) of
        true -> {flood, Len};
        false -> {ok, State}
    end.
