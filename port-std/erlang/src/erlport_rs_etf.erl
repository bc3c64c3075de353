%% @private
%% @doc Reading what a port program sends without trusting it: the external term format
%% stepped over byte by byte, so that a packet `binary_to_term(B, [safe])' refuses (it names
%% an atom the node does not know) can still be answered, and no atom is made from it.
%%
%% Every walk here is a loop with a count of terms still to read (a tuple of arity N adds N,
%% a list of N elements N + 1, a map of N pairs 2N), so any depth takes constant stack and
%% the time is linear in the packet; a count larger than the bytes left fails when they run
%% out. Compressed packets are inflated up to a limit, in steps, never past their declared
%% size.
-module(erlport_rs_etf).

-export([safe/1, term_size/1, plain/2, unknown_atoms/2, elements/1, list_length/1, atom_name/1, atom_ext/1]).

%% A term decoded with `[safe]': `error' when it is not one, or names an atom the node does
%% not know (or anything else `[safe]' refuses).
-spec safe(binary()) -> {ok, term()} | error.
safe(Bytes) ->
    try binary_to_term(Bytes, [safe]) of
        Term -> {ok, Term}
    catch
        error:badarg -> error
    end.

%% How many bytes the term in a packet takes: the packet's own, or, for a compressed term, the
%% version byte and the size its header declares, if more (what `binary_to_term' allocates,
%% before it inflates a byte, and fills).
-spec term_size(binary()) -> non_neg_integer().
term_size(<<131, 80, Size:32, _/binary>> = Packet) -> max(byte_size(Packet), 1 + Size);
term_size(Packet) -> byte_size(Packet).

