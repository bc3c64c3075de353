#!/usr/bin/env escript
%% -*- erlang -*-
%%! -noshell
%% erlport_rs_pool on a real cluster: this node and two peers started here (`peer', short
%% names), the `jobs' example pooled on the peers, called from this node.
%% Usage: escript pool_test.escript EXAMPLES_DIR ERLANG_SRC_DIR [bench]
%%   bench: print calls per second (32 callers; the pool on one node, then on two) and the
%%   cost of one call from another node against one from the pool's own node.
%% Prints one line per failure and "N passed, M failed"; exits 1 on any failure.
-mode(compile).
-export([main/1]).

-define(GROUP, pool_test_jobs).

main([Dir, Src | Rest]) ->
    Ebin = compile_all(Src),
    start_distribution(),
    Exe = filename:join(Dir, "jobs"),
    case Rest of
        ["bench" | _] -> bench(Exe, Ebin);
        _ -> test(Exe, Ebin)
    end.

%% erlport_rs and a helper run on the peers: compiled into a directory of their own.
compile_all(Src) ->
    Ebin = filename:join(os:getenv("TMPDIR", "/tmp"), "erlport_rs_pool_test_" ++ os:getpid()),
    ok = filelib:ensure_path(Ebin),
    Helper = filename:join(Ebin, "pool_test_helper.erl"),
    ok = file:write_file(Helper, helper_source()),
    [begin
         {ok, _} = compile:file(File, [{outdir, Ebin}, return_errors, warnings_as_errors]),
         ok
     end || File <- [Helper | filelib:wildcard(filename:join(Src, "*.erl"))]],
    true = code:add_patha(Ebin),
    Ebin.

helper_source() ->
    <<"-module(pool_test_helper).\n"
      "-export([calls/3]).\n"
      "%% N sequential calls from this node: the microseconds they took, and the wrong replies.\n"
      "calls(Group, N, Pool) ->\n"
      "    {Us, Wrong} = timer:tc(fun() -> length([I || I <- lists:seq(1, N),\n"
      "        Pool:call(Group, add, [I, 1]) =/= I + 1]) end),\n"
      "    {Us, Wrong}.\n">>.

start_distribution() ->
    _ = os:cmd("epmd -daemon"),
    {ok, _} = net_kernel:start([list_to_atom("pool_test_" ++ os:getpid()), shortnames]),
    ok.

peer(Ebin) ->
    %% The peers log only what is critical: the crashes the tests cause are expected.
    {ok, Peer, Node} = peer:start_link(#{name => peer:random_name(pool_test),
                                        args => ["-pa", Ebin, "-kernel", "logger_level", "critical"]}),
    {Peer, Node}.

pool_on(Node, Exe, Size) ->
    {ok, Pool} = erpc:call(Node, erlport_rs_pool, start, [?GROUP, Exe, [{size, Size}]]),
    Pool.

%% Waits until `Check()' holds (a few seconds at most).
wait_until(Check, What) -> wait_until(Check, What, 500).
wait_until(Check, What, 0) -> throw({timeout_waiting_for, What, Check()});
wait_until(Check, What, N) ->
    case Check() of
        true -> ok;
        _ -> timer:sleep(10), wait_until(Check, What, N - 1)
    end.

members_on(Node) -> [P || P <- erlport_rs_pool:members(?GROUP), node(P) =:= Node].

test(Exe, Ebin) ->
    Tests = [
        {"no members: {error, no_members} at once", fun no_members/2},
        {"a pool on this node: calls go to a local member, the least loaded", fun local_pool/2},
        {"from another node: the least loaded member, this node's calls counted", fun remote_least_loaded/2},
        {"100,000 calls from a third node; a pool node killed midway", fun node_killed/2},
        {"a member killed, or its program, is restarted and joins again", fun restarted/2}
    ],
    Results = [{Name, run(Fun, Exe, Ebin)} || {Name, Fun} <- Tests],
    Failures = [{Name, Why} || {Name, Why} <- Results, Why =/= ok],
    [io:format("FAIL ~s: ~s~n", [Name, Why]) || {Name, Why} <- Failures],
    io:format("pool: ~p passed, ~p failed~n", [length(Tests) - length(Failures), length(Failures)]),
    _ = file:del_dir_r(Ebin),
    halt(case Failures of [] -> 0; _ -> 1 end).

run(Fun, Exe, Ebin) ->
    Self = self(),
    {Pid, Ref} = spawn_monitor(fun() ->
        Result = try Fun(Exe, Ebin) of
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
    after 120000 ->
        exit(Pid, kill),
        "no result in 120 s"
    end.

expect(Expected, Got) ->
    case Got of
        Expected -> ok;
        _ -> throw({expected, Expected, got, Got})
    end.

no_members(_Exe, _Ebin) ->
    expect({error, no_members}, erlport_rs_pool:call(pool_test_nobody, add, [1, 2])),
    expect({error, no_members}, erlport_rs_pool:receive_response(erlport_rs_pool:send_request(pool_test_nobody, add, [1, 2]))).

local_pool(Exe, _Ebin) ->
    {ok, Pool} = erlport_rs_pool:start_link(pool_test_local, Exe, [{size, 3}]),
    Members = erlport_rs_pool:local_members(pool_test_local),
    expect(3, length(Members)),
    expect(3, erlport_rs_pool:call(pool_test_local, add, [1, 2])),
    %% Each call is answered by a member of this node (`server' is the member's own pid).
    Servers = [erlport_rs_pool:call(pool_test_local, server, []) || _ <- lists:seq(1, 30)],
    expect([], [S || S <- Servers, not lists:member(S, Members)]),
    %% One member busy with a long call: the next calls go to the others.
    Busy = erlport_rs_pool:send_request(pool_test_local, sleep, [500]),
    timer:sleep(50),
    Loads = [erlport_rs:load(M) || M <- Members],
    expect([0, 0, 1], lists:sort(Loads)),
    [BusyMember] = [M || M <- Members, erlport_rs:load(M) =:= 1],
    Others = [erlport_rs_pool:call(pool_test_local, server, []) || _ <- lists:seq(1, 20)],
    expect(false, lists:member(BusyMember, Others)),
    expect(500, erlport_rs_pool:receive_response(Busy)),
    unlink(Pool),
    ok = erlport_rs_pool:stop(Pool),
    wait_until(fun() -> erlport_rs_pool:local_members(pool_test_local) =:= [] end, members_gone).

