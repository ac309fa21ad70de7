#!/usr/bin/env bash
# Installs the Graphviz `dot` program, which renders counterexample diagrams.
# capmodel still works without it (it writes .dot and .mmd files and says so).
set -u
command -v dot >/dev/null 2>&1 && exit 0
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
  $SUDO apt-get update -qq >/dev/null 2>&1 || true
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null 2>&1 \
    && exit 0
elif command -v brew >/dev/null 2>&1; then
  brew install graphviz && exit 0
fi
echo "note: could not install Graphviz's 'dot'; diagrams will be written as .dot/.mmd only." >&2
echo "      install it with your package manager (e.g. 'apt-get install graphviz')." >&2
exit 0
