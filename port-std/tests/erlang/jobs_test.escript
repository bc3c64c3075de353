#!/usr/bin/env escript
%% -*- erlang -*-
%%! -noshell
%% The concurrent `jobs` example driven through erlport_rs (port-std/erlang/src/erlport_rs.erl).
%% Usage: escript jobs_test.escript EXAMPLES_DIR ERLANG_SRC_DIR [threads|async] [bench]
%%   threads (default): the handlers on the pool of threads; async: the same as async fns on
%%   tokio (`jobs --async`, feature tokio). bench: print calls per second instead of testing.
%% Prints one line per failure and "N passed, M failed"; exits 1 on any failure.
-mode(compile).
%% Called by the Rust program through erlport_rs, and by supervisor.
-export([main/1, nest/2, slow/1, init/1, log/2]).

main([Dir, Src | Rest]) ->
    load_erlport_rs(Src),
    Exe = filename:join(Dir, "jobs"),
    Mode = case Rest of ["async" | _] -> ["--async"]; _ -> [] end,
    case lists:member("bench", Rest) of
        true -> bench(Exe);
        false -> test(Exe, Mode)
    end.

load_erlport_rs(Src) ->
    [begin
         {ok, Module, Beam} = compile:file(File, [binary, return_errors, warnings_as_errors]),
         {module, Module} = code:load_binary(Module, File, Beam)
     end || File <- filelib:wildcard(filename:join(Src, "*.erl"))].

test(Exe, Mode) ->
    Tests = [
        {"add, sleep, cast", fun basics/2},
        {"errors: undef, function_clause, a panic answers only its own call", fun errors/2},
        {"a call over the size limit gets the error at once, by its id", fun too_large/2},
        {"progress reaches the caller, tagged, before the reply", fun progress/2},
        {"100,000 calls from 100 processes: none lost, duplicated or crossed", fun many_callers/2},
        {"32 sleep(100) at once overlap; replies come in completion order", fun overlap/2},
        {"calls into Erlang: allowed, not allowed, raising, timing out", fun calls_into_erlang/2},
        {"nested calls 10 deep each way with 4 threads", fun nested/2},
        {"a call that times out: error to its caller, late reply dropped", fun timeouts/2},
        {"packet 2, fds 3/4, compressed both ways", fun options/2},
        {"killed mid-call: callers get port_exit, a supervisor restarts it", fun killed/2},
        {"stop: the Rust program exits 0 with nothing on stderr", fun stopped/2},
        {"messages both ways: S ! Msg and cast/2 into Rust, ctx.send and an Outbox out", fun messages/2},
        {"what the program may send to: callers, send_names, any, none; full mailboxes", fun send_policy/2},
        {"names: local, global and via; a name taken is refused before a program starts", fun names/2},
        {"handles: kept, used, refused when forged; freed by release/2 or their owner's death", fun handles/2},
        {"100,000 handles made by processes that die: the program's memory comes back", fun handles_freed/2},
        {"stderr lines become logger events, at most max_stderr_lines a second", fun stderr/2}
    ],
    Results = [{Name, run(Name, Fun, Exe, Mode)} || {Name, Fun} <- Tests],
    Failures = [{Name, Why} || {Name, Why} <- Results, Why =/= ok],
    [io:format("FAIL ~s: ~s~n", [Name, Why]) || {Name, Why} <- Failures],
    io:format("~s: ~p passed, ~p failed~n", [mode_name(Mode), length(Tests) - length(Failures), length(Failures)]),
    halt(case Failures of [] -> 0; _ -> 1 end).

mode_name([]) -> "threads";
mode_name(_) -> "async".

run(Name, Fun, Exe, Mode) ->
    Self = self(),
    {Pid, Ref} = spawn_monitor(fun() ->
        Result = try Fun(Exe, Mode) of
                     ok -> ok;
                     Other -> lists:flatten(io_lib:format("~0P", [Other, 30]))
                 catch
                     Class:Reason:Stack -> lists:flatten(io_lib:format("~p:~0P ~0P", [Class, Reason, 30, Stack, 20]))
                 end,
        Self ! {self(), Result}
    end),
    receive
        {Pid, Result} -> erlang:demonitor(Ref, [flush]), Result;
        {'DOWN', Ref, process, Pid, Reason} -> lists:flatten(io_lib:format("crashed: ~0P", [Reason, 30]))
    after 60000 ->
        exit(Pid, kill),
        io_lib:format("~s: no result in 60 s", [Name])
    end.

start(Exe, Mode) -> start(Exe, Mode, []).

start(Exe, Mode, Options) ->
    {ok, S} = erlport_rs:start(Exe, [{args, Mode ++ proplists:get_value(args, Options, [])},
                                     {allow, [{lists, reverse, 1}, {lists, duplicate, 2}, {?MODULE, nest}, {?MODULE, slow},
                                              {erlang, error}]}
                                     | proplists:delete(args, Options)]),
    S.

expect(Expected, Got) ->
    case Got of
        Expected -> ok;
        _ -> throw({expected, Expected, got, Got})
    end.

no_messages() ->
    receive M -> throw({unexpected_message, M}) after 0 -> ok end.

%% Every message in the mailbox now, oldest first.
drain(Acc) ->
    receive M -> drain([M | Acc]) after 0 -> lists:reverse(Acc) end.

