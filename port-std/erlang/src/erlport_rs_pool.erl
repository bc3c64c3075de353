%% @doc A pool of Rust programs across a cluster: on each node it is started on, a supervisor
%% of N `erlport_rs' servers running the same program, each joined to the `pg' group
%% `Group'; calls from any node of the cluster go to a member of the group.
%%
%% ```
%% {ok, _} = erlport_rs_pool:start_link(jobs, "target/debug/examples/jobs", [{size, 4}]),
%% 3 = erlport_rs_pool:call(jobs, add, [1, 2]).       % from this node or any connected one
%% '''
%%
%% A call goes to a member on the caller's node when there is one (the one with the fewest
%% calls waiting), else to the least loaded member on another node: the fewest calls waiting
%% as its node said at most 100 ms ago, plus those this node sent it since that are still
%% waiting (a `send_request/3,4' counts until the next reading). A member that
%% dies gives its calls in flight `{error, Reason}' at once, a node that
%% goes down `{error, noconnection}'; `pg' forgets their members, so new calls go to the
%% living ones, and the supervisor restarts a member that died, which joins again. Members
%% inherit every limit of `erlport_rs' (they take its options), and a call to a member on
%% another node is made there, by `erpc', with the same timeout.
-module(erlport_rs_pool).
-behaviour(supervisor).

-export([start_link/3, start/3, child_spec/1, stop/1,
         call/3, call/4, send_request/3, send_request/4, receive_response/1,
         members/1, local_members/1, local_loads/1]).
-export([init/1, start_member/3]).

-type option() :: {size, pos_integer()} | erlport_rs:option().
-export_type([option/0]).

%% The table of loads of the members on other nodes, read at most every ?LOADS_MS.
-define(LOADS, erlport_rs_pool_loads).
-define(LOADS_MS, 100).

%% @doc Starts `Size' (the `size' option; default: one per scheduler) `erlport_rs' servers
%% running `Executable' with `Options' (as `erlport_rs:start_link/2' takes them, `name'
%% aside), under a supervisor linked to the caller, and joins them to the `pg' group
%% `Group' (of `pg''s default scope, started here when it is not running). Returns the
%% supervisor's pid once every member has answered its hello.
-spec start_link(atom(), file:filename_all(), [option()]) -> {ok, pid()} | {error, term()}.
start_link(Group, Executable, Options) when is_atom(Group) ->
    ok = ensure_pg(),
    supervisor:start_link(?MODULE, {Group, Executable, Options}).

%% @doc As `start_link/3', without a link to the caller (stop it with `stop/1').
-spec start(atom(), file:filename_all(), [option()]) -> {ok, pid()} | {error, term()}.
start(Group, Executable, Options) ->
    case start_link(Group, Executable, Options) of
        {ok, Pid} -> unlink(Pid), {ok, Pid};
        Error -> Error
    end.

%% @doc Stops the pool started as `Pool' (its supervisor's pid): every member's program is
%% gone when it returns.
-spec stop(pid()) -> ok.
stop(Pool) ->
    gen_server:stop(Pool, shutdown, infinity).

%% @doc A child specification (a supervisor of its own): from Elixir,
%% `{:erlport_rs_pool, [group, executable, options]}'.
-spec child_spec([term()]) -> supervisor:child_spec().
child_spec([Group, Executable, Options]) ->
    #{id => {?MODULE, Group},
      start => {?MODULE, start_link, [Group, Executable, Options]},
      type => supervisor,
      shutdown => infinity,
      modules => [?MODULE]}.

%% @doc Calls handler `Name' with `Args' on a member of `Group', within the members' default
%% timeout: as `erlport_rs:call/3', or `{error, no_members}' when the group has none.
-spec call(atom(), atom(), list()) -> term().
call(Group, Name, Args) ->
    call(Group, Name, Args, default).

%% @doc `call/3' within `Timeout' ms.
-spec call(atom(), atom(), list(), timeout() | default) -> term().
call(Group, Name, Args, Timeout) ->
    {Ref, Member} = request(Group, Name, Args, Timeout),
    Reply = erlport_rs:receive_response(Ref),
    back(Group, Member),
    Reply.

%% @doc Sends a call to a member of `Group' without waiting; `receive_response/1' (or
%% `erlport_rs:receive_response/1,2') waits for its reply.
-spec send_request(atom(), atom(), list()) -> reference().
send_request(Group, Name, Args) ->
    send_request(Group, Name, Args, default).

%% @doc `send_request/3' with a timeout of its own.
-spec send_request(atom(), atom(), list(), timeout() | default) -> reference().
send_request(Group, Name, Args, Timeout) ->
    {Ref, _} = request(Group, Name, Args, Timeout),
    Ref.

request(Group, Name, Args, Timeout) ->
    case choose(Group) of
        none ->
            Ref = make_ref(),
            self() ! {Ref, {error, no_members}},
            {Ref, none};
        Member ->
            {erlport_rs:send_request(Member, Name, Args, Timeout), Member}
    end.

%% @doc The reply to a `send_request/3,4'.
-spec receive_response(reference()) -> term().
receive_response(Ref) ->
    erlport_rs:receive_response(Ref).

%% @doc The members of `Group' on every node.
-spec members(atom()) -> [pid()].
members(Group) ->
    ensure_pg(),
    pg:get_members(Group).

%% @doc The members of `Group' on this node.
-spec local_members(atom()) -> [pid()].
local_members(Group) ->
    ensure_pg(),
    pg:get_local_members(Group).

%% A member on this node, the least loaded; else the least loaded on other nodes.
choose(Group) ->
    case local_members(Group) of
        [] ->
            case members(Group) of
                [] -> none;
                [Only] -> Only;
                Remote -> least_loaded(Group, Remote)
            end;
        [Only] ->
            Only;
        Local ->
            {_, Member} = lists:min([{erlport_rs:load(Pid), Pid} || Pid <- Local]),
            Member
    end.

%% Of members on other nodes, the one with the fewest calls: as its node last said (at most
%% ?LOADS_MS ago), plus the calls this node sent it since and that have not come back.
%% Those are counted here, so that the callers of this node spread over the members between
%% two readings rather than all pile onto the one that was idle. Ties go to a member picked
%% at random.
least_loaded(Group, Members) ->
    case loads_table() of
        none ->
            lists:nth(rand:uniform(length(Members)), Members);
        Table ->
            Loads = remote_loads(Table, Group, Members),
            N = length(Members),
            {Before, After} = lists:split(rand:uniform(N) - 1, Members),
            {_, Member} = lists:min([{maps:get(Pid, Loads, 0) + sent(Table, Group, Pid), Pid}
                                     || Pid <- After ++ Before]),
            ets:update_counter(Table, {sent, Group, Member}, 1, {{sent, Group, Member}, 0}),
            Member
    end.

%% A call/3,4 to a member on another node came back: it no longer counts as sent. (One made
%% by send_request counts until the loads are read again.)
back(Group, Member) when is_pid(Member), node(Member) =/= node() ->
    case ets:whereis(?LOADS) of
        undefined -> ok;
        Table -> ets:update_counter(Table, {sent, Group, Member}, -1, {{sent, Group, Member}, 0}), ok
    end;
back(_, _) ->
    ok.

sent(Table, Group, Pid) ->
    case ets:lookup(Table, {sent, Group, Pid}) of
        [{_, Sent}] -> Sent;
        [] -> 0
    end.

%%% The loads of the members on other nodes, read at most every ?LOADS_MS

%% @doc The calls waiting at each member of `Group' on this node (what other nodes read).
-spec local_loads(atom()) -> #{pid() => non_neg_integer()}.
local_loads(Group) ->
    maps:from_list([{Pid, erlport_rs:load(Pid)} || Pid <- local_members(Group)]).

%% The loads of `Members', from a table of this node, read again from their nodes (at most
%% ?LOADS_MS ms each) when older than ?LOADS_MS; the calls counted as sent since are then
%% forgotten (the new loads hold those still waiting). A node that does not answer in time
%% counts its members as idle.
remote_loads(Table, Group, Members) ->
    Now = erlang:monotonic_time(millisecond),
    case ets:lookup(Table, Group) of
        [{Group, At, Loads}] when Now - At < ?LOADS_MS ->
            Loads;
        _ ->
            %% Marked fresh first, so that the other callers of this node do not read too.
            ets:insert(Table, {Group, Now, stale_loads(Table, Group)}),
            Nodes = lists:usort([node(Pid) || Pid <- Members]),
            Answers = erpc:multicall(Nodes, ?MODULE, local_loads, [Group], ?LOADS_MS),
            Loads = lists:foldl(fun({ok, L}, Acc) when is_map(L) -> maps:merge(Acc, L);
                                   (_, Acc) -> Acc
                                end, #{}, Answers),
            ets:match_delete(Table, {{sent, Group, '_'}, '_'}),
            ets:insert(Table, {Group, erlang:monotonic_time(millisecond), Loads}),
            Loads
    end.

stale_loads(Table, Group) ->
    case ets:lookup(Table, Group) of
        [{Group, _, Loads}] -> Loads;
        [] -> #{}
    end.

%% The node's table of loads, owned by a process of its own (started on first use).
loads_table() ->
    case ets:whereis(?LOADS) of
        undefined ->
            Self = self(),
            {Pid, Ref} = spawn_monitor(fun() ->
                try ets:new(?LOADS, [named_table, public, set, {read_concurrency, true}]) of
                    _ -> Self ! {?LOADS, self(), ok}, receive after infinity -> ok end
                catch
                    error:badarg -> Self ! {?LOADS, self(), taken}
                end
            end),
            receive
                {?LOADS, Pid, _} -> erlang:demonitor(Ref, [flush])
            after 1000 -> ok
            end,
            case ets:whereis(?LOADS) of
                undefined -> none;
                _ -> ?LOADS
            end;
        _ ->
            ?LOADS
    end.

ensure_pg() ->
    case whereis(pg) of
        undefined ->
            case pg:start(pg) of
                {ok, _} -> ok;
                {error, {already_started, _}} -> ok
            end;
        _ ->
            ok
    end.

%%% supervisor

init({Group, Executable, Options0}) ->
    Size = proplists:get_value(size, Options0, erlang:system_info(schedulers_online)),
    Options = [O || O <- Options0, not is_tuple(O) orelse not lists:member(element(1, O), [size, name])],
    Members = [#{id => {member, I},
                 start => {?MODULE, start_member, [Group, Executable, Options]},
                 restart => permanent,
                 %% A member's program gets its grace period, as erlport_rs's own child spec.
                 shutdown => 10000,
                 type => worker,
                 modules => [erlport_rs]} || I <- lists:seq(1, Size)],
    %% A crashing program is restarted; the pool gives up (and exits, for its own supervisor
    %% to see) only when its members crash faster than a few times each in 10 s.
    {ok, {#{strategy => one_for_one, intensity => 3 * Size, period => 10}, Members}}.

%% @private A member: an erlport_rs server, joined to the group (pg drops it when it dies).
start_member(Group, Executable, Options) ->
    case erlport_rs:start_link(Executable, Options) of
        {ok, Pid} ->
            ok = pg:join(Group, Pid),
            {ok, Pid};
        Error ->
            Error
    end.
