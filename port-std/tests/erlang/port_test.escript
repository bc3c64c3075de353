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
    [bad_packets(Name, P, Fds) || Name <- ["hello", "echo"], P <- [1, 2, 4], Fds <- [false, true]],
    pipelined_with_bad_packets(100000),
    big_request_memory(),
    gibibyte_header(),
    misbehaving_handlers(),
    fatal_ends(),
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

open(Name, Packet, Fds, Comp) -> open(Name, Packet, Fds, Comp, []).
open(Name, Packet, Fds, Comp, Extra) ->
    Args = ["--packet", integer_to_list(Packet)] ++ Extra
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
    expect(L("empty name"), Port, {hello, ""}, fun(R) -> R =:= "Hello, " end),
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

%% ---------------------------------------------------------------------------------------
%% Bad input never ends a port: every packet that frames correctly is answered.

%% Packets that frame correctly but are not one term, or are over the limit (100 bytes here).
bad_packet_cases() ->
    Zlib = fun(B) -> zlib:compress(B) end,
    [{"empty packet", <<>>, decode},
     {"not ETF", <<"hello">>, decode},
     {"a stray byte after the term", <<(term_to_binary(ok))/binary, 0>>, decode},
     {"version byte 130", <<130, 97, 1>>, decode},
     {"a list claiming 2^32-1 elements", <<131, 108, 255, 255, 255, 255, 106>>, decode},
     {"compressed, declaring 4 GiB", <<131, 80, 255, 255, 255, 255, (Zlib(<<97, 1>>))/binary>>, decode},
     {"compressed, declaring 64 MiB, inflating to 1 byte", <<131, 80, 4, 0, 0, 0, (Zlib(<<106>>))/binary>>, decode},
     {"compressed, not zlib", <<131, 80, 0, 0, 0, 2, 1, 2, 3, 4>>, decode},
     {"over the limit", binary:copy(<<"x">>, 200), {packet_too_large, 200, 100}}].

good_request("hello") -> {{hello, "Bob"}, "Hello, Bob"};
good_request("echo") -> {{1, [2]}, {ok, {1, [2]}}}.

bad_packets(Name, P, Fds) ->
    Label = lists:flatten(io_lib:format("~s packet ~p ~s", [Name, P, case Fds of true -> "fds"; false -> "stdio" end])),
    Port = open(Name, P, Fds, none, ["--max-packet", "100"]),
    {Good, GoodReply} = good_request(Name),
    [begin
         Port ! {self(), {command, Bin}},
         R = receive {Port, {data, D}} -> binary_to_term(D); {Port, {exit_status, S}} -> {port_exited, S} after 5000 -> timeout end,
         Ok = case {Want, R} of
                  {decode, {error, {decode, <<_, _/binary>>}}} -> true;
                  {{packet_too_large, L, M}, {error, {packet_too_large, L, M}}} -> true;
                  _ -> R
              end,
         check(Label ++ ": " ++ What ++ " is answered with an error", Ok),
         check(Label ++ ": serves on after " ++ What, call(Port, Good) =:= GoodReply)
     end || {What, Bin, Want} <- bad_packet_cases()],
    port_close_and_status(Label ++ ": exit 0 after close", Port).

os_pid(Port) -> {os_pid, OsPid} = erlang:port_info(Port, os_pid), OsPid.

%% Resident memory of a process, in KiB, from /proc.
rss_kib(OsPid) ->
    {ok, Status} = file:read_file("/proc/" ++ integer_to_list(OsPid) ++ "/status"),
    {match, [Kib]} = re:run(Status, "VmRSS:\\s+(\\d+) kB", [{capture, all_but_first, list}]),
    list_to_integer(Kib).

%% 100,000 pipelined requests, every tenth one bad: every good one answered correctly, in
%% order, every bad one with an error; resident memory flat.
pipelined_with_bad_packets(N) ->
    Port = open("hello", 4, false, none),
    Send = fun(I) when I rem 10 =:= 0 -> Port ! {self(), {command, <<"bad", I:32>>}};
              (I) -> Port ! {self(), {command, term_to_binary({divide, I, 1})}} end,
    Half = N div 2,
    [Send(I) || I <- lists:seq(1, Half)],
    Got1 = collect_mixed(Port, 1, Half),
    Early = rss_kib(os_pid(Port)),
    [Send(I) || I <- lists:seq(Half + 1, N)],
    Got2 = collect_mixed(Port, Half + 1, N),
    Late = rss_kib(os_pid(Port)),
    io:format("pipelined with every tenth bad: RSS ~p KiB after ~p requests, ~p KiB after ~p~n", [Early, Half, Late, N]),
    check(lists:flatten(io_lib:format("~p pipelined, every tenth bad: all answered in order", [N])), Got1 andalso Got2),
    check("pipelined with bad packets: RSS flat (within 1 MiB)", Late - Early =< 1024 orelse {Early, Late}),
    port_close(Port).

