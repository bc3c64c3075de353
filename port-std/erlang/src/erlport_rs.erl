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
    case port_of(Server) of
        {Port, Encode, _} -> command(Port, Encode, {cast, Name, Args});
        none -> ok
    end,
    ok.

%% @doc Sends a call without waiting: the reference tags its progress messages, and
%% `receive_response/1`, called by the same process, waits for its reply.
-spec send_request(server(), atom(), list()) -> reference().
send_request(Server, Name, Args) ->
    send_request(Server, Name, Args, default).

%% @doc `send_request/3` with a timeout of its own.
-spec send_request(server(), atom(), list(), timeout() | default) -> reference().
send_request(Server, Name, Args, Timeout0) when is_atom(Name), is_list(Args) ->
    %% The monitor is also an alias, and the call's id on the wire: the server forwards the
    %% reply and progress to it, and once it is gone (the reply came, or the call timed
    %% out) late messages are dropped by the runtime. The caller writes to the port itself,
    %% so calls from many processes do not queue behind one.
    Ref = erlang:monitor(process, Server, [{alias, demonitor}]),
    case port_of(Server) of
        {Port, Encode, Default} ->
            Timeout = case Timeout0 of default -> Default; _ -> Timeout0 end,
            Deadline = case Timeout of
                           infinity -> infinity;
                           _ -> erlang:monotonic_time(millisecond) + Timeout
                       end,
            put({?MODULE, Ref}, Deadline),
            %% When the port is closing, the monitor's 'DOWN' says why.
            command(Port, Encode, {call, Ref, Name, Args});
        %% The server is not there: the monitor's 'DOWN' says so.
        none ->
            ok
    end,
    Ref.

%% @doc The reply to a `send_request/3,4`, as `call/4` returns it.
-spec receive_response(reference()) -> term().
receive_response(Ref) ->
    Timeout = case erase({?MODULE, Ref}) of
                  undefined -> infinity;
                  infinity -> infinity;
                  Deadline -> max(0, Deadline - erlang:monotonic_time(millisecond))
              end,
    receive
        {Ref, Reply} ->
            erlang:demonitor(Ref, [flush]),
            Reply;
        {'DOWN', Ref, process, Server, Reason} ->
            %% The server is gone: forget its port.
            erase({?MODULE, Server}),
            {error, Reason}
    after Timeout ->
        %% The alias is gone with the monitor: a late reply is dropped by the runtime (one
        %% already here is flushed).
        erlang:demonitor(Ref, [flush]),
        receive {Ref, _} -> ok after 0 -> ok end,
        {error, timeout}
    end.

%% The server's port, encoding options and default timeout, asked once per server and kept in
%% the caller's process dictionary.
port_of(Server) ->
    Pid = case is_pid(Server) of
              true -> Server;
              false -> whereis(Server)
          end,
    case get({?MODULE, Pid}) of
        undefined when is_pid(Pid) ->
            try gen_server:call(Pid, port, infinity) of
                Found -> put({?MODULE, Pid}, Found), Found
            catch
                exit:_ -> none
            end;
        undefined -> none;
        Found -> Found
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
                   allow => proplists:get_value(allow, Options, [])}}
    catch
        error:Reason -> {stop, {open_port, Reason}}
    end.

handle_call(port, _From, State = #{port := Port, encode := Encode, timeout := Timeout}) ->
    {reply, {Port, Encode, Timeout}, State};
handle_call(_Request, _From, State) ->
    {reply, {error, badarg}, State}.

handle_cast(_Request, State) ->
    {noreply, State}.

handle_info({Port, {data, Data}}, State = #{port := Port}) ->
    try binary_to_term(Data) of
        Term -> from_rust(Term, State)
    catch
        error:badarg ->
            logger:error("erlport_rs: the port sent ~b bytes that are not a term", [byte_size(Data)])
    end,
    {noreply, State};
handle_info({Port, {exit_status, Status}}, State = #{port := Port}) ->
    %% Every caller waiting is told at once, by its monitor: {error, {port_exit, Status}}.
    {stop, {port_exit, Status}, State};
handle_info({'EXIT', Port, Reason}, State = #{port := Port}) ->
    {stop, {port_exit, Reason}, State};
handle_info(_Other, State) ->
    {noreply, State}.

terminate(_Reason, #{port := Port}) ->
    catch port_close(Port),
    ok.

%%% Internal

from_rust({reply, Ref, Value}, _State) when is_reference(Ref) ->
    Ref ! {Ref, Value};
from_rust({progress, Ref, Message}, _State) when is_reference(Ref) ->
    Ref ! {erlport_rs, self(), Ref, Message};
from_rust({call, Id, M, F, A}, #{port := Port, encode := Encode, allow := Allow, timeout := Timeout}) ->
    Reply = fun(Result) -> command(Port, Encode, {reply, Id, Result}) end,
    case is_atom(M) andalso is_atom(F) andalso is_list(A) of
        false ->
            Reply({error, badarg});
        true ->
            case allowed(M, F, length(A), Allow) of
                true -> spawn(fun() -> Reply(apply_with_timeout(M, F, A, Timeout)) end);
                false -> Reply({error, {not_allowed, {M, F, length(A)}}})
            end
    end;
from_rust({error, Reason}, _State) ->
    logger:warning("erlport_rs: the port refused a packet: ~p", [Reason]);
from_rust(Other, _State) ->
    logger:warning("erlport_rs: unexpected message from the port: ~P", [Other, 20]).

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

command(Port, Encode, Term) ->
    try erlang:port_command(Port, term_to_binary(Term, Encode)) of
        true -> ok
    catch
        error:badarg -> {error, {port_command, badarg}}
    end.
