#!/usr/bin/env escript
%% -*- erlang -*-
%% Drives the example port programs from a real Erlang VM and checks every reply.
%%   escript port_test.escript EXAMPLES_DIR [bench]
%% Prints one line per check group and "N passed, M failed"; exits 1 on any failure.
%% With `bench`, also prints round trips per second (sequential, 32 in flight) and the time to
%% echo 50 MB, next to a raw `cat` port, measured in the same run.
-mode(compile).

main([Dir | Rest]) ->
    put(dir, Dir),
    put(failures, 0),
    put(passes, 0),
    [protocol_checks(P, Fds, Comp) || P <- [1, 2, 4], Fds <- [false, true], Comp <- [none, 6]],
    pipelined(100000),
    echo_checks(),
    big_echo(),
    oversized_replies(),
    close_mid_stream(),
    stream_checks(),
    case Rest of ["bench"] -> bench(); _ -> ok end,
    F = get(failures),
    io:format("~p passed, ~p failed~n", [get(passes), F]),
    halt(case F of 0 -> 0; _ -> 1 end).

exe(Name) -> filename:join(get(dir), Name).

open(Name, Packet, Fds, Comp) ->
    Args = ["--packet", integer_to_list(Packet)]
        ++ case Fds of true -> ["--fds"]; false -> [] end
        ++ case Comp of none -> []; L -> ["--compressed", integer_to_list(L)] end,
    Opts = [{packet, Packet}, binary, exit_status, {args, Args}]
        ++ case Fds of true -> [nouse_stdio]; false -> [] end,
    open_port({spawn_executable, exe(Name)}, Opts).

check(What, true) -> put(passes, get(passes) + 1), What;
check(What, Got) ->
    put(failures, get(failures) + 1),
    io:format("FAIL ~s: ~P~n", [What, Got, 30]).

call(Port, Message) -> call(Port, Message, []).
call(Port, Message, Opts) ->
    Port ! {self(), {command, term_to_binary(Message, Opts)}},
    receive
        {Port, {data, Data}} -> binary_to_term(Data);
        {Port, {exit_status, S}} -> {port_exited, S}
    after 10000 -> timeout
    end.

expect(What, Port, Message, Pred) ->
    Reply = call(Port, Message),
    check(What, case Pred(Reply) of true -> true; false -> Reply end).

protocol_checks(Packet, Fds, Comp) ->
    Label = lists:flatten(io_lib:format("hello packet ~p ~s ~p", [Packet, case Fds of true -> "fds"; false -> "stdio" end, Comp])),
    Port = open("hello", Packet, Fds, Comp),
    L = fun(S) -> Label ++ ": " ++ S end,
    expect(L("hello string"), Port, {hello, "Bob"}, fun(R) -> R =:= "Hello, Bob" end),
    expect(L("hello binary"), Port, {hello, <<"Bob">>}, fun(R) -> R =:= "Hello, Bob" end),
    expect(L("hello unicode"), Port, {hello, <<"Zoë"/utf8>>}, fun(R) -> R =:= "Hello, Zoë" end),
    expect(L("Err reply"), Port, {hello, ""},
           fun({error, {exception, {T, <<"a name, please">>, Trace}}}) -> is_atom(T) andalso is_list(Trace); (_) -> false end),
    expect(L("divide"), Port, {divide, 7, 2}, fun(R) -> R =:= 3 end),
    expect(L("panic"), Port, {divide, 1, 0},
           fun({error, {exception, {panic, <<"attempt to divide by zero">>, [Loc]}}}) -> is_binary(Loc); (_) -> false end),
    expect(L("wrong arity"), Port, {divide, 1}, fun(R) -> R =:= {error, function_clause} end),
    expect(L("wrong types"), Port, {divide, a, 1.5}, fun(R) -> R =:= {error, function_clause} end),
    expect(L("unknown handler"), Port, {nosuch, 1}, fun(R) -> R =:= {error, undef} end),
    expect(L("unknown bare atom"), Port, nosuch, fun(R) -> R =:= {error, undef} end),
    expect(L("not a tuple"), Port, 42, fun(R) -> R =:= {error, badarg} end),
    expect(L("tuple not led by atom"), Port, {1, 2}, fun(R) -> R =:= {error, badarg} end),
    Long = lists:duplicate(case Packet of 1 -> 150; _ -> 2000 end, $a),
    Reply = call(Port, {hello, Long}, [compressed]),
    check(L("compressed request"), case Reply of "Hello, " ++ Long -> true; _ -> Reply end),
    expect(L("still serving"), Port, {hello, "again"}, fun(R) -> R =:= "Hello, again" end),
    port_close_and_status(L("exit after close"), Port).

