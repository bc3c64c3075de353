%% @private
%% @doc `{packet, N}' framing done by `erlport_rs' itself, over a port opened as a byte
%% stream, so that a packet over the limit is never held: the runtime's own framing would
%% allocate whatever a header announces (up to 4 GiB) and fill it before the server could
%% refuse it. Here a header over the limit is reported at once and its body skipped as it
%% arrives; a packet within it is gathered from the chunks it comes in (each chunk copied
%% once), and packets that arrive whole in a chunk are sub-binaries of it (not copied). A
%% compressed term counts as the size it declares: a few bytes may declare 4 GiB, which
%% `binary_to_term' would allocate and inflate.
-module(erlport_rs_frames).

-export([new/3, feed/2, frame/2, write/3, max/1]).

-export_type([reader/0]).

-opaque reader() :: {pos_integer(), {non_neg_integer(), non_neg_integer()}, mode()}.
-type mode() :: {header, binary()}
              | {body, non_neg_integer(), non_neg_integer(), [binary()]}
              | {skip, non_neg_integer()}.

%% A reader of `N'-byte headers that refuses bodies over `Max' bytes, and compressed terms
%% that would inflate to more than `Inflated' bytes.
-spec new(1 | 2 | 4, non_neg_integer(), non_neg_integer()) -> reader().
new(N, Max, Inflated) -> {N, {Max, Inflated}, {header, <<>>}}.

%% The packets completed by `Chunk', in order (`{too_large, Len}' for one refused: `Len' its
%% length, or its term's size once inflated), and the reader for what follows.
-spec feed(binary(), reader()) -> {[binary() | {too_large, non_neg_integer()}], reader()}.
feed(Chunk, {N, Limits, Mode}) ->
    {Packets, Mode1} = feed(Chunk, N, Limits, Mode, []),
    {Packets, {N, Limits, Mode1}}.

feed(<<>>, _N, _Limits, Mode, Acc) ->
    {lists:reverse(Acc), Mode};
feed(Chunk, N, Limits = {Max, _}, {header, Partial}, Acc) ->
    Bytes = case Partial of <<>> -> Chunk; _ -> <<Partial/binary, Chunk/binary>> end,
    Bits = N * 8,
    case Bytes of
        <<Len:Bits, Rest/binary>> when Len > Max ->
            feed(Rest, N, Limits, {skip, Len}, [{too_large, Len} | Acc]);
        <<Len:Bits, Body:Len/binary, Rest/binary>> ->
            feed(Rest, N, Limits, {header, <<>>}, [packet(Body, Limits) | Acc]);
        <<Len:Bits, Rest/binary>> ->
            {lists:reverse(Acc), {body, Len, byte_size(Rest), [Rest]}};
        _ ->
            {lists:reverse(Acc), {header, Bytes}}
    end;
feed(Chunk, N, Limits, {body, Len, Got, Parts}, Acc) ->
    Need = Len - Got,
    case Chunk of
        <<Last:Need/binary, Rest/binary>> ->
            Body = iolist_to_binary(lists:reverse(Parts, [Last])),
            feed(Rest, N, Limits, {header, <<>>}, [packet(Body, Limits) | Acc]);
        _ ->
            {lists:reverse(Acc), {body, Len, Got + byte_size(Chunk), [Chunk | Parts]}}
    end;
feed(Chunk, N, Limits, {skip, Left}, Acc) ->
    case Chunk of
        <<_:Left/binary, Rest/binary>> -> feed(Rest, N, Limits, {header, <<>>}, Acc);
        _ -> {lists:reverse(Acc), {skip, Left - byte_size(Chunk)}}
    end.

%% A whole packet, or `{too_large, Size}' when it is a compressed term that would inflate to
%% more than the limit.
packet(Body, {_, Inflated}) ->
    case erlport_rs_etf:term_size(Body) of
        Size when Size > Inflated -> {too_large, Size};
        _ -> Body
    end.

%% `Body' with its `N'-byte header, as one iolist for `port_command'.
-spec frame(1 | 2 | 4, binary()) -> iodata().
frame(N, Body) ->
    Bits = N * 8,
    [<<(byte_size(Body)):Bits>>, Body].

%% Writes a packet (with its `Header'-byte length: the port is a byte stream) without ever
%% blocking: past `max_queue' (the port's busy limit) the write is refused.
write(Port, Header, Bin) ->
    try erlang:port_command(Port, frame(Header, Bin), [nosuspend]) of
        true -> ok;
        false -> {error, busy}
    catch
        error:_ -> {error, closed}
    end.

%% The largest packet an `N'-byte header can announce.
max(1) -> 255;
max(2) -> 65535;
max(4) -> 4294967295.
