#!/usr/bin/env escript
%% -*- erlang -*-
%% Writes the benchmark inputs. Committed in data/ (small enough to keep):
%%   a.etf  lists:seq(1, 100000)
%%   b.etf  10,000 maps #{id => N, name => <<"userN">>, score => N * 1.5, tags => [atom1, atom2]}
%%   c.etf  {data, <<0:8388608>>}   (a 1 MiB binary)
%%   d.etf  b with [compressed]
%% With "large" (scripts/bench writes these under the build directory, not committed):
%%   e.etf  maps:from_list of 1,000,000 integer keys in shuffled order (Erlang writes a map
%%          of more than 32 keys in its own hash order, not key order), values 0
%%   f.etf  a map of 100,000 atom keys (k1 .. k100000), values their number
%% Usage: escript gen_inputs.escript [DIR [large]]
-mode(compile).

main([Dir]) ->
    B = [#{id => N, name => <<"user", (integer_to_binary(N))/binary>>, score => N * 1.5, tags => [atom1, atom2]}
         || N <- lists:seq(1, 10000)],
    write(Dir, [{"a.etf", term_to_binary(lists:seq(1, 100000))},
                {"b.etf", term_to_binary(B)},
                {"c.etf", term_to_binary({data, <<0:8388608>>})},
                {"d.etf", term_to_binary(B, [compressed])}]);
main([Dir, "large"]) ->
    ok = filelib:ensure_path(Dir),
    rand:seed(exsss, {1, 2, 3}),
    Shuffled = [K || {_, K} <- lists:sort([{rand:uniform(), K} || K <- lists:seq(1, 1000000)])],
    E = maps:from_list([{K, 0} || K <- Shuffled]),
    F = maps:from_list([{list_to_atom("k" ++ integer_to_list(N)), N} || N <- lists:seq(1, 100000)]),
    write(Dir, [{"e.etf", term_to_binary(E)}, {"f.etf", term_to_binary(F)}]);
main([]) ->
    main([filename:join(filename:dirname(escript:script_name()), "data")]).

write(Dir, Files) ->
    [ok = file:write_file(filename:join(Dir, F), Bin) || {F, Bin} <- Files],
    io:format("~p~n", [[{F, byte_size(Bin)} || {F, Bin} <- Files]]).
