#!/usr/bin/env bash
# Idempotent installer for the numpy peer benchmark dependencies.
set -euo pipefail
if ! python3 -c "import numpy" >/dev/null 2>&1; then
    python3 -m pip install --quiet numpy
fi
python3 -c "import numpy; print('numpy', numpy.__version__)"
