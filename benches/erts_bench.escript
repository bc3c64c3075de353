#!/usr/bin/env escript
%% -*- erlang -*-
%% Times ERTS on the benchmark inputs. Prints each input's size and one line per measurement:
%%   size <input> <bytes>
%%   erts <name> <nanoseconds per iteration>
%% binary_to_term/<input>: binary_to_term/1 alone, what an Erlang user pays to decode (the
%% figure speed is judged against); decode_walk/<input>: plus a walk of the result in Erlang,
%% as the Rust side walks its views; encode/b: term_to_binary/1.
%% Usage: escript erts_bench.escript [DATA_DIR [LARGE_DIR]]  (LARGE_DIR: e.etf and f.etf)
%%
%% With `serve` first, it times binary_to_term/1 on request instead, for a caller that takes
%% turns with it (benches/src/paired.rs): each line `time <input> <iterations>` on stdin is
%% answered with a line holding the nanoseconds per iteration, `iterations <input>` with how
%% many iterations take at least 50 ms; `encode_time` and `encode_iterations` the same for
%% term_to_binary/1 of the decoded input.
-mode(compile).

main(["serve" | Dirs]) ->
    Inputs = inputs(Dirs),
    serve(maps:from_list([{list_to_binary(N), B} || {N, B} <- Inputs]));
main(Args) ->
    Inputs = inputs(Args),
    Small = [{N, B} || {N, B} <- Inputs, lists:member(N, ["a", "b", "c", "d"])],
    [io:format("size ~s ~b~n", [N, byte_size(B)]) || {N, B} <- Inputs],
    [report("binary_to_term/" ++ N, bench(fun() -> binary_to_term(B) end, B)) || {N, B} <- Inputs],
    [report("decode_walk/" ++ N, bench(fun() -> walk(binary_to_term(B)) end, B)) || {N, B} <- Small],
    BinB = proplists:get_value("b", Small),
    TermB = binary_to_term(BinB),
    report("encode/b", bench(fun() -> term_to_binary(TermB) end, BinB)).

%% The inputs a to d, and e and f when LARGE_DIR is given.
inputs(Args) ->
    Here = filename:join(filename:dirname(escript:script_name()), "data"),
    {Dir, Large} = case Args of
                       [D, L] -> {D, L};
                       [D] -> {D, none};
                       [] -> {Here, none}
                   end,
    Read = fun(D, F) -> {ok, B} = file:read_file(filename:join(D, F)), B end,
    Small = [{N, Read(Dir, N ++ ".etf")} || N <- ["a", "b", "c", "d"]],
    Big = case Large of
              none -> [];
              _ -> [{N, Read(Large, N ++ ".etf")} || N <- ["e", "f"]]
          end,
    Small ++ Big.

serve(Inputs) ->
    case io:get_line("") of
        eof -> ok;
        Line ->
            Answer = case string:lexemes(string:trim(Line), " ") of
                         ["time", Name, N] ->
                             B = maps:get(list_to_binary(Name), Inputs),
                             Iterations = list_to_integer(N),
                             F = fun() -> binary_to_term(B) end,
                             io_lib:format("~.1f", [in_process(fun() -> F(), {T, _} = timer:tc(fun() -> loop(F, Iterations) end), T * 1000 / Iterations end, heap_for(B))]);
                         ["iterations", Name] ->
                             B = maps:get(list_to_binary(Name), Inputs),
                             F = fun() -> binary_to_term(B) end,
                             integer_to_list(in_process(fun() -> F(), iterations(F, 1, 50000) end, heap_for(B)));
                         ["encode_time", Name, N] ->
                             B = maps:get(list_to_binary(Name), Inputs),
                             Iterations = list_to_integer(N),
                             T0 = binary_to_term(B),
                             F = fun() -> term_to_binary(T0) end,
                             io_lib:format("~.1f", [in_process(fun() -> F(), {T, _} = timer:tc(fun() -> loop(F, Iterations) end), T * 1000 / Iterations end, heap_for(B))]);
                         ["encode_iterations", Name] ->
                             B = maps:get(list_to_binary(Name), Inputs),
                             T0 = binary_to_term(B),
                             F = fun() -> term_to_binary(T0) end,
                             integer_to_list(in_process(fun() -> F(), iterations(F, 1, 50000) end, heap_for(B)))
                     end,
            io:format("~s~n", [Answer]),
            serve(Inputs)
    end.

heap_for(Input) -> 3 * erts_debug:flat_size(binary_to_term(Input)) + 1000.

report(Name, Ns) -> io:format("erts ~s ~.1f~n", [Name, Ns]).

%% Median of nine rounds, each long enough to be timed well (at least 100 ms). Each round runs
%% in a fresh process whose heap already holds three decoded terms, so ERTS is timed at its
%% best: decoding into a heap that never needs to grow, collecting only garbage.
bench(F, Input) ->
    Words = heap_for(Input),
    N = in_process(fun() -> F(), iterations(F, 1, 100000) end, Words),
    Rounds = lists:sort([in_process(fun() -> F(), {T, _} = timer:tc(fun() -> loop(F, N) end), T * 1000 / N end, Words)
                         || _ <- lists:seq(1, 9)]),
    lists:nth(5, Rounds).

in_process(Fun, Words) ->
    Self = self(),
    Pid = spawn_opt(fun() -> Self ! {self(), Fun()} end, [{min_heap_size, Words}]),
    receive {Pid, Result} -> Result end.

%% How many iterations of F take at least Us microseconds.
iterations(F, N, Us) ->
    {T, _} = timer:tc(fun() -> loop(F, N) end),
    if T > Us -> N; true -> iterations(F, N * 2, Us) end.

loop(_, 0) -> ok;
loop(F, N) -> F(), loop(F, N - 1).

walk(T) when is_list(T) -> walk_list(T, 0);
walk(T) when is_tuple(T) -> walk(tuple_to_list(T));
walk(T) when is_map(T) -> maps:fold(fun(K, V, Acc) -> Acc + walk(K) + walk(V) end, 0, T);
walk(_) -> 1.

walk_list([H | T], Acc) -> walk_list(T, Acc + walk(H));
walk_list(_, Acc) -> Acc.