collect_mixed(_, I, N) when I > N -> true;
collect_mixed(Port, I, N) ->
    receive
        {Port, {data, D}} ->
            case {I rem 10, binary_to_term(D)} of
                {0, {error, {decode, _}}} -> collect_mixed(Port, I + 1, N);
                {R, I} when R =/= 0 -> collect_mixed(Port, I + 1, N);
                {_, Other} -> {reply, I, Other}
            end
    after 10000 -> {timeout_at, I}
    end.

%% A 256 MB request and a 256 MB reply (the limit raised to allow them), then small ones:
%% the port gives the memory back.
big_request_memory() ->
    Port = open("misbehave", 4, false, none, ["--max-packet", "300000000"]),
    Size = 256 * 1024 * 1024,
    Big = binary:copy(<<"0123456789abcdef">>, Size div 16),
    check("256 MB request answered", call(Port, {size, Big}) =:= Size),
    check("small request after it", call(Port, {size, <<1, 2, 3>>}) =:= 3),
    AfterRequest = rss_kib(os_pid(Port)),
    check("256 MB reply", case call(Port, {bytes, Size}) of B when byte_size(B) =:= Size -> true; R -> R end),
    check("small request after the big reply", call(Port, {size, <<1>>}) =:= 1),
    AfterReply = rss_kib(os_pid(Port)),
    io:format("RSS after a 256 MB request and a small one: ~p KiB; after a 256 MB reply and a small one: ~p KiB~n",
              [AfterRequest, AfterReply]),
    check("RSS below 64 MB after a 256 MB request", AfterRequest < 64 * 1024 orelse AfterRequest),
    check("RSS below 64 MB after a 256 MB reply", AfterReply < 64 * 1024 orelse AfterReply),
    port_close(Port).

%% Raw bytes to a {packet, 4} port (the VM does no framing here), and its framed replies.
raw_port(Name, Extra) ->
    open_port({spawn_executable, exe(Name)}, [binary, stream, exit_status, {args, ["--packet", "4"] ++ Extra}]).

raw_reply(Port) -> raw_reply(Port, <<>>).
raw_reply(_Port, <<Len:32, Body:Len/binary, _/binary>>) -> binary_to_term(Body);
raw_reply(Port, Acc) ->
    receive {Port, {data, D}} -> raw_reply(Port, <<Acc/binary, D/binary>>)
    after 10000 -> {timeout, Acc}
    end.

%% A header announcing 1 GiB, with the default 64 MiB limit: answered at once, its body
%% skipped without being stored, the next request served.
gibibyte_header() ->
    Port = raw_port("hello", []),
    Gib = 1 bsl 30,
    Port ! {self(), {command, <<Gib:32>>}},
    check("1 GiB header answered before its body arrives",
          raw_reply(Port) =:= {error, {packet_too_large, Gib, 64 * 1024 * 1024}}),
    Chunk = binary:copy(<<0>>, 1 bsl 20),
    [port_command(Port, Chunk) || _ <- lists:seq(1, Gib bsr 20)],
    Msg = term_to_binary({hello, "Bob"}),
    port_command(Port, <<(byte_size(Msg)):32, Msg/binary>>),
    check("served on after a skipped 1 GiB body", raw_reply(Port) =:= "Hello, Bob"),
    Rss = rss_kib(os_pid(Port)),
    io:format("RSS after skipping a 1 GiB packet: ~p KiB~n", [Rss]),
    check("1 GiB packet skipped without storing it (RSS below 16 MB)", Rss < 16 * 1024 orelse Rss),
    port_close(Port).

%% A program run through `sh`, its stderr and exit status caught in files.
wrapped(Name, Args, Redirect, Opts) ->
    Tmp = filename:join(get(dir), Name ++ "_" ++ integer_to_list(erlang:unique_integer([positive]))),
    %% Earlier runs over the same directory left files of the same names.
    file:delete(Tmp ++ ".err"), file:delete(Tmp ++ ".status"),
    Cmd = lists:flatten(io_lib:format("sh -c '~s ~s ~s 2>~s.err; echo $? >~s.status'",
                                      [exe(Name), string:join(Args, " "), Redirect, Tmp, Tmp])),
    {open_port({spawn, Cmd}, Opts), Tmp}.

