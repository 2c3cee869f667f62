#!/usr/bin/env bash
# Idempotent installer for the peer benchmark dependencies.
# Installs only what is missing.
set -euo pipefail
if ! python3 -c "import numpy" >/dev/null 2>&1; then
    python3 -m pip install --quiet numpy
fi
python3 -c "import numpy; print('numpy', numpy.__version__)"

# Mesa peers (bass_mesa.py, climate_mesa.py)
if ! python3 -c "import mesa, networkx, numpy" >/dev/null 2>&1; then
    python3 -m pip install --quiet mesa networkx numpy
fi
python3 -c "import mesa, networkx; print('mesa', mesa.__version__); print('networkx', networkx.__version__)"
