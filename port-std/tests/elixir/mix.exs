# The Elixir tests as a Mix project that depends on the Erlang side the way an Elixir user's
# project does: {:erlport_rs, path: ...}, compiled by Mix (no rebar3). Run from this folder:
#   MIX_BUILD_PATH=../../../target/elixir mix run jobs_test.exs EXAMPLES_DIR [async]
defmodule ErlportRsElixirTests.MixProject do
  use Mix.Project

  def project do
    [app: :erlport_rs_elixir_tests, version: "0.1.0", deps: [{:erlport_rs, path: "../../erlang"}]]
  end

  def application, do: [extra_applications: [:logger]]
end