%% Closing the port: the program sees end of input and exits 0 by itself.
port_close_and_status(What, Port) ->
    {os_pid, OsPid} = erlang:port_info(Port, os_pid),
    port_close(Port),
    check(What, wait_gone(OsPid, 50)).

wait_gone(_, 0) -> still_running;
wait_gone(OsPid, N) ->
    case os:cmd("kill -0 " ++ integer_to_list(OsPid) ++ " 2>&1") of
        "" -> timer:sleep(100), wait_gone(OsPid, N - 1);
        _ -> true
    end.

pipelined(N) ->
    Port = open("hello", 4, false, none),
    [Port ! {self(), {command, term_to_binary({divide, I, 1})}} || I <- lists:seq(1, N)],
    Got = collect(Port, 1, N),
    check(lists:flatten(io_lib:format("~p pipelined requests answered once, in order", [N])), Got),
    port_close(Port).

collect(_, I, N) when I > N -> true;
collect(Port, I, N) ->
    receive
        {Port, {data, D}} ->
            case binary_to_term(D) of
                I -> collect(Port, I + 1, N);
                Other -> {reply, I, Other}
            end
    after 10000 -> {timeout_at, I}
    end.

echo_checks() ->
    Port = open("echo", 4, false, none),
    Terms = [ok, [1, 2 | 3], #{a => <<1, 2, 3:5>>}, {1.5, -(1 bsl 100), "string"}, <<>>, self(), make_ref(), fun lists:map/2],
    [check("echo " ++ lists:flatten(io_lib:format("~P", [T, 5])), case call(Port, T) of {ok, T} -> true; R -> R end) || T <- Terms],
    Port ! {self(), {command, <<131, 108, 255, 255, 255, 255, 106>>}},
    check("echo refuses a lying length", receive {Port, {data, D}} -> case binary_to_term(D) of {error, <<_/binary>>} -> true; O -> O end after 5000 -> timeout end),
    port_close(Port).

big_echo() ->
    Port = open("echo", 4, false, none),
    Big = crypto_free_bytes(50 * 1024 * 1024),
    check("50 MB binary echoed intact", case call(Port, Big) of {ok, Big} -> true; R -> {other, byte_size(term_to_binary(R))} end),
    port_close(Port).

crypto_free_bytes(N) -> binary:copy(<<"0123456789abcdef">>, N div 16).

oversized_replies() ->
    [begin
         Port = open("echo", P, false, none),
         Bin = binary:copy(<<"x">>, Size),
         R = call(Port, Bin),
         check(lists:flatten(io_lib:format("packet ~p: reply too large is an error", [P])),
               case R of {error, <<"packet of ", _/binary>>} -> true; _ -> R end),
         check(lists:flatten(io_lib:format("packet ~p: still in step after it", [P])), call(Port, ok) =:= {ok, ok}),
         port_close(Port)
     end || {P, Size} <- [{1, 245}, {2, 65525}]].

close_mid_stream() ->
    Dir = get(dir),
    Tmp = filename:join(Dir, "close_mid_stream"),
    file:delete(Tmp ++ ".err"), file:delete(Tmp ++ ".status"),
    Cmd = lists:flatten(io_lib:format("sh -c '~s 2>~s.err; echo $? >~s.status'", [exe("hello"), Tmp, Tmp])),
    Port = open_port({spawn, Cmd}, [{packet, 1}, binary]),
    [Port ! {self(), {command, term_to_binary({hello, integer_to_list(I)})}} || I <- lists:seq(1, 2000)],
    port_close(Port),
    Status = wait_file(Tmp ++ ".status", 50),
    {ok, Err} = file:read_file(Tmp ++ ".err"),
    check("closed mid-stream: exit status 0", Status =:= <<"0\n">> orelse Status),
    check("closed mid-stream: nothing on stderr", Err =:= <<>> orelse Err).

wait_file(_, 0) -> timeout;
wait_file(F, N) ->
    case file:read_file(F) of
        {ok, B} when B =/= <<>> -> B;
        _ -> timer:sleep(100), wait_file(F, N - 1)
    end.

stream_checks() ->
    [begin
         Port = open("stream", P, Fds, none),
         Port ! {self(), {command, term_to_binary({count, 1000})}},
         Items = [receive {Port, {data, D}} -> binary_to_term(D) after 5000 -> timeout end || _ <- lists:seq(1, 1001)],
         check(lists:flatten(io_lib:format("stream packet ~p fds ~p", [P, Fds])),
               Items =:= [{item, I} || I <- lists:seq(1, 1000)] ++ [done] orelse lists:sublist(Items, 3)),
         port_close(Port)
     end || P <- [2, 4], Fds <- [false, true]].

%% ---------------------------------------------------------------------------------------
%% Benchmarks: the same work against `cat`, which only copies packets back.

bench() ->
    Msg = term_to_binary({hello, <<"Bob">>}),
    Cat = open_port({spawn, "cat"}, [{packet, 4}, binary]),
    Hello = open("hello", 4, false, none),
    N = 50000,
    [begin
         SeqCat = seq(Cat, Msg, N), SeqOurs = seq(Hello, Msg, N),
         PipeCat = pipe(Cat, Msg, N, 32), PipeOurs = pipe(Hello, Msg, N, 32),
         io:format("round trips/s sequential: hello ~p, cat ~p (~.2fx); 32 in flight: hello ~p, cat ~p (~.2fx)~n",
                   [SeqOurs, SeqCat, SeqOurs / SeqCat, PipeOurs, PipeCat, PipeOurs / PipeCat])
     end || _ <- [1, 2]],
    port_close(Cat), port_close(Hello),
    Big = binary:copy(<<"0123456789abcdef">>, 50 * 1024 * 1024 div 16),
    BigTerm = term_to_binary(Big),
    Cat2 = open_port({spawn, "cat"}, [{packet, 4}, binary]),
    Echo = open("echo", 4, false, none),
    [begin
         {TCat, _} = timer:tc(fun() -> Cat2 ! {self(), {command, BigTerm}}, receive {Cat2, {data, _}} -> ok end end),
         {TOurs, _} = timer:tc(fun() -> Echo ! {self(), {command, BigTerm}}, receive {Echo, {data, _}} -> ok end end),
         io:format("50 MB echo: echo ~.1f ms, cat ~.1f ms (~.2fx)~n", [TOurs / 1000, TCat / 1000, TOurs / TCat])
     end || _ <- [1, 2, 3]],
    port_close(Cat2), port_close(Echo).

seq(Port, Msg, N) ->
    {T, _} = timer:tc(fun() -> [begin Port ! {self(), {command, Msg}}, receive {Port, {data, _}} -> ok end end || _ <- lists:seq(1, N)] end),
    round(N / (T / 1.0e6)).

pipe(Port, Msg, N, Window) ->
    {T, _} = timer:tc(fun() ->
        [Port ! {self(), {command, Msg}} || _ <- lists:seq(1, Window)],
        pipe_loop(Port, Msg, N - Window, Window)
    end),
    round(N / (T / 1.0e6)).

pipe_loop(_, _, 0, 0) -> ok;
pipe_loop(Port, Msg, Left, InFlight) ->
    receive {Port, {data, _}} -> ok end,
    case Left of
        0 -> pipe_loop(Port, Msg, 0, InFlight - 1);
        _ -> Port ! {self(), {command, Msg}}, pipe_loop(Port, Msg, Left - 1, InFlight)
    end.
