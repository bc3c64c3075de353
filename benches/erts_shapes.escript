#!/usr/bin/env escript
%% -*- erlang -*-
%% ERTS's own figures for the shapes `cargo run --release -p erlport-benches --bin shapes`
%% times on our side: maps of many keys (integers, atoms, long lists), a deep chain decoded
%% and walked, and a 13-byte compressed input declaring 64 MiB. Medians of five runs.
%% Usage: escript benches/erts_shapes.escript
-mode(compile).
main(_) ->
    T = fun(F) -> F(), Ts = lists:sort([element(1, timer:tc(F)) || _ <- lists:seq(1, 5)]), lists:nth(3, Ts) end,
    Lists = term_to_binary(maps:from_list([{[K | lists:duplicate(499, 7)], 0} || K <- lists:seq(1, 10000)])),
    io:format("ERTS binary_to_term 10,000 list keys (~b bytes): ~b us~n", [byte_size(Lists), T(fun() -> binary_to_term(Lists) end)]),
    Atoms = term_to_binary(maps:from_list([{list_to_atom("k" ++ integer_to_list(N)), N} || N <- lists:seq(1, 100000)])),
    io:format("ERTS binary_to_term 100,000 atom keys: ~b us~n", [T(fun() -> binary_to_term(Atoms) end)]),
    Ints = term_to_binary(maps:from_list([{K, 0} || K <- lists:seq(1, 1000000)])),
    io:format("ERTS binary_to_term 1,000,000 int keys: ~b us~n", [T(fun() -> binary_to_term(Ints) end)]),
    Small = term_to_binary(maps:from_list([{K, 0} || K <- lists:seq(1, 1000)])),
    io:format("ERTS binary_to_term 1,000 int keys: ~.2f us~n", [T(fun() -> [binary_to_term(Small) || _ <- lists:seq(1, 100)] end) / 100]),
    Deep = lists:foldl(fun(_, Acc) -> {1, Acc} end, [], lists:seq(1, 200000)),
    DB = term_to_binary(Deep),
    W = fun W({_, X}) -> W(X); W(_) -> ok end,
    io:format("ERTS binary_to_term + walk 200,000 deep: ~b us~n", [T(fun() -> W(binary_to_term(DB)) end)]),
    Bomb = <<131, 80, 4, 0, 0, 0, 120, 156, 99, 0, 0, 0, 1>>,
    io:format("ERTS on 13 bytes declaring 64 MiB: ~.2f us~n", [T(fun() -> [catch binary_to_term(Bomb) || _ <- lists:seq(1, 1000)] end) / 1000]).
