#!/usr/bin/env escript
%% -*- erlang -*-
%% Writes the benchmark inputs (committed in data/):
%%   a.etf  lists:seq(1, 100000)
%%   b.etf  10,000 maps #{id => N, name => <<"userN">>, score => N * 1.5, tags => [atom1, atom2]}
%%   c.etf  {data, <<0:8388608>>}   (a 1 MiB binary)
%%   d.etf  b with [compressed]
-mode(compile).

main([Dir]) ->
    B = [#{id => N, name => <<"user", (integer_to_binary(N))/binary>>, score => N * 1.5, tags => [atom1, atom2]}
         || N <- lists:seq(1, 10000)],
    Files = [{"a.etf", term_to_binary(lists:seq(1, 100000))},
             {"b.etf", term_to_binary(B)},
             {"c.etf", term_to_binary({data, <<0:8388608>>})},
             {"d.etf", term_to_binary(B, [compressed])}],
    [ok = file:write_file(filename:join(Dir, F), Bin) || {F, Bin} <- Files],
    io:format("~p~n", [[{F, byte_size(Bin)} || {F, Bin} <- Files]]);
main(_) ->
    main([filename:join(filename:dirname(escript:script_name()), "data")]).
