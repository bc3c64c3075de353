%% @private
%% @doc The start of an `erlport_rs' server: its hello written to the program, and the
%% program's answer read within the start timeout, so that a program that exits, frames with
%% another packet size or is not a concurrent port is told apart at start, not at the first
%% call.
-module(erlport_rs_hello).

-export([exchange/6, version/0]).

%% The version of the terms both sides exchange (the Rust crate's `PROTOCOL_VERSION').
-define(VERSION, 1).

version() -> ?VERSION.

%% The hello exchange: a program that exits, frames with another packet size, or is not a
%% concurrent port is told apart from a working one at start, not at the first call.
exchange(Port, Packet, Reader, Hello, MaxPacket, Timeout) ->
    Deadline = erlang:monotonic_time(millisecond) + Timeout,
    case byte_size(Hello) =< MaxPacket andalso erlport_rs_frames:write(Port, Packet, Hello) of
        ok -> await_hello(Port, Packet, Reader, Deadline, Timeout);
        _ -> await_hello(Port, Packet, Reader, Deadline, 1000)
    end.

%% The first packet, from the chunks that come within the deadline.
await_hello(Port, Packet, Reader, Deadline, Timeout) ->
    Left = max(0, Deadline - erlang:monotonic_time(millisecond)),
    receive
        {Port, {data, Chunk}} ->
            case erlport_rs_frames:feed(Chunk, Reader) of
                {[], Reader1} -> await_hello(Port, Packet, Reader1, Deadline, Timeout);
                {[First | After], Reader1} -> hello_says(First, Packet, Reader1, After)
            end;
        {Port, {exit_status, Status}} ->
            {error, {port_exit, Status}};
        {'EXIT', Port, Reason} ->
            %% A write into a program that already exited fails (epipe); its exit status,
            %% when the runtime still sends it, says more.
            receive
                {Port, {exit_status, Status}} -> {error, {port_exit, Status}}
            after 100 ->
                {error, {port_exit, Reason}}
            end
    after Left ->
        {error, {no_hello, Timeout}}
    end.

hello_says({too_large, Len}, _Packet, _Reader, _After) ->
    {error, {not_a_concurrent_port, {packet_too_large, Len}}};
hello_says(Data, Packet, Reader, After) ->
    case erlport_rs_etf:safe(Data) of
        {ok, {hello, ?VERSION, Theirs}} when is_map(Theirs) ->
            {ok, Theirs, Reader, After};
        {ok, {hello, _, {error, {packet, N}}}} ->
            {error, {packet_mismatch, #{server => Packet, program => N}}};
        {ok, {hello, Version, _}} ->
            {error, {protocol_version, #{server => ?VERSION, program => Version}}};
        {ok, Other} ->
            {error, {not_a_concurrent_port, Other}};
        _ ->
            {error, {not_a_concurrent_port, Data}}
    end.
