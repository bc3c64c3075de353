# The kv example (typed handlers) driven from Elixir, started with --nil so that `None` is
# written `nil`. Usage (in this folder, a Mix project): mix run kv_test.exs EXAMPLES_DIR
# Prints one line per failure and "N passed, M failed"; exits 1 on any failure.

defmodule KvOpts do
  defstruct kind: :blob
end

[dir] = System.argv()

port =
  Port.open({:spawn_executable, Path.join(dir, "kv")}, [{:packet, 4}, :binary, :exit_status, args: ["--nil"]])

call = fn request ->
  send(port, {self(), {:command, :erlang.term_to_binary(request)}})

  receive do
    {^port, {:data, data}} -> :erlang.binary_to_term(data)
    {^port, {:exit_status, status}} -> {:exited, status}
  after
    5000 -> :no_reply
  end
end

checks = [
  {"put with a keyword list", {:put, "a", "hello", [kind: :text]}, {:ok, 1}},
  {"put with a struct", {:put, "b", <<1, 2>>, struct(KvOpts, kind: :blob)}, {:ok, 1}},
  {"put with a map", {:put, "c", "", %{}}, {:ok, 1}},
  {"get", {:get, "a"}, {:ok, "hello"}},
  {"get, the key an atom", {:get, :b}, {:ok, <<1, 2>>}},
  {"get, missing", {:get, "zz"}, {:error, :not_found}},
  {"info", {:info, "a"}, %{kind: :text, size: 5, version: 1}},
  {"info, missing is nil", {:info, "zz"}, nil},
  {"find", {:find, %{prefix: "a"}}, ["a"]},
  {"find by kind", {:find, %{kind: :blob}}, ["b", "c"]},
  {"incr", {:incr, "n", 41}, {:ok, 41}},
  {"delete", {:delete, "c"}, :ok},
  {"stats", :stats, %{bytes: 5 + 2 + 2, keys: 3, largest: "a"}},
  {"bad arguments", {:put, "a", 1, []}, {:error, :function_clause}}
]

failures =
  for {what, request, expected} <- checks, (got = call.(request)) != expected do
    IO.puts("FAIL #{what}: #{inspect(got)}, expected #{inspect(expected)}")
  end

for key <- ["a", "b", "n"], do: call.({:delete, key})
empty = call.(:stats)

failures =
  if empty == %{bytes: 0, keys: 0, largest: nil},
    do: failures,
    else: [IO.puts("FAIL stats of an empty store: #{inspect(empty)}") | failures]

Port.close(port)
IO.puts("#{length(checks) + 1 - length(failures)} passed, #{length(failures)} failed")
System.halt(if failures == [], do: 0, else: 1)
