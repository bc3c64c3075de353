#!/usr/bin/env escript
%% -*- erlang -*-
%%! -noshell
%%
%% Generates decoding fixtures labelled by the real VM's binary_to_term/2, or re-labels an
%% existing fixture file with this VM's verdicts.
%%
%%   escript decode_fixtures.escript generate OUT [SEED]
%%   escript decode_fixtures.escript huge OUT          (large inputs; not committed)
%%   escript decode_fixtures.escript label IN OUT
%%   escript decode_fixtures.escript differential N SEED OUT   (random terms and mutants, no ~w)
%%   escript decode_fixtures.escript reencoded IN              (checks our re-encodings)
%%
%% One case per line, tab-separated:
%%   HexInput  Verdict(ok|error)  Used(bytes, or -)  Display(~w text as UTF-8, or -)  Label
%% Display is given when the term holds no pid, port, reference or fun (their ~w text depends
%% on the VM's node table), and is io_lib:format("~w", [T]) as UTF-8.
-mode(compile).

main(["generate", Out]) -> main(["generate", Out, "20251125"]);
main(["generate", Out, Seed]) ->
    rand:seed(exsss, {list_to_integer(Seed), 7, 11}),
    Random = [random_case(I) || I <- lists:seq(1, 2400)],
    Hostile = hostile_cases(),
    Valid = [B || {B, _} <- Random],
    Mutants = lists:append([mutants(B) || B <- Valid]),
    Prefixes = lists:append([prefixes(B) || B <- lists:sublist(Valid, 300)]),
    Cases = Random ++ Hostile ++ Mutants ++ Prefixes,
    write_cases(Out, Cases);
main(["differential", N, Seed, Out]) ->
    rand:seed(exsss, {list_to_integer(Seed), 13, 17}),
    write_fast(Out, differential(list_to_integer(N), []));
main(["reencoded", In]) ->
    %% Lines: OriginalHex TAB ReencodedHex. Checks binary_to_term(Re) =:= binary_to_term(Orig).
    {ok, Data} = file:read_file(In),
    Lines = [L || L <- binary:split(Data, <<"\n">>, [global]), L =/= <<>>],
    Bad = [L || L <- Lines, not reencoded_ok(L)],
    [io:format("FAIL ~s~n", [binary:part(L, 0, min(byte_size(L), 300))]) || L <- lists:sublist(Bad, 10)],
    io:format("~p passed, ~p failed~n", [length(Lines) - length(Bad), length(Bad)]),
    halt(case Bad of [] -> 0; _ -> 1 end);
main(["huge", Out]) ->
    write_cases(Out, huge_cases());
main(["label", In, Out]) ->
    {ok, Data} = file:read_file(In),
    Lines = [L || L <- binary:split(Data, <<"\n">>, [global]), L =/= <<>>],
    Cases = [begin
                 [Hex, _, _, _, Label] = binary:split(L, <<"\t">>, [global]),
                 {binary:decode_hex(Hex), Label}
             end || L <- Lines],
    write_cases(Out, Cases);
main(_) ->
    io:format(standard_error, "usage: decode_fixtures.escript generate OUT [SEED] | label IN OUT~n", []),
    halt(2).

write_cases(Out, Cases) ->
    {ok, F} = file:open(Out, [write, raw, binary]),
    lists:foreach(fun({B, Label}) -> ok = file:write(F, line(B, Label)) end, Cases),
    ok = file:close(F),
    io:format("~p cases written to ~s~n", [length(Cases), Out]).

line(B, Label) ->
    {Verdict, Used, Display} =
        case catch binary_to_term(B, [used]) of
            {T, U} when is_integer(U) ->
                D = case printable(T) of
                        true -> unicode:characters_to_binary(io_lib:format("~w", [T]));
                        false -> <<"-">>
                    end,
                {<<"ok">>, integer_to_binary(U), D};
            _ -> {<<"error">>, <<"-">>, <<"-">>}
        end,
    [binary:encode_hex(B), $\t, Verdict, $\t, Used, $\t, Display, $\t, label(Label), $\n].

label(L) when is_binary(L) -> L;
label(L) when is_list(L) -> list_to_binary(L);
label(L) when is_atom(L) -> atom_to_binary(L).

printable(T) when is_pid(T); is_port(T); is_reference(T); is_function(T) -> false;
printable(T) when is_tuple(T) -> printable(tuple_to_list(T));
printable(T) when is_map(T) -> printable(maps:to_list(T));
printable([H | T]) -> printable(H) andalso printable(T);
printable(_) -> true.

reencoded_ok(L) ->
    [Orig, Re] = binary:split(L, <<"\t">>),
    try
        O = binary:decode_hex(Orig),
        A = binary_to_term(O),
        B = binary_to_term(binary:decode_hex(Re)),
        %% OTP 25 does not always agree with itself: a reference to the local node
        %% (nonode@nohost) as a map key can make binary_to_term(O) =/= binary_to_term(O).
        %% There Erlang cannot judge; the re-encoding must then be the same bytes.
        A =:= B orelse (binary_to_term(O) =/= A andalso string:uppercase(Re) =:= string:uppercase(Orig))
    catch _:_ -> false
    end.

%% Differential cases: a random term under a random option, then mutants of it (one to three
%% byte flips, byte sets, truncations, extensions, splices or length-field edits each).
differential(N, Acc) when N =< 0 -> Acc;
differential(N, Acc) ->
    {B, _} = random_case(N),
    Mutants = [{mutate(B, rand:uniform(3)), "diff mutant"} || byte_size(B) > 2, _ <- lists:seq(1, 4)],
    differential(N - 1 - length(Mutants), [{B, "diff random"} | Mutants] ++ Acc).

mutate(B, 0) -> B;
mutate(B, K) when byte_size(B) < 3 -> mutate(<<B/binary, (rand:uniform(256) - 1)>>, K - 1);
mutate(B, K) ->
    N = byte_size(B),
    P = rand:uniform(N - 1),
    M = case rand:uniform(6) of
            1 -> <<H:P/binary, X, T/binary>> = B, <<H/binary, (X bxor (1 bsl (rand:uniform(8) - 1))), T/binary>>;
            2 -> <<H:P/binary, _, T/binary>> = B, <<H/binary, (pick([0, 1, 2, 3, 4, 8, 70, 77, 80, 88, 97, 98, 99, 100, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 116, 118, 119, 127, 128, 255])), T/binary>>;
            3 -> binary:part(B, 0, P);
            4 -> <<B/binary, (rand:bytes(rand:uniform(4)))/binary>>;
            5 -> Q = rand:uniform(N - 1), <<(binary:part(B, 0, P))/binary, (binary:part(B, Q, N - Q))/binary>>;
            6 when P + 4 =< N ->
                <<H:P/binary, V:32, T/binary>> = B,
                V2 = pick([V + 1, V - 1, 0, 16#7fffffff, 16#ffffffff, V * 2]) band 16#ffffffff,
                <<H/binary, V2:32, T/binary>>;
            6 -> B
        end,
    mutate(M, K - 1).

write_fast(Out, Cases) ->
    {ok, F} = file:open(Out, [write, raw, binary, {delayed_write, 1 bsl 20, 2000}]),
    lists:foreach(fun({B, Label}) ->
        {V, U} = case catch binary_to_term(B, [used]) of
                     {_, Used} when is_integer(Used) -> {<<"ok">>, integer_to_binary(Used)};
                     _ -> {<<"error">>, <<"-">>}
                 end,
        ok = file:write(F, [binary:encode_hex(B), $\t, V, $\t, U, $\t, $-, $\t, Label, $\n])
    end, Cases),
    ok = file:close(F).

%% ---------------------------------------------------------------------------------------
%% Random terms of every kind, each encoded with a random term_to_binary option.

random_case(I) ->
    T = term(3),
    {Opts, Name} = case rand:uniform(12) of
        1 -> {[{minor_version, 0}], "mv0"};
        2 -> {[{minor_version, 1}], "mv1"};
        3 -> {[{minor_version, 2}], "mv2"};
        4 -> {[deterministic, {minor_version, 2}], "det"};
        5 -> {[{compressed, 1}], "compressed1"};
        6 -> {[compressed], "compressed6"};
        7 -> {[{compressed, 9}], "compressed9"};
        _ -> {[], "default"}
    end,
    {term_to_binary(T, Opts), io_lib:format("random ~p ~s", [I, Name])}.

pick(L) -> lists:nth(rand:uniform(length(L)), L).

term(0) -> leaf();
term(D) ->
    case rand:uniform(10) of
        N when N =< 4 -> leaf();
        5 -> list_to_tuple([term(D - 1) || _ <- lists:seq(1, rand:uniform(5) - 1)]);
        6 -> [term(D - 1) || _ <- lists:seq(1, rand:uniform(5) - 1)];
        7 -> maps:from_list([{key(D - 1), term(D - 1)} || _ <- lists:seq(1, rand:uniform(6) - 1)]);
        8 -> improper(D);
        9 -> string();
        10 -> case rand:uniform(4) of
                  1 -> big_map(D);
                  2 -> big_tuple();
                  3 -> nested(rand:uniform(40));
                  4 -> term(D - 1)
              end
    end.

leaf() ->
    case rand:uniform(14) of
        1 -> rand:uniform(256) - 1;
        2 -> rand:uniform(1 bsl 32) - (1 bsl 31);
        3 -> integer();
        4 -> float();
        5 -> atom();
        6 -> atom();
        7 -> binary();
        8 -> bitstring();
        9 -> pick([pid(), port(), ref()]);
        10 -> pick([fun_term(), fun erlang:abs/1, fun lists:map/2, fun maps:get/3]);
        11 -> [];
        12 -> {};
        13 -> #{};
        14 -> pick([<<>>, "", 0, -1, true, false, undefined, ok, error, nil])
    end.

integer() ->
    case rand:uniform(3) of
        1 -> pick([255, 256, -1, -256, 1 bsl 31 - 1, 1 bsl 31, -(1 bsl 31), -(1 bsl 31) - 1,
                   1 bsl 59 - 1, 1 bsl 59, -(1 bsl 59), -(1 bsl 59) - 1, 1 bsl 63 - 1, 1 bsl 63,
                   -(1 bsl 63), -(1 bsl 63) - 1, 1 bsl 64 - 1, 1 bsl 64, 1 bsl 127, -(1 bsl 127),
                   1 bsl 128, 1 bsl 2040 - 1, 1 bsl 2040, -(1 bsl 2048)]);
        _ ->
            Bits = rand:uniform(pick([64, 200, 3000])),
            V = rand:uniform(1 bsl Bits),
            case rand:uniform(2) of 1 -> V; 2 -> -V end
    end.

float() ->
    case rand:uniform(4) of
        1 -> pick([0.0, -0.0, 0.1, 0.2, 0.3, 1.0, -1.0, 1.5, 100.0, 1000.0, 1.0e15, 1.0e16, 1.0e-4,
                   1.0e-5, 9007199254740992.0, 9007199254740991.0, 5.0e-324, 2.2250738585072014e-308,
                   1.7976931348623157e308, -1.7976931348623157e308, 123456789.123, 0.0001234,
                   3.141592653589793, 2.718281828459045, 1.0e22, 1.0e23, 4.35e-10]);
        2 -> (rand:uniform() - 0.5) * math:pow(10, rand:uniform(40) - 20);
        3 -> float(rand:uniform(1 bsl 60)) * pick([1.0, -1.0, 0.5, 1.0e-3, 1.0e10]);
        4 ->
            <<F/float>> = <<(rand:uniform(16#7fe) - 1):12, (rand:uniform(1 bsl 52) - 1):52>>,
            F
    end.

atom() ->
    case rand:uniform(6) of
        1 -> pick(['', a, ok, 'Ok', '_', '@', 'a b', 'it\'s', 'back\\slash', 'new\nline', 'tab\t',
                   'del\d', 'esc\e', '\x{0}', 'after', 'and', 'andalso', 'begin', 'catch', 'cond',
                   'end', 'fun', 'maybe', 'else', 'receive', 'nonode@nohost', 'a@b.c', '1abc',
                   'aBC_d@9', 'é', 'ÿ', 'ß', 'À', 'a×', 'a÷', '÷', '×b', '€', '日本', 'a€',
                   '\x{10FFFF}', '\x{80}', '\x{9f}', '\x{a0}']);
        2 -> list_to_atom([rand:uniform(26) + 96 | [pick(lists:seq($a, $z) ++ lists:seq($A, $Z) ++ "_@0123456789")
                                                    || _ <- lists:seq(1, rand:uniform(20) - 1)]]);
        3 -> list_to_atom([rand:uniform(256) - 1 || _ <- lists:seq(1, rand:uniform(12) - 1)]);
        4 -> list_to_atom([unicode_char() || _ <- lists:seq(1, rand:uniform(12))]);
        5 -> list_to_atom([pick([$a, 233, 8364, 66376]) || _ <- lists:seq(1, pick([100, 200, 254, 255]))]);
        6 -> list_to_atom(lists:duplicate(255, pick([$x, 255, 256, 8364, 66376])))
    end.

unicode_char() ->
    case rand:uniform(4) of
        1 -> rand:uniform(95) + 31;
        2 -> rand:uniform(2048 - 128) + 127;
        3 -> pick([rand:uniform(16#D7FF - 2048) + 2047, rand:uniform(16#FFFD - 16#E000) + 16#DFFF]);
        4 -> rand:uniform(16#10FFFF - 16#10000) + 16#FFFF
    end.

binary() ->
    Len = pick([0, 1, 2, 5, 16, 40, rand:uniform(300)]),
    rand:bytes(Len).

bitstring() ->
    B = rand:bytes(rand:uniform(10) - 1),
    N = rand:uniform(7),
    <<B/binary, (rand:uniform(1 bsl N) - 1):N>>.

string() ->
    case rand:uniform(4) of
        1 -> [rand:uniform(95) + 31 || _ <- lists:seq(1, rand:uniform(30))];
        2 -> [rand:uniform(256) - 1 || _ <- lists:seq(1, rand:uniform(30))];
        3 -> [rand:uniform(256) - 1 | [pick([256, -1, 1000]) | "abc"]];
        4 -> pick(["a", [0], [255], lists:duplicate(300, $x)])
    end.

improper(D) ->
    Elements = [term(D - 1) || _ <- lists:seq(1, rand:uniform(4))],
    Tail = pick([a, 1, <<"t">>, {}, #{}, 2.5, term(D - 1)]),
    case Tail of
        L when is_list(L) -> Elements ++ [L];
        _ -> lists:foldr(fun(E, Acc) -> [E | Acc] end, Tail, Elements)
    end.

key(D) ->
    case rand:uniform(8) of
        1 -> rand:uniform(1000) - 500;
        2 -> float();
        3 -> atom();
        4 -> binary();
        5 -> string();
        6 -> list_to_tuple([leaf() || _ <- lists:seq(1, rand:uniform(3))]);
        7 -> integer();
        8 -> term(D)
    end.

big_map(D) ->
    N = pick([31, 32, 33, 40, 100, rand:uniform(70)]),
    maps:from_list([{pick([I, integer_to_binary(I), list_to_atom("k" ++ integer_to_list(I)), {I}, float(I)]),
                     term(D - 1)} || I <- lists:seq(1, N)]).

big_tuple() -> list_to_tuple([rand:uniform(3) || _ <- lists:seq(1, pick([255, 256, 300]))]).

nested(0) -> pick([[], {}, #{}, leaf()]);
nested(N) ->
    case rand:uniform(6) of
        1 -> [nested(N - 1)];
        2 -> {nested(N - 1)};
        3 -> #{k => nested(N - 1)};
        4 -> [a | nested(N - 1)];
        5 -> #{nested(N - 1) => v, a => 1};
        6 -> {x, nested(N - 1), y}
    end.

%% Pids, ports and references of other nodes, built from bytes so fixtures do not depend on
%% this VM's state.
node_atom() -> pick([<<100, 0, 13, "nonode@nohost">>, <<119, 5, "a@b.c">>, <<115, 1, $n>>, <<118, 0, 0>>]).
pid() ->
    B = case rand:uniform(2) of
            1 -> <<131, 88, (node_atom())/binary, (rand:uniform(1 bsl 32) - 1):32, (rand:uniform(1 bsl 32) - 1):32,
                   (rand:uniform(1 bsl 32 - 1)):32>>;
            2 -> <<131, 103, (node_atom())/binary, (rand:uniform(1 bsl 15) - 1):32, (rand:uniform(1 bsl 13) - 1):32,
                   (rand:uniform(3)):8>>
        end,
    binary_to_term(B).
port() ->
    B = case rand:uniform(3) of
            1 -> <<131, 89, (node_atom())/binary, (rand:uniform(1 bsl 28) - 1):32, (rand:uniform(1 bsl 32 - 1)):32>>;
            2 -> <<131, 120, (node_atom())/binary, (rand:uniform(1 bsl 64) - 1):64, (rand:uniform(1 bsl 32 - 1)):32>>;
            3 -> <<131, 102, (node_atom())/binary, (rand:uniform(1 bsl 28) - 1):32, (rand:uniform(3)):8>>
        end,
    binary_to_term(B).
ref() ->
    N = rand:uniform(5),
    Words = << <<(rand:uniform(1 bsl 32) - 1):32>> || _ <- lists:seq(1, N) >>,
    B = case rand:uniform(3) of
            1 -> <<131, 90, N:16, (node_atom())/binary, (rand:uniform(1 bsl 32 - 1)):32, Words/binary>>;
            2 -> <<131, 114, N:16, (node_atom())/binary, (rand:uniform(3)):8, (rand:uniform(1 bsl 18) - 1):32,
                   (binary:part(Words, 4, 4 * N - 4))/binary>>;
            3 -> <<131, 101, (node_atom())/binary, (rand:uniform(1 bsl 18) - 1):32, (rand:uniform(3)):8>>
        end,
    binary_to_term(B).
fun_term() ->
    X = rand:uniform(100),
    Y = atom(),
    pick([fun() -> X end, fun(A) -> {A, Y} end, fun(A, B) -> [A, B, X, Y] end]).

%% ---------------------------------------------------------------------------------------
%% Large inputs: long lists, big tuples, deep nesting.

huge_cases() ->
    Deep = fun(N, Open, Close) -> iolist_to_binary([131, lists:duplicate(N, Open), 106, lists:duplicate(N, Close)]) end,
    [{term_to_binary(lists:seq(1, 100000)), "huge lists:seq(1,100000)"},
     {term_to_binary(lists:duplicate(70000, 7)), "huge list of 70000 small ints"},
     {term_to_binary(list_to_tuple(lists:seq(1, 70000))), "huge tuple of 70000"},
     {term_to_binary(maps:from_list([{I, I} || I <- lists:seq(1, 5000)])), "huge map 5000 int keys"},
     {term_to_binary(maps:from_list([{integer_to_binary(I), I} || I <- lists:seq(1, 3000)])), "huge map 3000 binary keys"},
     {term_to_binary(maps:from_list([{list_to_atom("k" ++ integer_to_list(I)), I} || I <- lists:seq(1, 1000)])),
      "huge map 1000 atom keys"},
     {Deep(100000, [108, 0, 0, 0, 1], [106]), "deep list 100000"},
     {Deep(100000, [104, 1], []), "deep tuple 100000"},
     {Deep(50000, [116, 0, 0, 0, 1, 97, 1], []), "deep map 50000"},
     {Deep(20000, [116, 0, 0, 0, 2, 97, 1], [97, 2, 97, 3]), "deep two-key map 20000"},
     {term_to_binary(<<0:8388608>>), "huge binary 1 MiB"},
     {term_to_binary(lists:duplicate(65535, $x)), "huge string of 65535"},
     {term_to_binary(lists:duplicate(65536, $y)), "huge list of 65536 bytes"}].

%% ---------------------------------------------------------------------------------------
%% Hand-made hostile and edge inputs; binary_to_term labels each.

float_ext(S) -> <<99, S/binary, 0:((31 - byte_size(S)) * 8)>>.
map_ext(Pairs) -> <<116, (length(Pairs)):32, (iolist_to_binary([[K, V] || {K, V} <- Pairs]))/binary>>.

hostile_cases() ->
    A = fun(Name) -> <<100, (byte_size(Name)):16, Name/binary>> end,
    Cases =
        [<<>>, <<131>>, <<130, 97, 1>>, <<0>>, <<131, 97>>, <<131, 97, 1, 0>>, <<131, 97, 1, 131, 97, 2>>,
         <<131, 98, 0, 0, 0, 5>>, <<131, 98, 255, 255, 255, 255>>, <<131, 98, 128, 0, 0, 0>>,
         %% bigs: leading zeros, sign bytes, zero digits, normalisation
         <<131, 110, 2, 0, 1, 0>>, <<131, 110, 1, 2, 1>>, <<131, 110, 1, 255, 5>>, <<131, 110, 0, 0>>,
         <<131, 110, 0, 1>>, <<131, 110, 3, 1, 0, 0, 0>>, <<131, 111, 0, 0, 0, 1, 0, 5>>, <<131, 111, 0, 0, 0, 0, 1>>,
         <<131, 110, 8, 0, 0, 0, 0, 0, 0, 0, 0, 128>>, <<131, 110, 8, 1, 0, 0, 0, 0, 0, 0, 0, 128>>,
         <<131, 110, 8, 0, 255, 255, 255, 255, 255, 255, 255, 127>>, <<131, 110, 9, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0>>,
         <<131, 111, 0, 64, 0, 0, 0>>, <<131, 111, 0, 64, 0, 1, 0>>, <<131, 111, 255, 255, 255, 255, 0>>,
         <<131, 110, 5, 0, 1, 2>>,
         %% floats
         <<131, 70, 127, 240, 0, 0, 0, 0, 0, 0>>, <<131, 70, 255, 240, 0, 0, 0, 0, 0, 0>>,
         <<131, 70, 127, 248, 0, 0, 0, 0, 0, 0>>, <<131, 70, 127, 240, 0, 0, 0, 0, 0, 1>>,
         <<131, 70, 128, 0, 0, 0, 0, 0, 0, 0>>, <<131, 70, 0, 0, 0, 0, 0, 0, 0, 1>>, <<131, 70, 0, 0, 0>>]
        ++ [<<131, (float_ext(S))/binary>> || S <- [<<"1.5">>, <<"+1.5">>, <<"-0.0">>, <<"1,5">>, <<"1.5e3">>,
                <<"1.5E+03">>, <<"1e3">>, <<"15">>, <<".5">>, <<"1.">>, <<" 1.5">>, <<"1.5 ">>, <<"inf">>, <<"nan">>,
                <<"1.0e999">>, <<"1.0e-400">>, <<"1.0e-310">>, <<"0.1">>, <<"1.5xyz">>, <<"1.5e">>, <<"1.5e+">>,
                <<"01.50">>, <<"-1.5e-3">>, <<"2.5e-324">>, <<"1.7976931348623157e308">>, <<"1.7976931348623159e308">>,
                <<"0x1p3">>, <<"1.50000000000000000000e+00">>, <<"">>, <<"-">>, <<"+.5">>]]
        ++ [<<131, 99, "2.5", 0, "garbage after nul", 0:(10 * 8)>>, <<131, 99, "1.5", 0>>]
        ++ [
         %% atoms
         <<131, 100, 0, 0>>, <<131, 115, 0>>, <<131, 118, 0, 0>>, <<131, 119, 0>>, <<131, 100, 0, 2, 0, 97>>,
         <<131, 100, 0, 1, 233>>, <<131, 115, 1, 233>>, <<131, 119, 2, 195, 169>>, <<131, 115, 2, 195, 169>>,
         <<131, 100, 1, 0, (binary:copy(<<"a">>, 256))/binary>>, <<131, 100, 0, 255, (binary:copy(<<"a">>, 255))/binary>>,
         <<131, 118, 1, 0, (binary:copy(<<"a">>, 256))/binary>>, <<131, 118, 0, 255, (binary:copy(<<"a">>, 255))/binary>>,
         <<131, 118, 1, 254, (binary:copy(<<195, 169>>, 255))/binary>>, <<131, 118, 2, 0, (binary:copy(<<195, 169>>, 256))/binary>>,
         <<131, 118, 3, 252, (binary:copy(<<240, 144, 128, 128>>, 255))/binary>>,
         <<131, 118, 3, 253, (binary:copy(<<240, 144, 128, 128>>, 255))/binary, 97>>,
         <<131, 119, 1, 128>>, <<131, 119, 2, 192, 128>>, <<131, 119, 2, 193, 191>>, <<131, 119, 3, 224, 128, 128>>,
         <<131, 119, 3, 224, 160, 128>>, <<131, 119, 3, 237, 160, 128>>, <<131, 119, 3, 237, 159, 191>>,
         <<131, 119, 4, 240, 128, 128, 128>>, <<131, 119, 4, 240, 144, 128, 128>>, <<131, 119, 4, 244, 143, 191, 191>>,
         <<131, 119, 4, 244, 144, 128, 128>>, <<131, 119, 1, 245>>, <<131, 119, 1, 255>>, <<131, 119, 2, 195>>,
         <<131, 119, 2, 195, 40>>, <<131, 119, 1, 0>>, <<131, 119, 3, 239, 191, 190>>,
         %% tuples, lists, strings
         <<131, 104, 0>>, <<131, 105, 0, 0, 0, 0>>, <<131, 105, 0, 0, 0, 2, 97, 1, 97, 2>>, <<131, 104, 2, 97, 1>>,
         <<131, 105, 255, 255, 255, 255>>, <<131, 108, 255, 255, 255, 255, 106>>, <<131, 108, 0, 0, 0, 0, 106>>,
         <<131, 108, 0, 0, 0, 0, 97, 5>>, <<131, 108, 0, 0, 0, 0, 100, 0, 1, 97>>, <<131, 108, 0, 0, 0, 1, 97, 1>>,
         <<131, 108, 0, 0, 0, 2, 97, 1, 97, 2, 97, 3>>, <<131, 108, 0, 0, 0, 1, 97, 1, 108, 0, 0, 0, 1, 97, 2, 106>>,
         <<131, 108, 0, 0, 0, 1, 97, 1, 107, 0, 2, 2, 3>>, <<131, 107, 0, 0>>, <<131, 107, 0, 3, 1, 2>>,
         <<131, 107, 0, 3, 1, 2, 3>>, <<131, 108, 0, 0, 0, 1, 106, 109, 0, 0, 0, 0>>,
         %% binaries and bit binaries
         <<131, 109, 0, 0, 0, 0>>, <<131, 109, 0, 0, 0, 3, 1, 2>>, <<131, 109, 255, 255, 255, 255, 1>>,
         <<131, 77, 0, 0, 0, 1, 3, 255>>, <<131, 77, 0, 0, 0, 1, 8, 255>>, <<131, 77, 0, 0, 0, 1, 0, 255>>,
         <<131, 77, 0, 0, 0, 0, 0>>, <<131, 77, 0, 0, 0, 0, 1>>, <<131, 77, 0, 0, 0, 1, 9, 1>>,
         <<131, 77, 0, 0, 0, 2, 1, 1, 128>>, <<131, 77, 0, 0, 0, 2, 7, 1, 255>>,
         %% maps: duplicates in every disguise
         <<131, (map_ext([{<<97, 1>>, <<97, 1>>}, {<<97, 1>>, <<97, 2>>}]))/binary>>,
         <<131, (map_ext([{<<97, 1>>, <<97, 1>>}, {<<98, 0, 0, 0, 1>>, <<97, 2>>}]))/binary>>,
         <<131, (map_ext([{<<97, 1>>, <<97, 1>>}, {<<110, 1, 0, 1>>, <<97, 2>>}]))/binary>>,
         <<131, (map_ext([{<<110, 2, 0, 1, 0>>, <<97, 1>>}, {<<97, 1>>, <<97, 2>>}]))/binary>>,
         <<131, (map_ext([{<<97, 1>>, <<97, 1>>}, {<<70, 63, 240, 0, 0, 0, 0, 0, 0>>, <<97, 2>>}]))/binary>>,
         <<131, (map_ext([{A(<<"a">>), <<97, 1>>}, {<<119, 1, $a>>, <<97, 2>>}]))/binary>>,
         <<131, (map_ext([{A(<<"a">>), <<97, 1>>}, {<<115, 1, $a>>, <<97, 2>>}]))/binary>>,
         <<131, (map_ext([{<<100, 0, 1, 233>>, <<97, 1>>}, {<<119, 2, 195, 169>>, <<97, 2>>}]))/binary>>,
         <<131, (map_ext([{A(<<"b">>), <<97, 1>>}, {A(<<"a">>), <<97, 2>>}]))/binary>>,
         <<131, (map_ext([{A(<<"b">>), <<97, 1>>}, {A(<<"a">>), <<97, 2>>}, {<<119, 1, $b>>, <<97, 3>>}]))/binary>>,
         <<131, (map_ext([{<<107, 0, 2, 1, 2>>, <<97, 1>>}, {<<108, 0, 0, 0, 2, 97, 1, 97, 2, 106>>, <<97, 2>>}]))/binary>>,
         <<131, (map_ext([{<<107, 0, 2, 1, 2>>, <<97, 1>>}, {<<108, 0, 0, 0, 1, 97, 1, 107, 0, 1, 2>>, <<97, 2>>}]))/binary>>,
         <<131, (map_ext([{<<106>>, <<97, 1>>}, {<<107, 0, 0>>, <<97, 2>>}]))/binary>>,
         <<131, (map_ext([{<<106>>, <<97, 1>>}, {<<108, 0, 0, 0, 0, 106>>, <<97, 2>>}]))/binary>>,
         <<131, (map_ext([{<<104, 2, 97, 1, 100, 0, 1, $x>>, <<97, 1>>}, {<<105, 0, 0, 0, 2, 98, 0, 0, 0, 1, 119, 1, $x>>, <<97, 2>>}]))/binary>>,
         <<131, (map_ext([{<<109, 0, 0, 0, 1, 255>>, <<97, 1>>}, {<<77, 0, 0, 0, 1, 8, 255>>, <<97, 2>>}]))/binary>>,
         <<131, (map_ext([{<<77, 0, 0, 0, 1, 3, 224>>, <<97, 1>>}, {<<77, 0, 0, 0, 1, 3, 255>>, <<97, 2>>}]))/binary>>,
         <<131, (map_ext([{<<99, "1.5", 0:(28 * 8)>>, <<97, 1>>}, {<<70, 63, 248, 0, 0, 0, 0, 0, 0>>, <<97, 2>>}]))/binary>>,
         <<131, (map_ext([{<<97, 2>>, <<97, 1>>}, {<<70, 63, 240, 0, 0, 0, 0, 0, 0>>, <<97, 2>>}]))/binary>>,
         <<131, (map_ext([{<<116, 0, 0, 0, 0>>, <<97, 1>>}, {<<116, 0, 0, 0, 0>>, <<97, 2>>}]))/binary>>,
         <<131, (map_ext([{<<116, 0, 0, 0, 1, 97, 1, 97, 2>>, <<97, 1>>}, {<<116, 0, 0, 0, 1, 98, 0, 0, 0, 1, 97, 2>>, <<97, 2>>}]))/binary>>,
         <<131, (map_ext([{<<97, I>>, <<97, I>>} || I <- lists:seq(1, 40)] ++ [{<<98, 0, 0, 0, 17>>, <<106>>}]))/binary>>,
         <<131, (map_ext([{<<97, I>>, <<97, I>>} || I <- lists:reverse(lists:seq(1, 40))] ++ [{<<110, 1, 0, 17>>, <<106>>}]))/binary>>,
         <<131, (map_ext([{<<97, I>>, <<97, I>>} || I <- lists:reverse(lists:seq(1, 300))]))/binary>>,
         <<131, (map_ext([{<<97, I>>, <<97, I>>} || I <- lists:reverse(lists:seq(0, 255))] ++ [{<<98, 0, 0, 1, 0>>, <<97, 9>>}, {<<98, 0, 0, 0, 9>>, <<106>>}]))/binary>>,
         %% one inner map written with its pairs in two orders is one key (ERTS compares maps
         %% by their pairs in key order): small and large inner maps, in keys and nested deeper
         <<131, (map_ext([{map_ext([{A(<<"a">>), <<97, 1>>}, {A(<<"b">>), <<97, 2>>}]), <<97, 1>>},
                          {map_ext([{A(<<"b">>), <<97, 2>>}, {A(<<"a">>), <<97, 1>>}]), <<97, 2>>}]))/binary>>,
         <<131, (map_ext([{map_ext([{A(<<"a">>), <<97, 1>>}, {A(<<"b">>), <<97, 2>>}]), <<97, 1>>},
                          {map_ext([{A(<<"b">>), <<97, 1>>}, {A(<<"a">>), <<97, 2>>}]), <<97, 2>>}]))/binary>>,
         <<131, (map_ext([{map_ext([{<<97, I>>, <<97, I>>} || I <- lists:seq(1, 40)]), <<97, 1>>},
                          {map_ext([{<<97, I>>, <<97, I>>} || I <- lists:reverse(lists:seq(1, 40))]), <<97, 2>>}]))/binary>>,
         <<131, (map_ext([{<<104, 1, (map_ext([{<<97, 1>>, <<106>>}, {<<97, 2>>, <<106>>}]))/binary>>, <<97, 1>>},
                          {<<104, 1, (map_ext([{<<97, 2>>, <<106>>}, {<<97, 1>>, <<106>>}]))/binary>>, <<97, 2>>}]))/binary>>,
         <<131, 116, 0, 0, 0, 1, 97, 1>>, <<131, 116, 128, 0, 0, 0>>, <<131, 116, 255, 255, 255, 255, 106>>,
         <<131, 116, 0, 0, 0, 2, 97, 1, 106, 116, 0, 0, 0, 2, 97, 1, 97, 1, 97, 1, 97, 2, 97, 2, 106>>,
         %% pids, ports, references
         <<131, 88, 97, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0>>, <<131, 88, 106, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0>>,
         <<131, 88, 100, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255>>,
         <<131, 103, 100, 0, 1, $n, 0, 0, 0, 1, 0, 0, 0, 0, 3>>, <<131, 103, 100, 0, 1, $n, 0, 0, 0, 1, 0, 0, 0, 0, 4>>,
         <<131, 102, 100, 0, 1, $n, 0, 0, 0, 1, 3>>, <<131, 102, 100, 0, 1, $n, 0, 0, 0, 1, 4>>,
         <<131, 89, 119, 1, $n, 255, 255, 255, 255, 255, 255, 255, 255>>,
         <<131, 120, 119, 1, $n, 255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 7>>,
         <<131, 101, 100, 0, 1, $n, 0, 3, 255, 255, 3>>, <<131, 101, 100, 0, 1, $n, 0, 4, 0, 0, 3>>,
         <<131, 101, 100, 0, 1, $n, 0, 0, 0, 1, 4>>,
         <<131, 114, 0, 1, 100, 0, 1, $n, 3, 0, 3, 255, 255>>, <<131, 114, 0, 1, 100, 0, 1, $n, 3, 0, 4, 0, 0>>,
         <<131, 114, 0, 1, 100, 0, 1, $n, 4, 0, 0, 0, 1>>, <<131, 114, 0, 0, 100, 0, 1, $n, 3, 0, 0, 0, 1>>,
         <<131, 114, 0, 6, 100, 0, 1, $n, 3, 0:(6 * 32)>>, <<131, 114, 0, 5, 100, 0, 1, $n, 3, 0:(5 * 32)>>,
         <<131, 90, 0, 5, 100, 0, 1, $n, 0, 0, 0, 9, 255:(5 * 32)>>, <<131, 90, 0, 6, 100, 0, 1, $n, 0, 0, 0, 9, 0:(6 * 32)>>,
         <<131, 90, 0, 0, 100, 0, 1, $n, 0, 0, 0, 9, 0:32>>, <<131, 90, 0, 0, 100, 0, 1, $n, 0, 0, 0, 9>>,
         <<131, 90, 0, 1, 97, 1, 0, 0, 0, 9, 0:32>>,
         %% funs
         <<131, 113, 100, 0, 1, $m, 100, 0, 1, $f, 97, 1>>, <<131, 113, 100, 0, 1, $m, 100, 0, 1, $f, 98, 0, 0, 1, 0>>,
         <<131, 113, 100, 0, 1, $m, 100, 0, 1, $f, 98, 255, 255, 255, 255>>, <<131, 113, 100, 0, 1, $m, 100, 0, 1, $f, 110, 1, 0, 3>>,
         <<131, 113, 100, 0, 1, $m, 100, 0, 1, $f, 70, 0, 0, 0, 0, 0, 0, 0, 0>>, <<131, 113, 97, 1, 100, 0, 1, $f, 97, 1>>,
         <<131, 113, 100, 0, 1, $m, 100, 0, 1, $f, 110, 8, 0, 0, 0, 0, 0, 0, 0, 0, 8>>,
         <<131, 113, 100, 0, 1, $m, 100, 0, 1, $f, 110, 8, 0, 255, 255, 255, 255, 255, 255, 255, 7>>,
         new_fun(<<97, 1>>, <<97, 2>>, <<88, 100, 0, 1, $n, 0:96>>, 0, <<>>),
         new_fun(<<98, 255, 255, 255, 255>>, <<110, 1, 1, 5>>, <<88, 100, 0, 1, $n, 0:96>>, 1, <<97, 7>>),
         new_fun(<<100, 0, 1, $x>>, <<97, 2>>, <<88, 100, 0, 1, $n, 0:96>>, 0, <<>>),
         new_fun(<<97, 1>>, <<110, 8, 0, 0, 0, 0, 0, 0, 0, 0, 8>>, <<88, 100, 0, 1, $n, 0:96>>, 0, <<>>),
         new_fun(<<97, 1>>, <<97, 2>>, <<97, 5>>, 0, <<>>), new_fun(<<97, 1>>, <<97, 2>>, <<104, 1, 106>>, 2, <<106, 106>>),
         new_fun(<<97, 1>>, <<97, 2>>, <<88, 100, 0, 1, $n, 0:96>>, 256, <<>>)]
        ++ [<<131, T, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0>> || T <- lists:seq(0, 255)]
        ++ [<<131, T>> || T <- lists:seq(0, 255)]
        ++ [<<131, 73, 0, 0>>, <<131, 75, 0, 0, 2>>, <<131, 121, 0, 0, 0, 0, 97, 1>>, <<131, 117, 0, 0, 0, 0>>,
            <<131, 68, 0>>, <<131, 82, 0>>, <<131, 104, 1, 131, 97, 1>>, <<131, 80, 0, 0, 0, 2, 120, 156, 75, 100, 0, 0, 0, 196, 0, 98>>],
    Deviations =
        [{<<131, (map_ext([{<<70, 0:64>>, <<97, 1>>}, {<<70, 128, 0:56>>, <<97, 2>>}]))/binary>>,
          "deviation: 0.0 and -0.0 are two keys (OTP 27+)"},
         {<<131, 99, "1.11111111111111111111111111111", 0>>, "deviation: FLOAT_EXT without a NUL in its field"}],
    [{C, "hostile"} || C <- Cases] ++ Deviations ++ [{C, "key order"} || C <- key_order_cases()].

%% Maps keyed by pids, ports, references and funs: ERTS orders them by fields in an order of
%% its own (pids by serial first, references by their last word first, funs by index and old
%% uniq as 32-bit differences) and calls funs that differ only in arity, MD5, old index or
%% creator pid equal (so two such keys are a duplicate).
key_order_cases() ->
    Pid = fun(N, Id, Ser, Cr) -> <<88, 119, (byte_size(N)), N/binary, Id:32, Ser:32, Cr:32>> end,
    Port = fun(N, Id, Cr) -> <<89, 119, (byte_size(N)), N/binary, Id:32, Cr:32>> end,
    Ref = fun(N, Cr, Ws) -> <<90, (length(Ws)):16, 119, (byte_size(N)), N/binary, Cr:32, << <<W:32>> || W <- Ws >>/binary>> end,
    Fun = fun(Arity, Uniq, Idx, OldIdx, OldUniq, P, Free) ->
              Body = <<Arity, Uniq:128, Idx:32, (length(Free)):32, 119, 1, $m, 98, OldIdx:32/signed,
                       98, OldUniq:32/signed, P/binary, (iolist_to_binary(Free))/binary>>,
              <<112, (byte_size(Body) + 4):32, Body/binary>>
          end,
    P1 = Pid(<<"a@b">>, 1, 1, 1),
    Keyed = fun(Keys) -> <<131, (map_ext([{K, <<97, I>>} || {K, I} <- lists:zip(Keys, lists:seq(1, length(Keys)))]))/binary>> end,
    [Keyed([Pid(<<"node@host">>, 1, 1, 1), Pid(<<"a@b">>, 5, 0, 0), Pid(<<"a@b">>, 1, 9, 9), Pid(<<"b@c">>, 0, 0, 0)]),
     Keyed([Pid(<<"a@b">>, 1, 1, 5), Pid(<<"a@b">>, 1, 1, 2), Pid(<<"a@b">>, 2, 1, 1)]),
     Keyed([Port(<<"node@host">>, 1, 1), Port(<<"a@b">>, 5, 1), Port(<<"a@b">>, 1, 9), Port(<<"a@b">>, 1, 2)]),
     Keyed([Ref(<<"a@b">>, 1, [1, 3, 1]), Ref(<<"a@b">>, 1, [5, 1, 1]), Ref(<<"a@b">>, 1, [1, 2]), Ref(<<"a@b">>, 2, [1, 2, 3]),
            Ref(<<"b@c">>, 1, [9])]),
     Keyed([Fun(0, 0, 0, 0, 0, P1, []), Fun(0, 0, 16#E268AFDE, 0, 0, P1, []), Fun(0, 0, 1, 0, 16#7fffffff, P1, []),
            Fun(0, 0, 1, 0, -2, P1, []), Fun(0, 0, 1, 0, 0, P1, [<<97, 1>>]), Fun(0, 0, 1, 0, 0, P1, [<<97, 2>>])]),
     %% Duplicates to ERTS: only the arity, MD5, old index or creator pid differ.
     Keyed([Fun(0, 0, 1, 0, 0, P1, []), Fun(1, 0, 1, 0, 0, P1, [])]),
     Keyed([Fun(0, 0, 1, 0, 0, P1, []), Fun(0, 7, 1, 0, 0, P1, [])]),
     Keyed([Fun(0, 0, 1, 0, 0, P1, []), Fun(0, 0, 1, 9, 0, P1, [])]),
     Keyed([Fun(0, 0, 1, 0, 0, P1, []), Fun(0, 0, 1, 0, 0, Pid(<<"c@d">>, 9, 9, 9), [])]),
     %% Not duplicates: the free variables differ.
     Keyed([Fun(0, 0, 1, 0, 0, P1, [<<97, 1>>]), Fun(0, 0, 1, 0, 0, P1, [<<97, 1>>, <<97, 2>>])])].

new_fun(OldIndex, OldUniq, Pid, NumFree, Free) ->
    Body = <<1, 0:128, 0:32, NumFree:32, 100, 0, 1, $m, OldIndex/binary, OldUniq/binary, Pid/binary, Free/binary>>,
    <<131, 112, (byte_size(Body) + 4):32, Body/binary>>.

%% ---------------------------------------------------------------------------------------
%% Mutations of valid encodings: byte flips, length edits, truncations, splices.

mutants(B) when byte_size(B) > 3000 -> [];
mutants(B) ->
    N = byte_size(B),
    Flip = fun() -> P = rand:uniform(N - 1), <<H:P/binary, X, T/binary>> = B, <<H/binary, (X bxor (1 bsl (rand:uniform(8) - 1))), T/binary>> end,
    Set = fun() -> P = rand:uniform(N - 1), <<H:P/binary, _, T/binary>> = B, <<H/binary, (pick([0, 1, 2, 3, 4, 8, 97, 100, 104, 106, 107, 108, 116, 119, 127, 128, 255])), T/binary>> end,
    Trunc = fun() -> binary:part(B, 0, rand:uniform(N - 1)) end,
    Extend = fun() -> <<B/binary, (rand:bytes(rand:uniform(3)))/binary>> end,
    Splice = fun() -> P = rand:uniform(N - 1), Q = rand:uniform(N - 1), <<(binary:part(B, 0, P))/binary, (binary:part(B, Q, N - Q))/binary>> end,
    [{F(), "mutant"} || F <- [pick([Flip, Set]), pick([Flip, Set, Splice]), pick([Trunc, Extend, Flip])]].

prefixes(B) when byte_size(B) > 200 -> [];
prefixes(B) -> [{binary:part(B, 0, L), "prefix"} || L <- lists:seq(0, byte_size(B) - 1)].