%% What `Pid' (spawned by `listener/0') received, once `Ms' have passed.
heard(Pid, Ms) ->
    timer:sleep(Ms),
    Pid ! {report, self()},
    receive {heard, Pid, Got} -> Got after 2000 -> throw({no_report, Pid}) end.

%% A process that only listens, until asked what it heard.
listener() ->
    spawn_link(fun() -> receive {report, P} -> P ! {heard, self(), drain([])} end end).

%% What the program kept (`{keep, M}' messages) until `N' came: messages sent with `!' go
%% through the server, calls and cast/2 straight to the port, so they may pass each other.
kept(S, N, Acc, Deadline) ->
    Got = Acc ++ erlport_rs:call(S, kept, []),
    case length(Got) >= N orelse erlang:monotonic_time(millisecond) > Deadline of
        true -> Got;
        false -> timer:sleep(10), kept(S, N, Got, Deadline)
    end.

messages(Exe, Mode) ->
    S = start(Exe, Mode, [{args, ["--max-packet", "1000"]}]),
    Self = self(),
    %% The program knows its server.
    expect(S, erlport_rs:call(S, server, [])),
    %% Into Rust, read as an enum ({echo, To, M}): S ! Msg, then cast/2; out to this caller.
    S ! {echo, Self, hello},
    expect(hello, receive hello -> hello after 2000 -> no_echo end),
    expect(ok, erlport_rs:cast(S, {echo, Self, {there, [1, 2]}})),
    expect({there, [1, 2]}, receive {there, _} = T -> T after 2000 -> no_cast end),
    S ! {keep, 1},
    S ! {not_a_kind, 2},
    S ! 42,
    expect(ok, erlport_rs:cast(S, {keep, <<"two">>})),
    S ! {keep, #{three => 3}},
    %% Over max_packet (the program's 1000 bytes): dropped on the Erlang side.
    S ! {keep, binary:copy(<<7>>, 5000)},
    Kept = kept(S, 3, [], erlang:monotonic_time(millisecond) + 2000),
    expect(lists:sort([1, <<"two">>, #{three => 3}]), lists:sort(Kept)),
    %% ctx.send from a handler, and an Outbox from a thread after the handler returned.
    expect(ok, erlport_rs:call(S, send, [Self, direct])),
    expect(direct, receive direct -> direct after 2000 -> no_send end),
    expect(ok, erlport_rs:call(S, later, [Self, 50, late])),
    expect(late, receive late -> late after 2000 -> no_later end),
    %% The server lives on, and nothing else came.
    expect(3, erlport_rs:call(S, add, [1, 2])),
    timer:sleep(50),
    no_messages(),
    %% cast/2 to a server that is gone.
    erlport_rs:stop(S),
    expect(ok, erlport_rs:cast(S, {keep, gone})).

send_policy(Exe, Mode) ->
    Self = self(),
    Sink = listener(),
    register(jobs_test_sink, Sink),
    Other = listener(),
    register(jobs_test_other, Other),
    Global = listener(),
    yes = global:register_name(jobs_test_global, Global),
    S = start(Exe, Mode, [{send_names, [jobs_test_sink, {global, jobs_test_global}]}, {max_progress_queue, 20}]),
    %% A process that never called the server is not a destination; one that has is.
    Stranger = listener(),
    Caller = spawn_link(fun() -> 2 = erlport_rs:call(S, add, [1, 1]), Self ! called,
                                 receive {report, P} -> P ! {heard, self(), drain([])} end end),
    receive called -> ok after 2000 -> throw(no_call) end,
    [expect(ok, erlport_rs:call(S, send, [To, M])) ||
        {To, M} <- [{Stranger, forged}, {Caller, welcome}, {jobs_test_sink, named}, {jobs_test_other, unlisted},
                    {{global, jobs_test_global}, global}, {{via, global, jobs_test_global}, via},
                    {{jobs_test_other, node()}, remote_form}, {42, nobody}, {jobs_test_nobody, nobody}]],
    expect([], heard(Stranger, 100)),
    expect([welcome], heard(Caller, 0)),
    expect([named], heard(Sink, 0)),
    expect([], heard(Other, 0)),
    expect([global], heard(Global, 0)),
    %% A full mailbox: this process does not read while the program sends it 100 messages.
    expect(ok, erlport_rs:call(S, send_count, [Self, 100])),
    Counted = [N || N <- drain([]), is_integer(N)],
    true = length(Counted) >= 20 andalso length(Counted) =< 21 orelse throw({mailbox_bound, length(Counted)}),
    expect(lists:seq(1, length(Counted)), Counted),
    expect(3, erlport_rs:call(S, add, [1, 2])),
    erlport_rs:stop(S),
    %% {send, any}: any pid, name or {Name, Node}, never {via, ...}; {send, none}: nobody.
    Any = start(Exe, Mode, [{send, any}]),
    [Stranger2, Other2] = [listener(), listener()],
    catch unregister(jobs_test_other),
    register(jobs_test_other, Other2),
    [expect(ok, erlport_rs:call(Any, send, [To, M])) ||
        {To, M} <- [{Stranger2, any}, {{jobs_test_other, node()}, remote_form}, {{via, global, jobs_test_global}, via}]],
    expect([any], heard(Stranger2, 100)),
    expect([remote_form], heard(Other2, 0)),
    erlport_rs:stop(Any),
    None = start(Exe, Mode, [{send, none}]),
    expect(ok, erlport_rs:call(None, send, [Self, nothing])),
    timer:sleep(100),
    erlport_rs:stop(None),
    global:unregister_name(jobs_test_global),
    no_messages().

blobs_gone(S) ->
    wait_for(fun() -> erlport_rs:call(S, blobs, []) =:= 0 end, 1000).

wait_for(Check, 0) -> throw({still_false, Check});
wait_for(Check, N) ->
    case Check() of
        true -> ok;
        false -> timer:sleep(10), wait_for(Check, N - 1)
    end.

handles(Exe, Mode) ->
    S = start(Exe, Mode),
    Self = self(),
    {ok, H = {erlport_rs_handle, S, Id}} = erlport_rs:call(S, blob, [100]),
    expect(100, erlport_rs:call(S, blob_size, [H])),
    expect(1, erlport_rs:call(S, blobs, [])),
    %% Forged, of another server, not a handle: refused, nothing read.
    [{error, {function_clause, _}} = erlport_rs:call(S, blob_size, [Bad])
     || Bad <- [{erlport_rs_handle, S, Id + 1}, {erlport_rs_handle, Self, Id}, {erlport_rs_handle, undefined, Id},
                {erlport_rs_handle, S, -1}, 42]],
    %% Not guessable from one another (nor counted up): among 1,000 live handles, no id is
    %% within 1,000 of another's, so a handle is had only from the call that made it.
    Many = [Id | [I || _ <- lists:seq(1, 999), {ok, {erlport_rs_handle, _, I}} <- [erlport_rs:call(S, blob, [1])]]],
    1000 = length(lists:usort(Many)),
    Sorted = lists:sort(Many),
    true = lists:min([B - A || {A, B} <- lists:zip(lists:droplast(Sorted), tl(Sorted))]) > 1000
        orelse throw({guessable_ids, lists:sublist(Sorted, 5)}),
    [ok = erlport_rs:release(S, {erlport_rs_handle, S, I}) || I <- tl(Many)],
    ok = erlport_rs:release(S, H),
    blobs_gone(S),
    {error, {function_clause, Why}} = erlport_rs:call(S, blob_size, [H]),
    true = binary:match(Why, <<"released">>) =/= nomatch,
    %% Another process's handle works while its owner lives, and goes with it.
    Owner = spawn(fun() -> {ok, H2} = erlport_rs:call(S, blob, [10]), Self ! {handle, H2},
                           receive stop -> ok end end),
    H2 = receive {handle, X} -> X after 2000 -> throw(no_handle) end,
    expect(10, erlport_rs:call(S, blob_size, [H2])),
    Owner ! stop,
    blobs_gone(S),
    {error, {function_clause, _}} = erlport_rs:call(S, blob_size, [H2]),
    %% A call given up before its handle came: the handle is released at once.
    {error, timeout} = erlport_rs:call(S, blob, [10], 0),
    blobs_gone(S),
    no_messages(),
    erlport_rs:stop(S).

%% A field of the program's /proc status, in KB (or a count, for Threads).
status(OsPid, Field) ->
    {ok, Status} = file:read_file("/proc/" ++ integer_to_list(OsPid) ++ "/status"),
    [_, Rest] = binary:split(Status, <<Field/binary, ":">>),
    [Value | _] = string:lexemes(Rest, " \t\n"),
    binary_to_integer(Value).

handles_freed(Exe, Mode) ->
    S = start(Exe, Mode),
    #{os_pid := OsPid} = sys:get_state(S),
    expect(0, erlport_rs:call(S, blobs, [])),
    %% The start: the program as it started, after its first call.
    Threads = status(OsPid, <<"Threads">>),
    Start = status(OsPid, <<"VmRSS">>),
    Anon = status(OsPid, <<"RssAnon">>),
    {Peak1, After1, Anon1} = handle_round(S, OsPid, 1000, Threads),
    {Peak2, After2, Anon2} = handle_round(S, OsPid, 1000, Threads),
    io:format("  100,000 handles of 1 KiB, twice: program RSS ~p KB at start, ~p KB with them, ~p KB once "
              "their owners died; again: ~p KB, ~p KB (anonymous: ~p KB, ~p KB, ~p KB)~n",
              [Start, Peak1, After1, Peak2, After2, Anon, Anon1, Anon2]),
    %% Every value was dropped (counted by its Drop); the example's on_release hook
    %% (malloc_trim once none is held, one arena) gives their memory back, and the threads
    %% the burst started end once idle: after each round the RSS is back at its start but
    %% for code paged in and the allocator's fragments, under 5% of what the handles took
    %% (1-3 MB, as they fall; without the one arena, 6-13 MB).
    Round = Peak1 - Start,
    true = Round > 100000 orelse throw({peak_kb, Start, Peak1}),
    [true = After - Start < Round * 5 div 100 orelse throw({rss_kb_after, Start, Peak, After})
     || {Peak, After} <- [{Peak1, After1}, {Peak2, After2}]],
    erlport_rs:stop(S).

%% 100 processes each make `N' handles of 1 KiB, then die: the RSS with them, and after, once
%% the program is back to its threads at the start (idle threads end after 2 s).
handle_round(S, OsPid, N, Threads) ->
    Self = self(),
    Makers = [spawn(fun() -> [{ok, _} = erlport_rs:call(S, blob, [1024]) || _ <- lists:seq(1, N)],
                             Self ! {made, self()}, receive die -> ok end end) || _ <- lists:seq(1, 100)],
    [receive {made, M} -> ok after 60000 -> throw({maker_stuck, M}) end || M <- Makers],
    expect(100 * N, erlport_rs:call(S, blobs, [])),
    Peak = status(OsPid, <<"VmRSS">>),
    [M ! die || M <- Makers],
    blobs_gone(S),
    wait_for(fun() -> status(OsPid, <<"Threads">>) =< Threads + 1 end, 500),
    {Peak, status(OsPid, <<"VmRSS">>), status(OsPid, <<"RssAnon">>)}.

%% A logger handler (this module): the events of erlport_rs servers, to the test process.
log(#{msg := {Format, Args}, meta := #{erlport_rs := _}}, #{config := #{to := Pid}}) ->
    Pid ! {stderr_line, unicode:characters_to_binary(io_lib:format(Format, Args))};
log(_, _) ->
    ok.

stderr(Exe, Mode) ->
    ok = logger:add_handler(jobs_test_capture, ?MODULE, #{config => #{to => self()}, level => notice}),
    try
        S = start(Exe, Mode, [{stderr, logger}, {max_stderr_lines, 50}]),
        expect(ok, erlport_rs:call(S, eprint, [<<"hello from stderr, ü"/utf8>>, 1])),
        Line = receive {stderr_line, L} -> L after 2000 -> throw(no_stderr_line) end,
        true = binary:match(Line, <<"hello from stderr, ü"/utf8>>) =/= nomatch orelse throw({line, Line}),
        true = binary:match(Line, <<"jobs (os pid ">>) =/= nomatch orelse throw({line, Line}),
        %% 1,000 lines at once: at most 50 a second become events (two seconds at most here;
        %% the line above may have used one of this second's).
        expect(ok, erlport_rs:call(S, eprint, [<<"flood">>, 1000])),
        timer:sleep(300),
        Floods = [L || {stderr_line, L} <- drain([]), binary:match(L, <<"flood">>) =/= nomatch],
        true = (length(Floods) >= 40 andalso length(Floods) =< 100) orelse throw({flood_events, length(Floods)}),
        expect(3, erlport_rs:call(S, add, [1, 2])),
        erlport_rs:stop(S),
        %% Without the option, nothing reaches logger.
        S2 = start(Exe, Mode),
        expect(ok, erlport_rs:call(S2, eprint, [<<"to the VM's stderr">>, 1])),
        timer:sleep(100),
        expect([], [L || {stderr_line, L} <- drain([])]),
        erlport_rs:stop(S2)
    after
        logger:remove_handler(jobs_test_capture)
    end.

names(Exe, Mode) ->
    L = start(Exe, Mode, [{name, jobs_test_local}]),
    expect(L, whereis(jobs_test_local)),
    expect(3, erlport_rs:call(jobs_test_local, add, [1, 2])),
    G = start(Exe, Mode, [{name, {global, jobs_test_server}}]),
    expect(G, global:whereis_name(jobs_test_server)),
    expect(5, erlport_rs:call({global, jobs_test_server}, add, [2, 3])),
    V = start(Exe, Mode, [{name, {via, global, jobs_test_via}}]),
    expect(V, global:whereis_name(jobs_test_via)),
    expect(7, erlport_rs:call({via, global, jobs_test_via}, add, [3, 4])),
    %% Messages by name, echoed back (this process has called each).
    expect(ok, erlport_rs:cast({via, global, jobs_test_via}, {echo, self(), via})),
    expect(via, receive via -> via after 2000 -> no_echo end),
    expect({error, {already_started, G}},
           erlport_rs:start(Exe, [{args, Mode}, {name, {global, jobs_test_server}}])),
    [erlport_rs:stop(S) || S <- [L, G, V]],
    expect({undefined, undefined}, {whereis(jobs_test_local), global:whereis_name(jobs_test_server)}),
    expect({error, noproc}, erlport_rs:call({global, jobs_test_server}, add, [1, 1])).

basics(Exe, Mode) ->
    S = start(Exe, Mode),
    expect(3, erlport_rs:call(S, add, [1, 2])),
    expect(-1, erlport_rs:call(S, add, [1, -2])),
    expect(10, erlport_rs:call(S, sleep, [10])),
    expect(ok, erlport_rs:cast(S, sleep, [5])),
    expect(ok, erlport_rs:cast(S, nosuch, [])),
    expect(7, erlport_rs:call(S, add, [3, 4], infinity)),
    timer:sleep(20),
    no_messages(),
    erlport_rs:stop(S).

errors(Exe, Mode) ->
    S = start(Exe, Mode),
    expect({error, undef}, erlport_rs:call(S, nosuch, [1])),
    %% The reason is sent by default (ConcurrentProtocol::function_clause_reason).
    expect({error, {function_clause, <<"expected 2 arguments, found 1">>}}, erlport_rs:call(S, add, [1])),
    {error, {function_clause, <<"argument 1 of 2: ", _/binary>>}} = erlport_rs:call(S, add, [a, 1]),
    Self = self(),
    Adders = [spawn_link(fun() -> Self ! {add, I, erlport_rs:call(S, add, [I, I])} end) || I <- lists:seq(1, 20)],
    {error, {exception, {panic, Message, [_Where]}}} = erlport_rs:call(S, divide, [1, 0]),
    expect(<<"attempt to divide by zero">>, Message),
    [receive {add, I, Sum} -> expect(2 * I, Sum) end || I <- lists:seq(1, length(Adders))],
    expect(4, erlport_rs:call(S, divide, [8, 2])),
    no_messages(),
    erlport_rs:stop(S).

%% The Rust side refuses a packet over its limit (`--max-packet`) before reading it; the
%% start of the packet holds the call's id, so the caller gets the error, not a timeout
%% (the call timeout here is an hour, so a wait would fail the test's 60 s).
too_large(Exe, Mode) ->
    S = start(Exe, Mode, [{args, ["--max-packet", "1000"]}, {timeout, 3600000}]),
    Big = binary:copy(<<7>>, 5000),
    {error, {packet_too_large, Len, 1000}} = erlport_rs:call(S, add, [Big, 1]),
    true = Len > 5000,
    expect(3, erlport_rs:call(S, add, [1, 2])),
    %% A call into Erlang whose answer is over the Rust side's limit: the handler gets the
    %% error (and returns it), rather than waiting.
    {error, {packet_too_large, _, 1000}} = erlport_rs:call(S, erlang_apply, [lists, duplicate, [5000, 7]]),
    expect({ok, [7, 7]}, erlport_rs:call(S, erlang_apply, [lists, duplicate, [2, 7]])),
    no_messages(),
    erlport_rs:stop(S).

progress(Exe, Mode) ->
    S = start(Exe, Mode),
    Ref = erlport_rs:send_request(S, progress, [5]),
    expect(done, erlport_rs:receive_response(Ref)),
    [receive {erlport_rs, S, Ref, N} -> ok after 0 -> throw({missing_progress, N}) end || N <- lists:seq(1, 5)],
    no_messages(),
    %% A plain call: the messages are there when it returns.
    expect(done, erlport_rs:call(S, progress, [3])),
    [receive {erlport_rs, S, _, N} -> ok after 0 -> throw({missing_progress, N}) end || N <- lists:seq(1, 3)],
    %% One loop for progress and reply.
    Self = self(),
    expect(done, erlport_rs:receive_response(erlport_rs:send_request(S, progress, [4]),
                                             fun(N) -> Self ! {seen, N} end)),
    expect([1, 2, 3, 4], [receive {seen, N} -> N after 0 -> missing end || _ <- lists:seq(1, 4)]),
    no_messages(),
    %% A cast's progress goes nowhere.
    erlport_rs:cast(S, progress, [3]),
    expect(done, erlport_rs:call(S, progress, [0])),
    timer:sleep(20),
    no_messages(),
    erlport_rs:stop(S).

many_callers(Exe, Mode) ->
    S = start(Exe, Mode),
    Self = self(),
    Callers = [spawn_link(fun() ->
                   Wrong = [{I, J, Got} || J <- lists:seq(1, 1000),
                                           Got <- [erlport_rs:call(S, add, [I * 1000000, J], 30000)],
                                           Got =/= I * 1000000 + J],
                   Stray = receive M -> [M] after 0 -> [] end,
                   Self ! {done, I, Wrong, Stray}
               end) || I <- lists:seq(1, 100)],
    Results = [receive {done, I, Wrong, Stray} -> {Wrong, Stray} end || I <- lists:seq(1, length(Callers))],
    expect([], [R || R <- Results, R =/= {[], []}]),
    erlport_rs:stop(S).

overlap(Exe, Mode) ->
    S = start(Exe, Mode),
    %% While 32 sleeps run, count the handlers running at once: the Rust program's threads
    %% (a pool grows one thread per handler running), or tokio's timers (one process, few
    %% threads) seen as all 32 replies arriving together. All 32 calls have to reach the pool
    %% before the first sleep ends: on a machine too loaded for that in 100 ms, a fresh server
    %% gets a second chance with sleeps of 1000 ms.
    case {Mode, sleeping_threads(S, 100)} of
        {[], Threads} when Threads < 32 ->
            Again = start(Exe, Mode),
            Retry = sleeping_threads(Again, 1000),
            erlport_rs:stop(Again),
            case Retry < 32 of
                true -> throw({threads_seen, Threads, Retry});
                false -> ok
            end;
        _ -> ok
    end,
    %% Completion order: a long call sent first is answered after short ones sent later.
    Long = erlport_rs:send_request(S, sleep, [400]),
    Short = [erlport_rs:send_request(S, sleep, [50]) || _ <- lists:seq(1, 8)],
    First = receive {Ref, _} when is_reference(Ref) -> erlang:demonitor(Ref, [flush]), Ref end,
    case lists:member(First, Short) of
        true -> ok;
        false -> throw(long_call_answered_first)
    end,
    [erlport_rs:receive_response(R) || R <- Short -- [First]],
    expect(400, erlport_rs:receive_response(Long)),
    erlport_rs:stop(S).

%% The most threads of the Rust program seen while 32 calls of sleep(Ms) are outstanding.
sleeping_threads(S, Ms) ->
    OsPid = os_pid(S),
    Self = self(),
    [spawn_link(fun() -> Self ! {slept, erlport_rs:call(S, sleep, [Ms])} end) || _ <- lists:seq(1, 32)],
    max_threads(OsPid, Ms, 32, 0).

%% The most threads seen while `Left` replies are outstanding (the replies are consumed).
max_threads(_OsPid, _Ms, 0, Max) -> Max;
max_threads(OsPid, Ms, Left, Max) ->
    Now = threads(OsPid),
    receive
        {slept, Ms} -> max_threads(OsPid, Ms, Left - 1, max(Max, Now))
    after 2 -> max_threads(OsPid, Ms, Left, max(Max, Now))
    end.

threads(OsPid) ->
    case file:read_file("/proc/" ++ integer_to_list(OsPid) ++ "/status") of
        {ok, Status} ->
            {match, [N]} = re:run(Status, "Threads:\\s+(\\d+)", [{capture, all_but_first, list}]),
            list_to_integer(N);
        _ -> 0
    end.

os_pid(S) ->
    #{port := Port} = sys:get_state(S),
    {os_pid, OsPid} = erlang:port_info(Port, os_pid),
    OsPid.

calls_into_erlang(Exe, Mode) ->
    S = start(Exe, Mode, [{timeout, 1000}]),
    expect({ok, [3, 2, 1]}, erlport_rs:call(S, erlang_apply, [lists, reverse, [[1, 2, 3]]])),
    expect({ok, "cba"}, erlport_rs:call(S, erlang_apply, [lists, reverse, ["abc"]])),
    expect({error, {not_allowed, {os, cmd, 1}}}, erlport_rs:call(S, erlang_apply, [os, cmd, ["touch /tmp/x"]])),
    expect({error, {not_allowed, {lists, sort, 1}}}, erlport_rs:call(S, erlang_apply, [lists, sort, [[2, 1]]])),
    expect({error, {not_allowed, {lists, reverse, 2}}}, erlport_rs:call(S, erlang_apply, [lists, reverse, [[1], [2]]])),
    expect({error, {exception, error, badarith}}, erlport_rs:call(S, erlang_apply, [erlang, error, [badarith]])),
    expect({error, {exception, error, function_clause}}, erlport_rs:call(S, erlang_apply, [lists, reverse, [x]])),
    %% A slow one is killed after the timeout and blocks nothing meanwhile.
    Slow = erlport_rs:send_request(S, erlang_apply, [?MODULE, slow, [3000]], 5000),
    expect({ok, [1]}, erlport_rs:call(S, erlang_apply, [lists, reverse, [[1]]])),
    expect({error, timeout}, erlport_rs:receive_response(Slow)),
    no_messages(),
    erlport_rs:stop(S).

slow(Ms) -> timer:sleep(Ms), slept.

%% Erlang -> Rust -> Erlang -> ... `N` levels each way.
nest(_S, 0) -> 0;
nest(S, N) ->
    {ok, M} = erlport_rs:call(S, erlang_apply, [?MODULE, nest, [S, N - 1]], 30000),
    M + 1.

nested(Exe, Mode) ->
    %% 8 chains of 10 calls into Erlang at once: 80 running, above the default 64.
    S = start(Exe, Mode, [{args, ["--threads", "4"]}, {timeout, 30000}, {max_rust_calls, 80}]),
    expect({ok, 9}, erlport_rs:call(S, erlang_apply, [?MODULE, nest, [S, 9]], 30000)),
    %% Eight of them at once, each 10 deep, on 4 threads.
    Self = self(),
    [spawn_link(fun() -> Self ! {nested, erlport_rs:call(S, erlang_apply, [?MODULE, nest, [S, 9]], 30000)} end)
     || _ <- lists:seq(1, 8)],
    [receive {nested, R} -> expect({ok, 9}, R) end || _ <- lists:seq(1, 8)],
    erlport_rs:stop(S).

timeouts(Exe, Mode) ->
    S = start(Exe, Mode, [{timeout, 200}]),
    expect({error, timeout}, erlport_rs:call(S, sleep, [400])),
    expect({error, timeout}, erlport_rs:call(S, sleep, [400], 50)),
    %% The next caller gets its own reply, not the late ones.
    expect(5, erlport_rs:call(S, add, [2, 3])),
    timer:sleep(500),
    no_messages(),
    expect(6, erlport_rs:call(S, add, [3, 3])),
    expect(300, erlport_rs:call(S, sleep, [300], 1000)),
    erlport_rs:stop(S).

options(Exe, Mode) ->
    S = start(Exe, Mode, [{packet, 2}, nouse_stdio, {compressed, 9},
                          {args, ["--packet", "2", "--fds", "--compressed", "9"]}]),
    Long = lists:duplicate(5000, 7),
    expect({ok, Long}, erlport_rs:call(S, erlang_apply, [lists, reverse, [Long]])),
    expect(3, erlport_rs:call(S, add, [1, 2])),
    expect(done, erlport_rs:call(S, progress, [2])),
    [receive {erlport_rs, S, _, N} -> ok after 1000 -> throw({missing_progress, N}) end || N <- [1, 2]],
    erlport_rs:stop(S).

killed(Exe, Mode) ->
    %% The server's crash report and the supervisor's are expected here.
    logger:set_primary_config(level, none),
    Self = self(),
    Sup = spawn(fun() -> supervisor(Exe, Mode, Self) end),
    receive {started, Sup} -> ok after 5000 -> throw(no_supervisor) end,
    S1 = whereis(jobs_server),
    OsPid = os_pid(S1),
    Callers = [spawn_link(fun() -> Self ! {killed, erlport_rs:call(jobs_server, sleep, [5000], 10000)} end)
               || _ <- lists:seq(1, 3)],
    timer:sleep(100),
    os:cmd("kill -9 " ++ integer_to_list(OsPid)),
    [receive {killed, R} -> expect({error, {port_exit, 137}}, R) after 2000 -> throw(no_port_exit) end
     || _ <- Callers],
    S2 = wait_restart(S1, 50),
    expect(3, erlport_rs:call(S2, add, [1, 2])),
    exit(Sup, shutdown),
    logger:set_primary_config(level, notice),
    ok.

wait_restart(_Old, 0) -> throw(not_restarted);
wait_restart(Old, N) ->
    case whereis(jobs_server) of
        Pid when is_pid(Pid), Pid =/= Old -> Pid;
        _ -> timer:sleep(20), wait_restart(Old, N - 1)
    end.

%% A one-for-one supervisor of one erlport_rs server, without an application.
supervisor(Exe, Mode, Parent) ->
    {ok, Sup} = supervisor:start_link(?MODULE, {Exe, Mode}),
    Parent ! {started, self()},
    receive stop -> ok end,
    exit(Sup, shutdown).

init({Exe, Mode}) ->
    Child = #{id => jobs,
              start => {erlport_rs, start_link, [Exe, [{name, jobs_server}, {args, Mode}]]}},
    {ok, {#{strategy => one_for_one, intensity => 5, period => 10}, [Child]}}.

stopped(Exe, Mode) ->
    Dir = string:trim(os:cmd("mktemp -d")),
    Err = filename:join(Dir, "stderr"),
    Status = filename:join(Dir, "status"),
    %% sh's stdin and stdout are the port; the program inherits them.
    Script = "\"$0\" \"$@\" 2>\"$ERR\"; echo $? >\"$STATUS\"",
    {ok, S} = erlport_rs:start("/bin/sh", [{args, ["-c", Script, Exe | Mode]},
                                          {env, [{"ERR", Err}, {"STATUS", Status}]}]),
    expect(3, erlport_rs:call(S, add, [1, 2])),
    erlport_rs:stop(S),
    expect({ok, <<"0\n">>}, wait_file(Status, 100)),
    expect({ok, <<>>}, file:read_file(Err)),
    os:cmd("rm -r " ++ Dir),
    ok.

wait_file(_Path, 0) -> timeout;
wait_file(Path, N) ->
    case file:read_file(Path) of
        {ok, <<"0\n">>} = Done -> Done;
        {ok, <<_, _/binary>> = Other} -> {ok, Other};
        _ -> timer:sleep(50), wait_file(Path, N - 1)
    end.

%%% Benchmarks

bench(Exe) ->
    N = 100000,
    Msg = term_to_binary({call, 1, add, [1, 2]}),
    {ok, S} = erlport_rs:start(Exe, []),
    Cat = open_port({spawn_executable, os:find_executable("cat")}, [{packet, 4}, binary]),
    %% This machine's speed changes from minute to minute, so erlport_rs and cat take turns
    %% (11 of each, N calls in all), and each turn's ratio is against the cat turn beside it.
    Turns = 11,
    Each = N div Turns,
    Seq = turns(Turns,
                fun() -> rate(Each, fun() -> [3 = erlport_rs:call(S, add, [1, 2]) || _ <- lists:seq(1, Each)] end) end,
                fun() -> rate(Each, fun() -> [cat_round_trip(Cat, Msg) || _ <- lists:seq(1, Each)] end) end),
    %% 32 processes calling one erlport_rs server, against 32 processes doing raw round
    %% trips, each to a cat of its own (a port answers only the process that owns it). The
    %% cat callers open their ports, and the erlport_rs callers make one call, before the
    %% clock starts.
    PerProcess = Each div 32,
    Par = turns(Turns,
                fun() -> timed_callers(32, PerProcess, fun() -> 3 = erlport_rs:call(S, add, [1, 2]) end,
                                       fun(_, K) -> [3 = erlport_rs:call(S, add, [1, 2]) || _ <- lists:seq(1, K)] end)
                end,
                fun() -> timed_callers(32, PerProcess, fun() ->
                             open_port({spawn_executable, os:find_executable("cat")}, [{packet, 4}, binary])
                         end, fun(Own, K) ->
                             [cat_round_trip(Own, Msg) || _ <- lists:seq(1, K)],
                             port_close(Own)
                         end)
                end),
    InFlight = rate(N, fun() -> requests_in_flight(S, N, 32) end),
    CatPar = rate(N, fun() -> cat_in_flight(Cat, Msg, N, 32) end),
    port_close(Cat),
    erlport_rs:stop(S),
    report("trivial calls, sequential", Seq, "cat"),
    report("trivial calls, 32 processes", Par, "32 processes each with a cat of its own"),
    io:format("trivial calls, one process keeping 32 in flight (send_request): erlport_rs ~s/s, "
              "through one cat ~s/s (~.2fx; the pipe's ceiling)~n",
              [fmt(InFlight), fmt(CatPar), InFlight / CatPar]),
    %% A handler that sleeps 10 ms: one at a time (the sequential mode's throughput) and
    %% from 32 callers at once.
    {ok, One} = erlport_rs:start(Exe, [{args, ["--threads", "1"]}]),
    SleepOne = rate(100, fun() -> [10 = erlport_rs:call(One, sleep, [10]) || _ <- lists:seq(1, 100)] end),
    erlport_rs:stop(One),
    {ok, Many} = erlport_rs:start(Exe, []),
    SleepMany = rate(3200, fun() -> callers(32, 100, fun() -> 10 = erlport_rs:call(Many, sleep, [10]) end) end),
    erlport_rs:stop(Many),
    io:format("sleep(10) calls: one at a time ~s/s, 32 callers ~s/s (~.1fx)~n",
              [fmt(SleepOne), fmt(SleepMany), SleepMany / SleepOne]),
    halt(0).

%% Ours and theirs, alternately: [{OurRate, TheirRate}] in the order run.
turns(N, Ours, Theirs) ->
    [{Ours(), Theirs()} || _ <- lists:seq(1, N)].

%% The median of the turns' ratios, with the lowest and highest, and the rates of the median
%% turn.
report(What, Turns, Them) ->
    Sorted = lists:sort([{Us / Cat, Us, Cat} || {Us, Cat} <- Turns]),
    {Ratio, Us, Cat} = lists:nth((length(Sorted) + 1) div 2, Sorted),
    {Low, _, _} = hd(Sorted),
    {High, _, _} = lists:last(Sorted),
    io:format("~s: erlport_rs ~s/s, ~s ~s/s (~.2fx; ~b turns, ~.2f to ~.2fx)~n",
              [What, fmt(Us), Them, fmt(Cat), Ratio, length(Sorted), Low, High]).

rate(N, Fun) ->
    {Us, _} = timer:tc(Fun),
    N * 1000000 / Us.

fmt(Rate) -> integer_to_list(round(Rate)).

cat_round_trip(Cat, Msg) ->
    Cat ! {self(), {command, Msg}},
    receive {Cat, {data, _}} -> ok end.

cat_in_flight(Cat, Msg, N, Window) ->
    [Cat ! {self(), {command, Msg}} || _ <- lists:seq(1, Window)],
    cat_loop(Cat, Msg, N - Window, N).

cat_loop(_Cat, _Msg, _ToSend, 0) -> ok;
cat_loop(Cat, Msg, ToSend, Left) ->
    receive {Cat, {data, _}} -> ok end,
    case ToSend > 0 of
        true -> Cat ! {self(), {command, Msg}};
        false -> ok
    end,
    cat_loop(Cat, Msg, ToSend - 1, Left - 1).

%% N calls from one process, Window of them outstanding at any time.
requests_in_flight(S, N, Window) ->
    Queue = queue:from_list([erlport_rs:send_request(S, add, [1, 2]) || _ <- lists:seq(1, Window)]),
    in_flight(S, Queue, N - Window).

in_flight(S, Queue, ToSend) ->
    case queue:out(Queue) of
        {empty, _} -> ok;
        {{value, Ref}, Rest} ->
            3 = erlport_rs:receive_response(Ref),
            case ToSend > 0 of
                true -> in_flight(S, queue:in(erlport_rs:send_request(S, add, [1, 2]), Rest), ToSend - 1);
                false -> in_flight(S, Rest, 0)
            end
    end.

callers(P, Each, Fun) ->
    callers(P, Each, Fun, fun(N) -> [Fun() || _ <- lists:seq(1, N)] end).

%% Calls per second of P processes, each running Setup() and then, once all are ready and
%% the clock has started, Loop(Setup's result, Each).
timed_callers(P, Each, Setup, Loop) ->
    Self = self(),
    Pids = [spawn_link(fun() ->
                           Ready = Setup(),
                           Self ! {ready, self()},
                           receive go -> ok end,
                           Loop(Ready, Each),
                           Self ! {done, self()}
                       end) || _ <- lists:seq(1, P)],
    [receive {ready, Pid} -> ok end || Pid <- Pids],
    T0 = erlang:monotonic_time(microsecond),
    [Pid ! go || Pid <- Pids],
    [receive {done, Pid} -> ok end || Pid <- Pids],
    P * Each * 1000000 / max(1, erlang:monotonic_time(microsecond) - T0).

%% P processes, each running Loop(Each); they start together.
callers(P, Each, _Fun, Loop) ->
    Self = self(),
    Pids = [spawn_link(fun() -> receive go -> ok end, Loop(Each), Self ! {done, self()} end)
            || _ <- lists:seq(1, P)],
    [Pid ! go || Pid <- Pids],
    [receive {done, Pid} -> ok end || Pid <- Pids],
    ok.
