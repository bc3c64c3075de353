#!/usr/bin/env escript
%% -*- erlang -*-
%%! -noshell
%% Checks values the Rust encoder wrote. Each input line: Mode<TAB>Hex<TAB>Text, where Mode is
%% mv1 or mv2 (the minor_version the Rust side wrote), z (compressed) or eq (only the term must
%% agree: the bytes may differ from Erlang's, a map's key order say), Hex the bytes, and
%% Text the term in Erlang syntax (or - for pids, ports, references and funs). For each line:
%%   binary_to_term(Bytes) =:= the term parsed from Text, and
%%   for mv1/mv2, term_to_binary(T, [{minor_version, MV}]) =:= Bytes (compressed bytes come
%%   from another deflate implementation than Erlang's zlib, so only the term must agree).
%% Prints one line per failure and a summary; exits 1 on any failure.
-mode(compile).

main([File]) ->
    {ok, Data} = file:read_file(File),
    Lines = [L || L <- binary:split(Data, <<"\n">>, [global]), L =/= <<>>],
    Failures = lists:filtermap(fun check/1, Lines),
    [io:format("FAIL ~ts~n", [F]) || F <- lists:sublist(Failures, 20)],
    io:format("~p passed, ~p failed~n", [length(Lines) - length(Failures), length(Failures)]),
    halt(case Failures of [] -> 0; _ -> 1 end).

check(Line) ->
    [Mode, Hex, Text] = binary:split(Line, <<"\t">>, [global]),
    Bytes = binary:decode_hex(Hex),
    MV = case Mode of <<"mv1">> -> 1; <<"mv2">> -> 2; <<"z">> -> none; <<"eq">> -> none end,
    try
        T = binary_to_term(Bytes),
        Parsed = case Text of
                     <<"-">> -> T;
                     _ ->
                         {ok, Tokens, _} = erl_scan:string(unicode:characters_to_list(Text) ++ "."),
                         {ok, P} = erl_parse:parse_term(Tokens),
                         P
                 end,
        Again = case MV of none -> Bytes; _ -> term_to_binary(T, [{minor_version, MV}]) end,
        if
            Parsed =/= T -> {true, io_lib:format("~ts: decodes to ~w", [short(Line), T])};
            Again =/= Bytes -> {true, io_lib:format("~ts~n  Erlang writes ~s", [short(Line), short(binary:encode_hex(Again))])};
            true -> false
        end
    catch C:R -> {true, io_lib:format("~ts: ~0p:~0p", [short(Line), C, R])}
    end.

short(B) when byte_size(B) > 300 -> <<(binary:part(B, 0, 300))/binary, "...">>;
short(B) -> B.
