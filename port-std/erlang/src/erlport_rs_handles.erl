%% @private
%% @doc Handles for `erlport_rs': Rust values a process holds as
%% `{erlport_rs_handle, Server, Id}' (`ctx.keep' in Rust). The program says which call made
%% each one (`{keep, Ref, Id}', before the reply); its caller owns it, and when the caller
%% dies, or `erlport_rs:release/2' is called, the program is told `{release, [Id]}' and
%% drops the value. At most `max_handles' are held at once; past it, and for a call no
%% longer waiting (its caller gone or given up), a handle is released as soon as it is made.
-module(erlport_rs_handles).

-export([keep/3, release/2, owner_down/2]).

%% Ids in one `{release, Ids}' packet: small enough for any `max_packet' the program sets.
-define(CHUNK, 40).

%% The largest id a program reads back (the Rust side makes ids under 2^59): the server keeps
%% at most `max_handles' of them, each a word or two, never a bignum of a packet's size.
-define(MAX_ID, 16#7fffffffffffffff).

%% @doc `{keep, Ref, Id}' from the program.
keep(Ref, Id, State = #{calls := Calls, handles := Handles, owned := Owned, max_handles := Max})
  when is_integer(Id), Id >= 0, Id =< ?MAX_ID ->
    case ets:lookup(Calls, Ref) of
        [{Ref, Caller}] when map_size(Handles) < Max, not is_map_key(Id, Handles) ->
            Mine = maps:get(Caller, Owned, #{}),
            State#{handles := Handles#{Id => Caller}, owned := Owned#{Caller => Mine#{Id => true}}};
        [_] when map_size(Handles) >= Max ->
            erlport_rs_wire:drop(past_max_handles, Id, tell([Id], State));
        _ ->
            tell([Id], State)
    end;
keep(_Ref, Id, State) ->
    erlport_rs_wire:drop(not_a_handle_id, Id, State).

%% @doc `erlport_rs:release(Server, Handle)': a handle of this server, whoever holds it.
release({erlport_rs_handle, Server, Id}, State = #{handles := Handles, owned := Owned})
  when Server =:= self() orelse Server =:= undefined ->
    case maps:take(Id, Handles) of
        {Owner, Left} ->
            Mine = maps:remove(Id, maps:get(Owner, Owned, #{})),
            Owned1 = case map_size(Mine) of 0 -> maps:remove(Owner, Owned); _ -> Owned#{Owner => Mine} end,
            tell([Id], State#{handles := Left, owned := Owned1});
        error ->
            State
    end;
release(_, State) ->
    State.

%% @doc A process died: the handles it owned are released.
owner_down(Owner, State = #{handles := Handles, owned := Owned}) ->
    case maps:take(Owner, Owned) of
        {Mine, Owned1} ->
            Ids = maps:keys(Mine),
            tell(Ids, State#{handles := maps:without(Ids, Handles), owned := Owned1});
        error ->
            State
    end.

tell([], State) ->
    State;
tell(Ids, State) ->
    {Chunk, Rest} = case length(Ids) > ?CHUNK of
                        true -> lists:split(?CHUNK, Ids);
                        false -> {Ids, []}
                    end,
    tell(Rest, erlport_rs_wire:send(term_to_binary({release, Chunk}), State)).
