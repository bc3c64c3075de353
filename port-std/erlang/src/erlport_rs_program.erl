%% @private
%% @doc The Rust program as an OS process, for `erlport_rs': known by its pid and (where
%% /proc tells it) its start time, so a pid the system has given to another process since is
%% never taken for it; waited for, and killed when it outlives its grace period.
-module(erlport_rs_program).

-export([known/1, grace/2, kill/2]).

%% The program as an OS process: its pid, and (where /proc tells it) its start time, so a
%% pid the system has given to another process since is never taken for it.
known(OsPid) ->
    {OsPid, started_at(OsPid)}.

started_at(OsPid) ->
    case file:read_file("/proc/" ++ integer_to_list(OsPid) ++ "/stat") of
        {ok, Stat} ->
            %% After the command's name: state, then 18 fields, then the start time.
            case binary:split(Stat, <<") ">>) of
                [_, Fields] ->
                    case binary:split(Fields, <<" ">>, [global]) of
                        [State | Rest] when length(Rest) >= 19 -> {State, lists:nth(19, Rest)};
                        _ -> undefined
                    end;
                _ -> undefined
            end;
        _ ->
            undefined
    end.

%% The grace period the program asked for in its hello (ms), within `Max'; what is not a
%% number of milliseconds gets the default.
grace(Said, Max) when is_integer(Said), Said >= 0 -> min(Said, Max);
grace(_, Max) -> min(5000, Max).

%% Waits until the program is gone, at most `Ms' ms, then kills it.
kill(Program, Ms) ->
    Deadline = erlang:monotonic_time(millisecond) + Ms,
    wait_gone(Program, Deadline).

wait_gone(Program = {OsPid, _}, Deadline) ->
    case os_alive(Program) of
        false -> ok;
        true ->
            case erlang:monotonic_time(millisecond) >= Deadline of
                true ->
                    os:cmd("kill -9 " ++ integer_to_list(OsPid)),
                    %% The kernel tears a killed program down after kill returns (longer
                    %% for one with many threads, on a busy machine): stop returns once it
                    %% is gone, waiting at most two seconds more.
                    wait_killed(Program, erlang:monotonic_time(millisecond) + 2000);
                false ->
                    timer:sleep(10),
                    wait_gone(Program, Deadline)
            end
    end.

wait_killed(Program, Deadline) ->
    case os_alive(Program) andalso erlang:monotonic_time(millisecond) < Deadline of
        true ->
            timer:sleep(5),
            wait_killed(Program, Deadline);
        false ->
            ok
    end.

os_alive({OsPid, Started}) ->
    case {started_at(OsPid), Started} of
        %% A zombie (state Z) is gone: it waits only to be reaped.
        {{<<"Z">>, _}, _} -> false;
        {{_, Time}, {_, Time}} -> true;
        %% Another process with its pid, or none.
        {{_, _}, {_, _}} -> false;
        {undefined, {_, _}} -> false;
        %% No /proc: ask the system.
        {_, undefined} ->
            string:trim(os:cmd("kill -0 " ++ integer_to_list(OsPid) ++ " 2>/dev/null && echo alive")) =:= "alive"
    end.
