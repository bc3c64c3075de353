#!/usr/bin/env escript
%% -*- erlang -*-
%%! -noshell
%% Writes terms the way Erlang does. Each input line: Erlang syntax for one term. Each output
%% line: the hex of term_to_binary(Term) (minor version 2, OTP 26's default), or
%% "error <reason>" when the text is not a term.
-mode(compile).

main([File]) ->
    {ok, Data} = file:read_file(File),
    Lines = [L || L <- binary:split(Data, <<"\n">>, [global]), L =/= <<>>],
    Out = [[line(L), $\n] || L <- Lines],
    ok = file:write_file(File ++ ".out", Out).

line(Text) ->
    try
        {ok, Tokens, _} = erl_scan:string(unicode:characters_to_list(Text) ++ "."),
        {ok, Term} = erl_parse:parse_term(Tokens),
        binary:encode_hex(term_to_binary(Term, [{minor_version, 2}]))
    catch C:R -> io_lib:format("error ~0p:~0p", [C, R])
    end.