remote_least_loaded(Exe, Ebin) ->
    {Peer, A} = peer(Ebin),
    pool_on(A, Exe, 2),
    wait_until(fun() -> length(members_on(A)) =:= 2 end, two_members),
    [Busy, Idle] = members_on(A),
    %% One member busy with a long call (made on its node, by erpc): once the loads are read
    %% again (every 100 ms), calls from here go to the other.
    Long = erlport_rs:send_request(Busy, sleep, [1500]),
    timer:sleep(300),
    _ = erlport_rs_pool:call(?GROUP, add, [1, 1]),
    Servers = [erlport_rs_pool:call(?GROUP, server, []) || _ <- lists:seq(1, 20)],
    expect([Idle], lists:usort(Servers)),
    expect(1500, erlport_rs:receive_response(Long)),
    %% Both idle: 100 calls at once spread evenly, the loads read once (by the first call)
    %% and this node's own calls counted between readings (without, all would go to one).
    timer:sleep(150),
    _ = erlport_rs_pool:call(?GROUP, add, [1, 1]),
    Self = self(),
    Sleepers = [spawn_link(fun() -> Self ! {slept, self(), erlport_rs_pool:call(?GROUP, sleep, [2000])} end)
                || _ <- lists:seq(1, 100)],
    wait_until(fun() -> lists:sum(maps:values(erpc:call(A, erlport_rs_pool, local_loads, [?GROUP]))) =:= 100 end,
               hundred_calls_waiting),
    #{Busy := OnBusy, Idle := OnIdle} = erpc:call(A, erlport_rs_pool, local_loads, [?GROUP]),
    io:format("  100 calls at once from another node: ~p and ~p on its two members~n", [OnBusy, OnIdle]),
    true = abs(OnBusy - OnIdle) =< 6 orelse throw({uneven, OnBusy, OnIdle}),
    [receive {slept, P, R} -> expect(2000, R) after 10000 -> throw({sleeper_stuck, P}) end || P <- Sleepers],
    peer:stop(Peer),
    ok.

