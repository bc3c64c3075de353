#!/usr/bin/env escript
%% -*- erlang -*-
%%! -noshell
%% The kv example (typed handlers) driven from Erlang. Usage: escript kv_test.escript EXAMPLES_DIR
%% Prints one line per failure and "N passed, M failed"; exits 1 on any failure.
-mode(compile).

main([Dir]) ->
    Port = open_port({spawn_executable, filename:join(Dir, "kv")}, [{packet, 4}, binary, exit_status]),
    Big = binary:copy(<<"x">>, 2 * 1024 * 1024),
    Checks = [
        {"put, no options", {put, <<"a">>, <<"hello">>, []}, {ok, 1}},
        {"put, a map of options", {put, <<"a">>, <<"hello!">>, #{kind => text}}, {ok, 2}},
        {"put, a keyword list", {put, <<"b">>, <<1, 2, 3>>, [{kind, blob}]}, {ok, 1}},
        {"put, the key an atom", {put, ab, <<>>, #{}}, {ok, 1}},
        {"get", {get, <<"a">>}, {ok, <<"hello!">>}},
        {"get, the key a charlist", {get, "b"}, {ok, <<1, 2, 3>>}},
        {"get, missing", {get, <<"zz">>}, {error, not_found}},
        {"info", {info, <<"a">>}, #{kind => text, size => 6, version => 2}},
        {"info, missing", {info, <<"zz">>}, undefined},
        {"find by prefix", {find, #{prefix => <<"a">>}}, [<<"a">>, <<"ab">>]},
        {"find by kind", {find, #{kind => blob}}, [<<"ab">>, <<"b">>]},
        {"find all", {find, #{}}, [<<"a">>, <<"ab">>, <<"b">>]},
        {"incr, new", {incr, <<"n">>, 5}, {ok, 5}},
        {"incr", {incr, <<"n">>, -7}, {ok, -2}},
        {"incr, not a number", {incr, <<"a">>, 1}, {error, not_a_number}},
        {"stats", stats, #{bytes => 6 + 3 + 0 + 2, keys => 4, largest => <<"a">>}},
        {"delete", {delete, <<"b">>}, ok},
        {"delete, missing", {delete, <<"b">>}, {error, not_found}},
        {"put, too large", {put, <<"big">>, Big, []}, {error, {too_large, 1048576}}},
        {"put, the value not a binary", {put, <<"a">>, 42, []}, {error, function_clause}},
        {"put, an unknown kind", {put, <<"a">>, <<>>, #{kind => purple}}, {error, function_clause}},
        {"put, options not a map", {put, <<"a">>, <<>>, 7}, {error, function_clause}},
        {"incr, wrong arity", {incr, <<"n">>}, {error, function_clause}},
        {"unknown", {nosuch, 1}, {error, undef}},
        {"still serving", {get, <<"n">>}, {ok, <<"-2">>}}
    ],
    Failures = [F || F <- [check(Port, C) || C <- Checks], F =/= ok],
    [io:format("FAIL ~s~n", [F]) || F <- Failures],
    port_close(Port),
    io:format("~p passed, ~p failed~n", [length(Checks) - length(Failures), length(Failures)]),
    halt(case Failures of [] -> 0; _ -> 1 end).

check(Port, {What, Request, Expected}) ->
    Port ! {self(), {command, term_to_binary(Request)}},
    receive
        {Port, {data, Data}} ->
            case binary_to_term(Data) of
                Expected -> ok;
                Got -> io_lib:format("~s: ~0p, expected ~0p", [What, Got, Expected])
            end;
        {Port, {exit_status, S}} -> io_lib:format("~s: the port exited with ~p", [What, S])
    after 5000 -> io_lib:format("~s: no reply", [What])
    end.
