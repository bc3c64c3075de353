%% @doc The Erlang side of a concurrent erlport port (a Rust program serving an
%% `erlport::ConcurrentProtocol'): a gen_server that owns the port, routes replies and
%% progress messages to their callers, and runs the calls the Rust program makes into
%% Erlang, limited to the functions allowed.
%%
%% ```
%% {ok, Server} = erlport_rs:start_link("target/debug/examples/jobs", [{allow, [{lists, reverse}]}]),
%% 3 = erlport_rs:call(Server, add, [1, 2]),
%% ok = erlport_rs:cast(Server, sleep, [10]),
%% ok = erlport_rs:stop(Server).
%% '''
%%
%% The port program is not trusted: nothing it sends makes an atom (packets are decoded with
%% `[safe]'), runs code the `allow' option does not name (arguments are data: funs in them
%% are refused), crashes the server, or grows the node without bound (calls from Rust run at
%% most `max_rust_calls' at once, progress and sends are bounded by what their receivers have
%% not read, packets are size-checked both ways, compressed ones by the size they inflate
%% to). A call keeps its timeout whatever the program does, and a caller that dies or gives
%% up cancels its call on the Rust side. The program never outlives the server: `stop'
%% returns once it is gone, within the grace period it asked for (at most `max_grace').
%%
%% Messages go both ways: what a process sends the server that is not a call (`Server !
%% Msg', `cast/2') reaches the program's message handler (`on_message' in Rust), and the
%% program sends messages (`ctx.send(&pid, &msg)') to the processes the `send' option allows.
%%
%% Progress messages a handler sends (`ctx.progress(&m)' in Rust) reach the calling process,
%% before the reply, as `{erlport_rs, Server, Ref, Message}': `Server' the gen_server's pid,
%% `Ref' the reference `send_request/3,4' returned (a fresh one for each `call/3,4'). The reply
%% itself arrives as `{Ref, Reply}'; `receive_response/1' waits for it.
%%
%% The wire terms are documented with `ConcurrentProtocol' in the Rust crate `erlport'.
-module(erlport_rs).
-behaviour(gen_server).

-export([start_link/2, start/2, stop/1, child_spec/1, load/1, release/2,
         call/3, call/4, cast/2, cast/3,
         send_request/3, send_request/4, receive_response/1, receive_response/2]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2, terminate/2, format_status/1]).

-type server() :: pid() | atom() | {global, term()} | {via, module(), term()}.
-type option() :: {packet, 1 | 2 | 4}
                | use_stdio | nouse_stdio
                | {compressed, 0..9}
                | {args, [string() | binary()]}
                | {env, [{string(), string() | false}]}
                | {cd, string()}
                | {timeout, timeout()}
                | {start_timeout, timeout()}
                | {allow, [module() | {module(), atom()} | {module(), atom(), arity()}]}
                | {allow_funs, boolean()}
                | {atoms, existing | {create, non_neg_integer()}}
                | {max_rust_calls, pos_integer()}
                | {max_packet, pos_integer()}
                | {inflate_limit, pos_integer()}
                | {max_queue, pos_integer()}
                | {progress_window, pos_integer()}
                | {progress_bytes, pos_integer()}
                | {max_progress_queue, pos_integer()}
                | {max_progress_bytes, pos_integer()}
                | {send, callers | any | none}
                | {send_names, [atom() | {global, term()}]}
                | {max_handles, non_neg_integer()}
                | {stderr, inherit | logger}
                | {max_stderr_lines, pos_integer()}
                | {max_grace, non_neg_integer()}
                | {name, atom() | {local, atom()} | {global, term()} | {via, module(), term()}}.
-export_type([server/0, option/0]).

-define(DEFAULT_TIMEOUT, 5000).
-define(MB, 1048576).

%%% API

%% @doc Starts `Executable' as a port owned by a new gen_server linked to the caller, and
%% returns once the program has answered the hello (`{error, Reason}' otherwise, without
%% killing the caller: `{port_exit, Status}' when it exited (`{port_exit, epipe}' when it was
%% gone before the hello could be written), `{packet_mismatch, #{server =>
%% N, program => M}}', `{not_a_concurrent_port, Reply}' for a plain `Protocol' program,
%% `{no_hello, Ms}' when it said nothing).
%%
%% Options (all optional):
%% <ul>
%% <li>`{packet, N}' (1, 2 or 4; 4), `use_stdio' (the default) or `nouse_stdio' (fds 3 and 4),
%% `{compressed, Level}' (what Erlang sends), `{args, Args}', `{env, Env}', `{cd, Dir}'.</li>
%% <li>`{timeout, Ms}': the default call timeout, both ways (5000).
%% `{start_timeout, Ms}': how long the hello may take (5000).</li>
%% <li>`{allow, List}': the functions Rust may call: `Module', `{Module, Function}' or
%% `{Module, Function, Arity}' (none). Their arguments are data: a fun anywhere in them is
%% refused (`{not_allowed, fun_in_arguments}') unless `{allow_funs, true}'. Do not list
%% functions that run what they are given (`erlang:apply/3', `proc_lib:spawn/3', ...): the
%% list would then mean everything.</li>
%% <li>`{atoms, existing}' (the default): packets naming an atom this node does not know are
%% refused: a reply becomes `{error, {unknown_atoms, Names}}' to its caller, a progress
%% message is dropped, a call from Rust is answered `{error, {not_allowed, {M, F, Arity}}}'
%% or `{error, {unknown_atoms, Names}}'. `{atoms, {create, Max}}' lets the program make at
%% most `Max' atoms over the server's life.</li>
%% <li>`{max_rust_calls, N}': calls from Rust running at once (64); more are answered
%% `{error, busy}'.</li>
%% <li>`{max_packet, Bytes}': the largest packet sent or accepted (64 MiB, and never more
%% than the packet size or the program's own limit allows); a call over it gets
%% `{error, {packet_too_large, Len, Max}}' at once.
%% `{inflate_limit, Bytes}': the largest size a compressed packet from the program may
%% inflate to (64 MiB, as the Rust side's `Port::inflate_limit'); one declaring more is
%% dropped before it is inflated.</li>
%% <li>`{max_queue, Bytes}': how much may wait to be written to the program (8 MiB); past it a
%% call gets `{error, busy}' at once instead of blocking its caller.</li>
%% <li>`{progress_window, N}' (64) and `{progress_bytes, B}' (4 MiB): the progress messages,
%% and bytes, a call may have on their way; more are allowed only while its caller's mailbox
%% holds fewer than `max_progress_queue' messages (10000) and about `max_progress_bytes' of
%% them (16 MiB). A caller that does not read holds its handler (`ctx.progress' waits),
%% instead of filling the node's memory.</li>
%% <li>`{send, Policy}': whom the program may send messages to (`ctx.send' in Rust): `callers'
%% (the default: a process that has called or cast to this server and is alive, and the
%% names `send_names' lists), `any' (any pid, registered name, `{Name, Node}' or
%% `{global, Name}': for a program trusted as much as the node's own code), or `none'.
%% `{send_names, Names}': registered names (atoms) and `{global, Name}' it may send to ([]).
%% A message refused, or to a process of this node whose mailbox holds more than
%% `max_progress_queue' messages or about `max_progress_bytes' of unread ones from this server
%% (one is always let through to a process that read all the others), is dropped with a log
%% line. `{via, Module, Name}' is never a destination: it would run `Module'.</li>
%% <li>`{stderr, logger}': the program's stderr lines (its log, a panic's message) become
%% `logger' events (notice), at most `max_stderr_lines' (200) a second, the rest dropped and
%% counted; `{stderr, inherit}' (the default) leaves them on the VM's stderr.</li>
%% <li>`{max_grace, Ms}': the longest grace period the program may ask for in its hello
%% (60000); `stop' waits at most this long, and a second more, before it kills the
%% program.</li>
%% <li>`{max_handles, N}': the handles (`ctx.keep' in Rust) held at once (1,000,000); past it a
%% new handle is released as soon as it is made.</li>
%% <li>`{name, Name}': an atom (registered locally), `{local, Name}', `{global, Name}' or
%% `{via, Module, Name}'.</li>
%% </ul>
-spec start_link(file:filename_all(), [option()]) -> {ok, pid()} | {error, term()}.
start_link(Executable, Options) ->
    start(start_link, Executable, Options).

%% @doc As `start_link/2', without a link.
-spec start(file:filename_all(), [option()]) -> {ok, pid()} | {error, term()}.
start(Executable, Options) ->
    start(start, Executable, Options).

start(How, Executable, Options) ->
    Init = {Executable, Options, self()},
    case proplists:get_value(name, Options) of
        undefined -> gen_server:How(?MODULE, Init, []);
        Name when is_atom(Name) -> gen_server:How({local, Name}, ?MODULE, Init, []);
        Name -> gen_server:How(Name, ?MODULE, Init, [])
    end.

%% @doc A child specification, for a supervisor's child list: from Elixir,
%% `{:erlport_rs, [executable, options]}'. The id is `{erlport_rs, Name}' with a `name'
%% option (`erlport_rs' otherwise); shutdown waits 10 s, for the program's grace period.
-spec child_spec([term()]) -> supervisor:child_spec().
child_spec([Executable, Options]) ->
    Id = case proplists:get_value(name, Options) of
             undefined -> ?MODULE;
             Name -> {?MODULE, Name}
         end,
    #{id => Id,
      start => {?MODULE, start_link, [Executable, Options]},
      shutdown => 10000,
      type => worker,
      modules => [?MODULE]}.

%% @doc Stops the server, and returns once the Rust program is gone: the port closes, the
%% program's handlers are told (`ctx.is_cancelled()') and get its grace period (5 s by
%% default, at most `max_grace'), then the program exits; one that has not, a second later,
%% is killed.
-spec stop(server()) -> ok.
stop(Server) ->
    gen_server:stop(Server, normal, infinity).

%% @doc Calls handler `Name' with `Args' and returns its reply, within the default timeout.
-spec call(server(), atom(), list()) -> term().
call(Server, Name, Args) ->
    receive_response(send_request(Server, Name, Args)).

%% @doc Calls handler `Name' with `Args' and returns its reply: the handler's value
%% (`{ok, T}' / `{error, E}' for a `Result'), `{error, timeout}' when it did not come within
%% `Timeout' ms (the Rust side is told, and a late reply is dropped), `{error, busy}' when
%% more than `max_queue' waits to be written, `{error, {packet_too_large, Len, Max}}',
%% `{error, {port_exit, Status}}' when the Rust program exited first, or `{error, Reason}'
%% when the server is gone. Returns within `Timeout' whatever the program does.
-spec call(server(), atom(), list(), timeout()) -> term().
call(Server, Name, Args, Timeout) ->
    receive_response(send_request(Server, Name, Args, Timeout)).

%% @doc Sends `Message' to the program's message handler (`on_message' in Rust), as
%% `Server ! Message' does, but written to the port by the calling process itself (no hop
%% through the server) and allowing the program to send to the caller (see the `send'
%% option). Dropped when the port is busy, the message is over `max_packet' or the server
%% is gone.
-spec cast(server(), term()) -> ok.
cast(Server, Message) ->
    case erlport_rs_callers:info_or_remote(Server) of
        {remote, Pid} ->
            erpc:cast(node(Pid), ?MODULE, cast, [Pid, Message]);
        {_Pid, #{port := Port, header := Header, encode := Encode, max := Max}} ->
            Bin = term_to_binary({message, Message}, Encode),
            _ = byte_size(Bin) =< Max andalso erlport_rs_frames:write(Port, Header, Bin),
            ok;
        none ->
            ok
    end.

%% @doc Runs handler `Name' with `Args'; no reply. Dropped when the port is busy or the
%% server is gone.
-spec cast(server(), atom(), list()) -> ok.
cast(Server, Name, Args) when is_atom(Name), is_list(Args) ->
    case erlport_rs_callers:info_or_remote(Server) of
        {remote, Pid} ->
            erpc:cast(node(Pid), ?MODULE, cast, [Pid, Name, Args]);
        {_Pid, #{port := Port, header := Header, encode := Encode, max := Max}} ->
            Bin = term_to_binary({cast, Name, Args}, Encode),
            _ = byte_size(Bin) =< Max andalso erlport_rs_frames:write(Port, Header, Bin),
            ok;
        none ->
            ok
    end.

%% @doc Sends a call without waiting: the reference tags its progress messages, and
%% `receive_response/1', called by the same process, waits for its reply.
-spec send_request(server(), atom(), list()) -> reference().
send_request(Server, Name, Args) ->
    send_request(Server, Name, Args, default).

%% @doc `send_request/3' with a timeout of its own.
-spec send_request(server(), atom(), list(), timeout() | default) -> reference().
send_request(Server, Name, Args, Timeout0) when is_atom(Name), is_list(Args) ->
    case erlport_rs_callers:whereis_server(Server) of
        Pid when is_pid(Pid), node(Pid) =/= node() -> remote_request(Pid, Name, Args, Timeout0);
        _ -> local_request(Server, Name, Args, Timeout0)
    end.

%% A server on another node: the call is made there (the port is there), by `erpc'; the
%% reply comes back, or `{error, noconnection}' at once when that node goes down. Its
%% progress stays there: a caller's mailbox on another node is out of the flow control's
%% reach. A default timeout is the server's own, kept there.
remote_request(Pid, Name, Args, Timeout0) ->
    Ref = make_ref(),
    Request = erpc:send_request(node(Pid), ?MODULE, call, [Pid, Name, Args | [Timeout0 || Timeout0 =/= default]]),
    Deadline = case Timeout0 of
                   T when is_integer(T) -> erlang:monotonic_time(millisecond) + T;
                   _ -> infinity
               end,
    put({?MODULE, Ref}, {remote, Request, Deadline}),
    Ref.

local_request(Server, Name, Args, Timeout0) ->
    %% The monitor is also an alias, and the call's id on the wire: the server forwards the
    %% reply and progress to it, and once it is gone (the reply came, or the call timed
    %% out) late messages are dropped by the runtime. The caller writes to the port itself,
    %% so calls from many processes do not queue behind one.
    case erlport_rs_callers:info(Server) of
        {Pid, Info = #{port := Port, header := Header, encode := Encode, timeout := Default, max := Max}} ->
            Ref = erlang:monitor(process, Pid, [{alias, demonitor}]),
            Timeout = case Timeout0 of default -> Default; _ -> Timeout0 end,
            Deadline = case Timeout of
                           infinity -> infinity;
                           _ -> erlang:monotonic_time(millisecond) + Timeout
                       end,
            put({?MODULE, Ref}, {Pid, Deadline, Info}),
            Bin = term_to_binary({call, Ref, Name, Args}, Encode),
            case byte_size(Bin) of
                Len when Len > Max ->
                    Ref ! {Ref, {error, {packet_too_large, Len, Max}}};
                _ ->
                    %% Known to the server before the program can answer: only calls
                    %% registered are answered, its caller's death or timeout cancels it,
                    %% and its progress is flow-controlled.
                    register_call(Info, Ref),
                    case erlport_rs_frames:write(Port, Header, Bin) of
                        ok -> ok;
                        Error -> _ = unregister_call(Info, Ref), Ref ! {Ref, Error}
                    end
            end,
            Ref;
        none ->
            %% The server is not there: the monitor's 'DOWN' says why (noproc), or, for a
            %% name nobody has, the reply.
            Ref = case erlport_rs_callers:whereis_server(Server) of
                      Pid when is_pid(Pid) ->
                          erlang:monitor(process, Pid, [{alias, demonitor}]);
                      _ ->
                          NoProc = make_ref(),
                          self() ! {NoProc, {error, noproc}},
                          NoProc
                  end,
            put({?MODULE, Ref}, {none, infinity, none}),
            Ref
    end.

%% The server's table of calls waiting for a reply, by id, with their caller: what the
%% server looks up for a reply or progress, and what it cancels when a caller dies. Written
%% by the caller, so a call costs the server no message.
%% A server that just died took its table with it: the call's monitor says so.
register_call(#{calls := Calls}, Ref) ->
    try
        ets:insert(Calls, {Ref, self()})
    catch
        error:badarg -> false
    end.

%% Whether the call was still registered (no reply yet), which it no longer is.
unregister_call(#{calls := Calls}, Ref) ->
    try ets:take(Calls, Ref) of
        [{Ref, _}] -> true;
        [] -> false
    catch
        error:badarg -> false
    end.

%% @doc The reply to a `send_request/3,4', as `call/4' returns it. Its progress messages
%% stay in the mailbox, before the reply.
-spec receive_response(reference()) -> term().
receive_response(Ref) ->
    receive_response(Ref, none).

%% @doc As `receive_response/1', calling `OnProgress(Message)' for each progress message of
%% the call as it comes, until the reply (one loop for both, within the call's timeout).
-spec receive_response(reference(), fun((term()) -> term()) | none) -> term().
receive_response(Ref, OnProgress) ->
    case erase({?MODULE, Ref}) of
        {remote, Request, Deadline} ->
            await_remote(Request, Deadline);
        undefined ->
            await(Ref, OnProgress, none, infinity, none);
        {Server, Deadline, Info} ->
            await(Ref, OnProgress, Server, Deadline, Info)
    end.

await_remote(Request, Deadline) ->
    Timeout = case Deadline of
                  infinity -> infinity;
                  _ -> max(0, Deadline - erlang:monotonic_time(millisecond))
              end,
    try erpc:receive_response(Request, Timeout) of
        Reply -> Reply
    catch
        error:{erpc, timeout} -> {error, timeout};
        error:{erpc, Reason} -> {error, Reason};
        Class:Reason -> {error, {exception, Class, Reason}}
    end.

await(Ref, OnProgress, Server, Deadline, Info) ->
    Timeout = case Deadline of
                  infinity -> infinity;
                  _ -> max(0, Deadline - erlang:monotonic_time(millisecond))
              end,
    receive
        {Ref, Reply} ->
            erlang:demonitor(Ref, [flush]),
            Reply;
        {?MODULE, Server, Ref, Message} when is_function(OnProgress, 1) ->
            OnProgress(Message),
            await(Ref, OnProgress, Server, Deadline, Info);
        {'DOWN', Ref, process, Pid, Reason} ->
            erlport_rs_callers:forget(Pid),
            {error, Reason}
    after Timeout ->
        %% The alias is gone with the monitor: a late reply is dropped by the runtime (one
        %% already here is flushed). The server tells the Rust side.
        erlang:demonitor(Ref, [flush]),
        _ = is_map(Info) andalso unregister_call(Info, Ref) andalso (Server ! {?MODULE, cancel, Ref}),
        receive {Ref, _} -> ok after 0 -> ok end,
        {error, timeout}
    end.

%% @doc Releases `Handle' (`{erlport_rs_handle, Server, Id}', made by `ctx.keep' in Rust and
%% owned by the process whose call made it): the program drops its value. Handles are also
%% released when their owner dies. Later calls given it get `{error, {function_clause, _}}'.
-spec release(server(), {erlport_rs_handle, pid() | undefined, non_neg_integer()}) -> ok.
release(Server, Handle) ->
    gen_server:cast(Server, {release, Handle}).

%% @doc The calls of a server of this node still waiting for their reply (0 for a server
%% that is gone or on another node): how loaded it is.
-spec load(server()) -> non_neg_integer().
load(Server) ->
    case erlport_rs_callers:info_or_remote(Server) of
        {_Pid, #{calls := Calls}} ->
            case ets:info(Calls, size) of
                undefined -> 0;
                N -> N
            end;
        _ ->
            0
    end.

%%% gen_server

init({Executable, Options, Starter}) ->
    process_flag(trap_exit, true),
    Packet = proplists:get_value(packet, Options, 4),
    Stdio = case proplists:get_bool(nouse_stdio, Options) of
                true -> nouse_stdio;
                false -> use_stdio
            end,
    MaxQueue = proplists:get_value(max_queue, Options, 8 * ?MB),
    %% A byte stream: the server frames packets itself (erlport_rs_frames), so a header
    %% announcing more than max_packet makes the node hold nothing.
    PortOptions = [stream, binary, exit_status, Stdio,
                   {busy_limits_port, {MaxQueue div 2, MaxQueue}}]
        ++ [{args, A} || {args, A} <- Options]
        ++ [{env, E} || {env, E} <- Options]
        ++ [{cd, D} || {cd, D} <- Options],
    Encode = case proplists:get_value(compressed, Options) of
                 undefined -> [];
                 Level -> [{compressed, Level}]
             end,
    Window = proplists:get_value(progress_window, Options, 64),
    WindowBytes = proplists:get_value(progress_bytes, Options, 4 * ?MB),
    Tables = #{calls => ets:new(erlport_rs_calls, [set, public, {write_concurrency, true}])},
    try open_port({spawn_executable, Executable}, PortOptions) of
        Port ->
            {os_pid, OsPid} = erlang:port_info(Port, os_pid),
            Program = erlport_rs_program:known(OsPid),
            MaxPacket = min(proplists:get_value(max_packet, Options, 64 * ?MB), erlport_rs_frames:max(Packet)),
            Hello = term_to_binary({hello, erlport_rs_hello:version(), #{progress_window => Window, progress_bytes => WindowBytes,
                                                       server => self(),
                                                       stderr => proplists:get_value(stderr, Options) =:= logger}},
                                   Encode),
            StartTimeout = proplists:get_value(start_timeout, Options, ?DEFAULT_TIMEOUT),
            Inflated = proplists:get_value(inflate_limit, Options, 64 * ?MB),
            Reader = erlport_rs_frames:new(Packet, MaxPacket, Inflated),
            case erlport_rs_hello:exchange(Port, Packet, Reader, Hello, MaxPacket, StartTimeout) of
                {ok, Theirs, Reader1, After} ->
                    State = Tables#{port => Port,
                           header => Packet,
                           reader => Reader1,
                           os_pid => OsPid,
                           program => Program,
                           encode => Encode,
                           timeout => proplists:get_value(timeout, Options, ?DEFAULT_TIMEOUT),
                           allow => proplists:get_value(allow, Options, []),
                           allow_funs => proplists:get_value(allow_funs, Options, false),
                           send => proplists:get_value(send, Options, callers),
                           send_names => proplists:get_value(send_names, Options, []),
                           max_handles => proplists:get_value(max_handles, Options, 1000000),
                           executable => Executable,
                           %% Lines are logged only when asked for: a program cannot
                           %% write into the node's log otherwise.
                           stderr => proplists:get_value(stderr, Options, inherit),
                           max_stderr_lines => proplists:get_value(max_stderr_lines, Options, 200),
                           stderr_second => {0, 0},
                           handles => #{},
                           owned => #{},
                           atoms => proplists:get_value(atoms, Options, existing),
                           max_rust_calls => proplists:get_value(max_rust_calls, Options, 64),
                           max_in => MaxPacket,
                           inflate_limit => Inflated,
                           max_out => min(MaxPacket, maps:get(max_packet, Theirs, MaxPacket)),
                           %% What the program said of itself (every key it sends is an
                           %% atom named here, so its hello decodes with [safe]).
                           grace => erlport_rs_program:grace(maps:get(grace, Theirs, 5000),
                                                             proplists:get_value(max_grace, Options, 60000)),
                           concurrency => maps:get(concurrency, Theirs, undefined),
                           window => Window,
                           window_bytes => WindowBytes,
                           max_progress_queue => proplists:get_value(max_progress_queue, Options, 10000),
                           max_progress_bytes => proplists:get_value(max_progress_bytes, Options, 16 * ?MB),
                           progress => #{},
                           sent => #{},
                           sent_limit => 1024,
                           monitors => #{},
                           watched => #{},
                           dead => #{},
                           rust_calls => #{},
                           held => [],
                           unsent => [],
                           retrying => false,
                           dropped => #{},
                           logged_at => 0},
                    %% What came with the hello is served now.
                    {ok, lists:foldl(fun packet/2, State, After)};
                {error, Reason} ->
                    catch port_close(Port),
                    erlport_rs_program:kill(Program, 0),
                    %% The caller gets {error, Reason} from start_link, not an exit signal.
                    unlink(Starter),
                    {stop, Reason}
            end
    catch
        error:Reason ->
            unlink(Starter),
            {stop, {open_port, Reason}}
    end.

handle_call(info, {Caller, _}, State = #{port := Port, header := Header, encode := Encode, timeout := Timeout,
                                          max_out := Max,
                                          calls := Calls, monitors := Monitors,
                                          watched := Watched}) ->
    %% Each caller is monitored once, for as long as it lives: its calls are cancelled when
    %% it dies.
    State1 = case is_map_key(Caller, Watched) of
                 true -> State;
                 false -> State#{monitors := Monitors#{erlang:monitor(process, Caller) => Caller},
                                 watched := Watched#{Caller => true}}
             end,
    {reply, #{port => Port, header => Header, encode => Encode, timeout => Timeout, max => Max, calls => Calls},
     State1};
handle_call(_Request, _From, State) ->
    {reply, {error, badarg}, State}.

handle_cast({release, Handle}, State) ->
    {noreply, erlport_rs_handles:release(Handle, State)};
handle_cast(_Request, State) ->
    {noreply, State}.

handle_info({Port, {data, Chunk}}, State0 = #{port := Port, reader := Reader}) ->
    case erlport_rs_wire:flood_check(State0) of
        {ok, State} ->
            {Packets, Reader1} = erlport_rs_frames:feed(Chunk, Reader),
            {noreply, lists:foldl(fun packet/2, State#{reader := Reader1}, Packets)};
        {flood, Len} ->
            %% What is queued is dropped at once, and the stop is not a crash report that
            %% would print it.
            flush_port(Port),
            {stop, {shutdown, {port_flood, Len}}, State0}
    end;
handle_info({?MODULE, cancel, Ref}, State) ->
    %% A caller gave up (its timeout); it took the call out of the tables.
    {noreply, erlport_rs_wire:cancel(Ref, State)};
handle_info({'DOWN', Monitor, process, Caller, _}, State = #{monitors := Monitors, watched := Watched})
  when is_map_key(Monitor, Monitors) ->
    %% A caller died: its calls still running are cancelled, and the Rust side told.
    State1 = State#{monitors := maps:remove(Monitor, Monitors), watched := maps:remove(Caller, Watched)},
    {noreply, erlport_rs_handles:owner_down(Caller, erlport_rs_wire:caller_down(Caller, State1))};
handle_info({'DOWN', _, process, Pid, Reason}, State = #{rust_calls := RustCalls}) when is_map_key(Pid, RustCalls) ->
    {noreply, erlport_rs_wire:rust_call_done(Pid, {error, {exception, exit, Reason}}, State)};
handle_info({?MODULE, done, Pid, Reply}, State) ->
    {noreply, erlport_rs_wire:rust_call_done(Pid, Reply, State)};
handle_info({timeout, _Timer, {?MODULE, rust_call, Pid}}, State) ->
    exit(Pid, kill),
    {noreply, erlport_rs_wire:rust_call_done(Pid, {error, timeout}, State)};
handle_info({?MODULE, sweep}, State) ->
    {noreply, erlport_rs_wire:sweep(State)};
handle_info({?MODULE, retry}, State) ->
    {noreply, erlport_rs_wire:retry(State#{retrying := false})};
handle_info({Port, {exit_status, Status}}, State = #{port := Port}) ->
    %% Every caller waiting is told at once, by its monitor: {error, {port_exit, Status}}.
    {stop, {port_exit, Status}, State};
handle_info({'EXIT', Port, Reason}, State = #{port := Port}) ->
    {stop, {port_exit, Reason}, State};
handle_info({P, _}, State) when is_port(P) ->
    %% From a port closed before (its last words).
    {noreply, State};
handle_info(Message, State) ->
    %% Anyone's message to the server: the program's message handler's.
    {noreply, erlport_rs_wire:to_rust(Message, State)}.

terminate(_Reason, #{port := Port, program := Program, grace := Grace, rust_calls := RustCalls}) ->
    [exit(Pid, kill) || Pid <- maps:keys(RustCalls)],
    %% End of input: the program cancels its calls and exits within its grace period.
    catch port_close(Port),
    flush_port(Port),
    erlport_rs_program:kill(Program, Grace + 1000),
    ok.

%% Drops what the port sent that is still in the mailbox.
flush_port(Port) ->
    receive
        {Port, {data, _}} -> flush_port(Port)
    after 0 ->
        ok
    end.

%% What a crash report or `sys:get_status' shows: the state without the buffers and the
%% tables kept per caller, call or handle (as their sizes), and a packet from the port as its
%% size, so a report never prints megabytes.
format_status(Status) ->
    maps:map(fun(state, State) when is_map(State) ->
                     Tables = [progress, sent, handles, owned, monitors, watched, dead],
                     maps:merge(maps:without([reader, unsent, dropped | Tables], State),
                                maps:map(fun(_, T) -> {size, map_size(T)} end, maps:with(Tables, State)));
                (message, {Port, {data, Chunk}}) when is_port(Port), is_binary(Chunk) ->
                     {Port, {data, {bytes, byte_size(Chunk)}}};
                (log, Log) ->
                     [{data_bytes, byte_size(Chunk)} || {_, {_, {data, Chunk}}} <- Log, is_binary(Chunk)];
                (_, Value) ->
                     Value
             end, Status).

packet({too_large, Len}, State) ->
    erlport_rs_wire:too_large(Len, State);
packet(Data, State) ->
    erlport_rs_wire:from_rust(Data, State).
