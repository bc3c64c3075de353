%% @doc The Erlang side of a concurrent erlport port (a Rust program serving an
%% `erlport::ConcurrentProtocol`): a gen_server that owns the port, sends calls and casts
%% tagged with request ids, routes replies and progress messages to their callers, and runs
%% the calls the Rust program makes into Erlang, limited to the functions allowed.
%%
%% ```
%% {ok, Server} = erlport_rs:start_link("target/debug/examples/jobs", [{allow, [{lists, reverse}]}]),
%% 3 = erlport_rs:call(Server, add, [1, 2]),
%% ok = erlport_rs:cast(Server, sleep, [10]),
%% ok = erlport_rs:stop(Server).
%% '''
%%
%% Progress messages a handler sends (`ctx.progress(&m)` in Rust) reach the calling process,
%% before the reply, as `{erlport_rs, Server, Ref, Message}`: `Server` the gen_server's pid,
%% `Ref` the reference `send_request/3,4` returned (a fresh one for each `call/3,4`).
%%
%% The wire terms are documented with `ConcurrentProtocol` in the Rust crate `erlport`.
-module(erlport_rs).
-behaviour(gen_server).

-export([start_link/2, start/2, stop/1,
         call/3, call/4, cast/3,
         send_request/3, send_request/4, receive_response/1]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2, terminate/2]).

-type server() :: pid() | atom().
-type option() :: {packet, 1 | 2 | 4}
                | use_stdio | nouse_stdio
                | {compressed, 0..9}
                | {args, [string() | binary()]}
                | {env, [{string(), string() | false}]}
                | {cd, string()}
                | {timeout, timeout()}
                | {allow, [module() | {module(), atom()} | {module(), atom(), arity()}]}
                | {name, atom()}.
-export_type([server/0, option/0]).

-define(DEFAULT_TIMEOUT, 5000).

%%% API

%% @doc Starts `Executable` as a port owned by a new gen_server linked to the caller.
%% Options: `{packet, N}` (1, 2 or 4; default 4), `use_stdio` (default) or `nouse_stdio`
%% (fds 3 and 4), `{compressed, Level}` (what Erlang sends; default none), `{args, Args}`,
%% `{env, Env}`, `{cd, Dir}`, `{timeout, Ms}` (the default call timeout, both ways;
%% default 5000), `{allow, List}` (the functions Rust may call: `Module`, `{Module,
%% Function}` or `{Module, Function, Arity}`; default none), `{name, Name}` (register
%% locally).
-spec start_link(file:filename_all(), [option()]) -> {ok, pid()} | {error, term()}.
start_link(Executable, Options) ->
    start(start_link, Executable, Options).

%% @doc As `start_link/2`, without a link.
-spec start(file:filename_all(), [option()]) -> {ok, pid()} | {error, term()}.
start(Executable, Options) ->
    start(start, Executable, Options).

start(How, Executable, Options) ->
    case proplists:get_value(name, Options) of
        undefined -> gen_server:How(?MODULE, {Executable, Options}, []);
        Name -> gen_server:How({local, Name}, ?MODULE, {Executable, Options}, [])
    end.

%% @doc Stops the server: the port closes, and the Rust program sees its input end.
-spec stop(server()) -> ok.
stop(Server) ->
    gen_server:stop(Server).

%% @doc Calls handler `Name` with `Args` and returns its reply, within the default timeout.
-spec call(server(), atom(), list()) -> term().
call(Server, Name, Args) ->
    receive_response(send_request(Server, Name, Args)).

%% @doc Calls handler `Name` with `Args` and returns its reply: the handler's value
%% (`{ok, T}` / `{error, E}` for a `Result`), `{error, timeout}` when it did not come
%% within `Timeout` ms (a late reply is dropped), `{error, {port_exit, Status}}` when the
%% Rust program exited first, or `{error, Reason}` when the server is gone.
-spec call(server(), atom(), list(), timeout()) -> term().
call(Server, Name, Args, Timeout) ->
    receive_response(send_request(Server, Name, Args, Timeout)).

%% @doc Runs handler `Name` with `Args`; no reply.
-spec cast(server(), atom(), list()) -> ok.
cast(Server, Name, Args) when is_atom(Name), is_list(Args) ->
    catch erlang:send(Server, {'$erlport_rs', cast, Name, Args}),
    ok.

%% @doc Sends a call without waiting: the reference tags its progress messages, and
%% `receive_response/1` waits for its reply.
-spec send_request(server(), atom(), list()) -> reference().
send_request(Server, Name, Args) ->
    send_request(Server, Name, Args, default).

%% @doc `send_request/3` with a timeout of its own.
-spec send_request(server(), atom(), list(), timeout() | default) -> reference().
send_request(Server, Name, Args, Timeout) when is_atom(Name), is_list(Args) ->
    %% The monitor is also an alias: replies and progress go to it, and once it is gone
    %% (the reply came, or the call timed out) late messages are dropped by the runtime.
    Ref = erlang:monitor(process, Server, [{alias, demonitor}]),
    catch erlang:send(Server, {'$erlport_rs', call, Ref, Name, Args, Timeout}),
    Ref.

%% @doc The reply to a `send_request/3,4`, as `call/4` returns it.
-spec receive_response(reference()) -> term().
receive_response(Ref) ->
    receive
        {Ref, Reply} ->
            erlang:demonitor(Ref, [flush]),
            Reply;
        {'DOWN', Ref, process, _, Reason} ->
            {error, Reason}
    end.

%%% gen_server

init({Executable, Options}) ->
    process_flag(trap_exit, true),
    Packet = proplists:get_value(packet, Options, 4),
    Stdio = case proplists:get_bool(nouse_stdio, Options) of
                true -> nouse_stdio;
                false -> use_stdio
            end,
    PortOptions = [{packet, Packet}, binary, exit_status, Stdio]
        ++ [{args, A} || {args, A} <- Options]
        ++ [{env, E} || {env, E} <- Options]
        ++ [{cd, D} || {cd, D} <- Options],
    try open_port({spawn_executable, Executable}, PortOptions) of
        Port ->
            Encode = case proplists:get_value(compressed, Options) of
                         undefined -> [];
                         Level -> [{compressed, Level}]
                     end,
            {ok, #{port => Port,
                   encode => Encode,
                   timeout => proplists:get_value(timeout, Options, ?DEFAULT_TIMEOUT),
                   allow => proplists:get_value(allow, Options, []),
                   next => 0,
                   calls => #{}}}
    catch
        error:Reason -> {stop, {open_port, Reason}}
    end.

handle_call(_Request, _From, State) ->
    {reply, {error, badarg}, State}.

handle_cast(_Request, State) ->
    {noreply, State}.

handle_info({'$erlport_rs', call, Ref, Name, Args, Timeout0}, State) ->
    #{next := Id, calls := Calls, timeout := Default} = State,
    Timeout = case Timeout0 of default -> Default; _ -> Timeout0 end,
    Timer = case Timeout of
                infinity -> undefined;
                _ -> erlang:send_after(Timeout, self(), {'$erlport_rs', timeout, Id})
            end,
    case send(State, {call, Id, Name, Args}) of
        ok ->
            {noreply, State#{next := Id + 1, calls := Calls#{Id => {Ref, Timer}}}};
        {error, Reason} ->
            cancel(Timer),
            Ref ! {Ref, {error, Reason}},
            {noreply, State#{next := Id + 1}}
    end;
handle_info({'$erlport_rs', cast, Name, Args}, State) ->
    case send(State, {cast, Name, Args}) of
        ok -> ok;
        {error, Reason} -> logger:warning("erlport_rs: cast of ~p not sent: ~p", [Name, Reason])
    end,
    {noreply, State};
handle_info({'$erlport_rs', timeout, Id}, State = #{calls := Calls}) ->
    case maps:take(Id, Calls) of
        {{Ref, _}, Rest} ->
            Ref ! {Ref, {error, timeout}},
            {noreply, State#{calls := Rest}};
        error ->
            {noreply, State}
    end;
handle_info({Port, {data, Data}}, State = #{port := Port}) ->
    try binary_to_term(Data) of
        Term -> {noreply, from_rust(Term, State)}
    catch
        error:badarg ->
            logger:error("erlport_rs: the port sent ~b bytes that are not a term", [byte_size(Data)]),
            {noreply, State}
    end;
handle_info({Port, {exit_status, Status}}, State = #{port := Port}) ->
    port_exit(Status, State);
handle_info({'EXIT', Port, Reason}, State = #{port := Port}) ->
    port_exit(Reason, State);
handle_info(_Other, State) ->
    {noreply, State}.

terminate(_Reason, #{port := Port}) ->
    catch port_close(Port),
    ok.

%%% Internal

%% Every caller waiting gets the news at once; the server stops with it.
port_exit(Status, State = #{calls := Calls}) ->
    Reason = {port_exit, Status},
    [Ref ! {Ref, {error, Reason}} || {Ref, _} <- maps:values(Calls)],
    {stop, Reason, State#{calls := #{}}}.

from_rust({reply, Id, Value}, State = #{calls := Calls}) ->
    case maps:take(Id, Calls) of
        {{Ref, Timer}, Rest} ->
            cancel(Timer),
            Ref ! {Ref, Value},
            State#{calls := Rest};
        error ->
            %% Its caller timed out: dropped.
            State
    end;
from_rust({progress, Id, Message}, State = #{calls := Calls}) ->
    case Calls of
        #{Id := {Ref, _}} -> Ref ! {erlport_rs, self(), Ref, Message};
        _ -> ok
    end,
    State;
from_rust({call, Id, M, F, A}, State = #{port := Port, encode := Encode, allow := Allow, timeout := Timeout}) ->
    Reply = fun(Result) -> send(Port, Encode, {reply, Id, Result}) end,
    case is_atom(M) andalso is_atom(F) andalso is_list(A) of
        false ->
            Reply({error, badarg});
        true ->
            case allowed(M, F, length(A), Allow) of
                true -> spawn(fun() -> Reply(apply_with_timeout(M, F, A, Timeout)) end);
                false -> Reply({error, {not_allowed, {M, F, length(A)}}})
            end
    end,
    State;
from_rust({error, Reason}, State) ->
    logger:warning("erlport_rs: the port refused a packet: ~p", [Reason]),
    State;
from_rust(Other, State) ->
    logger:warning("erlport_rs: unexpected message from the port: ~P", [Other, 20]),
    State.

%% M:F(A...) in a process of its own, killed when it outlives the timeout.
apply_with_timeout(M, F, A, Timeout) ->
    Self = self(),
    {Pid, MRef} = spawn_monitor(fun() ->
        Result = try {ok, apply(M, F, A)}
                 catch Class:Reason -> {error, {exception, Class, Reason}}
                 end,
        Self ! {self(), Result}
    end),
    receive
        {Pid, Result} ->
            erlang:demonitor(MRef, [flush]),
            Result;
        {'DOWN', MRef, process, Pid, Reason} ->
            {error, {exception, exit, Reason}}
    after Timeout ->
        exit(Pid, kill),
        erlang:demonitor(MRef, [flush]),
        {error, timeout}
    end.

allowed(M, F, Arity, Allow) ->
    lists:any(fun(Module) when is_atom(Module) -> Module =:= M;
                 ({Module, Function}) -> {Module, Function} =:= {M, F};
                 ({Module, Function, N}) -> {Module, Function, N} =:= {M, F, Arity};
                 (_) -> false
              end, Allow).

send(#{port := Port, encode := Encode}, Term) ->
    send(Port, Encode, Term).

send(Port, Encode, Term) ->
    try
        true = erlang:port_command(Port, term_to_binary(Term, Encode)),
        ok
    catch
        error:badarg -> {error, {port_command, badarg}}
    end.

cancel(undefined) -> ok;
cancel(Timer) -> erlang:cancel_timer(Timer, [{async, true}, {info, false}]).