node_killed(Exe, Ebin) ->
    {PeerA, A} = peer(Ebin),
    {PeerB, B} = peer(Ebin),
    pool_on(A, Exe, 2),
    pool_on(B, Exe, 2),
    wait_until(fun() -> length(erlport_rs_pool:members(?GROUP)) =:= 4 end, four_members),
    Total = 100000,
    Counter = atomics:new(1, []),
    Self = self(),
    Callers = [spawn_link(fun() -> Self ! {done, self(), calls(Counter, Total, #{})} end) || _ <- lists:seq(1, 32)],
    %% Node A goes down (halted at once: its programs lose their VM) a third of the way in.
    wait_until(fun() -> atomics:get(Counter, 1) >= Total div 3 end, a_third, 100000),
    erpc:cast(A, erlang, halt, []),
    Counts = lists:foldl(fun(Caller, Acc) ->
                                 receive {done, Caller, C} -> add_counts(Acc, C)
                                 after 100000 -> throw({caller_stuck, Caller})
                                 end
                         end, #{}, Callers),
    Ok = maps:get(ok, Counts, 0),
    Errors = maps:get(error, Counts, 0),
    expect(0, maps:get(wrong, Counts, 0)),
    expect(Total, Ok + Errors),
    io:format("  100,000 calls: ~p replies, ~p errors (the calls in flight on the node that went down: ~0p)~n",
              [Ok, Errors, maps:get(reasons, Counts, #{})]),
    %% New calls go to the living node, and all succeed.
    wait_until(fun() -> members_on(A) =:= [] end, a_forgotten),
    After = [erlport_rs_pool:call(?GROUP, server, []) || _ <- lists:seq(1, 1000)],
    expect([B], lists:usort([node(S) || S <- After])),
    peer:stop(PeerB),
    catch peer:stop(PeerA),
    ok.

%% Calls until `Total' were made in all; each checks its own answer (a reply to another
%% caller's call, or to another call, would not add up).
calls(Counter, Total, Acc) ->
    N = atomics:add_get(Counter, 1, 1),
    case N > Total of
        true -> Acc;
        false ->
            Acc1 = case erlport_rs_pool:call(?GROUP, add, [N, 1000000], 5000) of
                       Sum when Sum =:= N + 1000000 -> maps:update_with(ok, fun(X) -> X + 1 end, 1, Acc);
                       {error, Reason} ->
                           Reasons = maps:get(reasons, Acc, #{}),
                           Acc#{error => maps:get(error, Acc, 0) + 1,
                                reasons => Reasons#{reason(Reason) => maps:get(reason(Reason), Reasons, 0) + 1}};
                       _Wrong -> maps:update_with(wrong, fun(X) -> X + 1 end, 1, Acc)
                   end,
            calls(Counter, Total, Acc1)
    end.

add_counts(A, B) ->
    maps:merge_with(fun(_, X, Y) when is_map(X) -> add_counts(X, Y); (_, X, Y) -> X + Y end, A, B).

reason({Kind, _}) -> Kind;
reason(Kind) -> Kind.

restarted(Exe, Ebin) ->
    {Peer, B} = peer(Ebin),
    pool_on(B, Exe, 2),
    wait_until(fun() -> length(members_on(B)) =:= 2 end, two_members),
    [M1, M2] = members_on(B),
    exit(M1, kill),
    wait_until(fun() -> Now = members_on(B), length(Now) =:= 2 andalso not lists:member(M1, Now) end, restarted),
    %% The program itself killed: its server stops (port_exit), and is restarted.
    #{os_pid := OsPid} = erpc:call(B, sys, get_state, [M2]),
    _ = os:cmd("kill -9 " ++ integer_to_list(OsPid)),
    wait_until(fun() -> Now = members_on(B), length(Now) =:= 2 andalso not lists:member(M2, Now) end, restarted),
    expect(3, erlport_rs_pool:call(?GROUP, add, [1, 2])),
    peer:stop(Peer),
    ok.

%%% bench

bench(Exe, Ebin) ->
    {_, A} = peer(Ebin),
    {_, B} = peer(Ebin),
    Size = erlang:system_info(schedulers_online),
    pool_on(A, Exe, Size),
    wait_until(fun() -> length(erlport_rs_pool:members(?GROUP)) =:= Size end, members),
    One = throughput(32, 200000),
    pool_on(B, Exe, Size),
    wait_until(fun() -> length(erlport_rs_pool:members(?GROUP)) =:= 2 * Size end, members),
    Two = throughput(32, 200000),
    io:format("pool calls/s, 32 callers on a third node: pool on 1 node ~p, on 2 nodes ~p (~.2fx)~n",
              [One, Two, Two / One]),
    N = 20000,
    {LocalUs, 0} = erpc:call(A, pool_test_helper, calls, [?GROUP, N, erlport_rs_pool]),
    {RemoteUs, 0} = pool_test_helper:calls(?GROUP, N, erlport_rs_pool),
    io:format("one call, sequential: from the pool's node ~.1f us, from another node ~.1f us (~.2fx)~n",
              [LocalUs / N, RemoteUs / N, RemoteUs / LocalUs]),
    _ = file:del_dir_r(Ebin),
    halt(0).

throughput(Callers, Total) ->
    Counter = atomics:new(1, []),
    Self = self(),
    {Us, _} = timer:tc(fun() ->
        Pids = [spawn_link(fun() -> Self ! {done, self(), calls(Counter, Total, #{})} end) || _ <- lists:seq(1, Callers)],
        [receive {done, P, #{ok := _}} -> ok end || P <- Pids]
    end),
    round(Total / (Us / 1000000)).
