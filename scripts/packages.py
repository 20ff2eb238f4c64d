"""The scripts' Python packages: use the running Python when it has the module, else
install the package into the repository's .venv/ and run the script again there (the
venv may exist for other tools, such as scripts/check_deploy.sh, without it)."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def ensure(module, package=None):
    try:
        __import__(module)
        return
    except ImportError:
        pass
    venv = os.path.join(ROOT, ".venv")
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    if subprocess.run([python, "-c", f"import {module}"], capture_output=True).returncode != 0:
        subprocess.run([python, "-m", "pip", "install", "-q", package or module], check=True)
    if os.path.abspath(sys.executable) != os.path.abspath(python):
        os.execv(python, [python] + sys.argv)
