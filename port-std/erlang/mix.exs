# The Erlang side as a Mix project, so Elixir users add it without rebar3:
#   {:erlport_rs, path: "path/to/erlport/port-std/erlang"}
# and start it in a supervision tree: {:erlport_rs, ["path/to/program", [allow: [{Enum, :reverse}]]]}.
defmodule ErlportRs.MixProject do
  use Mix.Project

  def project do
    [
      app: :erlport_rs,
      version: "0.1.0",
      language: :erlang,
      erlc_options: [:debug_info, :warnings_as_errors],
      deps: []
    ]
  end

  def application do
    [extra_applications: [:logger]]
  end
end
