"""TAF 企业级磁带备份系统 — `python main.py` starts the web service; `python main.py --help` lists the rest."""

import sys

from cli.app import main

if __name__ == "__main__":
    sys.exit(main())