%% The term's bytes after the version byte (inflated, when compressed and no larger than
%% `Max' bytes once inflated).
-spec plain(binary(), non_neg_integer()) -> {ok, binary()} | error.
plain(<<131, 80, Size:32, Z/binary>>, Max) when Size =< Max, Size > 0 ->
    inflate(Z, Size);
plain(<<131, 80, _/binary>>, _Max) ->
    error;
plain(<<131, Plain/binary>>, _Max) ->
    {ok, Plain};
plain(_, _) ->
    error.

%% The names (UTF-8 binaries) of the atoms in one term (bytes after the version byte) that
%% the node does not know, each once, at most `Cap' of them; `error' when the bytes are not
%% one term.
-spec unknown_atoms(binary(), pos_integer()) -> {ok, [binary()]} | error.
unknown_atoms(Plain, Cap) ->
    case skip(Plain, 1, {Cap, #{}}) of
        {ok, _Rest, {_, Unknown}} -> {ok, lists:sort(maps:keys(Unknown))};
        error -> error
    end.

%% The elements of a tuple (bytes after the version byte), each as a term of its own
%% (version byte first), so each can be decoded, or refused, alone.
-spec elements(binary()) -> {ok, [binary()]} | error.
elements(<<104, Arity, Rest/binary>>) -> split(Rest, Arity, []);
elements(<<105, Arity:32, Rest/binary>>) -> split(Rest, Arity, []);
elements(_) -> error.

split(<<>>, 0, Acc) -> {ok, lists:reverse(Acc)};
split(_Trailing, 0, _Acc) -> error;
split(Bytes, N, Acc) ->
    case skip(Bytes, 1, none) of
        {ok, Rest, _} ->
            Element = binary:part(Bytes, 0, byte_size(Bytes) - byte_size(Rest)),
            split(Rest, N - 1, [<<131, Element/binary>> | Acc]);
        error ->
            error
    end.

%% The length of a proper list (a term, version byte first); `error' for anything else.
-spec list_length(binary()) -> {ok, non_neg_integer()} | error.
list_length(<<131, 106>>) -> {ok, 0};
list_length(<<131, 107, Len:16, _:Len/binary>>) -> {ok, Len};
list_length(<<131, 108, Len:32, Rest/binary>>) ->
    case skip(Rest, Len, none) of
        {ok, <<106>>, _} -> {ok, Len};
        _ -> error
    end;
list_length(_) -> error.

%% The name of an atom (a term, version byte first), as UTF-8, whether the node knows it or
%% not; `error' for anything else.
-spec atom_name(binary()) -> {ok, binary()} | error.
atom_name(<<131, Atom/binary>>) ->
    case read_atom(Atom) of
        {ok, Name, <<>>} -> {ok, Name};
        _ -> error
    end;
atom_name(_) -> error.

%% The atom named `Name' (UTF-8) in the external format, made without the atom existing.
-spec atom_ext(binary()) -> binary().
atom_ext(Name) when byte_size(Name) < 256 -> <<119, (byte_size(Name)), Name/binary>>;
atom_ext(Name) -> <<118, (byte_size(Name)):16, Name/binary>>.

%%% Stepping over terms

%% Steps over `N' terms. `Unknown' is `{Cap, Names}', collecting the names of unknown atoms
%% (at most `Cap'), or `none' when they do not matter.
skip(Rest, 0, Unknown) -> {ok, Rest, Unknown};
skip(<<97, _, R/binary>>, N, U) -> skip(R, N - 1, U);
skip(<<98, _:32, R/binary>>, N, U) -> skip(R, N - 1, U);
skip(<<110, Len, _Sign, _:Len/binary, R/binary>>, N, U) -> skip(R, N - 1, U);
skip(<<111, Len:32, _Sign, _:Len/binary, R/binary>>, N, U) -> skip(R, N - 1, U);
skip(<<70, _:64, R/binary>>, N, U) -> skip(R, N - 1, U);
skip(<<99, _:31/binary, R/binary>>, N, U) -> skip(R, N - 1, U);
skip(<<Tag, _/binary>> = B, N, U) when Tag =:= 100; Tag =:= 115; Tag =:= 118; Tag =:= 119 ->
    case read_atom(B) of
        {ok, Name, R} -> skip(R, N - 1, note(Name, U));
        error -> error
    end;
skip(<<104, Arity, R/binary>>, N, U) -> skip(R, N - 1 + Arity, U);
skip(<<105, Arity:32, R/binary>>, N, U) -> skip(R, N - 1 + Arity, U);
skip(<<106, R/binary>>, N, U) -> skip(R, N - 1, U);
skip(<<107, Len:16, _:Len/binary, R/binary>>, N, U) -> skip(R, N - 1, U);
skip(<<108, Len:32, R/binary>>, N, U) -> skip(R, N + Len, U);
skip(<<109, Len:32, _:Len/binary, R/binary>>, N, U) -> skip(R, N - 1, U);
skip(<<77, Len:32, _Bits, _:Len/binary, R/binary>>, N, U) -> skip(R, N - 1, U);
skip(<<116, Arity:32, R/binary>>, N, U) -> skip(R, N - 1 + 2 * Arity, U);
skip(<<88, R/binary>>, N, U) -> node_then(R, 12, N, U);
skip(<<103, R/binary>>, N, U) -> node_then(R, 9, N, U);
skip(<<89, R/binary>>, N, U) -> node_then(R, 8, N, U);
skip(<<120, R/binary>>, N, U) -> node_then(R, 12, N, U);
skip(<<102, R/binary>>, N, U) -> node_then(R, 5, N, U);
skip(<<101, R/binary>>, N, U) -> node_then(R, 5, N, U);
skip(<<90, Len:16, R/binary>>, N, U) -> node_then(R, 4 + 4 * Len, N, U);
skip(<<114, Len:16, R/binary>>, N, U) -> node_then(R, 1 + 4 * Len, N, U);
skip(<<113, R/binary>>, N, U) -> skip(R, N - 1 + 3, U);
skip(<<112, Size:32, R/binary>>, N, U) when Size >= 4 ->
    Body = Size - 4,
    case R of
        <<_:Body/binary, R2/binary>> -> skip(R2, N - 1, U);
        _ -> error
    end;
skip(_, _, _) -> error.

%% A pid's, port's or reference's node atom, then `Fixed' bytes.
node_then(B, Fixed, N, U) ->
    case read_atom(B) of
        {ok, Name, <<_:Fixed/binary, R/binary>>} -> skip(R, N - 1, note(Name, U));
        _ -> error
    end.

read_atom(<<100, Len:16, Name:Len/binary, R/binary>>) -> {ok, latin1(Name), R};
read_atom(<<115, Len, Name:Len/binary, R/binary>>) -> {ok, latin1(Name), R};
read_atom(<<118, Len:16, Name:Len/binary, R/binary>>) -> {ok, Name, R};
read_atom(<<119, Len, Name:Len/binary, R/binary>>) -> {ok, Name, R};
read_atom(_) -> error.

latin1(Name) ->
    case unicode:characters_to_binary(Name, latin1, utf8) of
        Utf8 when is_binary(Utf8) -> Utf8;
        _ -> Name
    end.

note(_Name, none) -> none;
note(_Name, {Cap, U}) when map_size(U) >= Cap -> {Cap, U};
note(Name, {Cap, U}) when is_map_key(Name, U) -> {Cap, U};
note(Name, {Cap, U}) ->
    try binary_to_existing_atom(Name, utf8) of
        _ -> {Cap, U}
    catch
        error:badarg -> {Cap, U#{Name => true}}
    end.

%%% Inflating

%% Inflates a zlib stream to exactly `Size' bytes, in steps, stopping as soon as it gives
%% more (a small packet cannot make the node hold more than it declared).
inflate(Z, Size) ->
    Stream = zlib:open(),
    try
        ok = zlib:inflateInit(Stream),
        inflate_loop(Stream, zlib:safeInflate(Stream, Z), Size, [], 0)
    catch
        _:_ -> error
    after
        zlib:close(Stream)
    end.

inflate_loop(Stream, {continue, Out}, Size, Acc, Got0) ->
    Got = Got0 + iolist_size(Out),
    case Got > Size of
        true -> error;
        false -> inflate_loop(Stream, zlib:safeInflate(Stream, []), Size, [Out | Acc], Got)
    end;
inflate_loop(_Stream, {finished, Out}, Size, Acc, Got0) ->
    case Got0 + iolist_size(Out) of
        Size -> {ok, iolist_to_binary(lists:reverse(Acc, [Out]))};
        _ -> error
    end;
inflate_loop(_Stream, _, _Size, _Acc, _Got) ->
    error.
