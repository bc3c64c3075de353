#!/usr/bin/env escript
%% -*- erlang -*-
%% Drives the `describe` example port: sends terms (and some bytes that are not terms), prints
%% what the Rust side decoded, and checks it against Erlang's own ~w. Exits non-zero on any
%% disagreement.
%%
%%   cargo build -p erlport-codec --example describe
%%   escript codec/examples/describe.escript [PATH_TO_BINARY]
-mode(compile).

main(Args) ->
    io:setopts([{encoding, unicode}]),
    Exe = case Args of
              [Path] -> Path;
              [] -> filename:join([filename:dirname(escript:script_name()), "..", "..", "target", "debug", "examples", "describe"])
          end,
    Port = open_port({spawn_executable, Exe}, [{packet, 4}, binary, exit_status]),
    Terms = [{ok, [1, 2], <<"x">>}, "hello", 3.14, -(1 bsl 100), #{name => <<"Bob">>, tags => [a, 'B c']},
             [1, 2 | improper], <<1, 2, 3:5>>, 'hello world', {}, #{}, lists:seq(1, 10)],
    Good = [check(Port, term_to_binary(T), {ok, T}) || T <- Terms]
        ++ [check(Port, term_to_binary(T, [{minor_version, 2}]), {ok, T}) || T <- [ok, 'é']],
    Bad = [check(Port, B, error) || B <- [<<131, 108, 255, 255, 255, 255, 106>>, <<131, 119, 1, 255>>,
                                          <<131, 116, 0, 0, 0, 2, 97, 1, 97, 1, 98, 0, 0, 0, 1, 97, 2>>, <<131, 97, 1, 0>>]],
    port_close(Port),
    case lists:all(fun(X) -> X end, Good ++ Bad) of
        true -> io:format("all ~p replies agree with Erlang~n", [length(Good ++ Bad)]);
        false -> io:format("some replies disagree with Erlang~n"), halt(1)
    end.

check(Port, Bytes, Expected) ->
    port_command(Port, Bytes),
    receive
        {Port, {data, Reply}} ->
            io:format("~ts~n", [Reply]),
            case Expected of
                {ok, T} -> Reply =:= unicode:characters_to_binary(["ok ", io_lib:format("~w", [T])]);
                error -> binary:part(Reply, 0, 6) =:= <<"error ">>
            end;
        {Port, {exit_status, S}} -> io:format("port exited with ~p~n", [S]), false
    after 5000 -> io:format("no reply~n"), false
    end.