finished(Tmp) ->
    Status = wait_file(Tmp ++ ".status", 100),
    {ok, Err} = file:read_file(Tmp ++ ".err"),
    {Status, Err}.

misbehaving_handlers() ->
    {Port, Tmp} = wrapped("misbehave", ["--packet", "1"], "", [{packet, 1}, binary]),
    Prints = [call(Port, {print, <<"debug line ", (integer_to_binary(I))/binary>>}) || I <- lists:seq(1, 100)],
    check("println! in a handler: framing intact", lists:all(fun(R) -> R =:= ok end, Prints) orelse lists:usort(Prints)),
    check("a panic on another thread: the handler still answers", call(Port, background_panic) =:= ok),
    Long = binary:copy(<<"e">>, 235),
    check("an exception too long for {packet, 1} is cut to fit and says so",
          case call(Port, {fail, Long}) of
              {error, {exception, {_, Msg, _}}} -> binary:match(Msg, <<"cut from">>) =/= nomatch;
              R -> R
          end),
    check("a reply too long for {packet, 1}", call(Port, {bytes, 300}) =:= {error, {reply_too_large, 306, 255}}),
    check("serves on after them", call(Port, {size, <<1, 2>>}) =:= 2),
    port_close(Port),
    {Status, Err} = finished(Tmp),
    check("misbehaving handlers: exit 0 after close", Status =:= <<"0\n">> orelse Status),
    check("println! text went to stderr", binary:match(Err, <<"debug line 100\n">>) =/= nomatch orelse Err),
    check("the other thread's panic was printed to stderr by the usual hook",
          binary:match(Err, <<"a panic outside any handler">>) =/= nomatch orelse Err).

%% What ends a port: input ending inside a packet (nonzero exit, one line on stderr);
%% stdout closed before the port starts (nonzero exit, a reason on stderr).
fatal_ends() ->
    {Port, Tmp} = wrapped("hello", ["--packet", "4"], "", [binary, stream]),
    port_command(Port, <<0, 0, 0, 10, 131, 97>>),
    port_close(Port),
    {Status, Err} = finished(Tmp),
    check("EOF inside a packet: exit 1", Status =:= <<"1\n">> orelse Status),
    check("EOF inside a packet: one line on stderr saying so",
          (length(binary:split(Err, <<"\n">>, [global, trim])) =:= 1
           andalso binary:match(Err, <<"2 of 10 bytes">>) =/= nomatch) orelse Err),
    {Port2, Tmp2} = wrapped("hello", [], ">&-", [{packet, 1}, binary]),
    {Status2, Err2} = finished(Tmp2),
    catch port_close(Port2),
    check("stdout closed: nonzero exit", Status2 =/= <<"0\n">> orelse Status2),
    check("stdout closed: the reason on stderr", binary:match(Err2, <<"/dev/null">>) =/= nomatch orelse Err2).

echo_checks() ->
    Port = open("echo", 4, false, none),
    Terms = [ok, [1, 2 | 3], #{a => <<1, 2, 3:5>>}, {1.5, -(1 bsl 100), "string"}, <<>>, self(), make_ref(), fun lists:map/2],
    [check("echo " ++ lists:flatten(io_lib:format("~P", [T, 5])), case call(Port, T) of {ok, T} -> true; R -> R end) || T <- Terms],
    Port ! {self(), {command, <<131, 108, 255, 255, 255, 255, 106>>}},
    check("echo refuses a lying length", receive {Port, {data, D}} -> case binary_to_term(D) of {error, {decode, <<_/binary>>}} -> true; O -> O end after 5000 -> timeout end),
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
               case R of {error, {reply_too_large, L, M}} when L > M -> true; _ -> R end),
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
    port_close(Cat2), port_close(Echo),
    bad_packet_bench().

%% Bad packets answered per second, pipelined 32 in flight, beside good requests.
bad_packet_bench() ->
    Hello = open("hello", 4, false, none),
    Cases = [{"{hello, <<\"Bob\">>} (good)", term_to_binary({hello, <<"Bob">>})},
             {"not ETF", <<"hello">>},
             {"a list claiming 2^32-1 elements", <<131, 108, 255, 255, 255, 255, 106>>},
             {"compressed, declaring 64 MiB, inflating to 1 byte", <<131, 80, 4, 0, 0, 0, (zlib:compress(<<106>>))/binary>>}],
    [begin
         Rate = pipe(Hello, Msg, 100000, 32),
         io:format("requests/s, 32 in flight: ~p ~s~n", [Rate, What])
     end || {What, Msg} <- Cases],
    port_close(Hello).

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
