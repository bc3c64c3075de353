# The concurrent jobs example driven from Elixir through erlport_rs, used as any Erlang
# module is: :erlport_rs.call(pid, :add, [1, 2]), from a Mix project that depends on it by
# path (mix.exs beside this file), started both directly and in a supervision tree.
# Usage (in this folder): mix run jobs_test.exs EXAMPLES_DIR [async]
# Prints one line per failure and "N passed, M failed"; exits 1 on any failure.

defmodule JobsTest do
  # Called from Rust through erlang_apply (allowed below).
  def twice(x), do: x * 2
end

[dir | rest] = System.argv()
args = if rest == ["async"], do: ["--async"], else: []

# As a child of a supervisor, by its child_spec/1.
children = [{:erlport_rs, [Path.join(dir, "jobs"), [name: :jobs_supervised, args: args]]}]
{:ok, supervisor} = Supervisor.start_link(children, strategy: :one_for_one)
supervised = :erlport_rs.call(:jobs_supervised, :add, [20, 22])
[{{:erlport_rs, :jobs_supervised}, child, :worker, [:erlport_rs]}] = Supervisor.which_children(supervisor)
os_pid = Map.fetch!(:sys.get_state(child), :os_pid)
:ok = Supervisor.stop(supervisor)
# The program is gone when the supervisor has stopped (a zombie, waiting only to be reaped
# by the VM's port helper, is gone).
supervised_gone =
  case File.read("/proc/#{os_pid}/stat") do
    {:ok, stat} -> stat |> String.split(") ", parts: 2) |> List.last() |> String.starts_with?("Z")
    {:error, _} -> true
  end

# A pool of two, in a supervision tree by its child_spec/1, called by its group.
pool_children = [{:erlport_rs_pool, [:elixir_jobs, Path.join(dir, "jobs"), [size: 2, args: args]]}]
{:ok, pool_supervisor} = Supervisor.start_link(pool_children, strategy: :one_for_one)
pool_members = length(:erlport_rs_pool.local_members(:elixir_jobs))
pool_sums = Enum.map(1..20, &:erlport_rs_pool.call(:elixir_jobs, :add, [&1, 1]))
:ok = Supervisor.stop(pool_supervisor)

{:ok, server} =
  :erlport_rs.start_link(Path.join(dir, "jobs"),
    args: args,
    allow: [{Enum, :reverse}, {JobsTest, :twice, 1}],
    timeout: 2000
  )

ref = :erlport_rs.send_request(server, :progress, [3])
progress_reply = :erlport_rs.receive_response(ref)

progress =
  for _ <- 1..3 do
    receive do
      {:erlport_rs, ^server, ^ref, n} -> n
    after
      1000 -> :missing
    end
  end

me = self()

for i <- 1..50 do
  spawn_link(fn -> send(me, {:sum, i, :erlport_rs.call(server, :add, [i, 1000])}) end)
end

sums = for i <- 1..50, do: receive(do: ({:sum, ^i, sum} -> sum))

# Messages both ways: send/2 and :erlport_rs.cast/2 reach the program's on_message handler,
# which sends the third element of {:echo, to, message} back to this process (a caller of
# the server, so a destination the program may send to).
send(server, {:echo, me, :from_send})
echoed = receive(do: (:from_send -> :from_send), after: (2000 -> :missing))
:ok = :erlport_rs.cast(server, {:echo, me, %{from: "cast"}})
cast_echoed = receive(do: (%{from: "cast"} = m -> m), after: (2000 -> :missing))

checks = [
  {"add", :erlport_rs.call(server, :add, [1, 2]), 3},
  {"sleep", :erlport_rs.call(server, :sleep, [10]), 10},
  {"progress: the reply", progress_reply, :done},
  {"progress: the messages, in order", progress, [1, 2, 3]},
  {"50 callers at once", sums, Enum.map(1..50, &(&1 + 1000))},
  {"an Elixir function from Rust", :erlport_rs.call(server, :erlang_apply, [JobsTest, :twice, [21]]), {:ok, 42}},
  {"Enum.reverse from Rust", :erlport_rs.call(server, :erlang_apply, [Enum, :reverse, [[1, 2, 3]]]), {:ok, [3, 2, 1]}},
  {"an Elixir module named without its prefix (ctx.call(\"Enum\", ...))",
   :erlport_rs.call(server, :erlang_apply, ["Enum", "reverse", [[1, 2, 3]]]), {:ok, [3, 2, 1]}},
  {"a supervised server (child_spec/1)", supervised, 42},
  {"a pool of two members (erlport_rs_pool.child_spec/1)", pool_members, 2},
  {"calls through the pool", pool_sums, Enum.map(1..20, &(&1 + 1))},
  {"the supervised program gone when its supervisor stopped", supervised_gone, true},
  {"not allowed", :erlport_rs.call(server, :erlang_apply, [System, :halt, [0]]),
   {:error, {:not_allowed, {System, :halt, 1}}}},
  {"a panic", elem(:erlport_rs.call(server, :divide, [1, 0]), 0), :error},
  {"timeout", :erlport_rs.call(server, :sleep, [300], 50), {:error, :timeout}},
  {"unknown handler", :erlport_rs.call(server, :nosuch, []), {:error, :undef}},
  {"cast", :erlport_rs.cast(server, :sleep, [1]), :ok},
  {"send/2 to the server, echoed by the program with ctx.send", echoed, :from_send},
  {":erlport_rs.cast/2, echoed", cast_echoed, %{from: "cast"}},
  {"the program knows its server", :erlport_rs.call(server, :server, []), server}
]

failures =
  for {what, got, expected} <- checks, got != expected do
    "FAIL #{what}: #{inspect(got)}, expected #{inspect(expected)}"
  end

Enum.each(failures, &IO.puts/1)
:ok = :erlport_rs.stop(server)
IO.puts("#{length(checks) - length(failures)} passed, #{length(failures)} failed")
System.halt(if failures == [], do: 0, else: 1)
