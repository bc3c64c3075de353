%% @private
%% @doc What a process calling `erlport_rs' servers keeps of them: each server's pid and what
%% a caller needs to write to its port, asked once (`gen_server:call(Server, info)', which
%% also makes the server monitor the caller) and kept in the caller's process dictionary
%% (under the key `erlport_rs'), for the last few servers it used.
-module(erlport_rs_callers).

-export([info_or_remote/1, info/1, forget/1, whereis_server/1]).

%% `info/1' for a server of this node, `{remote, Pid}' for one on another.
info_or_remote(Server) ->
    case whereis_server(Server) of
        Pid when is_pid(Pid), node(Pid) =/= node() -> {remote, Pid};
        _ -> info(Server)
    end.

%% The server's pid and what a caller needs to write to its port, asked once and kept in the
%% caller's process dictionary, for the last few servers it used.
info(Server) ->
    case whereis_server(Server) of
        Pid when is_pid(Pid) ->
            Cache = case get(erlport_rs) of undefined -> []; C -> C end,
            case lists:keyfind(Pid, 1, Cache) of
                {Pid, Info} ->
                    {Pid, Info};
                false ->
                    try gen_server:call(Pid, info, infinity) of
                        Info ->
                            put(erlport_rs, lists:sublist([{Pid, Info} | Cache], 4)),
                            {Pid, Info}
                    catch
                        exit:_ -> none
                    end
            end;
        _ ->
            none
    end.

forget(Pid) ->
    case get(erlport_rs) of
        undefined -> ok;
        Cache ->
            case lists:keydelete(Pid, 1, Cache) of
                [] -> erase(erlport_rs);
                Left -> put(erlport_rs, Left)
            end
    end.

whereis_server(Pid) when is_pid(Pid) -> Pid;
whereis_server(Name) when is_atom(Name) -> whereis(Name);
whereis_server({global, Name}) -> global:whereis_name(Name);
whereis_server({via, Module, Name}) -> Module:whereis_name(Name);
whereis_server(_) -> undefined.
