#!/usr/bin/env escript
%% -*- erlang -*-
%% Times ERTS's own binary_to_term/1 (plus a walk of the result, as the Rust side walks its
%% views) and term_to_binary/1 on the benchmark inputs. Prints one line per measurement:
%%   erts <name> <nanoseconds per iteration>
%% Usage: escript erts_bench.escript [DATA_DIR]
-mode(compile).

main(Args) ->
    Dir = case Args of [Given] -> Given; [] -> filename:join(filename:dirname(escript:script_name()), "data") end,
    Read = fun(F) -> {ok, B} = file:read_file(filename:join(Dir, F)), B end,
    [A, B, C, D] = [Read(F) || F <- ["a.etf", "b.etf", "c.etf", "d.etf"]],
    TermB = binary_to_term(B),
    report("decode_walk/a", bench(fun() -> walk(binary_to_term(A)) end)),
    report("decode_walk/b", bench(fun() -> walk(binary_to_term(B)) end)),
    report("decode_walk/c", bench(fun() -> walk(binary_to_term(C)) end)),
    report("decode_walk/d", bench(fun() -> walk(binary_to_term(D)) end)),
    report("encode/b", bench(fun() -> term_to_binary(TermB) end)).

report(Name, Ns) -> io:format("erts ~s ~.1f~n", [Name, Ns]).

%% Median of several rounds, each long enough to be timed well.
bench(F) ->
    F(),
    N = iterations(F, 1),
    Rounds = lists:sort([begin {T, _} = timer:tc(fun() -> loop(F, N) end), T * 1000 / N end || _ <- lists:seq(1, 9)]),
    lists:nth(5, Rounds).

iterations(F, N) ->
    {T, _} = timer:tc(fun() -> loop(F, N) end),
    if T > 100000 -> N; true -> iterations(F, N * 2) end.

loop(_, 0) -> ok;
loop(F, N) -> F(), loop(F, N - 1).

walk(T) when is_list(T) -> walk_list(T, 0);
walk(T) when is_tuple(T) -> walk(tuple_to_list(T));
walk(T) when is_map(T) -> maps:fold(fun(K, V, Acc) -> Acc + walk(K) + walk(V) end, 0, T);
walk(_) -> 1.

walk_list([H | T], Acc) -> walk_list(T, Acc + walk(H));
walk_list(_, Acc) -> Acc.
