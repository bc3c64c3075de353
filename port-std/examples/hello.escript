#!/usr/bin/env escript
%% -*- erlang -*-
%% The Erlang side of the hello example, as erlport's Python README has it:
%%   hello:hello("Bob") -> {ok, "Hello, Bob"}
%% Usage: escript hello.escript [PATH_TO_HELLO_BINARY] [NAME]
-mode(compile).

main(Args) ->
    {Exe, Name} = case Args of
                      [] -> {default_exe(), "Bob"};
                      [E] -> {E, "Bob"};
                      [E, N | _] -> {E, N}
                  end,
    Port = open_port({spawn_executable, Exe}, [{packet, 1}, binary, exit_status]),
    io:format("hello(~p) -> ~p~n", [Name, hello(Port, Name)]),
    io:format("hello(~p) -> ~p~n", [<<"Alice">>, hello(Port, <<"Alice">>)]),
    io:format("divide(7, 2) -> ~p~n", [call(Port, {divide, 7, 2})]),
    io:format("divide(1, 0) -> ~p~n", [call(Port, {divide, 1, 0})]),
    io:format("nosuch() -> ~p~n", [call(Port, nosuch)]),
    port_close(Port).

default_exe() ->
    filename:join([filename:dirname(escript:script_name()), "..", "..", "target", "debug", "examples", "hello"]).

hello(Port, Name) -> call(Port, {hello, Name}).

call(Port, Message) ->
    Port ! {self(), {command, term_to_binary(Message)}},
    receive
        {Port, {data, Data}} -> case binary_to_term(Data) of
                                    {error, _} = Error -> Error;
                                    Reply -> {ok, Reply}
                                end;
        {Port, {exit_status, Status}} -> {error, {exit_status, Status}}
    after 5000 -> {error, timeout}
    end.
