#!/bin/sh
# Exports the ONNX test suite's models (every model tests/Xent.Onnx.Tests checks in ONNX Runtime) into a folder and
# runs the official ONNX checker on them with Debian's python3-onnx:
#   tools/onnx/check.sh [DIR]      (DIR defaults to a fresh temporary folder)
set -eu
cd "$(dirname "$0")/../.."
dir=${1:-$(mktemp -d)}
mkdir -p "$dir"
XENT_ONNX_DUMP="$dir" dotnet test tests/Xent.Onnx.Tests -c Release --nologo -v quiet
exec /usr/bin/python3 tools/onnx/check_onnx.py "$dir"
