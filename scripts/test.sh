#!/usr/bin/env bash
# The one test command (README): installs what the tests need when missing (idempotent, from the
# package registries only), then runs formatting, lints, the dependency boundary check, every
# Rust test, the wasm/browser suites and the observability checks. Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export CARGO_INCREMENTAL=0

step() { printf '\n== %s ==\n' "$*"; }

step "toolchain"
# rust-toolchain.toml pins the channel, rustfmt, clippy and the wasm32 target; make sure they exist.
rustup show active-toolchain >/dev/null
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
rustup target list --installed | grep -q '^wasm32-unknown-unknown$' || rustup target add wasm32-unknown-unknown

step "system packages"
need_apt=()
command -v promtool >/dev/null || need_apt+=(prometheus)
# The server's Redis tests start a real redis-server on a free loopback port (stopped by PID).
command -v redis-server >/dev/null || need_apt+=(redis-server)
if [ "${#need_apt[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

step "format"
cargo fmt --all -- --check

step "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "core dependency boundary"
forbidden='^(tokio|axum|hyper|rusqlite|wasm-bindgen|js-sys) '
tree=$(cargo tree -p chartgate-core -e normal --prefix none --locked)
if grep -E "$forbidden" <<<"$tree"; then
  echo "chartgate-core must not depend on the crates above (see ARCHITECTURE.md)" >&2
  exit 1
fi
echo "chartgate-core normal dependencies: $(sort -u <<<"$tree" | wc -l) crates, none of tokio/axum/hyper/rusqlite/wasm-bindgen/js-sys"

step "rust tests"
cargo test --workspace --locked

if [ -f scripts/test-wasm.sh ]; then
  step "wasm, node and browser tests"
  bash scripts/test-wasm.sh
fi

step "observability: dashboards, rules, Alertmanager, live scrape, end-to-end alert"
bash scripts/test-observability.sh

step "all tests passed"
